"""The demo lab: what a fresh sandbox holds, seeded through the API (and into moto where the API cannot)."""
