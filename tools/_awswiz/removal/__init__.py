"""Floor 5, taking things away: removers (one per type), teardown orders (VPC, S3), expiry, schedules, policy,
reap. (README.md, Layout: the floor plan.)
"""
