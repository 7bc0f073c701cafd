"""Throughput of the main pages on the demo data, as ratios against /healthz in the same run.

Usage: ``make bench`` (or ``.venv/bin/python bench/run.py [N]``). Prints, for each page, the
mean time per request and its ratio to the trivial /healthz request, so results compare across
machines. Uses a throwaway SQLite database; never part of ``make test``.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from datetime import date

os.environ.setdefault("ANIMARESEAU_INSTANCE_PATH", tempfile.mkdtemp(prefix="animareseau-bench-"))
os.environ.setdefault("ANIMARESEAU_ENV", "test")

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from models.funding.orm import Convention, TimeEntry  # noqa: E402
from models.programme import queries  # noqa: E402
from models.training.orm import Registration  # noqa: E402
from seeds.demo import DEMO_PASSWORD, build_demo  # noqa: E402
from webapp import create_app  # noqa: E402
from webapp.extensions import db  # noqa: E402

PAGES = ["/", "/reseau/", "/reseau/?tri=commune&ordre=desc&q=mission", "/admin/utilisateurs",
         "/admin/journal"]
# Programme pages, on the demo's 2026 programme (id resolved at run time).
PROGRAMME_PAGES = ["/programmes/{p}", "/programmes/{p}/actions",
                   "/programmes/{p}/actions?axe=2&retard=1&tri=pilote",
                   "/programmes/{p}/calendrier",
                   "/programmes/actions/{a}", "/programmes/{p}/export.xlsx",
                   "/programmes/{p}/export.csv"]
# Funding pages: the multi-year FSE convention (the most allocations), the 2026 plan, the
# timesheet of the person whose hours the demo pre-fills.
FUNDING_PAGES = ["/financements/", "/financements/?tri=recu&ordre=desc&statut=signee",
                 "/financements/financeurs", "/financements/conventions/{c}",
                 "/financements/plan/{p}", "/financements/plan/{p}/export.xlsx",
                 "/financements/plan/{p}/export.csv", "/financements/echeances",
                 "/financements/temps", "/financements/temps/{m}/2026",
                 "/financements/temps/{m}/2026/3.pdf"]
# Training pages: the busiest demo session (most registrations) and its documents.
TRAINING_PAGES = ["/formations/", "/formations/?periode=toutes", "/formations/catalogue",
                  "/formations/mes-inscriptions", "/formations/sessions/{s}",
                  "/formations/sessions/{s}/emargement.pdf", "/formations/sessions.ics"]


def _time(client, url: str, n: int) -> float:
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        response = client.get(url)
        samples.append(time.perf_counter() - start)
        assert response.status_code == 200, (url, response.status_code)
    return statistics.median(samples)


def main(n: int = 200) -> None:
    app = create_app({"WTF_CSRF_ENABLED": False, "LOGIN_RATE_LIMIT": "10000 per minute"})
    with app.app_context():
        upgrade()
        build_demo(db.session)
        db.session.commit()
        programme = queries.current_programme(db.session, date(2026, 11, 23))
        fse = db.session.scalar(select(Convention).where(Convention.reference.like("FSE%")))
        member = db.session.scalar(select(TimeEntry.member_id).limit(1))
        busiest = db.session.scalar(
            select(Registration.session_id).group_by(Registration.session_id)
            .order_by(func.count().desc()).limit(1))
        ids = {"p": programme.id, "a": programme.actions[0].id, "c": fse.id, "m": member,
               "s": busiest}
    client = app.test_client()
    client.post("/connexion", data={"email": "admin@demo.arml.fr", "password": DEMO_PASSWORD})
    baseline = _time(client, "/healthz", n)
    print(f"{'page':45} {'médiane (ms)':>12} {'ratio /healthz':>15}")
    print(f"{'/healthz (référence)':45} {baseline * 1000:12.2f} {1:15.1f}")
    for url in PAGES + [page.format(**ids) for page in PROGRAMME_PAGES + FUNDING_PAGES
                                          + TRAINING_PAGES]:
        t = _time(client, url, n)
        print(f"{url:45} {t * 1000:12.2f} {t / baseline:15.1f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200)
