"""Who is invited to a meeting, their invitations (e-mail with the agenda and an .ics)
and their answers (présent, excusé, représenté par…).

Members are the directors of the active missions locales when the series says so;
guests (DREETS, Région…, or a funder's account) are added by hand. Addresses are
normalised (trimmed, lower case): one person is invited once. The outbox is the record
of what was sent (``subject_type`` ``council_meeting``).

``base_url`` is the application's public address (``PUBLIC_BASE_URL``): the e-mails
link to ``<base_url>/conseils/reunions/<id>``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import clock
from models.accounts.orm import User
from models.accounts.roles import Role
from models.accounts.services import EMAIL_RE, normalize_email
from models.councils import calendar
from models.councils.agenda import approval_due, ensure_approval_item, ordered_items
from models.councils.decisions import actor_name, check_version, flush
from models.councils.enums import InviteeKind, ItemKind, MeetingStatus, Presence
from models.councils.meetings import require_team, status_of
from models.councils.orm import Invitee, Meeting
from models.councils.register import follow_up, is_overdue
from models.errors import DomainError, Errors, PermissionDenied
from models.formatting import format_date
from models.mail.outbox import Attachment, queue_mail
from models.network.orm import MissionLocale
from models.policy import can
from models.training.notifications import SIGNATURE

KIND_INVITATION = "council_invitation"
KIND_UPDATE = "council_update"
KIND_CANCEL = "council_cancel"
WEEKDAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
ANSWERS = (Presence.PRESENT, Presence.EXCUSE, Presence.REPRESENTE)


# ---------------------------------------------------------------- invitees
@dataclass
class BuildReport:
    added: list[Invitee] = field(default_factory=list)
    already: int = 0
    no_email: list[MissionLocale] = field(default_factory=list)  # no director e-mail
    duplicates: list[str] = field(default_factory=list)  # an address already invited
    sent: int = 0  # invitations queued at once (a convoked meeting)


def _invitable(meeting: Meeting) -> None:
    status = status_of(meeting)
    if status is MeetingStatus.ANNULE:
        raise DomainError("Cette réunion est annulée : on n'y invite plus personne.")
    if status is MeetingStatus.TENU:
        raise DomainError("Cette réunion est tenue : la liste des personnes invitées est "
                          "close.")


def build_invitees(session: Session, actor: Any, meeting: Meeting,
                   base_url: str = "") -> BuildReport:
    """Invite the directors of the active missions locales (when the series' members
    are the directors). Missions locales without a director e-mail are reported, not
    invited; people already invited are left as they are. On a convoked meeting the
    newcomers receive their invitation at once."""
    require_team(actor)
    _invitable(meeting)
    report = BuildReport()
    if not meeting.series.directors_are_members:
        return report
    taken = {i.email: i for i in meeting.invitees}
    ml_ids = {i.mission_locale_id for i in meeting.invitees
              if i.kind == InviteeKind.MEMBRE and i.mission_locale_id is not None}
    mls = session.scalars(select(MissionLocale).where(MissionLocale.active.is_(True))
                          .order_by(MissionLocale.name))
    for ml in mls:
        if ml.id in ml_ids:
            report.already += 1
            continue
        email = normalize_email(ml.director_email or "")
        if not email or not EMAIL_RE.match(email) or len(email) > 254:
            report.no_email.append(ml)
            continue
        if email in taken:
            report.duplicates.append(f"{ml.name} : {email} est déjà invité·e "
                                     f"({taken[email].full_name}).")
            continue
        invitee = Invitee(meeting=meeting, kind=InviteeKind.MEMBRE, mission_locale_id=ml.id,
                          full_name=(ml.director_name or "").strip()[:120]
                          or f"Direction — {ml.name}"[:120],
                          email=email, organisation=ml.name[:200])
        session.add(invitee)
        taken[email] = invitee
        report.added.append(invitee)
    flush(session)
    if report.added and status_of(meeting) is MeetingStatus.CONVOQUE:
        report.sent = _send(session, meeting, report.added, base_url, KIND_INVITATION)
    return report


@dataclass
class InviteeData:
    full_name: str = ""
    email: str = ""
    organisation: str = ""
    mission_locale_id: int | None = None  # a member: that mission locale's director
    user_id: int | None = None  # a guest who has an account (a funder's)


def add_invitee(session: Session, actor: Any, meeting: Meeting, data: InviteeData,
                base_url: str = "") -> Invitee:
    """Invite one person by hand: a guest (name, e-mail, organisation), a funder's
    account, or the director of an active mission locale. The same address twice (case,
    spaces) is refused. On a convoked meeting the invitation leaves at once."""
    require_team(actor)
    _invitable(meeting)
    errors = Errors()
    name = (data.full_name or "").strip()
    email = normalize_email(data.email or "")
    organisation = (data.organisation or "").strip()
    kind = InviteeKind.INVITE
    ml: MissionLocale | None = None
    if data.user_id is not None:
        user = session.get(User, data.user_id)
        if user is None or not user.active:
            errors.add("user_id", "Compte introuvable ou désactivé.")
        else:
            name = name or user.full_name
            email = normalize_email(user.email)
            if not organisation and Role(user.role) is Role.FINANCEUR and user.funder_id:
                from models.funding.orm import Funder

                funder = session.get(Funder, user.funder_id)
                organisation = funder.name if funder is not None else ""
    if data.mission_locale_id is not None:
        ml = session.get(MissionLocale, data.mission_locale_id)
        if ml is None:
            errors.add("mission_locale_id", "Mission locale introuvable.")
        elif not ml.active:
            errors.add("mission_locale_id", f"La mission locale « {ml.name} » n'est plus "
                                            "active (fusionnée ou fermée) : sa direction "
                                            "n'est plus membre du conseil.")
        else:
            kind = InviteeKind.MEMBRE
            name = name or (ml.director_name or "").strip()
            email = email or normalize_email(ml.director_email or "")
            organisation = organisation or ml.name
            if any(i.mission_locale_id == ml.id and i.kind == InviteeKind.MEMBRE
                   for i in meeting.invitees):
                errors.add("mission_locale_id", f"La direction de « {ml.name} » est déjà "
                                                "invitée.")
    if "mission_locale_id" in errors:
        errors.raise_if_any()  # the mission locale's own problem says it all
    if not name:
        errors.add("full_name", "Le nom de la personne invitée est obligatoire.")
    elif len(name) > 120:
        errors.add("full_name", "Le nom dépasse 120 caractères.")
    if not email:
        errors.add("email", "L'adresse e-mail est obligatoire : l'invitation part par "
                            "e-mail." if ml is None else
                   f"La mission locale « {ml.name} » n'a pas d'adresse de direction : "
                   "indiquez-la ici ou dans sa fiche.")
    elif len(email) > 254 or not EMAIL_RE.match(email):
        errors.add("email", f"« {data.email.strip() if data.email else email} » n'est pas "
                            "une adresse e-mail valide.")
    else:
        twin = next((i for i in meeting.invitees if i.email == email), None)
        if twin is not None:
            errors.add("email", f"{email} est déjà invité·e à cette réunion "
                                f"({twin.full_name}) : une personne n'est invitée qu'une "
                                "fois.")
        if ml is None:
            inactive = session.scalars(select(MissionLocale).where(
                MissionLocale.active.is_(False))).all()
            gone = next((m for m in inactive
                         if normalize_email(m.director_email or "") == email), None)
            if gone is not None:
                errors.add("email", f"{email} est l'adresse de la direction de « {gone.name} »,"
                                    " mission locale qui n'est plus active (fusionnée ou "
                                    "fermée).")
    if len(organisation) > 200:
        errors.add("organisation", "L'organisation dépasse 200 caractères.")
    errors.raise_if_any()
    invitee = Invitee(meeting=meeting, kind=kind,
                      mission_locale_id=ml.id if ml is not None else None,
                      full_name=name, email=email, organisation=organisation)
    session.add(invitee)
    flush(session)
    if status_of(meeting) is MeetingStatus.CONVOQUE:
        _send(session, meeting, [invitee], base_url, KIND_INVITATION)
    return invitee


def remove_invitee(session: Session, actor: Any, invitee: Invitee) -> None:
    """Withdraw an invitation (before the meeting is held). Someone holding another
    member's proxy stays until that answer changes. A convoked person is told."""
    require_team(actor)
    meeting = invitee.meeting
    _invitable(meeting)
    givers = [i for i in meeting.invitees if i.proxy_holder_id == invitee.id]
    if givers:
        raise DomainError(f"{invitee.full_name} détient la procuration de "
                          f"{', '.join(g.full_name for g in givers)} : changez d'abord "
                          "cette réponse.")
    if status_of(meeting) is MeetingStatus.CONVOQUE:
        _queue(session, meeting, invitee, "", KIND_CANCEL, personal_cancel=True)
    meeting.invitees.remove(invitee)
    flush(session)


# ---------------------------------------------------------------- e-mails
def _hour(value) -> str:
    return f"{value.hour} h {value.minute:02d}"


def when_line(meeting: Meeting) -> str:
    """``jeudi 3 septembre 2026, de 9 h 30 à 16 h 30``."""
    return (f"{WEEKDAYS[meeting.day.weekday()]} {format_date(meeting.day)}, de "
            f"{_hour(meeting.starts_at)} à {_hour(meeting.ends_at)}")


def agenda_lines(session: Session, meeting: Meeting) -> list[str]:
    lines = []
    for n, item in enumerate(ordered_items(meeting), start=1):
        extra = []
        if item.presenter:
            extra.append(item.presenter)
        if item.duration_minutes:
            extra.append(f"{item.duration_minutes} min")
        kind = ItemKind(item.kind).label
        lines.append(f"{n}. {item.title} ({kind}" + (f" — {', '.join(extra)}" if extra else "")
                     + ")")
    decisions = follow_up(session, meeting)
    open_ones = [d for d in decisions if not d.is_closed]
    if open_ones and not any(ItemKind(i.kind) is ItemKind.SUIVI for i in meeting.items):
        late = sum(1 for d in open_ones if is_overdue(d))
        lines.append(f"{len(lines) + 1}. Suivi des décisions : {len(open_ones)} décision(s) "
                     "en cours" + (f", dont {late} en retard" if late else ""))
    return lines


def _link(base_url: str, meeting: Meeting) -> str:
    return f"{(base_url or '').rstrip('/')}/conseils/reunions/{meeting.id}"


def _body(session: Session, meeting: Meeting, invitee: Invitee, base_url: str,
          kind: str) -> str:
    series = meeting.series
    hello = f"Bonjour {invitee.full_name},"
    if kind == KIND_CANCEL:
        parts = [hello, f"La réunion « {meeting.label} » prévue le {when_line(meeting)} est "
                        "annulée." if status_of(meeting) is MeetingStatus.ANNULE else
                 f"Votre invitation à la réunion « {meeting.label} » du "
                 f"{when_line(meeting)} est retirée."]
        if status_of(meeting) is MeetingStatus.ANNULE and meeting.cancel_reason:
            parts.append(f"Motif : {meeting.cancel_reason}")
        parts.append("Le fichier joint (annulation.ics) retire la réunion de votre agenda.")
        return "\n\n".join(parts) + SIGNATURE
    opening = (f"La réunion « {meeting.label} » a changé : la voici à jour."
               if kind == KIND_UPDATE else
               f"Vous êtes invité·e à la réunion « {meeting.label} » ({series.name}).")
    where = [f"Date : {when_line(meeting)}", f"Lieu : {calendar.location_of(meeting)}"]
    if meeting.video_link:
        where.append(f"Visioconférence : {meeting.video_link}")
    parts = [hello, opening, "\n".join(where)]
    lines = agenda_lines(session, meeting)
    if lines:
        parts.append("Ordre du jour :\n" + "\n".join(lines))
    member = InviteeKind(invitee.kind) is InviteeKind.MEMBRE
    answers = "présent·e ou excusé·e" + (", ou représenté·e par un autre membre"
                                         if series.proxies_enabled and member else "")
    if invitee.mission_locale_id is not None:
        parts.append(f"Merci de répondre ({answers}) depuis Animaréseau, rubrique « Mes "
                     f"invitations » de votre mission locale : {_link(base_url, meeting)}")
    else:
        parts.append(f"Merci d'indiquer votre présence ({answers}) à l'équipe d'animation "
                     f"régionale. La réunion dans Animaréseau : {_link(base_url, meeting)}")
    parts.append("Le fichier joint (invitation.ics) ajoute la réunion à votre agenda.")
    return "\n\n".join(parts) + SIGNATURE


def _queue(session: Session, meeting: Meeting, invitee: Invitee, base_url: str, kind: str,
           *, personal_cancel: bool = False, now: datetime | None = None) -> None:
    cancel = kind == KIND_CANCEL
    prefix = {KIND_INVITATION: "Invitation", KIND_UPDATE: "Modification",
              KIND_CANCEL: "Annulation"}[kind]
    if personal_cancel:
        prefix = "Invitation retirée"
    subject = f"{prefix} : {meeting.series.name} du {format_date(meeting.day)}"
    ics = Attachment(filename="annulation.ics" if cancel else "invitation.ics",
                     mimetype="text/calendar",
                     content=calendar.meeting_ics(
                         meeting, method=calendar.CANCEL if cancel else calendar.REQUEST,
                         now=now, attendee=(invitee.full_name, invitee.email)))
    queue_mail(session, [invitee.email], subject[:300],
               _body(session, meeting, invitee, base_url, kind), kind=kind, about=meeting,
               attachments=[ics])


def _send(session: Session, meeting: Meeting, invitees: list[Invitee], base_url: str,
          kind: str) -> int:
    for invitee in invitees:
        _queue(session, meeting, invitee, base_url, kind)
    flush(session)
    return len(invitees)


@dataclass
class SendResult:
    sent: int
    warnings: list[str] = field(default_factory=list)
    built: BuildReport | None = None


def send_invitations(session: Session, actor: Any, meeting: Meeting, base_url: str, *,
                     expected_version: int | None = None) -> SendResult:
    """Send (or send again) the invitations: one e-mail per invitee with the agenda and
    an .ics. Refused for a cancelled, held or past meeting or an empty agenda; a warning
    (not a refusal) when fewer than the series' notice days remain. The meeting becomes
    convoquée."""
    require_team(actor)
    check_version(meeting, expected_version)
    status = status_of(meeting)
    if status is MeetingStatus.ANNULE:
        raise DomainError("Cette réunion est annulée : aucune invitation n'est envoyée.")
    if status is MeetingStatus.TENU:
        raise DomainError("Cette réunion est tenue : les invitations ne s'envoient plus.")
    start = calendar.starts(meeting)
    if start <= clock.now():
        raise DomainError(f"La réunion du {format_date(meeting.day)} est passée : les "
                          "invitations ne s'envoient plus. Changez sa date si elle est "
                          "reportée.")
    if not meeting.items and approval_due(session, meeting) is None:
        raise DomainError("L'ordre du jour est vide : ajoutez au moins un point avant "
                          "d'envoyer les invitations.")
    result = SendResult(sent=0)
    if meeting.series.directors_are_members and not any(
            i.kind == InviteeKind.MEMBRE for i in meeting.invitees):
        result.built = build_invitees(session, actor, meeting, base_url)
    if not meeting.invitees:
        raise DomainError("Personne n'est invité·e : ajoutez les membres et les invité·es "
                          "avant d'envoyer les invitations.")
    ensure_approval_item(session, meeting)
    days = (meeting.day - clock.today()).days
    notice = meeting.series.notice_days or 0
    if days < notice:
        result.warnings.append(
            f"Invitations envoyées {days} jour{'s' if days > 1 else ''} avant la réunion, "
            f"moins que le délai prévu pour cette instance ({notice} jours) : prévenez "
            "aussi les membres par un autre moyen si besoin.")
    if result.built is not None and result.built.no_email:
        result.warnings.append(
            "Sans adresse de direction, non invitées : "
            + ", ".join(ml.name for ml in result.built.no_email) + ".")
    invitees = sorted(meeting.invitees, key=lambda i: (i.kind, i.full_name, i.id))
    result.sent = _send(session, meeting, invitees, base_url, KIND_INVITATION)
    meeting.status = MeetingStatus.CONVOQUE
    meeting.invited_at = clock.now()
    flush(session)
    return result


def send_update(session: Session, meeting: Meeting, base_url: str) -> int:
    """After a change of date, hours or place of a convoked meeting (its ``ics_sequence``
    already raised): everyone receives the meeting again."""
    return _send(session, meeting, list(meeting.invitees), base_url, KIND_UPDATE)


def send_cancellation(session: Session, meeting: Meeting) -> int:
    """A cancelled convoked meeting: METHOD:CANCEL to every invitee."""
    return _send(session, meeting, list(meeting.invitees), "", KIND_CANCEL)


# ---------------------------------------------------------------- answers
def answer(session: Session, actor: Any, invitee: Invitee, answer: Presence | str,
           proxy_holder_id: int | None = None, *,
           expected_version: int | None = None) -> Invitee:
    """Record an invitee's answer before the meeting is held: présent, excusé, or (where
    the series allows proxies) représenté par another member invited to the same
    meeting — never oneself, never someone who has given their own proxy (no chain),
    never an excused member, at most ``max_proxies`` per holder. A mission locale
    answers for its own director; the team for anyone."""
    if actor is not None and not can(actor, "councils.answer", invitee):
        raise PermissionDenied()
    check_version(invitee, expected_version)
    meeting = invitee.meeting
    series = meeting.series
    status = status_of(meeting)
    if status is MeetingStatus.TENU:
        raise DomainError("La réunion est tenue : les réponses sont closes (la présence "
                          "est relevée par l'équipe).")
    if status is MeetingStatus.ANNULE:
        raise DomainError("Cette réunion est annulée : il n'y a plus à répondre.")
    if calendar.starts(meeting) <= clock.now():
        raise DomainError("La réunion a commencé : les réponses sont closes (la présence "
                          "est relevée par l'équipe).")
    errors = Errors()
    try:
        value = Presence(answer)
    except ValueError:
        raise DomainError("Réponse inconnue : présent·e, excusé·e ou représenté·e.") from None
    if value not in ANSWERS:
        errors.add("answer", "Avant la réunion, on répond présent·e, excusé·e ou "
                             "représenté·e.")
    holder: Invitee | None = None
    if value is Presence.REPRESENTE:
        if not series.proxies_enabled:
            errors.add("answer", f"L'instance « {series.name} » ne prévoit pas de "
                                 "procuration : répondez présent·e ou excusé·e.")
        elif InviteeKind(invitee.kind) is not InviteeKind.MEMBRE:
            errors.add("answer", "Seul un membre de l'instance peut se faire représenter.")
        elif proxy_holder_id is None:
            errors.add("proxy_holder_id", "Choisissez le membre qui vous représente.")
        else:
            holder = session.get(Invitee, proxy_holder_id)
            if holder is None or holder.meeting_id != meeting.id:
                errors.add("proxy_holder_id", "Cette personne n'est pas invitée à la réunion.")
            elif holder.id == invitee.id:
                errors.add("proxy_holder_id", "On ne se donne pas procuration à soi-même : "
                                              "choisissez un autre membre.")
            elif InviteeKind(holder.kind) is not InviteeKind.MEMBRE:
                errors.add("proxy_holder_id", f"{holder.full_name} est invité·e, pas membre : "
                                              "une procuration va à un membre de l'instance.")
            elif holder.answer is not None and Presence(holder.answer) is Presence.REPRESENTE:
                errors.add("proxy_holder_id", f"{holder.full_name} est déjà représenté·e par "
                                              "un autre membre : une procuration ne se "
                                              "transmet pas.")
            elif holder.answer is not None and Presence(holder.answer) in (
                    Presence.EXCUSE, Presence.ABSENT):
                errors.add("proxy_holder_id", f"{holder.full_name} est excusé·e : une "
                                              "procuration va à un membre présent.")
            else:
                held = [i for i in meeting.invitees
                        if i.proxy_holder_id == holder.id and i.id != invitee.id]
                if len(held) >= series.max_proxies:
                    errors.add("proxy_holder_id",
                               f"{holder.full_name} détient déjà {len(held)} procuration(s), "
                               f"le maximum de l'instance ({series.max_proxies}).")
    elif proxy_holder_id is not None:
        errors.add("proxy_holder_id", "Une procuration ne va qu'avec la réponse "
                                      "« représenté·e ».")
    givers = [i for i in meeting.invitees if i.proxy_holder_id == invitee.id]
    if givers and value is not Presence.PRESENT:
        errors.add("answer", f"{invitee.full_name} détient la procuration de "
                             f"{', '.join(g.full_name for g in givers)} : ces membres doivent "
                             "d'abord changer leur réponse (une procuration ne se transmet "
                             "pas et va à un membre présent).")
    errors.raise_if_any()
    invitee.answer = value
    invitee.proxy_holder_id = holder.id if holder is not None else None
    invitee.answered_at = clock.now()
    invitee.answered_by = actor_name(actor)[:120]
    flush(session)
    return invitee


def proxy_choices(meeting: Meeting, invitee: Invitee) -> list[Invitee]:
    """The members this invitee may give a proxy to (the form's choices)."""
    series = meeting.series
    out = []
    for other in meeting.invitees:
        if other.id == invitee.id or InviteeKind(other.kind) is not InviteeKind.MEMBRE:
            continue
        if other.answer is not None and Presence(other.answer) is not Presence.PRESENT:
            continue
        held = [i for i in meeting.invitees if i.proxy_holder_id == other.id
                and i.id != invitee.id]
        if len(held) < series.max_proxies:
            out.append(other)
    return out
