"""Where deposited extracts wait for the worker, and their deletion once imported.

Kept apart from ``jobs`` so the web app reaches it without loading the job runner
(which fails to load when its queue is misconfigured, and the deposit must still get
its French failure).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from models.settings import instance_path


def uploads_folder() -> Path:
    folder = instance_path() / "uploads" / "parcours"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def delete_upload(path: Path) -> None:
    """Delete a deposit's own folder under ``uploads_folder`` (idempotent).

    Anything outside it (a CLI import of a person's own file) is never touched.
    """
    root = uploads_folder().resolve()
    try:
        relative = Path(path).resolve().relative_to(root)
    except ValueError:
        return
    if not relative.parts:
        return
    own = root / relative.parts[0]
    if own.is_dir():
        shutil.rmtree(own, ignore_errors=True)
    else:
        own.unlink(missing_ok=True)
