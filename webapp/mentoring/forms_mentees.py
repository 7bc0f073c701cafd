"""The mentee form: every field of ``models.mentoring.mentees.MenteeData``, and no free
text at all (choices, a year typed in figures, a date, check boxes)."""

from __future__ import annotations

from wtforms import BooleanField, DateField, HiddenField, SelectField, StringField
from wtforms.validators import Optional

from models.mentoring.enums import Prescriber, Sex, Situation
from models.mentoring.mentees import MenteeData
from models.parcours.charter import CURRENT_NIVEAUX, OLD_NIVEAUX
from webapp.mentoring.forms_pairings import ConfirmForm

MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
          "septembre", "octobre", "novembre", "décembre")
YES_NO_UNKNOWN = [("", "Ne sait pas"), ("oui", "Oui"), ("non", "Non")]
#: the charter's levels, then the old nomenclature (accepted with a warning)
OLD_LEVELS = tuple(OLD_NIVEAUX)


def _level_label(level: str) -> str:
    return f"Niveau {level}"


class MenteeForm(ConfirmForm):
    sex = SelectField("Sexe", choices=[("", "— choisir —"),
                                       *((s.value, s.label) for s in Sex)],
                      validate_choice=False)
    # typed text goes to the domain as is: it answers « écrite en chiffres » in French
    birth_year = StringField("Année de naissance",
                             render_kw={"inputmode": "numeric", "autocomplete": "off",
                                        "placeholder": "ex. 2006"})
    birth_month = SelectField("Mois de naissance",
                              choices=[("", "— choisir —"),
                                       *((str(n), m) for n, m in enumerate(MONTHS, 1))],
                              validate_choice=False)
    qualification = SelectField(
        "Niveau de formation",
        choices=[("", "— choisir —"),
                 *((lvl, _level_label(lvl)) for lvl in sorted(CURRENT_NIVEAUX)),
                 *((lvl, f"{_level_label(lvl)} (ancienne nomenclature)")
                   for lvl in OLD_LEVELS)],
        validate_choice=False,
        description="Nomenclature 1 à 8 ; l'ancienne (VI à I, V bis) est acceptée avec un "
                    "avertissement.")
    situation = SelectField("Situation à l'entrée",
                            choices=[("", "— choisir —"),
                                     *((s.value, s.label) for s in Situation)],
                            validate_choice=False)
    prescriber = SelectField("Prescripteur",
                             choices=[("", "— choisir —"),
                                      *((p.value, p.label) for p in Prescriber)],
                             validate_choice=False)
    qpv = SelectField("Habite un quartier prioritaire (QPV)", choices=YES_NO_UNKNOWN,
                      validate_choice=False)
    zrr = SelectField("Habite en zone de revitalisation rurale (ZRR)",
                      choices=YES_NO_UNKNOWN, validate_choice=False)
    rqth = SelectField("Reconnaissance de travailleur handicapé (RQTH)",
                       choices=[("non", "Non"), ("oui", "Oui")], validate_choice=False)
    project_validated = BooleanField("Projet professionnel validé")
    minor_consent_on = DateField("Date du consentement du représentant légal (mineur)",
                                 format="%Y-%m-%d", validators=[Optional()])
    version_id = HiddenField()

    def data_object(self) -> MenteeData:
        return MenteeData(sex=self.sex.data or "", birth_year=self.birth_year.data or "",
                          birth_month=self.birth_month.data or "",
                          qualification=self.qualification.data or "",
                          situation=self.situation.data or "",
                          prescriber=self.prescriber.data or "", qpv=self.qpv.data or "",
                          zrr=self.zrr.data or "", rqth=self.rqth.data or "",
                          project_validated=bool(self.project_validated.data),
                          minor_consent_on=self.minor_consent_on.data)
