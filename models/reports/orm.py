"""Tables of the funder reports.

A report version is immutable once generated: its PDF bytes, its content snapshot
(what the HTML page shows) and the parameters it was built from are stored, so a
download always serves the bytes that were published and "vérifier" can rebuild
them. Regenerating adds a version; nothing is overwritten.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from models.base import Audited, Base, TimestampMixin, utcnow
from models.funding.orm import Funder
from models.programme.orm import Action


class ActionReview(Audited, TimestampMixin, Base):
    """The team's yearly review of an action, written once and reused in every funder's
    report that covers the action."""

    __tablename__ = "action_review"

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(
        ForeignKey("programme_action.id", ondelete="CASCADE"), unique=True)
    highlights: Mapped[str] = mapped_column(Text, default="")  # faits marquants
    gaps: Mapped[str] = mapped_column(Text, default="")  # écarts expliqués
    outlook: Mapped[str] = mapped_column(Text, default="")  # perspectives
    updated_by: Mapped[str] = mapped_column(String(120), default="")
    version_id: Mapped[int] = mapped_column(default=1)

    action: Mapped[Action] = relationship()

    __mapper_args__ = {"version_id_col": version_id, "version_id_generator": False}

    @property
    def empty(self) -> bool:
        return not (self.highlights.strip() or self.gaps.strip() or self.outlook.strip())


class FunderReport(Audited, Base):
    """One generated version of a funder's activity report for a year."""

    __tablename__ = "funder_report"
    # the bytes and the snapshot are in the row, not in the journal
    __audit_redact__ = ("pdf", "content")

    id: Mapped[int] = mapped_column(primary_key=True)
    funder_id: Mapped[int] = mapped_column(ForeignKey("funder.id", ondelete="RESTRICT"),
                                           index=True)
    year: Mapped[int]
    version: Mapped[int]
    as_of: Mapped[date]
    # what the builder was given (as-of date, synthesis, who and when): "vérifier" rebuilds
    # from it
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    content: Mapped[dict[str, Any]] = deferred(mapped_column(JSON, default=dict, nullable=False))
    pdf: Mapped[bytes] = deferred(mapped_column(LargeBinary, nullable=False))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int]
    pages: Mapped[int]
    software: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    generated_at: Mapped[datetime] = mapped_column(default=utcnow)
    generated_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("app_user.id", ondelete="SET NULL"))
    generated_by: Mapped[str] = mapped_column(String(120))
    published_at: Mapped[datetime | None]
    published_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("app_user.id", ondelete="SET NULL"))
    published_by: Mapped[str] = mapped_column(String(120), default="")
    # free-text passages naming a co-funder or an amount, and the team's confirmations
    findings: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    confirmations: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    last_check: Mapped[str] = mapped_column(Text, default="")
    # checked in every UPDATE: two publications at once cannot both succeed, even on SQLite
    # (where SELECT … FOR UPDATE locks nothing)
    row_version: Mapped[int] = mapped_column(default=1)

    funder: Mapped[Funder] = relationship()

    __mapper_args__ = {"version_id_col": row_version}
    __table_args__ = (UniqueConstraint("funder_id", "year", "version",
                                       name="funder_year_version"),)

    @property
    def published(self) -> bool:
        return self.published_at is not None

    @property
    def filename(self) -> str:
        return f"rapport-activite-{self.year}-v{self.version}.pdf"


class FunderReportDownload(Audited, Base):
    """One download of a report's PDF (the journal shows who read what, when)."""

    __tablename__ = "funder_report_download"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("funder_report.id", ondelete="CASCADE"),
                                           index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    user_email: Mapped[str] = mapped_column(String(254), default="")
    downloaded_at: Mapped[datetime] = mapped_column(default=utcnow)
