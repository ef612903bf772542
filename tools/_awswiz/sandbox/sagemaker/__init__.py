"""SageMaker where moto falls short: notebook instance ARNs."""
