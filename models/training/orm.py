"""Tables of the training domain.

Seats are decided in ``models.training.registrations`` under a write lock; the
tables only guarantee what a database can (one registration per e-mail and
session, non-negative capacities). Money is ``Numeric(12, 2)``; hours ``Numeric``.
"""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Audited, Base, TimestampMixin, utcnow
from models.funding.orm import Funder
from models.network.orm import MissionLocale
from models.programme.enums import enum_column_type
from models.programme.orm import Action
from models.training.enums import HalfDay, Modality, Presence, RegistrationStatus, SessionStatus

MONEY = Numeric(12, 2)


class Training(Audited, TimestampMixin, Base):
    """A catalogue entry: what is taught, to whom, how long, by whom, at what cost."""

    __tablename__ = "training"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    objectives: Mapped[str] = mapped_column(Text, default="")
    content: Mapped[str] = mapped_column(Text, default="")
    audience: Mapped[list[str]] = mapped_column(JSON, default=list)  # Job values
    prerequisites: Mapped[str] = mapped_column(Text, default="")
    duration_days: Mapped[Decimal] = mapped_column(Numeric(4, 1))
    duration_hours: Mapped[Decimal] = mapped_column(Numeric(5, 1))
    modality: Mapped[Modality] = mapped_column(enum_column_type(Modality, "modality"))
    provider: Mapped[str] = mapped_column(String(200), default="")  # organisme de formation
    trainer: Mapped[str] = mapped_column(String(120), default="")
    cost_per_trainee: Mapped[Decimal | None] = mapped_column(MONEY)
    action_id: Mapped[int | None] = mapped_column(
        ForeignKey("programme_action.id", ondelete="SET NULL"), index=True)
    funder_id: Mapped[int | None] = mapped_column(
        ForeignKey("funder.id", ondelete="SET NULL"), index=True)
    active: Mapped[bool] = mapped_column(default=True)
    version_id: Mapped[int] = mapped_column(default=1)

    action: Mapped[Action | None] = relationship()
    funder: Mapped[Funder | None] = relationship()
    sessions: Mapped[list[TrainingSession]] = relationship(
        back_populates="training", order_by="TrainingSession.start_date")

    __mapper_args__ = {"version_id_col": version_id, "version_id_generator": False}
    __table_args__ = (
        CheckConstraint("duration_days > 0 AND duration_hours > 0", name="duration_positive"),
        CheckConstraint("cost_per_trainee IS NULL OR cost_per_trainee >= 0",
                        name="cost_positive"),
    )

    def __str__(self) -> str:
        return self.title


class TrainingSession(Audited, TimestampMixin, Base):
    """A dated run of a training, with its seats and registration window."""

    __tablename__ = "training_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    training_id: Mapped[int] = mapped_column(ForeignKey("training.id", ondelete="RESTRICT"),
                                             index=True)
    start_date: Mapped[date] = mapped_column(index=True)  # first slot's day (kept in sync)
    end_date: Mapped[date]
    place: Mapped[str] = mapped_column(Text, default="")  # address
    video_link: Mapped[str] = mapped_column(String(500), default="")
    access_details: Mapped[str] = mapped_column(Text, default="")
    trainer: Mapped[str] = mapped_column(String(120), default="")
    min_capacity: Mapped[int] = mapped_column(default=0)
    max_capacity: Mapped[int]
    ml_quota: Mapped[int | None]  # seats one mission locale may hold
    registration_opens: Mapped[date]
    registration_closes: Mapped[date]
    offer_days: Mapped[int | None]  # None: promote automatically; n: offer the seat n days
    status: Mapped[SessionStatus] = mapped_column(
        enum_column_type(SessionStatus, "session_status"), default=SessionStatus.OUVERTE)
    cancel_reason: Mapped[str] = mapped_column(Text, default="")
    # Bumped by every seat decision: the row a registration locks (FOR UPDATE) and counts on.
    seat_version: Mapped[int] = mapped_column(default=0)
    version_id: Mapped[int] = mapped_column(default=1)

    training: Mapped[Training] = relationship(back_populates="sessions")
    slots: Mapped[list[SessionSlot]] = relationship(
        back_populates="session", cascade="all, delete-orphan",
        order_by="(SessionSlot.day, SessionSlot.starts_at)")  # matin before après-midi
    registrations: Mapped[list[Registration]] = relationship(
        back_populates="session", order_by="Registration.queued_at")

    __mapper_args__ = {"version_id_col": version_id, "version_id_generator": False}
    __table_args__ = (
        CheckConstraint("max_capacity > 0 AND min_capacity >= 0", name="capacity_positive"),
        CheckConstraint("min_capacity <= max_capacity", name="capacity_order"),
        CheckConstraint("ml_quota IS NULL OR ml_quota > 0", name="quota_positive"),
        CheckConstraint("registration_closes >= registration_opens", name="window_order"),
        CheckConstraint("end_date >= start_date", name="dates_order"),
        CheckConstraint("offer_days IS NULL OR offer_days > 0", name="offer_positive"),
    )

    def __str__(self) -> str:
        return f"{self.training.title if self.training else ''} ({self.start_date})"


class SessionSlot(Audited, Base):
    """A half-day of a session (the unit of the attendance sheet)."""

    __tablename__ = "session_slot"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("training_session.id", ondelete="CASCADE"), index=True)
    day: Mapped[date]
    half: Mapped[HalfDay] = mapped_column(enum_column_type(HalfDay, "half_day"))
    starts_at: Mapped[time]
    ends_at: Mapped[time]

    session: Mapped[TrainingSession] = relationship(back_populates="slots")

    __table_args__ = (
        UniqueConstraint("session_id", "day", "half", name="session_day_half"),
        CheckConstraint("ends_at > starts_at", name="times_order"),
    )


class Registration(Audited, TimestampMixin, Base):
    """A staff member of a mission locale on a session: confirmed, waiting, offered or
    cancelled. The waitlist order is ``queued_at`` then ``id``."""

    __tablename__ = "registration"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("training_session.id", ondelete="RESTRICT"), index=True)
    mission_locale_id: Mapped[int] = mapped_column(
        ForeignKey("mission_locale.id", ondelete="RESTRICT"), index=True)
    last_name: Mapped[str] = mapped_column(String(100))
    first_name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str] = mapped_column(String(254))  # lower-cased
    job: Mapped[str] = mapped_column(String(20))
    status: Mapped[RegistrationStatus] = mapped_column(
        enum_column_type(RegistrationStatus, "registration_status"))
    queued_at: Mapped[datetime] = mapped_column(default=utcnow)
    offer_expires_at: Mapped[datetime | None]
    registered_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("app_user.id", ondelete="SET NULL"))
    cancelled_at: Mapped[datetime | None]
    cancel_reason: Mapped[str] = mapped_column(Text, default="")
    evaluation_sent_at: Mapped[datetime | None]
    evaluation_done_at: Mapped[datetime | None]
    # a volunteer parrain or marraine registered by their mission locale: attending a
    # session marks them trained (models.mentoring.trainings)
    mentor_id: Mapped[int | None] = mapped_column(
        ForeignKey("mentor.id", ondelete="SET NULL"), index=True)

    session: Mapped[TrainingSession] = relationship(back_populates="registrations")
    mission_locale: Mapped[MissionLocale] = relationship()
    attendances: Mapped[list[Attendance]] = relationship(
        back_populates="registration", cascade="all, delete-orphan")

    __table_args__ = (UniqueConstraint("session_id", "email", name="session_email"),)

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def __audit_redact__(self) -> tuple[str, ...]:  # type: ignore[override]
        """A volunteer mentor's name and e-mail stay out of the journal, as on their mentor
        record (staff registrations are professional data and stay readable there)."""
        if self.mentor_id is not None or self.job == "benevole":
            return ("last_name", "first_name", "email", "cancel_reason")
        return ()


class Attendance(Audited, Base):
    __tablename__ = "attendance"

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(
        ForeignKey("registration.id", ondelete="CASCADE"), index=True)
    slot_id: Mapped[int] = mapped_column(ForeignKey("session_slot.id", ondelete="CASCADE"),
                                         index=True)
    presence: Mapped[Presence] = mapped_column(enum_column_type(Presence, "presence"))

    registration: Mapped[Registration] = relationship(back_populates="attendances")
    slot: Mapped[SessionSlot] = relationship()

    __table_args__ = (UniqueConstraint("registration_id", "slot_id", name="registration_slot"),)


class Evaluation(Base):
    """One trainee's answers to the end-of-session survey, deliberately not linked to the
    registration: reports are anonymous (the registration only records that it answered)."""

    __tablename__ = "evaluation"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("training_session.id", ondelete="CASCADE"), index=True)
    overall: Mapped[int]
    objectives_met: Mapped[int]
    trainer: Mapped[int]
    organisation: Mapped[int]
    comment: Mapped[str] = mapped_column(Text, default="")
    submitted_on: Mapped[date]  # the day only: a timestamp could re-identify the trainee

    __table_args__ = tuple(
        CheckConstraint(f"{c} BETWEEN 1 AND 5", name=f"{c}_range")
        for c in ("overall", "objectives_met", "trainer", "organisation"))
