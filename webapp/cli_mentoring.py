"""``flask --app webapp parrainage relances``: remind the référents of the six-month
follow-ups due and not recorded (to run every day; the job worker does it too)."""

from __future__ import annotations

import click
from flask import Flask

from models.audit import set_actor
from webapp.cli_parcours import _french_date
from webapp.extensions import db


def register_mentoring_cli(app: Flask) -> None:
    @app.cli.group("parrainage", help="Parrainage : binômes, filleul·es, suivis à 6 mois.")
    def parrainage() -> None:
        pass

    @parrainage.command("relances", help="Envoie aux référents parrainage un rappel par suivi "
                        "à 6 mois échu et non saisi (pas deux fois le même jour ; à nouveau "
                        "après 14 jours).")
    @click.option("--aujourdhui", "today", metavar="JJ/MM/AAAA",
                  help="Jour de référence (par défaut : aujourd'hui).")
    def relances(today: str | None) -> None:
        from models.mentoring.reminders import send_follow_up_reminders

        day = _french_date(today, "--aujourdhui") if today else None
        set_actor(db.session, None, via="cli")
        count = send_follow_up_reminders(db.session, today=day,
                                         base_url=app.config.get("PUBLIC_BASE_URL", ""))
        db.session.commit()
        if count:
            click.echo(f"{count} rappel(s) de suivi à 6 mois mis dans la boîte d'envoi.")
        else:
            click.echo("Aucun rappel à envoyer : les suivis à 6 mois échus sont saisis ou "
                       "déjà rappelés.")
