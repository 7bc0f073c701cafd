"""The monthly timesheet of one person, in the form ESF (FSE) audits ask for.

One A4 page: who (ARML, person, function, contract, status), which month, the
hours per action with the funders of each action, the total against the contract
hours of the month, and the two signatures (the person, then the director).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, Spacer, Table

from models.formatting import format_datetime, format_number, format_ratio
from models.funding.timesheet_queries import MonthSheet
from models.funding.timesheets import DIRECTION, SALARIE, hours_text
from webapp.pdf.document import (
    ARML_BLUE,
    BORDER,
    LIGHT,
    PdfMeta,
    build_pdf,
    data_table,
    derive,
    styles,
    table_style,
    typo,
)

WARNING = colors.HexColor("#b02a37")
MARGINS = (20 * mm, 20 * mm, 16 * mm, 18 * mm)  # left, right, top, bottom


def _styles() -> dict:
    return {**styles(),
            "ok": derive("cell_bold", "temps_ok", textColor=colors.HexColor("#146c43")),
            "warn": derive("cell_bold", "temps_warn", textColor=WARNING),
            "box": derive("cell", "temps_box", leading=13)}


def _identity(sheet: MonthSheet, s: dict) -> Table:
    member = sheet.member
    contract = (f"{format_number(member.contract_etp, digits=2)} ETP"
                + (f" — {hours_text(sheet.contract_hours)} par mois"
                   if sheet.contract_hours is not None else ""))
    rows = [("Nom et prénom", member.full_name), ("Fonction", member.function),
            ("Statut", sheet.status_label), ("Temps de travail contractuel", contract),
            ("Mois", sheet.label)]
    table = Table([[Paragraph(typo(k), s["cell_bold"]), Paragraph(typo(v), s["cell"])]
                   for k, v in rows], colWidths=[55 * mm, 115 * mm])
    table.setStyle(table_style([
        ("BACKGROUND", (0, 0), (0, -1), LIGHT),
        ("GRID", (0, 0), (-1, -1), 0.5, BORDER),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 3), ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ]))
    return table


def _hours_table(sheet: MonthSheet, s: dict) -> Table:
    data: list[list] = [["Action du programme", "Axe", "Financeur(s) de l'action", "Heures"]]
    for row in sheet.rows:
        data.append([
            Paragraph(f"<b>{typo(row.objective_code)}</b> {typo(row.title)}", s["cell"]),
            row.axis, ", ".join(row.funders) or "—", hours_text(row.hours)])
    if not sheet.rows:
        data.append([Paragraph(typo("Aucune heure enregistrée sur les actions du programme "
                                    "ce mois-ci."), s["small"]), "", "",
                     hours_text(Decimal(0))])
    contract = (hours_text(sheet.contract_hours) if sheet.contract_hours is not None
                else "hors contrat")
    data.append([Paragraph(typo("Total des heures consacrées aux actions"), s["cell_bold"]),
                 "", "", Paragraph(typo(hours_text(sheet.total)), s["cell_bold_right"])])
    data.append(["Temps contractuel du mois", "", "", contract])
    n = len(data)
    table = data_table(data, [72 * mm, 16 * mm, 62 * mm, 20 * mm], right_cols=(3,),
                       zebra=False)
    style = [
        ("SPAN", (0, n - 2), (2, n - 2)), ("SPAN", (0, n - 1), (2, n - 1)),
        ("BACKGROUND", (0, n - 2), (-1, n - 2), LIGHT),
        ("LINEABOVE", (0, n - 2), (-1, n - 2), 1, ARML_BLUE),
    ]
    if not sheet.rows:
        style.append(("SPAN", (0, 1), (2, 1)))
    table.setStyle(table_style(style))
    return table


def _consistency(sheet: MonthSheet, s: dict) -> Paragraph:
    if sheet.contract_hours is None:
        return Paragraph(typo(f"ATTENTION : {sheet.member.full_name} n'est pas sous contrat "
                              f"en {sheet.label}."), s["warn"])
    if sheet.consistent:
        share = format_ratio(sheet.contract_share)
        return Paragraph(typo(f"Total cohérent avec le temps contractuel "
                              f"({hours_text(sheet.total)} sur "
                              f"{hours_text(sheet.contract_hours)}, soit {share})."), s["ok"])
    return Paragraph(typo(f"ATTENTION : le total ({hours_text(sheet.total)}) dépasse le temps "
                          f"contractuel du mois ({hours_text(sheet.contract_hours)}). "
                          "Feuille à corriger avant signature."), s["warn"])


def _signature_box(title: str, signoff, s: dict) -> list:
    if signoff is not None:
        body = (f"Signé électroniquement par <b>{typo(signoff.signer_name)}</b><br/>"
                f"le {typo(format_datetime(signoff.signed_at))}")
    else:
        body = "<br/><br/>".join(typo(x) for x in ("Non signée", "Date :", "Signature :"))
    return [Paragraph(f"<b>{typo(title)}</b>", s["box"]), Spacer(1, 2 * mm),
            Paragraph(body, s["box"])]


def _signatures(sheet: MonthSheet, s: dict) -> Table:
    table = Table([[
        _signature_box("Signature de la personne", sheet.signoffs.get(SALARIE), s),
        _signature_box("Signature de la direction", sheet.signoffs.get(DIRECTION), s),
    ]], colWidths=[85 * mm, 85 * mm], rowHeights=[38 * mm])
    table.setStyle(table_style([
        ("BOX", (0, 0), (0, 0), 0.8, colors.black), ("BOX", (1, 0), (1, 0), 0.8, colors.black),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 6), ("TOPPADDING", (0, 0), (-1, -1), 6),
    ]))
    return table


def timesheet_pdf(sheet: MonthSheet, generated_at: datetime) -> bytes:
    """The PDF bytes of ``sheet``; ``generated_at`` is printed at the foot of the page."""
    s = _styles()
    meta = PdfMeta(title=f"Feuille de temps — {sheet.member.full_name} — {sheet.label}",
                   author=sheet.arml_name or "ARML",
                   subject="Feuille de temps mensuelle (justification FSE)",
                   keywords="feuille de temps, FSE",
                   footer=f"Document généré le {format_datetime(generated_at)} par Animaréseau")
    programme = (f"Programme régional d'animation {sheet.programme.year}"
                 if sheet.programme is not None else "Programme régional d'animation")
    story = [
        Paragraph(typo(sheet.arml_name or "ARML"), s["arml"]),
        Paragraph(typo(f"Feuille de temps mensuelle — {sheet.label}"), s["title"]),
        Paragraph(typo(f"Justification du temps de travail consacré aux actions cofinancées "
                       f"(Fonds social européen et autres financeurs) — {programme}"),
                  s["subtitle"]),
        Spacer(1, 5 * mm), _identity(sheet, s), Spacer(1, 6 * mm),
        _hours_table(sheet, s), Spacer(1, 3 * mm), _consistency(sheet, s), Spacer(1, 4 * mm),
        Paragraph(typo("Je certifie l'exactitude des heures déclarées ci-dessus, consacrées "
                       "aux actions indiquées."), s["cell"]),
        Spacer(1, 4 * mm), _signatures(sheet, s),
    ]
    return build_pdf(story, meta, margins=MARGINS)
