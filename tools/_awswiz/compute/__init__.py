"""Floor 4, boxes: quotas, prices, AMIs, keys, SSH, user data, launch plan and run, instance rules. (README.md,
Layout: the floor plan.)
"""
