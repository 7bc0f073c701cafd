"""The authorization matrix for the parrainage area (/parrainage/): the same checks as
``tests/test_authz_matrix.py``, in a file of its own so that the test workers share the
matrix between them."""

from __future__ import annotations

import pytest

from tests.test_authz_matrix import (  # noqa: F401  (full_world: the matrix's own world)
    EXPECTED,
    REFUSED,
    WHO,
    _expected,
    _outcome,
    allowed_writes,
    full_world,
    shared,
)

MENTORING = [e for e in EXPECTED if e.startswith("mentoring.")]
SHARED = shared(MENTORING)
ALLOWED_WRITES = allowed_writes(MENTORING)


def test_the_area_is_covered():
    assert len(MENTORING) > 15 and SHARED and ALLOWED_WRITES


@pytest.mark.parametrize("endpoint", SHARED)
def test_matrix_shared_world(app, full_world, endpoint):  # noqa: F811
    method = EXPECTED[endpoint][0]
    checked = [who for who in WHO if method == "GET" or _expected(endpoint, who) in REFUSED]
    got = {who: _outcome(app, full_world, endpoint, who) for who in checked}
    assert got == {who: _expected(endpoint, who) for who in checked}


@pytest.mark.parametrize(("endpoint", "who"), ALLOWED_WRITES,
                         ids=[f"{e}-{w}" for e, w in ALLOWED_WRITES])
def test_matrix_allowed_write(app, full_world, endpoint, who):  # noqa: F811
    assert _outcome(app, full_world, endpoint, who) == _expected(endpoint, who)
