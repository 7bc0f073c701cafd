"""Demo programmes régionaux d'animation: 2025 (clôturé) and 2026 (en cours).

Everything goes through ``models.programme.services`` (``actor=None``, the trusted
entry point), so the demo obeys the same rules as the web app: actions are
created while the programme is a draft, the copil's validation is recorded as a
transition linked to its meeting, and the 2026 plan changes after validation
are amendments. Each draft is funded (``seeds.funding_demo``) before it is
submitted, since the copil only receives a balanced co-financing plan.
Idempotent: nothing happens once a programme exists. Flushes only; the caller
commits.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import clock
from models.councils.decisions import DecisionData, record_decision
from models.councils.enums import DecisionStatus
from models.network.orm import MissionLocale, Region
from models.programme.enums import ProgrammeStatus
from models.programme.items import (
    AllocationData,
    BudgetLineData,
    DeliverableData,
    IndicatorData,
    save_item,
)
from models.programme.orm import Action, CopilMeeting, Programme, TeamMember
from models.programme.reference import ensure_reference
from models.programme.services import (
    ActionData,
    ProgrammeData,
    create_action,
    create_programme,
    transition,
    update_action,
)
from models.programme.team import (
    MeetingData,
    MemberData,
    default_owner,
    save_meeting,
    save_member,
)
from seeds.funding_demo import build_timesheets, fund_actions, fund_programme
from seeds.network_data import REGION
from seeds.programme_data import (
    ACTIONS_2025,
    DAY_RATE,
    MEETINGS,
    PARTICIPANTS,
    PERSONNEL_LABEL,
    PLACE,
    TEAM,
)
from seeds.programme_data_2026 import (
    ACTIONS_2026,
    ADDED_ACTION,
    ADDED_REASON,
    AMENDED_ACTION,
)

S = ProgrammeStatus

#: (target status, comment) of each move; the validation (and the 2025 closure) are
#: recorded at a copil meeting: the first (and last) meeting of the programme.
WORKFLOW: dict[int, list[tuple[ProgrammeStatus, str, str]]] = {
    2025: [
        (S.SOUMIS, "2024-11-28",
         "Projet de programme 2025 transmis aux membres du copil le 28 novembre 2024."),
        (S.VALIDE, "2024-12-12", "Validé en séance du copil du 12 décembre 2024, à l'unanimité."),
        (S.EN_COURS, "2025-01-06", "Mise en œuvre démarrée le 6 janvier 2025."),
        (S.CLOTURE, "2026-02-05", "Bilan qualitatif et financier 2025 approuvé par le copil du "
                                  "5 février 2026 ; programme clôturé."),
    ],
    2026: [
        (S.SOUMIS, "2025-11-27",
         "Projet de programme 2026 transmis aux membres du copil le 27 novembre 2025."),
        (S.VALIDE, "2025-12-11", "Validé en séance du copil du 11 décembre 2025, sous réserve "
                                 "d'un point d'étape sur le protocole régional en juin."),
        (S.EN_COURS, "2026-01-05", "Mise en œuvre démarrée le 5 janvier 2026."),
    ],
}


def _when(day: str) -> datetime:
    """A transition's date, at 10:00 Paris time (backdated history of the demo)."""
    return datetime.fromisoformat(day).replace(hour=10, tzinfo=ZoneInfo("Europe/Paris"))


TITLES = {2025: "Programme régional d'animation 2025",
          2026: "Programme régional d'animation 2026"}


def _d(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _money(value: int | None) -> Decimal | None:
    return None if value is None else Decimal(value).quantize(Decimal("0.01"))


def _summary(session: Session) -> str:
    parts = []
    for programme in session.scalars(select(Programme).order_by(Programme.year)):
        n = session.scalar(select(func.count()).select_from(Action)
                           .where(Action.programme_id == programme.id))
        parts.append(f"programme {programme.year} ({ProgrammeStatus(programme.status).label}, "
                     f"{n} actions)")
    return ", ".join(parts)


def _team(session: Session) -> dict[str, int]:
    ids = {}
    for key, (name, function, etp, status, seconded_by, start) in TEAM.items():
        member = session.scalars(select(TeamMember).where(TeamMember.full_name == name)).first()
        if member is None:
            member = save_member(session, None, MemberData(
                full_name=name, function=function, contract_etp=Decimal(etp), status=status,
                start_date=_d(start), seconded_by=seconded_by))
        ids[key] = member.id
    return ids


def _action_data(spec: dict[str, Any], objectives: dict[str, int], members: dict[str, int],
                 ml_ids: dict[str, int], amendment_reason: str = "") -> ActionData:
    return ActionData(
        objective_id=objectives[spec["obj"]], title=spec["title"],
        start_date=_d(spec["start"]), end_date=_d(spec["end"]), description=spec["desc"],
        pilot_id=members[spec["pilot"]], status=spec["status"], status_reason=spec["reason"],
        out_of_year_reason=spec["out_of_year"], partners=list(spec["partners"]),
        mission_locale_ids=[ml_ids[code] for code in spec["mls"]],
        amendment_reason=amendment_reason)


def _items(session: Session, action: Action, spec: dict[str, Any],
           members: dict[str, int]) -> None:
    for title, due, done in spec["deliv"]:
        save_item(session, None, action, DeliverableData(title, _d(due), _d(done)))
    for name, unit, target, achieved in spec["ind"]:
        save_item(session, None, action, IndicatorData(name, unit, _money(target),
                                                       _money(achieved)))
    days = spec["days"]
    if days:  # staff time valued at each member's daily cost
        planned = sum(Decimal(p) * DAY_RATE[m] for m, p, _ in days)
        spent = [Decimal(a) * DAY_RATE[m] for m, _, a in days if a is not None]
        save_item(session, None, action, BudgetLineData(
            "personnel", _money(planned), _money(sum(spent)) if spent else None,
            PERSONNEL_LABEL))
    for category, label, planned, actual in spec["budget"]:
        save_item(session, None, action, BudgetLineData(category, _money(planned),
                                                        _money(actual), label))
    for member, planned, actual in days:
        save_item(session, None, action, AllocationData(
            members[member], Decimal(planned), None if actual is None else Decimal(actual)))


def _draft(session: Session, region: Region, year: int, specs: list[dict[str, Any]],
           objectives: dict[str, int], members: dict[str, int],
           ml_ids: dict[str, int]) -> tuple[Programme, list[CopilMeeting]]:
    """The programme as a draft: its actions (no amendment is recorded) and its meetings."""
    programme = create_programme(session, None, region,
                                 ProgrammeData(title=TITLES[year], year=year, etp_days=218))
    for spec in specs:
        action = create_action(session, None, programme,
                               _action_data(spec, objectives, members, ml_ids))
        _items(session, action, spec, members)
    meetings = [save_meeting(session, None, programme, MeetingData(
        meeting_date=_d(m["date"]), place=PLACE, participants=list(PARTICIPANTS),
        notes=m["notes"])) for m in MEETINGS if m["year"] == year]
    return programme, meetings


def _workflow(session: Session, programme: Programme, meetings: list[CopilMeeting]) -> None:
    """Submit (the plan is funded by now), validate at the first meeting, start."""
    for target, day, comment in WORKFLOW[programme.year]:
        if target is S.CLOTURE:
            break
        transition(session, None, programme, target, comment, occurred_at=_when(day),
                   meeting=meetings[0] if target is S.VALIDE else None)


def _decisions(session: Session, programme: Programme) -> list[CopilMeeting]:
    meetings = list(session.scalars(select(CopilMeeting)
                                    .where(CopilMeeting.programme_id == programme.id)
                                    .order_by(CopilMeeting.meeting_date)))
    by_title = {a.title: a.id for a in session.scalars(
        select(Action).where(Action.programme_id == programme.id))}
    specs = [m for m in MEETINGS if m["year"] == programme.year]
    for meeting, spec in zip(meetings, specs, strict=True):
        owner = default_owner(session, meeting.meeting_date)
        for text, title in spec["decisions"]:
            due = meeting.meeting_date + timedelta(days=90)
            done = due < clock.today()
            record_decision(session, None, DecisionData(
                text=text, owner_member_id=owner.id, due_date=due,
                action_id=by_title[title] if title else None), copil_meeting=meeting,
                status=DecisionStatus.FAITE if done else DecisionStatus.OUVERTE,
                note="Réalisé (bilan présenté au copil suivant)." if done else "")
    return meetings


def _amend_2026(session: Session, programme: Programme, objectives: dict[str, int],
                members: dict[str, int], ml_ids: dict[str, int]) -> None:
    spec = next(s for s in ACTIONS_2026 if s["title"] == AMENDED_ACTION["title"])
    action = session.scalars(select(Action).where(Action.programme_id == programme.id,
                                                  Action.title == spec["title"])).one()
    moved = {**spec, "start": AMENDED_ACTION["start"], "end": AMENDED_ACTION["end"]}
    update_action(session, None, action, _action_data(moved, objectives, members, ml_ids,
                                                      AMENDED_ACTION["reason"]))
    added = create_action(session, None, programme, _action_data(
        ADDED_ACTION, objectives, members, ml_ids, ADDED_REASON))
    _items(session, added, ADDED_ACTION, members)


def build_programmes(session: Session) -> str:
    """Build the 2025 and 2026 programmes unless a programme already exists."""
    if session.scalars(select(Programme.id)).first() is not None:
        return _summary(session)
    objectives = ensure_reference(session)
    region = session.scalars(select(Region).where(Region.code == REGION["code"])).one()
    ml_ids = dict(session.execute(select(MissionLocale.code, MissionLocale.id)).all())
    members = _team(session)

    # actions and budgets as drafts, then their funding, then the backdated workflow
    last_year, meetings = _draft(session, region, 2025, ACTIONS_2025, objectives, members,
                                 ml_ids)
    fund_programme(session, last_year)
    _workflow(session, last_year, meetings)
    meetings = _decisions(session, last_year)
    _, day, closure = WORKFLOW[2025][-1]
    transition(session, None, last_year, S.CLOTURE, closure, meeting=meetings[-1],
               occurred_at=_when(day))

    this_year, meetings = _draft(session, region, 2026, ACTIONS_2026, objectives, members,
                                 ml_ids)
    fund_programme(session, this_year)
    _workflow(session, this_year, meetings)
    _amend_2026(session, this_year, objectives, members, ml_ids)
    fund_actions(session, this_year, [ADDED_ACTION["title"]])
    _decisions(session, this_year)
    build_timesheets(session, this_year)
    session.flush()
    return _summary(session)
