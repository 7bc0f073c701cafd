"""Words for a finding's field and record, where the engine stores codes.

The engine keys each finding by a stable ``record_key`` (``J:…`` a young person, ``S:…`` a
situation, ``D:…`` a programme, ``E:…`` an event, ``O:…`` an orphan line) so that marks carry
over; the person correcting the record in i-milo needs to read which record it is.
"""

from __future__ import annotations

from datetime import date

FIELD_LABELS = {
    "id_jeune": "Identifiant jeune",
    "date_naissance": "Date de naissance",
    "sexe": "Sexe",
    "code_postal": "Code postal",
    "code_commune": "Code commune",
    "niveau_formation": "Niveau de formation",
    "date_premier_accueil": "Date de premier accueil",
    "logement": "Logement",
    "type_situation": "Type de situation",
    "date_debut": "Date de début de situation",
    "date_fin": "Date de fin de situation",
    "dispositif": "Dispositif",
    "date_entree": "Date d'entrée dans le dispositif",
    "date_sortie": "Date de sortie du dispositif",
    "motif_sortie": "Motif de sortie",
    "date_evenement": "Date d'événement",
    "type": "Type d'événement",
    "thematique": "Thématique de l'événement",
}


def field_label(field: str) -> str:
    """``date_naissance`` → « Date de naissance »; words already (Q09) get a capital."""
    if field in FIELD_LABELS:
        return FIELD_LABELS[field]
    if " " in field:
        return field[:1].upper() + field[1:]
    return field


def _day(iso: str) -> str:
    try:
        return date.fromisoformat(iso).strftime("%d/%m/%Y")
    except ValueError:
        return iso


def record_label(key: str, id_jeune: str) -> str:
    """The record a finding is about, in words (an unknown key is shown as it is)."""
    kind, _, rest = (key or "").partition(":")
    if kind == "O":
        file = rest.split(":", 1)[0]
        return f"Ligne de {file}.csv sans jeune dans jeunes.csv"
    prefix = f"{id_jeune}:"
    if kind == "J" and rest == id_jeune:
        return f"Jeune {id_jeune}"
    if not rest.startswith(prefix):
        return key
    rest = rest[len(prefix):]
    if kind == "J":
        return f"Jeune {id_jeune} — {rest}"
    if kind in ("S", "D"):
        day, _, what = rest.partition(":")
        if kind == "S":
            when = f"commencée le {_day(day)}" if day else "sans date de début"
            return f"Situation {what} {when}".replace("  ", " ")
        when = f"entré le {_day(day)}" if day else "sans date d'entrée"
        return f"Dispositif {what} {when}".replace("  ", " ")
    if kind == "E":
        parts = rest.rsplit(":", 2)
        if len(parts) != 3:
            return key
        day, type_, theme = parts
        what = f"{type_} ({theme})" if type_ and theme else (type_ or theme)
        when = f"du {day}" if day else "sans date"
        return " ".join(p for p in ("Événement", what, when) if p)
    return key
