"""``flask parcours generate`` and ``flask parcours import``: the fixed CLI contract."""

from __future__ import annotations

import json
import zipfile

import pytest
from sqlalchemy import select

from models.network.orm import MissionLocale
from models.parcours.orm import ParcoursExtract, ParcoursImport, QualityFinding
from tests.parcours_helpers import clean_young, jeune, write_extract
from webapp.extensions import db


@pytest.fixture
def runner(app, world):
    return app.test_cli_runner()


def test_generate_then_import_finds_exactly_the_manifest(runner, app, tmp_path, keep_everyone):
    out = tmp_path / "extrait"
    result = runner.invoke(args=["parcours", "generate", str(out), "--jeunes", "400",
                                 "--seed", "3", "--defect-rate", "0.03",
                                 "--from", "01/01/2026", "--to", "30/09/2026"])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == [
        "dispositifs.csv", "evenements.csv", "jeunes.csv", "manifest.json", "situations.csv"]
    manifest = json.loads((out / "manifest.json").read_text())
    assert "Anomalies injectées : Q01" in result.output

    result = runner.invoke(args=["parcours", "import", str(out), "--from", "01/01/2026",
                                 "--to", "30/09/2026"])
    assert result.exit_code == 0, result.output
    assert f"{manifest['counts']['jeunes']} jeunes" in result.output
    with app.app_context():
        found = set(db.session.execute(
            select(QualityFinding.rule_code, MissionLocale.code, QualityFinding.id_jeune,
                   QualityFinding.record_key)
            .join(ParcoursExtract, ParcoursExtract.id == QualityFinding.extract_id)
            .join(MissionLocale, MissionLocale.id == ParcoursExtract.mission_locale_id)).all())
    expected = {(rule, *row) for rule, rows in manifest["defects"].items() for row in rows}
    assert found == expected


def test_generate_zip_names_the_period(runner, tmp_path):
    result = runner.invoke(args=["parcours", "generate", str(tmp_path), "--jeunes", "50",
                                 "--from", "01/01/2026", "--to", "30/06/2026", "--zip"])
    assert result.exit_code == 0, result.output
    archive = tmp_path / "extrait_20260101_20260630.zip"
    with zipfile.ZipFile(archive) as z:
        assert sorted(z.namelist()) == ["dispositifs.csv", "evenements.csv", "jeunes.csv",
                                        "situations.csv"]


def test_import_takes_the_period_from_the_zip_name(runner, app, tmp_path):
    runner.invoke(args=["parcours", "generate", str(tmp_path), "--jeunes", "60",
                        "--from", "01/01/2026", "--to", "30/06/2026", "--zip"])
    result = runner.invoke(args=["parcours", "import",
                                 str(tmp_path / "extrait_20260101_20260630.zip")])
    assert result.exit_code == 0, result.output
    with app.app_context():
        record = db.session.scalar(select(ParcoursImport))
        assert (record.period_start.isoformat(), record.period_end.isoformat()) == (
            "2026-01-01", "2026-06-30")


def test_refused_import_exits_non_zero_with_french_on_stderr(runner, app, tmp_path):
    rows = [*clean_young(2), jeune("99999", "7", nom="X", prenom="Y")]
    folder = write_extract(tmp_path / "bad", jeunes=rows)
    result = runner.invoke(args=["parcours", "import", str(folder), "--from", "01/01/2026",
                                 "--to", "30/09/2026"])
    assert result.exit_code == 1
    assert "Import refusé, rien n'a été enregistré" in result.stderr
    assert "jeunes.csv, ligne 4 : code_ml « 99999 » inconnu" in result.stderr
    with app.app_context():
        assert db.session.scalar(select(ParcoursImport.status)) == "refuse"
        assert db.session.scalar(select(ParcoursExtract.id)) is None


def test_missing_path_and_bad_dates_are_refused(runner, tmp_path):
    result = runner.invoke(args=["parcours", "import", str(tmp_path / "absent.zip"),
                                 "--from", "01/01/2026", "--to", "30/09/2026"])
    assert result.exit_code == 1 and "introuvable" in result.stderr
    folder = write_extract(tmp_path / "ok", jeunes=clean_young(1))
    result = runner.invoke(args=["parcours", "import", str(folder), "--from", "31/02/2026",
                                 "--to", "30/09/2026"])
    assert result.exit_code == 1
    assert result.stderr.strip() == "--from : « 31/02/2026 » n'est pas une date JJ/MM/AAAA."
    result = runner.invoke(args=["parcours", "import", str(folder), "--from", "01/10/2026",
                                 "--to", "30/09/2026"])
    assert result.exit_code == 1
    assert result.stderr == "Import refusé :\n- La fin de la période doit suivre son début.\n"
