"""The decision form (councils, copil meetings, collective projects: one register, one
form) and the status-change form."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session
from wtforms import DateField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from models.councils.decisions import DecisionData
from models.councils.enums import DecisionStatus
from models.network.orm import MissionLocale
from models.programme.orm import TeamMember
from webapp.forms_common import Form, db_int, optional_int

REQUIRED = "Ce champ est obligatoire."


def owner_choices(session: Session) -> list[tuple[str, str]]:
    """"m:<id>" for a team member, "ml:<id>" for an active mission locale."""
    members = [(f"m:{m.id}", f"Équipe — {m.full_name}") for m in session.scalars(
        select(TeamMember).where(TeamMember.end_date.is_(None)).order_by(TeamMember.full_name))]
    mls = [(f"ml:{ml.id}", f"Mission locale — {ml.name}") for ml in session.scalars(
        select(MissionLocale).where(MissionLocale.active.is_(True))
        .order_by(MissionLocale.name))]
    return [("", "— choisir —"), *members, *mls]


def split_owner(value: str | None) -> tuple[int | None, int | None]:
    kind, _, raw = (value or "").partition(":")
    try:
        number = db_int(raw)
    except ValueError:
        return None, None
    return (number, None) if kind == "m" else ((None, number) if kind == "ml" else (None, None))


class DecisionForm(Form):
    text = TextAreaField("Décision", validators=[DataRequired(REQUIRED), Length(max=4000)])
    owner = SelectField("Responsable (une seule personne ou mission locale)",
                        validate_choice=False)
    owner_person = StringField("Personne nommée (si mission locale)",
                               validators=[Length(max=120)])
    due_date = DateField("Échéance", format="%Y-%m-%d", validators=[InputRequired(REQUIRED)])
    action_id = SelectField("Action concernée", coerce=optional_int, validate_choice=False,
                            validators=[Optional()])
    version_id = HiddenField()

    def __init__(self, *args, owners: list[tuple[str, str]], actions=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.owner.choices = owners
        self.action_id.choices = [("", "— le programme dans son ensemble —"), *(actions or [])]

    def data_object(self) -> DecisionData:
        member_id, ml_id = split_owner(self.owner.data)
        return DecisionData(text=self.text.data or "", owner_member_id=member_id,
                            owner_ml_id=ml_id, owner_person=self.owner_person.data or "",
                            due_date=self.due_date.data, action_id=self.action_id.data)


class StatusForm(Form):
    status = SelectField("Nouveau statut", choices=[(s.value, s.label) for s in DecisionStatus],
                         validators=[DataRequired(REQUIRED)])
    note = TextAreaField("Note (obligatoire pour clore)", validators=[Length(max=4000)])
    new_due_date = DateField("Nouvelle échéance (si reportée)", format="%Y-%m-%d",
                             validators=[Optional()])
    meeting_id = SelectField("Lors de la réunion", coerce=optional_int, validate_choice=False,
                             validators=[Optional()])
    version_id = HiddenField()


class DeleteForm(Form):
    """A button posting nothing but its CSRF token."""
