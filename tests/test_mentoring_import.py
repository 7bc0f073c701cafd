"""Parrainage, the mentor CSV import: Windows-1252 and UTF-8 files with accents, French
headers with or without accents, and every bad input of issue 16 (duplicate e-mails
differing in case, an empty e-mail, unknown values, bad dates) refused line by line — all
or nothing, proven by counting rows. SQLite and PostgreSQL (``database_url``)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from models.accounts.orm import User
from models.errors import PermissionDenied, ValidationFailed
from models.mentoring import imports, mentors
from models.mentoring.enums import MentorStatus, Sex
from models.mentoring.orm import Mentor

TODAY = date(2026, 11, 23)
HEADER = "nom;prénom;e-mail;téléphone;sexe;statut;secteur;commune;consentement le;" \
         "charte signée le;formé·e le;capacité"


def _csv(*lines: str, header: str = HEADER, encoding: str = "utf-8") -> bytes:
    return ("\r\n".join((header, *lines)) + "\r\n").encode(encoding)


GOOD = ("Lefèvre;Hélène;helene.lefevre@exemple.fr;06 12 34 56 78;F;retraitée;Hôtellerie"
        ";Libourne;05/01/2026;05/01/2026;01/02/2026;2",
        "Françoise;Jérôme;Jerome.Francoise@Exemple.FR;;H;en activité;Bâtiment;Saint-Émilion;"
        "10/03/2026;;;",
        "Cœur;Loïc;loic.coeur@exemple.fr;;homme;Autre;Œnologie;Coutras;1/4/2026;2/4/2026;;3")


@pytest.fixture
def env(session, world):
    ids = world["ids"]
    return {"s": session, "ids": ids, "ml": session.get(User, ids["ml"]),
            "team": session.get(User, ids["animateur"])}


def _count(s) -> int:
    s.expire_all()
    return s.scalar(select(func.count()).select_from(Mentor))


def _refused(env, data: bytes, *fragments: str, filename="parrains.csv") -> list[str]:
    s = env["s"]
    before = _count(s)
    with pytest.raises(ValidationFailed) as info:
        imports.import_mentors(s, env["ml"], data, filename, today=TODAY)
    s.rollback()
    messages = info.value.errors["file"]
    text = "\n".join(messages)
    for fragment in fragments:
        assert fragment in text, text
    assert _count(s) == before, "a refused file wrote something"
    return messages


@pytest.mark.parametrize("encoding", ["cp1252", "utf-8", "utf-8-sig"])
def test_accents_in_windows_1252_and_utf8(env, encoding):
    s = env["s"]
    result = imports.import_mentors(s, env["ml"], _csv(*GOOD, encoding=encoding),
                                    "parrains.csv", today=TODAY)
    s.commit()
    assert result.count == 3 and _count(s) == 3
    by_email = {m.email: m for m in s.scalars(select(Mentor))}
    helene = by_email["helene.lefevre@exemple.fr"]
    assert (helene.last_name, helene.first_name, helene.sector) == ("Lefèvre", "Hélène",
                                                                    "Hôtellerie")
    assert helene.status is MentorStatus.RETRAITE and helene.sex is Sex.FEMME
    assert helene.trained_on == date(2026, 2, 1) and helene.capacity == 2
    jerome = by_email["jerome.francoise@exemple.fr"]  # lower-cased like the form does
    assert jerome.commune == "Saint-Émilion" and jerome.capacity == 3
    assert jerome.charter_signed_on is None and jerome.status is MentorStatus.EN_ACTIVITE
    loic = by_email["loic.coeur@exemple.fr"]
    assert (loic.last_name, loic.sector) == ("Cœur", "Œnologie")  # œ exists in cp1252
    assert loic.consent_on == date(2026, 4, 1) and loic.status is MentorStatus.AUTRE
    assert {m.mission_locale_id for m in by_email.values()} == {env["ids"]["ml_a"]}


def test_the_cp1252_bytes_are_really_not_utf8(env):
    data = _csv(*GOOD, encoding="cp1252")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    assert "Cœur" in imports.decode(data) and "é" in imports.decode(data)


def test_header_variants_without_accents_and_in_capitals(env):
    header = "NOM;Prenom;Email;Telephone;Sexe;Statut;Secteur;Commune;Consentement le;" \
             "Charte signee le;Forme(e) le;Capacite"
    s = env["s"]
    result = imports.import_mentors(s, env["ml"], _csv(GOOD[0], header=header), "p.CSV",
                                    today=TODAY)
    assert result.count == 1 and result.mentors[0].trained_on == date(2026, 2, 1)


def test_optional_columns_may_be_left_out(env):
    header = "nom;prénom;e-mail;sexe;statut;consentement le"
    result = imports.import_mentors(env["s"], env["ml"], _csv(
        "Petit;Anne;anne.petit@exemple.fr;F;retraité;02/02/2026", header=header),
        "p.csv", today=TODAY)
    assert result.mentors[0].capacity == 3 and result.mentors[0].sector == ""


def test_duplicate_emails_differing_in_case_name_both_lines(env):
    messages = _refused(env, _csv(
        GOOD[0], GOOD[1],
        "Autre;Hélène;HELENE.Lefevre@exemple.FR;;F;retraitée;;;05/01/2026;;;"),
        "Ligne 2 : l'adresse helene.lefevre@exemple.fr figure aussi ligne 4.",
        "Ligne 4 : l'adresse helene.lefevre@exemple.fr figure déjà ligne 2")
    assert messages[0].startswith("Ligne 2")  # in the order of the file


def test_duplicate_of_an_existing_mentor_whatever_the_case(env):
    s = env["s"]
    mentors.create_mentor(s, None, mentors.MentorData(
        last_name="Déjà", first_name="Là", email="loic.coeur@exemple.fr", sex="m",
        status="autre", consent_on=date(2026, 1, 1), mission_locale_id=env["ids"]["ml_a"]),
        today=TODAY)
    s.commit()
    _refused(env, _csv(*GOOD[:2], GOOD[2].replace("loic.coeur", "LOIC.Coeur")),
             "Ligne 4 : Un parrain ou une marraine utilise déjà l'adresse "
             "loic.coeur@exemple.fr.")
    assert _count(s) == 1


def test_another_mls_mentor_with_the_same_email_is_neither_told_nor_refused(env):
    """The e-mail is unique within a mission locale: refusing another ML's address would
    tell this ML that the other one holds that volunteer."""
    s = env["s"]
    mentors.create_mentor(s, None, mentors.MentorData(
        last_name="Ailleurs", first_name="Là", email="loic.coeur@exemple.fr", sex="m",
        status="autre", consent_on=date(2026, 1, 1), mission_locale_id=env["ids"]["ml_b"]),
        today=TODAY)
    s.commit()
    result = imports.import_mentors(s, env["ml"], _csv(*GOOD), "p.csv", today=TODAY)
    s.commit()
    assert result.count == 3 and _count(s) == 4
    assert {m.mission_locale_id for m in result.mentors} == {env["ids"]["ml_a"]}


@pytest.mark.parametrize(("cell", "column"), [(6, "secteur"), (7, "commune"), (0, "nom"),
                                              (1, "prénom")])
def test_a_too_long_value_names_its_column(env, cell, column):
    cells = GOOD[0].split(";")
    cells[cell] = "x" * 121
    messages = _refused(env, _csv(";".join(cells)))
    assert messages == [f"Ligne 2 : {column} : 120 caractères au plus."]


@pytest.mark.parametrize("raw", ["²", "①", "1" * 5000, "٣"])
def test_a_capacity_in_other_figures_is_refused_in_french(env, raw):
    cells = GOOD[0].split(";")
    cells[11] = raw
    _refused(env, _csv(";".join(cells)), "Ligne 2 : capacité « ",
             "un nombre entier de 1 à 20 est attendu")


def test_an_empty_email_and_every_bad_value_all_or_nothing(env):
    messages = _refused(env, _csv(
        GOOD[0],
        "Sans;Adresse;;;F;retraitée;;;05/01/2026;;;",
        "Drôle;De Sexe;x1@exemple.fr;;X;retraitée;;;05/01/2026;;;",
        "Statut;Inconnu;x2@exemple.fr;;F;chômeur;;;05/01/2026;;;",
        "Date;Fausse;x3@exemple.fr;;F;autre;;;31/02/2026;2026/13/01;;",
        "Date;Future;x4@exemple.fr;;F;autre;;;05/01/2027;;;",
        "Capacité;Texte;x5@exemple.fr;;F;autre;;;05/01/2026;;;trois",
        "Capacité;Grande;x6@exemple.fr;;F;autre;;;05/01/2026;;;25",
        ";;x7@exemple.fr;;;;;;;;;",
        "Mail;Faux;pas-une-adresse;;F;autre;;;05/01/2026;;;"),
        "Ligne 3 : L'adresse e-mail est obligatoire.",
        "Ligne 4 : sexe « X » inconnu",
        "Ligne 5 : statut « chômeur » inconnu",
        "Ligne 6 : « consentement le » : « 31/02/2026 » n'est pas une date",
        "Ligne 6 : « charte signée le » : « 2026/13/01 » n'est pas une date",
        "Ligne 7 : La date du consentement ne peut pas être dans le futur.",
        "Ligne 8 : capacité « trois »",
        "Ligne 9 : Le nombre de filleul·es suivi·es en même temps doit être un entier",
        "Ligne 10 : Le nom est obligatoire.", "Ligne 10 : Le prénom est obligatoire.",
        "Ligne 10 : Indiquez le sexe", "Ligne 10 : La date du consentement",
        "Ligne 11 : Adresse e-mail invalide")
    # a bad date is told once (not also « obligatoire »), and the good line 2 is not named
    assert not any(m.startswith("Ligne 6 : La date du consentement") for m in messages)
    assert not any(m.startswith("Ligne 2 ") for m in messages)


def test_the_same_messages_as_the_form(env):
    data = mentors.MentorData(last_name="", first_name="A", email="", sex="f",
                              status="autre", consent_on=date(2026, 1, 1))
    form_messages = mentors.validation_errors(env["s"], data, today=TODAY)
    line = _refused(env, _csv(";A;;;F;autre;;;01/01/2026;;;"))
    assert line == [f"Ligne 2 : {m}" for key in ("last_name", "email")
                    for m in form_messages[key]]


@pytest.mark.parametrize(("data", "filename", "fragment"), [
    (b"", "p.csv", "Le fichier est vide"),
    (b"\r\n \r\n", "p.csv", "Le fichier est vide"),
    (HEADER.encode() + b"\r\n", "p.csv", "ne contient que la ligne d'en-tête"),
    (b"PK\x03\x04 rest of a zip", "p.xlsx", "Enregistrer sous"),
    (b"%PDF-1.7 \x00\x01", "p.pdf", "doit être un fichier CSV"),
    (b"nom;prenom\r\n", "notes.docx", "doit être un fichier CSV"),
    (b"nom,prenom,email\r\nA,B,c@d.fr\r\n", "p.csv", "points-virgules"),
    (b"nom;prenom;age\r\n", "p.csv", "Colonne « age » inconnue"),
    (b"nom;prenom;sexe\r\n", "p.csv", "absente(s) de la première ligne : e-mail, statut"),
    (b"nom;nom;prenom;email;sexe;statut;consentement\r\n", "p.csv", "figure deux fois"),
])
def test_bad_files(env, data, filename, fragment):
    _refused(env, data, fragment, filename=filename)


def test_size_limit(env, monkeypatch):
    monkeypatch.setattr(imports, "MAX_BYTES", 200)
    _refused(env, _csv(*GOOD), "Le fichier dépasse")


def test_too_many_cells_on_a_line(env):
    _refused(env, _csv(GOOD[0] + ";en trop"), "Ligne 2 : plus de cellules que de colonnes")


def test_the_team_does_not_import_and_an_ml_imports_only_into_its_own(env):
    s = env["s"]
    with pytest.raises(PermissionDenied):
        imports.import_mentors(s, env["team"], _csv(*GOOD), "p.csv", today=TODAY)
    with pytest.raises(PermissionDenied):
        imports.import_mentors(s, env["ml"], _csv(*GOOD), "p.csv",
                               mission_locale_id=env["ids"]["ml_b"], today=TODAY)
    s.rollback()
    assert _count(s) == 0
    # the command line names the mission locale
    result = imports.import_mentors(s, None, _csv(*GOOD), "p.csv",
                                    mission_locale_id=env["ids"]["ml_b"], today=TODAY)
    assert {m.mission_locale_id for m in result.mentors} == {env["ids"]["ml_b"]}


def test_the_template_reads_back(env):
    text = imports.decode(imports.template_csv())
    lines, problems = imports.read_lines(text)
    assert problems == ["Le fichier ne contient que la ligne d'en-tête : ajoutez une ligne "
                        "par parrain ou marraine."]
    assert text.split("\r\n")[0] == ";".join(imports.COLUMNS)
