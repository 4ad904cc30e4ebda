"""Valuations (issue 5)."""
