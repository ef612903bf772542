"""Elastic Load Balancing (v2) where moto falls short: addresses, deletion protection."""
