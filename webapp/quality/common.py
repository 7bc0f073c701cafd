"""Lookups shared by the quality views: objects in scope or 404, one ML's quality line."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_login import current_user
from sqlalchemy import select

from models import clock
from models.network.orm import MissionLocale
from models.parcours import queries
from models.parcours.orm import ParcoursExtract, ParcoursImport
from models.parcours.rules import is_stale, status_of
from models.parcours.services import quality_settings
from models.policy import can
from webapp.access import ensure
from webapp.extensions import db


def today() -> date:
    return clock.today()


@dataclass(frozen=True)
class MlScope:
    """What ``quality.view`` checks an object against: the mission locale it belongs to."""

    mission_locale_id: int


def may_view_ml(ml_id: int) -> bool:
    return can(current_user, "quality.view", MlScope(ml_id))


def ml_or_404(ml_id: int) -> MissionLocale:
    """Another mission locale does not exist for an ml account (404, even by a guessed id)."""
    ml = db.session.get(MissionLocale, ml_id)
    ensure(ml is not None and may_view_ml(ml.id))
    return ml


def import_or_404(import_id: int) -> ParcoursImport:
    record = db.session.get(ParcoursImport, import_id)
    ensure(record is not None)
    return record


def current_extracts(ml_id: int) -> list[ParcoursExtract]:
    """The ML's live extracts (one per period), latest period first."""
    return list(db.session.scalars(select(ParcoursExtract).where(
        ParcoursExtract.mission_locale_id == ml_id, ParcoursExtract.status == "current")
        .order_by(ParcoursExtract.period_end.desc(), ParcoursExtract.id.desc())))


def ml_line(ml: MissionLocale, extract: ParcoursExtract | None) -> queries.MlQuality:
    """The regional-table line of one mission locale, for the extract shown on its page."""
    settings = quality_settings(db.session)
    line = queries.MlQuality(ml_id=ml.id, code=ml.code, name=ml.name,
                             departement=ml.departement)
    if extract is not None:
        line.extract_id = extract.id
        line.period_start, line.period_end = extract.period_start, extract.period_end
        line.activated_at = extract.activated_at
        line.jeunes = extract.jeunes
        line.score, line.score_raw = extract.score, extract.score_raw
        previous = queries.previous_extract(db.session, extract)
        line.previous_score = previous.score if previous is not None else None
        line.rules = queries.rule_counts(db.session, [extract.id]).get(extract.id, {})
    line.status = status_of(line.score, settings.green_min, settings.amber_min)
    line.stale = is_stale(line.period_end, today(), settings.stale_days)
    return line
