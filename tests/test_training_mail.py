"""E-mails of the training programme, read back from a REAL SMTP server (aiosmtpd):
confirmation, waitlist position, promotion, convocation with its .ics, cancellation,
evaluation request; delivery failures kept in the outbox; the admin outbox page; the
ICS feed.
"""

from __future__ import annotations

import email
import email.policy
import re
import socket
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from aiosmtpd.controller import Controller
from icalendar import Calendar
from sqlalchemy import func, select

from models import clock
from models.accounts.orm import User
from models.audit import set_actor
from models.errors import DomainError, PermissionDenied
from models.mail.delivery import deliver_pending
from models.mail.orm import OutboxMessage
from models.mail.settings import MailSettings
from models.training import registrations as seats
from models.training.convocations import send_convocations
from models.training.enums import RegistrationStatus, SessionStatus
from models.training.evaluations import send_evaluation_requests
from models.training.orm import Registration, TrainingSession
from models.training.services import cancel_session
from tests.conftest import login
from webapp.extensions import db

TODAY = date(2026, 11, 23)
PARIS = ZoneInfo("Europe/Paris")


# ---------------------------------------------------------------- a real SMTP server
class Collector:
    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.envelopes: list = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd hook
        self.envelopes.append(envelope)
        self.messages.append(email.message_from_bytes(envelope.original_content or
                                                      envelope.content,
                                                      policy=email.policy.default))
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[email.message.EmailMessage]:
        return [m for m, e in zip(self.messages, self.envelopes, strict=True)
                if address in e.rcpt_tos]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp():
    handler = Collector()
    controller = Controller(handler, hostname="127.0.0.1", port=_free_port())
    controller.start()
    handler.settings = MailSettings(host="127.0.0.1", port=controller.port,
                                    sender="Formations ARML <formations@arml.test>")
    yield handler
    controller.stop()


def _text(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def _data(n: int, ml_id: int) -> seats.RegistrationData:
    return seats.RegistrationData(last_name=f"Nom{n}", first_name=f"Prénom{n}",
                                  email=f"personne{n}@ml.fr", job="conseiller",
                                  mission_locale_id=ml_id)


@pytest.fixture
def env(session, training_world):
    set_actor(session, None, via="cli")
    return {"s": session, "ids": training_world["ids"], "world": training_world}


def _fill(env, count: int) -> None:
    """Registrations 0..count-1, alternating missions locales (quota 3 each)."""
    ids = env["ids"]
    for n in range(count):
        seats.register(env["s"], None, ids["session"],
                       _data(n, ids["ml_a"] if n % 2 == 0 else ids["ml_b"]), today=TODAY)
        env["s"].commit()


def _deliver(env, smtp) -> None:
    report = deliver_pending(env["s"], smtp.settings)
    env["s"].commit()
    assert report.failed == 0, report.errors


# ---------------------------------------------------------------- registrations
def test_confirmation_and_waitlist_position_arrive(env, smtp):
    _fill(env, 7)  # 5 seats: 0-4 confirmed, 5 and 6 waiting
    _deliver(env, smtp)
    first = smtp.to("personne0@ml.fr")
    assert [m["Subject"] for m in first] == [
        "Inscription confirmée : Accueillir un public en situation de handicap"]
    assert first[0]["From"] == "Formations ARML <formations@arml.test>"
    assert "Bonjour Prénom0" in _text(first[0]) and "est confirmée" in _text(first[0])
    waiting = smtp.to("personne6@ml.fr")
    assert len(waiting) == 1 and waiting[0]["Subject"].startswith("Liste d'attente")
    assert "en position 2" in _text(waiting[0])
    assert "en position 1" in _text(smtp.to("personne5@ml.fr")[0])
    s = env["s"]
    assert s.scalar(select(func.count()).select_from(OutboxMessage)
                    .where(OutboxMessage.sent_at.is_(None))) == 0
    assert all(m.attempts == 1 for m in s.scalars(select(OutboxMessage)))


def test_cancellation_promotes_the_first_waiting_and_tells_their_mission_locale(env, smtp):
    _fill(env, 6)
    _deliver(env, smtp)
    smtp.messages.clear()
    smtp.envelopes.clear()
    s = env["s"]
    gone = s.scalars(select(Registration).where(Registration.email == "personne1@ml.fr")).one()
    seats.cancel(s, None, gone.id, "Indisponible")
    s.commit()
    _deliver(env, smtp)
    promoted = smtp.to("personne5@ml.fr")  # personne5 is of ml_b (Pau)
    assert len(promoted) == 1 and promoted[0]["Subject"].startswith("Place confirmée")
    assert "Prénom5 Nom5" in _text(promoted[0]) and "désormais confirmée" in _text(promoted[0])
    # its mission locale's accounts are told too ("target" is Pau's ml account)
    told = smtp.to(env["world"]["emails"]["target"])
    assert len(told) == 1 and "Place confirmée pour Prénom5 Nom5" in told[0]["Subject"]
    assert smtp.to("personne1@ml.fr") == []  # nobody e-mails the person who cancelled here


def test_session_cancellation_reaches_everyone_registered(env, smtp):
    _fill(env, 6)
    s, ids = env["s"], env["ids"]
    cancel_session(s, None, ids["session"], "Formatrice malade")
    s.commit()
    delivered_before = len(smtp.messages)
    _deliver(env, smtp)
    cancellations = [m for m in smtp.messages[delivered_before:]
                     if m["Subject"].startswith("Session annulée")]
    assert sorted(e for m in cancellations for e in [m["To"]]) == sorted(
        f"personne{n}@ml.fr" for n in range(6))
    assert "Motif : Formatrice malade" in _text(cancellations[0])


# ---------------------------------------------------------------- convocations
def test_convocation_has_schedule_place_and_a_parseable_ics(app, client, env, smtp):
    _fill(env, 6)  # 5 confirmed, 1 waiting: the waiting person is not convened
    s, ids = env["s"], env["ids"]
    ts = s.get(TrainingSession, ids["session"])
    ts.access_details = "Tram C, arrêt Les Lilas ; salle 2 au 1er étage."
    s.commit()
    s.execute(OutboxMessage.__table__.update().values(sent_at=clock.local_now()))
    s.commit()
    app.config["MAIL_SETTINGS"] = smtp.settings  # the web delivers right after its commit
    login(client, env["world"]["emails"]["animateur"])
    response = client.post(f"/formations/sessions/{ids['session']}/convocations")
    assert response.status_code == 302
    convocations = [m for m in smtp.messages if m["Subject"].startswith("Convocation")]
    assert sorted(m["To"] for m in convocations) == [f"personne{n}@ml.fr" for n in range(5)]
    body = _text(smtp.to("personne0@ml.fr")[-1])
    assert "Vous êtes convoqué·e à la formation « Accueillir un public" in body
    assert "- jeudi 10 décembre 2026, matin : 9 h 00 – 12 h 30" in body
    assert "- vendredi 11 décembre 2026, après-midi : 13 h 30 – 17 h 00" in body
    assert "Lieu : ARML, 12 rue des Lilas, 33000 Bordeaux" in body
    assert "Accès : Tram C, arrêt Les Lilas" in body
    assert "Durée : 14 heures" in body

    message = smtp.to("personne0@ml.fr")[-1]
    ics_parts = [p for p in message.iter_attachments() if p.get_content_type() == "text/calendar"]
    assert len(ics_parts) == 1 and ics_parts[0].get_filename() == "convocation.ics"
    calendar = Calendar.from_ical(ics_parts[0].get_content())
    events = sorted(calendar.walk("VEVENT"), key=lambda e: e.decoded("dtstart"))
    assert len(events) == 4
    assert events[0].decoded("dtstart") == datetime(2026, 12, 10, 9, 0, tzinfo=PARIS)
    assert events[0].decoded("dtend") == datetime(2026, 12, 10, 12, 30, tzinfo=PARIS)
    assert events[-1].decoded("dtstart") == datetime(2026, 12, 11, 13, 30, tzinfo=PARIS)
    assert str(events[0]["location"]) == "ARML, 12 rue des Lilas, 33000 Bordeaux"
    assert calendar.walk("VTIMEZONE"), "the Paris time zone travels with the file"
    assert "personne" not in ics_parts[0].get_content()  # nothing personal in the file
    assert smtp.to("personne5@ml.fr") == []  # waiting: not convened

    with app.app_context():
        stored = db.session.scalars(select(OutboxMessage).where(
            OutboxMessage.kind == "convocation")).all()
        assert len(stored) == 5 and all(m.sent_at is not None for m in stored)


def test_convocations_refused_for_a_cancelled_session_or_a_non_team_account(app, client, env):
    _fill(env, 2)
    s, ids = env["s"], env["ids"]
    for role in ("copil", "ml", "financeur"):
        client.post("/deconnexion")
        login(client, env["world"]["emails"][role])
        assert client.post(f"/formations/sessions/{ids['session']}/convocations"
                           ).status_code == 403
    with pytest.raises(PermissionDenied):
        send_convocations(s, s.get(User, ids["ml"]), s.get(TrainingSession, ids["session"]))
    cancel_session(s, None, ids["session"], "Trop peu d'inscrits")
    s.commit()
    before = s.scalar(select(func.count()).select_from(OutboxMessage))
    with pytest.raises(DomainError, match="La session est annulée : aucune convocation"):
        send_convocations(s, None, s.get(TrainingSession, ids["session"]))
    s.rollback()
    client.post("/deconnexion")
    login(client, env["world"]["emails"]["admin"])
    response = client.post(f"/formations/sessions/{ids['session']}/convocations",
                           follow_redirects=True)
    assert "La session est annulée : aucune convocation n&#39;est envoyée." in \
        response.get_data(as_text=True)
    assert s.scalar(select(func.count()).select_from(OutboxMessage)) == before


# ---------------------------------------------------------------- evaluation request
def test_evaluation_request_carries_a_link_that_works_once(app, client, env, smtp):
    _fill(env, 3)
    s, ids = env["s"], env["ids"]
    ts = s.get(TrainingSession, ids["session"])
    ts.status = SessionStatus.REALISEE
    s.commit()
    sent = send_evaluation_requests(s, None, ts, app.config["SECRET_KEY"],
                                    "http://localhost/formations/evaluation/")
    s.commit()
    assert sent == 3
    _deliver(env, smtp)
    request_mail = [m for m in smtp.to("personne2@ml.fr") if "Votre avis" in m["Subject"]]
    assert len(request_mail) == 1
    body = _text(request_mail[0])
    link = re.search(r"http://localhost(/formations/evaluation/\S+)", body).group(1)
    assert "utilisable une seule fois" in body and "anonymes" in body
    page = client.get(link)
    assert page.status_code == 200 and "Satisfaction globale" in page.get_data(as_text=True)
    answers = {"overall": "5", "objectives_met": "4", "trainer": "5", "organisation": "3",
               "comment": "Très concret."}
    done = client.post(link, data=answers)
    assert done.status_code == 200 and "Merci pour votre avis" in done.get_data(as_text=True)
    again = client.post(link, data=answers)
    assert again.status_code == 410
    assert "Vous avez déjà répondu à ce questionnaire" in again.get_data(as_text=True)
    with app.app_context():
        from models.training.orm import Evaluation

        assert db.session.scalar(select(func.count()).select_from(Evaluation)) == 1


# ---------------------------------------------------------------- failures and the CLI
def test_unreachable_server_keeps_the_message_and_the_cli_sends_it_later(app, env, smtp):
    _fill(env, 1)
    s = env["s"]
    down = MailSettings(host="127.0.0.1", port=_free_port(), timeout=2)
    report = deliver_pending(s, down)
    s.commit()
    assert report.sent == 0 and report.failed == 1
    message = s.scalars(select(OutboxMessage)).one()
    assert message.sent_at is None and message.attempts == 1
    assert message.last_error.startswith("Serveur d'envoi injoignable")
    assert smtp.messages == []

    app.config["MAIL_SETTINGS"] = smtp.settings
    result = app.test_cli_runner().invoke(args=["mail", "send"])
    assert result.exit_code == 0, result.output
    assert "1 courriel(s) envoyé(s), 0 en échec." in result.output
    assert [m["To"] for m in smtp.messages] == ["personne0@ml.fr"]
    s.expire_all()
    message = s.scalars(select(OutboxMessage)).one()
    assert message.sent_at is not None and message.attempts == 2 and message.last_error == ""
    # nothing left: a second run sends nothing twice
    assert "0 courriel(s) envoyé(s)" in app.test_cli_runner().invoke(
        args=["mail", "send"]).output
    assert len(smtp.messages) == 1


def test_without_smtp_host_messages_stay_in_the_outbox(app, client, env, monkeypatch):
    for name in ("SMTP_HOST", "SMTP_PORT"):
        monkeypatch.delenv(name, raising=False)
    _fill(env, 2)
    login(client, env["world"]["emails"]["admin"])
    assert client.post(f"/formations/sessions/{env['ids']['session']}/convocations"
                       ).status_code == 302
    s = env["s"]
    s.expire_all()
    assert s.scalar(select(func.count()).select_from(OutboxMessage)
                    .where(OutboxMessage.sent_at.is_(None))) == 4  # 2 confirmations + 2
    result = app.test_cli_runner().invoke(args=["mail", "send"])
    assert "SMTP_HOST n'est pas défini : 4 courriel(s) restent" in result.output


def test_settings_from_the_environment():
    settings = MailSettings.from_env({"SMTP_HOST": "smtp.arml.fr", "SMTP_STARTTLS": "oui",
                                      "SMTP_USER": "u", "SMTP_PASSWORD": "secret-pw",
                                      "MAIL_FROM": "ARML <f@arml.fr>"})
    assert settings.configured and settings.port == 587 and settings.starttls
    assert settings.sender == "ARML <f@arml.fr>"
    assert "secret-pw" not in repr(settings)
    assert not MailSettings.from_env({}).configured
    with pytest.raises(RuntimeError, match="n'est pas un numéro de port"):
        MailSettings.from_env({"SMTP_HOST": "x", "SMTP_PORT": "abc"})


# ---------------------------------------------------------------- admin outbox page
def test_outbox_page_lists_filters_and_shows_a_message(client, env):
    _fill(env, 7)
    s, ids = env["s"], env["ids"]
    send_convocations(s, None, s.get(TrainingSession, ids["session"]))
    s.commit()
    login(client, env["world"]["emails"]["admin"])
    page = client.get("/admin/courriels").get_data(as_text=True)
    assert "Aucun serveur d'envoi n'est configuré" in page
    assert "Inscription confirmée : Accueillir" in page and "Convocation : Accueillir" in page
    assert "12 en attente" in page  # 5 confirmations, 2 waitlist positions, 5 convocations
    only = client.get("/admin/courriels?type=liste_attente").get_data(as_text=True)
    assert "Liste d&#39;attente : Accueillir" in only and "Convocation :" not in only
    search = client.get("/admin/courriels?q=personne6").get_data(as_text=True)
    assert "personne6@ml.fr" in search and "personne0@ml.fr" not in search
    assert client.get("/admin/courriels?tri=objet&ordre=asc&page=abc").status_code == 200
    convocation = s.scalars(select(OutboxMessage).where(OutboxMessage.kind == "convocation")
                            ).first()
    detail = client.get(f"/admin/courriels/{convocation.id}").get_data(as_text=True)
    assert "Vous êtes convoqué·e" in detail and "convocation.ics" in detail
    assert "BEGIN:VCALENDAR" in detail
    assert client.get("/admin/courriels/999999").status_code == 404


@pytest.mark.parametrize("role", ["animateur", "copil", "ml", "financeur"])
def test_outbox_is_for_admins_only(client, env, role):
    login(client, env["world"]["emails"][role])
    assert client.get("/admin/courriels").status_code == 403
    assert client.get("/admin/courriels/1").status_code == 403


# ---------------------------------------------------------------- ICS feed
def test_ics_feed_lists_sessions_not_cancelled_without_personal_data(client, env):
    _fill(env, 3)
    s, ids = env["s"], env["ids"]
    ts = s.get(TrainingSession, ids["session"])
    ts.video_link = "https://visio.example/secret-room"
    other = TrainingSession(training_id=ts.training_id, start_date=date(2026, 12, 17),
                            end_date=date(2026, 12, 17), place="Pau", max_capacity=5,
                            registration_opens=date(2026, 9, 1),
                            registration_closes=date(2026, 12, 1),
                            status=SessionStatus.ANNULEE, cancel_reason="x")
    s.add(other)
    s.commit()
    assert client.get("/formations/sessions.ics").status_code == 302  # sign in first
    for role in ("ml", "financeur", "copil"):
        client.post("/deconnexion")
        login(client, env["world"]["emails"][role])
        response = client.get("/formations/sessions.ics")
        assert response.status_code == 200 and response.mimetype == "text/calendar"
    text = response.get_data(as_text=True)
    calendar = Calendar.from_ical(text)
    events = calendar.walk("VEVENT")
    assert len(events) == 4  # the cancelled session is left out
    assert {e.decoded("dtstart").date() for e in events} == {date(2026, 12, 10),
                                                             date(2026, 12, 11)}
    assert all(str(e["location"]).startswith("ARML, 12 rue des Lilas") for e in events)
    for private in ("personne", "Nom0", "secret-room", "@ml.fr"):
        assert private not in text
    assert s.scalar(select(func.count()).select_from(Registration).where(
        Registration.status == RegistrationStatus.CONFIRMEE)) == 3
