"""Suggestions of mentors for a mentee: ranked on a hand-made set, each point explained in
French, the unavailable listed last with the reason, another ML's mentee « introuvable »,
and nothing ever paired by a suggestion. SQLite and PostgreSQL."""

from __future__ import annotations

import html
from datetime import date

import pytest
from sqlalchemy import func, select

from models.accounts.orm import User
from models.errors import NotFound
from models.mentoring import config, mentees, mentors, pairings
from models.mentoring.enums import TrainingRule
from models.mentoring.orm import Pairing
from models.mentoring.suggestions import suggest_mentors
from tests.conftest import login

TODAY = date(2026, 11, 23)


def _mentor(s, ml_id, name, **kw):
    base = dict(last_name=name, first_name="Jo", email=f"{name.lower()}@exemple.fr", sex="m",
                status="en_activite", consent_on=date(2026, 1, 5), sector="",
                commune="Libourne", charter_signed_on=date(2026, 1, 5),
                trained_on=date(2026, 2, 1), capacity=3, mission_locale_id=ml_id)
    base.update(kw)
    return mentors.create_mentor(s, None, mentors.MentorData(**base), today=TODAY)


def _mentee(s, ml_id):
    return mentees.create_mentee(s, None, mentees.MenteeData(
        sex="f", birth_year="2005", birth_month="2", qualification="4",
        situation="demandeur_emploi", prescriber="mission_locale", project_validated=True,
        mission_locale_id=ml_id), today=TODAY)


def _fill(s, mentor, n):
    """``n`` active pairings for this mentor (other mentees)."""
    for _ in range(n):
        other = _mentee(s, mentor.mission_locale_id)
        p = pairings.propose(s, None, other.id, mentor.id, date(2026, 10, 1),
                             date(2027, 4, 1), today=TODAY).pairing
        pairings.activate(s, None, p.id, today=TODAY)


def _build(s, ids) -> dict:
    """ml_a: mentors that differ on one criterion at a time; ml_b: one mentor."""
    young = _mentee(s, ids["ml_a"])
    made = {
        # same sector, trained, 3 free seats: the best
        "exact": _mentor(s, ids["ml_a"], "Exact", sector="Bâtiment"),
        # same sector, 1 seat left of 3
        "busy": _mentor(s, ids["ml_a"], "Busy", sector="batiment"),
        # close sector (a shared word), trained, 3 seats
        "close": _mentor(s, ids["ml_a"], "Close", sector="Bâtiment et travaux publics"),
        # other sector, not trained (a warning only), 3 seats
        "other": _mentor(s, ids["ml_a"], "Other", sector="Santé", trained_on=None),
        # same sector but full, inactive, or the charter unsigned: last, with the reason
        "full": _mentor(s, ids["ml_a"], "Full", sector="Bâtiment", capacity=1),
        "inactive": _mentor(s, ids["ml_a"], "Inactive", sector="Bâtiment", active=False),
        "unsigned": _mentor(s, ids["ml_a"], "Unsigned", sector="Bâtiment",
                            charter_signed_on=None),
        "foreign": _mentor(s, ids["ml_b"], "Foreign", sector="Bâtiment"),
    }
    _fill(s, made["busy"], 2)
    _fill(s, made["full"], 1)
    s.commit()
    return {"s": s, "ids": ids, "young": young, **made}


@pytest.fixture
def hand_made(session, world):
    return _build(session, world["ids"])


def _names(ranked):
    return [r.mentor.last_name for r in ranked]


def test_ranking_order_on_a_hand_made_set(hand_made):
    s, young = hand_made["s"], hand_made["young"]
    ranked = suggest_mentors(s, None, young.id, wanted_sector="batiment")
    names = _names(ranked)
    assert names[:4] == ["Exact", "Close", "Busy", "Other"]
    assert set(names[4:]) == {"Full", "Inactive", "Unsigned"}
    assert "Foreign" not in names  # a pairing needs the mentee's own ML
    scores = [r.score for r in ranked]
    assert scores[:4] == sorted(scores[:4], reverse=True)
    assert all(not r.available and r.score == 0 for r in ranked[4:])
    # exact: 40 sector + 20 trained + 30 seats; close 25+20+30; busy 40+20+10; other 0+0+30
    assert scores[:4] == [90, 75, 70, 30]


def test_reasons_in_french(hand_made):
    s, young = hand_made["s"], hand_made["young"]
    by = {r.mentor.last_name: r for r in suggest_mentors(s, None, young.id,
                                                         wanted_sector="Bâtiment")}
    assert "Secteur correspondant (Bâtiment)" in by["Exact"].reasons
    assert "3 places sur 3" in by["Exact"].reasons and "Formé·e" in by["Exact"].reasons
    assert "1 place sur 3" in by["Busy"].reasons
    assert "Secteur proche (Bâtiment et travaux publics)" in by["Close"].reasons
    assert "Autre secteur (Santé)" in by["Other"].reasons
    assert any("Pas encore formé·e" in r for r in by["Other"].reasons)
    assert any(r.startswith("Même mission locale") and "Libourne" in r
               for r in by["Exact"].reasons)
    assert by["Full"].blockers == ["Complet : 1 filleul·e(s) sur 1"]
    assert by["Inactive"].blockers == ["Inactif·ve"]
    assert by["Unsigned"].blockers == ["Charte du parrainage non signée"]
    # no sector typed: said, not guessed
    plain = suggest_mentors(s, None, young.id)
    assert all("Secteur non précisé pour cette recherche" in r.reasons
               for r in plain if r.available)
    assert _names(plain)[0] in {"Exact", "Close"}  # seats and training decide


def test_training_rule_blocking_lists_the_untrained_last(hand_made, monkeypatch):
    s, young = hand_made["s"], hand_made["young"]
    monkeypatch.setattr(config, "TRAINING_RULE", TrainingRule.BLOCKING)
    by = {r.mentor.last_name: r for r in suggest_mentors(s, None, young.id)}
    assert not by["Other"].available
    assert "la formation est exigée" in by["Other"].blockers[0]


def test_limit_and_nothing_is_paired(hand_made):
    s, young = hand_made["s"], hand_made["young"]
    before = s.scalar(select(func.count()).select_from(Pairing))
    assert len(suggest_mentors(s, None, young.id, limit=2)) == 2
    assert s.scalar(select(func.count()).select_from(Pairing)) == before


def test_another_mls_mentee_is_not_found(hand_made):
    s, ids, young = hand_made["s"], hand_made["ids"], hand_made["young"]
    other_ml = s.get(User, ids["target"])  # an ml_b account
    with pytest.raises(NotFound):
        suggest_mentors(s, other_ml, young.id)
    with pytest.raises(NotFound):
        suggest_mentors(s, s.get(User, ids["ml"]), 999999)
    # its own ML and the team read them
    assert suggest_mentors(s, s.get(User, ids["ml"]), young.id)
    assert suggest_mentors(s, s.get(User, ids["animateur"]), young.id)


def test_the_page_links_to_the_prefilled_proposal(app, client, world):
    from webapp.extensions import db

    with app.app_context():  # requests get their own app context (and their own user)
        made = _build(db.session, world["ids"])
        young_id, exact_id, full_id = made["young"].id, made["exact"].id, made["full"].id
    assert login(client, "ml@test.fr").status_code == 302
    page = html.unescape(client.get(
        f"/parrainage/filleuls/{young_id}/suggestions?secteur=Bâtiment").text)
    assert "Secteur correspondant (Bâtiment)" in page and "Indisponible" in page
    link = f"/parrainage/binomes/proposer?filleul={young_id}&parrain={exact_id}"
    assert link in page
    assert f"parrain={full_id}" not in page  # full: never offered
    assert client.get(link).status_code == 200
    # the team reads the ranking but gets no proposal link
    team = app.test_client()
    assert login(team, "anim@test.fr").status_code == 302
    page = team.get(f"/parrainage/filleuls/{young_id}/suggestions").text
    assert "Exact" in page and "/binomes/proposer" not in page
