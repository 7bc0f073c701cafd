"""Authorization matrix entries for /parrainage/ (mentors); merged into
``tests.test_authz_matrix.EXPECTED``. ``add(app, world)`` gives the matrix world a mentor
of each mission locale: ``mentor_b`` (ml_b: another ML's record for the ml account, which
gets 404 on GET and POST; the team reads it and changes nothing) and ``mentor_a`` (ml_a:
the ml account's own, which it deactivates)."""

from __future__ import annotations

LOGIN, OK, REDIRECT, FORBIDDEN, NOT_FOUND, UNPROCESSABLE = "login", 200, 302, 403, 404, 422

# the team and the missions locales (copil and funders: the protected yearly table only)
AREA = {"anon": LOGIN, "admin": OK, "animateur": OK, "ml": OK, "*": FORBIDDEN}
OTHER_ML_READ = {"anon": LOGIN, "admin": OK, "animateur": OK, "ml": NOT_FOUND,
                 "*": FORBIDDEN}
# only the ML holding the record writes: the team reads but is refused, ml_a gets 404
OTHER_ML_WRITE = {"anon": LOGIN, "ml": NOT_FOUND, "*": FORBIDDEN}
ML_OK = {"anon": LOGIN, "ml": OK, "*": FORBIDDEN}
# an empty form: the mission locale is told what is missing, nothing written
ML_UNPROCESSABLE = {"anon": LOGIN, "ml": UNPROCESSABLE, "*": FORBIDDEN}

EXPECTED: dict[str, tuple[str, dict, dict[str, object]]] = {
    "mentoring.mentors": ("GET", {}, AREA),
    "mentoring.mentors_export": ("GET", {"fmt": "xlsx"}, AREA),
    "mentoring.mentor_detail": ("GET", {"mentor_id": "mentor_b"}, OTHER_ML_READ),
    "mentoring.mentor_new": ("GET", {}, ML_OK),
    "mentoring.mentor_create": ("POST", {}, ML_UNPROCESSABLE),
    "mentoring.mentor_edit": ("GET", {"mentor_id": "mentor_b"}, OTHER_ML_WRITE),
    "mentoring.mentor_update": ("POST", {"mentor_id": "mentor_b"}, OTHER_ML_WRITE),
    "mentoring.mentor_anonymise": ("GET", {"mentor_id": "mentor_b"}, OTHER_ML_WRITE),
    "mentoring.mentor_anonymise_confirm": ("POST", {"mentor_id": "mentor_b"},
                                           OTHER_ML_WRITE),
    "mentoring.mentor_delete": ("POST", {"mentor_id": "mentor_b"}, OTHER_ML_WRITE),
    # the ml account deactivates its own mentor (another ML's: tests/test_mentoring_web_…)
    "mentoring.mentor_active": ("POST", {"mentor_id": "mentor_a"},
                                {"anon": LOGIN, "ml": REDIRECT, "*": FORBIDDEN}),
    "mentoring.mentor_import": ("GET", {}, ML_OK),
    "mentoring.mentor_import_upload": ("POST", {}, ML_UNPROCESSABLE),
    "mentoring.mentor_import_template": ("GET", {}, AREA),
}


def add(app, world) -> None:
    from datetime import date

    from models.audit import set_actor
    from models.mentoring.mentors import MentorData, create_mentor
    from webapp.extensions import db

    ids = world["ids"]
    if "mentor_b" in ids:
        return
    with app.app_context():
        s = db.session
        set_actor(s, None, via="cli")
        made = {}
        for key, ml in (("mentor_a", "ml_a"), ("mentor_b", "ml_b")):
            made[key] = create_mentor(s, None, MentorData(
                last_name="Matrice", first_name=key, email=f"{key}@matrice.example.org",
                sex="f", status="retraite", consent_on=date(2026, 1, 5),
                charter_signed_on=date(2026, 1, 5), mission_locale_id=ids[ml]),
                today=date(2026, 11, 23))
        s.commit()
        ids.update({key: m.id for key, m in made.items()})
