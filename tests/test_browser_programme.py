"""Real-browser journey through the programme: create an action, add its budget, move the
programme from draft to validated, with CSRF on and the CSP watched."""

from __future__ import annotations

import re

import pytest

from tests.test_browser import CHROMIUM, _login

if not CHROMIUM.exists():  # pragma: no cover - depends on the machine
    pytest.skip("Chromium absent : tests navigateur ignorés.", allow_module_level=True)

from playwright.sync_api import expect  # noqa: E402

from tests.test_browser import browser, live_server, new_page, shots  # noqa: E402,F401

pytestmark = pytest.mark.browser


def _spare_convention(app, ids) -> int:
    """A signed 5 000 € convention with nothing allocated yet (to fund the new action)."""
    from datetime import date
    from decimal import Decimal

    from models.funding.services import ConventionData, save_convention
    from webapp.extensions import db

    with app.app_context():
        convention = save_convention(db.session, None, None, ConventionData(
            funder_id=ids["funder"], reference="CRNA-2026-RENC", object="Rencontres régionales",
            type="projet", amount=Decimal("5000.00"), first_year=2026, last_year=2026,
            period_start=date(2026, 1, 1), period_end=date(2026, 12, 31),
            signature_date=date(2026, 3, 2), status="signee"))
        db.session.commit()
        return convention.id


def test_create_action_and_validate_programme(app, live_server, programme_world, shots,  # noqa: F811
                                               new_page):  # noqa: F811
    base, ids = live_server, programme_world["ids"]
    convention_id = _spare_convention(app, ids)
    watched = new_page(viewport={"width": 1366, "height": 900})
    page = watched.page
    _login(page, base, programme_world["emails"]["animateur"])

    # The navigation leads to this year's programme (or the nearest one).
    page.locator("nav.navbar").get_by_role("link", name="Programme", exact=True).click()
    expect(page.get_by_role("heading", name=re.compile("Programme régional 2026"))).to_be_visible()
    expect(page.locator("h1 .badge")).to_have_text("Brouillon")
    page.screenshot(path=shots / "20-programme-brouillon.png", full_page=True)

    # Create an action: a wrong date order is explained and the input is kept.
    page.get_by_role("link", name="Actions", exact=True).click()
    page.get_by_role("link", name="Nouvelle action").click()
    page.select_option("select[name=objective_id]", str(ids["objective"]))
    page.fill("input[name=title]", "Rencontres régionales des chargés d'accueil")
    page.fill("textarea[name=description]", "Deux journées d'échanges de pratiques.")
    page.select_option("select[name=pilot_id]", str(ids["member"]))
    page.fill("input[name=start_date]", "2026-06-10")
    page.fill("input[name=end_date]", "2026-06-01")
    page.select_option("select[name=mission_locale_ids]", [str(ids["ml_a"]), str(ids["ml_b"])])
    page.fill("textarea[name=partners]", "DREETS Nouvelle-Aquitaine\nCNFPT")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_text("La date de fin précède la date de début.")).to_be_visible()
    expect(page.locator("input[name=title]")).to_have_value(
        "Rencontres régionales des chargés d'accueil")
    page.screenshot(path=shots / "21-action-erreur.png", full_page=True)
    page.fill("input[name=end_date]", "2026-06-11")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_role("heading", name=re.compile("Rencontres régionales"))).to_be_visible()
    expect(page.get_by_text("Du 10 juin 2026 au 11 juin 2026")).to_be_visible()

    # Budget line typed the French way; the total reads in euros.
    page.select_option("select[name=budget-category]", "prestations")
    page.fill("input[name=budget-label]", "Location de salle")
    page.fill("input[name=budget-planned]", "1 234,56 €")
    page.locator("button[form=add-budget]").click()
    expect(page.get_by_text("Ligne de budget enregistré.")).to_be_visible()
    expect(page.locator("#budget")).to_contain_text("1\u202f234,56\u00a0€ prévus")
    page.screenshot(path=shots / "22-action-detail.png", full_page=True)

    # The new action's budget is not funded yet: the copil cannot receive the programme.
    page.get_by_role("link", name="2026", exact=True).click()
    page.get_by_text("Soumettre au copil").click()
    page.get_by_role("button", name="Confirmer : soumis au copil").click()
    expect(page.locator(".alert-danger")).to_contain_text(
        "« Rencontres régionales des chargés d'accueil » (budget 1\u202f234,56\u00a0€")
    expect(page.locator("h1 .badge")).to_have_text("Brouillon")

    # Fund it from a convention, then submit: draft → submitted → validated, the
    # validation tied to the copil meeting.
    page.goto(f"{base}/financements/conventions/{convention_id}")
    page.select_option("select[name=affectation-target]",
                       label="2.2 — Rencontres régionales des chargés d'accueil")
    page.fill("input[name=affectation-amount]", "1 234,56")
    page.get_by_role("button", name="Affecter").click()
    expect(page.get_by_text("Affectation enregistrée.")).to_be_visible()
    page.goto(f"{base}/programmes/{ids['programme']}")
    page.get_by_text("Soumettre au copil").click()
    page.get_by_role("button", name="Confirmer : soumis au copil").click()
    expect(page.locator("h1 .badge")).to_have_text("Soumis au copil")
    page.get_by_text("Enregistrer la validation du copil").click()
    page.fill("textarea[name=t-valide-comment]", "Programme voté à l'unanimité")
    page.select_option("select[name=t-valide-meeting_id]", str(ids["meeting"]))
    page.get_by_role("button", name="Confirmer : validé").click()
    expect(page.locator("h1 .badge")).to_have_text("Validé")
    expect(page.get_by_text("Programme voté à l'unanimité").first).to_be_visible()
    page.screenshot(path=shots / "23-programme-valide.png", full_page=True)

    # The copil meeting now shows the decision linked to the transition.
    page.get_by_role("link", name="Comité de pilotage").click()
    expect(page.get_by_text(re.compile("Soumis au copil → Validé"))).to_be_visible()
    watched.assert_clean()
