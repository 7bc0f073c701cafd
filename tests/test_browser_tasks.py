"""Real-browser look at the admin page "Tâches planifiées" (/admin/taches): some runs, one
failed (red badge and its message), one interrupted; "lancer maintenant" with CSRF on,
then the job's history. CSP and console watched, no serious axe violation; screenshots
110-… under tests/artifacts/screenshots/<backend>/."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.test_browser import CHROMIUM, _login

if not CHROMIUM.exists():  # pragma: no cover - depends on the machine
    pytest.skip("Chromium absent : tests navigateur ignorés.", allow_module_level=True)

from playwright.sync_api import expect  # noqa: E402

from models import clock  # noqa: E402
from models.formatting import format_datetime  # noqa: E402
from models.operations import schedule  # noqa: E402
from models.operations.orm import JobRun  # noqa: E402
from tests.test_accessibility import axe_violations  # noqa: E402
from tests.test_browser import browser, live_server, new_page, shots  # noqa: E402,F401
from webapp.extensions import db  # noqa: E402

pytestmark = pytest.mark.browser


def _runs(app) -> dict[str, object]:
    """A believable morning: mails every minute, the night's backup failed, the offers
    expired at 6:00, an import sweep cut off by a restart."""
    now = clock.now().replace(second=0, microsecond=0)
    made = {}
    with app.app_context():
        def add(job, status, ago, ms, message, trigger="planifiee"):
            run = JobRun(job=job, status=status, trigger=trigger,
                         started_at=now - ago, finished_at=now - ago + timedelta(
                             milliseconds=ms or 0), duration_ms=ms, message=message)
            db.session.add(run)
            made[job] = run
            return run

        for minutes in (3, 2, 1):
            add("courriels", "reussie", timedelta(minutes=minutes), 38,
                "1 courriel envoyé, 0 en échec.")
        add("sauvegarde", "echec", timedelta(hours=8, minutes=30), 125_000,
            "Le dossier de sauvegarde /srv/sauvegardes est plein : plus de place sur le "
            "disque. Rien n'a été laissé à moitié écrit.")
        add("offres", "reussie", timedelta(hours=4), 412,
            "2 offres expirées : les places libérées sont passées aux personnes suivantes.")
        add("imports", "interrompue", timedelta(minutes=20), None,
            schedule.INTERRUPTED + ".")
        add("conservation", "reussie", timedelta(hours=6), 2_300,
            "Durées de conservation appliquées : journal : 1 204, courriels : 87.")
        db.session.commit()
        started = {job: run.started_at for job, run in made.items()}
    return started


def test_the_scheduled_jobs_page(app, world, live_server, shots, new_page):  # noqa: F811
    started = _runs(app)
    watched = new_page(viewport={"width": 1366, "height": 900})
    page = watched.page
    _login(page, live_server, world["emails"]["admin"])
    page.get_by_role("button", name="Administration").click()
    page.get_by_role("link", name="Tâches planifiées").click()
    expect(page).to_have_url(f"{live_server}/admin/taches")
    expect(page.get_by_role("heading", name="Tâches planifiées")).to_be_visible()
    rows = page.locator("#taches tbody tr")
    expect(rows).to_have_count(len(schedule.JOBS))
    backup = page.locator('tr[data-job="sauvegarde"]')
    expect(backup.locator(".badge")).to_have_text("Échec")
    expect(backup.locator(".badge")).to_have_class("badge text-bg-danger")
    expect(backup).to_contain_text("/srv/sauvegardes est plein")
    expect(backup).to_contain_text(format_datetime(started["sauvegarde"]))
    expect(backup).to_contain_text("2 min 05 s")
    expect(page.locator('tr[data-job="imports"] .badge')).to_have_text("Interrompue")
    expect(page.locator('tr[data-job="purge"]')).to_contain_text("Jamais exécutée")
    expect(page.locator('tr[data-job="purge"]')).to_contain_text(
        format_datetime(schedule.next_run("purge")))
    expect(page.get_by_role("alert")).to_contain_text(
        "2 tâches n'ont pas abouti lors de leur dernière exécution")
    assert axe_violations(page, "admin.tasks") == []
    page.screenshot(path=shots / "110-taches-planifiees.png", full_page=True)

    # "lancer maintenant" (the test app runs jobs in the request; CSRF on)
    page.get_by_role("button", name="Lancer maintenant : Expiration des places proposées"
                     ).click()
    expect(page).to_have_url(f"{live_server}/admin/taches/offres")
    expect(page.get_by_text("« Expiration des places proposées » : Aucune place proposée "
                            "n'a dépassé son délai de réponse.")).to_be_visible()
    history = page.locator("#executions tbody tr")
    expect(history).to_have_count(2)
    expect(history.first).to_contain_text("Lancée par Ada Admin")
    expect(history.nth(1)).to_contain_text("Planifiée")
    assert axe_violations(page, "admin.task_history") == []
    page.screenshot(path=shots / "111-tache-historique.png", full_page=True)
    watched.assert_clean()
