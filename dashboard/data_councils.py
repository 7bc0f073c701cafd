"""Cached DataFrames of the "Conseils et projets" page (see ``dashboard.data``).

The figures come from ``models.councils.stats`` — the same definitions as the
programme's computed indicators. Rates stay Decimal fractions (0 to 1); the page
formats them. Every function re-reads the user and re-checks the policy inside the
cached call, so a cached frame is never served to someone the policy would refuse.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st
from sqlalchemy.orm import Session

from dashboard.data import session_scope
from models import clock, policy
from models.accounts.orm import User
from models.councils import stats
from models.councils.enums import OPEN_STATUSES, DecisionStatus
from models.errors import PermissionDenied

#: The page's policy rule. It compares every mission locale's attendance and reads the
#: whole decision register: team and copil (NETWORK_READERS), never an ml or financeur
#: account. ``models.policy`` has no rule of its own for it: this one has exactly those
#: readers, and the page feeds the programme's computed indicators.
RULE = "councils.stats"

SUMMARY_COLUMNS = ["meetings_held", "invited", "present", "represented", "excused", "absent",
                   "unrecorded", "rate", "decisions", "open", "overdue", "open_all",
                   "overdue_all"]
MEETING_COLUMNS = ["meeting_id", "series", "label", "day", "invited", "present",
                   "represented", "excused", "absent", "unrecorded", "rate"]
ML_COLUMNS = ["mission_locale_id", "name", "meetings", "invited", "present", "represented",
              "excused", "absent", "unrecorded", "rate"]
STATUS_COLUMNS = ["status", "label", "count", "overdue", "open"]
OVERDUE_COLUMNS = ["id", "text", "source", "owner", "due_date", "status_label", "days_late"]
PHASE_COLUMNS = ["phase", "label", "projects"]
PROJECT_COLUMNS = ["id", "title", "kind_label", "phase", "phase_label", "retained",
                   "candidates", "withdrawn", "evaluation_due"]
TALLY_FIELDS = ("invited", "present", "represented", "excused", "absent", "unrecorded")


def may_read(user) -> bool:
    return policy.can(user, RULE)


def _reader(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if not may_read(user):
        raise PermissionDenied()
    return user


@st.cache_data(ttl=60, show_spinner=False)
def councils_years(user_id: int) -> list[int]:
    """Years with a meeting or a decision, most recent first (the current year always)."""
    with session_scope() as session:
        _reader(session, user_id)
        found = stats.years(session)
    return sorted(set(found) | {clock.today().year}, reverse=True)


@st.cache_data(ttl=60, show_spinner=False)
def councils_summary(user_id: int, year: int) -> pd.DataFrame:
    """One row: meetings held, member attendance, decisions of the year (open, overdue)
    and, for comparison, open and overdue decisions of every year."""
    with session_scope() as session:
        _reader(session, user_id)
        today = clock.today()
        tally = stats.attendance(session, year)
        decided = stats.decisions_by_status(session, year, today=today)
        every = stats.decisions_by_status(session, None, today=today)
        row = {"meetings_held": stats.meetings_held(session, year),
               **{f: getattr(tally, f) for f in TALLY_FIELDS}, "rate": tally.rate,
               "decisions": decided.total, "open": decided.open, "overdue": decided.overdue,
               "open_all": every.open, "overdue_all": every.overdue}
    return pd.DataFrame([row], columns=SUMMARY_COLUMNS)


@st.cache_data(ttl=60, show_spinner=False)
def councils_meetings(user_id: int, year: int) -> pd.DataFrame:
    """One row per held meeting of the year, in date order, with its member attendance."""
    with session_scope() as session:
        _reader(session, user_id)
        rows = [{"meeting_id": m.meeting_id, "series": m.series, "label": m.label,
                 "day": m.day, **{f: getattr(m, f) for f in TALLY_FIELDS}, "rate": m.rate}
                for m in stats.attendance_by_meeting(session, year)]
    return pd.DataFrame(rows, columns=MEETING_COLUMNS)


@st.cache_data(ttl=60, show_spinner=False)
def councils_by_ml(user_id: int, year: int) -> pd.DataFrame:
    """One row per mission locale invited (as a member) to a held meeting of the year."""
    with session_scope() as session:
        _reader(session, user_id)
        rows = [{"mission_locale_id": m.mission_locale_id, "name": m.name,
                 "meetings": m.meetings_invited, **{f: getattr(m, f) for f in TALLY_FIELDS},
                 "rate": m.rate}
                for m in stats.attendance_by_ml(session, year)]
    return pd.DataFrame(rows, columns=ML_COLUMNS)


@st.cache_data(ttl=60, show_spinner=False)
def councils_decisions(user_id: int, year: int) -> pd.DataFrame:
    """The decisions taken in ``year``, by status as it stands today (every status,
    in the register's order), with the overdue ones among them."""
    with session_scope() as session:
        _reader(session, user_id)
        counts = stats.decisions_by_status(session, year, today=clock.today())
    rows = [{"status": s.value, "label": s.label, "count": counts.by_status[s],
             "overdue": counts.overdue_by_status.get(s, 0), "open": s in OPEN_STATUSES}
            for s in DecisionStatus]
    return pd.DataFrame(rows, columns=STATUS_COLUMNS)


@st.cache_data(ttl=60, show_spinner=False)
def councils_overdue(user_id: int, year: int | None) -> pd.DataFrame:
    """The overdue decisions (taken in ``year``, or any year), the oldest due date first."""
    with session_scope() as session:
        _reader(session, user_id)
        rows = [{"id": d.id, "text": d.text, "source": d.source, "owner": d.owner,
                 "due_date": d.due_date, "status_label": d.status.label,
                 "days_late": d.days_late}
                for d in stats.overdue_decisions(session, year, today=clock.today())]
    return pd.DataFrame(rows, columns=OVERDUE_COLUMNS)


@st.cache_data(ttl=60, show_spinner=False)
def councils_phases(user_id: int) -> pd.DataFrame:
    """Collective projects per phase (every phase, in order, 0 included)."""
    with session_scope() as session:
        _reader(session, user_id)
        counts = stats.projects_by_phase(session).counts
    return pd.DataFrame([{"phase": p.value, "label": p.label, "projects": n}
                         for p, n in counts.items()], columns=PHASE_COLUMNS)


@st.cache_data(ttl=60, show_spinner=False)
def councils_projects(user_id: int) -> pd.DataFrame:
    """Every collective project, in phase order, with its missions locales by status."""
    with session_scope() as session:
        _reader(session, user_id)
        rows = [{"id": p.id, "title": p.title, "kind_label": p.kind.label,
                 "phase": p.phase.value, "phase_label": p.phase.label,
                 "retained": p.retained, "candidates": p.candidates,
                 "withdrawn": p.withdrawn, "evaluation_due": p.evaluation_due}
                for p in stats.projects_by_phase(session).projects]
    return pd.DataFrame(rows, columns=PROJECT_COLUMNS)
