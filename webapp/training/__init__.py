"""Regional training programme (``/formations/``): catalogue, sessions, registrations,
attendance and documents, evaluations."""

from flask import Blueprint

bp = Blueprint("training", __name__, url_prefix="/formations")

from webapp.training import (  # noqa: E402,F401  (registers the routes)
    views_catalogue,
    views_documents,
    views_evaluations,
    views_registrations,
    views_sessions,
)
