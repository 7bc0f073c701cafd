"""The charter engine against the generator's manifest, rule by rule, on both backends."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from models.network.orm import MissionLocale
from models.parcours.charter import VERSION_1, install_charter
from models.parcours.engine import ROW_KINDS, SET_KINDS, unknown_kinds
from models.parcours.generator import RULES, generate_extract
from models.parcours.orm import (
    ParcoursExtract,
    ParcoursImport,
    QualityFinding,
    QualityRuleCount,
)
from models.parcours.services import remove_mark, set_mark
from tests.parcours_helpers import PERIOD, TODAY, do_import
from webapp.extensions import db

ERROR_RULES = {r["code"] for r in VERSION_1["rules"] if r["severity"] == "erreur"}
MLS = [("33005", "33"), ("64001", "64")]


@pytest.fixture
def engine(app, world):
    with app.app_context():
        yield db.engine


def findings(engine, import_id: int | None = None) -> set[tuple[str, str, str, str]]:
    with Session(engine) as session:
        stmt = (select(QualityFinding.rule_code, MissionLocale.code, QualityFinding.id_jeune,
                       QualityFinding.record_key)
                .join(ParcoursExtract, ParcoursExtract.id == QualityFinding.extract_id)
                .join(MissionLocale, MissionLocale.id == ParcoursExtract.mission_locale_id)
                .where(ParcoursExtract.status == "current"))
        return set(session.execute(stmt).all())


def by_rule(rows: set[tuple[str, str, str, str]]) -> dict[str, set]:
    out: dict[str, set] = {rule: set() for rule in RULES}
    for row in rows:
        out.setdefault(row[0], set()).add(row[1:])
    return out


@pytest.mark.parametrize("seed, zip_output", [(11, False), (29, True)])
def test_findings_match_the_manifest_rule_by_rule(engine, tmp_path, seed, zip_output,
                                                  keep_everyone):
    manifest = generate_extract(tmp_path, jeunes=2500, seed=seed, defect_rate=0.02,
                                missions_locales=MLS, period=PERIOD, today=TODAY,
                                zip_output=zip_output)
    source = tmp_path / manifest.archive if zip_output else tmp_path
    outcome = do_import(engine, source)
    assert outcome.counts == manifest.counts
    expected, found = by_rule(manifest.expected()), by_rule(findings(engine))
    for rule in RULES:
        assert expected[rule], f"the generator injected no {rule}"
        missing, extra = expected[rule] - found[rule], found[rule] - expected[rule]
        assert not missing and not extra, f"{rule}: missing {sorted(missing)[:5]}, " \
                                          f"unexpected {sorted(extra)[:5]}"


def test_a_clean_extract_has_no_finding_and_full_scores(engine, tmp_path):
    manifest = generate_extract(tmp_path, jeunes=1500, seed=3, defect_rate=0.0,
                                missions_locales=MLS, period=PERIOD, today=TODAY)
    assert not manifest.expected()
    do_import(engine, tmp_path)
    assert findings(engine) == set()
    with Session(engine) as session:
        scores = session.scalars(select(ParcoursExtract.score)).all()
    assert scores == [Decimal("1.000000")] * 2


def test_score_is_the_share_of_young_people_without_unmarked_error(engine, tmp_path):
    manifest = generate_extract(tmp_path, jeunes=2000, seed=5, defect_rate=0.03,
                                missions_locales=MLS, period=PERIOD, today=TODAY)
    do_import(engine, tmp_path)
    in_error: dict[str, set[str]] = {"33005": set(), "64001": set()}
    for rule, code_ml, id_jeune, _key in manifest.expected():
        if rule in ERROR_RULES and rule != "Q16":  # Q16 rows have no young person
            in_error[code_ml].add(id_jeune)
    with Session(engine) as session:
        for extract in session.scalars(select(ParcoursExtract)):
            code = extract.mission_locale.code
            assert extract.jeunes_in_error == len(in_error[code])
            assert extract.score == (Decimal(extract.jeunes - len(in_error[code]))
                                     / Decimal(extract.jeunes)).quantize(Decimal("0.000001"))
        counts = {(c.extract_id, c.rule_code): c.findings
                  for c in session.scalars(select(QualityRuleCount))}
    assert sum(counts.values()) == len(manifest.expected())


def test_marks_carry_over_to_the_next_import_and_stop_counting(engine, tmp_path, app):
    generate_extract(tmp_path, jeunes=800, seed=8, defect_rate=0.03,
                     missions_locales=MLS, period=PERIOD, today=TODAY)
    first = do_import(engine, tmp_path)
    with Session(engine) as session:
        target = session.scalars(select(QualityFinding).where(
            QualityFinding.rule_code == "Q02",
            QualityFinding.extract_id == first.extracts["33005"])).first()
        assert target is not None
        # the young person's only finding: marking it must clear them
        set_mark(session, actor=None, finding_id=target.id, kind="exception",
                 comment="Jeune accueilli à 15 ans sur dérogation")
        session.commit()
        extract = session.get(ParcoursExtract, first.extracts["33005"])
        assert extract.jeunes_in_error == extract.jeunes_in_error_raw - 1
        assert extract.score > extract.score_raw
        record_key = target.record_key
    second = do_import(engine, tmp_path)  # same ML and period: replaces
    with Session(engine) as session:
        extract = session.get(ParcoursExtract, second.extracts["33005"])
        assert extract.status == "current"
        assert extract.jeunes_in_error == extract.jeunes_in_error_raw - 1
        count = session.scalar(select(QualityRuleCount).where(
            QualityRuleCount.extract_id == extract.id, QualityRuleCount.rule_code == "Q02"))
        assert count.marked == 1
        from models.parcours.orm import QualityMark
        mark = session.scalar(select(QualityMark).where(QualityMark.record_key == record_key))
        remove_mark(session, actor=None, mark_id=mark.id)
        session.commit()
        extract = session.get(ParcoursExtract, second.extracts["33005"])
        assert extract.jeunes_in_error == extract.jeunes_in_error_raw


def test_a_new_charter_version_adds_and_regrades_rules_without_engine_change(engine, tmp_path):
    generate_extract(tmp_path, jeunes=600, seed=4, defect_rate=0.03,
                     missions_locales=MLS, period=PERIOD, today=TODAY)
    rules = [dict(r) for r in VERSION_1["rules"] if r["code"] != "Q06"]  # retired
    for rule in rules:
        if rule["code"] == "Q03":
            rule["severity"] = "erreur"  # re-graded
    rules.append({"code": "Q18", "kind": "in_set", "severity": "avertissement",
                  "dimension": "validite", "title": "Logement hors nomenclature",
                  "description": "", "params": {"file": "jeunes", "field": "logement",
                                                "allowed": ["PARENTS", "AUTONOME"]}})
    with Session(engine) as session:
        install_charter(session, VERSION_1)
        version = install_charter(session, {"number": 2, "label": "Charte v2",
                                            "effective_from": date(2026, 11, 1),
                                            "rules": rules})
        session.commit()
        version_id = version.id
    from models.parcours.charter import current_version
    from models.parcours.engine import RuleSpec

    assert unknown_kinds([RuleSpec(r["code"], r["kind"], r["severity"], r["params"])
                          for r in rules]) == []
    outcome = do_import(engine, tmp_path)
    with Session(engine) as session:
        assert current_version(session).number == 2
        record = session.get(ParcoursImport, outcome.import_id)
        assert record.charter_version_id == version_id
        codes = set(session.scalars(select(QualityFinding.rule_code)))
        severities = dict(session.execute(select(QualityFinding.rule_code,
                                                 QualityFinding.severity)).all())
    assert "Q18" in codes and "Q06" not in codes
    assert severities["Q03"] == "erreur"


def test_every_charter_rule_names_a_known_kind():
    assert set(ROW_KINDS).isdisjoint(SET_KINDS)
    kinds = {r["kind"] for r in VERSION_1["rules"]}
    assert kinds <= set(ROW_KINDS) | set(SET_KINDS)
    assert [r["code"] for r in VERSION_1["rules"]] == list(RULES)


def test_a_mark_set_at_the_same_instant_by_someone_else_is_updated(engine, tmp_path,
                                                                   monkeypatch):
    """Two team members mark the same record at once: the second updates, never a 500."""
    from models.parcours import services
    from models.parcours.orm import QualityMark

    generate_extract(tmp_path, jeunes=300, seed=8, defect_rate=0.03,
                     missions_locales=MLS, period=PERIOD, today=TODAY)
    do_import(engine, tmp_path)
    with Session(engine) as session:
        finding = session.scalars(select(QualityFinding).where(
            QualityFinding.rule_code == "Q04")).first()
        set_mark(session, actor=None, finding_id=finding.id, kind="acquitte",
                 comment="Vu en réunion")
        session.commit()
        original = services._existing_mark
        calls = {"n": 0}

        def not_yet(*args):  # the second person read before the first one's commit
            calls["n"] += 1
            return None if calls["n"] == 1 else original(*args)

        monkeypatch.setattr(services, "_existing_mark", not_yet)
        set_mark(session, actor=None, finding_id=finding.id, kind="exception",
                 comment="Dérogation accordée")
        session.commit()
        marks = session.scalars(select(QualityMark)).all()
        assert [(m.kind, m.comment) for m in marks] == [("exception", "Dérogation accordée")]
        assert calls["n"] == 2
