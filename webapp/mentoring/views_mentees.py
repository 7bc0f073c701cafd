"""Routes of /parrainage/ (filled in by its part of issue 16)."""

from flask import render_template

from webapp.access import access
from webapp.mentoring import bp


@bp.get("/filleuls")
@access("mentoring.view")
def mentees():  # stub: replaced by its part of issue 16
    return render_template("mentoring/index.html")
