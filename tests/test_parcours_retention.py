"""The legal retention purge of youth-level Parcours data (décret 2015-59), both backends.

Hand-built people around each cut-off, on the day the test runs (``clock.today()``):
the purge must remove exactly the people past their limit, all their rows and nothing
else, leave every stored aggregate as it was, and survive an interruption.
"""

from __future__ import annotations

import json
from datetime import date, timedelta

import pandas as pd
import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from models import clock
from models.audit.orm import AuditEvent
from models.observatory.orm import ObservatoryAggregate
from models.parcours import retention
from models.parcours.orm import (
    ParcoursExtract,
    ParcoursImport,
    PqActivite,
    PqDispositif,
    PqEvenement,
    PqJeune,
    PqSituation,
    QualityFinding,
    QualityMark,
    QualityRuleCount,
)
from models.parcours.pipeline import run_import
from models.parcours.retention import add_years, add_years_back, purge_youth_data
from tests.parcours_helpers import KEY, jeune, queue, write_extract
from webapp.extensions import db

PERSON_TABLES = (PqJeune, PqEvenement, PqActivite, PqSituation, PqDispositif, QualityFinding)


@pytest.fixture
def engine(app, world):
    with app.app_context():
        yield db.engine


def today() -> date:
    return clock.today()


def years_ago(years: int, day: date | None = None) -> date:
    return add_years(day or today(), -years)


# --- building stored extracts by hand ------------------------------------------------------
def make_extract(engine, ml_id: int, period: tuple[date, date]) -> int:
    with Session(engine) as session:
        record = ParcoursImport(source_name="main", period_start=period[0],
                                period_end=period[1], status="termine")
        session.add(record)
        session.flush()
        extract = ParcoursExtract(import_id=record.id, mission_locale_id=ml_id,
                                  period_start=period[0], period_end=period[1],
                                  status="current", jeunes=42, evenements=420, situations=7,
                                  dispositifs=5, jeunes_in_error=3, jeunes_in_error_raw=4)
        session.add(extract)
        session.flush()
        session.add(QualityRuleCount(extract_id=extract.id, rule_code="Q05",
                                     severity="erreur", findings=9, marked=2, jeunes=9))
        session.add(ObservatoryAggregate(extract_id=extract.id, period_start=period[0],
                                         period_end=period[1], granularity="extraction",
                                         cells={"jeunes_accompagnes": 42}))
        session.commit()
        return extract.id


def add_person(engine, extract_id: int, ml_id: int, id_jeune: str, *,
               birth: tuple[int, int] | None = None, accueil: date | None = None,
               programmes: tuple[tuple[str, date | None], ...] = (),
               events: tuple[date, ...] = (), mark: bool = True) -> None:
    """One young person with a row in every table, a finding and (optionally) its mark."""
    with engine.begin() as conn:
        conn.execute(insert(PqJeune).values(
            extract_id=extract_id, id_jeune=id_jeune, pseudo="p" * 32,
            birth_year=birth[0] if birth else None, birth_month=birth[1] if birth else None,
            date_premier_accueil=accueil, sexe="F"))
        for kind, end in programmes:
            conn.execute(insert(PqDispositif).values(
                extract_id=extract_id, id_jeune=id_jeune, dispositif=kind,
                date_entree=years_ago(12), date_sortie=end))
        for day in events or (years_ago(1),):
            conn.execute(insert(PqEvenement).values(
                extract_id=extract_id, id_jeune=id_jeune, date_evenement=day,
                type="ENTRETIEN", thematique="EMPLOI"))
        days = events or (years_ago(1),)
        conn.execute(insert(PqActivite).values(
            extract_id=extract_id, id_jeune=id_jeune, first_event=min(days),
            last_event=max(days), events=len(days)))
        conn.execute(insert(PqSituation).values(
            extract_id=extract_id, id_jeune=id_jeune, type_situation="FORMATION",
            date_debut=years_ago(2)))
        conn.execute(insert(QualityFinding).values(
            extract_id=extract_id, rule_code="Q05", severity="erreur",
            record_key=f"J:{id_jeune}", id_jeune=id_jeune, field="niveau_formation",
            value="", in_jeunes=True))
        if mark:
            conn.execute(insert(QualityMark).values(
                mission_locale_id=ml_id, rule_code="Q05", record_key=f"J:{id_jeune}",
                kind="acquitte", comment="vu"))


def rows_of(engine, id_jeune: str, extract_ids: list[int] | None = None) -> dict[str, int]:
    found = {}
    with engine.connect() as conn:
        for table in PERSON_TABLES:
            stmt = select(func.count()).select_from(table).where(table.id_jeune == id_jeune)
            if extract_ids is not None:
                stmt = stmt.where(table.extract_id.in_(extract_ids))
            found[table.__tablename__] = conn.scalar(stmt)
        found["quality_mark"] = conn.scalar(select(func.count()).select_from(QualityMark).where(
            QualityMark.record_key == f"J:{id_jeune}"))
    return found


def stored_people(engine) -> set[tuple[int, str]]:
    with engine.connect() as conn:
        return set(conn.execute(select(PqJeune.extract_id, PqJeune.id_jeune)).all())


def aggregates(engine) -> dict[str, list]:
    """Everything the purge must leave exactly as it was."""
    with engine.connect() as conn:
        return {
            "extracts": [tuple(r) for r in conn.execute(select(ParcoursExtract).order_by(
                ParcoursExtract.id)).all()],
            "rule_counts": [tuple(r) for r in conn.execute(select(QualityRuleCount).order_by(
                QualityRuleCount.id)).all()],
            "observatory": [(r.id, r.extract_id, r.granularity, json.dumps(r.cells,
                                                                          sort_keys=True))
                            for r in conn.execute(select(ObservatoryAggregate).order_by(
                                ObservatoryAggregate.id)).all()],
        }


def everything(engine) -> dict[str, list]:
    snapshot = aggregates(engine)
    with engine.connect() as conn:
        for table in (*PERSON_TABLES, QualityMark, AuditEvent):
            snapshot[table.__tablename__] = sorted(
                tuple(str(v) for v in row) for row in conn.execute(select(table)).all())
    return snapshot


def journal(engine) -> list[AuditEvent]:
    with Session(engine) as session:
        rows = session.scalars(select(AuditEvent).where(
            AuditEvent.entity == "purge_parcours").order_by(AuditEvent.id)).all()
        session.expunge_all()
        return list(rows)


# --- the population around each cut-off ---------------------------------------------------
PURGED = {"7100001": "27 this month (first day of the birth month has come)",
          "7100004": "open programme, last event 5 months and a day ago",
          "7100005": "programme closed yesterday, recent event",
          "7100007": "CEJ ended exactly 10 years ago",
          "7100009": "no birth date, first reception exactly 11 years ago",
          "7100012": "past the limit, rows in two extracts of the ML"}
KEPT = {"7100002": "turns 27 next month",
        "7100003": "open programme, event a month ago",
        "7100013": "open programme, event exactly 5 months ago",
        "7100006": "CEJ ended 10 years ago less a day",
        "7100008": "CEJ with no end",
        "7100010": "no birth date, first reception 11 years ago less a day",
        "7100011": "nothing known"}


@pytest.fixture
def population(engine, world):
    t = today()
    ml_a, ml_b = world["ids"]["ml_a"], world["ids"]["ml_b"]
    period = (date(t.year - 1, 1, 1), date(t.year - 1, 12, 31))
    older = (date(t.year - 2, 1, 1), date(t.year - 2, 12, 31))
    first = make_extract(engine, ml_a, period)
    second = make_extract(engine, ml_a, older)
    other = make_extract(engine, ml_b, period)
    next_month = (t.replace(day=1) + timedelta(days=32)).replace(day=1)
    old = (t.year - 30, 6)
    since = retention.follow_up_since(t)

    def add(id_jeune, **kw):
        add_person(engine, first, ml_a, id_jeune, **kw)

    add("7100001", birth=(t.year - 27, t.month))
    add("7100002", birth=(next_month.year - 27, next_month.month))
    add("7100003", birth=old, programmes=(("PACEA", None),), events=(t - timedelta(30),))
    add("7100013", birth=old, programmes=(("PACEA", t),), events=(since,))
    add("7100004", birth=old, programmes=(("PACEA", None),),
        events=(since - timedelta(1), years_ago(1)))
    add("7100005", birth=old, programmes=(("PACEA", t - timedelta(1)),),
        events=(t - timedelta(10),))
    add("7100006", birth=(t.year - 40, 1), programmes=(("CEJ", years_ago(10) + timedelta(1)),))
    add("7100007", birth=(t.year - 40, 1), programmes=(("CEJ", years_ago(10)),))
    add("7100008", birth=(t.year - 40, 1), programmes=(("CEJ", None),), mark=False)
    add("7100009", accueil=add_years_back(t, 11))
    add("7100010", accueil=add_years_back(t, 11) + timedelta(1))
    add("7100011")
    add("7100012", birth=old)
    add_person(engine, second, ml_a, "7100012", accueil=years_ago(12), mark=False)
    # the same identifier in another mission locale is another, young, person
    add_person(engine, other, ml_b, "7100001", birth=(t.year - 20, 1), mark=False)
    return {"first": first, "second": second, "other": other, "ml_a": ml_a, "ml_b": ml_b}


# --- the rule as pure functions -----------------------------------------------------------
def test_removal_date_is_the_first_of_the_birth_month_at_27_or_11_years_after_reception():
    assert retention.removal_date(1999, 7, None) == date(2026, 7, 1)
    assert retention.removal_date(1999, 7, date(2015, 3, 4)) == date(2026, 7, 1)
    assert retention.removal_date(None, None, date(2015, 3, 4)) == date(2026, 3, 4)
    assert retention.removal_date(None, None, date(2016, 2, 29)) == date(2027, 2, 28)
    assert retention.removal_date(None, None, None) is None


def test_vectorised_dates_match_the_scalar_rule():
    cases = [(1999, 7, None), (2000, 12, date(2016, 1, 5)), (None, None, date(2016, 2, 29)),
             (None, None, date(2015, 12, 31)), (None, None, None), (1990, 1, None)]
    frame = pd.DataFrame(cases, columns=["birth_year", "birth_month", "date_premier_accueil"])
    got = [None if pd.isna(v) else v.date() for v in retention.removal_dates(frame)]
    assert got == [retention.removal_date(*c) for c in cases]


def test_decide_around_each_cut_off():
    t = today()
    limit = date(t.year, t.month, 1)
    by, bm = t.year - 27, t.month
    assert retention.decide(by, bm, None, [], [], limit - timedelta(1)) == retention.YOUNG
    assert retention.decide(by, bm, None, [], [], limit) == retention.PURGE
    recent = [t - timedelta(3)]
    assert retention.decide(by, bm, None, [("PACEA", None)], recent, t) == retention.FOLLOWED
    assert retention.decide(by, bm, None, [("PACEA", None)], [years_ago(1)], t) \
        == retention.PURGE
    assert retention.decide(by, bm, None, [("PACEA", t - timedelta(1))], recent, t) \
        == retention.PURGE
    assert retention.decide(by, bm, None, [("PACEA", t)], recent, t) == retention.FOLLOWED
    assert retention.decide(by, bm, None, [("cej", years_ago(10) + timedelta(1))], [], t) \
        == retention.CEJ_KEPT
    assert retention.decide(by, bm, None, [("CEJ", years_ago(10))], [], t) == retention.PURGE
    assert retention.decide(None, None, None, [], [], t) == retention.UNDATED
    assert retention.decide(None, None, add_years_back(t, 11), [], [], t) == retention.PURGE
    assert retention.decide(None, None, add_years_back(t, 11) + timedelta(1), [], [], t) \
        == retention.YOUNG


def test_years_back_handles_29_february():
    assert add_years_back(date(2027, 2, 28), 11) == date(2016, 2, 29)
    assert add_years(date(2016, 2, 29), 11) == date(2027, 2, 28)
    assert add_years_back(date(2026, 11, 23), 10) == date(2016, 11, 23)


# --- the purge over stored rows ------------------------------------------------------------
def test_purge_removes_exactly_the_people_past_their_limit(engine, population):
    before_people = stored_people(engine)
    before = aggregates(engine)
    expected_rows = {name: 0 for name in retention.TABLE_NAMES}
    for id_jeune in PURGED:
        for name, n in rows_of(engine, id_jeune, [population["first"],
                                                  population["second"]]).items():
            expected_rows[name] += n
    report = purge_youth_data(engine, today=today(), via="cli")

    assert report.people == len(PURGED)
    assert report.counts == expected_rows
    assert report.counts["pq_jeune"] == len(PURGED) + 1  # 7100012 is in two extracts
    assert report.counts["quality_finding"] == len(PURGED) + 1
    assert report.counts["quality_mark"] == len(PURGED)  # 7100012's two findings share one
    assert (report.kept_followed, report.kept_cej, report.undated) == (2, 2, 1)
    for id_jeune, why in PURGED.items():
        left = rows_of(engine, id_jeune, [population["first"], population["second"]])
        assert not any(left.values()), (why, left)
    for id_jeune, why in KEPT.items():
        left = rows_of(engine, id_jeune)
        assert left["pq_jeune"] == 1 and left["pq_evenement"] >= 1, why
        assert left["quality_finding"] == 1, why
    # the other mission locale's young "7100001" is someone else: untouched
    assert rows_of(engine, "7100001", [population["other"]])["pq_jeune"] == 1
    assert (population["other"], "7100001") in stored_people(engine)
    assert before_people - stored_people(engine) == {
        (population["first"], j) for j in PURGED} | {(population["second"], "7100012")}
    assert aggregates(engine) == before  # counters, rule counts, observatory: identical
    summary = report.summary()
    assert summary.startswith(f"Purge du {today():%d/%m/%Y} : {len(PURGED)} jeune(s)")
    assert "sans date" in summary


def test_one_journal_entry_per_run_without_any_identifier(engine, population):
    purge_youth_data(engine, today=today(), via="cli")
    [entry] = journal(engine)
    assert (entry.via, entry.action, entry.entity_id) == ("cli", "delete", today().isoformat())
    assert entry.changes["jeunes_supprimes"] == len(PURGED)
    assert entry.changes["lignes_supprimees"]["pq_jeune"] == len(PURGED) + 1
    assert f"{today().year - 27}" in entry.changes["limites"]["age"]
    dumped = json.dumps(entry.changes)
    assert not any(id_jeune in dumped for id_jeune in [*PURGED, *KEPT])


def test_second_run_removes_nothing(engine, population):
    first = purge_youth_data(engine, today=today())
    assert first.people == len(PURGED)
    after_first = everything(engine)
    second = purge_youth_data(engine, today=today())
    assert second.people == 0 and not any(second.counts.values())
    assert (second.kept_followed, second.kept_cej, second.undated) == (2, 2, 1)
    after_second = everything(engine)
    after_second.pop("audit_event"), after_first.pop("audit_event")
    assert after_second == after_first
    assert len(journal(engine)) == 2  # every run is journalled, even an empty one


def test_simulation_counts_and_changes_nothing(engine, population):
    before = everything(engine)
    simulated = purge_youth_data(engine, today=today(), simulation=True)
    assert everything(engine) == before  # no row, no journal entry
    assert simulated.summary().startswith("Simulation de la purge")
    real = purge_youth_data(engine, today=today())
    assert (simulated.people, simulated.counts) == (real.people, real.counts)


def test_the_day_before_the_limit_keeps_and_the_day_of_removes(engine, population):
    t = today()
    limit = date(t.year, t.month, 1)
    report = purge_youth_data(engine, today=limit - timedelta(1), simulation=True)
    with engine.connect() as conn:
        day_before = retention.plan(conn, limit - timedelta(1)).purge
        day_of = retention.plan(conn, limit).purge
    assert (population["ml_a"], "7100001") not in day_before
    assert (population["ml_a"], "7100001") in day_of
    assert report.counts["pq_jeune"] >= 1  # the others past long ago still go
    purge_youth_data(engine, today=limit - timedelta(1))
    assert rows_of(engine, "7100001", [population["first"]])["pq_jeune"] == 1
    purge_youth_data(engine, today=limit)
    assert rows_of(engine, "7100001", [population["first"]])["pq_jeune"] == 0


def test_interrupted_purge_leaves_nobody_half_deleted_and_a_rerun_finishes(
        engine, population, monkeypatch):
    original = retention._remove_batch
    calls = {"n": 0}

    def failing(conn, batch, ml_extracts, *, simulation):
        calls["n"] += 1
        done = original(conn, batch, ml_extracts, simulation=simulation)
        if calls["n"] == 2:  # the second batch fails after its deletes, before its commit
            raise RuntimeError("connexion perdue")
        return done

    monkeypatch.setattr(retention, "_remove_batch", failing)
    before = aggregates(engine)
    extracts = [population["first"], population["second"]]
    rows_before = {j: rows_of(engine, j, extracts) for j in PURGED}
    with pytest.raises(RuntimeError):
        purge_youth_data(engine, today=today(), batch_size=2)
    gone = [j for j in PURGED
            if not rows_of(engine, j, [population["first"], population["second"]])["pq_jeune"]]
    assert len(gone) == 2  # the first batch, whole
    for id_jeune in PURGED:
        left = rows_of(engine, id_jeune, [population["first"], population["second"]])
        if id_jeune in gone:
            assert not any(left.values()), id_jeune
        else:  # rolled back entirely: every row and mark is still there
            assert left == rows_before[id_jeune] and left["pq_jeune"], (id_jeune, left)
    [entry] = journal(engine)
    assert entry.changes["interrompue"] is True and entry.changes["jeunes_supprimes"] == 2
    monkeypatch.setattr(retention, "_remove_batch", original)
    rerun = purge_youth_data(engine, today=today(), batch_size=2)
    assert rerun.people == len(PURGED) - 2 and not rerun.interrupted
    for id_jeune in PURGED:
        assert not any(rows_of(engine, id_jeune, [population["first"],
                                                  population["second"]]).values())
    assert aggregates(engine) == before


def test_staged_extracts_are_left_to_their_import(engine, world):
    t = today()
    extract = make_extract(engine, world["ids"]["ml_a"], (date(t.year - 1, 1, 1),
                                                          date(t.year - 1, 12, 31)))
    with engine.begin() as conn:
        conn.execute(ParcoursExtract.__table__.update().where(
            ParcoursExtract.id == extract).values(status="staged"))
    add_person(engine, extract, world["ids"]["ml_a"], "7200001", birth=(t.year - 40, 1))
    assert purge_youth_data(engine, today=t).people == 0
    assert rows_of(engine, "7200001")["pq_jeune"] == 1


# --- the rule at import and the aggregates of a real import --------------------------------
def _birth(years: int, t: date) -> str:
    return f"15/06/{t.year - years}"


def test_import_does_not_keep_people_past_their_limit(engine, tmp_path):
    t = today()
    period = (t - timedelta(days=200), t - timedelta(days=1))
    recent = (t - timedelta(days=20)).strftime("%d/%m/%Y")
    accueil = (t - timedelta(days=150)).strftime("%d/%m/%Y")
    folder = write_extract(
        tmp_path / "x",
        jeunes=[jeune(id_jeune="1", nom="Jeune", prenom="Ana", naissance=_birth(20, t),
                      accueil=accueil),
                jeune(id_jeune="2", nom="Ancien", prenom="Bob", naissance=_birth(30, t),
                      accueil=accueil),
                jeune(id_jeune="3", nom="Suivi", prenom="Cleo", naissance=_birth(30, t),
                      accueil=accueil)],
        evenements=[f"33005;{i};{recent};ENTRETIEN;EMPLOI" for i in (1, 2, 3)],
        dispositifs=[f"33005;3;PACEA;{accueil};;", f"33005;2;PACEA;{accueil};{recent};FIN"])
    outcome = run_import(engine, queue(engine, period), folder, today=t, key=KEY)
    assert {j for _e, j in stored_people(engine)} == {"1", "3"}
    assert rows_of(engine, "2") == dict.fromkeys([*(x.__tablename__ for x in PERSON_TABLES),
                                                  "quality_mark"], 0)
    assert any("1 jeune(s) au-delà de la durée légale" in n for n in outcome.notices)
    # chosen: the extract's aggregates describe the file as received
    assert outcome.counts["jeunes"] == 3
    with Session(engine) as session:
        extract = session.scalar(select(ParcoursExtract))
        assert (extract.jeunes, extract.evenements, extract.dispositifs) == (3, 3, 2)
        q03 = session.scalar(select(QualityRuleCount).where(QualityRuleCount.rule_code == "Q03"))
        assert (q03.findings, q03.jeunes) == (2, 2)  # both over 25 at first reception
        assert session.scalar(select(func.count()).select_from(QualityFinding).where(
            QualityFinding.rule_code == "Q03")) == 1  # only the kept one's finding remains
        cells = session.scalar(select(ObservatoryAggregate.cells).where(
            ObservatoryAggregate.extract_id == extract.id))
        assert 3 in cells.values()  # 3 accompanied, the dropped one included
    # a weekly purge on the same day finds nothing more to do
    assert purge_youth_data(engine, today=t).people == 0


def test_purge_after_a_real_import_leaves_aggregates_identical(engine, tmp_path):
    t = today()
    then = t - timedelta(days=400)  # imported more than a year ago
    period = (then - timedelta(days=200), then - timedelta(days=1))
    day = (then - timedelta(days=20)).strftime("%d/%m/%Y")
    accueil = (then - timedelta(days=150)).strftime("%d/%m/%Y")
    # born 26.5 years before the import: past 27 at the purge, not at the import
    born = (add_years(then, -26) - timedelta(days=200)).strftime("%d/%m/%Y")
    rows = [jeune(id_jeune=str(i), nom=f"Nom{i}", prenom=f"P{i}",
                  naissance=born if i % 2 else _birth(19, t), accueil=accueil)
            for i in range(1, 9)]
    folder = write_extract(tmp_path / "x", jeunes=rows,
                           evenements=[f"33005;{i};{day};ENTRETIEN;EMPLOI" for i in range(1, 9)],
                           situations=[f"33005;{i};FORMATION;{day};" for i in range(1, 9)])
    run_import(engine, queue(engine, period), folder, today=then, key=KEY)
    assert len(stored_people(engine)) == 8
    before = aggregates(engine)
    assert before["rule_counts"] and before["observatory"]
    report = purge_youth_data(engine, today=t)
    assert report.people == 4 and report.counts["pq_situation"] == 4
    assert {j for _e, j in stored_people(engine)} == {"2", "4", "6", "8"}
    assert aggregates(engine) == before


# --- the command ---------------------------------------------------------------------------
@pytest.fixture
def runner(app, world):
    return app.test_cli_runner()


def test_cli_simulation_then_purge_in_french(runner, app, engine, population):
    t = today()
    result = runner.invoke(args=["parcours", "purger", "--simulation"])
    assert result.exit_code == 0, result.output
    assert f"Simulation (rien n'a été modifié) — date de référence {t:%d/%m/%Y}." \
        in result.output
    assert f"Jeunes seraient supprimé(s) : {len(PURGED)}" in result.output
    assert f"nés en {retention.MONTHS_FR[t.month - 1]} {t.year - 27} ou avant" in result.output
    assert (population["first"], "7100001") in stored_people(engine)
    assert not journal(engine)

    result = runner.invoke(args=["parcours", "purger"])
    assert result.exit_code == 0, result.output
    assert f"Purge terminée — date de référence {t:%d/%m/%Y}." in result.output
    assert f"Jeunes supprimé(s) : {len(PURGED)}" in result.output
    assert f"- jeunes (pq_jeune) : {len(PURGED) + 1}" in result.output
    assert "Sans date (ni naissance ni premier accueil), conservés : 1." in result.output
    [entry] = journal(engine)
    assert entry.via == "cli"


def test_cli_reference_date(runner, engine, population):
    limit = date(today().year, today().month, 1)
    before = (limit - timedelta(1)).strftime("%d/%m/%Y")
    result = runner.invoke(args=["parcours", "purger", "--aujourdhui", before])
    assert result.exit_code == 0, result.output
    assert f"date de référence {before}" in result.output
    assert (population["first"], "7100001") in stored_people(engine)


@pytest.mark.parametrize("value", ["31/02/2026", "2026-13-01", "demain", ""])
def test_cli_bad_date_is_refused_in_french_and_changes_nothing(runner, engine, population,
                                                              value):
    before = everything(engine)
    result = runner.invoke(args=["parcours", "purger", "--aujourdhui", value])
    assert result.exit_code == 1
    assert "n'est pas une date valide au format JJ/MM/AAAA" in result.stderr
    assert "Rien n'a été modifié" in result.stderr
    assert everything(engine) == before
