"""Orders (issue 5)."""
