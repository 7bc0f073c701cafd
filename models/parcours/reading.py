"""Open an extract (ZIP or folder), recognise its files and read them in chunks.

A first streaming pass over each file computes its checksum, rejects binary or
empty files, decides the encoding (UTF-8 with or without BOM, else Windows-1252)
and sniffs the separator from the header line; a second one measures every record
and field (quote-aware); then pandas reads the file in chunks, so memory does not
grow with the file size.

Hostile files are refused before they cost memory (see the limits below): a ZIP
member's size and compression ratio are read from the central directory before
anything is decompressed, and no line or field is ever held whole beyond its cap.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import re
import unicodedata
import warnings
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import pandas as pd

from models.formatting import format_number
from models.parcours.errors import ImportRefused

FILE_ORDER = ("jeunes", "dispositifs", "situations", "evenements")

MANDATORY: dict[str, tuple[str, ...]] = {
    "jeunes": ("code_ml", "id_jeune", "nom", "prenom", "date_naissance", "sexe",
               "code_postal", "code_commune", "niveau_formation", "date_premier_accueil"),
    "evenements": ("code_ml", "id_jeune", "date_evenement"),
    "situations": ("code_ml", "id_jeune", "type_situation", "date_debut"),
    "dispositifs": ("code_ml", "id_jeune", "dispositif", "date_entree"),
}
OPTIONAL: dict[str, tuple[str, ...]] = {
    "jeunes": ("qpv", "zrr", "logement", "permis_b", "vehicule", "rqth"),
    "evenements": ("type", "thematique"),
    "situations": ("date_fin",),
    "dispositifs": ("date_sortie", "motif_sortie"),
}
CHUNK_ROWS = 200_000
SCAN_BYTES = 1 << 20
# Bytes Windows-1252 leaves undefined: a file holding them is neither UTF-8 nor 1252.
CP1252_UNDEFINED = re.compile(rb"[\x81\x8d\x8f\x90\x9d]")
# What zipfile raises for an encrypted, truncated or corrupted member.
ARCHIVE_ERRORS = (RuntimeError, zipfile.BadZipFile, zlib.error, NotImplementedError, EOFError)

# --- limits against hostile files (module constants: change them here; tests lower them) --
# The largest legitimate file is the events of the largest region: ~9 million rows of
# 60-100 bytes, so 0.5-1 GB. 4 GiB per file leaves four times that. It applies to each
# ZIP member (uncompressed size, from the central directory) and to each plain file.
MAX_FILE_BYTES = 4 << 30
# Real CSV extracts compress 5 to 15 times (very repetitive ones perhaps 30); a zip bomb
# does 1 000 times and more. Beyond 100 the archive is refused unread.
MAX_COMPRESSION_RATIO = 100
# Below this uncompressed size a ratio means nothing (and costs nothing): not checked.
RATIO_MIN_BYTES = 1 << 20
# One record (a line, or several lines when a quoted field spans them): a legitimate one
# is a few hundred characters (16 columns at most a few dozen each), so 64 Ki leaves two
# orders of magnitude. Nothing longer is ever held in memory.
MAX_LINE_CHARS = 65_536
# One field: legitimate values are under a few hundred characters (identifiers 40, the
# longest free text ~200).
MAX_FIELD_CHARS = 4_096
# pandas reads a file in chunks of at most this many characters (CHUNK_ROWS rows of short
# lines, fewer when the file's longest record is long), so a chunk stays ~64 MB of text.
CHUNK_CHARS = 64 << 20


def _size(n_bytes: int) -> str:
    """``4 Go``, ``820 Mo``, ``64 Ko``: a size in French units (1 Go = 1 024 Mo)."""
    if n_bytes >= 1 << 30:
        return f"{format_number(n_bytes / (1 << 30), digits=1).removesuffix(',0')} Go"
    if n_bytes >= 1 << 20:
        return f"{format_number(round(n_bytes / (1 << 20)))} Mo"
    return f"{format_number(max(1, round(n_bytes / 1024)))} Ko"


def _too_big(member: str, size: int) -> str:
    return (f"{member} : fichier de {_size(size)} (décompressé), au-delà de la limite de "
            f"{_size(MAX_FILE_BYTES)} par fichier. Ce n'est pas la taille d'une extraction "
            "régionale : importez-la en plusieurs fois (par période ou par mission locale).")


def _zip_limits(path: Path, members: list[zipfile.ZipInfo]) -> list[str]:
    """Sizes and ratios from the central directory, before any member is decompressed.

    zipfile never inflates a member beyond its declared size, so these declared sizes
    bound what the import will read; the whole archive is also held to the ratio against
    its real size on disk (overlapping members or a forged compressed size gain nothing).
    """
    problems = []
    for info in members:
        if info.file_size > MAX_FILE_BYTES:
            problems.append(_too_big(info.filename, info.file_size))
        elif info.file_size >= RATIO_MIN_BYTES \
                and info.file_size > MAX_COMPRESSION_RATIO * max(info.compress_size, 1):
            ratio = info.file_size // max(info.compress_size, 1)
            problems.append(
                f"{info.filename} : fichier {format_number(ratio)} fois plus gros une fois "
                f"décompressé (limite {MAX_COMPRESSION_RATIO} ; une vraie extraction se "
                "compresse 5 à 15 fois). L'archive est refusée sans être lue : refaites-la "
                "à partir des fichiers CSV exportés d'i-milo et déposez-la à nouveau.")
    total = sum(info.file_size for info in members)
    archive = path.stat().st_size
    if not problems and total >= RATIO_MIN_BYTES \
            and total > MAX_COMPRESSION_RATIO * max(archive, 1):
        problems.append(
            f"{path.name} : l'archive annonce {_size(total)} de fichiers pour "
            f"{_size(archive)} sur le disque (plus de {MAX_COMPRESSION_RATIO} fois) ; elle "
            "est refusée sans être lue. Refaites l'archive ZIP à partir des fichiers CSV "
            "exportés d'i-milo et déposez-la à nouveau.")
    return problems


def _damaged(info: FileInfo, exc: BaseException) -> str:
    what = "protégé par un mot de passe" if "encrypt" in str(exc).lower() \
        or "password" in str(exc).lower() else "endommagé"
    return (f"{info.member} : fichier {what} dans l'archive, illisible. Refaites l'archive "
            "ZIP sans mot de passe à partir des fichiers d'origine et déposez-la à nouveau.")


def header_key(name: str) -> str:
    """Case-, accent- and space-insensitive column name: ' Date  Naissance ' → date_naissance."""
    text = unicodedata.normalize("NFKD", name.replace("\ufeff", ""))
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).strip().lower()
    return re.sub(r"[\s\-]+", "_", text)


@dataclass
class FileInfo:
    """What the first pass learnt about one CSV file."""

    name: str  # file stem: jeunes, evenements, …
    member: str  # name inside the ZIP or folder
    opener: Callable[[], IO[bytes]]
    sha256: str = ""
    size: int = 0
    encoding: str = "utf-8"
    separator: str = ";"
    columns: list[str] = field(default_factory=list)  # raw header names, in order
    mapping: dict[str, str] = field(default_factory=dict)  # raw name → canonical name
    ignored: list[str] = field(default_factory=list)
    surplus_fields: bool = False  # rows longer than the header (the surplus is dropped)
    longest: int = 0  # characters of the longest record (second pass)


class Source:
    """The four files of an extract, whether in a ZIP or a folder."""

    def __init__(self, path: Path):
        self.path = path
        self._zip: zipfile.ZipFile | None = None
        self.members: dict[str, tuple[str, Callable[[], IO[bytes]]]] = {}
        twice: list[str] = []

        def add(stem: str, name: str, opener: Callable[[], IO[bytes]]) -> None:
            if stem in self.members:
                twice.append(f"{self.members[stem][0]} et {name}")
                return
            self.members[stem] = (name, opener)

        limits: list[str] = []
        if path.is_dir():
            for child in sorted(path.iterdir()):
                stem = child.name.lower().removesuffix(".csv")
                if child.is_file() and child.name.lower().endswith(".csv") \
                        and stem in MANDATORY:
                    add(stem, child.name, lambda c=child: c.open("rb"))
                    if child.stat().st_size > MAX_FILE_BYTES:
                        limits.append(_too_big(child.name, child.stat().st_size))
        elif path.is_file():
            try:
                self._zip = zipfile.ZipFile(path)
            except (zipfile.BadZipFile, OSError) as exc:
                raise ImportRefused([
                    f"{path.name} : ce n'est pas une archive ZIP lisible. Déposez un fichier "
                    ".zip contenant jeunes.csv (et, si vous les avez, evenements.csv, "
                    "situations.csv, dispositifs.csv)."]) from exc
            read: list[zipfile.ZipInfo] = []
            for info in self._zip.infolist():
                base = info.filename.rsplit("/", 1)[-1]
                stem = base.lower().removesuffix(".csv")
                if info.is_dir() or not base.lower().endswith(".csv") or stem not in MANDATORY:
                    continue
                if base.startswith("._"):  # macOS resource forks
                    continue
                add(stem, info.filename,
                    lambda n=info.filename: self._zip.open(n))  # type: ignore[union-attr]
                read.append(info)
            limits = _zip_limits(path, read)
        else:
            raise ImportRefused([
                f"{path.name} : fichier introuvable sur le serveur (le dépôt n'est plus "
                "disponible). Déposez l'extraction à nouveau."])
        if twice:
            self.close()
            raise ImportRefused([
                f"{path.name} contient deux fois le même fichier ({pair}) : gardez-en un seul "
                "(les noms ne tiennent pas compte des majuscules ni des dossiers)."
                for pair in twice])
        if limits:
            self.close()
            raise ImportRefused(limits)
        if "jeunes" not in self.members:
            where = "L'archive" if self._zip is not None else "Le dossier"
            raise ImportRefused([
                f"{where} {path.name} ne contient pas jeunes.csv, le fichier obligatoire "
                "de l'extraction. Vérifiez le nom des fichiers (jeunes.csv, evenements.csv, "
                "situations.csv, dispositifs.csv)."])

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()

    def files(self) -> list[FileInfo]:
        return [FileInfo(name=stem, member=self.members[stem][0], opener=self.members[stem][1])
                for stem in FILE_ORDER if stem in self.members]


def inspect(info: FileInfo) -> list[str]:
    """First pass: checksum, binary/empty check, encoding, separator, header mapping.

    Returns the French problems found (empty when the file can be read).
    """
    digest = hashlib.sha256()
    decoder = codecs.getincrementaldecoder("utf-8")()
    utf8 = True
    undefined_1252 = False
    head = b""
    size = 0
    try:
        stream = info.opener()
    except ARCHIVE_ERRORS as exc:
        return [_damaged(info, exc)]
    with stream:
        while True:
            try:
                chunk = stream.read(SCAN_BYTES)
            except ARCHIVE_ERRORS as exc:
                return [_damaged(info, exc)]
            if not chunk:
                break
            digest.update(chunk)
            if b"\x00" in chunk:
                info.sha256 = ""
                return [f"{info.member} : ce n'est pas un fichier texte CSV (contenu binaire). "
                        "Exportez à nouveau le fichier depuis i-milo au format CSV."]
            if utf8:
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError:
                    utf8 = False
            if not undefined_1252 and CP1252_UNDEFINED.search(chunk):
                undefined_1252 = True
            if len(head) < 65536:
                head += chunk[: 65536 - len(head)]
            size += len(chunk)
        if utf8:
            try:
                decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                utf8 = False
    info.sha256 = digest.hexdigest()
    info.size = size
    if not head.strip(b" \t\r\n;,\xef\xbb\xbf"):
        return [f"{info.member} : le fichier est vide. Il doit contenir au moins la ligne "
                "d'en-tête."]
    if utf8:
        info.encoding = "utf-8-sig" if head.startswith(codecs.BOM_UTF8) else "utf-8"
    elif undefined_1252:
        return [f"{info.member} : encodage illisible (ni UTF-8 ni Windows-1252). Enregistrez "
                "le fichier en « CSV UTF-8 » et déposez-le à nouveau."]
    else:
        info.encoding = "cp1252"
    text = head.decode(info.encoding, errors="replace")
    header_line = next((line for line in text.splitlines() if line.strip()), "")
    return _read_header(info, header_line) or _measure(info)


class _TooLong(Exception):
    """A record grew beyond MAX_LINE_CHARS while being read."""


def _measure(info: FileInfo) -> list[str]:
    """Second pass: every record and field against MAX_LINE_CHARS / MAX_FIELD_CHARS.

    The csv module splits records the way pandas' C engine does (a quoted field may span
    lines), and it is fed lines of at most MAX_LINE_CHARS + 1 characters, counted per
    record: a 1 GB line, or a quoted field left open over millions of short lines, is
    refused at its first 64 Ki characters instead of being read whole by pandas.
    Sets ``info.longest`` (the chunk size of the third pass depends on it).
    """
    limit = MAX_LINE_CHARS
    record = [0, 0]  # characters of the record being read, physical lines read so far
    start = 1  # physical line where that record starts

    try:
        stream = info.opener()
    except ARCHIVE_ERRORS as exc:
        return [_damaged(info, exc)]
    text = io.TextIOWrapper(stream, encoding=info.encoding, errors="replace", newline="")

    def lines() -> Iterator[str]:
        readline = text.readline
        while True:
            line = readline(limit + 1)
            if not line:
                return
            record[0] += len(line)
            record[1] += 1
            if record[0] > limit:
                raise _TooLong
            yield line

    longest = 0
    try:
        with text:
            for row in csv.reader(lines(), delimiter=info.separator, quotechar='"'):
                longest = max(longest, record[0])
                record[0] = 0
                if row and len(max(row, key=len)) > MAX_FIELD_CHARS:
                    widest = max(range(len(row)), key=lambda i: len(row[i]))
                    column = info.columns[widest].strip() if widest < len(info.columns) \
                        else f"n° {widest + 1}"
                    return [f"{info.member}, ligne {start} : la colonne « {column} » "
                            f"dépasse {format_number(MAX_FIELD_CHARS)} caractères (un champ "
                            "d'extraction en compte au plus quelques centaines). Vérifiez "
                            "les guillemets de cette ligne ; si cette colonne n'est pas "
                            "utile, retirez-la de l'export."]
                start = record[1] + 1
    except _TooLong:
        return [f"{info.member}, ligne {start} : ligne de plus de {format_number(limit)} "
                "caractères (une ligne d'extraction en compte quelques centaines ; un "
                "guillemet non refermé prolonge la ligne sur les suivantes). Vérifiez les "
                "guillemets à partir de cette ligne, ou exportez à nouveau le fichier depuis "
                "i-milo."]
    except csv.Error as exc:
        return [f"{info.member}, ligne {start} : lecture impossible ({exc}). Exportez à "
                "nouveau le fichier depuis i-milo au format CSV."]
    except ARCHIVE_ERRORS as exc:
        return [_damaged(info, exc)]
    info.longest = longest
    return []


def _read_header(info: FileInfo, header_line: str) -> list[str]:
    known = set(MANDATORY[info.name]) | set(OPTIONAL[info.name])
    best: tuple[int, str, list[str]] | None = None
    for sep in (";", ",", "\t"):
        names = next(csv.reader([header_line], delimiter=sep))
        hits = sum(1 for n in names if header_key(n) in known)
        if best is None or hits > best[0]:
            best = (hits, sep, names)
    assert best is not None
    hits, sep, names = best
    if hits == 0:
        return [f"{info.member}, ligne 1 : en-tête non reconnu. La première ligne doit nommer "
                f"les colonnes ({', '.join(MANDATORY[info.name])}), séparées par des "
                "points-virgules."]
    info.separator = sep
    info.columns = names
    problems: list[str] = []
    seen: dict[str, str] = {}
    for raw in names:
        key = header_key(raw)
        if key in known:
            if key in seen:
                problems.append(f"{info.member}, ligne 1 : la colonne « {key} » figure deux fois "
                                "dans l'en-tête. Supprimez la colonne en double.")
                continue
            seen[key] = raw
            info.mapping[raw] = key
        elif raw.strip():
            info.ignored.append(raw.strip())
    missing = [c for c in MANDATORY[info.name] if c not in seen]
    if missing:
        plural = "s" if len(missing) > 1 else ""
        problems.append(f"{info.member}, ligne 1 : colonne{plural} obligatoire{plural} "
                        f"manquante{plural} : {', '.join(missing)}. "
                        + ("Ajoutez ces colonnes" if plural else "Ajoutez cette colonne")
                        + " à l'export, avec ce nom.")
    return problems


_TOKENIZE = re.compile(r"Expected (\d+) fields in line (\d+), saw (\d+)")


def _noting_surplus(reader, info: FileInfo) -> Iterator[pd.DataFrame]:
    """pandas warns (instead of failing) when rows carry a trailing field the header lacks,
    the habit of some exports: note it for the import's notices."""
    while True:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", pd.errors.ParserWarning)
            chunk = next(reader, None)
        if any(issubclass(w.category, pd.errors.ParserWarning) for w in caught):
            info.surplus_fields = True
        if chunk is None:
            return
        yield chunk


def read_chunks(info: FileInfo,
                chunk_rows: int = CHUNK_ROWS) -> Iterator[tuple[pd.DataFrame, int]]:
    """(chunk, bytes read so far): text columns named canonically, ``line`` = line number.

    Rows that are entirely empty (trailing ``;;;`` lines) are dropped. A file with long
    records is read in fewer rows at a time (CHUNK_CHARS of text per chunk at most).
    """
    chunk_rows = max(1, min(chunk_rows, CHUNK_CHARS // max(info.longest, 1)))
    wanted = list(info.mapping)
    stream = info.opener()
    try:
        text = io.TextIOWrapper(stream, encoding=info.encoding, newline="")
        reader = pd.read_csv(
            text, sep=info.separator, dtype=str, keep_default_na=False, na_filter=False,
            chunksize=chunk_rows, engine="c", index_col=False,
            # blank lines are kept (then dropped below) so line numbers stay true
            skip_blank_lines=False, quotechar='"')
        try:
            for chunk in _noting_surplus(reader, info):
                # every column is parsed (so a row with a stray separator is caught), only
                # the known ones are kept
                chunk = chunk[[c for c in chunk.columns if c in info.mapping]].rename(
                    columns=info.mapping)
                for missing in set(MANDATORY[info.name]) | set(OPTIONAL[info.name]):
                    if missing not in chunk.columns:
                        chunk[missing] = ""
                chunk["line"] = chunk.index.to_numpy() + 2
                chunk = chunk.fillna("")
                filled = chunk[[info.mapping[w] for w in wanted]].ne("").any(axis=1)
                try:
                    position = stream.tell()
                except (OSError, ValueError):
                    position = 0
                yield chunk[filled], position
        except pd.errors.ParserError as exc:
            match = _TOKENIZE.search(str(exc))
            if match:
                expected, line, saw = match.groups()
                raise ImportRefused([
                    f"{info.member}, ligne {line} : {saw} colonnes au lieu de {expected}. "
                    "Un séparateur ou un guillemet est probablement mal placé sur cette "
                    "ligne."]) from exc
            raise ImportRefused([f"{info.member} : lecture impossible ({exc}). Vérifiez que le "
                                 "fichier est un CSV séparé par des points-virgules."]) from exc
        except UnicodeDecodeError as exc:
            raise ImportRefused([f"{info.member} : encodage illisible. Enregistrez le fichier en "
                                 "« CSV UTF-8 » et déposez-le à nouveau."]) from exc
        except ARCHIVE_ERRORS as exc:
            raise ImportRefused([_damaged(info, exc)]) from exc
    finally:
        stream.close()
