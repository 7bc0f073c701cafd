"""Council series and their meetings.

A meeting goes planifiée → convoquée (invitations sent, ``invitations.send_invitations``)
→ tenue (recorded by the attendance part) or annulée. Its agenda and the series' backlog
are in ``models.councils.agenda``. Writes flush, never commit (the caller's unit of work
commits once).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, time, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from models import clock
from models.councils.decisions import check_version, flush
from models.councils.enums import MeetingStatus, MinutesStatus, SeriesKind
from models.councils.orm import (
    AgendaItem,
    CouncilSeries,
    Decision,
    Meeting,
    Minutes,
)
from models.errors import DomainError, Errors, PermissionDenied
from models.policy import can

MAX_PLANNED = 52
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
    _agenda.ensure_approval_item(session, meeting)
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
        _agenda.ensure_approval_item(session, meeting)
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
        _agenda.ensure_approval_item(session, meeting)
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
        _agenda.ensure_approval_item(session, following)
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
    backlog_end = len(_agenda.backlog_items(session, series))
    for item in _agenda.ordered_items(meeting):
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
        _agenda.ensure_approval_item(session, following)


# the agenda builds on the meetings (and meetings keep their agenda right): imported last,
# used at call time, so either module may be imported first
from models.councils import agenda as _agenda  # noqa: E402
