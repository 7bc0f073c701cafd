"""The State's yearly table of mentoring, per mission locale and for the region,
protected by the observatory's secrecy function (``models.observatory.secrecy.protect``).

Counting rule. Only pairings that held their period count: actif, terminé, rompu (a
proposal never does). A pairing's period is [start, end], the end being its closing date,
or for an active pairing its planned end — today if that is past (it still runs). For
year Y:

- a pairing (and its mentee) is an *entry* in the year of its start, once, whatever the
  years it spans (December → February: an entry in December's year only);
- it is in the *stock* of every year its period overlaps (December → February: both);
- it is an *exit* in the year of its end (closing date; an active pairing has none).

Mentees are counted distinctly: a mentee with two pairings in a year counts once in the
stock, and once in the entries if both start that year (age band at the first start of
the year). Breakdowns (sex, age at entry, QPV, ZRR, qualification, RQTH, prescriber) are
those of the year's entries. Mentors: active = at least one counted pairing overlapping
the year (broken down by sex and status), new = consent given in the year (recruited),
trained = training date in the year. Durations, outcomes at the end and six months later
are those of the pairings ended in the year; the six-month situations are the follow-ups
recorded so far for them. Rates are over the pairings ended in the year (at the end) and
over the recorded follow-ups (at six months).

Secrecy. Every count cell of every mission locale and of the region enters one problem
with its additive lines (the region is the sum of its missions locales; a total is the sum
of each breakdown; the rates' numerators are sums of outcomes) and each mission locale as
the owner of its column; ``protect`` hides the small cells and those that would give them
back by difference. A rate, mean, median or ratio is hidden when one of the counts it is
computed from is hidden. An ml account gets its own column and the region, with the
same mask as everyone.
"""

from __future__ import annotations

import hashlib
import statistics
import threading
from collections import OrderedDict, defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import numpy as np
from sqlalchemy import and_, case, distinct, exists, extract, func, or_, select
from sqlalchemy.orm import Session

from models import clock
from models.councils.projects import add_months
from models.errors import PermissionDenied
from models.mentoring import config
from models.mentoring.enums import MentorStatus, Outcome, PairingStatus, Prescriber, Sex
from models.mentoring.orm import FollowUp, Mentee, Mentor, Pairing, PairingMeeting
from models.network.orm import MissionLocale, Region
from models.observatory import secrecy
from models.observatory.exports import HIDDEN
from models.observatory.services import observatory_settings
from models.policy import can

COUNTED = (PairingStatus.ACTIF.value, PairingStatus.TERMINE.value, PairingStatus.ROMPU.value)
ENDED = (PairingStatus.TERMINE.value, PairingStatus.ROMPU.value)
#: a pairing of at least this many calendar months counts as « 6 mois et plus »
LONG_MONTHS = 6
NARROW = (Outcome.EMPLOI_DURABLE, Outcome.ALTERNANCE)
WIDE_EXTRA = (Outcome.EMPLOI_COURT, Outcome.INTERIM, Outcome.FORMATION_QUALIFIANTE)

AGE_BANDS = (("16_17", "16–17 ans"), ("18_21", "18–21 ans"), ("22_25", "22–25 ans"),
             ("26_plus", "26 ans et plus"))
YES_NO_NR = (("oui", "Oui"), ("non", "Non"), ("nr", "Non renseigné"))
QUALIFICATIONS = (("infra_3", "Infra 3 (niveaux 1 et 2 ; VI, V bis)"),
                  ("n3", "Niveau 3 (CAP, BEP ; V)"), ("n4", "Niveau 4 (bac ; IV)"),
                  ("n5_plus", "Niveau 5 et plus (bac + 2 et plus ; III à I)"),
                  ("nr", "Non renseigné"))
#: the charter's levels (1–8) and the old nomenclature (VI … I) in the table's groups
QUALIFICATION_GROUP = {"1": "infra_3", "2": "infra_3", "VI": "infra_3", "V BIS": "infra_3",
                       "3": "n3", "V": "n3", "4": "n4", "IV": "n4",
                       **{n: "n5_plus" for n in ("5", "6", "7", "8", "III", "II", "I")}}

SECTIONS = {"filleuls": "Filleul·es", "parrains": "Parrains et marraines",
            "binomes": "Binômes", "fin": "Situation à la fin du binôme",
            "six_mois": "Situation six mois après la fin"}


@dataclass(frozen=True)
class Row:
    """One line of the table. ``kind``: count (protected cell), rate (a percentage of
    ``den``), mean, median (days), ratio (meetings per pairing)."""

    key: str
    section: str
    indicator: str
    group: str = ""
    label: str = "Total"
    kind: str = "count"
    num: str | None = None  # the count a rate is computed from
    den: str | None = None  # the count a rate, mean, median or ratio is over

    @property
    def section_label(self) -> str:
        return SECTIONS[self.section]


def _rows() -> list[Row]:
    rows: list[Row] = []
    entries = "Filleul·es entré·es dans l'année"
    rows += [Row("m.entries", "filleuls", entries),
             Row("m.stock", "filleuls", "Filleul·es suivi·es dans l'année (stock)")]
    rows += [Row(f"m.sex.{s.value}", "filleuls", entries, "Sexe", s.label) for s in Sex]
    rows += [Row(f"m.age.{c}", "filleuls", entries, "Âge à l'entrée", lb) for c, lb in AGE_BANDS]
    rows += [Row(f"m.qpv.{c}", "filleuls", entries, "Résidant en QPV", lb) for c, lb in YES_NO_NR]
    rows += [Row(f"m.zrr.{c}", "filleuls", entries, "Résidant en ZRR", lb) for c, lb in YES_NO_NR]
    rows += [Row(f"m.qual.{c}", "filleuls", entries, "Niveau de formation", lb)
             for c, lb in QUALIFICATIONS]
    rows += [Row(f"m.rqth.{c}", "filleuls", entries, "RQTH", lb) for c, lb in YES_NO_NR[:2]]
    rows += [Row(f"m.presc.{p.value}", "filleuls", entries, "Prescripteur", p.label)
             for p in Prescriber]
    active = "Parrains et marraines actifs (au moins un binôme dans l'année)"
    rows += [Row("t.active", "parrains", active)]
    rows += [Row(f"t.sex.{s.value}", "parrains", active, "Sexe", s.label) for s in Sex]
    rows += [Row(f"t.status.{s.value}", "parrains", active, "Statut", s.label)
             for s in MentorStatus]
    rows += [Row("t.new", "parrains", "Nouveaux parrains et marraines (engagés dans l'année)"),
             Row("t.trained", "parrains", "Parrains et marraines formés dans l'année")]
    rows += [
        Row("p.started", "binomes", "Binômes commencés dans l'année"),
        Row("p.ended", "binomes", "Binômes terminés dans l'année (fin normale ou rupture)"),
        Row("p.broken", "binomes", "dont rompus"),
        Row("p.mean", "binomes", "Durée moyenne des binômes terminés (jours)", kind="mean",
            den="p.ended"),
        Row("p.median", "binomes", "Durée médiane des binômes terminés (jours)",
            kind="median", den="p.ended"),
        Row("p.long", "binomes", "Binômes de 6 mois et plus"),
        Row("p.long_rate", "binomes", "Part des binômes de 6 mois et plus (%)", kind="rate",
            num="p.long", den="p.ended"),
        Row("p.short", "binomes", "Binômes de moins de 6 semaines"),
        Row("p.short_rate", "binomes", "Part des binômes de moins de 6 semaines (%)",
            kind="rate", num="p.short", den="p.ended"),
        Row("p.meetings", "binomes", "Rencontres par binôme terminé", kind="ratio",
            den="p.ended"),
    ]
    for prefix, section, base, total in (("o", "fin", "p.ended", None),
                                         ("f", "six_mois", "f.recorded",
                                          "Situations à six mois saisies")):
        if total:
            rows.append(Row(base, section, total))
        what = ("Binômes terminés dans l'année, par situation" if prefix == "o"
                else "Situations à six mois saisies, par situation")
        rows += [Row(f"{prefix}.{o.value}", section, what, "Situation", o.label)
                 for o in Outcome]
        rows += [
            Row(f"{prefix}.narrow", section, "Emploi durable ou alternance"),
            Row(f"{prefix}.narrow_rate", section,
                "Taux de sorties positives au sens strict (%)", kind="rate",
                num=f"{prefix}.narrow", den=base),
            Row(f"{prefix}.wide", section, "Emploi, alternance ou formation (sens large)"),
            Row(f"{prefix}.wide_rate", section,
                "Taux de sorties positives au sens large (%)", kind="rate",
                num=f"{prefix}.wide", den=base),
        ]
    return rows


ROWS: list[Row] = _rows()
ROW_BY_KEY = {r.key: r for r in ROWS}
COUNT_KEYS = [r.key for r in ROWS if r.kind == "count"]


def _lines_within() -> list[tuple[str, list[str]]]:
    """Additive relations inside one column: (total, parts)."""
    out: list[tuple[str, list[str]]] = []
    for group in ("sex", "age", "qpv", "zrr", "qual", "rqth", "presc"):
        out.append(("m.entries", [k for k in COUNT_KEYS if k.startswith(f"m.{group}.")]))
    for group in ("sex", "status"):
        out.append(("t.active", [k for k in COUNT_KEYS if k.startswith(f"t.{group}.")]))
    for prefix, base in (("o", "p.ended"), ("f", "f.recorded")):
        out.append((base, [f"{prefix}.{o.value}" for o in Outcome]))
        out.append((f"{prefix}.narrow", [f"{prefix}.{o.value}" for o in NARROW]))
        out.append((f"{prefix}.wide", [f"{prefix}.narrow",
                                       *(f"{prefix}.{o.value}" for o in WIDE_EXTRA)]))
    return out


LINES_WITHIN = _lines_within()


@dataclass(frozen=True)
class Column:
    ml_id: int | None  # None: the region
    code: str
    label: str


@dataclass(frozen=True)
class Cell:
    """A published value: int (count), Decimal (rate in %, days, ratio), or nothing.

    ``hidden``: statistical secrecy (« s »); ``value`` None and not hidden: nothing to
    compute (no pairing ended, say)."""

    value: int | Decimal | None
    hidden: bool = False

    @property
    def text(self) -> str:
        """The exported form: « s », an empty string, or the value."""
        if self.hidden:
            return HIDDEN
        return "" if self.value is None else str(self.value)


@dataclass
class YearlyTable:
    year: int
    k: int
    region_name: str
    columns: list[Column]
    rows: list[Row]
    cells: dict[tuple[str, int], Cell] = field(default_factory=dict)  # (row key, column)
    rounds: int = 0

    def cell(self, row_key: str, column: int) -> Cell:
        return self.cells[(row_key, column)]

    def value(self, row_key: str, code: str) -> int | Decimal | None | str:
        """For tests and exports: the value of a cell by ML code (``"R"``: region),
        « s » when hidden."""
        index = next(i for i, c in enumerate(self.columns) if c.code == code)
        cell = self.cells[(row_key, index)]
        return HIDDEN if cell.hidden else cell.value

    @property
    def hidden_count(self) -> int:
        return sum(1 for c in self.cells.values() if c.hidden)

    def lines(self) -> list[tuple[Row, list[Cell]]]:
        return [(row, [self.cells[(row.key, i)] for i in range(len(self.columns))])
                for row in self.rows]


REGION_CODE = "R"

# ---------------------------------------------------------------------------------------
# Raw counts (aggregate SQL, one year)
# ---------------------------------------------------------------------------------------


def _period_end(today: date):
    return case((Pairing.ended_on.is_not(None), Pairing.ended_on),
                (Pairing.planned_end > today, Pairing.planned_end), else_=today)


def _age_band(age: int) -> str:
    if age < 18:  # under 16 never passes an activation; counted with the youngest
        return "16_17"
    if age <= 21:
        return "18_21"
    if age <= 25:
        return "22_25"
    return "26_plus"


def _yes_no(value: bool | None) -> str:
    return "nr" if value is None else ("oui" if value else "non")


def _raw_counts(session: Session, year: int, today: date
                ) -> tuple[dict[int, dict[str, int]], dict[int, dict[str, list]]]:
    """{ml_id: {count row key: value}} and, per ML, the ended pairings' durations and
    meetings (for the mean and median)."""
    y0, y1 = date(year, 1, 1), date(year, 12, 31)
    counts: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    extra: dict[int, dict[str, list]] = defaultdict(lambda: {"days": [], "meetings": 0})
    counted = Pairing.status.in_(COUNTED)
    overlaps = and_(counted, Pairing.start_date <= y1, _period_end(today) >= y0)
    started = and_(Pairing.start_date >= y0, Pairing.start_date <= y1)

    for ml_id, stock, n_started in session.execute(
            select(Pairing.mission_locale_id, func.count(distinct(Pairing.mentee_id)),
                   func.sum(case((started, 1), else_=0)))
            .where(overlaps).group_by(Pairing.mission_locale_id)):
        counts[ml_id]["m.stock"] = int(stock)
        counts[ml_id]["p.started"] = int(n_started or 0)

    first = (select(Pairing.mentee_id.label("mentee_id"),
                    func.min(Pairing.start_date).label("first_start"))
             .where(counted, started).group_by(Pairing.mentee_id).subquery())
    age = (extract("year", first.c.first_start) - Mentee.birth_year
           - case((extract("month", first.c.first_start) < Mentee.birth_month, 1), else_=0))
    for ml_id, sex, qpv, zrr, qual, rqth, presc, years, n in session.execute(
            select(Mentee.mission_locale_id, Mentee.sex, Mentee.qpv, Mentee.zrr,
                   Mentee.qualification, Mentee.rqth, Mentee.prescriber, age, func.count())
            .join(first, first.c.mentee_id == Mentee.id)
            .group_by(Mentee.mission_locale_id, Mentee.sex, Mentee.qpv, Mentee.zrr,
                      Mentee.qualification, Mentee.rqth, Mentee.prescriber, age)):
        c = counts[ml_id]
        c["m.entries"] += n
        c[f"m.sex.{Sex(sex).value}"] += n
        c[f"m.age.{_age_band(int(years))}"] += n
        c[f"m.qpv.{_yes_no(qpv)}"] += n
        c[f"m.zrr.{_yes_no(zrr)}"] += n
        group = QUALIFICATION_GROUP.get(" ".join(str(qual or "").upper().split()), "nr")
        c[f"m.qual.{group}"] += n
        c[f"m.rqth.{'oui' if rqth else 'non'}"] += n
        c[f"m.presc.{Prescriber(presc).value}"] += n

    mentor_in_year = exists().where(Pairing.mentor_id == Mentor.id, overlaps)
    for ml_id, sex, status, n in session.execute(
            select(Mentor.mission_locale_id, Mentor.sex, Mentor.status, func.count())
            .where(mentor_in_year)
            .group_by(Mentor.mission_locale_id, Mentor.sex, Mentor.status)):
        c = counts[ml_id]
        c["t.active"] += n
        c[f"t.sex.{Sex(sex).value}"] += n
        c[f"t.status.{MentorStatus(status).value}"] += n
    new = and_(Mentor.consent_on >= y0, Mentor.consent_on <= y1)
    trained = and_(Mentor.trained_on >= y0, Mentor.trained_on <= y1)
    for ml_id, n_new, n_trained in session.execute(
            select(Mentor.mission_locale_id, func.sum(case((new, 1), else_=0)),
                   func.sum(case((trained, 1), else_=0)))
            .where(or_(new, trained)).group_by(Mentor.mission_locale_id)):
        counts[ml_id]["t.new"] += int(n_new or 0)
        counts[ml_id]["t.trained"] += int(n_trained or 0)

    # the pairings ended in the year, one row each (a median needs them), meetings counted
    # by the database
    for ml_id, status, outcome, start, end, followed, meetings in session.execute(
            select(Pairing.mission_locale_id, Pairing.status, Pairing.outcome,
                   Pairing.start_date, Pairing.ended_on, FollowUp.outcome,
                   func.count(PairingMeeting.id))
            .outerjoin(FollowUp, FollowUp.pairing_id == Pairing.id)
            .outerjoin(PairingMeeting, PairingMeeting.pairing_id == Pairing.id)
            .where(Pairing.status.in_(ENDED), Pairing.ended_on >= y0, Pairing.ended_on <= y1)
            .group_by(Pairing.id, Pairing.mission_locale_id, Pairing.status, Pairing.outcome,
                      Pairing.start_date, Pairing.ended_on, FollowUp.outcome)):
        c = counts[ml_id]
        c["p.ended"] += 1
        if PairingStatus(status) is PairingStatus.ROMPU:
            c["p.broken"] += 1
        days = (end - start).days
        extra[ml_id]["days"].append(days)
        extra[ml_id]["meetings"] += int(meetings)
        if end >= add_months(start, LONG_MONTHS):
            c["p.long"] += 1
        if days < config.SHORT_PAIRING_DAYS:
            c["p.short"] += 1
        at_end = Outcome(outcome) if outcome else Outcome.INCONNU
        c[f"o.{at_end.value}"] += 1
        if followed:
            c["f.recorded"] += 1
            c[f"f.{Outcome(followed).value}"] += 1
    for c in counts.values():
        for prefix in ("o", "f"):
            c[f"{prefix}.narrow"] = sum(c[f"{prefix}.{o.value}"] for o in NARROW)
            c[f"{prefix}.wide"] = c[f"{prefix}.narrow"] + sum(
                c[f"{prefix}.{o.value}"] for o in WIDE_EXTRA)
    return counts, extra


def _columns(session: Session, counts: dict[int, Any]) -> tuple[str, list[Column]]:
    """Active MLs with any mentoring record, and every ML counted this year (a withdrawn
    one too: the region must stay the sum of its published columns)."""
    region = session.scalar(select(Region).order_by(Region.id))
    has_data = or_(exists().where(Mentor.mission_locale_id == MissionLocale.id),
                   exists().where(Mentee.mission_locale_id == MissionLocale.id),
                   exists().where(Pairing.mission_locale_id == MissionLocale.id))
    stmt = select(MissionLocale).where(or_(
        and_(MissionLocale.active.is_(True), has_data),
        MissionLocale.id.in_(list(counts) or [-1]))).order_by(MissionLocale.code,
                                                              MissionLocale.id)
    if region is not None:
        stmt = stmt.where(MissionLocale.region_id == region.id)
    columns = [Column(ml.id, ml.code, ml.name) for ml in session.scalars(stmt)]
    columns.append(Column(None, REGION_CODE, region.name if region else "Région"))
    return (region.name if region else "Région"), columns


# ---------------------------------------------------------------------------------------
# The table
# ---------------------------------------------------------------------------------------

def _d(value: float | Decimal, places: str = "0.1") -> Decimal:
    return Decimal(str(value)).quantize(Decimal(places), rounding=ROUND_HALF_UP)


def available_years(session: Session, today: date | None = None) -> list[int]:
    """Years with a counted pairing, the current one always; most recent first."""
    today = today or clock.today()
    first = session.scalar(select(func.min(Pairing.start_date))
                           .where(Pairing.status.in_(COUNTED)))
    start = min(first.year, today.year) if first else today.year
    return list(range(today.year, start - 1, -1))


# The mask depends only on the counts, the lines and k: it is kept for the exact same
# problem (pages, exports and the dashboard ask for the same year many times between two
# changes of the data). A key is the whole problem, so a changed count is a new problem.
_CACHE: OrderedDict[str, tuple[np.ndarray, int]] = OrderedDict()
_CACHE_LOCK = threading.Lock()
_CACHE_SIZE = 16


def _protect(values: list[int], lines: list[secrecy.Line], k: int, keys: list[str],
             owners: list[int]) -> tuple[np.ndarray, int]:
    """``secrecy.protect`` on the table's cells (every ML is the owner of its column)."""
    digest = hashlib.sha256(repr((k, keys, values, owners,
                                  [(ln.total, ln.parts) for ln in lines])).encode()
                            ).hexdigest()
    with _CACHE_LOCK:
        if digest in _CACHE:
            _CACHE.move_to_end(digest)
            hidden, rounds = _CACHE[digest]
            return hidden.copy(), rounds
    protection = secrecy.protect(np.array(values, dtype=np.int64), lines, k, keys=keys,
                                 owners=owners, interval_lp=False)
    hidden = np.asarray(protection.hidden, dtype=bool)
    with _CACHE_LOCK:
        _CACHE[digest] = (hidden.copy(), protection.rounds)
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return hidden, protection.rounds


def clear_cache() -> None:
    with _CACHE_LOCK:
        _CACHE.clear()


def yearly_table(session: Session, actor: Any, year: int, *,
                 mission_locale_id: int | None = None, k: int | None = None,
                 today: date | None = None) -> YearlyTable:
    """The protected table of ``year`` as ``actor`` may read it.

    Every ML's column is protected together with the region; an ml account then gets its
    own column and the region only (``mission_locale_id`` asks the same of the team).
    ``k``: the secrecy threshold (default: the observatory's setting).
    """
    if actor is not None and not can(actor, "mentoring.stats"):
        raise PermissionDenied()
    today = today or clock.today()
    if k is None:
        k = observatory_settings(session).threshold
    counts, extra = _raw_counts(session, year, today)
    region_name, columns = _columns(session, counts)
    n_cols = len(columns)
    region_index = n_cols - 1

    # one secrecy problem: every count of every column
    values: list[int] = []
    keys: list[str] = []
    owners: list[int] = []
    index: dict[tuple[str, int], int] = {}
    for j, col in enumerate(columns[:-1]):
        c = counts.get(col.ml_id, {})
        for key in COUNT_KEYS:
            index[(key, j)] = len(values)
            values.append(int(c.get(key, 0)))
            keys.append(f"{col.code}|{key}")
            owners.append(j)
    for key in COUNT_KEYS:
        index[(key, region_index)] = len(values)
        values.append(sum(values[index[(key, j)]] for j in range(n_cols - 1)))
        keys.append(f"{REGION_CODE}|{key}")
        owners.append(-1)
    lines: list[secrecy.Line] = []
    for key in COUNT_KEYS:
        if n_cols > 1:
            lines.append(secrecy.Line(index[(key, region_index)],
                                      tuple(index[(key, j)] for j in range(n_cols - 1))))
    for j in range(n_cols):
        for total, parts in LINES_WITHIN:
            lines.append(secrecy.Line(index[(total, j)], tuple(index[(p, j)] for p in parts)))
    hidden, rounds = _protect(values, lines, k, keys, owners)

    table = YearlyTable(year, k, region_name, columns, ROWS, rounds=rounds)
    region_extra = {"days": [d for e in extra.values() for d in e["days"]],
                    "meetings": sum(e["meetings"] for e in extra.values())}
    for j, col in enumerate(columns):
        ex = region_extra if col.ml_id is None else extra.get(col.ml_id,
                                                             {"days": [], "meetings": 0})
        for row in ROWS:
            if row.kind == "count":
                i = index[(row.key, j)]
                table.cells[(row.key, j)] = (Cell(None, True) if hidden[i]
                                             else Cell(int(values[i])))
                continue
            sources = [s for s in (row.num, row.den) if s]
            if any(hidden[index[(s, j)]] for s in sources):
                table.cells[(row.key, j)] = Cell(None, True)
                continue
            den = values[index[(row.den, j)]]
            if not den:
                table.cells[(row.key, j)] = Cell(None)
                continue
            if row.kind == "rate":
                value = _d(Decimal(values[index[(row.num, j)]]) * 100 / den)
            elif row.kind == "mean":
                value = _d(Decimal(sum(ex["days"])) / len(ex["days"]))
            elif row.kind == "median":
                value = _d(statistics.median(ex["days"]))
            else:  # meetings per ended pairing
                value = _d(Decimal(ex["meetings"]) / den)
            table.cells[(row.key, j)] = Cell(value)

    viewer = mission_locale_id
    if actor is not None and getattr(actor, "role", None) == "ml":
        viewer = actor.mission_locale_id
    if viewer is not None:
        keep = [j for j, c in enumerate(columns) if c.ml_id in (viewer, None)]
        if not any(columns[j].ml_id == viewer for j in keep):  # no mentoring data there
            ml = session.get(MissionLocale, viewer)
            if ml is not None:
                empty = Column(ml.id, ml.code, ml.name)
                table.columns = [empty, columns[region_index]]
                table.cells = {**{(r.key, 0): Cell(0 if r.kind == "count" else None)
                                  for r in ROWS},
                               **{(r.key, 1): table.cells[(r.key, region_index)]
                                  for r in ROWS}}
                return table
        table.columns = [columns[j] for j in keep]
        table.cells = {(r.key, new): table.cells[(r.key, old)]
                       for r in ROWS for new, old in enumerate(keep)}
    return table
