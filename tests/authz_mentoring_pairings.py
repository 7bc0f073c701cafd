"""Authorization matrix entries for /parrainage/ (home, mentees, pairings, meetings,
follow-ups, suggestions); merged into ``tests.test_authz_matrix.EXPECTED``.
``add(app, world)`` gives the matrix world, for the *other* mission locale (ml_b): a
mentor, a mentee, an active pairing and a due follow-up (ids mentor_pairing_b, mentee_b,
pairing_b, follow_up_b). The ml account (ml_a) gets 404 on each, reading or writing; the
team reads them (200) and writes nothing (403); copil and funders have no access here."""

from __future__ import annotations

LOGIN, OK, REDIRECT, FORBIDDEN, NOT_FOUND, UNPROCESSABLE = "login", 200, 302, 403, 404, 422

AREA = {"anon": LOGIN, "admin": OK, "animateur": OK, "ml": OK, "*": FORBIDDEN}
# ml_b's record: the team reads it, ml_a's account does not see it
OTHER_ML = {"anon": LOGIN, "admin": OK, "animateur": OK, "ml": NOT_FOUND, "*": FORBIDDEN}
# a mission locale writes its own records; ml_b's: 404; the team and the others: 403
OTHER_ML_WRITE = {"anon": LOGIN, "ml": NOT_FOUND, "*": FORBIDDEN}
WRITERS = {"anon": LOGIN, "ml": OK, "*": FORBIDDEN}

EXPECTED: dict[str, tuple[str, dict, dict[str, object]]] = {
    "mentoring.index": ("GET", {}, AREA),
    "mentoring.pairings": ("GET", {}, AREA),
    "mentoring.follow_ups": ("GET", {}, AREA),
    "mentoring.mentees": ("GET", {}, AREA),
    "mentoring.mentee_new": ("GET", {}, WRITERS),
    "mentoring.mentee_detail": ("GET", {"mentee_id": "mentee_b"}, OTHER_ML),
    "mentoring.mentee_edit": ("GET", {"mentee_id": "mentee_b"}, OTHER_ML_WRITE),
    "mentoring.suggestions": ("GET", {"mentee_id": "mentee_b"}, OTHER_ML),
    # the proposal form of ml_b's mentee (query string ``filleul``)
    "mentoring.pairing_new": ("GET", {"filleul": "mentee_b"}, OTHER_ML_WRITE),
    "mentoring.pairing_detail": ("GET", {"pairing_id": "pairing_b"}, OTHER_ML),
    "mentoring.pairing_activate": ("POST", {"pairing_id": "pairing_b"}, OTHER_ML_WRITE),
    "mentoring.pairing_cancel": ("POST", {"pairing_id": "pairing_b"}, OTHER_ML_WRITE),
    "mentoring.pairing_close": ("POST", {"pairing_id": "pairing_b"}, OTHER_ML_WRITE),
    "mentoring.meeting_new": ("POST", {"pairing_id": "pairing_b"}, OTHER_ML_WRITE),
    "mentoring.follow_up_record": ("POST", {"follow_up_id": "follow_up_b"}, OTHER_ML_WRITE),
}


def add(app, world) -> None:
    from datetime import timedelta

    from models import clock
    from models.audit import set_actor
    from models.mentoring import mentees, mentors, pairings
    from webapp.extensions import db

    ids = world["ids"]
    today = clock.today()
    with app.app_context():
        s = db.session
        set_actor(s, None, via="cli")
        mentor = mentors.create_mentor(s, None, mentors.MentorData(
            last_name="Roux", first_name="Hélène", email="helene.roux.matrice@exemple.fr",
            sex="f", status="retraite", consent_on=today - timedelta(days=400),
            sector="Commerce", commune="Pau", charter_signed_on=today - timedelta(days=400),
            trained_on=today - timedelta(days=390), mission_locale_id=ids["ml_b"]),
            today=today)
        mentee = mentees.create_mentee(s, None, mentees.MenteeData(
            sex="f", birth_year=str(today.year - 20), birth_month="1", qualification="3",
            situation="demandeur_emploi", prescriber="mission_locale", qpv="non",
            project_validated=True, mission_locale_id=ids["ml_b"]), today=today)
        # a pairing ended seven months ago (its follow-up is due), then the current one
        start, end = today - timedelta(days=400), today - timedelta(days=215)
        old = pairings.propose(s, None, mentee.id, mentor.id, start, end, today=today).pairing
        pairings.activate(s, None, old.id, today=today)
        pairings.close(s, None, old.id, end, "duree_echue", "recherche", today=today)
        current = pairings.propose(s, None, mentee.id, mentor.id, end + timedelta(days=1),
                                   today + timedelta(days=60), today=today).pairing
        pairings.activate(s, None, current.id, today=today)
        s.commit()
        ids.update(mentor_pairing_b=mentor.id, mentee_b=mentee.id, pairing_b=current.id,
                   follow_up_b=old.follow_up.id)
