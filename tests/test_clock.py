"""The one clock: nothing but models/clock.py reads the system time, and tests can move it."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from models import clock
from tests.conftest import TEST_NOW

ROOT = Path(__file__).resolve().parent.parent
SCANNED = ("models", "webapp", "dashboard", "seeds")

# Calls that read the system clock behind the application's back.
FORBIDDEN = {
    ("date", "today"), ("datetime", "today"), ("datetime", "now"), ("datetime", "utcnow"),
    ("time", "time"), ("time", "localtime"), ("time", "gmtime"),
}


def _offending_calls(source: str) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Attribute):
            owner = func.value
            name = owner.attr if isinstance(owner, ast.Attribute) else getattr(owner, "id", "")
            if (name, func.attr) in FORBIDDEN:
                found.append((node.lineno, f"{name}.{func.attr}()"))
        if isinstance(func, ast.Name) and func.id == "formatdate" and not node.args:
            found.append((node.lineno, "formatdate() without a time"))
    return found


def test_the_scanner_finds_every_way_of_reading_the_system_clock():
    source = ("import time, datetime as dt\nfrom datetime import date, datetime\n"
              "a = date.today()\nb = datetime.now(UTC)\nc = dt.datetime.utcnow()\n"
              "d = time.time()\ne = formatdate(localtime=True)\nf = clock.today()\n")
    assert [line for line, _ in _offending_calls(source)] == [3, 4, 5, 6, 7]


def test_no_code_reads_the_system_clock_but_the_clock():
    offenders = []
    for top in SCANNED:
        for path in sorted((ROOT / top).rglob("*.py")):
            if path == ROOT / "models" / "clock.py":
                continue
            for line, call in _offending_calls(path.read_text(encoding="utf-8")):
                offenders.append(f"{path.relative_to(ROOT)}:{line}: {call}")
    assert not offenders, "Lire l'heure avec models.clock :\n" + "\n".join(offenders)


def test_the_tests_run_at_the_tests_moment_whatever_the_real_date():
    start = datetime.fromisoformat(TEST_NOW)
    assert timedelta(0) <= clock.now() - start < timedelta(hours=2)
    assert clock.today() == start.date()


def test_travel_and_advance_move_every_reader():
    from models.base import utcnow

    clock.travel_to(date(2031, 2, 28))
    assert clock.today() == date(2031, 2, 28)
    assert utcnow().date() == date(2031, 2, 28)
    clock.advance(timedelta(days=1))
    assert clock.today() == date(2031, 3, 1)
    # "today" is the date in France: 23:30 UTC on 31 December is already 1 January in Paris
    clock.travel_to(datetime(2031, 12, 31, 23, 30, tzinfo=UTC))
    assert clock.today() == date(2032, 1, 1)
    clock.reset()
    assert abs(clock.now() - datetime.now(UTC)) < timedelta(seconds=5)


def test_a_child_process_inherits_the_tests_clock():
    code = "from models import clock; print(clock.today().isoformat())"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT, env=os.environ.copy(), check=True)
    assert out.stdout.strip() == datetime.fromisoformat(TEST_NOW).date().isoformat()


@pytest.mark.parametrize("env", ["development", "production"])
def test_the_start_moment_is_ignored_outside_the_tests(env):
    code = "from models import clock; print(clock.today().isoformat())"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT, check=True,
                         env={**os.environ, "ANIMARESEAU_ENV": env,
                              "ANIMARESEAU_CLOCK_START": "2001-01-01T10:00:00+01:00"})
    assert out.stdout.strip() != "2001-01-01"


def test_a_malformed_start_moment_is_refused_in_french():
    out = subprocess.run([sys.executable, "-c", "import models.clock"], capture_output=True,
                         text=True, cwd=ROOT,
                         env={**os.environ, "ANIMARESEAU_CLOCK_START": "demain"})
    assert out.returncode != 0 and "n'est pas une date ISO" in out.stderr


@pytest.mark.skipif(not os.environ.get("ANIMARESEAU_TEST_SHIFT_DAYS"),
                    reason="only under make test-horloge")
def test_make_test_horloge_really_moves_the_system_clock():
    shift = int(os.environ["ANIMARESEAU_TEST_SHIFT_DAYS"])
    moved = datetime.now(UTC) - clock.now()  # the app clock stays at the tests' moment
    assert moved > timedelta(days=shift - 1)
    assert date.today() > clock.today()
