"""Audit trail: who changed what, when, from any entry point."""

from models.audit.context import set_actor

__all__ = ["set_actor"]
