"""Authorization matrix entries for the councils area (minutes); merged into
``tests.test_authz_matrix.EXPECTED``. ``add(app, world)`` adds the objects these routes
need to the matrix's ``full_world`` (their ids into ``world["ids"]``).

The world: a series with a meeting held two weeks ago (``council_meeting_held``: the
directors of ml_a and ml_b invited, and the funder's account as a guest), whose minutes
(``minutes_approved``) were approved at the meeting held yesterday
(``council_meeting_next``), whose own minutes are a draft (``minutes_draft``).
Attendance and the émargement are the team's; approved minutes are read by every
account that may see the meeting (the funder because it is a guest); a draft exists for
the team only (404 for the others, as for a meeting the funder is not invited to).
"""

from __future__ import annotations

LOGIN, OK, REDIRECT, FORBIDDEN, NOT_FOUND = "login", 200, 302, 403, 404

TEAM_OK = {"anon": LOGIN, "admin": OK, "animateur": OK, "*": FORBIDDEN}
TEAM_REDIRECT = {"anon": LOGIN, "admin": REDIRECT, "animateur": REDIRECT, "*": FORBIDDEN}

EXPECTED: dict[str, tuple[str, dict, dict[str, object]]] = {
    "councils.attendance": ("GET", {"meeting_id": "council_meeting_held"}, TEAM_OK),
    "councils.attendance_sheet_pdf": ("GET", {"meeting_id": "council_meeting_held"},
                                      TEAM_OK),
    # approved minutes: everyone who may see the meeting (the funder is invited as a guest)
    "councils.minutes": ("GET", {"meeting_id": "council_meeting_held"},
                         {"anon": LOGIN, "*": OK}),
    # a draft's PDF: the team only; the funder is not invited to that meeting either
    "councils.minutes_pdf": ("GET", {"meeting_id": "council_meeting_next"},
                             {"anon": LOGIN, "admin": OK, "animateur": OK, "*": NOT_FOUND}),
    # circulating the draft (an e-mail to the invitees), approving, reservations: the team
    # (an empty approval or reservation form goes back to the page with its message)
    "councils.minutes_circulate": ("POST", {"meeting_id": "council_meeting_next"},
                                   TEAM_REDIRECT),
    "councils.minutes_approve": ("POST", {"meeting_id": "council_meeting_next"},
                                 TEAM_REDIRECT),
    "councils.minutes_reservation": ("POST", {"meeting_id": "council_meeting_next"},
                                     TEAM_REDIRECT),
}


def add(app, world) -> None:
    """Two held meetings of one series, approved minutes and a draft (see above)."""
    from datetime import time, timedelta

    from models import clock
    from models.audit import set_actor
    from models.councils.attendance import hold_meeting
    from models.councils.enums import InviteeKind, MeetingStatus, Presence, SeriesKind
    from models.councils.minutes import approve_minutes, circulate_minutes, save_minutes
    from models.councils.orm import CouncilSeries, Invitee, Meeting
    from webapp.extensions import db

    ids = world["ids"]
    today = clock.today()
    with app.app_context():
        s = db.session
        set_actor(s, None, via="cli")
        series = CouncilSeries(name="Conseil technique (matrice des comptes rendus)",
                               kind=SeriesKind.CONSEIL)
        held = Meeting(series=series, day=today - timedelta(days=14),
                       starts_at=time(9, 30), ends_at=time(12, 30),
                       place="ARML, Bordeaux", status=MeetingStatus.CONVOQUE)
        following = Meeting(series=series, day=today - timedelta(days=1),
                            starts_at=held.starts_at, ends_at=held.ends_at,
                            place="Visioconférence", status=MeetingStatus.CONVOQUE)
        s.add_all([series, held, following])
        s.flush()
        people = [
            Invitee(meeting=held, kind=InviteeKind.MEMBRE, mission_locale_id=ids["ml_a"],
                    full_name="Directrice du Libournais", email="direction@ml-libournais.fr"),
            Invitee(meeting=held, kind=InviteeKind.MEMBRE, mission_locale_id=ids["ml_b"],
                    full_name="Directeur de Pau", email="direction@ml-pau.fr"),
            Invitee(meeting=held, kind=InviteeKind.INVITE, full_name="Fanny Fin",
                    email=world["emails"]["financeur"], organisation="Conseil régional"),
            Invitee(meeting=following, kind=InviteeKind.MEMBRE, mission_locale_id=ids["ml_a"],
                    full_name="Directrice du Libournais", email="direction@ml-libournais.fr"),
        ]
        s.add_all(people)
        s.flush()
        hold_meeting(s, None, held, {p.id: (Presence.PRESENT, None) for p in people[:3]})
        hold_meeting(s, None, following, {people[3].id: (Presence.PRESENT, None)})
        approved = save_minutes(s, None, held, "Tour de table des directeurs.")
        circulate_minutes(s, None, approved)
        approve_minutes(s, None, approved, following)
        draft = save_minutes(s, None, following, "Brouillon du compte rendu.")
        s.commit()
        ids.update(council_meeting_held=held.id, council_meeting_next=following.id,
                   minutes_approved=approved.id, minutes_draft=draft.id)
