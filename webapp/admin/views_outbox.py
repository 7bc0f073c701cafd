"""/admin/courriels: every e-mail the product queued, sent or not (admins only).

In development (no ``SMTP_HOST``) this is where the messages are read; in production
it shows what failed and why.
"""

from __future__ import annotations

from flask import render_template, request
from sqlalchemy import String, cast, func, or_, select

from models.mail.orm import OutboxMessage
from models.mail.settings import MailSettings
from webapp.access import access, ensure
from webapp.admin import bp
from webapp.extensions import db
from webapp.listing import list_page

KIND_LABELS = {
    "confirmation": "Inscription confirmée",
    "liste_attente": "Liste d'attente",
    "promotion": "Place confirmée (liste d'attente)",
    "promotion_ml": "Place confirmée (mission locale)",
    "offre": "Place proposée",
    "annulation": "Session annulée",
    "changement_dates": "Changement de dates",
    "convocation": "Convocation",
    "evaluation": "Demande d'évaluation",
}
STATUSES = {"envoye": "Envoyés", "attente": "En attente", "echec": "En échec"}

SORTABLE = {
    "date": OutboxMessage.created_at,
    "objet": OutboxMessage.subject,
    "type": OutboxMessage.kind,
    "envoi": OutboxMessage.sent_at,
    "essais": OutboxMessage.attempts,
}


def kind_label(kind: str) -> str:
    return KIND_LABELS.get(kind, kind.replace("_", " ").capitalize())


@bp.route("/courriels")
@access("outbox.view")
def outbox():
    stmt = select(OutboxMessage)
    kind = request.args.get("type", "")
    if kind:
        stmt = stmt.where(OutboxMessage.kind == kind)
    status = request.args.get("statut", "")
    if status == "envoye":
        stmt = stmt.where(OutboxMessage.sent_at.is_not(None))
    elif status == "attente":
        stmt = stmt.where(OutboxMessage.sent_at.is_(None), OutboxMessage.last_error == "")
    elif status == "echec":
        stmt = stmt.where(OutboxMessage.sent_at.is_(None), OutboxMessage.last_error != "")
    search = request.args.get("q", "").strip()
    if search:
        pattern = f"%{search.lower()}%"
        stmt = stmt.where(or_(func.lower(OutboxMessage.subject).like(pattern),
                              func.lower(cast(OutboxMessage.recipients, String)).like(pattern)))
    listing = list_page(stmt, SORTABLE, "date", default_direction="desc",
                        tiebreak=OutboxMessage.id.desc())
    kinds = db.session.scalars(select(OutboxMessage.kind).distinct()
                               .order_by(OutboxMessage.kind)).all()
    pending = db.session.scalar(select(func.count()).select_from(OutboxMessage)
                                .where(OutboxMessage.sent_at.is_(None))) or 0
    try:
        smtp = MailSettings.from_env()
    except RuntimeError:
        smtp = None
    return render_template("admin/outbox.html", listing=listing, kinds=kinds,
                           kind_label=kind_label, statuses=STATUSES, pending=pending,
                           smtp=smtp)


@bp.route("/courriels/<int:message_id>")
@access("outbox.view")
def outbox_message(message_id: int):
    message = db.session.get(OutboxMessage, message_id)
    ensure(message is not None)
    return render_template("admin/outbox_message.html", message=message,
                           kind_label=kind_label)
