"""Writes on the animation team, the copil meetings and their decisions, and the
reference wording of axes and objectives."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.errors import Errors, PermissionDenied
from models.policy import can
from models.programme.enums import MemberStatus
from models.programme.guards import check_version, flush, require_manage
from models.programme.orm import (
    Axis,
    CopilMeeting,
    Objective,
    Programme,
    TeamMember,
)


@dataclass
class MemberData:
    full_name: str
    function: str
    contract_etp: Decimal | None
    status: MemberStatus | str
    start_date: date | None
    end_date: date | None = None
    seconded_by: str = ""


def _validate_member(data: MemberData, errors: Errors) -> None:
    if not (data.full_name or "").strip():
        errors.add("full_name", "Le nom est obligatoire.")
    if not (data.function or "").strip():
        errors.add("function", "La fonction est obligatoire.")
    if data.contract_etp is None:
        errors.add("contract_etp", "L'ETP du contrat est obligatoire (ex. 0,8).")
    elif not Decimal("0") < data.contract_etp <= Decimal("1"):
        errors.add("contract_etp", "L'ETP du contrat est compris entre 0,01 et 1.")
    try:
        status = MemberStatus(data.status)
    except ValueError:
        errors.add("status", "Statut inconnu.")
    else:
        if status is MemberStatus.MIS_A_DISPOSITION and not (data.seconded_by or "").strip():
            errors.add("seconded_by", "Indiquez l'organisme qui met la personne à disposition.")
    if data.start_date is None:
        errors.add("start_date", "La date d'arrivée est obligatoire.")
    elif data.end_date is not None and data.end_date < data.start_date:
        errors.add("end_date", "La date de fin précède la date d'arrivée.")


def save_member(session: Session, actor: Any, data: MemberData, member: TeamMember | None = None,
                *, expected_version: int | None = None) -> TeamMember:
    require_manage(actor)
    if member is not None:
        check_version(member, expected_version)
    errors = Errors()
    _validate_member(data, errors)
    errors.raise_if_any()
    if member is None:
        member = TeamMember()
        session.add(member)
    else:
        member.version_id += 1
    member.full_name = data.full_name.strip()
    member.function = data.function.strip()
    member.contract_etp = data.contract_etp  # type: ignore[assignment]
    member.status = MemberStatus(data.status)
    member.seconded_by = ((data.seconded_by or "").strip() or None
                          if member.status is MemberStatus.MIS_A_DISPOSITION else None)
    member.start_date = data.start_date  # type: ignore[assignment]
    member.end_date = data.end_date
    flush(session)
    return member


# ================================================================ copil
@dataclass
class MeetingData:
    meeting_date: date | None
    place: str = ""
    participants: list[str] = field(default_factory=list)
    notes: str = ""


def save_meeting(session: Session, actor: Any, programme: Programme, data: MeetingData,
                 meeting: CopilMeeting | None = None) -> CopilMeeting:
    require_manage(actor)
    errors = Errors()
    if data.meeting_date is None:
        errors.add("meeting_date", "La date de la réunion est obligatoire.")
    participants = [p.strip() for p in data.participants or [] if p.strip()]
    if any(len(p) > 200 for p in participants):
        errors.add("participants", "Une ligne de participant fait plus de 200 caractères.")
    errors.raise_if_any()
    if meeting is None:
        meeting = CopilMeeting(programme_id=programme.id)
        session.add(meeting)
    meeting.meeting_date = data.meeting_date  # type: ignore[assignment]
    meeting.place = (data.place or "").strip()
    meeting.participants = participants
    meeting.notes = (data.notes or "").strip()
    session.flush()
    return meeting


def default_owner(session: Session, on: date) -> TeamMember | None:
    """The team member a decision of the ARML as a whole is given to: the direction if
    its function says so, else the longest-serving member present on ``on``."""
    members = [m for m in session.scalars(select(TeamMember).order_by(TeamMember.start_date,
                                                                        TeamMember.id))
               if m.start_date <= on and (m.end_date is None or m.end_date >= on)]
    direction = [m for m in members if "direct" in (m.function or "").lower()]
    return (direction or members or [None])[0]


# ================================================================ reference data
def update_reference(session: Session, actor: Any, obj: Axis | Objective, title: str) -> None:
    """Regions adapt the wording of axes and objectives; codes stay fixed."""
    if actor is not None and not can(actor, "programme.reference"):
        raise PermissionDenied()
    errors = Errors()
    if not (title or "").strip():
        errors.add("title", "Le libellé est obligatoire.")
    elif len(title.strip()) > 300:
        errors.add("title", "300 caractères au plus.")
    errors.raise_if_any()
    obj.title = title.strip()
    session.flush()
