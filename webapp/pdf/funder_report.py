"""The funder's activity report as a PDF, drawn from the report's snapshot only.

``render(content)`` reads nothing but the snapshot built by
:mod:`models.reports.content` (already scoped to the funder, already in French), so
the same snapshot always gives the same bytes: no clock, no database, stable order.
Charts are reportlab graphics (vector), each followed by its figures in a table.
FSE+ reports carry the EU emblem and "Cofinancé par l'Union européenne" on every page.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal
from typing import Any

from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.shapes import STATE_DEFAULTS, Drawing, Rect, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import CondPageBreak, PageBreak, Paragraph, Spacer
from reportlab.platypus.doctemplate import LayoutError

from models.errors import DomainError
from models.reports.services import Rendered
from webapp.pdf.document import (
    ARML_BLUE,
    FONT,
    FONT_BOLD,
    GREY,
    Heading,
    PdfMeta,
    build_pdf,
    data_table,
    derive,
    paragraphs,
    styles,
    table_of_contents,
    typo,
)

WIDTH = A4[0] - 36 * mm
# a Drawing starts each page of graphics in this font: ours, or Helvetica (unembedded)
# appears in the PDF even when every label names our face
STATE_DEFAULTS["fontName"] = FONT
EU_BLUE = colors.HexColor("#003399")
EU_YELLOW = colors.HexColor("#FFCC00")
RECEIVED = colors.HexColor("#2e7d32")
EXPECTED = colors.HexColor("#9db4d6")


# ---------------------------------------------------------------- page furniture
def draw_eu_emblem(canvas: Canvas, x: float, y: float, height: float) -> None:
    """The European flag (ratio 3:2, twelve five-pointed stars on a circle)."""
    width = height * 1.5
    canvas.saveState()
    canvas.setFillColor(EU_BLUE)
    canvas.rect(x, y, width, height, stroke=0, fill=1)
    canvas.setFillColor(EU_YELLOW)
    cx, cy = x + width / 2, y + height / 2
    ring, outer = height / 3, height / 18
    inner = outer * 0.382
    for k in range(12):
        angle = math.radians(90 - 30 * k)
        sx, sy = cx + ring * math.cos(angle), cy + ring * math.sin(angle)
        path = canvas.beginPath()
        for i in range(10):
            r = outer if i % 2 == 0 else inner
            a = math.radians(90 + 36 * i)
            px, py = sx + r * math.cos(a), sy + r * math.sin(a)
            if i == 0:
                path.moveTo(px, py)
            else:
                path.lineTo(px, py)
        path.close()
        canvas.drawPath(path, stroke=0, fill=1)
    canvas.restoreState()


def _eu_mention(canvas: Canvas, page: int) -> None:
    height = 7 * mm
    x, y = A4[0] - 18 * mm - 62 * mm, A4[1] - 15.5 * mm
    draw_eu_emblem(canvas, x, y, height)
    canvas.saveState()
    canvas.setFont(FONT_BOLD, 8)
    canvas.setFillColor(EU_BLUE)
    canvas.drawString(x + height * 1.5 + 2 * mm, y + 2.3 * mm,
                      "Cofinancé par l'Union européenne")
    canvas.restoreState()


# ---------------------------------------------------------------- helpers
def _p(text: str, style: str = "body") -> Paragraph:
    return Paragraph(typo(text), styles()[style])


def _table(headers: list[str], rows: list[list[str]], widths: list[float], *,
           total: list[str] | None = None, right: tuple[int, ...] = ()) -> Any:
    data = [headers, *rows] + ([total] if total else [])
    return data_table(data, [w * WIDTH for w in widths], right_cols=right,
                      total_row=total is not None)


def _short(text: str, limit: int = 600) -> str:
    """A typed comment in a table cell, cut so its row fits a page (the HTML page and the
    application keep it whole)."""
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + " […]"


def _decimal(value: str) -> float:
    # chart coordinates only (drawing needs floats); every printed figure stays a string
    return float(Decimal(value))


def cashflow_chart(cash: dict[str, Any]) -> Drawing:
    """Expected (instalments falling due) vs received, cumulated over the year."""
    drawing = Drawing(WIDTH, 62 * mm)
    chart = VerticalBarChart()
    chart.x, chart.y, chart.width, chart.height = 16 * mm, 14 * mm, WIDTH - 22 * mm, 42 * mm
    chart.data = [[_decimal(v) for v in cash["expected"]],
                  [_decimal(v) for v in cash["received"]]]
    chart.categoryAxis.categoryNames = cash["labels"]
    chart.categoryAxis.labels.fontName = FONT
    chart.categoryAxis.labels.fontSize = 7
    chart.valueAxis.labels.fontName = FONT
    chart.valueAxis.labels.fontSize = 7
    chart.valueAxis.valueMin = 0
    top = max([*chart.data[0], *chart.data[1], 1.0])
    chart.valueAxis.valueMax = top * 1.1
    chart.valueAxis.labelTextFormat = lambda v: f"{v / 1000:,.0f} k€".replace(",", "\u00a0")
    chart.bars[0].fillColor = EXPECTED
    chart.bars[1].fillColor = RECEIVED
    chart.bars.strokeColor = None
    chart.groupSpacing = 4
    drawing.add(chart)
    legend = Legend()
    legend.x, legend.y = 18 * mm, 60 * mm
    legend.fontName, legend.fontSize = FONT, 8
    legend.alignment = "right"
    legend.columnMaximum = 1
    legend.colorNamePairs = [(EXPECTED, "Attendu cumulé (échéancier)"),
                             (RECEIVED, "Reçu cumulé (versements)")]
    drawing.add(legend)
    return drawing


def status_chart(rows: list[list[str]]) -> Drawing:
    """Funded actions by status, as horizontal bars drawn by hand (one per status)."""
    height = (len(rows) * 7 + 6) * mm
    drawing = Drawing(WIDTH, height)
    top = max([int(n) for _, n in rows] + [1])
    bar_x, bar_w = 42 * mm, WIDTH - 60 * mm
    for i, (label, n) in enumerate(rows):
        y = height - (i + 1) * 7 * mm
        drawing.add(String(0, y + 1.5 * mm, label, fontName=FONT, fontSize=8))
        drawing.add(Rect(bar_x, y, bar_w * int(n) / top, 4.5 * mm, fillColor=ARML_BLUE,
                         strokeColor=None))
        drawing.add(String(bar_x + bar_w * int(n) / top + 2 * mm, y + 1.5 * mm, n,
                           fontName=FONT_BOLD, fontSize=8))
    return drawing


# ---------------------------------------------------------------- sections
def _cover(c: dict[str, Any]) -> list:
    m = c["meta"]
    s = styles()
    title = derive("title", "cover_title", fontSize=24, leading=30, spaceAfter=8)
    story: list = [Spacer(1, 30 * mm), _p(m["arml"], "arml"), Spacer(1, 8 * mm),
                   Paragraph(typo(f"Rapport d'activité {m['year']}"), title),
                   Paragraph(typo(m["funder"]), derive("subtitle", "cover_funder", fontSize=16,
                                                       leading=20)),
                   Spacer(1, 10 * mm)]
    facts = [
        ["Financeur", f"{m['funder']} ({m['funder_type']})"],
        ["Année", str(m["year"])],
        ["Conventions", ", ".join(m["references"])],
        ["Données arrêtées au", m["as_of"]],
        ["Version", str(m["version"])],
        ["Générée le", m["generated_at"]],
        ["Par", m["generated_by"]],
    ]
    if m["programme"]:
        facts.insert(2, ["Programme", m["programme"]])
    story.append(data_table(facts, [45 * mm, WIDTH - 45 * mm], header_rows=0, zebra=True))
    story += [Spacer(1, 10 * mm), _p(
        "Ce rapport présente ce que les financements de " + m["funder"] + " ont permis : "
        "conventions et versements, actions financées, résultats et indicateurs, temps de "
        "l'équipe régionale. Il est établi à partir des données d'Animaréseau à la date "
        "d'arrêt indiquée ; chaque version est archivée et son empreinte permet de "
        "vérifier qu'elle n'a pas été modifiée.", "muted")]
    story += [PageBreak(), Heading("Sommaire", 0, "sommaire"), table_of_contents(),
              PageBreak()]
    del s
    return story


def _summary(c: dict[str, Any]) -> list:
    m, sm = c["meta"], c["summary"]
    story: list = [Heading("1. Synthèse", 0, "synthese")]
    if c["synthesis"]:
        story += paragraphs(c["synthesis"], styles()["body"])
        story.append(Spacer(1, 3 * mm))
    # one column per convention (and the total): six amounts side by side would not fit
    columns = sm["rows"] + ([sm["total"]] if len(sm["rows"]) > 1 else [])
    measures = ["Montant", "Affecté aux actions", "Reçu", "Reste dû", "Exécuté",
                "Taux d'exécution"]
    grid = [["", *[col[0] for col in columns]],
            *[[label, *[col[i + 1] for col in columns]] for i, label in enumerate(measures)]]
    first = 0.3 if len(columns) < 4 else 0.22
    rest = (1 - first) / len(columns)
    story += [Heading("Exécution de vos conventions", 1, "synthese-execution"),
              data_table(grid, [first * WIDTH, *[rest * WIDTH] * len(columns)],
                         right_cols=tuple(range(1, len(columns) + 1))),
              Spacer(1, 2 * mm),
              _p(f"Actions financées : {sm['actions']}. Indicateurs atteints : "
                 f"{sm['indicators'][0]} sur {sm['indicators'][1]}. Livrables remis : "
                 f"{sm['deliverables'][0]} sur {sm['deliverables'][1]}.")]
    if sm["actions_by_status"]:
        story += [Heading("Actions par statut", 1, "synthese-statuts"),
                  status_chart(sm["actions_by_status"]),
                  _table(["Statut", "Actions"], sm["actions_by_status"], [0.5, 0.2],
                         right=(1,))]
    cash = sm["cashflow"]
    story += [CondPageBreak(120 * mm),
              Heading(f"Attendu et reçu en {m['year']}", 1, "synthese-versements")]
    if cash["empty"]:
        story.append(_p(f"Aucune échéance ni aucun versement en {m['year']} (contribution "
                        "en nature ou convention sans échéancier cette année-là)."))
    else:
        story += [cashflow_chart(cash),
                  _p("Figure : échéances attendues et versements reçus, en cumul sur "
                     "l'année. Les valeurs :", "caption"),
                  _table(["Mois", "Attendu", "Reçu", "Attendu cumulé", "Reçu cumulé"],
                         cash["rows"], [0.2, 0.2, 0.2, 0.2, 0.2], right=(1, 2, 3, 4))]
    return story


def _conventions(c: dict[str, Any]) -> list:
    story: list = [PageBreak(), Heading("2. Conventions", 0, "conventions")]
    for i, conv in enumerate(c["conventions"]):
        story += [Heading(conv["reference"], 1, f"convention-{i}"), _p(conv["object"])]
        facts = [["Type", conv["type"]], ["Statut", conv["status"]],
                 ["Années", conv["years"]], ["Période", conv["period"]],
                 ["Signée le", conv["signed"]],
                 ["Montant", conv["amount"] + (" (contribution en nature, sans versement)"
                                               if conv["in_kind"] else "")]]
        if conv["multi_year"]:
            facts.append(["Pluriannuelle", "le montant couvre toutes les années de la "
                                           "convention"])
        story.append(data_table(facts, [35 * mm, WIDTH - 35 * mm], header_rows=0))
        if conv["conditions"]:
            story += [_p("Conditions", "h3"), *paragraphs(conv["conditions"], styles()["body"])]
        if conv["instalments"]:
            story += [_p("Échéancier", "h3"),
                      _table(["Échéance", "Date", "Montant", "Versé", "État"],
                             conv["instalments"], [0.34, 0.16, 0.16, 0.16, 0.18],
                             right=(2, 3))]
        if conv["payments"]:
            story += [_p("Versements reçus", "h3"),
                      _table(["Reçu le", "Montant", "Commentaire"],
                             [[day, amount, _short(comment)]
                              for day, amount, comment in conv["payments"]],
                             [0.2, 0.2, 0.6], right=(1,))]
        elif not conv["in_kind"]:
            story.append(_p("Aucun versement reçu à la date d'arrêt.", "muted"))
        if conv["deadlines"]:
            story += [_p("Rapports attendus", "h3"),
                      _table(["Rapport", "Date limite", "État"], conv["deadlines"],
                             [0.5, 0.2, 0.3])]
        story.append(Spacer(1, 4 * mm))
    return story


def _actions(c: dict[str, Any]) -> list:
    m = c["meta"]
    story: list = [PageBreak(), Heading("3. Actions financées", 0, "actions")]
    if c["allocations"]:
        rows = [[a["label"] + (" — actions : " + ", ".join(a["actions"]) if a["global"]
                               else ""), a["convention"], a["amount"], a["executed"]]
                for a in c["allocations"]]
        story.append(_table(["Affectation", "Convention", "Affecté", "Exécuté"], rows,
                            [0.44, 0.22, 0.17, 0.17], right=(2, 3)))
    else:
        story.append(_p(f"Aucune affectation à une action du programme {m['year']}."))
    for i, a in enumerate(c["actions"]):
        block: list = [CondPageBreak(60 * mm),
                       Heading(f"{a['objective'].split(' ')[0]} {a['title']}", 1,
                               f"action-{i}"),
                       _p(f"Objectif {a['objective']} · axe {a['axis']}", "muted")]
        facts = [["Statut", a["status"]], ["Dates", a["dates"]]]
        if a["missions_locales"]:
            facts.append(["Missions locales", ", ".join(a["missions_locales"])])
        block.append(data_table(facts, [35 * mm, WIDTH - 35 * mm], header_rows=0))
        if a["status_reason"]:  # free text of any length: a paragraph, never a table cell
            block += paragraphs(f"Motif du statut : {a['status_reason']}", styles()["body"])
        if a["indicators"]:
            block += [_p("Indicateurs", "h3"), _table(
                ["Indicateur", "Unité", "Cible", "Réalisé", "Écart"],
                [[x["name"], x["unit"], x["target"], x["achieved"], x["gap"]]
                 for x in a["indicators"]], [0.42, 0.16, 0.14, 0.14, 0.14], right=(2, 3, 4))]
        if a["deliverables"]:
            block += [_p("Livrables", "h3"), _table(["Livrable", "Échéance", "Remis le"],
                                                    a["deliverables"], [0.56, 0.22, 0.22])]
        for key, label in (("highlights", "Faits marquants"), ("gaps", "Écarts expliqués"),
                           ("outlook", "Perspectives")):
            if a["review"][key]:
                block += [_p(label, "h3"), *paragraphs(a["review"][key], styles()["body"])]
        if not any(a["review"].values()):
            block.append(_p("Bilan de l'action non rédigé à la date de génération.", "muted"))
        story += block
    return story


def _time(c: dict[str, Any]) -> list:
    t = c["time"]
    if not t:
        return []
    return [CondPageBreak(90 * mm),
            Heading("4. Temps de l'équipe sur les actions financées", 0, "temps"),
            _p(f"Jours prévus et réalisés au programme ; heures saisies dans les feuilles de "
               f"temps, converties en jours ({t['etp_hours']} heures = {t['etp_days']} jours "
               "= 1 ETP)."),
            _table(["Action", "Jours prévus", "Jours réalisés", "Heures saisies",
                    "Jours (temps)", "ETP"], t["rows"], [0.4, 0.12, 0.12, 0.12, 0.12, 0.12],
                   total=t["total"], right=(1, 2, 3, 4, 5))]


def _training(c: dict[str, Any]) -> list:
    tr = c["training"]
    if not tr:
        return []
    story: list = [CondPageBreak(120 * mm), Heading("5. Formations financées", 0, "formations"),
                   _p(f"Sessions des formations que vous financez, {tr['period']}."),
                   _table(["Indicateur", "Valeur"], tr["figures"], [0.6, 0.4], right=(1,)),
                   _p("Sessions", "h3"),
                   _table(["Formation", "Date", "Statut", "Places", "Inscrits", "Présents",
                           "Heures"], tr["sessions"],
                          [0.32, 0.16, 0.12, 0.09, 0.1, 0.1, 0.11], right=(3, 4, 5, 6))]
    if tr["satisfaction"]:
        story += [_p("Satisfaction par formation", "h3"),
                  _table(["Formation", "Réponses", "Satisfaction globale"], tr["satisfaction"],
                         [0.6, 0.15, 0.25], right=(1, 2))]
    if tr["full"]:
        story += [Heading("Par fonction", 1, "formations-fonction"),
                  _table(["Fonction", "Inscriptions", "Stagiaires", "Heures"], tr["by_job"],
                         [0.52, 0.16, 0.16, 0.16], right=(1, 2, 3)),
                  Heading("Par mission locale", 1, "formations-ml"),
                  _table(["Mission locale", "Inscriptions", "Stagiaires", "Heures"],
                         tr["by_ml"], [0.52, 0.16, 0.16, 0.16], right=(1, 2, 3)),
                  Heading("Coûts", 1, "formations-couts"),
                  _table(["Formation", "Coût par stagiaire (catalogue)"], tr["costs"],
                         [0.7, 0.3], right=(1,)),
                  _p(f"Coût moyen par stagiaire : {tr['cost_per_trainee']} (vos financements "
                     f"{tr['year_label']} des actions de formation, {tr['funded_training']}, "
                     "divisés par le nombre de stagiaires).")]
    return story


def _variant(c: dict[str, Any]) -> list:
    v, m = c["variant"], c["meta"]
    story: list = []
    if v.get("axes"):
        story += [PageBreak(), Heading("6. Indicateurs par axe", 0, "axes")]
        for ax in v["axes"]:
            story += [Heading(f"Axe {ax['number']} — {ax['title']}", 1, f"axe-{ax['number']}"),
                      _p(f"{ax['actions']} action(s) financée(s) ; {ax['met']} indicateur(s) "
                         f"atteint(s) sur {ax['total']}.")]
            if ax.get("argument"):
                story.append(_p(ax["argument"]))
            if ax["indicators"]:
                story.append(_table(["Action", "Indicateur", "Cible", "Réalisé", "Atteint"],
                                    ax["indicators"], [0.34, 0.32, 0.11, 0.11, 0.12],
                                    right=(2, 3)))
    if v.get("objectives"):
        story += [PageBreak(), Heading("6. Objectifs et réalisations du programme", 0,
                                       "objectifs"),
                  _p("Les objectifs des trois axes du programme régional : actions, actions "
                     "réalisées et indicateurs atteints (toutes actions, sans montants)."),
                  _table(["Axe", "Objectif", "Actions", "Réalisées", "Indicateurs atteints"],
                         v["objectives"], [0.1, 0.52, 0.11, 0.11, 0.16], right=(2, 3, 4))]
    if v.get("france_travail"):
        ft = v["france_travail"]
        story += [PageBreak(), Heading("6. Mise à disposition valorisée", 0, "mad"),
                  _p(f"Montant valorisé de la mise à disposition : {ft['valued']}.")]
        for i, person in enumerate(ft["people"]):
            story += [Heading(f"{person['name']} — {person['function']}", 1, f"mad-{i}"),
                      _p(f"{person['etp']} ETP ; {person['total']} heures saisies en "
                         f"{m['year']}.")]
            if person["months"]:
                story.append(_table(["Mois", "Heures"], person["months"], [0.5, 0.25],
                                    right=(1,)))
    if v.get("fse_annex") is not None:
        story += [PageBreak(), Heading("Annexe FSE+ : temps mensuel par personne et par action",
                                       0, "annexe-fse"),
                  _p("Heures déclarées chaque mois sur les actions cofinancées par le FSE+, "
                     "avec l'état de signature de la feuille de temps (salarié·e, puis "
                     "direction).")]
        if v["fse_annex"]:
            story.append(_table(["Personne", "Mois", "Action", "Heures", "Signature"],
                                v["fse_annex"], [0.18, 0.14, 0.38, 0.1, 0.2], right=(3,)))
        else:
            story.append(_p("Aucune heure déclarée sur ces actions.", "muted"))
    return story


METHOD = [
    "Montant exécuté : pour chaque action, les dépenses réalisées multipliées par la part "
    "de votre financement dans le financement total de l'action, plafonnées à votre "
    "affectation. Un financement global d'un axe est réparti entre les actions de l'axe "
    "au prorata de leurs budgets.",
    "Date d'arrêt : les versements reçus, les rapports et les livrables remis après cette "
    "date ne sont pas comptés ; les dépenses, les indicateurs et les bilans sont ceux "
    "enregistrés à la date de génération.",
    "Formations : une session compte dans l'année de son premier jour ; les stagiaires sont "
    "les personnes distinctes présentes au moins une demi-journée ; la satisfaction n'est "
    "publiée qu'à partir de 3 réponses.",
    "Temps : les jours réalisés sont ceux du programme ; les heures viennent des feuilles de "
    "temps mensuelles.",
]


def _annexes(c: dict[str, Any]) -> list:
    an = c["annexes"]
    story: list = [PageBreak(), Heading("Annexes", 0, "annexes"),
                   Heading("Méthode", 1, "annexe-methode")]
    story += [_p(text) for text in METHOD]
    story.append(Heading("Liste des livrables", 1, "annexe-livrables"))
    if an["deliverables"]:
        story.append(_table(["Action", "Livrable", "Échéance", "Remis le"], an["deliverables"],
                            [0.34, 0.34, 0.16, 0.16]))
    else:
        story.append(_p("Aucun livrable prévu sur les actions financées.", "muted"))
    story.append(Heading("Modifications depuis la validation du programme", 1,
                         "annexe-modifications"))
    if an["changes"]:
        # one block per change, not a table: a motif may be long, and a table row taller
        # than a page cannot be laid out
        for day, kind, action, summary, reason in an["changes"]:
            story += [_p(f"{day} — {kind} — {action}", "h3"),
                      *paragraphs(summary, styles()["body"])]
            if reason:
                story += paragraphs(f"Motif : {reason}", styles()["muted"])
    else:
        story.append(_p("Aucune modification depuis la validation.", "muted"))
    return story


def _page_count(pdf: bytes) -> int:
    return len(re.findall(rb"/Type /Page\b(?!s)", pdf))


def render(content: dict[str, Any]) -> Rendered:
    """The PDF of one report snapshot (byte-identical for the same snapshot)."""
    m = content["meta"]
    story = [*_cover(content), *_summary(content), *_conventions(content), *_actions(content),
             *_time(content), *_training(content), *_variant(content), *_annexes(content)]
    meta = PdfMeta(
        title=m["title"], author=m["arml"],
        subject=f"Rapport d'activité {m['year']}, version {m['version']}, données arrêtées au "
                f"{m['as_of']}",
        keywords=f"rapport d'activité, {m['year']}",
        header=(f"Rapport d'activité {m['year']}" if m["variant"] == "fse"
                else f"{m['arml']} — rapport d'activité {m['year']}"),
        header_right="" if m["variant"] == "fse" else m["funder"],
        footer=f"Version {m['version']} · données arrêtées au {m['as_of']}")
    decorate = _eu_mention if m["variant"] == "fse" else None
    try:
        pdf = build_pdf(story, meta, decorate=decorate, toc=True)
    except LayoutError as exc:  # a cell that cannot fit on a page: say which text to shorten
        raise DomainError(
            "Le rapport ne peut pas être mis en page : un texte saisi est trop long pour "
            "une case de tableau (commentaire de versement, libellé d'échéance…). "
            "Raccourcissez-le puis générez à nouveau.") from exc
    return Rendered(pdf, _page_count(pdf))


__all__ = ["GREY", "cashflow_chart", "draw_eu_emblem", "render", "status_chart"]
