"""Actions of a programme: filtered list, detail, edit, and their items
(deliverables, indicators, budget lines, staff time)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from models.audit.queries import history_of
from models.errors import ConcurrentEdit
from models.network.orm import MissionLocale
from models.policy import can
from models.programme import queries
from models.programme.computed import describe
from models.programme.enums import ActionStatus
from models.programme.items import (
    AllocationData,
    BudgetLineData,
    DeliverableData,
    IndicatorData,
    delete_item,
    save_item,
)
from models.programme.orm import Action, BudgetLine, Deliverable, Indicator, StaffAllocation
from models.programme.rules import ProgrammeReadOnly, ensure_editable, etp_to_days
from models.programme.services import (
    ActionData,
    create_action,
    delete_action,
    update_action,
)
from webapp.access import access, ensure
from webapp.extensions import db
from webapp.forms_common import db_int, lines, version_of
from webapp.listing import list_page
from webapp.programme import bp
from webapp.programme.common import (
    action_or_404,
    member_choices,
    ml_choices,
    objective_choices,
    programme_or_404,
    today,
)
from webapp.programme.forms import (
    ActionForm,
    AllocationForm,
    BudgetLineForm,
    DeleteActionForm,
    DeliverableForm,
    EmptyForm,
    IndicatorForm,
)
from webapp.unit_of_work import attempt, flash_form_errors


@bp.route("/<int:programme_id>/actions")
@access("programme.view")
def actions(programme_id: int):
    programme = programme_or_404(programme_id)
    args = request.args
    stmt = queries.actions_stmt(
        current_user, programme.id, today=today(),
        axis=args.get("axe", type=db_int), objective_id=args.get("objectif", type=db_int),
        status=args.get("statut", ""), pilot_id=args.get("pilote", type=db_int),
        mission_locale_id=args.get("ml", type=db_int), late=args.get("retard") == "1",
        search=args.get("q", ""))
    listing = list_page(stmt, queries.ACTION_SORTS, "objectif", tiebreak=Action.id)
    overview_reader = can(current_user, "programme.overview")
    return render_template(
        "programme/actions.html", programme=programme, listing=listing,
        objectives=queries.objectives(db.session), statuses=list(ActionStatus),
        members=queries.team(db.session) if overview_reader else [],
        missions_locales=ml_choices() if overview_reader else [], today=today())


def _action_form(programme, **kwargs) -> ActionForm:
    return ActionForm(objectives=objective_choices(), members=member_choices(programme.year),
                      missions_locales=ml_choices(), **kwargs)


def _action_data(form: ActionForm) -> ActionData:
    return ActionData(
        objective_id=form.objective_id.data, title=form.title.data or "",
        description=form.description.data or "", pilot_id=form.pilot_id.data,
        start_date=form.start_date.data, end_date=form.end_date.data,
        status=form.status.data or "", status_reason=form.status_reason.data or "",
        out_of_year_reason=form.out_of_year_reason.data or "",
        partners=lines(form.partners.data), mission_locale_ids=form.mission_locale_ids.data or [],
        amendment_reason=form.amendment_reason.data or "")


def _closed_guard(programme) -> bool:
    """Refuse the form of a closed programme up front, with the domain's own message."""
    try:
        ensure_editable(programme)
    except ProgrammeReadOnly as exc:
        flash(str(exc), "warning")
        return True
    return False


@bp.route("/<int:programme_id>/actions/nouvelle", methods=["GET", "POST"])
@access("programme.manage")
def action_new(programme_id: int):
    programme = programme_or_404(programme_id)
    if _closed_guard(programme):
        return redirect(url_for("programme.detail", programme_id=programme.id))
    form = _action_form(programme)
    if request.method == "GET" and request.args.get("objectif", type=db_int):
        form.objective_id.data = request.args.get("objectif", type=db_int)
    if form.validate_on_submit():
        done = attempt(lambda: create_action(db.session, current_user, programme,
                                             _action_data(form)), form=form)
        if done.ok:
            action = done.value
            flash(f"Action « {action.title} » créée. Ajoutez ses livrables, indicateurs, "
                  "budget et temps de l'équipe.", "success")
            return redirect(url_for("programme.action_detail", action_id=action.id))
    return render_template("programme/action_form.html", form=form, programme=programme,
                           action=None)


@bp.route("/actions/<int:action_id>/modifier", methods=["GET", "POST"])
@access("programme.manage")
def action_edit(action_id: int):
    action = action_or_404(action_id)
    programme = action.programme
    if _closed_guard(programme):
        return redirect(url_for("programme.action_detail", action_id=action.id))
    form = _action_form(programme, obj=action if request.method == "GET" else None)
    if request.method == "GET":
        form.status.data = ActionStatus(action.status).value
        form.partners.data = "\n".join(action.partners or [])
        form.mission_locale_ids.data = [link.mission_locale_id for link in action.ml_links]
        form.version_id.data = str(action.version_id)
    elif form.validate_on_submit():
        done = attempt(lambda: update_action(
            db.session, current_user, action, _action_data(form),
            expected_version=version_of(form.version_id.data)), form=form)
        if isinstance(done.error, ConcurrentEdit):
            flash("Votre saisie est conservée ci-dessous : comparez-la avec la version "
                  "actuelle avant d'enregistrer à nouveau.", "info")
            form.version_id.data = str(db.session.get(Action, action_id).version_id)
        if done.ok:
            flash("Action enregistrée.", "success")
            return redirect(url_for("programme.action_detail", action_id=action.id))
    return render_template("programme/action_form.html", form=form, programme=programme,
                           action=action)


@bp.route("/actions/<int:action_id>")
@access("programme.view")
def action_detail(action_id: int):
    action = action_or_404(action_id)
    programme = action.programme
    full = can(current_user, "programme.overview")
    manage = can(current_user, "programme.manage") and not programme.is_closed
    members = member_choices(programme.year)
    planned, actual = queries.action_budget(action)
    return render_template(
        "programme/action_detail.html", action=action, programme=programme, full=full,
        manage=manage, today=today(), planned=planned, actual=actual,
        computed={i.id: describe(db.session, i) for i in action.indicators if i.source},
        source_choices=_source_choices() if manage else [],
        forms={kind: spec.form(members, kind) for kind, spec in ITEMS.items()},
        members=members, delete_form=DeleteActionForm(), row_form=EmptyForm(),
        history=history_of(db.session, Action.__tablename__, action.id)[:15] if full else [],
        missions_locales=sorted((link.mission_locale for link in action.ml_links),
                                key=lambda ml: ml.name) if full else _own_ml(action))


def _own_ml(action: Action) -> list[MissionLocale]:
    return [link.mission_locale for link in action.ml_links
            if link.mission_locale_id == current_user.mission_locale_id]


@bp.route("/actions/<int:action_id>/supprimer", methods=["POST"])
@access("programme.manage")
def action_delete(action_id: int):
    action = action_or_404(action_id)
    programme_id = action.programme_id
    form = DeleteActionForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
        return redirect(url_for("programme.action_detail", action_id=action_id))
    title = action.title
    if not attempt(lambda: delete_action(db.session, current_user, action,
                                         form.reason.data or "")).ok:
        return redirect(url_for("programme.action_detail", action_id=action_id))
    flash(f"Action « {title} » supprimée.", "success")
    return redirect(url_for("programme.actions", programme_id=programme_id))


# ---------------------------------------------------------------- items
@dataclass(frozen=True)
class ItemSpec:
    model: type
    form: Callable[[list, str], Any]
    data: Callable[[Any, Any], Any]
    noun: str


def _allocation_data(form: AllocationForm, action: Action) -> AllocationData:
    planned = form.planned.data
    if planned is not None and form.unit.data == "etp":
        planned = etp_to_days(planned, action.programme.etp_days)
    return AllocationData(member_id=form.member_id.data, planned_days=planned,
                          actual_days=form.actual_days.data)


ITEMS: dict[str, ItemSpec] = {
    "livrables": ItemSpec(
        Deliverable, lambda members, prefix: DeliverableForm(prefix=prefix),
        lambda f, a: DeliverableData(title=f.title.data or "", due_date=f.due_date.data,
                                     done_date=f.done_date.data), "Livrable"),
    "indicateurs": ItemSpec(
        Indicator, lambda members, prefix: IndicatorForm(prefix=prefix),
        lambda f, a: IndicatorData(name=f.name.data or "", unit=f.unit.data or "",
                                   target=f.target.data, achieved=f.achieved.data,
                                   comment=f.comment.data or ""), "Indicateur"),
    "budget": ItemSpec(
        BudgetLine, lambda members, prefix: BudgetLineForm(prefix=prefix),
        lambda f, a: BudgetLineData(category=f.category.data or "", label=f.label.data or "",
                                    planned=f.planned.data, actual=f.actual.data),
        "Ligne de budget"),
    "temps": ItemSpec(
        StaffAllocation, lambda members, prefix: AllocationForm(prefix=prefix, members=members),
        _allocation_data, "Temps de l'équipe"),
}


def _item_form(kind: str, action: Action, prefix: str):
    """The add form (prefix = kind) or one row's inline form (prefix = kind-id)."""
    return ITEMS[kind].form(member_choices(action.programme.year), prefix)


@bp.route("/actions/<int:action_id>/<kind>", methods=["POST"])
@access("programme.manage")
def item_add(action_id: int, kind: str):
    return _save(action_id, kind, None)


@bp.route("/actions/<int:action_id>/<kind>/<int:item_id>", methods=["POST"])
@access("programme.manage")
def item_update(action_id: int, kind: str, item_id: int):
    return _save(action_id, kind, item_id)


def _save(action_id: int, kind: str, item_id: int | None):
    ensure(kind in ITEMS)
    action = action_or_404(action_id)
    spec = ITEMS[kind]
    item = None
    if item_id is not None:
        item = db.session.get(spec.model, item_id)
        ensure(item is not None and item.action_id == action.id)
    form = _item_form(kind, action, kind if item is None else f"{kind}-{item_id}")
    anchor = f"#{kind}"
    if not form.validate_on_submit():
        flash_form_errors(form, spec.noun)
        return redirect(url_for("programme.action_detail", action_id=action.id) + anchor)
    if attempt(lambda: save_item(db.session, current_user, action, spec.data(form, action),
                                 item), label=spec.noun).ok:
        flash(f"{spec.noun} enregistré.", "success")
    return redirect(url_for("programme.action_detail", action_id=action.id) + anchor)


@bp.route("/actions/<int:action_id>/<kind>/<int:item_id>/supprimer", methods=["POST"])
@access("programme.manage")
def item_delete(action_id: int, kind: str, item_id: int):
    ensure(kind in ITEMS)
    action = action_or_404(action_id)
    spec = ITEMS[kind]
    item = db.session.get(spec.model, item_id)
    ensure(item is not None and item.action_id == action.id)
    form = EmptyForm()
    if form.validate_on_submit():
        if attempt(lambda: delete_item(db.session, current_user, action, item)).ok:
            flash(f"{spec.noun} supprimé.", "success")
    else:
        flash_form_errors(form)
    return redirect(url_for("programme.action_detail", action_id=action.id) + f"#{kind}")


# ---------------------------------------------------------------- computed indicators
def _source_choices() -> list[tuple[str, str]]:
    """"<source>|<ref>" values: each council series (or all) and each collective project."""
    from models.councils.orm import CollectiveProject, CouncilSeries
    from models.programme.computed import SOURCES

    series = list(db.session.scalars(select(CouncilSeries).order_by(CouncilSeries.name)))
    projects = list(db.session.scalars(select(CollectiveProject)
                                       .order_by(CollectiveProject.title)))
    choices = [("", "Saisi à la main")]
    for key, spec in SOURCES.items():
        if spec.ref == "series":
            choices.append((f"{key}|", f"{spec.label} — toutes les instances"))
            choices += [(f"{key}|{s.id}", f"{spec.label} — {s.name}") for s in series]
        elif spec.ref == "none":
            choices.append((f"{key}|", f"{spec.label} — parrainage, toutes missions locales"))
        else:
            choices += [(f"{key}|{p.id}", f"{spec.label} — {p.title}") for p in projects]
    return choices


@bp.route("/indicateurs/<int:indicator_id>/source", methods=["POST"])
@access("programme.manage")
def indicator_source(indicator_id: int):
    from models.programme.computed import set_source

    indicator = db.session.get(Indicator, indicator_id)
    ensure(indicator is not None and can(current_user, "action.view", indicator.action))
    form = EmptyForm()
    raw = request.form.get("source", "")
    if raw and raw not in {value for value, _ in _source_choices()}:
        flash("Source de calcul inconnue.", "warning")
    elif not form.validate_on_submit():
        flash_form_errors(form)
    else:
        key, _, ref = raw.partition("|")
        if attempt(lambda: set_source(db.session, current_user, indicator, key or None,
                                      int(ref) if ref else None)).ok:
            flash("Indicateur calculé par Animaréseau." if key
                  else "Indicateur de nouveau saisi à la main.", "success")
    return redirect(url_for("programme.action_detail", action_id=indicator.action_id)
                    + "#indicateurs")
