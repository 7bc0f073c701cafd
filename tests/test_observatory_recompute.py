"""The published observatory against an independent recomputation from the extract files.

A small synthetic region is generated, imported and exported with the CLI for several
periods of the extract (its own period, a half, quarters, months). Its missions locales
cover the three cases the secrecy of months and quarters distinguishes: a département of
two missions locales (always withheld below long periods: each one could subtract its own
figure), one of a single mission locale (its figure is that mission locale's) and one of
three. One more mission locale has no extract.

Every figure of every CSV that is not « s » must equal what plain pandas computes from the
generated CSV files with the definitions of the specification — never with the
application's code. The files hold exactly the specified tables and rows (months and
quarters by département and region only; flows and JDI over long periods only). The
secrecy is checked from the outside: no count from 1 to k − 1, margins that add up, one
figure for a cell shown in several tables or periods, and a linear-algebra attack on all
the files of an import together (margins, geography, periods that add up, the same
figure in two periods) — by any reader, and by each mission locale that also knows its own
figures: no hidden cell, no unpublished small count, no neighbour's monthly figure may be
the only solution of what is published.

The region is imported once per seed and backend (module fixture): the tests only read it.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from scipy.linalg import null_space
from scipy.sparse.csgraph import connected_components

from models.network.orm import MissionLocale, Region
from models.observatory.catalogue import GRANULARITIES, tables_for
from models.parcours.generator import generate_extract
from tests.conftest import _truncate, make_app
from tests.parcours_helpers import TODAY, do_import
from webapp.extensions import db

# --- the region -----------------------------------------------------------------------------
REGION_CODE = "75"
#: missions locales with an extract: two in the Gironde (a département of two missions
#: locales: never published for a month or a quarter), one alone in the
#: Pyrénées-Atlantiques (its département's figure is its own), three in the Landes. Kept
#: small: the secrecy of every current extract is solved at the first export.
GENERATED = (("33005", "33"), ("33010", "33"), ("64001", "64"), ("40001", "40"),
             ("40002", "40"), ("40003", "40"))
#: a mission locale of the network without any extract: never counted, never shown
SILENT = ("47001", "47")
ML_DEPT = dict(GENERATED)
DEPTS = sorted(set(ML_DEPT.values()))
PAIR_DEPT, SINGLE_DEPT = "33", "64"  # two missions locales; one
EXTRACT = (date(2026, 1, 1), date(2026, 9, 30))
#: the periods exported: the extract's own period, a quarter, a month
PERIODS = {
    "extraction": (date(2026, 1, 1), date(2026, 9, 30)),
    "trimestre": (date(2026, 4, 1), date(2026, 6, 30)),
    "mois": (date(2026, 3, 1), date(2026, 3, 31)),
}
JEUNES = 900
K = 11  # default threshold
JDI_MONTHS = 5  # default JDI window
SEEDS = (5, 23)

HEADER = ["tableau", "indicateur", "niveau_geo", "code_geo", "dim1", "modalite1", "dim2",
          "modalite2", "valeur"]
TOTAL = "Total"
NR = "non_renseigne"
#: modalities of the breakdowns, as the specification lists them ("mois" and "residence"
#: depend on the period and on the data)
MODALITIES = {
    "sexe": ("F", "H", NR),
    "tranche_age": ("16_17", "18_21", "22_25", "26_plus", NR),
    "niveau": ("infra_bac", "bac", "post_bac", NR),
    "qpv": ("oui", "non", NR),
    "zrr": ("oui", "non", NR),
    "logement": ("parents", "autonome", "heberge", "foyer", "sans", "autre", NR),
    "permis_b": ("oui", "non", NR),
}
#: flows that add up over time: published for long periods only
FLOWS = ("premiers_accueils", "entrees_cej", "entrees_pacea", "situations_positives")
#: periods published with their missions locales; months and quarters are not
LONG_PERIODS = ("annee", "semestre", "extraction")
PERSON = ("sexe", "tranche_age", "niveau", "qpv", "zrr", "logement", "permis_b")
#: the catalogue as the specification lists it: indicator → breakdowns of its tables
CATALOGUE: dict[str, tuple[tuple[str, ...], ...]] = {
    "jeunes_accompagnes": (*((d,) for d in PERSON), ("sexe", "tranche_age"), ("mois",),
                           ("residence",)),
    "premiers_accueils": (*((d,) for d in PERSON[:6]), ("sexe", "tranche_age")),
    "jdi": tuple((d,) for d in PERSON[:5]),
    "entrees_cej": (("sexe",), ("tranche_age",), ("niveau",), ("qpv",)),
    "entrees_pacea": (("sexe",), ("tranche_age",), ("niveau",), ("qpv",)),
    "stock_cej": (("sexe",), ("tranche_age",), ("mois",)),
    "stock_pacea": (("sexe",), ("tranche_age",), ("mois",)),
    "situations_positives": (("sexe",), ("tranche_age",), ("niveau",), ("qpv",)),
    "intensite": (("sexe",), ("tranche_age",), ("niveau",), ("qpv",), ("mois",)),
}
POSITIVE = {"EMPLOI_CDI", "EMPLOI_CDD", "INTERIM", "CONTRAT_AIDE", "APPRENTISSAGE",
            "CONTRAT_PRO", "FORMATION"}
NIVEAU = {**{v: "infra_bac" for v in ("1", "2", "3", "VI", "V BIS", "V")},
          **{v: "bac" for v in ("4", "IV")},
          **{v: "post_bac" for v in ("5", "6", "7", "8", "III", "II", "I")}}
YES, NO = {"O", "OUI", "1"}, {"N", "NON", "0"}
LOGEMENTS = ("PARENTS", "AUTONOME", "HEBERGE", "FOYER", "SANS", "AUTRE")
COMMUNE = re.compile(r"\d{5}|2A\d{3}|2B\d{3}")
INTEGER = re.compile(r"\d+")
DECIMAL = re.compile(r"\d+\.\d")


@dataclass(frozen=True)
class Table:
    name: str
    indicator: str
    dims: tuple[str, ...]


def expected_tables(granularity: str) -> dict[str, Table]:
    """The files of an export: long periods publish every table; a quarter the whole
    figure and its sex and age tables, a month the whole figure — of the indicators that
    are neither flows nor JDI."""
    long = granularity in LONG_PERIODS
    out: dict[str, Table] = {}
    for indicator, dims_list in CATALOGUE.items():
        if not long and (indicator in FLOWS or indicator == "jdi"):
            continue
        # flows only for a period no other published one contains: in these fixtures a
        # half-year always lies inside the year or the extract's period
        if indicator in FLOWS and granularity == "semestre":
            continue
        out[indicator] = Table(indicator, indicator, ())
        for dims in dims_list:
            if long or (granularity == "trimestre" and dims in (("sexe",), ("tranche_age",))):
                name = indicator + "_par_" + "_".join(dims)
                out[name] = Table(name, indicator, dims)
    return out


def with_ml_rows(granularity: str, table: Table) -> bool:
    """Mission-locale rows: long periods only, and never in a by-month table."""
    return granularity in LONG_PERIODS and table.dims not in (("mois",), ("residence",))
# --- reading the generated files --------------------------------------------------------------
def read_source(folder: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(folder / f"{name}.csv", sep=";", dtype=str, keep_default_na=False,
                       encoding="utf-8")


def french_dates(series: pd.Series) -> pd.Series:
    """JJ/MM/AAAA; anything else (empty, 31/04, 30/02…) is missing."""
    return pd.to_datetime(series.str.strip(), format="%d/%m/%Y", errors="coerce")


def month_end(year: int, month: int) -> date:
    nxt = date(year + month // 12, month % 12 + 1, 1)
    return date.fromordinal(nxt.toordinal() - 1)


def month_codes(start: date, end: date) -> list[str]:
    out, y, m = [], start.year, start.month
    while (y, m) <= (end.year, end.month):
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def month_bounds(code: str) -> tuple[date, date]:
    y, m = (int(x) for x in code.split("-"))
    return date(y, m, 1), month_end(y, m)


def residence_of(commune: str) -> str:
    code = commune.strip().upper()
    if not COMMUNE.fullmatch(code):
        return NR
    return code[:3] if code.startswith("97") else code[:2]


def yes_no(value: str) -> str:
    text = value.strip().upper()
    return "oui" if text in YES else "non" if text in NO else NR


class Reference:
    """The specification's definitions, in pandas, on the generated CSV files."""

    def __init__(self, folder: Path, extract: tuple[date, date] = EXTRACT):
        self.extract = extract
        jeunes = read_source(folder, "jeunes")
        jeunes["code_ml"] = jeunes["code_ml"].str.strip().str.upper()
        jeunes["id_jeune"] = jeunes["id_jeune"].str.strip()
        jeunes = jeunes.drop_duplicates(["code_ml", "id_jeune"]).reset_index(drop=True)
        birth = french_dates(jeunes["date_naissance"])
        niveau = jeunes["niveau_formation"].str.strip().str.upper().str.replace(
            r"\s+", " ", regex=True)
        logement = jeunes["logement"].str.strip().str.upper()
        sexe = jeunes["sexe"].str.strip().str.upper()
        self.people = pd.DataFrame({
            "code_ml": jeunes["code_ml"],
            "ml_dept": jeunes["code_ml"].map(ML_DEPT),
            "sexe": sexe.where(sexe.isin(["F", "H"]), NR),
            "birth_year": birth.dt.year,
            "birth_month": birth.dt.month,
            "niveau": niveau.map(NIVEAU).fillna(NR),
            "qpv": jeunes["qpv"].map(yes_no),
            "zrr": jeunes["zrr"].map(yes_no),
            "permis_b": jeunes["permis_b"].map(yes_no),
            "logement": logement.str.lower().where(logement.isin(LOGEMENTS), NR),
            "residence": jeunes["code_commune"].map(residence_of),
            "first": french_dates(jeunes["date_premier_accueil"]),
        })
        assert self.people["ml_dept"].notna().all()
        self.position = pd.Series(np.arange(len(jeunes)),
                                  index=pd.MultiIndex.from_frame(jeunes[["code_ml", "id_jeune"]]))
        lo, hi = (pd.Timestamp(d) for d in extract)
        events = self._rows(read_source(folder, "evenements"))
        events["day"] = french_dates(events["date_evenement"])
        self.events = events[(events["day"] >= lo) & (events["day"] <= hi)]
        situations = self._rows(read_source(folder, "situations"))
        situations["start"] = french_dates(situations["date_debut"])
        self.situations = situations[
            situations["type_situation"].str.strip().str.upper().isin(POSITIVE)]
        programmes = self._rows(read_source(folder, "dispositifs"))
        programmes["kind"] = programmes["dispositif"].str.strip().str.upper()
        programmes["entree"] = french_dates(programmes["date_entree"])
        programmes["sortie"] = french_dates(programmes["date_sortie"])
        self.programmes = programmes
        self._frames: dict[tuple[date, date], pd.DataFrame] = {}

    def _rows(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Rows of a secondary file, with the position of their young person; rows whose
        id_jeune is absent from jeunes.csv (for that mission locale) are ignored."""
        keys = pd.MultiIndex.from_arrays([frame["code_ml"].str.strip().str.upper(),
                                          frame["id_jeune"].str.strip()])
        pos = self.position.reindex(keys).to_numpy()
        frame = frame.assign(person=pos)
        return frame[frame["person"].notna()].astype({"person": np.int64})

    def _people_with(self, rows: pd.DataFrame) -> np.ndarray:
        out = np.zeros(len(self.people), dtype=bool)
        out[rows["person"].to_numpy()] = True
        return out

    def frame(self, start: date, end: date) -> pd.DataFrame:
        """One row per young person: breakdowns (age at ``end``) and indicators over
        [start, end]."""
        if (start, end) in self._frames:
            return self._frames[(start, end)]
        s, e = pd.Timestamp(start), pd.Timestamp(end)
        people = self.people
        frame = people[["code_ml", "ml_dept", "sexe", "niveau", "qpv", "zrr", "permis_b",
                        "logement", "residence"]].copy()
        by, bm = people["birth_year"], people["birth_month"]
        age = end.year - by - (bm > end.month).astype(int)
        band = np.select([age.between(16, 17), age.between(18, 21), age.between(22, 25),
                          age >= 26], ["16_17", "18_21", "22_25", "26_plus"], NR)
        frame["tranche_age"] = np.where(by.isna(), NR, band)
        events = self.events
        inside = events[(events["day"] >= s) & (events["day"] <= e)]
        frame["evenements"] = np.bincount(inside["person"], minlength=len(people))
        frame["jeunes_accompagnes"] = frame["evenements"] > 0
        months = month_codes(start, end)
        window = pd.Timestamp(month_bounds(months[-min(JDI_MONTHS, len(months))])[0])
        frame["jdi"] = self._people_with(inside[inside["day"] >= window])
        frame["premiers_accueils"] = ((people["first"] >= s) & (people["first"] <= e)).to_numpy()
        sit = self.situations
        frame["situations_positives"] = self._people_with(sit[(sit["start"] >= s)
                                                              & (sit["start"] <= e)])
        prog = self.programmes
        for kind in ("CEJ", "PACEA"):
            rows = prog[prog["kind"] == kind]
            frame["entrees_" + kind.lower()] = self._people_with(
                rows[(rows["entree"] >= s) & (rows["entree"] <= e)])
            frame["stock_" + kind.lower()] = self._people_with(
                rows[(rows["entree"] <= e) & (rows["sortie"].isna() | (rows["sortie"] > e))])
        self._frames[(start, end)] = frame
        return frame

    def value(self, period: tuple[date, date], indicator: str, level: str, code: str,
              dims: dict[str, str], residence_table: bool = False) -> int | Decimal:
        """The figure of one published cell, from the files alone."""
        start, end = period
        month = dims.get("mois", TOTAL)
        if month != TOTAL:
            start, end = month_bounds(month)
        frame = self.frame(start, end)
        if level == "ml":
            mask = frame["code_ml"] == code
        elif level == "departement":
            mask = frame["residence" if residence_table else "ml_dept"] == code
        else:
            assert level == "region" and code == REGION_CODE
            mask = frame["code_ml"].isin(ML_DEPT)
        for dim, modality in dims.items():
            if dim != "mois" and modality != TOTAL:
                mask = mask & (frame[dim] == modality)
        if indicator == "intensite":
            followed = mask & frame["jeunes_accompagnes"]
            people = int(followed.sum())
            if not people:
                return Decimal("0.0")
            events = int(frame.loc[followed, "evenements"].sum())
            return (Decimal(events) / people).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
        return int((mask & frame[indicator]).sum())

    def count(self, var: Var) -> int:
        """The figure of any cell a reader may reason about (see ``Var``), published or
        not: young people of ``var.population`` counted by ``var.indicator`` over each range
        of its period (ages at the end of each range)."""
        kind, *bounds = var.period
        if kind == "fin":
            ranges = [(bounds[0].replace(day=1), bounds[0])]
        elif kind == "du":
            ranges = [(bounds[0], bounds[1])]
        else:
            ranges = list(bounds[0])
        total = 0
        for start, end in ranges:
            frame = self.frame(start, end)
            if var.population[0] == "residence":
                mask = frame["residence"] == var.population[1]
            else:
                mask = frame["code_ml"].isin(var.population)
            for dim, modality in var.items:
                mask = mask & (frame[dim] == modality)
            total += int((mask & frame[var.indicator]).sum())
        return total

    def residences(self) -> list[str]:
        """Départements of residence of the young people accompanied over the extract."""
        frame = self.frame(*self.extract)
        return sorted(set(frame.loc[frame["jeunes_accompagnes"], "residence"]))


# --- reading the exports ----------------------------------------------------------------------
@dataclass(frozen=True)
class Cell:
    table: str
    indicator: str
    level: str
    code: str
    dims: tuple[tuple[str, str], ...]
    value: str

    @property
    def hidden(self) -> bool:
        return self.value == "s"

    @property
    def number(self) -> int | Decimal:
        return Decimal(self.value) if "." in self.value else int(self.value)

    @property
    def place(self) -> tuple[str, str, tuple[tuple[str, str], ...]]:
        return self.level, self.code, self.dims


def read_export(folder: Path) -> dict[str, list[Cell]]:
    """``<tableau>.csv`` → its cells (header, BOM and separator checked on the way)."""
    tables: dict[str, list[Cell]] = {}
    for path in sorted(folder.glob("*.csv")):
        raw = path.read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf"), f"{path.name}: no UTF-8 BOM"
        rows = list(csv.reader(io.StringIO(raw[3:].decode("utf-8")), delimiter=";"))
        assert rows[0] == HEADER, f"{path.name}: header {rows[0]}"
        cells = []
        for row in rows[1:]:
            assert len(row) == len(HEADER), f"{path.name}: {row}"
            table, indicator, level, code, d1, m1, d2, m2, value = row
            assert table == path.stem
            dims = tuple((d, m) for d, m in ((d1, m1), (d2, m2)) if d)
            cells.append(Cell(table, indicator, level, code, dims, value))
        tables[path.stem] = cells
    return tables


def export(app, folder: Path, period: tuple[date, date], *extra: str):
    runner = app.test_cli_runner()
    return runner.invoke(args=["observatoire", "export", str(folder),
                               "--du", period[0].strftime("%d/%m/%Y"),
                               "--au", period[1].strftime("%d/%m/%Y"), *extra])


# --- the fixture --------------------------------------------------------------------------------
@dataclass
class Imported:
    app: object
    seed: int
    source: Path
    reference: Reference
    #: export name → (granularity, period)
    periods: dict[str, tuple[str, tuple[date, date]]]
    exports: dict[str, dict[str, list[Cell]]] = field(default_factory=dict)
    _knowledge: Knowledge | None = None

    @property
    def knowledge(self) -> Knowledge:
        if self._knowledge is None:
            self._knowledge = Knowledge(self)
        return self._knowledge


def build_network(app) -> None:
    """The region, its missions locales with an extract and one without."""
    with app.app_context():
        s = db.session
        _truncate(s)
        region = Region(code=REGION_CODE, name="Nouvelle-Aquitaine", arml_name="ARML test")
        s.add(region)
        for code, dept in (*GENERATED, SILENT):
            s.add(MissionLocale(region=region, code=code, name=f"Mission locale {code}",
                                departement=dept, commune=f"Commune {code}"))
        s.commit()
        s.remove()


def generate(folder: Path, seed: int, jeunes: int = JEUNES,
             period: tuple[date, date] = EXTRACT) -> Path:
    generate_extract(folder, jeunes=jeunes, seed=seed, defect_rate=0.02,
                     missions_locales=list(GENERATED), period=period, today=TODAY)
    return folder


def import_and_export(database_url, tmp_path_factory, seed: int, extract: tuple[date, date],
                      periods: dict[str, tuple[str, tuple[date, date]]]) -> Imported:
    """A fresh region, one generated extract imported, the CLI exports read back (the
    tests only read them: the next fixture may empty the database)."""
    app = make_app(database_url)
    build_network(app)
    source = generate(tmp_path_factory.mktemp(f"extract{seed}"), seed, period=extract)
    with app.app_context():
        outcome = do_import(db.engine, source, period=extract)
        assert sorted(outcome.extracts) == sorted(ML_DEPT)
        db.session.remove()
    result = Imported(app, seed, source, Reference(source, extract), periods)
    for name, (_, period) in periods.items():
        folder = tmp_path_factory.mktemp(f"export{seed}{name}")
        run = export(app, folder, period)
        assert run.exit_code == 0, run.output
        result.exports[name] = read_export(folder)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    return result


#: the exports of the extract of 2026: its own period, its first half, its three quarters,
#: March and September (the last month: its stocks are the quarter's and the extract's)
MAIN_PERIODS = {
    **{name: (name, period) for name, period in PERIODS.items()},
    "s1": ("semestre", (date(2026, 1, 1), date(2026, 6, 30))),
    "t1": ("trimestre", (date(2026, 1, 1), date(2026, 3, 31))),
    "t3": ("trimestre", (date(2026, 7, 1), date(2026, 9, 30))),
    "septembre": ("mois", (date(2026, 9, 1), date(2026, 9, 30))),
}


@pytest.fixture(scope="module", params=SEEDS, ids=[f"seed{s}" for s in SEEDS])
def imported(request, database_url, tmp_path_factory):
    return import_and_export(database_url, tmp_path_factory, request.param, EXTRACT,
                             MAIN_PERIODS)


#: an extract over a school year, across two calendar years, and the periods a reader can
#: put side by side: its own, the last quarter and month of 2025, the first half and the
#: quarters of 2026
STRADDLING = (date(2025, 10, 1), date(2026, 9, 30))
STRADDLING_PERIODS = {
    "extraction": ("extraction", STRADDLING),
    "t4_2025": ("trimestre", (date(2025, 10, 1), date(2025, 12, 31))),
    "decembre_2025": ("mois", (date(2025, 12, 1), date(2025, 12, 31))),
    "s1_2026": ("semestre", (date(2026, 1, 1), date(2026, 6, 30))),
    "t1_2026": ("trimestre", (date(2026, 1, 1), date(2026, 3, 31))),
    "t2_2026": ("trimestre", (date(2026, 4, 1), date(2026, 6, 30))),
    "t3_2026": ("trimestre", (date(2026, 7, 1), date(2026, 9, 30))),
}


@pytest.fixture(scope="module")
def straddling(database_url, tmp_path_factory):
    return import_and_export(database_url, tmp_path_factory, SEEDS[0], STRADDLING,
                             STRADDLING_PERIODS)


#: a calendar year: the only periods whose flows tile another published one (the year is
#: its two halves), a quarter and a month
CALENDAR_YEAR = (date(2025, 1, 1), date(2025, 12, 31))
YEAR_PERIODS = {
    "annee": ("annee", CALENDAR_YEAR),
    "s1_2025": ("semestre", (date(2025, 1, 1), date(2025, 6, 30))),
    "s2_2025": ("semestre", (date(2025, 7, 1), date(2025, 12, 31))),
    "t4_2025": ("trimestre", (date(2025, 10, 1), date(2025, 12, 31))),
    "decembre_2025": ("mois", (date(2025, 12, 1), date(2025, 12, 31))),
}


@pytest.fixture(scope="module")
def calendar_year(database_url, tmp_path_factory):
    return import_and_export(database_url, tmp_path_factory, SEEDS[1], CALENDAR_YEAR,
                             YEAR_PERIODS)


# --- what each file must hold --------------------------------------------------------------------
def expected_places(table: Table, granularity: str, period: tuple[date, date],
                    residences: list[str]) -> set:
    if table.dims == ("residence",):
        return {("departement", r, ()) for r in residences} | {("region", REGION_CODE, ())}
    geos = [("ml", code) for code in ML_DEPT] if with_ml_rows(granularity, table) else []
    geos += [("departement", d) for d in DEPTS]
    geos.append(("region", REGION_CODE))
    if table.dims == ("mois",):
        options = [[*((("mois", m),) for m in month_codes(*period)), (("mois", TOTAL),)]]
    else:
        options = [[((d, m),) for m in (*MODALITIES[d], TOTAL)] for d in table.dims]
    combos = [()]
    for choices in options:
        combos = [(*c, *x) for c in combos for x in choices]
    return {(level, code, combo) for level, code in geos for combo in combos}


def lines_of(cells: list[Cell], table: Table) -> list[list[Cell]]:
    """The exact additive lines inside one file: [total, *parts]. Margins (a ``Total`` is
    the sum of the modalities of one breakdown, the other fixed) and geography (a
    département is the sum of its missions locales when they are published, the region the
    sum of the départements; the residence table's region is the sum of the départements
    of residence). Months are not lines: the young people of a period are not the sum of
    those of its months, nor is a stock."""
    at = {c.place: c for c in cells}
    out: list[list[Cell]] = []
    if table.dims == ("residence",):
        total = at[("region", REGION_CODE, ())]
        return [[total, *(c for c in cells if c.level == "departement")]]
    groups: dict[tuple, list[Cell]] = defaultdict(list)
    for cell in cells:
        for i, (dim, modality) in enumerate(cell.dims):
            if modality == TOTAL or dim == "mois":
                continue
            margin = (*cell.dims[:i], (dim, TOTAL), *cell.dims[i + 1:])
            groups[(cell.level, cell.code, margin, dim)].append(cell)
    out.extend([at[place[:3]], *parts] for place, parts in sorted(groups.items()))
    for dims in sorted({c.dims for c in cells}):
        for dept in DEPTS:
            mls = [code for code, d in ML_DEPT.items() if d == dept]
            if ("ml", mls[0], dims) in at:
                out.append([at[("departement", dept, dims)],
                            *(at[("ml", m, dims)] for m in mls)])
        out.append([at[("region", REGION_CODE, dims)],
                    *(at[("departement", d, dims)] for d in DEPTS)])
    return out


def tables_of(imported: Imported, name: str) -> dict[str, Table]:
    return expected_tables(imported.periods[name][0])


# --- what a reader can compute -------------------------------------------------------------------
#: every mission locale, département and the region, as the young people they count
POPULATIONS: dict[tuple[str, str], tuple[str, ...]] = {
    **{("ml", code): (code,) for code in ML_DEPT},
    **{("departement", d): tuple(sorted(c for c, x in ML_DEPT.items() if x == d))
       for d in DEPTS},
    ("region", REGION_CODE): tuple(sorted(ML_DEPT)),
}
DIM_ORDER = {d: i for i, d in enumerate(MODALITIES)}


@dataclass(frozen=True, order=True)
class Var:
    """What a figure counts, whatever table, file or level shows it.

    ``period``: ("du", start, end); ("fin", end) for a stock (young people in CEJ or PACEA
    on a day, aged on that day: the stock of a month, of the quarter it ends and of the
    extract it ends are one figure); ("union", ((start, end), …)) for the part of a period
    outside the published periods it contains. JDI of a period is the young people
    accompanied over its last months. ``population``: the missions locales counted
    (a département of a single mission locale is that mission locale), or ("residence",
    département)."""

    indicator: str
    period: tuple
    population: tuple[str, ...]
    items: tuple[tuple[str, str], ...]


def variable(indicator: str, start: date, end: date, population: tuple[str, ...],
             items) -> Var:
    items = tuple(sorted(items, key=lambda kv: DIM_ORDER[kv[0]]))
    if indicator.startswith("stock_"):
        return Var(indicator, ("fin", end), population, items)
    if indicator == "jdi":
        months = month_codes(start, end)
        start = month_bounds(months[-min(JDI_MONTHS, len(months))])[0]
        indicator = "jeunes_accompagnes"
    return Var(indicator, ("du", start, end), population, items)


def variable_of(table: Table, period: tuple[date, date], cell: Cell) -> Var:
    start, end = period
    items = [(d, m) for d, m in cell.dims if m != TOTAL]
    if items and items[0][0] == "mois":
        (start, end), items = month_bounds(items[0][1]), []
    if table.dims == ("residence",) and cell.level == "departement":
        population: tuple[str, ...] = ("residence", cell.code)
    else:
        population = POPULATIONS[(cell.level, cell.code)]
    return variable(table.indicator, start, end, population, items)


def short(var: Var) -> bool:
    """A month or a quarter (no mission-locale figure is published for them)."""
    if var.period[0] == "union":
        return False
    start, end = var.period[1], var.period[-1]
    if var.period[0] == "fin":
        return True
    return len(month_codes(start, end)) <= 3 and start.year == end.year


class Knowledge:
    """Every cell of every file of one import, as ``Var``s, and the exact linear relations
    between them, including figures no file shows (a mission locale's month, the part of
    the extract's period outside its first half), so that a reader's deductions can be
    computed: the margins of each table, mission locales → département → region (and the
    départements of residence → region), and for premiers accueils (one date per young
    person) a period is the sum of the published periods and leftover parts that tile it
    (except by age band: an age is taken at the end of each period)."""

    def __init__(self, imported: Imported):
        self.reference = imported.reference
        self.occurrences: dict[Var, list[tuple[str, str, Cell]]] = defaultdict(list)
        self.equations: list[tuple[Var, tuple[Var, ...]]] = []
        self.triples: set[tuple[str, tuple, tuple]] = set()
        self._determined: dict[str | None, set[Var]] = {}
        pops = list(POPULATIONS.values())
        for name, (granularity, period) in imported.periods.items():
            tables = expected_tables(granularity)
            for table_name, cells in imported.exports[name].items():
                table = tables[table_name]
                if table.indicator == "intensite":
                    continue  # a ratio, hidden exactly where its young people are
                for cell in cells:
                    var = variable_of(table, period, cell)
                    self.occurrences[var].append((name, table_name, cell))
                    self._seen(var)
                if table.dims == ("residence",):
                    region = variable(table.indicator, *period, POPULATIONS[
                        ("region", REGION_CODE)], ())
                    self.equation(region, [variable_of(table, period, c) for c in cells
                                           if c.level == "departement"])
                elif table.dims and table.dims != ("mois",):
                    for population in pops:
                        self._margins(table, period, population)
        self._time("premiers_accueils")
        for indicator, period, items in sorted(self.triples, key=repr):
            at = {p: Var(indicator, period, p, items) for p in pops}
            for dept in DEPTS:
                members = POPULATIONS[("departement", dept)]
                if len(members) > 1:
                    self.equation(at[members], [at[(m,)] for m in members])
            self.equation(at[POPULATIONS[("region", REGION_CODE)]],
                          [at[POPULATIONS[("departement", d)]] for d in DEPTS])

    def _seen(self, var: Var) -> None:
        if var.population[0] != "residence":
            self.triples.add((var.indicator, var.period, var.items))

    def equation(self, total: Var, parts: list[Var]) -> None:
        for var in (total, *parts):
            self._seen(var)
        self.equations.append((total, tuple(parts)))

    def _margins(self, table: Table, period: tuple[date, date], population) -> None:
        def at(items) -> Var:
            return variable(table.indicator, *period, population, items)

        for dim in table.dims:
            others = [d for d in table.dims if d != dim]
            fixed_sets: list[tuple] = [()]
            if others:
                fixed_sets += [((others[0], m),) for m in MODALITIES[others[0]]]
            for fixed in fixed_sets:
                self.equation(at(fixed), [at((*fixed, (dim, m))) for m in MODALITIES[dim]])

    def _time(self, indicator: str) -> None:
        periods = sorted({v.period for v in self.occurrences
                          if v.indicator == indicator and v.period[0] == "du"})
        months = sorted({m for p in periods for m in month_codes(p[1], p[2])})
        signature = {m: tuple(p for p in periods if m in month_codes(p[1], p[2]))
                     for m in months}
        classes: dict[tuple, list[str]] = defaultdict(list)
        for m in months:
            classes[signature[m]].append(m)
        key_of = {}
        for sig, members in classes.items():
            ranges: list[tuple[date, date]] = []
            for m in members:
                start, end = month_bounds(m)
                if ranges and (ranges[-1][1].toordinal() + 1) == start.toordinal():
                    ranges[-1] = (ranges[-1][0], end)
                else:
                    ranges.append((start, end))
            key_of[sig] = (("du", *ranges[0]) if len(ranges) == 1
                           else ("union", tuple(ranges)))
        for period in periods:
            parts = [key_of[sig] for sig in classes if period in sig]
            if len(parts) < 2:
                continue
            items_list = {items for ind, p, items in self.triples
                          if ind == indicator and p == period}
            for items in sorted(items_list):
                if any(d == "tranche_age" for d, _ in items):
                    continue
                for population in POPULATIONS.values():
                    self.equation(Var(indicator, period, population, items),
                                  [Var(indicator, p, population, items) for p in parts])

    # -- what is shown --------------------------------------------------------------------------
    @cached_property
    def _published(self) -> frozenset[Var]:
        return frozenset(v for v, occ in self.occurrences.items()
                         if any(not c.hidden for *_, c in occ))

    def published(self) -> set[Var]:
        return set(self._published)

    @cached_property
    def _hidden(self) -> frozenset[Var]:
        return frozenset(v for v, occ in self.occurrences.items()
                         if any(c.hidden for *_, c in occ))

    def hidden(self) -> set[Var]:
        return set(self._hidden)

    @cached_property
    def _variables(self) -> list[Var]:
        found = {v for total, parts in self.equations for v in (total, *parts)}
        return sorted(found | set(self.occurrences))

    def variables(self) -> set[Var]:
        return set(self._variables)

    def known_by(self, owner: str | None) -> set[Var]:
        """The published figures, and all of a mission locale's own (its data)."""
        known = self.published()
        if owner is not None:
            known |= {v for v in self._variables if v.population == (owner,)}
        return known

    @cached_property
    def _matrix(self) -> sp.csr_matrix:
        """The relations as rows (total − parts = 0) over ``_variables``."""
        index = {v: i for i, v in enumerate(self._variables)}
        rows, cols, coefs = [], [], []
        for r, (total, parts) in enumerate(self.equations):
            for var, coef in ((total, 1), *((p, -1) for p in parts)):
                rows.append(r)
                cols.append(index[var])
                coefs.append(coef)
        return sp.csr_matrix((coefs, (rows, cols)),
                             shape=(len(self.equations), len(self._variables)))

    # -- what follows from it -------------------------------------------------------------------
    def determined(self, known: set[Var]) -> set[Var]:
        """The unknown figures that are the only solution of the relations once ``known``
        are given: a variable is determined iff its row of a null-space basis of the
        relations restricted to the unknowns vanishes (per connected block)."""
        unknown = np.array([i for i, v in enumerate(self._variables) if v not in known])
        if not unknown.size:
            return set()
        matrix = self._matrix[:, unknown].tocsr()
        matrix = matrix[np.flatnonzero(matrix.getnnz(axis=1))]
        pattern = (matrix != 0).astype(np.int8)
        count, label = connected_components(pattern.T @ pattern, directed=False)
        row_label = label[matrix.indices[matrix.indptr[:-1]]]
        used = np.zeros(unknown.size, dtype=bool)
        used[matrix.indices] = True
        out: set[Var] = set()
        for block in range(count):
            cols = np.flatnonzero((label == block) & used)
            if not cols.size:
                continue
            dense = matrix[np.flatnonzero(row_label == block)][:, cols].toarray()
            basis = null_space(dense)
            norms = (basis ** 2).sum(axis=1) if basis.size else np.zeros(cols.size)
            out.update(self._variables[unknown[c]] for c, n in zip(cols, norms, strict=True)
                       if n < 1e-9)
        return out

    def disclosures(self, owner: str | None = None) -> dict[str, list]:
        """What a reader (``owner``: a mission locale that also knows its own figures)
        computes and the secrecy must keep from it, by kind: ``HIDDEN_CELL``, a cell « s »
        in every file that shows it; ``SMALL_COUNT``, a count from 1 to k − 1 that no file
        shows (the difference of two periods, for instance); ``NEIGHBOUR_FIGURE``, for a
        mission locale only, another one's figure for a month or a quarter that the public
        cannot compute (never published: that is why a département of two is withheld; a 0
        is no secret: 0 in the département is 0 in both). Entries: (var, value, where)."""
        if owner is not None and None not in self._determined:
            self._determined[None] = self.determined(self.known_by(None))
        if owner not in self._determined:
            self._determined[owner] = self.determined(self.known_by(owner))
        hidden = self._hidden
        found: dict[str, list] = {HIDDEN_CELL: [], SMALL_COUNT: [], NEIGHBOUR_FIGURE: []}
        for var in sorted(self._determined[owner]):
            where = [(n, t, c.place) for n, t, c in self.occurrences.get(var, [])][:3]
            value = self.reference.count(var)
            if var in hidden:
                found[HIDDEN_CELL].append((var, value, where))
            elif 1 <= value < K:
                found[SMALL_COUNT].append((var, value, where))
            elif owner is not None and value and len(var.population) == 1 and short(var) \
                    and var not in self._determined[None]:
                found[NEIGHBOUR_FIGURE].append((var, value, where))
        return found


HIDDEN_CELL = "case masquée calculable"
SMALL_COUNT = "effectif de 1 à k − 1 calculable"
NEIGHBOUR_FIGURE = "chiffre d'une autre mission locale pour un mois ou un trimestre"


# --- the checks ----------------------------------------------------------------------------------
def compare_with_pandas(imported: Imported, places: bool = True) -> Counter:
    """Every non-« s » cell against the recomputation; the files and the rows of each
    file against the specification (``places``). Returns how many figures were compared,
    per granularity."""
    ref = imported.reference
    checked: Counter = Counter()
    for name, (granularity, period) in imported.periods.items():
        tables = imported.exports[name]
        specs = expected_tables(granularity)
        assert sorted(tables) == sorted(specs), (
            f"{name}: missing {sorted(set(specs) - set(tables))}, "
            f"extra {sorted(set(tables) - set(specs))}")
        for table, cells in tables.items():
            spec = specs[table]
            found = [c.place for c in cells]
            assert len(found) == len(set(found)), f"{table}: repeated rows"
            if places:
                expected = expected_places(spec, granularity, period, ref.residences())
                assert set(found) == expected, (f"{name} {table}: missing "
                                                f"{sorted(expected - set(found))[:6]}, extra "
                                                f"{sorted(set(found) - expected)[:6]}")
            mismatches = []
            for cell in cells:
                assert cell.indicator == spec.indicator
                if cell.hidden:
                    continue
                if spec.indicator == "intensite":
                    assert DECIMAL.fullmatch(cell.value), cell
                else:
                    assert INTEGER.fullmatch(cell.value), cell
                expected = ref.value(period, spec.indicator, cell.level, cell.code,
                                     dict(cell.dims), residence_table=spec.dims == ("residence",))
                if cell.number != expected:
                    mismatches.append((cell.level, cell.code, cell.dims, cell.value, expected))
                checked[granularity] += 1
            assert not mismatches, (f"seed {imported.seed}, {name} {period}, {table}: "
                                    f"(level, code, dims, published, pandas) {mismatches[:8]}")
    return checked


def check_no_small_count(imported: Imported) -> None:
    hidden = 0
    for name, tables in imported.exports.items():
        for cells in tables.values():
            for cell in cells:
                if cell.hidden:
                    hidden += 1
                elif INTEGER.fullmatch(cell.value):
                    assert not 1 <= int(cell.value) < K, (name, cell)
    # a small region: many counts of a mission locale by age band are below k
    assert hidden > 50
    # and the region's total of young people accompanied is not one of them
    own = next(n for n, (_, p) in imported.periods.items() if p == imported.reference.extract)
    total = next(c for c in imported.exports[own]["jeunes_accompagnes"] if c.level == "region")
    assert not total.hidden and total.number > 300


def check_lines(imported: Imported) -> None:
    for name, tables in imported.exports.items():
        specs = tables_of(imported, name)
        for table, cells in tables.items():
            if specs[table].indicator == "intensite":
                continue
            lines = lines_of(cells, specs[table])
            assert lines, table
            for total, *parts in lines:
                members = [total, *parts]
                hidden = [c for c in members if c.hidden]
                assert len(hidden) != 1, (f"{name} {table}: {hidden[0]} recomputable from "
                                          f"{[(c.place, c.value) for c in members]}")
                if not hidden:
                    assert total.number == sum(c.number for c in parts), (name, table, total)


def check_shared_cells(imported: Imported) -> None:
    """One figure per ``Var``: a cell shown in several tables, files or levels (the total
    of every table of an indicator, a one-way margin of sex × age, a month of a by-month
    table and the month's own file, a stock of a month, of the quarter and of the extract
    it ends, a département of one mission locale and that mission locale) is published with
    one value; intensité is hidden exactly where the young people accompanied of its cell
    are."""
    knowledge = imported.knowledge
    shared = 0
    for var, occurrences in knowledge.occurrences.items():
        values = {c.value for *_, c in occurrences if not c.hidden}
        detail = [(n, t, c.place, c.value) for n, t, c in occurrences]
        assert len(values) <= 1, f"seed {imported.seed}: {var} published as {detail}"
        shared += len({n for n, *_ in occurrences}) > 1
    assert shared > 200
    for name, tables in imported.exports.items():
        for table, cells in tables.items():
            if not table.startswith("intensite"):
                continue
            twin = {c.place: c for c in tables[table.replace("intensite", "jeunes_accompagnes",
                                                             1)]}
            for cell in cells:
                assert cell.hidden == twin[cell.place].hidden, (name, cell, twin[cell.place])


def check_rows_by_level(imported: Imported) -> None:
    """Months and quarters: départements and region only; long periods: missions locales
    too, except in their by-month tables. The silent mission locale appears nowhere."""
    for name, tables in imported.exports.items():
        granularity = imported.periods[name][0]
        specs = expected_tables(granularity)
        for table, cells in tables.items():
            levels = {c.level for c in cells}
            codes = {c.code for c in cells if c.level == "ml"}
            if with_ml_rows(granularity, specs[table]):
                assert levels == {"ml", "departement", "region"}, (name, table)
                assert codes == set(ML_DEPT), (name, table)
            else:
                assert levels == {"departement", "region"}, (name, table, levels)
            assert SILENT[0] not in {c.code for c in cells}, (name, table)
            if specs[table].dims != ("residence",):  # the silent one's département neither
                assert {c.code for c in cells if c.level == "departement"} == set(DEPTS)


def check_pair_withheld(imported: Imported) -> int:
    """A département of two missions locales is « s » in every month and quarter file
    and in every month of a by-month table (unless it is 0: so are both its missions
    locales); one of a single mission locale shows that mission locale's figure in long
    periods, with the same status. Returns how many withheld cells were seen."""
    ref, withheld = imported.reference, 0
    single = next(code for code, d in ML_DEPT.items() if d == SINGLE_DEPT)
    for name, tables in imported.exports.items():
        granularity, period = imported.periods[name]
        specs = expected_tables(granularity)
        for table, cells in tables.items():
            at = {c.place: c for c in cells}
            for cell in cells:
                if cell.level != "departement" or specs[table].dims == ("residence",):
                    continue
                by_month = any(d == "mois" and m != TOTAL for d, m in cell.dims)
                if cell.code == PAIR_DEPT and (granularity not in LONG_PERIODS or by_month):
                    if specs[table].indicator != "intensite" and not cell.hidden:
                        assert ref.value(period, specs[table].indicator, "departement",
                                         PAIR_DEPT, dict(cell.dims)) == 0, (name, cell)
                        assert cell.value == "0", (name, cell)
                    withheld += cell.hidden
                if cell.code == SINGLE_DEPT and with_ml_rows(granularity, specs[table]):
                    twin = at[("ml", single, cell.dims)]
                    assert (twin.value, twin.hidden) == (cell.value, cell.hidden), (name, cell)
    return withheld


def describe(entries: list) -> str:
    return "\n".join(f"{var} = {value} (shown as « s » in: {where or 'no file'})"
                     for var, value, where in entries[:12])


def check_time_lines(imported: Imported, whole: str, parts: list[str]) -> int:
    """Premiers accueils (one date per young person): a period is exactly the sum of the
    periods that tile it — except by age band, an age being taken at the end of each
    period. Across the files, such a line must not have a single hidden cell (it would be
    the difference of the others). Returns how many lines were checked."""
    names, checked = [whole, *parts], 0
    for table in sorted(imported.exports[whole]):
        if not table.startswith("premiers_accueils") or "tranche_age" in table:
            continue
        at = [{c.place: c for c in imported.exports[n][table]} for n in names]
        for place, total in at[0].items():
            members = [total, *(a[place] for a in at[1:])]
            hidden = [c for c in members if c.hidden]
            detail = list(zip(names, (c.value for c in members), strict=True))
            assert len(hidden) != 1, f"{table} {place}: {detail}"
            if not hidden:
                assert total.number == sum(c.number for c in members[1:]), detail
            checked += 1
    return checked


def check_attacks(imported: Imported,
                  kinds: tuple[str, ...] = (HIDDEN_CELL, NEIGHBOUR_FIGURE)) -> None:
    """The public reader, then each mission locale with its own figures, against all the
    files of the import together."""
    knowledge = imported.knowledge
    assert len(knowledge.hidden()) > 100 and len(knowledge.equations) > 1000
    for owner in (None, *ML_DEPT):
        if owner is not None:  # what it knows is more than what everybody reads
            assert len(knowledge.known_by(owner)) > len(knowledge.published())
        found = knowledge.disclosures(owner)
        for kind in kinds:
            assert not found[kind], (f"seed {imported.seed}, "
                                     f"{'mission locale ' + owner if owner else 'public'}, "
                                     f"{kind}:\n{describe(found[kind])}")


def check_status_across_files(imported: Imported) -> None:
    """A cell hidden in one file is published in no other (it would be read there)."""
    both = []
    for var, occurrences in imported.knowledge.occurrences.items():
        if len({c.hidden for *_, c in occurrences}) > 1:
            both.append((var, [(n, t, c.place, c.value) for n, t, c in occurrences][:8]))
    assert not both, f"seed {imported.seed}: {len(both)} cells, {both[:3]}"


# --- the tests ----------------------------------------------------------------------------------
def test_the_catalogue_is_the_specified_one():
    """Which tables exist for which granularity: flows and JDI over long periods only;
    quarters: the whole figure, sex and age; months: the whole figure."""
    for granularity in GRANULARITIES:
        # a half-year may be the largest published period (then it has flows): the
        # catalogue lists them; expected_tables drops them for this suite's fixtures
        listed = {t.name: t.dims for t in tables_for(granularity)
                  if granularity != "semestre" or t.indicator not in FLOWS}
        assert listed == {
            name: t.dims for name, t in expected_tables(granularity).items()}, granularity
    assert sorted(expected_tables("mois")) == ["intensite", "jeunes_accompagnes", "stock_cej",
                                               "stock_pacea"]


def test_every_published_cell_equals_the_pandas_recomputation(imported):
    """Each non-« s » cell of every file (ml, département, region; margins; sex × age;
    months; residence) is what the definitions give on the generated files, and each file
    holds exactly its rows."""
    checked = compare_with_pandas(imported)
    assert checked["extraction"] > 800 and checked["semestre"] > 600
    # months and quarters publish some figures too (the region's, here)
    assert checked["trimestre"] > 20 and checked["mois"] > 4, checked


def test_no_small_count_is_published_and_secret_cells_exist(imported):
    check_no_small_count(imported)


def test_margins_add_up_and_no_line_has_a_single_hidden_cell(imported):
    """Totals equal the sum of their parts when everything is published; a line with one
    hidden cell would give it away by difference."""
    check_lines(imported)


def test_one_figure_per_cell_across_tables_and_periods(imported):
    check_shared_cells(imported)


STOCK_STATUS = (
    "queries._Builder: a stock counts the young people in CEJ/PACEA on the last day of the "
    "period, so the stock of a long period is the stock of its last month and quarter; the "
    "secrecy problem keys cells by period, so they are separate cells, protected apart: the "
    "extract's file publishes what its September and Q3 files and its own stock_*_par_mois "
    "hide (seed 5: stock_cej of 64001 on 30/09/2026 = 31 in stock_cej, « s » in "
    "stock_cej_par_mois 2026-09, t3 and septembre; département 33 = 43 likewise)")


def test_a_cell_hidden_in_one_file_is_published_in_no_other(imported):
    check_status_across_files(imported)


def test_months_and_quarters_are_published_by_departement_and_region_only(imported):
    check_rows_by_level(imported)


def test_a_departement_of_two_missions_locales_is_withheld_below_long_periods(imported):
    assert check_pair_withheld(imported) > 50


def test_no_hidden_cell_follows_from_all_the_published_files(imported):
    """No reader with every file of the import (periods side by side, tables that share
    cells) computes a cell that is « s » everywhere; no mission locale adding its own
    figures computes another one's month or quarter."""
    check_attacks(imported)


FLOW_DIFFERENCE = (
    "catalogue/queries: flows are published for the extract's period (01–09/2026) and its "
    "first half, and premiers accueils add up exactly over time, so extract − S1 is the "
    "third quarter, which is never published nor protected (no cell, no line in "
    "_time_lines: Q3 is not a published period): seed 5, region, premiers accueils QPV "
    "of Q3 2026 = 10, ZRR = 6; seed 23, mission locale 33010, bac, = 10")


def test_no_count_below_k_follows_from_periods_side_by_side(imported):
    check_attacks(imported, (SMALL_COUNT,))


# --- an extract across two calendar years -----------------------------------------------------
def test_straddling_extract_figures_and_secrecy_inside_each_file(straddling):
    """Everything it publishes is the files' figures, in the specified rows."""
    checked = compare_with_pandas(straddling)
    assert checked["extraction"] > 800 and checked["trimestre"] > 20, checked
    check_no_small_count(straddling)
    check_lines(straddling)
    check_shared_cells(straddling)
    check_rows_by_level(straddling)
    assert check_pair_withheld(straddling) > 50


def test_straddling_extract_by_month_tables_list_all_its_months(straddling):
    for table in ("jeunes_accompagnes_par_mois", "stock_cej_par_mois", "intensite_par_mois"):
        cells = straddling.exports["extraction"][table]
        months = {m for c in cells for _, m in c.dims if m != TOTAL}
        assert months == set(month_codes(*STRADDLING)), table
        assert len(months) == 12
    # December 2025 is one cell: in the by-month table and in its own file
    december = {c.place[:2]: c.value for c in straddling.exports["decembre_2025"][
        "jeunes_accompagnes"]}
    by_month = {c.place[:2]: c.value for c in straddling.exports["extraction"][
        "jeunes_accompagnes_par_mois"] if c.dims == (("mois", "2025-12"),)}
    assert december == by_month


def test_straddling_extract_periods_do_not_give_a_hidden_one_away(straddling):
    """The periods of both years are protected together: no file of 2025 or 2026 gives
    away a cell hidden in the others, nor (here) their difference a count below k."""
    check_attacks(straddling, (HIDDEN_CELL, NEIGHBOUR_FIGURE, SMALL_COUNT))


# --- a calendar year: the year is the sum of its halves -----------------------------------------
def test_calendar_year_figures_and_secrecy_inside_each_file(calendar_year):
    checked = compare_with_pandas(calendar_year)
    assert checked["annee"] > 800 and checked["semestre"] > 600, checked
    check_no_small_count(calendar_year)
    check_lines(calendar_year)
    check_shared_cells(calendar_year)
    check_rows_by_level(calendar_year)
    assert check_pair_withheld(calendar_year) > 50


def test_calendar_year_is_not_the_difference_of_its_halves(calendar_year):
    """Flows are published for the year only (its halves lie inside it: year − S1 would be
    an unprotected S2); no reader (nor mission locale) computes a hidden cell or a small
    count from all the files."""
    assert "premiers_accueils" in calendar_year.exports["annee"]
    for half in ("s1_2025", "s2_2025"):
        assert not {"premiers_accueils", "entrees_cej", "entrees_pacea",
                    "situations_positives"} & set(calendar_year.exports[half]), half
    check_attacks(calendar_year, (HIDDEN_CELL, NEIGHBOUR_FIGURE, SMALL_COUNT))
