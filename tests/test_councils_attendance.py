"""Attendance at council meetings: presences, proxies (a present member of the same
meeting, never oneself, never a chain, at most N), quorum, holding a meeting, the
rates; and the attendance page with the émargement PDF.

Data: series, meetings and invitees are created directly with the ORM (the helpers
below, also used by the minutes and PDF tests). Dates are relative to ``clock.today()``.
Every refused input leaves the database as it was (checked by re-reading it).
"""

from __future__ import annotations

import io
from datetime import date, time, timedelta
from decimal import Decimal

import pytest
from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import clock
from models.accounts.orm import User
from models.audit import set_actor
from models.councils import attendance as att
from models.councils.enums import (
    InviteeKind,
    MeetingStatus,
    MinutesStatus,
    Presence,
    SeriesKind,
)
from models.councils.orm import CouncilSeries, Invitee, Meeting, Minutes
from models.errors import ConcurrentEdit, DomainError, PermissionDenied, ValidationFailed
from tests.conftest import csrf_token_from
from webapp.extensions import db

P, E, A, R = Presence.PRESENT, Presence.EXCUSE, Presence.ABSENT, Presence.REPRESENTE
MEMBERS = ("Anne Aubert", "Bruno Bayle", "Claire Castel", "David Dupuy", "Emma Etcheverry")


# ---------------------------------------------------------------- helpers (shared)
def make_series(s, name: str = "Conseil technique des directeurs", **options) -> CouncilSeries:
    series = CouncilSeries(name=name, kind=options.pop("kind", SeriesKind.CONSEIL),
                           rhythm_weeks=6, default_place="ARML, Bordeaux", **options)
    s.add(series)
    s.flush()
    return series


def make_meeting(s, series: CouncilSeries, day: date, *,
                 status: MeetingStatus = MeetingStatus.CONVOQUE, **options) -> Meeting:
    meeting = Meeting(series=series, day=day, starts_at=time(9, 30), ends_at=time(12, 30),
                      place=options.pop("place", "ARML, 12 rue des Lilas, Bordeaux"),
                      status=status, **options)
    s.add(meeting)
    s.flush()
    return meeting


def invite(s, meeting: Meeting, name: str, *, kind: InviteeKind = InviteeKind.MEMBRE,
           ml_id: int | None = None, email: str | None = None, organisation: str = "",
           answer: Presence | None = None, presence: Presence | None = None) -> Invitee:
    email = email or (name.lower().replace(" ", ".") + "@exemple.fr")
    inv = Invitee(meeting=meeting, kind=kind, mission_locale_id=ml_id, full_name=name,
                  email=email, organisation=organisation, answer=answer, presence=presence)
    s.add(inv)
    s.flush()
    return inv


def council(s, ids: dict, *, proxies: bool = True, quorum: bool = True,
            threshold: int | None = 3, days_ago: int = 7,
            name: str = "Conseil technique des directeurs") -> dict:
    """A series, one meeting ``days_ago`` days ago with five members (Anne for ml_a,
    Bruno for ml_b) and one guest. Returns the ids."""
    set_actor(s, None, via="cli")
    series = make_series(s, name, proxies_enabled=proxies, max_proxies=1,
                         quorum_enabled=quorum, quorum_threshold=threshold)
    meeting = make_meeting(s, series, clock.today() - timedelta(days=days_ago))
    people = {}
    for n, full_name in enumerate(MEMBERS):
        ml = ids["ml_a"] if n == 0 else (ids["ml_b"] if n == 1 else None)
        people[full_name.split()[0]] = invite(s, meeting, full_name, ml_id=ml).id
    people["Gilles"] = invite(s, meeting, "Gilles Garat", kind=InviteeKind.INVITE,
                              organisation="DREETS Nouvelle-Aquitaine").id
    s.commit()
    return {"series": series.id, "meeting": meeting.id, **people}


def presences_of(s, meeting_id: int) -> dict[str, tuple[str | None, str | None]]:
    """Re-read from the database: first name → (presence, holder's first name)."""
    s.expire_all()
    rows = s.scalars(select(Invitee).where(Invitee.meeting_id == meeting_id))
    return {i.full_name.split()[0]: (
        Presence(i.presence).value if i.presence is not None else None,
        i.proxy_holder.full_name.split()[0] if i.proxy_holder is not None else None)
        for i in rows}


@pytest.fixture
def c(session, world):
    out = council(session, world["ids"])
    out["admin"] = session.get(User, world["ids"]["admin"])
    return out


def _sheet(c: dict, **marks) -> dict[int, tuple]:
    """``Anne=P, Bruno=(R, "Anne")`` → {invitee id: (presence, holder id)}."""
    out = {}
    for name, mark in marks.items():
        presence, holder = mark if isinstance(mark, tuple) else (mark, None)
        out[c[name]] = (presence, c[holder] if holder else None)
    return out


# ---------------------------------------------------------------- domain
def test_record_hold_quorum_and_rate(session, c):
    s = session
    meeting = s.get(Meeting, c["meeting"])
    changed = att.record_attendance(s, c["admin"], meeting, _sheet(
        c, Anne=P, Bruno=(R, "Anne"), Claire=P, David=E, Emma=A, Gilles=P))
    s.commit()
    assert changed == 6
    assert presences_of(s, c["meeting"])["Bruno"] == ("represente", "Anne")
    result = att.hold_meeting(s, c["admin"], s.get(Meeting, c["meeting"]))
    s.commit()
    assert MeetingStatus(s.get(Meeting, c["meeting"]).status) is MeetingStatus.TENU
    assert result == att.QuorumResult(present=2, represented=1, members=5, threshold=3,
                                      reached=True)
    meeting = s.get(Meeting, c["meeting"])
    assert att.attendance_rate(meeting) == Decimal("0.6")  # guests never count
    by_ml = att.attendance_by_ml([meeting])
    assert (by_ml[c_ml(s, c, "Anne")].attended, by_ml[c_ml(s, c, "Bruno")].attended) == (1, 1)
    # same values again: nothing changes
    assert att.record_attendance(s, c["admin"], meeting, _sheet(c, Anne=P)) == 0


def c_ml(s, c: dict, name: str) -> int:
    return s.get(Invitee, c[name]).mission_locale_id


def test_quorum_missed_majority_default_and_switched_off(session, c):
    s = session
    series = s.get(CouncilSeries, c["series"])
    series.quorum_threshold = None  # a simple majority of the 5 members: 3
    s.commit()
    meeting = s.get(Meeting, c["meeting"])
    att.record_attendance(s, None, meeting, _sheet(c, Anne=P, Bruno=(R, "Anne"), Claire=E,
                                                   David=E, Emma=A, Gilles=P))
    s.commit()
    assert att.quorum(meeting) == att.QuorumResult(1, 1, 5, 3, False)
    assert att.quorum(meeting).counted == 2
    series.quorum_enabled = False
    s.commit()
    off = att.quorum(s.get(Meeting, c["meeting"]))
    assert (off.enabled, off.reached, off.threshold) == (False, None, None)


BAD_PROXIES = [
    ("oneself", dict(Anne=P, Bruno=(R, "Bruno")), "Bruno", "soi-même"),
    ("chain", dict(Anne=P, Claire=(R, "Anne"), Bruno=(R, "Claire")), "Bruno", "en chaîne"),
    ("absent holder", dict(Emma=A, Bruno=(R, "Emma")), "Bruno", "n'est pas présent"),
    ("excused holder", dict(Emma=E, Bruno=(R, "Emma")), "Bruno", "n'est pas présent"),
    ("over the maximum", dict(Anne=P, Bruno=(R, "Anne"), Claire=(R, "Anne")), "Anne",
     "1 au plus"),
    ("guest holder", dict(Gilles=P, Bruno=(R, "Gilles")), "Bruno", "pas membre"),
    ("guest represented", dict(Anne=P, Gilles=(R, "Anne")), "Gilles", "seul·e un·e membre"),
    ("no holder", dict(Bruno=R), "Bruno", "choisissez le ou la membre"),
    ("holder not represented", dict(Anne=P, Bruno=(P, "Anne")), "Bruno",
     "ne choisissez pas de mandataire"),
]


@pytest.mark.parametrize("label,marks,who,message", BAD_PROXIES,
                         ids=[b[0] for b in BAD_PROXIES])
def test_bad_proxies_are_refused_and_change_nothing(session, c, label, marks, who, message):
    s = session
    att.record_attendance(s, None, s.get(Meeting, c["meeting"]), _sheet(c, David=P))
    s.commit()
    before = presences_of(s, c["meeting"])
    with pytest.raises(ValidationFailed) as exc:
        att.record_attendance(s, c["admin"], s.get(Meeting, c["meeting"]),
                              _sheet(c, **marks))
    s.rollback()
    assert any(message in m for m in exc.value.errors[f"p_{c[who]}"]), exc.value.errors
    assert presences_of(s, c["meeting"]) == before


def test_a_proxy_whose_holder_becomes_absent_is_refused(session, c):
    """The rules hold on the whole sheet, not only on the rows sent."""
    s = session
    att.record_attendance(s, None, s.get(Meeting, c["meeting"]),
                          _sheet(c, Anne=P, Bruno=(R, "Anne")))
    s.commit()
    before = presences_of(s, c["meeting"])
    with pytest.raises(ValidationFailed, match="Anne Aubert n'est pas présent"):
        att.record_attendance(s, None, s.get(Meeting, c["meeting"]), _sheet(c, Anne=E))
    s.rollback()
    assert presences_of(s, c["meeting"]) == before


def test_represented_when_proxies_are_off(session, world):
    s = session
    c = council(s, world["ids"], proxies=False, quorum=False, threshold=None)
    with pytest.raises(ValidationFailed) as exc:
        att.record_attendance(s, None, s.get(Meeting, c["meeting"]),
                              _sheet(c, Anne=P, Bruno=(R, "Anne")))
    s.rollback()
    assert "les pouvoirs ne sont pas ouverts" in exc.value.errors[f"p_{c['Bruno']}"][0]
    assert presences_of(s, c["meeting"])["Anne"] == (None, None)


def test_presence_for_someone_not_invited(session, c, world):
    s = session
    other = council(s, world["ids"], name="Groupe de travail numérique")
    before = presences_of(s, c["meeting"])
    with pytest.raises(ValidationFailed) as exc:
        att.record_attendance(s, None, s.get(Meeting, c["meeting"]),
                              {c["Anne"]: (P, None), other["Anne"]: (P, None),
                               999_999: (P, None)})
    s.rollback()
    messages = exc.value.errors["__all__"]
    assert any("Anne Aubert n'est pas invité·e à la réunion du" in m for m in messages)
    assert any("Cette personne n'est pas invitée" in m for m in messages)
    assert presences_of(s, c["meeting"]) == before
    assert presences_of(s, other["meeting"])["Anne"] == (None, None)


def test_unknown_presence_value(session, c):
    s = session
    with pytest.raises(ValidationFailed, match="choisissez présent"):
        att.record_attendance(s, None, s.get(Meeting, c["meeting"]), {c["Anne"]: ("peut-être",
                                                                                  None)})


def test_holding_needs_every_presence_and_a_past_day(session, c):
    s = session
    meeting = s.get(Meeting, c["meeting"])
    att.record_attendance(s, None, meeting, _sheet(c, Anne=P, Bruno=P, Claire=P, David=E))
    s.commit()
    before = presences_of(s, c["meeting"])
    with pytest.raises(ValidationFailed) as exc:
        att.hold_meeting(s, c["admin"], s.get(Meeting, c["meeting"]))
    s.rollback()
    assert "il manque : Emma Etcheverry, Gilles Garat" in exc.value.errors["__all__"][0]
    assert f"p_{c['Emma']}" in exc.value.errors
    assert MeetingStatus(s.get(Meeting, c["meeting"]).status) is MeetingStatus.CONVOQUE
    # presences sent with the hold are validated with it, all or nothing
    with pytest.raises(ValidationFailed):
        att.hold_meeting(s, c["admin"], s.get(Meeting, c["meeting"]), _sheet(c, Emma=A))
    s.rollback()
    assert presences_of(s, c["meeting"]) == before
    result = att.hold_meeting(s, c["admin"], s.get(Meeting, c["meeting"]),
                              _sheet(c, Emma=A, Gilles=E))
    s.commit()
    assert result.reached and presences_of(s, c["meeting"])["Gilles"] == ("excuse", None)
    with pytest.raises(DomainError, match="déjà marquée comme tenue"):
        att.hold_meeting(s, c["admin"], s.get(Meeting, c["meeting"]))


def test_future_cancelled_and_empty_meetings(session, c):
    s = session
    meeting = s.get(Meeting, c["meeting"])
    meeting.day = clock.today() + timedelta(days=1)
    s.commit()
    with pytest.raises(ValidationFailed, match="pas encore eu lieu"):
        att.record_attendance(s, None, s.get(Meeting, c["meeting"]), _sheet(c, Anne=P))
    s.rollback()
    with pytest.raises(ValidationFailed, match="pas encore eu lieu"):
        att.hold_meeting(s, None, s.get(Meeting, c["meeting"]))
    s.rollback()
    meeting = s.get(Meeting, c["meeting"])
    meeting.day = clock.today()  # today is fine
    s.commit()
    att.record_attendance(s, None, s.get(Meeting, c["meeting"]), _sheet(c, Anne=P))
    s.commit()
    s.get(Meeting, c["meeting"]).status = MeetingStatus.ANNULE
    s.commit()
    with pytest.raises(ValidationFailed, match="annulée"):
        att.record_attendance(s, None, s.get(Meeting, c["meeting"]), _sheet(c, Anne=E))
    s.rollback()
    empty = make_meeting(s, s.get(CouncilSeries, c["series"]), clock.today() - timedelta(1))
    s.commit()
    with pytest.raises(ValidationFailed, match="Personne n'est invité"):
        att.hold_meeting(s, None, empty)
    s.rollback()
    assert presences_of(s, c["meeting"])["Anne"] == ("present", None)


def test_approved_minutes_freeze_attendance(session, c):
    s = session
    meeting = s.get(Meeting, c["meeting"])
    att.hold_meeting(s, None, meeting, _sheet(c, Anne=P, Bruno=P, Claire=P, David=P, Emma=P,
                                             Gilles=P))
    s.add(Minutes(meeting=meeting, body="Compte rendu.", status=MinutesStatus.APPROUVE))
    s.commit()
    with pytest.raises(ValidationFailed, match="compte rendu de cette réunion est approuvé"):
        att.record_attendance(s, None, s.get(Meeting, c["meeting"]), _sheet(c, Anne=E))
    s.rollback()
    assert presences_of(s, c["meeting"])["Anne"] == ("present", None)


def test_only_the_team_records_attendance(session, c, world):
    s = session
    for role in ("copil", "ml", "financeur"):
        user = s.get(User, world["ids"][role])
        with pytest.raises(PermissionDenied):
            att.record_attendance(s, user, s.get(Meeting, c["meeting"]), _sheet(c, Anne=P))
        with pytest.raises(PermissionDenied):
            att.hold_meeting(s, user, s.get(Meeting, c["meeting"]))
    assert presences_of(s, c["meeting"])["Anne"] == (None, None)


def test_stale_versions_are_refused(session, c, app):
    """Two people at the attendance page: the second save, based on what the first
    changed, is refused and nothing is overwritten."""
    s = session
    meeting = s.get(Meeting, c["meeting"])
    seen = {i.id: i.version_id for i in meeting.invitees}
    seen_meeting = meeting.version_id
    with Session(db.engine) as other:
        other.get(Invitee, c["Anne"]).presence = Presence.EXCUSE
        other.commit()
    s.expire_all()
    with pytest.raises(ConcurrentEdit):
        att.record_attendance(s, None, s.get(Meeting, c["meeting"]), _sheet(c, Anne=P),
                              expected_versions=seen)
    s.rollback()
    assert presences_of(s, c["meeting"])["Anne"] == ("excuse", None)
    with Session(db.engine) as other:
        other.get(Meeting, c["meeting"]).place = "Visio"
        other.commit()
    with pytest.raises(ConcurrentEdit):
        att.record_attendance(s, None, s.get(Meeting, c["meeting"]), _sheet(c, Anne=P),
                              expected_version=seen_meeting)
    s.rollback()
    assert presences_of(s, c["meeting"])["Anne"] == ("excuse", None)


def test_prefill_from_answers(session, c):
    s = session
    anne, bruno = s.get(Invitee, c["Anne"]), s.get(Invitee, c["Bruno"])
    anne.answer = P
    bruno.answer, bruno.proxy_holder_id = R, c["Anne"]
    s.get(Invitee, c["Claire"]).answer = E
    s.commit()
    meeting = s.get(Meeting, c["meeting"])
    filled = att.prefill(meeting)
    assert filled[c["Anne"]] == (P, None)
    assert filled[c["Bruno"]] == (R, c["Anne"])
    assert filled[c["Claire"]] == (E, None)
    assert filled[c["David"]] == (None, None)
    s.get(CouncilSeries, c["series"]).proxies_enabled = False
    s.commit()
    assert att.prefill(s.get(Meeting, c["meeting"]))[c["Bruno"]] == (E, None)
    # a recorded presence wins over the answer
    att.record_attendance(s, None, s.get(Meeting, c["meeting"]), _sheet(c, Anne=A))
    s.commit()
    assert att.prefill(s.get(Meeting, c["meeting"]))[c["Anne"]] == (A, None)


def test_attendance_by_ml_counts_each_ml_once_per_held_meeting(session, c, world):
    s = session
    series = s.get(CouncilSeries, c["series"])
    first = s.get(Meeting, c["meeting"])
    invite(s, first, "Adjointe Libourne", ml_id=world["ids"]["ml_a"])
    s.commit()
    att.hold_meeting(s, None, first, {i.id: (E, None) for i in first.invitees}
                     | _sheet(c, Anne=A) | {
                         s.scalar(select(Invitee.id).where(
                             Invitee.full_name == "Adjointe Libourne")): (P, None)})
    second = make_meeting(s, series, clock.today() - timedelta(days=1))
    anne2 = invite(s, second, "Anne Aubert", ml_id=world["ids"]["ml_a"])
    bruno2 = invite(s, second, "Bruno Bayle", ml_id=world["ids"]["ml_b"])
    att.hold_meeting(s, None, second, {anne2.id: (E, None), bruno2.id: (P, None)})
    planned = make_meeting(s, series, clock.today() + timedelta(days=30))
    invite(s, planned, "Anne Aubert", ml_id=world["ids"]["ml_a"])
    s.commit()
    rows = att.attendance_by_ml([first, second, planned])
    ml_a, ml_b = rows[world["ids"]["ml_a"]], rows[world["ids"]["ml_b"]]
    assert (ml_a.invited, ml_a.attended, ml_a.rate) == (2, 1, Decimal("0.5"))
    assert (ml_b.invited, ml_b.attended) == (2, 1)


# ---------------------------------------------------------------- web
def _held(session, c) -> None:
    att.hold_meeting(session, None, session.get(Meeting, c["meeting"]),
                     _sheet(c, Anne=P, Bruno=(R, "Anne"), Claire=P, David=E, Emma=A, Gilles=P))
    session.commit()


def test_attendance_page_records_and_holds(session, c, login_as):
    client = login_as("animateur")
    url = f"/conseils/reunions/{c['meeting']}/presences"
    s = session
    s.get(Invitee, c["Anne"]).answer = P  # pre-filled from the answer
    s.commit()
    page = client.get(url)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Marquer la réunion comme tenue" in html
    assert "Quorum" in html and "Mandataire" in html
    assert f'name="p_{c["Anne"]}"' in html
    assert html.count('<option value="present" selected>') == 1  # Anne's answer
    token = csrf_token_from(html)
    meeting = s.get(Meeting, c["meeting"])
    versions = {f"v_{i.id}": i.version_id for i in meeting.invitees}
    form = {"csrf_token": token, "version_id": meeting.version_id, **versions,
            f"p_{c['Anne']}": "present", f"p_{c['Bruno']}": "represente",
            f"h_{c['Bruno']}": c["Bruno"]}
    # a proxy to oneself: re-shown with the French message, nothing written
    bad = client.post(url, data=form)
    assert bad.status_code == 422
    assert "ne peut pas se donner pouvoir à soi-même" in bad.get_data(as_text=True)
    assert presences_of(s, c["meeting"])["Bruno"] == (None, None)
    form[f"h_{c['Bruno']}"] = c["Anne"]
    ok = client.post(url, data=form)
    assert ok.status_code == 302
    assert presences_of(s, c["meeting"])["Bruno"] == ("represente", "Anne")
    # holding with missing presences is refused
    meeting = s.get(Meeting, c["meeting"])
    form.update({f"v_{i.id}": i.version_id for i in meeting.invitees},
                version_id=meeting.version_id, action="tenir")
    refused = client.post(url, data=form)
    assert refused.status_code == 422
    assert "il manque" in refused.get_data(as_text=True)
    form.update({f"p_{c['Claire']}": "present", f"p_{c['David']}": "excuse",
                 f"p_{c['Emma']}": "absent", f"p_{c['Gilles']}": "present"})
    held = client.post(url, data=form, follow_redirects=True)
    assert "La réunion est marquée comme tenue" in held.get_data(as_text=True)
    s.expire_all()
    assert MeetingStatus(s.get(Meeting, c["meeting"]).status) is MeetingStatus.TENU


def test_attendance_page_stale_form(session, c, login_as):
    client = login_as("admin")
    url = f"/conseils/reunions/{c['meeting']}/presences"
    html = client.get(url).get_data(as_text=True)
    meeting = session.get(Meeting, c["meeting"])
    form = {"csrf_token": csrf_token_from(html), "version_id": meeting.version_id,
            f"p_{c['Anne']}": "present",
            **{f"v_{i.id}": i.version_id - 1 for i in meeting.invitees}}
    response = client.post(url, data=form, follow_redirects=True)
    assert "modifiées par quelqu" in response.get_data(as_text=True)
    assert presences_of(session, c["meeting"])["Anne"] == (None, None)


def test_attendance_page_without_proxies_or_quorum(session, world, login_as):
    c = council(session, world["ids"], proxies=False, quorum=False, threshold=None)
    html = login_as("admin").get(f"/conseils/reunions/{c['meeting']}/presences") \
        .get_data(as_text=True)
    assert "Mandataire" not in html and "Quorum" not in html
    assert 'value="represente"' not in html


def test_attendance_page_and_sheet_are_for_the_team(session, c, login_as, client):
    for role in ("copil", "ml"):
        login_as(role)
        assert client.get(f"/conseils/reunions/{c['meeting']}/presences").status_code == 403
        assert client.get(f"/conseils/reunions/{c['meeting']}/emargement.pdf") \
            .status_code == 403
        client.post("/deconnexion")
    login_as("admin")
    assert client.get("/conseils/reunions/999999/presences").status_code == 404
    assert client.get("/conseils/reunions/999999/emargement.pdf").status_code == 404


def test_attendance_sheet_pdf_lists_every_invitee(session, c, login_as):
    _held(session, c)
    response = login_as("animateur").get(f"/conseils/reunions/{c['meeting']}/emargement.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert "emargement-" in response.headers["Content-Disposition"]
    text = " ".join(" ".join(p.extract_text().split())
                    for p in PdfReader(io.BytesIO(response.data)).pages)
    assert "Feuille d'émargement" in text
    for name in ("AUBERT", "BAYLE", "CASTEL", "DUPUY", "ETCHEVERRY", "GARAT"):
        assert name in text
    assert "Signature" in text and "Mission locale du Libournais" in text
    assert "DREETS Nouvelle-Aquitaine" in text
    assert "Pouvoir donné à" in text
