"""/parrainage/parrains: a mission locale's parrains and marraines (list, page, form, CSV
import); the team reads every ML's. Only the ML holding a record changes it; another ML's
id is « introuvable » (404), on GET and on POST alike (``models.mentoring.access.load``)."""

from __future__ import annotations

from flask import Response, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, or_, select

from models import clock
from models.errors import ConcurrentEdit
from models.mentoring import access as domain_access
from models.mentoring import imports, mentors, rules
from models.mentoring.enums import MentorStatus, PairingStatus
from models.mentoring.orm import Mentor, Pairing
from models.network.orm import MissionLocale
from models.network.queries import mission_locale_choices
from models.policy import can
from models.spreadsheet import csv_text, xlsx_table
from webapp.access import access, ensure
from webapp.extensions import db
from webapp.forms_common import db_int, version_of
from webapp.listing import list_page
from webapp.mentoring import bp
from webapp.mentoring.forms_mentors import ConfirmForm, ImportForm, MentorForm
from webapp.unit_of_work import attempt

ACTIVE = (PairingStatus.PROPOSE, PairingStatus.ACTIF)


def _mentor(mentor_id: int, *, write: bool = False) -> Mentor:
    """The mentor if the user may see it (``write``: change it); else 404."""
    return domain_access.load(db.session, current_user, Mentor, mentor_id, write=write)


def _active_pairings():
    return (select(func.count(Pairing.id))
            .where(Pairing.mentor_id == Mentor.id, Pairing.status == PairingStatus.ACTIF)
            .correlate(Mentor).scalar_subquery())


def _ml_filter() -> int | None:
    try:
        return db_int(request.args.get("ml", ""))
    except ValueError:
        return None


def _list_stmt():
    """Mentors the user may see, filtered from the query string (nonsense is ignored)."""
    stmt = select(Mentor).join(MissionLocale, Mentor.mission_locale_id == MissionLocale.id)
    scope = rules.ml_scope(current_user)
    if scope is not None:
        stmt = stmt.where(Mentor.mission_locale_id == scope)
    elif _ml_filter() is not None:
        stmt = stmt.where(Mentor.mission_locale_id == _ml_filter())
    active = request.args.get("actif", "")
    if active == "1":
        stmt = stmt.where(Mentor.active.is_(True), Mentor.anonymised_on.is_(None))
    elif active == "0":
        stmt = stmt.where(or_(Mentor.active.is_(False), Mentor.anonymised_on.isnot(None)))
    trained = request.args.get("forme", "")
    if trained == "1":
        stmt = stmt.where(Mentor.trained_on.isnot(None))
    elif trained == "0":
        stmt = stmt.where(Mentor.trained_on.is_(None))
    text = request.args.get("q", "").strip()[:100]
    if text:
        like = f"%{text.lower()}%"
        stmt = stmt.where(or_(*(func.lower(c).like(like) for c in (
            Mentor.last_name, Mentor.first_name, Mentor.email, Mentor.sector,
            Mentor.commune))))
    return stmt


SORTS = {"nom": func.lower(Mentor.last_name), "ml": MissionLocale.name,
         "statut": Mentor.status, "secteur": func.lower(Mentor.sector),
         "commune": func.lower(Mentor.commune), "charte": Mentor.charter_signed_on,
         "formation": Mentor.trained_on, "binomes": _active_pairings(),
         "actif": Mentor.active}


def _counts(ids: list[int]) -> dict[int, int]:
    if not ids:
        return {}
    rows = db.session.execute(
        select(Pairing.mentor_id, func.count(Pairing.id))
        .where(Pairing.mentor_id.in_(ids), Pairing.status == PairingStatus.ACTIF)
        .group_by(Pairing.mentor_id))
    return dict(rows.all())


@bp.get("/parrains", endpoint="mentors")
@access("mentoring.view")
def mentors_list():
    listing = list_page(_list_stmt(), SORTS, "nom", tiebreak=Mentor.id)
    team = rules.ml_scope(current_user) is None
    filtered = any(request.args.get(k) for k in ("ml", "actif", "forme", "q"))
    return render_template(
        "mentoring/mentors.html", listing=listing, team=team, filtered=filtered,
        counts=_counts([m.id for m in listing.items]),
        mls=mission_locale_choices(db.session) if team else [],
        edit=can(current_user, "mentoring.edit"))


EXPORT_HEADER = ("Nom", "Prénom", "E-mail", "Téléphone", "Sexe", "Situation", "Secteur",
                 "Commune", "Mission locale", "Consentement le", "Charte signée le",
                 "Formé·e le", "Binômes actifs", "Capacité", "Disponible", "Anonymisé le")
CONTACT_COLUMNS = ("E-mail", "Téléphone")


@bp.get("/parrains/export.<fmt>")
@access("mentoring.view")
def mentors_export(fmt: str):
    """The list as filtered. Contact details (e-mail, phone) leave the application only in
    a mission locale's export of its own mentors; the team's export has none."""
    ensure(fmt in ("csv", "xlsx"))
    found = list(db.session.scalars(_list_stmt().order_by(func.lower(Mentor.last_name),
                                                          Mentor.id)))
    counts = _counts([m.id for m in found])
    contacts = rules.ml_scope(current_user) is not None
    header = [h for h in EXPORT_HEADER if contacts or h not in CONTACT_COLUMNS]
    rows = []
    for m in found:
        row = dict(zip(EXPORT_HEADER, (
            m.last_name, m.first_name, m.email, m.phone, m.sex.label, m.status.label,
            m.sector, m.commune, m.mission_locale.name, m.consent_on, m.charter_signed_on,
            m.trained_on, counts.get(m.id, 0), m.capacity,
            m.active and m.anonymised_on is None, m.anonymised_on), strict=True))
        rows.append([row[h] for h in header])
    name = f"parrains-marraines-{clock.today():%Y-%m-%d}.{fmt}"
    if fmt == "csv":
        body: str | bytes = csv_text(header, rows)
        mimetype = "text/csv"
    else:
        body = xlsx_table("Parrains et marraines", header, rows)
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return Response(body, mimetype=mimetype,
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.get("/parrains/<int:mentor_id>")
@access("mentoring.view")
def mentor_detail(mentor_id: int):
    mentor = _mentor(mentor_id)
    pairings = list(db.session.scalars(
        select(Pairing).where(Pairing.mentor_id == mentor.id)
        .order_by(Pairing.start_date.desc(), Pairing.id.desc())))
    confirm = ConfirmForm(formdata=None, version_id=str(mentor.version_id))
    return render_template(
        "mentoring/mentor_detail.html", mentor=mentor, pairings=pairings, confirm=confirm,
        # as in the export: contact details only for the mission locale holding the record
        contacts=rules.ml_scope(current_user) == mentor.mission_locale_id,
        edit=can(current_user, "mentoring.edit", mentor) and mentor.anonymised_on is None,
        active_pairings=sum(1 for p in pairings if p.status is PairingStatus.ACTIF),
        ongoing=sum(1 for p in pairings if p.status in ACTIVE))


def _domain_messages(form: MentorForm, mentor_id: int | None) -> None:
    """Fields WTForms could not read (a date) are told; the domain adds what else is
    wrong, so one submission shows every problem."""
    data = form.data_object()
    unread = {name for name, errors in form.errors.items() if errors}
    ml_id = getattr(current_user, "mission_locale_id", None) if mentor_id is None else None
    for name, messages in mentors.validation_errors(db.session, data, mentor_id=mentor_id,
                                                    ml_id=ml_id).items():
        field = getattr(form, name, None)
        if name in unread or field is None:
            continue
        field.errors = [*field.errors, *messages]


def _form_page(form: MentorForm, mentor: Mentor | None, status: int = 200):
    return render_template("mentoring/mentor_form.html", form=form, mentor=mentor), status


@bp.get("/parrains/nouveau")
@access("mentoring.edit")
def mentor_new():
    return _form_page(MentorForm(), None)


@bp.post("/parrains/nouveau")
@access("mentoring.edit")
def mentor_create():
    form = MentorForm()
    if form.validate_on_submit():
        done = attempt(lambda: mentors.create_mentor(db.session, current_user,
                                                     form.data_object()), form=form)
        if done.ok:
            flash(f"{done.value.full_name} est enregistré·e parmi vos parrains et "
                  "marraines.", "success")
            return redirect(url_for("mentoring.mentor_detail", mentor_id=done.value.id))
    else:
        _domain_messages(form, None)
    return _form_page(form, None, 422)


@bp.get("/parrains/<int:mentor_id>/modifier")
@access("mentoring.edit")
def mentor_edit(mentor_id: int):
    mentor = _mentor(mentor_id, write=True)
    if mentor.anonymised_on is not None:
        flash("Cette fiche a été anonymisée : elle ne peut plus être modifiée.", "info")
        return redirect(url_for("mentoring.mentor_detail", mentor_id=mentor_id))
    form = MentorForm(obj=mentor)
    form.sex.data, form.status.data = mentor.sex.value, MentorStatus(mentor.status).value
    form.capacity.data = str(mentor.capacity)
    form.version_id.data = str(mentor.version_id)
    return _form_page(form, mentor)


@bp.post("/parrains/<int:mentor_id>/modifier")
@access("mentoring.edit")
def mentor_update(mentor_id: int):
    _mentor(mentor_id, write=True)
    form = MentorForm()
    if form.validate_on_submit():
        done = attempt(lambda: mentors.update_mentor(
            db.session, current_user, mentor_id, form.data_object(),
            version_of(form.version_id.data)), form=form)
        if done.ok:
            flash("Fiche enregistrée.", "success")
            return redirect(url_for("mentoring.mentor_detail", mentor_id=mentor_id))
        if isinstance(done.error, ConcurrentEdit):
            flash("Votre saisie est conservée ci-dessous : comparez-la avec la version "
                  "actuelle (ouvrez la fiche dans un autre onglet) avant d'enregistrer à "
                  "nouveau.", "info")
            form.version_id.data = str(_mentor(mentor_id).version_id)
    else:
        _domain_messages(form, mentor_id)
    return _form_page(form, _mentor(mentor_id), 422)


@bp.post("/parrains/<int:mentor_id>/disponibilite")
@access("mentoring.edit")
def mentor_active(mentor_id: int):
    _mentor(mentor_id, write=True)
    form = ConfirmForm()
    wanted = request.form.get("actif") == "1"
    if form.validate_on_submit() and attempt(lambda: mentors.set_active(
            db.session, current_user, mentor_id, wanted, version_of(form.version_id.data))).ok:
        flash("Fiche réactivée : de nouveaux binômes peuvent lui être proposés." if wanted
              else "Fiche désactivée : aucun nouveau binôme ne lui sera proposé ; ses binômes "
                   "en cours continuent.", "success")
    return redirect(url_for("mentoring.mentor_detail", mentor_id=mentor_id))


@bp.post("/parrains/<int:mentor_id>/supprimer")
@access("mentoring.edit")
def mentor_delete(mentor_id: int):
    mentor = _mentor(mentor_id, write=True)
    name = mentor.full_name
    form = ConfirmForm()
    if form.validate_on_submit() and attempt(
            lambda: mentors.delete_mentor(db.session, current_user, mentor_id,
                                          version_of(form.version_id.data))).ok:
        flash(f"Fiche de {name} supprimée.", "success")
        return redirect(url_for("mentoring.mentors"))
    return redirect(url_for("mentoring.mentor_detail", mentor_id=mentor_id))


def _ongoing(mentor: Mentor) -> int:
    return db.session.scalar(select(func.count(Pairing.id)).where(
        Pairing.mentor_id == mentor.id, Pairing.status.in_(ACTIVE)))


@bp.get("/parrains/<int:mentor_id>/anonymiser")
@access("mentoring.edit")
def mentor_anonymise(mentor_id: int):
    mentor = _mentor(mentor_id, write=True)
    form = ConfirmForm(formdata=None, version_id=str(mentor.version_id))
    return render_template("mentoring/mentor_anonymise.html", mentor=mentor, form=form,
                           ongoing=_ongoing(mentor))


@bp.post("/parrains/<int:mentor_id>/anonymiser")
@access("mentoring.edit")
def mentor_anonymise_confirm(mentor_id: int):
    _mentor(mentor_id, write=True)
    form = ConfirmForm()
    if form.validate_on_submit() and attempt(lambda: mentors.anonymise_mentor(
            db.session, current_user, mentor_id, version_of(form.version_id.data))).ok:
        flash("Fiche anonymisée : nom, e-mail, téléphone, secteur et commune sont effacés ; ses "
              "binômes restent comptés dans les statistiques.", "success")
        return redirect(url_for("mentoring.mentor_detail", mentor_id=mentor_id))
    mentor = _mentor(mentor_id)
    form.version_id.data = str(mentor.version_id)
    return render_template("mentoring/mentor_anonymise.html", mentor=mentor, form=form,
                           ongoing=_ongoing(mentor)), 422


def _import_page(form: ImportForm, errors: list[str], status: int = 200):
    return render_template("mentoring/import.html", form=form, errors=errors,
                           columns=imports.COLUMNS, max_lines=imports.MAX_LINES,
                           max_kb=imports.MAX_BYTES // 1024), status


@bp.get("/parrains/import")
@access("mentoring.edit")
def mentor_import():
    return _import_page(ImportForm(), [])


@bp.post("/parrains/import")
@access("mentoring.edit")
def mentor_import_upload():
    form = ImportForm()
    upload = request.files.get(form.file.name)
    if not form.validate_on_submit():
        errors = [m for ms in form.errors.values() for m in ms]
    elif upload is None or not upload.filename:
        errors = ["Choisissez le fichier CSV à importer."]
    else:
        data = upload.read(imports.MAX_BYTES + 1)
        done = attempt(lambda: imports.import_mentors(db.session, current_user, data,
                                                      upload.filename), form=form)
        if done.ok:
            count = done.value.count
            flash(f"Import réussi : {count} parrains et marraines enregistrés." if count > 1
                  else "Import réussi : 1 parrain ou marraine enregistré·e.", "success")
            return redirect(url_for("mentoring.mentors"))
        errors = list(form.file.errors)
    return _import_page(form, errors, 422)


@bp.get("/parrains/modele.csv")
@access("mentoring.view")
def mentor_import_template():
    return Response(imports.template_csv(), mimetype="text/csv",
                    headers={"Content-Disposition":
                             'attachment; filename="modele-parrains-marraines.csv"'})
