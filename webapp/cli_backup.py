"""``flask --app webapp backup create|verify|restore``."""

from __future__ import annotations

from flask import Flask


def register_backup_cli(app: Flask) -> None:
    return None
