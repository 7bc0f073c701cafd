"""The network of missions locales (read side; editing arrives with later issues)."""

from __future__ import annotations

from flask import render_template, request
from flask_login import current_user

from models.accounts.queries import accounts_of_mission_locale
from models.network.orm import MissionLocale
from models.network.queries import departements_in_use, missions_locales_stmt
from models.policy import can
from webapp.access import access, ensure
from webapp.extensions import db
from webapp.listing import list_page
from webapp.network import bp

SORTABLE = {
    "nom": MissionLocale.name,
    "code": MissionLocale.code,
    "departement": MissionLocale.departement,
    "commune": MissionLocale.commune,
}


@bp.route("/")
@access("network.view")
def index():
    active_arg = request.args.get("statut", "actives")
    active = {"actives": True, "inactives": False}.get(active_arg)
    stmt = missions_locales_stmt(
        current_user,
        search=request.args.get("q", ""),
        departement=request.args.get("departement", ""),
        active=active,
    )
    listing = list_page(stmt, SORTABLE, "nom", tiebreak=MissionLocale.id)
    return render_template(
        "network/index.html",
        listing=listing,
        departements=departements_in_use(db.session, current_user),
        statut=active_arg,
    )


@bp.route("/<int:ml_id>")
@access("home.view")
def detail(ml_id: int):
    ml = db.session.get(MissionLocale, ml_id)
    ensure(ml is not None and can(current_user, "mission_locale.view", ml))
    accounts = []
    if can(current_user, "users.view"):
        accounts = accounts_of_mission_locale(db.session, ml.id)
    return render_template("network/detail.html", ml=ml, accounts=accounts)
