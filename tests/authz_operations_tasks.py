"""Authorization matrix entries for the admin's operations pages; merged into
``tests.test_authz_matrix.EXPECTED``. ``add(app, world)`` gives the matrix world the
records these routes need."""

from __future__ import annotations

LOGIN, OK, REDIRECT, FORBIDDEN, NOT_FOUND, UNPROCESSABLE = "login", 200, 302, 403, 404, 422

ADMIN_OK = {"anon": LOGIN, "admin": OK, "*": FORBIDDEN}

EXPECTED: dict[str, tuple[str, dict, dict[str, object]]] = {
    "admin.tasks": ("GET", {}, ADMIN_OK),
    "admin.task_history": ("GET", {"name": "courriels"}, ADMIN_OK),
    # the test app runs jobs inline: the mail job (no SMTP server) runs, back to its page
    "admin.task_run": ("POST", {"name": "courriels"},
                       {"anon": LOGIN, "admin": REDIRECT, "*": FORBIDDEN}),
}


def add(app, world) -> None:
    return None
