"""The shared PDF toolkit (webapp/pdf/document.py) and the three PDFs built on it.

For the feuille d'émargement (30 trainees: several pages), an attestation, a feuille de
temps and small ``build_pdf`` stories: every font embedded and none of the base 14
(``pdffonts``), the same input gives the same bytes, every page reads ``Page X sur Y``
(``pdftotext -layout``), ``qpdf --check`` passes, the metadata and the bookmarks (read
with pypdf) are right; and ``typo``'s French typography, escaping and glyph filter.
"""

from __future__ import annotations

import io
import re
import subprocess
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from pypdf import PdfReader
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm
from reportlab.platypus import PageBreak, Paragraph, Spacer

from models.audit import set_actor
from models.formatting import format_ratio
from models.funding import timesheet_queries as tq
from models.funding import timesheets as ts
from models.programme.orm import Action, TeamMember
from models.training import attendance as att
from models.training.enums import Presence
from models.training.orm import TrainingSession
from tests.test_training_attendance import _register
from webapp.extensions import db
from webapp.pdf.attendance_sheet import attendance_sheet_pdf
from webapp.pdf.certificate import certificate_pdf
from webapp.pdf.document import (
    FONT,
    FONT_BOLD,
    Heading,
    PdfMeta,
    build_pdf,
    data_table,
    paragraphs,
    styles,
    table_of_contents,
    typo,
)
from webapp.pdf.timesheet import timesheet_pdf

GENERATED = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
AFTER = date(2026, 12, 11)
BASE_14 = re.compile(r"Helvetica|Times|Courier|Symbol|ZapfDingbats|Arial", re.I)
BUILT = ["emargement", "attestation", "feuille_de_temps"]


# ---------------------------------------------------------------- helpers
def _pdf(tmp_path: Path, body: bytes, name: str = "doc") -> Path:
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(body)
    return path


def _fonts(path: Path) -> list[dict[str, str]]:
    """``pdffonts`` rows as {name, emb}: the ``emb`` column is the 5th from the end."""
    lines = subprocess.run(["pdffonts", str(path)], check=True, capture_output=True,
                           text=True).stdout.splitlines()[2:]
    return [{"name": line.split()[0], "emb": line.split()[-5]} for line in lines if line]


def _page_text(path: Path, page: int) -> str:
    return subprocess.run(["pdftotext", "-layout", "-f", str(page), "-l", str(page), str(path),
                           "-"], check=True, capture_output=True, text=True).stdout


def _pages(body: bytes) -> int:
    return len(PdfReader(io.BytesIO(body)).pages)


def _story(texts: int = 1) -> list:
    """Three chapters (one with sections and a sub-section), enough text to run over
    several pages, a table long enough to repeat its header."""
    s = styles()
    lorem = ("Le réseau des missions locales accompagne les jeunes : emploi, formation ; "
             "santé ! Logement ? 12 % des jeunes « accompagnés ». ") * 12
    story = [Paragraph(typo("Rapport d'exécution 2026"), s["title"]), table_of_contents(),
             PageBreak()]
    for n in range(1, 4):
        story.append(Heading(f"Chapitre {n} : bilan", 0, f"chap{n}"))
        story += paragraphs("\n\n".join([lorem] * (6 * texts)), s["body"])
        if n == 2:
            story.append(Heading("Section 2.1", 1, "sec21"))
            story.append(data_table(
                [["Action", "Montant"]] + [[f"Action {i}", f"{i} 000,00 €"] for i in range(60)]
                + [["Total", "1 770 000,00 €"]], [100 * mm, 40 * mm], right_cols=(1,),
                total_row=True))
            story.append(Heading("Sous-section 2.1.1", 2, "sec211"))
            story.append(Paragraph(typo("Détail."), s["body"]))
    return story


META = PdfMeta(title="Rapport d'exécution 2026", author="ARML test",
               subject="Rapport au financeur", keywords="FSE, rapport",
               header="ARML test · Rapport d'exécution", header_right="Convention FSE-2026",
               footer="Document généré par Animaréseau")


def _story_pdf(**options) -> bytes:
    return build_pdf(_story(), META, toc=True, **options)


@pytest.fixture
def builders(app, full_world):
    """Functions building each existing PDF from the test world: an émargement of 30
    trainees, the attestation of a trainee present 3 half-days out of 4 (75 %), the
    September timesheet of the world's staff member (signed by the person)."""
    ids = full_world["ids"]
    with app.app_context():
        s = db.session
        set_actor(s, None, via="cli")
        session = s.get(TrainingSession, ids["session"])
        session.max_capacity, session.ml_quota = 40, None
        s.commit()
        regs = _register(s, ids, [(f"Stagiaire{n:02d}", f"Prénom{n:02d}",
                                   "ml_a" if n % 2 else "ml_b") for n in range(30)])
        first = regs["Prénom00"]
        att.record_attendance(s, None, session, {
            (first, slot): Presence.PRESENT if k < 3 else Presence.ABSENT
            for k, slot in enumerate(ids["slots"])}, today=AFTER)
        member = s.get(TeamMember, ids["member"])
        ts.save_hours(s, None, member, s.get(Action, ids["action_b"]), date(2026, 9, 1),
                      Decimal("42.25"))
        ts.sign(s, None, member, date(2026, 9, 1), ts.SALARIE)
        s.commit()

    def emargement() -> bytes:
        with app.app_context():
            sheet = att.session_attendance(db.session, db.session.get(
                TrainingSession, ids["session"]))
            return attendance_sheet_pdf(sheet, "ARML test", GENERATED)

    def attestation() -> bytes:
        with app.app_context():
            sheet = att.session_attendance(db.session, db.session.get(
                TrainingSession, ids["session"]))
            return certificate_pdf(sheet.trainee(first), sheet, "ARML test", AFTER,
                                   "Direction de l'ARML")

    def feuille_de_temps() -> bytes:
        with app.app_context():
            sheet = tq.month_sheet(db.session, db.session.get(TeamMember, ids["member"]),
                                   date(2026, 9, 1))
            return timesheet_pdf(sheet, GENERATED)

    return {"emargement": emargement, "attestation": attestation,
            "feuille_de_temps": feuille_de_temps}


# ---------------------------------------------------------------- every document
def _assert_fonts_embedded(body: bytes, tmp_path: Path) -> None:
    fonts = _fonts(_pdf(tmp_path, body))
    assert fonts, "pdffonts lists no font"
    for font in fonts:
        assert font["emb"] == "yes", font
        assert not BASE_14.search(font["name"]), font
    assert any("VeraSans-Bold" in f["name"] for f in fonts)  # <b> and the bold styles


def _assert_reproducible(build) -> None:
    first, second = build(), build()
    assert first[:5] == b"%PDF-" and first == second
    # reportlab's invariant mode: a fixed date, never the clock's
    assert PdfReader(io.BytesIO(first)).metadata["/CreationDate"].startswith("D:2000")


def _assert_numbered(body: bytes, tmp_path: Path) -> int:
    pages = _pages(body)
    path = _pdf(tmp_path, body)
    for page in range(1, pages + 1):
        assert f"Page {page} sur {pages}" in _page_text(path, page), page
    return pages


def _assert_qpdf_check(body: bytes, tmp_path: Path) -> None:
    result = subprocess.run(["qpdf", "--check", str(_pdf(tmp_path, body))],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No syntax or stream encoding errors" in result.stdout


@pytest.mark.parametrize("name", BUILT)
def test_every_font_is_embedded_and_none_is_base_14(builders, tmp_path, name):
    _assert_fonts_embedded(builders[name](), tmp_path)


def test_story_fonts_are_embedded_and_none_is_base_14(tmp_path):
    _assert_fonts_embedded(_story_pdf(), tmp_path)


@pytest.mark.parametrize("name", BUILT)
def test_the_same_input_gives_the_same_bytes(builders, name):
    _assert_reproducible(builders[name])


def test_the_same_story_gives_the_same_bytes():
    _assert_reproducible(_story_pdf)


@pytest.mark.parametrize("name", BUILT)
def test_every_page_reads_page_x_sur_y(builders, tmp_path, name):
    pages = _assert_numbered(builders[name](), tmp_path)
    if name == "emargement":
        assert pages >= 3  # 30 trainees: the count is not the trivial "1 sur 1"


def test_every_page_of_a_story_reads_page_x_sur_y(tmp_path):
    assert _assert_numbered(_story_pdf(), tmp_path) >= 3


@pytest.mark.parametrize("name", BUILT)
def test_qpdf_finds_no_structural_error(builders, tmp_path, name):
    _assert_qpdf_check(builders[name](), tmp_path)


def test_qpdf_finds_no_structural_error_in_a_story(tmp_path):
    _assert_qpdf_check(_story_pdf(), tmp_path)


def test_existing_documents_keep_their_content_and_metadata(builders, tmp_path):
    emargement = builders["emargement"]()
    path = _pdf(tmp_path, emargement, "emargement")
    reader = PdfReader(io.BytesIO(emargement))
    assert reader.pages[0].mediabox.width > reader.pages[0].mediabox.height  # landscape
    assert reader.metadata.title == ("Feuille d'émargement — Accueillir un public en "
                                     "situation de handicap")
    assert reader.metadata.author == "ARML test"
    assert reader.metadata.creator == "Animaréseau"
    for page in range(1, len(reader.pages) + 1):
        text = " ".join(_page_text(path, page).split())
        assert "ARML test · Feuille d'émargement · Accueillir un public" in text  # header
        assert "Document généré le 23 novembre 2026 à 10:00 par Animaréseau" in text
        assert "Nom et prénom" in text  # the grid's header on each page
    attestation = builders["attestation"]()
    text = _page_text(_pdf(tmp_path, attestation, "attestation"), 1)
    # format_ratio's no-break space, kept through typo()
    assert "3 demi-journée(s) sur 4 (75 %)" in text
    assert "Heures suivies" in text and "10,50 heures" in text
    assert "« Accueillir un public" in " ".join(text.split())
    assert PdfReader(io.BytesIO(attestation)).metadata.title.startswith(
        "Attestation de fin de formation")
    sheet = builders["feuille_de_temps"]()
    text = " ".join(_page_text(_pdf(tmp_path, sheet, "temps"), 1).split())
    assert "DREETS Nouvelle-Aquitaine" in text and "42,25 h" in text
    assert "Signé électroniquement par" in text
    meta = PdfReader(io.BytesIO(sheet)).metadata
    assert meta.title == "Feuille de temps — Sophie Lambert — septembre 2026"
    assert meta.creator == "Animaréseau"


# ---------------------------------------------------------------- build_pdf
def test_metadata_header_footer_and_decoration_on_every_page(tmp_path):
    seen: list[int] = []

    def decorate(canvas, page_number: int) -> None:
        seen.append(page_number)
        canvas.setFont(FONT_BOLD, 7)
        canvas.drawString(20 * mm, 8 * mm, "Cofinancé par l'Union européenne")

    body = build_pdf(_story(), META, decorate=decorate)
    reader = PdfReader(io.BytesIO(body))
    info = reader.metadata
    assert (info.title, info.author, info.subject, info.creator) == (
        "Rapport d'exécution 2026", "ARML test", "Rapport au financeur", "Animaréseau")
    assert info["/Keywords"] == "FSE, rapport"
    pages = len(reader.pages)
    assert seen == list(range(1, pages + 1))
    path = _pdf(tmp_path, body)
    for page in range(1, pages + 1):
        text = _page_text(path, page)
        for expected in ("Cofinancé par l'Union européenne", "ARML test · Rapport d'exécution",
                         "Convention FSE-2026", "Document généré par Animaréseau",
                         f"Page {page} sur {pages}"):
            assert expected in text, (page, expected)


def test_bookmarks_follow_the_headings_and_their_levels(tmp_path):
    body = _story_pdf()
    reader = PdfReader(io.BytesIO(body))

    def walk(items, level=0):
        for item in items:
            if isinstance(item, list):
                yield from walk(item, level + 1)
            else:
                yield level, item.title, reader.get_destination_page_number(item) + 1

    outline = list(walk(reader.outline))
    assert [(level, title) for level, title, _ in outline] == [
        (0, "Chapitre 1\u00a0: bilan"), (0, "Chapitre 2\u00a0: bilan"),
        (1, "Section 2.1"), (2, "Sous-section 2.1.1"), (0, "Chapitre 3\u00a0: bilan")]
    # each bookmark opens the page its heading is printed on (not page 1 for all)
    path = _pdf(tmp_path, body)
    for _, title, page in outline:
        assert title.replace("\u00a0", " ") in " ".join(
            _page_text(path, page).replace("\u00a0", " ").split()), (title, page)
    assert len({page for _, _, page in outline}) >= 3
    # the table of contents (multiBuild) prints the same page numbers
    toc = " ".join(_page_text(path, 1).replace("\u00a0", " ").split())
    for _, title, page in outline:
        assert re.search(re.escape(title.replace("\u00a0", " ")) + r"[ .]+" + str(page) + r"\b",
                         toc), (title, page, toc)


def test_the_story_can_be_built_again_and_without_a_toc():
    story = _story()
    assert build_pdf(story, META, toc=True) == build_pdf(story, META, toc=True)
    plain = build_pdf(_story(), META)
    assert PdfReader(io.BytesIO(plain)).outline  # bookmarks without toc too


def test_landscape_page(tmp_path):
    body = build_pdf([Paragraph(typo("Paysage"), styles()["body"])], PdfMeta(title="Paysage"),
                     pagesize=landscape(A4), margins=(12 * mm, 12 * mm, 20 * mm, 14 * mm))
    box = PdfReader(io.BytesIO(body)).pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (842, 595)
    assert "Page 1 sur 1" in _page_text(_pdf(tmp_path, body), 1)
    # bottom right of the landscape page: further right than a portrait page allows
    found = []
    PdfReader(io.BytesIO(body)).pages[0].extract_text(
        visitor_text=lambda text, _cm, tm, _font, _size: found.append(tm[4])
        if "Page 1 sur 1" in text else None)
    assert found and 700 < found[0] < 842 - 12 * mm


def test_long_free_text_with_markup_and_emoji_runs_over_several_pages(tmp_path):
    chunk = ("Compte rendu 👍 <script>alert('x')</script> & <b>pas gras</b> ; "
             "taux : 45 %\u202f!\n")
    blocks = [chunk * 6 for _ in range(60)]
    text = "\n\n".join(blocks)[:20_000]
    assert len(text) == 20_000
    flow = paragraphs(text, styles()["body"])
    assert len(flow) == text.count("\n\n") + 1  # one paragraph per block
    body = build_pdf([Spacer(1, 1), *flow], PdfMeta(title="Texte libre"))
    pages = _pages(body)
    assert pages >= 3
    path = _pdf(tmp_path, body)
    page_1 = _page_text(path, 1)
    assert "<script>alert('x')</script>" in page_1  # shown, not interpreted
    assert "<b>pas gras</b>" in page_1 and "&" in page_1 and "&amp;" not in page_1
    assert "👍" not in page_1 and "\u202f" not in page_1
    assert "45 % !" in page_1 and "taux : 45" in page_1
    assert all(f["emb"] == "yes" for f in _fonts(path))


def test_data_table_repeats_its_header_and_escapes_cells(tmp_path):
    rows = [["Ligne", "Montant"]] + [[f"<i>{n}</i> & co", f"{n} %"] for n in range(150)]
    body = build_pdf([data_table(rows, [80 * mm, 40 * mm], right_cols=(1,))],
                     PdfMeta(title="Tableau"))
    pages = _pages(body)
    assert pages >= 2
    path = _pdf(tmp_path, body)
    for page in range(1, pages + 1):
        text = _page_text(path, page)
        assert re.search(r"Ligne\s+Montant", text), page
    assert "<i>0</i> & co" in _page_text(path, 1)
    assert "149 %" in _page_text(path, pages)


# ---------------------------------------------------------------- typo()
@pytest.mark.parametrize(("raw", "expected"), [
    ("12 %", "12\u00a0%"),
    ("« mot »", "«\u00a0mot\u00a0»"),
    ("«mot»", "«\u00a0mot\u00a0»"),
    ("Durées : 3 h ; oui ! non ?", "Durées\u00a0: 3 h\u00a0; oui\u00a0! non\u00a0?"),
    ("a&b<script>", "a&amp;b&lt;script&gt;"),
    ("👍", ""),
    ("ok 👍", "ok "),
    ("1\u202f607", "1\u00a0607"),
    ("https://x", "https://x"),
    ("14:05", "14:05"),
    ("https://x.fr/?a=1;b=2", "https://x.fr/?a=1;b=2"),
    ("ligne 1\nligne 2", "ligne 1\nligne 2"),
    ("a\x07b\x00c", "abc"),
    ("Émilie Lefèvre · œuvre — 1 000 €", "Émilie Lefèvre · œuvre — 1 000 €"),
    ("e\u0301te\u0301", "été"),  # decomposed accents are composed, not dropped
    (42, "42"),
])
def test_typo(raw, expected):
    assert typo(raw) == expected


def test_typo_drops_exactly_what_the_font_cannot_draw():
    from reportlab.pdfbase import pdfmetrics

    face = pdfmetrics.getFont(FONT).face
    sample = "Aé€\u00a0œ✓☃🙂\u4e2d"
    kept = typo(sample)
    assert kept == "".join(ch for ch in sample if ord(ch) in face.charToGlyph)
    assert kept == "Aé€\u00a0œ"


def test_the_no_break_space_keeps_the_sign_with_its_number():
    from reportlab.pdfbase.pdfmetrics import stringWidth

    style = styles()["body"]
    width = stringWidth("taux de 12", FONT, style.fontSize) + 2  # "%" does not fit too

    def lines(markup: str) -> list[str]:
        paragraph = Paragraph(markup, style)
        paragraph.wrap(width, 1000)
        return [" ".join(words) for _, words in paragraph.blPara.lines]

    assert lines("taux de 12 %") == ["taux de 12", "%"]  # what typo() prevents
    assert lines(typo("taux de 12 %")) == ["taux de", "12\u00a0%"]


def test_paragraphs_split_blocks_and_keep_line_breaks():
    flow = paragraphs("Un\ndeux\n\n\n  \nTrois <b>\n\n👍", styles()["body"])
    assert [p.text for p in flow] == ["Un<br/>deux", "Trois &lt;b&gt;"]


def test_format_ratio_puts_a_no_break_space_before_the_percent_sign():
    assert format_ratio(Decimal("0.62")) == "62\u00a0%"
    assert format_ratio(None) == "—"
