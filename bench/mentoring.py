"""The State's yearly mentoring table with secrecy, 1 year vs 5 years of history.

Usage: ``.venv/bin/python bench/mentoring.py [--repeat 15] [--backend sqlite|postgresql|both]``
(part of ``make bench``). Generates one region of 45 missions locales of very unequal
sizes with five years of pairings up to 23/11/2026 (≈ 10,000 counted pairings, a few
proposals, ≈ 700 mentors, meetings, closings with outcomes, follow-ups recorded or due),
and writes it twice: whole (5 years) and as one year of history (only the pairings whose
period reaches the last twelve months; every mentor). Both databases hold exactly the
same pairings for 2026, so the table of 2026 must be the same in both: it is checked.

For each database: the median time of ``yearly.yearly_table(session, None, 2026)`` (the
SQL counts and ``secrecy.protect`` on every cell of the 45 missions locales and the
region, threshold 11), of its SQL part alone and of the protection alone, in interleaved
rounds; the 5-year / 1-year ratio (goal: ≈ 1, flat) and the total against the goal of
300 ms. "1er appel": the mask computed (the first call after any change of the data);
"appel suivant": the same table asked again (the SQL counts run, the mask of the very
same counts is reused). Prints only; no figure is asserted.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # as models/__init__ (before numpy)

import argparse  # noqa: E402
import random  # noqa: E402
import shutil  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from datetime import date, timedelta  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("ANIMARESEAU_ENV", "test")

TODAY = date(2026, 11, 23)
YEAR = 2026
N_MLS = 45
TARGET_PAIRINGS = 10_000
GOAL_MS = 300.0


# ----------------------------------------------------------------------------- data
def generate(seed: int = 16) -> dict[str, list[dict]]:
    """Rows of every table, ids fixed, as plain dicts (inserted with Core, no ORM)."""
    from models.councils.projects import add_months
    from models.mentoring.enums import (
        CloseReason,
        MeetingMode,
        MentorStatus,
        Outcome,
        Prescriber,
        Situation,
    )

    rng = random.Random(seed)
    first_day = TODAY - timedelta(days=5 * 365)
    weights = [rng.lognormvariate(0, 0.9) for _ in range(N_MLS)]
    scale = TARGET_PAIRINGS / sum(weights)
    rows: dict[str, list[dict]] = {k: [] for k in (
        "mission_locale", "mentor", "mentee", "pairing", "pairing_meeting",
        "pairing_follow_up")}
    outcomes = list(Outcome)
    outcome_w = [22, 18, 14, 8, 12, 2, 14, 6, 4]
    ids = {"mentor": 0, "mentee": 0, "pairing": 0, "meeting": 0, "follow": 0}
    levels = ["1", "2", "3", "3", "3", "4", "4", "5", "6", "V", "IV", "V BIS"]
    for m in range(N_MLS):
        ml_id = m + 1
        rows["mission_locale"].append(dict(
            id=ml_id, region_id=1, code=f"{75000 + m}", name=f"Mission locale n° {m + 1:02d}",
            departement=f"{16 + m % 12}", commune=f"Commune {m}", active=True))
        n_pairings = max(2, round(weights[m] * scale))
        mentors = []
        for _ in range(max(2, n_pairings // 14)):
            ids["mentor"] += 1
            consent = first_day + timedelta(days=rng.randrange(5 * 365 - 30))
            trained = consent + timedelta(days=rng.randrange(10, 120)) \
                if rng.random() < 0.8 else None
            rows["mentor"].append(dict(
                id=ids["mentor"], mission_locale_id=ml_id, last_name=f"Parrain{ids['mentor']}",
                first_name="Bench", email=f"p{ids['mentor']}@bench.invalid", phone="",
                sex=rng.choice("fm"), status=rng.choices(list(MentorStatus), [6, 3, 1])[0].value,
                sector="Commerce", commune="", consent_on=consent, charter_signed_on=consent,
                trained_on=trained if trained and trained < TODAY else None, capacity=3,
                active=True, anonymised_on=None, version_id=1))
            mentors.append((ids["mentor"], consent))
        free: list[tuple[int, date]] = []  # mentees whose pairing ended: maybe a second
        for _ in range(n_pairings):
            start = first_day + timedelta(days=rng.randrange(5 * 365 - 5))
            eligible = [mid for mid, consent in mentors if consent <= start] or [mentors[0][0]]
            mentor_id = rng.choice(eligible)
            reuse = [f for f in free if f[1] < start]
            if reuse and rng.random() < 0.15:
                mentee_id = reuse[0][0]
                free.remove(reuse[0])
            else:
                ids["mentee"] += 1
                mentee_id = ids["mentee"]
                birth = start.year - rng.choice([16, 17, 18, 19, 20, 21, 22, 23, 24, 25])
                rows["mentee"].append(dict(
                    id=mentee_id, mission_locale_id=ml_id, code=f"B{mentee_id:07d}",
                    sex=rng.choice("fm"), birth_year=birth, birth_month=rng.randint(1, 12),
                    qpv=rng.choice([True, False, False, None]),
                    zrr=rng.choice([True, False, False, False, None]),
                    qualification=rng.choice(levels), rqth=rng.random() < 0.06,
                    situation=rng.choice(list(Situation)).value,
                    prescriber=rng.choices(list(Prescriber), [6, 2, 1, 1, 1])[0].value,
                    project_validated=True,
                    minor_consent_on=start if start.year - birth < 18 else None,
                    version_id=1))
            ids["pairing"] += 1
            planned = add_months(start, 6)
            broken = rng.random() < 0.15
            length = rng.randrange(7, 120) if broken else rng.randrange(150, 260)
            end = start + timedelta(days=length)
            status, ended_on, reason, outcome = "actif", None, None, None
            if rng.random() < 0.02:
                status = "propose"
            elif end <= TODAY:
                short = length < 42
                status = "rompu" if broken or short else "termine"
                ended_on = end
                reason = (rng.choice([CloseReason.PAR_LE_JEUNE, CloseReason.PAR_LE_PARRAIN,
                                      CloseReason.PAR_LA_STRUCTURE]) if status == "rompu"
                          else rng.choice([CloseReason.OBJECTIF_ATTEINT,
                                           CloseReason.DUREE_ECHUE])).value
                outcome = rng.choices(outcomes, outcome_w)[0].value
                free.append((mentee_id, end))
            rows["pairing"].append(dict(
                id=ids["pairing"], mission_locale_id=ml_id, mentor_id=mentor_id,
                mentee_id=mentee_id, status=status, start_date=start, planned_end=planned,
                ended_on=ended_on, close_reason=reason, outcome=outcome, version_id=1))
            if status == "propose":
                continue
            last = min(ended_on or TODAY, TODAY)
            for _ in range(rng.randint(1, 8)):
                held = start + timedelta(days=rng.randrange(max(1, (last - start).days)))
                ids["meeting"] += 1
                rows["pairing_meeting"].append(dict(
                    id=ids["meeting"], pairing_id=ids["pairing"], held_on=held,
                    mode=rng.choice(list(MeetingMode)).value,
                    duration_minutes=rng.choice([45, 60, 90])))
            if ended_on is not None:
                due = add_months(ended_on, 6)
                recorded = due <= TODAY and rng.random() < 0.7
                ids["follow"] += 1
                rows["pairing_follow_up"].append(dict(
                    id=ids["follow"], pairing_id=ids["pairing"], due_on=due,
                    outcome=rng.choices(outcomes, outcome_w)[0].value if recorded else None,
                    recorded_on=due if recorded else None, recorded_by_id=None, version_id=1))
    return rows


def one_year(rows: dict[str, list[dict]]) -> dict[str, list[dict]]:
    """The pairings whose period reaches the last twelve months, their mentees, their
    meetings and follow-ups; every mission locale and mentor."""
    since = TODAY - timedelta(days=365)
    kept = [p for p in rows["pairing"] if p["status"] == "propose"
            or (p["ended_on"] or max(p["planned_end"], TODAY)) >= since]
    ids = {p["id"] for p in kept}
    mentees = {p["mentee_id"] for p in kept}
    return {"mission_locale": rows["mission_locale"], "mentor": rows["mentor"],
            "mentee": [m for m in rows["mentee"] if m["id"] in mentees],
            "pairing": kept,
            "pairing_meeting": [m for m in rows["pairing_meeting"] if m["pairing_id"] in ids],
            "pairing_follow_up": [f for f in rows["pairing_follow_up"]
                                  if f["pairing_id"] in ids]}


def prepare(url: str, rows: dict[str, list[dict]], workdir: Path):
    """Migrate (as the app does), then insert the rows with Core (no audit, no ORM)."""
    env = {**os.environ, "DATABASE_URL": url, "ANIMARESEAU_INSTANCE_PATH": str(workdir)}
    subprocess.run([sys.executable, "-m", "flask", "--app", "webapp", "db", "upgrade"],
                   cwd=ROOT, env=env, check=True, capture_output=True)
    import models  # noqa: F401
    from models.base import Base
    from models.database import make_engine

    engine = make_engine(url)
    tables = Base.metadata.tables
    with engine.begin() as conn:
        conn.execute(tables["region"].insert(), [dict(id=1, code="75",
                                                      name="Nouvelle-Aquitaine",
                                                      arml_name="ARML banc d'essai")])
        for name in ("mission_locale", "mentor", "mentee", "pairing", "pairing_meeting",
                     "pairing_follow_up"):
            data = rows[name]
            for i in range(0, len(data), 2000):
                conn.execute(tables[name].insert(), data[i:i + 2000])
        if engine.dialect.name == "postgresql":
            for name in ("mission_locale", "mentor", "mentee", "pairing", "pairing_meeting",
                         "pairing_follow_up", "region"):
                sql = f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), (SELECT max(id) FROM {name}))"  # noqa: E501,S608 - our own table names
                conn.exec_driver_sql(sql)
        conn.exec_driver_sql("ANALYZE")
    return engine


# ----------------------------------------------------------------------------- measure
def measure(engines: dict[str, object], repeat: int) -> dict[str, dict[str, float]]:
    from sqlalchemy.orm import Session

    from models.mentoring import yearly
    from models.observatory import secrecy

    samples: dict[str, dict[str, list[float]]] = {
        label: {"total": [], "sql": [], "protect": [], "cached": []} for label in engines}
    tables = {}
    sessions = {label: Session(engine) for label, engine in engines.items()}
    original = secrecy.protect
    spent = {"protect": 0.0}

    def timed_protect(*args, **kwargs):
        began = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            spent["protect"] += time.perf_counter() - began

    secrecy.protect = timed_protect
    try:
        for label, session in sessions.items():  # warm-up (and the tables compared)
            tables[label] = yearly.yearly_table(session, None, YEAR, today=TODAY)
        for _ in range(repeat):
            for label, session in sessions.items():
                spent["protect"] = 0.0
                yearly.clear_cache()  # the first call after a change of the data
                began = time.perf_counter()
                yearly.yearly_table(session, None, YEAR, today=TODAY)
                total = time.perf_counter() - began
                samples[label]["total"].append(total)
                samples[label]["protect"].append(spent["protect"])
                began = time.perf_counter()  # the same table asked again: mask kept
                yearly.yearly_table(session, None, YEAR, today=TODAY)
                samples[label]["cached"].append(time.perf_counter() - began)
                began = time.perf_counter()
                yearly._raw_counts(session, YEAR, TODAY)
                samples[label]["sql"].append(time.perf_counter() - began)
                session.rollback()
    finally:
        secrecy.protect = original
        for session in sessions.values():
            session.close()
    labels = list(engines)
    a, b = tables[labels[0]], tables[labels[1]]
    same = all(a.cells[key] == b.cells[key] for key in a.cells) and a.columns == b.columns
    t = tables[labels[-1]]
    counted = sum(1 for r in t.rows if r.kind == "count") * len(t.columns)
    print(f"   tableau {YEAR} : {len(t.columns) - 1} missions locales + région, {counted} cases "
          f"comptées dont {t.hidden_count} masquées (k = {t.k}, {t.rounds} tours) ; "
          f"identique avec 1 an et 5 ans d'historique : {'oui' if same else 'NON'}")
    return {label: {k: statistics.median(v) * 1000 for k, v in s.items()}
            for label, s in samples.items()}


def bench_backend(name: str, urls: dict[str, str], data: dict[str, dict], workdir: Path,
                  repeat: int) -> None:
    print(f"\n== {name} ==")
    engines = {}
    for label, url in urls.items():
        began = time.perf_counter()
        engines[label] = prepare(url, data[label], workdir)
        counted = sum(1 for p in data[label]["pairing"] if p["status"] != "propose")
        print(f"   {label} : {counted} binômes comptés, {len(data[label]['mentee'])} "
              f"filleul·es, {len(data[label]['mentor'])} parrains, "
              f"{len(data[label]['pairing_meeting'])} rencontres, "
              f"{len(data[label]['pairing_follow_up'])} suivis "
              f"(écrits en {time.perf_counter() - began:.1f} s)")
    result = measure(engines, repeat)
    one, five = result["1 an"], result["5 ans"]
    print(f"\n   Médiane de {repeat} appels de yearly_table({YEAR}), en alternance "
          f"(objectif ≤ {GOAL_MS:.0f} ms, et 5 ans ≈ 1 an)")
    print(f"   {'historique':12} {'1er appel ms':>13} {'dont SQL':>9} {'dont secret':>12} "
          f"{'× objectif':>11} {'appel suivant ms':>17} {'× objectif':>11}")
    for label, r in result.items():
        print(f"   {label:12} {r['total']:13.1f} {r['sql']:9.1f} {r['protect']:12.1f} "
              f"{r['total'] / GOAL_MS:11.2f} {r['cached']:17.1f} {r['cached'] / GOAL_MS:11.2f}")
    print(f"   5 ans / 1 an : 1er appel {five['total'] / one['total']:.2f} (SQL "
          f"{five['sql'] / one['sql']:.2f}, secret {five['protect'] / one['protect']:.2f}), "
          f"appel suivant {five['cached'] / one['cached']:.2f}")
    for engine in engines.values():
        engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"],
                        default="sqlite")
    args = parser.parse_args()
    began = time.perf_counter()
    five = generate()
    data = {"1 an": one_year(five), "5 ans": five}
    print(f"Région de {N_MLS} missions locales, données générées en "
          f"{time.perf_counter() - began:.1f} s")
    workdir = Path(tempfile.mkdtemp(prefix="animareseau-parrainage-"))
    try:
        if args.backend in ("sqlite", "both"):
            bench_backend("SQLite", {label: f"sqlite:///{workdir / f'bench-{i}.db'}"
                                     for i, label in enumerate(data)}, data, workdir,
                          args.repeat)
        if args.backend in ("postgresql", "both"):
            from tests import pg

            try:
                cluster = pg.start_cluster()
            except FileNotFoundError as exc:
                print(f"\n== PostgreSQL : ignoré ({exc}) ==")
            else:
                try:
                    import psycopg

                    urls = {}
                    with psycopg.connect(f"host=127.0.0.1 port={cluster.port} user=postgres "
                                         "dbname=postgres", autocommit=True) as conn:
                        for i, label in enumerate(data):
                            conn.execute(f"CREATE DATABASE parrainage_{i}")
                            urls[label] = cluster.url(f"parrainage_{i}")
                    bench_backend("PostgreSQL", urls, data, workdir, args.repeat)
                finally:
                    cluster.stop()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
