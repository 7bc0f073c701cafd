"""Reads of the data-quality area, shared by the web pages, the dashboard and exports.

Regional views read the stored aggregates (``parcours_extract`` scores and
``quality_rule_count``), never the raw rows, so they cost the same for 1,000 or
1.5 million events. Findings are read one extract at a time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import Session, aliased

from models.network.orm import MissionLocale
from models.parcours.orm import (
    CharterRule,
    CharterVersion,
    ParcoursExtract,
    ParcoursImport,
    QualityFinding,
    QualityMark,
    QualityRuleCount,
)
from models.parcours.rules import is_stale, status_of
from models.parcours.services import quality_settings
from models.policy import scope_missions_locales


@dataclass
class RuleCount:
    findings: int = 0
    marked: int = 0
    jeunes: int = 0

    @property
    def counted(self) -> int:
        return self.findings - self.marked


@dataclass
class MlQuality:
    """One line of the regional table: a mission locale's latest extract and its trend."""

    ml_id: int
    code: str
    name: str
    departement: str
    extract_id: int | None = None
    period_start: date | None = None
    period_end: date | None = None
    activated_at: datetime | None = None
    jeunes: int = 0
    score: Decimal | None = None
    score_raw: Decimal | None = None
    previous_score: Decimal | None = None
    status: str = "aucun"
    stale: bool = True
    rules: dict[str, RuleCount] = field(default_factory=dict)

    @property
    def trend(self) -> Decimal | None:
        if self.score is None or self.previous_score is None:
            return None
        return self.score - self.previous_score

    def rate(self, code: str) -> Decimal | None:
        """Share of the ML's young people affected by a rule (None without an extract)."""
        if not self.jeunes:
            return None
        count = self.rules.get(code)
        return Decimal(count.jeunes if count else 0) / Decimal(self.jeunes)


def latest_extracts(session: Session, ml_ids: list[int] | None = None) -> dict[int, Any]:
    """Per mission locale, its current extract with the latest period (then latest import)."""
    ranked = select(
        ParcoursExtract,
        func.row_number().over(
            partition_by=ParcoursExtract.mission_locale_id,
            order_by=(ParcoursExtract.period_end.desc(), ParcoursExtract.id.desc()),
        ).label("rank"),
    ).where(ParcoursExtract.status == "current")
    if ml_ids is not None:
        ranked = ranked.where(ParcoursExtract.mission_locale_id.in_(ml_ids))
    sub = ranked.subquery()
    latest = aliased(ParcoursExtract, sub)
    return {e.mission_locale_id: e
            for e in session.scalars(select(latest).where(sub.c.rank == 1))}


def previous_extract(session: Session, extract: ParcoursExtract) -> ParcoursExtract | None:
    """The extract of the same mission locale activated just before this one."""
    return session.scalar(select(ParcoursExtract).where(
        ParcoursExtract.mission_locale_id == extract.mission_locale_id,
        ParcoursExtract.status.in_(["current", "replaced"]),
        ParcoursExtract.id < extract.id).order_by(ParcoursExtract.id.desc()).limit(1))


def _previous_scores(session: Session, extracts: list[ParcoursExtract]) -> dict[int, Decimal]:
    if not extracts:
        return {}
    ranked = select(
        ParcoursExtract.mission_locale_id, ParcoursExtract.id, ParcoursExtract.score,
        func.row_number().over(partition_by=ParcoursExtract.mission_locale_id,
                               order_by=ParcoursExtract.id.desc()).label("rank"),
    ).where(ParcoursExtract.status.in_(["current", "replaced"]),
            or_(*[and_(ParcoursExtract.mission_locale_id == e.mission_locale_id,
                       ParcoursExtract.id < e.id) for e in extracts])).subquery()
    return {row.mission_locale_id: row.score for row in session.execute(
        select(ranked).where(ranked.c.rank == 1))}


def rule_counts(session: Session, extract_ids: list[int]) -> dict[int, dict[str, RuleCount]]:
    out: dict[int, dict[str, RuleCount]] = {}
    if not extract_ids:
        return out
    for row in session.scalars(select(QualityRuleCount).where(
            QualityRuleCount.extract_id.in_(extract_ids))):
        out.setdefault(row.extract_id, {})[row.rule_code] = RuleCount(
            row.findings, row.marked, row.jeunes)
    return out


def regional_table(session: Session, user: Any, *, today: date) -> list[MlQuality]:
    """Every mission locale the user may see, with its latest extract, score and status."""
    settings = quality_settings(session)
    mls = session.scalars(scope_missions_locales(
        select(MissionLocale).where(MissionLocale.active.is_(True)), user)
        .order_by(MissionLocale.code)).all()
    latest = latest_extracts(session, [m.id for m in mls])
    previous = _previous_scores(session, list(latest.values()))
    counts = rule_counts(session, [e.id for e in latest.values()])
    lines = []
    for ml in mls:
        line = MlQuality(ml_id=ml.id, code=ml.code, name=ml.name, departement=ml.departement)
        extract = latest.get(ml.id)
        if extract is not None:
            line.extract_id = extract.id
            line.period_start, line.period_end = extract.period_start, extract.period_end
            line.activated_at = extract.activated_at
            line.jeunes = extract.jeunes
            line.score, line.score_raw = extract.score, extract.score_raw
            line.previous_score = previous.get(ml.id)
            line.rules = counts.get(extract.id, {})
        line.status = status_of(line.score, settings.green_min, settings.amber_min)
        line.stale = is_stale(line.period_end, today, settings.stale_days)
        lines.append(line)
    return lines


def regional_summary(lines: list[MlQuality]) -> dict[str, Any]:
    """Key figures over the lines of ``regional_table`` (weighted by young people)."""
    with_data = [ln for ln in lines if ln.extract_id is not None and ln.jeunes]
    jeunes = sum(ln.jeunes for ln in with_data)
    clean = sum(ln.jeunes * (ln.score or 0) for ln in with_data)
    return {
        "missions_locales": len(lines),
        "with_extract": len(with_data),
        "jeunes": jeunes,
        "score": (Decimal(clean) / Decimal(jeunes)) if jeunes else None,
        "stale": sum(1 for ln in lines if ln.stale),
        "by_status": {s: sum(1 for ln in lines if ln.status == s)
                      for s in ("vert", "orange", "rouge", "aucun")},
    }


def charter_rules(session: Session, version_id: int | None = None) -> list[CharterRule]:
    version = (session.get(CharterVersion, version_id) if version_id
               else session.scalar(select(CharterVersion).order_by(CharterVersion.number.desc())))
    return list(version.rules) if version else []


def charter_versions(session: Session) -> list[CharterVersion]:
    return list(session.scalars(select(CharterVersion).order_by(CharterVersion.number.desc())))


def scope_extracts(stmt: Select, user: Any) -> Select:
    """Restrict a select involving ParcoursExtract to the missions locales the user sees."""
    visible = scope_missions_locales(select(MissionLocale.id), user)
    return stmt.where(ParcoursExtract.mission_locale_id.in_(visible.scalar_subquery()))


def findings_select(extract_id: int, *, rule: str | None = None, severity: str | None = None,
                    mark: str | None = None, search: str | None = None) -> Select:
    """Findings of one extract with their mark (outer join), filtered; ordered by the caller.

    ``mark``: ``"open"`` (not marked), ``"marked"``, ``"acquitte"`` or ``"exception"``.
    """
    extract = aliased(ParcoursExtract)
    stmt = (select(QualityFinding, QualityMark)
            .join(extract, extract.id == QualityFinding.extract_id)
            .outerjoin(QualityMark, and_(
                QualityMark.mission_locale_id == extract.mission_locale_id,
                QualityMark.rule_code == QualityFinding.rule_code,
                QualityMark.record_key == QualityFinding.record_key))
            .where(QualityFinding.extract_id == extract_id))
    if rule:
        stmt = stmt.where(QualityFinding.rule_code == rule)
    if severity:
        stmt = stmt.where(QualityFinding.severity == severity)
    if mark == "open":
        stmt = stmt.where(QualityMark.id.is_(None))
    elif mark == "marked":
        stmt = stmt.where(QualityMark.id.is_not(None))
    elif mark in ("acquitte", "exception"):
        stmt = stmt.where(QualityMark.kind == mark)
    if search:
        stmt = stmt.where(QualityFinding.id_jeune == search.strip())
    return stmt


def ml_history(session: Session, mission_locale_id: int) -> list[ParcoursExtract]:
    """Every extract of a mission locale that went live (current or replaced), oldest first."""
    return list(session.scalars(select(ParcoursExtract).where(
        ParcoursExtract.mission_locale_id == mission_locale_id,
        ParcoursExtract.status.in_(["current", "replaced"])).order_by(ParcoursExtract.id)))


def imports_select(user: Any) -> Select:
    """Import history; an ml account sees only imports that brought its mission locale."""
    stmt = select(ParcoursImport)
    if getattr(user, "role", None) == "ml":
        stmt = stmt.where(ParcoursImport.id.in_(
            select(ParcoursExtract.import_id).where(
                ParcoursExtract.mission_locale_id == user.mission_locale_id)))
    return stmt


def regional_score_over_time(session: Session) -> list[dict[str, Any]]:
    """Regional score per extract period end: current extracts, weighted by young people."""
    rows = session.execute(
        select(ParcoursExtract.period_end,
               func.sum(ParcoursExtract.jeunes).label("jeunes"),
               func.sum(ParcoursExtract.jeunes_in_error).label("in_error"),
               func.count(ParcoursExtract.id).label("missions_locales"))
        .where(ParcoursExtract.status == "current")
        .group_by(ParcoursExtract.period_end).order_by(ParcoursExtract.period_end)).all()
    return [{"period_end": r.period_end, "jeunes": int(r.jeunes or 0),
             "missions_locales": int(r.missions_locales),
             "score": (Decimal(int(r.jeunes) - int(r.in_error or 0)) / Decimal(int(r.jeunes))
                       if r.jeunes else None)} for r in rows]


def failing_rules(lines: list[MlQuality]) -> dict[str, RuleCount]:
    """Rule totals over the latest extracts of ``lines`` (the rules that fail most)."""
    totals: dict[str, RuleCount] = {}
    for line in lines:
        for code, count in line.rules.items():
            total = totals.setdefault(code, RuleCount())
            total.findings += count.findings
            total.marked += count.marked
            total.jeunes += count.jeunes
    return totals
