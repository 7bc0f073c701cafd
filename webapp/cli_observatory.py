"""``flask --app webapp observatoire …``: export the protected catalogue, rebuild aggregates.

The export writes exactly what the observatory publishes (the same ``publication``
as the dashboard): one long-format CSV per table, hidden cells as « s ».
"""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask

from models.errors import DomainError
from webapp.cli_parcours import _fail, _french_date
from webapp.extensions import db


def register_observatory_cli(app: Flask) -> None:
    @app.cli.group("observatoire", help="Observatoire régional : exports et agrégats.")
    def observatoire() -> None:
        pass

    @observatoire.command("export", help="Écrit le catalogue protégé d'une période dans DOSSIER "
                          "(un CSV par tableau, « s » pour les cases masquées).")
    @click.argument("folder", metavar="DOSSIER", type=click.Path(path_type=Path))
    @click.option("--du", "start", required=True, metavar="JJ/MM/AAAA",
                  help="Premier jour de la période.")
    @click.option("--au", "end", required=True, metavar="JJ/MM/AAAA",
                  help="Dernier jour de la période.")
    @click.option("--ml", "ml_code", metavar="CODE",
                  help="Écrire ce que voit le compte de cette mission locale.")
    def observatoire_export(folder: Path, start: str, end: str, ml_code: str | None) -> None:
        from models.observatory.exports import write_catalogue
        from models.observatory.queries import publication

        du, au = _french_date(start, "--du"), _french_date(end, "--au")
        if du is not None and au is not None and au < du:
            _fail("--au : la fin de la période précède son début.")
        if folder.exists() and not folder.is_dir():
            _fail(f"{folder} existe et n'est pas un dossier.")
        try:
            pub = publication(db.session, None, du, au, ml_code=ml_code)
            written = write_catalogue(db.session, pub, folder)
        except DomainError as exc:
            _fail(str(exc))
            return
        hidden = sum(t.hidden_count for t in pub.tables.values())
        click.echo(f"{len(written) - 1} tableaux écrits dans {folder} ({pub.period.label}, "
                   f"seuil k = {pub.k}, {hidden} cases masquées, {pub.covered} missions "
                   f"locales couvertes sur {len(pub.coverage)}).")

    @observatoire.command("recalculer", help="Recalcule les agrégats de l'observatoire depuis "
                          "les lignes des extractions en vigueur.")
    def observatoire_recalculer() -> None:
        from models.observatory.aggregates import recompute
        from models.observatory.queries import clear_cache
        from models.observatory.services import observatory_settings

        months = observatory_settings(db.session).jdi_months
        db.session.rollback()
        done = recompute(db.engine, jdi_months=months)
        clear_cache()
        click.echo(f"Agrégats recalculés pour {done} extraction(s) (fenêtre JDI : {months} mois).")
