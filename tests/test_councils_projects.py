"""Collective projects: the project sheet, participating missions locales, binômes,
experiments, the evaluation date, and the anonymous evaluation behind personal links.

Each bad input of the issue gets a French message and changes nothing: a binôme of one
or three people or twice the same person, an ML joining the same project twice, a
withdrawal without reason. Dates are relative to the application's clock.
"""

from __future__ import annotations

from datetime import date, time, timedelta
from decimal import Decimal

import pytest
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import func, select

from models import clock
from models.audit import set_actor
from models.audit.orm import AuditEvent
from models.councils import project_evaluation as pe
from models.councils import projects as pr
from models.councils.enums import (
    ExperimentStatus,
    MeetingStatus,
    ParticipantStatus,
    ProjectPhase,
    SeriesKind,
)
from models.councils.orm import (
    BinomeMember,
    CollectiveProject,
    CouncilSeries,
    Experiment,
    Meeting,
    ProjectEvaluation,
    ProjectParticipant,
)
from models.errors import ConcurrentEdit, DomainError, PermissionDenied, ValidationFailed
from models.formatting import format_date
from models.mail.orm import OutboxMessage
from models.network.orm import MissionLocale
from models.training import evaluations as training_ev
from models.training.enums import HalfDay, Modality, SessionStatus
from models.training.orm import SessionSlot, Training, TrainingSession
from tests.conftest import login

SECRET = "clé-de-test-des-projets"
BASE = "https://animareseau.test/conseils/projets/evaluation/"
GOOD = {"overall": "4", "usefulness": "5", "changes": "3", "comment": "Utile."}
BINOME = [("Anne Directrice", "anne.directrice@ml-libournais.fr", "direction"),
          ("Paul Délégué", "paul.delegue@ml-libournais.fr", "representant")]


def _count(s, model, *where) -> int:
    return s.scalar(select(func.count()).select_from(model).where(*where))


def _training(s, last_end: date, *, cancelled_after: bool = True) -> Training:
    """A training with two sessions ending 50 days before and on ``last_end``, and a
    cancelled one after it (which does not count)."""
    training = Training(title="Cluster QVT — sessions", audience=["direction"],
                        duration_days=Decimal("3"), duration_hours=Decimal("21"),
                        modality=Modality.PRESENTIEL)
    ends = [last_end - timedelta(days=50), last_end]
    if cancelled_after:
        ends.append(last_end + timedelta(days=30))
    for n, end in enumerate(ends):
        ts = TrainingSession(start_date=end, end_date=end, max_capacity=20,
                             registration_opens=end - timedelta(days=90),
                             registration_closes=end - timedelta(days=5),
                             status=SessionStatus.ANNULEE if n == 2 else SessionStatus.REALISEE)
        ts.slots = [SessionSlot(day=end, half=HalfDay.MATIN, starts_at=time(9),
                                ends_at=time(12, 30))]
        training.sessions.append(ts)
    s.add(training)
    s.flush()
    return training


@pytest.fixture
def pw(session, programme_world):
    """A project with its training (last session 10 days ago), ml_a retained with a
    binôme, ml_b candidate, and an inactive third mission locale."""
    s, ids = session, programme_world["ids"]
    set_actor(s, None, via="cli")
    merged = MissionLocale(region_id=ids["region"], code="24999", name="Mission locale fusionnée",
                           departement="24", commune="Périgueux", active=False)
    s.add(merged)
    training = _training(s, clock.today() - timedelta(days=10))
    project = pr.save_project(s, None, None, pr.ProjectData(
        title="Cluster QVT/RPS 2026", kind="cluster", partners="Aract Nouvelle-Aquitaine",
        action_id=ids["action_a"], training_id=training.id))
    part_a = pr.add_participant(s, None, project, ids["ml_a"], "retenu")
    part_b = pr.add_participant(s, None, project, ids["ml_b"])
    pr.set_binome(s, None, part_a, BINOME)
    s.commit()
    return {"s": s, "ids": ids, "world": programme_world, "project": project,
            "part_a": part_a, "part_b": part_b, "training": training, "merged": merged,
            "last": clock.today() - timedelta(days=10)}


# ---------------------------------------------------------------- the project sheet
def test_a_project_is_created_in_call_for_applications_with_its_due_date(pw):
    p = pw["project"]
    assert ProjectPhase(p.phase) is ProjectPhase.APPEL
    assert p.partners == "Aract Nouvelle-Aquitaine" and p.evaluation_months == 6
    assert pr.evaluation_due(pw["s"], p) == pr.add_months(pw["last"], 6)
    assert p.evaluation_due is None  # computed, not chosen: nothing stored to go stale


@pytest.mark.parametrize(("title", "message"), [
    ("", "L'intitulé du projet est obligatoire."),
    ("  cluster qvt/rps 2026 ", "Un projet s'intitule déjà « Cluster QVT/RPS 2026 »"),
    ("x" * 201, "ne peut pas dépasser 200 caractères"),
])
def test_a_project_title_is_required_and_unique(pw, title, message):
    s = pw["s"]
    with pytest.raises(ValidationFailed) as exc:
        pr.save_project(s, None, None, pr.ProjectData(title=title, kind="groupe"))
    assert message in exc.value.errors["title"][0]
    s.rollback()
    assert _count(s, CollectiveProject) == 1


def test_bad_kind_links_and_shared_training_are_refused(pw):
    s = pw["s"]
    with pytest.raises(ValidationFailed) as exc:
        pr.save_project(s, None, None, pr.ProjectData(
            title="Autre projet", kind="fanfare", action_id=987654, series_id=987654,
            training_id=pw["training"].id))
    assert set(exc.value.errors) == {"kind", "action_id", "series_id", "training_id"}
    assert "déjà celles du projet « Cluster QVT/RPS 2026 »" in exc.value.errors[
        "training_id"][0]
    s.rollback()
    assert _count(s, CollectiveProject) == 1


def test_editing_checks_the_version_and_the_phase_moves(pw):
    s, p = pw["s"], pw["project"]
    data = pr.ProjectData(title="Cluster QVT/RPS", kind="cluster", partners="Aract, UNML",
                          action_id=pw["ids"]["action_a"], training_id=pw["training"].id)
    with pytest.raises(ConcurrentEdit):
        pr.save_project(s, None, p, data, expected_version=p.version_id - 1)
    pr.save_project(s, None, p, data, expected_version=p.version_id)
    pr.set_phase(s, None, p, "sessions")
    s.commit()
    assert (p.title, ProjectPhase(p.phase)) == ("Cluster QVT/RPS", ProjectPhase.SESSIONS)
    with pytest.raises(DomainError, match="Phase inconnue"):
        pr.set_phase(s, None, p, "hibernation")


def test_only_the_team_edits(pw):
    from models.accounts.orm import User

    s, ids = pw["s"], pw["ids"]
    for role in ("ml", "copil", "financeur"):
        user = s.get(User, ids[role])
        with pytest.raises(PermissionDenied):
            pr.set_phase(s, user, pw["project"], "bilan")
        with pytest.raises(PermissionDenied):
            pr.set_binome(s, user, pw["part_a"], BINOME)
        with pytest.raises(PermissionDenied):
            pe.send_evaluation_requests(s, user, pw["project"], SECRET, BASE)
    anim = s.get(User, ids["animateur"])
    pr.set_phase(s, anim, pw["project"], "lancement")
    assert ProjectPhase(pw["project"].phase) is ProjectPhase.LANCEMENT


# ---------------------------------------------------------------- participants
def test_the_same_ml_twice_is_refused_and_nothing_changes(pw):
    s, p, ids = pw["s"], pw["project"], pw["ids"]
    with pytest.raises(ValidationFailed) as exc:
        pr.add_participant(s, None, p, ids["ml_b"], "retenu")
    assert exc.value.errors["mission_locale_id"] == [
        "La mission locale « Mission locale Pau Pyrénées » fait déjà partie de ce projet "
        "(candidate) : changez son statut plutôt que de l'ajouter une seconde fois."]
    s.rollback()
    assert _count(s, ProjectParticipant, ProjectParticipant.project_id == p.id) == 2
    assert ParticipantStatus(pw["part_b"].status) is ParticipantStatus.CANDIDAT


def test_an_inactive_or_missing_ml_cannot_join(pw):
    s, p = pw["s"], pw["project"]
    with pytest.raises(ValidationFailed, match="n'est plus active"):
        pr.add_participant(s, None, p, pw["merged"].id)
    s.rollback()
    with pytest.raises(ValidationFailed, match="Choisissez une mission locale"):
        pr.add_participant(s, None, p, None)
    s.rollback()
    assert _count(s, ProjectParticipant) == 2


def test_withdrawal_needs_a_reason(pw):
    s, part = pw["s"], pw["part_b"]
    version = part.version_id
    for reason in ("", "   "):
        with pytest.raises(ValidationFailed) as exc:
            pr.set_participant_status(s, None, part, "retire", reason)
        assert exc.value.errors["withdrawal_reason"] == [
            "Indiquez pourquoi la mission locale se retire du projet."]
        s.rollback()
    assert ParticipantStatus(part.status) is ParticipantStatus.CANDIDAT
    assert part.version_id == version
    pr.set_participant_status(s, None, part, "retire", "Réorganisation interne.",
                              expected_version=version)
    s.commit()
    assert (part.status, part.withdrawal_reason) == (ParticipantStatus.RETIRE,
                                                     "Réorganisation interne.")
    pr.set_participant_status(s, None, part, "retenu")
    assert part.withdrawal_reason == ""


def test_participating_count_is_the_retained_mls(pw):
    s, p = pw["s"], pw["project"]
    assert pr.participating_count(s, p) == 1
    pr.set_participant_status(s, None, pw["part_b"], "retenu")
    assert pr.participating_count(s, p) == 2
    assert pr.participating_count(s, p.id) == 2
    pr.set_participant_status(s, None, pw["part_a"], "retire", "Départ de la directrice.")
    assert pr.participating_count(s, p) == 1
    assert pr.participating_counts(s, [p.id]) == {p.id: 1}


# ---------------------------------------------------------------- binômes
@pytest.mark.parametrize(("members", "message"), [
    (BINOME[:1], "Un binôme compte exactement deux personnes (1 saisie)"),
    ([*BINOME, ("Rita RH", "rita.rh@ml-libournais.fr", "rh")],
     "Un binôme compte exactement deux personnes (3 saisies)"),
    ([BINOME[0], ("Anne Directrice bis", "  ANNE.Directrice@ML-Libournais.fr ", "rh")],
     "la même adresse e-mail est saisie deux fois"),
    ([("Paul Délégué", "paul@ml.fr", "representant"), ("Rita RH", "rita@ml.fr", "rh")],
     "Une des deux personnes du binôme vient de la direction."),
    ([("Anne", "anne@ml.fr", "direction"), ("Bruno", "bruno@ml.fr", "direction")],
     "pas deux personnes de la direction"),
    ([("", "anne@ml.fr", "direction"), ("Paul", "pas-une-adresse", "representant")],
     "Personne 1 : le nom est obligatoire."),
])
def test_a_bad_binome_is_refused_and_the_current_one_kept(pw, members, message):
    s, part = pw["s"], pw["part_a"]
    version = part.version_id
    with pytest.raises(ValidationFailed) as exc:
        pr.set_binome(s, None, part, members)
    assert any(message in m for msgs in exc.value.errors.values() for m in msgs), \
        exc.value.errors
    s.rollback()
    s.expire_all()
    rows = s.scalars(select(BinomeMember).where(BinomeMember.participant_id == part.id)
                     .order_by(BinomeMember.id)).all()
    assert [(m.full_name, m.email, m.role.value) for m in rows] == BINOME
    assert s.get(ProjectParticipant, part.id).version_id == version


def test_an_invalid_address_is_named(pw):
    with pytest.raises(ValidationFailed) as exc:
        pr.set_binome(pw["s"], None, pw["part_b"], [("Anne", "anne@ml.fr", "direction"),
                                                    ("Paul", "pas-une-adresse", "rh")])
    assert exc.value.errors["email_2"] == [
        "Personne 2 : l'adresse e-mail « pas-une-adresse » n'est pas valide."]


def test_replacing_a_binome_keeps_who_stays_and_detects_concurrent_edits(pw):
    s, part = pw["s"], pw["part_a"]
    kept = part.binome[0]
    kept.evaluation_sent_at = clock.now()
    s.commit()
    version = part.version_id
    pr.set_binome(s, None, part, [
        ("Anne Directrice", " Anne.Directrice@ml-libournais.fr", "direction"),
        ("Rita RH", "rita.rh@ml-libournais.fr", "rh")], expected_version=version)
    s.commit()
    assert part.version_id == version + 1
    members = sorted(part.binome, key=lambda m: m.id)
    assert [m.email for m in members] == ["anne.directrice@ml-libournais.fr",
                                          "rita.rh@ml-libournais.fr"]
    assert members[0].id == kept.id and members[0].evaluation_sent_at is not None
    with pytest.raises(ConcurrentEdit):
        pr.set_binome(s, None, part, BINOME, expected_version=version)


def test_a_withdrawn_ml_has_no_binome_to_edit(pw):
    s, part = pw["s"], pw["part_b"]
    pr.set_participant_status(s, None, part, "retire", "Pas disponible cette année.")
    with pytest.raises(ValidationFailed, match="s'est retirée du projet"):
        pr.set_binome(s, None, part, BINOME)


# ---------------------------------------------------------------- experiments
def test_experiments_need_an_objective(pw):
    s, part = pw["s"], pw["part_a"]
    with pytest.raises(ValidationFailed) as exc:
        pr.save_experiment(s, None, part, None, pr.ExperimentData(objective="  ",
                                                                 status="inventee"))
    assert set(exc.value.errors) == {"objective", "status"}
    s.rollback()
    assert _count(s, Experiment) == 0
    x = pr.save_experiment(s, None, part, None, pr.ExperimentData(
        objective="Entretiens annuels QVT", indicators="Taux de réalisation"))
    pr.save_experiment(s, None, part, x, pr.ExperimentData(
        objective="Entretiens annuels QVT", indicators="Taux", status="en_cours"))
    s.commit()
    assert ExperimentStatus(x.status) is ExperimentStatus.EN_COURS
    with pytest.raises(DomainError, match="autre mission locale"):
        pr.save_experiment(s, None, pw["part_b"], x, pr.ExperimentData(objective="Autre"))
    pr.delete_experiment(s, None, x)
    assert _count(s, Experiment) == 0


# ---------------------------------------------------------------- the evaluation date
def test_evaluation_due_is_last_session_plus_6_months_editable_to_12(pw):
    s, p, last = pw["s"], pw["project"], pw["last"]
    assert pr.last_session_date(s, p) == last  # the cancelled later session is not counted
    assert pr.evaluation_due(s, p) == pr.add_months(last, 6)
    pr.set_evaluation(s, None, p, months=12, expected_version=p.version_id)
    assert (p.evaluation_months, pr.evaluation_due(s, p)) == (12, pr.add_months(last, 12))
    inside = pr.add_months(last, 9) + timedelta(days=3)
    pr.set_evaluation(s, None, p, months=12, due=inside)
    s.commit()
    assert pr.evaluation_due(s, p) == inside
    pr.set_evaluation(s, None, p, months=6)
    assert pr.evaluation_due(s, p) == pr.add_months(last, 6) and p.evaluation_due is None


@pytest.mark.parametrize(("months", "due_offset", "field", "message"), [
    (13, None, "evaluation_months", "entre 6 et 12 mois après la dernière session (13"),
    (5, None, "evaluation_months", "entre 6 et 12 mois"),
    (None, None, "evaluation_months", "Indiquez le délai d'évaluation"),
    (6, -1, "evaluation_due", "entre 6 mois et un an après la dernière session"),
    (6, 400, "evaluation_due", "entre 6 mois et un an après la dernière session"),
])
def test_evaluation_outside_the_window_is_refused(pw, months, due_offset, field, message):
    s, p, last = pw["s"], pw["project"], pw["last"]
    due = None if due_offset is None else (
        pr.add_months(last, 6) + timedelta(days=due_offset) if due_offset < 0
        else last + timedelta(days=due_offset))
    with pytest.raises(ValidationFailed) as exc:
        pr.set_evaluation(s, None, p, months=months, due=due)
    assert message in exc.value.errors[field][0]
    s.rollback()
    assert (p.evaluation_months, pr.evaluation_due(s, p)) == (6, pr.add_months(last, 6))


def test_without_sessions_there_is_no_due_date(pw):
    s = pw["s"]
    bare = pr.save_project(s, None, None, pr.ProjectData(title="Groupe accueil",
                                                         kind="groupe"))
    assert bare.evaluation_due is None and pr.evaluation_due(s, bare) is None
    with pytest.raises(ValidationFailed, match="reliez d'abord le projet à la formation"):
        pr.set_evaluation(s, None, bare, months=6, due=clock.today())


def test_a_stored_date_pushed_out_by_a_new_session_falls_back_to_the_computed_one(pw):
    s, p = pw["s"], pw["project"]
    later = clock.today() + timedelta(days=40)
    pw["training"].sessions.append(TrainingSession(
        start_date=later, end_date=later, max_capacity=20, registration_opens=clock.today(),
        registration_closes=later))
    s.flush()
    assert pr.evaluation_due(s, p) == pr.add_months(later, 6)


def test_add_months_clamps_to_the_month_end():
    assert pr.add_months(date(2026, 8, 31), 6) == date(2027, 2, 28)
    assert pr.add_months(date(2027, 8, 31), 6) == date(2028, 2, 29)
    assert pr.add_months(date(2026, 12, 15), 12) == date(2027, 12, 15)


# ---------------------------------------------------------------- evaluation tokens
def _retain_b_with_binome(pw) -> None:
    s = pw["s"]
    pr.set_participant_status(s, None, pw["part_b"], "retenu")
    pr.set_binome(s, None, pw["part_b"], [
        ("Béatrice Directrice", "beatrice@ml-pau.fr", "direction"),
        ("Rémi RH", "remi@ml-pau.fr", "rh")])
    s.commit()


def test_links_go_to_the_binomes_of_retained_mls_once(pw):
    s, p = pw["s"], pw["project"]
    assert pe.send_evaluation_requests(s, None, p, SECRET, BASE) == 2  # ml_b is a candidate
    s.commit()
    messages = s.scalars(select(OutboxMessage).where(OutboxMessage.kind == "evaluation_projet")
                         ).all()
    assert sorted(m.recipients[0] for m in messages) == [e for _, e, _ in sorted(
        BINOME, key=lambda b: b[1])]
    assert {(m.subject_type, m.subject_id) for m in messages} == {("collective_project", p.id)}
    assert all(BASE in m.body and "anonymes" in m.body for m in messages)
    with pytest.raises(DomainError, match="l'a déjà reçue ou a déjà répondu"):
        pe.send_evaluation_requests(s, None, p, SECRET, BASE)
    s.rollback()
    _retain_b_with_binome(pw)
    assert pe.send_evaluation_requests(s, None, p, SECRET, BASE) == 2
    assert pe.send_evaluation_requests(s, None, p, SECRET, BASE, reminder=True) == 4


def test_no_link_before_the_last_session_nor_without_binome(pw):
    s, ids = pw["s"], pw["ids"]
    future = _training(s, clock.today() + timedelta(days=5), cancelled_after=False)
    p = pr.save_project(s, None, None, pr.ProjectData(title="Action future", kind="action",
                                                      training_id=future.id))
    with pytest.raises(DomainError, match="s'envoie après sa dernière session"):
        pe.send_evaluation_requests(s, None, p, SECRET, BASE)
    bare = pr.save_project(s, None, None, pr.ProjectData(title="Sans binôme", kind="groupe"))
    pr.add_participant(s, None, bare, ids["ml_a"], "retenu")
    with pytest.raises(DomainError, match="saisissez le binôme"):
        pe.send_evaluation_requests(s, None, bare, SECRET, BASE)


def test_one_answer_per_link_and_no_trail_back_to_the_person(pw):
    s = pw["s"]
    member = pw["part_a"].binome[0]
    token = pe.make_token(SECRET, member.id)
    audit_before = _count(s, AuditEvent)
    answer = pe.submit(s, token, GOOD, secret=SECRET)
    s.commit()
    assert (answer.overall, answer.usefulness, answer.changes, answer.comment) == (
        4, 5, 3, "Utile.")
    assert answer.project_id == pw["project"].id and answer.submitted_on == clock.today()
    assert not {"participant_id", "binome_member_id", "mission_locale_id", "email"} & set(
        ProjectEvaluation.__table__.columns.keys())
    done = s.get(BinomeMember, member.id).evaluation_done_at
    assert (done.hour, done.minute) == (0, 0)  # the day only
    assert _count(s, AuditEvent) == audit_before
    with pytest.raises(pe.InvalidToken, match="Vous avez déjà répondu") as again:
        pe.submit(s, token, GOOD, secret=SECRET)
    assert again.value.reason == "used"
    s.rollback()
    assert _count(s, ProjectEvaluation) == 1


@pytest.mark.parametrize("forge", ["tampered", "other_key", "training_salt", "garbage",
                                   "no_member", "training_link"])
def test_forged_links_are_refused(pw, forge):
    s = pw["s"]
    member_id = pw["part_a"].binome[0].id
    token = pe.make_token(SECRET, member_id)
    forged = {
        "tampered": token[:-2] + ("AA" if not token.endswith("AA") else "BB"),
        "other_key": pe.make_token("une-autre-clé", member_id),
        "training_salt": URLSafeTimedSerializer(SECRET, salt="evaluation").dumps(
            {"b": member_id}),
        "garbage": "pas-un-jeton",
        "no_member": pe.make_token(SECRET, 987654),
        "training_link": training_ev.make_token(SECRET, member_id),
    }[forge]
    with pytest.raises(pe.InvalidToken, match="n'est pas valide") as exc:
        pe.submit(s, forged, GOOD, secret=SECRET)
    assert exc.value.reason == "forged"
    s.rollback()
    assert _count(s, ProjectEvaluation) == 0
    assert s.get(BinomeMember, member_id).evaluation_done_at is None


def test_expired_links_and_bad_answers_store_nothing(pw):
    s = pw["s"]
    member_id = pw["part_a"].binome[0].id
    old = pe.make_token(SECRET, member_id, now=clock.now() - timedelta(days=61))
    with pytest.raises(pe.InvalidToken, match="valable 60 jours"):
        pe.submit(s, old, GOOD, secret=SECRET)
    with pytest.raises(ValidationFailed) as exc:
        pe.submit(s, pe.make_token(SECRET, member_id),
                  {"overall": "6", "usefulness": "", "changes": "trois",
                   "comment": "x" * 2001}, secret=SECRET)
    assert set(exc.value.errors) == {"overall", "usefulness", "changes", "comment"}
    s.rollback()
    assert _count(s, ProjectEvaluation) == 0
    assert s.get(BinomeMember, member_id).evaluation_done_at is None


def test_results_are_hidden_below_three_answers(pw):
    s, p = pw["s"], pw["project"]
    _retain_b_with_binome(pw)
    pe.send_evaluation_requests(s, None, p, SECRET, BASE)
    s.commit()
    members = pe.invitees(s, p)
    assert len(members) == 4
    answers = [({"overall": "5", "usefulness": "5", "changes": "4", "comment": "Zèle."}),
               ({"overall": "3", "usefulness": "4", "changes": "2", "comment": ""}),
               ({"overall": "4", "usefulness": "3", "changes": "3", "comment": "Avancée."})]
    for n, answer in enumerate(answers[:2]):
        pe.submit(s, pe.make_token(SECRET, members[n].id), answer, secret=SECRET)
    s.commit()
    hidden = pe.summary(s, p)
    assert (hidden.shown, hidden.responses, hidden.invited) == (False, 2, 4)
    assert hidden.comments == [] and hidden.overall is None
    pe.submit(s, pe.make_token(SECRET, members[2].id), answers[2], secret=SECRET)
    s.commit()
    shown = pe.summary(s, p)
    assert shown.shown and shown.responses == 3
    assert shown.averages == {"overall": Decimal("4.00"), "usefulness": Decimal("4.00"),
                              "changes": Decimal("3.00")}
    assert shown.distribution["overall"] == [0, 0, 1, 1, 1]
    assert shown.comments == ["Avancée.", "Zèle."]  # alphabetical, not in answer order
    assert shown.response_rate == Decimal("0.7500")


# ---------------------------------------------------------------- web
def _client_as(client, pw, role: str):
    assert login(client, pw["world"]["emails"][role]).status_code == 302
    return client


def test_list_page_filters_and_empty_states(client, pw):
    _client_as(client, pw, "animateur")
    page = client.get("/conseils/projets").get_data(as_text=True)
    assert "Cluster QVT/RPS 2026" in page and "Appel à candidatures" in page
    assert "Nouveau projet" in page
    none = client.get("/conseils/projets?phase=bilan").get_data(as_text=True)
    assert "Aucun projet ne correspond à ces filtres." in none
    assert "Cluster QVT/RPS 2026" in client.get(
        "/conseils/projets?phase=appel&type=cluster&tri=phase").get_data(as_text=True)
    assert client.get("/conseils/projets?phase=inconnue&type=zz&tri=x&page=abc").status_code == 200


def test_empty_list_says_what_to_do(client, session, programme_world):
    assert login(client, programme_world["emails"]["admin"]).status_code == 302
    page = client.get("/conseils/projets").get_data(as_text=True)
    assert "Aucun projet collectif pour l&#39;instant." in page
    assert "Nouveau projet" in page


@pytest.mark.parametrize(("role", "list_status", "edit_status"), [
    ("admin", 200, 200), ("animateur", 200, 200), ("copil", 200, 403), ("ml", 200, 403),
    ("financeur", 403, 403)])
def test_who_reads_and_who_edits(client, pw, role, list_status, edit_status):
    p = pw["project"]
    _client_as(client, pw, role)
    assert client.get("/conseils/projets").status_code == list_status
    assert client.get(f"/conseils/projets/{p.id}").status_code == list_status
    assert client.get(f"/conseils/projets/{p.id}/modifier").status_code == edit_status
    post = client.post(f"/conseils/projets/{p.id}/phase", data={"phase": "bilan"})
    assert post.status_code == (302 if edit_status == 200 else 403)
    s = pw["s"]
    s.expire_all()
    expected = ProjectPhase.BILAN if edit_status == 200 else ProjectPhase.APPEL
    assert ProjectPhase(s.get(CollectiveProject, p.id).phase) is expected


def test_ml_reads_the_page_without_edit_controls_or_addresses(client, pw):
    _client_as(client, pw, "ml")
    page = client.get(f"/conseils/projets/{pw['project'].id}").get_data(as_text=True)
    assert "Anne Directrice" in page and "Mission locale du Libournais" in page
    assert "anne.directrice@ml-libournais.fr" not in page
    assert "Changer de phase" not in page and "Modifier" not in page


def test_project_page_shows_everything(client, pw):
    s, p = pw["s"], pw["project"]
    pr.save_experiment(s, None, pw["part_a"], None, pr.ExperimentData(
        objective="Baromètre QVT annuel", indicators="Taux de réponse"))
    pr.set_participant_status(s, None, pw["part_b"], "retire", "Fusion en cours.")
    s.commit()
    _client_as(client, pw, "animateur")
    page = client.get(f"/conseils/projets/{p.id}").get_data(as_text=True)
    for text in ("Aract Nouvelle-Aquitaine", "Cluster QVT des missions locales",
                 "Mission locale du Libournais", "Retenue", "Retirée", "Fusion en cours.",
                 "Anne Directrice", "anne.directrice@ml-libournais.fr", "Direction",
                 "Baromètre QVT annuel", "Taux de réponse",
                 f"/programmes/actions/{pw['ids']['action_a']}",
                 "Résultats masqués : moins de 3 réponses",
                 format_date(pr.add_months(pw["last"], 6))):
        assert text in page, text
    for ts in pw["training"].sessions:
        assert f"/formations/sessions/{ts.id}" in page


def test_project_page_lists_its_meetings(client, pw):
    if "councils.meeting_detail" not in client.application.view_functions:
        pytest.skip("the meeting page is another part's (not there yet)")
    s, p = pw["s"], pw["project"]
    series = CouncilSeries(name="Cluster QVT — réunions", kind=SeriesKind.CLUSTER,
                           directors_are_members=False)
    meeting = Meeting(series=series, title="Comité de pilotage du cluster",
                      day=clock.today() + timedelta(days=20), starts_at=time(9, 30),
                      ends_at=time(12), status=MeetingStatus.PLANIFIE)
    s.add_all([series, meeting])
    s.flush()
    p.series_id = series.id
    s.commit()
    _client_as(client, pw, "copil")
    page = client.get(f"/conseils/projets/{p.id}").get_data(as_text=True)
    assert "Comité de pilotage du cluster" in page


def test_create_and_edit_through_the_forms(client, pw):
    _client_as(client, pw, "animateur")
    assert "Nouveau projet collectif" in client.get("/conseils/projets/nouveau").get_data(
        as_text=True)
    dup = client.post("/conseils/projets/nouveau", data={"title": "cluster qvt/rps 2026",
                                                         "kind": "cluster"})
    assert dup.status_code == 200
    assert "Un projet s&#39;intitule déjà" in dup.get_data(as_text=True)
    made = client.post("/conseils/projets/nouveau", data={
        "title": "Groupe de travail accueil", "kind": "groupe", "partners": "UNML",
        "action_id": str(pw["ids"]["action_a"])})
    assert made.status_code == 302
    s = pw["s"]
    s.expire_all()
    project = s.scalar(select(CollectiveProject).where(
        CollectiveProject.title == "Groupe de travail accueil"))
    assert project.partners == "UNML" and project.evaluation_due is None
    edit = client.get(f"/conseils/projets/{project.id}/modifier").get_data(as_text=True)
    assert "Groupe de travail accueil" in edit
    stale = client.post(f"/conseils/projets/{project.id}/modifier", data={
        "title": "Autre titre", "kind": "groupe", "version_id": "0"})
    assert "modifiée par quelqu&#39;un d&#39;autre" in stale.get_data(as_text=True)
    saved = client.post(f"/conseils/projets/{project.id}/modifier", data={
        "title": "Groupe accueil", "kind": "action", "version_id": str(project.version_id),
        "training_id": str(pw["training"].id)})
    assert saved.status_code == 200  # the training is the cluster's: refused in French
    assert "déjà celles du projet" in saved.get_data(as_text=True)


def test_participant_binome_and_experiment_forms(client, pw):
    s, p, ids = pw["s"], pw["project"], pw["ids"]
    _client_as(client, pw, "animateur")
    twice = client.post(f"/conseils/projets/{p.id}/participants",
                        data={"mission_locale_id": str(ids["ml_a"]), "status": "candidat"},
                        follow_redirects=True)
    assert "fait déjà partie de ce projet" in twice.get_data(as_text=True)
    no_reason = client.post(f"/conseils/projets/participants/{pw['part_b'].id}/statut",
                            data={"status": "retire", "withdrawal_reason": ""},
                            follow_redirects=True)
    assert "Indiquez pourquoi la mission locale se retire" in no_reason.get_data(as_text=True)
    binome_url = f"/conseils/projets/participants/{pw['part_b'].id}/binome"
    assert client.get(binome_url).status_code == 200
    one = client.post(binome_url, data={"full_name_1": "Béa", "email_1": "bea@ml.fr",
                                        "role_1": "direction", "full_name_2": "",
                                        "email_2": "", "role_2": "rh"})
    assert one.status_code == 200
    assert "Un binôme compte exactement deux personnes (1 saisie)" in one.get_data(
        as_text=True)
    same = client.post(binome_url, data={"full_name_1": "Béa", "email_1": "bea@ml.fr",
                                         "role_1": "direction", "full_name_2": "Béa B",
                                         "email_2": " BEA@ml.fr", "role_2": "rh"})
    assert "la même adresse e-mail est saisie deux fois" in same.get_data(as_text=True)
    s.expire_all()
    assert _count(s, BinomeMember, BinomeMember.participant_id == pw["part_b"].id) == 0
    ok = client.post(binome_url, data={"full_name_1": "Béa", "email_1": "bea@ml.fr",
                                       "role_1": "direction", "full_name_2": "Rémi",
                                       "email_2": "remi@ml.fr", "role_2": "rh"})
    assert ok.status_code == 302
    assert _count(s, BinomeMember, BinomeMember.participant_id == pw["part_b"].id) == 2
    new_x = f"/conseils/projets/participants/{pw['part_b'].id}/experimentations/nouvelle"
    empty = client.post(new_x, data={"objective": "", "status": "prevue"})
    assert "L&#39;objectif de l&#39;expérimentation est obligatoire." in empty.get_data(
        as_text=True)
    assert client.post(new_x, data={"objective": "Référent QVT", "status": "prevue"}
                       ).status_code == 302
    x = s.scalar(select(Experiment))
    assert client.get(f"/conseils/projets/experimentations/{x.id}/modifier").status_code == 200
    assert client.post(f"/conseils/projets/experimentations/{x.id}/supprimer").status_code \
        == 302
    s.expire_all()
    assert _count(s, Experiment) == 0


def test_evaluation_settings_and_sending_from_the_page(app, client, pw):
    s, p, last = pw["s"], pw["project"], pw["last"]
    _client_as(client, pw, "animateur")
    url = f"/conseils/projets/{p.id}/evaluation"
    bad = client.post(url, data={"evaluation_months": "13", "version_id": str(p.version_id)},
                      follow_redirects=True)
    assert "entre 6 et 12 mois après la dernière session" in bad.get_data(as_text=True)
    good = client.post(url, data={"evaluation_months": "12", "version_id": str(p.version_id)},
                       follow_redirects=True)
    assert format_date(pr.add_months(last, 12)) in good.get_data(as_text=True)
    sent = client.post(f"/conseils/projets/{p.id}/evaluation/envoi", follow_redirects=True)
    assert "2 demandes d&#39;évaluation envoyées" in sent.get_data(as_text=True)
    body = s.scalars(select(OutboxMessage.body).where(
        OutboxMessage.kind == "evaluation_projet")).first()
    path = body.split(app.config["PUBLIC_BASE_URL"], 1)[1].split()[0]
    assert path.startswith("/conseils/projets/evaluation/")
    client.post("/deconnexion")
    form = client.get(path)
    assert form.status_code == 200
    text = form.get_data(as_text=True)
    assert "Cluster QVT/RPS 2026" in text and "Anne" not in text and "Paul" not in text


def test_survey_page_refuses_forged_expired_and_used_links(app, client, pw):
    member_id = pw["part_a"].binome[0].id
    secret = app.config["SECRET_KEY"]
    forged = client.get("/conseils/projets/evaluation/pas-un-vrai-jeton")
    assert forged.status_code == 404
    assert "Ce lien d&#39;évaluation n&#39;est pas valide" in forged.get_data(as_text=True)
    old = pe.make_token(secret, member_id, now=clock.now() - timedelta(days=70))
    assert client.post(f"/conseils/projets/evaluation/{old}", data=GOOD).status_code == 410
    token = pe.make_token(secret, member_id)
    bad = client.post(f"/conseils/projets/evaluation/{token}", data={**GOOD, "changes": ""})
    assert bad.status_code == 200
    assert "Choisissez une note de 1 à 5." in bad.get_data(as_text=True)
    s = pw["s"]
    s.expire_all()
    assert _count(s, ProjectEvaluation) == 0
    done = client.post(f"/conseils/projets/evaluation/{token}", data=GOOD)
    assert done.status_code == 200 and "Merci pour votre avis" in done.get_data(as_text=True)
    used = client.get(f"/conseils/projets/evaluation/{token}")
    assert used.status_code == 410 and "Vous avez déjà répondu" in used.get_data(as_text=True)
    s.expire_all()
    assert _count(s, ProjectEvaluation) == 1


def test_results_show_from_three_answers_on_the_page(client, pw):
    s, p = pw["s"], pw["project"]
    _retain_b_with_binome(pw)
    members = pe.invitees(s, p)
    for n, comment in enumerate(["Très utile.", "Trop court.", ""]):
        pe.submit(s, pe.make_token(SECRET, members[n].id), {**GOOD, "comment": comment},
                  secret=SECRET)
        s.commit()
    _client_as(client, pw, "copil")
    page = client.get(f"/conseils/projets/{p.id}").get_data(as_text=True)
    assert "Résultats masqués" not in page
    assert "Très utile." in page and "Trop court." in page
    client.post("/deconnexion")
    _client_as(client, pw, "animateur")
    team = client.get(f"/conseils/projets/{p.id}").get_data(as_text=True)
    assert "a répondu" not in team  # the team sees who was asked, never who answered


def test_a_withdrawn_mission_locale_no_longer_answers(pw):
    s = pw["s"]
    assert pe.send_evaluation_requests(s, None, pw["project"], SECRET, BASE) == 2
    s.commit()
    token = pe.make_token(SECRET, pw["part_a"].binome[0].id)
    pr.set_participant_status(s, None, pw["part_a"], "retire", "Réorganisation interne.")
    s.commit()
    with pytest.raises(pe.InvalidToken, match="s'est retirée du projet"):
        pe.submit(s, token, GOOD, secret=SECRET)
    s.rollback()
    summary = pe.summary(s, pw["project"])
    assert (summary.responses, summary.invited) == (0, 0)


def test_the_list_shows_the_date_the_project_page_shows(pw, client):
    s, p = pw["s"], pw["project"]
    pr.set_evaluation(s, None, p, months=12)
    s.commit()
    # the last session moves earlier: every page follows (nothing stale was stored)
    for ts in pw["training"].sessions:
        ts.end_date -= timedelta(days=30)
        ts.start_date -= timedelta(days=30)
    s.commit()
    expected = pr.evaluation_due(s, p)
    assert expected == pr.add_months(pw["last"] - timedelta(days=30), 12)
    login(client, pw["world"]["emails"]["copil"])
    listing = client.get("/conseils/projets").get_data(as_text=True)
    assert format_date(expected) in listing
