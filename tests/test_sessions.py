"""Server-side sessions: replayed cookies, timeouts, "Mes sessions", re-authentication,
per-account throttling, the password policy and the dashboard's sign-on token.

Each test runs on SQLite and PostgreSQL (the state lives in the database)."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select

from models import clock
from models.accounts import sessions
from models.accounts.orm import LoginFailure, SignOnToken, User, UserSession
from models.audit.orm import AuditEvent
from models.mail.orm import OutboxMessage
from tests.conftest import PASSWORD, login
from webapp.extensions import db

COOKIE = "animareseau_session"


def cookie_of(client) -> str:
    cookie = client.get_cookie(COOKIE)
    assert cookie is not None, "no session cookie"
    return cookie.value


def replay(app, value: str):
    """A fresh browser holding a copy of someone's cookie."""
    other = app.test_client()
    other.set_cookie(COOKIE, value)
    return other


def signed_in(app, world, role: str):
    client = app.test_client()
    assert login(client, world["emails"][role]).status_code == 302
    return client


def is_signed_out(response) -> bool:
    return response.status_code == 302 and response.headers["Location"].startswith("/connexion")


def rows_of(app, user_id: int) -> list[UserSession]:
    with app.app_context():
        return list(db.session.scalars(select(UserSession).where(UserSession.user_id == user_id)))


# ---------------------------------------------------------------- the cookie
def test_the_cookie_carries_only_a_signed_token(app, world):
    client = signed_in(app, world, "admin")
    value = cookie_of(client)
    token, _, signature = value.rpartition(".")
    assert len(token) >= 40 and signature  # a random token and its HMAC, no data
    assert "admin" not in value and "csrf" not in value and "{" not in value
    with app.app_context():
        row = db.session.scalars(select(UserSession).where(
            UserSession.user_id == world["ids"]["admin"])).one()
        assert row.token_hash != token and len(row.token_hash) == 64  # only its hash is kept
        assert row.via == "web" and row.reauth_at is not None
    # a forged signature opens nothing
    assert is_signed_out(replay(app, token + ".AAAA").get("/"))


def test_a_new_token_at_sign_in(app, world):
    client = app.test_client()
    client.get("/admin/utilisateurs")  # a visitor's session (its "please sign in" banner)
    before = cookie_of(client)
    login(client, world["emails"]["copil"])
    assert cookie_of(client) != before  # no session fixation
    assert is_signed_out(replay(app, before).get("/"))


def test_cookie_replayed_after_logout_is_refused(app, world):
    client = signed_in(app, world, "admin")
    copy = cookie_of(client)
    assert replay(app, copy).get("/").status_code == 200  # the copy works while signed in
    client.post("/deconnexion")
    assert is_signed_out(replay(app, copy).get("/"))
    assert is_signed_out(replay(app, copy).get("/admin/utilisateurs"))
    assert rows_of(app, world["ids"]["admin"]) == []
    with app.app_context():
        motifs = [e.changes.get("motif") for e in db.session.scalars(
            select(AuditEvent).where(AuditEvent.entity == "user_session"))]
    assert "connexion" in motifs and "déconnexion" in motifs


def test_cookie_replayed_after_a_password_reset_is_refused(app, world):
    victim = signed_in(app, world, "target")
    copy = cookie_of(victim)
    admin = signed_in(app, world, "admin")
    response = admin.post(f"/admin/utilisateurs/{world['ids']['target']}/mot-de-passe",
                          data={"password": "un-nouveau-secret-solide",
                                "confirm": "un-nouveau-secret-solide"})
    assert response.status_code == 302
    assert is_signed_out(replay(app, copy).get("/"))
    assert rows_of(app, world["ids"]["target"]) == []
    with app.app_context():  # the user is told by e-mail
        mail = db.session.scalars(select(OutboxMessage).where(
            OutboxMessage.kind == "password_changed")).one()
        assert mail.recipients == [world["emails"]["target"]]
        assert "réinitialisé" in mail.body


def test_cookie_replayed_after_deactivation_is_refused(app, world):
    victim = signed_in(app, world, "target")
    copy = cookie_of(victim)
    admin = signed_in(app, world, "admin")
    admin.post(f"/admin/utilisateurs/{world['ids']['target']}/activation",
               data={"version_id": "1"})
    with app.app_context():
        assert not db.session.get(User, world["ids"]["target"]).active
    assert is_signed_out(replay(app, copy).get("/"))
    assert is_signed_out(victim.get("/"))


def test_changing_ones_password_keeps_this_session_and_closes_the_others(app, world):
    here = signed_in(app, world, "copil")
    elsewhere = signed_in(app, world, "copil")
    response = here.post("/mon-compte/mot-de-passe", data={
        "current_password": PASSWORD, "password": "tulipe-ardoise-marmotte",
        "confirm": "tulipe-ardoise-marmotte"})
    assert response.status_code == 302
    assert here.get("/").status_code == 200
    assert is_signed_out(elsewhere.get("/"))
    with app.app_context():
        mail = db.session.scalars(select(OutboxMessage).where(
            OutboxMessage.kind == "password_changed")).one()
        assert "modifié depuis votre compte" in mail.body


def test_an_old_remember_me_cookie_signs_nobody_in(app, world):
    client = app.test_client()
    client.set_cookie("remember_token", f"{world['ids']['admin']}:0|deadbeef")
    assert is_signed_out(client.get("/"))
    assert "Rester connecté" not in client.get("/connexion").get_data(as_text=True)


# ---------------------------------------------------------------- timeouts
def test_idle_timeout_signs_out_with_a_french_message(app, world):
    client = signed_in(app, world, "admin")
    clock.advance(timedelta(minutes=29))
    assert client.get("/").status_code == 200  # activity: the idle clock restarts
    clock.advance(timedelta(minutes=29))
    assert client.get("/").status_code == 200
    clock.advance(timedelta(minutes=31))
    response = client.get("/admin/utilisateurs")
    assert is_signed_out(response)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Votre session a expiré après 30 minutes d&#39;inactivité" in page
    assert rows_of(app, world["ids"]["admin"]) == []


def test_absolute_timeout_even_when_active(app, world):
    client = signed_in(app, world, "admin")
    for _ in range(25):  # busy all day: a request every 29 minutes
        clock.advance(timedelta(minutes=29))
        if client.get("/").status_code != 200:
            break
    assert clock.now() - timedelta(hours=12) < clock.now()
    assert is_signed_out(client.get("/"))
    page = client.get("/connexion").get_data(as_text=True)
    assert "durée maximale" in page


def test_a_form_posted_after_the_timeout_is_kept_for_after_the_sign_in(app, programme_world):
    world = programme_world
    client = signed_in(app, world, "admin")
    url = f"/programmes/actions/{world['ids']['action_a']}/modifier"
    assert client.get(url).status_code == 200
    clock.advance(timedelta(minutes=45))
    response = client.post(url, data={"title": "Cluster QVT — saisie de 45 minutes",
                                      "csrf_token": "perimé"})
    assert response.status_code == 302, "not a 400: the form is kept"
    assert response.headers["Location"].startswith("/connexion?next=")
    login_page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "votre saisie vous attend" in login_page
    back = client.post(response.headers["Location"],  # the login form posts to its own URL
                       data={"email": world["emails"]["admin"], "password": PASSWORD})
    assert back.headers["Location"] == url
    page = client.get(url).get_data(as_text=True)
    kept = re.search(r'<script type="application/json" id="kept-form">(.*?)</script>', page, re.S)
    assert kept, "the kept form is not on the page"
    assert ["title", "Cluster QVT — saisie de 45 minutes"] in json.loads(kept.group(1))
    assert "csrf_token" not in kept.group(1)
    # shown once
    assert 'id="kept-form"' not in client.get(url).get_data(as_text=True)


def test_the_page_carries_the_idle_warning_settings(app, world):
    client = signed_in(app, world, "ml")
    page = client.get("/").get_data(as_text=True)
    assert 'data-idle-seconds="1800"' in page and "Rester connecté·e" in page
    assert "js/session.js" in page and "<script>" not in page  # no inline script (CSP)
    response = client.post("/mon-compte/session/prolonger", headers={"Accept": "application/json"})
    assert response.status_code == 200 and response.get_json() == {"idle_seconds": 1800}


# ---------------------------------------------------------------- Mes sessions
def test_my_sessions_lists_and_closes_one(app, world):
    laptop = signed_in(app, world, "animateur")
    phone = app.test_client()
    login(phone, world["emails"]["animateur"])
    page = laptop.get("/mon-compte/sessions").get_data(as_text=True)
    assert page.count("Fermer<span") == 2 and "cette session" in page
    rows = rows_of(app, world["ids"]["animateur"])
    phone_row = max(rows, key=lambda r: r.id)
    assert laptop.post(f"/mon-compte/sessions/{phone_row.id}/fermer").status_code == 302
    assert is_signed_out(phone.get("/"))
    assert laptop.get("/").status_code == 200
    # another user's session is not closable from here
    other = signed_in(app, world, "copil")
    copil_row = rows_of(app, world["ids"]["copil"])[0]
    laptop.post(f"/mon-compte/sessions/{copil_row.id}/fermer")
    assert other.get("/").status_code == 200


def test_close_all_other_sessions_and_admin_closes_someone_elses(app, world):
    a, b, c = (signed_in(app, world, "target") for _ in range(3))
    a.post("/mon-compte/sessions/fermer-les-autres")
    assert a.get("/").status_code == 200
    assert is_signed_out(b.get("/")) and is_signed_out(c.get("/"))
    admin = signed_in(app, world, "admin")
    admin.post(f"/admin/utilisateurs/{world['ids']['target']}/sessions/fermer")
    assert is_signed_out(a.get("/"))


# ---------------------------------------------------------------- re-authentication
def test_changing_a_role_asks_for_the_password_again(app, world):
    admin = signed_in(app, world, "admin")
    url = f"/admin/utilisateurs/{world['ids']['target']}"
    form = {"email": world["emails"]["target"], "full_name": "Tina Pau", "role": "copil",
            "active": "y", "version_id": "1"}
    clock.advance(timedelta(minutes=11))
    response = admin.post(url, data=form)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/mon-compte/confirmer?next=")
    with app.app_context():
        assert db.session.get(User, world["ids"]["target"]).role == "ml"  # nothing written
    confirm = response.headers["Location"]
    wrong = admin.post(confirm, data={"password": "pas-le-bon"})
    assert "Mot de passe incorrect" in wrong.get_data(as_text=True)
    right = admin.post(confirm, data={"password": PASSWORD})
    assert right.headers["Location"] == url
    assert '"copil"' in admin.get(url).get_data(as_text=True)  # the kept form comes back
    assert admin.post(url, data=form).status_code == 302
    with app.app_context():
        assert db.session.get(User, world["ids"]["target"]).role == "copil"


def test_a_plain_edit_needs_no_confirmation(app, world):
    admin = signed_in(app, world, "admin")
    clock.advance(timedelta(minutes=11))
    admin.get("/")  # keep the session alive
    response = admin.post(f"/admin/utilisateurs/{world['ids']['target']}", data={
        "email": world["emails"]["target"], "full_name": "Tina Pau-Bis", "role": "ml",
        "mission_locale_id": str(world["ids"]["ml_b"]), "active": "y", "version_id": "1"})
    assert response.headers["Location"] == f"/admin/utilisateurs/{world['ids']['target']}"


@pytest.mark.parametrize("path", ["/qualite/seuils", "/qualite/imports/nouveau"])
def test_dangerous_pages_ask_for_a_recent_password(app, world, path):
    admin = signed_in(app, world, "admin")
    assert admin.get(path).status_code == 200  # just signed in: recent enough
    clock.advance(timedelta(minutes=11))
    response = admin.get(path)
    assert response.headers["Location"].startswith("/mon-compte/confirmer")
    admin.post(response.headers["Location"], data={"password": PASSWORD})
    assert admin.get(path).status_code == 200


def test_resetting_a_password_after_ten_minutes_asks_for_the_password(app, world):
    admin = signed_in(app, world, "admin")
    clock.advance(timedelta(minutes=11))
    response = admin.post(f"/admin/utilisateurs/{world['ids']['target']}/mot-de-passe",
                          data={"password": "un-nouveau-secret-solide",
                                "confirm": "un-nouveau-secret-solide"})
    assert response.headers["Location"].startswith("/mon-compte/confirmer")
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


# ---------------------------------------------------------------- throttling per account
def test_eleven_failures_from_eleven_ips_lock_the_account(app, world):
    email = world["emails"]["copil"]
    for n in range(11):
        client = app.test_client()
        response = client.post("/connexion", data={"email": email, "password": "mauvais"},
                               headers={"X-Forwarded-For": f"203.0.113.{n}"},
                               environ_base={"REMOTE_ADDR": f"198.51.100.{n}"})
        assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Trop de tentatives de connexion sur ce compte" in page
    # the right password is refused too while the account is paused, from anywhere
    right = app.test_client().post("/connexion", data={"email": email, "password": PASSWORD},
                                   environ_base={"REMOTE_ADDR": "192.0.2.77"})
    assert right.status_code == 200 and "Trop de tentatives" in right.get_data(as_text=True)
    # the full-width or upper-case form of the address is the same account
    other = app.test_client().post("/connexion", data={"email": email.upper(),
                                                       "password": PASSWORD})
    assert "Trop de tentatives" in other.get_data(as_text=True)
    # another account is not affected
    assert login(app.test_client(), world["emails"]["admin"]).status_code == 302
    # the delay grows: after a minute one more failure pauses it for two minutes
    clock.advance(timedelta(minutes=1, seconds=5))
    app.test_client().post("/connexion", data={"email": email, "password": "mauvais"})
    clock.advance(timedelta(minutes=1, seconds=5))
    assert "Trop de tentatives" in app.test_client().post(
        "/connexion", data={"email": email, "password": PASSWORD}).get_data(as_text=True)
    clock.advance(timedelta(minutes=1))
    assert login(app.test_client(), email).status_code == 302  # and a success clears it
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(LoginFailure).where(
            LoginFailure.email == email)) == 0


def test_unknown_accounts_are_throttled_the_same_way(app, world):
    for _ in range(10):
        app.test_client().post("/connexion", data={"email": "personne@test.fr",
                                                   "password": "mauvais"})
    page = app.test_client().post("/connexion", data={"email": "personne@test.fr",
                                                      "password": "x"}).get_data(as_text=True)
    assert "Trop de tentatives de connexion sur ce compte" in page


# ---------------------------------------------------------------- passwords
@pytest.mark.parametrize("password", ["target@test.fr", "Animareseau2026!", "azertyuiop123",
                                      "Bordeaux2026!!", "Libourne123456", "x" * 20])
def test_guessable_passwords_are_refused(app, world, password):
    admin = signed_in(app, world, "admin")
    response = admin.post(f"/admin/utilisateurs/{world['ids']['target']}/mot-de-passe",
                          data={"password": password, "confirm": password})
    assert response.status_code == 302
    page = admin.get(response.headers["Location"]).get_data(as_text=True)
    assert ("trop facile à deviner" in page or "adresse e-mail" in page
            or "au moins 12 caractères" in page), page
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


# ---------------------------------------------------------------- dashboard sign-on
def test_dashboard_link_gives_a_single_use_token_bound_to_the_session(app, world):
    client = signed_in(app, world, "copil")
    response = client.get("/tableaux-de-bord")
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert f"{location.scheme}://{location.netloc}" == app.config["DASHBOARD_URL"]
    jeton = parse_qs(location.query)["jeton"][0]
    timeouts = sessions.Timeouts()
    with app.app_context():
        web = db.session.scalars(select(UserSession).where(
            UserSession.user_id == world["ids"]["copil"])).one()
        # another browser's web session cannot take it
        assert sessions.redeem_sign_on(db.session, jeton, timeouts,
                                       browser_session="someone-elses-token") is None
        db.session.rollback()
        opened = sessions.redeem_sign_on(db.session, jeton, timeouts)
        assert opened is not None
        row, token = opened
        assert row.via == "dashboard" and row.parent_id == web.id
        assert row.user_id == world["ids"]["copil"]
        db.session.commit()
        assert sessions.redeem_sign_on(db.session, jeton, timeouts) is None  # used
        assert sessions.redeem_sign_on(db.session, jeton[:-1] + "x", timeouts) is None
        db.session.commit()
    # logging out of the web app ends the dashboard session
    client.post("/deconnexion")
    with app.app_context():
        assert sessions.find_live(db.session, token, timeouts) == (None, None)


def test_an_expired_sign_on_token_is_refused(app, world):
    client = signed_in(app, world, "admin")
    jeton = parse_qs(urlsplit(client.get("/tableaux-de-bord").headers["Location"]).query)
    clock.advance(timedelta(seconds=61))
    with app.app_context():
        assert sessions.redeem_sign_on(db.session, jeton["jeton"][0], sessions.Timeouts()) is None
        assert db.session.scalar(select(func.count()).select_from(SignOnToken)) == 1


def test_a_forged_forwarded_for_does_not_multiply_the_per_ip_budget(database_url, world):
    """Without PROXY_FIX, X-Forwarded-For is ignored: the per-IP limit holds."""
    from tests.conftest import make_app
    from webapp.extensions import limiter

    limited = make_app(database_url, LOGIN_RATE_LIMIT="3 per minute")
    limiter.reset()
    codes = []
    for n in range(4):
        response = limited.test_client().post(
            "/connexion", data={"email": f"x{n}@test.fr", "password": "mauvais"},
            headers={"X-Forwarded-For": f"203.0.113.{n}"})
        codes.append(response.status_code)
    assert codes == [200, 200, 200, 429]
    limiter.reset()
