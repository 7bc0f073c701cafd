"""Jinja filters: the templates format through ``models.formatting``, like everyone else."""

import re

from flask import Flask

from models import formatting
from models.accounts.roles import Role
from models.money import decimal_to_input
from models.network.departements import departement_label


def _role_label(value) -> str:
    try:
        return Role(value).label
    except ValueError:
        return str(value)


def register(app: Flask) -> None:
    app.add_template_filter(formatting.format_date, "date_fr")
    app.add_template_filter(formatting.format_datetime, "datetime_fr")
    app.add_template_filter(formatting.format_money, "euros")
    app.add_template_filter(formatting.format_number, "nombre")
    app.add_template_filter(formatting.format_ratio, "pourcent")
    app.add_template_filter(decimal_to_input, "saisie")
    app.add_template_filter(_role_label, "role_label")
    app.add_template_filter(departement_label, "departement")
    app.add_template_filter(ml_short, "ml_short")


_ML_PREFIX = re.compile(r"^[Mm]ission locale (?:(?:de la |du |des |de l'|de |d'))?")


def ml_short(name: str) -> str:
    """« Mission locale du Libournais » → « Libournais »: wide tables of MLs stay legible
    (the full name is in the header's title)."""
    short = _ML_PREFIX.sub("", name or "").strip()
    return short[:1].upper() + short[1:] if short else (name or "")
