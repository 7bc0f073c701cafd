"""The one decision register: a decision follows every later meeting of its series until
it is closed; its rules (one owner, due date, closing note, locked after approval); the
register page, filters and exports; copil decisions on the same register."""

from __future__ import annotations

import csv
import io
from datetime import time, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from models import clock
from models.audit import set_actor
from models.councils.decisions import (
    DecisionData,
    change_status,
    delete_decision,
    record_decision,
    update_decision,
)
from models.councils.enums import (
    DecisionStatus,
    MeetingStatus,
    MinutesStatus,
    SeriesKind,
)
from models.councils.orm import CouncilSeries, Decision, Meeting, Minutes
from models.councils.register import (
    RegisterFilters,
    follow_up,
    is_overdue,
    register,
    status_counts,
)
from models.errors import ConcurrentEdit, DomainError, PermissionDenied, ValidationFailed
from models.network.orm import MissionLocale
from tests.conftest import login
from webapp.extensions import db


def _series(s, name="Conseil technique des directeurs") -> CouncilSeries:
    series = CouncilSeries(name=name, kind=SeriesKind.CONSEIL, rhythm_weeks=6)
    s.add(series)
    s.flush()
    return series


def _meetings(s, series, count: int, first_offset_days: int) -> list[Meeting]:
    """``count`` meetings six weeks apart, the first ``first_offset_days`` from today."""
    start = clock.today() + timedelta(days=first_offset_days)
    meetings = [Meeting(series=series, day=start + timedelta(weeks=6 * i),
                        starts_at=time(9, 30), ends_at=time(16, 30),
                        status=MeetingStatus.TENU if first_offset_days + 42 * i < 0
                        else MeetingStatus.PLANIFIE) for i in range(count)]
    s.add_all(meetings)
    s.flush()
    return meetings


@pytest.fixture
def register_world(app, programme_world):
    """A council series with five meetings (the first four held), the team member of the
    programme world and the two missions locales."""
    ids = programme_world["ids"]
    with app.app_context():
        s = db.session
        set_actor(s, None, via="cli")
        series = _series(s)
        meetings = _meetings(s, series, 5, -200)
        s.commit()
        ids.update(series=series.id, meetings=[m.id for m in meetings])
    return programme_world


def _data(ids, meeting, **changes) -> DecisionData:
    values = {"text": "Diffuser la note sur le CEJ", "owner_member_id": ids["member"],
              "due_date": meeting.day + timedelta(days=30)}
    values.update(changes)
    return DecisionData(**values)


def test_a_decision_follows_every_later_meeting_until_closed(app, register_world):
    ids = register_world["ids"]
    with app.app_context():
        s = db.session
        m1, m2, m3, m4, m5 = (s.get(Meeting, i) for i in ids["meetings"])
        decision = record_decision(s, None, _data(ids, m1), meeting=m1)
        other = record_decision(s, None, _data(ids, m1, text="Autre instance"), meeting=m1)
        s.commit()
        # not at its own meeting; at every later one while open
        assert decision not in follow_up(s, m1)
        assert decision in follow_up(s, m2) and decision in follow_up(s, m3)
        change_status(s, None, decision, DecisionStatus.EN_COURS, meeting=m3,
                      note="Note en relecture")
        change_status(s, None, decision, DecisionStatus.FAITE, meeting=m4,
                      note="Note diffusée à toutes les missions locales")
        s.commit()
        # shown one last time, closed, at the meeting that closes it; then gone
        assert [d.id for d in follow_up(s, m4) if d.id == decision.id] == [decision.id]
        assert decision not in follow_up(s, m5)
        assert other in follow_up(s, m5)  # still open: still there
        # a past meeting shows what was open then, whatever happened afterwards
        assert decision in follow_up(s, m2)
        history = [(e.from_status, e.to_status, e.meeting_id) for e in decision.events]
        assert history == [(None, DecisionStatus.OUVERTE, m1.id),
                           (DecisionStatus.OUVERTE, DecisionStatus.EN_COURS, m3.id),
                           (DecisionStatus.EN_COURS, DecisionStatus.FAITE, m4.id)]
        assert decision.closed_on == m4.day


def test_another_series_never_shows_the_decision(app, register_world):
    ids = register_world["ids"]
    with app.app_context():
        s = db.session
        m1 = s.get(Meeting, ids["meetings"][0])
        group = _series(s, "Groupe de travail numérique")
        later = _meetings(s, group, 1, -10)[0]
        record_decision(s, None, _data(ids, m1), meeting=m1)
        s.commit()
        assert follow_up(s, later) == []


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"owner_member_id": None}, "owner", "exactement un·e responsable"),
    ({"owner_ml_id": "ml_a"}, "owner", "pas les deux"),
    ({"owner_member_id": None, "owner_ml_id": "ml_a"}, "owner_person", "Nommez la personne"),
    ({"due_date": -1}, "due_date", "précède la réunion"),
    ({"due_date": None}, "due_date", "obligatoire"),
    ({"text": "  "}, "text", "obligatoire"),
    ({"text": "x" * 4001}, "text", "dépasse 4000 caractères"),
])
def test_bad_decisions_are_refused_and_nothing_is_written(app, register_world, changes, field,
                                                          message):
    ids = register_world["ids"]
    with app.app_context():
        s = db.session
        m1 = s.get(Meeting, ids["meetings"][0])
        if changes.get("owner_ml_id") == "ml_a":
            changes["owner_ml_id"] = ids["ml_a"]
        if changes.get("due_date") == -1:
            changes["due_date"] = m1.day - timedelta(days=1)
        with pytest.raises(ValidationFailed) as caught:
            record_decision(s, None, _data(ids, m1, **changes), meeting=m1)
        s.rollback()
        assert message in " ".join(caught.value.errors[field])
        assert s.scalar(select(Decision.id).where(Decision.meeting_id == m1.id)) is None


def test_inactive_mission_locale_cannot_own_a_decision(app, register_world):
    ids = register_world["ids"]
    with app.app_context():
        s = db.session
        s.get(MissionLocale, ids["ml_b"]).active = False
        m1 = s.get(Meeting, ids["meetings"][0])
        with pytest.raises(ValidationFailed, match="n'est plus active"):
            record_decision(s, None, _data(ids, m1, owner_member_id=None,
                                           owner_ml_id=ids["ml_b"], owner_person="Mme Roux"),
                            meeting=m1)


def test_status_rules(app, register_world):
    ids = register_world["ids"]
    with app.app_context():
        s = db.session
        m1, m2 = (s.get(Meeting, i) for i in ids["meetings"][:2])
        d = record_decision(s, None, _data(ids, m1), meeting=m1)
        s.commit()
        with pytest.raises(ValidationFailed, match="demande une note"):
            change_status(s, None, d, DecisionStatus.FAITE)
        with pytest.raises(ValidationFailed, match="nouvelle échéance"):
            change_status(s, None, d, DecisionStatus.REPORTEE, note="Pas prêt")
        with pytest.raises(ValidationFailed, match="postérieure"):
            change_status(s, None, d, DecisionStatus.REPORTEE, new_due_date=d.due_date)
        s.rollback()
        due = d.due_date
        change_status(s, None, d, DecisionStatus.REPORTEE, meeting=m2,
                      new_due_date=due + timedelta(days=60), note="Attente des chiffres")
        assert d.due_date == due + timedelta(days=60)
        change_status(s, None, d, DecisionStatus.ABANDONNEE, note="Le dispositif a changé")
        s.commit()
        with pytest.raises(ValidationFailed, match="close"):
            change_status(s, None, d, DecisionStatus.EN_COURS)
        s.rollback()
        assert s.get(Decision, d.id).status is DecisionStatus.ABANDONNEE


def test_concurrent_status_changes_are_detected(app, register_world):
    ids = register_world["ids"]
    with app.app_context():
        s = db.session
        m1 = s.get(Meeting, ids["meetings"][0])
        d = record_decision(s, None, _data(ids, m1), meeting=m1)
        s.commit()
        loaded = d.version_id
        change_status(s, None, d, DecisionStatus.EN_COURS, expected_version=loaded)
        s.commit()
        with pytest.raises(ConcurrentEdit):
            change_status(s, None, d, DecisionStatus.FAITE, note="fait",
                          expected_version=loaded)


def test_approved_minutes_lock_the_decision(app, register_world):
    ids = register_world["ids"]
    with app.app_context():
        s = db.session
        m1, m2 = (s.get(Meeting, i) for i in ids["meetings"][:2])
        d = record_decision(s, None, _data(ids, m1), meeting=m1)
        s.add(Minutes(meeting=m1, body="…", status=MinutesStatus.APPROUVE,
                      approved_at=clock.now(), approved_in_id=m2.id))
        s.commit()
        with pytest.raises(DomainError, match="ne se supprime plus"):
            delete_decision(s, None, d)
        with pytest.raises(DomainError, match="ne se modifie plus"):
            update_decision(s, None, d, _data(ids, m1, text="Réécrite"))
        with pytest.raises(ValidationFailed, match="approuvé"):
            record_decision(s, None, _data(ids, m1, text="Ajout tardif"), meeting=m1)
        s.rollback()
        change_status(s, None, d, DecisionStatus.ABANDONNEE, note="Remplacée par la n° 2")
        s.commit()
        assert s.get(Decision, d.id).text == "Diffuser la note sur le CEJ"


def test_mission_locale_updates_only_its_own_decisions(app, register_world):
    from models.accounts.orm import User

    ids = register_world["ids"]
    with app.app_context():
        s = db.session
        m1 = s.get(Meeting, ids["meetings"][0])
        own = record_decision(s, None, _data(ids, m1, owner_member_id=None,
                                             owner_ml_id=ids["ml_a"], owner_person="M. Durand"),
                              meeting=m1)
        theirs = record_decision(s, None, _data(ids, m1, owner_member_id=None,
                                                owner_ml_id=ids["ml_b"], owner_person="Mme Roux"),
                                 meeting=m1)
        s.commit()
        ml_user = s.scalars(select(User).where(User.email == register_world["emails"]["ml"])).one()
        change_status(s, ml_user, own, DecisionStatus.EN_COURS, note="Démarré")
        with pytest.raises(ValidationFailed, match="se décide en conseil"):
            change_status(s, ml_user, own, DecisionStatus.ABANDONNEE, note="Non")
        with pytest.raises(PermissionDenied):
            change_status(s, ml_user, theirs, DecisionStatus.EN_COURS)
        s.rollback()
        assert [d.id for d in register(s, ml_user, RegisterFilters())] == [own.id]


def test_overdue_and_counts(app, register_world):
    ids = register_world["ids"]
    with app.app_context():
        s = db.session
        m1 = s.get(Meeting, ids["meetings"][0])
        late = record_decision(s, None, _data(ids, m1, due_date=clock.today() - timedelta(days=1)),
                               meeting=m1)
        record_decision(s, None, _data(ids, m1, due_date=clock.today()), meeting=m1)
        s.commit()
        # the programme world's copil decision (due 31/03/2026, open) is late too
        assert is_overdue(late) and status_counts(s, None)["en_retard"] == 2
        filters = RegisterFilters(series_id=ids["series"], overdue=True)
        assert [d.id for d in register(s, None, filters)] == [late.id]
        copil = register(s, None, RegisterFilters(series_id=0, overdue=True))
        assert [d.id for d in copil] == [ids["decision"]]


def _web_world(app, ids):
    with app.app_context():
        s = db.session
        m1 = s.get(Meeting, ids["meetings"][0])
        d1 = record_decision(s, None, _data(ids, m1, text="=Formule piège"), meeting=m1)
        d2 = record_decision(s, None, _data(ids, m1, text="Relancer la DREETS",
                                            due_date=clock.today() - timedelta(days=3)),
                             meeting=m1)
        d3 = record_decision(s, None, _data(ids, m1, owner_member_id=None,
                                            owner_ml_id=ids["ml_b"], owner_person="Mme Roux",
                                            text="Partager l'outil de suivi",
                                            due_date=clock.today() + timedelta(days=30)),
                             meeting=m1)
        s.commit()
        return d1.id, d2.id, d3.id


def test_register_page_filters_and_exports(app, client, register_world):
    ids = register_world["ids"]
    d1, d2, d3 = _web_world(app, ids)
    assert login(client, register_world["emails"]["copil"]).status_code == 302
    page = client.get("/conseils/decisions").get_data(as_text=True)
    assert "Relancer la DREETS" in page and "Partager l&#39;outil de suivi" in page
    assert "En retard" in page
    late = client.get("/conseils/decisions?en_retard=1").get_data(as_text=True)
    assert "Relancer la DREETS" in late and "Partager l&#39;outil" not in late
    by_ml = client.get(f"/conseils/decisions?ml={ids['ml_b']}").get_data(as_text=True)
    assert "Partager l&#39;outil" in by_ml and "Relancer la DREETS" not in by_ml
    garbage = client.get("/conseils/decisions?statut=zzz&instance=abc&page=-4&tri=x")
    assert garbage.status_code == 200
    exported = client.get("/conseils/decisions/export.csv?en_retard=1")
    rows = list(csv.reader(io.StringIO(exported.get_data(as_text=True).lstrip("\ufeff")),
                           delimiter=";"))
    # the late ones: d1 (due a month after a meeting 200 days ago), d2, and the world's copil
    # decision (due 31/03/2026)
    texts = sorted(row[4] for row in rows[1:])
    assert rows[0][0] == "numero" and texts == ["'=Formule piège", "Lancer l'observatoire",
                                                "Relancer la DREETS"]
    xlsx = client.get("/conseils/decisions/export.xlsx")
    sheet = load_workbook(io.BytesIO(xlsx.data)).active
    texts = [row[4] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert "'=Formule piège" in texts and len(texts) == 4  # with the copil decision


def test_ml_sees_only_its_decisions_and_updates_progress(app, client, register_world):
    ids = register_world["ids"]
    d1, d2, d3 = _web_world(app, ids)
    with app.app_context():
        own = record_decision(db.session, None, _data(
            ids, db.session.get(Meeting, ids["meetings"][0]), owner_member_id=None,
            owner_ml_id=ids["ml_a"], owner_person="M. Durand", text="Tester la fiche"),
            meeting=db.session.get(Meeting, ids["meetings"][0]))
        db.session.commit()
        own_id = own.id
    assert login(client, register_world["emails"]["ml"]).status_code == 302
    page = client.get("/conseils/decisions").get_data(as_text=True)
    assert "Tester la fiche" in page and "Relancer la DREETS" not in page
    assert client.get(f"/conseils/decisions/{d3}").status_code == 404
    detail = client.get(f"/conseils/decisions/{own_id}").get_data(as_text=True)
    from tests.conftest import csrf_token_from

    token = csrf_token_from(detail)
    refused = client.post(f"/conseils/decisions/{own_id}/statut",
                          data={"csrf_token": token, "status": "faite", "note": ""})
    assert refused.status_code == 422 and "demande une note" in refused.get_data(as_text=True)
    done = client.post(f"/conseils/decisions/{own_id}/statut",
                       data={"csrf_token": token, "status": "faite",
                             "note": "Fiche testée avec 3 conseillers"})
    assert done.status_code == 302
    with app.app_context():
        assert db.session.get(Decision, own_id).status is DecisionStatus.FAITE


def test_copil_decisions_are_on_the_register(app, client, programme_world):
    ids = programme_world["ids"]
    assert login(client, programme_world["emails"]["copil"]).status_code == 302
    page = client.get("/conseils/decisions?instance=copil").get_data(as_text=True)
    assert "Lancer l&#39;observatoire" in page and "Copil du" in page
    detail = client.get(f"/conseils/decisions/{ids['decision']}").get_data(as_text=True)
    assert "Sophie Lambert" in detail


def test_project_page_lists_the_decisions_of_its_series(app, client, register_world):
    from models.councils.enums import ProjectKind
    from models.councils.orm import CollectiveProject

    ids = register_world["ids"]
    with app.app_context():
        s = db.session
        m1 = s.get(Meeting, ids["meetings"][0])
        project = CollectiveProject(title="Cluster QVT", kind=ProjectKind.CLUSTER,
                                    series_id=ids["series"])
        s.add(project)
        record_decision(s, None, _data(ids, m1, text="Choisir les binômes"), meeting=m1)
        s.commit()
        project_id = project.id
    assert login(client, register_world["emails"]["copil"]).status_code == 302
    page = client.get(f"/conseils/projets/{project_id}").get_data(as_text=True)
    assert "Décisions du projet" in page and "Choisir les binômes" in page
