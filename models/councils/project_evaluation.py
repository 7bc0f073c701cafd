"""A collective project's evaluation: a personal link per binôme member of the retained
missions locales, one anonymous answer each, results shown from 3 answers.

The same machinery as the training survey (``models.training.evaluations``): a signed
token (itsdangerous, salt ``project-evaluation``, so a training link never opens this
survey nor the reverse) carrying its issue time; ``BinomeMember.evaluation_done_at``
makes it single use and keeps the day only, set by a plain conditional UPDATE (no audit
entry, and two simultaneous submissions count once). The answer row has no link to
the person.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from models.base import utcnow
from models.councils.enums import ParticipantStatus
from models.councils.orm import (
    BinomeMember,
    CollectiveProject,
    ProjectEvaluation,
    ProjectParticipant,
)
from models.councils.projects import last_session_date, require_manage
from models.errors import DomainError, Errors
from models.formatting import TIMEZONE, format_date
from models.mail.outbox import queue_mail
from models.training.evaluations import (
    COMMENT_MAX,
    FORGED,
    MIN_RESPONSES,
    USED,
    EvaluationSummary,
    InvalidToken,
    _ClockSigner,
    _expired_message,
    _score,
)
from models.training.notifications import SIGNATURE

SALT = "project-evaluation"
#: a project's evaluation comes months after its sessions: people get more time to answer
DEFAULT_MAX_AGE = timedelta(days=60)
KIND = "evaluation_projet"

QUESTIONS: tuple[tuple[str, str], ...] = (
    ("overall", "Satisfaction globale sur le projet"),
    ("usefulness", "Utilité du projet pour votre mission locale"),
    ("changes", "Changements engagés dans votre mission locale grâce au projet"),
)
SCALE: tuple[tuple[int, str], ...] = (
    (1, "Pas du tout"), (2, "Peu"), (3, "Moyennement"), (4, "Beaucoup"), (5, "Tout à fait"))

# ---------------------------------------------------------------- tokens
WITHDRAWN = ("Ce lien n'est plus valable : votre mission locale s'est retirée du projet. "
             "Merci de votre participation.")


def _serializer(secret: str | bytes, now: datetime | None) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt=SALT, signer=_ClockSigner,
                                  signer_kwargs={"now": now})


def make_token(secret: str | bytes, member_id: int, *, now: datetime | None = None) -> str:
    return _serializer(secret, now).dumps({"b": member_id})


def check_token(session: Session, token: str, *, secret: str | bytes,
                now: datetime | None = None, max_age: timedelta = DEFAULT_MAX_AGE
                ) -> BinomeMember:
    """The binôme member a link belongs to, or ``InvalidToken`` with a French message."""
    try:
        payload = _serializer(secret, now).loads(token, max_age=int(max_age.total_seconds()))
    except SignatureExpired:
        raise InvalidToken("expired", _expired_message(max_age)) from None
    except BadSignature:
        raise InvalidToken("forged", FORGED) from None
    member_id = payload.get("b") if isinstance(payload, dict) else None
    member = session.get(BinomeMember, member_id) if isinstance(member_id, int) else None
    if member is None:
        raise InvalidToken("forged", FORGED)
    if member.evaluation_done_at is not None:
        raise InvalidToken("used", USED)
    if ParticipantStatus(member.participant.status) is not ParticipantStatus.RETENU:
        # the mission locale left the project: its people no longer answer for it
        raise InvalidToken("used", WITHDRAWN)
    return member


def project_of(member: BinomeMember) -> CollectiveProject:
    return member.participant.project


# ---------------------------------------------------------------- sending the links
def invitees(session: Session, project: CollectiveProject) -> list[BinomeMember]:
    """Who is asked: the binôme members of the retained missions locales."""
    return list(session.scalars(
        select(BinomeMember).join(BinomeMember.participant).where(
            ProjectParticipant.project_id == project.id,
            ProjectParticipant.status == ParticipantStatus.RETENU)
        .order_by(BinomeMember.full_name, BinomeMember.id)))


def send_evaluation_requests(session: Session, actor: Any, project: CollectiveProject,
                             secret: str | bytes, base_url: str, *, reminder: bool = False,
                             now: datetime | None = None,
                             max_age: timedelta = DEFAULT_MAX_AGE) -> int:
    """Queue each binôme member's personal link (``base_url`` + token). First sending:
    those not asked yet; ``reminder``: everyone who has not answered. Returns how many."""
    require_manage(actor)
    now = now or utcnow()
    last = last_session_date(session, project)
    if last is not None and last >= now.astimezone(TIMEZONE).date():
        raise DomainError(f"L'évaluation du projet s'envoie après sa dernière session "
                          f"(le {format_date(last)}).")
    asked = invitees(session, project)
    if not asked:
        raise DomainError("Personne à qui envoyer l'évaluation : saisissez le binôme des "
                          "missions locales retenues.")
    targets = [m for m in asked if m.evaluation_done_at is None
               and (reminder or m.evaluation_sent_at is None)]
    if not targets:
        raise DomainError("Personne à qui envoyer une demande d'évaluation : chaque membre "
                          "des binômes l'a déjà reçue ou a déjà répondu.")
    until = format_date(now + max_age)
    prefix = base_url if base_url.endswith("/") else base_url + "/"
    for member in targets:
        link = prefix + make_token(secret, member.id, now=now)
        queue_mail(
            session, [member.email],
            f"{'Rappel : ' if reminder else ''}Votre avis sur le projet « {project.title} »",
            f"Bonjour {member.full_name},\n\nVotre mission locale "
            f"({member.participant.mission_locale.name}) a participé au projet collectif "
            f"« {project.title} ». Quelques mois après, qu'en retenez-vous ? Le "
            f"questionnaire prend deux minutes et vos réponses sont anonymes.\n\n{link}\n\n"
            f"Ce lien est personnel, utilisable une seule fois, jusqu'au {until}." + SIGNATURE,
            kind=KIND, about=project)
        member.evaluation_sent_at = now
    session.flush()
    return len(targets)


# ---------------------------------------------------------------- answering
def submit(session: Session, token: str, answers: Mapping[str, Any], *,
           secret: str | bytes, now: datetime | None = None,
           max_age: timedelta = DEFAULT_MAX_AGE) -> ProjectEvaluation:
    """Validate and store one anonymous answer; the link cannot be used again."""
    now = now or utcnow()
    member = check_token(session, token, secret=secret, now=now, max_age=max_age)
    errors = Errors()
    scores: dict[str, int] = {}
    for key, _label in QUESTIONS:
        score = _score(answers.get(key))
        if score is None:
            errors.add(key, "Choisissez une note de 1 à 5.")
        else:
            scores[key] = score
    comment = str(answers.get("comment") or "").strip()
    if len(comment) > COMMENT_MAX:
        errors.add("comment", f"Le commentaire ne doit pas dépasser {COMMENT_MAX:,} caractères "
                              f"({len(comment):,} saisis).".replace(",", "\u202f"))
    errors.raise_if_any()
    project_id = member.participant.project_id
    day = now.astimezone(TIMEZONE).date()
    # conditional UPDATE: of two simultaneous submissions, only one finds the link unused
    done = session.execute(
        update(BinomeMember)
        .where(BinomeMember.id == member.id, BinomeMember.evaluation_done_at.is_(None))
        .values(evaluation_done_at=datetime(day.year, day.month, day.day, tzinfo=UTC))
        .execution_options(synchronize_session=False))
    if done.rowcount != 1:
        raise InvalidToken("used", USED)
    evaluation = ProjectEvaluation(project_id=project_id, comment=comment, submitted_on=day,
                                   **scores)
    session.add(evaluation)
    session.flush()
    session.expire(member, ["evaluation_done_at"])
    return evaluation


# ---------------------------------------------------------------- results
def summary(session: Session, project: CollectiveProject, *,
            min_responses: int = MIN_RESPONSES) -> EvaluationSummary:
    """The training survey's figures for the project. Below ``min_responses`` answers only
    the counts are given: no average, distribution or comment leaves this function."""
    keys = [key for key, _ in QUESTIONS]
    rows = session.execute(
        select(*(getattr(ProjectEvaluation, k) for k in keys), ProjectEvaluation.comment)
        .where(ProjectEvaluation.project_id == project.id)).all()
    invited = session.scalar(
        select(func.count()).select_from(BinomeMember).join(BinomeMember.participant)
        .where(ProjectParticipant.project_id == project.id,
               ProjectParticipant.status == ParticipantStatus.RETENU,
               BinomeMember.evaluation_sent_at.is_not(None))) or 0
    averages: dict[str, Decimal | None] = {}
    distribution: dict[str, list[int]] = {}
    for i, key in enumerate(keys):
        values = [row[i] for row in rows]
        averages[key] = (Decimal(sum(values)) / Decimal(len(values))).quantize(
            Decimal("0.01"), rounding=ROUND_HALF_UP) if values else None
        distribution[key] = [values.count(score) for score in range(1, 6)]
    # sorted, not in answer order: the order of answers is not a clue to who wrote them
    comments = sorted((row[-1] for row in rows if row[-1]), key=str.casefold)
    if len(rows) < min_responses:
        averages = dict.fromkeys(keys)
        distribution = {key: [0] * 5 for key in keys}
        comments = []
    return EvaluationSummary(responses=len(rows), invited=max(invited, len(rows)),
                             averages=averages, distribution=distribution, comments=comments,
                             min_responses=min_responses)
