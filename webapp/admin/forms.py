"""Account forms. They take their context (grantable roles, missions locales) as arguments."""

from __future__ import annotations

from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    PasswordField,
    SelectField,
    StringField,
    SubmitField,
)
from wtforms.validators import DataRequired, EqualTo, Length, Optional

from models.accounts.roles import Role
from webapp.forms_common import Form, optional_int

REQUIRED = "Ce champ est obligatoire."


class UserForm(Form):
    email = EmailField("Adresse e-mail", validators=[DataRequired(REQUIRED), Length(max=254)])
    full_name = StringField("Nom complet", validators=[DataRequired(REQUIRED), Length(max=120)])
    role = SelectField("Rôle", validators=[DataRequired(REQUIRED)], validate_choice=False)
    mission_locale_id = SelectField("Mission locale de rattachement", coerce=optional_int,
                                    validators=[Optional()], validate_choice=False)
    funder_id = SelectField("Financeur de rattachement", coerce=optional_int,
                            validators=[Optional()], validate_choice=False)
    active = BooleanField("Compte actif", default=True)
    version_id = HiddenField()
    submit = SubmitField("Enregistrer")

    def __init__(self, *args, roles: list[Role], current_role: Role | None = None,
                 missions_locales: list[tuple[int, str]],
                 funders: list[tuple[int, str]] = (), **kwargs):
        super().__init__(*args, **kwargs)
        offered = list(roles)
        if current_role is not None and current_role not in offered:
            offered.insert(0, current_role)  # shown, so an unrelated edit keeps it
        self.role.choices = [(r.value, r.label) for r in offered]
        self.mission_locale_id.choices = [("", "— aucune —"), *missions_locales]
        self.funder_id.choices = [("", "— aucun —"), *funders]


class NewUserForm(UserForm):
    password = PasswordField("Mot de passe initial", validators=[DataRequired(REQUIRED)])
    confirm = PasswordField(
        "Confirmation du mot de passe",
        validators=[DataRequired(REQUIRED),
                    EqualTo("password", "Les deux mots de passe ne correspondent pas.")],
    )


class PasswordResetForm(Form):
    password = PasswordField("Nouveau mot de passe", validators=[DataRequired(REQUIRED)])
    confirm = PasswordField(
        "Confirmation",
        validators=[DataRequired(REQUIRED),
                    EqualTo("password", "Les deux mots de passe ne correspondent pas.")],
    )
    submit = SubmitField("Réinitialiser le mot de passe")


class ToggleActiveForm(Form):
    version_id = HiddenField()
    submit = SubmitField()
