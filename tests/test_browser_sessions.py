"""Sessions in a real Chromium: one sign-in for both apps (the web app's "Tableaux de bord"
link opens the Streamlit dashboard signed in), logging out of the web app ends the dashboard
session, a used token shows the login form, and the idle-timeout warning.

SQLite only: what is checked here is the browser side; the session rules run on both
backends in test_sessions.py.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from models import clock
from tests.conftest import ARTIFACTS, PASSWORD, make_app

CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.exists():  # pragma: no cover - depends on the machine
    pytest.skip(f"Chromium absent ({CHROMIUM} introuvable).", allow_module_level=True)

from playwright.sync_api import Page, expect, sync_playwright  # noqa: E402

from tests.test_accessibility import LAUNCH_ARGS, Dashboard  # noqa: E402

pytestmark = [pytest.mark.browser,
              pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]

SHOTS = ARTIFACTS / "screenshots" / "sessions"


@pytest.fixture(scope="module")
def dashboard(database_url, tmp_path_factory):
    with pytest.MonkeyPatch.context() as patch:
        # the dashboard process reads the tests' clock as it is now
        patch.setenv("ANIMARESEAU_CLOCK_START", clock.now().isoformat())
        process = Dashboard(database_url, tmp_path_factory.mktemp("streamlit") / "log.txt")
    yield process
    process.stop()


@pytest.fixture
def servers(app, world, database_url, dashboard):
    import threading

    from werkzeug.serving import make_server

    served = make_app(database_url, WTF_CSRF_ENABLED=True, DASHBOARD_URL=dashboard.ready())
    server = make_server("127.0.0.1", 0, served, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", dashboard.url
    server.shutdown()
    thread.join(timeout=10)
    server.server_close()


@pytest.fixture
def page():
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                    args=LAUNCH_ARGS)
        context = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 800})
        context.set_default_timeout(20_000)
        yield context.new_page()
        browser.close()


# a Streamlit page renders after its script ran: slower than a Flask page on a busy machine
WAIT = 20_000


def web_login(page: Page, base: str, email: str) -> None:
    page.goto(f"{base}/connexion")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="Se connecter").click()


def test_one_sign_in_for_both_apps_and_one_logout(servers, world, page):
    web, dash = servers
    web_login(page, web, world["emails"]["admin"])
    expect(page.get_by_role("heading", name=re.compile("Bonjour"))).to_be_visible()

    # The navbar link goes through /tableaux-de-bord and lands on the dashboard, signed in.
    tokens: list[str] = []
    page.on("request", lambda r: tokens.extend(re.findall(r"jeton=([\w-]+)", r.url)))
    page.locator("nav").get_by_role("link", name="Tableaux de bord").click()
    expect(page.get_by_role("heading", name="Tableaux de bord")).to_be_visible(timeout=WAIT)
    expect(page.get_by_text("Ada Admin").first).to_be_visible(timeout=WAIT)
    assert tokens, "no sign-on token seen"
    expect(page).not_to_have_url(re.compile("jeton="))  # removed from the address bar
    page.screenshot(path=SHOTS / "01-dashboard-signed-on.png")

    # The token is single-use: opened again, it shows the login form with an explanation.
    page.goto(f"{dash}/?jeton={tokens[0]}")
    expect(page.get_by_text("a expiré ou a déjà servi")).to_be_visible(timeout=WAIT)
    expect(page.get_by_role("button", name="Se connecter")).to_be_visible(timeout=WAIT)
    page.screenshot(path=SHOTS / "02-dashboard-token-used.png")

    # A fresh link signs on again; then logging out of the web app ends that session too.
    page.goto(f"{web}/tableaux-de-bord")
    expect(page.get_by_role("heading", name="Tableaux de bord")).to_be_visible(timeout=WAIT)
    dashboard_page = page.url
    page.goto(f"{web}/")
    page.get_by_role("button", name="Se déconnecter").click()
    expect(page.get_by_text("Vous êtes déconnecté·e.")).to_be_visible()
    page.goto(dashboard_page)
    expect(page.get_by_role("button", name="Se connecter")).to_be_visible(timeout=WAIT)
    expect(page.get_by_text("Ada Admin")).to_have_count(0)


def test_idle_warning_lets_the_user_stay_signed_in(servers, world, page):
    web, _ = servers
    page.clock.install()
    web_login(page, web, world["emails"]["ml"])
    warning = page.get_by_role("alertdialog")
    # The signed-in page must have loaded and armed its timer before time moves:
    # on the login page the dialog does not exist, so "hidden" alone proves nothing.
    expect(page.locator("#session-warning")).to_be_attached()
    page.wait_for_load_state("load")
    expect(warning).to_be_hidden()
    page.clock.fast_forward("28:05")  # 2 minutes before the 30-minute idle timeout
    expect(warning).to_be_visible()
    expect(warning).to_contain_text("votre session va se fermer dans")
    expect(page.get_by_role("button", name="Rester connecté·e")).to_be_focused()
    page.screenshot(path=SHOTS / "03-idle-warning.png")
    page.get_by_role("button", name="Rester connecté·e").click()
    expect(warning).to_be_hidden()
    # without a click, the warning ends on a link to sign in again
    page.clock.fast_forward("30:05")
    expect(warning.get_by_role("link", name="Se reconnecter")).to_be_visible()
