"""The AWS Price List Query API over the sandbox's price model (../prices.py)."""
