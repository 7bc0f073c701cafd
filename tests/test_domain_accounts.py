"""Account services and policy, called like the CLI and the dashboard do (no request)."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models.accounts.orm import User
from models.accounts.passwords import hash_password, verify_password
from models.accounts.roles import Role
from models.accounts.services import (
    UserData,
    authenticate,
    create_user,
    load_for_login,
    update_user,
)
from models.database import make_engine
from models.errors import ConcurrentEdit, PermissionDenied, ValidationFailed
from models.network.orm import MissionLocale
from models.policy import can, grantable_roles, require, scope_missions_locales
from tests.conftest import PASSWORD


def _user(session, key: str, world) -> User:
    return session.get(User, world["ids"][key])


def test_create_collects_every_error_before_writing(session, world):
    admin = _user(session, "admin", world)
    with pytest.raises(ValidationFailed) as info:
        create_user(session, admin, UserData(email="pas-un-email", full_name=" ", role="ml"),
                    "court")
    errors = info.value.errors
    assert set(errors) == {"email", "full_name", "mission_locale_id", "password"}
    assert session.scalars(select(User).where(User.email == "pas-un-email")).first() is None


def test_email_unique_case_insensitively_in_service_and_database(session, world):
    with pytest.raises(ValidationFailed) as info:
        create_user(session, None, UserData(email="Admin@Test.fr", full_name="X", role="copil"),
                    PASSWORD)
    assert "existe déjà" in info.value.errors["email"][0]
    session.add(User(email="admin@test.fr", full_name="Doublon", role=Role.COPIL,
                     password_hash="x"))
    with pytest.raises(IntegrityError):
        session.flush()


def test_database_refuses_an_ml_account_without_mission_locale(session, world):
    session.add(User(email="sans-ml@test.fr", full_name="Sans", role=Role.ML, password_hash="x"))
    with pytest.raises(IntegrityError):
        session.flush()


def test_unknown_role_is_a_validation_error(session, world):
    with pytest.raises(ValidationFailed) as info:
        create_user(session, None, UserData(email="r@test.fr", full_name="R", role="roi"),
                    PASSWORD)
    assert info.value.errors["role"] == ["Rôle inconnu."]


def test_grantable_roles_by_role(session, world):
    assert grantable_roles(_user(session, "admin", world)) == list(Role)
    assert grantable_roles(_user(session, "animateur", world)) == [Role.ML]
    for key in ("copil", "ml", "financeur"):
        assert grantable_roles(_user(session, key, world)) == []


def test_non_team_cannot_create_accounts(session, world):
    with pytest.raises(PermissionDenied):
        create_user(session, _user(session, "copil", world),
                    UserData(email="x@test.fr", full_name="X", role="ml"), PASSWORD)


def test_stale_version_raises_concurrent_edit(session, world):
    target = _user(session, "target", world)
    data = UserData(email=target.email, full_name="Nouveau nom", role=Role.ML,
                    mission_locale_id=target.mission_locale_id)
    with pytest.raises(ConcurrentEdit):
        update_user(session, None, target, data, expected_version=target.version_id + 1)
    update_user(session, None, target, data, expected_version=target.version_id)
    assert target.version_id == 2


def test_last_active_admin_cannot_be_demoted(session, world):
    admin = _user(session, "admin", world)
    with pytest.raises(ValidationFailed) as info:
        update_user(session, None, admin, UserData(email=admin.email, full_name=admin.full_name,
                                                   role=Role.COPIL))
    assert "dernier compte administrateur" in info.value.errors["__all__"][0]


def test_authenticate(session, world):
    assert authenticate(session, "admin@test.fr", PASSWORD).id == world["ids"]["admin"]
    assert authenticate(session, "admin@test.fr", "faux") is None
    assert authenticate(session, "inconnu@test.fr", PASSWORD) is None
    _user(session, "copil", world).active = False
    assert authenticate(session, "copil@test.fr", PASSWORD) is None


def test_login_cookie_is_tied_to_the_session_epoch(session, world):
    user = _user(session, "copil", world)
    cookie = user.get_id()
    assert load_for_login(session, cookie) is user
    user.session_epoch += 1
    assert load_for_login(session, cookie) is None
    assert load_for_login(session, "n'importe quoi") is None


def test_password_hash_is_argon2id():
    hashed = hash_password("une phrase de passe")
    assert hashed.startswith("$argon2id$")
    assert verify_password(hashed, "une phrase de passe")
    assert not verify_password(hashed, "une autre phrase")
    assert not verify_password(None, "une phrase de passe")


def test_policy_matrix_and_scoping(session, world):
    admin, copil, ml, fin = (_user(session, k, world) for k in ("admin", "copil", "ml",
                                                                 "financeur"))
    ml_a = session.get(MissionLocale, world["ids"]["ml_a"])
    ml_b = session.get(MissionLocale, world["ids"]["ml_b"])
    assert can(copil, "network.view") and not can(ml, "network.view")
    assert can(ml, "mission_locale.view", ml_a) and not can(ml, "mission_locale.view", ml_b)
    assert not can(fin, "mission_locale.view", ml_a)
    assert not can(None, "home.view")
    with pytest.raises(KeyError):
        can(admin, "n.existe.pas")
    with pytest.raises(PermissionDenied):
        require(ml, "users.view")

    def visible(user):
        return set(session.scalars(scope_missions_locales(select(MissionLocale.id), user)))

    assert visible(admin) == visible(copil) == {ml_a.id, ml_b.id}
    assert visible(ml) == {ml_a.id}
    assert visible(fin) == set()
    admin.active = False
    assert visible(admin) == set() and not can(admin, "home.view")


def test_domain_core_works_from_a_plain_session(app, world):
    """The dashboard's path: an engine and a Session, no Flask app context."""
    engine = make_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    try:
        with Session(engine) as plain:
            user = authenticate(plain, "copil@test.fr", PASSWORD)
            assert user is not None and can(user, "network.view")
    finally:
        engine.dispose()
