"""The co-financing plan exports (XLSX, CSV): real amounts, totals that are formulas and add
up to the plan's totals, global axis funding shown, no formula injection.

The formulas are checked by evaluating them from the cells (a tiny evaluator for the few
forms the export writes), so a SUM over the wrong rows or columns fails the test.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from models.audit import set_actor
from models.funding.allocations import AllocationData, save_allocation
from models.funding.exports import export_filename, plan_csv, plan_xlsx
from models.funding.orm import Convention
from models.funding.plan import cofinancing_plan
from models.funding.services import (
    ConventionData,
    FunderData,
    save_convention,
    save_funder,
    set_tolerance,
)
from models.network.orm import Region
from models.programme.items import BudgetLineData, delete_item, save_item
from models.programme.orm import Action, Axis, Programme
from models.programme.reference import ensure_reference
from models.programme.services import (
    ActionData,
    ProgrammeData,
    create_action,
    create_programme,
    delete_action,
)

D = Decimal
MONEY_FMT = "#,##0.00 €"
INJECTED_FUNDER = '=HYPERLINK("http://exemple.test","FSE")'
HEADER_ROW = 5
FSE_HEADER = "'" + INJECTED_FUNDER + " (€)"  # what the export writes: escaped, so text


# ---------------------------------------------------------------- data
@pytest.fixture
def plan_world(session, funding_world):
    """funding_world plus an FSE funder (named like a formula) whose convention funds:
    axis 1 globally (no action there: unassigned), a new action "=1+1" on axis 2 partly
    (3 000 of 5 000) and axis 3 globally (spread onto the observatory: a surplus).

    Expected: axis 1 budget 0, funded 2 000; axis 2 budget 15 000, funded 13 000;
    axis 3 budget 20 000, funded 21 000,50; programme 35 000 / 36 000,50;
    by funder: Région 10 000, DREETS 20 000, FSE 6 000,50.
    """
    ids = funding_world["ids"]
    s = session
    set_actor(s, None, via="cli")
    codes = ensure_reference(s)
    programme = s.get(Programme, ids["programme"])
    axis = {a.number: a.id for a in s.scalars(select(Axis))}
    fse = save_funder(s, None, None, FunderData(name=INJECTED_FUNDER, type="fse"))
    conv = save_convention(s, None, None, ConventionData(
        funder_id=fse.id, reference="FSE-2026-03", object="Appui FSE", type="projet",
        amount=D("12000.00"), first_year=2026, last_year=2026, period_start=date(2026, 1, 1),
        period_end=date(2026, 12, 31), signature_date=date(2026, 1, 20), status="signee"))
    action_c = create_action(s, None, programme, ActionData(
        objective_id=codes["2.1"], title="=1+1", start_date=date(2026, 4, 1),
        end_date=date(2026, 5, 31)))
    save_item(s, None, action_c, BudgetLineData(category="autres", planned=D("5000.00")))
    # Global funding only goes where there is budget left: give axes 1 and 3 room for it,
    # then take that budget away again (what a real year does when plans change).
    action_1 = create_action(s, None, programme, ActionData(
        objective_id=codes["1.1"], title="Provisoire", start_date=date(2026, 4, 1),
        end_date=date(2026, 5, 31)))
    room_1 = save_item(s, None, action_1, BudgetLineData(category="autres", planned=D("2000")))
    room_3 = save_item(s, None, s.get(Action, ids["action_b"]),
                       BudgetLineData(category="autres", planned=D("1000.50")))
    for target, amount in (({"axis_id": axis[1]}, "2000.00"),
                           ({"action_id": action_c.id}, "3000.00"),
                           ({"axis_id": axis[3]}, "1000.50")):
        save_allocation(s, None, conv, None, AllocationData(
            programme_id=programme.id, action_id=target.get("action_id"),
            axis_id=target.get("axis_id"), amount=D(amount)))
    delete_item(s, None, action_1, room_1)
    delete_action(s, None, action_1)
    delete_item(s, None, s.get(Action, ids["action_b"]), room_3)
    s.commit()
    ids.update(funder_c=fse.id, action_c=action_c.id)
    return funding_world


def _plan(session, ids):
    return cofinancing_plan(session, session.get(Programme, ids["programme"]))


def _workbook(plan):
    return load_workbook(io.BytesIO(plan_xlsx(plan)))


def _dec(value) -> Decimal:
    return Decimal(str(value)).quantize(D("0.01"))


# ---------------------------------------------------------------- formula evaluator
def _cell(ws, ref: str) -> Decimal:
    value = ws[ref.replace("$", "")].value
    if value is None:
        return D("0.00")
    if isinstance(value, str):
        assert value.startswith("="), f"{ws.title}!{ref} holds text {value!r}, not a number"
        return evaluate(ws, value)
    return _dec(value)


def evaluate(ws, formula: str) -> Decimal:
    """The value of one of the export's formulas: =SUM(…), =A1-B1 or =IF($C$n=0,0,A1/$C$n)."""
    if m := re.fullmatch(r"=SUM\((.+)\)", formula):
        total = D("0.00")
        for part in m.group(1).split(","):
            if ":" in part:
                for row in ws[part]:
                    for cell in row:
                        total += _cell(ws, cell.coordinate)
            else:
                total += _cell(ws, part)
        return total
    if m := re.fullmatch(r"=([A-Z]+\d+)-([A-Z]+\d+)", formula):
        return _cell(ws, m.group(1)) - _cell(ws, m.group(2))
    if m := re.fullmatch(r"=IF\((\$C\$\d+)=0,0,([A-Z]+\d+)/(\$C\$\d+)\)", formula):
        assert m.group(1) == m.group(3)
        whole = _cell(ws, m.group(1))
        return D(0) if whole == 0 else _cell(ws, m.group(2)) / whole
    raise AssertionError(f"unexpected formula {formula!r}")


def _rows(ws) -> dict[str, int]:
    """{label in column A or C: row number} below the header."""
    out = {}
    for row in range(HEADER_ROW + 1, ws.max_row + 1):
        for col in ("C", "A"):
            value = ws[f"{col}{row}"].value
            if value and value not in ("Axe 1", "Axe 2", "Axe 3"):
                out.setdefault(value, row)
                break
    return out


def _funder_header(name: str) -> str:
    return ("'" if name.startswith("=") else "") + f"{name} (€)"


def _columns(ws) -> dict[str, str]:
    """{header: column letter} of the matrix."""
    return {c.value: c.column_letter for c in ws[HEADER_ROW] if c.value}


# ---------------------------------------------------------------- XLSX
def test_matrix_header_lines_and_formats(session, plan_world):
    ids = plan_world["ids"]
    plan = _plan(session, ids)
    wb = _workbook(plan)
    assert wb.sheetnames == ["Plan de cofinancement", "Par financeur"]
    ws = wb["Plan de cofinancement"]
    header = [c.value for c in ws[HEADER_ROW]]
    funder_headers = [f"{f.name} (€)" for f in plan.funders]
    assert len(funder_headers) == 3
    assert header[:5] == ["Axe", "Objectif", "Action", "Statut", "Budget (€)"]
    assert header[-3:] == ["Total financé (€)", "Écart (€)", "Équilibré"]
    # the formula-like funder name is a text header, never a formula
    assert set(header[5:-3]) == {"Conseil régional Nouvelle-Aquitaine (€)",
                                 "DREETS Nouvelle-Aquitaine (€)", FSE_HEADER}
    assert all(c.font.bold for c in ws[HEADER_ROW])
    assert ws.freeze_panes == "D6"
    assert ws.column_dimensions["C"].width == 42

    col, rows = _columns(ws), _rows(ws)
    qvt = rows["Cluster QVT des missions locales"]
    assert [ws[f"{c}{qvt}"].value for c in "ABD"] == ["Axe 2", "2.2", "Prévue"]
    budget = ws[f"{col['Budget (€)']}{qvt}"]
    assert budget.data_type == "n" and budget.number_format == MONEY_FMT
    assert _dec(budget.value) == D("10000.00")
    region = ws[f"{col['Conseil régional Nouvelle-Aquitaine (€)']}{qvt}"]
    assert _dec(region.value) == D("10000.00") and region.number_format == MONEY_FMT
    assert ws[f"{col['DREETS Nouvelle-Aquitaine (€)']}{qvt}"].value is None  # nothing from it
    assert ws[f"{col['Équilibré']}{qvt}"].value == "oui"

    injected = rows["'=1+1"]
    assert ws[f"C{injected}"].data_type == "s"
    assert ws[f"A{injected}"].value == "Axe 2" and ws[f"B{injected}"].value == "2.1"
    assert ws[f"{col['Équilibré']}{injected}"].value == "non"
    # the observatory gets the DREETS convention plus the FSE's axis-3 funding, spread
    obs = rows["Observatoire régional des parcours"]
    assert _dec(ws[f"{col['DREETS Nouvelle-Aquitaine (€)']}{obs}"].value) == D("20000.00")
    assert _dec(ws[f"{col[FSE_HEADER]}{obs}"].value) == D("1000.50")
    # order: axis by axis, each closed by its subtotal, then the programme total
    labels = [ws[f"A{r}"].value if str(ws[f"A{r}"].value).startswith(("Sous", "Total"))
              else ws[f"C{r}"].value for r in range(HEADER_ROW + 1, ws.max_row + 1)]
    assert labels == [
        "Financement global de l'axe (aucune action budgétée pour le répartir)",
        "Sous-total Axe 1",
        "'=1+1", "Cluster QVT des missions locales", "Sous-total Axe 2",  # by objective
        "Observatoire régional des parcours", "Sous-total Axe 3",
        "Total programme"]


def test_every_total_is_a_formula_equal_to_the_plan(session, plan_world):
    ids = plan_world["ids"]
    plan = _plan(session, ids)
    ws = _workbook(plan)["Plan de cofinancement"]
    col, rows = _columns(ws), _rows(ws)
    total_col, gap_col, budget_col = (col["Total financé (€)"], col["Écart (€)"],
                                      col["Budget (€)"])
    funder_col = {f.id: col[_funder_header(f.name)] for f in plan.funders}

    def formula(ref: str) -> Decimal:
        cell = ws[ref]
        assert cell.data_type == "f", f"{ref} = {cell.value!r} is not a formula"
        assert cell.number_format == MONEY_FMT
        return evaluate(ws, cell.value)

    for line in plan.lines:
        row = rows[line.title if not line.title.startswith("=") else f"'{line.title}"]
        assert formula(f"{total_col}{row}") == line.funded
        assert formula(f"{gap_col}{row}") == line.gap
        for funder in plan.funders:
            assert _cell(ws, f"{funder_col[funder.id]}{row}") == \
                line.by_funder.get(funder.id, D("0.00"))
    for axis in plan.axes:
        if not (axis.lines or axis.unassigned):
            continue
        row = rows[f"Sous-total Axe {axis.number}"]
        assert formula(f"{budget_col}{row}") == axis.budget
        assert formula(f"{total_col}{row}") == axis.funded
        assert formula(f"{gap_col}{row}") == axis.funded - axis.budget
        for funder in plan.funders:
            assert formula(f"{funder_col[funder.id]}{row}") == axis.by_funder(funder.id)
    row = rows["Total programme"]
    assert ws[f"{budget_col}{row}"].value.startswith("=SUM(") and "," in \
        ws[f"{budget_col}{row}"].value  # a SUM of the subtotals, not of every line
    assert formula(f"{budget_col}{row}") == plan.budget == D("35000.00")
    assert formula(f"{total_col}{row}") == plan.funded == D("36000.50")
    assert formula(f"{gap_col}{row}") == D("1000.50")
    by_funder = {f.name: formula(f"{funder_col[f.id]}{row}") for f in plan.funders}
    assert by_funder == {"Conseil régional Nouvelle-Aquitaine": D("10000.00"),
                         "DREETS Nouvelle-Aquitaine": D("20000.00"),
                         INJECTED_FUNDER: D("6000.50")}
    assert ws[f"{col['Équilibré']}{row}"].value == "non"
    assert ws[f"A{row}"].font.bold


def test_global_axis_funding_row_and_balance_are_stated(session, plan_world):
    ids = plan_world["ids"]
    plan = _plan(session, ids)
    ws = _workbook(plan)["Plan de cofinancement"]
    col, rows = _columns(ws), _rows(ws)
    row = rows["Financement global de l'axe (aucune action budgétée pour le répartir)"]
    assert ws[f"A{row}"].value == "Axe 1"
    assert ws[f"{col['Budget (€)']}{row}"].value is None
    assert _dec(ws[f"{col[FSE_HEADER]}{row}"].value) == D("2000.00")
    assert evaluate(ws, ws[f"{col['Total financé (€)']}{row}"].value) == D("2000.00")
    assert ws[f"{col['Équilibré']}{row}"].value == "non"
    assert ws["A1"].value == "Plan de cofinancement — Programme régional 2026"
    assert "de 1 % au plus" in ws["A2"].value
    # two actions out of tolerance (=1+1 and the observatory) and one unassigned axis
    assert ws["A3"].value.startswith("Plan équilibré : non (3 point(s) à corriger")


def test_tolerance_is_the_admins(session, plan_world):
    ids = plan_world["ids"]
    set_tolerance(session, None, session.get(Region, ids["region"]), D("2.5"))
    session.commit()
    ws = _workbook(_plan(session, ids))["Plan de cofinancement"]
    assert "de 2,5 % au plus" in ws["A2"].value


def test_balanced_plan_without_global_funding(session, funding_world):
    plan = _plan(session, funding_world["ids"])
    ws = _workbook(plan)["Plan de cofinancement"]
    assert ws["A3"].value == "Plan équilibré : oui"
    rows = _rows(ws)
    assert "Sous-total Axe 1" not in rows  # an axis with neither action nor funding
    assert not [r for r in rows if str(r).startswith("Financement global")]
    col = _columns(ws)
    total = rows["Total programme"]
    assert evaluate(ws, ws[f"{col['Total financé (€)']}{total}"].value) == D("30000.00")
    assert evaluate(ws, ws[f"{col['Écart (€)']}{total}"].value) == D("0.00")
    assert ws[f"{col['Équilibré']}{total}"].value == "oui"


def test_funder_sheet_shares_are_formulas(session, plan_world):
    plan = _plan(session, plan_world["ids"])
    ws = _workbook(plan)["Par financeur"]
    assert [c.value for c in ws[1]] == ["Financeur", "Type", "Total financé (€)",
                                        "Part du financement du programme"]
    assert ws.freeze_panes == "A2"
    lines = {ws[f"A{r}"].value: r for r in range(2, 5)}
    assert set(lines) == {"Conseil régional Nouvelle-Aquitaine", "DREETS Nouvelle-Aquitaine",
                          f"'{INJECTED_FUNDER}"}
    fse = lines[f"'{INJECTED_FUNDER}"]
    assert ws[f"B{fse}"].value == "FSE"
    assert ws[f"B{lines['DREETS Nouvelle-Aquitaine']}"].value == "État / DREETS"
    assert _dec(ws[f"C{fse}"].value) == D("6000.50")
    assert ws[f"C{fse}"].number_format == MONEY_FMT
    assert ws[f"D{fse}"].data_type == "f" and ws[f"D{fse}"].number_format == "0.0 %"
    assert evaluate(ws, ws[f"D{fse}"].value) == D("6000.50") / D("36000.50")
    assert ws["A5"].value == "Total programme"
    assert evaluate(ws, ws["C5"].value) == plan.funded
    assert evaluate(ws, ws["D5"].value) == 1
    shares = sum(evaluate(ws, ws[f"D{r}"].value) for r in range(2, 5))
    assert abs(shares - 1) < D("1e-20")
    assert ws["A7"].value == "Budget du programme (€)" and _dec(ws["C7"].value) == D("35000.00")


def test_only_our_formulas_are_in_the_workbook(session, plan_world):
    """User text (funder name, action title) never becomes a formula."""
    wb = _workbook(_plan(session, plan_world["ids"]))
    ours = re.compile(r"=SUM\([A-Z0-9:,]+\)|=[A-Z]+\d+-[A-Z]+\d+"
                      r"|=IF\(\$C\$\d+=0,0,C\d+/\$C\$\d+\)")
    formulas = 0
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    formulas += 1
                    assert ours.fullmatch(cell.value), (ws.title, cell.coordinate, cell.value)
                elif isinstance(cell.value, str):
                    assert not cell.value.startswith(("=", "+", "-", "@")), cell.value
    assert formulas > 20


def test_programme_without_action_exports_an_empty_plan(session, funding_world):
    set_actor(session, None, via="cli")
    region = session.get(Region, funding_world["ids"]["region"])
    programme = create_programme(session, None, region, ProgrammeData("Programme 2027", 2027))
    session.commit()
    plan = cofinancing_plan(session, programme)
    ws = _workbook(plan)["Plan de cofinancement"]
    assert [c.value for c in ws[HEADER_ROW]] == ["Axe", "Objectif", "Action", "Statut",
                                                 "Budget (€)", "Total financé (€)", "Écart (€)",
                                                 "Équilibré"]
    assert [c.value for c in ws[HEADER_ROW + 1]] == ["Total programme", None, None, None, 0, 0,
                                                     0, "oui"]
    rows = list(csv.reader(io.StringIO(plan_csv(plan)[1:]), delimiter=";"))
    assert rows[1] == ["Total programme", "", "", "", "0,00", "0,00", "0,00", "oui"]


# ---------------------------------------------------------------- CSV
def test_csv_rows_subtotals_and_total(session, plan_world):
    plan = _plan(session, plan_world["ids"])
    text = plan_csv(plan)
    assert text.startswith("\ufeff")
    assert text.split("\r\n")[0].count(";") == 5 + 3 + 3 - 1
    rows = list(csv.reader(io.StringIO(text[1:]), delimiter=";"))
    header = rows[0]
    assert header[:5] == ["Axe", "Objectif", "Action", "Statut", "Budget (€)"]
    assert header[-3:] == ["Total financé (€)", "Écart (€)", "Équilibré"]
    assert FSE_HEADER in header  # neutralised
    col = {name: i for i, name in enumerate(header)}
    fse, dreets = col[FSE_HEADER], col["DREETS Nouvelle-Aquitaine (€)"]
    by_label = {(r[0], r[2]): r for r in rows[1:]}
    assert [(r[0], r[2]) for r in rows[1:]] == [
        ("Axe 1", "Financement global de l'axe"), ("Sous-total Axe 1", ""),
        ("Axe 2", "'=1+1"), ("Axe 2", "Cluster QVT des missions locales"),
        ("Sous-total Axe 2", ""),
        ("Axe 3", "Observatoire régional des parcours"), ("Sous-total Axe 3", ""),
        ("Total programme", "")]
    injected = by_label[("Axe 2", "'=1+1")]
    assert injected[1] == "2.1" and injected[3] == "Prévue"
    assert injected[col["Budget (€)"]] == "5000,00"
    assert injected[fse] == "3000,00" and injected[dreets] == "0,00"
    assert injected[col["Total financé (€)"]] == "3000,00"
    assert injected[col["Écart (€)"]] == "-2000,00"  # a number, not an escaped formula
    assert injected[col["Équilibré"]] == "non"
    glob = by_label[("Axe 1", "Financement global de l'axe")]
    assert glob[col["Budget (€)"]] == "" and glob[fse] == "2000,00"
    total = by_label[("Total programme", "")]
    assert total[col["Budget (€)"]] == "35000,00"
    assert total[col["Total financé (€)"]] == "36000,50"
    assert total[col["Écart (€)"]] == "1000,50"
    assert total[fse] == "6000,50" and total[col["Équilibré"]] == "non"

    def amount(text: str) -> Decimal:
        return D(text.replace(",", ".")) if text else D("0.00")

    # every subtotal is the sum of its axis's lines, and the total the sum of the subtotals
    money = [i for name, i in col.items() if name.endswith("(€)")]
    for axis in ("Axe 1", "Axe 2", "Axe 3"):
        sub = by_label[(f"Sous-total {axis}", "")]
        lines = [r for r in rows[1:] if r[0] == axis]
        for i in money:
            assert amount(sub[i]) == sum((amount(r[i]) for r in lines), D(0)), (axis, header[i])
    subs = [r for r in rows[1:] if r[0].startswith("Sous-total")]
    for i in money:
        assert amount(total[i]) == sum((amount(r[i]) for r in subs), D(0)), header[i]


def test_export_filename(session, funding_world):
    plan = _plan(session, funding_world["ids"])
    assert export_filename(plan, "xlsx") == "plan-de-cofinancement-2026.xlsx"
    assert export_filename(plan, ".csv") == "plan-de-cofinancement-2026.csv"


def test_in_kind_convention_is_part_of_the_plan(session, funding_world):
    """A seconded agent valued per FTE funds the plan like money does."""
    ids = funding_world["ids"]
    set_actor(session, None, via="cli")
    ft = save_funder(session, None, None, FunderData(name="France Travail",
                                                     type="france_travail"))
    conv = save_convention(session, None, None, ConventionData(
        funder_id=ft.id, reference="FT-MAD-2026", object="Agent mis à disposition",
        type="mise_a_disposition", amount=D("45000.00"), first_year=2026, last_year=2026,
        period_start=date(2026, 1, 1), period_end=date(2026, 12, 31),
        signature_date=date(2026, 1, 5), status="signee"))
    action = session.get(Action, ids["action_b"])
    save_item(session, None, action, BudgetLineData(category="personnel",
                                                     planned=D("45000.00")))
    save_allocation(session, None, session.get(Convention, conv.id), None, AllocationData(
        programme_id=ids["programme"], action_id=action.id, axis_id=None,
        amount=D("45000.00")))
    session.commit()
    plan = _plan(session, ids)
    rows = list(csv.reader(io.StringIO(plan_csv(plan)[1:]), delimiter=";"))
    col = {name: i for i, name in enumerate(rows[0])}
    obs = next(r for r in rows if r[2] == "Observatoire régional des parcours")
    assert obs[col["France Travail (€)"]] == "45000,00"
    assert obs[col["Total financé (€)"]] == "65000,00" and obs[col["Équilibré"]] == "oui"
