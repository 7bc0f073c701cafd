"""Writes of the funding domain — funders, conventions, schedules, the tolerance —
validate everything, then flush (never commit). Allocations and payments have their
own modules (``allocations``, ``payments``) and share the helpers defined here.

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
from models.formatting import format_money
from models.funding.enums import ConventionStatus, ConventionType, FunderType
from models.funding.orm import (
    Convention,
    Funder,
    FundingAllocation,
    FundingSettings,
    Instalment,
)
from models.funding.rules import HUNDRED, split_by_percent
from models.money import MAX_AMOUNT, too_large
from models.network.orm import Region
from models.policy import can
from models.programme.guards import check_version, flush
from models.programme.rules import ensure_editable

log = logging.getLogger(__name__)
ZERO = Decimal("0.00")


def require_manage(actor: Any) -> None:
    if actor is not None and not can(actor, "funding.manage"):
        raise PermissionDenied()


def check_amount(errors: Errors, field_name: str, value: Decimal | None, what: str,
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
    amount = check_amount(errors, "amount", data.amount, "Le montant")
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

