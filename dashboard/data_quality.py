"""Cached DataFrames of the "Qualité des données" page (see ``dashboard.data``)."""

from __future__ import annotations

import pandas as pd
import streamlit as st
from sqlalchemy.orm import Session

from dashboard.data import session_scope
from models import clock, policy
from models.accounts.orm import User
from models.errors import PermissionDenied
from models.parcours import queries as quality_queries
from models.parcours.rules import STATUS_LABELS
from models.parcours.services import quality_settings

# Policy ``quality.view``: team and copil see every mission locale, an ml account only its
# own; the regional frames (ranking, regional score, failing rules) need ``quality.region``.
# Every frame reads the stored aggregates (extract scores, counts per rule), never the rows
# of the extracts, so the page costs the same whatever the size of the region.
# Scores stay Decimal fractions (0 to 1).

QUALITY_ML_COLUMNS = ["ml_id", "code", "name", "departement", "extract_id", "period_start",
                      "period_end", "jeunes", "score", "score_raw", "previous_score", "trend",
                      "status", "status_label", "stale", "errors", "warnings"]
QUALITY_SUMMARY_COLUMNS = ["missions_locales", "with_extract", "jeunes", "score", "stale",
                           "vert", "orange", "rouge", "aucun", "green_min", "amber_min",
                           "stale_days"]
QUALITY_TIME_COLUMNS = ["period_end", "jeunes", "missions_locales", "score"]
QUALITY_RULE_COLUMNS = ["code", "title", "severity", "dimension", "findings", "marked",
                        "counted", "jeunes"]
QUALITY_HISTORY_COLUMNS = ["extract_id", "period_start", "period_end", "activated_at",
                           "status", "jeunes", "jeunes_in_error", "score", "score_raw"]
QUALITY_ML_RULE_COLUMNS = ["extract_id", "period_end", *QUALITY_RULE_COLUMNS]


class _MlRef:
    """What ``quality.view`` checks on an object: the mission locale it belongs to."""

    def __init__(self, mission_locale_id: int):
        self.mission_locale_id = mission_locale_id


def _quality_reader(session: Session, user_id: int, *, region: bool = False,
                    ml_id: int | None = None) -> User:
    user = session.get(User, user_id)
    allowed = policy.can(user, "quality.region") if region else policy.can(user, "quality.view")
    if allowed and ml_id is not None:
        allowed = policy.can(user, "quality.view", _MlRef(ml_id))
    if not allowed:
        raise PermissionDenied()
    return user


def _rule_meta(session: Session) -> dict[str, tuple[str, str, str]]:
    """code → (title, severity, dimension) in the current charter version."""
    return {r.code: (r.title, r.severity, r.dimension)
            for r in quality_queries.charter_rules(session)}


def _rule_rows(counts: dict, meta: dict[str, tuple[str, str, str]]) -> list[dict]:
    rows = []
    for code, count in sorted(counts.items()):
        title, severity, dimension = meta.get(code, (code, "", ""))
        rows.append({"code": code, "title": title, "severity": severity,
                     "dimension": dimension, "findings": count.findings,
                     "marked": count.marked, "counted": count.counted,
                     "jeunes": count.jeunes})
    return rows


@st.cache_data(ttl=60, show_spinner=False)
def quality_table(user_id: int) -> pd.DataFrame:
    """One row per mission locale the user sees: latest extract, score, trend, status."""
    with session_scope() as session:
        user = _quality_reader(session, user_id)
        lines = quality_queries.regional_table(session, user, today=clock.today())
        meta = _rule_meta(session)
        rows = []
        for ln in lines:
            counted = {"erreur": 0, "avertissement": 0}
            for code, count in ln.rules.items():
                severity = meta.get(code, ("", "erreur", ""))[1]
                counted[severity] = counted.get(severity, 0) + count.counted
            rows.append({
                "ml_id": ln.ml_id, "code": ln.code, "name": ln.name,
                "departement": ln.departement, "extract_id": ln.extract_id,
                "period_start": ln.period_start, "period_end": ln.period_end,
                "jeunes": ln.jeunes, "score": ln.score, "score_raw": ln.score_raw,
                "previous_score": ln.previous_score, "trend": ln.trend, "status": ln.status,
                "status_label": STATUS_LABELS[ln.status], "stale": ln.stale,
                "errors": counted["erreur"], "warnings": counted["avertissement"]})
    return pd.DataFrame(rows, columns=QUALITY_ML_COLUMNS)


@st.cache_data(ttl=60, show_spinner=False)
def quality_summary(user_id: int) -> pd.DataFrame:
    """One row: the region's key figures and the thresholds they were judged against."""
    with session_scope() as session:
        user = _quality_reader(session, user_id, region=True)
        summary = quality_queries.regional_summary(
            quality_queries.regional_table(session, user, today=clock.today()))
        settings = quality_settings(session)
        row = {key: summary[key] for key in ("missions_locales", "with_extract", "jeunes",
                                             "score", "stale")}
        row.update(summary["by_status"])
        row.update(green_min=settings.green_min, amber_min=settings.amber_min,
                   stale_days=settings.stale_days)
    return pd.DataFrame([row], columns=QUALITY_SUMMARY_COLUMNS)


@st.cache_data(ttl=60, show_spinner=False)
def quality_over_time(user_id: int) -> pd.DataFrame:
    """The regional score at each extract period end (current extracts, weighted)."""
    with session_scope() as session:
        _quality_reader(session, user_id, region=True)
        rows = quality_queries.regional_score_over_time(session)
    return pd.DataFrame(rows, columns=QUALITY_TIME_COLUMNS)


@st.cache_data(ttl=60, show_spinner=False)
def quality_failing_rules(user_id: int) -> pd.DataFrame:
    """Rule totals over every mission locale's latest extract, most findings first."""
    with session_scope() as session:
        user = _quality_reader(session, user_id, region=True)
        lines = quality_queries.regional_table(session, user, today=clock.today())
        rows = _rule_rows(quality_queries.failing_rules(lines), _rule_meta(session))
    frame = pd.DataFrame(rows, columns=QUALITY_RULE_COLUMNS)
    return frame.sort_values(["counted", "code"], ascending=[False, True],
                             ignore_index=True)


@st.cache_data(ttl=60, show_spinner=False)
def quality_ml_history(user_id: int, ml_id: int) -> pd.DataFrame:
    """Every extract of one mission locale that went live, oldest first."""
    with session_scope() as session:
        _quality_reader(session, user_id, ml_id=ml_id)
        rows = [{"extract_id": e.id, "period_start": e.period_start,
                 "period_end": e.period_end, "activated_at": e.activated_at,
                 "status": e.status, "jeunes": e.jeunes, "jeunes_in_error": e.jeunes_in_error,
                 "score": e.score, "score_raw": e.score_raw}
                for e in quality_queries.ml_history(session, ml_id)]
    return pd.DataFrame(rows, columns=QUALITY_HISTORY_COLUMNS)


@st.cache_data(ttl=60, show_spinner=False)
def quality_ml_rules(user_id: int, ml_id: int) -> pd.DataFrame:
    """Counts per rule for each extract of one mission locale (its history)."""
    with session_scope() as session:
        _quality_reader(session, user_id, ml_id=ml_id)
        extracts = quality_queries.ml_history(session, ml_id)
        counts = quality_queries.rule_counts(session, [e.id for e in extracts])
        meta = _rule_meta(session)
        rows = [{"extract_id": e.id, "period_end": e.period_end, **row}
                for e in extracts for row in _rule_rows(counts.get(e.id, {}), meta)]
    return pd.DataFrame(rows, columns=QUALITY_ML_RULE_COLUMNS)
