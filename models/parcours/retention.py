"""The legal retention of youth-level Parcours data (décret n° 2015-59 as amended).

The rule, for one young person of one mission locale (identified as the data model does:
the ML's ``id_jeune``; all their rows in all the ML's stored extracts go together):

- their rows are removed from the first day of their birth month in the year they turn
  27 (25th birthday + 2 years; the birth day is not stored, so the purge is never late and
  at most a month early);
- no birth date: from 11 years after their first reception (the worst case of a young
  person first received at 16); no birth date and no first reception: nothing tells when
  the limit falls, so the rows are **kept** and counted as "sans date" in the report (the
  charter already flags both missing dates, Q01 and Q08, for the ML to correct);
- unless a programme (``pq_dispositif``) is still open (no ``date_sortie`` or one on or
  after today) *and* followed regularly: an event dated in the last 5 months (on or
  after today minus 5 calendar months, not in the future);
- CEJ data are kept 10 years after the contract ends: a person with a CEJ whose
  ``date_sortie`` + 10 years is still ahead, or a CEJ with no ``date_sortie`` (the
  contract has not ended, so its ten years have not started), keeps all their rows.

Removed: the person's rows in every ``pq_*`` table, their quality findings and the marks
on those findings. Kept unchanged: the extracts' counters and scores, the per-rule counts
(``quality_rule_count``) and the observatory's stored figures; they describe each
extract as it was received, so trends and published figures do not move.

Rows of *staged* extracts (an import still running) are left to that import, which
applies the same rule itself (``purge_at_import``) before its extracts become current.

The purge works set-based (one DELETE per table and mission locale for a batch of
people), one transaction per batch: a run interrupted halfway leaves nobody
half-deleted, and the next run finishes the work (it decides again from what is stored).
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta

import pandas as pd
from sqlalchemy import Engine, and_, delete, func, insert, or_, select, tuple_
from sqlalchemy.engine import Connection

from models.audit.orm import AuditEvent
from models.base import utcnow
from models.parcours import normalise as nz
from models.parcours.orm import (
    ParcoursExtract,
    PqActivite,
    PqDispositif,
    PqEvenement,
    PqJeune,
    PqSituation,
    QualityFinding,
    QualityMark,
)

log = logging.getLogger(__name__)

AGE_LIMIT_YEARS = 27  # 25th birthday + 2 years
NO_BIRTH_YEARS = 11  # after the first reception: 16-year-old worst case, 27 − 16
CEJ_YEARS = 10  # after the contract's end
FOLLOW_UP_MONTHS = 5  # "regular follow-up": an event within this many months
IMPORT_BATCH = 500  # people per DELETE at import (bound parameters stay few)
CEJ = "CEJ"  # how the extract codes the contrat d'engagement jeune (dispositif column)

# Deletion order: dependent rows first, the person's row last.
ROW_TABLES = (PqEvenement, PqSituation, PqDispositif, PqActivite, QualityFinding, PqJeune)
TABLE_NAMES = tuple(t.__tablename__ for t in ROW_TABLES) + (QualityMark.__tablename__,)
TABLE_LABELS = {"pq_jeune": "jeunes", "pq_evenement": "événements",
                "pq_situation": "situations", "pq_dispositif": "dispositifs",
                "pq_activite": "activités", "quality_finding": "anomalies",
                "quality_mark": "marques"}
MONTHS_FR = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
             "septembre", "octobre", "novembre", "décembre")

# Decisions
PURGE = "purge"
YOUNG = "dans_les_delais"  # limit not reached
FOLLOWED = "dispositif_suivi"  # past the limit, open programme with regular follow-up
CEJ_KEPT = "cej"  # past the limit, CEJ ended less than 10 years ago (or open)
UNDATED = "sans_date"  # no birth date, no first reception


# --- the rule, as pure functions ----------------------------------------------------------
def add_years(day: date, years: int) -> date:
    """``day`` plus ``years``; 29 February becomes 28 February (never late)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def removal_date(birth_year: int | None, birth_month: int | None,
                 premier_accueil: date | None) -> date | None:
    """The first day a young person's rows may no longer be kept (None: nothing known)."""
    if birth_year is not None and birth_month is not None:
        return date(birth_year + AGE_LIMIT_YEARS, birth_month, 1)
    if premier_accueil is not None:
        return add_years(premier_accueil, NO_BIRTH_YEARS)
    return None


def follow_up_since(today: date) -> date:
    """The earliest event date that still counts as regular follow-up on ``today``."""
    return nz.minus_months(today, FOLLOW_UP_MONTHS)


def is_open(date_sortie: date | None, today: date) -> bool:
    return date_sortie is None or date_sortie >= today


def cej_kept(dispositif: str | None, date_sortie: date | None, today: date) -> bool:
    """A CEJ still inside its ten years after the end (an open CEJ has not ended)."""
    if (dispositif or "").strip().upper() != CEJ:
        return False
    return date_sortie is None or today < add_years(date_sortie, CEJ_YEARS)


def is_recent_event(day: date | None, today: date) -> bool:
    return day is not None and follow_up_since(today) <= day <= today


def decide(birth_year: int | None, birth_month: int | None, premier_accueil: date | None,
           programmes: list[tuple[str | None, date | None]], events: list[date | None],
           today: date) -> str:
    """What happens to one young person on ``today``: one of the decision constants.

    ``programmes`` are (dispositif, date_sortie) pairs, ``events`` the event dates.
    """
    limit = removal_date(birth_year, birth_month, premier_accueil)
    if limit is None:
        return UNDATED
    if today < limit:
        return YOUNG
    return keep_reason(programmes, any(is_recent_event(d, today) for d in events), today)


def keep_reason(programmes: list[tuple[str | None, date | None]], recent_event: bool,
                today: date) -> str:
    """For a person past the limit: why they are kept, or ``PURGE``."""
    if any(cej_kept(kind, end, today) for kind, end in programmes):
        return CEJ_KEPT
    if recent_event and any(is_open(end, today) for _kind, end in programmes):
        return FOLLOWED
    return PURGE


def removal_dates(frame: pd.DataFrame) -> pd.Series:
    """Vectorised ``removal_date`` over columns birth_year, birth_month, date_premier_accueil.

    Returns datetime64 (NaT when nothing is known).
    """
    by = pd.to_numeric(frame["birth_year"], errors="coerce")
    bm = pd.to_numeric(frame["birth_month"], errors="coerce")
    known = by.notna() & bm.notna()
    by_birth = pd.to_datetime(pd.DataFrame({
        "year": by.where(known, 2000).astype(int) + AGE_LIMIT_YEARS,
        "month": bm.where(known, 1).astype(int), "day": 1}), errors="coerce").where(known)
    accueil = pd.to_datetime(frame["date_premier_accueil"], errors="coerce")
    by_accueil = accueil + pd.DateOffset(years=NO_BIRTH_YEARS)  # 29/02 → 28/02
    return by_birth.where(known, by_accueil)


def cut_off(today: date) -> dict[str, str]:
    """The limits in force on ``today``, in French, for the report and the journal."""
    month = MONTHS_FR[today.month - 1]
    return {
        "age": f"nés en {month} {today.year - AGE_LIMIT_YEARS} ou avant (27 ans dans le mois)",
        "sans_date_de_naissance": "premier accueil le "
                                  f"{add_years_back(today, NO_BIRTH_YEARS):%d/%m/%Y} ou avant",
        "cej": f"CEJ terminé le {add_years_back(today, CEJ_YEARS):%d/%m/%Y} ou avant "
               "(conservé 10 ans après la fin du contrat)",
        "suivi_regulier": "dispositif ouvert et un événement depuis le "
                          f"{follow_up_since(today):%d/%m/%Y}",
    }


def add_years_back(today: date, years: int) -> date:
    """The latest date ``d`` with ``add_years(d, years) <= today``."""
    guess = add_years(today, -years)
    while add_years(guess + timedelta(1), years) <= today:
        guess += timedelta(1)
    return guess


# --- the report ---------------------------------------------------------------------------
@dataclass
class PurgeReport:
    today: date
    simulation: bool
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(TABLE_NAMES, 0))
    people: int = 0  # young people removed (or that would be, in a simulation)
    kept_followed: int = 0  # past the limit, open programme with recent follow-up
    kept_cej: int = 0  # past the limit, CEJ within its ten years
    undated: int = 0  # no birth date, no first reception: kept
    batches: int = 0
    duration_ms: int = 0
    interrupted: bool = False

    @property
    def cutoff(self) -> dict[str, str]:
        return cut_off(self.today)

    def summary(self) -> str:
        verb = "seraient supprimés" if self.simulation else "supprimés"
        rows = ", ".join(f"{self.counts.get(name, 0)} {TABLE_LABELS[name]}"
                         for name in TABLE_NAMES)
        prefix = "Simulation de la purge" if self.simulation else "Purge"
        return (f"{prefix} du {self.today:%d/%m/%Y} : {self.people} jeune(s) {verb} "
                f"({rows}) ; conservés au-delà de la limite : {self.kept_followed} en "
                f"dispositif suivi, {self.kept_cej} en CEJ ; {self.undated} sans date.")

    def journal(self) -> dict:
        """What the journal keeps: limits and counts, never an identifier."""
        return {"date": self.today.isoformat(), "limites": self.cutoff,
                "jeunes_supprimes": self.people, "lignes_supprimees": dict(self.counts),
                "conserves_dispositif_suivi": self.kept_followed,
                "conserves_cej": self.kept_cej, "sans_date": self.undated,
                "lots": self.batches, "duree_ms": self.duration_ms,
                "interrompue": self.interrupted}


# --- deciding over stored rows ------------------------------------------------------------
@dataclass
class _Plan:
    """Who goes: (mission_locale_id, id_jeune) with the extracts of that ML in scope."""

    purge: list[tuple[int, str]]
    ml_extracts: dict[int, list[int]]
    decisions: Counter


def _in_scope(column, extract_ids: list[int] | None):
    if extract_ids is None:
        return column.in_(select(ParcoursExtract.id).where(ParcoursExtract.status != "staged"))
    return column.in_(extract_ids)


def plan(conn: Connection, today: date, extract_ids: list[int] | None = None) -> _Plan:
    """Decide for every young person stored in scope (all but staged extracts by default)."""
    extracts = conn.execute(select(ParcoursExtract.id, ParcoursExtract.mission_locale_id).where(
        ParcoursExtract.status != "staged" if extract_ids is None
        else ParcoursExtract.id.in_(extract_ids))).all()
    ml_of = {e: ml for e, ml in extracts}
    ml_extracts: dict[int, list[int]] = {}
    for e, ml in extracts:
        ml_extracts.setdefault(ml, []).append(e)
    rows = conn.execute(select(PqJeune.extract_id, PqJeune.id_jeune, PqJeune.birth_year,
                               PqJeune.birth_month, PqJeune.date_premier_accueil)
                        .where(_in_scope(PqJeune.extract_id, extract_ids))).all()
    if not rows:
        return _Plan([], ml_extracts, Counter())
    people = pd.DataFrame(rows, columns=["extract_id", "id_jeune", "birth_year",
                                         "birth_month", "date_premier_accueil"])
    people["ml"] = people["extract_id"].map(ml_of)
    people["limit"] = removal_dates(people)
    has_birth = people["birth_year"].notna() & people["birth_month"].notna()
    # A person's limit: from their birth date if any extract gives one (the earliest),
    # else from their first reception (the earliest).
    people["by_birth"] = people["limit"].where(has_birth)
    people["by_accueil"] = people["limit"].where(~has_birth)
    grouped = people.groupby(["ml", "id_jeune"], sort=True).agg(
        by_birth=("by_birth", "min"), by_accueil=("by_accueil", "min"))
    limit = grouped["by_birth"].where(grouped["by_birth"].notna(), grouped["by_accueil"])
    decisions: Counter = Counter()
    decisions[UNDATED] = int(limit.isna().sum())
    past = limit.notna() & (limit <= pd.Timestamp(today))
    decisions[YOUNG] = int((limit.notna() & ~past).sum())
    candidates = list(grouped.index[past.to_numpy()])
    if not candidates:
        return _Plan([], ml_extracts, decisions)
    wanted = set(candidates)
    programmes: dict[tuple[int, str], list[tuple[str | None, date | None]]] = {}
    for e, jeune, kind, end in conn.execute(
            select(PqDispositif.extract_id, PqDispositif.id_jeune, PqDispositif.dispositif,
                   PqDispositif.date_sortie)
            .where(_in_scope(PqDispositif.extract_id, extract_ids),
                   or_(PqDispositif.date_sortie.is_(None), PqDispositif.date_sortie >= today,
                       func.upper(PqDispositif.dispositif) == CEJ))):
        key = (ml_of[e], jeune)
        if key in wanted:
            programmes.setdefault(key, []).append((kind, end))
    followed: set[tuple[int, str]] = set()
    open_only = {k for k, progs in programmes.items()
                 if any(is_open(end, today) for _kind, end in progs)}
    if open_only:
        recent = conn.execute(
            select(PqEvenement.extract_id, PqEvenement.id_jeune).distinct()
            .where(_in_scope(PqEvenement.extract_id, extract_ids),
                   PqEvenement.date_evenement >= follow_up_since(today),
                   PqEvenement.date_evenement <= today))
        followed = {(ml_of[e], j) for e, j in recent} & open_only
    purge = []
    for key in candidates:
        reason = keep_reason(programmes.get(key, []), key in followed, today)
        decisions[reason] += 1
        if reason == PURGE:
            purge.append((int(key[0]), str(key[1])))
    return _Plan(purge, ml_extracts, decisions)


# --- removing -----------------------------------------------------------------------------
def _remove_batch(conn: Connection, batch: list[tuple[int, str]],
                  ml_extracts: dict[int, list[int]], *, simulation: bool) -> dict[str, int]:
    """Remove (or count) the rows of a batch of people; returns rows per table."""
    counts = dict.fromkeys(TABLE_NAMES, 0)
    by_ml: dict[int, list[str]] = {}
    for ml, jeune in batch:
        by_ml.setdefault(ml, []).append(jeune)
    for ml, ids in by_ml.items():
        extract_ids = ml_extracts[ml]

        def where(table, ids=ids, extract_ids=extract_ids):
            return and_(table.extract_id.in_(extract_ids), table.id_jeune.in_(ids))

        marks = conn.execute(select(QualityFinding.rule_code, QualityFinding.record_key)
                             .distinct().where(where(QualityFinding))).all()
        if simulation:
            for table in ROW_TABLES:
                counts[table.__tablename__] += conn.scalar(
                    select(func.count()).select_from(table).where(where(table)))
        else:
            for table in ROW_TABLES:
                counts[table.__tablename__] += conn.execute(
                    delete(table).where(where(table))).rowcount
        if marks:
            match = and_(QualityMark.mission_locale_id == ml,
                         tuple_(QualityMark.rule_code, QualityMark.record_key).in_(
                             [tuple(m) for m in marks]))
            counts["quality_mark"] += (
                conn.scalar(select(func.count()).select_from(QualityMark).where(match))
                if simulation else conn.execute(delete(QualityMark).where(match)).rowcount)
    return counts


def _journal(engine: Engine, report: PurgeReport, via: str) -> None:
    with engine.begin() as conn:
        conn.execute(insert(AuditEvent).values(
            occurred_at=utcnow(), actor_id=None, actor_email=None, via=via,
            entity="purge_parcours", entity_id=report.today.isoformat(), action="delete",
            changes=report.journal()))


def purge_youth_data(engine: Engine, *, today: date, simulation: bool = False,
                     batch_size: int = 500, via: str = "job") -> PurgeReport:
    """Remove the rows of young people past their retention limit on ``today``.

    One transaction per batch of ``batch_size`` people; one journal entry per run (not
    for a simulation, which counts and changes nothing). ``via`` names the entry point
    in the journal (``job`` for the scheduled run, ``cli`` for the command).
    """
    started = time.perf_counter()
    report = PurgeReport(today=today, simulation=simulation)
    with engine.connect() as conn:
        decided = plan(conn, today)
    report.kept_followed = decided.decisions[FOLLOWED]
    report.kept_cej = decided.decisions[CEJ_KEPT]
    report.undated = decided.decisions[UNDATED]
    size = max(1, batch_size)
    try:
        for start in range(0, len(decided.purge), size):
            batch = decided.purge[start:start + size]
            if simulation:
                with engine.connect() as conn:
                    done = _remove_batch(conn, batch, decided.ml_extracts, simulation=True)
            else:
                with engine.begin() as conn:
                    done = _remove_batch(conn, batch, decided.ml_extracts, simulation=False)
            for name, n in done.items():
                report.counts[name] += n
            report.people += len(batch)
            report.batches += 1
    except BaseException:
        report.interrupted = True
        report.duration_ms = int((time.perf_counter() - started) * 1000)
        if not simulation and report.batches:
            try:
                _journal(engine, report, via)
            except Exception:  # the database itself may be what failed
                log.exception("retention purge: journal entry not written")
        raise
    report.duration_ms = int((time.perf_counter() - started) * 1000)
    if not simulation:
        _journal(engine, report, via)
    log.info("%s", report.summary())
    return report


def purge_at_import(conn: Connection, extract_ids: list[int], today: date) -> int:
    """The same rule on an import's own extracts, inside its switch-over transaction.

    Evidence (open programme, recent event, CEJ) comes from the new extracts only. The
    extracts' counters, rule counts and observatory figures, computed before, keep
    describing the file as received. Returns the number of young people not kept.
    """
    decided = plan(conn, today, extract_ids)
    for start in range(0, len(decided.purge), IMPORT_BATCH):
        _remove_batch(conn, decided.purge[start:start + IMPORT_BATCH], decided.ml_extracts,
                      simulation=False)
    return len(decided.purge)


__all__ = ["PurgeReport", "cut_off", "decide", "purge_at_import", "purge_youth_data",
           "removal_date"]
