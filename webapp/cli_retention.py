"""``flask --app webapp retention …``: the retention of logs, e-mails, accounts and
registrations (the youth data purge is ``parcours purger``)."""

from __future__ import annotations

from flask import Flask


def register_retention_cli(app: Flask) -> None:
    return None
