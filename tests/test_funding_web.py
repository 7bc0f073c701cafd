"""Funding screens through the Flask test client: conventions, funders, allocations,
schedule, payments, deadlines, the co-financing plan and the échéances.

Refusals are asserted with the amounts the domain puts in its French messages; scope is
asserted on what a funder's account receives (never another funder's reference or amounts).
"""

from __future__ import annotations

import io
from datetime import date, timedelta
from decimal import Decimal

import openpyxl
import pytest
from sqlalchemy import select

from models import clock
from models.formatting import format_money
from models.funding.orm import (
    Convention,
    Funder,
    FundingAllocation,
    FundingSettings,
    Instalment,
    Payment,
    ReportingDeadline,
)
from models.programme.enums import ProgrammeStatus
from models.programme.orm import Programme
from tests.conftest import csrf_token_from, login, make_app
from webapp.extensions import db


def _convention_form(funder_id, **overrides):
    form = {"funder_id": funder_id, "reference": "FSE-2026-03", "object": "Professionnalisation",
            "type": "projet", "status": "signee", "amount": "45 000,00", "first_year": "2026",
            "last_year": "2026", "period_start": "2026-01-01", "period_end": "2026-12-31",
            "signature_date": "2026-04-02", "conditions": "Publicité du soutien du FSE+"}
    form.update(overrides)
    return form


def _page(response) -> str:
    return response.get_data(as_text=True)


def _conv(app, reference: str) -> Convention | None:
    with app.app_context():
        return db.session.scalar(select(Convention).where(Convention.reference == reference))


# ---------------------------------------------------------------- landing, nav, list
def test_financeur_lands_on_its_conventions_after_login(client, funding_world):
    response = login(client, funding_world["emails"]["financeur"])
    assert response.headers["Location"] == "/financements/"
    page = _page(client.get("/financements/"))
    assert "Vos conventions" in page and "CRNA-2026-01" in page


def test_financeur_with_next_goes_there_and_others_land_home(client, funding_world):
    response = client.post("/connexion?next=/financements/echeances",
                           data={"email": funding_world["emails"]["financeur"],
                                 "password": "mot-de-passe-de-test"})
    assert response.headers["Location"] == "/financements/echeances"
    client.post("/deconnexion")
    assert login(client, funding_world["emails"]["animateur"]).headers["Location"] == "/"


def test_team_list_shows_every_convention_with_totals(client, login_as, funding_world):
    login_as("animateur")
    page = _page(client.get("/financements/"))
    assert "CRNA-2026-01" in page and "DREETS-2026-07" in page
    # KPIs for the visible scope: 30 000 conventioned, 8 000 received, 22 000 still due
    for amount in ("30000", "8000", "22000"):
        assert format_money(Decimal(amount)) in page
    assert 'href="/financements/conventions/nouvelle"' in page
    assert 'href="/financements/" aria-current="page">Financements</a>' in page  # the navbar


def test_list_filters_sort_and_empty_state(client, login_as, funding_world):
    ids = funding_world["ids"]
    login_as("copil")
    page = _page(client.get(f"/financements/?financeur={ids['funder_b']}"))
    assert "DREETS-2026-07" in page and "CRNA-2026-01" not in page
    assert format_money(Decimal("20000")) in page
    page = _page(client.get("/financements/?q=crna"))
    assert "CRNA-2026-01" in page and "DREETS-2026-07" not in page
    page = _page(client.get("/financements/?tri=montant&ordre=desc"))
    assert page.index("DREETS-2026-07") < page.index("CRNA-2026-01")
    page = _page(client.get("/financements/?tri=montant&ordre=asc"))
    assert page.index("CRNA-2026-01") < page.index("DREETS-2026-07")
    page = _page(client.get("/financements/?statut=en_preparation"))
    assert "Aucune convention ne correspond à ces filtres." in page
    page = _page(client.get("/financements/?annee=2027&page=abc&tri=nimporte"))
    assert "Aucune convention ne correspond" in page


def test_financeur_list_never_shows_another_funder(client, login_as, funding_world):
    login_as("financeur")
    page = _page(client.get("/financements/"))
    assert "CRNA-2026-01" in page
    assert "DREETS" not in page and format_money(Decimal("20000")) not in page
    assert format_money(Decimal("10000")) in page
    # trying the other funder through the filter changes nothing
    page = _page(client.get(f"/financements/?financeur={funding_world['ids']['funder_b']}"))
    assert "DREETS" not in page
    assert "Nouvelle convention" not in page


# ---------------------------------------------------------------- scope and roles
def test_financeur_scope_by_url(client, login_as, funding_world):
    ids = funding_world["ids"]
    login_as("financeur")
    assert client.get(f"/financements/conventions/{ids['convention_a']}").status_code == 200
    assert client.get(f"/financements/conventions/{ids['convention_b']}").status_code == 404
    assert client.get(f"/financements/financeurs/{ids['funder']}").status_code == 200
    assert client.get(f"/financements/financeurs/{ids['funder_b']}").status_code == 404
    assert client.get("/financements/financeurs").status_code == 403
    assert client.get("/financements/plan").status_code == 403
    assert client.get(f"/financements/plan/{ids['programme']}").status_code == 403
    assert client.get(f"/financements/plan/{ids['programme']}/export.csv").status_code == 403
    response = client.post(f"/financements/conventions/{ids['convention_a']}/versements",
                           data={"versement-received_on": "2026-10-01",
                                 "versement-amount": "100"})
    assert response.status_code == 403


def test_financeur_convention_page_read_only_without_other_funders(client, login_as,
                                                                   funding_world):
    """Action A co-funded by both funders: the funder's page shows only its own money."""
    ids = funding_world["ids"]
    login_as("admin")
    for conv, alloc, amount in (("convention_a", "allocation_a", "6 500"),
                                ("convention_b", "allocation_b", "17 000")):
        response = client.post(f"/financements/conventions/{ids[conv]}/affectations/"
                               f"{ids[alloc]}", data={f"affectation-{ids[alloc]}-amount": amount},
                               follow_redirects=True)
        assert "Affectation mise à jour." in _page(response)
    response = client.post(f"/financements/conventions/{ids['convention_b']}/affectations",
                           data={"affectation-target":
                                 f"{ids['programme']}:action:{ids['action_a']}",
                                 "affectation-amount": "3 000"}, follow_redirects=True)
    assert "Affectation enregistrée." in _page(response)
    client.post("/deconnexion")

    login_as("financeur")
    page = _page(client.get(f"/financements/conventions/{ids['convention_a']}"))
    assert "Cluster QVT des missions locales" in page
    assert format_money(Decimal("6500")) in page and format_money(Decimal("8000")) in page
    assert "Bilan d&#39;exécution" in page
    assert "DREETS" not in page and format_money(Decimal("3000")) not in page
    assert format_money(Decimal("17000")) not in page
    main = page.split('id="contenu"')[1].split("</main>")[0]
    assert "<form" not in main  # no edit form at all (logout and session forms are outside)


def test_ml_has_no_access_to_funding(client, login_as, funding_world):
    ids = funding_world["ids"]
    login_as("ml")
    for url in ("/financements/", "/financements/echeances", "/financements/financeurs",
                f"/financements/financeurs/{ids['funder']}",
                f"/financements/conventions/{ids['convention_a']}", "/financements/plan",
                f"/financements/plan/{ids['programme']}"):
        assert client.get(url).status_code == 403, url
    assert ">Financements</a>" not in _page(client.get("/"))


def test_copil_reads_everything_and_sees_no_edit_form(client, login_as, funding_world):
    ids = funding_world["ids"]
    login_as("copil")
    page = _page(client.get(f"/financements/conventions/{ids['convention_a']}"))
    assert "CRNA-2026-01" in page and "Avance à la signature" in page
    for marker in ("add-affectation", "add-versement", "add-rapport", "echeancier-rows",
                   "/modifier", "/supprimer"):
        assert marker not in page, marker
    page = _page(client.get("/financements/"))
    assert "Nouvelle convention" not in page and "Nouveau financeur" not in page
    page = _page(client.get(f"/financements/financeurs/{ids['funder']}"))
    assert "/supprimer" not in page and "/modifier" not in page
    assert client.get(f"/financements/plan/{ids['programme']}").status_code == 200
    assert client.get("/financements/conventions/nouvelle").status_code == 403
    response = client.post(f"/financements/financeurs/{ids['funder_b']}/supprimer")
    assert response.status_code == 403


# ---------------------------------------------------------------- funders
def test_funder_crud_and_refused_delete(client, login_as, funding_world):
    ids = funding_world["ids"]
    login_as("animateur")
    response = client.post("/financements/financeurs/nouveau", data={
        "name": "Opco EP", "type": "branche", "contact_name": "Léa Martin",
        "contact_email": "Lea.Martin@opco.fr", "active": "y"})
    assert response.status_code == 302
    page = _page(client.get(response.headers["Location"]))
    assert "Opco EP" in page and "Branche professionnelle / OPCO" in page
    assert "lea.martin@opco.fr" in page
    with client.application.app_context():
        opco = db.session.scalar(select(Funder).where(Funder.name == "Opco EP"))
        opco_id = opco.id
    # bad input comes back with the French message, input kept
    response = client.post("/financements/financeurs/nouveau", data={
        "name": "Conseil régional Nouvelle-Aquitaine", "type": "region",
        "contact_email": "pas-un-mail"})
    page = _page(response)
    assert response.status_code == 200
    assert "Un financeur porte déjà ce nom." in page and "Adresse e-mail invalide." in page
    assert 'value="pas-un-mail"' in page
    # edit: deactivate
    response = client.post(f"/financements/financeurs/{opco_id}/modifier", data={
        "name": "Opco EP", "type": "branche", "version_id": "1"})
    assert response.status_code == 302
    page = _page(client.get("/financements/financeurs?actif=0"))
    assert "Opco EP" in page and "DREETS Nouvelle-Aquitaine" not in page
    page = _page(client.get("/financements/financeurs?type=etat"))
    assert "DREETS Nouvelle-Aquitaine" in page and "Opco EP" not in page
    # list with counts and total amount per funder
    page = _page(client.get("/financements/financeurs?tri=nom"))
    assert format_money(Decimal("20000")) in page and format_money(Decimal("10000")) in page
    # a funder with a convention (and an account) cannot be deleted: nothing lost
    response = client.post(f"/financements/financeurs/{ids['funder']}/supprimer",
                           follow_redirects=True)
    page = _page(response)
    assert "Impossible de supprimer « Conseil régional Nouvelle-Aquitaine » : 1 convention(s)" \
        in page
    with client.application.app_context():
        assert db.session.get(Funder, ids["funder"]) is not None
    response = client.post(f"/financements/financeurs/{opco_id}/supprimer",
                           follow_redirects=True)
    assert "Financeur « Opco EP » supprimé." in _page(response)
    with client.application.app_context():
        assert db.session.get(Funder, opco_id) is None


# ---------------------------------------------------------------- conventions
def test_create_convention_with_warning_then_see_it(client, login_as, funding_world):
    ids = funding_world["ids"]
    login_as("animateur")
    assert f'value="{ids["funder_b"]}"' in _page(
        client.get(f"/financements/conventions/nouvelle?financeur={ids['funder_b']}"))
    response = client.post("/financements/conventions/nouvelle", data=_convention_form(
        ids["funder_b"], signature_date="2025-12-15", amount="1 234,56 €"),
        follow_redirects=True)
    page = _page(response)
    assert "Convention FSE-2026-03 créée." in page
    assert "À vérifier : La date de signature (15/12/2025) est en dehors de l&#39;année du " \
           "programme financé (2026)." in page
    assert "alert-warning" in page
    assert format_money(Decimal("1234.56")) in page and "2 avril 2026" not in page
    conv = _conv(client.application, "FSE-2026-03")
    assert conv.amount == Decimal("1234.56") and conv.funder_id == ids["funder_b"]


@pytest.mark.parametrize("typed", ["1 234,56", "1234.56", "1 234,56 €", "1\u202f234,56"])
def test_amounts_typed_the_french_way_give_the_same_decimal(client, login_as, funding_world,
                                                            typed):
    login_as("admin")
    response = client.post("/financements/conventions/nouvelle", data=_convention_form(
        funding_world["ids"]["funder"], amount=typed))
    assert response.status_code == 302
    assert _conv(client.application, "FSE-2026-03").amount == Decimal("1234.56")


def test_ambiguous_amount_is_rejected_with_an_example(client, login_as, funding_world):
    login_as("admin")
    response = client.post("/financements/conventions/nouvelle", data=_convention_form(
        funding_world["ids"]["funder"], amount="12,345.6", reference="GARDE-MOI"))
    page = _page(response)
    assert response.status_code == 200
    assert "Format ambigu « 12,345.6 » : utilisez la virgule pour les décimales et des " \
           "espaces pour les milliers, par exemple 1 234,56." in page
    assert 'value="12,345.6"' in page and 'value="GARDE-MOI"' in page
    assert _conv(client.application, "GARDE-MOI") is None


def test_convention_domain_errors_next_to_fields(client, login_as, funding_world):
    login_as("admin")
    response = client.post("/financements/conventions/nouvelle", data=_convention_form(
        "", reference="CRNA-2026-01", signature_date="", period_end="2025-01-01"))
    page = _page(response)
    assert "Choisissez un financeur." in page
    assert "Une convention porte déjà cette référence." in page
    assert "Une convention signée doit avoir une date de signature." in page
    assert "La fin de la période précède son début." in page


def test_concurrent_convention_edit_is_detected_and_input_kept(client, login_as,
                                                               funding_world):
    ids = funding_world["ids"]
    login_as("admin")
    url = f"/financements/conventions/{ids['convention_b']}/modifier"
    page = _page(client.get(url))
    assert 'name="version_id" type="hidden" value="1"' in page
    base = _convention_form(ids["funder_b"], reference="DREETS-2026-07", amount="20 000",
                            signature_date="2026-03-01", version_id="1")
    first = client.post(url, data={**base, "object": "Sauvé en premier"})
    assert first.status_code == 302
    second = client.post(url, data={**base, "object": "Ma version à moi"})
    page = _page(second)
    assert second.status_code == 200
    assert "modifiée par quelqu&#39;un d&#39;autre" in page
    assert "Ma version à moi" in page
    assert 'name="version_id" type="hidden" value="2"' in page
    with client.application.app_context():
        assert db.session.get(Convention, ids["convention_b"]).object == "Sauvé en premier"


def test_delete_convention_refused_with_payments_allowed_without(client, login_as,
                                                                 funding_world):
    ids = funding_world["ids"]
    login_as("admin")
    response = client.post(f"/financements/conventions/{ids['convention_a']}/supprimer",
                           follow_redirects=True)
    assert "Impossible de supprimer une convention qui a reçu des versements" in _page(response)
    response = client.post(f"/financements/conventions/{ids['convention_b']}/supprimer",
                           follow_redirects=True)
    assert "Convention DREETS-2026-07 supprimée." in _page(response)
    with client.application.app_context():
        assert db.session.get(Convention, ids["convention_b"]) is None
        assert db.session.get(Convention, ids["convention_a"]) is not None


# ---------------------------------------------------------------- allocations
def test_allocation_refusals_carry_the_amounts(client, login_as, funding_world):
    ids = funding_world["ids"]
    login_as("admin")
    client.post("/financements/conventions/nouvelle", data=_convention_form(
        ids["funder"], amount="5 000"))
    conv = _conv(client.application, "FSE-2026-03")
    url = f"/financements/conventions/{conv.id}/affectations"
    # above the action's remaining budget
    response = client.post(url, data={
        "affectation-target": f"{ids['programme']}:action:{ids['action_a']}",
        "affectation-amount": "1 000"}, follow_redirects=True)
    page = _page(response)
    assert (f"Affectation : Affectation refusée : l'action « Cluster QVT des missions locales » "
            f"a un budget de {format_money(Decimal('10000'))}, déjà financé à hauteur de "
            f"{format_money(Decimal('10000'))} ; il reste {format_money(Decimal('0'))} à "
            "financer.").replace("'", "&#39;") in page
    # above what the convention has left
    with client.application.app_context():
        from models.programme.orm import Axis
        axis_id = db.session.scalar(select(Axis.id).where(Axis.number == 1))
    response = client.post(url, data={"affectation-target": f"{ids['programme']}:axe:{axis_id}",
                                      "affectation-amount": "6 000"}, follow_redirects=True)
    assert (f"dépasse ce qui reste à affecter sur la convention ({format_money(Decimal('5000'))}"
            f" sur {format_money(Decimal('5000'))})") in _page(response)
    # no target, garbage target
    response = client.post(url, data={"affectation-target": "",
                                      "affectation-amount": "10"}, follow_redirects=True)
    assert "Choisissez l&#39;action ou l&#39;axe financé." in _page(response)
    response = client.post(url, data={"affectation-target": "x:y:z",
                                      "affectation-amount": "10"}, follow_redirects=True)
    assert "Choisissez le programme financé." in _page(response)
    with client.application.app_context():
        assert db.session.scalars(select(FundingAllocation).where(
            FundingAllocation.convention_id == conv.id)).all() == []
    # a global axis allocation is accepted (where the axis has budget left) and listed as such
    with client.application.app_context():
        from models.programme.items import BudgetLineData, save_item
        from models.programme.orm import Action, Objective

        action = db.session.get(Action, ids["action_a"])
        save_item(db.session, None, action, BudgetLineData(category="autres",
                                                           planned=Decimal("3000")))
        db.session.commit()
        axis_id = db.session.get(Objective, action.objective_id).axis_id
    response = client.post(url, data={"affectation-target": f"{ids['programme']}:axe:{axis_id}",
                                      "affectation-amount": "2 500,50"}, follow_redirects=True)
    page = _page(response)
    assert "Affectation enregistrée." in page and "global" in page
    assert format_money(Decimal("2500.50")) in page


def test_allocation_update_and_delete(client, login_as, funding_world):
    ids = funding_world["ids"]
    login_as("animateur")
    base = f"/financements/conventions/{ids['convention_a']}/affectations/{ids['allocation_a']}"
    response = client.post(base, data={f"affectation-{ids['allocation_a']}-amount": "12 000"},
                           follow_redirects=True)
    assert "dépasse ce qui reste à affecter" in _page(response)
    response = client.post(base, data={f"affectation-{ids['allocation_a']}-amount": "7 500"},
                           follow_redirects=True)
    assert "Affectation mise à jour." in _page(response)
    with client.application.app_context():
        assert db.session.get(FundingAllocation, ids["allocation_a"]).amount == Decimal("7500")
    # an allocation of another convention is not reachable through this one
    other = (f"/financements/conventions/{ids['convention_a']}/affectations/"
             f"{ids['allocation_b']}/supprimer")
    assert client.post(other).status_code == 404
    response = client.post(base + "/supprimer", follow_redirects=True)
    assert "Affectation supprimée." in _page(response)
    with client.application.app_context():
        assert db.session.get(FundingAllocation, ids["allocation_a"]) is None


# ---------------------------------------------------------------- schedule and payments
def _schedule(rows):
    data = {"echeancier-version_id": ""}
    for n, (label, due, percent) in enumerate(rows):
        data.update({f"echeancier-rows-{n}-label": label, f"echeancier-rows-{n}-due_date": due,
                     f"echeancier-rows-{n}-percent": percent})
    return data


def test_schedule_must_sum_to_100(client, login_as, funding_world):
    ids = funding_world["ids"]
    login_as("animateur")
    url = f"/financements/conventions/{ids['convention_a']}/echeancier"
    page = _page(client.get(f"/financements/conventions/{ids['convention_a']}"))
    assert 'name="echeancier-rows-0-label"' in page and 'value="Avance à la signature"' in page
    assert 'name="echeancier-rows-4-percent"' in page
    response = client.post(url, data=_schedule([
        ("Avance", "2026-02-28", "80"), ("Solde", "2027-03-31", "30"), ("", "", "")]),
        follow_redirects=True)
    assert "Échéancier : Les pourcentages de l&#39;échéancier totalisent 110 % : ils doivent " \
           "faire exactement 100 %." in _page(response)
    response = client.post(url, data=_schedule([("Avance", "2026-02-28", "8O")]),
                           follow_redirects=True)
    assert "Échéancier, échéance 1 : « 8O » n&#39;est pas un nombre" in _page(response)
    with client.application.app_context():
        rows = db.session.scalars(select(Instalment).where(
            Instalment.convention_id == ids["convention_a"]).order_by(Instalment.position))
        assert [r.percent for r in rows] == [Decimal("80"), Decimal("20")]
    response = client.post(url, data=_schedule([
        ("Avance à la signature", "2026-02-28", "80"), ("Acompte", "2026-09-30", "10"),
        ("Solde", "2027-03-31", "10")]), follow_redirects=True)
    page = _page(response)
    assert "Échéancier enregistré." in page
    assert format_money(Decimal("1000")) in page and "30 septembre 2026" in page


def test_payments_add_refuse_above_remaining_and_delete(client, login_as, funding_world):
    ids = funding_world["ids"]
    login_as("animateur")
    url = f"/financements/conventions/{ids['convention_a']}/versements"
    response = client.post(url, data={"versement-received_on": "2026-10-01",
                                      "versement-amount": "2 500"}, follow_redirects=True)
    assert (f"Versement : Versement refusé : {format_money(Decimal('2500'))} dépasse ce qui "
            f"reste dû sur la convention ({format_money(Decimal('2000'))}).") in _page(response)
    response = client.post(url, data={"versement-received_on": "2026-10-01",
                                      "versement-amount": "12,345.6"}, follow_redirects=True)
    assert "Format ambigu « 12,345.6 »" in _page(response)
    with client.application.app_context():
        solde = db.session.scalars(select(Instalment).where(
            Instalment.convention_id == ids["convention_a"], Instalment.position == 2)).one()
        solde_id = solde.id
    response = client.post(url, data={"versement-received_on": "2026-10-01",
                                      "versement-amount": "2 000,00",
                                      "versement-instalment_id": solde_id,
                                      "versement-comment": "Solde anticipé"},
                           follow_redirects=True)
    page = _page(response)
    assert "Versement enregistré." in page and "Solde anticipé" in page
    assert "1er octobre 2026" in page
    with client.application.app_context():
        payment = db.session.scalar(select(Payment).where(Payment.comment == "Solde anticipé"))
        assert payment.amount == Decimal("2000.00") and payment.instalment_id == solde_id
        payment_id = payment.id
    response = client.post(f"{url}/{payment_id}/supprimer", follow_redirects=True)
    assert "Versement supprimé." in _page(response)
    with client.application.app_context():
        assert db.session.get(Payment, payment_id) is None
    # the other convention's payment is out of this URL's reach
    assert client.post(f"/financements/conventions/{ids['convention_b']}/versements/"
                       f"{ids['payment_a']}/supprimer").status_code == 404


def test_late_instalment_is_flagged(client, login_as, funding_world, monkeypatch):
    ids = funding_world["ids"]
    monkeypatch.setattr("webapp.funding.views_conventions.today", lambda: date(2027, 4, 2))
    login_as("admin")
    page = _page(client.get(f"/financements/conventions/{ids['convention_a']}"))
    assert "en retard" in page and "1 échéance en retard" in page


# ---------------------------------------------------------------- reporting deadlines
def test_deadlines_add_mark_done_undo_delete(client, login_as, funding_world):
    ids = funding_world["ids"]
    login_as("animateur")
    base = f"/financements/conventions/{ids['convention_a']}/rapports"
    response = client.post(base, data={"rapport-label": "", "rapport-due_date": ""},
                           follow_redirects=True)
    assert "Rapport : Ce champ est obligatoire." in _page(response)
    response = client.post(base, data={"rapport-label": "Bilan intermédiaire",
                                       "rapport-due_date": "2026-07-15"}, follow_redirects=True)
    page = _page(response)
    assert "Échéance de rapport ajoutée." in page and "15 juillet 2026" in page
    with client.application.app_context():
        deadline_id = db.session.scalar(select(ReportingDeadline.id).where(
            ReportingDeadline.label == "Bilan intermédiaire"))
    response = client.post(f"{base}/{deadline_id}/fait", follow_redirects=True)
    assert "« Bilan intermédiaire » : marqué comme remis." in _page(response)
    with client.application.app_context():
        assert db.session.get(ReportingDeadline, deadline_id).done_date == clock.today()
    client.post(f"{base}/{deadline_id}/fait")
    with client.application.app_context():
        assert db.session.get(ReportingDeadline, deadline_id).done_date is None
    response = client.post(f"{base}/{deadline_id}/supprimer", follow_redirects=True)
    assert "Échéance de rapport supprimée." in _page(response)
    with client.application.app_context():
        assert db.session.get(ReportingDeadline, deadline_id) is None


# ---------------------------------------------------------------- plan
def _unbalance(app, ids, amount="5000.00"):
    """Raise action_b's budget: it is no longer fully funded."""
    from models.audit import set_actor
    from models.programme.items import BudgetLineData, save_item
    from models.programme.orm import Action

    with app.app_context():
        set_actor(db.session, None, via="cli")
        save_item(db.session, None, db.session.get(Action, ids["action_b"]), BudgetLineData(
            category="prestations", label="Enquête", planned=Decimal(amount)))
        db.session.commit()


def test_plan_matrix_balanced_then_unbalanced(client, login_as, funding_world):
    ids = funding_world["ids"]
    login_as("copil")
    response = client.get("/financements/plan")
    assert response.headers["Location"] == f"/financements/plan/{ids['programme']}"
    page = _page(client.get(response.headers["Location"]))
    assert "Conseil régional Nouvelle-Aquitaine" in page and "DREETS Nouvelle-Aquitaine" in page
    assert "Plan équilibré" in page and "Total axe 2" in page and "Total axe 3" in page
    assert format_money(Decimal("30000")) in page
    assert "tolérance 1 %" in page
    assert 'action="/financements/plan/tolerance"' not in page  # admin only
    _unbalance(client.application, ids)
    page = _page(client.get(f"/financements/plan/{ids['programme']}"))
    assert "ne peut pas être soumis au copil" in page
    assert "« Observatoire régional des parcours » (budget " in page
    assert "à équilibrer" in page and "à financer" in page


def test_submission_refusal_shows_as_a_banner_and_programme_links_to_plan(client, login_as,
                                                                         funding_world):
    ids = funding_world["ids"]
    _unbalance(client.application, ids)
    login_as("admin")
    page = _page(client.get(f"/programmes/{ids['programme']}"))
    assert f'href="/financements/plan/{ids["programme"]}"' in page
    assert "Plan de financement" in page
    response = client.post(f"/programmes/{ids['programme']}/transition",
                           data={"target_status": "soumis", "t-soumis-target": "soumis"},
                           follow_redirects=True)
    page = _page(response)
    assert "alert-danger" in page
    assert "Le plan de cofinancement n&#39;est pas équilibré" in page
    assert "Observatoire régional des parcours" in page
    with client.application.app_context():
        assert db.session.get(Programme, ids["programme"]).status is ProgrammeStatus.BROUILLON


def test_tolerance_admin_only(client, login_as, funding_world):
    ids = funding_world["ids"]
    _unbalance(client.application, ids, "300.00")  # 20 300 budget, 20 000 funded: 1.48 %
    login_as("admin")
    page = _page(client.get(f"/financements/plan/{ids['programme']}"))
    assert 'action="/financements/plan/tolerance"' in page and "à équilibrer" in page
    response = client.post("/financements/plan/tolerance", data={
        "programme_id": ids["programme"], "tolerance_percent": "60"}, follow_redirects=True)
    assert "Tolérance : La tolérance doit être comprise entre 0 et 50 %." in _page(response)
    response = client.post("/financements/plan/tolerance", data={
        "programme_id": ids["programme"], "tolerance_percent": "2,5"}, follow_redirects=True)
    page = _page(response)
    assert "Tolérance enregistrée" in page and "Plan équilibré" in page
    with client.application.app_context():
        settings = db.session.scalar(select(FundingSettings))
        assert settings.tolerance_percent == Decimal("2.50")
        assert settings.region_id == ids["region"]
    client.post("/deconnexion")
    login_as("animateur")
    assert client.post("/financements/plan/tolerance", data={
        "programme_id": ids["programme"], "tolerance_percent": "0"}).status_code == 403
    assert client.post("/financements/plan/tolerance", data={
        "programme_id": "nope", "tolerance_percent": "0"}).status_code == 403


def test_plan_without_programme_redirects_to_the_list(client, login_as, world):
    login_as("admin")
    response = client.get("/financements/plan", follow_redirects=True)
    assert "Aucun programme n&#39;existe encore" in _page(response)


def test_plan_exports_download(client, login_as, funding_world):
    ids = funding_world["ids"]
    login_as("copil")
    response = client.get(f"/financements/plan/{ids['programme']}/export.xlsx")
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    assert "attachment;" in response.headers["Content-Disposition"]
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    assert book.worksheets
    response = client.get(f"/financements/plan/{ids['programme']}/export.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    text = response.get_data(as_text=True)
    assert "Cluster QVT des missions locales" in text and ";" in text
    assert client.get("/financements/plan/999999/export.csv").status_code == 404


# ---------------------------------------------------------------- échéances
def test_upcoming_lists_next_90_days_and_overdue_in_scope(client, login_as, funding_world,
                                                          monkeypatch):
    ids = funding_world["ids"]
    with client.application.app_context():
        from models.audit import set_actor
        from models.funding.payments import DeadlineData, save_deadline

        set_actor(db.session, None, via="cli")
        save_deadline(db.session, None, db.session.get(Convention, ids["convention_b"]), None,
                      DeadlineData("Rapport d'étape DREETS", date(2026, 12, 1)))
        db.session.commit()
    monkeypatch.setattr("webapp.funding.views_plan.today", lambda: date(2027, 1, 15))
    login_as("animateur")
    page = _page(client.get("/financements/echeances"))
    assert "Solde après dialogue de gestion" in page  # 31 March 2027, within 90 days
    assert format_money(Decimal("2000")) in page
    assert "Bilan d&#39;exécution" in page and "28 février 2027" in page
    assert "Rapport d&#39;étape DREETS" in page and "en retard" in page
    assert page.index("1er décembre 2026") < page.index("28 février 2027") \
        < page.index("31 mars 2027")
    assert f'/financements/conventions/{ids["convention_a"]}#echeancier' in page
    client.post("/deconnexion")
    login_as("financeur")
    page = _page(client.get("/financements/echeances"))
    assert "Bilan d&#39;exécution" in page
    assert "DREETS" not in page
    monkeypatch.setattr("webapp.funding.views_plan.today", lambda: date(2026, 4, 1))
    page = _page(client.get("/financements/echeances"))
    assert "Rien à suivre dans les 90 prochains jours." in page


# ---------------------------------------------------------------- CSRF
def test_funding_forms_need_a_csrf_token(database_url, funding_world):
    app = make_app(database_url, WTF_CSRF_ENABLED=True)
    client = app.test_client()
    page = client.get("/connexion").get_data(as_text=True)
    client.post("/connexion", data={"email": funding_world["emails"]["admin"],
                                    "password": "mot-de-passe-de-test",
                                    "csrf_token": csrf_token_from(page)})
    ids = funding_world["ids"]
    response = client.post(f"/financements/conventions/{ids['convention_a']}/versements",
                           data={"versement-received_on": "2026-10-01",
                                 "versement-amount": "100"})
    assert response.status_code == 400
    page = client.get(f"/financements/conventions/{ids['convention_a']}").get_data(as_text=True)
    token = csrf_token_from(page)
    response = client.post(f"/financements/conventions/{ids['convention_a']}/versements",
                           data={"versement-received_on": (clock.today() - timedelta(days=1))
                                 .isoformat(), "versement-amount": "100",
                                 "versement-csrf_token": token})
    assert response.status_code == 302
    with app.app_context():
        amounts = db.session.scalars(select(Payment.amount).where(
            Payment.convention_id == ids["convention_a"])).all()
        assert sorted(amounts) == [Decimal("100.00"), Decimal("8000.00")]
        db.session.remove()
        db.engine.dispose()
