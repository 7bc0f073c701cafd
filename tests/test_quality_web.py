"""The data-quality area (/qualite/): upload → import → status page, the regional table,
one mission locale's findings with the team's marks, exports, charter and thresholds.

Imports run inline (``PARCOURS_JOBS = "inline"`` in the test app): the status page shows
the outcome right after the upload's redirect.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from models.network.orm import MissionLocale, Region
from models.parcours.orm import (
    ParcoursExtract,
    ParcoursImport,
    QualityFinding,
    QualityMark,
    QualitySettings,
)
from tests.conftest import login, make_app
from tests.parcours_helpers import (
    JEUNES_HEADER,
    clean_young,
    jeune,
    write_extract,
    zip_folder,
)
from webapp.extensions import db

DU, AU = "01/01/2026", "30/09/2026"


# ---------------------------------------------------------------- helpers
def bad_sex(code_ml: str, *ids: int) -> list[str]:
    """Young people breaking Q04 only (sex neither F nor H): one erreur finding each."""
    return [jeune(code_ml, str(i), nom=f"Erreur{i}", prenom=f"Sexe{i}", sexe="X") for i in ids]


def extract_zip(tmp_path: Path, name: str = "extrait.zip", **files) -> tuple[bytes, str]:
    folder = tmp_path / f"src-{len(list(tmp_path.iterdir()))}"
    write_extract(folder, **files)
    target = zip_folder(folder, tmp_path / f"{folder.name}.zip")
    return target.read_bytes(), name


def upload(client, *files: tuple[bytes, str], du: str = DU, au: str = AU):
    data = {"files": [(io.BytesIO(body), name) for body, name in files],
            "period_start": du, "period_end": au}
    return client.post("/qualite/imports/nouveau", data=data,
                       content_type="multipart/form-data")


def import_via_web(client, tmp_path, du=DU, au=AU, **files) -> int:
    """Upload a ZIP, check the redirect to its status page, return the import id."""
    response = upload(client, extract_zip(tmp_path, **files), du=du, au=au)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    match = re.fullmatch(r"/qualite/imports/(\d+)", response.headers["Location"])
    assert match, response.headers["Location"]
    return int(match.group(1))


def uploads_left(app) -> list[Path]:
    from models.parcours.jobs import uploads_folder

    with app.app_context():
        return list(uploads_folder().iterdir())


def extracts_of(app, ml_id: int) -> list[tuple[str, Decimal | None, Decimal | None]]:
    with app.app_context():
        return [(e.status, e.score, e.score_raw) for e in db.session.scalars(
            select(ParcoursExtract).where(ParcoursExtract.mission_locale_id == ml_id)
            .order_by(ParcoursExtract.id))]


def row_of(html: str, code: str) -> str:
    match = re.search(rf'<tr class="ml-line" data-code="{code}">(.*?)</tr>', html, re.S)
    assert match, f"no line for {code}"
    return match.group(1)


def text_of(html: str) -> str:
    """Visible text, whitespace collapsed (numbers use no-break spaces)."""
    text = re.sub(r"<[^>]+>", " ", html).replace("&nbsp;", " ").replace("\u202f", " ")
    text = text.replace("\xa0", " ").replace("&#39;", "'").replace("&#34;", '"')
    return re.sub(r"\s+", " ", text)


@pytest.fixture
def as_role(client, world):
    """Sign in as ``role`` on the one test client (signing out whoever was signed in)."""

    def _as(role: str):
        client.post("/deconnexion")
        assert login(client, world["emails"][role]).status_code == 302, role
        return client

    return _as


@pytest.fixture
def region_world(app, world):
    """The world plus a third mission locale (Gironde) and a fourth with no extract."""
    with app.app_context():
        region = db.session.get(Region, world["ids"]["region"])
        ml_c = MissionLocale(region=region, code="33010", name="Mission locale des Graves",
                             departement="33", commune="Langon")
        ml_d = MissionLocale(region=region, code="40001", name="Mission locale des Landes",
                             departement="40", commune="Mont-de-Marsan")
        db.session.add_all([ml_c, ml_d])
        db.session.commit()
        world["ids"].update(ml_c=ml_c.id, ml_d=ml_d.id)
    return world


# ---------------------------------------------------------------- upload and status
def test_upload_runs_the_import_and_the_status_page_tells_everything(app, as_role, world,
                                                                     tmp_path):
    client = as_role("animateur")
    header = JEUNES_HEADER + ";commentaire"  # an extra column: ignored with a notice
    young = [row + ";rien" for row in clean_young(10)]
    young.append(jeune(id_jeune="99", nom="Excel", prenom="Date", accueil="46054") + ";")
    young += [row + ";" for row in bad_sex("33005", 50)]
    body, name = extract_zip(tmp_path, jeunes=young, headers={"jeunes": header},
                             evenements=["33005;1;15/03/2026;ENTRETIEN;EMPLOI"])
    response = upload(client, (body, name))
    assert response.status_code == 302
    page = client.get(response.headers["Location"])
    html = page.get_data(as_text=True)
    text = text_of(html)
    assert page.status_code == 200
    assert "Terminé" in text and 'data-refresh-seconds' not in html
    assert "1 mission locale, 12 jeunes" in text
    assert "Mission locale du Libournais" in text
    assert "91,7 %" in text  # 11 young people of 12 without an error
    assert "commentaire" in text and "ignorée" in text  # the ignored column
    assert "format numérique d'Excel" in text  # 46054 converted, and said so
    assert "Charte régionale de saisie — version 1" in text
    assert "Alain Anim" in text
    with app.app_context():
        record = db.session.scalar(select(ParcoursImport))
        assert record.status == "termine" and record.uploaded_by_id == world["ids"]["animateur"]
        assert record.period_start == date(2026, 1, 1) and record.period_end == date(2026, 9, 30)
        assert record.counts == {"jeunes": 12, "evenements": 1, "situations": 0,
                                 "dispositifs": 0}
        assert record.stored_path is None
        digest = record.checksums["jeunes.csv"]
    assert digest[:16] in html
    assert "Lignes" in text and "evenements.csv" in text
    # the upload is deleted once the import has an outcome
    assert uploads_left(app) == []


def test_the_csv_files_themselves_can_be_uploaded(app, as_role, tmp_path):
    client = as_role("admin")
    folder = write_extract(tmp_path / "x", jeunes=clean_young(4),
                           evenements=["33005;1;15/03/2026;ENTRETIEN;EMPLOI",
                                       "33005;2;16/03/2026;ATELIER;SANTE"])
    files = [((folder / n).read_bytes(), n.upper() if n.startswith("j") else n)
             for n in ("jeunes.csv", "evenements.csv")]
    response = upload(client, *files)
    assert response.status_code == 302
    text = text_of(client.get(response.headers["Location"]).get_data(as_text=True))
    assert "Terminé" in text and "4 jeunes" in text
    with app.app_context():
        record = db.session.scalar(select(ParcoursImport))
        assert record.source_name == "jeunes.csv + evenements.csv"
        assert record.counts["evenements"] == 2


def test_the_period_is_read_from_the_zip_name_when_left_empty(app, as_role, tmp_path):
    client = as_role("animateur")
    body, _ = extract_zip(tmp_path, jeunes=clean_young(3))
    response = upload(client, (body, "extrait_20260101_20260630.zip"), du="", au="")
    assert response.status_code == 302
    with app.app_context():
        record = db.session.scalar(select(ParcoursImport))
        assert (record.period_start, record.period_end) == (date(2026, 1, 1), date(2026, 6, 30))
        assert record.status == "termine"
    follow = client.get(response.headers["Location"]).get_data(as_text=True)
    assert ("Période lue dans le nom de l&#39;archive : du 1er janvier 2026 au 30 juin 2026"
            in follow)


def test_bad_uploads_are_explained_in_french_and_nothing_is_saved(app, as_role, tmp_path):
    client = as_role("animateur")
    cases = [
        ([(b"%PDF-1.4", "notes.pdf")], "n&#39;est ni une archive .zip ni un fichier .csv"),
        ([], "Choisissez l&#39;archive ZIP de l&#39;extraction"),
        ([(b"a;b\n", "export.csv")], "n&#39;est pas un fichier de l&#39;extraction"),
        ([(b"a;b\n", "evenements.csv")], "jeunes.csv est obligatoire"),
        ([(b"PK", "a.zip"), (b"a;b\n", "jeunes.csv")], "pas les deux"),
    ]
    for files, message in cases:
        response = upload(client, *files)
        assert response.status_code == 200, message
        assert message in response.get_data(as_text=True), message
    body, name = extract_zip(tmp_path, jeunes=clean_young(2))
    html = upload(client, (body, name), du="31/02/2026").get_data(as_text=True)
    assert "« 31/02/2026 » n&#39;est pas une date valide : écrivez-la JJ/MM/AAAA." in html
    # no period given and none in the archive's name: the domain's message, nothing queued
    html = upload(client, (body, name), du="", au="").get_data(as_text=True)
    assert "La date de début de la période est obligatoire." in html
    html = upload(client, (body, name), du="01/01/2026", au="01/01/2030").get_data(as_text=True)
    assert "La période ne peut pas finir dans le futur." in html
    assert 'value="01/01/2030"' in html  # what was typed is kept
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ParcoursImport)) == 0
    assert uploads_left(app) == []


def test_a_too_large_upload_gets_a_french_page(app, world, database_url, tmp_path):
    small = make_app(database_url, PARCOURS_MAX_CONTENT_LENGTH=4 * 1024)
    client = small.test_client()
    assert login(client, world["emails"]["animateur"]).status_code == 302
    response = upload(client, (b"x" * 20_000, "extrait.zip"))
    html = response.get_data(as_text=True)
    assert response.status_code == 413
    assert "Fichier trop volumineux" in html and "PARCOURS_MAX_UPLOAD_MB" in html
    with small.app_context():
        assert db.session.scalar(select(func.count()).select_from(ParcoursImport)) == 0
        db.engine.dispose()


def test_refused_imports_show_the_reason_and_leave_previous_data_intact(app, as_role, world,
                                                                        tmp_path):
    client = as_role("animateur")
    ml_a = world["ids"]["ml_a"]
    import_via_web(client, tmp_path, jeunes=clean_young(8) + bad_sex("33005", 20, 21))
    before = extracts_of(app, ml_a)
    assert before == [("current", Decimal("0.800000"), Decimal("0.800000"))]
    with app.app_context():
        findings_before = db.session.scalar(select(func.count()).select_from(QualityFinding))

    # a ZIP without jeunes.csv
    refused_id = import_via_web(client, tmp_path,
                                evenements=["33005;1;15/03/2026;ENTRETIEN;EMPLOI"])
    text = text_of(client.get(f"/qualite/imports/{refused_id}").get_data(as_text=True))
    assert "Import refusé" in text
    assert "ne contient pas jeunes.csv, le fichier obligatoire de l'extraction" in text
    assert "Rien n'a été enregistré" in text

    # the same mission locale and period again, with an unknown code_ml on line 4
    young = clean_young(2) + [jeune("99999", "7", nom="Inconnu", prenom="Code")]
    refused_id = import_via_web(client, tmp_path, jeunes=young)
    text = text_of(client.get(f"/qualite/imports/{refused_id}").get_data(as_text=True))
    assert "jeunes.csv, ligne 4 : code_ml « 99999 » inconnu" in text
    assert "Rien n'a été enregistré" in text

    assert extracts_of(app, ml_a) == before
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(QualityFinding)) \
            == findings_before
        statuses = db.session.scalars(select(ParcoursImport.status)
                                      .order_by(ParcoursImport.id)).all()
        assert statuses == ["termine", "refuse", "refuse"]
    page = text_of(client.get(f"/qualite/ml/{ml_a}").get_data(as_text=True))
    assert "80,0 %" in page and "Anomalies à corriger" in page
    assert uploads_left(app) == []


def test_a_running_import_refreshes_itself_and_shows_its_progress(app, as_role, world):
    client = as_role("animateur")  # the import logs are the team's
    with app.app_context():
        record = ParcoursImport(source_name="gros.zip", period_start=date(2026, 1, 1),
                                period_end=date(2026, 9, 30), status="en_cours",
                                stage="Lecture de evenements.csv", progress=42)
        db.session.add(record)
        db.session.commit()
        import_id = record.id
    html = client.get(f"/qualite/imports/{import_id}").get_data(as_text=True)
    assert 'data-refresh-seconds="2"' in html  # updates itself in place (no meta refresh)
    assert "Lecture de evenements.csv" in html and "42 %" in html
    assert 'class="progress-bar progress-bar-striped progress-bar-animated w-40p"' in html


def test_huey_mode_queues_the_job_after_the_commit(app, world, database_url, tmp_path,
                                                   monkeypatch):
    from models.parcours import jobs

    queued = []

    class Result:
        id = "job-123"

    def fake_task(import_id, path):
        with served.app_context():  # the import is committed before it is queued
            record = db.session.get(ParcoursImport, import_id)
            queued.append((record.status, Path(path).exists()))
        return Result()

    monkeypatch.setattr(jobs, "import_extract", fake_task)
    served = make_app(database_url, PARCOURS_JOBS="huey")
    client = served.test_client()
    assert login(client, world["emails"]["animateur"]).status_code == 302
    response = upload(client, extract_zip(tmp_path, jeunes=clean_young(2)))
    assert response.status_code == 302
    assert queued == [("en_attente", True)]
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "En attente" in html and 'data-refresh-seconds' in html
    with served.app_context():
        assert db.session.scalar(select(ParcoursImport.job_id)) == "job-123"
        db.engine.dispose()
    for leftover in uploads_left(app):  # the worker would delete it; here nobody runs
        import shutil

        shutil.rmtree(leftover)


def test_import_history_lists_filters_and_sorts(app, as_role, tmp_path):
    client = as_role("animateur")
    import_via_web(client, tmp_path, jeunes=clean_young(3))
    import_via_web(client, tmp_path, evenements=["33005;1;15/03/2026;ENTRETIEN;EMPLOI"])
    text = text_of(client.get("/qualite/imports").get_data(as_text=True))
    assert "Terminé" in text and "Refusé" in text and "Alain Anim" in text
    only = client.get("/qualite/imports?statut=refuse").get_data(as_text=True)
    assert only.count("text-bg-danger") == 1 and "Terminé</span>" not in only
    def states(query: str) -> list[str]:
        html = client.get(f"/qualite/imports{query}").get_data(as_text=True)
        table = html[html.index('id="imports"'):]
        return re.findall(r'<span class="badge text-bg-\w+">(\w+)</span>', table)

    assert states("?tri=statut&ordre=asc") == ["Refusé", "Terminé"]
    assert states("?tri=statut&ordre=desc") == ["Terminé", "Refusé"]
    assert states("") == ["Refusé", "Terminé"]  # latest first


# ---------------------------------------------------------------- regional table
def test_regional_table_scores_statuses_trend_stale_and_sorting(app, as_role, region_world,
                                                                 tmp_path):
    ids = region_world["ids"]
    team = as_role("animateur")
    import_via_web(team, tmp_path, jeunes=clean_young(20))  # 33005: 100 % → vert
    import_via_web(team, tmp_path, jeunes=clean_young(8, "64001") + bad_sex("64001", 30, 31))
    # 33010: 90 %, but its extract closed in March: orange and stale
    import_via_web(team, tmp_path, du="01/10/2025", au="31/03/2026",
                   jeunes=clean_young(9, "33010") + bad_sex("33010", 40))
    # 64001 re-imported on the same period, better: 80 % → 90 %, an upward trend
    import_via_web(team, tmp_path, jeunes=clean_young(9, "64001") + bad_sex("64001", 30))

    client = as_role("copil")
    html = client.get("/qualite/").get_data(as_text=True)
    text = text_of(html)
    a, b, c, d = (row_of(html, code) for code in ("33005", "64001", "33010", "40001"))
    assert "status-vert" in a and "100,0" in text_of(a)
    assert "status-orange" in b and "90,0 %" in text_of(b) and "↑ +10,0 pts" in text_of(b)
    assert "status-orange" in c and "Extraction ancienne" in c and "31 mars 2026" in c
    assert "status-aucun" in d and "Jamais importée" in d
    assert "Extraction ancienne" not in a
    # Q04 of 64001: 1 finding, 10 % of its young people, coloured as ≥ 5 %
    q04 = re.findall(r'<td class="rule-cell[^"]*"[^>]*>.*?</td>', b, re.S)[3]
    assert "q-level-3" in q04 and "10,0" in text_of(q04) and "Q04 — Sexe absent" in q04
    # key figures: weighted regional score (20 + 9 + 9) / 40, statuses, stale extracts
    assert "95,0 %" in text and re.search(r"Extractions anciennes \d", text)
    assert re.search(r'id="statuts".*?Vert</span> <span[^>]*>1<.*?Orange</span> '
                     r'<span[^>]*>2<.*?Rouge</span> <span[^>]*>0<.*?Aucune extraction</span> '
                     r'<span[^>]*>1<', html, re.S)

    def order(query: str) -> list[str]:
        return re.findall(r'data-code="(\d+)"', client.get(f"/qualite/{query}")
                          .get_data(as_text=True))

    assert order("") == ["33005", "33010", "40001", "64001"]
    assert order("?tri=score&ordre=asc") == ["33010", "64001", "33005", "40001"]
    assert order("?tri=score&ordre=desc")[0] == "33005"
    assert order("?tri=Q04&ordre=desc")[:2] == ["64001", "33010"]
    assert order("?tri=statut") == ["33010", "64001", "33005", "40001"]
    assert order("?statut=orange") == ["33010", "64001"]
    assert order("?departement=33") == ["33005", "33010"]
    assert order("?anciennes=1") == ["33010", "40001"]
    assert order("?tri=n%27importe&ordre=quoi") == ["33005", "33010", "40001", "64001"]
    # each line links to its mission locale's page
    assert f'href="/qualite/ml/{ids["ml_b"]}"' in html


def test_navbar_entry_and_home_tile_for_team_copil_and_ml_only(client, world):
    for role in ("admin", "animateur", "copil", "ml", "financeur"):
        login(client, world["emails"][role])
        html = client.get("/").get_data(as_text=True)
        in_nav = 'href="/qualite/" title="Qualité des données Parcours">Qualité</a>' in html
        tile = "<h2 class=\"h5 mt-2\">Qualité des données</h2>" in html
        assert in_nav is tile is (role != "financeur"), role
        client.post("/deconnexion")


# ---------------------------------------------------------------- scope
def test_an_ml_account_sees_only_its_own_mission_locale(app, as_role, world, tmp_path):
    ids = world["ids"]
    team = as_role("animateur")
    import_via_web(team, tmp_path, jeunes=clean_young(5) + bad_sex("33005", 60)
                   + clean_young(5, "64001", start=100) + bad_sex("64001", 70))
    with app.app_context():
        other_finding = db.session.scalar(select(QualityFinding.id).join(
            ParcoursExtract, ParcoursExtract.id == QualityFinding.extract_id).where(
            ParcoursExtract.mission_locale_id == ids["ml_b"]))

    client = as_role("ml")
    response = client.get("/qualite/")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/qualite/ml/{ids['ml_a']}"
    own = client.get(f"/qualite/ml/{ids['ml_a']}")
    assert own.status_code == 200 and "60" in own.get_data(as_text=True)
    assert "Qualifier" not in own.get_data(as_text=True)  # no mark form for an ml account
    for url in (f"/qualite/ml/{ids['ml_b']}", f"/qualite/ml/{ids['ml_b']}/constats.csv",
                f"/qualite/ml/{ids['ml_b']}/constats.xlsx", "/qualite/ml/999999"):
        assert client.get(url).status_code == 404, url
    for url in ("/qualite/imports", "/qualite/imports/1", "/qualite/imports/nouveau",
                "/qualite/seuils"):
        assert client.get(url).status_code == 403, url
    assert client.post(f"/qualite/constats/{other_finding}/marquer",
                       data={"kind": "acquitte", "comment": "essai"}).status_code == 403
    exported = client.get(f"/qualite/ml/{ids['ml_a']}/constats.csv").get_data(as_text=True)
    assert "33005" in exported and "64001" not in exported and ";70;" not in exported
    assert ";60;" in exported
    assert client.get("/qualite/charte").status_code == 200
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(QualityMark)) == 0


def test_a_funder_gets_403_everywhere(as_role, world):
    client = as_role("financeur")
    for url in ("/qualite/", "/qualite/charte", f"/qualite/ml/{world['ids']['ml_a']}",
                f"/qualite/ml/{world['ids']['ml_a']}/constats.csv", "/qualite/imports",
                "/qualite/imports/nouveau", "/qualite/seuils"):
        assert client.get(url).status_code == 403, url


def test_empty_states_say_what_to_do(as_role, world):
    html = text_of(as_role("ml").get(f"/qualite/ml/{world['ids']['ml_a']}")
                   .get_data(as_text=True))
    assert "Aucune extraction importée pour cette mission locale : l'équipe ARML importe" in html


# ---------------------------------------------------------------- marks
def _finding_id(app, ml_id: int, id_jeune: str) -> int:
    with app.app_context():
        return db.session.scalar(select(QualityFinding.id).join(
            ParcoursExtract, ParcoursExtract.id == QualityFinding.extract_id).where(
            ParcoursExtract.mission_locale_id == ml_id, ParcoursExtract.status == "current",
            QualityFinding.id_jeune == id_jeune))


def test_marks_stop_counting_visibly_and_carry_over_to_a_reimport(app, as_role, world,
                                                                   tmp_path):
    ml_a = world["ids"]["ml_a"]
    client = as_role("animateur")
    young = clean_young(8) + bad_sex("33005", 20, 21)
    import_via_web(client, tmp_path, jeunes=young)
    assert extracts_of(app, ml_a)[-1][1:] == (Decimal("0.800000"), Decimal("0.800000"))

    # a comment is required: nothing marked, the reason in a banner
    finding = _finding_id(app, ml_a, "20")
    response = client.post(f"/qualite/constats/{finding}/marquer",
                           data={"kind": "exception", "comment": "", "retour": "regle=Q04"})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/qualite/ml/{ml_a}?regle=Q04#constats"
    page = client.get(f"/qualite/ml/{ml_a}?regle=Q04").get_data(as_text=True)
    assert "Qualification : Expliquez en quelques mots pourquoi" in page
    response = client.post(f"/qualite/constats/{finding}/marquer", data={
        "kind": "exception", "comment": "Jeune non binaire : saisie justifiée.",
        "retour": "regle=Q04&https://ailleurs.example=1"})
    assert response.headers["Location"] == f"/qualite/ml/{ml_a}?regle=Q04#constats"
    assert extracts_of(app, ml_a)[-1][1:] == (Decimal("0.900000"), Decimal("0.800000"))
    text = text_of(client.get(f"/qualite/ml/{ml_a}").get_data(as_text=True))
    assert "Score 90,0 %" in text and "Score brut 80,0 %" in text and "(+10,0 pts)" in text
    assert "Exception acceptée Jeune non binaire : saisie justifiée. Alain Anim" in text
    assert "Anomalie Q04 du jeune 20 qualifiée « Exception acceptée »" in text
    marked = text_of(client.get(f"/qualite/ml/{ml_a}?marque=marked").get_data(as_text=True))
    assert " 20 " in marked and " 21 " not in marked
    regional = client.get("/qualite/").get_data(as_text=True)
    assert "90,0 %" in text_of(row_of(regional, "33005"))

    # the same mission locale and period again: the mark follows the record
    import_via_web(client, tmp_path, jeunes=young)
    assert [s for s, *_ in extracts_of(app, ml_a)] == ["replaced", "current"]
    assert extracts_of(app, ml_a)[-1][1:] == (Decimal("0.900000"), Decimal("0.800000"))
    text = text_of(client.get(f"/qualite/ml/{ml_a}").get_data(as_text=True))
    assert "Exception acceptée" in text and "= 0 pt" in text

    # removing the mark makes it count again
    with app.app_context():
        mark_id = db.session.scalar(select(QualityMark.id))
    response = client.post(f"/qualite/marques/{mark_id}/retirer", data={"retour": ""})
    assert response.headers["Location"] == f"/qualite/ml/{ml_a}#constats"
    assert extracts_of(app, ml_a)[-1][1:] == (Decimal("0.800000"), Decimal("0.800000"))
    # a finding replaced by a newer import: explained, not a crash
    response = client.post("/qualite/constats/999999/marquer",
                           data={"kind": "acquitte", "comment": "Vu avec la ML."})
    assert response.status_code == 302
    assert "n&#39;existe plus" in client.get("/qualite/").get_data(as_text=True)


def test_findings_filter_by_rule_severity_and_young_and_paginate(app, as_role, world,
                                                                 tmp_path):
    ml_a = world["ids"]["ml_a"]
    client = as_role("copil")
    young = clean_young(3) + bad_sex("33005", *range(40, 70))
    young.append(jeune(id_jeune="90", nom="Vieux", prenom="Niveau", niveau="V"))  # Q06
    team = as_role("animateur")
    import_via_web(team, tmp_path, jeunes=young)
    client = as_role("ml")  # the findings record by record: the ML's own, not the copil's
    first = client.get(f"/qualite/ml/{ml_a}").get_data(as_text=True)
    assert first.count('class="finding') == 25 and "sur 31 anomalies" in text_of(first)
    warnings = client.get(f"/qualite/ml/{ml_a}?gravite=avertissement").get_data(as_text=True)
    assert warnings.count('class="finding') == 1 and ">90<" in warnings
    by_rule = client.get(f"/qualite/ml/{ml_a}?regle=q06").get_data(as_text=True)
    assert by_rule.count('class="finding') == 1
    one = client.get(f"/qualite/ml/{ml_a}?id_jeune=45").get_data(as_text=True)
    assert one.count('class="finding') == 1 and ">45<" in one
    none = client.get(f"/qualite/ml/{ml_a}?id_jeune=12345").get_data(as_text=True)
    assert "Aucune anomalie ne correspond à ces filtres." in none
    desc = client.get(f"/qualite/ml/{ml_a}?tri=id_jeune&ordre=desc").get_data(as_text=True)
    assert re.findall(r'<td class="fw-semibold">(\d+)</td>', desc)[:2] == ["90", "69"]
    page2 = client.get(f"/qualite/ml/{ml_a}?page=2").get_data(as_text=True)
    assert page2.count('class="finding') == 6


# ---------------------------------------------------------------- exports
def test_exports_follow_the_filters_and_neutralise_formulas(app, as_role, world, tmp_path):
    ml_a = world["ids"]["ml_a"]
    client = as_role("animateur")
    young = clean_young(5) + bad_sex("33005", 20)
    young.append(jeune(id_jeune="21", nom="Formule", prenom="Piege", sexe="=1+1"))
    young.append(jeune(id_jeune="22", nom="Vieux", prenom="Niveau", niveau="IV"))  # Q06
    import_via_web(client, tmp_path, jeunes=young)
    client.post(f"/qualite/constats/{_finding_id(app, ml_a, '20')}/marquer",
                data={"kind": "acquitte", "comment": "Corrigé dans i-milo."})

    response = client.get(f"/qualite/ml/{ml_a}/constats.csv?regle=Q04&tri=id_jeune")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == \
        'attachment; filename="anomalies_33005_20260101_20260930.csv"'
    body = response.get_data(as_text=True)
    assert body.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff")), delimiter=";"))
    assert rows[0] == ["Mission locale", "Période du", "Période au", "Règle",
                       "Intitulé de la règle", "Gravité", "Identifiant jeune", "Champ", "Valeur",
                       "Enregistrement", "Qualification", "Commentaire", "Qualifiée par"]
    assert [r[6] for r in rows[1:]] == ["20", "21"]  # Q04 only, sorted by young
    assert rows[1][:6] == ["33005", "01/01/2026", "30/09/2026", "Q04",
                           "Sexe absent ou invalide", "Erreur"]
    assert rows[1][10:] == ["Acquitté", "Corrigé dans i-milo.", "Alain Anim"]
    assert rows[2][8] == "'=1+1"  # never run as a formula

    response = client.get(f"/qualite/ml/{ml_a}/constats.xlsx?gravite=avertissement")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][3] == "Règle" and len(values) == 2
    assert values[1][3] == "Q06" and values[1][6] == "22" and values[1][5] == "Avertissement"
    assert values[1][1] == datetime(2026, 1, 1)  # a real date cell
    everything = load_workbook(io.BytesIO(client.get(
        f"/qualite/ml/{ml_a}/constats.xlsx").data)).active
    cells = [row[8] for row in everything.iter_rows(min_row=2, values_only=True)]
    assert "'=1+1" in cells and len(cells) == 3
    # a mission locale with no extract exports its headers only
    empty = client.get(f"/qualite/ml/{world['ids']['ml_b']}/constats.csv").get_data(
        as_text=True)
    assert empty.count("\r\n") == 1


# ---------------------------------------------------------------- charter and thresholds
def test_charter_lists_the_rules_in_french_and_the_versions(app, as_role, world):
    with app.app_context():
        from models.parcours.charter import current_version

        current_version(db.session)
        db.session.commit()
    text = text_of(as_role("ml").get("/qualite/charte").get_data(as_text=True))
    for code in ("Q01", "Q09", "Q17"):
        assert code in text
    assert "Colonne sexe de jeunes.csv ; valeurs admises : F, H." in text
    assert "CEJ : entrée à partir du 1er mars 2022 ; GARANTIE_JEUNES : entrée jusqu'au " \
           "28 février 2022." in text
    assert "Fenêtre : les 5 derniers mois de la période." in text
    assert "Charte régionale de saisie — version 1" in text and "en vigueur" in text
    assert "Erreur" in text and "Avertissement" in text and "Complétude" in text
    fallback = as_role("ml").get("/qualite/charte?version=99")
    assert fallback.status_code == 200 and "Q17" in fallback.get_data(as_text=True)


def test_admin_sets_thresholds_and_a_concurrent_edit_is_refused(app, as_role, world,
                                                                 tmp_path):
    team = as_role("animateur")
    import_via_web(team, tmp_path, jeunes=clean_young(8) + bad_sex("33005", 20, 21))  # 80 %
    assert team.get("/qualite/seuils").status_code == 403
    assert "status-rouge" in row_of(team.get("/qualite/").get_data(as_text=True), "33005")

    admin = as_role("admin")
    page = admin.get("/qualite/seuils").get_data(as_text=True)
    assert 'value="95,00"' in page and 'name="version_id" type="hidden" value="0"' in page
    bad = admin.post("/qualite/seuils", data={"green_min": "70", "amber_min": "90",
                                              "stale_days": "30", "version_id": "0"})
    assert bad.status_code == 200
    assert "Le seuil orange doit être inférieur ou égal au seuil vert." in bad.get_data(
        as_text=True)
    done = admin.post("/qualite/seuils", data={"green_min": "90", "amber_min": "75,5",
                                               "stale_days": "30", "version_id": "0"})
    assert done.status_code == 302 and done.headers["Location"] == "/qualite/"
    html = admin.get("/qualite/").get_data(as_text=True)
    assert "status-orange" in row_of(html, "33005")
    assert "orange à partir de 75,50" in text_of(html)
    # another admin saved meanwhile: the stale form (version 0) is refused, nothing changes
    stale = admin.post("/qualite/seuils", data={"green_min": "99", "amber_min": "98",
                                                "stale_days": "10", "version_id": "0"})
    html = stale.get_data(as_text=True)
    assert stale.status_code == 200
    assert "modifiée par quelqu&#39;un d&#39;autre" in html
    assert 'value="99,00"' in html and 'value="10"' in html  # the typed values are kept
    with app.app_context():
        settings = db.session.scalar(select(QualitySettings))
        assert (settings.green_min, settings.amber_min, settings.stale_days,
                settings.version_id) == (Decimal("90.00"), Decimal("75.50"), 30, 1)
    # the refreshed form carries the current version: saving again works
    version = re.search(r'name="version_id" type="hidden" value="(\d+)"', html).group(1)
    assert version == "1"
    again = admin.post("/qualite/seuils", data={"green_min": "99", "amber_min": "98",
                                                "stale_days": "10", "version_id": version})
    assert again.status_code == 302
