"""Forms of council series, meetings, agendas, invitees and answers. They only parse:
the rules and their French messages are the domain's (``models.councils``)."""

from __future__ import annotations

from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import DataRequired, Length, Optional

from models.councils.agenda import ItemData
from models.councils.enums import ItemKind, SeriesKind
from models.councils.meetings import MeetingData, SeriesData
from webapp.forms_common import Form, optional_int

REQUIRED = "Ce champ est obligatoire."
#: what a text area may carry before the domain says it is too long (it says how long)
TEXT_LIMIT = 20000


def _int(label: str, **kwargs) -> IntegerField:
    return IntegerField(label, validators=[Optional()], **kwargs)


class SeriesForm(Form):
    name = StringField("Nom de l'instance", validators=[Length(max=400)])
    kind = SelectField("Type", choices=[(k.value, k.label) for k in SeriesKind],
                       validate_choice=False)
    description = TextAreaField("Description", validators=[Length(max=TEXT_LIMIT)])
    rhythm_weeks = _int("Rythme (une réunion toutes les N semaines)")
    default_place = TextAreaField("Lieu habituel", validators=[Length(max=TEXT_LIMIT)])
    video_link = StringField("Lien de visioconférence habituel", validators=[Length(max=2000)])
    default_start = TimeField("Début habituel", format="%H:%M", validators=[Optional()])
    default_end = TimeField("Fin habituelle", format="%H:%M", validators=[Optional()])
    directors_are_members = BooleanField(
        "Les directions des missions locales actives sont membres", default=True)
    quorum_enabled = BooleanField("Quorum (les décisions demandent un nombre de membres)")
    quorum_threshold = _int("Seuil du quorum (présents + représentés)")
    proxies_enabled = BooleanField("Procurations (un membre peut se faire représenter)")
    max_proxies = _int("Procurations au plus par membre", default=1)
    notice_days = _int("Délai de convocation conseillé (jours)", default=10)
    active = BooleanField("Instance active", default=True)
    version_id = HiddenField()

    def data_object(self) -> SeriesData:
        return SeriesData(
            name=self.name.data or "", kind=self.kind.data or "",
            description=self.description.data or "", rhythm_weeks=self.rhythm_weeks.data,
            default_place=self.default_place.data or "", video_link=self.video_link.data or "",
            default_start=self.default_start.data, default_end=self.default_end.data,
            directors_are_members=self.directors_are_members.data,
            quorum_enabled=self.quorum_enabled.data,
            quorum_threshold=self.quorum_threshold.data,
            proxies_enabled=self.proxies_enabled.data, max_proxies=self.max_proxies.data,
            notice_days=self.notice_days.data, active=self.active.data)


class PlanForm(Form):
    first_day = DateField("Date de la première réunion", format="%Y-%m-%d",
                          validators=[Optional()])
    count = _int("Nombre de réunions", default=8)


class MeetingForm(Form):
    title = StringField("Titre (facultatif)", validators=[Length(max=400)])
    day = DateField("Date", format="%Y-%m-%d", validators=[Optional()])
    starts_at = TimeField("Début", format="%H:%M", validators=[Optional()])
    ends_at = TimeField("Fin", format="%H:%M", validators=[Optional()])
    place = TextAreaField("Lieu", validators=[Length(max=TEXT_LIMIT)])
    video_link = StringField("Lien de visioconférence", validators=[Length(max=2000)])
    version_id = HiddenField()

    def data_object(self) -> MeetingData:
        return MeetingData(day=self.day.data, starts_at=self.starts_at.data,
                           ends_at=self.ends_at.data, place=self.place.data or "",
                           video_link=self.video_link.data or "", title=self.title.data or "")


class CancelForm(Form):
    reason = TextAreaField("Motif", validators=[DataRequired(
        "Indiquez le motif de l'annulation : il est envoyé aux personnes invitées."),
        Length(max=TEXT_LIMIT)])
    version_id = HiddenField()


class ItemForm(Form):
    kind = SelectField("Type de point", validate_choice=False,
                       choices=[(k.value, k.label) for k in ItemKind
                                if k is not ItemKind.APPROBATION])
    title = StringField("Intitulé", validators=[Length(max=1000)])
    presenter = StringField("Présenté par", validators=[Length(max=400)])
    duration_minutes = _int("Durée (minutes)")
    details = TextAreaField("Détail (5 000 caractères au plus)",
                            validators=[Length(max=TEXT_LIMIT)])
    version_id = HiddenField()

    def data_object(self) -> ItemData:
        return ItemData(kind=self.kind.data or "", title=self.title.data or "",
                        details=self.details.data or "", presenter=self.presenter.data or "",
                        duration_minutes=self.duration_minutes.data)


class ProposeForm(Form):
    """A mission locale's topic for a later meeting."""

    kind = SelectField("Type de point", validate_choice=False,
                       choices=[(k.value, k.label) for k in
                                (ItemKind.INFORMATION, ItemKind.ECHANGE, ItemKind.DECISION)])
    title = StringField("Sujet proposé", validators=[Length(max=1000)])
    details = TextAreaField("Pourquoi, ce que vous attendez du conseil "
                            "(5 000 caractères au plus)", validators=[Length(max=TEXT_LIMIT)])

    def data_object(self) -> ItemData:
        return ItemData(kind=self.kind.data or "", title=self.title.data or "",
                        details=self.details.data or "")


class AttachmentForm(Form):
    file = FileField("Pièce jointe (10 Mo au plus)")


class ScheduleForm(Form):
    meeting_id = SelectField("Réunion", coerce=optional_int, validate_choice=False,
                             validators=[Optional()])


class InviteeForm(Form):
    full_name = StringField("Nom", validators=[Length(max=400)])
    email = StringField("E-mail", validators=[Length(max=400)])
    organisation = StringField("Organisation (DREETS, Région…)", validators=[Length(max=400)])
    mission_locale_id = SelectField("Ou la direction d'une mission locale", coerce=optional_int,
                                    validate_choice=False, validators=[Optional()])
    user_id = SelectField("Ou un compte financeur", coerce=optional_int, validate_choice=False,
                          validators=[Optional()])

    def __init__(self, *args, mls=None, users=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.mission_locale_id.choices = [("", "— aucune —"), *(mls or [])]
        self.user_id.choices = [("", "— aucun —"), *(users or [])]


class AnswerForm(Form):
    answer = SelectField("Réponse", validate_choice=False)
    proxy_holder_id = SelectField("Représenté·e par", coerce=optional_int,
                                  validate_choice=False, validators=[Optional()])
    version_id = HiddenField()
    next = HiddenField()


class EmptyForm(Form):
    """A POST with only its CSRF token (buttons)."""


class ChoiceForm(Form):
    """A button with one value (``direction``, ``mode``)."""

    value = HiddenField()
    version_id = HiddenField()
