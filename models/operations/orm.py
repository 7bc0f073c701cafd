"""Tables of the operations domain.

``app_state`` holds small facts about the installation itself (the pseudonymisation
key's check value); ``job_run`` one row per run of a scheduled job (the admin page
"Tâches planifiées" reads it); ``data_access`` who viewed or exported youth-level data.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow


class AppState(Base):
    """A named fact about this installation (not user data: never audited)."""

    __tablename__ = "app_state"

    name: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[str] = mapped_column(String(500))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class JobRun(Base):
    """One run of a scheduled job: started, then finished with an outcome.

    A run still "en_cours" when the worker starts again was cut off (worker killed):
    the start-up marks it "interrompue" so the page tells.
    """

    __tablename__ = "job_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(String(60), index=True)
    trigger: Mapped[str] = mapped_column(String(20), default="planifiee")  # | manuelle
    status: Mapped[str] = mapped_column(String(20), default="en_cours")
    # en_cours | reussie | echec | interrompue
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    duration_ms: Mapped[int | None] = mapped_column(Integer)
    message: Mapped[str] = mapped_column(Text, default="")
    requested_by_id: Mapped[int | None]  # an admin's "lancer maintenant" (no FK: survives)

    __table_args__ = (Index("ix_job_run_job_started", "job", "started_at"),)


class DataAccess(Base):
    """A view or an export of a mission locale's youth-level data (findings carry
    ``id_jeune``): who, when, which ML, what. Kept at most a year (retention)."""

    __tablename__ = "data_access"

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    user_id: Mapped[int | None]  # no FK: the log survives the account
    user_email: Mapped[str] = mapped_column(String(254))
    role: Mapped[str] = mapped_column(String(20))
    mission_locale_id: Mapped[int | None] = mapped_column(
        ForeignKey("mission_locale.id", ondelete="SET NULL"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # consultation | export
    what: Mapped[str] = mapped_column(String(120))  # e.g. "anomalies", "export CSV"
