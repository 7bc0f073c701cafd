"""Observatory tables as files: long-format CSV, XLSX with a methodology sheet, a folder.

One format for every way out (page downloads, the CLI's catalogue folder): one row per
cell, ``tableau;indicateur;niveau_geo;code_geo;dim1;modalite1;dim2;modalite2;valeur``,
hidden cells as « s ». Values come only from ``queries.publication``, so nothing here
can leak a hidden figure.
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import clock
from models.formatting import format_date, format_datetime
from models.observatory.catalogue import INDICATORS, NON_RENSEIGNE
from models.observatory.queries import Publication, PublishedTable, dimension_label
from models.parcours.orm import CharterVersion, ParcoursExtract

HEADER = ("tableau", "indicateur", "niveau_geo", "code_geo", "dim1", "modalite1", "dim2",
          "modalite2", "valeur")
HIDDEN = "s"  # « s » : secret statistique


def value_text(value: int | Decimal | None) -> str:
    """The exported value: an integer, a decimal with a point (intensité), or « s »."""
    if value is None:
        return HIDDEN
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(int(value))


def long_rows(table: PublishedTable) -> list[list[str]]:
    rows = []
    for cell in table.cells:
        dims = list(cell.dims) + [("", "")] * (2 - len(cell.dims))
        rows.append([table.spec.name, table.spec.indicator, cell.level, cell.code,
                     dims[0][0], dims[0][1], dims[1][0], dims[1][1], value_text(cell.value)])
    return rows


def table_csv(table: PublishedTable) -> str:
    """Semicolon-separated, UTF-8 with BOM (French Excel opens it as is)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(HEADER)
    writer.writerows(long_rows(table))
    return "\ufeff" + buffer.getvalue()


def methodology(session: Session, pub: Publication) -> list[tuple[str, str]]:
    """(heading, text) lines: definitions, threshold, period, extracts and charter."""
    extract_ids = [c.extract_id for c in pub.coverage if c.extract_id is not None]
    charters = sorted({f"version {number} ({label})" for number, label in session.execute(
        select(CharterVersion.number, CharterVersion.label)
        .join(ParcoursExtract, ParcoursExtract.charter_version_id == CharterVersion.id)
        .where(ParcoursExtract.id.in_(extract_ids or [-1])))})
    lines: list[tuple[str, str]] = [
        ("Source", "Extractions Parcours / i-milo des missions locales, importées et "
                   "contrôlées par l'ARML (Animaréseau)."),
        ("Période", f"{pub.period.label} (du {format_date(pub.period.start)} au "
                    f"{format_date(pub.period.end)})"),
        ("Édité le", format_datetime(clock.now())),
        ("Couverture", f"{pub.covered} missions locales sur {len(pub.coverage)} ont une "
                       "extraction couvrant la période ; les autres ne sont pas comptées "
                       "(ni comme zéro, ni dans les totaux)."),
        ("Unité de compte", "Un jeune par mission locale : un jeune suivi par deux missions "
                            "locales compte dans chacune. Le département (de la mission "
                            "locale) et la région sont la somme de leurs missions locales. Le "
                            "tableau par département de résidence est à part : il classe les "
                            "jeunes selon la commune déclarée."),
        ("Secret statistique", f"Seuil k = {pub.k}. Toute case comptant de 1 à {pub.k - 1} "
                               "jeunes est masquée (« s », secret primaire), ainsi que les "
                               "cases qui permettraient de la retrouver par différence avec "
                               "les totaux publiés (secret secondaire), sur l'ensemble des "
                               "tableaux de l'année (mois, trimestres, semestres, tableaux "
                               "par sexe et par âge qui partagent leurs totaux). Un contrôle "
                               "algébrique vérifie qu'aucune case masquée n'est calculable. "
                               "Les cases à zéro sont publiées."),
        ("Non renseigné", "Chaque ventilation a une modalité « non renseigné » "
                          f"({NON_RENSEIGNE}) : valeur absente ou hors nomenclature ; les "
                          "moins de 16 ans en fin de période (donnée incohérente) y sont "
                          "comptés pour l'âge. Les tableaux sont ainsi additifs."),
        ("Âge", "Âge atteint le dernier jour de la période (année et mois de naissance)."),
        ("Niveau de formation", "Infra-bac : niveaux 1 à 3 (VI, V bis, V) ; bac : 4 (IV) ; "
                                "post-bac : 5 à 8 (III, II, I)."),
    ]
    for indicator in INDICATORS.values():
        lines.append((indicator.label + f" ({indicator.code})",
                      indicator.definition.format(jdi=pub.jdi_months)))
    lines.append(("Charte de saisie", ", ".join(charters) or "—"))
    for line in pub.coverage:
        if line.extract_id is None:
            lines.append((f"Extraction {line.code}", f"{line.name} : aucune extraction ne "
                                                     "couvre la période."))
        else:
            lines.append((f"Extraction {line.code}",
                          f"{line.name} : du {format_date(line.extract_start)} au "
                          f"{format_date(line.extract_end)}, importée le "
                          f"{format_datetime(line.activated_at)}"))
    return lines


def methodology_text(session: Session, pub: Publication) -> str:
    return "\n".join(f"{head} : {text}" for head, text in methodology(session, pub)) + "\n"


def tables_xlsx(session: Session, pub: Publication, tables: list[PublishedTable]) -> bytes:
    """The tables (one sheet each, long format, « s » kept) and a methodology sheet."""
    wb = Workbook()
    first = wb.active
    wb.remove(first)
    bold = Font(bold=True)
    for table in tables:
        ws = wb.create_sheet(_sheet_name(table.spec.name, wb.sheetnames))
        ws.append([table.spec.title + " — " + pub.period.label])
        ws["A1"].font = bold
        ws.append(["Niveau", "Code", "Libellé", "Ventilation 1", "Modalité 1",
                   "Ventilation 2", "Modalité 2", "Valeur"])
        for cell in ws[2]:
            cell.font = bold
        for cell in table.cells:
            dims = list(cell.dims) + [("", "")] * (2 - len(cell.dims))
            value: object = HIDDEN if cell.value is None else (
                float(cell.value) if isinstance(cell.value, Decimal) else int(cell.value))
            ws.append([cell.level, cell.code, cell.label, dims[0][0],
                       dimension_label(dims[0][0], dims[0][1]) if dims[0][0] else "",
                       dims[1][0], dimension_label(dims[1][0], dims[1][1]) if dims[1][0]
                       else "", value])
        ws.column_dimensions["C"].width = 44
    ws = wb.create_sheet("Méthodologie")
    ws.append(["Méthodologie de l'observatoire régional"])
    ws["A1"].font = bold
    for head, text in methodology(session, pub):
        ws.append([head, text])
    ws.column_dimensions["A"].width = 32
    ws.column_dimensions["B"].width = 120
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _sheet_name(name: str, taken: list[str]) -> str:
    base = name[:31]
    candidate, n = base, 2
    while candidate in taken:
        suffix = f"~{n}"
        candidate = base[:31 - len(suffix)] + suffix
        n += 1
    return candidate


def write_catalogue(session: Session, pub: Publication, folder: Path) -> list[Path]:
    """Every table of the period as ``<tableau>.csv`` plus ``methodologie.txt``."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, table in sorted(pub.tables.items()):
        path = folder / f"{name}.csv"
        path.write_text(table_csv(table), encoding="utf-8", newline="")
        written.append(path)
    notes = folder / "methodologie.txt"
    notes.write_text(methodology_text(session, pub), encoding="utf-8")
    written.append(notes)
    return written
