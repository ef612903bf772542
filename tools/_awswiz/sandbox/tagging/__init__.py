"""The Resource Groups Tagging API where moto falls short: a bucket in its own region only."""
