"""Authorization matrix entries for the councils area (projects); merged into
``tests.test_authz_matrix.EXPECTED``. ``add(app, world)`` adds the objects these routes
need to the matrix's ``full_world`` (their ids into ``world["ids"]``)."""

from __future__ import annotations

EXPECTED: dict[str, tuple[str, dict, dict[str, object]]] = {}


def add(app, world) -> None:
    """Nothing yet."""
