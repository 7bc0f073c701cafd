"""``flask --app webapp observatoire export|recalculer``: the fixed contract of the files.

One synthetic region (six missions locales in three départements — of two, one and three
missions locales —, one more without an extract; see ``test_observatory_recompute``) is
imported once per backend with ``parcours import``; the tests read its exports.
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
from tests.conftest import keep_everyone_at_import, make_app
from tests.test_observatory_recompute import (
    EXTRACT,
    HEADER,
    HIDDEN_CELL,
    INTEGER,
    ML_DEPT,
    NEIGHBOUR_FIGURE,
    PERIODS,
    REGION_CODE,
    SILENT,
    TOTAL,
    Imported,
    K,
    Reference,
    build_network,
    describe,
    expected_tables,
    export,
    generate,
    read_export,
    read_source,
    variable_of,
    with_ml_rows,
)
from webapp.extensions import db

SEED = 5
#: the mission locale whose own view is exported: its département has one other mission
#: locale (never published for a month or a quarter: the viewer would subtract its own)
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
    # recalculer rebuilds the figures from the rows kept: the import-time purge would make
    # them differ from those computed on the file as received (see README, limits)
    mp = pytest.MonkeyPatch()
    keep_everyone_at_import(mp)
    app = make_app(database_url)
    build_network(app)
    source = generate(tmp_path_factory.mktemp("extract"), SEED)
    (source / "manifest.json").unlink()
    import_folder(app, source)
    yield {"app": app, "source": source, "tmp": tmp_path_factory}
    mp.undo()
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
    specs = expected_tables("extraction")
    assert sorted(t.name for t in tables_for("extraction")) == sorted(specs)
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [f"{name}.csv" for name in specs] + ["methodologie.txt"])
    geo = {"ml": set(ML_DEPT), "departement": set(ML_DEPT.values()), "region": {REGION_CODE}}
    months = {f"2026-{m:02d}" for m in range(1, 10)}
    for spec in specs.values():
        raw = (folder / f"{spec.name}.csv").read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf"), spec.name
        text = raw[3:].decode("utf-8")
        lines = text.splitlines()
        assert lines[0] == ";".join(HEADER)
        assert '"' not in text  # nothing to quote: plain « ; » separated fields
        rows = [line.split(";") for line in lines[1:]]
        assert rows and all(len(r) == len(HEADER) for r in rows), spec.name
        residence = spec.dims == ("residence",)
        for table, indicator, level, code, d1, m1, d2, m2, value in rows:
            assert (table, indicator) == (spec.name, spec.indicator)
            assert level in geo
            if residence and level == "departement":
                assert code == "non_renseigne" or code.isdigit() or code in ("2A", "2B")
                assert (d1, m1, d2, m2) == ("", "", "", "")
            else:
                assert code in geo[level], (spec.name, level, code)
                assert [d for d in (d1, d2) if d] == list(
                    () if residence else spec.dims), spec.name
            if d1 == "mois":
                assert m1 in months | {TOTAL}
            if value != "s":
                if spec.indicator == "intensite":
                    assert "." in value and value.replace(".", "", 1).isdigit(), value
                else:
                    assert value.isdigit(), value
        # missions locales for the extract's period, but not month by month
        assert {r[2] for r in rows} == ({"ml", "departement", "region"}
                                        if with_ml_rows("extraction", spec)
                                        else {"departement", "region"}), spec.name
    assert {r.split(";")[2] for r in (folder / "stock_cej_par_mois.csv").read_text(
        encoding="utf-8-sig").splitlines()[1:]} == {"departement", "region"}
    notes = (folder / "methodologie.txt").read_text(encoding="utf-8")
    assert f"k = {K}" in notes
    assert "De janvier à septembre 2026" in notes
    assert format_date(EXTRACT[0]) in notes and format_date(EXTRACT[1]) in notes
    assert f"{len(ML_DEPT)} missions locales sur {len(ML_DEPT) + 1}" in notes
    # a spreadsheet's view: « ; » and utf-8-sig give the header as is
    with (folder / "jeunes_accompagnes_par_sexe.csv").open(encoding="utf-8-sig",
                                                           newline="") as fh:
        assert next(csv.reader(fh, delimiter=";")) == HEADER


def test_month_and_quarter_exports_hold_their_own_tables(region):
    """No flow (premiers accueils, entries, situations), no JDI, no by-month table; the
    département and the region only."""
    for granularity in ("mois", "trimestre"):
        folder = exported(region, granularity, PERIODS[granularity])
        specs = expected_tables(granularity)
        assert sorted(t.name for t in tables_for(granularity)) == sorted(specs)
        assert sorted(p.name for p in folder.iterdir()) == sorted(
            [f"{name}.csv" for name in specs] + ["methodologie.txt"])
        for name in ("jdi", "premiers_accueils", "entrees_cej", "entrees_pacea",
                     "situations_positives", "stock_cej_par_mois"):
            assert not (folder / f"{name}.csv").exists(), (granularity, name)
        cells = read_export(folder)
        assert {c.level for table in cells.values() for c in table} == {"departement",
                                                                        "region"}
    assert sorted(expected_tables("mois")) == ["intensite", "jeunes_accompagnes",
                                               "stock_cej", "stock_pacea"]


def compare_view(public: dict, view: dict, granularity: str) -> int:
    """The viewer's files: its own mission-locale rows (all of them figures), its
    département and the region exactly as everybody reads them; nothing of the others.
    Returns how many of its own figures are hidden to the public."""
    assert sorted(view) == sorted(public)
    own_small, specs = 0, expected_tables(granularity)
    for table, cells in view.items():
        residence = specs[table].dims == ("residence",)
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
        assert any(c.level == "ml" for c in cells) == with_ml_rows(granularity, specs[table])
    return own_small


def test_ml_view_shows_its_own_small_figures_and_nothing_of_its_neighbours(region):
    public = read_export(exported(region, "public"))
    view = read_export(exported(region, "viewer", EXTRACT, "--ml", VIEWER))
    assert compare_view(public, view, "extraction") > 10
    # the neighbour's view never holds the viewer's rows
    other = read_export(exported(region, "neighbour", EXTRACT, "--ml", NEIGHBOUR))
    assert not any(c.code == VIEWER for cells in other.values() for c in cells)


def test_ml_view_of_a_month_or_a_quarter_has_no_mission_locale_row(region):
    """Its own rows are for long periods only; its département (of two missions locales)
    is « s » as for everybody."""
    for granularity in ("trimestre", "mois"):
        public = read_export(exported(region, f"public-{granularity}", PERIODS[granularity]))
        view = read_export(exported(region, f"viewer-{granularity}", PERIODS[granularity],
                                    "--ml", VIEWER))
        assert compare_view(public, view, granularity) == 0
        assert not any(c.level == "ml" for cells in view.values() for c in cells)
        dept = [c for cells in view.values() for c in cells if c.level == "departement"]
        assert dept and all(c.code == ML_DEPT[VIEWER] and c.hidden for c in dept
                            if c.value != "0"), granularity


def test_ml_cannot_recompute_a_neighbours_hidden_figure(region):
    """What the viewer knows: the public files of the extract's period, a quarter and a
    month, its own rows of its view and all its own figures (its data). Nothing hidden
    follows from that, nor a neighbour's month or quarter."""
    periods = {"extraction": ("extraction", EXTRACT),
               **{g: (g, PERIODS[g]) for g in ("trimestre", "mois")}}
    reference = Reference(region["source"])
    files = Imported(region["app"], SEED, region["source"], reference, periods)
    own = {}
    for name, (granularity, period) in periods.items():
        files.exports[name] = read_export(exported(region, f"attack-{name}", period))
        view = read_export(exported(region, f"attack-view-{name}", period, "--ml", VIEWER))
        specs = expected_tables(granularity)
        for table, cells in view.items():
            for cell in cells:
                if cell.level == "ml" and specs[table].indicator != "intensite":
                    own[variable_of(specs[table], period, cell)] = cell.number
    knowledge = files.knowledge
    # its view's own rows are figures it knows from its data, and part of the attack
    assert set(own) <= knowledge.known_by(VIEWER)
    assert len(set(own) - knowledge.published()) > 10
    assert all(reference.count(var) == value for var, value in own.items())
    found = knowledge.disclosures(VIEWER)
    for kind in (HIDDEN_CELL, NEIGHBOUR_FIGURE):
        assert not found[kind], f"{kind}:\n{describe(found[kind])}"


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
    assert (f"Agrégats recalculés pour {len(ML_DEPT)} extraction(s) (fenêtre JDI : 5 mois)"
            in result.output)
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

