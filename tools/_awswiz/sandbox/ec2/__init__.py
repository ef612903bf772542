"""EC2 as AWS answers it where moto does not: instances, spot, capacity, AMIs, offerings, VPC and
security-group rules."""
