"""STS where moto is too kind: entering a member account of the sandbox Organization."""
