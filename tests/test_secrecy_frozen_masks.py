"""The secrecy function's masks are frozen: speed-ups must not change a hidden cell.

``tests/data/secrecy_frozen_masks.json`` was written by this module (``python -m
tests.test_secrecy_frozen_masks``) with the code *before* its optimisation; every problem
below must still give exactly the same hidden cells, rounds, exposed and unprotected keys.
The problems: the mentoring yearly table's shape (mission locales + region, the table's
additive lines, each ML the owner of its column), random observatory-like hierarchies with
owners and approximate lines, the observatory's synthetic problem, with and without the
LP interval check, some with forced cells.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from models.observatory.secrecy import Line, _synthetic, protect

DATA = Path(__file__).parent / "data" / "secrecy_frozen_masks.json"

# the yearly table's rows and lines (a frozen copy: the table may evolve, these must not)
_GROUPS = {"m.sex": 3, "m.age": 4, "m.qpv": 3, "m.zrr": 3, "m.qual": 5, "m.rqth": 2,
           "m.presc": 5}
_OUTCOMES = 9


def mentoring_problem(seed: int, n_mls: int) -> tuple[np.ndarray, list[Line], list[str],
                                                       list[int]]:
    rng = np.random.default_rng(seed)
    sizes = rng.lognormal(0, 0.9, n_mls)
    sizes = sizes / sizes.sum() * rng.choice([600, 2000, 3000])
    cols: list[dict[str, int]] = []
    for s in sizes:
        c: dict[str, int] = {}
        c["m.entries"] = int(rng.poisson(s * 0.8))
        c["m.stock"] = c["m.entries"] + int(rng.poisson(s * 0.5))
        for g, n in _GROUPS.items():
            p = rng.dirichlet(np.full(n, 2.0))
            for i, x in enumerate(rng.multinomial(c["m.entries"], p).tolist()):
                c[f"{g}.{i}"] = x
        c["t.active"] = int(rng.poisson(s / 10))
        for g, n in (("t.sex", 2), ("t.status", 3)):
            p = rng.dirichlet(np.full(n, 2.0))
            for i, x in enumerate(rng.multinomial(c["t.active"], p).tolist()):
                c[f"{g}.{i}"] = x
        c["t.new"] = int(rng.poisson(s / 30))
        c["t.trained"] = int(rng.poisson(s / 30))
        c["p.started"] = int(rng.poisson(s))
        ended = int(rng.poisson(s * 0.7))
        c["p.ended"] = ended
        c["p.broken"] = int(rng.binomial(ended, 0.2))
        c["p.long"] = int(rng.binomial(ended, 0.6))
        c["p.short"] = int(rng.binomial(ended, 0.1))
        c["f.recorded"] = int(rng.binomial(ended, 0.6))
        for prefix, base in (("o", "p.ended"), ("f", "f.recorded")):
            w = np.array([22, 18, 14, 8, 12, 2, 14, 6, 4], dtype=float)
            for i, x in enumerate(rng.multinomial(c[base], w / w.sum()).tolist()):
                c[f"{prefix}.{i}"] = x
            c[f"{prefix}.narrow"] = c[f"{prefix}.0"] + c[f"{prefix}.1"]
            c[f"{prefix}.wide"] = c[f"{prefix}.narrow"] + sum(
                c[f"{prefix}.{i}"] for i in (2, 3, 4))
        cols.append(c)
    row_keys = list(cols[0])
    within: list[tuple[str, list[str]]] = [
        ("m.entries", [f"{g}.{i}" for i in range(n)]) for g, n in _GROUPS.items()]
    within += [("t.active", [f"{g}.{i}" for i in range(n)])
               for g, n in (("t.sex", 2), ("t.status", 3))]
    for prefix, base in (("o", "p.ended"), ("f", "f.recorded")):
        within.append((base, [f"{prefix}.{i}" for i in range(_OUTCOMES)]))
        within.append((f"{prefix}.narrow", [f"{prefix}.0", f"{prefix}.1"]))
        within.append((f"{prefix}.wide", [f"{prefix}.narrow",
                                          *(f"{prefix}.{i}" for i in (2, 3, 4))]))
    values: list[int] = []
    keys: list[str] = []
    owners: list[int] = []
    index: dict[tuple[str, int], int] = {}
    for j, c in enumerate(cols):
        for key in row_keys:
            index[(key, j)] = len(values)
            values.append(c[key])
            keys.append(f"{75000 + j}|{key}")
            owners.append(j)
    for key in row_keys:
        index[(key, n_mls)] = len(values)
        values.append(sum(c[key] for c in cols))
        keys.append(f"R|{key}")
        owners.append(-1)
    lines = [Line(index[(key, n_mls)], tuple(index[(key, j)] for j in range(n_mls)))
             for key in row_keys]
    for j in range(n_mls + 1):
        for total, parts in within:
            lines.append(Line(index[(total, j)], tuple(index[(p, j)] for p in parts)))
    return np.array(values, dtype=np.int64), lines, keys, owners


def hierarchy_problem(seed: int) -> tuple[np.ndarray, list[Line], list[str], list[int]]:
    """Region = Σ départements = Σ MLs, sex and age breakdowns, approximate year lines."""
    rng = np.random.default_rng(1000 + seed)
    values: list[int] = []
    keys: list[str] = []
    owners: list[int] = []
    index: dict[str, int] = {}
    lines: list[Line] = []

    def cell(key: str, value: int, owner: int = -1) -> None:
        index[key] = len(values)
        values.append(int(value))
        keys.append(key)
        owners.append(owner)

    items = ("F", "H", "NR", "a1", "a2", "a3")
    deps = []
    for d in range(int(rng.integers(2, 5))):
        mls = []
        for m in range(int(rng.integers(1, 5))):
            total = int(rng.poisson(rng.choice([6, 15, 40])))
            sex = rng.multinomial(total, [0.47, 0.45, 0.08]).tolist()
            age = rng.multinomial(total, [0.3, 0.5, 0.2]).tolist()
            u = f"D{d}/ML{m}"
            for it, x in zip(items, sex + age, strict=True):
                cell(f"{u}/{it}", x, 10 * d + m)
            cell(f"{u}/T", total, 10 * d + m)
            lines.append(Line(index[f"{u}/T"], tuple(index[f"{u}/{s}"] for s in items[:3])))
            lines.append(Line(index[f"{u}/T"], tuple(index[f"{u}/{a}"] for a in items[3:])))
            if seed % 2:
                prev = int(rng.poisson(rng.choice([5, 20])))
                cell(f"{u}/P", prev, 10 * d + m)
                cell(f"{u}/Y", max(0, total + prev - int(rng.integers(0, 3))), 10 * d + m)
                lines.append(Line(index[f"{u}/Y"], (index[f"{u}/T"], index[f"{u}/P"]),
                                  exact=False))
            mls.append(u)
        for it in (*items, "T"):
            cell(f"D{d}/{it}", sum(values[index[f"{u}/{it}"]] for u in mls))
            lines.append(Line(index[f"D{d}/{it}"], tuple(index[f"{u}/{it}"] for u in mls)))
        lines.append(Line(index[f"D{d}/T"], tuple(index[f"D{d}/{s}"] for s in items[:3])))
        lines.append(Line(index[f"D{d}/T"], tuple(index[f"D{d}/{a}"] for a in items[3:])))
        deps.append(f"D{d}")
    for it in (*items, "T"):
        cell(f"R/{it}", sum(values[index[f"{u}/{it}"]] for u in deps))
        lines.append(Line(index[f"R/{it}"], tuple(index[f"{u}/{it}"] for u in deps)))
    lines.append(Line(index["R/T"], tuple(index[f"R/{s}"] for s in items[:3])))
    lines.append(Line(index["R/T"], tuple(index[f"R/{a}"] for a in items[3:])))
    return np.array(values, dtype=np.int64), lines, keys, owners


def problems() -> dict[str, dict]:
    """name -> problem (values, lines, keys, owners, interval_lp, forced)."""
    out: dict[str, dict] = {}

    def add(name, problem, interval_lp, forced_seed=None):
        values, lines, keys, owners = problem
        forced = None
        if forced_seed is not None:
            forced = np.random.default_rng(forced_seed).random(values.size) < 0.03
        out[name] = dict(values=values, lines=lines, keys=keys, owners=owners,
                         interval_lp=interval_lp, forced=forced)

    for seed, n_mls in ((0, 4), (1, 8), (2, 12), (3, 20), (4, 45), (5, 30)):
        add(f"mentoring-{seed}-{n_mls}", mentoring_problem(seed, n_mls), False)
    add("mentoring-6-10-lp", mentoring_problem(6, 10), True)
    add("mentoring-7-15-forced", mentoring_problem(7, 15), False, forced_seed=7)
    for seed in range(24):
        add(f"hierarchy-{seed}", hierarchy_problem(seed), seed % 3 != 0,
            forced_seed=seed if seed % 4 == 1 else None)
    for seed in range(3):
        add(f"synthetic-2x3-{seed}", _synthetic(2, 3, seed=seed), seed != 1)
    return out


def result(problem: dict) -> dict:
    prot = protect(problem["values"], problem["lines"], 11, keys=problem["keys"],
                   owners=problem["owners"], forced=problem["forced"],
                   interval_lp=problem["interval_lp"])
    return {"hidden": np.flatnonzero(prot.hidden).tolist(),
            "status": prot.status.tolist(), "rounds": prot.rounds,
            "exposed": list(prot.exposed), "unprotected": list(prot.unprotected)}


_PROBLEMS = problems()


@pytest.fixture(scope="module")
def frozen() -> dict:
    return json.loads(DATA.read_text())


@pytest.mark.parametrize("name", sorted(_PROBLEMS))
def test_mask_is_the_frozen_one(name, frozen):
    expected = frozen[name]
    got = result(_PROBLEMS[name])
    assert got["hidden"] == expected["hidden"]
    assert got == expected


def test_frozen_masks_hide_something(frozen):
    assert set(frozen) == set(_PROBLEMS)
    assert all(f["hidden"] for f in frozen.values())


if __name__ == "__main__":  # write the frozen masks (only with the reference code!)
    DATA.write_text(json.dumps({name: result(p) for name, p in sorted(_PROBLEMS.items())},
                               separators=(",", ":")) + "\n")
    print(f"{len(_PROBLEMS)} masks written to {DATA}")
