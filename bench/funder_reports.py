"""Funder report costs, as ratios from one run (SQLite, the demo region).

Usage: ``.venv/bin/python bench/funder_reports.py [--repeat 5]``. Seeds the demo into a
throwaway SQLite database (the seed itself generates and publishes the 14 demo
reports), then prints:

1. building each demo report (snapshot + PDF), the largest one first, and the FSE+
   report enlarged to at least 40 pages (its snapshot's actions and monthly time annex
   repeated: the demo's own FSE+ report is shorter) — median seconds and pages
   (goal: ≤ 3 s for the ≥ 40-page report);
2. serving a stored report (``GET …/rapport-….pdf`` through the Flask test client, as the
   financeur) against ``GET /healthz`` in the same run: median milliseconds and the ratio
   (goal ≤ 20×).

Prints only; no figure is asserted.
"""

from __future__ import annotations

import argparse
import copy
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def median_time(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def enlarge(content: dict, pages_wanted: int, render) -> dict:
    """The snapshot with its actions and FSE+ annex repeated until the PDF has enough
    pages (a bigger programme, same shapes)."""
    big = copy.deepcopy(content)
    actions, annex = content["actions"], content["variant"].get("fse_annex", [])
    while render(big).pages < pages_wanted:
        big["actions"] += copy.deepcopy(actions)
        big["variant"]["fse_annex"] = big["variant"].get("fse_annex", []) + annex
    return big


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="bench-rapports-"))
    os.environ["DATABASE_URL"] = f"sqlite:///{folder / 'bench.db'}"
    from sqlalchemy import select

    from models.accounts.orm import User
    from models.accounts.roles import Role
    from models.reports.content import Parameters, build_content
    from models.reports.orm import FunderReport
    from seeds.demo import DEMO_PASSWORD, build_demo
    from webapp import create_app
    from webapp.extensions import db
    from webapp.pdf.funder_report import render

    app = create_app({"WTF_CSRF_ENABLED": False})
    with app.app_context():
        db.create_all()
        start = time.perf_counter()
        build_demo(db.session)
        db.session.commit()
        print(f"Démo construite en {time.perf_counter() - start:.1f} s "
              "(dont la génération des rapports publiés).")
        reports = db.session.scalars(select(FunderReport)
                                     .order_by(FunderReport.pages.desc())).all()
        print("\n1. Construction (instantané + PDF), médiane de", args.repeat, "essais")
        for report in reports[:4]:
            params = Parameters.from_json(report.parameters)
            seconds = median_time(lambda p=params: render(build_content(db.session, p)),
                                  args.repeat)
            print(f"   {report.funder.name[:40]:40} {report.year} : {report.pages:3d} pages, "
                  f"{seconds:.3f} s")
        fse = next(r for r in reports if r.content["meta"]["variant"] == "fse"
                   and r.year == max(x.year for x in reports))
        big = enlarge(fse.content, 40, render)
        pages = render(big).pages
        seconds = median_time(lambda: render(big), args.repeat)
        build = median_time(lambda: build_content(
            db.session, Parameters.from_json(fse.parameters)), args.repeat)
        print(f"   FSE+ agrandi : {pages} pages, PDF {seconds:.3f} s + instantané "
              f"{build:.3f} s = {seconds + build:.3f} s (objectif ≤ 3 s)")

        financeur = db.session.scalar(select(User).where(User.role == Role.FINANCEUR))
        own = next(r for r in reports if r.funder_id == financeur.funder_id and r.published)
        url = f"/financements/rapports/{own.id}/{own.filename[:-4]}.pdf"
        email = financeur.email
    client = app.test_client()
    response = client.post("/connexion", data={"email": email, "password": DEMO_PASSWORD})
    assert response.status_code == 302, response.status_code
    assert client.get(url).status_code == 200
    n = max(20, args.repeat * 10)
    serve = median_time(lambda: client.get(url), n)
    health = median_time(lambda: client.get("/healthz"), n)
    print(f"\n2. Service d'un rapport archivé ({own.size} octets), médiane de {n} requêtes")
    print(f"   PDF {serve * 1000:.1f} ms, /healthz {health * 1000:.1f} ms : "
          f"{serve / health:.1f}× (objectif ≤ 20×)")


if __name__ == "__main__":
    main()
