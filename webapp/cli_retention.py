"""``flask --app webapp retention …``: the retention of logs, e-mails, accounts and
registrations (the youth data purge is ``parcours purger``)."""

from __future__ import annotations

import sys

import click
from flask import Flask

from models import clock
from models.audit import set_actor
from models.formatting import format_date, format_number
from webapp.cli_parcours import _french_date
from webapp.extensions import db


def register_retention_cli(app: Flask) -> None:
    @app.cli.group("retention", help="Durées de conservation : journal, courriels envoyés, "
                   "comptes inactifs, inscriptions aux formations, journal des accès.")
    def retention() -> None:
        pass

    @retention.command("appliquer", help="Supprime ou anonymise ce qui a dépassé sa durée de "
                       "conservation (la tâche planifiée « conservation » le fait chaque jour).")
    @click.option("--simulation", is_flag=True,
                  help="Compte seulement : rien n'est modifié.")
    @click.option("--aujourdhui", "today", metavar="JJ/MM/AAAA",
                  help="Jour de référence (par défaut : aujourd'hui).")
    def appliquer(simulation: bool, today: str | None) -> None:
        from models.operations.retention import (
            CATEGORIES,
            Cutoffs,
            RetentionSettings,
            apply_retention,
        )

        day = _french_date(today, "--aujourdhui") if today else clock.today()
        try:
            settings = RetentionSettings.from_env()
        except RuntimeError as exc:
            click.echo(f"Configuration invalide : {exc}", err=True)
            sys.exit(1)
        set_actor(db.session, None, via="cli")
        counts = apply_retention(db.session, today=day, simulation=simulation,
                                 settings=settings)
        if simulation:
            db.session.rollback()
        else:
            db.session.commit()
        cutoffs = Cutoffs.on(day, settings)
        before = {"journal": cutoffs.journal, "courriels": cutoffs.outbox,
                  "comptes": cutoffs.accounts, "inscriptions": cutoffs.registrations,
                  "accès": cutoffs.accesses}
        head = ("Simulation (rien n'est modifié)" if simulation
                else "Durées de conservation appliquées")
        click.echo(f"{head}, jour de référence : {format_date(day)}")
        labels = TODO if simulation else DONE
        for key in CATEGORIES:
            click.echo(f"- {labels[key]} : {format_number(counts[key])} "
                       f"({WHEN[key].format(format_date(before[key]))})")


DONE = {"journal": "entrées du journal supprimées",
        "courriels": "courriels supprimés de la boîte d'envoi",
        "comptes": "comptes inactifs anonymisés",
        "inscriptions": "inscriptions de stagiaires anonymisées",
        "accès": "accès aux données des jeunes supprimés du journal des accès"}
TODO = {"journal": "entrées du journal à supprimer",
        "courriels": "courriels à supprimer de la boîte d'envoi",
        "comptes": "comptes inactifs à anonymiser",
        "inscriptions": "inscriptions de stagiaires à anonymiser",
        "accès": "accès aux données des jeunes à supprimer du journal des accès"}
WHEN = {"journal": "datées d'avant le {}",
        "courriels": "envoyés, ou jamais envoyés et créés, avant le {}",
        "comptes": "dernière connexion avant le {}",
        "inscriptions": "sessions terminées avant le {}",
        "accès": "datés d'avant le {}"}
