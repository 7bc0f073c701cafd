"""Statistical secrecy of the observatory (models/observatory/secrecy.py).

Pure numpy/scipy: no database, no app. Every mask ``protect`` returns is checked here
against an independent brute-force rank test and the LP intervals.
"""

from __future__ import annotations

import time

import numpy as np
import pytest
from scipy.optimize import linprog

from models.errors import ValidationFailed
from models.observatory.secrecy import (
    DEFAULT_THRESHOLD,
    PRIMARY,
    PUBLISHED,
    SECONDARY,
    Line,
    _protect_from,
    _synthetic,
    check_threshold,
    intervals,
    protect,
    recoverable,
)


# --- helpers ---------------------------------------------------------------------------
class Builder:
    """Cells with keys and owners, and additive lines between them."""

    def __init__(self) -> None:
        self.values: list[int] = []
        self.keys: list[str] = []
        self.owners: list[int] = []
        self.index: dict[str, int] = {}
        self.lines: list[Line] = []

    def cell(self, key: str, value: int, owner: int = -1) -> int:
        self.index[key] = len(self.values)
        self.values.append(int(value))
        self.keys.append(key)
        self.owners.append(owner)
        return self.index[key]

    def line(self, total: str, parts: list[str], exact: bool = True) -> None:
        self.lines.append(Line(self.index[total], tuple(self.index[p] for p in parts), exact))

    def arrays(self) -> tuple[np.ndarray, list[Line], list[str], np.ndarray]:
        return (np.array(self.values, dtype=np.int64), self.lines, self.keys,
                np.array(self.owners, dtype=np.int64))


SEX = ("F", "H", "NR")
AGE = ("a1", "a2", "a3")


def hierarchy(ml_values: list[list[dict[str, int]]], with_age: bool = False) -> Builder:
    """Region = Σ départements = Σ mission locales, each with a sex breakdown (and an age
    breakdown sharing its total), margins « Total » at every level.

    ``ml_values[d][m]``: the figures of mission locale m of département d, by modality.
    Mission locale (d, m) owns its cells (id 10·d + m); the others belong to nobody.
    """
    b = Builder()
    items = list(SEX) + (list(AGE) if with_age else [])
    dep_keys = []
    for d, mls in enumerate(ml_values):
        ml_keys = []
        for m, vals in enumerate(mls):
            u = f"D{d}/ML{m}"
            ml_keys.append(u)
            for it in items:
                b.cell(f"{u}/{it}", vals[it], owner=10 * d + m)
            b.cell(f"{u}/T", sum(vals[s] for s in SEX), owner=10 * d + m)
        u = f"D{d}"
        dep_keys.append(u)
        for it in [*items, "T"]:
            b.cell(f"{u}/{it}", sum(b.values[b.index[f"{x}/{it}"]] for x in ml_keys))
            b.line(f"{u}/{it}", [f"{x}/{it}" for x in ml_keys])
    for it in [*items, "T"]:
        b.cell(f"R/{it}", sum(b.values[b.index[f"{x}/{it}"]] for x in dep_keys))
        b.line(f"R/{it}", [f"{x}/{it}" for x in dep_keys])
    for u in [f"D{d}/ML{m}" for d, mls in enumerate(ml_values) for m in range(len(mls))] \
            + dep_keys + ["R"]:
        b.line(f"{u}/T", [f"{u}/{s}" for s in SEX])
        if with_age:
            b.line(f"{u}/T", [f"{u}/{a}" for a in AGE])
    return b


def random_hierarchy(rng: np.random.Generator, with_age: bool = True,
                     with_year: bool = False) -> Builder:
    """Random département sizes and small counts; ``with_year``: each mission locale also
    has a previous period P and a year Y ≈ T + P (an approximate line: people counted in
    both periods count once in the year)."""
    deps = []
    for _ in range(int(rng.integers(2, 5))):
        mls = []
        for _ in range(int(rng.integers(1, 5))):
            total = int(rng.poisson(rng.choice([6, 15, 40])))
            sex = rng.multinomial(total, [0.47, 0.45, 0.08])
            age = rng.multinomial(total, [0.3, 0.5, 0.2])
            mls.append({**dict(zip(SEX, sex.tolist(), strict=True)),
                        **dict(zip(AGE, age.tolist(), strict=True))})
        deps.append(mls)
    b = hierarchy(deps, with_age=with_age)
    if with_year:
        for d, mls in enumerate(deps):
            for m in range(len(mls)):
                u = f"D{d}/ML{m}"
                t = b.values[b.index[f"{u}/T"]]
                prev = int(rng.poisson(rng.choice([5, 20])))
                b.cell(f"{u}/P", prev, owner=10 * d + m)
                b.cell(f"{u}/Y", max(0, t + prev - int(rng.integers(0, 3))), owner=10 * d + m)
                b.line(f"{u}/Y", [f"{u}/T", f"{u}/P"], exact=False)
    return b


def matrix(n: int, lines: list[Line]) -> np.ndarray:
    A = np.zeros((len(lines), n))
    for i, ln in enumerate(lines):
        A[i, ln.total] += 1
        for p in ln.parts:
            A[i, p] -= 1
    return A


def brute_recoverable(n: int, lines: list[Line], hidden: np.ndarray,
                      known: np.ndarray | None = None) -> np.ndarray:
    """Independent reference: j is determined iff adding e_j to the rows of A_H does not
    raise the rank (whole matrix, no blocks)."""
    h = hidden & ~known if known is not None else hidden.copy()
    cols = np.flatnonzero(h)
    out = np.zeros(n, dtype=bool)
    if not cols.size:
        return out
    A = matrix(n, lines)[:, cols]
    rank = np.linalg.matrix_rank(A) if A.size else 0
    for i, j in enumerate(cols):
        e = np.zeros(cols.size)
        e[i] = 1.0
        out[j] = np.linalg.matrix_rank(np.vstack([A, e])) == rank
    return out


def line_counts(lines: list[Line], hidden: np.ndarray) -> list[int]:
    return [int(hidden[[ln.total, *ln.parts]].sum()) for ln in lines]


def assert_safe(values, lines, keys, owners, prot, k) -> None:
    """The guarantees of ``protect``, checked by other means than its own code."""
    values = np.asarray(values)
    n = values.size
    hidden = prot.hidden
    small = (values >= 1) & (values < k)
    assert not (small & ~hidden).any(), "a small cell is published"
    assert ((prot.status == PRIMARY) == small).all()
    assert not recoverable(values, lines, hidden).any()
    assert not brute_recoverable(n, lines, hidden).any()
    exposed = np.isin(np.array(keys), list(prot.exposed))
    for o in sorted(set(np.asarray(owners).tolist()) - {-1}):
        mine = np.asarray(owners) == o
        found = recoverable(values, lines, hidden, known=mine)
        assert not (found & ~exposed).any(), f"owner {o} recomputes a hidden cell"
        assert not (brute_recoverable(n, lines, hidden, mine) & ~exposed).any()
    lo, hi = intervals(values, lines, hidden)
    assert np.isnan(lo[~hidden]).all() and np.isnan(hi[~hidden]).all()
    assert (lo[hidden] <= values[hidden] + 1e-6).all()
    assert (hi[hidden] >= values[hidden] - 1e-6).all()
    assert (hi[small] >= k - 1e-6).all(), "a reader can tell a primary cell is small"
    assert prot.unprotected == ()


# --- the bridged cycles: line counts are not an audit ----------------------------------
def table_4x4(values: np.ndarray) -> Builder:
    """4×4 interior cells with row totals, column totals and the grand total."""
    b = Builder()
    for i in range(4):
        for j in range(4):
            b.cell(f"x{i}{j}", values[i, j])
    for i in range(4):
        b.cell(f"r{i}", values[i].sum())
        b.line(f"r{i}", [f"x{i}{j}" for j in range(4)])
    for j in range(4):
        b.cell(f"c{j}", values[:, j].sum())
        b.line(f"c{j}", [f"x{i}{j}" for i in range(4)])
    b.cell("g", values.sum())
    b.line("g", [f"r{i}" for i in range(4)])
    b.line("g", [f"c{j}" for j in range(4)])
    return b


CYCLES = ["x00", "x01", "x10", "x11", "x22", "x23", "x32", "x33"]
BRIDGE = "x02"


def test_bridged_cycles_pass_line_counts_but_leak_the_bridge():
    b = table_4x4(np.arange(20, 36).reshape(4, 4))
    values, lines, keys, _ = b.arrays()
    naive = np.zeros(values.size, dtype=bool)
    naive[[b.index[c] for c in [*CYCLES, BRIDGE]]] = True
    # every row and column holds 0 or at least 2 hidden cells …
    assert all(c == 0 or c >= 2 for c in line_counts(lines, naive))
    # … yet rows 0+1 minus columns 0+1 give the bridge exactly
    found = recoverable(values, lines, naive)
    assert np.flatnonzero(found).tolist() == [b.index[BRIDGE]]
    assert (found == brute_recoverable(values.size, lines, naive)).all()
    # the audit repairs that very mask: it keeps it and hides more until nothing leaks
    fixed = _protect_from(values, lines, 11, naive, keys=keys)
    assert (fixed.hidden >= naive).all()
    assert fixed.hidden.sum() > naive.sum()
    assert not recoverable(values, lines, fixed.hidden).any()
    assert not brute_recoverable(values.size, lines, fixed.hidden).any()


def test_an_owner_can_complete_the_bridge_the_audit_sees_it():
    # One more hidden cell, x12, makes the mask publicly safe; but the mission locale that
    # owns x12 knows it, and for it the mask is the bridged one again. No line holds
    # exactly one hidden cell it does not know: only the rank audit per owner sees it.
    b = table_4x4(np.arange(20, 36).reshape(4, 4))
    values, lines, keys, owners = b.arrays()
    owners[b.index["x12"]] = 7
    mask = np.zeros(values.size, dtype=bool)
    mask[[b.index[c] for c in [*CYCLES, BRIDGE, "x12"]]] = True
    mine = owners == 7
    assert not recoverable(values, lines, mask).any()
    assert np.flatnonzero(recoverable(values, lines, mask, known=mine)).tolist() \
        == [b.index[BRIDGE]]
    assert all(c == 0 or c >= 2 for c in line_counts(lines, mask & ~mine))
    fixed = _protect_from(values, lines, 11, mask, keys=keys, owners=owners)
    assert (fixed.hidden >= mask).all()
    assert not recoverable(values, lines, fixed.hidden).any()
    assert not recoverable(values, lines, fixed.hidden, known=mine).any()
    assert not brute_recoverable(values.size, lines, fixed.hidden, mine).any()


def test_protect_on_the_bridged_cycles_table():
    grid = np.full((4, 4), 30)
    for c in [*CYCLES, BRIDGE]:
        grid[int(c[1]), int(c[2])] = 3 + int(c[1]) + int(c[2])
    b = table_4x4(grid)
    values, lines, keys, owners = b.arrays()
    prot = protect(values, lines, 11, keys=keys)
    assert prot.status[b.index[BRIDGE]] == PRIMARY
    assert_safe(values, lines, keys, owners, prot, 11)


# --- hierarchy, margins and owners -----------------------------------------------------
def ml(f: int, h: int, nr: int) -> dict[str, int]:
    return {"F": f, "H": h, "NR": nr}


def test_hierarchy_with_margins_single_ml_and_owner_robustness():
    deps = [
        [ml(40, 35, 12), ml(30, 28, 4), ml(55, 60, 15)],  # 3 MLs, one small NR
        [ml(25, 30, 3)],                                   # a single mission locale
        [ml(50, 45, 20), ml(22, 6, 14)],                   # two MLs, one primary H
    ]
    b = hierarchy(deps)
    values, lines, keys, owners = b.arrays()
    k = 11
    prot = protect(values, lines, k, keys=keys, owners=owners)
    assert_safe(values, lines, keys, owners, prot, k)
    status = dict(zip(keys, prot.status.tolist(), strict=True))
    # single ML: the département figure is the ML's figure, hidden together both ways
    assert status["D1/ML0/NR"] == PRIMARY and status["D1/NR"] != PUBLISHED
    assert all((status[f"D1/ML0/{s}"] == PUBLISHED) == (status[f"D1/{s}"] == PUBLISHED)
               for s in [*SEX, "T"])
    # … and that ML knows it: reported, not "protected" by hiding half the region
    assert "D1/NR" in prot.exposed
    assert all(key.startswith("D1/") for key in prot.exposed)
    # two MLs, one primary: hiding the other ML's cell alone is not enough, since that
    # ML knows its own figure; the département total (or a third member) goes too
    assert status["D2/ML1/H"] == PRIMARY
    assert status["D2/ML0/H"] != PUBLISHED and status["D2/H"] != PUBLISHED
    other = owners == 20
    assert not recoverable(values, lines, prot.hidden, known=other).any()
    # the same problem without owners is publicly safe but leaks to that mission locale
    public_only = protect(values, lines, k, keys=keys)
    assert not recoverable(values, lines, public_only.hidden).any()
    leak = recoverable(values, lines, public_only.hidden, known=other)
    assert leak[b.index["D2/ML1/H"]]


@pytest.mark.parametrize("seed", range(12))
def test_random_hierarchies_are_safe(seed):
    rng = np.random.default_rng(seed)
    b = random_hierarchy(rng, with_age=seed % 3 != 0, with_year=seed % 2 == 1)
    values, lines, keys, owners = b.arrays()
    k = int(rng.choice([5, 8, 11]))
    prot = protect(values, lines, k, keys=keys, owners=owners)
    assert ((values >= 1) & (values < k)).any()
    assert_safe(values, lines, keys, owners, prot, k)
    # secondaries are only ever cells that were publishable
    assert ((prot.status == SECONDARY) <= ((values == 0) | (values >= k))).all()


@pytest.mark.parametrize("seed", range(4))
def test_random_masks_agree_with_brute_force(seed):
    rng = np.random.default_rng(100 + seed)
    b = random_hierarchy(rng)
    values, lines, _, owners = b.arrays()
    for _ in range(5):
        hidden = rng.random(values.size) < rng.uniform(0.1, 0.5)
        assert (recoverable(values, lines, hidden)
                == brute_recoverable(values.size, lines, hidden)).all()
        o = int(rng.choice(owners[owners >= 0]))
        known = owners == o
        assert (recoverable(values, lines, hidden, known=known)
                == brute_recoverable(values.size, lines, hidden, known)).all()


# --- intervals --------------------------------------------------------------------------
def brute_intervals(values: np.ndarray, lines: list[Line], hidden: np.ndarray):
    """Reference: two LPs per hidden cell on the whole problem (exact, consistent lines)."""
    A = matrix(values.size, [ln for ln in lines if ln.exact])
    A = A[A @ values == 0]
    cols = np.flatnonzero(hidden)
    Ah = A[:, cols]
    b = -(A[:, ~hidden] @ values[~hidden])
    keep = np.abs(Ah).sum(1) > 0
    Ah, b = Ah[keep], b[keep]
    lo = np.full(values.size, np.nan)
    hi = np.full(values.size, np.nan)
    for i, j in enumerate(cols):
        c = np.zeros(cols.size)
        c[i] = 1.0
        res = linprog(c, A_eq=Ah if Ah.size else None, b_eq=b if Ah.size else None,
                      bounds=(0, None), method="highs")
        lo[j] = res.fun
        res = linprog(-c, A_eq=Ah if Ah.size else None, b_eq=b if Ah.size else None,
                      bounds=(0, None), method="highs")
        hi[j] = np.inf if res.status == 3 else -res.fun
    return lo, hi


@pytest.mark.parametrize("seed", range(3))
def test_intervals_agree_with_one_lp_per_cell(seed):
    rng = np.random.default_rng(200 + seed)
    b = random_hierarchy(rng, with_year=True)
    values, lines, _, _ = b.arrays()
    hidden = rng.random(values.size) < 0.4
    hidden[b.index["R/T"]] = seed == 0  # a hidden grand total leaves cells unbounded
    lo, hi = intervals(values, lines, hidden)
    ref_lo, ref_hi = brute_intervals(values, lines, hidden)
    assert np.allclose(lo[hidden], ref_lo[hidden]) and np.allclose(hi[hidden], ref_hi[hidden])
    assert np.isnan(lo[~hidden]).all()


def test_intervals_small_example():
    b = Builder()
    for key, v in (("T", 20), ("A", 3), ("B", 17), ("U", 9), ("P", 5), ("Q", 4)):
        b.cell(key, v)
    b.line("T", ["A", "B"])
    b.line("U", ["P", "Q"])
    values, lines, _, _ = b.arrays()
    hidden = np.isin(b.keys, ["A", "B", "U", "P", "Q"])
    lo, hi = intervals(values, lines, hidden)
    i = b.index
    assert np.isnan(lo[i["T"]]) and np.isnan(hi[i["T"]])
    assert (lo[i["A"]], hi[i["A"]]) == (0.0, 20.0)
    assert (lo[i["B"]], hi[i["B"]]) == (0.0, 20.0)
    assert lo[i["U"]] == 0.0 and hi[i["U"]] == np.inf  # nothing bounds that block above


def test_intervals_skip_inexact_and_inconsistent_lines_but_the_audit_does_not():
    b = Builder()
    for key, v in (("Y", 30), ("M1", 12), ("M2", 19), ("S", 10), ("S1", 4), ("S2", 5)):
        b.cell(key, v)
    b.line("Y", ["M1", "M2"], exact=False)  # 12 + 19 != 30: approximately additive
    b.line("S", ["S1", "S2"])               # 4 + 5 != 10: inconsistent, skipped by the LP
    values, lines, _, _ = b.arrays()
    hidden = np.isin(b.keys, ["M1", "S1"])
    lo, hi = intervals(values, lines, hidden)
    assert hi[b.index["M1"]] == np.inf and hi[b.index["S1"]] == np.inf
    # a reader still subtracts: both are "recoverable" for the rank audit
    assert recoverable(values, lines, hidden)[[b.index["M1"], b.index["S1"]]].all()


def test_primary_gets_a_wide_enough_interval():
    # T = A + B + C with A=2, B=3 small and C=40: hiding A and B only would let a reader
    # bound A by 5 < k; the LP step must hide C (or the total) as well
    b = Builder()
    for key, v in (("T", 45), ("A", 2), ("B", 3), ("C", 40)):
        b.cell(key, v)
    b.line("T", ["A", "B", "C"])
    values, lines, keys, owners = b.arrays()
    prot = protect(values, lines, 11, keys=keys)
    assert prot.hidden[b.index["C"]] or prot.hidden[b.index["T"]]
    assert_safe(values, lines, keys, owners, prot, 11)


# --- determinism and locality ----------------------------------------------------------
def test_deterministic_and_independent_of_line_order():
    rng = np.random.default_rng(7)
    b = random_hierarchy(rng)
    values, lines, keys, owners = b.arrays()
    first = protect(values, lines, 11, keys=keys, owners=owners)
    again = protect(values, lines, 11, keys=keys, owners=owners)
    assert (first.status == again.status).all() and first.rounds == again.rounds
    for seed in range(3):
        r = np.random.default_rng(seed)
        shuffled = [Line(ln.total, tuple(r.permutation(ln.parts).tolist()), ln.exact)
                    for ln in (lines[i] for i in r.permutation(len(lines)))]
        other = protect(values, shuffled, 11, keys=keys, owners=owners)
        assert (other.status == first.status).all()
        assert other.exposed == first.exposed
        # the cells' array order does not matter either: only their keys do
        perm = r.permutation(values.size)
        pos = np.empty_like(perm)
        pos[perm] = np.arange(values.size)
        moved = [Line(int(pos[ln.total]), tuple(pos[list(ln.parts)].tolist()), ln.exact)
                 for ln in lines]
        again = protect(values[perm], moved, 11, keys=[keys[j] for j in perm],
                        owners=owners[perm])
        assert (again.status == first.status[perm]).all()


def locality_problem(h0: int, h1: int) -> Builder:
    # département 0: ML0 has F = 3 (primary), its partner in its own line is the smaller
    # of its H and NR cells. Moving 15 from ML0's NR to its H, and 15 from ML1's H to its
    # NR, flips that choice while every département total and every primary stays as is.
    deps = [
        [ml(3, h0, 50 - h0), ml(15, h1, 65 - h1), ml(25, 40, 25), ml(40, 25, 18)],
        [ml(40, 35, 4), ml(30, 28, 12), ml(18, 25, 15)],
        [ml(50, 45, 20), ml(22, 7, 14)],
        [ml(33, 2, 31), ml(19, 44, 16), ml(27, 30, 12)],
    ]
    return hierarchy(deps)


def test_locality_a_change_inside_one_departement_stays_there():
    before = locality_problem(20, 45)
    after = locality_problem(35, 30)
    v1, lines, keys, owners = before.arrays()
    v2, lines2, _, _ = after.arrays()
    changed = np.flatnonzero(v1 != v2)
    assert changed.size and all(keys[i].startswith("D0/ML") for i in changed)
    p1 = protect(v1, lines, 11, keys=keys, owners=owners)
    p2 = protect(v2, lines2, 11, keys=keys, owners=owners)
    assert_safe(v1, lines, keys, owners, p1, 11)
    assert_safe(v2, lines2, keys, owners, p2, 11)
    inside = np.array([key.startswith("D0/") for key in keys])
    # the change did move decisions inside département 0 …
    assert (p1.status[inside] != p2.status[inside]).any()
    # … but not the cells it shares with the region line, nor anything outside
    shared = np.array([key.startswith("D0/") and "/ML" not in key for key in keys])
    assert (p1.status[shared] == p2.status[shared]).all()
    assert (p1.status[~inside] == p2.status[~inside]).all()


# --- threshold --------------------------------------------------------------------------
@pytest.mark.parametrize("raw, expected", [("11", 11), (11, 11), (2, 2), (" 7 ", 7),
                                           (np.int64(5), 5)])
def test_check_threshold_accepts_integers_from_two(raw, expected):
    assert check_threshold(raw) == expected


@pytest.mark.parametrize("raw", ["0", 0, 1, -3, "-3", "abc", 2.5, "2.5", "", "   ", None,
                                 True, 11.0])
def test_check_threshold_refuses_the_rest_in_french(raw):
    with pytest.raises(ValidationFailed) as exc:
        check_threshold(raw)
    messages = exc.value.errors["seuil"]
    assert messages and all("seuil" in m for m in messages)


def test_protect_refuses_a_bad_threshold():
    with pytest.raises(ValidationFailed):
        protect(np.array([5]), [], 1, keys=["a"])


# --- trivial problems -------------------------------------------------------------------
def test_empty_problem():
    prot = protect(np.zeros(0, dtype=np.int64), [], 11, keys=[])
    assert prot.status.shape == (0,) and prot.hidden.shape == (0,)
    assert recoverable(np.zeros(0), [], np.zeros(0, dtype=bool)).shape == (0,)
    lo, hi = intervals(np.zeros(0), [], np.zeros(0, dtype=bool))
    assert lo.shape == hi.shape == (0,)


def test_no_small_cell_publishes_everything():
    b = hierarchy([[ml(40, 35, 12), ml(30, 28, 0)], [ml(25, 30, 11)]])
    values, lines, keys, owners = b.arrays()
    prot = protect(values, lines, DEFAULT_THRESHOLD, keys=keys, owners=owners)
    assert (prot.status == PUBLISHED).all() and prot.status.dtype == np.int8
    assert not prot.hidden.any()


def test_zeros_are_published_and_small_totals_are_primary():
    b = hierarchy([[ml(0, 4, 0), ml(30, 28, 0), ml(25, 22, 0)],
                   [ml(25, 30, 12), ml(40, 20, 15)]])
    values, lines, keys, owners = b.arrays()
    prot = protect(values, lines, 11, keys=keys, owners=owners)
    status = dict(zip(keys, prot.status.tolist(), strict=True))
    assert status["D0/ML0/T"] == PRIMARY and status["D0/ML0/H"] == PRIMARY
    zeros = [key for key, v in zip(keys, values.tolist(), strict=True) if v == 0]
    assert zeros and all(status[key] == PUBLISHED for key in zeros)
    assert_safe(values, lines, keys, owners, prot, 11)


# --- timing (printed, never asserted) ---------------------------------------------------
def test_timing_report(capsys):
    values, lines, keys, owners = _synthetic(4, 6)
    start = time.perf_counter()
    prot = protect(values, lines, DEFAULT_THRESHOLD, keys=keys, owners=owners)
    elapsed = time.perf_counter() - start
    with capsys.disabled():
        print(f"\nsecrecy: {values.size} cells, {len(lines)} lines, "
              f"{int((prot.status == PRIMARY).sum())} primary, "
              f"{int((prot.status == SECONDARY).sum())} secondary, {prot.rounds} rounds: "
              f"{elapsed:.2f} s")
    assert not recoverable(values, lines, prot.hidden).any()
