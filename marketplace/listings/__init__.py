"""Listings (issue 5)."""
