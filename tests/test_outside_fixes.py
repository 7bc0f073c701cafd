"""Defects found by the outside security probe, each pinned by a test that failed before."""

from __future__ import annotations

import base64
import os
import time
import zipfile

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.parcours import pipeline, reading
from models.parcours.orm import ParcoursExtract, PqJeune, QualityFinding
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
