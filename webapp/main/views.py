"""Home page, accessibility statement and health check."""

from __future__ import annotations

from datetime import date

from flask import current_app, jsonify, render_template
from flask_login import current_user
from sqlalchemy import text

from models.accounts.queries import active_accounts_count
from models.accounts.roles import Role
from models.network.queries import current_region, network_summary
from models.policy import can
from webapp.access import access, public
from webapp.extensions import db
from webapp.main import bp


@bp.route("/")
@access("home.view")
def home():
    session = db.session
    stats = {}
    if can(current_user, "network.view"):
        summary = network_summary(session, current_user)
        stats["ml_active"], stats["departements"] = summary.active, summary.departements
    if can(current_user, "users.view"):
        stats["users_active"] = active_accounts_count(session)
    guest_meetings = []
    if current_user.role == Role.FINANCEUR:  # a funder invited as a guest to a council
        from models.councils.queries import guest_meetings as invited_to

        guest_meetings = invited_to(session, current_user)
    return render_template(
        "main/home.html",
        region=current_region(session),
        stats=stats,
        guest_meetings=guest_meetings,
        my_ml=current_user.mission_locale if current_user.role == Role.ML else None,
        dashboard_url=current_app.config["DASHBOARD_URL"],
    )


# The date of the statement: update it with each new audit (RGAA: "établie le").
ACCESSIBILITY_STATEMENT_DATE = date(2026, 12, 3)


@bp.route("/accessibilite")
@public
def accessibility():
    """The RGAA accessibility statement: public, linked from the footer of every page."""
    region = current_region(db.session)
    return render_template(
        "main/accessibility.html",
        arml_name=region.arml_name if region else None,
        contact=(current_app.config.get("ACCESSIBILITY_CONTACT") or "").strip() or None,
        statement_date=ACCESSIBILITY_STATEMENT_DATE,
    )


@bp.route("/healthz")
@public
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
        status, code = "ok", 200
    except Exception:  # noqa: BLE001 - a health check reports, it does not raise
        db.session.rollback()
        status, code = "indisponible", 503
    return jsonify({
        "status": "ok" if code == 200 else "degraded",
        "database": {"status": status, "backend": db.engine.dialect.name},
    }), code
