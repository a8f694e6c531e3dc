"""Comprehensions inside comprehensions: the inner one runs inside the outer
loop, where the outer loop's variables are bound (it was lowered before the
outer loop: zero gradients, or a NameError)."""

import numpy as np
import pytest

import tangent_ad as ta
from tangent_ad.checking import numerical_gradient


def rows_doubled(x):
    return np.sum(np.array([[v * 2.0 for v in r] for r in x]) ** 2)


def reads_the_outer_index(x):
    i = 0
    ys = [[x[i, j] ** 2 for j in range(4)] for i in range(3)]
    return np.sum(np.array(ys)) + i


def summed_inside(x):
    return np.sum(np.array([sum([v * w for w in r]) for v, r in zip(x[:, 0], x)]))


def stacked_inside(x):
    return np.sum(np.stack([np.stack([np.sin(v) * r for v in r]) for r in x]))


@pytest.mark.parametrize("fn", [rows_doubled, reads_the_outer_index, summed_inside, stacked_inside])
def test_nested_comprehension(fn):
    x = np.arange(12.0).reshape(3, 4) / 7.0 - 0.5
    got = ta.grad(fn)(x)
    np.testing.assert_allclose(got, numerical_gradient(fn, [x], {}, 0), rtol=1e-6, atol=1e-9)


def condition_with_a_comprehension(x):
    return np.sum(np.array([v for v in x if sum([w for w in x]) > 0.0]))


def test_a_comprehension_in_a_condition_is_refused_at_its_line():
    with pytest.raises(ta.TangentADError) as err:
        ta.grad(condition_with_a_comprehension)(np.ones(3))
    assert "test_nested_comprehensions.py:" in str(err.value)
