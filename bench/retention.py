"""The legal retention purge of a year's cohort, as a ratio to the import of the region.

Usage: ``.venv/bin/python bench/retention.py [--scale 3] [--backend sqlite|postgresql|both]``
(part of ``make bench``). Generates and imports the large-region year of
``bench/parcours.py`` at ``--scale`` (3: about 330,000 young people), timing the import;
then runs ``purge_youth_data`` on the day when the next birth year (holding at least 1 % of
the people: defective dates make stray older years) has passed its limit
(31 December of the year it turns 27): that year's cohort goes, but for the people kept by
an open programme or a CEJ, plus those without a birth date first received 11 years
before. Goal of the issue: the purge ≤ the import of that region, in the same run. A
second run on the same day must remove 0.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("ANIMARESEAU_ENV", "test")

from bench.parcours import (  # noqa: E402
    BASE_JEUNES,
    PERIOD_1,
    TODAY,
    generate,
    prepare_database,
    run_child_import,
)


def purge_cohort(url: str) -> tuple[float, object, object]:
    from sqlalchemy import func, select

    from models.database import make_engine
    from models.parcours.orm import PqJeune
    from models.parcours.retention import purge_youth_data

    engine = make_engine(url)
    with engine.connect() as conn:
        years = dict(conn.execute(select(PqJeune.birth_year, func.count())
                                  .where(PqJeune.birth_year.is_not(None))
                                  .group_by(PqJeune.birth_year)).all())
    total = sum(years.values())
    # the next real cohort to pass its limit after the import's day (a few defective birth
    # dates make stray older years; a day before the import's would make its events "future")
    oldest = min(y for y, n in years.items() if n >= total / 100 and y + 27 > TODAY.year)
    print(f"  cohorte des jeunes nés en {oldest} : {years[oldest]:,} sur {total:,} "
          "jeunes".replace(",", " "))
    day = date(oldest + 27, 12, 31)
    started = time.perf_counter()
    report = purge_youth_data(engine, today=day, via="cli")
    seconds = time.perf_counter() - started
    again = purge_youth_data(engine, today=day, via="cli")
    engine.dispose()
    return seconds, report, again


def run_backend(backend: str, workdir: Path, folder: Path) -> None:
    cluster = None
    if backend == "sqlite":
        url = f"sqlite:///{workdir / 'bench.db'}"
    else:
        from tests import pg

        cluster = pg.start_cluster()
        subprocess.run(["psql", "-h", "127.0.0.1", "-p", str(cluster.port), "-U", "postgres",
                        "-d", "postgres", "-qc", "CREATE DATABASE bench"], check=True)
        url = cluster.url("bench")
    try:
        prepare_database(url, workdir)
        imported = run_child_import(url, folder, PERIOD_1, workdir)["seconds"]
        seconds, report, again = purge_cohort(url)
    finally:
        if cluster is not None:
            cluster.stop()
    print(f"  import de la région (référence) {imported:7.2f} s")
    print(f"  purge d'une cohorte             {seconds:7.2f} s   × {seconds / imported:4.2f}")
    print(f"  {report.summary()}")
    print(f"  seconde purge le même jour : {again.people} jeune(s) supprimé(s)")
    print("  objectif : purge ≤ 1 × l'import ; seconde purge : 0")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=3)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="animareseau-bench-retention-"))
    os.environ["ANIMARESEAU_INSTANCE_PATH"] = str(workdir)
    try:
        folder = workdir / "extraction"
        folder.mkdir()
        print(f"Purge réglementaire, région générée × {args.scale:g}")
        generate(folder, int(BASE_JEUNES * args.scale), PERIOD_1)
        for backend in ("sqlite", "postgresql") if args.backend == "both" else (args.backend,):
            print(f"\n{backend} :")
            sub = workdir / backend
            sub.mkdir()
            run_backend(backend, sub, folder)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
