"""Cost Explorer: the lab's ledger and the answers computed from it."""
