"""Funding rules: splitting money to the cent, the balance rule, allocation and payment
limits, the schedule, pro-rata execution, and who may do what.

The pure arithmetic is tested without a database; everything else runs on SQLite and
on PostgreSQL (``session`` fixture).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from models.accounts.orm import User
from models.errors import ConcurrentEdit, PermissionDenied, ValidationFailed
from models.funding.allocations import AllocationData, save_allocation
from models.funding.orm import Convention, Funder, FundingAllocation, Payment
from models.funding.payments import PaymentData, add_payment
from models.funding.plan import cofinancing_plan, programme_funding
from models.funding.queries import convention_finance, execution_by_convention, upcoming
from models.funding.rules import (
    convention_warnings,
    executed_share,
    is_balanced,
    months_between,
    prorate,
    split_by_percent,
)
from models.funding.services import (
    ConventionData,
    FunderData,
    InstalmentData,
    delete_convention,
    delete_funder,
    save_convention,
    save_funder,
    save_schedule,
    set_tolerance,
)
from models.money import AmountError, parse_amount
from models.policy import can
from models.programme.enums import ProgrammeStatus
from models.programme.items import BudgetLineData, save_item
from models.programme.orm import Action, Axis, Objective, Programme
from models.programme.services import transition

D = Decimal
TODAY = date(2026, 11, 23)


# ---------------------------------------------------------------- pure arithmetic
def test_schedule_split_adds_up_to_the_cent():
    parts = split_by_percent(D("1000.01"), [D("80"), D("20")])
    assert parts == [D("800.01"), D("200.00")]
    thirds = split_by_percent(D("100.00"), [D("33.33"), D("33.33"), D("33.34")])
    assert sum(thirds) == D("100.00") and thirds[0] == D("33.33")


def test_prorate_spreads_exactly_and_skips_zero_weights():
    shares = prorate(D("100.00"), {"a": D("1"), "b": D("1"), "c": D("1"), "z": D("0")})
    assert sum(shares.values()) == D("100.00")
    assert sorted(shares.values()) == [D("33.33"), D("33.33"), D("33.34")]
    assert "z" not in shares
    assert prorate(D("50.00"), {"a": D("0")}) == {}
    assert prorate(D("30000.00"), {"x": D("10000"), "y": D("20000")}) == {
        "x": D("10000.00"), "y": D("20000.00")}


@pytest.mark.parametrize(("budget", "funded", "tolerance", "expected"), [
    (D("10000"), D("10000"), D("0"), True),
    (D("10000"), D("9900"), D("1"), True),      # exactly 1 % short
    (D("10000"), D("9899.99"), D("1"), False),  # one cent beyond
    (D("10000"), D("10100.01"), D("1"), False),  # surplus beyond
    (D("0"), D("0"), D("1"), True),
    (D("0"), D("1"), D("5"), False),            # money for an action with no budget
])
def test_balance_rule(budget, funded, tolerance, expected):
    assert is_balanced(budget, funded, tolerance) is expected


def test_executed_share_is_pro_rata_and_capped():
    # 40 % of an action's funding → 40 % of its expenses
    assert executed_share(D("5000"), D("4000"), D("10000")) == D("2000.00")
    # expenses beyond the budget: the funder never pays more than it gave
    assert executed_share(D("30000"), D("4000"), D("10000")) == D("4000")
    assert executed_share(D("5000"), D("4000"), D("0")) == D("0.00")


def test_months_between_crosses_years():
    assert months_between(date(2025, 11, 15), date(2026, 2, 1)) == [
        date(2025, 11, 1), date(2025, 12, 1), date(2026, 1, 1), date(2026, 2, 1)]


@pytest.mark.parametrize("text", ["1 234,56", "1234.56", "1 234,56 €", "1\u202f234,56\u00a0€"])
def test_money_inputs_agree(text):
    assert parse_amount(text) == D("1234.56")


def test_ambiguous_money_is_refused_with_an_example():
    with pytest.raises(AmountError, match="1 234,56"):
        parse_amount("12,345.6")


# ---------------------------------------------------------------- with a database
@pytest.fixture
def env(session, funding_world):
    ids = funding_world["ids"]
    users = {role: session.get(User, ids[role]) for role in
             ("admin", "animateur", "copil", "ml", "financeur")}
    return {"s": session, "ids": ids, "users": users,
            "programme": session.get(Programme, ids["programme"]),
            "a": session.get(Action, ids["action_a"]), "b": session.get(Action, ids["action_b"]),
            "conv_a": session.get(Convention, ids["convention_a"]),
            "conv_b": session.get(Convention, ids["convention_b"])}


def _convention(env, **changes) -> ConventionData:
    base = dict(funder_id=env["ids"]["funder"], reference="CRNA-2026-99", object="Objet",
                type="projet", amount=D("5000.00"), first_year=2026, last_year=2026,
                period_start=date(2026, 1, 1), period_end=date(2026, 12, 31),
                signature_date=date(2026, 4, 1), status="signee")
    base.update(changes)
    return ConventionData(**base)


def _errors(exc_info) -> str:
    """All messages, with French thin/non-breaking spaces read as plain spaces."""
    text = " ".join(m for msgs in exc_info.value.errors.values() for m in msgs)
    return text.replace("\u202f", " ").replace("\xa0", " ")


def test_allocation_above_what_the_convention_has_left_is_refused(env):
    s = env["s"]
    conv = save_convention(s, None, None, _convention(env))
    save_item(s, None, env["a"], BudgetLineData(category="autres", planned=D("9000.00")))
    with pytest.raises(ValidationFailed) as exc:
        save_allocation(s, env["users"]["animateur"], conv, None, AllocationData(
            programme_id=env["programme"].id, action_id=env["a"].id, axis_id=None,
            amount=D("5000.01")))
    assert "5 000,01" in _errors(exc) and "5 000,00" in _errors(exc)


def test_allocation_above_the_action_budget_is_refused_with_the_amounts(env):
    s = env["s"]
    conv = save_convention(s, None, None, _convention(env, amount=D("50000")))
    # action_a: budget 10 000 €, already funded 10 000 € by convention_a
    with pytest.raises(ValidationFailed) as exc:
        save_allocation(s, None, conv, None, AllocationData(
            programme_id=env["programme"].id, action_id=env["a"].id, axis_id=None,
            amount=D("1.00")))
    message = _errors(exc)
    assert "10 000,00" in message and "0,00" in message and env["a"].title in message


def test_allocation_outside_the_conventions_years_and_bad_targets(env):
    s = env["s"]
    conv = save_convention(s, None, None, _convention(env, first_year=2027, last_year=2027,
                                                      period_start=date(2027, 1, 1),
                                                      period_end=date(2027, 12, 31)))
    with pytest.raises(ValidationFailed) as exc:
        save_allocation(s, None, conv, None, AllocationData(
            programme_id=env["programme"].id, action_id=env["a"].id, axis_id=1,
            amount=D("10")))
    assert "programme_id" in exc.value.errors and "action_id" in exc.value.errors


def test_global_axis_funding_is_spread_pro_rata_over_the_axis_actions(env):
    s = env["s"]
    axis_id = s.get(Objective, env["b"].objective_id).axis_id
    save_item(s, None, env["b"], BudgetLineData(category="autres", planned=D("3000.00")))
    conv = save_convention(s, None, None, _convention(env, amount=D("3000")))
    save_allocation(s, None, conv, None, AllocationData(
        programme_id=env["programme"].id, action_id=None, axis_id=axis_id, amount=D("3000")))
    pf = programme_funding(s, env["programme"].id)
    # action_b is alone on its axis with a budget: it receives the whole global amount
    assert pf.effective[(conv.id, env["b"].id)] == D("3000.00")
    assert pf.funded(env["b"].id) == D("23000.00")
    plan = cofinancing_plan(s, env["programme"])
    line = next(x for x in plan.lines if x.action_id == env["b"].id)
    assert line.gap == D("0.00") and line.balanced and plan.balanced
    assert line.by_funder[env["ids"]["funder"]] == D("3000.00")
    assert plan.by_funder(env["ids"]["funder"]) == D("13000.00")


def test_global_funding_left_without_a_budgeted_action_is_flagged(env):
    from models.programme.items import delete_item

    s = env["s"]
    empty_axis = next(a for a in s.query(Axis).all()
                      if a.id not in {s.get(Objective, env["a"].objective_id).axis_id,
                                      s.get(Objective, env["b"].objective_id).axis_id})
    objective = next(o for o in s.query(Objective).all() if o.axis_id == empty_axis.id)
    from models.programme.services import ActionData, create_action

    action = create_action(s, None, env["programme"], ActionData(
        objective_id=objective.id, title="Action de l'axe vide", start_date=date(2026, 3, 1),
        end_date=date(2026, 4, 1)))
    line = save_item(s, None, action, BudgetLineData(category="autres", planned=D("700")))
    conv = save_convention(s, None, None, _convention(env, amount=D("700")))
    save_allocation(s, None, conv, None, AllocationData(
        programme_id=env["programme"].id, action_id=None, axis_id=empty_axis.id,
        amount=D("700")))
    assert cofinancing_plan(s, env["programme"]).balanced
    delete_item(s, None, action, line)  # the budget goes, the global funding stays
    plan = cofinancing_plan(s, env["programme"])
    assert not plan.balanced and plan.unassigned_axes[0].number == empty_axis.number


def test_submission_is_refused_while_the_plan_is_unbalanced(env):
    s = env["s"]
    programme = env["programme"]
    save_item(s, None, env["a"], BudgetLineData(category="autres", planned=D("2500.00")))
    with pytest.raises(ValidationFailed) as exc:
        transition(s, env["users"]["animateur"], programme, ProgrammeStatus.SOUMIS)
    message = _errors(exc)
    assert env["a"].title in message and "12 500,00" in message and "2 500,00" in message
    assert env["b"].title not in message  # balanced actions are not listed
    assert programme.status is ProgrammeStatus.BROUILLON
    # the admin's tolerance makes a small gap acceptable
    set_tolerance(s, env["users"]["admin"], programme.region, D("25"))
    transition(s, env["users"]["animateur"], programme, ProgrammeStatus.SOUMIS)
    assert programme.status is ProgrammeStatus.SOUMIS


def test_only_an_admin_sets_the_tolerance(env):
    with pytest.raises(PermissionDenied):
        set_tolerance(env["s"], env["users"]["animateur"], env["programme"].region, D("5"))
    with pytest.raises(ValidationFailed):
        set_tolerance(env["s"], env["users"]["admin"], env["programme"].region, D("51"))


def test_schedule_must_sum_to_100(env):
    s = env["s"]
    conv = save_convention(s, None, None, _convention(env))
    with pytest.raises(ValidationFailed) as exc:
        save_schedule(s, None, conv, [InstalmentData("Avance", date(2026, 4, 1), D("80")),
                                      InstalmentData("Solde", date(2027, 3, 1), D("15"))])
    assert "95 %" in _errors(exc)
    assert conv.instalments == []
    save_schedule(s, None, conv, [InstalmentData("Avance", date(2026, 4, 1), D("80")),
                                  InstalmentData("Solde", date(2027, 3, 1), D("20"))])
    assert [i.percent for i in conv.instalments] == [D("80"), D("20")]


def test_payment_above_what_remains_due_is_refused(env):
    s, conv = env["s"], env["conv_a"]  # 10 000 €, 8 000 € received on the 80 % instalment
    with pytest.raises(ValidationFailed) as exc:
        add_payment(s, None, conv, PaymentData(received_on=date(2026, 11, 2),
                                               amount=D("2000.01")), today=TODAY)
    assert "2 000,00" in _errors(exc)
    # on the instalment: the advance is fully paid already
    with pytest.raises(ValidationFailed) as exc:
        add_payment(s, None, conv, PaymentData(received_on=date(2026, 11, 2), amount=D("1"),
                                               instalment_id=conv.instalments[0].id),
                    today=TODAY)
    assert "Avance à la signature" in _errors(exc)
    add_payment(s, None, conv, PaymentData(received_on=date(2026, 11, 2), amount=D("2000"),
                                           instalment_id=conv.instalments[1].id), today=TODAY)
    finance = convention_finance(s, conv, TODAY)
    assert finance.remaining_due == D("0.00") and finance.received_rate == D("100.0")


def test_payment_in_the_future_or_on_an_unsigned_or_in_kind_convention(env):
    s = env["s"]
    with pytest.raises(ValidationFailed) as exc:
        add_payment(s, None, env["conv_a"], PaymentData(received_on=date(2026, 12, 1),
                                                        amount=D("1")), today=TODAY)
    assert "received_on" in exc.value.errors
    draft = save_convention(s, None, None, _convention(env, status="en_preparation",
                                                       signature_date=None))
    with pytest.raises(ValidationFailed, match="signée"):
        add_payment(s, None, draft, PaymentData(received_on=TODAY, amount=D("1")), today=TODAY)
    in_kind = save_convention(s, None, None, _convention(env, reference="FT-MAD",
                                                         type="mise_a_disposition"))
    with pytest.raises(ValidationFailed, match="mise à disposition"):
        add_payment(s, None, in_kind, PaymentData(received_on=TODAY, amount=D("1")),
                    today=TODAY)


def test_late_instalments_and_the_90_day_window(env):
    s, conv = env["s"], env["conv_b"]
    save_schedule(s, None, conv, [
        InstalmentData("Avance", date(2026, 4, 1), D("50")),
        InstalmentData("Deuxième versement", date(2027, 1, 15), D("30")),
        InstalmentData("Solde", date(2027, 6, 30), D("20"))])
    finance = convention_finance(s, conv, TODAY)
    assert [i.late for i in finance.instalments] == [True, False, False]
    assert finance.instalments[0].amount == D("10000.00")
    rows = upcoming(s, env["users"]["copil"], TODAY)
    mine = [(r.label, r.late, r.amount) for r in rows if r.convention_id == conv.id]
    assert mine == [("Avance", True, D("10000.00")), ("Deuxième versement", False, D("6000.00"))]
    # the financeur account sees only its own funder's dates
    financeur_rows = upcoming(s, env["users"]["financeur"], TODAY)
    assert all(r.convention_id == env["conv_a"].id for r in financeur_rows)


def test_execution_is_pro_rata_to_each_funders_share(env):
    s = env["s"]
    # action_b: budget 20 000 €, actual 5 000 €; fund it 75 % DREETS, 25 % another convention
    alloc_b = s.get(FundingAllocation, env["ids"]["allocation_b"])
    save_allocation(s, None, env["conv_b"], alloc_b, AllocationData(
        programme_id=env["programme"].id, action_id=env["b"].id, axis_id=None,
        amount=D("15000")))
    other = save_convention(s, None, None, _convention(env, amount=D("8000")))
    save_allocation(s, None, other, None, AllocationData(
        programme_id=env["programme"].id, action_id=env["b"].id, axis_id=None,
        amount=D("5000")))
    executed = execution_by_convention(s, [env["conv_b"], other, env["conv_a"]])
    assert executed[env["conv_b"].id] == D("3750.00")  # 75 % of 5 000
    assert executed[other.id] == D("1250.00")  # 25 % of 5 000
    assert executed[env["conv_a"].id] == D("0.00")  # action_a has no actual expense yet
    finance = convention_finance(s, other, TODAY)
    assert finance.executed == D("1250.00")
    assert finance.execution_rate == D("15.6")  # 1 250 / 8 000
    assert finance.allocations[0].executed == D("1250.00")


def test_convention_amount_cannot_drop_below_what_is_allocated_or_received(env):
    s, conv = env["s"], env["conv_a"]
    data = _convention(env, reference=conv.reference, amount=D("7000"))
    with pytest.raises(ValidationFailed) as exc:
        save_convention(s, None, conv, data, expected_version=conv.version_id)
    assert "10 000,00" in _errors(exc) and "8 000,00" in _errors(exc)


def test_convention_cannot_be_settled_before_full_payment(env):
    s, conv = env["s"], env["conv_a"]
    data = _convention(env, reference=conv.reference, amount=conv.amount, status="soldee",
                       type="fonctionnement", signature_date=conv.signature_date)
    with pytest.raises(ValidationFailed) as exc:
        save_convention(s, None, conv, data)
    assert "2 000,00" in _errors(exc)


def test_concurrent_convention_edit_is_detected(env):
    s, conv = env["s"], env["conv_a"]
    stale = conv.version_id
    save_convention(s, None, conv, _convention(env, reference=conv.reference,
                                               amount=conv.amount), expected_version=stale)
    with pytest.raises(ConcurrentEdit):
        save_convention(s, None, conv, _convention(env, reference=conv.reference,
                                                   amount=conv.amount), expected_version=stale)


def test_signature_outside_the_programme_year_is_a_warning_not_an_error(env):
    s = env["s"]
    conv = save_convention(s, None, None, _convention(env, signature_date=date(2025, 12, 12)))
    warnings = convention_warnings(conv)
    assert len(warnings) == 1 and "12/12/2025" in warnings[0] and "2026" in warnings[0]
    assert convention_warnings(env["conv_a"]) == []


def test_deleting_a_funder_with_conventions_or_accounts_is_refused(env):
    s = env["s"]
    with pytest.raises(ValidationFailed) as exc:
        delete_funder(s, None, s.get(Funder, env["ids"]["funder"]))
    assert "convention" in _errors(exc) and "compte" in _errors(exc)
    lonely = save_funder(s, None, None, FunderData(name="Commune de Libourne", type="commune"))
    delete_funder(s, None, lonely)
    assert s.get(Funder, lonely.id) is None


def test_deleting_a_convention_with_payments_is_refused(env):
    with pytest.raises(ValidationFailed, match="versements"):
        delete_convention(env["s"], None, env["conv_a"])
    delete_convention(env["s"], None, env["conv_b"])
    assert env["s"].query(FundingAllocation).filter_by(convention_id=env["conv_b"].id).count() == 0


def test_funder_validation_and_unique_name(env):
    with pytest.raises(ValidationFailed) as exc:
        save_funder(env["s"], None, None, FunderData(name="conseil RÉGIONAL nouvelle-aquitaine",
                                                     type="nope", contact_email="pas un mail"))
    assert set(exc.value.errors) == {"type", "contact_email"} or "name" in exc.value.errors


def test_who_may_write_and_read(env):
    users, conv_a, conv_b = env["users"], env["conv_a"], env["conv_b"]
    for role in ("copil", "ml", "financeur"):
        with pytest.raises(PermissionDenied):
            save_funder(env["s"], users[role], None, FunderData(name="X", type="autre"))
    assert can(users["financeur"], "funding.view", conv_a)
    assert not can(users["financeur"], "funding.view", conv_b)
    payment = env["s"].get(Payment, env["ids"]["payment_a"])
    assert can(users["financeur"], "funding.view", payment)
    assert can(users["copil"], "funding.view", conv_b)
    assert not can(users["ml"], "funding.view", conv_a)
    assert not can(users["financeur"], "funding.plan")


# ---------------------------------------------------------------- what hangs on a convention
def test_amounts_beyond_what_the_database_holds_are_refused(env):
    with pytest.raises(ValidationFailed) as exc:
        save_convention(env["s"], None, None, _convention(env, amount=D("10000000000.00")))
    assert "9 999 999 999,99" in _errors(exc)


def test_schedule_cannot_drop_or_shrink_a_paid_instalment(env):
    s, conv = env["s"], env["conv_a"]  # 80 % (8 000 € paid) + 20 %
    blank = InstalmentData("", None, None)
    with pytest.raises(ValidationFailed) as exc:  # blank the paid row, keep the balance
        save_schedule(s, None, conv, [blank, InstalmentData("Solde", date(2027, 3, 31),
                                                            D("100"))])
    assert "Avance à la signature" in _errors(exc) and "retirée" in _errors(exc)
    with pytest.raises(ValidationFailed) as exc:  # 10 % would leave 8 000 € on 1 000 €
        save_schedule(s, None, conv, [InstalmentData("Avance", date(2026, 2, 28), D("10")),
                                      InstalmentData("Solde", date(2027, 3, 31), D("90"))])
    assert "8 000,00" in _errors(exc) and "1 000,00" in _errors(exc)
    # blanking the unpaid balance row is a legitimate removal
    save_schedule(s, None, conv, [InstalmentData("Versement unique", date(2026, 2, 28),
                                                 D("100")), blank])
    assert [(i.label, i.percent) for i in conv.instalments] == [("Versement unique", D("100"))]
    assert conv.instalments[0].payments  # the payment stayed on its instalment


def test_a_convention_with_allocations_and_payments_keeps_its_years_and_funder(env):
    s, conv = env["s"], env["conv_a"]
    moved = _convention(env, reference=conv.reference, amount=conv.amount, first_year=2027,
                        last_year=2027, period_start=date(2027, 1, 1),
                        period_end=date(2027, 12, 31), signature_date=date(2027, 1, 5))
    with pytest.raises(ValidationFailed) as exc:
        save_convention(s, None, conv, moved)
    assert "2026" in _errors(exc) and "first_year" in exc.value.errors
    other_funder = _convention(env, reference=conv.reference, amount=conv.amount,
                               funder_id=env["ids"]["funder_b"])
    with pytest.raises(ValidationFailed) as exc:
        save_convention(s, None, conv, other_funder)
    assert "funder_id" in exc.value.errors
    back_to_draft = _convention(env, reference=conv.reference, amount=conv.amount,
                                status="en_preparation")
    with pytest.raises(ValidationFailed) as exc:
        save_convention(s, None, conv, back_to_draft)
    assert "status" in exc.value.errors


def test_a_closed_programmes_funding_cannot_be_deleted(env):
    s, programme = env["s"], env["programme"]
    programme.status = ProgrammeStatus.CLOTURE
    s.flush()
    from models.programme.rules import ProgrammeReadOnly

    with pytest.raises(ProgrammeReadOnly):
        delete_convention(s, None, env["conv_b"])


def test_global_axis_funding_stays_within_the_axis_budget(env):
    s = env["s"]
    axis_id = s.get(Objective, env["b"].objective_id).axis_id  # budget 20 000, funded 20 000
    conv = save_convention(s, None, None, _convention(env, amount=D("4000000")))
    with pytest.raises(ValidationFailed) as exc:
        save_allocation(s, None, conv, None, AllocationData(
            programme_id=env["programme"].id, action_id=None, axis_id=axis_id,
            amount=D("4000000")))
    assert "20 000,00" in _errors(exc) and "0,00" in _errors(exc)


def test_a_payment_cannot_predate_the_signature(env):
    with pytest.raises(ValidationFailed) as exc:
        add_payment(env["s"], None, env["conv_a"], PaymentData(
            received_on=date(2026, 1, 2), amount=D("10")), today=TODAY)
    assert "10 février 2026" in _errors(exc)
