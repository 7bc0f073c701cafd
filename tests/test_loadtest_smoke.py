"""The load test's own arithmetic and plumbing (bench/loadtest), in well under a second:
percentiles, windows, the doubling step, the Procfile lines it starts, and the form reader
the team's users edit actions with. The load test itself is ``make bench-charge``."""

from __future__ import annotations

import importlib.util
import math
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _load(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


run = _load("loadtest_run", ROOT / "bench" / "loadtest" / "run.py")


def test_p95_is_the_nearest_rank():
    assert run.p95(list(range(1, 101))) == 95
    assert run.p95([5.0]) == 5.0
    assert run.p95([3, 1, 2, 4, 100]) == 100
    assert math.isnan(run.p95([]))


def test_windows_exclude_sign_in_and_baseline_from_the_overall_p95():
    s = run.Sample
    samples = [s(1.0, "main.healthz", 2, 200, True), s(2.0, "auth.login [POST]", 900, 302, True),
               s(3.0, "programme.detail", 40, 200, True), s(9.0, "funding.plan", 60, 200, True)]
    kept = run.window(samples, 1.0, 9.0)
    assert [x.name for x in kept] == ["main.healthz", "auth.login [POST]", "programme.detail"]
    assert run.overall(kept) == [40]
    assert run.ratio(40, 2) == 20
    assert math.isnan(run.ratio(math.nan, 2)) and math.isnan(run.ratio(4, 0))


def test_doubling_names_the_first_step_twice_the_smallest():
    steps = [{"users": 5, "ratio": 4.0, "p95_overall": 100},
             {"users": 10, "ratio": 6.0, "p95_overall": 150},
             {"users": 20, "ratio": 8.5, "p95_overall": 190},
             {"users": 40, "ratio": 12.0, "p95_overall": 400}]
    assert run.doubling(steps) == {"reference_users": 5, "ratio_users": 20,
                                   "absolute_users": 40}
    assert run.doubling(steps[:2])["ratio_users"] is None


def test_the_servers_start_as_the_procfile_says():
    web = run.procfile_command("web", 4321)
    assert web[0] == "gunicorn" and "127.0.0.1:4321" in web
    assert web[web.index("--workers") + 1] == "2"
    assert web[-1] == "webapp:create_app()"
    assert run.procfile_command("worker")[:2] == ["huey_consumer", "models.parcours.jobs.huey"]
    with pytest.raises(RuntimeError):
        run.procfile_command("absent")


def test_the_form_reader_sends_back_what_a_browser_would():
    forms = _load("loadtest_forms", ROOT / "bench" / "loadtest" / "html_forms.py")
    html = """
    <form method="post" action="/deconnexion"><input name="csrf_token" value="t"></form>
    <form method="post" action="/programmes/actions/3/modifier">
      <input type="hidden" name="csrf_token" value="t">
      <input name="title" value="Rencontres &amp; ateliers">
      <select name="objective_id"><option value="">—</option>
        <option value="7" selected>O7</option></select>
      <select name="status"><option value="prevue">Prévue</option></select>
      <select name="mission_locale_ids" multiple><option value="1" selected>A</option>
        <option value="2">B</option><option value="3" selected>C</option></select>
      <textarea name="partners">
Pôle emploi
CAF</textarea>
      <input type="checkbox" name="retard" value="1">
      <input type="submit" name="go" value="Enregistrer">
      <input type="hidden" name="version_id" value="4">
    </form>"""
    fields = forms.form_with(html, "version_id")
    assert fields == [("csrf_token", "t"), ("title", "Rencontres & ateliers"),
                      ("objective_id", "7"), ("status", "prevue"),
                      ("mission_locale_ids", "1"), ("mission_locale_ids", "3"),
                      ("partners", "Pôle emploi\nCAF"), ("version_id", "4")]
    assert forms.form_with(html, "absent") is None


def test_the_suite_never_imports_locust():
    """Importing locust patches the process with gevent (threads become greenlets): the
    next test files of the same pytest worker would then run on it (Playwright's sync API
    refuses to start, subprocess waits change)."""
    assert "locust" not in sys.modules
    monkey = sys.modules.get("gevent.monkey")  # huey's consumer imports it, never patches
    assert monkey is None or not monkey.is_anything_patched()
