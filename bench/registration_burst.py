"""A burst of concurrent registrations over HTTP: no overbooking, no gap, no 5xx.

Usage: ``make bench`` (or ``.venv/bin/python bench/registration_burst.py [--requests 300]
[--seats 20] [--clients 20] [--workers 4] [--threads 2]``).

For each backend (SQLite in a throwaway instance folder, then a throwaway PostgreSQL
cluster started like ``tests/pg.py`` does, skipped when PostgreSQL is not installed):
migrate with ``flask db upgrade``, seed the minimum (a region, a mission locale, the
team's admin account, one training with one session of 20 seats open today), start
gunicorn with several workers, sign in ``--clients`` browser sessions (the real login
and CSRF dance), then fire all registration requests at once, each from its own
thread, to ``POST /formations/sessions/<id>/inscriptions``. It must end with exactly
``seats`` confirmed and the rest waitlisted at positions 1..n without a gap, and no
5xx. Prints p50/p95 latency of the burst, and their ratio to the latency of the plain
``/healthz`` page measured in the same run (alone, and as a burst of the same size).
Exits non-zero when the invariant fails. Never part of ``make test``.

Signing in costs an Argon2 hash (about 0.4 s of CPU) on purpose: 300 logins would
benchmark the password hash, so the requests share ``--clients`` signed-in sessions
(like several tabs), each request still on its own connection and thread.
"""

from __future__ import annotations

import argparse
import http.client
import http.cookiejar
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import time as clock
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BIN = Path(sys.executable).parent

from sqlalchemy import func, select  # noqa: E402

from models.accounts.roles import Role  # noqa: E402
from models.accounts.services import UserData, create_user  # noqa: E402
from models.audit import set_actor  # noqa: E402
from models.database import make_engine, make_sessionmaker, transaction  # noqa: E402
from models.network.orm import MissionLocale, Region  # noqa: E402
from models.training import registrations as seats  # noqa: E402
from models.training.enums import HalfDay, Modality, RegistrationStatus  # noqa: E402
from models.training.orm import (  # noqa: E402
    Registration,
    SessionSlot,
    Training,
    TrainingSession,
)

EMAIL, PASSWORD = "admin@demo.arml.fr", "demo-arml-2026"  # noqa: S105 - demo credential
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
R = RegistrationStatus


# ---------------------------------------------------------------- database
def prepare(url: str, seats_count: int) -> tuple[int, int]:
    """Migrate, then seed the minimum; returns (session id, mission locale id)."""
    env = {**os.environ, "DATABASE_URL": url}
    subprocess.run([str(BIN / "flask"), "--app", "webapp", "db", "upgrade"], env=env,
                   cwd=ROOT, check=True, capture_output=True)
    engine = make_engine(url)
    try:
        with transaction(make_sessionmaker(engine)) as s:
            set_actor(s, None, via="cli")
            region = Region(code="75", name="Nouvelle-Aquitaine", arml_name="ARML (banc)")
            ml = MissionLocale(region=region, code="33001", name="Mission locale de Bordeaux",
                               departement="33", commune="Bordeaux")
            s.add_all([region, ml])
            s.flush()
            create_user(s, None, UserData(email=EMAIL, full_name="Anne Delorme",
                                          role=Role.ADMIN), PASSWORD)
            from models import clock as app_clock

            today = app_clock.today()
            training = Training(
                title="Entretien motivationnel : les fondamentaux", objectives="…",
                audience=["conseiller"], duration_days=Decimal("1"),
                duration_hours=Decimal("7"), modality=Modality.PRESENTIEL,
                provider="Motiv'Action Conseil", trainer="Sylvie Brunet")
            day = today + timedelta(days=14)
            ts = TrainingSession(
                training=training, start_date=day, end_date=day, trainer="Sylvie Brunet",
                place="ARML, 14 quai des Chartrons, 33000 Bordeaux", max_capacity=seats_count,
                registration_opens=today - timedelta(days=7),
                registration_closes=today + timedelta(days=7))
            ts.slots = [SessionSlot(day=day, half=HalfDay.MATIN, starts_at=clock(9),
                                    ends_at=clock(12, 30)),
                        SessionSlot(day=day, half=HalfDay.APRES_MIDI, starts_at=clock(13, 30),
                                    ends_at=clock(17))]
            s.add(training)
            s.flush()
            return ts.id, ml.id
    finally:
        engine.dispose()


def outcome(url: str, session_id: int) -> tuple[dict[str, int], list[int | None]]:
    engine = make_engine(url)
    try:
        with transaction(make_sessionmaker(engine)) as s:
            counts = dict(s.execute(select(Registration.status, func.count())
                                    .where(Registration.session_id == session_id)
                                    .group_by(Registration.status)).all())
            ts = s.get(TrainingSession, session_id)
            positions = [seats.position(s, reg) for reg in seats.waitlist(s, ts)]
            return {R(k).value: v for k, v in counts.items()}, positions
    finally:
        engine.dispose()


# ---------------------------------------------------------------- server
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(url: str, port: int, workers: int, threads: int, log: Path
                   ) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": url, "LOGIN_RATE_LIMIT": "100000 per minute"}
    env.pop("SMTP_HOST", None)  # nothing leaves the machine: e-mails stay in the outbox
    proc = subprocess.Popen(
        [str(BIN / "gunicorn"), "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
         "--threads", str(threads), "--timeout", "120", "webapp:create_app()"],
        cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn stopped:\n{log.read_text()[-3000:]}")
        try:
            if request(port, "GET", "/healthz")[0] == 200:
                return proc
        except OSError:
            time.sleep(0.2)
    proc.terminate()
    raise RuntimeError("gunicorn did not answer /healthz within 60 s")


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def request(port: int, method: str, path: str, body: str | None = None,
            headers: dict[str, str] | None = None) -> tuple[int, float]:
    """One request on its own connection, redirects not followed: (status, seconds)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=180)
    start = time.perf_counter()
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        response.read()
        return response.status, time.perf_counter() - start
    finally:
        conn.close()


# ---------------------------------------------------------------- clients
class Client:
    """A signed-in browser session: its cookie and the CSRF token of its forms."""

    def __init__(self, port: int, session_id: int) -> None:
        base = f"http://127.0.0.1:{port}"
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        token = _csrf(opener.open(f"{base}/connexion", timeout=60).read().decode())
        form = urllib.parse.urlencode({"email": EMAIL, "password": PASSWORD,
                                       "csrf_token": token}).encode()
        page = opener.open(f"{base}/connexion", data=form, timeout=60)
        if "/connexion" in page.geturl():
            raise RuntimeError("la connexion du compte admin a échoué")
        html = opener.open(f"{base}/formations/sessions/{session_id}", timeout=60).read()
        self.csrf = _csrf(html.decode())
        # the signed session cookie is stateless: one value serves all the requests
        self.cookie = "; ".join(f"{c.name}={c.value}" for c in jar)


def _csrf(html: str) -> str:
    match = CSRF_RE.search(html)
    if not match:
        raise RuntimeError("pas de jeton CSRF dans la page")
    return match.group(1)


def burst(port: int, n: int, make_request) -> list[tuple[int, float]]:
    """``n`` requests released together, each on its own thread and connection."""
    gate = threading.Barrier(n)

    def one(i: int) -> tuple[int, float]:
        method, path, body, headers = make_request(i)
        gate.wait()
        try:
            return request(port, method, path, body, headers)
        except OSError as exc:  # a refused or reset connection counts as a failure
            print(f"  requête {i} : {exc!r}")
            return 599, 0.0

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(one, range(n)))


def percentile(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


# ---------------------------------------------------------------- one backend
def run_backend(name: str, url: str, args: argparse.Namespace, workdir: Path) -> bool:
    print(f"\n== {name} : {args.requests} inscriptions simultanées, {args.seats} places, "
          f"gunicorn {args.workers} workers × {args.threads} threads ==")
    session_id, ml_id = prepare(url, args.seats)
    port = free_port()
    proc = start_gunicorn(url, port, args.workers, args.threads, workdir / f"{name}.log")
    try:
        with ThreadPoolExecutor(max_workers=4) as pool:
            clients = list(pool.map(lambda _: Client(port, session_id), range(args.clients)))
        # the plain page, alone then as a burst of the same size
        alone = [request(port, "GET", "/healthz")[1] for _ in range(50)]
        health = burst(port, args.requests, lambda i: ("GET", "/healthz", None, {}))

        path = f"/formations/sessions/{session_id}/inscriptions"

        def registration(i: int):
            client = clients[i % len(clients)]
            body = urllib.parse.urlencode({
                "last_name": f"Stagiaire{i:03d}", "first_name": "Camille",
                "email": f"camille.stagiaire{i:03d}@ml-bordeaux.fr", "job": "conseiller",
                "mission_locale_id": str(ml_id), "csrf_token": client.csrf})
            return "POST", path, body, {
                "Cookie": client.cookie, "Content-Type": "application/x-www-form-urlencoded"}

        started = time.perf_counter()
        results = burst(port, args.requests, registration)
        wall = time.perf_counter() - started
    finally:
        stop(proc)

    statuses = sorted({s for s, _ in results})
    by_status = {s: sum(1 for x, _ in results if x == s) for s in statuses}
    server_errors = sum(n for s, n in by_status.items() if s >= 500)
    latencies = [t for _, t in results]
    h_alone = statistics.median(alone)
    h_burst = [t for _, t in health]
    p50, p95 = percentile(latencies, 50), percentile(latencies, 95)
    hp50, hp95 = percentile(h_burst, 50), percentile(h_burst, 95)
    counts, positions = outcome(url, session_id)
    confirmed, waiting = counts.get("confirmee", 0), counts.get("attente", 0)
    expected_wait = args.requests - args.seats

    print(f"réponses HTTP : {by_status} (redirection 302 = inscription enregistrée) ; "
          f"durée totale {wall:.2f} s")
    print(f"latence des inscriptions : p50 {p50 * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms")
    print(f"/healthz seule : médiane {h_alone * 1000:.1f} ms ; /healthz en rafale de "
          f"{args.requests} : p50 {hp50 * 1000:.0f} ms, p95 {hp95 * 1000:.0f} ms")
    print(f"ratios : p50 / healthz seule = {p50 / h_alone:.0f} ; p95 / healthz seule = "
          f"{p95 / h_alone:.0f} ; p50 / healthz en rafale = {p50 / hp50:.1f} ; "
          f"p95 / healthz en rafale = {p95 / hp95:.1f}")
    gapless = positions == list(range(1, len(positions) + 1))
    print(f"résultat : {confirmed} confirmées, {waiting} en liste d'attente, positions "
          f"{'1..' + str(len(positions)) if positions else 'aucune'}"
          f"{' sans trou' if gapless else ' AVEC TROU OU DOUBLON'} ; autres statuts : "
          f"{ {k: v for k, v in counts.items() if k not in ('confirmee', 'attente')} or 'aucun'}")
    ok = (confirmed == args.seats and waiting == len(positions) == expected_wait and gapless
          and server_errors == 0)
    print("invariant : " + ("respecté" if ok else "VIOLÉ"))
    if not ok:
        print(f"(journal gunicorn : {workdir / (name + '.log')})")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--seats", type=int, default=20)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="animareseau-burst-"))
    os.environ["ANIMARESEAU_INSTANCE_PATH"] = str(workdir / "instance")
    os.environ.setdefault("ANIMARESEAU_ENV", "development")
    os.environ.pop("DATABASE_URL", None)
    results = []
    keep = False
    try:
        if args.backend in ("sqlite", "both"):
            url = f"sqlite:///{workdir / 'burst.db'}"
            results.append(run_backend("SQLite", url, args, workdir))
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
                        conn.execute("CREATE DATABASE animareseau_burst")
                    results.append(run_backend(
                        "PostgreSQL", cluster.url("animareseau_burst"), args, workdir))
                finally:
                    cluster.stop()
        keep = not all(results)
    finally:
        if not keep:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
