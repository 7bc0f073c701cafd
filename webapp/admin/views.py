"""/admin/utilisateurs: accounts administration; /admin/journal: the audit log."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from models.accounts.orm import User
from models.accounts.passwords import MIN_LENGTH
from models.accounts.queries import users_stmt
from models.accounts.roles import Role
from models.accounts.services import (
    UserData,
    create_user,
    set_active,
    set_password,
    update_user,
)
from models.accounts.sessions import close_all_for, sessions_of
from models.audit.orm import AuditEvent
from models.audit.queries import history_of
from models.network.queries import mission_locale_choices
from models.policy import can, grantable_roles
from webapp.access import access, ensure, password_confirmation_needed
from webapp.admin import bp
from webapp.admin.forms import NewUserForm, PasswordResetForm, ToggleActiveForm, UserForm
from webapp.extensions import db
from webapp.forms_common import version_of
from webapp.listing import list_page
from webapp.unit_of_work import attempt, flash_form_errors

SORTABLE = {
    "nom": User.full_name,
    "email": User.email,
    "role": User.role,
    "derniere_connexion": User.last_login_at,
}


def _ml_choices() -> list[tuple[int, str]]:
    return mission_locale_choices(db.session)


def _funder_choices() -> list[tuple[int, str]]:
    from models.funding.queries import funder_choices

    return funder_choices(db.session)


def _data(form: UserForm) -> UserData:
    return UserData(
        email=form.email.data or "",
        full_name=form.full_name.data or "",
        role=form.role.data or "",
        mission_locale_id=form.mission_locale_id.data,
        funder_id=form.funder_id.data,
        active=bool(form.active.data),
    )


@bp.route("/utilisateurs")
@access("users.view")
def users():
    active_arg = request.args.get("statut", "tous")
    active = {"actifs": True, "inactifs": False}.get(active_arg)
    stmt = users_stmt(search=request.args.get("q", ""), role=request.args.get("role", ""),
                      active=active)
    listing = list_page(stmt, SORTABLE, "nom", tiebreak=User.id)
    return render_template("admin/users.html", listing=listing, roles=list(Role),
                           statut=active_arg, toggle_form=ToggleActiveForm())


@bp.route("/utilisateurs/nouveau", methods=["GET", "POST"])
@access("users.view")
def user_new():
    form = NewUserForm(roles=grantable_roles(current_user), missions_locales=_ml_choices(),
                       funders=_funder_choices())
    if form.validate_on_submit() and (asked := password_confirmation_needed()) is not None:
        return asked  # granting a role: a recent password first
    if form.validate_on_submit():
        done = attempt(lambda: create_user(db.session, current_user, _data(form),
                                           form.password.data), form=form)
        if done.ok:
            flash(f"Compte créé pour {done.value.full_name}.", "success")
            return redirect(url_for("admin.users"))
    return render_template("admin/user_form.html", form=form, user=None, min_length=MIN_LENGTH)


@bp.route("/utilisateurs/<int:user_id>", methods=["GET", "POST"])
@access("users.view")
def user_edit(user_id: int):
    user = db.session.get(User, user_id)
    ensure(user is not None)
    editable = can(current_user, "users.manage", user)
    form = UserForm(obj=user if request.method == "GET" else None,
                    roles=grantable_roles(current_user), current_role=Role(user.role),
                    missions_locales=_ml_choices(),
                    funders=_funder_choices())
    if request.method == "GET":
        form.role.data = Role(user.role).value
        form.version_id.data = str(user.version_id)
    elif not editable:
        flash("Vous ne pouvez pas modifier ce compte.", "danger")
    elif form.validate_on_submit():
        # a new role or scope changes what the account may see: a recent password first
        asked = password_confirmation_needed() if _changes_rights(user, form) else None
        if asked is not None:
            return asked
        if attempt(lambda: update_user(db.session, current_user, user, _data(form),
                                       expected_version=version_of(form.version_id.data)),
                   form=form).ok:
            flash("Compte mis à jour.", "success")
            return redirect(url_for("admin.user_edit", user_id=user.id))
    history = history_of(db.session, User.__tablename__, user.id)[:20]
    open_sessions = sessions_of(db.session, current_user, user) if editable else []
    return render_template("admin/user_form.html", form=form, user=user, editable=editable,
                           history=history, reset_form=PasswordResetForm(),
                           open_sessions=open_sessions,
                           toggle_form=ToggleActiveForm(), min_length=MIN_LENGTH)


@bp.route("/utilisateurs/<int:user_id>/mot-de-passe", methods=["POST"])
@access("users.view")
def user_password(user_id: int):
    user = db.session.get(User, user_id)
    ensure(user is not None)
    if not can(current_user, "users.manage", user):
        flash("Vous ne pouvez pas modifier ce compte.", "danger")
        return redirect(url_for("admin.user_edit", user_id=user_id))
    form = PasswordResetForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
    elif asked := password_confirmation_needed():
        return asked
    elif attempt(lambda: set_password(db.session, current_user, user, form.password.data)).ok:
        flash(f"Mot de passe de {user.full_name} réinitialisé ; ses sessions ouvertes "
              "sont fermées. Transmettez-le par un canal sûr.", "success")
    return redirect(url_for("admin.user_edit", user_id=user_id))


@bp.route("/utilisateurs/<int:user_id>/activation", methods=["POST"])
@access("users.view")
def user_toggle(user_id: int):
    user = db.session.get(User, user_id)
    ensure(user is not None)
    form = ToggleActiveForm()
    if not can(current_user, "users.manage", user):
        flash("Vous ne pouvez pas modifier ce compte.", "danger")
    elif form.validate_on_submit() and attempt(
            lambda: set_active(db.session, current_user, user, not user.active,
                               expected_version=version_of(form.version_id.data))).ok:
        state = "réactivé" if user.active else "désactivé"
        flash(f"Compte de {user.full_name} {state}.", "success")
    return redirect(request.referrer if _same_site(request.referrer)
                    else url_for("admin.users"))


@bp.route("/utilisateurs/<int:user_id>/sessions/fermer", methods=["POST"])
@access("users.view")
def user_close_sessions(user_id: int):
    """Close every open session of an account (a lost laptop, a departure)."""
    user = db.session.get(User, user_id)
    ensure(user is not None)
    if not can(current_user, "users.manage", user) or user.id == current_user.id:
        flash("Vous ne pouvez pas fermer les sessions de ce compte ici.", "danger")
    else:  # CSRF is checked for every POST by CSRFProtect
        count = close_all_for(db.session, user, "fermée par un·e administrateur·rice")
        db.session.commit()
        flash(f"Sessions de {user.full_name} fermées ({count}).", "success")
    return redirect(url_for("admin.user_edit", user_id=user_id))


def _changes_rights(user: User, form: UserForm) -> bool:
    """A new role, mission locale or funder: what the account may see changes."""
    data = _data(form)
    return (str(data.role) != Role(user.role).value
            or data.mission_locale_id != user.mission_locale_id
            or data.funder_id != user.funder_id)


def _same_site(url: str | None) -> bool:
    return bool(url) and url.startswith(request.host_url)


AUDIT_SORTABLE = {"date": AuditEvent.occurred_at, "entite": AuditEvent.entity}


@bp.route("/journal")
@access("audit.view")
def audit():
    stmt = select(AuditEvent)
    entity = request.args.get("entite", "")
    if entity:
        stmt = stmt.where(AuditEvent.entity == entity)
    action = request.args.get("action", "")
    if action in {"insert", "update", "delete"}:
        stmt = stmt.where(AuditEvent.action == action)
    listing = list_page(stmt, AUDIT_SORTABLE, "date", default_direction="desc",
                        tiebreak=AuditEvent.id.desc())
    entities = sorted(db.session.scalars(select(AuditEvent.entity).distinct()))
    return render_template("admin/audit.html", listing=listing, entities=entities)
