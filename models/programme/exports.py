"""The programme as a workbook (XLSX) and a flat CSV, for the copil and the funders.

Why a module of its own: the finance officer and the DREETS rework the figures in
a spreadsheet, so numbers and dates must stay real numbers and dates (never
formatted text), totals must be checkable formulas, and nothing typed by a user may
ever run as a formula. Every value therefore goes through :func:`models.spreadsheet.
safe_cell`; the only formulas in the file are the ``SUM`` totals written here
(:class:`Formula`), never built from user text. Actions are read with eager loading
in a fixed number of queries, whatever their count.
"""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, selectinload

from models.formatting import format_number
from models.programme import queries
from models.programme.enums import ActionStatus, BudgetCategory, MemberStatus, ProgrammeStatus
from models.programme.orm import Action, ActionMissionLocale, Axis, Objective, Programme
from models.programme.rules import days_to_etp
from models.spreadsheet import csv_text, safe_cell

ZERO = Decimal("0.00")
DATE_FMT = "DD/MM/YYYY"
MONEY_FMT = "#,##0.00 €"
DAYS_FMT = "#,##0.00"
RATE_FMT = "0.0 %"
MAX_CELL = 32_767  # Excel refuses (and "repairs") longer cells
BOLD = Font(bold=True)


class Formula(str):
    """A formula written by this module; the only value that bypasses ``safe_cell``."""


@dataclass(frozen=True)
class Column:
    header: str
    width: int
    fmt: str | None = None


ACTION_COLUMNS: tuple[Column, ...] = (
    Column("Objectif (code)", 10),
    Column("Objectif (libellé)", 40),
    Column("Action", 40),
    Column("Description", 50),
    Column("Pilote", 22),
    Column("Début", 12, DATE_FMT),
    Column("Fin", 12, DATE_FMT),
    Column("Statut", 12),
    Column("Raison", 30),
    Column("Missions locales", 40),
    Column("Partenaires", 35),
    Column("Livrables (réalisés / total)", 14),
    Column("Livrables en retard", 12, "0"),
    Column("Indicateurs atteints", 14),
    Column("Budget prévu (€)", 16, MONEY_FMT),
    Column("Budget réalisé (€)", 16, MONEY_FMT),
    Column("Jours prévus", 12, DAYS_FMT),
    Column("Jours réalisés", 12, DAYS_FMT),
)


# ---------------------------------------------------------------- reading
def export_actions(session: Session, programme: Programme) -> list[Action]:
    """Every action of the programme with what the export shows, in a fixed number of queries."""
    stmt = (select(Action).join(Action.objective)
            .where(Action.programme_id == programme.id)
            .options(joinedload(Action.objective).joinedload(Objective.axis),
                     joinedload(Action.pilot),
                     selectinload(Action.ml_links).joinedload(ActionMissionLocale.mission_locale),
                     selectinload(Action.deliverables), selectinload(Action.indicators),
                     selectinload(Action.budget_lines), selectinload(Action.allocations))
            .order_by(Objective.code, Action.start_date, Action.id))
    return list(session.scalars(stmt).unique())


def _sort_key(text: str) -> str:
    """French reading order: case and accents ignored ("du Libournais" before "Pau")."""
    return "".join(c for c in unicodedata.normalize("NFKD", text)
                   if not unicodedata.combining(c)).casefold()


def _ratio_text(part: int, whole: int) -> str:
    # "1 sur 2", not "1/2": French Excel reads "1/2" in a CSV as the date 1st February.
    return f"{part} sur {whole}"


def action_row(action: Action, today: date) -> list[Any]:
    """The values of one action, in the order of :data:`ACTION_COLUMNS` (not yet escaped)."""
    planned, actual = queries.action_budget(action)
    days_planned = sum((a.planned_days for a in action.allocations), ZERO)
    days_actual = sum((a.actual_days or ZERO for a in action.allocations), ZERO)
    done = sum(1 for d in action.deliverables if d.done_date is not None)
    late = sum(1 for d in action.deliverables if d.is_late(today))
    reached = sum(1 for i in action.indicators if i.reached)
    mls = sorted((link.mission_locale.name for link in action.ml_links), key=_sort_key)
    return [
        action.objective.code, action.objective.title, action.title, action.description,
        action.pilot.full_name if action.pilot else "",
        action.start_date, action.end_date, ActionStatus(action.status).label,
        action.status_reason, ", ".join(mls), ", ".join(action.partners or []),
        _ratio_text(done, len(action.deliverables)), late,
        _ratio_text(reached, len(action.indicators)),
        planned, actual, days_planned, days_actual,
    ]


def etp_convention(programme: Programme) -> str:
    return (f"1 ETP = {format_number(programme.etp_hours)} heures "
            f"= {format_number(programme.etp_days)} jours")


# ---------------------------------------------------------------- writing cells
def _xl(value: Any) -> Any:
    """The value as stored in the workbook: escaped text, or a number/date/our formula."""
    if isinstance(value, Formula):
        return str(value)
    if isinstance(value, str):
        # Strip what XML cannot carry *before* escaping: "\x01=1+1" must not become "=1+1".
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
        if len(value) > MAX_CELL:
            value = value[:MAX_CELL - 1] + "…"
    value = safe_cell(value)
    return None if value == "" else value


def _put(ws: Worksheet, row: int, values: Sequence[Any],
         formats: Sequence[str | None] = (), *, bold: bool = False) -> None:
    for col, value in enumerate(values, start=1):
        cell = ws.cell(row=row, column=col, value=_xl(value))
        fmt = formats[col - 1] if col - 1 < len(formats) else None
        if fmt:
            cell.number_format = fmt
        if bold:
            cell.font = BOLD


def _table_header(ws: Worksheet, row: int, columns: Sequence[Column]) -> None:
    _put(ws, row, [c.header for c in columns], bold=True)
    for col, column in enumerate(columns, start=1):
        ws.column_dimensions[get_column_letter(col)].width = column.width


# ---------------------------------------------------------------- sheets
def _summary_sheet(ws: Worksheet, programme: Programme, overview: queries.Overview,
                   today: date) -> None:
    ws.title = "Programme"
    ws["A1"] = _xl(programme.title)
    ws["A1"].font = Font(bold=True, size=14)
    total = overview.total
    rows: list[tuple[str, Any, str | None]] = [
        ("Région", programme.region.name, None),
        ("Année", programme.year, "0"),
        ("Statut", ProgrammeStatus(programme.status).label, None),
        ("Convention de temps", etp_convention(programme), None),
        ("Actions", total.actions, "0"),
        ("Actions réalisées", total.done, "0"),
        ("Actions abandonnées", total.abandoned, "0"),
        ("Taux de réalisation (hors abandonnées)", total.done_rate, RATE_FMT),
        ("Actions en retard", total.late, "0"),
        ("Livrables en retard", total.late_deliverables, "0"),
        ("Indicateurs suivis", total.indicators, "0"),
        ("Indicateurs atteints", total.reached, "0"),
        ("Budget prévu (€)", total.planned, MONEY_FMT),
        ("Budget réalisé (€)", total.actual, MONEY_FMT),
        ("Jours prévus", total.planned_days, DAYS_FMT),
        ("Jours réalisés", total.actual_days, DAYS_FMT),
        ("ETP prévus", days_to_etp(total.planned_days, programme.etp_days), DAYS_FMT),
        ("Date de l'export", today, DATE_FMT),
    ]
    for i, (label, value, fmt) in enumerate(rows, start=3):
        _put(ws, i, [label, "—" if value is None else value], [None, fmt])
        ws.cell(row=i, column=1).font = BOLD
    row = len(rows) + 4
    axis_columns = (Column("Axe", 40), Column("Actions", 12, "0"), Column("Réalisées", 12, "0"),
                    Column("Budget prévu (€)", 18, MONEY_FMT),
                    Column("Budget réalisé (€)", 18, MONEY_FMT),
                    Column("Jours prévus", 14, DAYS_FMT), Column("Jours réalisés", 14, DAYS_FMT))
    _table_header(ws, row, axis_columns)
    for ap in overview.axes:
        row += 1
        p = ap.progress
        _put(ws, row, [str(ap.axis), p.actions, p.done, p.planned, p.actual, p.planned_days,
                       p.actual_days], [c.fmt for c in axis_columns])
    ws.column_dimensions["A"].width = 42
    ws.column_dimensions["B"].width = 36


def _axis_sheet(ws: Worksheet, actions: list[Action], today: date) -> None:
    _table_header(ws, 1, ACTION_COLUMNS)
    formats = [c.fmt for c in ACTION_COLUMNS]
    for row, action in enumerate(actions, start=2):
        _put(ws, row, action_row(action, today), formats)
    ws.freeze_panes = "A2"
    last = get_column_letter(len(ACTION_COLUMNS))
    ws.auto_filter.ref = f"A1:{last}{len(actions) + 1}"


def _budget_sheet(ws: Worksheet, session: Session, programme: Programme,
                  axes: list[Axis]) -> None:
    """Axis × category, with per-axis subtotals and a grand total as SUM formulas."""
    columns = (Column("Axe", 10), Column("Catégorie", 18),
               Column("Budget prévu (€)", 18, MONEY_FMT),
               Column("Budget réalisé (€)", 18, MONEY_FMT))
    formats = [c.fmt for c in columns]
    _table_header(ws, 1, columns)
    amounts = {(n, c): (p, a) for n, c, p, a in queries.budget_by_axis_and_category(
        session, programme)}
    row, subtotals = 1, []
    for axis in axes:
        first = row + 1
        for category in BudgetCategory:
            row += 1
            planned, actual = amounts.get((axis.number, category), (ZERO, ZERO))
            _put(ws, row, [axis.short, category.label, planned, actual], formats)
        row += 1
        _put(ws, row, [f"Sous-total {axis.short}", "",
                       Formula(f"=SUM(C{first}:C{row - 1})"),
                       Formula(f"=SUM(D{first}:D{row - 1})")], formats, bold=True)
        subtotals.append(row)
    row += 1
    _put(ws, row, ["Total programme", "",
                   Formula("=SUM(" + ",".join(f"C{r}" for r in subtotals) + ")"),
                   Formula("=SUM(" + ",".join(f"D{r}" for r in subtotals) + ")")],
         formats, bold=True)
    ws.freeze_panes = "A2"


def _etp_sheet(ws: Worksheet, session: Session, programme: Programme) -> None:
    ws["A1"] = _xl("Convention : " + etp_convention(programme))
    ws["A1"].font = BOLD
    columns = (Column("Nom", 26), Column("Fonction", 28), Column("Statut", 20),
               Column("ETP contrat", 12, "0.00"), Column("Capacité (jours)", 14, DAYS_FMT),
               Column("Jours prévus", 14, DAYS_FMT), Column("ETP prévus", 12, "0.00"),
               Column("Jours réalisés", 14, DAYS_FMT), Column("Dépassement", 13))
    formats = [c.fmt for c in columns]
    _table_header(ws, 3, columns)
    row = 3
    for load in queries.member_loads(session, programme):
        row += 1
        m = load.member
        _put(ws, row, [m.full_name, m.function, MemberStatus(m.status).label, m.contract_etp,
                       load.capacity_days, load.planned_days, load.planned_etp,
                       load.actual_days, load.over], formats)
    ws.freeze_panes = "A4"
    row += 2
    _put(ws, row, ["Jours par axe et par membre"], bold=True)
    row += 1
    _put(ws, row, ["Axe", "Membre", "Jours prévus", "Jours réalisés"], bold=True)
    for number, name, planned, actual in queries.days_by_axis_and_member(session, programme):
        row += 1
        _put(ws, row, [f"Axe {number}", name, planned, actual], [None, None, DAYS_FMT, DAYS_FMT])


# ---------------------------------------------------------------- entry points
def programme_xlsx(session: Session, programme: Programme, today: date) -> bytes:
    """The workbook: summary, one sheet per axis, budget, staff time (ETP)."""
    actions = export_actions(session, programme)
    overview = queries.overview(session, programme, today)
    wb = Workbook()
    wb.properties.creator = "Animaréseau"
    wb.properties.title = ILLEGAL_CHARACTERS_RE.sub("", programme.title)
    _summary_sheet(wb.active, programme, overview, today)
    axes = [ap.axis for ap in overview.axes]
    for axis in axes:
        ws = wb.create_sheet(axis.short)
        _axis_sheet(ws, [a for a in actions if a.objective.axis_id == axis.id], today)
    _budget_sheet(wb.create_sheet("Budget"), session, programme, axes)
    _etp_sheet(wb.create_sheet("ETP"), session, programme)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def programme_csv(session: Session, programme: Programme, today: date) -> str:
    """Every action on one line (semicolons, BOM, decimal comma: French Excel opens it as is)."""
    header = ["Axe"] + [c.header for c in ACTION_COLUMNS]
    rows = [[a.objective.axis.short, *action_row(a, today)]
            for a in export_actions(session, programme)]
    return csv_text(header, rows)


def export_filename(programme: Programme, ext: str) -> str:
    """``programme-2026.xlsx``."""
    return f"programme-{programme.year}.{ext.lstrip('.')}"
