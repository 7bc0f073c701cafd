"""Agendas of council meetings and the backlog of a series: ordered items (with the
approval of the previous minutes kept first), topics proposed by missions locales, items
moved or copied to the next meeting, attachments.

When the previous held meeting of the series has minutes not yet approved, the next
meeting's agenda opens with their approval (``ensure_approval_item``): created
automatically, kept first, never twice. Writes flush, never commit.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import clock
from models.councils.decisions import actor_name, check_version, flush
from models.councils.enums import ItemKind, MeetingStatus
from models.councils.meetings import (
    ACTIVE_STATUSES,
    _clean,
    later_than,
    minutes_approved,
    next_meeting,
    previous_held,
    require_team,
    status_of,
)
from models.councils.orm import AgendaAttachment, AgendaItem, CouncilSeries, Meeting
from models.errors import DomainError, Errors, PermissionDenied
from models.formatting import format_date, format_number
from models.policy import can

MAX_DETAILS = 5000
MAX_ATTACHMENT = 10 * 1024 * 1024
APPROVAL_MINUTES = 15


def ordered_items(meeting: Meeting) -> list[AgendaItem]:
    return sorted(meeting.items, key=lambda i: (i.position, i.id or 0))


def backlog_items(session: Session, series: CouncilSeries) -> list[AgendaItem]:
    return list(session.scalars(
        select(AgendaItem).where(AgendaItem.series_id == series.id,
                                 AgendaItem.meeting_id.is_(None))
        .order_by(AgendaItem.position, AgendaItem.id)))


def _renumber(items: list[AgendaItem]) -> None:
    """Approval items first (oldest minutes first), the others in their current order."""
    approvals = sorted((i for i in items if i.minutes_of_id is not None),
                       key=lambda i: (i.minutes_of.day if i.minutes_of is not None
                                      else date.min, i.id or 0))
    others = [i for i in items if i.minutes_of_id is None]
    for n, item in enumerate([*approvals, *others], start=1):
        if item.position != n:
            item.position = n


def _renumber_meeting(meeting: Meeting) -> None:
    _renumber(ordered_items(meeting))




# ---------------------------------------------------------------- the approval item
def approval_due(session: Session, meeting: Meeting) -> Meeting | None:
    """The held meeting whose minutes this meeting's agenda must open with approving
    (present or not yet added), or None."""
    if status_of(meeting) not in ACTIVE_STATUSES or meeting.id is None:
        return None
    prev = previous_held(session, meeting)
    if prev is None or minutes_approved(prev):
        return None
    # only the first meeting still to come after it carries the approval
    first = session.scalars(
        select(Meeting).where(Meeting.series_id == meeting.series_id,
                              Meeting.status.in_(ACTIVE_STATUSES), later_than(prev))
        .order_by(Meeting.day, Meeting.starts_at, Meeting.id)).first()
    if first is None or first.id != meeting.id:
        return None
    return prev


def ensure_approval_item(session: Session, meeting: Meeting) -> AgendaItem | None:
    """Open the agenda with "Approbation du compte rendu" of the previous held meeting
    when its minutes are not approved: created once, kept first."""
    prev = approval_due(session, meeting)
    if prev is None:
        return None
    existing = [i for i in meeting.items if i.minutes_of_id == prev.id]
    if existing:
        _renumber_meeting(meeting)
        return existing[0]
    elsewhere = session.scalars(
        select(AgendaItem).join(Meeting, AgendaItem.meeting_id == Meeting.id)
        .where(AgendaItem.minutes_of_id == prev.id, Meeting.id != meeting.id,
               Meeting.status.in_(ACTIVE_STATUSES))).first()
    if elsewhere is not None:
        return None
    item = AgendaItem(series_id=meeting.series_id, meeting=meeting, position=0,
                      kind=ItemKind.APPROBATION, minutes_of=prev,
                      duration_minutes=APPROVAL_MINUTES,
                      title=f"Approbation du compte rendu de la réunion du "
                            f"{format_date(prev.day)}")
    session.add(item)
    _renumber_meeting(meeting)
    flush(session)
    return item


# ---------------------------------------------------------------- agenda items
@dataclass
class ItemData:
    kind: str = ItemKind.INFORMATION.value
    title: str = ""
    details: str = ""
    presenter: str = ""
    duration_minutes: int | None = None


def _validate_item(data: ItemData, errors: Errors, *, approval: bool = False) -> ItemKind:
    try:
        kind = ItemKind(data.kind)
    except ValueError:
        errors.add("kind", "Type de point inconnu.")
        kind = ItemKind.INFORMATION
    if approval and kind is not ItemKind.APPROBATION:
        errors.add("kind", "Ce point approuve un compte rendu : son type ne change pas.")
    elif not approval and kind is ItemKind.APPROBATION:
        errors.add("kind", "L'approbation du compte rendu est ajoutée automatiquement en tête "
                           "de l'ordre du jour quand le compte rendu de la réunion précédente "
                           "n'est pas encore approuvé : choisissez un autre type.")
    title = _clean(data.title)
    if not title:
        errors.add("title", "L'intitulé du point est obligatoire.")
    elif len(title) > 300:
        errors.add("title", "L'intitulé dépasse 300 caractères.")
    details = _clean(data.details)
    if len(details) > MAX_DETAILS:
        errors.add("details", f"Le détail du point dépasse {format_number(MAX_DETAILS)} "
                              f"caractères ({format_number(len(details))}) : résumez-le et "
                              "joignez le document complet en pièce jointe.")
    if len(_clean(data.presenter)) > 120:
        errors.add("presenter", "Le nom de la personne qui présente dépasse 120 caractères.")
    if data.duration_minutes is not None and not 1 <= data.duration_minutes <= 600:
        errors.add("duration_minutes", "La durée s'exprime en minutes, de 1 à 600.")
    return kind


def _apply_item(item: AgendaItem, data: ItemData, kind: ItemKind) -> None:
    item.kind = kind
    item.title = _clean(data.title)
    item.details = _clean(data.details)
    item.presenter = _clean(data.presenter)
    item.duration_minutes = data.duration_minutes


def _agenda_open(meeting: Meeting) -> None:
    status = status_of(meeting)
    if status is MeetingStatus.ANNULE:
        raise DomainError("Cette réunion est annulée : son ordre du jour ne se modifie plus.")
    if status is MeetingStatus.TENU:
        raise DomainError("Cette réunion est tenue : son ordre du jour ne se modifie plus.")


def add_item(session: Session, actor: Any, meeting: Meeting, data: ItemData) -> AgendaItem:
    """Add an item at the end of a meeting's agenda (after the approval item, if due)."""
    require_team(actor)
    _agenda_open(meeting)
    errors = Errors()
    kind = _validate_item(data, errors)
    errors.raise_if_any()
    ensure_approval_item(session, meeting)
    item = AgendaItem(series_id=meeting.series_id, meeting=meeting,
                      position=len(meeting.items) + 1, proposed_by=actor_name(actor)
                      if actor is not None else "")
    _apply_item(item, data, kind)
    session.add(item)
    _renumber_meeting(meeting)
    flush(session)
    return item


def add_backlog_item(session: Session, actor: Any, series: CouncilSeries,
                     data: ItemData) -> AgendaItem:
    """A topic for a later meeting: the team's, or one a mission locale proposes
    (``councils.propose``; its ML and the person are recorded)."""
    if actor is not None and not can(actor, "councils.propose"):
        raise PermissionDenied()
    errors = Errors()
    if not series.active:
        errors.add("__all__", f"L'instance « {series.name} » n'est plus active.")
    kind = _validate_item(data, errors)
    if kind is ItemKind.SUIVI:
        errors.add("kind", "Le suivi des décisions figure d'office à chaque réunion : "
                           "choisissez un autre type.")
    errors.raise_if_any()
    count = len(backlog_items(session, series))
    item = AgendaItem(series_id=series.id, meeting=None, position=count + 1)
    _apply_item(item, data, kind)
    if actor is not None:
        item.proposed_by = actor_name(actor)[:120]
        if not can(actor, "councils.manage"):
            item.proposed_by_ml_id = getattr(actor, "mission_locale_id", None)
    session.add(item)
    flush(session)
    return item


def propose_topic(session: Session, actor: Any, series: CouncilSeries,
                  data: ItemData) -> AgendaItem:
    """A mission locale's proposal for the backlog (same as ``add_backlog_item``)."""
    return add_backlog_item(session, actor, series, data)


def withdraw_proposal(session: Session, actor: Any, item: AgendaItem) -> None:
    """A mission locale takes back a topic it proposed, while it waits in the backlog
    (once on an agenda, the team decides)."""
    own = (actor is None or can(actor, "councils.manage")
           or (item.proposed_by_ml_id is not None
               and item.proposed_by_ml_id == getattr(actor, "mission_locale_id", None)))
    if not own:
        raise PermissionDenied()
    if item.meeting_id is not None:
        raise DomainError("Ce sujet est inscrit à l'ordre du jour d'une réunion : seule "
                          "l'équipe de l'ARML peut l'en retirer.")
    series = session.get(CouncilSeries, item.series_id)
    session.delete(item)
    flush(session)
    if series is not None:
        _renumber(backlog_items(session, series))
        flush(session)


def update_item(session: Session, actor: Any, item: AgendaItem, data: ItemData, *,
                expected_version: int | None = None) -> AgendaItem:
    require_team(actor)
    check_version(item, expected_version)
    if item.meeting is not None:
        _agenda_open(item.meeting)
    errors = Errors()
    kind = _validate_item(data, errors, approval=item.minutes_of_id is not None)
    errors.raise_if_any()
    _apply_item(item, data, kind)
    flush(session)
    return item


def delete_item(session: Session, actor: Any, item: AgendaItem) -> None:
    require_team(actor)
    meeting = item.meeting
    if meeting is not None:
        _agenda_open(meeting)
        if item.minutes_of_id is not None and item.minutes_of is not None \
                and not minutes_approved(item.minutes_of):
            raise DomainError("Le compte rendu de la réunion précédente n'est pas encore "
                              "approuvé : son approbation reste en tête de l'ordre du jour.")
    session.delete(item)
    flush(session)
    if meeting is not None:
        session.refresh(meeting, ["items"])
        _renumber_meeting(meeting)
    else:
        series = session.get(CouncilSeries, item.series_id)
        if series is not None:
            _renumber(backlog_items(session, series))
    flush(session)


def move_item(session: Session, actor: Any, item: AgendaItem, direction: str) -> AgendaItem:
    """Move an item one place up or down (the approval item stays first)."""
    require_team(actor)
    if direction not in ("up", "down"):
        raise DomainError("Sens de déplacement inconnu.")
    if item.meeting is not None:
        _agenda_open(item.meeting)
        items = ordered_items(item.meeting)
    else:
        series = session.get(CouncilSeries, item.series_id)
        items = backlog_items(session, series)  # type: ignore[arg-type]
    index = items.index(item)
    other = index - 1 if direction == "up" else index + 1
    if not 0 <= other < len(items):
        raise DomainError("Ce point est déjà " + ("le premier." if direction == "up"
                                                  else "le dernier."))
    if item.minutes_of_id is not None or items[other].minutes_of_id is not None:
        raise DomainError("L'approbation du compte rendu précédent reste le premier point "
                          "de l'ordre du jour.")
    items[index], items[other] = items[other], items[index]
    for n, each in enumerate(items, start=1):
        if each.position != n:
            each.position = n
    flush(session)
    return item


def schedule_item(session: Session, actor: Any, item: AgendaItem,
                  meeting: Meeting | None) -> AgendaItem:
    """Put a backlog topic on a meeting's agenda (a meeting of the same series)."""
    require_team(actor)
    if item.meeting_id is not None:
        raise DomainError("Ce point est déjà à l'ordre du jour d'une réunion.")
    if meeting is None or meeting.series_id != item.series_id:
        raise DomainError("Choisissez une réunion de la même instance.")
    _agenda_open(meeting)
    ensure_approval_item(session, meeting)
    item.meeting = meeting
    item.position = len(meeting.items) + 1
    _renumber_meeting(meeting)
    flush(session)
    series = session.get(CouncilSeries, item.series_id)
    if series is not None:
        _renumber(backlog_items(session, series))
    flush(session)
    return item


def unschedule_item(session: Session, actor: Any, item: AgendaItem) -> AgendaItem:
    """Send an agenda item back to the series' backlog."""
    require_team(actor)
    meeting = item.meeting
    if meeting is None:
        raise DomainError("Ce point est déjà dans les sujets en attente.")
    _agenda_open(meeting)
    if item.minutes_of_id is not None:
        raise DomainError("L'approbation d'un compte rendu ne va pas dans les sujets en "
                          "attente.")
    series = session.get(CouncilSeries, item.series_id)
    item.meeting = None
    item.position = len(backlog_items(session, series)) + 1  # type: ignore[arg-type]
    flush(session)
    session.refresh(meeting, ["items"])
    _renumber_meeting(meeting)
    flush(session)
    return item


def carry_to_next(session: Session, actor: Any, item: AgendaItem, *,
                  copy: bool) -> AgendaItem:
    """Move (or copy) an item to the next meeting of the same series that is not
    cancelled; returns the item on the next meeting's agenda."""
    require_team(actor)
    meeting = item.meeting
    if meeting is None:
        raise DomainError("Ce point n'est à l'ordre du jour d'aucune réunion : mettez-le à "
                          "l'ordre du jour d'une réunion depuis les sujets en attente.")
    if item.minutes_of_id is not None:
        raise DomainError("L'approbation du compte rendu passe d'elle-même à la réunion "
                          "suivante tant qu'il n'est pas approuvé.")
    if not copy and status_of(meeting) is MeetingStatus.TENU:
        raise DomainError("Cette réunion est tenue : son ordre du jour reste tel quel. "
                          "Copiez le point vers la réunion suivante plutôt que de le déplacer.")
    following = next_meeting(session, meeting)
    if following is None:
        raise DomainError("Aucune réunion suivante n'est planifiée dans cette instance : "
                          "planifiez-la d'abord.")
    if status_of(following) is MeetingStatus.TENU:
        raise DomainError(f"La réunion suivante ({format_date(following.day)}) est déjà "
                          "tenue.")
    ensure_approval_item(session, following)
    position = len(following.items) + 1
    if copy:
        target = AgendaItem(series_id=item.series_id, meeting=following, position=position,
                            kind=item.kind, title=item.title, details=item.details,
                            presenter=item.presenter, duration_minutes=item.duration_minutes,
                            proposed_by_ml_id=item.proposed_by_ml_id,
                            proposed_by=item.proposed_by)
        session.add(target)
        for attachment in item.attachments:
            target.attachments.append(AgendaAttachment(
                filename=attachment.filename, mimetype=attachment.mimetype,
                size=attachment.size, sha256=attachment.sha256, content=attachment.content,
                uploaded_by=attachment.uploaded_by))
    else:
        target = item
        item.meeting = following
        item.position = position
    flush(session)
    _renumber_meeting(following)
    if not copy:
        session.refresh(meeting, ["items"])
        _renumber_meeting(meeting)
    flush(session)
    return target


# ---------------------------------------------------------------- attachments
def clean_filename(name: str | None) -> str:
    """The file's own name, without any path, control or quote character."""
    base = os.path.basename((name or "").replace("\\", "/")).strip()
    base = re.sub(r"[\x00-\x1f\x7f\"<>|:*?]", "_", base)
    if len(base) > 200:
        stem, dot, ext = base.rpartition(".")
        base = (stem[:190] + dot + ext[:9]) if dot and len(ext) < 10 else base[:200]
    return base


def add_attachment(session: Session, actor: Any, item: AgendaItem, filename: str | None,
                   mimetype: str | None, content: bytes) -> AgendaAttachment:
    """Attach a document (10 Mo at most) to an agenda item or a backlog topic."""
    require_team(actor)
    if item.meeting is not None and status_of(item.meeting) is MeetingStatus.ANNULE:
        raise DomainError("Cette réunion est annulée : son ordre du jour ne se modifie plus.")
    if item.meeting is not None and status_of(item.meeting) is MeetingStatus.TENU:
        raise DomainError("Cette réunion est tenue : son ordre du jour (et la liste des pièces "
                          "jointes de son compte rendu) ne se modifie plus.")
    errors = Errors()
    name = clean_filename(filename)
    if not name:
        errors.add("file", "Choisissez un fichier à joindre.")
    size = len(content or b"")
    if name and size == 0:
        errors.add("file", f"Le fichier « {name} » est vide.")
    elif size > MAX_ATTACHMENT:
        megabytes = f"{size / 1024 / 1024:.1f}".replace(".", ",")
        errors.add("file", f"Le fichier « {name} » pèse {megabytes} Mo, au-delà des 10 Mo "
                           "autorisés : compressez-le, ou indiquez un lien dans le détail "
                           "du point.")
    errors.raise_if_any()
    mimetype = (mimetype or "").strip()[:100] or "application/octet-stream"
    attachment = AgendaAttachment(
        item=item, filename=name, mimetype=mimetype, size=size,
        sha256=hashlib.sha256(content).hexdigest(), content=content,
        uploaded_at=clock.now(), uploaded_by=actor_name(actor)[:120])
    session.add(attachment)
    flush(session)
    return attachment


def delete_attachment(session: Session, actor: Any, attachment: AgendaAttachment) -> None:
    require_team(actor)
    meeting = attachment.item.meeting
    if meeting is not None and status_of(meeting) in (MeetingStatus.ANNULE, MeetingStatus.TENU):
        raise DomainError("L'ordre du jour de cette réunion ne se modifie plus.")
    session.delete(attachment)
    flush(session)

