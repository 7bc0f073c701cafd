"""Data quality of the Parcours extracts (``/qualite/``): regional table, imports, one page
per mission locale with its findings, the charter, the thresholds."""

from flask import Blueprint

bp = Blueprint("quality", __name__, url_prefix="/qualite")

from webapp.quality import (  # noqa: E402,F401  (registers the routes)
    views,
    views_imports,
    views_ml,
)
