"""Stored aggregates: each extract's contribution to every catalogue table, computed once.

The import feeds an ``Accumulator`` chunk by chunk (young people's attributes, events
folded per person and month, positive situations, CEJ/PACEA rows), then ``compute``
turns one extract's people into counts for each of its periods with numpy (one
``bincount`` per breakdown), and ``store`` writes one row per extract × period. Pages
and exports read those rows only: they never scan the row tables, and the figures
survive the purge of the rows. ``recompute`` rebuilds them from the stored rows
(``flask --app webapp observatoire recalculer``) after a change of the JDI window.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd
from sqlalchemy import Engine, delete, insert, select
from sqlalchemy.engine import Connection

from models.observatory.catalogue import (
    DIMENSIONS,
    NON_RENSEIGNE,
    POSITIVE_SITUATIONS,
    STORED_MEASURES,
    Period,
    cell_key,
    dim_combos,
    extract_periods,
    month_key,
)
from models.observatory.orm import ObservatoryAggregate

NIVEAUX = {"1": "infra_bac", "2": "infra_bac", "3": "infra_bac", "VI": "infra_bac",
           "V BIS": "infra_bac", "V": "infra_bac", "4": "bac", "IV": "bac",
           "5": "post_bac", "6": "post_bac", "7": "post_bac", "8": "post_bac",
           "III": "post_bac", "II": "post_bac", "I": "post_bac"}
PROGRAMMES = ("CEJ", "PACEA")

PEOPLE_COLUMNS = ["extract_id", "id_jeune", "sexe", "birth_year", "birth_month",
                  "niveau_formation", "qpv", "zrr", "logement", "permis_b", "departement",
                  "date_premier_accueil"]


# --- accumulation during the import -------------------------------------------------------
@dataclass
class Accumulator:
    """What the observatory needs from an import's stream, kept small (no event rows)."""

    period_start: date
    period_end: date
    people: list[pd.DataFrame] = field(default_factory=list)
    months: pd.Series | None = None  # (extract_id, id_jeune, month key) → events
    situations: list[pd.DataFrame] = field(default_factory=list)
    programmes: list[pd.DataFrame] = field(default_factory=list)

    def add(self, file: str, rows: pd.DataFrame) -> None:
        """Fold one stored chunk (the columns written to the row table) in."""
        if file == "jeunes":
            self.people.append(rows[PEOPLE_COLUMNS].copy())
        elif file == "evenements":
            dates = pd.to_datetime(rows["date_evenement"], errors="coerce")
            inside = dates.notna() & (dates >= pd.Timestamp(self.period_start)) \
                & (dates <= pd.Timestamp(self.period_end))
            chunk = rows[inside]
            keys = dates[inside].dt.year * 12 + dates[inside].dt.month - 1
            grouped = chunk.groupby([chunk["extract_id"], chunk["id_jeune"],
                                     keys.rename("month")]).size()
            self.months = grouped if self.months is None else \
                grouped.add(self.months, fill_value=0)
        elif file == "situations":
            keep = rows["type_situation"].isin(POSITIVE_SITUATIONS) & rows["date_debut"].notna()
            self.situations.append(rows.loc[keep, ["extract_id", "id_jeune", "date_debut"]])
        elif file == "dispositifs":
            keep = rows["dispositif"].isin(PROGRAMMES) & rows["date_entree"].notna()
            self.programmes.append(rows.loc[keep, ["extract_id", "id_jeune", "dispositif",
                                                   "date_entree", "date_sortie"]])

    def extract_inputs(self) -> dict[int, ExtractInputs]:
        people = _concat(self.people, PEOPLE_COLUMNS)
        months = (self.months.rename("events").reset_index() if self.months is not None
                  else pd.DataFrame(columns=["extract_id", "id_jeune", "month", "events"]))
        situations = _concat(self.situations, ["extract_id", "id_jeune", "date_debut"])
        programmes = _concat(self.programmes, ["extract_id", "id_jeune", "dispositif",
                                               "date_entree", "date_sortie"])
        out = {}
        for extract_id, group in people.groupby("extract_id"):
            out[int(extract_id)] = ExtractInputs(
                group, months[months["extract_id"] == extract_id],
                situations[situations["extract_id"] == extract_id],
                programmes[programmes["extract_id"] == extract_id])
        return out


def _concat(frames: list[pd.DataFrame], columns: list[str]) -> pd.DataFrame:
    frames = [f for f in frames if not f.empty]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)


@dataclass
class ExtractInputs:
    people: pd.DataFrame      # PEOPLE_COLUMNS
    months: pd.DataFrame      # id_jeune, month, events (events inside the extract's period)
    situations: pd.DataFrame  # id_jeune, date_debut (positive situations only)
    programmes: pd.DataFrame  # id_jeune, dispositif (CEJ/PACEA), date_entree, date_sortie


# --- computing ----------------------------------------------------------------------------
def _codes(values: pd.Series, mapping: dict, modalities: tuple[str, ...]) -> np.ndarray:
    index = {m: i for i, m in enumerate(modalities)}
    missing = index[NON_RENSEIGNE]
    return np.array([index.get(mapping.get(v, NON_RENSEIGNE), missing) if v is not None
                     and v == v else missing for v in values], dtype=np.int64)


def _bool_codes(values: pd.Series) -> np.ndarray:
    out = np.full(len(values), 2, dtype=np.int64)
    raw = values.to_numpy(dtype=object)
    out[raw == True] = 0  # noqa: E712 - object array: None stays "non renseigné"
    out[raw == False] = 1  # noqa: E712
    return out


def _days(series: pd.Series) -> np.ndarray:
    """Dates as day numbers (NaT → a huge sentinel, outside every period)."""
    parsed = pd.to_datetime(series, errors="coerce")
    days = parsed.to_numpy(dtype="datetime64[D]").astype(np.int64)
    days[parsed.isna().to_numpy()] = np.iinfo(np.int64).max
    return days


def _day(d: date) -> int:
    return int(np.datetime64(d, "D").astype(np.int64))


AGE_BANDS = DIMENSIONS["tranche_age"].codes


def _age_codes(birth_year: np.ndarray, birth_month: np.ndarray, end: date) -> np.ndarray:
    """Age at the end of the period from year and month of birth (the day is not kept:
    exact when the period ends on a month's last day, which published periods do)."""
    valid = (birth_year > 0) & (birth_month > 0)
    age = end.year - birth_year - (birth_month > end.month).astype(np.int64)
    band = np.full(len(age), AGE_BANDS.index(NON_RENSEIGNE), dtype=np.int64)
    band[valid & (age >= 16) & (age <= 17)] = 0
    band[valid & (age >= 18) & (age <= 21)] = 1
    band[valid & (age >= 22) & (age <= 25)] = 2
    band[valid & (age >= 26)] = 3
    return band


def compute(inputs: ExtractInputs, start: date, end: date, *,
            jdi_months: int) -> list[tuple[Period, dict[str, int]]]:
    """One extract's cells for each of its periods: {cell key: count}, zeros left out."""
    people = inputs.people.drop_duplicates("id_jeune").reset_index(drop=True)
    n = len(people)
    index = pd.Index(people["id_jeune"])
    by = pd.to_numeric(people["birth_year"], errors="coerce").fillna(0).to_numpy(np.int64)
    bm = pd.to_numeric(people["birth_month"], errors="coerce").fillna(0).to_numpy(np.int64)
    residence_codes = sorted({d for d in people["departement"] if isinstance(d, str) and d})
    residence = (*residence_codes, NON_RENSEIGNE)
    dims: dict[str, tuple[np.ndarray, tuple[str, ...]]] = {
        "sexe": (_codes(people["sexe"], {"F": "F", "H": "H"}, DIMENSIONS["sexe"].codes),
                 DIMENSIONS["sexe"].codes),
        "niveau": (_codes(people["niveau_formation"], NIVEAUX, DIMENSIONS["niveau"].codes),
                   DIMENSIONS["niveau"].codes),
        "qpv": (_bool_codes(people["qpv"]), DIMENSIONS["qpv"].codes),
        "zrr": (_bool_codes(people["zrr"]), DIMENSIONS["zrr"].codes),
        "permis_b": (_bool_codes(people["permis_b"]), DIMENSIONS["permis_b"].codes),
        "logement": (_codes(people["logement"], {v.upper(): v for v in
                                                 DIMENSIONS["logement"].codes},
                            DIMENSIONS["logement"].codes), DIMENSIONS["logement"].codes),
        "residence": (_codes(people["departement"], {d: d for d in residence_codes},
                             residence), residence),
    }
    first_month = month_key(start)
    n_months = month_key(end) - first_month + 1
    events = np.zeros((n, n_months), dtype=np.int64)
    months = inputs.months
    if len(months):
        rows = index.get_indexer(months["id_jeune"])
        cols = months["month"].to_numpy(np.int64) - first_month
        ok = (rows >= 0) & (cols >= 0) & (cols < n_months)
        np.add.at(events, (rows[ok], cols[ok]), months["events"].to_numpy(np.int64)[ok])
    cumulative = np.concatenate([np.zeros((n, 1), dtype=np.int64), events.cumsum(axis=1)],
                                axis=1)
    first_reception = _days(people["date_premier_accueil"])
    situations = inputs.situations
    sit_rows = index.get_indexer(situations["id_jeune"])
    sit_start = _days(situations["date_debut"])
    programmes = inputs.programmes
    prog_rows = index.get_indexer(programmes["id_jeune"])
    prog_in = _days(programmes["date_entree"])
    prog_out = _days(programmes["date_sortie"])  # open → sentinel (after every period end)
    prog_kind = programmes["dispositif"].to_numpy(dtype=object)

    def people_with(rows: np.ndarray, hit: np.ndarray) -> np.ndarray:
        mask = np.zeros(n, dtype=bool)
        keep = hit & (rows >= 0)
        mask[rows[keep]] = True
        return mask

    results = []
    for period in extract_periods(start, end):
        lo_col = max(0, month_key(period.start) - first_month)
        hi_col = month_key(period.end) - first_month + 1
        s, e = _day(period.start), _day(period.end)
        in_period = cumulative[:, hi_col] - cumulative[:, lo_col]
        jdi_lo = max(lo_col, hi_col - jdi_months)
        measures: dict[str, tuple[np.ndarray, np.ndarray | None]] = {
            "jeunes_accompagnes": (in_period > 0, None),
            "evenements": (in_period > 0, in_period),
            "jdi": (cumulative[:, hi_col] - cumulative[:, jdi_lo] > 0, None),
            "premiers_accueils": ((first_reception >= s) & (first_reception <= e), None),
            "situations_positives": (people_with(sit_rows, (sit_start >= s) & (sit_start <= e)),
                                     None),
        }
        for kind in PROGRAMMES:
            of_kind = prog_kind == kind
            measures["entrees_" + kind.lower()] = (people_with(
                prog_rows, of_kind & (prog_in >= s) & (prog_in <= e)), None)
            measures["stock_" + kind.lower()] = (people_with(
                prog_rows, of_kind & (prog_in <= e) & (prog_out > e)), None)
        period_dims = dict(dims)
        period_dims["tranche_age"] = (_age_codes(by, bm, period.end), AGE_BANDS)
        cells: dict[str, int] = {}
        for measure in STORED_MEASURES:
            combos = dim_combos(period.granularity, measure)
            if measure == "jdi" and period.granularity not in ("annee", "semestre",
                                                               "extraction"):
                continue
            mask, weights = measures[measure]
            w = weights[mask] if weights is not None else None
            for combo in sorted(combos):
                if not combo:
                    value = int(w.sum()) if w is not None else int(mask.sum())
                    if value:
                        cells[cell_key(measure)] = value
                    continue
                codes = np.zeros(int(mask.sum()), dtype=np.int64)
                labels: list[tuple[tuple[str, str], ...]] = [()]
                for dim in combo:
                    dim_codes, modalities = period_dims[dim]
                    codes = codes * len(modalities) + dim_codes[mask]
                    labels = [(*lab, (dim, m)) for lab in labels for m in modalities]
                counts = np.bincount(codes, weights=w, minlength=len(labels))
                for lab, value in zip(labels, counts, strict=True):
                    if value:
                        cells[cell_key(measure, lab)] = int(value)
        results.append((period, cells))
    return results


# --- storing ------------------------------------------------------------------------------
def store(conn: Connection, extract_id: int,
          results: Iterable[tuple[Period, dict[str, int]]]) -> None:
    conn.execute(delete(ObservatoryAggregate).where(
        ObservatoryAggregate.extract_id == extract_id))
    rows = [{"extract_id": extract_id, "period_start": p.start, "period_end": p.end,
             "granularity": p.granularity, "cells": cells} for p, cells in results]
    if rows:
        conn.execute(insert(ObservatoryAggregate), rows)


def recompute(engine: Engine, *, jdi_months: int, extract_ids: list[int] | None = None,
              ) -> int:
    """Rebuild the aggregates of current extracts from their stored rows; returns how many."""
    from models.parcours.orm import (  # noqa: PLC0415 - the row tables, only for a rebuild
        ParcoursExtract,
        PqDispositif,
        PqEvenement,
        PqJeune,
        PqSituation,
    )
    with engine.connect() as conn:
        stmt = select(ParcoursExtract.id, ParcoursExtract.period_start,
                      ParcoursExtract.period_end).where(ParcoursExtract.status == "current")
        if extract_ids is not None:
            stmt = stmt.where(ParcoursExtract.id.in_(extract_ids))
        extracts = conn.execute(stmt.order_by(ParcoursExtract.id)).all()
    done = 0
    for extract_id, start, end in extracts:
        with engine.connect() as conn:
            people = _frame(conn, select(*(getattr(PqJeune, c) for c in PEOPLE_COLUMNS))
                            .where(PqJeune.extract_id == extract_id))
            if people.empty:  # rows purged: the stored aggregates are all that is left
                continue
            events = _frame(conn, select(PqEvenement.id_jeune, PqEvenement.date_evenement)
                            .where(PqEvenement.extract_id == extract_id,
                                   PqEvenement.date_evenement >= start,
                                   PqEvenement.date_evenement <= end))
            situations = _frame(conn, select(
                PqSituation.id_jeune, PqSituation.date_debut, PqSituation.type_situation)
                .where(PqSituation.extract_id == extract_id))
            programmes = _frame(conn, select(
                PqDispositif.id_jeune, PqDispositif.dispositif, PqDispositif.date_entree,
                PqDispositif.date_sortie).where(PqDispositif.extract_id == extract_id))
        dates = pd.to_datetime(events["date_evenement"])
        events["month"] = dates.dt.year * 12 + dates.dt.month - 1
        months = events.groupby(["id_jeune", "month"]).size().rename("events").reset_index()
        situations = situations[situations["type_situation"].isin(POSITIVE_SITUATIONS)
                                & situations["date_debut"].notna()]
        programmes = programmes[programmes["dispositif"].isin(PROGRAMMES)
                                & programmes["date_entree"].notna()]
        results = compute(ExtractInputs(people, months, situations, programmes), start, end,
                          jdi_months=jdi_months)
        with engine.begin() as conn:
            store(conn, extract_id, results)
        done += 1
    return done


def _frame(conn: Connection, stmt) -> pd.DataFrame:
    result = conn.execute(stmt)
    return pd.DataFrame(result.fetchall(), columns=list(result.keys()))
