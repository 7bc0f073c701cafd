"""/programmes/: the programme régional d'animation (programmes, actions, team, copil)."""

from flask import Blueprint

bp = Blueprint("programme", __name__, url_prefix="/programmes")

from webapp.programme import (  # noqa: E402,F401  (routes register on import)
    views_actions,
    views_copil,
    views_programme,
)
