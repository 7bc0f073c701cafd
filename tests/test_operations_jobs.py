"""Scheduled jobs: the registry runs a job and records it; a failure is recorded and
e-mails the admins once a day; a run cut off by a stopped worker is reported at the next
start (a real huey consumer); the next run follows the crontab in French local time
(daylight saving included); failed e-mails wait their back-off; the leftover uploads
sweep; the admin page "Tâches planifiées" and its "lancer maintenant"."""

from __future__ import annotations

import dataclasses
import os
import time
from datetime import UTC, date, datetime, timedelta
from html import unescape

import pytest
from sqlalchemy import func, select

from models import clock
from models.accounts.orm import User
from models.accounts.roles import Role
from models.formatting import format_datetime
from models.mail.delivery import MAX_ATTEMPTS, retry_delay
from models.mail.orm import OutboxMessage
from models.mail.outbox import queue_mail
from models.operations import schedule
from models.operations.orm import JobRun
from models.parcours.orm import ParcoursImport
from tests.conftest import login, make_app
from tests.test_training_mail import _free_port, smtp  # noqa: F401
from webapp.extensions import db


@pytest.fixture
def engine(app, world):
    with app.app_context():
        yield db.engine


@pytest.fixture(autouse=True)
def _no_smtp(monkeypatch):
    for name in ("SMTP_HOST", "SMTP_PORT", "SMTP_STARTTLS", "SMTP_USER"):
        monkeypatch.delenv(name, raising=False)


def runs(app, job: str | None = None) -> list[JobRun]:
    with app.app_context():
        stmt = select(JobRun).order_by(JobRun.id)
        if job:
            stmt = stmt.where(JobRun.job == job)
        found = list(db.session.scalars(stmt))
        db.session.expunge_all()
        return found


def failure_mails(app) -> list[OutboxMessage]:
    with app.app_context():
        found = list(db.session.scalars(select(OutboxMessage).where(
            OutboxMessage.kind == "tache_echec").order_by(OutboxMessage.id)))
        db.session.expunge_all()
        return found


def failing(monkeypatch, name: str, error: Exception) -> None:
    def boom(engine):
        raise error

    monkeypatch.setitem(schedule.JOBS, name, dataclasses.replace(schedule.JOBS[name], run=boom))


# ---------------------------------------------------------------- running and recording
def test_the_registry_declares_every_job_with_a_valid_crontab():
    assert list(schedule.JOBS) == ["courriels", "offres", "imports", "sauvegarde", "purge",
                                   "conservation", "relances-parrainage"]
    for name, job in schedule.JOBS.items():
        assert job.name == name and job.label and job.schedule and job.description
        assert schedule.next_run(name, clock.now()) is not None


def test_a_job_runs_and_is_recorded(app, engine):
    with app.app_context():
        queue_mail(db.session, ["x@ml.fr"], "Objet", "Texte", kind="confirmation")
        db.session.commit()
    started = clock.now()
    run = schedule.run_job(engine, "courriels")
    assert run.status == "reussie" and run.trigger == "planifiee"
    # without SMTP_HOST the run succeeds, and says why nothing left
    assert run.message == ("Aucun serveur d'envoi configuré (SMTP_HOST) : rien n'est envoyé, "
                           "1 courriel attend dans la boîte d'envoi.")
    [stored] = runs(app)
    assert stored.status == "reussie" and stored.duration_ms >= 0
    assert stored.finished_at is not None and stored.requested_by_id is None
    assert abs((stored.started_at.replace(tzinfo=UTC) - started).total_seconds()) < 5
    assert failure_mails(app) == []


def test_a_job_does_its_work_expired_offers(app, engine):
    """The daily sweep of offered seats calls the training domain: an offer past its date
    lapses (here: none to expire, then the count is in the message)."""
    run = schedule.run_job(engine, "offres")
    assert run.status == "reussie"
    assert run.message == "Aucune place proposée n'a dépassé son délai de réponse."


def test_a_failing_job_is_recorded_and_mails_the_admins_once_a_day(app, engine, monkeypatch):
    with app.app_context():  # an inactive admin is not told
        db.session.add(User(email="ancien@test.fr", full_name="Ancien Admin", role=Role.ADMIN,
                            active=False, password_hash="x"))
        db.session.add(User(email="admin2@test.fr", full_name="Bea Admin", role=Role.ADMIN,
                            password_hash="x"))
        db.session.commit()
    failing(monkeypatch, "sauvegarde", RuntimeError("disque plein sur /sauvegardes"))
    run = schedule.run_job(engine, "sauvegarde")
    assert run.status == "echec"
    assert run.message.startswith("Erreur inattendue (RuntimeError) : disque plein")
    assert "Traceback" not in run.message and 'File "' not in run.message
    [mail] = failure_mails(app)
    assert mail.recipients == ["admin2@test.fr", "admin@test.fr"]
    assert mail.subject == "Tâche planifiée en échec : Sauvegarde de la base"
    assert "disque plein" in mail.body and "/admin/taches/sauvegarde" in mail.body
    # the retries of the same failing job do not mail again within the day
    for _ in range(3):
        assert schedule.run_job(engine, "sauvegarde").status == "echec"
    assert len(failure_mails(app)) == 1
    # another failing job is news
    failing(monkeypatch, "purge", schedule.JobError("La purge a trouvé une base verrouillée."))
    assert schedule.run_job(engine, "purge").message == "La purge a trouvé une base verrouillée."
    assert len(failure_mails(app)) == 2
    # a day later, still failing: told again
    clock.advance(timedelta(hours=25))
    schedule.run_job(engine, "sauvegarde")
    assert [m.subject.split(" : ")[1] for m in failure_mails(app)] == [
        "Sauvegarde de la base", "Purge des données des jeunes", "Sauvegarde de la base"]


def test_a_module_not_yet_there_fails_with_a_clear_message(app, engine, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "models.operations.retention", None)  # import fails
    run = schedule.run_job(engine, "conservation")
    assert run.status == "echec"
    assert run.message == ("L'application des durées de conservation n'est pas disponible "
                           "dans cette version (models.operations.retention absent).")


def test_a_second_run_of_a_running_job_steps_aside(app, engine):
    with app.app_context():
        db.session.add(JobRun(job="offres", status="en_cours",
                              started_at=clock.now() - timedelta(minutes=3)))
        db.session.commit()
    running = schedule.run_job(engine, "offres")
    assert running.status == "en_cours"
    assert [r.status for r in runs(app, "offres")] == ["en_cours"]  # nothing else recorded
    # one left "en cours" for longer than the guard is not a reason to wait forever
    with app.app_context():
        old = db.session.scalars(select(JobRun)).one()
        old.started_at = clock.now() - schedule.RUNNING_GUARD - timedelta(minutes=1)
        db.session.commit()
    assert schedule.run_job(engine, "offres").status == "reussie"


def test_old_runs_are_deleted(app, engine):
    with app.app_context():
        db.session.add(JobRun(job="offres", status="reussie",
                              started_at=clock.now() - timedelta(days=31)))
        db.session.add(JobRun(job="offres", status="reussie",
                              started_at=clock.now() - timedelta(days=29)))
        db.session.commit()
    schedule.run_job(engine, "offres")
    assert len(runs(app, "offres")) == 2


# ---------------------------------------------------------------- interrupted runs
def test_runs_left_en_cours_are_marked_interrupted_at_start_up(app, engine, monkeypatch):
    from models.parcours import jobs

    monkeypatch.setattr(jobs, "_engine", lambda: engine)
    with app.app_context():
        db.session.add(JobRun(job="purge", status="en_cours",
                              started_at=jobs._STARTED - timedelta(minutes=7)))
        # a run this very process started after its start-up is alive: left alone
        db.session.add(JobRun(job="offres", status="en_cours",
                              started_at=jobs._STARTED + timedelta(seconds=1)))
        db.session.commit()
    jobs.sweep_at_startup()
    cut, alive = runs(app)
    assert cut.status == "interrompue" and cut.finished_at is not None
    assert cut.message == "Le processus de tâches s'est arrêté pendant l'exécution."
    assert alive.status == "en_cours"
    [mail] = failure_mails(app)
    assert "a été interrompue" in mail.body


def test_a_real_worker_reports_the_run_a_killed_worker_left(app, engine, tmp_path):
    """What ``kill -9`` of the worker leaves (a run "en cours"), then a real consumer start:
    the run reads "interrompue"."""
    from tests.test_parcours_jobs import start_worker, stop

    with app.app_context():
        db.session.add(JobRun(job="sauvegarde", status="en_cours",
                              started_at=clock.now() - timedelta(minutes=10)))
        db.session.commit()
    env = {**os.environ, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
           "ANIMARESEAU_INSTANCE_PATH": str(tmp_path / "instance"),
           "ANIMARESEAU_ENV": "test", "PARCOURS_PSEUDO_KEY": "cle-worker"}
    env.pop("HUEY_REDIS_URL", None)
    worker = start_worker(env)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            [first, *_] = runs(app)
            if first.status != "en_cours":
                break
            time.sleep(0.2)
    finally:
        log = stop(worker)
    assert first.status == "interrompue", log
    assert first.message.startswith("Le processus de tâches s'est arrêté")


# ---------------------------------------------------------------- next run
def _paris(*args) -> datetime:
    return datetime(*args, tzinfo=clock.LOCAL)


def test_next_run_follows_the_crontab_in_french_local_time():
    now = clock.now()
    local = clock.local_now()
    # every minute: the next minute
    assert schedule.next_run("courriels", now) == (now.replace(second=0, microsecond=0)
                                                   + timedelta(minutes=1))
    # every 5 minutes: a multiple of 5, within 5 minutes
    imports = schedule.next_run("imports", now)
    assert imports.minute % 5 == 0 and timedelta(0) < imports - now <= timedelta(minutes=5)
    # daily at 6:00 Paris: today if before 6, else tomorrow
    offers = schedule.next_run("offres", now).astimezone(clock.LOCAL)
    assert (offers.hour, offers.minute) == (6, 0)
    assert offers.date() == local.date() + timedelta(days=0 if local.hour < 6 else 1)
    # weekly on Sunday 3:30, never more than a week ahead
    purge = schedule.next_run("purge", now).astimezone(clock.LOCAL)
    assert purge.weekday() == 6 and (purge.hour, purge.minute) == (3, 30)
    assert timedelta(0) < purge - now <= timedelta(days=7)
    # strictly after: at the very minute, the next one is a day later
    assert schedule.next_run("offres", offers) == offers + timedelta(days=1)


def test_next_run_keeps_local_hours_across_daylight_saving():
    # the night of 27 to 28 March 2027: 2:00 → 3:00 in France (UTC+1 → UTC+2)
    before = _paris(2027, 3, 27, 7, 0)
    assert schedule.next_run("offres", before) == datetime(2027, 3, 28, 4, 0, tzinfo=UTC)
    assert schedule.next_run("sauvegarde", before) == datetime(2027, 3, 28, 0, 30, tzinfo=UTC)
    assert schedule.next_run("purge", before) == datetime(2027, 3, 28, 1, 30, tzinfo=UTC)
    # and back on 31 October 2027 (UTC+2 → UTC+1): 3:30 Paris is 2:30 UTC
    assert schedule.next_run("purge", _paris(2027, 10, 30, 12, 0)) == datetime(
        2027, 10, 31, 2, 30, tzinfo=UTC)


def test_the_worker_enqueues_each_job_at_its_next_run():
    """huey's own periodic check (naive UTC timestamps) agrees with the page's next run."""
    from models.parcours import jobs

    for name, task in jobs.SCHEDULED.items():
        due = schedule.next_run(name, clock.now())
        at = due.astimezone(UTC).replace(tzinfo=None)
        names = {t.name for t in jobs.huey.read_periodic(at)}
        assert task.name in names, name
        if name not in ("courriels",):
            before = at - timedelta(minutes=1)
            assert task.name not in {t.name for t in jobs.huey.read_periodic(before)}, name


# ---------------------------------------------------------------- mail back-off
def test_retry_delays_double_and_are_capped():
    assert [retry_delay(n) for n in range(1, 9)] == [timedelta(minutes=m) for m in
                                                     (1, 2, 4, 8, 16, 32, 60, 60)]


def test_a_failed_message_waits_its_back_off_then_goes(app, world, engine, monkeypatch,
                                                         smtp):  # noqa: F811
    with app.app_context():
        queue_mail(db.session, ["x@ml.fr"], "Convocation", "Texte", kind="convocation")
        # no admin to tell: the failure notice would be one more message to deliver
        db.session.get(User, world["ids"]["admin"]).active = False
        db.session.commit()

    def message() -> OutboxMessage:
        with app.app_context():
            found = db.session.scalars(select(OutboxMessage).where(
                OutboxMessage.kind == "convocation")).one()
            db.session.expunge(found)
            return found

    monkeypatch.setenv("SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("SMTP_PORT", str(_free_port()))  # nobody listens: refused
    down = schedule.run_job(engine, "courriels")
    assert down.status == "echec" and down.message.startswith("Serveur d'envoi injoignable")
    first = message()
    assert first.attempts == 1 and first.sent_at is None
    # not tried again before its delay (1 min), even by several runs
    clock.advance(timedelta(seconds=50))
    assert schedule.run_job(engine, "courriels").status == "reussie"
    assert message().attempts == 1
    clock.advance(timedelta(seconds=15))
    schedule.run_job(engine, "courriels")
    assert message().attempts == 2  # tried again: still down, now waits 2 minutes
    clock.advance(timedelta(seconds=90))
    schedule.run_job(engine, "courriels")
    assert message().attempts == 2
    clock.advance(timedelta(seconds=40))
    schedule.run_job(engine, "courriels")
    assert message().attempts == 3  # then 4 minutes
    # the server is back: the message goes at the end of its delay, not before
    monkeypatch.setenv("SMTP_PORT", str(smtp.settings.port))
    clock.advance(timedelta(minutes=3))
    schedule.run_job(engine, "courriels")
    assert message().sent_at is None and smtp.to("x@ml.fr") == []
    clock.advance(timedelta(minutes=1, seconds=5))
    run = schedule.run_job(engine, "courriels")
    sent = message()
    assert sent.sent_at is not None and sent.attempts == 4 and sent.next_attempt_at is None
    assert len(smtp.to("x@ml.fr")) == 1
    assert run.status == "reussie" and run.message == "1 courriel envoyé, 0 en échec."


def test_a_message_out_of_attempts_is_given_up_and_said(app, engine, monkeypatch,
                                                          smtp):  # noqa: F811
    with app.app_context():
        message = queue_mail(db.session, ["x@ml.fr"], "Objet", "Texte", kind="confirmation")
        message.attempts = MAX_ATTEMPTS
        message.last_error = "Destinataire inconnu"
        db.session.commit()
    monkeypatch.setenv("SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("SMTP_PORT", str(smtp.settings.port))
    run = schedule.run_job(engine, "courriels")
    assert run.message == ("0 courriels envoyés, 0 en échec ; 1 courriel abandonné après "
                           f"{MAX_ATTEMPTS} essais (voir Courriels).")
    assert smtp.messages == []


# ---------------------------------------------------------------- imports sweep
def test_the_imports_sweep_deletes_only_old_unreferenced_uploads(app, engine):
    from models.parcours.uploads import uploads_folder

    root = uploads_folder()
    old = (clock.now() - timedelta(days=2)).timestamp()
    made = {}
    for name in ("jobs-orphelin", "jobs-attendu", "jobs-recent"):
        folder = root / name
        folder.mkdir()
        (folder / "extrait.zip").write_bytes(b"PK")
        made[name] = folder
    for name in ("jobs-orphelin", "jobs-attendu"):
        os.utime(made[name], (old, old))
    stray = root / "jobs-fichier.zip"
    stray.write_bytes(b"PK")
    os.utime(stray, (old, old))
    with app.app_context():  # an import still waiting for its upload (not stale yet)
        db.session.add(ParcoursImport(source_name="extrait.zip",
                                      stored_path=str(made["jobs-attendu"] / "extrait.zip"),
                                      period_start=date(2026, 1, 1),
                                      period_end=date(2026, 9, 30), status="en_attente"))
        db.session.commit()
    try:
        run = schedule.run_job(engine, "imports")
        assert run.status == "reussie", run.message
        assert not made["jobs-orphelin"].exists() and not stray.exists()
        assert made["jobs-attendu"].exists() and made["jobs-recent"].exists()
        assert run.message == "Aucun import interrompu ; 2 dépôts abandonnés supprimés."
    finally:
        import shutil

        for folder in made.values():
            shutil.rmtree(folder, ignore_errors=True)
        stray.unlink(missing_ok=True)


# ---------------------------------------------------------------- the admin page
def _add_runs(app) -> None:
    now = clock.now()
    with app.app_context():
        db.session.add_all([
            JobRun(job="offres", status="reussie", started_at=now - timedelta(hours=4),
                   finished_at=now - timedelta(hours=4), duration_ms=420,
                   message="2 offres expirées : les places libérées sont passées aux "
                           "personnes suivantes."),
            JobRun(job="sauvegarde", status="echec", started_at=now - timedelta(hours=8),
                   finished_at=now - timedelta(hours=8), duration_ms=125_000,
                   message="Le dossier de sauvegarde /srv/sauvegardes est plein."),
            JobRun(job="courriels", status="reussie", started_at=now - timedelta(minutes=1),
                   finished_at=now - timedelta(minutes=1), duration_ms=35,
                   message="0 courriels envoyés, 0 en échec."),
        ])
        db.session.commit()


def test_the_page_lists_the_jobs_with_last_and_next_runs(app, client, world):
    early_in_the_minute()
    _add_runs(app)
    login(client, world["emails"]["admin"])
    html = unescape(client.get("/admin/taches").get_data(as_text=True))
    for job in schedule.JOBS.values():
        assert job.label in html and job.schedule in html
    failed = runs(app, "sauvegarde")[0]
    assert format_datetime(failed.started_at) in html  # « 23 novembre 2026 à 02:00 »
    assert "Le dossier de sauvegarde /srv/sauvegardes est plein." in html
    row = html[html.index('data-job="sauvegarde"'):]
    row = row[:row.index("</tr>")]
    assert 'badge text-bg-danger">Échec' in row and "2 min 05 s" in row
    assert "Une tâche n'a pas abouti lors de sa dernière exécution" in html
    assert format_datetime(schedule.next_run("purge")) in html
    assert "Jamais exécutée" in html  # the purge has not run yet
    assert "420 ms" in html
    # the menu leads there
    assert 'href="/admin/taches"' in client.get("/").get_data(as_text=True)


def early_in_the_minute() -> None:
    """The next runs computed by the test and by the page fall in the same minute."""
    clock.travel_to(clock.now().replace(second=2, microsecond=0))


def test_an_empty_page_says_when_the_first_run_is(app, client, world):
    early_in_the_minute()
    login(client, world["emails"]["admin"])
    html = unescape(client.get("/admin/taches").get_data(as_text=True))
    first = min(schedule.next_run(name) for name in schedule.JOBS)
    assert ("Aucune exécution pour l'instant : la première aura lieu le "
            f"{format_datetime(first)}") in html
    history = unescape(client.get("/admin/taches/purge").get_data(as_text=True))
    assert "Aucune exécution pour l'instant" in history
    assert format_datetime(schedule.next_run("purge")) in history


def test_a_stopped_worker_is_pointed_out(app, client, world):
    with app.app_context():
        db.session.add(JobRun(job="courriels", status="reussie",
                              started_at=clock.now() - timedelta(hours=3)))
        db.session.commit()
    login(client, world["emails"]["admin"])
    html = client.get("/admin/taches").get_data(as_text=True)
    assert "le travailleur des tâches de fond est probablement arrêté" in html


@pytest.mark.parametrize("role", ["animateur", "copil", "ml", "financeur"])
def test_only_admins_see_or_run_jobs(app, client, world, role):
    login(client, world["emails"][role])
    assert client.get("/admin/taches").status_code == 403
    assert client.get("/admin/taches/offres").status_code == 403
    assert client.post("/admin/taches/offres/lancer").status_code == 403
    assert runs(app) == []
    assert 'href="/admin/taches"' not in client.get("/").get_data(as_text=True)


def test_unknown_job_is_not_found(app, client, world):
    login(client, world["emails"]["admin"])
    assert client.get("/admin/taches/inconnue").status_code == 404
    assert client.post("/admin/taches/inconnue/lancer").status_code == 404


def test_history_and_lancer_maintenant_inline(app, client, world):
    _add_runs(app)
    login(client, world["emails"]["admin"])
    response = client.post("/admin/taches/offres/lancer")
    assert response.status_code == 302 and response.headers["Location"].endswith(
        "/admin/taches/offres")
    html = unescape(client.get(response.headers["Location"]).get_data(as_text=True))
    assert ("« Expiration des places proposées » : Aucune place proposée n'a dépassé son "
            "délai de réponse.") in html
    assert "Lancée par Ada Admin" in html and "Planifiée" in html
    manual, scheduled = [r for r in reversed(runs(app, "offres"))]
    assert manual.trigger == "manuelle" and manual.requested_by_id == world["ids"]["admin"]
    assert html.index("Lancée par Ada Admin") < html.index("Planifiée")  # newest first


def test_lancer_maintenant_queues_on_the_worker(app, world, database_url, monkeypatch):
    from models.parcours import jobs

    served = make_app(database_url, PARCOURS_JOBS="huey")
    with served.app_context():
        monkeypatch.setattr(jobs, "_engine", lambda: db.engine)
    monkeypatch.setattr(jobs.huey, "immediate", True)  # the task runs as it is queued
    client = served.test_client()
    login(client, world["emails"]["admin"])
    response = client.post("/admin/taches/imports/lancer")
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "est lancée : son résultat apparaîtra ci-dessous" in page
    [run] = runs(app, "imports")
    assert run.trigger == "manuelle" and run.status == "reussie"
    with served.app_context():
        db.engine.dispose()


def test_lancer_maintenant_with_the_queue_down_says_so(app, world, database_url,
                                                        monkeypatch):
    from models.parcours import jobs
    from webapp.admin.views_tasks import QUEUE_DOWN

    def down(name, user_id):
        raise ConnectionError("redis injoignable")

    monkeypatch.setattr(jobs, "run_job_now", down)
    served = make_app(database_url, PARCOURS_JOBS="huey")
    client = served.test_client()
    login(client, world["emails"]["admin"])
    response = client.post("/admin/taches/offres/lancer")
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert QUEUE_DOWN.split(" : ")[0] in unescape(page)
    assert runs(app) == []
    with served.app_context():
        db.engine.dispose()


def test_lancer_maintenant_needs_the_csrf_token(app, world, database_url):
    served = make_app(database_url, WTF_CSRF_ENABLED=True)
    client = served.test_client()
    from tests.conftest import csrf_token_from

    page = client.get("/connexion").get_data(as_text=True)
    client.post("/connexion", data={"email": world["emails"]["admin"],
                                    "password": "mot-de-passe-de-test",
                                    "csrf_token": csrf_token_from(page)})
    assert client.post("/admin/taches/offres/lancer").status_code == 400
    assert runs(app) == []
    token = csrf_token_from(client.get("/admin/taches").get_data(as_text=True))
    assert client.post("/admin/taches/offres/lancer",
                       data={"csrf_token": token}).status_code == 302
    assert len(runs(app, "offres")) == 1
    with served.app_context():
        db.engine.dispose()


def test_the_failure_mail_counts_as_one_outbox_message(app, engine, monkeypatch):
    failing(monkeypatch, "offres", RuntimeError("x"))
    schedule.run_job(engine, "offres")
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 1
