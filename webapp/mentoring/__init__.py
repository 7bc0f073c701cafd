"""/parrainage/: a mission locale's mentors, pseudonymous mentees and pairings; the team
reads every ML; the State's yearly table (protected) for everyone."""

from flask import Blueprint

bp = Blueprint("mentoring", __name__, url_prefix="/parrainage")

from webapp.mentoring import (  # noqa: E402,F401  (routes register on import)
    views_mentees,
    views_mentors,
    views_pairings,
    views_yearly,
)
