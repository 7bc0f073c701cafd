"""The regional quality table, the charter and the admin's thresholds.

The table reads stored aggregates (one line per mission locale, ~45 in a region), so it
sorts and filters in memory: no pagination needed, every column sortable.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from models.errors import ConcurrentEdit
from models.parcours import queries
from models.parcours.charter import DIMENSION_LABELS, SEVERITY_LABELS
from models.parcours.rules import AMBER, GREEN, NONE, RED, STATUS_LABELS
from models.parcours.services import quality_settings, update_settings
from models.policy import can
from webapp.access import access, ensure, recent_password
from webapp.extensions import db
from webapp.forms_common import version_of
from webapp.quality import bp
from webapp.quality.charter_text import describe_params
from webapp.quality.common import today
from webapp.quality.forms import ObservatorySettingsForm, SettingsForm
from webapp.unit_of_work import attempt

STATUS_ORDER = {RED: 0, AMBER: 1, GREEN: 2, NONE: 3}
INDEX_KEYS = ("tri", "ordre", "statut", "departement", "anciennes")


@dataclass
class SortState:
    """What ``_macros.sort_header`` needs from a listing, for a list sorted in memory."""

    sort: str
    direction: str
    args: dict[str, str] = field(default_factory=dict)


def _sort_key(key: str):
    if key in ("code", "nom", "departement"):
        attr = {"code": "code", "nom": "name", "departement": "departement"}[key]
        return lambda ln: getattr(ln, attr).lower()
    if key == "periode":
        return lambda ln: ln.period_end
    if key == "jeunes":
        return lambda ln: ln.jeunes if ln.extract_id else None
    if key == "score":
        return lambda ln: ln.score
    if key == "evolution":
        return lambda ln: ln.trend
    if key == "statut":
        return lambda ln: STATUS_ORDER[ln.status]
    return lambda ln: ln.rate(key)  # a rule code: share of young people affected


def sort_lines(lines: list[queries.MlQuality], key: str, direction: str,
               ) -> list[queries.MlQuality]:
    """Sorted by ``key``; lines without a value (no extract) always come last."""
    get = _sort_key(key)
    present = [ln for ln in lines if get(ln) is not None]
    missing = [ln for ln in lines if get(ln) is None]
    present.sort(key=lambda ln: (get(ln), ln.code), reverse=direction == "desc")
    return present + sorted(missing, key=lambda ln: ln.code)


@bp.route("/")
@access("quality.view")
def index():
    if not can(current_user, "quality.region"):
        # an ml account has one mission locale: its own page is its quality area
        ensure(current_user.mission_locale_id is not None)
        return redirect(url_for("quality.ml_detail", ml_id=current_user.mission_locale_id))
    lines = queries.regional_table(db.session, current_user, today=today())
    rules = queries.charter_rules(db.session)
    sortable = {"code", "nom", "departement", "periode", "jeunes", "score", "evolution",
                "statut", *(r.code for r in rules)}
    sort = request.args.get("tri", "code")
    sort = sort if sort in sortable else "code"
    direction = request.args.get("ordre", "asc")
    direction = direction if direction in ("asc", "desc") else "asc"
    status = request.args.get("statut", "")
    departement = request.args.get("departement", "")
    stale_only = request.args.get("anciennes") == "1"
    shown = [ln for ln in lines
             if (not status or ln.status == status)
             and (not departement or ln.departement == departement)
             and (not stale_only or ln.stale)]
    # only the page's own keys reach url_for (``?endpoint=`` or ``?_method=`` would break it)
    args = {k: v for k, v in request.args.items() if k in INDEX_KEYS}
    return render_template(
        "quality/index.html", lines=sort_lines(shown, sort, direction), total=len(lines),
        summary=queries.regional_summary(lines), rules=rules,
        listing=SortState(sort, direction, args), settings=quality_settings(db.session),
        departements=sorted({ln.departement for ln in lines}), status_labels=STATUS_LABELS,
        filtered=bool(status or departement or stale_only))


@bp.route("/charte")
@access("quality.view")
def charter():
    versions = queries.charter_versions(db.session)
    number = request.args.get("version", type=int)
    version = next((v for v in versions if v.number == number), None) if number else None
    version = version or (versions[0] if versions else None)
    rules = list(version.rules) if version is not None else []
    return render_template(
        "quality/charter.html", versions=versions, version=version, rules=rules,
        params={r.code: describe_params(r.kind, r.params) for r in rules},
        dimensions=DIMENSION_LABELS, severities=SEVERITY_LABELS)


def _settings_args(form: SettingsForm) -> dict[str, Any]:
    return {"green_min": form.green_min.data, "amber_min": form.amber_min.data,
            "stale_days": form.stale_days.data}


@bp.route("/seuils", methods=["GET", "POST"])
@access("quality.settings")
@recent_password
def settings():
    current = quality_settings(db.session)
    form = SettingsForm()
    if request.method == "GET":
        form.green_min.data, form.amber_min.data = current.green_min, current.amber_min
        form.stale_days.data = current.stale_days
        form.version_id.data = str(current.version_id)
    elif form.validate_on_submit():
        done = attempt(lambda: update_settings(
            db.session, actor=current_user, **_settings_args(form),
            expected_version=version_of(form.version_id.data)), form=form)
        if isinstance(done.error, ConcurrentEdit):
            fresh = quality_settings(db.session)
            flash("Un·e autre administrateur·rice a modifié les seuils entre-temps : vert "
                  f"{_pct(fresh.green_min)}, orange {_pct(fresh.amber_min)}, "
                  f"{fresh.stale_days} jours. Votre saisie est conservée ci-dessous : "
                  "enregistrez-la de nouveau pour la confirmer.", "info")
            form.version_id.data = str(fresh.version_id)
        if done.ok:
            flash("Seuils enregistrés : les statuts des missions locales sont recalculés.",
                  "success")
            return redirect(url_for("quality.index"))
    return render_template("quality/settings.html", form=form, current=current)


def _pct(value: Decimal) -> str:
    from models.formatting import format_number

    return f"{format_number(value, digits=2 if value != value.to_integral() else 0)} %"


@bp.route("/observatoire", methods=["GET", "POST"])
@access("observatory.settings")
@recent_password
def observatory_settings():
    """The secrecy threshold k and the JDI window of the regional observatory."""
    from models.observatory.aggregates import recompute
    from models.observatory.queries import clear_cache
    from models.observatory.services import observatory_settings as current_settings
    from models.observatory.services import update_settings as update_observatory

    current = current_settings(db.session)
    form = ObservatorySettingsForm()
    if request.method == "GET":
        form.threshold.data, form.jdi_months.data = str(current.threshold), \
            str(current.jdi_months)
        form.version_id.data = str(current.version_id)
    elif form.validate_on_submit():
        done = attempt(lambda: update_observatory(
            db.session, actor=current_user, threshold=form.threshold.data,
            jdi_months=form.jdi_months.data,
            expected_version=version_of(form.version_id.data)), form=form)
        if isinstance(done.error, ConcurrentEdit):
            fresh = current_settings(db.session)
            flash("Un·e autre administrateur·rice a modifié ces réglages entre-temps "
                  f"(k = {fresh.threshold}, fenêtre JDI {fresh.jdi_months} mois). Votre saisie "
                  "est conservée ci-dessous : enregistrez-la de nouveau pour la confirmer.",
                  "info")
            form.version_id.data = str(fresh.version_id)
        if done.ok:
            settings, window_changed = done.value
            if window_changed:  # JDI counts are stored: rebuild them from the rows
                recompute(db.engine, jdi_months=settings.jdi_months)
            clear_cache()
            flash(f"Réglages enregistrés : seuil k = {settings.threshold}, fenêtre JDI "
                  f"{settings.jdi_months} mois. L'observatoire est recalculé.", "success")
            return redirect(url_for("quality.observatory_settings"))
    return render_template("quality/observatory_settings.html", form=form, current=current)
