"""Demo parrainage: three years of pairings in a dozen missions locales.

About 150 volunteer mentors (names drawn from lists, e-mails @exemple.fr), a few hundred
pseudonymous mentees (random codes), pairings over the last three years — most ended
normally after about six months, some broken (a few before six weeks), the current ones
active, a few proposals waiting — with their meetings (most with two face-to-face ones or
more) and their six-month follow-ups (most recorded, some due now: the reminders have
something to say). The demo ``ml`` account's mission locale gets the largest share.

The history is written as rows (the domain's checks run per call under a lock: too slow
for three years of a region), consistent with the domain's invariants — a mentee's
pairings never overlap, a mentor never holds more pairings at once than their capacity
(``tests/test_mentoring_demo.py`` checks both); the waiting proposals go through
``models.mentoring.pairings.propose``. Dates are relative to the day the demo is built
(the application clock) and the random draws use a fixed seed. The team's « Formation des
parrains et marraines » joins the 2026 training catalogue (a realised session whose present
mentors become trained, and one to come), and the 2026 programme's « Jeunes parrainés » and
« Parrains formés » become computed. Idempotent; flushes, the caller commits.
"""

from __future__ import annotations

import random
import unicodedata
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import clock
from models.councils.projects import add_months
from models.mentoring import config, pairings
from models.mentoring.enums import (
    CloseReason,
    MeetingMode,
    MentorStatus,
    Outcome,
    PairingStatus,
    Prescriber,
    Sex,
    Situation,
)
from models.mentoring.mentees import CODE_ALPHABET, CODE_LENGTH
from models.mentoring.orm import (
    FollowUp,
    Mentee,
    Mentor,
    Pairing,
    PairingMeeting,
    PairingStatusChange,
)
from models.network.orm import MissionLocale
from models.programme.computed import set_source
from models.programme.enums import ProgrammeStatus
from models.programme.orm import Action, Indicator, Programme
from models.training.orm import Training

P = PairingStatus
SEED = 1616
MENTOR_TRAINING = "Formation des parrains et marraines"

WOMEN = ["Anne", "Brigitte", "Catherine", "Chantal", "Christine", "Claire", "Corinne",
         "Dominique", "Élise", "Fabienne", "Françoise", "Hélène", "Isabelle", "Jacqueline",
         "Karine", "Laurence", "Marie", "Martine", "Monique", "Nathalie", "Nadia", "Patricia",
         "Sandrine", "Sophie", "Sylvie", "Valérie", "Véronique", "Yasmina"]
MEN = ["Alain", "André", "Bernard", "Bruno", "Christophe", "Daniel", "Didier", "Éric",
       "François", "Gérard", "Gilles", "Jacques", "Jean-Marc", "Jean-Pierre", "Karim",
       "Laurent", "Marc", "Michel", "Olivier", "Pascal", "Patrick", "Philippe", "Pierre",
       "Serge", "Stéphane", "Thierry", "Vincent", "Yves"]
LAST = ["Arnaud", "Barbier", "Bernard", "Bonnet", "Boyer", "Brun", "Chevalier", "Clément",
        "Darrieux", "Dubois", "Dufour", "Durand", "Etchart", "Faure", "Fournier", "Garcia",
        "Gauthier", "Girard", "Guérin", "Haran", "Lacoste", "Lambert", "Laporte", "Lefèvre",
        "Marchand", "Martin", "Mercier", "Morel", "Moreau", "Nicolas", "Perrin", "Petit",
        "Renaud", "Robin", "Roussel", "Roux", "Sanchez", "Vidal", "Vincent", "Laborde"]
SECTORS = ["Bâtiment", "Commerce", "Banque", "Industrie", "Santé", "Aide à domicile",
           "Transport et logistique", "Hôtellerie-restauration", "Agriculture",
           "Informatique", "Fonction publique", "Artisanat", "Enseignement", "Énergie"]
QUALIFICATIONS = ["3", "3", "3", "4", "4", "4", "4", "5", "5", "6", "2"]


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(c for c in ascii_text.lower() if c.isalnum() or c == "-")


def _moment(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=UTC)


def _pick(rng: random.Random, weighted: list[tuple[object, float]]):
    return rng.choices([v for v, _ in weighted], [w for _, w in weighted])[0]


def _mission_locales(session: Session, featured: str) -> list[tuple[MissionLocale, int]]:
    """A dozen active MLs and their weight: the featured one (the demo ``ml`` account's)
    the largest."""
    mls = list(session.scalars(select(MissionLocale).where(MissionLocale.active.is_(True))
                               .order_by(MissionLocale.code)))
    chosen = [m for m in mls if m.code == featured]
    rest = [m for m in mls if m.code != featured]
    step = max(1, len(rest) // 11)
    chosen += rest[::step][:11]
    return [(ml, 4 if ml.code == featured else 1) for ml in chosen]


def _mentors(session: Session, rng: random.Random, ml: MissionLocale, count: int,
             start: date, today: date, used: set[str]) -> list[Mentor]:
    out = []
    for _ in range(count):
        sex = Sex.FEMME if rng.random() < 0.55 else Sex.HOMME
        first = rng.choice(WOMEN if sex is Sex.FEMME else MEN)
        last = rng.choice(LAST)
        email = f"{_slug(first)}.{_slug(last)}@exemple.fr"
        n = 2
        while email in used:
            email = f"{_slug(first)}.{_slug(last)}{n}@exemple.fr"
            n += 1
        used.add(email)
        # recruited over the three years, most early on
        joined = start - timedelta(days=60) + timedelta(
            days=int(((today - start).days + 20) * rng.random() ** 1.6))
        joined = min(joined, today - timedelta(days=15))
        trained = None
        if rng.random() < 0.8:
            trained = min(joined + timedelta(days=rng.randint(7, 75)), today - timedelta(days=1))
        status = _pick(rng, [(MentorStatus.EN_ACTIVITE, 0.55), (MentorStatus.RETRAITE, 0.38),
                             (MentorStatus.AUTRE, 0.07)])
        mentor = Mentor(
            mission_locale_id=ml.id, last_name=last, first_name=first, email=email,
            phone=f"06 {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)} "
                  f"{rng.randint(10, 99)}" if rng.random() < 0.7 else "",
            sex=sex, status=status, sector=rng.choice(SECTORS), commune=ml.commune,
            consent_on=joined, charter_signed_on=joined, trained_on=trained,
            capacity=rng.choice([2, 3, 3, 3, 4]), active=rng.random() > 0.06)
        mentor.created_at = mentor.updated_at = _moment(joined, 9)
        out.append(mentor)
    session.add_all(out)
    return out


def _mentee(rng: random.Random, ml: MissionLocale, entry: date, code: str) -> Mentee:
    age = _pick(rng, [(16, 0.03), (17, 0.05), (18, 0.12), (19, 0.15), (20, 0.16), (21, 0.15),
                      (22, 0.13), (23, 0.1), (24, 0.07), (25, 0.04)])
    month = rng.randint(1, 12)
    year = entry.year - age - (1 if entry.month < month else 0)
    minor = entry.year - year - (1 if entry.month < month else 0) < config.MAJORITY
    mentee = Mentee(
        mission_locale_id=ml.id, code=code,
        sex=Sex.FEMME if rng.random() < 0.52 else Sex.HOMME, birth_year=year,
        birth_month=month,
        qpv=_pick(rng, [(True, 0.27), (False, 0.66), (None, 0.07)]),
        zrr=_pick(rng, [(True, 0.1), (False, 0.8), (None, 0.1)]),
        qualification=rng.choice(QUALIFICATIONS), rqth=rng.random() < 0.06,
        situation=_pick(rng, [(Situation.DEMANDEUR_EMPLOI, 0.55),
                              (Situation.SANS_ACTIVITE, 0.15),
                              (Situation.EMPLOI_PRECAIRE, 0.1), (Situation.FORMATION, 0.08),
                              (Situation.SCOLAIRE, 0.07), (Situation.AUTRE, 0.05)]),
        prescriber=_pick(rng, [(Prescriber.MISSION_LOCALE, 0.7),
                               (Prescriber.FRANCE_TRAVAIL, 0.12),
                               (Prescriber.EDUCATION, 0.08), (Prescriber.ASSOCIATION, 0.07),
                               (Prescriber.AUTRE, 0.03)]),
        project_validated=True,
        minor_consent_on=entry - timedelta(days=rng.randint(5, 20)) if minor else None)
    mentee.created_at = mentee.updated_at = _moment(entry - timedelta(days=14), 11)
    return mentee


def _code(rng: random.Random, used: set[str]) -> str:
    while True:
        code = "".join(rng.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        if code not in used:
            used.add(code)
            return code


class _Book:
    """Each mentor's pairings as periods: capacity respected at every moment."""

    def __init__(self) -> None:
        self.periods: dict[int, list[tuple[date, date]]] = {}

    def free(self, mentor: Mentor, start: date, end: date) -> bool:
        periods = self.periods.get(id(mentor), [])
        return sum(1 for a, b in periods if a <= end and b >= start) < mentor.capacity

    def add(self, mentor: Mentor, start: date, end: date) -> None:
        self.periods.setdefault(id(mentor), []).append((start, end))


def _close(rng: random.Random, start: date, planned: date, today: date
           ) -> tuple[P, date | None, CloseReason | None, Outcome | None]:
    """How the pairing went: (status, ended_on, reason, outcome at the end)."""
    roll = rng.random()
    if roll < 0.1:  # broken before six weeks
        ended = start + timedelta(days=rng.randint(8, config.SHORT_PAIRING_DAYS - 2))
        reason = _pick(rng, [(CloseReason.PAR_LE_JEUNE, 0.6),
                             (CloseReason.PAR_LE_PARRAIN, 0.2),
                             (CloseReason.PAR_LA_STRUCTURE, 0.2)])
        outcome = _pick(rng, [(Outcome.ABANDON, 0.45), (Outcome.RECHERCHE, 0.3),
                              (Outcome.INCONNU, 0.25)])
        return (P.ROMPU, ended, reason, outcome) if ended <= today else (P.ACTIF, None,
                                                                            None, None)
    if roll < 0.2:  # broken later
        ended = start + timedelta(days=rng.randint(50, 150))
        reason = _pick(rng, [(CloseReason.PAR_LE_JEUNE, 0.55),
                             (CloseReason.PAR_LE_PARRAIN, 0.25),
                             (CloseReason.PAR_LA_STRUCTURE, 0.2)])
        outcome = _pick(rng, [(Outcome.EMPLOI_COURT, 0.25), (Outcome.RECHERCHE, 0.35),
                              (Outcome.ABANDON, 0.25), (Outcome.INCONNU, 0.15)])
        return (P.ROMPU, ended, reason, outcome) if ended <= today else (P.ACTIF, None,
                                                                            None, None)
    ended = planned + timedelta(days=rng.randint(-25, 10))
    if ended > today:
        return P.ACTIF, None, None, None
    reason = CloseReason.OBJECTIF_ATTEINT if rng.random() < 0.55 else CloseReason.DUREE_ECHUE
    outcome = _outcome(rng)
    return P.TERMINE, ended, reason, outcome


def _outcome(rng: random.Random) -> Outcome:
    return _pick(rng, [(Outcome.EMPLOI_DURABLE, 0.24), (Outcome.ALTERNANCE, 0.19),
                       (Outcome.EMPLOI_COURT, 0.1), (Outcome.INTERIM, 0.06),
                       (Outcome.FORMATION_QUALIFIANTE, 0.12),
                       (Outcome.CREATION_ACTIVITE, 0.02), (Outcome.RECHERCHE, 0.2),
                       (Outcome.INCONNU, 0.07)])


def _meetings(rng: random.Random, pairing: Pairing, last: date) -> None:
    span = (last - pairing.start_date).days
    if span < 7:
        return
    n = max(1, min(9, span // 30 + rng.randint(-1, 1)))
    face = n if span < 60 else max(2, int(n * 0.6))
    if rng.random() < 0.08:
        face = 1  # the exception the State's table shows
    days = sorted(pairing.start_date + timedelta(days=rng.randint(0, span)) for _ in range(n))
    for k, day in enumerate(days):
        mode = MeetingMode.PRESENTIEL if k < face else rng.choice(
            [MeetingMode.TELEPHONE, MeetingMode.VISIO])
        pairing.meetings.append(PairingMeeting(held_on=day, mode=mode,
                                               duration_minutes=rng.choice([45, 60, 60, 90,
                                                                           120])))


def _history(pairing: Pairing) -> None:
    proposed = pairing.start_date - timedelta(days=10)
    pairing.history.append(PairingStatusChange(changed_at=_moment(proposed, 9),
                                               from_status=None, to_status=P.PROPOSE))
    pairing.history.append(PairingStatusChange(changed_at=_moment(pairing.start_date, 9),
                                               from_status=P.PROPOSE, to_status=P.ACTIF))
    if pairing.ended_on is not None:
        pairing.history.append(PairingStatusChange(
            changed_at=_moment(pairing.ended_on, 16), from_status=P.ACTIF,
            to_status=pairing.status, reason=pairing.close_reason.value))


def _follow_up(rng: random.Random, pairing: Pairing, today: date) -> None:
    due = add_months(pairing.ended_on, config.FOLLOW_UP_MONTHS)
    follow_up = FollowUp(due_on=due)
    late = (today - due).days
    # recorded: almost always once long due; half of those due in the last two months
    if late >= 0 and rng.random() < (0.92 if late > 60 else 0.45):
        follow_up.recorded_on = min(due + timedelta(days=rng.randint(0, 25)), today)
        follow_up.outcome = _outcome(rng) if rng.random() < 0.9 else Outcome.INCONNU
    pairing.follow_up = follow_up


def _pairings(session: Session, rng: random.Random, ml: MissionLocale, mentors: list[Mentor],
              count: int, start: date, today: date, codes: set[str], book: _Book) -> int:
    """About ``count`` pairings of one ML, in order of start; returns how many were made."""
    starts = sorted(start + timedelta(days=rng.randint(0, (today - start).days - 3))
                    for _ in range(count))
    made = 0
    free_again: list[tuple[date, Mentee]] = []  # mentees whose pairing broke: paired again
    for day in starts:
        planned = add_months(day, 6)
        candidates = [m for m in mentors if m.active and m.charter_signed_on <= day
                      and book.free(m, day, planned)]
        if not candidates:
            continue
        mentor = rng.choice(candidates)
        again = next((x for x in free_again if x[0] < day), None)
        if again is not None and rng.random() < 0.5:
            free_again.remove(again)
            mentee = again[1]
        else:
            mentee = _mentee(rng, ml, day, _code(rng, codes))
            session.add(mentee)
        status, ended, reason, outcome = _close(rng, day, planned, today)
        pairing = Pairing(mission_locale_id=ml.id, mentor=mentor, mentee=mentee, status=status,
                          start_date=day, planned_end=planned, ended_on=ended,
                          close_reason=reason, outcome=outcome)
        pairing.created_at = pairing.updated_at = _moment(day - timedelta(days=10), 9)
        session.add(pairing)
        book.add(mentor, day, ended or planned)
        _history(pairing)
        _meetings(rng, pairing, min(ended or today, today))
        if ended is not None:
            _follow_up(rng, pairing, today)
            if status is P.ROMPU and (ended - day).days < 120:
                free_again.append((ended + timedelta(days=rng.randint(20, 60)), mentee))
        made += 1
    return made


def _proposals(session: Session, rng: random.Random, ml: MissionLocale,
               mentors: list[Mentor], today: date, codes: set[str], book: _Book,
               n: int) -> int:
    """Proposals waiting for their start, through the domain (its checks, its history)."""
    made = 0
    for k in range(n):
        day = today + timedelta(days=7 + 9 * k)
        planned = add_months(day, 6)
        mentor = next((m for m in mentors if m.active and m.trained_on is not None
                       and book.free(m, day, planned)), None)
        if mentor is None:
            break
        mentee = _mentee(rng, ml, day, _code(rng, codes))
        mentee.created_at = mentee.updated_at = clock.now()
        if mentee.minor_consent_on is not None:
            mentee.minor_consent_on = min(mentee.minor_consent_on, today)
        session.add(mentee)
        session.flush()
        pairings.propose(session, None, mentee.id, mentor.id, day, planned, confirm=True,
                         today=today)
        made += 1
    return made


def _mentor_training(session: Session, featured: MissionLocale) -> str:
    """« Formation des parrains et marraines » in the 2026 catalogue: a realised session
    (the present mentors become trained) and one to come, the volunteers registered by
    their mission locale."""
    from models.mentoring.trainings import register_mentor
    from models.training.services import (
        SessionData,
        SlotData,
        TrainingData,
        save_session,
        save_training,
    )
    from seeds.training_data import ACCESS, HALF_DAYS, PLACES
    from seeds.training_demo import _held

    if session.scalars(select(Training).where(Training.title == MENTOR_TRAINING)).first():
        return ""
    action = session.scalar(select(Action.id).join(Programme).where(
        Programme.year == 2026, Action.title.like("Animation régionale du parrainage%")))
    training = save_training(session, None, None, TrainingData(
        title=MENTOR_TRAINING, duration_days=Decimal(1), duration_hours=Decimal(7),
        modality="presentiel", audience=["benevole"],
        objectives="Comprendre le rôle du parrain ou de la marraine, la charte du parrainage "
                   "et les étapes d'un binôme ; savoir mener les premières rencontres.",
        content="La mission locale et ses publics ; la charte ; écouter sans faire à la place ; "
                "le réseau professionnel au service du jeune ; cas pratiques.",
        provider="ARML Nouvelle-Aquitaine", trainer="Équipe d'animation régionale",
        cost_per_trainee=Decimal("0.00"), action_id=action))

    def slots(day: date) -> list[SlotData]:
        return [SlotData(day, half, time.fromisoformat(HALF_DAYS[half][0]),
                         time.fromisoformat(HALF_DAYS[half][1]))
                for half in ("matin", "apres_midi")]

    held_day, next_day = date(2026, 10, 13), date(2026, 12, 10)
    past = save_session(session, None, training, None, SessionData(
        slots=slots(held_day), max_capacity=14, min_capacity=6,
        registration_opens=date(2026, 9, 1), registration_closes=date(2026, 10, 6),
        place=PLACES["bordeaux"], access_details=ACCESS["bordeaux"],
        trainer=training.trainer)).session
    coming = save_session(session, None, training, None, SessionData(
        slots=slots(next_day), max_capacity=14, min_capacity=6,
        registration_opens=date(2026, 11, 2), registration_closes=date(2026, 12, 3),
        place=PLACES["bordeaux"], access_details=ACCESS["bordeaux"],
        trainer=training.trainer)).session
    untrained = list(session.scalars(select(Mentor).where(
        Mentor.trained_on.is_(None), Mentor.active.is_(True),
        Mentor.charter_signed_on <= date(2026, 9, 1)).order_by(
        (Mentor.mission_locale_id != featured.id), Mentor.id)))
    for k, mentor in enumerate(untrained[:11]):
        register_mentor(session, None, past.id, mentor.id, today=date(2026, 9, 2 + k))
    _held(session, past, {"satisfaction": 4.5}, random.Random(SEED))
    for k, mentor in enumerate(untrained[11:17]):
        register_mentor(session, None, coming.id, mentor.id, today=date(2026, 11, 3 + k))
    return "une formation des parrains et marraines (2 sessions)"


def _programme_indicators(session: Session) -> None:
    """The 2026 programme counts its mentees and trained mentors from here (2025 is
    closed: its typed figures stay)."""
    programme = session.scalars(select(Programme).where(Programme.year == 2026)).first()
    if programme is None or programme.status == ProgrammeStatus.CLOTURE:
        return
    keys = {"Jeunes parrainés": "parrainage.jeunes_parraines",
            "Parrains formés": "parrainage.parrains_formes"}
    for indicator in session.scalars(select(Indicator).join(Action).where(
            Action.programme_id == programme.id, Indicator.name.in_(keys))):
        set_source(session, None, indicator, keys[indicator.name], None)


def build_mentoring(session: Session, featured_ml: str) -> str:
    """Build the demo parrainage (once); flushes, the caller commits."""
    if session.scalars(select(Mentor.id)).first() is not None:
        return "parrainage déjà présent"
    rng = random.Random(SEED)  # noqa: S311 - deterministic demo data
    today = clock.today()
    start = add_months(today, -36)
    mls = _mission_locales(session, featured_ml)
    weight = sum(w for _, w in mls)
    used_emails: set[str] = set(session.scalars(select(Mentor.email)))
    codes: set[str] = set(session.scalars(select(Mentee.code)))
    book = _Book()
    made = proposals = 0
    for ml, w in mls:
        mentors = _mentors(session, rng, ml, round(150 * w / weight), start, today,
                           used_emails)
        made += _pairings(session, rng, ml, mentors, round(470 * w / weight), start, today,
                          codes, book)
        session.flush()
        proposals += _proposals(session, rng, ml, mentors, today, codes, book,
                                3 if w > 1 else rng.randint(0, 1))
    training = _mentor_training(session, mls[0][0])
    _programme_indicators(session)
    session.flush()

    def count(model: type) -> int:
        return session.scalar(select(func.count()).select_from(model)) or 0

    return (f"parrainage : {count(Mentor)} parrains et marraines, {count(Mentee)} filleul·es, "
            f"{made} binômes sur 3 ans et {proposals} propositions dans {len(mls)} missions "
            f"locales" + (f", {training}" if training else ""))


__all__ = ["build_mentoring"]
