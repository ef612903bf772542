"""Floor 6, the scan's findings and view. (README.md, Layout: the floor plan.)"""
