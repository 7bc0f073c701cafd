"""Staff-time justification (``/financements/temps``): hours per person, action and month,
the monthly sign-off (the person, then the director) and the ESF-style monthly PDF."""

from __future__ import annotations

import re
import unicodedata
from datetime import date

from flask import Response, flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms import HiddenField

from models import clock
from models.errors import ValidationFailed
from models.funding import timesheet_queries, timesheets
from models.money import AmountError, parse_decimal
from models.programme import queries as programme_queries
from models.programme.orm import Action, TeamMember
from models.programme.queries import current_programme, programmes, team
from webapp.access import access, ensure
from webapp.extensions import db
from webapp.forms_common import Form, db_int, optional_int
from webapp.funding import bp
from webapp.pdf.timesheet import timesheet_pdf
from webapp.unit_of_work import attempt, flash_form_errors

CELL = re.compile(r"^h_(\d+)_(\d{4})-(\d{2})$")
NEW_CELL = re.compile(r"^n_(\d{4})-(\d{2})$")


class TimeForm(Form):
    """A POST carrying only its CSRF token (and, for signatures, the role)."""

    role = HiddenField()


class ImportForm(Form):
    year = HiddenField()
    member_id = HiddenField()


def _member_or_404(member_id: int) -> TeamMember:
    member = db.session.get(TeamMember, member_id)
    ensure(member is not None)
    return member


def _month_or_404(year: int, month: int) -> date:
    ensure(2000 <= year <= 2100 and 1 <= month <= 12)
    return date(year, month, 1)


def _grid_url(member_id: int, year: int, anchor: str | None = None) -> str:
    return url_for("funding.time_grid", member_id=member_id, year=year, _anchor=anchor)


@bp.route("/temps")
@access("timesheet.manage")
def time_index():
    """Choose a person and a year; every person's months against their contract."""
    current = current_programme(db.session, clock.today())
    year = (request.args.get("annee", type=db_int)
            or (current.year if current else clock.today().year))
    ensure(2000 <= year <= 2100)
    member_id = request.args.get("membre", type=db_int)
    if member_id:
        return redirect(_grid_url(_member_or_404(member_id).id, year))
    years = sorted({p.year for p in programmes(db.session)} | {year}, reverse=True)
    programme = timesheets.programme_of_year(db.session, year)
    return render_template(
        "funding/time_index.html", year=year, years=years, programme=programme,
        people=timesheet_queries.overview(db.session, year), months=timesheets.year_months(year),
        month_names=timesheets.MONTHS_FR,
        import_form=ImportForm(year=str(year), member_id=""))


def _render_grid(member: TeamMember, year: int, typed: dict[str, str] | None = None,
                 bad: set[str] | None = None):
    grid = timesheet_queries.timesheet(db.session, member, year)
    programme = grid.programme
    editable = programme is not None and not programme.is_closed
    shown = {a.id for a in grid.actions}
    others = [a for a in _programme_actions(programme) if a.id not in shown] if editable else []
    return render_template(
        "funding/time_grid.html", grid=grid, member=member, year=year, programme=programme,
        editable=editable, typed=typed or {}, bad=bad or set(), other_actions=others,
        month_names=timesheets.MONTHS_FR, form=TimeForm(),
        import_form=ImportForm(year=str(year), member_id=str(member.id)),
        members=team(db.session, year=year))


def _programme_actions(programme) -> list[Action]:
    if programme is None:
        return []
    return programme_queries.programme_actions(db.session, programme.id)


def _posted_cells(actions: dict[int, Action], year: int) -> dict[str, tuple[Action, date, str]]:
    """The grid's inputs, by input name: ``h_<action>_<yyyy-mm>`` for the rows shown,
    ``n_<yyyy-mm>`` for the extra row whose action is chosen in ``new_action``."""
    new_action = actions.get(request.form.get("new_action", type=db_int) or 0)
    found = {}
    for key, raw in request.form.items():
        match, extra = CELL.match(key), NEW_CELL.match(key)
        if match:
            action, (y, m) = actions.get(db_int(match.group(1))), map(db_int, match.groups()[1:])
        elif extra and new_action is not None and raw.strip():
            action, (y, m) = new_action, map(int, extra.groups())
        else:
            continue
        if action is not None and y == year and 1 <= m <= 12:
            found[key] = (action, date(y, m, 1), raw)
    return found


@bp.route("/temps/<int:member_id>/<int:year>")
@access("timesheet.manage")
def time_grid(member_id: int, year: int):
    ensure(2000 <= year <= 2100)
    return _render_grid(_member_or_404(member_id), year)


@bp.route("/temps/<int:member_id>/<int:year>/enregistrer", methods=["POST"])
@access("timesheet.manage")
def time_save(member_id: int, year: int):
    """Save the whole grid: only the cells whose value changed are written."""
    member = _member_or_404(member_id)
    ensure(2000 <= year <= 2100)
    form = TimeForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
        return redirect(_grid_url(member.id, year))
    programme = timesheets.programme_of_year(db.session, year)
    ensure(programme is not None)
    actions = {a.id: a for a in _programme_actions(programme)}
    posted = _posted_cells(actions, year)
    typed = {key: raw for key, (_, _, raw) in posted.items()}
    typed["new_action"] = request.form.get("new_action", "")
    cells: dict[tuple[Action, date], object] = {}
    keys: dict[str, str] = {}  # the domain's cell key → the input's name
    bad: set[str] = set()
    for key, (action, month, raw) in posted.items():
        keys[f"h_{action.id}_{month:%Y-%m}"] = key
        try:
            cells[(action, month)] = parse_decimal(raw, places=2)
        except AmountError as exc:
            bad.add(key)
            flash(f"« {action.title} », {timesheets.month_label(month)} : {exc}", "danger")
    if bad:
        return _render_grid(member, year, typed, bad)
    done = attempt(lambda: timesheets.save_grid(db.session, current_user, member, cells))
    if not done.ok:
        errors = done.error.errors if isinstance(done.error, ValidationFailed) else {}
        return _render_grid(member, year, typed, {keys.get(k, k) for k in errors})
    flash(f"{done.value} case(s) modifiée(s)." if done.value else "Aucune modification.",
          "success" if done.value else "info")
    return redirect(_grid_url(member.id, year))


@bp.route("/temps/pre-remplir", methods=["POST"])
@access("timesheet.manage")
def time_import():
    """Pre-fill empty cells from the staff allocations (one person, or the whole team)."""
    form = ImportForm()
    year = optional_int(form.year.data)
    member_id = optional_int(form.member_id.data)
    back = (_grid_url(member_id, year) if member_id and year
            else url_for("funding.time_index", annee=year))
    if not form.validate_on_submit():
        flash_form_errors(form)
        return redirect(back)
    programme = timesheets.programme_of_year(db.session, year) if year else None
    if programme is None:
        flash("Aucun programme pour cette année : rien à pré-remplir.", "warning")
        return redirect(back)
    if member_id is not None:
        _member_or_404(member_id)
    done = attempt(lambda: timesheets.import_from_allocations(
        db.session, current_user, programme, member_id=member_id), label="Pré-remplissage")
    if done.ok:
        result = done.value
        if result.created:
            flash(f"{result.created} case(s) pré-remplie(s) à partir des jours affectés aux "
                  "actions (les heures déjà saisies et les mois signés n'ont pas été modifiés).",
                  "success")
        elif not result.skipped:
            flash("Rien à pré-remplir : les cases correspondant aux affectations sont déjà "
                  "saisies ou signées.", "info")
        if result.skipped:
            flash("Mois non pré-remplis, car ils dépasseraient le temps contractuel (réduisez "
                  "les jours affectés ou saisissez-les à la main) : "
                  + " ; ".join(map(str, result.skipped)) + ".", "warning")
    return redirect(back)


@bp.route("/temps/<int:member_id>/<int:year>/<int:month>/signer", methods=["POST"])
@access("timesheet.manage")
def time_sign(member_id: int, year: int, month: int):
    member = _member_or_404(member_id)
    first = _month_or_404(year, month)
    form = TimeForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
    elif attempt(lambda: timesheets.sign(db.session, current_user, member, first,
                                         form.role.data or ""), label="Signature").ok:
        who = "la direction" if form.role.data == timesheets.DIRECTION else member.full_name
        flash(f"Feuille de {timesheets.month_label(first)} signée pour {who}.", "success")
    return redirect(_grid_url(member.id, year, f"mois-{month}"))


@bp.route("/temps/<int:member_id>/<int:year>/<int:month>/retirer-signatures",
          methods=["POST"])
@access("timesheet.direction")
def time_unsign(member_id: int, year: int, month: int):
    member = _member_or_404(member_id)
    first = _month_or_404(year, month)
    form = TimeForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
    elif attempt(lambda: timesheets.unsign(db.session, current_user, member, first,
                                           form.role.data or None), label="Signature").ok:
        flash(f"Signature(s) de {timesheets.month_label(first)} retirée(s) : la feuille peut "
              "être corrigée, puis signée à nouveau.", "success")
    return redirect(_grid_url(member.id, year, f"mois-{month}"))


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-") or "personne"


@bp.route("/temps/<int:member_id>/<int:year>/<int:month>.pdf", endpoint="timesheet_pdf")
@access("timesheet.manage")
def timesheet_pdf_view(member_id: int, year: int, month: int):
    member = _member_or_404(member_id)
    sheet = timesheet_queries.month_sheet(db.session, member, _month_or_404(year, month))
    body = timesheet_pdf(sheet, clock.now())
    filename = f"feuille-de-temps-{_slug(member.full_name)}-{year}-{month:02d}.pdf"
    return Response(body, mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{filename}"'})

