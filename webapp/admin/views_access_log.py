"""/admin/acces: who viewed or exported a mission locale's youth-level data (admins only).

Filters by mission locale, person, kind (consultation / export) and date range (French
local days, both ends included); newest first, paginated. A bad date or id typed in the
address is ignored with a French notice, never an error page.
"""

from __future__ import annotations

from datetime import date, datetime

from flask import render_template, request
from sqlalchemy import select

from models.accounts.orm import User
from models.accounts.roles import Role
from models.network.orm import MissionLocale
from models.network.queries import mission_locale_choices
from models.operations.access_log import KIND_LABELS, AccessFilters, access_select, people_in_log
from models.operations.orm import DataAccess
from models.operations.retention import RetentionSettings
from webapp.access import access
from webapp.admin import bp
from webapp.extensions import db
from webapp.listing import list_page

SORTABLE = {"date": DataAccess.occurred_at}


def _date_arg(name: str, label: str, problems: list[str]) -> date | None:
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(raw, fmt).date()
        except ValueError:
            continue
    problems.append(f"« {raw[:20]} » n'est pas une date ({label}, JJ/MM/AAAA) : "
                    "ce filtre est ignoré.")
    return None


def _int_arg(name: str) -> int | None:
    raw = request.args.get(name, "").strip()
    return int(raw) if raw.isdigit() and len(raw) < 10 else None


def role_label(value: str) -> str:
    try:
        return Role(value).label
    except ValueError:
        return value


@bp.route("/acces")
@access("access_log.view")
def access_log():
    problems: list[str] = []
    kind = request.args.get("type", "")
    start = _date_arg("du", "du", problems)
    end = _date_arg("au", "au", problems)
    if start and end and end < start:
        problems.append("La date de fin précède la date de début : aucun accès ne peut "
                        "correspondre.")
    filters = AccessFilters(mission_locale_id=_int_arg("ml"), user_id=_int_arg("personne"),
                            kind=kind if kind in KIND_LABELS else None, start=start, end=end)
    listing = list_page(access_select(filters), SORTABLE, "date", default_direction="desc",
                        tiebreak=DataAccess.id.desc())
    items = listing.items
    ml_ids = {a.mission_locale_id for a in items if a.mission_locale_id is not None}
    ml_names = dict(db.session.execute(select(MissionLocale.id, MissionLocale.name).where(
        MissionLocale.id.in_(ml_ids))).all()) if ml_ids else {}
    user_ids = {a.user_id for a in items if a.user_id is not None}
    user_names = dict(db.session.execute(select(User.id, User.full_name).where(
        User.id.in_(user_ids))).all()) if user_ids else {}
    filtered = any(request.args.get(k) for k in ("ml", "personne", "type", "du", "au"))
    try:
        kept_days: int | None = RetentionSettings.from_env().data_access_days
    except RuntimeError:
        kept_days = None
    return render_template(
        "admin/access_log.html", listing=listing, ml_names=ml_names, user_names=user_names,
        mls=mission_locale_choices(db.session), people=people_in_log(db.session),
        kinds=KIND_LABELS, role_label=role_label, problems=problems, filtered=filtered,
        kept_days=kept_days)
