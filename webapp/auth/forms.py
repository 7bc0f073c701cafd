from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length

REQUIRED = "Ce champ est obligatoire."


class LoginForm(FlaskForm):
    email = EmailField("Adresse e-mail", validators=[DataRequired(REQUIRED), Length(max=254)])
    password = PasswordField("Mot de passe", validators=[DataRequired(REQUIRED), Length(max=128)])
    remember = BooleanField("Rester connecté·e sur cet appareil")
    submit = SubmitField("Se connecter")


class LogoutForm(FlaskForm):
    submit = SubmitField("Se déconnecter")


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField("Mot de passe actuel", validators=[DataRequired(REQUIRED)])
    password = PasswordField("Nouveau mot de passe", validators=[DataRequired(REQUIRED)])
    confirm = PasswordField(
        "Confirmation",
        validators=[DataRequired(REQUIRED),
                    EqualTo("password", "Les deux mots de passe ne correspondent pas.")],
    )
    submit = SubmitField("Changer mon mot de passe")
