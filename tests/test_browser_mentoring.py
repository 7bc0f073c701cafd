"""Real-browser journey of parrainage on the demo: the mission locale's référent creates a
pseudonymous mentee (a birth year typed as text is refused under its field), reads its
code, asks for suggestions and proposes a pairing; two browsers start two overlapping
pairings of one young person — the first wins, the second reads a French refusal; the team
reads every ML and the State's protected yearly table. CSRF on, CSP watched; screenshots
of each page."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from tests.test_browser import CHROMIUM, _login

if not CHROMIUM.exists():  # pragma: no cover - depends on the machine
    pytest.skip("Chromium absent : tests navigateur ignorés.", allow_module_level=True)

from playwright.sync_api import expect  # noqa: E402

from tests.conftest import make_app  # noqa: E402
from tests.test_browser import browser, new_page, shots  # noqa: E402,F401
from webapp.extensions import db  # noqa: E402

pytestmark = pytest.mark.browser

DEMO_PASSWORD = "demo-arml-2026"


@pytest.fixture(scope="module")
def served(demo_app):
    """The CSRF-enabled app on (a copy of) the demo database, served on a free port."""
    from werkzeug.serving import make_server

    app = make_app(demo_app.config["SQLALCHEMY_DATABASE_URI"], WTF_CSRF_ENABLED=True)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield app, f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _two_proposals(app) -> tuple[int, int, str]:
    """A new mentee of the demo ML with two overlapping proposals (two mentors)."""
    from sqlalchemy import select

    from models import clock
    from models.accounts.orm import User
    from models.audit import set_actor
    from models.mentoring import mentees, pairings, queries

    with app.app_context():
        s = db.session
        user = s.scalars(select(User).where(User.email == "ml@demo.arml.fr")).one()
        set_actor(s, user, via="cli")
        today = clock.today()
        mentee = mentees.create_mentee(s, user, mentees.MenteeData(
            sex="m", birth_year=str(today.year - 21), birth_month="6", qualification="4",
            situation="demandeur_emploi", prescriber="mission_locale", qpv="non",
            project_validated=True, mission_locale_id=user.mission_locale_id))
        free = [m for m in queries.list_mentors(s, user, active_only=True)
                if m.charter_signed_on and m.trained_on
                and pairings.active_count(s, m.id) < m.capacity]
        made = [pairings.propose(s, user, mentee.id, m.id, today + timedelta(days=7),
                                 today + timedelta(days=190), confirm=True).pairing
                for m in free[:2]]
        s.commit()
        return made[0].id, made[1].id, mentee.code


def test_a_referent_pairs_a_young_person_and_two_browsers_race(served, new_page,  # noqa: F811
                                                              shots):  # noqa: F811
    app, base = served
    watched = new_page(viewport={"width": 1366, "height": 900})
    page = watched.page
    _login(page, base, "ml@demo.arml.fr", DEMO_PASSWORD)
    page.locator("nav.navbar").get_by_role("link", name="Parrainage", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Parrainage")
    page.screenshot(path=shots / "90-parrainage-accueil-ml.png", full_page=True)

    # a pseudonymous mentee: the birth year typed as text is refused, nothing is lost
    page.locator(".nav-tabs").get_by_role("link", name="Filleul·es", exact=True).click()
    page.screenshot(path=shots / "91-parrainage-filleuls.png", full_page=True)
    page.goto(f"{base}/parrainage/filleuls/nouveau")
    page.get_by_label("Sexe").select_option("f")
    page.get_by_label("Année de naissance").fill("deux mille cinq")
    page.get_by_label("Mois de naissance").select_option("4")
    page.get_by_label("Niveau de formation").select_option("3")
    page.get_by_label("Situation à l'entrée").select_option("demandeur_emploi")
    page.get_by_label("Prescripteur").select_option("mission_locale")
    page.get_by_label("Habite un quartier prioritaire (QPV)").select_option("oui")
    page.get_by_label("Projet professionnel validé").check()
    watched.expected_failures.add("/parrainage/filleuls/nouveau")  # the 422 of the refusal
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.locator(".invalid-feedback").first).to_be_visible()
    expect(page.get_by_label("Prescripteur")).to_have_value("mission_locale")
    page.screenshot(path=shots / "92-parrainage-filleul-erreur.png", full_page=True)
    page.get_by_label("Année de naissance").fill("2005")
    page.get_by_role("button", name="Enregistrer").click()
    code = page.locator(".font-monospace").first.inner_text().strip()
    assert len(code) == 8, code
    expect(page.get_by_text("Code à reporter dans i-milo")).to_be_visible()
    page.screenshot(path=shots / "93-parrainage-filleul-code.png", full_page=True)

    # ranked, explained suggestions; a person proposes
    page.get_by_role("link", name="Suggestions de parrains").click()
    page.screenshot(path=shots / "94-parrainage-suggestions.png", full_page=True)
    page.get_by_role("link", name="Proposer").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("binôme")
    page.screenshot(path=shots / "95-parrainage-proposer.png", full_page=True)
    watched.assert_clean()

    # two browsers, one young person, two overlapping proposals started at the same time
    first, second, mentee_code = _two_proposals(app)
    other = new_page(viewport={"width": 1366, "height": 900})
    _login(other.page, base, "ml@demo.arml.fr", DEMO_PASSWORD)
    page.goto(f"{base}/parrainage/binomes/{first}")
    other.page.goto(f"{base}/parrainage/binomes/{second}")
    page.get_by_role("button", name="Démarrer le binôme").click()
    expect(page.locator(".alert-success")).to_be_visible()
    other.expected_failures.add(f"/parrainage/binomes/{second}/demarrer")  # the refusal: 422
    other.page.get_by_role("button", name="Démarrer le binôme").click()
    refusal = other.page.get_by_text("les périodes se chevauchent")
    expect(refusal.first).to_be_visible()
    expect(other.page.get_by_text(mentee_code).first).to_be_visible()
    page.screenshot(path=shots / "96-parrainage-binome-demarre.png", full_page=True)
    other.page.screenshot(path=shots / "97-parrainage-course-refusee.png", full_page=True)
    page.locator(".nav-tabs").get_by_role("link", name="Binômes", exact=True).click()
    page.screenshot(path=shots / "98-parrainage-binomes.png", full_page=True)
    page.locator(".nav-tabs").get_by_role("link", name="Suivis à 6 mois").click()
    page.screenshot(path=shots / "99-parrainage-suivis.png", full_page=True)
    watched.assert_clean()
    other.assert_clean()


def test_the_team_reads_every_ml_and_the_protected_yearly_table(served, new_page,  # noqa: F811
                                                                shots):  # noqa: F811
    _, base = served
    watched = new_page(viewport={"width": 1366, "height": 900})
    page = watched.page
    _login(page, base, "animation@demo.arml.fr", DEMO_PASSWORD)
    page.goto(f"{base}/parrainage/")
    expect(page.locator("table").first).to_be_visible()
    page.screenshot(path=shots / "100-parrainage-accueil-equipe.png", full_page=True)
    page.locator(".nav-tabs").get_by_role("link", name="Parrains et marraines").click()
    page.screenshot(path=shots / "101-parrainage-parrains.png", full_page=True)
    page.locator(".nav-tabs").get_by_role("link", name="Tableau annuel de l'État").click()
    expect(page.get_by_text("s", exact=True).first).to_be_visible()  # hidden cells
    page.screenshot(path=shots / "102-parrainage-tableau-annuel.png", full_page=True)
    watched.assert_clean()

    copil = new_page(viewport={"width": 1366, "height": 900})
    _login(copil.page, base, "copil@demo.arml.fr", DEMO_PASSWORD)
    copil.page.locator("nav.navbar").get_by_role("link", name="Parrainage",
                                                 exact=True).click()
    expect(copil.page).to_have_url(f"{base}/parrainage/tableau-annuel")
    copil.expected_failures.add("/parrainage/binomes")
    copil.page.goto(f"{base}/parrainage/binomes")  # records: not for the copil
    expect(copil.page.get_by_role("heading", name="Accès refusé")).to_be_visible()
    copil.assert_clean()
