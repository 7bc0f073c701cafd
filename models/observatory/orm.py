"""Tables of the regional observatory: stored aggregates and the secrecy settings.

``observatory_aggregate`` holds one extract's counts for one of its periods (a JSON
map from cell key to count, mission-locale level only: départements and the region
are sums read on the fly). It goes with its extract: replaced at the switch-over,
kept when the rows of the extract are purged.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Audited, Base, TimestampMixin
from models.observatory.catalogue import DEFAULT_JDI_MONTHS

DEFAULT_THRESHOLD = 11


class ObservatoryAggregate(Base):
    __tablename__ = "observatory_aggregate"

    id: Mapped[int] = mapped_column(primary_key=True)
    extract_id: Mapped[int] = mapped_column(
        ForeignKey("parcours_extract.id", ondelete="CASCADE"), index=True)
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    granularity: Mapped[str] = mapped_column(String(12))
    cells: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)

    __table_args__ = (
        UniqueConstraint("extract_id", "period_start", "period_end",
                         name="uq_observatory_aggregate_extract_period"),
    )


class ObservatorySettings(Audited, TimestampMixin, Base):
    """The secrecy threshold k and the JDI window, one row per region."""

    __tablename__ = "observatory_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id", ondelete="CASCADE"),
                                           unique=True)
    threshold: Mapped[int] = mapped_column(Integer, default=DEFAULT_THRESHOLD)
    jdi_months: Mapped[int] = mapped_column(Integer, default=DEFAULT_JDI_MONTHS)
    version_id: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version_id, "version_id_generator": False}
    __table_args__ = (
        CheckConstraint("threshold BETWEEN 2 AND 1000", name="threshold_range"),
        CheckConstraint("jdi_months BETWEEN 1 AND 24", name="jdi_range"),
    )
