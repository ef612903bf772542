"""Imports every module that registers sandbox handlers; each issue adds its own line."""
