"""The Observatoire page in a real Chromium, with the network unplugged: every request to a
host other than the local dashboard is aborted and recorded, and none may be made (the map
of départements is drawn offline, no Plotly CDN, no web font, no tile server).

The real dashboard (``streamlit run``) on the demo data; the copil picks a month and gets
its map, the demo ml account its own view. Screenshots, for a human to look at:
``tests/artifacts/observatoire-copil.png`` and ``tests/artifacts/observatoire-ml.png``.

SQLite only: what is checked here is the browser side; the page's figures and the
secrecy run on both backends in test_dashboard_observatory.py.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from models import clock
from models.observatory import queries
from seeds.demo import DEMO_PASSWORD
from tests.conftest import ARTIFACTS
from webapp.extensions import db

CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.exists():  # pragma: no cover - depends on the machine
    pytest.skip(f"Chromium absent ({CHROMIUM} introuvable).", allow_module_level=True)

from playwright.sync_api import Error as PlaywrightError  # noqa: E402
from playwright.sync_api import Page, Route, expect, sync_playwright  # noqa: E402

from tests.test_accessibility import LAUNCH_ARGS, Dashboard, wait_for_streamlit  # noqa: E402

pytestmark = [pytest.mark.browser,
              pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]

LOCAL_HOSTS = {"127.0.0.1", "localhost"}
NO_NETWORK = {"data", "blob", "about"}  # schemes that never leave the browser
COPIL, ML = "copil@demo.arml.fr", "ml@demo.arml.fr"
MONTH, JUNE = "Juin 2026", (date(2026, 6, 1), date(2026, 6, 30))
DEPARTEMENTS = 12  # the demo region's départements, one filled shape each at least
CANARY = "https://cdn.plot.ly/plotly-3.0.1.min.js"
#: Streamlit's frontend turns a ``page_icon=":material/…:"`` into a favicon fetched from
#: fonts.gstatic.com: the dashboard uses an emoji instead, and this URL is no longer let off.
FAVICON = re.compile(r"^https://fonts\.gstatic\.com/s/i/short-term/release/"
                     r"materialsymbolsrounded/bar_chart/default/24px\.svg$")


# ---------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def dashboard(demo_app, tmp_path_factory):
    """The dashboard process on the demo database (built first by ``demo_app``)."""
    with pytest.MonkeyPatch.context() as patch:
        # the dashboard process reads the tests' clock as it is now
        patch.setenv("ANIMARESEAU_CLOCK_START", clock.now().isoformat())
        process = Dashboard(demo_app.config["SQLALCHEMY_DATABASE_URI"],
                            tmp_path_factory.mktemp("streamlit") / "log.txt")
    yield process.ready()
    process.stop()


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                     args=LAUNCH_ARGS)
        yield instance
        instance.close()


class Offline:
    """A page whose every non-local request is aborted and recorded (``blocked``); any
    request or WebSocket that would escape the route (a worker's…) is recorded too."""

    def __init__(self, browser):
        self.context = browser.new_context(locale="fr-FR",
                                           viewport={"width": 1280, "height": 900})
        self.context.set_default_timeout(30_000)
        self.blocked: list[str] = []  # aborted by the route
        self.external: list[str] = []  # every non-local request or WebSocket seen at all
        self.page: Page = self.context.new_page()
        self.page.route("**/*", self._route)
        self.context.on("request", lambda r: self._watch(r.url))
        self.page.on("websocket", lambda ws: self._watch(ws.url))

    @staticmethod
    def local(url: str) -> bool:
        parts = urlsplit(url)
        return parts.scheme in NO_NETWORK or parts.hostname in LOCAL_HOSTS

    def _watch(self, url: str) -> None:
        if not self.local(url):
            self.external.append(url)

    def _route(self, route: Route) -> None:
        url = route.request.url
        if self.local(url):
            route.continue_()
        else:
            self.blocked.append(url)
            route.abort("blockedbyclient")

    def assert_offline(self, *, favicon_known: bool = False) -> None:
        """No request left the machine (but the known favicon, when ``favicon_known``)."""
        def known(url: str) -> bool:
            return favicon_known and FAVICON.match(url) is not None

        blocked = [u for u in self.blocked if not known(u)]
        assert blocked == [], f"requêtes hors de la machine : {blocked}"
        escaped = [u for u in self.external if u not in self.blocked and not known(u)]
        assert escaped == [], f"requêtes hors de la machine (non routées) : {escaped}"

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def offline(browser):
    pages: list[Offline] = []

    def _open() -> Offline:
        pages.append(Offline(browser))
        return pages[-1]

    yield _open
    for page in pages:
        page.close()


# ---------------------------------------------------------------- helpers
def sign_in(page: Page, url: str, email: str) -> None:
    """The dashboard's own form (as tests/test_accessibility.py ``dashboard_login``), with
    the demo accounts' password."""
    page.goto(url)
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_test_id("stSidebarNav")).to_be_visible()
    wait_for_streamlit(page)


def open_observatory(page: Page) -> None:
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="Observatoire",
                                                     exact=True).click()
    expect(page.get_by_role("heading", name="Observatoire régional", level=1)).to_be_visible()
    wait_for_streamlit(page)


def choose_month(page: Page, label: str = MONTH) -> None:
    page.get_by_test_id("stRadio").get_by_text("Mois", exact=True).click()
    wait_for_streamlit(page)
    page.get_by_test_id("stSelectbox").filter(has_text="Période").click()
    page.get_by_role("option", name=label, exact=True).click()
    wait_for_streamlit(page)
    expect(page.get_by_test_id("stMain").get_by_text(label, exact=True).first).to_be_visible()


def scroll_to(page: Page, locator) -> None:
    """Scroll to an element Streamlit may still be redrawing: a rerun that ends while
    Playwright scrolls replaces the element ("not attached to the DOM"); try again."""
    for attempt in range(5):
        try:
            locator.scroll_into_view_if_needed()
            return
        except PlaywrightError:
            if attempt == 4:
                raise
            wait_for_streamlit(page)
            page.wait_for_timeout(300)


def grid_rows(page: Page) -> dict[int, dict[int, str]]:
    """The rows the « Tableaux » data grid has drawn, as its accessible cells say them
    (glide-data-grid: ``td#glide-cell-<column>-<row>``): row → column → text."""
    cells = page.get_by_test_id("stDataFrame").locator("td[role=gridcell]").evaluate_all(
        "tds => tds.map(td => [td.id, td.textContent])")
    rows: dict[int, dict[int, str]] = {}
    for cell_id, text in cells:
        column, row = (int(n) for n in cell_id.rsplit("-", 2)[1:])
        rows.setdefault(row, {})[column] = text
    return rows


def screenshot(page: Page, path: Path) -> None:
    """The whole page: the window is made as tall as the main block (Streamlit scrolls
    inside its own container, so ``full_page`` alone would cut it)."""
    height = page.get_by_test_id("stMainBlockContainer").evaluate("e => e.scrollHeight")
    page.set_viewport_size({"width": 1280, "height": min(int(height) + 120, 12_000)})
    wait_for_streamlit(page)
    page.wait_for_timeout(500)  # Plotly redraws at the new size
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=path, full_page=True)


# ---------------------------------------------------------------- tests
def test_copil_map_is_drawn_offline(dashboard, offline):
    guarded = offline()
    page = guarded.page
    sign_in(page, dashboard, COPIL)
    open_observatory(page)
    choose_month(page)

    main = page.get_by_test_id("stMain")
    # a rerun may briefly leave the old copy beside the new one: either is the heading
    expect(main.get_by_role("heading", name="Carte par département").first).to_be_visible()
    expect(main.get_by_text(re.compile(r"^39 missions locales sur 39 ont une extraction"))
           ).to_be_visible()
    # the map: one Plotly chart (a month has no monthly series), filled SVG shapes
    charts = main.get_by_test_id("stPlotlyChart")
    expect(charts).to_have_count(1)
    shapes = charts.locator("svg .scatterlayer path.js-fill")
    expect(shapes.first).to_be_attached()
    assert shapes.count() >= DEPARTEMENTS
    drawn = shapes.evaluate_all("ps => ps.filter(p => (p.getAttribute('d') || '').length > 20)"
                                ".length")
    assert drawn >= DEPARTEMENTS
    codes = charts.locator("svg .scatterlayer text").all_text_contents()
    assert {"16", "33", "64", "87"} <= set(codes), codes
    # grey départements are secret, as the caption says
    expect(main.get_by_text(re.compile(r"département\(s\) en gris : secret statistique"))
           ).to_be_visible()

    screenshot(page, ARTIFACTS / "observatoire-copil.png")
    guarded.assert_offline()

    # the guard works: a request to the Plotly CDN is aborted and recorded
    outcome = page.evaluate("url => fetch(url).then(() => 'reached', () => 'blocked')", CANARY)
    assert outcome == "blocked"
    assert guarded.blocked == [CANARY]
    with pytest.raises(AssertionError, match="cdn.plot.ly"):
        guarded.assert_offline()


def test_ml_account_sees_its_own_view_offline(dashboard, offline):
    guarded = offline()
    page = guarded.page
    sign_in(page, dashboard, ML)
    open_observatory(page)
    main = page.get_by_test_id("stMain")
    expect(main.get_by_text("ce sont vos données", exact=False)).to_be_visible()
    expect(main.get_by_role("heading", name="Chiffres clés")).to_be_visible()
    expect(main.get_by_role("heading", name="Carte par département")).to_have_count(0)
    screenshot(page, ARTIFACTS / "observatoire-ml.png")
    guarded.assert_offline()


def test_hidden_cells_read_s_in_the_browser(demo_app, dashboard, offline):
    with demo_app.app_context():
        pub = queries.publication(db.session, None, *JUNE)
    table = pub.tables["jeunes_accompagnes"]  # the table the page opens on
    hidden = {f"{c.label} ({c.code})" for c in table.cells if c.value is None}
    assert len(hidden) == 7
    guarded = offline()
    page = guarded.page
    sign_in(page, dashboard, COPIL)
    open_observatory(page)
    choose_month(page)
    grid = page.get_by_test_id("stDataFrame")
    scroll_to(page, grid)
    expect(grid.locator("td[role=gridcell]").first).to_be_attached()

    def departements() -> dict[str, str]:
        rows = grid_rows(page)
        return {row[1]: row[2] for row in rows.values() if row.get(0) == "Département"}

    # the period's label shows in the select box before the rerun that redraws the grid has
    # finished: on a loaded machine the grid may still show the previous period for a while
    values = departements()
    for _ in range(20):
        if hidden <= set(values) and all(values[name] == "s" for name in hidden):
            break
        page.wait_for_timeout(500)
        wait_for_streamlit(page)
        values = departements()
    assert hidden <= set(values), values
    guarded.assert_offline()
    assert {name: values[name] for name in hidden} == dict.fromkeys(hidden, "s")


def test_dashboard_favicon_stays_on_the_machine(dashboard, offline):
    guarded = offline()
    guarded.page.goto(dashboard)
    expect(guarded.page.get_by_role("button", name="Se connecter")).to_be_visible()
    wait_for_streamlit(guarded.page)
    guarded.assert_offline(favicon_known=False)


def test_the_mentoring_page_is_drawn_offline(dashboard, offline):
    """The « Parrainage » dashboard page: the State's protected yearly table and its charts,
    with nothing fetched from outside the machine."""
    guarded = offline()
    page = guarded.page
    sign_in(page, dashboard, COPIL)
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="Parrainage",
                                                     exact=True).click()
    main = page.get_by_test_id("stMain")
    expect(main.get_by_role("heading", level=1).first).to_contain_text("arrainage")
    wait_for_streamlit(page)
    expect(main.get_by_test_id("stPlotlyChart").first).to_be_visible()
    screenshot(page, ARTIFACTS / "parrainage-copil.png")
    guarded.assert_offline()
