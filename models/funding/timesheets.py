"""Staff-time justification: hours per person, action and month, and the monthly sign-off.

ESF (FSE) audits ask, for every person whose salary is charged to a funded action,
a monthly timesheet giving the hours per action, signed by the person and by the
director, whose total is consistent with the contract. The rules that keep it so:

* a month's total never exceeds the contract hours of that month
  (``contract_etp × etp_hours / 12``);
* a signed month is locked (an admin removes the signatures to correct it);
* the import from the staff allocations is only a starting point: it fills empty
  cells, never what someone typed, and leaves out (whole) a month that would overflow.

The read side (grid, overview, monthly sheet) is in ``timesheet_queries``.

Writes validate, then flush (never commit); ``actor`` ``None`` is a trusted caller.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_DOWN, Decimal
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session, joinedload

from models.errors import Errors, PermissionDenied, ValidationFailed
from models.formatting import format_date, format_number
from models.funding.orm import TimeEntry, TimesheetSignoff
from models.funding.rules import (
    CENT,
    cents,
    contract_hours_per_month,
    hours_per_day,
    month_start,
    months_between,
)
from models.policy import can
from models.programme.guards import actor_name
from models.programme.orm import Action, Programme, StaffAllocation, TeamMember
from models.programme.rules import ensure_editable

ZERO = Decimal("0.00")
SALARIE, DIRECTION = "salarie", "direction"
SIGN_ROLES = {SALARIE: "la personne", DIRECTION: "la direction"}
MONTHS_FR = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
             "septembre", "octobre", "novembre", "décembre")


# ---------------------------------------------------------------- small helpers
def month_label(month: date) -> str:
    """``septembre 2026``."""
    return f"{MONTHS_FR[month.month - 1]} {month.year}"


def hours_text(value: Decimal | None) -> str:
    """``112,49 h`` (French decimal comma, two decimals)."""
    return f"{format_number(value or ZERO, digits=2)} h"


def year_months(year: int) -> list[date]:
    return [date(year, m, 1) for m in range(1, 13)]


def month_end(month: date) -> date:
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def employed_in(member: TeamMember, month: date) -> bool:
    """Under contract at least one day of ``month``."""
    return member.start_date <= month_end(month) and (
        member.end_date is None or member.end_date >= month_start(month))


def spread_evenly(total: Decimal, count: int) -> list[Decimal]:
    """``total`` in ``count`` equal parts to the cent; the last part takes the remainder."""
    if count <= 0:
        return []
    part = (total / count).quantize(CENT, rounding=ROUND_DOWN)
    return [part] * (count - 1) + [total - part * (count - 1)]


def require_team(actor: Any) -> None:
    if actor is not None and not can(actor, "timesheet.manage"):
        raise PermissionDenied()


def programme_of_year(session: Session, year: int) -> Programme | None:
    """The programme of ``year`` (one region per installation: the first one)."""
    return session.scalar(select(Programme).where(Programme.year == year)
                          .order_by(Programme.id).limit(1))


def contract_hours(member: TeamMember, programme: Programme | None, month: date
                    ) -> Decimal | None:
    """Contract hours of the month, or None when the person is not under contract then."""
    if not employed_in(member, month):
        return None
    etp_hours = programme.etp_hours if programme is not None else 1607
    return contract_hours_per_month(Decimal(member.contract_etp), etp_hours)


def signoffs_of(session: Session, member_id: int, month: date) -> dict[str, TimesheetSignoff]:
    rows = session.scalars(select(TimesheetSignoff).where(
        TimesheetSignoff.member_id == member_id, TimesheetSignoff.month == month))
    return {s.role: s for s in rows}


def is_locked(session: Session, member_id: int, month: date) -> bool:
    """A month signed by anyone is locked for that person."""
    return bool(signoffs_of(session, member_id, month_start(month)))


def _month_total(session: Session, member_id: int, month: date,
                 exclude_action_id: int | None = None) -> Decimal:
    stmt = select(func.coalesce(func.sum(TimeEntry.hours), 0)).where(
        TimeEntry.member_id == member_id, TimeEntry.month == month)
    if exclude_action_id is not None:
        stmt = stmt.where(TimeEntry.action_id != exclude_action_id)
    return Decimal(session.scalar(stmt) or 0)


def _locked_message(member: TeamMember, month: date) -> str:
    return (f"La feuille de temps de {member.full_name} pour {month_label(month)} est signée : "
            "elle ne peut plus être modifiée. Un·e administrateur·rice peut retirer les "
            "signatures pour la corriger.")


# ---------------------------------------------------------------- writes
def save_hours(session: Session, actor: Any, member: TeamMember, action: Action, month: date,
               hours: Decimal | None) -> TimeEntry | None:
    """Record the hours of ``member`` on ``action`` in ``month`` (0 or empty deletes them)."""
    require_team(actor)
    programme = action.programme
    ensure_editable(programme)
    month = month_start(month)
    hours = ZERO if hours is None else Decimal(hours)
    errors = Errors()
    if hours < 0:
        errors.add("hours", "Le nombre d'heures ne peut pas être négatif.")
    elif hours != hours.quantize(CENT):
        errors.add("hours", "Les heures s'écrivent avec deux décimales au plus (ex. 7,25).")
    if month.year != programme.year:
        errors.add("month", f"{month_label(month).capitalize()} est en dehors de l'année du "
                            f"programme ({programme.year}).")
    elif not employed_in(member, month):
        errors.add("month", f"{member.full_name} n'est pas sous contrat en {month_label(month)}.")
    errors.raise_if_any()
    if is_locked(session, member.id, month):
        raise ValidationFailed({"month": [_locked_message(member, month)]})
    entry = session.scalar(select(TimeEntry).where(
        TimeEntry.member_id == member.id, TimeEntry.action_id == action.id,
        TimeEntry.month == month))
    if hours == 0:
        if entry is not None:
            session.delete(entry)
            session.flush()
        return None
    others = _month_total(session, member.id, month, exclude_action_id=action.id)
    contract = contract_hours(member, programme, month) or ZERO
    if others + hours > contract:
        raise ValidationFailed({"hours": [
            f"{member.full_name}, {month_label(month)} : {hours_text(others + hours)} au total "
            f"dépasseraient les {hours_text(contract)} du contrat "
            f"({format_number(member.contract_etp, digits=2)} ETP). "
            f"Il reste {hours_text(max(contract - others, ZERO))} disponibles ce mois-ci."]})
    if entry is None:
        entry = TimeEntry(member_id=member.id, action_id=action.id, month=month)
        session.add(entry)
    entry.hours, entry.source = hours, "saisie"
    session.flush()
    return entry


def save_grid(session: Session, actor: Any, member: TeamMember,
              cells: Mapping[tuple[Action, date], Decimal | None]) -> int:
    """Save several cells at once (one form for the whole grid); returns how many changed.

    Decreases go first so hours can move from one action to another within a month.
    Every refusal is collected (one message per cell) and nothing is kept if any.
    """
    require_team(actor)
    current = {(e.action_id, e.month): e.hours for e in session.scalars(
        select(TimeEntry).where(TimeEntry.member_id == member.id,
                                TimeEntry.month.in_(sorted({m for _, m in cells}))))}
    changes = []
    for (action, month), hours in cells.items():
        before = current.get((action.id, month), ZERO)
        after = ZERO if hours is None else hours
        if after != before:
            changes.append((after - before, action, month, after))
    changes.sort(key=lambda c: (c[0], c[2], c[1].id))
    errors = Errors()
    for _, action, month, hours in changes:
        try:
            save_hours(session, actor, member, action, month, hours)
        except ValidationFailed as exc:
            for messages in exc.errors.values():
                for message in messages:
                    errors.add(f"h_{action.id}_{month:%Y-%m}", f"« {action.title} » : {message}")
    errors.raise_if_any()
    return len(changes)


def import_from_allocations(session: Session, actor: Any, programme: Programme,
                            member_id: int | None = None) -> ImportResult:
    """Pre-fill the hours from the staff allocations (planned days × hours per day).

    Each allocation is spread evenly over the months of its action inside the
    programme year (and inside the person's contract). Only empty, unsigned cells
    are filled. A person's month that would exceed the contract hours is left out
    whole (never half-filled) and listed in the result, so the rest of the year
    still gets its starting point and the person fills that month by hand.
    """
    require_team(actor)
    ensure_editable(programme)
    per_day = hours_per_day(programme.etp_hours, programme.etp_days)
    first, last = date(programme.year, 1, 1), date(programme.year, 12, 31)
    stmt = (select(StaffAllocation).join(StaffAllocation.action)
            .where(Action.programme_id == programme.id)
            .options(joinedload(StaffAllocation.action), joinedload(StaffAllocation.member))
            .order_by(StaffAllocation.member_id, Action.start_date, Action.id))
    month_filter = and_(TimeEntry.month >= first, TimeEntry.month <= last)
    entry_stmt = select(TimeEntry.member_id, TimeEntry.action_id, TimeEntry.month).where(
        month_filter)
    total_stmt = (select(TimeEntry.member_id, TimeEntry.month, func.sum(TimeEntry.hours))
                  .where(month_filter).group_by(TimeEntry.member_id, TimeEntry.month))
    signed_stmt = select(TimesheetSignoff.member_id, TimesheetSignoff.month).where(
        TimesheetSignoff.month >= first, TimesheetSignoff.month <= last)
    if member_id is not None:
        stmt = stmt.where(StaffAllocation.member_id == member_id)
        entry_stmt = entry_stmt.where(TimeEntry.member_id == member_id)
        total_stmt = total_stmt.where(TimeEntry.member_id == member_id)
        signed_stmt = signed_stmt.where(TimesheetSignoff.member_id == member_id)
    filled = {tuple(row) for row in session.execute(entry_stmt)}
    totals = {(m, mo): Decimal(h) for m, mo, h in session.execute(total_stmt)}
    signed = {tuple(row) for row in session.execute(signed_stmt)}

    new: list[TimeEntry] = []
    added: dict[tuple[int, date], Decimal] = defaultdict(Decimal)
    members: dict[int, TeamMember] = {}
    for alloc in session.scalars(stmt).unique():
        action, member = alloc.action, alloc.member
        if not alloc.planned_days or alloc.planned_days <= 0:
            continue
        months = [m for m in months_between(max(action.start_date, first),
                                            min(action.end_date, last))
                  if employed_in(member, m)]
        parts = spread_evenly(cents(Decimal(alloc.planned_days) * per_day), len(months))
        for month, hours in zip(months, parts, strict=True):
            if hours <= 0 or (member.id, action.id, month) in filled \
                    or (member.id, month) in signed:
                continue
            new.append(TimeEntry(member_id=member.id, action_id=action.id, month=month,
                                 hours=hours, source="import"))
            added[(member.id, month)] += hours
            members[member.id] = member

    skipped: list[SkippedMonth] = []
    over: set[tuple[int, date]] = set()
    for (mid, month), hours in sorted(added.items(),
                                      key=lambda kv: (members[kv[0][0]].full_name, kv[0][1])):
        member = members[mid]
        total = totals.get((mid, month), ZERO) + hours
        contract = contract_hours(member, programme, month) or ZERO
        if total > contract:
            over.add((mid, month))
            skipped.append(SkippedMonth(member.id, member.full_name, month, total, contract))
    kept = [e for e in new if (e.member_id, e.month) not in over]
    session.add_all(kept)
    session.flush()
    return ImportResult(len(kept), skipped)


@dataclass
class SkippedMonth:
    """A person's month the import left out: it would exceed the contract hours."""

    member_id: int
    member_name: str
    month: date
    total: Decimal
    contract: Decimal

    def __str__(self) -> str:
        return (f"{self.member_name} — {month_label(self.month)} : {hours_text(self.total)} "
                f"pour {hours_text(self.contract)} de contrat")


@dataclass
class ImportResult:
    created: int
    skipped: list[SkippedMonth]  # months left to fill by hand


def sign(session: Session, actor: Any, member: TeamMember, month: date,
         role: str) -> TimesheetSignoff:
    """Sign a monthly timesheet: the person first, then the direction (an admin)."""
    require_team(actor)
    if role not in SIGN_ROLES:
        raise ValidationFailed({"role": ["Signature inconnue."]})
    if role == DIRECTION and actor is not None and not can(actor, "timesheet.direction"):
        raise PermissionDenied("Seule la direction (compte administrateur) peut signer "
                               "pour la direction.")
    month = month_start(month)
    existing = signoffs_of(session, member.id, month)
    errors = Errors()
    if not employed_in(member, month):
        errors.add("month", f"{member.full_name} n'est pas sous contrat en {month_label(month)}.")
    if role in existing:
        done = existing[role]
        errors.add("role", f"La feuille de {month_label(month)} est déjà signée pour "
                           f"{SIGN_ROLES[role]} par {done.signer_name} "
                           f"le {format_date(done.signed_at)}.")
    elif role == DIRECTION and SALARIE not in existing:
        errors.add("role", f"La direction signe après la personne : {member.full_name} n'a pas "
                           f"encore signé sa feuille de {month_label(month)}.")
    if not errors:
        contract = contract_hours(member, programme_of_year(session, month.year), month)
        total = _month_total(session, member.id, month)
        if contract is not None and total > contract:
            errors.add("month", f"Le total du mois ({hours_text(total)}) dépasse le temps "
                                f"contractuel ({hours_text(contract)}) : corrigez avant de "
                                "signer.")
    errors.raise_if_any()
    signoff = TimesheetSignoff(member_id=member.id, month=month, role=role,
                               signer_name=actor_name(actor),
                               signer_id=getattr(actor, "id", None))
    session.add(signoff)
    session.flush()
    return signoff


def unsign(session: Session, actor: Any, member: TeamMember, month: date,
           role: str | None = None) -> int:
    """Remove signatures so a month can be corrected (admin only).

    Removing the person's signature removes the direction's too (it signed after).
    """
    if actor is not None and not can(actor, "timesheet.direction"):
        raise PermissionDenied("Seul·e un·e administrateur·rice peut retirer des signatures.")
    month = month_start(month)
    existing = signoffs_of(session, member.id, month)
    targets = [existing[DIRECTION]] if role == DIRECTION and DIRECTION in existing \
        else ([] if role == DIRECTION else list(existing.values()))
    if not targets:
        raise ValidationFailed({"role": [f"La feuille de {month_label(month)} de "
                                         f"{member.full_name} n'est pas signée."]})
    for signoff in targets:
        session.delete(signoff)
    session.flush()
    return len(targets)
