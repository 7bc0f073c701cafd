"""The feuille d'émargement of a session: what funders and Qualiopi auditors ask for.

A4 landscape, printed before the session and signed by hand: the session's details,
one row per confirmed trainee (name, mission locale) with one signature box per
half-day, then the trainer's box per half-day. Long lists run over several pages,
the session heading and the column headers repeated on each; a session with many
half-days is split into several grids of at most ``SLOTS_PER_GRID`` half-days.
"""

from __future__ import annotations

from datetime import datetime
from io import BytesIO
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import (
    KeepTogether,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from models.formatting import format_date, format_datetime, format_number
from models.training.attendance import SessionAttendance, slot_hours
from models.training.enums import HalfDay, Modality
from models.training.orm import SessionSlot

ARML_BLUE = colors.HexColor("#1d4f91")
GREY = colors.HexColor("#6c757d")
LIGHT = colors.HexColor("#eef2f8")
PAGE = landscape(A4)
MARGIN = 12 * mm
SLOTS_PER_GRID = 6
NAME_W, ML_W = 62 * mm, 52 * mm
ROW_H = 13 * mm


def text(value: object) -> str:
    """Escape for reportlab's mini-markup; Babel's narrow no-break space is not in the
    built-in fonts' encoding, a plain no-break space is."""
    return escape(str(value)).replace("\u202f", "\u00a0")


def _styles() -> dict[str, ParagraphStyle]:
    base = getSampleStyleSheet()["Normal"]

    def make(name: str, **overrides) -> ParagraphStyle:
        return ParagraphStyle(name, parent=base, **{"fontName": "Helvetica", "fontSize": 9,
                                                    "leading": 11, **overrides})

    return {
        "arml": make("arml", fontName="Helvetica-Bold", fontSize=10, textColor=ARML_BLUE),
        "title": make("title", fontName="Helvetica-Bold", fontSize=14, leading=17),
        "cell": make("cell"),
        "small": make("small", fontSize=7.5, leading=9, textColor=GREY),
        "bold": make("bold", fontName="Helvetica-Bold"),
        "head": make("head", fontName="Helvetica-Bold", textColor=colors.white, fontSize=8.5,
                     leading=10),
        "slothead": make("slothead", fontName="Helvetica-Bold", textColor=colors.white,
                         fontSize=8, leading=9.5, alignment=TA_CENTER),
    }


def slot_label(slot: SessionSlot) -> str:
    """``jeu. 10/12 · matin`` + times, short enough for a column head."""
    days = ("lun.", "mar.", "mer.", "jeu.", "ven.", "sam.", "dim.")
    times = f"{slot.starts_at:%H:%M}–{slot.ends_at:%H:%M}".replace(":", "h")
    return (f"{days[slot.day.weekday()]} {slot.day:%d/%m} · "
            f"{HalfDay(slot.half).label.lower()}\n{times}")


def dates_text(sheet: SessionAttendance) -> str:
    ts = sheet.session
    if ts.start_date == ts.end_date:
        return f"le {format_date(ts.start_date)}"
    return f"du {format_date(ts.start_date)} au {format_date(ts.end_date)}"


def _details(sheet: SessionAttendance, arml_name: str, s: dict) -> Table:
    ts = sheet.session
    training = ts.training
    where = ts.place or ""
    if ts.video_link and Modality(training.modality) is not Modality.PRESENTIEL:
        where = (where + " — " if where else "") + f"à distance : {ts.video_link}"
    hours = format_number(sheet.total_hours, digits=1 if sheet.total_hours % 1 else 0)
    left = [("Formation", training.title), ("Dates", dates_text(sheet)),
            ("Durée", f"{len(sheet.slots)} demi-journée(s), {hours} h")]
    right = [("Lieu", where or "—"), ("Formateur·rice", ts.trainer or training.trainer or "—"),
             ("Organisme", training.provider or arml_name)]
    rows = [[Paragraph(text(k1), s["bold"]), Paragraph(text(v1), s["cell"]),
             Paragraph(text(k2), s["bold"]), Paragraph(text(v2), s["cell"])]
            for (k1, v1), (k2, v2) in zip(left, right, strict=True)]
    width = PAGE[0] - 2 * MARGIN
    table = Table(rows, colWidths=[26 * mm, width / 2 - 26 * mm, 30 * mm, width / 2 - 30 * mm])
    table.setStyle(TableStyle([
        ("BACKGROUND", (0, 0), (0, -1), LIGHT), ("BACKGROUND", (2, 0), (2, -1), LIGHT),
        ("GRID", (0, 0), (-1, -1), 0.5, colors.lightgrey),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 2), ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
    ]))
    return table


def _grid(sheet: SessionAttendance, slots: list[SessionSlot], s: dict) -> list:
    width = PAGE[0] - 2 * MARGIN
    box_w = (width - NAME_W - ML_W) / max(len(slots), 1)
    head = [Paragraph("Nom et prénom", s["head"]), Paragraph("Mission locale", s["head"])]
    head += [Paragraph(text(slot_label(x)).replace("\n", "<br/>"), s["slothead"])
             for x in slots]
    rows = [head]
    for t in sheet.trainees:
        reg = t.registration
        rows.append([Paragraph(f"<b>{text(reg.last_name.upper())}</b> {text(reg.first_name)}",
                               s["cell"]),
                     Paragraph(text(reg.mission_locale.name), s["cell"])] + [""] * len(slots))
    if not sheet.trainees:
        rows.append([Paragraph("Aucun·e stagiaire confirmé·e pour cette session.", s["small"]),
                     ""] + [""] * len(slots))
    table = Table(rows, colWidths=[NAME_W, ML_W] + [box_w] * len(slots),
                  rowHeights=[None] + [ROW_H] * (len(rows) - 1), repeatRows=1)
    table.setStyle(TableStyle([
        ("BACKGROUND", (0, 0), (-1, 0), ARML_BLUE),
        ("GRID", (0, 0), (-1, -1), 0.6, colors.black),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("ROWBACKGROUNDS", (0, 1), (1, -1), [colors.white, LIGHT]),
    ]))
    trainer = Table(
        [[Paragraph("Signature du / de la formateur·rice", s["bold"]), ""] + [""] * len(slots)],
        colWidths=[NAME_W, ML_W] + [box_w] * len(slots), rowHeights=[18 * mm])
    trainer.setStyle(TableStyle([
        ("SPAN", (0, 0), (1, 0)), ("GRID", (0, 0), (-1, -1), 0.8, colors.black),
        ("BACKGROUND", (0, 0), (1, 0), LIGHT), ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
    ]))
    return [table, KeepTogether([Spacer(1, 3 * mm), trainer])]


def attendance_sheet_pdf(sheet: SessionAttendance, arml_name: str,
                         generated_at: datetime) -> bytes:
    """The PDF bytes of the session's attendance sheet (blank boxes, to be signed)."""
    s = _styles()
    ts = sheet.session
    title = f"Feuille d'émargement — {ts.training.title}"
    buffer = BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=PAGE, title=title, author=arml_name or "ARML",
                            leftMargin=MARGIN, rightMargin=MARGIN, topMargin=20 * mm,
                            bottomMargin=14 * mm)
    running = (f"{arml_name or 'ARML'} · Feuille d'émargement · {ts.training.title} · "
               f"{dates_text(sheet)}").replace("\u202f", "\u00a0")
    footer = (f"Document généré le {format_datetime(generated_at)} par Animaréseau — "
              "une signature par demi-journée de présence.").replace("\u202f", "\u00a0")

    def on_page(canvas, document):
        canvas.saveState()
        canvas.setFont("Helvetica-Bold", 8.5)
        canvas.setFillColor(ARML_BLUE)
        canvas.drawString(MARGIN, PAGE[1] - 11 * mm, running[:170])
        canvas.setFont("Helvetica", 7.5)
        canvas.setFillColor(GREY)
        canvas.drawString(MARGIN, 8 * mm, footer)
        canvas.drawRightString(PAGE[0] - MARGIN, 8 * mm, f"Page {document.page}")
        canvas.restoreState()

    story = [Paragraph(text(arml_name or "ARML"), s["arml"]),
             Paragraph("Feuille d'émargement", s["title"]), Spacer(1, 2 * mm),
             _details(sheet, arml_name, s), Spacer(1, 4 * mm)]
    groups = [sheet.slots[i:i + SLOTS_PER_GRID]
              for i in range(0, len(sheet.slots), SLOTS_PER_GRID)] or [[]]
    for n, slots in enumerate(groups):
        if n:
            story.append(PageBreak())
            story.append(Paragraph(text(
                f"Suite : demi-journées {n * SLOTS_PER_GRID + 1} à "
                f"{n * SLOTS_PER_GRID + len(slots)}"), s["bold"]))
            story.append(Spacer(1, 2 * mm))
        story += _grid(sheet, slots, s)
    hours = " · ".join(f"{slot_label(x).splitlines()[0]} : "
                       f"{format_number(slot_hours(x), digits=2)} h" for x in sheet.slots)
    story += [Spacer(1, 3 * mm), Paragraph(text(
        "Chaque stagiaire signe dans la case de chaque demi-journée à laquelle il ou elle a "
        "assisté. Durées : " + (hours or "aucune demi-journée planifiée") + "."), s["small"])]
    doc.build(story, onFirstPage=on_page, onLaterPages=on_page)
    return buffer.getvalue()
