"""Writes of the observatory: the secrecy threshold and the JDI window (admin only)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.errors import Errors, PermissionDenied, ValidationFailed
from models.network.orm import Region
from models.observatory.catalogue import DEFAULT_JDI_MONTHS
from models.observatory.orm import DEFAULT_THRESHOLD, ObservatorySettings
from models.policy import can
from models.programme.guards import check_version, flush


def observatory_settings(session: Session) -> ObservatorySettings:
    """The region's settings (defaults, not persisted, until an admin changes them)."""
    region = session.scalar(select(Region).order_by(Region.id))
    settings = None
    if region is not None:
        settings = session.scalar(
            select(ObservatorySettings).where(ObservatorySettings.region_id == region.id))
    if settings is None:
        settings = ObservatorySettings(region_id=region.id if region else 0,
                                       threshold=DEFAULT_THRESHOLD,
                                       jdi_months=DEFAULT_JDI_MONTHS, version_id=0)
    return settings


def parse_jdi_months(value: Any) -> int:
    text = str(value).strip() if value is not None else ""
    try:
        months = int(text)
    except ValueError:
        months = 0
    if not 1 <= months <= 24 or text != str(months):
        raise ValidationFailed({"jdi_months": [
            "La fenêtre JDI est un nombre entier de mois entre 1 et 24 (5 par défaut)."]})
    return months


def update_settings(session: Session, *, actor: Any, threshold: Any, jdi_months: Any,
                    expected_version: int | None = None) -> tuple[ObservatorySettings, bool]:
    """Validate both values, then save; returns (settings, whether the JDI window changed:
    the stored aggregates must then be recomputed)."""
    from models.observatory.secrecy import check_threshold  # noqa: PLC0415

    if actor is not None and not can(actor, "observatory.settings"):
        raise PermissionDenied("Seul·e un·e administrateur·rice règle le secret statistique.")
    errors = Errors()
    k = months = None
    try:
        k = check_threshold(threshold)
    except ValidationFailed as exc:
        for messages in exc.errors.values():
            for message in messages:
                errors.add("threshold", message)
    try:
        months = parse_jdi_months(jdi_months)
    except ValidationFailed as exc:
        for message in exc.errors["jdi_months"]:
            errors.add("jdi_months", message)
    errors.raise_if_any()
    region = session.scalar(select(Region).order_by(Region.id))
    if region is None:
        raise ValidationFailed({"__all__": ["Aucune région n'est configurée."]})
    settings = session.scalar(
        select(ObservatorySettings).where(ObservatorySettings.region_id == region.id))
    if settings is None:
        settings = ObservatorySettings(region_id=region.id, version_id=1,
                                       jdi_months=DEFAULT_JDI_MONTHS)
        session.add(settings)
    else:
        check_version(settings, expected_version)
        settings.version_id += 1
    changed = settings.jdi_months != months
    settings.threshold, settings.jdi_months = k, months
    flush(session)
    return settings, changed
