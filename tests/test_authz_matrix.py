"""Every URL rule × anonymous and each role, against one declared table.

A new route without an entry here fails ``test_every_route_is_declared``:
adding a screen means deciding who may see it.
"""

from __future__ import annotations

import pytest

from models.accounts.orm import User
from tests import (
    authz_councils_decisions,
    authz_councils_meetings,
    authz_councils_minutes,
    authz_councils_projects,
    authz_mentoring_mentors,
    authz_mentoring_pairings,
    authz_mentoring_yearly,
    authz_operations_access,
    authz_operations_tasks,
)
from tests.conftest import ROLES, login
from webapp.extensions import db

LOGIN = "login"  # redirect to /connexion
OK, REDIRECT, FORBIDDEN, NOT_FOUND, UNPROCESSABLE = 200, 302, 403, 404, 422

TEAM_OK = {"anon": LOGIN, "admin": OK, "animateur": OK, "*": FORBIDDEN}
TEAM_REDIRECT = {"anon": LOGIN, "admin": REDIRECT, "animateur": REDIRECT, "*": FORBIDDEN}
READERS_OK = {"anon": LOGIN, "admin": OK, "animateur": OK, "copil": OK, "*": FORBIDDEN}
READERS_REDIRECT = {"anon": LOGIN, "admin": REDIRECT, "animateur": REDIRECT, "copil": REDIRECT,
                    "*": FORBIDDEN}
FUNDING_READERS_OK = {"anon": LOGIN, "ml": FORBIDDEN, "*": OK}
# an object of the other funder: readers see it, the funder's account gets "not found"
OTHER_FUNDER = {"anon": LOGIN, "admin": OK, "animateur": OK, "copil": OK, "financeur": NOT_FOUND,
                "ml": FORBIDDEN}

SIGNED_IN_OK = {"anon": LOGIN, "*": OK}
REGISTRARS_OK = {"anon": LOGIN, "admin": OK, "animateur": OK, "ml": OK, "*": FORBIDDEN}
OTHER_ML_REGISTRATION = {"anon": LOGIN, "admin": REDIRECT, "animateur": REDIRECT,
                         "ml": NOT_FOUND, "*": FORBIDDEN}
OTHER_ML_QUALITY = {"anon": LOGIN, "admin": OK, "animateur": OK, "copil": OK,
                    "ml": NOT_FOUND, "financeur": FORBIDDEN}
OTHER_ML_FINDINGS = {**OTHER_ML_QUALITY, "copil": FORBIDDEN}

# endpoint: (method, url arguments, {who: expected})
# "*" stands for every signed-in role not listed.
EXPECTED: dict[str, tuple[str, dict, dict[str, object]]] = {
    "auth.login": ("GET", {}, {"anon": OK, "*": REDIRECT}),
    "auth.logout": ("POST", {}, {"anon": REDIRECT, "*": REDIRECT}),
    "auth.change_password": ("GET", {}, {"anon": LOGIN, "*": OK}),
    "auth.my_sessions": ("GET", {}, SIGNED_IN_OK),
    # a session id that is nobody's: "already closed", back to the list
    "auth.close_my_session": ("POST", {"session_id": 999999}, {"anon": LOGIN, "*": REDIRECT}),
    "auth.close_other_sessions": ("POST", {}, {"anon": LOGIN, "*": REDIRECT}),
    "auth.extend_session": ("POST", {}, {"anon": LOGIN, "*": REDIRECT}),
    "auth.reauthenticate": ("GET", {}, SIGNED_IN_OK),
    "auth.dashboard": ("GET", {}, {"anon": LOGIN, "*": REDIRECT}),
    "main.home": ("GET", {}, {"anon": LOGIN, "*": OK}),
    "main.healthz": ("GET", {}, {"anon": OK, "*": OK}),
    "main.accessibility": ("GET", {}, {"anon": OK, "*": OK}),
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
    "admin.user_close_sessions": ("POST", {"user_id": "target"}, TEAM_REDIRECT),
    "admin.audit": ("GET", {}, {"anon": LOGIN, "admin": OK, "*": FORBIDDEN}),
    # --- programme régional d'animation: the team edits, the copil reads, a mission locale
    # reads the actions it takes part in, a funder sees nothing here.
    "programme.index": ("GET", {}, {"anon": LOGIN, "financeur": FORBIDDEN, "*": OK}),
    "programme.current": ("GET", {}, {"anon": LOGIN, "financeur": FORBIDDEN, "*": REDIRECT}),
    "programme.new": ("GET", {}, TEAM_OK),
    "programme.edit": ("GET", {"programme_id": "programme"}, TEAM_OK),
    "programme.detail": ("GET", {"programme_id": "programme"},
                         {"anon": LOGIN, "financeur": FORBIDDEN, "*": OK}),
    "programme.change_status": ("POST", {"programme_id": "programme"}, TEAM_REDIRECT),
    "programme.duplicate": ("POST", {"programme_id": "programme"}, TEAM_REDIRECT),
    "programme.calendar": ("GET", {"programme_id": "programme"},
                           {"anon": LOGIN, "financeur": FORBIDDEN, "*": OK}),
    "programme.export_xlsx": ("GET", {"programme_id": "programme"}, READERS_OK),
    "programme.export_csv": ("GET", {"programme_id": "programme"}, READERS_OK),
    "programme.reference": ("GET", {}, READERS_OK),
    "programme.reference_update": ("POST", {"kind": "objectif", "item_id": "objective"},
                                   {"anon": LOGIN, "admin": REDIRECT, "*": FORBIDDEN}),
    "programme.actions": ("GET", {"programme_id": "programme"},
                          {"anon": LOGIN, "financeur": FORBIDDEN, "*": OK}),
    "programme.action_new": ("GET", {"programme_id": "programme"}, TEAM_OK),
    "programme.action_edit": ("GET", {"action_id": "action_b"}, TEAM_OK),
    # action_b involves the other mission locale only: out of the ml user's scope
    "programme.action_detail": ("GET", {"action_id": "action_b"},
                                {"anon": LOGIN, "admin": OK, "animateur": OK, "copil": OK,
                                 "ml": NOT_FOUND, "financeur": FORBIDDEN}),
    "programme.action_delete": ("POST", {"action_id": "action_b"}, TEAM_REDIRECT),
    "programme.item_add": ("POST", {"action_id": "action_b", "kind": "livrables"},
                           TEAM_REDIRECT),
    "programme.item_update": ("POST", {"action_id": "action_b", "kind": "livrables",
                                       "item_id": "deliverable_b"}, TEAM_REDIRECT),
    "programme.item_delete": ("POST", {"action_id": "action_b", "kind": "livrables",
                                       "item_id": "deliverable_b"}, TEAM_REDIRECT),
    "programme.team": ("GET", {}, READERS_OK),
    "programme.member_edit": ("GET", {"member_id": "member"}, TEAM_OK),
    "programme.meetings": ("GET", {"programme_id": "programme"}, READERS_OK),
    "programme.meeting_new": ("GET", {"programme_id": "programme"}, TEAM_OK),
    "programme.meeting_detail": ("GET", {"meeting_id": "meeting"}, READERS_OK),
    "programme.meeting_edit": ("GET", {"meeting_id": "meeting"}, TEAM_OK),
    "programme.decision_add": ("POST", {"meeting_id": "meeting"}, TEAM_REDIRECT),
    "programme.decision_delete": ("POST", {"decision_id": "decision"}, TEAM_REDIRECT),
    # --- funding: the team edits, the copil reads everything, a funder's account reads only
    # its own funder's conventions (funder_b / convention_b belong to the other funder: 404),
    # missions locales have no access at all.
    "funding.index": ("GET", {}, FUNDING_READERS_OK),
    "funding.upcoming": ("GET", {}, FUNDING_READERS_OK),
    "funding.funders": ("GET", {}, READERS_OK),
    "funding.funder_new": ("GET", {}, TEAM_OK),
    "funding.funder_edit": ("GET", {"funder_id": "funder_b"}, TEAM_OK),
    "funding.funder_detail": ("GET", {"funder_id": "funder_b"}, OTHER_FUNDER),
    "funding.funder_delete": ("POST", {"funder_id": "funder_b"}, TEAM_REDIRECT),
    "funding.convention_new": ("GET", {}, TEAM_OK),
    "funding.convention_edit": ("GET", {"convention_id": "convention_b"}, TEAM_OK),
    "funding.convention_detail": ("GET", {"convention_id": "convention_b"}, OTHER_FUNDER),
    "funding.convention_delete": ("POST", {"convention_id": "convention_b"}, TEAM_REDIRECT),
    "funding.allocation_add": ("POST", {"convention_id": "convention_b"}, TEAM_REDIRECT),
    "funding.allocation_update": ("POST", {"convention_id": "convention_b",
                                           "allocation_id": "allocation_b"}, TEAM_REDIRECT),
    "funding.allocation_delete": ("POST", {"convention_id": "convention_b",
                                           "allocation_id": "allocation_b"}, TEAM_REDIRECT),
    "funding.schedule_save": ("POST", {"convention_id": "convention_a"}, TEAM_REDIRECT),
    "funding.payment_add": ("POST", {"convention_id": "convention_a"}, TEAM_REDIRECT),
    "funding.payment_delete": ("POST", {"convention_id": "convention_a",
                                        "payment_id": "payment_a"}, TEAM_REDIRECT),
    "funding.deadline_add": ("POST", {"convention_id": "convention_a"}, TEAM_REDIRECT),
    "funding.deadline_toggle": ("POST", {"convention_id": "convention_a",
                                         "deadline_id": "deadline_a"}, TEAM_REDIRECT),
    "funding.deadline_delete": ("POST", {"convention_id": "convention_a",
                                         "deadline_id": "deadline_a"}, TEAM_REDIRECT),
    # the plan shows every funder's amounts: never to a funder's account
    "funding.plan_current": ("GET", {}, READERS_REDIRECT),
    "funding.plan": ("GET", {"programme_id": "programme"}, READERS_OK),
    "funding.plan_xlsx": ("GET", {"programme_id": "programme"}, READERS_OK),
    "funding.plan_csv": ("GET", {"programme_id": "programme"}, READERS_OK),
    "funding.plan_tolerance": ("POST", {}, {"anon": LOGIN, "admin": REDIRECT, "*": FORBIDDEN}),
    # staff-time justification: hours per person are the team's business only; removing
    # signatures is the direction's (admin)
    "funding.time_index": ("GET", {}, TEAM_OK),
    "funding.time_grid": ("GET", {"member_id": "member", "year": 2026}, TEAM_OK),
    "funding.timesheet_pdf": ("GET", {"member_id": "member", "year": 2026, "month": 3},
                              TEAM_OK),
    "funding.time_save": ("POST", {"member_id": "member", "year": 2026}, TEAM_REDIRECT),
    "funding.time_import": ("POST", {}, TEAM_REDIRECT),
    "funding.time_sign": ("POST", {"member_id": "member", "year": 2026, "month": 3},
                          TEAM_REDIRECT),
    "funding.time_unsign": ("POST", {"member_id": "member", "year": 2026, "month": 3},
                            {"anon": LOGIN, "admin": REDIRECT, "*": FORBIDDEN}),
    # --- regional training programme: every signed-in account reads the catalogue; the team
    # manages; the team and missions locales register staff. registration_b belongs to the
    # other mission locale (ml_b): the ml account gets "not found".
    "training.index": ("GET", {}, SIGNED_IN_OK),
    "training.trainings": ("GET", {}, SIGNED_IN_OK),
    "training.training_detail": ("GET", {"training_id": "training"}, SIGNED_IN_OK),
    "training.training_new": ("GET", {}, TEAM_OK),
    "training.training_edit": ("GET", {"training_id": "training"}, TEAM_OK),
    "training.session_new": ("GET", {"training_id": "training"}, TEAM_OK),
    "training.session_edit": ("GET", {"session_id": "session"}, TEAM_OK),
    "training.session_detail": ("GET", {"session_id": "session"}, SIGNED_IN_OK),
    "training.session_cancel": ("POST", {"session_id": "session"}, TEAM_REDIRECT),
    "training.session_status": ("POST", {"session_id": "session"}, TEAM_REDIRECT),
    # an empty registration is re-shown with its French errors (200)
    "training.register": ("POST", {"session_id": "session"}, REGISTRARS_OK),
    "training.registration_cancel": ("POST", {"registration_id": "registration_b"},
                                     OTHER_ML_REGISTRATION),
    "training.registration_offer": ("POST", {"registration_id": "registration_b"},
                                    OTHER_ML_REGISTRATION),
    "training.my_registrations": ("GET", {}, REGISTRARS_OK),
    # attendance and documents: the team; a certificate also to the trainee's own mission
    # locale, and only for someone who attended (nobody has yet in this world: 404)
    "training.attendance": ("GET", {"session_id": "session"}, TEAM_OK),
    "training.documents": ("GET", {"session_id": "session"}, TEAM_OK),
    "training.attendance_sheet": ("GET", {"session_id": "session"}, TEAM_OK),
    "training.certificates": ("GET", {"session_id": "session"}, TEAM_REDIRECT),
    "training.certificate": ("GET", {"registration_id": "registration_b"},
                             {"anon": LOGIN, "admin": NOT_FOUND, "animateur": NOT_FOUND,
                              "ml": NOT_FOUND, "*": FORBIDDEN}),
    # convocations and the end-of-session survey: the survey itself is public behind its
    # signed token (a forged one is "not found"); results are anonymous, for team and copil
    "training.evaluation_survey": ("GET", {"token": "jeton-invalide"},
                                   {"anon": NOT_FOUND, "*": NOT_FOUND}),
    "training.session_evaluations": ("GET", {"session_id": "session"}, READERS_OK),
    "training.training_evaluations": ("GET", {"training_id": "training"}, READERS_OK),
    "training.send_session_convocations": ("POST", {"session_id": "session"}, TEAM_REDIRECT),
    "training.send_session_evaluations": ("POST", {"session_id": "session"}, TEAM_REDIRECT),
    "training.sessions_ics": ("GET", {}, SIGNED_IN_OK),
    # --- data quality of the Parcours extracts: team and copil see the region, an ml account
    # only its own mission locale (ml_b's page, exports, finding: "not found"), a funder
    # nothing. The team imports and qualifies findings; thresholds are the admin's.
    "quality.index": ("GET", {}, {"anon": LOGIN, "admin": OK, "animateur": OK, "copil": OK,
                                  "ml": REDIRECT, "financeur": FORBIDDEN}),
    "quality.charter": ("GET", {}, {"anon": LOGIN, "financeur": FORBIDDEN, "*": OK}),
    "quality.settings": ("GET", {}, {"anon": LOGIN, "admin": OK, "*": FORBIDDEN}),
    # the observatory's secrecy threshold and JDI window: the admin's
    "quality.observatory_settings": ("GET", {}, {"anon": LOGIN, "admin": OK, "*": FORBIDDEN}),
    "quality.import_new": ("GET", {}, TEAM_OK),
    # the import logs may quote an id_jeune in a refusal: the team only
    "quality.imports": ("GET", {}, TEAM_OK),
    "quality.import_detail": ("GET", {"import_id": "quality_import"}, TEAM_OK),
    "quality.ml_detail": ("GET", {"ml_id": "ml_b"}, OTHER_ML_QUALITY),
    # findings record by record (id_jeune): the team and the ML concerned, not the copil
    "quality.findings_csv": ("GET", {"ml_id": "ml_b"}, OTHER_ML_FINDINGS),
    "quality.findings_xlsx": ("GET", {"ml_id": "ml_b"}, OTHER_ML_FINDINGS),
    # an empty mark form is sent back with its French error (redirect to the ML page)
    "quality.mark": ("POST", {"finding_id": "finding_b"}, TEAM_REDIRECT),
    "quality.unmark": ("POST", {"mark_id": "mark_b"}, TEAM_REDIRECT),
    # --- funder reports: the team generates and publishes; a funder's account reads its own
    # funder's published reports (report_b is the other funder's: 404), ml has no access
    "funding.reports": ("GET", {}, FUNDING_READERS_OK),
    # an empty form: the team gets it back with its errors (422), others are refused
    "funding.report_generate": ("POST", {}, {"anon": LOGIN, "admin": UNPROCESSABLE,
                                             "animateur": UNPROCESSABLE, "*": FORBIDDEN}),
    "funding.report_detail": ("GET", {"report_id": "report_b"}, OTHER_FUNDER),
    "funding.report_pdf": ("GET", {"report_id": "report_b",
                                   "filename": "rapport-activite-2026-v1"}, OTHER_FUNDER),
    "funding.report_publish": ("POST", {"report_id": "report_b"}, TEAM_REDIRECT),
    "funding.report_confirm": ("POST", {"report_id": "report_b"}, TEAM_REDIRECT),
    "funding.report_verify": ("POST", {"report_id": "report_b"}, TEAM_REDIRECT),
    "funding.report_request": ("POST", {}, {"anon": LOGIN, "ml": FORBIDDEN, "*": REDIRECT}),
    "funding.reviews": ("GET", {}, TEAM_OK),
    "funding.review_edit": ("GET", {"action_id": "action_a"}, TEAM_OK),
    # the compte rendu financier lists every co-funder: the team's document only
    "funding.convention_financial_report": ("GET", {"convention_id": "convention_b"}, TEAM_OK),
    # making an indicator computed: the team (an indicator nobody has: not found)
    "programme.indicator_source": ("POST", {"indicator_id": 999999},
                                   {"anon": LOGIN, "admin": NOT_FOUND, "animateur": NOT_FOUND,
                                    "*": FORBIDDEN}),
    # the outbox holds names and addresses: admins only
    "admin.outbox": ("GET", {}, {"anon": LOGIN, "admin": OK, "*": FORBIDDEN}),
    "admin.outbox_message": ("GET", {"message_id": 999999},
                             {"anon": LOGIN, "admin": NOT_FOUND, "*": FORBIDDEN}),
}

# the councils area: one module per part (its routes and the objects they need)
COUNCIL_PARTS = (authz_councils_meetings, authz_councils_minutes, authz_councils_decisions,
                 authz_councils_projects)
MENTORING_PARTS = (authz_mentoring_mentors, authz_mentoring_pairings, authz_mentoring_yearly)
OPERATIONS_PARTS = (authz_operations_tasks, authz_operations_access)
for _part in COUNCIL_PARTS + MENTORING_PARTS + OPERATIONS_PARTS:
    EXPECTED.update(_part.EXPECTED)

STATIC = {"static", "bootstrap.static"}


@pytest.fixture
def full_world(app, full_world, request):
    """The conftest world plus a finished Parcours import for ml_b (the other mission
    locale) with one finding and one mark: ids quality_import, finding_b, mark_b."""
    add_quality_import(app, full_world)
    callspec = getattr(request.node, "callspec", None)
    endpoint = str(callspec.params.get("endpoint", "")) if callspec else ""
    if endpoint.startswith("funding.report"):
        add_reports(app, full_world)  # a PDF per funder: only where a route needs them
    if endpoint.startswith("councils."):  # the councils area's objects, for its routes
        for part in COUNCIL_PARTS:
            part.add(app, full_world)
    if endpoint.startswith("mentoring."):  # the parrainage area's records
        for part in MENTORING_PARTS:
            part.add(app, full_world)
    return full_world


def add_reports(app, world) -> None:
    """The 2026 report of each funder, published (ids report_a, report_b)."""
    from models.audit import set_actor
    from models.reports import services
    from webapp.pdf.funder_report import render

    ids = world["ids"]
    with app.app_context():
        s = db.session
        set_actor(s, None, via="cli")
        for key, funder in (("report_a", "funder"), ("report_b", "funder_b")):
            report = services.generate(s, None, ids[funder], 2026, render=render)
            services.publish(s, None, report.id)
            ids[key] = report.id
        s.commit()


def add_quality_import(app, world) -> None:
    """A finished Parcours import for ml_b with one finding and one mark, into a
    ``full_world`` (its ids gain quality_import, finding_b, mark_b)."""
    from datetime import date

    from models.audit import set_actor
    from models.parcours.orm import (
        ParcoursExtract,
        ParcoursImport,
        QualityFinding,
        QualityMark,
    )

    ids = world["ids"]
    with app.app_context():
        s = db.session
        set_actor(s, None, via="cli")
        record = ParcoursImport(source_name="extrait.zip", period_start=date(2026, 1, 1),
                                period_end=date(2026, 9, 30), status="termine",
                                progress=100, stage="Terminé")
        s.add(record)
        s.flush()
        extract = ParcoursExtract(import_id=record.id, mission_locale_id=ids["ml_b"],
                                  period_start=record.period_start,
                                  period_end=record.period_end, status="current", jeunes=1)
        s.add(extract)
        s.flush()
        finding = QualityFinding(extract_id=extract.id, rule_code="Q04", severity="erreur",
                                 record_key="J:1", id_jeune="1", field="sexe", value="X")
        mark = QualityMark(mission_locale_id=ids["ml_b"], rule_code="Q04", record_key="J:1",
                           kind="exception", comment="Justifié.")
        s.add_all([finding, mark])
        s.commit()
        ids.update(quality_import=record.id, finding_b=finding.id, mark_b=mark.id)


def test_every_route_is_declared(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()} - STATIC
    assert endpoints - EXPECTED.keys() == set(), "routes without a declared expectation"
    assert EXPECTED.keys() - endpoints == set(), "stale entries in the matrix"


def test_every_view_declares_its_access(app):
    for endpoint, view in app.view_functions.items():
        if endpoint not in STATIC:
            assert hasattr(view, "access_rule"), endpoint


WHO = ["anon", *ROLES]
REFUSED = {LOGIN, FORBIDDEN, NOT_FOUND, UNPROCESSABLE}  # nothing written


def _expected(endpoint: str, who: str):
    table = EXPECTED[endpoint][2]
    return table.get(who, table.get("*"))


# Reading routes change nothing, and neither does a refused write: one world serves those
# identities in turn (each with its own client). A write that is allowed gets a fresh world
# per identity, so that what one role did (a deletion, say) cannot change what the next sees.
def shared(endpoints) -> list[str]:
    """The routes checked on one shared world: every read, and every refused write."""
    return [e for e in endpoints if EXPECTED[e][0] == "GET"
            or any(_expected(e, w) in REFUSED for w in WHO)]


def allowed_writes(endpoints) -> list[tuple[str, str]]:
    """(route, identity) pairs that write: each on a world of its own."""
    return [(e, w) for e in endpoints if EXPECTED[e][0] != "GET"
            for w in WHO if _expected(e, w) not in REFUSED]


# the councils area's routes run from tests/test_authz_matrix_councils.py (a file of its
# own: the test workers share the matrix between them)
OTHERS = [e for e in EXPECTED if not e.startswith(("councils.", "mentoring."))]
SHARED = shared(OTHERS)
ALLOWED_WRITES = allowed_writes(OTHERS)


def route_url(app, world, endpoint: str) -> str:
    """The URL of a matrix route, its arguments taken from the world."""
    args = EXPECTED[endpoint][1]
    with app.test_request_context():
        from flask import url_for

        # an argument naming a world object is its id; anything else is a literal
        return url_for(endpoint, **{k: world["ids"].get(v, v) for k, v in args.items()})


def _outcome(app, world, endpoint: str, who: str):
    """What this identity gets on this route: LOGIN (sent to /connexion) or the status."""
    method = EXPECTED[endpoint][0]
    client = app.test_client()
    if who != "anon":
        assert login(client, world["emails"][who]).status_code == 302
    url = route_url(app, world, endpoint)
    response = client.open(url, method=method)
    sent_to_login = (response.status_code == 302
                     and response.headers["Location"].startswith("/connexion"))
    # a route whose own answer is to go to /connexion (logout) expects a plain 302
    if sent_to_login and _expected(endpoint, who) == LOGIN:
        return LOGIN
    return response.status_code


@pytest.mark.parametrize("endpoint", SHARED)
def test_matrix_shared_world(app, full_world, endpoint):
    """Every reading identity, and every refused one, of this route, on one world."""
    method = EXPECTED[endpoint][0]
    checked = [who for who in WHO if method == "GET" or _expected(endpoint, who) in REFUSED]
    got = {who: _outcome(app, full_world, endpoint, who) for who in checked}
    assert got == {who: _expected(endpoint, who) for who in checked}
    if endpoint in {"admin.user_toggle", "admin.user_password"}:
        with app.app_context():
            target = db.session.get(User, full_world["ids"]["target"])
            assert target.active and target.version_id == 1, "a refused request changed data"


@pytest.mark.parametrize(("endpoint", "who"), ALLOWED_WRITES,
                         ids=[f"{e}-{w}" for e, w in ALLOWED_WRITES])
def test_matrix_allowed_write(app, full_world, endpoint, who):
    assert _outcome(app, full_world, endpoint, who) == _expected(endpoint, who)


@pytest.mark.parametrize("who", ROLES)
def test_ml_detail_own_scope(client, world, who):
    """Each role on the ml user's own mission locale: readers and that ml user only."""
    login(client, world["emails"][who])
    response = client.get(f"/reseau/{world['ids']['ml_a']}")
    expected = {"admin": 200, "animateur": 200, "copil": 200, "ml": 200, "financeur": 404}[who]
    assert response.status_code == expected


@pytest.mark.parametrize("who", ROLES)
def test_funding_own_funder_scope(client, funding_world, who):
    """The funder's account reads its own funder and convention (200), not the other's (404),
    by changing the id in the URL; missions locales never reach funding (403)."""
    ids = funding_world["ids"]
    login(client, funding_world["emails"][who])
    own = {"admin": 200, "animateur": 200, "copil": 200, "ml": 403, "financeur": 200}[who]
    other = {"admin": 200, "animateur": 200, "copil": 200, "ml": 403, "financeur": 404}[who]
    assert client.get(f"/financements/conventions/{ids['convention_a']}").status_code == own
    assert client.get(f"/financements/financeurs/{ids['funder']}").status_code == own
    assert client.get(f"/financements/conventions/{ids['convention_b']}").status_code == other
    assert client.get(f"/financements/financeurs/{ids['funder_b']}").status_code == other
