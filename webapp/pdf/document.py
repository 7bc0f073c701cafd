"""The one toolkit every PDF of Animaréseau is built with.

Fonts: the Bitstream Vera TrueType faces shipped inside the reportlab package, registered
as ``Texte`` (regular, bold, italic, bold italic) and always embedded (subset), never an
unembedded base-14 font. Text: :func:`typo` escapes a value for reportlab's Paragraph
markup and applies French typography (no-break spaces before ``% : ; ! ? »`` and after
``«``), dropping what the font cannot draw. Layout: shared :func:`styles`, :func:`data_table`,
and :func:`build_pdf`, which writes reproducible bytes (reportlab's invariant mode), the
metadata, a running header, ``Page X sur Y`` on every page, the bookmarks of every
:class:`Heading` and, when asked, a table of contents.
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from io import BytesIO
from xml.sax.saxutils import escape, unescape

import reportlab
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    PageTemplate,
    Paragraph,
    Table,
    TableStyle,
)
from reportlab.platypus.tableofcontents import TableOfContents

FONT = "Texte"
FONT_BOLD = "Texte-Gras"
FONT_ITALIC = "Texte-Italique"
FONT_BOLD_ITALIC = "Texte-GrasItalique"
_FONT_FILES = {FONT: "Vera.ttf", FONT_BOLD: "VeraBd.ttf", FONT_ITALIC: "VeraIt.ttf",
               FONT_BOLD_ITALIC: "VeraBI.ttf"}

ARML_BLUE = colors.HexColor("#1d4f91")
GREY = colors.HexColor("#6c757d")
LIGHT = colors.HexColor("#eef2f8")
BORDER = colors.HexColor("#c8ced6")
CREATOR = "Animaréseau"

NBSP = "\u00a0"


def register_fonts() -> None:
    """Register the four Vera faces and their family (so ``<b>``/``<i>`` work); idempotent."""
    registered = set(pdfmetrics.getRegisteredFontNames())
    folder = os.path.join(os.path.dirname(reportlab.__file__), "fonts")
    for name, filename in _FONT_FILES.items():
        if name not in registered:
            pdfmetrics.registerFont(TTFont(name, os.path.join(folder, filename)))
    pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=FONT_BOLD, italic=FONT_ITALIC,
                                  boldItalic=FONT_BOLD_ITALIC)


@cache
def _drawable() -> frozenset[int]:
    """Code points every one of the four faces has a glyph for."""
    register_fonts()
    maps = [set(pdfmetrics.getFont(name).face.charToGlyph) for name in _FONT_FILES]
    return frozenset(set.intersection(*maps))


# Characters the faces lack but that have a close equivalent they draw.
_EQUIVALENTS = str.maketrans({
    "\u202f": NBSP, "\u2007": NBSP, "\u2060": "",           # narrow / figure no-break space
    "\u2009": " ", "\u200a": " ", "\u2002": " ", "\u2003": " ", "\t": " ",
    "\u2010": "-", "\u2011": "-", "\u2212": "-",           # hyphens, minus sign
    "\u2192": "->", "\u2190": "<-",
    "\r": "\n",
})
_SPACE_BEFORE = re.compile(r" +([%:;!?»])")
_SPACE_AFTER = re.compile(r"« +")
_MISSING_AFTER = re.compile(r"«(?=[^\s\u00a0])")
_MISSING_BEFORE = re.compile(r"(?<=[^\s\u00a0])»")


def typo(value: object) -> str:
    """``value`` as Paragraph markup: French typography, XML-escaped, undrawable dropped.

    An ordinary space before ``% : ; ! ? »`` and after ``«`` becomes a no-break space,
    one is inserted inside ``« »`` when missing; nothing else is added, so URLs
    (``https://``) and times (``14:05``) are left alone. Characters the font has no
    glyph for (emoji…) and control characters other than the newline are dropped.
    """
    text = unicodedata.normalize("NFC", str(value).replace("\r\n", "\n"))
    text = text.translate(_EQUIVALENTS)
    drawable = _drawable()
    text = "".join(ch for ch in text if ch == "\n" or (
        ord(ch) in drawable and unicodedata.category(ch) != "Cc"))
    text = _SPACE_BEFORE.sub(NBSP + r"\1", text)
    text = _SPACE_AFTER.sub("«" + NBSP, text)
    text = _MISSING_AFTER.sub("«" + NBSP, text)
    text = _MISSING_BEFORE.sub(NBSP + "»", text)
    return escape(text)


def paragraphs(text: str, style: ParagraphStyle) -> list[Paragraph]:
    """Free text as paragraphs: one per block separated by blank lines, single newlines
    kept as line breaks, everything through :func:`typo` (markup in the text is shown)."""
    text = (text or "").replace("\r\n", "\n").replace("\r", "\n")
    out = []
    for block in re.split(r"\n[ \t\u00a0]*\n", text):
        lines = [typo(line.strip()) for line in block.split("\n")]
        markup = "<br/>".join(line for line in lines if line)
        if markup:
            out.append(Paragraph(markup, style))
    return out


def derive(base: str, name: str, **overrides) -> ParagraphStyle:
    """A variant of one of the shared :func:`styles` (e.g. a bigger title)."""
    return ParagraphStyle(name, parent=styles()[base], **overrides)


@cache
def styles() -> dict[str, ParagraphStyle]:
    """The shared paragraph styles, all on the embedded faces (cached: do not mutate)."""
    register_fonts()

    def make(name: str, **overrides) -> ParagraphStyle:
        options = {"fontName": FONT, "fontSize": 9, "leading": 11.5, "textColor": colors.black,
                   **overrides}
        return ParagraphStyle(name, **options)

    def cell(name: str, **overrides) -> ParagraphStyle:
        # Vera is about 12 % wider than Helvetica: 8.5 pt fills a column as 9.5 pt did
        return make(name, **{"fontSize": 8.5, "leading": 11, **overrides})

    return {
        "arml": make("arml", fontName=FONT_BOLD, fontSize=11, leading=14, textColor=ARML_BLUE),
        "title": make("title", fontName=FONT_BOLD, fontSize=15, leading=19, spaceBefore=4,
                      textColor=colors.black),
        "subtitle": make("subtitle", textColor=GREY),
        "h1": make("h1", fontName=FONT_BOLD, fontSize=13, leading=16, spaceBefore=8,
                   spaceAfter=4, textColor=ARML_BLUE, keepWithNext=1),
        "h2": make("h2", fontName=FONT_BOLD, fontSize=11, leading=14, spaceBefore=6,
                   spaceAfter=3, textColor=ARML_BLUE, keepWithNext=1),
        "h3": make("h3", fontName=FONT_BOLD, fontSize=9.5, leading=12, spaceBefore=4,
                   spaceAfter=2, keepWithNext=1),
        "body": make("body", fontSize=9.5, leading=13, spaceAfter=4),
        "small": make("small", fontSize=7.5, leading=9.5, textColor=GREY),
        "muted": make("muted", textColor=GREY),
        "caption": make("caption", fontName=FONT_ITALIC, fontSize=7.5, leading=9.5,
                        textColor=GREY, spaceBefore=2),
        "bold": make("bold", fontName=FONT_BOLD),
        "cell": cell("cell"),
        "cell_right": cell("cell_right", alignment=TA_RIGHT),
        "cell_center": cell("cell_center", alignment=TA_CENTER),
        "cell_bold": cell("cell_bold", fontName=FONT_BOLD),
        "cell_bold_right": cell("cell_bold_right", fontName=FONT_BOLD, alignment=TA_RIGHT),
        "cell_head": cell("cell_head", fontName=FONT_BOLD, textColor=colors.white),
        "cell_head_right": cell("cell_head_right", fontName=FONT_BOLD, textColor=colors.white,
                                alignment=TA_RIGHT),
        "cell_head_center": cell("cell_head_center", fontName=FONT_BOLD,
                                 textColor=colors.white, alignment=TA_CENTER),
        "toc1": make("toc1", fontSize=10, leading=13, leftIndent=0, firstLineIndent=0),
        "toc2": make("toc2", fontSize=9, leading=12, leftIndent=12 * mm / 2,
                     firstLineIndent=0),
        "toc3": make("toc3", fontSize=8.5, leading=11, leftIndent=12 * mm, firstLineIndent=0,
                     textColor=GREY),
    }


def table_style(commands: list) -> TableStyle:
    """A TableStyle whose cells default to our face: reportlab otherwise names Helvetica
    (unembedded) in every table, even one holding only Paragraphs."""
    return TableStyle([("FONT", (0, 0), (-1, -1), FONT, 9), *commands])


def data_table(rows: list[list], col_widths: list[float], *, header_rows: int = 1,
               right_cols: tuple[int, ...] = (), total_row: bool = False,
               zebra: bool = True, split_rows: bool = False) -> Table:
    """A grid of data: blue header rows (repeated on every page), optional zebra stripes
    and bold total last row. A ``str`` cell goes through :func:`typo` into a Paragraph
    (right-aligned in ``right_cols``); any other Flowable is used as is. ``split_rows``
    lets a row taller than a page (a long typed text) continue on the next page instead
    of failing the layout."""
    s = styles()
    n = len(rows)

    def cell(value, r: int, c: int):
        if value is None:
            value = ""
        if not isinstance(value, str):
            return value
        right = c in right_cols
        if r < header_rows:
            style = s["cell_head_right" if right else "cell_head"]
        elif total_row and r == n - 1:
            style = s["cell_bold_right" if right else "cell_bold"]
        else:
            style = s["cell_right" if right else "cell"]
        return Paragraph(typo(value), style)

    data = [[cell(v, r, c) for c, v in enumerate(row)] for r, row in enumerate(rows)]
    table = Table(data, colWidths=col_widths, repeatRows=header_rows,
                  splitInRow=1 if split_rows else 0)
    commands = [
        ("GRID", (0, 0), (-1, -1), 0.5, BORDER),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 3), ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
        ("LEFTPADDING", (0, 0), (-1, -1), 4), ("RIGHTPADDING", (0, 0), (-1, -1), 4),
    ]
    if header_rows:
        commands += [("BACKGROUND", (0, 0), (-1, header_rows - 1), ARML_BLUE),
                     ("VALIGN", (0, 0), (-1, header_rows - 1), "MIDDLE")]
    body_end = n - 2 if total_row else n - 1
    if zebra and body_end >= header_rows:
        commands.append(("ROWBACKGROUNDS", (0, header_rows), (-1, body_end),
                         [colors.white, LIGHT]))
    if total_row and n > header_rows:
        commands += [("BACKGROUND", (0, n - 1), (-1, n - 1), LIGHT),
                     ("LINEABOVE", (0, n - 1), (-1, n - 1), 1, ARML_BLUE)]
    table.setStyle(table_style(commands))
    return table


@dataclass
class PdfMeta:
    title: str
    author: str = "Animaréseau"
    subject: str = ""
    keywords: str = ""
    header: str = ""          # small text at the top left of every page
    header_right: str = ""    # small text at the top right of every page
    footer: str = ""          # small text at the bottom left; bottom right reads "Page X sur Y"


class Heading(Paragraph):
    """A heading that :func:`build_pdf` turns into a bookmark (outline entry at ``level``,
    0 to 2) and, with ``toc=True``, a table of contents entry. ``key`` must be unique."""

    def __init__(self, text: str, level: int, key: str, style: ParagraphStyle | None = None):
        if level not in (0, 1, 2):
            raise ValueError("Heading level is 0, 1 or 2")
        self.level, self.key, self.plain = level, key, str(text)
        super().__init__(typo(text), style or styles()[f"h{level + 1}"])

    def split(self, availWidth, availHeight):  # noqa: N803 (reportlab's names)
        return []  # a heading is never cut: it moves to the next frame whole


def table_of_contents() -> Flowable:
    """A table of contents in our faces; needs ``build_pdf(..., toc=True)``."""
    toc = TableOfContents(tableStyle=table_style([
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 0), ("RIGHTPADDING", (0, 0), (-1, -1), 0),
        ("TOPPADDING", (0, 0), (-1, -1), 1), ("BOTTOMPADDING", (0, 0), (-1, -1), 1)]))
    s = styles()
    toc.levelStyles = [s["toc1"], s["toc2"], s["toc3"]]
    toc.dotsMinLevel = 0
    return toc


def _plain(text: str) -> str:
    """A string for the canvas (no markup): typography and glyph filter, unescaped."""
    return unescape(typo(text)).replace("\n", " ").strip()


class _NumberedCanvas(Canvas):
    """Keeps every page until save, then draws the header and ``Page X sur Y`` on each.

    Bookmarks are kept with their page too: ``bookmarkPage`` binds to the page being
    written to the file, which, with deferred pages, is only known at save time.
    """

    meta: PdfMeta
    decorate: Callable[[Canvas, int], None] | None = None
    margins: tuple[float, float, float, float]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._pages: list[dict] = []
        self._marks: list[tuple[str, tuple, dict]] = []

    def bookmarkPage(self, key, *args, **kwargs):  # noqa: N802 (reportlab's name)
        self._marks.append((key, args, kwargs))
        return key

    def showPage(self):  # noqa: N802
        self._pages.append({**self.__dict__, "_marks": self._marks})
        self._marks = []
        self._startPage()

    def save(self):
        total = len(self._pages)
        for number, state in enumerate(self._pages, start=1):
            self.__dict__.update(state)
            for key, args, kwargs in self._marks:
                Canvas.bookmarkPage(self, key, *args, **kwargs)
            self._marks = []
            self._decorate(number, total)
            Canvas.showPage(self)
        Canvas.save(self)

    def _decorate(self, number: int, total: int) -> None:
        width, height = self._pagesize
        left, right, top, bottom = self.margins
        meta = self.meta
        self.saveState()
        self.setFont(FONT, 7.5)
        self.setFillColor(GREY)
        head_y, foot_y = height - top / 2 - 1 * mm, bottom / 2 + 1 * mm
        right_text = _plain(meta.header_right)
        if meta.header:
            room = width - left - right - pdfmetrics.stringWidth(right_text, FONT, 7.5) - 8 * mm
            self.setFont(FONT_BOLD, 8.5)
            self.setFillColor(ARML_BLUE)
            self.drawString(left, head_y, _fit(_plain(meta.header), FONT_BOLD, 8.5, room))
        if right_text:
            self.setFont(FONT, 7.5)
            self.setFillColor(GREY)
            self.drawRightString(width - right, head_y, right_text)
        self.setFont(FONT, 7.5)
        self.setFillColor(GREY)
        y = foot_y
        if meta.footer:
            self.drawString(left, y, _fit(_plain(meta.footer), FONT, 7.5,
                                          width - left - right - 30 * mm))
        self.drawRightString(width - right, y, f"Page {number} sur {total}")
        self.restoreState()
        if self.decorate is not None:
            self.saveState()
            self.decorate(self, number)
            self.restoreState()


def _fit(text: str, font: str, size: float, width: float) -> str:
    """``text`` cut with an ellipsis so it is at most ``width`` wide."""
    if pdfmetrics.stringWidth(text, font, size) <= width:
        return text
    while text and pdfmetrics.stringWidth(text + "…", font, size) > width:
        text = text[:-1]
    return text.rstrip() + "…"


class _Document(BaseDocTemplate):
    def afterFlowable(self, flowable):  # noqa: N802 (reportlab's name)
        if isinstance(flowable, Heading):
            top = min(self.frame._y + flowable.height + flowable.style.spaceBefore + 6,
                      self.pagesize[1])
            self.canv.bookmarkPage(flowable.key, fit="XYZ", left=0, top=top)
            self.canv.addOutlineEntry(_plain(flowable.plain), flowable.key, flowable.level,
                                      closed=flowable.level > 0)
            self.notify("TOCEntry", (flowable.level, typo(flowable.plain), self.page,
                                     flowable.key))


def build_pdf(story: list, meta: PdfMeta, *, pagesize=A4,
              margins: tuple[float, float, float, float] = (18 * mm, 18 * mm, 20 * mm, 18 * mm),
              decorate: Callable[[Canvas, int], None] | None = None,
              toc: bool = False) -> bytes:
    """The PDF bytes of ``story``: reproducible (same story, same bytes), every font
    embedded, ``meta`` as document information, header/footer and ``Page X sur Y`` on
    every page, ``decorate(canvas, page_number)`` called on each page, bookmarks for
    every :class:`Heading`; ``toc=True`` builds in as many passes as the table of
    contents (placed by the caller with :func:`table_of_contents`) needs."""
    register_fonts()
    left, right, top, bottom = margins
    buffer = BytesIO()
    doc = _Document(buffer, pagesize=pagesize, leftMargin=left, rightMargin=right,
                    topMargin=top, bottomMargin=bottom, title=_plain(meta.title),
                    author=_plain(meta.author), subject=_plain(meta.subject),
                    keywords=_plain(meta.keywords), creator=CREATOR, producer=CREATOR,
                    invariant=1, pageCompression=1, lang="fr-FR",
                    initialFontName=FONT, initialFontSize=9)  # else every page names Helvetica
    frame = Frame(left, bottom, pagesize[0] - left - right, pagesize[1] - top - bottom,
                  id="body")
    doc.addPageTemplates([PageTemplate(id="page", frames=[frame], pagesize=pagesize)])
    canvasmaker = type("Canvas", (_NumberedCanvas,), {
        "meta": meta, "decorate": staticmethod(decorate) if decorate else None,
        "margins": margins})
    # reportlab marks the story's flowables while laying them out (moved to the next
    # page, keepWithNext consumed): undo that so the same story builds the same again
    kept = [(f, f.__dict__.get("keepWithNext", _UNSET)) for f in story]
    try:
        if toc:
            doc.multiBuild(list(story), canvasmaker=canvasmaker)
        else:
            doc.build(list(story), canvasmaker=canvasmaker)
    finally:
        for flowable, keep in kept:
            flowable.__dict__.pop("_postponed", None)
            if keep is _UNSET:
                flowable.__dict__.pop("keepWithNext", None)
            else:
                flowable.__dict__["keepWithNext"] = keep
    return buffer.getvalue()


_UNSET = object()


register_fonts()  # FONT & co. can be named (stringWidth, setFont) as soon as imported
