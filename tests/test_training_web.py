"""The training area on the web: catalogue, training and session forms, registrations by
the team and by missions locales, cancellations and the waitlist, on both backends."""

from __future__ import annotations

from datetime import date, time
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from models.audit import set_actor
from models.formatting import format_money
from models.mail.orm import OutboxMessage
from models.training import registrations as seats
from models.training.enums import RegistrationStatus as R
from models.training.enums import SessionStatus
from models.training.orm import Registration, Training, TrainingSession
from models.training.services import SessionData, SlotData, save_session
from webapp.extensions import db

TODAY = date(2026, 11, 23)


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch):
    """The views' "today" (registration window, flags) is 23 Nov 2026 unless a test moves it."""
    return _set_today(monkeypatch, TODAY)


def _set_today(monkeypatch, day: date):
    from webapp.training import common, views_catalogue, views_registrations, views_sessions

    for module in (common, views_catalogue, views_registrations, views_sessions):
        monkeypatch.setattr(module, "today", lambda: day)
    return day


def _register(app, session_id: int, n: int, ml_id: int, *, today: date = TODAY) -> int:
    with app.app_context():
        set_actor(db.session, None, via="cli")
        reg = seats.register(db.session, None, session_id, seats.RegistrationData(
            last_name=f"Nom{n}", first_name=f"Prénom{n}", email=f"personne{n}@ml.fr",
            job="conseiller", mission_locale_id=ml_id), today=today)
        db.session.commit()
        return reg.id


def _reg(app, reg_id: int) -> tuple[R, int]:
    with app.app_context():
        reg = db.session.get(Registration, reg_id)
        return R(reg.status), reg.mission_locale_id


def _count(app, model, *where) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def _outbox(app, kind: str) -> list[list[str]]:
    with app.app_context():
        return [m.recipients for m in db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(OutboxMessage.id))]


def _text(response) -> str:
    return response.get_data(as_text=True)


def _slots_form(rows) -> dict[str, str]:
    data = {}
    for i, (day, half, start, end) in enumerate(rows):
        data.update({f"slots-{i}-day": day, f"slots-{i}-half": half,
                     f"slots-{i}-starts_at": start, f"slots-{i}-ends_at": end})
    return data


SESSION_FORM = {"place": "Maison des associations, 5 rue Vital-Carles, 33000 Bordeaux",
                "trainer": "Paul Durand", "min_capacity": "4", "max_capacity": "12",
                "registration_opens": "2026-11-01", "registration_closes": "2027-01-10"}


# ---------------------------------------------------------------- catalogue and forms
def test_training_form_validates_then_creates_and_edits(app, login_as, training_world):
    client = login_as("animateur")
    response = client.post("/formations/nouvelle", data={
        "title": "", "duration_days": "0", "duration_hours": "abc", "modality": "presentiel",
        "cost_per_trainee": "12,345.6"})
    html = _text(response)
    assert response.status_code == 200
    assert "Format ambigu « 12,345.6 »" in html
    assert "« abc » n&#39;est pas un nombre" in html or "« abc » n'est pas un nombre" in html
    assert _count(app, Training) == 1

    response = client.post("/formations/nouvelle", data={
        "title": " ", "duration_days": "0", "duration_hours": "7", "modality": "presentiel"})
    html = _text(response)
    assert "intitulé de la formation est obligatoire" in html or "Ce champ est obligatoire" in html

    response = client.post("/formations/nouvelle", data={
        "title": "Accueillir", "duration_days": "0", "duration_hours": "7",
        "modality": "presentiel"})
    html = _text(response)
    assert "La durée en jours doit être supérieure à zéro." in html
    assert "Choisissez au moins une fonction visée." in html
    assert _count(app, Training) == 1

    response = client.post("/formations/nouvelle", data={
        "title": "Entretien motivationnel", "duration_days": "1,5", "duration_hours": "10,5",
        "modality": "distanciel", "audience": ["conseiller", "projet"],
        "cost_per_trainee": "1 250,50 €", "action_id": str(training_world["ids"]["action_a"]),
        "funder_id": str(training_world["ids"]["funder"]), "active": "y"})
    assert response.status_code == 302
    with app.app_context():
        t = db.session.scalar(select(Training).where(Training.title == "Entretien motivationnel"))
        assert t.cost_per_trainee == Decimal("1250.50")
        assert t.duration_days == Decimal("1.5") and t.audience == ["conseiller", "projet"]
        assert t.action_id == training_world["ids"]["action_a"]
        training_id, version = t.id, t.version_id
    assert response.headers["Location"].endswith(f"/formations/{training_id}")
    page = _text(client.get(f"/formations/{training_id}"))
    assert format_money(Decimal("1250.50")) in page and "Chargé·e de projet" in page
    assert "Aucune session programmée." in page

    # an edit made on a stale copy is refused and the typed text kept
    edit = {"title": "Entretien motivationnel (niveau 2)", "duration_days": "2",
            "duration_hours": "14", "modality": "distanciel", "audience": ["conseiller"],
            "version_id": str(version)}
    assert client.post(f"/formations/{training_id}/modifier", data=edit).status_code == 302
    response = client.post(f"/formations/{training_id}/modifier",
                           data={**edit, "title": "Autre titre"})
    assert "modifiée par quelqu" in _text(response)
    with app.app_context():
        assert db.session.get(Training, training_id).title == "Entretien motivationnel (niveau 2)"


def test_session_form_validates_creates_and_warns_about_a_busy_trainer(app, login_as,
                                                                        training_world):
    ids = training_world["ids"]
    client = login_as("admin")
    assert client.get(f"/formations/{ids['training']}/sessions/nouvelle").status_code == 200
    # no half-day, no place (présentiel), minimum above maximum
    response = client.post(f"/formations/{ids['training']}/sessions/nouvelle", data={
        **SESSION_FORM, "place": "", "min_capacity": "20", **_slots_form([])})
    html = _text(response)
    assert "Indiquez au moins une demi-journée" in html
    assert "Indiquez le lieu (adresse)" in html
    assert "La capacité minimale ne peut pas dépasser la capacité maximale." in html
    # a half-day ending before it starts, closing after the first day
    response = client.post(f"/formations/{ids['training']}/sessions/nouvelle", data={
        **SESSION_FORM, **_slots_form([("2027-01-05", "matin", "12:00", "09:00")])})
    assert "l&#39;heure de fin doit suivre" in _text(response) or \
        "l'heure de fin doit suivre" in _text(response)
    assert _count(app, TrainingSession) == 1

    # Claire Martin already runs the 10 Dec morning: saved, with a warning
    response = client.post(f"/formations/{ids['training']}/sessions/nouvelle", data={
        **SESSION_FORM, "trainer": "claire martin", "registration_closes": "2026-12-09",
        **_slots_form([("2026-12-10", "matin", "09:00", "12:30"),
                       ("2026-12-09", "apres_midi", "14:00", "17:00"),
                       ("", "matin", "09:00", "12:30")])}, follow_redirects=True)
    html = _text(response)
    assert "Session créée" in html
    assert "anime déjà « Accueillir un public en situation de handicap » le 10 décembre 2026 " \
           "(matin)" in html
    with app.app_context():
        ts = db.session.scalars(select(TrainingSession).order_by(TrainingSession.id.desc())).first()
        assert (ts.start_date, ts.end_date) == (date(2026, 12, 9), date(2026, 12, 10))
        assert [(s.day.day, s.half.value) for s in ts.slots] == [(9, "apres_midi"), (10, "matin")]
        assert ts.status is SessionStatus.OUVERTE


def test_capacity_cannot_go_below_the_seats_held_and_raising_it_promotes(app, login_as,
                                                                         training_world):
    ids = training_world["ids"]
    regs = [_register(app, ids["session"], n, ids["ml_a" if n < 3 else "ml_b"])
            for n in range(6)]  # 5 confirmed, 1 waiting
    assert _reg(app, regs[5])[0] is R.ATTENTE
    client = login_as("animateur")
    page = _text(client.get(f"/formations/sessions/{ids['session']}/modifier"))
    assert 'value="2026-12-10"' in page
    form = {**SESSION_FORM, "place": "ARML, Bordeaux", "trainer": "Claire Martin",
            "min_capacity": "3", "max_capacity": "4", "ml_quota": "3",
            "registration_opens": "2026-09-01", "registration_closes": "2026-11-30",
            "version_id": "1",
            **_slots_form([("2026-12-10", "matin", "09:00", "12:30"),
                           ("2026-12-10", "apres_midi", "13:30", "17:00"),
                           ("2026-12-11", "matin", "09:00", "12:30"),
                           ("2026-12-11", "apres_midi", "13:30", "17:00")])}
    response = client.post(f"/formations/sessions/{ids['session']}/modifier", data=form)
    assert "Impossible de descendre à 4 places : 5 places sont déjà attribuées." in \
        _text(response)
    with app.app_context():
        assert db.session.get(TrainingSession, ids["session"]).max_capacity == 5

    response = client.post(f"/formations/sessions/{ids['session']}/modifier",
                           data={**form, "max_capacity": "6"})
    assert response.status_code == 302
    assert _reg(app, regs[5])[0] is R.CONFIRMEE
    assert _outbox(app, "promotion")[-1] == ["personne5@ml.fr"]
    assert _outbox(app, "changement_dates") == []  # same half-days: nobody is told


def test_changing_the_half_days_tells_everyone_registered(app, login_as, training_world):
    ids = training_world["ids"]
    _register(app, ids["session"], 1, ids["ml_a"])
    cancelled = _register(app, ids["session"], 2, ids["ml_b"])
    with app.app_context():
        seats.cancel(db.session, None, cancelled)
        db.session.commit()
    client = login_as("admin")
    response = client.post(f"/formations/sessions/{ids['session']}/modifier", data={
        **SESSION_FORM, "place": "ARML, Bordeaux", "max_capacity": "5", "min_capacity": "3",
        "registration_opens": "2026-09-01", "registration_closes": "2026-11-30",
        **_slots_form([("2026-12-14", "matin", "09:00", "12:30"),
                       ("2026-12-14", "apres_midi", "13:30", "17:00")])})
    assert response.status_code == 302
    assert _outbox(app, "changement_dates") == [["personne1@ml.fr"]]
    with app.app_context():
        ts = db.session.get(TrainingSession, ids["session"])
        assert (ts.start_date, ts.end_date, len(ts.slots)) == (date(2026, 12, 14),) * 2 + (2,)


def test_catalogue_filters(app, login_as, training_world):
    ids = training_world["ids"]
    with app.app_context():
        set_actor(db.session, None, via="cli")
        training = db.session.get(Training, ids["training"])
        save_session(db.session, None, training, None, SessionData(
            slots=[SlotData(date(2027, 2, 3), "matin", time(9), time(12))], max_capacity=1,
            registration_opens=date(2026, 11, 1), registration_closes=date(2027, 2, 1),
            place="Pau"))
        db.session.commit()
    client = login_as("financeur")  # every signed-in role reads the catalogue
    html = _text(client.get("/formations/"))
    assert "du 10 décembre 2026 au 11 décembre 2026" in html and "3 février 2027" in html
    assert "5 places restantes" in html
    html = _text(client.get("/formations/?mois=2027-02"))
    assert "3 février 2027" in html and "10 décembre 2026" not in html
    assert "Aucune session ne correspond" in _text(client.get("/formations/?fonction=direction"))
    assert "10 décembre 2026" in _text(client.get("/formations/?fonction=accueil"))
    assert "Aucune session ne correspond" in _text(client.get("/formations/?modalite=mixte"))
    assert "Aucune session ne correspond" in _text(client.get("/formations/?q=introuvable"))
    _register(app, ids["session"] + 1, 1, ids["ml_a"])  # the February session is now full
    html = _text(client.get("/formations/?places=1"))
    assert "10 décembre 2026" in html and "3 février 2027" not in html
    assert "Inscrire une personne" not in _text(client.get(
        f"/formations/sessions/{ids['session']}"))  # read-only for a funder
    assert client.get("/formations/?page=abc&tri=nope&mois=2027-13").status_code == 200


# ---------------------------------------------------------------- registrations
def _post_registration(client, session_id: int, n: int, follow_redirects=False, **extra):
    return client.post(f"/formations/sessions/{session_id}/inscriptions", data={
        "last_name": f"Nom{n}", "first_name": f"Prénom{n}", "email": f"personne{n}@ml.fr",
        "job": "conseiller", **extra}, follow_redirects=follow_redirects)


def test_ml_registers_its_own_staff_even_with_a_tampered_mission_locale(app, login_as,
                                                                        training_world):
    ids = training_world["ids"]
    client = login_as("ml")
    response = _post_registration(client, ids["session"], 1,
                                  mission_locale_id=str(ids["ml_b"]), follow_redirects=True)
    assert "Inscription confirmée pour Prénom1 Nom1." in _text(response)
    with app.app_context():
        reg = db.session.scalar(select(Registration))
        assert reg.mission_locale_id == ids["ml_a"]
        assert reg.registered_by_id == ids["ml"]
    assert _outbox(app, "confirmation") == [["personne1@ml.fr"]]
    # invalid e-mail: French message, nothing added
    response = client.post(f"/formations/sessions/{ids['session']}/inscriptions", data={
        "last_name": "X", "first_name": "Y", "email": "pas-un-email", "job": "conseiller"})
    assert response.status_code == 200
    assert "Adresse e-mail invalide" in _text(response)
    assert _count(app, Registration) == 1


def test_team_registers_for_any_mission_locale_and_waitlist_positions_show(app, login_as,
                                                                          training_world):
    ids = training_world["ids"]
    for n in range(5):
        _register(app, ids["session"], n, ids["ml_a" if n < 3 else "ml_b"])
    client = login_as("animateur")
    response = _post_registration(client, ids["session"], 10, mission_locale_id=str(ids["ml_b"]),
                                  follow_redirects=True)
    html = _text(response)
    assert "Liste d&#39;attente : position 1 pour Prénom10 Nom10" in html or \
        "Liste d'attente : position 1 pour Prénom10 Nom10" in html
    assert "5 / 5" in html and "position 1" in html
    response = _post_registration(client, ids["session"], 10, mission_locale_id=str(ids["ml_b"]))
    assert "est déjà inscrit·e à cette session" in _text(response)
    # the team without a mission locale: asked to choose
    response = _post_registration(client, ids["session"], 11)
    assert "Choisissez la mission locale de la personne." in _text(response)
    assert _count(app, Registration) == 6


def test_registration_after_the_closing_date_is_refused(app, login_as, training_world,
                                                        monkeypatch):
    ids = training_world["ids"]
    _set_today(monkeypatch, date(2026, 12, 1))
    client = login_as("ml")
    response = _post_registration(client, ids["session"], 1)
    assert response.status_code == 200
    assert "Les inscriptions sont closes depuis le 30/11/2026." in _text(response)
    assert _count(app, Registration) == 0
    assert _count(app, OutboxMessage) == 0
    assert "Inscrire une personne" not in _text(client.get(
        f"/formations/sessions/{ids['session']}"))


def test_cancelling_a_session_needs_a_reason_notifies_and_closes_registration(
        app, login_as, training_world):
    ids = training_world["ids"]
    regs = [_register(app, ids["session"], n, ids["ml_a" if n < 3 else "ml_b"])
            for n in range(7)]
    with app.app_context():
        seats.cancel(db.session, None, regs[0])  # personne5 is promoted
        db.session.commit()
    client = login_as("admin")
    response = client.post(f"/formations/sessions/{ids['session']}/annuler",
                           data={"reason": "  "}, follow_redirects=True)
    assert "Indiquez le motif de l&#39;annulation" in _text(response) or \
        "Indiquez le motif de l'annulation" in _text(response)
    assert _count(app, TrainingSession, TrainingSession.status == SessionStatus.ANNULEE) == 0

    response = client.post(f"/formations/sessions/{ids['session']}/annuler",
                           data={"reason": "Formatrice indisponible."}, follow_redirects=True)
    assert "Session annulée : les personnes inscrites sont prévenues" in _text(response)
    notified = sorted(r[0] for r in _outbox(app, "annulation"))
    assert notified == [f"personne{n}@ml.fr" for n in range(1, 7)]  # not the cancelled one
    with app.app_context():
        ts = db.session.get(TrainingSession, ids["session"])
        assert ts.status is SessionStatus.ANNULEE and ts.cancel_reason == "Formatrice indisponible."
        assert db.session.get(Registration, regs[1]).status is R.CONFIRMEE  # kept for history

    before = _count(app, Registration)
    client.post("/deconnexion")
    client = login_as("ml")
    response = _post_registration(client, ids["session"], 20)
    assert "Les inscriptions ne sont pas possibles : la session est « annulée »." in \
        _text(response)
    assert _count(app, Registration) == before


def test_ml_cannot_read_or_cancel_another_mission_locales_registration(app, login_as,
                                                                      training_world):
    ids = training_world["ids"]
    own = _register(app, ids["session"], 1, ids["ml_a"])
    other = _register(app, ids["session"], 2, ids["ml_b"])
    client = login_as("ml")
    assert client.post(f"/formations/inscriptions/{other}/annuler").status_code == 404
    assert client.post(f"/formations/inscriptions/{other}/offre",
                       data={"reponse": "accepter"}).status_code == 404
    assert client.post("/formations/inscriptions/999999/annuler").status_code == 404
    assert _reg(app, other)[0] is R.CONFIRMEE
    page = _text(client.get(f"/formations/sessions/{ids['session']}"))
    assert "personne1@ml.fr" in page and "personne2@ml.fr" not in page
    mine = _text(client.get("/formations/mes-inscriptions"))
    assert "personne1@ml.fr" in mine and "personne2@ml.fr" not in mine
    # ?ml= is ignored for an ml account
    tampered = client.get(f"/formations/mes-inscriptions?ml={ids['ml_b']}")
    assert "personne2@ml.fr" not in _text(tampered)
    assert client.post(f"/formations/inscriptions/{own}/annuler").status_code == 302
    assert _reg(app, own)[0] is R.ANNULEE


def test_ml_cancel_promotes_the_first_person_waiting(app, login_as, training_world):
    ids = training_world["ids"]
    regs = [_register(app, ids["session"], n, ids["ml_a" if n < 3 else "ml_b"])
            for n in range(5)]
    waiting = [_register(app, ids["session"], n, ids["ml_a"]) for n in (5, 6)]
    assert [_reg(app, r)[0] for r in waiting] == [R.ATTENTE, R.ATTENTE]
    client = login_as("ml")
    mine = _text(client.get("/formations/mes-inscriptions"))
    assert "position 1" in mine and "position 2" in mine
    response = client.post(f"/formations/inscriptions/{regs[0]}/annuler",
                           data={"retour": "mes"}, follow_redirects=True)
    html = _text(response)
    assert "Inscription de Prénom0 Nom0 annulée." in html
    assert "Prénom5 Nom5 passe de la liste d&#39;attente à une place confirmée." in html or \
        "Prénom5 Nom5 passe de la liste d'attente à une place confirmée." in html
    assert [_reg(app, r)[0] for r in waiting] == [R.CONFIRMEE, R.ATTENTE]
    assert _outbox(app, "promotion") == [["personne5@ml.fr"]]
    assert _outbox(app, "promotion_ml") == [["ml@test.fr"]]
    assert "position 1" in _text(client.get("/formations/mes-inscriptions"))


def test_offered_seat_is_accepted_or_declined(app, login_as, training_world):
    ids = training_world["ids"]
    with app.app_context():
        db.session.get(TrainingSession, ids["session"]).offer_days = 3
        db.session.commit()
    regs = [_register(app, ids["session"], n, ids["ml_a" if n < 3 else "ml_b"])
            for n in range(5)]
    first, second = (_register(app, ids["session"], n, ids["ml_b"]) for n in (5, 6))
    client = login_as("animateur")
    client.post(f"/formations/inscriptions/{regs[3]}/annuler")
    assert _reg(app, first)[0] is R.OFFRE
    response = client.post(f"/formations/inscriptions/{first}/offre",
                           data={"reponse": "refuser"}, follow_redirects=True)
    assert "Place déclinée pour Prénom5 Nom5." in _text(response)
    assert (_reg(app, first)[0], _reg(app, second)[0]) == (R.ANNULEE, R.OFFRE)
    client.post(f"/formations/inscriptions/{second}/offre", data={"reponse": "accepter"})
    assert _reg(app, second)[0] is R.CONFIRMEE
    response = client.post(f"/formations/inscriptions/{second}/offre",
                           data={"reponse": "accepter"}, follow_redirects=True)
    assert "Aucune place n&#39;est proposée" in _text(response) or \
        "Aucune place n'est proposée" in _text(response)


def test_team_registrations_list_filters_by_mission_locale(app, login_as, training_world):
    ids = training_world["ids"]
    _register(app, ids["session"], 1, ids["ml_a"])
    _register(app, ids["session"], 2, ids["ml_b"])
    client = login_as("admin")
    html = _text(client.get("/formations/mes-inscriptions"))
    assert "personne1@ml.fr" in html and "personne2@ml.fr" in html
    html = _text(client.get(f"/formations/mes-inscriptions?ml={ids['ml_b']}&tri=nom&ordre=desc"))
    assert "personne1@ml.fr" not in html and "personne2@ml.fr" in html
    assert "Aucune inscription ne correspond" in _text(
        client.get("/formations/mes-inscriptions?statut=offre"))
    client.post("/deconnexion")
    login_as("copil")
    assert client.get("/formations/mes-inscriptions").status_code == 403


def test_status_transitions_and_the_below_minimum_flag(app, login_as, training_world,
                                                       monkeypatch):
    ids = training_world["ids"]
    _register(app, ids["session"], 1, ids["ml_a"])
    client = login_as("animateur")
    assert "Sous le minimum" not in _text(client.get("/formations/"))
    _set_today(monkeypatch, date(2026, 12, 4))
    html = _text(client.get("/formations/"))
    assert "Sous le minimum à moins d&#39;une semaine" in html or \
        "Sous le minimum à moins d'une semaine" in html
    assert "1 inscrit·e pour un minimum de 3" in html
    # close, reopen; "réalisée" only once it has ended
    url = f"/formations/sessions/{ids['session']}/statut"
    client.post(url, data={"transition": "close"})
    with app.app_context():
        assert db.session.get(TrainingSession, ids["session"]).status is SessionStatus.CLOSE
    client.post(url, data={"transition": "reopen"})
    response = client.post(url, data={"transition": "realise"}, follow_redirects=True)
    assert "La session n&#39;est pas terminée" in _text(response) or \
        "La session n'est pas terminée" in _text(response)
    _set_today(monkeypatch, date(2026, 12, 11))
    client.post(url, data={"transition": "realise"})
    with app.app_context():
        assert db.session.get(TrainingSession, ids["session"]).status is SessionStatus.REALISEE


def test_ml_lands_on_the_catalogue_after_login(client, world):
    from tests.conftest import login

    response = login(client, world["emails"]["ml"])
    assert response.headers["Location"] == "/formations/"
    client.post("/deconnexion")
    response = client.post("/connexion?next=/reseau/", data={
        "email": world["emails"]["ml"], "password": "mot-de-passe-de-test"})
    assert response.headers["Location"] == "/reseau/"
    client.post("/deconnexion")
    assert login(client, world["emails"]["animateur"]).headers["Location"] == "/"
