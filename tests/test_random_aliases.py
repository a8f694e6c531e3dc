"""Seeded random programs with several names for one array, differentiated
and checked against finite differences.

`tests/test_random_programs.py` updates copies in place; this file gives
those copies other names and views -- ``d = c``, ``c[1:]``, ``c[:, ::-1]``,
``c.T``, ``c.reshape(-1)``, ``c[0]``, ``c[None]``, rows of a loop, a view bound
in one branch and a copy in the other -- reads them (nonlinearly, so the
reverse sweep needs their contents) *before* an in-place write into the array
(``c[0] = ...``, ``c[1:] += ...``, ``c *= ...``, overlapping
``c[1:] = c[:-1]``, a swap of rows through views ``c[0], c[1] = c[1], c[0]``,
writes in ``for`` and ``while`` loops and under branches), then reads the
array again, and takes new views after the write. Augmented assignments and
rebinding (``d = c; c = c + y`` keeps `d` the old array; ``d = c; c += y``
with `d` dead afterwards) are mixed in. Every such program must be accepted
and its gradient (optimised and not) must equal central finite differences
(index assignment: autograd has no VJP), leave the arguments unchanged and
share no memory with them.

The other direction: programs that read a second name or a view of the array
*after* the write, write through a view (``v = c[1:]; v[0] = ...``) or swap
rows through views (``c[0], c[1] = c[1], c[0]``, which NumPy makes two copies
of the old ``c[1]``), must
raise `AliasingError`, never return a gradient.

Hessian-vector products (forward mode over the generated reverse code, which
restores overwritten elements from the stack) are checked against central
differences of the unoptimised gradient.

An old row copied as ``o = c[0] * 1.0`` (forward mode folded its tangent
into the view ``t_c[0]``, which the tangent of the write into `c` then
changed) and rebinding through a rule that reads its result
(``c = np.exp(c)``, ``c /= y``) followed by a write into `c` (the gradient
read the overwritten result) were wrong until they were fixed; both are
generated here.
"""

import copy

import numpy as np
import pytest

import tangent_ad as ta
from tangent_ad.errors import AliasingError

import test_random_programs as random_programs

FRESH = ("{a} * 1.0", "{a}.copy()", "np.copy({a})", "np.tanh({a})", "{a} @ W", "{a} + {b}", "np.sin({a}) * {b}")
VIEWS = ("{c}", "{c}[1:]", "{c}[:, ::-1]", "{c}.T", "{c}.reshape(-1)", "{c}[0]", "{c}[:, 1:3]", "{c}[::2]",
         "{c}[..., 1]", "np.reshape({c}, (4, 3))", "np.transpose({c})", "{c}[None]", "{c}[1:, ::-1]", "{c}[-1]")
# nonlinear reads of any shape: the reverse sweep needs the contents
READS = ("np.sum(np.tanh({v}) * {v})", "np.sum(np.sin({v}))", "0.5 * np.sum({v} * {v})",
         "np.sum(np.exp(0.5 * {v}))", "np.sum({v} ** 3)", "np.mean(np.cos({v}))")
SCALARS = ("np.sum({b}[0]) * 0.3", "np.tanh(np.sum({b}))", "{b}[0, 1]", "np.mean({b} * {a})", "2.0")
# one in-place write into a fresh (3, 4) array `t`
WRITES = ("{t}[0] = {b}[1] * 2.0", "{t}[:, 1:] += {b}[:, :-1]", "{t}[1:] = {t}[:-1] * {b}[1:]", "{t} += {b}",
          "{t} *= {b}", "{t}[:, 0] = np.tanh({b}[:, 1])", "{t}[[0, 2]] = {b}[[1, 1]] * 0.5",
          "{t}[0], {t}[1] = {t}[1] * 1.0, {t}[0] * 2.0", "{t}[1:] = {t}[:-1]",
          "{t}[:] = {t}[::-1]", "{t}[:, 1:] += {t}[:, :-1]", "{t}[1, 2] = {b}[0, 0] * {b}[1, 1]",
          "{t}[:, ::-1] = {t} * {b}", "{t} -= {t}[0] * {b}", "{t}[0] = {t}[-1] * {s} + {s2}",
          "{t}[1:] += np.sin({t}[:-1]) * {s}", "{t} *= {s}", "{t}[:] = np.tanh({t}) * {s}", "{t}[-1] *= {s}",
          "{t}[::2] = {t}[::2] * {s} + 0.1")


def _pick(rng, seq):
    return seq[int(rng.integers(0, len(seq)))]


class _Program:
    def __init__(self, rng, reads=READS, old_copies=("{c}[0] * 1.0", "{c}[0].copy()")):
        self.rng, self.reads, self.old_copies = rng, reads, old_copies
        self.pool, self.lines, self.terms = ["x", "y"], [], []

    def operands(self):
        a = self.pool[-1 - int(self.rng.integers(0, min(3, len(self.pool))))]
        return a, _pick(self.rng, ["x", "y"] + self.pool[-2:])

    def add(self, text, indent=1):
        self.lines.extend("    " * indent + line for line in text.split("\n"))

    def write(self, c, b):
        a, _ = self.operands()
        scalar = lambda: _pick(self.rng, SCALARS).format(a=a, b=b)  # noqa: E731
        return _pick(self.rng, WRITES).format(t=c, b=b, s=scalar(), s2=scalar())

    def read(self, v, reads=None):
        return _pick(self.rng, reads or self.reads).format(v=v)

    def fresh(self, k):
        a, b = self.operands()
        self.add(f"c{k} = " + _pick(self.rng, FRESH).format(a=a, b=b))
        return f"c{k}", a, b

    # -- episodes: each makes a fresh array c{k}, names and views of it, and writes into it

    def views_then_write(self, k):
        """Views (and a second name) read before the write, dead after it."""
        c, a, b = self.fresh(k)
        for j in range(int(self.rng.integers(1, 3))):
            self.add(f"v{k}_{j} = " + _pick(self.rng, VIEWS).format(c=c))
            self.add(f"t{k}_{j} = " + self.read(f"v{k}_{j}"))
            self.terms.append(f"t{k}_{j}")
        if self.rng.random() < 0.3:
            self.add(f"o{k} = " + _pick(self.rng, self.old_copies).format(c=c))  # the old row, copied
            self.terms.append(self.read(f"o{k}", READS))
        self.add(self.write(c, b))
        if self.rng.random() < 0.5:  # a view taken after the write
            self.add(f"w{k} = " + _pick(self.rng, VIEWS).format(c=c))
            self.terms.append(self.read(f"w{k}", READS))
        self.terms.append(self.read(c, READS))
        self.pool.append(c)

    def rows_in_loop(self, k):
        c, a, b = self.fresh(k)
        view = _pick(self.rng, ("{c}[i]", "{c}[:, i]", "{c}[i:]", "{c}[i, 1:]", "{c}[:i + 1]", "{c}"))
        update = _pick(self.rng, ("{c}[i] = {c}[i] * {b}[i] + {a}[i] * 0.5", "{c}[i] += np.sin({c}[i - 1]) * {b}[i]",
                                  "{c}[i, 1:] = {c}[i, :-1] * {b}[i, 1:]", "{c}[:, i] = np.tanh({c}[:, i + 1]) * {b}[:, i]",
                                  "{c} *= 1.0 + 0.1 * {b}[i, 0]", "{c}[i:] += {b}[i:] * 0.5",
                                  "{c}[i] = {c}[i, ::-1] * {b}[i]", "{c}[i] = {c}[(i + 1) % 3] * 0.5 + {b}[i]"))
        self.add(f"acc{k} = 0.0")
        self.add("for i in range(3):")
        self.add(f"r = {view.format(c=c)}", 2)
        self.add(f"acc{k} = acc{k} + " + self.read("r") + f" * {b}[i, 0]", 2)
        self.add(update.format(c=c, a=a, b=b), 2)
        self.terms += [f"acc{k}", self.read(c, READS)]
        self.pool.append(c)

    def rows_in_while(self, k):
        c, a, b = self.fresh(k)
        view = _pick(self.rng, ("{c}[J]", "{c}[:, J]", "{c}", "{c}[J:]", "{c}.T")).replace("J", f"j{k}")
        update = _pick(self.rng, ("{c}[J] = {c}[J] * {b}[J] + 0.5", "{c}[J] += np.tanh({c}[J - 1])", "{c} *= 1.1",
                                  "{c}[:, J] = {c}[:, J + 1] * {b}[:, J]", "{c}[J:] = {c}[J:] * 0.5 + {b}[J:]"))
        self.add(f"j{k} = 0\ns{k} = 0.0\nwhile j{k} < 3 and s{k} < 100.0:")
        self.add(f"q = {view.format(c=c)}\ns{k} = s{k} + " + self.read("q"), 2)
        self.add(update.replace("J", f"j{k}").format(c=c, b=b) + f"\nj{k} += 1", 2)
        self.terms += [f"s{k}", self.read(c, READS)]
        self.pool.append(c)

    def view_in_branch(self, k):
        c, a, b = self.fresh(k)
        view = _pick(self.rng, VIEWS).format(c=c)
        self.add(f"if np.sum({a}) > {_pick(self.rng, ('0.0', '-100.0', '100.0'))}:\n    d{k} = {view}\n"
                 f"else:\n    d{k} = {view} * 2.0")
        self.add(f"t{k} = " + self.read(f"d{k}"))
        write = self.write(c, b)
        self.add(write if self.rng.random() < 0.5 else f"if np.sum({b}) > 0.0:\n    {write}")
        self.terms += [f"t{k}", self.read(c, READS)]
        self.pool.append(c)

    def second_name(self, k):
        c, a, b = self.fresh(k)
        self.add(f"d{k} = " + _pick(self.rng, ("{c}", "{c}[1:]", "{c}.T", "{c}[0]")).format(c=c))
        rebind = self.rng.random() < 0.5
        if not rebind or self.rng.random() < 0.5:
            self.add(f"t{k} = " + self.read(f"d{k}"))
            self.terms.append(f"t{k}")
        if rebind:  # a new array: d{k} keeps the old one and may be read afterwards
            self.add(_pick(self.rng, ("{c} = {c} + {b}", "{c} = {c} * {b}", "{c} = np.sin({c}) - {b}")).format(c=c, b=b))
            self.terms.append(self.read(f"d{k}", READS))
        else:
            self.add(_pick(self.rng, ("{c} += {b}", "{c} *= {b}", "{c} -= 0.5 * {b}", "{c} **= 2")).format(c=c, b=b))
        self.terms.append(f"np.sum(np.tanh({c}) * {a})")
        self.pool.append(c)

    def rebound_then_written(self, k):
        """Rebound through a rule that reads its own result, then written:
        the write overwrites the result that rule's adjoint reads."""
        c, a, b = self.fresh(k)
        self.add(_pick(self.rng, ("{c} = np.exp(0.5 * {c})", "{c} = np.tanh({c})", "{c} = 1.0 / (2.0 + {c})",
                                  "{c} = {c} / (2.0 + {b})", "{c} /= 2.0 + {b}", "{c} = np.sqrt(1.5 + {c})"))
                 .format(c=c, b=b))
        self.add(self.write(c, b))
        self.terms.append(self.read(c, READS))
        self.pool.append(c)

    def copied_argument(self, k):
        arg = _pick(self.rng, ["x", "y"])
        other = "y" if arg == "x" else "x"
        name = _pick(self.rng, (arg, f"{arg}c{k}"))
        self.add(_pick(self.rng, ("{n} = {arg}.copy()", "{n} = {arg} * 1.0", "{n} = np.copy({arg})")).format(n=name, arg=arg))
        self.add(self.write(name, other))
        self.terms.append(f"np.sum(np.sin({name}) * {other})")
        self.pool.append(name)

    def source(self):
        ret = " + ".join(self.terms + [f"np.sum(np.tanh({self.pool[-1]}) * x)"])
        return "def f(x, y, W):\n" + "\n".join(self.lines) + f"\n    return {ret}\n"


EPISODES = ("views_then_write", "rows_in_loop", "rows_in_while", "view_in_branch", "second_name", "copied_argument",
            "rebound_then_written")


def _arguments(rng):
    return [rng.uniform(-0.8, 0.8, (3, 4)), rng.uniform(-0.8, 0.8, (3, 4)), rng.uniform(-0.5, 0.5, (4, 4))]


def accepted(rng, reads=READS, old_copies=("{c}[0] * 1.0", "{c}[0].copy()")):
    program = _Program(rng, reads, old_copies)
    for k in range(int(rng.integers(1, 4))):
        getattr(program, _pick(rng, EPISODES))(k)
    return program.source(), _arguments(rng)


# -- programs that must be refused: a name for the array read after the write, or a write through a view


def refused(rng):
    program = _Program(rng)
    c, a, b = program.fresh(0)
    kind = int(rng.integers(0, 5))
    if kind == 4:  # a swap through views: the second write reads the first's result
        program.add(f"{c}[0], {c}[1] = {c}[1], {c}[0]")
        program.terms.append(program.read(c))
    elif kind == 0:  # a view or second name read after the write
        program.add("v = " + _pick(rng, VIEWS).format(c=c))
        program.add(program.write(c, b))
        program.terms += [program.read("v"), program.read(c)]
    elif kind == 1:  # a write through a view or a second name
        program.add("v = " + _pick(rng, VIEWS[:-3] + ("{c}[:, 1:]",)).format(c=c))
        program.add(_pick(rng, ("v[0] = {s}", "v += {s}", "v *= 2.0", "v[:] = np.tanh(v)", "v[-1] *= {s}"))
                    .format(s=_pick(rng, SCALARS).format(a=a, b=b)))
        program.terms.append(program.read(c))
    elif kind == 2:  # the rows of a loop, written through
        program.add(f"for r in {c}:\n    " + _pick(rng, ("r += {b}[0]", "r[0] = {b}[1, 1]", "r *= 2.0")).format(b=b))
        program.terms.append(program.read(c))
    else:  # the old value kept under another name, read after an augmented assignment
        program.add(f"d = {c}")
        program.add(_pick(rng, ("{c} += {b}", "{c} *= {b}", "{c} -= {b}")).format(c=c, b=b))
        program.terms += [program.read("d"), program.read(c)]
    program.pool.append(c)
    return program.source(), _arguments(rng)


_load, _finite_differences = random_programs._load, random_programs._finite_differences


@pytest.mark.parametrize("seed", range(36))
def test_writes_while_views_are_dead_match_finite_differences(seed, tmp_path):
    rng = np.random.default_rng(3000 + seed)
    source, args = accepted(rng)
    fn = _load(source, tmp_path, f"aliases_{seed}")
    value = fn(*[np.copy(a) for a in args])
    assert abs(value) < 1e3, source
    expected = _finite_differences(fn, args)
    for optimize in (True, False):
        pristine = copy.deepcopy(args)
        got = ta.grad(fn, wrt=(0, 1, 2), optimize=optimize)(*args)
        for after, before in zip(args, pristine):
            np.testing.assert_array_equal(after, before, err_msg=f"arguments changed\n{source}")
        for value, reference, arg in zip(got, expected, args):
            assert np.shape(value) == np.shape(reference), source
            scale = 1.0 + np.max(np.abs(reference), initial=0.0)
            np.testing.assert_allclose(value, reference, rtol=1e-5, atol=1e-6 * scale, err_msg=source)
            assert not np.shares_memory(value, arg), source


@pytest.mark.parametrize("seed", range(12))
def test_reads_of_another_name_after_a_write_are_refused(seed, tmp_path):
    rng = np.random.default_rng(4000 + seed)
    source, args = refused(rng)
    fn = _load(source, tmp_path, f"refused_{seed}")
    for optimize in (True, False):
        with pytest.raises(AliasingError, match="(index|augmented) assignment") as info:
            ta.grad(fn, wrt=(0, 1, 2), optimize=optimize)(*args)
        assert f"{fn.__code__.co_filename}:" in str(info.value), source


# seeds a larger run found: an inactive array pushed with a 0.0 tangent,
# popped where it has one (a vdot of 0.0 and an array: ValueError)
HVP_SEEDS = [5000 + seed for seed in range(16)] + [7038, 7140]


@pytest.mark.parametrize("seed", HVP_SEEDS)
def test_hvp_with_views_read_linearly_before_writes(seed, tmp_path):
    """Forward over the generated reverse code (element restores included),
    against central differences of the unoptimised gradient."""
    rng = np.random.default_rng(seed)
    source, args = accepted(rng)
    fn = _load(source, tmp_path, f"hvp_aliases_{seed}")
    v = rng.standard_normal(args[0].shape)
    gradient = ta.grad(fn, optimize=False)
    eps = 1e-5
    expected = (gradient(args[0] + eps * v, *args[1:]) - gradient(args[0] - eps * v, *args[1:])) / (2 * eps)
    scale = 1.0 + np.max(np.abs(expected), initial=0.0)
    for optimize in (True, False):
        pristine = copy.deepcopy(args)
        got = ta.hvp(fn, optimize=optimize)(*args, v)
        for after, before in zip(args, pristine):
            np.testing.assert_array_equal(after, before, err_msg=f"arguments changed\n{source}")
        np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4 * scale, err_msg=source)
