"""Dashboard hardening: no traceback for users, names shown as text, the server settings,
and the sign-on token exchanged for a session (AppTest)."""

from __future__ import annotations

import tomllib
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import select

from models.accounts.orm import User, UserSession
from tests.conftest import login
from tests.test_dashboard import (
    RESEAU,
    assert_login_page,
    dash,
    new_app,
    run,
    signed_in,
    texts,
)
from webapp.extensions import db

SHARED_FIXTURES = (dash,)
CONFIG = tomllib.loads((__import__("pathlib").Path(__file__).resolve().parent.parent
                        / ".streamlit" / "config.toml").read_text())


def test_server_settings():
    assert CONFIG["client"]["showErrorDetails"] == "none"
    assert CONFIG["server"]["enableXsrfProtection"] is True
    assert CONFIG["server"]["address"] == "127.0.0.1"


def test_a_page_error_shows_a_french_message_with_a_reference(dash, monkeypatch):
    import logging

    import dashboard.data

    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append
    logging.getLogger("animareseau.dashboard").addHandler(handler)
    monkeypatch.setattr(logging.getLogger("animareseau.dashboard"), "disabled", False)

    def broken(user_id):
        raise RuntimeError("secret detail: /srv/animareseau/instance")

    monkeypatch.setattr(dashboard.data, "network_by_departement", broken)
    at = signed_in(dash, "admin")
    run(at.switch_page(RESEAU))
    message = " ".join(texts(at.error))
    assert "Une erreur inattendue s'est produite" in message and "référence" in message
    assert "secret detail" not in message and "Traceback" not in message
    reference = message.split("référence ")[1][:8]
    logging.getLogger("animareseau.dashboard").removeHandler(handler)
    assert any(reference in r.getMessage() for r in records)  # found in the server's log


def test_a_name_is_shown_as_text_never_as_markdown(app, dash):
    with app.app_context():
        user = db.session.get(User, dash["ids"]["admin"])
        user.full_name = "Ada ![pixel](https://tracker.example/p.png) **Admin**"
        db.session.commit()
    at = signed_in(dash, "admin")
    shown = " ".join(texts(at.sidebar.text) + texts(at.text))
    assert "![pixel](https://tracker.example/p.png)" in shown  # literally, not an image
    assert not any("tracker.example" in m for m in texts(at.markdown))


def test_the_web_apps_token_opens_a_dashboard_session_once(app, dash):
    client = app.test_client()
    login(client, dash["emails"]["copil"])
    location = client.get("/tableaux-de-bord").headers["Location"]
    jeton = parse_qs(urlsplit(location).query)["jeton"][0]
    at = new_app()
    at.query_params["jeton"] = jeton
    run(at)
    assert at.session_state["user_id"] == dash["ids"]["copil"]
    assert "jeton" not in at.query_params  # out of the address bar
    with app.app_context():
        rows = db.session.scalars(select(UserSession).where(
            UserSession.user_id == dash["ids"]["copil"])).all()
        assert sorted(r.via for r in rows) == ["dashboard", "web"]
    # the same token a second time: the login form, with a word of explanation
    again = new_app()
    again.query_params["jeton"] = jeton
    run(again)
    assert_login_page(again)
    assert any("a expiré ou a déjà servi" in m for m in texts(again.info))
    # logging out of the web app ends the dashboard session at its next interaction
    client.post("/deconnexion")
    run(at)
    assert_login_page(at)


def test_a_tampered_token_shows_the_login_form(dash):
    at = new_app()
    at.query_params["jeton"] = "x" * 43
    run(at)
    assert_login_page(at)
