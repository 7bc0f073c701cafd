"""Rules of the programme domain that do not touch the database.

The workflow, who may move a programme along it, what "late" and
"over-allocated" mean, and the ETP/day conversions all live here so the web
app, the dashboard, the exports and the tests agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from models.accounts.roles import ARML_TEAM, Role
from models.errors import DomainError
from models.programme.enums import ActionStatus, ProgrammeStatus

S = ProgrammeStatus


@dataclass(frozen=True)
class Transition:
    source: ProgrammeStatus
    target: ProgrammeStatus
    verb: str  # button label
    needs_comment: bool = False
    admin_only: bool = False


#: The workflow brouillon → soumis au copil → validé → en cours → clôturé, with the two
#: ways back a real year needs (the copil sends a draft back; an admin reopens a closed year).
TRANSITIONS: tuple[Transition, ...] = (
    Transition(S.BROUILLON, S.SOUMIS, "Soumettre au copil"),
    Transition(S.SOUMIS, S.BROUILLON, "Renvoyer en brouillon", needs_comment=True),
    Transition(S.SOUMIS, S.VALIDE, "Enregistrer la validation du copil"),
    Transition(S.VALIDE, S.EN_COURS, "Démarrer la mise en œuvre"),
    Transition(S.EN_COURS, S.CLOTURE, "Clôturer le programme"),
    Transition(S.CLOTURE, S.EN_COURS, "Rouvrir le programme", needs_comment=True,
               admin_only=True),
)

#: Statuses an action cannot be "late" in.
SETTLED = frozenset({ActionStatus.REALISEE, ActionStatus.ABANDONNEE, ActionStatus.REPORTEE})


class ProgrammeReadOnly(DomainError):
    def __init__(self, year: int):
        super().__init__(f"Le programme {year} est clôturé : il est en lecture seule. "
                         "Un·e administrateur·rice peut le rouvrir si une correction s'impose.")


def _role(user: Any) -> Role | None:
    role = getattr(user, "role", None)
    return Role(role) if role else None


def transitions_from(status: ProgrammeStatus, user: Any) -> list[Transition]:
    """The moves this user may make from ``status``."""
    role = _role(user)
    if role not in ARML_TEAM:
        return []
    return [t for t in TRANSITIONS if t.source is status
            and (not t.admin_only or role is Role.ADMIN)]


def find_transition(source: ProgrammeStatus, target: ProgrammeStatus) -> Transition | None:
    return next((t for t in TRANSITIONS if t.source is source and t.target is target), None)


def ensure_editable(programme: Any) -> None:
    if ProgrammeStatus(programme.status) is ProgrammeStatus.CLOTURE:
        raise ProgrammeReadOnly(programme.year)


# ---------------------------------------------------------------- staff time
def quantize(value: Decimal, places: str = "0.01") -> Decimal:
    return value.quantize(Decimal(places), rounding=ROUND_HALF_UP)


def days_to_etp(days: Decimal, etp_days: int) -> Decimal:
    return quantize(Decimal(days) / Decimal(etp_days), "0.01")


def etp_to_days(etp: Decimal, etp_days: int) -> Decimal:
    return quantize(Decimal(etp) * Decimal(etp_days), "0.01")


def capacity_days(contract_etp: Decimal, start: date, end: date | None, year: int,
                  etp_days: int) -> Decimal:
    """Days a member can give in ``year``: contract ETP pro rata of the months under contract."""
    first, last = date(year, 1, 1), date(year, 12, 31)
    begin, finish = max(start, first), min(end or last, last)
    if finish < begin:
        return Decimal("0.00")
    share = Decimal((finish - begin).days + 1) / Decimal((last - first).days + 1)
    return quantize(Decimal(contract_etp) * Decimal(etp_days) * share)


# ---------------------------------------------------------------- lateness
def action_is_late(status: ActionStatus, end_date: date, today: date) -> bool:
    return ActionStatus(status) not in SETTLED and end_date < today


def outside_year(start: date, end: date, year: int) -> bool:
    return start.year != year or end.year != year


def ratio(part: Decimal | int, whole: Decimal | int) -> Decimal | None:
    """part / whole as a Decimal fraction, or None when there is nothing to measure."""
    if not whole:
        return None
    return Decimal(part) / Decimal(whole)
