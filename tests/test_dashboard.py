"""The Streamlit dashboard, driven headless by ``streamlit.testing.v1.AppTest``.

Each test runs on both backends (the ``database_url`` session fixture): the
dashboard reads ``DATABASE_URL`` and opens its own engine, next to the Flask
app used here to seed and inspect the same database.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import numpy as np
import pytest
import streamlit as st
from sqlalchemy import select
from streamlit.testing.v1 import AppTest
from streamlit.util import calc_hash

from models.accounts.orm import User
from models.audit.orm import AuditEvent
from models.network.orm import MissionLocale
from models.settings import database_url as configured_database_url
from tests.conftest import PASSWORD
from webapp.extensions import db

DASHBOARD = Path(__file__).resolve().parent.parent / "dashboard"
APP = str(DASHBOARD / "app.py")
RESEAU = "views/reseau.py"
TIMEOUT = 60

BAD_CREDENTIALS = "Adresse e-mail ou mot de passe incorrect"
REFUSAL = "Cette page est réservée à l'équipe de l'ARML et au comité de pilotage."


# ---------------------------------------------------------------- fixtures
def _clear_caches() -> None:
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.fixture
def dash(monkeypatch, database_url, world):
    """The dashboard pointed at the current test database, with empty Streamlit caches.

    Cached DataFrames are keyed by user id and the engine by URL: ids repeat from
    one test (and one backend) to the next, so both caches start and end empty.
    """
    monkeypatch.setenv("DATABASE_URL", database_url)
    _clear_caches()
    yield world
    from dashboard.data import engine

    engine(configured_database_url()).dispose()  # no pooled connection outlives the test
    _clear_caches()


def new_app() -> AppTest:
    return AppTest.from_file(APP, default_timeout=TIMEOUT)


def run(at: AppTest) -> AppTest:
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def submit_login(at: AppTest, email: str, password: str = PASSWORD) -> AppTest:
    at.text_input(key="login_email").input(email)
    at.text_input(key="login_password").input(password)
    at.button(key="login_submit").click()
    return run(at)


def signed_in(dash, role: str) -> AppTest:
    at = run(new_app())
    submit_login(at, dash["emails"][role])
    assert at.session_state["user_id"] == dash["ids"][role], f"login as {role} failed"
    return at


def texts(elements) -> list[str]:
    return [e.value for e in elements]


def plotly_charts(at: AppTest):
    return at.get("plotly_chart")


def assert_login_page(at: AppTest) -> None:
    assert at.text_input(key="login_email") is not None
    assert at.text_input(key="login_password") is not None
    assert at.button(key="login_submit") is not None
    assert "user_id" not in at.session_state
    assert not any(b.key == "logout" for b in at.button)
    assert not plotly_charts(at)


def _array(value) -> list:
    """A plotly JSON array: a plain list, or plotly 6+'s typed {dtype, bdata} encoding."""
    if isinstance(value, dict) and "bdata" in value:
        arr = np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value["dtype"]))
        if "shape" in value:
            arr = arr.reshape([int(n) for n in str(value["shape"]).split(",")])
        return arr.tolist()
    return list(value)


def chart_traces(at: AppTest) -> dict[str, dict[str, float]]:
    """{trace name: {x label: y}} read from the one plotly chart's JSON spec."""
    charts = plotly_charts(at)
    assert len(charts) == 1, "expected exactly one plotly chart"
    spec = json.loads(charts[0].proto.spec)
    return {trace["name"]: dict(zip(_array(trace["x"]), _array(trace["y"]), strict=True))
            for trace in spec["data"]}


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


# ---------------------------------------------------------------- signed out
def test_signed_out_shows_login_form_only(dash):
    at = run(new_app())
    assert_login_page(at)
    assert "Animaréseau · Tableaux de bord" in texts(at.title)
    # The router offers no other page to an anonymous visitor.
    with pytest.raises(ValueError):
        at.switch_page(RESEAU)


def test_wrong_password_is_refused_in_french(app, dash):
    at = run(new_app())
    submit_login(at, dash["emails"]["admin"], "pas-le-bon-mot-de-passe")
    assert any(BAD_CREDENTIALS in msg for msg in texts(at.error)), texts(at.error)
    assert_login_page(at)
    # An unknown address gets the very same message.
    submit_login(at, "inconnu@test.fr")
    assert any(BAD_CREDENTIALS in msg for msg in texts(at.error)), texts(at.error)
    assert_login_page(at)
    # A refused attempt neither records a login nor writes to the audit log.
    with app.app_context():
        assert db.session.get(User, dash["ids"]["admin"]).last_login_at is None
        events = select(AuditEvent).where(AuditEvent.via == "dashboard")
        assert db.session.scalars(events).all() == []


def test_repeated_failures_lock_the_account_across_browser_sessions(dash):
    from models.accounts.throttle import ThrottleSettings

    MAX_ATTEMPTS = ThrottleSettings.from_env().limit  # shared with the web app, in the database
    email = dash["emails"]["copil"]
    for _ in range(MAX_ATTEMPTS):  # each attempt from a fresh browser session
        submit_login(run(new_app()), email, "mauvais-mot-de-passe")
    at = submit_login(run(new_app()), email)  # right password, still locked
    assert any("Trop de tentatives" in msg for msg in texts(at.error)), texts(at.error)
    assert_login_page(at)
    other = submit_login(run(new_app()), dash["emails"]["admin"])  # other accounts unaffected
    assert not other.error


# ---------------------------------------------------------------- network readers
def test_admin_sees_network_chart_and_counts(app, dash):
    # A merged (inactive) mission locale in the 33, so each count differs.
    with app.app_context():
        db.session.add(MissionLocale(region_id=dash["ids"]["region"], code="33099",
                                     name="Mission locale fusionnée", departement="33",
                                     commune="Coutras", active=False))
        db.session.commit()

    at = signed_in(dash, "admin")
    assert texts(at.title) == ["Tableaux de bord"]
    assert "Ada Admin" in " ".join(texts(at.sidebar.text))
    assert not plotly_charts(at)  # the home page has no chart

    run(at.switch_page(RESEAU))
    assert "Réseau des missions locales" in texts(at.title)
    assert metrics(at) == {"Missions locales actives": "2", "Départements": "2",
                           "Inactives (fusionnées)": "1"}
    traces = chart_traces(at)
    assert set(traces) == {"Actives", "Inactives"}
    assert list(traces["Actives"]) == ["33 – Gironde", "64 – Pyrénées-Atlantiques"]
    assert traces["Actives"] == {"33 – Gironde": 1, "64 – Pyrénées-Atlantiques": 1}
    assert traces["Inactives"] == {"33 – Gironde": 1, "64 – Pyrénées-Atlantiques": 0}
    # The table lists all three missions locales.
    assert len(at.dataframe) == 1
    assert sorted(at.dataframe[0].value["Code"]) == ["33005", "33099", "64001"]


def test_copil_reaches_network_page(dash):
    at = signed_in(dash, "copil")
    run(at.switch_page(RESEAU))
    assert "Réseau des missions locales" in texts(at.title)
    assert metrics(at) == {"Missions locales actives": "2", "Départements": "2",
                           "Inactives (fusionnées)": "0"}
    traces = chart_traces(at)
    assert traces["Actives"] == {"33 – Gironde": 1, "64 – Pyrénées-Atlantiques": 1}
    assert traces["Inactives"] == {"33 – Gironde": 0, "64 – Pyrénées-Atlantiques": 0}
    assert REFUSAL not in texts(at.error)


# ---------------------------------------------------------------- other roles
@pytest.mark.parametrize("role", ["ml", "financeur"])
def test_ml_and_financeur_have_no_network_page(dash, role):
    at = signed_in(dash, role)
    assert texts(at.title) == ["Tableaux de bord"]
    if role == "ml":  # its own data quality is its one dashboard page
        assert "Qualité des données" in " ".join(texts(at.markdown))
        assert not at.info
    else:  # a message meant for funders, not the one meant for missions locales
        info = " ".join(texts(at.info))
        assert "aucun n'est ouvert aux financeurs" in info and "conventions" in info
        assert "mission locale" not in info
    assert not plotly_charts(at)

    # Not in the navigation: AppTest refuses to switch to an unregistered page.
    with pytest.raises(ValueError, match="navigation page"):
        at.switch_page(RESEAU)

    # Forcing the page's URL (/reseau, hashed like st.Page does) lands on the home page.
    # AppTest has no public way to request an unregistered page, hence the private field.
    at._page_hash = calc_hash("reseau")
    run(at)
    assert texts(at.title) == ["Tableaux de bord"]
    assert "Réseau des missions locales" not in texts(at.title)
    assert not plotly_charts(at)
    assert not at.metric


@pytest.mark.parametrize("role", ["ml", "financeur"])
def test_network_page_refuses_other_roles_even_when_run_directly(dash, role):
    """Defence in depth: the page itself checks the policy, whatever routed to it."""
    from dashboard.auth import Principal

    at = AppTest.from_file(str(DASHBOARD / RESEAU), default_timeout=TIMEOUT)
    at.session_state["principal"] = Principal(dash["ids"][role], "Quelqu'un", role,
                                              dash["ids"]["ml_a"] if role == "ml" else None)
    run(at)
    assert REFUSAL in texts(at.error)
    assert not plotly_charts(at)
    assert not at.metric
    assert not at.dataframe


# ---------------------------------------------------------------- account state
def test_deactivated_user_is_signed_out(app, dash):
    at = signed_in(dash, "admin")
    run(at.switch_page(RESEAU))
    assert plotly_charts(at)

    with app.app_context():
        db.session.get(User, dash["ids"]["admin"]).active = False
        db.session.commit()

    run(at)
    assert_login_page(at)
    assert "Réseau des missions locales" not in texts(at.title)


def test_deactivated_user_cannot_sign_in(app, dash):
    with app.app_context():
        db.session.get(User, dash["ids"]["copil"]).active = False
        db.session.commit()
    at = run(new_app())
    submit_login(at, dash["emails"]["copil"])
    assert any(BAD_CREDENTIALS in msg for msg in texts(at.error)), texts(at.error)
    assert_login_page(at)


def test_session_epoch_bump_signs_out(app, dash):
    at = signed_in(dash, "animateur")
    with app.app_context():
        db.session.get(User, dash["ids"]["animateur"]).session_epoch += 1
        db.session.commit()
    run(at)
    assert_login_page(at)


def test_logout_button_signs_out(dash):
    at = signed_in(dash, "admin")
    at.button(key="logout").click()
    run(at)
    assert_login_page(at)


# ---------------------------------------------------------------- traces
def test_login_records_last_login_and_audit_event(app, dash):
    user_id = dash["ids"]["copil"]
    with app.app_context():
        assert db.session.get(User, user_id).last_login_at is None

    signed_in(dash, "copil")

    with app.app_context():
        db.session.expire_all()
        assert db.session.get(User, user_id).last_login_at is not None
        events = db.session.scalars(
            select(AuditEvent).where(AuditEvent.entity == "app_user",
                                     AuditEvent.entity_id == str(user_id))
        ).all()
    logins = [e for e in events if e.action == "update" and "last_login_at" in e.changes]
    assert len(logins) == 1, [(e.action, e.via, e.changes) for e in events]
    event = logins[0]
    assert event.via == "dashboard"
    assert event.changes["last_login_at"][0] is None
    assert event.changes["last_login_at"][1] is not None
    assert "password_hash" not in event.changes or event.changes["password_hash"] == ["***", "***"]
