"""/admin/utilisateurs: list, create, edit, deactivate, reset, with refusals that change nothing."""

from __future__ import annotations

from sqlalchemy import func, select

from models.accounts.orm import User
from models.accounts.roles import Role
from models.accounts.services import UserData, update_user
from models.audit.orm import AuditEvent
from tests.conftest import PASSWORD, login
from webapp.extensions import db


def _count_users(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(User))


def _form(**overrides):
    data = {"email": "nouvelle@ml-test.fr", "full_name": "Nina Nouvelle", "role": "ml",
            "mission_locale_id": "", "active": "y", "password": "un-mot-de-passe-long",
            "confirm": "un-mot-de-passe-long"}
    data.update(overrides)
    return data


def test_list_sorts_filters_and_paginates(login_as, world):
    client = login_as("admin")
    page = client.get("/admin/utilisateurs?tri=email&ordre=desc").get_data(as_text=True)
    assert page.index("target@test.fr") < page.index("admin@test.fr")
    page = client.get("/admin/utilisateurs?tri=email&ordre=asc").get_data(as_text=True)
    assert page.index("admin@test.fr") < page.index("target@test.fr")
    page = client.get("/admin/utilisateurs?role=copil").get_data(as_text=True)
    assert "copil@test.fr" in page and "fin@test.fr" not in page
    page = client.get("/admin/utilisateurs?q=tina").get_data(as_text=True)
    assert "target@test.fr" in page and "admin@test.fr" not in page
    page = client.get("/admin/utilisateurs?par_page=10&page=1").get_data(as_text=True)
    assert "1–6 sur 6 comptes" in page
    page = client.get("/admin/utilisateurs?q=zzzz").get_data(as_text=True)
    assert "Aucun compte ne correspond" in page


def test_admin_creates_an_ml_account(app, login_as, world):
    client = login_as("admin")
    response = client.post("/admin/utilisateurs/nouveau",
                           data=_form(mission_locale_id=str(world["ids"]["ml_a"])))
    assert response.status_code == 302
    with app.app_context():
        user = db.session.scalars(select(User).where(User.email == "nouvelle@ml-test.fr")).one()
        assert user.role == Role.ML and user.mission_locale_id == world["ids"]["ml_a"]
        event = db.session.scalars(select(AuditEvent).where(
            AuditEvent.entity == "app_user", AuditEvent.entity_id == str(user.id))).one()
        assert event.action == "insert" and event.actor_email == "admin@test.fr"
        assert event.via == "web" and event.changes["password_hash"] == "***"
    client.post("/deconnexion")
    assert login(client, "NOUVELLE@ml-test.fr", "un-mot-de-passe-long").status_code == 302


def test_invalid_creation_rerenders_with_every_error_and_keeps_input(app, login_as, world):
    client = login_as("admin")
    before = _count_users(app)
    response = client.post("/admin/utilisateurs/nouveau", data=_form(
        email="ADMIN@test.fr", password="court", confirm="court", mission_locale_id=""))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Un compte existe déjà avec cette adresse e-mail." in html
    assert "au moins 12 caractères" in html
    assert "doit être rattaché à une mission locale" in html
    assert 'value="Nina Nouvelle"' in html  # nothing typed is lost
    assert _count_users(app) == before


def test_animateur_cannot_grant_admin(app, login_as, world):
    client = login_as("animateur")
    before = _count_users(app)
    html = client.post("/admin/utilisateurs/nouveau", data=_form(role="admin")) \
        .get_data(as_text=True)
    assert "Rôle inconnu" not in html
    assert _count_users(app) == before
    # the role is not even offered
    form = client.get("/admin/utilisateurs/nouveau").get_data(as_text=True)
    assert 'value="admin"' not in form and 'value="ml"' in form


def test_animateur_cannot_promote_an_ml_account(app, login_as, world):
    client = login_as("animateur")
    target = world["ids"]["target"]
    html = client.post(f"/admin/utilisateurs/{target}", data={
        "email": "target@test.fr", "full_name": "Tina Pau", "role": "admin",
        "mission_locale_id": str(world["ids"]["ml_b"]), "active": "y", "version_id": "1",
    }).get_data(as_text=True)
    assert "Vous ne pouvez pas attribuer le rôle « Administrateur·rice ARML »." in html
    with app.app_context():
        user = db.session.get(User, target)
        assert user.role == Role.ML and user.version_id == 1


def test_animateur_cannot_edit_an_admin(app, login_as, world):
    client = login_as("animateur")
    admin = world["ids"]["admin"]
    page = client.get(f"/admin/utilisateurs/{admin}").get_data(as_text=True)
    assert "Vous pouvez consulter ce compte mais pas le modifier" in page
    client.post(f"/admin/utilisateurs/{admin}", data={
        "email": "admin@test.fr", "full_name": "Piraté", "role": "admin", "active": "",
        "version_id": "1"})
    client.post(f"/admin/utilisateurs/{admin}/activation", data={"version_id": "1"})
    client.post(f"/admin/utilisateurs/{admin}/mot-de-passe",
                data={"password": "x" * 20, "confirm": "x" * 20})
    with app.app_context():
        user = db.session.get(User, admin)
        assert user.full_name == "Ada Admin" and user.active and user.version_id == 1


def test_concurrent_edit_is_detected_not_overwritten(app, login_as, world):
    client = login_as("admin")
    target = world["ids"]["target"]
    with app.app_context():  # someone else saves first, through the same service
        user = db.session.get(User, target)
        update_user(db.session, None, user, UserData(
            email=user.email, full_name="Tina Pau-Lacaze", role=Role.ML,
            mission_locale_id=user.mission_locale_id))
        db.session.commit()
    html = client.post(f"/admin/utilisateurs/{target}", data={
        "email": "target@test.fr", "full_name": "Tina P.", "role": "ml",
        "mission_locale_id": str(world["ids"]["ml_b"]), "active": "y", "version_id": "1",
    }).get_data(as_text=True)
    assert "modifiée par quelqu&#39;un d&#39;autre" in html or "modifiée par quelqu'un" in html
    with app.app_context():
        assert db.session.get(User, target).full_name == "Tina Pau-Lacaze"


def test_deactivate_and_reactivate(app, login_as, world):
    client = login_as("admin")
    target = world["ids"]["target"]
    client.post(f"/admin/utilisateurs/{target}/activation", data={"version_id": "1"})
    with app.app_context():
        user = db.session.get(User, target)
        assert not user.active and user.session_epoch == 1
    client.post(f"/admin/utilisateurs/{target}/activation", data={"version_id": "2"})
    with app.app_context():
        assert db.session.get(User, target).active


def test_admin_cannot_deactivate_or_demote_themselves(app, login_as, world):
    client = login_as("admin")
    me = world["ids"]["admin"]
    html = client.post(f"/admin/utilisateurs/{me}", data={
        "email": "admin@test.fr", "full_name": "Ada Admin", "role": "copil", "active": "",
        "version_id": "1"}).get_data(as_text=True)
    assert "votre propre compte" in html and "votre propre rôle" in html
    assert "dernier compte administrateur actif" in html
    with app.app_context():
        user = db.session.get(User, me)
        assert user.role == Role.ADMIN and user.active


def test_password_reset_by_admin(app, login_as, world):
    client = login_as("admin")
    target = world["ids"]["target"]
    response = client.post(f"/admin/utilisateurs/{target}/mot-de-passe",
                           data={"password": "court", "confirm": "court"},
                           follow_redirects=True)
    assert "au moins 12 caractères" in response.get_data(as_text=True)
    response = client.post(f"/admin/utilisateurs/{target}/mot-de-passe",
                           data={"password": "nouveau-secret-long",
                                 "confirm": "nouveau-secret-long"},
                           follow_redirects=True)
    assert "réinitialisé" in response.get_data(as_text=True)
    other = app.test_client()
    assert login(other, "target@test.fr", PASSWORD).status_code == 200  # old one refused
    assert login(other, "target@test.fr", "nouveau-secret-long").status_code == 302


def test_user_history_is_shown(app, login_as, world):
    client = login_as("admin")
    target = world["ids"]["target"]
    client.post(f"/admin/utilisateurs/{target}/activation", data={"version_id": "1"})
    page = client.get(f"/admin/utilisateurs/{target}").get_data(as_text=True)
    assert "modification" in page and "par admin@test.fr" in page
    journal = client.get("/admin/journal?entite=app_user&action=update").get_data(as_text=True)
    assert f"app_user #{target}" in journal


def test_unknown_ids_are_404(login_as, world):
    client = login_as("admin")
    assert client.get("/admin/utilisateurs/999999").status_code == 404
    assert client.post("/admin/utilisateurs/999999/activation").status_code == 404
    assert client.get("/reseau/999999").status_code == 404
