"""Forms of the funder reports (generation, reviews, confirmations, update requests)."""

from __future__ import annotations

from wtforms import DateField, HiddenField, IntegerField, SelectField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from webapp.forms_common import Form, db_int
from webapp.funding.forms import REQUIRED


class GenerateForm(Form):
    funder_id = SelectField("Financeur", coerce=db_int, validators=[InputRequired(REQUIRED)])
    year = IntegerField("Année", validators=[
        InputRequired(REQUIRED),
        NumberRange(2000, 2100, "L'année doit être comprise entre 2000 et 2100.")])
    as_of = DateField("Données arrêtées au", format="%Y-%m-%d", validators=[Optional()],
                      description="Vide : aujourd'hui. Les versements et rapports remis "
                                  "après cette date ne sont pas comptés.")
    synthesis = TextAreaField("Synthèse propre à ce rapport", validators=[Length(max=6000)],
                              description="Quelques lignes en tête du rapport. Ne citez ni "
                                          "un autre financeur ni ses montants.")

    def __init__(self, *args, funders: list[tuple[int, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.funder_id.choices = [(0, "Choisir…"), *funders]


class ReviewForm(Form):
    highlights = TextAreaField("Faits marquants", validators=[Length(max=20000)])
    gaps = TextAreaField("Écarts expliqués", validators=[Length(max=20000)])
    outlook = TextAreaField("Perspectives", validators=[Length(max=20000)])
    version_id = HiddenField()


class RequestForm(Form):
    year = IntegerField("Année", validators=[Optional()])
    message = TextAreaField("Votre message (facultatif)", validators=[Length(max=2000)])
