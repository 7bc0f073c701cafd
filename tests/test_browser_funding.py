"""Real-browser journey through the funding area: create a convention, allocate it to an
action, describe its schedule, record a payment, read the plan; then the funder's own view.
CSRF is on and the CSP watched."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest

from models import clock
from tests.test_browser import CHROMIUM, _login

if not CHROMIUM.exists():  # pragma: no cover - depends on the machine
    pytest.skip("Chromium absent : tests navigateur ignorés.", allow_module_level=True)

from playwright.sync_api import expect  # noqa: E402

from tests.test_browser import browser, live_server, new_page, shots  # noqa: E402,F401
from webapp.extensions import db  # noqa: E402

pytestmark = pytest.mark.browser


def _open_gap(app, ids) -> None:
    """Action B gets 5 000 € more budget: the plan has something left to fund."""
    from models.audit import set_actor
    from models.programme.items import BudgetLineData, save_item
    from models.programme.orm import Action

    with app.app_context():
        set_actor(db.session, None, via="cli")
        save_item(db.session, None, db.session.get(Action, ids["action_b"]), BudgetLineData(
            category="prestations", label="Enquête de terrain", planned=Decimal("5000.00")))
        db.session.commit()


def test_create_allocate_and_pay_a_convention(app, live_server, funding_world,  # noqa: F811
                                              shots, new_page):  # noqa: F811
    base, ids = live_server, funding_world["ids"]
    _open_gap(app, ids)
    watched = new_page(viewport={"width": 1366, "height": 900})
    page = watched.page
    _login(page, base, funding_world["emails"]["animateur"])

    # The navigation leads to the conventions with their totals.
    page.locator("nav.navbar").get_by_role("link", name="Financements", exact=True).click()
    expect(page.get_by_role("heading", name="Financements")).to_be_visible()
    expect(page.locator("table")).to_contain_text("CRNA-2026-01")
    page.screenshot(path=shots / "30-financements.png", full_page=True)

    # The plan shows what is left to fund.
    page.get_by_role("link", name="Plan de cofinancement").click()
    expect(page.locator("h1 .badge")).to_have_text("non équilibré")
    expect(page.get_by_text(re.compile("ne peut pas être soumis au copil"))).to_be_visible()
    page.screenshot(path=shots / "31-plan-non-equilibre.png", full_page=True)

    # New convention: an ambiguous amount is explained and the input kept.
    page.get_by_role("link", name="Conventions", exact=True).click()
    page.get_by_role("link", name="Nouvelle convention").click()
    page.select_option("select[name=funder_id]", str(ids["funder_b"]))
    page.fill("input[name=reference]", "DREETS-2026-11")
    page.fill("textarea[name=object]", "Enquête de terrain de l'observatoire")
    page.select_option("select[name=type]", "projet")
    page.select_option("select[name=status]", "signee")
    page.fill("input[name=amount]", "12,345.6")
    page.fill("input[name=first_year]", "2026")
    page.fill("input[name=last_year]", "2026")
    page.fill("input[name=period_start]", "2026-03-01")
    page.fill("input[name=period_end]", "2026-12-31")
    page.fill("input[name=signature_date]", "2026-04-02")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_text(re.compile("Format ambigu « 12,345.6 »"))).to_be_visible()
    expect(page.locator("input[name=reference]")).to_have_value("DREETS-2026-11")
    page.screenshot(path=shots / "32-convention-erreur.png", full_page=True)
    page.fill("input[name=amount]", "5 000,00 €")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_text("Convention DREETS-2026-11 créée.", exact=False)).to_be_visible()
    expect(page.get_by_role("heading", name=re.compile("Convention DREETS-2026-11"))) \
        .to_be_visible()

    # Allocate it to the observatory action.
    page.select_option("select[name=affectation-target]",
                       f"{ids['programme']}:action:{ids['action_b']}")
    page.fill("input[name=affectation-amount]", "5 000")
    page.get_by_role("button", name="Affecter").click()
    expect(page.get_by_text("Affectation enregistrée.")).to_be_visible()
    expect(page.locator("#affectations + .card table")).to_contain_text(
        "Observatoire régional des parcours")

    # Its schedule: 80 % at signature, the balance next year.
    # (no schedule yet: its form is already unfolded)
    expect(page.locator("#echeancier + .card details")).to_have_attribute("open", "")
    page.fill("input[name=echeancier-rows-0-label]", "Avance à la signature")
    page.fill("input[name=echeancier-rows-0-due_date]", "2026-04-30")
    page.fill("input[name=echeancier-rows-0-percent]", "80")
    page.fill("input[name=echeancier-rows-1-label]", "Solde après bilan")
    page.fill("input[name=echeancier-rows-1-due_date]", "2027-03-31")
    page.fill("input[name=echeancier-rows-1-percent]", "20")
    page.get_by_role("button", name="Enregistrer l'échéancier").click()
    expect(page.get_by_text("Échéancier enregistré.")).to_be_visible()

    # A payment against the first instalment.
    page.fill("input[name=versement-received_on]", "2026-05-15")
    page.fill("input[name=versement-amount]", "4 000,00")
    page.select_option("select[name=versement-instalment_id]",
                       label="Avance à la signature (30 avril 2026)")
    page.fill("input[name=versement-comment]", "Avance reçue")
    page.locator("button[form=add-versement]").click()
    expect(page.get_by_text("Versement enregistré.")).to_be_visible()
    payments = page.locator("#versements + .card table")
    expect(payments).to_contain_text("15 mai 2026")
    expect(payments).to_contain_text("4\u202f000,00\u00a0€")
    expect(page.locator("#echeancier + .card table").first).to_contain_text("reçue")

    # A report the funder expects in a month, then listed in the échéances.
    page.fill("input[name=rapport-label]", "Bilan intermédiaire")
    page.fill("input[name=rapport-due_date]", (clock.today() + timedelta(days=30)).isoformat())
    page.get_by_role("button", name="Ajouter").click()
    expect(page.get_by_text("Échéance de rapport ajoutée.")).to_be_visible()
    page.screenshot(path=shots / "33-convention-detail.png", full_page=True)

    # The plan is balanced again.
    page.locator("nav.navbar").get_by_role("link", name="Financements", exact=True).click()
    page.get_by_role("link", name="Plan de cofinancement").click()
    expect(page.locator("h1 .badge")).to_have_text("équilibré")
    page.screenshot(path=shots / "34-plan-equilibre.png", full_page=True)
    page.get_by_role("link", name="Échéances").click()
    expect(page.get_by_role("heading", name="Échéances")).to_be_visible()
    expect(page.locator("table")).to_contain_text("Rapport : Bilan intermédiaire")
    expect(page.locator("table")).to_contain_text("dans 30 j")
    page.screenshot(path=shots / "35-echeances.png", full_page=True)
    page.get_by_role("link", name="Financeurs", exact=True).click()
    expect(page.locator("table")).to_contain_text("DREETS Nouvelle-Aquitaine")
    page.screenshot(path=shots / "37-financeurs.png", full_page=True)
    watched.assert_clean()


def test_funder_sees_only_its_conventions(live_server, funding_world, shots,  # noqa: F811
                                          new_page):  # noqa: F811
    base, ids = live_server, funding_world["ids"]
    watched = new_page(viewport={"width": 1366, "height": 900})
    page = watched.page
    _login(page, base, funding_world["emails"]["financeur"])
    expect(page.get_by_role("heading", name="Vos conventions")).to_be_visible()
    expect(page.locator("main")).not_to_contain_text("DREETS")
    page.get_by_role("link", name="CRNA-2026-01").click()
    expect(page.get_by_role("heading", name=re.compile("Convention CRNA-2026-01"))).to_be_visible()
    expect(page.locator("main form")).to_have_count(0)
    page.screenshot(path=shots / "36-financeur-convention.png", full_page=True)
    # Another funder's convention, by changing the id in the address: not found.
    watched.expected_failures.add(f"/financements/conventions/{ids['convention_b']}")
    response = page.goto(f"{base}/financements/conventions/{ids['convention_b']}")
    assert response.status == 404
    watched.assert_clean()
