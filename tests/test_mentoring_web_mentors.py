"""Parrainage, the mentors' pages: a mission locale's list, page, form (French errors under
the fields, what was typed kept, 422), concurrent edits, deactivation, deletion or
anonymisation, the CSV import; another ML's id is 404 on GET and on POST, and the team
reads without writing. SQLite and PostgreSQL (``database_url``)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from models import clock
from models.audit import set_actor
from models.mentoring import mentees, mentors
from models.mentoring.enums import CloseReason, Outcome, PairingStatus
from models.mentoring.orm import Mentee, Mentor, Pairing
from tests.conftest import login
from webapp.extensions import db

HEADER = "nom;prénom;e-mail;téléphone;sexe;statut;secteur;commune;consentement le;" \
         "charte signée le;formé·e le;capacité"


def _data(n: int, ml_id: int, **kw) -> mentors.MentorData:
    base = dict(last_name=f"Durand{n}", first_name=f"Paule{n}", email=f"p{n}@exemple.fr",
                sex="f", status="retraite", consent_on=date(2026, 1, 5), sector="Bâtiment",
                commune="Libourne", charter_signed_on=date(2026, 1, 5), mission_locale_id=ml_id)
    base.update(kw)
    return mentors.MentorData(**base)


@pytest.fixture
def env(app, world):
    ids = world["ids"]
    with app.app_context():
        s = db.session
        set_actor(s, None, via="cli")
        own = mentors.create_mentor(s, None, _data(1, ids["ml_a"], trained_on=date(2026, 2, 1)))
        idle = mentors.create_mentor(s, None, _data(2, ids["ml_a"], last_name="Zola",
                                                    active=False))
        other = mentors.create_mentor(s, None, _data(3, ids["ml_b"], last_name="Pyrène"))
        s.commit()
        ids.update(own=own.id, idle=idle.id, other=other.id)
    return world


def _as(app, world, role: str):
    """A browser of its own, signed in as ``role``."""
    client = app.test_client()
    assert login(client, world["emails"][role]).status_code == 302
    return client


def _mentor(app, mentor_id) -> Mentor | None:
    with app.app_context():
        found = db.session.get(Mentor, mentor_id)
        if found is not None:
            db.session.expunge(found)
        return found


def _count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Mentor))


def _form(**kw) -> dict:
    base = {"last_name": "Lefèvre", "first_name": "Hélène", "email": "Helene@Exemple.fr",
            "phone": "06 12 34 56 78", "sex": "f", "status": "en_activite",
            "sector": "Hôtellerie", "commune": "Coutras", "consent_on": "2026-03-01",
            "charter_signed_on": "", "trained_on": "", "capacity": "2", "active": "y"}
    base.update(kw)
    return base


def _pairing(app, world, mentor_id: int, status: PairingStatus) -> None:
    ids = world["ids"]
    today = clock.today()
    with app.app_context():
        s = db.session
        set_actor(s, None, via="cli")
        young = mentees.create_mentee(s, None, mentees.MenteeData(
            sex="m", birth_year="2004", birth_month="5", qualification="3",
            situation="demandeur_emploi", prescriber="mission_locale", qpv="oui", zrr="",
            rqth="non", project_validated=True, mission_locale_id=ids["ml_a"]))
        ended = status in (PairingStatus.TERMINE, PairingStatus.ROMPU)
        s.add(Pairing(mission_locale_id=ids["ml_a"], mentor_id=mentor_id, mentee_id=young.id,
                      status=status, start_date=today - timedelta(days=250),
                      planned_end=today - timedelta(days=70),
                      ended_on=today - timedelta(days=70) if ended else None,
                      close_reason=CloseReason.DUREE_ECHUE if ended else None,
                      outcome=Outcome.ALTERNANCE if ended else None))
        s.commit()


# ---------------------------------------------------------------- the list
def test_an_ml_sees_its_own_mentors_only(login_as, env):
    page = login_as("ml").get("/parrainage/parrains").get_data(as_text=True)
    assert "Durand1" in page and "Zola" in page and "Pyrène" not in page
    assert "Ajouter un parrain ou une marraine" in page and "Importer un fichier CSV" in page
    assert "0 / 3" in page and "1er février 2026" in page
    # a mission locale cannot widen its scope with ?ml=
    page = login_as("ml").get(f"/parrainage/parrains?ml={env['ids']['ml_b']}")
    assert "Pyrène" not in page.get_data(as_text=True)


def test_the_team_reads_every_ml_and_filters(login_as, env):
    client = login_as("animateur")
    page = client.get("/parrainage/parrains").get_data(as_text=True)
    assert "Durand1" in page and "Pyrène" in page and "Mission locale Pau Pyrénées" in page
    assert "Ajouter un parrain" not in page
    page = client.get(f"/parrainage/parrains?ml={env['ids']['ml_b']}").get_data(as_text=True)
    assert "Pyrène" in page and "Durand1" not in page
    page = client.get("/parrainage/parrains?actif=0").get_data(as_text=True)
    assert "Zola" in page and "Durand1" not in page
    page = client.get("/parrainage/parrains?forme=1").get_data(as_text=True)
    assert "Durand1" in page and "Zola" not in page and "Pyrène" not in page
    page = client.get("/parrainage/parrains?q=pyr").get_data(as_text=True)
    assert "Pyrène" in page and "Durand1" not in page
    page = client.get("/parrainage/parrains?q=personne").get_data(as_text=True)
    assert "Aucun parrain ni marraine ne correspond à ces filtres." in page


@pytest.mark.parametrize("query", ["?tri=binomes&ordre=desc", "?tri=ml", "?tri=xx&ordre=zz",
                                   "?page=abc&par_page=-3", "?ml=99999999999&actif=x"])
def test_sorting_and_garbage_in_the_query_string(login_as, env, query):
    response = login_as("animateur").get("/parrainage/parrains" + query)
    assert response.status_code == 200 and "Durand1" in response.get_data(as_text=True)


def test_empty_states_say_what_to_do(app, login_as, world):
    page = login_as("ml").get("/parrainage/parrains").get_data(as_text=True)
    assert "Aucun parrain ni marraine enregistré pour votre mission locale." in page
    assert "importez-les" in page


def test_export_keeps_an_ml_to_its_own(login_as, env):
    response = login_as("ml").get("/parrainage/parrains/export.csv")
    text = response.get_data(as_text=True)
    assert response.status_code == 200 and "p1@exemple.fr" in text
    assert "p3@exemple.fr" not in text
    assert login_as("ml").get("/parrainage/parrains/export.pdf").status_code == 404


def test_the_teams_export_has_no_contact_details(app, env):
    client = _as(app, env, "animateur")
    text = client.get("/parrainage/parrains/export.csv").get_data(as_text=True)
    assert "Pyrène" in text and "Durand1" in text and "Mission locale Pau" in text
    assert "@exemple.fr" not in text and "E-mail" not in text
    response = client.get("/parrainage/parrains/export.xlsx")
    assert response.status_code == 200 and response.data[:2] == b"PK"


# ---------------------------------------------------------------- the page and the form
def test_detail_and_another_mls_id(app, login_as, env):
    ids = env["ids"]
    client = login_as("ml")
    page = client.get(f"/parrainage/parrains/{ids['own']}").get_data(as_text=True)
    assert "Paule1 Durand1" in page and "Supprimer la fiche" in page
    assert client.get(f"/parrainage/parrains/{ids['other']}").status_code == 404
    team = _as(app, env, "animateur").get(f"/parrainage/parrains/{ids['other']}")
    assert team.status_code == 200 and "Modifier" not in team.get_data(as_text=True)


def test_create(app, login_as, env):
    client = login_as("ml")
    # a mission locale id posted by hand is not a field: the record is ml_a's
    response = client.post("/parrainage/parrains/nouveau",
                           data=_form(mission_locale_id=str(env["ids"]["ml_b"])))
    assert response.status_code == 302
    with app.app_context():
        made = db.session.scalar(select(Mentor).where(Mentor.email == "helene@exemple.fr"))
        assert made.mission_locale_id == env["ids"]["ml_a"]
        assert (made.last_name, made.capacity, made.active) == ("Lefèvre", 2, True)


def test_create_errors_are_french_kept_and_422(app, login_as, env):
    before = _count(app)
    response = login_as("ml").post("/parrainage/parrains/nouveau", data=_form(
        last_name="", email="p1@EXEMPLE.fr", sex="", consent_on="31/02/2026",
        trained_on="2099-01-01", capacity="trois", sector="Œnologie"))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    for message in ("Le nom est obligatoire.", "Un parrain ou une marraine utilise déjà "
                    "l&#39;adresse p1@exemple.fr.", "Indiquez le sexe (femme ou homme).",
                    "La date de formation ne peut pas être dans le futur.",
                    "doit être un entier entre 1 et 20", "invalid-feedback"):
        assert message in page, message
    assert 'value="Œnologie"' in page and 'value="trois"' in page  # nothing lost
    assert 'value="31/02/2026"' in page
    assert "La date du consentement au traitement" not in page  # the bad date told once
    assert _count(app) == before


def test_edit_and_concurrent_edit(app, login_as, env):
    ids = env["ids"]
    client = login_as("ml")
    page = client.get(f"/parrainage/parrains/{ids['own']}/modifier").get_data(as_text=True)
    assert 'value="Durand1"' in page and 'name="version_id"' in page
    response = client.post(f"/parrainage/parrains/{ids['own']}/modifier",
                           data=_form(email="p1@exemple.fr", version_id="1"))
    assert response.status_code == 302
    assert _mentor(app, ids["own"]).last_name == "Lefèvre"
    # a second browser still holds version 1: refused, its typing kept, nothing overwritten
    response = client.post(f"/parrainage/parrains/{ids['own']}/modifier",
                           data=_form(email="p1@exemple.fr", last_name="Ancien",
                                      version_id="1"))
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "modifiée par quelqu&#39;un d&#39;autre" in page
    assert 'value="Ancien"' in page and 'name="version_id" type="hidden" value="2"' in page
    assert _mentor(app, ids["own"]).last_name == "Lefèvre"
    response = client.post(f"/parrainage/parrains/{ids['own']}/modifier",
                           data=_form(email="", version_id="2"))
    assert response.status_code == 422
    assert "L&#39;adresse e-mail est obligatoire." in response.get_data(as_text=True)


@pytest.mark.parametrize(("method", "path", "data"), [
    ("get", "modifier", None), ("post", "modifier", _form(version_id="1")),
    ("get", "anonymiser", None), ("post", "anonymiser", {"version_id": "1"}),
    ("post", "supprimer", {}), ("post", "disponibilite", {"actif": "0"}),
])
def test_another_mls_id_is_404_and_the_team_is_refused(app, login_as, env, method, path,
                                                      data):
    other = env["ids"]["other"]
    url = f"/parrainage/parrains/{other}/{path}"
    ml = getattr(login_as("ml"), method)(url, data=data)
    assert ml.status_code == 404
    team = getattr(_as(app, env, "animateur"), method)(url, data=data)
    assert team.status_code == 403
    kept = _mentor(app, other)
    assert kept is not None and kept.version_id == 1 and kept.last_name == "Pyrène"


def test_deactivate_and_take_back(app, login_as, env):
    ids = env["ids"]
    client = login_as("ml")
    url = f"/parrainage/parrains/{ids['own']}/disponibilite"
    assert client.post(url, data={"actif": "0", "version_id": "1"}).status_code == 302
    assert _mentor(app, ids["own"]).active is False
    response = client.post(url, data={"actif": "1", "version_id": "1"},
                           follow_redirects=True)  # stale: refused
    assert "modifiée par quelqu&#39;un d&#39;autre" in response.get_data(as_text=True)
    assert _mentor(app, ids["own"]).active is False
    client.post(url, data={"actif": "1", "version_id": "2"})
    assert _mentor(app, ids["own"]).active is True


def test_delete_when_never_paired(app, login_as, env):
    ids = env["ids"]
    response = login_as("ml").post(f"/parrainage/parrains/{ids['idle']}/supprimer")
    assert response.status_code == 302 and _mentor(app, ids["idle"]) is None


def test_a_mentor_who_paired_is_anonymised_not_deleted(app, login_as, env):
    ids = env["ids"]
    _pairing(app, env, ids["own"], PairingStatus.TERMINE)
    client = login_as("ml")
    page = client.get(f"/parrainage/parrains/{ids['own']}").get_data(as_text=True)
    assert "Anonymiser…" in page and "Supprimer la fiche" not in page
    response = client.post(f"/parrainage/parrains/{ids['own']}/supprimer",
                           follow_redirects=True)
    assert "la fiche ne peut pas être supprimée, anonymisez-la" in response.get_data(
        as_text=True)
    assert _mentor(app, ids["own"]) is not None
    page = client.get(f"/parrainage/parrains/{ids['own']}/anonymiser").get_data(as_text=True)
    assert "Anonymiser définitivement" in page
    response = client.post(f"/parrainage/parrains/{ids['own']}/anonymiser",
                           data={"version_id": "1"})
    assert response.status_code == 302
    gone = _mentor(app, ids["own"])
    assert (gone.last_name, gone.first_name, gone.phone, gone.commune) == ("Anonymisé", "",
                                                                           "", "")
    assert gone.anonymised_on == clock.today() and not gone.active
    # the sector is free text too (« Boulangerie Dupont, Coutras »): erased with the rest
    assert gone.sector == "" and gone.sex.value == "f" and gone.status.value == "retraite"
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Pairing)) == 1
    page = client.get(f"/parrainage/parrains/{ids['own']}").get_data(as_text=True)
    assert "Anonymisé·e le" in page and "p1@exemple.fr" not in page and "Modifier" not in page
    assert client.get(f"/parrainage/parrains/{ids['own']}/modifier").status_code == 302
    response = client.post(f"/parrainage/parrains/{ids['own']}/modifier",
                           data=_form(version_id="2"))
    assert response.status_code == 422 and "anonymisée" in response.get_data(as_text=True)


def test_anonymising_with_an_ongoing_pairing_is_refused(app, login_as, env):
    ids = env["ids"]
    _pairing(app, env, ids["own"], PairingStatus.ACTIF)
    response = login_as("ml").post(f"/parrainage/parrains/{ids['own']}/anonymiser",
                                   data={"version_id": "1"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "Clôturez ou annulez d&#39;abord" in page
    assert _mentor(app, ids["own"]).anonymised_on is None
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Mentee)) == 1


# ---------------------------------------------------------------- the import
def _upload(client, data: bytes, name: str = "parrains.csv"):
    import io

    return client.post("/parrainage/parrains/import",
                       data={"file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def test_import_a_windows_1252_file(app, login_as, env):
    client = login_as("ml")
    page = client.get("/parrainage/parrains/import").get_data(as_text=True)
    assert "Télécharger le modèle" in page and 'enctype="multipart/form-data"' in page
    body = (HEADER + "\r\nCœur;Loïc;loic@exemple.fr;;H;retraité;Œnologie;Saint-Émilion;"
            "05/01/2026;;;\r\nBéranger;Françoise;fb@exemple.fr;;F;en activité;;;"
            "05/01/2026;;;\r\n").encode("cp1252")
    response = _upload(client, body)
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Import réussi : 2 parrains et marraines enregistrés." in page
    assert "Cœur" in page and "Saint-Émilion" in page
    with app.app_context():
        made = db.session.scalar(select(Mentor).where(Mentor.email == "loic@exemple.fr"))
        assert made.mission_locale_id == env["ids"]["ml_a"]


def test_import_refused_lists_every_line_and_writes_nothing(app, login_as, env):
    before = _count(app)
    body = (HEADER + "\r\nA;B;dup@exemple.fr;;F;autre;;;05/01/2026;;;"
            "\r\nC;D;DUP@Exemple.fr;;F;autre;;;05/01/2026;;;"
            "\r\nE;F;;;F;autre;;;05/01/2026;;;\r\n").encode()
    response = _upload(login_as("ml"), body)
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "Rien n'a été importé" in page
    assert "Ligne 2 : l&#39;adresse dup@exemple.fr figure aussi ligne 3." in page
    assert "Ligne 3 : l&#39;adresse dup@exemple.fr figure déjà ligne 2" in page
    assert "Ligne 4 : L&#39;adresse e-mail est obligatoire." in page
    assert _count(app) == before


@pytest.mark.parametrize(("data", "name", "fragment"), [
    (b"", "parrains.csv", "Choisissez le fichier CSV"),
    (b"\r\n", "parrains.csv", "Le fichier est vide"),
    (b"PK\x03\x04", "parrains.xlsx", "Enregistrer sous"),
    (b"%PDF-1.4", "parrains.pdf", "doit être un fichier CSV"),
])
def test_import_bad_files(app, login_as, env, data, name, fragment):
    client = login_as("ml")
    if data:
        response = _upload(client, data, name)
    else:
        response = client.post("/parrainage/parrains/import", data={},
                               content_type="multipart/form-data")
    assert response.status_code == 422 and fragment in response.get_data(as_text=True)


def test_import_too_big(app, login_as, env):
    from models.mentoring import imports

    body = (HEADER + "\r\n").encode() + b"x" * (imports.MAX_BYTES + 10)
    response = _upload(login_as("ml"), body)
    assert response.status_code == 422
    assert "Le fichier dépasse 1024 Ko" in response.get_data(as_text=True)


def test_the_team_does_not_import_but_gets_the_template(login_as, env):
    client = login_as("animateur")
    assert _upload(client, (HEADER + "\r\n").encode()).status_code == 403
    response = client.get("/parrainage/parrains/modele.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.data.decode("utf-8-sig").startswith("nom;prénom;e-mail;")


# ---------------------------------------------------------------- review fixes (issue 16)
def test_capacity_below_the_active_pairings_is_refused(app, login_as, env):
    ids = env["ids"]
    _pairing(app, env, ids["own"], PairingStatus.ACTIF)
    _pairing(app, env, ids["own"], PairingStatus.ACTIF)
    response = login_as("ml").post(f"/parrainage/parrains/{ids['own']}/modifier",
                                   data=_form(email="p1@exemple.fr", capacity="1",
                                              version_id="1"))
    page = response.get_data(as_text=True).replace("&#39;", "'")
    assert response.status_code == 422
    assert "Il ou elle suit déjà 2 filleul·es : la capacité ne peut pas être inférieure." \
        in page
    assert _mentor(app, ids["own"]).capacity == 3


@pytest.mark.parametrize("raw", ["²", "①", "1" * 5000])
def test_a_capacity_in_other_figures_is_a_french_message(app, login_as, env, raw):
    before = _count(app)
    response = login_as("ml").post("/parrainage/parrains/nouveau", data=_form(capacity=raw))
    assert response.status_code == 422
    assert "doit être un entier entre 1 et 20" in response.get_data(as_text=True)
    assert _count(app) == before


def test_another_mls_address_is_not_revealed(app, login_as, env):
    """ml_b's volunteer (p3@exemple.fr) registered again by ml_a: accepted, as for any new
    address — a refusal would tell ml_a that ml_b holds this person."""
    response = login_as("ml").post("/parrainage/parrains/nouveau",
                                   data=_form(email="P3@exemple.fr"))
    assert response.status_code == 302
    with app.app_context():
        found = db.session.execute(select(Mentor.mission_locale_id)
                                   .where(Mentor.email == "p3@exemple.fr")).scalars().all()
    assert sorted(found) == sorted([env["ids"]["ml_a"], env["ids"]["ml_b"]])


def test_the_team_does_not_see_contact_details_on_the_page(app, login_as, env):
    ids = env["ids"]
    with app.app_context():
        db.session.get(Mentor, ids["own"]).phone = "06 11 22 33 44"
        db.session.commit()
    own = login_as("ml").get(f"/parrainage/parrains/{ids['own']}").get_data(as_text=True)
    assert "p1@exemple.fr" in own and "06 11 22 33 44" in own
    for role in ("animateur", "admin"):
        page = _as(app, env, role).get(f"/parrainage/parrains/{ids['own']}")
        text = page.get_data(as_text=True)
        assert page.status_code == 200 and "Durand1" in text
        assert "p1@exemple.fr" not in text and "06 11 22 33 44" not in text


def test_deleting_checks_the_version_seen(app, login_as, env):
    ids = env["ids"]
    client = login_as("ml")
    page = client.get(f"/parrainage/parrains/{ids['idle']}").get_data(as_text=True)
    assert page.count('name="version_id" type="hidden" value="1"') >= 1
    client.post(f"/parrainage/parrains/{ids['idle']}/disponibilite",
                data={"actif": "1", "version_id": "1"})  # another tab changed it
    response = client.post(f"/parrainage/parrains/{ids['idle']}/supprimer",
                           data={"version_id": "1"}, follow_redirects=True)
    assert "modifiée par quelqu&#39;un d&#39;autre" in response.get_data(as_text=True)
    assert _mentor(app, ids["idle"]) is not None
    client.post(f"/parrainage/parrains/{ids['idle']}/supprimer", data={"version_id": "2"})
    assert _mentor(app, ids["idle"]) is None
