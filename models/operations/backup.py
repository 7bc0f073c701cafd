"""Backups that can be trusted: a consistent snapshot, a manifest, and a checked restore.

- SQLite: the one-step backup API (one read transaction: a consistent copy while the
  application writes — a paged backup restarts whenever a writer commits), then
  ``integrity_check`` and ``foreign_key_check`` on the copy, then an atomic rename.
- PostgreSQL: ``pg_dump -Fc`` inside an exported snapshot, so the manifest's digests and the
  dump describe the same instant; ``pg_restore --single-transaction --exit-on-error``.
- Beside each backup, a manifest (JSON): alembic revision, file size and SHA-256, row count
  and canonical digest per table (``models.operations.digest``), the pseudonymisation key's
  check value. ``verify`` and ``restore`` refuse a file that does not match it.

Left out by design: pending uploads and the job queue (re-sent or re-run, never restored
half-done), and the keys — ``SECRET_KEY`` and ``PARCOURS_PSEUDO_KEY`` are kept apart: with
the key and the data, anyone can recompute the pseudonym of a name and birth date they
know (a dictionary attack). Only the key's check value travels with the data.
"""

from __future__ import annotations

import contextlib
import errno
import glob
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, inspect, literal, make_url, select, table, text
from sqlalchemy.engine import URL

from models import clock
from models.errors import DomainError
from models.operations import digest as digests
from models.operations.keycheck import KCV_NAME, check_value, mismatch_message
from models.settings import PROJECT_ROOT, instance_path, positive_int_env

MANIFEST_SUFFIX = ".manifest.json"
FORMAT = 1
PREFIX = "animareseau-"
SUFFIXES = {"sqlite": ".sqlite3", "postgresql": ".pgdump"}


class BackupError(DomainError):
    """A backup, verification or restore refused: French message, nothing half-written."""


# ---------------------------------------------------------------- settings
@dataclass(frozen=True)
class BackupSettings:
    folder: Path
    keep_daily: int = 7
    keep_monthly: int = 12

    @classmethod
    def from_env(cls) -> BackupSettings:
        """``BACKUP_DIR`` (instance/backups), ``BACKUP_KEEP_DAILY`` (7),
        ``BACKUP_KEEP_MONTHLY`` (12)."""
        raw = os.environ.get("BACKUP_DIR", "").strip()
        folder = Path(raw) if raw else instance_path() / "backups"
        return cls(folder=folder.resolve(),
                   keep_daily=positive_int_env("BACKUP_KEEP_DAILY", 7),
                   keep_monthly=positive_int_env("BACKUP_KEEP_MONTHLY", 12))


# ---------------------------------------------------------------- manifest
@dataclass
class Manifest:
    backend: str
    revision: str | None
    created_at: str
    file_name: str
    file_size: int
    file_sha256: str
    tables: dict[str, dict[str, Any]]
    key_check_value: str | None = None
    format: int = FORMAT

    @property
    def total_rows(self) -> int:
        return sum(t["rows"] for t in self.tables.values())

    def as_json(self) -> str:
        return json.dumps(vars(self), indent=1, sort_keys=True, ensure_ascii=False)

    @classmethod
    def load(cls, backup: Path) -> Manifest:
        path = manifest_path(backup)
        if not path.exists():
            raise BackupError(f"Manifeste introuvable à côté de la sauvegarde ({path.name}) : "
                              "sans lui, le contenu ne peut pas être vérifié.")
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            manifest = cls(**data)
        except (ValueError, TypeError) as exc:
            raise BackupError(f"Manifeste illisible ({path.name}) : {exc}.") from None
        if manifest.format != FORMAT or manifest.backend not in SUFFIXES:
            raise BackupError(f"Manifeste d'un format inconnu ({path.name}).")
        return manifest


def manifest_path(backup: Path) -> Path:
    return backup.with_name(backup.name + MANIFEST_SUFFIX)


@dataclass
class BackupResult:
    path: Path
    manifest: Manifest
    seconds: float
    checks: list[str] = field(default_factory=list)


# ---------------------------------------------------------------- helpers
def backend_of(url: str) -> str:
    name = make_url(url).get_backend_name()
    if name not in SUFFIXES:
        raise BackupError(f"Base de données non prise en charge pour la sauvegarde : {name}.")
    return name


def _sqlite_file(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError("Une base SQLite en mémoire ne se sauvegarde pas.")
    return Path(database)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _pg_bin(name: str) -> str:
    """``pg_dump``/``pg_restore`` of the newest installed PostgreSQL (``PG_BINDIR`` first)."""
    folders = [os.environ.get("PG_BINDIR", "")]
    folders += sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    for folder in folders:
        if folder and (Path(folder) / name).exists():
            return str(Path(folder) / name)
    found = shutil.which(name)
    if found:
        return found
    raise BackupError(f"{name} est introuvable : installez le client PostgreSQL "
                      "(paquet postgresql-client) ou indiquez PG_BINDIR.")


def _libpq(url: URL) -> tuple[list[str], dict[str, str]]:
    """Connection arguments for the PostgreSQL tools; the password goes by environment."""
    args = ["--host", url.host or "localhost", "--port", str(url.port or 5432),
            "--username", url.username or "postgres", "--dbname", url.database or ""]
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return args, env


def _check_folder(folder: Path) -> None:
    if folder.exists() and not folder.is_dir():
        raise BackupError(f"{folder} existe et n'est pas un dossier : indiquez un dossier.")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BackupError(f"Impossible de créer le dossier {folder} : {_why(exc)}.") from None
    if not os.access(folder, os.W_OK | os.X_OK):
        raise BackupError(f"Le dossier {folder} n'est pas accessible en écriture.")


def _why(exc: OSError) -> str:
    if exc.errno == errno.ENOSPC:
        return "disque plein"
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return "écriture refusée"
    return exc.strerror or str(exc)


@contextlib.contextmanager
def _partials(*paths: Path) -> Iterator[None]:
    """Whatever fails, leave no half-written file behind."""
    try:
        yield
    except BaseException:
        for path in paths:
            with contextlib.suppress(OSError):
                path.unlink()
        raise


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y%m%d-%H%M%S")


# ---------------------------------------------------------------- create
def create_backup(url: str, folder: Path) -> BackupResult:
    """Write ``animareseau-AAAAMMJJ-HHMMSS.<sqlite3|pgdump>`` and its manifest in ``folder``."""
    started = time.perf_counter()
    backend = backend_of(url)
    folder = Path(folder).resolve()
    _check_folder(folder)
    moment = clock.local_now()
    final = folder / f"{PREFIX}{_stamp(moment)}{SUFFIXES[backend]}"
    if final.exists() or manifest_path(final).exists():
        raise BackupError(f"{final.name} existe déjà dans {folder} : rien n'a été remplacé.")
    partial = final.with_name(final.name + ".partial")
    manifest_partial = manifest_path(final).with_name(manifest_path(final).name + ".partial")
    try:
        with _partials(partial, manifest_partial, final):
            if backend == "sqlite":
                tables, revision, kcv, checks = _sqlite_snapshot(url, partial)
            else:
                tables, revision, kcv, checks = _pg_snapshot(url, partial)
            _fsync(partial)
            manifest = Manifest(
                backend=backend, revision=revision, created_at=moment.isoformat(),
                file_name=final.name, file_size=partial.stat().st_size,
                file_sha256=_sha256(partial), tables=tables, key_check_value=kcv)
            manifest_partial.write_text(manifest.as_json(), encoding="utf-8")
            _fsync(manifest_partial)
            os.replace(partial, final)
            os.replace(manifest_partial, manifest_path(final))
    except OSError as exc:
        raise BackupError(f"Sauvegarde impossible dans {folder} : {_why(exc)}. Aucun fichier "
                          "partiel n'a été laissé.") from None
    return BackupResult(final, manifest, time.perf_counter() - started, checks)


def _sqlite_snapshot(url: str, target: Path) -> tuple[dict, str | None, str | None, list[str]]:
    source_file = _sqlite_file(url)
    if not source_file.exists():
        raise BackupError(f"La base {source_file} n'existe pas.")
    source = sqlite3.connect(f"file:{source_file}?mode=ro", uri=True, timeout=30)
    copy = sqlite3.connect(target)
    try:
        source.backup(copy, pages=-1)  # one step: one read transaction, a consistent copy
        # a self-contained file: opening the copy later never creates -wal/-shm beside it
        copy.execute("PRAGMA journal_mode=DELETE")
    finally:
        source.close()
        copy.close()
    checks = _sqlite_checks(target)
    tables, revision, kcv = _describe(f"sqlite:///{target}")
    return tables, revision, kcv, checks


def _sqlite_checks(path: Path) -> list[str]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        integrity = conn.execute("PRAGMA integrity_check").fetchall()
        foreign = conn.execute("PRAGMA foreign_key_check").fetchall()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"Copie SQLite illisible : {exc}.") from None
    finally:
        conn.close()
    if integrity != [("ok",)]:
        raise BackupError("La copie ne passe pas le contrôle d'intégrité SQLite : "
                          f"{integrity[0][0]}.")
    if foreign:
        raise BackupError(f"La copie contient {len(foreign)} référence(s) cassée(s) "
                          f"(première : table {foreign[0][0]}).")
    return ["integrity_check : ok", "foreign_key_check : ok"]


def _describe(url: str, conn=None) -> tuple[dict, str | None, str | None]:
    """Digests, revision and key check value of a database (or of an open connection)."""
    if conn is not None:
        return _describe_conn(conn)
    engine = create_engine(url)
    try:
        with engine.connect() as c:
            return _describe_conn(c)
    finally:
        engine.dispose()


def _describe_conn(conn) -> tuple[dict, str | None, str | None]:
    tables = {name: d.as_dict() for name, d in digests.database_digests(conn).items()}
    revision = digests.alembic_revision(conn)
    kcv = None
    if "app_state" in tables:
        kcv = conn.scalar(text("SELECT value FROM app_state WHERE name = :n"), {"n": KCV_NAME})
    return tables, revision, kcv


def _pg_snapshot(url: str, target: Path) -> tuple[dict, str | None, str | None, list[str]]:
    engine = create_engine(url)
    try:
        with engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn:
            conn.begin()
            snapshot = conn.scalar(text("SELECT pg_export_snapshot()"))
            args, env = _libpq(engine.url)
            # pg_dump (its own process) and the digests read the same snapshot side by side
            dump = subprocess.Popen(  # noqa: S603 (argument list, no shell)
                [_pg_bin("pg_dump"), "-Fc", "--no-owner", "--no-privileges",
                 f"--snapshot={snapshot}", "--file", str(target), *args],
                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
            try:
                tables, revision, kcv = _describe(url, conn)  # the same instant as the dump
            except BaseException:
                dump.kill()
                dump.wait()
                raise
            _, errors = dump.communicate()
            if dump.returncode != 0:
                raise BackupError(f"pg_dump a échoué : {errors.strip()[:500]}")
            conn.rollback()
    finally:
        engine.dispose()
    return tables, revision, kcv, ["pg_dump : ok (instantané exporté)"]


# ---------------------------------------------------------------- verify
@dataclass
class VerifyReport:
    manifest: Manifest
    checks: list[str]


def verify_backup(path: Path, *, deep: bool = True) -> VerifyReport:
    """Refuse a truncated or altered file: size and SHA-256 against the manifest; for SQLite
    also the integrity checks and every table's digest recomputed from the copy."""
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"Fichier de sauvegarde introuvable : {path}.")
    manifest = Manifest.load(path)
    size = path.stat().st_size
    if size != manifest.file_size:
        raise BackupError(f"Sauvegarde tronquée ou modifiée : {size} octets au lieu de "
                          f"{manifest.file_size} annoncés par le manifeste.")
    if _sha256(path) != manifest.file_sha256:
        raise BackupError("Sauvegarde modifiée : son empreinte SHA-256 ne correspond pas au "
                          "manifeste.")
    checks = ["taille et empreinte SHA-256 : conformes au manifeste"]
    if manifest.backend == "sqlite" and deep:
        checks += _sqlite_checks(path)
        tables, _, _ = _describe(f"sqlite:///file:{path}?mode=ro&uri=true")
        problems = digests.compare(manifest.tables, _as_digests(tables))
        if problems:
            raise BackupError("Contenu différent du manifeste : " + " ; ".join(problems[:5]))
        checks.append(f"{len(tables)} tables, {manifest.total_rows} lignes : "
                      "empreintes conformes")
    elif manifest.backend == "postgresql":
        done = subprocess.run([_pg_bin("pg_restore"), "--list", str(path)],  # noqa: S603
                              capture_output=True, text=True)
        if done.returncode != 0:
            raise BackupError(f"Archive pg_dump illisible : {done.stderr.strip()[:300]}")
        checks.append("archive pg_dump lisible")
    return VerifyReport(manifest, checks)


def _as_digests(tables: dict[str, dict]) -> dict[str, digests.TableDigest]:
    return {n: digests.TableDigest(t["rows"], t["digest"]) for n, t in tables.items()}


# ---------------------------------------------------------------- restore
def known_revisions() -> tuple[set[str], str | None]:
    """Every migration revision this code knows, and its head."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory(str(PROJECT_ROOT / "migrations"))
    return {r.revision for r in script.walk_revisions()}, script.get_current_head()


@dataclass
class RestoreReport:
    manifest: Manifest
    checks: list[str]
    needs_upgrade: bool
    seconds: float


def restore_backup(path: Path, url: str, *, key: bytes | None, force: bool = False
                   ) -> RestoreReport:
    """Restore ``path`` into the database ``url``; checks first, then one atomic step.

    Refused: a file that does not match its manifest, a schema newer than this code, a
    pseudonymisation key other than the data's, a target that holds rows (unless
    ``force``), a backup of the other backend.
    """
    started = time.perf_counter()
    # the file's SHA-256 matching the manifest proves these are the very bytes the digests
    # were computed from: recomputing them before restoring would only repeat that work;
    # the restored database's digests are compared below
    report = verify_backup(path, deep=False)
    manifest = report.manifest
    backend = backend_of(url)
    if backend != manifest.backend:
        raise BackupError(f"Cette sauvegarde vient d'une base {manifest.backend} ; la cible "
                          f"est une base {backend}.")
    revisions, head = known_revisions()
    if manifest.revision is not None and manifest.revision not in revisions:
        raise BackupError(f"La sauvegarde vient d'une version plus récente du logiciel "
                          f"(schéma {manifest.revision}, inconnu de cette version dont le "
                          f"schéma est {head}) : mettez d'abord le logiciel à jour.")
    if manifest.key_check_value and key is not None:
        actual = check_value(key)
        if actual != manifest.key_check_value:
            raise BackupError(mismatch_message(manifest.key_check_value, actual))
    holding = _tables_with_rows(url)
    if holding and not force:
        raise BackupError(f"La base cible n'est pas vide ({len(holding)} table(s) remplie(s), "
                          f"dont {', '.join(holding[:3])}) : restauration refusée. Ajoutez "
                          "--force pour la remplacer entièrement.")
    if backend == "sqlite":
        _sqlite_restore(path, url)
    else:
        _pg_restore(path, url)
    tables, revision, _ = _describe(url)
    problems = digests.compare(manifest.tables, _as_digests(tables))
    if problems:
        raise BackupError("La base restaurée ne correspond pas au manifeste : "
                          + " ; ".join(problems[:5]))
    checks = report.checks + [f"base restaurée : {len(tables)} tables, "
                              f"{manifest.total_rows} lignes, empreintes conformes"]
    return RestoreReport(manifest, checks, needs_upgrade=revision != head,
                         seconds=time.perf_counter() - started)


def _tables_with_rows(url: str) -> list[str]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            names = [n for n in inspect(conn).get_table_names()
                     if n != digests.ALEMBIC_TABLE]
            return [n for n in sorted(names)
                    if conn.execute(select(literal(1)).select_from(table(n)).limit(1)).first()]
    except Exception as exc:  # the target cannot be reached at all
        raise BackupError(f"Base cible inaccessible : {exc}".splitlines()[0]) from None
    finally:
        engine.dispose()


def _sqlite_restore(path: Path, url: str) -> None:
    """The backup API again, into the live file: WAL and open connections stay coherent
    (replacing the file under a running application would not)."""
    target = _sqlite_file(url)
    target.parent.mkdir(parents=True, exist_ok=True)
    source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    dest = sqlite3.connect(target, timeout=30)
    try:
        source.backup(dest, pages=-1)
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"Restauration SQLite impossible : {exc}.") from None
    finally:
        source.close()
        dest.close()


def _pg_restore(path: Path, url: str) -> None:
    engine: Engine = create_engine(url)
    try:
        with engine.begin() as conn:  # an empty public schema to restore into
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        args, env = _libpq(engine.url)
    finally:
        engine.dispose()
    done = subprocess.run(  # noqa: S603 (argument list, no shell)
        [_pg_bin("pg_restore"), "--single-transaction", "--exit-on-error", "--no-owner",
         "--no-privileges", *args, str(path)], capture_output=True, text=True, env=env)
    if done.returncode != 0:
        raise BackupError(f"pg_restore a échoué (rien n'a été restauré) : "
                          f"{done.stderr.strip()[:500]}")


# ---------------------------------------------------------------- rotation
def list_backups(folder: Path) -> list[tuple[datetime, Path]]:
    """Complete backups (file and manifest) in ``folder``, oldest first."""
    found = []
    for suffix in SUFFIXES.values():
        for path in Path(folder).glob(f"{PREFIX}*{suffix}"):
            if not manifest_path(path).exists():
                continue
            try:
                stamp = datetime.strptime(path.name[len(PREFIX):-len(suffix)], "%Y%m%d-%H%M%S")
            except ValueError:
                continue
            found.append((stamp, path))
    return sorted(found)


def rotate(folder: Path, *, keep_daily: int, keep_monthly: int) -> list[Path]:
    """Keep the newest backup of each of the last ``keep_daily`` days that have one and of
    each of the last ``keep_monthly`` months; delete the rest (and stale ``.partial`` files).

    So a row purged today leaves the backups at the latest after ``keep_monthly`` months.
    """
    backups = list_backups(folder)
    keep: set[Path] = set()
    days: dict[date, Path] = {}
    months: dict[tuple[int, int], Path] = {}
    for stamp, path in backups:  # oldest first: the newest of each period wins
        days[stamp.date()] = path
        months[(stamp.year, stamp.month)] = path
    keep.update(days[d] for d in sorted(days)[-keep_daily:])
    keep.update(months[m] for m in sorted(months)[-keep_monthly:])
    removed = []
    for _, path in backups:
        if path not in keep:
            path.unlink(missing_ok=True)
            manifest_path(path).unlink(missing_ok=True)
            removed.append(path)
    for partial in Path(folder).glob(f"{PREFIX}*.partial"):
        if clock.now().timestamp() - partial.stat().st_mtime > 86400:
            partial.unlink(missing_ok=True)
    return removed


def scheduled_backup(url: str | None = None) -> str:
    """The nightly job: a backup in ``BACKUP_DIR``, then the rotation. A French summary."""
    from models.settings import database_url

    settings = BackupSettings.from_env()
    result = create_backup(url or database_url(), settings.folder)
    removed = rotate(settings.folder, keep_daily=settings.keep_daily,
                     keep_monthly=settings.keep_monthly)
    size = result.manifest.file_size / 1_000_000
    return (f"{result.path.name} : {result.manifest.total_rows} lignes, "
            f"{size:.1f} Mo, {result.seconds:.1f} s ; {len(removed)} ancienne(s) "
            "sauvegarde(s) supprimée(s) par la rotation.")
