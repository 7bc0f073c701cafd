"""Who may do what with councils, minutes, decisions and collective projects.

The policy (``models.policy``) maps its rule names onto these functions; they take the
user and the object, never a session, so the web app, the dashboard and the CLI ask
the same question the same way.
"""

from __future__ import annotations

from typing import Any

from models.accounts.roles import ARML_TEAM, NETWORK_READERS, Role
from models.councils.enums import MinutesStatus


def _role(user: Any) -> Role | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    if not getattr(user, "active", False):
        return None
    return Role(user.role)


def _email(user: Any) -> str:
    return (getattr(user, "email", "") or "").strip().lower()


def is_guest(user: Any, meeting: Any) -> bool:
    """A person invited to this meeting by e-mail (a funder's account invited as guest)."""
    email = _email(user)
    return bool(email) and meeting is not None and any(
        i.email == email for i in meeting.invitees)


def ml_invited(user: Any, meeting: Any) -> bool:
    ml_id = getattr(user, "mission_locale_id", None)
    return ml_id is not None and meeting is not None and any(
        i.mission_locale_id == ml_id for i in meeting.invitees)


def view_area(user: Any, obj: Any) -> bool:
    """The /conseils/ area: team, copil, missions locales (a funder only reaches the
    meetings it is invited to, see ``view_meeting``)."""
    return _role(user) in NETWORK_READERS or _role(user) is Role.ML


def view_meeting(user: Any, meeting: Any) -> bool:
    role = _role(user)
    if role in NETWORK_READERS or role is Role.ML:
        return True
    return role is Role.FINANCEUR and is_guest(user, meeting)


def view_minutes(user: Any, minutes: Any) -> bool:
    """Team: every state. Others: approved minutes of a meeting they may see; circulated
    ones too for the people invited to the meeting (they are circulated to be read)."""
    role = _role(user)
    if role in ARML_TEAM:
        return True
    if minutes is None:
        return False
    meeting = minutes.meeting
    if not view_meeting(user, meeting):
        return False
    status = MinutesStatus(minutes.status)
    if status is MinutesStatus.APPROUVE:
        return True
    return status is MinutesStatus.DIFFUSE and (ml_invited(user, meeting)
                                                or is_guest(user, meeting))


def answer_invitation(user: Any, invitee: Any) -> bool:
    """Team for anyone; a mission locale for its own director (and its own invitees)."""
    role = _role(user)
    if role in ARML_TEAM:
        return True
    return (role is Role.ML and invitee is not None
            and invitee.mission_locale_id is not None
            and invitee.mission_locale_id == user.mission_locale_id)


def propose_topic(user: Any, obj: Any) -> bool:
    return _role(user) in ARML_TEAM or _role(user) is Role.ML


def view_decision(user: Any, decision: Any) -> bool:
    """Team and copil read the whole register; a mission locale the decisions its ML owns."""
    role = _role(user)
    if role in NETWORK_READERS:
        return True
    if role is not Role.ML:
        return False
    return decision is None or (decision.owner_ml_id is not None
                                and decision.owner_ml_id == user.mission_locale_id)


def progress_decision(user: Any, decision: Any) -> bool:
    """The team updates any decision; a mission locale the progress of those it owns."""
    role = _role(user)
    if role in ARML_TEAM:
        return True
    return (role is Role.ML and decision is not None and decision.owner_ml_id is not None
            and decision.owner_ml_id == user.mission_locale_id)
