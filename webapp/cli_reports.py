"""``flask --app webapp rapports generer``: a funder's activity report from the command line.

The same ``generate`` as the web page (a new archived version each time); ``--publier``
publishes it when the co-funder scan found nothing to confirm.
"""

from __future__ import annotations

import click
from flask import Flask

from models.audit import set_actor
from models.errors import DomainError, ValidationFailed
from webapp.cli_parcours import _fail, _french_date
from webapp.extensions import db


def register_reports_cli(app: Flask) -> None:
    @app.cli.group("rapports", help="Rapports d'activité aux financeurs (PDF archivés).")
    def rapports() -> None:
        pass

    @rapports.command("generer", help="Génère une nouvelle version du rapport d'un financeur "
                      "pour une année (et la publie avec --publier).")
    @click.option("--financeur", "funder_id", required=True, type=int, metavar="ID",
                  help="Identifiant du financeur (voir Financements > Financeurs).")
    @click.option("--annee", "year", required=True, type=int, metavar="AAAA")
    @click.option("--au", "as_of", metavar="JJ/MM/AAAA",
                  help="Date d'arrêt des données (par défaut : aujourd'hui).")
    @click.option("--publier", "publish", is_flag=True, help="Publier la version générée.")
    def rapports_generer(funder_id: int, year: int, as_of: str | None, publish: bool) -> None:
        from models.reports import services
        from webapp.pdf.funder_report import render

        day = _french_date(as_of, "--au") if as_of else None
        set_actor(db.session, None, via="cli")
        try:
            report = services.generate(db.session, None, funder_id, year, as_of=day,
                                       render=render)
            if publish:
                services.publish(db.session, None, report.id)
            db.session.commit()
        except ValidationFailed as exc:
            db.session.rollback()
            _fail(" ".join(m for messages in exc.errors.values() for m in messages))
            return
        except DomainError as exc:
            db.session.rollback()
            _fail(str(exc))
            return
        state = "publiée" if publish else "non publiée (brouillon)"
        click.echo(f"Rapport {year} de {report.funder.name} : version {report.version}, "
                   f"{report.pages} pages, {report.size} octets, sha256 {report.sha256}, "
                   f"{state}.")
        if report.findings and not publish:
            click.echo(f"{len(report.findings)} passage(s) à contrôler avant publication.")
