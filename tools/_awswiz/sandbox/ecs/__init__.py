"""ECS where moto falls short: cluster deletion rules, Managed Instances capacity providers."""
