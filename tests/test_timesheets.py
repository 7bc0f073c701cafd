"""Staff-time justification: hours per person, action and month, the all-or-nothing import
from the staff allocations, the monthly sign-off, the screens and the ESF-style PDF."""

from __future__ import annotations

import html
import re
import subprocess
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import event, func, select

from models.accounts.orm import User
from models.audit import set_actor
from models.errors import PermissionDenied, ValidationFailed
from models.funding import timesheet_queries as tq
from models.funding import timesheets as ts
from models.funding.allocations import AllocationData, save_allocation
from models.funding.orm import TimeEntry, TimesheetSignoff
from models.funding.rules import cents, hours_per_day
from models.funding.services import ConventionData, FunderData, save_convention, save_funder
from models.programme.enums import ProgrammeStatus
from models.programme.items import AllocationData as StaffData
from models.programme.items import BudgetLineData, save_item
from models.programme.orm import Action, Objective, Programme, TeamMember
from models.programme.rules import ProgrammeReadOnly
from models.programme.team import MemberData, save_member
from tests.conftest import ARTIFACTS
from webapp.extensions import db

MARCH, APRIL = date(2026, 3, 1), date(2026, 4, 1)
CONTRACT = Decimal("107.13")  # 0.80 ETP × 1 607 h / 12
PER_DAY = hours_per_day(1607, 218)


# ---------------------------------------------------------------- helpers
@pytest.fixture
def w(app, funding_world):
    """The funding world inside an app context: session, objects, users."""
    ids = funding_world["ids"]
    with app.app_context():
        s = db.session
        set_actor(s, None, via="cli")
        yield {
            "s": s, "ids": ids,
            "member": s.get(TeamMember, ids["member"]),
            "a": s.get(Action, ids["action_a"]), "b": s.get(Action, ids["action_b"]),
            "programme": s.get(Programme, ids["programme"]),
            "admin": s.get(User, ids["admin"]), "animateur": s.get(User, ids["animateur"]),
            "copil": s.get(User, ids["copil"]),
        }
        s.rollback()


def _entries(s, **where) -> dict[tuple[int, date], tuple[Decimal, str]]:
    stmt = select(TimeEntry)
    for key, value in where.items():
        stmt = stmt.where(getattr(TimeEntry, key) == value)
    return {(e.action_id, e.month): (e.hours, e.source) for e in s.scalars(stmt)}


def _allocate(w, action, days: str, member=None):
    save_item(w["s"], None, action, StaffData(member_id=(member or w["member"]).id,
                                              planned_days=Decimal(days)))


def _messages(exc: ValidationFailed) -> str:
    return " ".join(m for msgs in exc.errors.values() for m in msgs)


# ---------------------------------------------------------------- save_hours
def test_save_update_and_delete_hours(w):
    s, member, a = w["s"], w["member"], w["a"]
    entry = ts.save_hours(s, w["animateur"], member, a, date(2026, 3, 17), Decimal("12.5"))
    assert (entry.month, entry.hours, entry.source) == (MARCH, Decimal("12.50"), "saisie")
    ts.save_hours(s, w["animateur"], member, a, MARCH, Decimal("20.25"))
    assert _entries(s) == {(a.id, MARCH): (Decimal("20.25"), "saisie")}
    assert ts.save_hours(s, w["animateur"], member, a, MARCH, Decimal("0")) is None
    assert _entries(s) == {}


def test_over_contract_is_refused_with_the_numbers(w):
    s, member = w["s"], w["member"]
    ts.save_hours(s, None, member, w["a"], MARCH, Decimal("100"))
    with pytest.raises(ValidationFailed) as caught:
        ts.save_hours(s, None, member, w["b"], MARCH, Decimal("10"))
    text = _messages(caught.value)
    assert "Sophie Lambert, mars 2026" in text
    assert "110,00 h" in text and "107,13 h" in text and "0,80 ETP" in text
    assert "Il reste 7,13 h" in text
    # exactly the contract is fine, and another month is independent
    ts.save_hours(s, None, member, w["b"], MARCH, Decimal("7.13"))
    ts.save_hours(s, None, member, w["b"], APRIL, CONTRACT)
    assert sum(h for h, _ in _entries(s, month=MARCH).values()) == CONTRACT


@pytest.mark.parametrize("hours, expected", [
    (Decimal("-1"), "négatif"), (Decimal("1.255"), "deux décimales")])
def test_bad_hours_are_refused(w, hours, expected):
    with pytest.raises(ValidationFailed) as caught:
        ts.save_hours(w["s"], None, w["member"], w["a"], MARCH, hours)
    assert expected in _messages(caught.value)
    assert _entries(w["s"]) == {}


def test_month_outside_the_year_or_the_contract_is_refused(w):
    s = w["s"]
    with pytest.raises(ValidationFailed) as caught:
        ts.save_hours(s, None, w["member"], w["a"], date(2027, 1, 1), Decimal("5"))
    assert "Janvier 2027 est en dehors de l'année du programme (2026)" in _messages(caught.value)
    leaver = save_member(s, None, MemberData(
        full_name="Paul Départ", function="Chargé d'études", contract_etp=Decimal("1"),
        status="salarie", start_date=date(2025, 1, 1), end_date=date(2026, 4, 15)))
    ts.save_hours(s, None, leaver, w["a"], APRIL, Decimal("50"))  # left mid-April: fine
    with pytest.raises(ValidationFailed) as caught:
        ts.save_hours(s, None, leaver, w["a"], date(2026, 5, 1), Decimal("5"))
    assert "Paul Départ n'est pas sous contrat en mai 2026" in _messages(caught.value)


def test_closed_programme_refuses_hours(w):
    w["programme"].status = ProgrammeStatus.CLOTURE
    w["s"].flush()
    with pytest.raises(ProgrammeReadOnly):
        ts.save_hours(w["s"], None, w["member"], w["a"], MARCH, Decimal("5"))
    with pytest.raises(ProgrammeReadOnly):
        ts.import_from_allocations(w["s"], None, w["programme"])


def test_signed_month_is_locked_until_an_admin_removes_the_signatures(w):
    s, member, a = w["s"], w["member"], w["a"]
    ts.save_hours(s, None, member, a, MARCH, Decimal("10"))
    ts.sign(s, w["animateur"], member, MARCH, ts.SALARIE)
    with pytest.raises(ValidationFailed) as caught:
        ts.save_hours(s, None, member, a, MARCH, Decimal("12"))
    assert "mars 2026 est signée" in _messages(caught.value)
    with pytest.raises(ValidationFailed):  # deleting is a change too
        ts.save_hours(s, None, member, a, MARCH, Decimal("0"))
    ts.save_hours(s, None, member, a, APRIL, Decimal("3"))  # other months stay open
    assert ts.unsign(s, w["admin"], member, MARCH) == 1
    ts.save_hours(s, None, member, a, MARCH, Decimal("12"))
    assert _entries(s, month=MARCH)[(a.id, MARCH)][0] == Decimal("12.00")


def test_team_permission_is_checked(w):
    with pytest.raises(PermissionDenied):
        ts.save_hours(w["s"], w["copil"], w["member"], w["a"], MARCH, Decimal("5"))
    with pytest.raises(PermissionDenied):
        ts.import_from_allocations(w["s"], w["copil"], w["programme"])
    with pytest.raises(PermissionDenied):
        ts.sign(w["s"], w["copil"], w["member"], MARCH, ts.SALARIE)


def test_save_grid_moves_hours_between_actions_within_a_full_month(w):
    s, member, a, b = w["s"], w["member"], w["a"], w["b"]
    ts.save_hours(s, None, member, a, MARCH, CONTRACT)
    # the whole month moves from a to b: the decrease is applied first
    changed = ts.save_grid(s, None, member, {(a, MARCH): Decimal("7.13"),
                                             (b, MARCH): Decimal("100"), (b, APRIL): None})
    assert changed == 2
    assert _entries(s) == {(a.id, MARCH): (Decimal("7.13"), "saisie"),
                           (b.id, MARCH): (Decimal("100.00"), "saisie")}
    with pytest.raises(ValidationFailed) as caught:
        ts.save_grid(s, None, member, {(a, MARCH): Decimal("8"), (b, APRIL): Decimal("2")})
    assert list(caught.value.errors) == [f"h_{a.id}_2026-03"]
    assert "« Cluster QVT des missions locales » : Sophie Lambert, mars 2026" in _messages(
        caught.value)


# ---------------------------------------------------------------- import
def test_spread_evenly_puts_the_remainder_on_the_last_part():
    assert ts.spread_evenly(Decimal("73.72"), 5) == [Decimal("14.74")] * 4 + [Decimal("14.76")]
    assert sum(ts.spread_evenly(Decimal("100.01"), 3)) == Decimal("100.01")
    assert ts.spread_evenly(Decimal("5"), 0) == []


def test_import_spreads_planned_days_over_the_action_months(w):
    s, a, b = w["s"], w["a"], w["b"]
    _allocate(w, a, "10")   # action a: February → June (5 months)
    _allocate(w, b, "7.5")  # action b: March → October (8 months)
    assert ts.import_from_allocations(s, w["animateur"], w["programme"]).created == 13
    entries = _entries(s)
    a_hours = [entries[(a.id, date(2026, m, 1))] for m in range(2, 7)]
    assert [h for h, _ in a_hours] == [Decimal("14.74")] * 4 + [Decimal("14.76")]
    assert {src for _, src in a_hours} == {"import"}
    assert sum(h for h, _ in a_hours) == cents(Decimal("10") * PER_DAY) == Decimal("73.72")
    b_total = sum(h for (action, _), (h, _) in entries.items() if action == b.id)
    assert b_total == cents(Decimal("7.5") * PER_DAY) == Decimal("55.29")
    assert {m for (action, m) in entries if action == b.id} == {
        date(2026, m, 1) for m in range(3, 11)}
    # running it again creates nothing (all cells filled)
    assert ts.import_from_allocations(s, None, w["programme"]).created == 0


def test_import_never_overwrites_typed_hours_nor_signed_months(w):
    s, member, a = w["s"], w["member"], w["a"]
    _allocate(w, a, "10")
    ts.save_hours(s, None, member, a, MARCH, Decimal("3"))
    ts.sign(s, None, member, APRIL, ts.SALARIE)
    assert ts.import_from_allocations(s, None, w["programme"], member_id=member.id).created == 3
    entries = _entries(s)
    assert entries[(a.id, MARCH)] == (Decimal("3.00"), "saisie")
    assert (a.id, APRIL) not in entries
    assert entries[(a.id, date(2026, 6, 1))] == (Decimal("14.76"), "import")


def test_import_leaves_out_the_months_that_would_overflow(w):
    s, member, b = w["s"], w["member"], w["b"]
    other = save_member(s, None, MemberData(
        full_name="Karim Benali", function="Chargé de projet", contract_etp=Decimal("1"),
        status="mis_a_disposition", seconded_by="France Travail",
        start_date=date(2025, 1, 1)))
    _allocate(w, b, "10", member=other)   # fine on its own
    _allocate(w, b, "40")                 # 40 d → 294.86 h over 8 months: 36.85 h a month
    ts.save_hours(s, None, member, w["a"], MARCH, Decimal("80"))  # typed: 80 + 36.85 > 107.13
    result = ts.import_from_allocations(s, None, w["programme"])
    assert [str(m) for m in result.skipped] == [
        "Sophie Lambert — mars 2026 : 116,85 h pour 107,13 h de contrat"]
    # nothing half-filled: Sophie's March holds only what she typed
    assert s.scalar(select(func.count()).select_from(TimeEntry).where(
        TimeEntry.member_id == member.id, TimeEntry.month == MARCH)) == 1
    # Sophie: 7 months of action b imported (not March); Karim: all 8 months
    sophie = s.scalar(select(func.count()).select_from(TimeEntry).where(
        TimeEntry.member_id == member.id, TimeEntry.source == "import"))
    karim = s.scalar(select(func.count()).select_from(TimeEntry).where(
        TimeEntry.member_id == other.id))
    assert (sophie, karim) == (7, 8) and result.created == 15
    assert s.scalar(select(TimeEntry.hours).where(
        TimeEntry.member_id == member.id, TimeEntry.month == MARCH)) == Decimal("80.00")


# ---------------------------------------------------------------- signatures
def test_signature_order_and_permissions(w):
    s, member = w["s"], w["member"]
    with pytest.raises(ValidationFailed) as caught:
        ts.sign(s, w["admin"], member, MARCH, ts.DIRECTION)
    assert "La direction signe après la personne" in _messages(caught.value)
    person = ts.sign(s, w["animateur"], member, MARCH, ts.SALARIE)
    assert (person.signer_name, person.signer_id) == ("Alain Anim", w["animateur"].id)
    with pytest.raises(ValidationFailed) as caught:
        ts.sign(s, w["animateur"], member, MARCH, ts.SALARIE)
    assert "déjà signée pour la personne par Alain Anim" in _messages(caught.value)
    with pytest.raises(PermissionDenied):
        ts.sign(s, w["animateur"], member, MARCH, ts.DIRECTION)
    with pytest.raises(ValidationFailed):
        ts.sign(s, w["admin"], member, MARCH, "stagiaire")
    director = ts.sign(s, w["admin"], member, MARCH, ts.DIRECTION)
    assert director.signer_name == "Ada Admin"
    with pytest.raises(PermissionDenied):
        ts.unsign(s, w["animateur"], member, MARCH)
    assert ts.unsign(s, w["admin"], member, MARCH, ts.DIRECTION) == 1
    assert ts.is_locked(s, member.id, MARCH)  # the person's signature stays
    assert ts.unsign(s, w["admin"], member, MARCH) == 1
    assert not ts.is_locked(s, member.id, MARCH)
    with pytest.raises(ValidationFailed):
        ts.unsign(s, w["admin"], member, MARCH)


def test_an_over_contract_month_cannot_be_signed(w):
    s, member = w["s"], w["member"]
    ts.save_hours(s, None, member, w["a"], MARCH, Decimal("100"))
    member.contract_etp = Decimal("0.50")  # the contract changed since (66,96 h a month)
    s.flush()
    with pytest.raises(ValidationFailed) as caught:
        ts.sign(s, None, member, MARCH, ts.SALARIE)
    assert "100,00 h" in _messages(caught.value) and "66,96 h" in _messages(caught.value)


# ---------------------------------------------------------------- queries
def test_timesheet_grid_totals_and_statuses(w):
    s, member, a, b = w["s"], w["member"], w["a"], w["b"]
    _allocate(w, a, "10")
    ts.save_hours(s, None, member, a, MARCH, Decimal("10"))
    ts.save_hours(s, None, member, b, MARCH, Decimal("5.5"))
    ts.save_hours(s, None, member, b, APRIL, Decimal("2"))
    ts.sign(s, None, member, MARCH, ts.SALARIE)
    grid = tq.timesheet(s, member, 2026)
    assert [x.id for x in grid.actions] == [a.id, b.id]  # objective 2.2 before 3.3
    assert grid.cell(b.id, MARCH) == Decimal("5.50") and grid.cell(a.id, APRIL) is None
    assert grid.action_totals == {a.id: Decimal("10.00"), b.id: Decimal("7.50")}
    assert grid.planned_hours == {a.id: Decimal("73.72")}
    march, april = grid.months[2], grid.months[3]
    assert (march.total, march.contract_hours, march.over) == (Decimal("15.50"), CONTRACT, False)
    assert march.locked and march.status_label == "Signée par la personne"
    assert april.status_label == "À signer" and grid.months[0].status_label == "Vide"
    assert grid.total == Decimal("17.50") and grid.contract_total == CONTRACT * 12
    overview = {p.member.id: p for p in tq.overview(s, 2026)}
    assert overview[member.id].months[2].total == Decimal("15.50")
    assert overview[member.id].total == Decimal("17.50")


def test_timesheet_uses_a_fixed_number_of_queries(w, app):
    s, member, a, b = w["s"], w["member"], w["a"], w["b"]
    counted: list[str] = []

    def count(*_args):
        counted.append("q")

    def queries_for_grid() -> int:
        s.expire_all()
        counted.clear()
        event.listen(db.engine, "before_cursor_execute", count)
        try:
            tq.timesheet(s, s.get(TeamMember, member.id), 2026)
            tq.month_sheet(s, s.get(TeamMember, member.id), MARCH)
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        return len(counted)

    ts.save_hours(s, None, member, a, MARCH, Decimal("1"))
    small = queries_for_grid()
    for month in range(3, 11):
        ts.save_hours(s, None, member, b, date(2026, month, 1), Decimal("2"))
        ts.save_hours(s, None, member, a, date(2026, min(month, 6), 1), Decimal("1"))
    assert queries_for_grid() == small


def test_month_sheet_rows_funders_and_consistency(w):
    s, member, a, b = w["s"], w["member"], w["a"], w["b"]
    # a third funder funding axis 3 as a whole also pays for action b (objective 3.3)
    funder = save_funder(s, None, None, FunderData(name="Fonds social européen", type="fse"))
    convention = save_convention(s, None, None, ConventionData(
        funder_id=funder.id, reference="FSE-2026", object="Axe 3", type="projet",
        amount=Decimal("5000"), first_year=2026, last_year=2026,
        period_start=date(2026, 1, 1), period_end=date(2026, 12, 31)))
    axis_3 = s.scalar(select(Objective).where(Objective.code == "3.3")).axis_id
    # room on the axis for the global share
    save_item(s, None, b, BudgetLineData(category="autres", planned=Decimal("1000")))
    save_allocation(s, None, convention, None, AllocationData(
        programme_id=w["programme"].id, action_id=None, axis_id=axis_3,
        amount=Decimal("1000")))
    ts.save_hours(s, None, member, a, MARCH, Decimal("60"))
    ts.save_hours(s, None, member, b, MARCH, Decimal("20.5"))
    sheet = tq.month_sheet(s, member, date(2026, 3, 20))
    assert sheet.label == "mars 2026" and sheet.arml_name == "ARML test"
    assert [(r.objective_code, r.title, r.axis, r.hours) for r in sheet.rows] == [
        ("2.2", "Cluster QVT des missions locales", "Axe 2", Decimal("60.00")),
        ("3.3", "Observatoire régional des parcours", "Axe 3", Decimal("20.50"))]
    assert sheet.rows[0].funders == ["Conseil régional Nouvelle-Aquitaine"]
    assert sheet.rows[1].funders == [
        "DREETS Nouvelle-Aquitaine", "Fonds social européen (financement global de l'axe)"]
    assert (sheet.total, sheet.contract_hours, sheet.consistent) == (
        Decimal("80.50"), CONTRACT, True)
    member.contract_etp = Decimal("0.50")
    s.flush()
    assert not tq.month_sheet(s, member, MARCH).consistent


# ---------------------------------------------------------------- web
def _url(ids, suffix=""):
    return f"/financements/temps/{ids['member']}/2026{suffix}"


def _pages(ids):
    return ["/financements/temps", "/financements/temps?annee=2026", _url(ids), _url(ids, "/3.pdf")]


@pytest.mark.parametrize("role", ["admin", "animateur"])
def test_team_reads_every_timesheet_page(client, login_as, funding_world, role):
    ids = funding_world["ids"]
    login_as(role)
    for url in _pages(ids):
        response = client.get(url)
        assert response.status_code == 200, url
    assert client.get(_url(ids, "/3.pdf")).mimetype == "application/pdf"
    assert client.get("/financements/temps/999999/2026").status_code == 404
    assert client.get(_url(ids, "/13.pdf")).status_code == 404


@pytest.mark.parametrize("role", ["copil", "ml", "financeur"])
def test_others_are_refused(client, login_as, funding_world, role):
    ids = funding_world["ids"]
    login_as(role)
    for url in _pages(ids):
        assert client.get(url).status_code == 403, url
    posts = [_url(ids, "/enregistrer"), "/financements/temps/pre-remplir",
             _url(ids, "/3/signer"), _url(ids, "/3/retirer-signatures")]
    for url in posts:
        assert client.post(url, data={"role": "salarie", "year": "2026"}).status_code == 403
    with client.application.app_context():
        assert db.session.scalar(select(func.count()).select_from(TimesheetSignoff)) == 0


def test_anonymous_is_sent_to_login(client, funding_world):
    response = client.get(_url(funding_world["ids"], "/3.pdf"))
    assert response.status_code == 302 and "/connexion" in response.headers["Location"]


def test_grid_page_saves_and_explains_refusals(client, login_as, funding_world):
    ids = funding_world["ids"]
    a_key, b_key = f"h_{ids['action_a']}_2026-03", f"h_{ids['action_b']}_2026-03"
    login_as("animateur")
    response = client.post(_url(ids, "/enregistrer"), data={a_key: "7,5", b_key: ""})
    assert response.status_code == 302
    page = html.unescape(client.get(response.headers["Location"]).get_data(as_text=True))
    assert "1 case(s) modifiée(s)." in page and 'value="7,50"' in page
    # over the contract: refused with the numbers, the typed values are kept
    # action b is not in the grid yet: it comes through the "other action" row
    response = client.post(_url(ids, "/enregistrer"), data={
        a_key: "7,5", "new_action": str(ids["action_b"]), "n_2026-03": "100"})
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 200
    assert "107,50 h au total dépasseraient les 107,13 h du contrat" in page
    typed = re.search(r'<input class="([^"]*)"[^>]*name="n_2026-03"[^>]*value="([^"]*)"', page)
    assert typed and "is-invalid" in typed.group(1) and typed.group(2) == "100"
    assert re.search(rf'<option value="{ids["action_b"]}" selected>', page)
    response = client.post(_url(ids, "/enregistrer"), data={a_key: "12,345.6"})
    assert "Format ambigu" in html.unescape(response.get_data(as_text=True))
    with client.application.app_context():
        assert _entries(db.session) == {(ids["action_a"], MARCH): (Decimal("7.50"), "saisie")}
    response = client.post(_url(ids, "/enregistrer"), data={
        a_key: "7,5", "new_action": str(ids["action_b"]), "n_2026-03": "20", "n_2026-04": ""})
    assert response.status_code == 302
    page = client.get(_url(ids)).get_data(as_text=True)
    assert "Observatoire régional des parcours" in page and 'value="20,00"' in page
    with client.application.app_context():
        assert _entries(db.session)[(ids["action_b"], MARCH)] == (Decimal("20.00"), "saisie")


def test_closed_programme_grid_is_read_only(client, login_as, funding_world):
    ids = funding_world["ids"]
    with client.application.app_context():
        member = db.session.get(TeamMember, ids["member"])
        ts.save_hours(db.session, None, member, db.session.get(Action, ids["action_a"]), MARCH,
                      Decimal("4"))
        db.session.get(Programme, ids["programme"]).status = ProgrammeStatus.CLOTURE
        db.session.commit()
    login_as("admin")
    page = html.unescape(client.get(_url(ids)).get_data(as_text=True))
    assert "est clôturé" in page and "4,00" in page
    assert 'name="h_' not in page and "Pré-remplir" not in page
    key = f"h_{ids['action_a']}_2026-03"
    response = client.post(_url(ids, "/enregistrer"), data={key: "9"})
    assert "Le programme 2026 est clôturé" in html.unescape(response.get_data(as_text=True))
    with client.application.app_context():
        assert _entries(db.session)[(ids["action_a"], MARCH)][0] == Decimal("4.00")


def test_import_and_signatures_through_the_web(client, login_as, funding_world):
    ids = funding_world["ids"]
    with client.application.app_context():
        save_item(db.session, None, db.session.get(Action, ids["action_a"]),
                  StaffData(member_id=ids["member"], planned_days=Decimal("10")))
        db.session.commit()
    login_as("animateur")
    response = client.post("/financements/temps/pre-remplir",
                           data={"year": "2026", "member_id": str(ids["member"])})
    assert response.headers["Location"].endswith(_url(ids))
    page = html.unescape(client.get(_url(ids)).get_data(as_text=True))
    assert "5 case(s) pré-remplie(s)" in page and "73,72" in page
    client.post(_url(ids, "/3/signer"), data={"role": "salarie"})
    response = client.post(_url(ids, "/3/signer"), data={"role": "direction"},
                           follow_redirects=True)
    assert "Seule la direction" in html.unescape(response.get_data(as_text=True))
    assert client.post(_url(ids, "/3/retirer-signatures")).status_code == 403
    client.post("/deconnexion")
    login_as("admin")
    response = client.post(_url(ids, "/3/signer"), data={"role": "direction"},
                           follow_redirects=True)
    page = html.unescape(response.get_data(as_text=True))
    assert "Direction : Ada Admin" in page and "Personne : Alain Anim" in page
    with client.application.app_context():
        roles = db.session.scalars(select(TimesheetSignoff.role)).all()
        assert sorted(roles) == ["direction", "salarie"]
    assert client.post(_url(ids, "/3/retirer-signatures")).status_code == 302
    with client.application.app_context():
        assert db.session.scalar(select(func.count()).select_from(TimesheetSignoff)) == 0


# ---------------------------------------------------------------- PDF
def _pdf_text(body: bytes, tmp_path: Path, name: str = "sheet") -> str:
    pdf = tmp_path / f"{name}.pdf"
    pdf.write_bytes(body)
    return subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True,
                          capture_output=True, text=True).stdout


def test_pdf_has_everything_an_esf_audit_asks_for(client, login_as, funding_world, tmp_path,
                                                  database_url):
    ids = funding_world["ids"]
    with client.application.app_context():
        s = db.session
        member = s.get(TeamMember, ids["member"])
        ts.save_hours(s, None, member, s.get(Action, ids["action_a"]), date(2026, 9, 1),
                      Decimal("0.5"))  # outside the action's period: still in the year
        ts.save_hours(s, None, member, s.get(Action, ids["action_b"]), date(2026, 9, 1),
                      Decimal("42.25"))
        ts.sign(s, s.get(User, ids["animateur"]), member, date(2026, 9, 1), ts.SALARIE)
        s.commit()
    login_as("admin")
    response = client.get(_url(ids, "/9.pdf"))
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert "feuille-de-temps-sophie-lambert-2026-09.pdf" in response.headers[
        "Content-Disposition"]
    text = " ".join(_pdf_text(response.data, tmp_path).split())
    for expected in ["ARML test", "Feuille de temps mensuelle — septembre 2026",
                     "Sophie Lambert", "Chargée de mission", "Salarié·e", "0,80 ETP",
                     "107,13 h par mois", "Cluster QVT des missions locales",
                     "Observatoire régional des parcours", "Conseil régional Nouvelle-Aquitaine",
                     "DREETS Nouvelle-Aquitaine", "42,25 h", "0,50 h",
                     "Total des heures consacrées aux actions 42,75 h",
                     "Temps contractuel du mois 107,13 h",
                     "Total cohérent avec le temps contractuel",
                     "Signature de la personne", "Signature de la direction",
                     "Signé électroniquement par Alain Anim", "Non signée", "Document généré le"]:
        assert expected in text, expected
    # page 1 renders (the image is kept for a human to look at)
    out = ARTIFACTS / "timesheets" / ("sqlite" if "sqlite" in database_url else "postgresql")
    out.mkdir(parents=True, exist_ok=True)
    (out / "feuille-septembre.pdf").write_bytes(response.data)
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1",
                    str(out / "feuille-septembre.pdf"), str(out / "feuille-septembre")],
                   check=True)
    png = next(out.glob("feuille-septembre*.png"))
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 5000


def test_pdf_warns_when_the_total_exceeds_the_contract(client, login_as, funding_world,
                                                       tmp_path):
    ids = funding_world["ids"]
    with client.application.app_context():
        s = db.session
        member = s.get(TeamMember, ids["member"])
        ts.save_hours(s, None, member, s.get(Action, ids["action_a"]), MARCH, Decimal("100"))
        member.contract_etp = Decimal("0.50")
        s.commit()
    login_as("animateur")
    text = " ".join(_pdf_text(client.get(_url(ids, "/3.pdf")).data, tmp_path).split())
    assert "ATTENTION : le total (100,00 h) dépasse le temps contractuel du mois (66,96 h)" in text
    assert "Total cohérent" not in text
    # an empty month still gives a sheet, with nothing claimed
    text = " ".join(_pdf_text(client.get(_url(ids, "/1.pdf")).data, tmp_path, "jan").split())
    assert "janvier 2026" in text and "Aucune heure enregistrée" in text


# ---------------------------------------------------------------- browser
CHROMIUM = Path("/usr/bin/chromium")


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason="Chromium absent : test navigateur ignoré.")
def test_grid_in_a_real_browser(app, funding_world, database_url):
    """CSRF on, no CSP violation: pre-fill, type a cell, save, sign; a screenshot is kept."""
    import threading

    from playwright.sync_api import sync_playwright
    from werkzeug.serving import make_server

    from tests.conftest import PASSWORD, make_app

    ids = funding_world["ids"]
    with app.app_context():
        for action, days in (("action_a", "10"), ("action_b", "12")):
            save_item(db.session, None, db.session.get(Action, ids[action]),
                      StaffData(member_id=ids["member"], planned_days=Decimal(days)))
        db.session.commit()
    served = make_app(database_url, WTF_CSRF_ENABLED=True)
    server = make_server("127.0.0.1", 0, served, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_port}"
    problems: list[str] = []
    shots = ARTIFACTS / "screenshots" / ("sqlite" if "sqlite" in database_url else "postgresql")
    shots.mkdir(parents=True, exist_ok=True)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                        args=["--no-sandbox", "--disable-gpu"])
            context = browser.new_context(locale="fr-FR", viewport={"width": 1400, "height": 900})
            context.add_init_script("document.addEventListener('securitypolicyviolation', e => "
                                    "console.error('CSP violation: ' + e.violatedDirective));")
            page = context.new_page()
            page.on("console", lambda m: m.type == "error" and problems.append(m.text))
            page.goto(f"{base}/connexion")
            page.fill("input[name=email]", "admin@test.fr")
            page.fill("input[name=password]", PASSWORD)
            page.get_by_role("button", name="Se connecter").click()
            page.goto(f"{base}/financements/temps?annee=2026")
            page.get_by_role("link", name="Sophie Lambert").click()
            page.get_by_role("button", name="Pré-remplir depuis les affectations").click()
            page.get_by_text("13 case(s) pré-remplie(s)").wait_for()
            cell = page.locator(f"input[name=h_{ids['action_a']}_2026-03]")
            assert cell.input_value() == "14,74"
            cell.fill("20")
            page.get_by_role("button", name="Enregistrer les heures").click()
            page.get_by_text("1 case(s) modifiée(s).").wait_for()
            page.locator("#mois-3").get_by_role("button", name="Signer (personne)").click()
            page.locator("#mois-3").get_by_role("button", name="Signer (direction)").click()
            page.get_by_text("signée pour la direction").wait_for()
            assert "Direction : Ada Admin" in page.locator("#mois-3").inner_text()
            page.screenshot(path=shots / "timesheet-grid.png", full_page=True)
            page.get_by_role("link", name="Temps de l'équipe 2026").click()
            row = page.get_by_role("row", name=re.compile("Sophie Lambert"))
            assert "167,44 h" in row.inner_text() and "1 / 12" in row.inner_text()
            page.screenshot(path=shots / "timesheet-overview.png", full_page=True)
            browser.close()
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        with served.app_context():
            db.session.remove()
            db.engine.dispose()
    assert not problems, problems
