"""Backup, verify and restore on both databases: the demo backed up, changed, restored into a
fresh instance whose content equals the manifest and which serves and signs in; every
refusal (tampered or truncated file, wrong key, newer schema, non-empty target, bad folder)
is a French message that leaves nothing behind."""

from __future__ import annotations

import errno
import json
import os
import sqlite3
import threading
from datetime import datetime
from itertools import count

import pytest
from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    Time,
    create_engine,
    delete,
    func,
    select,
    update,
)

from models.accounts.orm import User
from models.operations import backup as bk
from models.operations import digest as digests
from models.operations.keycheck import (
    KCV_NAME,
    WrongPseudonymKey,
    check_value,
    ensure_key_matches,
    stored_check_value,
)
from models.operations.orm import AppState
from models.parcours.pseudonym import pseudonym_key
from seeds.demo import DEMO_ACCOUNTS, DEMO_PASSWORD
from tests.conftest import _pg_admin, make_app
from webapp.extensions import db

_TARGETS = count(1)


def _backend(url: str) -> str:
    return "sqlite" if url.startswith("sqlite") else "postgresql"


@pytest.fixture
def fresh_url(request, demo_app, tmp_path):
    """A new, empty database of the demo's backend (a fresh instance: no schema at all)."""
    url = demo_app.config["SQLALCHEMY_DATABASE_URI"]
    if _backend(url) == "sqlite":
        yield f"sqlite:///{tmp_path / 'restored.db'}"
        return
    cluster = request.getfixturevalue("pg_cluster")
    name = f"animareseau_restore_{next(_TARGETS)}"
    with _pg_admin(cluster) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    yield cluster.url(name)
    with _pg_admin(cluster) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(scope="module")
def demo_backup(demo_app, tmp_path_factory):
    """One backup of the module's demo copy (the tests below never write to that copy
    before it is taken)."""
    url = demo_app.config["SQLALCHEMY_DATABASE_URI"]
    with demo_app.app_context():
        db.session.remove()
    return bk.create_backup(url, tmp_path_factory.mktemp("sauvegardes"))


def _digests(url: str) -> dict[str, digests.TableDigest]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return digests.database_digests(conn)
    finally:
        engine.dispose()


def test_backup_change_restore_into_a_fresh_instance(demo_app, demo_backup, fresh_url):
    source_url = demo_app.config["SQLALCHEMY_DATABASE_URI"]
    manifest = demo_backup.manifest
    assert demo_backup.path.exists() and bk.manifest_path(demo_backup.path).exists()
    assert manifest.revision == bk.known_revisions()[1]
    assert manifest.tables[User.__tablename__]["rows"] == len(DEMO_ACCOUNTS)
    assert manifest.total_rows > 10_000  # the whole demo, not an empty shell
    assert not list(demo_backup.path.parent.glob("*.partial"))

    # the source changes after the backup: the restore brings back the backed-up state
    with demo_app.app_context():
        db.session.execute(update(User).values(full_name="Changé après la sauvegarde"))
        db.session.commit()
        db.session.remove()
    assert _digests(source_url)[User.__tablename__].digest != \
        manifest.tables[User.__tablename__]["digest"]

    report = bk.restore_backup(demo_backup.path, fresh_url, key=pseudonym_key())
    assert not report.needs_upgrade
    restored = _digests(fresh_url)
    assert {n: d.as_dict() for n, d in restored.items()} == manifest.tables

    restored_app = make_app(fresh_url)
    client = restored_app.test_client()
    assert client.get("/healthz").status_code == 200
    emails = _demo_emails()
    for email in emails:
        answer = client.post("/connexion", data={"email": email, "password": DEMO_PASSWORD})
        assert answer.status_code == 302, email
        assert client.get("/").status_code == 200
        client.post("/deconnexion")
    with restored_app.app_context():
        names = set(db.session.scalars(select(User.full_name)))
        assert "Changé après la sauvegarde" not in names
        db.session.remove()
        db.engine.dispose()


def _demo_emails() -> list[str]:
    return [email for email, *_ in DEMO_ACCOUNTS]


def test_verify_refuses_a_truncated_or_altered_file(demo_backup, tmp_path):
    assert bk.verify_backup(demo_backup.path).checks
    data = demo_backup.path.read_bytes()
    truncated = tmp_path / demo_backup.path.name
    truncated.write_bytes(data[: len(data) // 2])
    bk.manifest_path(truncated).write_text(bk.manifest_path(demo_backup.path).read_text())
    with pytest.raises(bk.BackupError, match="tronquée"):
        bk.verify_backup(truncated)

    altered = bytearray(data)
    altered[len(data) // 3] ^= 0xFF
    truncated.write_bytes(bytes(altered))
    with pytest.raises(bk.BackupError, match="empreinte SHA-256"):
        bk.verify_backup(truncated)

    bk.manifest_path(truncated).unlink()
    truncated.write_bytes(data)
    with pytest.raises(bk.BackupError, match="Manifeste introuvable"):
        bk.verify_backup(truncated)


def test_a_manifest_whose_table_digest_was_edited_is_refused(demo_backup, tmp_path):
    """The file hash matches but a table's digest does not: the content check catches it
    (SQLite recomputes every table; PostgreSQL's restore does)."""
    copy = tmp_path / demo_backup.path.name
    copy.write_bytes(demo_backup.path.read_bytes())
    manifest = json.loads(bk.manifest_path(demo_backup.path).read_text())
    manifest["tables"][User.__tablename__]["rows"] += 1
    bk.manifest_path(copy).write_text(json.dumps(manifest))
    if manifest["backend"] == "sqlite":
        with pytest.raises(bk.BackupError, match="Contenu différent du manifeste"):
            bk.verify_backup(copy)
    else:
        assert bk.verify_backup(copy).checks  # file intact: the restore compares the rows


def test_restore_refuses_a_newer_schema_a_wrong_key_and_a_filled_target(
        demo_app, demo_backup, tmp_path, fresh_url):
    source_url = demo_app.config["SQLALCHEMY_DATABASE_URI"]
    with pytest.raises(bk.BackupError, match="n'est pas vide") as refused:
        bk.restore_backup(demo_backup.path, source_url, key=pseudonym_key())
    assert "--force" in str(refused.value)

    with pytest.raises(bk.BackupError, match="PARCOURS_PSEUDO_KEY"):
        bk.restore_backup(demo_backup.path, fresh_url, key=b"une autre cle")

    future = tmp_path / demo_backup.path.name
    future.write_bytes(demo_backup.path.read_bytes())
    manifest = json.loads(bk.manifest_path(demo_backup.path).read_text())
    manifest["revision"] = "0999_une_version_future"
    bk.manifest_path(future).write_text(json.dumps(manifest))
    with pytest.raises(bk.BackupError, match="version plus récente"):
        bk.restore_backup(future, fresh_url, key=pseudonym_key())
    assert bk.backend_of(fresh_url) and _digests(fresh_url) == {}  # nothing written


def test_the_cli_contract(demo_app, tmp_path, fresh_url, monkeypatch):
    runner = demo_app.test_cli_runner()
    folder = tmp_path / "dossier"
    created = runner.invoke(args=["backup", "create", "--to", str(folder)])
    assert created.exit_code == 0, created.output
    files = sorted(folder.glob("animareseau-*"))
    assert len(files) == 2 and files[1].name == files[0].name + ".manifest.json"
    assert "Sauvegarde écrite" in created.output

    verified = runner.invoke(args=["backup", "verify", str(files[0])])
    assert verified.exit_code == 0 and "Sauvegarde conforme" in verified.output

    missing = runner.invoke(args=["backup", "verify", str(tmp_path / "absent.sqlite3")])
    assert missing.exit_code == 1 and "introuvable" in missing.output

    # the target is the application's own database: it holds the demo
    refused = runner.invoke(args=["backup", "restore", str(files[0])])
    assert refused.exit_code == 1 and "n'est pas vide" in refused.output

    monkeypatch.setenv("PARCOURS_PSEUDO_KEY", "pas-la-bonne-cle")
    wrong_key = runner.invoke(args=["backup", "restore", str(files[0]), "--force"])
    assert wrong_key.exit_code == 1 and "PARCOURS_PSEUDO_KEY" in wrong_key.output
    monkeypatch.delenv("PARCOURS_PSEUDO_KEY")

    restored_app = make_app(fresh_url)
    restore = restored_app.test_cli_runner().invoke(args=["backup", "restore", str(files[0])])
    assert restore.exit_code == 0, restore.output
    assert "Restauration terminée" in restore.output
    with restored_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == len(DEMO_ACCOUNTS)
        db.session.remove()
        db.engine.dispose()

    # --force replaces a filled database (the restored one, changed since)
    with restored_app.app_context():
        db.session.execute(delete(AppState).where(AppState.name != KCV_NAME))
        db.session.execute(update(User).values(full_name="Modifié"))
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    forced = restored_app.test_cli_runner().invoke(
        args=["backup", "restore", str(files[0]), "--force"])
    assert forced.exit_code == 0, forced.output
    with restored_app.app_context():
        assert "Modifié" not in set(db.session.scalars(select(User.full_name)))
        db.session.remove()
        db.engine.dispose()


def test_a_bad_target_folder_leaves_nothing_behind(demo_app, tmp_path, monkeypatch):
    url = demo_app.config["SQLALCHEMY_DATABASE_URI"]
    a_file = tmp_path / "un-fichier"
    a_file.write_text("x")
    with pytest.raises(bk.BackupError, match="n'est pas un dossier"):
        bk.create_backup(url, a_file)

    monkeypatch.setattr(bk.os, "access", lambda path, mode: False)
    with pytest.raises(bk.BackupError, match="pas accessible en écriture"):
        bk.create_backup(url, tmp_path / "lecture-seule")
    monkeypatch.undo()

    def full(path):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(bk, "_fsync", full)
    folder = tmp_path / "plein"
    with pytest.raises(bk.BackupError, match="disque plein") as refused:
        bk.create_backup(url, folder)
    assert "Aucun fichier partiel" in str(refused.value)
    assert list(folder.iterdir()) == []


def test_rotation_keeps_the_newest_of_each_recent_day_and_month(tmp_path):
    stamps = ["20260105-020000", "20260110-020000", "20260203-020000", "20260228-020000",
              "20260301-020000", "20260302-020000", "20260302-120000", "20260303-020000",
              "20260304-020000"]
    for stamp in stamps:
        path = tmp_path / f"animareseau-{stamp}.sqlite3"
        path.write_text("x")
        bk.manifest_path(path).write_text("{}")
    (tmp_path / "animareseau-20260101-020000.sqlite3").write_text("sans manifeste")
    removed = bk.rotate(tmp_path, keep_daily=3, keep_monthly=2)
    kept = sorted(p.name for p in tmp_path.glob("animareseau-*.sqlite3")
                  if bk.manifest_path(p).exists())
    # the last 3 days (3 March: the noon one of the 2nd) and the newest of Feb and March
    assert kept == ["animareseau-20260228-020000.sqlite3", "animareseau-20260302-120000.sqlite3",
                    "animareseau-20260303-020000.sqlite3", "animareseau-20260304-020000.sqlite3"]
    assert len(removed) == 5
    assert (tmp_path / "animareseau-20260101-020000.sqlite3").exists()  # not a backup of ours
    for path in removed:
        assert not bk.manifest_path(path).exists()


def test_the_digest_is_the_same_on_both_backends(request, tmp_path):
    """Booleans, decimals, datetimes, JSON and times normalised: one digest. (The
    application stores UTC date-times — ``clock.now()`` —, as the rows below do.)"""
    metadata = MetaData()
    table = Table("digest_probe", metadata, Column("id", Integer, primary_key=True),
                  Column("label", String(40)), Column("flag", Boolean),
                  Column("amount", Numeric(12, 2)), Column("at", DateTime(timezone=True)),
                  Column("day", Date), Column("hour", Time), Column("data", JSON))
    from datetime import UTC, date, time
    from decimal import Decimal

    rows = [
        {"id": 2, "label": "élève « Zoé »", "flag": True, "amount": Decimal("49100000.00"),
         "at": datetime(2026, 3, 1, 9, 0, 0, 120, tzinfo=UTC), "day": date(2026, 3, 1),
         "hour": time(9, 30), "data": {"b": [1, 2], "a": "é"}},
        {"id": 1, "label": None, "flag": False, "amount": Decimal("0.10"), "at": None,
         "day": None, "hour": None, "data": None},
    ]
    results = {}
    for backend in ("sqlite", "postgresql"):
        if backend == "sqlite":
            url = f"sqlite:///{tmp_path / 'probe.db'}"
        else:
            cluster = request.getfixturevalue("pg_cluster")
            name = f"animareseau_probe_{next(_TARGETS)}"
            with _pg_admin(cluster) as conn:
                conn.execute(f"CREATE DATABASE {name}")
            url = cluster.url(name)
        engine = create_engine(url)
        metadata.create_all(engine)
        with engine.begin() as conn:
            conn.execute(table.insert(), rows)
        with engine.connect() as conn:
            results[backend] = digests.table_digest(conn, table)
        engine.dispose()
    assert results["sqlite"] == results["postgresql"]
    assert results["sqlite"].rows == 2


def test_a_backup_taken_while_the_application_writes_is_consistent(demo_app, tmp_path):
    """SQLite: a writer moves units between two rows in one transaction, continuously,
    while backups are taken; every copy holds the invariant total."""
    url = demo_app.config["SQLALCHEMY_DATABASE_URI"]
    if _backend(url) != "sqlite":
        pytest.skip("PostgreSQL: pg_dump runs in an exported snapshot (same instant)")
    path = url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as conn:
        conn.execute("INSERT INTO app_state (name, value, updated_at) VALUES "
                     "('probe_a', '500', '2026-01-01'), ('probe_b', '500', '2026-01-01')")
    stop = threading.Event()
    moves = count()

    def writer():
        conn = sqlite3.connect(path, timeout=30, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        while not stop.is_set():
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("UPDATE app_state SET value = CAST(value AS INTEGER) - 1 "
                         "WHERE name = 'probe_a'")
            conn.execute("UPDATE app_state SET value = CAST(value AS INTEGER) + 1 "
                         "WHERE name = 'probe_b'")
            conn.execute("COMMIT")
            next(moves)
        conn.close()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        results = [bk.create_backup(url, tmp_path / f"b{i}") for i in range(2)]
    finally:
        stop.set()
        thread.join()
    assert next(moves) > 1
    for result in results:
        with sqlite3.connect(result.path) as copy:
            values = dict(copy.execute("SELECT name, CAST(value AS INTEGER) FROM app_state "
                                       "WHERE name LIKE 'probe_%'").fetchall())
            seats = copy.execute(
                "SELECT COUNT(*) FROM training_session s WHERE s.max_capacity < (SELECT COUNT(*) "
                "FROM registration r WHERE r.session_id = s.id AND r.status = 'confirmee')"
            ).fetchone()[0]
        assert values["probe_a"] + values["probe_b"] == 1000
        assert seats == 0
        assert bk.verify_backup(result.path).checks
    with sqlite3.connect(path) as conn:
        conn.execute("DELETE FROM app_state WHERE name LIKE 'probe_%'")


def test_the_key_check_value_refuses_another_key(demo_app):
    """The demo's imports recorded the key; an import with another key is refused."""
    engine = create_engine(demo_app.config["SQLALCHEMY_DATABASE_URI"])
    try:
        with engine.connect() as conn:
            assert stored_check_value(conn) == check_value(pseudonym_key())
        ensure_key_matches(engine, pseudonym_key())  # the same key: accepted
        with pytest.raises(WrongPseudonymKey, match="valeur de contrôle attendue"):
            ensure_key_matches(engine, b"une-autre-cle")
    finally:
        engine.dispose()
    assert os.environ.get("PARCOURS_PSEUDO_KEY") is None
