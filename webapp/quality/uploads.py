"""The uploaded extract: which files were sent, and saving them into a fresh folder.

Werkzeug already streams a large upload into a temporary file; ``save`` copies it to the
uploads folder in chunks, so a 500 MB extract never sits in memory.
"""

from __future__ import annotations

import secrets
import shutil
from dataclasses import dataclass
from pathlib import Path

from werkzeug.datastructures import FileStorage
from werkzeug.utils import secure_filename

from models import clock
from models.parcours.reading import MANDATORY

CSV_NAMES = tuple(f"{stem}.csv" for stem in MANDATORY)


@dataclass
class Upload:
    """What the form received: one ZIP, or some of the four CSV files."""

    zip_file: FileStorage | None
    csv_files: dict[str, FileStorage]  # lower-case file name → file

    @property
    def source_name(self) -> str:
        if self.zip_file is not None:
            return self.zip_file.filename or "extraction.zip"
        return " + ".join(name for name in CSV_NAMES if name in self.csv_files)


def _name(storage: FileStorage) -> str:
    return (storage.filename or "").replace("\\", "/").rsplit("/", 1)[-1].strip()


def read_upload(files: list[FileStorage]) -> tuple[Upload | None, list[str]]:
    """The upload, or the French problems that make it unusable (nothing saved yet)."""
    files = [f for f in files if f is not None and _name(f)]
    if not files:
        return None, ["Choisissez l'archive ZIP de l'extraction, ou ses fichiers CSV."]
    problems, zips, csvs = [], [], {}
    for storage in files:
        name = _name(storage)
        lower = name.lower()
        if lower.endswith(".zip"):
            zips.append(storage)
        elif lower.endswith(".csv"):
            if lower not in CSV_NAMES:
                problems.append(f"« {name} » n'est pas un fichier de l'extraction : les "
                                f"fichiers s'appellent {', '.join(CSV_NAMES)}.")
            elif lower in csvs:
                problems.append(f"{lower} est envoyé deux fois.")
            else:
                csvs[lower] = storage
        else:
            problems.append(f"« {name} » n'est ni une archive .zip ni un fichier .csv : "
                            "déposez l'archive ZIP de l'extraction ou ses fichiers CSV.")
    if problems:
        return None, problems
    if zips and csvs or len(zips) > 1:
        return None, ["Déposez une seule archive ZIP, ou bien les fichiers CSV, pas les deux."]
    if not zips and "jeunes.csv" not in csvs:
        return None, ["jeunes.csv est obligatoire : ajoutez-le aux fichiers envoyés."]
    return Upload(zip_file=zips[0] if zips else None, csv_files=csvs), []


def fresh_folder(root: Path) -> Path:
    """A new folder per upload (date + random part: two uploads never share one)."""
    stamp = clock.now().strftime("%Y%m%d-%H%M%S")
    folder = root / f"{stamp}-{secrets.token_hex(6)}"
    folder.mkdir(parents=True)
    return folder


def save(upload: Upload, folder: Path) -> Path:
    """Write the files into ``folder``: the ZIP's path, or the folder of CSV files."""
    try:
        if upload.zip_file is not None:
            name = secure_filename(_name(upload.zip_file)) or "extraction.zip"
            if not name.lower().endswith(".zip"):
                name += ".zip"
            target = folder / name
            upload.zip_file.save(target)
            return target
        for name, storage in upload.csv_files.items():
            storage.save(folder / name)
        return folder
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
