"""AWS Budgets where moto falls short."""
