"""The fixed catalogue of published observatory tables, as data.

Nothing outside this catalogue is ever computed for publication: each free filter would
be a new table that a reader could subtract from another one, and statistical secrecy
is only audited over the tables listed here. A table is an indicator × at most two
breakdowns × the period granularities it is published for; every table carries its
margins (modality ``Total``) and its three geography levels (mission locale,
département of the mission locale, region) — except the residence table, published by
département of residence and region.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date

#: Events of the last N months of the period make a young person "JDI" (setting default).
DEFAULT_JDI_MONTHS = 5

NON_RENSEIGNE = "non_renseigne"
TOTAL = "Total"


@dataclass(frozen=True)
class Indicator:
    code: str
    label: str
    definition: str
    #: the value of a period equals the sum of its months (premiers accueils: one date per
    #: person); "approx": nearly so (a person entering twice counts once in the year).
    time_additive: str = "non"  # "exact", "approx" or "non"
    ratio: bool = False


INDICATORS: dict[str, Indicator] = {i.code: i for i in (
    Indicator("jeunes_accompagnes", "Jeunes accompagnés",
              "Jeunes ayant au moins un événement (entretien, atelier, appel, courriel, "
              "visite…) daté dans la période."),
    Indicator("premiers_accueils", "Premiers accueils",
              "Jeunes dont la date de premier accueil à la mission locale est dans la "
              "période.", time_additive="exact"),
    Indicator("jdi", "Jeunes en demande d'insertion (JDI)",
              "Jeunes ayant au moins un événement daté dans les {jdi} derniers mois de la "
              "période (toute la période si elle est plus courte)."),
    Indicator("entrees_cej", "Entrées en CEJ",
              "Jeunes distincts entrés en contrat d'engagement jeune (date d'entrée dans la "
              "période).", time_additive="approx"),
    Indicator("entrees_pacea", "Entrées en PACEA",
              "Jeunes distincts entrés en PACEA (date d'entrée dans la période).",
              time_additive="approx"),
    Indicator("stock_cej", "Jeunes en CEJ en fin de période",
              "Jeunes ayant un CEJ commencé au plus tard le dernier jour de la période et "
              "non terminé ce jour-là (sans date de sortie ou sortie après)."),
    Indicator("stock_pacea", "Jeunes en PACEA en fin de période",
              "Jeunes ayant un PACEA commencé au plus tard le dernier jour de la période et "
              "non terminé ce jour-là (sans date de sortie ou sortie après)."),
    Indicator("situations_positives", "Situations positives démarrées",
              "Jeunes distincts ayant démarré dans la période une situation d'emploi (CDI, "
              "CDD, intérim, contrat aidé), d'alternance (apprentissage, contrat de "
              "professionnalisation) ou de formation.", time_additive="approx"),
    Indicator("intensite", "Intensité de l'accompagnement",
              "Nombre d'événements datés dans la période par jeune accompagné (événements ÷ "
              "jeunes accompagnés, arrondi au dixième). Masquée quand le nombre de jeunes "
              "accompagnés de la case l'est.", ratio=True),
)}

#: The counts stored per extract (intensité is computed from two of them).
STORED_MEASURES = ("jeunes_accompagnes", "premiers_accueils", "jdi", "entrees_cej",
                   "entrees_pacea", "stock_cej", "stock_pacea", "situations_positives",
                   "evenements")

POSITIVE_SITUATIONS = ("EMPLOI_CDI", "EMPLOI_CDD", "INTERIM", "CONTRAT_AIDE",
                       "APPRENTISSAGE", "CONTRAT_PRO", "FORMATION")


@dataclass(frozen=True)
class Dimension:
    code: str
    label: str
    modalities: tuple[tuple[str, str], ...]  # (code, label), "non renseigné" last

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(c for c, _ in self.modalities)

    def label_of(self, code: str) -> str:
        return dict(self.modalities).get(code, code)


_NR = (NON_RENSEIGNE, "Non renseigné")
_YES_NO = (("oui", "Oui"), ("non", "Non"), _NR)

DIMENSIONS: dict[str, Dimension] = {d.code: d for d in (
    Dimension("sexe", "Sexe", (("F", "Femmes"), ("H", "Hommes"), _NR)),
    Dimension("tranche_age", "Âge en fin de période",
              (("16_17", "16-17 ans"), ("18_21", "18-21 ans"), ("22_25", "22-25 ans"),
               ("26_plus", "26 ans et plus"), _NR)),
    Dimension("niveau", "Niveau de formation",
              (("infra_bac", "Infra-bac"), ("bac", "Bac"), ("post_bac", "Post-bac"), _NR)),
    Dimension("qpv", "Résidence en QPV", _YES_NO),
    Dimension("zrr", "Résidence en ZRR", _YES_NO),
    Dimension("logement", "Logement",
              (("parents", "Chez les parents"), ("autonome", "Logement autonome"),
               ("heberge", "Hébergé (famille, amis)"), ("foyer", "Foyer (FJT, CHRS…)"),
               ("sans", "Sans logement stable"), ("autre", "Autre"), _NR)),
    Dimension("permis_b", "Permis B", _YES_NO),
    # modalities filled per period ("2026-03"…) and per region (département codes)
    Dimension("mois", "Mois", ()),
    Dimension("residence", "Département de résidence", ()),
)}

GRANULARITIES = {"mois": "Mois", "trimestre": "Trimestre", "semestre": "Semestre",
                 "annee": "Année", "extraction": "Période de l'extraction"}
LONG = frozenset({"annee", "semestre", "extraction"})
SHORT = frozenset({"trimestre"})
ALL = frozenset(GRANULARITIES)


@dataclass(frozen=True)
class TableSpec:
    name: str
    indicator: str
    dims: tuple[str, ...]
    granularities: frozenset[str]

    @property
    def residence(self) -> bool:
        return self.dims == ("residence",)

    @property
    def title(self) -> str:
        label = INDICATORS[self.indicator].label
        if not self.dims:
            return label
        return label + " par " + " et ".join(
            DIMENSIONS[d].label[0].lower() + DIMENSIONS[d].label[1:] for d in self.dims)


def _tables() -> list[TableSpec]:
    person = ("sexe", "tranche_age", "niveau", "qpv", "zrr", "logement", "permis_b")
    by_indicator: dict[str, tuple[tuple[str, ...], ...]] = {
        "jeunes_accompagnes": (*((d,) for d in person), ("sexe", "tranche_age"), ("mois",),
                               ("residence",)),
        "premiers_accueils": (*((d,) for d in person[:6]), ("sexe", "tranche_age")),
        "jdi": tuple((d,) for d in person[:5]),
        "entrees_cej": (("sexe",), ("tranche_age",), ("niveau",), ("qpv",)),
        "entrees_pacea": (("sexe",), ("tranche_age",), ("niveau",), ("qpv",)),
        "stock_cej": (("sexe",), ("tranche_age",), ("mois",)),
        "stock_pacea": (("sexe",), ("tranche_age",), ("mois",)),
        "situations_positives": (("sexe",), ("tranche_age",), ("niveau",), ("qpv",)),
        "intensite": (("sexe",), ("tranche_age",), ("niveau",), ("qpv",), ("mois",)),
    }
    tables = []
    for indicator, dims_list in by_indicator.items():
        # flows that add up over time (premiers accueils, entries, situations started) are
        # published for long periods only: months and quarters would be parts of a published
        # whole, and linking them all makes the secrecy problem intractable (see README)
        flow = INDICATORS[indicator].time_additive != "non"
        whole = LONG if indicator == "jdi" or flow else ALL
        tables.append(TableSpec(indicator, indicator, (), whole))
        for dims in dims_list:
            grains = LONG
            if dims in (("sexe",), ("tranche_age",)) and indicator != "jdi" and not flow:
                grains = LONG | SHORT
            name = indicator + "_par_" + "_".join(dims)
            tables.append(TableSpec(name, indicator, dims, grains))
    return tables


TABLES: tuple[TableSpec, ...] = tuple(_tables())
TABLES_BY_NAME = {t.name: t for t in TABLES}


def tables_for(granularity: str, indicator: str | None = None) -> list[TableSpec]:
    return [t for t in TABLES if granularity in t.granularities
            and (indicator is None or t.indicator == indicator)]


def dim_combos(granularity: str, measure: str) -> set[tuple[str, ...]]:
    """The breakdown combinations whose cells must be stored for ``measure``.

    Margins of two-way tables are one-way cells, so they are included; ``mois`` is
    never stored (a month's figure is the month period's own total). ``evenements`` is
    intensité's numerator and follows intensité's tables.
    """
    indicator = "intensite" if measure == "evenements" else measure
    combos: set[tuple[str, ...]] = {()}
    for table in tables_for(granularity, indicator):
        if table.dims == ("mois",):
            continue
        combos.add(table.dims)
        combos.update((d,) for d in table.dims)
    return combos


# --- periods -------------------------------------------------------------------------------
@dataclass(frozen=True, order=True)
class Period:
    start: date
    end: date
    granularity: str

    @property
    def key(self) -> str:
        return f"{self.start.isoformat()}_{self.end.isoformat()}"

    @property
    def months(self) -> list[int]:
        """Month keys (year × 12 + month − 1) the period touches."""
        first = month_key(self.start)
        return list(range(first, month_key(self.end) + 1))

    @property
    def label(self) -> str:
        return period_label(self)


MONTH_NAMES = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
               "septembre", "octobre", "novembre", "décembre")


def month_key(day: date) -> int:
    return day.year * 12 + day.month - 1


def month_bounds(key: int) -> tuple[date, date]:
    year, month = divmod(key, 12)
    month += 1
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


def month_code(key: int) -> str:
    year, month = divmod(key, 12)
    return f"{year:04d}-{month + 1:02d}"


def month_label(code: str) -> str:
    year, month = code.split("-")
    return f"{MONTH_NAMES[int(month) - 1]} {year}"


def period_label(period: Period) -> str:
    s, e = period.start, period.end
    if period.granularity == "mois":
        return f"{MONTH_NAMES[s.month - 1]} {s.year}".capitalize()
    if period.granularity == "trimestre":
        return f"{(s.month - 1) // 3 + 1}{'er' if s.month == 1 else 'e'} trimestre {s.year}"
    if period.granularity == "semestre":
        return f"{'1er' if s.month == 1 else '2e'} semestre {s.year}"
    if period.granularity == "annee":
        return f"Année {s.year}"
    if s.day == 1 and e == month_bounds(month_key(e))[1]:
        first = MONTH_NAMES[s.month - 1] + ("" if s.year == e.year else f" {s.year}")
        return f"De {first} à {MONTH_NAMES[e.month - 1]} {e.year}".capitalize()
    return f"Du {s.strftime('%d/%m/%Y')} au {e.strftime('%d/%m/%Y')}"


def classify(start: date, end: date) -> str:
    """The granularity of a period: a calendar month, quarter, half or year, or neither."""
    if start.day != 1 or end != month_bounds(month_key(end))[1] or start.year != end.year:
        return "extraction"
    months = month_key(end) - month_key(start) + 1
    first = start.month
    if months == 1:
        return "mois"
    if months == 3 and first in (1, 4, 7, 10):
        return "trimestre"
    if months == 6 and first in (1, 7):
        return "semestre"
    if months == 12:
        return "annee"
    return "extraction"


def extract_periods(start: date, end: date) -> list[Period]:
    """The published periods of an extract: calendar months, quarters, halves and years
    lying wholly inside it, and the extract's own period when it is none of those."""
    periods: list[Period] = []
    first, last = month_key(start), month_key(end)
    for key in range(first, last + 1):
        m_start, m_end = month_bounds(key)
        if m_start < start or m_end > end:
            continue
        periods.append(Period(m_start, m_end, "mois"))
    for length, grain in ((3, "trimestre"), (6, "semestre"), (12, "annee")):
        for key in range(first, last + 1):
            if key % length:
                continue
            p_start = month_bounds(key)[0]
            p_end = month_bounds(key + length - 1)[1]
            if p_start >= start and p_end <= end:
                periods.append(Period(p_start, p_end, grain))
    if not any(p.start == start and p.end == end for p in periods):
        periods.append(Period(start, end, "extraction"))
    return periods


def cell_key(measure: str, dims: dict[str, str] | tuple[tuple[str, str], ...] = ()) -> str:
    """``measure|dim=modality|dim2=modality2`` (dims in catalogue order)."""
    items = dims.items() if isinstance(dims, dict) else dims
    ordered = sorted(items, key=lambda kv: list(DIMENSIONS).index(kv[0]))
    return "|".join([measure, *(f"{d}={m}" for d, m in ordered)])
