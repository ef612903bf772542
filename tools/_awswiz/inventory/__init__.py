"""Floor 3, what the account holds: the resource types (types/, one file each, walked by table.py), the collector
that fans them out, instance-type specs, security-group rule reading. (README.md, Layout: the floor plan.)
"""
