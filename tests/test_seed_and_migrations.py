"""Demo data through the real CLI; migrations match the models on both backends."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import func, select

from models.accounts.orm import User
from models.accounts.roles import Role
from models.base import Base
from models.network.orm import MissionLocale
from seeds.demo import DEMO_ACCOUNTS, DEMO_PASSWORD
from tests.conftest import login
from webapp.extensions import db


def _counts(app):
    with app.app_context():
        return (db.session.scalar(select(func.count()).select_from(MissionLocale)),
                db.session.scalar(select(func.count()).select_from(User)))


# The demo is long to build (Parcours imports, reports): these tests start from the
# module's copy of it (``demo_app``, made by the same ``build_demo`` the CLI calls) and run
# the real CLI on it — a second ``seed demo``, ``--if-empty``, and ``--reset``, which wipes
# and builds the whole demo again through the command.
def test_seed_demo_is_idempotent_and_believable(demo_app):
    app = demo_app
    first = _counts(app)
    assert 25 <= first[0] <= 45
    assert first[1] == len(DEMO_ACCOUNTS)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["seed", "demo"])
    assert result.exit_code == 0, result.output
    assert "Démo prête" in result.output
    assert _counts(app) == first
    result = runner.invoke(args=["seed", "demo", "--if-empty"])
    assert "déjà remplie" in result.output
    with app.app_context():
        deps = set(db.session.scalars(select(MissionLocale.departement)))
        assert len(deps) >= 8
        ml_user = db.session.scalars(select(User).where(User.email == "ml@demo.arml.fr")).one()
        assert ml_user.role == Role.ML and ml_user.mission_locale is not None


def test_demo_accounts_can_sign_in(demo_app):
    for email in ("admin@demo.arml.fr", "animation@demo.arml.fr", "copil@demo.arml.fr",
                  "ml@demo.arml.fr", "financeur@demo.arml.fr"):
        client = demo_app.test_client()
        assert login(client, email, DEMO_PASSWORD).status_code == 302, email


def test_seed_reset_rebuilds(demo_app):
    app = demo_app
    before = _counts(app)
    with app.app_context():
        db.session.scalars(select(MissionLocale)).first().name = "Modifiée à la main"
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["seed", "demo", "--reset"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        names = set(db.session.scalars(select(MissionLocale.name)))
        assert "Modifiée à la main" not in names
    assert _counts(app) == before


def test_create_admin_command(app):
    runner = app.test_cli_runner()
    bad = runner.invoke(args=["create-admin", "--email", "x@arml.fr", "--name", "X",
                              "--password", "court"])
    assert bad.exit_code != 0 and "au moins 12 caractères" in bad.output
    ok = runner.invoke(args=["create-admin", "--email", "Chef@ARML.fr", "--name", "Cheffe",
                             "--password", "une-phrase-assez-longue"])
    assert ok.exit_code == 0, ok.output
    with app.app_context():
        assert db.session.scalars(select(User).where(User.email == "chef@arml.fr")).one()


def test_migrations_match_the_models(app):
    with app.app_context(), db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, Base.metadata)
    assert diff == [], diff


def test_migrations_downgrade_and_upgrade_again(app):
    with app.app_context():
        downgrade(revision="base")
        upgrade()
        assert db.session.scalar(select(func.count()).select_from(User)) == 0
