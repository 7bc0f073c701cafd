"""The sections a report adds for some types of funder: the FSE+ monthly time annex, the
Région's blocks per axis, the DREETS's objectives table, France Travail's secondment.

Each reads only what that funder may see (no amount of another funder, no action total).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from models.funding.enums import ConventionType, FunderType
from models.funding.orm import Convention, Funder, TimeEntry, TimesheetSignoff
from models.network.orm import MissionLocale
from models.parcours.orm import ParcoursExtract
from models.programme.enums import ActionStatus
from models.programme.orm import Action, Axis, Objective, Programme, TeamMember
from models.reports.figures import MONTHS, ZERO
from models.reports.figures import money as _money
from models.reports.figures import num as _num
from models.reports.figures import text as _text

#: which variant block a funder type adds (FSE+, Région, OPCO, France Travail, DREETS);
#: other types get the common sections only
VARIANTS = {FunderType.FSE: "fse", FunderType.REGION: "region", FunderType.BRANCHE: "opco",
            FunderType.FRANCE_TRAVAIL: "france_travail", FunderType.ETAT: "dreets"}


def fse_annex(session: Session, programme: Programme, action_ids: list[int],
               titles: dict[int, str], as_of: date) -> list[list[str]]:
    """Monthly hours per person and funded action with the timesheet's signatures; never
    a column naming the action's other funders."""
    signoffs: dict[tuple[int, date], set[str]] = defaultdict(set)
    for member_id, month, role, signed_at in session.execute(
            select(TimesheetSignoff.member_id, TimesheetSignoff.month, TimesheetSignoff.role,
                   TimesheetSignoff.signed_at)
            .where(TimesheetSignoff.month >= date(programme.year, 1, 1),
                   TimesheetSignoff.month <= date(programme.year, 12, 1))):
        if signed_at.date() <= as_of:
            signoffs[(member_id, month)].add(role)
    rows = []
    for name, member_id, month, action_id, hours in session.execute(
            select(TeamMember.full_name, TimeEntry.member_id, TimeEntry.month,
                   TimeEntry.action_id, TimeEntry.hours)
            .join(TeamMember, TeamMember.id == TimeEntry.member_id)
            .where(TimeEntry.action_id.in_(action_ids), TimeEntry.hours > 0,
                   TimeEntry.month >= date(programme.year, 1, 1),
                   TimeEntry.month <= date(programme.year, 12, 1))
            .order_by(TeamMember.full_name, TimeEntry.month, TimeEntry.action_id)):
        signed = signoffs.get((member_id, month), set())
        status = ("Signée (salarié·e et direction)" if {"salarie", "direction"} <= signed
                  else "Signée par le ou la salarié·e" if "salarie" in signed
                  else "Non signée")
        rows.append([name, f"{MONTHS[month.month - 1]} {month.year}", titles[action_id],
                     _num(Decimal(hours), 2), status])
    return rows


def region_axes(session: Session, programme: Programme, actions: list[dict[str, Any]]
                 ) -> list[dict[str, Any]]:
    axes = session.scalars(select(Axis).order_by(Axis.number)).all()
    blocks = []
    for axis in axes:
        mine = [a for a in actions if a["axis"] == axis.number]
        indicators = [[a["title"], i["name"], i["target"], i["achieved"],
                       "Oui" if i["met"] else "Non"] for a in mine for i in a["indicators"]]
        block = {"number": axis.number, "title": _text(axis.title), "actions": len(mine),
                 "indicators": indicators,
                 "met": sum(1 for a in mine for i in a["indicators"] if i["met"]),
                 "total": sum(len(a["indicators"]) for a in mine)}
        if axis.number == 3:
            extracts, mls = session.execute(
                select(func.count(ParcoursExtract.id),
                       func.count(func.distinct(ParcoursExtract.mission_locale_id)))
                .where(ParcoursExtract.status == "current",
                       ParcoursExtract.period_end >= date(programme.year, 1, 1),
                       ParcoursExtract.period_start <= date(programme.year, 12, 31))).one()
            n_ml = session.scalar(select(func.count(MissionLocale.id))) or 0
            block["argument"] = (
                "L'appui au pilotage régional donne aux financeurs et au comité de pilotage "
                "une lecture commune de l'activité du réseau : en "
                f"{programme.year}, {extracts} extraction(s) Parcours de {mls} mission(s) "
                f"locale(s) sur {n_ml} ont été contrôlées à la charte régionale de "
                "qualité des données et alimentent l'observatoire régional (chiffres "
                "protégés par le secret statistique).")
        blocks.append(block)
    return blocks


def dreets_objectives(session: Session, programme: Programme, as_of: date
                       ) -> list[list[str]]:
    rows = []
    actions = session.scalars(
        select(Action).where(Action.programme_id == programme.id)
        .options(selectinload(Action.indicators), selectinload(Action.objective))).all()
    by_objective: dict[int, list[Action]] = defaultdict(list)
    for a in actions:
        by_objective[a.objective_id].append(a)
    for objective in session.scalars(
            select(Objective).join(Axis).order_by(Axis.number, Objective.code)):
        mine = by_objective.get(objective.id, [])
        done = sum(1 for a in mine if ActionStatus(a.status) is ActionStatus.REALISEE)
        indicators = [i for a in mine for i in a.indicators]
        met = sum(1 for i in indicators if i.achieved is not None and i.achieved >= i.target)
        rows.append([f"Axe {objective.axis.number}", f"{objective.code} {_text(objective.title)}",
                     str(len(mine)), str(done), f"{met} / {len(indicators)}"])
    return rows


def france_travail(session: Session, funder: Funder, programme: Programme | None,
                    conventions: list[Convention]) -> dict[str, Any]:
    valued = sum((c.amount for c in conventions if ConventionType(c.type).in_kind), ZERO)
    people = []
    members = session.scalars(select(TeamMember).where(TeamMember.seconded_by == funder.name)
                              .order_by(TeamMember.full_name)).all()
    for m in members:
        months = []
        if programme is not None:
            by_month = dict(session.execute(
                select(TimeEntry.month, func.sum(TimeEntry.hours))
                .where(TimeEntry.member_id == m.id,
                       TimeEntry.month >= date(programme.year, 1, 1),
                       TimeEntry.month <= date(programme.year, 12, 1))
                .group_by(TimeEntry.month)).all())
            months = [[MONTHS[i - 1], _num(Decimal(by_month.get(date(programme.year, i, 1), 0)), 1)]
                      for i in range(1, 13)]
            total = sum((Decimal(v) for v in by_month.values()), Decimal(0))
        else:
            total = Decimal(0)
        people.append({"name": m.full_name, "function": _text(m.function),
                       "etp": _num(m.contract_etp, 2), "months": months,
                       "total": _num(total, 1)})
    return {"valued": _money(valued), "people": people}


