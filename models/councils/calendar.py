"""iCalendar (.ics) for council meetings: the invitation's attachment and the feed.

One VEVENT per meeting, in Paris time with its VTIMEZONE: a meeting moved across the
daylight-saving change keeps its wall-clock hour. The UID is stable
(``council-meeting-<id>@animareseau.conseils``) and SEQUENCE is the meeting's
``ics_sequence`` (raised at each change the invitees' calendars must follow), so a
calendar replaces the event instead of duplicating it. METHOD:REQUEST for an invitation
or an update, METHOD:CANCEL (STATUS:CANCELLED) for a cancellation. No invitee list goes
in: only the addressee of an invitation is named as its attendee.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from email.utils import parseaddr

from icalendar import Calendar, Event, vCalAddress

from models.base import utcnow
from models.councils.enums import MeetingStatus
from models.councils.orm import Meeting
from models.formatting import TIMEZONE
from models.mail.settings import DEFAULT_SENDER, MailSettings

PRODID = "-//ARML//Animareseau conseils//FR"
UID_DOMAIN = "animareseau.conseils"
REQUEST, CANCEL, PUBLISH = "REQUEST", "CANCEL", "PUBLISH"


def uid_of(meeting: Meeting) -> str:
    return f"council-meeting-{meeting.id}@{UID_DOMAIN}"


def location_of(meeting: Meeting) -> str:
    if meeting.place:
        return meeting.place
    if meeting.video_link:
        return "À distance (visioconférence)"
    return "Lieu communiqué ultérieurement"


def starts(meeting: Meeting) -> datetime:
    """The meeting's start, Paris wall-clock time (aware)."""
    return datetime.combine(meeting.day, meeting.starts_at, TIMEZONE)


def ends(meeting: Meeting) -> datetime:
    return datetime.combine(meeting.day, meeting.ends_at, TIMEZONE)


def _organizer() -> vCalAddress:
    try:
        sender = MailSettings.from_env().sender
    except RuntimeError:  # a bad SMTP_PORT is reported where mail is sent
        sender = DEFAULT_SENDER
    name, address = parseaddr(sender)
    organizer = vCalAddress(f"mailto:{address or 'ne-pas-repondre@animareseau.invalid'}")
    organizer.params["cn"] = name or "Animaréseau"
    return organizer


def _event(meeting: Meeting, *, stamp: datetime, with_access: bool,
           cancelled: bool, attendee: tuple[str, str] | None = None) -> Event:
    series = meeting.series
    event = Event()
    event.add("uid", uid_of(meeting))
    event.add("dtstamp", stamp)
    event.add("sequence", meeting.ics_sequence or 0)
    event.add("summary", f"{'[Annulée] ' if cancelled else ''}{meeting.label}")
    event.add("dtstart", starts(meeting))
    event.add("dtend", ends(meeting))
    event.add("location", location_of(meeting))
    lines = [f"{series.name} — réunion du {meeting.day:%d/%m/%Y}."]
    if with_access and meeting.video_link:
        lines.append(f"Visioconférence : {meeting.video_link}")
    if cancelled and meeting.cancel_reason:
        lines.append(f"RÉUNION ANNULÉE : {meeting.cancel_reason}")
    event.add("description", "\n".join(lines))
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    if with_access and meeting.video_link:
        event.add("url", meeting.video_link)
    if attendee is not None:
        event.add("organizer", _organizer())
        name, email = attendee
        person = vCalAddress(f"mailto:{email}")
        person.params["cn"] = name
        person.params["role"] = "REQ-PARTICIPANT"
        person.params["rsvp"] = "FALSE"  # answers are given in Animaréseau
        event.add("attendee", person)
    return event


def _calendar(name: str, method: str) -> Calendar:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", method)
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", TIMEZONE.key)
    return cal


def meeting_ics(meeting: Meeting, *, method: str = REQUEST, now: datetime | None = None,
                attendee: tuple[str, str] | None = None) -> str:
    """The calendar of one meeting: an invitation (REQUEST), a cancellation (CANCEL),
    or a plain download (PUBLISH). ``attendee`` is the addressee (name, e-mail)."""
    cancelled = method == CANCEL or MeetingStatus(meeting.status) is MeetingStatus.ANNULE
    if method == REQUEST and cancelled:
        method = CANCEL
    cal = _calendar(meeting.label, method)
    cal.add_component(_event(meeting, stamp=now or utcnow(), with_access=True,
                             cancelled=cancelled, attendee=attendee))
    cal.add_missing_timezones()
    return cal.to_ical().decode()


def meetings_feed(meetings: Iterable[Meeting], *, now: datetime | None = None,
                  name: str = "Conseils et groupes de travail (ARML)") -> str:
    """The feed of the series' meetings: cancelled ones are left out, and so are video
    links (they are for the people invited, not every account)."""
    cal = _calendar(name, PUBLISH)
    stamp = now or utcnow()
    for meeting in meetings:
        if MeetingStatus(meeting.status) is MeetingStatus.ANNULE:
            continue
        cal.add_component(_event(meeting, stamp=stamp, with_access=False, cancelled=False))
    cal.add_missing_timezones()
    return cal.to_ical().decode()
