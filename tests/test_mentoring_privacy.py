"""Parrainage and privacy: a scripted session of a mission locale types a young person's
name and birth date into every field it can reach — the mentor's free fields, the mentor
CSV, the mentee forms (and invented fields posted beside them), the suggestion search, the
pairing, meeting, closing and follow-up forms. Afterwards neither the name nor the birth
date is anywhere in the database outside the mentor's own record, and nowhere in the
journal. SQLite and PostgreSQL (``database_url``)."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import MetaData, select

from models import clock
from models.mentoring.orm import FollowUp, Mentee, Mentor, Pairing
from tests.conftest import login
from webapp.extensions import db

NAME = "Zorglubovitch"
FIRST = "Kévinette"
BIRTH = ("14/03/2008", "2008-03-14", "14 mars 2008")
#: what a careless référent might type about the young person
SECRET = f"{FIRST} {NAME} née le {BIRTH[0]}"
#: fields a tampered form might carry: none of them exists, none may be stored
INVENTED = {"nom": NAME, "prenom": FIRST, "last_name": NAME, "first_name": FIRST,
            "name": SECRET, "birth_date": BIRTH[1], "date_naissance": BIRTH[0],
            "adresse": f"3 rue {NAME}", "email": f"{NAME.lower()}@exemple.fr",
            "telephone": "0600000000", "commentaire": SECRET, "notes": SECRET,
            "note": SECRET, "description": SECRET, "code": NAME.upper()[:8]}


def _day(delta: int) -> str:
    return (clock.today() + timedelta(days=delta)).isoformat()


def _id_from(location: str) -> int:
    return int(re.search(r"/(\d+)(?:$|\?)", location).group(1))


def _scan(app) -> dict[str, list[str]]:
    """Every text value of every table that contains the name or the birth date."""
    needles = [NAME.lower(), FIRST.lower(), *BIRTH]
    found: dict[str, list[str]] = {}
    with app.app_context():
        meta = MetaData()
        meta.reflect(bind=db.engine)
        for table in meta.sorted_tables:
            for row in db.session.execute(select(table)).all():
                text = " ".join(str(v) for v in row if v is not None).lower()
                hits = [n for n in needles if n.lower() in text]
                if hits:
                    found.setdefault(table.name, []).append(text[:200])
    return found


def test_a_name_typed_everywhere_never_reaches_a_mentee_or_the_journal(app, client, world):
    ids = world["ids"]
    assert login(client, world["emails"]["ml"]).status_code == 302
    today = clock.today()

    # a mentor whose free fields carry the young person's name and birth date
    r = client.post("/parrainage/parrains/nouveau", data={
        "last_name": "Martin", "first_name": "Claire", "email": "claire.martin@exemple.fr",
        "phone": "", "sex": "f", "status": "en_activite", "sector": SECRET[:120],
        "commune": f"{NAME} {BIRTH[0]}", "consent_on": _day(-400),
        "charter_signed_on": _day(-400), "trained_on": _day(-380), "capacity": "3",
        "active": "y", **{k: v for k, v in INVENTED.items() if k not in
                          ("last_name", "first_name", "email")}})
    assert r.status_code == 302, r.text
    mentor_id = _id_from(r.headers["Location"])

    # the same through the mentor CSV
    csv = ("nom;prénom;e-mail;téléphone;sexe;statut;secteur;commune;consentement le;"
           "charte signée le;formé·e le;capacité\r\n"
           f"Petit;Luc;luc.petit@exemple.fr;;H;retraité;{SECRET};{NAME};"
           f"{(today - timedelta(days=90)).strftime('%d/%m/%Y')};;;2\r\n").encode("cp1252")
    from io import BytesIO
    r = client.post("/parrainage/parrains/import",
                    data={"file": (BytesIO(csv), "parrains.csv"), **INVENTED},
                    content_type="multipart/form-data")
    assert r.status_code in (200, 302), r.text

    # a mentee: the form has no free field; invented ones posted beside it are dropped
    mentee_form = dict(sex="f", birth_year="2008", birth_month="3", qualification="3",
                       situation="demandeur_emploi", prescriber="mission_locale", qpv="oui",
                       zrr="non", rqth="non", project_validated="y",
                       minor_consent_on=_day(-10))
    r = client.post("/parrainage/filleuls/nouveau", data={**INVENTED, **mentee_form})
    assert r.status_code == 302, r.text
    mentee_id = _id_from(r.headers["Location"])
    r = client.post(f"/parrainage/filleuls/{mentee_id}/modifier",
                    data={**INVENTED, **mentee_form, "qpv": "non", "version_id": "1"})
    assert r.status_code == 302, r.text

    # the suggestion search: typed, shown, never stored
    r = client.get(f"/parrainage/filleuls/{mentee_id}/suggestions",
                   query_string={"secteur": SECRET})
    assert r.status_code == 200

    # a pairing over the past ten months: proposed, started, met, closed, followed up
    r = client.post("/parrainage/binomes/proposer", data={
        **INVENTED, "mentee_id": mentee_id, "mentor_id": mentor_id,
        "start_date": _day(-300), "planned_end": _day(-200), "confirm": "y"})
    assert r.status_code == 302, r.text
    pairing_id = _id_from(r.headers["Location"])
    with app.app_context():
        version = db.session.get(Pairing, pairing_id).version_id
    r = client.post(f"/parrainage/binomes/{pairing_id}/demarrer",
                    data={**INVENTED, "version_id": version, "confirm": "y"})
    assert r.status_code == 302, r.text
    r = client.post(f"/parrainage/binomes/{pairing_id}/rencontres", data={
        **INVENTED, "held_on": _day(-290), "mode": "presentiel", "duration_minutes": "60"})
    assert r.status_code == 302, r.text
    with app.app_context():
        version = db.session.get(Pairing, pairing_id).version_id
    r = client.post(f"/parrainage/binomes/{pairing_id}/cloturer", data={
        **INVENTED, "ended_on": _day(-200), "reason": "objectif_atteint",
        "outcome": "alternance", "version_id": version})
    assert r.status_code == 302, r.text
    with app.app_context():
        follow_up = db.session.scalars(select(FollowUp)
                                       .where(FollowUp.pairing_id == pairing_id)).one()
        assert follow_up.due_on <= today
        follow_up_id, version = follow_up.id, follow_up.version_id
    r = client.post(f"/parrainage/suivis/{follow_up_id}", data={
        **INVENTED, "outcome": "emploi_durable", "version_id": version})
    assert r.status_code == 302, r.text

    # the session did what it meant to: the records exist
    with app.app_context():
        mentee = db.session.get(Mentee, mentee_id)
        assert (mentee.birth_year, mentee.birth_month, mentee.qpv) == (2008, 3, False)
        assert mentee.code != INVENTED["code"]
        assert db.session.get(Pairing, pairing_id).follow_up.outcome == "emploi_durable"
        assert db.session.scalar(select(Mentor.id).where(Mentor.email == "luc.petit@exemple.fr"))

    # the name and birth date are only in the mentors' own records (their free fields)
    found = _scan(app)
    assert set(found) == {"mentor"}, found
    assert len(found["mentor"]) == 2
    assert ids["ml_a"]  # the ml account's mission locale holds every record above
