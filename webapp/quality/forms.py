"""Quality forms: the import upload, a finding's mark, the admin's thresholds."""

from __future__ import annotations

from datetime import date, datetime

from flask_wtf.file import MultipleFileField
from wtforms import HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional, StopValidation

from models.parcours.rules import MARK_LABELS
from webapp.forms_common import DecimalTextField, Form

REQUIRED = "Ce champ est obligatoire."


class FrenchDateField(StringField):
    """A date typed ``JJ/MM/AAAA`` (ISO ``AAAA-MM-JJ`` accepted); empty means None."""

    FORMATS = ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y")

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("render_kw", {}).update(placeholder="JJ/MM/AAAA", inputmode="numeric",
                                                  autocomplete="off")
        super().__init__(label, validators, **kwargs)
        self.parse_error: str | None = None

    def process_formdata(self, valuelist):
        self.raw = (valuelist[0] if valuelist else "").strip()
        self.data, self.parse_error = None, None
        if not self.raw:
            return
        for fmt in self.FORMATS:
            try:
                self.data = datetime.strptime(self.raw, fmt).date()
                return
            except ValueError:
                continue
        self.parse_error = f"« {self.raw} » n'est pas une date valide : écrivez-la JJ/MM/AAAA."

    def pre_validate(self, form):
        if self.parse_error:
            raise StopValidation(self.parse_error)

    def _value(self):
        if getattr(self, "raw", None) and self.parse_error:
            return self.raw
        return self.data.strftime("%d/%m/%Y") if isinstance(self.data, date) else ""


class ImportForm(Form):
    files = MultipleFileField(
        "Extraction", description="Une archive .zip, ou les fichiers .csv eux-mêmes "
        "(jeunes.csv obligatoire ; evenements.csv, situations.csv, dispositifs.csv).")
    period_start = FrenchDateField("Du")
    period_end = FrenchDateField("Au")


class MarkForm(Form):
    kind = SelectField("Qualification", choices=list(MARK_LABELS.items()),
                       validators=[InputRequired(REQUIRED)])
    comment = TextAreaField("Commentaire", validators=[Length(max=2000)])
    retour = HiddenField()


class SettingsForm(Form):
    green_min = DecimalTextField("Vert à partir de (%)", validators=[Optional()])
    amber_min = DecimalTextField("Orange à partir de (%)", validators=[Optional()])
    stale_days = IntegerField(
        "Extraction ancienne après (jours)",
        validators=[Optional(), NumberRange(min=1, max=3650,
                                            message="Entre 1 et 3 650 jours.")])
    version_id = HiddenField()


class ObservatorySettingsForm(Form):
    """Text fields: the domain validates and answers in French (``check_threshold``)."""

    threshold = StringField("Seuil du secret statistique (k)")
    jdi_months = StringField("Fenêtre JDI (mois)")
    version_id = HiddenField()
