"""The feuille d'émargement of a session: what funders and Qualiopi auditors ask for.

A4 landscape, printed before the session and signed by hand: the session's details,
one row per confirmed trainee (name, mission locale) with one signature box per
half-day, then the trainer's box per half-day. Long lists run over several pages,
the session heading and the column headers repeated on each; a session with many
half-days is split into several grids of at most ``SLOTS_PER_GRID`` half-days.
"""

from __future__ import annotations

from datetime import datetime

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, PageBreak, Paragraph, Spacer, Table

from models.formatting import format_date, format_datetime, format_number
from models.training.attendance import SessionAttendance, slot_hours
from models.training.enums import HalfDay, Modality
from models.training.orm import SessionSlot
from webapp.pdf.document import (
    ARML_BLUE,
    BORDER,
    LIGHT,
    PdfMeta,
    build_pdf,
    derive,
    styles,
    table_style,
    typo,
)

PAGE = landscape(A4)
MARGIN = 12 * mm
MARGINS = (MARGIN, MARGIN, 20 * mm, 14 * mm)  # left, right, top, bottom
SLOTS_PER_GRID = 6
NAME_W, ML_W = 62 * mm, 52 * mm
ROW_H = 13 * mm


def _styles() -> dict:
    s = styles()
    return {**s, "arml": derive("arml", "emargement_arml", fontSize=10, leading=12.5),
            "title": derive("title", "emargement_title", fontSize=14, leading=17,
                            spaceBefore=0),
            "slothead": derive("cell_head_center", "emargement_slothead", fontSize=7.5,
                               leading=9.5)}


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
    rows = [[Paragraph(typo(k1), s["cell_bold"]), Paragraph(typo(v1), s["cell"]),
             Paragraph(typo(k2), s["cell_bold"]), Paragraph(typo(v2), s["cell"])]
            for (k1, v1), (k2, v2) in zip(left, right, strict=True)]
    width = PAGE[0] - 2 * MARGIN
    table = Table(rows, colWidths=[26 * mm, width / 2 - 26 * mm, 30 * mm, width / 2 - 30 * mm])
    table.setStyle(table_style([
        ("BACKGROUND", (0, 0), (0, -1), LIGHT), ("BACKGROUND", (2, 0), (2, -1), LIGHT),
        ("GRID", (0, 0), (-1, -1), 0.5, BORDER),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 2), ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
    ]))
    return table


def _grid(sheet: SessionAttendance, slots: list[SessionSlot], s: dict) -> list:
    width = PAGE[0] - 2 * MARGIN
    box_w = (width - NAME_W - ML_W) / max(len(slots), 1)
    head = [Paragraph(typo("Nom et prénom"), s["cell_head"]),
            Paragraph(typo("Mission locale"), s["cell_head"])]
    head += [Paragraph(typo(slot_label(x)).replace("\n", "<br/>"), s["slothead"])
             for x in slots]
    rows = [head]
    for t in sheet.trainees:
        reg = t.registration
        rows.append([Paragraph(f"<b>{typo(reg.last_name.upper())}</b> {typo(reg.first_name)}",
                               s["cell"]),
                     Paragraph(typo(reg.mission_locale.name), s["cell"])] + [""] * len(slots))
    if not sheet.trainees:
        rows.append([Paragraph(typo("Aucun·e stagiaire confirmé·e pour cette session."),
                               s["small"]), ""] + [""] * len(slots))
    table = Table(rows, colWidths=[NAME_W, ML_W] + [box_w] * len(slots),
                  rowHeights=[None] + [ROW_H] * (len(rows) - 1), repeatRows=1)
    table.setStyle(table_style([
        ("BACKGROUND", (0, 0), (-1, 0), ARML_BLUE),
        ("GRID", (0, 0), (-1, -1), 0.6, colors.black),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("ROWBACKGROUNDS", (0, 1), (1, -1), [colors.white, LIGHT]),
    ]))
    trainer = Table(
        [[Paragraph(typo("Signature du / de la formateur·rice"), s["cell_bold"]), ""]
         + [""] * len(slots)],
        colWidths=[NAME_W, ML_W] + [box_w] * len(slots), rowHeights=[18 * mm])
    trainer.setStyle(table_style([
        ("SPAN", (0, 0), (1, 0)), ("GRID", (0, 0), (-1, -1), 0.8, colors.black),
        ("BACKGROUND", (0, 0), (1, 0), LIGHT), ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
    ]))
    return [table, KeepTogether([Spacer(1, 3 * mm), trainer])]


def attendance_sheet_pdf(sheet: SessionAttendance, arml_name: str,
                         generated_at: datetime) -> bytes:
    """The PDF bytes of the session's attendance sheet (blank boxes, to be signed)."""
    s = _styles()
    ts = sheet.session
    meta = PdfMeta(
        title=f"Feuille d'émargement — {ts.training.title}", author=arml_name or "ARML",
        subject=f"Feuille d'émargement de la session {dates_text(sheet)}",
        keywords="émargement, formation",
        header=(f"{arml_name or 'ARML'} · Feuille d'émargement · {ts.training.title} · "
                f"{dates_text(sheet)}"),
        footer=(f"Document généré le {format_datetime(generated_at)} par Animaréseau — "
                "une signature par demi-journée de présence."))
    story = [Paragraph(typo(arml_name or "ARML"), s["arml"]),
             Paragraph(typo("Feuille d'émargement"), s["title"]), Spacer(1, 2 * mm),
             _details(sheet, arml_name, s), Spacer(1, 4 * mm)]
    groups = [sheet.slots[i:i + SLOTS_PER_GRID]
              for i in range(0, len(sheet.slots), SLOTS_PER_GRID)] or [[]]
    for n, slots in enumerate(groups):
        if n:
            story.append(PageBreak())
            story.append(Paragraph(typo(
                f"Suite : demi-journées {n * SLOTS_PER_GRID + 1} à "
                f"{n * SLOTS_PER_GRID + len(slots)}"), s["cell_bold"]))
            story.append(Spacer(1, 2 * mm))
        story += _grid(sheet, slots, s)
    hours = " · ".join(f"{slot_label(x).splitlines()[0]} : "
                       f"{format_number(slot_hours(x), digits=2)} h" for x in sheet.slots)
    story += [Spacer(1, 3 * mm), Paragraph(typo(
        "Chaque stagiaire signe dans la case de chaque demi-journée à laquelle il ou elle a "
        "assisté. Durées : " + (hours or "aucune demi-journée planifiée") + "."), s["small"])]
    return build_pdf(story, meta, pagesize=PAGE, margins=MARGINS)
