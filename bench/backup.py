"""Backup and restore of a generated region, as ratios to the bare copy in the same run.

Usage: ``.venv/bin/python bench/backup.py [--scale 3] [--backend sqlite|postgresql|both]``
(part of ``make bench``). Generates and imports the large-region year of
``bench/parcours.py`` at ``--scale`` (3: about 330,000 young people and 4.5 million
events), then measures:

- SQLite: ``backup create`` and ``backup restore`` (into a new file) against copying the
  database file (``shutil.copyfile``);
- PostgreSQL: the same against a bare ``pg_dump -Fc`` and a bare ``pg_restore`` into an
  empty database.

Goal of the issue: each ≤ 2× its bare counterpart. Our backup also checks the copy
(integrity, foreign keys) and writes a digest of every table; the restore re-reads the
backup and the restored base to compare them with the manifest: those reads are the cost.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("ANIMARESEAU_ENV", "test")

from bench.parcours import (  # noqa: E402
    BASE_JEUNES,
    PERIOD_1,
    generate,
    prepare_database,
    run_child_import,
)


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def row_count(url: str) -> int:
    from sqlalchemy import create_engine

    from models.operations.digest import database_digests

    engine = create_engine(url)
    with engine.connect() as conn:
        total = sum(d.rows for d in database_digests(conn).values())
    engine.dispose()
    return total


def bench_sqlite(workdir: Path, folder: Path) -> list[tuple[str, float, float]]:
    from models.operations import backup as bk

    db_file = workdir / "bench.db"
    url = f"sqlite:///{db_file}"
    prepare_database(url, workdir)
    print(f"  import : {run_child_import(url, folder, PERIOD_1, workdir)['seconds']:.1f} s")
    size = db_file.stat().st_size / 1e6
    print(f"  base SQLite : {size:,.0f} Mo, {row_count(url):,} lignes".replace(",", " "))
    copy = timed(lambda: shutil.copyfile(db_file, workdir / "copie.db"))
    (workdir / "copie.db").unlink()
    result = {}
    create = timed(lambda: result.setdefault("r", bk.create_backup(url, workdir / "sauv")))
    target = f"sqlite:///{workdir / 'restauree.db'}"
    restore = timed(lambda: bk.restore_backup(result["r"].path, target, key=b"bench-key"))
    return [("copie du fichier (référence)", copy, 1.0),
            ("backup create", create, create / copy),
            ("backup restore (base neuve)", restore, restore / copy)]


def bench_postgresql(workdir: Path, folder: Path) -> list[tuple[str, float, float]]:
    from sqlalchemy import make_url

    from models.operations import backup as bk
    from tests import pg

    cluster = pg.start_cluster()
    try:
        admin = ["psql", "-h", "127.0.0.1", "-p", str(cluster.port), "-U", "postgres",
                 "-d", "postgres", "-qc"]
        for name in ("bench", "nue", "restauree"):
            subprocess.run([*admin, f"CREATE DATABASE {name}"], check=True)
        url = cluster.url("bench")
        prepare_database(url, workdir)
        print(f"  import : {run_child_import(url, folder, PERIOD_1, workdir)['seconds']:.1f} s")
        print(f"  base PostgreSQL : {row_count(url):,} lignes".replace(",", " "))
        conn_args = ["-h", "127.0.0.1", "-p", str(cluster.port), "-U", "postgres"]
        dump = workdir / "nu.pgdump"
        bare_dump = timed(lambda: subprocess.run(
            [bk._pg_bin("pg_dump"), "-Fc", *conn_args, "-d", "bench", "-f", str(dump)],
            check=True))
        bare_restore = timed(lambda: subprocess.run(
            [bk._pg_bin("pg_restore"), "--single-transaction", "--exit-on-error",
             "--no-owner", *conn_args, "-d", "nue", str(dump)], check=True))
        result = {}
        create = timed(lambda: result.setdefault("r", bk.create_backup(url,
                                                                        workdir / "sauv")))
        target = str(make_url(url).set(database="restauree").render_as_string(False))
        restore = timed(lambda: bk.restore_backup(result["r"].path, target,
                                                  key=b"bench-key"))
    finally:
        cluster.stop()
    return [("pg_dump nu (référence)", bare_dump, 1.0),
            ("backup create", create, create / bare_dump),
            ("pg_restore nu (référence)", bare_restore, 1.0),
            ("backup restore (base neuve)", restore, restore / bare_restore)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=3)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="animareseau-bench-backup-"))
    os.environ["ANIMARESEAU_INSTANCE_PATH"] = str(workdir)
    try:
        folder = workdir / "extraction"
        folder.mkdir()
        print(f"Sauvegarde et restauration, région générée × {args.scale:g}")
        generate(folder, int(BASE_JEUNES * args.scale), PERIOD_1)
        backends = ("sqlite", "postgresql") if args.backend == "both" else (args.backend,)
        for backend in backends:
            print(f"\n{backend} :")
            sub = workdir / backend
            sub.mkdir()
            rows = (bench_sqlite if backend == "sqlite" else bench_postgresql)(sub, folder)
            for label, seconds, ratio in rows:
                print(f"  {label:<32} {seconds:7.2f} s   × {ratio:4.1f}")
            print("  objectif : chaque opération ≤ 2 × sa référence")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
