"""Sign-in, sign-out, throttling, CSRF and session invalidation through HTTP."""

from __future__ import annotations

from models.accounts.orm import User
from models.accounts.services import set_password
from tests.conftest import PASSWORD, csrf_token_from, login, make_app
from webapp.auth.views import BAD_CREDENTIALS
from webapp.extensions import db


def test_anonymous_home_redirects_to_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/connexion")


def test_login_form_has_the_documented_fields(database_url):
    app = make_app(database_url, WTF_CSRF_ENABLED=True)
    html = app.test_client().get("/connexion").get_data(as_text=True)
    for name in ('name="email"', 'name="password"', 'name="csrf_token"'):
        assert name in html
    with app.app_context():
        db.engine.dispose()


def test_successful_login_sets_last_login_and_greets(app, client, world):
    response = login(client, world["emails"]["copil"])
    assert response.status_code == 302 and response.headers["Location"] == "/"
    page = client.get("/").get_data(as_text=True)
    assert "Bonjour Corinne Copil" in page
    with app.app_context():
        assert db.session.get(User, world["ids"]["copil"]).last_login_at is not None


def test_email_is_case_insensitive(client, world):
    assert login(client, "  ADMIN@Test.FR ").status_code == 302


def test_wrong_password_and_unknown_email_get_the_same_message(client, world):
    wrong = login(client, world["emails"]["admin"], "pas-le-bon-mot-de-passe")
    unknown = login(client, "personne@nulle-part.fr")
    for response in (wrong, unknown):
        assert response.status_code == 200
        assert BAD_CREDENTIALS in response.get_data(as_text=True)
    assert client.get("/").status_code == 302  # still signed out


def test_inactive_account_is_refused(app, client, world):
    with app.app_context():
        db.session.get(User, world["ids"]["animateur"]).active = False
        db.session.commit()
    response = login(client, world["emails"]["animateur"])
    assert BAD_CREDENTIALS in response.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_deactivation_ends_an_open_session(app, client, world):
    login(client, world["emails"]["copil"])
    assert client.get("/").status_code == 200
    with app.app_context():
        db.session.get(User, world["ids"]["copil"]).active = False
        db.session.commit()
    assert client.get("/").status_code == 302


def test_password_reset_closes_other_sessions(app, world):
    first, second = app.test_client(), app.test_client()
    login(first, world["emails"]["copil"])
    assert first.get("/").status_code == 200
    with app.app_context():
        user = db.session.get(User, world["ids"]["copil"])
        set_password(db.session, None, user, "un nouveau mot de passe solide")
        db.session.commit()
    assert first.get("/").status_code == 302
    response = login(second, world["emails"]["copil"], "un nouveau mot de passe solide")
    assert response.status_code == 302


def test_open_redirect_is_refused(client, world):
    response = client.post("/connexion?next=https://evil.example/x",
                           data={"email": world["emails"]["admin"], "password": PASSWORD})
    assert response.headers["Location"] == "/"
    response = client.post("/deconnexion")
    response = client.post("/connexion?next=/reseau/",
                           data={"email": world["emails"]["admin"], "password": PASSWORD})
    assert response.headers["Location"] == "/reseau/"


def test_logout_requires_post(client, world):
    login(client, world["emails"]["admin"])
    assert client.get("/deconnexion").status_code == 405
    assert client.get("/").status_code == 200
    client.post("/deconnexion")
    assert client.get("/").status_code == 302


def test_login_rate_limit_answers_in_french(database_url, world):
    app = make_app(database_url, LOGIN_RATE_LIMIT="3 per minute")
    client = app.test_client()
    for _ in range(3):
        assert login(client, world["emails"]["admin"], "mauvais-mot-de-passe").status_code == 200
    response = login(client, world["emails"]["admin"])  # even the right password now waits
    assert response.status_code == 429
    assert "Trop de tentatives" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302
    with app.app_context():
        db.engine.dispose()


def test_missing_csrf_token_is_refused_in_french(database_url, world):
    app = make_app(database_url, WTF_CSRF_ENABLED=True)
    client = app.test_client()
    response = client.post("/connexion", data={"email": world["emails"]["admin"],
                                               "password": PASSWORD})
    assert response.status_code == 400
    assert "jeton de sécurité" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302
    # with the token from the form, the same request succeeds
    token = csrf_token_from(client.get("/connexion").get_data(as_text=True))
    response = client.post("/connexion", data={"email": world["emails"]["admin"],
                                               "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302
    with app.app_context():
        db.engine.dispose()


def test_every_post_route_requires_csrf(database_url, world):
    """With a signed-in admin, every POST rule refuses a request without token (400)."""
    app = make_app(database_url, WTF_CSRF_ENABLED=True)
    client = app.test_client()
    token = csrf_token_from(client.get("/connexion").get_data(as_text=True))
    client.post("/connexion", data={"email": world["emails"]["admin"], "password": PASSWORD,
                                    "csrf_token": token})
    checked = 0
    for rule in app.url_map.iter_rules():
        if "POST" not in rule.methods:
            continue
        args = {name: world["ids"]["target"] for name in rule.arguments}
        url = rule.build(args)[1] if rule.arguments else rule.rule
        response = client.post(url, data={})
        assert response.status_code == 400, rule.rule
        checked += 1
    assert checked >= 5
    with app.app_context():
        target = db.session.get(User, world["ids"]["target"])
        assert target.active and target.version_id == 1
        db.engine.dispose()


def test_change_own_password(app, client, world):
    login(client, world["emails"]["financeur"])
    bad = client.post("/mon-compte/mot-de-passe", data={
        "current_password": "faux", "password": "nouveau-mot-de-passe", "confirm":
        "nouveau-mot-de-passe"})
    assert "Mot de passe actuel incorrect." in bad.get_data(as_text=True)
    short = client.post("/mon-compte/mot-de-passe", data={
        "current_password": PASSWORD, "password": "court", "confirm": "court"})
    assert "au moins 12 caractères" in short.get_data(as_text=True)
    ok = client.post("/mon-compte/mot-de-passe", data={
        "current_password": PASSWORD, "password": "nouveau-mot-de-passe",
        "confirm": "nouveau-mot-de-passe"})
    assert ok.status_code == 302
    assert client.get("/").status_code == 200  # this session stays open
    client.post("/deconnexion")
    assert login(client, world["emails"]["financeur"], "nouveau-mot-de-passe").status_code == 302


def test_session_cookie_flags(client, world):
    response = login(client, world["emails"]["admin"])
    cookie = response.headers.get("Set-Cookie", "")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_security_headers(client):
    response = client.get("/connexion")
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
