"""``flask --app webapp parcours …``: import an extract, generate a synthetic one.

The import runs in the foreground here (with a progress bar); the web app queues
the same ``pipeline.run_import`` on the job runner instead.
"""

from __future__ import annotations

import sys
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import click
from flask import Flask
from sqlalchemy import select

from models import clock
from models.audit import set_actor
from models.errors import DomainError, ValidationFailed
from models.formatting import format_number
from webapp.extensions import db


def _french_date(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    for fmt in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(value.strip(), fmt).date()
        except ValueError:
            continue
    _fail(f"{option} : « {value} » n'est pas une date JJ/MM/AAAA.")
    return None


FILE_LABELS = {"jeunes": "jeunes", "evenements": "événements", "situations": "situations",
               "dispositifs": "dispositifs"}


def _fail(message: str) -> None:
    click.echo(message, err=True)
    sys.exit(1)


def register_parcours_cli(app: Flask) -> None:
    @app.cli.group("parcours", help="Extractions Parcours / i-milo et qualité des données.")
    def parcours() -> None:
        pass

    @parcours.command("import", help="Importe une extraction (ZIP ou dossier des fichiers CSV).")
    @click.argument("path", type=click.Path(path_type=Path))
    @click.option("--from", "start", metavar="JJ/MM/AAAA", help="Début de la période.")
    @click.option("--to", "end", metavar="JJ/MM/AAAA", help="Fin de la période.")
    def parcours_import(path: Path, start: str | None, end: str | None) -> None:
        from models.parcours.errors import ImportRefused
        from models.parcours.pipeline import run_import
        from models.parcours.rules import period_from_name
        from models.parcours.services import create_import

        period_start, period_end = _french_date(start, "--from"), _french_date(end, "--to")
        name = path.resolve().name or str(path)  # `.` names the folder it stands for
        if (period_start is None or period_end is None) and period_from_name(name):
            named = period_from_name(name)
            assert named is not None
            period_start, period_end = period_start or named[0], period_end or named[1]
        if not path.exists():
            _fail(f"{path} : fichier ou dossier introuvable.")
        session = db.session
        set_actor(session, None, via="cli")
        try:
            record = create_import(session, actor=None, source_name=name,
                                   stored_path=str(path.resolve()), period_start=period_start,
                                   period_end=period_end, today=clock.today())
        except ValidationFailed as exc:
            session.rollback()
            _fail("Import refusé :\n" + "\n".join(
                f"- {m}" for messages in exc.errors.values() for m in messages))
        session.commit()
        with click.progressbar(length=100, label="Import", file=sys.stderr,
                               show_percent=True) as bar:
            seen = {"p": 0}

            def advance(stage: str, percent: int) -> None:
                bar.label = stage[:40]
                if percent > seen["p"]:
                    bar.update(percent - seen["p"])
                    seen["p"] = percent

            try:
                outcome = run_import(db.engine, record.id, path, today=clock.today(),
                                     progress=advance)
            except ImportRefused as exc:
                click.echo("", err=True)
                _fail("Import refusé, rien n'a été enregistré :\n" + "\n".join(
                    f"- {m}" for m in exc.messages))
            except DomainError as exc:  # e.g. no pseudonymisation key in production
                click.echo("", err=True)
                _fail(f"Import refusé, rien n'a été enregistré : {exc}")
        counts = outcome.counts
        seconds = format_number(Decimal(outcome.duration_ms) / 1000, digits=1)
        click.echo(f"Import n° {record.id} terminé en {seconds} s : "
                   f"{len(outcome.extracts)} mission(s) locale(s), {counts.get('jeunes', 0)} "
                   f"jeunes, {counts.get('evenements', 0)} événements, "
                   f"{counts.get('situations', 0)} situations, "
                   f"{counts.get('dispositifs', 0)} dispositifs ; {outcome.findings} anomalie(s).")
        for notice in outcome.notices:
            click.echo(f"Note : {notice}")

    @parcours.command("purger", help="Purge légale des données des jeunes (décret 2015-59) : "
                                     "supprime les lignes des jeunes au-delà de la durée de "
                                     "conservation.")
    @click.option("--simulation", is_flag=True,
                  help="Compte ce qui serait supprimé, sans rien modifier.")
    @click.option("--aujourdhui", metavar="JJ/MM/AAAA",
                  help="Date de référence (par défaut : aujourd'hui).")
    def parcours_purger(simulation: bool, aujourdhui: str | None) -> None:
        from models.parcours.retention import TABLE_LABELS, TABLE_NAMES, purge_youth_data

        today = clock.today()
        if aujourdhui is not None:
            try:
                today = datetime.strptime(aujourdhui.strip(), "%d/%m/%Y").date()
            except ValueError:
                _fail(f"--aujourdhui : « {aujourdhui} » n'est pas une date valide au format "
                      "JJ/MM/AAAA (par exemple 01/12/2026). Rien n'a été modifié.")
        db.session.remove()  # the purge runs on its own connections, batch by batch
        try:
            report = purge_youth_data(db.engine, today=today, simulation=simulation, via="cli")
        except Exception as exc:
            _fail(f"La purge s'est interrompue ({type(exc).__name__}). Les lots déjà terminés "
                  "sont supprimés en entier, aucun jeune n'est supprimé à moitié : relancez la "
                  "commande pour terminer.")
        title = "Simulation (rien n'a été modifié)" if simulation else "Purge terminée"
        click.echo(f"{title} — date de référence {today:%d/%m/%Y}.")
        click.echo("Limites appliquées :")
        for line in report.cutoff.values():
            click.echo(f"- {line}")
        verb = "seraient supprimé(s)" if simulation else "supprimé(s)"
        click.echo(f"Jeunes {verb} : {report.people}")
        for name in TABLE_NAMES:
            click.echo(f"- {TABLE_LABELS[name]} ({name}) : {report.counts[name]}")
        click.echo(f"Conservés au-delà de la limite : {report.kept_followed} en dispositif "
                   f"ouvert et suivi, {report.kept_cej} en CEJ (10 ans après la fin du contrat).")
        click.echo(f"Sans date (ni naissance ni premier accueil), conservés : {report.undated}.")

    @parcours.command("generate", help="Écrit une extraction synthétique réaliste et le "
                                       "manifeste des anomalies injectées.")
    @click.argument("out", type=click.Path(path_type=Path))
    @click.option("--jeunes", type=click.IntRange(1, 5_000_000), default=1000, show_default=True)
    @click.option("--seed", type=int, default=1, show_default=True)
    @click.option("--defect-rate", type=click.FloatRange(0, 0.05), default=0.02,
                  show_default=True, help="Part des enregistrements rendus fautifs, par règle.")
    @click.option("--from", "start", metavar="JJ/MM/AAAA", help="Début de la période.")
    @click.option("--to", "end", metavar="JJ/MM/AAAA", help="Fin de la période.")
    @click.option("--zip", "zip_output", is_flag=True, help="Écrit un ZIP au lieu des CSV.")
    def parcours_generate(out: Path, jeunes: int, seed: int, defect_rate: float,
                          start: str | None, end: str | None, zip_output: bool) -> None:
        from models.network.orm import MissionLocale
        from models.parcours.generator import generate_extract

        today = clock.today()
        period_end = _french_date(end, "--to") or (today.replace(day=1) - timedelta(days=1))
        period_start = _french_date(start, "--from") or period_end.replace(month=1, day=1)
        if period_end < period_start:
            _fail("La fin de la période doit suivre son début.")
        mls = [(code, dept) for code, dept in db.session.execute(
            select(MissionLocale.code, MissionLocale.departement)
            .where(MissionLocale.active.is_(True)).order_by(MissionLocale.code))]
        if not mls:
            _fail("Aucune mission locale en base : lancez d'abord `flask --app webapp seed demo`.")
        out.mkdir(parents=True, exist_ok=True)
        try:
            manifest = generate_extract(out, jeunes=jeunes, seed=seed, defect_rate=defect_rate,
                                        missions_locales=mls, period=(period_start, period_end),
                                        zip_output=zip_output, today=today)
        except ValueError as exc:
            _fail(f"Génération impossible avec ces paramètres ({exc}).")
        data = manifest.to_dict()
        counts = data.get("counts", {})
        click.echo(f"Extraction écrite dans {out} : " + ", ".join(
            f"{n} {FILE_LABELS.get(name, name)}" for name, n in counts.items()))
        injected = {rule: len(rows) for rule, rows in data.get("defects", {}).items()}
        click.echo("Anomalies injectées : " + ", ".join(
            f"{rule} {n}" for rule, n in sorted(injected.items())))
