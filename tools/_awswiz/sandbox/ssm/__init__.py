"""Systems Manager: the public parameters AWS publishes under /aws/service/ (Deep Learning AMIs)."""
