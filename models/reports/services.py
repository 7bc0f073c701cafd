"""Writing the reports: action reviews, generation (a new version each time), the
confirmation of scan findings, publication, verification, downloads and requests.

Rendering is the caller's: :func:`generate` takes a ``render`` function (the PDF
module, ``webapp.pdf.funder_report.render``) so the domain core never imports a
renderer, and the web app, the CLI and the demo seed generate the same way.
"""

from __future__ import annotations

import hashlib
import platform
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from importlib import metadata
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from models import clock
from models.accounts.orm import User
from models.accounts.roles import Role
from models.database import begin_write
from models.errors import ConcurrentEdit, DomainError, Errors
from models.formatting import format_date, format_datetime
from models.funding.orm import Funder
from models.mail.outbox import queue_mail
from models.policy import require
from models.programme.guards import check_version, flush
from models.programme.orm import Action
from models.reports.content import Parameters, build_content
from models.reports.orm import ActionReview, FunderReport, FunderReportDownload
from models.reports.scan import forbidden_terms, scan

SYSTEM = "Animaréseau (ligne de commande)"
MAX_REVIEW = 20_000
MAX_SYNTHESIS = 6_000


@dataclass(frozen=True)
class Rendered:
    pdf: bytes
    pages: int


Renderer = Callable[[dict[str, Any]], Rendered]


def _require_team(actor: Any) -> None:
    """The team only; ``None`` is the command line and the demo seed (as elsewhere)."""
    if actor is not None:
        require(actor, "reports.manage")


def _name(actor: Any) -> str:
    return getattr(actor, "full_name", "") or SYSTEM


# ---------------------------------------------------------------- reviews
@dataclass
class ReviewData:
    highlights: str = ""
    gaps: str = ""
    outlook: str = ""


def save_review(session: Session, actor: Any, action: Action, data: ReviewData, *,
                expected_version: int | None = None) -> ActionReview:
    """Create or update the action's yearly review (reused by every funder's report)."""
    _require_team(actor)
    errors = Errors()
    labels = {"highlights": "Les faits marquants", "gaps": "Les écarts expliqués",
              "outlook": "Les perspectives"}
    for field, label in labels.items():
        text = getattr(data, field) or ""
        if len(text) > MAX_REVIEW:
            errors.add(field, f"{label} dépassent {MAX_REVIEW:,} caractères ({len(text):,}) : "
                              "raccourcissez le texte.".replace(",", "\u00a0"))
    errors.raise_if_any()
    review = session.scalar(select(ActionReview).where(ActionReview.action_id == action.id))
    if review is None:
        if expected_version not in (None, 0):
            raise ConcurrentEdit()
        review = ActionReview(action_id=action.id)
        session.add(review)
    else:
        check_version(review, expected_version)
        review.version_id += 1
    review.highlights = (data.highlights or "").strip()
    review.gaps = (data.gaps or "").strip()
    review.outlook = (data.outlook or "").strip()
    review.updated_by = _name(actor)
    flush(session)
    return review


# ---------------------------------------------------------------- generation
def software_versions() -> dict[str, str]:
    def version(name: str) -> str:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            return "inconnue"

    return {"animareseau": version("animareseau"), "reportlab": version("reportlab"),
            "sqlalchemy": version("sqlalchemy"), "python": platform.python_version()}


def next_version(session: Session, funder_id: int, year: int) -> int:
    current = session.scalar(select(func.max(FunderReport.version))
                             .where(FunderReport.funder_id == funder_id,
                                    FunderReport.year == year))
    return (current or 0) + 1


def _validate(session: Session, funder_id: Any, year: Any, as_of: date | None,
              synthesis: str) -> tuple[Funder, int, date]:
    errors = Errors()
    funder = session.get(Funder, funder_id) if isinstance(funder_id, int) else None
    if funder is None:
        errors.add("funder_id", "Choisissez un financeur existant.")
    if not isinstance(year, int) or not 2000 <= year <= 2100:
        errors.add("year", "L'année doit être comprise entre 2000 et 2100.")
    today = clock.today()
    as_of = as_of or today
    if as_of > today:
        errors.add("as_of", "La date d'arrêt des données ne peut pas être dans le futur "
                            f"(aujourd'hui : {format_date(today)}).")
    elif isinstance(year, int) and as_of < date(year, 1, 1):
        errors.add("as_of", f"La date d'arrêt des données précède l'année {year}.")
    if len(synthesis or "") > MAX_SYNTHESIS:
        errors.add("synthesis", f"La synthèse dépasse {MAX_SYNTHESIS} caractères "
                                f"({len(synthesis)}) : raccourcissez-la.")
    errors.raise_if_any()
    assert funder is not None
    return funder, year, as_of


def generate(session: Session, actor: Any, funder_id: int, year: int, *,
             as_of: date | None = None, synthesis: str = "", render: Renderer) -> FunderReport:
    """Build and archive a new version of the funder's report for ``year`` (unpublished)."""
    _require_team(actor)
    funder, year, as_of = _validate(session, funder_id, year, as_of, synthesis)
    begin_write(session)  # SQLite: versions are numbered one generation at a time
    params = Parameters(
        funder_id=funder.id, year=year, as_of=as_of,
        version=next_version(session, funder.id, year),
        generated_at=clock.now().replace(microsecond=0),
        generated_by=_name(actor),
        synthesis=(synthesis or "").strip())
    content = build_content(session, params)
    rendered = render(content)
    report = FunderReport(
        funder_id=funder.id, year=year, version=params.version, as_of=as_of,
        parameters=params.to_json(), content=content, pdf=rendered.pdf,
        sha256=hashlib.sha256(rendered.pdf).hexdigest(), size=len(rendered.pdf),
        pages=rendered.pages, software=software_versions(),
        generated_at=params.generated_at, generated_by_id=getattr(actor, "id", None),
        generated_by=params.generated_by,
        findings=scan(content, forbidden_terms(session, funder.id)), confirmations=[])
    try:
        # the savepoint first: begin_nested() flushes what is pending before it starts
        with session.begin_nested():
            session.add(report)
            session.flush()
    except IntegrityError as exc:
        raise ConcurrentEdit(
            f"Une autre version {params.version} du rapport {year} de {funder.name} vient "
            "d'être générée : rien n'a été enregistré, recommencez.") from exc
    return report


def rebuild(session: Session, report: FunderReport, render: Renderer
            ) -> tuple[dict[str, Any], Rendered]:
    """The version rebuilt from its stored parameters and today's data."""
    content = build_content(session, Parameters.from_json(report.parameters))
    return content, render(content)


@dataclass
class Check:
    same: bool
    changed: list[str]
    message: str


SECTIONS = {"meta": "couverture", "synthesis": "synthèse", "summary": "synthèse chiffrée",
            "conventions": "conventions", "allocations": "affectations",
            "actions": "actions financées", "time": "temps de l'équipe",
            "training": "formations", "variant": "partie propre au financeur",
            "annexes": "annexes"}


def verify(session: Session, actor: Any, report: FunderReport, render: Renderer) -> Check:
    """Rebuild the version and say whether the data changed since it was generated."""
    _require_team(actor)
    try:
        content, rendered = rebuild(session, report, render)
    except DomainError as exc:
        check = Check(False, [], f"Impossible de reconstruire cette version : {exc}")
    else:
        digest = hashlib.sha256(rendered.pdf).hexdigest()
        changed = [label for key, label in SECTIONS.items()
                   if content.get(key) != report.content.get(key)]
        if digest == report.sha256:
            check = Check(True, [], "Identique : reconstruit à partir des paramètres "
                                    "enregistrés, le PDF est identique octet pour octet "
                                    f"(sha256 {digest[:12]}…). Les données n'ont pas changé.")
        elif changed:
            check = Check(False, changed, "Les données ont changé depuis cette version ("
                          + ", ".join(changed) + ") : générez une nouvelle version pour les "
                          "prendre en compte.")
        else:  # same content, other bytes: the rendering changed, not the data
            now, then = software_versions(), report.software or {}
            moved = [f"{k} {then.get(k, '?')} → {v}" for k, v in sorted(now.items())
                     if then.get(k) != v]
            check = Check(False, [], "Les données n'ont pas changé, mais le PDF reconstruit "
                          "diffère : la mise en page du logiciel a évolué depuis cette version"
                          + (f" ({', '.join(moved)})" if moved else "")
                          + ". La version archivée reste celle qui fait foi.")
    report.last_check = f"{format_datetime(clock.now())} — {check.message}"
    flush(session)
    return check


# ---------------------------------------------------------------- publication
def pending_findings(report: FunderReport) -> list[dict[str, str]]:
    confirmed = {c["id"] for c in report.confirmations or []}
    return [f for f in report.findings or [] if f["id"] not in confirmed]


def confirm_findings(session: Session, actor: Any, report: FunderReport, ids: list[str]
                     ) -> int:
    """The team confirms, one by one, passages the scan flagged (kept in the journal)."""
    _require_team(actor)
    if report.published:
        raise DomainError("Cette version est déjà publiée.")
    pending = {f["id"]: f for f in pending_findings(report)}
    chosen = [pending[i] for i in ids if i in pending]
    if not chosen:
        raise DomainError("Cochez au moins un passage à confirmer.")
    now = clock.now().replace(microsecond=0).isoformat()
    who = _name(actor)
    report.confirmations = [*(report.confirmations or []),
                            *({"id": f["id"], "term": f["term"], "where": f["where"],
                               "by": who, "at": now} for f in chosen)]
    flush(session)
    return len(chosen)


def publish(session: Session, actor: Any, report_id: int) -> FunderReport:
    """Publish a version: the funder and the copil can then read it. Two team members
    publishing at once: the row is locked, the second is told it is already done."""
    _require_team(actor)
    begin_write(session)  # SQLite: the write lock before the decisive read
    report = session.scalar(select(FunderReport).where(FunderReport.id == report_id)
                            .with_for_update().execution_options(populate_existing=True))
    if report is None:
        raise DomainError("Ce rapport n'existe pas.")
    if report.published:
        raise DomainError(f"Cette version a déjà été publiée par {report.published_by} le "
                          f"{format_datetime(report.published_at)}.")
    pending = pending_findings(report)
    if pending:
        errors = Errors()
        for f in pending:
            errors.add("__all__", f"{f['where']} : « {f['term']} » ({f['kind']}) — corrigez le "
                                  "texte puis régénérez, ou confirmez ce passage.")
        errors.raise_if_any()
    report.published_at = clock.now().replace(microsecond=0)
    report.published_by_id = getattr(actor, "id", None)
    report.published_by = _name(actor)
    _tell_the_funder(session, report)
    try:
        session.flush()
    except StaleDataError as exc:  # published (or checked) by someone else meanwhile
        raise DomainError("Cette version vient d'être modifiée ou publiée par un autre membre "
                          "de l'équipe : rechargez la page.") from exc
    return report


def _tell_the_funder(session: Session, report: FunderReport) -> None:
    """The funder's accounts learn by e-mail that a version is there to read."""
    funder = session.get(Funder, report.funder_id)
    addresses = session.scalars(select(User.email).where(
        User.active.is_(True), User.role == Role.FINANCEUR,
        User.funder_id == report.funder_id)).all()
    queue_mail(session, list(addresses),
               f"Rapport d'activité {report.year} disponible (version {report.version})",
               f"Bonjour,\n\nL'ARML a publié la version {report.version} du rapport d'activité "
               f"{report.year} de {funder.name if funder else 'votre organisme'} (données "
               f"arrêtées au {format_date(report.as_of)}).\n\nVous le trouverez dans "
               "Animaréseau, menu Financements > Rapports d'activité, en PDF et en page web. "
               "Pour une mise à jour, utilisez le bouton « Demander une mise à jour » de "
               "cette page.\n", kind="rapport_publie")


def record_download(session: Session, actor: Any, report: FunderReport) -> None:
    require(actor, "reports.view", report)
    session.add(FunderReportDownload(report_id=report.id, user_id=getattr(actor, "id", None),
                                     user_email=getattr(actor, "email", "") or ""))
    session.flush()


def team_addresses(session: Session) -> list[str]:
    return list(session.scalars(
        select(User.email).where(User.active.is_(True),
                                 User.role.in_([Role.ADMIN, Role.ANIMATEUR]))
        .order_by(User.email)))


def request_update(session: Session, actor: Any, year: int | None, message: str) -> None:
    """A funder asks the team for an updated report: an e-mail through the outbox."""
    require(actor, "reports.view")
    funder = session.get(Funder, getattr(actor, "funder_id", None) or 0)
    if funder is None:
        raise DomainError("Seul un compte financeur peut demander une mise à jour.")
    message = (message or "").strip()
    if len(message) > 2000:
        raise DomainError("Le message dépasse 2 000 caractères : raccourcissez-le.")
    subject = f"Demande de mise à jour du rapport d'activité — {funder.name}"
    body = (f"{actor.full_name} ({actor.email}), pour {funder.name}, demande une mise à jour "
            f"du rapport d'activité{f' {year}' if year else ''}.\n\n"
            + (f"Message :\n{message}\n\n" if message else "")
            + "Générez une nouvelle version depuis Financements > Rapports aux financeurs, "
              "puis publiez-la.\n")
    if queue_mail(session, team_addresses(session), subject, body,
                  kind="rapport_mise_a_jour") is None:
        raise DomainError("Aucun membre actif de l'équipe ne peut recevoir la demande : "
                          "contactez l'ARML directement.")
    session.flush()
