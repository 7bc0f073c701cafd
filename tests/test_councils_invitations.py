"""Council invitations: who is invited (directors of the active missions locales, guests),
the e-mails with the agenda and their .ics (stable UID, SEQUENCE, Paris time across the
daylight-saving change, CANCEL), the short-notice warning, the answers and their proxy
rules, the ICS feed, and the answer pages."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from icalendar import Calendar
from sqlalchemy import select

from models import clock
from models.accounts.orm import User
from models.audit import set_actor
from models.councils import agenda as ag
from models.councils import invitations as inv
from models.councils import meetings as mt
from models.councils.calendar import meeting_ics, meetings_feed
from models.councils.enums import InviteeKind, MeetingStatus, Presence, SeriesKind
from models.councils.orm import CouncilSeries, Invitee, Meeting
from models.errors import DomainError, PermissionDenied, ValidationFailed
from models.formatting import TIMEZONE
from models.mail.orm import COUNCIL_MEETING, OutboxMessage
from models.network.orm import MissionLocale
from tests.conftest import login
from webapp.extensions import db

BASE = "https://animareseau.test"


def _messages(errors: ValidationFailed) -> str:
    return " ".join(m for msgs in errors.errors.values() for m in msgs)


@pytest.fixture
def council(app, world):
    """Directors for ml_a and ml_b, a third active ML without director e-mail, a merged
    (inactive) ML with a director; a series with proxies (max 1) and one future meeting
    with an agenda item. Ids added to ``world["ids"]``."""
    ids = world["ids"]
    with app.app_context():
        s = db.session
        set_actor(s, None, via="cli")
        ml_a, ml_b = s.get(MissionLocale, ids["ml_a"]), s.get(MissionLocale, ids["ml_b"])
        ml_a.director_name, ml_a.director_email = "Anne Durand", " Anne.Durand@ML-Libourne.fr "
        ml_b.director_name, ml_b.director_email = "Bruno Petit", "bruno.petit@ml-pau.fr"
        region = ml_a.region
        ml_c = MissionLocale(region=region, code="40001", name="Mission locale des Landes",
                             departement="40", commune="Mont-de-Marsan",
                             director_name="Claire Sans Courriel")
        merged = MissionLocale(region=region, code="33099", name="Mission locale fusionnée",
                               departement="33", commune="Blaye", active=False,
                               director_name="Denis Ancien",
                               director_email="denis.ancien@ml-blaye.fr")
        s.add_all([ml_c, merged])
        series = mt.save_series(s, None, None, mt.SeriesData(
            name="Conseil technique des directeurs", kind=SeriesKind.CONSEIL.value,
            rhythm_weeks=6, default_place="ARML, Bordeaux", proxies_enabled=True,
            max_proxies=1, notice_days=10))
        meeting = mt.create_meeting(s, None, series, mt.MeetingData(
            day=clock.today() + timedelta(days=30), starts_at=time(9, 30),
            ends_at=time(16, 30), place="ARML, Bordeaux", video_link="https://visio.test/cd"))
        ag.add_item(s, None, meeting, ag.ItemData(kind="information", title="Veille régionale",
                                                  presenter="Sophie", duration_minutes=30))
        s.commit()
        ids.update(series=series.id, council_meeting=meeting.id, ml_c=ml_c.id,
                   ml_merged=merged.id)
    return world


def _get(s, cls, key, world):
    return s.get(cls, world["ids"][key])


def _user(s, world, role):
    return s.get(User, world["ids"][role])


# ---------------------------------------------------------------- invitees
def test_build_invitees_directors_of_active_mls(app, session, council):
    s = session
    meeting = _get(s, Meeting, "council_meeting", council)
    report = inv.build_invitees(s, _user(s, council, "animateur"), meeting)
    emails = sorted(i.email for i in meeting.invitees)
    # normalised (trimmed, lower case); the merged ML's director is not invited
    assert emails == ["anne.durand@ml-libourne.fr", "bruno.petit@ml-pau.fr"]
    assert all(i.kind == InviteeKind.MEMBRE for i in meeting.invitees)
    assert [ml.name for ml in report.no_email] == ["Mission locale des Landes"]
    # a second build adds nobody
    again = inv.build_invitees(s, None, meeting)
    assert again.added == [] and again.already == 2


def test_build_invitees_refused_to_others(app, session, council):
    s = session
    meeting = _get(s, Meeting, "council_meeting", council)
    for role in ("copil", "ml", "financeur"):
        with pytest.raises(PermissionDenied):
            inv.build_invitees(s, _user(s, council, role), meeting)


def test_same_person_twice_refused_case_and_spaces(app, session, council):
    s = session
    meeting = _get(s, Meeting, "council_meeting", council)
    inv.build_invitees(s, None, meeting)
    with pytest.raises(ValidationFailed) as exc:
        inv.add_invitee(s, None, meeting, inv.InviteeData(
            full_name="Anne D.", email="  ANNE.durand@ml-libourne.FR ", organisation="?"))
    assert "déjà invité" in _messages(exc.value)
    guest = inv.add_invitee(s, None, meeting, inv.InviteeData(
        full_name="Bertrand Roux", email=" Bertrand.Roux@DREETS.gouv.fr",
        organisation="DREETS"))
    assert guest.email == "bertrand.roux@dreets.gouv.fr" and guest.kind == InviteeKind.INVITE
    with pytest.raises(ValidationFailed):
        inv.add_invitee(s, None, meeting, inv.InviteeData(
            full_name="B. Roux", email="bertrand.roux@dreets.gouv.fr "))
    assert len(meeting.invitees) == 3


def test_inactive_ml_director_refused(app, session, council):
    s = session
    meeting = _get(s, Meeting, "council_meeting", council)
    with pytest.raises(ValidationFailed) as exc:
        inv.add_invitee(s, None, meeting, inv.InviteeData(
            mission_locale_id=council["ids"]["ml_merged"]))
    assert "n'est plus active" in _messages(exc.value)
    # nor by typing that director's address as a guest
    with pytest.raises(ValidationFailed) as exc:
        inv.add_invitee(s, None, meeting, inv.InviteeData(
            full_name="Denis", email="Denis.Ancien@ml-blaye.fr"))
    assert "n'est plus active" in _messages(exc.value)
    assert meeting.invitees == []


def test_bad_guest_input(app, session, council):
    s = session
    meeting = _get(s, Meeting, "council_meeting", council)
    with pytest.raises(ValidationFailed) as exc:
        inv.add_invitee(s, None, meeting, inv.InviteeData(full_name="", email="pas-une-adresse"))
    assert set(exc.value.errors) == {"full_name", "email"}
    # an ML without director e-mail: told to give one
    with pytest.raises(ValidationFailed) as exc:
        inv.add_invitee(s, None, meeting, inv.InviteeData(mission_locale_id=council["ids"]["ml_c"]))
    assert "pas d'adresse de direction" in _messages(exc.value)


# ---------------------------------------------------------------- sending
def _outbox(s, meeting):
    return list(s.scalars(select(OutboxMessage).where(
        OutboxMessage.subject_type == COUNCIL_MEETING, OutboxMessage.subject_id == meeting.id)
        .order_by(OutboxMessage.id)))


def _event(message: OutboxMessage):
    attachment = message.attachments[0]
    assert attachment["mimetype"] == "text/calendar"
    cal = Calendar.from_ical(attachment["content"])
    events = [c for c in cal.walk("VEVENT")]
    assert len(events) == 1
    return cal, events[0]


def test_send_invitations_queues_one_mail_per_invitee(app, session, council):
    s = session
    meeting = _get(s, Meeting, "council_meeting", council)
    inv.add_invitee(s, None, meeting, inv.InviteeData(
        full_name="Bertrand Roux", email="bertrand.roux@dreets.gouv.fr", organisation="DREETS"))
    result = inv.send_invitations(s, _user(s, council, "animateur"), meeting, BASE)
    # the directors were added (no member yet), then everyone invited
    assert result.sent == 3
    assert meeting.status == MeetingStatus.CONVOQUE and meeting.invited_at is not None
    messages = _outbox(s, meeting)
    assert len(messages) == 3
    assert sorted(m.recipients[0] for m in messages) == [
        "anne.durand@ml-libourne.fr", "bertrand.roux@dreets.gouv.fr", "bruno.petit@ml-pau.fr"]
    anne = next(m for m in messages if m.recipients == ["anne.durand@ml-libourne.fr"])
    assert anne.subject.startswith("Invitation : Conseil technique des directeurs")
    assert "Veille régionale" in anne.body and "Ordre du jour" in anne.body
    assert f"{BASE}/conseils/reunions/{meeting.id}" in anne.body
    assert "représenté" in anne.body  # proxies are allowed in this series
    cal, event = _event(anne)
    assert str(cal["method"]) == "REQUEST"
    assert str(event["uid"]) == f"council-meeting-{meeting.id}@animareseau.conseils"
    assert int(event["sequence"]) == 0
    assert cal.walk("VTIMEZONE"), "the Paris time zone travels with the event"
    assert str(event["attendee"]) == "mailto:anne.durand@ml-libourne.fr"
    # the ML without director e-mail is reported
    assert any("Mission locale des Landes" in w for w in result.warnings)


def test_send_refused_past_meeting(app, session, council):
    s = session
    series = _get(s, CouncilSeries, "series", council)
    past = mt.create_meeting(s, None, series, mt.MeetingData(
        day=clock.today() - timedelta(days=3), starts_at=time(9), ends_at=time(12)))
    ag.add_item(s, None, past, ag.ItemData(title="Point"))
    inv.add_invitee(s, None, past, inv.InviteeData(full_name="X", email="x@test.fr"))
    with pytest.raises(DomainError, match="est passée"):
        inv.send_invitations(s, None, past, BASE)
    # earlier today is past too
    today = mt.create_meeting(s, None, series, mt.MeetingData(
        day=clock.today(), starts_at=time(0, 1), ends_at=time(0, 30)))
    ag.add_item(s, None, today, ag.ItemData(title="Point"))
    with pytest.raises(DomainError, match="est passée"):
        inv.send_invitations(s, None, today, BASE)
    assert _outbox(s, past) == [] and past.status == MeetingStatus.PLANIFIE


def test_send_refused_empty_agenda_and_cancelled(app, session, council):
    s = session
    series = _get(s, CouncilSeries, "series", council)
    empty = mt.create_meeting(s, None, series, mt.MeetingData(
        day=clock.today() + timedelta(days=60), starts_at=time(9), ends_at=time(12)))
    with pytest.raises(DomainError, match="ordre du jour est vide"):
        inv.send_invitations(s, None, empty, BASE)
    assert empty.status == MeetingStatus.PLANIFIE and empty.invitees == []
    meeting = _get(s, Meeting, "council_meeting", council)
    mt.cancel_meeting(s, None, meeting, "Grève des transports")
    with pytest.raises(DomainError, match="annulée"):
        inv.send_invitations(s, None, meeting, BASE)
    assert _outbox(s, meeting) == []


def test_short_notice_is_a_warning_not_an_error(app, session, council):
    s = session
    series = _get(s, CouncilSeries, "series", council)
    soon = mt.create_meeting(s, None, series, mt.MeetingData(
        day=clock.today() + timedelta(days=4), starts_at=time(9), ends_at=time(12)))
    ag.add_item(s, None, soon, ag.ItemData(title="Urgence"))
    result = inv.send_invitations(s, None, soon, BASE)
    assert result.sent == 2 and soon.status == MeetingStatus.CONVOQUE
    assert any("4 jours avant la réunion" in w and "10 jours" in w for w in result.warnings)
    # the setting is per series
    series.notice_days = 3
    result = inv.send_invitations(s, None, soon, BASE)
    assert not any("avant la réunion" in w for w in result.warnings)


def _next_dst_change(start: date) -> date:
    """The first day after ``start`` whose 9:30 Paris offset differs from the day before."""
    day = start
    offset = datetime.combine(day, time(9, 30), TIMEZONE).utcoffset()
    while True:
        day += timedelta(days=1)
        current = datetime.combine(day, time(9, 30), TIMEZONE).utcoffset()
        if current != offset:
            return day


def test_move_across_dst_keeps_paris_time_and_raises_sequence(app, session, council):
    s = session
    meeting = _get(s, Meeting, "council_meeting", council)
    change = _next_dst_change(clock.today() + timedelta(days=12))
    before, after = change - timedelta(days=7), change + timedelta(days=7)
    mt.update_meeting(s, None, meeting, mt.MeetingData(
        day=before, starts_at=time(9, 30), ends_at=time(16, 30), place=meeting.place,
        video_link=meeting.video_link))
    assert meeting.ics_sequence == 0  # not convoked yet: nothing to follow
    inv.send_invitations(s, None, meeting, BASE)
    first = _outbox(s, meeting)
    _, event = _event(first[0])
    start_before = event.decoded("dtstart")
    assert (start_before.hour, start_before.minute) == (9, 30)
    assert event["dtstart"].params["TZID"] == "Europe/Paris"
    change_result = mt.update_meeting(s, None, meeting, mt.MeetingData(
        day=after, starts_at=time(9, 30), ends_at=time(16, 30), place=meeting.place,
        video_link=meeting.video_link), base_url=BASE)
    assert meeting.ics_sequence == 1 and change_result.resent == 2
    updates = _outbox(s, meeting)[len(first):]
    assert len(updates) == 2 and all(m.subject.startswith("Modification") for m in updates)
    cal, event = _event(updates[0])
    start_after = event.decoded("dtstart")
    assert start_after.date() == after and (start_after.hour, start_after.minute) == (9, 30)
    assert int(event["sequence"]) == 1 and str(cal["method"]) == "REQUEST"
    assert "DTSTART;TZID=Europe/Paris:" + after.strftime("%Y%m%d") + "T093000" \
        in updates[0].attachments[0]["content"]
    # the UTC instant moved by the offset change: the wall clock did not
    utc_before = start_before.astimezone(UTC).time()
    utc_after = start_after.astimezone(UTC).time()
    assert utc_before != utc_after
    # a change of title only: no new sequence, nothing sent
    count = len(_outbox(s, meeting))
    mt.update_meeting(s, None, meeting, mt.MeetingData(
        day=after, starts_at=time(9, 30), ends_at=time(16, 30), place=meeting.place,
        video_link=meeting.video_link, title="Conseil de printemps"))
    assert meeting.ics_sequence == 1 and len(_outbox(s, meeting)) == count


def test_cancel_sends_method_cancel(app, session, council):
    s = session
    meeting = _get(s, Meeting, "council_meeting", council)
    inv.send_invitations(s, None, meeting, BASE)
    sent = len(_outbox(s, meeting))
    with pytest.raises(ValidationFailed):
        mt.cancel_meeting(s, None, meeting, "  ")
    assert meeting.status == MeetingStatus.CONVOQUE
    count = mt.cancel_meeting(s, _user(s, council, "admin"), meeting, "Salle indisponible")
    assert count == 2 and meeting.status == MeetingStatus.ANNULE
    cancels = _outbox(s, meeting)[sent:]
    assert all(m.subject.startswith("Annulation") for m in cancels)
    assert "Salle indisponible" in cancels[0].body
    cal, event = _event(cancels[0])
    assert str(cal["method"]) == "CANCEL" and str(event["status"]) == "CANCELLED"
    assert int(event["sequence"]) == 1
    assert str(event["uid"]) == f"council-meeting-{meeting.id}@animareseau.conseils"
    # a planned (not convoked) meeting is cancelled without e-mail
    series = _get(s, CouncilSeries, "series", council)
    planned = mt.create_meeting(s, None, series, mt.MeetingData(
        day=clock.today() + timedelta(days=90), starts_at=time(9), ends_at=time(12)))
    assert mt.cancel_meeting(s, None, planned, "Doublon") == 0


def test_guest_added_after_convocation_is_invited_at_once(app, session, council):
    s = session
    meeting = _get(s, Meeting, "council_meeting", council)
    inv.send_invitations(s, None, meeting, BASE)
    count = len(_outbox(s, meeting))
    inv.add_invitee(s, None, meeting, inv.InviteeData(
        full_name="Rita Région", email="rita@region.test", organisation="Région"))
    messages = _outbox(s, meeting)
    assert len(messages) == count + 1 and messages[-1].recipients == ["rita@region.test"]


def test_feed_and_download_ics(app, session, council):
    s = session
    meeting = _get(s, Meeting, "council_meeting", council)
    text = meetings_feed([meeting])
    cal = Calendar.from_ical(text)
    assert str(cal["method"]) == "PUBLISH" and len(cal.walk("VEVENT")) == 1
    assert "visio.test" not in text  # the video link is for the invited
    assert "visio.test" in meeting_ics(meeting, method="PUBLISH")
    meeting.status = MeetingStatus.ANNULE
    assert Calendar.from_ical(meetings_feed([meeting])).walk("VEVENT") == []


# ---------------------------------------------------------------- answers
@pytest.fixture
def convoked(app, council):
    """The meeting convoked with its two directors and a third member (ml_c's, by hand)."""
    with app.app_context():
        s = db.session
        set_actor(s, None, via="cli")
        meeting = s.get(Meeting, council["ids"]["council_meeting"])
        inv.build_invitees(s, None, meeting)
        inv.add_invitee(s, None, meeting, inv.InviteeData(
            mission_locale_id=council["ids"]["ml_c"], email="claire@ml-landes.fr"))
        inv.add_invitee(s, None, meeting, inv.InviteeData(
            full_name="Bertrand Roux", email="bertrand.roux@dreets.gouv.fr",
            organisation="DREETS"))
        inv.send_invitations(s, None, meeting, BASE)
        s.commit()
        by_ml = {i.mission_locale_id: i.id for i in meeting.invitees}
        council["ids"].update(inv_a=by_ml[council["ids"]["ml_a"]],
                              inv_b=by_ml[council["ids"]["ml_b"]],
                              inv_c=by_ml[council["ids"]["ml_c"]], inv_guest=by_ml[None])
    return council


def _inv(s, world, key) -> Invitee:
    return s.get(Invitee, world["ids"][key])


def test_ml_answers_for_its_own_director_only(app, session, convoked):
    s = session
    ml = _user(s, convoked, "ml")
    a, b = _inv(s, convoked, "inv_a"), _inv(s, convoked, "inv_b")
    inv.answer(s, ml, a, "present")
    assert a.answer == Presence.PRESENT and a.answered_by == "Marc Libourne"
    with pytest.raises(PermissionDenied):
        inv.answer(s, ml, b, "excuse")
    for role in ("copil", "financeur"):
        with pytest.raises(PermissionDenied):
            inv.answer(s, _user(s, convoked, role), a, "excuse")
    inv.answer(s, _user(s, convoked, "animateur"), b, "excuse")
    assert b.answer == Presence.EXCUSE
    with pytest.raises(DomainError):
        inv.answer(s, ml, a, "peut-etre")
    with pytest.raises(ValidationFailed):
        inv.answer(s, ml, a, "absent")  # absent is recorded at the meeting, not answered


def test_proxy_rules(app, session, convoked):
    s = session
    a, b, c = (_inv(s, convoked, k) for k in ("inv_a", "inv_b", "inv_c"))
    guest = _inv(s, convoked, "inv_guest")
    # to oneself
    with pytest.raises(ValidationFailed) as exc:
        inv.answer(s, None, a, "represente", proxy_holder_id=a.id)
    assert "soi-même" in _messages(exc.value)
    # without holder, or to a guest
    with pytest.raises(ValidationFailed):
        inv.answer(s, None, a, "represente")
    with pytest.raises(ValidationFailed) as exc:
        inv.answer(s, None, a, "represente", proxy_holder_id=guest.id)
    assert "pas membre" in _messages(exc.value)
    # to an absent (excused) member
    inv.answer(s, None, c, "excuse")
    with pytest.raises(ValidationFailed) as exc:
        inv.answer(s, None, a, "represente", proxy_holder_id=c.id)
    assert "excusé" in _messages(exc.value)
    # a valid proxy: a → b
    inv.answer(s, None, b, "present")
    inv.answer(s, None, a, "represente", proxy_holder_id=b.id)
    assert a.answer == Presence.REPRESENTE and a.proxy_holder_id == b.id
    # over the maximum (1 per holder)
    inv.answer(s, None, c, "present")
    with pytest.raises(ValidationFailed) as exc:
        inv.answer(s, None, c, "represente", proxy_holder_id=b.id)
    assert "maximum" in _messages(exc.value)
    # a chain: c → a, a having given their proxy
    with pytest.raises(ValidationFailed) as exc:
        inv.answer(s, None, c, "represente", proxy_holder_id=a.id)
    assert "ne se transmet pas" in _messages(exc.value)
    # a chain the other way: b (holding a's proxy) gives theirs
    with pytest.raises(ValidationFailed) as exc:
        inv.answer(s, None, b, "represente", proxy_holder_id=c.id)
    assert "détient la procuration" in _messages(exc.value)
    assert b.answer == Presence.PRESENT and b.proxy_holder_id is None
    # with a higher maximum the second proxy is accepted
    b.meeting.series.max_proxies = 2
    inv.answer(s, None, c, "represente", proxy_holder_id=b.id)
    assert c.proxy_holder_id == b.id


def test_proxies_off_by_series(app, session, convoked):
    s = session
    a, b = _inv(s, convoked, "inv_a"), _inv(s, convoked, "inv_b")
    a.meeting.series.proxies_enabled = False
    with pytest.raises(ValidationFailed) as exc:
        inv.answer(s, None, a, "represente", proxy_holder_id=b.id)
    assert "ne prévoit pas de procuration" in _messages(exc.value)


def test_answers_closed_once_held(app, session, convoked):
    s = session
    a = _inv(s, convoked, "inv_a")
    a.meeting.status = MeetingStatus.TENU
    with pytest.raises(DomainError, match="tenue"):
        inv.answer(s, _user(s, convoked, "ml"), a, "present")
    assert a.answer is None


def test_remove_invitee_tells_them(app, session, convoked):
    s = session
    guest = _inv(s, convoked, "inv_guest")
    meeting = guest.meeting
    count = len(_outbox(s, meeting))
    inv.remove_invitee(s, None, guest)
    messages = _outbox(s, meeting)
    assert len(messages) == count + 1 and messages[-1].subject.startswith("Invitation retirée")
    assert str(Calendar.from_ical(messages[-1].attachments[0]["content"])["method"]) == "CANCEL"
    assert all(i.email != "bertrand.roux@dreets.gouv.fr" for i in meeting.invitees)


# ---------------------------------------------------------------- pages
def test_ml_answers_from_my_invitations(app, client, convoked):
    ids = convoked["ids"]
    login(client, convoked["emails"]["ml"])
    page = client.get("/conseils/mes-invitations")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "Anne Durand" in text
    # its own director's answer form only (others appear as possible proxy holders)
    assert f"/conseils/invites/{ids['inv_a']}/reponse" in text
    assert f"/conseils/invites/{ids['inv_b']}/reponse" not in text
    response = client.post(f"/conseils/invites/{ids['inv_a']}/reponse",
                           data={"answer": "represente", "proxy_holder_id": str(ids["inv_a"]),
                                 "next": "/conseils/mes-invitations"})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Invitee, ids["inv_a"]).answer is None
    response = client.post(f"/conseils/invites/{ids['inv_a']}/reponse",
                           data={"answer": "present"}, follow_redirects=True)
    assert "Réponse enregistrée" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Invitee, ids["inv_a"]).answer == Presence.PRESENT
    # another ML's director: not found
    assert client.post(f"/conseils/invites/{ids['inv_b']}/reponse",
                       data={"answer": "present"}).status_code == 404


def test_meeting_page_shows_answers_and_answer_form(app, client, convoked):
    ids = convoked["ids"]
    login(client, convoked["emails"]["ml"])
    text = client.get(f"/conseils/reunions/{ids['council_meeting']}").get_data(as_text=True)
    assert "Votre réponse" in text and "Anne Durand" in text
    assert 'name="proxy_holder_id"' in text  # proxies are allowed in this series


def test_funder_guest_sees_the_meeting(app, client, convoked):
    ids = convoked["ids"]
    login(client, convoked["emails"]["financeur"])
    url = f"/conseils/reunions/{ids['council_meeting']}"
    assert client.get(url).status_code == 404
    with app.app_context():
        s = db.session
        set_actor(s, None, via="cli")
        meeting = s.get(Meeting, ids["council_meeting"])
        guest = inv.add_invitee(s, None, meeting, inv.InviteeData(user_id=ids["financeur"]))
        assert guest.email == "fin@test.fr" and guest.organisation.startswith("Conseil régional")
        s.commit()
    assert client.get(url).status_code == 200
    assert client.get(f"/conseils/reunions/{ids['council_meeting']}/reunion.ics"
                      ).status_code == 200
    assert client.get("/conseils/").status_code == 403


def test_team_invitees_page_and_send(app, client, council):
    ids = council["ids"]
    login(client, council["emails"]["animateur"])
    url = f"/conseils/reunions/{ids['council_meeting']}/invites"
    assert client.get(url).status_code == 200
    response = client.post(f"{url}/membres", follow_redirects=True)
    text = response.get_data(as_text=True)
    assert "Mission locale des Landes" in text  # reported: no director e-mail
    response = client.post(f"{url}/ajouter", data={
        "full_name": "Bertrand Roux", "email": "ANNE.DURAND@ml-libourne.fr "},
        follow_redirects=True)
    assert "déjà invité" in response.get_data(as_text=True)
    response = client.post(f"/conseils/reunions/{ids['council_meeting']}/inviter",
                           follow_redirects=True)
    text = response.get_data(as_text=True)
    assert "2 invitation(s) envoyée(s)" in text and "Convoquée" in text
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(OutboxMessage).where(
            OutboxMessage.subject_type == "council_meeting")) == 2


def test_council_feed(app, client, council):
    login(client, council["emails"]["copil"])
    response = client.get("/conseils/calendrier.ics")
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    assert "council-meeting-" in response.get_data(as_text=True)
    other = app.test_client()
    login(other, council["emails"]["financeur"])
    assert other.get("/conseils/calendrier.ics").status_code == 403


def test_delivery_declares_the_method_of_the_calendar():
    """Mail clients treat an invitation as a meeting request (and a cancellation as one)
    only when the MIME part says so: the part takes the calendar's own METHOD."""
    from models.mail.delivery import _ics_method

    assert _ics_method("BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nEND:VCALENDAR") == "REQUEST"
    assert _ics_method("BEGIN:VCALENDAR\nmethod:cancel\nEND:VCALENDAR") == "CANCEL"
    assert _ics_method("BEGIN:VCALENDAR\nEND:VCALENDAR") == "PUBLISH"
