"""Stored quality aggregates: counts per rule and each extract's score.

Recomputed from the findings and the team's marks whenever either changes (at the
end of an import, when a mark is set or removed), so screens and dashboards read
a few hundred aggregate rows instead of scanning findings.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import bindparam, delete, select, text, update
from sqlalchemy.orm import Session

from models.parcours.orm import ParcoursExtract, QualityRuleCount

SCORE_PLACES = Decimal("0.000001")

_COUNTS = text("""
    SELECT f.extract_id, f.rule_code, f.severity, COUNT(*) AS findings,
           SUM(CASE WHEN m.id IS NULL THEN 0 ELSE 1 END) AS marked,
           COUNT(DISTINCT f.id_jeune) AS jeunes
    FROM quality_finding f
    JOIN parcours_extract e ON e.id = f.extract_id
    LEFT JOIN quality_mark m ON m.mission_locale_id = e.mission_locale_id
         AND m.rule_code = f.rule_code AND m.record_key = f.record_key
    WHERE f.extract_id IN :ids
    GROUP BY f.extract_id, f.rule_code, f.severity""").bindparams(
    bindparam("ids", expanding=True))

_IN_ERROR = text("""
    SELECT f.extract_id,
           COUNT(DISTINCT f.id_jeune) AS raw,
           COUNT(DISTINCT CASE WHEN m.id IS NULL THEN f.id_jeune END) AS unmarked
    FROM quality_finding f
    JOIN parcours_extract e ON e.id = f.extract_id
    LEFT JOIN quality_mark m ON m.mission_locale_id = e.mission_locale_id
         AND m.rule_code = f.rule_code AND m.record_key = f.record_key
    WHERE f.extract_id IN :ids AND f.severity = 'erreur' AND f.in_jeunes = :yes
    GROUP BY f.extract_id""").bindparams(bindparam("ids", expanding=True))


def score_of(jeunes: int, in_error: int) -> Decimal | None:
    if jeunes <= 0:
        return None
    return (Decimal(jeunes - in_error) / Decimal(jeunes)).quantize(SCORE_PLACES, ROUND_HALF_UP)


def refresh_quality(session: Session, extract_ids: list[int]) -> None:
    """Recompute rule counts and scores of ``extract_ids`` (flushes, never commits)."""
    if not extract_ids:
        return
    session.execute(delete(QualityRuleCount).where(QualityRuleCount.extract_id.in_(extract_ids)))
    rows = session.execute(_COUNTS, {"ids": extract_ids}).all()
    if rows:
        session.execute(QualityRuleCount.__table__.insert(), [
            {"extract_id": r.extract_id, "rule_code": r.rule_code, "severity": r.severity,
             "findings": int(r.findings), "marked": int(r.marked or 0),
             "jeunes": int(r.jeunes)} for r in rows])
    errors = {r.extract_id: (int(r.raw), int(r.unmarked))
              for r in session.execute(_IN_ERROR, {"ids": extract_ids, "yes": True})}
    sizes = dict(session.execute(select(ParcoursExtract.id, ParcoursExtract.jeunes).where(
        ParcoursExtract.id.in_(extract_ids))).all())
    for extract_id in extract_ids:
        raw, unmarked = errors.get(extract_id, (0, 0))
        jeunes = sizes.get(extract_id, 0)
        session.execute(update(ParcoursExtract).where(ParcoursExtract.id == extract_id).values(
            jeunes_in_error=unmarked, jeunes_in_error_raw=raw,
            score=score_of(jeunes, unmarked), score_raw=score_of(jeunes, raw)))
    session.flush()
