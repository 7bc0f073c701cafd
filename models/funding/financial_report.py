"""The "compte rendu financier" of a convention (after Cerfa n° 15059), as a workbook.

Why the team only: the form lists every co-funder of the funded actions with its
amounts, which a funder's account must never read about another funder (see
``models.policy``: ``funding.manage``). The figures are the funding domain's own:
the actions a convention funds, directly or through a global axis allocation spread
pro rata to the budgets, come from :func:`models.funding.plan.programme_funding`
(``effective``), the convention's totals from
:func:`models.funding.queries.convention_finance`, and each funder's share of the
realised expenses from :func:`models.funding.rules.executed_share`, so the report
agrees with the co-financing plan and the convention page to the cent.

As in the other exports (:mod:`models.programme.exports`, :mod:`models.funding.exports`),
amounts are real numbers with a euro format, every total is a ``SUM`` formula over the
cells above it, and every user text goes through :func:`models.spreadsheet.safe_cell`
(via ``_put``/``_xl``).
"""

from __future__ import annotations

import io
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.errors import PermissionDenied
from models.formatting import format_date, format_money
from models.funding.enums import ConventionType, FunderType
from models.funding.orm import Convention, Funder
from models.funding.plan import ProgrammeFunding, programme_funding
from models.funding.queries import ConventionFinance, convention_finance
from models.funding.rules import executed_share
from models.network.queries import current_region
from models.policy import can
from models.programme.enums import BudgetCategory
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
from models.programme.orm import Action, Axis, BudgetLine, Objective, Programme

ZERO = Decimal("0.00")
REPORT_SHEET = "Compte rendu financier"
DETAIL_SHEET = "Détail par action"
CHARGES_TOTAL = "Total des charges"
PRODUITS_TOTAL = "Total des produits"
BALANCE_LABEL = "Solde (produits − charges)"
OTHER_CONVENTIONS = "autres conventions"

CHARGE_COLUMNS: tuple[Column, ...] = (
    Column("Charges (par catégorie)", 46), Column("Budget prévisionnel (€)", 20, MONEY_FMT),
    Column("Réalisé (€)", 18, MONEY_FMT), Column("Écart (€)", 16, MONEY_FMT),
    Column("Écart (%)", 12, RATE_FMT),
)
PRODUIT_COLUMNS: tuple[Column, ...] = (
    Column("Produits (par financeur)", 46), Column("Financement prévu (€)", 20, MONEY_FMT),
    Column("Part des dépenses réalisées (€)", 18, MONEY_FMT), Column("Écart (€)", 16, MONEY_FMT),
    Column("Écart (%)", 12, RATE_FMT), Column("Part des produits", 14, RATE_FMT),
    Column("Type de financeur", 28), Column("Convention(s)", 30),
)
DETAIL_COLUMNS: tuple[Column, ...] = (
    Column("Programme", 11, "0"), Column("Axe", 8), Column("Objectif", 9),
    Column("Action", 44), Column("Budget prévisionnel (€)", 18, MONEY_FMT),
    Column("Réalisé (€)", 16, MONEY_FMT),
    Column("Financement de la convention (€)", 18, MONEY_FMT),
    Column("Autres financeurs (€)", 18, MONEY_FMT),
    Column("Exécuté par la convention (€)", 18, MONEY_FMT),
)


# ---------------------------------------------------------------- figures
@dataclass
class ActionFigures:
    """One funded action: its budget and expenses, and who pays for it."""

    programme_year: int
    axis_number: int
    objective_code: str
    title: str
    budget: Decimal
    actual: Decimal
    this_convention: Decimal  # effective: direct + share of global axis funding
    others: Decimal  # every other convention's effective funding
    executed: Decimal  # this convention's share of the realised expenses


@dataclass
class FunderFigures:
    """One line of the produits: a funder (or the convention under report)."""

    label: str
    type: FunderType
    references: list[str]
    planned: Decimal = ZERO  # effective funding of the funded actions
    executed: Decimal = ZERO  # share of their realised expenses


@dataclass
class FinancialReport:
    convention: Convention
    finance: ConventionFinance
    arml_name: str
    region_name: str
    actions: list[ActionFigures]
    charges: list[tuple[BudgetCategory, Decimal, Decimal]]  # category, planned, actual
    produits: list[FunderFigures]  # the convention under report first
    unassigned: Decimal  # global axis funding with no budgeted action to spread onto
    today: date

    @property
    def budget(self) -> Decimal:
        return sum((a.budget for a in self.actions), ZERO)

    @property
    def funded(self) -> Decimal:
        return sum((p.planned for p in self.produits), ZERO)


def _dec(value: Any) -> Decimal:
    return Decimal(value if value is not None else 0).quantize(Decimal("0.01"))


def _require_manage(actor: Any) -> None:
    """The co-funders' amounts are the team's business (``actor=None``: trusted CLI)."""
    if actor is not None and not can(actor, "funding.manage"):
        raise PermissionDenied("Le compte rendu financier est réservé à l'équipe de l'ARML : "
                               "il détaille les montants de tous les cofinanceurs.")


def _fundings(session: Session, finance: ConventionFinance) -> dict[int, ProgrammeFunding]:
    """Each programme the convention has an allocation in, with its funding spread."""
    programme_ids = sorted({row.allocation.programme_id for row in finance.allocations})
    return {p: programme_funding(session, p) for p in programme_ids}


def _charges(session: Session, action_ids: set[int]
             ) -> list[tuple[BudgetCategory, Decimal, Decimal]]:
    """Planned and actual expenses of the funded actions by category (every category)."""
    sums: dict[BudgetCategory, tuple[Decimal, Decimal]] = {}
    if action_ids:
        for category, planned, actual in session.execute(
                select(BudgetLine.category, func.sum(BudgetLine.planned),
                       func.sum(func.coalesce(BudgetLine.actual, 0)))
                .where(BudgetLine.action_id.in_(action_ids)).group_by(BudgetLine.category)):
            sums[BudgetCategory(category)] = (_dec(planned), _dec(actual))
    return [(c, *sums.get(c, (ZERO, ZERO))) for c in BudgetCategory]


def _action_rows(session: Session, action_ids: set[int]) -> list[tuple[Any, ...]]:
    if not action_ids:
        return []
    return list(session.execute(
        select(Action.id, Action.programme_id, Programme.year, Axis.number, Objective.code,
               Action.title)
        .join(Programme, Programme.id == Action.programme_id)
        .join(Objective, Objective.id == Action.objective_id)
        .join(Axis, Axis.id == Objective.axis_id)
        .where(Action.id.in_(action_ids))
        .order_by(Programme.year, Objective.code, Action.start_date, Action.id)).all())


def build_report(session: Session, convention: Convention, today: date) -> FinancialReport:
    """The figures of the report (no permission check: see :func:`financial_report_xlsx`)."""
    finance = convention_finance(session, convention, today)
    fundings = _fundings(session, finance)
    action_ids = {a for pf in fundings.values() for (c, a), v in pf.effective.items()
                  if c == convention.id and v > 0}  # directly or through a global axis
    unassigned = sum((v for pf in fundings.values() for (c, _), v in pf.unassigned.items()
                      if c == convention.id), ZERO)

    # every convention's effective funding and executed share on the funded actions
    by_convention: dict[int, list[Decimal]] = defaultdict(lambda: [ZERO, ZERO])
    convention_funder: dict[int, int] = {}
    actions = []
    for action_id, programme_id, year, axis_number, code, title in _action_rows(
            session, action_ids):
        pf = fundings[programme_id]
        total_funded = pf.funded(action_id)
        mine = other = executed = ZERO
        for (conv_id, a), amount in pf.effective.items():
            if a != action_id:
                continue
            share = executed_share(pf.actuals[action_id], amount, total_funded)
            by_convention[conv_id][0] += amount
            by_convention[conv_id][1] += share
            convention_funder[conv_id] = pf.convention_funder[conv_id]
            if conv_id == convention.id:
                mine, executed = mine + amount, executed + share
            else:
                other += amount
        actions.append(ActionFigures(year, axis_number, code, title, pf.budgets[action_id],
                                     pf.actuals[action_id], mine, other, executed))

    region = current_region(session)
    return FinancialReport(
        convention=convention, finance=finance,
        arml_name=region.arml_name if region is not None else "ARML",
        region_name=region.name if region is not None else "",
        actions=actions, charges=_charges(session, action_ids),
        produits=_produits(session, convention, by_convention, convention_funder),
        unassigned=unassigned, today=today)


def _produits(session: Session, convention: Convention,
              by_convention: dict[int, list[Decimal]], convention_funder: dict[int, int]
              ) -> list[FunderFigures]:
    """The convention under report first, then the same funder's other conventions on the
    funded actions (one line), then each co-funder in the co-financing plan's order (type,
    name)."""
    funder_ids = set(convention_funder.values()) | {convention.funder_id}
    funders = sorted(session.scalars(select(Funder).where(Funder.id.in_(funder_ids))
                                     .order_by(Funder.type, Funder.name)),
                     key=lambda f: f.id != convention.funder_id)  # stable: own funder first
    references = dict(session.execute(select(Convention.id, Convention.reference)
                                      .where(Convention.id.in_(list(by_convention)))).all())
    own = next(f for f in funders if f.id == convention.funder_id)
    first = FunderFigures(own.name, FunderType(own.type), [convention.reference],
                          *by_convention.get(convention.id, [ZERO, ZERO]))
    lines = [first]
    for funder in funders:
        conv_ids = sorted((c for c, f in convention_funder.items()
                           if f == funder.id and c != convention.id),
                          key=lambda c: references.get(c, ""))
        if not conv_ids:
            continue
        label = (f"{funder.name} ({OTHER_CONVENTIONS})" if funder.id == convention.funder_id
                 else funder.name)
        lines.append(FunderFigures(
            label, FunderType(funder.type), [references[c] for c in conv_ids],
            sum((by_convention[c][0] for c in conv_ids), ZERO),
            sum((by_convention[c][1] for c in conv_ids), ZERO)))
    return lines


# ---------------------------------------------------------------- writing
def _period(convention: Convention) -> str:
    return f"du {format_date(convention.period_start)} au {format_date(convention.period_end)}"


def _header_block(ws: Worksheet, report: FinancialReport) -> int:
    """Title and the convention's identity; returns the last row written."""
    c, finance = report.convention, report.finance
    ws["A1"] = _xl(f"Compte rendu financier — convention {c.reference}")
    ws["A1"].font = Font(bold=True, size=14)
    ws["A2"] = _xl("D'après le Cerfa n° 15059 (compte rendu financier de subvention). "
                   "Document interne de l'équipe de l'ARML : il détaille les montants de tous "
                   "les cofinanceurs des actions financées.")
    rows: list[tuple[str, Any, str | None]] = [
        ("Organisme", report.arml_name, None),
        ("Région", report.region_name, None),
        ("Financeur", c.funder.name, None),
        ("Convention", c.reference, None),
        ("Objet", c.object, None),
        ("Type", ConventionType(c.type).label, None),
        ("Période", _period(c), None),
        ("Programme(s) financé(s)", c.years_label, None),
        ("Montant de la convention (€)", c.amount, MONEY_FMT),
        ("Affecté aux actions (€)", finance.allocated, MONEY_FMT),
        ("Part des dépenses réalisées (€)", finance.executed, MONEY_FMT),
        ("Données", f"données au {format_date(report.today)}", None),
    ]
    for row, (label, value, fmt) in enumerate(rows, start=4):
        _put(ws, row, [label, value], [None, fmt])
        ws.cell(row=row, column=1).font = BOLD
    return 3 + len(rows)


def _gap(row: int) -> list[Formula]:
    """Écart in euros (réalisé − prévu) and in percent of the planned amount."""
    return [Formula(f"=C{row}-B{row}"), Formula(f'=IF(B{row}=0,"",D{row}/B{row})')]


def _charges_table(ws: Worksheet, row: int, report: FinancialReport) -> int:
    """Returns the row of the total."""
    formats = [c.fmt for c in CHARGE_COLUMNS]
    _table_header(ws, row, CHARGE_COLUMNS)
    first = row + 1
    for category, planned, actual in report.charges:
        row += 1
        _put(ws, row, [category.label, planned, actual, *_gap(row)], formats)
    row += 1
    _put(ws, row, [CHARGES_TOTAL, Formula(f"=SUM(B{first}:B{row - 1})"),
                   Formula(f"=SUM(C{first}:C{row - 1})"), *_gap(row)], formats, bold=True)
    return row


def _produits_table(ws: Worksheet, row: int, report: FinancialReport) -> int:
    """Returns the row of the total (the header's widths win for columns F-H)."""
    formats = [c.fmt for c in PRODUIT_COLUMNS]
    _table_header(ws, row, PRODUIT_COLUMNS)
    first = row + 1
    total = first + len(report.produits)
    for line in report.produits:
        row += 1
        _put(ws, row, [line.label, line.planned, line.executed, *_gap(row),
                       Formula(f"=IF($B${total}=0,0,B{row}/$B${total})"), line.type.label,
                       ", ".join(line.references)], formats, bold=row == first)
    row += 1
    _put(ws, row, [PRODUITS_TOTAL, Formula(f"=SUM(B{first}:B{row - 1})"),
                   Formula(f"=SUM(C{first}:C{row - 1})"), *_gap(row),
                   Formula(f"=IF($B${total}=0,0,B{row}/$B${total})")], formats, bold=True)
    return row


def _report_sheet(ws: Worksheet, report: FinancialReport) -> None:
    ws.title = REPORT_SHEET
    row = _header_block(ws, report) + 2
    _put(ws, row, ["Charges des actions financées"], bold=True)
    charges_total = _charges_table(ws, row + 1, report)
    row = charges_total + 2
    _put(ws, row, ["Produits : financements de ces actions"], bold=True)
    produits_total = _produits_table(ws, row + 1, report)
    row = produits_total + 2
    _put(ws, row, [BALANCE_LABEL, Formula(f"=B{produits_total}-B{charges_total}"),
                   Formula(f"=C{produits_total}-C{charges_total}")],
         [None, MONEY_FMT, MONEY_FMT], bold=True)
    notes = [
        "Actions financées : celles auxquelles la convention est affectée, directement ou par "
        "un financement global de leur axe (réparti sur les actions de l'axe au prorata de "
        "leurs budgets, comme dans le plan de cofinancement).",
        "Part des dépenses réalisées : les dépenses réalisées de chaque action sont partagées "
        "entre ses financeurs au prorata de leur financement, sans dépasser celui-ci.",
        "Solde négatif : reste à financer (prévu) ou dépenses non couvertes (réalisé).",
    ]
    if report.unassigned:
        notes.append("Financement global de la convention non réparti (axe sans action "
                     "budgétée), hors produits ci-dessus : "
                     f"{format_money(report.unassigned)}.")
    row += 1
    for note in notes:
        row += 1
        _put(ws, row, [note])


def _detail_sheet(ws: Worksheet, report: FinancialReport) -> None:
    formats = [c.fmt for c in DETAIL_COLUMNS]
    _table_header(ws, 1, DETAIL_COLUMNS)
    row = 1
    for a in report.actions:
        row += 1
        _put(ws, row, [a.programme_year, f"Axe {a.axis_number}", a.objective_code, a.title,
                       a.budget, a.actual, a.this_convention, a.others, a.executed], formats)
    row += 1
    if report.actions:
        sums = [Formula(f"=SUM({col}2:{col}{row - 1})") for col in "EFGHI"]
    else:
        sums = [ZERO] * 5
    _put(ws, row, ["Total", "", "", "", *sums], formats, bold=True)
    ws.freeze_panes = "E2"


def financial_report_xlsx(session: Session, actor: Any, convention: Convention,
                          today: date) -> bytes:
    """The workbook: the compte rendu (charges, produits, balance), then one line per action.

    Refused (:class:`PermissionDenied`) to anyone outside the ARML team."""
    _require_manage(actor)
    report = build_report(session, convention, today)
    wb = Workbook()
    wb.properties.creator = "Animaréseau"
    wb.properties.title = ILLEGAL_CHARACTERS_RE.sub(
        "", f"Compte rendu financier — {convention.reference}")
    _report_sheet(wb.active, report)
    _detail_sheet(wb.create_sheet(DETAIL_SHEET), report)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def export_filename(convention: Convention) -> str:
    """``compte-rendu-financier-CRNA-2026-01.xlsx`` (the reference kept to safe characters)."""
    ascii_ref = unicodedata.normalize("NFKD", convention.reference).encode(
        "ascii", "ignore").decode()
    reference = re.sub(r"[^A-Za-z0-9._]+", "-", ascii_ref).strip("-.") or str(convention.id)
    return f"compte-rendu-financier-{reference}.xlsx"
