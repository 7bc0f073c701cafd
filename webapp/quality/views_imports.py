"""Uploading an extract, following its import, and the import history."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select
from werkzeug.exceptions import RequestEntityTooLarge

from models import clock
from models.accounts.orm import User
from models.formatting import format_date, format_number
from models.parcours import queries
from models.parcours.orm import IMPORT_STATUSES, ParcoursExtract, ParcoursImport
from models.parcours.rules import period_from_name
from models.parcours.services import create_import
from webapp.access import access, recent_password
from webapp.extensions import db
from webapp.listing import list_page
from webapp.quality import bp
from webapp.quality.common import import_or_404, today
from webapp.quality.dispatch import dispatch, uploads_root
from webapp.quality.forms import ImportForm
from webapp.quality.uploads import fresh_folder, read_upload, save
from webapp.unit_of_work import attempt

IMPORT_STATUS_LABELS = {
    "en_attente": "En attente", "en_cours": "En cours", "termine": "Terminé",
    "refuse": "Refusé", "echec": "Échec",
}
#: An import still waiting after this long, with nothing running: the worker seems stopped.
WORKER_WARNING = timedelta(minutes=2)
IMPORT_KEYS = ("statut", "tri", "ordre", "par_page")
IMPORT_SORTS = {
    "date": ParcoursImport.created_at,
    "periode": ParcoursImport.period_end,
    "fichier": ParcoursImport.source_name,
    "statut": ParcoursImport.status,
    "duree": ParcoursImport.duration_ms,
}


#: The routes that receive an extract: the only ones allowed PARCOURS_MAX_UPLOAD_MB.
UPLOAD_ENDPOINTS = frozenset({"quality.import_new"})


@bp.url_value_preprocessor
def _upload_limit(endpoint: str | None, values: dict | None) -> None:
    """Raise the body limit (MAX_FORM_MB elsewhere) on the upload route alone.

    Set here because url value preprocessors run before every before_request hook, and
    those (CSRF, the NUL-byte check) read the form, which fixes the limit.
    """
    if endpoint in UPLOAD_ENDPOINTS:
        request.max_content_length = current_app.config["PARCOURS_MAX_CONTENT_LENGTH"]


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(error):
    limit = (request.max_content_length or 0) // (1024 * 1024)
    if request.endpoint not in UPLOAD_ENDPOINTS:
        message = (f"La demande envoyée dépasse la taille autorisée ({format_number(limit)} "
                   "Mo). Raccourcissez le texte saisi, puis envoyez le formulaire à nouveau.")
    else:
        message = (f"Le fichier envoyé dépasse la taille autorisée ({format_number(limit)} "
                   "Mo). Compressez l'extraction en ZIP, ou envoyez une période plus courte ; "
                   "l'administrateur peut relever la limite (PARCOURS_MAX_UPLOAD_MB).")
    return render_template("errors/error.html", code=413, title="Fichier trop volumineux",
                           message=message), 413


@bp.route("/imports/nouveau", methods=["GET", "POST"])
@access("quality.import")
@recent_password
def import_new():
    form = ImportForm()
    if form.validate_on_submit():
        upload, problems = read_upload(request.files.getlist(form.files.name))
        if problems:
            form.files.errors = [*form.files.errors, *problems]
        else:
            start, end = form.period_start.data, form.period_end.data
            from_name = None
            if start is None and end is None and upload.zip_file is not None:
                from_name = period_from_name(upload.source_name)
                if from_name is not None:
                    start, end = from_name

            def write() -> ParcoursImport:
                record = create_import(db.session, actor=current_user,
                                       source_name=upload.source_name, stored_path=None,
                                       period_start=start, period_end=end, today=today())
                record.stored_path = str(save(upload, fresh_folder(uploads_root())))
                db.session.flush()
                return record

            done = attempt(write, form=form)
            if done.ok:
                import_id, path = done.value.id, done.value.stored_path
                db.session.commit()  # nothing held open while the import writes
                if from_name is not None:
                    flash("Période lue dans le nom de l'archive : du "
                          f"{format_date(start)} au {format_date(end)}.", "info")
                dispatch(import_id, _path(path))
                return redirect(url_for("quality.import_detail", import_id=import_id))
    return render_template("quality/import_form.html", form=form)


def _path(stored: str):
    from pathlib import Path

    return Path(stored)


def _since(moment: datetime | None) -> timedelta:
    if moment is None:
        return timedelta(0)
    if moment.tzinfo is None:  # SQLite hands back naive UTC datetimes
        moment = moment.replace(tzinfo=UTC)
    return clock.now() - moment


def waiting_hint(record: ParcoursImport) -> dict | None:
    """Why an unfinished import does not move: another one runs first, the worker seems
    stopped, or the import went silent (the worker's sweep will run it again)."""
    if record.finished:
        return None
    from models.parcours.lifecycle import STALE_AFTER

    if record.status == "en_cours":
        silent = _since(record.updated_at)
        return {"kind": "silent", "minutes": int(silent.total_seconds() // 60)} \
            if silent >= STALE_AFTER else None
    alive_since = clock.now() - STALE_AFTER
    running = db.session.scalar(select(ParcoursImport.id).where(
        ParcoursImport.status == "en_cours", ParcoursImport.id != record.id,
        ParcoursImport.updated_at >= alive_since).order_by(ParcoursImport.id).limit(1))
    if running is not None:
        return {"kind": "queue", "running": running}
    waited = _since(record.updated_at)  # queued (or queued again by the sweep) then
    if waited >= WORKER_WARNING:
        return {"kind": "worker", "minutes": int(waited.total_seconds() // 60)}
    return None


@bp.route("/imports/<int:import_id>")
@access("quality.imports")
def import_detail(import_id: int):
    record = import_or_404(import_id)
    extracts = list(db.session.scalars(select(ParcoursExtract).where(
        ParcoursExtract.import_id == record.id).order_by(ParcoursExtract.id)))
    return render_template("quality/import_status.html", record=record, extracts=extracts,
                           labels=IMPORT_STATUS_LABELS, hint=waiting_hint(record),
                           messages=[m for m in (record.message or "").split("\n") if m])


@bp.route("/imports")
@access("quality.imports")
def imports():
    status = request.args.get("statut", "")
    stmt = queries.imports_select(current_user)
    if status in IMPORT_STATUSES:
        stmt = stmt.where(ParcoursImport.status == status)
    listing = list_page(stmt, IMPORT_SORTS, "date", default_direction="desc",
                        tiebreak=ParcoursImport.id.desc())
    # only the page's own keys reach url_for (``?endpoint=`` or ``?_method=`` would break it)
    listing.args = {k: v for k, v in listing.args.items() if k in IMPORT_KEYS}
    ids = [r.id for r in listing.items]
    ml_counts = dict(db.session.execute(
        select(ParcoursExtract.import_id, func.count(ParcoursExtract.id))
        .where(ParcoursExtract.import_id.in_(ids)).group_by(ParcoursExtract.import_id)).all()
    ) if ids else {}
    uploader_ids = {r.uploaded_by_id for r in listing.items if r.uploaded_by_id}
    uploaders = dict(db.session.execute(select(User.id, User.full_name).where(
        User.id.in_(uploader_ids))).all()) if uploader_ids else {}
    return render_template("quality/imports.html", listing=listing, ml_counts=ml_counts,
                           uploaders=uploaders, labels=IMPORT_STATUS_LABELS, status=status)
