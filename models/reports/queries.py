"""Reading the reports: each account sees what the policy lets it see, nothing more."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, joinedload

from models.accounts.roles import Role
from models.funding.orm import Funder
from models.policy import can
from models.programme.orm import Action, Objective, Programme
from models.reports.orm import ActionReview, FunderReport, FunderReportDownload


def reports_stmt(actor: Any, *, funder_id: int | None = None, year: int | None = None) -> Select:
    """Report versions ``actor`` may read, newest first (a funder: its own published ones)."""
    stmt = (select(FunderReport).join(FunderReport.funder)
            .options(joinedload(FunderReport.funder))
            .order_by(FunderReport.year.desc(), Funder.name, FunderReport.version.desc()))
    if not can(actor, "reports.manage"):
        stmt = stmt.where(FunderReport.published_at.is_not(None))
        if Role(actor.role) is Role.FINANCEUR:
            stmt = stmt.where(FunderReport.funder_id == (actor.funder_id or 0))
        elif Role(actor.role) is not Role.COPIL:
            stmt = stmt.where(False)
    if funder_id:
        stmt = stmt.where(FunderReport.funder_id == funder_id)
    if year:
        stmt = stmt.where(FunderReport.year == year)
    return stmt


def visible_report(session: Session, actor: Any, report_id: int) -> FunderReport | None:
    """The report if ``actor`` may read it, else None (the caller answers 404: a funder
    must not learn that another funder's report exists)."""
    report = session.get(FunderReport, report_id)
    if report is None or not can(actor, "reports.view", report):
        return None
    return report


def downloads(session: Session, report_ids: list[int]) -> dict[int, int]:
    if not report_ids:
        return {}
    return dict(session.execute(
        select(FunderReportDownload.report_id, func.count())
        .where(FunderReportDownload.report_id.in_(report_ids))
        .group_by(FunderReportDownload.report_id)).all())


def review_rows(session: Session, year: int) -> list[tuple[Action, ActionReview | None]]:
    """Every action of the year's programme with its review (or None), in code order."""
    actions = session.scalars(
        select(Action).join(Programme).join(Objective, Objective.id == Action.objective_id)
        .where(Programme.year == year).options(joinedload(Action.objective))
        .order_by(Objective.code, Action.title, Action.id)).all()
    reviews = {r.action_id: r for r in session.scalars(
        select(ActionReview).where(ActionReview.action_id.in_([a.id for a in actions])))}
    return [(a, reviews.get(a.id)) for a in actions]


def programme_years(session: Session) -> list[int]:
    return list(session.scalars(select(Programme.year).distinct().order_by(Programme.year.desc())))
