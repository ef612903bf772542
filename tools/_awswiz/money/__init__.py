"""Floor 5, Cost Explorer, burn rate, waste, fellows, statements, reports. (README.md, Layout: the floor plan.)"""
