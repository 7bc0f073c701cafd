"""Rules found in review: who may move a decision's due date or tie a change to a meeting,
what a moved or cancelled meeting does to its decisions, what a closed programme keeps,
what a reader of minutes sees, and inputs that must never cause a 500."""

from __future__ import annotations

from datetime import time, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from models import clock
from models.accounts.orm import User
from models.audit import set_actor
from models.councils import agenda as ag
from models.councils import meetings as mt
from models.councils.decisions import DecisionData, change_status, record_decision
from models.councils.enums import (
    DecisionStatus,
    InviteeKind,
    MeetingStatus,
    MinutesStatus,
    Presence,
    SeriesKind,
)
from models.councils.orm import AgendaItem, CouncilSeries, Decision, Invitee, Meeting, Minutes
from models.councils.register import follow_up
from models.errors import DomainError, ValidationFailed
from models.programme.computed import set_source
from models.programme.enums import ProgrammeStatus
from models.programme.items import IndicatorData, save_item
from models.programme.orm import Action, Indicator
from tests.conftest import login
from webapp.extensions import db


@pytest.fixture
def rules_world(app, programme_world):
    """A series: a held meeting 40 days ago (ml_a's director present), one cancelled, one
    planned in 20 days; a decision owned by ml_a and one by ml_b at the held meeting."""
    ids = programme_world["ids"]
    with app.app_context():
        s = db.session
        set_actor(s, None, via="cli")
        series = CouncilSeries(name="Conseil", kind=SeriesKind.CONSEIL)
        today = clock.today()

        def meeting(days: int, status: MeetingStatus) -> Meeting:
            m = Meeting(series=series, day=today + timedelta(days=days), starts_at=time(9),
                        ends_at=time(12), status=status)
            s.add(m)
            return m

        held = meeting(-40, MeetingStatus.TENU)
        held.invitees.append(Invitee(kind=InviteeKind.MEMBRE, full_name="Dir A",
                                     email="dir.a@ml.fr", mission_locale_id=ids["ml_a"],
                                     presence=Presence.PRESENT))
        cancelled = meeting(-20, MeetingStatus.ANNULE)
        planned = meeting(20, MeetingStatus.PLANIFIE)
        s.flush()
        own = record_decision(s, None, DecisionData(
            text="Décision de la ML A", owner_ml_id=ids["ml_a"], owner_person="Dir A",
            due_date=today + timedelta(days=10)), meeting=held)
        other = record_decision(s, None, DecisionData(
            text="Décision de la ML B " + "très longue " * 330, owner_ml_id=ids["ml_b"],
            owner_person="Dir B", due_date=today + timedelta(days=10)), meeting=held)
        s.add(Minutes(meeting=held, body="Relevé.", status=MinutesStatus.DIFFUSE))
        s.commit()
        ids.update(series=series.id, held=held.id, cancelled=cancelled.id, planned=planned.id,
                   own=own.id, other=other.id)
    return programme_world


def _ml_user(s, world) -> User:
    return s.scalars(select(User).where(User.email == world["emails"]["ml"])).one()


def test_a_mission_locale_neither_postpones_nor_picks_the_meeting(app, rules_world):
    ids = rules_world["ids"]
    with app.app_context():
        s = db.session
        d = s.get(Decision, ids["own"])
        due = d.due_date
        with pytest.raises(ValidationFailed, match="se fixent en conseil"):
            change_status(s, _ml_user(s, rules_world), d, DecisionStatus.EN_COURS,
                          new_due_date=due + timedelta(days=365))
        with pytest.raises(ValidationFailed, match="se fixent en conseil"):
            change_status(s, _ml_user(s, rules_world), d, DecisionStatus.FAITE, note="ok",
                          meeting=s.get(Meeting, ids["held"]))
        s.rollback()
        assert s.get(Decision, ids["own"]).due_date == due


@pytest.mark.parametrize(("key", "message"), [("cancelled", "annulée"),
                                              ("planned", "pas encore eu lieu")])
def test_a_status_change_is_tied_to_a_real_later_meeting(app, rules_world, key, message):
    ids = rules_world["ids"]
    with app.app_context():
        s = db.session
        d = s.get(Decision, ids["own"])
        with pytest.raises(ValidationFailed, match=message):
            change_status(s, None, d, DecisionStatus.FAITE, note="fait",
                          meeting=s.get(Meeting, ids[key]))


def test_a_moved_meeting_takes_its_decisions_along(app, rules_world):
    ids = rules_world["ids"]
    with app.app_context():
        s = db.session
        planned = s.get(Meeting, ids["planned"])
        decision = record_decision(s, None, DecisionData(
            text="Prévoir la salle", owner_member_id=ids["member"],
            due_date=planned.day + timedelta(days=5)), meeting=planned)
        s.commit()
        with pytest.raises(ValidationFailed, match="échéance antérieure"):
            mt.update_meeting(s, None, planned, mt.MeetingData(
                day=planned.day + timedelta(days=30), starts_at=time(9), ends_at=time(12)))
        s.rollback()
        earlier = planned.day - timedelta(days=10)
        mt.update_meeting(s, None, planned, mt.MeetingData(day=earlier, starts_at=time(9),
                                                           ends_at=time(12)))
        s.commit()
        assert s.get(Decision, decision.id).decided_on == earlier
        later = Meeting(series_id=ids["series"], day=earlier + timedelta(days=3),
                        starts_at=time(9), ends_at=time(12))
        s.add(later)
        s.commit()
        assert decision in follow_up(s, later)
        with pytest.raises(ValidationFailed, match="Des décisions sont enregistrées"):
            mt.cancel_meeting(s, None, planned, "Salle indisponible")


def test_no_attachment_is_added_to_a_held_meeting(app, rules_world):
    ids = rules_world["ids"]
    with app.app_context():
        s = db.session
        item = AgendaItem(series_id=ids["series"], meeting_id=ids["held"], kind="information",
                          title="Veille")
        s.add(item)
        s.commit()
        with pytest.raises(DomainError, match="tenue"):
            ag.add_attachment(s, None, item, "annexe.pdf", "application/pdf", b"%PDF-1.4")


def test_a_closed_programme_keeps_its_figures(app, rules_world):
    ids = rules_world["ids"]
    with app.app_context():
        s = db.session
        action = s.get(Action, ids["action_a"])
        indicator = save_item(s, None, action, IndicatorData(
            name="Réunions tenues", unit="réunions", target=Decimal(8),
            achieved=Decimal(5)))
        set_source(s, None, indicator, "conseils.reunions_tenues", ids["series"])
        s.commit()
        counted = indicator.achieved
        action.programme.status = ProgrammeStatus.CLOTURE
        s.commit()
        with pytest.raises(DomainError):
            set_source(s, None, indicator, None, None)
        s.rollback()
        # a meeting held afterwards does not rewrite a closed programme's figure
        s.add(Meeting(series_id=ids["series"], day=clock.today() - timedelta(days=2),
                      starts_at=time(9), ends_at=time(12), status=MeetingStatus.TENU))
        s.commit()
        assert s.get(Indicator, indicator.id).achieved == counted


def test_minutes_show_a_mission_locale_only_its_own_decisions(app, client, rules_world):
    ids = rules_world["ids"]
    assert login(client, rules_world["emails"]["ml"]).status_code == 302
    page = client.get(f"/conseils/reunions/{ids['held']}/compte-rendu").get_data(as_text=True)
    assert "Décision de la ML A" in page and "Décision de la ML B" not in page
    assert "1 autre(s) décision(s)" in page


def test_long_texts_never_break_the_pdfs_and_huge_ids_never_a_500(app, client, rules_world):
    ids = rules_world["ids"]
    with app.app_context():
        db.session.get(Meeting, ids["held"]).place = "Salle du conseil, " * 110
        db.session.commit()
    assert login(client, rules_world["emails"]["admin"]).status_code == 302
    for tail in ("compte-rendu.pdf", "emargement.pdf"):
        response = client.get(f"/conseils/reunions/{ids['held']}/{tail}")
        assert response.status_code == 200 and response.data.startswith(b"%PDF")
    huge = "9" * 25
    for url in (f"/conseils/decisions?ml={huge}", f"/conseils/decisions?instance={huge}",
                f"/conseils/decisions?responsable=m:{huge}",
                f"/conseils/decisions/export.csv?ml={huge}"):
        assert client.get(url).status_code == 200, url


def test_minutes_approved_are_the_ones_the_page_showed(app, client, rules_world):
    ids = rules_world["ids"]
    with app.app_context():
        s = db.session
        later = Meeting(series_id=ids["series"], day=clock.today() - timedelta(days=5),
                        starts_at=time(9), ends_at=time(12), status=MeetingStatus.TENU)
        s.add(later)
        minutes = s.scalars(select(Minutes).where(Minutes.meeting_id == ids["held"])).one()
        s.commit()
        later_id, minutes_id, shown = later.id, minutes.id, minutes.version_id
        minutes.body = "Relevé corrigé après diffusion."  # someone edits in between
        s.commit()
    assert login(client, rules_world["emails"]["admin"]).status_code == 302
    page = client.get(f"/conseils/reunions/{later_id}/compte-rendu").get_data(as_text=True)
    assert f'value="{minutes_id}:{shown + 1}"' in page
    response = client.post(f"/conseils/reunions/{later_id}/compte-rendu/approuver",
                           data={"minutes_id": f"{minutes_id}:{shown}"}, follow_redirects=True)
    assert "modifiée par quelqu" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Minutes, minutes_id).status is MinutesStatus.DIFFUSE
    client.post(f"/conseils/reunions/{later_id}/compte-rendu/approuver",
                data={"minutes_id": f"{minutes_id}:{shown + 1}"})
    with app.app_context():
        assert db.session.get(Minutes, minutes_id).status is MinutesStatus.APPROUVE


def test_a_funder_invited_as_guest_finds_the_meeting_on_its_home(app, client, rules_world):
    ids = rules_world["ids"]
    with app.app_context():
        s = db.session
        planned = s.get(Meeting, ids["planned"])
        planned.invitees.append(Invitee(kind=InviteeKind.INVITE, full_name="Financeur invité",
                                        email=rules_world["emails"]["financeur"]))
        s.commit()
    assert login(client, rules_world["emails"]["financeur"]).status_code == 302
    home = client.get("/").get_data(as_text=True)
    assert "Vos invitations" in home and f"/conseils/reunions/{ids['planned']}" in home
    assert f"/conseils/reunions/{ids['held']}" not in home  # past, and not invited
    assert client.get(f"/conseils/reunions/{ids['planned']}").status_code == 200


def test_a_mission_locale_withdraws_only_its_own_waiting_proposal(app, client, rules_world):
    from models.councils import agenda as ag

    ids = rules_world["ids"]
    with app.app_context():
        s = db.session
        series = s.get(CouncilSeries, ids["series"])
        ml_user = _ml_user(s, rules_world)
        own = ag.propose_topic(s, ml_user, series, ag.ItemData(
            kind="echange", title="Mutualiser les achats"))
        team = ag.add_backlog_item(s, None, series, ag.ItemData(
            kind="information", title="Sujet de l'équipe"))
        scheduled = ag.propose_topic(s, ml_user, series, ag.ItemData(
            kind="echange", title="Déjà inscrit"))
        scheduled.meeting_id = ids["planned"]
        s.commit()
        own_id, team_id, scheduled_id = own.id, team.id, scheduled.id
    assert login(client, rules_world["emails"]["ml"]).status_code == 302
    page = client.get(f"/conseils/instances/{ids['series']}/sujets").get_data(as_text=True)
    assert f"/conseils/sujets/{own_id}/retirer" in page
    assert f"/conseils/sujets/{team_id}/retirer" not in page
    assert client.post(f"/conseils/sujets/{team_id}/retirer").status_code == 404
    refused = client.post(f"/conseils/sujets/{scheduled_id}/retirer", follow_redirects=True)
    assert "seule l&#39;équipe" in refused.get_data(as_text=True)
    assert client.post(f"/conseils/sujets/{own_id}/retirer").status_code == 302
    with app.app_context():
        assert db.session.get(AgendaItem, own_id) is None
        assert db.session.get(AgendaItem, scheduled_id) is not None


def test_answers_close_when_the_meeting_starts(app, rules_world):
    from datetime import datetime

    from models.councils import invitations

    ids = rules_world["ids"]
    with app.app_context():
        s = db.session
        planned = s.get(Meeting, ids["planned"])
        invitee = Invitee(kind=InviteeKind.MEMBRE, full_name="Dir A", email="dir.a@ml.fr",
                          mission_locale_id=ids["ml_a"])
        planned.invitees.append(invitee)
        s.commit()
        clock.travel_to(datetime.combine(planned.day, time(9, 30), tzinfo=clock.LOCAL))
        with pytest.raises(DomainError, match="a commencé"):
            invitations.answer(s, None, invitee, "excuse")
        s.rollback()
        assert s.get(Invitee, invitee.id).answer is None


def test_inviting_the_director_of_a_merged_ml_gets_one_clear_message(app, rules_world):
    from models.councils import invitations
    from models.network.orm import MissionLocale

    ids = rules_world["ids"]
    with app.app_context():
        s = db.session
        merged = s.get(MissionLocale, ids["ml_b"])
        merged.active, merged.director_email = False, None
        s.commit()
        with pytest.raises(ValidationFailed) as caught:
            invitations.add_invitee(s, None, s.get(Meeting, ids["planned"]),
                                    invitations.InviteeData(mission_locale_id=ids["ml_b"]))
        assert list(caught.value.errors) == ["mission_locale_id"]


def test_redirects_after_an_answer_stay_in_the_councils_area():
    from webapp.councils.views_meetings import _safe_next

    assert _safe_next("/conseils/reunions/3", "/x") == "/conseils/reunions/3"
    for bad in ("/conseils/../admin/utilisateurs", "//evil.example/conseils/",
                "https://evil.example/conseils/", "/admin", ""):
        assert _safe_next(bad, "/conseils/") == "/conseils/"
