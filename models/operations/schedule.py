"""Scheduled jobs: the registry, the run recorder and the schedule arithmetic.

Every job the worker runs on a schedule is declared once in :data:`JOBS`: its slug, its
French label and schedule, a huey crontab (in French local time) and the callable.
``models.parcours.jobs`` turns each into a huey periodic task that calls :func:`run_job`,
and the admin page "Tâches planifiées" reads the same registry and the ``job_run`` rows.

A run is recorded before it starts (committed at once: a worker killed mid-run leaves
it "en cours", and the next start marks it "interrompue"), then finished with its
outcome, duration and a French message. A failing run e-mails the active admins, at
most once a day per job. No cron to set up: the worker (Procfile ``worker:``) is enough.
"""

from __future__ import annotations

import logging
import os
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from huey import crontab
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session

from models import clock
from models.errors import DomainError
from models.operations.orm import JobRun

log = logging.getLogger(__name__)

#: another run of the same job started less than this ago and still "en cours": skip
RUNNING_GUARD = timedelta(hours=6)
#: a failing job e-mails the admins at most once per this delay
FAILURE_MAIL_EVERY = timedelta(days=1)
#: runs older than this are deleted (the page shows the recent history only)
RUNS_KEPT = timedelta(days=30)
#: leftover uploads (no unfinished import refers to them) older than this are deleted
UPLOAD_MAX_AGE = timedelta(days=1)
#: how far ahead :func:`next_run` looks (the longest schedule is weekly)
HORIZON = timedelta(days=8)

INTERRUPTED = "Le processus de tâches s'est arrêté pendant l'exécution"
STATUS_LABELS = {"en_cours": "En cours", "reussie": "Réussie", "echec": "Échec",
                 "interrompue": "Interrompue"}
TRIGGER_LABELS = {"planifiee": "Planifiée", "manuelle": "Lancée à la main"}


class JobError(Exception):
    """A job's failure, said in French for the page (no traceback needed)."""


@dataclass(frozen=True)
class Outcome:
    """What a job may return instead of its bare French summary: the summary and a count
    (how many things it did), which :func:`run_job` leaves on the run as ``run.count``."""

    message: str
    count: int | None = None


@dataclass(frozen=True)
class Job:
    name: str  # slug, in URLs and task names
    label: str
    schedule: str  # in French, for the page and the README
    cron: dict[str, str]  # huey ``crontab`` arguments, read in French local time
    run: Callable[[Engine], str | Outcome] = field(repr=False)
    #: what the admin reads before "lancer maintenant"
    description: str = ""

    def matches(self, moment: datetime) -> bool:
        """Is ``moment`` (aware) a minute this job is due, in French local time?"""
        local = moment.astimezone(clock.LOCAL).replace(tzinfo=None)
        return _crontab(self.name)(local)


_CRONTABS: dict[tuple[str, bool], Callable[[datetime], bool]] = {}


def _crontab(name: str, *, hourly: bool = False) -> Callable[[datetime], bool]:
    """The job's huey crontab; ``hourly``: the same without its minutes (is the hour due?)."""
    key = (name, hourly)
    if key not in _CRONTABS:
        spec = {**JOBS[name].cron, **({"minute": "*"} if hourly else {})}
        _CRONTABS[key] = crontab(strict=True, **spec)
    return _CRONTABS[key]


# ---------------------------------------------------------------- the jobs themselves
@contextmanager
def job_session(engine: Engine) -> Iterator[Session]:
    """A session whose changes are audited as the scheduled job's; commits on success."""
    from models.audit import set_actor

    with Session(engine) as session:
        set_actor(session, None, via="job")
        yield session
        session.commit()


def _plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def send_mail(engine: Engine) -> str:
    """Deliver the outbox; a message that failed waits its back-off (1, 2, 4… min)."""
    from sqlalchemy import func

    from models.mail.delivery import MAX_ATTEMPTS, deliver_pending
    from models.mail.orm import OutboxMessage
    from models.mail.settings import MailSettings

    try:
        settings = MailSettings.from_env()
    except RuntimeError as exc:
        raise JobError(f"Configuration d'envoi invalide : {exc}") from None
    with job_session(engine) as session:
        if not settings.configured:
            waiting = session.scalar(select(func.count()).select_from(OutboxMessage)
                                     .where(OutboxMessage.sent_at.is_(None))) or 0
            return ("Aucun serveur d'envoi configuré (SMTP_HOST) : rien n'est envoyé, "
                    f"{_plural(waiting, 'courriel attend', 'courriels attendent')} dans la "
                    "boîte d'envoi.")
        report = deliver_pending(session, settings, due_only=True, now=clock.now(),
                                 limit=1000)
        given_up = session.scalar(select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.sent_at.is_(None), OutboxMessage.attempts >= MAX_ATTEMPTS)) or 0
    if report.failed and not report.sent and any(
            e.startswith("Serveur d'envoi injoignable") for e in report.errors):
        raise JobError(f"{report.errors[0]} ({_plural(report.failed, 'courriel', 'courriels')} "
                       "réessayé(s) plus tard).")
    text = (f"{_plural(report.sent, 'courriel envoyé', 'courriels envoyés')}, "
            f"{report.failed} en échec")
    if report.failed:
        text += " (nouvel essai après un délai croissant)"
    if given_up:
        text += (f" ; {_plural(given_up, 'courriel abandonné', 'courriels abandonnés')} après "
                 f"{MAX_ATTEMPTS} essais (voir Courriels)")
    return text + "."


def expire_offers(engine: Engine) -> str:
    from models.training.registrations import expire_offers as expire

    with job_session(engine) as session:
        lapsed = expire(session, now=clock.now())
    if not lapsed:
        return "Aucune place proposée n'a dépassé son délai de réponse."
    return (f"{_plural(lapsed, 'offre expirée', 'offres expirées')} : les places libérées "
            "sont passées aux personnes suivantes.")


def sweep_imports(engine: Engine) -> str:
    """Queue again the imports a crash left unfinished; delete leftover uploads."""
    from models.parcours.jobs import requeue_interrupted

    queued = requeue_interrupted(engine)
    removed = delete_leftover_uploads(engine)
    parts = []
    parts.append(f"{_plural(len(queued), 'import interrompu remis', 'imports interrompus remis')}"
                 " en file" if queued else "Aucun import interrompu")
    parts.append(f"{_plural(removed, 'dépôt abandonné supprimé', 'dépôts abandonnés supprimés')}"
                 if removed else "aucun dépôt abandonné")
    return " ; ".join(parts) + "."


def delete_leftover_uploads(engine: Engine) -> int:
    """Delete the deposit folders under ``uploads_folder`` that no unfinished import refers
    to and that are older than :data:`UPLOAD_MAX_AGE` (a deposit whose import was never
    recorded, a crash between the two). Returns how many were deleted."""
    from models.parcours.orm import ParcoursImport
    from models.parcours.uploads import uploads_folder

    root = uploads_folder().resolve()
    with Session(engine) as session:
        paths = session.scalars(select(ParcoursImport.stored_path).where(
            ParcoursImport.status.in_(["en_attente", "en_cours"]),
            ParcoursImport.stored_path.is_not(None))).all()
    kept = set()
    for path in paths:
        try:
            relative = Path(path).resolve().relative_to(root)
        except ValueError:
            continue
        if relative.parts:
            kept.add(relative.parts[0])
    limit = (clock.now() - UPLOAD_MAX_AGE).timestamp()
    removed = 0
    for entry in root.iterdir():
        if entry.name in kept:
            continue
        try:
            if entry.lstat().st_mtime >= limit:
                continue
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()
        except FileNotFoundError:
            continue
        removed += 1
    return removed


def nightly_backup(engine: Engine) -> str:
    try:
        from models.operations.backup import scheduled_backup
    except ImportError:
        raise JobError("La sauvegarde automatique n'est pas disponible dans cette version "
                       "(models.operations.backup.scheduled_backup absent).") from None
    return scheduled_backup()


def retention_purge(engine: Engine) -> str:
    try:
        from models.parcours.retention import purge_youth_data
    except ImportError:
        raise JobError("La purge des données des jeunes n'est pas disponible dans cette "
                       "version (models.parcours.retention.purge_youth_data absent).") from None
    report = purge_youth_data(engine, today=clock.today())
    return report.summary()


def log_retention(engine: Engine) -> str:
    try:
        from models.operations.retention import apply_retention
    except ImportError:
        raise JobError("L'application des durées de conservation n'est pas disponible dans "
                       "cette version (models.operations.retention absent).") from None
    with job_session(engine) as session:
        counts = apply_retention(session, today=clock.today())
    done = {k: v for k, v in (counts or {}).items() if v}
    if not done:
        return "Rien n'avait dépassé sa durée de conservation."
    return "Durées de conservation appliquées : " + ", ".join(
        f"{what} : {count}" for what, count in done.items()) + "."


def mentoring_reminders(engine: Engine) -> Outcome:
    from models.mentoring.reminders import send_follow_up_reminders

    with job_session(engine) as session:
        count = send_follow_up_reminders(
            session, today=clock.today(),
            base_url=os.environ.get("PUBLIC_BASE_URL", "").strip().rstrip("/"))
    log.info("mentoring: %d follow-up reminder(s) queued", count)
    if not count:
        return Outcome("Aucun rappel de suivi à 6 mois à envoyer.", 0)
    return Outcome(f"{_plural(count, 'rappel', 'rappels')} de suivi à 6 mois mis en envoi.",
                   count)


JOBS: dict[str, Job] = {job.name: job for job in (
    Job("courriels", "Envoi des courriels", "Toutes les minutes",
        {"minute": "*"}, send_mail,
        "Envoie la boîte d'envoi ; un courriel en échec est réessayé après 1, 2, 4, 8… "
        "minutes (au plus une heure), 5 essais au total."),
    Job("offres", "Expiration des places proposées", "Chaque jour à 6\u00a0h\u00a000",
        {"minute": "0", "hour": "6"}, expire_offers,
        "Une place proposée restée sans réponse dans le délai passe à la personne suivante."),
    Job("imports", "Imports interrompus et dépôts abandonnés", "Toutes les 5 minutes",
        {"minute": "*/5"}, sweep_imports,
        "Relance les imports Parcours interrompus (redémarrage, panne) et supprime les "
        "fichiers déposés depuis plus d'un jour qu'aucun import n'attend plus."),
    # not between 2 h and 3 h: that hour is skipped or repeated when the clocks change
    Job("sauvegarde", "Sauvegarde de la base", "Chaque nuit à 1\u00a0h\u00a030",
        {"minute": "30", "hour": "1"}, nightly_backup,
        "Sauvegarde vérifiée de la base, avec rotation des anciennes sauvegardes."),
    Job("purge", "Purge des données des jeunes", "Chaque dimanche à 3\u00a0h\u00a030",
        {"minute": "30", "hour": "3", "day_of_week": "0"}, retention_purge,
        "Supprime les données Parcours des jeunes ayant dépassé la durée de conservation "
        "(décret n° 2015-59)."),
    Job("conservation", "Durées de conservation des journaux", "Chaque jour à 4\u00a0h\u00a000",
        {"minute": "0", "hour": "4"}, log_retention,
        "Allège ou supprime le journal, les courriels envoyés, les comptes inactifs et les "
        "accès aux données au-delà de leur durée de conservation."),
    Job("relances-parrainage", "Rappels des suivis de parrainage", "Chaque jour à 7\u00a0h\u00a015",
        {"minute": "15", "hour": "7"}, mentoring_reminders,
        "Rappelle aux référents parrainage les suivis à 6 mois dus et non saisis."),
)}


def get_job(name: str) -> Job | None:
    return JOBS.get(name)


# ---------------------------------------------------------------- schedule arithmetic
def next_run(name: str, now: datetime | None = None) -> datetime | None:
    """The next minute (aware, UTC) strictly after ``now`` at which the job is due, read
    in French local time (so "chaque jour à 6 h" stays 6 h across daylight saving)."""
    job = JOBS[name]
    now = (now or clock.now()).astimezone(UTC)
    moment = now.replace(second=0, microsecond=0) + timedelta(minutes=1)
    end = now + HORIZON
    hour_due = _crontab(name, hourly=True)
    while moment <= end:
        local = moment.astimezone(clock.LOCAL).replace(tzinfo=None)
        if not hour_due(local):  # the whole hour is out: French hours start on UTC hours
            moment = moment.replace(minute=0) + timedelta(hours=1)
            continue
        if job.matches(moment):
            return moment
        moment += timedelta(minutes=1)
    return None


# ---------------------------------------------------------------- running and recording
def run_job(engine: Engine, name: str, *, trigger: str = "planifiee",
            requested_by: int | None = None) -> JobRun:
    """Run one job and record it. Never raises for the job's own failure (recorded as
    "echec", admins e-mailed); raises ``KeyError`` for an unknown job.

    Another run of the same job still "en cours" (started less than
    :data:`RUNNING_GUARD` ago) makes this one step aside: the running one is returned
    and nothing is recorded.
    """
    job = JOBS[name]
    started = clock.now()
    with Session(engine, expire_on_commit=False) as session:
        run = JobRun(job=name, trigger=trigger, status="en_cours", started_at=started,
                     message="", requested_by_id=requested_by)
        session.add(run)
        session.commit()  # visible at once: a killed worker leaves it "en cours"
        other = session.scalars(select(JobRun).where(
            JobRun.job == name, JobRun.status == "en_cours", JobRun.id != run.id,
            JobRun.started_at >= started - RUNNING_GUARD).order_by(JobRun.id)).first()
        if other is not None:
            # both runs are committed before either looks: the later one always sees the
            # earlier, so two runs of one job never overlap (at worst both step aside)
            session.delete(run)
            session.commit()
            log.info("job %s already running (run %s): skipped", name, other.id)
            return other
    tick = time.monotonic()
    failed, count = False, None
    try:
        result = job.run(engine)
        if isinstance(result, Outcome):
            result, count = result.message, result.count
        message = result or "Terminé."
        status = "reussie"
    except (JobError, DomainError) as exc:  # said in French already
        message, status, failed = str(exc), "echec", True
        log.warning("job %s failed: %s", name, exc)
    except Exception as exc:  # noqa: BLE001 - recorded, the worker goes on
        log.exception("job %s failed", name)
        message = (f"Erreur inattendue ({type(exc).__name__}) : {str(exc)[:300]} — le détail "
                   "est dans le journal du travailleur.")
        status, failed = "echec", True
    duration = int((time.monotonic() - tick) * 1000)
    with Session(engine, expire_on_commit=False) as session:
        run = session.get(JobRun, run.id)
        run.status, run.message = status, message[:4000]
        run.finished_at = clock.now()
        run.duration_ms = duration
        session.flush()
        if failed:
            _tell_admins(session, job, run)
        session.execute(delete(JobRun).where(JobRun.job == name,
                                             JobRun.started_at < started - RUNS_KEPT),
                        execution_options={"synchronize_session": False})
        session.commit()
    run.count = count  # not a column: what the job did, for its caller
    return run


def mark_interrupted(engine: Engine, *, started_before: datetime | None = None) -> int:
    """At the worker's start: the runs still "en cours" (started before this process, so by
    a previous one) were cut off. Marks them "interrompue" and tells the admins."""
    limit = started_before or clock.now()
    with Session(engine) as session:
        runs = session.scalars(select(JobRun).where(JobRun.status == "en_cours",
                                                    JobRun.started_at < limit)).all()
        for run in runs:
            run.status, run.message = "interrompue", INTERRUPTED + "."
            run.finished_at = clock.now()
            session.flush()
            job = JOBS.get(run.job)
            if job is not None:
                _tell_admins(session, job, run)
        session.commit()
    if runs:
        log.warning("%d scheduled job run(s) were interrupted by a stop", len(runs))
    return len(runs)


def _tell_admins(session: Session, job: Job, run: JobRun) -> None:
    """E-mail every active admin about a failed run, unless they were already told about
    this job in the last :data:`FAILURE_MAIL_EVERY`."""
    from models.accounts.orm import User
    from models.accounts.roles import Role
    from models.audit import set_actor
    from models.formatting import format_datetime
    from models.mail.orm import OutboxMessage
    from models.mail.outbox import queue_mail

    already = session.scalar(select(OutboxMessage.id).where(
        OutboxMessage.kind == "tache_echec", OutboxMessage.subject_type == JobRun.__tablename__,
        OutboxMessage.subject_id.in_(select(JobRun.id).where(JobRun.job == job.name)),
        OutboxMessage.created_at >= clock.now() - FAILURE_MAIL_EVERY).limit(1))
    if already is not None:
        return
    admins = session.scalars(select(User.email).where(User.role == Role.ADMIN,
                                                      User.active.is_(True))).all()
    base = os.environ.get("PUBLIC_BASE_URL", "").strip().rstrip("/")
    outcome = "a échoué" if run.status == "echec" else "a été interrompue"
    body = (f"Bonjour,\n\nLa tâche planifiée « {job.label} » {outcome} "
            f"(lancée le {format_datetime(run.started_at)}).\n\n{run.message}\n\n"
            f"Détail et historique : {base}/admin/taches/{job.name}\n\n"
            "Vous ne recevrez pas d'autre courriel pour cette tâche pendant 24 heures ; "
            "la page « Tâches planifiées » montre toujours le dernier résultat.\n\n"
            "— Animaréseau")
    set_actor(session, None, via="job")
    queue_mail(session, list(admins), f"Tâche planifiée en échec : {job.label}", body,
               kind="tache_echec", about=run)


# ---------------------------------------------------------------- reading, for the page
@dataclass
class JobState:
    job: Job
    last: JobRun | None
    next_at: datetime | None


def overview(session: Session, now: datetime | None = None) -> list[JobState]:
    """Each job with its last run and its next one, in the registry's order."""
    now = now or clock.now()
    states = []
    for job in JOBS.values():
        last = session.scalars(select(JobRun).where(JobRun.job == job.name)
                               .order_by(JobRun.started_at.desc(), JobRun.id.desc())
                               .limit(1)).first()
        states.append(JobState(job, last, next_run(job.name, now)))
    return states


def history(session: Session, name: str, limit: int = 50) -> list[JobRun]:
    return list(session.scalars(select(JobRun).where(JobRun.job == name)
                                .order_by(JobRun.started_at.desc(), JobRun.id.desc())
                                .limit(limit)))


def format_duration(ms: int | None) -> str:
    """``38 ms``, ``2,3 s``, ``12 s``, ``3 min 05 s``, ``1 h 02 min``; ``—`` when unknown."""
    if ms is None:
        return "—"
    if ms < 1000:
        return f"{ms} ms"
    if ms < 10_000:
        return f"{ms / 1000:.1f} s".replace(".", ",")
    seconds = round(ms / 1000)
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"
