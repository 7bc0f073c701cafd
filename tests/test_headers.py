"""Security headers on a sample of every response kind (HTML, CSV, XLSX, PDF, ICS; the ZIP
in test_training_attendance.py), and the production cookie."""

from __future__ import annotations

import pytest

from webapp import CSP, PERMISSIONS_POLICY


def assert_private_headers(response, mimetype: str) -> None:
    """What every signed-in response carries: no copy in any cache, the browser policies."""
    headers = response.headers
    assert response.status_code == 200, response.status_code
    assert response.mimetype == mimetype
    assert headers["Cache-Control"] == "no-store"
    assert "Expires" not in headers
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Permissions-Policy"] == PERMISSIONS_POLICY
    assert "camera=()" in headers["Permissions-Policy"]
    assert "object-src 'none'" in headers["Content-Security-Policy"]
    assert headers["Content-Security-Policy"] == CSP
    assert headers["Content-Type"].count("charset") <= 1, headers["Content-Type"]
    assert "Strict-Transport-Security" not in headers  # plain HTTP: no HSTS


def test_every_kind_of_signed_in_response(client, login_as, full_world):
    ids = full_world["ids"]
    login_as("admin")
    samples = {
        "/": "text/html",
        f"/programmes/{ids['programme']}/export.csv": "text/csv",
        f"/programmes/{ids['programme']}/export.xlsx":
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        f"/formations/sessions/{ids['session']}/emargement.pdf": "application/pdf",
        "/formations/sessions.ics": "text/calendar",
    }
    for url, mimetype in samples.items():
        response = client.get(url)
        assert_private_headers(response, mimetype)
    csv = client.get(f"/programmes/{ids['programme']}/export.csv")
    assert csv.headers["Content-Type"] == "text/csv; charset=utf-8"


def test_static_assets_stay_cacheable(client, world):
    response = client.get("/static/css/app.css")
    assert response.status_code == 200 and "no-store" not in response.headers.get(
        "Cache-Control", "")


def test_hsts_over_https(client, world):
    response = client.get("/connexion", base_url="https://animareseau.example")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")


@pytest.mark.parametrize("env", ["production"])
def test_production_cookie_is_host_bound(monkeypatch, env):
    from webapp.config import load_config

    monkeypatch.setenv("ANIMARESEAU_ENV", env)
    monkeypatch.setenv("SECRET_KEY", "k" * 64)
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://animareseau.arml-test.fr")
    config = load_config()
    assert config["SESSION_COOKIE_NAME"] == "__Host-animareseau"
    assert config["SESSION_COOKIE_SECURE"] is True and config["SESSION_COOKIE_PATH"] == "/"
    assert config["SESSION_COOKIE_HTTPONLY"] is True
