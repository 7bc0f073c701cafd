"""Writes of the data-quality area: queue an import, mark findings, set thresholds.

Validate everything, then flush (never commit); ``actor`` is the acting user
(``None`` for trusted entry points: seed, CLI). The import itself runs in
``pipeline.run_import`` (a background job), which manages its own transactions.
"""

from __future__ import annotations

import logging
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models.errors import Errors, PermissionDenied, ValidationFailed
from models.network.orm import Region
from models.parcours.orm import (
    MARK_KINDS,
    ParcoursExtract,
    ParcoursImport,
    QualityFinding,
    QualityMark,
    QualitySettings,
)
from models.parcours.rules import period_problems
from models.parcours.scoring import refresh_quality
from models.policy import can
from models.programme.guards import check_version, flush

log = logging.getLogger(__name__)
MIN_COMMENT = 3


def _require(actor: Any, rule: str, message: str) -> None:
    if actor is not None and not can(actor, rule):
        raise PermissionDenied(message)


def create_import(session: Session, *, actor: Any, source_name: str, stored_path: str | None,
                  period_start: date | None, period_end: date | None,
                  today: date) -> ParcoursImport:
    """Record a queued import (the job runs it); refuses a period that makes no sense."""
    _require(actor, "quality.import", "Seule l'équipe ARML importe les extractions.")
    errors = Errors()
    for name, message in period_problems(period_start, period_end, today).items():
        errors.add(name, message)
    if not (source_name or "").strip():
        errors.add("source", "Choisissez le fichier ZIP de l'extraction.")
    errors.raise_if_any()
    record = ParcoursImport(
        uploaded_by_id=getattr(actor, "id", None), source_name=source_name.strip()[:255],
        stored_path=stored_path, period_start=period_start, period_end=period_end,
        status="en_attente", stage="En attente du traitement", progress=0)
    session.add(record)
    flush(session)
    log.info("parcours import %s queued by %s", record.id, getattr(actor, "email", "système"))
    return record


def _current_extracts_of(session: Session, mission_locale_id: int) -> list[int]:
    return list(session.scalars(select(ParcoursExtract.id).where(
        ParcoursExtract.mission_locale_id == mission_locale_id,
        ParcoursExtract.status == "current")))


def _existing_mark(session: Session, mission_locale_id: int,
                   finding: QualityFinding) -> QualityMark | None:
    return session.scalar(select(QualityMark).where(
        QualityMark.mission_locale_id == mission_locale_id,
        QualityMark.rule_code == finding.rule_code,
        QualityMark.record_key == finding.record_key))


def set_mark(session: Session, *, actor: Any, finding_id: int, kind: str,
             comment: str) -> QualityMark:
    """Acknowledge a finding or accept it as an exception; carries over to later imports."""
    _require(actor, "quality.mark", "Seule l'équipe ARML qualifie les anomalies.")
    errors = Errors()
    finding = session.get(QualityFinding, finding_id)
    if finding is None:
        raise ValidationFailed({"__all__": ["Cette anomalie n'existe plus (une nouvelle "
                                            "extraction l'a peut-être remplacée)."]})
    if kind not in MARK_KINDS:
        errors.add("kind", "Choisissez « acquitté » ou « exception acceptée ».")
    comment = (comment or "").strip()
    if len(comment) < MIN_COMMENT:
        errors.add("comment", "Expliquez en quelques mots pourquoi (commentaire obligatoire).")
    elif len(comment) > 2000:
        errors.add("comment", "Le commentaire est limité à 2 000 caractères.")
    errors.raise_if_any()
    extract = session.get(ParcoursExtract, finding.extract_id)
    assert extract is not None
    mark = _existing_mark(session, extract.mission_locale_id, finding)
    if mark is None:
        mark = QualityMark(mission_locale_id=extract.mission_locale_id,
                           rule_code=finding.rule_code, record_key=finding.record_key,
                           kind=kind, comment=comment)
        try:
            with session.begin_nested():  # someone may mark the same record at this instant
                session.add(mark)
        except IntegrityError:
            mark = _existing_mark(session, extract.mission_locale_id, finding)
            assert mark is not None
    mark.kind, mark.comment = kind, comment
    mark.marked_by_id = getattr(actor, "id", None)
    flush(session)
    refresh_quality(session, _current_extracts_of(session, extract.mission_locale_id))
    return mark


def remove_mark(session: Session, *, actor: Any, mark_id: int) -> None:
    _require(actor, "quality.mark", "Seule l'équipe ARML qualifie les anomalies.")
    mark = session.get(QualityMark, mark_id)
    if mark is None:
        return
    ml_id = mark.mission_locale_id
    session.delete(mark)
    flush(session)
    refresh_quality(session, _current_extracts_of(session, ml_id))


def quality_settings(session: Session) -> QualitySettings:
    """The region's thresholds (defaults until an admin changes them; not persisted here)."""
    region = session.scalar(select(Region).order_by(Region.id))
    settings = None
    if region is not None:
        settings = session.scalar(
            select(QualitySettings).where(QualitySettings.region_id == region.id))
    if settings is None:
        settings = QualitySettings(region_id=region.id if region else 0,
                                   green_min=Decimal("95.00"), amber_min=Decimal("85.00"),
                                   stale_days=120, version_id=0)
    return settings


def update_settings(session: Session, *, actor: Any, green_min: Decimal | None,
                    amber_min: Decimal | None, stale_days: int | None,
                    expected_version: int | None = None) -> QualitySettings:
    _require(actor, "quality.settings", "Seul·e un·e administrateur·rice règle les seuils.")
    errors = Errors()
    for name, value in (("green_min", green_min), ("amber_min", amber_min)):
        if value is None or not Decimal(0) <= value <= Decimal(100):
            errors.add(name, "Le seuil est un pourcentage entre 0 et 100.")
    if green_min is not None and amber_min is not None and amber_min > green_min:
        errors.add("amber_min", "Le seuil orange doit être inférieur ou égal au seuil vert.")
    if stale_days is None or not 1 <= stale_days <= 3650:
        errors.add("stale_days", "Le délai doit être compris entre 1 et 3 650 jours.")
    errors.raise_if_any()
    region = session.scalar(select(Region).order_by(Region.id))
    if region is None:
        raise ValidationFailed({"__all__": ["Aucune région n'est configurée."]})
    settings = session.scalar(
        select(QualitySettings).where(QualitySettings.region_id == region.id))
    if settings is None:
        settings = QualitySettings(region_id=region.id, version_id=1)
        session.add(settings)
    else:
        check_version(settings, expected_version)
        settings.version_id += 1
    settings.green_min, settings.amber_min, settings.stale_days = green_min, amber_min, stale_days
    flush(session)
    return settings
