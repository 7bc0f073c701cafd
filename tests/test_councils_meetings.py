"""Council series, meetings, agendas and the backlog: planning, the approval of the
previous minutes opening the next agenda, moving / copying an item to the next meeting,
deleting a meeting, attachments, hostile agenda text, and the pages (home, list, meeting
page with its "Suivi des décisions", backlog)."""

from __future__ import annotations

import hashlib
import html
import io
from datetime import time, timedelta

import pytest
from sqlalchemy import select

from models import clock
from models.accounts.orm import User
from models.audit import set_actor
from models.councils import agenda as ag
from models.councils import invitations as inv
from models.councils import meetings as mt
from models.councils.decisions import DecisionData, record_decision
from models.councils.enums import ItemKind, MeetingStatus, MinutesStatus, SeriesKind
from models.councils.orm import AgendaItem, CouncilSeries, Meeting, Minutes
from models.errors import DomainError, PermissionDenied, ValidationFailed
from models.formatting import format_date
from tests.conftest import login
from webapp.extensions import db

NINE, FIVE = time(9, 30), time(16, 30)


def _messages(exc: ValidationFailed) -> str:
    return " ".join(m for msgs in exc.errors.values() for m in msgs)


def _user(s, world, role) -> User:
    return s.get(User, world["ids"][role])


def _series(s, name="Conseil technique des directeurs", **kwargs) -> CouncilSeries:
    data = mt.SeriesData(name=name, kind=SeriesKind.CONSEIL.value, rhythm_weeks=6,
                         default_place="ARML, Bordeaux", **kwargs)
    return mt.save_series(s, None, None, data)


def _meeting(s, series, days: int, **kwargs) -> Meeting:
    return mt.create_meeting(s, None, series, mt.MeetingData(
        day=clock.today() + timedelta(days=days), starts_at=NINE, ends_at=FIVE, **kwargs))


def _held(s, series, days_ago: int) -> Meeting:
    """A past meeting recorded as held (the attendance part does this in real life)."""
    meeting = _meeting(s, series, -days_ago)
    meeting.status = MeetingStatus.TENU
    s.flush()
    return meeting


@pytest.fixture
def council(app, world):
    with app.app_context():
        s = db.session
        set_actor(s, None, via="cli")
        series = _series(s)
        meeting = _meeting(s, series, 30)
        ag.add_item(s, None, meeting, ag.ItemData(kind="information", title="Veille",
                                                  presenter="Sophie", duration_minutes=45))
        s.commit()
        world["ids"].update(series=series.id, council_meeting=meeting.id)
    return world


# ---------------------------------------------------------------- series
def test_series_rules(app, session, world):
    s = session
    set_actor(s, None, via="cli")
    series = _series(s)
    with pytest.raises(ValidationFailed) as exc:
        _series(s, name="  CONSEIL technique des directeurs ")
    assert "s'appelle déjà" in _messages(exc.value)
    bad = mt.SeriesData(name="Groupe", kind="inconnu", rhythm_weeks=0,
                        default_start=time(17), default_end=time(9),
                        video_link="javascript:alert(1)", quorum_enabled=True,
                        max_proxies=0, notice_days=-1)
    with pytest.raises(ValidationFailed) as exc:
        mt.save_series(s, None, None, bad)
    assert set(exc.value.errors) == {"kind", "rhythm_weeks", "default_end", "video_link",
                                     "quorum_threshold", "max_proxies", "notice_days"}
    for role in ("copil", "ml", "financeur"):
        with pytest.raises(PermissionDenied):
            mt.save_series(s, _user(s, world, role), None, mt.SeriesData(name="X"))
    # defaults: quorum and proxies off
    assert not series.quorum_enabled and not series.proxies_enabled


def test_plan_series_every_rhythm_weeks(app, session, world):
    s = session
    series = _series(s)
    first = clock.today() + timedelta(days=10)
    created = mt.plan_series(s, _user(s, world, "animateur"), series, first, 8)
    assert [m.day for m in created] == [first + timedelta(weeks=6 * n) for n in range(8)]
    assert all(m.starts_at == NINE and m.place == "ARML, Bordeaux" for m in created)
    assert all(m.status == MeetingStatus.PLANIFIE for m in created)
    # planning again over the same days adds only the new ones
    again = mt.plan_series(s, None, series, first + timedelta(weeks=42), 3)
    assert len(again) == 2
    with pytest.raises(ValidationFailed):
        mt.plan_series(s, None, series, first, 0)
    with pytest.raises(ValidationFailed):
        mt.plan_series(s, None, series, None, 200)
    series.rhythm_weeks = None
    with pytest.raises(ValidationFailed) as exc:
        mt.plan_series(s, None, series, first, 2)
    assert "rythme" in _messages(exc.value)


def test_meeting_bad_input(app, session, world):
    s = session
    series = _series(s)
    with pytest.raises(ValidationFailed) as exc:
        mt.create_meeting(s, None, series, mt.MeetingData(
            day=None, starts_at=time(12), ends_at=time(9), video_link="ftp://x"))
    assert set(exc.value.errors) == {"day", "ends_at", "video_link"}
    assert s.scalars(select(Meeting)).all() == []


# ---------------------------------------------------------------- agenda
def test_agenda_text_script_is_stored_as_text_and_long_text_refused(app, session, council):
    s = session
    meeting = s.get(Meeting, council["ids"]["council_meeting"])
    item = ag.add_item(s, None, meeting, ag.ItemData(
        title="<script>alert('x')</script>", details="<script>alert(1)</script>"))
    assert item.title == "<script>alert('x')</script>"
    with pytest.raises(ValidationFailed) as exc:
        ag.add_item(s, None, meeting, ag.ItemData(title="Long", details="x" * 10_000))
    assert "5\u202f000 caractères" in _messages(exc.value) or "5 000" in _messages(exc.value)
    assert len(meeting.items) == 2
    with pytest.raises(ValidationFailed) as exc:
        ag.update_item(s, None, item, ag.ItemData(title="ok", details="y" * 10_000))
    assert item.details == "<script>alert(1)</script>"


def test_agenda_order_and_bad_kinds(app, session, council):
    s = session
    meeting = s.get(Meeting, council["ids"]["council_meeting"])
    second = ag.add_item(s, None, meeting, ag.ItemData(kind="decision", title="Vote"))
    third = ag.add_item(s, None, meeting, ag.ItemData(kind="echange", title="Tour de table"))
    assert [i.title for i in ag.ordered_items(meeting)] == ["Veille", "Vote", "Tour de table"]
    ag.move_item(s, None, third, "up")
    assert [i.title for i in ag.ordered_items(meeting)] == ["Veille", "Tour de table", "Vote"]
    with pytest.raises(DomainError, match="dernier"):
        ag.move_item(s, None, second, "down")
    with pytest.raises(ValidationFailed) as exc:
        ag.add_item(s, None, meeting, ag.ItemData(kind="approbation", title="CR"))
    assert "automatiquement" in _messages(exc.value)
    with pytest.raises(ValidationFailed):
        ag.add_item(s, None, meeting, ag.ItemData(kind="n'importe", title="X",
                                                  duration_minutes=0))
    ag.delete_item(s, None, second)
    assert [i.position for i in ag.ordered_items(meeting)] == [1, 2]


# ---------------------------------------------------------------- approval item
def test_approval_item_opens_the_next_agenda_once(app, session, world):
    s = session
    series = _series(s)
    held = _held(s, series, 20)
    nxt = _meeting(s, series, 20)
    later = _meeting(s, series, 62)
    items = ag.ordered_items(nxt)
    assert len(items) == 1 and items[0].kind == ItemKind.APPROBATION
    assert items[0].minutes_of_id == held.id and items[0].position == 1
    assert format_date(held.day) in items[0].title
    assert later.items == []  # only the next meeting carries it
    # adding items keeps it first, never twice; sending the invitations neither
    ag.add_item(s, None, nxt, ag.ItemData(title="Veille"))
    ag.add_item(s, None, nxt, ag.ItemData(title="Budget"))
    inv.add_invitee(s, None, nxt, inv.InviteeData(full_name="X", email="x@test.fr"))
    inv.send_invitations(s, None, nxt, "https://a.test")
    ordered = ag.ordered_items(nxt)
    assert [i.kind for i in ordered].count(ItemKind.APPROBATION) == 1
    assert ordered[0].kind == ItemKind.APPROBATION
    second = ordered[1]
    with pytest.raises(DomainError, match="premier point"):
        ag.move_item(s, None, second, "up")
    with pytest.raises(DomainError, match="approuvé"):
        ag.delete_item(s, None, ordered[0])
    # the next meeting cancelled: the approval moves on to the one after
    mt.cancel_meeting(s, None, nxt, "Report")
    assert [i.minutes_of_id for i in later.items] == [held.id]


def test_no_approval_item_once_minutes_are_approved(app, session, world):
    s = session
    series = _series(s)
    held = _held(s, series, 20)
    s.add(Minutes(meeting=held, body="CR", status=MinutesStatus.APPROUVE))
    s.flush()
    nxt = _meeting(s, series, 20)
    assert nxt.items == []
    # no held meeting at all: nothing either
    other = _series(s, name="Groupe de travail mobilité")
    assert _meeting(s, other, 10).items == []


def test_approval_item_added_when_the_agenda_is_built_after_holding(app, session, world):
    s = session
    series = _series(s)
    first = _meeting(s, series, -10)
    second = _meeting(s, series, 30)
    assert second.items == []  # nothing held yet
    first.status = MeetingStatus.TENU  # held afterwards (attendance part)
    s.flush()
    assert ag.approval_due(s, second) is first
    ag.add_item(s, None, second, ag.ItemData(title="Veille"))
    assert [i.kind for i in ag.ordered_items(second)] == [ItemKind.APPROBATION,
                                                          ItemKind.INFORMATION]


# ---------------------------------------------------------------- next meeting
def test_move_or_copy_an_item_to_the_next_meeting(app, session, world):
    s = session
    series = _series(s)
    m1 = _meeting(s, series, 10)
    cancelled = _meeting(s, series, 20)
    m2 = _meeting(s, series, 30)
    mt.cancel_meeting(s, None, cancelled, "Doublon")
    item = ag.add_item(s, None, m1, ag.ItemData(title="Mobilité", presenter="Léa",
                                                duration_minutes=20))
    ag.add_attachment(s, None, item, "note.pdf", "application/pdf", b"%PDF note")
    copy = ag.carry_to_next(s, None, item, copy=True)
    assert copy.meeting is m2 and copy is not item and item.meeting is m1
    assert (copy.title, copy.presenter, copy.duration_minutes) == ("Mobilité", "Léa", 20)
    assert [a.sha256 for a in copy.attachments] == [a.sha256 for a in item.attachments]
    other = ag.add_item(s, None, m1, ag.ItemData(title="Budget"))
    moved = ag.carry_to_next(s, None, other, copy=False)
    assert moved is other and other.meeting is m2 and other not in m1.items
    with pytest.raises(DomainError, match="Aucune réunion suivante"):
        ag.carry_to_next(s, None, copy, copy=True)
    # a held meeting keeps its agenda: copy, not move
    m1.status = MeetingStatus.TENU
    with pytest.raises(DomainError, match="Copiez"):
        ag.carry_to_next(s, None, item, copy=False)


# ---------------------------------------------------------------- backlog
def test_backlog_proposals_and_scheduling(app, session, council):
    s = session
    series = s.get(CouncilSeries, council["ids"]["series"])
    meeting = s.get(Meeting, council["ids"]["council_meeting"])
    ml = _user(s, council, "ml")
    topic = ag.propose_topic(s, ml, series, ag.ItemData(kind="echange",
                                                        title="Accueil des mineurs"))
    assert topic.meeting_id is None and topic.proposed_by_ml_id == council["ids"]["ml_a"]
    assert topic.proposed_by == "Marc Libourne"
    for role in ("copil", "financeur"):
        with pytest.raises(PermissionDenied):
            ag.propose_topic(s, _user(s, council, role), series, ag.ItemData(title="X"))
    with pytest.raises(ValidationFailed):
        ag.propose_topic(s, ml, series, ag.ItemData(kind="suivi", title="X"))
    with pytest.raises(PermissionDenied):
        ag.schedule_item(s, ml, topic, meeting)
    other_series = _series(s, name="Autre instance")
    with pytest.raises(DomainError, match="même instance"):
        ag.schedule_item(s, None, topic, _meeting(s, other_series, 5))
    ag.schedule_item(s, _user(s, council, "animateur"), topic, meeting)
    assert topic.meeting is meeting and ag.ordered_items(meeting)[-1] is topic
    assert ag.backlog_items(s, series) == []
    ag.unschedule_item(s, None, topic)
    assert ag.backlog_items(s, series) == [topic]


# ---------------------------------------------------------------- deleting
def test_delete_meeting_rules(app, session, council):
    s = session
    series = s.get(CouncilSeries, council["ids"]["series"])
    meeting = s.get(Meeting, council["ids"]["council_meeting"])
    record_decision(s, None, DecisionData(
        text="Lancer l'enquête", owner_ml_id=council["ids"]["ml_a"], owner_person="Anne",
        due_date=meeting.day + timedelta(days=30)), meeting=meeting)
    with pytest.raises(DomainError, match="décision"):
        mt.delete_meeting(s, None, meeting)
    # held, or with approved minutes, or having approved minutes: never deleted
    held = _held(s, series, 60)
    with pytest.raises(DomainError, match="tenue"):
        mt.delete_meeting(s, None, held)
    approving = _meeting(s, series, 80)
    s.add(Minutes(meeting=held, body="CR", status=MinutesStatus.APPROUVE,
                  approved_in=approving))
    s.flush()
    with pytest.raises(DomainError, match="approuvés lors de cette réunion"):
        mt.delete_meeting(s, None, approving)
    planned = _meeting(s, series, 120)
    s.add(Minutes(meeting=planned, body="CR", status=MinutesStatus.APPROUVE))
    s.flush()
    with pytest.raises(DomainError, match="approuvé"):
        mt.delete_meeting(s, None, planned)
    # a planned meeting: deleted, its items back to the backlog
    spare = _meeting(s, series, 150)
    ag.add_item(s, None, spare, ag.ItemData(title="Sujet à garder"))
    spare_id = spare.id
    mt.delete_meeting(s, None, spare)
    assert s.get(Meeting, spare_id) is None
    assert [i.title for i in ag.backlog_items(s, series)] == ["Sujet à garder"]
    # a convoked one is cancelled, not deleted
    convoked = _meeting(s, series, 170)
    ag.add_item(s, None, convoked, ag.ItemData(title="Point"))
    inv.add_invitee(s, None, convoked, inv.InviteeData(full_name="X", email="x@test.fr"))
    inv.send_invitations(s, None, convoked, "https://a.test")
    with pytest.raises(DomainError, match="annulez-la"):
        mt.delete_meeting(s, None, convoked)


# ---------------------------------------------------------------- attachments
def test_attachments(app, session, council):
    s = session
    meeting = s.get(Meeting, council["ids"]["council_meeting"])
    item = ag.ordered_items(meeting)[0]
    content = b"%PDF-1.4 ordre du jour"
    attachment = ag.add_attachment(s, None, item, "../../etc/Ordre du jour.pdf",
                                   "application/pdf", content)
    assert attachment.filename == "Ordre du jour.pdf" and attachment.size == len(content)
    assert attachment.sha256 == hashlib.sha256(content).hexdigest()
    with pytest.raises(ValidationFailed) as exc:
        ag.add_attachment(s, None, item, "gros.zip", "application/zip",
                          b"0" * (ag.MAX_ATTACHMENT + 1))
    assert "10 Mo" in _messages(exc.value)
    with pytest.raises(ValidationFailed):
        ag.add_attachment(s, None, item, "vide.txt", "text/plain", b"")
    assert len(item.attachments) == 1


# ---------------------------------------------------------------- pages
def test_meeting_page(app, client, council):
    ids = council["ids"]
    with app.app_context():
        s = db.session
        set_actor(s, None, via="cli")
        series = s.get(CouncilSeries, ids["series"])
        earlier = _held(s, series, 50)
        record_decision(s, None, DecisionData(
            text="Relancer les partenaires", owner_ml_id=ids["ml_b"], owner_person="Bruno",
            due_date=earlier.day + timedelta(days=5)), meeting=earlier)
        record_decision(s, None, DecisionData(
            text="Écrire la charte", owner_ml_id=ids["ml_a"], owner_person="Anne",
            due_date=clock.today() + timedelta(days=100)), meeting=earlier)
        meeting = s.get(Meeting, ids["council_meeting"])
        ag.add_item(s, None, meeting, ag.ItemData(
            title="Sécurité", details="<script>alert('x')</script>", duration_minutes=30))
        day = meeting.day
        s.commit()
    login(client, council["emails"]["copil"])
    response = client.get(f"/conseils/reunions/{ids['council_meeting']}")
    text = response.get_data(as_text=True)
    assert response.status_code == 200
    assert format_date(day) in text  # "3 septembre 2026" style
    assert "09:30" in text or "9 h 30" in text
    assert "<script>alert" not in text and "&lt;script&gt;alert" in text
    assert "Suivi des décisions" in text and "Relancer les partenaires" in text
    assert "Écrire la charte" in html.unescape(text)
    assert "En retard" in text  # the first decision's due date is past
    # the approval of the earlier minutes opens the agenda (added at sending)
    assert "Approbation du compte rendu de la réunion du" in text
    assert "1 h 30" in text  # 45 + 30 min, and 15 for the approval
    assert "Envoyer les invitations" not in text  # the copil reads only
    # a mission locale reads the decisions its ML owns; the others are a count
    ml = app.test_client()
    login(ml, council["emails"]["ml"])
    text = html.unescape(ml.get(f"/conseils/reunions/{ids['council_meeting']}")
                         .get_data(as_text=True))
    assert "Écrire la charte" in text and "Relancer les partenaires" not in text
    assert "1 autre décision suivie" in text


def test_team_builds_a_meeting_through_the_pages(app, client, council):
    ids = council["ids"]
    login(client, council["emails"]["animateur"])
    response = client.post("/conseils/instances/nouvelle", data={
        "name": "Groupe de travail mobilité", "kind": "groupe", "rhythm_weeks": "4",
        "default_start": "14:00", "default_end": "16:00", "max_proxies": "1",
        "notice_days": "7", "active": "y"})
    assert response.status_code == 302
    with app.app_context():
        series = db.session.scalars(select(CouncilSeries).where(
            CouncilSeries.name == "Groupe de travail mobilité")).one()
        series_id = series.id
    first = (clock.today() + timedelta(days=14)).isoformat()
    response = client.post(f"/conseils/instances/{series_id}/planifier",
                           data={"first_day": first, "count": "3"}, follow_redirects=True)
    assert "3 réunion(s) planifiée(s)" in response.get_data(as_text=True)
    meeting_id = ids["council_meeting"]
    long = client.post(f"/conseils/reunions/{meeting_id}/points/nouveau",
                       data={"kind": "information", "title": "Long", "details": "x" * 10_000})
    assert long.status_code == 422 and "dépasse 5" in long.get_data(as_text=True)
    ok = client.post(f"/conseils/reunions/{meeting_id}/points/nouveau",
                     data={"kind": "decision", "title": "Vote du budget",
                           "duration_minutes": "20"})
    assert ok.status_code == 302
    with app.app_context():
        item = db.session.scalars(select(AgendaItem).where(
            AgendaItem.title == "Vote du budget")).one()
        item_id = item.id
    upload = client.post(f"/conseils/points/{item_id}/pieces", data={
        "file": (io.BytesIO(b"%PDF budget"), "budget.pdf", "application/pdf")},
        content_type="multipart/form-data", follow_redirects=True)
    assert "budget.pdf" in upload.get_data(as_text=True)
    with app.app_context():
        attachment_id = db.session.get(AgendaItem, item_id).attachments[0].id
    download = client.get(f"/conseils/pieces/{attachment_id}")
    assert download.status_code == 200 and download.data == b"%PDF budget"
    assert download.headers["Content-Disposition"].startswith("attachment;")
    moved = client.post(f"/conseils/points/{item_id}/deplacer", data={"value": "up"},
                        follow_redirects=True)
    assert moved.status_code == 200
    page = client.get(f"/conseils/reunions/{meeting_id}").get_data(as_text=True)
    assert page.index("Vote du budget") < page.index("Veille")
    cancel = client.post(f"/conseils/reunions/{meeting_id}/annuler", data={"reason": ""},
                         follow_redirects=True)
    assert "motif" in cancel.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Meeting, meeting_id).status == MeetingStatus.PLANIFIE
    deleted = client.post(f"/conseils/reunions/{meeting_id}/supprimer", follow_redirects=True)
    text = deleted.get_data(as_text=True)
    assert "Réunion supprimée" in text and "Sujets en attente" in text
    with app.app_context():
        assert db.session.get(Meeting, meeting_id) is None
        assert db.session.get(AgendaItem, item_id).meeting_id is None


def test_home_list_and_backlog_pages(app, client, council):
    ids = council["ids"]
    login(client, council["emails"]["ml"])
    home = client.get("/conseils/").get_data(as_text=True)
    assert "Conseil technique des directeurs" in home and "Prochaines réunions" in home
    assert "/conseils/decisions" in home  # the register
    listing = client.get(f"/conseils/reunions?instance={ids['series']}&statut=planifie"
                         f"&annee={clock.today().year + 5}")
    assert listing.status_code == 200
    assert client.get("/conseils/reunions?statut=zz&annee=abc&instance=x").status_code == 200
    proposal = client.post(f"/conseils/instances/{ids['series']}/sujets", data={
        "kind": "echange", "title": "Mobilité des jeunes", "details": "<b>gras</b>"},
        follow_redirects=True)
    text = proposal.get_data(as_text=True)
    assert "votre proposition est transmise" in text and "&lt;b&gt;gras&lt;/b&gt;" in text
    with app.app_context():
        topic = db.session.scalars(select(AgendaItem).where(
            AgendaItem.title == "Mobilité des jeunes")).one()
        assert topic.proposed_by_ml_id == ids["ml_a"] and topic.meeting_id is None
    # the team puts it on the meeting's agenda
    team = app.test_client()
    login(team, council["emails"]["animateur"])
    done = team.post(f"/conseils/points/{topic.id}/inscrire",
                     data={"meeting_id": str(ids["council_meeting"])}, follow_redirects=True)
    assert "Sujet inscrit" in done.get_data(as_text=True)
    carried = team.post(f"/conseils/points/{topic.id}/reunion-suivante",
                        data={"value": "copier"}, follow_redirects=True)
    assert "Aucune réunion suivante" in html.unescape(carried.get_data(as_text=True))
