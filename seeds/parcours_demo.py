"""Demo Parcours extracts: two successive imports for every active mission locale.

The region sends its extract twice in 2026: the first half-year (imported in July),
then January to September (imported in October). Each mission locale's young people
and its charter breaches come from ``models.parcours.generator`` with a defect rate of
its own, chosen deterministically from its code, so that quality improves for some
missions locales, worsens for others and stays put for the rest. Three missions locales
never sent their September extract: they re-sent their June one, corrected, so their
latest extract is stale (its period ended more than 120 days before the demo's today).
The team then qualifies two findings of the demo ml account's mission locale: an
exception accepted with a comment, and an acknowledged error (its score rises above
its raw score, visibly).

Everything goes through the domain: ``services.create_import`` records each import,
``pipeline.run_import`` runs it inline (no job runner), ``services.set_mark`` marks.
The pipeline commits in steps on its own connections, so the session is committed
before each import (on SQLite an open write would lock the pipeline out; on PostgreSQL
it would not see the missions locales). Idempotent: nothing happens once an import
exists. Per-ML extracts are generated into a temporary folder and merged into one
region-wide extract per import, as a region's warehouse export would come.
"""

from __future__ import annotations

import random
import tempfile
import zlib
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from models.accounts.orm import User
from models.accounts.roles import Role
from models.network.orm import MissionLocale
from models.parcours.generator import COLUMNS, generate_extract
from models.parcours.orm import ParcoursExtract, ParcoursImport, QualityFinding, QualityMark
from models.parcours.pipeline import run_import
from models.parcours.services import create_import, set_mark
from seeds.training_data import TODAY as TODAY_ISO

TODAY = date.fromisoformat(TODAY_ISO)
JUNE = (date(2026, 1, 1), date(2026, 6, 30))
SEPTEMBER = (date(2026, 1, 1), date(2026, 9, 30))
#: (period, when it was imported, which missions locales: "all", "on_time" or "late")
IMPORTS = [(JUNE, datetime(2026, 7, 9, 8, 40, tzinfo=UTC), "all"),
           (SEPTEMBER, datetime(2026, 10, 8, 7, 55, tzinfo=UTC), "on_time"),
           (JUNE, datetime(2026, 10, 20, 13, 10, tzinfo=UTC), "late")]
#: Missions locales that re-sent their June extract instead of a September one.
LATE_CODES = ("17004", "24004", "86003")
#: Fixed trajectories: the demo ml accounts' missions locales tell a clear story.
FIXED_TRENDS = {"33005": "mieux", "64001": "moins_bien", "17004": "mieux"}
LARGE_CODES = {"33001", "33004", "64001", "64002", "86001", "87001", "17001"}
#: Young people in June: the Libournais (the demo ml account's) gets past 200 in September,
#: where the generator injects at least one breach of every rule (a Q03 to mark).
FIXED_SIZES = {"33005": 170}
EXCEPTION_COMMENT = "Jeune de 26 ans accueilli sur dérogation DREETS."
ACK_COMMENT = ("Signalé à la mission locale le 12 octobre 2026 : correction prévue dans "
               "la prochaine extraction.")
ACK_RULES = ("Q07", "Q05", "Q08", "Q04", "Q01", "Q02")


@dataclass(frozen=True)
class Profile:
    """One mission locale's extracts: young people per period and defect rates."""

    code: str
    departement: str
    trend: str  # "mieux", "moins_bien" or "stable"
    jeunes_june: int
    jeunes_september: int
    rate_first: float
    rate_second: float


def _profile(code: str, departement: str) -> Profile:
    rng = random.Random(f"parcours-{code}")  # noqa: S311 - deterministic demo data
    # the charter is taking hold: more missions locales improve than slip back
    trend = FIXED_TRENDS.get(code) or rng.choices(["mieux", "moins_bien", "stable"],
                                                  weights=[50, 25, 25])[0]
    good, fair, poor = (rng.uniform(0.001, 0.004), rng.uniform(0.005, 0.009),
                        rng.uniform(0.013, 0.024))
    if trend == "mieux":
        first, second = rng.choice([fair, poor, poor]), good
    elif trend == "moins_bien":
        first, second = good, rng.choice([fair, fair, poor])
    else:
        first = rng.choice([good, fair])
        second = first * rng.uniform(0.85, 1.15)
    size = rng.randint(60, 130) * (2 if code in LARGE_CODES else 1)
    size = FIXED_SIZES.get(code, size)
    return Profile(code, departement, trend, size, int(size * 1.3), round(first, 4),
                   round(second, 4))


def demo_profiles(session: Session) -> list[Profile]:
    """Every active mission locale's profile, by code (inactive ones send nothing)."""
    rows = session.execute(select(MissionLocale.code, MissionLocale.departement)
                           .where(MissionLocale.active.is_(True))
                           .order_by(MissionLocale.code)).all()
    return [_profile(code, dep) for code, dep in rows]


def _merge(parts: list[Path], out: Path) -> Path:
    """One extract from several: the header once, then every part's rows."""
    out.mkdir(parents=True)
    for name in COLUMNS:
        with open(out / f"{name}.csv", "wb") as target:
            for n, part in enumerate(parts):
                with open(part / f"{name}.csv", "rb") as source:
                    header = source.readline()
                    if n == 0:
                        target.write(header)
                    target.write(source.read())
    return out


def _extract(folder: Path, profiles: list[Profile], step: int,
             period: tuple[date, date]) -> Path:
    parts = []
    for p in profiles:
        part = folder / f"{step}-{p.code}"
        generate_extract(
            part, jeunes=p.jeunes_june if period == JUNE else p.jeunes_september,
            seed=zlib.crc32(f"{p.code}-{step}".encode()), defect_rate=p.rate_first if step == 0 else
            p.rate_second, missions_locales=[(p.code, p.departement)], period=period,
            today=TODAY)
        parts.append(part)
    return _merge(parts, folder / f"extrait-{step}")


def _backdate(session: Session, import_id: int, when: datetime, seconds: int) -> None:
    """The imports happened in July and October, not while the seed runs."""
    done = when + timedelta(seconds=seconds)
    session.execute(update(ParcoursImport).where(ParcoursImport.id == import_id).values(
        created_at=when - timedelta(minutes=2), updated_at=done, started_at=when,
        finished_at=done))
    session.execute(update(ParcoursExtract).where(ParcoursExtract.import_id == import_id)
                    .values(created_at=when, activated_at=done))


def _import(session: Session, folder: Path, period: tuple[date, date], when: datetime,
            importer: User | None) -> int:
    record = create_import(session, actor=None, source_name=f"extrait_{period[0]:%Y%m%d}_"
                           f"{period[1]:%Y%m%d}.zip", stored_path=None,
                           period_start=period[0], period_end=period[1], today=TODAY)
    record.uploaded_by_id = importer.id if importer else None
    import_id = record.id
    session.commit()  # the pipeline works on its own connections (see the docstring)
    outcome = run_import(session.get_bind(), import_id, folder, today=TODAY)
    _backdate(session, import_id, when, max(1, outcome.duration_ms // 1000))
    session.commit()
    return import_id


def _current(session: Session, code: str, period: tuple[date, date]) -> ParcoursExtract | None:
    return session.scalar(select(ParcoursExtract).join(MissionLocale).where(
        MissionLocale.code == code, ParcoursExtract.status == "current",
        ParcoursExtract.period_end == period[1]))


def _lone_error(session: Session, extract: ParcoursExtract) -> QualityFinding | None:
    """An error finding whose young person has no other error: marking it lifts the score."""
    errors = (select(QualityFinding.id_jeune)
              .where(QualityFinding.extract_id == extract.id,
                     QualityFinding.severity == "erreur", QualityFinding.in_jeunes.is_(True))
              .group_by(QualityFinding.id_jeune).having(func.count() == 1))
    found = {f.rule_code: f for f in session.scalars(
        select(QualityFinding).where(QualityFinding.extract_id == extract.id,
                                     QualityFinding.id_jeune.in_(errors),
                                     QualityFinding.severity == "erreur")
        .order_by(QualityFinding.id))}
    return next((found[rule] for rule in ACK_RULES if rule in found), None)


def _marks(session: Session, profiles: list[Profile], marker: User | None,
           featured: str | None) -> int:
    """An exception (a 26-year-old on a DREETS derogation) and an acknowledged error, on the
    September extract of ``featured`` (the demo ml account's mission locale), else on the
    first mission locale that has such findings."""
    codes = [featured] + [p.code for p in profiles if p.code != featured]
    marks = 0
    for kind, comment in (("exception", EXCEPTION_COMMENT), ("acquitte", ACK_COMMENT)):
        for code in codes:
            extract = _current(session, code, SEPTEMBER)
            if extract is None:
                continue
            if kind == "exception":
                finding = session.scalars(select(QualityFinding).where(
                    QualityFinding.extract_id == extract.id, QualityFinding.rule_code == "Q03")
                    .order_by(QualityFinding.id)).first()
            else:
                finding = _lone_error(session, extract)
            if finding is not None:
                set_mark(session, actor=marker, finding_id=finding.id, kind=kind,
                         comment=comment)
                marks += 1
                break
    session.flush()
    return marks


def _summary(session: Session) -> str:
    imports = session.scalar(select(func.count()).select_from(ParcoursImport)) or 0
    extracts = session.scalar(select(func.count()).select_from(ParcoursExtract)) or 0
    marks = session.scalar(select(func.count()).select_from(QualityMark)) or 0
    return (f"{imports} imports Parcours ({extracts} extractions, {marks} anomalies "
            "qualifiées)")


def build_parcours(session: Session, featured_ml: str | None = None) -> str:
    """Import the demo extracts unless an import already exists (commits: see above).

    ``featured_ml``: code of the mission locale whose findings the team marks.
    """
    if session.scalars(select(ParcoursImport.id)).first() is not None:
        return _summary(session)
    profiles = demo_profiles(session)
    if not profiles:
        return _summary(session)
    team = {role: session.scalar(select(User).where(User.role == role).order_by(User.id))
            for role in (Role.ADMIN, Role.ANIMATEUR)}
    on_time = [p for p in profiles if p.code not in LATE_CODES]
    late = [p for p in profiles if p.code in LATE_CODES]
    groups = {"all": profiles, "on_time": on_time, "late": late}
    with tempfile.TemporaryDirectory(prefix="parcours-demo-") as tmp:
        for step, (period, when, group) in enumerate(IMPORTS):
            if not groups[group]:
                continue
            folder = _extract(Path(tmp), groups[group], step, period)
            _import(session, folder, period, when, team[Role.ADMIN])
    _marks(session, profiles, team[Role.ANIMATEUR], featured_ml)
    return _summary(session)
