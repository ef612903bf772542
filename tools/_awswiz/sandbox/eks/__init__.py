"""EKS where moto falls short: deletion protection, Fargate profiles."""
