"""Demo councils: the conseil technique des directeurs (8 meetings, 6 held, minutes
approved in chain, ~25 decisions in every state — one overdue, one carried over three
meetings), ideas in the backlog, and the QVT/RPS cluster with 7 missions locales and
their binômes.

The meetings are dated around the day the demo is built (the last held one a few weeks
ago, the next one convoked, the one after planned), and each step runs at its own date
on the application clock, so invitations, answers, attendance, minutes and decisions
carry believable dates. Built through the domain services, like a user would; idempotent.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import clock
from models.councils import agenda, attendance, invitations, meetings, minutes, projects
from models.councils.decisions import DecisionData, change_status, record_decision
from models.councils.enums import (
    BinomeRole,
    DecisionStatus,
    ExperimentStatus,
    ItemKind,
    ParticipantStatus,
    Presence,
    ProjectPhase,
)
from models.councils.orm import CollectiveProject, CouncilSeries, Meeting
from models.network.orm import MissionLocale
from models.programme.computed import set_source
from models.programme.items import IndicatorData, save_item
from models.programme.orm import Action, Indicator, Programme, TeamMember
from models.training.orm import Training

SERIES = "Conseil technique des directeurs"
PROJECT = "Cluster QVT / RPS — 2e vague"
BASE_URL = "http://localhost:5000"
PLACE = "ARML Nouvelle-Aquitaine, 102 quai de Bacalan, 33300 Bordeaux"
VISIO = "https://visio.arml-demo.fr/conseil-directeurs"

#: agenda themes of the six held meetings and the next one (besides approval / follow-up)
AGENDAS = [
    [("information", "Veille : loi pour le plein emploi et Réseau pour l'emploi", "ARML", 45),
     ("echange", "Tour de table des missions locales", "", 60),
     ("decision", "Calendrier 2026 des conseils et des formations", "Direction ARML", 30)],
    [("information", "Dialogue de gestion 2026 avec la DREETS", "DREETS", 60),
     ("echange", "Bonnes pratiques : l'accueil sans rendez-vous", "ML du Libournais", 45),
     ("decision", "Charte régionale de saisie Parcours : version 2026", "Équipe ARML", 45)],
    [("information", "CEJ : premiers chiffres régionaux du trimestre", "Équipe ARML", 40),
     ("echange", "Relations entreprises : prospecter à plusieurs", "", 60),
     ("decision", "Plan régional de formation du second semestre", "Équipe ARML", 30)],
    [("information", "Conseil régional : appel à projets mobilité", "Région", 45),
     ("echange", "Qualité de vie au travail : retours de la 1re vague du cluster", "Aract", 60),
     ("decision", "Lancement de la 2e vague du cluster QVT / RPS", "Direction ARML", 30)],
    [("information", "Observatoire régional : la publication de septembre", "Équipe ARML", 45),
     ("echange", "Repérage des jeunes invisibles : ce qui marche", "", 60),
     ("decision", "Indicateurs communs du rapport d'activité", "Équipe ARML", 30)],
    [("information", "Budget 2027 : premières orientations", "Direction ARML", 45),
     ("echange", "Parrainage : relancer le réseau des marraines et parrains", "", 45),
     ("decision", "Programme régional d'animation 2027 : priorités", "Direction ARML", 60)],
    [("information", "Bilan de l'année et perspectives 2027", "Direction ARML", 60),
     ("echange", "Retours des missions locales sur les outils régionaux", "", 60)],
]

#: decisions per held meeting: (text, owner "m" team / "ml", due in days, fate)
#: fate: list of (meeting index where it changes, status, note, due shift in days)
DECISIONS: list[list[tuple[str, str, int, list[tuple[int, str, str, int]]]]] = [
    [("Diffuser le calendrier 2026 des conseils à toutes les directions", "m", 14,
      [(1, "faite", "Calendrier envoyé le lendemain du conseil.", 0)]),
     ("Recenser les besoins de formation des équipes pour le second semestre", "m", 60,
      [(1, "en_cours", "Questionnaire envoyé.", 0), (2, "faite", "38 réponses sur 39.", 0)]),
     ("Préparer une note commune sur l'accueil des jeunes en CEJ", "ml", 45,
      [(1, "en_cours", "Premier jet partagé.", 0),
       (2, "reportee", "Attente des consignes nationales.", 60),
       (4, "faite", "Note validée et diffusée.", 0)]),
     ("Proposer un outil partagé de suivi des entrées en CEJ", "m", 90,
      [(2, "abandonnee", "Le tableau de bord régional couvre le besoin.", 0)]),
     ("Désigner un·e référent·e « Réseau pour l'emploi » dans chaque mission locale", "ml", 30,
      [(1, "en_cours", "24 référents désignés.", 0),
       (3, "faite", "Liste complète transmise à la DREETS.", 0)])],
    [("Transmettre à la DREETS les remontées des missions locales", "m", 21,
      [(2, "faite", "Courrier transmis au directeur régional.", 0)]),
     ("Mettre à jour la charte de saisie Parcours", "m", 45,
      [(2, "en_cours", "Version de travail en relecture.", 0),
       (3, "faite", "Charte 2026 publiée.", 0)]),
     # carried over three meetings (3rd, 4th, 5th) before being closed at the 6th
     ("Organiser une journée régionale sur l'accueil sans rendez-vous", "ml", 60,
      [(2, "en_cours", "Date à trouver avec les missions locales volontaires.", 0),
       (3, "reportee", "Salle indisponible : report à l'automne.", 90),
       (5, "faite", "Journée tenue avec 54 participants.", 0)]),
     ("Étudier une convention type avec les centres sociaux", "m", 120, [])],
    [("Constituer un groupe de travail « relations entreprises »", "m", 30,
      [(3, "faite", "Groupe constitué : 6 missions locales.", 0)]),
     ("Partager les fiches de poste des chargés de relation entreprises", "ml", 30,
      [(3, "en_cours", "Quatre fiches reçues.", 0)]),
     ("Adopter le plan régional de formation du second semestre", "m", 14,
      [(3, "faite", "Plan adopté et publié au catalogue.", 0)]),
     ("Produire une synthèse des chiffres CEJ par département", "m", 75,
      [(4, "en_cours", "Données du troisième trimestre attendues.", 0)]),
     ("Inviter France Travail au prochain conseil", "m", 40,
      [(3, "faite", "France Travail présent au conseil suivant.", 0)])],
    [("Lancer l'appel à candidatures de la 2e vague du cluster QVT", "m", 21,
      [(4, "faite", "Sept missions locales retenues.", 0)]),
     ("Répondre à l'appel à projets mobilité de la Région", "ml", 30,
      [(4, "abandonnee", "Critères de l'appel incompatibles avec le calendrier.", 0)]),
     ("Présenter les retours de la 1re vague du cluster en conseil d'administration", "m", 45,
      [(5, "reportee", "Conseil d'administration décalé en janvier.", 45)]),
     ("Diffuser le bilan de la 1re vague du cluster aux missions locales", "m", 30,
      [(4, "faite", "Bilan diffusé avec le compte rendu.", 0)])],
    [("Relire le projet de publication de l'observatoire", "ml", 21,
      [(5, "faite", "Relecture faite par trois directions.", 0)]),
     ("Fixer la liste des indicateurs communs du rapport d'activité", "m", 40, []),
     ("Recenser les actions de repérage des invisibles", "ml", 50,
      [(5, "en_cours", "Onze actions recensées.", 0)])],
    [("Préparer les priorités du programme 2027 pour le copil", "m", 30, []),
     ("Relancer le réseau des marraines et parrains", "ml", 60, []),
     ("Chiffrer les besoins budgétaires 2027", "m", 25, []),
     ("Diffuser le compte rendu du groupe relations entreprises", "ml", 10, [])],
]

#: the one decision left overdue in the demo (the others still open are due later)
OVERDUE = "Fixer la liste des indicateurs communs du rapport d'activité"

#: presences cycle (members): mostly present, some excused, a few absent
PRESENCE_CYCLE = ("present", "present", "present", "excuse", "present", "present", "absent",
                  "present", "excuse", "present")


@contextmanager
def _at(moment: datetime) -> Iterator[None]:
    """Run a step of the story at its own date on the application clock."""
    before = clock.now()
    clock.travel_to(moment)
    try:
        yield
    finally:
        clock.travel_to(before)


def _moment(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour, 0), tzinfo=clock.LOCAL)


def _tuesday(day: date) -> date:
    return day + timedelta(days=(1 - day.weekday()) % 7)


def meeting_days(today: date) -> list[date]:
    """Eight meetings six weeks apart: six before ``today``, the 7th two to three weeks
    ahead (convoked), the 8th planned after it."""
    seventh = _tuesday(today + timedelta(days=14))
    return [seventh + timedelta(weeks=6 * (i - 6)) for i in range(8)]


def _owner(session: Session, kind: str, n: int, mls: list[MissionLocale],
           members: list[TeamMember]) -> DecisionData:
    if kind == "m":
        return DecisionData(owner_member_id=members[n % len(members)].id)
    ml = mls[(3 * n + 1) % len(mls)]
    return DecisionData(owner_ml_id=ml.id, owner_person=ml.director_name or "Direction")


def _held_meeting(session: Session, series: CouncilSeries, index: int, day: date,
                  mls: list[MissionLocale]) -> Meeting:
    """Create, convoke, answer, hold: the life of one past meeting."""
    with _at(_moment(day - timedelta(days=21))):
        meeting = meetings.create_meeting(session, None, series,
                                          meetings.meeting_defaults(series, day))
        for kind, title, presenter, minutes_ in AGENDAS[index]:
            agenda.add_item(session, None, meeting, agenda.ItemData(
                kind=kind, title=title, presenter=presenter, duration_minutes=minutes_))
        invitations.add_invitee(session, None, meeting, invitations.InviteeData(
            full_name="Bertrand Roux", email="bertrand.roux@dreets-demo.gouv.fr",
            organisation="DREETS Nouvelle-Aquitaine"))
        invitations.add_invitee(session, None, meeting, invitations.InviteeData(
            full_name="Claire Dufau", email="claire.dufau@region-demo.fr",
            organisation="Région Nouvelle-Aquitaine"))
        invitations.send_invitations(session, None, meeting, BASE_URL)
    with _at(_moment(day, 17)):
        presences = {}
        for n, invitee in enumerate(meeting.invitees):
            value = PRESENCE_CYCLE[(n + index) % len(PRESENCE_CYCLE)]
            presences[invitee.id] = (Presence(value), None)
        attendance.hold_meeting(session, None, meeting, presences)
    return meeting


def _decide(session: Session, held: list[Meeting], mls: list[MissionLocale],
            members: list[TeamMember]) -> int:
    count = 0
    today = clock.today()  # the build's day (each step below runs at its own date)
    for index, specs in enumerate(DECISIONS):
        meeting = held[index]
        for n, (text, kind, due_days, fate) in enumerate(specs):
            with _at(_moment(meeting.day, 16)):
                data = _owner(session, kind, index * 4 + n, mls, members)
                due = meeting.day + timedelta(days=due_days)
                still_open = not fate or fate[-1][1] not in ("faite", "abandonnee")  # at the end
                if still_open and text != OVERDUE:  # due after today: not overdue
                    due = max(due, today + timedelta(days=20 + 7 * n))
                data.text, data.due_date = text, due
                decision = record_decision(session, None, data, meeting=meeting)
                count += 1
            for at, status, note, shift in fate:
                where = held[at] if at < len(held) else None
                with _at(_moment(where.day if where else meeting.day, 16)):
                    change_status(session, None, decision, status, note=note, meeting=where,
                                  new_due_date=decision.due_date + timedelta(days=shift)
                                  if shift else None)
    return count


def _minutes(session: Session, held: list[Meeting]) -> None:
    """Minutes written after each meeting, circulated, approved at the next one (the
    last held meeting's are circulated and wait for the next council)."""
    for index, meeting in enumerate(held):
        with _at(_moment(meeting.day + timedelta(days=5))):
            record = minutes.save_minutes(session, None, meeting, _minutes_text(index))
            minutes.circulate_minutes(session, None, record, link=BASE_URL)
        if index + 1 < len(held):
            with _at(_moment(held[index + 1].day, 10)):
                minutes.approve_minutes(session, None, record, held[index + 1])


def _minutes_text(index: int) -> str:
    themes = [title for _, title, _, _ in AGENDAS[index]]
    return ("Relevé de conclusions.\n\n" + "\n\n".join(
        f"{n}. {title}\nLes échanges ont permis de partager la situation des missions "
        f"locales et les points d'attention de chacun ; les décisions sont reprises "
        f"au registre." for n, title in enumerate(themes, start=1)))


def _programme_indicators(session: Session, series: CouncilSeries,
                          project: CollectiveProject) -> None:
    """The 2026 programme's council indicators take their value from the councils."""
    programme = session.scalars(select(Programme).where(Programme.year == 2026)).first()
    if programme is None:
        return
    for indicator in session.scalars(select(Indicator).join(Action).where(
            Action.programme_id == programme.id)):
        if indicator.name == "Réunions tenues":
            set_source(session, None, indicator, "conseils.reunions_tenues", series.id)
        elif indicator.name == "Taux de présence des directeurs":
            set_source(session, None, indicator, "conseils.taux_presence", series.id)
    if project.action is not None:
        names = {i.name for i in project.action.indicators}
        if "Missions locales participantes" not in names:
            indicator = save_item(session, None, project.action, IndicatorData(
                name="Missions locales participantes", unit="missions locales",
                target=Decimal(7)))
            set_source(session, None, indicator, "projet.mls_participantes", project.id)


def _project_series(session: Session, members: list[TeamMember],
                    mls: list[MissionLocale]) -> CouncilSeries:
    """The cluster's steering meetings: one held six weeks ago with its two decisions."""
    day = _tuesday(clock.today() - timedelta(days=45))
    with _at(_moment(day - timedelta(days=20))):
        series = meetings.save_series(session, None, None, meetings.SeriesData(
            name="Cluster QVT / RPS — comité de suivi", kind="cluster",
            directors_are_members=False, default_place=PLACE, default_start=time(14, 0),
            default_end=time(16, 30)))
        meeting = meetings.create_meeting(session, None, series,
                                          meetings.meeting_defaults(series, day))
        agenda.add_item(session, None, meeting, agenda.ItemData(
            kind="echange", title="Bilan de la première session et diagnostics partagés",
            presenter="Aract Nouvelle-Aquitaine", duration_minutes=90))
        for name, email, organisation in (
                ("Anne-Sophie Larrieu", "as.larrieu@aract-demo.fr", "Aract Nouvelle-Aquitaine"),
                ("Jérôme Dulac", "j.dulac@unml-demo.fr", "UNML")):
            invitations.add_invitee(session, None, meeting, invitations.InviteeData(
                full_name=name, email=email, organisation=organisation))
        invitations.send_invitations(session, None, meeting, BASE_URL)
    with _at(_moment(day, 17)):
        attendance.hold_meeting(session, None, meeting, {
            i.id: (Presence.PRESENT, None) for i in meeting.invitees})
        for n, (text, days) in enumerate((
                ("Caler la deuxième session régionale avec l'Aract", 30),
                ("Partager les diagnostics RPS anonymisés entre binômes", 75))):
            ml = mls[2 + n]
            data = (DecisionData(owner_member_id=members[0].id) if n == 0 else
                    DecisionData(owner_ml_id=ml.id, owner_person=ml.director_name or "Direction"))
            data.text, data.due_date = text, day + timedelta(days=days)
            decision = record_decision(session, None, data, meeting=meeting)
            if n == 0:
                change_status(session, None, decision, DecisionStatus.FAITE,
                              note="Session fixée et annoncée aux binômes.")
    return series


def _project(session: Session, mls: list[MissionLocale],
             series: CouncilSeries | None = None) -> CollectiveProject:
    action = session.scalars(select(Action).where(
        Action.title == "Cluster QVT / RPS : 2e vague, 7 missions locales, 3 sessions")).first()
    training = session.scalars(select(Training).where(
        Training.action_id == action.id)).first() if action is not None else None
    project = projects.save_project(session, None, None, projects.ProjectData(
        title=PROJECT, kind="cluster",
        description="Sept missions locales volontaires travaillent la qualité de vie et la "
                    "prévention des risques psychosociaux : trois sessions régionales, un "
                    "travail inter-sessions porté dans chaque structure par un binôme "
                    "direction–salarié, des expérimentations sur l'organisation du travail.",
        partners="Aract Nouvelle-Aquitaine ; UNML",
        action_id=action.id if action is not None else None,
        series_id=series.id if series is not None else None,
        training_id=training.id if training is not None else None))
    chosen = mls[2:10]
    for n, ml in enumerate(chosen):
        participant = projects.add_participant(session, None, project, ml.id)
        if n == 7:  # the eighth candidate withdrew
            projects.set_participant_status(session, None, participant, "retire",
                                            "Réorganisation de la direction : report à la "
                                            "prochaine vague.")
            continue
        projects.set_participant_status(session, None, participant,
                                        ParticipantStatus.RETENU.value)
        slug = ml.code.lower()
        projects.set_binome(session, None, participant, [
            (ml.director_name or "Direction", ml.director_email or f"direction@{slug}.fr",
             BinomeRole.DIRECTION.value),
            (f"Représentant·e du personnel {n + 1}", f"cse.{slug}@ml-demo.fr",
             BinomeRole.REPRESENTANT.value if n % 3 else BinomeRole.RH.value)])
        if n < 5:
            projects.save_experiment(session, None, participant, None, projects.ExperimentData(
                objective=["Espaces de discussion sur le travail une fois par mois",
                           "Réorganiser l'accueil pour réduire les interruptions",
                           "Télétravail : une charte co-écrite avec l'équipe",
                           "Prévenir l'épuisement des conseillers CEJ",
                           "Mieux accueillir les nouveaux salariés"][n],
                indicators="Participation, absentéisme, baromètre interne",
                status=(ExperimentStatus.EN_COURS if n % 2 else ExperimentStatus.PREVUE).value))
    projects.set_phase(session, None, project, ProjectPhase.INTERSESSION.value)
    return project


def build_councils(session: Session) -> str:
    """Build the demo councils (once); flushes, the caller commits."""
    existing = session.scalars(select(CouncilSeries).where(CouncilSeries.name == SERIES)
                               ).first()
    if existing is not None:
        return "conseils déjà présents"
    mls = list(session.scalars(select(MissionLocale).where(MissionLocale.active.is_(True))
                               .order_by(MissionLocale.code)))
    members = list(session.scalars(select(TeamMember).where(TeamMember.end_date.is_(None))
                                   .order_by(TeamMember.start_date, TeamMember.id)))
    days = meeting_days(clock.today())
    with _at(_moment(days[0] - timedelta(days=60))):
        series = meetings.save_series(session, None, None, meetings.SeriesData(
            name=SERIES, kind="conseil", rhythm_weeks=6, default_place=PLACE,
            video_link=VISIO, description="Une journée toutes les six semaines : veille, "
            "bonnes pratiques, dialogue avec l'État et la Région.", notice_days=10))
    held = [_held_meeting(session, series, i, day, mls) for i, day in enumerate(days[:6])]
    decisions = _decide(session, held, mls, members)
    _minutes(session, held)
    # the next meeting was convoked a little while ago (never in the future of the build)
    recently = min(days[6] - timedelta(days=16), clock.today() - timedelta(days=2))
    with _at(_moment(recently)):
        upcoming = meetings.create_meeting(session, None, series,
                                           meetings.meeting_defaults(series, days[6]))
        for kind, title, presenter, minutes_ in AGENDAS[6]:
            agenda.add_item(session, None, upcoming, agenda.ItemData(
                kind=kind, title=title, presenter=presenter, duration_minutes=minutes_))
        invitations.send_invitations(session, None, upcoming, BASE_URL)
        for n, invitee in enumerate(upcoming.invitees[:12]):
            invitations.answer(session, None, invitee,
                               Presence.EXCUSE if n % 4 == 3 else Presence.PRESENT)
    with _at(_moment(recently + timedelta(days=1))):
        meetings.create_meeting(session, None, series, meetings.meeting_defaults(series,
                                                                                 days[7]))
        for n, title in enumerate(("Mutualiser les achats de formation entre missions locales",
                                   "Accueil des jeunes en situation de handicap : retours")):
            ml = mls[n * 5]
            agenda.add_backlog_item(session, None, series, agenda.ItemData(
                kind=ItemKind.ECHANGE.value, title=title, presenter=ml.name))
    project = _project(session, mls, _project_series(session, members, mls))
    _programme_indicators(session, series, project)
    session.flush()
    return (f"{len(days)} réunions du conseil technique des directeurs (6 tenues), "
            f"{decisions} décisions au registre, 1 projet collectif")


__all__ = ["build_councils", "meeting_days"]
