"""Council pages with one year, then three years of history, as ratios from one run.

Usage: ``.venv/bin/python bench/councils.py [--repeat 5] [--sql]`` (part of ``make bench``).
Builds, in a throwaway SQLite database, the history of a conseil technique des directeurs
that meets every six weeks: 40 active missions locales (their directors are the members),
each held meeting with its invitees and their presences (proxies included), an agenda of
seven items (two with a 300 kB PDF note), minutes approved at the next meeting, about 100
decisions a year (recorded and moved along with ``models.councils.decisions``, so every
change has its event): most closed within a few meetings, some postponed, a few (6 %)
left overdue until a review of the register abandons them nine months past their due date.

The first year is built with the clock at its end and the database copied; years 2 and 3
are then added to the original. The two databases are measured side by side, each with
its own app, signed-in client (an admin) and clock, in ``max(20, 10 × repeat)``
interleaved rounds, so that the load of a shared machine weighs on both alike. For each
page and history length it prints the median time of a GET (Flask test client), its
ratio to ``GET /healthz`` timed in the same rounds (goal ≤ 15×), the 3-year / 1-year
ratio of both (goal: close to 1, "flat"), and the number of SQL statements one request
runs (an N+1 shows as a count that grows). ``--sql`` also prints the statements of one
3-year request per page, grouped, each with the line of the project's code or template
that ran it.

Pages: the last held meeting (with its "Suivi des décisions"), the next planned meeting,
the decision register (``/conseils/decisions``) and its overdue filter. Prints only; no
figure is asserted.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import re
import sqlite3
import statistics
import sys
import tempfile
import time as timer
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
_FOLDER = Path(tempfile.mkdtemp(prefix="bench-conseils-"))
os.environ["ANIMARESEAU_INSTANCE_PATH"] = str(_FOLDER)
os.environ["DATABASE_URL"] = f"sqlite:///{_FOLDER / 'bench.db'}"
os.environ.setdefault("ANIMARESEAU_ENV", "test")

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import event, select  # noqa: E402

from models import clock  # noqa: E402
from models.accounts.roles import Role  # noqa: E402
from models.accounts.services import UserData, create_user  # noqa: E402
from models.councils.decisions import DecisionData, change_status, record_decision  # noqa: E402
from models.councils.enums import (  # noqa: E402
    OPEN_STATUSES,
    DecisionStatus,
    InviteeKind,
    ItemKind,
    MeetingStatus,
    MinutesStatus,
    Presence,
    SeriesKind,
)
from models.councils.orm import (  # noqa: E402
    AgendaAttachment,
    AgendaItem,
    CouncilSeries,
    Decision,
    Invitee,
    Meeting,
    Minutes,
)
from models.network.orm import MissionLocale, Region  # noqa: E402
from models.programme.enums import MemberStatus  # noqa: E402
from models.programme.orm import TeamMember  # noqa: E402
from webapp import create_app  # noqa: E402
from webapp.extensions import db  # noqa: E402

ADMIN_EMAIL = "admin@bench.arml.fr"
PASSWORD = "banc-essai-conseils-2026"  # noqa: S105 - throwaway database
RHYTHM = timedelta(weeks=6)
ATTACHMENT_BYTES = 300_000  # a short PDF note, two per meeting
COMMUNES = (
    "Agen", "Angoulême", "Arcachon", "Bayonne", "Bergerac", "Biarritz", "Blaye", "Bordeaux",
    "Brive", "Cognac", "Dax", "Guéret", "Jonzac", "Langon", "Libourne", "Limoges", "Lormont",
    "Marmande", "Mont-de-Marsan", "Niort", "Oloron", "Orthez", "Pau", "Périgueux",
    "Poitiers", "La Rochelle", "Rochefort", "Royan", "Saintes", "Sarlat", "Tulle",
    "Ussel", "Villeneuve-sur-Lot", "Bressuire", "Châtellerault", "Parthenay", "Mérignac",
    "Pessac", "Bègles", "Saint-Junien")
FIRST = ("Anne", "Bruno", "Claire", "David", "Élise", "François", "Géraldine", "Hugo",
         "Isabelle", "Julien", "Karine", "Laurent", "Maud", "Nicolas")
LAST = ("Arnaud", "Bernard", "Castaing", "Delmas", "Etcheverry", "Fabre", "Garcia",
        "Hirigoyen", "Ibarra", "Jaulin", "Lafitte", "Marty", "Noguès", "Oyhénart")
TOPICS = ("la garantie jeunes", "le CEJ", "l'accueil des jeunes en QPV", "la mobilité",
          "le logement des jeunes", "la formation des conseillers", "i-milo",
          "le rapport d'activité", "les partenariats entreprises", "la santé des jeunes",
          "le repérage des invisibles", "la démarche qualité", "les achats groupés")
VERBS = ("Rédiger une note sur", "Organiser une réunion d'échange sur",
         "Proposer au copil une position sur", "Recenser les pratiques des ML sur",
         "Préparer un courrier commun sur", "Présenter un bilan de")
LOREM = ("Le conseil a examiné les points inscrits à l'ordre du jour. Les directeurs ont "
         "échangé sur les pratiques de leurs structures et sur les suites à donner. ") * 20


class History:
    """A conseil's history built meeting after meeting, as the team would record it."""

    def __init__(self, session, seed: int = 15) -> None:
        self.rng = random.Random(seed)
        self.blobs = random.Random(seed)  # apart: the decisions do not depend on it
        region = Region(code="75", name="Nouvelle-Aquitaine", arml_name="ARML banc d'essai")
        mls = []
        for i, commune in enumerate(COMMUNES):
            director = f"{FIRST[i % len(FIRST)]} {LAST[(i * 5) % len(LAST)]}"
            slug = re.sub(r"[^a-z]", "", commune.lower().encode("ascii", "ignore").decode())
            mls.append(MissionLocale(
                region=region, code=f"{33000 + i}", name=f"Mission locale de {commune}",
                departement="33", commune=commune, director_name=director,
                director_email=f"direction@ml-{slug}-{i}.fr"))
        members = [TeamMember(full_name=f"{FIRST[i]} {LAST[i]}", function="Chargé·e de mission",
                              contract_etp=Decimal("1"), status=MemberStatus.SALARIE,
                              start_date=date(2020, 1, 1)) for i in range(6)]
        series = CouncilSeries(
            name="Conseil technique des directeurs", kind=SeriesKind.CONSEIL,
            rhythm_weeks=6, default_place="ARML, salle du conseil", quorum_enabled=True,
            quorum_threshold=21, proxies_enabled=True, max_proxies=1)
        session.add_all([region, *mls, *members, series])
        session.flush()
        # ids only: each phase works in a fresh session (the pages are measured between)
        self.series_id, self.ml_ids = series.id, [ml.id for ml in mls]
        self.member_ids = [m.id for m in members]
        self.held_ids: list[int] = []
        self.planned_id: int | None = None
        self.lingering: set[int] = set()  # nobody follows them up: overdue for months
        self.numbers = 0

    def _load(self, session) -> None:
        self.s = session
        self.series = session.get(CouncilSeries, self.series_id)
        self.mls = [session.get(MissionLocale, i) for i in self.ml_ids]
        self.members = [session.get(TeamMember, i) for i in self.member_ids]
        self.last_held = session.get(Meeting, self.held_ids[-1]) if self.held_ids else None

    # ------------------------------------------------------------------ meetings
    def extend(self, session, first_day: date, today: date) -> None:
        """Hold every meeting of the rhythm up to ``today`` (from ``first_day`` or the
        planned one), and plan the next one."""
        self._load(session)
        planned = session.get(Meeting, self.planned_id) if self.planned_id else None
        day = planned.day if planned is not None else first_day
        while True:
            meeting = planned if planned is not None else self._plan(day)
            planned = None
            if day >= today:
                self.planned_id = meeting.id
                break
            self._hold(meeting)
            day += RHYTHM

    def _plan(self, day: date) -> Meeting:
        at = datetime.combine(day - timedelta(days=14), time(10), tzinfo=clock.LOCAL)
        meeting = Meeting(series=self.series, day=day, starts_at=time(9, 30),
                          ends_at=time(16, 30), place=self.series.default_place,
                          status=MeetingStatus.CONVOQUE, invited_at=at.astimezone(UTC))
        self.s.add(meeting)
        rng = self.rng
        for ml in self.mls:
            answer = rng.choices([Presence.PRESENT, Presence.EXCUSE, None],
                                 weights=[70, 12, 18])[0]
            meeting.invitees.append(Invitee(
                kind=InviteeKind.MEMBRE, mission_locale=ml, full_name=ml.director_name,
                email=ml.director_email, organisation=ml.name, answer=answer,
                answered_at=at.astimezone(UTC) + timedelta(days=2) if answer else None,
                answered_by=ml.director_name if answer else ""))
        for name, org in (("Sophie Dreets", "DREETS"), ("Paul Région", "Conseil régional")):
            meeting.invitees.append(Invitee(
                kind=InviteeKind.INVITE, full_name=name,
                email=f"{name.split()[0].lower()}@{org.split()[-1].lower()}.fr",
                organisation=org, answer=Presence.PRESENT))
        items: list[tuple[ItemKind, str, Meeting | None]] = []
        if self.last_held is not None:
            items.append((ItemKind.APPROBATION, "Approbation du compte rendu", self.last_held))
        items.append((ItemKind.SUIVI, "Suivi des décisions", None))
        for kind in (ItemKind.INFORMATION, ItemKind.INFORMATION, ItemKind.DECISION,
                     ItemKind.DECISION, ItemKind.ECHANGE):
            items.append((kind, f"{kind.label} : {rng.choice(TOPICS)}", None))
        for position, (kind, title, minutes_of) in enumerate(items, start=1):
            item = AgendaItem(series_id=self.series.id, meeting=meeting, position=position,
                              kind=kind, title=title, minutes_of=minutes_of,
                              details="Présentation et échanges.", duration_minutes=30,
                              presenter=rng.choice(self.members).full_name)
            if kind is ItemKind.DECISION:  # the note the directors read beforehand
                content = b"%PDF-1.4\n" + self.blobs.randbytes(ATTACHMENT_BYTES)
                item.attachments.append(AgendaAttachment(
                    filename=f"note-{position}.pdf", mimetype="application/pdf",
                    size=len(content), sha256=hashlib.sha256(content).hexdigest(),
                    content=content, uploaded_by=item.presenter))
            self.s.add(item)
        self.s.flush()
        return meeting

    def _hold(self, meeting: Meeting) -> None:
        rng = self.rng
        present = []
        for invitee in meeting.invitees:
            if invitee.kind == InviteeKind.INVITE:
                invitee.presence = Presence.PRESENT
                continue
            weights = ([85, 5, 5, 5] if invitee.answer == Presence.PRESENT
                       else [10, 60, 20, 10] if invitee.answer == Presence.EXCUSE
                       else [50, 10, 35, 5])
            invitee.presence = rng.choices([Presence.PRESENT, Presence.EXCUSE,
                                            Presence.ABSENT, Presence.REPRESENTE],
                                           weights=weights)[0]
            if invitee.presence == Presence.PRESENT:
                present.append(invitee)
        holders = iter(present)
        for invitee in meeting.invitees:
            if invitee.presence == Presence.REPRESENTE:
                invitee.proxy_holder = next(holders, None)
                if invitee.proxy_holder is None:
                    invitee.presence = Presence.ABSENT
        meeting.status = MeetingStatus.TENU
        self.s.flush()
        if self.last_held is not None:  # the previous minutes are approved at this meeting
            previous = self.last_held.minutes
            previous.status = MinutesStatus.APPROUVE
            previous.approved_in = meeting
            previous.approved_at = datetime.combine(
                meeting.day, time(12), tzinfo=clock.LOCAL).astimezone(UTC)
        self._follow_up(meeting)
        for _ in range(rng.randint(9, 14)):
            self._decide(meeting)
        self.s.add(Minutes(meeting=meeting, body=LOREM, status=MinutesStatus.DIFFUSE,
                           written_by=self.members[0].full_name,
                           circulated_at=datetime.combine(
                               meeting.day + timedelta(days=8), time(10),
                               tzinfo=clock.LOCAL).astimezone(UTC)))
        self.s.flush()
        self.held_ids.append(meeting.id)
        self.last_held = meeting

    # ----------------------------------------------------------------- decisions
    def _decide(self, meeting: Meeting) -> None:
        rng = self.rng
        self.numbers += 1
        text = f"{rng.choice(VERBS)} {rng.choice(TOPICS)} (n° {self.numbers})."
        if rng.random() < 0.55:
            data = DecisionData(text=text, owner_member_id=rng.choice(self.members).id)
        else:
            ml = rng.choice(self.mls)
            data = DecisionData(text=text, owner_ml_id=ml.id, owner_person=ml.director_name)
        data.due_date = meeting.day + timedelta(weeks=rng.randint(3, 16))
        decision = record_decision(self.s, None, data, meeting=meeting)
        if rng.random() < 0.06:
            self.lingering.add(decision.id)

    def _follow_up(self, meeting: Meeting) -> None:
        """What the "Suivi des décisions" of a meeting records: progress, closings,
        postponements; some decisions are not mentioned and slip past their due date."""
        rng = self.rng
        open_ = self.s.scalars(select(Decision).where(
            Decision.series_id == self.series.id, Decision.decided_on < meeting.day,
            Decision.status.in_(OPEN_STATUSES))).all()
        for decision in open_:
            status = DecisionStatus(decision.status)
            if decision.id in self.lingering:
                if meeting.day - decision.due_date > timedelta(days=270):
                    change_status(self.s, None, decision, DecisionStatus.ABANDONNEE,
                                  meeting=meeting, note="Revue du registre : plus d'actualité.")
                elif status is DecisionStatus.OUVERTE and rng.random() < 0.3:
                    change_status(self.s, None, decision, DecisionStatus.EN_COURS,
                                  meeting=meeting, note="Démarrage annoncé.")
                continue
            roll = rng.random()
            if decision.due_date < meeting.day:  # due: closed, postponed or left overdue
                if roll < 0.55:
                    change_status(self.s, None, decision, DecisionStatus.FAITE,
                                  meeting=meeting, note="Réalisée, présentée en séance.")
                elif roll < 0.65:
                    change_status(self.s, None, decision, DecisionStatus.ABANDONNEE,
                                  meeting=meeting, note="Sans objet après échange.")
                elif roll < 0.85:
                    change_status(self.s, None, decision, DecisionStatus.REPORTEE,
                                  meeting=meeting, note="Reportée faute de temps.",
                                  new_due_date=meeting.day + timedelta(
                                      weeks=rng.randint(4, 10)))
            elif status is DecisionStatus.OUVERTE and roll < 0.35:
                change_status(self.s, None, decision, DecisionStatus.EN_COURS,
                              meeting=meeting, note="Travail engagé.")
            elif roll > 0.93:
                change_status(self.s, None, decision, DecisionStatus.FAITE,
                              meeting=meeting, note="Réalisée avant l'échéance.")

    def summary(self) -> str:
        from models.councils.register import follow_up

        decisions = self.s.scalars(select(Decision)).all()
        today = clock.today()
        open_ = [d for d in decisions if DecisionStatus(d.status) in OPEN_STATUSES]
        late = [d for d in open_ if d.due_date < today]
        planned = self.s.get(Meeting, self.planned_id)
        return (f"{len(self.held_ids)} réunions tenues (+1 prévue le {planned.day:%d/%m/%Y}), "
                f"{len(decisions)} décisions dont {len(open_)} ouvertes et {len(late)} en "
                f"retard ; suivi de la dernière réunion : "
                f"{len(follow_up(self.s, self.last_held))} décisions")


# ---------------------------------------------------------------------- measuring
class QueryCounter:
    """SQL statements run while ``run`` is active, each with where it came from (the
    innermost frame of the project's code or templates)."""

    def __init__(self, engine) -> None:
        self.statements: list[tuple[str, str]] = []
        self.active = False
        self.watch(engine)

    def watch(self, engine) -> None:
        event.listen(engine, "before_cursor_execute", self._count)

    def _count(self, conn, cursor, statement, parameters, context, executemany) -> None:
        if self.active:
            self.statements.append((statement, _origin()))

    def run(self, fn) -> list[tuple[str, str]]:
        self.statements, self.active = [], True
        try:
            fn()
        finally:
            self.active = False
        return self.statements


def _origin() -> str:
    frame = sys._getframe(1)
    while frame is not None:
        path = Path(frame.f_code.co_filename)
        template = frame.f_globals.get("__jinja_template__")
        if template is not None:  # a template's line, not its compiled code's
            return f"{path.name}:{template.get_corresponding_lineno(frame.f_lineno)}"
        if ROOT in path.parents and ".venv" not in path.parts and "bench" not in path.parts:
            return f"{path.relative_to(ROOT)}:{frame.f_lineno}"
        frame = frame.f_back
    return "?"


def pages(app, history: History) -> list[tuple[str, str]]:
    rules = {rule.endpoint for rule in app.url_map.iter_rules()}
    found = []
    if "councils.meeting_detail" in rules:
        found += [("réunion tenue (la dernière)", f"/conseils/reunions/{history.held_ids[-1]}"),
                  ("réunion prévue (la prochaine)", f"/conseils/reunions/{history.planned_id}")]
    else:
        print("   (pas encore de route councils.meeting_detail : pages de réunion omises)")
    found += [("registre", "/conseils/decisions"),
              ("registre, en retard", "/conseils/decisions?en_retard=1")]
    return found


class Phase:
    """One history length: its app (database), signed-in client and clock."""

    def __init__(self, years: int, app, moment: datetime, history: History) -> None:
        self.years, self.app, self.moment = years, app, moment
        self.urls = [("/healthz", "/healthz"), *pages(app, history)]
        self.began = timer.perf_counter()
        self.now()
        self.client = app.test_client()
        response = self.client.post("/connexion",
                                    data={"email": ADMIN_EMAIL, "password": PASSWORD})
        assert response.status_code == 302, response.status_code

    def now(self) -> None:
        """This phase's clock, running on since it started (sessions do not expire)."""
        clock.travel_to(self.moment + timedelta(seconds=timer.perf_counter() - self.began))


def measure(phases: list[Phase], counter: QueryCounter, n: int,
            show_sql: bool) -> dict[int, dict[str, tuple[float, int]]]:
    """Median ms and statements per page and phase (and /healthz), signed in as the
    admin, in interleaved rounds; a page that does not answer 200 is reported and left
    out."""
    targets, statements = [], {}
    for phase in phases:
        phase.now()
        for label, url in phase.urls:
            status = phase.client.get(url).status_code  # also warms templates and caches
            if status != 200:
                print(f"   {label} ({phase.years} an(s), {url}) : HTTP {status}, non mesurée")
                continue
            targets.append((phase, label, url))
            found = counter.run(lambda c=phase.client, u=url: c.get(u))
            statements[phase.years, label] = found
            if show_sql and phase.years == 3 and label != "/healthz":
                print(f"\n   SQL de « {label} » ({len(found)} requêtes) :")
                grouped = Counter((" ".join(text.split())[:90], origin)
                                  for text, origin in found)
                for (text, origin), count in grouped.most_common():
                    print(f"   {count:4d} × {origin:42} {text}")
    # interleaved rounds, both histories alike: a burst of load on the machine (it is
    # shared) weighs on every page and on /healthz in the same way
    samples: dict[tuple[int, str], list[float]] = {(p.years, lb): [] for p, lb, _ in targets}
    for _ in range(n):
        for phase, label, url in targets:
            phase.now()
            start = timer.perf_counter()
            response = phase.client.get(url)
            samples[phase.years, label].append(timer.perf_counter() - start)
            assert response.status_code == 200, (url, response.status_code)
    results: dict[int, dict[str, tuple[float, int]]] = {p.years: {} for p in phases}
    for (years, label), times in samples.items():
        results[years][label] = (statistics.median(times) * 1000,
                                 len(statements[years, label]))
    return results


def snapshot(url: str, copy: Path) -> None:
    """A consistent copy of the SQLite database (WAL included)."""
    source = sqlite3.connect(url.removeprefix("sqlite:///"))
    target = sqlite3.connect(copy)
    with target:
        source.backup(target)
    source.close()
    target.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--sql", action="store_true",
                        help="print the statements of one request per page (3 years)")
    args = parser.parse_args()
    n = max(20, args.repeat * 10)

    end = clock.today()
    start = end - timedelta(days=3 * 365)
    config = {"WTF_CSRF_ENABLED": False, "LOGIN_RATE_LIMIT": "10000 per minute"}
    app = create_app(config)
    with app.app_context():
        upgrade()
        counter = QueryCounter(db.engine)
        create_user(db.session, None, UserData(email=ADMIN_EMAIL, full_name="Ada Banc",
                                               role=Role.ADMIN), PASSWORD)
        history = History(db.session)
        db.session.commit()
    phases = []
    for years in (1, 3):
        moment = datetime.combine(start + timedelta(days=365 * years), time(10),
                                  tzinfo=clock.LOCAL)
        clock.travel_to(moment)
        with app.app_context():  # built in a session of its own, then measured outside it
            began = timer.perf_counter()
            history.extend(db.session, start, clock.today())
            db.session.commit()
            print(f"{years} an(s) d'historique au {clock.today():%d/%m/%Y}, construit en "
                  f"{timer.perf_counter() - began:.1f} s : {history.summary()}.")
        if years == 1:  # kept as it is, measured alongside the three years
            copy = _FOLDER / "un-an.db"
            snapshot(os.environ["DATABASE_URL"], copy)
            one = create_app({**config, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{copy}"})
            with one.app_context():
                counter.watch(db.engine)
            phases.append(Phase(1, one, moment, history))
        else:
            phases.append(Phase(3, app, moment, history))
    runs = measure(phases, counter, n, args.sql)
    clock.reset()

    print(f"\nMédiane de {n} requêtes GET par page, connecté·e en admin, les deux historiques "
          "en alternance (objectif ≤ 15× /healthz, et 3 ans ≈ 1 an)")
    print(f"{'page':30} {'ans':>3} {'ms':>8} {'× healthz':>10} {'requêtes SQL':>13} "
          f"{'3 ans / 1 an (ms, × healthz)':>29}")
    for label in runs[3]:
        if label not in runs[1]:
            continue
        for years in (1, 3):
            ms, queries = runs[years][label]
            ratio = ms / runs[years]["/healthz"][0]
            growth = ""
            if years == 3:
                before = runs[1][label][0]
                growth = (f"{ms / before:18.2f} {ratio / (before / runs[1]['/healthz'][0]):10.2f}")
            print(f"{label:30} {years:3d} {ms:8.2f} {ratio:10.1f} {queries:13d} {growth}")

if __name__ == "__main__":
    main()
