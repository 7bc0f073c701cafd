from wtforms import EmailField, PasswordField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length

from webapp.forms_common import Form

REQUIRED = "Ce champ est obligatoire."


class LoginForm(Form):
    email = EmailField("Adresse e-mail", validators=[DataRequired(REQUIRED), Length(max=254)])
    password = PasswordField("Mot de passe", validators=[DataRequired(REQUIRED), Length(max=128)])
    submit = SubmitField("Se connecter")


class LogoutForm(Form):
    submit = SubmitField("Se déconnecter")


class ChangePasswordForm(Form):
    current_password = PasswordField("Mot de passe actuel", validators=[DataRequired(REQUIRED)])
    password = PasswordField("Nouveau mot de passe", validators=[DataRequired(REQUIRED)])
    confirm = PasswordField(
        "Confirmation",
        validators=[DataRequired(REQUIRED),
                    EqualTo("password", "Les deux mots de passe ne correspondent pas.")],
    )
    submit = SubmitField("Changer mon mot de passe")


class ConfirmPasswordForm(Form):
    password = PasswordField("Mot de passe", validators=[DataRequired(REQUIRED), Length(max=128)])
    submit = SubmitField("Confirmer")


class PlainForm(Form):
    """A button that posts (close a session, extend the session): CSRF only."""
