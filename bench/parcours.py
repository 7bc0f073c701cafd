"""Parcours import and charter at the scale of a large region, as ratios from one run.

Usage: ``.venv/bin/python bench/parcours.py [--scale 1] [--backend both]`` (part of
``make bench``). Generates a large-region year (110,000 young people, ~1.5 million
events, ~300,000 situations, ~150,000 programmes over the 40 demo missions locales) and
the same at 3×, then prints for SQLite and PostgreSQL (a throwaway cluster, as the tests
start it):

1. import + charter check, against ``pandas.read_csv`` merely parsing the same files
   in the same run (goal ≤ 4×);
2. the row-level charter rules (Q01–Q08, Q11, Q13) alone, against pandera validating
   the same rules on the same data (goal: no slower than pandera);
3. peak memory (max RSS of a child process doing only the import) at 1× and 3×
   (goal < 700 MB and ≤ 30 % growth);
4. the regional quality page (``/qualite/``, Flask test client) and the dashboard's
   data queries, at 1× and after the 3× import (goal < 300 ms, and the same at 3×).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("ANIMARESEAU_ENV", "test")
os.environ.setdefault("STREAMLIT_LOGGER_LEVEL", "error")  # bare-mode AppTest warnings

FILES = ("jeunes", "evenements", "situations", "dispositifs")
PERIOD_1 = (date(2026, 1, 1), date(2026, 9, 30))
PERIOD_3 = (date(2025, 1, 1), date(2025, 12, 31))
TODAY = date(2026, 11, 23)
BASE_JEUNES = 110_000


# ----------------------------------------------------------------------------- helpers
def median_time(fn, repeat: int = 3) -> float:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def read_csv_baseline(folder: Path) -> float:
    import pandas as pd

    def parse() -> None:
        for name in FILES:
            pd.read_csv(folder / f"{name}.csv", sep=";")

    return median_time(parse)


def generate(folder: Path, jeunes: int, period: tuple[date, date]) -> dict:
    from models.parcours.generator import generate_extract
    from seeds.network_data import MISSIONS_LOCALES

    mls = [(code, dept) for code, _name, dept, _commune in MISSIONS_LOCALES]
    start = time.perf_counter()
    manifest = generate_extract(folder, jeunes=jeunes, seed=2026, defect_rate=0.01,
                                missions_locales=mls, period=period, today=TODAY)
    print(f"  extraction générée en {time.perf_counter() - start:.1f} s : "
          + ", ".join(f"{n:,} {k}".replace(",", " ") for k, n in manifest.counts.items()))
    return manifest.counts


def prepare_database(url: str, workdir: Path) -> None:
    """Migrate, then the region, its missions locales and an admin account."""
    env = {**os.environ, "DATABASE_URL": url, "ANIMARESEAU_INSTANCE_PATH": str(workdir)}
    subprocess.run([sys.executable, "-m", "flask", "--app", "webapp", "db", "upgrade"],
                   cwd=ROOT, env=env, check=True, capture_output=True)
    from sqlalchemy.orm import Session

    from models.accounts.orm import User
    from models.accounts.passwords import hash_password
    from models.database import make_engine
    from models.network.orm import MissionLocale, Region
    from seeds.network_data import MISSIONS_LOCALES, REGION

    engine = make_engine(url)
    with Session(engine) as session:
        region = Region(**REGION)
        session.add(region)
        for code, name, dept, commune in MISSIONS_LOCALES:
            session.add(MissionLocale(region=region, code=code, name=name, departement=dept,
                                      commune=commune))
        session.add(User(email="admin@bench.fr", full_name="Bench Admin", role="admin",
                         password_hash=hash_password("mot-de-passe-bench")))
        session.commit()
    engine.dispose()


def _proc_status_mb(field: str) -> float:
    """A memory figure of this process from /proc (VmHWM = peak RSS since exec; the
    ``ru_maxrss`` of a child keeps its parent's peak across fork + exec on Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def child_import(url: str, path: str, start: str, end: str) -> None:
    """Run in a child process: one import, then its duration and peak RSS as JSON."""
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
    rss_before = _proc_status_mb("VmRSS")
    started = time.perf_counter()
    outcome = run_import(engine, import_id, Path(path), today=TODAY, key=b"bench-key")
    seconds = time.perf_counter() - started
    print(json.dumps({"seconds": seconds, "findings": outcome.findings,
                      "rss_mb": _proc_status_mb("VmHWM"),
                      "rss_before_mb": rss_before}))


def run_child_import(url: str, folder: Path, period: tuple[date, date], workdir: Path) -> dict:
    env = {**os.environ, "ANIMARESEAU_INSTANCE_PATH": str(workdir)}
    result = subprocess.run(
        [sys.executable, __file__, "--child-import", url, str(folder),
         period[0].isoformat(), period[1].isoformat()],
        cwd=ROOT, env=env, check=True, capture_output=True, text=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


# ------------------------------------------------------------- row rules vs pandera
ROW_RULES = ("Q01", "Q02", "Q03", "Q04", "Q05", "Q06", "Q07", "Q08", "Q11", "Q13")


def load_frames(folder: Path) -> dict:
    import pandas as pd

    frames = {}
    for name in ("jeunes", "situations", "dispositifs"):
        frame = pd.read_csv(folder / f"{name}.csv", sep=";", dtype=str, keep_default_na=False)
        frame["line"] = frame.index + 2
        frames[name] = frame
    return frames


def our_row_check(frames: dict) -> int:
    from models.parcours import engine as checks
    from models.parcours.charter import VERSION_1
    from models.parcours.pipeline import _prepare, _Run

    rules = [checks.RuleSpec(r["code"], r["kind"], r["severity"], r["params"])
             for r in VERSION_1["rules"] if r["code"] in ROW_RULES]
    run = _Run(import_id=0, period_start=PERIOD_1[0], period_end=PERIOD_1[1], today=TODAY,
               key=b"k", ml_ids={}, rules=rules, charter_version_id=0)
    ctx = checks.CheckContext(PERIOD_1[0], PERIOD_1[1], TODAY)
    total = 0
    for name, frame in frames.items():
        prepared = _prepare(name, frame, run, pseudonymise=False)
        total += len(checks.row_findings(rules, name, prepared, ctx))
    return total


def pandera_check(frames: dict) -> int:
    import pandas as pd
    import pandera.pandas as pa
    from pandera.errors import SchemaErrors

    from models.parcours import normalise as nz
    from models.parcours.charter import CURRENT_NIVEAUX, OLD_NIVEAUX

    limit = pd.Timestamp(min(PERIOD_1[1], TODAY))

    def dates(series: pd.Series) -> pd.Series:
        return nz.parse_dates(series)[0]

    def age(df: pd.DataFrame) -> pd.Series:
        return nz.completed_years(dates(df["date_naissance"]), dates(df["date_premier_accueil"]))

    def commune_ok(df: pd.DataFrame) -> pd.Series:
        commune = df["code_commune"].str.strip().str.upper()
        dc = nz.departement_of_commune(commune)
        dp = nz.departement_of_postcode(df["code_postal"].str.strip())
        return (dc != "") & (dp != "") & ((dp == dc) | ((dp == "20") & dc.isin(["2A", "2B"])))

    jeunes = pa.DataFrameSchema({
        "date_naissance": pa.Column(str, pa.Check(lambda s: dates(s).notna(), name="Q01")),
        "sexe": pa.Column(str, pa.Check(lambda s: s.str.strip().str.upper().isin(["F", "H"]),
                                        name="Q04")),
        "niveau_formation": pa.Column(str, [
            pa.Check(lambda s: nz.niveau(s).isin(CURRENT_NIVEAUX + OLD_NIVEAUX), name="Q05"),
            pa.Check(lambda s: ~nz.niveau(s).isin(OLD_NIVEAUX), name="Q06")]),
        "date_premier_accueil": pa.Column(str, pa.Check(
            lambda s: dates(s).notna() & (dates(s) <= limit), name="Q08")),
    }, checks=[pa.Check(lambda df: ~(age(df) < 16).fillna(False), name="Q02"),
               pa.Check(lambda df: ~(age(df) > 25).fillna(False), name="Q03"),
               pa.Check(commune_ok, name="Q07")])
    situations = pa.DataFrameSchema(checks=[pa.Check(
        lambda df: ~(dates(df["date_fin"]) < dates(df["date_debut"])).fillna(False),
        name="Q11")])

    def q13(df: pd.DataFrame) -> pd.Series:
        entree = dates(df["date_entree"])
        kind = df["dispositif"].str.strip().str.upper()
        bad = ((kind == "CEJ") & (entree < pd.Timestamp("2022-03-01"))) | (
            (kind == "GARANTIE_JEUNES") & (entree > pd.Timestamp("2022-02-28")))
        return ~bad.fillna(False)

    dispositifs = pa.DataFrameSchema(checks=[
        pa.Check(lambda df: ~(dates(df["date_sortie"]) < dates(df["date_entree"])).fillna(False),
                 name="Q11"),
        pa.Check(q13, name="Q13")])
    failures = 0
    for schema, name in ((jeunes, "jeunes"), (situations, "situations"),
                         (dispositifs, "dispositifs")):
        try:
            schema.validate(frames[name], lazy=True)
        except SchemaErrors as exc:
            failures += len(exc.failure_cases)
    return failures


# --------------------------------------------------------------------- page timings
def page_times(url: str, workdir: Path, n: int = 20) -> dict[str, float]:
    os.environ["ANIMARESEAU_INSTANCE_PATH"] = str(workdir)
    from webapp import create_app
    from webapp.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "WTF_CSRF_ENABLED": False,
                      "LOGIN_RATE_LIMIT": "10000 per minute", "TESTING": True})
    client = app.test_client()
    client.post("/connexion", data={"email": "admin@bench.fr", "password": "mot-de-passe-bench"})

    def get(path: str) -> None:
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)

    results = {"/healthz": median_time(lambda: get("/healthz"), n),
               "/qualite/": median_time(lambda: get("/qualite/"), n)}
    with app.app_context():
        from sqlalchemy import select

        from models.accounts.orm import User
        from models.parcours import queries

        user = db.session.scalar(select(User).where(User.email == "admin@bench.fr"))

        def dashboard_queries() -> None:
            lines = queries.regional_table(db.session, user, today=TODAY)
            queries.regional_summary(lines)
            queries.failing_rules(lines)
            queries.regional_score_over_time(db.session)
            queries.ml_history(db.session, lines[0].ml_id)

        results["tableau de bord (requêtes)"] = median_time(dashboard_queries, n)
        db.session.remove()
        db.engine.dispose()
    results.update(dashboard_page_times(url))
    return results


def dashboard_page_times(url: str) -> dict[str, float]:
    """The Streamlit page itself (script, queries, plotly figures) run headless by AppTest:
    the median of five runs with empty caches, then of five served from ``st.cache_data``."""
    import logging

    import streamlit as st
    from streamlit.testing.v1 import AppTest

    for name in ("streamlit", "streamlit.runtime"):  # "no runtime" warnings of bare mode
        logging.getLogger(name).setLevel(logging.ERROR)
    os.environ["DATABASE_URL"] = url
    st.cache_data.clear()
    st.cache_resource.clear()
    at = AppTest.from_file(str(ROOT / "dashboard" / "app.py"), default_timeout=120)
    at.run()
    at.text_input(key="login_email").input("admin@bench.fr")
    at.text_input(key="login_password").input("mot-de-passe-bench")
    at.button(key="login_submit").click()
    at.run()
    at.switch_page("views/qualite.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    def cold_run() -> None:
        st.cache_data.clear()
        at.run()

    cold = median_time(cold_run, 5)
    warm = median_time(at.run, 5)
    assert not at.exception and any("Qualité" in t.value for t in at.title)
    os.environ.pop("DATABASE_URL", None)
    return {"page tableau de bord (cache vide)": cold,
            "page tableau de bord (cache chaud)": warm}


# ---------------------------------------------------------------------------- main
def bench_backend(name: str, url: str, data: dict, workdir: Path, args) -> None:
    print(f"\n== {name} ==")
    prepare_database(url, workdir)
    one = run_child_import(url, data["1x"], PERIOD_1, workdir)
    ratio = one["seconds"] / data["baseline_1x"]
    print(f"1. import + charte (1×) : {one['seconds']:.1f} s ; read_csv seul "
          f"{data['baseline_1x']:.2f} s ; ratio {ratio:.1f}× (objectif ≤ 4×) ; "
          f"{one['findings']} anomalies")
    pages_1 = page_times(url, workdir)
    result = {"import_1x": one, "pages_1x": pages_1}
    if args.scale >= 3:
        three = run_child_import(url, data["3x"], PERIOD_3, workdir)
        ratio3 = three["seconds"] / data["baseline_3x"]
        print(f"   import + charte (3×) : {three['seconds']:.1f} s ; read_csv seul "
              f"{data['baseline_3x']:.2f} s ; ratio {ratio3:.1f}×")
        growth = (three["rss_mb"] - one["rss_mb"]) / one["rss_mb"] * 100
        print(f"3. mémoire de pointe : 1× {one['rss_mb']:.0f} Mo, 3× {three['rss_mb']:.0f} Mo "
              f"(+{growth:.0f} % ; objectif < 700 Mo et ≤ 30 %) — dont interpréteur et "
              f"bibliothèques chargés avant l'import : {one['rss_before_mb']:.0f} Mo")
        pages_3 = page_times(url, workdir)
        result.update(import_3x=three, pages_3x=pages_3)
    else:
        print(f"3. mémoire de pointe : 1× {one['rss_mb']:.0f} Mo (3× non mesuré : --scale 3)")
    print("4. pages (médiane sur 20, côté serveur) :")
    for page, seconds in pages_1.items():
        line = f"   {page:30} 1× {seconds * 1000:7.1f} ms ({seconds / pages_1['/healthz']:.1f}×" \
               " /healthz)"
        if "pages_3x" in result:
            s3 = result["pages_3x"][page]
            line += f" ; après 3× {s3 * 1000:7.1f} ms ({s3 / seconds:.2f}× le temps à 1×)"
        print(line)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, choices=[1, 3], default=3)
    parser.add_argument("--jeunes", type=int, default=BASE_JEUNES)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="animareseau-parcours-"))
    try:
        print(f"Région de {args.jeunes:,} jeunes (1×)".replace(",", " ")
              + (" et 3×" if args.scale == 3 else ""))
        data: dict = {"1x": workdir / "x1"}
        generate(data["1x"], args.jeunes, PERIOD_1)
        data["baseline_1x"] = read_csv_baseline(data["1x"])
        if args.scale == 3:
            data["3x"] = workdir / "x3"
            generate(data["3x"], 3 * args.jeunes, PERIOD_3)
            data["baseline_3x"] = read_csv_baseline(data["3x"])
        frames = load_frames(data["1x"])
        ours = median_time(lambda: our_row_check(frames))
        theirs = median_time(lambda: pandera_check(frames))
        ours_n, theirs_n = our_row_check(frames), pandera_check(frames)
        print(f"2. règles ligne à ligne (Q01–Q08, Q11, Q13) sur les mêmes données : moteur "
              f"{ours:.2f} s ({ours_n} constats), pandera {theirs:.2f} s ({theirs_n} cas "
              f"d'échec) ; ratio moteur / pandera {ours / theirs:.2f} (objectif ≤ 1)")
        frames.clear()  # free the DataFrames before the imports
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
                        conn.execute("CREATE DATABASE animareseau_parcours")
                    bench_backend("PostgreSQL", cluster.url("animareseau_parcours"), data,
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
