"""The programme exports (XLSX, CSV): real numbers and dates, checkable totals, no injection."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import event

from models.audit import set_actor
from models.network.orm import Region
from models.programme.enums import ActionStatus, BudgetCategory, MemberStatus
from models.programme.exports import export_filename, programme_csv, programme_xlsx
from models.programme.items import (
    AllocationData,
    BudgetLineData,
    DeliverableData,
    IndicatorData,
    save_item,
)
from models.programme.reference import ensure_reference
from models.programme.services import (
    ActionData,
    ProgrammeData,
    create_action,
    create_programme,
)
from models.programme.team import MemberData, save_member

TODAY = date(2026, 6, 15)
D = Decimal


@pytest.fixture
def built(session, world):
    """A 2026 programme: three actions on axis 1 (one titled "=1+1"), one on axis 2, none on 3."""
    set_actor(session, None, via="cli")
    codes = ensure_reference(session)
    region = session.get(Region, world["ids"]["region"])
    programme = create_programme(session, None, region, ProgrammeData("Programme 2026", 2026))
    alice = save_member(session, None, MemberData("Alice Martin", "Chargée de mission", D("1"),
                                                  MemberStatus.SALARIE, date(2020, 1, 1)))
    bruno = save_member(session, None, MemberData("Bruno Petit", "Animateur", D("0.5"),
                                                  MemberStatus.MIS_A_DISPOSITION,
                                                  date(2019, 1, 1), seconded_by="Département"))

    def action(code, title, start, end, **kw):
        return create_action(session, None, programme, ActionData(
            objective_id=codes[code], title=title, start_date=start, end_date=end, **kw))

    forum = action("1.1", "Forum emploi", date(2026, 3, 1), date(2026, 3, 31),
                   pilot_id=alice.id, status=ActionStatus.REALISEE,
                   partners=["@SUM(A1)", "France Travail"],
                   mission_locale_ids=[world["ids"]["ml_b"], world["ids"]["ml_a"]],
                   description="Un forum\x01 avec\x0b caractères de contrôle")
    action("1.1", "Comité technique", date(2026, 1, 15), date(2026, 12, 15))
    injected = action("1.2", "=1+1", date(2026, 9, 1), date(2026, 10, 31),
                      status=ActionStatus.REPORTEE, status_reason="Calendrier des ML",
                      description="\x01=2+3")
    atelier = action("2.1", "Atelier", date(2026, 4, 1), date(2026, 5, 31), pilot_id=bruno.id)
    for act, data in [
        (forum, DeliverableData("Bilan", date(2026, 4, 30), done_date=date(2026, 4, 20))),
        (forum, DeliverableData("Compte rendu", date(2026, 2, 1))),  # late on TODAY
        (forum, IndicatorData("Participants", "jeunes", D("100"), achieved=D("120"))),
        (forum, IndicatorData("Entreprises", "entreprises", D("10"))),
        (forum, BudgetLineData(BudgetCategory.PRESTATIONS, D("1234.50"), actual=D("1000.00"))),
        (forum, BudgetLineData(BudgetCategory.DEPLACEMENTS, D("300.00"))),
        (forum, AllocationData(alice.id, D("10"), actual_days=D("8"))),
        (forum, AllocationData(bruno.id, D("5"))),
        (injected, BudgetLineData(BudgetCategory.COMMUNICATION, D("500.00"))),
        (atelier, BudgetLineData(BudgetCategory.PERSONNEL, D("2000.00"), actual=D("1500.00"))),
        (atelier, AllocationData(alice.id, D("300"), actual_days=D("12.5"))),  # over 218
    ]:
        save_item(session, None, act, data)
    session.commit()
    return programme


def _workbook(session, programme):
    return load_workbook(io.BytesIO(programme_xlsx(session, programme, TODAY)))


def _rows(ws, first=1):
    return [list(r) for r in ws.iter_rows(min_row=first)]


def _header(ws, row=1):
    return [c.value for c in ws[row]]


def _dec(value) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))


def test_sheets_and_action_rows(session, built):
    wb = _workbook(session, built)
    assert wb.sheetnames == ["Programme", "Axe 1", "Axe 2", "Axe 3", "Budget", "ETP"]
    ws = wb["Axe 1"]
    header = _header(ws)
    assert header[:3] == ["Objectif (code)", "Objectif (libellé)", "Action"]
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref == "A1:R4"
    assert all(c.font.bold for c in ws[1])
    col = {name: i for i, name in enumerate(header)}
    rows = _rows(ws, 2)
    # objective code, then start date
    assert [r[col["Action"]].value for r in rows] == ["Comité technique", "Forum emploi", "'=1+1"]
    forum = rows[1]
    v = {name: forum[i].value for name, i in col.items()}
    assert v["Objectif (code)"] == "1.1"
    assert v["Pilote"] == "Alice Martin"
    assert isinstance(v["Début"], datetime) and v["Début"].date() == date(2026, 3, 1)
    assert v["Fin"].date() == date(2026, 3, 31)
    assert forum[col["Début"]].number_format == "DD/MM/YYYY"
    assert v["Statut"] == "Réalisée"
    assert v["Missions locales"] == "Mission locale du Libournais, Mission locale Pau Pyrénées"
    assert v["Livrables (réalisés / total)"] == "1 sur 2"
    assert v["Livrables en retard"] == 1
    assert v["Indicateurs atteints"] == "1 sur 2"
    assert _dec(v["Budget prévu (€)"]) == D("1534.50")
    assert _dec(v["Budget réalisé (€)"]) == D("1000.00")
    assert forum[col["Budget prévu (€)"]].data_type == "n"
    assert forum[col["Budget prévu (€)"]].number_format == "#,##0.00 €"
    assert _dec(v["Jours prévus"]) == D("15.00") and _dec(v["Jours réalisés"]) == D("8.00")
    # control characters XML cannot carry are dropped, not a crash
    assert v["Description"] == "Un forum avec caractères de contrôle"
    injected = {name: rows[2][i].value for name, i in col.items()}
    assert injected["Statut"] == "Reportée" and injected["Raison"] == "Calendrier des ML"
    assert [r[col["Action"]].value for r in _rows(wb["Axe 2"], 2)] == ["Atelier"]


def test_formula_injection_is_neutralised(session, built):
    wb = _workbook(session, built)
    ws = wb["Axe 1"]
    col = {name: i for i, name in enumerate(_header(ws))}
    row = _rows(ws, 2)[2]
    for name, expected in [("Action", "'=1+1"), ("Description", "'=2+3")]:
        cell = row[col[name]]
        assert cell.value == expected and cell.data_type == "s"
    partners = _rows(ws, 2)[1][col["Partenaires"]]
    assert partners.value == "'@SUM(A1), France Travail" and partners.data_type == "s"
    # the only formulas anywhere are our SUM totals on the Budget sheet
    for sheet in wb.worksheets:
        for r in sheet.iter_rows():
            for cell in r:
                if cell.data_type == "f":
                    assert sheet.title == "Budget" and cell.value.startswith("=SUM(")


def test_empty_axis_sheet_keeps_its_header(session, built):
    ws = _workbook(session, built)["Axe 3"]
    assert ws.max_row == 1
    assert _header(ws)[0] == "Objectif (code)" and _header(ws)[-1] == "Jours réalisés"


def _sum_formula(ws, formula: str, column: str) -> Decimal:
    """Evaluate one of our =SUM(C2:C6) / =SUM(C7,C13) formulas on the sheet's values."""
    match = re.fullmatch(r"=SUM\((.+)\)", formula)
    assert match, formula
    total = D("0.00")
    for part in match.group(1).split(","):
        ends = [int(n) for n in re.findall(rf"{column}(\d+)", part)]
        assert ends, part
        for r in range(ends[0], ends[-1] + 1):
            value = ws[f"{column}{r}"].value
            total += _sum_formula(ws, value, column) if isinstance(value, str) else _dec(value)
    return total


def test_budget_sheet_totals(session, built):
    ws = _workbook(session, built)["Budget"]
    assert _header(ws) == ["Axe", "Catégorie", "Budget prévu (€)", "Budget réalisé (€)"]
    rows = [[c.value for c in r] for r in ws.iter_rows(min_row=2)]
    lines = [r for r in rows if r[1] in {c.label for c in BudgetCategory}]
    assert len(lines) == 3 * len(BudgetCategory)
    assert sum(_dec(r[2]) for r in lines) == D("4034.50")
    assert sum(_dec(r[3]) for r in lines) == D("2500.00")
    axis1 = {r[1]: (_dec(r[2]), _dec(r[3])) for r in lines if r[0] == "Axe 1"}
    assert axis1["Prestations"] == (D("1234.50"), D("1000.00"))
    assert axis1["Personnel"] == (D("0.00"), D("0.00"))
    subtotals = [(i, r) for i, r in enumerate(rows, start=2) if str(r[0]).startswith("Sous-total")]
    assert [r[0] for _, r in subtotals] == ["Sous-total Axe 1", "Sous-total Axe 2",
                                            "Sous-total Axe 3"]
    assert _sum_formula(ws, subtotals[0][1][2], "C") == D("2034.50")
    assert _sum_formula(ws, subtotals[1][1][3], "D") == D("1500.00")
    total = rows[-1]
    assert total[0] == "Total programme"
    assert total[2].startswith("=SUM(") and total[3].startswith("=SUM(")
    assert _sum_formula(ws, total[2], "C") == D("4034.50")
    assert _sum_formula(ws, total[3], "D") == D("2500.00")
    assert ws.cell(row=len(rows) + 1, column=3).data_type == "f"


def test_etp_sheet(session, built):
    ws = _workbook(session, built)["ETP"]
    assert ws["A1"].value == "Convention : 1 ETP = 1\u202f607 heures = 218 jours"
    assert _header(ws, 3)[0] == "Nom"
    rows = {r[0].value: [c.value for c in r] for r in ws.iter_rows(min_row=4, max_row=5)}
    alice, bruno = rows["Alice Martin"], rows["Bruno Petit"]
    assert alice[2] == "Salarié·e" and bruno[2] == "Mis·e à disposition"
    assert _dec(alice[4]) == D("218.00") and _dec(alice[5]) == D("310.00")
    assert _dec(alice[6]) == D("1.42") and _dec(alice[7]) == D("20.50")
    assert alice[8] == "oui" and bruno[8] == "non"
    assert _dec(bruno[4]) == D("109.00") and _dec(bruno[5]) == D("5.00")
    block = [[c.value for c in r] for r in ws.iter_rows(min_row=8, max_col=4)]
    assert block[0] == ["Axe", "Membre", "Jours prévus", "Jours réalisés"]
    assert [(a, m, _dec(p), _dec(r)) for a, m, p, r in block[1:]] == [
        ("Axe 1", "Alice Martin", D("10.00"), D("8.00")),
        ("Axe 1", "Bruno Petit", D("5.00"), D("0.00")),
        ("Axe 2", "Alice Martin", D("300.00"), D("12.50")),
    ]


def test_programme_summary_sheet(session, built):
    ws = _workbook(session, built)["Programme"]
    assert ws["A1"].value == "Programme 2026"
    values = {r[0].value: r[1] for r in ws.iter_rows(min_row=3, max_row=20)}
    assert values["Année"].value == 2026
    assert values["Statut"].value == "Brouillon"
    assert values["Convention de temps"].value == "1 ETP = 1\u202f607 heures = 218 jours"
    assert values["Actions"].value == 4
    assert _dec(values["Taux de réalisation (hors abandonnées)"].value) == D("0.25")
    assert values["Indicateurs atteints"].value == 1
    assert _dec(values["Budget prévu (€)"].value) == D("4034.50")
    assert _dec(values["Budget réalisé (€)"].value) == D("2500.00")
    assert _dec(values["Jours prévus"].value) == D("315.00")
    assert _dec(values["Jours réalisés"].value) == D("20.50")
    assert values["Date de l'export"].value.date() == TODAY


def test_csv(session, built):
    text = programme_csv(session, built, TODAY)
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text[1:]), delimiter=";"))
    header = rows[0]
    assert header[:3] == ["Axe", "Objectif (code)", "Objectif (libellé)"]
    assert len(rows) == 5
    col = {name: i for i, name in enumerate(header)}
    forum = next(r for r in rows if r[col["Action"]] == "Forum emploi")
    assert forum[col["Axe"]] == "Axe 1"
    assert forum[col["Budget prévu (€)"]] == "1534,50"
    assert forum[col["Début"]] == "01/03/2026"
    assert forum[col["Partenaires"]] == "'@SUM(A1), France Travail"
    assert [r[col["Action"]] for r in rows[1:]] == ["Comité technique", "Forum emploi", "'=1+1",
                                                    "Atelier"]
    assert text.split("\r\n")[0].count(";") == len(header) - 1


def test_export_filename(built):
    assert export_filename(built, "xlsx") == "programme-2026.xlsx"
    assert export_filename(built, ".csv") == "programme-2026.csv"


def test_query_count_does_not_grow_with_actions(session, built):
    engine = session.get_bind()
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    def measure() -> int:
        statements.clear()
        session.expire_all()
        event.listen(engine, "before_cursor_execute", count)
        try:
            programme_xlsx(session, built, TODAY)
        finally:
            event.remove(engine, "before_cursor_execute", count)
        return len(statements)

    before = measure()
    codes = ensure_reference(session)
    for i in range(5):
        action = create_action(session, None, built, ActionData(
            objective_id=codes["3.1"], title=f"Réunion {i}", start_date=date(2026, 2, 1),
            end_date=date(2026, 2, 2)))
        save_item(session, None, action, DeliverableData("CR", date(2026, 2, 3)))
        save_item(session, None, action, BudgetLineData(BudgetCategory.AUTRES, D("10")))
    session.commit()
    assert measure() == before
