"""Choropleth of départements drawn offline, as filled polygons on plain cartesian axes.

Plotly's geo traces (``go.Choropleth``, ``px.choropleth``, ``scattergeo``, the map/mapbox
family) fetch a base map from a CDN whenever they draw; the dashboard must work with the
network unplugged. So each département is a ``go.Scatter(fill="toself")`` on equal-aspect
axes, projected in Python (x = lon·cos 46.5°, y = lat: true shapes at France's latitude),
from boundaries shipped in ``dashboard/geo/`` (see SOURCE.md there for origin and licence).

Statistical secrecy: a hidden cell arrives here as ``None`` and is drawn grey; its value
never enters the figure (no ``customdata``, no hidden number in the JSON sent to the browser).
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Callable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

import plotly.colors as pcolors
import plotly.graph_objects as go

log = logging.getLogger(__name__)

GEOJSON_PATH: Path = Path(__file__).resolve().parent / "geo" / "departements-metropole.geojson"
# Licence Ouverte requires attribution: the caller shows this under every map (st.caption).
CAPTION = "Fond de carte : IGN – ADMIN EXPRESS COG 2018 (via france-geojson), Licence Ouverte"
HIDDEN_COLOUR = "#c8c8c8"

# cos(46.5°): one degree of longitude at mid-France latitude, in degrees of latitude.
_KX = math.cos(math.radians(46.5))
# The palette's lightest end is near-white and would vanish on the white background.
_PALETTE = "Blues"
_LOW, _HIGH = 0.2, 1.0
_BORDER = "#ffffff"

Ring = tuple[tuple[float, float], ...]  # (lon, lat) points, closed


class Departement(NamedTuple):
    """One département: INSEE code, name, and its rings in lon/lat.

    Exterior rings run clockwise and holes (enclaves) counter-clockwise, whatever the file
    says: the SVG fill rule is nonzero, so only opposite windings leave the enclaves empty.
    """

    code: str
    nom: str
    rings: tuple[Ring, ...]


def _signed_area(ring: Ring) -> float:
    """Shoelace area in lon/lat: positive when counter-clockwise."""
    return 0.5 * sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(ring, ring[1:], strict=False))


def _ring(coords: list, *, exterior: bool) -> Ring:
    points = tuple((float(lon), float(lat)) for lon, lat, *_ in coords)
    if len(points) < 3:
        raise ValueError("ring with fewer than 3 points")
    if points[0] != points[-1]:
        points = (*points, points[0])
    clockwise = _signed_area(points) < 0
    return points if clockwise == exterior else points[::-1]


def _rings(geometry: Mapping) -> tuple[Ring, ...]:
    kind = geometry["type"]
    if kind == "Polygon":
        polygons = [geometry["coordinates"]]
    elif kind == "MultiPolygon":
        polygons = geometry["coordinates"]
    else:
        raise ValueError(f"unsupported geometry {kind!r}")
    return tuple(_ring(ring, exterior=i == 0)
                 for polygon in polygons for i, ring in enumerate(polygon))


@lru_cache(maxsize=4)
def load_departements(path: Path = GEOJSON_PATH) -> dict[str, Departement] | None:
    """Code → département, or None when the file is missing or unreadable.

    None lets the page fall back to the table instead of failing. The result is cached for
    the process (the file ships with the code): treat it as read-only.
    """
    try:
        collection = json.loads(Path(path).read_text(encoding="utf-8"))
        layer: dict[str, Departement] = {}
        for feature in collection["features"]:
            props = feature["properties"]
            code = str(props["code"]).strip().upper()
            layer[code] = Departement(code, str(props["nom"]), _rings(feature["geometry"]))
    except (OSError, ValueError, KeyError, TypeError, IndexError) as exc:
        log.warning("Département boundaries unavailable (%s): %s", path, exc)
        return None
    return layer or None


def _normalise(code: object) -> str:
    """'1' and 1 → '01', '2a' → '2A': callers hold codes from several sources."""
    text = str(code).strip().upper()
    return text.zfill(2) if text.isdigit() and len(text) < 2 else text


def _is_hidden(value: int | float | None) -> bool:
    """None, NaN or pandas' NA: drawn as hidden, never as a number."""
    if value is None:
        return True
    try:
        return math.isnan(value)
    except TypeError:  # pd.NA and other non-numbers: nothing publishable
        return True


def _project(ring: Ring) -> tuple[list[float], list[float]]:
    return [round(lon * _KX, 5) for lon, _ in ring], [lat for _, lat in ring]


def _label_point(dep: Departement) -> tuple[float, float]:
    """Area centroid of the largest ring (the mainland part, not an island), projected."""
    xs, ys = _project(max(dep.rings, key=lambda r: abs(_signed_area(r))))
    edges = list(zip(zip(xs, ys, strict=True), zip(xs[1:], ys[1:], strict=True), strict=False))
    cross = [x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in edges]
    area = 0.5 * sum(cross)
    if abs(area) < 1e-12:  # degenerate ring: the mean of its points will do
        return sum(xs) / len(xs), sum(ys) / len(ys)
    cx = sum((x0 + x1) * c for ((x0, _), (x1, _)), c in zip(edges, cross, strict=True))
    cy = sum((y0 + y1) * c for ((_, y0), (_, y1)), c in zip(edges, cross, strict=True))
    return cx / (6 * area), cy / (6 * area)


def _colour_at(t: float) -> str:
    return pcolors.sample_colorscale(_PALETTE, [_LOW + (_HIGH - _LOW) * t])[0]


def _text_colour(fill: str) -> str:
    """Dark or white label, whichever reads on the fill (luminance of the fill)."""
    rgb = (pcolors.hex_to_rgb(fill) if fill.startswith("#")
           else pcolors.unlabel_rgb(fill))
    r, g, b = (c / 255 for c in rgb)
    return "#ffffff" if 0.2126 * r + 0.7152 * g + 0.0722 * b < 0.5 else "#1a1a1a"


def departement_map(values: Mapping[str, int | float | None], *, value_label: str,
                    fmt: Callable[[float], str], path: Path = GEOJSON_PATH) -> go.Figure | None:
    """A choropleth of the départements in ``values`` (code → published value, None = secret).

    Only those départements are drawn and the view fits them. Hover texts are built here with
    ``fmt`` (French formatting is the caller's). None when the boundaries are unavailable or no
    code of ``values`` is in the layer: the page then shows its table alone. The caller sets
    the title and shows ``CAPTION`` under the map.
    """
    layer = load_departements(path)
    if layer is None:
        return None
    shown_deps: dict[str, tuple[Departement, int | float | None]] = {}
    for code, value in values.items():
        dep = layer.get(_normalise(code))
        if dep is not None:
            shown_deps[dep.code] = (dep, None if _is_hidden(value) else value)
    if not shown_deps:
        return None
    drawn = list(shown_deps.values())

    published = [v for _, v in drawn if v is not None]
    vmin, vmax = (min(published), max(published)) if published else (0, 0)

    def colour(value: int | float | None) -> str:
        if value is None:
            return HIDDEN_COLOUR
        return _colour_at((value - vmin) / (vmax - vmin) if vmax > vmin else 1.0)

    fig = go.Figure()
    xs_all: list[float] = []
    ys_all: list[float] = []
    labels: list[tuple[float, float, str, str]] = []
    for dep, value in drawn:
        xs: list[float | None] = []
        ys: list[float | None] = []
        for ring in dep.rings:
            rx, ry = _project(ring)
            xs += [*rx, None]
            ys += [*ry, None]
            xs_all += rx
            ys_all += ry
        shown = "s — secret statistique" if value is None else fmt(value)
        hover = f"{dep.nom} ({dep.code}) : {shown}"
        fill = colour(value)
        # For fills, Plotly's hover shows the trace's scalar `text` (or its name): per trace.
        fig.add_trace(go.Scatter(
            x=xs[:-1], y=ys[:-1], mode="lines", fill="toself", fillcolor=fill,
            line={"color": _BORDER, "width": 0.8}, hoveron="fills", hoverinfo="text",
            text=hover, name=hover, showlegend=False))
        labels.append((*_label_point(dep), dep.code, _text_colour(fill)))

    fig.add_trace(go.Scatter(
        x=[x for x, *_ in labels], y=[y for _, y, *_ in labels], mode="text",
        text=[code for *_, code, _ in labels],
        textfont={"size": 10, "color": [c for *_, c in labels]},
        hoverinfo="skip", showlegend=False))

    if vmax > vmin:
        # Colour bar: an invisible marker trace holding only the published min and max (one
        # distinct value needs no scale: the hover and the page's table give it).
        fig.add_trace(go.Scatter(
            x=[labels[0][0]] * 2, y=[labels[0][1]] * 2, mode="markers",
            marker={"color": [vmin, vmax], "cmin": vmin, "cmax": vmax, "opacity": 0, "size": 1,
                    "colorscale": [[i / 10, _colour_at(i / 10)] for i in range(11)],
                    "showscale": True,
                    "colorbar": {"title": {"text": value_label, "side": "top"},
                                 "tickvals": [vmin, vmax], "ticktext": [fmt(vmin), fmt(vmax)],
                                 "thickness": 14, "len": 0.6, "outlinewidth": 0}},
            hoverinfo="skip", showlegend=False))

    pad_x = 0.03 * (max(xs_all) - min(xs_all))
    pad_y = 0.03 * (max(ys_all) - min(ys_all))
    axis = {"visible": False, "showgrid": False, "zeroline": False, "showticklabels": False,
            "fixedrange": True}
    fig.update_layout(
        xaxis={**axis, "range": [min(xs_all) - pad_x, max(xs_all) + pad_x]},
        yaxis={**axis, "range": [min(ys_all) - pad_y, max(ys_all) + pad_y],
               "scaleanchor": "x", "scaleratio": 1},
        plot_bgcolor="#ffffff", paper_bgcolor="#ffffff", height=520, showlegend=False,
        margin={"l": 10, "r": 10, "t": 40, "b": 10}, dragmode=False, hovermode="closest",
        separators=", ",
        # A fixed map: only the "download as PNG" button stays in the modebar.
        modebar={"remove": ["zoom", "pan", "select", "lasso", "zoomin", "zoomout", "autoscale",
                            "resetscale", "togglespikelines", "togglehover", "hovercompare"]},
    )
    return fig
