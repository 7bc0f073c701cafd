"""Real-browser journey through the training area: a mission locale registers two people,
the session fills up, a third person waits; cancelling a confirmed seat promotes her.
CSRF is on and the CSP watched."""

from __future__ import annotations

import re

import pytest

from models import clock
from tests.conftest import PASSWORD
from tests.test_browser import CHROMIUM, _login

if not CHROMIUM.exists():  # pragma: no cover - depends on the machine
    pytest.skip("Chromium absent : tests navigateur ignorés.", allow_module_level=True)

from playwright.sync_api import expect  # noqa: E402

from tests.test_browser import browser, live_server, new_page, shots  # noqa: E402,F401
from webapp.extensions import db  # noqa: E402

pytestmark = pytest.mark.browser


def _fill_with_other_ml(app, ids, count: int) -> None:
    """Another mission locale takes the remaining seats (seen by the team only)."""
    from models.audit import set_actor
    from models.training.registrations import RegistrationData, register

    with app.app_context():
        set_actor(db.session, None, via="cli")
        for n in range(count):
            register(db.session, None, ids["session"], RegistrationData(
                last_name=f"Pau{n}", first_name="Agent", email=f"agent{n}@ml-pau.fr",
                job="accueil", mission_locale_id=ids["ml_b"]), today=clock.today())
        db.session.commit()


def _register(page, last: str, first: str, email: str, job: str) -> None:
    form = page.locator("form", has=page.get_by_role("button", name="Inscrire"))
    form.locator("input[name=last_name]").fill(last)
    form.locator("input[name=first_name]").fill(first)
    form.locator("input[name=email]").fill(email)
    form.locator("select[name=job]").select_option(job)
    form.get_by_role("button", name="Inscrire").click()


def test_ml_registers_fills_cancels_and_sees_the_waitlist_promotion(
        app, training_world, live_server, shots, new_page):  # noqa: F811
    base, ids = live_server, training_world["ids"]
    watched = new_page(viewport={"width": 1366, "height": 900})
    page = watched.page

    # An ml account lands on the catalogue after login.
    _login(page, base, training_world["emails"]["ml"])
    expect(page).to_have_url(f"{base}/formations/")
    expect(page.get_by_role("heading", name="Formations régionales")).to_be_visible()
    row = page.locator("table tbody tr").filter(has_text="Accueillir un public")
    expect(row).to_contain_text("du 10 décembre 2026 au 11 décembre 2026")
    expect(row).to_contain_text("5 places restantes")
    page.screenshot(path=shots / "40-catalogue-ml.png", full_page=True)

    # Two people of the ml's own mission locale.
    row.get_by_role("link", name=re.compile("Accueillir un public")).click()
    expect(page.locator("#compteur-places")).to_have_text("0 / 5")
    _register(page, "Durand", "Léa", "lea.durand@ml-libournais.fr", "conseiller")
    expect(page.get_by_text("Inscription confirmée pour Léa Durand.")).to_be_visible()
    _register(page, "Martin", "Hugo", "hugo.martin@ml-libournais.fr", "accueil")
    expect(page.get_by_text("Inscription confirmée pour Hugo Martin.")).to_be_visible()
    expect(page.locator("#compteur-places")).to_have_text("2 / 5")
    # a bad e-mail is explained and nothing is lost
    _register(page, "Petit", "Zoé", "zoe.petit", "conseiller")
    expect(page.get_by_text(re.compile("Adresse e-mail invalide"))).to_be_visible()
    expect(page.locator("input[name=last_name]")).to_have_value("Petit")
    page.screenshot(path=shots / "41-session-ml-inscrits.png", full_page=True)

    # The session fills up (another mission locale), a third person waits.
    _fill_with_other_ml(app, ids, 3)
    page.goto(f"{base}/formations/sessions/{ids['session']}")
    expect(page.locator("#compteur-places")).to_have_text("5 / 5")
    _register(page, "Petit", "Zoé", "zoe.petit@ml-libournais.fr", "conseiller")
    expect(page.get_by_text(re.compile(r"Liste d'attente : position 1 pour Zoé Petit"))) \
        .to_be_visible()
    table = page.locator("#inscriptions")
    expect(table.locator("tbody tr")).to_have_count(3)  # own staff only
    expect(table).not_to_contain_text("ml-pau.fr")
    expect(table.locator("tr", has_text="Zoé")).to_contain_text("Liste d'attente · position 1")
    page.screenshot(path=shots / "42-session-ml-liste-attente.png", full_page=True)

    # Cancelling a confirmed seat promotes the first person waiting.
    table.locator("tr", has_text="Hugo").get_by_role("button", name="Annuler").click()
    expect(page.get_by_text("Inscription de Hugo Martin annulée.")).to_be_visible()
    expect(page.get_by_text("Zoé Petit passe de la liste d'attente à une place confirmée.")) \
        .to_be_visible()
    table = page.locator("#inscriptions")
    expect(table.locator("tr", has_text="Zoé")).to_contain_text("Confirmée")
    expect(table.locator("tr", has_text="Hugo")).to_contain_text("Annulée")
    expect(page.locator("#compteur-places")).to_have_text("5 / 5")
    page.screenshot(path=shots / "43-session-ml-promotion.png", full_page=True)

    # "Mes inscriptions": the ml's own registrations across sessions.
    page.locator("nav.navbar").get_by_role("link", name="Formations", exact=True).click()
    page.get_by_role("link", name="Mes inscriptions").click()
    expect(page.locator("table tbody tr")).to_have_count(3)
    expect(page.locator("table")).not_to_contain_text("ml-pau.fr")
    page.screenshot(path=shots / "44-mes-inscriptions.png", full_page=True)
    watched.assert_clean()

    # The team sees everyone, with the mission locale, and can cancel the session.
    team = new_page(viewport={"width": 1366, "height": 900})
    _login(team.page, base, training_world["emails"]["animateur"])
    team.page.goto(f"{base}/formations/sessions/{ids['session']}")
    expect(team.page.locator("#inscriptions tbody tr")).to_have_count(6)
    expect(team.page.locator("#inscriptions")).to_contain_text("Mission locale Pau Pyrénées")
    team.page.get_by_role("button", name="Annuler la session").click()
    expect(team.page.locator("textarea[name=reason]")).to_be_visible()
    team.page.screenshot(path=shots / "45-session-equipe.png", full_page=True)
    team.page.locator("textarea[name=reason]").fill("Formatrice indisponible.")
    team.page.get_by_role("button", name="Confirmer l'annulation").click()
    expect(team.page.get_by_text(re.compile("Session annulée : les personnes inscrites"))) \
        .to_be_visible()
    expect(team.page.locator("h1 .badge")).to_have_text("Annulée")
    team.page.screenshot(path=shots / "46-session-annulee.png", full_page=True)
    team.assert_clean()


# The element that has the focus, described as a person would read it.
FOCUSED = """() => { const e = document.activeElement; if (!e) return '';
  return [e.tagName, e.getAttribute('name') || '',
          (e.innerText || e.value || e.getAttribute('aria-label') || '').trim()]
    .join('|'); }"""


def _tab_to(page, wanted: str, limit: int = 80) -> str:
    """Press Tab until the focused element's description contains ``wanted``."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        if wanted in focused:
            return focused
    raise AssertionError(f"« {wanted} » jamais atteint au clavier")


def test_keyboard_only_sign_in_register_a_trainee_and_sign_out(
        training_world, live_server, shots, new_page):  # noqa: F811
    """RGAA 12.x: the whole path with the keyboard alone, no mouse click."""
    base = live_server
    page = new_page(viewport={"width": 1366, "height": 900}).page
    page.goto(f"{base}/connexion")
    _tab_to(page, "INPUT|email")
    page.keyboard.type(training_world["emails"]["ml"])
    _tab_to(page, "INPUT|password")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{base}/formations/")
    _tab_to(page, "A||Accueillir un public")
    page.keyboard.press("Enter")
    expect(page.locator("#compteur-places")).to_have_text("0 / 5")
    for name, value in (("last_name", "Durand"), ("first_name", "Léa"),
                        ("email", "lea.durand@ml-libournais.fr")):
        _tab_to(page, f"INPUT|{name}")
        page.keyboard.type(value)
    _tab_to(page, "SELECT|job")
    page.keyboard.type("Conseill")  # a select is chosen by typing its label
    _tab_to(page, "BUTTON||Inscrire")
    page.keyboard.press("Enter")
    expect(page.get_by_text("Inscription confirmée pour Léa Durand.")).to_be_visible()
    _tab_to(page, "BUTTON||Se déconnecter", limit=200)  # on, past the end of the page, to the top
    page.keyboard.press("Enter")
    expect(page.get_by_text("Vous êtes déconnecté·e.")).to_be_visible()
    page.screenshot(path=shots / "45-clavier-deconnecte.png")
