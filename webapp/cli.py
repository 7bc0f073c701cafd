"""``flask --app webapp …`` commands: demo data and account administration."""

from __future__ import annotations

import click
from flask import Flask
from sqlalchemy import func, select

from models.accounts.orm import User
from models.accounts.services import UserData, create_user
from models.audit import set_actor
from models.errors import ValidationFailed
from webapp.extensions import db


def register_cli(app: Flask) -> None:
    @app.cli.group("seed", help="Données de démonstration.")
    def seed() -> None:
        pass

    @seed.command("demo", help="Construit la région de démonstration (idempotent).")
    @click.option("--reset", is_flag=True, help="Efface toutes les données puis reconstruit.")
    @click.option("--if-empty", is_flag=True, help="Ne fait rien si un compte existe déjà.")
    def seed_demo(reset: bool, if_empty: bool) -> None:
        from seeds.demo import build_demo, wipe

        session = db.session
        set_actor(session, None, via="cli")
        if if_empty and not reset and session.scalar(select(func.count()).select_from(User)):
            click.echo("Base déjà remplie : données de démonstration non ajoutées.")
            return
        if reset:
            wipe(session)
        summary = build_demo(session)
        session.commit()
        click.echo(f"Démo prête : {summary}")

    @app.cli.command("create-admin", help="Crée un compte administrateur (première installation).")
    @click.option("--email", prompt="E-mail")
    @click.option("--name", prompt="Nom complet")
    @click.password_option("--password", prompt="Mot de passe (12 caractères minimum)")
    def create_admin(email: str, name: str, password: str) -> None:
        set_actor(db.session, None, via="cli")
        try:
            create_user(db.session, None, UserData(email=email, full_name=name, role="admin"),
                        password)
        except ValidationFailed as exc:
            db.session.rollback()
            raise click.ClickException(str(exc)) from exc
        db.session.commit()
        click.echo(f"Compte administrateur créé : {email}")

    @app.cli.group("mail", help="Courriels : envoi de la boîte d'envoi.")
    def mail() -> None:
        pass

    @mail.command("send", help="Envoie les courriels en attente (SMTP_HOST, SMTP_PORT, …).")
    @click.option("--max-attempts", default=5, show_default=True,
                  help="Ne réessaie pas un message qui a déjà échoué autant de fois.")
    def mail_send(max_attempts: int) -> None:
        from models.mail.delivery import deliver_pending
        from models.mail.orm import OutboxMessage
        from models.mail.settings import MailSettings

        try:
            settings = app.config.get("MAIL_SETTINGS") or MailSettings.from_env()
        except RuntimeError as exc:
            raise click.ClickException(str(exc)) from exc
        if not settings.configured:
            waiting = db.session.scalar(select(func.count()).select_from(OutboxMessage)
                                        .where(OutboxMessage.sent_at.is_(None))) or 0
            click.echo(f"SMTP_HOST n'est pas défini : {waiting} courriel(s) restent dans la "
                       f"boîte d'envoi (/admin/courriels).")
            return
        report = deliver_pending(db.session, settings, max_attempts=max_attempts, limit=10_000)
        db.session.commit()
        click.echo(f"{report.sent} courriel(s) envoyé(s), {report.failed} en échec.")
        for error in report.errors[:20]:
            click.echo(f"  {error}", err=True)
        if report.failed:
            raise SystemExit(1)

    @app.cli.group("formations", help="Programme régional de formation.")
    def formations() -> None:
        pass

    @formations.command("expirer-offres",
                        help="Fait passer à la personne suivante les places proposées restées "
                             "sans réponse (à lancer chaque jour).")
    def formations_expire_offers() -> None:
        from models.training.registrations import expire_offers

        set_actor(db.session, None, via="cli")
        lapsed = expire_offers(db.session)
        db.session.commit()
        click.echo(f"{lapsed} offre(s) expirée(s) ; les places libérées ont été réattribuées.")

    from webapp.cli_observatory import register_observatory_cli
    from webapp.cli_parcours import register_parcours_cli
    from webapp.cli_reports import register_reports_cli

    register_parcours_cli(app)
    register_observatory_cli(app)
    register_reports_cli(app)

    from webapp.cli_mentoring import register_mentoring_cli

    register_mentoring_cli(app)

    from webapp.cli_backup import register_backup_cli
    from webapp.cli_retention import register_retention_cli

    register_backup_cli(app)
    register_retention_cli(app)
