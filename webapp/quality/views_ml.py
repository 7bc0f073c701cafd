"""One mission locale's data quality: score, history, findings, marks, exports.

The findings record by record and their exports are the team's and the mission locale's
own (``quality.findings``): the copil sees the score, history and counts per rule only.
An ml account reaches only its own mission locale (another id reads as "not found");
the team qualifies findings (acknowledged / accepted exception), which carry over to
the next import of the same record and stop counting against the score.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

from flask import Response, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select, tuple_
from sqlalchemy.orm import selectinload

from models.network.orm import MissionLocale
from models.operations.access_log import CONSULTATION, EXPORT, record_access
from models.parcours import queries
from models.parcours.charter import DIMENSION_LABELS, SEVERITY_LABELS
from models.parcours.orm import (
    CharterRule,
    ParcoursExtract,
    QualityFinding,
    QualityMark,
)
from models.parcours.rules import MARK_LABELS, STATUS_LABELS
from models.parcours.services import quality_settings, remove_mark, set_mark
from models.policy import can
from webapp.access import access, ensure
from webapp.extensions import db
from webapp.listing import list_page
from webapp.quality import bp
from webapp.quality.common import MlScope, current_extracts, may_view_ml, ml_line, ml_or_404
from webapp.quality.forms import MarkForm
from webapp.quality.labels import field_label, record_label
from webapp.unit_of_work import attempt, flash_form_errors

FINDING_SORTS = {
    "regle": QualityFinding.rule_code,
    "gravite": QualityFinding.severity,
    "id_jeune": QualityFinding.id_jeune,
    "champ": QualityFinding.field,
    "valeur": QualityFinding.value,
    "marque": QualityMark.kind,
}
FILTER_KEYS = ("regle", "gravite", "marque", "id_jeune", "extrait")
RETURN_KEYS = (*FILTER_KEYS, "tri", "ordre", "page", "par_page")
MARK_FILTERS = {"open": "Non qualifiées", "marked": "Qualifiées", **MARK_LABELS}


def _shown_extract(ml: MissionLocale) -> tuple[ParcoursExtract | None, list[ParcoursExtract]]:
    """The extract the page shows (``?extrait=``, else the latest period) and all live ones."""
    extracts = current_extracts(ml.id)
    wanted = request.args.get("extrait", type=int)
    chosen = next((e for e in extracts if e.id == wanted), None)
    return chosen or (extracts[0] if extracts else None), extracts


def _filters() -> dict[str, str]:
    args = request.args
    return {"rule": args.get("regle", "").strip().upper() or None,
            "severity": args.get("gravite", "") if args.get("gravite") in SEVERITY_LABELS
            else None,
            "mark": args.get("marque", "") if args.get("marque") in MARK_FILTERS else None,
            "search": args.get("id_jeune", "").strip()[:40] or None}


def _rules_of(extract: ParcoursExtract | None) -> list[CharterRule]:
    version_id = extract.charter_version_id if extract is not None else None
    return queries.charter_rules(db.session, version_id)


def marks_for(ml_id: int, findings: list[QualityFinding]) -> dict[tuple[str, str], QualityMark]:
    """The marks of a page of findings, with who set them, in one query."""
    keys = {(f.rule_code, f.record_key) for f in findings}
    if not keys:
        return {}
    marks = db.session.scalars(
        select(QualityMark).options(selectinload(QualityMark.marked_by)).where(
            QualityMark.mission_locale_id == ml_id,
            tuple_(QualityMark.rule_code, QualityMark.record_key).in_(list(keys))))
    return {(m.rule_code, m.record_key): m for m in marks}


@bp.route("/ml/<int:ml_id>")
@access("quality.view")
def ml_detail(ml_id: int):
    ml = ml_or_404(ml_id)
    extract, extracts = _shown_extract(ml)
    line = ml_line(ml, extract)
    listing = marks = None
    # the copil sees the score and the counts per rule, not the findings record by record
    findings_allowed = can(current_user, "quality.findings", MlScope(ml.id))
    if extract is not None and findings_allowed:
        # logged (and committed) first: the page's findings are loaded after the commit
        _log_access(ml, extract, CONSULTATION, "anomalies")
        stmt = queries.findings_select(extract.id, **_filters())
        listing = list_page(stmt, FINDING_SORTS, "regle", tiebreak=QualityFinding.id)
        # only the page's own keys reach url_for: ``?ml_id=`` (export links), ``?endpoint=``
        # or ``?_method=`` would otherwise break the page
        listing.args = {k: v for k, v in listing.args.items() if k in RETURN_KEYS}
        marks = marks_for(ml.id, listing.items)
    return render_template(
        "quality/ml.html", ml=ml, line=line, extract=extract, extracts=extracts,
        history=list(reversed(queries.ml_history(db.session, ml.id))),
        rules=_rules_of(extract), listing=listing, marks=marks or {},
        settings=quality_settings(db.session), status_labels=STATUS_LABELS,
        findings_allowed=findings_allowed,
        severities=SEVERITY_LABELS, dimensions=DIMENSION_LABELS, mark_labels=MARK_LABELS,
        mark_filters=MARK_FILTERS, field_label=field_label, record_label=record_label,
        mark_form=MarkForm() if can(current_user, "quality.mark")
        else None, retour=_retour_query(), filtered=any(request.args.get(k)
                                                        for k in FILTER_KEYS[:-1]))


def _log_access(ml: MissionLocale, extract: ParcoursExtract, kind: str, what: str) -> None:
    """The page or file shows young people's findings: the access log records it (who,
    which ML, which extract), committed at once. Never the search typed."""
    record_access(db.session, current_user, mission_locale_id=ml.id, kind=kind,
                  what=f"{what}, extraction du {extract.period_start:%d/%m/%Y} "
                       f"au {extract.period_end:%d/%m/%Y}")
    db.session.commit()


def _retour_query() -> str:
    return urlencode([(k, v) for k, v in request.args.items() if k in RETURN_KEYS])


def _back_to(ml_id: int, retour: str | None):
    """Back to the ML page with its filters (only known keys: never an open redirect)."""
    args = {k: v for k, v in parse_qsl(retour or "") if k in RETURN_KEYS}
    return redirect(url_for("quality.ml_detail", ml_id=ml_id, **args) + "#constats")


@bp.route("/constats/<int:finding_id>/marquer", methods=["POST"])
@access("quality.mark")
def mark(finding_id: int):
    form = MarkForm()
    finding = db.session.get(QualityFinding, finding_id)
    if finding is None:
        flash("Cette anomalie n'existe plus : une nouvelle extraction l'a sans doute "
              "remplacée. Rechargez la page de la mission locale.", "warning")
        return redirect(url_for("quality.index"))
    extract = db.session.get(ParcoursExtract, finding.extract_id)
    ensure(extract is not None and may_view_ml(extract.mission_locale_id))
    ml_id = extract.mission_locale_id
    if not form.validate_on_submit():
        flash_form_errors(form, "Qualification")
        return _back_to(ml_id, form.retour.data)
    done = attempt(lambda: set_mark(db.session, actor=current_user, finding_id=finding.id,
                                    kind=form.kind.data, comment=form.comment.data or ""),
                   label="Qualification")
    if done.ok:
        flash(f"Anomalie {finding.rule_code} du jeune {finding.id_jeune} qualifiée « "
              f"{MARK_LABELS[form.kind.data]} » : elle ne compte plus dans le score et le "
              "restera aux prochains imports.", "success")
    return _back_to(ml_id, form.retour.data)


@bp.route("/marques/<int:mark_id>/retirer", methods=["POST"])
@access("quality.mark")
def unmark(mark_id: int):
    form = MarkForm()
    record = db.session.get(QualityMark, mark_id)
    if record is None:
        flash("Cette qualification a déjà été retirée.", "info")
        return redirect(url_for("quality.index"))
    ensure(may_view_ml(record.mission_locale_id))
    ml_id, rule = record.mission_locale_id, record.rule_code
    if attempt(lambda: remove_mark(db.session, actor=current_user, mark_id=mark_id),
               label="Qualification").ok:
        flash(f"Qualification retirée : l'anomalie {rule} compte de nouveau dans le score.",
              "success")
    return _back_to(ml_id, form.retour.data)


def _export(ml_id: int, kind: str) -> Response:
    from webapp.quality.exports import export_filename, findings_csv, findings_xlsx, rows_of

    ml = ml_or_404(ml_id)
    ensure(can(current_user, "quality.findings", MlScope(ml.id)))
    extract, _ = _shown_extract(ml)
    rows = []  # no extract yet: the headers alone, not an error
    if extract is not None:
        stmt = queries.findings_select(extract.id, **_filters())
        column = FINDING_SORTS.get(request.args.get("tri", ""), QualityFinding.rule_code)
        order = column.desc() if request.args.get("ordre") == "desc" else column.asc()
        rows = rows_of(db.session, ml, extract, stmt.order_by(order, QualityFinding.id))
        _log_access(ml, extract, EXPORT, f"export {kind.upper()} des anomalies")
    if kind == "xlsx":
        body: bytes | str = findings_xlsx(rows)
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        body = findings_csv(rows)
        mimetype = "text/csv"  # werkzeug adds "; charset=utf-8"
    return Response(body, mimetype=mimetype, headers={
        "Content-Disposition": f'attachment; filename="{export_filename(ml, extract, kind)}"'})


@bp.route("/ml/<int:ml_id>/constats.csv")
@access("quality.findings")
def findings_csv(ml_id: int):
    return _export(ml_id, "csv")


@bp.route("/ml/<int:ml_id>/constats.xlsx")
@access("quality.findings")
def findings_xlsx(ml_id: int):
    return _export(ml_id, "xlsx")
