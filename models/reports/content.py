"""What a funder's activity report says, as one JSON-ready snapshot.

The snapshot is built once per version from the funder's point of view — the
conventions come from :func:`models.funding.queries.conventions_stmt` called with
the funder's own account (:class:`FunderReader`), exactly as on the financeur's
pages — and both the PDF and the accessible HTML page are drawn from it, so they
cannot disagree. Every figure is already in French (``format_money``…); the chart
keeps its numbers as decimal strings.

What never enters a snapshot: another funder's name, convention or amount, an
action's total budget or expenses, the funder's share of an action, the
co-financing plan. Free text can still name them: :mod:`models.reports.scan` reads
every string before publication.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from models.errors import DomainError
from models.formatting import format_datetime, format_number
from models.formatting import format_ratio as _ratio_text
from models.funding.enums import ConventionStatus, ConventionType, FunderType
from models.funding.orm import (
    Convention,
    Funder,
    Instalment,
    TimeEntry,
)
from models.funding.plan import programme_funding
from models.funding.queries import convention_finance, conventions_stmt, is_cash_due
from models.funding.rules import hours_per_day, split_by_percent
from models.network.orm import Region
from models.programme.enums import ActionStatus
from models.programme.orm import (
    Action,
    ActionAmendment,
    Objective,
    Programme,
    StaffAllocation,
)
from models.reports import variants
from models.reports.figures import MONTHS, ZERO
from models.reports.figures import day as _d
from models.reports.figures import money as _money
from models.reports.figures import num as _num
from models.reports.figures import rate as _rate
from models.reports.figures import text as _text
from models.reports.orm import ActionReview
from models.training.orm import Training
from models.training.stats import Period, training_stats

#: satisfaction is shown only from this many answers (fewer would identify a trainee)
MIN_ANSWERS = 3


@dataclass(frozen=True)
class FunderReader:
    """The funder's own account as the policy sees it: the report reads the funding
    domain through the same scoping as the financeur's pages."""

    funder_id: int
    role: str = "financeur"
    is_authenticated: bool = True
    active: bool = True


@dataclass(frozen=True)
class Parameters:
    """Everything the builder is given; stored with the version so it can be rebuilt."""

    funder_id: int
    year: int
    as_of: date
    version: int
    generated_at: datetime
    generated_by: str
    synthesis: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"funder_id": self.funder_id, "year": self.year,
                "as_of": self.as_of.isoformat(), "version": self.version,
                "generated_at": self.generated_at.isoformat(),
                "generated_by": self.generated_by, "synthesis": self.synthesis}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Parameters:
        return cls(funder_id=int(data["funder_id"]), year=int(data["year"]),
                   as_of=date.fromisoformat(data["as_of"]), version=int(data["version"]),
                   generated_at=datetime.fromisoformat(data["generated_at"]),
                   generated_by=data["generated_by"], synthesis=data.get("synthesis", ""))



def year_conventions(session: Session, funder_id: int, year: int) -> list[Convention]:
    """The funder's conventions covering ``year``, by the financeur pages' own scoping."""
    stmt = (conventions_stmt(FunderReader(funder_id), year=year)
            .options(selectinload(Convention.instalments).selectinload(Instalment.payments),
                     selectinload(Convention.payments), selectinload(Convention.deadlines))
            .order_by(Convention.reference))
    return [row[0] for row in session.execute(stmt).unique()]


def funder_years(session: Session, funder_id: int) -> list[int]:
    rows = session.execute(select(Convention.first_year, Convention.last_year)
                           .where(Convention.funder_id == funder_id)).all()
    return sorted({y for first, last in rows for y in range(first, last + 1)})


def _programme(session: Session, year: int) -> Programme | None:
    return session.scalar(select(Programme).where(Programme.year == year)
                          .order_by(Programme.id).limit(1))


# ---------------------------------------------------------------- sections
def _convention_block(c: Convention, as_of: date) -> dict[str, Any]:
    cash = is_cash_due(c)
    payments = [p for p in c.payments if p.received_on <= as_of]
    amounts = split_by_percent(c.amount, [i.percent for i in c.instalments])
    instalments = []
    for inst, amount in zip(c.instalments, amounts, strict=True):
        paid = sum((p.amount for p in inst.payments if p.received_on <= as_of), ZERO)
        if paid >= amount:
            state = "Versé"
        elif cash and inst.due_date < as_of:
            state = "En retard" if not paid else "Partiellement versé, en retard"
        else:
            state = "Partiellement versé" if paid else "À venir"
        instalments.append([_text(inst.label), _d(inst.due_date), _money(amount),
                            _money(paid), state])
    deadlines = []
    for dl in c.deadlines:
        if dl.done_date is not None and dl.done_date <= as_of:
            state = f"Remis le {_d(dl.done_date)}"
        elif dl.due_date < as_of:
            state = "En retard"
        else:
            state = "À venir"
        deadlines.append([_text(dl.label), _d(dl.due_date), state])
    return {
        "reference": c.reference, "object": _text(c.object),
        "type": ConventionType(c.type).label, "in_kind": not cash and
        ConventionType(c.type).in_kind, "status": ConventionStatus(c.status).label,
        "years": c.years_label, "period": f"du {_d(c.period_start)} au {_d(c.period_end)}",
        "signed": _d(c.signature_date), "amount": _money(c.amount),
        "conditions": _text(c.conditions),
        "multi_year": c.first_year != c.last_year,
        "instalments": instalments,
        "payments": [[_d(p.received_on), _money(p.amount), _text(p.comment)]
                     for p in payments],
        "deadlines": deadlines,
    }


def _summary_rows(session: Session, conventions: list[Convention], as_of: date
                  ) -> tuple[list[list[str]], list[str], dict[int, Any]]:
    rows, finances = [], {}
    totals = defaultdict(lambda: ZERO)
    for c in conventions:
        finance = convention_finance(session, c, as_of)
        finances[c.id] = finance
        received = sum((p.amount for p in c.payments if p.received_on <= as_of), ZERO)
        due = c.amount - received if is_cash_due(c) else ZERO
        rows.append([c.reference, _money(c.amount), _money(finance.allocated),
                     _money(received) if not finance.in_kind else "en nature",
                     _money(due), _money(finance.executed), _rate(finance.executed, c.amount)])
        for key, value in (("amount", c.amount), ("allocated", finance.allocated),
                           ("received", received), ("due", due),
                           ("executed", finance.executed)):
            totals[key] += value
    total = ["Total", _money(totals["amount"]), _money(totals["allocated"]),
             _money(totals["received"]), _money(totals["due"]), _money(totals["executed"]),
             _rate(totals["executed"], totals["amount"])]
    return rows, total, finances


def _cashflow(conventions: list[Convention], year: int, as_of: date) -> dict[str, Any]:
    expected = dict.fromkeys(range(1, 13), ZERO)
    received = dict.fromkeys(range(1, 13), ZERO)
    for c in conventions:
        if not is_cash_due(c):
            continue
        amounts = split_by_percent(c.amount, [i.percent for i in c.instalments])
        for inst, amount in zip(c.instalments, amounts, strict=True):
            if inst.due_date.year == year:
                expected[inst.due_date.month] += amount
        for p in c.payments:
            if p.received_on.year == year and p.received_on <= as_of:
                received[p.received_on.month] += p.amount
    rows, cum_e, cum_r, series_e, series_r = [], ZERO, ZERO, [], []
    for month in range(1, 13):
        cum_e += expected[month]
        cum_r += received[month]
        series_e.append(str(cum_e))
        series_r.append(str(cum_r))
        rows.append([MONTHS[month - 1], _money(expected[month]), _money(received[month]),
                     _money(cum_e), _money(cum_r)])
    return {"labels": [m[:4] + "." if len(m) > 4 else m for m in MONTHS],
            "expected": series_e, "received": series_r, "rows": rows,
            "empty": cum_e == ZERO and cum_r == ZERO}


def _action_block(action: Action, review: ActionReview | None, as_of: date) -> dict[str, Any]:
    status = ActionStatus(action.status)
    indicators = []
    for ind in action.indicators:
        gap = (ind.achieved - ind.target) if ind.achieved is not None else None
        indicators.append({
            "name": _text(ind.name), "unit": _text(ind.unit), "target": _num(ind.target),
            "achieved": _num(ind.achieved),
            "gap": ("+" if gap is not None and gap > 0 else "") + _num(gap),
            "met": ind.achieved is not None and ind.achieved >= ind.target,
            "comment": _text(ind.comment)})
    deliverables = [[_text(d.title), _d(d.due_date),
                     _d(d.done_date) if d.done_date and d.done_date <= as_of else "Non remis"]
                    for d in action.deliverables]
    mls = sorted(ml.name for ml in action.missions_locales)
    return {
        "id": action.id, "title": _text(action.title),
        "objective": f"{action.objective.code} {_text(action.objective.title)}",
        "axis": action.objective.axis.number,
        "status": status.label, "status_reason": _text(action.status_reason),
        "dates": f"du {_d(action.start_date)} au {_d(action.end_date)}",
        "missions_locales": mls, "indicators": indicators, "deliverables": deliverables,
        "deliverables_done": sum(1 for d in action.deliverables
                                 if d.done_date and d.done_date <= as_of),
        "review": {"highlights": _text(review.highlights) if review else "",
                   "gaps": _text(review.gaps) if review else "",
                   "outlook": _text(review.outlook) if review else ""},
    }


def _team_time(session: Session, programme: Programme, action_ids: list[int],
               titles: dict[int, str]) -> dict[str, Any]:
    planned = defaultdict(lambda: Decimal(0))
    actual = defaultdict(lambda: Decimal(0))
    for action_id, p, a in session.execute(
            select(StaffAllocation.action_id, func.sum(StaffAllocation.planned_days),
                   func.sum(func.coalesce(StaffAllocation.actual_days, 0)))
            .where(StaffAllocation.action_id.in_(action_ids))
            .group_by(StaffAllocation.action_id)):
        planned[action_id], actual[action_id] = Decimal(p or 0), Decimal(a or 0)
    hours = defaultdict(lambda: Decimal(0))
    for action_id, h in session.execute(
            select(TimeEntry.action_id, func.sum(TimeEntry.hours))
            .where(TimeEntry.action_id.in_(action_ids),
                   TimeEntry.month >= date(programme.year, 1, 1),
                   TimeEntry.month <= date(programme.year, 12, 1))
            .group_by(TimeEntry.action_id)):
        hours[action_id] = Decimal(h or 0)
    per_day = hours_per_day(programme.etp_hours, programme.etp_days)
    rows, sums = [], defaultdict(lambda: Decimal(0))
    for action_id in action_ids:
        days = (hours[action_id] / per_day).quantize(Decimal("0.1")) if hours[action_id] else \
            Decimal(0)
        fte = (days / Decimal(programme.etp_days)).quantize(Decimal("0.01"))
        rows.append([titles[action_id], _num(planned[action_id], 1),
                     _num(actual[action_id], 1), _num(hours[action_id], 1), _num(days, 1),
                     _num(fte, 2)])
        for key, value in (("planned", planned[action_id]), ("actual", actual[action_id]),
                           ("hours", hours[action_id]), ("days", days), ("fte", fte)):
            sums[key] += value
    total = ["Total", _num(sums["planned"], 1), _num(sums["actual"], 1),
             _num(sums["hours"], 1), _num(sums["days"], 1), _num(sums["fte"], 2)]
    return {"rows": rows, "total": total, "etp_days": programme.etp_days,
            "etp_hours": programme.etp_hours}


def _training(session: Session, funder_id: int, year: int, as_of: date,
              full: bool, funded_amount: Decimal) -> dict[str, Any] | None:
    end = min(date(year, 12, 31), as_of)
    if end < date(year, 1, 1):
        return None
    stats = training_stats(session, Period(date(year, 1, 1), end), funder_id=funder_id)
    if not stats.sessions:
        return None
    sat = stats.satisfaction
    satisfaction = (f"{format_number(sat.overall, digits=1)} / 5 ({sat.answers} réponses)"
                    if sat.answers >= MIN_ANSWERS and sat.overall is not None else
                    f"non publiée (moins de {MIN_ANSWERS} réponses)")
    by_training = []
    for line in stats.satisfaction_by_training():
        score = (f"{format_number(line.overall, digits=1)} / 5" if line.answers >= MIN_ANSWERS
                 and line.overall is not None else "non publiée")
        by_training.append([_text(line.label), str(line.answers), score])
    block: dict[str, Any] = {
        "period": f"du {_d(date(year, 1, 1))} au {_d(end)}",
        "figures": [
            ["Sessions réalisées", str(stats.sessions_held)],
            ["Sessions programmées (non encore réalisées)", str(stats.sessions_planned)],
            ["Stagiaires (personnes distinctes présentes)", str(stats.trainees)],
            ["Heures-stagiaires", _num(stats.trainee_hours, 1)],
            ["Journées-stagiaires", _num(stats.trainee_days, 1)],
            ["Taux de remplissage", _ratio_text(stats.fill_rate)],
            ["Taux d'absence (inscrits confirmés jamais présents)",
             _ratio_text(stats.no_show_rate)],
            ["Satisfaction globale", satisfaction],
        ],
        "sessions": [[_text(s.title), _d(s.start_date), s.status.label, str(s.capacity),
                      str(s.confirmed), str(s.attendees), _num(s.hours, 1)]
                     for s in stats.sessions],
        "satisfaction": by_training,
        "full": full,
    }
    if full:
        block["by_job"] = [[p.label, str(p.registrations), str(p.trainees), _num(p.hours, 1)]
                           for p in stats.by_job() if p.registrations]
        block["by_ml"] = [[p.label, str(p.registrations), str(p.trainees), _num(p.hours, 1)]
                          for p in stats.by_mission_locale()]
        costs = []
        for tr in sorted({s.training_id: s.title for s in stats.sessions}.items(),
                         key=lambda kv: kv[1]):
            training_id, title = tr
            unit = session.scalar(select(func.max(Training.cost_per_trainee))
                                  .where(Training.id == training_id))
            costs.append([_text(title), _money(unit) if unit is not None else "—"])
        block["costs"] = costs
        block["funded_training"] = _money(funded_amount) if funded_amount else "—"
        block["year_label"] = str(year)
        block["cost_per_trainee"] = (_money((funded_amount / stats.trainees)
                                            .quantize(Decimal("0.01")))
                                     if stats.trainees and funded_amount else "—")
    return block


def _changes(session: Session, programme: Programme, action_ids: list[int]
             ) -> list[list[str]]:
    """Changes since validation to the funded actions, never with budget figures (a budget
    line's change says only that the budget changed)."""
    if programme.validated_at is None or not action_ids:
        return []
    rows = []
    for am in session.scalars(
            select(ActionAmendment).where(ActionAmendment.programme_id == programme.id,
                                          ActionAmendment.action_id.in_(action_ids),
                                          ActionAmendment.occurred_at >= programme.validated_at)
            .order_by(ActionAmendment.occurred_at, ActionAmendment.id)):
        summary = _text(am.summary)
        if re.search(r"\bbudg", summary, re.IGNORECASE) or "€" in summary:
            summary = "Budget de l'action modifié (montants non communiqués dans ce rapport)."
        kind = {"ajout": "Ajout", "modification": "Modification",
                "suppression": "Suppression"}.get(am.kind, am.kind)
        rows.append([_d(am.occurred_at.date()), kind, _text(am.action_title), summary,
                     _text(am.reason)])
    return rows


# ---------------------------------------------------------------- the snapshot
def build_content(session: Session, params: Parameters) -> dict[str, Any]:
    """The whole report for ``params``; raises DomainError when there is nothing to say."""
    funder = session.get(Funder, params.funder_id)
    if funder is None:
        raise DomainError("Ce financeur n'existe pas.")
    year, as_of = params.year, params.as_of
    conventions = year_conventions(session, funder.id, year)
    if not conventions:
        raise DomainError(
            f"{funder.name} n'a aucune convention couvrant l'année {year} : il n'y a pas "
            "de rapport d'activité à produire pour cette année.")
    region = session.scalar(select(Region).order_by(Region.id).limit(1))
    programme = _programme(session, year)
    ftype = FunderType(funder.type)
    variant = variants.VARIANTS.get(ftype, "")

    rows, total, finances = _summary_rows(session, conventions, as_of)
    # funded actions of the year's programme, through the funder's own allocations
    allocations: list[dict[str, Any]] = []
    action_ids: list[int] = []
    funding = programme_funding(session, programme.id) if programme is not None else None
    if programme is not None and funding is not None:
        for c in conventions:
            for row in finances[c.id].allocations:
                a = row.allocation
                if a.programme_id != programme.id:
                    continue
                if a.action_id is not None:
                    ids = [a.action_id]
                    label = f"Action « {_text(a.action.title)} »"
                else:  # the axis's actions that get a share (a budget): not the others
                    ids = [i for i in session.scalars(
                        select(Action.id).join(Objective)
                        .where(Action.programme_id == programme.id,
                               Objective.axis_id == a.axis_id)
                        .order_by(Objective.code, Action.title))
                        if funding.effective.get((c.id, i), ZERO) > 0]
                    label = f"Financement global de l'axe {a.axis.number} — {_text(a.axis.title)}"
                allocations.append({"convention": c.reference, "label": label,
                                    "global": a.action_id is None,
                                    "amount": _money(a.amount), "executed": _money(row.executed),
                                    "comment": _text(a.comment), "actions": ids})
                action_ids += [i for i in ids if i not in action_ids]
    actions_by_id = {a.id: a for a in session.scalars(
        select(Action).where(Action.id.in_(action_ids))
        .options(selectinload(Action.indicators), selectinload(Action.deliverables),
                 selectinload(Action.missions_locales),
                 selectinload(Action.objective).selectinload(Objective.axis)))} \
        if action_ids else {}
    action_ids.sort(key=lambda i: (actions_by_id[i].objective.code, actions_by_id[i].title,
                                   i))
    reviews = {r.action_id: r for r in session.scalars(
        select(ActionReview).where(ActionReview.action_id.in_(action_ids)))} \
        if action_ids else {}
    actions = [_action_block(actions_by_id[i], reviews.get(i), as_of) for i in action_ids]
    titles = {a["id"]: a["title"] for a in actions}
    for alloc in allocations:
        alloc["actions"] = [titles[i] for i in alloc["actions"]]

    status_counts = defaultdict(int)
    for a in actions:
        status_counts[a["status"]] += 1
    indicators_total = sum(len(a["indicators"]) for a in actions)
    indicators_met = sum(1 for a in actions for i in a["indicators"] if i["met"])
    deliverables_total = sum(len(a["deliverables"]) for a in actions)
    deliverables_done = sum(a["deliverables_done"] for a in actions)

    # what this funder gives, this year, to the actions its trainings belong to
    trained = set(session.scalars(select(Training.action_id).where(
        Training.funder_id == funder.id, Training.action_id.is_not(None))))
    funded_amount = sum((amount for (conv_id, action_id), amount in
                         (funding.effective.items() if funding else ())
                         if action_id in trained and conv_id in {c.id for c in conventions}),
                        ZERO)
    content: dict[str, Any] = {
        "meta": {
            "arml": region.arml_name if region else "ARML",
            "region": region.name if region else "",
            "funder": funder.name, "funder_type": ftype.label, "variant": variant,
            "year": year, "as_of": _d(as_of), "version": params.version,
            "generated_at": format_datetime(params.generated_at),
            "generated_by": params.generated_by,
            "programme": _text(programme.title) if programme else "",
            "references": [c.reference for c in conventions],
            "title": f"Rapport d'activité {year} — {funder.name}",
        },
        "synthesis": _text(params.synthesis),
        "summary": {
            "rows": rows, "total": total,
            "actions_by_status": [[s.label, str(status_counts[s.label])]
                                  for s in ActionStatus if status_counts[s.label]],
            "actions": len(actions),
            "indicators": [indicators_met, indicators_total],
            "deliverables": [deliverables_done, deliverables_total],
            "cashflow": _cashflow(conventions, year, as_of),
        },
        "conventions": [_convention_block(c, as_of) for c in conventions],
        "allocations": allocations,
        "actions": actions,
        "time": _team_time(session, programme, action_ids, titles)
        if programme is not None and action_ids else None,
        "training": _training(session, funder.id, year, as_of, variant == "opco",
                              funded_amount),
        "variant": {},
        "annexes": {
            "deliverables": [[a["title"], *d] for a in actions for d in a["deliverables"]],
            "changes": _changes(session, programme, action_ids)
            if programme is not None else [],
        },
    }
    if variant == "fse" and programme is not None:
        content["variant"]["fse_annex"] = variants.fse_annex(session, programme, action_ids, titles,
                                                     as_of)
    if variant == "region" and programme is not None:
        content["variant"]["axes"] = variants.region_axes(session, programme, actions)
    if variant == "dreets" and programme is not None:
        content["variant"]["objectives"] = variants.dreets_objectives(session, programme, as_of)
    if variant == "france_travail":
        content["variant"]["france_travail"] = variants.france_travail(session, funder, programme,
                                                               conventions)
    return content
