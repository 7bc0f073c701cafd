"""Évaluation à chaud: a personal link per trainee, one anonymous answer, aggregates.

The link carries a signed token (itsdangerous, salt ``evaluation``, with its issue
time): forged or expired tokens are refused, and ``Registration.evaluation_done_at``
makes it single use. The answer is stored WITHOUT any link to the registration, and
nothing orders answers against registrations: ``evaluation_done_at`` keeps the day
only, and is set by a plain UPDATE (no audit entry, no ``updated_at`` change) whose
condition also makes two simultaneous submissions of one link count once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import and_, exists, func, or_, select, update
from sqlalchemy.orm import Session

from models import clock
from models.accounts.roles import ARML_TEAM, Role
from models.base import utcnow
from models.errors import DomainError, Errors, PermissionDenied
from models.formatting import TIMEZONE, format_date
from models.mail.outbox import queue_mail
from models.training.enums import Presence, RegistrationStatus, SessionStatus
from models.training.notifications import SIGNATURE, session_line
from models.training.orm import Attendance, Evaluation, Registration, TrainingSession

SALT = "evaluation"
DEFAULT_MAX_AGE = timedelta(days=30)
COMMENT_MAX = 2000
MIN_RESPONSES = 3  # below this, a report would let people guess who said what
KIND = "evaluation"

QUESTIONS: tuple[tuple[str, str], ...] = (
    ("overall", "Satisfaction globale"),
    ("objectives_met", "Les objectifs de la formation ont été atteints"),
    ("trainer", "Le formateur ou la formatrice (clarté, disponibilité, animation)"),
    ("organisation", "L'organisation (convocation, lieu ou connexion, horaires, accueil)"),
)
SCALE: tuple[tuple[int, str], ...] = (
    (1, "Pas du tout satisfait·e"), (2, "Peu satisfait·e"), (3, "Moyennement satisfait·e"),
    (4, "Satisfait·e"), (5, "Très satisfait·e"))


class InvalidToken(DomainError):
    """A survey link that cannot be used; ``reason`` is forged, expired or used."""

    def __init__(self, reason: str, message: str):
        self.reason = reason
        super().__init__(message)


FORGED = ("Ce lien d'évaluation n'est pas valide. Vérifiez qu'il a été copié en entier "
          "depuis l'e-mail reçu ; sinon, demandez un nouveau lien à l'équipe de l'ARML.")
USED = ("Vous avez déjà répondu à ce questionnaire : merci ! Une seule réponse est "
        "possible par personne, elle ne peut plus être modifiée.")


def _expired_message(max_age: timedelta) -> str:
    return (f"Ce lien d'évaluation a expiré (il était valable {max_age.days} jours). "
            "Si vous souhaitez encore donner votre avis, écrivez à l'équipe de l'ARML.")


# ---------------------------------------------------------------- tokens
class _ClockSigner(TimestampSigner):
    """A timestamp signer whose clock can be set (tests, expiry checks)."""

    def __init__(self, *args: Any, now: datetime | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._now = now

    def get_timestamp(self) -> int:
        return int(self._now.timestamp()) if self._now is not None else int(clock.now().timestamp())


def _serializer(secret: str | bytes, now: datetime | None) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt=SALT, signer=_ClockSigner,
                                  signer_kwargs={"now": now})


def make_token(secret: str | bytes, registration_id: int, *, now: datetime | None = None
               ) -> str:
    return _serializer(secret, now).dumps({"r": registration_id})


def check_token(session: Session, token: str, *, secret: str | bytes,
                now: datetime | None = None, max_age: timedelta = DEFAULT_MAX_AGE
                ) -> Registration:
    """The registration a link belongs to, or ``InvalidToken`` with a French message."""
    try:
        payload = _serializer(secret, now).loads(token, max_age=int(max_age.total_seconds()))
    except SignatureExpired:
        raise InvalidToken("expired", _expired_message(max_age)) from None
    except BadSignature:
        raise InvalidToken("forged", FORGED) from None
    reg_id = payload.get("r") if isinstance(payload, dict) else None
    reg = session.get(Registration, reg_id) if isinstance(reg_id, int) else None
    if reg is None:
        raise InvalidToken("forged", FORGED)
    if reg.evaluation_done_at is not None:
        raise InvalidToken("used", USED)
    return reg


# ---------------------------------------------------------------- sending the links
def _may_run(actor: Any) -> None:
    if actor is not None and Role(actor.role) not in ARML_TEAM:
        raise PermissionDenied()


def invitees(session: Session, ts: TrainingSession) -> list[Registration]:
    """Who is asked: trainees marked present at least once, and confirmed trainees whose
    attendance was not recorded (never someone recorded absent on every half-day)."""
    attended = exists().where(Attendance.registration_id == Registration.id,
                              Attendance.presence == Presence.PRESENT)
    recorded = exists().where(Attendance.registration_id == Registration.id)
    return list(session.scalars(select(Registration).where(
        Registration.session_id == ts.id,
        or_(attended, and_(Registration.status == RegistrationStatus.CONFIRMEE, ~recorded)))
        .order_by(Registration.last_name, Registration.first_name, Registration.id)))


def send_evaluation_requests(session: Session, actor: Any, ts: TrainingSession,
                             secret: str | bytes, base_url: str, *, reminder: bool = False,
                             now: datetime | None = None,
                             max_age: timedelta = DEFAULT_MAX_AGE) -> int:
    """Queue each trainee's personal link (``base_url`` + token). First sending: those not
    asked yet; ``reminder``: everyone who has not answered. Returns how many."""
    _may_run(actor)
    if SessionStatus(ts.status) is not SessionStatus.REALISEE:
        raise DomainError("Les demandes d'évaluation s'envoient après la session : passez "
                          "d'abord la session au statut « réalisée ».")
    now = now or utcnow()
    targets = [reg for reg in invitees(session, ts) if reg.evaluation_done_at is None
               and (reminder or reg.evaluation_sent_at is None)]
    if not targets:
        raise DomainError("Personne à qui envoyer une demande d'évaluation : chaque "
                          "participant·e l'a déjà reçue ou a déjà répondu.")
    until = format_date(now + max_age)
    prefix = base_url if base_url.endswith("/") else base_url + "/"
    for reg in targets:
        link = prefix + make_token(secret, reg.id, now=now)
        queue_mail(
            session, [reg.email],
            f"{'Rappel : ' if reminder else ''}Votre avis sur la formation "
            f"« {ts.training.title} »",
            f"Bonjour {reg.first_name},\n\nVous avez suivi la formation {session_line(ts)}. "
            f"Votre avis nous aide à améliorer le programme régional : le questionnaire "
            f"prend deux minutes et vos réponses sont anonymes.\n\n{link}\n\nCe lien est "
            f"personnel, utilisable une seule fois, jusqu'au {until}." + SIGNATURE,
            kind=KIND, about=ts)
        reg.evaluation_sent_at = now
    session.flush()
    return len(targets)


# ---------------------------------------------------------------- answering
def _score(raw: Any) -> int | None:
    try:
        value = int(str(raw).strip())
    except (TypeError, ValueError):
        return None
    return value if 1 <= value <= 5 else None


def submit(session: Session, token: str, answers: Mapping[str, Any], *,
           secret: str | bytes, now: datetime | None = None,
           max_age: timedelta = DEFAULT_MAX_AGE) -> Evaluation:
    """Validate and store one anonymous answer; the link cannot be used again."""
    now = now or utcnow()
    reg = check_token(session, token, secret=secret, now=now, max_age=max_age)
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
    day = now.astimezone(TIMEZONE).date()
    # conditional UPDATE: of two simultaneous submissions, only one finds the link unused
    done = session.execute(
        update(Registration)
        .where(Registration.id == reg.id, Registration.evaluation_done_at.is_(None))
        .values(evaluation_done_at=datetime(day.year, day.month, day.day, tzinfo=UTC),
                updated_at=Registration.updated_at)
        .execution_options(synchronize_session=False))
    if done.rowcount != 1:
        raise InvalidToken("used", USED)
    evaluation = Evaluation(session_id=reg.session_id, comment=comment, submitted_on=day,
                            **scores)
    session.add(evaluation)
    session.flush()
    session.expire(reg, ["evaluation_done_at"])
    return evaluation


# ---------------------------------------------------------------- reports
@dataclass
class EvaluationSummary:
    responses: int
    invited: int
    averages: dict[str, Decimal | None]
    distribution: dict[str, list[int]]  # question → counts of 1, 2, 3, 4, 5
    comments: list[str] = field(default_factory=list)
    min_responses: int = MIN_RESPONSES

    @property
    def response_rate(self) -> Decimal | None:
        if not self.invited:
            return None
        return (Decimal(self.responses) / Decimal(self.invited)).quantize(Decimal("0.0001"))

    @property
    def shown(self) -> bool:
        """Enough answers for the report not to point at anyone."""
        return self.responses >= self.min_responses

    @property
    def overall(self) -> Decimal | None:
        return self.averages.get("overall")


def _summary(session: Session, evaluation_filter: Any, invited_filter: Any,
             min_responses: int) -> EvaluationSummary:
    keys = [key for key, _ in QUESTIONS]
    rows = session.execute(select(*(getattr(Evaluation, k) for k in keys), Evaluation.comment)
                           .where(evaluation_filter)).all()
    invited = session.scalar(select(func.count()).select_from(Registration)
                             .where(invited_filter, Registration.evaluation_sent_at.is_not(None))
                             ) or 0
    averages: dict[str, Decimal | None] = {}
    distribution: dict[str, list[int]] = {}
    for i, key in enumerate(keys):
        values = [row[i] for row in rows]
        averages[key] = (Decimal(sum(values)) / Decimal(len(values))).quantize(
            Decimal("0.01"), rounding=ROUND_HALF_UP) if values else None
        distribution[key] = [values.count(score) for score in range(1, 6)]
    # sorted, not in answer order: the order of answers is not a clue to who wrote them
    comments = sorted((row[-1] for row in rows if row[-1]), key=str.casefold)
    return EvaluationSummary(responses=len(rows), invited=max(invited, len(rows)),
                             averages=averages, distribution=distribution, comments=comments,
                             min_responses=min_responses)


def session_summary(session: Session, ts: TrainingSession, *,
                    min_responses: int = MIN_RESPONSES) -> EvaluationSummary:
    return _summary(session, Evaluation.session_id == ts.id, Registration.session_id == ts.id,
                    min_responses)


def training_summary(session: Session, training_id: int, *,
                     min_responses: int = MIN_RESPONSES) -> EvaluationSummary:
    """Every session of a training together (cancelled ones have no answers)."""
    session_ids = select(TrainingSession.id).where(TrainingSession.training_id == training_id)
    return _summary(session, Evaluation.session_id.in_(session_ids),
                    Registration.session_id.in_(session_ids), min_responses)


def per_session(session: Session, training_id: int, *, min_responses: int = MIN_RESPONSES
                ) -> list[tuple[TrainingSession, EvaluationSummary]]:
    sessions = session.scalars(select(TrainingSession).where(
        TrainingSession.training_id == training_id,
        TrainingSession.status == SessionStatus.REALISEE)
        .order_by(TrainingSession.start_date, TrainingSession.id)).all()
    return [(ts, session_summary(session, ts, min_responses=min_responses)) for ts in sessions]
