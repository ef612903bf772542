"""CloudWatch where moto falls short: alarms whose EC2 actions run."""
