"""The co-financing plan as a workbook (XLSX) and a flat CSV, for the copil and the funders.

Why a module of its own: a finance officer checks the plan in a spreadsheet, so
every amount is a real number with a euro format and every total is a ``SUM``
formula over the cells above it (never a typed-in figure), while the values in
the cells are exactly :func:`models.funding.plan.cofinancing_plan`'s, so the
formulas add up to the plan's totals. Funder names and action titles are user
text: they go through :func:`models.spreadsheet.safe_cell` like every value
(see :mod:`models.programme.exports`, whose cell writers are reused here).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from models.funding.plan import Plan, PlanAxis, PlanLine
from models.programme.exports import (
    BOLD,
    MONEY_FMT,
    RATE_FMT,
    Column,
    Formula,
    _put,
    _table_header,
    _xl,
)
from models.spreadsheet import csv_text

ZERO = Decimal("0.00")
PLAN_SHEET = "Plan de cofinancement"
FUNDER_SHEET = "Par financeur"
GLOBAL_LABEL = "Financement global de l'axe"
TOTAL_LABEL = "Total programme"
HEADER_ROW = 5  # rows 1-3: title, tolerance, balance; row 4 empty

LEAD_COLUMNS: tuple[Column, ...] = (
    Column("Axe", 9), Column("Objectif", 9), Column("Action", 42), Column("Statut", 11),
    Column("Budget (€)", 15, MONEY_FMT),
)
TAIL_COLUMNS: tuple[Column, ...] = (
    Column("Total financé (€)", 16, MONEY_FMT), Column("Écart (€)", 15, MONEY_FMT),
    Column("Équilibré", 10),
)
BUDGET_COL = 5  # column E


def _yes_no(value: bool) -> str:
    return "oui" if value else "non"


def tolerance_text(plan: Plan) -> str:
    """``1`` or ``2,5``: the tolerance in French, without useless decimals."""
    return f"{plan.tolerance_percent.normalize():f}".replace(".", ",")


def _columns(plan: Plan) -> list[Column]:
    funders = [Column(f"{f.name} (€)", max(14, min(len(f.name) + 4, 28)), MONEY_FMT)
               for f in plan.funders]
    return [*LEAD_COLUMNS, *funders, *TAIL_COLUMNS]


def _axis_balanced(axis: PlanAxis) -> bool:
    return not axis.unassigned and all(line.balanced for line in axis.lines)


def _shown(axis: PlanAxis) -> bool:
    """Axes with neither action nor funding would only add rows of zeros."""
    return bool(axis.lines or axis.unassigned)


# ---------------------------------------------------------------- XLSX
class _Matrix:
    """Writes the matrix rows; remembers where the funder and total columns are."""

    def __init__(self, ws: Worksheet, plan: Plan) -> None:
        self.ws, self.plan = ws, plan
        self.columns = _columns(plan)
        self.formats = [c.fmt for c in self.columns]
        self.first_funder = BUDGET_COL + 1
        self.last_funder = BUDGET_COL + len(plan.funders)
        self.total_col = self.last_funder + 1
        self.gap_col = self.total_col + 1

    def letter(self, col: int) -> str:
        return get_column_letter(col)

    def _row_total(self, row: int) -> Any:
        if not self.plan.funders:
            return ZERO
        first, last = self.letter(self.first_funder), self.letter(self.last_funder)
        return Formula(f"=SUM({first}{row}:{last}{row})")

    def _gap(self, row: int) -> Formula:
        return Formula(f"={self.letter(self.total_col)}{row}-{self.letter(BUDGET_COL)}{row}")

    def detail(self, row: int, lead: Sequence[Any], budget: Decimal | None,
               amounts: dict[int, Decimal], balanced: str) -> None:
        """An action (or the axis's global funding): funder amounts, then formulas."""
        funders = [amounts.get(f.id) or None for f in self.plan.funders]
        _put(self.ws, row, [*lead, budget, *funders, self._row_total(row), self._gap(row),
                            balanced], self.formats)

    def sums(self, row: int, label: str, rows: list[int], balanced: bool, *,
             ranged: bool) -> None:
        """A subtotal (``ranged``: SUM over a block of rows) or the grand total (a list)."""
        values: list[Any] = [label, "", "", ""]
        for col in range(BUDGET_COL, self.total_col + 1):
            letter = self.letter(col)
            if ranged:
                values.append(Formula(f"=SUM({letter}{rows[0]}:{letter}{rows[-1]})"))
            else:
                values.append(Formula("=SUM(" + ",".join(f"{letter}{r}" for r in rows) + ")"))
        values += [self._gap(row), _yes_no(balanced)]
        _put(self.ws, row, values, self.formats, bold=True)


def _plan_sheet(ws: Worksheet, plan: Plan) -> None:
    ws.title = PLAN_SHEET
    programme = plan.programme
    ws["A1"] = _xl(f"Plan de cofinancement — {programme.title}")
    ws["A1"].font = Font(bold=True, size=14)
    ws["A2"] = _xl(f"Tolérance : une action est équilibrée quand son financement s'écarte de "
                   f"son budget de {tolerance_text(plan)} % au plus. "
                   "Écart = total financé − budget (négatif : reste à financer ; "
                   "positif : excédent).")
    unbalanced = len(plan.unbalanced) + len(plan.unassigned_axes)
    ws["A3"] = _xl("Plan équilibré : oui" if plan.balanced else
                   f"Plan équilibré : non ({unbalanced} point(s) à corriger, "
                   "colonne « Équilibré »)")
    ws["A3"].font = BOLD
    matrix = _Matrix(ws, plan)
    _table_header(ws, HEADER_ROW, matrix.columns)
    row, subtotals = HEADER_ROW, []
    for axis in plan.axes:
        if not _shown(axis):
            continue
        short = f"Axe {axis.number}"
        first = row + 1
        for line in axis.lines:
            row += 1
            matrix.detail(row, [short, line.objective_code, line.title, line.status.label],
                          line.budget, line.by_funder, _yes_no(line.balanced))
        if axis.unassigned:
            row += 1
            matrix.detail(row, [short, "", f"{GLOBAL_LABEL} (aucune action budgétée pour le "
                                           "répartir)", ""], None, axis.unassigned, "non")
        row += 1
        matrix.sums(row, f"Sous-total {short}", [first, row - 1], _axis_balanced(axis),
                    ranged=True)
        subtotals.append(row)
    row += 1
    if subtotals:
        matrix.sums(row, TOTAL_LABEL, subtotals, plan.balanced, ranged=False)
    else:
        _put(ws, row, [TOTAL_LABEL, "", "", "", ZERO, ZERO, ZERO, _yes_no(plan.balanced)],
             matrix.formats, bold=True)
    ws.freeze_panes = f"D{HEADER_ROW + 1}"


def _funder_sheet(ws: Worksheet, plan: Plan) -> None:
    """Each funder's total and its share of the programme's funding (a formula)."""
    columns = (Column("Financeur", 40), Column("Type", 30),
               Column("Total financé (€)", 18, MONEY_FMT),
               Column("Part du financement du programme", 18, RATE_FMT))
    formats = [c.fmt for c in columns]
    _table_header(ws, 1, columns)
    total_row = len(plan.funders) + 2
    for row, funder in enumerate(plan.funders, start=2):
        _put(ws, row, [funder.name, funder.type.label, plan.by_funder(funder.id),
                       Formula(f"=IF($C${total_row}=0,0,C{row}/$C${total_row})")], formats)
    total = Formula(f"=SUM(C2:C{total_row - 1})") if plan.funders else ZERO
    share = Formula(f"=IF($C${total_row}=0,0,C{total_row}/$C${total_row})")
    _put(ws, total_row, [TOTAL_LABEL, "", total, share], formats, bold=True)
    _put(ws, total_row + 2, ["Budget du programme (€)", "", plan.budget], formats, bold=True)
    ws.freeze_panes = "A2"


def plan_xlsx(plan: Plan) -> bytes:
    """The workbook: the matrix actions × funders by axis, then one line per funder."""
    wb = Workbook()
    wb.properties.creator = "Animaréseau"
    wb.properties.title = ILLEGAL_CHARACTERS_RE.sub(
        "", f"Plan de cofinancement — {plan.programme.title}")
    _plan_sheet(wb.active, plan)
    _funder_sheet(wb.create_sheet(FUNDER_SHEET), plan)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


# ---------------------------------------------------------------- CSV
def _csv_row(lead: Sequence[Any], budget: Decimal | str, amounts: dict[int, Decimal],
             plan: Plan, funded: Decimal, gap: Decimal, balanced: str) -> list[Any]:
    return [*lead, budget, *(amounts.get(f.id, ZERO) for f in plan.funders), funded, gap,
            balanced]


def _line_row(line: PlanLine, plan: Plan) -> list[Any]:
    return _csv_row([f"Axe {line.axis_number}", line.objective_code, line.title,
                     line.status.label], line.budget, line.by_funder, plan, line.funded,
                    line.gap, _yes_no(line.balanced))


def plan_csv(plan: Plan) -> str:
    """One line per action with one column per funder, then each axis's subtotal and the
    programme total (semicolons, BOM, decimal comma: French Excel opens it as is). A funder
    that gives nothing to an action shows ``0,00``, so every column sums as it is."""
    header = [c.header for c in _columns(plan)]
    rows: list[list[Any]] = []
    for axis in plan.axes:
        if not _shown(axis):
            continue
        short = f"Axe {axis.number}"
        rows += [_line_row(line, plan) for line in axis.lines]
        if axis.unassigned:
            unassigned = sum(axis.unassigned.values(), ZERO)
            rows.append(_csv_row([short, "", GLOBAL_LABEL, ""], "", axis.unassigned, plan,
                                 unassigned, unassigned, "non"))
        rows.append(_csv_row([f"Sous-total {short}", "", "", ""], axis.budget,
                             {f.id: axis.by_funder(f.id) for f in plan.funders}, plan,
                             axis.funded, axis.funded - axis.budget,
                             _yes_no(_axis_balanced(axis))))
    rows.append(_csv_row([TOTAL_LABEL, "", "", ""], plan.budget,
                         {f.id: plan.by_funder(f.id) for f in plan.funders}, plan,
                         plan.funded, plan.funded - plan.budget, _yes_no(plan.balanced)))
    return csv_text(header, rows)


def export_filename(plan: Plan, ext: str) -> str:
    """``plan-de-cofinancement-2026.xlsx``."""
    return f"plan-de-cofinancement-{plan.programme.year}.{ext.lstrip('.')}"
