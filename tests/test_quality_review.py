"""Review of issue 6 (Parcours extracts, data quality): hostile or odd input, authorization,
pseudonymisation, integrity under concurrency.

Each test here first demonstrated a defect the review found; they now guard the fixes.
"""

from __future__ import annotations

import contextlib
import io
import logging
import re
import struct
import threading
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from models.base import Base
from models.parcours import lifecycle, pipeline
from models.parcours.errors import ImportRefused
from models.parcours.orm import (
    ParcoursExtract,
    ParcoursImport,
    PqJeune,
    QualityFinding,
    QualityMark,
)
from models.parcours.pipeline import run_import
from tests.conftest import login
from tests.parcours_helpers import (
    EVENEMENTS_HEADER,
    JEUNES_HEADER,
    KEY,
    PERIOD,
    TODAY,
    clean_young,
    do_import,
    jeune,
    queue,
    write_extract,
    zip_folder,
)
from webapp.extensions import db

DU, AU = "01/01/2026", "30/09/2026"


@pytest.fixture
def engine(app, world):
    with app.app_context():
        yield db.engine


def findings(engine, rule: str | None = None) -> set[tuple[str, str, str, str]]:
    """(rule, id_jeune, field, value) of every finding (of ``rule``)."""
    with Session(engine) as session:
        stmt = select(QualityFinding.rule_code, QualityFinding.id_jeune, QualityFinding.field,
                      QualityFinding.value)
        if rule:
            stmt = stmt.where(QualityFinding.rule_code == rule)
        return set(session.execute(stmt).all())


def current(engine) -> list[ParcoursExtract]:
    with Session(engine) as session:
        rows = list(session.scalars(select(ParcoursExtract).where(
            ParcoursExtract.status == "current").order_by(ParcoursExtract.id)))
        session.expunge_all()
        return rows


def import_record(engine, import_id: int) -> ParcoursImport:
    with Session(engine) as session:
        record = session.get(ParcoursImport, import_id)
        session.expunge(record)
        return record


def refusal(engine, path: Path) -> tuple[list[str], ParcoursImport]:
    import_id = queue(engine, PERIOD, path.name)
    with pytest.raises(ImportRefused) as caught:
        run_import(engine, import_id, path, today=TODAY, key=KEY)
    return caught.value.messages, import_record(engine, import_id)


# ================================================================= web: query strings
@pytest.fixture
def two_mls(app, world, tmp_path):
    """One current extract for each mission locale (ml_a 33005, ml_b 64001)."""
    with app.app_context():
        rows = [*clean_young(3), jeune(id_jeune="77", nom="Sans", prenom="Sexe", sexe="X")]
        rows += [*clean_young(2, code_ml="64001", start=50),
                 jeune("64001", "88", nom="Autre", prenom="Ml", sexe="X",
                       postal="64000", commune="64445")]
        do_import(db.engine, write_extract(tmp_path / "a", jeunes=rows))
        by_ml = {e.mission_locale_id: e.id for e in current(db.engine)}
    world["extracts"] = by_ml
    return world


@pytest.mark.parametrize("query", ["ml_id={other}", "endpoint=x", "_method=POST",
                                   "_external=1&_scheme=javascript", "_anchor=x"])
def test_query_keys_that_name_url_for_arguments_neither_crash_nor_redirect(
        client, two_mls, query):
    """``**request.args`` reached ``url_for``: ``?endpoint=x`` or ``?_method=POST`` gave a
    500 and ``?ml_id=`` a TypeError (export links) on the quality pages."""
    ids = two_mls["ids"]
    query = query.format(other=ids["ml_b"])
    login(client, two_mls["emails"]["animateur"])
    for path in (f"/qualite/ml/{ids['ml_a']}", "/qualite/", "/qualite/imports"):
        response = client.get(f"{path}?{query}&tri=regle")
        assert response.status_code == 200, (path, query, response.status_code)
        html = response.get_data(as_text=True)
        assert "javascript:" not in html
        assert f"/qualite/ml/{ids['ml_b']}/constats" not in html
    client.post("/deconnexion")
    login(client, two_mls["emails"]["ml"])
    response = client.get(f"/qualite/ml/{ids['ml_a']}?{query}")
    assert response.status_code == 200
    assert f"/qualite/ml/{ids['ml_b']}" not in response.get_data(as_text=True)


def test_odd_query_values_fall_back_without_error(client, two_mls):
    ids = two_mls["ids"]
    login(client, two_mls["emails"]["animateur"])
    base = f"/qualite/ml/{ids['ml_a']}"
    for query in ("page=99999999999999999999999", "par_page=-5", "page=-1",
                  "extrait=999999999999999999999999", "extrait=abc", "regle=Q99",
                  "regle=" + "Q" * 5000, "gravite=fatal", "marque=x",
                  "id_jeune=" + "9" * 5000, "tri=nope&ordre=sideways"):
        for suffix in ("", "/constats.csv", "/constats.xlsx"):
            response = client.get(f"{base}{suffix}?{query}")
            assert response.status_code == 200, (suffix, query[:40], response.status_code)
    for query in ("version=99999999999999999999", "version=-3", "version=abc"):
        assert client.get(f"/qualite/charte?{query}").status_code == 200
    for query in ("tri=Q99", "statut=<b>", "departement=" + "9" * 3000, "anciennes=yes"):
        assert client.get(f"/qualite/?{query}").status_code == 200
    assert client.get("/qualite/imports?statut=nope&page=abc").status_code == 200
    assert client.get("/qualite/imports/999999999999").status_code == 404


# ================================================================= web: authorization
def test_an_ml_account_cannot_reach_another_mls_data_by_tampering(app, client, two_mls):
    ids, extracts = two_mls["ids"], two_mls["extracts"]
    other_extract = extracts[ids["ml_b"]]
    login(client, two_mls["emails"]["ml"])
    own = f"/qualite/ml/{ids['ml_a']}"
    # another ML's page and exports: not found
    for suffix in ("", "/constats.csv", "/constats.xlsx"):
        assert client.get(f"/qualite/ml/{ids['ml_b']}{suffix}").status_code == 404
    # another ML's extract id on its own page / export: its own extract is shown instead
    for suffix in ("", "/constats.csv"):
        response = client.get(f"{own}{suffix}?extrait={other_extract}")
        assert response.status_code == 200
        body = response.get_data(as_text=True)
        assert "64001" not in body and ";88;" not in body and ">88<" not in body
    # region-wide pages and every write
    for path in ("/qualite/imports", "/qualite/imports/1", "/qualite/imports/nouveau",
                 "/qualite/seuils"):
        assert client.get(path).status_code == 403, path
    with app.app_context(), Session(db.engine) as session:
        finding_b = session.scalar(select(QualityFinding.id).where(
            QualityFinding.extract_id == other_extract))
        finding_a = session.scalar(select(QualityFinding.id).where(
            QualityFinding.extract_id == extracts[ids["ml_a"]]))
        mark = QualityMark(mission_locale_id=ids["ml_b"], rule_code="Q04", record_key="J:88",
                           kind="acquitte", comment="posé par l'équipe")
        session.add(mark)
        session.commit()
        mark_id = mark.id
    for finding in (finding_a, finding_b):
        response = client.post(f"/qualite/constats/{finding}/marquer",
                               data={"kind": "exception", "comment": "je me l'accorde"})
        assert response.status_code == 403
    assert client.post(f"/qualite/marques/{mark_id}/retirer").status_code == 403
    with app.app_context(), Session(db.engine) as session:
        assert session.scalar(select(func.count(QualityMark.id))) == 1
        assert session.get(QualityMark, mark_id).kind == "acquitte"


@pytest.mark.parametrize("role", ["copil", "financeur"])
def test_copil_and_funder_reach_no_write(app, client, two_mls, role):
    ids, extracts = two_mls["ids"], two_mls["extracts"]
    login(client, two_mls["emails"][role])
    with app.app_context(), Session(db.engine) as session:
        finding = session.scalar(select(QualityFinding.id).where(
            QualityFinding.extract_id == extracts[ids["ml_a"]]))
    posts = {f"/qualite/constats/{finding}/marquer": {"kind": "acquitte", "comment": "vu !"},
             "/qualite/marques/1/retirer": {}, "/qualite/imports/nouveau": {},
             "/qualite/seuils": {"green_min": "10", "amber_min": "5", "stale_days": "3"}}
    for path, data in posts.items():
        assert client.post(path, data=data).status_code == 403, path
    with app.app_context(), Session(db.engine) as session:
        assert session.scalar(select(func.count(QualityMark.id))) == 0


def test_every_quality_route_is_declared_and_every_post_needs_csrf(app, world, two_mls):
    routes = [r for r in app.url_map.iter_rules() if r.endpoint.startswith("quality.")]
    assert routes
    for rule in routes:
        assert hasattr(app.view_functions[rule.endpoint], "access_rule"), rule.endpoint
    from tests.conftest import make_app

    guarded = make_app(app.config["SQLALCHEMY_DATABASE_URI"], WTF_CSRF_ENABLED=True)
    client = guarded.test_client()
    page = client.get("/connexion").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    assert client.post("/connexion", data={"email": world["emails"]["admin"],
                                           "password": "mot-de-passe-de-test",
                                           "csrf_token": token}).status_code == 302
    ids, extracts = two_mls["ids"], two_mls["extracts"]
    with app.app_context(), Session(db.engine) as session:
        finding = session.scalar(select(QualityFinding.id).where(
            QualityFinding.extract_id == extracts[ids["ml_a"]]))
    for rule in routes:
        if "POST" not in rule.methods:
            continue
        path = rule.rule.replace("<int:finding_id>", str(finding)).replace("<int:mark_id>", "1")
        response = client.post(path, data={"kind": "acquitte", "comment": "sans jeton"})
        assert response.status_code == 400, (path, response.status_code)
    with app.app_context(), Session(db.engine) as session:
        assert session.scalar(select(func.count(QualityMark.id))) == 0


# ================================================================= web: odd uploads
def _upload(client, files, du=DU, au=AU):
    data = {"files": [(io.BytesIO(body), name) for body, name in files],
            "period_start": du, "period_end": au}
    return client.post("/qualite/imports/nouveau", data=data, content_type="multipart/form-data")


def _jeunes_bytes(n: int = 2) -> bytes:
    return ("\n".join([JEUNES_HEADER, *clean_young(n)]) + "\n").encode()


def test_odd_uploads_get_french_errors_and_nothing_is_kept(app, client, world, tmp_path):
    from models.parcours.jobs import uploads_folder

    login(client, world["emails"]["animateur"])
    cases = [
        ([], "Choisissez l'archive ZIP"),
        ([(b"", "")], "Choisissez l'archive ZIP"),
        ([(_jeunes_bytes(), "../../x.csv")], "n'est pas un fichier de l'extraction"),
        ([(_jeunes_bytes(), "dossier/")], "Choisissez l'archive ZIP"),
        ([(_jeunes_bytes(), "jeunes.csv"), (_jeunes_bytes(), "JEUNES.CSV")],
         "envoyé deux fois"),
        ([(b"x", "extrait.exe")], "ni une archive .zip ni un fichier .csv"),
        ([(b"PK", "a.zip"), (b"PK", "b.zip")], "une seule archive ZIP"),
        ([(_jeunes_bytes(), "evenements.csv")], "jeunes.csv est obligatoire"),
    ]
    for files, expected in cases:
        response = _upload(client, files)
        assert response.status_code == 200, files
        assert expected in response.get_data(as_text=True).replace("&#39;", "'"), expected
    for du, au, expected in (("31/02/2026", AU, "n&#39;est pas une date valide"),
                             ("00/00/0000", AU, "n&#39;est pas une date valide"),
                             ("2026-13-01", AU, "n&#39;est pas une date valide"),
                             (DU, "01/01/99999", "n&#39;est pas une date valide"),
                             ("01/01/2000", AU, "avant le 1er janvier 2010"),
                             (DU, "31/12/2099", "dans le futur")):
        response = _upload(client, [(_jeunes_bytes(), "jeunes.csv")], du=du, au=au)
        assert response.status_code == 200 and expected in response.get_data(as_text=True), du
    with app.app_context():
        assert db.session.scalar(select(func.count(ParcoursImport.id))) == 0
        assert list(uploads_folder().iterdir()) == []


def test_traversal_in_uploaded_names_stays_in_the_upload_folder(app, client, world,
                                                                tmp_path):
    login(client, world["emails"]["animateur"])
    response = _upload(client, [(_jeunes_bytes(3), "../../../jeunes.csv")])
    assert response.status_code == 302
    folder = write_extract(tmp_path / "z", jeunes=clean_young(2))
    body = zip_folder(folder, tmp_path / "z.zip").read_bytes()
    response = _upload(client, [(body, "..\\..\\..\\evil.zip")])
    assert response.status_code == 302
    assert not (tmp_path.parent / "evil.zip").exists()
    with app.app_context():
        statuses = db.session.scalars(select(ParcoursImport.status)).all()
        assert statuses == ["termine", "termine"]


def test_a_zip_with_traversal_members_and_many_members_is_read_not_extracted(engine,
                                                                             tmp_path):
    archive = tmp_path / "hostile.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("../../../../tmp/evil/jeunes.csv", _jeunes_bytes(3))
        for i in range(400):
            z.writestr(f"bruit/{i}.txt", "x")
    outcome = do_import(engine, archive)
    assert outcome.counts["jeunes"] == 3
    assert not Path("/tmp/evil").exists()


# ================================================================= pipeline: odd but valid
def test_line_endings_spaces_booleans_and_odd_dates(engine, tmp_path):
    rows = [
        jeune(id_jeune="1", nom="Un", prenom="A"),
        # a field of spaces is missing: Q04
        jeune(id_jeune="2", nom="Deux", prenom="B", sexe="   "),
        jeune(id_jeune="3", nom="Trois", prenom="C", naissance="2026-13-01"),
        jeune(id_jeune="4", nom="Quatre", prenom="D", naissance="00/00/0000"),
        jeune(id_jeune="5", nom="Cinq", prenom="E", naissance="31/02/2004"),
        jeune(id_jeune="6", nom="Six", prenom="F", naissance="-5"),
        jeune(id_jeune="7", nom="Sept", prenom="G", naissance="44927.5"),
        jeune(id_jeune="00123", nom="Huit", prenom="H"),
    ]
    text_rows = [r.replace(";N;N;N", ";oUi;Non;n") for r in rows]
    for ending in ("\r\n", "\r"):
        folder = tmp_path / f"e{len(ending)}"
        folder.mkdir()
        (folder / "jeunes.csv").write_bytes(
            ending.join([JEUNES_HEADER, *text_rows, ""]).encode())
        (folder / "evenements.csv").write_bytes(ending.join(
            [EVENEMENTS_HEADER, "33005;123;05/09/2026;ENTRETIEN;EMPLOI",
             "33005;00123;05/09/2026;ENTRETIEN;EMPLOI", ""]).encode())
        outcome = do_import(engine, folder)
        assert outcome.counts == {"jeunes": 8, "evenements": 2, "situations": 0,
                                  "dispositifs": 0}
        assert findings(engine, "Q01") == {
            ("Q01", i, "date_naissance", "date invalide") for i in "34567"}
        assert {f[:3] for f in findings(engine, "Q04")} == {("Q04", "2", "sexe")}
        # ids are the ML's own: "123" is not "00123"
        assert findings(engine, "Q16") == {("Q16", "123", "id_jeune", "evenements.csv")}
        with Session(engine) as session:
            flags = session.execute(
                select(PqJeune.permis_b, PqJeune.vehicule, PqJeune.rqth)
                .join(ParcoursExtract, ParcoursExtract.id == PqJeune.extract_id)
                .where(PqJeune.id_jeune == "1", ParcoursExtract.status == "current")).one()
        assert tuple(flags) == (True, False, False)


def test_windows_1252_with_accented_headers(engine, tmp_path):
    header = JEUNES_HEADER.replace("prenom", " Prénom ").replace("niveau_formation",
                                                                  "Niveau_Formation")
    header = header.replace("date_premier_accueil", "DATE_PREMIER_ACCUEIL")
    rows = [jeune(id_jeune="1", nom="Hélène", prenom="Françoise"), *clean_young(2, start=2)]
    folder = write_extract(tmp_path / "w", jeunes=rows, headers={"jeunes": header},
                           encoding="cp1252")
    assert do_import(engine, folder).counts["jeunes"] == 3
    assert findings(engine) == set()


def test_a_value_of_spaces_is_quoted_as_empty(engine, tmp_path):
    rows = [jeune(id_jeune="2", nom="Deux", prenom="B", sexe="   "),
            jeune(id_jeune="3", nom="Trois", prenom="C", niveau=" x ")]
    do_import(engine, write_extract(tmp_path / "s", jeunes=rows))
    assert findings(engine) == {("Q04", "2", "sexe", "(vide)"),
                                ("Q05", "3", "niveau_formation", "x")}


def test_a_zip_with_two_jeunes_files_is_refused(engine, tmp_path):
    archive = tmp_path / "deux.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("jeunes.csv", _jeunes_bytes(5))
        z.writestr("JEUNES.CSV", _jeunes_bytes(1))
    messages, record = refusal(engine, archive)
    assert record.status == "refuse"
    assert any("jeunes.csv" in m and "JEUNES.CSV" in m for m in messages)


def _flag_encrypted(archive: Path) -> None:
    """Set the 'encrypted' bit of every member (local and central headers)."""
    data = bytearray(archive.read_bytes())
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        start = 0
        while (at := data.find(signature, start)) != -1:
            flags = struct.unpack_from("<H", data, at + offset)[0]
            struct.pack_into("<H", data, at + offset, flags | 0x1)
            start = at + 4
    archive.write_bytes(bytes(data))


@pytest.mark.parametrize("damage", ["encrypted", "bad_crc"])
def test_a_damaged_or_encrypted_zip_is_refused_in_french(engine, tmp_path, damage):
    archive = tmp_path / f"{damage}.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_STORED) as z:
        z.writestr("jeunes.csv", _jeunes_bytes(3))
    if damage == "encrypted":
        _flag_encrypted(archive)
    else:
        data = bytearray(archive.read_bytes())
        at = data.find(b"Prenom2")
        data[at] = ord("Q")  # the stored bytes no longer match the CRC
        archive.write_bytes(bytes(data))
    messages, record = refusal(engine, archive)
    assert record.status == "refuse"
    assert "jeunes.csv" in " ".join(messages)


def test_line_numbers_in_messages_count_blank_lines(engine, tmp_path):
    folder = tmp_path / "blank"
    folder.mkdir()
    lines = [JEUNES_HEADER, *clean_young(1), "", jeune(id_jeune="2", nom="A", prenom="B"),
             jeune("99999", "3", nom="C", prenom="D")]
    (folder / "jeunes.csv").write_text("\n".join(lines) + "\n")
    messages, _ = refusal(engine, folder)
    assert any("ligne 5 : code_ml « 99999 » inconnu" in m for m in messages), messages


def test_young_people_without_identity_are_not_duplicates_of_each_other(engine, tmp_path):
    rows = [jeune(id_jeune=str(i), nom="", prenom="", naissance="") for i in (1, 2, 3)]
    do_import(engine, write_extract(tmp_path / "anon", jeunes=rows))
    assert {f[0] for f in findings(engine)} == {"Q01"}


# ================================================================= pseudonymisation
NAMES = ("ZANZIBAR", "OSCARINE", "QUENTILDE", "BARTHOLDI")


def _dump(engine) -> str:
    parts = []
    with engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            for row in conn.execute(table.select()):
                parts.extend(str(v) for v in row)
    return " ".join(parts).upper()


def test_no_identity_reaches_the_database_logs_or_exports(app, client, world, tmp_path,
                                                          caplog, keep_everyone):
    rows = [
        jeune(id_jeune="1", nom="Zanzibar", prenom="Oscarine", naissance="17/05/2004"),
        # Q01 (impossible birth date), Q09 duplicate identities, Q02, Q03
        jeune(id_jeune="2", nom="Quentilde", prenom="Bartholdi", naissance="31/02/2003"),
        jeune(id_jeune="3", nom="Zanzibar", prenom="Oscarine", naissance="17/05/2004"),
        jeune(id_jeune="4", nom="Bartholdi", prenom="Quentilde", naissance="29/06/2012"),
        jeune(id_jeune="5", nom="Oscarine", prenom="Zanzibar", naissance="13/07/1990"),
    ]
    caplog.set_level(logging.DEBUG)
    login(client, world["emails"]["animateur"])
    folder = write_extract(tmp_path / "id", jeunes=rows,
                           evenements=["33005;9;05/09/2026;ENTRETIEN;EMPLOI"])
    body = zip_folder(folder, tmp_path / "id.zip").read_bytes()
    response = _upload(client, [(body, "extrait.zip")])
    assert response.status_code == 302
    status_url = response.headers["Location"]
    with app.app_context():
        finding = db.session.scalar(select(QualityFinding).where(
            QualityFinding.rule_code == "Q09").order_by(QualityFinding.id))
        ml_id = world["ids"]["ml_a"]
        assert {f.rule_code for f in db.session.scalars(select(QualityFinding))} >= {
            "Q01", "Q02", "Q03", "Q09", "Q16"}
    assert client.post(f"/qualite/constats/{finding.id}/marquer", data={
        "kind": "exception", "comment": "vérifié avec la mission locale"}).status_code == 302
    exports = client.get(f"/qualite/ml/{ml_id}/constats.csv").get_data(as_text=True)
    xlsx = client.get(f"/qualite/ml/{ml_id}/constats.xlsx").data
    page = client.get(f"/qualite/ml/{ml_id}?par_page=100").get_data(as_text=True)
    status = client.get(status_url).get_data(as_text=True)
    with app.app_context():
        dumped = _dump(db.engine)
    key = None
    with app.app_context():
        from models.parcours.pseudonym import pseudonym_key

        key = pseudonym_key().decode()
    haystacks = {"database": dumped, "csv": exports.upper(), "page": page.upper(),
                 "status": status.upper(), "logs": caplog.text.upper()}
    with zipfile.ZipFile(io.BytesIO(xlsx)) as z:
        haystacks["xlsx"] = " ".join(z.read(n).decode("utf-8", "replace")
                                     for n in z.namelist()).upper()
    for where, haystack in haystacks.items():
        for name in NAMES:
            assert name not in haystack, (where, name)
        for day in ("17/05/2004", "2004-05-17", "31/02/2003", "29/06/2012", "2012-06-29",
                    "13/07/1990", "1990-07-13"):
            assert day not in haystack, (where, day)
        assert key.upper() not in haystack, (where, "clé HMAC")


def test_missing_key_in_production_refuses_and_records_the_import(engine, tmp_path,
                                                                   monkeypatch):
    from models.parcours.pseudonym import MissingPseudonymKey

    folder = write_extract(tmp_path / "p", jeunes=clean_young(2))
    import_id = queue(engine)
    monkeypatch.setenv("ANIMARESEAU_ENV", "production")
    monkeypatch.delenv("PARCOURS_PSEUDO_KEY", raising=False)
    with pytest.raises(MissingPseudonymKey):
        run_import(engine, import_id, folder, today=TODAY)
    record = import_record(engine, import_id)
    assert record.status == "refuse" and record.finished_at is not None
    assert "PARCOURS_PSEUDO_KEY" in record.message


def test_cli_without_key_in_production_explains_in_french(app, world, tmp_path, monkeypatch):
    folder = write_extract(tmp_path / "p", jeunes=clean_young(2))
    monkeypatch.setenv("ANIMARESEAU_ENV", "production")
    monkeypatch.delenv("PARCOURS_PSEUDO_KEY", raising=False)
    result = app.test_cli_runner().invoke(args=["parcours", "import", str(folder), "--from",
                                                DU, "--to", AU])
    assert result.exit_code == 1
    assert "PARCOURS_PSEUDO_KEY est obligatoire en production" in result.stderr
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_cli_import_of_the_current_folder_is_named(app, world, tmp_path, monkeypatch):
    folder = write_extract(tmp_path / "extrait_20260101_20260930", jeunes=clean_young(2))
    monkeypatch.chdir(folder)
    result = app.test_cli_runner().invoke(args=["parcours", "import", "."])
    assert result.exit_code == 0, result.output
    with app.app_context():
        record = db.session.scalar(select(ParcoursImport))
        assert record.source_name == "extrait_20260101_20260930"
        assert (record.period_start, record.period_end) == PERIOD


# ================================================================= integrity
def test_reimport_keeps_marks_aggregates_and_a_refused_one_changes_nothing(engine, tmp_path):
    bad = jeune(id_jeune="9", nom="Sans", prenom="Sexe", sexe="X")
    do_import(engine, write_extract(tmp_path / "1", jeunes=[*clean_young(3), bad]))
    [first] = current(engine)
    with Session(engine) as session:
        session.add(QualityMark(mission_locale_id=first.mission_locale_id, rule_code="Q04",
                                record_key="J:9", kind="exception", comment="justifié"))
        session.commit()
    do_import(engine, write_extract(tmp_path / "2", jeunes=[*clean_young(4), bad]))
    [second] = current(engine)
    assert second.id != first.id and second.score == 1 and second.score_raw < 1
    with Session(engine) as session:
        old = session.get(ParcoursExtract, first.id)
        assert old.status == "replaced" and old.jeunes == 4 and old.score_raw is not None
        assert session.scalar(select(func.count()).select_from(QualityFinding).where(
            QualityFinding.extract_id == first.id)) == 0
        assert session.execute(text(
            "SELECT COUNT(*) FROM quality_rule_count WHERE extract_id = :i"),
            {"i": first.id}).scalar() == 1  # the trend keeps the aggregates
    messages, record = refusal(engine, write_extract(
        tmp_path / "3", jeunes=[*clean_young(2), jeune("99999", "5", nom="U", prenom="V")]))
    assert record.status == "refuse"
    [still] = current(engine)
    assert still.id == second.id and still.jeunes == 5


def test_two_imports_of_the_same_ml_and_period_leave_one_current_extract(
        engine, tmp_path, monkeypatch, database_url):
    if database_url.startswith("sqlite"):
        pytest.skip("SQLite serialises writers: the race needs PostgreSQL")
    do_import(engine, write_extract(tmp_path / "0", jeunes=clean_young(2)))
    folders = [write_extract(tmp_path / str(n), jeunes=clean_young(n)) for n in (3, 4)]
    barrier = threading.Barrier(2)
    original = pipeline.refresh_quality

    def in_step(session, ids):
        original(session, ids)
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait(timeout=5)

    monkeypatch.setattr(pipeline, "refresh_quality", in_step)
    ids = [queue(engine) for _ in folders]
    errors: list[BaseException] = []

    def work(import_id, folder):
        try:
            run_import(engine, import_id, folder, today=TODAY, key=KEY)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=pair) for pair in zip(ids, folders,
                                                                        strict=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    assert len(current(engine)) == 1


def test_a_worker_start_does_not_sweep_an_import_running_elsewhere(engine, tmp_path,
                                                                    monkeypatch):
    folder = write_extract(tmp_path / "r", jeunes=clean_young(5),
                           evenements=["33005;1;05/09/2026;ENTRETIEN;EMPLOI"])
    paused, resume = threading.Event(), threading.Event()
    original = pipeline._store_activity

    def pause_then_store(engine_, run):
        paused.set()
        resume.wait(30)
        original(engine_, run)

    monkeypatch.setattr(pipeline, "_store_activity", pause_then_store)
    import_id = queue(engine)
    errors: list[BaseException] = []

    def work():
        try:
            run_import(engine, import_id, folder, today=TODAY, key=KEY)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    thread = threading.Thread(target=work)
    thread.start()
    assert paused.wait(30)
    swept = lifecycle.cleanup_stale(engine)  # another worker starting now
    resume.set()
    thread.join(60)
    assert import_id not in swept
    assert not errors, errors
    [live] = current(engine)
    assert live.jeunes == 5 and import_record(engine, import_id).status == "termine"


def test_pipeline_and_status_values_are_plain(engine, tmp_path):
    """The refusal message is what the status page shows: French, with file and line."""
    rows = [*clean_young(1), jeune(id_jeune="x" * 41, nom="L", prenom="M")]
    messages, record = refusal(engine, write_extract(tmp_path / "l", jeunes=rows))
    assert record.message == "\n".join(messages)
    assert "jeunes.csv, ligne 3 : id_jeune de plus de 40 caractères" in record.message


def test_marking_returns_to_the_same_filters_even_with_odd_characters(app, client, two_mls):
    """The ``retour`` query was joined without encoding: a value holding ``&`` smuggled
    another filter into the page shown after marking."""
    ids, extracts = two_mls["ids"], two_mls["extracts"]
    login(client, two_mls["emails"]["animateur"])
    page = client.get(f"/qualite/ml/{ids['ml_a']}?gravite=erreur&ordre=asc%26regle%3DQ99")
    retour = re.search(r'name="retour" value="([^"]*)"', page.get_data(as_text=True)).group(1)
    with app.app_context(), Session(db.engine) as session:
        finding = session.scalar(select(QualityFinding.id).where(
            QualityFinding.extract_id == extracts[ids["ml_a"]]))
    response = client.post(f"/qualite/constats/{finding}/marquer", data={
        "kind": "acquitte", "comment": "vu avec la ML",
        "retour": retour.replace("&amp;", "&") + "&ml_id=9&next=//evil"})
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith(f"/qualite/ml/{ids['ml_a']}?")
    assert "gravite=erreur" in location and "&regle=Q99" not in location
    assert "evil" not in location and "ml_id" not in location


def test_an_unreachable_job_queue_gives_a_french_failure_not_a_500(app, world, database_url,
                                                                  tmp_path, monkeypatch):
    from models.parcours import jobs
    from models.parcours.jobs import uploads_folder
    from tests.conftest import make_app

    def queue_down(import_id, path):
        raise ConnectionError("Error 111 connecting to redis:6379. Connection refused.")

    monkeypatch.setattr(jobs, "import_extract", queue_down)
    served = make_app(database_url, PARCOURS_JOBS="huey")
    client = served.test_client()
    assert login(client, world["emails"]["animateur"]).status_code == 302
    response = _upload(client, [(_jeunes_bytes(2), "jeunes.csv")])
    assert response.status_code == 302
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "import a échoué" in html and "tâches de fond est indisponible" in html
    assert 'data-refresh-seconds' not in html
    with served.app_context():
        record = db.session.scalar(select(ParcoursImport))
        assert record.status == "echec" and record.stored_path is None
        assert list(uploads_folder().iterdir()) == []
        db.engine.dispose()


def test_a_young_person_listed_twice_is_not_counted_twice_silently(engine, tmp_path):
    rows = [*clean_young(4), jeune(id_jeune="2", nom="Autre", prenom="Personne", sexe="H")]
    folder = write_extract(tmp_path / "dup", jeunes=rows)
    import_id = queue(engine)
    try:
        outcome = run_import(engine, import_id, folder, today=TODAY, key=KEY)
    except ImportRefused as exc:
        assert any("id_jeune" in m and "2" in m for m in exc.messages)
        return
    assert outcome.counts["jeunes"] == 4
    assert any(f[1] == "2" for f in findings(engine))


def test_rows_with_a_trailing_separator_the_header_lacks(engine, tmp_path):
    folder = tmp_path / "trail"
    folder.mkdir()
    lines = [JEUNES_HEADER, *(row + ";" for row in clean_young(3))]
    (folder / "jeunes.csv").write_text("\r\n".join(lines) + "\r\n")
    outcome = do_import(engine, folder)
    assert outcome.counts["jeunes"] == 3
    assert findings(engine) == set()
    assert any("un champ de plus que l'en-tête" in n for n in outcome.notices)


def test_huge_ids_in_paths_are_not_found(client, two_mls):
    login(client, two_mls["emails"]["animateur"])
    huge = "9" * 30
    for path in (f"/qualite/ml/{huge}", f"/qualite/ml/{huge}/constats.csv",
                 f"/qualite/imports/{huge}", "/qualite/ml/2147483648"):
        assert client.get(path).status_code == 404, path
    for path in (f"/qualite/constats/{huge}/marquer", f"/qualite/marques/{huge}/retirer"):
        response = client.post(path, data={"kind": "acquitte", "comment": "vu !"})
        assert response.status_code in (302, 404), path
