"""Tables of the mentoring domain.

Mentors are people (personal data, redacted from the audit log). Mentees are
pseudonymous: a random code the référent links to i-milo, and only what the State's
table counts — no name, birth date, address, phone, e-mail or free text. The pairing
invariants (no overlap for a mentee, a mentor's capacity) are decided in
``models.mentoring.pairings`` under a lock on the mentee and mentor rows; the tables
guarantee what a database can.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Audited, Base, TimestampMixin, utcnow
from models.mentoring.config import DEFAULT_CAPACITY
from models.mentoring.enums import (
    CloseReason,
    MeetingMode,
    MentorStatus,
    Outcome,
    PairingStatus,
    Prescriber,
    Sex,
    Situation,
)
from models.network.orm import MissionLocale
from models.programme.enums import enum_column_type


class Mentor(Audited, TimestampMixin, Base):
    """A volunteer parrain or marraine recruited by a mission locale."""

    __tablename__ = "mentor"
    __audit_redact__ = ("last_name", "first_name", "email", "phone", "sector", "commune")

    id: Mapped[int] = mapped_column(primary_key=True)
    mission_locale_id: Mapped[int] = mapped_column(
        ForeignKey("mission_locale.id", ondelete="RESTRICT"), index=True)
    last_name: Mapped[str] = mapped_column(String(120))
    first_name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str] = mapped_column(String(254))  # lower-cased, unique within the ML
    phone: Mapped[str] = mapped_column(String(30), default="")
    sex: Mapped[Sex] = mapped_column(enum_column_type(Sex, "mentor_sex"))
    status: Mapped[MentorStatus] = mapped_column(enum_column_type(MentorStatus, "mentor_status"))
    sector: Mapped[str] = mapped_column(String(120), default="")
    commune: Mapped[str] = mapped_column(String(120), default="")
    consent_on: Mapped[date]
    charter_signed_on: Mapped[date | None]
    trained_on: Mapped[date | None]
    capacity: Mapped[int] = mapped_column(default=DEFAULT_CAPACITY)
    active: Mapped[bool] = mapped_column(default=True)
    anonymised_on: Mapped[date | None]
    version_id: Mapped[int] = mapped_column(default=1)

    mission_locale: Mapped[MissionLocale] = relationship()
    pairings: Mapped[list[Pairing]] = relationship(back_populates="mentor")

    __mapper_args__ = {"version_id_col": version_id, "version_id_generator": False}
    __table_args__ = (
        CheckConstraint("capacity >= 1 AND capacity <= 20", name="capacity_range"),
        # per mission locale: a global unique e-mail would tell an ML that another ML
        # holds this volunteer (the refusal « utilise déjà » leaks across MLs)
        UniqueConstraint("mission_locale_id", "email", name="uq_mentor_ml_email"),
    )

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def __str__(self) -> str:
        return self.full_name


class Mentee(Audited, TimestampMixin, Base):
    """A young person, pseudonymous: the code is the only link to the person (in i-milo)."""

    __tablename__ = "mentee"
    __audit_redact__ = ("code", "birth_year", "birth_month", "minor_consent_on")

    id: Mapped[int] = mapped_column(primary_key=True)
    mission_locale_id: Mapped[int] = mapped_column(
        ForeignKey("mission_locale.id", ondelete="RESTRICT"), index=True)
    code: Mapped[str] = mapped_column(String(12), unique=True)
    sex: Mapped[Sex] = mapped_column(enum_column_type(Sex, "mentee_sex"))
    birth_year: Mapped[int]
    birth_month: Mapped[int]
    qpv: Mapped[bool | None]
    zrr: Mapped[bool | None]
    qualification: Mapped[str] = mapped_column(String(5))  # 1–8, or the old VI … I
    rqth: Mapped[bool] = mapped_column(default=False)
    situation: Mapped[Situation] = mapped_column(enum_column_type(Situation, "mentee_situation"))
    prescriber: Mapped[Prescriber] = mapped_column(
        enum_column_type(Prescriber, "mentee_prescriber"))
    project_validated: Mapped[bool] = mapped_column(default=False)
    minor_consent_on: Mapped[date | None]  # a legal guardian's consent, for a minor
    version_id: Mapped[int] = mapped_column(default=1)

    mission_locale: Mapped[MissionLocale] = relationship()
    pairings: Mapped[list[Pairing]] = relationship(back_populates="mentee",
                                                   order_by="Pairing.start_date")

    __mapper_args__ = {"version_id_col": version_id, "version_id_generator": False}
    __table_args__ = (
        CheckConstraint("birth_month >= 1 AND birth_month <= 12", name="month_range"),
        CheckConstraint("birth_year >= 1900", name="year_range"),
    )

    def __str__(self) -> str:
        return self.code


class Pairing(Audited, TimestampMixin, Base):
    """A mentor and a mentee: proposé → actif → terminé or rompu."""

    __tablename__ = "pairing"

    id: Mapped[int] = mapped_column(primary_key=True)
    mission_locale_id: Mapped[int] = mapped_column(
        ForeignKey("mission_locale.id", ondelete="RESTRICT"), index=True)
    mentor_id: Mapped[int] = mapped_column(ForeignKey("mentor.id", ondelete="RESTRICT"),
                                           index=True)
    mentee_id: Mapped[int] = mapped_column(ForeignKey("mentee.id", ondelete="RESTRICT"),
                                           index=True)
    status: Mapped[PairingStatus] = mapped_column(
        enum_column_type(PairingStatus, "pairing_status"), default=PairingStatus.PROPOSE)
    start_date: Mapped[date]
    planned_end: Mapped[date]
    ended_on: Mapped[date | None]
    close_reason: Mapped[CloseReason | None] = mapped_column(
        enum_column_type(CloseReason, "pairing_close_reason"))
    outcome: Mapped[Outcome | None] = mapped_column(
        enum_column_type(Outcome, "pairing_outcome"))
    version_id: Mapped[int] = mapped_column(default=1)

    mentor: Mapped[Mentor] = relationship(back_populates="pairings")
    mentee: Mapped[Mentee] = relationship(back_populates="pairings")
    history: Mapped[list[PairingStatusChange]] = relationship(
        back_populates="pairing", cascade="all, delete-orphan",
        order_by="(PairingStatusChange.changed_at, PairingStatusChange.id)")
    meetings: Mapped[list[PairingMeeting]] = relationship(
        back_populates="pairing", cascade="all, delete-orphan",
        order_by="PairingMeeting.held_on")
    follow_up: Mapped[FollowUp | None] = relationship(back_populates="pairing",
                                                      cascade="all, delete-orphan")

    __mapper_args__ = {"version_id_col": version_id, "version_id_generator": False}
    __table_args__ = (
        CheckConstraint("planned_end >= start_date", name="dates_order"),
        CheckConstraint("ended_on IS NULL OR ended_on >= start_date", name="end_order"),
    )

    @property
    def effective_end(self) -> date:
        return self.ended_on or self.planned_end


class PairingStatusChange(Base):
    """One step of a pairing's life: who, when, from, to, why."""

    __tablename__ = "pairing_status_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    pairing_id: Mapped[int] = mapped_column(ForeignKey("pairing.id", ondelete="CASCADE"),
                                            index=True)
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    changed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("app_user.id", ondelete="SET NULL"))
    from_status: Mapped[PairingStatus | None] = mapped_column(
        enum_column_type(PairingStatus, "change_from_status"))
    to_status: Mapped[PairingStatus] = mapped_column(
        enum_column_type(PairingStatus, "change_to_status"))
    reason: Mapped[str] = mapped_column(String(40), default="")  # a CloseReason value or ""

    pairing: Mapped[Pairing] = relationship(back_populates="history")


class PairingMeeting(Audited, Base):
    """A meeting of the pair: when, how, how long — nothing about the young person."""

    __tablename__ = "pairing_meeting"

    id: Mapped[int] = mapped_column(primary_key=True)
    pairing_id: Mapped[int] = mapped_column(ForeignKey("pairing.id", ondelete="CASCADE"),
                                            index=True)
    held_on: Mapped[date]
    mode: Mapped[MeetingMode] = mapped_column(enum_column_type(MeetingMode, "meeting_mode"))
    duration_minutes: Mapped[int]

    pairing: Mapped[Pairing] = relationship(back_populates="meetings")

    __table_args__ = (
        CheckConstraint("duration_minutes > 0 AND duration_minutes <= 600",
                        name="duration_range"),
    )


class FollowUp(Audited, TimestampMixin, Base):
    """The mentee's situation six months after the end of a pairing."""

    __tablename__ = "pairing_follow_up"

    id: Mapped[int] = mapped_column(primary_key=True)
    pairing_id: Mapped[int] = mapped_column(ForeignKey("pairing.id", ondelete="CASCADE"))
    due_on: Mapped[date] = mapped_column(index=True)
    outcome: Mapped[Outcome | None] = mapped_column(
        enum_column_type(Outcome, "follow_up_outcome"))
    recorded_on: Mapped[date | None]
    recorded_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("app_user.id", ondelete="SET NULL"))
    reminded_on: Mapped[date | None]  # last reminder to the référents (models.mentoring.reminders)
    version_id: Mapped[int] = mapped_column(default=1)

    pairing: Mapped[Pairing] = relationship(back_populates="follow_up")

    __mapper_args__ = {"version_id_col": version_id, "version_id_generator": False}
    __table_args__ = (UniqueConstraint("pairing_id", name="one_per_pairing"),)
