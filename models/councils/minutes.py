"""A meeting's minutes: draft → circulated → approved at a later meeting of the same
series, then read-only; corrections after approval are reservations recorded in the
approving meeting's minutes.

One minutes per meeting, only for a held meeting. Concurrent edits are detected with
``Minutes.version_id`` (``expected_version`` from the editor's page, and the version
check of the flush): nothing is overwritten. Writes flush, never commit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from models import clock
from models.councils import register
from models.councils.attendance import QuorumResult, quorum
from models.councils.decisions import actor_name, check_version, flush
from models.councils.enums import InviteeKind, MeetingStatus, MinutesStatus, Presence
from models.councils.orm import (
    AgendaAttachment,
    AgendaItem,
    Decision,
    Invitee,
    Meeting,
    Minutes,
    MinutesReservation,
)
from models.errors import ConcurrentEdit, DomainError, Errors, PermissionDenied
from models.formatting import format_date, format_number
from models.mail.outbox import queue_mail
from models.policy import can

MAX_BODY = 50_000
MAX_RESERVATION = 5_000
#: the outbox kind of the e-mail that circulates minutes to the invitees
KIND_CIRCULATED = "compte_rendu_diffuse"
SIGNATURE = "\n\n— L'équipe d'animation régionale (message envoyé par Animaréseau)"


def _require_team(actor: Any) -> None:
    if actor is not None and not can(actor, "councils.manage"):
        raise PermissionDenied()


def status_of(minutes: Minutes | None) -> MinutesStatus | None:
    return MinutesStatus(minutes.status) if minutes is not None else None


def is_approved(minutes: Minutes | None) -> bool:
    return status_of(minutes) is MinutesStatus.APPROUVE


def _refuse_if_approved(minutes: Minutes) -> None:
    if is_approved(minutes):
        when = (f" lors de la réunion du {format_date(minutes.approved_in.day)}"
                if minutes.approved_in is not None else "")
        raise DomainError(f"Ce compte rendu est approuvé{when} : il ne se modifie plus. Une "
                          "correction s'enregistre comme réserve dans le compte rendu de la "
                          "réunion qui l'a approuvé.")


def _check_body(body: str, errors: Errors) -> str:
    body = (body or "").replace("\r\n", "\n").strip()
    if len(body) > MAX_BODY:
        errors.add("body", f"Le compte rendu dépasse {format_number(MAX_BODY)} caractères "
                           f"({format_number(len(body))}) : joignez les annexes à l'ordre "
                           "du jour plutôt que de les recopier.")
    return body


def _flush_new(session: Session) -> None:
    """Flush a new minutes: another editor creating the same meeting's minutes at the
    same moment hits the one-per-meeting constraint — reported as a concurrent edit."""
    try:
        flush(session)
    except IntegrityError as exc:
        raise ConcurrentEdit("Quelqu'un d'autre vient de commencer le compte rendu de "
                             "cette réunion. Rechargez la page : rien n'a été "
                             "enregistré.") from exc


def save_minutes(session: Session, actor: Any, meeting: Meeting, body: str, *,
                 expected_version: int | None = None) -> Minutes:
    """Write the minutes of a held meeting (created on first save), or edit them while
    draft or circulated. ``expected_version``: the version the editor loaded (None for
    a first save; 0: the editor saw none, so minutes created meanwhile by someone
    else are not overwritten)."""
    _require_team(actor)
    minutes = meeting.minutes
    if minutes is not None:
        check_version(minutes, expected_version)
        _refuse_if_approved(minutes)
    elif expected_version not in (None, 0):
        raise ConcurrentEdit()  # the editor saw minutes that no longer exist
    errors = Errors()
    if MeetingStatus(meeting.status) is not MeetingStatus.TENU:
        errors.add("__all__", "Le compte rendu s'écrit pour une réunion tenue : enregistrez "
                              "d'abord les présences et marquez la réunion comme tenue.")
    body = _check_body(body, errors)
    errors.raise_if_any()
    name = actor_name(actor)
    if minutes is None:
        minutes = Minutes(meeting=meeting, body=body, written_by=name)
        session.add(minutes)
        _flush_new(session)
        return minutes
    if minutes.body != body:
        minutes.body = body
        minutes.written_by = name
    flush(session)
    return minutes


def circulate_body(minutes: Minutes, link: str = "") -> str:
    meeting = minutes.meeting
    parts = ["Bonjour,",
             f"Voici le compte rendu de la réunion « {meeting.series.name} » du "
             f"{format_date(meeting.day)}. Il sera soumis à votre approbation lors d'une "
             "prochaine réunion : vos remarques sont les bienvenues d'ici là."]
    if link:
        parts.append(f"Il est aussi en ligne (avec sa version PDF) : {link}")
    parts.append("-" * 40 + "\n" + minutes.body + "\n" + "-" * 40)
    return "\n\n".join(parts) + SIGNATURE


def circulate_minutes(session: Session, actor: Any, minutes: Minutes, *,
                      expected_version: int | None = None, link: str = "") -> int:
    """Circulate the minutes (status « diffusé ») and e-mail them to every invitee of
    the meeting through the outbox. Circulating again after a correction is allowed.
    Returns the number of recipients."""
    _require_team(actor)
    check_version(minutes, expected_version)
    _refuse_if_approved(minutes)
    if not minutes.body.strip():
        raise DomainError("Le compte rendu est vide : écrivez-le avant de le diffuser.")
    meeting = minutes.meeting
    recipients = sorted({i.email for i in meeting.invitees if i.email})
    minutes.status = MinutesStatus.DIFFUSE
    minutes.circulated_at = clock.now()
    flush(session)
    queue_mail(session, recipients,
               f"Compte rendu — {meeting.series.name} du {format_date(meeting.day)}",
               circulate_body(minutes, link), kind=KIND_CIRCULATED, about=meeting)
    flush(session)
    return len(recipients)


def approval_refusal(minutes: Minutes, at_meeting: Meeting,
                     today: date | None = None) -> str | None:
    """Why ``minutes`` cannot be approved at ``at_meeting`` (None: it can)."""
    today = today or clock.today()
    own = minutes.meeting
    if is_approved(minutes):
        when = (f" lors de la réunion du {format_date(minutes.approved_in.day)}"
                if minutes.approved_in is not None else "")
        return f"Ce compte rendu est déjà approuvé{when}."
    if at_meeting.id == own.id:
        return ("Un compte rendu ne s'approuve pas lors de sa propre réunion : il "
                "s'approuve à une réunion suivante de la même instance.")
    if at_meeting.series_id != own.series_id:
        return (f"La réunion du {format_date(at_meeting.day)} appartient à une autre "
                f"instance (« {at_meeting.series.name} ») : le compte rendu de "
                f"« {own.series.name} » s'approuve lors d'une réunion de cette instance.")
    if at_meeting.day <= own.day:
        return (f"La réunion du {format_date(at_meeting.day)} ne suit pas celle du "
                f"{format_date(own.day)} : un compte rendu s'approuve à une réunion "
                "ultérieure.")
    if MeetingStatus(at_meeting.status) is MeetingStatus.ANNULE:
        return f"La réunion du {format_date(at_meeting.day)} est annulée."
    if at_meeting.day > today:
        return (f"La réunion du {format_date(at_meeting.day)} n'a pas encore eu lieu : "
                "l'approbation s'enregistre le jour de la réunion ou après.")
    if status_of(minutes) is MinutesStatus.BROUILLON:
        return ("Ce compte rendu est encore un brouillon : diffusez-le aux participant·es "
                "avant de le faire approuver.")
    if is_approved(at_meeting.minutes):
        return (f"Le compte rendu de la réunion du {format_date(at_meeting.day)} est "
                "lui-même approuvé : on n'y enregistre plus d'approbation.")
    return None


def approve_minutes(session: Session, actor: Any, minutes: Minutes, at_meeting: Meeting, *,
                    expected_version: int | None = None,
                    today: date | None = None) -> Minutes:
    """Approve ``minutes`` at ``at_meeting``: a later, not cancelled meeting of the same
    series. The minutes become read-only."""
    _require_team(actor)
    check_version(minutes, expected_version)
    why = approval_refusal(minutes, at_meeting, today)
    if why:
        raise DomainError(why)
    minutes.status = MinutesStatus.APPROUVE
    minutes.approved_at = clock.now()
    minutes.approved_in = at_meeting
    flush(session)
    return minutes


def add_reservation(session: Session, actor: Any, minutes: Minutes,
                    approving_meeting: Meeting, text: str) -> MinutesReservation:
    """Record a correction to approved minutes, in the minutes of the meeting that
    approved them (while those are not approved themselves)."""
    _require_team(actor)
    errors = Errors()
    text = (text or "").replace("\r\n", "\n").strip()
    if not is_approved(minutes):
        errors.add("__all__", "Ce compte rendu n'est pas approuvé : corrigez-le directement "
                              "plutôt que d'enregistrer une réserve.")
    elif minutes.approved_in_id != approving_meeting.id:
        errors.add("__all__", "Une réserve s'enregistre dans le compte rendu de la réunion "
                              "qui a approuvé ce compte rendu (le "
                              f"{format_date(minutes.approved_in.day)}).")
    elif is_approved(approving_meeting.minutes):
        errors.add("__all__", f"Le compte rendu de la réunion du "
                              f"{format_date(approving_meeting.day)} est approuvé à son tour : "
                              "on n'y ajoute plus de réserve.")
    if not text:
        errors.add("text", "Écrivez la réserve (ce qui est corrigé ou contesté).")
    elif len(text) > MAX_RESERVATION:
        errors.add("text", f"La réserve dépasse {MAX_RESERVATION} caractères ({len(text)}).")
    errors.raise_if_any()
    reservation = MinutesReservation(minutes=minutes, approving_meeting_id=approving_meeting.id,
                                     text=text, author=actor_name(actor),
                                     recorded_at=clock.now())
    session.add(reservation)
    flush(session)
    return reservation


# ---------------------------------------------------------------- reading
def eligible_for_approval(session: Session, at_meeting: Meeting) -> list[Minutes]:
    """Minutes that could be approved at ``at_meeting``: those of the held, earlier
    meetings of its series that are not approved yet (drafts included: the page says
    they need circulating first)."""
    stmt = (select(Minutes).join(Meeting, Minutes.meeting_id == Meeting.id)
            .where(Meeting.series_id == at_meeting.series_id,
                   Meeting.day < at_meeting.day,
                   Meeting.status == MeetingStatus.TENU,
                   Minutes.status != MinutesStatus.APPROUVE)
            .options(selectinload(Minutes.meeting).selectinload(Meeting.series))
            .order_by(Meeting.day, Meeting.id))
    return list(session.scalars(stmt))


def approved_at(session: Session, meeting: Meeting) -> list[Minutes]:
    """The earlier minutes approved at ``meeting``, with their reservations."""
    stmt = (select(Minutes).join(Meeting, Minutes.meeting_id == Meeting.id)
            .where(Minutes.approved_in_id == meeting.id)
            .options(selectinload(Minutes.meeting), selectinload(Minutes.reservations))
            .order_by(Meeting.day, Meeting.id))
    return list(session.scalars(stmt))


def reservations_at(session: Session, meeting: Meeting) -> list[MinutesReservation]:
    """The reservations recorded at ``meeting`` on earlier minutes."""
    stmt = (select(MinutesReservation)
            .where(MinutesReservation.approving_meeting_id == meeting.id)
            .options(selectinload(MinutesReservation.minutes).selectinload(Minutes.meeting))
            .order_by(MinutesReservation.recorded_at, MinutesReservation.id))
    return list(session.scalars(stmt))


@dataclass
class AttachmentLine:
    filename: str
    item_title: str
    size: int


@dataclass
class Participants:
    """The invitees grouped as the minutes list them: members by presence, guests apart."""

    present: list[Invitee] = field(default_factory=list)
    represented: list[Invitee] = field(default_factory=list)  # .proxy_holder: who holds
    excused: list[Invitee] = field(default_factory=list)
    absent: list[Invitee] = field(default_factory=list)
    guests: list[Invitee] = field(default_factory=list)
    unrecorded: list[Invitee] = field(default_factory=list)  # members without a presence


def participants(meeting: Meeting) -> Participants:
    out = Participants()
    groups = {Presence.PRESENT: out.present, Presence.REPRESENTE: out.represented,
              Presence.EXCUSE: out.excused, Presence.ABSENT: out.absent}
    for inv in sorted(meeting.invitees, key=lambda i: (i.full_name.lower(), i.id)):
        if InviteeKind(inv.kind) is InviteeKind.INVITE:
            out.guests.append(inv)
        elif inv.presence is None:
            out.unrecorded.append(inv)
        else:
            groups[Presence(inv.presence)].append(inv)
    return out


def attachments_of(session: Session, meeting: Meeting) -> list[AttachmentLine]:
    """The agenda's attachments by filename (their content is not loaded)."""
    rows = session.execute(
        select(AgendaAttachment.filename, AgendaItem.title, AgendaAttachment.size)
        .join(AgendaItem, AgendaAttachment.item_id == AgendaItem.id)
        .where(AgendaItem.meeting_id == meeting.id)
        .order_by(AgendaItem.position, AgendaItem.id, AgendaAttachment.id))
    return [AttachmentLine(filename, title, size) for filename, title, size in rows]


@dataclass
class MinutesRecord:
    """Everything the minutes page and PDF show about one meeting."""

    meeting: Meeting
    minutes: Minutes | None
    participants: Participants
    quorum: QuorumResult
    items: list[AgendaItem]
    decisions: list[Decision]
    follow_up: list[Decision]
    attachments: list[AttachmentLine]
    approved_here: list[Minutes]
    reservations_here: list[MinutesReservation]

    @property
    def approval_text(self) -> str:
        """« Approuvé lors de la réunion du … » or « Projet — non approuvé »."""
        if is_approved(self.minutes) and self.minutes.approved_in is not None:
            return ("Approuvé lors de la réunion du "
                    f"{format_date(self.minutes.approved_in.day)}")
        return "Projet — non approuvé"


def minutes_record(session: Session, meeting: Meeting) -> MinutesRecord:
    return MinutesRecord(
        meeting=meeting, minutes=meeting.minutes, participants=participants(meeting),
        quorum=quorum(meeting), items=list(meeting.items),
        decisions=register.taken_at(session, meeting),
        follow_up=register.follow_up(session, meeting),
        attachments=attachments_of(session, meeting),
        approved_here=approved_at(session, meeting),
        reservations_here=reservations_at(session, meeting))
