"""Load test of the whole application (locust), on SQLite and/or PostgreSQL, as ratios.

Usage: ``make bench-charge`` (both databases), or
``.venv/bin/python bench/loadtest/run.py [--db sqlite|postgresql|both] [--duree 30]
[--utilisateurs 5 10 20 40] [--utilisateurs-import 10] [--jeunes 5000]``.

For each database, in a throwaway instance folder (and a throwaway PostgreSQL cluster,
started like the tests do): ``flask db upgrade``, ``flask seed demo``, then gunicorn started
from the Procfile's ``web:`` line (on a free port) and the huey worker from its ``worker:``
line, with the login rate limits raised through their settings (``LOGIN_RATE_LIMIT``,
``LOGIN_ACCOUNT_LIMIT``: demo users sign in by the dozen from one address). Then:

1. **main phase** — ``--utilisateurs-import`` users in the mix of ``locustfile.py``;
   ``--duree`` seconds of steady load, then one generated extract of ``--jeunes`` young
   people is queued for the worker, as the team's upload would; the load goes on until
   the import has finished. Reported: p95 of each endpoint over the steady window as a
   ratio of ``/healthz``'s p95 in the same window, and p95 during the import / before it;
2. **step test** — one run of ``--duree`` seconds per number of users: the overall p95
   (every request but ``/healthz`` and the sign-in) over ``/healthz``'s p95, and the
   first step where that ratio is twice the smallest step's;
3. **faults** — responses 5xx (locust and the gunicorn access log) and "database is
   locked" in the server and worker logs: both must be 0 (exit status 1 otherwise).

Percentiles are computed from every request's own duration (nearest rank), measured once
all users have signed in (an Argon2 hash per sign-in, on purpose, would otherwise weigh on
the first seconds). Locust's own CSV files (``--csv``) are kept beside the report, under
``bench/results/charge-<date>/<db>/`` (ignored by git). Never part of ``make test``.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(ROOT))
BIN = Path(sys.executable).parent
LOCUSTFILE = Path(__file__).resolve().parent / "locustfile.py"
BASELINE = "main.healthz"
SIGN_IN = ("auth.login", "auth.login [POST]")
LOCKED = "database is locked"


# ------------------------------------------------------------------ statistics
def p95(values: list[float]) -> float:
    """Nearest-rank 95th percentile (NaN when there is nothing to rank)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


@dataclass
class Sample:
    start: float
    name: str
    ms: float
    status: int
    ok: bool


def read_samples(path: Path) -> list[Sample]:
    if not path.exists():
        return []
    with path.open(encoding="utf-8") as fh:
        return [Sample(float(r["start"]), r["name"], float(r["ms"]), int(r["status"]),
                       r["ok"] == "1") for r in csv.DictReader(fh)]


def window(samples: list[Sample], start: float, end: float) -> list[Sample]:
    return [s for s in samples if start <= s.start < end]


def by_name(samples: list[Sample]) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {}
    for s in samples:
        out.setdefault(s.name, []).append(s.ms)
    return out


def overall(samples: list[Sample]) -> list[float]:
    return [s.ms for s in samples if s.name != BASELINE and s.name not in SIGN_IN]


def ratio(a: float, b: float) -> float:
    return a / b if b and not math.isnan(a) and not math.isnan(b) else math.nan


def fmt(x: float, digits: int = 1) -> str:
    return "—" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.{digits}f}"


# ------------------------------------------------------------------ processes
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def procfile_command(kind: str, port: int | None = None) -> list[str]:
    """The Procfile's line for ``kind``, its bind address moved to ``port``."""
    for line in (ROOT / "Procfile").read_text().splitlines():
        if line.startswith(f"{kind}:"):
            command = line.split(":", 1)[1].strip()
            if port is not None:
                command = re.sub(r"\$\{WEB_BIND:-[^}]*\}:\d+", f"127.0.0.1:{port}", command)
            return shlex.split(command)
    raise RuntimeError(f"pas de ligne « {kind}: » dans le Procfile")


def stop(proc: subprocess.Popen | None) -> None:
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def wait_healthy(port: int, proc: subprocess.Popen, log: Path, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn s'est arrêté :\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError("gunicorn ne répond pas à /healthz")


# ------------------------------------------------------------------ the instance
@dataclass
class Instance:
    db: str
    folder: Path
    url: str
    env: dict[str, str]
    results: Path
    cluster: object | None = None
    procs: list[subprocess.Popen] = field(default_factory=list)
    port: int = 0

    def run(self, *args: str, timeout: float = 900) -> str:
        done = subprocess.run([str(BIN / "flask"), "--app", "webapp", *args], cwd=ROOT,
                              env=self.env, capture_output=True, text=True, timeout=timeout)
        if done.returncode != 0:
            raise RuntimeError(f"flask {' '.join(args)} a échoué :\n{done.stdout}\n"
                               f"{done.stderr[-3000:]}")
        return done.stdout.strip()


def make_instance(db: str, results: Path) -> Instance:
    folder = Path(tempfile.mkdtemp(prefix=f"animareseau-charge-{db}-"))
    cluster = None
    if db == "postgresql":
        import psycopg

        from tests import pg

        cluster = pg.start_cluster()
        with psycopg.connect(f"host=127.0.0.1 port={cluster.port} user=postgres "
                             "dbname=postgres", autocommit=True) as conn:
            conn.execute("CREATE DATABASE animareseau_charge")
        url = cluster.url("animareseau_charge")
    else:
        url = f"sqlite:///{folder / 'animareseau.db'}"
    env = {**os.environ, "ANIMARESEAU_INSTANCE_PATH": str(folder), "DATABASE_URL": url,
           "ANIMARESEAU_ENV": os.environ.get("ANIMARESEAU_ENV", "test"),
           "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
           # demo users sign in by the dozen from one address: the limits are raised
           # through their settings, never switched off
           "LOGIN_RATE_LIMIT": os.environ.get("LOGIN_RATE_LIMIT", "100000 per minute"),
           "LOGIN_ACCOUNT_LIMIT": os.environ.get("LOGIN_ACCOUNT_LIMIT", "100000")}
    for name in ("SMTP_HOST", "HUEY_REDIS_URL", "ANIMARESEAU_CLOCK_START"):
        env.pop(name, None)  # e-mails stay in the outbox; the queue is the instance's
    results.mkdir(parents=True, exist_ok=True)
    return Instance(db, folder, url, env, results, cluster)


def prepare(inst: Instance) -> dict:
    """Migrate, seed the demo, and collect the ids the users need."""
    started = time.perf_counter()
    inst.run("db", "upgrade")
    print(f"  démo : {inst.run('seed', 'demo')}")
    print(f"  base prête en {time.perf_counter() - started:.0f} s")
    return collect_ids(inst.url)


def collect_ids(url: str) -> dict:
    from sqlalchemy import select

    from models import clock
    from models.accounts.orm import User
    from models.database import make_engine, make_sessionmaker
    from models.funding.orm import Convention
    from models.programme import queries
    from models.training.enums import SessionStatus
    from models.training.orm import TrainingSession

    engine = make_engine(url)
    try:
        with make_sessionmaker(engine)() as s:
            today = clock.today()
            programme = queries.current_programme(s, today)
            users = {u.email: u for u in s.scalars(select(User))}
            funder = users["financeur@demo.arml.fr"].funder_id
            open_sessions = [ts.id for ts in s.scalars(select(TrainingSession).where(
                TrainingSession.registration_opens <= today,
                TrainingSession.registration_closes >= today,
                TrainingSession.status.not_in((SessionStatus.ANNULEE, SessionStatus.REALISEE,
                                               SessionStatus.CLOSE))))]
            return {
                "programme": programme.id,
                "programme_closed": programme.is_closed,
                "actions": [a.id for a in programme.actions][:12],
                "sessions": open_sessions,
                "ml_of": {e: u.mission_locale_id for e, u in users.items()
                          if u.mission_locale_id is not None},
                "conventions": list(s.scalars(select(Convention.id).where(
                    Convention.funder_id == funder))),
            }
    finally:
        engine.dispose()


def start_servers(inst: Instance) -> None:
    inst.port = free_port()
    web_log, worker_log = inst.results / "serveur.log", inst.results / "worker.log"
    web = subprocess.Popen(procfile_command("web", inst.port), cwd=ROOT, env=inst.env,
                           stdout=web_log.open("w"), stderr=subprocess.STDOUT)
    inst.procs.append(web)
    worker = subprocess.Popen(procfile_command("worker"), cwd=ROOT, env=inst.env,
                              stdout=worker_log.open("w"), stderr=subprocess.STDOUT)
    inst.procs.append(worker)
    wait_healthy(inst.port, web, web_log)


def teardown(inst: Instance) -> None:
    for proc in reversed(inst.procs):
        stop(proc)
    if inst.cluster is not None:
        inst.cluster.stop()
    shutil.rmtree(inst.folder, ignore_errors=True)


# ------------------------------------------------------------------ the import
def generate(inst: Instance, jeunes: int, copies: int = 1) -> list[tuple[Path, tuple]]:
    """Synthetic extracts over the demo's missions locales, in the uploads folder (each its
    own seed and a period ten days earlier than the previous one)."""
    from sqlalchemy import select

    from models import clock
    from models.database import make_engine, make_sessionmaker
    from models.network.orm import MissionLocale
    from models.parcours.generator import generate_extract

    engine = make_engine(inst.url)
    try:
        with make_sessionmaker(engine)() as s:
            mls = [(m.code, m.departement) for m in s.scalars(select(MissionLocale))]
    finally:
        engine.dispose()
    today = clock.today()
    extracts = []
    started = time.perf_counter()
    for k in range(copies):
        end = today.replace(day=1) - timedelta(days=1 + 10 * k)
        period = (end - timedelta(days=300), end)
        folder = inst.folder / "uploads" / "parcours" / f"charge-{k}"
        generate_extract(folder, jeunes=jeunes, seed=1717 + k, defect_rate=0.01,
                         missions_locales=mls, period=period, today=today)
        (folder / "manifest.json").unlink(missing_ok=True)
        extracts.append((folder, period))
    print(f"  {copies} extraction(s) de {jeunes} jeunes générée(s) en "
          f"{time.perf_counter() - started:.1f} s")
    return extracts


def submit_imports(inst: Instance, extracts: list[tuple[Path, tuple]]) -> list[int]:
    """Record each import as the team's upload does, then queue it on the worker (huey),
    which runs them one after the other."""
    code = (
        "import sys, datetime as d\n"
        "from sqlalchemy import select\n"
        "from models.accounts.orm import User\n"
        "from models.audit import set_actor\n"
        "from models.database import make_engine, make_sessionmaker, transaction\n"
        "from models.parcours.services import create_import\n"
        "from models.parcours.jobs import import_extract\n"
        "from models import clock\n"
        "from models.settings import database_url\n"
        "args = sys.argv[1:]\n"
        "for i in range(0, len(args), 3):\n"
        "    path, start, end = args[i:i + 3]\n"
        "    with transaction(make_sessionmaker(make_engine(database_url()))) as s:\n"
        "        actor = s.scalar(select(User).where(User.email == 'animation@demo.arml.fr'))\n"
        "        set_actor(s, actor, via='web')\n"
        "        r = create_import(s, actor=actor, source_name='extraction-charge',\n"
        "                          stored_path=path,\n"
        "                          period_start=d.date.fromisoformat(start),\n"
        "                          period_end=d.date.fromisoformat(end), today=clock.today())\n"
        "        s.flush(); import_id = r.id\n"
        "    import_extract(import_id, path)\n"
        "    print(import_id)\n")
    argv = [str(x) for folder, (start, end) in extracts
            for x in (folder, start.isoformat(), end.isoformat())]
    done = subprocess.run([sys.executable, "-c", code, *argv], cwd=ROOT, env=inst.env,
                          capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise RuntimeError(f"l'import n'a pas pu être mis en file :\n{done.stderr[-3000:]}")
    return [int(line) for line in done.stdout.split()]


def follow_imports(inst: Instance, import_ids: list[int], timeout: float) -> dict:
    """Poll the imports until all have an outcome: wall-clock moments the first started and
    the last ended, the worst status, the durations the imports recorded."""
    from sqlalchemy import select

    from models.database import make_engine
    from models.parcours.orm import ParcoursImport

    engine = make_engine(inst.url)
    started = None
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            with engine.connect() as conn:
                rows = conn.execute(select(ParcoursImport.status, ParcoursImport.message,
                                           ParcoursImport.duration_ms)
                                    .where(ParcoursImport.id.in_(import_ids))).all()
            if started is None and any(r.status != "en_attente" for r in rows):
                started = time.time()
            if all(r.status in ("termine", "refuse", "echec") for r in rows):
                bad = [r for r in rows if r.status != "termine"]
                return {"status": bad[0].status if bad else "termine",
                        "started": started or time.time(), "ended": time.time(),
                        "duration_ms": [r.duration_ms for r in rows],
                        "message": "\n".join(r.message for r in bad)}
            time.sleep(0.5)
    finally:
        engine.dispose()
    return {"status": "inachevé", "started": started or time.time(), "ended": time.time(),
            "duration_ms": None, "message": f"pas fini après {timeout:.0f} s"}


# ------------------------------------------------------------------ locust runs
@dataclass
class Run:
    users: int
    samples: list[Sample]
    ready: float
    stopped: float


def locust(inst: Instance, label: str, users: int, during) -> Run:
    """One headless locust run; ``during(ready_time)`` runs once every user has signed in
    and returns when the run should stop."""
    prefix = inst.results / label
    files = {"ids": inst.results / "ids.json", "samples": Path(f"{prefix}_requetes.csv"),
             "ready": Path(f"{prefix}.pret"), "stop": Path(f"{prefix}.stop")}
    for name in ("ready", "stop"):
        files[name].unlink(missing_ok=True)
    env = {**inst.env, "LOADTEST_IDS": str(files["ids"]), "LOADTEST_SAMPLES":
           str(files["samples"]), "LOADTEST_READY": str(files["ready"]),
           "LOADTEST_STOP": str(files["stop"])}
    cmd = [str(BIN / "locust"), "-f", str(LOCUSTFILE), "--headless", "--host",
           f"http://127.0.0.1:{inst.port}", "-u", str(users + 1),  # + the /healthz probe
           "-r", str(max(1, users // 4)),
           "-t", "30m", "--csv", str(prefix), "--only-summary", "--loglevel", "WARNING",
           "--stop-timeout", "10"]
    log = Path(f"{prefix}_locust.log")
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log.open("w"),
                            stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 300
        while not files["ready"].exists():
            if proc.poll() is not None:
                raise RuntimeError(f"locust s'est arrêté :\n{log.read_text()[-3000:]}")
            if time.monotonic() > deadline:
                raise RuntimeError("les utilisateurs ne se sont pas tous connectés en 5 min")
            time.sleep(0.2)
        ready = float(files["ready"].read_text())
        during(ready)
        stopped = time.time()
        files["stop"].write_text("stop\n")
        proc.wait(timeout=120)
    finally:
        stop(proc)
    return Run(users, read_samples(files["samples"]), ready, stopped)


# ------------------------------------------------------------------ one database
def run_database(db: str, args, out: Path) -> dict:
    print(f"\n=== {db} ===")
    inst = make_instance(db, out / db)
    report: dict = {"db": db}
    try:
        ids = prepare(inst)
        (inst.results / "ids.json").write_text(json.dumps(ids))
        extracts = generate(inst, args.jeunes, args.imports)
        start_servers(inst)
        print(f"  gunicorn (ligne web: du Procfile) sur le port {inst.port}, worker huey lancé")

        # 1. the main phase, with the import in its middle
        moments: dict = {}

        def with_import(ready: float) -> None:
            time.sleep(args.duree)
            moments["submitted"] = time.time()
            import_ids = submit_imports(inst, extracts)
            moments.update(follow_imports(inst, import_ids, timeout=args.import_max))
            time.sleep(2)

        print(f"  phase principale : {args.utilisateurs_import} utilisateurs, "
              f"{args.imports} import(s) de {args.jeunes} jeunes après {args.duree} s")
        main = locust(inst, "principale", args.utilisateurs_import, with_import)
        report["main"] = main_report(main, moments)
        print_main(report["main"])

        # 2. the step test
        steps = []
        for users in args.utilisateurs:
            run = locust(inst, f"palier_{users}", users,
                         lambda ready: time.sleep(args.duree))
            steps.append(step_report(run))
            s = steps[-1]
            print(f"  palier {users:>3} utilisateurs : {s['requests']} requêtes, "
                  f"p95 global {fmt(s['p95_overall'], 0)} ms, /healthz {fmt(s['p95_healthz'], 0)}"
                  f" ms, ratio {fmt(s['ratio'])}")
        report["steps"] = steps
        report["doubling"] = doubling(steps)
    finally:
        for proc in reversed(inst.procs):
            stop(proc)
        report["faults"] = faults(inst, report)
        teardown(inst)
    print_steps(report)
    print_faults(report["faults"])
    write_report(inst.results, report)
    return report


def main_report(run: Run, moments: dict) -> dict:
    before = window(run.samples, run.ready, moments["submitted"])
    during = window(run.samples, moments["started"], moments["ended"])
    b, d = by_name(before), by_name(during)
    base_b, base_d = p95(b.get(BASELINE, [])), p95(d.get(BASELINE, []))
    rows = []
    for name in sorted(set(b) | set(d)):
        if name in SIGN_IN:
            continue
        pb, pd = p95(b.get(name, [])), p95(d.get(name, []))
        rows.append({"endpoint": name, "n_before": len(b.get(name, [])), "p95_before": pb,
                     "ratio_healthz": ratio(pb, base_b), "n_during": len(d.get(name, [])),
                     "p95_during": pd, "during_over_before": ratio(pd, pb)})
    ob, od = p95(overall(before)), p95(overall(during))
    return {"users": run.users, "rows": rows, "healthz_before": base_b, "healthz_during": base_d,
            "overall_before": ob, "overall_during": od,
            "overall_during_over_before": ratio(od, ob),
            "import": {k: v for k, v in moments.items()},
            "before_seconds": moments["submitted"] - run.ready,
            "during_seconds": moments["ended"] - moments["started"]}


def step_report(run: Run) -> dict:
    kept = window(run.samples, run.ready, run.stopped)
    seconds = max(run.stopped - run.ready, 1e-9)
    ph, po = p95([s.ms for s in kept if s.name == BASELINE]), p95(overall(kept))
    return {"users": run.users, "requests": len(kept), "rps": len(kept) / seconds,
            "p95_healthz": ph, "p95_overall": po, "ratio": ratio(po, ph),
            "failures": sum(1 for s in kept if not s.ok)}


def doubling(steps: list[dict]) -> dict:
    """The first step whose p95 ratio (resp. absolute p95) is twice the smallest step's."""
    if not steps:
        return {}
    first = steps[0]
    by_ratio = next((s["users"] for s in steps[1:] if s["ratio"] >= 2 * first["ratio"]), None)
    by_abs = next((s["users"] for s in steps[1:]
                   if s["p95_overall"] >= 2 * first["p95_overall"]), None)
    return {"reference_users": first["users"], "ratio_users": by_ratio, "absolute_users": by_abs}


def faults(inst: Instance, report: dict) -> dict:
    web = inst.results / "serveur.log"
    worker = inst.results / "worker.log"
    web_text = web.read_text(errors="replace") if web.exists() else ""
    worker_text = worker.read_text(errors="replace") if worker.exists() else ""
    access_5xx = len(re.findall(r'" 5\d\d \S+ "', web_text))
    locust_5xx = 0
    for path in inst.results.glob("*_requetes.csv"):
        locust_5xx += sum(1 for s in read_samples(path) if s.status >= 500)
    failures = {}
    for path in inst.results.glob("*_failures.csv"):
        with path.open(encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                key = f"{row['Name']}: {row['Error'][:160]}"
                failures[key] = failures.get(key, 0) + int(row["Occurrences"])
    return {"http_5xx_access_log": access_5xx, "http_5xx_locust": locust_5xx,
            "database_locked": web_text.count(LOCKED) + worker_text.count(LOCKED),
            "tracebacks": web_text.count("Traceback") + worker_text.count("Traceback"),
            "failures": failures}


# ------------------------------------------------------------------ output
def print_main(m: dict) -> None:
    imp = m["import"]
    print(f"\n  Import : {imp['status']} en {fmt((imp['ended'] - imp['started']), 0)} s "
          f"(durées enregistrées {imp.get('duration_ms')} ms); fenêtre « avant » "
          f"{m['before_seconds']:.0f} s, « pendant » {m['during_seconds']:.0f} s")
    if imp["status"] != "termine":
        print(f"  message : {imp.get('message')}")
    print(f"\n  {'endpoint':34} {'n':>5} {'p95 ms':>8} {'÷ /healthz':>10} {'n imp.':>6} "
          f"{'p95 imp.':>8} {'imp./avant':>10}")
    for r in m["rows"]:
        print(f"  {r['endpoint']:34} {r['n_before']:5d} {fmt(r['p95_before'], 0):>8} "
              f"{fmt(r['ratio_healthz']):>10} {r['n_during']:6d} {fmt(r['p95_during'], 0):>8} "
              f"{fmt(r['during_over_before'], 2):>10}")
    print(f"  {'(toutes hors /healthz et connexion)':34} {'':5} {fmt(m['overall_before'], 0):>8} "
          f"{fmt(ratio(m['overall_before'], m['healthz_before'])):>10} {'':6} "
          f"{fmt(m['overall_during'], 0):>8} {fmt(m['overall_during_over_before'], 2):>10}")


def print_steps(report: dict) -> None:
    steps, d = report.get("steps", []), report.get("doubling", {})
    if not steps:
        return
    print(f"\n  {'utilisateurs':>12} {'requêtes':>9} {'req/s':>6} {'p95 /healthz':>12} "
          f"{'p95 global':>10} {'ratio':>6}")
    for s in steps:
        print(f"  {s['users']:12d} {s['requests']:9d} {s['rps']:6.1f} "
              f"{fmt(s['p95_healthz'], 0):>12} {fmt(s['p95_overall'], 0):>10} "
              f"{fmt(s['ratio']):>6}")
    ref = d.get("reference_users")
    print(f"  ratio p95 doublé (par rapport à {ref} utilisateurs) : "
          + (f"à {d['ratio_users']} utilisateurs" if d.get("ratio_users")
             else f"pas atteint jusqu'à {steps[-1]['users']} utilisateurs"))
    print("  p95 global (ms) doublé : "
          + (f"à {d['absolute_users']} utilisateurs" if d.get("absolute_users")
             else f"pas atteint jusqu'à {steps[-1]['users']} utilisateurs"))


def print_faults(f: dict) -> None:
    print(f"\n  5xx : {f['http_5xx_locust']} (locust), {f['http_5xx_access_log']} (journal "
          f"d'accès gunicorn) ; « {LOCKED} » : {f['database_locked']} ; tracebacks : "
          f"{f['tracebacks']}")
    for key, n in sorted(f["failures"].items(), key=lambda kv: -kv[1])[:15]:
        print(f"  échec ×{n} — {key}")


def write_report(folder: Path, report: dict) -> None:
    (folder / "rapport.json").write_text(json.dumps(report, indent=1, default=str))
    m = report.get("main")
    if m:
        with (folder / "endpoints.csv").open("w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(m["rows"][0]))
            writer.writeheader()
            writer.writerows(m["rows"])
    if report.get("steps"):
        with (folder / "paliers.csv").open("w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(report["steps"][0]))
            writer.writeheader()
            writer.writerows(report["steps"])
    lines = [f"# Test de charge — {report['db']}", ""]
    if m:
        lines += ["| endpoint | n | p95 (ms) | ÷ /healthz | p95 pendant l'import | "
                  "pendant ÷ avant |", "|---|---:|---:|---:|---:|---:|"]
        lines += [f"| {r['endpoint']} | {r['n_before']} | {fmt(r['p95_before'], 0)} | "
                  f"{fmt(r['ratio_healthz'])} | {fmt(r['p95_during'], 0)} | "
                  f"{fmt(r['during_over_before'], 2)} |" for r in m["rows"]]
        lines += ["", f"Toutes requêtes (hors /healthz et connexion) : p95 pendant l'import ÷ "
                  f"avant = {fmt(m['overall_during_over_before'], 2)}", ""]
    if report.get("steps"):
        lines += ["| utilisateurs | requêtes | p95 /healthz | p95 global | ratio |",
                  "|---:|---:|---:|---:|---:|"]
        lines += [f"| {s['users']} | {s['requests']} | {fmt(s['p95_healthz'], 0)} | "
                  f"{fmt(s['p95_overall'], 0)} | {fmt(s['ratio'])} |" for s in report["steps"]]
        d = report["doubling"]
        lines += ["", f"Ratio doublé à : {d.get('ratio_users') or 'pas atteint'} ; "
                  f"p95 absolu doublé à : {d.get('absolute_users') or 'pas atteint'}", ""]
    f = report["faults"]
    lines += [f"5xx : {f['http_5xx_locust']} (locust) / {f['http_5xx_access_log']} (gunicorn) ; "
              f"« {LOCKED} » : {f['database_locked']}"]
    (folder / "rapport.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


# ------------------------------------------------------------------ entry point
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="sqlite")
    parser.add_argument("--duree", type=float, default=30,
                        help="secondes de mesure par palier, et avant l'import (défaut 30)")
    parser.add_argument("--utilisateurs", type=int, nargs="+", default=[5, 10, 20, 40],
                        help="paliers du test de montée en charge (défaut 5 10 20 40)")
    parser.add_argument("--utilisateurs-import", type=int, default=10,
                        help="utilisateurs de la phase principale, pendant l'import (10)")
    parser.add_argument("--jeunes", type=int, default=5000,
                        help="jeunes de l'extraction importée en cours de test (5000)")
    parser.add_argument("--imports", type=int, default=1,
                        help="imports de --jeunes jeunes mis en file l'un après l'autre (1)")
    parser.add_argument("--import-max", type=float, default=600,
                        help="secondes d'attente au plus pour la fin de l'import (600)")
    parser.add_argument("--resultats", type=Path, default=None,
                        help="dossier des résultats (défaut bench/results/charge-<date>)")
    args = parser.parse_args(argv)
    sys.stdout.reconfigure(line_buffering=True)  # progress shows as it comes, even in a file
    args.utilisateurs = sorted(set(args.utilisateurs))
    out = args.resultats or ROOT / "bench" / "results" / time.strftime("charge-%Y%m%d-%H%M%S")
    dbs = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    bad = False
    for db in dbs:
        if db == "postgresql":
            from tests import pg

            if pg.find_bindir() is None:
                print("\n=== postgresql === ignoré : PostgreSQL absent de cette machine")
                continue
        report = run_database(db, args, out)
        f = report["faults"]
        bad |= bool(f["http_5xx_locust"] or f["http_5xx_access_log"] or f["database_locked"])
        bad |= report.get("main", {}).get("import", {}).get("status") != "termine"
    print(f"\nRésultats : {out}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
