"""Service Quotas: the sandbox's EC2 vCPU quota data and every operation of the service."""
