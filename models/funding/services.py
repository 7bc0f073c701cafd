"""Writes of the funding domain: validate everything, then flush (never commit).

``actor`` is the acting user (``None`` for trusted entry points: seed, CLI).
Every refusal is a ``ValidationFailed`` carrying French messages per field, with
the amounts involved, so a form can show them next to what the person typed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.accounts.orm import User
from models.errors import Errors, PermissionDenied
from models.formatting import format_date, format_money
from models.funding.enums import ConventionStatus, ConventionType, FunderType
from models.funding.orm import (
    Convention,
    Funder,
    FundingAllocation,
    FundingSettings,
    Instalment,
    Payment,
    ReportingDeadline,
)
from models.funding.queries import instalment_statuses
from models.funding.rules import HUNDRED, split_by_percent
from models.money import MAX_AMOUNT, too_large
from models.network.orm import Region
from models.policy import can
from models.programme.guards import check_version, flush
from models.programme.orm import Action, Axis, BudgetLine, Objective, Programme
from models.programme.rules import ensure_editable

log = logging.getLogger(__name__)
ZERO = Decimal("0.00")


def require_manage(actor: Any) -> None:
    if actor is not None and not can(actor, "funding.manage"):
        raise PermissionDenied()


def _money(errors: Errors, field_name: str, value: Decimal | None, what: str,
           *, required: bool = True) -> Decimal | None:
    if value is None:
        if required:
            errors.add(field_name, f"{what} est obligatoire.")
        return None
    if value <= 0:
        errors.add(field_name, f"{what} doit être positif.")
    elif too_large(value):
        errors.add(field_name, f"{what} ne peut pas dépasser {format_money(MAX_AMOUNT)}.")
    return value


# ---------------------------------------------------------------- funders
@dataclass
class FunderData:
    name: str
    type: str
    contact_name: str = ""
    contact_email: str = ""
    contact_phone: str = ""
    notes: str = ""
    active: bool = True


def save_funder(session: Session, actor: Any, funder: Funder | None, data: FunderData,
                expected_version: int | None = None) -> Funder:
    require_manage(actor)
    if funder is not None:
        check_version(funder, expected_version)
    errors = Errors()
    name = (data.name or "").strip()
    if not name:
        errors.add("name", "Le nom du financeur est obligatoire.")
    else:
        other = session.scalar(select(Funder).where(func.lower(Funder.name) == name.lower()))
        if other is not None and other is not funder:
            errors.add("name", "Un financeur porte déjà ce nom.")
    try:
        kind = FunderType(data.type)
    except ValueError:
        errors.add("type", "Type de financeur inconnu.")
    email = (data.contact_email or "").strip().lower()
    if email and ("@" not in email or " " in email):
        errors.add("contact_email", "Adresse e-mail invalide.")
    errors.raise_if_any()
    if funder is None:
        funder = Funder(name=name, type=kind)
        session.add(funder)
    else:
        funder.version_id += 1
    funder.name, funder.type = name, kind
    funder.contact_name = (data.contact_name or "").strip()
    funder.contact_email = email
    funder.contact_phone = (data.contact_phone or "").strip()
    funder.notes = (data.notes or "").strip()
    funder.active = data.active
    flush(session)
    return funder


def delete_funder(session: Session, actor: Any, funder: Funder) -> None:
    require_manage(actor)
    errors = Errors()
    count = session.scalar(select(func.count()).where(Convention.funder_id == funder.id))
    if count:
        errors.add("__all__", f"Impossible de supprimer « {funder.name} » : {count} convention(s) "
                              "y sont rattachées. Rendez-le inactif plutôt.")
    accounts = session.scalar(select(func.count()).where(User.funder_id == funder.id))
    if accounts:
        errors.add("__all__", f"Impossible de supprimer « {funder.name} » : {accounts} compte(s) "
                              "financeur y sont rattachés.")
    errors.raise_if_any()
    session.delete(funder)
    flush(session)


# ---------------------------------------------------------------- conventions
@dataclass
class ConventionData:
    funder_id: int | None
    reference: str
    object: str
    type: str
    amount: Decimal | None
    first_year: int | None
    last_year: int | None
    period_start: date | None
    period_end: date | None
    signature_date: date | None = None
    status: str = ConventionStatus.EN_PREPARATION.value
    conditions: str = ""


def _validate_convention(session: Session, convention: Convention | None, data: ConventionData,
                         errors: Errors) -> tuple[ConventionType | None, ConventionStatus | None]:
    if data.funder_id is None or session.get(Funder, data.funder_id) is None:
        errors.add("funder_id", "Choisissez un financeur.")
    reference = (data.reference or "").strip()
    if not reference:
        errors.add("reference", "La référence de la convention est obligatoire.")
    else:
        other = session.scalar(select(Convention).where(
            func.lower(Convention.reference) == reference.lower()))
        if other is not None and other is not convention:
            errors.add("reference", "Une convention porte déjà cette référence.")
    if not (data.object or "").strip():
        errors.add("object", "L'objet de la convention est obligatoire.")
    kind = status = None
    try:
        kind = ConventionType(data.type)
    except ValueError:
        errors.add("type", "Type de convention inconnu.")
    try:
        status = ConventionStatus(data.status)
    except ValueError:
        errors.add("status", "Statut inconnu.")
    amount = _money(errors, "amount", data.amount, "Le montant")
    for name, year in (("first_year", data.first_year), ("last_year", data.last_year)):
        if year is None or not 2000 <= year <= 2100:
            errors.add(name, "Année invalide (par exemple 2026).")
    if data.first_year and data.last_year and data.last_year < data.first_year:
        errors.add("last_year", "La dernière année précède la première.")
    if data.period_start is None:
        errors.add("period_start", "Le début de la période est obligatoire.")
    if data.period_end is None:
        errors.add("period_end", "La fin de la période est obligatoire.")
    elif data.period_start and data.period_end < data.period_start:
        errors.add("period_end", "La fin de la période précède son début.")
    if status in (ConventionStatus.SIGNEE, ConventionStatus.SOLDEE) and not data.signature_date:
        errors.add("signature_date", "Une convention signée doit avoir une date de signature.")
    if convention is not None and amount is not None:
        allocated = session.scalar(select(func.coalesce(func.sum(FundingAllocation.amount), 0))
                                   .where(FundingAllocation.convention_id == convention.id))
        received = sum((p.amount for p in convention.payments), ZERO)
        if amount < allocated:
            errors.add("amount", f"Le montant ne peut pas être inférieur à ce qui est déjà "
                                 f"affecté aux actions ({format_money(allocated)}).")
        if amount < received:
            errors.add("amount", f"Le montant ne peut pas être inférieur à ce qui a déjà été "
                                 f"reçu ({format_money(received)}).")
        if status is ConventionStatus.SOLDEE and kind is not None and not kind.in_kind \
                and received < amount:
            errors.add("status", f"La convention ne peut pas être soldée : il reste "
                                 f"{format_money(amount - received)} à recevoir.")
        if kind is not None and kind.in_kind and convention.payments:
            errors.add("type", "Cette convention a des versements : elle ne peut pas devenir "
                               "une mise à disposition valorisée.")
        if kind is not None and kind.in_kind and convention.instalments:
            errors.add("type", "Cette convention a un échéancier : videz-le avant d'en faire "
                               "une mise à disposition valorisée.")
        if status is ConventionStatus.EN_PREPARATION and convention.payments:
            errors.add("status", "Cette convention a déjà reçu des versements : elle ne peut "
                                 "pas revenir « en préparation ».")
        _check_attached(convention, data, errors)
        if amount is not None:
            _check_instalments_cover_payments(convention, amount,
                                              [i.percent for i in convention.instalments],
                                              errors, "amount")
    return kind, status


def _check_attached(convention: Convention, data: ConventionData, errors: Errors) -> None:
    """What already hangs on a convention (allocations, payments) pins its years and funder."""
    if data.first_year and data.last_year:
        outside = sorted({a.programme.year for a in convention.allocations
                          if not data.first_year <= a.programme.year <= data.last_year})
        if outside:
            errors.add("first_year", "La convention finance déjà le(s) programme(s) "
                                     f"{', '.join(map(str, outside))} : retirez ces "
                                     "affectations avant de changer ses années.")
    if data.funder_id is not None and data.funder_id != convention.funder_id:
        if convention.payments:
            errors.add("funder_id", "La convention a reçu des versements : son financeur ne "
                                    "peut plus changer.")
        if any(a.programme.is_closed for a in convention.allocations):
            errors.add("funder_id", "La convention finance un programme clôturé : son "
                                    "financeur ne peut plus changer.")


def _check_instalments_cover_payments(convention: Convention, amount: Decimal,
                                      percents: list[Decimal], errors: Errors,
                                      field_name: str,
                                      instalments: list[Instalment] | None = None) -> None:
    """No instalment may end up smaller than what it has already received."""
    instalments = list(convention.instalments) if instalments is None else instalments
    if not instalments or len(percents) != len(instalments):
        return
    for instalment, due in zip(instalments, split_by_percent(amount, percents), strict=True):
        paid = sum((p.amount for p in instalment.payments), ZERO)
        if paid > due:
            errors.add(field_name, f"L'échéance « {instalment.label} » a déjà reçu "
                                   f"{format_money(paid)} : elle ne peut pas descendre à "
                                   f"{format_money(due)}.")


def save_convention(session: Session, actor: Any, convention: Convention | None,
                    data: ConventionData, expected_version: int | None = None) -> Convention:
    require_manage(actor)
    if convention is not None:
        check_version(convention, expected_version)
    errors = Errors()
    kind, status = _validate_convention(session, convention, data, errors)
    errors.raise_if_any()
    if convention is None:
        convention = Convention()
        session.add(convention)
    else:
        convention.version_id += 1
    convention.funder_id = data.funder_id
    convention.reference = data.reference.strip()
    convention.object = data.object.strip()
    convention.type, convention.status = kind, status
    convention.amount = data.amount
    convention.first_year, convention.last_year = data.first_year, data.last_year
    convention.period_start, convention.period_end = data.period_start, data.period_end
    convention.signature_date = data.signature_date
    convention.conditions = (data.conditions or "").strip()
    flush(session)
    log.info("convention %s saved by %s", convention.reference, getattr(actor, "email", "system"))
    return convention


def delete_convention(session: Session, actor: Any, convention: Convention) -> None:
    require_manage(actor)
    for allocation in convention.allocations:
        ensure_editable(allocation.programme)
    if convention.payments:
        errors = Errors()
        errors.add("__all__", "Impossible de supprimer une convention qui a reçu des "
                              "versements : supprimez d'abord les versements s'ils sont erronés.")
        errors.raise_if_any()
    session.delete(convention)
    flush(session)


# ---------------------------------------------------------------- schedule
@dataclass
class InstalmentData:
    label: str
    due_date: date | None
    percent: Decimal | None


def save_schedule(session: Session, actor: Any, convention: Convention,
                  rows: list[InstalmentData], expected_version: int | None = None) -> None:
    """Replace the payment schedule; the percentages must add up to 100 %."""
    require_manage(actor)
    check_version(convention, expected_version)
    errors = Errors()
    existing = list(convention.instalments)
    # Row k edits existing instalment k; a blank row over an existing one removes it.
    kept: list[tuple[Instalment | None, InstalmentData]] = []
    removed: list[Instalment] = []
    for index, row in enumerate(rows):
        current = existing[index] if index < len(existing) else None
        if (row.label or "").strip() or row.due_date or row.percent is not None:
            kept.append((current, row))
        elif current is not None:
            removed.append(current)
    removed.extend(existing[len(rows):])
    if ConventionType(convention.type).in_kind and kept:
        errors.add("__all__", "Une mise à disposition valorisée n'est pas versée : "
                              "elle n'a pas d'échéancier.")
    for n, (_, row) in enumerate(kept, start=1):
        if not (row.label or "").strip():
            errors.add("__all__", f"Échéance {n} : le libellé est obligatoire.")
        if row.due_date is None:
            errors.add("__all__", f"Échéance {n} : la date est obligatoire.")
        if row.percent is None or row.percent <= 0 or row.percent > HUNDRED:
            errors.add("__all__", f"Échéance {n} : le pourcentage doit être compris entre 0 et "
                                  "100 %.")
    total = sum((r.percent or ZERO for _, r in kept), ZERO)
    if kept and total != HUNDRED:
        errors.add("__all__", f"Les pourcentages de l'échéancier totalisent {total.normalize():f} %"
                              " : ils doivent faire exactement 100 %.")
    for instalment in removed:
        if instalment.payments:
            errors.add("__all__", f"L'échéance « {instalment.label} » a déjà reçu des versements :"
                                  " elle ne peut pas être retirée.")
    if not errors and kept:
        # only existing instalments have payments; none may fall below what it received
        amounts = split_by_percent(convention.amount, [r.percent for _, r in kept])
        for (current, _), due in zip(kept, amounts, strict=True):
            paid = sum((p.amount for p in current.payments), ZERO) if current else ZERO
            if current is not None and paid > due:
                errors.add("__all__", f"L'échéance « {current.label} » a déjà reçu "
                                      f"{format_money(paid)} : elle ne peut pas descendre à "
                                      f"{format_money(due)}.")
    errors.raise_if_any()
    for instalment in removed:
        convention.instalments.remove(instalment)
        session.delete(instalment)
    for position, (current, row) in enumerate(kept, start=1):
        instalment = current
        if instalment is None:
            instalment = Instalment(convention=convention)
            session.add(instalment)
        instalment.position = position
        instalment.label, instalment.due_date = row.label.strip(), row.due_date
        instalment.percent = row.percent
    convention.version_id += 1
    flush(session)


# ---------------------------------------------------------------- allocations
@dataclass
class AllocationData:
    programme_id: int | None
    action_id: int | None
    axis_id: int | None
    amount: Decimal | None
    comment: str = ""


def _allocated(session: Session, convention_id: int, exclude: int | None) -> Decimal:
    stmt = select(func.coalesce(func.sum(FundingAllocation.amount), 0)).where(
        FundingAllocation.convention_id == convention_id)
    if exclude is not None:
        stmt = stmt.where(FundingAllocation.id != exclude)
    return Decimal(session.scalar(stmt))


def save_allocation(session: Session, actor: Any, convention: Convention,
                    allocation: FundingAllocation | None, data: AllocationData
                    ) -> FundingAllocation:
    """Give part of a convention to an action (or an axis as a whole).

    Refused above what the convention has left, or above what the action's budget
    still needs, with the amounts in the message.
    """
    require_manage(actor)
    errors = Errors()
    programme = session.get(Programme, data.programme_id) if data.programme_id else None
    if programme is None:
        errors.add("programme_id", "Choisissez le programme financé.")
        errors.raise_if_any()
    ensure_editable(programme)
    if not convention.first_year <= programme.year <= convention.last_year:
        errors.add("programme_id", f"La convention finance {convention.years_label} : elle ne "
                                   f"peut pas financer le programme {programme.year}.")
    action = axis = None
    if (data.action_id is None) == (data.axis_id is None):
        errors.add("action_id", "Choisissez soit une action, soit un axe (financement global).")
    elif data.action_id is not None:
        action = session.get(Action, data.action_id)
        if action is None or action.programme_id != programme.id:
            errors.add("action_id", "Cette action n'appartient pas au programme choisi.")
    else:
        axis = session.get(Axis, data.axis_id)
        if axis is None:
            errors.add("axis_id", "Axe introuvable.")
    amount = _money(errors, "amount", data.amount, "Le montant")
    if amount is not None and amount > 0:
        left = convention.amount - _allocated(session, convention.id,
                                              allocation.id if allocation else None)
        if amount > left:
            errors.add("amount", f"Affectation refusée : {format_money(amount)} dépasse ce qui "
                                 f"reste à affecter sur la convention ({format_money(left)} sur "
                                 f"{format_money(convention.amount)}).")
        if action is not None:
            budget = Decimal(session.scalar(
                select(func.coalesce(func.sum(BudgetLine.planned), 0))
                .where(BudgetLine.action_id == action.id)))
            stmt = select(func.coalesce(func.sum(FundingAllocation.amount), 0)).where(
                FundingAllocation.action_id == action.id)
            if allocation is not None:
                stmt = stmt.where(FundingAllocation.id != allocation.id)
            funded = Decimal(session.scalar(stmt))
            if funded + amount > budget:
                errors.add("amount", f"Affectation refusée : l'action « {action.title} » a un "
                                     f"budget de {format_money(budget)}, déjà financé à hauteur "
                                     f"de {format_money(funded)} ; il reste "
                                     f"{format_money(max(budget - funded, ZERO))} à financer.")
        if axis is not None:
            budget = Decimal(session.scalar(
                select(func.coalesce(func.sum(BudgetLine.planned), 0))
                .join(Action, Action.id == BudgetLine.action_id)
                .join(Objective, Objective.id == Action.objective_id)
                .where(Action.programme_id == programme.id, Objective.axis_id == axis.id)))
            stmt = (select(func.coalesce(func.sum(FundingAllocation.amount), 0))
                    .outerjoin(Action, Action.id == FundingAllocation.action_id)
                    .outerjoin(Objective, Objective.id == Action.objective_id)
                    .where(FundingAllocation.programme_id == programme.id,
                           (FundingAllocation.axis_id == axis.id)
                           | (Objective.axis_id == axis.id)))
            if allocation is not None:
                stmt = stmt.where(FundingAllocation.id != allocation.id)
            funded = Decimal(session.scalar(stmt))
            if funded + amount > budget:
                errors.add("amount", f"Affectation refusée : l'{axis.short.lower()} a un budget "
                                     f"de {format_money(budget)} dans le programme "
                                     f"{programme.year}, déjà financé à hauteur de "
                                     f"{format_money(funded)} ; il reste "
                                     f"{format_money(max(budget - funded, ZERO))} à financer.")
    duplicate = session.scalar(select(FundingAllocation).where(
        FundingAllocation.convention_id == convention.id,
        FundingAllocation.programme_id == programme.id,
        FundingAllocation.action_id == data.action_id if data.action_id is not None
        else FundingAllocation.axis_id == data.axis_id))
    if duplicate is not None and duplicate is not allocation:
        errors.add("action_id", "Cette convention finance déjà cette cible : modifiez le montant "
                                "de l'affectation existante.")
    errors.raise_if_any()
    if allocation is None:
        allocation = FundingAllocation(convention=convention)
        session.add(allocation)
    allocation.programme_id = programme.id
    allocation.action_id = data.action_id if action is not None else None
    allocation.axis_id = data.axis_id if axis is not None else None
    allocation.amount = amount
    allocation.comment = (data.comment or "").strip()
    flush(session)
    return allocation


def delete_allocation(session: Session, actor: Any, allocation: FundingAllocation) -> None:
    require_manage(actor)
    ensure_editable(allocation.programme)
    session.delete(allocation)
    flush(session)


# ---------------------------------------------------------------- payments
@dataclass
class PaymentData:
    received_on: date | None
    amount: Decimal | None
    instalment_id: int | None = None
    comment: str = ""


def add_payment(session: Session, actor: Any, convention: Convention, data: PaymentData,
                *, today: date | None = None) -> Payment:
    """Record money received; never more than what remains due (overall and on the instalment)."""
    require_manage(actor)
    today = today or date.today()
    errors = Errors()
    if ConventionType(convention.type).in_kind:
        errors.add("__all__", "Une mise à disposition valorisée n'est pas versée : aucun "
                              "versement ne peut être enregistré.")
        errors.raise_if_any()
    if ConventionStatus(convention.status) is not ConventionStatus.SIGNEE:
        errors.add("__all__", f"La convention est « {ConventionStatus(convention.status).label} » :"
                              " un versement ne s'enregistre que sur une convention signée.")
    if data.received_on is None:
        errors.add("received_on", "La date de réception est obligatoire.")
    elif data.received_on > today:
        errors.add("received_on", "La date de réception ne peut pas être dans le futur.")
    elif convention.signature_date and data.received_on < convention.signature_date:
        errors.add("received_on", "La date de réception précède la signature de la convention "
                                  f"({format_date(convention.signature_date)}).")
    amount = _money(errors, "amount", data.amount, "Le montant")
    received = sum((p.amount for p in convention.payments), ZERO)
    remaining = convention.amount - received
    instalment = None
    if data.instalment_id is not None:
        instalment = session.get(Instalment, data.instalment_id)
        if instalment is None or instalment.convention_id != convention.id:
            errors.add("instalment_id", "Échéance introuvable pour cette convention.")
            instalment = None
    if amount is not None and amount > 0:
        if amount > remaining:
            errors.add("amount", f"Versement refusé : {format_money(amount)} dépasse ce qui reste "
                                 f"dû sur la convention ({format_money(remaining)}).")
        elif instalment is not None:
            status = next(s for s in instalment_statuses(convention, today)
                          if s.instalment is instalment)
            if amount > status.remaining:
                errors.add("amount", f"Versement refusé : {format_money(amount)} dépasse ce qui "
                                     f"reste dû sur l'échéance « {instalment.label} » "
                                     f"({format_money(status.remaining)}).")
    errors.raise_if_any()
    payment = Payment(convention=convention, instalment=instalment, received_on=data.received_on,
                      amount=amount, comment=(data.comment or "").strip())
    session.add(payment)
    flush(session)
    return payment


def delete_payment(session: Session, actor: Any, payment: Payment) -> None:
    require_manage(actor)
    convention = payment.convention
    if ConventionStatus(convention.status) is ConventionStatus.SOLDEE:
        errors = Errors()
        errors.add("__all__", "La convention est soldée : repassez-la en « signée » avant de "
                              "corriger ses versements.")
        errors.raise_if_any()
    convention.payments.remove(payment)
    session.delete(payment)
    flush(session)


# ---------------------------------------------------------------- reporting deadlines
@dataclass
class DeadlineData:
    label: str
    due_date: date | None
    done_date: date | None = None


def save_deadline(session: Session, actor: Any, convention: Convention,
                  deadline: ReportingDeadline | None, data: DeadlineData) -> ReportingDeadline:
    require_manage(actor)
    errors = Errors()
    if not (data.label or "").strip():
        errors.add("label", "Le libellé de l'échéance est obligatoire (ex. « Bilan final »).")
    if data.due_date is None:
        errors.add("due_date", "La date limite est obligatoire.")
    errors.raise_if_any()
    if deadline is None:
        deadline = ReportingDeadline(convention=convention)
        session.add(deadline)
    deadline.label, deadline.due_date = data.label.strip(), data.due_date
    deadline.done_date = data.done_date
    flush(session)
    return deadline


def delete_deadline(session: Session, actor: Any, deadline: ReportingDeadline) -> None:
    require_manage(actor)
    deadline.convention.deadlines.remove(deadline)
    session.delete(deadline)
    flush(session)


# ---------------------------------------------------------------- settings
def set_tolerance(session: Session, actor: Any, region: Region, percent: Decimal | None
                  ) -> FundingSettings:
    if actor is not None and not can(actor, "funding.settings"):
        raise PermissionDenied("Seul·e un·e administrateur·rice règle la tolérance.")
    errors = Errors()
    if percent is None or not ZERO <= percent <= Decimal(50):
        errors.add("tolerance_percent", "La tolérance doit être comprise entre 0 et 50 %.")
    errors.raise_if_any()
    settings = session.scalar(select(FundingSettings).where(FundingSettings.region_id == region.id))
    if settings is None:
        settings = FundingSettings(region_id=region.id)
        session.add(settings)
    settings.tolerance_percent = percent
    flush(session)
    return settings

