"""Clean the generated derivative with small passes run to a fixed point.

* first, once: a pure call the primal sweep computed already is read from
  the name holding it (`reuse.py`: ``np.cos(th)`` -> ``_t4``);
* scalar spreads (`broadcasts.py`, specialised derivatives only):
  ``unreduce(s, x) * e`` with `e` shaped like `x` reads ``s * e``;
* constant folding and helpers' default arguments (`fold.py`): arithmetic on
  numeric constants, ``x ** 1`` -> ``x``, and (in generated statements only)
  ``-(-a)``, ``a + 0``, ``a * 1`` (the last two when `a` surely holds
  floats: ``1.0 * (x > 0)`` is not the mask); ``unreduce(g, x, None, False)`` ->
  ``unreduce(g, x)``;
* copies (`copies.py`): negations read where they are added or subtracted;
  ``d_u[i] = 0.0; d_u[i] += e`` is ``d_u[i] = e``;
  ``d_a = d_b`` where ``d_b`` dies there becomes one name; ``copy(x)``
  dropped when nothing writes in place after it; after ``d_a = d_b`` later
  reads of ``d_a`` read ``d_b`` (while neither is reassigned, and never into
  an in-place write);
* dead code elimination (`dead_code.py`): assignments to generated names
  that nothing reads (strong liveness, so chains of dead temporaries go at
  once), and the pushes and pops of a saved name nothing reads any more;
* substitution (`substitution.py`): a temporary read once, by a later
  statement of the same source line, is written into that use (within a size
  limit, so lines stay readable); updates A-normal form split (``_t3 = s + x;
  s = _t3`` -> ``s = s + x``) merged where the reverse sweep needs neither
  name.

Only generated names (adjoints and template temporaries) are ever removed or
renamed; the user's variables and the primal temporaries (`protected`) keep
every assignment, so the primal sweep runs exactly as written (later,
`inplace.py` may compute a statement's float64 arithmetic into its own first
temporary: the same operations on the same values, to the bit). Every pass
keeps the code correct on its own; the unoptimised output is correct too.

The passes run in rounds, in the order above, until a round changes nothing
(at most 10 rounds). They share one `Facts` (name counts, what each
statement reads and writes), built on first use and forgotten at each
change, and look forward from a statement through a `Positions` index, not
by scanning: the time taken grows with the length of the function, not its
square.
"""

from .broadcasts import leave_spreads_implicit
from .copies import assign_over_zeros, coalesce_copies, elide_array_copies, propagate_copies, propagate_negations
from .dead_code import eliminate_dead_code
from .facts import Facts
from .fold import fold_constants, trim_default_arguments
from .reuse import reuse_primal_values
from .substitution import merge_split_temporaries, substitute_single_uses

ROUNDS = 10


def optimize(func, protected=frozenset(), keep=frozenset(), shapes=None, inexact=frozenset()):
    """`protected`: primal names, whose statements keep their exact form (no
    identity folding, no copy propagation into them); `keep`: names whose
    dead pure assignments must stay anyway; `shapes`: {name: shape} known
    when the derivative is specialised (scalar spreads then stay scalar,
    `broadcasts.py`); `inexact`: names that surely hold floats (adjoints,
    tangents), which ``1.0 * x`` may drop the constant of. Returns `func`,
    changed in place."""
    facts = Facts(func)
    scalars = frozenset(name for name, shape in (shapes or {}).items() if shape == ())
    passes = (
        lambda: leave_spreads_implicit(func, facts, shapes, protected),
        lambda: fold_constants(func, facts, protected, inexact, scalars),
        lambda: propagate_negations(func, facts, protected),
        lambda: trim_default_arguments(func, facts),
        lambda: coalesce_copies(func, facts, protected),
        lambda: assign_over_zeros(func, facts, protected),
        lambda: elide_array_copies(func, facts, protected),
        lambda: propagate_copies(func, facts, protected, scalars),
        lambda: eliminate_dead_code(func, facts, keep, scalars),
        lambda: substitute_single_uses(func, facts, protected),
        lambda: merge_split_temporaries(func, facts),
    )
    reuse_primal_values(func, facts)
    _rounds(passes, facts)
    return func


def _rounds(passes, facts):
    """Run `passes` in order until a round changes nothing."""
    for _ in range(ROUNDS):
        changes = facts.changes
        for run in passes:
            run()
        if facts.changes == changes:
            break
