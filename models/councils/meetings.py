"""Council series, their meetings, agendas and backlog of proposed topics.

A meeting goes planifiée → convoquée (invitations sent, ``invitations.send_invitations``)
→ tenue (recorded by the attendance part) or annulée. Its agenda is an ordered list of
items; the items of a series with no meeting are its backlog. When the previous held
meeting of the series has minutes not yet approved, the next meeting's agenda opens
with their approval (``ensure_approval_item``): created automatically, kept first,
never twice. Writes flush, never commit (the caller's unit of work commits once).
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass, field
from datetime import date, time, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from models import clock
from models.councils.decisions import actor_name, check_version, flush
from models.councils.enums import ItemKind, MeetingStatus, MinutesStatus, SeriesKind
from models.councils.orm import (
    AgendaAttachment,
    AgendaItem,
    CouncilSeries,
    Decision,
    Meeting,
    Minutes,
)
from models.errors import DomainError, Errors, PermissionDenied
from models.formatting import format_date, format_number
from models.policy import can

MAX_DETAILS = 5000
MAX_ATTACHMENT = 10 * 1024 * 1024
MAX_PLANNED = 52
APPROVAL_MINUTES = 15
ACTIVE_STATUSES = (MeetingStatus.PLANIFIE, MeetingStatus.CONVOQUE)
URL_RE = re.compile(r"^https?://[^\s<>\"']+$", re.IGNORECASE)


# ---------------------------------------------------------------- helpers
def require_team(actor: Any) -> None:
    if actor is not None and not can(actor, "councils.manage"):
        raise PermissionDenied()


def _clean(text: str | None) -> str:
    return (text or "").strip()


def _check_link(value: str, key: str, errors: Errors) -> None:
    """A link shown as ``href``: http(s) only (never ``javascript:``)."""
    if value and (len(value) > 500 or not URL_RE.match(value)):
        errors.add(key, "Le lien de visioconférence doit être une adresse web complète "
                        "(https://…) de 500 caractères au plus.")


def status_of(meeting: Meeting) -> MeetingStatus:
    return MeetingStatus(meeting.status)


def later_than(meeting: Meeting):
    """SQL: meetings of any series after ``meeting`` (day, hour, then id)."""
    return or_(Meeting.day > meeting.day,
               and_(Meeting.day == meeting.day, Meeting.starts_at > meeting.starts_at),
               and_(Meeting.day == meeting.day, Meeting.starts_at == meeting.starts_at,
                    Meeting.id > meeting.id))


def earlier_than(meeting: Meeting):
    return or_(Meeting.day < meeting.day,
               and_(Meeting.day == meeting.day, Meeting.starts_at < meeting.starts_at),
               and_(Meeting.day == meeting.day, Meeting.starts_at == meeting.starts_at,
                    Meeting.id < meeting.id))


def minutes_approved(meeting: Meeting) -> bool:
    minutes = meeting.minutes
    return minutes is not None and MinutesStatus(minutes.status) is MinutesStatus.APPROUVE


def previous_held(session: Session, meeting: Meeting) -> Meeting | None:
    """The latest held meeting of the series before this one."""
    return session.scalars(
        select(Meeting).where(Meeting.series_id == meeting.series_id,
                              Meeting.status == MeetingStatus.TENU, earlier_than(meeting))
        .order_by(Meeting.day.desc(), Meeting.starts_at.desc(), Meeting.id.desc())).first()


def next_meeting(session: Session, meeting: Meeting) -> Meeting | None:
    """The next meeting of the same series that is not cancelled."""
    return session.scalars(
        select(Meeting).where(Meeting.series_id == meeting.series_id,
                              Meeting.status != MeetingStatus.ANNULE, later_than(meeting))
        .order_by(Meeting.day, Meeting.starts_at, Meeting.id)).first()


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


# ---------------------------------------------------------------- series
@dataclass
class SeriesData:
    name: str = ""
    kind: str = SeriesKind.CONSEIL.value
    description: str = ""
    rhythm_weeks: int | None = None
    default_place: str = ""
    video_link: str = ""
    default_start: time | None = time(9, 30)
    default_end: time | None = time(16, 30)
    directors_are_members: bool = True
    quorum_enabled: bool = False
    quorum_threshold: int | None = None
    proxies_enabled: bool = False
    max_proxies: int | None = 1
    notice_days: int | None = 10
    active: bool = True


def save_series(session: Session, actor: Any, series: CouncilSeries | None, data: SeriesData,
                *, expected_version: int | None = None) -> CouncilSeries:
    """Create (``series`` None) or edit a council series."""
    require_team(actor)
    if series is not None:
        check_version(series, expected_version)
    errors = Errors()
    name = _clean(data.name)
    if not name:
        errors.add("name", "Le nom de l'instance est obligatoire.")
    elif len(name) > 200:
        errors.add("name", "Le nom de l'instance dépasse 200 caractères.")
    else:
        other = session.scalars(select(CouncilSeries).where(
            func.lower(CouncilSeries.name) == name.lower())).first()
        if other is not None and other is not series:
            errors.add("name", f"Une instance s'appelle déjà « {other.name} » : choisissez "
                               "un autre nom.")
    try:
        kind = SeriesKind(data.kind)
    except ValueError:
        errors.add("kind", "Type d'instance inconnu.")
        kind = SeriesKind.CONSEIL
    if len(_clean(data.description)) > 5000:
        errors.add("description", "La description dépasse 5 000 caractères.")
    if data.rhythm_weeks is not None and not 1 <= data.rhythm_weeks <= 52:
        errors.add("rhythm_weeks", "Le rythme s'exprime en semaines, de 1 à 52.")
    if len(_clean(data.default_place)) > 2000:
        errors.add("default_place", "Le lieu dépasse 2 000 caractères.")
    _check_link(_clean(data.video_link), "video_link", errors)
    if data.default_start is None or data.default_end is None:
        errors.add("default_end", "Indiquez les horaires habituels (début et fin).")
    elif data.default_end <= data.default_start:
        errors.add("default_end", "L'heure de fin doit suivre l'heure de début.")
    if data.quorum_enabled and (data.quorum_threshold is None or data.quorum_threshold < 1):
        errors.add("quorum_threshold", "Avec un quorum, indiquez son seuil (nombre de membres "
                                       "présents ou représentés, au moins 1).")
    elif data.quorum_threshold is not None and not 1 <= data.quorum_threshold <= 1000:
        errors.add("quorum_threshold", "Le seuil du quorum va de 1 à 1 000.")
    if data.max_proxies is None or not 1 <= data.max_proxies <= 20:
        errors.add("max_proxies", "Le nombre de procurations par personne va de 1 à 20.")
    if data.notice_days is None or not 0 <= data.notice_days <= 120:
        errors.add("notice_days", "Le délai de convocation va de 0 à 120 jours.")
    errors.raise_if_any()
    if series is None:
        series = CouncilSeries()
        session.add(series)
    series.name = name
    series.kind = kind
    series.description = _clean(data.description)
    series.rhythm_weeks = data.rhythm_weeks
    series.default_place = _clean(data.default_place)
    series.video_link = _clean(data.video_link)
    series.default_start = data.default_start  # type: ignore[assignment]
    series.default_end = data.default_end  # type: ignore[assignment]
    series.directors_are_members = bool(data.directors_are_members)
    series.quorum_enabled = bool(data.quorum_enabled)
    series.quorum_threshold = data.quorum_threshold if data.quorum_enabled else None
    series.proxies_enabled = bool(data.proxies_enabled)
    series.max_proxies = data.max_proxies  # type: ignore[assignment]
    series.notice_days = data.notice_days  # type: ignore[assignment]
    series.active = bool(data.active)
    flush(session)
    return series


# ---------------------------------------------------------------- meetings
@dataclass
class MeetingData:
    day: date | None = None
    starts_at: time | None = None
    ends_at: time | None = None
    place: str = ""
    video_link: str = ""
    title: str = ""


def meeting_defaults(series: CouncilSeries, day: date | None = None) -> MeetingData:
    return MeetingData(day=day, starts_at=series.default_start, ends_at=series.default_end,
                       place=series.default_place, video_link=series.video_link)


def _validate_meeting(data: MeetingData, errors: Errors) -> None:
    if data.day is None:
        errors.add("day", "La date de la réunion est obligatoire.")
    elif not 2000 <= data.day.year <= 2100:
        errors.add("day", "La date de la réunion n'est pas plausible.")
    if data.starts_at is None or data.ends_at is None:
        errors.add("ends_at", "Indiquez l'heure de début et l'heure de fin.")
    elif data.ends_at <= data.starts_at:
        errors.add("ends_at", "L'heure de fin doit suivre l'heure de début.")
    if len(_clean(data.title)) > 200:
        errors.add("title", "Le titre dépasse 200 caractères.")
    if len(_clean(data.place)) > 2000:
        errors.add("place", "Le lieu dépasse 2 000 caractères.")
    _check_link(_clean(data.video_link), "video_link", errors)


def _apply_meeting(meeting: Meeting, data: MeetingData) -> None:
    meeting.day = data.day  # type: ignore[assignment]
    meeting.starts_at = data.starts_at  # type: ignore[assignment]
    meeting.ends_at = data.ends_at  # type: ignore[assignment]
    meeting.place = _clean(data.place)
    meeting.video_link = _clean(data.video_link)
    meeting.title = _clean(data.title)


def create_meeting(session: Session, actor: Any, series: CouncilSeries,
                   data: MeetingData) -> Meeting:
    """A new planned meeting; its agenda opens with the approval of the previous held
    meeting's minutes when they are not approved yet."""
    require_team(actor)
    errors = Errors()
    if not series.active:
        errors.add("__all__", f"L'instance « {series.name} » n'est plus active : réactivez-la "
                              "avant d'y planifier une réunion.")
    _validate_meeting(data, errors)
    errors.raise_if_any()
    meeting = Meeting(series=series, status=MeetingStatus.PLANIFIE)
    _apply_meeting(meeting, data)
    session.add(meeting)
    flush(session)
    ensure_approval_item(session, meeting)
    return meeting


def plan_series(session: Session, actor: Any, series: CouncilSeries, first_day: date | None,
                count: int | None) -> list[Meeting]:
    """Plan ``count`` meetings every ``rhythm_weeks`` weeks from ``first_day`` with the
    series' usual hours and place; a day that already has a meeting is skipped."""
    require_team(actor)
    errors = Errors()
    if not series.active:
        errors.add("__all__", f"L'instance « {series.name} » n'est plus active.")
    if not series.rhythm_weeks:
        errors.add("__all__", "Indiquez d'abord le rythme de l'instance (une réunion toutes "
                              "les N semaines) dans ses paramètres.")
    if first_day is None:
        errors.add("first_day", "Indiquez la date de la première réunion.")
    elif not 2000 <= first_day.year <= 2100:
        errors.add("first_day", "La date de la première réunion n'est pas plausible.")
    if count is None or not 1 <= count <= MAX_PLANNED:
        errors.add("count", f"Planifiez de 1 à {MAX_PLANNED} réunions à la fois.")
    errors.raise_if_any()
    taken = set(session.scalars(select(Meeting.day).where(Meeting.series_id == series.id,
                                                          Meeting.status
                                                          != MeetingStatus.ANNULE)))
    created = []
    for n in range(count):  # type: ignore[arg-type]
        day = first_day + timedelta(weeks=series.rhythm_weeks * n)  # type: ignore[operator]
        if day in taken:
            continue
        meeting = Meeting(series=series, status=MeetingStatus.PLANIFIE)
        _apply_meeting(meeting, meeting_defaults(series, day))
        session.add(meeting)
        created.append(meeting)
    flush(session)
    for meeting in created:
        ensure_approval_item(session, meeting)
    return created


@dataclass
class MeetingChange:
    meeting: Meeting
    rescheduled: bool = False  # date, hours, place or video link changed
    resent: int = 0  # invitations sent again (a convoked meeting)
    warnings: list[str] = field(default_factory=list)


def _schedule_changed(meeting: Meeting, data: MeetingData) -> bool:
    return (meeting.day != data.day or meeting.starts_at != data.starts_at
            or meeting.ends_at != data.ends_at or meeting.place != _clean(data.place)
            or meeting.video_link != _clean(data.video_link))


def update_meeting(session: Session, actor: Any, meeting: Meeting, data: MeetingData, *,
                   expected_version: int | None = None, base_url: str = "") -> MeetingChange:
    """Edit a meeting. A convoked meeting whose date, hours, place or video link change
    gets a higher ICS SEQUENCE and its invitations are sent again."""
    require_team(actor)
    check_version(meeting, expected_version)
    status = status_of(meeting)
    errors = Errors()
    if status is MeetingStatus.ANNULE:
        raise DomainError("Cette réunion est annulée : elle ne se modifie plus.")
    _validate_meeting(data, errors)
    errors.raise_if_any()
    changed = _schedule_changed(meeting, data)
    if changed and status is MeetingStatus.TENU:
        raise DomainError("Cette réunion est tenue : sa date, ses horaires et son lieu ne "
                          "se modifient plus (seul son titre peut changer).")
    if changed and status is MeetingStatus.CONVOQUE and data.day < clock.today():
        errors.add("day", "Les invitations sont parties : la réunion ne peut être déplacée "
                          "dans le passé. Annulez-la plutôt.")
    if minutes_approved(meeting) and _clean(data.title) != (meeting.title or ""):
        errors.add("title", "Le compte rendu de cette réunion est approuvé : son titre ne "
                            "change plus.")
    decisions = _decisions_of(session, meeting)
    if data.day is not None and data.day != meeting.day:
        late = [d for d in decisions if d.due_date < data.day]
        if late:
            errors.add("day", f"{len(late)} décision(s) prise(s) à cette réunion ont une "
                              f"échéance antérieure au {data.day:%d/%m/%Y} : corrigez-les "
                              "avant de déplacer la réunion.")
    errors.raise_if_any()
    if data.day is not None:
        for decision in decisions:  # its decisions follow it (the register's order)
            decision.decided_on = data.day
    _apply_meeting(meeting, data)
    result = MeetingChange(meeting, rescheduled=changed)
    if changed and status is MeetingStatus.CONVOQUE:
        from models.councils import invitations

        meeting.ics_sequence = (meeting.ics_sequence or 0) + 1
        flush(session)
        result.resent = invitations.send_update(session, meeting, base_url)
    flush(session)
    if changed:
        ensure_approval_item(session, meeting)
    return result


def _decisions_of(session: Session, meeting: Meeting) -> list[Decision]:
    return list(session.scalars(select(Decision).where(Decision.meeting_id == meeting.id)))


def cancel_meeting(session: Session, actor: Any, meeting: Meeting, reason: str, *,
                   expected_version: int | None = None) -> int:
    """Cancel a meeting (reason required). If it was convoked, every invitee receives a
    cancellation (METHOD:CANCEL). Returns the number of e-mails queued."""
    require_team(actor)
    check_version(meeting, expected_version)
    status = status_of(meeting)
    reason = _clean(reason)
    errors = Errors()
    if status is MeetingStatus.ANNULE:
        errors.add("__all__", "Cette réunion est déjà annulée.")
    elif status is MeetingStatus.TENU:
        errors.add("__all__", "Cette réunion est tenue : elle ne peut plus être annulée.")
    elif _decisions_of(session, meeting):
        errors.add("__all__", "Des décisions sont enregistrées à cette réunion : une réunion "
                              "annulée n'en prend pas. Supprimez-les ou déplacez la réunion.")
    if not reason:
        errors.add("reason", "Indiquez le motif de l'annulation : il est envoyé aux "
                             "personnes invitées.")
    elif len(reason) > 2000:
        errors.add("reason", "Le motif dépasse 2 000 caractères.")
    errors.raise_if_any()
    meeting.status = MeetingStatus.ANNULE
    meeting.cancel_reason = reason
    sent = 0
    if status is MeetingStatus.CONVOQUE:
        from models.councils import invitations

        meeting.ics_sequence = (meeting.ics_sequence or 0) + 1
        flush(session)
        sent = invitations.send_cancellation(session, meeting)
    # the approval of the previous minutes moves on to the next meeting
    for item in [i for i in meeting.items if i.minutes_of_id is not None]:
        session.delete(item)
    flush(session)
    following = next_meeting(session, meeting)
    if following is not None:
        ensure_approval_item(session, following)
    return sent


def delete_meeting(session: Session, actor: Any, meeting: Meeting) -> None:
    """Remove a meeting planned by mistake. Never a held or convoked one, nor one with
    decisions or minutes; its agenda items go back to the series' backlog."""
    require_team(actor)
    status = status_of(meeting)
    if status is MeetingStatus.TENU:
        raise DomainError("Cette réunion est tenue : elle fait partie de l'historique de "
                          "l'instance et ne se supprime pas.")
    decisions = session.scalar(select(func.count()).select_from(Decision)
                               .where(Decision.meeting_id == meeting.id))
    if decisions:
        raise DomainError(f"Cette réunion porte {decisions} décision(s) : elle ne se supprime "
                          "pas (le registre des décisions y renvoie). Annulez-la plutôt.")
    approves = session.scalar(select(func.count()).select_from(Minutes)
                              .where(Minutes.approved_in_id == meeting.id))
    if approves:
        raise DomainError("Des comptes rendus ont été approuvés lors de cette réunion : elle "
                          "ne se supprime pas.")
    if meeting.minutes is not None:
        if MinutesStatus(meeting.minutes.status) is MinutesStatus.APPROUVE:
            raise DomainError("Le compte rendu de cette réunion est approuvé : elle ne se "
                              "supprime pas.")
        raise DomainError("Cette réunion a un compte rendu : supprimez-le d'abord, ou "
                          "annulez la réunion.")
    if status is MeetingStatus.CONVOQUE:
        raise DomainError("Les invitations de cette réunion sont parties : annulez-la (les "
                          "personnes invitées sont prévenues) plutôt que de la supprimer.")
    series = meeting.series
    backlog_end = len(backlog_items(session, series))
    for item in ordered_items(meeting):
        if item.minutes_of_id is not None:
            session.delete(item)
        else:
            backlog_end += 1
            item.meeting = None
            item.position = backlog_end
    for item in session.scalars(select(AgendaItem).where(AgendaItem.minutes_of_id
                                                         == meeting.id)):
        session.delete(item)
    flush(session)
    following = next_meeting(session, meeting)
    session.delete(meeting)
    flush(session)
    if following is not None:
        ensure_approval_item(session, following)


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
