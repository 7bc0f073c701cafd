"""The programme's « Jeunes parrainés » and « Parrains formés » take their achieved value
from the mentoring records: refreshed at every commit that changes pairings or mentors,
never on a closed programme."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from models.audit import set_actor
from models.mentoring import mentees, mentors, pairings
from models.mentoring.orm import Mentor
from models.programme.computed import SOURCES, describe, mentees_paired, set_source
from models.programme.enums import ProgrammeStatus
from models.programme.items import IndicatorData, save_item
from models.programme.orm import Action, Indicator
from tests.conftest import csrf_token_from, login
from webapp.extensions import db

TODAY = date(2026, 11, 23)


def _mentor(s, n: int, ml_id: int, trained_on: date | None) -> Mentor:
    return mentors.create_mentor(s, None, mentors.MentorData(
        last_name=f"Martin{n}", first_name=f"Paul{n}", email=f"p{n}@exemple.fr", sex="m",
        status="retraite", consent_on=date(2025, 1, 6), charter_signed_on=date(2025, 1, 6),
        trained_on=trained_on, mission_locale_id=ml_id), today=TODAY)


def _mentee(s, ml_id: int):
    return mentees.create_mentee(s, None, mentees.MenteeData(
        sex="f", birth_year="2004", birth_month="3", qualification="4",
        situation="demandeur_emploi", prescriber="mission_locale", project_validated=True,
        mission_locale_id=ml_id), today=TODAY)


def _pairing(s, mentee, mentor, start: date, end: date, ended_on: date | None = None,
             *, activate: bool = True):
    p = pairings.propose(s, None, mentee.id, mentor.id, start, end, confirm=True,
                         today=TODAY).pairing
    if activate:
        pairings.activate(s, None, p.id, confirm=True, today=TODAY)
    if ended_on is not None:
        pairings.close(s, None, p.id, ended_on, "duree_echue", "emploi_durable", today=TODAY)
    return p


def _world(app, programme_world):
    ids = programme_world["ids"]
    with app.app_context():
        s = db.session
        set_actor(s, None, via="cli")
        ml_a, ml_b = ids["ml_a"], ids["ml_b"]
        trained = [_mentor(s, 1, ml_a, date(2026, 2, 1)), _mentor(s, 2, ml_b, date(2026, 9, 14)),
                   _mentor(s, 3, ml_a, date(2025, 6, 1))]
        untrained = _mentor(s, 4, ml_a, None)
        one, two, three, four = (_mentee(s, ml_a), _mentee(s, ml_a), _mentee(s, ml_a),
                                 _mentee(s, ml_b))
        # overlaps 2026 (ended in March), then a second pairing: one mentee, counted once
        _pairing(s, one, trained[0], date(2025, 10, 1), date(2026, 3, 31), date(2026, 3, 31))
        _pairing(s, one, trained[2], date(2026, 5, 4), date(2026, 11, 4), date(2026, 11, 2))
        # ended in 2025: not in 2026
        _pairing(s, two, trained[0], date(2025, 3, 3), date(2025, 9, 3), date(2025, 9, 1))
        # a proposal only: holds no period
        proposal = _pairing(s, three, untrained, date(2026, 11, 30), date(2027, 5, 30),
                            activate=False)
        # another mission locale: counted too
        _pairing(s, four, trained[1], date(2026, 9, 21), date(2027, 3, 21))
        action = s.get(Action, ids["action_a"])
        paired = save_item(s, None, action, IndicatorData(
            name="Jeunes parrainés", unit="jeunes", target=Decimal(480)))
        formed = save_item(s, None, action, IndicatorData(
            name="Parrains formés", unit="parrains", target=Decimal(60)))
        s.commit()
        ids.update(ind_paired=paired.id, ind_formed=formed.id, proposal=proposal.id,
                   untrained=untrained.id, mentee_two=two.id, mentor_one=trained[0].id)
    return ids


def test_mentoring_values_follow_the_records(app, programme_world):
    ids = _world(app, programme_world)
    with app.app_context():
        s = db.session
        get = lambda key: s.get(Indicator, ids[key])  # noqa: E731
        set_source(s, None, get("ind_paired"), "parrainage.jeunes_parraines", 99)
        set_source(s, None, get("ind_formed"), "parrainage.parrains_formes", None)
        s.commit()
        assert get("ind_paired").source_ref is None  # nothing to name: every ML
        assert get("ind_paired").achieved == Decimal(2)
        assert get("ind_formed").achieved == Decimal(2)
        assert mentees_paired(s, 2025) == 2
        assert describe(s, get("ind_paired")).startswith("Calculé : jeunes parrainés")
        assert "formation est en 2026" in describe(s, get("ind_formed"))
        # the proposal starts, a mentor is trained: the figures follow at the commit
        pairings.activate(s, None, ids["proposal"], confirm=True, today=TODAY)
        s.get(Mentor, ids["untrained"]).trained_on = date(2026, 11, 20)
        s.commit()
        assert get("ind_paired").achieved == Decimal(3)
        assert get("ind_formed").achieved == Decimal(3)
        # a pairing of 2026 for the mentee who had only 2025
        _pairing(s, s.get(mentees.Mentee, ids["mentee_two"]), s.get(Mentor, ids["mentor_one"]),
                 date(2026, 1, 5), date(2026, 7, 5), date(2026, 7, 3))
        s.commit()
        assert get("ind_paired").achieved == Decimal(4)


def test_a_closed_programme_keeps_its_figures(app, programme_world):
    ids = _world(app, programme_world)
    with app.app_context():
        s = db.session
        indicator = s.get(Indicator, ids["ind_paired"])
        set_source(s, None, indicator, "parrainage.jeunes_parraines", None)
        s.commit()
        assert indicator.achieved == Decimal(2)
        indicator.action.programme.status = ProgrammeStatus.CLOTURE
        s.commit()
        pairings.activate(s, None, ids["proposal"], confirm=True, today=TODAY)
        s.commit()
        assert s.get(Indicator, ids["ind_paired"]).achieved == Decimal(2)


def test_the_programme_page_offers_and_explains_the_sources(app, client, programme_world):
    ids = _world(app, programme_world)
    assert {"parrainage.jeunes_parraines", "parrainage.parrains_formes"} <= set(SOURCES)
    assert login(client, programme_world["emails"]["admin"]).status_code == 302
    page = client.get(f"/programmes/actions/{ids['action_a']}").get_data(as_text=True)
    assert 'value="parrainage.jeunes_parraines|"' in page
    response = client.post(f"/programmes/indicateurs/{ids['ind_formed']}/source", data={
        "csrf_token": csrf_token_from(page), "source": "parrainage.parrains_formes|"})
    assert response.status_code == 302
    page = client.get(f"/programmes/actions/{ids['action_a']}").get_data(as_text=True)
    assert "Calculé : parrains formés" in page
    with app.app_context():
        assert db.session.get(Indicator, ids["ind_formed"]).achieved == Decimal(2)
