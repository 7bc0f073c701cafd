"""Mentees, pseudonymous: a random code, and only what the State's table counts.

Nothing here accepts a name, a birth date, an address, a phone, an e-mail or free text.
The parsing helpers read what a form or a CSV sends (text) and give a French message for
anything they cannot read.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import clock
from models.errors import Errors, NotFound
from models.mentoring import access, config
from models.mentoring.enums import Prescriber, Sex, Situation
from models.mentoring.orm import Mentee
from models.network.orm import MissionLocale
from models.parcours.charter import CURRENT_NIVEAUX, OLD_NIVEAUX
from models.parcours.normalise import FALSE_VALUES, TRUE_VALUES
from models.parcours.normalise import niveau as _normalise_niveau

#: no 0/O, 1/I/L: a code read aloud or copied by hand stays unambiguous
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8

_UNSET = object()


# ---------------------------------------------------------------- parsing
def parse_yes_no(value: Any, field: str, label: str, errors: Errors) -> bool | None:
    """« O », « oui », « 1 », « Oui  » → oui; « N », « non », « 0 » → non; empty → unknown
    (None). Anything else: a French message."""
    if value is None or isinstance(value, bool):
        return value
    text = str(value).strip().upper()
    if not text:
        return None
    if text in TRUE_VALUES:
        return True
    if text in FALSE_VALUES:
        return False
    errors.add(field, f"{label} : répondez oui, non, ou laissez vide si vous ne savez pas "
                      f"(« {str(value).strip()[:20]} » n'est pas compris).")
    return None


def small_int(value: Any) -> int | None:
    """A whole number typed in ASCII figures (at most six), else None. ``str.isdigit``
    accepts « ² » or « ① », which ``int`` refuses, and 5,000 figures would make ``int``
    raise: both would be a 500, not a French message."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    text = str(value if value is not None else "").strip()
    return int(text) if re.fullmatch(r"[0-9]{1,6}", text) else None


def parse_int(value: Any, field: str, message: str, errors: Errors) -> int | None:
    number = small_int(value)
    if number is None:
        errors.add(field, message)
    return number


def parse_birth(year: Any, month: Any, errors: Errors, today: date) -> tuple[int, int] | None:
    y = parse_int(year, "birth_year", "L'année de naissance doit être écrite en chiffres "
                                      "(exemple : 2006).", errors)
    m = parse_int(month, "birth_month", "Le mois de naissance doit être un nombre de 1 à 12.",
                  errors)
    ok = True
    if y is not None and not today.year - 100 <= y <= today.year:
        errors.add("birth_year", f"Année de naissance invalide : {y}.")
        ok = False
    if m is not None and not 1 <= m <= 12:
        errors.add("birth_month", "Le mois de naissance doit être un nombre de 1 à 12.")
        ok = False
    return (y, m) if ok and y is not None and m is not None else None


def parse_qualification(value: Any, errors: Errors, warnings: list[str]) -> str | None:
    """The level as the Parcours charter reads it: 1 to 8, or the old nomenclature
    (VI … I, « V bis ») accepted with a warning asking to convert it."""
    text = _normalise_niveau(pd.Series([value if value is not None else ""])).iloc[0]
    if not text:
        errors.add("qualification", "Indiquez le niveau de formation (1 à 8).")
        return None
    if text in CURRENT_NIVEAUX:
        return text
    if text in OLD_NIVEAUX:
        warnings.append(f"Le niveau « {text} » est dans l'ancienne nomenclature (VI à I) : "
                        "il sera enregistré tel quel, pensez à le convertir dans la "
                        "nomenclature 1 à 8.")
        return text
    errors.add("qualification", f"Niveau de formation inconnu : « {str(value).strip()[:10]} » "
                                "(attendu : 1 à 8, ou l'ancienne nomenclature VI à I).")
    return None


def age_at(birth_year: int, birth_month: int, day: date) -> int:
    """Completed years on ``day``, born in that month (the birthday counted from the 1st)."""
    return day.year - birth_year - (1 if day.month < birth_month else 0)


def new_code(session: Session) -> str:
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        if session.scalar(select(Mentee.id).where(Mentee.code == code)) is None:
            return code


# ---------------------------------------------------------------- commands
@dataclass
class MenteeData:
    sex: str
    birth_year: Any
    birth_month: Any
    qualification: Any
    situation: str
    prescriber: str
    qpv: Any = None
    zrr: Any = None
    rqth: Any = False
    project_validated: bool = False
    minor_consent_on: date | None = None
    mission_locale_id: int | None = None


def _validate(data: MenteeData, errors: Errors, warnings: list[str], today: date,
              require_minor_consent: bool = False, *, entry: date | None = None) -> dict:
    """``entry``: the day the age range is checked on — today for a new record; for an
    edit, the day the young person entered, and only when the birth was changed (a record
    of someone who entered at 27 stays editable once they are 31)."""
    clean: dict[str, Any] = {}
    if data.sex not in Sex._value2member_map_:
        errors.add("sex", "Indiquez le sexe (femme ou homme).")
    birth = parse_birth(data.birth_year, data.birth_month, errors, today)
    if birth is not None:
        clean["birth_year"], clean["birth_month"] = birth
        if entry is not None and age_at(*birth, entry) < 16:
            errors.add("birth_year", "Le parrainage accueille des jeunes de 16 à 25 ans : "
                                     "ce jeune a moins de 16 ans.")
        elif entry is not None and age_at(*birth, entry) >= 30:
            errors.add("birth_year", "Le parrainage accueille des jeunes de 16 à 25 ans : "
                                     "ce jeune a 30 ans ou plus.")
        elif (require_minor_consent and age_at(*birth, today) < config.MAJORITY
              and data.minor_consent_on is None):
            errors.add("minor_consent_on", "Le jeune est mineur : indiquez la date du "
                                           "consentement de son représentant légal.")
    clean["qpv"] = parse_yes_no(data.qpv, "qpv", "Quartier prioritaire (QPV)", errors)
    clean["zrr"] = parse_yes_no(data.zrr, "zrr", "Zone de revitalisation rurale (ZRR)", errors)
    rqth = parse_yes_no(data.rqth, "rqth", "RQTH", errors)
    clean["rqth"] = bool(rqth)
    clean["qualification"] = parse_qualification(data.qualification, errors, warnings)
    if data.situation not in Situation._value2member_map_:
        errors.add("situation", "Choisissez la situation à l'entrée.")
    if data.prescriber not in Prescriber._value2member_map_:
        errors.add("prescriber", "Choisissez le prescripteur.")
    if data.minor_consent_on is not None and data.minor_consent_on > today:
        errors.add("minor_consent_on", "La date du consentement ne peut pas être dans le "
                                       "futur.")
    return clean


def _apply(mentee: Mentee, data: MenteeData, clean: dict) -> None:
    mentee.sex = Sex(data.sex)
    mentee.birth_year, mentee.birth_month = clean["birth_year"], clean["birth_month"]
    mentee.qpv, mentee.zrr, mentee.rqth = clean["qpv"], clean["zrr"], clean["rqth"]
    mentee.qualification = clean["qualification"]
    mentee.situation, mentee.prescriber = Situation(data.situation), Prescriber(data.prescriber)
    mentee.project_validated = bool(data.project_validated)
    mentee.minor_consent_on = data.minor_consent_on


def create_mentee(session: Session, actor: Any, data: MenteeData, *, confirm: bool = False,
                  today: date | None = None, require_minor_consent: bool = False) -> Mentee:
    """A new pseudonymous mentee; its random code is shown to the référent once saved.
    ``require_minor_consent``: a minor's record needs the consent date now (the web
    form), not only before a pairing (the domain's own rule, ``pairings.propose``)."""
    today = today or clock.today()
    access.check_may_create(actor)
    ml_id = access.ml_for_new_record(actor, data.mission_locale_id)
    errors, warnings = Errors(), []
    if ml_id is None or session.get(MissionLocale, ml_id) is None:
        errors.add("mission_locale_id", "Choisissez la mission locale du jeune.")
    clean = _validate(data, errors, warnings, today, require_minor_consent, entry=today)
    errors.raise_if_any()
    access.raise_warnings(warnings, confirm)
    mentee = Mentee(mission_locale_id=ml_id, code=new_code(session))
    _apply(mentee, data, clean)
    session.add(mentee)
    session.flush()
    return mentee


def update_mentee(session: Session, actor: Any, mentee_id: int, data: MenteeData,
                  version_id: int | None, *, confirm: bool = False,
                  today: date | None = None, require_minor_consent: bool = False) -> Mentee:
    today = today or clock.today()
    mentee = access.load(session, actor, Mentee, mentee_id, write=True)
    access.check_version(mentee, version_id)
    errors, warnings = Errors(), []
    changed = (small_int(data.birth_year), small_int(data.birth_month)) \
        != (mentee.birth_year, mentee.birth_month)
    entered = mentee.created_at.date() if mentee.created_at is not None else today
    clean = _validate(data, errors, warnings, today, require_minor_consent,
                      entry=min(entered, today) if changed else None)
    errors.raise_if_any()
    access.raise_warnings(warnings, confirm)
    _apply(mentee, data, clean)
    mentee.version_id += 1
    access.flush(session)
    return mentee


def get_mentee(session: Session, actor: Any, mentee_id: int) -> Mentee:
    mentee = access.load(session, actor, Mentee, mentee_id)
    if mentee is None:  # pragma: no cover - load raises
        raise NotFound("Filleul·e introuvable.")
    return mentee
