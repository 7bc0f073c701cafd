"""Tables of the funding domain.

Money is ``Numeric(12, 2)`` euros and percentages ``Numeric(5, 2)``: no float.
Funders and conventions carry a ``version_id`` checked in every UPDATE so a
concurrent save is refused instead of silently winning.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Audited, Base, TimestampMixin, utcnow
from models.funding.enums import ConventionStatus, ConventionType, FunderType
from models.programme.enums import enum_column_type
from models.programme.orm import Action, Axis, Programme, TeamMember

MONEY = Numeric(12, 2)
PERCENT = Numeric(5, 2)
HOURS = Numeric(6, 2)


class Funder(Audited, TimestampMixin, Base):
    __tablename__ = "funder"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    type: Mapped[FunderType] = mapped_column(enum_column_type(FunderType, "funder_type"))
    contact_name: Mapped[str] = mapped_column(String(120), default="")
    contact_email: Mapped[str] = mapped_column(String(254), default="")
    contact_phone: Mapped[str] = mapped_column(String(40), default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(default=True)
    version_id: Mapped[int] = mapped_column(default=1)

    conventions: Mapped[list[Convention]] = relationship(
        back_populates="funder", order_by="Convention.reference")

    __mapper_args__ = {"version_id_col": version_id, "version_id_generator": False}

    def __str__(self) -> str:
        return self.name


class Convention(Audited, TimestampMixin, Base):
    """A signed (or prepared) funding agreement: amount, period, schedule, conditions."""

    __tablename__ = "convention"

    id: Mapped[int] = mapped_column(primary_key=True)
    funder_id: Mapped[int] = mapped_column(ForeignKey("funder.id", ondelete="RESTRICT"),
                                           index=True)
    reference: Mapped[str] = mapped_column(String(80), unique=True)
    object: Mapped[str] = mapped_column(Text)
    type: Mapped[ConventionType] = mapped_column(
        enum_column_type(ConventionType, "convention_type"))
    status: Mapped[ConventionStatus] = mapped_column(
        enum_column_type(ConventionStatus, "convention_status"),
        default=ConventionStatus.EN_PREPARATION)
    amount: Mapped[Decimal] = mapped_column(MONEY)
    # The programme year(s) the convention funds (first_year = last_year for most).
    first_year: Mapped[int]
    last_year: Mapped[int]
    signature_date: Mapped[date | None]
    period_start: Mapped[date]
    period_end: Mapped[date]
    conditions: Mapped[str] = mapped_column(Text, default="")
    version_id: Mapped[int] = mapped_column(default=1)

    funder: Mapped[Funder] = relationship(back_populates="conventions")
    instalments: Mapped[list[Instalment]] = relationship(
        back_populates="convention", cascade="all, delete-orphan",
        order_by="(Instalment.position, Instalment.id)")
    payments: Mapped[list[Payment]] = relationship(
        back_populates="convention", cascade="all, delete-orphan",
        order_by="(Payment.received_on, Payment.id)")
    deadlines: Mapped[list[ReportingDeadline]] = relationship(
        back_populates="convention", cascade="all, delete-orphan",
        order_by="(ReportingDeadline.due_date, ReportingDeadline.id)")
    allocations: Mapped[list[FundingAllocation]] = relationship(
        back_populates="convention", cascade="all, delete-orphan",
        order_by="FundingAllocation.id")

    __mapper_args__ = {"version_id_col": version_id, "version_id_generator": False}
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("last_year >= first_year", name="years_order"),
        CheckConstraint("period_end >= period_start", name="period_order"),
    )

    @property
    def years_label(self) -> str:
        if self.first_year == self.last_year:
            return str(self.first_year)
        return f"{self.first_year}–{self.last_year}"

    def __str__(self) -> str:
        return f"{self.reference} — {self.funder.name if self.funder else ''}"


class Instalment(Audited, Base):
    """One line of the payment schedule: a share of the amount due at a date."""

    __tablename__ = "convention_instalment"

    id: Mapped[int] = mapped_column(primary_key=True)
    convention_id: Mapped[int] = mapped_column(
        ForeignKey("convention.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    label: Mapped[str] = mapped_column(String(200))
    due_date: Mapped[date]
    percent: Mapped[Decimal] = mapped_column(PERCENT)

    convention: Mapped[Convention] = relationship(back_populates="instalments")
    payments: Mapped[list[Payment]] = relationship(back_populates="instalment")

    __table_args__ = (
        CheckConstraint("percent > 0 AND percent <= 100", name="percent_range"),
    )


class Payment(Audited, TimestampMixin, Base):
    __tablename__ = "convention_payment"

    id: Mapped[int] = mapped_column(primary_key=True)
    convention_id: Mapped[int] = mapped_column(
        ForeignKey("convention.id", ondelete="CASCADE"), index=True)
    instalment_id: Mapped[int | None] = mapped_column(
        ForeignKey("convention_instalment.id", ondelete="SET NULL"), index=True)
    received_on: Mapped[date]
    amount: Mapped[Decimal] = mapped_column(MONEY)
    comment: Mapped[str] = mapped_column(Text, default="")

    convention: Mapped[Convention] = relationship(back_populates="payments")
    instalment: Mapped[Instalment | None] = relationship(back_populates="payments")

    __table_args__ = (CheckConstraint("amount > 0", name="amount_positive"),)


class ReportingDeadline(Audited, TimestampMixin, Base):
    """A report the funder expects (bilan intermédiaire, bilan final, dialogue de gestion)."""

    __tablename__ = "convention_deadline"

    id: Mapped[int] = mapped_column(primary_key=True)
    convention_id: Mapped[int] = mapped_column(
        ForeignKey("convention.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(String(200))
    due_date: Mapped[date]
    done_date: Mapped[date | None]

    convention: Mapped[Convention] = relationship(back_populates="deadlines")


class FundingAllocation(Audited, TimestampMixin, Base):
    """Part of a convention's amount given to one action, or to a whole axis of a
    programme (a funder funding the programme globally)."""

    __tablename__ = "funding_allocation"

    id: Mapped[int] = mapped_column(primary_key=True)
    convention_id: Mapped[int] = mapped_column(
        ForeignKey("convention.id", ondelete="CASCADE"), index=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programme.id", ondelete="CASCADE"),
                                              index=True)
    action_id: Mapped[int | None] = mapped_column(
        ForeignKey("programme_action.id", ondelete="CASCADE"), index=True)
    axis_id: Mapped[int | None] = mapped_column(
        ForeignKey("programme_axis.id", ondelete="RESTRICT"), index=True)
    amount: Mapped[Decimal] = mapped_column(MONEY)
    comment: Mapped[str] = mapped_column(Text, default="")

    convention: Mapped[Convention] = relationship(back_populates="allocations")
    programme: Mapped[Programme] = relationship()
    action: Mapped[Action | None] = relationship()
    axis: Mapped[Axis | None] = relationship()

    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("(action_id IS NULL) <> (axis_id IS NULL)", name="one_target"),
    )

    @property
    def target_label(self) -> str:
        if self.action is not None:
            return self.action.title
        return f"{self.axis.short} (financement global)" if self.axis else ""


class FundingSettings(Audited, TimestampMixin, Base):
    """The admin's tolerance for an unbalanced co-financing plan (one row per region)."""

    __tablename__ = "funding_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id", ondelete="CASCADE"),
                                           unique=True)
    # An action is balanced when |funded − budget| ≤ budget × tolerance_percent / 100.
    tolerance_percent: Mapped[Decimal] = mapped_column(PERCENT, default=Decimal("1.00"))

    __table_args__ = (
        CheckConstraint("tolerance_percent >= 0 AND tolerance_percent <= 50",
                        name="tolerance_range"),
    )


class TimeEntry(Audited, TimestampMixin, Base):
    """Hours one team member spent on one action in one month (ESF time justification)."""

    __tablename__ = "time_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("team_member.id", ondelete="RESTRICT"),
                                           index=True)
    action_id: Mapped[int] = mapped_column(
        ForeignKey("programme_action.id", ondelete="CASCADE"), index=True)
    month: Mapped[date]  # first day of the month
    hours: Mapped[Decimal] = mapped_column(HOURS)
    source: Mapped[str] = mapped_column(String(20), default="saisie")  # saisie | import

    member: Mapped[TeamMember] = relationship()
    action: Mapped[Action] = relationship()

    __table_args__ = (
        UniqueConstraint("member_id", "action_id", "month", name="member_action_month"),
        CheckConstraint("hours >= 0", name="hours_positive"),
    )


class TimesheetSignoff(Audited, Base):
    """Who signed a person's monthly timesheet (the person, then the director)."""

    __tablename__ = "timesheet_signoff"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("team_member.id", ondelete="RESTRICT"),
                                           index=True)
    month: Mapped[date]
    role: Mapped[str] = mapped_column(String(20))  # salarie | direction
    signer_name: Mapped[str] = mapped_column(String(120))
    signer_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    signed_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("member_id", "month", "role", name="member_month_role"),)
