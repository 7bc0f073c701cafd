"""The audit log is written for every insert/update/delete, from any entry point."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.audit import set_actor
from models.audit.orm import AuditEvent
from models.audit.queries import history_of
from models.database import make_engine
from models.network.orm import MissionLocale, Region


def _events(session, entity):
    return list(session.scalars(select(AuditEvent).where(AuditEvent.entity == entity)
                                .order_by(AuditEvent.id)))


def test_insert_update_delete_from_a_plain_session(app):
    engine = make_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    try:
        with Session(engine) as s:
            set_actor(s, None, via="cli")
            region = Region(code="84", name="Auvergne-Rhône-Alpes", arml_name="ARML AURA")
            s.add(region)
            s.commit()
            region.name = "AURA"
            s.commit()
            s.delete(region)
            s.commit()
            events = _events(s, "region")
            assert [e.action for e in events] == ["insert", "update", "delete"]
            assert events[0].changes["code"] == "84"
            assert events[1].changes == {"name": ["Auvergne-Rhône-Alpes", "AURA"]}
            assert all(e.via == "cli" and e.actor_id is None for e in events)
            assert history_of(s, "region", region.id)[0].action == "delete"
    finally:
        engine.dispose()


def test_rolled_back_change_leaves_no_audit_row(session):
    session.add(Region(code="11", name="Île-de-France", arml_name="ARML IDF"))
    session.flush()
    session.rollback()
    assert _events(session, "region") == []


def test_unchanged_assignment_is_not_logged(session, world):
    ml = session.get(MissionLocale, world["ids"]["ml_a"])
    ml.name = ml.name
    session.commit()
    assert [e.action for e in _events(session, "mission_locale")] == ["insert", "insert"]
    ml.commune = "Libourne (siège)"
    session.commit()
    assert [e.action for e in _events(session, "mission_locale")][-1] == "update"


def test_web_changes_name_their_author(app, login_as, world):
    client = login_as("admin")
    client.post(f"/admin/utilisateurs/{world['ids']['target']}/activation",
                data={"version_id": "1"})
    with app.app_context():
        from webapp.extensions import db

        event = db.session.scalars(select(AuditEvent).where(
            AuditEvent.entity == "app_user", AuditEvent.action == "update",
            AuditEvent.entity_id == str(world["ids"]["target"]))).one()
        assert event.actor_id == world["ids"]["admin"] and event.via == "web"
        assert event.changes["active"] == [True, False]
