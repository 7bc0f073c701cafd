"""The last guard before a funder reads its report: does any text name another funder?

Structured figures are scoped by construction (:mod:`models.reports.content`); free
text is not — a review can say "cofinancé à 40 % par la Région", a convention's
conditions can quote a co-funder's amount. Every string of the snapshot is read for
another funder's name and convention reference; free-text passages are also read for
the amounts of the co-funded actions (their budgets, expenses and every other
funder's share). Each hit blocks publication until the team edits the text (and
regenerates) or confirms it explicitly.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.funding.enums import FunderType
from models.funding.orm import Convention, Funder, FundingAllocation
from models.funding.plan import programme_funding
from models.network.orm import Region

#: amounts below this are too common (counts, years, percentages) to mean anything
MIN_AMOUNT = Decimal(100)
#: snapshot keys holding text the team typed (amounts are searched there only) ...
FREE_TEXT_KEYS = {"synthesis", "highlights", "gaps", "outlook", "conditions", "comment",
                  "status_reason", "object"}
#: ... and the typed columns of the snapshot's tables (a payment's comment, not its amount)
FREE_TEXT_COLUMNS = {"payments": {"2"}, "instalments": {"0"}, "deadlines": {"0"},
                     "changes": {"3", "4"}}


def _free_text(path: tuple[str, ...]) -> bool:
    if path and path[-1] in FREE_TEXT_KEYS:
        return True
    return len(path) >= 3 and path[-1] in FREE_TEXT_COLUMNS.get(path[-3], ())

_AMOUNT = re.compile(r"\d{1,3}(?:[ \u00a0\u202f.]\d{3})+(?:,\d{1,2})?|\d+(?:,\d{1,2})?")


@dataclass(frozen=True)
class Forbidden:
    names: dict[str, str]  # normalised text -> as written
    references: dict[str, str]
    amounts: set[Decimal]
    acronyms: dict[str, str] = field(default_factory=dict)  # "DREETS" -> the funder's name
    # how prose names a funder of a type ("la Région", "l'État"): free text only, since
    # structured strings (action titles…) are scoped by construction
    aliases: dict[str, str] = field(default_factory=dict)


#: words that name a funder by its type in prose (case-sensitive, whole words)
TYPE_ALIASES: dict[FunderType, tuple[str, ...]] = {
    FunderType.ETAT: ("État", "Etat", "DREETS"),
    FunderType.REGION: ("Région", "Conseil régional"),
    FunderType.FSE: ("Union européenne", "FSE", "FSE+", "Europe"),
    FunderType.DEPARTEMENT: ("Département", "Conseil départemental"),
    FunderType.FRANCE_TRAVAIL: ("France Travail", "Pôle emploi"),
    FunderType.BRANCHE: ("OPCO",),
    FunderType.MISSIONS_LOCALES: ("cotisation", "cotisations"),
}
_SHARE = re.compile(r"\d+(?:,\d+)?\s?%")
_MONEY_WORDS = re.compile(r"\b(?:parts?|cofinanc\w*|financ\w*|budg[eé]t\w*)\b", re.IGNORECASE)
_PROSE = {"synthesis", "highlights", "gaps", "outlook", "status_reason"}
_KILO = re.compile(r"(\d+(?:[,.]\d+)?)\s?k\s?€")


_ACRONYM = re.compile(r"\b[A-Z][A-Z0-9]{2,}\+?")
_STOP = {"ARML", "CEJ", "PACEA", "QPV", "ZRR", "ETP", "QVT", "RPS", "SPRO", "GRH", "EPCI"}


def name_variants(name: str, region: str = "") -> tuple[set[str], set[str]]:
    """How a text names a funder: its full name, the name without the region
    ("France Travail"), each part around a dash ("Uniformation"), and its acronyms
    ("DREETS", "FSE+", "OPCO"), the acronyms matched case-sensitively."""
    names = {name}
    if region and region in name:
        names.add(name.replace(region, "").strip(" -—,"))
    for part in re.split(r"\s[—–-]\s|[()]", name):
        if len(part.strip()) >= 6:
            names.add(part.strip())
    acronyms = {a for a in _ACRONYM.findall(name) if a.rstrip("+") not in _STOP}
    acronyms |= {a.rstrip("+") for a in acronyms}
    return {n for n in names if len(n) >= 4}, acronyms


def _norm(text: str) -> str:
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = re.sub(r"[\u00a0\u202f\s]+", " ", text)
    return text.replace("’", "'").lower()


def forbidden_terms(session: Session, funder_id: int) -> Forbidden:
    """What must never reach ``funder_id``: every other funder's name and references, and
    the amounts of the actions it co-funds with others (every programme)."""
    region = session.scalar(select(Region.name).order_by(Region.id).limit(1)) or ""
    own = session.get(Funder, funder_id)
    own_names, own_acronyms = name_variants(own.name, region) if own else (set(), set())
    names: dict[str, str] = {}
    acronyms: dict[str, str] = {}
    aliases: dict[str, str] = {}
    own_type = FunderType(own.type) if own else None
    for other, other_type in session.execute(select(Funder.name, Funder.type)
                                             .where(Funder.id != funder_id)):
        variants, short = name_variants(other, region)
        names.update({_norm(v): other for v in variants if v not in own_names})
        acronyms.update({a: other for a in short if a not in own_acronyms})
        if FunderType(other_type) is not own_type:
            aliases.update({w: other for w in TYPE_ALIASES.get(FunderType(other_type), ())
                            if w not in own_names and w not in own_acronyms})
    refs = {_norm(r): r for r in session.scalars(select(Convention.reference)
                                                 .where(Convention.funder_id != funder_id))}
    amounts: set[Decimal] = set(session.scalars(
        select(Convention.amount).where(Convention.funder_id != funder_id)))
    programme_ids = session.scalars(select(FundingAllocation.programme_id).distinct()).all()
    for programme_id in programme_ids:
        pf = programme_funding(session, programme_id)
        funders_of: dict[int, set[int]] = {}
        for (conv_id, action_id), amount in pf.effective.items():
            if amount:
                funders_of.setdefault(action_id, set()).add(pf.convention_funder[conv_id])
        for action_id, funders in funders_of.items():
            if funder_id not in funders or len(funders) < 2:
                continue
            amounts.update({pf.budgets[action_id], pf.actuals[action_id],
                            pf.budgets[action_id] - pf.funded(action_id)})  # left to fund
            for (conv_id, a), amount in pf.effective.items():
                if a == action_id and pf.convention_funder[conv_id] != funder_id:
                    amounts.add(amount)
                    amounts.add(pf.direct.get((conv_id, a), Decimal(0)))
    amounts = {a.quantize(Decimal("0.01")) for a in amounts if a and a >= MIN_AMOUNT}
    return Forbidden(names, refs, amounts, acronyms, aliases)


def _euros(amount: Decimal) -> str:
    return f"{amount:,.2f}".replace(",", " ").replace(".", ",") + " €"


def _strings(value: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, (*path, str(key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, (*path, str(index)))


def _amounts(text: str) -> Iterator[tuple[Decimal, int, int]]:
    for match in _AMOUNT.finditer(text):
        raw = re.sub(r"[ \u00a0\u202f.]", "", match.group()).replace(",", ".")
        try:
            yield Decimal(raw).quantize(Decimal("0.01")), match.start(), match.end()
        except InvalidOperation:
            continue


SECTION_LABELS = {
    "synthesis": "Synthèse", "meta": "Couverture", "summary": "Synthèse chiffrée",
    "conventions": "Conventions", "allocations": "Affectations", "actions": "Actions financées",
    "time": "Temps de l'équipe", "training": "Formations", "variant": "Partie propre au financeur",
    "annexes": "Annexes",
}


def _where(content: dict[str, Any], path: tuple[str, ...]) -> str:
    section = SECTION_LABELS.get(path[0], path[0])
    if path[0] == "actions" and len(path) > 1:
        action = content["actions"][int(path[1])]
        field = {"highlights": "faits marquants", "gaps": "écarts expliqués",
                 "outlook": "perspectives", "status_reason": "motif du statut"}.get(path[-1])
        return f"Action « {action['title']} »" + (f" — {field}" if field else "")
    if path[0] == "conventions" and len(path) > 1:
        conv = content["conventions"][int(path[1])]
        return f"Convention {conv['reference']} — {path[2] if len(path) > 2 else ''}".strip(" —")
    return section


def _excerpt(text: str, start: int, end: int) -> str:
    left, right = max(0, start - 60), min(len(text), end + 60)
    return ("…" if left else "") + text[left:right].strip() + ("…" if right < len(text) else "")


def scan(content: dict[str, Any], forbidden: Forbidden) -> list[dict[str, str]]:
    """Every passage of ``content`` that names another funder, one of its conventions or
    an amount of a co-funded action; a stable list (same content, same hits)."""
    hits: list[dict[str, str]] = []
    seen: set[tuple[str, str]] = set()
    for path, text in _strings(content):
        normalised = _norm(text)
        found: list[tuple[str, str, int, int]] = []
        for table, kind in ((forbidden.names, "financeur"), (forbidden.references,
                                                             "référence")):
            for needle, shown in table.items():
                match = re.search(r"(?<!\w)" + re.escape(needle) + r"(?!\w)", normalised)
                if needle and match:
                    found.append((kind, shown, match.start(), match.end()))
        for acronym, shown in forbidden.acronyms.items():
            match = re.search(r"(?<![\w+])" + re.escape(acronym) + r"(?![\w+])", text)
            if match:
                found.append(("financeur", f"{acronym} ({shown})", match.start(), match.end()))
        if _free_text(path):
            for amount, start, end in _amounts(text):
                if amount in forbidden.amounts:
                    found.append(("montant", _euros(amount), start, end))
            for match in _KILO.finditer(text):  # "68 k€": any amount it may round
                kilo = Decimal(match.group(1).replace(",", ".")) * 1000
                near = sorted(a for a in forbidden.amounts if abs(a - kilo) < 500)
                if near:
                    found.append(("montant", _euros(near[0]), match.start(), match.end()))
            for word, shown in forbidden.aliases.items():
                match = re.search(r"(?<![\w+])" + re.escape(word) + r"(?![\w+])", text)
                if match:
                    found.append(("financeur", f"« {word} » ({shown})", match.start(),
                                  match.end()))
            for match in (_SHARE.finditer(text) if path[-1] in _PROSE else ()):
                # a share of an action, in percent (the convention's own schedule and
                # conditions speak of its own instalments: not searched)
                window = text[max(0, match.start() - 60):match.end() + 60]
                if _MONEY_WORDS.search(window):
                    found.append(("part en %", match.group(), match.start(), match.end()))
        for kind, term, start, end in found:
            where = _where(content, path)
            key = (where + "|" + term, "/".join(path))
            if key in seen:
                continue
            seen.add(key)
            digest = hashlib.sha256("|".join((*key, kind)).encode()).hexdigest()[:12]
            hits.append({"id": digest, "path": "/".join(path), "where": where,
                         "kind": kind, "term": term, "excerpt": _excerpt(text, start, end)})
    return hits
