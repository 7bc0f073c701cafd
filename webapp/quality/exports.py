"""A mission locale's findings as CSV / XLSX, for correcting its records in Parcours.

French headers; every cell goes through ``safe_cell`` (a value typed in an extract must
never run as a formula in the spreadsheet it is opened in).
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from models.accounts.orm import User
from models.network.orm import MissionLocale
from models.parcours.charter import SEVERITY_LABELS
from models.parcours.orm import CharterRule, ParcoursExtract
from models.parcours.rules import MARK_LABELS
from models.spreadsheet import csv_text, safe_cell
from webapp.quality.labels import field_label, record_label

HEADER = ("Mission locale", "Période du", "Période au", "Règle", "Intitulé de la règle",
          "Gravité", "Identifiant jeune", "Champ", "Valeur", "Enregistrement",
          "Qualification", "Commentaire", "Qualifiée par")
WIDTHS = (12, 12, 12, 8, 40, 14, 16, 22, 24, 36, 20, 40, 20)


def rows_of(session: Session, ml: MissionLocale, extract: ParcoursExtract,
            stmt: Select) -> list[tuple[Any, ...]]:
    """One row per finding of ``stmt`` (findings with their marks), in its order."""
    titles = dict(session.execute(select(CharterRule.code, CharterRule.title).where(
        CharterRule.version_id == extract.charter_version_id)).all())
    found = session.execute(stmt).all()
    user_ids = {m.marked_by_id for _, m in found if m is not None and m.marked_by_id}
    names = dict(session.execute(select(User.id, User.full_name).where(
        User.id.in_(user_ids))).all()) if user_ids else {}
    return [(ml.code, extract.period_start, extract.period_end, f.rule_code,
             titles.get(f.rule_code, ""), SEVERITY_LABELS.get(f.severity, f.severity),
             f.id_jeune, field_label(f.field), f.value, record_label(f.record_key, f.id_jeune),
             MARK_LABELS.get(m.kind, m.kind) if m is not None else "",
             m.comment if m is not None else "",
             names.get(m.marked_by_id, "") if m is not None else "")
            for f, m in found]


def findings_csv(rows: list[tuple[Any, ...]]) -> str:
    return csv_text(HEADER, rows)


def _xlsx_cells(rows: list[tuple[Any, ...]]) -> Iterator[list[Any]]:
    for row in rows:
        cells = []
        for value in row:
            value = safe_cell(value)
            if isinstance(value, str):
                value = ILLEGAL_CHARACTERS_RE.sub("", value)
            cells.append(value)
        yield cells


def findings_xlsx(rows: list[tuple[Any, ...]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Anomalies"
    sheet.append(list(HEADER))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for index, width in enumerate(WIDTHS, start=1):
        sheet.column_dimensions[sheet.cell(row=1, column=index).column_letter].width = width
    for number, cells in enumerate(_xlsx_cells(rows), start=2):
        sheet.append(cells)
        for col in (2, 3):
            sheet.cell(row=number, column=col).number_format = "DD/MM/YYYY"
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = sheet.dimensions
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def export_filename(ml: MissionLocale, extract: ParcoursExtract | None, kind: str) -> str:
    period = (f"_{extract.period_start:%Y%m%d}_{extract.period_end:%Y%m%d}"
              if extract is not None else "")
    return f"anomalies_{ml.code}{period}.{kind}"
