"""The local AWS sandbox: moto in server mode, fronted by a few answers moto lacks, seeded with a lab.

Only tools/sandbox.py imports this package (it alone declares moto)."""
