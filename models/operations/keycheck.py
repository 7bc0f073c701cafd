"""The pseudonymisation key's check value, stored in the database.

Pseudonyms are HMACs keyed by ``PARCOURS_PSEUDO_KEY``: data made with one key and an
import run with another give every young person a new pseudonym, and duplicate checks
break without a word. The database therefore keeps a *check value* of the key it was made
with (an HMAC of a fixed label: it reveals nothing about the key) and imports and restores
refuse a different key instead of going on.
"""

from __future__ import annotations

import hashlib
import hmac

from sqlalchemy import Connection, Engine, select
from sqlalchemy.orm import Session

from models.errors import DomainError
from models.operations.orm import AppState

KCV_NAME = "parcours_pseudo_kcv"
_LABEL = b"animareseau key check value v1"


class WrongPseudonymKey(DomainError):
    pass


def check_value(key: bytes) -> str:
    """16 hex digits that identify the key without revealing it."""
    return hmac.new(key, _LABEL, hashlib.sha256).hexdigest()[:16]


def stored_check_value(bind: Session | Connection) -> str | None:
    return bind.scalar(select(AppState.value).where(AppState.name == KCV_NAME))


def mismatch_message(stored: str, actual: str) -> str:
    return (f"La clé de pseudonymisation (PARCOURS_PSEUDO_KEY) n'est pas celle avec laquelle "
            f"les données ont été pseudonymisées (valeur de contrôle attendue {stored}, "
            f"clé fournie {actual}). Rien n'a été modifié : remettez la clé d'origine, "
            "sinon les pseudonymes ne correspondraient plus et les doublons passeraient "
            "inaperçus.")


def ensure_key_matches(engine: Engine, key: bytes) -> None:
    """Record the key's check value on first use; refuse a different key afterwards."""
    actual = check_value(key)
    with engine.begin() as conn:
        stored = stored_check_value(conn)
        if stored is None:
            conn.execute(AppState.__table__.insert().values(name=KCV_NAME, value=actual,
                                                           updated_at=_now()))
            return
    if stored != actual:
        raise WrongPseudonymKey(mismatch_message(stored, actual))


def _now():
    from models import clock

    return clock.now()
