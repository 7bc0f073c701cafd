"""Parrainage, the domain core: every bad input of issue 16 that the domain decides gets a
French message and changes nothing; the pairing life cycle, the six-month follow-up,
pseudonymous mentees, mentors anonymised, and each mission locale kept to its own records.

Every test runs on SQLite and on PostgreSQL (the ``database_url`` fixture)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from models.accounts.orm import User
from models.audit.orm import AuditEvent
from models.errors import ConcurrentEdit, DomainError, PermissionDenied, ValidationFailed
from models.mentoring import config, mentees, mentors, pairings, rules
from models.mentoring.access import NeedsConfirmation
from models.mentoring.enums import PairingStatus, TrainingRule
from models.mentoring.orm import (
    FollowUp,
    Mentee,
    Mentor,
    Pairing,
    PairingMeeting,
    PairingStatusChange,
)

TODAY = date(2026, 11, 23)
P = PairingStatus


def _mentor_data(n: int, ml_id: int | None, **kw) -> mentors.MentorData:
    base = dict(last_name=f"Durand{n}", first_name=f"Paule{n}", email=f"Parrain{n}@Exemple.FR",
                sex="f", status="en_activite", consent_on=date(2026, 1, 5),
                sector="Bâtiment", commune="Libourne", charter_signed_on=date(2026, 1, 5),
                trained_on=date(2026, 2, 1), mission_locale_id=ml_id)
    base.update(kw)
    return mentors.MentorData(**base)


def _mentee_data(ml_id: int | None, **kw) -> mentees.MenteeData:
    base = dict(sex="m", birth_year="2004", birth_month="5", qualification="3",
                situation="demandeur_emploi", prescriber="mission_locale", qpv="oui", zrr="",
                rqth="non", project_validated=True, mission_locale_id=ml_id)
    base.update(kw)
    return mentees.MenteeData(**base)


@pytest.fixture
def env(session, world):
    ids = world["ids"]
    users = {r: session.get(User, ids[r]) for r in ("admin", "animateur", "ml", "copil",
                                                     "financeur", "target")}
    mentor = mentors.create_mentor(session, None, _mentor_data(1, ids["ml_a"]), today=TODAY)
    young = [mentees.create_mentee(session, None, _mentee_data(ids["ml_a"]), today=TODAY)
             for _ in range(5)]
    session.commit()
    return {"s": session, "ids": ids, "users": users, "mentor": mentor, "mentees": young}


def _snapshot(s) -> tuple:
    """Everything a refused command must leave as it was."""
    s.expire_all()
    counts = tuple(s.scalar(select(func.count()).select_from(t)) for t in
                   (Mentor, Mentee, Pairing, PairingStatusChange, PairingMeeting, FollowUp))
    rows = tuple(s.execute(select(Pairing.id, Pairing.status, Pairing.version_id,
                                  Pairing.ended_on).order_by(Pairing.id)).all())
    return counts, rows


def _refused(s, call, *fragments: str, exc=ValidationFailed):
    before = _snapshot(s)
    with pytest.raises(exc) as info:
        call()
    s.rollback()
    message = str(info.value)
    for fragment in fragments:
        assert fragment in message, message
    assert _snapshot(s) == before
    return info.value


def _active(s, mentee, mentor, start=date(2026, 1, 5), end=date(2026, 7, 5)) -> Pairing:
    p = pairings.propose(s, None, mentee.id, mentor.id, start, end, today=TODAY).pairing
    pairings.activate(s, None, p.id, today=TODAY)
    s.commit()
    return p


# ---------------------------------------------------------------- mentees
def test_mentee_is_pseudonymous_with_a_random_unambiguous_code(env):
    s = env["s"]
    codes = [m.code for m in env["mentees"]]
    assert len(set(codes)) == 5
    for code in codes:
        assert len(code) == mentees.CODE_LENGTH
        assert not set(code) & set("0O1IL")
    columns = set(Mentee.__table__.columns.keys())
    for forbidden in ("name", "last_name", "first_name", "birth_date", "address", "phone",
                      "email", "comment", "notes"):
        assert forbidden not in columns
    m = s.get(Mentee, env["mentees"][0].id)
    assert (m.qpv, m.zrr, m.rqth, m.qualification) is not None
    assert m.qpv is True and m.zrr is None and m.rqth is False


@pytest.mark.parametrize("raw, expected", [("O", True), ("oui", True), ("1", True),
                                           ("Oui ", True), ("", None), ("  ", None),
                                           ("N", False), ("non", False), ("0", False)])
def test_qpv_variants(env, raw, expected):
    s, ids = env["s"], env["ids"]
    m = mentees.create_mentee(s, None, _mentee_data(ids["ml_a"], qpv=raw), today=TODAY)
    assert m.qpv is expected


def test_qpv_not_understood(env):
    s, ids = env["s"], env["ids"]
    _refused(s, lambda: mentees.create_mentee(s, None, _mentee_data(ids["ml_a"],
                                                                    qpv="peut-être"),
                                              today=TODAY),
             "Quartier prioritaire (QPV)", "n'est pas compris")


@pytest.mark.parametrize("year", ["deux mille quatre", "2004a", "", "20O4"])
def test_birth_year_as_text(env, year):
    s, ids = env["s"], env["ids"]
    _refused(s, lambda: mentees.create_mentee(s, None, _mentee_data(ids["ml_a"],
                                                                    birth_year=year),
                                              today=TODAY),
             "L'année de naissance doit être écrite en chiffres")


def test_birth_month_out_of_range(env):
    s, ids = env["s"], env["ids"]
    _refused(s, lambda: mentees.create_mentee(s, None, _mentee_data(ids["ml_a"],
                                                                    birth_month="13"),
                                              today=TODAY), "mois de naissance")


@pytest.mark.parametrize("year, fragment", [(2011, "moins de 16 ans"),
                                            (1995, "30 ans ou plus")])
def test_mentee_aged_15_or_31_refused(env, year, fragment):
    s, ids = env["s"], env["ids"]
    _refused(s, lambda: mentees.create_mentee(s, None, _mentee_data(ids["ml_a"],
                                                                    birth_year=str(year)),
                                              today=TODAY), fragment)


def test_qualification_nine_refused(env):
    s, ids = env["s"], env["ids"]
    _refused(s, lambda: mentees.create_mentee(s, None, _mentee_data(ids["ml_a"],
                                                                    qualification="9"),
                                              today=TODAY),
             "Niveau de formation inconnu : « 9 »")


@pytest.mark.parametrize("raw", ["V bis", "Vbis", " v  bis "])
def test_qualification_v_bis_warns_then_is_kept_as_the_charter_reads_it(env, raw):
    s, ids = env["s"], env["ids"]
    _refused(s, lambda: mentees.create_mentee(s, None, _mentee_data(ids["ml_a"],
                                                                    qualification=raw),
                                              today=TODAY),
             "ancienne nomenclature", exc=NeedsConfirmation)
    m = mentees.create_mentee(s, None, _mentee_data(ids["ml_a"], qualification=raw),
                              confirm=True, today=TODAY)
    assert m.qualification == "V BIS"


def test_mentee_update_detects_a_concurrent_edit(env):
    s, ids = env["s"], env["ids"]
    m = env["mentees"][0]
    version = m.version_id
    mentees.update_mentee(s, None, m.id, _mentee_data(ids["ml_a"], qpv="non"), version,
                          today=TODAY)
    s.commit()
    _refused(s, lambda: mentees.update_mentee(s, None, m.id, _mentee_data(ids["ml_a"]),
                                              version, today=TODAY),
             "modifiée par quelqu'un d'autre", exc=ConcurrentEdit)


# ---------------------------------------------------------------- mentors
def test_mentor_email_lower_cased_and_unique_whatever_the_case(env):
    s, ids = env["s"], env["ids"]
    assert env["mentor"].email == "parrain1@exemple.fr"
    _refused(s, lambda: mentors.create_mentor(s, None, _mentor_data(
        9, ids["ml_a"], email="PARRAIN1@exemple.fr"), today=TODAY), "utilise déjà")
    _refused(s, lambda: mentors.create_mentor(s, None, _mentor_data(9, ids["ml_a"], email=""),
                                              today=TODAY), "e-mail est obligatoire")
    _refused(s, lambda: mentors.create_mentor(s, None, _mentor_data(
        9, ids["ml_a"], consent_on=None, sex="x", capacity=0), today=TODAY),
        "consentement", "sexe", "entre 1 et 20")


def test_mentor_personal_data_never_reaches_the_audit_log(env):
    s = env["s"]
    changes = s.scalars(select(AuditEvent.changes).where(AuditEvent.entity == "mentor")).all()
    assert changes
    text = repr(changes)
    assert "Durand1" not in text and "parrain1@exemple.fr" not in text
    codes = {m.code for m in env["mentees"]}
    mentee_changes = repr(s.scalars(select(AuditEvent.changes)
                                    .where(AuditEvent.entity == "mentee")).all())
    assert not any(code in mentee_changes for code in codes)
    assert "2004" not in mentee_changes


def test_mentor_with_pairings_is_anonymised_never_deleted(env):
    s = env["s"]
    mentor, young = env["mentor"], env["mentees"][0]
    p = _active(s, young, mentor)
    _refused(s, lambda: mentors.anonymise_mentor(s, None, mentor.id, None, today=TODAY),
             "Clôturez", exc=DomainError)
    pairings.close(s, None, p.id, date(2026, 7, 5), "duree_echue", "alternance", today=TODAY)
    s.commit()
    _refused(s, lambda: mentors.delete_mentor(s, None, mentor.id), "anonymisez-la",
             exc=DomainError)
    mentors.anonymise_mentor(s, None, mentor.id, None, today=TODAY)
    s.commit()
    m = s.get(Mentor, mentor.id)
    assert m.last_name == mentors.ANONYMOUS and "durand" not in m.email.lower()
    assert m.active is False and m.anonymised_on == TODAY
    assert s.get(Pairing, p.id).mentor_id == m.id  # statistics keep the pairing
    lonely = mentors.create_mentor(s, None, _mentor_data(7, env["ids"]["ml_a"]), today=TODAY)
    mentors.delete_mentor(s, None, lonely.id)
    assert s.get(Mentor, lonely.id) is None


# ---------------------------------------------------------------- pairings
def test_life_cycle_history_meetings_and_follow_up(env):
    s, ml = env["s"], env["users"]["ml"]
    mentor, young = env["mentor"], env["mentees"][0]
    d = pairings.propose(s, ml, young.id, mentor.id, date(2026, 3, 2), date(2026, 9, 2),
                         today=TODAY)
    assert d.pairing.status is P.PROPOSE and d.pairing.mission_locale_id == env["ids"]["ml_a"]
    pairings.activate(s, ml, d.pairing.id, today=TODAY)
    meeting = pairings.log_meeting(s, ml, d.pairing.id, date(2026, 3, 10), "presentiel", 60,
                                   today=TODAY)
    assert meeting.duration_minutes == 60
    p = pairings.close(s, ml, d.pairing.id, date(2026, 9, 2), "objectif_atteint",
                       "emploi_durable", today=TODAY)
    s.commit()
    assert p.status is P.TERMINE and p.outcome.value == "emploi_durable"
    steps = [(h.from_status, h.to_status, h.reason, h.changed_by_id) for h in p.history]
    assert steps == [(None, P.PROPOSE, "", ml.id), (P.PROPOSE, P.ACTIF, "", ml.id),
                     (P.ACTIF, P.TERMINE, "objectif_atteint", ml.id)]
    assert p.follow_up.due_on == date(2027, 3, 2)
    assert pairings.due_follow_ups(s, ml, today=date(2027, 3, 2)) == [p.follow_up]
    assert pairings.due_follow_ups(s, ml, today=date(2027, 3, 1)) == []


def test_overlapping_pairings_for_one_mentee_refused(env):
    s = env["s"]
    young = env["mentees"][0]
    other = mentors.create_mentor(s, None, _mentor_data(2, env["ids"]["ml_a"]), today=TODAY)
    _active(s, young, env["mentor"], date(2026, 1, 5), date(2026, 7, 5))
    _refused(s, lambda: pairings.propose(s, None, young.id, other.id, date(2026, 6, 1),
                                         date(2026, 12, 1), today=TODAY),
             "les périodes se chevauchent")
    # two proposals may wait side by side: the activation decides
    later = mentees.create_mentee(s, None, _mentee_data(env["ids"]["ml_a"]), today=TODAY)
    a = pairings.propose(s, None, later.id, env["mentor"].id, date(2026, 12, 1),
                         date(2027, 6, 1), today=TODAY).pairing
    b = pairings.propose(s, None, later.id, other.id, date(2027, 1, 4), date(2027, 7, 4),
                         today=TODAY).pairing
    pairings.activate(s, None, a.id, today=TODAY)
    s.commit()
    _refused(s, lambda: pairings.activate(s, None, b.id, today=TODAY),
             f"Le jeune {later.code} a déjà un binôme (actif)", "chevauchent")
    # after the first one ends, the next one may start
    pairings.close(s, None, a.id, date(2026, 12, 31), "par_le_jeune", "recherche",
                   today=date(2027, 1, 2))
    pairings.activate(s, None, b.id, today=date(2027, 1, 2))
    assert s.get(Pairing, b.id).status is P.ACTIF


def test_fourth_pairing_for_a_mentor_with_capacity_three(env):
    s, mentor = env["s"], env["mentor"]
    assert mentor.capacity == config.DEFAULT_CAPACITY == 3
    for young in env["mentees"][:3]:
        _active(s, young, mentor)
    fourth = pairings.propose(s, None, env["mentees"][3].id, mentor.id, date(2026, 1, 5),
                              date(2026, 7, 5), today=TODAY).pairing
    s.commit()
    _refused(s, lambda: pairings.activate(s, None, fourth.id, today=TODAY),
             "suit déjà 3 filleul·e(s), sa capacité est de 3")


def test_end_before_start_and_start_two_years_ahead(env):
    s, mentor, young = env["s"], env["mentor"], env["mentees"][0]
    _refused(s, lambda: pairings.propose(s, None, young.id, mentor.id, date(2026, 6, 1),
                                         date(2026, 5, 1), today=TODAY),
             "La date de fin doit suivre la date de début")
    _refused(s, lambda: pairings.propose(s, None, young.id, mentor.id, date(2028, 11, 23),
                                         date(2029, 5, 23), today=TODAY),
             "plus de 3 mois à l'avance", "23 février 2027")
    _refused(s, lambda: pairings.propose(s, None, young.id, mentor.id, None, None,
                                         today=TODAY), "obligatoire")


def test_ages_at_entry(env):
    s, ids, mentor = env["s"], env["ids"], env["mentor"]
    # 27 at the start: a warning the référent confirms
    older = mentees.create_mentee(s, None, _mentee_data(ids["ml_a"], birth_year="1999",
                                                        birth_month="1"), today=TODAY)
    s.commit()
    _refused(s, lambda: pairings.propose(s, None, older.id, mentor.id, date(2026, 12, 1),
                                         date(2027, 6, 1), today=TODAY),
             "27 ans", exc=NeedsConfirmation)
    d = pairings.propose(s, None, older.id, mentor.id, date(2026, 12, 1), date(2027, 6, 1),
                         confirm=True, today=TODAY)
    assert any("27 ans" in w for w in d.warnings)
    # 15 at the start of a back-dated pairing: refused
    young = mentees.create_mentee(s, None, _mentee_data(
        ids["ml_a"], birth_year="2010", birth_month="3", minor_consent_on=date(2026, 1, 2)),
        today=TODAY)
    s.commit()
    _refused(s, lambda: pairings.propose(s, None, young.id, mentor.id, date(2026, 1, 5),
                                         date(2026, 7, 5), today=TODAY),
             "15 ans", "commence à 16 ans")
    assert mentees.age_at(2010, 3, date(2026, 2, 28)) == 15
    assert mentees.age_at(2010, 3, date(2026, 3, 1)) == 16


def test_minor_without_consent(env):
    s, ids, mentor = env["s"], env["ids"], env["mentor"]
    minor = mentees.create_mentee(s, None, _mentee_data(ids["ml_a"], birth_year="2009",
                                                        birth_month="6"), today=TODAY)
    s.commit()
    _refused(s, lambda: pairings.propose(s, None, minor.id, mentor.id, date(2026, 12, 1),
                                         date(2027, 6, 1), today=TODAY),
             "Le jeune est mineur", "consentement")
    mentees.update_mentee(s, None, minor.id, _mentee_data(
        ids["ml_a"], birth_year="2009", birth_month="6", minor_consent_on=date(2026, 11, 2)),
        minor.version_id, today=TODAY)
    pairings.propose(s, None, minor.id, mentor.id, date(2026, 12, 1), date(2027, 6, 1),
                     today=TODAY)


def test_project_validated_charter_and_training_before_activation(env, monkeypatch):
    s, ids, mentor = env["s"], env["ids"], env["mentor"]
    unsure = mentees.create_mentee(s, None, _mentee_data(ids["ml_a"],
                                                         project_validated=False),
                                   today=TODAY)
    p = pairings.propose(s, None, unsure.id, mentor.id, date(2026, 12, 1), date(2027, 6, 1),
                         today=TODAY).pairing
    s.commit()
    _refused(s, lambda: pairings.activate(s, None, p.id, today=TODAY),
             "projet professionnel du jeune doit être validé")
    unsigned = mentors.create_mentor(s, None, _mentor_data(3, ids["ml_a"],
                                                           charter_signed_on=None),
                                     today=TODAY)
    s.commit()
    _refused(s, lambda: pairings.propose(s, None, env["mentees"][1].id, unsigned.id,
                                         date(2026, 12, 1), date(2027, 6, 1), today=TODAY),
             "n'a pas signé la charte")
    untrained = mentors.create_mentor(s, None, _mentor_data(4, ids["ml_a"], trained_on=None),
                                      today=TODAY)
    s.commit()
    assert config.TRAINING_RULE is TrainingRule.WARNING
    _refused(s, lambda: pairings.propose(s, None, env["mentees"][1].id, untrained.id,
                                         date(2026, 12, 1), date(2027, 6, 1), today=TODAY),
             "formation des parrains", exc=NeedsConfirmation)
    monkeypatch.setattr(config, "TRAINING_RULE", TrainingRule.BLOCKING)
    _refused(s, lambda: pairings.propose(s, None, env["mentees"][1].id, untrained.id,
                                         date(2026, 12, 1), date(2027, 6, 1), confirm=True,
                                         today=TODAY), "formation des parrains")


def test_closing_without_reason_or_outcome(env):
    s = env["s"]
    p = _active(s, env["mentees"][0], env["mentor"])
    _refused(s, lambda: pairings.close(s, None, p.id, date(2026, 7, 5), "duree_echue", None,
                                       today=TODAY), "Indiquez la situation du jeune")
    _refused(s, lambda: pairings.close(s, None, p.id, date(2026, 7, 5), "", "inconnu",
                                       today=TODAY), "Indiquez le motif de fin")
    _refused(s, lambda: pairings.close(s, None, p.id, date(2025, 12, 1), "duree_echue",
                                       "inconnu", today=TODAY), "doit suivre la date de début")


def test_ended_before_six_weeks_is_broken_whatever_the_reason(env):
    s = env["s"]
    p = _active(s, env["mentees"][0], env["mentor"])
    pairings.close(s, None, p.id, date(2026, 2, 15), "objectif_atteint", "emploi_court",
                   today=TODAY)
    assert p.status is P.ROMPU  # 41 days
    q = _active(s, env["mentees"][1], env["mentor"])
    pairings.close(s, None, q.id, date(2026, 2, 16), "objectif_atteint", "emploi_court",
                   today=TODAY)
    assert q.status is P.TERMINE  # 42 days
    r = _active(s, env["mentees"][2], env["mentor"])
    pairings.close(s, None, r.id, date(2026, 6, 1), "par_le_parrain", "recherche",
                   today=TODAY)
    assert r.status is P.ROMPU


def test_six_month_outcome_not_before_it_is_due(env):
    s = env["s"]
    p = _active(s, env["mentees"][0], env["mentor"])
    pairings.close(s, None, p.id, date(2026, 7, 5), "duree_echue", "recherche", today=TODAY)
    s.commit()
    follow_up = p.follow_up
    assert follow_up.due_on == date(2027, 1, 5)
    _refused(s, lambda: pairings.record_follow_up(s, None, follow_up.id, "emploi_durable",
                                                  today=date(2026, 8, 5)),
             "qu'à partir du 5 janvier 2027")
    before = s.get(FollowUp, follow_up.id)
    assert before.outcome is None and before.recorded_on is None
    pairings.record_follow_up(s, None, follow_up.id, "emploi_durable", today=date(2027, 1, 5))
    assert s.get(FollowUp, follow_up.id).recorded_on == date(2027, 1, 5)


def test_meetings_only_during_the_pairing(env):
    s = env["s"]
    p = _active(s, env["mentees"][0], env["mentor"])
    _refused(s, lambda: pairings.log_meeting(s, None, p.id, date(2025, 12, 1), "visio", 30,
                                             today=TODAY), "pendant le binôme")
    _refused(s, lambda: pairings.log_meeting(s, None, p.id, date(2026, 2, 1), "fax", 0,
                                             today=TODAY), "mode", "minutes")
    assert "comment" not in PairingMeeting.__table__.columns


# ---------------------------------------------------------------- access
def test_a_mission_locale_only_reaches_its_own_records(env):
    s, ids, users = env["s"], env["ids"], env["users"]
    ml, other_ml = users["ml"], users["target"]  # ml_a and ml_b
    mentor, young = env["mentor"], env["mentees"][0]
    for call in (lambda: pairings.propose(s, other_ml, young.id, mentor.id, date(2026, 12, 1),
                                          date(2027, 6, 1), today=TODAY),
                 lambda: mentees.update_mentee(s, other_ml, young.id, _mentee_data(None),
                                               None, today=TODAY),
                 lambda: mentors.anonymise_mentor(s, other_ml, mentor.id, None, today=TODAY)):
        _refused(s, call, "introuvable", exc=DomainError)
    _refused(s, lambda: mentees.create_mentee(s, ml, _mentee_data(ids["ml_b"]), today=TODAY),
             "votre mission locale", exc=PermissionDenied)
    created = mentees.create_mentee(s, ml, _mentee_data(None), today=TODAY)
    assert created.mission_locale_id == ids["ml_a"]
    s.commit()
    # the team reads all but does not write another ML's records; copil and funders: nothing
    assert rules.view_record(users["animateur"], young)
    assert not rules.edit_record(users["animateur"], young)
    assert rules.view_record(ml, young) and rules.edit_record(ml, young)
    assert not rules.view_record(other_ml, young)
    for role in ("copil", "financeur"):
        assert not rules.view_record(users[role], young)
        assert not rules.view_area(users[role], None)
    assert rules.ml_scope(users["admin"]) is None and rules.ml_scope(ml) == ids["ml_a"]
    _refused(s, lambda: mentees.create_mentee(s, users["copil"], _mentee_data(ids["ml_a"]),
                                              today=TODAY), exc=PermissionDenied)
    # a mentor of another ML cannot be paired with this ML's young person (CLI included)
    foreign = mentors.create_mentor(s, None, _mentor_data(5, ids["ml_b"]), today=TODAY)
    s.commit()
    _refused(s, lambda: pairings.propose(s, None, young.id, foreign.id, date(2026, 12, 1),
                                         date(2027, 6, 1), today=TODAY),
             "même mission locale")


def test_lists_are_scoped_to_the_mission_locale(env):
    from models.mentoring import queries

    s, ids, users = env["s"], env["ids"], env["users"]
    mentors.create_mentor(s, None, _mentor_data(8, ids["ml_b"]), today=TODAY)
    mentees.create_mentee(s, None, _mentee_data(ids["ml_b"]), today=TODAY)
    _active(s, env["mentees"][0], env["mentor"])
    ml, other_ml = users["ml"], users["target"]
    assert {m.mission_locale_id for m in queries.list_mentors(s, ml)} == {ids["ml_a"]}
    assert queries.list_mentors(s, ml, mission_locale_id=ids["ml_b"]) == []
    assert len(queries.list_mentees(s, ml)) == 5
    assert len(queries.list_mentees(s, other_ml)) == 1
    assert len(queries.list_mentees(s, users["animateur"])) == 6
    assert len(queries.list_mentors(s, users["admin"], mission_locale_id=ids["ml_b"])) == 1
    assert queries.list_pairings(s, other_ml) == []
    assert len(queries.list_pairings(s, ml, status=P.ACTIF)) == 1
    for role in ("copil", "financeur"):
        assert queries.list_mentees(s, users[role]) == []
        assert queries.list_pairings(s, users[role]) == []


# ---------------------------------------------------------------- review fixes (issue 16)
def test_closing_later_than_planned_cannot_overlap_the_next_pairing(env):
    """Left « actif » past its planned end, a first pairing closed later would overlap the
    mentee's next one: refused under the lock, the message on the end date."""
    s, young = env["s"], env["mentees"][0]
    other = mentors.create_mentor(s, None, _mentor_data(2, env["ids"]["ml_a"]), today=TODAY)
    first = _active(s, young, env["mentor"], date(2026, 1, 5), date(2026, 6, 1))
    _active(s, young, other, date(2026, 6, 2), date(2026, 12, 2))
    error = _refused(s, lambda: pairings.close(s, None, first.id, date(2026, 7, 1),
                                               "objectif_atteint", "alternance", today=TODAY),
                     "les périodes se chevauchent")
    assert list(error.errors) == ["ended_on"]
    # ending on or before the planned end is fine
    pairings.close(s, None, first.id, date(2026, 6, 1), "duree_echue", "alternance",
                   today=TODAY)
    assert s.get(Pairing, first.id).status is P.TERMINE


def test_closing_before_the_last_meeting_is_refused(env):
    s = env["s"]
    p = _active(s, env["mentees"][0], env["mentor"])
    pairings.log_meeting(s, None, p.id, date(2026, 5, 20), "visio", 45, today=TODAY)
    s.commit()
    error = _refused(s, lambda: pairings.close(s, None, p.id, date(2026, 5, 1), "duree_echue",
                                               "inconnu", today=TODAY),
                     "ne peut pas précéder la dernière rencontre", "20 mai 2026")
    assert list(error.errors) == ["ended_on"]
    pairings.close(s, None, p.id, date(2026, 5, 20), "duree_echue", "inconnu", today=TODAY)


def test_capacity_cannot_go_below_the_active_pairings(env):
    s, mentor = env["s"], env["mentor"]
    for young in env["mentees"][:2]:
        _active(s, young, mentor)
    s.refresh(mentor)
    error = _refused(s, lambda: mentors.update_mentor(
        s, None, mentor.id, _mentor_data(1, env["ids"]["ml_a"], capacity=1),
        mentor.version_id, today=TODAY),
        "Il ou elle suit déjà 2 filleul·es : la capacité ne peut pas être inférieure.")
    assert list(error.errors) == ["capacity"]
    mentors.update_mentor(s, None, mentor.id, _mentor_data(1, env["ids"]["ml_a"], capacity=2),
                          mentor.version_id, today=TODAY)
    assert s.get(Mentor, mentor.id).capacity == 2


@pytest.mark.parametrize("field, raw", [("birth_year", "²"), ("birth_year", "①"),
                                        ("birth_year", "1" * 5000), ("birth_year", "٢٠٠٤"),
                                        ("birth_month", "²"), ("birth_month", "1" * 5000)])
def test_figures_other_than_ascii_are_a_french_message(env, field, raw):
    s, ids = env["s"], env["ids"]
    error = _refused(s, lambda: mentees.create_mentee(s, None, _mentee_data(ids["ml_a"],
                                                                            **{field: raw}),
                                                      today=TODAY))
    assert field in error.errors


def test_a_mentee_now_thirty_or_more_stays_editable(env):
    """Entered at 27 four years ago, 31 today: the record is still corrected; the age
    range is checked at entry (and at a pairing's start), not against today."""
    s, ids = env["s"], env["ids"]
    older = mentees.create_mentee(s, None, _mentee_data(ids["ml_a"], birth_year="1999",
                                                        birth_month="1"), today=TODAY)
    s.commit()
    later = date(2030, 11, 23)
    mentees.update_mentee(s, None, older.id, _mentee_data(ids["ml_a"], birth_year="1999",
                                                          birth_month="1", qpv="non"),
                          older.version_id, today=later)
    s.commit()
    assert s.get(Mentee, older.id).qpv is False
    # a birth year changed to one out of range at entry is still refused
    _refused(s, lambda: mentees.update_mentee(s, None, older.id, _mentee_data(
        ids["ml_a"], birth_year="1990", birth_month="1"), older.version_id, today=later),
        "30 ans ou plus")


def test_a_mentor_email_is_unique_within_its_mission_locale_only(env):
    """Another ML's volunteer with the same address is not told (the refusal would reveal
    that ML B holds them); the same ML's is refused."""
    s, ids = env["s"], env["ids"]
    elsewhere = mentors.create_mentor(s, None, _mentor_data(1, ids["ml_b"]), today=TODAY)
    s.commit()
    assert elsewhere.email == env["mentor"].email
    _refused(s, lambda: mentors.create_mentor(s, None, _mentor_data(1, ids["ml_b"]),
                                              today=TODAY), "utilise déjà")
    assert mentors.validation_errors(s, _mentor_data(1, None), ml_id=ids["ml_b"],
                                     today=TODAY)
    assert not mentors.validation_errors(s, _mentor_data(1, None), mentor_id=elsewhere.id,
                                         today=TODAY)


def test_deleting_a_mentor_checks_the_version_seen(env):
    s, ids = env["s"], env["ids"]
    lonely = mentors.create_mentor(s, None, _mentor_data(7, ids["ml_a"]), today=TODAY)
    s.commit()
    seen = lonely.version_id
    mentors.set_active(s, None, lonely.id, False, seen)
    s.commit()
    _refused(s, lambda: mentors.delete_mentor(s, None, lonely.id, seen),
             "modifiée par quelqu'un d'autre", exc=ConcurrentEdit)
    mentors.delete_mentor(s, None, lonely.id, seen + 1)
    assert s.get(Mentor, lonely.id) is None


def test_anonymising_erases_sector_and_commune_too(env):
    s = env["s"]
    p = _active(s, env["mentees"][0], env["mentor"])
    pairings.close(s, None, p.id, date(2026, 7, 5), "duree_echue", "alternance", today=TODAY)
    mentors.anonymise_mentor(s, None, env["mentor"].id, None, today=TODAY)
    s.commit()
    m = s.get(Mentor, env["mentor"].id)
    assert (m.sector, m.commune, m.phone) == ("", "", "")


def test_a_recorded_follow_up_is_corrected_only_with_the_version_read(env):
    s = env["s"]
    p = _active(s, env["mentees"][0], env["mentor"])
    pairings.close(s, None, p.id, date(2026, 5, 1), "duree_echue", "recherche", today=TODAY)
    s.commit()
    follow_up = p.follow_up
    later = date(2026, 11, 23)
    pairings.record_follow_up(s, None, follow_up.id, "emploi_durable", follow_up.version_id,
                              today=later)
    s.commit()
    seen = s.get(FollowUp, follow_up.id).version_id
    _refused(s, lambda: pairings.record_follow_up(s, None, follow_up.id, "abandon",
                                                  today=later),
             "a déjà été saisie le 23 novembre 2026", exc=DomainError)
    _refused(s, lambda: pairings.record_follow_up(s, None, follow_up.id, "abandon", seen - 1,
                                                  today=later), exc=ConcurrentEdit)
    assert s.get(FollowUp, follow_up.id).outcome.value == "emploi_durable"
    pairings.record_follow_up(s, None, follow_up.id, "formation", seen, today=later)
    s.commit()
    assert s.get(FollowUp, follow_up.id).outcome.value == "formation"


def test_proposing_without_a_mentor_and_age_errors_are_shown_fields(env):
    """No mentor chosen: a message under the field (not « introuvable »); the age and the
    consent at the start are told on the start date / the whole form, never on the hidden
    mentee field a page cannot show."""
    s, ids, mentor = env["s"], env["ids"], env["mentor"]
    error = _refused(s, lambda: pairings.propose(s, None, env["mentees"][0].id, None,
                                                 date(2026, 12, 1), date(2027, 6, 1),
                                                 today=TODAY),
                     "Choisissez un parrain ou une marraine.")
    assert list(error.errors) == ["mentor_id"]
    young = mentees.create_mentee(s, None, _mentee_data(
        ids["ml_a"], birth_year="2010", birth_month="3", minor_consent_on=date(2026, 1, 2)),
        today=TODAY)
    minor = mentees.create_mentee(s, None, _mentee_data(ids["ml_a"], birth_year="2009",
                                                        birth_month="6"), today=TODAY)
    s.commit()
    error = _refused(s, lambda: pairings.propose(s, None, young.id, mentor.id,
                                                 date(2026, 1, 5), date(2026, 7, 5),
                                                 today=TODAY), "15 ans")
    assert "mentee_id" not in error.errors and "start_date" in error.errors
    error = _refused(s, lambda: pairings.propose(s, None, minor.id, mentor.id,
                                                 date(2026, 12, 1), date(2027, 6, 1),
                                                 today=TODAY), "Le jeune est mineur")
    assert list(error.errors) == ["__all__"]
