"""Statistical disclosure control of the observatory's published counts.

Counts of young people (by mission locale, département, region; by sex, age band,
month…) are linked by additive lines (a total equals the sum of its parts). Hiding the
small cells (primary secrecy) is not enough: a reader can recompute them by difference,
by combining several lines, or — for a mission locale — from its own figures. This module
decides which cells to hide, like τ-Argus / sdcTable, but every mask it returns has passed
an exact linear-algebra audit (public reader and each single owner) and an LP check that
no small cell can be pinned below the threshold.

How ``protect`` works:

1. primary: cells with 1 <= value < k;
2. line heuristic: every line with exactly one hidden member (publicly, or not counting
   the cells a given owner knows) gets a partner, chosen in the line by fixed preferences;
3. exact audit, per connected block of hidden cells: a cell is recoverable iff its row of
   a null-space basis of the block's equations vanishes (also with each owner's cells
   known); a recoverable cell gets one more hidden neighbour, and the audit runs again;
4. protection interval: each primary's LP maximum (HiGHS) must reach k, else one more
   cell is hidden where the LP duals say it helps; 2–4 repeat until nothing changes.

Everything is pure (numpy/scipy, no database) and deterministic: lines are processed and
ties broken by the cells' stable string keys, never by array or hash order. Hiding only
grows, so the loop ends (at worst with every cell of a block hidden).

Dense linear algebra runs on small blocks: run the processes with OPENBLAS_NUM_THREADS=1
(multi-threaded BLAS on small matrices is several times slower on a busy machine).
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.linalg import null_space
from scipy.optimize import linprog
from scipy.sparse.csgraph import connected_components

from models.errors import ValidationFailed

PUBLISHED, PRIMARY, SECONDARY = 0, 1, 2
DEFAULT_THRESHOLD = 11

# A hidden cell is determined when its row of an orthonormal null-space basis vanishes.
# Matrices are 0/±1 (network-like), so a non-determined cell has a squared row norm of
# about 1/size or more: 1e-9 separates the two cases by many orders of magnitude.
_NULL_TOL = 1e-9
# LP bounds are compared with the threshold with a small slack (HiGHS returns vertices of
# an integral polytope up to rounding).
_LP_TOL = 1e-6


@dataclass(frozen=True)
class Line:
    """An additive relation: ``values[total] == sum(values[parts])``.

    ``exact=False`` marks an approximately additive relation: it still drives suppression
    and the rank audit (a reader may use it), but not the LP intervals.
    """

    total: int
    parts: tuple[int, ...]
    exact: bool = True


@dataclass
class Protection:
    """The published mask and what the audit page needs to explain it.

    ``exposed``: keys of hidden cells that some single owner computes from its own figures
    whatever the mask (a département with a single mission locale: that mission locale
    knows the département figure). Not a failure of the mask, but worth showing.
    ``unprotected``: keys of cells the algorithm could not protect (no published cell
    left to hide around them); empty on consistent data.
    """

    status: np.ndarray
    rounds: int
    exposed: tuple[str, ...] = ()
    unprotected: tuple[str, ...] = ()

    @property
    def hidden(self) -> np.ndarray:
        return self.status != PUBLISHED


# ---------------------------------------------------------------------------------------
# Threshold
# ---------------------------------------------------------------------------------------

_INT_RE = re.compile(r"[+-]?[0-9]+")


def check_threshold(value: object) -> int:
    """Parse the secrecy threshold typed by a user; refuse anything but an integer >= 2.

    A threshold of 0 or 1 would hide nothing, and a decimal one has no meaning for counts.
    """
    fmt = ("Le seuil de secret statistique doit être un nombre entier (par exemple 11), "
           "sans décimale.")
    if isinstance(value, bool):
        raise ValidationFailed({"seuil": [fmt]})
    if isinstance(value, int | np.integer):
        k = int(value)
    elif isinstance(value, str):
        text = value.strip()
        if not text:
            raise ValidationFailed({"seuil": [
                "Indiquez le seuil de secret statistique (un nombre entier, par exemple 11)."]})
        if not _INT_RE.fullmatch(text):
            raise ValidationFailed({"seuil": [fmt]})
        k = int(text)
    else:
        raise ValidationFailed({"seuil": [fmt]})
    if k < 2:
        raise ValidationFailed({"seuil": [
            "Le seuil de secret statistique doit être un nombre entier au moins égal à 2 : "
            f"avec {k}, aucune case ne serait masquée."]})
    return k


# ---------------------------------------------------------------------------------------
# Problem structure
# ---------------------------------------------------------------------------------------

def _as_values(values: object) -> np.ndarray:
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise ValueError("values must be a flat array of counts")
    if arr.size == 0:
        return np.zeros(0, dtype=np.int64)
    if arr.dtype.kind == "f":
        if not np.all(np.isfinite(arr)) or not np.all(arr == np.round(arr)):
            raise ValueError("values must be integer counts")
    elif arr.dtype.kind not in "iu":
        raise ValueError("values must be integer counts")
    out = arr.astype(np.int64)
    if (out < 0).any():
        raise ValueError("values must be non-negative")
    return out


class _Structure:
    """Lines normalised once: sorted by keys, deduplicated, as sparse matrices."""

    def __init__(self, values: np.ndarray, lines: Sequence[Line], keyrank: np.ndarray):
        n = values.size
        kr = keyrank.tolist()
        sigs: dict[tuple, tuple[int, tuple[int, ...], bool]] = {}
        for ln in lines:
            t = int(ln.total)
            parts = tuple(int(p) for p in ln.parts)
            for c in (t, *parts):
                if not 0 <= c < n:
                    raise ValueError(f"line refers to cell {c}, outside 0..{n - 1}")
            # Lines are ordered by their cells' keys, so the caller's order never matters.
            sig = (kr[t], tuple(sorted(kr[p] for p in parts)), not ln.exact)
            if sig not in sigs:
                sigs[sig] = (t, parts, bool(ln.exact))
        ordered = [sigs[s] for s in sorted(sigs)]
        self.n = n
        self.nlines = len(ordered)
        self.kr = kr
        self.v = values.tolist()
        self.total = [t for t, _, _ in ordered]
        self.members: list[list[int]] = []
        rows: list[int] = []
        cols: list[int] = []
        coef: list[float] = []
        mrows: list[int] = []
        mcols: list[int] = []
        for i, (t, parts, _) in enumerate(ordered):
            others = sorted({p for p in parts if p != t}, key=kr.__getitem__)
            mem = [t, *others]
            self.members.append(mem)
            mrows.extend([i] * len(mem))
            mcols.extend(mem)
            rows.append(i)
            cols.append(t)
            coef.append(1.0)
            rows.extend([i] * len(parts))
            cols.extend(parts)
            coef.extend([-1.0] * len(parts))
        shape = (self.nlines, n)
        C = sp.coo_matrix((coef, (rows, cols)), shape=shape).tocsr()
        C.sum_duplicates()
        C.eliminate_zeros()
        self.C = C
        self.C_csc = C.tocsc()
        B = sp.coo_matrix((np.ones(len(mrows), dtype=np.int32), (mrows, mcols)),
                          shape=shape).tocsr()
        B.sum_duplicates()
        B.data[:] = 1
        self.B = B
        self.line_size = np.diff(B.indptr)
        Bc = B.tocsc()
        Bc.sort_indices()
        self.cell_lines: list[list[int]] = [
            Bc.indices[Bc.indptr[c]:Bc.indptr[c + 1]].tolist() for c in range(n)]
        exact = np.array([e for _, _, e in ordered], dtype=bool)
        resid = C @ values.astype(np.float64) if n else np.zeros(self.nlines)
        # The LP only trusts exact lines whose published figures really add up.
        self.lp_row = exact & (np.abs(resid) < 0.5)
        self.lp_row_list = self.lp_row.tolist()

    def blocks(self, hidden: np.ndarray, want: np.ndarray | None = None,
               lp_only: bool = False) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """Connected components of the hidden cells, as (cells, rows, dense A_H).

        Two hidden cells are connected when a line holds both; a line with a single hidden
        cell is a row of that cell's block (it determines it). Rows of different blocks are
        disjoint, so each block is audited alone. Only blocks holding a ``want`` cell are
        yielded, ordered by their smallest key; cells inside a block are in key order.
        """
        hidx = np.flatnonzero(hidden)
        h = hidx.size
        if h == 0:
            return
        sub = self.C_csc[:, hidx].tocoo()
        r, c, val = sub.row, sub.col, sub.data
        if lp_only:
            keep = self.lp_row[r]
            r, c, val = r[keep], c[keep], val[keep]
        L = self.nlines
        graph = sp.coo_matrix((np.ones(r.size, dtype=np.int8), (r, L + c)),
                              shape=(L + h, L + h))
        _, lab = connected_components(graph, directed=False)
        cell_lab = lab[L:]
        kr_h = np.asarray(self.kr)[hidx]
        order = np.lexsort((kr_h, cell_lab))
        slab = cell_lab[order]
        starts = np.flatnonzero(np.r_[True, slab[1:] != slab[:-1]])
        ends = np.r_[starts[1:], h]
        e_lab = cell_lab[c]
        e_order = np.argsort(e_lab, kind="stable")
        e_sorted = e_lab[e_order]
        wanted = None if want is None else want[hidx]
        comps = []
        for s, e in zip(starts.tolist(), ends.tolist(), strict=True):
            loc = order[s:e]
            if wanted is not None and not wanted[loc].any():
                continue
            comps.append((int(kr_h[loc[0]]), loc, int(slab[s])))
        comps.sort(key=lambda x: x[0])
        pos = np.zeros(h, dtype=np.int64)
        for _, loc, label in comps:
            pos[loc] = np.arange(loc.size)
            a, b = np.searchsorted(e_sorted, [label, label + 1])
            es = e_order[a:b]
            er = r[es]
            rows = np.unique(er)
            A = np.zeros((rows.size, loc.size))
            A[np.searchsorted(rows, er), pos[c[es]]] = val[es]
            yield hidx[loc], rows, A


def _determined(N: np.ndarray) -> np.ndarray:
    """Cells whose row of the null-space basis ``N`` vanishes: fixed by the equations."""
    if N.shape[1] == 0:
        return np.ones(N.shape[0], dtype=bool)
    return np.einsum("ij,ij->i", N, N) < _NULL_TOL


def _climbs_to(N: np.ndarray, x0: np.ndarray, loc: int, k: int, steps: int = 6) -> bool:
    """Whether a few projected-gradient steps from the true values ``x0`` raise cell
    ``loc`` to ``k`` while staying feasible (``N``: null-space basis of the block).

    A lower bound of the LP maximum, so True is a proof; False only means "ask the LP".
    The true values are feasible; each step moves along the projection of e_loc on the
    directions that keep the equations and the cells already at 0, until one more cell
    reaches 0.
    """
    if N.shape[1] == 0:
        return False
    x = x0.copy()
    at_zero = x <= 1e-9
    for _ in range(steps):
        w = N[loc]
        if at_zero.any():
            R = _row_basis(N[at_zero])
            w = w - (w @ R.T) @ R
        d = N @ w
        if d[loc] <= 1e-12:
            return False
        neg = (d < -1e-12) & ~at_zero
        if not neg.any():
            return True
        ratios = x[neg] / -d[neg]
        t = float(ratios.min())
        x = x + t * d
        if x[loc] >= k - _LP_TOL:
            return True
        hit = np.flatnonzero(neg)[ratios <= t + 1e-12]
        x[hit] = 0.0
        at_zero |= x <= 1e-9
        at_zero[hit] = True
    return False


def _row_basis(M: np.ndarray) -> np.ndarray:
    """Orthonormal basis (as rows) of the row space of ``M`` (economy SVD)."""
    if M.shape[0] == 0:
        return np.zeros((0, M.shape[1]))
    _, s, vh = np.linalg.svd(M, full_matrices=False)
    tol = max(M.shape) * np.finfo(float).eps * (s[0] if s.size else 0.0)
    return vh[s > tol]


def _null(A: np.ndarray) -> np.ndarray:
    if A.shape[0] == 0:
        return np.eye(A.shape[1])
    return null_space(A)


def _row_space(A: np.ndarray) -> np.ndarray:
    """Orthonormal basis (as columns) of the row space of ``A``: the complement of
    ``_null(A)``, with the same rank rule as ``scipy.linalg.null_space`` but from an
    economy SVD (a block has fewer rows than cells: much cheaper than the full one)."""
    m, n = A.shape
    if m == 0 or n == 0:
        return np.zeros((n, 0))
    if m < n:
        # eigen-decomposition of the small Gram matrix A A^T (rows x rows): its eigenvalues
        # are the squared singular values, of order 1 or rounding noise for these 0/±1
        # matrices; with such a gap the rank is the SVD's, else fall back to the SVD
        As = sp.csr_matrix(A)  # 0/±1 and very sparse: exact Gram, cheap products
        lam, U = np.linalg.eigh((As @ As.T).toarray())
        top = float(lam[-1])
        if top > 0.0:
            big = lam > _GAP_HIGH * top
            if not ((lam > _GAP_LOW * top) & ~big).any():
                return np.asarray(As.T @ (U[:, big] / np.sqrt(lam[big])))
    _, s, vh = np.linalg.svd(A, full_matrices=False)
    rank = int(np.sum(s > s.max(initial=0.0) * np.finfo(float).eps * max(m, n)))
    return vh[:rank].T


# Rank cut of the (tiny) Gram matrix N_K N_K^T of the owner audit: its eigenvalues are the
# squared singular values of N_K, either of order 1 (network matrices) or rounding noise
# (~1e-16); any cut between the two decides the same.
_GRAM_TOL = 1e-10
# ``_row_space``: Gram eigenvalues above _GAP_HIGH·max are real, below _GAP_LOW·max noise;
# one in between (never seen on network-like lines) sends the block to the SVD.
_GAP_HIGH = 1e-8
_GAP_LOW = 1e-13
# Blocks up to this many hidden cells are audited with the original null-space computation
# (``_Solver.audit_small_block``): on tiny blocks its SVD rank cut (max(shape)·eps) may take
# a rounding-noise direction for a real one and hide a few more cells; the masks published
# so far were made that way, and small blocks cost nothing anyway.
_SMALL_BLOCK = 120


def _keyranks(keys: Sequence[str], n: int) -> np.ndarray:
    if len(keys) != n:
        raise ValueError(f"{len(keys)} keys for {n} cells")
    order = sorted(range(n), key=lambda i: keys[i])
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n)
    for a, b in zip(order, order[1:], strict=False):
        if keys[a] == keys[b]:
            raise ValueError(f"duplicate cell key {keys[a]!r}")
    return rank


def _knowledge(owners: np.ndarray, st: _Structure) -> list[tuple[int, ...]]:
    """For each cell, the owners who know it whatever the mask.

    An owner knows its own cells, and by peeling every cell that is the last unknown
    member of a line (a département with a single mission locale: that mission locale
    knows the département figure). Treating those as known keeps the per-owner rules
    satisfiable and avoids hiding cells to protect what cannot be protected.
    """
    know: list[list[int]] = [[] for _ in range(st.n)]
    for c in np.flatnonzero(owners >= 0).tolist():
        know[c].append(int(owners[c]))
    for o in np.unique(owners[owners >= 0]).tolist():
        known = owners == o
        while True:
            unknown = (~known).astype(np.int32)
            last = np.flatnonzero(((st.B @ unknown) == 1) & (st.line_size >= 2))
            if last.size == 0:
                break
            new = np.unique(st.B[last].multiply(unknown[None, :]).tocoo().col)
            known[new] = True
        for c in np.flatnonzero(known & (owners != o)).tolist():
            know[c].append(int(o))
    return [tuple(x) for x in know]


# ---------------------------------------------------------------------------------------
# Suppression
# ---------------------------------------------------------------------------------------

class _Solver:
    """State of one protection run: hidden mask, work queue, audit bookkeeping."""

    def __init__(self, values: np.ndarray, st: _Structure, k: int,
                 knowers: list[tuple[int, ...]]):
        self.values = values
        self.st = st
        self.k = k
        self.interval_lp = True  # False: the cheap per-line bound only (see protect)
        self.knowers = knowers
        n = st.n
        self.primary = (values >= 1) & (values < k)
        self.hidden = np.zeros(n, dtype=bool)
        self.hid = [False] * n
        self.pending = np.zeros(n, dtype=bool)      # hidden since their block's last audit
        self.certified = np.zeros(n, dtype=bool)    # primaries whose LP bound reached k
        self.heap: list[int] = []
        self.inq = bytearray(st.nlines)
        self.stuck: set[tuple[int, int]] = set()    # (cell, owner or -2): cannot be fixed
        self.unprotected: set[int] = set()
        # null spaces of the blocks, kept while a block does not change (audit and LP
        # check share them; an untouched block is not factorised again next round)
        self.nulls: dict[tuple[bytes, bytes], np.ndarray] = {}
        self.nulls_before: dict[tuple[bytes, bytes], np.ndarray] = {}
        self.spans: dict[tuple[bytes, bytes], np.ndarray] = {}
        self.spans_before: dict[tuple[bytes, bytes], np.ndarray] = {}

    # -- state ---------------------------------------------------------------------------
    def hide(self, c: int) -> None:
        if self.hid[c]:
            return
        self.hid[c] = True
        self.hidden[c] = True
        self.pending[c] = True
        for li in self.st.cell_lines[c]:
            if not self.inq[li]:
                self.inq[li] = 1
                heapq.heappush(self.heap, li)

    def run(self, start: np.ndarray) -> int:
        for c in np.flatnonzero(start).tolist():
            self.hide(c)
        rounds = 0
        while True:
            rounds += 1
            self.nulls_before, self.nulls = self.nulls, {}
            self.spans_before, self.spans = self.spans, {}
            self.settle()
            if self.audit():
                continue
            if self.check_intervals():
                continue
            return rounds

    def null_of(self, cells: np.ndarray, rows: np.ndarray, A: np.ndarray) -> np.ndarray:
        key = (cells.tobytes(), rows.tobytes())
        N = self.nulls.get(key)
        if N is None:
            N = self.nulls_before.get(key)
            if N is None:
                N = _null(A)
            self.nulls[key] = N
        return N

    def span_of(self, cells: np.ndarray, rows: np.ndarray, A: np.ndarray) -> np.ndarray:
        """``_row_space(A)``, kept like ``null_of`` while the block does not change."""
        key = (cells.tobytes(), rows.tobytes())
        Q = self.spans.get(key)
        if Q is None:
            Q = self.spans_before.get(key)
            if Q is None:
                Q = _row_space(A)
            self.spans[key] = Q
        return Q

    # -- candidate choice ----------------------------------------------------------------
    def pick(self, lines: Sequence[int], need: float, forbid: int | None,
             line_rank: dict[int, float] | None = None) -> int | None:
        """Best published member of ``lines`` to hide next, or None.

        Prefer a non-zero part (hiding a total pushes the problem one level up), then a
        value large enough to cover the missing mass, then the smallest value (least
        information lost), then the key. ``forbid``: skip cells that owner knows.
        """
        st, hid, v, kr, knowers = self.st, self.hid, self.st.v, self.st.kr, self.knowers
        best = None
        best_key: tuple | None = None
        for li in lines:
            t = st.total[li]
            lead = () if line_rank is None else (line_rank[li],)
            for c in st.members[li]:
                if hid[c] or (forbid is not None and forbid in knowers[c]):
                    continue
                val = v[c]
                key = (*lead, val == 0, c == t, val < need, val, kr[c])
                if best_key is None or key < best_key:
                    best, best_key = c, key
        return best

    def pick_around(self, j: int, need: float, forbid: int | None,
                    lp_only: bool = False) -> int | None:
        """Candidate in ``j``'s lines, else in the lines of the hidden cells around it."""
        st = self.st
        frontier = [j]
        seen_cells = {j}
        seen_lines: set[int] = set()
        while frontier:
            ring = sorted({li for c in frontier for li in st.cell_lines[c]
                           if li not in seen_lines and (not lp_only or st.lp_row_list[li])})
            if not ring:
                return None
            seen_lines.update(ring)
            c = self.pick(ring, need, forbid)
            if c is not None:
                return c
            frontier = []
            for li in ring:
                for m in st.members[li]:
                    if self.hid[m] and m not in seen_cells:
                        seen_cells.add(m)
                        frontier.append(m)
        return None

    # -- 1. line heuristic ---------------------------------------------------------------
    def settle(self) -> None:
        """Give a partner to every line with exactly one hidden member (publicly or for an
        owner), processing dirty lines in key order until none is left."""
        while self.heap:
            li = heapq.heappop(self.heap)
            self.inq[li] = 0
            self.fix_line(li)

    def fix_line(self, li: int) -> None:
        st, hid, v, k, knowers = self.st, self.hid, self.st.v, self.k, self.knowers
        mem = st.members[li]
        if len(mem) < 2:
            return
        while True:
            hm = [c for c in mem if hid[c]]
            if not hm:
                return
            if len(hm) == 1:
                c = self.pick([li], k - v[hm[0]], None)
                if c is None:
                    return
                self.hide(c)
                continue
            added = False
            for o in sorted({o for c in hm for o in knowers[c]}):
                others = [c for c in hm if o not in knowers[c]]
                if len(others) == 1:
                    c = self.pick([li], k - v[others[0]], o)
                    if c is not None:
                        self.hide(c)
                        added = True
                        break
            if not added:
                return

    # -- 2. exact audit ------------------------------------------------------------------
    def audit_block(self, cells: np.ndarray, rows: np.ndarray, A: np.ndarray
                    ) -> tuple[int | None, list[int]]:
        """Recoverable cells of one block: publicly, else for the first owner that can.

        Computed from an orthonormal basis Q of the row space (M = I - Q Q^T is the
        projector on the null space, M_jj the squared norm of the null-space row of j):
        cheaper than a null-space basis, and every owner is checked from the same
        columns of M.
        """
        if cells.size <= _SMALL_BLOCK:
            return self.audit_small_block(cells, rows, A)
        Q = self.span_of(cells, rows, A)
        norms = 1.0 - np.einsum("ij,ij->i", Q, Q)
        det = norms < _NULL_TOL
        bad = [c for c in cells[det].tolist() if (c, -2) not in self.stuck]
        if bad:
            return None, bad
        knowers = self.knowers
        cl = cells.tolist()
        by_owner: dict[int, list[int]] = {}
        for pos, c in enumerate(cl):
            for o in knowers[c]:
                by_owner.setdefault(o, []).append(pos)
        if not by_owner:
            return None, []
        known = np.zeros(len(cl), dtype=bool)
        for positions in by_owner.values():
            known[positions] = True
        kall = np.flatnonzero(known)
        at = np.full(len(cl), -1, dtype=np.int64)
        at[kall] = np.arange(kall.size)
        # columns K of M = I - Q Q^T for every known cell at once
        MK = -(Q @ Q[kall].T)
        MK[kall, np.arange(kall.size)] += 1.0
        owners = sorted(by_owner)
        pos_of = {o: np.asarray(by_owner[o], dtype=np.int64) for o in owners}
        # every owner's Gram matrix M_KK, eigen-decomposed in stacks of equal sizes
        eig: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        by_size: dict[int, list[int]] = {}
        for o in owners:
            by_size.setdefault(pos_of[o].size, []).append(o)
        for group in by_size.values():
            cols = np.stack([at[pos_of[o]] for o in group])
            lams, Us = np.linalg.eigh(MK[kall[cols][:, :, None], cols[:, None, :]])
            for o, lam, U in zip(group, lams, Us, strict=True):
                eig[o] = (lam, U)
        for o in owners:
            pos = pos_of[o]
            cols = at[pos]
            # Knowing x_K restricts the solutions to N z with N_K z = 0: x_j is then fixed
            # iff N_j lies in the row space of N_K, i.e. M_jj = M_jK (M_KK)^+ M_Kj.
            lam, U = eig[o]
            keep = lam > _GRAM_TOL * max(float(lam[-1]), 1.0)
            W = U[:, keep] / np.sqrt(lam[keep])
            P = MK[:, cols] @ W
            det = norms - np.einsum("ij,ij->i", P, P) < _NULL_TOL
            det[pos] = False
            bad = [c for c in cells[det].tolist() if (c, o) not in self.stuck]
            if bad:
                return o, bad
        return None, []

    def audit_small_block(self, cells: np.ndarray, rows: np.ndarray, A: np.ndarray
                          ) -> tuple[int | None, list[int]]:
        """``audit_block`` from a null-space basis and one SVD per owner: the original
        computation, kept bit for bit for small blocks (cheap there), whose rank decisions
        the published masks were made with."""
        N = self.null_of(cells, rows, A)
        det = _determined(N)
        bad = [c for c in cells[det].tolist() if (c, -2) not in self.stuck]
        if bad:
            return None, bad
        knowers = self.knowers
        cl = cells.tolist()
        norms = np.einsum("ij,ij->i", N, N)
        for o in sorted({o for c in cl for o in knowers[c]}):
            kn = np.array([o in knowers[c] for c in cl])
            P = N @ _row_basis(N[kn]).T
            det = (norms - np.einsum("ij,ij->i", P, P) < _NULL_TOL) & ~kn
            bad = [c for c in cells[det].tolist() if (c, o) not in self.stuck]
            if bad:
                return o, bad
        return None, []

    def audit(self) -> bool:
        if not self.pending.any():
            return False
        want = self.pending.copy()
        self.pending[:] = False
        touched: set[int] = set()
        repaired = False
        for cells, rows, A in self.st.blocks(self.hidden, want):
            owner, bad = self.audit_block(cells, rows, A)
            for j in bad:
                if any(li in touched for li in self.st.cell_lines[j]):
                    continue  # a cell was just hidden next to it: audit again first
                c = self.pick_around(j, self.k - self.st.v[j], owner)
                if c is None:
                    self.stuck.add((j, -2 if owner is None else owner))
                    continue
                self.hide(c)
                touched.update(self.st.cell_lines[j])
                touched.update(self.st.cell_lines[c])
                repaired = True
        return repaired

    # -- 3. protection intervals ---------------------------------------------------------
    def line_bounds(self, p: int) -> dict[int, float]:
        """Upper bound of ``p`` from each exact line alone (finite when ``p`` is a part and
        the total is published: the hidden mass of the line)."""
        st, hid, v = self.st, self.hid, self.st.v
        out: dict[int, float] = {}
        for li in st.cell_lines[p]:
            if not st.lp_row_list[li]:
                continue
            t = st.total[li]
            if p == t or hid[t]:
                out[li] = float("inf")
            else:
                out[li] = float(sum(v[c] for c in st.members[li][1:] if hid[c]))
        return out

    def certify_block(self, ps: list[int], locs: list[int], N: np.ndarray, A: np.ndarray,
                      b: np.ndarray, xv: np.ndarray) -> list[tuple[int, np.ndarray | None]]:
        """Certify the primaries of one block whose LP maximum reaches k; return the
        others, with the LP duals of their maximisation when there was one.

        Cheap certificate first (a few projected-gradient steps from the true values),
        then one LP that pushes all remaining primaries towards k at once, then one LP
        per leftover.
        """
        k = self.k
        left: list[tuple[int, int]] = []
        for p, loc in zip(ps, locs, strict=True):
            if _climbs_to(N, xv, loc, k):
                self.certified[p] = True
            else:
                left.append((p, loc))
        n = A.shape[1]
        dense = A.size <= 250_000
        A_eq = (A if dense else sp.csr_matrix(A)) if A.shape[0] else None
        b_eq = b if A.shape[0] else None
        while len(left) > 1:
            # max sum(y_p), y_p <= x_p, 0 <= y_p <= k: any x_p >= k found is certified
            r = len(left)
            lp_locs = [loc for _, loc in left]
            sel = sp.csr_matrix((-np.ones(r), (np.arange(r), lp_locs)), shape=(r, n))
            if dense:
                A_ub = np.hstack([sel.toarray(), np.eye(r)])
                A_eq2 = None if A_eq is None else np.hstack([A, np.zeros((A.shape[0], r))])
            else:
                A_ub = sp.hstack([sel, sp.identity(r)]).tocsr()
                A_eq2 = None if A_eq is None else sp.hstack(
                    [A_eq, sp.csr_matrix((A.shape[0], r))]).tocsr()
            res = linprog(np.r_[np.zeros(n), -np.ones(r)], A_ub=A_ub, b_ub=np.zeros(r),
                          A_eq=A_eq2, b_eq=b_eq, bounds=[(0, None)] * n + [(0, k)] * r,
                          method="highs")
            if res.status != 0:
                break
            reached = [(p, loc) for p, loc in left if res.x[loc] >= k - _LP_TOL]
            if not reached:
                break
            for p, _ in reached:
                self.certified[p] = True
            left = [(p, loc) for p, loc in left if not self.certified[p]]
        failed: list[tuple[int, np.ndarray | None]] = []
        for p, loc in left:
            c = np.zeros(n)
            c[loc] = -1.0
            res = linprog(c, A_eq=A_eq, b_eq=b_eq, bounds=(0, None), method="highs")
            # unbounded, or no verdict on numerically inconsistent data (the rank audit
            # still holds): nothing to repair
            if res.status != 0 or -res.fun >= k - _LP_TOL:
                self.certified[p] = True  # hiding more only widens intervals
            else:
                marg = None if A_eq is None else np.asarray(res.eqlin.marginals)
                failed.append((p, marg))
        return failed

    def check_intervals(self) -> bool:
        todo = self.primary & ~self.certified
        for p in self.unprotected:
            todo[p] = False
        if not todo.any():
            return False
        st, k = self.st, self.k
        vpub = np.where(self.hidden, 0, self.values).astype(np.float64)
        rhs = -(st.C @ vpub)
        touched: set[int] = set()
        repaired = False
        for cells, rows, A in st.blocks(self.hidden, todo, lp_only=True):
            failed: list[tuple[int, np.ndarray | None]] = []
            ps: list[int] = []
            locs: list[int] = []
            for loc, p in enumerate(cells.tolist()):
                if not todo[p]:
                    continue
                # the hidden mass of a line with a published total bounds p: no LP needed
                if min(self.line_bounds(p).values(), default=np.inf) < k:
                    failed.append((p, None))
                else:
                    ps.append(p)
                    locs.append(loc)
            if ps and not self.interval_lp:
                for p in ps:  # every line of p leaves at least k of hidden room
                    self.certified[p] = True
            elif ps:
                failed += self.certify_block(ps, locs, self.null_of(cells, rows, A), A,
                                             rhs[rows], self.values[cells].astype(np.float64))
            failed.sort(key=lambda f: st.kr[f[0]])
            for p, marg in failed:
                if any(li in touched for li in st.cell_lines[p]):
                    continue
                c = self.widen(p, rows, marg)
                if c is None:
                    self.unprotected.add(p)
                    continue
                self.hide(c)
                touched.update(st.cell_lines[p])
                touched.update(st.cell_lines[c])
                repaired = True
        return repaired

    def widen(self, p: int, rows: np.ndarray, marg: np.ndarray | None) -> int | None:
        """The published cell to hide so that ``p``'s LP maximum grows.

        With the LP duals: a published cell whose column prices non-zero against the
        binding lines lets the optimum move (prefer one in p's own lines). Otherwise, the
        line of p with the least hidden mass.
        """
        st, k = self.st, self.k
        need = k - st.v[p]
        if marg is not None and rows.size:
            price = np.abs(marg @ st.C[rows])
            binding = sorted({int(rows[i]) for i in np.flatnonzero(np.abs(marg) > 1e-9)})
            own = set(st.cell_lines[p])
            rank = {li: (0 if li in own else 1) for li in binding}
            best = None
            best_key = None
            for li in binding:
                for c in st.members[li]:
                    if self.hid[c] or price[c] <= 1e-9:
                        continue
                    val = st.v[c]
                    key = (rank[li], val == 0, c == st.total[li], val < need, val, st.kr[c])
                    if best_key is None or key < best_key:
                        best, best_key = c, key
            if best is not None:
                return best
        bounds = self.line_bounds(p)
        c = self.pick(sorted(bounds), need, None, bounds)
        if c is None:
            c = self.pick_around(p, need, None, lp_only=True)
        return c


def _prepare(values: object, lines: Sequence[Line], keys: Sequence[str] | None
             ) -> tuple[np.ndarray, _Structure]:
    v = _as_values(values)
    kr = np.arange(v.size) if keys is None else _keyranks(keys, v.size)
    return v, _Structure(v, lines, kr)


def _protect_from(values: object, lines: Sequence[Line], k: int, start: np.ndarray, *,
                  keys: Sequence[str], owners: Sequence[int] | None = None,
                  interval_lp: bool = True) -> Protection:
    """Complete a starting mask (the primaries, or any mask for the audit tests)."""
    k = check_threshold(k)
    v, st = _prepare(values, lines, keys)
    own = np.full(v.size, -1, dtype=np.int64) if owners is None else np.asarray(
        owners, dtype=np.int64)
    if own.shape != v.shape:
        raise ValueError(f"{own.size} owners for {v.size} cells")
    knowers = _knowledge(own, st)
    solver = _Solver(v, st, k, knowers)
    solver.interval_lp = interval_lp
    rounds = solver.run(np.asarray(start, dtype=bool) | solver.primary)
    status = np.where(solver.hidden, SECONDARY, PUBLISHED).astype(np.int8)
    status[solver.primary] = PRIMARY
    exposed = sorted(keys[c] for c in np.flatnonzero(solver.hidden).tolist()
                     if any(o != own[c] for o in knowers[c]))
    bad = {c for c, _ in solver.stuck} | solver.unprotected
    return Protection(status=status, rounds=rounds, exposed=tuple(exposed),
                      unprotected=tuple(sorted(keys[c] for c in bad)))


def protect(values: object, lines: Sequence[Line], k: int, *, keys: Sequence[str],
            owners: Sequence[int] | None = None, forced: object | None = None,
            interval_lp: bool = True) -> Protection:
    """Primary and secondary suppression, audited.

    Guarantees on the returned mask: no published cell in 1..k-1; no hidden cell
    recoverable by linear combination of the published cells, nor by a single owner who
    adds its own cells (except ``exposed`` ones); every primary cell can reach k in the
    LP a reader can solve (exact lines) — with ``interval_lp`` False, only the cheap
    bound is enforced (each line with a published total keeps ≥ k of hidden mass
    around the cell; the audit page computes the exact LP interval). ``forced``: cells
    that are never published whatever their value (hidden from the start, reported
    SECONDARY).
    """
    v = _as_values(values)
    start = np.zeros(v.size, dtype=bool) if forced is None else np.asarray(forced, dtype=bool)
    return _protect_from(v, lines, k, start, keys=keys, owners=owners,
                         interval_lp=interval_lp)


def recoverable(values: object, lines: Sequence[Line], hidden: object, *,
                known: object | None = None) -> np.ndarray:
    """Hidden cells (not in ``known``) that published + ``known`` cells determine exactly.

    Every line counts, exact or not: a reader may use an approximate total too.
    """
    v, st = _prepare(values, lines, None)
    h = np.asarray(hidden, dtype=bool)
    if known is not None:
        h = h & ~np.asarray(known, dtype=bool)
    out = np.zeros(v.size, dtype=bool)
    for cells, _rows, A in st.blocks(h):
        out[cells[_determined(_null(A))]] = True
    return out


def intervals(values: object, lines: Sequence[Line], hidden: object
              ) -> tuple[np.ndarray, np.ndarray]:
    """What a reader can infer of each hidden cell: LP min and max (x >= 0, published cells
    fixed, exact lines that add up). ``nan`` for published cells and for inconsistent
    blocks, ``inf`` when nothing bounds a cell from above."""
    v, st = _prepare(values, lines, None)
    h = np.asarray(hidden, dtype=bool)
    lo = np.full(v.size, np.nan)
    hi = np.full(v.size, np.nan)
    rhs = -(st.C @ np.where(h, 0, v).astype(np.float64))
    for cells, rows, A in st.blocks(h, lp_only=True):
        if A.shape[0] == 0:
            lo[cells], hi[cells] = 0.0, np.inf
            continue
        found = _block_bounds(A, rhs[rows], v[cells].astype(np.float64))
        if found is not None:
            lo[cells], hi[cells] = found
    return lo, hi


# Variables per batched LP of ``intervals`` (copies of one block solved together).
_BATCH_VARS = 20_000


def _block_bounds(A: np.ndarray, b: np.ndarray, xv: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray] | None:
    """LP min and max of every cell of one block, or None if the LP fails.

    Cheap parts first: cells fixed by the equations (null-space row 0) are their value;
    cells in the support of the recession cone {d >= 0, A d = 0} are unbounded. The other
    extremes are independent LPs on the same polytope: they are solved in batches, as
    copies of the block side by side (block-diagonal, hence separable), to pay the LP
    set-up once per batch instead of once per cell.
    """
    m, n = A.shape
    lo = np.zeros(n)
    hi = np.full(n, np.inf)
    det = _determined(_null(A))
    lo[det] = hi[det] = xv[det]
    free = np.flatnonzero(~det)
    if not free.size:
        return lo, hi
    As = sp.csr_matrix(A)
    eye = sp.identity(n, format="csr")
    # max sum(t), t <= d, t <= 1, A d = 0, d >= 0: t_j = 1 exactly on the cone's support
    res = linprog(np.r_[np.zeros(n), -np.ones(n)],
                  A_ub=sp.hstack([-eye, eye]).tocsr(), b_ub=np.zeros(n),
                  A_eq=sp.hstack([As, sp.csr_matrix((m, n))]).tocsr(), b_eq=np.zeros(m),
                  bounds=[(0, None)] * n + [(0, 1)] * n, method="highs")
    if res.status != 0:
        return None
    ray = res.x[n:] > 0.5
    tasks = [(int(j), 1.0) for j in free] + [(int(j), -1.0) for j in free if not ray[j]]
    per = max(1, _BATCH_VARS // n)
    for start in range(0, len(tasks), per):
        chunk = tasks[start:start + per]
        g = len(chunk)
        c = np.zeros(g * n)
        locs = np.array([j for j, _ in chunk])
        c[np.arange(g) * n + locs] = [sign for _, sign in chunk]
        res = linprog(c, A_eq=sp.kron(sp.identity(g), As, format="csr"),
                      b_eq=np.tile(b, g), bounds=(0, None), method="highs")
        if res.status != 0:
            return None
        x = res.x.reshape(g, n)[np.arange(g), locs]
        x = np.where(np.abs(x - np.round(x)) < 1e-7, np.round(x), x)  # solver noise
        for (j, sign), val in zip(chunk, x.tolist(), strict=True):
            if sign > 0:
                lo[j] = val
            else:
                hi[j] = val
    return lo, hi


# ---------------------------------------------------------------------------------------
# Timing on a synthetic region (python -m models.observatory.secrecy)
# ---------------------------------------------------------------------------------------

def _synthetic(n_deps: int = 4, mls_per_dep: int = 6, n_quarters: int = 4, seed: int = 0,
               scale: float = 6.8) -> tuple[np.ndarray, list[Line], list[str], list[int]]:
    """A problem shaped like the observatory's: for each quarter and the year, one-way
    tables (sex, age band, education, QPV, housing) and sex × age, with margins, at mission
    locale, département and region level; the quarters' totals add up to the year's."""
    rng = np.random.default_rng(seed)
    dims = {"s": 3, "a": 5, "n": 4, "q": 3, "l": 7}
    values: list[int] = []
    keys: list[str] = []
    owners: list[int] = []
    index: dict[str, int] = {}
    lines: list[Line] = []

    def cell(key: str, value: int, owner: int) -> int:
        index[key] = len(values)
        values.append(int(value))
        keys.append(key)
        owners.append(owner)
        return index[key]

    def probs(size: int) -> np.ndarray:
        p = rng.dirichlet(np.full(size, 3.0))
        p[-1] *= 0.15  # "non renseigné" is rare
        return p / p.sum()

    items = ["T", *(f"{d}={i}" for d, n in dims.items() for i in range(n)),
             *(f"s={i}&a={j}" for i in range(dims["s"]) for j in range(dims["a"]))]
    periods = [f"Q{q}" for q in range(n_quarters)] + ["Y"]
    mls = [(d, m) for d in range(n_deps) for m in range(mls_per_dep)]
    ml_name = {u: f"D{u[0]}|ML{u[1]}" for u in mls}
    size = {u: rng.lognormal(scale, 1.0) for u in mls}
    for u in mls:
        quarters = rng.poisson(size[u], n_quarters)
        for p, total in zip(periods, [*quarters, quarters.sum()], strict=True):
            cross = rng.multinomial(total, np.outer(probs(dims["s"]), probs(dims["a"])).ravel())
            cross = cross.reshape(dims["s"], dims["a"])
            vals = {"T": total}
            for d, n in dims.items():
                one = {"s": cross.sum(1), "a": cross.sum(0)}.get(d)
                if one is None:
                    one = rng.multinomial(total, probs(n))
                vals.update({f"{d}={i}": one[i] for i in range(n)})
            vals.update({f"s={i}&a={j}": cross[i, j] for i in range(dims["s"])
                         for j in range(dims["a"])})
            owner = u[0] * 100 + u[1]
            for it in items:
                cell(f"{p}|{ml_name[u]}|{it}", vals[it], owner)
    for p in periods:
        for it in items:
            deps = []
            for d in range(n_deps):
                parts = [index[f"{p}|{ml_name[(d, m)]}|{it}"] for m in range(mls_per_dep)]
                deps.append(cell(f"{p}|D{d}|{it}", sum(values[i] for i in parts), -1))
                lines.append(Line(deps[-1], tuple(parts)))
            lines.append(Line(cell(f"{p}|R|{it}", sum(values[i] for i in deps), -1),
                              tuple(deps)))
    units = [*ml_name.values(), *(f"D{d}" for d in range(n_deps)), "R"]
    for p in periods:
        for u in units:
            def at(it: str, p: str = p, u: str = u) -> int:
                return index[f"{p}|{u}|{it}"]
            for d, n in dims.items():
                lines.append(Line(at("T"), tuple(at(f"{d}={i}") for i in range(n))))
            for i in range(dims["s"]):
                lines.append(Line(at(f"s={i}"),
                                  tuple(at(f"s={i}&a={j}") for j in range(dims["a"]))))
            for j in range(dims["a"]):
                lines.append(Line(at(f"a={j}"),
                                  tuple(at(f"s={i}&a={j}") for i in range(dims["s"]))))
    for u in ml_name.values():
        lines.append(Line(index[f"Y|{u}|T"],
                          tuple(index[f"Q{q}|{u}|T"] for q in range(n_quarters))))
    return np.array(values, dtype=np.int64), lines, keys, owners


if __name__ == "__main__":
    import time

    for n_deps, mls in ((2, 3), (4, 6), (8, 10), (10, 12)):
        vals, lns, ks, own = _synthetic(n_deps, mls)
        t0 = time.perf_counter()
        prot = protect(vals, lns, DEFAULT_THRESHOLD, keys=ks, owners=own)
        dt = time.perf_counter() - t0
        print(f"{vals.size} cells, {len(lns)} lines: {int((prot.status == PRIMARY).sum())} "
              f"primary, {int((prot.status == SECONDARY).sum())} secondary, "
              f"{prot.rounds} rounds, {dt:.2f} s")
