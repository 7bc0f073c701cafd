"""Évaluation à chaud: signed single-use links that expire, anonymous answers, aggregates.

A reused, expired or forged link gets a French message and stores nothing; the
results never show who answered; two simultaneous submissions of one link count once.
"""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import func, select

from models import clock
from models.accounts.orm import User
from models.audit import set_actor
from models.audit.orm import AuditEvent
from models.errors import DomainError, PermissionDenied, ValidationFailed
from models.mail.orm import OutboxMessage
from models.training import evaluations as ev
from models.training import registrations as seats
from models.training.enums import Presence, SessionStatus
from models.training.orm import (
    Attendance,
    Evaluation,
    Registration,
    SessionSlot,
    TrainingSession,
)
from tests.conftest import login
from webapp.extensions import db

TODAY = date(2026, 11, 23)
NOW = datetime(2026, 12, 14, 10, 0, tzinfo=UTC)
SECRET = "clé-de-test-des-évaluations"
BASE = "https://animareseau.test/formations/evaluation/"
GOOD = {"overall": "4", "objectives_met": "5", "trainer": "4", "organisation": "3",
        "comment": "Utile."}
NAMES = [("Zéphyrine", "Quatremare"), ("Anatole", "Brisefer"), ("Mélusine", "Cordebois"),
         ("Oscar", "Vilemont")]


def _count(s, model) -> int:
    return s.scalar(select(func.count()).select_from(model))


@pytest.fixture
def held(session, training_world):
    """The session, réalisée, with four confirmed trainees (two per mission locale)."""
    s, ids = session, training_world["ids"]
    set_actor(s, None, via="cli")
    regs = []
    for n, (first, last) in enumerate(NAMES):
        regs.append(seats.register(s, None, ids["session"], seats.RegistrationData(
            last_name=last, first_name=first, email=f"{first.lower()}@ml.fr", job="conseiller",
            mission_locale_id=ids["ml_a"] if n % 2 == 0 else ids["ml_b"]), today=TODAY))
        s.commit()
    ts = s.get(TrainingSession, ids["session"])
    ts.status = SessionStatus.REALISEE
    s.commit()
    return {"s": s, "ids": ids, "ts": ts, "regs": [r.id for r in regs],
            "world": training_world}


# ---------------------------------------------------------------- tokens
def test_answer_once_then_the_link_is_refused_and_nothing_more_is_stored(held):
    s, reg_id = held["s"], held["regs"][0]
    token = ev.make_token(SECRET, reg_id, now=NOW)
    evaluation = ev.submit(s, token, GOOD, secret=SECRET, now=NOW + timedelta(hours=2))
    s.commit()
    assert (evaluation.overall, evaluation.objectives_met, evaluation.trainer,
            evaluation.organisation, evaluation.comment) == (4, 5, 4, 3, "Utile.")
    assert evaluation.submitted_on == date(2026, 12, 14)
    with pytest.raises(ev.InvalidToken, match="Vous avez déjà répondu") as refused:
        ev.submit(s, token, GOOD, secret=SECRET, now=NOW + timedelta(hours=3))
    assert refused.value.reason == "used"
    s.rollback()
    assert _count(s, Evaluation) == 1


def test_expired_link_is_refused_with_its_validity(held):
    s, reg_id = held["s"], held["regs"][0]
    token = ev.make_token(SECRET, reg_id, now=NOW)
    with pytest.raises(ev.InvalidToken, match="a expiré \\(il était valable 30 jours\\)") as exc:
        ev.submit(s, token, GOOD, secret=SECRET, now=NOW + timedelta(days=31))
    assert exc.value.reason == "expired"
    with pytest.raises(ev.InvalidToken, match="valable 7 jours"):
        ev.check_token(s, token, secret=SECRET, now=NOW + timedelta(days=8),
                       max_age=timedelta(days=7))
    s.rollback()
    assert _count(s, Evaluation) == 0
    assert s.get(Registration, reg_id).evaluation_done_at is None
    # just inside the window it still works
    ev.submit(s, token, GOOD, secret=SECRET, now=NOW + timedelta(days=29))
    assert _count(s, Evaluation) == 1


@pytest.mark.parametrize("forge", ["tampered", "other_key", "other_salt", "garbage", "no_reg"])
def test_forged_links_are_refused(held, forge):
    s, reg_id = held["s"], held["regs"][0]
    token = ev.make_token(SECRET, reg_id, now=NOW)
    forged = {
        "tampered": token[:-2] + ("AA" if not token.endswith("AA") else "BB"),
        "other_key": ev.make_token("une-autre-clé", reg_id, now=NOW),
        "other_salt": URLSafeTimedSerializer(SECRET, salt="autre").dumps({"r": reg_id}),
        "garbage": "pas-un-jeton",
        "no_reg": ev.make_token(SECRET, 987654, now=NOW),
    }[forge]
    with pytest.raises(ev.InvalidToken, match="n'est pas valide") as exc:
        ev.submit(s, forged, GOOD, secret=SECRET, now=NOW)
    assert exc.value.reason == "forged"
    s.rollback()
    assert _count(s, Evaluation) == 0


def test_answers_are_validated_in_french_and_nothing_is_stored(held):
    s, reg_id = held["s"], held["regs"][0]
    token = ev.make_token(SECRET, reg_id, now=NOW)
    with pytest.raises(ValidationFailed) as exc:
        ev.submit(s, token, {"overall": "6", "objectives_met": "", "trainer": "trois",
                             "organisation": "0", "comment": "x" * 2001},
                  secret=SECRET, now=NOW)
    errors = exc.value.errors
    assert set(errors) == {"overall", "objectives_met", "trainer", "organisation", "comment"}
    assert errors["overall"] == ["Choisissez une note de 1 à 5."]
    assert "ne doit pas dépasser 2\u202f000 caractères (2\u202f001 saisis)" in errors["comment"][0]
    s.rollback()
    assert _count(s, Evaluation) == 0
    assert s.get(Registration, reg_id).evaluation_done_at is None


def test_the_answer_leaves_no_trail_back_to_the_trainee(held):
    s, reg_id = held["s"], held["regs"][0]
    assert "registration_id" not in Evaluation.__table__.columns
    before = s.get(Registration, reg_id).updated_at
    audit_before = _count(s, AuditEvent)
    ev.submit(s, ev.make_token(SECRET, reg_id, now=NOW), GOOD, secret=SECRET,
              now=NOW + timedelta(hours=5, minutes=17))
    s.commit()
    reg = s.get(Registration, reg_id)
    done = reg.evaluation_done_at
    assert (done.year, done.month, done.day, done.hour, done.minute) == (2026, 12, 14, 0, 0)
    assert reg.updated_at == before
    assert _count(s, AuditEvent) == audit_before


def test_two_simultaneous_submissions_of_one_link_count_once(app, held):
    token = ev.make_token(SECRET, held["regs"][1])
    with app.app_context():
        factory = db.session.session_factory
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def worker() -> None:
        with app.app_context():
            s = factory()
            try:
                barrier.wait()
                ev.submit(s, token, GOOD, secret=SECRET)
                s.commit()
                outcomes.append("ok")
            except ev.InvalidToken:
                s.rollback()
                outcomes.append("used")
            except Exception as exc:  # noqa: BLE001 - reported below
                s.rollback()
                outcomes.append(repr(exc))
            finally:
                s.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(outcomes) == ["ok", "used"]
    with app.app_context():
        assert _count(db.session, Evaluation) == 1


# ---------------------------------------------------------------- sending the links
def test_requests_go_to_attendees_once_and_reminders_to_non_respondents(held):
    s, ts, regs = held["s"], held["ts"], held["regs"]
    slots = s.scalars(select(SessionSlot.id).where(SessionSlot.session_id == ts.id)).all()
    # the last trainee was recorded absent on every half-day: not asked
    s.add_all([Attendance(registration_id=regs[3], slot_id=slot, presence=Presence.ABSENT)
               for slot in slots])
    s.add(Attendance(registration_id=regs[0], slot_id=slots[0], presence=Presence.PRESENT))
    s.commit()
    assert ev.send_evaluation_requests(s, None, ts, SECRET, BASE, now=NOW) == 3
    s.commit()
    mails = s.scalars(select(OutboxMessage).where(OutboxMessage.kind == "evaluation")).all()
    assert sorted(m.recipients[0] for m in mails) == ["anatole@ml.fr", "mélusine@ml.fr",
                                                      "zéphyrine@ml.fr"]
    assert all(BASE in m.body and "jusqu'au 13 janvier 2027" in m.body for m in mails)
    assert s.get(Registration, regs[0]).evaluation_sent_at is not None
    assert s.get(Registration, regs[3]).evaluation_sent_at is None
    with pytest.raises(DomainError, match="Personne à qui envoyer"):
        ev.send_evaluation_requests(s, None, ts, SECRET, BASE, now=NOW)
    s.rollback()
    link = next(m.body for m in mails if m.recipients == ["zéphyrine@ml.fr"])
    token = link.split(BASE, 1)[1].split()[0]
    ev.submit(s, token, GOOD, secret=SECRET, now=NOW + timedelta(days=1))
    s.commit()
    assert ev.send_evaluation_requests(s, None, ts, SECRET, BASE, reminder=True,
                                       now=NOW + timedelta(days=7)) == 2
    s.commit()
    reminders = s.scalars(select(OutboxMessage).where(
        OutboxMessage.subject.like("Rappel%"))).all()
    assert sorted(m.recipients[0] for m in reminders) == ["anatole@ml.fr", "mélusine@ml.fr"]


def test_requests_need_a_held_session_and_the_team(held):
    s, ts, ids = held["s"], held["ts"], held["ids"]
    with pytest.raises(PermissionDenied):
        ev.send_evaluation_requests(s, s.get(User, ids["ml"]), ts, SECRET, BASE)
    with pytest.raises(PermissionDenied):
        ev.send_evaluation_requests(s, s.get(User, ids["copil"]), ts, SECRET, BASE)
    ts.status = SessionStatus.OUVERTE
    s.flush()
    with pytest.raises(DomainError, match="passez d'abord la session au statut « réalisée »"):
        ev.send_evaluation_requests(s, None, ts, SECRET, BASE)
    s.rollback()
    assert _count(s, OutboxMessage.__table__) == 4  # only the four confirmations


# ---------------------------------------------------------------- aggregates
def _answer(s, reg_id, scores, comment="", now=NOW):
    keys = ["overall", "objectives_met", "trainer", "organisation"]
    ev.submit(s, ev.make_token(SECRET, reg_id, now=now),
              {**dict(zip(keys, map(str, scores), strict=True)), "comment": comment},
              secret=SECRET, now=now)
    s.commit()


def test_aggregates_per_session_and_per_training(held):
    s, ts, regs = held["s"], held["ts"], held["regs"]
    ev.send_evaluation_requests(s, None, ts, SECRET, BASE, now=NOW)
    s.commit()
    _answer(s, regs[0], (5, 4, 5, 3), "Formatrice passionnante.")
    _answer(s, regs[1], (4, 4, 3, 2), "")
    _answer(s, regs[2], (4, 3, 4, 2), "animation un peu longue l'après-midi")
    summary = ev.session_summary(s, ts)
    assert summary.responses == 3 and summary.invited == 4 and summary.shown
    assert summary.response_rate == Decimal("0.75")
    assert summary.averages == {"overall": Decimal("4.33"), "objectives_met": Decimal("3.67"),
                                "trainer": Decimal("4.00"), "organisation": Decimal("2.33")}
    assert summary.distribution["overall"] == [0, 0, 0, 2, 1]
    assert summary.distribution["organisation"] == [0, 2, 1, 0, 0]
    assert summary.comments == ["animation un peu longue l'après-midi",
                                "Formatrice passionnante."]  # alphabetical, not by answer

    # a second held session of the same training: the training's summary pools both
    other = TrainingSession(training_id=ts.training_id, start_date=date(2026, 6, 4),
                            end_date=date(2026, 6, 4), max_capacity=5,
                            registration_opens=date(2026, 3, 1),
                            registration_closes=date(2026, 6, 1),
                            status=SessionStatus.REALISEE)
    s.add(other)
    s.flush()
    s.add(Evaluation(session_id=other.id, overall=1, objectives_met=2, trainer=3,
                     organisation=4, submitted_on=date(2026, 6, 5)))
    s.commit()
    pooled = ev.training_summary(s, ts.training_id)
    assert pooled.responses == 4
    assert pooled.averages["overall"] == Decimal("3.50")  # (5 + 4 + 4 + 1) / 4
    rows = ev.per_session(s, ts.training_id)
    assert [(row.id, summ.responses, summ.shown) for row, summ in rows] == [
        (other.id, 1, False), (ts.id, 3, True)]
    empty = ev.session_summary(s, other)
    assert empty.invited == 1 and empty.response_rate == Decimal("1")


# ---------------------------------------------------------------- web
def _token(app, reg_id, **kwargs):
    return ev.make_token(app.config["SECRET_KEY"], reg_id, **kwargs)


def test_survey_page_refuses_forged_expired_and_used_links_in_french(app, client, held):
    forged = client.get("/formations/evaluation/pas-un-vrai-jeton")
    assert forged.status_code == 404
    assert "Ce lien d&#39;évaluation n&#39;est pas valide" in forged.get_data(as_text=True)
    old = _token(app, held["regs"][0], now=clock.now() - timedelta(days=40))
    expired = client.post(f"/formations/evaluation/{old}", data=GOOD)
    assert expired.status_code == 410
    assert "a expiré" in expired.get_data(as_text=True)
    token = _token(app, held["regs"][1])
    form = client.get(f"/formations/evaluation/{token}").get_data(as_text=True)
    assert "Vos réponses sont <strong>anonymes</strong>" in form
    assert "Anatole" not in form and "Brisefer" not in form
    bad = client.post(f"/formations/evaluation/{token}", data={**GOOD, "trainer": ""})
    assert bad.status_code == 200 and "Choisissez une note de 1 à 5." in bad.get_data(
        as_text=True)
    s = held["s"]
    s.expire_all()
    assert _count(s, Evaluation) == 0
    assert client.post(f"/formations/evaluation/{token}", data=GOOD).status_code == 200
    used = client.get(f"/formations/evaluation/{token}")
    assert used.status_code == 410 and "Vous avez déjà répondu" in used.get_data(as_text=True)
    s.expire_all()
    assert _count(s, Evaluation) == 1


def test_results_page_is_anonymous_and_hides_small_groups(app, client, held):
    s, ts, regs = held["s"], held["ts"], held["regs"]
    ev.send_evaluation_requests(s, None, ts, SECRET, BASE, now=NOW)
    s.commit()
    _answer(s, regs[0], (5, 5, 5, 5), "Merci à la formatrice.")
    _answer(s, regs[1], (3, 3, 3, 3))
    url = f"/formations/sessions/{ts.id}/evaluations"
    login(client, held["world"]["emails"]["copil"])
    small = client.get(url).get_data(as_text=True)
    assert "Les résultats s&#39;affichent à partir de 3 réponses" in small or \
        "Les résultats s'affichent à partir de 3 réponses" in small
    assert "Merci à la formatrice." not in small
    _answer(s, regs[2], (4, 4, 4, 4), "Bon rythme.")
    page = client.get(url).get_data(as_text=True)
    assert "Merci à la formatrice." in page and "Bon rythme." in page
    assert "4,0" in page  # the overall average (5 + 3 + 4) / 3
    for first, last in NAMES:
        assert first not in page and last not in page
        assert f"{first.lower()}@ml.fr" not in page
    training_page = client.get(f"/formations/{ts.training_id}/evaluations")
    assert training_page.status_code == 200
    for _first, last in NAMES:
        assert last not in training_page.get_data(as_text=True)


@pytest.mark.parametrize(("role", "results", "send"), [
    ("admin", 200, 302), ("animateur", 200, 302), ("copil", 200, 403), ("ml", 403, 403),
    ("financeur", 403, 403)])
def test_who_sees_results_and_sends_requests(client, held, role, results, send):
    ts = held["ts"]
    login(client, held["world"]["emails"][role])
    assert client.get(f"/formations/sessions/{ts.id}/evaluations").status_code == results
    assert client.get(f"/formations/{ts.training_id}/evaluations").status_code == results
    response = client.post(f"/formations/sessions/{ts.id}/evaluations/envoi")
    assert response.status_code == send
    s = held["s"]
    s.expire_all()
    sent = s.scalar(select(func.count()).select_from(OutboxMessage)
                    .where(OutboxMessage.kind == "evaluation"))
    assert sent == (4 if send == 302 else 0)


def test_sending_from_the_web_builds_working_links(app, client, held):
    login(client, held["world"]["emails"]["animateur"])
    response = client.post(f"/formations/sessions/{held['ts'].id}/evaluations/envoi",
                           data={"retour": "evaluations"}, follow_redirects=True)
    assert "4 demandes d&#39;évaluation envoyées" in response.get_data(as_text=True)
    s = held["s"]
    body = s.scalars(select(OutboxMessage.body).where(OutboxMessage.kind == "evaluation")
                     ).first()
    path = body.split(app.config["PUBLIC_BASE_URL"], 1)[1].split()[0]
    assert path.startswith("/formations/evaluation/")
    client.post("/deconnexion")
    assert client.get(path).status_code == 200
