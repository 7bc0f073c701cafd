"""Domain exceptions shared by every entry point (web, dashboard, CLI)."""

from __future__ import annotations


class DomainError(Exception):
    """Base class for errors a user can cause and must be told about (in French)."""


class ValidationFailed(DomainError):
    """All the problems found while validating a command, collected before any write.

    ``errors`` maps a field name (or ``"__all__"``) to its French messages, so a
    form can re-render each message next to its field.
    """

    def __init__(self, errors: dict[str, list[str]]):
        self.errors = errors
        super().__init__("; ".join(m for msgs in errors.values() for m in msgs))


class ConcurrentEdit(DomainError):
    """Someone else saved the object since it was loaded: nothing was overwritten."""

    def __init__(self, message: str = "Cette fiche a été modifiée par quelqu'un d'autre "
                 "depuis son ouverture. Rechargez la page pour voir la version actuelle."):
        super().__init__(message)


class PermissionDenied(DomainError):
    def __init__(self, message: str = "Vous n'avez pas le droit d'effectuer cette action."):
        super().__init__(message)


class NotFound(DomainError):
    """The record does not exist *for this actor* (another mission locale's id reads the
    same as a missing one); the web answers 404, on reads and on writes alike."""


class Errors:
    """Collects field errors, then raises them all at once (validate first, then write)."""

    def __init__(self) -> None:
        self._errors: dict[str, list[str]] = {}

    def add(self, field: str, message: str) -> None:
        self._errors.setdefault(field, []).append(message)

    def __bool__(self) -> bool:
        return bool(self._errors)

    def __contains__(self, field: str) -> bool:
        return field in self._errors

    def raise_if_any(self) -> None:
        if self._errors:
            raise ValidationFailed(self._errors)
