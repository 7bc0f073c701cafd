"""Tables of councils, collective projects and the decision register.

The tables guarantee what a database can (one invitee per e-mail and meeting, one
minutes per meeting, exactly one owner per decision, one participation per mission
locale and project); everything else is decided in ``services`` / ``rules``.
Times are Paris wall-clock (``day`` + ``starts_at``), as for training slots, so a
meeting moved across the daylight-saving change keeps its hour.
"""

from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Audited, Base, TimestampMixin, utcnow
from models.councils.enums import (
    BinomeRole,
    DecisionStatus,
    ExperimentStatus,
    InviteeKind,
    ItemKind,
    MeetingStatus,
    MinutesStatus,
    ParticipantStatus,
    Presence,
    ProjectKind,
    ProjectPhase,
    SeriesKind,
)
from models.network.orm import MissionLocale
from models.programme.enums import enum_column_type
from models.programme.orm import Action, CopilMeeting, ProgrammeTransition, TeamMember


class CouncilSeries(Audited, TimestampMixin, Base):
    """A council that meets again and again (conseil technique des directeurs, a working
    group, a cluster's meetings): its members, rhythm, and whether it votes."""

    __tablename__ = "council_series"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[SeriesKind] = mapped_column(enum_column_type(SeriesKind, "series_kind"))
    description: Mapped[str] = mapped_column(Text, default="")
    rhythm_weeks: Mapped[int | None]
    default_place: Mapped[str] = mapped_column(Text, default="")
    video_link: Mapped[str] = mapped_column(String(500), default="")
    default_start: Mapped[time] = mapped_column(default=time(9, 30))
    default_end: Mapped[time] = mapped_column(default=time(16, 30))
    # the directors of the active missions locales are its members (a conseil technique)
    directors_are_members: Mapped[bool] = mapped_column(default=True)
    quorum_enabled: Mapped[bool] = mapped_column(default=False)
    quorum_threshold: Mapped[int | None]
    proxies_enabled: Mapped[bool] = mapped_column(default=False)
    max_proxies: Mapped[int] = mapped_column(default=1)
    # invitations sent fewer days ahead than this get a warning (the setting)
    notice_days: Mapped[int] = mapped_column(default=10)
    active: Mapped[bool] = mapped_column(default=True)
    version_id: Mapped[int] = mapped_column(default=1)

    meetings: Mapped[list[Meeting]] = relationship(
        back_populates="series", order_by="(Meeting.day, Meeting.starts_at, Meeting.id)")

    __mapper_args__ = {"version_id_col": version_id}
    __table_args__ = (
        CheckConstraint("rhythm_weeks IS NULL OR rhythm_weeks > 0", name="rhythm_positive"),
        CheckConstraint("max_proxies >= 1", name="max_proxies_positive"),
        CheckConstraint("quorum_threshold IS NULL OR quorum_threshold >= 1",
                        name="quorum_positive"),
    )

    def __str__(self) -> str:
        return self.name


class Meeting(Audited, TimestampMixin, Base):
    __tablename__ = "council_meeting"

    id: Mapped[int] = mapped_column(primary_key=True)
    series_id: Mapped[int] = mapped_column(
        ForeignKey("council_series.id", ondelete="RESTRICT"), index=True)
    title: Mapped[str] = mapped_column(String(200), default="")
    day: Mapped[date] = mapped_column(index=True)
    starts_at: Mapped[time]
    ends_at: Mapped[time]
    place: Mapped[str] = mapped_column(Text, default="")
    video_link: Mapped[str] = mapped_column(String(500), default="")
    status: Mapped[MeetingStatus] = mapped_column(
        enum_column_type(MeetingStatus, "meeting_status"), default=MeetingStatus.PLANIFIE)
    cancel_reason: Mapped[str] = mapped_column(Text, default="")
    # iCalendar SEQUENCE: raised at each change the invitees' calendars must follow
    ics_sequence: Mapped[int] = mapped_column(default=0)
    invited_at: Mapped[datetime | None]
    version_id: Mapped[int] = mapped_column(default=1)

    series: Mapped[CouncilSeries] = relationship(back_populates="meetings")
    items: Mapped[list[AgendaItem]] = relationship(
        back_populates="meeting", order_by="(AgendaItem.position, AgendaItem.id)",
        foreign_keys="AgendaItem.meeting_id")
    invitees: Mapped[list[Invitee]] = relationship(
        back_populates="meeting", cascade="all, delete-orphan",
        order_by="(Invitee.kind, Invitee.full_name, Invitee.id)")
    minutes: Mapped[Minutes | None] = relationship(
        back_populates="meeting", uselist=False, foreign_keys="Minutes.meeting_id")

    __mapper_args__ = {"version_id_col": version_id}
    __table_args__ = (CheckConstraint("ends_at > starts_at", name="hours_order"),)

    @property
    def label(self) -> str:
        return self.title or f"{self.series.name} du {self.day:%d/%m/%Y}"


class AgendaItem(Audited, TimestampMixin, Base):
    """An item of a meeting's agenda, or of its series' backlog (``meeting_id`` empty)."""

    __tablename__ = "agenda_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    series_id: Mapped[int] = mapped_column(
        ForeignKey("council_series.id", ondelete="CASCADE"), index=True)
    meeting_id: Mapped[int | None] = mapped_column(
        ForeignKey("council_meeting.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    kind: Mapped[ItemKind] = mapped_column(enum_column_type(ItemKind, "item_kind"))
    title: Mapped[str] = mapped_column(String(300))
    details: Mapped[str] = mapped_column(Text, default="")
    presenter: Mapped[str] = mapped_column(String(120), default="")
    duration_minutes: Mapped[int | None]
    # an "approbation du compte rendu" item: whose minutes are approved
    minutes_of_id: Mapped[int | None] = mapped_column(
        ForeignKey("council_meeting.id", ondelete="SET NULL"))
    proposed_by_ml_id: Mapped[int | None] = mapped_column(
        ForeignKey("mission_locale.id", ondelete="SET NULL"))
    proposed_by: Mapped[str] = mapped_column(String(120), default="")
    version_id: Mapped[int] = mapped_column(default=1)

    meeting: Mapped[Meeting | None] = relationship(back_populates="items",
                                                   foreign_keys=[meeting_id])
    minutes_of: Mapped[Meeting | None] = relationship(foreign_keys=[minutes_of_id])
    proposed_by_ml: Mapped[MissionLocale | None] = relationship()
    attachments: Mapped[list[AgendaAttachment]] = relationship(
        back_populates="item", cascade="all, delete-orphan", order_by="AgendaAttachment.id")

    __mapper_args__ = {"version_id_col": version_id}
    __table_args__ = (
        CheckConstraint("duration_minutes IS NULL OR duration_minutes > 0",
                        name="duration_positive"),
    )


class AgendaAttachment(Audited, Base):
    __tablename__ = "agenda_attachment"
    __audit_redact__ = ("content",)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("agenda_item.id", ondelete="CASCADE"),
                                         index=True)
    filename: Mapped[str] = mapped_column(String(200))
    mimetype: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)
    uploaded_by: Mapped[str] = mapped_column(String(120), default="")

    item: Mapped[AgendaItem] = relationship(back_populates="attachments")


class Invitee(Audited, TimestampMixin, Base):
    """A person invited to a meeting: their answer before it, their presence once held."""

    __tablename__ = "council_invitee"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("council_meeting.id", ondelete="CASCADE"), index=True)
    kind: Mapped[InviteeKind] = mapped_column(enum_column_type(InviteeKind, "invitee_kind"))
    mission_locale_id: Mapped[int | None] = mapped_column(
        ForeignKey("mission_locale.id", ondelete="RESTRICT"), index=True)
    full_name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str] = mapped_column(String(254))  # lower-cased, trimmed
    organisation: Mapped[str] = mapped_column(String(200), default="")
    answer: Mapped[Presence | None] = mapped_column(enum_column_type(Presence, "answer"))
    answered_at: Mapped[datetime | None]
    answered_by: Mapped[str] = mapped_column(String(120), default="")
    presence: Mapped[Presence | None] = mapped_column(enum_column_type(Presence, "presence"))
    # "représenté par": the present member holding this invitee's proxy
    proxy_holder_id: Mapped[int | None] = mapped_column(
        ForeignKey("council_invitee.id", ondelete="SET NULL"))
    version_id: Mapped[int] = mapped_column(default=1)

    meeting: Mapped[Meeting] = relationship(back_populates="invitees")
    # loaded with the invitees (lists of 40 directors name their ML and proxy holder)
    mission_locale: Mapped[MissionLocale | None] = relationship(lazy="selectin")
    proxy_holder: Mapped[Invitee | None] = relationship(remote_side=[id], lazy="selectin")

    __mapper_args__ = {"version_id_col": version_id}
    __table_args__ = (
        UniqueConstraint("meeting_id", "email", name="meeting_email"),
        CheckConstraint("proxy_holder_id IS NULL OR proxy_holder_id <> id",
                        name="no_self_proxy"),
    )


class Minutes(Audited, TimestampMixin, Base):
    """A meeting's minutes: draft → circulated → approved at a later meeting of the
    same series, then read-only (corrections become reservations)."""

    __tablename__ = "council_minutes"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("council_meeting.id", ondelete="RESTRICT"), unique=True)
    body: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[MinutesStatus] = mapped_column(
        enum_column_type(MinutesStatus, "minutes_status"), default=MinutesStatus.BROUILLON)
    written_by: Mapped[str] = mapped_column(String(120), default="")
    circulated_at: Mapped[datetime | None]
    approved_at: Mapped[datetime | None]
    approved_in_id: Mapped[int | None] = mapped_column(
        ForeignKey("council_meeting.id", ondelete="RESTRICT"), index=True)
    version_id: Mapped[int] = mapped_column(default=1)

    meeting: Mapped[Meeting] = relationship(back_populates="minutes", foreign_keys=[meeting_id])
    approved_in: Mapped[Meeting | None] = relationship(foreign_keys=[approved_in_id])
    reservations: Mapped[list[MinutesReservation]] = relationship(
        back_populates="minutes", order_by="MinutesReservation.id")

    __mapper_args__ = {"version_id_col": version_id}


class MinutesReservation(Audited, Base):
    """A correction to approved minutes, recorded in the approving meeting's minutes."""

    __tablename__ = "minutes_reservation"

    id: Mapped[int] = mapped_column(primary_key=True)
    minutes_id: Mapped[int] = mapped_column(ForeignKey("council_minutes.id", ondelete="RESTRICT"),
                                            index=True)
    approving_meeting_id: Mapped[int] = mapped_column(
        ForeignKey("council_meeting.id", ondelete="RESTRICT"), index=True)
    text: Mapped[str] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(120), default="")
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)

    minutes: Mapped[Minutes] = relationship(back_populates="reservations")
    approving_meeting: Mapped[Meeting] = relationship()


class CollectiveProject(Audited, TimestampMixin, Base):
    """A cluster, working group or collective action run with volunteer missions locales."""

    __tablename__ = "collective_project"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[ProjectKind] = mapped_column(enum_column_type(ProjectKind, "project_kind"))
    phase: Mapped[ProjectPhase] = mapped_column(
        enum_column_type(ProjectPhase, "project_phase"), default=ProjectPhase.APPEL)
    description: Mapped[str] = mapped_column(Text, default="")
    partners: Mapped[str] = mapped_column(Text, default="")
    action_id: Mapped[int | None] = mapped_column(
        ForeignKey("programme_action.id", ondelete="SET NULL"), index=True)
    # the project's own meetings and decisions
    series_id: Mapped[int | None] = mapped_column(
        ForeignKey("council_series.id", ondelete="SET NULL"))
    # its sessions are the sessions of this training (sign-in sheets, convocations)
    training_id: Mapped[int | None] = mapped_column(
        ForeignKey("training.id", ondelete="SET NULL"))
    evaluation_months: Mapped[int] = mapped_column(default=6)
    evaluation_due: Mapped[date | None]
    version_id: Mapped[int] = mapped_column(default=1)

    action: Mapped[Action | None] = relationship()
    series: Mapped[CouncilSeries | None] = relationship()
    participants: Mapped[list[ProjectParticipant]] = relationship(
        back_populates="project", cascade="all, delete-orphan",
        order_by="ProjectParticipant.id")

    __mapper_args__ = {"version_id_col": version_id}
    __table_args__ = (
        CheckConstraint("evaluation_months BETWEEN 6 AND 12", name="evaluation_window"),
    )


class ProjectParticipant(Audited, TimestampMixin, Base):
    __tablename__ = "project_participant"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("collective_project.id", ondelete="CASCADE"), index=True)
    mission_locale_id: Mapped[int] = mapped_column(
        ForeignKey("mission_locale.id", ondelete="RESTRICT"), index=True)
    status: Mapped[ParticipantStatus] = mapped_column(
        enum_column_type(ParticipantStatus, "participant_status"),
        default=ParticipantStatus.CANDIDAT)
    withdrawal_reason: Mapped[str] = mapped_column(Text, default="")
    version_id: Mapped[int] = mapped_column(default=1)

    project: Mapped[CollectiveProject] = relationship(back_populates="participants")
    mission_locale: Mapped[MissionLocale] = relationship(lazy="selectin")
    binome: Mapped[list[BinomeMember]] = relationship(
        back_populates="participant", cascade="all, delete-orphan", order_by="BinomeMember.id",
        lazy="selectin")
    experiments: Mapped[list[Experiment]] = relationship(
        back_populates="participant", cascade="all, delete-orphan", order_by="Experiment.id",
        lazy="selectin")

    __mapper_args__ = {"version_id_col": version_id}
    __table_args__ = (UniqueConstraint("project_id", "mission_locale_id", name="project_ml"),)


class BinomeMember(Audited, Base):
    """One of the two people a participating mission locale sends (one from the direction)."""

    __tablename__ = "binome_member"
    # the day someone answered, next to the answers' days, could point at who wrote what
    __audit_redact__ = ("evaluation_sent_at", "evaluation_done_at")

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("project_participant.id", ondelete="CASCADE"), index=True)
    full_name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str] = mapped_column(String(254))
    role: Mapped[BinomeRole] = mapped_column(enum_column_type(BinomeRole, "binome_role"))
    evaluation_sent_at: Mapped[datetime | None]
    evaluation_done_at: Mapped[datetime | None]

    participant: Mapped[ProjectParticipant] = relationship(back_populates="binome")

    __table_args__ = (UniqueConstraint("participant_id", "email", name="participant_email"),)


class Experiment(Audited, TimestampMixin, Base):
    __tablename__ = "project_experiment"

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("project_participant.id", ondelete="CASCADE"), index=True)
    objective: Mapped[str] = mapped_column(Text)
    indicators: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[ExperimentStatus] = mapped_column(
        enum_column_type(ExperimentStatus, "experiment_status"),
        default=ExperimentStatus.PREVUE)

    participant: Mapped[ProjectParticipant] = relationship(back_populates="experiments")


class ProjectEvaluation(Base):
    """One anonymous answer to a project's evaluation (no link to the person: the token
    only marks ``BinomeMember.evaluation_done_at``). Scores 1–5."""

    __tablename__ = "project_evaluation"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("collective_project.id", ondelete="CASCADE"), index=True)
    overall: Mapped[int]
    usefulness: Mapped[int]
    changes: Mapped[int]  # changes made in the mission locale
    comment: Mapped[str] = mapped_column(Text, default="")
    submitted_on: Mapped[date]

    __table_args__ = tuple(
        CheckConstraint(f"{c} BETWEEN 1 AND 5", name=f"{c}_range")
        for c in ("overall", "usefulness", "changes"))


class Decision(Audited, TimestampMixin, Base):
    """The one decision register: a decision of a council meeting, a copil meeting or a
    collective project, with exactly one owner, followed until it is closed."""

    __tablename__ = "decision"

    id: Mapped[int] = mapped_column(primary_key=True)
    series_id: Mapped[int | None] = mapped_column(
        ForeignKey("council_series.id", ondelete="RESTRICT"), index=True)
    meeting_id: Mapped[int | None] = mapped_column(
        ForeignKey("council_meeting.id", ondelete="RESTRICT"), index=True)
    copil_meeting_id: Mapped[int | None] = mapped_column(
        ForeignKey("copil_meeting.id", ondelete="CASCADE"), index=True)
    project_id: Mapped[int | None] = mapped_column(
        ForeignKey("collective_project.id", ondelete="RESTRICT"), index=True)
    decided_on: Mapped[date] = mapped_column(index=True)
    text: Mapped[str] = mapped_column(Text)
    owner_member_id: Mapped[int | None] = mapped_column(
        ForeignKey("team_member.id", ondelete="RESTRICT"), index=True)
    owner_ml_id: Mapped[int | None] = mapped_column(
        ForeignKey("mission_locale.id", ondelete="RESTRICT"), index=True)
    owner_person: Mapped[str] = mapped_column(String(120), default="")
    due_date: Mapped[date] = mapped_column(index=True)
    status: Mapped[DecisionStatus] = mapped_column(
        enum_column_type(DecisionStatus, "decision_status"), default=DecisionStatus.OUVERTE,
        index=True)
    closing_note: Mapped[str] = mapped_column(Text, default="")
    # the day it was closed (faite, abandonnée): it leaves the later agendas after it
    closed_on: Mapped[date | None] = mapped_column(index=True)
    action_id: Mapped[int | None] = mapped_column(
        ForeignKey("programme_action.id", ondelete="SET NULL"), index=True)
    transition_id: Mapped[int | None] = mapped_column(
        ForeignKey("programme_transition.id", ondelete="SET NULL"))
    version_id: Mapped[int] = mapped_column(default=1)

    series: Mapped[CouncilSeries | None] = relationship()
    meeting: Mapped[Meeting | None] = relationship()
    copil_meeting: Mapped[CopilMeeting | None] = relationship(back_populates="decisions")
    project: Mapped[CollectiveProject | None] = relationship()
    owner_member: Mapped[TeamMember | None] = relationship()
    owner_ml: Mapped[MissionLocale | None] = relationship()
    action: Mapped[Action | None] = relationship()
    transition: Mapped[ProgrammeTransition | None] = relationship()
    events: Mapped[list[DecisionEvent]] = relationship(
        back_populates="decision", cascade="all, delete-orphan",
        order_by="(DecisionEvent.at, DecisionEvent.id)")

    __mapper_args__ = {"version_id_col": version_id}
    __table_args__ = (
        CheckConstraint("(owner_member_id IS NULL) <> (owner_ml_id IS NULL)", name="one_owner"),
        CheckConstraint("owner_ml_id IS NULL OR owner_person <> ''", name="ml_owner_named"),
        CheckConstraint("due_date >= decided_on", name="due_after_meeting"),
        CheckConstraint(
            "(CASE WHEN meeting_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN copil_meeting_id IS NULL THEN 0 ELSE 1 END) <= 1",
            name="one_meeting"),
    )

    @property
    def owner_label(self) -> str:
        if self.owner_member is not None:
            return self.owner_member.full_name
        if self.owner_ml is not None:
            return f"{self.owner_ml.name} — {self.owner_person}"
        return ""

    @property
    def is_closed(self) -> bool:
        return DecisionStatus(self.status).closed


class DecisionEvent(Base):
    """One change of a decision's status: who, when, at which meeting, why."""

    __tablename__ = "decision_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    decision_id: Mapped[int] = mapped_column(ForeignKey("decision.id", ondelete="CASCADE"),
                                             index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    actor_name: Mapped[str] = mapped_column(String(120))
    from_status: Mapped[DecisionStatus | None] = mapped_column(
        enum_column_type(DecisionStatus, "from_status"))
    to_status: Mapped[DecisionStatus] = mapped_column(
        enum_column_type(DecisionStatus, "to_status"))
    meeting_id: Mapped[int | None] = mapped_column(
        ForeignKey("council_meeting.id", ondelete="SET NULL"))
    new_due_date: Mapped[date | None]
    note: Mapped[str] = mapped_column(Text, default="")

    decision: Mapped[Decision] = relationship(back_populates="events")
    meeting: Mapped[Meeting | None] = relationship()
