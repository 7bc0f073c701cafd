"""Jinja filters: the templates format through ``models.formatting``, like everyone else."""

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
