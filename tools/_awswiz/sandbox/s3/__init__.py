"""S3 where moto falls short: ListBuckets pages and regions, MFA Delete."""
