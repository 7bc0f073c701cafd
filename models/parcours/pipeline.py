"""The import: read, pseudonymise, store, check, then switch the extracts over at once.

Rows are written in chunks into *staged* extracts (committed as they go, so a large
file never holds the write lock for long); readers only ever look at *current*
extracts. The last step is one short transaction that makes the staged extracts
current and marks those they replace (same mission locale, same period) as replaced.
A refusal or a crash before that step deletes the staged rows and leaves the
previous data untouched; a crash in between is swept by ``lifecycle.cleanup_stale``.

Called from the job runner, the CLI and the tests with an Engine: it manages its
own transactions because it must commit in steps.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import Engine, delete, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from models.errors import DomainError
from models.network.orm import MissionLocale
from models.observatory import aggregates as observatory
from models.observatory.orm import ObservatoryAggregate
from models.observatory.services import observatory_settings
from models.operations.keycheck import ensure_key_matches
from models.parcours import engine as checks
from models.parcours import normalise as nz
from models.parcours.bulk import bulk_insert, iso_date_series, none_if_empty, nullable
from models.parcours.charter import CURRENT_NIVEAUX, OLD_NIVEAUX, current_version
from models.parcours.errors import ImportRefused
from models.parcours.lifecycle import discard_staged, drop_rows, now_utc, set_status
from models.parcours.orm import (
    CharterRule,
    ParcoursExtract,
    ParcoursImport,
    PqActivite,
    PqDispositif,
    PqEvenement,
    PqJeune,
    PqSituation,
    QualityFinding,
)
from models.parcours.pseudonym import pseudonym_key, pseudonyms
from models.parcours.reading import CHUNK_ROWS, FileInfo, Source, inspect, read_chunks
from models.parcours.retention import purge_at_import
from models.parcours.scoring import refresh_quality

log = logging.getLogger(__name__)

ROW_TABLES = {"jeunes": PqJeune, "evenements": PqEvenement, "situations": PqSituation,
              "dispositifs": PqDispositif}
LOGEMENTS = {"PARENTS", "AUTONOME", "HEBERGE", "FOYER", "SANS", "AUTRE"}
MAX_ID_LENGTH = 40

Progress = Callable[[str, int], None]


@dataclass
class ImportOutcome:
    import_id: int
    extracts: dict[str, int] = field(default_factory=dict)  # code_ml → extract id
    counts: dict[str, int] = field(default_factory=dict)
    findings: int = 0
    duration_ms: int = 0
    notices: list[str] = field(default_factory=list)
    observatory_ms: int = 0  # part of the duration spent on the observatory's aggregates


# --- per-file normalisation ---------------------------------------------------------------
@dataclass
class _Run:
    import_id: int
    period_start: date
    period_end: date
    today: date
    key: bytes
    ml_ids: dict[str, int]
    rules: list[checks.RuleSpec]
    charter_version_id: int
    extracts: dict[str, int] = field(default_factory=dict)
    counts: dict[str, dict[str, int]] = field(default_factory=dict)  # code → file → n
    findings: int = 0
    excel_dates: int = 0
    activity: pd.DataFrame | None = None  # (code_ml, id_jeune) → first, last, events
    jdi_months: int = 5
    observatory: observatory.Accumulator | None = None
    observatory_ms: int = 0  # time spent on the observatory's aggregates (bench)

    def add_activity(self, chunk: pd.DataFrame) -> None:
        """Fold a chunk of events into the per-person activity (events inside the period)."""
        dates = chunk["date_evenement__d"]
        inside = dates.notna() & (dates >= pd.Timestamp(self.period_start)) \
            & (dates <= pd.Timestamp(self.period_end))
        grouped = chunk[inside].groupby(["code_ml", "id_jeune"])["date_evenement__d"].agg(
            first="min", last="max", events="count")
        if self.activity is not None:
            grouped = pd.concat([self.activity, grouped]).groupby(level=[0, 1]).agg(
                first=("first", "min"), last=("last", "max"), events=("events", "sum"))
        self.activity = grouped


def _structural_checks(info: FileInfo, chunk: pd.DataFrame, run: _Run) -> None:
    codes = chunk["code_ml"]
    unknown = ~codes.isin(run.ml_ids.keys())
    problems = []
    if unknown.any():
        first = chunk[unknown].iloc[0]
        value = first["code_ml"] or "(vide)"
        problems.append(
            f"{info.member}, ligne {first['line']} : code_ml « {value} » inconnu. Le code doit "
            "être celui d'une mission locale du réseau (voir la page Réseau) ; corrigez-le ou "
            "demandez à l'équipe ARML d'ajouter la mission locale.")
    ids = chunk["id_jeune"]
    empty = ids == ""
    if empty.any():
        problems.append(f"{info.member}, ligne {chunk[empty].iloc[0]['line']} : id_jeune vide. "
                        "Chaque ligne doit porter l'identifiant du jeune.")
    long = ids.str.len() > MAX_ID_LENGTH
    if long.any():
        problems.append(f"{info.member}, ligne {chunk[long].iloc[0]['line']} : id_jeune de plus "
                        f"de {MAX_ID_LENGTH} caractères : ce n'est pas un identifiant i-milo.")
    if problems:
        raise ImportRefused(problems)


def _refuse_repeated_young(info: FileInfo, chunk: pd.DataFrame,
                           ctx: checks.CheckContext) -> None:
    """One row per young person per mission locale: a repeated id_jeune refuses the file."""
    repeated = chunk.duplicated(["code_ml", "id_jeune"], keep="first").to_numpy() \
        | ctx.is_known(chunk["code_ml"], chunk["id_jeune"])
    if repeated.any():
        first = chunk[repeated].iloc[0]
        raise ImportRefused([
            f"{info.member}, ligne {first['line']} : le jeune id_jeune {first['id_jeune']} de "
            f"la mission locale {first['code_ml']} figure déjà plus haut dans le fichier. "
            "Chaque jeune ne doit y figurer qu'une fois : supprimez les lignes en double."])


def _prepare(file: str, chunk: pd.DataFrame, run: _Run, *,
             pseudonymise: bool = True) -> pd.DataFrame:
    """Add the parsed columns (``<field>__d`` dates, ``<field>__n`` normalised values)."""
    chunk = chunk.copy()
    chunk["code_ml"] = nz.upper(chunk["code_ml"])
    chunk["id_jeune"] = nz.clean(chunk["id_jeune"])
    date_fields = {"jeunes": ["date_naissance", "date_premier_accueil"],
                   "evenements": ["date_evenement"],
                   "situations": ["date_debut", "date_fin"],
                   "dispositifs": ["date_entree", "date_sortie"]}[file]
    for name in date_fields:
        chunk[name] = nz.clean(chunk[name])
        chunk[name + "__d"], excel = nz.parse_dates(chunk[name])
        run.excel_dates += excel
    if file == "jeunes":
        chunk["sexe__n"] = nz.upper(chunk["sexe"])
        chunk["niveau_formation__n"] = nz.niveau(chunk["niveau_formation"])
        chunk["code_commune__n"] = nz.upper(chunk["code_commune"])
        chunk["code_postal__n"] = nz.clean(chunk["code_postal"])
        chunk["departement"] = nz.departement_of_commune(chunk["code_commune__n"])
        chunk["age"] = nz.completed_years(chunk["date_naissance__d"],
                                          chunk["date_premier_accueil__d"])
        chunk["pseudo"] = pseudonyms(run.key, chunk["nom"], chunk["prenom"],
                                     nz.iso_dates(chunk["date_naissance__d"]),
                                     chunk["date_naissance"],
                                     chunk["code_ml"] + "|" + chunk["id_jeune"]) \
            if pseudonymise else ""
    elif file == "dispositifs":
        chunk["dispositif__n"] = nz.upper(chunk["dispositif"])
    return chunk


def _rows(file: str, chunk: pd.DataFrame, run: _Run) -> pd.DataFrame:
    """The columns stored for ``file`` (identity already reduced to a pseudonym)."""
    codes, uniques = pd.factorize(chunk["code_ml"])
    extract = pd.Series(np.array([run.extracts[c] for c in uniques], dtype=np.int64)[codes]
                        if len(uniques) else np.array([], dtype=np.int64), index=chunk.index)
    if file == "jeunes":
        birth = chunk["date_naissance__d"]
        sexe = chunk["sexe__n"].where(chunk["sexe__n"].isin(["F", "H"]), None)
        niveau = chunk["niveau_formation__n"]
        niveau = niveau.where(niveau.isin(CURRENT_NIVEAUX + OLD_NIVEAUX), None)
        dept = chunk["departement"]
        commune = chunk["code_commune__n"].where(dept != "", None)
        postal = chunk["code_postal__n"]
        postal = postal.where(postal.str.fullmatch(r"\d{5}"), None)
        logement = nz.upper(chunk["logement"])
        return pd.DataFrame({
            "extract_id": extract, "id_jeune": chunk["id_jeune"], "pseudo": chunk["pseudo"],
            "sexe": sexe, "code_postal": postal, "code_commune": commune,
            "departement": dept.where(dept != "", None),
            "qpv": nz.parse_bool(chunk["qpv"]), "zrr": nz.parse_bool(chunk["zrr"]),
            "niveau_formation": niveau,
            "birth_year": nullable(birth.dt.year.astype("Int16")),
            "birth_month": nullable(birth.dt.month.astype("Int16")),
            "age_premier_accueil": nullable(chunk["age"]),
            "date_premier_accueil": iso_date_series(chunk["date_premier_accueil__d"]),
            "logement": logement.where(logement.isin(LOGEMENTS), None),
            "permis_b": nz.parse_bool(chunk["permis_b"]),
            "vehicule": nz.parse_bool(chunk["vehicule"]),
            "rqth": nz.parse_bool(chunk["rqth"]),
        })
    if file == "evenements":
        return pd.DataFrame({
            "extract_id": extract, "id_jeune": chunk["id_jeune"],
            "date_evenement": iso_date_series(chunk["date_evenement__d"]),
            "type": none_if_empty(nz.upper(chunk["type"]).str[:12]),
            "thematique": none_if_empty(nz.upper(chunk["thematique"]).str[:12]),
        })
    if file == "situations":
        return pd.DataFrame({
            "extract_id": extract, "id_jeune": chunk["id_jeune"],
            "type_situation": none_if_empty(nz.upper(chunk["type_situation"]).str[:20]),
            "date_debut": iso_date_series(chunk["date_debut__d"]),
            "date_fin": iso_date_series(chunk["date_fin__d"]),
        })
    return pd.DataFrame({
        "extract_id": extract, "id_jeune": chunk["id_jeune"],
        "dispositif": none_if_empty(chunk["dispositif__n"].str[:20]),
        "date_entree": iso_date_series(chunk["date_entree__d"]),
        "date_sortie": iso_date_series(chunk["date_sortie__d"]),
        "motif_sortie": none_if_empty(nz.clean(chunk["motif_sortie"]).str[:100]),
    })


def _store_activity(engine: Engine, run: _Run) -> None:
    if run.activity is None or run.activity.empty:
        return
    activity = run.activity.reset_index()
    rows = pd.DataFrame({
        "extract_id": activity["code_ml"].map(run.extracts),
        "id_jeune": activity["id_jeune"],
        "first_event": iso_date_series(activity["first"]),
        "last_event": iso_date_series(activity["last"]),
        "events": activity["events"].astype(int),
    }).sort_values(["extract_id", "id_jeune"])
    with engine.begin() as conn:
        bulk_insert(conn, PqActivite, rows)
    run.activity = None


def _store_findings(conn: Connection, frame: pd.DataFrame, run: _Run) -> None:
    if frame.empty:
        return
    frame = frame.copy()
    if "extract_id" not in frame:
        frame["extract_id"] = frame["code_ml"].map(run.extracts)
    out = pd.DataFrame({
        "extract_id": frame["extract_id"].astype(int),
        "rule_code": frame["rule_code"], "severity": frame["severity"],
        "record_key": frame["record_key"].astype(str).str[:120],
        "id_jeune": frame["id_jeune"].astype(str),
        "pseudo": frame["pseudo"].where(frame["pseudo"].notna(), None),
        "field": frame["field"].astype(str).str[:40],
        "value": frame["value"].fillna("").astype(str).str[:200],
        "in_jeunes": frame["in_jeunes"].astype(bool),
    })
    bulk_insert(conn, QualityFinding, out)
    run.findings += len(out)


def _ensure_extracts(engine: Engine, codes: np.ndarray, run: _Run) -> None:
    new = [c for c in codes if c not in run.extracts]
    if not new:
        return
    with engine.begin() as conn:
        for code in sorted(new):
            result = conn.execute(insert(ParcoursExtract).values(
                import_id=run.import_id, mission_locale_id=run.ml_ids[code],
                period_start=run.period_start, period_end=run.period_end, status="staged",
                created_at=now_utc(), charter_version_id=run.charter_version_id))
            run.extracts[code] = result.inserted_primary_key[0]
            run.counts[code] = {"jeunes": 0, "evenements": 0, "situations": 0,
                                "dispositifs": 0}


# --- the import ----------------------------------------------------------------------------
def run_import(engine: Engine, import_id: int, path: Path, *, today: date,
               key: bytes | None = None, chunk_rows: int = CHUNK_ROWS,
               progress: Progress | None = None) -> ImportOutcome:
    """Run a queued import to its end: current extracts, or a refusal that wrote nothing.

    Raises ``ImportRefused`` (after recording it) when the files cannot be read.
    """
    started = time.perf_counter()
    # Claim the import: only one runner moves it from "en attente" to "en cours" (a job
    # queued twice, or a sweep racing a slow queue, then does nothing).
    with engine.begin() as conn:
        claimed = conn.execute(update(ParcoursImport).where(
            ParcoursImport.id == import_id, ParcoursImport.status == "en_attente").values(
            status="en_cours", started_at=now_utc(), progress=1, stage="Lecture des fichiers",
            message="")).rowcount
    if not claimed:
        with Session(engine) as session:
            if session.get(ParcoursImport, import_id) is None:
                raise LookupError(f"import {import_id} introuvable")
        return ImportOutcome(import_id=import_id)
    try:
        key = key if key is not None else pseudonym_key()
        ensure_key_matches(engine, key)  # never a silent new key: pseudonyms must match
    except DomainError as exc:  # production without PARCOURS_PSEUDO_KEY
        set_status(engine, import_id, status="refuse", message=str(exc), stage="Import refusé",
                    finished_at=now_utc(), duration_ms=int((time.perf_counter() - started) * 1000))
        raise
    with Session(engine) as session:
        record = session.get(ParcoursImport, import_id)
        assert record is not None
        version = current_version(session)
        rules = [checks.RuleSpec(r.code, r.kind, r.severity, dict(r.params))
                 for r in session.scalars(select(CharterRule).where(
                     CharterRule.version_id == version.id).order_by(CharterRule.code))]
        ml_ids = {code.upper(): ml_id for code, ml_id in session.execute(
            select(MissionLocale.code, MissionLocale.id))}
        jdi_months = observatory_settings(session).jdi_months
        period_start, period_end = record.period_start, record.period_end
        record.charter_version_id = version.id
        version_id = version.id
        session.commit()

    def report(stage: str, percent: int) -> None:
        set_status(engine, import_id, stage=stage, progress=max(1, min(99, percent)))
        if progress is not None:
            progress(stage, percent)

    run = _Run(import_id=import_id, period_start=period_start, period_end=period_end,
               today=today, key=key, ml_ids=ml_ids,
               rules=rules, charter_version_id=version_id, jdi_months=jdi_months)
    try:
        outcome = _run(engine, run, path, chunk_rows, report)
    except ImportRefused as refusal:
        discard_staged(engine, import_id)
        set_status(engine, import_id, status="refuse", message=str(refusal),
                    stage="Import refusé", finished_at=now_utc(),
                    duration_ms=int((time.perf_counter() - started) * 1000))
        raise
    except BaseException:
        log.exception("parcours import %s failed", import_id)
        discard_staged(engine, import_id)
        set_status(engine, import_id, status="echec", stage="Échec",
                    message="L'import s'est interrompu sur une erreur interne ; les données "
                            "précédentes sont intactes. Relancez-le ou contactez "
                            "l'administrateur.",
                    finished_at=now_utc(),
                    duration_ms=int((time.perf_counter() - started) * 1000))
        raise
    outcome.duration_ms = int((time.perf_counter() - started) * 1000)
    set_status(engine, import_id, duration_ms=outcome.duration_ms)
    if progress is not None:
        progress("Terminé", 100)
    return outcome


def _run(engine: Engine, run: _Run, path: Path, chunk_rows: int,
         report: Callable[[str, int], None]) -> ImportOutcome:
    source = Source(path)
    try:
        infos = source.files()
        problems: list[str] = []
        for info in infos:
            problems.extend(inspect(info))
        if problems:
            raise ImportRefused(problems)
        notices = [f"{info.member} : colonne(s) ignorée(s) : {', '.join(info.ignored)}."
                   for info in infos if info.ignored]
        total = sum(info.size for info in infos) or 1
        done = 0
        ctx = checks.CheckContext(run.period_start, run.period_end, run.today)
        run.observatory = observatory.Accumulator(run.period_start, run.period_end)
        for info in infos:
            for chunk, position in read_chunks(info, chunk_rows):
                if chunk.empty:
                    continue
                chunk = chunk.assign(code_ml=nz.upper(chunk["code_ml"]),
                                     id_jeune=nz.clean(chunk["id_jeune"]))
                _structural_checks(info, chunk, run)
                _ensure_extracts(engine, chunk["code_ml"].unique(), run)
                prepared = _prepare(info.name, chunk, run)
                if info.name == "jeunes":
                    _refuse_repeated_young(info, prepared, ctx)
                    ctx.add_known(prepared["code_ml"], prepared["id_jeune"])
                found = checks.row_findings(run.rules, info.name, prepared, ctx)
                if info.name == "evenements":
                    run.add_activity(prepared)
                rows = _rows(info.name, prepared, run)
                if info.name != "evenements":  # B-tree on (extract, id_jeune): insert in order
                    rows = rows.sort_values(["extract_id", "id_jeune"], kind="stable")
                tick = time.perf_counter()
                run.observatory.add(info.name, rows)
                run.observatory_ms += int((time.perf_counter() - tick) * 1000)
                with engine.begin() as conn:
                    bulk_insert(conn, ROW_TABLES[info.name], rows)
                    _store_findings(conn, found, run)
                for code, n in prepared["code_ml"].value_counts().items():
                    run.counts[code][info.name] += int(n)
                report(f"Lecture de {info.member}",
                       int(80 * (done + min(position, info.size)) / total))
            done += info.size
        if not run.extracts:
            raise ImportRefused([f"{infos[0].member} : aucune ligne de données après l'en-tête. "
                                 "L'extraction est vide."])
        _store_activity(engine, run)
        report("Contrôle de la charte (doublons, chevauchements, suivi)", 85)
        set_ctx = checks.SetContext(run.import_id, {v: k for k, v in run.extracts.items()},
                                    run.period_start, run.period_end)
        with engine.begin() as conn:
            found = checks.set_findings(run.rules, conn, set_ctx)
            _store_findings(conn, found, run)
        report("Calcul des agrégats de l'observatoire", 90)
        _store_observatory(engine, run)
        report("Calcul des scores", 95)
        notices.extend(f"{info.member} : des lignes comptent un champ de plus que l'en-tête "
                       "(souvent un « ; » final) ; ce champ a été ignoré."
                       for info in infos if info.surplus_fields)
        if run.excel_dates:
            notices.append(f"{run.excel_dates} date(s) au format numérique d'Excel (par exemple "
                           "44927) converties en dates : vérifiez le format des colonnes de "
                           "dates dans votre export.")
        checksums = {info.member: info.sha256 for info in infos}
        totals = {name: sum(c[name] for c in run.counts.values())
                  for name in ("jeunes", "evenements", "situations", "dispositifs")}
        _activate(engine, run, checksums, totals, notices)
        return ImportOutcome(import_id=run.import_id, extracts=dict(run.extracts),
                             counts=totals, findings=run.findings, notices=notices,
                             observatory_ms=run.observatory_ms)
    finally:
        source.close()


def _store_observatory(engine: Engine, run: _Run) -> None:
    """Each staged extract's contribution to the observatory (readers see it once current)."""
    tick = time.perf_counter()
    inputs = run.observatory.extract_inputs() if run.observatory else {}
    run.observatory = None
    with engine.begin() as conn:
        for extract_id in sorted(run.extracts.values()):
            found = inputs.get(extract_id)
            if found is None:  # no young person for this ML (only orphan rows)
                continue
            observatory.store(conn, extract_id, observatory.compute(
                found, run.period_start, run.period_end, jdi_months=run.jdi_months))
    run.observatory_ms += int((time.perf_counter() - tick) * 1000)


def _activate(engine: Engine, run: _Run, checksums: dict[str, str], totals: dict[str, int],
              notices: list[str]) -> None:
    """The switch-over: one transaction makes this import's extracts the current ones.

    It also applies the retention rule (``retention.purge_at_import``): rows of young
    people already past their limit are removed before the extracts become current.
    The extract's counters, quality counts and observatory figures are computed before
    that and describe the file as received, as they do after a weekly purge.
    """
    extract_ids = list(run.extracts.values())
    with engine.begin() as conn:
        # Serialise switch-overs of the same missions locales (two imports of one ML and
        # period finishing together). SQLite: the UPDATE below takes the database write
        # lock before the current extracts are read. PostgreSQL: lock the ML rows.
        if conn.dialect.name == "postgresql":
            conn.execute(select(MissionLocale.id).where(
                MissionLocale.id.in_([run.ml_ids[c] for c in run.extracts]))
                .order_by(MissionLocale.id).with_for_update())
        for code, extract_id in run.extracts.items():
            conn.execute(update(ParcoursExtract).where(ParcoursExtract.id == extract_id).values(
                **run.counts[code]))
        with Session(bind=conn) as session:
            refresh_quality(session, extract_ids)
            session.flush()
        # Retention (décret 2015-59): young people already past their limit are not kept,
        # so an extract never brings purged people back. Counters, rule counts and the
        # observatory's figures were computed above and keep describing the file as received.
        dropped = purge_at_import(conn, extract_ids, run.today)
        if dropped:
            notices.append(f"{dropped} jeune(s) au-delà de la durée légale de conservation "
                           "(27 ans, ou 11 ans après le premier accueil sans date de "
                           "naissance) n'ont pas été conservés ; ils restent comptés dans "
                           "les totaux et les indicateurs de l'extraction.")
        replaced = []
        for code in run.extracts:
            ids = conn.scalars(select(ParcoursExtract.id).where(
                ParcoursExtract.mission_locale_id == run.ml_ids[code],
                ParcoursExtract.period_start == run.period_start,
                ParcoursExtract.period_end == run.period_end,
                ParcoursExtract.status == "current")).all()
            replaced.extend(ids)
        if replaced:
            conn.execute(update(ParcoursExtract).where(ParcoursExtract.id.in_(replaced))
                         .values(status="replaced"))
            # the old vintage leaves the observatory with the switch-over: two vintages
            # side by side would publish their difference
            conn.execute(delete(ObservatoryAggregate).where(
                ObservatoryAggregate.extract_id.in_(replaced)))
        conn.execute(update(ParcoursExtract).where(ParcoursExtract.id.in_(extract_ids))
                     .values(status="current", activated_at=now_utc()))
        conn.execute(update(ParcoursImport).where(ParcoursImport.id == run.import_id).values(
            status="termine", progress=100, stage="Terminé", finished_at=now_utc(),
            checksums=checksums, counts=totals, notices=notices))
    drop_rows(engine, replaced)
