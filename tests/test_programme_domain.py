"""Programme domain rules: workflow, validation, amendments, locking, roll-ups, duplication.

Every test runs on SQLite and on PostgreSQL (``session`` fixture).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from models.accounts.orm import User
from models.errors import ConcurrentEdit, DomainError, PermissionDenied, ValidationFailed
from models.money import AmountError, parse_amount, parse_decimal
from models.network.orm import Region
from models.policy import can
from models.programme import queries
from models.programme.enums import ActionStatus, ProgrammeStatus
from models.programme.items import (
    AllocationData,
    BudgetLineData,
    DeliverableData,
    IndicatorData,
    save_item,
)
from models.programme.orm import Action, ActionAmendment, Programme, ProgrammeTransition
from models.programme.rules import ProgrammeReadOnly, capacity_days
from models.programme.services import (
    ActionData,
    ProgrammeData,
    create_action,
    create_programme,
    delete_action,
    duplicate_programme,
    transition,
    update_action,
)
from models.programme.team import MemberData, save_member

S = ProgrammeStatus
TODAY = date(2026, 11, 23)


@pytest.fixture
def env(session, programme_world):
    ids = programme_world["ids"]
    users = {role: session.get(User, ids[role]) for role in
             ("admin", "animateur", "copil", "ml", "financeur")}
    return {"s": session, "ids": ids, "users": users,
            "programme": session.get(Programme, ids["programme"]),
            "a": session.get(Action, ids["action_a"]), "b": session.get(Action, ids["action_b"])}


def _data(action: Action, **changes) -> ActionData:
    base = dict(objective_id=action.objective_id, title=action.title,
                start_date=action.start_date, end_date=action.end_date,
                description=action.description, pilot_id=action.pilot_id,
                status=action.status, status_reason=action.status_reason,
                out_of_year_reason=action.out_of_year_reason, partners=list(action.partners),
                mission_locale_ids=[link.mission_locale_id for link in action.ml_links])
    base.update(changes)
    return ActionData(**base)


def _validate(s, user, programme) -> None:
    transition(s, user, programme, S.SOUMIS)
    transition(s, user, programme, S.VALIDE)


# ---------------------------------------------------------------- workflow
def test_full_workflow_is_recorded_with_actor_and_comment(env):
    s, admin, p = env["s"], env["users"]["animateur"], env["programme"]
    for target in (S.SOUMIS, S.VALIDE, S.EN_COURS, S.CLOTURE):
        transition(s, admin, p, target, f"vers {target.value}")
    assert p.status is S.CLOTURE and p.validated_at is not None
    rows = s.scalars(select(ProgrammeTransition).where(
        ProgrammeTransition.programme_id == p.id).order_by(ProgrammeTransition.id)).all()
    assert [(r.from_status, r.to_status) for r in rows] == [
        (S.BROUILLON, S.SOUMIS), (S.SOUMIS, S.VALIDE), (S.VALIDE, S.EN_COURS),
        (S.EN_COURS, S.CLOTURE)]
    assert {r.actor_name for r in rows} == {"Alain Anim"}
    assert rows[1].comment == "vers valide"


def test_skipping_a_step_is_refused_in_french(env):
    with pytest.raises(ValidationFailed) as exc:
        transition(env["s"], env["users"]["admin"], env["programme"], S.VALIDE)
    assert "Passage impossible de « Brouillon » à « Validé »" in str(exc.value)
    assert env["programme"].status is S.BROUILLON


def test_sending_back_to_draft_needs_a_comment(env):
    s, user, p = env["s"], env["users"]["admin"], env["programme"]
    transition(s, user, p, S.SOUMIS)
    with pytest.raises(ValidationFailed) as exc:
        transition(s, user, p, S.BROUILLON, "  ")
    assert "comment" in exc.value.errors
    transition(s, user, p, S.BROUILLON, "Revoir le budget de l'axe 3")
    assert p.status is S.BROUILLON


def test_only_an_admin_reopens_a_closed_programme(env):
    s, anim, admin, p = env["s"], env["users"]["animateur"], env["users"]["admin"], \
        env["programme"]
    for target in (S.SOUMIS, S.VALIDE, S.EN_COURS, S.CLOTURE):
        transition(s, anim, p, target)
    with pytest.raises(PermissionDenied):
        transition(s, anim, p, S.EN_COURS, "erreur de saisie")
    transition(s, admin, p, S.EN_COURS, "Correction d'un montant réalisé")
    assert p.status is S.EN_COURS


def test_copil_and_ml_cannot_move_or_edit(env):
    for role in ("copil", "ml", "financeur"):
        with pytest.raises(PermissionDenied):
            transition(env["s"], env["users"][role], env["programme"], S.SOUMIS)
        with pytest.raises(PermissionDenied):
            update_action(env["s"], env["users"][role], env["a"], _data(env["a"], title="x"))


def test_closed_programme_is_read_only(env):
    s, user, p, a = env["s"], env["users"]["admin"], env["programme"], env["a"]
    for target in (S.SOUMIS, S.VALIDE, S.EN_COURS, S.CLOTURE):
        transition(s, user, p, target)
    with pytest.raises(ProgrammeReadOnly, match="clôturé : il est en lecture seule"):
        update_action(s, user, a, _data(a, status=ActionStatus.REALISEE))
    with pytest.raises(ProgrammeReadOnly):
        create_action(s, user, p, _data(a, title="Nouvelle"))
    with pytest.raises(ProgrammeReadOnly):
        save_item(s, user, a, DeliverableData("Bilan", date(2026, 12, 1)))


# ---------------------------------------------------------------- action validation
def test_all_action_errors_are_collected_at_once(env):
    with pytest.raises(ValidationFailed) as exc:
        create_action(env["s"], env["users"]["admin"], env["programme"], ActionData(
            objective_id=None, title=" ", start_date=date(2026, 5, 1),
            end_date=date(2026, 4, 1), status="abandonnee"))
    errors = exc.value.errors
    assert set(errors) == {"objective_id", "title", "end_date", "status_reason"}
    assert errors["end_date"] == ["La date de fin précède la date de début."]


def test_action_outside_the_year_needs_a_reason(env):
    s, user, p, a = env["s"], env["users"]["admin"], env["programme"], env["a"]
    data = _data(a, title="Pluriannuelle", start_date=date(2026, 9, 1), end_date=date(2027, 3, 31))
    with pytest.raises(ValidationFailed) as exc:
        create_action(s, user, p, data)
    assert "débordent de l'année 2026" in exc.value.errors["out_of_year_reason"][0]
    data.out_of_year_reason = "Cycle de formation à cheval sur deux années"
    action = create_action(s, user, p, data)
    assert action.out_of_year_reason.startswith("Cycle")


def test_negative_amounts_and_targets_are_refused(env):
    s, user, a = env["s"], env["users"]["admin"], env["a"]
    with pytest.raises(ValidationFailed) as exc:
        save_item(s, user, a, BudgetLineData("prestations", Decimal("-1"), Decimal("-2")))
    assert set(exc.value.errors) == {"planned", "actual"}
    with pytest.raises(ValidationFailed) as exc:
        save_item(s, user, a, IndicatorData("Participants", "personnes", Decimal("-5")))
    assert "négative" in exc.value.errors["target"][0]


def test_one_allocation_per_member_and_action(env):
    s, user, a, member = env["s"], env["users"]["admin"], env["a"], env["ids"]["member"]
    save_item(s, user, a, AllocationData(member, Decimal("10")))
    with pytest.raises(ValidationFailed) as exc:
        save_item(s, user, a, AllocationData(member, Decimal("5")))
    assert "déjà du temps" in exc.value.errors["member_id"][0]


# ---------------------------------------------------------------- amendments
def test_plan_changes_after_validation_need_a_reason_and_are_logged(env):
    s, user, p, a = env["s"], env["users"]["admin"], env["programme"], env["a"]
    update_action(s, user, a, _data(a, title="Cluster QVT (brouillon)"))  # draft: free
    assert s.scalars(select(ActionAmendment)).all() == []
    _validate(s, user, p)
    with pytest.raises(ValidationFailed) as exc:
        update_action(s, user, a, _data(a, end_date=date(2026, 9, 30)))
    assert "date de fin" in exc.value.errors["amendment_reason"][0]
    update_action(s, user, a, _data(a, end_date=date(2026, 9, 30),
                                    amendment_reason="Une session ajoutée en septembre"))
    # Following up (status) is not an amendment.
    update_action(s, user, a, _data(a, status=ActionStatus.EN_COURS))
    save_item(s, user, a, BudgetLineData("prestations", Decimal("3000")))
    rows = queries.amendments(s, p)
    assert [(r.kind, r.summary) for r in reversed(rows)] == [
        ("modification", "Modifié : date de fin."),
        ("modification", "Ajout : budget prestations."),
    ]
    assert rows[-1].reason == "Une session ajoutée en septembre"
    assert rows[-1].actor_name == "Ada Admin"


def test_deleting_after_validation_needs_a_reason(env):
    s, user, p = env["s"], env["users"]["admin"], env["programme"]
    extra = create_action(s, user, p, _data(env["a"], title="Action à retirer"))
    _validate(s, user, p)
    with pytest.raises(DomainError, match="motif de la suppression"):
        delete_action(s, user, extra)
    delete_action(s, user, extra, "Fusionnée avec le cluster QVT")
    assert [r.kind for r in queries.amendments(s, p)] == ["suppression"]


def test_action_with_deliverables_cannot_be_deleted(env):
    with pytest.raises(DomainError) as exc:
        delete_action(env["s"], env["users"]["admin"], env["b"])
    assert "1 livrable(s)" in str(exc.value) and "Abandonnée" in str(exc.value)
    assert env["s"].get(Action, env["ids"]["action_b"]) is not None


# ---------------------------------------------------------------- concurrency
def test_stale_version_is_refused_and_nothing_is_written(env):
    s, user, a = env["s"], env["users"]["admin"], env["a"]
    loaded = a.version_id
    update_action(s, user, a, _data(a, title="Première version"), expected_version=loaded)
    with pytest.raises(ConcurrentEdit):
        update_action(s, user, a, _data(a, title="Seconde version"), expected_version=loaded)
    assert a.title == "Première version"


def test_concurrent_sessions_cannot_overwrite_each_other(app, env):
    """Two editors load the same action; the second UPDATE finds the version changed."""
    from webapp.extensions import db

    s = env["s"]
    s.commit()
    other = db.session.session_factory()
    try:
        mine = s.get(Action, env["ids"]["action_a"])
        theirs = other.get(Action, env["ids"]["action_a"])
        update_action(other, None, theirs, _data(theirs, title="Sauvé par l'autre"))
        other.commit()
        with pytest.raises(ConcurrentEdit):
            update_action(s, None, mine, _data(mine, title="Sauvé par moi"))
        s.rollback()
        assert s.get(Action, env["ids"]["action_a"]).title == "Sauvé par l'autre"
    finally:
        other.close()


# ---------------------------------------------------------------- roll-ups
def test_overview_counts_budget_days_and_indicators(env):
    s, user, p, a, b = env["s"], env["users"]["admin"], env["programme"], env["a"], env["b"]
    member = env["ids"]["member"]
    update_action(s, user, a, _data(a, status=ActionStatus.REALISEE))
    dropped = create_action(s, user, p, _data(a, title="Abandonnée", status="abandonnee",
                                              status_reason="Pas de candidats"))
    save_item(s, user, a, BudgetLineData("personnel", Decimal("1000.50"), Decimal("900.25")))
    save_item(s, user, b, BudgetLineData("prestations", Decimal("2000"), None))
    save_item(s, user, a, IndicatorData("Participants", "personnes", Decimal("10"),
                                        Decimal("12")))
    save_item(s, user, b, IndicatorData("Notes", "notes", Decimal("4"), Decimal("3")))
    save_item(s, user, a, AllocationData(member, Decimal("20"), Decimal("15")))
    ov = queries.overview(s, p, TODAY)
    t = ov.total
    assert (t.actions, t.done, t.abandoned) == (3, 1, 1)
    assert t.done_rate == Decimal("0.5")  # the abandoned action is left out
    assert (t.indicators, t.reached) == (2, 1)
    assert (t.planned, t.actual) == (Decimal("3000.50"), Decimal("900.25"))
    assert (t.planned_days, t.actual_days) == (Decimal("20.00"), Decimal("15.00"))
    # b's deliverable (due 31 May 2026) is late on TODAY; b's end date is past too.
    assert t.late_deliverables == 1 and t.late == 1
    by_code = {op.objective.code: op.progress for ap in ov.axes for op in ap.objectives}
    assert len(by_code) == 10
    assert by_code["2.2"].planned == Decimal("1000.50")
    assert by_code["3.3"].planned == Decimal("2000.00")
    assert by_code["1.1"].actions == 0
    axis2 = next(ap for ap in ov.axes if ap.axis.number == 2)
    assert axis2.progress.actions == 2  # a and the abandoned copy
    assert dropped.status is ActionStatus.ABANDONNEE


def test_late_deliverables_ignore_postponed_actions(env):
    s, user, p, b = env["s"], env["users"]["admin"], env["programme"], env["b"]
    assert [d.title for d in queries.late_deliverables(s, user, p, TODAY)] == [
        "Note de conjoncture"]
    update_action(s, user, b, _data(b, status="reportee", status_reason="Report en 2027"))
    assert queries.late_deliverables(s, user, p, TODAY) == []


def test_member_over_allocation_is_flagged_pro_rata(env):
    s, user, p, a, b = env["s"], env["users"]["admin"], env["programme"], env["a"], env["b"]
    part_timer = save_member(s, user, MemberData(
        full_name="Nadia Ferrand", function="Chargée d'études", contract_etp=Decimal("0.5"),
        status="mis_a_disposition", seconded_by="Mission locale de Bordeaux",
        start_date=date(2026, 7, 1)))
    # 0.5 ETP × 218 days × 184/365 of the year
    assert capacity_days(Decimal("0.5"), date(2026, 7, 1), None, 2026, 218) == Decimal("54.95")
    save_item(s, user, a, AllocationData(part_timer.id, Decimal("30")))
    save_item(s, user, b, AllocationData(part_timer.id, Decimal("30")))
    save_item(s, user, a, AllocationData(env["ids"]["member"], Decimal("100")))
    loads = {load.member.full_name: load for load in queries.member_loads(s, p)}
    assert loads["Nadia Ferrand"].planned_days == Decimal("60.00")
    assert loads["Nadia Ferrand"].over is True
    assert loads["Sophie Lambert"].over is False  # 100 of 174,4 days
    assert loads["Sophie Lambert"].planned_etp == Decimal("0.46")


def test_member_seconded_needs_its_employer(env):
    with pytest.raises(ValidationFailed) as exc:
        save_member(env["s"], env["users"]["admin"], MemberData(
            full_name="X", function="Y", contract_etp=Decimal("1.2"),
            status="mis_a_disposition", start_date=date(2026, 1, 1)))
    assert set(exc.value.errors) == {"contract_etp", "seconded_by"}


# ---------------------------------------------------------------- duplication
def test_duplicate_to_next_year_keeps_the_plan_without_actuals(env):
    s, user, p, a, b = env["s"], env["users"]["admin"], env["programme"], env["a"], env["b"]
    update_action(s, user, a, _data(a, status=ActionStatus.REALISEE))
    save_item(s, user, a, BudgetLineData("personnel", Decimal("500"), Decimal("480")))
    save_item(s, user, a, IndicatorData("Participants", "personnes", Decimal("10"),
                                        Decimal("11")))
    save_item(s, user, b, DeliverableData("Bilan", date(2026, 2, 28), date(2026, 2, 27)))
    create_action(s, user, p, _data(a, title="Abandonnée", status="abandonnee",
                                    status_reason="x"))
    copy = duplicate_programme(s, user, p)
    assert (copy.year, copy.status, copy.title) == (2027, S.BROUILLON,
                                                     "Programme régional 2027")
    titles = sorted(x.title for x in copy.actions)
    assert titles == ["Cluster QVT des missions locales", "Observatoire régional des parcours"]
    new_a = next(x for x in copy.actions if x.title.startswith("Cluster"))
    assert new_a.status is ActionStatus.PREVUE
    assert (new_a.start_date, new_a.end_date) == (date(2027, 2, 1), date(2027, 6, 30))
    assert [(bl.planned, bl.actual) for bl in new_a.budget_lines] == [(Decimal("500.00"), None)]
    assert [(i.target, i.achieved) for i in new_a.indicators] == [(Decimal("10.00"), None)]
    assert [link.mission_locale_id for link in new_a.ml_links] == [env["ids"]["ml_a"]]
    new_b = next(x for x in copy.actions if x.title.startswith("Observatoire"))
    assert all(d.done_date is None for d in new_b.deliverables)
    with pytest.raises(ValidationFailed, match="déjà un programme pour 2027"):
        duplicate_programme(s, user, p)


def test_programme_year_is_unique_per_region(env):
    region = env["s"].get(Region, env["ids"]["region"])
    with pytest.raises(ValidationFailed) as exc:
        create_programme(env["s"], env["users"]["admin"], region,
                         ProgrammeData(title="Doublon", year=2026, etp_days=0))
    assert set(exc.value.errors) == {"year", "etp_days"}


# ---------------------------------------------------------------- scope
def test_ml_user_sees_only_actions_of_its_mission_locale(env):
    s, ml, p = env["s"], env["users"]["ml"], env["programme"]
    visible = s.scalars(queries.actions_stmt(ml, p.id, today=TODAY)).unique().all()
    assert [a.id for a in visible] == [env["ids"]["action_a"]]
    assert can(ml, "action.view", env["a"]) and not can(ml, "action.view", env["b"])
    assert not can(env["users"]["financeur"], "action.view", env["a"])
    assert can(env["users"]["copil"], "action.view", env["b"])
    assert not can(ml, "programme.overview")


# ---------------------------------------------------------------- money parsing
@pytest.mark.parametrize("text", ["1 234,56", "1234.56", "1 234,56 €", "1\u202f234,56\u00a0€",
                                  " 1234,56 "])
def test_amounts_typed_the_french_way_are_the_same(text):
    assert parse_amount(text) == Decimal("1234.56")


@pytest.mark.parametrize(("text", "message"), [
    ("12,345.6", "Format ambigu"), ("12,345", "trop de décimales"), ("abc", "n'est pas un nombre"),
    ("1,2,3", "n'est pas un nombre")])
def test_ambiguous_amounts_are_refused_with_an_example(text, message):
    with pytest.raises(AmountError) as exc:
        parse_amount(text)
    assert message in str(exc.value) and "1 234,56" in str(exc.value)


def test_empty_amount_is_none_and_days_keep_two_decimals():
    assert parse_amount("  ") is None
    assert parse_decimal("0,5", places=2) == Decimal("0.50")
