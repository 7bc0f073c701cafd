"""Accessibility (WCAG 2.1 AA, RGAA 4.1): axe-core in a real Chromium on every page.

Every GET page of the authorization matrix (tests/test_authz_matrix.py) is opened by each
role that may see it, plus the login page, the 403 and 404 pages and the accessibility
statement; then every page of the Streamlit dashboard, for the ARML team and for a mission
locale. No violation of impact "serious" or "critical" is allowed.

Markup does not depend on the database backend: the module runs on SQLite only, with one
browser, one live web server and one dashboard process. Screenshots at 320 px and at
desktop width land in ``tests/artifacts/screenshots/accessibilite/``.
"""

from __future__ import annotations

import os
import queue
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import ARTIFACTS, PASSWORD, make_app
from tests.test_authz_matrix import (
    COUNCIL_PARTS,
    EXPECTED,
    MENTORING_PARTS,
    OK,
    OPERATIONS_PARTS,
    _expected,
    add_quality_import,
    add_reports,
    route_url,
)
from webapp.extensions import db

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run",
               "--disable-quic"]
# fewer background services: a few hundred page loads cost less CPU (the machine is shared)
QUIET_ARGS = [*LAUNCH_ARGS, "--disable-extensions", "--mute-audio", "--disable-breakpad",
              "--disable-renderer-backgrounding", "--disable-background-timer-throttling",
              "--disable-features=Translate,MediaRouter,OptimizationHints",
              "--disable-dev-shm-usage"]
ROOT = Path(__file__).resolve().parent.parent

if not CHROMIUM.exists():  # pragma: no cover - depends on the machine
    reason = f"Chromium absent ({CHROMIUM} introuvable) : tests d'accessibilité ignorés."
    print(reason)
    pytest.skip(reason, allow_module_level=True)

from axe_playwright_python.sync_playwright import Axe  # noqa: E402
from playwright.sync_api import Error as PlaywrightError  # noqa: E402
from playwright.sync_api import Page, expect, sync_playwright  # noqa: E402

pytestmark = [
    pytest.mark.browser,
    # markup is the same on both backends: SQLite only (no PostgreSQL cluster started)
    pytest.mark.parametrize("database_url", ["sqlite"], indirect=True),
]

BLOCKING = ("serious", "critical")
ROLES = ["admin", "animateur", "copil", "ml", "financeur"]
SHOTS = ARTIFACTS / "screenshots" / "accessibilite"
DESKTOP = {"width": 1280, "height": 800}
MOBILE = {"width": 320, "height": 640}


# ---------------------------------------------------------------- axe
AXE_SCRIPT = Axe().axe_script  # axe-core bundled with axe-playwright-python: works offline


def axe_violations(page: Page, where: str, include: str | None = None,
                   exclude: list[str] | None = None) -> list[str]:
    """The serious and critical axe violations of the current page, one readable line each
    (``where`` says which page for which role)."""
    # (not just `window.axe`: an element with id="axe", a programme axis, is window.axe too)
    if not page.evaluate("typeof window.axe?.run === 'function'"):
        page.evaluate(AXE_SCRIPT)
    context = {"include": [include] if include else [["html"]],
               "exclude": [[selector] for selector in exclude or []]}
    # only the blocking violations cross back from the page (smaller, faster)
    violations = page.evaluate(
        """([context, options, blocking]) => axe.run(context, options)
             .then(results => results.violations.filter(v => blocking.includes(v.impact)))""",
        [context, {"resultTypes": ["violations"], "iframes": False}, list(BLOCKING)])
    lines = []
    for violation in violations:
        targets = ", ".join(" ".join(map(str, node["target"])) for node in violation["nodes"][:5])
        more = len(violation["nodes"]) - 5
        # the first element's reason (e.g. the measured contrast ratio and colours)
        reason = " ".join(violation["nodes"][0].get("failureSummary", "").split()[4:])
        lines.append(f"{where}: {violation['id']} ({violation['impact']}) "
                     f"{violation['help']} → {targets}{f' (+{more})' if more > 0 else ''}"
                     f" — {reason}")
    return lines


def assert_no_violation(lines: list[str], checked: int) -> None:
    assert not lines, (f"{len(lines)} violation(s) « serious »/« critical » sur {checked} "
                       "page(s) contrôlée(s) :\n" + "\n".join(lines))


# ---------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                     args=QUIET_ARGS)
        yield instance
        instance.close()


@pytest.fixture(scope="module")
def web(database_url):
    """The CSRF-enabled app served for real on a free port (one per module)."""
    from werkzeug.serving import make_server

    # static files cached by the browser: ~170 pages do not each revalidate Bootstrap
    served = make_app(database_url, WTF_CSRF_ENABLED=True, SEND_FILE_MAX_AGE_DEFAULT=3600,
                      ACCESSIBILITY_CONTACT="accessibilite@arml-test.fr")
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


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Dashboard:
    """``streamlit run dashboard/app.py`` on the test database, started in the background
    as soon as the module starts (it boots while the web pages are checked)."""

    def __init__(self, database_url: str, log: Path):
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = dict(os.environ, ANIMARESEAU_ENV="test", DATABASE_URL=database_url,
                   ANIMARESEAU_INSTANCE_PATH=os.environ["ANIMARESEAU_INSTANCE_PATH"])
        self.log = log
        self._log_file = log.open("w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(ROOT / "dashboard" / "app.py"),
             "--server.port", str(self.port), "--server.address", "127.0.0.1",
             "--server.headless", "true", "--server.fileWatcherType", "none",
             "--browser.gatherUsageStats", "false"],
            cwd=ROOT, env=env, stdout=self._log_file, stderr=subprocess.STDOUT)

    def ready(self, timeout: float = 60) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                health = f"{self.url}/_stcore/health"  # our own local http server
                with urllib.request.urlopen(health, timeout=2) as r:  # noqa: S310
                    if r.status == 200:
                        return self.url
            except OSError:
                time.sleep(0.2)
        pytest.fail("Le tableau de bord Streamlit n'a pas démarré :\n" + self.log.read_text())

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:  # pragma: no cover
            self.process.kill()
            self.process.wait()
        self._log_file.close()


@pytest.fixture(scope="module")
def dashboard(database_url, tmp_path_factory):
    process = Dashboard(database_url, tmp_path_factory.mktemp("streamlit") / "streamlit.log")
    yield process
    process.stop()


@pytest.fixture
def a11y_world(app, full_world):
    """The matrix world (every area's objects, a finished Parcours import for ml_b) plus a
    scored extract with a finding for the ml account's own mission locale (ml_a), so that its
    quality pages and the regional table show scores, rates and colours."""
    from datetime import date
    from decimal import Decimal

    from models.parcours.charter import current_version
    from models.parcours.orm import ParcoursExtract, QualityFinding, QualityRuleCount

    add_quality_import(app, full_world)
    add_reports(app, full_world)
    # the councils area's meetings, minutes, decisions, projects; the parrainage records
    for part in COUNCIL_PARTS + MENTORING_PARTS + OPERATIONS_PARTS:
        part.add(app, full_world)
    ids = full_world["ids"]
    with app.app_context():
        charter = current_version(db.session)  # the 17 rules: columns of the regional table
        extract = ParcoursExtract(
            import_id=ids["quality_import"], mission_locale_id=ids["ml_a"],
            period_start=date(2026, 1, 1), period_end=date(2026, 9, 30), status="current",
            charter_version_id=charter.id, jeunes=120, evenements=400, jeunes_in_error=11,
            jeunes_in_error_raw=11, score=Decimal("0.908333"), score_raw=Decimal("0.908333"))
        db.session.add(extract)
        db.session.flush()
        db.session.add(QualityFinding(extract_id=extract.id, rule_code="Q04", severity="erreur",
                                      record_key="J:7", id_jeune="7", field="sexe", value="X"))
        # rates of each colour level in the table: under 1 %, 1 to 5 %, 5 % or more
        db.session.add_all(QualityRuleCount(extract_id=extract.id, rule_code=code,
                                            severity=severity, findings=n, jeunes=n)
                           for code, severity, n in (("Q04", "erreur", 1), ("Q09", "erreur", 4),
                                                     ("Q15", "avertissement", 10)))
        db.session.commit()
    return full_world


@pytest.fixture(scope="module")
def shots():
    SHOTS.mkdir(parents=True, exist_ok=True)
    return SHOTS


@pytest.fixture
def open_page(browser):
    contexts = []

    def _open(viewport=DESKTOP) -> Page:
        context = browser.new_context(locale="fr-FR", viewport=viewport)
        context.add_init_script(script=AXE_SCRIPT)
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield _open
    for context in contexts:
        context.close()


def web_login(page: Page, base: str, email: str) -> None:
    page.goto(f"{base}/connexion")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    expect(page).not_to_have_url(re.compile(r"/connexion"))


def open_html(page: Page, url: str) -> bool:
    """Go to ``url``; False when it is a file (PDF, spreadsheet, calendar), not a page."""
    try:
        # styles are applied by then (the scripts at the end of <body> wait for them)
        response = page.goto(url, wait_until="domcontentloaded")
    except PlaywrightError:  # Chromium turned the navigation into a download
        kind = page.request.head(url).headers.get("content-type", "")
        assert not kind.startswith("text/html"), f"{url}: la page n'a pas pu s'ouvrir"
        return False
    assert response is not None and response.ok, f"{url}: {response and response.status}"
    return response.headers.get("content-type", "").startswith("text/html")


def pages_for(who: str) -> list[str]:
    """The GET routes of the matrix this identity may see (200)."""
    return [endpoint for endpoint, (method, _, _) in EXPECTED.items()
            if method == "GET" and _expected(endpoint, who) == OK]


# ---------------------------------------------------------------- the web app
WORKERS = 2  # browsers checking roles side by side (each role signs in once)


def new_context(browser, viewport=DESKTOP):
    context = browser.new_context(locale="fr-FR", viewport=viewport)
    context.add_init_script(script=AXE_SCRIPT)
    context.set_default_timeout(15_000)
    return context


def page_facts(page: Page) -> tuple[str, str]:
    """The page's language and title (RGAA 8.3, 8.5, 8.6)."""
    return page.evaluate("[document.documentElement.lang, document.title]")


class RoleCheck:
    """One identity's pages: signs in once, then axe on each page it may see."""

    def __init__(self, who: str, urls: list[tuple[str, str]], email: str | None):
        self.who, self.urls, self.email = who, urls, email
        self.lines: list[str] = []
        self.titles: dict[str, str] = {}
        self.checked = 0
        self.seconds = 0.0

    def run(self, browser, web: str) -> None:
        started = time.monotonic()
        context = new_context(browser)
        try:
            page = context.new_page()
            if self.email:
                web_login(page, web, self.email)
            for endpoint, url in self.urls:
                if open_html(page, web + url):
                    self.check(page, f"{endpoint} ({url}) [{self.who}]")
            self.extras(page, web)
        finally:
            context.close()
        self.seconds = time.monotonic() - started

    def check(self, page: Page, where: str) -> None:
        self.lines += axe_violations(page, where)
        lang, title = page_facts(page)
        if lang != "fr":
            self.lines.append(f"{where}: langue de la page « {lang} » au lieu de « fr »")
        if not title.endswith(" · Animaréseau") or title.startswith(" · "):
            self.lines.append(f"{where}: titre de page « {title} »")
        self.titles[where] = title
        self.checked += 1

    def extras(self, page: Page, web: str) -> None:
        """The states no matrix route shows: the login error, the 403 and 404 pages."""
        if self.who == "anon":
            page.goto(f"{web}/connexion")
            # the statement is one link away from the login page (and from every footer)
            expect(page.locator("footer").get_by_role(
                "link", name="Accessibilité : partiellement conforme")).to_have_attribute(
                "href", "/accessibilite")
            page.fill("input[name=email]", "personne@test.fr")
            page.fill("input[name=password]", "pas-le-bon-mot-de-passe")
            page.get_by_role("button", name="Se connecter").click()
            expect(page.get_by_role("alert")).to_contain_text("incorrect")
            self.check(page, "auth.login, erreur [anon]")
            assert page.goto(f"{web}/page-inexistante").status == 404
            self.check(page, "404 [anon]")
        elif self.who == "ml":
            assert page.goto(f"{web}/reseau/").status == 403
            self.check(page, "403 [ml]")
            assert page.goto(f"{web}/page-inexistante").status == 404
            self.check(page, "404 [ml]")


def run_side_by_side(jobs: list[RoleCheck], web: str) -> None:
    """The jobs, longest first, on WORKERS threads; each thread drives its own Chromium
    (Playwright's sync API is one instance per thread)."""
    pending = queue.Queue()
    for job in sorted(jobs, key=lambda j: -len(j.urls)):
        pending.put(job)
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                            args=QUIET_ARGS)
                try:
                    while True:
                        try:
                            job = pending.get_nowait()
                        except queue.Empty:
                            return
                        job.run(browser, web)
                finally:
                    browser.close()
        except BaseException as exc:  # noqa: BLE001 - re-raised in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]


def test_web_pages_have_no_serious_violation(app, a11y_world, web, dashboard):
    """Every page of the matrix × every role that may see it (the login page and this
    statement for anonymous visitors), the login error, the 403 and 404 pages: no serious
    or critical axe violation, the page in French, a title of its own."""
    jobs = [RoleCheck(who, [(e, route_url(app, a11y_world, e)) for e in pages_for(who)],
                      a11y_world["emails"].get(who)) for who in ["anon", *ROLES]]
    run_side_by_side(jobs, web)
    checked = sum(job.checked for job in jobs)
    print(f"\n{checked} pages × rôles contrôlés : "
          + ", ".join(f"{job.who} {job.checked} en {job.seconds:.1f} s" for job in jobs))
    assert checked > 150
    shared: dict[str, set[str]] = {}
    for job in jobs:
        for where, title in job.titles.items():
            shared.setdefault(title, set()).add(where.split(" ")[0])
    print("Titres portés par plusieurs pages : " + "; ".join(
        f"{title} ← {', '.join(sorted(pages))}" for title, pages in shared.items()
        if len(pages) > 1))
    assert_no_violation([line for job in jobs for line in job.lines], checked)


def test_import_progress_updates_in_place_and_is_announced(app, a11y_world, web, open_page):
    """A running Parcours import: its stage is a polite status message updated in place
    (no meta refresh reloading the page), and its end is announced."""
    from datetime import date

    from models.parcours.orm import ParcoursImport

    with app.app_context():
        record = ParcoursImport(source_name="extrait.zip", period_start=date(2026, 1, 1),
                                period_end=date(2026, 9, 30), status="en_cours",
                                stage="Lecture de jeunes.csv", progress=40)
        db.session.add(record)
        db.session.commit()
        import_id = record.id

    def progress(**values) -> None:
        with app.app_context():
            row = db.session.get(ParcoursImport, import_id)
            for key, value in values.items():
                setattr(row, key, value)
            db.session.commit()

    page = open_page()
    page.clock.install()  # the page's 2-second polling, fast-forwarded
    web_login(page, web, a11y_world["emails"]["animateur"])
    page.goto(f"{web}/qualite/imports/{import_id}")
    expect(page.locator('meta[http-equiv="refresh"]')).to_have_count(0)
    status = page.get_by_role("status").filter(has_text="Lecture de jeunes.csv")
    expect(status).to_have_count(1)
    assert_no_violation(axe_violations(page, "quality.import_detail, en cours [animateur]"), 1)
    page.evaluate("window.sameDocument = true")

    progress(stage="Contrôle à la charte", progress=70)
    page.clock.fast_forward(2_500)
    expect(page.get_by_role("status").filter(has_text="Contrôle à la charte")).to_have_count(1)
    expect(page.get_by_role("progressbar")).to_have_attribute("aria-valuenow", "70")

    progress(status="termine", stage="Terminé", progress=100)
    page.clock.fast_forward(2_500)
    expect(page.locator("#statut-import")).to_have_text("Terminé")
    expect(page.locator("#import-annonce")).to_have_text("Fin de l'import : Terminé.")
    assert page.evaluate("window.sameDocument === true"), "the page was reloaded"
    assert_no_violation(axe_violations(page, "quality.import_detail, terminé [animateur]"), 1)


# The outline of the focused element against what is drawn where the outline is: the
# element found just left of it (or, for an inset outline, the element itself), then its
# first ancestor with a background colour.
FOCUS_RING = """el => {
  const rgb = c => c.match(/[\\d.]+/g).map(Number);
  const s = getComputedStyle(el);
  const box = el.getBoundingClientRect();
  const offset = parseFloat(s.outlineOffset) + parseFloat(s.outlineWidth) / 2;
  const x = Math.max(box.left - offset, 0), y = box.top + box.height / 2;
  let under = offset < 0 ? el
    : document.elementsFromPoint(x, y).find(n => n !== el && !el.contains(n)) || document.body;
  let bg = [255, 255, 255];
  for (let n = under; n; n = n.parentElement) {
    const c = rgb(getComputedStyle(n).backgroundColor);
    if (c.length < 4 || c[3] > 0) { bg = c; break; }
  }
  const lin = v => (v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
  const lum = c => c.slice(0, 3).map(lin)
    .reduce((sum, v, i) => sum + v * [0.2126, 0.7152, 0.0722][i], 0);
  const [hi, lo] = [lum(rgb(s.outlineColor)), lum(bg)].sort((x, y) => y - x);
  return {style: s.outlineStyle, width: parseFloat(s.outlineWidth),
          ratio: (hi + 0.05) / (lo + 0.05)};
}"""

# Pages looked at on a 320 px wide screen (WCAG 1.4.10: 400 % zoom of a 1280 px screen)
# and at desktop width: (who, endpoint, screenshot name)
SCREENS = [
    ("anon", "auth.login", "connexion"),
    ("anon", "main.accessibility", "declaration"),
    ("admin", "main.home", "accueil"),
    ("admin", "network.index", "reseau"),
    ("admin", "programme.detail", "programme"),
    ("admin", "funding.plan", "plan-cofinancement"),
    ("admin", "quality.index", "qualite-tableau-regional"),
    ("ml", "quality.ml_detail_own", "qualite-ma-mission-locale"),
]


def test_small_screens_keyboard_and_focus(app, a11y_world, web, open_page, shots):
    """Reflow: no page is wider than a 320 px screen (wide tables scroll inside their own
    labelled, focusable region); the skip link comes first and leads to the content; the
    focus ring shows at 3:1 or more on links, buttons, fields and table regions."""
    too_wide = []
    pages = {"anon": open_page()}
    for who in ("admin", "ml"):
        pages[who] = open_page()
        web_login(pages[who], web, a11y_world["emails"][who])
    # 640 px: a 1280 px screen zoomed to 200 % (WCAG 1.4.4)
    for width, viewport in (("320", MOBILE), ("640", {"width": 640, "height": 720}),
                            ("1280", DESKTOP)):
        for who, endpoint, name in SCREENS:
            page = pages[who]
            page.set_viewport_size(viewport)
            if endpoint == "quality.ml_detail_own":
                url = f"/qualite/ml/{a11y_world['ids']['ml_a']}"
            else:
                url = route_url(app, a11y_world, endpoint)
            page.goto(web + url)
            scroll = page.evaluate("document.documentElement.scrollWidth")
            if scroll > viewport["width"]:
                too_wide.append(f"{url} [{who}] : {scroll} px de large pour {width} px")
            if width != "640":
                page.screenshot(path=shots / f"{width}-{name}.png", full_page=True)
    assert not too_wide, "Pages plus larges que l'écran :\n" + "\n".join(too_wide)

    # The keyboard path on a signed-in page: skip link first, then the content.
    page = open_page()
    web_login(page, web, a11y_world["emails"]["admin"])
    page.goto(f"{web}/qualite/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Aller au contenu")
    expect(skip).to_be_focused()
    box = skip.bounding_box()
    assert box and box["width"] > 50 and box["y"] >= 0, "le lien d'évitement reste caché"
    page.screenshot(path=shots / "clavier-1-lien-evitement.png")
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.closest('main') !== null"), \
        "après le lien d'évitement, le focus n'est pas dans le contenu"

    # The account menu opens with the keyboard and closes with Escape.
    account = page.get_by_role("button", name="Mon compte : Ada Admin")
    account.focus()
    page.keyboard.press("Enter")
    expect(account).to_have_attribute("aria-expanded", "true")
    expect(page.get_by_role("link", name="Mes sessions")).to_be_visible()
    assert_no_violation(axe_violations(page, "menu du compte ouvert [admin]"), 1)
    page.keyboard.press("Escape")
    expect(account).to_have_attribute("aria-expanded", "false")

    rings = {}

    def ring_of(name: str, locator, shot: str) -> None:
        locator.scroll_into_view_if_needed()
        locator.focus()
        page.wait_for_timeout(300)  # Bootstrap's .15 s colour transitions, over
        rings[name] = locator.evaluate(FOCUS_RING)
        box = locator.bounding_box()
        page.screenshot(path=shots / f"clavier-focus-{shot}.png", clip={
            "x": max(box["x"] - 12, 0), "y": max(box["y"] - 12, 0),
            "width": min(box["width"] + 24, 1280), "height": min(box["height"] + 24, 400)})

    for shot, (name, locator) in enumerate({
        "lien d'évitement": skip,
        "lien du menu (fond bleu)": page.locator("nav.navbar").get_by_role(
            "link", name="Réseau", exact=True),
        "bouton Se déconnecter": page.get_by_role("button", name="Se déconnecter"),
        "tableau défilant": page.get_by_role("region", name="Qualité des données par "
                                                            "mission locale"),
        "lien du pied de page": page.get_by_role("link", name=re.compile("Accessibilité")),
    }.items(), start=1):
        ring_of(name, locator, str(shot))
    page.goto(f"{web}/programmes/nouveau")
    page.keyboard.press("Tab")
    ring_of("champ de formulaire", page.get_by_role("textbox").first, "6")
    weak = {name: ring for name, ring in rings.items()
            if ring["style"] == "none" or ring["width"] < 2 or ring["ratio"] < 3}
    assert not weak, f"Focus peu visible : {weak}"


# ---------------------------------------------------------------- the dashboard (Streamlit)
# Each page of the sidebar navigation, by role (dashboard/app.py), and its title (st.title).
DASHBOARD_PAGES = {
    "admin": {"Accueil": "Tableaux de bord", "Réseau": "Réseau des missions locales",
              "Programme": "Programme régional d'animation", "Financements": "Financements",
              "Formations": "Formations", "Conseils et projets": "Conseils et projets",
              "Observatoire": "Observatoire régional", "Parrainage": "Parrainage",
              "Qualité des données": "Qualité des données"},
    "ml": {"Accueil": "Tableaux de bord", "Observatoire": "Observatoire régional",
           "Parrainage": "Parrainage", "Qualité des données": "Qualité des données"},
}


def wait_for_streamlit(page: Page) -> None:
    """Until the script run is over and every element of the previous run is gone."""
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]')
    expect(page.locator('[data-testid="stStatusWidgetRunningIcon"]')).to_have_count(0)
    expect(page.locator('[data-testid="stMain"] [data-stale="true"]')).to_have_count(0)
    expect(page.get_by_test_id("stMain")).to_be_visible()


def dashboard_login(page: Page, url: str, email: str) -> None:
    """Sign in to the dashboard with its own form (dashboard/auth.py ``login_form``).

    The one place that knows how the tests enter the dashboard: when the sign-on from the
    web app replaces the form, only this helper changes."""
    page.goto(url)
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_test_id("stSidebarNav")).to_be_visible(timeout=30_000)
    wait_for_streamlit(page)


# The contrast of each caption as displayed: its colour, faded by the opacity of the element
# and its ancestors (Streamlit shows captions at 60 %), over the app's background.
CAPTION_CONTRASTS = """els => els.map(e => {
  const rgb = c => c.match(/[\\d.]+/g).map(Number);
  let [r, g, b, a = 1] = rgb(getComputedStyle(e).color);
  for (let n = e; n; n = n.parentElement) { a *= Number(getComputedStyle(n).opacity); }
  const bg = rgb(getComputedStyle(document.querySelector('[data-testid="stApp"]')).backgroundColor);
  const fg = [r, g, b].map((c, i) => c * a + bg[i] * (1 - a));
  const lin = v => (v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
  const lum = c => c.map(lin).reduce((sum, v, i) => sum + v * [0.2126, 0.7152, 0.0722][i], 0);
  const [hi, lo] = [lum(fg), lum(bg)].sort((x, y) => y - x);
  return [(hi + 0.05) / (lo + 0.05), e.textContent.slice(0, 40)];
})"""


def test_dashboard_pages_have_no_serious_violation(app, a11y_world, dashboard, open_page):
    """The dashboard's login form, then every page of its navigation for the ARML team
    (admin) and for a mission locale. axe runs on the whole page, Streamlit's own chrome
    (sidebar, toolbar) included: it has no serious violation today, so nothing is excluded."""
    url = dashboard.ready()
    lines: list[str] = []
    checked = 0
    captions: list[tuple[float, str, str]] = []
    for who, pages in DASHBOARD_PAGES.items():
        page = open_page()
        page.set_default_timeout(30_000)
        if not checked:
            page.goto(url)
            expect(page.get_by_role("button", name="Se connecter")).to_be_visible()
            wait_for_streamlit(page)
            lines += axe_violations(page, "tableau de bord, connexion [anon]")
            checked += 1
        dashboard_login(page, url, a11y_world["emails"][who])
        nav = page.get_by_test_id("stSidebarNav")
        expect(nav.get_by_role("link")).to_have_count(len(pages))
        for label, title in pages.items():
            nav.get_by_role("link", name=label, exact=True).click()
            expect(page.get_by_role("heading", name=title, level=1)).to_be_visible()
            wait_for_streamlit(page)
            # open every fold (the data tables of the charts) so that axe sees them too
            closed = page.locator('[data-testid="stExpander"] details:not([open]) > summary')
            for _ in range(closed.count()):
                closed.first.click()
            expect(closed).to_have_count(0)
            where = f"tableau de bord « {label} » [{who}]"
            lines += axe_violations(page, where)
            checked += 1
            if who == "admin" and label == "Financements":
                page.screenshot(path=SHOTS / "tableau-de-bord-financements.png")
            captions += [(ratio, where, text) for ratio, text in page.get_by_test_id(
                "stCaptionContainer").evaluate_all(CAPTION_CONTRASTS)]
    assert_no_violation(lines, checked)
    assert len(captions) > 10
    faint = [f"{where}: {ratio:.2f}:1 « {text}… »" for ratio, where, text in captions
             if ratio < 4.5]
    assert not faint, "Légendes (st.caption) trop pâles :\n" + "\n".join(faint)
