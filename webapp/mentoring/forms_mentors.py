"""Forms of the mentors' pages. They only parse: the rules and their French messages are
``models.mentoring.mentors``' (the same as the CSV import's)."""

from __future__ import annotations

from flask_wtf.file import FileField
from wtforms import BooleanField, DateField, HiddenField, SelectField, StringField
from wtforms.validators import Length, Optional

from models.mentoring.config import DEFAULT_CAPACITY
from models.mentoring.enums import MentorStatus, Sex
from models.mentoring.mentees import small_int
from models.mentoring.mentors import MentorData
from webapp.forms_common import Form

DATE_FORMATS = ["%Y-%m-%d", "%d/%m/%Y"]
DATE_MESSAGE = "Date invalide (format JJ/MM/AAAA)."


def _date(label: str, description: str = "") -> DateField:
    return DateField(label, format=DATE_FORMATS, validators=[Optional()],
                     description=description)


class MentorForm(Form):
    last_name = StringField("Nom", validators=[Length(max=120)])
    first_name = StringField("Prénom", validators=[Length(max=120)])
    email = StringField("E-mail", validators=[Length(max=254)])
    phone = StringField("Téléphone (facultatif)", validators=[Length(max=30)])
    sex = SelectField("Sexe", validate_choice=False,
                      choices=[("", "— choisir —"), *((s.value, s.label) for s in Sex)])
    status = SelectField("Situation", validate_choice=False,
                         choices=[("", "— choisir —"),
                                  *((s.value, s.label) for s in MentorStatus)])
    sector = StringField("Secteur d'activité", validators=[Length(max=120)],
                         description="Celui du métier exercé (ou exercé avant la retraite) : "
                                     "il sert aux suggestions de binômes.")
    commune = StringField("Commune", validators=[Length(max=120)])
    consent_on = _date("Consentement au traitement des données le",
                       "Obligatoire : sans consentement, la fiche ne s'enregistre pas.")
    charter_signed_on = _date("Charte du parrainage signée le")
    trained_on = _date("Formé·e le", "La formation des parrains et marraines.")
    capacity = StringField("Filleul·es suivi·es en même temps, au plus",
                           default=str(DEFAULT_CAPACITY))
    active = BooleanField("Disponible pour de nouveaux binômes", default=True)
    version_id = HiddenField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in (self.consent_on, self.charter_signed_on, self.trained_on):
            field.render_kw = {"type": "date"}

    def capacity_value(self) -> int | None:
        """ASCII figures only (« ² » or 5,000 figures: None, the domain's message)."""
        return small_int(self.capacity.data or "")

    def data_object(self) -> MentorData:
        return MentorData(
            last_name=self.last_name.data or "", first_name=self.first_name.data or "",
            email=self.email.data or "", phone=self.phone.data or "",
            sex=self.sex.data or "", status=self.status.data or "",
            sector=self.sector.data or "", commune=self.commune.data or "",
            consent_on=self.consent_on.data, charter_signed_on=self.charter_signed_on.data,
            trained_on=self.trained_on.data, capacity=self.capacity_value(),
            active=bool(self.active.data))


class ConfirmForm(Form):
    """A button posting the version the person saw (deactivate, anonymise, delete)."""

    version_id = HiddenField()


class ImportForm(Form):
    file = FileField("Fichier CSV des parrains et marraines")
