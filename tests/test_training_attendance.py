"""Attendance per half-day: the rules of recording it, the rates and hours derived from
it, the feuille d'émargement and the certificates (PDF text read with pypdf, page 1
rendered with pdftoppm), and the web routes with their object checks.

Data: ``training_world`` (session 10–11 Dec 2026, 4 half-days of 3 h 30, 5 seats,
quota 3 per mission locale) with five confirmed trainees and one person waiting.
"""

from __future__ import annotations

import io
import subprocess
import zipfile
from datetime import UTC, date, datetime, time
from decimal import Decimal

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from models.accounts.orm import User
from models.audit import set_actor
from models.errors import DomainError, PermissionDenied, ValidationFailed
from models.training import attendance as att
from models.training import registrations as seats
from models.training.enums import HalfDay, Presence, SessionStatus
from models.training.enums import RegistrationStatus as R
from models.training.orm import Attendance, Registration, SessionSlot, TrainingSession
from tests.conftest import ARTIFACTS, csrf_token_from
from tests.test_headers import assert_private_headers
from webapp.extensions import db
from webapp.pdf.attendance_sheet import attendance_sheet_pdf
from webapp.pdf.certificate import certificate_pdf, certificates_zip

REG_DAY = date(2026, 11, 23)
AFTER = date(2026, 12, 11)  # the session's last day
P, A, E = Presence.PRESENT, Presence.ABSENT, Presence.EXCUSE
PEOPLE = [("Durand", "Alice", "ml_a"), ("Petit", "Bruno", "ml_a"), ("Roux", "Chloé", "ml_a"),
          ("Moreau", "David", "ml_b"), ("Lefèvre", "Émilie", "ml_b"), ("Garnier", "Farid", "ml_b")]


def _register(s, ids, people=PEOPLE) -> dict[str, int]:
    set_actor(s, None, via="cli")
    out = {}
    for last, first, ml in people:
        reg = seats.register(s, None, ids["session"], seats.RegistrationData(
            last_name=last, first_name=first, email=f"{first.lower()}.{last.lower()}@ml.fr",
            job="conseiller", mission_locale_id=ids[ml]), today=REG_DAY)
        out[first] = reg.id
    s.commit()
    return out


@pytest.fixture
def trained(app, training_world):
    """Five confirmed (Alice … Émilie), Farid waiting (the session is full)."""
    ids = training_world["ids"]
    with app.app_context():
        regs = _register(db.session, ids)
        assert R(db.session.get(Registration, regs["Farid"]).status) is R.ATTENTE
    training_world["regs"] = regs
    return training_world


def _grid(regs: dict[str, int], slots: list[int], table: dict[str, list]) -> dict:
    return {(regs[name], slot): mark for name, marks in table.items()
            for slot, mark in zip(slots, marks, strict=True)}


def _count(s) -> int:
    return s.scalar(select(func.count()).select_from(Attendance))


# ---------------------------------------------------------------- domain
def test_rates_hours_and_derived_presence(app, trained):
    ids, regs = trained["ids"], trained["regs"]
    with app.app_context():
        s = db.session
        ts = s.get(TrainingSession, ids["session"])
        admin = s.get(User, ids["admin"])
        changed = att.record_attendance(s, admin, ts, _grid(regs, ids["slots"], {
            "Alice": [P, P, P, P], "Bruno": [P, P, P, A], "Chloé": [E, E, E, E],
            "David": ["present", "absent", None, "excuse"]}), today=AFTER)
        s.commit()
        assert changed == 15  # David's empty cell writes nothing
        sheet = att.session_attendance(s, s.get(TrainingSession, ids["session"]))
        assert sheet.total_hours == Decimal("14.00")
        by = {t.registration.first_name: t for t in sheet.trainees}
        # trainees are ordered by last name: Durand, Lefèvre, Moreau, Petit, Roux
        assert [t.registration.last_name for t in sheet.trainees] == [
            "Durand", "Lefèvre", "Moreau", "Petit", "Roux"]
        assert "Farid" not in by  # waiting: not on the sheet
        expected = {  # present, absent, excused, rate, hours, presence
            "Alice": (4, 0, 0, Decimal("1"), Decimal("14.00"), att.COMPLETE),
            "Bruno": (3, 1, 0, Decimal("0.75"), Decimal("10.50"), att.PARTIAL),
            "Chloé": (0, 0, 4, Decimal("0"), Decimal("0.00"), att.NIL),
            "David": (1, 1, 1, Decimal("0.25"), Decimal("3.50"), att.PARTIAL),
            "Émilie": (0, 0, 0, Decimal("0"), Decimal("0.00"), att.UNKNOWN),
        }
        for name, (present, absent, excused, rate, hours, presence) in expected.items():
            t = by[name]
            assert (t.present, t.absent, t.excused, t.rate, t.hours, t.presence) == (
                present, absent, excused, rate, hours, presence), name
        assert {t.registration.first_name for t in sheet.attendees} == {"Alice", "Bruno",
                                                                       "David"}
        assert not sheet.complete  # Émilie and David's third half-day are not filled in
        assert by["Bruno"].presence_label == "Partielle"


def test_hours_follow_each_half_days_own_schedule(app, trained):
    """A short afternoon counts for what it lasted, not a nominal 3 h 30."""
    ids, regs = trained["ids"], trained["regs"]
    with app.app_context():
        s = db.session
        slot = s.get(SessionSlot, ids["slots"][3])
        slot.starts_at, slot.ends_at = time(13, 30), time(15, 45)  # 2 h 15
        s.commit()
        ts = s.get(TrainingSession, ids["session"])
        att.record_attendance(s, None, ts, _grid(regs, ids["slots"], {
            "Alice": [P, P, P, P], "Bruno": [A, A, A, P]}), today=AFTER)
        s.commit()
        sheet = att.session_attendance(s, ts)
        assert sheet.total_hours == Decimal("12.75")
        assert sheet.trainee(regs["Alice"]).hours == Decimal("12.75")
        assert sheet.trainee(regs["Bruno"]).hours == Decimal("2.25")
        assert att.trainee_attendance(s, s.get(Registration, regs["Bruno"])).rate == \
            Decimal("0.25")


def test_changing_and_clearing_marks(app, trained):
    ids, regs = trained["ids"], trained["regs"]
    slots = ids["slots"]
    with app.app_context():
        s = db.session
        ts = s.get(TrainingSession, ids["session"])
        att.record_attendance(s, None, ts, {(regs["Alice"], slots[0]): P,
                                            (regs["Alice"], slots[1]): P}, today=AFTER)
        s.commit()
        assert att.record_attendance(s, None, ts, {(regs["Alice"], slots[0]): P},
                                     today=AFTER) == 0  # same value: nothing changes
        assert att.record_attendance(s, None, ts, {(regs["Alice"], slots[0]): "absent",
                                                   (regs["Alice"], slots[1]): ""},
                                     today=AFTER) == 2
        s.commit()
        rows = s.execute(select(Attendance.slot_id, Attendance.presence)).all()
        assert [(slot, Presence(p)) for slot, p in rows] == [(slots[0], A)]


def test_refused_grids_change_nothing(app, trained):
    """One bad cell refuses the whole grid, with a French reason, and writes nothing."""
    ids, regs = trained["ids"], trained["regs"]
    slots = ids["slots"]
    with app.app_context():
        s = db.session
        ts = s.get(TrainingSession, ids["session"])
        good = {(regs["Alice"], slots[0]): P, (regs["Bruno"], slots[0]): P}
        cases = [
            ({(regs["Farid"], slots[0]): P}, "inscriptions confirmées"),  # waiting
            ({(regs["Alice"], 999_999): P}, "n'appartient pas à la session"),
            ({(regs["Alice"], slots[1]): "peut-être"}, "choisissez présent·e"),
        ]
        for bad, message in cases:
            with pytest.raises(ValidationFailed) as exc:
                att.record_attendance(s, None, ts, {**good, **bad}, today=AFTER)
            s.rollback()
            assert message in str(exc.value)
            assert _count(s) == 0
        # a half-day still to come cannot be marked (10 Dec: the 11th is tomorrow)
        with pytest.raises(ValidationFailed) as exc:
            att.record_attendance(s, None, ts, {**good, (regs["Alice"], slots[2]): P},
                                  today=date(2026, 12, 10))
        s.rollback()
        assert "La demi-journée du 11 décembre 2026 (matin) n'a pas encore eu lieu." in \
            exc.value.errors[f"p_{regs['Alice']}_{slots[2]}"]
        assert _count(s) == 0
        # but the day's own half-days can
        assert att.record_attendance(s, None, ts, good, today=date(2026, 12, 10)) == 2


def test_cancelled_registration_and_other_sessions_are_refused(app, trained):
    ids, regs = trained["ids"], trained["regs"]
    with app.app_context():
        s = db.session
        seats.cancel(s, None, regs["Bruno"], now=datetime(2026, 11, 24, 9, 0, tzinfo=UTC))
        s.commit()
        ts = s.get(TrainingSession, ids["session"])
        with pytest.raises(ValidationFailed, match="inscriptions confirmées"):
            att.record_attendance(s, None, ts, {(regs["Bruno"], ids["slots"][0]): P},
                                  today=AFTER)
        s.rollback()
        # Farid was promoted into Bruno's seat: now he can be marked
        assert R(s.get(Registration, regs["Farid"]).status) is R.CONFIRMEE
        assert att.record_attendance(s, None, ts, {(regs["Farid"], ids["slots"][0]): P},
                                     today=AFTER) == 1


@pytest.mark.parametrize("role", ["copil", "ml", "financeur"])
def test_only_the_team_records_attendance(app, trained, role):
    ids, regs = trained["ids"], trained["regs"]
    with app.app_context():
        s = db.session
        ts = s.get(TrainingSession, ids["session"])
        with pytest.raises(PermissionDenied):
            att.record_attendance(s, s.get(User, ids[role]), ts,
                                  {(regs["Alice"], ids["slots"][0]): P}, today=AFTER)
        s.rollback()
        assert _count(s) == 0


def test_cancelled_session_takes_no_attendance(app, trained):
    ids, regs = trained["ids"], trained["regs"]
    with app.app_context():
        s = db.session
        ts = s.get(TrainingSession, ids["session"])
        ts.status = SessionStatus.ANNULEE
        s.commit()
        with pytest.raises(DomainError, match="annulée"):
            att.record_attendance(s, s.get(User, ids["animateur"]), ts,
                                  {(regs["Alice"], ids["slots"][0]): P}, today=AFTER)
        s.rollback()
        assert _count(s) == 0


# ---------------------------------------------------------------- PDFs
def _pdf_pages(body: bytes) -> list[str]:
    assert body[:5] == b"%PDF-"
    return [" ".join((page.extract_text() or "").split()) for page in PdfReader(io.BytesIO(
        body)).pages]


def _render(body: bytes, name: str, database_url: str) -> None:
    """Page 1 as a PNG, kept under tests/artifacts for a human to look at."""
    out = ARTIFACTS / "training" / ("sqlite" if "sqlite" in database_url else "postgresql")
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{name}.pdf").write_bytes(body)
    for old in out.glob(f"{name}*.png"):
        old.unlink()
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1",
                    str(out / f"{name}.pdf"), str(out / name)], check=True)
    png = next(out.glob(f"{name}*.png"))
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 5000


def test_attendance_sheet_pdf(client, login_as, trained, database_url):
    ids = trained["ids"]
    login_as("animateur")
    response = client.get(f"/formations/sessions/{ids['session']}/emargement.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert ("emargement-accueillir-un-public-en-situation-de-handicap-2026-12-10.pdf"
            in response.headers["Content-Disposition"])
    pages = _pdf_pages(response.data)
    assert len(pages) == 1
    text = pages[0]
    for expected in ["ARML test", "Feuille d'émargement",
                     "Accueillir un public en situation de handicap",
                     "du 10 décembre 2026 au 11 décembre 2026", "4 demi-journée(s), 14 h",
                     "ARML, 12 rue des Lilas, 33000 Bordeaux", "Claire Martin",
                     "CREAI Nouvelle-Aquitaine", "Nom et prénom", "Mission locale",
                     "jeu. 10/12 · matin", "jeu. 10/12 · après-midi", "ven. 11/12 · matin",
                     "ven. 11/12 · après-midi", "09h00–12h30", "13h30–17h00",
                     "DURAND Alice", "PETIT Bruno", "ROUX Chloé", "MOREAU David",
                     "LEFÈVRE Émilie", "Mission locale du Libournais",
                     "Mission locale Pau Pyrénées", "Signature du / de la formateur·rice",
                     "Page 1"]:
        assert expected in text, expected
    assert "GARNIER" not in text  # waiting: no seat, no line
    # one signature box per trainee and half-day, plus the trainer's row of boxes
    reader = PdfReader(io.BytesIO(response.data))
    assert reader.pages[0].mediabox.width > reader.pages[0].mediabox.height  # A4 landscape
    assert round(float(reader.pages[0].mediabox.width)) == 842
    _render(response.data, "emargement", database_url)


def test_long_attendance_sheet_repeats_its_headers(app, training_world):
    """30 trainees do not fit on one page: each page has the session and column heads."""
    ids = training_world["ids"]
    with app.app_context():
        s = db.session
        ts = s.get(TrainingSession, ids["session"])
        ts.max_capacity, ts.ml_quota = 40, None
        s.commit()
        _register(s, ids, [(f"Stagiaire{n:02d}", f"Prénom{n:02d}", "ml_a" if n % 2 else "ml_b")
                           for n in range(30)])
        sheet = att.session_attendance(s, s.get(TrainingSession, ids["session"]))
        body = attendance_sheet_pdf(sheet, "ARML test", datetime(
            2026, 11, 23, 10, 0))
    pages = _pdf_pages(body)
    assert len(pages) >= 3
    for n, text in enumerate(pages, start=1):
        assert "ARML test · Feuille d'émargement · Accueillir un public" in text, n
        assert "Nom et prénom" in text and "ven. 11/12 · après-midi" in text, n
        assert f"Page {n}" in text
    everything = " ".join(pages)
    assert all(f"STAGIAIRE{n:02d} Prénom{n:02d}" in everything for n in range(30))
    assert everything.count("Signature du / de la formateur·rice") == 1


def test_many_half_days_split_into_several_grids(app, training_world):
    ids = training_world["ids"]
    with app.app_context():
        s = db.session
        ts = s.get(TrainingSession, ids["session"])
        for d in (14, 15, 16, 17):
            for half, start, end in ((HalfDay.MATIN, time(9), time(12)),
                                     (HalfDay.APRES_MIDI, time(14), time(17))):
                ts.slots.append(SessionSlot(day=date(2026, 12, d), half=half,
                                            starts_at=start, ends_at=end))
        ts.end_date = date(2026, 12, 17)
        s.commit()
        _register(s, ids, PEOPLE[:2])
        body = attendance_sheet_pdf(att.session_attendance(s, ts), "ARML test",
                                    datetime(2026, 11, 23))
    everything = " ".join(_pdf_pages(body))
    assert "Suite : demi-journées 7 à 12" in everything
    assert everything.count("DURAND Alice") == 2
    assert everything.count("Signature du / de la formateur·rice") == 2


def _mark_some(app, trained):
    ids, regs = trained["ids"], trained["regs"]
    with app.app_context():
        s = db.session
        att.record_attendance(s, None, s.get(TrainingSession, ids["session"]), _grid(
            regs, ids["slots"], {"Alice": [P, P, P, P], "Bruno": [P, P, P, A],
                                 "Chloé": [A, A, A, A], "David": [P, E, E, E]}),
            today=AFTER)
        s.commit()


def test_certificate_states_the_hours_attended(client, login_as, trained, app, database_url):
    _mark_some(app, trained)
    regs = trained["regs"]
    login_as("admin")
    response = client.get(f"/formations/inscriptions/{regs['Bruno']}/attestation.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert f"attestation-petit-bruno-{regs['Bruno']}.pdf" in response.headers[
        "Content-Disposition"]
    (text,) = _pdf_pages(response.data)
    for expected in ["ARML test", "Attestation de fin de formation",
                     "ARML test atteste que Bruno PETIT a suivi la formation « Accueillir un "
                     "public en situation de handicap » du 10 décembre 2026 au 11 décembre "
                     "2026, pour une durée de 10,50 heures de présence effective",
                     "Mission locale du Libournais", "ARML, 12 rue des Lilas, 33000 Bordeaux",
                     "Claire Martin", "Durée de la session 14 heures",
                     "3 demi-journée(s) sur 4 (75 %)", "Heures suivies 10,50 heures",
                     "Objectifs de la formation", "Adapter l'accueil et l'accompagnement.",
                     "Signature et cachet", "CREAI Nouvelle-Aquitaine"]:
        assert expected in text, expected
    assert "Fait le" in text and "pour ARML test" in text
    _render(response.data, "attestation", database_url)


def test_nobody_gets_a_certificate_for_a_session_missed(client, login_as, trained, app):
    _mark_some(app, trained)
    regs = trained["regs"]
    login_as("admin")
    for name in ("Chloé", "Émilie", "Farid"):  # all absent, nothing recorded, waiting
        assert client.get(f"/formations/inscriptions/{regs[name]}/attestation.pdf"
                          ).status_code == 404, name
    with app.app_context():
        sheet = att.session_attendance(db.session, db.session.get(
            TrainingSession, trained["ids"]["session"]))
        with pytest.raises(ValueError):
            certificate_pdf(sheet.trainee(regs["Chloé"]), sheet, "ARML", AFTER)


def test_zip_holds_one_certificate_per_attendee(client, login_as, trained, app):
    _mark_some(app, trained)
    regs = trained["regs"]
    login_as("animateur")
    response = client.get(f"/formations/sessions/{trained['ids']['session']}/attestations.zip")
    assert_private_headers(response, "application/zip")
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    assert sorted(archive.namelist()) == sorted([
        f"attestation-durand-alice-{regs['Alice']}.pdf",
        f"attestation-petit-bruno-{regs['Bruno']}.pdf",
        f"attestation-moreau-david-{regs['David']}.pdf"])
    hours = {}
    for name in archive.namelist():
        (text,) = _pdf_pages(archive.read(name))
        hours[name.split("-")[1]] = text.split("Heures suivies ")[1].split(" heure")[0]
    assert hours == {"durand": "14", "petit": "10,50", "moreau": "3,50"}


def test_zip_without_attendance_explains(client, login_as, trained, app):
    login_as("admin")
    response = client.get(f"/formations/sessions/{trained['ids']['session']}/attestations.zip")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(
        f"/formations/sessions/{trained['ids']['session']}/documents")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Aucune attestation à produire" in page


def test_certificates_zip_direct(app, trained):
    _mark_some(app, trained)
    with app.app_context():
        s = db.session
        sheet = att.session_attendance(s, s.get(TrainingSession, trained["ids"]["session"]))
        body = certificates_zip(sheet, "ARML test", AFTER, "Direction de l'ARML")
    archive = zipfile.ZipFile(io.BytesIO(body))
    assert len(archive.namelist()) == 3
    assert all("Direction de l'ARML" in _pdf_pages(archive.read(n))[0]
               for n in archive.namelist())


# ---------------------------------------------------------------- web
def test_attendance_grid_saves_and_shows_rates(client, login_as, trained, app):
    ids, regs = trained["ids"], trained["regs"]
    login_as("animateur")
    url = f"/formations/sessions/{ids['session']}/presences"
    page = client.get(url)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "DURAND Alice" in html and "GARNIER" not in html
    # 23 Nov (real today) or later: the session's half-days may still be ahead; pretend
    # the session is over by moving it into the past
    with app.app_context():
        ts = db.session.get(TrainingSession, ids["session"])
        for slot in ts.slots:
            slot.day = slot.day.replace(year=2025)
        ts.start_date, ts.end_date = date(2025, 12, 10), date(2025, 12, 11)
        db.session.commit()
    token = csrf_token_from(client.get(url).get_data(as_text=True))
    s0, s1, s2, s3 = ids["slots"]
    data = {"csrf_token": token, f"p_{regs['Alice']}_{s0}": "present",
            f"p_{regs['Alice']}_{s1}": "present", f"p_{regs['Bruno']}_{s0}": "excuse",
            f"p_{regs['Bruno']}_{s1}": ""}
    response = client.post(url, data=data)
    assert response.status_code == 302
    html = client.get(url).get_data(as_text=True)
    assert "Présences enregistrées : 3 case(s) modifiée(s)." in html
    assert "50\u00a0%" in html and "7,00" in html  # Alice: 2 of 4, 7 h
    # "everyone present" fills the remaining empty cells only
    response = client.post(url, data={"csrf_token": token, "tous": "present",
                                      f"p_{regs['Bruno']}_{s0}": "excuse"})
    assert response.status_code == 302
    with app.app_context():
        rows = {(r, sl): Presence(p) for r, sl, p in db.session.execute(
            select(Attendance.registration_id, Attendance.slot_id, Attendance.presence))}
    assert rows[(regs["Bruno"], s0)] is E
    assert rows[(regs["Bruno"], s3)] is P and rows[(regs["Émilie"], s2)] is P
    assert len(rows) == 5 * 4
    assert (regs["Farid"], s0) not in rows


def test_attendance_grid_refuses_a_future_half_day(client, login_as, trained, app):
    ids, regs = trained["ids"], trained["regs"]
    login_as("admin")
    url = f"/formations/sessions/{ids['session']}/presences"
    html = client.get(url).get_data(as_text=True)
    assert "à venir" in html  # the session is on 10–11 December, after the tests' today
    with app.app_context():
        slot = db.session.get(SessionSlot, ids["slots"][3])
        slot.day = date(2099, 1, 1)
        db.session.commit()
    token = csrf_token_from(html)
    response = client.post(url, data={"csrf_token": token,
                                      f"p_{regs['Alice']}_{ids['slots'][3]}": "present"})
    assert response.status_code == 422
    assert "n&#39;a pas encore eu lieu" in response.get_data(as_text=True)
    with app.app_context():
        assert _count(db.session) == 0


def test_documents_page_lists_certificates(client, login_as, trained, app):
    _mark_some(app, trained)
    regs = trained["regs"]
    login_as("admin")
    html = client.get(f"/formations/sessions/{trained['ids']['session']}/documents"
                      ).get_data(as_text=True)
    assert f"/formations/inscriptions/{regs['Bruno']}/attestation.pdf" in html
    assert f"/formations/inscriptions/{regs['Chloé']}/attestation.pdf" not in html
    assert "3 sur 5" in html and "Toutes les attestations (ZIP)" in html


def test_ml_reads_only_its_own_trainees_certificates(client, login_as, trained, app):
    _mark_some(app, trained)
    regs = trained["regs"]
    login_as("ml")  # Libournais: Alice and Bruno; David is Pau's
    assert client.get(f"/formations/inscriptions/{regs['Alice']}/attestation.pdf"
                      ).status_code == 200
    assert client.get(f"/formations/inscriptions/{regs['David']}/attestation.pdf"
                      ).status_code == 404
    assert client.get("/formations/inscriptions/999999/attestation.pdf").status_code == 404
    session_id = trained["ids"]["session"]
    for url in (f"/formations/sessions/{session_id}/presences",
                f"/formations/sessions/{session_id}/documents",
                f"/formations/sessions/{session_id}/emargement.pdf",
                f"/formations/sessions/{session_id}/attestations.zip"):
        assert client.get(url).status_code == 403, url


@pytest.mark.parametrize("role", ["copil", "financeur"])
def test_other_roles_get_no_documents(client, login_as, trained, app, role):
    _mark_some(app, trained)
    regs, session_id = trained["regs"], trained["ids"]["session"]
    login_as(role)
    for url in (f"/formations/sessions/{session_id}/presences",
                f"/formations/sessions/{session_id}/documents",
                f"/formations/sessions/{session_id}/emargement.pdf",
                f"/formations/sessions/{session_id}/attestations.zip",
                f"/formations/inscriptions/{regs['Alice']}/attestation.pdf"):
        assert client.get(url).status_code == 403, url


def test_anonymous_is_sent_to_login(client, trained):
    session_id = trained["ids"]["session"]
    for url in (f"/formations/sessions/{session_id}/presences",
                f"/formations/sessions/{session_id}/emargement.pdf",
                f"/formations/inscriptions/{trained['regs']['Alice']}/attestation.pdf"):
        response = client.get(url)
        assert response.status_code == 302 and "/connexion" in response.headers["Location"]


def test_unknown_session_is_404(client, login_as, trained):
    login_as("admin")
    for url in ("/formations/sessions/999999/presences", "/formations/sessions/999999/documents",
                "/formations/sessions/999999/emargement.pdf",
                "/formations/sessions/999999/attestations.zip"):
        assert client.get(url).status_code == 404, url


def test_session_page_links_to_attendance_and_documents_for_the_team(client, login_as,
                                                                     trained):
    session_id = trained["ids"]["session"]
    links = (f"/formations/sessions/{session_id}/presences",
             f"/formations/sessions/{session_id}/emargement.pdf",
             f"/formations/sessions/{session_id}/documents")
    login_as("animateur")
    html = client.get(f"/formations/sessions/{session_id}").get_data(as_text=True)
    assert all(link in html for link in links)


def test_session_page_has_no_document_links_for_a_mission_locale(client, login_as, trained):
    session_id = trained["ids"]["session"]
    login_as("ml")
    response = client.get(f"/formations/sessions/{session_id}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "/presences" not in html and "emargement.pdf" not in html
