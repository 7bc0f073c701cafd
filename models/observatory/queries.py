"""The published observatory: catalogue tables for a period, protected by secrecy.

Every figure a reader gets (dashboard page, CSV/XLSX, CLI export) comes from
``publication``: it reads the stored aggregates of the current extracts, builds the
linked cells of a whole year (every period, every table, the three geography levels),
protects them with ``secrecy.protect`` once per indicator and returns the tables of the
asked period. Protecting the year at once is what keeps a month published on one page
from recomputing a cell hidden on another (months and their year, quarters, the
extract's own period, by-sex and by-age tables that share their totals).

A cell's identity is what it counts: a mission locale's cell is (extract, period,
breakdown); a département's or the region's is that plus the set of (ML, extract) it
adds up. Two tables showing the same figure thus share one cell, and so one status.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from itertools import combinations, product
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import clock
from models.errors import DomainError, PermissionDenied
from models.network.orm import MissionLocale, Region
from models.observatory import secrecy
from models.observatory.catalogue import (
    DIMENSIONS,
    GRANULARITIES,
    INDICATORS,
    LONG,
    TABLES,
    TOTAL,
    Period,
    TableSpec,
    cell_key,
    month_bounds,
    month_code,
    month_key,
    tables_for,
)
from models.observatory.orm import ObservatoryAggregate
from models.observatory.services import observatory_settings
from models.parcours.orm import ParcoursExtract
from models.policy import can

FAMILY_MEASURES = ("jeunes_accompagnes", "premiers_accueils", "jdi", "entrees_cej",
                   "entrees_pacea", "stock_cej", "stock_pacea", "situations_positives")


class NoData(DomainError):
    """No current extract covers the asked period (the message lists those that do)."""


# --- what is stored -----------------------------------------------------------------------
@dataclass(frozen=True)
class ExtractRef:
    id: int
    ml_id: int
    start: date
    end: date
    activated_at: datetime | None


@dataclass
class Stored:
    """The current extracts' aggregates, and the network they belong to.

    All of them are protected together: an extract may straddle two years, and its own
    period is then the sum of periods of both."""

    extracts: dict[int, ExtractRef]
    cells: dict[tuple[int, Period], dict[str, int]]  # (extract id, period) → cells
    mls: dict[int, tuple[str, str, str]]  # ml id → (code, name, département)
    region_code: str
    region_name: str

    def token(self, extract_id: int) -> str:
        """A stable name for an extract in cell keys (its ML and period, unique among
        current extracts): tie-breaks, hence masks, do not depend on database ids."""
        ref = self.extracts[extract_id]
        return f"{self.mls[ref.ml_id][0]}@{ref.start.isoformat()}_{ref.end.isoformat()}"

    def signature(self, members) -> str:
        return ",".join(sorted(self.token(e) for _, e in members))

    def tables(self, period: Period, indicator: str | None = None) -> list[TableSpec]:
        """The catalogue tables published for ``period``: flows (figures that add up over
        time) only for periods no other published period contains — otherwise the
        difference of two long periods (January–September minus the first half) would be
        an unprotected third one."""
        flow_ok = not any(p != period and p.start <= period.start and period.end <= p.end
                          for p in self.periods())
        return [t for t in tables_for(period.granularity, indicator)
                if flow_ok or INDICATORS[t.indicator].time_additive == "non"]

    def periods(self) -> list[Period]:
        return sorted({p for _, p in self.cells}, key=lambda p: (p.start, -p.end.toordinal()))

    def chosen(self, period: Period) -> dict[int, int]:
        """ML id → the extract that speaks for it over ``period`` (latest end, then latest
        import), among the current extracts covering it."""
        best: dict[int, ExtractRef] = {}
        for (extract_id, p) in self.cells:
            if p != period:
                continue
            ref = self.extracts[extract_id]
            old = best.get(ref.ml_id)
            if old is None or _rank(ref) > _rank(old):
                best[ref.ml_id] = ref
        return {ml: ref.id for ml, ref in best.items()}


def _rank(ref: ExtractRef) -> tuple:
    return (ref.end, ref.activated_at or datetime.min, ref.id)


def _version(session: Session) -> str:
    rows = session.execute(select(ParcoursExtract.id, ParcoursExtract.activated_at).where(
        ParcoursExtract.status == "current").order_by(ParcoursExtract.id)).all()
    return hashlib.sha256(repr(rows).encode()).hexdigest()[:16]


def available_periods(session: Session, actor: Any) -> list[Period]:
    """Every period some current extract has aggregates for, latest first."""
    _require(actor, "observatory.view")
    rows = session.execute(
        select(ObservatoryAggregate.period_start, ObservatoryAggregate.period_end,
               ObservatoryAggregate.granularity).distinct()
        .join(ParcoursExtract, ParcoursExtract.id == ObservatoryAggregate.extract_id)
        .where(ParcoursExtract.status == "current")).all()
    periods = {Period(s, e, g) for s, e, g in rows}
    return sorted(periods, key=lambda p: (-p.end.toordinal(), p.start))


def _load(session: Session) -> Stored:
    refs = {r.id: ExtractRef(r.id, r.mission_locale_id, r.period_start, r.period_end,
                             r.activated_at)
            for r in session.scalars(select(ParcoursExtract).where(
                ParcoursExtract.status == "current"))}
    cells: dict[tuple[int, Period], dict[str, int]] = {}
    rows = session.execute(select(
        ObservatoryAggregate.extract_id, ObservatoryAggregate.period_start,
        ObservatoryAggregate.period_end, ObservatoryAggregate.granularity,
        ObservatoryAggregate.cells).where(
        ObservatoryAggregate.extract_id.in_(list(refs) or [-1])))
    for extract_id, start, end, grain, data in rows:
        cells[(extract_id, Period(start, end, grain))] = data
    mls = {m.id: (m.code, m.name, m.departement)
           for m in session.scalars(select(MissionLocale))}
    region = session.scalar(select(Region).order_by(Region.id))
    return Stored({i: refs[i] for i in {e for e, _ in cells}}, cells, mls,
                  region.code if region else "region", region.name if region else "Région")


# --- the linked problem of one indicator over one year ------------------------------------
@dataclass
class Problem:
    keys: list[str] = field(default_factory=list)
    values: list[int] = field(default_factory=list)
    owners: list[int] = field(default_factory=list)
    lines: list[secrecy.Line] = field(default_factory=list)
    index: dict[str, int] = field(default_factory=dict)
    seen_lines: set[tuple[int, tuple[int, ...]]] = field(default_factory=set)

    def cell(self, key: str, value: int, owner: int = -1) -> int:
        found = self.index.get(key)
        if found is not None:
            return found
        self.index[key] = len(self.keys)
        self.keys.append(key)
        self.values.append(int(value))
        self.owners.append(owner)
        return len(self.keys) - 1

    def line(self, total: int, parts: list[int], exact: bool = True) -> None:
        signature = (total, tuple(sorted(parts)))
        if not parts or signature in self.seen_lines:
            return
        self.seen_lines.add(signature)
        self.lines.append(secrecy.Line(total, tuple(parts), exact))


def _modalities(dim: str, period: Period, residence: list[str]) -> tuple[str, ...]:
    if dim == "mois":
        return tuple(month_code(m) for m in period.months)
    if dim == "residence":
        return tuple(residence)
    return DIMENSIONS[dim].codes


DIM_ORDER = {d: i for i, d in enumerate(DIMENSIONS)}


def _canon(items) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(items, key=lambda kv: DIM_ORDER[kv[0]]))


def _dims_key(items: tuple[tuple[str, str], ...]) -> str:
    return "&".join(f"{d}={m}" for d, m in _canon(items))


class _Builder:
    """Registers the cells and lines of one measure over every period of a year."""

    def __init__(self, stored: Stored, measure: str):
        self.stored = stored
        self.measure = measure
        self.problem = Problem()
        self.forced: set[int] = set()  # cells never published (see ``geo_cells``)
        self.residence = sorted({
            k.split("residence=")[1] for c in stored.cells.values() for k in c
            if k.startswith("jeunes_accompagnes|residence=")},
            key=lambda c: (c == "non_renseigne", c))

    def pkey(self, period: Period) -> str:
        """The period part of a cell's identity: a stock counts who is in a programme on
        the period's last day, so the month, the quarter and the extract ending that day
        show one and the same figure (one cell, one status)."""
        if self.measure.startswith("stock_"):
            return f"{period.end.isoformat()}_{period.end.isoformat()}"
        return period.key

    def ml_cell(self, extract_id: int, period: Period, items) -> int:
        ref = self.stored.extracts[extract_id]
        value = self.stored.cells.get((extract_id, period), {}).get(
            cell_key(self.measure, items), 0)
        return self.problem.cell(f"E{self.stored.token(extract_id)}|{self.pkey(period)}|"
                                 f"{_dims_key(items)}", value,
                                 ref.ml_id)

    def geo_cells(self, period: Period, chosen: dict[int, int], items,
                  data_period: Period | None = None, *, ml_level: bool = True,
                  ) -> dict[tuple[str, str], int]:
        """ML, département and region cells of one breakdown cell, with their lines.

        ``data_period``: where the figures come from (a month of a by-month table).
        ``ml_level`` False (months, quarters): no mission-locale cell is published; a
        département of two missions locales is then withheld (each could subtract its own
        figure and read the other's), one of a single ML is that ML's own figure.
        """
        data_period = data_period or period
        out: dict[tuple[str, str], int] = {}
        by_dept: dict[str, list[tuple[int, int]]] = defaultdict(list)
        key = cell_key(self.measure, items)
        for ml_id, extract_id in sorted(chosen.items()):
            code, _, dept = self.stored.mls[ml_id]
            if ml_level:
                out[("ml", code)] = self.ml_cell(extract_id, data_period, items)
            by_dept[dept].append((ml_id, extract_id))
        dept_cells = []
        for dept, members in sorted(by_dept.items()):
            signature = self.stored.signature(members)
            cell_id = f"D{dept}|{self.pkey(data_period)}|{_dims_key(items)}|{signature}"
            if ml_level:
                parts = [out[("ml", self.stored.mls[m][0])] for m, _ in members]
                value = sum(self.problem.values[i] for i in parts)
                index = self.problem.cell(cell_id, value)
                self.problem.line(index, parts)
            else:
                value = sum(self.stored.cells.get((e, data_period), {}).get(key, 0)
                            for _, e in members)
                owner = members[0][0] if len(members) == 1 else -1
                index = self.problem.cell(cell_id, value, owner)
                if len(members) == 2 and value:
                    self.forced.add(index)
            out[("departement", dept)] = index
            dept_cells.append(index)
        if dept_cells:
            signature = self.stored.signature(sorted(chosen.items()))
            value = sum(self.problem.values[i] for i in dept_cells)
            index = self.problem.cell(f"R|{self.pkey(data_period)}|{_dims_key(items)}|{signature}",
                                      value)
            self.problem.line(index, dept_cells)
            out[("region", self.stored.region_code)] = index
        return out

    def table(self, spec: TableSpec, period: Period, chosen: dict[int, int],
              ) -> dict[tuple[str, str, tuple[tuple[str, str], ...]], int]:
        """Every cell of one catalogue table for ``period``: (level, geo, items) → index."""
        out: dict[tuple[str, str, tuple[tuple[str, str], ...]], int] = {}
        if spec.residence:
            totals = self.geo_cells(period, chosen, ())
            region = totals.get(("region", self.stored.region_code))
            if region is None:
                return out
            parts = []
            signature = self.stored.signature(sorted(chosen.items()))
            for code in self.residence:
                value = sum(self.stored.cells.get((e, period), {}).get(
                    cell_key(self.measure, (("residence", code),)), 0) for e in chosen.values())
                index = self.problem.cell(f"Res{code}|{period.key}|{signature}", value)
                parts.append(index)
                out[("departement", code, ())] = index
            self.problem.line(region, parts)
            out[("region", self.stored.region_code, ())] = region
            return out
        if spec.dims == ("mois",):
            return self._by_month(period, chosen)
        ml_level = period.granularity in LONG
        modalities = {d: _modalities(d, period, self.residence) for d in spec.dims}
        combos: list[tuple[tuple[str, str], ...]] = []
        for size in range(len(spec.dims) + 1):
            for subset in combinations(spec.dims, size):
                for values in product(*(modalities[d] for d in subset)):
                    combos.append(_canon(zip(subset, values, strict=True)))
        geo_of = {items: self.geo_cells(period, chosen, items, ml_level=ml_level)
                  for items in combos}
        for items, cells in geo_of.items():
            for (level, code), index in cells.items():
                out[(level, code, items)] = index
        # breakdown margins, at every geography level: a total is the sum of the modalities
        # of one breakdown, the other one fixed (or absent)
        for level_code in geo_of[()]:
            for dim in spec.dims:
                others = [d for d in spec.dims if d != dim]
                fixed_sets: list[tuple[tuple[str, str], ...]] = [()]
                if others:
                    fixed_sets += [((others[0], m),) for m in modalities[others[0]]]
                for fixed in fixed_sets:
                    parts = [geo_of[_canon((*fixed, (dim, m)))][level_code]
                             for m in modalities[dim]]
                    self.problem.line(geo_of[_canon(fixed)][level_code], parts)
        return out

    def _by_month(self, period: Period, chosen: dict[int, int]):
        out = {}
        totals = {lc: i for lc, i in self.geo_cells(period, chosen, ()).items()
                  if lc[0] != "ml"}
        month_cells = {}
        for key in period.months:
            start, end = month_bounds(key)
            month = Period(start, end, "mois")
            # an extract's months are periods of their own: same figures, same cells
            present = {ml: e for ml, e in chosen.items() if (e, month) in self.stored.cells}
            if len(present) != len(chosen):
                continue
            month_cells[month_code(key)] = self.geo_cells(period, present, (), month,
                                                          ml_level=False)
        additive = INDICATORS[self.measure].time_additive
        for level_code, total in totals.items():
            out[(*level_code, ())] = total
            parts = []
            for code, cells in month_cells.items():
                out[(*level_code, (("mois", code),))] = cells[level_code]
                parts.append(cells[level_code])
            if additive != "non" and len(parts) == len(period.months):
                self.problem.line(total, parts, exact=additive == "exact")
        return out


@dataclass
class Family:
    """One measure's protected cells over a year, and where each table reads them."""

    problem: Problem
    status: np.ndarray
    tables: dict[tuple[str, Period], dict[tuple[str, str, tuple], int]]
    rounds: int = 0


def _protect_family(stored: Stored, measure: str, k: int) -> Family:
    builder = _Builder(stored, measure)
    tables: dict[tuple[str, Period], dict] = {}
    for period in stored.periods():
        chosen = stored.chosen(period)
        if not chosen:
            continue
        for spec in stored.tables(period, measure):
            tables[(spec.name, period)] = builder.table(spec, period, chosen)
    additive = INDICATORS[measure].time_additive
    if additive != "non":
        _time_lines(builder.problem, exact=additive == "exact")
    problem = builder.problem
    if not problem.keys:
        return Family(problem, np.zeros(0, dtype=np.int8), tables)
    forced = np.zeros(len(problem.keys), dtype=bool)
    forced[list(builder.forced)] = True
    protection = secrecy.protect(np.array(problem.values, dtype=np.int64), problem.lines, k,
                                 keys=problem.keys, owners=np.array(problem.owners),
                                 forced=forced, interval_lp=False)
    return Family(problem, np.asarray(protection.status), tables, protection.rounds)


def _time_lines(problem: Problem, *, exact: bool) -> None:
    """A period is the sum of its months, quarters or halves, for every cell whose parts
    are published with the same breakdown and the same contributing extracts."""
    groups: dict[tuple[str, ...], dict[tuple[date, date], int]] = defaultdict(dict)
    for index, key in enumerate(problem.keys):
        head, period_key, *rest = key.split("|")
        # residence is region-only; age is taken at each period's end, so age bands of a
        # year are not the sums of its halves'
        if head.startswith("Res") or "tranche_age=" in (rest[0] if rest else ""):
            continue
        start, end = (date.fromisoformat(x) for x in period_key.split("_"))
        groups[(head, *rest)][(start, end)] = index
    for periods in groups.values():
        for (start, end), total in periods.items():
            first, last = month_key(start), month_key(end)
            if start != month_bounds(first)[0] or end != month_bounds(last)[1] \
                    or first == last:
                continue
            for length in (1, 3, 6):
                if first % length or (last + 1) % length or last - first + 1 == length:
                    continue
                bounds = [(month_bounds(m)[0], month_bounds(m + length - 1)[1])
                          for m in range(first, last + 1, length)]
                if all(b in periods for b in bounds):
                    problem.line(total, [periods[b] for b in bounds], exact)


# A small cache: protecting a year costs tens of milliseconds per indicator, and pages,
# exports and the audit ask for the same year many times between two imports.
_CACHE: OrderedDict[tuple, tuple[Stored, dict[str, Family]]] = OrderedDict()
_CACHE_LOCK = threading.Lock()
_CACHE_SIZE = 6


def _families(session: Session, k: int) -> tuple[Stored, dict[str, Family]]:
    key = (str(session.get_bind().url), _version(session), k)
    with _CACHE_LOCK:
        if key in _CACHE:
            _CACHE.move_to_end(key)
            return _CACHE[key]
    stored = _load(session)
    families = {m: _protect_family(stored, m, k) for m in FAMILY_MEASURES}
    with _CACHE_LOCK:
        _CACHE[key] = (stored, families)
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return stored, families


def clear_cache() -> None:
    with _CACHE_LOCK:
        _CACHE.clear()


# --- the publication ----------------------------------------------------------------------
@dataclass(frozen=True)
class PublishedCell:
    level: str  # "ml", "departement", "region"
    code: str
    label: str
    dims: tuple[tuple[str, str], ...]  # (dim, modality or "Total")
    value: int | Decimal | None  # None: hidden (« s »)
    status: int  # secrecy status (0 published, 1 primary, 2 secondary); own cells: 0
    own: bool = False

    @property
    def hidden(self) -> bool:
        return self.value is None


@dataclass
class PublishedTable:
    spec: TableSpec
    cells: list[PublishedCell]

    @property
    def hidden_count(self) -> int:
        return sum(1 for c in self.cells if c.hidden)


@dataclass(frozen=True)
class CoverageLine:
    ml_id: int
    code: str
    name: str
    departement: str
    extract_id: int | None
    extract_start: date | None
    extract_end: date | None
    activated_at: datetime | None


@dataclass
class Publication:
    period: Period
    k: int
    jdi_months: int
    region_code: str
    region_name: str
    viewer_ml: int | None  # the ml account's mission locale (its own view)
    coverage: list[CoverageLine]
    tables: dict[str, PublishedTable]

    @property
    def covered(self) -> int:
        return sum(1 for c in self.coverage if c.extract_id is not None)

    def table(self, name: str) -> PublishedTable:
        return self.tables[name]


def _require(actor: Any, action: str) -> None:
    if actor is not None and not can(actor, action):
        raise PermissionDenied()


def find_period(session: Session, actor: Any, start: date, end: date) -> Period:
    for period in available_periods(session, actor):
        if period.start == start and period.end == end:
            return period
    periods = available_periods(session, actor)
    listed = ", ".join(f"du {p.start.strftime('%d/%m/%Y')} au {p.end.strftime('%d/%m/%Y')}"
                       for p in periods[:12])
    raise NoData(
        f"Aucune extraction en vigueur ne couvre la période du {start.strftime('%d/%m/%Y')} "
        f"au {end.strftime('%d/%m/%Y')} : l'observatoire ne publie rien pour elle. "
        + (f"Périodes disponibles : {listed}." if periods else
           "Aucune extraction n'a encore été importée (page Qualité des données)."))


def viewer_mission_locale(session: Session, actor: Any, ml_code: str | None) -> int | None:
    """The mission locale whose own view is asked: an ml account's, or ``--ml CODE``."""
    if actor is not None and getattr(actor, "role", None) == "ml":
        return actor.mission_locale_id
    if ml_code is None:
        _require(actor, "observatory.region")
        return None
    ml = session.scalar(select(MissionLocale).where(MissionLocale.code == ml_code.strip()))
    if ml is None:
        raise DomainError(f"Mission locale « {ml_code} » inconnue : donnez son code (par "
                          "exemple 33005), tel qu'il figure sur la page Réseau.")
    return ml.id


def publication(session: Session, actor: Any, start: date, end: date, *,
                ml_code: str | None = None) -> Publication:
    """The protected catalogue of a period, as ``actor`` (or the ML ``ml_code``) sees it."""
    _require(actor, "observatory.view")
    viewer = viewer_mission_locale(session, actor, ml_code)
    period = find_period(session, actor, start, end)
    settings = observatory_settings(session)
    stored, families = _families(session, settings.threshold)
    chosen = stored.chosen(period)
    coverage = []
    for ml in session.scalars(select(MissionLocale).order_by(MissionLocale.code)):
        extract_id = chosen.get(ml.id)
        if extract_id is None and not getattr(ml, "active", True):
            continue
        ref = stored.extracts.get(extract_id) if extract_id else None
        coverage.append(CoverageLine(ml.id, ml.code, ml.name, ml.departement, extract_id,
                                     ref.start if ref else None, ref.end if ref else None,
                                     ref.activated_at if ref else None))
    viewer_code = stored.mls[viewer][0] if viewer in stored.mls else None
    viewer_dept = stored.mls[viewer][2] if viewer in stored.mls else None
    tables: dict[str, PublishedTable] = {}
    for spec in stored.tables(period):
        measure = "jeunes_accompagnes" if spec.indicator == "intensite" else spec.indicator
        family = families[measure]
        where = family.tables.get((spec.name if spec.indicator != "intensite"
                                   else spec.name.replace("intensite", "jeunes_accompagnes", 1),
                                   period))
        if where is None:
            tables[spec.name] = PublishedTable(spec, [])
            continue
        events = None
        if spec.indicator == "intensite":
            events = _events_values(stored, family, where)
        cells = []
        for (level, code, items), index in sorted(where.items(), key=_order(spec)):
            if viewer is not None:
                if level == "ml" and code != viewer_code:
                    continue
                if level == "departement" and not spec.residence and code != viewer_dept:
                    continue
            own = level == "ml" and code == viewer_code
            status = 0 if own else int(family.status[index])
            value: int | Decimal | None = family.problem.values[index]
            if spec.indicator == "intensite":
                denominator = int(value)
                value = (Decimal(events[index]) / denominator).quantize(
                    Decimal("0.1"), rounding=ROUND_HALF_UP) if denominator else Decimal("0.0")
            if status:
                value = None
            label = _geo_label(stored, level, code, spec)
            cells.append(PublishedCell(level, code, label, _with_totals(spec, items), value,
                                       status, own))
        tables[spec.name] = PublishedTable(spec, cells)
    return Publication(period, settings.threshold, settings.jdi_months, stored.region_code,
                       stored.region_name, viewer, coverage, tables)


def _events_values(stored: Stored, family: Family, where: dict) -> dict[int, int]:
    """intensité's numerators: the events behind each jeunes accompagnés cell."""
    by_period = {(e, p.start, p.end): cells for (e, p), cells in stored.cells.items()}
    tokens = {stored.token(e): e for e in stored.extracts}
    return {index: _events_of(by_period, tokens, family.problem.keys[index])
            for index in where.values()}


def _events_of(by_period: dict, tokens: dict[str, int], key: str) -> int:
    """Sum the stored events behind a cell key (see ``_Builder``'s key formats)."""
    head, period_key, dims, *rest = key.split("|")
    start, end = (date.fromisoformat(x) for x in period_key.split("_"))
    items = tuple(tuple(x.split("=", 1)) for x in dims.split("&") if x)
    measure_key = cell_key("evenements", items)
    if head.startswith("E"):
        extract_ids = [tokens[head[1:]]]
    else:
        extract_ids = [tokens[t] for t in rest[0].split(",") if t]
    return sum(by_period.get((e, start, end), {}).get(measure_key, 0) for e in extract_ids)


def _with_totals(spec: TableSpec, items: tuple[tuple[str, str], ...]) -> tuple:
    if spec.residence:
        return ()
    given = dict(items)
    return tuple((d, given.get(d, TOTAL)) for d in spec.dims)


def _order(spec: TableSpec):
    levels = {"ml": 0, "departement": 1, "region": 2}

    def key(entry):
        (level, code, items), _ = entry
        positions = []
        for dim in spec.dims:
            value = dict(items).get(dim)
            if value is None:
                positions.append(10_000)
            elif dim in ("mois", "residence"):
                positions.append(0)
            else:
                positions.append(DIMENSIONS[dim].codes.index(value))
        return (levels[level], code, positions, items)
    return key


def _geo_label(stored: Stored, level: str, code: str, spec: TableSpec) -> str:
    if level == "ml":
        for c, name, _ in stored.mls.values():
            if c == code:
                return name
    if level == "region":
        return stored.region_name
    return DEPARTEMENT_NAMES.get(code, code) if code != "non_renseigne" else "Non renseigné"


def dimension_label(dim: str, modality: str) -> str:
    if modality == TOTAL:
        return "Total"
    if dim == "mois":
        from models.observatory.catalogue import month_label  # noqa: PLC0415
        return month_label(modality)
    if dim == "residence":
        return DEPARTEMENT_NAMES.get(modality, modality)
    return DIMENSIONS[dim].label_of(modality)


def today() -> date:
    return clock.today()


def table_specs(granularity: str) -> list[TableSpec]:
    return tables_for(granularity)


def granularity_label(granularity: str) -> str:
    return GRANULARITIES[granularity]


ALL_TABLES = TABLES

# Names of the départements (INSEE), for labels; overseas included.
DEPARTEMENT_NAMES: dict[str, str] = {
    "01": "Ain", "02": "Aisne", "03": "Allier", "04": "Alpes-de-Haute-Provence",
    "05": "Hautes-Alpes", "06": "Alpes-Maritimes", "07": "Ardèche", "08": "Ardennes",
    "09": "Ariège", "10": "Aube", "11": "Aude", "12": "Aveyron", "13": "Bouches-du-Rhône",
    "14": "Calvados", "15": "Cantal", "16": "Charente", "17": "Charente-Maritime",
    "18": "Cher", "19": "Corrèze", "2A": "Corse-du-Sud", "2B": "Haute-Corse",
    "21": "Côte-d'Or", "22": "Côtes-d'Armor", "23": "Creuse", "24": "Dordogne",
    "25": "Doubs", "26": "Drôme", "27": "Eure", "28": "Eure-et-Loir", "29": "Finistère",
    "30": "Gard", "31": "Haute-Garonne", "32": "Gers", "33": "Gironde", "34": "Hérault",
    "35": "Ille-et-Vilaine", "36": "Indre", "37": "Indre-et-Loire", "38": "Isère",
    "39": "Jura", "40": "Landes", "41": "Loir-et-Cher", "42": "Loire", "43": "Haute-Loire",
    "44": "Loire-Atlantique", "45": "Loiret", "46": "Lot", "47": "Lot-et-Garonne",
    "48": "Lozère", "49": "Maine-et-Loire", "50": "Manche", "51": "Marne",
    "52": "Haute-Marne", "53": "Mayenne", "54": "Meurthe-et-Moselle", "55": "Meuse",
    "56": "Morbihan", "57": "Moselle", "58": "Nièvre", "59": "Nord", "60": "Oise",
    "61": "Orne", "62": "Pas-de-Calais", "63": "Puy-de-Dôme", "64": "Pyrénées-Atlantiques",
    "65": "Hautes-Pyrénées", "66": "Pyrénées-Orientales", "67": "Bas-Rhin", "68": "Haut-Rhin",
    "69": "Rhône", "70": "Haute-Saône", "71": "Saône-et-Loire", "72": "Sarthe",
    "73": "Savoie", "74": "Haute-Savoie", "75": "Paris", "76": "Seine-Maritime",
    "77": "Seine-et-Marne", "78": "Yvelines", "79": "Deux-Sèvres", "80": "Somme",
    "81": "Tarn", "82": "Tarn-et-Garonne", "83": "Var", "84": "Vaucluse", "85": "Vendée",
    "86": "Vienne", "87": "Haute-Vienne", "88": "Vosges", "89": "Yonne",
    "90": "Territoire de Belfort", "91": "Essonne", "92": "Hauts-de-Seine",
    "93": "Seine-Saint-Denis", "94": "Val-de-Marne", "95": "Val-d'Oise",
    "971": "Guadeloupe", "972": "Martinique", "973": "Guyane", "974": "La Réunion",
    "976": "Mayotte",
}


# --- the admin's audit --------------------------------------------------------------------
def audit(session: Session, actor: Any, start: date, end: date, table_name: str,
          ) -> list[tuple]:
    """Hidden cells of one table with their status, true value and the interval a reader
    could infer from everything published in the year (linear programming).

    Rows: (level, code, label, dims text, "primaire"/"secondaire", value, lo, hi).
    """
    _require(actor, "observatory.audit")
    period = find_period(session, actor, start, end)
    settings = observatory_settings(session)
    stored, families = _families(session, settings.threshold)
    spec = next(t for t in TABLES if t.name == table_name)
    measure = "jeunes_accompagnes" if spec.indicator == "intensite" else spec.indicator
    name = spec.name.replace("intensite", "jeunes_accompagnes", 1) \
        if spec.indicator == "intensite" else spec.name
    family = families[measure]
    where = family.tables.get((name, period), {})
    values = np.array(family.problem.values, dtype=np.int64)
    hidden = family.status > 0
    lo, hi = secrecy.intervals(values, family.problem.lines, hidden)
    rows = []
    for (level, code, items), index in sorted(where.items(), key=_order(spec)):
        if not hidden[index]:
            continue
        dims = ", ".join(f"{DIMENSIONS[d].label} : {dimension_label(d, m)}"
                         for d, m in _with_totals(spec, items)) or "—"
        rows.append((level, code, _geo_label(stored, level, code, spec), dims,
                     "primaire" if family.status[index] == 1 else "secondaire",
                     int(values[index]), float(lo[index]), float(hi[index])))
    return rows


def audit_summary(session: Session, actor: Any) -> list[dict[str, Any]]:
    """Per indicator: cells, primary and secondary cells, and the exact-disclosure check
    (how many hidden cells a reader could recompute: must be zero)."""
    _require(actor, "observatory.audit")
    settings = observatory_settings(session)
    _, families = _families(session, settings.threshold)
    out = []
    for measure, family in families.items():
        values = np.array(family.problem.values, dtype=np.int64)
        hidden = family.status > 0
        found = secrecy.recoverable(values, family.problem.lines, hidden) \
            if len(values) else np.zeros(0, dtype=bool)
        out.append({"indicator": INDICATORS[measure].label, "cells": len(values),
                    "primary": int((family.status == 1).sum()),
                    "secondary": int((family.status == 2).sum()),
                    "recoverable": int(np.asarray(found).sum()),
                    "lines": len(family.problem.lines), "rounds": family.rounds})
    return out
