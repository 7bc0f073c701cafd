"""The one exception an import raises when the files cannot be read as an extract."""

from __future__ import annotations

from models.errors import DomainError


class ImportRefused(DomainError):
    """Structural problems (file, line, what to do): the whole import is refused."""

    def __init__(self, messages: list[str]):
        self.messages = messages
        super().__init__("\n".join(messages))
