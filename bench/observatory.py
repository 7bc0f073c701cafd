"""Observatory costs at the scale of a large region, as ratios from one run.

Usage: ``.venv/bin/python bench/observatory.py [--scale 3] [--jeunes 110000]
[--backend both] [--repeat 3]``. Generates the same regions as ``bench/parcours.py``
(its 1× region, 110,000 young people over the 40 demo missions locales, for
January–September 2026, and the 3× region for 2025), imports the 1× one, measures, then
imports the 3× one into the same database (the observatory then holds both years, as a
real one does after two extracts) and measures again. For SQLite and PostgreSQL (a
throwaway cluster, as the tests start it) it prints:

1. the aggregates inside the import: ``ImportOutcome.observatory_ms / duration_ms``
   (goal ≤ 15 %);
2. the observatory's data calls for a page: ``queries.publication`` with an empty cache
   (after ``clear_cache()``: load + secrecy of every indicator) and from the cache, for the
   extract period and for one month, median of a few runs, and the ratio after 3× / at 1×
   (goal: cached ≤ 300 ms at 1×, and no slower at 3×);
3. ``secrecy.protect`` alone on the largest linked set (the indicator with the most
   cells, its problem rebuilt as ``queries._protect_family`` does; median of a few runs):
   cells, lines, hidden cells, seconds (goal ≤ 200 ms); and the slowest indicator, when
   it is another one (one run each);

with, as the reference measured in the same run, ``pandas.read_csv`` parsing the 1×
region's ``jeunes.csv`` (every figure is also given as a multiple of it). Prints only; no
figure is asserted.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # as models/__init__ (before numpy)

import argparse  # noqa: E402
import json  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
from datetime import date  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import parcours as pc  # noqa: E402  (generation, databases, median_time)

# The month measured in each state: a month inside the latest imported extract.
MONTH_1 = (date(2026, 3, 1), date(2026, 3, 31))
MONTH_3 = (date(2025, 3, 1), date(2025, 3, 31))


# ----------------------------------------------------------------------------- import
def child_import(url: str, path: str, start: str, end: str) -> None:
    """Run in a child process: one import, then its outcome's timings as JSON."""
    from sqlalchemy.orm import Session

    import models  # noqa: F401
    from models.database import make_engine
    from models.parcours.orm import ParcoursImport
    from models.parcours.pipeline import run_import

    engine = make_engine(url)
    with Session(engine) as session:
        record = ParcoursImport(source_name=Path(path).name,
                                period_start=date.fromisoformat(start),
                                period_end=date.fromisoformat(end))
        session.add(record)
        session.commit()
        import_id = record.id
    outcome = run_import(engine, import_id, Path(path), today=pc.TODAY, key=b"bench-key")
    print(json.dumps({"duration_ms": outcome.duration_ms,
                      "observatory_ms": outcome.observatory_ms,
                      "findings": outcome.findings, "counts": outcome.counts}))


def run_child_import(url: str, folder: Path, period: tuple[date, date], workdir: Path) -> dict:
    env = {**os.environ, "ANIMARESEAU_INSTANCE_PATH": str(workdir)}
    result = subprocess.run(
        [sys.executable, __file__, "--child-import", url, str(folder),
         period[0].isoformat(), period[1].isoformat()],
        cwd=ROOT, env=env, check=True, capture_output=True, text=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


# ------------------------------------------------------------------------ measures
def jeunes_baseline(folder: Path) -> float:
    import pandas as pd

    return pc.median_time(lambda: pd.read_csv(folder / "jeunes.csv", sep=";"), 5)


def publication_times(session, periods: dict[str, tuple[date, date]], repeat: int) -> dict:
    """Median seconds of ``publication`` per period, cache emptied before each run, then
    served from the cache; and the size of what it returns."""
    from models.observatory import queries

    out = {}
    for label, (start, end) in periods.items():
        def cold(start=start, end=end) -> None:
            queries.clear_cache()
            queries.publication(session, None, start, end)

        cold_s = pc.median_time(cold, repeat)
        queries.publication(session, None, start, end)  # fill the cache
        warm_s = pc.median_time(lambda start=start, end=end: queries.publication(
            session, None, start, end), max(10, repeat))
        published = queries.publication(session, None, start, end)
        cells = sum(len(t.cells) for t in published.tables.values())
        hidden = sum(t.hidden_count for t in published.tables.values())
        out[label] = {"cold": cold_s, "warm": warm_s, "tables": len(published.tables),
                      "cells": cells, "hidden": hidden, "covered": published.covered}
    return out


def _family_problem(stored, measure: str):
    """One indicator's linked problem over every stored period, as
    ``queries._protect_family`` builds it (cells, lines, cells never published)."""
    import numpy as np

    from models.observatory import queries
    from models.observatory.catalogue import INDICATORS, tables_for

    builder = queries._Builder(stored, measure)
    for period in stored.periods():
        chosen = stored.chosen(period)
        if not chosen:
            continue
        for spec in tables_for(period.granularity, measure):
            builder.table(spec, period, chosen)
    additive = INDICATORS[measure].time_additive
    if additive != "non":
        queries._time_lines(builder.problem, exact=additive == "exact")
    forced = np.zeros(len(builder.problem.keys), dtype=bool)
    forced[list(builder.forced)] = True
    return builder.problem, forced


def secrecy_times(session, repeat: int) -> dict:
    """``secrecy.protect`` alone, per indicator (one run each), and on the indicator with
    the most cells (median of ``repeat``); checks the mask is the one published."""
    import numpy as np

    from models.observatory import queries, secrecy
    from models.observatory.services import observatory_settings

    k = observatory_settings(session).threshold
    stored, families = queries._families(session, k)
    largest = max(families, key=lambda m: len(families[m].problem.keys))
    out: dict = {"k": k, "families": {}}
    for measure in families:
        problem, forced = _family_problem(stored, measure)
        if not problem.keys:
            continue
        values = np.array(problem.values, dtype=np.int64)
        owners = np.array(problem.owners)
        found = []

        def protect(values=values, problem=problem, owners=owners, forced=forced,
                    found=found) -> None:
            found.append(secrecy.protect(values, problem.lines, k, keys=problem.keys,
                                         owners=owners, forced=forced, interval_lp=False))

        seconds = pc.median_time(protect, repeat if measure == largest else 1)
        status = np.asarray(found[-1].status)
        out["families"][measure] = {
            "cells": len(problem.keys), "lines": len(problem.lines),
            "primary": int((status == secrecy.PRIMARY).sum()),
            "secondary": int((status == secrecy.SECONDARY).sum()),
            "hidden": int((status > 0).sum()), "rounds": found[-1].rounds,
            "seconds": seconds,
            "same_as_publication": bool(np.array_equal(status, families[measure].status))}
    out["largest"] = largest
    out["slowest"] = max(out["families"], key=lambda m: out["families"][m]["seconds"])
    return out


def measure_state(url: str, periods: dict[str, tuple[date, date]], repeat: int) -> dict:
    from sqlalchemy.orm import Session

    import models  # noqa: F401
    from models.database import make_engine
    from models.observatory import queries

    engine = make_engine(url)
    try:
        with Session(engine) as session:
            pages = publication_times(session, periods, repeat)
            family = secrecy_times(session, repeat)  # reads the cache publication filled
    finally:
        queries.clear_cache()
        engine.dispose()
    return {"publication": pages, "secrecy": family}


# ---------------------------------------------------------------------------- report
def _ms(seconds: float) -> str:
    return f"{seconds * 1000:9.1f} ms"


def report(name: str, data: dict, states: dict[str, dict], imports: dict[str, dict]) -> None:
    base = data["baseline"]
    print(f"\n== {name} ==")
    print("1. agrégats dans l'import / aggregates inside the import (objectif ≤ 15 %)")
    print(f"   {'région':8} {'import':>10} {'observatoire':>13} {'part':>7}")
    for label, one in imports.items():
        share = one["observatory_ms"] / one["duration_ms"] if one["duration_ms"] else 0.0
        print(f"   {label:8} {one['duration_ms'] / 1000:8.1f} s "
              f"{one['observatory_ms'] / 1000:11.1f} s {share * 100:6.1f} %")
    print("2. publication() — médiane / median "
          f"(objectif : cache ≤ 300 ms à 1×, pas plus lent à {data['scale_label']})")
    print(f"   {'état / période':34} {'cache vide / cold':>18} {'cache / warm':>14} "
          f"{'cache ÷ csv':>11} {'cellules':>9}")
    first = next(iter(states.values()))["publication"]
    for state, result in states.items():
        for label, page in result["publication"].items():
            print(f"   {state + ' · ' + label:34} {_ms(page['cold']):>18} {_ms(page['warm']):>14}"
                  f" {page['warm'] / base:11.2f} {page['cells']:9d}")
    if len(states) > 1:
        last = list(states.values())[-1]["publication"]
        for (label1, one), (_label3, three) in zip(first.items(), last.items(), strict=True):
            kind = label1.split(" ")[0]
            print(f"   ratio {data['scale_label']}/1× ({kind}) : cache vide "
                  f"{three['cold'] / one['cold']:.2f}, cache {three['warm'] / one['warm']:.2f}")
    print("3. secrecy.protect seul / alone — plus grand ensemble lié / largest linked set "
          "(objectif ≤ 200 ms)")
    print(f"   {'état · indicateur':38} {'cellules':>8} {'lignes':>7} {'masquées':>9} "
          f"{'tours':>5} {'temps':>12} {'× read_csv':>11}")
    for state, result in states.items():
        sec = result["secrecy"]
        shown = [sec["largest"]] + ([sec["slowest"]] if sec["slowest"] != sec["largest"] else [])
        for measure in shown:
            fam = sec["families"][measure]
            tag = "plus grand / largest" if measure == sec["largest"] else "plus lent / slowest"
            print(f"   {state + ' · ' + measure:38} {fam['cells']:8d} {fam['lines']:7d} "
                  f"{fam['hidden']:9d} {fam['rounds']:5d} {_ms(fam['seconds']):>12} "
                  f"{fam['seconds'] / base:11.1f}  {tag}"
                  + ("" if fam["same_as_publication"] else "  (masque ≠ publication !)"))
        total = sum(f["seconds"] for f in sec["families"].values())
        print(f"   {state + ' · les ' + str(len(sec['families'])) + ' indicateurs':38} "
              f"{sum(f['cells'] for f in sec['families'].values()):8d} "
              f"{sum(f['lines'] for f in sec['families'].values()):7d} "
              f"{sum(f['hidden'] for f in sec['families'].values()):9d} {'':5} "
              f"{_ms(total):>12} {total / base:11.1f}  (seuil k = {sec['k']})")


def bench_backend(name: str, url: str, data: dict, workdir: Path, args) -> dict:
    pc.prepare_database(url, workdir)
    imports = {"1×": run_child_import(url, data["1x"], pc.PERIOD_1, workdir)}
    states = {"1×": measure_state(url, {
        "extraction 2026-01→09": pc.PERIOD_1, "mois 2026-03": MONTH_1}, args.repeat)}
    if args.scale > 1:
        label = data["scale_label"]
        imports[label] = run_child_import(url, data["3x"], pc.PERIOD_3, workdir)
        states[f"après {label}"] = measure_state(url, {
            "extraction 2025": pc.PERIOD_3, "mois 2025-03": MONTH_3}, args.repeat)
    report(name, data, states, imports)
    return {"imports": imports, "states": states}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=3,
                        help="multiple of the large region imported second (1: none)")
    parser.add_argument("--jeunes", type=int, default=pc.BASE_JEUNES)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--repeat", type=int, default=3,
                        help="runs per median of the slow figures (cached pages: 10)")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="animareseau-observatory-"))
    try:
        scale_label = f"{args.scale}×"
        print(f"Région de {args.jeunes:,} jeunes (1×)".replace(",", " ")
              + (f" puis {scale_label}" if args.scale > 1 else ""))
        data: dict = {"1x": workdir / "x1", "scale_label": scale_label}
        pc.generate(data["1x"], args.jeunes, pc.PERIOD_1)
        if args.scale > 1:
            data["3x"] = workdir / "x3"
            pc.generate(data["3x"], args.scale * args.jeunes, pc.PERIOD_3)
        data["baseline"] = jeunes_baseline(data["1x"])
        print(f"référence / reference : pandas.read_csv(jeunes.csv, 1×) "
              f"{data['baseline'] * 1000:.1f} ms (médiane de 5)")
        if args.backend in ("sqlite", "both"):
            bench_backend("SQLite", f"sqlite:///{workdir / 'bench.db'}", data, workdir, args)
        if args.backend in ("postgresql", "both"):
            from tests import pg

            try:
                cluster = pg.start_cluster()
            except FileNotFoundError as exc:
                print(f"\n== PostgreSQL : ignoré ({exc}) ==")
            else:
                try:
                    import psycopg

                    with psycopg.connect(f"host=127.0.0.1 port={cluster.port} user=postgres "
                                         "dbname=postgres", autocommit=True) as conn:
                        conn.execute("CREATE DATABASE animareseau_observatory")
                    bench_backend("PostgreSQL", cluster.url("animareseau_observatory"), data,
                                  workdir, args)
                finally:
                    cluster.stop()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child-import":
        child_import(*sys.argv[2:6])
        sys.exit(0)
    sys.exit(main())
