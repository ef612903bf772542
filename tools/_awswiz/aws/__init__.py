"""Floor 2, the only owner of boto3: clients (sessions, retries, timeouts, the audit hook), fan-out, shards, lean
parsing. (README.md, Layout: the floor plan.)
"""
