"""The monthly timesheet of one person, in the form ESF (FSE) audits ask for.

One A4 page: who (ARML, person, function, contract, status), which month, the
hours per action with the funders of each action, the total against the contract
hours of the month, and the two signatures (the person, then the director).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from io import BytesIO
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from models.formatting import format_datetime, format_number, format_ratio
from models.funding.timesheet_queries import MonthSheet
from models.funding.timesheets import DIRECTION, SALARIE, hours_text

ARML_BLUE = colors.HexColor("#1d4f91")
GREY = colors.HexColor("#6c757d")
LIGHT = colors.HexColor("#eef2f8")
WARNING = colors.HexColor("#b02a37")


def _t(text: str) -> str:
    """Escape for reportlab's mini-markup; Babel's narrow no-break space is not in
    the built-in fonts' encoding, a plain no-break space is."""
    return escape(str(text)).replace("\u202f", "\u00a0")


def _styles() -> dict[str, ParagraphStyle]:
    base = getSampleStyleSheet()["Normal"]

    def make(name: str, **overrides) -> ParagraphStyle:
        options = {"fontName": "Helvetica", "fontSize": 9, "leading": 11.5, **overrides}
        return ParagraphStyle(name, parent=base, **options)

    return {
        "arml": make("arml", fontName="Helvetica-Bold", fontSize=11, textColor=ARML_BLUE),
        "title": make("title", fontName="Helvetica-Bold", fontSize=15, leading=19,
                      spaceBefore=4),
        "subtitle": make("subtitle", textColor=GREY),
        "cell": make("cell"),
        "small": make("small", fontSize=8, leading=10, textColor=GREY),
        "head": make("head", fontName="Helvetica-Bold", textColor=colors.white),
        "num": make("num", alignment=TA_RIGHT),
        "numhead": make("numhead", fontName="Helvetica-Bold", textColor=colors.white,
                        alignment=TA_RIGHT),
        "bold": make("bold", fontName="Helvetica-Bold"),
        "boldnum": make("boldnum", fontName="Helvetica-Bold", alignment=TA_RIGHT),
        "ok": make("ok", fontName="Helvetica-Bold", textColor=colors.HexColor("#146c43")),
        "warn": make("warn", fontName="Helvetica-Bold", textColor=WARNING),
        "box": make("box", leading=13),
    }


def _identity(sheet: MonthSheet, s: dict) -> Table:
    member = sheet.member
    contract = (f"{format_number(member.contract_etp, digits=2)} ETP"
                + (f" — {hours_text(sheet.contract_hours)} par mois"
                   if sheet.contract_hours is not None else ""))
    rows = [("Nom et prénom", member.full_name), ("Fonction", member.function),
            ("Statut", sheet.status_label), ("Temps de travail contractuel", contract),
            ("Mois", sheet.label)]
    table = Table([[Paragraph(_t(k), s["bold"]), Paragraph(_t(v), s["cell"])] for k, v in rows],
                  colWidths=[55 * mm, 115 * mm])
    table.setStyle(TableStyle([
        ("BACKGROUND", (0, 0), (0, -1), LIGHT),
        ("GRID", (0, 0), (-1, -1), 0.5, colors.lightgrey),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 3), ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ]))
    return table


def _hours_table(sheet: MonthSheet, s: dict) -> Table:
    data = [[Paragraph("Action du programme", s["head"]), Paragraph("Axe", s["head"]),
             Paragraph("Financeur(s) de l'action", s["head"]), Paragraph("Heures", s["numhead"])]]
    for row in sheet.rows:
        data.append([
            Paragraph(f"<b>{_t(row.objective_code)}</b> {_t(row.title)}", s["cell"]),
            Paragraph(_t(row.axis), s["cell"]),
            Paragraph(_t(", ".join(row.funders) or "—"), s["cell"]),
            Paragraph(_t(hours_text(row.hours)), s["num"])])
    if not sheet.rows:
        data.append([Paragraph("Aucune heure enregistrée sur les actions du programme ce mois-ci.",
                               s["small"]), "", "", Paragraph(_t(hours_text(Decimal(0))),
                                                              s["num"])])
    contract = (hours_text(sheet.contract_hours) if sheet.contract_hours is not None
                else "hors contrat")
    data.append([Paragraph("Total des heures consacrées aux actions", s["bold"]), "", "",
                 Paragraph(_t(hours_text(sheet.total)), s["boldnum"])])
    data.append([Paragraph("Temps contractuel du mois", s["cell"]), "", "",
                 Paragraph(_t(contract), s["num"])])
    n = len(data)
    table = Table(data, colWidths=[72 * mm, 18 * mm, 56 * mm, 24 * mm], repeatRows=1)
    style = [
        ("BACKGROUND", (0, 0), (-1, 0), ARML_BLUE),
        ("GRID", (0, 0), (-1, -1), 0.5, colors.lightgrey),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("SPAN", (0, n - 2), (2, n - 2)), ("SPAN", (0, n - 1), (2, n - 1)),
        ("BACKGROUND", (0, n - 2), (-1, n - 2), LIGHT),
        ("LINEABOVE", (0, n - 2), (-1, n - 2), 1, ARML_BLUE),
    ]
    if not sheet.rows:
        style.append(("SPAN", (0, 1), (2, 1)))
    table.setStyle(TableStyle(style))
    return table


def _consistency(sheet: MonthSheet, s: dict) -> Paragraph:
    if sheet.contract_hours is None:
        return Paragraph(_t(f"ATTENTION : {sheet.member.full_name} n'est pas sous contrat en "
                            f"{sheet.label}."), s["warn"])
    if sheet.consistent:
        share = format_ratio(sheet.contract_share)
        return Paragraph(_t(f"Total cohérent avec le temps contractuel ({hours_text(sheet.total)} "
                            f"sur {hours_text(sheet.contract_hours)}, soit {share})."), s["ok"])
    return Paragraph(_t(f"ATTENTION : le total ({hours_text(sheet.total)}) dépasse le temps "
                        f"contractuel du mois ({hours_text(sheet.contract_hours)}). "
                        "Feuille à corriger avant signature."), s["warn"])


def _signature_box(title: str, signoff, s: dict) -> list:
    if signoff is not None:
        body = (f"Signé électroniquement par <b>{_t(signoff.signer_name)}</b><br/>"
                f"le {_t(format_datetime(signoff.signed_at))}")
    else:
        body = "Non signée<br/><br/>Date :<br/><br/>Signature :"
    return [Paragraph(f"<b>{_t(title)}</b>", s["box"]), Spacer(1, 2 * mm),
            Paragraph(body, s["box"])]


def _signatures(sheet: MonthSheet, s: dict) -> Table:
    table = Table([[
        _signature_box("Signature de la personne", sheet.signoffs.get(SALARIE), s),
        _signature_box("Signature de la direction", sheet.signoffs.get(DIRECTION), s),
    ]], colWidths=[85 * mm, 85 * mm], rowHeights=[38 * mm])
    table.setStyle(TableStyle([
        ("BOX", (0, 0), (0, 0), 0.8, colors.black), ("BOX", (1, 0), (1, 0), 0.8, colors.black),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 6), ("TOPPADDING", (0, 0), (-1, -1), 6),
    ]))
    return table


def timesheet_pdf(sheet: MonthSheet, generated_at: datetime) -> bytes:
    """The PDF bytes of ``sheet``; ``generated_at`` is printed at the foot of the page."""
    s = _styles()
    buffer = BytesIO()
    title = f"Feuille de temps — {sheet.member.full_name} — {sheet.label}"
    doc = SimpleDocTemplate(buffer, pagesize=A4, title=title, author=sheet.arml_name or "ARML",
                            leftMargin=20 * mm, rightMargin=20 * mm, topMargin=16 * mm,
                            bottomMargin=18 * mm)
    footer = (f"Document généré le {format_datetime(generated_at)} par Animaréseau"
              .replace("\u202f", "\u00a0"))

    def on_page(canvas, document):
        canvas.saveState()
        canvas.setFont("Helvetica", 7.5)
        canvas.setFillColor(GREY)
        canvas.drawString(20 * mm, 10 * mm, footer)
        canvas.drawRightString(A4[0] - 20 * mm, 10 * mm, f"Page {document.page}")
        canvas.restoreState()

    programme = (f"Programme régional d'animation {sheet.programme.year}"
                 if sheet.programme is not None else "Programme régional d'animation")
    story = [
        Paragraph(_t(sheet.arml_name or "ARML"), s["arml"]),
        Paragraph(_t(f"Feuille de temps mensuelle — {sheet.label}"), s["title"]),
        Paragraph(_t(f"Justification du temps de travail consacré aux actions cofinancées "
                     f"(Fonds social européen et autres financeurs) — {programme}"),
                  s["subtitle"]),
        Spacer(1, 5 * mm), _identity(sheet, s), Spacer(1, 6 * mm),
        _hours_table(sheet, s), Spacer(1, 3 * mm), _consistency(sheet, s), Spacer(1, 4 * mm),
        Paragraph("Je certifie l'exactitude des heures déclarées ci-dessus, consacrées aux "
                  "actions indiquées.", s["cell"]),
        Spacer(1, 4 * mm), _signatures(sheet, s),
    ]
    doc.build(story, onFirstPage=on_page, onLaterPages=on_page)
    return buffer.getvalue()
