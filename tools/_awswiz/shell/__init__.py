"""Floor 1, no AWS: errors, settings, deadline, state, cache, hints, the sandbox's address; the screen (output,
fit, progress). (README.md, Layout: the floor plan.)
"""
