"""Minutes of council meetings: draft → circulated → approved at a later meeting of the
same series, then read-only; reservations recorded in the approving meeting's minutes;
concurrent edits detected (two database sessions), never overwritten; and the pages.

Data (ORM, dates relative to ``clock.today()``): a series with a meeting held six weeks
ago (m1, four invitees), one held a week ago (m2) and one to come (m3); another series
with a held meeting (other). Every refusal is a French message and the database,
re-read, is unchanged.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import clock
from models.accounts.orm import User
from models.audit import set_actor
from models.councils import minutes as mins
from models.councils.enums import InviteeKind, MeetingStatus, MinutesStatus, Presence
from models.councils.orm import Meeting, Minutes, MinutesReservation
from models.errors import ConcurrentEdit, DomainError, PermissionDenied, ValidationFailed
from models.mail.orm import OutboxMessage
from tests.conftest import csrf_token_from
from tests.test_councils_attendance import invite, make_meeting, make_series
from webapp.extensions import db

HELD = MeetingStatus.TENU


def build(s, ids: dict) -> dict:
    set_actor(s, None, via="cli")
    today = clock.today()
    series = make_series(s, "Conseil technique des directeurs")
    m1 = make_meeting(s, series, today - timedelta(days=42), status=HELD)
    m2 = make_meeting(s, series, today - timedelta(days=7), status=HELD)
    m3 = make_meeting(s, series, today + timedelta(days=35))
    other_series = make_series(s, "Groupe de travail numérique")
    other = make_meeting(s, other_series, today - timedelta(days=3), status=HELD)
    invite(s, m1, "Anne Aubert", ml_id=ids["ml_a"], presence=Presence.PRESENT)
    invite(s, m1, "Bruno Bayle", ml_id=ids["ml_b"], presence=Presence.EXCUSE)
    invite(s, m1, "Fanny Fin", kind=InviteeKind.INVITE, email="fin@test.fr",
           organisation="Conseil régional", presence=Presence.PRESENT)
    invite(s, m1, "Gilles Garat", kind=InviteeKind.INVITE, email=" Gilles@DREETS.fr ".strip()
           .lower(), organisation="DREETS", presence=Presence.ABSENT)
    s.commit()
    return {"series": series.id, "m1": m1.id, "m2": m2.id, "m3": m3.id, "other": other.id}


@pytest.fixture
def c(session, world):
    out = build(session, world["ids"])
    out["admin"] = session.get(User, world["ids"]["admin"])
    return out


def M(s, c, key: str) -> Meeting:  # noqa: N802 (reads like a name)
    return s.get(Meeting, c[key])


def reread(s, minutes_id: int) -> Minutes:
    s.expire_all()
    return s.get(Minutes, minutes_id)


def circulated(s, c, key: str = "m1", body: str = "Tour de table des directeurs.") -> Minutes:
    minutes = mins.save_minutes(s, None, M(s, c, key), body)
    mins.circulate_minutes(s, None, minutes)
    s.commit()
    return minutes


# ---------------------------------------------------------------- domain
def test_write_edit_circulate(session, c):
    s = session
    minutes = mins.save_minutes(s, c["admin"], M(s, c, "m1"), "  Premier jet.\r\nSuite.  ")
    s.commit()
    assert (minutes.body, MinutesStatus(minutes.status), minutes.written_by) == (
        "Premier jet.\nSuite.", MinutesStatus.BROUILLON, "Ada Admin")
    version = minutes.version_id
    mins.save_minutes(s, c["admin"], M(s, c, "m1"), "Texte complet.", expected_version=version)
    s.commit()
    assert reread(s, minutes.id).body == "Texte complet."
    count = mins.circulate_minutes(s, c["admin"], reread(s, minutes.id),
                                   link="https://exemple.fr/cr")
    s.commit()
    assert count == 4
    minutes = reread(s, minutes.id)
    assert MinutesStatus(minutes.status) is MinutesStatus.DIFFUSE
    assert minutes.circulated_at is not None
    message = s.scalars(select(OutboxMessage).where(
        OutboxMessage.kind == mins.KIND_CIRCULATED)).one()
    assert (message.subject_type, message.subject_id) == ("council_meeting", c["m1"])
    assert message.recipients == sorted(["anne.aubert@exemple.fr", "bruno.bayle@exemple.fr",
                                         "fin@test.fr", "gilles@dreets.fr"])
    assert "Texte complet." in message.body and "https://exemple.fr/cr" in message.body
    assert "Compte rendu — Conseil technique des directeurs du" in message.subject
    # circulated minutes may still be corrected before approval
    mins.save_minutes(s, c["admin"], M(s, c, "m1"), "Texte corrigé.")
    s.commit()
    assert MinutesStatus(reread(s, minutes.id).status) is MinutesStatus.DIFFUSE


def test_minutes_only_for_a_held_meeting_and_bounded(session, c):
    s = session
    with pytest.raises(ValidationFailed, match="réunion tenue"):
        mins.save_minutes(s, None, M(s, c, "m3"), "Trop tôt.")
    s.rollback()
    assert M(s, c, "m3").minutes is None
    with pytest.raises(ValidationFailed, match="dépasse 50"):
        mins.save_minutes(s, None, M(s, c, "m1"), "x" * 50_001)
    s.rollback()
    s.expire_all()
    assert M(s, c, "m1").minutes is None
    mins.save_minutes(s, None, M(s, c, "m1"), "x" * 50_000)  # the limit itself is fine
    s.commit()
    with pytest.raises(DomainError, match="vide"):
        mins.save_minutes(s, None, M(s, c, "m2"), "")
        mins.circulate_minutes(s, None, M(s, c, "m2").minutes)


def test_only_the_team_writes(session, c, world):
    s = session
    minutes = circulated(s, c)
    for role in ("copil", "ml", "financeur"):
        user = s.get(User, world["ids"][role])
        with pytest.raises(PermissionDenied):
            mins.save_minutes(s, user, M(s, c, "m1"), "Piraté.")
        with pytest.raises(PermissionDenied):
            mins.circulate_minutes(s, user, minutes)
        with pytest.raises(PermissionDenied):
            mins.approve_minutes(s, user, minutes, M(s, c, "m2"))
    assert reread(s, minutes.id).body == "Tour de table des directeurs."


APPROVAL_REFUSALS = [
    ("its own meeting", "m1", "lors de sa propre réunion"),
    ("another series", "other", "appartient à une autre instance"),
    ("a meeting to come", "m3", "n'a pas encore eu lieu"),
]


@pytest.mark.parametrize("label,at,message", APPROVAL_REFUSALS,
                         ids=[r[0] for r in APPROVAL_REFUSALS])
def test_approval_refusals(session, c, label, at, message):
    s = session
    minutes = circulated(s, c)
    with pytest.raises(DomainError, match=message):
        mins.approve_minutes(s, c["admin"], minutes, M(s, c, at))
    s.rollback()
    minutes = reread(s, minutes.id)
    assert MinutesStatus(minutes.status) is MinutesStatus.DIFFUSE
    assert (minutes.approved_at, minutes.approved_in_id) == (None, None)


def test_approval_at_an_earlier_or_cancelled_meeting_or_of_a_draft(session, c):
    s = session
    later = circulated(s, c, "m2")
    with pytest.raises(DomainError, match="ne suit pas celle du"):
        mins.approve_minutes(s, None, later, M(s, c, "m1"))
    s.rollback()
    draft = mins.save_minutes(s, None, M(s, c, "m1"), "Brouillon.")
    s.commit()
    with pytest.raises(DomainError, match="encore un brouillon"):
        mins.approve_minutes(s, None, draft, M(s, c, "m2"))
    s.rollback()
    mins.circulate_minutes(s, None, reread(s, draft.id))
    M(s, c, "m2").status = MeetingStatus.ANNULE
    s.commit()
    with pytest.raises(DomainError, match="est annulée"):
        mins.approve_minutes(s, None, reread(s, draft.id), M(s, c, "m2"))
    s.rollback()
    assert MinutesStatus(reread(s, draft.id).status) is MinutesStatus.DIFFUSE
    assert MinutesStatus(reread(s, later.id).status) is MinutesStatus.DIFFUSE


def test_approve_then_read_only(session, c):
    s = session
    minutes = circulated(s, c)
    assert [m.id for m in mins.eligible_for_approval(s, M(s, c, "m2"))] == [minutes.id]
    assert mins.eligible_for_approval(s, M(s, c, "m1")) == []
    mins.approve_minutes(s, c["admin"], minutes, M(s, c, "m2"),
                         expected_version=minutes.version_id)
    s.commit()
    minutes = reread(s, minutes.id)
    assert MinutesStatus(minutes.status) is MinutesStatus.APPROUVE
    assert minutes.approved_in_id == c["m2"] and minutes.approved_at is not None
    assert [m.id for m in mins.approved_at(s, M(s, c, "m2"))] == [minutes.id]
    assert mins.eligible_for_approval(s, M(s, c, "m2")) == []
    # twice
    with pytest.raises(DomainError, match="déjà approuvé lors de la réunion du"):
        mins.approve_minutes(s, c["admin"], minutes, M(s, c, "m2"))
    s.rollback()
    # editing approved minutes, circulating them again
    with pytest.raises(DomainError, match="approuvé lors de la réunion du .* ne se modifie "
                                          "plus"):
        mins.save_minutes(s, c["admin"], M(s, c, "m1"), "Réécriture.")
    s.rollback()
    with pytest.raises(DomainError, match="ne se modifie plus"):
        mins.circulate_minutes(s, c["admin"], reread(s, minutes.id))
    s.rollback()
    minutes = reread(s, minutes.id)
    assert minutes.body == "Tour de table des directeurs."
    assert minutes.approved_in_id == c["m2"]
    assert s.scalar(select(OutboxMessage.id).where(OutboxMessage.kind == mins.KIND_CIRCULATED)
                    .order_by(OutboxMessage.id.desc())) is not None


def test_reservations_after_approval(session, c):
    s = session
    minutes = circulated(s, c)
    with pytest.raises(ValidationFailed, match="n'est pas approuvé"):
        mins.add_reservation(s, None, minutes, M(s, c, "m2"), "Correction.")
    s.rollback()
    mins.approve_minutes(s, None, reread(s, minutes.id), M(s, c, "m2"))
    s.commit()
    with pytest.raises(ValidationFailed, match="réunion qui a approuvé"):
        mins.add_reservation(s, None, reread(s, minutes.id), M(s, c, "other"), "Ailleurs.")
    s.rollback()
    with pytest.raises(ValidationFailed, match="Écrivez la réserve"):
        mins.add_reservation(s, None, reread(s, minutes.id), M(s, c, "m2"), "   ")
    s.rollback()
    assert s.scalars(select(MinutesReservation)).all() == []
    reservation = mins.add_reservation(s, c["admin"], reread(s, minutes.id), M(s, c, "m2"),
                                       "Bruno Bayle était excusé, non absent.")
    s.commit()
    assert reservation.author == "Ada Admin"
    assert [r.text for r in mins.reservations_at(s, M(s, c, "m2"))] == [
        "Bruno Bayle était excusé, non absent."]
    assert mins.reservations_at(s, M(s, c, "m1")) == []
    # once the approving meeting's own minutes are approved, no more reservations there
    m2_minutes = mins.save_minutes(s, None, M(s, c, "m2"), "CR de m2.")
    m2_minutes.status = MinutesStatus.APPROUVE
    s.commit()
    with pytest.raises(ValidationFailed, match="approuvé à son tour"):
        mins.add_reservation(s, None, reread(s, minutes.id), M(s, c, "m2"), "Trop tard.")
    s.rollback()
    assert len(s.scalars(select(MinutesReservation)).all()) == 1


def test_concurrent_edit_of_the_same_minutes(session, c, app):
    """Two editors open the same minutes; the second to save is refused, nothing is
    overwritten — with the page's version, and even without it (the flush's check)."""
    s = session
    minutes = mins.save_minutes(s, None, M(s, c, "m1"), "Version initiale.")
    s.commit()
    loaded = minutes.version_id
    s.expire_all()
    mine = s.get(Minutes, minutes.id)
    assert mine.body == "Version initiale."  # loaded in this session, at `loaded`
    with Session(db.engine) as other:
        set_actor(other, None, via="cli")
        theirs = other.get(Minutes, minutes.id)
        mins.save_minutes(other, None, theirs.meeting, "Version de l'autre.",
                          expected_version=loaded)
        other.commit()
    with pytest.raises(ConcurrentEdit):
        mins.save_minutes(s, None, mine.meeting, "Ma version.", expected_version=loaded)
    s.rollback()
    assert reread(s, minutes.id).body == "Version de l'autre."
    # without the page's version: the stale object's flush is refused the same way
    mine = s.get(Minutes, minutes.id)
    with Session(db.engine) as other:
        set_actor(other, None, via="cli")
        mins.save_minutes(other, None, other.get(Meeting, c["m1"]), "Troisième version.")
        other.commit()
    with pytest.raises(ConcurrentEdit):
        mins.save_minutes(s, None, mine.meeting, "Ma version.")
    s.rollback()
    assert reread(s, minutes.id).body == "Troisième version."
    # an editor who saw no minutes (version 0) does not overwrite those created meanwhile
    with pytest.raises(ConcurrentEdit):
        mins.save_minutes(s, None, M(s, c, "m1"), "Premier jet.", expected_version=0)
    s.rollback()
    assert reread(s, minutes.id).body == "Troisième version."


def test_concurrent_approval(session, c):
    s = session
    minutes = circulated(s, c)
    version = minutes.version_id
    with Session(db.engine) as other:
        set_actor(other, None, via="cli")
        mins.save_minutes(other, None, other.get(Meeting, c["m1"]), "Corrigé entre-temps.",
                          expected_version=version)
        other.commit()
    with pytest.raises(ConcurrentEdit):
        mins.approve_minutes(s, None, reread(s, minutes.id), M(s, c, "m2"),
                             expected_version=version)
    s.rollback()
    assert MinutesStatus(reread(s, minutes.id).status) is MinutesStatus.DIFFUSE


def test_record_groups_participants(session, c):
    s = session
    record = mins.minutes_record(s, M(s, c, "m1"))
    p = record.participants
    assert [i.full_name for i in p.present] == ["Anne Aubert"]
    assert [i.full_name for i in p.excused] == ["Bruno Bayle"]
    assert [i.full_name for i in p.guests] == ["Fanny Fin", "Gilles Garat"]
    assert record.approval_text == "Projet — non approuvé"


# ---------------------------------------------------------------- web
def _url(c, key: str = "m1", tail: str = "") -> str:
    return f"/conseils/reunions/{c[key]}/compte-rendu{tail}"


def test_team_writes_circulates_and_approves_on_the_pages(session, c, login_as):
    s = session
    client = login_as("animateur")
    page = client.get(_url(c))
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'name="body"' in html
    token = csrf_token_from(html)
    assert client.post(_url(c), data={"csrf_token": token, "body": "Ouverture.",
                                      "version_id": "0"}).status_code == 302
    minutes = M(s, c, "m1").minutes
    assert minutes.body == "Ouverture."
    # a stale page: refused, nothing overwritten
    stale = client.post(_url(c), data={"csrf_token": token, "body": "Ancienne page.",
                                       "version_id": "0"}, follow_redirects=True)
    assert "modifiée par quelqu" in stale.get_data(as_text=True)
    assert reread(s, minutes.id).body == "Ouverture."
    too_long = client.post(_url(c), data={"csrf_token": token, "body": "x" * 50_001,
                                          "version_id": minutes.version_id})
    assert too_long.status_code == 422
    assert "dépasse 50000 caractères" in too_long.get_data(as_text=True)
    done = client.post(_url(c, tail="/diffuser"), data={
        "csrf_token": token, "version_id": reread(s, minutes.id).version_id},
        follow_redirects=True)
    assert "Compte rendu diffusé à 4 personne(s)" in done.get_data(as_text=True)
    # approval at m2: the form lists m1's minutes
    page2 = client.get(_url(c, "m2")).get_data(as_text=True)
    assert "Approuver" in page2 and f'<option value="{minutes.id}:{minutes.version_id}"' in page2
    own = client.post(_url(c, tail="/approuver"), data={"csrf_token": token,
                                                        "minutes_id": minutes.id},
                      follow_redirects=True)
    assert "lors de sa propre réunion" in own.get_data(as_text=True)
    ok = client.post(_url(c, "m2", "/approuver"), data={"csrf_token": token,
                                                        "minutes_id": minutes.id},
                     follow_redirects=True)
    assert "est approuvé" in ok.get_data(as_text=True)
    assert MinutesStatus(reread(s, minutes.id).status) is MinutesStatus.APPROUVE
    reservation = client.post(_url(c, "m2", "/reserves"), data={
        "csrf_token": token, "minutes_id": minutes.id, "text": "Précision sur le point 2."},
        follow_redirects=True)
    assert "Précision sur le point 2." in reservation.get_data(as_text=True)
    # approved: read-only page, an edit posted anyway is refused
    html = client.get(_url(c)).get_data(as_text=True)
    assert 'name="body"' not in html and "ne se modifie plus" in html
    refused = client.post(_url(c), data={"csrf_token": token, "body": "Réécrit.",
                                         "version_id": reread(s, minutes.id).version_id},
                          follow_redirects=True)
    assert "ne se modifie plus" in refused.get_data(as_text=True)
    assert reread(s, minutes.id).body == "Ouverture."


def test_readers_see_minutes_per_the_rule(session, c, login_as, client, world):
    s = session
    minutes = mins.save_minutes(s, None, M(s, c, "m1"), "Texte du brouillon.")
    s.commit()

    def as_(role: str, url: str):
        client.post("/deconnexion")
        login_as(role)
        return client.get(url)

    # a draft: the copil and the ml read "not available yet"; the PDF does not exist
    for role in ("copil", "ml"):
        page = as_(role, _url(c))
        assert page.status_code == 200
        text = page.get_data(as_text=True)
        assert "pas encore disponible" in text and "Texte du brouillon" not in text
        assert client.get(_url(c, tail=".pdf")).status_code == 404
    # circulated: the invited ml (ml_a) and the invited funder read it, the copil not yet
    mins.circulate_minutes(s, None, reread(s, minutes.id))
    s.commit()
    assert "Texte du brouillon" in as_("ml", _url(c)).get_data(as_text=True)
    assert client.get(_url(c, tail=".pdf")).status_code == 200
    assert "Texte du brouillon" in as_("financeur", _url(c)).get_data(as_text=True)
    assert "Texte du brouillon" not in as_("copil", _url(c)).get_data(as_text=True)
    # the funder was not invited to m2: that meeting does not exist for it
    assert as_("financeur", _url(c, "m2")).status_code == 404
    # approved: the copil reads it; nobody but the team writes
    mins.approve_minutes(s, None, reread(s, minutes.id), M(s, c, "m2"))
    s.commit()
    page = as_("copil", _url(c))
    assert "Texte du brouillon" in page.get_data(as_text=True)
    assert 'name="body"' not in page.get_data(as_text=True)
    assert client.post(_url(c), data={"body": "x"}).status_code == 403
    assert client.post(_url(c, "m2", "/approuver"), data={}).status_code == 403
    assert client.get(_url(c, tail=".pdf")).status_code == 200
    assert as_("admin", "/conseils/reunions/999999/compte-rendu").status_code == 404
