"""Programme indicators whose achieved value comes from the system instead of typing.

An indicator with a ``source`` has its ``achieved`` kept equal to the figure the system
counts for the programme's year: the stored value is refreshed just before every commit
that touched what it counts (meetings, presences, project participants, the indicator
itself), whatever the entry point (web, CLI, seed). Exports, reports and dashboards read
``achieved`` as for any indicator; the programme page also says where it comes from.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from models.errors import Errors
from models.programme.enums import ProgrammeStatus
from models.programme.guards import flush, require_manage
from models.programme.orm import Action, Indicator, Programme
from models.programme.rules import ensure_editable


@dataclass(frozen=True)
class Source:
    key: str
    label: str
    ref: str  # "series" | "project" | "none": what source_ref names
    unit: str


SOURCES: dict[str, Source] = {s.key: s for s in (
    Source("conseils.reunions_tenues", "Réunions tenues", "series", "réunions"),
    Source("conseils.taux_presence",
           "Taux de présence des directeurs (présents + représentés / membres invités)",
           "series", "%"),
    Source("projet.mls_participantes", "Missions locales participantes (retenues)", "project",
           "missions locales"),
    Source("parrainage.jeunes_parraines", "Jeunes parrainés", "none", "jeunes"),
    Source("parrainage.parrains_formes", "Parrains formés", "none", "parrains"),
)}

#: what the mentoring sources say on the programme page
_MENTORING_TEXT = {
    "parrainage.jeunes_parraines":
        "Calculé : jeunes parrainés — filleul·es distinct·es dont un binôme démarré (actif, "
        "terminé ou rompu) couvre une partie de {year}, toutes missions locales.",
    "parrainage.parrains_formes":
        "Calculé : parrains formés — parrains et marraines dont la date de formation est "
        "en {year}, toutes missions locales.",
}


def compute(session: Session, indicator: Indicator) -> Decimal | None:
    """The figure for the indicator's programme year (None: nothing to count yet)."""
    from models.councils import projects, stats

    year = indicator.action.programme.year
    key = indicator.source
    if key == "conseils.reunions_tenues":
        return Decimal(stats.meetings_held(session, year, indicator.source_ref))
    if key == "conseils.taux_presence":
        rate = stats.attendance_rate(session, year, indicator.source_ref)
        return None if rate is None else (rate * 100).quantize(Decimal("0.1"),
                                                               rounding=ROUND_HALF_UP)
    if key == "projet.mls_participantes":
        if indicator.source_ref is None:
            return None
        return Decimal(projects.participating_count(session, indicator.source_ref))
    if key == "parrainage.jeunes_parraines":
        return Decimal(mentees_paired(session, year))
    if key == "parrainage.parrains_formes":
        return Decimal(mentors_trained(session, year))
    return None


def mentees_paired(session: Session, year: int) -> int:
    """Distinct mentees with a started pairing (actif, terminé, rompu) whose period meets
    the year — a proposal that never started counts for nothing."""
    from sqlalchemy import func

    from models.mentoring.orm import Pairing
    from models.mentoring.pairings import HOLDS_PERIOD

    end = func.coalesce(Pairing.ended_on, Pairing.planned_end)
    return session.scalar(select(func.count(func.distinct(Pairing.mentee_id))).where(
        Pairing.status.in_(HOLDS_PERIOD), Pairing.start_date <= date(year, 12, 31),
        end >= date(year, 1, 1))) or 0


def mentors_trained(session: Session, year: int) -> int:
    """Mentors (anonymised ones too: they were trained) whose training date is in the year."""
    from sqlalchemy import func

    from models.mentoring.orm import Mentor

    return session.scalar(select(func.count()).select_from(Mentor).where(
        Mentor.trained_on >= date(year, 1, 1), Mentor.trained_on <= date(year, 12, 31))) or 0


def describe(session: Session, indicator: Indicator) -> str:
    """Where the value comes from, in the words of the programme page."""
    from models.councils.orm import CollectiveProject, CouncilSeries

    source = SOURCES.get(indicator.source or "")
    if source is None:
        return ""
    year = indicator.action.programme.year
    if source.key in _MENTORING_TEXT:
        return _MENTORING_TEXT[source.key].format(year=year)
    if source.ref == "project":
        project = session.get(CollectiveProject, indicator.source_ref or 0)
        where = f"du projet « {project.title} »" if project else "(projet introuvable)"
        return f"Calculé : {source.label.lower()} {where}, statut « retenue »."
    series = session.get(CouncilSeries, indicator.source_ref or 0)
    where = f"de « {series.name} »" if series else "de toutes les instances"
    return f"Calculé : {source.label.lower()} {where}, réunions tenues en {year}."


def set_source(session: Session, actor: Any, indicator: Indicator, source: str | None,
               source_ref: int | None) -> Indicator:
    """Make an indicator computed (or typed again with ``source=None``)."""
    from models.councils.orm import CollectiveProject, CouncilSeries

    require_manage(actor)
    ensure_editable(indicator.action.programme)  # a closed programme keeps its figures
    errors = Errors()
    if source:
        spec = SOURCES.get(source)
        if spec is None:
            errors.add("source", "Source de calcul inconnue.")
        elif spec.ref == "project" and session.get(CollectiveProject, source_ref or 0) is None:
            errors.add("source_ref", "Choisissez le projet collectif dont on compte les "
                                     "missions locales.")
        elif spec.ref == "series" and source_ref is not None \
                and session.get(CouncilSeries, source_ref) is None:
            errors.add("source_ref", "Instance introuvable.")
    errors.raise_if_any()
    indicator.source = source or None
    indicator.source_ref = source_ref if source and spec.ref != "none" else None
    if source:
        indicator.achieved = compute(session, indicator)
    flush(session)
    return indicator


def refresh(session: Session) -> int:
    """Recompute every computed indicator of the programmes still open (a closed
    programme's figures are its record); returns how many changed."""
    changed = 0
    for indicator in session.scalars(
            select(Indicator).join(Action).join(Programme)
            .where(Indicator.source.is_not(None), Programme.status != ProgrammeStatus.CLOTURE)):
        value = compute(session, indicator)
        if value != indicator.achieved:
            indicator.achieved = value
            changed += 1
    return changed


_WATCHED = ("Meeting", "Invitee", "ProjectParticipant", "Indicator", "CouncilSeries",
            "Pairing", "Mentor")


@event.listens_for(Session, "before_flush")
def _note_changes(session: Session, flush_context: Any, instances: Any) -> None:
    for obj in (*session.new, *session.dirty, *session.deleted):
        if type(obj).__name__ in _WATCHED:
            session.info["computed_indicators_stale"] = True
            return


@event.listens_for(Session, "before_commit")
def _refresh_before_commit(session: Session) -> None:
    if not session.info.pop("computed_indicators_stale", False):
        return
    if session.new or session.dirty or session.deleted:
        session.flush()
        session.info.pop("computed_indicators_stale", None)
    refresh(session)
