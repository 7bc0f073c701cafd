"""The import pipeline on both backends: what it accepts, what it refuses, atomicity."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import zipfile
from datetime import date, timedelta

import pytest
from sqlalchemy import func, inspect, select, text
from sqlalchemy.orm import Session

from models.parcours import lifecycle, pipeline
from models.parcours.orm import (
    ParcoursExtract,
    ParcoursImport,
    PqDispositif,
    PqEvenement,
    PqJeune,
    QualityFinding,
)
from models.parcours.pseudonym import MissingPseudonymKey, pseudonym_key
from tests.parcours_helpers import (
    DISPOSITIFS_HEADER,
    JEUNES_HEADER,
    KEY,
    PERIOD,
    clean_young,
    do_import,
    jeune,
    refused,
    write_extract,
    zip_folder,
)
from webapp.extensions import db


@pytest.fixture
def engine(app, world):
    with app.app_context():
        yield db.engine


def count(engine, model, **where) -> int:
    with Session(engine) as session:
        stmt = select(func.count()).select_from(model)
        for name, value in where.items():
            stmt = stmt.where(getattr(model, name) == value)
        return session.scalar(stmt)


def current(engine) -> list[ParcoursExtract]:
    with Session(engine) as session:
        rows = session.scalars(select(ParcoursExtract).where(
            ParcoursExtract.status == "current")).all()
        session.expunge_all()
        return list(rows)


def assert_nothing_written(engine, record: ParcoursImport) -> None:
    assert record.status == "refuse"
    assert count(engine, ParcoursExtract, import_id=record.id) == 0
    assert count(engine, PqJeune) == 0
    assert count(engine, QualityFinding) == 0


# --- accepted inputs ---------------------------------------------------------------------
def test_clean_extract_imports_with_counts_checksums_and_no_finding(engine, tmp_path):
    folder = write_extract(tmp_path / "x", jeunes=clean_young(5),
                           evenements=["33005;1;05/09/2026;ENTRETIEN;EMPLOI"])
    outcome = do_import(engine, folder)
    assert outcome.counts == {"jeunes": 5, "evenements": 1, "situations": 0, "dispositifs": 0}
    assert outcome.findings == 0
    [extract] = current(engine)
    assert (extract.jeunes, extract.score, extract.jeunes_in_error) == (5, 1, 0)
    with Session(engine) as session:
        record = session.get(ParcoursImport, outcome.import_id)
        assert record.status == "termine" and record.progress == 100
        assert set(record.checksums) == {"jeunes.csv", "evenements.csv"}
        assert all(len(v) == 64 for v in record.checksums.values())
        assert record.charter_version.number == 1
        assert record.duration_ms is not None and record.finished_at is not None


def test_windows_1252_and_utf8_give_the_same_rows_and_pseudonyms(engine, tmp_path):
    rows = [jeune(id_jeune="1", nom="Hélène", prenom="Zoé"),
            jeune(id_jeune="2", nom="Çelik", prenom="Anaïs")]
    latin = write_extract(tmp_path / "cp1252", jeunes=rows, encoding="cp1252")
    assert "é".encode("cp1252") in (latin / "jeunes.csv").read_bytes()
    do_import(engine, latin)
    with Session(engine) as session:
        first = sorted(session.scalars(select(PqJeune.pseudo)))
    utf8 = write_extract(tmp_path / "utf8", jeunes=rows)
    do_import(engine, utf8)  # same ML, same period: replaces the first
    with Session(engine) as session:
        second = sorted(session.scalars(select(PqJeune.pseudo)))
    assert first == second and len(first) == 2


def test_utf8_bom_header_is_recognised(engine, tmp_path):
    folder = write_extract(tmp_path / "bom", jeunes=clean_young(2), encoding="utf-8-sig")
    assert (folder / "jeunes.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    assert do_import(engine, folder).counts["jeunes"] == 2


@pytest.mark.parametrize("sep", [",", "\t"])
def test_comma_and_tab_separators_are_sniffed(engine, tmp_path, sep):
    rows = [r.replace(";", sep) for r in clean_young(3)]
    folder = write_extract(tmp_path / "sep", jeunes=rows,
                           headers={"jeunes": JEUNES_HEADER.replace(";", sep)})
    outcome = do_import(engine, folder)
    assert outcome.counts["jeunes"] == 3 and outcome.findings == 0


def test_headers_are_case_accent_and_space_insensitive_and_extras_ignored(engine, tmp_path):
    header = JEUNES_HEADER.replace("prenom", " Prénom ").replace("code_ml", "CODE_ML") \
        + ";commentaire interne"
    rows = [r + ";à ignorer" for r in clean_young(2)]
    folder = write_extract(tmp_path / "h", jeunes=rows, headers={"jeunes": header})
    outcome = do_import(engine, folder)
    assert outcome.counts["jeunes"] == 2
    assert any("commentaire interne" in n and "ignorée" in n for n in outcome.notices)


def test_quoted_fields_with_separators_and_newlines(engine, tmp_path):
    folder = write_extract(
        tmp_path / "q", jeunes=clean_young(1),
        dispositifs=['33005;1;PACEA;01/02/2026;15/03/2026;"fin; anticipée\nsur demande"'],
        evenements=["33005;1;05/09/2026;ENTRETIEN;EMPLOI"])
    outcome = do_import(engine, folder)
    assert outcome.counts["dispositifs"] == 1
    with Session(engine) as session:
        assert session.scalar(select(PqDispositif.motif_sortie)) == \
            "fin; anticipée\nsur demande"


def test_excel_serial_dates_are_converted_with_a_notice(engine, tmp_path):
    folder = write_extract(tmp_path / "xl", jeunes=[jeune(accueil="44927")])
    outcome = do_import(engine, folder, period=(date(2023, 1, 1), date(2023, 12, 31)))
    with Session(engine) as session:
        assert session.scalar(select(PqJeune.date_premier_accueil)) == date(2023, 1, 1)
    assert any("44927" in n for n in outcome.notices)


def test_dates_with_a_midnight_time_are_read(engine, tmp_path):
    folder = write_extract(tmp_path / "t", jeunes=[jeune(naissance="03/04/2005 00:00:00",
                                                        accueil="2026-02-01 00:00")])
    outcome = do_import(engine, folder)
    assert outcome.findings == 0
    with Session(engine) as session:
        stored = session.scalar(select(PqJeune))
        assert (stored.birth_year, stored.date_premier_accueil) == (2005, date(2026, 2, 1))


def test_trailing_empty_lines_are_ignored(engine, tmp_path):
    folder = write_extract(tmp_path / "t", jeunes=[*clean_young(2), "", ";;;;;;;;;;;;;;;", ""])
    outcome = do_import(engine, folder)
    assert outcome.counts["jeunes"] == 2 and outcome.findings == 0


def test_small_chunks_give_the_same_result_as_one_chunk(engine, tmp_path):
    """The importer streams: chunk boundaries change nothing (orphans, duplicates, counts)."""
    young = clean_young(30)
    young.append(jeune(id_jeune="31", nom="NomB1", prenom="Prenom1"))  # Q09 with young 1
    events = [f"33005;{i};05/09/2026;ENTRETIEN;EMPLOI" for i in range(1, 40)]
    folder = write_extract(tmp_path / "c", jeunes=young, evenements=events)
    big = do_import(engine, folder)
    with Session(engine) as session:
        big_findings = sorted(session.execute(select(
            QualityFinding.rule_code, QualityFinding.record_key)).all())
    small = do_import(engine, folder, chunk_rows=7)
    with Session(engine) as session:
        small_findings = sorted(session.execute(select(
            QualityFinding.rule_code, QualityFinding.record_key)).all())
    assert big.counts == small.counts
    assert big_findings == small_findings
    assert ("Q16", "O:evenements:35") in small_findings
    assert [r for r in small_findings if r[0] == "Q09"] == [("Q09", "J:1"), ("Q09", "J:31")]


def test_zip_and_folder_give_the_same_import(engine, tmp_path):
    folder = write_extract(tmp_path / "z", jeunes=clean_young(4))
    archive = zip_folder(folder, tmp_path / "extrait_20260101_20260930.zip")
    assert do_import(engine, archive).counts["jeunes"] == 4


# --- refused inputs: precise French message, nothing written -----------------------------
def test_missing_mandatory_column_is_refused(engine, tmp_path):
    header = JEUNES_HEADER.replace(";sexe", "")
    rows = [r.replace(";F;", ";") for r in clean_young(2)]
    folder = write_extract(tmp_path / "m", jeunes=rows, headers={"jeunes": header})
    messages, record = refused(engine, folder)
    assert messages == ["jeunes.csv, ligne 1 : colonne obligatoire manquante : sexe. "
                        "Ajoutez cette colonne à l'export, avec ce nom."]
    assert record.message == messages[0]
    assert_nothing_written(engine, record)


def test_unknown_code_ml_is_refused_with_its_line(engine, tmp_path):
    rows = [*clean_young(3), jeune("99999", "9", nom="Autre", prenom="Personne")]
    messages, record = refused(engine, write_extract(tmp_path / "u", jeunes=rows))
    assert len(messages) == 1
    assert messages[0].startswith("jeunes.csv, ligne 5 : code_ml « 99999 » inconnu.")
    assert_nothing_written(engine, record)


def test_unknown_code_ml_late_in_a_later_file_discards_staged_rows(engine, tmp_path):
    events = [f"33005;{i};05/09/2026;ENTRETIEN;EMPLOI" for i in range(1, 20)]
    events.append("12345;1;05/09/2026;ENTRETIEN;EMPLOI")
    folder = write_extract(tmp_path / "late", jeunes=clean_young(19), evenements=events)
    messages, record = refused(engine, folder)
    assert "evenements.csv, ligne 21" in messages[0]
    assert_nothing_written(engine, record)
    assert count(engine, PqEvenement) == 0


def test_zip_without_jeunes_is_refused(engine, tmp_path):
    folder = write_extract(tmp_path / "nz", evenements=["33005;1;05/09/2026;ENTRETIEN;EMPLOI"])
    archive = zip_folder(folder, tmp_path / "sans_jeunes.zip")
    messages, record = refused(engine, archive)
    assert "ne contient pas jeunes.csv" in messages[0] and "sans_jeunes.zip" in messages[0]
    assert_nothing_written(engine, record)


def test_not_a_zip_is_refused(engine, tmp_path):
    fake = tmp_path / "extrait.zip"
    fake.write_bytes(b"PK\x03\x04 this is not really a zip")
    messages, record = refused(engine, fake)
    assert "n'est pas une archive ZIP lisible" in messages[0]
    assert_nothing_written(engine, record)


def test_empty_file_is_refused(engine, tmp_path):
    folder = tmp_path / "e"
    folder.mkdir()
    (folder / "jeunes.csv").write_bytes(b"")
    messages, record = refused(engine, folder)
    assert messages == ["jeunes.csv : le fichier est vide. Il doit contenir au moins la ligne "
                        "d'en-tête."]
    assert_nothing_written(engine, record)


def test_header_only_is_refused_as_empty_extract(engine, tmp_path):
    messages, record = refused(engine, write_extract(tmp_path / "h", jeunes=[]))
    assert "aucune ligne de données" in messages[0]
    assert_nothing_written(engine, record)


def test_binary_file_renamed_csv_is_refused(engine, tmp_path):
    folder = tmp_path / "b"
    folder.mkdir()
    (folder / "jeunes.csv").write_bytes(bytes(range(256)) * 40)
    messages, record = refused(engine, folder)
    assert "contenu binaire" in messages[0] and messages[0].startswith("jeunes.csv")
    assert_nothing_written(engine, record)


def test_duplicated_header_is_refused(engine, tmp_path):
    header = JEUNES_HEADER + ";sexe"
    rows = [r + ";F" for r in clean_young(2)]
    messages, record = refused(engine, write_extract(tmp_path / "d", jeunes=rows,
                                                     headers={"jeunes": header}))
    assert messages == ["jeunes.csv, ligne 1 : la colonne « sexe » figure deux fois dans "
                        "l'en-tête. Supprimez la colonne en double."]
    assert_nothing_written(engine, record)


def test_row_with_too_many_fields_is_refused_with_its_line(engine, tmp_path):
    rows = clean_young(3)
    rows[1] += ";en trop"
    messages, record = refused(engine, write_extract(tmp_path / "r", jeunes=rows))
    assert messages[0].startswith("jeunes.csv, ligne 3 : 17 colonnes au lieu de 16.")
    assert_nothing_written(engine, record)


def test_unreadable_encoding_is_refused(engine, tmp_path):
    folder = write_extract(tmp_path / "enc", jeunes=clean_young(1))
    (folder / "jeunes.csv").write_bytes((folder / "jeunes.csv").read_bytes() + b"\x81\x8d\n")
    messages, record = refused(engine, folder)
    assert "encodage illisible" in messages[0]
    assert_nothing_written(engine, record)


def test_all_structural_problems_are_reported_together(engine, tmp_path):
    folder = write_extract(tmp_path / "all", jeunes=clean_young(1),
                           headers={"jeunes": JEUNES_HEADER.replace(";sexe", ";genre")},
                           dispositifs=["x"],
                           )
    (folder / "dispositifs.csv").write_text(DISPOSITIFS_HEADER.replace("dispositif;", "") + "\n")
    messages, _ = refused(engine, folder)
    assert [m.split(" :")[0] for m in messages] == ["jeunes.csv, ligne 1",
                                                    "dispositifs.csv, ligne 1"]


# --- replacement and atomicity -------------------------------------------------------------
def test_reimport_replaces_the_same_ml_and_period_without_duplicates(engine, tmp_path):
    first = do_import(engine, write_extract(tmp_path / "1", jeunes=clean_young(4)))
    second = do_import(engine, write_extract(tmp_path / "2", jeunes=clean_young(6)))
    [extract] = current(engine)
    assert extract.id == second.extracts["33005"] and extract.jeunes == 6
    assert count(engine, PqJeune) == 6
    with Session(engine) as session:
        old = session.get(ParcoursExtract, first.extracts["33005"])
        assert old.status == "replaced" and old.jeunes == 4  # aggregates kept for the trend


def test_another_period_does_not_replace(engine, tmp_path):
    do_import(engine, write_extract(tmp_path / "1", jeunes=clean_young(4)))
    do_import(engine, write_extract(tmp_path / "2", jeunes=clean_young(2)),
              period=(date(2025, 1, 1), date(2025, 12, 31)))
    assert sorted(e.jeunes for e in current(engine)) == [2, 4]


def test_failure_midway_keeps_the_previous_data(engine, tmp_path, monkeypatch):
    do_import(engine, write_extract(tmp_path / "1", jeunes=clean_young(4)))
    [before] = current(engine)
    calls = {"n": 0}
    original = pipeline.bulk_insert

    def flaky(conn, table, frame):
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("disk full")
        original(conn, table, frame)

    monkeypatch.setattr(pipeline, "bulk_insert", flaky)
    folder = write_extract(tmp_path / "2", jeunes=clean_young(6),
                           evenements=["33005;1;05/09/2026;ENTRETIEN;EMPLOI"])
    with pytest.raises(RuntimeError):
        do_import(engine, folder, chunk_rows=2)
    [after] = current(engine)
    assert after.id == before.id and count(engine, PqJeune) == 4
    with Session(engine) as session:
        failed = session.scalars(select(ParcoursImport).order_by(ParcoursImport.id.desc())).first()
        assert failed.status == "echec" and "intactes" in failed.message
    assert count(engine, ParcoursExtract, status="staged") == 0


def test_import_killed_before_the_switch_leaves_previous_data(engine, tmp_path, app):
    """A real process killed (os._exit) after writing its rows but before the switch-over."""
    do_import(engine, write_extract(tmp_path / "1", jeunes=clean_young(4)))
    folder = write_extract(tmp_path / "2", jeunes=clean_young(6))
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    script = textwrap.dedent(f"""
        import os
        from datetime import date, timedelta
        from pathlib import Path
        from sqlalchemy.orm import Session
        import models
        from models.database import make_engine
        from models.parcours import pipeline
        from models.parcours.orm import ParcoursImport
        engine = make_engine({url!r})
        with Session(engine) as s:
            r = ParcoursImport(source_name="kill", period_start=date(2026, 1, 1),
                               period_end=date(2026, 9, 30))
            s.add(r); s.commit(); iid = r.id
        pipeline._activate = lambda *a, **k: os._exit(9)
        pipeline.run_import(engine, iid, Path({str(folder)!r}), today=date(2026, 11, 23),
                            key={KEY!r})
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            env={**os.environ}, timeout=120)
    assert result.returncode == 9, result.stderr
    assert count(engine, ParcoursExtract, status="staged") == 1  # rows written, not live
    [live] = current(engine)
    assert live.jeunes == 4
    # what the worker's sweep does once the import has been quiet long enough
    requeue = lifecycle.cleanup_stale(engine, quiet_for=timedelta(0))
    assert len(requeue) == 1
    assert count(engine, ParcoursExtract, status="staged") == 0
    assert count(engine, PqJeune) == 4


# --- pseudonymisation ----------------------------------------------------------------------
def test_no_name_or_birth_day_is_stored(engine, tmp_path):
    rows = [jeune(id_jeune="1", nom="Zanzibar", prenom="Oscarine", naissance="17/05/2004")]
    do_import(engine, write_extract(tmp_path / "p", jeunes=rows))
    columns = {c["name"] for c in inspect(engine).get_columns("pq_jeune")}
    assert not columns & {"nom", "prenom", "date_naissance"}
    with engine.connect() as conn:
        dumped = " ".join(str(v) for row in conn.execute(text("SELECT * FROM pq_jeune"))
                          for v in row)
        dumped += " ".join(str(v) for row in conn.execute(text("SELECT * FROM quality_finding"))
                           for v in row)
    assert "Zanzibar" not in dumped.upper().title() and "ZANZIBAR" not in dumped.upper()
    assert "OSCARINE" not in dumped.upper() and "17/05/2004" not in dumped
    assert "2004-05-17" not in dumped
    with Session(engine) as session:
        stored = session.scalar(select(PqJeune))
        assert (stored.birth_year, stored.birth_month) == (2004, 5)
        assert len(stored.pseudo) == 32


def test_pseudonym_key_is_required_in_production(monkeypatch):
    monkeypatch.setenv("ANIMARESEAU_ENV", "production")
    monkeypatch.delenv("PARCOURS_PSEUDO_KEY", raising=False)
    with pytest.raises(MissingPseudonymKey, match="PARCOURS_PSEUDO_KEY est obligatoire"):
        pseudonym_key()
    monkeypatch.setenv("PARCOURS_PSEUDO_KEY", "une-cle-longue")
    assert pseudonym_key() == b"une-cle-longue"


def test_the_key_changes_the_pseudonym_and_a_second_key_is_refused(engine, tmp_path):
    from models.operations.keycheck import WrongPseudonymKey
    from models.operations.orm import AppState
    from models.parcours.pipeline import run_import
    from tests.parcours_helpers import TODAY, queue

    folder = write_extract(tmp_path / "k", jeunes=clean_young(1))
    run_import(engine, queue(engine), folder, today=TODAY, key=b"cle-1")
    with Session(engine) as session:
        one = session.scalar(select(PqJeune.pseudo))
    # the database remembers the key it was made with: another one is refused, nothing changes
    with pytest.raises(WrongPseudonymKey, match="PARCOURS_PSEUDO_KEY"):
        run_import(engine, queue(engine), folder, today=TODAY, key=b"cle-2")
    with Session(engine) as session:
        assert session.scalars(select(PqJeune.pseudo)).all() == [one]
    # a fresh installation (no check value yet) with the other key: other pseudonyms
    with engine.begin() as conn:
        conn.execute(AppState.__table__.delete())
    run_import(engine, queue(engine), folder, today=TODAY, key=b"cle-2")
    with Session(engine) as session:
        two = session.scalar(select(PqJeune.pseudo))
    assert one != two


def test_zip_member_in_a_subfolder_is_found(engine, tmp_path):
    folder = write_extract(tmp_path / "s", jeunes=clean_young(2))
    archive = tmp_path / "nested.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.write(folder / "jeunes.csv", "export/jeunes.csv")
    assert do_import(engine, archive).counts["jeunes"] == 2
    assert PERIOD[0] == date(2026, 1, 1)
