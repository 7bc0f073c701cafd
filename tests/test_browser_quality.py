"""Real-browser journey through the data-quality area: the team uploads a generated ZIP
through the form (period read from its name), waits for "Terminé", reads the regional
table, opens a mission locale and qualifies a finding; the charter; the navbar still fits
on one line at 1366 px; an ml account lands on its own page. CSRF is on, the CSP watched."""

from __future__ import annotations

import re
from datetime import date

import pytest

from tests.test_browser import CHROMIUM, _login

if not CHROMIUM.exists():  # pragma: no cover - depends on the machine
    pytest.skip("Chromium absent : tests navigateur ignorés.", allow_module_level=True)

from playwright.sync_api import expect  # noqa: E402

from tests.parcours_helpers import zip_folder  # noqa: E402
from tests.test_browser import browser, live_server, new_page, shots  # noqa: E402,F401
from webapp.extensions import db  # noqa: E402

pytestmark = pytest.mark.browser

TODAY = date(2026, 11, 23)
MLS = [("33005", "33"), ("64001", "64"), ("33010", "33"), ("40001", "40"), ("47001", "47"),
       ("24001", "24")]


def _more_missions_locales(app, ids) -> None:
    """Three more missions locales: the table gets its usual look (several départements)."""
    from models.network.orm import MissionLocale, Region

    with app.app_context():
        region = db.session.get(Region, ids["region"])
        db.session.add_all([
            MissionLocale(region=region, code="40001", name="Mission locale des Landes",
                          departement="40", commune="Mont-de-Marsan"),
            MissionLocale(region=region, code="47001", name="Mission locale de l'Agenais",
                          departement="47", commune="Agen"),
            MissionLocale(region=region, code="24001", name="Mission locale du Périgord",
                          departement="24", commune="Périgueux")])
        db.session.commit()


def _previous_import(app, tmp_path) -> None:
    """An earlier period already imported (more defects): the table shows trends."""
    from models.parcours.generator import generate_extract
    from tests.parcours_helpers import queue

    generate_extract(tmp_path / "avant", jeunes=900, seed=11, defect_rate=0.03,
                     missions_locales=MLS[:5], period=(date(2025, 10, 1), date(2026, 3, 31)),
                     today=TODAY)
    from models.parcours.pipeline import run_import

    with app.app_context():
        import_id = queue(db.engine, (date(2025, 10, 1), date(2026, 3, 31)), "avant")
        run_import(db.engine, import_id, tmp_path / "avant", today=TODAY)


def test_team_uploads_reads_the_table_and_qualifies_a_finding(
        app, world, live_server, shots, new_page, tmp_path):  # noqa: F811
    from models.parcours.generator import generate_extract

    base, ids = live_server, world["ids"]
    _more_missions_locales(app, ids)
    _previous_import(app, tmp_path)
    manifest = generate_extract(tmp_path / "zip", jeunes=1200, seed=7, defect_rate=0.02,
                                missions_locales=MLS[:5],
                                period=(date(2026, 1, 1), date(2026, 9, 30)), zip_output=True,
                                today=TODAY)
    archive = tmp_path / "zip" / manifest.archive

    watched = new_page(viewport={"width": 1366, "height": 900})
    page = watched.page
    _login(page, base, world["emails"]["animateur"])
    nav = page.locator("nav.navbar")
    nav.get_by_role("link", name="Qualité", exact=True).click()
    expect(page.get_by_role("heading", name="Qualité des données Parcours")).to_be_visible()

    # Upload through the form; the period is read from the archive's name.
    page.get_by_role("link", name="Importer une extraction").first.click()
    expect(page.get_by_role("heading", name=re.compile("Importer une extraction"))).to_be_visible()
    # a file that is not an extract is refused on the form, in French
    notes = tmp_path / "notes.txt"
    notes.write_text("rien")
    page.set_input_files("input[name=files]", str(notes))
    page.get_by_role("button", name="Importer").click()
    expect(page.locator(".invalid-feedback, .text-danger").filter(
        has_text="n'est ni une archive .zip ni un fichier .csv")).to_be_visible()
    page.screenshot(path=shots / "58-qualite-import-erreur.png", full_page=True)

    # a ZIP without jeunes.csv: the import is refused, with the reason
    broken = tmp_path / "sans_jeunes"
    broken.mkdir()
    (broken / "evenements.csv").write_text("code_ml;id_jeune;date_evenement\n"
                                           "33005;1;15/03/2026\n")
    zip_folder(broken, tmp_path / "sans_jeunes.zip")
    page.set_input_files("input[name=files]", str(tmp_path / "sans_jeunes.zip"))
    page.fill("input[name=period_start]", "01/01/2026")
    page.fill("input[name=period_end]", "30/09/2026")
    page.get_by_role("button", name="Importer").click()
    expect(page.locator("#statut-import")).to_have_text("Refusé")
    expect(page.locator("#refus")).to_contain_text("ne contient pas jeunes.csv")
    expect(page.locator("#refus")).to_contain_text("Rien n'a été enregistré")
    page.screenshot(path=shots / "59-qualite-import-refuse.png", full_page=True)

    page.get_by_role("link", name="Importer une autre extraction").click()
    page.set_input_files("input[name=files]", str(archive))
    page.get_by_role("button", name="Importer").click()
    expect(page.locator("#statut-import")).to_have_text("Terminé")
    expect(page.get_by_text("Période lue dans le nom de l'archive : du 1er janvier 2026 au "
                            "30 septembre 2026.")).to_be_visible()
    expect(page.locator("#extraits tbody tr")).to_have_count(5)
    expect(page.locator("#fichiers")).to_contain_text("evenements.csv")
    page.screenshot(path=shots / "60-qualite-import-termine.png", full_page=True)

    # The regional table: one line per mission locale, sortable, colour-coded.
    page.locator(".breadcrumb").get_by_role("link", name="Qualité des données").click()
    table = page.locator("#tableau-qualite")
    expect(table.locator("tbody tr")).to_have_count(6)
    expect(table.locator("tr[data-code='24001']")).to_contain_text("Jamais importée")
    expect(table.locator("tr[data-code='33005'] td").nth(4)).to_contain_text(re.compile("[↑↓=]"))
    page.screenshot(path=shots / "61-qualite-tableau-regional.png", full_page=True)
    # the first column stays in view when the rule columns scroll
    sticky = page.evaluate("getComputedStyle(document.querySelector("
                           "'#tableau-qualite tbody th')).position")
    assert sticky == "sticky"
    widths = page.evaluate("(() => { const d = document.querySelector('.quality-scroll'); "
                           "return [d.scrollWidth, d.clientWidth]; })()")
    print("regional table scroll/client width at 1366 px:", widths)
    table.locator("thead th").filter(has_text="Score").get_by_role("link").click()
    expect(page).to_have_url(re.compile(r"tri=score"))
    scores = [float(t.replace("\u202f", "").replace("\xa0", "").replace("%", "")
                    .replace(",", ".").strip())
              for t in page.locator("#tableau-qualite td.score").all_inner_texts() if "%" in t]
    assert scores == sorted(scores) and len(scores) == 5

    # One mission locale: score, history, findings; the team qualifies one.
    page.locator("tr[data-code='33005'] th a").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Mission locale du Libournais")
    expect(page.locator("#historique tbody tr")).to_have_count(2)
    findings = page.locator("#table-constats tbody tr")
    expect(findings.first).to_be_visible()
    page.screenshot(path=shots / "62-qualite-ml.png", full_page=True)
    first = findings.first
    rule = first.locator("td").first.inner_text().strip()
    young = first.locator("td").nth(2).inner_text().strip()
    first.locator("summary", has_text="Qualifier").click()
    first.locator("select[name=kind]").select_option("exception")
    first.locator("textarea[name=comment]").fill("Situation vérifiée avec la mission locale.")
    first.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_text(f"Anomalie {rule} du jeune {young} qualifiée")).to_be_visible()
    marked = page.locator("#table-constats tbody tr", has_text="Situation vérifiée")
    expect(marked).to_contain_text("Exception acceptée")
    expect(marked).to_contain_text("Alain Anim")
    expect(page.locator("#chiffres")).to_contain_text("Score brut")
    page.screenshot(path=shots / "63-qualite-ml-qualifiee.png", full_page=True)

    # The charter.
    page.get_by_role("link", name="Charte de saisie").click()
    expect(page.locator("#regles tbody tr")).to_have_count(17)
    expect(page.locator("#Q04")).to_contain_text("valeurs admises : F, H")
    page.screenshot(path=shots / "64-qualite-charte.png", full_page=True)
    page.get_by_role("link", name="Imports", exact=True).click()
    expect(page.locator("#imports tbody tr")).to_have_count(3)
    page.screenshot(path=shots / "66-qualite-imports.png", full_page=True)
    watched.assert_clean()

    # The admin has the most menu entries: they still fit on one line at 1366 px.
    admin = new_page(viewport={"width": 1366, "height": 900})
    _login(admin.page, base, world["emails"]["admin"])
    expect(admin.page).to_have_url(f"{base}/")
    admin.page.wait_for_load_state("load")  # the stylesheets, before measuring
    tops = admin.page.evaluate(
        "[...document.querySelectorAll('#nav .navbar-nav .nav-link')]"
        ".map(a => Math.round(a.getBoundingClientRect().top))")
    assert len(tops) >= 9 and len(set(tops)) == 1, tops
    admin.page.goto(f"{base}/qualite/")
    expect(admin.page.get_by_role("link", name="Seuils").first).to_be_visible()
    admin.assert_clean()

    # An ml account lands on its own page; another one reads as "not found".
    ml = new_page(viewport={"width": 1366, "height": 900})
    _login(ml.page, base, world["emails"]["ml"])
    ml.page.locator("nav.navbar").get_by_role("link", name="Qualité", exact=True).click()
    expect(ml.page).to_have_url(f"{base}/qualite/ml/{ids['ml_a']}")
    expect(ml.page.get_by_text("Qualifier")).to_have_count(0)
    ml.page.screenshot(path=shots / "65-qualite-ml-vue-ml.png", full_page=True)
    ml.expected_failures.add(f"/qualite/ml/{ids['ml_b']}")
    response = ml.page.goto(f"{base}/qualite/ml/{ids['ml_b']}")
    assert response is not None and response.status == 404
    ml.assert_clean()
