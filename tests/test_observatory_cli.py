"""``flask --app webapp observatoire export|recalculer``: the fixed contract of the files.

One synthetic region (three missions locales in two départements, one more without an
extract) is imported once per backend with ``parcours import``; the tests read its exports.
The last two tests change the data (aggregates rebuilt, one extract replaced): they stay
at the end of the module.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import delete, select

from models.formatting import format_date
from models.network.orm import MissionLocale
from models.observatory.catalogue import tables_for
from models.observatory.orm import ObservatoryAggregate
from models.parcours.orm import ParcoursExtract
from tests.conftest import make_app
from tests.test_observatory_recompute import (
    EXTRACT,
    HEADER,
    INTEGER,
    ML_DEPT,
    PERIODS,
    REGION_CODE,
    SILENT,
    TOTAL,
    K,
    Reference,
    build_network,
    export,
    generate,
    lines_of,
    read_export,
    read_source,
)
from webapp.extensions import db

SEED = 5
#: the mission locale whose own view is exported: its département has another one
VIEWER = "33010"
NEIGHBOUR = "33005"
DU, AU = (d.strftime("%d/%m/%Y") for d in EXTRACT)
FILES = ("jeunes", "evenements", "situations", "dispositifs")


def run(app, *args: str):
    return app.test_cli_runner().invoke(args=["observatoire", *args])


def import_folder(app, folder: Path):
    result = app.test_cli_runner().invoke(args=["parcours", "import", str(folder),
                                                "--from", DU, "--to", AU])
    assert result.exit_code == 0, result.output + result.stderr
    return result


@pytest.fixture(scope="module")
def region(database_url, tmp_path_factory):
    app = make_app(database_url)
    build_network(app)
    source = generate(tmp_path_factory.mktemp("extract"), SEED)
    (source / "manifest.json").unlink()
    import_folder(app, source)
    yield {"app": app, "source": source, "tmp": tmp_path_factory}
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def exported(region, name: str, period=EXTRACT, *extra: str) -> Path:
    folder = region["tmp"].mktemp(name)
    result = export(region["app"], folder, period, *extra)
    assert result.exit_code == 0, result.output + result.stderr
    return folder


def csv_bytes(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.suffix == ".csv"}


# --- the contract of the files ---------------------------------------------------------------
def test_export_writes_one_csv_per_table_with_the_fixed_format(region):
    folder = exported(region, "contract")
    specs = tables_for("extraction")
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [f"{t.name}.csv" for t in specs] + ["methodologie.txt"])
    geo = {"ml": set(ML_DEPT), "departement": set(ML_DEPT.values()), "region": {REGION_CODE}}
    months = {f"2026-{m:02d}" for m in range(1, 10)}
    for spec in specs:
        raw = (folder / f"{spec.name}.csv").read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf"), spec.name
        text = raw[3:].decode("utf-8")
        lines = text.splitlines()
        assert lines[0] == ";".join(HEADER)
        assert '"' not in text  # nothing to quote: plain « ; » separated fields
        rows = [line.split(";") for line in lines[1:]]
        assert rows and all(len(r) == len(HEADER) for r in rows), spec.name
        for table, indicator, level, code, d1, m1, d2, m2, value in rows:
            assert (table, indicator) == (spec.name, spec.indicator)
            assert level in geo
            if spec.dims == ("residence",) and level == "departement":
                assert code == "non_renseigne" or code.isdigit() or code in ("2A", "2B")
                assert (d1, m1, d2, m2) == ("", "", "", "")
            else:
                assert code in geo[level], (spec.name, level, code)
                assert [d for d in (d1, d2) if d] == list(
                    () if spec.residence else spec.dims), spec.name
            if d1 == "mois":
                assert m1 in months | {TOTAL}
            if value != "s":
                if spec.indicator == "intensite":
                    assert "." in value and value.replace(".", "", 1).isdigit(), value
                else:
                    assert value.isdigit(), value
        assert {r[2] for r in rows} == ({"departement", "region"} if spec.residence
                                        else {"ml", "departement", "region"})
    notes = (folder / "methodologie.txt").read_text(encoding="utf-8")
    assert f"k = {K}" in notes
    assert "De janvier à septembre 2026" in notes
    assert format_date(EXTRACT[0]) in notes and format_date(EXTRACT[1]) in notes
    assert "3 missions locales sur 4" in notes
    # a spreadsheet's view: « ; » and utf-8-sig give the header as is
    with (folder / "jeunes_accompagnes_par_sexe.csv").open(encoding="utf-8-sig",
                                                           newline="") as fh:
        assert next(csv.reader(fh, delimiter=";")) == HEADER


def test_month_and_quarter_exports_hold_their_own_tables(region):
    for granularity in ("mois", "trimestre"):
        folder = exported(region, granularity, PERIODS[granularity])
        assert sorted(p.name for p in folder.iterdir()) == sorted(
            [f"{t.name}.csv" for t in tables_for(granularity)] + ["methodologie.txt"])
        assert not (folder / "jdi.csv").exists()  # JDI: years, halves, extract periods only


def test_ml_view_shows_its_own_small_figures_and_nothing_of_its_neighbours(region):
    public = read_export(exported(region, "public"))
    view = read_export(exported(region, "viewer", EXTRACT, "--ml", VIEWER))
    assert sorted(view) == sorted(public)
    own_small = 0
    for table, cells in view.items():
        residence = table.endswith("_par_residence")
        shown = {c.place: c for c in public[table]}
        for cell in cells:
            if cell.level == "ml":
                assert cell.code == VIEWER, (table, cell)
                assert not cell.hidden, (table, cell)  # its own figures, all of them
                twin = shown[cell.place]
                if not twin.hidden:
                    assert twin.value == cell.value
                elif INTEGER.fullmatch(cell.value) and 1 <= int(cell.value) < K:
                    own_small += 1
            else:
                if cell.level == "departement" and not residence:
                    assert cell.code == ML_DEPT[VIEWER], (table, cell)
                # département and region: exactly what everybody reads
                assert shown[cell.place] == cell, (table, cell, shown[cell.place])
        expected = {c.place for c in public[table]
                    if c.level == "region" or (c.level == "ml" and c.code == VIEWER)
                    or (c.level == "departement"
                        and (residence or c.code == ML_DEPT[VIEWER]))}
        assert {c.place for c in cells} == expected, table
    assert own_small > 10
    # the neighbour's view never holds the viewer's rows
    other = read_export(exported(region, "neighbour", EXTRACT, "--ml", NEIGHBOUR))
    assert not any(c.code == VIEWER for cells in other.values() for c in cells)


def test_ml_cannot_recompute_a_neighbours_hidden_figure(region):
    """What the viewer knows: the public files plus its own figures. No additive line may
    then have a single unknown cell (it would be its neighbour's, by difference)."""
    public = read_export(exported(region, "public-attack"))
    view = read_export(exported(region, "viewer-attack", EXTRACT, "--ml", VIEWER))
    own = {(t, c.place): c.value for t, cells in view.items() for c in cells if c.level == "ml"}
    specs = {t.name: t for t in tables_for("extraction")}
    for table, cells in public.items():
        if specs[table].indicator == "intensite":
            continue
        for total, *parts in lines_of(cells, specs[table]):
            unknown = [c for c in (total, *parts) if c.hidden and (table, c.place) not in own]
            assert len(unknown) != 1, (f"{table}: {unknown[0].place} = "
                                       "total − parts for the viewer")


# --- errors: French, non-zero, nothing written --------------------------------------------
@pytest.mark.parametrize("du,au,message", [
    ("01/01/2025", "31/12/2025", "Aucune extraction en vigueur ne couvre la période du "
                                 "01/01/2025 au 31/12/2025"),
    ("15/03/2026", "20/04/2026", "Aucune extraction en vigueur ne couvre la période du "
                                 "15/03/2026 au 20/04/2026"),
    ("31/02/2026", "30/09/2026", "--du : « 31/02/2026 » n'est pas une date JJ/MM/AAAA."),
    ("01/01/2026", "2026-13-01", "--au : « 2026-13-01 » n'est pas une date JJ/MM/AAAA."),
    ("30/09/2026", "01/01/2026", "--au : la fin de la période précède son début."),
])
def test_refused_exports_say_why_in_french_and_write_nothing(region, tmp_path, du, au, message):
    folder = tmp_path / "sortie"
    result = run(region["app"], "export", str(folder), "--du", du, "--au", au)
    assert result.exit_code != 0
    assert message in result.stderr
    assert not folder.exists()


def test_period_without_extract_lists_the_available_ones(region, tmp_path):
    result = run(region["app"], "export", str(tmp_path / "x"), "--du", "01/01/2025",
                 "--au", "31/12/2025")
    assert result.exit_code != 0
    assert "Périodes disponibles : " in result.stderr
    assert "du 01/01/2026 au 30/09/2026" in result.stderr


def test_unknown_mission_locale_is_refused(region, tmp_path):
    folder = tmp_path / "sortie"
    result = run(region["app"], "export", str(folder), "--du", DU, "--au", AU, "--ml", "99999")
    assert result.exit_code != 0
    assert "Mission locale « 99999 » inconnue" in result.stderr
    assert not folder.exists()


def test_mission_locale_without_extract_is_counted_nowhere(region):
    folder = exported(region, "silent-view", EXTRACT, "--ml", SILENT[0])
    cells = read_export(folder)
    assert not any(c.level == "ml" for table in cells.values() for c in table)
    notes = (folder / "methodologie.txt").read_text(encoding="utf-8")
    assert "aucune extraction ne couvre la période" in notes


# --- data changes: keep these last ---------------------------------------------------------
def test_recalculer_rebuilds_identical_exports(region):
    app = region["app"]
    before = {name: csv_bytes(exported(region, f"before-{name}", period))
              for name, period in PERIODS.items()}
    with app.app_context():
        db.session.execute(delete(ObservatoryAggregate))
        db.session.commit()
        db.session.remove()
    gone = run(app, "export", str(region["tmp"].mktemp("gone") / "x"), "--du", DU, "--au", AU)
    assert gone.exit_code != 0  # the aggregates are what the export reads
    result = run(app, "recalculer")
    assert result.exit_code == 0, result.output + result.stderr
    assert "Agrégats recalculés pour 3 extraction(s) (fenêtre JDI : 5 mois)" in result.output
    for name, period in PERIODS.items():
        after = csv_bytes(exported(region, f"after-{name}", period))
        assert after == before[name], name


def test_replacing_an_extract_publishes_only_the_new_figures(region):
    """The same mission locale and period imported again with one more young person: the
    export shows the new vintage's figures only, everywhere."""
    app, source = region["app"], region["source"]
    before = read_export(exported(region, "vintage-1"))
    replacement = region["tmp"].mktemp("replacement")
    combined = region["tmp"].mktemp("combined")
    newcomer = {
        "jeunes": {"code_ml": VIEWER, "id_jeune": "990001", "nom": "NOUVEAU",
                   "prenom": "Camille", "date_naissance": "14/02/2004", "sexe": "F",
                   "code_postal": "33500", "code_commune": "33243", "qpv": "N", "zrr": "N",
                   "niveau_formation": "4", "date_premier_accueil": "02/03/2026",
                   "logement": "PARENTS", "permis_b": "N", "vehicule": "N", "rqth": "N"},
        "evenements": {"code_ml": VIEWER, "id_jeune": "990001",
                       "date_evenement": "03/03/2026", "type": "ENTRETIEN",
                       "thematique": "EMPLOI"},
        "dispositifs": {"code_ml": VIEWER, "id_jeune": "990001", "dispositif": "CEJ",
                        "date_entree": "10/03/2026", "date_sortie": "",
                        "motif_sortie": ""},
    }
    for name in FILES:
        frame = read_source(source, name)
        if name in newcomer:
            frame = pd.concat([frame, pd.DataFrame([newcomer[name]])], ignore_index=True)
        frame.to_csv(combined / f"{name}.csv", sep=";", index=False, encoding="utf-8")
        mine = frame[frame["code_ml"] == VIEWER]
        mine.to_csv(replacement / f"{name}.csv", sep=";", index=False, encoding="utf-8")
    import_folder(app, replacement)
    with app.app_context():
        statuses = db.session.execute(
            select(ParcoursExtract.status, MissionLocale.code)
            .join(MissionLocale, MissionLocale.id == ParcoursExtract.mission_locale_id)
            .order_by(ParcoursExtract.id)).all()
        db.session.remove()
    assert sorted(statuses) == sorted([("current", c) for c in ML_DEPT] + [("replaced", VIEWER)])

    after = read_export(exported(region, "vintage-2"))
    for indicator in ("jeunes_accompagnes", "premiers_accueils", "entrees_cej"):
        old = {c.place: c for c in before[indicator]}
        for cell in after[indicator]:
            gain = 1 if cell.code in (VIEWER, ML_DEPT[VIEWER], REGION_CODE) else 0
            if not cell.hidden and not old[cell.place].hidden:
                assert cell.number == old[cell.place].number + gain, (indicator, cell)
    region_total = next(c for c in after["jeunes_accompagnes"] if c.level == "region")
    assert not region_total.hidden
    # and every published figure is the new data's, recomputed from the files
    reference = Reference(combined)
    for table, cells in after.items():
        spec = next(t for t in tables_for("extraction") if t.name == table)
        for cell in cells:
            if not cell.hidden:
                assert cell.number == reference.value(
                    EXTRACT, spec.indicator, cell.level, cell.code, dict(cell.dims),
                    residence_table=spec.dims == ("residence",)), (table, cell)
    month = read_export(exported(region, "vintage-2-month", PERIODS["mois"]))
    for table, cells in month.items():
        spec = next(t for t in tables_for("mois") if t.name == table)
        for cell in cells:
            if not cell.hidden:
                assert cell.number == reference.value(
                    PERIODS["mois"], spec.indicator, cell.level, cell.code, {}), (table, cell)

