"""Kinds and statuses of the training domain, with their French labels."""

from __future__ import annotations

from enum import StrEnum


class Modality(StrEnum):
    PRESENTIEL = "presentiel"
    DISTANCIEL = "distanciel"
    MIXTE = "mixte"

    @property
    def label(self) -> str:
        return {"presentiel": "Présentiel", "distanciel": "Distanciel", "mixte": "Mixte"}[
            self.value]


class Job(StrEnum):
    CONSEILLER = "conseiller"
    ACCUEIL = "accueil"
    DIRECTION = "direction"
    ASSISTANT = "assistant"
    PROJET = "projet"
    ENCADREMENT = "encadrement"
    BENEVOLE = "benevole"  # a volunteer parrain or marraine (the mentor trainings)
    AUTRE = "autre"

    @property
    def label(self) -> str:
        return {"conseiller": "Conseiller·ère", "accueil": "Chargé·e d'accueil",
                "direction": "Directeur·rice", "assistant": "Assistant·e",
                "projet": "Chargé·e de projet", "encadrement": "Encadrant·e intermédiaire",
                "benevole": "Parrain ou marraine bénévole", "autre": "Autre"}[self.value]


class SessionStatus(StrEnum):
    OUVERTE = "ouverte"
    COMPLETE = "complete"
    CLOSE = "close"
    ANNULEE = "annulee"
    REALISEE = "realisee"

    @property
    def label(self) -> str:
        return {"ouverte": "Ouverte", "complete": "Complète", "close": "Inscriptions closes",
                "annulee": "Annulée", "realisee": "Réalisée"}[self.value]

    @property
    def badge(self) -> str:
        return {"ouverte": "success", "complete": "warning", "close": "secondary",
                "annulee": "danger", "realisee": "dark"}[self.value]


class RegistrationStatus(StrEnum):
    CONFIRMEE = "confirmee"
    ATTENTE = "attente"
    OFFRE = "offre"  # a freed seat is held for this person until the offer expires
    ANNULEE = "annulee"

    @property
    def label(self) -> str:
        return {"confirmee": "Confirmée", "attente": "Liste d'attente",
                "offre": "Place proposée", "annulee": "Annulée"}[self.value]

    @property
    def badge(self) -> str:
        return {"confirmee": "success", "attente": "warning", "offre": "info",
                "annulee": "secondary"}[self.value]

    @property
    def holds_seat(self) -> bool:
        return self in (RegistrationStatus.CONFIRMEE, RegistrationStatus.OFFRE)


class HalfDay(StrEnum):
    MATIN = "matin"
    APRES_MIDI = "apres_midi"

    @property
    def label(self) -> str:
        return {"matin": "Matin", "apres_midi": "Après-midi"}[self.value]


class Presence(StrEnum):
    PRESENT = "present"
    ABSENT = "absent"
    EXCUSE = "excuse"

    @property
    def label(self) -> str:
        return {"present": "Présent·e", "absent": "Absent·e", "excuse": "Excusé·e"}[self.value]
