"""Demo funder reports: the team's reviews of the main actions, then the 2025 and 2026
reports of every funder with a convention in those years, generated and published.

The reviews never name a co-funder or an amount (the publication scan would stop
them); the reports are built by the same ``generate`` as the web page and the CLI.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.accounts.orm import User
from models.accounts.roles import Role
from models.errors import DomainError
from models.funding.orm import Funder
from models.programme.orm import Action, Programme
from models.reports import services
from models.reports.orm import ActionReview, FunderReport

# (year, action title) -> (faits marquants, écarts expliqués, perspectives)
REVIEWS: dict[tuple[int, str], tuple[str, str, str]] = {
    (2025, "Programme régional de formation 2025"): (
        "Quatorze sessions réalisées sur les cinq départements, dont trois en distanciel pour "
        "les missions locales rurales.\n\nLes modules « accueil des publics en situation de "
        "handicap » et « entretien motivationnel » ont affiché complet dès l'ouverture des "
        "inscriptions.",
        "Deux sessions reportées faute de formateur disponible ; elles ont été reprogrammées "
        "au premier trimestre suivant.",
        "Ouvrir une liste d'attente par session et mesurer la satisfaction à froid, trois mois "
        "après la formation."),
    (2025, "Observatoire régional des parcours des jeunes"): (
        "Première publication régionale des jeunes accompagnés par mission locale, présentée à "
        "la presse en octobre.",
        "Le calendrier a glissé de deux mois : trois extractions ont dû être reprises après "
        "contrôle à la charte.",
        "Publier les chiffres par département et par trimestre, avec le secret statistique."),
    (2025, "Cluster QVT / RPS : 7 missions locales, 3 sessions"): (
        "Sept binômes direction – représentant du personnel ont suivi les trois sessions ; "
        "chaque mission locale est repartie avec un plan d'action.",
        "", "Évaluation à six mois et seconde vague ouverte à sept nouvelles missions locales."),
    (2026, "Programme régional de formation 2026"): (
        "Le catalogue 2026 a été construit à partir des besoins exprimés par les directeurs "
        "en conseil technique.\n\nLes inscriptions passent désormais par Animaréseau : "
        "listes d'attente, convocations et attestations sont automatiques.",
        "Le nombre de jours de formation réalisés est inférieur à la cible : deux sessions "
        "d'automne ont été regroupées faute d'inscrits suffisants.",
        "Proposer des modules courts en distanciel pour les antennes éloignées."),
    (2026, "Démarche de progrès : plans de progrès des 11 missions locales"): (
        "Onze plans de progrès validés par les conseils d'administration ; une journée "
        "d'échange entre pairs a réuni les directions en juin.",
        "La synthèse régionale est décalée à la fin de l'année pour intégrer les plans "
        "validés tardivement.",
        "Suivre les plans à un an et partager les pratiques qui ont fonctionné."),
    (2026, "Cluster QVT / RPS : 2e vague, 7 missions locales, 3 sessions"): (
        "Deuxième vague lancée en mai avec sept missions locales volontaires ; les deux "
        "premières sessions ont réuni tous les binômes.",
        "", "Troisième session en décembre, puis évaluation à six mois."),
    (2026, "Observatoire régional des parcours des jeunes"): (
        "Les extractions Parcours de toutes les missions locales sont contrôlées à la charte "
        "avant d'alimenter l'observatoire.\n\nL'observatoire publie désormais des tableaux par "
        "mission locale, département et région, protégés par le secret statistique.",
        "La publication 2025 a été livrée en novembre au lieu d'octobre.",
        "Ajouter une carte par département et des séries mensuelles."),
    (2026, "Conseil technique des directeurs"): (
        "Six conseils tenus, avec une présence moyenne des directeurs supérieure à la cible.",
        "", "Tenir un registre des décisions suivi d'un conseil à l'autre."),
    (2026, "Tableaux de bord et dialogue de gestion"): (
        "Les tableaux de bord du réseau sont partagés avec le comité de pilotage à chaque "
        "réunion.", "", "Automatiser le bilan d'activité consolidé du réseau."),
    (2026, "Appui au système d'information Parcours / i-milo"): (
        "Accompagnement des missions locales dans la correction des anomalies de saisie "
        "repérées par les contrôles à la charte.", "",
        "Former les nouveaux chargés d'accueil à la saisie des situations."),
}


def build_reviews(session: Session) -> int:
    written = 0
    for (year, title), (highlights, gaps, outlook) in REVIEWS.items():
        action = session.scalar(select(Action).join(Programme)
                                .where(Programme.year == year, Action.title == title))
        if action is None or session.scalar(select(ActionReview.id)
                                            .where(ActionReview.action_id == action.id)):
            continue  # a second build adds nothing
        services.save_review(session, None, action,
                             services.ReviewData(highlights, gaps, outlook))
        written += 1
    return written


def build_reports(session: Session, years: tuple[int, ...] = (2025, 2026)) -> str:
    """Reviews, then one published report per funder and year with a convention."""
    from webapp.pdf.funder_report import render  # the renderer lives with the PDF module

    # the demo's director signs the reports (the cover names who generated them)
    team = session.scalar(select(User).where(User.role == Role.ADMIN, User.active.is_(True))
                          .order_by(User.id).limit(1))
    reviews = build_reviews(session)
    published = 0
    for funder in session.scalars(select(Funder).order_by(Funder.name)):
        for year in years:
            if session.scalar(select(FunderReport.id).where(FunderReport.funder_id == funder.id,
                                                            FunderReport.year == year)):
                continue  # already reported: a second build adds nothing
            try:
                report = services.generate(
                    session, team, funder.id, year, render=render,
                    synthesis=f"Ce rapport rend compte de l'utilisation en {year} des "
                              f"financements de {funder.name} au service de l'animation "
                              "régionale du réseau des missions locales.")
            except DomainError:  # no convention that year: nothing to report
                continue
            services.publish(session, team, report.id)
            published += 1
    return f"{reviews} bilans d'actions et {published} rapports aux financeurs publiés"
