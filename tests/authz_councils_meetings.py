"""Authorization matrix entries for the councils area (meetings); merged into
``tests.test_authz_matrix.EXPECTED``. ``add(app, world)`` adds the objects these routes
need to the matrix's ``full_world`` (their ids into ``world["ids"]``).

The councils area is for the team, the copil and missions locales; a funder's account
reaches only a meeting it is invited to as a guest (``council_meeting``: it is; the
other meeting, ``council_meeting_other``, and its attachment are "not found" for it).
"""

from __future__ import annotations

LOGIN, OK, REDIRECT, FORBIDDEN, NOT_FOUND, UNPROCESSABLE = "login", 200, 302, 403, 404, 422

AREA_OK = {"anon": LOGIN, "financeur": FORBIDDEN, "*": OK}
TEAM_OK = {"anon": LOGIN, "admin": OK, "animateur": OK, "*": FORBIDDEN}
TEAM_REDIRECT = {"anon": LOGIN, "admin": REDIRECT, "animateur": REDIRECT, "*": FORBIDDEN}
# an empty form is shown again with its French errors
TEAM_422 = {"anon": LOGIN, "admin": UNPROCESSABLE, "animateur": UNPROCESSABLE, "*": FORBIDDEN}
NOT_INVITED = {"anon": LOGIN, "financeur": NOT_FOUND, "*": OK}

EXPECTED: dict[str, tuple[str, dict, dict[str, object]]] = {
    "councils.index": ("GET", {}, AREA_OK),
    "councils.meetings": ("GET", {}, AREA_OK),
    "councils.calendar_feed": ("GET", {}, AREA_OK),
    # a mission locale's invitations; the team is sent to the meetings list
    "councils.my_invitations": ("GET", {}, {"anon": LOGIN, "admin": REDIRECT,
                                            "animateur": REDIRECT, "ml": OK, "*": FORBIDDEN}),
    "councils.series_list": ("GET", {}, AREA_OK),
    "councils.series_new": ("GET", {}, TEAM_OK),
    "councils.series_detail": ("GET", {"series_id": "council_series"}, AREA_OK),
    "councils.series_edit": ("GET", {"series_id": "council_series"}, TEAM_OK),
    "councils.series_plan": ("GET", {"series_id": "council_series"}, TEAM_OK),
    "councils.meeting_new": ("GET", {"series_id": "council_series"}, TEAM_OK),
    "councils.backlog": ("GET", {"series_id": "council_series"}, AREA_OK),
    # proposing a topic: the team and missions locales (an empty proposal: 422)
    "councils.backlog_propose": ("POST", {"series_id": "council_series"},
                                 {"anon": LOGIN, "admin": UNPROCESSABLE,
                                  "animateur": UNPROCESSABLE, "ml": UNPROCESSABLE,
                                  "*": FORBIDDEN}),
    # the funder's account is a guest of this meeting
    "councils.meeting_detail": ("GET", {"meeting_id": "council_meeting"},
                                {"anon": LOGIN, "*": OK}),
    # … and not of this one
    "councils.meeting_calendar": ("GET", {"meeting_id": "council_meeting_other"}, NOT_INVITED),
    "councils.meeting_edit": ("GET", {"meeting_id": "council_meeting"}, TEAM_OK),
    "councils.meeting_cancel": ("POST", {"meeting_id": "council_meeting"}, TEAM_REDIRECT),
    "councils.meeting_delete": ("POST", {"meeting_id": "council_meeting_other"}, TEAM_REDIRECT),
    "councils.meeting_send": ("POST", {"meeting_id": "council_meeting"}, TEAM_REDIRECT),
    "councils.invitees": ("GET", {"meeting_id": "council_meeting"}, TEAM_OK),
    "councils.invitees_build": ("POST", {"meeting_id": "council_meeting"}, TEAM_REDIRECT),
    "councils.invitee_add": ("POST", {"meeting_id": "council_meeting"}, TEAM_422),
    "councils.invitee_remove": ("POST", {"invitee_id": "council_invitee_b"}, TEAM_REDIRECT),
    # the other mission locale's director: not found for the ml account
    "councils.answer": ("POST", {"invitee_id": "council_invitee_b"},
                        {"anon": LOGIN, "admin": REDIRECT, "animateur": REDIRECT,
                         "ml": NOT_FOUND, "*": FORBIDDEN}),
    "councils.agenda_item_new": ("GET", {"meeting_id": "council_meeting"}, TEAM_OK),
    "councils.agenda_item_edit": ("GET", {"item_id": "agenda_item"}, TEAM_OK),
    "councils.agenda_item_delete": ("POST", {"item_id": "agenda_item"}, TEAM_REDIRECT),
    "councils.agenda_item_move": ("POST", {"item_id": "agenda_item"}, TEAM_REDIRECT),
    "councils.agenda_item_carry": ("POST", {"item_id": "agenda_item"}, TEAM_REDIRECT),
    "councils.agenda_item_schedule": ("POST", {"item_id": "backlog_item"}, TEAM_REDIRECT),
    # a topic proposed by the team: the team withdraws it; for ml_a it does not exist
    "councils.backlog_withdraw": ("POST", {"item_id": "backlog_item"},
                                  {"anon": LOGIN, "admin": REDIRECT, "animateur": REDIRECT,
                                   "ml": NOT_FOUND, "*": FORBIDDEN}),
    "councils.agenda_item_unschedule": ("POST", {"item_id": "agenda_item"}, TEAM_REDIRECT),
    "councils.attachment_add": ("POST", {"item_id": "agenda_item"}, TEAM_REDIRECT),
    # an attachment of the meeting the funder is not invited to
    "councils.attachment_download": ("GET", {"attachment_id": "agenda_attachment"},
                                     NOT_INVITED),
    "councils.attachment_delete": ("POST", {"attachment_id": "agenda_attachment"},
                                   TEAM_REDIRECT),
}


def add(app, world) -> None:
    """A council series with two planned meetings: ``council_meeting`` (an agenda item,
    ml_a's and ml_b's directors and the funder's account as guest) and
    ``council_meeting_other`` (an item with an attachment, nobody invited); a backlog
    topic. Ids: council_series, council_meeting, council_meeting_other, agenda_item,
    agenda_attachment, backlog_item, council_invitee_a, council_invitee_b."""
    from datetime import time, timedelta

    from models import clock
    from models.audit import set_actor
    from models.councils import agenda as ag
    from models.councils import invitations as inv
    from models.councils import meetings as mt
    from webapp.extensions import db

    ids = world["ids"]
    with app.app_context():
        s = db.session
        set_actor(s, None, via="cli")
        series = mt.save_series(s, None, None, mt.SeriesData(
            name="Conseil technique des directeurs (matrice)", rhythm_weeks=6,
            proxies_enabled=True))
        day = clock.today() + timedelta(days=40)
        meeting = mt.create_meeting(s, None, series, mt.MeetingData(
            day=day, starts_at=time(9, 30), ends_at=time(16, 30), place="Bordeaux"))
        other = mt.create_meeting(s, None, series, mt.MeetingData(
            day=day + timedelta(weeks=6), starts_at=time(9, 30), ends_at=time(16, 30)))
        item = ag.add_item(s, None, meeting, ag.ItemData(title="Veille régionale"))
        other_item = ag.add_item(s, None, other, ag.ItemData(title="Bilan"))
        attachment = ag.add_attachment(s, None, other_item, "bilan.pdf", "application/pdf",
                                       b"%PDF-1.4 bilan")
        backlog = ag.add_backlog_item(s, None, series, ag.ItemData(title="Mobilité"))
        invitee_a = inv.add_invitee(s, None, meeting, inv.InviteeData(
            mission_locale_id=ids["ml_a"], full_name="Anne Durand",
            email="anne.durand@ml-libourne.test"))
        invitee_b = inv.add_invitee(s, None, meeting, inv.InviteeData(
            mission_locale_id=ids["ml_b"], full_name="Bruno Petit",
            email="bruno.petit@ml-pau.test"))
        inv.add_invitee(s, None, meeting, inv.InviteeData(user_id=ids["financeur"]))
        s.commit()
        ids.update(council_series=series.id, council_meeting=meeting.id,
                   council_meeting_other=other.id, agenda_item=item.id,
                   agenda_attachment=attachment.id, backlog_item=backlog.id,
                   council_invitee_a=invitee_a.id, council_invitee_b=invitee_b.id)
