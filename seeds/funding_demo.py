"""Demo funding: funders, conventions, schedules, payments, deadlines and allocations.

Everything goes through ``models.funding.services`` (``actor=None``, the trusted
entry point), so the demo obeys the web app's rules: allocations never exceed a
convention or an action's budget, schedules add up to 100 %, payments never
exceed what is due. The programme seed calls ``fund_programme`` while each
programme is still a draft, because submitting it to the copil needs a balanced
co-financing plan. Flushes only; the caller commits.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.funding.allocations import AllocationData, save_allocation
from models.funding.enums import ConventionStatus
from models.funding.orm import Convention, Funder
from models.funding.payments import DeadlineData, PaymentData, add_payment, save_deadline
from models.funding.rules import split_by_percent
from models.funding.services import (
    ConventionData,
    FunderData,
    InstalmentData,
    save_convention,
    save_funder,
    save_schedule,
)
from models.programme.orm import Action, Axis, Programme
from seeds.funding_data import (
    ALLOCATIONS,
    AXIS_ALLOCATIONS,
    CONVENTIONS_2025,
    CONVENTIONS_2026,
    FUNDERS,
    TODAY,
)

CONVENTIONS = {2025: CONVENTIONS_2025, 2026: CONVENTIONS_2026}
REFERENCES = {c["key"]: c["reference"] for specs in CONVENTIONS.values() for c in specs}


def _d(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _euros(value: int) -> Decimal:
    return Decimal(value).quantize(Decimal("0.01"))


def build_funders(session: Session) -> dict[str, int]:
    """Create the missing demo funders (matched by name); ``{key: id}``."""
    existing = dict(session.execute(select(Funder.name, Funder.id)).all())
    ids = {}
    for key, (name, kind, contact, email, phone, notes) in FUNDERS.items():
        if name not in existing:
            existing[name] = save_funder(session, None, None, FunderData(
                name=name, type=kind, contact_name=contact, contact_email=email,
                contact_phone=phone, notes=notes)).id
        ids[key] = existing[name]
    return ids


def _convention_data(spec: dict[str, Any], funder_id: int, status: str) -> ConventionData:
    first, last = spec["years"]
    start, end = spec["period"]
    return ConventionData(
        funder_id=funder_id, reference=spec["reference"], object=spec["object"],
        type=spec["type"], amount=_euros(spec["amount"]), first_year=first, last_year=last,
        period_start=_d(start), period_end=_d(end), signature_date=_d(spec["signed"]),
        status=status, conditions=spec["conditions"])


def _convention(session: Session, spec: dict[str, Any], funder_id: int) -> Convention:
    """One convention with its schedule, payments and reporting deadlines."""
    # payments are only recorded on a signed convention: it is settled afterwards
    status = ConventionStatus(spec["status"])
    first = ConventionStatus.SIGNEE if status is ConventionStatus.SOLDEE else status
    convention = save_convention(session, None, None, _convention_data(spec, funder_id, first))
    if spec["schedule"]:
        save_schedule(session, None, convention, [
            InstalmentData(label, _d(due), Decimal(percent))
            for label, due, percent in spec["schedule"]])
    amounts = split_by_percent(convention.amount, [i.percent for i in convention.instalments])
    for received_on, position, euros, comment in spec["payments"]:
        instalment = convention.instalments[position - 1]
        amount = amounts[position - 1] if euros is None else _euros(euros)
        add_payment(session, None, convention, PaymentData(
            received_on=_d(received_on), amount=amount, instalment_id=instalment.id,
            comment=comment), today=_d(TODAY))
    for label, due, done in spec["deadlines"]:
        save_deadline(session, None, convention, None, DeadlineData(label, _d(due), _d(done)))
    if status is not first:
        save_convention(session, None, convention, _convention_data(spec, funder_id, status))
    return convention


def _conventions(session: Session, year: int) -> None:
    funders = build_funders(session)
    existing = set(session.scalars(select(Convention.reference)))
    for spec in CONVENTIONS.get(year, []):
        if spec["reference"] not in existing:
            _convention(session, spec, funders[spec["funder"]])


def _by_key(session: Session) -> dict[str, Convention]:
    by_reference = {c.reference: c for c in session.scalars(select(Convention))}
    return {key: by_reference[ref] for key, ref in REFERENCES.items() if ref in by_reference}


def fund_actions(session: Session, programme: Programme, titles: Iterable[str]) -> None:
    """Allocate the conventions to these actions of the programme (``ALLOCATIONS``)."""
    conventions = _by_key(session)
    actions = dict(session.execute(select(Action.title, Action.id)
                                   .where(Action.programme_id == programme.id)).all())
    plan = ALLOCATIONS[programme.year]
    for title in titles:
        for key, euros in plan[title]:
            save_allocation(session, None, conventions[key], None, AllocationData(
                programme_id=programme.id, action_id=actions[title], axis_id=None,
                amount=_euros(euros)))


def fund_programme(session: Session, programme: Programme) -> None:
    """The conventions starting this year, then the funding of every action and axis the
    draft programme has: its co-financing plan comes out balanced."""
    _conventions(session, programme.year)
    titles = session.scalars(select(Action.title).where(Action.programme_id == programme.id)
                             .order_by(Action.id))
    fund_actions(session, programme, list(titles))
    conventions = _by_key(session)
    axes = dict(session.execute(select(Axis.number, Axis.id)).all())
    for year, axis_number, key, euros in AXIS_ALLOCATIONS:
        if year == programme.year:
            save_allocation(session, None, conventions[key], None, AllocationData(
                programme_id=programme.id, action_id=None, axis_id=axes[axis_number],
                amount=_euros(euros), comment="Financement global de l'axe (cotisations)."))


def build_timesheets(session: Session, programme: Programme, signed_through: int = 9) -> int:
    """Pre-fill each person's 2026 hours from the staff allocations, then sign the
    complete months up to ``signed_through`` (the person, then the direction).

    Months where a person's allocations would overflow the contract are left out by the
    import (the over-allocated person of the demo has some): they stay unsigned, to be
    filled by hand — what the team would see on a real year.
    """
    from models.funding.orm import TimeEntry
    from models.funding.timesheets import import_from_allocations, sign
    from models.programme.orm import StaffAllocation, TeamMember

    created = 0
    member_ids = session.scalars(
        select(StaffAllocation.member_id).distinct().join(StaffAllocation.action)
        .where(Action.programme_id == programme.id)).all()
    for member in session.scalars(select(TeamMember).where(TeamMember.id.in_(member_ids))
                                  .order_by(TeamMember.full_name)):
        result = import_from_allocations(session, None, programme, member.id)
        created += result.created
        left_out = {m.month for m in result.skipped}
        filled = set(session.scalars(select(TimeEntry.month).distinct().where(
            TimeEntry.member_id == member.id)))
        for month in range(1, signed_through + 1):
            first = date(programme.year, month, 1)
            if first not in filled or first in left_out:
                continue
            sign(session, None, member, first, "salarie").signer_name = member.full_name
            sign(session, None, member, first, "direction").signer_name = \
                "Anne Delorme (direction)"
    session.flush()
    return created
