"""Programme screens through the Flask test client: forms keep input and explain errors in
French, concurrent edits are detected, scope holds, exports download."""

from __future__ import annotations

import io
from decimal import Decimal

import openpyxl
from sqlalchemy import select

from models.councils.orm import Decision
from models.programme.enums import ProgrammeStatus
from models.programme.orm import (
    Action,
    BudgetLine,
    Programme,
    ProgrammeTransition,
)
from tests.conftest import csrf_token_from, login, make_app
from webapp.extensions import db


def _action_form(ids, **overrides):
    form = {"objective_id": ids["objective"], "title": "Journée régionale des conseillers",
            "description": "Une journée d'échanges", "pilot_id": ids["member"],
            "start_date": "2026-04-01", "end_date": "2026-04-30", "status": "prevue",
            "mission_locale_ids": [ids["ml_a"], ids["ml_b"]],
            "partners": "DREETS\nConseil régional\n"}
    form.update(overrides)
    return form


def test_create_action_then_see_it(client, login_as, programme_world):
    ids = programme_world["ids"]
    login_as("animateur")
    response = client.post(f"/programmes/{ids['programme']}/actions/nouvelle",
                           data=_action_form(ids))
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Journée régionale des conseillers" in page
    assert "1er avril 2026" in page and "Conseil régional" in page
    with client.application.app_context():
        action = db.session.scalars(select(Action).where(
            Action.title == "Journée régionale des conseillers")).one()
        assert action.partners == ["DREETS", "Conseil régional"]
        assert sorted(link.mission_locale_id for link in action.ml_links) == sorted(
            [ids["ml_a"], ids["ml_b"]])


def test_bad_action_input_rerenders_with_french_errors_and_keeps_input(client, login_as,
                                                                       programme_world):
    ids = programme_world["ids"]
    login_as("admin")
    response = client.post(f"/programmes/{ids['programme']}/actions/nouvelle",
                           data=_action_form(ids, end_date="2026-03-01",
                                             title="Titre conservé"))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "La date de fin précède la date de début." in page
    assert 'value="Titre conservé"' in page
    response = client.post(f"/programmes/{ids['programme']}/actions/nouvelle",
                           data=_action_form(ids, start_date="pas une date"))
    assert response.status_code == 200
    assert "N&#39;est pas une date valide." in response.get_data(as_text=True)
    with client.application.app_context():
        assert db.session.scalar(select(Action).where(Action.title == "Titre conservé")) is None


def test_second_editor_is_refused_and_keeps_their_input(client, login_as, programme_world):
    ids = programme_world["ids"]
    login_as("admin")
    url = f"/programmes/actions/{ids['action_a']}/modifier"
    page = client.get(url).get_data(as_text=True)
    assert 'name="version_id" type="hidden" value="1"' in page
    # Someone else saves first (version 1 → 2).
    first = client.post(url, data=_action_form(ids, title="Sauvé en premier", version_id="1"))
    assert first.status_code == 302
    second = client.post(url, data=_action_form(ids, title="Ma version", version_id="1"))
    assert second.status_code == 200
    text = second.get_data(as_text=True)
    assert "modifiée par quelqu&#39;un d&#39;autre" in text
    assert 'value="Ma version"' in text
    with client.application.app_context():
        assert db.session.get(Action, ids["action_a"]).title == "Sauvé en premier"


def test_budget_line_amounts_are_parsed_without_float(client, login_as, programme_world):
    ids = programme_world["ids"]
    login_as("animateur")
    url = f"/programmes/actions/{ids['action_a']}/budget"
    response = client.post(url, data={"budget-category": "prestations", "budget-label": "Salle",
                                      "budget-planned": "1 234,56 €", "budget-actual": ""})
    assert response.status_code == 302
    response = client.post(url, data={"budget-category": "prestations",
                                      "budget-planned": "12,345.6"}, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "Ligne de budget : Format ambigu" in page and "1 234,56" in page
    with client.application.app_context():
        lines = db.session.scalars(select(BudgetLine)).all()
        assert [(bl.planned, bl.actual, bl.label) for bl in lines] == [
            (Decimal("1234.56"), None, "Salle")]
    # The row is edited inline: its own prefixed form.
    with client.application.app_context():
        line_id = db.session.scalars(select(BudgetLine.id)).one()
    client.post(f"{url}/{line_id}", data={f"budget-{line_id}-category": "prestations",
                                          f"budget-{line_id}-planned": "1 234,56",
                                          f"budget-{line_id}-actual": "1 100"})
    with client.application.app_context():
        assert db.session.get(BudgetLine, line_id).actual == Decimal("1100.00")


def test_staff_time_entered_in_etp_is_stored_in_days(client, login_as, programme_world):
    ids = programme_world["ids"]
    login_as("animateur")
    client.post(f"/programmes/actions/{ids['action_a']}/temps",
                data={"temps-member_id": ids["member"], "temps-planned": "0,1",
                      "temps-unit": "etp"})
    with client.application.app_context():
        action = db.session.get(Action, ids["action_a"])
        assert [a.planned_days for a in action.allocations] == [Decimal("21.80")]


def test_workflow_through_the_web_with_copil_decision(client, login_as, programme_world):
    ids = programme_world["ids"]
    login_as("admin")
    url = f"/programmes/{ids['programme']}/transition"
    client.post(url, data={"target_status": "soumis", "t-soumis-target": "soumis"})
    client.post(url, data={"target_status": "valide", "t-valide-target": "valide",
                           "t-valide-comment": "Voté à l'unanimité",
                           "t-valide-meeting_id": ids["meeting"]})
    response = client.post(url, data={"target_status": "cloture",
                                      "t-cloture-target": "cloture"},
                           follow_redirects=True)
    assert "Passage impossible de « Validé » à « Clôturé »" in response.get_data(as_text=True)
    with client.application.app_context():
        programme = db.session.get(Programme, ids["programme"])
        assert programme.status is ProgrammeStatus.VALIDE
        decision = db.session.scalars(select(Decision).where(
            Decision.transition_id.is_not(None))).one()
        assert decision.copil_meeting_id == ids["meeting"] and "Voté à l'unanimité" in decision.text
        assert db.session.get(ProgrammeTransition, decision.transition_id).to_status \
            is ProgrammeStatus.VALIDE
    page = client.get(f"/programmes/{ids['programme']}").get_data(as_text=True)
    assert "Validé" in page and "Voté à l&#39;unanimité" in page


def test_closed_programme_refuses_new_actions(client, login_as, programme_world):
    ids = programme_world["ids"]
    with client.application.app_context():
        db.session.get(Programme, ids["programme"]).status = ProgrammeStatus.CLOTURE
        db.session.commit()
    login_as("admin")
    response = client.post(f"/programmes/{ids['programme']}/actions/nouvelle",
                           data=_action_form(ids), follow_redirects=True)
    assert "clôturé : il est en lecture seule" in response.get_data(as_text=True)
    response = client.post(f"/programmes/actions/{ids['action_a']}/livrables",
                           data={"livrables-title": "x", "livrables-due_date": "2026-05-01"},
                           follow_redirects=True)
    assert "lecture seule" in response.get_data(as_text=True)
    with client.application.app_context():
        assert db.session.scalar(select(Action).where(
            Action.title == "Journée régionale des conseillers")) is None


def test_delete_refused_when_deliverables_exist(client, login_as, programme_world):
    ids = programme_world["ids"]
    login_as("admin")
    response = client.post(f"/programmes/actions/{ids['action_b']}/supprimer",
                           follow_redirects=True)
    assert "Impossible de supprimer" in response.get_data(as_text=True)
    response = client.post(f"/programmes/actions/{ids['action_a']}/supprimer")
    assert response.status_code == 302
    with client.application.app_context():
        assert db.session.get(Action, ids["action_b"]) is not None
        assert db.session.get(Action, ids["action_a"]) is None


def test_ml_user_sees_only_its_actions_and_no_money(client, login_as, programme_world):
    ids = programme_world["ids"]
    login_as("ml")
    page = client.get(f"/programmes/{ids['programme']}").get_data(as_text=True)
    assert "Cluster QVT des missions locales" in page
    assert "Observatoire régional des parcours" not in page
    assert "Budget" not in page
    listing = client.get(f"/programmes/{ids['programme']}/actions").get_data(as_text=True)
    assert "Cluster QVT" in listing and "Observatoire" not in listing
    detail = client.get(f"/programmes/actions/{ids['action_a']}")
    assert detail.status_code == 200
    assert "Budget" not in detail.get_data(as_text=True)
    assert client.get(f"/programmes/actions/{ids['action_b']}").status_code == 404
    # Guessing another row id of an out-of-scope action is a 404 too.
    assert client.post(f"/programmes/actions/{ids['action_b']}/livrables").status_code == 403


def test_filters_sort_and_late_only(client, login_as, programme_world):
    ids = programme_world["ids"]
    login_as("copil")
    base = f"/programmes/{ids['programme']}/actions"
    page = client.get(base + "?axe=3").get_data(as_text=True)
    assert "Observatoire" in page and "Cluster QVT" not in page
    page = client.get(base + f"?ml={ids['ml_a']}").get_data(as_text=True)
    assert "Cluster QVT" in page and "Observatoire" not in page
    page = client.get(base + "?tri=intitule&ordre=desc").get_data(as_text=True)
    assert page.index("Observatoire") < page.index("Cluster QVT")
    page = client.get(base + "?retard=1").get_data(as_text=True)
    assert "Observatoire" in page and "Cluster QVT" not in page  # due 31 May, today is later
    page = client.get(base + "?axe=abc&page=zz&tri=nope").get_data(as_text=True)
    assert "Cluster QVT" in page  # bad query values fall back to defaults


def test_exports_download(client, login_as, programme_world):
    ids = programme_world["ids"]
    login_as("copil")
    response = client.get(f"/programmes/{ids['programme']}/export.xlsx")
    assert response.status_code == 200
    assert "programme-2026.xlsx" in response.headers["Content-Disposition"]
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    titles = [row[2] for row in book["Axe 2"].iter_rows(min_row=2, values_only=True) if row[2]]
    assert titles == ["Cluster QVT des missions locales"]
    response = client.get(f"/programmes/{ids['programme']}/export.csv")
    assert response.data.decode("utf-8").startswith("\ufeff")
    assert "Observatoire régional des parcours" in response.data.decode("utf-8")


def test_forms_need_a_csrf_token(database_url, programme_world):
    app = make_app(database_url, WTF_CSRF_ENABLED=True)
    client = app.test_client()
    page = client.get("/connexion").get_data(as_text=True)
    client.post("/connexion", data={"email": programme_world["emails"]["admin"],
                                    "password": "mot-de-passe-de-test",
                                    "csrf_token": csrf_token_from(page)})
    ids = programme_world["ids"]
    response = client.post(f"/programmes/{ids['programme']}/transition",
                           data={"target_status": "soumis", "t-soumis-target": "soumis"})
    assert response.status_code == 400
    with app.app_context():
        assert db.session.get(Programme, ids["programme"]).status is ProgrammeStatus.BROUILLON
        db.session.remove()
        db.engine.dispose()


def test_current_programme_link_opens_this_years_programme(client, programme_world):
    assert login(client, programme_world["emails"]["copil"]).status_code == 302
    assert client.get("/programmes/courant").headers["Location"].endswith(
        f"/programmes/{programme_world['ids']['programme']}")
