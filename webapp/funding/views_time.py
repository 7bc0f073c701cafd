"""(placeholder, filled by the funding work)."""
