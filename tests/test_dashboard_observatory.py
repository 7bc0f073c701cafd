"""The dashboard's Observatoire page, driven headless by AppTest on both backends.

Data: the whole demo (``seeds.demo.build_demo``: 39 active missions locales, three Parcours
imports whose observatory aggregates are computed inside the import), built once per
module and backend and only read. The demo's accounts sign in with the demo password.

Every expected figure comes from the domain, never from the page: the published tables
of ``models.observatory.queries.publication`` (what a reader may see) and, for the cells
it hides, the true values and secrecy statuses of the protected families
(``queries._families``). The secrecy checks are positional: each hidden cell of the table,
map or chart shown is located on the page and must read « s » (or be left out of a chart),
with no number behind it in the data sent to the browser. (AppTest reads a styled table's
display values; how the browser's data grid draws a hidden cell is checked in
test_browser_observatory.py.)

The empty-state test truncates the database (``dash``): it runs last, and ``demo``
rebuilds the demo should a test need it afterwards.
"""

from __future__ import annotations

import json
import math
import re
from datetime import date
from decimal import Decimal

import pandas as pd
import pytest
from sqlalchemy import func, select
from streamlit.testing.v1 import AppTest

from models.formatting import format_number
from models.observatory import queries
from models.observatory.catalogue import INDICATORS, TABLES_BY_NAME
from models.observatory.orm import ObservatoryAggregate
from models.parcours.orm import ParcoursImport
from seeds.demo import DEMO_ML_CODE, DEMO_PASSWORD
from tests.test_dashboard import (
    _array,
    _clear_caches,
    dash,
    metrics,
    new_app,
    plotly_charts,
    run,
    signed_in,
    submit_login,
    texts,
)
from webapp.extensions import db

#: Fixtures shared with test_dashboard.py: pytest registers them by their name in this module.
SHARED_FIXTURES = (dash,)

PAGE = "views/observatoire.py"
TITLE = "Observatoire régional"
CRASH = "Une erreur inattendue s'est produite"
NNBSP, NBSP = "\u202f", "\u00a0"
EMAILS = {"admin": "admin@demo.arml.fr", "animateur": "animation@demo.arml.fr",
          "copil": "copil@demo.arml.fr", "ml": "ml@demo.arml.fr",
          "financeur": "financeur@demo.arml.fr"}
REGIONAL = ["copil", "admin", "animateur", "financeur"]
# the page's key figures (dashboard/views/observatoire.py KEY_FIGURES), in their order
KEY_FIGURES = ("jeunes_accompagnes", "premiers_accueils", "jdi", "entrees_cej",
               "entrees_pacea", "situations_positives", "intensite")
EXTRACT = (date(2026, 1, 1), date(2026, 9, 30))  # the default period: the latest extract
MONTH, JUNE = "Juin 2026", (date(2026, 6, 1), date(2026, 6, 30))
QUARTER, Q2 = "2e trimestre 2026", (date(2026, 4, 1), date(2026, 6, 30))
PERIODS = {"extraction": ("De janvier à septembre 2026", EXTRACT), "mois": (MONTH, JUNE),
           "trimestre": (QUARTER, Q2)}
LEVELS = {"ml": "Mission locale", "departement": "Département", "region": "Région"}
COVERAGE = re.compile(r"^(\d+) missions locales sur (\d+) ont une extraction pour la période")
AUDIT = "Audit du secret statistique (administrateur)"
HIDDEN_COLOUR = "#c8c8c8"


# ---------------------------------------------------------------- fixtures
def _has_demo(app) -> bool:
    with app.app_context():
        return bool(db.session.scalar(select(func.count()).select_from(ParcoursImport))) \
            and bool(db.session.scalar(select(func.count()).select_from(ObservatoryAggregate)))


@pytest.fixture(scope="module")
def observatory_demo(demo_app):
    """The demo's database seen by the dashboard; Streamlit's caches (keyed by user id,
    shared by the tests of the module) start and end empty."""
    from dashboard.data import engine
    from models.settings import database_url as configured_database_url

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DATABASE_URL", demo_app.config["SQLALCHEMY_DATABASE_URI"])
        _clear_caches()
        queries.clear_cache()
        yield demo_app
        engine(configured_database_url()).dispose()
        _clear_caches()


@pytest.fixture
def demo(observatory_demo, monkeypatch):
    """The module's demo, rebuilt if a test emptied the database before this one ran."""
    monkeypatch.setenv("DATABASE_URL", observatory_demo.config["SQLALCHEMY_DATABASE_URI"])
    if not _has_demo(observatory_demo):  # pragma: no cover - only when tests are reordered
        from models.audit import set_actor
        from seeds.demo import build_demo
        from tests.conftest import _truncate

        with observatory_demo.app_context():
            _truncate(db.session)
            set_actor(db.session, None, via="cli")
            build_demo(db.session)
            db.session.commit()
            db.session.remove()
        _clear_caches()
        queries.clear_cache()
    return observatory_demo


# ---------------------------------------------------------------- helpers
def plain(text: str) -> str:
    return text.replace(NNBSP, " ").replace(NBSP, " ")


def assert_no_error(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not [e for e in texts(at.error) if CRASH in e], texts(at.error)


def open_page(role: str, **state) -> AppTest:
    """Sign in with the demo account of ``role`` and open the page (widget values preset
    through the session state, as a returning user would find them)."""
    at = run(new_app())
    submit_login(at, EMAILS[role], DEMO_PASSWORD)
    assert "user_id" in at.session_state, f"login as {role} failed"
    for key, value in state.items():
        at.session_state[key] = value
    at.switch_page(PAGE).run()
    assert TITLE in texts(at.title)
    return at


def choose_period(at: AppTest, grain: str = "mois", label: str = MONTH) -> AppTest:
    """The period type, then one period of that type, as a user picks them."""
    at.radio(key="obs_grain").set_value(grain).run()
    assert_no_error(at)
    period = at.selectbox(key="obs_period")
    period.select_index(period.options.index(label)).run()
    assert_no_error(at)
    assert f"**{label}**" in texts(at.markdown)[0]
    return at


def publication(app, period: tuple[date, date], ml_code: str | None = None):
    with app.app_context():
        return queries.publication(db.session, None, *period, ml_code=ml_code)


def cell(pub, table: str, level: str, code: str | None = None):
    """The table's total cell (no breakdown) at one level, or None when there is none."""
    found = [c for c in pub.tables[table].cells
             if c.level == level and (code is None or c.code == code)
             and all(m == "Total" for _, m in c.dims)]
    assert len(found) <= 1
    return found[0] if found else None


def shown(value, indicator: str) -> str:
    """How the page writes a published value (« s » when hidden)."""
    digits = 1 if indicator == "intensite" else 0
    return "s" if value is None else plain(format_number(value, digits=digits))


def key_figures(pub, level: str, code: str | None = None) -> dict[str, str]:
    return {INDICATORS[i].label: shown(cell(pub, i, level, code).value, i)
            for i in KEY_FIGURES if i in pub.tables and pub.tables[i].cells}


def coverage(at: AppTest) -> tuple[int, int]:
    found = [COVERAGE.match(c) for c in texts(at.caption)]
    found = [m for m in found if m]
    assert len(found) == 1, texts(at.caption)
    return int(found[0][1]), int(found[0][2])


def chart(at: AppTest, key: str) -> dict:
    found = [c for c in plotly_charts(at) if c.proto.id.endswith(key)]
    assert len(found) == 1, [c.proto.id for c in plotly_charts(at)]
    return json.loads(found[0].proto.spec)


def chart_keys(at: AppTest) -> set[str]:
    return {c.proto.id.rsplit("-", 1)[-1] for c in plotly_charts(at)}


def data_table(at: AppTest, header: str) -> pd.DataFrame:
    """The ``st.table`` under the fold « Données du graphique : <header> »."""
    found = [e for e in at.expander if e.label == f"Données du graphique : {header}"]
    assert len(found) == 1, [e.label for e in at.expander]
    assert len(found[0].table) == 1
    return found[0].table[0].value


def displayed(frame) -> pd.DataFrame:
    """What the browser shows: the page sends French text (« s » for a hidden cell), since
    the grid would draw a missing value as "None"."""
    return frame.value


class Truth:
    """One published table next to the truth behind it: per published cell, the value
    of the family's problem and its secrecy status (0 published, 1 primary, 2 secondary).
    Count tables only (intensité is a ratio of two counts)."""

    def __init__(self, app, period: tuple[date, date], name: str, ml_code: str | None = None):
        spec = TABLES_BY_NAME[name]
        assert spec.indicator != "intensite"
        with app.app_context():
            session = db.session
            pub = queries.publication(session, None, *period, ml_code=ml_code)
            _, families = queries._families(session, pub.k)
        family = families[spec.indicator]
        where = family.tables[(name, pub.period)]
        index_of = {(level, code, queries._with_totals(spec, items)): index
                    for (level, code, items), index in where.items()}
        self.spec, self.pub = spec, pub
        self.cells = []  # (published cell, true value, status)
        for c in pub.tables[name].cells:
            index = index_of[(c.level, c.code, c.dims)]
            status = int(family.status[index])
            true = int(family.problem.values[index])
            # the publication hides exactly the cells the family hides (own cells excepted)
            assert (c.value is None) == (status > 0 and not c.own), (c, status)
            if c.value is not None:
                assert c.value == true, c
            self.cells.append((c, true, status))

    @property
    def hidden(self):
        return [(c, true) for c, true, _ in self.cells if c.value is None]


def table_frames(at: AppTest) -> list:
    """The « Tableaux » dataframe (dataframes carry no key in AppTest): the one with
    Niveau and Territoire columns that is not the admin's audit of hidden cells."""
    return [f for f in at.dataframe if list(f.value.columns[:2]) == ["Niveau", "Territoire"]
            and "Valeur réelle" not in f.value.columns]


def value_columns(view: pd.DataFrame, spec) -> list[str]:
    return [c for c in view.columns if c not in ("Niveau", "Territoire")
            and not (len(spec.dims) == 2 and c == view.columns[2])]


def locate(view: pd.DataFrame, spec, c) -> tuple[int, str]:
    """Row number and column of a published cell in the page's table (the pivot of
    dashboard/views/observatoire.py: one row per level × territory [× first breakdown],
    one column per modality of the last breakdown, « Valeur » without breakdown)."""
    mask = (view["Niveau"] == LEVELS[c.level]) & (view["Territoire"] == f"{c.label} ({c.code})")
    dims = list(c.dims)
    if len(dims) == 2:
        dim, modality = dims[0]
        mask &= view[view.columns[2]] == queries.dimension_label(dim, modality)
    rows = view.index[mask].tolist()
    assert len(rows) == 1, (c, rows)
    column = queries.dimension_label(*dims[-1]) if dims else "Valeur"
    assert column in view.columns, (column, list(view.columns))
    return rows[0], column


def assert_table_protected(at: AppTest, truth: Truth) -> None:
    """The displayed table: each cell where the publication puts it; every hidden cell
    reads « s » and is an empty cell (NaN) in the data the browser receives."""
    assert at.selectbox(key="obs_table").value == truth.spec.name
    frames = table_frames(at)
    assert len(frames) == 1
    raw, view = frames[0].value, displayed(frames[0])
    assert raw.shape == view.shape == (len(raw), len(raw.columns))
    assert len(truth.hidden) > 0, "choose a table with hidden cells"
    seen = set()
    for c, true, _ in truth.cells:
        row, column = locate(raw, truth.spec, c)
        seen.add((row, column))
        if c.value is None:
            assert view.at[row, column] == "s", (c, true, view.at[row, column])
        else:
            assert plain(view.at[row, column]) == shown(c.value, truth.spec.indicator)
    # any other position of the table holds no number at all (see the xfail on extra rows)
    others = [(r, col) for r in range(len(raw)) for col in value_columns(raw, truth.spec)
              if (r, col) not in seen]
    assert all(pd.isna(raw.at[r, col]) for r, col in others)
    hidden = len(truth.hidden)
    assert any(t.startswith(f"{hidden} case(s) masquée(s) (« s »).") for t in texts(at.caption))


def numbers_in(frame: pd.DataFrame) -> set[float]:
    out = set()
    for value in frame.to_numpy().ravel():
        if isinstance(value, int | float | Decimal) and not pd.isna(value):
            out.add(float(value))
    return out


# ---------------------------------------------------------------- regional readers
@pytest.mark.parametrize("role", REGIONAL)
def test_regional_readers_see_the_region(demo, role):
    # the admin's audit solves an LP over the whole family of the table shown: a table
    # of a small family keeps the test short (see the report on the audit's cost)
    state = {"obs_table": "stock_pacea"} if role == "admin" else {}
    at = open_page(role, **state)
    assert_no_error(at)
    pub = publication(demo, EXTRACT)
    assert f"**{pub.period.label}**" in texts(at.markdown)[0]
    assert coverage(at) == (pub.covered, len(pub.coverage)) == (36, 39)
    assert {k: plain(v) for k, v in metrics(at).items()} == key_figures(pub, "region")
    assert [m.label for m in at.metric] == list(key_figures(pub, "region"))
    assert not texts(at.info), texts(at.info)  # no "vos données": not an ml account
    assert at.selectbox(key="obs_table").options == [
        TABLES_BY_NAME[n].title for n in pub.tables]
    # the map section, drawn from the départements of the region
    assert "Carte par département" in texts(at.subheader)
    assert {"obs_map", "obs_month_chart"} <= chart_keys(at)
    departements = {c.code for c in pub.tables["jeunes_accompagnes"].cells
                    if c.level == "departement"}
    fills = [t for t in chart(at, "obs_map")["data"] if t.get("fill") == "toself"]
    assert len(fills) == len(departements) == 12

    audits = [e for e in at.expander if e.label == AUDIT]
    if role == "admin":
        assert len(audits) == 1
        summary = [f.value for f in audits[0].dataframe if "Cases recalculables" in f.value]
        assert len(summary) == 1
        assert len(summary[0]) == len(queries.FAMILY_MEASURES)
        assert summary[0]["Cases recalculables"].tolist() == ["0"] * len(summary[0])
    else:
        assert audits == []
        assert not [f for f in at.dataframe if "Cases recalculables" in f.value
                    or "Valeur réelle" in f.value]

    # a month: the page follows, the map stays
    choose_period(at)
    june = publication(demo, JUNE)
    assert coverage(at) == (june.covered, len(june.coverage)) == (39, 39)
    assert {k: plain(v) for k, v in metrics(at).items()} == key_figures(june, "region")
    assert "Carte par département" in texts(at.subheader)
    assert "obs_map" in chart_keys(at)
    assert at.selectbox(key="obs_table").options == [
        TABLES_BY_NAME[n].title for n in june.tables]
    if role == "admin":
        assert at.selectbox(key="obs_table").value == "stock_pacea"
        audit = next(e for e in at.expander if e.label == AUDIT)
        summary = next(f.value for f in audit.dataframe if "Cases recalculables" in f.value)
        assert set(summary["Cases recalculables"]) == {"0"}


# ---------------------------------------------------------------- the ml account
def test_ml_account_sees_its_own_figures(demo):
    at = open_page("ml")
    own = publication(demo, EXTRACT, ml_code=DEMO_ML_CODE)
    region = publication(demo, EXTRACT)
    assert any("ce sont vos données" in t for t in texts(at.info)), texts(at.info)
    assert coverage(at) == (own.covered, len(own.coverage))
    # its own mission locale, in full: the publication of its own view, level ml
    expected = key_figures(own, "ml", DEMO_ML_CODE)
    assert {k: plain(v) for k, v in metrics(at).items()} == expected
    assert "s" not in expected.values()  # its own cells are never hidden
    assert plain(metrics(at)["Jeunes accompagnés"]) == shown(
        cell(own, "jeunes_accompagnes", "ml", DEMO_ML_CODE).value, "jeunes_accompagnes")
    # beside it, the region as every reader sees it
    helps = {m.label: plain(m.help) for m in at.metric}
    assert helps == {label: f"Votre mission locale. Région : {value}."
                     for label, value in key_figures(region, "region").items()}
    # only its own mission locale's cells: no other ML, its département only
    for table in own.tables.values():
        assert {c.code for c in table.cells if c.level == "ml"} <= {DEMO_ML_CODE}
        if not table.spec.residence:
            assert {c.code for c in table.cells if c.level == "departement"} <= {"33"}
    assert "Carte par département" not in texts(at.subheader)
    assert "obs_map" not in chart_keys(at)
    assert "obs_map_indicator" not in [s.key for s in at.selectbox]
    assert not [e for e in at.expander if e.label == AUDIT]


def test_ml_account_page_renders_on_the_default_period(demo):
    at = open_page("ml")
    assert_no_error(at)
    assert "Tableaux" in texts(at.subheader)


def test_ml_account_on_a_month_has_no_map(demo):
    at = open_page("ml", obs_grain="mois")
    choose_period(at)
    assert any("ce sont vos données" in t for t in texts(at.info)), texts(at.info)
    assert "Carte par département" not in texts(at.subheader)
    assert "obs_map" not in chart_keys(at)
    region = publication(demo, JUNE)
    helps = {m.label: plain(m.help) for m in at.metric}
    assert helps == {label: "Votre département (les mois et trimestres sont publiés par "
                     f"département). Région : {value}."
                     for label, value in key_figures(region, "region").items()}


def test_ml_account_own_figure_on_a_month_is_not_shown_as_secret(demo):
    own = publication(demo, JUNE, ml_code=DEMO_ML_CODE)
    assert cell(own, "jeunes_accompagnes", "ml", DEMO_ML_CODE) is None  # not published
    at = open_page("ml", obs_grain="mois")
    choose_period(at)
    assert metrics(at)["Jeunes accompagnés"] != "s"


# ---------------------------------------------------------------- no hidden value
@pytest.mark.parametrize(("role", "grain", "table"), [
    ("copil", "extraction", "jeunes_accompagnes_par_sexe_tranche_age"),
    ("copil", "extraction", "premiers_accueils_par_logement"),
    ("copil", "mois", "stock_cej"),
    # the ml account's own view: its own cells in full, its département's and the region's
    # protected (a quarter: the default period's page fails for it, see the xfail above)
    ("ml", "trimestre", "stock_cej_par_tranche_age"),
])
def test_no_hidden_value_reaches_the_page(demo, role, grain, table):
    label, period = PERIODS[grain]
    at = open_page(role, obs_table=table, obs_grain=grain)
    if grain == "extraction":
        assert_no_error(at)
        assert texts(at.markdown)[0].startswith(f"**{label}**")
    else:
        choose_period(at, grain, label)
    ml_code = DEMO_ML_CODE if role == "ml" else None
    truth = Truth(demo, period, table, ml_code)
    assert_table_protected(at, truth)

    # no dataframe of the page holds a hidden true value in a hidden position: hidden
    # positions are empty; and the numbers it does hold are the published ones
    published = {float(c.value) for c, _, _ in truth.cells if c.value is not None}
    assert numbers_in(table_frames(at)[0].value) <= published
    # the other dataframes: the admin's audit only (not shown to these readers)
    assert len(at.dataframe) == 1

    if role == "ml":
        return
    # the map of the default indicator: hidden départements grey, « s », no number
    counts = publication(demo, period)
    deps = {c.code: c for c in counts.tables["jeunes_accompagnes"].cells
            if c.level == "departement"}
    assert at.selectbox(key="obs_map_indicator").value == "jeunes_accompagnes"
    spec = chart(at, "obs_map")
    traces = {t["name"].split(" : ")[0]: t for t in spec["data"] if t.get("fill") == "toself"}
    assert len(traces) == len(deps)
    map_table = data_table(at, "carte par département")
    hidden_deps = 0
    for code, c in deps.items():
        name = f"{queries.DEPARTEMENT_NAMES[code]} ({code})"
        trace = traces[name]
        if c.value is None:
            hidden_deps += 1
            assert trace["text"] == f"{name} : s — secret statistique"
            assert trace["fillcolor"] == HIDDEN_COLOUR
            assert map_table.loc[name].iloc[0] == "s"
        else:
            assert plain(trace["text"]) == f"{name} : {shown(c.value, 'jeunes_accompagnes')}"
            assert plain(map_table.loc[name].iloc[0]) == shown(c.value, "jeunes_accompagnes")
    grey = [t for t in texts(at.caption) if "en gris : secret statistique" in t]
    assert [t.split(" département(s)")[0] for t in grey] == (
        [str(hidden_deps)] if hidden_deps else [])
    scales = [t for t in spec["data"] if t.get("marker", {}).get("showscale")]
    for trace in scales:  # the colour bar holds the published extremes only
        values = {c.value for c in deps.values() if c.value is not None}
        assert set(_array(trace["marker"]["color"])) == {min(values), max(values)}

    # the monthly chart of the extract: hidden months out of the chart, « s » in its table
    if grain == "extraction":
        months = [c for c in counts.tables["jeunes_accompagnes_par_mois"].cells
                  if c.level == "region" and c.dims[0][1] != "Total"]
        trace = chart(at, "obs_month_chart")["data"]
        assert len(trace) == 1
        ys = _array(trace[0]["y"])
        assert len(ys) == len(months) == 9
        table = data_table(at, "Jeunes accompagnés par mois")
        for y, c, (_, row) in zip(ys, months, table.iterrows(), strict=True):
            if c.value is None:
                assert y is None or (isinstance(y, float) and math.isnan(y))
                assert row.iloc[0] == "s"
            else:
                assert y == c.value
                assert plain(row.iloc[0]) == shown(c.value, "jeunes_accompagnes")


@pytest.mark.parametrize("table", ["premiers_accueils_par_logement",
                                   "jeunes_accompagnes_par_sexe_tranche_age"])
def test_breakdown_tables_have_one_row_per_territory(demo, table):
    at = open_page("copil", obs_table=table)
    truth = Truth(demo, EXTRACT, table)
    rows = {(LEVELS[c.level], f"{c.label} ({c.code})")
            + ((queries.dimension_label(*c.dims[0]),) if len(c.dims) == 2 else ())
            for c, _, _ in truth.cells}
    raw = table_frames(at)[0].value
    assert len(raw) == len(rows)


def test_two_way_table_heads_its_first_breakdown_in_french(demo):
    at = open_page("copil", obs_table="jeunes_accompagnes_par_sexe_tranche_age")
    assert list(table_frames(at)[0].value.columns[:3]) == ["Niveau", "Territoire", "Sexe"]


# ---------------------------------------------------------------- no data at all
def test_no_import_shows_the_empty_state(dash):
    """Runs last: ``dash`` empties the database (``demo`` rebuilds it if needed)."""
    at = signed_in(dash, "copil")
    at.switch_page(PAGE).run()
    assert_no_error(at)
    assert TITLE in texts(at.title)
    assert any("Aucune extraction Parcours n'a encore été importée" in t
               for t in texts(at.info)), texts(at.info)
    assert not at.metric
    assert not plotly_charts(at)
    assert not at.dataframe
