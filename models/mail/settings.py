"""SMTP settings, read from the environment (twelve-factor).

Without ``SMTP_HOST`` (development, tests) nothing is sent: messages stay in the
outbox, where admins read them, so no e-mail is ever lost for want of a server.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

DEFAULT_SENDER = "Animaréseau <ne-pas-repondre@animareseau.invalid>"
TRUE = {"1", "true", "yes", "oui", "on"}


@dataclass(frozen=True)
class MailSettings:
    host: str = ""
    port: int = 25
    user: str = ""
    password: str = ""
    starttls: bool = False
    sender: str = DEFAULT_SENDER
    timeout: float = 15.0

    @property
    def configured(self) -> bool:
        return bool(self.host)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> MailSettings:
        """``SMTP_HOST``, ``SMTP_PORT``, ``SMTP_USER``, ``SMTP_PASSWORD``, ``SMTP_STARTTLS``
        and ``MAIL_FROM``; a bad port is a configuration error, said in French."""
        env = os.environ if environ is None else environ
        starttls = env.get("SMTP_STARTTLS", "").strip().lower() in TRUE
        raw_port = env.get("SMTP_PORT", "").strip()
        try:
            port = int(raw_port) if raw_port else (587 if starttls else 25)
        except ValueError:
            raise RuntimeError(f"SMTP_PORT={raw_port!r} n'est pas un numéro de port.") from None
        if not 0 < port < 65536:
            raise RuntimeError(f"SMTP_PORT={raw_port!r} n'est pas un numéro de port.")
        return cls(host=env.get("SMTP_HOST", "").strip(), port=port,
                   user=env.get("SMTP_USER", "").strip(),
                   password=env.get("SMTP_PASSWORD", ""),
                   starttls=starttls,
                   sender=env.get("MAIL_FROM", "").strip() or DEFAULT_SENDER)

    def __repr__(self) -> str:  # never print the password (logs, tracebacks)
        return (f"MailSettings(host={self.host!r}, port={self.port}, user={self.user!r}, "
                f"starttls={self.starttls}, sender={self.sender!r})")
