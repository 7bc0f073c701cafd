"""Figures of the councils (``models.councils.stats``) worked out by hand on a small
world, and the dashboard page "Conseils et projets" driven by AppTest; both backends.

The world (Y is the current year of the clock, Y-1 the one before; A = Mission locale
du Libournais, B = Mission locale Pau Pyrénées):

- series C "Conseil technique des directeurs", series G "Groupe de travail QVT";
- M0, C, 10/12/Y-1, held: A present, B absent (rate 1/2) — another year;
- M1, C, 15/01/Y, held: A present, B excused, a DREETS guest present (guests do not
  count) → 1 of 2 members, 50 %;
- M2, C, 01/03/Y, held: A present, A's deputy absent, B represented (proxy to A), a
  Région guest excused → 2 of 3, 66,67 %;
- M3, G, 10/04/Y, held: A present, B present, a member without mission locale whose
  presence was never recorded → 2 of 3, 66,67 %;
- M6, G, 01/07/Y, held, only a guest: no rate;
- M4, C, 20/05/Y, planned, M5, C, 10/06/Y, cancelled: both with invitees, counted nowhere.

Year Y: 4 meetings held (C 2, G 2); 5 of 8 members present or represented = 62,5 %
(C: 3/5 = 60 %, G: 2/3); per ML: A 3 of 4 invitations over 3 meetings (75 %), B 2 of 3
(66,67 %).

Decisions (owner: mission locale A): at M1 d1 open due in a month, d2 open due 01/02/Y
(overdue), d3 in progress due 15/02/Y (overdue), d4 done; at M2 d5 postponed to in two
months; at M3 d6 abandoned; at M0 d0 open due 31/12/Y-1 (overdue, taken in Y-1).
Year Y: ouverte 2, en cours 1, faite 1, abandonnée 1, reportée 1; 4 open, 2 overdue.
Every year: 5 open, 3 overdue.

Projects: "Groupe numérique" (appel, none), "Cluster QVT/RPS" (sessions: A retained,
B candidate), "Action mobilité" (bilan: B retained, A withdrawn).
"""

from __future__ import annotations

import json
from datetime import date, time, timedelta
from decimal import Decimal

import pytest
from streamlit.testing.v1 import AppTest
from streamlit.util import calc_hash

from models import clock
from models.audit import set_actor
from models.councils import stats
from models.councils.decisions import DecisionData, change_status, record_decision
from models.councils.enums import (
    DecisionStatus,
    InviteeKind,
    MeetingStatus,
    ParticipantStatus,
    Presence,
    ProjectKind,
    ProjectPhase,
    SeriesKind,
)
from models.councils.orm import (
    CollectiveProject,
    CouncilSeries,
    Invitee,
    Meeting,
    ProjectParticipant,
)
from models.errors import PermissionDenied
from models.formatting import format_date
from tests.test_dashboard import (
    DASHBOARD,
    REFUSAL,
    TIMEOUT,
    _array,
    dash,
    metrics,
    plotly_charts,
    run,
    signed_in,
    texts,
)
from webapp.extensions import db

#: Fixtures shared with test_dashboard.py: pytest registers them by their name in this module.
SHARED_FIXTURES = (dash,)

D = Decimal
PAGE = "views/conseils.py"
NNBSP, NBSP = "\u202f", "\u00a0"
COUNCIL, GROUP = "Conseil technique des directeurs", "Groupe de travail QVT"
LIBOURNAIS, PAU = "Mission locale du Libournais", "Mission locale Pau Pyrénées"
P, E, A, R = Presence.PRESENT, Presence.EXCUSE, Presence.ABSENT, Presence.REPRESENTE


def _plain(text: str) -> str:
    return text.replace(NNBSP, " ").replace(NBSP, " ")


def build_world(s, ids) -> dict:
    """The world of the module docstring; returns {name: id} and the year."""
    set_actor(s, None, via="cli")
    today = clock.today()
    y = today.year
    council = CouncilSeries(name=COUNCIL, kind=SeriesKind.CONSEIL)
    group = CouncilSeries(name=GROUP, kind=SeriesKind.GROUPE, directors_are_members=False)
    s.add_all([council, group])

    def meeting(series, day, status, *people):
        m = Meeting(series=series, day=day, starts_at=time(9, 30), ends_at=time(12, 30),
                    status=status)
        for kind, name, ml_key, presence in people:
            m.invitees.append(Invitee(
                kind=kind, full_name=name,
                email=f"{name.lower().replace(' ', '.')}@exemple.fr",
                mission_locale_id=ids[ml_key] if ml_key else None, presence=presence))
        s.add(m)
        return m

    M, G_ = InviteeKind.MEMBRE, InviteeKind.INVITE
    m0 = meeting(council, date(y - 1, 12, 10), MeetingStatus.TENU,
                 (M, "Anne Directrice", "ml_a", P), (M, "Bruno Directeur", "ml_b", A))
    m1 = meeting(council, date(y, 1, 15), MeetingStatus.TENU,
                 (M, "Anne Directrice", "ml_a", P), (M, "Bruno Directeur", "ml_b", E),
                 (G_, "Denise Dreets", None, P))
    m2 = meeting(council, date(y, 3, 1), MeetingStatus.TENU,
                 (M, "Anne Directrice", "ml_a", P), (M, "Adam Adjoint", "ml_a", A),
                 (M, "Bruno Directeur", "ml_b", R), (G_, "Rachid Région", None, E))
    m3 = meeting(group, date(y, 4, 10), MeetingStatus.TENU,
                 (M, "Anne Directrice", "ml_a", P), (M, "Bruno Directeur", "ml_b", P),
                 (M, "Carla Consultante", None, None))
    m6 = meeting(group, date(y, 7, 1), MeetingStatus.TENU, (G_, "Gaëlle Invitée", None, P))
    meeting(council, date(y, 5, 20), MeetingStatus.PLANIFIE,
            (M, "Anne Directrice", "ml_a", None), (M, "Bruno Directeur", "ml_b", E))
    meeting(council, date(y, 6, 10), MeetingStatus.ANNULE,
            (M, "Anne Directrice", "ml_a", None), (M, "Bruno Directeur", "ml_b", None))
    s.flush()
    anne = next(i for i in m2.invitees if i.full_name == "Anne Directrice")
    next(i for i in m2.invitees if i.full_name == "Bruno Directeur").proxy_holder = anne
    s.flush()

    def decide(m, text, due):
        return record_decision(s, None, DecisionData(
            text=text, owner_ml_id=ids["ml_a"], owner_person="Anne Directrice", due_date=due),
            meeting=m)

    decide(m1, "Diffuser la note de veille", today + timedelta(days=30))
    decide(m1, "Recenser les besoins de formation", date(y, 2, 1))
    change_status(s, None, decide(m1, "Préparer la rencontre avec la DREETS",
                                  date(y, 2, 15)), DecisionStatus.EN_COURS, note="Commencé.")
    change_status(s, None, decide(m1, "Envoyer le calendrier", date(y, 2, 15)),
                  DecisionStatus.FAITE, note="Envoyé le 20 janvier.")
    change_status(s, None, decide(m2, "Écrire la charte d'accueil", date(y, 3, 15)),
                  DecisionStatus.REPORTEE, new_due_date=today + timedelta(days=60),
                  note="Attendre la Région.")
    change_status(s, None, decide(m3, "Sonder les équipes", date(y, 5, 1)),
                  DecisionStatus.ABANDONNEE, note="Fait par l'Aract.")
    decide(m0, "Mettre à jour l'annuaire", date(y - 1, 12, 31))

    numerique = CollectiveProject(title="Groupe numérique", kind=ProjectKind.GROUPE,
                                  phase=ProjectPhase.APPEL)
    cluster = CollectiveProject(title="Cluster QVT/RPS", kind=ProjectKind.CLUSTER,
                                phase=ProjectPhase.SESSIONS, evaluation_due=date(y + 1, 3, 1))
    mobilite = CollectiveProject(title="Action mobilité", kind=ProjectKind.ACTION,
                                 phase=ProjectPhase.BILAN)
    cluster.participants = [
        ProjectParticipant(mission_locale_id=ids["ml_a"], status=ParticipantStatus.RETENU),
        ProjectParticipant(mission_locale_id=ids["ml_b"], status=ParticipantStatus.CANDIDAT)]
    mobilite.participants = [
        ProjectParticipant(mission_locale_id=ids["ml_b"], status=ParticipantStatus.RETENU),
        ProjectParticipant(mission_locale_id=ids["ml_a"], status=ParticipantStatus.RETIRE,
                           withdrawal_reason="Trop de charge cette année.")]
    s.add_all([numerique, cluster, mobilite])
    s.flush()
    return {"year": y, "council": council.id, "group": group.id, "m1": m1.id, "m2": m2.id,
            "m3": m3.id, "m6": m6.id, "cluster": cluster.id}


@pytest.fixture
def built(session, world):
    return build_world(session, world["ids"])


# ---------------------------------------------------------------- stats
def test_meetings_held_counts_held_meetings_of_the_year(session, built):
    y = built["year"]
    assert stats.meetings_held(session, y) == 4
    assert stats.meetings_held(session, y, built["council"]) == 2
    assert stats.meetings_held(session, y, built["group"]) == 2
    assert stats.meetings_held(session, y - 1) == 1
    assert stats.meetings_held(session, y + 1) == 0


def test_attendance_rate_is_present_and_represented_over_invited_members(session, built):
    y = built["year"]
    assert stats.attendance_rate(session, y) == D("0.6250")
    assert stats.attendance_rate(session, y, built["council"]) == D("0.6000")
    assert stats.attendance_rate(session, y, built["group"]) == D("0.6667")
    assert stats.attendance_rate(session, y - 1) == D("0.5000")
    assert stats.attendance_rate(session, y + 1) is None
    tally = stats.attendance(session, y)
    assert (tally.invited, tally.present, tally.represented, tally.excused, tally.absent,
            tally.unrecorded) == (8, 4, 1, 1, 1, 1)


def test_attendance_by_meeting(session, built):
    rows = stats.attendance_by_meeting(session, built["year"])
    assert [r.meeting_id for r in rows] == [built[k] for k in ("m1", "m2", "m3", "m6")]
    assert [(r.series, r.invited, r.present, r.represented, r.excused, r.absent,
             r.unrecorded, r.rate) for r in rows] == [
        (COUNCIL, 2, 1, 0, 1, 0, 0, D("0.5000")),
        (COUNCIL, 3, 1, 1, 0, 1, 0, D("0.6667")),
        (GROUP, 3, 2, 0, 0, 0, 1, D("0.6667")),
        (GROUP, 0, 0, 0, 0, 0, 0, None)]
    assert rows[0].label == f"{COUNCIL} du 15/01/{built['year']}"


def test_attendance_by_mission_locale(session, built):
    rows = stats.attendance_by_ml(session, built["year"])
    assert [(r.name, r.meetings_invited, r.invited, r.present, r.represented, r.excused,
             r.absent, r.unrecorded, r.rate) for r in rows] == [
        (LIBOURNAIS, 3, 4, 3, 0, 0, 1, 0, D("0.7500")),
        (PAU, 3, 3, 1, 1, 1, 0, 0, D("0.6667"))]
    council = stats.attendance_by_ml(session, built["year"], built["council"])
    assert [(r.name, r.meetings_invited, r.rate) for r in council] == [
        (LIBOURNAIS, 2, D("0.6667")), (PAU, 2, D("0.5000"))]
    assert stats.attendance_by_ml(session, built["year"] + 1) == []


def test_decisions_by_status_and_overdue(session, built):
    y = built["year"]
    counts = stats.decisions_by_status(session, y)
    assert counts.by_status == {
        DecisionStatus.OUVERTE: 2, DecisionStatus.EN_COURS: 1, DecisionStatus.FAITE: 1,
        DecisionStatus.ABANDONNEE: 1, DecisionStatus.REPORTEE: 1}
    assert counts.overdue_by_status == {DecisionStatus.OUVERTE: 1, DecisionStatus.EN_COURS: 1,
                                        DecisionStatus.REPORTEE: 0}
    assert (counts.total, counts.open, counts.overdue) == (6, 4, 2)
    every = stats.decisions_by_status(session)
    assert (every.total, every.open, every.overdue) == (7, 5, 3)
    # the same rule as the register's
    from models.councils.register import status_counts

    assert status_counts(session, None, y)["en_retard"] == counts.overdue
    assert status_counts(session, None)["en_retard"] == every.overdue
    assert stats.decisions_by_status(session, y, series_id=built["group"]).total == 1
    # a month later, the decision due in 30 days is overdue too
    later = stats.decisions_by_status(session, y, today=clock.today() + timedelta(days=31))
    assert later.overdue == 3
    overdue = stats.overdue_decisions(session, y)
    assert [d.text for d in overdue] == ["Recenser les besoins de formation",
                                         "Préparer la rencontre avec la DREETS"]
    assert overdue[0].days_late == (clock.today() - date(y, 2, 1)).days
    assert overdue[0].source == f"{COUNCIL} du 15/01/{y}"
    assert overdue[0].owner == f"{LIBOURNAIS} — Anne Directrice"
    assert len(stats.overdue_decisions(session)) == 3


def test_projects_by_phase(session, built):
    result = stats.projects_by_phase(session)
    assert list(result.counts) == list(ProjectPhase)
    assert {p: n for p, n in result.counts.items() if n} == {
        ProjectPhase.APPEL: 1, ProjectPhase.SESSIONS: 1, ProjectPhase.BILAN: 1}
    assert [(p.title, p.retained, p.candidates, p.withdrawn) for p in result.projects] == [
        ("Groupe numérique", 0, 0, 0), ("Cluster QVT/RPS", 1, 1, 0),
        ("Action mobilité", 1, 0, 1)]


def test_years(session, built):
    assert stats.years(session) == [built["year"], built["year"] - 1]


def test_empty_database(session, world):
    y = clock.today().year
    assert stats.meetings_held(session, y) == 0
    assert stats.attendance_rate(session, y) is None
    assert stats.attendance_by_meeting(session, y) == []
    counts = stats.decisions_by_status(session, y)
    assert (counts.total, counts.open, counts.overdue) == (0, 0, 0)
    assert stats.projects_by_phase(session).projects == []
    assert stats.years(session) == []


# ---------------------------------------------------------------- the page
@pytest.fixture
def councils(app, dash):
    with app.app_context():
        built = build_world(db.session, dash["ids"])
        db.session.commit()
    return {**dash, "built": built}


def chart(at: AppTest, key: str) -> dict[str, dict]:
    found = [c for c in plotly_charts(at) if c.proto.id.endswith(key)]
    assert len(found) == 1, [c.proto.id for c in plotly_charts(at)]
    spec = json.loads(found[0].proto.spec)
    assert spec["layout"]["separators"] == ", "
    return {trace["name"]: dict(zip(_array(trace["x"]), _array(trace["y"]), strict=True))
            for trace in spec["data"]}


def table(at: AppTest, column: str):
    found = [df.value for df in at.dataframe if column in df.value.columns]
    assert len(found) == 1, [list(df.value.columns) for df in at.dataframe]
    return found[0]


def all_text(at: AppTest) -> str:
    parts = (texts(at.markdown) + texts(at.caption) + texts(at.info) + texts(at.warning)
             + texts(at.success) + texts(at.error))
    return _plain("\n".join(parts))


def open_page(dash, role: str, year: int | None = None) -> AppTest:
    at = signed_in(dash, role)
    run(at.switch_page(PAGE))
    assert "Conseils et projets" in texts(at.title)
    if year is not None and at.selectbox(key="councils_year").value != year:
        at.selectbox(key="councils_year").set_value(year)
        run(at)
    return at


@pytest.mark.parametrize("role", ["admin", "copil"])
def test_readers_see_the_years_figures(councils, role):
    y = councils["built"]["year"]
    at = open_page(councils, role, y)
    assert at.selectbox(key="councils_year").options == [str(y), str(y - 1)]
    assert {k: _plain(v) for k, v in metrics(at).items()} == {
        "Réunions tenues": "4", "Taux de présence": "62,5 %", "Décisions ouvertes": "4",
        "En retard": "2"}
    text = all_text(at)
    assert "1 présence(s) de membres non saisie(s)" in text
    assert ("Complétez-les sur la page de la réunion" in text) == (role == "admin")
    assert "1 décision(s) prise(s) une autre année" in text
    assert REFUSAL not in texts(at.error)

    attendance = chart(at, "chart_attendance")
    assert set(attendance) == {COUNCIL, GROUP}
    assert attendance[COUNCIL] == {
        f"{format_date(date(y, 1, 15))} · {COUNCIL}": pytest.approx(50.0),
        f"{format_date(date(y, 3, 1))} · {COUNCIL}": pytest.approx(66.67)}
    assert attendance[GROUP] == {f"{format_date(date(y, 4, 10))} · {GROUP}":
                                 pytest.approx(66.67)}

    by_ml = table(at, "Mission locale")
    assert [tuple(_plain(str(v)) for v in row) for row in by_ml.itertuples(index=False)] == [
        (LIBOURNAIS, "3", "3", "0", "0", "1", "0", "75,0 %"),
        (PAU, "3", "1", "1", "1", "0", "0", "66,7 %")]

    decisions = chart(at, "chart_decisions")
    assert decisions["En retard"] == {"Ouverte": 1, "En cours": 1, "Faite": 0,
                                      "Abandonnée": 0, "Reportée": 0}
    assert decisions["Dans les délais ou closes"] == {
        "Ouverte": 1, "En cours": 0, "Faite": 1, "Abandonnée": 1, "Reportée": 1}
    overdue = table(at, "Jours de retard")
    assert overdue["Décision"].tolist() == ["Recenser les besoins de formation",
                                            "Préparer la rencontre avec la DREETS"]

    assert chart(at, "chart_phases")["Projets"] == {
        "Appel à candidatures": 1, "Lancement": 0, "Sessions": 1, "Intersession": 0,
        "Bilan": 1, "Évaluation": 0}
    projects = table(at, "Projet")
    assert projects["Projet"].tolist() == ["Groupe numérique", "Cluster QVT/RPS",
                                           "Action mobilité"]
    assert projects["MLs retenues"].tolist() == [0, 1, 1]


def test_previous_year(councils):
    y = councils["built"]["year"] - 1
    at = open_page(councils, "admin", y)
    assert {k: _plain(v) for k, v in metrics(at).items()} == {
        "Réunions tenues": "1", "Taux de présence": "50,0 %", "Décisions ouvertes": "1",
        "En retard": "1"}
    assert "une autre année" in all_text(at)  # the two overdue decisions of year Y


@pytest.mark.parametrize("role", ["admin", "copil"])
def test_empty_database_says_what_to_do(dash, role):
    y = clock.today().year
    at = open_page(dash, role)
    assert {k: _plain(v) for k, v in metrics(at).items()} == {
        "Réunions tenues": "0", "Taux de présence": "—", "Décisions ouvertes": "0",
        "En retard": "0"}
    info = _plain(" ".join(texts(at.info)))
    assert (f"Aucune réunion tenue en {y} : les présences se saisissent sur la page de la "
            "réunion, dans Animaréseau.") in info
    assert f"Aucune décision prise en {y}" in info
    assert "Aucun projet collectif" in info
    assert ("créez-les" in info) == (role == "admin")
    assert not plotly_charts(at) and not at.dataframe


@pytest.mark.parametrize("role", ["ml", "financeur"])
def test_ml_and_financeur_have_no_councils_page(councils, role):
    at = signed_in(councils, role)
    with pytest.raises(ValueError, match="navigation page"):
        at.switch_page(PAGE)
    at._page_hash = calc_hash("conseils")  # forcing the URL lands on the home page
    run(at)
    assert texts(at.title) == ["Tableaux de bord"]
    assert not plotly_charts(at) and not at.metric


@pytest.mark.parametrize("role", ["ml", "financeur"])
def test_page_refuses_other_roles_when_run_directly(councils, role):
    from dashboard.auth import Principal

    at = AppTest.from_file(str(DASHBOARD / PAGE), default_timeout=TIMEOUT)
    at.session_state["principal"] = Principal(
        councils["ids"][role], "Quelqu'un", role,
        councils["ids"]["ml_a"] if role == "ml" else None)
    run(at)
    assert REFUSAL in texts(at.error)
    assert not plotly_charts(at) and not at.metric and not at.dataframe


@pytest.mark.parametrize("role", ["ml", "financeur"])
def test_cached_frames_refuse_other_roles(councils, role):
    from dashboard import data_councils as data

    uid, y = councils["ids"][role], councils["built"]["year"]
    for call in (lambda: data.councils_years(uid), lambda: data.councils_summary(uid, y),
                 lambda: data.councils_meetings(uid, y), lambda: data.councils_by_ml(uid, y),
                 lambda: data.councils_decisions(uid, y),
                 lambda: data.councils_overdue(uid, y), lambda: data.councils_phases(uid),
                 lambda: data.councils_projects(uid)):
        with pytest.raises(PermissionDenied):
            call()


def test_frames_keep_decimal_rates(councils):
    from dashboard import data_councils as data

    uid, y = councils["ids"]["animateur"], councils["built"]["year"]
    assert data.councils_summary(uid, y).iloc[0]["rate"] == D("0.6250")
    assert data.councils_by_ml(uid, y)["rate"].tolist() == [D("0.7500"), D("0.6667")]
