"""Attestation de fin de formation: one A4 page per trainee who attended, stating the
hours actually attended (not the training's nominal duration), and the ZIP of all
a session's certificates."""

from __future__ import annotations

import re
import unicodedata
import zipfile
from datetime import date
from io import BytesIO

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, Spacer, Table

from models.formatting import format_date, format_number, format_ratio
from models.training.attendance import SessionAttendance, TraineeAttendance
from models.training.enums import Modality
from models.training.orm import TrainingSession
from webapp.pdf.attendance_sheet import dates_text
from webapp.pdf.document import BORDER, LIGHT, PdfMeta, build_pdf, derive, table_style, typo

MARGIN = 22 * mm
MARGINS = (MARGIN, MARGIN, 20 * mm, 18 * mm)  # left, right, top, bottom


def hours_text(hours) -> str:
    return f"{format_number(hours, digits=2 if hours % 1 else 0)} heure" + (
        "s" if hours >= 2 else "")


def slug(value: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-") or "stagiaire"


def certificate_filename(trainee: TraineeAttendance) -> str:
    reg = trainee.registration
    return f"attestation-{slug(reg.last_name + ' ' + reg.first_name)}-{reg.id}.pdf"


def _styles() -> dict:
    """The shared styles, a size up: a certificate reads like a letter."""
    return {
        "arml": derive("arml", "attestation_arml", fontSize=12, leading=15),
        "title": derive("title", "attestation_title", fontSize=18, leading=23,
                        alignment=TA_CENTER, spaceBefore=10, spaceAfter=4),
        "cell": derive("body", "attestation_text", fontSize=10.5, leading=14, spaceAfter=0),
        "bold": derive("bold", "attestation_bold", fontSize=10.5, leading=14),
        "small": derive("small", "attestation_small", fontSize=8, leading=10),
    }


def _session_where(ts: TrainingSession) -> str:
    where = ts.place or ""
    if Modality(ts.training.modality) is Modality.DISTANCIEL:
        return "à distance" + (f" ({where})" if where else "")
    if Modality(ts.training.modality) is Modality.MIXTE and ts.video_link:
        return (where + " et " if where else "") + "à distance"
    return where or "—"


def certificate_pdf(trainee: TraineeAttendance, sheet: SessionAttendance, arml_name: str,
                    issued_on: date, signatory: str = "") -> bytes:
    """The PDF bytes of one trainee's certificate; refuses someone who never attended."""
    if not trainee.attended:
        raise ValueError("Pas d'attestation pour une personne absente à toute la session.")
    s = _styles()
    ts, reg = sheet.session, trainee.registration
    training = ts.training
    meta = PdfMeta(title=f"Attestation de fin de formation — {reg.full_name}",
                   author=arml_name or "ARML", subject=training.title,
                   keywords="attestation, formation")
    planned = sheet.total_hours
    rows = [
        ("Stagiaire", f"{reg.first_name} {reg.last_name.upper()}"),
        ("Mission locale", reg.mission_locale.name),
        ("Formation", training.title),
        ("Dates", dates_text(sheet)),
        ("Lieu", _session_where(ts)),
        ("Formateur·rice", ts.trainer or training.trainer or "—"),
        ("Durée de la session", hours_text(planned)),
        ("Assiduité", f"{trainee.present} demi-journée(s) sur {trainee.slots} "
                      f"({format_ratio(trainee.rate)})"),
        ("Heures suivies", hours_text(trainee.hours)),
    ]
    table = Table([[Paragraph(typo(k), s["bold"]), Paragraph(typo(v), s["cell"])]
                   for k, v in rows], colWidths=[45 * mm, A4[0] - 2 * MARGIN - 45 * mm])
    table.setStyle(table_style([
        ("BACKGROUND", (0, 0), (0, -1), LIGHT),
        ("GRID", (0, 0), (-1, -1), 0.5, BORDER),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 4), ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
        ("BACKGROUND", (0, len(rows) - 1), (-1, len(rows) - 1), colors.HexColor("#fff3cd")),
    ]))
    objectives = [line.strip(" -•\t") for line in (training.objectives or "").splitlines()
                  if line.strip(" -•\t")]
    story = [
        Paragraph(typo(arml_name or "ARML"), s["arml"]),
        Paragraph(typo("Attestation de fin de formation"), s["title"]),
        Spacer(1, 6 * mm),
        Paragraph(typo(f"{arml_name or 'L’ARML'} atteste que {reg.first_name} "
                       f"{reg.last_name.upper()} a suivi la formation « {training.title} » "
                       f"{dates_text(sheet)}, pour une durée de {hours_text(trainee.hours)} "
                       "de présence effective, attestée par la feuille d'émargement."),
                  s["cell"]),
        Spacer(1, 5 * mm), table, Spacer(1, 6 * mm),
        Paragraph(typo("Objectifs de la formation"), s["bold"]), Spacer(1, 1.5 * mm),
    ]
    story += [Paragraph("• " + typo(o), s["cell"]) for o in objectives] or [
        Paragraph("—", s["cell"])]
    signature = Table([[Paragraph(
        typo(f"Fait le {format_date(issued_on)}, pour {arml_name or 'l’ARML'}")
        + (f"<br/>{typo(signatory)}" if signatory else "")
        + "<br/><br/>" + typo("Signature et cachet :"), s["cell"])]],
        colWidths=[85 * mm], rowHeights=[40 * mm])
    signature.setStyle(table_style([("BOX", (0, 0), (-1, -1), 0.8, colors.black),
                                   ("VALIGN", (0, 0), (-1, -1), "TOP"),
                                   ("LEFTPADDING", (0, 0), (-1, -1), 6),
                                   ("TOPPADDING", (0, 0), (-1, -1), 6)]))
    signature.hAlign = "RIGHT"
    story += [Spacer(1, 10 * mm), signature, Spacer(1, 8 * mm), Paragraph(typo(
        "Attestation délivrée au vu de la feuille d'émargement signée par demi-journée. "
        f"Organisme de formation : {training.provider or arml_name or 'ARML'}."), s["small"])]
    return build_pdf(story, meta, margins=MARGINS)


def certificates_zip(sheet: SessionAttendance, arml_name: str, issued_on: date,
                     signatory: str = "") -> bytes:
    """Every attendee's certificate in one ZIP (nobody absent from the whole session)."""
    buffer = BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for trainee in sheet.attendees:
            archive.writestr(certificate_filename(trainee),
                             certificate_pdf(trainee, sheet, arml_name, issued_on, signatory))
    return buffer.getvalue()
