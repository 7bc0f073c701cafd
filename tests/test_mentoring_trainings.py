"""Mentor trainings: a mission locale registers its own mentors to « Formation des
parrains et marraines » (the training module's seats and e-mails); a mentor marked present
becomes trained on that day, once."""

from __future__ import annotations

from datetime import date, time
from decimal import Decimal

import pytest

from models.accounts.orm import User
from models.errors import NotFound, ValidationFailed
from models.mail.orm import OutboxMessage
from models.mentoring import mentors
from models.mentoring.orm import Mentor
from models.mentoring.trainings import register_mentor
from models.programme.computed import mentors_trained
from models.training.attendance import record_attendance
from models.training.enums import Job, Presence
from models.training.registrations import RegistrationData, register
from models.training.services import (
    SessionData,
    SlotData,
    TrainingData,
    save_session,
    save_training,
)

TODAY = date(2026, 11, 23)


def _mentor(s, n: int, ml_id: int, trained_on: date | None = None) -> Mentor:
    return mentors.create_mentor(s, None, mentors.MentorData(
        last_name=f"Lacoste{n}", first_name=f"Jeanne{n}", email=f"jeanne{n}@exemple.fr",
        sex="f", status="retraite", consent_on=date(2025, 1, 6),
        charter_signed_on=date(2025, 1, 6), trained_on=trained_on, mission_locale_id=ml_id),
        today=TODAY)


def _session(s, training, day: date, opens: date):
    return save_session(s, None, training, None, SessionData(
        slots=[SlotData(day, "matin", time(9), time(12, 30)),
               SlotData(day, "apres_midi", time(13, 30), time(17))],
        max_capacity=12, registration_opens=opens, registration_closes=day,
        place="Maison des associations, Libourne")).session


@pytest.fixture
def env(session, world):
    s, ids = session, world["ids"]
    mentor_training = save_training(s, None, None, TrainingData(
        title="Formation des parrains et marraines", duration_days=Decimal(1),
        duration_hours=Decimal(7), modality="presentiel", audience=["benevole"]))
    other = save_training(s, None, None, TrainingData(
        title="Accueil des publics", duration_days=Decimal(1), duration_hours=Decimal(7),
        modality="presentiel", audience=["conseiller"]))
    past = _session(s, mentor_training, date(2026, 10, 6), date(2026, 9, 1))
    future = _session(s, mentor_training, date(2027, 1, 12), date(2026, 11, 2))
    staff = _session(s, other, date(2026, 12, 8), date(2026, 11, 2))
    people = {"new": _mentor(s, 1, ids["ml_a"]), "old": _mentor(s, 2, ids["ml_a"],
                                                                  date(2025, 3, 4)),
              "absent": _mentor(s, 3, ids["ml_a"]), "pau": _mentor(s, 4, ids["ml_b"])}
    s.commit()
    return {"s": s, "ids": ids, "ml": s.get(User, ids["ml"]), "past": past, "future": future,
            "staff": staff, "m": people}


def test_a_mission_locale_registers_its_mentor_as_a_volunteer(env):
    s, ml, m = env["s"], env["ml"], env["m"]
    assert Job("benevole").label == "Parrain ou marraine bénévole"
    reg = register_mentor(s, ml, env["future"].id, m["new"].id, today=TODAY)
    s.commit()
    assert (reg.mentor_id, reg.job, reg.email, reg.mission_locale_id) == (
        m["new"].id, "benevole", "jeanne1@exemple.fr", env["ids"]["ml_a"])
    assert reg.status.value == "confirmee"
    confirmation = s.query(OutboxMessage).filter_by(kind="confirmation").one()
    assert confirmation.recipients == ["jeanne1@exemple.fr"]


def test_refusals(env):
    s, ml, m = env["s"], env["ml"], env["m"]
    with pytest.raises(NotFound):  # another mission locale's mentor does not exist for it
        register_mentor(s, ml, env["future"].id, m["pau"].id, today=TODAY)
    s.rollback()
    with pytest.raises(ValidationFailed, match="pas ouverte aux parrains"):
        register_mentor(s, ml, env["staff"].id, m["new"].id, today=TODAY)
    s.rollback()
    with pytest.raises(ValidationFailed, match="Session introuvable"):
        register_mentor(s, ml, 99999, m["new"].id, today=TODAY)
    s.rollback()
    assert s.query(OutboxMessage).count() == 0


def test_present_at_the_session_the_mentor_is_trained(env):
    s, m, past = env["s"], env["m"], env["past"]
    regs = {key: register_mentor(s, None, past.id, m[key].id, today=date(2026, 9, 10))
            for key in ("new", "old", "absent")}
    # registered in the training module by e-mail, as a volunteer: linked too
    typed = register(s, env["ml"], past.id, RegistrationData(
        last_name="Lacoste4", first_name="Jeanne4", email="JEANNE4@exemple.fr", job="benevole",
        mission_locale_id=None), today=date(2026, 9, 11))
    assert typed.mentor_id is None  # jeanne4 is Pau's mentor, not the Libournais'
    s.commit()
    version = m["new"].version_id
    before = mentors_trained(s, 2026)
    slots = [slot.id for slot in past.slots]
    P, A = Presence.PRESENT, Presence.ABSENT
    marks = {(regs["new"].id, slots[0]): P, (regs["new"].id, slots[1]): A,
             (regs["old"].id, slots[0]): P, (regs["old"].id, slots[1]): P,
             (regs["absent"].id, slots[0]): A, (regs["absent"].id, slots[1]): A}
    record_attendance(s, None, past, marks, today=TODAY)
    s.commit()
    assert s.get(Mentor, m["new"].id).trained_on == date(2026, 10, 6)
    assert s.get(Mentor, m["new"].id).version_id == version + 1
    assert s.get(Mentor, m["old"].id).trained_on == date(2025, 3, 4)  # already trained
    assert s.get(Mentor, m["absent"].id).trained_on is None
    assert mentors_trained(s, 2026) == before + 1


def test_a_volunteer_typed_in_the_training_form_is_linked_by_email(env):
    s, ml, m = env["s"], env["ml"], env["m"]
    reg = register(s, ml, env["future"].id, RegistrationData(
        last_name="Lacoste", first_name="Jeanne", email=" Jeanne1@Exemple.fr ", job="benevole",
        mission_locale_id=None), today=TODAY)
    staff = register(s, ml, env["future"].id, RegistrationData(
        last_name="Lacoste", first_name="Jeanne", email="jeanne3@exemple.fr",
        job="conseiller", mission_locale_id=None), today=TODAY)
    s.commit()
    assert reg.mentor_id == m["new"].id
    assert staff.mentor_id is None  # not registered as a volunteer


def test_an_anonymised_mentor_leaves_no_name_in_registrations_or_the_journal(env):
    from sqlalchemy import select

    from models.audit.orm import AuditEvent
    from models.training.orm import Registration

    s, ml, m = env["s"], env["ml"], env["m"]
    reg = register_mentor(s, ml, env["future"].id, m["new"].id, today=TODAY)
    s.commit()
    mentors.anonymise_mentor(s, ml, m["new"].id, m["new"].version_id, today=TODAY)
    s.commit()
    reg = s.get(Registration, reg.id)
    assert "lacoste1" not in f"{reg.last_name} {reg.first_name} {reg.email}".lower()
    journal = " ".join(str(e.changes) for e in s.scalars(select(AuditEvent))).lower()
    assert "lacoste1" not in journal and "jeanne1@" not in journal
