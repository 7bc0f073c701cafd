"""Funder activity reports: what each funder's money paid for, archived version by version."""
