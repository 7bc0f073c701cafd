"""Tables of the programme régional d'animation.

Money is ``Numeric(12, 2)`` euros, staff time ``Numeric(7, 2)`` days: no float
anywhere. Actions and programmes carry a ``version_id`` checked in every UPDATE,
so a concurrent save is refused instead of silently winning.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Audited, Base, TimestampMixin, utcnow
from models.network.orm import MissionLocale, Region
from models.programme.enums import (
    ActionStatus,
    BudgetCategory,
    MemberStatus,
    ProgrammeStatus,
    enum_column_type,
)

MONEY = Numeric(12, 2)
DAYS = Numeric(7, 2)


class Axis(Audited, TimestampMixin, Base):
    """One of the three axes of the national offer of service (reference data)."""

    __tablename__ = "programme_axis"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int] = mapped_column(unique=True)
    title: Mapped[str] = mapped_column(String(300))

    objectives: Mapped[list[Objective]] = relationship(
        back_populates="axis", order_by="Objective.code")

    @property
    def short(self) -> str:
        return f"Axe {self.number}"

    def __str__(self) -> str:
        return f"Axe {self.number} — {self.title}"


class Objective(Audited, TimestampMixin, Base):
    __tablename__ = "programme_objective"

    id: Mapped[int] = mapped_column(primary_key=True)
    axis_id: Mapped[int] = mapped_column(ForeignKey("programme_axis.id", ondelete="RESTRICT"),
                                         index=True)
    code: Mapped[str] = mapped_column(String(10), unique=True)  # "2.1"
    title: Mapped[str] = mapped_column(String(300))

    axis: Mapped[Axis] = relationship(back_populates="objectives")

    def __str__(self) -> str:
        return f"{self.code} {self.title}"


class TeamMember(Audited, TimestampMixin, Base):
    """A member of the ARML animation team (staff time is allocated to actions)."""

    __tablename__ = "team_member"

    id: Mapped[int] = mapped_column(primary_key=True)
    full_name: Mapped[str] = mapped_column(String(120))
    function: Mapped[str] = mapped_column(String(120))
    contract_etp: Mapped[Decimal] = mapped_column(Numeric(4, 2))
    status: Mapped[MemberStatus] = mapped_column(enum_column_type(MemberStatus, "member_status"))
    seconded_by: Mapped[str | None] = mapped_column(String(200))  # employer, when seconded
    start_date: Mapped[date]
    end_date: Mapped[date | None]
    version_id: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version_id, "version_id_generator": False}
    __table_args__ = (
        CheckConstraint("contract_etp > 0 AND contract_etp <= 1", name="etp_range"),
        CheckConstraint("end_date IS NULL OR end_date >= start_date", name="dates_order"),
    )

    def __str__(self) -> str:
        return self.full_name


class Programme(Audited, TimestampMixin, Base):
    """The yearly programme of one region, with its status workflow."""

    __tablename__ = "programme"

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id", ondelete="RESTRICT"),
                                           index=True)
    year: Mapped[int]
    title: Mapped[str] = mapped_column(String(200))
    status: Mapped[ProgrammeStatus] = mapped_column(
        enum_column_type(ProgrammeStatus, "programme_status"), default=ProgrammeStatus.BROUILLON)
    # The staff-time convention, stated on screen: 1 ETP = etp_hours hours = etp_days days.
    etp_hours: Mapped[int] = mapped_column(default=1607)
    etp_days: Mapped[int] = mapped_column(default=218)
    validated_at: Mapped[datetime | None]
    version_id: Mapped[int] = mapped_column(default=1)

    region: Mapped[Region] = relationship()
    actions: Mapped[list[Action]] = relationship(
        back_populates="programme", order_by="Action.id")
    transitions: Mapped[list[ProgrammeTransition]] = relationship(
        back_populates="programme", order_by="ProgrammeTransition.id")

    __mapper_args__ = {"version_id_col": version_id, "version_id_generator": False}
    __table_args__ = (
        UniqueConstraint("region_id", "year", name="region_year"),
        CheckConstraint("etp_days > 0 AND etp_hours > 0", name="etp_convention"),
    )

    @property
    def is_closed(self) -> bool:
        return self.status is ProgrammeStatus.CLOTURE

    @property
    def is_validated(self) -> bool:
        """Validated or later: plan changes are amendments shown to the copil."""
        return self.status in (ProgrammeStatus.VALIDE, ProgrammeStatus.EN_COURS)

    def __str__(self) -> str:
        return self.title


class ProgrammeTransition(Audited, Base):
    """One move in the workflow: who, when, from what to what, and why."""

    __tablename__ = "programme_transition"

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programme.id", ondelete="CASCADE"),
                                              index=True)
    from_status: Mapped[ProgrammeStatus] = mapped_column(
        enum_column_type(ProgrammeStatus, "from_status"))
    to_status: Mapped[ProgrammeStatus] = mapped_column(
        enum_column_type(ProgrammeStatus, "to_status"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    actor_name: Mapped[str] = mapped_column(String(120))
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow)
    comment: Mapped[str] = mapped_column(Text, default="")

    programme: Mapped[Programme] = relationship(back_populates="transitions")


class Action(Audited, TimestampMixin, Base):
    __tablename__ = "programme_action"

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programme.id", ondelete="CASCADE"),
                                              index=True)
    objective_id: Mapped[int] = mapped_column(
        ForeignKey("programme_objective.id", ondelete="RESTRICT"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    pilot_id: Mapped[int | None] = mapped_column(
        ForeignKey("team_member.id", ondelete="RESTRICT"), index=True)
    start_date: Mapped[date]
    end_date: Mapped[date]
    status: Mapped[ActionStatus] = mapped_column(
        enum_column_type(ActionStatus, "action_status"), default=ActionStatus.PREVUE)
    status_reason: Mapped[str] = mapped_column(Text, default="")
    out_of_year_reason: Mapped[str] = mapped_column(Text, default="")
    partners: Mapped[list[str]] = mapped_column(JSON, default=list)
    version_id: Mapped[int] = mapped_column(default=1)

    programme: Mapped[Programme] = relationship(back_populates="actions")
    objective: Mapped[Objective] = relationship()
    pilot: Mapped[TeamMember | None] = relationship()
    ml_links: Mapped[list[ActionMissionLocale]] = relationship(
        back_populates="action", cascade="all, delete-orphan")
    missions_locales: Mapped[list[MissionLocale]] = relationship(
        secondary="action_mission_locale", viewonly=True, order_by="MissionLocale.name")
    deliverables: Mapped[list[Deliverable]] = relationship(
        back_populates="action", cascade="all, delete-orphan",
        order_by="(Deliverable.due_date, Deliverable.id)")
    indicators: Mapped[list[Indicator]] = relationship(
        back_populates="action", cascade="all, delete-orphan", order_by="Indicator.id")
    budget_lines: Mapped[list[BudgetLine]] = relationship(
        back_populates="action", cascade="all, delete-orphan",
        order_by="(BudgetLine.category, BudgetLine.id)")
    allocations: Mapped[list[StaffAllocation]] = relationship(
        back_populates="action", cascade="all, delete-orphan", order_by="StaffAllocation.id")

    __mapper_args__ = {"version_id_col": version_id, "version_id_generator": False}
    __table_args__ = (
        CheckConstraint("end_date >= start_date", name="dates_order"),
    )

    def __str__(self) -> str:
        return self.title


class ActionMissionLocale(Audited, Base):
    """A mission locale involved in an action (what an ``ml`` user may see)."""

    __tablename__ = "action_mission_locale"

    action_id: Mapped[int] = mapped_column(
        ForeignKey("programme_action.id", ondelete="CASCADE"), primary_key=True)
    mission_locale_id: Mapped[int] = mapped_column(
        ForeignKey("mission_locale.id", ondelete="RESTRICT"), primary_key=True, index=True)

    action: Mapped[Action] = relationship(back_populates="ml_links")
    mission_locale: Mapped[MissionLocale] = relationship()


class Deliverable(Audited, TimestampMixin, Base):
    __tablename__ = "action_deliverable"

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(
        ForeignKey("programme_action.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    due_date: Mapped[date]
    done_date: Mapped[date | None]

    action: Mapped[Action] = relationship(back_populates="deliverables")

    def is_late(self, today: date) -> bool:
        """Open past its due date, on an action still meant to happen."""
        if self.action is not None and ActionStatus(self.action.status) in (
                ActionStatus.ABANDONNEE, ActionStatus.REPORTEE):
            return False
        return self.done_date is None and self.due_date < today


class Indicator(Audited, TimestampMixin, Base):
    __tablename__ = "action_indicator"

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(
        ForeignKey("programme_action.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str] = mapped_column(String(40))
    target: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    achieved: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    comment: Mapped[str] = mapped_column(Text, default="")
    # computed indicators take their achieved value from the system (models.indicators)
    source: Mapped[str | None] = mapped_column(String(40))
    source_ref: Mapped[int | None]

    action: Mapped[Action] = relationship(back_populates="indicators")

    __table_args__ = (
        CheckConstraint("target >= 0", name="target_positive"),
        CheckConstraint("achieved IS NULL OR achieved >= 0", name="achieved_positive"),
    )

    @property
    def reached(self) -> bool:
        return self.achieved is not None and self.achieved >= self.target


class BudgetLine(Audited, TimestampMixin, Base):
    __tablename__ = "action_budget_line"

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(
        ForeignKey("programme_action.id", ondelete="CASCADE"), index=True)
    category: Mapped[BudgetCategory] = mapped_column(
        enum_column_type(BudgetCategory, "budget_category"))
    label: Mapped[str] = mapped_column(String(200), default="")
    planned: Mapped[Decimal] = mapped_column(MONEY)
    actual: Mapped[Decimal | None] = mapped_column(MONEY)

    action: Mapped[Action] = relationship(back_populates="budget_lines")

    __table_args__ = (
        CheckConstraint("planned >= 0", name="planned_positive"),
        CheckConstraint("actual IS NULL OR actual >= 0", name="actual_positive"),
    )


class StaffAllocation(Audited, TimestampMixin, Base):
    """Days of one team member planned (and spent) on one action."""

    __tablename__ = "staff_allocation"

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(
        ForeignKey("programme_action.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("team_member.id", ondelete="RESTRICT"),
                                           index=True)
    planned_days: Mapped[Decimal] = mapped_column(DAYS)
    actual_days: Mapped[Decimal | None] = mapped_column(DAYS)

    action: Mapped[Action] = relationship(back_populates="allocations")
    member: Mapped[TeamMember] = relationship()

    __table_args__ = (
        UniqueConstraint("action_id", "member_id", name="action_member"),
        CheckConstraint("planned_days >= 0", name="planned_positive"),
        CheckConstraint("actual_days IS NULL OR actual_days >= 0", name="actual_positive"),
    )


class ActionAmendment(Audited, Base):
    """A change to a validated programme's plan, kept and shown to the copil."""

    __tablename__ = "action_amendment"

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programme.id", ondelete="CASCADE"),
                                              index=True)
    action_id: Mapped[int | None] = mapped_column(
        ForeignKey("programme_action.id", ondelete="SET NULL"), index=True)
    action_title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))  # ajout | modification | suppression
    summary: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text, default="")
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    actor_name: Mapped[str] = mapped_column(String(120))
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class CopilMeeting(Audited, TimestampMixin, Base):
    __tablename__ = "copil_meeting"

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programme.id", ondelete="CASCADE"),
                                              index=True)
    meeting_date: Mapped[date]
    place: Mapped[str] = mapped_column(String(200), default="")
    # One entry per line as typed: "DREETS — Bertrand Roux"
    participants: Mapped[list[str]] = mapped_column(JSON, default=list)
    notes: Mapped[str] = mapped_column(Text, default="")

    programme: Mapped[Programme] = relationship()
    # its decisions live in the one register (models.councils.orm.Decision)
    decisions: Mapped[list[Decision]] = relationship(  # noqa: F821
        "Decision", back_populates="copil_meeting", order_by="Decision.id",
        cascade="all, delete-orphan")
