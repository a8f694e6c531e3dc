"""One checker for every catalogue: tangent_ad vs finite differences vs autograd.

`Case` records a function and how to make its arguments. `check_case` runs
the generated gradient (optimised and not) and compares it, in float64, with
central finite differences and -- where the function only uses NumPy calls
that autograd wraps -- with autograd, by re-binding the function's `np` to
`autograd.numpy`.
"""

import copy
import types

import numpy as np

import tangent_ad as ta
from tangent_ad.checking import numerical_gradient


class Case:
    """A catalogue entry: `make(rng)` returns the argument list."""

    def __init__(self, fn, make, wrt=(0,), autograd=True, rtol=1e-5, atol=1e-7, id=None):
        self.fn = fn
        self.make = make
        self.wrt = wrt
        self.autograd = autograd
        self.rtol = rtol
        self.atol = atol
        self.id = id or fn.__name__

    def __repr__(self):
        return self.id


def catalogue():
    """A list and a decorator registering functions into it."""
    cases = []

    def case(make, wrt=(0,), autograd=True, rtol=1e-5, atol=1e-7):
        def register(fn):
            cases.append(Case(fn, make, wrt, autograd, rtol, atol))
            return fn

        return register

    return cases, case


def as_tuple(value, n):
    return value if n > 1 else (value,)


def autograd_gradient(fn, args, wrt):
    import autograd
    import autograd.numpy as anp

    globals_ = dict(fn.__globals__)
    globals_["np"] = anp
    rebound = types.FunctionType(fn.__code__, globals_, fn.__name__, fn.__defaults__, fn.__closure__)
    positions = [i if isinstance(i, int) else fn.__code__.co_varnames.index(i) for i in wrt]
    return tuple(autograd.grad(rebound, p)(*args) for p in positions)


def check_gradient(fn, args, wrt, rtol=1e-12, atol=1e-14):
    """`ta.grad(fn, wrt)` against central finite differences (rtol 1e-6) and
    autograd (`rtol`, `atol`), with each gradient shaped like its argument;
    returns the gradients as a tuple."""
    got = as_tuple(ta.grad(fn, wrt=wrt)(*args), len(wrt))
    for value, position, expected in zip(got, wrt, autograd_gradient(fn, args, wrt)):
        reference = numerical_gradient(fn, args, {}, position)
        assert np.shape(value) == np.shape(args[position])
        np.testing.assert_allclose(value, reference, rtol=1e-6, atol=1e-9)
        np.testing.assert_allclose(value, expected, rtol=rtol, atol=atol)
    return got


def assert_unchanged(args, pristine, what):
    """The arguments after a call equal their deep copies from before it: a
    derivative never writes into what it was given."""
    from forward_support import leaves

    for a, b in zip(leaves(args), leaves(pristine)):
        np.testing.assert_array_equal(a, b, err_msg=f"{what}: arguments changed by the call")


def assert_no_shared_memory(gradients, args, what):
    """No gradient is (a view of) an argument: the caller may update one
    and must not change the other."""
    from forward_support import leaves

    arrays = [a for a in leaves(args) if isinstance(a, np.ndarray)]
    for g in leaves(gradients):
        if isinstance(g, np.ndarray):
            for a in arrays:
                assert not np.shares_memory(g, a), f"{what}: a gradient shares memory with an argument"


def check_case(case, rng, optimize=True):
    args = case.make(rng)
    df = ta.grad(case.fn, wrt=case.wrt, optimize=optimize)
    pristine = copy.deepcopy(args)
    got = as_tuple(df(*args), len(case.wrt))
    assert_unchanged(args, pristine, case.id)
    assert_no_shared_memory(got, args, case.id)
    for value, which in zip(got, case.wrt):
        position = which if isinstance(which, int) else case.fn.__code__.co_varnames.index(which)
        reference = numerical_gradient(case.fn, args, {}, position)
        assert np.shape(value) == np.shape(reference), (case.id, which)
        np.testing.assert_allclose(
            value, reference, rtol=case.rtol, atol=case.atol, err_msg=f"{case.id} wrt {which} vs FD"
        )
    if case.autograd:
        for value, expected, which in zip(got, autograd_gradient(case.fn, args, case.wrt), case.wrt):
            np.testing.assert_allclose(
                value, expected, rtol=1e-7, atol=1e-9, err_msg=f"{case.id} wrt {which} vs autograd"
            )
    return got
