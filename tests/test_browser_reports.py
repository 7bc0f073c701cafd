"""Real-browser journey of a funder report: the team writes an action's review, generates
the report through the form, publishes it; the funder's account downloads the PDF and gets
the bytes whose sha256 the page shows. CSRF is on and the CSP watched."""

from __future__ import annotations

import hashlib
import re
import subprocess

import pytest

from tests.test_browser import CHROMIUM, _login

if not CHROMIUM.exists():  # pragma: no cover - depends on the machine
    pytest.skip("Chromium absent : tests navigateur ignorés.", allow_module_level=True)

from playwright.sync_api import expect  # noqa: E402

from tests.test_browser import browser, live_server, new_page, shots  # noqa: E402,F401

pytestmark = pytest.mark.browser


def test_generate_publish_and_download_a_report(app, live_server, funding_world,  # noqa: F811
                                                shots, new_page, tmp_path):  # noqa: F811
    base, emails = live_server, funding_world["emails"]
    team = new_page(viewport={"width": 1366, "height": 900})
    page = team.page
    _login(page, base, emails["animateur"])

    # The action's review, written once for every funder of the action.
    page.goto(f"{base}/financements/rapports/bilans?annee=2026")
    expect(page.get_by_role("heading", name="Bilans des actions 2026")).to_be_visible()
    page.locator("table").get_by_role("link").first.click()
    page.fill("textarea[name=highlights]", "Sept binômes formés « QVT » ; 100 % présents !")
    page.get_by_role("button", name="Enregistrer le bilan").click()
    expect(page.get_by_text(re.compile("Bilan de l'action .* enregistré"))).to_be_visible()

    # A generation with a future as-of date is explained; nothing is created.
    page.goto(f"{base}/financements/rapports")
    expect(page.get_by_role("heading", name="Rapports aux financeurs")).to_be_visible()
    expect(page.get_by_text("Aucun rapport généré.")).to_be_visible()
    page.screenshot(path=shots / "70-rapports-vide.png", full_page=True)
    page.locator("summary", has_text="Générer un rapport").click()
    page.select_option("select[name=generer-funder_id]", str(funding_world["ids"]["funder"]))
    page.fill("input[name=generer-year]", "2026")
    page.fill("input[name=generer-as_of]", "2099-01-01")
    team.expected_failures.add("/financements/rapports/generer")  # 422: the form refused
    page.get_by_role("button", name="Générer une nouvelle version").click()
    expect(page.get_by_text(re.compile("ne peut pas être dans le futur"))).to_be_visible()
    expect(page.get_by_text("Aucun rapport généré.")).to_be_visible()
    page.screenshot(path=shots / "71-rapport-erreur.png", full_page=True)

    # the refused form stays open with what was typed
    expect(page.locator("input[name=generer-year]")).to_have_value("2026")
    page.select_option("select[name=generer-funder_id]", str(funding_world["ids"]["funder"]))
    page.fill("input[name=generer-year]", "2026")
    page.fill("input[name=generer-as_of]", "")
    page.fill("textarea[name=generer-synthesis]", "Une année de lancement.")
    page.get_by_role("button", name="Générer une nouvelle version").click()
    expect(page.get_by_text(re.compile(r"Version 1 générée \(\d+ pages\)"))).to_be_visible()
    expect(page.get_by_role("heading", name="Contrôle avant publication")).to_be_visible()
    expect(page.get_by_text("Aucun passage ne cite un autre financeur")).to_be_visible()
    page.screenshot(path=shots / "72-rapport-brouillon.png", full_page=True)
    page.get_by_role("button", name="Publier cette version").click()
    expect(page.get_by_text(re.compile("Version 1 publiée"))).to_be_visible()
    team.assert_clean()

    # The funder downloads it: the bytes are the archived ones, whose sha256 is shown.
    funder = new_page(viewport={"width": 1280, "height": 900})
    fpage = funder.page
    _login(fpage, base, emails["financeur"])
    fpage.goto(f"{base}/financements/rapports")
    row = fpage.locator("tbody tr")
    expect(row).to_have_count(1)
    pdf_link = row.get_by_role("link", name=re.compile("PDF"))
    href = pdf_link.get_attribute("href")
    assert href and href.endswith(".pdf")
    fpage.screenshot(path=shots / "73-rapports-financeur.png", full_page=True)
    row.get_by_role("link", name=re.compile("Page web")).click()
    expect(fpage.get_by_role("heading", name="Rapport d'activité 2026")).to_be_visible()
    expect(fpage.get_by_text("Sept binômes formés")).to_be_visible()
    expect(fpage.get_by_role("heading", name="Contrôle avant publication")).to_have_count(0)
    shown = fpage.locator("#empreinte").inner_text().strip()
    fpage.screenshot(path=shots / "74-rapport-html.png")
    first = fpage.request.get(base + href)
    second = fpage.request.get(base + href)
    assert first.status == second.status == 200
    assert first.headers["content-type"] == "application/pdf"
    assert hashlib.sha256(first.body()).hexdigest() == shown
    assert first.body() == second.body()
    assert first.headers["etag"].strip('"') == shown
    path = tmp_path / "rapport.pdf"
    path.write_bytes(first.body())
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True,
                          capture_output=True, text=True).stdout
    assert "Sept binômes formés" in text and "DREETS" not in text
    funder.assert_clean()
