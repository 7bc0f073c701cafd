"""Locust users of the whole application, in the mix of a regional network on a working day.

Started by ``bench/loadtest/run.py`` (never alone: it reads what the run prepared from the
environment). Four kinds of users, by weight: missions locales 50 %, the ARML team 25 %,
the steering committee (copil) 15 %, funders 10 %. Each signs in once with a demo account
(the real login form, CSRF token included), then loops over its pages with a think time.
Every user also asks ``/healthz`` now and then, and one probe user outside the mix asks
it twice a second: the baseline every p95 is divided by.

Requests are named by Flask endpoint (``training.catalogue`` …), so the p95 of each endpoint
means something whatever the ids in the URL. Every request is also written, one line each,
to ``LOADTEST_SAMPLES`` (start time, name, duration, status), so run.py can cut the run
into windows (before / during the import) and compute its own percentiles.

Environment (set by run.py): ``LOADTEST_IDS`` (JSON: programme, actions, sessions, missions
locales, conventions), ``LOADTEST_SAMPLES`` (the samples file), ``LOADTEST_READY`` (written
when every user has signed in), ``LOADTEST_STOP`` (the run stops when this file appears).
"""

from __future__ import annotations

import json
import os
import random
import re
import time
import uuid
from pathlib import Path

import gevent
from html_forms import (
    form_with,  # bench/loadtest/html_forms.py (locust puts this folder on sys.path)
)
from locust import HttpUser, between, constant, events, task
from locust.exception import StopUser

PASSWORD = "demo-arml-2026"  # noqa: S105 - the documented demo credential (seeds/demo.py)
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
IDS: dict = json.loads(Path(os.environ["LOADTEST_IDS"]).read_text()) \
    if os.environ.get("LOADTEST_IDS") else {}

_samples = None
_ready = {"count": 0, "written": False}


# ------------------------------------------------------------------ recording
@events.init.add_listener
def _on_init(environment, **_kwargs):
    global _samples
    path = os.environ.get("LOADTEST_SAMPLES")
    if path:
        _samples = open(path, "w", encoding="utf-8")  # noqa: SIM115 - closed at quit
        _samples.write("start,name,ms,status,ok\n")
    stop_file = os.environ.get("LOADTEST_STOP")
    if stop_file:
        gevent.spawn(_watch_stop, environment, Path(stop_file))


def _watch_stop(environment, stop_file: Path) -> None:
    while not stop_file.exists():
        gevent.sleep(0.25)
    if environment.runner is not None:
        environment.runner.quit()


@events.request.add_listener
def _on_request(request_type, name, response_time, response, exception, start_time=None,
                **_kwargs):
    if _samples is None:
        return
    status = getattr(response, "status_code", 0) or 0
    start = start_time if start_time is not None else time.time() - response_time / 1000
    _samples.write(f"{start:.3f},{name},{response_time:.1f},{status},"
                   f"{0 if exception else 1}\n")


@events.quit.add_listener
def _on_quit(**_kwargs):
    if _samples is not None:
        _samples.flush()
        _samples.close()


def _signed_in(environment) -> None:
    """One more user is ready; when all are, note the moment (the measurement starts)."""
    _ready["count"] += 1
    target = environment.parsed_options.num_users if environment.parsed_options else 0
    if not _ready["written"] and _ready["count"] >= target:
        _ready["written"] = True
        path = os.environ.get("LOADTEST_READY")
        if path:
            Path(path).write_text(f"{time.time():.3f}\n")


# ------------------------------------------------------------------ users
class Signed(HttpUser):
    """A demo account signed in through the real form; the pages are the subclasses'."""

    abstract = True
    wait_time = between(1, 3)
    accounts: tuple[str, ...] = ()

    def on_start(self) -> None:
        self.email = random.choice(self.accounts)
        try:
            self._login()
        finally:
            _signed_in(self.environment)

    def _login(self) -> None:
        page = self.client.get("/connexion", name="auth.login")
        match = CSRF_RE.search(page.text or "")
        if not match:
            raise StopUser()
        with self.client.post("/connexion", name="auth.login [POST]", allow_redirects=False,
                              data={"email": self.email, "password": PASSWORD,
                                    "csrf_token": match.group(1)},
                              catch_response=True) as response:
            if response.status_code != 302:
                response.failure(f"connexion refusée pour {self.email} "
                                 f"({response.status_code})")
                raise StopUser()
        self.csrf = None

    def page(self, url: str, name: str) -> str:
        with self.client.get(url, name=name, catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"{url} : {response.status_code} {response.error or ''}")
            text = response.text or ""
        match = CSRF_RE.search(text)
        if match:
            self.csrf = match.group(1)
        return text

    @task(1)
    def healthz(self) -> None:
        self.client.get("/healthz", name="main.healthz")


class HealthProbe(HttpUser):
    """One more user, outside the mix (run.py adds it to ``-u``): ``/healthz`` twice a
    second, so every window has enough baseline samples for a p95."""

    fixed_count = 1
    wait_time = constant(0.5)

    def on_start(self) -> None:
        _signed_in(self.environment)

    @task
    def healthz(self) -> None:
        self.client.get("/healthz", name="main.healthz")


class MissionLocaleUser(Signed):
    """A mission locale: the catalogue, its registrations, its quality page and export,
    and registering its staff to a session."""

    weight = 50
    accounts = ("ml@demo.arml.fr", "ml-pau@demo.arml.fr")

    def on_start(self) -> None:
        super().on_start()
        self.ml_id = IDS["ml_of"][self.email]

    @task(4)
    def catalogue(self) -> None:
        self.page("/formations/catalogue", "training.trainings")

    @task(3)
    def sessions(self) -> None:
        self.page("/formations/", "training.index")

    @task(3)
    def my_registrations(self) -> None:
        self.page("/formations/mes-inscriptions", "training.my_registrations")

    @task(3)
    def quality(self) -> None:
        self.page(f"/qualite/ml/{self.ml_id}", "quality.ml_detail")

    @task(1)
    def quality_export(self) -> None:
        self.page(f"/qualite/ml/{self.ml_id}/constats.csv", "quality.findings_csv")

    @task(2)
    def register_staff(self) -> None:
        if not IDS.get("sessions"):
            return
        session_id = random.choice(IDS["sessions"])
        self.page(f"/formations/sessions/{session_id}", "training.session_detail")
        if not self.csrf:
            return
        tag = uuid.uuid4().hex[:10]
        with self.client.post(
                f"/formations/sessions/{session_id}/inscriptions", name="training.register",
                allow_redirects=False, catch_response=True,
                data={"csrf_token": self.csrf, "last_name": f"Charge{tag}",
                      "first_name": "Camille", "email": f"camille.{tag}@ml-charge.fr",
                      "job": "conseiller"}) as response:
            if response.status_code != 302:
                response.failure(f"inscription non enregistrée ({response.status_code})")


class TeamUser(Signed):
    """The ARML team: the programme, an action edited with the version check, the regional
    quality table, the funding plan."""

    weight = 25
    accounts = ("animation@demo.arml.fr", "animation2@demo.arml.fr")

    @task(3)
    def programme(self) -> None:
        self.page(f"/programmes/{IDS['programme']}", "programme.detail")

    @task(2)
    def actions(self) -> None:
        self.page(f"/programmes/{IDS['programme']}/actions", "programme.actions")

    @task(2)
    def edit_action(self) -> None:
        action_id = random.choice(IDS["actions"])
        html = self.page(f"/programmes/actions/{action_id}/modifier",
                         "programme.action_edit")
        fields = form_with(html, "version_id")
        if fields is None:
            return
        data = [(k, v) for k, v in fields if k not in {"description", "amendment_reason"}]
        data += [("description", f"Action suivie (test de charge {uuid.uuid4().hex[:8]})."),
                 ("amendment_reason", "Mise à jour de la description (test de charge).")]
        with self.client.post(f"/programmes/actions/{action_id}/modifier", data=data,
                              name="programme.action_edit [POST]", allow_redirects=False,
                              catch_response=True) as response:
            if response.status_code == 302:
                return
            text = response.text or ""
            if response.status_code < 500 and "comparez-la avec la version" in text:
                return  # another team member saved first: the version check did its job
            response.failure(f"action {action_id} non enregistrée ({response.status_code})")

    @task(3)
    def quality_table(self) -> None:
        self.page("/qualite/", "quality.index")

    @task(2)
    def plan(self) -> None:
        self.page(f"/financements/plan/{IDS['programme']}", "funding.plan")


class CopilUser(Signed):
    """The steering committee: the programme, the funding plan, the XLSX export."""

    weight = 15
    accounts = ("copil@demo.arml.fr",)

    @task(3)
    def programme(self) -> None:
        self.page(f"/programmes/{IDS['programme']}", "programme.detail")

    @task(2)
    def plan(self) -> None:
        self.page(f"/financements/plan/{IDS['programme']}", "funding.plan")

    @task(1)
    def export(self) -> None:
        self.page(f"/programmes/{IDS['programme']}/export.xlsx", "programme.export_xlsx")


class FunderUser(Signed):
    """A funder: its conventions and the reporting deadlines."""

    weight = 10
    accounts = ("financeur@demo.arml.fr",)

    @task(2)
    def conventions(self) -> None:
        self.page("/financements/", "funding.index")

    @task(2)
    def convention(self) -> None:
        if IDS.get("conventions"):
            self.page(f"/financements/conventions/{random.choice(IDS['conventions'])}",
                      "funding.convention_detail")

    @task(2)
    def deadlines(self) -> None:
        self.page("/financements/echeances", "funding.upcoming")
