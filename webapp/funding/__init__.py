"""Funding area (``/financements/``): funders, conventions, co-financing plan, deadlines,
staff-time justification."""

from flask import Blueprint

bp = Blueprint("funding", __name__, url_prefix="/financements")

from webapp.funding import (  # noqa: E402,F401  (registers the routes)
    views_conventions,
    views_funders,
    views_plan,
    views_reports,
    views_time,
)
