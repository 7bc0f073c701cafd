"""Region and missions locales."""

from __future__ import annotations

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Audited, Base, TimestampMixin


class Region(Audited, TimestampMixin, Base):
    __tablename__ = "region"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(10), unique=True)  # INSEE region code, e.g. "75"
    name: Mapped[str] = mapped_column(String(120))
    arml_name: Mapped[str] = mapped_column(String(200))

    missions_locales: Mapped[list[MissionLocale]] = relationship(
        back_populates="region", order_by="MissionLocale.name"
    )

    def __str__(self) -> str:
        return self.name


class MissionLocale(Audited, TimestampMixin, Base):
    __tablename__ = "mission_locale"

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id", ondelete="RESTRICT"), index=True)
    code: Mapped[str] = mapped_column(String(10), unique=True)  # structure code in i-milo
    name: Mapped[str] = mapped_column(String(200))
    departement: Mapped[str] = mapped_column(String(3), index=True)  # "33", "2A", "971"
    commune: Mapped[str] = mapped_column(String(120))  # head office
    director_name: Mapped[str | None] = mapped_column(String(120))
    director_email: Mapped[str | None] = mapped_column(String(254))
    active: Mapped[bool] = mapped_column(default=True)

    region: Mapped[Region] = relationship(back_populates="missions_locales")

    def __str__(self) -> str:
        return self.name
