"""Routes of /parrainage/: the home page, pairings (filled in by its part of issue 16)."""

from flask import render_template

from webapp.access import access
from webapp.mentoring import bp


@bp.get("/")
@access("mentoring.view")
def index():
    return render_template("mentoring/index.html")


@bp.get("/binomes")
@access("mentoring.view")
def pairings():  # stub: replaced by its part of issue 16
    return render_template("mentoring/index.html")


@bp.get("/suivis")
@access("mentoring.view")
def follow_ups():  # stub: replaced by its part of issue 16
    return render_template("mentoring/index.html")
