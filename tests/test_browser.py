"""Real-browser journeys: Debian Chromium driven by Playwright against a live server.

The served app has CSRF protection ON (unlike the ``app`` fixture), so every form
goes through the real token flow. Screenshots land in
``tests/artifacts/screenshots/<backend>/`` for a human to look at.
"""

from __future__ import annotations

import re
import threading
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from models.network.orm import MissionLocale, Region
from tests.conftest import ARTIFACTS, PASSWORD, make_app
from webapp.extensions import db

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run",
               "--disable-quic"]

if not CHROMIUM.exists():  # pragma: no cover - depends on the machine
    reason = f"Chromium absent ({CHROMIUM} introuvable) : tests navigateur ignorés."
    print(reason)
    pytest.skip(reason, allow_module_level=True)

from playwright.sync_api import Page, expect, sync_playwright  # noqa: E402

pytestmark = pytest.mark.browser

# A CSP violation is not always printed to the console: report it there ourselves.
CSP_WATCH = """
document.addEventListener('securitypolicyviolation', (e) => {
  console.error('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI);
});
"""


# ---------------------------------------------------------------- fixtures
def _backend(database_url: str) -> str:
    return "sqlite" if database_url.startswith("sqlite") else "postgresql"


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                     args=LAUNCH_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def live_server(app, world, database_url):
    """The CSRF-enabled app, served for real on a free port, on the world's database."""
    from werkzeug.serving import make_server

    served = make_app(database_url, WTF_CSRF_ENABLED=True)
    with served.app_context():
        # A third mission locale in the Gironde makes sorting and filtering meaningful.
        region = db.session.get(Region, world["ids"]["region"])
        db.session.add(MissionLocale(region=region, code="33010", name="Mission locale des Graves",
                                     departement="33", commune="Langon"))
        db.session.commit()
        db.session.remove()
    server = make_server("127.0.0.1", 0, served, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)
    server.server_close()
    with served.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def shots(database_url):
    directory = ARTIFACTS / "screenshots" / _backend(database_url)
    directory.mkdir(parents=True, exist_ok=True)
    return directory


class Watched:
    """A page whose console errors, uncaught exceptions and CSP violations are recorded."""

    def __init__(self, page: Page):
        self.page = page
        self.problems: list[str] = []
        # URL paths whose failed load is the point of the step (an expected 404 page).
        self.expected_failures: set[str] = set()
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.problems.append(f"pageerror: {exc}"))

    def _console(self, msg) -> None:
        if msg.type != "error":
            return
        url = msg.location.get("url", "")
        if msg.text.startswith("Failed to load resource") and \
                urlsplit(url).path in self.expected_failures:
            return
        self.problems.append(f"console.error: {msg.text} ({url})")

    def assert_clean(self) -> None:
        assert not self.problems, "Erreurs dans la console du navigateur :\n" + "\n".join(
            self.problems)


@pytest.fixture
def new_page(browser):
    contexts = []

    def _open(**context_options) -> Watched:
        context = browser.new_context(locale="fr-FR", **context_options)
        context.add_init_script(CSP_WATCH)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return Watched(context.new_page())

    yield _open
    for context in contexts:
        context.close()


def _login(page: Page, base: str, email: str, password: str = PASSWORD) -> None:
    page.goto(f"{base}/connexion")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.get_by_role("button", name="Se connecter").click()


def _column(page: Page, index: int) -> list[str]:
    cells = page.locator(f"table tbody tr td:nth-child({index})")
    return [t.strip() for t in cells.all_inner_texts()]


# ---------------------------------------------------------------- journeys
def test_admin_journey(live_server, world, shots, new_page):
    base = live_server
    watched = new_page(viewport={"width": 1280, "height": 800})
    page = watched.page

    # Anonymous: / sends to the login page.
    page.goto(f"{base}/")
    expect(page).to_have_url(re.compile(r"/connexion(\?.*)?$"))
    expect(page.get_by_role("heading", name="Connexion")).to_be_visible()
    expect(page.locator("input[name=csrf_token]")).to_have_count(1)
    page.screenshot(path=shots / "01-login.png", full_page=True)

    # Wrong password: generic French error, still on the login page, e-mail kept.
    _login(page, base, world["emails"]["admin"], "pas-le-bon-mot-de-passe")
    expect(page).to_have_url(re.compile(r"/connexion(\?.*)?$"))
    expect(page.get_by_text("Adresse e-mail ou mot de passe incorrect")).to_be_visible()
    expect(page.locator("input[name=email]")).to_have_value(world["emails"]["admin"])
    expect(page.locator("input[name=password]")).to_have_value("")
    page.screenshot(path=shots / "02-login-error.png", full_page=True)

    # Good password: home page with greeting and navigation.
    _login(page, base, world["emails"]["admin"])
    expect(page).to_have_url(f"{base}/")
    expect(page.get_by_role("heading", name=re.compile("Bonjour"))).to_contain_text("Ada Admin")
    nav = page.locator("nav.navbar")
    for label in ("Accueil", "Réseau", "Conseils"):
        expect(nav.get_by_role("link", name=label, exact=True)).to_be_visible()
    # the administration pages are one menu (the admin's navbar stays on one line)
    nav.get_by_role("button", name="Administration").click()
    for label in ("Utilisateurs", "Journal", "Courriels (boîte d'envoi)"):
        expect(nav.get_by_role("link", name=label, exact=True)).to_be_visible()
    nav.get_by_role("button", name="Administration").click()
    expect(nav.get_by_role("button", name="Se déconnecter")).to_be_visible()
    page.screenshot(path=shots / "03-home-admin.png", full_page=True)

    # Réseau: list, sort by clicking a header, filter by département.
    nav.get_by_role("link", name="Réseau", exact=True).click()
    expect(page).to_have_url(re.compile(r"/reseau/?$"))
    expect(page.get_by_role("heading", name="Réseau des missions locales")).to_be_visible()
    table = page.locator("table")
    expect(table).to_contain_text("Mission locale du Libournais")
    expect(table).to_contain_text("Mission locale Pau Pyrénées")
    page.screenshot(path=shots / "04-reseau.png", full_page=True)

    code_header = page.locator("thead th").filter(has_text="Code").get_by_role("link")
    code_header.click()
    expect(page).to_have_url(re.compile(r"tri=code"))
    expect(page.locator("thead th").filter(has_text="Code")).to_have_attribute(
        "aria-sort", "ascending")
    ascending = _column(page, 1)
    assert ascending == ["33005", "33010", "64001"], ascending
    page.locator("thead th").filter(has_text="Code").get_by_role("link").click()
    expect(page.locator("thead th").filter(has_text="Code")).to_have_attribute(
        "aria-sort", "descending")
    descending = _column(page, 1)
    assert descending == ["64001", "33010", "33005"], descending

    page.select_option("select[name=departement]", "64")
    page.get_by_role("button", name="Filtrer").click()
    expect(page).to_have_url(re.compile(r"departement=64"))
    expect(page.locator("table tbody tr")).to_have_count(1)
    expect(table).to_contain_text("Mission locale Pau Pyrénées")
    expect(table).not_to_contain_text("Libournais")
    expect(page.locator("select[name=departement]")).to_have_value("64")
    expect(page.get_by_text("1 mission(s) locale(s)")).to_be_visible()

    # Utilisateurs → Nouveau compte, first with a too-short password.
    nav.get_by_role("button", name="Administration").click()
    nav.get_by_role("link", name="Utilisateurs", exact=True).click()
    expect(page.get_by_role("heading", name="Utilisateurs", exact=True)).to_be_visible()
    page.get_by_role("link", name="Nouveau compte").click()
    expect(page.get_by_role("heading", name="Nouveau compte")).to_be_visible()
    page.fill("input[name=full_name]", "Nina Nouvelle")
    page.fill("input[name=email]", "nina.nouvelle@test.fr")
    page.select_option("select[name=role]", "ml")
    page.select_option("select[name=mission_locale_id]", str(world["ids"]["ml_a"]))
    page.fill("input[name=password]", "court")
    page.fill("input[name=confirm]", "court")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page).to_have_url(re.compile(r"/utilisateurs/nouveau$"))
    password_error = page.locator(".invalid-feedback").filter(
        has_text="Le mot de passe doit contenir au moins 12 caractères")
    expect(password_error).to_be_visible()
    expect(page.locator("input[name=password]")).to_have_class(re.compile("is-invalid"))
    expect(page.locator("input[name=full_name]")).to_have_value("Nina Nouvelle")
    expect(page.locator("input[name=email]")).to_have_value("nina.nouvelle@test.fr")
    expect(page.locator("select[name=role]")).to_have_value("ml")
    expect(page.locator("select[name=mission_locale_id]")).to_have_value(
        str(world["ids"]["ml_a"]))
    page.screenshot(path=shots / "05-new-user-errors.png", full_page=True)

    # Then correctly: the account appears in the list.
    page.select_option("select[name=role]", label="Mission locale")
    page.fill("input[name=password]", "un-mot-de-passe-assez-long")
    page.fill("input[name=confirm]", "un-mot-de-passe-assez-long")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page).to_have_url(re.compile(r"/utilisateurs$"))
    # a confirmation is a polite status message, not an alert
    expect(page.get_by_role("status")).to_contain_text("Compte créé pour Nina Nouvelle")
    row = page.locator("table tbody tr").filter(has_text="nina.nouvelle@test.fr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Mission locale du Libournais")
    expect(row).to_contain_text("Jamais")
    page.screenshot(path=shots / "06-users.png", full_page=True)

    # Log out with the navbar POST form: back on the login page, / protected again.
    nav.get_by_role("button", name="Se déconnecter").click()
    expect(page).to_have_url(re.compile(r"/connexion$"))
    expect(page.get_by_role("status")).to_contain_text("déconnecté")
    expect(nav.get_by_role("button", name="Se déconnecter")).to_have_count(0)
    page.goto(f"{base}/")
    expect(page).to_have_url(re.compile(r"/connexion$"))
    expect(page.get_by_role("heading", name="Connexion")).to_be_visible()

    watched.assert_clean()


def test_ml_user_sees_only_their_mission_locale(live_server, world, shots, new_page):
    base = live_server
    watched = new_page(viewport={"width": 1280, "height": 800})
    page = watched.page

    _login(page, base, world["emails"]["ml"])
    # a mission locale lands on the regional training catalogue
    expect(page).to_have_url(f"{base}/formations/")
    nav = page.locator("nav.navbar")
    expect(nav.get_by_role("link", name="Ma mission locale")).to_be_visible()
    expect(nav.get_by_role("link", name="Réseau", exact=True)).to_have_count(0)
    expect(nav.get_by_role("link", name="Utilisateurs")).to_have_count(0)

    nav.get_by_role("link", name="Ma mission locale").click()
    expect(page).to_have_url(f"{base}/reseau/{world['ids']['ml_a']}")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Mission locale du Libournais")
    expect(page.get_by_text("Libourne", exact=True)).to_be_visible()
    page.screenshot(path=shots / "07-ml-detail.png", full_page=True)

    # Another mission locale: a French 404, not a leak and not a 403.
    watched.expected_failures.add(f"/reseau/{world['ids']['ml_b']}")
    response = page.goto(f"{base}/reseau/{world['ids']['ml_b']}")
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", name="Page introuvable")).to_be_visible()
    expect(page.locator("body")).not_to_contain_text("Pau Pyrénées")
    expect(page.get_by_role("link", name="Revenir à l'accueil")).to_be_visible()
    page.screenshot(path=shots / "08-404.png", full_page=True)

    watched.assert_clean()


def test_phone_home(live_server, world, shots, new_page):
    base = live_server
    watched = new_page(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                       device_scale_factor=2)
    page = watched.page

    _login(page, base, world["emails"]["admin"])
    expect(page).to_have_url(f"{base}/")
    expect(page.get_by_role("heading", name=re.compile("Bonjour"))).to_be_visible()
    toggler = page.locator(".navbar-toggler")
    expect(toggler).to_be_visible()
    # Collapsed menu: links hidden until the toggler is used (Bootstrap JS works under CSP).
    expect(page.locator("#nav").get_by_role("link", name="Réseau", exact=True)).to_be_hidden()
    no_overflow = page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert no_overflow, "la page déborde horizontalement sur téléphone"
    page.screenshot(path=shots / "09-mobile-home.png", full_page=True)

    toggler.click()
    expect(toggler).to_have_attribute("aria-expanded", "true")
    # Wait for the end of Bootstrap's collapse animation (.collapsing → .collapse.show).
    expect(page.locator("#nav")).to_have_class(re.compile(r"\bshow\b"))
    expect(page.locator("#nav").get_by_role("link", name="Réseau", exact=True)).to_be_visible()
    expect(page.locator("#nav").get_by_role("button", name="Se déconnecter")).to_be_visible()
    page.screenshot(path=shots / "10-mobile-menu.png", full_page=True)

    watched.assert_clean()

