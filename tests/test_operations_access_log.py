"""The access log of youth-level data: every view or export of a mission locale's findings
(they carry ``id_jeune``) is recorded — who, when, which ML, what — never the search
typed; pages without youth-level rows record nothing; the admin reads the log on
/admin/acces (filters, pagination), nobody else does. And the web server's access log
keeps no query string (Procfile)."""

from __future__ import annotations

import re
import shlex
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from models import clock
from models.audit import set_actor
from models.operations.access_log import (
    AccessFilters,
    page_of_accesses,
    people_in_log,
    record_access,
)
from models.operations.orm import DataAccess
from models.operations.retention import start_of
from models.parcours.orm import ParcoursExtract, ParcoursImport, QualityFinding
from tests.conftest import login
from webapp.extensions import db

ROOT = Path(__file__).resolve().parent.parent


def add_findings(app, ml_id: int, *, id_jeune: str = "4242") -> None:
    """A finished import with one current extract of ``ml_id`` and one finding."""
    with app.app_context():
        s = db.session
        set_actor(s, None, via="cli")
        record = ParcoursImport(source_name="extrait.zip", period_start=date(2026, 1, 1),
                                period_end=date(2026, 9, 30), status="termine",
                                progress=100, stage="Terminé")
        s.add(record)
        s.flush()
        extract = ParcoursExtract(import_id=record.id, mission_locale_id=ml_id,
                                  period_start=record.period_start,
                                  period_end=record.period_end, status="current", jeunes=1)
        s.add(extract)
        s.flush()
        s.add(QualityFinding(extract_id=extract.id, rule_code="Q04", severity="erreur",
                             record_key=f"J:{id_jeune}", id_jeune=id_jeune, field="sexe",
                             value="X"))
        s.commit()


def accesses(app) -> list[tuple]:
    with app.app_context():
        return [(a.user_email, a.role, a.mission_locale_id, a.kind, a.what)
                for a in db.session.scalars(select(DataAccess).order_by(DataAccess.id))]


def signed_in(app, world, who: str):
    client = app.test_client()
    assert login(client, world["emails"][who]).status_code == 302
    return client


# ---------------------------------------------------------------- recording
def test_views_and_exports_of_findings_are_recorded(app, world):
    ids = world["ids"]
    add_findings(app, ids["ml_a"])
    add_findings(app, ids["ml_b"], id_jeune="777")
    ml = signed_in(app, world, "ml")
    page = ml.get(f"/qualite/ml/{ids['ml_a']}?id_jeune=4242&tri=id_jeune")
    assert page.status_code == 200 and "4242" in page.get_data(as_text=True)
    assert ml.get(f"/qualite/ml/{ids['ml_a']}/constats.csv").status_code == 200
    assert ml.get(f"/qualite/ml/{ids['ml_a']}/constats.xlsx").status_code == 200
    # another ML's findings: not found, and nothing read, nothing logged
    assert ml.get(f"/qualite/ml/{ids['ml_b']}").status_code == 404
    team = signed_in(app, world, "animateur")
    assert team.get(f"/qualite/ml/{ids['ml_b']}").status_code == 200
    assert team.get(f"/qualite/ml/{ids['ml_b']}/constats.csv?id_jeune=777").status_code == 200

    period = "extraction du 01/01/2026 au 30/09/2026"
    assert accesses(app) == [
        ("ml@test.fr", "ml", ids["ml_a"], "consultation", f"anomalies, {period}"),
        ("ml@test.fr", "ml", ids["ml_a"], "export", f"export CSV des anomalies, {period}"),
        ("ml@test.fr", "ml", ids["ml_a"], "export", f"export XLSX des anomalies, {period}"),
        ("anim@test.fr", "animateur", ids["ml_b"], "consultation", f"anomalies, {period}"),
        ("anim@test.fr", "animateur", ids["ml_b"], "export",
         f"export CSV des anomalies, {period}"),
    ]
    with app.app_context():  # who: the account's id too; when: now
        row = db.session.scalars(select(DataAccess).order_by(DataAccess.id)).first()
        assert row.user_id == ids["ml"]
        occurred = row.occurred_at if row.occurred_at.tzinfo else row.occurred_at.replace(
            tzinfo=clock.now().tzinfo)
        assert abs(occurred - clock.now()) < timedelta(minutes=5)


def test_pages_without_youth_level_rows_record_nothing(app, world):
    ids = world["ids"]
    add_findings(app, ids["ml_a"])
    copil = signed_in(app, world, "copil")  # score and counts per rule, no findings
    page = copil.get(f"/qualite/ml/{ids['ml_a']}")
    assert page.status_code == 200 and "4242" not in page.get_data(as_text=True)
    assert copil.get("/qualite/").status_code == 200
    team = signed_in(app, world, "animateur")
    assert team.get("/qualite/").status_code == 200  # the regional table: counts
    assert team.get(f"/qualite/ml/{ids['ml_b']}").status_code == 200  # no extract yet
    # an export without an extract is the headers alone
    assert team.get(f"/qualite/ml/{ids['ml_b']}/constats.csv").status_code == 200
    assert accesses(app) == []


# ---------------------------------------------------------------- domain query
def test_record_and_query(app, world):
    ids = world["ids"]
    with app.app_context():
        s = db.session
        from models.accounts.orm import User

        ml_user, anim = s.get(User, ids["ml"]), s.get(User, ids["animateur"])
        with pytest.raises(ValueError):
            record_access(s, ml_user, mission_locale_id=ids["ml_a"], kind="lecture", what="x")
        today = clock.today()
        rows = []
        for days, user, ml_id, kind in ((0, ml_user, ids["ml_a"], "consultation"),
                                        (1, anim, ids["ml_b"], "export"),
                                        (10, anim, ids["ml_a"], "consultation")):
            row = record_access(s, user, mission_locale_id=ml_id, kind=kind, what="x" * 200)
            row.occurred_at = start_of(today - timedelta(days=days)) + timedelta(hours=12)
            rows.append(row)
        s.commit()
        assert len(rows[0].what) == 120 and rows[0].role == "ml"

        def got(**filters):
            return [r.id for r in page_of_accesses(s, AccessFilters(**filters)).items]

        assert got() == [rows[0].id, rows[1].id, rows[2].id]  # newest first
        assert got(mission_locale_id=ids["ml_a"]) == [rows[0].id, rows[2].id]
        assert got(user_id=ids["animateur"]) == [rows[1].id, rows[2].id]
        assert got(kind="export") == [rows[1].id]
        assert got(start=today - timedelta(days=1)) == [rows[0].id, rows[1].id]
        assert got(end=today - timedelta(days=1)) == [rows[1].id, rows[2].id]
        assert got(start=today - timedelta(days=10), end=today - timedelta(days=10)) == [
            rows[2].id]
        second = page_of_accesses(s, AccessFilters(), page=2, per_page=2)
        assert ([r.id for r in second.items], second.total, second.pages) == (
            [rows[2].id], 3, 2)
        assert people_in_log(s) == [(ids["animateur"], "anim@test.fr"),
                                    (ids["ml"], "ml@test.fr")]


# ---------------------------------------------------------------- the admin page
def _rows_of(html: str) -> int:
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0] if "<tbody>" in html else ""
    return body.count("<tr>")


def test_admin_page_lists_filters_and_paginates(app, world):
    ids = world["ids"]
    with app.app_context():
        s = db.session
        from models.accounts.orm import User

        ml_user, anim = s.get(User, ids["ml"]), s.get(User, ids["animateur"])
        for n in range(27):
            record_access(s, ml_user, mission_locale_id=ids["ml_a"], kind="consultation",
                          what=f"anomalies n°{n}")
        old = record_access(s, anim, mission_locale_id=ids["ml_b"], kind="export",
                            what="export XLSX des anomalies")
        old.occurred_at = start_of(clock.today() - timedelta(days=40))
        s.commit()
    admin = signed_in(app, world, "admin")
    page = admin.get("/admin/acces")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Journal des accès aux données des jeunes" in html
    assert _rows_of(html) == 25 and "anomalies n°26" in html and "anomalies n°1<" not in html
    assert "Marc Libourne" in html and "Mission locale du Libournais" in html
    assert "1–25 sur 28 accès" in html
    html = admin.get("/admin/acces?page=2").get_data(as_text=True)
    assert _rows_of(html) == 3 and "export XLSX des anomalies" in html

    def shown(query: str) -> str:
        response = admin.get("/admin/acces?" + query)
        assert response.status_code == 200
        return response.get_data(as_text=True)

    html = shown(f"type=export&ml={ids['ml_b']}")
    assert _rows_of(html) == 1 and "Alain Anim" in html and "Export" in html
    assert _rows_of(shown(f"personne={ids['animateur']}")) == 1
    assert _rows_of(shown(f"personne={ids['ml']}&par_page=50")) == 27
    before = (clock.today() - timedelta(days=30)).isoformat()
    assert _rows_of(shown(f"au={before}")) == 1
    assert _rows_of(shown(f"du={before}&par_page=50")) == 27
    html = shown("du=31/02/2026&ml=abc&personne=9999999999999")
    assert "pas une date (du, JJ/MM/AAAA)" in html and _rows_of(html) == 25  # ignored, no error
    html = shown(f"ml={ids['ml_b']}&type=consultation")
    assert "Aucun accès ne correspond à ces filtres." in html


def test_admin_page_empty_state_and_refusals(app, world):
    admin = signed_in(app, world, "admin")
    html = admin.get("/admin/acces").get_data(as_text=True)
    assert "Aucun accès enregistré." in html
    for who in ("animateur", "copil", "ml", "financeur"):
        assert signed_in(app, world, who).get("/admin/acces").status_code == 403
    anonymous = app.test_client().get("/admin/acces")
    assert anonymous.status_code == 302 and anonymous.headers["Location"].startswith(
        "/connexion")
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(DataAccess)) == 0


# ---------------------------------------------------------------- web server log
def _web_command() -> list[str]:
    for line in (ROOT / "Procfile").read_text().splitlines():
        if line.startswith("web:"):
            return shlex.split(line.split(":", 1)[1])
    raise AssertionError("no web: line in the Procfile")


def test_procfile_access_log_has_no_query_string():
    command = _web_command()
    assert command[command.index("--access-logfile") + 1] == "-"
    fmt = command[command.index("--access-logformat") + 1]
    assert "%(U)s" in fmt
    # the request line, the query string and the referer (a URL with its query) all
    # carry what was typed in a search
    for atom in ("%(r)s", "%(q)s", "%(f)s", "%({referer}i)s", "%({query_string}e)s"):
        assert atom not in fmt


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_gunicorn_logs_the_path_without_the_search(tmp_path):
    """The Procfile's web line, run for real (a tiny WSGI app in place of the product's,
    on a free port): the access log has the path, status and agent, not the search."""
    (tmp_path / "tinyapp.py").write_text(
        "def app(environ, start_response):\n"
        "    start_response('200 OK', [('Content-Type', 'text/plain')])\n"
        "    return [b'ok']\n")
    command = _web_command()
    port = _free_port()
    command[command.index("--bind") + 1] = f"127.0.0.1:{port}"
    command[command.index("--workers") + 1] = "1"
    command[-1] = "tinyapp:app"
    command[0] = str(Path(sys.executable).with_name("gunicorn"))
    log = tmp_path / "web.log"
    with log.open("w") as out:
        proc = subprocess.Popen([*command, "--chdir", str(tmp_path)], stdout=out,
                                stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                request = urllib.request.Request(
                    f"http://127.0.0.1:{port}/qualite/ml/3?id_jeune=DUPONT-4242&q=Maite",
                    headers={"Referer": f"http://127.0.0.1:{port}/admin/courriels?q=Etchart",
                             "User-Agent": "test-agent"})
                with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
                    assert response.status == 200
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise
                time.sleep(0.2)
        time.sleep(0.5)  # the access log line is written after the response
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    text = log.read_text()
    lines = [line for line in text.splitlines() if "/qualite/ml/3" in line]
    assert len(lines) == 1, text
    assert '"GET /qualite/ml/3 HTTP/1.1" 200 ' in lines[0] and '"test-agent"' in lines[0]
    for secret in ("DUPONT", "4242", "Maite", "Etchart", "?"):
        assert secret not in lines[0]
    # the load test counts 5xx in this log with this pattern (bench/loadtest/run.py)
    assert re.search(r'" 200 \S+ "', lines[0])
