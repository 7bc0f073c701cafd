"""The State's yearly table of mentoring (/parrainage/tableau-annuel): the page and its
CSV and XLSX downloads, every cell protected by statistical secrecy
(``models.mentoring.yearly``); readable by every account, an ml account sees its own
column and the region."""

from __future__ import annotations

import re

from flask import Response, render_template, request
from flask_login import current_user

from models import clock
from models.mentoring import yearly as table_of
from models.mentoring.yearly_export import EXPORT_SHEET, export_header, export_rows
from models.spreadsheet import csv_text, xlsx_table
from webapp.access import access, ensure
from webapp.extensions import db
from webapp.mentoring import bp


def _year() -> int:
    """The asked year; garbage, or a year outside the table's range, is the current one."""
    years = table_of.available_years(db.session, clock.today())
    raw = request.args.get("annee", "").strip()
    # ASCII figures only: « ²⁰²⁶ » passes ``isdigit`` but not ``int`` (a 500)
    if re.fullmatch(r"[0-9]{4}", raw) and int(raw) in years:
        return int(raw)
    return clock.today().year


@bp.get("/tableau-annuel")
@access("mentoring.stats")
def yearly():
    year = _year()
    table = table_of.yearly_table(db.session, current_user, year)
    return render_template("mentoring/yearly.html", table=table, year=year,
                           years=table_of.available_years(db.session, clock.today()))


@bp.get("/tableau-annuel.<fmt>")
@access("mentoring.stats")
def yearly_export(fmt: str):
    ensure(fmt in ("csv", "xlsx"))
    year = _year()
    table = table_of.yearly_table(db.session, current_user, year)
    name = f"parrainage-tableau-annuel-{year}.{fmt}"
    if fmt == "csv":
        body: str | bytes = csv_text(export_header(table), export_rows(table))
        mimetype = "text/csv"
    else:
        body = xlsx_table(EXPORT_SHEET, export_header(table), export_rows(table))
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return Response(body, mimetype=mimetype,
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
