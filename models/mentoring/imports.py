"""Importing a mission locale's mentors from a spreadsheet saved as CSV.

All or nothing: every line is read and validated first (with the same checks and the same
French messages as the mentor form, ``mentors.validation_errors``), every problem is
reported as « Ligne N : … », and only a file without any error writes its mentors. French
spreadsheets save in Windows-1252 or UTF-8 (with or without BOM), with « ; » between
cells and dates as JJ/MM/AAAA: all are read.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from models import clock
from models.errors import ValidationFailed
from models.mentoring import access
from models.mentoring.config import DEFAULT_CAPACITY
from models.mentoring.enums import MentorStatus, Sex
from models.mentoring.mentees import small_int
from models.mentoring.mentors import TOO_LONG, MentorData, create_mentor, validation_errors
from models.mentoring.orm import Mentor
from models.network.orm import MissionLocale

#: a file of a few thousand mentors is a few hundred kilobytes
MAX_BYTES = 1024 * 1024
MAX_LINES = 2000

#: the template's header, in this order
COLUMNS = ("nom", "prénom", "e-mail", "téléphone", "sexe", "statut", "secteur", "commune",
           "consentement le", "charte signée le", "formé·e le", "capacité")

#: a header cell reduced to its letters (no accent, case or punctuation) → field
_HEADERS = {
    "nom": "last_name", "nomdefamille": "last_name",
    "prenom": "first_name",
    "email": "email", "mail": "email", "courriel": "email", "adressemail": "email",
    "adresseemail": "email",
    "telephone": "phone", "tel": "phone", "portable": "phone",
    "sexe": "sex",
    "statut": "status", "situation": "status",
    "secteur": "sector", "secteurdactivite": "sector",
    "commune": "commune", "ville": "commune",
    "consentementle": "consent_on", "consentement": "consent_on",
    "dateduconsentement": "consent_on", "dateconsentement": "consent_on",
    "chartesigneele": "charter_signed_on", "chartesignele": "charter_signed_on",
    "chartesignee": "charter_signed_on", "charte": "charter_signed_on",
    "formeele": "trained_on", "formele": "trained_on", "formee": "trained_on",
    "forme": "trained_on", "formation": "trained_on", "formationle": "trained_on",
    "capacite": "capacity",
}
REQUIRED = ("last_name", "first_name", "email", "sex", "status", "consent_on")
LABELS = {"last_name": "nom", "first_name": "prénom", "email": "e-mail",
          "phone": "téléphone", "sex": "sexe", "status": "statut", "sector": "secteur",
          "commune": "commune", "consent_on": "consentement le",
          "charter_signed_on": "charte signée le", "trained_on": "formé·e le",
          "capacity": "capacité"}

_SEXES = {"f": Sex.FEMME, "femme": Sex.FEMME, "feminin": Sex.FEMME,
          "m": Sex.HOMME, "h": Sex.HOMME, "homme": Sex.HOMME, "masculin": Sex.HOMME}
_STATUSES = {"enactivite": MentorStatus.EN_ACTIVITE, "activite": MentorStatus.EN_ACTIVITE,
             "salarie": MentorStatus.EN_ACTIVITE, "salariee": MentorStatus.EN_ACTIVITE,
             "actif": MentorStatus.EN_ACTIVITE, "active": MentorStatus.EN_ACTIVITE,
             "enemploi": MentorStatus.EN_ACTIVITE,
             "retraite": MentorStatus.RETRAITE, "retraitee": MentorStatus.RETRAITE,
             "autre": MentorStatus.AUTRE}
_DATE_RE = re.compile(r"^([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})$")
_ISO_RE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


@dataclass
class ImportResult:
    mentors: list[Mentor] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.mentors)


def _letters(text: str) -> str:
    """« Formé·e le » → « formeele »: what a header or a coded value means."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z]", "", plain.lower())


def _refuse(messages: list[str]) -> ValidationFailed:
    return ValidationFailed({"file": messages})


def decode(data: bytes) -> str:
    """UTF-8 (BOM or not) when the bytes are valid UTF-8, else Windows-1252."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        raise _refuse(["Le fichier n'est ni en UTF-8 ni en Windows-1252 : dans le tableur, "
                       "enregistrez-le au format « CSV (séparateur : point-virgule) »."]
                      ) from None


def _check_file(data: bytes, filename: str) -> None:
    name = (filename or "").strip().lower()
    if not data or not data.strip():
        raise _refuse(["Le fichier est vide : choisissez le fichier CSV des parrains et "
                       "marraines (le modèle donne les colonnes attendues)."])
    if len(data) > MAX_BYTES:
        raise _refuse([f"Le fichier dépasse {MAX_BYTES // 1024} Ko : découpez-le en "
                       "plusieurs fichiers."])
    if data[:2] == b"PK" or name.endswith((".xlsx", ".xls", ".ods")):
        raise _refuse(["Un classeur (Excel, LibreOffice) n'est pas lu directement : dans le "
                       "tableur, « Enregistrer sous » le format « CSV (séparateur : "
                       "point-virgule) », puis importez ce fichier .csv."])
    if b"\x00" in data or not name.endswith((".csv", ".txt")):
        raise _refuse(["Le fichier doit être un fichier CSV (extension .csv), cellules "
                       "séparées par des points-virgules."])


def _header(row: list[str]) -> tuple[list[str | None], list[str]]:
    """The field of each column, and what is wrong with the header."""
    problems: list[str] = []
    columns: list[str | None] = []
    for cell in row:
        key = _HEADERS.get(_letters(cell))
        if key is None and cell.strip():
            problems.append(f"Colonne « {cell.strip()} » inconnue. Colonnes attendues : "
                            f"{' ; '.join(COLUMNS)}.")
        elif key is not None and key in columns:
            problems.append(f"La colonne « {LABELS[key]} » figure deux fois.")
        columns.append(key)
    missing = [LABELS[k] for k in REQUIRED if k not in columns]
    if missing:
        if len(row) == 1 and ("," in row[0] or "\t" in row[0]):
            problems.insert(0, "Les cellules doivent être séparées par des points-virgules "
                               "(« ; ») : enregistrez le fichier au format « CSV (séparateur "
                               ": point-virgule) ».")
        else:
            problems.append("Colonne(s) obligatoire(s) absente(s) de la première ligne : "
                            f"{', '.join(missing)}.")
    return columns, problems


def _date(raw: str) -> date | None:
    """JJ/MM/AAAA (or AAAA-MM-JJ); ValueError if it is not a date."""
    text = raw.strip()
    if not text:
        return None
    match = _DATE_RE.match(text)
    if match:
        day, month, year = (int(g) for g in match.groups())
        return date(year, month, day)
    if not _ISO_RE.match(text):  # strptime reads figures of other scripts too
        raise ValueError(text)
    return datetime.strptime(text, "%Y-%m-%d").date()


def _line_data(values: dict[str, str], ml_id: int | None
               ) -> tuple[MentorData, dict[str, str]]:
    """The line as the form would have it, and the cells that could not be read."""
    unreadable: dict[str, str] = {}
    dates: dict[str, date | None] = {}
    for key in ("consent_on", "charter_signed_on", "trained_on"):
        raw = values.get(key, "")
        try:
            dates[key] = _date(raw)
        except ValueError:
            dates[key] = None
            unreadable[key] = (f"« {LABELS[key]} » : « {raw.strip()} » n'est pas une date "
                               "(format JJ/MM/AAAA, par exemple 03/09/2026).")
    raw_sex = values.get("sex", "")
    sex = _SEXES.get(_letters(raw_sex))
    if sex is None and raw_sex.strip():
        unreadable["sex"] = (f"sexe « {raw_sex.strip()} » inconnu : écrivez F (femme) ou "
                             "H (homme).")
    raw_status = values.get("status", "")
    status = _STATUSES.get(_letters(raw_status))
    if status is None and raw_status.strip():
        unreadable["status"] = (f"statut « {raw_status.strip()} » inconnu : écrivez « en "
                                "activité », « retraité·e » ou « autre ».")
    raw_capacity = values.get("capacity", "").strip()
    capacity: Any = DEFAULT_CAPACITY
    if raw_capacity:
        capacity = small_int(raw_capacity)
        if capacity is None:
            unreadable["capacity"] = (f"capacité « {raw_capacity[:20]} » : un nombre entier de 1 "
                                      "à 20 est attendu.")
    data = MentorData(
        last_name=values.get("last_name", ""), first_name=values.get("first_name", ""),
        email=values.get("email", ""), phone=values.get("phone", ""),
        sex=sex.value if sex else "", status=status.value if status else "",
        sector=values.get("sector", ""), commune=values.get("commune", ""),
        consent_on=dates["consent_on"], charter_signed_on=dates["charter_signed_on"],
        trained_on=dates["trained_on"], capacity=capacity, mission_locale_id=ml_id)
    return data, unreadable


def read_lines(text: str) -> tuple[list[tuple[int, dict[str, str]]], list[str]]:
    """(line number, cells by field) for every non-blank line, and the header's problems."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=";")
    try:
        rows = [(reader.line_num, row) for row in reader]
    except csv.Error as exc:
        raise _refuse([f"Ligne {reader.line_num} : le fichier CSV est mal formé "
                       f"({exc}). Vérifiez les guillemets."]) from None
    rows = [(n, row) for n, row in rows if any(cell.strip() for cell in row)]
    if not rows:
        raise _refuse(["Le fichier est vide : choisissez le fichier CSV des parrains et "
                       "marraines (le modèle donne les colonnes attendues)."])
    columns, problems = _header(rows[0][1])
    if problems:
        return [], problems
    lines = []
    for number, row in rows[1:]:
        values = {key: (row[i] if i < len(row) else "").strip()
                  for i, key in enumerate(columns) if key is not None}
        if len(row) > len(columns) and any(c.strip() for c in row[len(columns):]):
            problems.append(f"Ligne {number} : plus de cellules que de colonnes dans "
                            "l'en-tête (un « ; » en trop ?).")
        lines.append((number, values))
    if not lines:
        problems.append("Le fichier ne contient que la ligne d'en-tête : ajoutez une ligne "
                        "par parrain ou marraine.")
    elif len(lines) > MAX_LINES:
        problems.append(f"Le fichier contient {len(lines)} lignes : {MAX_LINES} au plus par "
                        "import.")
    return lines, problems


def import_mentors(session: Session, actor: Any, data: bytes, filename: str, *,
                   mission_locale_id: int | None = None, today: date | None = None
                   ) -> ImportResult:
    """Create every mentor of the file, or none (``ValidationFailed`` listing each line's
    problems under ``"file"``). A mission locale imports into its own ML; the CLI names
    the ML."""
    today = today or clock.today()
    access.check_may_create(actor)
    ml_id = access.ml_for_new_record(actor, mission_locale_id)
    if ml_id is None or session.get(MissionLocale, ml_id) is None:
        raise _refuse(["Choisissez la mission locale qui a recruté ces parrains et "
                       "marraines."])
    _check_file(data, filename)
    lines, problems = read_lines(decode(data))
    if problems and not lines:
        raise _refuse(problems)
    seen: dict[str, int] = {}
    checked: list[MentorData] = []
    for number, values in lines:
        mentor, unreadable = _line_data(values, ml_id)
        messages = list(unreadable.values())
        for key, found in validation_errors(session, mentor, ml_id=ml_id,
                                            today=today).items():
            if key not in unreadable:
                # « 120 caractères au plus. » under a form field; in a file, name the column
                messages.extend(f"{LABELS[key]} : {m}" if m == TOO_LONG and key in LABELS
                                else m for m in found)
        email = (mentor.email or "").strip().lower()
        if email and email in seen:
            messages.append(f"l'adresse {email} figure déjà ligne {seen[email]} (les "
                            "adresses se comparent sans tenir compte des majuscules).")
            problems.append(f"Ligne {seen[email]} : l'adresse {email} figure aussi ligne "
                            f"{number}.")
        elif email:
            seen[email] = number
        problems.extend(f"Ligne {number} : {m}" for m in messages)
        checked.append(mentor)
    if problems:
        raise _refuse(_in_line_order(problems))
    result = ImportResult()
    for mentor in checked:
        result.mentors.append(create_mentor(session, actor, mentor, today=today))
    return result


def _in_line_order(problems: list[str]) -> list[str]:
    """File-level messages first, then line by line (stable within a line)."""
    def line_of(message: str) -> int:
        match = re.match(r"Ligne (\d+) :", message)
        return int(match.group(1)) if match else 0
    return sorted(problems, key=line_of)


def template_csv() -> bytes:
    """The header to fill in, in UTF-8 with BOM (Excel opens it as is). No example line:
    imported unchanged, it would create a person who does not exist."""
    return ("\ufeff" + ";".join(COLUMNS) + "\r\n").encode()


__all__ = ["COLUMNS", "MAX_BYTES", "MAX_LINES", "ImportResult", "decode", "import_mentors",
           "read_lines", "template_csv"]
