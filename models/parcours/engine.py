"""The charter engine: rule *kinds*, each a set-based check parameterised by a rule.

Two families:
- row kinds look at one row at a time and run vectorised on each pandas chunk while
  the file streams in (validity, completeness, dates);
- set kinds compare rows with each other (duplicates, overlaps, missing events) and
  run as SQL over the stored rows of the import's extracts once everything is in.

A charter rule names its kind and parameters (``charter.py``); adding a rule of an
existing kind is a data change. Every finding gets a ``record_key`` that stays the
same from one import to the next, so the team's marks carry over.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Date, bindparam, text
from sqlalchemy.engine import Connection

from models.parcours import normalise as nz

FINDING_COLUMNS = ["code_ml", "rule_code", "severity", "record_key", "id_jeune", "pseudo",
                   "field", "value", "in_jeunes"]


@dataclass
class RuleSpec:
    """A charter rule as the engine needs it (detached from the ORM)."""

    code: str
    kind: str
    severity: str
    params: dict


@dataclass
class CheckContext:
    period_start: date
    period_end: date
    today: date
    # "code_ml|id_jeune" of every young person in jeunes.csv (an Arrow hash set)
    known_parts: list[pa.Array] = field(default_factory=list)
    known: pa.Array | None = None
    orphans_seen: set[tuple[str, str, str]] = field(default_factory=set)

    @staticmethod
    def _keys(code_ml: pd.Series, id_jeune: pd.Series) -> pa.Array:
        return pc.binary_join_element_wise(
            pa.array(code_ml.to_numpy(dtype=object), type=pa.string()),
            pa.array(id_jeune.to_numpy(dtype=object), type=pa.string()), "|")

    def add_known(self, code_ml: pd.Series, id_jeune: pd.Series) -> None:
        self.known_parts.append(self._keys(code_ml, id_jeune))
        self.known = None

    def is_known(self, code_ml: pd.Series, id_jeune: pd.Series) -> np.ndarray:
        if self.known is None:
            parts = self.known_parts or [pa.array([], type=pa.string())]
            self.known = pc.unique(pa.chunked_array(parts).combine_chunks())
        found = pc.is_in(self._keys(code_ml, id_jeune), value_set=self.known)
        return found.to_numpy(zero_copy_only=False)


def _findings(rows: pd.DataFrame, rule: RuleSpec, keys: pd.Series, field_name: str,
              values: pd.Series | str, *, pseudo: bool = False,
              in_jeunes: bool = True) -> pd.DataFrame:
    out = pd.DataFrame({
        "code_ml": rows["code_ml"].to_numpy(),
        "rule_code": rule.code,
        "severity": rule.severity,
        "record_key": keys.to_numpy(),
        "id_jeune": rows["id_jeune"].to_numpy(),
        "pseudo": rows["pseudo"].to_numpy() if pseudo else None,
        "field": field_name,
        "value": values.to_numpy() if isinstance(values, pd.Series) else values,
        "in_jeunes": in_jeunes,
    })
    return out


def _young_key(rows: pd.DataFrame) -> pd.Series:
    return "J:" + rows["id_jeune"]


def _iso(series: pd.Series) -> pd.Series:
    return pd.Series(nz.iso_dates(series), index=series.index).fillna("")


def _normalised(df: pd.DataFrame, name: str) -> pd.Series:
    """The pipeline's normalised column, or upper-cased text for any other field."""
    column = name + "__n"
    return df[column] if column in df else nz.upper(df[name])


def _parsed(df: pd.DataFrame, name: str) -> pd.Series:
    column = name + "__d"
    return df[column] if column in df else nz.parse_dates(df[name])[0]


def _raw_or_empty(series: pd.Series) -> pd.Series:
    return series.where(series != "", "(vide)")


# --- row kinds ---------------------------------------------------------------------------
RowKind = Callable[[RuleSpec, str, pd.DataFrame, CheckContext], "pd.DataFrame | None"]


def _date_required(rule: RuleSpec, file: str, df: pd.DataFrame, ctx: CheckContext):
    if file != rule.params["file"]:
        return None
    name = rule.params["field"]
    bad = df[_parsed(df, name).isna()]
    # A birth date is identity: say what is wrong, never quote it.
    values = np.where(bad[name] == "", "(vide)", "date invalide")
    return _findings(bad, rule, _young_key(bad), name, pd.Series(values), pseudo=True)


def _age_at(rule: RuleSpec, file: str, df: pd.DataFrame, ctx: CheckContext):
    if file != "jeunes":
        return None
    age = df["age"]
    mask = pd.Series(False, index=df.index)
    if "min" in rule.params:
        mask |= (age < rule.params["min"]).fillna(False)
    if "max" in rule.params:
        mask |= (age > rule.params["max"]).fillna(False)
    bad = df[mask.astype(bool)]
    values = bad["age"].astype(str) + " ans"
    return _findings(bad, rule, _young_key(bad), rule.params["field"], values, pseudo=True)


def _in_set(rule: RuleSpec, file: str, df: pd.DataFrame, ctx: CheckContext):
    if file != rule.params["file"]:
        return None
    name = rule.params["field"]
    bad = df[~_normalised(df, name).isin(rule.params["allowed"])]
    return _findings(bad, rule, _young_key(bad), name, _raw_or_empty(nz.clean(bad[name])),
                     pseudo=True)


def _not_in_set(rule: RuleSpec, file: str, df: pd.DataFrame, ctx: CheckContext):
    if file != rule.params["file"]:
        return None
    name = rule.params["field"]
    bad = df[_normalised(df, name).isin(rule.params["forbidden"])]
    return _findings(bad, rule, _young_key(bad), name, nz.clean(bad[name]), pseudo=True)


def _commune_postal(rule: RuleSpec, file: str, df: pd.DataFrame, ctx: CheckContext):
    if file != "jeunes":
        return None
    commune, postal = df["code_commune__n"], df["code_postal__n"]
    dc, dp = df["departement"], nz.departement_of_postcode(postal)
    corsica = (dp == "20") & dc.isin(["2A", "2B"])
    bad_commune = dc == ""
    bad_postal = ~bad_commune & ((dp == "") | ((dp != dc) & ~corsica))
    mask = bad_commune | bad_postal
    bad = df[mask]
    fields = np.where(bad_commune[mask], "code_commune", "code_postal")
    values = np.where(bad_commune[mask], _raw_or_empty(commune[mask]),
                      _raw_or_empty(postal[mask]) + " / " + _raw_or_empty(commune[mask]))
    out = _findings(bad, rule, _young_key(bad), "", pd.Series(values), pseudo=True)
    out["field"] = fields
    return out


def _date_in_past(rule: RuleSpec, file: str, df: pd.DataFrame, ctx: CheckContext):
    if file != rule.params["file"]:
        return None
    name = rule.params["field"]
    limit = pd.Timestamp(min(ctx.period_end, ctx.today))
    parsed = _parsed(df, name)
    mask = parsed.isna() | (parsed > limit)
    bad = df[mask]
    return _findings(bad, rule, _young_key(bad), name, _raw_or_empty(bad[name]), pseudo=True)


def _date_order(rule: RuleSpec, file: str, df: pd.DataFrame, ctx: CheckContext):
    for pair_file, start, end in rule.params["pairs"]:
        if pair_file != file:
            continue
        mask = (_parsed(df, end) < _parsed(df, start)).fillna(False)
        bad = df[mask]
        kind = "type_situation" if file == "situations" else "dispositif"
        prefix = "S:" if file == "situations" else "D:"
        keys = prefix + bad["id_jeune"] + ":" + _iso(_parsed(bad, start)) + ":" \
            + _normalised(bad, kind)
        values = bad[start] + " → " + bad[end]
        return _findings(bad, rule, keys, end, values)
    return None


def _date_window(rule: RuleSpec, file: str, df: pd.DataFrame, ctx: CheckContext):
    if file != rule.params["file"]:
        return None
    name, by = rule.params["field"], rule.params["by"]
    parsed = _parsed(df, name)
    mask = pd.Series(False, index=df.index)
    for value, (lo, hi) in rule.params["windows"].items():
        hit = _normalised(df, by) == value
        if lo:
            mask |= hit & (parsed < pd.Timestamp(lo)).fillna(False)
        if hi:
            mask |= hit & (parsed > pd.Timestamp(hi)).fillna(False)
    bad = df[mask]
    value = _normalised(bad, by)
    keys = "D:" + bad["id_jeune"] + ":" + _iso(_parsed(bad, name)) + ":" + value
    return _findings(bad, rule, keys, name, value + " entré le " + bad[name])


def _orphan(rule: RuleSpec, file: str, df: pd.DataFrame, ctx: CheckContext):
    if file not in rule.params["files"]:
        return None
    missing = df[~ctx.is_known(df["code_ml"], df["id_jeune"])].drop_duplicates(
        ["code_ml", "id_jeune"])
    if missing.empty:
        return None
    fresh = [(c, file, i) not in ctx.orphans_seen
             for c, i in zip(missing["code_ml"], missing["id_jeune"], strict=True)]
    bad = missing[fresh]
    ctx.orphans_seen.update((c, file, i)
                            for c, i in zip(bad["code_ml"], bad["id_jeune"], strict=True))
    keys = "O:" + file + ":" + bad["id_jeune"]
    return _findings(bad, rule, keys, "id_jeune", file + ".csv", in_jeunes=False)


def _date_in_period(rule: RuleSpec, file: str, df: pd.DataFrame, ctx: CheckContext):
    if file != rule.params["file"]:
        return None
    name = rule.params["field"]
    parsed = _parsed(df, name)
    mask = parsed.isna() | (parsed < pd.Timestamp(ctx.period_start)) \
        | (parsed > pd.Timestamp(ctx.period_end))
    bad = df[mask]
    # the event's own content (not its line), so a mark survives a re-export in another order
    keys = "E:" + bad["id_jeune"] + ":" + bad[name] + ":" + nz.upper(bad["type"]) + ":" \
        + nz.upper(bad["thematique"])
    return _findings(bad, rule, keys, name, _raw_or_empty(bad[name]))


ROW_KINDS: dict[str, RowKind] = {
    "date_required": _date_required,
    "age_at": _age_at,
    "in_set": _in_set,
    "not_in_set": _not_in_set,
    "commune_postal": _commune_postal,
    "date_in_past": _date_in_past,
    "date_order": _date_order,
    "date_window": _date_window,
    "orphan": _orphan,
    "date_in_period": _date_in_period,
}


def row_findings(rules: list[RuleSpec], file: str, df: pd.DataFrame,
                 ctx: CheckContext) -> pd.DataFrame:
    """Findings of every row rule on one normalised chunk of ``file``."""
    frames = []
    for rule in rules:
        kind = ROW_KINDS.get(rule.kind)
        if kind is None:
            continue
        found = kind(rule, file, df, ctx)
        if found is not None and not found.empty:
            frames.append(found)
    if not frames:
        return pd.DataFrame(columns=FINDING_COLUMNS)
    return pd.concat(frames, ignore_index=True)


# --- set kinds (SQL over the stored rows) -------------------------------------------------
@dataclass
class SetContext:
    """The extracts being checked (staged by the running import) and the period."""

    import_id: int
    extracts: dict[int, str]  # extract id → code_ml
    period_start: date
    period_end: date


SetKind = Callable[[RuleSpec, Connection, SetContext], pd.DataFrame]


def _query(conn: Connection, sql: str, ctx: SetContext, **params) -> pd.DataFrame:
    stmt = text(sql).bindparams(bindparam("ids", expanding=True),
                                *(bindparam(k, type_=Date) for k, v in params.items()
                                  if isinstance(v, date)))
    result = conn.execute(stmt, {"ids": list(ctx.extracts), **params})
    return pd.DataFrame(result.fetchall(), columns=list(result.keys()))


def _set_findings(rows: pd.DataFrame, rule: RuleSpec, ctx: SetContext, keys: pd.Series,
                  field_name: str, values: pd.Series | str) -> pd.DataFrame:
    if rows.empty:
        return pd.DataFrame(columns=[*FINDING_COLUMNS, "extract_id"])
    out = pd.DataFrame({
        "extract_id": rows["extract_id"].to_numpy(),
        "code_ml": rows["extract_id"].map(ctx.extracts).to_numpy(),
        "rule_code": rule.code,
        "severity": rule.severity,
        "record_key": keys.to_numpy(),
        "id_jeune": rows["id_jeune"].to_numpy(),
        "pseudo": rows["pseudo"].to_numpy() if "pseudo" in rows else None,
        "field": field_name,
        "value": values.to_numpy() if isinstance(values, pd.Series) else values,
        "in_jeunes": rows["in_jeunes"].astype(bool).to_numpy() if "in_jeunes" in rows else True,
    })
    return out


def _duplicate_identity(rule: RuleSpec, conn: Connection, ctx: SetContext) -> pd.DataFrame:
    rows = _query(conn, """
        SELECT j.extract_id, j.id_jeune, j.pseudo, d.n
        FROM pq_jeune j
        JOIN (SELECT extract_id, pseudo, COUNT(DISTINCT id_jeune) AS n FROM pq_jeune
              WHERE extract_id IN :ids GROUP BY extract_id, pseudo
              HAVING COUNT(DISTINCT id_jeune) > 1) d
          ON d.extract_id = j.extract_id AND d.pseudo = j.pseudo
        ORDER BY j.extract_id, j.pseudo, j.id_jeune""", ctx)
    rows = rows.drop_duplicates(["extract_id", "id_jeune"])
    if rows.empty:
        return _set_findings(rows, rule, ctx, rows.get("id_jeune", pd.Series(dtype=str)), "", "")
    others = rows.groupby(["extract_id", "pseudo"])["id_jeune"].transform(
        lambda ids: ", ".join(ids))
    values = "même identité : id_jeune " + others
    return _set_findings(rows, rule, ctx, "J:" + rows["id_jeune"],
                         "nom, prénom, date de naissance", values)


def _cross_ml_overlap(rule: RuleSpec, conn: Connection, ctx: SetContext) -> pd.DataFrame:
    # The pool: this import's extracts, plus the current extracts of the other missions
    # locales (those the import does not bring).
    rows = _query(conn, """
        WITH pool AS (
            SELECT e.id AS extract_id, e.mission_locale_id AS ml FROM parcours_extract e
            WHERE e.id IN :ids
               OR (e.status = 'current' AND e.mission_locale_id NOT IN (
                     SELECT mission_locale_id FROM parcours_extract WHERE id IN :ids))
        ), multi AS (
            SELECT j.pseudo FROM pq_jeune j JOIN pool p ON p.extract_id = j.extract_id
            GROUP BY j.pseudo HAVING COUNT(DISTINCT p.ml) > 1
        ), progs AS (
            SELECT p.ml, j.extract_id, j.id_jeune, j.pseudo, x.date_entree, x.date_sortie
            FROM multi m
            JOIN pq_jeune j ON j.pseudo = m.pseudo
            JOIN pool p ON p.extract_id = j.extract_id
            JOIN pq_dispositif x ON x.extract_id = j.extract_id AND x.id_jeune = j.id_jeune
            WHERE x.date_entree IS NOT NULL
        )
        SELECT DISTINCT a.extract_id, a.id_jeune, a.pseudo
        FROM progs a JOIN progs b
          ON a.pseudo = b.pseudo AND a.ml <> b.ml
         AND (b.date_sortie IS NULL OR a.date_entree <= b.date_sortie)
         AND (a.date_sortie IS NULL OR b.date_entree <= a.date_sortie)
        WHERE a.extract_id IN :ids
        ORDER BY a.extract_id, a.id_jeune""", ctx)
    return _set_findings(rows, rule, ctx, "J:" + rows.get("id_jeune", pd.Series(dtype=str)),
                         "dispositif", "suivi en cours dans une autre mission locale")


def _interval_overlap(rule: RuleSpec, conn: Connection, ctx: SetContext) -> pd.DataFrame:
    types = rule.params["types"]
    stmt_types = bindparam("types", expanding=True)
    sql = text("""
        SELECT DISTINCT a.extract_id, a.id_jeune
        FROM pq_situation a JOIN pq_situation b
          ON b.extract_id = a.extract_id AND b.id_jeune = a.id_jeune AND b.id <> a.id
        WHERE a.extract_id IN :ids
          AND a.type_situation IN :types AND b.type_situation IN :types
          AND a.date_debut IS NOT NULL AND b.date_debut IS NOT NULL
          AND (a.date_fin IS NULL OR a.date_fin >= a.date_debut)
          AND (b.date_fin IS NULL OR b.date_fin >= b.date_debut)
          AND (b.date_fin IS NULL OR a.date_debut <= b.date_fin)
          AND (a.date_fin IS NULL OR b.date_debut <= a.date_fin)
        ORDER BY a.extract_id, a.id_jeune""").bindparams(
        bindparam("ids", expanding=True), stmt_types)
    result = conn.execute(sql, {"ids": list(ctx.extracts), "types": types})
    rows = pd.DataFrame(result.fetchall(), columns=list(result.keys()))
    return _set_findings(rows, rule, ctx, "J:" + rows.get("id_jeune", pd.Series(dtype=str)),
                         "type_situation", "situations d'emploi qui se chevauchent")


def _open_duplicates(rule: RuleSpec, conn: Connection, ctx: SetContext) -> pd.DataFrame:
    sql = text("""
        SELECT extract_id, id_jeune, dispositif, COUNT(*) AS n FROM pq_dispositif
        WHERE extract_id IN :ids AND date_sortie IS NULL AND dispositif IN :values
        GROUP BY extract_id, id_jeune, dispositif HAVING COUNT(*) > 1
        ORDER BY extract_id, id_jeune, dispositif""").bindparams(
        bindparam("ids", expanding=True), bindparam("values", expanding=True))
    result = conn.execute(sql, {"ids": list(ctx.extracts), "values": rule.params["values"]})
    rows = pd.DataFrame(result.fetchall(), columns=list(result.keys()))
    if rows.empty:
        return _set_findings(rows, rule, ctx, pd.Series(dtype=str), "dispositif", "")
    keys = "J:" + rows["id_jeune"] + ":" + rows["dispositif"]
    values = rows["n"].astype(str) + " " + rows["dispositif"] + " ouverts"
    return _set_findings(rows, rule, ctx, keys, "dispositif", values)


def _stale_open(rule: RuleSpec, conn: Connection, ctx: SetContext) -> pd.DataFrame:
    window_start = nz.minus_months(ctx.period_end, rule.params["months"])
    rows = _query(conn, """
        SELECT j.extract_id, j.id_jeune, j.pseudo FROM pq_jeune j
        WHERE j.extract_id IN :ids
          AND EXISTS (SELECT 1 FROM pq_dispositif x WHERE x.extract_id = j.extract_id
                      AND x.id_jeune = j.id_jeune AND x.date_sortie IS NULL)
          AND NOT EXISTS (SELECT 1 FROM pq_activite a WHERE a.extract_id = j.extract_id
                          AND a.id_jeune = j.id_jeune
                          AND a.last_event BETWEEN :start AND :end)
        ORDER BY j.extract_id, j.id_jeune""", ctx, start=window_start, end=ctx.period_end)
    rows = rows.drop_duplicates(["extract_id", "id_jeune"])
    return _set_findings(rows, rule, ctx, "J:" + rows.get("id_jeune", pd.Series(dtype=str)),
                         "date_evenement",
                         f"aucun événement depuis le {window_start.strftime('%d/%m/%Y')}")


SET_KINDS: dict[str, SetKind] = {
    "duplicate_identity": _duplicate_identity,
    "cross_ml_overlap": _cross_ml_overlap,
    "interval_overlap": _interval_overlap,
    "open_duplicates": _open_duplicates,
    "stale_open": _stale_open,
}


def set_findings(rules: list[RuleSpec], conn: Connection, ctx: SetContext) -> pd.DataFrame:
    frames = [SET_KINDS[r.kind](r, conn, ctx) for r in rules if r.kind in SET_KINDS]
    frames = [f for f in frames if not f.empty]
    if not frames:
        return pd.DataFrame(columns=[*FINDING_COLUMNS, "extract_id"])
    return pd.concat(frames, ignore_index=True)


def unknown_kinds(rules: list[RuleSpec]) -> list[str]:
    """Rules whose kind this engine does not know (a charter newer than the code)."""
    return [r.code for r in rules if r.kind not in ROW_KINDS and r.kind not in SET_KINDS]
