"""Real-browser journey of a council: the team sends the invitations of the next meeting,
the mission locale answers for its director, the team records attendance on the day and
approves the previous meeting's minutes at this council; a decision taken there reaches
the register. CSRF on, CSP watched; screenshots of the meeting page, the register and the
minutes PDF."""

from __future__ import annotations

import re
import subprocess
from datetime import datetime, time, timedelta

import pytest

from tests.test_browser import CHROMIUM, _login

if not CHROMIUM.exists():  # pragma: no cover - depends on the machine
    pytest.skip("Chromium absent : tests navigateur ignorés.", allow_module_level=True)

from playwright.sync_api import expect  # noqa: E402

from tests.test_browser import browser, live_server, new_page, shots  # noqa: E402,F401

pytestmark = pytest.mark.browser


@pytest.fixture
def council(app, programme_world):
    """Two directors (ml_a, ml_b), a council series, a held meeting a month ago with
    circulated minutes, and the next meeting in 12 days with one agenda item."""
    from models import clock
    from models.audit import set_actor
    from models.councils import agenda, attendance, invitations, meetings, minutes
    from models.network.orm import MissionLocale
    from webapp.extensions import db

    ids = programme_world["ids"]
    with app.app_context():
        s = db.session
        set_actor(s, None, via="cli")
        for key, name in (("ml_a", "Denise Libourne"), ("ml_b", "Paul Bayonne")):
            ml = s.get(MissionLocale, ids[key])
            ml.director_name, ml.director_email = name, f"direction.{key}@ml-test.fr"
        series = meetings.save_series(s, None, None, meetings.SeriesData(
            name="Conseil technique des directeurs", rhythm_weeks=6,
            default_place="ARML, Bordeaux"))
        today = clock.today()
        before = meetings.create_meeting(s, None, series, meetings.meeting_defaults(
            series, today - timedelta(days=30)))
        agenda.add_item(s, None, before, agenda.ItemData(
            kind="information", title="Veille réglementaire", duration_minutes=45))
        invitations.build_invitees(s, None, before)
        attendance.hold_meeting(s, None, before, {
            i.id: ("present", None) for i in before.invitees})
        record = minutes.save_minutes(s, None, before, "Relevé de conclusions du conseil.")
        minutes.circulate_minutes(s, None, record)
        nxt = meetings.create_meeting(s, None, series, meetings.meeting_defaults(
            series, today + timedelta(days=12)))
        agenda.add_item(s, None, nxt, agenda.ItemData(
            kind="echange", title="Accueil sans rendez-vous : <script>alert(1)</script>",
            presenter="Mission locale du Libournais", duration_minutes=60))
        s.commit()
        ids.update(series=series.id, before=before.id, next=nxt.id, next_day=nxt.day)
    return programme_world


def test_invite_answer_hold_and_approve(app, live_server, council, shots,  # noqa: F811
                                        new_page, tmp_path):  # noqa: F811
    from models import clock

    base, emails, ids = live_server, council["emails"], council["ids"]
    team = new_page(viewport={"width": 1366, "height": 900})
    page = team.page
    _login(page, base, emails["animateur"])

    # The next meeting: its agenda opens with the approval of the previous minutes; the
    # agenda text is shown as typed, never run.
    page.goto(f"{base}/conseils/reunions/{ids['next']}")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Réunion du")
    expect(page.get_by_text("Accueil sans rendez-vous : <script>alert(1)</script>", exact=True)) \
        .to_be_visible()
    expect(page.get_by_text(re.compile("Approbation du compte rendu")).first).to_be_visible()
    page.get_by_role("button", name="Envoyer les invitations").click()
    expect(page.locator(".alert").first).to_contain_text(re.compile("invitation", re.I))
    expect(page.get_by_text("Convoquée").first).to_be_visible()
    page.screenshot(path=shots / "80-council-meeting.png", full_page=True)

    # The mission locale answers for its director: excused.
    local = new_page(viewport={"width": 1280, "height": 900}).page
    _login(local, base, emails["ml"])
    local.goto(f"{base}/conseils/reunions/{ids['next']}")
    local.get_by_label("Réponse pour Denise Libourne").select_option(label="Excusé·e")
    local.get_by_role("button", name="Répondre").click()
    expect(local.locator(".alert").first).to_contain_text(re.compile("[Rr]éponse"))
    local.screenshot(path=shots / "81-council-answer-ml.png", full_page=True)

    # The day of the council: attendance, the meeting held, the previous minutes approved.
    clock.travel_to(datetime.combine(ids["next_day"], time(17, 0), tzinfo=clock.LOCAL))
    _login(page, base, emails["animateur"])
    page.goto(f"{base}/conseils/reunions/{ids['next']}/presences")
    expect(page.get_by_label("Présence de Denise Libourne")).to_have_value("excuse")
    page.get_by_label("Présence de Paul Bayonne").select_option(label="Présent·e")
    page.get_by_role("button", name="Marquer la réunion comme tenue").click()
    expect(page.get_by_text("Tenue").first).to_be_visible()
    page.goto(f"{base}/conseils/reunions/{ids['next']}/compte-rendu")
    page.get_by_role("button", name="Approuver").click()
    expect(page.locator(".alert").first).to_contain_text(re.compile("approuvé", re.I))

    # A decision of this council goes to the register, with its one owner.
    page.goto(f"{base}/conseils/reunions/{ids['next']}")
    form = page.locator("form", has=page.get_by_role("button", name="Enregistrer la décision"))
    form.get_by_label("Décision").fill("Organiser une journée régionale sur l'accueil")
    form.get_by_label(re.compile("Responsable")).select_option(value=f"m:{ids['member']}")
    form.get_by_label("Échéance").fill((ids["next_day"] + timedelta(days=60)).isoformat())
    form.get_by_role("button", name="Enregistrer la décision").click()
    expect(page.get_by_text("Organiser une journée régionale sur l'accueil").first) \
        .to_be_visible()
    page.goto(f"{base}/conseils/decisions")
    expect(page.locator("table")).to_contain_text("Organiser une journée régionale")
    page.screenshot(path=shots / "82-council-register.png", full_page=True)

    # The approved minutes of the previous meeting, as a PDF, rendered to look at.
    response = page.request.get(f"{base}/conseils/reunions/{ids['before']}/compte-rendu.pdf")
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    pdf = tmp_path / "cr.pdf"
    pdf.write_bytes(response.body())
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "Relevé de conclusions du conseil." in text and "Approuvé" in text
    subprocess.run(["pdftoppm", "-png", "-r", "70", "-f", "1", "-l", "1", str(pdf),
                    str(shots / "83-council-minutes-pdf")], check=True)
    team.assert_clean()
