"""Funder activity reports: what a funder reads never names another funder.

The demo's published reports are read as a funder would (``pdftotext``, ``pdfinfo``, the
bookmarks): no other funder's name or convention reference, no amount of a co-funded
action; fonts embedded, ``qpdf --check`` clean, ``Page N sur N`` on the last page. On the
small ``funding_world``: who may read which version through the web, the archived bytes
(sha256 = ETag, 304), the amounts agreeing with the convention page, regenerating after a
payment, determinism, the co-funder scan blocking publication until confirmed, hostile
review text, bad input (web and CLI), double publication, a deactivated funder, and the
funder's request for an update.

The demo is built once per backend (``demo_app``) and read into memory by ``demo_reports``,
so the tests that truncate the database (``app``) cannot disturb it.
"""

from __future__ import annotations

import hashlib
import html
import io
import re
import subprocess
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from models.accounts.orm import User
from models.audit import set_actor
from models.audit.orm import AuditEvent
from models.errors import DomainError
from models.formatting import format_money
from models.funding.orm import Convention, Funder
from models.mail.orm import OutboxMessage
from models.programme.orm import Action
from models.reports import services
from models.reports.content import Parameters, build_content
from models.reports.orm import FunderReport, FunderReportDownload
from models.reports.scan import forbidden_terms
from tests.conftest import login
from webapp.extensions import db
from webapp.pdf.funder_report import render


# ---------------------------------------------------------------- helpers
def _spaces(text: str) -> str:
    """U+202F / U+00A0 (the app's money spacing) and runs of blanks as one plain space."""
    return re.sub(r"[\u00a0\u202f \t]+", " ", text)


def _money(value: Decimal) -> str:
    return _spaces(format_money(value))


def _pdf_file(tmp: Path, body: bytes, name: str = "r.pdf") -> Path:
    path = tmp / name
    path.write_bytes(body)
    return path


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(list(args), capture_output=True, text=True, timeout=60)


def pdf_text(path: Path, *extra: str) -> str:
    result = _run("pdftotext", "-layout", *extra, str(path), "-")
    assert result.returncode == 0, result.stderr
    return _spaces(result.stdout)


def pdf_flat_text(path: Path) -> str:
    """Reading order, every line break a space: a name wrapped in a cell is found too."""
    result = _run("pdftotext", "-raw", str(path), "-")
    assert result.returncode == 0, result.stderr
    return re.sub(r"\s+", " ", _spaces(result.stdout).replace("-\n", "-"))


def _outline_titles(reader: PdfReader) -> list[str]:
    titles: list[str] = []

    def walk(items):
        for item in items:
            if isinstance(item, list):
                walk(item)
            else:
                titles.append(item.title)

    walk(reader.outline)
    return titles


def _amount_in(text: str, money: str) -> bool:
    """``money`` in ``text`` as a whole amount ("1 000,00 €" is not in "11 000,00 €")."""
    return re.search(r"(?<![\d,])(?<!\d )" + re.escape(money), text) is not None


def _page(response) -> str:
    """The page's text with entities decoded (Jinja writes ' as &#39;)."""
    return html.unescape(response.get_data(as_text=True))


# ---------------------------------------------------------------- the demo
@dataclass
class DemoReport:
    id: int
    funder: str
    year: int
    pages: int
    sha256: str
    pdf: bytes
    names: set[str]        # other funders' names, from the ORM
    references: set[str]   # other funders' convention references, from the ORM
    amounts: set[Decimal]  # forbidden_terms' amounts, less the funder's own figures
    code_names: set[str]   # forbidden_terms' names and references, as written
    code_references: set[str]


def _own_amounts(session, funder_id: int) -> set[Decimal]:
    """The amounts the funder may read as its own (its conventions, instalments, payments,
    allocations and their shares): the scan's list spans every programme and may hold the
    same round figure for another action; that figure is not a leak."""
    from models.funding.orm import FundingAllocation, Payment
    from models.funding.plan import programme_funding
    from models.funding.rules import split_by_percent

    cent = Decimal("0.01")
    conventions = session.scalars(select(Convention).where(Convention.funder_id == funder_id)
                                  ).all()
    own = {c.amount for c in conventions}
    for c in conventions:
        if c.instalments:
            own.update(split_by_percent(c.amount, [i.percent for i in c.instalments]))
    own.update(session.scalars(select(Payment.amount).join(Convention)
                               .where(Convention.funder_id == funder_id)))
    own.update(session.scalars(select(FundingAllocation.amount).join(Convention)
                               .where(Convention.funder_id == funder_id)))
    for programme_id in session.scalars(select(FundingAllocation.programme_id).distinct()):
        pf = programme_funding(session, programme_id)
        own.update(amount for (conv_id, _), amount in pf.effective.items()
                   if pf.convention_funder[conv_id] == funder_id)
    return {a.quantize(cent) for a in own if a is not None}


@pytest.fixture(scope="module")
def demo_reports(demo_app) -> list[DemoReport]:
    """Every published report of the demo, read once per backend into plain data."""
    with demo_app.app_context():
        s = db.session
        funders = {f.id: f.name for f in s.scalars(select(Funder))}
        conventions = s.execute(select(Convention.funder_id, Convention.reference)).all()
        reports = []
        for r in s.scalars(select(FunderReport).where(FunderReport.published_at.is_not(None))
                           .order_by(FunderReport.id)):
            forbidden = forbidden_terms(s, r.funder_id)
            own = _own_amounts(s, r.funder_id)
            reports.append(DemoReport(
                id=r.id, funder=funders[r.funder_id], year=r.year, pages=r.pages,
                sha256=r.sha256, pdf=bytes(r.pdf),
                names={n for fid, n in funders.items() if fid != r.funder_id},
                references={ref for fid, ref in conventions if fid != r.funder_id},
                amounts=set(forbidden.amounts) - own,
                code_names=set(forbidden.names.values()),
                code_references=set(forbidden.references.values())))
        s.remove()
    return reports


def test_demo_publishes_reports_of_several_funders(demo_reports):
    assert len(demo_reports) >= 10
    assert len({r.funder for r in demo_reports}) >= 6
    assert {r.year for r in demo_reports} == {2025, 2026}
    # the scan's list covers what the ORM says (not only trusted: built independently)
    for r in demo_reports:
        assert r.names and r.names <= r.code_names
        assert r.references <= r.code_references
        assert hashlib.sha256(r.pdf).hexdigest() == r.sha256


def test_demo_pdfs_name_no_other_funder(demo_reports, tmp_path):
    for r in demo_reports:
        path = _pdf_file(tmp_path, r.pdf, f"{r.id}.pdf")
        layout, flat = pdf_text(path), pdf_flat_text(path)
        assert r.funder.lower() in flat.lower(), f"report {r.id} does not name its funder"
        for text in (layout.lower(), flat.lower()):
            for name in r.names:
                assert _spaces(name).lower() not in text, (r.id, r.funder, name)
            for ref in r.references:
                assert ref.lower() not in text, (r.id, r.funder, ref)
        for amount in r.amounts:
            money = _money(amount)
            assert not _amount_in(layout, money) and not _amount_in(flat, money), \
                (r.id, r.funder, money)

        info = _run("pdfinfo", str(path))
        assert info.returncode == 0, info.stderr
        assert r.funder in info.stdout  # the title names the report's own funder
        outline = _outline_titles(PdfReader(io.BytesIO(r.pdf)))
        assert outline, f"report {r.id} has no bookmarks"
        for name in r.names:
            assert name.lower() not in info.stdout.lower(), (r.id, "metadata", name)
            assert not any(name.lower() in t.lower() for t in outline), (r.id, "outline", name)
        for ref in r.references:
            assert ref not in info.stdout and not any(ref in t for t in outline)


def test_demo_pdfs_are_sound(demo_reports, tmp_path):
    for r in demo_reports:
        path = _pdf_file(tmp_path, r.pdf, f"{r.id}.pdf")
        fonts = _run("pdffonts", str(path))
        assert fonts.returncode == 0, fonts.stderr
        rows = fonts.stdout.splitlines()[2:]
        assert rows, f"report {r.id}: no fonts listed"
        for row in rows:
            # name type encoding emb sub uni object ID: emb is the fifth from the end
            assert row.split()[-5] == "yes", (r.id, row)
        check = _run("qpdf", "--check", str(path))
        assert check.returncode == 0, (r.id, check.stdout, check.stderr)
        info = _run("pdfinfo", str(path)).stdout
        assert re.search(rf"^Pages:\s+{r.pages}$", info, re.M), (r.id, r.pages, info)
        last = pdf_text(path, "-f", str(r.pages), "-l", str(r.pages))
        assert f"Page {r.pages} sur {r.pages}" in last, (r.id, last[-300:])


# ---------------------------------------------------------------- funding_world helpers
def _generate(app, funder_id: int, year: int = 2026, *, publish: bool = True,
              synthesis: str = "") -> int:
    with app.app_context():
        s = db.session
        set_actor(s, None, via="cli")
        report = services.generate(s, None, funder_id, year, render=render,
                                   synthesis=synthesis)
        if publish:
            services.publish(s, None, report.id)
        s.commit()
        return report.id


def _report(app, report_id: int) -> dict:
    with app.app_context():
        r = db.session.get(FunderReport, report_id)
        return {"sha256": r.sha256, "pdf": bytes(r.pdf), "pages": r.pages,
                "filename": r.filename, "version": r.version, "findings": list(r.findings)}


def _pdf_url(report_id: int, version: int = 1, year: int = 2026) -> str:
    return f"/financements/rapports/{report_id}/rapport-activite-{year}-v{version}.pdf"


def _count(app, model, *where) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def _cofund_action_b(app, ids) -> None:
    """The world's funder also funds action_b (budget 20 000, spent 5 000): 3 000 from a
    new convention, the DREETS's share cut to 17 000. Its report then covers an action
    the other funder co-funds."""
    from models.funding.allocations import AllocationData, save_allocation
    from models.funding.orm import FundingAllocation
    from models.funding.services import ConventionData, save_convention

    with app.app_context():
        s = db.session
        set_actor(s, None, via="cli")
        save_allocation(s, None, s.get(Convention, ids["convention_b"]),
                        s.get(FundingAllocation, ids["allocation_b"]), AllocationData(
                            programme_id=ids["programme"], action_id=ids["action_b"],
                            axis_id=None, amount=Decimal("17000.00")))
        conv = save_convention(s, None, None, ConventionData(
            funder_id=ids["funder"], reference="CRNA-2026-02", object="Observatoire (part)",
            type="projet", amount=Decimal("3000.00"), first_year=2026, last_year=2026,
            period_start=date(2026, 1, 1), period_end=date(2026, 12, 31),
            signature_date=date(2026, 4, 1), status="signee"))
        save_allocation(s, None, conv, None, AllocationData(
            programme_id=ids["programme"], action_id=ids["action_b"], axis_id=None,
            amount=Decimal("3000.00")))
        s.commit()


def _review(app, action_id: int, **texts) -> None:
    with app.app_context():
        s = db.session
        set_actor(s, None, via="cli")
        services.save_review(s, None, s.get(Action, action_id), services.ReviewData(**texts))
        s.commit()


# ---------------------------------------------------------------- web access
def test_financeur_reads_and_downloads_its_published_reports(app, client, funding_world):
    ids, emails = funding_world["ids"], funding_world["emails"]
    own = _generate(app, ids["funder"])
    draft = _generate(app, ids["funder"], publish=False)  # version 2, unpublished
    other = _generate(app, ids["funder_b"])
    stored = _report(app, own)

    assert login(client, emails["financeur"]).status_code == 302
    listing = _page(client.get("/financements/rapports"))
    links = re.findall(r'href="([^"]*/financements/rapports/\d+/[^"]*)"', listing)
    pdf_links = [link for link in links if link.endswith(".pdf")]
    assert pdf_links == [_pdf_url(own)] or set(pdf_links) == {_pdf_url(own)}, links
    assert f"/rapports/{other}/" not in listing and f"/rapports/{draft}/" not in listing
    assert "DREETS" not in listing

    first, second = client.get(pdf_links[0]), client.get(pdf_links[0])
    assert first.status_code == second.status_code == 200
    assert first.mimetype == "application/pdf"
    assert first.data == second.data == stored["pdf"]
    assert hashlib.sha256(first.data).hexdigest() == stored["sha256"]
    assert first.headers["ETag"].strip('"') == stored["sha256"]
    cached = client.get(pdf_links[0], headers={"If-None-Match": f'"{stored["sha256"]}"'})
    assert cached.status_code == 304 and not cached.data

    # the two real downloads are recorded (the 304 is not), each in the journal
    assert _count(app, FunderReportDownload, FunderReportDownload.report_id == own,
                  FunderReportDownload.user_id == ids["financeur"]) == 2
    assert _count(app, AuditEvent, AuditEvent.entity == "funder_report_download",
                  AuditEvent.action == "insert") == 2

    assert client.get(f"/financements/rapports/{own}").status_code == 200
    for hidden, version in ((other, 1), (draft, 2)):
        assert client.get(f"/financements/rapports/{hidden}").status_code == 404
        assert client.get(_pdf_url(hidden, version)).status_code == 404
    assert client.get("/financements/rapports/999999").status_code == 404

    client = app.test_client()
    assert login(client, emails["ml"]).status_code == 302
    assert client.get("/financements/rapports").status_code == 403
    assert client.get(f"/financements/rapports/{own}").status_code in (403, 404)
    assert client.get(_pdf_url(own)).status_code in (403, 404)

    client = app.test_client()
    assert login(client, emails["copil"]).status_code == 302
    for published in (own, other):
        assert client.get(f"/financements/rapports/{published}").status_code == 200
        assert client.get(_pdf_url(published)).status_code == 200
    assert client.get(f"/financements/rapports/{draft}").status_code == 404
    assert _count(app, FunderReportDownload) == 4


def test_pdf_amounts_match_the_convention_page(app, client, funding_world, tmp_path):
    ids, emails = funding_world["ids"], funding_world["emails"]
    report_id = _generate(app, ids["funder"])
    login(client, emails["financeur"])
    convention_page = _spaces(_page(client.get(f"/financements/conventions/"
                                               f"{ids['convention_a']}")))
    pdf = client.get(_pdf_url(report_id)).data
    text = pdf_text(_pdf_file(tmp_path, pdf))
    for amount in ("10000.00", "8000.00", "2000.00"):  # amount, received, still due
        money = _money(Decimal(amount))
        assert money in convention_page, money
        assert _amount_in(text, money), money
    assert "CRNA-2026-01" in text
    # the other funder's convention (20 000, allocated to action_b) is nowhere
    assert "DREETS" not in text and not _amount_in(text, _money(Decimal("20000")))


def test_regenerating_after_a_payment_adds_a_version(app, client, funding_world, tmp_path):
    from models.funding.payments import PaymentData, add_payment

    ids, emails = funding_world["ids"], funding_world["emails"]
    v1 = _generate(app, ids["funder"])
    old = _report(app, v1)
    with app.app_context():
        s = db.session
        set_actor(s, None, via="cli")
        conv = s.get(Convention, ids["convention_a"])
        add_payment(s, None, conv, PaymentData(
            received_on=date(2026, 11, 10), amount=Decimal("1500.00"),
            instalment_id=conv.instalments[1].id), today=date(2026, 11, 23))
        s.commit()
    v2 = _generate(app, ids["funder"])
    new = _report(app, v2)
    assert (old["version"], new["version"]) == (1, 2)
    assert new["sha256"] != old["sha256"]

    received = _money(Decimal("9500.00"))
    assert _amount_in(pdf_text(_pdf_file(tmp_path, new["pdf"], "v2.pdf")), received)
    assert not _amount_in(pdf_text(_pdf_file(tmp_path, old["pdf"], "v1.pdf")), received)

    login(client, emails["financeur"])
    again = client.get(_pdf_url(v1, 1))
    assert again.status_code == 200
    assert hashlib.sha256(again.data).hexdigest() == old["sha256"]
    assert client.get(_pdf_url(v2, 2)).data == new["pdf"]

    with app.app_context():
        s = db.session
        first = services.verify(s, None, s.get(FunderReport, v1), render)
        second = services.verify(s, None, s.get(FunderReport, v2), render)
        s.commit()
    assert not first.same and "ont changé" in first.message, first
    assert second.same and "Identique" in second.message, second


def test_verify_through_the_web(app, client, funding_world):
    ids, emails = funding_world["ids"], funding_world["emails"]
    report_id = _generate(app, ids["funder"])
    login(client, emails["admin"])
    page = _page(client.post(f"/financements/rapports/{report_id}/verifier",
                             follow_redirects=True))
    assert "Identique" in page


def test_rendering_is_deterministic(app, funding_world):
    ids = funding_world["ids"]
    report_id = _generate(app, ids["funder"])
    with app.app_context():
        s = db.session
        report = s.get(FunderReport, report_id)
        content = build_content(s, Parameters.from_json(report.parameters))
        once, twice = render(content), render(content)
        assert once.pdf == twice.pdf and once.pages == twice.pages
        rebuilt = render(build_content(s, Parameters.from_json(report.parameters)))
        assert rebuilt.pdf == once.pdf == bytes(report.pdf)
        assert content == report.content


# ---------------------------------------------------------------- the co-funder scan
@pytest.mark.parametrize("text, kind", [
    ("Action cofinancée avec la DREETS Nouvelle-Aquitaine.", "financeur"),
    ("Voir aussi la convention DREETS-2026-07.", "référence"),
    ("Budget total de l'action : 20 000 €.", "montant"),
    ("Budget total de l'action : 20000.", "montant"),
    ("Cofinancée par l'État, qui en assure l'essentiel.", "financeur"),
    ("Un budget d'environ 20 k€ cette année.", "montant"),
    ("Notre part représente 15 % du budget de l'action.", "part en %"),
], ids=["name", "reference", "amount-spaced", "amount-plain", "alias", "kilo", "share"])
def test_scan_blocks_publication_until_confirmed(app, funding_world, text, kind):
    ids = funding_world["ids"]
    _cofund_action_b(app, ids)
    clean = _generate(app, ids["funder"], publish=False)
    assert _report(app, clean)["findings"] == []  # the scan has nothing against the world

    _review(app, ids["action_b"], highlights=text)
    report_id = _generate(app, ids["funder"], publish=False)
    findings = _report(app, report_id)["findings"]
    assert findings and kind in {f["kind"] for f in findings}, findings
    with app.app_context():
        s = db.session
        for finding in findings:
            with pytest.raises(DomainError):
                services.publish(s, None, report_id)
            s.rollback()
            report = s.get(FunderReport, report_id)
            assert services.confirm_findings(s, None, report, [finding["id"]]) == 1
            s.commit()
        report = services.publish(s, None, report_id)
        s.commit()
        assert report.published
        assert {c["id"] for c in report.confirmations} == {f["id"] for f in findings}


def test_hostile_review_text_renders_and_is_escaped(app, client, funding_world, tmp_path):
    ids, emails = funding_world["ids"], funding_world["emails"]
    head = "<script>alert(1)</script> Tom & Jerry 🎉🚀 — l'été « à Pau »\n\n"
    filler = "Les binômes ont suivi les sessions régionales. " * 500
    long_text = (head + filler)[:services.MAX_REVIEW]
    assert len(long_text) == services.MAX_REVIEW
    _review(app, ids["action_a"], highlights=long_text, gaps="R&D & co", outlook="✅ 🎯")
    report_id = _generate(app, ids["funder"], publish=False)
    stored = _report(app, report_id)
    assert stored["pdf"].startswith(b"%PDF") and stored["pages"] >= 3
    text = pdf_text(_pdf_file(tmp_path, stored["pdf"]))
    assert "Tom & Jerry" in text and "R&D & co" in text
    assert _run("qpdf", "--check", str(tmp_path / "r.pdf")).returncode == 0

    login(client, emails["admin"])
    response = client.get(f"/financements/rapports/{report_id}")
    assert response.status_code == 200
    page = _page(response)
    raw = response.get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in raw
    assert "<script>alert(1)</script>" not in raw
    assert "Tom &amp; Jerry" in raw and "🎉🚀" in page


# ---------------------------------------------------------------- bad input
def _reports_count(app) -> int:
    return _count(app, FunderReport)


@pytest.mark.parametrize("fields, message", [
    ({"generer-year": "abc"}, "année"),
    ({"generer-year": "2026", "generer-as_of": "2026-12-31"}, "dans le futur"),
    ({"generer-year": "2024"}, "aucune convention couvrant l'année 2024"),
    ({"generer-year": "1999"}, "comprise entre 2000 et 2100"),
], ids=["year-abc", "future-as-of", "no-convention", "year-out-of-range"])
def test_generate_refuses_bad_input_in_french(app, client, funding_world, fields, message):
    ids, emails = funding_world["ids"], funding_world["emails"]
    login(client, emails["admin"])
    before = _reports_count(app)
    response = client.post("/financements/rapports/generer",
                           data={"generer-funder_id": str(ids["funder"]), **fields},
                           follow_redirects=True)
    # the form comes back with its errors (422), or the list with a flashed message
    assert response.status_code in (200, 422)
    page = _page(response)
    assert message in page, page[:3000]
    assert "Not a valid" not in page and "Internal Server Error" not in page
    assert _reports_count(app) == before


def test_generate_through_the_web(app, client, funding_world):
    ids, emails = funding_world["ids"], funding_world["emails"]
    login(client, emails["admin"])
    response = client.post("/financements/rapports/generer", data={
        "generer-funder_id": str(ids["funder"]), "generer-year": "2026",
        "generer-as_of": "2026-11-01", "generer-synthesis": "Une année d'animation."})
    assert response.status_code == 302
    assert _reports_count(app) == 1
    with app.app_context():
        report = db.session.scalar(select(FunderReport))
        assert (report.version, report.as_of, report.published) == (1, date(2026, 11, 1), False)


def test_cli_generates_and_refuses_in_french(app, funding_world):
    ids = funding_world["ids"]
    runner = app.test_cli_runner()
    unknown = runner.invoke(args=["rapports", "generer", "--financeur", "999999",
                                  "--annee", "2026"])
    assert unknown.exit_code == 1
    assert "Choisissez un financeur existant" in unknown.output
    assert _reports_count(app) == 0

    none = runner.invoke(args=["rapports", "generer", "--financeur", str(ids["funder"]),
                               "--annee", "2024"])
    assert none.exit_code == 1 and "aucune convention" in none.output
    assert _reports_count(app) == 0

    done = runner.invoke(args=["rapports", "generer", "--financeur", str(ids["funder"]),
                               "--annee", "2026", "--au", "01/11/2026", "--publier"])
    assert done.exit_code == 0, done.output
    assert "version 1" in done.output and "publiée" in done.output
    with app.app_context():
        report = db.session.scalar(select(FunderReport))
        assert report.published and report.as_of == date(2026, 11, 1)


# ---------------------------------------------------------------- publication
def test_a_version_is_published_once(app, funding_world):
    ids = funding_world["ids"]
    report_id = _generate(app, ids["funder"])
    with app.app_context():
        s = db.session
        with pytest.raises(DomainError, match="déjà été publiée"):
            services.publish(s, None, report_id)


def test_publish_twice_through_the_web(app, client, funding_world):
    ids, emails = funding_world["ids"], funding_world["emails"]
    report_id = _generate(app, ids["funder"])
    login(client, emails["admin"])
    page = _page(client.post(f"/financements/rapports/{report_id}/publier",
                             follow_redirects=True))
    assert "déjà été publiée" in page


def test_deactivated_funder_keeps_its_report(app, client, funding_world):
    ids, emails = funding_world["ids"], funding_world["emails"]
    report_id = _generate(app, ids["funder"])
    stored = _report(app, report_id)
    with app.app_context():
        db.session.get(Funder, ids["funder"]).active = False
        db.session.commit()
    assert login(client, emails["financeur"]).status_code == 302
    assert _pdf_url(report_id) in _page(client.get("/financements/rapports"))
    response = client.get(_pdf_url(report_id))
    assert response.status_code == 200 and response.data == stored["pdf"]


def test_financeur_requests_an_update(app, client, funding_world):
    emails = funding_world["emails"]
    login(client, emails["financeur"])
    response = client.post("/financements/rapports/demande", data={
        "demande-year": "2026", "demande-message": "Merci d'intégrer le versement de novembre."},
        follow_redirects=True)
    assert response.status_code == 200
    assert "transmise à l'équipe" in _page(response)
    with app.app_context():
        messages = db.session.scalars(select(OutboxMessage)
                                      .where(OutboxMessage.kind == "rapport_mise_a_jour")).all()
        assert len(messages) == 1
        team = sorted(db.session.scalars(select(User.email).where(
            User.role.in_(["admin", "animateur"]))))
        assert sorted(messages[0].recipients) == team == ["admin@test.fr", "anim@test.fr"]
        assert "Conseil régional Nouvelle-Aquitaine" in messages[0].subject
        assert "versement de novembre" in messages[0].body and "2026" in messages[0].body


def test_ml_cannot_request_an_update(app, client, funding_world):
    login(client, funding_world["emails"]["ml"])
    response = client.post("/financements/rapports/demande", data={"demande-year": "2026"})
    assert response.status_code == 403
    assert _count(app, OutboxMessage) == 0


def test_publication_tells_the_funders_accounts(app, funding_world):
    report_id = _generate(app, funding_world["ids"]["funder"], publish=True)
    with app.app_context():
        [message] = db.session.scalars(select(OutboxMessage)
                                       .where(OutboxMessage.kind == "rapport_publie")).all()
        financeur = db.session.get(User, funding_world["ids"]["financeur"])
        assert message.recipients == [financeur.email]
        assert "Rapport d'activité 2026 disponible (version 1)" in message.subject
        assert "Rapports d'activité" in message.body
        report = db.session.get(FunderReport, report_id)
        assert report.published


def test_a_very_long_status_reason_is_laid_out(app, funding_world, tmp_path):
    """A typed text of any length goes into paragraphs, never into a table cell taller
    than a page (reportlab cannot split a row: that was a 500)."""
    from models.programme.enums import ActionStatus

    ids = funding_world["ids"]
    reason = ("Report décidé en comité : " + "la salle prévue n'est plus disponible. " * 150)
    with app.app_context():
        s = db.session
        set_actor(s, None, via="cli")
        action = s.get(Action, ids["action_a"])
        action.status, action.status_reason = ActionStatus.REPORTEE, reason
        s.commit()
    report_id = _generate(app, ids["funder"], publish=False)
    report = _report(app, report_id)
    text = pdf_text(_pdf_file(tmp_path, report["pdf"]))
    assert "Motif du statut" in text and text.count("n'est plus disponible") >= 100


def test_a_second_demo_build_adds_no_report(demo_app):
    from models.audit import set_actor
    from models.reports.orm import ActionReview
    from seeds.demo import build_demo

    with demo_app.app_context():
        s = db.session
        before = (_count(demo_app, FunderReport), _count(demo_app, ActionReview),
                  _count(demo_app, OutboxMessage))
        set_actor(s, None, via="cli")
        build_demo(s)
        s.commit()
        assert (_count(demo_app, FunderReport), _count(demo_app, ActionReview),
                _count(demo_app, OutboxMessage)) == before
