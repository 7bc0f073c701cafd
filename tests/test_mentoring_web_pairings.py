"""Parrainage through the web: a mission locale creates a pseudonymous mentee, proposes,
starts, meets, closes a pairing and records the six-month follow-up (refused before it is
due); every bad input of issue 16 typed in the forms gets a French message under its field,
a 422 and nothing written; another ML's ids posted in hidden fields are 404; concurrent
edits are detected. SQLite and PostgreSQL (the ``database_url`` fixture)."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from models import clock
from models.audit import set_actor
from models.mentoring import mentees, mentors, pairings
from models.mentoring.enums import PairingStatus
from models.mentoring.orm import (
    FollowUp,
    Mentee,
    Mentor,
    Pairing,
    PairingMeeting,
    PairingStatusChange,
)
from tests import authz_mentoring_pairings
from tests.conftest import login
from webapp.extensions import db

P = PairingStatus


def _t(response) -> str:
    """The page's text as read (Jinja escapes the apostrophes of French messages)."""
    return html.unescape(response.text)


def _day(delta: int = 0) -> str:
    return (clock.today() + timedelta(days=delta)).isoformat()


def _mentor(ml_id: int, n: int = 1, **kw) -> int:
    today = clock.today()
    base = dict(last_name=f"Martin{n}", first_name="Claire", email=f"claire{n}@exemple.fr",
                sex="f", status="en_activite", consent_on=today - timedelta(days=300),
                sector="Bâtiment", commune="Libourne",
                charter_signed_on=today - timedelta(days=300),
                trained_on=today - timedelta(days=200), mission_locale_id=ml_id)
    base.update(kw)
    m = mentors.create_mentor(db.session, None, mentors.MentorData(**base), today=today)
    db.session.flush()
    return m.id


def _mentee(ml_id: int, **kw) -> int:
    base = dict(sex="m", birth_year=str(clock.today().year - 20), birth_month="3",
                qualification="4", situation="demandeur_emploi", prescriber="mission_locale",
                qpv="non", project_validated=True, mission_locale_id=ml_id)
    base.update(kw)
    m = mentees.create_mentee(db.session, None, mentees.MenteeData(**base))
    db.session.flush()
    return m.id


@pytest.fixture
def env(app, world):
    """ml_a's mentor and mentee; ml_b's records (the matrix's: mentee_b, pairing_b…)."""
    authz_mentoring_pairings.add(app, world)
    ids = world["ids"]
    with app.app_context():
        set_actor(db.session, None, via="cli")
        ids["mentor_a"] = _mentor(ids["ml_a"])
        ids["mentee_a"] = _mentee(ids["ml_a"])
        db.session.commit()
    return world


@pytest.fixture
def ml(client, env):
    assert login(client, env["emails"]["ml"]).status_code == 302
    return client


def _count(app, cls) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(cls))


def _snapshot(app) -> tuple:
    with app.app_context():
        counts = tuple(db.session.scalar(select(func.count()).select_from(t)) for t in
                       (Mentor, Mentee, Pairing, PairingStatusChange, PairingMeeting, FollowUp))
        rows = tuple(db.session.execute(select(Pairing.id, Pairing.status, Pairing.version_id)
                                        .order_by(Pairing.id)).all())
        follow = tuple(db.session.execute(select(FollowUp.id, FollowUp.outcome)
                                          .order_by(FollowUp.id)).all())
        people = tuple(db.session.execute(select(Mentee.id, Mentee.version_id, Mentee.qpv)
                                          .order_by(Mentee.id)).all())
    return counts, rows, follow, people


def _mentee_form(**kw) -> dict:
    base = dict(sex="f", birth_year=str(clock.today().year - 19), birth_month="4",
                qualification="3", situation="demandeur_emploi", prescriber="france_travail",
                qpv="oui", zrr="", rqth="non", project_validated="y")
    base.update(kw)
    return base


def _pairing(app, pairing_id: int) -> Pairing:
    with app.app_context():
        p = db.session.get(Pairing, pairing_id)
        db.session.expunge(p)
        return p


# ---------------------------------------------------------------- the life cycle
def test_full_life_cycle_through_the_web(app, ml, env):
    client = ml
    # a pseudonymous mentee, its code shown to copy into i-milo
    r = client.post("/parrainage/filleuls/nouveau", data=_mentee_form())
    assert r.status_code == 302, r.text
    page = client.get(r.headers["Location"]).text
    code = re.search(r'display-6 font-monospace[^>]*>([A-Z0-9]{8})<', page).group(1)
    assert "Code à reporter dans i-milo" in page and "reportez ce code" in page
    with app.app_context():
        mentee_id = db.session.scalar(select(Mentee.id).where(Mentee.code == code))
    # the proposal form, pre-filled from the suggestion page's link
    assert f"parrain={env['ids']['mentor_a']}" in client.get(
        f"/parrainage/filleuls/{mentee_id}/suggestions?secteur=batiment").text
    form = client.get(f"/parrainage/binomes/proposer?filleul={mentee_id}"
                      f"&parrain={env['ids']['mentor_a']}")
    assert form.status_code == 200 and "selected" in form.text
    r = client.post("/parrainage/binomes/proposer", data=dict(
        mentee_id=mentee_id, mentor_id=env["ids"]["mentor_a"], start_date=_day(-120),
        planned_end=_day(60)))
    assert r.status_code == 302, r.text
    pairing_id = int(r.headers["Location"].rsplit("/", 1)[1])
    assert _pairing(app, pairing_id).status is P.PROPOSE
    # start it
    r = client.post(f"/parrainage/binomes/{pairing_id}/demarrer", data={"version_id": "1"})
    assert r.status_code == 302
    assert _pairing(app, pairing_id).status is P.ACTIF
    # a meeting: date, mode, duration; nothing else
    r = client.post(f"/parrainage/binomes/{pairing_id}/rencontres",
                    data=dict(held_on=_day(-100), mode="presentiel", duration_minutes="45"))
    assert r.status_code == 302
    page = client.get(f"/parrainage/binomes/{pairing_id}").text
    assert "Rencontres (1)" in page and "Présentiel" in page and "45 min" in page
    # closing without an outcome: refused, nothing changed
    version = _pairing(app, pairing_id).version_id
    before = _snapshot(app)
    r = client.post(f"/parrainage/binomes/{pairing_id}/cloturer",
                    data=dict(ended_on=_day(-30), reason="objectif_atteint", outcome="",
                              version_id=version))
    assert r.status_code == 422 and "Indiquez la situation du jeune" in _t(r)
    assert _snapshot(app) == before
    r = client.post(f"/parrainage/binomes/{pairing_id}/cloturer",
                    data=dict(ended_on=_day(-30), reason="objectif_atteint",
                              outcome="emploi_durable", version_id=version))
    assert r.status_code == 302
    closed = _pairing(app, pairing_id)
    assert closed.status is P.TERMINE and closed.ended_on.isoformat() == _day(-30)
    page = client.get(f"/parrainage/binomes/{pairing_id}").text
    assert "Proposé" in page and "Actif → Terminé" in page  # the status history
    # the follow-up: listed as upcoming, refused before its due date
    with app.app_context():
        follow = db.session.scalar(select(FollowUp).where(FollowUp.pairing_id == pairing_id))
        follow_id, due = follow.id, follow.due_on
    assert "À venir (1)" in client.get("/parrainage/suivis").text
    before = _snapshot(app)
    r = client.post(f"/parrainage/suivis/{follow_id}", data=dict(outcome="alternance",
                                                                 version_id="1"))
    assert r.status_code == 422 and "ne peut être saisie qu'à partir du" in _t(r)
    assert _snapshot(app) == before
    # six months later, the same form goes through
    clock.travel_to(due)
    assert login(client, env["emails"]["ml"]).status_code == 302
    page = client.get("/parrainage/suivis").text
    assert "À saisir (1)" in page
    r = client.post(f"/parrainage/suivis/{follow_id}", data=dict(outcome="alternance",
                                                                 version_id="1"))
    assert r.status_code == 302
    with app.app_context():
        done = db.session.get(FollowUp, follow_id)
        assert done.outcome.value == "alternance" and done.recorded_on == due


def test_a_pairing_ended_before_six_weeks_is_broken_and_the_page_says_so(app, ml, env):
    ids = env["ids"]
    with app.app_context():
        set_actor(db.session, None, via="cli")
        p = pairings.propose(db.session, None, ids["mentee_a"], ids["mentor_a"],
                             clock.today() - timedelta(days=30),
                             clock.today() + timedelta(days=150)).pairing
        pairings.activate(db.session, None, p.id)
        db.session.commit()
        pairing_id, version = p.id, p.version_id
    page = ml.get(f"/parrainage/binomes/{pairing_id}").text
    assert "avant 6 semaines" in page
    r = ml.post(f"/parrainage/binomes/{pairing_id}/cloturer", follow_redirects=True,
                data=dict(ended_on=_day(), reason="objectif_atteint", outcome="emploi_court",
                          version_id=version))
    assert r.status_code == 200 and "compté « rompu » quel que soit le motif" in _t(r)
    assert _pairing(app, pairing_id).status is P.ROMPU


def test_cancel_a_proposal(app, ml, env):
    ids = env["ids"]
    with app.app_context():
        p = pairings.propose(db.session, None, ids["mentee_a"], ids["mentor_a"],
                             clock.today(), clock.today() + timedelta(days=180)).pairing
        db.session.commit()
        pairing_id = p.id
    r = ml.post(f"/parrainage/binomes/{pairing_id}/annuler", data={"version_id": "1"})
    assert r.status_code == 302
    with app.app_context():
        assert db.session.get(Pairing, pairing_id) is None


# ---------------------------------------------------------------- bad input
@pytest.mark.parametrize("fields, field, fragment", [
    ({"birth_year": "deux mille six"}, "birth_year", "écrite en chiffres"),
    ({"birth_year": "15 ans"}, "birth_year", "écrite en chiffres"),
    ("aged15", "birth_year", "moins de 16 ans"),
    ("aged31", "birth_year", "30 ans ou plus"),
    ("minor", "minor_consent_on", "Le jeune est mineur"),
    ({"qpv": "peut-être"}, "qpv", "n'est pas compris"),
    ({"qualification": "9"}, "qualification", "Niveau de formation inconnu"),
    ({"qualification": ""}, "qualification", "Indiquez le niveau"),
    ({"sex": "x"}, "sex", "Indiquez le sexe"),
    ({"minor_consent_on": "pas une date"}, "minor_consent_on", ""),
])
def test_bad_mentee_input_is_refused_under_its_field(app, ml, env, fields, field, fragment):
    year = clock.today().year
    if isinstance(fields, str):
        fields = {"aged15": {"birth_year": str(year - 15), "birth_month": "1"},
                  "aged31": {"birth_year": str(year - 31), "birth_month": "1"},
                  "minor": {"birth_year": str(year - 17), "birth_month": "1"}}[fields]
    before = _snapshot(app)
    r = ml.post("/parrainage/filleuls/nouveau", data=_mentee_form(**fields))
    assert r.status_code == 422
    assert fragment in _t(r)
    # the message sits under its field (Bootstrap's invalid-feedback after the input)
    assert re.search(rf'id="{field}"[^>]*>.*?invalid-feedback', r.text, re.S) or \
        re.search(rf'name="{field}"[^>]*is-invalid|is-invalid[^>]*name="{field}"', r.text)
    assert _snapshot(app) == before


@pytest.mark.parametrize("raw, stored", [("O", True), ("oui", True), ("1", True),
                                         ("Oui ", True), ("", None), ("N", False)])
def test_qpv_as_typed(app, ml, env, raw, stored):
    r = ml.post("/parrainage/filleuls/nouveau", data=_mentee_form(qpv=raw))
    assert r.status_code == 302
    mentee_id = int(r.headers["Location"].split("/")[-1].split("?")[0])
    with app.app_context():
        assert db.session.get(Mentee, mentee_id).qpv is stored


@pytest.mark.parametrize("raw", ["V bis", "V BIS"])
def test_old_nomenclature_asks_to_confirm_then_passes(app, ml, env, raw):
    before = _count(app, Mentee)
    r = ml.post("/parrainage/filleuls/nouveau", data=_mentee_form(qualification=raw))
    assert r.status_code == 422
    assert "ancienne nomenclature" in _t(r) and "Je confirme" in _t(r)
    assert _count(app, Mentee) == before
    r = ml.post("/parrainage/filleuls/nouveau",
                data=_mentee_form(qualification=raw, confirm="y"))
    assert r.status_code == 302
    assert _count(app, Mentee) == before + 1


def test_a_minor_with_the_consent_date_passes(app, ml, env):
    r = ml.post("/parrainage/filleuls/nouveau", data=_mentee_form(
        birth_year=str(clock.today().year - 17), birth_month="1",
        minor_consent_on=_day(-3)))
    assert r.status_code == 302


def test_no_free_text_field_on_the_mentee_form(ml, env):
    page = ml.get("/parrainage/filleuls/nouveau").text
    assert "<textarea" not in page
    inputs = re.findall(r'<input[^>]*type="text"[^>]*name="(\w+)"|'
                        r'<input[^>]*name="(\w+)"[^>]*type="text"', page)
    assert {a or b for a, b in inputs} <= {"birth_year"}


def test_age_26_to_29_warns_at_the_proposal_then_confirms(app, ml, env):
    ids = env["ids"]
    with app.app_context():
        older = _mentee(ids["ml_a"], birth_year=str(clock.today().year - 28),
                        birth_month="1")
        db.session.commit()
    data = dict(mentee_id=older, mentor_id=ids["mentor_a"], start_date=_day(),
                planned_end=_day(180))
    before = _snapshot(app)
    r = ml.post("/parrainage/binomes/proposer", data=data)
    assert r.status_code == 422 and "28 ans" in _t(r) and "Je confirme" in _t(r)
    assert _snapshot(app) == before
    r = ml.post("/parrainage/binomes/proposer", data={**data, "confirm": "y"})
    assert r.status_code == 302


def test_untrained_mentor_warns_at_the_start_then_confirms(app, ml, env):
    ids = env["ids"]
    with app.app_context():
        untrained = _mentor(ids["ml_a"], 2, trained_on=None)
        p = pairings.propose(db.session, None, ids["mentee_a"], untrained, clock.today(),
                             clock.today() + timedelta(days=180), confirm=True).pairing
        db.session.commit()
        pairing_id = p.id
    r = ml.post(f"/parrainage/binomes/{pairing_id}/demarrer", data={"version_id": "1"})
    assert r.status_code == 422 and "formation des parrains" in _t(r)
    assert "Je confirme" in _t(r) and _pairing(app, pairing_id).status is P.PROPOSE
    r = ml.post(f"/parrainage/binomes/{pairing_id}/demarrer",
                data={"version_id": "1", "confirm": "y"})
    assert r.status_code == 302 and _pairing(app, pairing_id).status is P.ACTIF


def test_bad_pairing_input(app, ml, env):
    ids = env["ids"]
    base = dict(mentee_id=ids["mentee_a"], mentor_id=ids["mentor_a"])
    before = _snapshot(app)
    for data, fragment in (
            (dict(start_date=_day(30), planned_end=_day(10)), "doit suivre la date de début"),
            (dict(start_date=_day(730), planned_end=_day(900)), "plus de 3 mois à l'avance"),
            (dict(start_date="", planned_end=_day(10)), "obligatoire"),
            (dict(mentor_id="", start_date=_day(), planned_end=_day(100)),
             "Choisissez un parrain ou une marraine."),
            (dict(mentor_id="", start_date="", planned_end=_day(100)),
             "Choisissez un parrain ou une marraine.")):
        r = ml.post("/parrainage/binomes/proposer", data={**base, **data})
        assert r.status_code == 422 and fragment in _t(r), (data, r.status_code)
    assert _snapshot(app) == before
    with app.app_context():
        p = pairings.propose(db.session, None, ids["mentee_a"], ids["mentor_a"],
                             clock.today() - timedelta(days=10),
                             clock.today() + timedelta(days=170)).pairing
        pairings.activate(db.session, None, p.id)
        db.session.commit()
        pairing_id = p.id
    before = _snapshot(app)
    for data, fragment in ((dict(held_on=_day(-30), mode="visio", duration_minutes="30"),
                            "pendant le binôme"),
                           (dict(held_on=_day(), mode="fax", duration_minutes="30"),
                            "Choisissez le mode"),
                           (dict(held_on=_day(), mode="visio", duration_minutes="trente"),
                            "nombre de minutes"),
                           (dict(held_on=_day(), mode="visio", duration_minutes="²"),
                            "nombre de minutes"),
                           (dict(held_on=_day(), mode="visio", duration_minutes="1" * 5000),
                            "nombre de minutes"),
                           (dict(held_on=_day(), mode="visio", duration_minutes="0"),
                            "entre 1 et 600")):
        r = ml.post(f"/parrainage/binomes/{pairing_id}/rencontres", data=data)
        assert r.status_code == 422 and fragment in _t(r)
    r = ml.post(f"/parrainage/binomes/{pairing_id}/cloturer",
                data=dict(ended_on="", reason="", outcome="", version_id="2"))
    assert r.status_code == 422
    for fragment in ("La date de fin est obligatoire", "Indiquez le motif de fin",
                     "Indiquez la situation du jeune"):
        assert fragment in _t(r)
    assert _snapshot(app) == before


# ---------------------------------------------------------------- another ML's ids
def test_another_mls_ids_posted_in_hidden_fields_are_not_found(app, ml, env):
    ids = env["ids"]
    before = _snapshot(app)
    posts = [
        ("/parrainage/binomes/proposer", dict(mentee_id=ids["mentee_b"],
                                              mentor_id=ids["mentor_a"],
                                              start_date=_day(), planned_end=_day(180))),
        ("/parrainage/binomes/proposer", dict(mentee_id=ids["mentee_a"],
                                              mentor_id=ids["mentor_pairing_b"],
                                              start_date=_day(), planned_end=_day(180))),
        ("/parrainage/binomes/proposer", dict(mentee_id=ids["mentee_a"],
                                              mentor_id=ids["mentor_pairing_b"],
                                              start_date="", planned_end="")),
        (f"/parrainage/binomes/{ids['pairing_b']}/demarrer", {"version_id": "2"}),
        (f"/parrainage/binomes/{ids['pairing_b']}/annuler", {"version_id": "2"}),
        (f"/parrainage/binomes/{ids['pairing_b']}/cloturer",
         dict(ended_on=_day(), reason="duree_echue", outcome="inconnu", version_id="2")),
        (f"/parrainage/binomes/{ids['pairing_b']}/rencontres",
         dict(held_on=_day(), mode="visio", duration_minutes="30")),
        (f"/parrainage/suivis/{ids['follow_up_b']}", dict(outcome="inconnu",
                                                          version_id="1")),
        (f"/parrainage/filleuls/{ids['mentee_b']}/modifier", _mentee_form(version_id="1")),
    ]
    for url, data in posts:
        assert ml.post(url, data=data).status_code == 404, url
    for url in (f"/parrainage/filleuls/{ids['mentee_b']}",
                f"/parrainage/binomes/{ids['pairing_b']}",
                f"/parrainage/filleuls/{ids['mentee_b']}/suggestions",
                f"/parrainage/binomes/proposer?filleul={ids['mentee_b']}",
                "/parrainage/binomes/proposer?filleul=abc",
                "/parrainage/binomes/proposer?filleul=99999999999"):
        assert ml.get(url).status_code == 404, url
    assert _snapshot(app) == before
    # the lists show only ml_a's records
    for url in ("/parrainage/filleuls", "/parrainage/binomes", "/parrainage/suivis",
                f"/parrainage/binomes?ml={ids['ml_b']}"):
        page = ml.get(url)
        assert page.status_code == 200
        with app.app_context():
            code_b = db.session.get(Mentee, ids["mentee_b"]).code
        assert code_b not in page.text


# ---------------------------------------------------------------- concurrent edits
def test_concurrent_edits_are_detected(app, ml, env):
    ids = env["ids"]
    url = f"/parrainage/filleuls/{ids['mentee_a']}/modifier"
    assert ml.get(url).status_code == 200
    assert ml.post(url, data=_mentee_form(version_id="1", qpv="non")).status_code == 302
    before = _snapshot(app)
    r = ml.post(url, data=_mentee_form(version_id="1", qpv="oui"))
    assert r.status_code == 422 and "modifiée par quelqu'un d'autre" in _t(r)
    assert 'name="version_id" type="hidden" value="2"' in _t(r) or 'value="2"' in _t(r)
    assert _snapshot(app) == before
    with app.app_context():
        p = pairings.propose(db.session, None, ids["mentee_a"], ids["mentor_a"],
                             clock.today(), clock.today() + timedelta(days=180)).pairing
        db.session.commit()
        pairing_id = p.id
    stale = {"version_id": "1"}
    assert ml.post(f"/parrainage/binomes/{pairing_id}/demarrer", data=stale).status_code \
        == 302
    before = _snapshot(app)
    for action in ("annuler", "demarrer"):
        r = ml.post(f"/parrainage/binomes/{pairing_id}/{action}", data=stale)
        assert r.status_code == 422
    r = ml.post(f"/parrainage/binomes/{pairing_id}/cloturer", data=dict(
        ended_on=_day(), reason="duree_echue", outcome="inconnu", version_id="1"))
    assert r.status_code == 422 and "modifiée par quelqu'un d'autre" in _t(r)
    assert _snapshot(app) == before


# ---------------------------------------------------------------- pages and roles
def test_home_lists_and_filters(app, client, env):
    ids = env["ids"]
    assert login(client, env["emails"]["ml"]).status_code == 302
    home = client.get("/parrainage/").text
    assert "Binômes actifs" in home and "Mission locale du Libournais" in home
    assert "Mission locale Pau Pyrénées" not in home
    for url in ("/parrainage/binomes?statut=actif&tri=filleul&ordre=desc&page=abc",
                "/parrainage/binomes?statut=nimporte&par_page=7",
                "/parrainage/filleuls?tri=code&page=99", "/parrainage/suivis",
                f"/parrainage/filleuls/{ids['mentee_a']}",
                f"/parrainage/filleuls/{ids['mentee_a']}/suggestions?secteur=" + "x" * 500):
        assert client.get(url).status_code == 200, url
    # the team: every ML, one line each, codes only; it filters by ML and writes nothing
    client = app.test_client()
    assert login(client, env["emails"]["animateur"]).status_code == 302
    home = client.get("/parrainage/").text
    assert "Mission locale Pau Pyrénées" in home and "Mission locale du Libournais" in home
    with app.app_context():
        code_a = db.session.get(Mentee, ids["mentee_a"]).code
        code_b = db.session.get(Mentee, ids["mentee_b"]).code
    page = client.get(f"/parrainage/filleuls?ml={ids['ml_b']}").text
    assert code_b in page and code_a not in page
    page = client.get("/parrainage/binomes").text
    assert code_b in page
    assert "Suivis à saisir" in client.get("/parrainage/suivis").text
    detail = client.get(f"/parrainage/binomes/{ids['pairing_b']}").text
    assert "Clôturer le binôme" not in detail
    assert client.post(f"/parrainage/binomes/{ids['pairing_b']}/cloturer").status_code == 403
    assert client.get("/parrainage/filleuls/nouveau").status_code == 403


# ---------------------------------------------------------------- review fixes (issue 16)
@pytest.mark.parametrize("field, raw", [("birth_year", "²"), ("birth_year", "①"),
                                        ("birth_year", "1" * 5000), ("birth_month", "²"),
                                        ("birth_month", "1" * 5000)])
def test_figures_other_than_ascii_are_refused_in_french(app, ml, env, field, raw):
    before = _snapshot(app)
    r = ml.post("/parrainage/filleuls/nouveau", data=_mentee_form(**{field: raw}))
    assert r.status_code == 422
    assert ("L'année de naissance doit être écrite en chiffres" in _t(r)
            or "Le mois de naissance doit être un nombre de 1 à 12." in _t(r))
    assert _snapshot(app) == before


@pytest.mark.parametrize("url", ["/parrainage/tableau-annuel?annee=²²²²",
                                 "/parrainage/tableau-annuel?annee=٢٠٢٦",
                                 "/parrainage/tableau-annuel.csv?annee=²⁰²⁶",
                                 "/parrainage/tableau-annuel.xlsx?annee=" + "2" * 5000])
def test_a_year_in_other_figures_is_the_current_year(ml, env, url):
    r = ml.get(url)
    assert r.status_code == 200
    if "csv" in url:
        assert str(clock.today().year) in r.headers["Content-Disposition"]


def test_proposing_without_a_mentee_goes_to_the_mentees(ml, env):
    r = ml.get("/parrainage/binomes/proposer")
    assert r.status_code == 302 and r.headers["Location"].endswith("/parrainage/filleuls")
    assert "Choisissez d'abord le ou la filleul·e." in _t(ml.get(r.headers["Location"]))


def test_age_and_consent_at_the_start_are_shown_on_the_form(app, ml, env):
    """Those refusals were keyed on the hidden mentee field: nothing on the page said why."""
    ids = env["ids"]
    start = clock.today() - timedelta(days=400)
    with app.app_context():
        set_actor(db.session, None, via="cli")
        fifteen = _mentee(ids["ml_a"], birth_year=str(start.year - 15), birth_month="1",
                          minor_consent_on=start)
        minor = _mentee(ids["ml_a"], birth_year=str(clock.today().year - 17))
        db.session.commit()
    before = _snapshot(app)
    r = ml.post("/parrainage/binomes/proposer", data=dict(
        mentee_id=fifteen, mentor_id=ids["mentor_a"], start_date=start.isoformat(),
        planned_end=(start + timedelta(days=180)).isoformat()))
    assert r.status_code == 422
    assert "Le jeune aura 15 ans au début du binôme" in _t(r)
    r = ml.post("/parrainage/binomes/proposer", data=dict(
        mentee_id=minor, mentor_id=ids["mentor_a"], start_date=_day(7),
        planned_end=_day(190)))
    assert r.status_code == 422 and "Le jeune est mineur" in _t(r)
    assert _snapshot(app) == before


def test_a_start_more_than_two_years_back_is_refused(app, ml, env):
    ids = env["ids"]
    before = _snapshot(app)
    r = ml.post("/parrainage/binomes/proposer", data=dict(
        mentee_id=ids["mentee_a"], mentor_id=ids["mentor_a"], start_date=_day(-800),
        planned_end=_day(-620)))
    assert r.status_code == 422
    assert "ne peut pas commencer plus de 2 ans en arrière" in _t(r)
    assert _snapshot(app) == before


def test_a_mentee_thirty_or_more_today_is_still_editable(app, ml, env):
    today = clock.today()
    with app.app_context():
        set_actor(db.session, None, via="cli")
        me = mentees.create_mentee(db.session, None, mentees.MenteeData(
            sex="m", birth_year=str(today.year - 27), birth_month="1", qualification="4",
            situation="demandeur_emploi", prescriber="mission_locale", qpv="non",
            project_validated=True, mission_locale_id=env["ids"]["ml_a"]))
        me.birth_year = today.year - 31  # entered at 27, four years ago
        db.session.commit()
        mentee_id, version = me.id, me.version_id
    r = ml.post(f"/parrainage/filleuls/{mentee_id}/modifier", data=_mentee_form(
        sex="m", birth_year=str(today.year - 31), birth_month="1", qpv="non",
        version_id=str(version)))
    assert r.status_code == 302, _t(r)
    with app.app_context():
        assert db.session.get(Mentee, mentee_id).qualification == "3"


def test_closing_later_than_planned_into_the_next_pairing_is_refused(app, ml, env):
    ids = env["ids"]
    today = clock.today()
    with app.app_context():
        set_actor(db.session, None, via="cli")
        second = _mentor(ids["ml_a"], n=2)
        a = pairings.propose(db.session, None, ids["mentee_a"], ids["mentor_a"],
                             today - timedelta(days=200), today - timedelta(days=60)).pairing
        pairings.activate(db.session, None, a.id)
        b = pairings.propose(db.session, None, ids["mentee_a"], second,
                             today - timedelta(days=59), today + timedelta(days=60)).pairing
        pairings.activate(db.session, None, b.id)
        db.session.commit()
        a_id, version = a.id, a.version_id
    before = _snapshot(app)
    r = ml.post(f"/parrainage/binomes/{a_id}/cloturer", data=dict(
        ended_on=today.isoformat(), reason="objectif_atteint", outcome="alternance",
        version_id=str(version)))
    assert r.status_code == 422 and "les périodes se chevauchent" in _t(r)
    assert _snapshot(app) == before


def test_mentees_searched_by_code(app, ml, env):
    ids = env["ids"]
    with app.app_context():
        code = db.session.get(Mentee, ids["mentee_a"]).code
        code_b = db.session.get(Mentee, ids["mentee_b"]).code
    for typed in (code, code.lower(), code[:3].lower(), f" {code[:4]} "):
        page = _t(ml.get(f"/parrainage/filleuls?code={typed}"))
        assert f">{code}</a>" in page, typed
    other = "ZZZZ" if not code.startswith("ZZZZ") else "YYYY"
    page = _t(ml.get(f"/parrainage/filleuls?code={other}"))
    assert f">{code}</a>" not in page and f"Aucun code ne commence par « {other} »" in page
    # another ML's code is not found by an ml account, whatever it types
    assert f">{code_b}</a>" not in _t(ml.get(f"/parrainage/filleuls?code={code_b}"))
    assert ml.get("/parrainage/filleuls?code=%25_%27").status_code == 200


def test_the_teams_due_follow_ups_come_a_page_at_a_time(app, client, env):
    ids = env["ids"]
    today = clock.today()
    with app.app_context():
        set_actor(db.session, None, via="cli")
        for k in range(11):
            young = _mentee(ids["ml_a"])
            p = pairings.propose(db.session, None, young, ids["mentor_a"],
                                 today - timedelta(days=400 + k), today - timedelta(days=220),
                                 ).pairing
            pairings.activate(db.session, None, p.id)
            pairings.close(db.session, None, p.id, today - timedelta(days=200 + k),
                           "duree_echue", "recherche")
        db.session.commit()
        due = len(pairings.due_follow_ups(db.session, None))
    assert due >= 11
    assert login(client, env["emails"]["animateur"]).status_code == 302
    first = _t(client.get("/parrainage/suivis?par_page=10"))
    assert f"À saisir ({due})" in first and f"1–10 sur {due}" in first
    last = _t(client.get(f"/parrainage/suivis?par_page=10&page={(due + 9) // 10}"))
    assert f"sur {due}" in last and "Enregistrer" not in last
    # the mission locale records on its whole list, a form per row
    ml_client = app.test_client()
    assert login(ml_client, env["emails"]["ml"]).status_code == 302
    page = _t(ml_client.get("/parrainage/suivis"))
    assert page.count(">Enregistrer</button>") >= 11
