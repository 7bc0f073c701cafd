"""The "compte rendu financier" of a convention (XLSX): figures that agree with the
co-financing plan and the convention page, totals that are formulas adding up to them,
co-funders listed (the convention under report first), no formula injection, and the
team only (it shows every co-funder's amounts).

Formulas are checked by evaluating them from the cells (the few forms the report writes),
so a SUM over the wrong rows fails the test.
"""

from __future__ import annotations

import io
import re
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from models.accounts.orm import User
from models.audit import set_actor
from models.errors import PermissionDenied
from models.funding.allocations import AllocationData, save_allocation
from models.funding.financial_report import (
    BALANCE_LABEL,
    CHARGES_TOTAL,
    DETAIL_SHEET,
    PRODUITS_TOTAL,
    REPORT_SHEET,
    export_filename,
    financial_report_xlsx,
)
from models.funding.orm import Convention
from models.funding.plan import cofinancing_plan
from models.funding.queries import convention_finance
from models.funding.services import ConventionData, FunderData, save_convention, save_funder
from models.programme.enums import BudgetCategory
from models.programme.items import BudgetLineData, save_item
from models.programme.orm import Action, Axis, BudgetLine, Programme
from tests.conftest import login

D = Decimal
TODAY = date(2026, 11, 23)
MONEY_FMT = "#,##0.00 €"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
INJECTED_FUNDER = '=HYPERLINK("http://exemple.test","FSE")'
REGION = "Conseil régional Nouvelle-Aquitaine"
DREETS = "DREETS Nouvelle-Aquitaine"


# ---------------------------------------------------------------- data
@pytest.fixture
def report_world(session, funding_world):
    """funding_world (CRNA-2026-01: 10 000 on the QVT cluster, axis 2; DREETS-2026-07:
    20 000 on the observatory, axis 3, which spent 5 000) plus:

    - more budget: QVT + communication 3 000 (spent 500), observatory + travel 5 000
      (spent 1 200): budgets 13 000 and 25 000;
    - a second regional convention CRNA-2026-02: 1 000 on the QVT cluster;
    - an FSE funder named like a formula, whose FSE-2026-03 gives 5 000 to the observatory
      directly and 2 000 to axis 2 globally (spread onto its only action, the QVT cluster).
    """
    ids = funding_world["ids"]
    s = session
    set_actor(s, None, via="cli")
    programme = s.get(Programme, ids["programme"])
    axis = {a.number: a.id for a in s.scalars(select(Axis))}
    qvt, obs = s.get(Action, ids["action_a"]), s.get(Action, ids["action_b"])
    save_item(s, None, qvt, BudgetLineData(category="communication", label="Plaquette",
                                           planned=D("3000.00"), actual=D("500.00")))
    save_item(s, None, obs, BudgetLineData(category="deplacements", label="Réunions",
                                           planned=D("5000.00"), actual=D("1200.00")))
    conv_a2 = save_convention(s, None, None, ConventionData(
        funder_id=ids["funder"], reference="CRNA-2026-02", object="Complément QVT",
        type="projet", amount=D("1000.00"), first_year=2026, last_year=2026,
        period_start=date(2026, 1, 1), period_end=date(2026, 12, 31),
        signature_date=date(2026, 4, 2), status="signee"))
    save_allocation(s, None, conv_a2, None, AllocationData(
        programme_id=programme.id, action_id=qvt.id, axis_id=None, amount=D("1000.00")))
    fse = save_funder(s, None, None, FunderData(name=INJECTED_FUNDER, type="fse"))
    conv_c = save_convention(s, None, None, ConventionData(
        funder_id=fse.id, reference="FSE-2026-03", object="=1+1 appui FSE", type="projet",
        amount=D("8000.00"), first_year=2026, last_year=2026, period_start=date(2026, 1, 1),
        period_end=date(2026, 12, 31), signature_date=date(2026, 1, 20), status="signee"))
    for target, amount in (({"action_id": obs.id}, "5000.00"),
                           ({"axis_id": axis[2]}, "2000.00")):
        save_allocation(s, None, conv_c, None, AllocationData(
            programme_id=programme.id, action_id=target.get("action_id"),
            axis_id=target.get("axis_id"), amount=D(amount)))
    s.commit()
    ids.update(convention_a2=conv_a2.id, convention_c=conv_c.id, funder_c=fse.id)
    return funding_world


def _xlsx(session, convention_id: int, actor=None):
    convention = session.get(Convention, convention_id)
    return load_workbook(io.BytesIO(financial_report_xlsx(session, actor, convention, TODAY)))


def _dec(value) -> Decimal:
    return Decimal(str(value)).quantize(D("0.01"))


# ---------------------------------------------------------------- formula evaluator
def _cell(ws, ref: str) -> Decimal:
    value = ws[ref.replace("$", "")].value
    if value is None or value == "":
        return D("0.00")
    if isinstance(value, str):
        assert value.startswith("="), f"{ws.title}!{ref} holds text {value!r}, not a number"
        return evaluate(ws, value)
    return _dec(value)


def evaluate(ws, formula: str) -> Decimal:
    """=SUM(A1:A9), =A1-B1, =IF(B1=0,"",D1/B1) or =IF($B$9=0,0,B1/$B$9)."""
    if m := re.fullmatch(r"=SUM\(([A-Z]+\d+:[A-Z]+\d+)\)", formula):
        return sum((_cell(ws, c.coordinate) for row in ws[m.group(1)] for c in row), D("0.00"))
    if m := re.fullmatch(r"=([A-Z]+\d+)-([A-Z]+\d+)", formula):
        return _cell(ws, m.group(1)) - _cell(ws, m.group(2))
    if m := re.fullmatch(r'=IF\((\$?[A-Z]+\$?\d+)=0,(""|0),(\$?[A-Z]+\$?\d+)/(\$?[A-Z]+\$?\d+)\)',
                         formula):
        assert m.group(1) == m.group(4)
        whole = _cell(ws, m.group(1))
        return D(0) if whole == 0 else _cell(ws, m.group(3)) / whole
    raise AssertionError(f"unexpected formula {formula!r}")


def _row(ws, label: str, col: str = "A") -> int:
    rows = [c.row for c in ws[col] if c.value == label]
    assert len(rows) == 1, f"{label!r} found {len(rows)} times in column {col}"
    return rows[0]


def _table(ws, header: str) -> list[int]:
    """Rows of the table whose header (column A) is ``header``, up to its total."""
    row, rows = _row(ws, header) + 1, []
    while ws[f"A{row}"].value not in (CHARGES_TOTAL, PRODUITS_TOTAL):
        rows.append(row)
        row += 1
    return rows


def _money(ws, ref: str) -> Decimal:
    return _cell(ws, ref).quantize(D("0.01"))


# ---------------------------------------------------------------- the report
def test_fse_convention_reaches_actions_directly_and_through_its_axis(session, report_world):
    ids = report_world["ids"]
    wb = _xlsx(session, ids["convention_c"])
    assert wb.sheetnames == [REPORT_SHEET, DETAIL_SHEET]
    ws = wb[REPORT_SHEET]
    assert ws["A1"].value == "Compte rendu financier — convention FSE-2026-03"
    header = {ws[f"A{r}"].value: ws[f"B{r}"].value for r in range(4, 16)}
    assert header["Organisme"] == "ARML test"
    assert header["Région"] == "Nouvelle-Aquitaine"
    assert header["Convention"] == "FSE-2026-03"
    assert header["Objet"] == "'=1+1 appui FSE"  # user text: escaped
    assert header["Période"] == "du 1er janvier 2026 au 31 décembre 2026"
    assert header["Données"] == "données au 23 novembre 2026"
    assert _dec(header["Montant de la convention (€)"]) == D("8000.00")
    amount = ws.cell(row=_row(ws, "Montant de la convention (€)"), column=2)
    assert amount.data_type == "n" and amount.number_format == MONEY_FMT

    # charges: both actions (the observatory directly, the QVT cluster through axis 2)
    charges = _table(ws, "Charges (par catégorie)")
    assert [ws[f"A{r}"].value for r in charges] == [c.label for c in BudgetCategory]
    by_label = {ws[f"A{r}"].value: r for r in charges}
    assert _money(ws, f"B{by_label['Personnel']}") == D("20000.00")
    assert _money(ws, f"C{by_label['Personnel']}") == D("5000.00")
    assert _money(ws, f"B{by_label['Prestations']}") == D("10000.00")
    assert _money(ws, f"D{by_label['Déplacements']}") == D("-3800.00")
    assert _cell(ws, f"E{by_label['Déplacements']}") == D("-0.76")
    total = _row(ws, CHARGES_TOTAL)
    assert ws[f"B{total}"].value.startswith("=SUM(")
    budget_lines = session.scalar(select(func.sum(BudgetLine.planned)).where(
        BudgetLine.action_id.in_([ids["action_a"], ids["action_b"]])))
    assert _money(ws, f"B{total}") == _dec(budget_lines) == D("38000.00")
    assert _money(ws, f"C{total}") == D("6700.00")

    # produits: the FSE convention first, then the co-funders, as the plan has them
    produits = _table(ws, "Produits (par financeur)")
    names = [ws[f"A{r}"].value for r in produits]
    assert names == ["'" + INJECTED_FUNDER, DREETS, REGION]
    assert ws[f"A{produits[0]}"].data_type == "s"  # a text, never a formula
    assert [ws[f"H{r}"].value for r in produits] == [
        "FSE-2026-03", "DREETS-2026-07", "CRNA-2026-01, CRNA-2026-02"]
    assert [_money(ws, f"B{r}") for r in produits] == [D("7000.00"), D("20000.00"),
                                                       D("11000.00")]
    plan = cofinancing_plan(session, session.get(Programme, ids["programme"]))
    by_name = {f.name: f.id for f in plan.funders}
    lines = [line for line in plan.lines if line.action_id in (ids["action_a"], ids["action_b"])]
    for row, name in zip(produits, [INJECTED_FUNDER, DREETS, REGION], strict=True):
        expected = sum((line.by_funder.get(by_name[name], D(0)) for line in lines), D(0))
        assert _money(ws, f"B{row}") == expected
    # executed: the realised expenses shared pro rata to the funding
    assert [_money(ws, f"C{r}") for r in produits] == [D("1316.92"), D("4960.00"),
                                                       D("423.08")]
    assert _money(ws, f"C{produits[0]}") == convention_finance(
        session, session.get(Convention, ids["convention_c"]), TODAY).executed
    ptotal = _row(ws, PRODUITS_TOTAL)
    assert _money(ws, f"B{ptotal}") == D("38000.00") == sum(line.funded for line in lines)
    assert _money(ws, f"C{ptotal}") == D("6700.00")
    assert _cell(ws, f"F{ptotal}") == 1
    assert round(_cell(ws, f"F{produits[0]}"), 4) == round(D(7000) / D(38000), 4)
    balance = _row(ws, BALANCE_LABEL)
    assert _money(ws, f"B{balance}") == D("0.00") and _money(ws, f"C{balance}") == D("0.00")


def test_detail_sheet_one_line_per_funded_action(session, report_world):
    ids = report_world["ids"]
    ws = _xlsx(session, ids["convention_c"])[DETAIL_SHEET]
    assert [c.value for c in ws[1]] == [
        "Programme", "Axe", "Objectif", "Action", "Budget prévisionnel (€)", "Réalisé (€)",
        "Financement de la convention (€)", "Autres financeurs (€)",
        "Exécuté par la convention (€)"]
    rows = {ws[f"D{r}"].value: r for r in range(2, ws.max_row)}
    assert set(rows) == {"Cluster QVT des missions locales", "Observatoire régional des parcours"}
    qvt, obs = rows["Cluster QVT des missions locales"], rows["Observatoire régional des parcours"]
    assert [ws[f"{c}{qvt}"].value for c in "ABC"] == [2026, "Axe 2", "2.2"]
    assert [_money(ws, f"{c}{qvt}") for c in "EFGHI"] == [
        D("13000.00"), D("500.00"), D("2000.00"), D("11000.00"), D("76.92")]
    assert [_money(ws, f"{c}{obs}") for c in "EFGHI"] == [
        D("25000.00"), D("6200.00"), D("5000.00"), D("20000.00"), D("1240.00")]
    total = ws.max_row
    assert ws[f"A{total}"].value == "Total"
    for col in "EFGHI":
        assert ws[f"{col}{total}"].value == f"=SUM({col}2:{col}{total - 1})"
        assert ws[f"{col}{total}"].number_format == MONEY_FMT
    # the same totals as the report sheet
    report = _xlsx(session, ids["convention_c"])[REPORT_SHEET]
    assert _money(ws, f"E{total}") == _money(report, f"B{_row(report, CHARGES_TOTAL)}")
    assert _money(ws, f"G{total}") + _money(ws, f"H{total}") == _money(
        report, f"B{_row(report, PRODUITS_TOTAL)}")
    assert _money(ws, f"I{total}") == D("1316.92")


def test_regional_convention_first_then_its_funder_other_conventions(session, report_world):
    ids = report_world["ids"]
    ws = _xlsx(session, ids["convention_a"])[REPORT_SHEET]
    produits = _table(ws, "Produits (par financeur)")
    assert [ws[f"A{r}"].value for r in produits] == [
        REGION, f"{REGION} (autres conventions)", "'" + INJECTED_FUNDER]
    assert [ws[f"H{r}"].value for r in produits] == ["CRNA-2026-01", "CRNA-2026-02",
                                                     "FSE-2026-03"]
    assert [_money(ws, f"B{r}") for r in produits] == [D("10000.00"), D("1000.00"),
                                                       D("2000.00")]
    assert all(c.font.bold for c in ws[produits[0]] if c.value is not None)
    # only the QVT cluster: the observatory is none of this convention's business
    assert _money(ws, f"B{_row(ws, CHARGES_TOTAL)}") == D("13000.00")
    assert _money(ws, f"C{_row(ws, PRODUITS_TOTAL)}") == D("500.00")
    detail = _xlsx(session, ids["convention_a"])[DETAIL_SHEET]
    assert [detail[f"D{r}"].value for r in range(2, detail.max_row)] == [
        "Cluster QVT des missions locales"]


def test_only_formulas_of_the_report_and_no_injection(session, report_world):
    """Every cell starting with "=" is one of the report's own formulas."""
    ids = report_world["ids"]
    allowed = re.compile(r'=(SUM\([A-Z]+\d+:[A-Z]+\d+\)|[A-Z]+\d+-[A-Z]+\d+|'
                         r'IF\(\$?[A-Z]+\$?\d+=0,(""|0),\$?[A-Z]+\$?\d+/\$?[A-Z]+\$?\d+\))')
    for key in ("convention_a", "convention_b", "convention_c"):
        for ws in _xlsx(session, ids[key]).worksheets:
            for row in ws.iter_rows():
                for cell in row:
                    if isinstance(cell.value, str) and cell.value.startswith("="):
                        assert allowed.fullmatch(cell.value), (ws.title, cell.coordinate)


def test_convention_without_allocation(session, report_world):
    ids = report_world["ids"]
    set_actor(session, None, via="cli")
    empty = save_convention(session, None, None, ConventionData(
        funder_id=ids["funder_b"], reference="DREETS-2026-08", object="À affecter",
        type="projet", amount=D("500.00"), first_year=2026, last_year=2026,
        period_start=date(2026, 1, 1), period_end=date(2026, 12, 31), signature_date=None,
        status="en_preparation"))
    wb = _xlsx(session, empty.id)
    ws = wb[REPORT_SHEET]
    assert [ws[f"A{r}"].value for r in _table(ws, "Produits (par financeur)")] == [DREETS]
    assert _money(ws, f"B{_row(ws, CHARGES_TOTAL)}") == D("0.00")
    assert _money(ws, f"B{_row(ws, BALANCE_LABEL)}") == D("0.00")
    assert wb[DETAIL_SHEET].max_row == 2  # header and total


def test_refused_outside_the_team(session, report_world):
    ids = report_world["ids"]
    convention = session.get(Convention, ids["convention_a"])
    for who in ("financeur", "copil", "ml"):
        with pytest.raises(PermissionDenied):
            financial_report_xlsx(session, session.get(User, ids[who]), convention, TODAY)
    for who in ("admin", "animateur"):
        assert financial_report_xlsx(session, session.get(User, ids[who]), convention, TODAY)


def test_filename_keeps_the_reference_safe(session, report_world):
    convention = session.get(Convention, report_world["ids"]["convention_a"])
    assert export_filename(convention) == "compte-rendu-financier-CRNA-2026-01.xlsx"
    convention.reference = 'Réf "2026"/03'
    assert export_filename(convention) == "compte-rendu-financier-Ref-2026-03.xlsx"
    session.rollback()


# ---------------------------------------------------------------- web
def _url(ids, key="convention_a") -> str:
    return f"/financements/conventions/{ids[key]}/compte-rendu-financier.xlsx"


@pytest.mark.parametrize("who", ["admin", "animateur"])
def test_route_downloads_for_the_team(client, report_world, who):
    ids = report_world["ids"]
    login(client, report_world["emails"][who])
    response = client.get(_url(ids, "convention_c"))
    assert response.status_code == 200
    assert response.mimetype == XLSX
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="compte-rendu-financier-FSE-2026-03.xlsx"')
    wb = load_workbook(io.BytesIO(response.data))
    assert wb.sheetnames == [REPORT_SHEET, DETAIL_SHEET]
    page = client.get(f"/financements/conventions/{ids['convention_c']}")
    assert "Compte rendu financier (XLSX)" in page.get_data(as_text=True)
    assert _url(ids, "convention_c") in page.get_data(as_text=True)


@pytest.mark.parametrize("who", ["financeur", "copil", "ml"])
def test_route_forbidden_outside_the_team(client, report_world, who):
    """Even the financeur's own convention (convention_a): it lists the co-funders."""
    ids = report_world["ids"]
    login(client, report_world["emails"][who])
    assert client.get(_url(ids)).status_code == 403
    page = client.get(f"/financements/conventions/{ids['convention_a']}")
    if page.status_code == 200:  # financeur (its own) and copil read the convention page
        assert "Compte rendu financier" not in page.get_data(as_text=True)
        assert "compte-rendu-financier" not in page.get_data(as_text=True)


def test_route_anonymous_goes_to_login(client, report_world):
    response = client.get(_url(report_world["ids"]))
    assert response.status_code == 302 and "/connexion" in response.headers["Location"]


def test_route_unknown_convention_is_404(client, report_world):
    login(client, report_world["emails"]["admin"])
    assert client.get("/financements/conventions/999999/compte-rendu-financier.xlsx"
                      ).status_code == 404
