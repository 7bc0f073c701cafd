"""Authorization matrix entries for the admin's operations pages; merged into
``tests.test_authz_matrix.EXPECTED``. ``add(app, world)`` gives the matrix world the
records these routes need."""

from __future__ import annotations

LOGIN, OK, REDIRECT, FORBIDDEN, NOT_FOUND, UNPROCESSABLE = "login", 200, 302, 403, 404, 422

ADMIN_OK = {"anon": LOGIN, "admin": OK, "*": FORBIDDEN}

EXPECTED: dict[str, tuple[str, dict, dict[str, object]]] = {
    # who viewed or exported youth-level data: the admins only
    "admin.access_log": ("GET", {}, ADMIN_OK),
}


def add(app, world) -> None:
    """Two rows in the access log (a consultation and an export), so pages that list it
    (accessibility checks) show its table, not only its empty state."""
    from models.accounts.orm import User
    from models.operations.access_log import record_access
    from webapp.extensions import db

    ids = world["ids"]
    with app.app_context():
        s = db.session
        record_access(s, s.get(User, ids["ml"]), mission_locale_id=ids["ml_a"],
                      kind="consultation", what="anomalies, extraction du 01/01/2026 au "
                      "30/09/2026")
        record_access(s, s.get(User, ids["animateur"]), mission_locale_id=ids["ml_b"],
                      kind="export", what="export CSV des anomalies, extraction du "
                      "01/01/2026 au 30/09/2026")
        s.commit()
