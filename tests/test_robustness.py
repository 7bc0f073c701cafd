"""Nothing a browser can send answers 500; error pages are in French."""

from __future__ import annotations

import html

import pytest

GARBAGE = "?page=-3&par_page=abc&tri=%27%3B--&ordre=sideways&q=%00%25_&role=roi&statut=x" \
          "&departement=%F0%9F%92%A5&entite=<script>&action=drop"
# Names url_for takes for itself, alone so that lists are not emptied by a filter and their
# sort and page links are built.
URL_FOR_KEYS = "?endpoint=x&_method=POST&_external=1&_anchor=a&values=v"


@pytest.mark.parametrize("garbage", [GARBAGE, URL_FOR_KEYS], ids=["filters", "url_for"])
@pytest.mark.parametrize("who", ["admin", "ml"])
def test_get_routes_survive_garbage_query_strings(app, login_as, world, who, garbage):
    client = login_as(who)
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint.endswith("static"):
            continue
        args = {name: world["ids"]["target"] for name in rule.arguments}
        url = rule.build(args)[1] if rule.arguments else rule.rule
        response = client.get(url + garbage)
        assert response.status_code < 500, url


def test_forms_survive_garbage_posts(login_as, world):
    client = login_as("admin")
    target = world["ids"]["target"]
    payloads = [{}, {"role": "x" * 5000}, {"mission_locale_id": "abc", "version_id": "zz"},
                {"email": "\x00@\x00", "full_name": "\u202e" * 3, "role": "ml",
                 "mission_locale_id": "999999"}]
    for data in payloads:
        for url in ("/admin/utilisateurs/nouveau", f"/admin/utilisateurs/{target}",
                    f"/admin/utilisateurs/{target}/activation",
                    f"/admin/utilisateurs/{target}/mot-de-passe", "/mon-compte/mot-de-passe",
                    "/connexion"):
            assert client.post(url, data=data).status_code < 500, (url, data)


def test_french_error_pages(login_as, world):
    client = login_as("ml")
    not_found = client.get("/cette-page-n-existe-pas")
    assert not_found.status_code == 404 and "Page introuvable" in not_found.get_data(as_text=True)
    forbidden = client.get("/admin/utilisateurs")
    assert forbidden.status_code == 403 and "Accès refusé" in forbidden.get_data(as_text=True)
    wrong_method = client.get("/deconnexion")
    assert wrong_method.status_code == 405


def test_unexpected_error_gives_french_500_page(app, client, monkeypatch):
    from webapp.main import views

    def boom(*args, **kwargs):
        raise RuntimeError("simulated failure")

    monkeypatch.setattr(views, "jsonify", boom)
    response = client.get("/healthz")
    assert response.status_code == 500
    assert "Vos données n'ont pas été modifiées" in html.unescape(response.get_data(as_text=True))


def test_healthz_reports_database(client, app):
    payload = client.get("/healthz").get_json()
    assert payload["status"] == "ok"
    assert payload["database"]["backend"] in {"sqlite", "postgresql"}


def test_assets_are_served_locally(client):
    html = client.get("/connexion").get_data(as_text=True)
    assert "cdn" not in html.lower() and "https://" not in html
    assert client.get("/bootstrap/static/css/bootstrap.min.css").status_code == 200
    assert client.get("/static/css/app.css").status_code == 200


HUGE = "99999999999999999999"


def test_out_of_range_numbers_never_reach_the_database(app, login_as, funding_world):
    """Ids, years and amounts beyond what PostgreSQL stores are refused or "not found"."""
    ids = funding_world["ids"]
    client = login_as("admin")
    for url in (f"/financements/conventions/{HUGE}", f"/financements/plan/{HUGE}",
                f"/programmes/{HUGE}", f"/financements/temps/{ids['member']}/2026/{HUGE}.pdf"):
        assert client.get(url).status_code == 404, url
    for query in (f"?annee={HUGE}", f"?financeur={HUGE}", f"?page={HUGE}"):
        assert client.get("/financements/" + query).status_code == 200, query
    assert client.get(f"/financements/temps?membre={HUGE}").status_code < 500
    assert client.get(f"/programmes/{ids['programme']}/actions?axe={HUGE}&pilote={HUGE}"
                      ).status_code == 200
    convention = f"/financements/conventions/{ids['convention_a']}"
    posts = [
        (f"{convention}/affectations", {"affectation-target": f"{ids['programme']}:action:{HUGE}",
                                        "affectation-amount": "10"}),
        (f"{convention}/affectations", {"affectation-target": f"{HUGE}:axe:1",
                                        "affectation-amount": "10"}),
        (f"{convention}/versements", {"versement-received_on": "2026-11-02",
                                      "versement-amount": "10",
                                      "versement-instalment_id": HUGE}),
        ("/financements/conventions/nouvelle", {
            "funder_id": HUGE, "reference": "X-1", "object": "o", "type": "projet",
            "status": "en_preparation", "amount": "99999999999", "first_year": "2026",
            "last_year": "2026", "period_start": "2026-01-01", "period_end": "2026-12-31"}),
        ("/financements/plan/tolerance", {"programme_id": HUGE, "tolerance_percent": "2"}),
        ("/financements/temps/pre-remplir", {"year": HUGE, "member_id": HUGE}),
    ]
    for url, data in posts:
        assert client.post(url, data=data).status_code < 500, (url, data)
    page = client.post("/financements/conventions/nouvelle", data=dict(posts[3][1], funder_id=str(
        ids["funder"]))).get_data(as_text=True)
    assert "ne peut pas dépasser 9" in html.unescape(page)
