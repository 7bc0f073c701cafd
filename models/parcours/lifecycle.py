"""The life of stored extracts after the import: dropping rows, sweeping dead imports.

Raw rows of replaced or discarded extracts are deleted (their aggregates stay, for
trends); an import that died midway (crash, restart) is found by its silence — a
running import touches its row at every progress step — and put back in the queue.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Engine, delete, select, update

from models import clock
from models.observatory.orm import ObservatoryAggregate
from models.parcours.orm import (
    ParcoursExtract,
    ParcoursImport,
    PqActivite,
    PqDispositif,
    PqEvenement,
    PqJeune,
    PqSituation,
    QualityFinding,
)

# A running import touches its row at every chunk (a few seconds apart at most).
STALE_AFTER = timedelta(minutes=5)


def now_utc() -> datetime:
    return clock.now()


def set_status(engine: Engine, import_id: int, **values) -> None:
    with engine.begin() as conn:
        conn.execute(update(ParcoursImport).where(ParcoursImport.id == import_id).values(**values))


def drop_rows(engine: Engine, extract_ids: list[int]) -> None:
    """Raw rows and findings of replaced or discarded extracts (aggregates stay)."""
    if not extract_ids:
        return
    with engine.begin() as conn:
        for table in (QualityFinding, PqEvenement, PqSituation, PqDispositif, PqActivite,
                      PqJeune):
            conn.execute(delete(table).where(table.extract_id.in_(extract_ids)))


def discard_staged(engine: Engine, import_id: int) -> None:
    with engine.begin() as conn:
        ids = conn.scalars(select(ParcoursExtract.id).where(
            ParcoursExtract.import_id == import_id,
            ParcoursExtract.status == "staged")).all()
    drop_rows(engine, list(ids))
    if ids:
        with engine.begin() as conn:
            conn.execute(delete(ObservatoryAggregate).where(
                ObservatoryAggregate.extract_id.in_(ids)))
            conn.execute(delete(ParcoursExtract).where(ParcoursExtract.id.in_(ids)))


def cleanup_stale(engine: Engine, *, quiet_for: timedelta = STALE_AFTER) -> list[int]:
    """After a crash: drop rows of replaced extracts and of staged extracts whose import died.

    An import is dead when it has been "en cours" or "en attente" without any sign of
    life (its row is touched at every progress step) for ``quiet_for``: one running in
    another process right now is left alone. Dead "en cours" imports go back to "en
    attente". Returns the ids of the imports to queue again.
    """
    limit = now_utc() - quiet_for
    with engine.begin() as conn:
        replaced = conn.scalars(select(ParcoursExtract.id).where(
            ParcoursExtract.status == "replaced",
            select(PqJeune.id).where(PqJeune.extract_id == ParcoursExtract.id).exists())).all()
        interrupted = conn.scalars(select(ParcoursImport.id).where(
            ParcoursImport.status.in_(["en_attente", "en_cours"]),
            ParcoursImport.updated_at < limit)).all()
    drop_rows(engine, list(replaced))
    for import_id in interrupted:
        discard_staged(engine, import_id)
        set_status(engine, import_id, status="en_attente", stage="Remis en file d'attente",
                    progress=0)
    return list(interrupted)
