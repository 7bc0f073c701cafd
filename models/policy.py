"""The one authorization policy: who may do what, on which object.

Every view of the web app, every dashboard page and every service asks
``can(user, action, obj)``; list queries go through the ``scope_*`` helpers so
that a mission locale user never receives another mission locale's rows.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Select, false, select

from models.accounts.roles import ARML_TEAM, NETWORK_READERS, Role
from models.councils import rules as _councils
from models.errors import PermissionDenied
from models.mentoring import rules as _mentoring
from models.network.orm import MissionLocale

Rule = Callable[[Any, Any], bool]


def _role(user: Any) -> Role | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    if not getattr(user, "active", False):
        return None
    return Role(user.role)


def grantable_roles(user: Any) -> list[Role]:
    """Roles this user may give to an account: admins all, animateurs only ``ml``."""
    role = _role(user)
    if role is Role.ADMIN:
        return list(Role)
    if role is Role.ANIMATEUR:
        return [Role.ML]
    return []


def _manage_user(user: Any, target: Any) -> bool:
    if _role(user) not in ARML_TEAM:
        return False
    return target is None or Role(target.role) in grantable_roles(user)


def _view_mission_locale(user: Any, ml: MissionLocale | None) -> bool:
    role = _role(user)
    if role in NETWORK_READERS:
        return True
    return role is Role.ML and ml is not None and ml.id == user.mission_locale_id


def _view_action(user: Any, action: Any) -> bool:
    """Team and copil see every action; a mission locale only those it takes part in."""
    role = _role(user)
    if role in NETWORK_READERS:
        return True
    if role is not Role.ML or action is None:
        return False
    return any(link.mission_locale_id == user.mission_locale_id for link in action.ml_links)


def _funder_id_of(obj: Any) -> int | None:
    """The funder an object belongs to (a funder, a convention or anything with a convention)."""
    if obj is None:
        return None
    if hasattr(obj, "funder_id"):
        return obj.funder_id
    if obj.__class__.__name__ == "Funder":
        return obj.id
    convention = getattr(obj, "convention", None)
    return convention.funder_id if convention is not None else None


def _view_funding(user: Any, obj: Any) -> bool:
    """Team and copil read every funder; a funder's account only its own things."""
    role = _role(user)
    if role in NETWORK_READERS:
        return True
    if role is not Role.FINANCEUR:
        return False
    return obj is None or (user.funder_id is not None and _funder_id_of(obj) == user.funder_id)


def _view_registration(user: Any, registration: Any) -> bool:
    """Team and copil see every registration; a mission locale only its own staff's."""
    role = _role(user)
    if role in NETWORK_READERS:
        return True
    return (role is Role.ML and registration is not None
            and registration.mission_locale_id == user.mission_locale_id)


def _view_quality(user: Any, obj: Any) -> bool:
    """Team and copil see every mission locale's data quality; an ml account only its own.

    ``obj`` is anything with a ``mission_locale_id`` (an extract, a finding's extract) or
    ``None`` for the area itself.
    """
    role = _role(user)
    if role in NETWORK_READERS:
        return True
    if role is not Role.ML:
        return False
    return obj is None or getattr(obj, "mission_locale_id", None) == user.mission_locale_id


def _view_findings(user: Any, obj: Any) -> bool:
    """Record-level findings (young person's id, field values) and their exports: the ARML
    team, and an ml account for its own mission locale. The copil steers from the regional
    table and the per-rule counts; it gets no youth-level list (data minimisation).

    ``obj`` as for ``_view_quality``.
    """
    role = _role(user)
    if role in ARML_TEAM:
        return True
    if role is not Role.ML:
        return False
    return obj is None or getattr(obj, "mission_locale_id", None) == user.mission_locale_id


def _view_report(user: Any, obj: Any) -> bool:
    """Funder activity reports: the team reads every version (drafts included); the copil
    reads published ones; a funder's account only the published reports of its own funder
    (another funder's report is a 404, see ``webapp.funding.views_reports``)."""
    role = _role(user)
    if role in ARML_TEAM:
        return True
    published = obj is None or getattr(obj, "published_at", None) is not None
    if role is Role.COPIL:
        return published
    if role is Role.FINANCEUR and user.funder_id is not None:
        return published and (obj is None or obj.funder_id == user.funder_id)
    return False


RULES: dict[str, Rule] = {
    # any signed-in, active account
    "home.view": lambda u, o: _role(u) is not None,
    # network-wide lists and dashboards
    "network.view": lambda u, o: _role(u) in NETWORK_READERS,
    "mission_locale.view": _view_mission_locale,
    # accounts administration (list: ARML team; one account: only if its role is grantable)
    "users.view": lambda u, o: _role(u) in ARML_TEAM,
    "users.manage": _manage_user,
    "audit.view": lambda u, o: _role(u) is Role.ADMIN,
    # programme régional d'animation: the team edits, the copil reads, a mission locale
    # sees the actions it takes part in (never budgets, team or other actions)
    "programme.view": lambda u, o: _role(u) in NETWORK_READERS or _role(u) is Role.ML,
    "programme.overview": lambda u, o: _role(u) in NETWORK_READERS,
    "programme.manage": lambda u, o: _role(u) in ARML_TEAM,
    "programme.reference": lambda u, o: _role(u) is Role.ADMIN,
    "action.view": _view_action,
    # funding: the team edits, the copil reads everything, a funder's account reads only
    # its own funder's conventions, payments and execution (never another funder's amounts);
    # missions locales have no access
    "funding.view": _view_funding,
    "funding.plan": lambda u, o: _role(u) in NETWORK_READERS,
    "funding.manage": lambda u, o: _role(u) in ARML_TEAM,
    "funding.settings": lambda u, o: _role(u) is Role.ADMIN,
    # funder activity reports (PDF): the team writes, generates and publishes; each funder
    # reads its own published reports, the copil all published ones
    "reports.view": _view_report,
    "reports.manage": lambda u, o: _role(u) in ARML_TEAM,
    # staff-time justification (hours per person): the team only
    "timesheet.manage": lambda u, o: _role(u) in ARML_TEAM,
    "timesheet.direction": lambda u, o: _role(u) is Role.ADMIN,
    # regional training programme: every signed-in account reads the catalogue; the team
    # runs it; a mission locale registers and follows only its own staff
    "training.view": lambda u, o: _role(u) is not None,
    "training.manage": lambda u, o: _role(u) in ARML_TEAM,
    "training.register": lambda u, o: _role(u) in ARML_TEAM or _role(u) is Role.ML,
    "registration.view": _view_registration,
    "training.stats": lambda u, o: _role(u) in NETWORK_READERS,
    # data quality of the Parcours extracts: team and copil see the region, an ml account
    # only its own mission locale; funders nothing. The findings record by record (and
    # their exports) are the team's and the ml account's own, never the copil's. The team
    # imports and marks findings; thresholds are the admin's.
    "quality.view": _view_quality,
    "quality.findings": _view_findings,
    "quality.region": lambda u, o: _role(u) in NETWORK_READERS,
    "quality.import": lambda u, o: _role(u) in ARML_TEAM,
    # the imports' logs (their refusals may quote an id_jeune): the team only
    "quality.imports": lambda u, o: _role(u) in ARML_TEAM,
    "quality.mark": lambda u, o: _role(u) in ARML_TEAM,
    "quality.settings": lambda u, o: _role(u) is Role.ADMIN,
    # regional observatory: every account reads it (an ml account its own ML's view, see
    # models.observatory.queries); the whole network view, the threshold and the audit
    "observatory.view": lambda u, o: _role(u) is not None,
    "observatory.region": lambda u, o: _role(u) in NETWORK_READERS or _role(u) is Role.FINANCEUR,
    "observatory.settings": lambda u, o: _role(u) is Role.ADMIN,
    "observatory.audit": lambda u, o: _role(u) is Role.ADMIN,
    # councils, collective projects and the decision register (models.councils.rules):
    # the team runs them; copil reads approved minutes and the register; a mission locale
    # answers for its director, proposes topics, reads approved minutes and follows the
    # decisions its ML owns; a funder only the meetings it is invited to as a guest
    "councils.view": _councils.view_area,
    "councils.meeting": _councils.view_meeting,
    "councils.manage": lambda u, o: _role(u) in ARML_TEAM,
    "councils.answer": _councils.answer_invitation,
    "councils.propose": _councils.propose_topic,
    "minutes.view": _councils.view_minutes,
    "decisions.view": _councils.view_decision,
    # the dashboard page "Conseils et projets": the team and the copil
    "councils.stats": lambda u, o: _role(u) in NETWORK_READERS,
    "decisions.progress": _councils.progress_decision,
    # parrainage (models.mentoring.rules): a mission locale keeps its own mentors, pseudonymous
    # mentees and pairings (another ML's id does not exist for it); the team reads every ML
    "mentoring.view": _mentoring.view_area,
    "mentoring.record": _mentoring.view_record,
    "mentoring.edit": _mentoring.edit_record,
    # the State's yearly table, protected by the observatory's secrecy function: everyone
    # (an ml account its own ML's column and the region)
    "mentoring.stats": lambda u, o: _role(u) is not None,
    # the outbox holds every e-mail (names, addresses): admins only
    "outbox.view": lambda u, o: _role(u) is Role.ADMIN,
    # operations: scheduled jobs (see and run now) and the access log of youth-level data
    "jobs.view": lambda u, o: _role(u) is Role.ADMIN,
    "jobs.run": lambda u, o: _role(u) is Role.ADMIN,
    "access_log.view": lambda u, o: _role(u) is Role.ADMIN,
}


def can(user: Any, action: str, obj: Any = None) -> bool:
    """True if ``user`` may perform ``action`` (on ``obj``). Unknown actions are a bug."""
    try:
        rule = RULES[action]
    except KeyError:
        raise KeyError(f"Unknown policy action {action!r}") from None
    return bool(rule(user, obj))


def require(user: Any, action: str, obj: Any = None) -> None:
    if not can(user, action, obj):
        raise PermissionDenied()


def scope_actions(stmt: Select, user: Any) -> Select:
    """Restrict a select on Action to what the user may see (see ``_view_action``)."""
    from models.programme.orm import Action, ActionMissionLocale

    role = _role(user)
    if role in NETWORK_READERS:
        return stmt
    if role is Role.ML:
        return stmt.where(Action.id.in_(
            select(ActionMissionLocale.action_id)
            .where(ActionMissionLocale.mission_locale_id == user.mission_locale_id)))
    return stmt.where(false())


def scope_conventions(stmt: Select, user: Any) -> Select:
    """Restrict a select on Convention to what the user may see (see ``_view_funding``)."""
    from models.funding.orm import Convention

    role = _role(user)
    if role in NETWORK_READERS:
        return stmt
    if role is Role.FINANCEUR and user.funder_id is not None:
        return stmt.where(Convention.funder_id == user.funder_id)
    return stmt.where(false())


def scope_registrations(stmt: Select, user: Any) -> Select:
    """Restrict a select on Registration to what the user may see."""
    from models.training.orm import Registration

    role = _role(user)
    if role in NETWORK_READERS:
        return stmt
    if role is Role.ML:
        return stmt.where(Registration.mission_locale_id == user.mission_locale_id)
    return stmt.where(false())


def scope_missions_locales(stmt: Select, user: Any) -> Select:
    """Restrict a select on MissionLocale (or its columns) to what the user may see."""
    role = _role(user)
    if role in NETWORK_READERS:
        return stmt
    if role is Role.ML:
        return stmt.where(MissionLocale.id == user.mission_locale_id)
    return stmt.where(false())
