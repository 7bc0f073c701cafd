"""Authorization matrix entries for the decision register; merged into
``tests.test_authz_matrix.EXPECTED``. ``add(app, world)`` gives the matrix world a council
meeting and a decision owned by the *other* mission locale (ml_b)."""

from __future__ import annotations

LOGIN, OK, REDIRECT, FORBIDDEN, NOT_FOUND, UNPROCESSABLE = "login", 200, 302, 403, 404, 422

READERS = {"anon": LOGIN, "admin": OK, "animateur": OK, "copil": OK, "ml": OK,
           "financeur": FORBIDDEN}
# a decision of ml_b: the team and the copil read it; ml_a's account does not see it
OTHER_ML = {"anon": LOGIN, "admin": OK, "animateur": OK, "copil": OK, "ml": NOT_FOUND,
            "financeur": FORBIDDEN}

EXPECTED: dict[str, tuple[str, dict, dict[str, object]]] = {
    "councils.register": ("GET", {}, READERS),
    "councils.register_export": ("GET", {"fmt": "xlsx"}, READERS),
    "councils.decision_detail": ("GET", {"decision_id": "council_decision_b"}, OTHER_ML),
    # an empty status form: the team and the owner are told what is missing (422); the
    # copil reads but does not act; another ML's decision does not exist for ml_a
    "councils.decision_status": ("POST", {"decision_id": "council_decision_b"},
                                 {"anon": LOGIN, "admin": UNPROCESSABLE,
                                  "animateur": UNPROCESSABLE, "copil": FORBIDDEN,
                                  "ml": NOT_FOUND, "financeur": FORBIDDEN}),
    "councils.decision_edit": ("POST", {"decision_id": "council_decision_b"},
                               {"anon": LOGIN, "admin": UNPROCESSABLE,
                                "animateur": UNPROCESSABLE, "*": FORBIDDEN}),
    "councils.decision_delete": ("POST", {"decision_id": "council_decision_b"},
                                 {"anon": LOGIN, "admin": REDIRECT, "animateur": REDIRECT,
                                  "*": FORBIDDEN}),
    "councils.decision_new": ("POST", {"meeting_id": "register_meeting"},
                              {"anon": LOGIN, "admin": REDIRECT, "animateur": REDIRECT,
                               "*": FORBIDDEN}),
}


def add(app, world) -> None:
    from datetime import time, timedelta

    from models import clock
    from models.audit import set_actor
    from models.councils.decisions import DecisionData, record_decision
    from models.councils.enums import MeetingStatus, SeriesKind
    from models.councils.orm import CouncilSeries, Meeting
    from webapp.extensions import db

    ids = world["ids"]
    with app.app_context():
        s = db.session
        set_actor(s, None, via="cli")
        series = CouncilSeries(name="Conseil (registre)", kind=SeriesKind.CONSEIL)
        meeting = Meeting(series=series, day=clock.today() - timedelta(days=20),
                          starts_at=time(9, 30), ends_at=time(12, 0), status=MeetingStatus.TENU)
        s.add_all([series, meeting])
        s.flush()
        decision = record_decision(s, None, DecisionData(
            text="Partager l'outil de suivi", owner_ml_id=ids["ml_b"], owner_person="Mme Roux",
            due_date=meeting.day + timedelta(days=60)), meeting=meeting)
        s.commit()
        ids.update(register_meeting=meeting.id, council_decision_b=decision.id)
