"""Tables of the Parcours extracts and of the data-quality charter.

An *import* is one upload (one ZIP or folder, possibly several missions locales);
an *extract* is what that upload holds for one mission locale and one period.
Rows of the four files hang off their extract, so replacing an ML's period is
"flip the current extract, drop the old one's rows" in one short transaction.

Row tables (``pq_*``, ``quality_finding``) reference their extract without a declared
foreign key: a per-row integrity check made loading 1.5 million events several times
slower on PostgreSQL. Only the pipeline writes them, for an extract it created in the
same run, and it deletes them with the extract (``lifecycle.drop_rows``).

Row tables carry no identity: the pseudonym is a keyed hash (see ``pseudonym``),
birth dates are reduced to year and month. They are written in bulk (executemany
or COPY), never through the ORM unit of work, and are not audited row by row:
the import record is the audit trail.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.accounts.orm import User
from models.base import Audited, Base, TimestampMixin, utcnow
from models.network.orm import MissionLocale

# SQLite only auto-increments an INTEGER PRIMARY KEY (the rowid).
ROW_ID = BigInteger().with_variant(Integer(), "sqlite")

IMPORT_STATUSES = ("en_attente", "en_cours", "termine", "refuse", "echec")
EXTRACT_STATUSES = ("staged", "current", "replaced", "failed")
SEVERITIES = ("erreur", "avertissement")
DIMENSIONS = ("completude", "validite", "unicite", "coherence", "actualite")
MARK_KINDS = ("acquitte", "exception")


class ParcoursImport(TimestampMixin, Base):
    """One upload: who sent it, when, the period, checksums, counts, outcome."""

    __tablename__ = "parcours_import"

    id: Mapped[int] = mapped_column(primary_key=True)
    uploaded_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("app_user.id", ondelete="SET NULL"), index=True)
    source_name: Mapped[str] = mapped_column(String(255))  # file or folder name as given
    stored_path: Mapped[str | None] = mapped_column(String(1000))  # upload kept for the job
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(12), default="en_attente", index=True)
    stage: Mapped[str] = mapped_column(String(120), default="")  # what the job is doing
    progress: Mapped[int] = mapped_column(SmallInteger, default=0)  # 0–100
    message: Mapped[str] = mapped_column(Text, default="")  # French refusal / failure text
    notices: Mapped[list[str]] = mapped_column(JSON, default=list)  # ignored columns, conversions
    checksums: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)  # file → sha256
    counts: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)  # file → rows
    charter_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("charter_version.id", ondelete="RESTRICT"))
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    duration_ms: Mapped[int | None] = mapped_column(Integer)
    job_id: Mapped[str | None] = mapped_column(String(64))

    uploaded_by: Mapped[User | None] = relationship()
    charter_version: Mapped[CharterVersion | None] = relationship()
    extracts: Mapped[list[ParcoursExtract]] = relationship(
        back_populates="parcours_import", order_by="ParcoursExtract.id")

    __table_args__ = (
        CheckConstraint("period_end >= period_start", name="period_order"),
        CheckConstraint(f"status IN {IMPORT_STATUSES}", name="status_known"),
        CheckConstraint("progress BETWEEN 0 AND 100", name="progress_range"),
    )

    @property
    def finished(self) -> bool:
        return self.status in ("termine", "refuse", "echec")


class ParcoursExtract(Base):
    """What one import holds for one mission locale; its stored quality aggregates."""

    __tablename__ = "parcours_extract"

    id: Mapped[int] = mapped_column(primary_key=True)
    import_id: Mapped[int] = mapped_column(
        ForeignKey("parcours_import.id", ondelete="CASCADE"), index=True)
    mission_locale_id: Mapped[int] = mapped_column(
        ForeignKey("mission_locale.id", ondelete="RESTRICT"), index=True)
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10), default="staged", index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    activated_at: Mapped[datetime | None]
    charter_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("charter_version.id", ondelete="RESTRICT"))
    jeunes: Mapped[int] = mapped_column(Integer, default=0)
    evenements: Mapped[int] = mapped_column(Integer, default=0)
    situations: Mapped[int] = mapped_column(Integer, default=0)
    dispositifs: Mapped[int] = mapped_column(Integer, default=0)
    # Young people with at least one unmarked "erreur" finding; score = 1 − that / jeunes.
    jeunes_in_error: Mapped[int] = mapped_column(Integer, default=0)
    jeunes_in_error_raw: Mapped[int] = mapped_column(Integer, default=0)  # marks ignored
    score: Mapped[Decimal | None] = mapped_column(Numeric(7, 6))
    score_raw: Mapped[Decimal | None] = mapped_column(Numeric(7, 6))

    parcours_import: Mapped[ParcoursImport] = relationship(back_populates="extracts")
    mission_locale: Mapped[MissionLocale] = relationship()

    __table_args__ = (
        CheckConstraint(f"status IN {EXTRACT_STATUSES}", name="status_known"),
        Index("ix_parcours_extract_ml_period", "mission_locale_id", "period_start", "period_end"),
        # at most one current extract per mission locale and period (backstop of the
        # switch-over's lock)
        Index("uq_parcours_extract_current", "mission_locale_id", "period_start", "period_end",
              unique=True, sqlite_where=text("status = 'current'"),
              postgresql_where=text("status = 'current'")),
    )


class PqJeune(Base):
    """A young person of an extract, pseudonymised (no name, no birth day)."""

    __tablename__ = "pq_jeune"

    id: Mapped[int] = mapped_column(ROW_ID, primary_key=True)
    extract_id: Mapped[int] = mapped_column(Integer)  # parcours_extract.id, see module doc
    id_jeune: Mapped[str] = mapped_column(String(40))
    pseudo: Mapped[str] = mapped_column(String(32))  # HMAC-SHA256, 128 bits in hex
    sexe: Mapped[str | None] = mapped_column(String(1))
    code_postal: Mapped[str | None] = mapped_column(String(5))
    code_commune: Mapped[str | None] = mapped_column(String(5))
    departement: Mapped[str | None] = mapped_column(String(3))
    qpv: Mapped[bool | None] = mapped_column(Boolean)
    zrr: Mapped[bool | None] = mapped_column(Boolean)
    niveau_formation: Mapped[str | None] = mapped_column(String(5))
    birth_year: Mapped[int | None] = mapped_column(SmallInteger)
    birth_month: Mapped[int | None] = mapped_column(SmallInteger)
    age_premier_accueil: Mapped[int | None] = mapped_column(SmallInteger)
    date_premier_accueil: Mapped[date | None] = mapped_column(Date)
    logement: Mapped[str | None] = mapped_column(String(10))
    permis_b: Mapped[bool | None] = mapped_column(Boolean)
    vehicule: Mapped[bool | None] = mapped_column(Boolean)
    rqth: Mapped[bool | None] = mapped_column(Boolean)

    __table_args__ = (
        Index("ix_pq_jeune_extract_id_jeune", "extract_id", "id_jeune"),
        Index("ix_pq_jeune_pseudo", "pseudo"),
    )


class PqEvenement(Base):
    __tablename__ = "pq_evenement"

    id: Mapped[int] = mapped_column(ROW_ID, primary_key=True)
    extract_id: Mapped[int] = mapped_column(Integer)  # parcours_extract.id, see module doc
    id_jeune: Mapped[str] = mapped_column(String(40))
    date_evenement: Mapped[date | None] = mapped_column(Date)
    type: Mapped[str | None] = mapped_column(String(12))
    thematique: Mapped[str | None] = mapped_column(String(12))

    # Only the extract is indexed: per-person questions go to ``PqActivite``, so loading
    # 1.5 million events does not maintain a second B-tree in random order.
    __table_args__ = (Index("ix_pq_evenement_extract_id", "extract_id"),)


class PqActivite(Base):
    """Per young person of an extract: their events inside the period (first, last, count).

    Built while the events stream in; it answers "has this person been seen lately"
    (charter Q15, the observatory's accompanied / JDI counts) without scanning events.
    """

    __tablename__ = "pq_activite"

    id: Mapped[int] = mapped_column(ROW_ID, primary_key=True)
    extract_id: Mapped[int] = mapped_column(Integer)  # parcours_extract.id, see module doc
    id_jeune: Mapped[str] = mapped_column(String(40))
    first_event: Mapped[date] = mapped_column(Date)
    last_event: Mapped[date] = mapped_column(Date)
    events: Mapped[int] = mapped_column(Integer)

    __table_args__ = (Index("ix_pq_activite_extract_id_jeune", "extract_id", "id_jeune"),)


class PqSituation(Base):
    __tablename__ = "pq_situation"

    id: Mapped[int] = mapped_column(ROW_ID, primary_key=True)
    extract_id: Mapped[int] = mapped_column(Integer)  # parcours_extract.id, see module doc
    id_jeune: Mapped[str] = mapped_column(String(40))
    type_situation: Mapped[str | None] = mapped_column(String(20))
    date_debut: Mapped[date | None] = mapped_column(Date)
    date_fin: Mapped[date | None] = mapped_column(Date)

    __table_args__ = (Index("ix_pq_situation_extract_id_jeune", "extract_id", "id_jeune"),)


class PqDispositif(Base):
    __tablename__ = "pq_dispositif"

    id: Mapped[int] = mapped_column(ROW_ID, primary_key=True)
    extract_id: Mapped[int] = mapped_column(Integer)  # parcours_extract.id, see module doc
    id_jeune: Mapped[str] = mapped_column(String(40))
    dispositif: Mapped[str | None] = mapped_column(String(20))
    date_entree: Mapped[date | None] = mapped_column(Date)
    date_sortie: Mapped[date | None] = mapped_column(Date)
    motif_sortie: Mapped[str | None] = mapped_column(String(100))

    __table_args__ = (Index("ix_pq_dispositif_extract_id_jeune", "extract_id", "id_jeune"),)


class CharterVersion(TimestampMixin, Base):
    """A version of the regional data-entry charter; imports record the one they used."""

    __tablename__ = "charter_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int] = mapped_column(Integer, unique=True)
    label: Mapped[str] = mapped_column(String(200))
    effective_from: Mapped[date] = mapped_column(Date)
    notes: Mapped[str] = mapped_column(Text, default="")

    rules: Mapped[list[CharterRule]] = relationship(
        back_populates="version", order_by="CharterRule.code")


class CharterRule(Base):
    """One rule of a charter version: a kind the engine knows plus its parameters."""

    __tablename__ = "charter_rule"

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(
        ForeignKey("charter_version.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(10))
    kind: Mapped[str] = mapped_column(String(40))
    severity: Mapped[str] = mapped_column(String(14))
    dimension: Mapped[str] = mapped_column(String(12))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    params: Mapped[dict] = mapped_column(JSON, default=dict)

    version: Mapped[CharterVersion] = relationship(back_populates="rules")

    __table_args__ = (
        UniqueConstraint("version_id", "code", name="uq_charter_rule_version_code"),
        CheckConstraint(f"severity IN {SEVERITIES}", name="severity_known"),
        CheckConstraint(f"dimension IN {DIMENSIONS}", name="dimension_known"),
    )


class QualityFinding(Base):
    """One breach of the charter in one extract (kept while the extract is current)."""

    __tablename__ = "quality_finding"

    id: Mapped[int] = mapped_column(ROW_ID, primary_key=True)
    extract_id: Mapped[int] = mapped_column(Integer)  # parcours_extract.id, see module doc
    rule_code: Mapped[str] = mapped_column(String(10))
    severity: Mapped[str] = mapped_column(String(14))
    record_key: Mapped[str] = mapped_column(String(120))
    id_jeune: Mapped[str] = mapped_column(String(40))
    pseudo: Mapped[str | None] = mapped_column(String(32))
    field: Mapped[str] = mapped_column(String(40))
    value: Mapped[str] = mapped_column(String(200), default="")
    in_jeunes: Mapped[bool] = mapped_column(Boolean, default=True)  # False for Q16 orphans

    __table_args__ = (
        Index("ix_quality_finding_extract_rule", "extract_id", "rule_code"),
    )


class QualityRuleCount(Base):
    """Stored aggregate per extract × rule, so tables and trends never scan findings."""

    __tablename__ = "quality_rule_count"

    id: Mapped[int] = mapped_column(primary_key=True)
    extract_id: Mapped[int] = mapped_column(
        ForeignKey("parcours_extract.id", ondelete="CASCADE"), index=True)
    rule_code: Mapped[str] = mapped_column(String(10))
    severity: Mapped[str] = mapped_column(String(14))
    findings: Mapped[int] = mapped_column(Integer, default=0)
    marked: Mapped[int] = mapped_column(Integer, default=0)  # acknowledged or exceptions
    jeunes: Mapped[int] = mapped_column(Integer, default=0)  # distinct young people affected

    __table_args__ = (
        UniqueConstraint("extract_id", "rule_code", name="uq_quality_rule_count_extract_rule"),
    )


class QualityMark(Audited, TimestampMixin, Base):
    """The team's verdict on a finding, kept by record so it carries over to next imports."""

    __tablename__ = "quality_mark"

    id: Mapped[int] = mapped_column(primary_key=True)
    mission_locale_id: Mapped[int] = mapped_column(
        ForeignKey("mission_locale.id", ondelete="CASCADE"))
    rule_code: Mapped[str] = mapped_column(String(10))
    record_key: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(10))
    comment: Mapped[str] = mapped_column(Text)
    marked_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("app_user.id", ondelete="SET NULL"))

    marked_by: Mapped[User | None] = relationship()

    __table_args__ = (
        UniqueConstraint("mission_locale_id", "rule_code", "record_key",
                         name="uq_quality_mark_record"),
        CheckConstraint(f"kind IN {MARK_KINDS}", name="kind_known"),
    )


class QualitySettings(Audited, TimestampMixin, Base):
    """Red / amber / green thresholds and the age beyond which an extract is stale."""

    __tablename__ = "quality_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id", ondelete="CASCADE"),
                                           unique=True)
    green_min: Mapped[Decimal] = mapped_column(Numeric(5, 2), default=Decimal("95.00"))
    amber_min: Mapped[Decimal] = mapped_column(Numeric(5, 2), default=Decimal("85.00"))
    stale_days: Mapped[int] = mapped_column(Integer, default=120)
    version_id: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version_id, "version_id_generator": False}
    __table_args__ = (
        CheckConstraint("amber_min >= 0 AND green_min <= 100 AND amber_min <= green_min",
                        name="threshold_order"),
        CheckConstraint("stale_days BETWEEN 1 AND 3650", name="stale_range"),
    )
