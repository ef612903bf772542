"""Cost Explorer: the answers computed from the lab's ledger (../ledger.py, which Budgets reads too)."""
