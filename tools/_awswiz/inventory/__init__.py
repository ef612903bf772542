"""Floor 3, what the account holds: the resource-type table, the collector that fans it out, instance-type specs,
security-group rule reading. (README.md, Layout: the floor plan.)
"""
