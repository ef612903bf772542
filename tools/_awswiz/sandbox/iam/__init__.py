"""IAM where moto falls short: deletion rules, missing listings, tags on virtual MFA devices."""
