"""Mentors: register, update, anonymise (never deleted once they have paired)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import clock
from models.database import begin_write
from models.errors import DomainError, Errors, ValidationFailed
from models.mentoring import access
from models.mentoring.config import DEFAULT_CAPACITY
from models.mentoring.enums import MentorStatus, Sex
from models.mentoring.orm import Mentor, Pairing
from models.network.orm import MissionLocale

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PHONE_RE = re.compile(r"^\+?[0-9 .()-]{6,20}$")
ANONYMOUS = "Anonymisé"
TOO_LONG = "120 caractères au plus."


@dataclass
class MentorData:
    last_name: str
    first_name: str
    email: str
    sex: str
    status: str
    consent_on: date | None
    phone: str = ""
    sector: str = ""
    commune: str = ""
    charter_signed_on: date | None = None
    trained_on: date | None = None
    capacity: int | None = DEFAULT_CAPACITY
    active: bool = True
    mission_locale_id: int | None = None


def _validate(session: Session, data: MentorData, errors: Errors, *,
              mentor_id: int | None, ml_id: int | None, today: date) -> str:
    """``ml_id``: the mission locale holding the record. An e-mail is unique within it
    only: a global check would tell one ML that another ML's volunteer exists."""
    if not (data.last_name or "").strip():
        errors.add("last_name", "Le nom est obligatoire.")
    if not (data.first_name or "").strip():
        errors.add("first_name", "Le prénom est obligatoire.")
    email = (data.email or "").strip().lower()
    if not email:
        errors.add("email", "L'adresse e-mail est obligatoire.")
    elif not EMAIL_RE.match(email) or len(email) > 254:
        errors.add("email", "Adresse e-mail invalide (exemple : prenom.nom@exemple.fr).")
    elif ml_id is not None:
        other = session.scalar(select(Mentor.id).where(
            Mentor.mission_locale_id == ml_id, func.lower(Mentor.email) == email,
            Mentor.id != (mentor_id or -1)))
        if other is not None:
            errors.add("email", f"Un parrain ou une marraine utilise déjà l'adresse {email}.")
    if (data.phone or "").strip() and not PHONE_RE.match(data.phone.strip()):
        errors.add("phone", "Numéro de téléphone invalide (exemple : 06 12 34 56 78).")
    if data.sex not in Sex._value2member_map_:
        errors.add("sex", "Indiquez le sexe (femme ou homme).")
    if data.status not in MentorStatus._value2member_map_:
        errors.add("status", "Indiquez la situation : en activité, retraité·e ou autre.")
    if data.consent_on is None:
        errors.add("consent_on", "La date du consentement au traitement des données est "
                                 "obligatoire.")
    elif data.consent_on > today:
        errors.add("consent_on", "La date du consentement ne peut pas être dans le futur.")
    for field, value, label in (("charter_signed_on", data.charter_signed_on,
                                 "de signature de la charte"),
                                ("trained_on", data.trained_on, "de formation")):
        if value is not None and value > today:
            errors.add(field, f"La date {label} ne peut pas être dans le futur.")
    if (not isinstance(data.capacity, int) or isinstance(data.capacity, bool)
            or not 1 <= data.capacity <= 20):
        errors.add("capacity", "Le nombre de filleul·es suivi·es en même temps doit être un "
                               "entier entre 1 et 20.")
    for field, value in (("last_name", data.last_name), ("first_name", data.first_name),
                         ("sector", data.sector), ("commune", data.commune)):
        if len((value or "").strip()) > 120:
            errors.add(field, TOO_LONG)
    return email


def validation_errors(session: Session, data: MentorData, *, mentor_id: int | None = None,
                      ml_id: int | None = None, today: date | None = None
                      ) -> dict[str, list[str]]:
    """The messages the form would show for these values (the CSV import reuses them, so a
    line and the form say the same thing); empty when the record is valid. ``ml_id``
    (else the data's, else the edited mentor's): where the e-mail must be unique."""
    errors = Errors()
    if ml_id is None:
        ml_id = data.mission_locale_id
    if ml_id is None and mentor_id is not None:
        ml_id = session.scalar(select(Mentor.mission_locale_id).where(Mentor.id == mentor_id))
    _validate(session, data, errors, mentor_id=mentor_id, ml_id=ml_id,
              today=today or clock.today())
    try:
        errors.raise_if_any()
    except ValidationFailed as exc:
        return exc.errors
    return {}


def _apply(mentor: Mentor, data: MentorData, email: str) -> None:
    mentor.last_name, mentor.first_name = data.last_name.strip(), data.first_name.strip()
    mentor.email, mentor.phone = email, (data.phone or "").strip()
    mentor.sex, mentor.status = Sex(data.sex), MentorStatus(data.status)
    mentor.sector, mentor.commune = (data.sector or "").strip(), (data.commune or "").strip()
    mentor.consent_on = data.consent_on
    mentor.charter_signed_on, mentor.trained_on = data.charter_signed_on, data.trained_on
    mentor.capacity, mentor.active = data.capacity, bool(data.active)


def create_mentor(session: Session, actor: Any, data: MentorData, *,
                  today: date | None = None) -> Mentor:
    today = today or clock.today()
    access.check_may_create(actor)
    ml_id = access.ml_for_new_record(actor, data.mission_locale_id)
    errors = Errors()
    if ml_id is None or session.get(MissionLocale, ml_id) is None:
        errors.add("mission_locale_id", "Choisissez la mission locale qui a recruté le "
                                        "parrain ou la marraine.")
    email = _validate(session, data, errors, mentor_id=None, ml_id=ml_id, today=today)
    errors.raise_if_any()
    mentor = Mentor(mission_locale_id=ml_id)
    _apply(mentor, data, email)
    session.add(mentor)
    session.flush()
    return mentor


def update_mentor(session: Session, actor: Any, mentor_id: int, data: MentorData,
                  version_id: int | None, *, today: date | None = None) -> Mentor:
    today = today or clock.today()
    # the capacity is decided against the active pairings: under the lock an activation
    # takes (``pairings._lock``), so neither can slip past the other
    begin_write(session)
    mentor = access.load(session, actor, Mentor, mentor_id, write=True, lock=True)
    access.check_version(mentor, version_id)
    errors = Errors()
    if mentor.anonymised_on is not None:
        errors.add("__all__", "Cette fiche a été anonymisée : elle ne peut plus être "
                              "modifiée.")
    email = _validate(session, data, errors, mentor_id=mentor.id,
                      ml_id=mentor.mission_locale_id, today=today)
    if isinstance(data.capacity, int) and "capacity" not in errors:
        held = _active_count(session, mentor.id)
        if data.capacity < held:
            errors.add("capacity", f"Il ou elle suit déjà {held} filleul·e"
                                   f"{'s' if held > 1 else ''} : la capacité ne peut pas "
                                   "être inférieure.")
    errors.raise_if_any()
    _apply(mentor, data, email)
    mentor.version_id += 1
    access.flush(session)
    return mentor


def _active_count(session: Session, mentor_id: int) -> int:
    return session.scalar(select(func.count()).select_from(Pairing).where(
        Pairing.mentor_id == mentor_id, Pairing.status == "actif")) or 0


def set_active(session: Session, actor: Any, mentor_id: int, active: bool,
               version_id: int | None) -> Mentor:
    """Deactivate a mentor who stops (no new pairing is proposed to them), or take them
    back; their record and pairings stay."""
    mentor = access.load(session, actor, Mentor, mentor_id, write=True)
    access.check_version(mentor, version_id)
    if mentor.anonymised_on is not None:
        raise DomainError("Cette fiche a été anonymisée : elle ne peut plus être modifiée.")
    if mentor.active != bool(active):
        mentor.active = bool(active)
        mentor.version_id += 1
        access.flush(session)
    return mentor


def has_pairings(session: Session, mentor: Mentor) -> bool:
    return session.scalar(select(func.count()).select_from(Pairing)
                          .where(Pairing.mentor_id == mentor.id)) > 0


def delete_mentor(session: Session, actor: Any, mentor_id: int,
                  version_id: int | None = None) -> None:
    """Only a mentor who never paired is deleted; the others are anonymised. ``version_id``:
    the record the person saw (changed since: refused, nothing deleted)."""
    mentor = access.load(session, actor, Mentor, mentor_id, write=True)
    access.check_version(mentor, version_id)
    if has_pairings(session, mentor):
        raise DomainError("Ce parrain ou cette marraine a des binômes : la fiche ne peut pas "
                          "être supprimée, anonymisez-la.")
    session.delete(mentor)
    access.flush(session)


def anonymise_mentor(session: Session, actor: Any, mentor_id: int, version_id: int | None,
                     *, today: date | None = None) -> Mentor:
    """Erase the person (name, e-mail, phone, and the free text that could point at them:
    sector, commune), keep what the statistics count (sex, status, dates, pairings)."""
    today = today or clock.today()
    mentor = access.load(session, actor, Mentor, mentor_id, write=True)
    access.check_version(mentor, version_id)
    if mentor.anonymised_on is not None:
        raise DomainError("Cette fiche est déjà anonymisée.")
    active = session.scalar(select(func.count()).select_from(Pairing).where(
        Pairing.mentor_id == mentor.id, Pairing.status.in_(("propose", "actif"))))
    if active:
        raise DomainError("Clôturez ou annulez d'abord les binômes en cours de ce parrain "
                          "ou de cette marraine.")
    mentor.last_name, mentor.first_name = ANONYMOUS, ""
    mentor.email = f"anonyme-{mentor.id}@parrainage.invalid"
    mentor.phone, mentor.sector, mentor.commune = "", "", ""
    mentor.active, mentor.anonymised_on = False, today
    from models.mentoring.trainings import anonymise_registrations  # imports this module

    anonymise_registrations(session, mentor)
    mentor.version_id += 1
    access.flush(session)
    return mentor
