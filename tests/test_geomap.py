"""The offline département map: no CDN-backed trace, no secret value in the figure."""

from __future__ import annotations

import json
import math
from pathlib import Path

import plotly.graph_objects as go
import pytest

from dashboard.geomap import (
    CAPTION,
    GEOJSON_PATH,
    HIDDEN_COLOUR,
    departement_map,
    load_departements,
)
from models.formatting import format_number

NOUVELLE_AQUITAINE = ["16", "17", "19", "23", "24", "33", "40", "47", "64", "79", "86", "87"]
# True values of the two hidden cells: distinctive numbers only this test knows.
SECRET = {"23": 7_919_313, "47": 9_424_061}
PUBLISHED = {"16": 412, "17": 1_035, "19": 288, "24": 530, "33": 3_402, "40": 615,
             "64": 1_208, "79": 477, "86": 802, "87": 951}
CDN_TRACES = {"choropleth", "choroplethmap", "choroplethmapbox", "scattergeo", "scattermap",
              "scattermapbox", "densitymap", "densitymapbox"}


def _values() -> dict[str, int | None]:
    """What the page would pass after secrecy: hidden cells are None."""
    return {code: (None if code in SECRET else PUBLISHED[code]) for code in NOUVELLE_AQUITAINE}


def _map(values: dict[str, int | float | None] | None = None, **kwargs) -> go.Figure:
    fig = departement_map(_values() if values is None else values,
                          value_label="Jeunes accompagnés", fmt=format_number, **kwargs)
    assert fig is not None
    return fig


def _fills(fig: go.Figure) -> list[go.Scatter]:
    return [t for t in fig.data if getattr(t, "fill", None) == "toself"]


def _numbers(node: object) -> list[float]:
    """Every number in a JSON document, wherever it sits."""
    if isinstance(node, bool):
        return []
    if isinstance(node, int | float):
        return [node]
    if isinstance(node, dict):
        return [n for v in node.values() for n in _numbers(v)]
    if isinstance(node, list):
        return [n for v in node for n in _numbers(v)]
    return []


def test_hidden_values_never_reach_the_figure() -> None:
    raw = _map().to_json()
    assert "customdata" not in raw
    for secret in SECRET.values():
        assert str(secret) not in raw
        assert format_number(secret) not in raw
        assert json.dumps(format_number(secret))[1:-1] not in raw  # as escaped in the JSON
    assert not set(_numbers(json.loads(raw))) & set(SECRET.values())
    # The check would catch a leak: published values do show up, formatted, in the hovers.
    assert json.dumps(format_number(PUBLISHED["33"]))[1:-1] in raw


def test_hidden_departements_say_secret_in_their_hover() -> None:
    hovers = {t.text for t in _fills(_map())}
    assert "Creuse (23) : s — secret statistique" in hovers
    assert "Lot-et-Garonne (47) : s — secret statistique" in hovers
    assert f"Gironde (33) : {format_number(3_402)}" in hovers
    for trace in _fills(_map()):
        assert trace.hoveron == "fills" and trace.hoverinfo == "text"


def test_colour_bar_carries_only_published_values() -> None:
    bars = [t for t in _map().data if t.marker is not None and t.marker.showscale]
    assert len(bars) == 1
    bar = bars[0]
    assert list(bar.marker.color) == [min(PUBLISHED.values()), max(PUBLISHED.values())]
    assert bar.marker.opacity == 0 and bar.hoverinfo == "skip"
    assert bar.marker.colorbar.title.text == "Jeunes accompagnés"
    assert list(bar.marker.colorbar.ticktext) == [format_number(288), format_number(3_402)]


def test_no_trace_or_subplot_that_downloads_a_base_map() -> None:
    fig = _map()
    assert {t.type for t in fig.data} == {"scatter"}
    assert not {t.type for t in fig.data} & CDN_TRACES
    layout = fig.layout.to_plotly_json()
    # The default template mentions geo/mapbox styling, but no subplot of that kind exists.
    assert not [key for key in layout if key.startswith(("geo", "mapbox", "map"))]
    assert fig.layout.yaxis.scaleanchor == "x"
    assert fig.layout.dragmode is False
    assert fig.layout.xaxis.visible is False and fig.layout.yaxis.visible is False


def test_grey_is_used_exactly_for_hidden_departements() -> None:
    fills = _fills(_map())
    assert len(fills) == len(NOUVELLE_AQUITAINE)
    grey = {t.text.split(" (")[1][:2] for t in fills if t.fillcolor == HIDDEN_COLOUR}
    assert grey == set(SECRET)
    assert HIDDEN_COLOUR not in {t.fillcolor for t in fills if "secret" not in t.text}


def test_higher_values_are_darker() -> None:
    def luminance(rgb: str) -> float:
        r, g, b = (int(c) for c in rgb[4:-1].split(","))
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    colour = {t.text.split(" (")[1][:2]: t.fillcolor for t in _fills(_map())}
    ranked = sorted(PUBLISHED, key=PUBLISHED.get)
    shades = [luminance(colour[code]) for code in ranked]
    assert shades == sorted(shades, reverse=True)


def test_only_the_given_departements_are_drawn_and_the_view_fits_them() -> None:
    fig = _map({"33": 10, "40": 20, "971": 5})  # Guadeloupe is not in the layer: skipped
    assert len(_fills(fig)) == 2
    x0, x1 = fig.layout.xaxis.range
    y0, y1 = fig.layout.yaxis.range
    assert 43.3 < y0 < 43.6 and 45.6 < y1 < 45.8  # Landes' south to Gironde's north
    assert x0 < -1.26 * math.cos(math.radians(46.5)) and x1 < 0.5


def test_no_known_code_or_no_boundaries_gives_none(tmp_path: Path) -> None:
    assert departement_map({"971": 3}, value_label="x", fmt=format_number) is None
    missing = tmp_path / "absent.geojson"
    assert load_departements(missing) is None
    assert departement_map(_values(), value_label="x", fmt=format_number, path=missing) is None
    broken = tmp_path / "broken.geojson"
    broken.write_text('{"type": "FeatureCollection", "features": [', encoding="utf-8")
    assert load_departements(broken) is None


def test_corsica_codes_load() -> None:
    layer = load_departements()
    assert layer is not None and len(layer) == 96
    assert layer["2A"].nom == "Corse-du-Sud" and layer["2B"].nom == "Haute-Corse"
    fig = _map({"2a": 4, "2B": None})
    assert {t.text for t in _fills(fig)} == {"Corse-du-Sud (2A) : 4",
                                              "Haute-Corse (2B) : s — secret statistique"}


def test_enclaves_are_wound_against_their_exterior() -> None:
    """Nonzero fill: the Hautes-Pyrénées enclaves stay empty in Pyrénées-Atlantiques."""
    layer = load_departements()
    assert layer is not None

    def area(ring: tuple[tuple[float, float], ...]) -> float:
        return sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(ring, ring[1:], strict=False))

    signs = [area(ring) > 0 for ring in layer["64"].rings]
    assert signs[0] is False and signs[1:] == [True, True]  # exterior clockwise, 2 holes


@pytest.mark.parametrize("value", [None, float("nan")])
def test_missing_value_is_drawn_as_hidden(value: float | None) -> None:
    fig = _map({"33": 5, "40": value})
    colours = {t.text: t.fillcolor for t in _fills(fig)}
    assert colours["Landes (40) : s — secret statistique"] == HIDDEN_COLOUR


def test_source_and_caption_ship_with_the_boundaries() -> None:
    source = (GEOJSON_PATH.parent / "SOURCE.md").read_text(encoding="utf-8")
    assert "Licence Ouverte" in source and CAPTION in source
