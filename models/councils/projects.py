"""Collective projects (clusters, working groups, collective actions) run with volunteer
missions locales: the project sheet and its phase, the participating MLs, one binôme per
ML, the experiments each ML leads, and when the project is evaluated.

Rules: a title is unique; an ML joins a project once and only while active; a withdrawal
has a reason; a binôme is exactly two distinct people (addresses compared trimmed and
lower-cased), one of them from the direction; the evaluation falls 6 to 12 months after
the last session of the project's training (default 6). Validate everything, then write;
writes flush, never commit (the caller's unit of work commits once).
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models.accounts.services import EMAIL_RE, normalize_email
from models.base import utcnow
from models.councils.decisions import check_version, flush
from models.councils.enums import (
    BinomeRole,
    ExperimentStatus,
    ParticipantStatus,
    ProjectKind,
    ProjectPhase,
)
from models.councils.orm import (
    BinomeMember,
    CollectiveProject,
    CouncilSeries,
    Experiment,
    ProjectParticipant,
)
from models.errors import DomainError, Errors, PermissionDenied
from models.formatting import format_date
from models.network.orm import MissionLocale
from models.policy import can
from models.programme.orm import Action
from models.training.enums import SessionStatus
from models.training.orm import Training, TrainingSession

TITLE_MAX = 200
TEXT_MAX = 10_000
PARTNERS_MAX = 2_000
NAME_MAX = 120
EMAIL_MAX = 254
MONTHS_MIN, MONTHS_MAX = 6, 12
DEFAULT_MONTHS = 6
BINOME_SIZE = 2

#: Bootstrap colour of each phase's badge (list and project page)
PHASE_BADGES: dict[str, str] = {
    "appel": "secondary", "lancement": "info", "sessions": "primary",
    "intersession": "primary", "bilan": "warning", "evaluation": "success"}
PARTICIPANT_BADGES: dict[str, str] = {"candidat": "secondary", "retenu": "success",
                                      "retire": "danger"}
EXPERIMENT_BADGES: dict[str, str] = {"prevue": "secondary", "en_cours": "info",
                                     "realisee": "success", "abandonnee": "dark"}


def require_manage(actor: Any) -> None:
    """Only the team edits projects (``actor`` None: CLI or seed, trusted)."""
    if actor is not None and not can(actor, "councils.manage"):
        raise PermissionDenied()


def _text(value: str | None) -> str:
    return (value or "").strip()


# ---------------------------------------------------------------- dates
def add_months(day: date, months: int) -> date:
    """``day`` plus whole calendar months (31 August + 6 → 28/29 February)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _last_session(session: Session, training_id: int | None) -> date | None:
    if training_id is None:
        return None
    return session.scalar(select(func.max(TrainingSession.end_date)).where(
        TrainingSession.training_id == training_id,
        TrainingSession.status != SessionStatus.ANNULEE))


def _computed_due(session: Session, training_id: int | None, months: int) -> date | None:
    last = _last_session(session, training_id)
    return add_months(last, months) if last is not None else None


def last_session_date(session: Session, project: CollectiveProject) -> date | None:
    """The last day of the project's sessions (its training's sessions not cancelled)."""
    return _last_session(session, project.training_id)


def evaluation_window(session: Session, project: CollectiveProject
                      ) -> tuple[date, date] | None:
    """The dates the evaluation may fall on: 6 to 12 months after the last session."""
    last = last_session_date(session, project)
    if last is None:
        return None
    return add_months(last, MONTHS_MIN), add_months(last, MONTHS_MAX)


def computed_due(session: Session, project: CollectiveProject) -> date | None:
    """Last session + the project's delay (6 months unless changed)."""
    return _computed_due(session, project.training_id, project.evaluation_months)


def evaluation_due(session: Session, project: CollectiveProject) -> date | None:
    """The evaluation date every page shows: the date the team chose while it still fits
    the sessions (a session moved in the training module may push it out), else last
    session + the delay. Only a chosen date is stored."""
    window = evaluation_window(session, project)
    if window is None:
        return None
    stored = project.evaluation_due
    if stored is not None and window[0] <= stored <= window[1]:
        return stored
    return computed_due(session, project)


# ---------------------------------------------------------------- the project sheet
@dataclass
class ProjectData:
    title: str = ""
    kind: str = ProjectKind.CLUSTER.value
    description: str = ""
    partners: str = ""
    action_id: int | None = None
    series_id: int | None = None
    training_id: int | None = None


def _validate_project(session: Session, project: CollectiveProject | None, data: ProjectData,
                      errors: Errors) -> str:
    title = _text(data.title)
    if not title:
        errors.add("title", "L'intitulé du projet est obligatoire.")
    elif len(title) > TITLE_MAX:
        errors.add("title", f"L'intitulé ne peut pas dépasser {TITLE_MAX} caractères.")
    else:
        other = session.scalar(select(CollectiveProject).where(
            func.lower(CollectiveProject.title) == title.lower()))
        if other is not None and (project is None or other.id != project.id):
            errors.add("title", f"Un projet s'intitule déjà « {other.title} » : choisissez "
                                "un autre intitulé.")
    if data.kind not in ProjectKind._value2member_map_:
        errors.add("kind", "Choisissez le type : cluster, groupe de travail ou action "
                           "collective.")
    if len(_text(data.description)) > TEXT_MAX:
        errors.add("description", f"La description dépasse {TEXT_MAX:,} caractères."
                   .replace(",", "\u202f"))
    if len(_text(data.partners)) > PARTNERS_MAX:
        errors.add("partners", f"Les partenaires dépassent {PARTNERS_MAX:,} caractères."
                   .replace(",", "\u202f"))
    if data.action_id is not None and session.get(Action, data.action_id) is None:
        errors.add("action_id", "Action du programme introuvable.")
    own_id = project.id if project is not None else None
    if data.series_id is not None:
        if session.get(CouncilSeries, data.series_id) is None:
            errors.add("series_id", "Série de réunions introuvable.")
        else:
            taken = session.scalar(select(CollectiveProject.title).where(
                CollectiveProject.series_id == data.series_id,
                CollectiveProject.id != (own_id or -1)))
            if taken is not None:
                errors.add("series_id", f"Cette série de réunions est déjà celle du projet "
                                        f"« {taken} ».")
    if data.training_id is not None:
        if session.get(Training, data.training_id) is None:
            errors.add("training_id", "Formation introuvable.")
        else:
            taken = session.scalar(select(CollectiveProject.title).where(
                CollectiveProject.training_id == data.training_id,
                CollectiveProject.id != (own_id or -1)))
            if taken is not None:
                errors.add("training_id", f"Les sessions de cette formation sont déjà celles "
                                          f"du projet « {taken} ».")
    return title


def save_project(session: Session, actor: Any, project: CollectiveProject | None,
                 data: ProjectData, *, expected_version: int | None = None
                 ) -> CollectiveProject:
    """Create (``project`` None) or edit a project sheet; a new project starts at the
    call for applications. The evaluation date follows a change of training."""
    require_manage(actor)
    if project is not None:
        check_version(project, expected_version)
    errors = Errors()
    title = _validate_project(session, project, data, errors)
    errors.raise_if_any()
    # the evaluation date follows the training's sessions; a date the team chose is
    # kept while the training does not change
    training_changed = project is None or project.training_id != data.training_id
    if project is None:
        project = CollectiveProject(title=title, kind=ProjectKind(data.kind),
                                    phase=ProjectPhase.APPEL, evaluation_months=DEFAULT_MONTHS)
        session.add(project)
    project.title, project.kind = title, ProjectKind(data.kind)
    project.description, project.partners = _text(data.description), _text(data.partners)
    project.action_id, project.series_id = data.action_id, data.series_id
    project.training_id = data.training_id
    if training_changed:
        project.evaluation_due = None
    try:
        flush(session)
    except IntegrityError as exc:  # the same title saved meanwhile by someone else
        raise DomainError(f"Un projet s'intitule déjà « {title} » : choisissez un autre "
                          "intitulé.") from exc
    return project


def set_phase(session: Session, actor: Any, project: CollectiveProject, phase: str, *,
              expected_version: int | None = None) -> CollectiveProject:
    """Move the project to another phase (the team may also step back to correct)."""
    require_manage(actor)
    check_version(project, expected_version)
    if phase not in ProjectPhase._value2member_map_:
        raise DomainError("Phase inconnue : choisissez appel à candidatures, lancement, "
                          "sessions, intersession, bilan ou évaluation.")
    if ProjectPhase(project.phase) is not ProjectPhase(phase):
        project.phase = ProjectPhase(phase)
        flush(session)
    return project


def set_evaluation(session: Session, actor: Any, project: CollectiveProject, *,
                   months: int | None, due: date | None = None,
                   expected_version: int | None = None) -> CollectiveProject:
    """Set how long after the last session the project is evaluated (6 to 12 months), or
    an explicit date within that window; without a date, the date is recomputed."""
    require_manage(actor)
    check_version(project, expected_version)
    errors = Errors()
    if months is None:
        errors.add("evaluation_months", "Indiquez le délai d'évaluation, en mois (6 à 12).")
    elif not MONTHS_MIN <= months <= MONTHS_MAX:
        errors.add("evaluation_months", f"L'évaluation a lieu entre {MONTHS_MIN} et "
                                        f"{MONTHS_MAX} mois après la dernière session "
                                        f"({months} demandé).")
    window = evaluation_window(session, project)
    if due is not None:
        if window is None:
            errors.add("evaluation_due", "La date d'évaluation se calcule depuis la dernière "
                                         "session : reliez d'abord le projet à la formation "
                                         "qui porte ses sessions.")
        elif not window[0] <= due <= window[1]:
            errors.add("evaluation_due", f"La date d'évaluation doit tomber entre 6 mois et "
                                         f"un an après la dernière session, soit du "
                                         f"{format_date(window[0])} au "
                                         f"{format_date(window[1])}.")
    errors.raise_if_any()
    project.evaluation_months = months
    project.evaluation_due = due  # only a date the team chose; otherwise computed on read
    flush(session)
    return project


# ---------------------------------------------------------------- participants
def participating_count(session: Session, project: CollectiveProject | int) -> int:
    """Missions locales retained in the project (the indicator « MLs participantes »)."""
    project_id = project if isinstance(project, int) else project.id
    return session.scalar(select(func.count()).select_from(ProjectParticipant).where(
        ProjectParticipant.project_id == project_id,
        ProjectParticipant.status == ParticipantStatus.RETENU)) or 0


def add_participant(session: Session, actor: Any, project: CollectiveProject,
                    mission_locale_id: int | None,
                    status: str = ParticipantStatus.CANDIDAT.value) -> ProjectParticipant:
    """An active mission locale joins the project (as a candidate unless said otherwise;
    a withdrawal is a status change with its reason, not an entry)."""
    require_manage(actor)
    errors = Errors()
    ml = session.get(MissionLocale, mission_locale_id) if mission_locale_id else None
    if ml is None:
        errors.add("mission_locale_id", "Choisissez une mission locale.")
    elif not ml.active:
        errors.add("mission_locale_id", f"La mission locale « {ml.name} » n'est plus active "
                                        "(fusionnée ou fermée) : elle ne peut pas rejoindre "
                                        "un projet.")
    else:
        existing = session.scalar(select(ProjectParticipant).where(
            ProjectParticipant.project_id == project.id,
            ProjectParticipant.mission_locale_id == ml.id))
        if existing is not None:
            state = ParticipantStatus(existing.status).label.lower()
            errors.add("mission_locale_id", f"La mission locale « {ml.name} » fait déjà partie "
                                            f"de ce projet ({state}) : changez son statut "
                                            "plutôt que de l'ajouter une seconde fois.")
    if status not in (ParticipantStatus.CANDIDAT.value, ParticipantStatus.RETENU.value):
        errors.add("status", "Une mission locale rejoint le projet comme candidate ou "
                             "retenue.")
    errors.raise_if_any()
    participant = ProjectParticipant(project=project, mission_locale_id=ml.id,
                                     status=ParticipantStatus(status))
    session.add(participant)
    try:
        flush(session)
    except IntegrityError as exc:  # added meanwhile by someone else
        raise DomainError(f"La mission locale « {ml.name} » fait déjà partie de ce projet."
                          ) from exc
    return participant


def set_participant_status(session: Session, actor: Any, participant: ProjectParticipant,
                           status: str, reason: str = "", *,
                           expected_version: int | None = None) -> ProjectParticipant:
    """Candidate → retained → withdrawn (with its reason); the reason goes when the ML
    comes back."""
    require_manage(actor)
    check_version(participant, expected_version)
    errors = Errors()
    reason = _text(reason)
    if status not in ParticipantStatus._value2member_map_:
        errors.add("status", "Statut inconnu : candidate, retenue ou retirée.")
    elif ParticipantStatus(status) is ParticipantStatus.RETIRE:
        if not reason:
            errors.add("withdrawal_reason", "Indiquez pourquoi la mission locale se retire "
                                            "du projet.")
        elif len(reason) > PARTNERS_MAX:
            errors.add("withdrawal_reason", f"Le motif dépasse {PARTNERS_MAX:,} caractères."
                       .replace(",", "\u202f"))
    errors.raise_if_any()
    new = ParticipantStatus(status)
    participant.status = new
    participant.withdrawal_reason = reason if new is ParticipantStatus.RETIRE else ""
    flush(session)
    return participant


# ---------------------------------------------------------------- binômes
@dataclass
class BinomeLine:
    full_name: str
    email: str
    role: str


def _binome_lines(members: Sequence[Any]) -> list[BinomeLine]:
    lines = []
    for member in members:
        if isinstance(member, BinomeLine):
            line = member
        else:
            name, email, role = member
            line = BinomeLine(str(name or ""), str(email or ""), str(role or ""))
        if _text(line.full_name) or _text(line.email):  # an untouched form row
            lines.append(line)
    return lines


def set_binome(session: Session, actor: Any, participant: ProjectParticipant,
               members: Sequence[Any], *, expected_version: int | None = None
               ) -> list[BinomeMember]:
    """The two people an ML sends: ``members`` are ``(full_name, email, role)``. Exactly
    two distinct people, one from the direction and one staff representative or HR.
    A person kept (same address) keeps their evaluation status."""
    require_manage(actor)
    check_version(participant, expected_version)
    errors = Errors()
    lines = _binome_lines(members)
    if ParticipantStatus(participant.status) is ParticipantStatus.RETIRE:
        errors.add("__all__", "Cette mission locale s'est retirée du projet : son binôme ne "
                              "se modifie plus.")
    if len(lines) != BINOME_SIZE:
        errors.add("__all__", f"Un binôme compte exactement deux personnes ({len(lines)} "
                              "saisie" + ("s" if len(lines) > 1 else "") + ") : une de la "
                              "direction et un·e représentant·e du personnel ou des RH.")
    cleaned: list[tuple[str, str, BinomeRole]] = []
    for n, line in enumerate(lines, start=1):
        name, email = _text(line.full_name), normalize_email(line.email)
        if not name:
            errors.add(f"full_name_{n}", f"Personne {n} : le nom est obligatoire.")
        elif len(name) > NAME_MAX:
            errors.add(f"full_name_{n}", f"Personne {n} : le nom dépasse {NAME_MAX} "
                                         "caractères.")
        if not email:
            errors.add(f"email_{n}", f"Personne {n} : l'adresse e-mail est obligatoire.")
        elif not EMAIL_RE.match(email) or len(email) > EMAIL_MAX:
            errors.add(f"email_{n}", f"Personne {n} : l'adresse e-mail « {line.email.strip()} »"
                                     " n'est pas valide.")
        if line.role not in BinomeRole._value2member_map_:
            errors.add(f"role_{n}", f"Personne {n} : choisissez son rôle (direction, "
                                    "représentant·e du personnel ou RH).")
        else:
            cleaned.append((name, email, BinomeRole(line.role)))
    emails = [email for _, email, _ in cleaned if email]
    if len(emails) != len(set(emails)):
        errors.add("__all__", "Le binôme associe deux personnes différentes : la même adresse "
                              "e-mail est saisie deux fois.")
    if len(cleaned) == BINOME_SIZE:
        directions = sum(role is BinomeRole.DIRECTION for _, _, role in cleaned)
        if directions == 0:
            errors.add("__all__", "Une des deux personnes du binôme vient de la direction.")
        elif directions > 1:
            errors.add("__all__", "Le binôme associe la direction et un·e représentant·e du "
                                  "personnel ou des RH : pas deux personnes de la direction.")
    errors.raise_if_any()
    current = {normalize_email(m.email): m for m in participant.binome}
    kept: list[BinomeMember] = []
    for name, email, role in cleaned:
        member = current.pop(email, None)
        if member is None:
            member = BinomeMember(full_name=name, email=email, role=role)
            participant.binome.append(member)
        member.full_name, member.role = name, role
        kept.append(member)
    for gone in current.values():
        participant.binome.remove(gone)
    participant.updated_at = utcnow()  # a new version: two editors of one binôme collide
    flush(session)
    return kept


# ---------------------------------------------------------------- experiments
@dataclass
class ExperimentData:
    objective: str = ""
    indicators: str = ""
    status: str = ExperimentStatus.PREVUE.value


def save_experiment(session: Session, actor: Any, participant: ProjectParticipant,
                    experiment: Experiment | None, data: ExperimentData) -> Experiment:
    """What a participating ML tries out in its structure, and how it will tell."""
    require_manage(actor)
    if experiment is not None and experiment.participant_id != participant.id:
        raise DomainError("Cette expérimentation appartient à une autre mission locale.")
    errors = Errors()
    objective, indicators = _text(data.objective), _text(data.indicators)
    if not objective:
        errors.add("objective", "L'objectif de l'expérimentation est obligatoire.")
    elif len(objective) > TEXT_MAX:
        errors.add("objective", f"L'objectif dépasse {TEXT_MAX:,} caractères."
                   .replace(",", "\u202f"))
    if len(indicators) > TEXT_MAX:
        errors.add("indicators", f"Les indicateurs dépassent {TEXT_MAX:,} caractères."
                   .replace(",", "\u202f"))
    if data.status not in ExperimentStatus._value2member_map_:
        errors.add("status", "Statut inconnu : prévue, en cours, réalisée ou abandonnée.")
    errors.raise_if_any()
    if experiment is None:
        experiment = Experiment(objective=objective)
        participant.experiments.append(experiment)
    experiment.objective, experiment.indicators = objective, indicators
    experiment.status = ExperimentStatus(data.status)
    flush(session)
    return experiment


def delete_experiment(session: Session, actor: Any, experiment: Experiment) -> None:
    require_manage(actor)
    session.delete(experiment)
    flush(session)


# ---------------------------------------------------------------- reading
def project_sessions(session: Session, project: CollectiveProject) -> list[TrainingSession]:
    """The project's sessions: its training's sessions, cancelled ones included (shown
    struck through), in date order."""
    if project.training_id is None:
        return []
    return list(session.scalars(select(TrainingSession).where(
        TrainingSession.training_id == project.training_id)
        .order_by(TrainingSession.start_date, TrainingSession.id)))


def participating_counts(session: Session, project_ids: Sequence[int]) -> dict[int, int]:
    """Retained MLs per project, for a list page (one query)."""
    if not project_ids:
        return {}
    rows = session.execute(
        select(ProjectParticipant.project_id, func.count()).where(
            ProjectParticipant.project_id.in_(project_ids),
            ProjectParticipant.status == ParticipantStatus.RETENU)
        .group_by(ProjectParticipant.project_id))
    counts = {pid: 0 for pid in project_ids}
    counts.update({pid: n for pid, n in rows})
    return counts


def projects_stmt(*, phase: str = "", kind: str = "", search: str = ""):
    """The list page's query, filtered (unknown filter values are ignored)."""
    stmt = select(CollectiveProject)
    if phase in ProjectPhase._value2member_map_:
        stmt = stmt.where(CollectiveProject.phase == ProjectPhase(phase))
    if kind in ProjectKind._value2member_map_:
        stmt = stmt.where(CollectiveProject.kind == ProjectKind(kind))
    search = _text(search)
    if search:
        stmt = stmt.where(func.lower(CollectiveProject.title).contains(search.lower(),
                                                                       autoescape=True))
    return stmt


PROJECT_SORTS = {
    "titre": CollectiveProject.title,
    "type": CollectiveProject.kind,
    # phases in their order, not alphabetically
    "phase": case({p.value: n for n, p in enumerate(ProjectPhase)},
                  value=CollectiveProject.phase, else_=len(ProjectPhase)),
}
