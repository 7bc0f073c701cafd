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
