"""Floor 4, the security checks: the check table, one module per service, fixes, SARIF. (README.md, Layout: the
floor plan.)
"""
