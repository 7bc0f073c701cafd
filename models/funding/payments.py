"""Money received on a convention, and the reports the funder expects in return."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from models import clock
from models.errors import Errors
from models.formatting import format_date, format_money
from models.funding.enums import ConventionStatus, ConventionType
from models.funding.orm import (
    Convention,
    Instalment,
    Payment,
    ReportingDeadline,
)
from models.funding.queries import instalment_statuses
from models.funding.services import ZERO, check_amount, require_manage
from models.programme.guards import flush


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
    today = today or clock.today()
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
    amount = check_amount(errors, "amount", data.amount, "Le montant")
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
