"""Ranked mentors for a mentee, each point explained in French.

A suggestion is only a reading aid: a person chooses, proposes, then activates; nothing is
ever paired from here. The mentee has no sector of their own (no free text on mentees):
the sector wanted is typed on the suggestion page for this search and never stored. A
pairing needs a mentor of the mentee's own mission locale, so every candidate shares its
territory; the mentee has no commune, so the mentor's commune is shown, not scored.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.mentoring import access, config
from models.mentoring.enums import PairingStatus, TrainingRule
from models.mentoring.orm import Mentee, Mentor, Pairing

#: points of each criterion (a full sector match outweighs one free seat)
SECTOR_MATCH, SECTOR_CLOSE = 40, 25
TRAINED = 20
PER_FREE_SEAT, MAX_SEAT_POINTS = 10, 30
#: words that say nothing about a trade
_STOP = {"de", "des", "du", "la", "le", "les", "et", "en", "l", "d", "a", "au", "aux"}


@dataclass
class Suggestion:
    """A mentor, a score, and why: ``reasons`` for the points, ``blockers`` for what
    prevents a pairing now (listed last, never proposed)."""

    mentor: Mentor
    score: int
    reasons: list[str] = field(default_factory=list)
    blockers: list[str] = field(default_factory=list)
    free_seats: int = 0

    @property
    def available(self) -> bool:
        return not self.blockers


def _words(text: str) -> set[str]:
    plain = unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode()
    cleaned = "".join(c if c.isalnum() else " " for c in plain.casefold())
    return {w for w in cleaned.split() if w not in _STOP and len(w) > 1}


def _sector(wanted: str, sector: str) -> tuple[int, str]:
    if not wanted:
        return 0, "Secteur non précisé pour cette recherche"
    if not (sector or "").strip():
        return 0, "Secteur du parrain ou de la marraine non renseigné"
    want, have = _words(wanted), _words(sector)
    if want and want == have:
        return SECTOR_MATCH, f"Secteur correspondant ({sector})"
    if want & have or any(a in b or b in a for a in want for b in have if len(a) > 3
                          and len(b) > 3):
        return SECTOR_CLOSE, f"Secteur proche ({sector})"
    return 0, f"Autre secteur ({sector})"


def _held(session: Session, mentor_ids: list[int]) -> dict[int, int]:
    if not mentor_ids:
        return {}
    rows = session.execute(select(Pairing.mentor_id, func.count())
                           .where(Pairing.mentor_id.in_(mentor_ids),
                                  Pairing.status == PairingStatus.ACTIF)
                           .group_by(Pairing.mentor_id))
    return {mentor_id: n for mentor_id, n in rows}


def score_mentor(mentor: Mentor, held: int, wanted_sector: str) -> Suggestion:
    """One mentor's score and the sentences that explain it."""
    suggestion = Suggestion(mentor=mentor, score=0)
    points, why = _sector(wanted_sector, mentor.sector)
    suggestion.score += points
    suggestion.reasons.append(why)
    suggestion.reasons.append("Même mission locale que le jeune"
                              + (f" — commune : {mentor.commune}" if mentor.commune else ""))
    if not mentor.active or mentor.anonymised_on is not None:
        suggestion.blockers.append("Inactif·ve")
    elif mentor.charter_signed_on is None:
        suggestion.blockers.append("Charte du parrainage non signée")
    if mentor.trained_on is not None:
        suggestion.score += TRAINED
        suggestion.reasons.append("Formé·e")
    elif config.TRAINING_RULE is TrainingRule.BLOCKING:
        suggestion.blockers.append("Pas encore formé·e (la formation est exigée)")
    else:
        suggestion.reasons.append("Pas encore formé·e (un avertissement à confirmer au "
                                  "démarrage)")
    free = max(mentor.capacity - held, 0)
    suggestion.free_seats = free
    if free == 0:
        suggestion.blockers.append(f"Complet : {held} filleul·e(s) sur {mentor.capacity}")
    else:
        suggestion.score += min(free * PER_FREE_SEAT, MAX_SEAT_POINTS)
        suggestion.reasons.append(f"{free} place{'s' if free > 1 else ''} sur "
                                  f"{mentor.capacity}")
    if suggestion.blockers:
        suggestion.score = 0
    return suggestion


def suggest_mentors(session: Session, actor: Any, mentee_id: int, *,
                    wanted_sector: str | None = None, limit: int = 10) -> list[Suggestion]:
    """The mentee's ML's mentors, best first; those who cannot take the young person now
    (inactive, charter unsigned, full) come last with the reason. Another ML's mentee:
    « introuvable »."""
    mentee = access.load(session, actor, Mentee, mentee_id)
    wanted = (wanted_sector or "").strip()[:120]
    mentors = list(session.scalars(
        select(Mentor).where(Mentor.mission_locale_id == mentee.mission_locale_id,
                             Mentor.anonymised_on.is_(None))
        .order_by(Mentor.last_name, Mentor.first_name, Mentor.id)))
    held = _held(session, [m.id for m in mentors])
    ranked = [score_mentor(m, held.get(m.id, 0), wanted) for m in mentors]
    ranked.sort(key=lambda s: (not s.available, -s.score, -s.free_seats,
                               s.mentor.last_name.casefold(), s.mentor.id))
    return ranked[:max(limit, 0)]
