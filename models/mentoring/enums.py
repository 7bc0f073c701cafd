"""Kinds and statuses of the mentoring domain, with their French labels."""

from __future__ import annotations

from enum import StrEnum


class Sex(StrEnum):
    FEMME = "f"
    HOMME = "m"

    @property
    def label(self) -> str:
        return {"f": "Femme", "m": "Homme"}[self.value]


class MentorStatus(StrEnum):
    EN_ACTIVITE = "en_activite"
    RETRAITE = "retraite"
    AUTRE = "autre"

    @property
    def label(self) -> str:
        return {"en_activite": "En activité", "retraite": "Retraité·e",
                "autre": "Autre"}[self.value]


class Situation(StrEnum):
    """The mentee's situation when entering the programme."""

    DEMANDEUR_EMPLOI = "demandeur_emploi"
    SANS_ACTIVITE = "sans_activite"
    EMPLOI_PRECAIRE = "emploi_precaire"
    FORMATION = "formation"
    SCOLAIRE = "scolaire"
    AUTRE = "autre"

    @property
    def label(self) -> str:
        return {"demandeur_emploi": "Demandeur·se d'emploi",
                "sans_activite": "Sans activité", "emploi_precaire": "Emploi précaire",
                "formation": "En formation", "scolaire": "Scolarisé·e",
                "autre": "Autre"}[self.value]


class Prescriber(StrEnum):
    MISSION_LOCALE = "mission_locale"
    FRANCE_TRAVAIL = "france_travail"
    EDUCATION = "education"
    ASSOCIATION = "association"
    AUTRE = "autre"

    @property
    def label(self) -> str:
        return {"mission_locale": "Mission locale", "france_travail": "France Travail",
                "education": "Éducation nationale", "association": "Association",
                "autre": "Autre"}[self.value]


class PairingStatus(StrEnum):
    PROPOSE = "propose"
    ACTIF = "actif"
    TERMINE = "termine"
    ROMPU = "rompu"

    @property
    def label(self) -> str:
        return {"propose": "Proposé", "actif": "Actif", "termine": "Terminé",
                "rompu": "Rompu"}[self.value]


class CloseReason(StrEnum):
    OBJECTIF_ATTEINT = "objectif_atteint"
    DUREE_ECHUE = "duree_echue"
    PAR_LE_JEUNE = "par_le_jeune"
    PAR_LE_PARRAIN = "par_le_parrain"
    PAR_LA_STRUCTURE = "par_la_structure"

    @property
    def label(self) -> str:
        return {"objectif_atteint": "Objectif atteint", "duree_echue": "Durée échue",
                "par_le_jeune": "Rompu par le jeune", "par_le_parrain": "Rompu par le parrain",
                "par_la_structure": "Rompu par la structure"}[self.value]

    @property
    def ends_normally(self) -> bool:
        return self in (CloseReason.OBJECTIF_ATTEINT, CloseReason.DUREE_ECHUE)


class Outcome(StrEnum):
    EMPLOI_DURABLE = "emploi_durable"  # CDI or CDD of 6 months or more
    ALTERNANCE = "alternance"
    EMPLOI_COURT = "emploi_court"  # less than 6 months
    INTERIM = "interim"
    FORMATION_QUALIFIANTE = "formation"
    CREATION_ACTIVITE = "creation_activite"
    RECHERCHE = "recherche"
    ABANDON = "abandon"
    INCONNU = "inconnu"

    @property
    def label(self) -> str:
        return {"emploi_durable": "Emploi durable (CDI ou CDD de 6 mois et plus)",
                "alternance": "Alternance", "emploi_court": "Emploi de moins de 6 mois",
                "interim": "Intérim", "formation": "Formation qualifiante",
                "creation_activite": "Création d'activité", "recherche": "En recherche",
                "abandon": "Abandon", "inconnu": "Inconnu"}[self.value]


class MeetingMode(StrEnum):
    PRESENTIEL = "presentiel"
    TELEPHONE = "telephone"
    VISIO = "visio"

    @property
    def label(self) -> str:
        return {"presentiel": "Présentiel", "telephone": "Téléphone",
                "visio": "Visioconférence"}[self.value]


class TrainingRule(StrEnum):
    """What an untrained mentor means for an activation."""

    BLOCKING = "blocking"
    WARNING = "warning"
