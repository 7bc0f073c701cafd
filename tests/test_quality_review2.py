"""Second review of issue 6 (Parcours extracts, data quality): the README against the code,
the huey flow as a user lives it (worker stopped, job queued twice, queue that cannot load),
and words instead of raw codes on the quality pages.

Each test first demonstrated a defect the second review found; they now guard the fixes.
"""

from __future__ import annotations

import csv
import io
import re
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from models import clock
from models.parcours.orm import ParcoursImport, QualityFinding
from models.parcours.services import quality_settings
from tests.conftest import login, make_app
from tests.parcours_helpers import (
    JEUNES_HEADER,
    PERIOD,
    clean_young,
    do_import,
    jeune,
    queue,
    write_extract,
    zip_folder,
)
from webapp.extensions import db

ROOT = Path(__file__).resolve().parent.parent


def text_of(html: str) -> str:
    text = re.sub(r"<[^>]+>", " ", html).replace("&nbsp;", " ").replace("&#39;", "'")
    return re.sub(r"\s+", " ", text.replace("\xa0", " ").replace("\u202f", " "))


def _upload(client, files, du="01/01/2026", au="30/09/2026"):
    data = {"files": [(io.BytesIO(body), name) for body, name in files],
            "period_start": du, "period_end": au}
    return client.post("/qualite/imports/nouveau", data=data, content_type="multipart/form-data")


def _jeunes_bytes(n: int = 2) -> bytes:
    return ("\n".join([JEUNES_HEADER, *clean_young(n)]) + "\n").encode()


def _record(app, **values) -> int:
    with app.app_context():
        record = ParcoursImport(source_name="extrait.zip", period_start=PERIOD[0],
                                period_end=PERIOD[1], **values)
        db.session.add(record)
        db.session.commit()
        return record.id


def _age(app, import_id: int, minutes: int, *, created: bool = True) -> None:
    """Pretend the import's row was written ``minutes`` ago (its last sign of life)."""
    then = clock.now() - timedelta(minutes=minutes)
    values = {"updated_at": then, **({"created_at": then} if created else {})}
    with app.app_context():
        db.session.execute(update(ParcoursImport).where(ParcoursImport.id == import_id)
                           .values(**values))
        db.session.commit()


# ================================================================= README against the code
def test_readme_defaults_are_the_codes_defaults(app, world):
    """The README's thresholds (95 % / 85 %), stale delay (120 days) and upload limit."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Qualité des données Parcours", 1)[1].split("\n## ", 1)[0]
    with app.app_context():
        settings = quality_settings(db.session)
    assert f"{settings.green_min:.0f} % et {settings.amber_min:.0f} % par défaut" in section
    assert f"plus de {settings.stale_days} jours" in section
    from webapp.config import _upload_limit_mb

    row = next(line for line in readme.splitlines()
               if line.startswith("| `PARCOURS_MAX_UPLOAD_MB`"))

    assert row.rstrip(" |").endswith(f"`{_upload_limit_mb()}`")


# ================================================================= huey: the status page
def test_an_import_waiting_for_a_stopped_worker_says_so(app, client, world):
    """Worker not running: the page spun for ever saying « l'import continue »."""
    import_id = _record(app, status="en_attente", stage="En attente du traitement")
    login(client, world["emails"]["animateur"])
    fresh = text_of(client.get(f"/qualite/imports/{import_id}").get_data(as_text=True))
    assert "travailleur" not in fresh  # a fresh upload: nothing alarming yet
    _age(app, import_id, 12)
    html = client.get(f"/qualite/imports/{import_id}").get_data(as_text=True)
    page = text_of(html)
    assert "attend depuis 12 minutes" in page
    assert "travailleur des imports ne semble pas démarré" in page
    assert "rien n'est perdu" in page.lower()
    assert "l'import continue" not in page  # it does not: nothing runs it
    assert 'data-refresh-seconds' in html  # it starts as soon as the worker does


def test_an_import_behind_a_running_one_says_it_waits_its_turn(app, client, world):
    running = _record(app, status="en_cours", stage="Lecture de evenements.csv", progress=30)
    waiting = _record(app, status="en_attente", stage="En attente du traitement")
    _age(app, waiting, 12)
    _age(app, running, 0, created=False)
    login(client, world["emails"]["animateur"])  # the import logs are the team's
    page = text_of(client.get(f"/qualite/imports/{waiting}").get_data(as_text=True))
    assert f"import n° {running} est en cours" in page
    assert "ne semble pas démarré" not in page


def test_an_import_without_sign_of_life_says_it_will_be_started_again(app, client, world):
    import_id = _record(app, status="en_cours", stage="Lecture de jeunes.csv", progress=12)
    _age(app, import_id, 9)
    login(client, world["emails"]["animateur"])
    page = text_of(client.get(f"/qualite/imports/{import_id}").get_data(as_text=True))
    assert "ne donne plus signe de vie depuis 9 minutes" in page
    assert "relancé automatiquement" in page


def test_a_refusal_that_is_not_the_files_fault_does_not_blame_the_file(app, client, world):
    """Production without PARCOURS_PSEUDO_KEY: the page said « les fichiers ne peuvent pas
    être lus comme une extraction … Corrigez le fichier »."""
    from models.parcours.pseudonym import MissingPseudonymKey, pseudonym_key

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ANIMARESEAU_ENV", "production")
        mp.delenv("PARCOURS_PSEUDO_KEY", raising=False)
        with pytest.raises(MissingPseudonymKey) as caught:
            pseudonym_key()
    import_id = _record(app, status="refuse", stage="Import refusé", message=str(caught.value),
                        finished_at=clock.now())
    login(client, world["emails"]["animateur"])
    page = text_of(client.get(f"/qualite/imports/{import_id}").get_data(as_text=True))
    assert "PARCOURS_PSEUDO_KEY est obligatoire" in page
    assert "ne peuvent pas être lus" not in page and "Corrigez le fichier" not in page
    assert "Rien n'a été enregistré" in page


# ================================================================= huey: the queue
def test_a_job_queue_that_cannot_even_load_gives_the_french_failure(app, world, database_url,
                                                                    monkeypatch):
    """``HUEY_REDIS_URL`` set while the ``redis`` package is missing: importing the jobs
    module raises, which gave a 500 on every upload (the uploads folder came from it too)."""
    import models.parcours as package
    from webapp.quality.dispatch import QUEUE_DOWN, uploads_root

    monkeypatch.setitem(sys.modules, "models.parcours.jobs", None)  # any import fails
    if hasattr(package, "jobs"):
        monkeypatch.delattr(package, "jobs")
    served = make_app(database_url, PARCOURS_JOBS="huey")
    client = served.test_client()
    assert login(client, world["emails"]["animateur"]).status_code == 302
    response = _upload(client, [(_jeunes_bytes(2), "jeunes.csv")])
    assert response.status_code == 302, response.status_code
    page = text_of(client.get(response.headers["Location"]).get_data(as_text=True))
    assert QUEUE_DOWN.split(":")[0] in page
    with served.app_context():
        record = db.session.scalar(select(ParcoursImport))
        assert record.status == "echec" and record.stored_path is None
        assert list(uploads_root().iterdir()) == []
        db.engine.dispose()


def test_the_web_and_the_worker_agree_on_the_uploads_folder(app):
    from models.parcours.jobs import uploads_folder
    from webapp.quality.dispatch import uploads_root

    with app.app_context():
        assert uploads_root() == uploads_folder()


def test_a_job_run_twice_ends_quietly_the_second_time(app, world, monkeypatch):
    from models.parcours import jobs

    with app.app_context():
        engine = db.engine
        monkeypatch.setattr(jobs, "_engine", lambda: engine)
        folder = jobs.uploads_folder() / "review2-double"
        source = write_extract(folder.parent / "review2-src", jeunes=clean_young(3))
        folder.mkdir()
        archive = zip_folder(source, folder / "extrait.zip")
        import_id = queue(engine, PERIOD, "extrait.zip")
        try:
            jobs.import_extract.call_local(import_id, str(archive))
            with Session(engine) as session:
                assert session.get(ParcoursImport, import_id).status == "termine"
            assert not folder.exists()
            jobs.import_extract.call_local(import_id, str(archive))  # the duplicate job
        finally:
            import shutil

            shutil.rmtree(folder, ignore_errors=True)
            shutil.rmtree(source, ignore_errors=True)


def test_an_upload_the_worker_cannot_find_is_refused_without_server_paths(app, world):
    from models.parcours.errors import ImportRefused
    from models.parcours.jobs import uploads_folder
    from models.parcours.pipeline import run_import
    from tests.parcours_helpers import KEY, TODAY

    with app.app_context():
        missing = uploads_folder() / "20261123-000000-abcdef" / "extrait.zip"
        import_id = queue(db.engine, PERIOD, "extrait.zip")
        with pytest.raises(ImportRefused):
            run_import(db.engine, import_id, missing, today=TODAY, key=KEY)
        message = db.session.get(ParcoursImport, import_id).message
    assert str(uploads_folder()) not in message
    assert "à nouveau" in message


# ================================================================= words, not raw codes
@pytest.fixture
def findings_world(app, world, tmp_path):
    """ml_a with a Q04 (sex), a Q11 (situation ending before it starts) and a Q16 (a
    situation of nobody in jeunes.csv)."""
    young = [*clean_young(3), jeune(id_jeune="20", nom="Erreur", prenom="Sexe", sexe="X")]
    situations = ["33005;1;INTERIM;12/04/2026;01/04/2026", "33005;999;EMPLOI_CDI;01/02/2026;"]
    with app.app_context():
        do_import(db.engine, write_extract(tmp_path / "x", jeunes=young, situations=situations))
        keys = dict(db.session.execute(select(QualityFinding.rule_code,
                                              QualityFinding.record_key)).all())
    assert set(keys) >= {"Q04", "Q11", "Q16"}, keys
    return world


def test_findings_name_fields_and_records_in_words(client, findings_world):
    ml_a = findings_world["ids"]["ml_a"]
    login(client, findings_world["emails"]["animateur"])
    html = client.get(f"/qualite/ml/{ml_a}?par_page=100").get_data(as_text=True)
    rows = re.findall(r'<tr class="finding.*?</tr>', html, re.S)
    page = text_of(" ".join(rows))
    assert "<code>sexe</code>" not in html and "Sexe" in page
    assert "Date de fin de situation" in page
    for raw in ("J:20", "S:1:2026-04-12:INTERIM", "O:situations:999"):
        assert raw not in page, raw
    assert "Jeune 20" in page
    assert "Situation INTERIM commencée le 12/04/2026" in page
    assert "Ligne de situations.csv sans jeune dans jeunes.csv" in page


def test_exports_name_fields_and_records_in_words(client, findings_world):
    ml_a = findings_world["ids"]["ml_a"]
    login(client, findings_world["emails"]["animateur"])
    body = client.get(f"/qualite/ml/{ml_a}/constats.csv").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff")), delimiter=";"))
    by_rule = {r[3]: r for r in rows[1:]}
    assert by_rule["Q04"][7] == "Sexe" and by_rule["Q04"][9] == "Jeune 20"
    assert by_rule["Q11"][7] == "Date de fin de situation"
    assert by_rule["Q16"][9] == "Ligne de situations.csv sans jeune dans jeunes.csv"


def test_record_labels_of_every_kind_of_key():
    from webapp.quality.labels import field_label, record_label

    assert record_label("J:123", "123") == "Jeune 123"
    assert record_label("J:123:CEJ", "123") == "Jeune 123 — CEJ"
    assert record_label("D:7:2021-05-03:CEJ", "7") == "Dispositif CEJ entré le 03/05/2021"
    assert record_label("S:7::INTERIM", "7") == "Situation INTERIM sans date de début"
    assert record_label("E:7:15/07/2026:ENTRETIEN:EMPLOI", "7") == \
        "Événement ENTRETIEN (EMPLOI) du 15/07/2026"
    assert record_label("E:7:2026-07-15 00:00:00:ATELIER:", "7") == \
        "Événement ATELIER du 2026-07-15 00:00:00"
    assert record_label("E:7::ENTRETIEN:LOGEMENT", "7") == \
        "Événement ENTRETIEN (LOGEMENT) sans date"
    assert record_label("O:dispositifs:9", "9") == \
        "Ligne de dispositifs.csv sans jeune dans jeunes.csv"
    assert record_label("Z:odd", "1") == "Z:odd"  # unknown kinds stay as they are
    assert field_label("date_naissance") == "Date de naissance"
    assert field_label("nom, prénom, date de naissance") == "Nom, prénom, date de naissance"
    assert field_label("colonne_inconnue") == "colonne_inconnue"


def test_no_raw_status_or_mark_codes_on_the_pages(app, client, findings_world):
    """Statuses and marks read as words wherever a person sees them."""
    ml_a = findings_world["ids"]["ml_a"]
    with app.app_context():
        finding_id = db.session.scalar(select(QualityFinding.id).where(
            QualityFinding.rule_code == "Q04"))
        import_id = db.session.scalar(select(ParcoursImport.id))
    login(client, findings_world["emails"]["animateur"])
    client.post(f"/qualite/constats/{finding_id}/marquer",
                data={"kind": "acquitte", "comment": "Vu avec la mission locale."})
    pages = [client.get(url).get_data(as_text=True) for url in (
        "/qualite/", "/qualite/imports", f"/qualite/ml/{ml_a}", f"/qualite/imports/{import_id}",
        "/qualite/charte")]
    for html in pages:
        page = text_of(html)
        # (not "termine" nor "refuse": French verbs, « se termine », « refuse »)
        for raw in ("en_attente", "en_cours", "echec", "acquitte", "current", "replaced",
                    "staged"):
            assert not re.search(rf"(?<![\w/-]){raw}(?![\w/-])", page), raw


def test_status_page_of_a_finished_import_names_periods_in_words(app, client, world, tmp_path):
    folder = write_extract(tmp_path / "ok", jeunes=clean_young(2))
    with app.app_context():
        do_import(db.engine, folder)
        import_id = db.session.scalar(select(ParcoursImport.id))
    login(client, world["emails"]["animateur"])
    page = text_of(client.get(f"/qualite/imports/{import_id}").get_data(as_text=True))
    assert "période du 1er janvier 2026 au 30 septembre 2026" in page
    assert "Terminé : 1 mission locale, 2 jeunes" in page


def test_a_period_in_the_zip_name_is_used_only_when_both_dates_are_empty(app, client, world,
                                                                          tmp_path):
    """README: « lue dans le nom du ZIP … si on la laisse vide »."""
    folder = write_extract(tmp_path / "src", jeunes=clean_young(2))
    body = zip_folder(folder, tmp_path / "e.zip").read_bytes()
    login(client, world["emails"]["animateur"])
    response = _upload(client, [(body, "extrait_20260101_20260630.zip")], du="", au="")
    assert response.status_code == 302
    with app.app_context():
        record = db.session.scalar(select(ParcoursImport))
        assert (record.period_start, record.period_end) == (date(2026, 1, 1),
                                                            date(2026, 6, 30))


# ================================================================= dashboard
def test_dashboard_history_keeps_two_resends_of_one_period_apart(app, tmp_path, monkeypatch,
                                                                 dash_world):
    """A period sent three times (two corrections): the history chart and the per-extract
    table named both replaced extracts « au 30 septembre 2026 (remplacée) »: the page
    crashed (« Duplicate column names found »), for the ml account and the drill-down; and
    the table had no column for an extract without any finding."""
    import json

    from models.parcours.pipeline import run_import
    from tests.parcours_helpers import KEY
    from tests.test_dashboard import _array, plotly_charts, run, signed_in

    clock.travel_to(date(2026, 11, 23))
    september = (date(2026, 1, 1), date(2026, 9, 30))
    with app.app_context():
        for n, bad in enumerate((2, 1, 0)):  # each re-send corrects one more record
            rows = [*clean_young(8), *[jeune(id_jeune=str(90 + i), nom=f"Bad{i}",
                                             prenom="Sexe", sexe="X") for i in range(bad)]]
            folder = write_extract(tmp_path / f"send{n}", jeunes=rows)
            run_import(db.engine, queue(db.engine, september, folder.name), folder,
                       today=date(2026, 11, 23), key=KEY)
    at = signed_in(dash_world, "ml")
    run(at.switch_page("views/qualite.py"))
    found = [c for c in plotly_charts(at) if c.proto.id.endswith("chart_own_history")]
    assert len(found) == 1
    score = next(t for t in json.loads(found[0].proto.spec)["data"] if t["name"] == "Score")
    labels = _array(score["x"])
    assert labels == ["au 30 septembre 2026 (1er envoi, remplacé)",
                      "au 30 septembre 2026 (2e envoi, remplacé)",
                      "au 30 septembre 2026 (3e envoi)"]
    wide = [df.value for df in at.dataframe if "Règle" in df.value.columns
            and any("remplacé" in str(c) for c in df.value.columns)]
    assert len(wide) == 1
    assert len(set(wide[0].columns)) == len(wide[0].columns) == 4, list(wide[0].columns)
    assert wide[0].set_index("Règle").loc["Q04"].tolist() == ["2", "1", "0"]


@pytest.fixture
def dash_world(monkeypatch, database_url, world):
    from tests.test_dashboard import dash

    yield from dash.__wrapped__(monkeypatch, database_url, world)
