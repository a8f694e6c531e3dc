"""`helpers.SHAPE_ONLY` is right: each listed argument may be a `runtime.Like`
(shape, dtype and array module only) and the helper gives the same result."""

import numpy as np
import pytest

from tangent_ad import helpers
from tangent_ad.runtime import like

RNG = np.random.default_rng(7)


def r(*shape):
    return RNG.uniform(-1.0, 1.0, shape)


# helper -> arguments (g first) for one call
CALLS = {
    helpers.unreshape: (r(6), r(2, 3), "F"),
    helpers.uncumsum: (r(2, 3), r(2, 3), 1),
    helpers.undiagonal: (r(2), r(2, 3), 1),
    helpers.diag_adjoint: (r(3), r(3, 3), 0),
    helpers.untrace: (r(2), r(2, 3, 3), 0, 1, 2),
    helpers.unsplit: ([r(2, 3), r(2, 3)], r(4, 3), 2),
    helpers.hsplit_axis: (r(2, 4),),
    helpers.untile: (r(2, 6), r(3), (2, 2)),
    helpers.unrepeat: (r(6), r(3), [1, 2, 3]),
    helpers.unpad: (r(5, 5), r(3, 3), 1, "reflect"),
    helpers.undiff: (r(2, 2), r(2, 4), 2, 1),
    helpers.pad_fill_adjoint: (r(5, 5), r(3, 3), 1, 0.5),
    helpers.untake: (r(3), r(4), np.array([0, 0, 2])),
    helpers.untake_along_axis: (r(2, 2), r(2, 3), np.array([[0, 0], [2, 1]]), 1),
    helpers.unitem: (0.5, r(2, 3), (4,)),
    helpers.linspace_adjoint: (r(5), 0.2, 1.3, 5),
    helpers.tensordot_lhs: (r(2, 5), r(2, 3, 4), r(3, 4, 5), 2),
    helpers.tensordot_rhs: (r(2, 5), r(2, 3, 4), r(3, 4, 5), 2),
    helpers.inner_lhs: (r(2, 4), r(2, 3), r(4, 3)),
    helpers.inner_rhs: (r(2, 4), r(2, 3), r(4, 3)),
}


def test_every_entry_has_a_call():
    assert set(helpers.SHAPE_ONLY) == set(CALLS)


@pytest.mark.parametrize("helper", list(CALLS), ids=lambda h: h.__name__)
def test_like_arguments_give_the_same_result(helper):
    args = CALLS[helper]
    expected = helper(*args)
    shaped = [like(a) if i in helpers.SHAPE_ONLY[helper] else a for i, a in enumerate(args)]
    np.testing.assert_allclose(helper(*shaped), expected)
