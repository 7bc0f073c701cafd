"""Convocations and evaluation requests (team), the public survey behind each personal
link, the anonymous results (team and copil), and the ICS feed of the sessions.

The survey needs no account: the signed token in the URL is the only key, checked by
``models.training.evaluations`` (forged, expired or already used → a French page,
nothing written).
"""

from __future__ import annotations

from datetime import timedelta

from flask import Response, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms import HiddenField, RadioField, TextAreaField

from models.policy import can
from models.training import evaluations
from models.training import queries as training_queries
from models.training.calendar import sessions_feed
from models.training.convocations import convocations_sent, send_convocations
from webapp.access import access, public
from webapp.extensions import db
from webapp.forms_common import Form
from webapp.links import public_url
from webapp.training import bp
from webapp.training.common import session_or_404, today, training_or_404
from webapp.unit_of_work import attempt, flash_form_errors

STATUS_OF = {"forged": 404, "expired": 410, "used": 410}


class SendForm(Form):
    """A team button: CSRF token, and where to come back to."""

    retour = HiddenField()
    relance = HiddenField()


class SurveyForm(Form):
    # the domain validates the scores (1–5) and the comment: one set of French messages
    overall = RadioField(validate_choice=False)
    objectives_met = RadioField(validate_choice=False)
    trainer = RadioField(validate_choice=False)
    organisation = RadioField(validate_choice=False)
    comment = TextAreaField("Commentaires libres (facultatif)")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for key, label in evaluations.QUESTIONS:
            field = getattr(self, key)
            field.label.text = label
            field.choices = [(str(score), text) for score, text in evaluations.SCALE]


def _secret() -> str:
    return current_app.config["SECRET_KEY"]


def _max_age() -> timedelta:
    return current_app.config.get("EVALUATION_MAX_AGE", evaluations.DEFAULT_MAX_AGE)


def _back(session_id: int, default: str):
    target = request.form.get("retour") or default
    endpoint = {"evaluations": "training.session_evaluations"}.get(
        target, "training.session_detail")
    return redirect(url_for(endpoint, session_id=session_id))


# ---------------------------------------------------------------- the public survey
def _invalid(error: evaluations.InvalidToken):
    return render_template("training/evaluation_invalid.html", error=error), \
        STATUS_OF.get(error.reason, 400)


@bp.route("/evaluation/<token>", methods=["GET", "POST"])
@public
def evaluation_survey(token: str):
    try:
        reg = evaluations.check_token(db.session, token, secret=_secret(), max_age=_max_age())
    except evaluations.InvalidToken as error:
        return _invalid(error)
    ts = reg.session
    form = SurveyForm()
    if request.method == "POST" and form.validate_on_submit():
        answers = {key: getattr(form, key).data for key, _ in evaluations.QUESTIONS}
        answers["comment"] = form.comment.data
        done = attempt(lambda: evaluations.submit(db.session, token, answers, secret=_secret(),
                                                  max_age=_max_age()), form=form)
        if done.ok:
            return render_template("training/evaluation_thanks.html", ts=ts)
        if isinstance(done.error, evaluations.InvalidToken):  # answered meanwhile
            return _invalid(done.error)
    return render_template("training/evaluation_form.html", form=form, ts=ts,
                           training=ts.training, comment_max=evaluations.COMMENT_MAX)


# ---------------------------------------------------------------- results
@bp.route("/sessions/<int:session_id>/evaluations")
@access("training.stats")
def session_evaluations(session_id: int):
    ts = session_or_404(session_id)
    manage = can(current_user, "training.manage")
    sent = convocations_sent(db.session, ts) if manage else None
    return render_template(
        "training/evaluation_results.html", ts=ts, training=ts.training,
        summary=evaluations.session_summary(db.session, ts), questions=evaluations.QUESTIONS,
        manage=manage, send_form=SendForm(formdata=None), convocations=sent,
        invitees=len(evaluations.invitees(db.session, ts)) if manage else 0)


@bp.route("/<int:training_id>/evaluations")
@access("training.stats")
def training_evaluations(training_id: int):
    training = training_or_404(training_id)
    return render_template(
        "training/evaluation_training.html", training=training,
        summary=evaluations.training_summary(db.session, training.id),
        rows=evaluations.per_session(db.session, training.id),
        questions=evaluations.QUESTIONS)


# ---------------------------------------------------------------- team actions
@bp.route("/sessions/<int:session_id>/convocations", methods=["POST"])
@access("training.manage")
def send_session_convocations(session_id: int):
    ts = session_or_404(session_id)
    form = SendForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
        return _back(ts.id, "session")
    done = attempt(lambda: send_convocations(db.session, current_user, ts))
    if done.ok:
        flash(f"{done.value} convocation{'s' if done.value > 1 else ''} envoyée"
              f"{'s' if done.value > 1 else ''}, avec le fichier agenda (.ics).", "success")
    return _back(session_id, "session")


@bp.route("/sessions/<int:session_id>/evaluations/envoi", methods=["POST"])
@access("training.manage")
def send_session_evaluations(session_id: int):
    ts = session_or_404(session_id)
    form = SendForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
        return _back(ts.id, "evaluations")
    reminder = form.relance.data == "1"
    placeholder = "-"
    base = public_url("training.evaluation_survey", token=placeholder)[:-1]
    done = attempt(lambda: evaluations.send_evaluation_requests(
        db.session, current_user, ts, _secret(), base, reminder=reminder, max_age=_max_age()))
    if done.ok:
        s = "s" if done.value > 1 else ""
        what = f"relance{s}" if reminder else f"demande{s} d'évaluation"
        flash(f"{done.value} {what} envoyée{s} : chacun·e reçoit son lien personnel.",
              "success")
    return _back(session_id, "evaluations")


# ---------------------------------------------------------------- ICS feed
@bp.route("/sessions.ics")
@access("training.view")
def sessions_ics():
    """Every session not cancelled, from a year back: titles, half-days, places; no one's
    name, no video link."""
    sessions = training_queries.sessions_for_feed(db.session, today())
    return Response(sessions_feed(sessions), mimetype="text/calendar",
                    headers={"Content-Disposition": 'inline; filename="formations.ics"',
                             "Cache-Control": "private, max-age=300"})
