"""Kinds and statuses of councils, decisions and collective projects, with French labels."""

from __future__ import annotations

from enum import StrEnum


class _Labelled(StrEnum):
    @property
    def label(self) -> str:
        return self._labels()[self.value]  # type: ignore[attr-defined]


class SeriesKind(_Labelled):
    CONSEIL = "conseil"
    GROUPE = "groupe"
    CLUSTER = "cluster"

    @staticmethod
    def _labels() -> dict[str, str]:
        return {"conseil": "Conseil technique des directeurs", "groupe": "Groupe de travail",
                "cluster": "Cluster / projet collectif"}


class MeetingStatus(_Labelled):
    PLANIFIE = "planifie"
    CONVOQUE = "convoque"
    TENU = "tenu"
    ANNULE = "annule"

    @staticmethod
    def _labels() -> dict[str, str]:
        return {"planifie": "Planifiée", "convoque": "Convoquée", "tenu": "Tenue",
                "annule": "Annulée"}

    @property
    def badge(self) -> str:
        return {"planifie": "secondary", "convoque": "info", "tenu": "success",
                "annule": "danger"}[self.value]


class ItemKind(_Labelled):
    APPROBATION = "approbation"
    INFORMATION = "information"
    DECISION = "decision"
    ECHANGE = "echange"
    SUIVI = "suivi"

    @staticmethod
    def _labels() -> dict[str, str]:
        return {"approbation": "Approbation du compte rendu", "information": "Information",
                "decision": "Décision", "echange": "Échange",
                "suivi": "Suivi des décisions"}


class InviteeKind(_Labelled):
    MEMBRE = "membre"
    INVITE = "invite"

    @staticmethod
    def _labels() -> dict[str, str]:
        return {"membre": "Membre", "invite": "Invité·e"}


class Presence(_Labelled):
    """An invitee's answer before the meeting and their presence once it is held."""

    PRESENT = "present"
    EXCUSE = "excuse"
    ABSENT = "absent"
    REPRESENTE = "represente"

    @staticmethod
    def _labels() -> dict[str, str]:
        return {"present": "Présent·e", "excuse": "Excusé·e", "absent": "Absent·e",
                "represente": "Représenté·e"}


class MinutesStatus(_Labelled):
    BROUILLON = "brouillon"
    DIFFUSE = "diffuse"
    APPROUVE = "approuve"

    @staticmethod
    def _labels() -> dict[str, str]:
        return {"brouillon": "Brouillon", "diffuse": "Diffusé", "approuve": "Approuvé"}

    @property
    def badge(self) -> str:
        return {"brouillon": "secondary", "diffuse": "info", "approuve": "success"}[self.value]


class DecisionStatus(_Labelled):
    OUVERTE = "ouverte"
    EN_COURS = "en_cours"
    FAITE = "faite"
    ABANDONNEE = "abandonnee"
    REPORTEE = "reportee"

    @staticmethod
    def _labels() -> dict[str, str]:
        return {"ouverte": "Ouverte", "en_cours": "En cours", "faite": "Faite",
                "abandonnee": "Abandonnée", "reportee": "Reportée"}

    @property
    def closed(self) -> bool:
        return self in (DecisionStatus.FAITE, DecisionStatus.ABANDONNEE)

    @property
    def badge(self) -> str:
        return {"ouverte": "primary", "en_cours": "info", "faite": "success",
                "abandonnee": "secondary", "reportee": "warning"}[self.value]


OPEN_STATUSES = (DecisionStatus.OUVERTE, DecisionStatus.EN_COURS, DecisionStatus.REPORTEE)


class ProjectKind(_Labelled):
    CLUSTER = "cluster"
    GROUPE = "groupe"
    ACTION = "action"

    @staticmethod
    def _labels() -> dict[str, str]:
        return {"cluster": "Cluster", "groupe": "Groupe de travail",
                "action": "Action collective"}


class ProjectPhase(_Labelled):
    APPEL = "appel"
    LANCEMENT = "lancement"
    SESSIONS = "sessions"
    INTERSESSION = "intersession"
    BILAN = "bilan"
    EVALUATION = "evaluation"

    @staticmethod
    def _labels() -> dict[str, str]:
        return {"appel": "Appel à candidatures", "lancement": "Lancement",
                "sessions": "Sessions", "intersession": "Intersession", "bilan": "Bilan",
                "evaluation": "Évaluation"}


class ParticipantStatus(_Labelled):
    CANDIDAT = "candidat"
    RETENU = "retenu"
    RETIRE = "retire"

    @staticmethod
    def _labels() -> dict[str, str]:
        return {"candidat": "Candidate", "retenu": "Retenue", "retire": "Retirée"}


class BinomeRole(_Labelled):
    DIRECTION = "direction"
    REPRESENTANT = "representant"
    RH = "rh"

    @staticmethod
    def _labels() -> dict[str, str]:
        return {"direction": "Direction", "representant": "Représentant·e du personnel",
                "rh": "Ressources humaines"}


class ExperimentStatus(_Labelled):
    PREVUE = "prevue"
    EN_COURS = "en_cours"
    REALISEE = "realisee"
    ABANDONNEE = "abandonnee"

    @staticmethod
    def _labels() -> dict[str, str]:
        return {"prevue": "Prévue", "en_cours": "En cours", "realisee": "Réalisée",
                "abandonnee": "Abandonnée"}
