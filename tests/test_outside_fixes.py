"""Defects found by the outside security probe, each pinned by a test that failed before."""

from __future__ import annotations

import base64
import io
import os
import re
import time
import zipfile
from datetime import date

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.parcours import pipeline, reading
from models.parcours.orm import ParcoursExtract, ParcoursImport, PqJeune, QualityFinding
from tests.conftest import PASSWORD, login, make_app
from tests.parcours_helpers import (
    JEUNES_HEADER,
    clean_young,
    refused,
    write_extract,
)
from webapp.extensions import db


# =========================================================== 1. hostile Parcours extracts
@pytest.fixture
def engine(app, world):
    with app.app_context():
        yield db.engine


def _nothing_written(engine, record) -> None:
    assert record.status == "refuse"
    with Session(engine) as session:
        for model in (ParcoursExtract, PqJeune, QualityFinding):
            assert session.scalar(select(func.count()).select_from(model)) == 0


def _plain(text: str) -> str:
    """French number grouping uses narrow no-break spaces: compare with ordinary ones."""
    return text.replace("\u202f", " ").replace("\xa0", " ")


def _zip(path, members: dict[str, bytes]):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, body in members.items():
            archive.writestr(name, body)
    return path


def _never_parsed(monkeypatch) -> None:
    """Fail the test if pandas is ever asked to read the file."""
    def refuse(*args, **kwargs):
        raise AssertionError("the file reached pandas")

    monkeypatch.setattr(pipeline, "read_chunks", refuse)


def test_a_zip_bomb_line_is_refused_from_the_central_directory(engine, tmp_path, monkeypatch):
    """A tiny ZIP whose jeunes.csv is one huge, highly compressible line: refused from the
    sizes of the central directory, before any member is opened (nothing decompressed)."""
    line = b"A" * (16 << 20)  # 16 MB that deflate to ~16 KB: ratio ~1 000
    path = _zip(tmp_path / "bombe.zip", {"jeunes.csv": JEUNES_HEADER.encode() + b"\n" + line})
    assert path.stat().st_size < 100_000

    def no_open(*args, **kwargs):
        raise AssertionError("a member was decompressed")

    monkeypatch.setattr(zipfile.ZipFile, "open", no_open)
    started = time.perf_counter()
    messages, record = refused(engine, path)
    assert time.perf_counter() - started < 2
    assert len(messages) == 1
    assert messages[0].startswith("jeunes.csv : fichier ")
    assert "fois plus gros une fois décompressé" in messages[0]
    assert "refaites-la à partir des fichiers CSV" in messages[0]
    _nothing_written(engine, record)


def test_an_oversized_member_is_refused_unread(engine, tmp_path, monkeypatch):
    path = _zip(tmp_path / "gros.zip", {
        "jeunes.csv": ("\n".join([JEUNES_HEADER, *clean_young(3)]) + "\n").encode(),
        "evenements.csv": os.urandom(64 << 10)})
    monkeypatch.setattr(reading, "MAX_FILE_BYTES", 32 << 10)
    _never_parsed(monkeypatch)
    messages, record = refused(engine, path)
    assert messages == ["evenements.csv : fichier de 64 Ko (décompressé), au-delà de la limite "
                        "de 32 Ko par fichier. Ce n'est pas la taille d'une extraction "
                        "régionale : importez-la en plusieurs fois (par période ou par "
                        "mission locale)."]
    _nothing_written(engine, record)


def _printable(n: int) -> bytes:
    """Incompressible printable characters (a ZIP of them passes the ratio check)."""
    return base64.b64encode(os.urandom(n * 3 // 4 + 3))[:n].replace(b"+", b"-")


def test_a_huge_line_is_refused_at_the_line_cap_zip_and_folder(engine, tmp_path,
                                                               monkeypatch):
    """A 2 MB line of printable characters (what pandas would hold whole): refused at the
    first 64 Ki characters, with the file, the line and what to do."""
    body = "\n".join([JEUNES_HEADER, *clean_young(2)]).encode() + b"\n" + _printable(2 << 20)
    _never_parsed(monkeypatch)
    expected = ("jeunes.csv, ligne 4 : ligne de plus de 65 536 caractères (une ligne "
                "d'extraction en compte quelques centaines ; un guillemet non refermé "
                "prolonge la ligne sur les suivantes). Vérifiez les guillemets à partir de "
                "cette ligne, ou exportez à nouveau le fichier depuis i-milo.")
    messages, record = refused(engine, _zip(tmp_path / "ligne.zip", {"jeunes.csv": body}))
    assert [_plain(m) for m in messages] == [expected]
    _nothing_written(engine, record)
    folder = tmp_path / "dossier"
    folder.mkdir()
    (folder / "jeunes.csv").write_bytes(body)
    messages, record = refused(engine, folder)
    assert [_plain(m) for m in messages] == [expected]
    _nothing_written(engine, record)


def test_a_quoted_field_left_open_over_many_short_lines_is_refused(engine, tmp_path,
                                                                  monkeypatch):
    """Short physical lines, but one quote never closed: pandas would gather them all
    into one field. The record is capped, reported at the line where it starts."""
    folder = tmp_path / "guillemet"
    folder.mkdir()
    rows = clean_young(3)
    rows[1] = rows[1].replace(";Nom", ';"Nom')
    (folder / "jeunes.csv").write_text("\n".join([JEUNES_HEADER, *rows, *(["x" * 50] * 5000)]))
    _never_parsed(monkeypatch)
    messages, record = refused(engine, folder)
    assert len(messages) == 1 and messages[0].startswith("jeunes.csv, ligne 3 : ligne de plus")
    _nothing_written(engine, record)


def test_a_long_field_is_refused_with_its_column(engine, tmp_path, monkeypatch):
    rows = clean_young(3)
    rows[2] = rows[2].replace(";PARENTS;", ";" + "P" * 300 + ";")
    folder = write_extract(tmp_path / "champ", jeunes=rows)
    monkeypatch.setattr(reading, "MAX_FIELD_CHARS", 200)
    _never_parsed(monkeypatch)
    messages, record = refused(engine, folder)
    assert messages == ["jeunes.csv, ligne 4 : la colonne « logement » dépasse 200 caractères "
                        "(un champ d'extraction en compte au plus quelques centaines). "
                        "Vérifiez les guillemets de cette ligne ; si cette colonne n'est pas "
                        "utile, retirez-la de l'export."]
    _nothing_written(engine, record)


def test_long_records_are_read_in_smaller_chunks(engine, tmp_path, monkeypatch):
    """The pandas chunk is bounded in characters, not only in rows."""
    folder = write_extract(tmp_path / "ok", jeunes=clean_young(50))
    seen = []
    original = reading.read_chunks

    def spy(info, chunk_rows=reading.CHUNK_ROWS):
        for chunk, position in original(info, chunk_rows):
            seen.append(len(chunk))
            yield chunk, position

    monkeypatch.setattr(pipeline, "read_chunks", spy)
    monkeypatch.setattr(reading, "CHUNK_CHARS", 1000)
    from tests.parcours_helpers import do_import

    outcome = do_import(engine, folder)
    assert outcome.counts["jeunes"] == 50
    assert max(seen) < 20 and sum(seen) == 50


# =========================================================== 2. request body size
def _multipart(client, url: str, size: int, **fields):
    data = {**fields, "piece": (io.BytesIO(b"x" * size), "piece.bin")}
    return client.post(url, data=data, content_type="multipart/form-data")


def test_an_ordinary_form_refuses_a_5_mb_body_with_the_french_413(app, client, world):
    """Every route used to accept bodies up to the Parcours upload limit (1 GiB)."""
    assert app.config["MAX_CONTENT_LENGTH"] == 4 * 1024 * 1024
    assert app.config["PARCOURS_MAX_CONTENT_LENGTH"] == 1024 * 1024 * 1024
    login(client, world["emails"]["admin"])
    for url in ("/admin/utilisateurs/nouveau", "/qualite/seuils"):
        response = _multipart(client, url, 5 * 1024 * 1024, email="a@test.fr")
        html = response.get_data(as_text=True)
        assert response.status_code == 413, url
        assert "Fichier trop volumineux" in html
        assert "Raccourcissez le texte saisi" in html
        assert "PARCOURS_MAX_UPLOAD_MB" not in html  # not the extract's message


def test_only_the_import_route_takes_a_large_upload(database_url, world, tmp_path):
    """Limits lowered: the same 50 KB body is refused on a form and imported on the upload
    route (the raised limit must be in place before the CSRF / NUL-byte hooks read it)."""
    small = make_app(database_url, MAX_CONTENT_LENGTH=16 * 1024,
                     PARCOURS_MAX_CONTENT_LENGTH=1024 * 1024)
    try:
        client = small.test_client()
        assert login(client, world["emails"]["animateur"]).status_code == 302
        body = ("\n".join([JEUNES_HEADER, *clean_young(600)]) + "\n").encode()
        assert len(body) > 40 * 1024
        refused_form = _multipart(client, "/admin/utilisateurs/nouveau", len(body))
        assert refused_form.status_code == 413
        response = client.post("/qualite/imports/nouveau", content_type="multipart/form-data",
                               data={"files": [(io.BytesIO(body), "jeunes.csv")],
                                     "period_start": "01/01/2026",
                                     "period_end": "30/09/2026"})
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        with small.app_context():
            record = db.session.scalars(select(ParcoursImport)).one()
            assert record.status == "termine" and record.counts["jeunes"] == 600
    finally:
        with small.app_context():
            db.session.remove()
            db.engine.dispose()


# =========================================================== 3. links in e-mails
def test_mailed_links_use_the_public_base_url_not_the_host_header(database_url,
                                                                  training_world):
    """A forged ``Host: evil.example`` used to put each trainee's personal evaluation token
    in a link to evil.example."""
    from models.audit import set_actor
    from models.mail.orm import OutboxMessage
    from models.training import registrations as seats
    from models.training.enums import SessionStatus
    from models.training.orm import TrainingSession

    base = "https://animareseau.arml-test.fr/app"
    app = make_app(database_url, PUBLIC_BASE_URL=base)
    ids = training_world["ids"]
    try:
        with app.app_context():
            s = db.session
            set_actor(s, None, via="cli")
            for n in range(2):
                seats.register(s, None, ids["session"], seats.RegistrationData(
                    last_name=f"Nom{n}", first_name=f"Prénom{n}", email=f"p{n}@ml.fr",
                    job="conseiller", mission_locale_id=ids["ml_a"]),
                    today=date(2026, 11, 23))
                s.commit()
            s.get(TrainingSession, ids["session"]).status = SessionStatus.REALISEE
            s.commit()
        client = app.test_client()
        forged = "http://evil.example"  # every request carries Host: evil.example
        assert client.post("/connexion", base_url=forged, data={
            "email": training_world["emails"]["animateur"],
            "password": PASSWORD}).status_code == 302
        response = client.post(f"/formations/sessions/{ids['session']}/evaluations/envoi",
                               data={"retour": "evaluations"}, base_url=forged)
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/formations/sessions/")
        with app.app_context():
            bodies = db.session.scalars(select(OutboxMessage.body).where(
                OutboxMessage.kind == "evaluation")).all()
        assert len(bodies) == 2
        for body in bodies:
            links = re.findall(r"https?://\S+", body)
            assert links and all(link.startswith(f"{base}/formations/evaluation/")
                                 for link in links), links
            assert "evil.example" not in body
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def test_production_refuses_to_start_without_a_public_base_url(monkeypatch):
    from webapp.config import load_config

    monkeypatch.setenv("ANIMARESEAU_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "s" * 64)
    monkeypatch.delenv("PUBLIC_BASE_URL", raising=False)
    with pytest.raises(RuntimeError, match="PUBLIC_BASE_URL est obligatoire en production"):
        load_config()
    monkeypatch.setenv("PUBLIC_BASE_URL", "evil.example")
    with pytest.raises(RuntimeError, match="n'est pas une adresse valide"):
        load_config()
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://animareseau.arml-test.fr/")
    assert load_config()["PUBLIC_BASE_URL"] == "https://animareseau.arml-test.fr"
    monkeypatch.setenv("ANIMARESEAU_ENV", "development")
    monkeypatch.delenv("PUBLIC_BASE_URL")
    assert load_config()["PUBLIC_BASE_URL"] == "http://127.0.0.1:5000"


# =========================================================== 4. ids in multi-selects
OUT_OF_RANGE = ["9223372036854775808", "-9223372036854775809", "2147483648",
                "99999999999999999999999999", "abc", ""]


def _action_form(ids, **overrides):
    form = {"objective_id": ids["objective"], "title": "Titre conservé",
            "description": "Une journée d'échanges", "pilot_id": ids["member"],
            "start_date": "2026-04-01", "end_date": "2026-04-30", "status": "prevue",
            "mission_locale_ids": [ids["ml_a"]], "partners": ""}
    form.update(overrides)
    return form


@pytest.mark.parametrize("value", OUT_OF_RANGE)
def test_an_out_of_range_id_in_the_actions_missions_locales_is_a_french_error(
        client, programme_world, value):
    """``SelectMultipleField(coerce=int)`` let 2**63 reach the database: a 500."""
    from models.programme.orm import Action

    ids = programme_world["ids"]
    assert login(client, programme_world["emails"]["animateur"]).status_code == 302
    for url in (f"/programmes/{ids['programme']}/actions/nouvelle",
                f"/programmes/actions/{ids['action_a']}/modifier"):
        response = client.post(url, data=_action_form(
            ids, mission_locale_ids=[str(ids["ml_a"]), value], version_id="1"))
        html = response.get_data(as_text=True)
        assert response.status_code == 200, (url, response.status_code)
        assert "Mission locale introuvable." in html
        assert 'value="Titre conservé"' in html  # the form is kept
    with client.application.app_context():
        assert db.session.scalar(select(func.count()).select_from(Action).where(
            Action.title == "Titre conservé")) == 0


@pytest.mark.parametrize("value", OUT_OF_RANGE[:1])
def test_an_unknown_value_in_the_trainings_audience_is_a_french_error(client, training_world,
                                                                      value):
    """The other multi-select (training audience: job codes, not ids) stays a form error."""
    assert login(client, training_world["emails"]["animateur"]).status_code == 302
    response = client.post("/formations/nouvelle", data={
        "title": "Titre conservé", "duration_days": "1", "duration_hours": "7",
        "modality": "presentiel", "audience": ["conseiller", value]})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "n&#39;est pas un choix valide pour ce champ" in html
    assert 'value="Titre conservé"' in html


# =========================================================== 5. look-alike e-mail addresses
FULL_WIDTH_ADMIN = "ＡＤＭＩＮ＠ＴＥＳＴ．ＦＲ"  # what « ADMIN@TEST.FR » looks like in full width


@pytest.mark.parametrize("email", [
    FULL_WIDTH_ADMIN, "ａｄｍｉｎ@test.fr", " Admin@Test.fr\u3000"])
def test_a_full_width_twin_of_an_existing_address_is_refused(session, world, email):
    from models.accounts.services import UserData, create_user
    from models.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as caught:
        create_user(session, None, UserData(email=email, full_name="Jumeau", role="copil"),
                    "une-phrase-de-passe-assez-longue-2026")
    assert caught.value.errors["email"] == ["Un compte existe déjà avec cette adresse e-mail."]


@pytest.mark.parametrize("email", [
    "admin\u200b@test.fr", "\u200badmin@test.fr", "admin@test.fr\u200b", "adm\u00adin@test.fr",
    "admin@te\u2060st.fr", "ad\u202emin@test.fr", "ad min@test.fr", "admin@test\u00a0.fr"])
def test_invisible_characters_in_an_address_are_refused_in_french(session, world, email):
    from models.accounts.services import UserData, create_user
    from models.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as caught:
        create_user(session, None, UserData(email=email, full_name="Jumeau", role="copil"),
                    "une-phrase-de-passe-assez-longue-2026")
    assert caught.value.errors["email"] == [
        "L'adresse e-mail contient un espace ou un caractère invisible (par exemple un espace "
        "de largeur nulle venu d'un copier-coller) : effacez-la et retapez-la au clavier."]


def test_the_full_width_form_finds_the_account_and_signs_in(session, world):
    from models.accounts.services import authenticate, find_by_email, normalize_email

    assert normalize_email(FULL_WIDTH_ADMIN) == "admin@test.fr"
    assert find_by_email(session, FULL_WIDTH_ADMIN).id == world["ids"]["admin"]
    assert find_by_email(session, "admin\u200b@test.fr") is None
    user = authenticate(session, FULL_WIDTH_ADMIN, PASSWORD)
    assert user is not None and user.id == world["ids"]["admin"]


def test_a_new_account_is_stored_in_normal_form(session, world):
    from models.accounts.orm import User
    from models.accounts.services import UserData, create_user

    user = create_user(session, None, UserData(email="ＮＯＵＶＥＡＵ@ＴＥＳＴ．ＦＲ",
                                                full_name="Nouveau", role="copil"),
                       "une-phrase-de-passe-assez-longue-2026")
    assert session.get(User, user.id).email == "nouveau@test.fr"


def test_signing_in_on_the_web_with_the_full_width_form(client, world):
    response = login(client, FULL_WIDTH_ADMIN)
    assert response.status_code == 302
    assert not response.headers["Location"].startswith("/connexion")
    assert login(client.application.test_client(), "admin\u200b@test.fr").status_code == 200


# =========================================================== 6. findings record by record
def test_the_copil_gets_counts_per_rule_but_no_youth_level_findings(app, world, tmp_path):
    """The copil could read and download every mission locale's findings with id_jeune."""
    from tests.parcours_helpers import do_import, jeune

    rows = clean_young(3) + [jeune("33005", "987654", nom="Erreur", prenom="Sexe", sexe="X")]
    with app.app_context():
        do_import(db.engine, write_extract(tmp_path / "x", jeunes=rows))
    ml_a = world["ids"]["ml_a"]
    page = f"/qualite/ml/{ml_a}"
    exports = [f"/qualite/ml/{ml_a}/constats.csv", f"/qualite/ml/{ml_a}/constats.xlsx"]
    seen = {}
    for role in ("admin", "animateur", "copil", "ml"):
        client = app.test_client()
        assert login(client, world["emails"][role]).status_code == 302
        response = client.get(page)
        assert response.status_code == 200
        seen[role] = response.get_data(as_text=True)
        statuses = [client.get(url).status_code for url in exports]
        assert statuses == ([403, 403] if role == "copil" else [200, 200]), role
    for role in ("admin", "animateur", "ml"):
        assert 'id="table-constats"' in seen[role] and "987654" in seen[role], role
        assert "constats.csv" in seen[role]
    copil = seen["copil"]
    assert 'id="regles"' in copil and "Q04" in copil  # the counts per rule stay
    assert 'id="table-constats"' not in copil and "987654" not in copil
    assert "constats.csv" not in copil and "constats.xlsx" not in copil
    assert "réservée à l'équipe de l'ARML et à la mission locale concernée" in copil
    client = app.test_client()
    login(client, world["emails"]["copil"])
    filtered = client.get(page + "?id_jeune=987654&regle=Q04").get_data(as_text=True)
    assert 'id="table-constats"' not in filtered and 'data-finding="' not in filtered
