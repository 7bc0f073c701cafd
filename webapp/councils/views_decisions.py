"""The decision register: list with filters and exports, one decision's page and its
status changes."""

from __future__ import annotations

from flask import render_template
from flask_login import current_user

from models.councils.orm import Decision
from models.policy import can
from webapp.access import access, ensure
from webapp.councils import bp
from webapp.extensions import db


@bp.route("/decisions/<int:decision_id>")
@access("decisions.view")
def decision_detail(decision_id: int):
    decision = db.session.get(Decision, decision_id)
    ensure(decision is not None and can(current_user, "decisions.view", decision))
    return render_template("councils/decision_detail.html", decision=decision)
