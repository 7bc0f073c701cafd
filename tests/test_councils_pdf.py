"""The council documents built with the one PDF toolkit: the feuille d'émargement (one
row per invitee, a signature column, the meeting's header) and the minutes (participants
by presence with proxy holders, agenda, text, decisions with owner and due date, the
"Suivi des décisions", attachments by filename, approvals and reservations, approval
status), checked by their extracted text (pypdf), French dates included.

Data (ORM, dates relative to ``clock.today()``): a series with proxies and quorum, m1
held six weeks ago with its agenda, an attachment, two decisions and circulated minutes;
m2 held a week ago, where m1's minutes are approved with a reservation.
"""

from __future__ import annotations

import hashlib
import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from pypdf import PdfReader

from models import clock
from models.audit import set_actor
from models.councils import attendance as att
from models.councils import minutes as mins
from models.councils.decisions import DecisionData, record_decision
from models.councils.enums import InviteeKind, ItemKind, MeetingStatus, Presence
from models.councils.orm import AgendaAttachment, AgendaItem, Meeting
from models.formatting import format_date
from tests.test_councils_attendance import invite, make_meeting, make_series
from webapp.pdf.council_documents import attendance_sheet_pdf, minutes_pdf

GENERATED = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
P, E, A, R = Presence.PRESENT, Presence.EXCUSE, Presence.ABSENT, Presence.REPRESENTE


def text_of(body: bytes) -> str:
    """The PDF's text on one line: no-break spaces and line breaks as single spaces."""
    raw = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(body)).pages)
    return re.sub(r"\s+", " ", raw.replace("\u00a0", " ").replace("\u202f", " "))


@pytest.fixture
def docs(session, programme_world):
    s = session
    ids = programme_world["ids"]
    set_actor(s, None, via="cli")
    today = clock.today()
    series = make_series(s, "Conseil technique des directeurs", proxies_enabled=True,
                         quorum_enabled=True, quorum_threshold=2)
    m1 = make_meeting(s, series, today - timedelta(days=42), video_link="https://visio.fr/ct")
    m2 = make_meeting(s, series, today - timedelta(days=7))
    people = {
        "Anne": invite(s, m1, "Anne Aubert", ml_id=ids["ml_a"]),
        "Bruno": invite(s, m1, "Bruno Bayle", ml_id=ids["ml_b"]),
        "Claire": invite(s, m1, "Claire Castel"),
        "David": invite(s, m1, "David Dupuy"),
        "Gilles": invite(s, m1, "Gilles Garat", kind=InviteeKind.INVITE,
                         organisation="DREETS Nouvelle-Aquitaine"),
    }
    item = AgendaItem(series_id=series.id, meeting_id=m1.id, position=1,
                      kind=ItemKind.INFORMATION, title="Point sur le Contrat d'engagement "
                      "jeune", presenter="Sophie Lambert", duration_minutes=30)
    s.add(item)
    s.flush()
    content = b"%PDF-1.4 bilan"
    s.add(AgendaAttachment(item_id=item.id, filename="bilan-cej-2026.pdf",
                           mimetype="application/pdf", size=len(content),
                           sha256=hashlib.sha256(content).hexdigest(), content=content))
    att.hold_meeting(s, None, m1, {
        people["Anne"].id: (P, None), people["Bruno"].id: (R, people["Anne"].id),
        people["Claire"].id: (E, None), people["David"].id: (A, None),
        people["Gilles"].id: (P, None)})
    first = record_decision(s, None, DecisionData(
        text="Rédiger une note commune sur le CEJ", owner_member_id=ids["member"],
        due_date=m1.day + timedelta(days=20)), meeting=m1)
    second = record_decision(s, None, DecisionData(
        text="Partager le tableau de suivi des PMSMP", owner_ml_id=ids["ml_a"],
        owner_person="Anne Aubert", due_date=m1.day + timedelta(days=90)), meeting=m1)
    minutes = mins.save_minutes(s, None, m1, "Ouverture par la présidente.\n\nLes "
                                "directeurs échangent sur le CEJ : <script>alert(1)</script>.")
    mins.circulate_minutes(s, None, minutes)
    anne2 = invite(s, m2, "Anne Aubert", ml_id=ids["ml_a"])
    att.hold_meeting(s, None, m2, {anne2.id: (P, None)})
    mins.approve_minutes(s, None, minutes, m2)
    mins.add_reservation(s, None, minutes, m2, "Bruno Bayle avait donné pouvoir par écrit.")
    s.commit()
    return {"m1": m1.id, "m2": m2.id, "first": first.id, "second": second.id}


def _minutes_text(s, meeting_id: int) -> str:
    meeting = s.get(Meeting, meeting_id)
    body = minutes_pdf(mins.minutes_record(s, meeting), "ARML Nouvelle-Aquitaine", GENERATED,
                       clock.today())
    assert body.startswith(b"%PDF")
    return text_of(body)


def test_minutes_pdf_of_approved_minutes(session, docs):
    s = session
    m1, m2 = s.get(Meeting, docs["m1"]), s.get(Meeting, docs["m2"])
    text = _minutes_text(s, docs["m1"])
    assert "Compte rendu — Conseil technique des directeurs" in text
    assert f"Réunion du {format_date(m1.day)}, 9 h 30 – 12 h 30" in text
    assert f"Approuvé lors de la réunion du {format_date(m2.day)}" in text
    assert "Projet — non approuvé" not in text
    assert re.search(r"\d{1,2}(er)? [a-zéû]+ 20\d\d", text)  # French dates, never 03/09
    # participants by presence, the proxy holder named
    assert "Présent·es (1) Anne Aubert (Mission locale du Libournais)" in text
    assert ("Représenté·es (1) Bruno Bayle (Mission locale Pau Pyrénées), représenté·e par "
            "Anne Aubert") in text
    assert "Excusé·es (1) Claire Castel" in text and "Absent·es (1) David Dupuy" in text
    assert "Gilles Garat" in text and "DREETS Nouvelle-Aquitaine" in text
    assert "Quorum atteint : 1 présent·e(s) et 1 représenté·e(s) sur 4 membre(s) (seuil : 2)" \
        in text
    # agenda, text (markup shown as text), decisions with owner and due date, attachments
    assert "Point sur le Contrat d'engagement jeune" in text and "Sophie Lambert" in text
    assert "Ouverture par la présidente." in text and "<script>alert(1)</script>" in text
    assert "Rédiger une note commune sur le CEJ" in text
    assert "Partager le tableau de suivi des PMSMP" in text
    assert "Mission locale du Libournais — Anne Aubert" in text
    assert format_date(m1.day + timedelta(days=20)) in text
    assert format_date(m1.day + timedelta(days=90)) in text
    assert "bilan-cej-2026.pdf" in text
    assert "Aucune décision antérieure à suivre." in text
    # its own reservation, recorded at m2
    assert "Bruno Bayle avait donné pouvoir par écrit." in text


def test_minutes_pdf_of_the_approving_meeting(session, docs):
    s = session
    m1 = s.get(Meeting, docs["m1"])
    text = _minutes_text(s, docs["m2"])
    assert "Projet — non approuvé" in text
    assert "Le compte rendu n'est pas encore rédigé." in text
    assert f"Le compte rendu de la réunion du {format_date(m1.day)} est approuvé." in text
    assert "Bruno Bayle avait donné pouvoir par écrit." in text  # reservation at m2
    # the "Suivi des décisions" carries m1's open decisions; the first one is overdue
    suivi = text.split("Suivi des décisions", 1)[1]
    assert "Rédiger une note commune sur le CEJ" in suivi
    assert "Partager le tableau de suivi des PMSMP" in suivi
    assert "Ouverte — en retard" in suivi
    assert "Aucune décision n'a été prise lors de cette réunion." in text


def test_minutes_pdf_is_reproducible(session, docs):
    s = session
    record = mins.minutes_record(s, s.get(Meeting, docs["m1"]))
    first = minutes_pdf(record, "ARML", GENERATED, clock.today())
    assert first == minutes_pdf(record, "ARML", GENERATED, clock.today())


def test_attendance_sheet(session, docs):
    s = session
    m1 = s.get(Meeting, docs["m1"])
    text = text_of(attendance_sheet_pdf(m1, "ARML Nouvelle-Aquitaine", GENERATED))
    assert "Feuille d'émargement" in text and "ARML Nouvelle-Aquitaine" in text
    assert "Conseil technique des directeurs" in text and format_date(m1.day) in text
    assert "9 h 30 – 12 h 30" in text and "ARML, 12 rue des Lilas, Bordeaux" in text
    assert "https://visio.fr/ct" in text
    assert "Nom et prénom Structure Qualité Pouvoir donné à Signature" in text
    # members first (by name), then guests; the proxy holder written on the represented row
    order = [text.index(n) for n in ("AUBERT", "BAYLE", "CASTEL", "DUPUY", "GARAT")]
    assert order == sorted(order)
    assert "BAYLE Bruno Mission locale Pau Pyrénées Membre Anne Aubert" in text
    assert "GARAT Gilles DREETS Nouvelle-Aquitaine Invité·e" in text
    assert "Page 1 sur 1" in text


def test_attendance_sheet_without_proxies_and_empty(session, docs):
    s = session
    m1 = s.get(Meeting, docs["m1"])
    m1.series.proxies_enabled = False
    s.flush()
    text = text_of(attendance_sheet_pdf(m1, "ARML", GENERATED))
    assert "Pouvoir donné à" not in text
    assert "Nom et prénom Structure Qualité Signature" in text
    empty = make_meeting(s, m1.series, clock.today() + timedelta(days=14),
                         status=MeetingStatus.PLANIFIE)
    text = text_of(attendance_sheet_pdf(empty, "ARML", GENERATED))
    assert "Personne n'est encore invité·e à cette réunion." in text
    s.rollback()


def test_pdf_routes(session, docs, login_as, client):
    login_as("admin")
    response = client.get(f"/conseils/reunions/{docs['m1']}/compte-rendu.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert "compte-rendu-conseil-technique-des-directeurs-" in \
        response.headers["Content-Disposition"]
    assert "Approuvé lors de la réunion du" in text_of(response.data)
    draft = client.get(f"/conseils/reunions/{docs['m2']}/compte-rendu.pdf")
    assert "Projet — non approuvé" in text_of(draft.data)
    client.post("/deconnexion")
    login_as("copil")  # approved minutes: yes; the approving meeting's (none yet): no
    assert client.get(f"/conseils/reunions/{docs['m1']}/compte-rendu.pdf").status_code == 200
    assert client.get(f"/conseils/reunions/{docs['m2']}/compte-rendu.pdf").status_code == 404
    assert client.get(f"/conseils/reunions/{docs['m1']}/emargement.pdf").status_code == 403
