"""Authorization matrix entries for /parrainage/ (yearly); merged into
``tests.test_authz_matrix.EXPECTED``. ``add(app, world)`` gives the matrix world the
records these routes need (ids added to ``world["ids"]``).

The State's yearly table is protected by statistical secrecy: every account reads it
(an ml account its own column and the region), anonymous visitors are sent to sign in."""

from __future__ import annotations

LOGIN, OK, REDIRECT, FORBIDDEN, NOT_FOUND, UNPROCESSABLE = "login", 200, 302, 403, 404, 422

EVERYONE = {"anon": LOGIN, "*": OK}

EXPECTED: dict[str, tuple[str, dict, dict[str, object]]] = {
    "mentoring.yearly": ("GET", {}, EVERYONE),
    "mentoring.yearly_export": ("GET", {"fmt": "xlsx"}, EVERYONE),
}


def add(app, world) -> None:
    return None
