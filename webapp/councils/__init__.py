"""/conseils/: director councils, working groups, collective projects and the one
decision register (/conseils/decisions)."""

from flask import Blueprint

bp = Blueprint("councils", __name__, url_prefix="/conseils")

from webapp.councils import (  # noqa: E402,F401  (routes register on import)
    views_agenda,
    views_decisions,
    views_meetings,
    views_minutes,
    views_projects,
)
