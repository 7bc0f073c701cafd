"""Every URL rule × anonymous and each role, against one declared table.

A new route without an entry here fails ``test_every_route_is_declared``:
adding a screen means deciding who may see it.
"""

from __future__ import annotations

import pytest

from models.accounts.orm import User
from tests.conftest import ROLES, login
from webapp.extensions import db

LOGIN = "login"  # redirect to /connexion
OK, REDIRECT, FORBIDDEN, NOT_FOUND = 200, 302, 403, 404

# endpoint: (method, url arguments, {who: expected})
# "*" stands for every signed-in role not listed.
EXPECTED: dict[str, tuple[str, dict, dict[str, object]]] = {
    "auth.login": ("GET", {}, {"anon": OK, "*": REDIRECT}),
    "auth.logout": ("POST", {}, {"anon": REDIRECT, "*": REDIRECT}),
    "auth.change_password": ("GET", {}, {"anon": LOGIN, "*": OK}),
    "main.home": ("GET", {}, {"anon": LOGIN, "*": OK}),
    "main.healthz": ("GET", {}, {"anon": OK, "*": OK}),
    "network.index": ("GET", {}, {"anon": LOGIN, "admin": OK, "animateur": OK, "copil": OK,
                                  "ml": FORBIDDEN, "financeur": FORBIDDEN}),
    # another mission locale than the ml user's own: out of scope reads as "not found"
    "network.detail": ("GET", {"ml_id": "ml_b"},
                       {"anon": LOGIN, "admin": OK, "animateur": OK, "copil": OK,
                        "ml": NOT_FOUND, "financeur": NOT_FOUND}),
    "admin.users": ("GET", {}, {"anon": LOGIN, "admin": OK, "animateur": OK, "*": FORBIDDEN}),
    "admin.user_new": ("GET", {}, {"anon": LOGIN, "admin": OK, "animateur": OK,
                                   "*": FORBIDDEN}),
    "admin.user_edit": ("GET", {"user_id": "target"},
                        {"anon": LOGIN, "admin": OK, "animateur": OK, "*": FORBIDDEN}),
    "admin.user_password": ("POST", {"user_id": "target"},
                            {"anon": LOGIN, "admin": REDIRECT, "animateur": REDIRECT,
                             "*": FORBIDDEN}),
    "admin.user_toggle": ("POST", {"user_id": "target"},
                          {"anon": LOGIN, "admin": REDIRECT, "animateur": REDIRECT,
                           "*": FORBIDDEN}),
    "admin.audit": ("GET", {}, {"anon": LOGIN, "admin": OK, "*": FORBIDDEN}),
}

STATIC = {"static", "bootstrap.static"}


def test_every_route_is_declared(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()} - STATIC
    assert endpoints - EXPECTED.keys() == set(), "routes without a declared expectation"
    assert EXPECTED.keys() - endpoints == set(), "stale entries in the matrix"


def test_every_view_declares_its_access(app):
    for endpoint, view in app.view_functions.items():
        if endpoint not in STATIC:
            assert hasattr(view, "access_rule"), endpoint


CASES = [(endpoint, who) for endpoint in EXPECTED for who in ["anon", *ROLES]]


@pytest.mark.parametrize(("endpoint", "who"), CASES, ids=[f"{e}-{w}" for e, w in CASES])
def test_matrix(app, client, world, endpoint, who):
    method, args, table = EXPECTED[endpoint]
    expected = table.get(who, table.get("*"))
    if who != "anon":
        assert login(client, world["emails"][who]).status_code == 302
    with app.test_request_context():
        from flask import url_for

        url = url_for(endpoint, **{k: world["ids"][v] for k, v in args.items()})
    response = client.open(url, method=method)
    if expected == LOGIN:
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/connexion")
    else:
        assert response.status_code == expected, response.get_data(as_text=True)[:300]

    if endpoint in {"admin.user_toggle", "admin.user_password"} and expected != REDIRECT:
        with app.app_context():
            target = db.session.get(User, world["ids"]["target"])
            assert target.active and target.version_id == 1, "a refused request changed data"


@pytest.mark.parametrize("who", ROLES)
def test_ml_detail_own_scope(client, world, who):
    """Each role on the ml user's own mission locale: readers and that ml user only."""
    login(client, world["emails"][who])
    response = client.get(f"/reseau/{world['ids']['ml_a']}")
    expected = {"admin": 200, "animateur": 200, "copil": 200, "ml": 200, "financeur": 404}[who]
    assert response.status_code == expected
