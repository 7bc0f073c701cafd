"""A charter rule's parameters in plain French, for the charter page.

Rules are data: a later version may use parameters this module does not know; they are
then listed as they are rather than hidden.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from models.formatting import format_date


def _file(name: str | None) -> str:
    return f"{name}.csv" if name else "le fichier"


def _values(values: list[Any]) -> str:
    return ", ".join(str(v) for v in values)


def _day(iso: str | None) -> str:
    return format_date(date.fromisoformat(iso)) if iso else ""


def _windows(windows: dict[str, list[str | None]]) -> str:
    parts = []
    for name, (start, end) in windows.items():
        if start and end:
            parts.append(f"{name} : entrée du {_day(start)} au {_day(end)}")
        elif start:
            parts.append(f"{name} : entrée à partir du {_day(start)}")
        elif end:
            parts.append(f"{name} : entrée jusqu'au {_day(end)}")
    return " ; ".join(parts)


def describe_params(kind: str, params: dict[str, Any]) -> list[str]:
    """One short French sentence per parameter group of a rule."""
    p = params or {}
    file, col = _file(p.get("file")), p.get("field", "")
    known: dict[str, list[str]] = {
        "date_required": [f"Colonne {col} de {file} : date JJ/MM/AAAA réelle, non vide."],
        "age_at": [f"Âge en années révolues à la date {col}"
                   + (f" : au moins {p['min']} ans." if "min" in p else "")
                   + (f" : au plus {p['max']} ans." if "max" in p else "")],
        "in_set": [f"Colonne {col} de {file} ; valeurs admises : {_values(p.get('allowed', []))}."],
        "not_in_set": [f"Colonne {col} de {file} ; valeurs signalées : "
                       f"{_values(p.get('forbidden', []))}."],
        "commune_postal": ["Code commune sur 5 caractères (2A/2B pour la Corse) ; le code "
                           "postal doit désigner le même département."],
        "date_in_past": [f"Colonne {col} de {file} : renseignée, ni dans le futur, ni après "
                         "la fin de la période de l'extraction."],
        "duplicate_identity": ["Comparaison des identités pseudonymisées (nom, prénom, date de "
                               "naissance) entre identifiants jeune d'une même mission locale."],
        "cross_ml_overlap": ["Comparaison des identités pseudonymisées entre missions locales, "
                             "sur les périodes des dispositifs (sortie vide = en cours)."],
        "date_order": [f"{_file(f)} : {end} ne précède pas {start}."
                       for f, start, end in p.get("pairs", [])],
        "interval_overlap": [f"Situations d'emploi : {_values(p.get('types', []))}."],
        "date_window": [_windows(p.get("windows", {})) + "."],
        "open_duplicates": [f"Dispositifs concernés : {_values(p.get('values', []))}."],
        "stale_open": [f"Fenêtre : les {p.get('months', '?')} derniers mois de la période."],
        "orphan": [f"Fichiers contrôlés : {_values(_file(f) for f in p.get('files', []))}."],
        "date_in_period": [f"Colonne {col} de {file} : date comprise dans la période de "
                           "l'extraction."],
    }
    if kind in known:
        return known[kind]
    return [f"{key} : {_values(value) if isinstance(value, list) else value}"
            for key, value in p.items()]
