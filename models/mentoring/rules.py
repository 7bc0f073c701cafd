"""Who may see and change mentors, mentees and pairings.

A mission locale only its own ML's records; the team reads every ML. The policy
(``models.policy``) maps its rule names onto these functions; they take the user and the
object, never a session. Copil and funders see only the protected yearly tables.
"""

from __future__ import annotations

from typing import Any

from models.accounts.roles import ARML_TEAM, Role


def _role(user: Any) -> Role | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    if not getattr(user, "active", False):
        return None
    return Role(user.role)


def _own(user: Any, obj: Any) -> bool:
    ml_id = getattr(user, "mission_locale_id", None)
    return (obj is not None and ml_id is not None
            and getattr(obj, "mission_locale_id", None) == ml_id)


def view_area(user: Any, obj: Any) -> bool:
    """The /parrainage/ area's records: the team and the missions locales."""
    return _role(user) in ARML_TEAM or _role(user) is Role.ML


def view_record(user: Any, obj: Any) -> bool:
    """A mentor, mentee or pairing (``obj=None``: the list, filtered by ``ml_scope``)."""
    role = _role(user)
    if role in ARML_TEAM:
        return True
    return role is Role.ML and (obj is None or _own(user, obj))


def edit_record(user: Any, obj: Any) -> bool:
    """Only the mission locale that holds the record (``obj=None``: create in its own ML)."""
    return _role(user) is Role.ML and (obj is None or _own(user, obj))


def ml_scope(user: Any) -> int | None:
    """The mission locale a list is restricted to (None: every ML, for the team)."""
    return None if _role(user) in ARML_TEAM else getattr(user, "mission_locale_id", -1)
