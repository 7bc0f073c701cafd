"""``flask --app webapp backup create|verify|restore`` (models/operations/backup.py).

Every refusal is a French message and exit code 1; nothing half-written is left behind.
"""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask, current_app

from models.errors import DomainError
from models.operations.backup import (
    BackupError,
    BackupSettings,
    create_backup,
    restore_backup,
    verify_backup,
)
from webapp.extensions import db


def _url() -> str:
    return current_app.config["SQLALCHEMY_DATABASE_URI"]


def register_backup_cli(app: Flask) -> None:
    @app.cli.group("backup", help="Sauvegarde, vérification et restauration de la base.")
    def backup() -> None:
        pass

    @backup.command("create", help="Sauvegarde cohérente de la base et son manifeste.")
    @click.option("--to", "folder", type=click.Path(path_type=Path),
                  help="Dossier de destination (par défaut BACKUP_DIR, sinon "
                       "instance/backups).")
    def backup_create(folder: Path | None) -> None:
        target = folder or BackupSettings.from_env().folder
        db.session.remove()
        try:
            result = create_backup(_url(), target)
        except BackupError as exc:
            raise click.ClickException(str(exc)) from None
        click.echo(f"Sauvegarde écrite : {result.path}")
        click.echo(f"Manifeste : {result.path.name}.manifest.json "
                   f"({len(result.manifest.tables)} tables, {result.manifest.total_rows} "
                   f"lignes, schéma {result.manifest.revision})")
        for check in result.checks:
            click.echo(f"  {check}")
        click.echo(f"Durée : {result.seconds:.1f} s. Les clés (SECRET_KEY, "
                   "PARCOURS_PSEUDO_KEY) ne sont pas dans ce fichier : gardez-les à part.")

    @backup.command("verify", help="Vérifie une sauvegarde contre son manifeste.")
    @click.argument("fichier", type=click.Path(path_type=Path))
    def backup_verify(fichier: Path) -> None:
        try:
            report = verify_backup(fichier)
        except BackupError as exc:
            raise click.ClickException(str(exc)) from None
        click.echo(f"Sauvegarde conforme : {fichier.name} (schéma {report.manifest.revision}, "
                   f"faite le {report.manifest.created_at[:19].replace('T', ' à ')})")
        for check in report.checks:
            click.echo(f"  {check}")

    @backup.command("restore", help="Restaure une sauvegarde dans la base DATABASE_URL.")
    @click.argument("fichier", type=click.Path(path_type=Path))
    @click.option("--force", is_flag=True,
                  help="Remplace une base qui contient déjà des données.")
    def backup_restore(fichier: Path, force: bool) -> None:
        from models.parcours.pseudonym import pseudonym_key

        try:
            key = pseudonym_key()
        except DomainError as exc:
            raise click.ClickException(str(exc)) from None
        db.session.remove()
        db.engine.dispose()  # no pooled connection across the restore
        try:
            report = restore_backup(fichier, _url(), key=key, force=force)
        except BackupError as exc:
            raise click.ClickException(str(exc)) from None
        for check in report.checks:
            click.echo(f"  {check}")
        if report.needs_upgrade:
            from flask_migrate import upgrade

            upgrade()
            click.echo("Schéma mis à jour vers la version de ce logiciel.")
        click.echo(f"Restauration terminée en {report.seconds:.1f} s : {fichier.name}.")
