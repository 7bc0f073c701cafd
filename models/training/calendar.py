"""iCalendar (.ics) for sessions: the convocation's attachment and the team's feed.

One VEVENT per half-day slot (a session's days are rarely contiguous hours), in
Paris time with its VTIMEZONE. UIDs are stable (session and slot ids), and SEQUENCE
follows the session's version, so a calendar replaces an event rather than
duplicating it when the convocation is sent again after a change. Nothing personal
goes in: no trainee, no attendee list.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from icalendar import Calendar, Event

from models.base import utcnow
from models.formatting import TIMEZONE
from models.training.enums import HalfDay, Modality, SessionStatus
from models.training.orm import TrainingSession

PRODID = "-//ARML//Animareseau formations//FR"
UID_DOMAIN = "animareseau.formations"


def location_of(ts: TrainingSession) -> str:
    modality = Modality(ts.training.modality)
    if modality is Modality.DISTANCIEL or (not ts.place and ts.video_link):
        return "À distance (visioconférence)"
    return ts.place or "Lieu communiqué ultérieurement"


def _description(ts: TrainingSession, *, with_access: bool) -> str:
    training = ts.training
    lines = [f"Formation « {training.title} » — {Modality(training.modality).label}."]
    if training.provider:
        lines.append(f"Organisme : {training.provider}")
    if with_access:
        if ts.trainer or training.trainer:
            lines.append(f"Formateur·rice : {ts.trainer or training.trainer}")
        if ts.access_details:
            lines.append(f"Accès : {ts.access_details}")
        if ts.video_link:
            lines.append(f"Visioconférence : {ts.video_link}")
    if SessionStatus(ts.status) is SessionStatus.ANNULEE:
        lines.append("SESSION ANNULÉE")
    return "\n".join(lines)


def _events(ts: TrainingSession, *, with_access: bool, stamp: datetime) -> list[Event]:
    cancelled = SessionStatus(ts.status) is SessionStatus.ANNULEE
    title = ts.training.title
    description = _description(ts, with_access=with_access)
    events = []
    spans = [(f"slot{slot.id}", HalfDay(slot.half).label.lower(),
              datetime.combine(slot.day, slot.starts_at, TIMEZONE),
              datetime.combine(slot.day, slot.ends_at, TIMEZONE)) for slot in ts.slots]
    if not spans:  # no half-days yet: the whole period, as all-day dates
        spans = [("all", "", ts.start_date, ts.end_date + timedelta(days=1))]
    for key, half, start, end in spans:
        event = Event()
        event.add("uid", f"session{ts.id}-{key}@{UID_DOMAIN}")
        event.add("dtstamp", stamp)
        event.add("sequence", ts.version_id or 0)
        event.add("summary", f"{'[Annulée] ' if cancelled else ''}Formation : {title}"
                             + (f" ({half})" if half else ""))
        event.add("dtstart", start)
        event.add("dtend", end)
        event.add("location", location_of(ts))
        event.add("description", description)
        event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
        if with_access and ts.video_link:
            event.add("url", ts.video_link)
        events.append(event)
    return events


def _calendar(name: str) -> Calendar:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", TIMEZONE.key)
    return cal


def session_ics(ts: TrainingSession, *, now: datetime | None = None) -> str:
    """The convocation's calendar: every half-day, with place and access details."""
    cal = _calendar(f"Formation : {ts.training.title}")
    for event in _events(ts, with_access=True, stamp=now or utcnow()):
        cal.add_component(event)
    cal.add_missing_timezones()
    return cal.to_ical().decode()


def sessions_feed(sessions: Iterable[TrainingSession], *, now: datetime | None = None,
                  name: str = "Formations régionales (ARML)") -> str:
    """The feed of the programme: cancelled sessions are left out, and so are access
    details (the video link is for the people convened, not every account)."""
    cal = _calendar(name)
    stamp = now or utcnow()
    for ts in sessions:
        if SessionStatus(ts.status) is SessionStatus.ANNULEE:
            continue
        for event in _events(ts, with_access=False, stamp=stamp):
            cal.add_component(event)
    cal.add_missing_timezones()
    return cal.to_ical().decode()
