"""The five roles and their French labels."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    ANIMATEUR = "animateur"
    COPIL = "copil"
    ML = "ml"
    FINANCEUR = "financeur"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]


ROLE_LABELS: dict[Role, str] = {
    Role.ADMIN: "Administrateur·rice ARML",
    Role.ANIMATEUR: "Animateur·rice ARML",
    Role.COPIL: "Membre du comité de pilotage",
    Role.ML: "Mission locale",
    Role.FINANCEUR: "Financeur",
}

#: The ARML animation team: edits everything regional.
ARML_TEAM = frozenset({Role.ADMIN, Role.ANIMATEUR})
#: Who sees network-wide data (lists, dashboards).
NETWORK_READERS = frozenset({Role.ADMIN, Role.ANIMATEUR, Role.COPIL})
