"""Programme indicators computed from the councils and projects: the stored "achieved"
follows every commit that changes what it counts."""

from __future__ import annotations

from datetime import time, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from models import clock
from models.audit import set_actor
from models.councils.enums import (
    InviteeKind,
    MeetingStatus,
    ParticipantStatus,
    Presence,
    ProjectKind,
    SeriesKind,
)
from models.councils.orm import (
    CollectiveProject,
    CouncilSeries,
    Invitee,
    Meeting,
    ProjectParticipant,
)
from models.errors import ValidationFailed
from models.programme.computed import describe, set_source
from models.programme.items import IndicatorData, save_item
from models.programme.orm import Action, Indicator
from tests.conftest import csrf_token_from, login
from webapp.extensions import db


def _meeting(s, series, days_ago: int, presences: list[Presence | None]) -> Meeting:
    held = all(p is not None for p in presences)
    meeting = Meeting(series=series, day=clock.today() - timedelta(days=days_ago),
                      starts_at=time(9, 30), ends_at=time(12, 30),
                      status=MeetingStatus.TENU if held else MeetingStatus.CONVOQUE)
    for n, presence in enumerate(presences):
        meeting.invitees.append(Invitee(kind=InviteeKind.MEMBRE, full_name=f"Dir {n}",
                                        email=f"dir{n}@ml.fr", presence=presence))
    meeting.invitees.append(Invitee(kind=InviteeKind.INVITE, full_name="DREETS",
                                    email="dreets@etat.fr", presence=Presence.ABSENT))
    s.add(meeting)
    return meeting


@pytest.fixture
def computed_world(app, programme_world):
    ids = programme_world["ids"]
    with app.app_context():
        s = db.session
        set_actor(s, None, via="cli")
        series = CouncilSeries(name="Conseil technique des directeurs", kind=SeriesKind.CONSEIL)
        other = CouncilSeries(name="Groupe numérique", kind=SeriesKind.GROUPE)
        s.add_all([series, other])
        P, R, E, A = Presence.PRESENT, Presence.REPRESENTE, Presence.EXCUSE, Presence.ABSENT
        _meeting(s, series, 60, [P, P, R, E])      # 3 of 4
        _meeting(s, series, 20, [P, A, E, E])      # 1 of 4
        _meeting(s, other, 10, [P, P])             # another series
        _meeting(s, series, -15, [None, None])     # not held yet
        action = s.get(Action, ids["action_a"])
        meetings = save_item(s, None, action, IndicatorData(
            name="Réunions tenues", unit="réunions", target=Decimal(8)))
        rate = save_item(s, None, action, IndicatorData(
            name="Taux de présence des directeurs", unit="%", target=Decimal(80)))
        project = CollectiveProject(title="Cluster QVT", kind=ProjectKind.CLUSTER)
        s.add(project)
        s.flush()
        s.add_all([ProjectParticipant(project=project, mission_locale_id=ids["ml_a"],
                                      status=ParticipantStatus.RETENU),
                   ProjectParticipant(project=project, mission_locale_id=ids["ml_b"],
                                      status=ParticipantStatus.CANDIDAT)])
        mls = save_item(s, None, action, IndicatorData(
            name="MLs participantes", unit="missions locales", target=Decimal(7)))
        s.commit()
        ids.update(series=series.id, other_series=other.id, ind_meetings=meetings.id,
                   ind_rate=rate.id, ind_mls=mls.id, project=project.id)
    return programme_world


def test_values_follow_the_system(app, computed_world):
    ids = computed_world["ids"]
    with app.app_context():
        s = db.session
        get = lambda key: s.get(Indicator, ids[key])  # noqa: E731
        set_source(s, None, get("ind_meetings"), "conseils.reunions_tenues", ids["series"])
        set_source(s, None, get("ind_rate"), "conseils.taux_presence", ids["series"])
        set_source(s, None, get("ind_mls"), "projet.mls_participantes", ids["project"])
        s.commit()
        # 2 held meetings of the series this year; (3 + 1) of 8 members; 1 retained ML
        assert get("ind_meetings").achieved == Decimal(2)
        assert get("ind_rate").achieved == Decimal("50.0")
        assert get("ind_mls").achieved == Decimal(1)
        assert "Conseil technique des directeurs" in describe(s, get("ind_meetings"))
        # the system changes: the stored values follow at the next commit
        upcoming = s.scalars(select(Meeting).where(Meeting.status == MeetingStatus.CONVOQUE)
                             ).one()
        upcoming.day = clock.today() - timedelta(days=1)
        for invitee in upcoming.invitees:
            invitee.presence = Presence.PRESENT
        upcoming.status = MeetingStatus.TENU
        s.scalars(select(ProjectParticipant).where(
            ProjectParticipant.status == ParticipantStatus.CANDIDAT)).one().status = \
            ParticipantStatus.RETENU
        s.commit()
        assert get("ind_meetings").achieved == Decimal(3)
        assert get("ind_rate").achieved == Decimal("60.0")  # (4 + 2) / 10
        assert get("ind_mls").achieved == Decimal(2)
        # every series
        set_source(s, None, get("ind_meetings"), "conseils.reunions_tenues", None)
        s.commit()
        assert get("ind_meetings").achieved == Decimal(4)
        # typed by hand again: the value stays as it was and no longer moves
        set_source(s, None, get("ind_meetings"), None, None)
        s.commit()
        assert get("ind_meetings").source is None


def test_bad_sources_are_refused(app, computed_world):
    ids = computed_world["ids"]
    with app.app_context():
        s = db.session
        indicator = s.get(Indicator, ids["ind_mls"])
        with pytest.raises(ValidationFailed, match="inconnue"):
            set_source(s, None, indicator, "n_importe_quoi", None)
        with pytest.raises(ValidationFailed, match="projet collectif"):
            set_source(s, None, indicator, "projet.mls_participantes", None)
        s.rollback()
        assert s.get(Indicator, ids["ind_mls"]).source is None


def test_programme_page_shows_the_value_and_its_source(app, client, computed_world):
    ids = computed_world["ids"]
    assert login(client, computed_world["emails"]["admin"]).status_code == 302
    page = client.get(f"/programmes/actions/{ids['action_a']}").get_data(as_text=True)
    response = client.post(f"/programmes/indicateurs/{ids['ind_meetings']}/source", data={
        "csrf_token": csrf_token_from(page),
        "source": f"conseils.reunions_tenues|{ids['series']}"})
    assert response.status_code == 302
    bad = client.post(f"/programmes/indicateurs/{ids['ind_meetings']}/source", data={
        "csrf_token": csrf_token_from(page), "source": "conseils.reunions_tenues|999"},
        follow_redirects=True)
    assert "Source de calcul inconnue" in bad.get_data(as_text=True)
    client.post("/deconnexion", data={"csrf_token": csrf_token_from(page)})
    assert login(client, computed_world["emails"]["copil"]).status_code == 302
    page = client.get(f"/programmes/actions/{ids['action_a']}").get_data(as_text=True)
    assert "Calculé : réunions tenues de « Conseil technique des directeurs »" in page
