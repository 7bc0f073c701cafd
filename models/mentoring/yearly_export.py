"""The yearly table as rows of a file (CSV, XLSX through ``models.spreadsheet``): one
line per indicator, one column per mission locale and the region, hidden cells as « s »,
nothing to compute as an empty cell. Values come only from ``yearly.yearly_table``, so
a file holds exactly the protected cells of the page."""

from __future__ import annotations

from decimal import Decimal

from models.mentoring.yearly import YearlyTable
from models.observatory.exports import HIDDEN

EXPORT_SHEET = "Parrainage"


def export_header(table: YearlyTable) -> list[str]:
    return ["Année", "Rubrique", "Indicateur", "Ventilation", "Modalité",
            *(f"{c.label} ({c.code})" if c.ml_id is not None else c.label
              for c in table.columns)]


def export_rows(table: YearlyTable) -> list[list[int | Decimal | str]]:
    rows: list[list[int | Decimal | str]] = []
    for row, cells in table.lines():
        values: list[int | Decimal | str] = [
            HIDDEN if c.hidden else ("" if c.value is None else c.value) for c in cells]
        rows.append([table.year, row.section_label, row.indicator, row.group or "",
                     row.label, *values])
    return rows


def legend(table: YearlyTable) -> str:
    return (f"« {HIDDEN} » : secret statistique (seuil k = {table.k}). Une case comptant de 1 "
            f"à {table.k - 1} personnes ou binômes est masquée, ainsi que les cases qui "
            "permettraient de la retrouver par différence (total de la région, totaux des "
            "ventilations) ; un taux, une moyenne ou une médiane calculé sur une case masquée "
            "l'est aussi.")
