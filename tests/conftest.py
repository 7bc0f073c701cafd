"""Fixtures: every database test runs on SQLite and on a real PostgreSQL.

The schema is built once per backend by the real migrations; each test then
starts from empty tables (truncation), never from a rebuilt schema.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path

import pytest

# Isolate local state (generated secret key, SQLite files) before the app is imported.
_INSTANCE = Path(tempfile.mkdtemp(prefix="animareseau-test-instance-"))
os.environ["ANIMARESEAU_INSTANCE_PATH"] = str(_INSTANCE)
os.environ["ANIMARESEAU_ENV"] = "test"
os.environ.pop("DATABASE_URL", None)
# The one clock (models/clock.py) reads this moment when the tests start, and so do the
# processes they launch (worker, dashboard, CLI): the fixtures below are dated around it,
# and the real date never enters. See README « Tests et horloge ».
TEST_NOW = "2026-11-23T10:00:00+01:00"
os.environ["ANIMARESEAU_CLOCK_START"] = TEST_NOW

# `make test-horloge`: the system clock of the test processes moved ahead (datetime.now,
# date.today, time.time… — time-machine patches them all, the monotonic clock excepted).
# Nothing may change: the application reads only its own clock, started at TEST_NOW.
_SHIFT_DAYS = os.environ.get("ANIMARESEAU_TEST_SHIFT_DAYS", "").strip()
if _SHIFT_DAYS:
    from datetime import UTC, datetime, timedelta

    import time_machine

    _SHIFTED = time_machine.travel(datetime.now(UTC) + timedelta(days=int(_SHIFT_DAYS)),
                                   tick=True)
    _SHIFTED.start()

import psycopg  # noqa: E402
from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import delete, text  # noqa: E402

from models.accounts.orm import User  # noqa: E402
from models.accounts.passwords import hash_password  # noqa: E402
from models.accounts.roles import Role  # noqa: E402
from models.base import Base  # noqa: E402
from models.funding.enums import FunderType  # noqa: E402
from models.funding.orm import Funder  # noqa: E402
from models.network.orm import MissionLocale, Region  # noqa: E402
from tests import pg  # noqa: E402
from webapp import create_app  # noqa: E402
from webapp.extensions import db  # noqa: E402

PASSWORD = "mot-de-passe-de-test"
ARTIFACTS = Path(__file__).parent / "artifacts"


def pytest_sessionfinish(session, exitstatus):
    shutil.rmtree(_INSTANCE, ignore_errors=True)


@pytest.fixture(autouse=True)
def _clock_restored():
    """A test may move the clock (``clock.travel_to``, ``clock.advance``); the next one
    starts where the session's clock is."""
    from models import clock

    saved = clock._offset
    # a process the test launches (worker, dashboard, CLI) starts at the test's moment
    os.environ["ANIMARESEAU_CLOCK_START"] = clock.now().isoformat()
    yield
    clock._offset = saved


def keep_everyone_at_import(mp: pytest.MonkeyPatch) -> None:
    """Switch off the import-time retention rule (models.parcours.retention).

    For tests that compare an import with the generator's manifest (or with figures
    recomputed from the rows): the generator draws people of any age, and the manifest knows
    nothing of retention. The rule itself is tested in test_parcours_retention.py.
    """
    mp.setattr("models.parcours.pipeline.purge_at_import", lambda *args, **kwargs: 0)


@pytest.fixture
def keep_everyone(monkeypatch):
    keep_everyone_at_import(monkeypatch)


# ---------------------------------------------------------------- databases
@pytest.fixture(scope="session")
def pg_cluster():
    try:
        cluster = pg.start_cluster()
    except FileNotFoundError as exc:
        pytest.skip(f"PostgreSQL absent de cette machine : {exc}")
    yield cluster
    cluster.stop()


def _migrate(url: str) -> None:
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True})
    with app.app_context():
        upgrade()
        db.engine.dispose()


_DATABASES: dict[str, str] = {}


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request, tmp_path_factory) -> str:
    """A migrated, empty database of each backend, built once per test process: pytest may
    set this fixture up again when the backends interleave (parallel workers run file by
    file), and that must cost nothing."""
    backend = request.param
    if backend not in _DATABASES:
        if backend == "sqlite":
            url = f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'test.db'}"
        else:
            cluster = request.getfixturevalue("pg_cluster")
            with psycopg.connect(f"host=127.0.0.1 port={cluster.port} user=postgres "
                                 "dbname=postgres", autocommit=True) as conn:
                conn.execute("CREATE DATABASE animareseau_test")
            url = cluster.url("animareseau_test")
        _migrate(url)
        _DATABASES[backend] = url
    return _DATABASES[backend]


def _truncate(session) -> None:
    tables = [t for t in reversed(Base.metadata.sorted_tables)]
    if db.engine.dialect.name == "postgresql":
        names = ", ".join(f'"{t.name}"' for t in tables)
        session.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    else:
        for table in tables:
            session.execute(delete(table))
    session.commit()


def make_app(database_url: str, **overrides):
    config = {
        "SQLALCHEMY_DATABASE_URI": database_url,
        "TESTING": True,
        "WTF_CSRF_ENABLED": False,
        "LOGIN_RATE_LIMIT": "1000 per minute",
        "SERVER_NAME": None,
        "PARCOURS_JOBS": "inline",  # imports run in the request, no worker
    }
    config.update(overrides)
    return create_app(config)


@pytest.fixture
def app(database_url):
    """An app on a clean database of the current backend."""
    application = make_app(database_url)
    with application.app_context():
        _truncate(db.session)
        db.session.remove()
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


_DEMO_TEMPLATES: dict[str, str] = {}
_DEMO_COPIES = iter(range(1, 10_000))


def _pg_admin(cluster):
    return psycopg.connect(f"host=127.0.0.1 port={cluster.port} user=postgres dbname=postgres",
                           autocommit=True)


def _demo_template(request, tmp_path_factory, backend: str) -> str:
    """The whole demo, built once per test process and backend in a database of its own
    that nothing ever opens again: every module's ``demo_app`` gets a copy of it (a file
    copy, or PostgreSQL's ``CREATE DATABASE … TEMPLATE``), a few seconds instead of a
    rebuild."""
    if backend in _DEMO_TEMPLATES:
        return _DEMO_TEMPLATES[backend]
    from models.audit import set_actor
    from seeds.demo import build_demo

    if backend == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('demo-template') / 'demo.db'}"
    else:
        cluster = request.getfixturevalue("pg_cluster")
        with _pg_admin(cluster) as conn:
            conn.execute("CREATE DATABASE animareseau_demo_template")
        url = cluster.url("animareseau_demo_template")
    _migrate(url)
    application = make_app(url)
    with application.app_context():
        set_actor(db.session, None, via="cli")
        build_demo(db.session)
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    _DEMO_TEMPLATES[backend] = url
    return url


def _copy_of(request, tmp_path_factory, template: str, backend: str) -> str:
    number = next(_DEMO_COPIES)
    if backend == "sqlite":
        import sqlite3

        target = tmp_path_factory.mktemp("demo") / "demo.db"
        with sqlite3.connect(template.removeprefix("sqlite:///")) as source, \
                sqlite3.connect(target) as copy:
            source.backup(copy)
        return f"sqlite:///{target}"
    cluster = request.getfixturevalue("pg_cluster")
    name = f"animareseau_demo_{number}"
    with _pg_admin(cluster) as conn:
        conn.execute(f"CREATE DATABASE {name} TEMPLATE animareseau_demo_template")
    return cluster.url(name)


@pytest.fixture(scope="module")
def demo_app(request, database_url, tmp_path_factory):
    """An app whose database holds the whole demo, for one module and backend: a copy of
    the demo built once per test process (the seed checks read it; a module may write to
    its copy without touching the others'). ``demo_app.config["SQLALCHEMY_DATABASE_URI"]``
    is its address (not ``database_url``, the empty database of the other tests)."""
    backend = "sqlite" if database_url.startswith("sqlite") else "postgresql"
    url = _copy_of(request, tmp_path_factory, _demo_template(request, tmp_path_factory,
                                                             backend), backend)
    application = make_app(url)
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()
    if backend == "postgresql":
        with _pg_admin(request.getfixturevalue("pg_cluster")) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {url.rsplit('/', 1)[1]} WITH (FORCE)")


@pytest.fixture
def session(app):
    """The app's session inside an app context (for direct domain calls)."""
    with app.app_context():
        yield db.session
        db.session.rollback()


@pytest.fixture
def client(app):
    return app.test_client()


# ---------------------------------------------------------------- data
_HASH: dict[str, str] = {}


def fast_hash() -> str:
    """One Argon2 hash of PASSWORD per test session: creating users stays cheap."""
    if "h" not in _HASH:
        _HASH["h"] = hash_password(PASSWORD)
    return _HASH["h"]


@pytest.fixture
def world(app):
    """A region, two missions locales and one active account per role.

    Returns a dict of ids (not ORM objects, which would be detached).
    """
    with app.app_context():
        s = db.session
        region = Region(code="75", name="Nouvelle-Aquitaine", arml_name="ARML test")
        ml_a = MissionLocale(region=region, code="33005", name="Mission locale du Libournais",
                             departement="33", commune="Libourne")
        ml_b = MissionLocale(region=region, code="64001", name="Mission locale Pau Pyrénées",
                             departement="64", commune="Pau")
        funder = Funder(name="Conseil régional Nouvelle-Aquitaine", type=FunderType.REGION)
        s.add_all([region, ml_a, ml_b, funder])
        s.flush()
        users = {
            "admin": User(email="admin@test.fr", full_name="Ada Admin", role=Role.ADMIN),
            "animateur": User(email="anim@test.fr", full_name="Alain Anim", role=Role.ANIMATEUR),
            "copil": User(email="copil@test.fr", full_name="Corinne Copil", role=Role.COPIL),
            "ml": User(email="ml@test.fr", full_name="Marc Libourne", role=Role.ML,
                       mission_locale_id=ml_a.id),
            "financeur": User(email="fin@test.fr", full_name="Fanny Fin", role=Role.FINANCEUR,
                              funder_id=funder.id),
            # not a login identity: the object of account-management routes
            "target": User(email="target@test.fr", full_name="Tina Pau", role=Role.ML,
                           mission_locale_id=ml_b.id),
        }
        for u in users.values():
            u.password_hash = fast_hash()
        s.add_all(users.values())
        s.commit()
        ids = {name: u.id for name, u in users.items()}
        ids.update(ml_a=ml_a.id, ml_b=ml_b.id, region=region.id, funder=funder.id)
        emails = {name: u.email for name, u in users.items()}
    return {"ids": ids, "emails": emails}


ROLES = ["admin", "animateur", "copil", "ml", "financeur"]


def login(client, email: str, password: str = PASSWORD):
    return client.post("/connexion", data={"email": email, "password": password})


@pytest.fixture
def login_as(client, world):
    def _login(role: str):
        response = login(client, world["emails"][role])
        assert response.status_code == 302, f"login as {role} failed"
        return client

    return _login


def csrf_token_from(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


@pytest.fixture
def programme_world(app, world):
    """The world plus a 2026 draft programme: one action per mission locale, a team member,
    a deliverable, a copil meeting and a decision. Ids are added to ``world["ids"]``."""
    from datetime import date
    from decimal import Decimal

    from models.audit import set_actor
    from models.councils.decisions import DecisionData, record_decision
    from models.programme.items import DeliverableData, save_item
    from models.programme.reference import ensure_reference
    from models.programme.services import (
        ActionData,
        ProgrammeData,
        create_action,
        create_programme,
    )
    from models.programme.team import (
        MeetingData,
        MemberData,
        save_meeting,
        save_member,
    )

    ids = world["ids"]
    with app.app_context():
        s = db.session
        set_actor(s, None, via="cli")
        codes = ensure_reference(s)
        region = s.get(Region, ids["region"])
        programme = create_programme(s, None, region,
                                     ProgrammeData(title="Programme régional 2026", year=2026))
        member = save_member(s, None, MemberData(
            full_name="Sophie Lambert", function="Chargée de mission",
            contract_etp=Decimal("0.80"), status="salarie", start_date=date(2024, 1, 1)))
        action_a = create_action(s, None, programme, ActionData(
            objective_id=codes["2.2"], title="Cluster QVT des missions locales",
            start_date=date(2026, 2, 1), end_date=date(2026, 6, 30), pilot_id=member.id,
            mission_locale_ids=[ids["ml_a"]]))
        action_b = create_action(s, None, programme, ActionData(
            objective_id=codes["3.3"], title="Observatoire régional des parcours",
            start_date=date(2026, 3, 1), end_date=date(2026, 10, 31),
            mission_locale_ids=[ids["ml_b"]]))
        deliverable = save_item(s, None, action_b, DeliverableData(
            title="Note de conjoncture", due_date=date(2026, 5, 31)))
        meeting = save_meeting(s, None, programme, MeetingData(
            meeting_date=date(2026, 1, 15), place="Bordeaux",
            participants=["DREETS Nouvelle-Aquitaine — Bertrand Roux"]))
        decision = record_decision(s, None, DecisionData(
            text="Lancer l'observatoire", owner_member_id=member.id,
            due_date=date(2026, 3, 31), action_id=action_b.id), copil_meeting=meeting)
        s.commit()
        ids.update(programme=programme.id, action_a=action_a.id, action_b=action_b.id,
                   deliverable_b=deliverable.id, member=member.id, meeting=meeting.id,
                   decision=decision.id, objective=codes["2.2"])
    return world


@pytest.fixture
def funding_world(app, programme_world):
    """The programme world plus funding: the world's funder (bound to the financeur account)
    with a signed convention allocated to action_a, and another funder with its own
    convention allocated to action_b. Ids: funder, funder_b, convention_a, convention_b,
    instalment_a, payment_a, deadline_a, allocation_a, allocation_b, budget_a, budget_b."""
    from datetime import date
    from decimal import Decimal

    from models.audit import set_actor
    from models.funding.allocations import AllocationData, save_allocation
    from models.funding.payments import DeadlineData, PaymentData, add_payment, save_deadline
    from models.funding.services import (
        ConventionData,
        FunderData,
        InstalmentData,
        save_convention,
        save_funder,
        save_schedule,
    )
    from models.programme.items import BudgetLineData, save_item
    from models.programme.orm import Action

    world = programme_world
    ids = world["ids"]
    with app.app_context():
        s = db.session
        set_actor(s, None, via="cli")
        action_a, action_b = s.get(Action, ids["action_a"]), s.get(Action, ids["action_b"])
        budget_a = save_item(s, None, action_a, BudgetLineData(
            category="prestations", label="Intervenant QVT", planned=Decimal("10000.00")))
        budget_b = save_item(s, None, action_b, BudgetLineData(
            category="personnel", label="Chargé d'études", planned=Decimal("20000.00"),
            actual=Decimal("5000.00")))
        own = s.get(Funder, ids["funder"])
        other = save_funder(s, None, None, FunderData(name="DREETS Nouvelle-Aquitaine",
                                                      type="etat"))
        conv_a = save_convention(s, None, None, ConventionData(
            funder_id=own.id, reference="CRNA-2026-01", object="Animation régionale 2026",
            type="fonctionnement", amount=Decimal("10000.00"), first_year=2026, last_year=2026,
            period_start=date(2026, 1, 1), period_end=date(2026, 12, 31),
            signature_date=date(2026, 2, 10), status="signee"))
        save_schedule(s, None, conv_a, [
            InstalmentData("Avance à la signature", date(2026, 2, 28), Decimal("80")),
            InstalmentData("Solde après dialogue de gestion", date(2027, 3, 31), Decimal("20"))])
        payment = add_payment(s, None, conv_a, PaymentData(
            received_on=date(2026, 3, 5), amount=Decimal("8000.00"),
            instalment_id=conv_a.instalments[0].id), today=date(2026, 11, 1))
        deadline = save_deadline(s, None, conv_a, None, DeadlineData(
            "Bilan d'exécution", date(2027, 2, 28)))
        alloc_a = save_allocation(s, None, conv_a, None, AllocationData(
            programme_id=ids["programme"], action_id=action_a.id, axis_id=None,
            amount=Decimal("10000.00")))
        conv_b = save_convention(s, None, None, ConventionData(
            funder_id=other.id, reference="DREETS-2026-07", object="Observatoire",
            type="projet", amount=Decimal("20000.00"), first_year=2026, last_year=2026,
            period_start=date(2026, 1, 1), period_end=date(2026, 12, 31),
            signature_date=date(2026, 3, 1), status="signee"))
        alloc_b = save_allocation(s, None, conv_b, None, AllocationData(
            programme_id=ids["programme"], action_id=action_b.id, axis_id=None,
            amount=Decimal("20000.00")))
        s.commit()
        ids.update(funder_b=other.id, convention_a=conv_a.id, convention_b=conv_b.id,
                   instalment_a=conv_a.instalments[0].id, payment_a=payment.id,
                   deadline_a=deadline.id, allocation_a=alloc_a.id, allocation_b=alloc_b.id,
                   budget_a=budget_a.id, budget_b=budget_b.id)
    return world


@pytest.fixture
def training_world(app, programme_world):
    """The programme world plus a catalogue entry and a 2-day session (4 half-days,
    5 seats, quota 3 per mission locale, registration open 1 Sep – 30 Nov 2026,
    session on 10–11 Dec 2026). Ids: training, session, slots."""
    from datetime import date, time
    from decimal import Decimal

    from models.audit import set_actor
    from models.training.enums import HalfDay, Modality
    from models.training.orm import SessionSlot, Training, TrainingSession

    ids = programme_world["ids"]
    with app.app_context():
        s = db.session
        set_actor(s, None, via="cli")
        training = Training(
            title="Accueillir un public en situation de handicap",
            objectives="Adapter l'accueil et l'accompagnement.", content="Jour 1 : …",
            audience=["conseiller", "accueil"], duration_days=Decimal("2"),
            duration_hours=Decimal("14"), modality=Modality.PRESENTIEL,
            provider="CREAI Nouvelle-Aquitaine", trainer="Claire Martin",
            cost_per_trainee=Decimal("320.00"), action_id=ids["action_a"])
        ts = TrainingSession(
            training=training, start_date=date(2026, 12, 10), end_date=date(2026, 12, 11),
            place="ARML, 12 rue des Lilas, 33000 Bordeaux", trainer="Claire Martin",
            min_capacity=3, max_capacity=5, ml_quota=3,
            registration_opens=date(2026, 9, 1), registration_closes=date(2026, 11, 30))
        ts.slots = [SessionSlot(day=date(2026, 12, d), half=h, starts_at=start, ends_at=end)
                    for d in (10, 11)
                    for h, start, end in ((HalfDay.MATIN, time(9), time(12, 30)),
                                          (HalfDay.APRES_MIDI, time(13, 30), time(17)))]
        s.add(training)
        s.commit()
        ids.update(training=training.id, session=ts.id, slots=[x.id for x in ts.slots])
    return programme_world


@pytest.fixture
def full_world(app, funding_world, training_world):
    """Funding and training data on the same programme world (the authorization matrix
    needs objects of every area). Both extend ``programme_world``'s ids in place; one
    registration of the other mission locale (ml_b) is added: ``registration_b``."""
    from datetime import date

    from models.audit import set_actor
    from models.training.registrations import RegistrationData, register

    ids = funding_world["ids"]
    with app.app_context():
        s = db.session
        set_actor(s, None, via="cli")
        reg = register(s, None, ids["session"], RegistrationData(
            last_name="Etchart", first_name="Maïté", email="maite.etchart@ml-pau.fr",
            job="conseiller", mission_locale_id=ids["ml_b"]), today=date(2026, 11, 23))
        s.commit()
        ids["registration_b"] = reg.id
    return funding_world
