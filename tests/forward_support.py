"""One checker for forward mode and Hessian-vector products, over every catalogue.

`check_jvp(case, rng)` runs the generated jvp in a seeded random direction
(one tangent per `wrt` argument, shaped like it: a structure of the same
kind for container and object arguments, a dict by attribute name for an
object) and compares, in float64,

* the value with the function's own,
* the tangent with central finite differences along the direction,
* the tangent with the reverse-mode gradient by the dot-product test
  ``<jvp(v), u> == <v, vjp(u)>`` (``jvp(v) == grad . v`` for scalar outputs).

`check_hvp(case, rng)` compares the generated Hessian-vector product with
central differences of the (reverse-mode) gradient along the direction and,
where the case allows, with autograd's ``hessian_vector_product`` (one wrt
argument) or the gradient of ``<grad f, v>`` (several).
"""

import contextlib
import copy
import inspect
import pathlib
import types
import warnings

import numpy as np

import tangent_ad as ta

HERE = pathlib.Path(__file__).resolve().parent

# ----- structures: leaves of arguments, tangents and gradients -----


def is_object(value):
    return hasattr(value, "__dict__") and not hasattr(value, "shape") and not callable(value)


def is_float_leaf(value):
    if isinstance(value, bool):
        return False
    if isinstance(value, float):
        return True
    return isinstance(value, np.ndarray) and np.issubdtype(value.dtype, np.floating) or (
        isinstance(value, np.floating)
    )


def children(value):
    """(key, child) pairs of a container or object; None for a leaf."""
    if isinstance(value, (list, tuple)):
        return list(enumerate(value))
    if isinstance(value, dict):
        return list(value.items())
    if is_object(value):
        return [(k, v) for k, v in vars(value).items() if differentiable(v)]
    return None


def differentiable(value):
    if isinstance(value, (list, tuple, dict)) or is_object(value):
        return True
    return is_float_leaf(value)


def tree_map(fn, value, *others):
    """`fn` on every leaf of `value` (and the matching leaves of `others`),
    rebuilt as tangents are structured: tuples stay tuples, lists lists,
    dicts dicts, an object becomes a dict by attribute name."""
    kids = children(value)
    if kids is None:
        return fn(value, *others)
    mapped = []
    for key, child in kids:
        parts = [getattr(o, key) if is_object(o) else o[key] for o in others]
        mapped.append((key, tree_map(fn, child, *parts)))
    if isinstance(value, tuple):
        return tuple(v for _, v in mapped)
    if isinstance(value, list):
        return [v for _, v in mapped]
    return dict(mapped)


def leaves(value):
    kids = children(value)
    if kids is None:
        return [value]
    return [leaf for _, child in kids for leaf in leaves(child)]


def random_tangent(value, rng):
    """A random direction shaped like `value` (zero for non-float leaves)."""

    def draw(leaf):
        if not is_float_leaf(leaf):
            return 0.0
        if isinstance(leaf, float):
            return float(rng.normal())
        return rng.normal(size=np.shape(leaf))

    return tree_map(draw, value)


def moved(value, tangent, eps):
    """`value` + eps * `tangent` (containers rebuilt, objects shallow-copied)."""
    kids = children(value)
    if kids is None:
        if not is_float_leaf(value):
            return value
        out = value + eps * tangent
        return float(out) if isinstance(value, float) else out
    if is_object(value):
        new = copy.copy(value)
        for key, child in kids:
            setattr(new, key, moved(child, tangent[key], eps))
        return new
    items = {key: moved(child, tangent[key], eps) for key, child in kids}
    if isinstance(value, tuple):
        return tuple(items[i] for i in range(len(value)))
    if isinstance(value, list):
        return [items[i] for i in range(len(value))]
    out = dict(value)
    out.update(items)
    return out


def inner(a, b):
    """Sum of elementwise products over matching leaves."""
    return float(sum(np.sum(np.asarray(x) * np.asarray(y)) for x, y in zip(leaves(a), leaves(b))))


def assert_tree_close(got, expected, rtol, atol, where):
    if children(expected) is not None and not isinstance(expected, np.ndarray):
        for key, child in children(expected):
            assert_tree_close(got[key], child, rtol, atol, f"{where}[{key!r}]")
        return
    shapes = np.shape(got), np.shape(expected)
    assert shapes[0] == shapes[1], f"{where}: shape {shapes[0]} != {shapes[1]}"
    np.testing.assert_allclose(got, expected, rtol=rtol, atol=atol, err_msg=where)


# ----- the checks -----


def positions(fn, wrt):
    wrt = (wrt,) if isinstance(wrt, (int, str)) else tuple(wrt)
    params = list(inspect.signature(fn).parameters)
    return [w if isinstance(w, int) else params.index(w) for w in wrt]


def _shifted(args, where, directions, eps):
    out = list(args)
    for position, direction in zip(where, directions):
        out[position] = moved(args[position], direction, eps)
    return out


def finite_difference(fn, args, where, directions, eps=1e-6):
    """Central difference of `fn` (a value or a structure of values) along the directions."""
    plus = fn(*_shifted(args, where, directions, eps))
    minus = fn(*_shifted(args, where, directions, -eps))
    def slope(p, m):
        return (np.asarray(p, dtype=float) - np.asarray(m, dtype=float)) / (2 * eps)

    return tree_map(slope, plus, minus)


def as_tuple(value, n):
    return value if n > 1 else (value,)


def check_jvp(case, rng, optimize=True):
    """The generated jvp against the function, finite differences and reverse mode."""
    args = case.make(rng)
    where = positions(case.fn, case.wrt)
    directions = [random_tangent(args[p], rng) for p in where]
    pristine = copy.deepcopy(args)
    value, t_value = ta.jvp(case.fn, wrt=case.wrt, optimize=optimize)(*args, *directions)
    for a, b in zip(leaves(args), leaves(pristine)):
        np.testing.assert_array_equal(a, b, err_msg=f"{case.id}: arguments changed by the jvp")
    expected = case.fn(*copy.deepcopy(args))
    assert_tree_close(value, expected, 1e-12, 1e-12, f"{case.id} value")
    reference = finite_difference(case.fn, args, where, directions)
    rtol, atol = max(case.rtol, 1e-5), max(case.atol, 1e-7)
    assert_tree_close(t_value, reference, rtol, atol, f"{case.id} jvp vs FD")
    # dot-product test against reverse mode
    if np.ndim(expected) == 0 and children(expected) is None:
        grads = as_tuple(ta.grad(case.fn, wrt=case.wrt, optimize=optimize)(*args), len(where))
        projected = sum(inner(g, d) for g, d in zip(grads, directions))
        np.testing.assert_allclose(float(t_value), projected, rtol=1e-8, atol=1e-10,
                                   err_msg=f"{case.id} jvp vs grad . v")
    else:
        seed = random_tangent(expected, rng)
        grads = as_tuple(ta.vjp(case.fn, wrt=case.wrt, optimize=optimize)(*args, seed), len(where))
        np.testing.assert_allclose(
            inner(t_value, seed), sum(inner(g, d) for g, d in zip(grads, directions)),
            rtol=1e-8, atol=1e-10, err_msg=f"{case.id} <jvp(v), u> vs <v, vjp(u)>",
        )
    return t_value


@contextlib.contextmanager
def autograd_numpy(fn):
    """`np` bound to autograd.numpy in `fn`'s module and in the test modules it
    imports (so the helpers it calls are traced too)."""
    import autograd.numpy as anp

    def ours(m):
        where = str(getattr(m, "__file__", ""))
        return isinstance(m, types.ModuleType) and where.startswith(str(HERE))

    spaces = [fn.__globals__] + [vars(m) for m in fn.__globals__.values() if ours(m)]
    saved = [space.get("np") for space in spaces]
    try:
        for space in spaces:
            if space.get("np") is np:
                space["np"] = anp
        yield
    finally:
        for space, value in zip(spaces, saved):
            space["np"] = value


def _autograd_inner(a, b):
    """<a, b> for a structure `a` of autograd values and a plain direction `b`."""
    import autograd.numpy as anp

    kids = children(b)
    if kids is None:
        return anp.sum(a * b)
    return sum(_autograd_inner(a[key], child) for key, child in kids)


def autograd_hvp(fn, args, where, directions):
    """H v by autograd: `hessian_vector_product` for one array argument, else
    the gradient of <grad f, v> with respect to each argument."""
    import autograd

    with autograd_numpy(fn), warnings.catch_warnings():
        # a function linear in its argument has a zero Hessian: autograd warns
        warnings.filterwarnings("ignore", "Output seems independent of input")
        if len(where) == 1 and children(args[where[0]]) is None:
            return (autograd.hessian_vector_product(fn, where[0])(*args, directions[0]),)

        def packed(wrt_values):
            moved = list(args)
            for position, value in zip(where, wrt_values):
                moved[position] = value
            return fn(*moved)

        def directional(wrt_values):
            return _autograd_inner(autograd.grad(packed)(wrt_values), list(directions))

        return tuple(autograd.grad(directional)([args[p] for p in where]))


def check_hvp(case, rng, optimize=True, with_autograd=None):
    """The generated Hessian-vector product against finite differences of the
    gradient and against autograd."""
    args = case.make(rng)
    where = positions(case.fn, case.wrt)
    directions = [random_tangent(args[p], rng) for p in where]
    hvp = ta.hvp(case.fn, wrt=case.wrt, optimize=optimize)
    pristine = copy.deepcopy(args)
    got = as_tuple(hvp(*args, *directions), len(where))
    for a, b in zip(leaves(args), leaves(pristine)):
        np.testing.assert_array_equal(a, b, err_msg=f"{case.id}: arguments changed by the hvp")
    assert len(got) == len(where), case.id
    gradient = ta.grad(case.fn, wrt=case.wrt, optimize=optimize)
    reference = finite_difference(
        lambda *a: as_tuple(gradient(*a), len(where)), args, where, directions
    )
    rtol, atol = max(case.rtol, 1e-5) * 10, max(case.atol, 1e-7) * 10
    for value, expected, p in zip(got, reference, where):
        where_ = f"{case.id} hvp wrt {p} vs FD of the gradient"
        assert_tree_close(value, expected, rtol, atol, where_)
    use_autograd = case.autograd if with_autograd is None else with_autograd
    if use_autograd and not any(is_object(args[p]) for p in where):  # autograd takes no objects
        for value, expected, p in zip(got, autograd_hvp(case.fn, args, where, directions), where):
            assert_tree_close(value, expected, 1e-7, 1e-9, f"{case.id} hvp wrt {p} vs autograd")
    return got
