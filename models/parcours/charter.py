"""The regional data-entry charter, version 1, as data.

Each rule names a *kind* the engine knows (``engine.ROW_KINDS`` / ``engine.SET_KINDS``)
and its parameters. A later version adds, retires or re-grades rules by inserting a
new ``CharterVersion`` with its rules — no engine change as long as the kinds exist.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.parcours.orm import CharterRule, CharterVersion

CURRENT_NIVEAUX = ["1", "2", "3", "4", "5", "6", "7", "8"]
OLD_NIVEAUX = ["VI", "V BIS", "V", "IV", "III", "II", "I"]
EMPLOYMENT = ["EMPLOI_CDI", "EMPLOI_CDD", "INTERIM", "CONTRAT_AIDE", "APPRENTISSAGE",
              "CONTRAT_PRO"]

DIMENSION_LABELS = {
    "completude": "Complétude",
    "validite": "Validité",
    "unicite": "Unicité",
    "coherence": "Cohérence",
    "actualite": "Actualité",
}
SEVERITY_LABELS = {"erreur": "Erreur", "avertissement": "Avertissement"}

VERSION_1: dict[str, Any] = {
    "number": 1,
    "label": "Charte régionale de saisie — version 1",
    "effective_from": date(2026, 1, 1),
    "notes": "Règles Q01 à Q17 de la charte régionale de saisie Parcours / i-milo.",
    "rules": [
        {"code": "Q01", "kind": "date_required", "severity": "erreur",
         "dimension": "completude", "title": "Date de naissance absente ou invalide",
         "description": "La date de naissance est vide ou n'est pas une date réelle.",
         "params": {"file": "jeunes", "field": "date_naissance"}},
        {"code": "Q02", "kind": "age_at", "severity": "erreur", "dimension": "coherence",
         "title": "Moins de 16 ans au premier accueil",
         "description": "L'âge au premier accueil est inférieur à 16 ans.",
         "params": {"field": "date_premier_accueil", "min": 16}},
        {"code": "Q03", "kind": "age_at", "severity": "avertissement",
         "dimension": "coherence", "title": "Plus de 25 ans au premier accueil",
         "description": "L'âge au premier accueil dépasse 25 ans (26 ans ou plus) : "
                        "à justifier ou à corriger.",
         "params": {"field": "date_premier_accueil", "max": 25}},
        {"code": "Q04", "kind": "in_set", "severity": "erreur", "dimension": "validite",
         "title": "Sexe absent ou invalide",
         "description": "Le sexe doit valoir F ou H.",
         "params": {"file": "jeunes", "field": "sexe", "allowed": ["F", "H"]}},
        {"code": "Q05", "kind": "in_set", "severity": "erreur", "dimension": "validite",
         "title": "Niveau de formation absent ou inconnu",
         "description": "Le niveau de formation doit suivre la nomenclature 1 à 8 "
                        "(ou l'ancienne VI à I).",
         "params": {"file": "jeunes", "field": "niveau_formation",
                    "allowed": CURRENT_NIVEAUX + OLD_NIVEAUX}},
        {"code": "Q06", "kind": "not_in_set", "severity": "avertissement",
         "dimension": "validite", "title": "Niveau de formation dans l'ancienne nomenclature",
         "description": "Le niveau est saisi dans l'ancienne nomenclature (VI à I) : "
                        "à convertir dans la nomenclature 1 à 8.",
         "params": {"file": "jeunes", "field": "niveau_formation", "forbidden": OLD_NIVEAUX}},
        {"code": "Q07", "kind": "commune_postal", "severity": "erreur",
         "dimension": "validite", "title": "Commune ou code postal incohérents",
         "description": "Le code commune est absent ou mal formé, ou le code postal ne "
                        "correspond pas au département de la commune.",
         "params": {}},
        {"code": "Q08", "kind": "date_in_past", "severity": "erreur",
         "dimension": "validite", "title": "Date de premier accueil absente ou future",
         "description": "La date de premier accueil est vide, invalide, dans le futur ou "
                        "postérieure à la fin de l'extraction.",
         "params": {"file": "jeunes", "field": "date_premier_accueil"}},
        {"code": "Q09", "kind": "duplicate_identity", "severity": "erreur",
         "dimension": "unicite", "title": "Doublon probable dans la mission locale",
         "description": "La même identité (pseudonymisée) figure sous plusieurs "
                        "identifiants jeune dans la mission locale.",
         "params": {}},
        {"code": "Q10", "kind": "cross_ml_overlap", "severity": "avertissement",
         "dimension": "unicite", "title": "Suivi simultané dans deux missions locales",
         "description": "La même identité a des dispositifs qui se chevauchent dans deux "
                        "missions locales.",
         "params": {}},
        {"code": "Q11", "kind": "date_order", "severity": "erreur", "dimension": "coherence",
         "title": "Fin avant le début",
         "description": "Une situation ou un dispositif se termine avant d'avoir commencé.",
         "params": {"pairs": [["situations", "date_debut", "date_fin"],
                              ["dispositifs", "date_entree", "date_sortie"]]}},
        {"code": "Q12", "kind": "interval_overlap", "severity": "avertissement",
         "dimension": "coherence", "title": "Deux emplois qui se chevauchent",
         "description": "Deux situations d'emploi se chevauchent pour le même jeune.",
         "params": {"types": EMPLOYMENT}},
        {"code": "Q13", "kind": "date_window", "severity": "erreur", "dimension": "coherence",
         "title": "Dispositif hors de sa période d'existence",
         "description": "CEJ entré avant le 1er mars 2022, ou Garantie jeunes entrée après "
                        "le 28 février 2022.",
         "params": {"file": "dispositifs", "field": "date_entree", "by": "dispositif",
                    "windows": {"CEJ": ["2022-03-01", None],
                                "GARANTIE_JEUNES": [None, "2022-02-28"]}}},
        {"code": "Q14", "kind": "open_duplicates", "severity": "erreur",
         "dimension": "coherence", "title": "Deux CEJ ou deux PACEA ouverts",
         "description": "Le jeune a deux CEJ ouverts, ou deux PACEA ouverts, en même temps.",
         "params": {"values": ["CEJ", "PACEA"]}},
        {"code": "Q15", "kind": "stale_open", "severity": "avertissement",
         "dimension": "actualite", "title": "Dispositif ouvert sans événement récent",
         "description": "Dispositif ouvert sans aucun événement dans les 5 derniers mois de "
                        "la période : dossier non tenu à jour.",
         "params": {"months": 5}},
        {"code": "Q16", "kind": "orphan", "severity": "erreur", "dimension": "coherence",
         "title": "Ligne rattachée à un jeune absent",
         "description": "Un événement, une situation ou un dispositif désigne un "
                        "identifiant jeune absent du fichier jeunes.csv.",
         "params": {"files": ["evenements", "situations", "dispositifs"]}},
        {"code": "Q17", "kind": "date_in_period", "severity": "avertissement",
         "dimension": "actualite", "title": "Événement hors période",
         "description": "Un événement est daté hors de la période de l'extraction "
                        "(ou sa date est absente ou invalide).",
         "params": {"file": "evenements", "field": "date_evenement"}},
    ],
}

VERSIONS = [VERSION_1]


def install_charter(session: Session, definition: dict[str, Any]) -> CharterVersion:
    """Insert a charter version and its rules (idempotent on the version number)."""
    existing = session.scalar(
        select(CharterVersion).where(CharterVersion.number == definition["number"]))
    if existing is not None:
        return existing
    version = CharterVersion(number=definition["number"], label=definition["label"],
                             effective_from=definition["effective_from"],
                             notes=definition.get("notes", ""))
    for rule in definition["rules"]:
        version.rules.append(CharterRule(**rule))
    session.add(version)
    session.flush()
    return version


def current_version(session: Session) -> CharterVersion:
    """The highest-numbered charter version, installing version 1 on an empty database."""
    version = session.scalar(select(CharterVersion).order_by(CharterVersion.number.desc()))
    return version if version is not None else install_charter(session, VERSION_1)
