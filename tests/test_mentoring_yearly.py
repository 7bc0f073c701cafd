"""The State's yearly table of mentoring, hand-computed on a 40-pairing fixture over 2025
and 2026 in three missions locales, its secrecy, its page and its files; both backends.

Missions locales: A = Libournais (the ml account's), B = Pau Pyrénées, C = Bayonne (two
mentees only: hidden). Threshold k = 3. The test clock is 23/11/2026.

A (22 pairings, mentors MA1 f en activité consent 06/2024 trained 07/2024; MA2 m retraité
consent 03/2025 trained 10/02/2026; MA3 f en activité consent 15/01/2026 never trained;
MA4 m autre consent 01/05/2026 trained 01/06/2026, only a proposal):
- A1  01/03/2025 → 15/09/2025 terminé, emploi durable (six months: emploi durable);
- A2  01/12/2025 → 20/02/2026 terminé, alternance (6 months: alternance), 3 meetings —
  December to February: an entry in 2025 only, in both stocks, an exit in 2026;
- A3  10/01/2026 → 05/02/2026 rompu (26 days), abandon, 1 meeting, follow-up not typed;
- A4a 01/02/2026 → 01/03/2026 rompu (28 days), recherche (6 months: formation), 1 meeting,
  A4b 01/04/2026 → 15/10/2026 terminé (197 days), emploi < 6 mois, 4 meetings: the same
  mentee a4, twice in 2026, counted once;
- AP  a proposal (01/12/2026) with MA4: counted nowhere, nor its mentee, nor MA4 as active;
- A6–A13 from 01/06/2026, active until 01/12/2026 (a6–a9 f born 01/2003, QPV non, ZRR oui,
  level 4, Éducation nationale; a10–a13 m born 01/2000, QPV oui, ZRR non, level 6, ML);
- A14–A21 01/05/2025 → 10/11/2025 terminés.
a3: f born 03/2008 (17 at entry), QPV non renseigné, ZRR non, level « V bis », RQTH,
France Travail; a4: m born 05/2004 (21), QPV oui, ZRR non renseigné, level « IV », ML.

B (16 pairings, MB1 m en activité consent 01/2025 trained 02/2025; MB2 f retraitée
consent 09/2025): B1–B6 01/10/2025 → 15/04/2026 terminés (196 days, 2 meetings each;
outcomes durable 2, alternance, emploi court, formation, inconnu; at 6 months durable 2,
intérim, recherche, two not typed); B7–B11 01/02/2026 → 10/08/2026 terminés (190 days,
3 meetings each; durable, alternance 2, intérim, création); B12–B16 from 01/09/2026,
active. b7–b11 f born 06/2005 (20), QPV oui, level 3, Association; b12–b16 m born 01/2009
(17), QPV non, ZRR non, level 2, Autre.

C (2 pairings, MC1 f en activité consent and trained 01/2026): C1, C2 from 01/03/2026,
active; c1, c2 f born 07/2002 (23), QPV oui, level 5, France Travail.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from models.accounts.orm import User
from models.audit import set_actor
from models.councils.projects import add_months
from models.errors import PermissionDenied
from models.mentoring import yearly
from models.mentoring.orm import FollowUp, Mentee, Mentor, Pairing, PairingMeeting
from models.network.orm import MissionLocale
from models.observatory.orm import ObservatorySettings
from webapp.extensions import db

D = Decimal
K = 3

# ---------------------------------------------------------------- the expected table (2026)
# Every count of 2026 that is not zero, by hand: (A, B, C, Région).
COUNTS_2026: dict[str, tuple[int, int, int, int]] = {
    "m.entries": (10, 10, 2, 22), "m.stock": (11, 16, 2, 29),
    "m.sex.f": (5, 5, 2, 12), "m.sex.m": (5, 5, 0, 10),
    "m.age.16_17": (1, 5, 0, 6), "m.age.18_21": (1, 5, 0, 6), "m.age.22_25": (4, 0, 2, 6),
    "m.age.26_plus": (4, 0, 0, 4),
    "m.qpv.oui": (5, 5, 2, 12), "m.qpv.non": (4, 5, 0, 9), "m.qpv.nr": (1, 0, 0, 1),
    "m.zrr.oui": (4, 0, 0, 4), "m.zrr.non": (5, 5, 0, 10), "m.zrr.nr": (1, 5, 2, 8),
    "m.qual.infra_3": (1, 5, 0, 6), "m.qual.n3": (0, 5, 0, 5), "m.qual.n4": (5, 0, 0, 5),
    "m.qual.n5_plus": (4, 0, 2, 6),
    "m.rqth.oui": (1, 0, 0, 1), "m.rqth.non": (9, 10, 2, 21),
    "m.presc.mission_locale": (5, 0, 0, 5), "m.presc.france_travail": (1, 0, 2, 3),
    "m.presc.education": (4, 0, 0, 4), "m.presc.association": (0, 5, 0, 5),
    "m.presc.autre": (0, 5, 0, 5),
    "t.active": (3, 2, 1, 6), "t.sex.f": (2, 1, 1, 4), "t.sex.m": (1, 1, 0, 2),
    "t.status.en_activite": (2, 1, 1, 4), "t.status.retraite": (1, 1, 0, 2),
    "t.new": (2, 0, 1, 3), "t.trained": (2, 0, 1, 3),
    "p.started": (11, 10, 2, 23), "p.ended": (4, 11, 0, 15), "p.broken": (2, 0, 0, 2),
    "p.long": (1, 11, 0, 12), "p.short": (2, 0, 0, 2),
    "o.emploi_durable": (0, 3, 0, 3), "o.alternance": (1, 3, 0, 4),
    "o.emploi_court": (1, 1, 0, 2), "o.interim": (0, 1, 0, 1), "o.formation": (0, 1, 0, 1),
    "o.creation_activite": (0, 1, 0, 1), "o.recherche": (1, 0, 0, 1),
    "o.abandon": (1, 0, 0, 1), "o.inconnu": (0, 1, 0, 1),
    "o.narrow": (1, 6, 0, 7), "o.wide": (2, 9, 0, 11),
    "f.recorded": (2, 4, 0, 6), "f.emploi_durable": (0, 2, 0, 2),
    "f.alternance": (1, 0, 0, 1), "f.interim": (0, 1, 0, 1), "f.formation": (1, 0, 0, 1),
    "f.recherche": (0, 1, 0, 1), "f.narrow": (1, 2, 0, 3), "f.wide": (2, 3, 0, 5),
}
# Rates (%), durations (days) and meetings per ended pairing, by hand; None: nothing ended.
# A: 81, 26, 28, 197 days; B: 196 × 6, 190 × 5; region: the 15 of them.
DERIVED_2026: dict[str, tuple[D | None, ...]] = {
    "p.mean": (D("83.0"), D("193.3"), None, D("163.9")),       # 332/4, 2126/11, 2458/15
    "p.median": (D("54.5"), D("196.0"), None, D("190.0")),
    "p.long_rate": (D("25.0"), D("100.0"), None, D("80.0")),
    "p.short_rate": (D("50.0"), D("0.0"), None, D("13.3")),
    "p.meetings": (D("2.3"), D("2.5"), None, D("2.4")),        # 9/4, 27/11, 36/15
    "o.narrow_rate": (D("25.0"), D("54.5"), None, D("46.7")),
    "o.wide_rate": (D("50.0"), D("81.8"), None, D("73.3")),
    "f.narrow_rate": (D("50.0"), D("50.0"), None, D("50.0")),
    "f.wide_rate": (D("100.0"), D("75.0"), None, D("83.3")),
}
# 2025, the rows the December → February pairing changes: (A, B, C, Région)
COUNTS_2025 = {"m.entries": (10, 6, 0, 16), "m.stock": (10, 6, 0, 16),
               "p.started": (10, 6, 0, 16), "p.ended": (9, 0, 0, 9)}


# ---------------------------------------------------------------- the fixture
def build(s, ids) -> dict:
    set_actor(s, None, via="cli")
    ml_a, ml_b = s.get(MissionLocale, ids["ml_a"]), s.get(MissionLocale, ids["ml_b"])
    ml_c = MissionLocale(region_id=ml_a.region_id, code="64102",
                         name="Mission locale Avenir Jeunes Pays Basque", departement="64",
                         commune="Bayonne")
    s.add(ml_c)
    s.add(ObservatorySettings(region_id=ml_a.region_id, threshold=K, jdi_months=5))
    s.flush()
    n = {"mentor": 0, "mentee": 0}

    def mentor(ml, sex, status, consent, trained=None):
        n["mentor"] += 1
        m = Mentor(mission_locale_id=ml.id, last_name=f"Parrain{n['mentor']}",
                   first_name="Test", email=f"p{n['mentor']}@exemple.fr", sex=sex,
                   status=status, consent_on=consent, charter_signed_on=consent,
                   trained_on=trained)
        s.add(m)
        return m

    def mentee(ml, sex="m", born=(2004, 5), qpv=True, zrr=None, qual="3", rqth=False,
               presc="mission_locale"):
        n["mentee"] += 1
        m = Mentee(mission_locale_id=ml.id, code=f"T{n['mentee']:05d}", sex=sex,
                   birth_year=born[0], birth_month=born[1], qpv=qpv, zrr=zrr,
                   qualification=qual, rqth=rqth, situation="demandeur_emploi",
                   prescriber=presc, project_validated=True)
        s.add(m)
        return m

    def pairing(ml, who, by, start, *, end=None, planned=None, status="termine",
                outcome=None, after=None, meetings=0):
        p = Pairing(mission_locale_id=ml.id, mentee=who, mentor=by, start_date=start,
                    planned_end=planned or end, ended_on=end if status in ("termine",
                                                                           "rompu") else None,
                    status=status, outcome=outcome if end else None,
                    close_reason=("objectif_atteint" if status == "termine" else
                                  "par_le_jeune" if status == "rompu" else None))
        s.add(p)
        for i in range(meetings):
            p.meetings.append(PairingMeeting(held_on=start, mode="presentiel",
                                             duration_minutes=60 + i))
        if status in ("termine", "rompu"):
            due = add_months(end, 6)
            p.follow_up = FollowUp(due_on=due, outcome=after,
                                   recorded_on=due if after else None)
        return p

    ma1 = mentor(ml_a, "f", "en_activite", date(2024, 6, 1), date(2024, 7, 1))
    ma2 = mentor(ml_a, "m", "retraite", date(2025, 3, 1), date(2026, 2, 10))
    ma3 = mentor(ml_a, "f", "en_activite", date(2026, 1, 15))
    ma4 = mentor(ml_a, "m", "autre", date(2026, 5, 1), date(2026, 6, 1))
    mb1 = mentor(ml_b, "m", "en_activite", date(2025, 1, 10), date(2025, 2, 1))
    mb2 = mentor(ml_b, "f", "retraite", date(2025, 9, 1))
    mc1 = mentor(ml_c, "f", "en_activite", date(2026, 1, 5), date(2026, 1, 20))

    pairings = []
    P = pairings.append
    P(pairing(ml_a, mentee(ml_a), ma1, date(2025, 3, 1), end=date(2025, 9, 15),
              outcome="emploi_durable", after="emploi_durable"))
    P(pairing(ml_a, mentee(ml_a), ma1, date(2025, 12, 1), end=date(2026, 2, 20),
              outcome="alternance", after="alternance", meetings=3))
    a3 = mentee(ml_a, "f", (2008, 3), None, False, "V BIS", True, "france_travail")
    P(pairing(ml_a, a3, ma2, date(2026, 1, 10), end=date(2026, 2, 5), status="rompu",
              outcome="abandon", meetings=1))
    a4 = mentee(ml_a, "m", (2004, 5), True, None, "IV", False, "mission_locale")
    P(pairing(ml_a, a4, ma2, date(2026, 2, 1), end=date(2026, 3, 1), status="rompu",
              outcome="recherche", after="formation", meetings=1))
    P(pairing(ml_a, a4, ma3, date(2026, 4, 1), end=date(2026, 10, 15),
              outcome="emploi_court", meetings=4))
    P(pairing(ml_a, mentee(ml_a), ma4, date(2026, 12, 1), planned=date(2027, 6, 1),
              status="propose"))
    for _ in range(4):
        P(pairing(ml_a, mentee(ml_a, "f", (2003, 1), False, True, "4", False, "education"),
                  ma1, date(2026, 6, 1), planned=date(2026, 12, 1), status="actif"))
    for _ in range(4):
        P(pairing(ml_a, mentee(ml_a, "m", (2000, 1), True, False, "6"), ma3,
                  date(2026, 6, 1), planned=date(2026, 12, 1), status="actif"))
    for outcome, after in (("emploi_durable", "emploi_durable"),
                           ("emploi_durable", "emploi_durable"),
                           ("emploi_durable", "emploi_court"), ("alternance", "recherche"),
                           ("alternance", "emploi_durable"), ("interim", "emploi_durable"),
                           ("formation", None), ("recherche", None)):
        P(pairing(ml_a, mentee(ml_a), ma2, date(2025, 5, 1), end=date(2025, 11, 10),
                  outcome=outcome, after=after, meetings=2))
    for outcome, after in (("emploi_durable", "emploi_durable"),
                           ("emploi_durable", "emploi_durable"), ("alternance", "interim"),
                           ("emploi_court", "recherche"), ("formation", None),
                           ("inconnu", None)):
        P(pairing(ml_b, mentee(ml_b), mb1, date(2025, 10, 1), end=date(2026, 4, 15),
                  outcome=outcome, after=after, meetings=2))
    for outcome in ("emploi_durable", "alternance", "alternance", "interim",
                    "creation_activite"):
        P(pairing(ml_b, mentee(ml_b, "f", (2005, 6), True, None, "3", False, "association"),
                  mb2, date(2026, 2, 1), end=date(2026, 8, 10), outcome=outcome, meetings=3))
    for _ in range(5):
        P(pairing(ml_b, mentee(ml_b, "m", (2009, 1), False, False, "2", False, "autre"),
                  mb2, date(2026, 9, 1), planned=date(2027, 3, 1), status="actif"))
    for _ in range(2):
        P(pairing(ml_c, mentee(ml_c, "f", (2002, 7), True, None, "5", False,
                               "france_travail"), mc1, date(2026, 3, 1),
                  planned=date(2026, 12, 1), status="actif"))
    s.flush()
    assert len(pairings) == 40
    return {"A": ml_a.id, "B": ml_b.id, "C": ml_c.id, "codes": (ml_a.code, ml_b.code,
                                                               ml_c.code, yearly.REGION_CODE)}


@pytest.fixture
def built(session, world):
    yearly.clear_cache()
    out = build(session, world["ids"])
    session.commit()
    return out


def _raw(session, year):
    counts, _ = yearly._raw_counts(session, year, date(2026, 11, 23))
    return counts


# ---------------------------------------------------------------- counting, by hand
def test_raw_counts_match_the_hand_computed_table(session, built):
    counts = _raw(session, 2026)
    for key in yearly.COUNT_KEYS:
        a, b, c, _ = COUNTS_2026.get(key, (0, 0, 0, 0))
        got = tuple(counts.get(built[m], {}).get(key, 0) for m in "ABC")
        assert got == (a, b, c), key
    counts = _raw(session, 2025)
    for key, (a, b, c, _) in COUNTS_2025.items():
        assert tuple(counts.get(built[m], {}).get(key, 0) for m in "ABC") == (a, b, c), key


def test_region_is_the_sum_and_the_literal_region_column(session, built):
    for key, (a, b, c, r) in COUNTS_2026.items():
        assert a + b + c == r, key


def test_the_published_table_2026(session, built):
    table = yearly.yearly_table(session, None, 2026)
    codes = built["codes"]
    assert [c.code for c in table.columns] == list(codes)
    assert table.k == K
    hidden = {(key, code) for key in yearly.COUNT_KEYS for code in codes
              if table.value(key, code) == "s"}
    for key in yearly.COUNT_KEYS:
        expected = COUNTS_2026.get(key, (0, 0, 0, 0))
        for code, value in zip(codes, expected, strict=True):
            got = table.value(key, code)
            if 1 <= value < K:
                assert got == "s", (key, code)  # primary secrecy
            else:
                assert got in ("s", value), (key, code)
    # C (two mentees) is hidden wherever it counts someone
    c_code = codes[2]
    for key, (_, _, c, _) in COUNTS_2026.items():
        if c:
            assert (key, c_code) in hidden, key
    # and it cannot be recovered: the region minus the others needs a hidden cell, and
    # neither A nor B, knowing its own column, gets it back (region hidden, or both)
    for key in yearly.COUNT_KEYS:
        if (key, c_code) in hidden:
            r_hidden = (key, "R") in hidden
            assert r_hidden or ((key, codes[0]) in hidden and (key, codes[1]) in hidden), key
    # the published cells that matter, literally
    # (with three MLs and k = 3, protecting C and the small breakdowns hides much: the
    # region's entries are published, A's and B's are not — each would give C back to the
    # other by difference)
    assert [table.value("m.entries", c) for c in codes] == ["s", "s", "s", 22]
    assert [table.value("m.sex.m", c) for c in codes] == [5, 5, 0, 10]
    assert [table.value("p.ended", c) for c in codes] == [4, 11, 0, 15]
    assert [table.value("p.mean", c) for c in codes] == [D("83.0"), D("193.3"), None,
                                                           D("163.9")]
    assert [table.value("p.median", c) for c in codes] == [D("54.5"), D("196.0"), None,
                                                             D("190.0")]
    # rates, means and medians: the hand values, or hidden with their counts
    for key, expected in DERIVED_2026.items():
        row = yearly.ROW_BY_KEY[key]
        for j, (code, value) in enumerate(zip(codes, expected, strict=True)):
            got = table.value(key, code)
            sources = [x for x in (row.num, row.den) if x]
            if any((x, code) in hidden for x in sources):
                assert got == "s", (key, code)
            else:
                assert got == value, (key, code)
            assert table.cell(key, j).hidden == (got == "s")
    # the hidden cells hold no value anywhere in the table
    assert all(c.value is None for c in table.cells.values() if c.hidden)


def test_the_mask_cannot_be_undone_by_linear_algebra(session, built):
    """The same check as the observatory's audit: with every published cell, and with
    each ML's own column known, no hidden cell of C is determined."""
    from models.observatory import secrecy

    table = yearly.yearly_table(session, None, 2026)
    codes = built["codes"]
    values, index = [], {}
    for code in codes:
        for key in yearly.COUNT_KEYS:
            index[(key, code)] = len(values)
            values.append(COUNTS_2026.get(key, (0, 0, 0, 0))[codes.index(code)])
    lines = [secrecy.Line(index[(key, "R")], tuple(index[(key, c)] for c in codes[:3]))
             for key in yearly.COUNT_KEYS]
    for code in codes:
        for total, parts in yearly.LINES_WITHIN:
            lines.append(secrecy.Line(index[(total, code)],
                                      tuple(index[(p, code)] for p in parts)))
    hidden = [table.value(key, code) == "s" for code in codes for key in yearly.COUNT_KEYS]
    c_cells = [index[(k, codes[2])] for k in yearly.COUNT_KEYS]
    for owner in (None, 0, 1):
        known = [False] * len(values)
        if owner is not None:
            for key in yearly.COUNT_KEYS:
                known[index[(key, codes[owner])]] = True
        found = secrecy.recoverable(values, lines, hidden, known=known)
        assert not any(found[i] and values[i] for i in c_cells), owner


def test_december_to_february_is_one_entry_two_stocks_one_exit(session, built):
    """A2 (01/12/2025 → 20/02/2026): an entry and a start in 2025 only, in the stock of
    both years, an exit in 2026 (the counts before secrecy, then the published cells)."""
    a = built["A"]
    y25, y26 = _raw(session, 2025)[a], _raw(session, 2026)[a]
    assert (y25["m.entries"], y25["p.started"], y25["m.stock"], y25["p.ended"]) == (
        10, 10, 10, 9)  # A1, A2, A14–A21 start; A2 not ended in 2025
    assert (y26["m.entries"], y26["p.started"], y26["m.stock"], y26["p.ended"]) == (
        10, 11, 11, 4)  # a3, a4, a6–a13 enter; A2 in the stock and ended in 2026
    code = built["codes"][0]
    for year, counts in ((2025, y25), (2026, y26)):
        table = yearly.yearly_table(session, None, year)
        for key in ("m.entries", "p.started", "m.stock", "p.ended"):
            assert table.value(key, code) in ("s", counts[key])
    assert yearly.yearly_table(session, None, 2025).value("m.stock", code) == 10


def test_garbage_free_years_without_data(session, built):
    table = yearly.yearly_table(session, None, 2019)
    assert all(c.value in (0, None) and not c.hidden for c in table.cells.values())
    assert yearly.available_years(session, date(2026, 11, 23)) == [2026, 2025]


# ---------------------------------------------------------------- who sees what
def test_ml_account_gets_its_column_and_the_region(session, built, world):
    ml = session.get(User, world["ids"]["ml"])
    everyone = yearly.yearly_table(session, None, 2026)
    own = yearly.yearly_table(session, ml, 2026)
    codes = built["codes"]
    assert [c.code for c in own.columns] == [codes[0], "R"]
    for key in yearly.ROW_BY_KEY:
        for code in (codes[0], "R"):
            assert own.value(key, code) == everyone.value(key, code)
    # asking for another ML changes nothing for an ml account
    other = yearly.yearly_table(session, ml, 2026, mission_locale_id=built["B"])
    assert [c.code for c in other.columns] == [codes[0], "R"]


@pytest.mark.parametrize("role", ["admin", "animateur", "copil", "financeur"])
def test_other_roles_get_every_column(session, built, world, role):
    user = session.get(User, world["ids"][role])
    table = yearly.yearly_table(session, user, 2026)
    assert [c.code for c in table.columns] == list(built["codes"])


def test_an_inactive_account_is_refused(session, built, world):
    user = session.get(User, world["ids"]["copil"])
    user.active = False
    with pytest.raises(PermissionDenied):
        yearly.yearly_table(session, user, 2026)


# ---------------------------------------------------------------- the page and the files
@pytest.fixture
def web(app, world):
    yearly.clear_cache()
    with app.app_context():
        built = build(db.session, world["ids"])
        db.session.commit()
    return built


def _secret_values(table, codes) -> set[tuple[str, str, int]]:
    """The hidden count cells of ``table`` with their true values (none of which may
    appear in a file as that cell)."""
    order = [*web_codes(), yearly.REGION_CODE]
    out = set()
    for key in yearly.COUNT_KEYS:
        for code in codes:
            if table.value(key, code) == "s":
                out.add((key, code, COUNTS_2026.get(key, (0, 0, 0, 0))[order.index(code)]))
    return out


def web_codes() -> tuple[str, str, str]:
    return ("33005", "64001", "64102")


def test_page_shows_the_protected_table(client, login_as, web, app):
    login_as("copil")
    response = client.get("/parrainage/tableau-annuel?annee=2026")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Tableau annuel du parrainage 2026" in html
    assert "secret statistique (seuil k = 3)" in html
    assert "Mission locale Avenir Jeunes Pays Basque" in html
    assert 'title="secret statistique">s</abbr>' in html


@pytest.mark.parametrize("raw", ["abc", "20266", "-1", "1900", "2026' OR 1=1", ""])
def test_garbage_year_is_the_current_year(client, login_as, web, raw):
    login_as("admin")
    response = client.get("/parrainage/tableau-annuel", query_string={"annee": raw})
    assert response.status_code == 200
    assert "Tableau annuel du parrainage 2026" in response.get_data(as_text=True)


def test_previous_year_page(client, login_as, web):
    login_as("admin")
    html = client.get("/parrainage/tableau-annuel?annee=2025").get_data(as_text=True)
    assert "Tableau annuel du parrainage 2025" in html


def _csv_table(body: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))


@pytest.mark.parametrize("role", ["admin", "ml"])
def test_csv_and_xlsx_hold_the_same_protected_cells(client, login_as, web, app, world, role):
    login_as(role)
    with app.app_context():
        actor = db.session.get(User, world["ids"][role])
        table = yearly.yearly_table(db.session, actor, 2026)
    expected = [[str(v) if not isinstance(v, Decimal) else format(v, "f").replace(".", ",")
                 for v in row] for row in
                __import__("models.mentoring.yearly_export",
                           fromlist=["export_rows"]).export_rows(table)]
    response = client.get("/parrainage/tableau-annuel.csv?annee=2026")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    rows = _csv_table(response.data)
    header, body = rows[0], rows[1:]
    assert header[:5] == ["Année", "Rubrique", "Indicateur", "Ventilation", "Modalité"]
    assert len(header) == 5 + len(table.columns)
    assert body == expected
    response = client.get("/parrainage/tableau-annuel.xlsx?annee=2026")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    xrows = [["" if v is None else v for v in r] for r in sheet.iter_rows(values_only=True)]
    assert [str(v) for v in xrows[0]] == header
    raw_rows = __import__("models.mentoring.yearly_export",
                          fromlist=["export_rows"]).export_rows(table)
    assert len(xrows) == 1 + len(raw_rows)
    for got, row in zip(xrows[1:], raw_rows, strict=True):
        assert [float(v) if isinstance(v, Decimal) else v for v in row] == got
    # no hidden value anywhere: every hidden cell is « s » in both files
    keys = [r.key for r in table.rows]
    columns = [c.code for c in table.columns]
    for key, code, _value in _secret_values(table, columns):
        r, j = keys.index(key), columns.index(code)
        assert body[r][5 + j] == "s" and xrows[1 + r][5 + j] == "s"
    if role == "ml":
        assert len(table.columns) == 2
        assert "Pau" not in response.get_data(as_text=False).decode("latin-1")


def test_csv_export_refuses_unknown_formats(client, login_as, web):
    login_as("admin")
    assert client.get("/parrainage/tableau-annuel.pdf").status_code == 404


def test_no_hidden_figure_in_the_page_for_the_small_ml(client, login_as, web, app):
    """C's cells read « s » on the page, whatever the role."""
    login_as("financeur")
    html = client.get("/parrainage/tableau-annuel?annee=2026").get_data(as_text=True)
    with app.app_context():
        table = yearly.yearly_table(db.session, None, 2026)
    c = table.columns[2]
    assert c.code == "64102"
    assert table.value("m.entries", c.code) == "s"
    assert html.count('title="secret statistique">s</abbr>') == table.hidden_count


def test_the_mentees_of_the_table_are_the_stored_ones(session, built):
    counted = session.scalars(select(Pairing).where(Pairing.status != "propose")).all()
    assert len(counted) == 39
