"""The admin's secrecy threshold k and JDI window (/qualite/observatoire)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from models.observatory import queries
from models.observatory.orm import ObservatorySettings
from models.observatory.services import observatory_settings
from tests.conftest import login
from tests.parcours_helpers import PERIOD, clean_young, do_import, write_extract
from webapp.extensions import db

URL = "/qualite/observatoire"


@pytest.fixture
def as_role(client, world):
    def _as(role: str):
        client.post("/deconnexion")
        assert login(client, world["emails"][role]).status_code == 302, role
        return client

    return _as


@pytest.mark.parametrize("bad", ["0", "1", "-3", "abc", "2,5", ""])
def test_bad_thresholds_are_refused_in_french_and_nothing_is_saved(as_role, app, world, bad):
    admin = as_role("admin")
    page = admin.get(URL).get_data(as_text=True)
    assert 'value="11"' in page and 'value="5"' in page
    answer = admin.post(URL, data={"threshold": bad, "jdi_months": "5", "version_id": "0"})
    assert answer.status_code == 200
    html = answer.get_data(as_text=True)
    feedback = html.split('invalid-feedback')[1][:300] if "invalid-feedback" in html else ""
    assert "seuil de secret statistique" in feedback
    with app.app_context():
        assert db.session.scalar(select(ObservatorySettings)) is None
        assert observatory_settings(db.session).threshold == 11


def test_a_bad_jdi_window_is_refused(as_role, app, world):
    answer = as_role("admin").post(URL, data={"threshold": "11", "jdi_months": "30",
                                              "version_id": "0"})
    assert "La fenêtre JDI est un nombre entier de mois entre 1 et 24" in answer.get_data(
        as_text=True)


def test_only_the_admin_sets_them(as_role, world):
    for role in ("animateur", "copil", "ml", "financeur"):
        assert as_role(role).post(URL, data={"threshold": "3", "jdi_months": "5",
                                             "version_id": "0"}).status_code == 403


def test_a_new_threshold_and_window_change_what_is_published(as_role, app, world, tmp_path):
    folder = write_extract(tmp_path / "x", jeunes=clean_young(14), evenements=[
        f"33005;{i};{'15/01/2026' if i <= 7 else '15/08/2026'};ENTRETIEN;EMPLOI"
        for i in range(1, 15)])
    with app.app_context():
        do_import(db.engine, folder)
        queries.clear_cache()
        before = queries.publication(db.session, None, *PERIOD)
        jdi = before.tables["jdi"].cells
        # 14 accompanied; 7 seen in the last 5 months (May–September): 7 < 11, hidden
        assert [c.value for c in before.tables["jeunes_accompagnes"].cells
                if c.level == "ml"] == [14]
        assert all(c.value is None for c in jdi if c.level == "ml")
    admin = as_role("admin")
    done = admin.post(URL, data={"threshold": "3", "jdi_months": "9", "version_id": "0"})
    assert done.status_code == 302
    with app.app_context():
        after = queries.publication(db.session, None, *PERIOD)
        assert after.k == 3 and after.jdi_months == 9
        # the window now spans the whole period: all 14 are JDI, and 14 ≥ 3 is published
        assert [c.value for c in after.tables["jdi"].cells if c.level == "ml"] == [14]
        assert date(2026, 1, 1) == after.period.start
