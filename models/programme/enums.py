"""Statuses and categories of the programme domain, with their French labels."""

from __future__ import annotations

from enum import StrEnum


class ProgrammeStatus(StrEnum):
    BROUILLON = "brouillon"
    SOUMIS = "soumis"
    VALIDE = "valide"
    EN_COURS = "en_cours"
    CLOTURE = "cloture"

    @property
    def label(self) -> str:
        return {
            "brouillon": "Brouillon",
            "soumis": "Soumis au copil",
            "valide": "Validé",
            "en_cours": "En cours",
            "cloture": "Clôturé",
        }[self.value]

    @property
    def badge(self) -> str:
        return {"brouillon": "secondary", "soumis": "info", "valide": "primary",
                "en_cours": "success", "cloture": "dark"}[self.value]


class ActionStatus(StrEnum):
    PREVUE = "prevue"
    EN_COURS = "en_cours"
    REALISEE = "realisee"
    REPORTEE = "reportee"
    ABANDONNEE = "abandonnee"

    @property
    def label(self) -> str:
        return {"prevue": "Prévue", "en_cours": "En cours", "realisee": "Réalisée",
                "reportee": "Reportée", "abandonnee": "Abandonnée"}[self.value]

    @property
    def badge(self) -> str:
        return {"prevue": "secondary", "en_cours": "primary", "realisee": "success",
                "reportee": "warning", "abandonnee": "dark"}[self.value]

    @property
    def needs_reason(self) -> bool:
        return self in (ActionStatus.REPORTEE, ActionStatus.ABANDONNEE)


class BudgetCategory(StrEnum):
    PERSONNEL = "personnel"
    PRESTATIONS = "prestations"
    DEPLACEMENTS = "deplacements"
    COMMUNICATION = "communication"
    AUTRES = "autres"

    @property
    def label(self) -> str:
        return {"personnel": "Personnel", "prestations": "Prestations",
                "deplacements": "Déplacements", "communication": "Communication",
                "autres": "Autres"}[self.value]


class MemberStatus(StrEnum):
    SALARIE = "salarie"
    MIS_A_DISPOSITION = "mis_a_disposition"

    @property
    def label(self) -> str:
        return {"salarie": "Salarié·e", "mis_a_disposition": "Mis·e à disposition"}[self.value]


def enum_column_type(enum_cls: type[StrEnum], name: str):
    """A portable VARCHAR + CHECK enum storing the values (not the names)."""
    from sqlalchemy import Enum

    return Enum(enum_cls, native_enum=False, length=20, create_constraint=True, name=name,
                values_callable=lambda members: [m.value for m in members],
                validate_strings=True)
