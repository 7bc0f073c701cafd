"""Kinds and statuses of the funding domain, with their French labels."""

from __future__ import annotations

from enum import StrEnum


class FunderType(StrEnum):
    ETAT = "etat"
    FSE = "fse"
    REGION = "region"
    DEPARTEMENT = "departement"
    COMMUNE = "commune"
    MISSIONS_LOCALES = "missions_locales"
    BRANCHE = "branche"
    FRANCE_TRAVAIL = "france_travail"
    AUTRE = "autre"

    @property
    def label(self) -> str:
        return {
            "etat": "État / DREETS",
            "fse": "FSE",
            "region": "Conseil régional",
            "departement": "Conseil départemental",
            "commune": "Commune / EPCI",
            "missions_locales": "Missions locales (cotisations)",
            "branche": "Branche professionnelle / OPCO",
            "france_travail": "France Travail",
            "autre": "Autre",
        }[self.value]


class ConventionType(StrEnum):
    FONCTIONNEMENT = "fonctionnement"
    PROJET = "projet"
    MISE_A_DISPOSITION = "mise_a_disposition"

    @property
    def label(self) -> str:
        return {"fonctionnement": "Fonctionnement", "projet": "Projet",
                "mise_a_disposition": "Mise à disposition valorisée"}[self.value]

    @property
    def in_kind(self) -> bool:
        """Valued in kind (seconded staff): counted in the plan, never paid in cash."""
        return self is ConventionType.MISE_A_DISPOSITION


class ConventionStatus(StrEnum):
    EN_PREPARATION = "en_preparation"
    SIGNEE = "signee"
    SOLDEE = "soldee"

    @property
    def label(self) -> str:
        return {"en_preparation": "En préparation", "signee": "Signée",
                "soldee": "Soldée"}[self.value]

    @property
    def badge(self) -> str:
        return {"en_preparation": "secondary", "signee": "primary",
                "soldee": "success"}[self.value]
