"""The documents of a council meeting: its feuille d'émargement and its minutes.

Both are built with the one PDF toolkit (``webapp.pdf.document``); the émargement
follows the training sheet (``webapp.pdf.attendance_sheet``: same margins, row height,
black signature grid with the name columns striped), one row per invitee, members
first. The minutes PDF carries the meeting's header, the participants by presence,
the agenda, the text, the decisions taken and the "Suivi des décisions", the
attachments by filename, the approvals and reservations recorded at this meeting, and
its own approval status ("Projet — non approuvé" until approved).
"""

from __future__ import annotations

from datetime import date, datetime

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, Spacer, Table

from models.councils.enums import DecisionStatus, InviteeKind, ItemKind, MeetingStatus, Presence
from models.councils.minutes import MinutesRecord
from models.councils.orm import Decision, Invitee, Meeting
from models.councils.register import is_overdue
from models.formatting import format_date, format_datetime
from webapp.pdf.attendance_sheet import MARGIN, ROW_H
from webapp.pdf.document import (
    ARML_BLUE,
    BORDER,
    LIGHT,
    Heading,
    PdfMeta,
    build_pdf,
    data_table,
    derive,
    paragraphs,
    styles,
    table_style,
    typo,
)

PAGE = A4
MARGINS = (MARGIN, MARGIN, 20 * mm, 14 * mm)  # left, right, top, bottom
WIDTH = PAGE[0] - 2 * MARGIN


def _styles() -> dict:
    s = styles()
    return {**s, "arml": derive("arml", "council_arml", fontSize=10, leading=12.5),
            "title": derive("title", "council_title", fontSize=14, leading=17, spaceBefore=0),
            "status": derive("bold", "council_status", textColor=ARML_BLUE, spaceBefore=2)}


def hours_text(meeting: Meeting) -> str:
    """``9 h 30 – 12 h 30``"""
    return (f"{meeting.starts_at.hour} h {meeting.starts_at.minute:02d} – "
            f"{meeting.ends_at.hour} h {meeting.ends_at.minute:02d}")


def meeting_title(meeting: Meeting) -> str:
    return meeting.title or meeting.series.name


def _organisation(inv: Invitee) -> str:
    if inv.mission_locale is not None:
        return inv.mission_locale.name
    return inv.organisation or ""


def _details(meeting: Meeting, s: dict) -> Table:
    """The meeting's header: series, date and hours, place and video link."""
    left = [("Instance", meeting.series.name), ("Date", format_date(meeting.day)),
            ("Horaires", hours_text(meeting))]
    right = [("Lieu", meeting.place or "—"), ("Visioconférence", meeting.video_link or "—"),
             ("Statut", MeetingStatus(meeting.status).label)]
    rows = [[Paragraph(typo(k1), s["cell_bold"]), Paragraph(typo(v1), s["cell"]),
             Paragraph(typo(k2), s["cell_bold"]), Paragraph(typo(v2), s["cell"])]
            for (k1, v1), (k2, v2) in zip(left, right, strict=True)]
    table = Table(rows, colWidths=[24 * mm, WIDTH / 2 - 24 * mm, 34 * mm, WIDTH / 2 - 34 * mm],
                  splitInRow=1)
    table.setStyle(table_style([
        ("BACKGROUND", (0, 0), (0, -1), LIGHT), ("BACKGROUND", (2, 0), (2, -1), LIGHT),
        ("GRID", (0, 0), (-1, -1), 0.5, BORDER),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 2), ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
    ]))
    return table


# ---------------------------------------------------------------- émargement
def _sheet_order(meeting: Meeting) -> list[Invitee]:
    return sorted(meeting.invitees, key=lambda i: (
        InviteeKind(i.kind) is not InviteeKind.MEMBRE, i.full_name.lower(), i.id))


def _name_cell(inv: Invitee, s: dict) -> Paragraph:
    first, _, last = inv.full_name.partition(" ")
    markup = (f"<b>{typo(last.upper())}</b> {typo(first)}" if last
              else f"<b>{typo(first.upper())}</b>")
    return Paragraph(markup, s["cell"])


def attendance_sheet_pdf(meeting: Meeting, arml_name: str, generated_at: datetime) -> bytes:
    """The meeting's feuille d'émargement: one row per invitee (name, organisation,
    member or guest, proxy when the series allows them) with a signature box."""
    s = _styles()
    proxies = meeting.series.proxies_enabled
    when = format_date(meeting.day)
    meta = PdfMeta(
        title=f"Feuille d'émargement — {meeting.series.name} du {when}",
        author=arml_name or "ARML", subject=f"Feuille d'émargement de la réunion du {when}",
        keywords="émargement, conseil, réunion",
        header=f"{arml_name or 'ARML'} · Feuille d'émargement · {meeting.series.name} · {when}",
        footer=(f"Document généré le {format_datetime(generated_at)} par Animaréseau — "
                "une signature par personne présente."))
    head = ["Nom et prénom", "Structure", "Qualité"]
    widths = [46 * mm, 46 * mm, 18 * mm]
    if proxies:
        head.append("Pouvoir donné à")
        widths.append(28 * mm)
    head.append("Signature")
    widths.append(WIDTH - sum(widths))
    rows: list[list] = [[Paragraph(typo(h), s["cell_head"]) for h in head]]
    for inv in _sheet_order(meeting):
        row = [_name_cell(inv, s), Paragraph(typo(_organisation(inv)), s["cell"]),
               Paragraph(typo(InviteeKind(inv.kind).label), s["cell"])]
        if proxies:
            holder = (inv.proxy_holder.full_name if inv.proxy_holder is not None
                      and inv.presence is not None
                      and Presence(inv.presence) is Presence.REPRESENTE else "")
            row.append(Paragraph(typo(holder), s["cell"]))
        row.append("")
        rows.append(row)
    if len(rows) == 1:
        rows.append([Paragraph(typo("Personne n'est encore invité·e à cette réunion."),
                               s["small"])] + [""] * (len(head) - 1))
    grid = Table(rows, colWidths=widths, rowHeights=[None] + [ROW_H] * (len(rows) - 1),
                 repeatRows=1)
    grid.setStyle(table_style([
        ("BACKGROUND", (0, 0), (-1, 0), ARML_BLUE),
        ("GRID", (0, 0), (-1, -1), 0.6, colors.black),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("ROWBACKGROUNDS", (0, 1), (len(head) - 2, -1), [colors.white, LIGHT]),
    ]))
    note = ("Chaque personne présente signe dans sa case."
            + (" Une personne représentée ne signe pas : son ou sa mandataire (un·e membre "
               "présent·e) l'indique dans la colonne « Pouvoir donné à » et joint le "
               "pouvoir écrit." if proxies else ""))
    story = [Paragraph(typo(arml_name or "ARML"), s["arml"]),
             Paragraph(typo("Feuille d'émargement"), s["title"])]
    if meeting.title:
        story.append(Paragraph(typo(meeting.title), s["subtitle"]))
    story += [Spacer(1, 2 * mm), _details(meeting, s), Spacer(1, 4 * mm), grid,
              Spacer(1, 3 * mm), Paragraph(typo(note), s["small"])]
    return build_pdf(story, meta, pagesize=PAGE, margins=MARGINS)


# ---------------------------------------------------------------- minutes
def _names(invitees: list[Invitee], *, holder: bool = False) -> str:
    parts = []
    for inv in invitees:
        text = inv.full_name
        org = _organisation(inv)
        if org:
            text += f" ({org})"
        if holder:
            text += (f", représenté·e par {inv.proxy_holder.full_name}"
                     if inv.proxy_holder is not None else "")
        parts.append(text)
    return " ; ".join(parts)


def _participants(record: MinutesRecord, s: dict) -> list:
    p = record.participants
    groups = [("Présent·es", p.present, False), ("Représenté·es", p.represented, True),
              ("Excusé·es", p.excused, False), ("Absent·es", p.absent, False)]
    rows = [["Présence", "Membres"]]
    rows += [[f"{label} ({len(people)})", _names(people, holder=holder) or "—"]
             for label, people, holder in groups]
    if p.unrecorded:
        rows.append([f"Non renseigné·es ({len(p.unrecorded)})", _names(p.unrecorded)])
    out: list = [Heading("Participants", 0, "participants"),
                 data_table(rows, [38 * mm, WIDTH - 38 * mm], split_rows=True)]
    if p.guests:
        guests = [[inv.full_name, _organisation(inv),
                   Presence(inv.presence).label if inv.presence is not None else "—"]
                  for inv in p.guests]
        out += [Paragraph(typo(f"Invité·es ({len(p.guests)})"), s["h3"]),
                data_table([["Invité·e", "Structure", "Présence"], *guests],
                           [55 * mm, WIDTH - 85 * mm, 30 * mm], split_rows=True)]
    q = record.quorum
    if q.enabled:
        verdict = "atteint" if q.reached else "non atteint"
        out.append(Spacer(1, 2 * mm))
        out.append(Paragraph(typo(
            f"Quorum {verdict} : {q.present} présent·e(s) et {q.represented} "
            f"représenté·e(s) sur {q.members} membre(s) (seuil : {q.threshold})."), s["body"]))
    return out


def _agenda(record: MinutesRecord, s: dict) -> list:
    out: list = [Heading("Ordre du jour", 0, "ordre-du-jour")]
    if not record.items:
        return out + [Paragraph(typo("Aucun point à l'ordre du jour."), s["muted"])]
    rows = [["N°", "Point", "Nature", "Présenté par", "Durée"]]
    for n, item in enumerate(record.items, start=1):
        rows.append([str(n), item.title, ItemKind(item.kind).label, item.presenter or "—",
                     f"{item.duration_minutes} min" if item.duration_minutes else "—"])
    return out + [data_table(rows, [10 * mm, WIDTH - 112 * mm, 40 * mm, 42 * mm, 20 * mm],
                             right_cols=(4,), split_rows=True)]


def _decision_rows(decisions: list[Decision], on: date, *, decided: bool) -> list[list]:
    head = (["Décidée le"] if decided else ["N°"]) + ["Décision", "Responsable", "Échéance",
                                                       "Statut"]
    rows = [head]
    for d in decisions:
        status = DecisionStatus(d.status).label
        if is_overdue(d, on):
            status += " — en retard"
        first = format_date(d.decided_on) if decided else str(d.id)
        rows.append([first, d.text, d.owner_label, format_date(d.due_date), status])
    return rows


def _decisions(record: MinutesRecord, s: dict, today: date) -> list:
    widths = [22 * mm, WIDTH - 124 * mm, 42 * mm, 28 * mm, 32 * mm]
    out: list = [Heading("Décisions prises", 0, "decisions")]
    if record.decisions:
        out.append(data_table(_decision_rows(record.decisions, today, decided=False), widths,
                              split_rows=True))
    else:
        out.append(Paragraph(typo("Aucune décision n'a été prise lors de cette réunion."),
                             s["muted"]))
    out.append(Heading("Suivi des décisions", 0, "suivi"))
    if record.follow_up:
        out.append(data_table(_decision_rows(record.follow_up, today, decided=True), widths,
                              split_rows=True))
    else:
        out.append(Paragraph(typo("Aucune décision antérieure à suivre."), s["muted"]))
    return out


def _approvals(record: MinutesRecord, s: dict) -> list:
    if not record.approved_here and not record.reservations_here:
        return []
    out: list = [Heading("Approbation des comptes rendus précédents", 0, "approbations")]
    for minutes in record.approved_here:
        out.append(Paragraph(typo(
            f"Le compte rendu de la réunion du {format_date(minutes.meeting.day)} est "
            "approuvé."), s["body"]))
    if record.reservations_here:
        out.append(Paragraph(typo("Réserves"), s["h3"]))
        for r in record.reservations_here:
            out += paragraphs(f"Sur le compte rendu du {format_date(r.minutes.meeting.day)} "
                              f"({r.author or 'équipe'}) : {r.text}", s["body"])
    return out


def _attachments(record: MinutesRecord, s: dict) -> list:
    out: list = [Heading("Pièces jointes", 0, "pieces-jointes")]
    if not record.attachments:
        return out + [Paragraph(typo("Aucune pièce jointe à l'ordre du jour."), s["muted"])]
    rows = [["Fichier", "Point de l'ordre du jour"]]
    rows += [[a.filename, a.item_title] for a in record.attachments]
    return out + [data_table(rows, [WIDTH / 2, WIDTH / 2], split_rows=True)]


def minutes_pdf(record: MinutesRecord, arml_name: str, generated_at: datetime,
                today: date) -> bytes:
    """The minutes of ``record.meeting`` as a PDF (a draft says « Projet — non approuvé »
    on every page)."""
    s = _styles()
    meeting, minutes = record.meeting, record.minutes
    when = format_date(meeting.day)
    status = record.approval_text
    meta = PdfMeta(
        title=f"Compte rendu — {meeting.series.name} du {when}", author=arml_name or "ARML",
        subject=f"Compte rendu de la réunion du {when}", keywords="compte rendu, conseil",
        header=f"{arml_name or 'ARML'} · Compte rendu · {meeting.series.name} · {when}",
        header_right=status,
        footer=f"Document généré le {format_datetime(generated_at)} par Animaréseau.")
    story: list = [Paragraph(typo(arml_name or "ARML"), s["arml"]),
                   Paragraph(typo(f"Compte rendu — {meeting_title(meeting)}"), s["title"]),
                   Paragraph(typo(f"Réunion du {when}, {hours_text(meeting)}"), s["subtitle"]),
                   Paragraph(typo(status), s["status"])]
    if minutes is not None and minutes.circulated_at is not None:
        story.append(Paragraph(typo(f"Diffusé le {format_date(minutes.circulated_at)}"),
                               s["muted"]))
    story += [Spacer(1, 2 * mm), _details(meeting, s), Spacer(1, 2 * mm)]
    story += _participants(record, s)
    story += _agenda(record, s)
    story.append(Heading("Compte rendu", 0, "compte-rendu"))
    body = paragraphs(minutes.body if minutes is not None else "", s["body"])
    story += body or [Paragraph(typo("Le compte rendu n'est pas encore rédigé."), s["muted"])]
    story += _approvals(record, s)
    story += _decisions(record, s, today)
    story += _attachments(record, s)
    if minutes is not None and minutes.reservations:
        story.append(Heading("Réserves formulées lors de l'approbation", 0, "reserves"))
        for r in minutes.reservations:
            story += paragraphs(f"{format_date(r.recorded_at)} ({r.author or 'équipe'}) : "
                                f"{r.text}", s["body"])
    return build_pdf(story, meta, pagesize=PAGE, margins=MARGINS)
