"""The demo Parcours extracts: two imports per mission locale, trends both ways, stale
extracts, the team's marks, and nothing that identifies a young person in the database."""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import date

import pytest
from sqlalchemy import func, inspect, select

from models.accounts.orm import User
from models.network.orm import MissionLocale
from models.parcours import queries
from models.parcours.generator import NOMS, PRENOMS_F, PRENOMS_H
from models.parcours.orm import (
    ParcoursExtract,
    ParcoursImport,
    PqDispositif,
    PqEvenement,
    PqJeune,
    PqSituation,
    QualityFinding,
    QualityMark,
)
from seeds.demo import DEMO_ML_CODE, build_demo
from seeds.network_data import INACTIVE_CODES, MISSIONS_LOCALES
from seeds.parcours_demo import EXCEPTION_COMMENT, JUNE, LATE_CODES, SEPTEMBER
from webapp.extensions import db

TODAY = date(2026, 11, 23)
TABLES = (ParcoursImport, ParcoursExtract, PqJeune, PqEvenement, PqSituation, PqDispositif,
          QualityFinding, QualityMark)
ACTIVE = sorted(code for code, *_ in MISSIONS_LOCALES if code not in INACTIVE_CODES)


@pytest.fixture
def session(demo_app):
    """Overrides conftest's: the demo is built once per module and backend (``demo_app``)."""
    with demo_app.app_context():
        yield db.session
        db.session.rollback()


def _count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def _admin(session) -> User:
    return session.scalar(select(User).where(User.role == "admin").order_by(User.id))


def _history(session) -> dict[str, list[ParcoursExtract]]:
    by_code = defaultdict(list)
    for code, extract in session.execute(
            select(MissionLocale.code, ParcoursExtract).join(ParcoursExtract.mission_locale)
            .order_by(ParcoursExtract.id)):
        by_code[code].append(extract)
    return by_code


def test_every_mission_locale_has_two_imports(session):
    imports = session.scalars(select(ParcoursImport).order_by(ParcoursImport.id)).all()
    assert [(i.period_start, i.period_end, i.status) for i in imports] == [
        (*JUNE, "termine"), (*SEPTEMBER, "termine"), (*JUNE, "termine")]
    assert all(i.uploaded_by_id == _admin(session).id and i.charter_version_id
               and i.checksums and i.duration_ms is not None for i in imports)
    # imported in July and October (backdated), not while the seed ran
    assert [i.finished_at.date() for i in imports] == [
        date(2026, 7, 9), date(2026, 10, 8), date(2026, 10, 20)]
    history = _history(session)
    assert sorted(history) == ACTIVE  # the merged (inactive) one sends nothing
    for code, extracts in history.items():
        assert len(extracts) == 2, code
        periods = [e.period_end for e in extracts]
        if code in LATE_CODES:  # the June extract re-sent, corrected: the first replaced
            assert periods == [JUNE[1], JUNE[1]]
            assert [e.status for e in extracts] == ["replaced", "current"]
        else:
            assert periods == [JUNE[1], SEPTEMBER[1]]
            assert [e.status for e in extracts] == ["current", "current"]
        assert all(e.jeunes >= 50 and e.score is not None for e in extracts)
        assert extracts[-1].jeunes >= extracts[0].jeunes or code in LATE_CODES
    # replaced extracts keep their aggregates, not their rows
    replaced = [e.id for e in session.scalars(select(ParcoursExtract).where(
        ParcoursExtract.status == "replaced"))]
    assert len(replaced) == len(LATE_CODES)
    assert not session.scalar(select(func.count()).select_from(PqJeune).where(
        PqJeune.extract_id.in_(replaced)))
    # a few hundred young people per mission locale at most: the seed stays fast
    assert 3000 <= _count(session, PqJeune) <= 12_000


def test_quality_improves_for_some_and_worsens_for_others(session):
    lines = {ln.code: ln for ln in queries.regional_table(session, _admin(session),
                                                          today=TODAY)}
    assert sorted(lines) == ACTIVE
    trends = {code: ln.trend for code, ln in lines.items()}
    better = [c for c, t in trends.items() if t > 0]
    worse = [c for c, t in trends.items() if t < 0]
    assert len(better) >= 8 and len(worse) >= 8, trends
    assert DEMO_ML_CODE in better and "64001" in worse  # the demo ml accounts' stories
    statuses = {ln.status for ln in lines.values()}
    assert statuses == {"vert", "orange", "rouge"}
    stale = sorted(c for c, ln in lines.items() if ln.stale)
    assert stale == sorted(LATE_CODES)
    assert all(lines[c].period_end == JUNE[1] for c in LATE_CODES)
    over_time = queries.regional_score_over_time(session)
    assert [p["period_end"] for p in over_time] == [JUNE[1], SEPTEMBER[1]]
    assert [p["missions_locales"] for p in over_time] == [len(ACTIVE),
                                                          len(ACTIVE) - len(LATE_CODES)]
    failing = queries.failing_rules(list(lines.values()))
    # every rule but Q10 (one mission locale per generated part: no cross-ML pair) fails
    assert {c for c, n in failing.items() if n.findings} == {
        f"Q{i:02d}" for i in range(1, 18)} - {"Q10"}


def test_team_marks_carry_and_lift_the_score(session):
    marks = session.scalars(select(QualityMark).order_by(QualityMark.id)).all()
    assert [(m.kind, m.rule_code) for m in marks][0] == ("exception", "Q03")
    assert {m.kind for m in marks} == {"exception", "acquitte"}
    assert marks[0].comment == EXCEPTION_COMMENT
    animateur = session.scalar(select(User.id).where(User.role == "animateur")
                               .order_by(User.id))
    demo_ml = session.scalar(select(MissionLocale.id).where(
        MissionLocale.code == DEMO_ML_CODE))
    assert all(m.marked_by_id == animateur and m.mission_locale_id == demo_ml for m in marks)
    current = session.scalar(select(ParcoursExtract).where(
        ParcoursExtract.mission_locale_id == demo_ml, ParcoursExtract.status == "current",
        ParcoursExtract.period_end == SEPTEMBER[1]))
    for mark in marks:  # each mark qualifies a finding of the September extract
        assert session.scalar(select(func.count()).select_from(QualityFinding).where(
            QualityFinding.extract_id == current.id, QualityFinding.rule_code == mark.rule_code,
            QualityFinding.record_key == mark.record_key)) == 1
    # the acknowledged error no longer counts: one young person more without error
    assert current.jeunes_in_error == current.jeunes_in_error_raw - 1
    assert current.score > current.score_raw
    extracts = session.scalars(select(ParcoursExtract)).all()
    assert all(e.score >= e.score_raw for e in extracts)
    assert sum(e.score > e.score_raw for e in extracts) == 1


def test_no_identity_is_stored(session):
    columns = {c["name"] for c in inspect(session.get_bind()).get_columns("pq_jeune")}
    assert not columns & {"nom", "prenom", "date_naissance", "birth_day", "naissance"}
    assert {"pseudo", "birth_year", "birth_month"} <= columns
    hexa = re.compile(r"[0-9a-f]{32}")
    rows = session.execute(select(PqJeune.id_jeune, PqJeune.pseudo)).all()
    assert rows and all(hexa.fullmatch(p) and p != i for i, p in rows)
    assert len({p for _, p in rows}) > 0.95 * len(rows)
    # no generated name nor birth date in any text the import stored
    names = {n.upper() for n in NOMS + PRENOMS_F + PRENOMS_H}
    texts = set(session.scalars(select(QualityFinding.value)))
    texts |= set(session.scalars(select(PqDispositif.motif_sortie)))
    texts |= {i for i, _ in rows}
    assert not {str(t).upper() for t in texts if t} & names
    born = session.scalars(select(QualityFinding.value).where(
        QualityFinding.field == "date_naissance")).all()
    assert born and set(born) <= {"(vide)", "date invalide"}


def test_second_build_adds_nothing(session):
    before = {model.__name__: _count(session, model) for model in TABLES}
    build_demo(session)
    session.commit()
    assert {model.__name__: _count(session, model) for model in TABLES} == before
