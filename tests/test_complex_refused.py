"""Complex numbers are refused (docs/rules.md, Complex numbers).

A complex argument to differentiate with respect to, a complex seed or
tangent, and a complex output of `grad` each raise `TangentADError`. A real
scalar output skipped the output check: ``ta.grad(lambda x: x * x)(1 + 2j)``
returned ``2 + 4j`` and ``x * 1j`` of a real ``x`` returned ``1j``.
"""

import numpy as np
import pytest

import tangent_ad as ta


def square(x):
    return x * x


def imaginary_scale(x):
    return x * 1j


def summed(z):
    return np.sum(np.sin(z) * z)


def doubled(x):
    return x * 2.0


def test_a_complex_argument_is_refused():
    with pytest.raises(ta.TangentADError, match="with respect to a complex value") as info:
        ta.grad(square)(1 + 2j)
    assert "test_complex_refused.py" in str(info.value)
    with pytest.raises(ta.TangentADError, match="with respect to a complex value"):
        ta.grad(summed)(np.array([1 + 1j, 2.0]))
    with pytest.raises(ta.TangentADError, match="with respect to a complex value"):
        ta.jvp(summed)(np.array([1 + 1j, 2.0]), np.ones(2))


def test_a_complex_seed_or_tangent_is_refused():
    with pytest.raises(ta.TangentADError, match="a complex value among"):
        ta.vjp(doubled)(np.ones(2), np.array([1j, 1.0]))
    with pytest.raises(ta.TangentADError, match="a complex value among"):
        ta.jvp(doubled)(np.ones(2), np.array([1j, 1.0]))


def test_a_complex_output_of_real_arguments_is_refused():
    with pytest.raises(ta.TangentADError, match="complex-valued function"):
        ta.grad(imaginary_scale)(2.0)


def test_a_real_scalar_output_keeps_its_plain_seed():
    source = ta.grad(square).source(2.0)
    assert "grad_seed" not in source
    assert ta.grad(square)(2.0) == 4.0
