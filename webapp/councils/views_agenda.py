"""Councils: the agenda of a meeting (items, their order, moving or copying them to the
next meeting), the backlog of topics a series keeps and missions locales propose, and the
items' attachments. The team writes; readers of the meeting download attachments.
"""

from __future__ import annotations

from urllib.parse import quote

from flask import Response, flash, redirect, render_template, request, url_for
from flask_login import current_user

from models.councils import agenda as ag
from models.councils import queries
from models.councils.enums import ItemKind
from models.councils.orm import AgendaAttachment, AgendaItem, CouncilSeries, Meeting
from models.errors import ConcurrentEdit
from models.formatting import format_date
from models.policy import can
from webapp.access import access, ensure
from webapp.councils import bp
from webapp.councils.forms_meetings import (
    AttachmentForm,
    ChoiceForm,
    EmptyForm,
    ItemForm,
    ProposeForm,
    ScheduleForm,
)
from webapp.councils.views_meetings import (
    _back_to_item,
    _item_or_404,
    _meeting_or_404,
    _series_or_404,
    _team,
)
from webapp.extensions import db
from webapp.forms_common import version_of
from webapp.unit_of_work import attempt, flash_form_errors

#: the attachment upload may carry 10 Mo (plus the form around it); elsewhere MAX_FORM_MB
UPLOAD_ENDPOINTS = frozenset({"councils.attachment_add"})
UPLOAD_LIMIT = ag.MAX_ATTACHMENT + 512 * 1024


@bp.url_value_preprocessor
def _upload_limit(endpoint: str | None, values: dict | None) -> None:
    """Raise the body limit on the attachment upload alone (set before the CSRF check
    reads the form, which fixes the limit)."""
    if endpoint in UPLOAD_ENDPOINTS:
        request.max_content_length = UPLOAD_LIMIT


# ---------------------------------------------------------------- backlog
@bp.route("/instances/<int:series_id>/sujets")
@access("councils.view")
def backlog(series_id: int):
    series = _series_or_404(series_id)
    form = ItemForm(formdata=None) if _team() else ProposeForm(formdata=None)
    return _render_backlog(series, form)


def _render_backlog(series: CouncilSeries, form, status: int = 200):
    return render_template(
        "councils/backlog.html", series=series, items=ag.backlog_items(db.session, series),
        form=form, manage=_team(), can_propose=can(current_user, "councils.propose"),
        meetings=queries.schedulable_meetings(db.session, series)), status


@bp.route("/instances/<int:series_id>/sujets", methods=["POST"])
@access("councils.propose")
def backlog_propose(series_id: int):
    series = _series_or_404(series_id)
    form = ItemForm() if _team() else ProposeForm()
    if form.validate_on_submit():
        done = attempt(lambda: ag.add_backlog_item(db.session, current_user, series,
                                                   form.data_object()), form=form)
        if done.ok:
            flash("Sujet ajouté aux sujets en attente." if _team() else
                  "Merci : votre proposition est transmise à l'équipe d'animation, qui "
                  "l'inscrira à l'ordre du jour d'une prochaine réunion.", "success")
            return redirect(url_for("councils.backlog", series_id=series_id))
    return _render_backlog(series, form, 422)



# ---------------------------------------------------------------- agenda items
@bp.route("/reunions/<int:meeting_id>/points/nouveau", methods=["GET", "POST"])
@access("councils.manage")
def agenda_item_new(meeting_id: int):
    meeting = _meeting_or_404(meeting_id)
    form = ItemForm()
    if request.method == "POST" and form.validate_on_submit():
        done = attempt(lambda: ag.add_item(db.session, current_user, meeting,
                                           form.data_object()), form=form)
        if done.ok:
            flash("Point ajouté à l'ordre du jour.", "success")
            if request.form.get("encore"):
                return redirect(url_for("councils.agenda_item_new", meeting_id=meeting_id))
            return redirect(url_for("councils.meeting_detail", meeting_id=meeting_id)
                            + "#ordre-du-jour")
        meeting = _meeting_or_404(meeting_id)
    status = 422 if request.method == "POST" else 200
    return render_template("councils/agenda_item_form.html", form=form, meeting=meeting,
                           series=meeting.series, item=None), status


@bp.route("/points/<int:item_id>/modifier", methods=["GET", "POST"])
@access("councils.manage")
def agenda_item_edit(item_id: int):
    item = _item_or_404(item_id)
    form = ItemForm(obj=item if request.method == "GET" else None)
    if item.minutes_of_id is not None:
        form.kind.choices = [(ItemKind.APPROBATION.value, ItemKind.APPROBATION.label)]
    if request.method == "GET":
        form.kind.data = ItemKind(item.kind).value
        form.version_id.data = str(item.version_id)
    elif form.validate_on_submit():
        done = attempt(lambda: ag.update_item(
            db.session, current_user, item, form.data_object(),
            expected_version=version_of(form.version_id.data)), form=form)
        if done.ok:
            flash("Point enregistré.", "success")
            return _back_to_item(done.value)
        item = _item_or_404(item_id)
        if isinstance(done.error, ConcurrentEdit):
            form.version_id.data = str(item.version_id)
    status = 422 if request.method == "POST" else 200
    return render_template("councils/agenda_item_form.html", form=form, meeting=item.meeting,
                           series=db.session.get(CouncilSeries, item.series_id), item=item,
                           attachment_form=AttachmentForm(formdata=None),
                           empty_form=EmptyForm(formdata=None)), status


@bp.route("/points/<int:item_id>/supprimer", methods=["POST"])
@access("councils.manage")
def agenda_item_delete(item_id: int):
    item = _item_or_404(item_id)
    meeting_id, series_id = item.meeting_id, item.series_id
    form = EmptyForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
    elif attempt(lambda: ag.delete_item(db.session, current_user, item)).ok:
        flash("Point retiré.", "success")
    if meeting_id is not None:
        return redirect(url_for("councils.meeting_detail", meeting_id=meeting_id)
                        + "#ordre-du-jour")
    return redirect(url_for("councils.backlog", series_id=series_id))


@bp.route("/sujets/<int:item_id>/retirer", methods=["POST"])
@access("councils.propose")
def backlog_withdraw(item_id: int):
    """A mission locale takes back its own proposal (another's does not exist for it)."""
    item = db.session.get(AgendaItem, item_id)
    ensure(item is not None and (_team() or (
        item.proposed_by_ml_id is not None
        and item.proposed_by_ml_id == current_user.mission_locale_id)))
    series_id = item.series_id
    form = EmptyForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
    elif attempt(lambda: ag.withdraw_proposal(db.session, current_user, item)).ok:
        flash("Proposition retirée.", "success")
    return redirect(url_for("councils.backlog", series_id=series_id))


@bp.route("/points/<int:item_id>/deplacer", methods=["POST"])
@access("councils.manage")
def agenda_item_move(item_id: int):
    item = _item_or_404(item_id)
    form = ChoiceForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
    else:
        attempt(lambda: ag.move_item(db.session, current_user, item, form.value.data or ""))
    return _back_to_item(_item_or_404(item_id))


@bp.route("/points/<int:item_id>/reunion-suivante", methods=["POST"])
@access("councils.manage")
def agenda_item_carry(item_id: int):
    """Move or copy an item to the next meeting of its series."""
    item = _item_or_404(item_id)
    origin = item.meeting_id
    form = ChoiceForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
    else:
        copy = form.value.data == "copier"
        done = attempt(lambda: ag.carry_to_next(db.session, current_user, item, copy=copy))
        if done.ok:
            target = done.value.meeting
            flash(("Point copié" if copy else "Point déplacé")
                  + f" à l'ordre du jour de la réunion du {format_date(target.day)}.",
                  "success")
    if origin is None:
        return redirect(url_for("councils.backlog", series_id=item.series_id))
    return redirect(url_for("councils.meeting_detail", meeting_id=origin) + "#ordre-du-jour")


@bp.route("/points/<int:item_id>/inscrire", methods=["POST"])
@access("councils.manage")
def agenda_item_schedule(item_id: int):
    """A backlog topic onto a meeting's agenda."""
    item = _item_or_404(item_id)
    form = ScheduleForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
        return redirect(url_for("councils.backlog", series_id=item.series_id))
    meeting = db.session.get(Meeting, form.meeting_id.data) if form.meeting_id.data else None
    done = attempt(lambda: ag.schedule_item(db.session, current_user, item, meeting))
    if done.ok:
        flash(f"Sujet inscrit à l'ordre du jour de la réunion du "
              f"{format_date(done.value.meeting.day)}.", "success")
    return redirect(url_for("councils.backlog", series_id=item.series_id))


@bp.route("/points/<int:item_id>/en-attente", methods=["POST"])
@access("councils.manage")
def agenda_item_unschedule(item_id: int):
    item = _item_or_404(item_id)
    meeting_id = item.meeting_id
    form = EmptyForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
    elif attempt(lambda: ag.unschedule_item(db.session, current_user, item)).ok:
        flash("Point renvoyé dans les sujets en attente.", "success")
    if meeting_id is None:
        return redirect(url_for("councils.backlog", series_id=item.series_id))
    return redirect(url_for("councils.meeting_detail", meeting_id=meeting_id)
                    + "#ordre-du-jour")


# ---------------------------------------------------------------- attachments
@bp.route("/points/<int:item_id>/pieces", methods=["POST"])
@access("councils.manage")
def attachment_add(item_id: int):
    item = _item_or_404(item_id)
    form = AttachmentForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
        return _back_to_item(item)
    upload = request.files.get(form.file.name)
    if upload is None or not upload.filename:
        flash("Choisissez un fichier à joindre.", "danger")
        return _back_to_item(item)
    content = upload.read(ag.MAX_ATTACHMENT + 1)
    done = attempt(lambda: ag.add_attachment(db.session, current_user, item, upload.filename,
                                             upload.mimetype, content), label="Pièce jointe")
    if done.ok:
        flash(f"Pièce jointe « {done.value.filename} » ajoutée.", "success")
    return _back_to_item(_item_or_404(item_id))


def _attachment_or_404(attachment_id: int) -> AgendaAttachment:
    attachment = db.session.get(AgendaAttachment, attachment_id)
    ensure(attachment is not None)
    item = attachment.item
    if item.meeting is not None:
        ensure(can(current_user, "councils.meeting", item.meeting))
    else:
        ensure(can(current_user, "councils.view"))
    return attachment


@bp.route("/pieces/<int:attachment_id>")
@access("home.view")
def attachment_download(attachment_id: int):
    """Always a download (never shown inline: an uploaded page never runs here)."""
    attachment = _attachment_or_404(attachment_id)
    name = attachment.filename
    ascii_name = name.encode("ascii", "replace").decode().replace("?", "_").replace('"', "_")
    return Response(attachment.content, mimetype="application/octet-stream", headers={
        "Content-Disposition": f"attachment; filename=\"{ascii_name}\"; "
                               f"filename*=UTF-8''{quote(name)}",
        "X-Content-Type-Options": "nosniff",
        "ETag": f'"{attachment.sha256}"'})


@bp.route("/pieces/<int:attachment_id>/supprimer", methods=["POST"])
@access("councils.manage")
def attachment_delete(attachment_id: int):
    attachment = db.session.get(AgendaAttachment, attachment_id)
    ensure(attachment is not None)
    item = attachment.item
    form = EmptyForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
    elif attempt(lambda: ag.delete_attachment(db.session, current_user, attachment)).ok:
        flash("Pièce jointe supprimée.", "success")
    return _back_to_item(item)

