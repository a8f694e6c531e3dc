"""Functions with control flow: branches on data, loops over ranges, arrays,
lists, `enumerate` and `zip`, nested loops, `while` loops with data-dependent
conditions, `break`, `continue`, early `return`, reassignment and augmented
assignment inside loops, and index assignment into arrays the function made.

Argument makers receive a seeded generator; values stay away from every
branch threshold (so a finite-difference step never flips a branch) and
inside each function's domain. Functions that write into an array by index
cannot run under autograd (its arrays are immutable), so those cases use
finite differences as their only reference (``autograd=False``).
"""

import math

import numpy as np

from support import catalogue

CASES, case = catalogue()

# Cases that fail because of a bug in tangent_ad (not in the case): the tests
# keep them as strict expected failures, so a fix shows up as an XPASS.
BUGS = {}


def vec(n=5, lo=-1.0, hi=1.0):
    return lambda rng: [rng.uniform(lo, hi, n)]


def mat(shape=(3, 4), lo=-1.0, hi=1.0):
    return lambda rng: [rng.uniform(lo, hi, shape)]


def floats(*values):
    return lambda rng: list(values)


def vec_and(n, *extra, lo=-1.0, hi=1.0):
    """A vector followed by fixed extra arguments (ints, floats, tuples)."""
    return lambda rng: [rng.uniform(lo, hi, n), *extra]


def signed(n=6, low=0.2):
    """Entries of both signs, each at least `low` away from zero."""
    return lambda rng: [rng.choice([-1.0, 1.0], n) * rng.uniform(low, 1.0, n)]


def _smooth_square(v):
    # operators only, so autograd can trace it without re-binding `np`
    return v * v + 0.5 * v


# ----- if / elif / else on data -----


@case(vec(lo=0.1, hi=1.0))
def if_sum_positive_taken(x):
    if np.sum(x) > 0:
        y = np.sin(x) * x
    else:
        y = np.cos(x)
    return np.sum(y)


@case(vec(lo=-1.0, hi=-0.1))
def if_sum_positive_not_taken(x):
    if np.sum(x) > 0:
        y = np.sin(x) * x
    else:
        y = np.cos(x) * x
    return np.sum(y)


@case(floats(0.3, 1.7, -0.8), wrt=(0, 1, 2))
def elif_chain_floats(a, b, c):
    if a > 1.0:
        y = a * b
    elif b > 1.0:
        y = b * b * c + a
    elif c > 0.0:
        y = a + c
    else:
        y = a * b * c
    return y


@case(floats(-0.6))
def elif_piecewise_negative(x):
    if x < -0.5:
        y = x * x * x
    elif x < 0.5:
        y = np.sin(x)
    else:
        y = np.exp(x)
    return y * x


@case(vec(lo=0.5, hi=1.0))
def if_without_else(x):
    y = x * 2.0
    if np.max(x) > 0.2:
        y = y * np.tanh(x)
    return np.sum(y)


@case(mat(lo=-1.0, hi=1.0))
def nested_if(x):
    s = np.sum(x)
    if s > -10.0:
        if np.mean(x * x) > 0.01:
            y = np.sum(np.exp(x))
        else:
            y = s
    else:
        y = 0.0 * s
    return y


@case(floats(0.7, 1.2), wrt=(0, 1))
def if_boolean_and(x, y):
    if x > 0.5 and y < 2.0:
        z = x * y
    else:
        z = x + y
    if not (x > 1.0 or y > 5.0):
        z = z * x
    return z


@case(mat((4, 3)))
def if_on_static_shape(x):
    if x.shape[0] > 3:
        y = x[:3] * 2.0
    else:
        y = x
    return np.sum(y * y)


# ----- conditional expressions -----


@case(floats(0.8))
def ifexp_float(x):
    y = x * x if x > 0.0 else -x
    return y * 3.0


@case(vec(lo=-1.0, hi=-0.2))
def ifexp_array_branch(x):
    y = np.sin(x) if np.sum(x) > 0 else np.exp(x)
    return np.sum(y * x)


@case(signed())
def ifexp_leaky_relu_loop(x):
    s = 0.0
    for v in x:
        s = s + (v if v > 0 else 0.1 * v)
    return s


# ----- for over range -----


@case(floats(1.1, 5))
def range_int_argument(x, n):
    y = 1.0
    for i in range(n):
        y = y * x
    return y


@case(vec(7))
def range_start_stop_step(x):
    s = 0.0
    for i in range(1, len(x), 2):
        s = s + x[i] * x[i - 1]
    return s


@case(vec(6))
def range_len_augmented(x):
    s = 0.0
    for i in range(len(x)):
        s += x[i] * x[i]
    return s


@case(mat((4, 3)))
def range_shape0_rows(x):
    s = 0.0
    for i in range(x.shape[0]):
        s = s + np.sum(np.tanh(x[i])) * (i + 1)
    return s


@case(vec_and(5, 1.3), wrt=(0, 1))
def range_negative_step_horner(c, t):
    y = 0.0
    for i in range(len(c) - 1, -1, -1):
        y = y * t + c[i]
    return y


@case(vec_and(6, 5))
def range_start_and_stop_from_args(x, n):
    s = 0.0
    for i in range(2, n):
        s = s + x[i] * x[i - 2]
    return s


@case(vec(8))
def range_computed_bound(x):
    half = len(x) // 2
    s = 0.0
    for i in range(half):
        s = s + x[i] * x[i + half]
    return s


@case(vec(5))
def range_index_as_float(x):
    s = 0.0
    for i in range(len(x)):
        s = s + i * x[i] ** 2
    return s


@case(floats(0.4, 0))
def range_zero_trips(x, n):
    y = x * 2.0
    for i in range(n):
        y = y * x
    return y


@case(vec(6))
def range_branch_on_loop_index(x):
    total = 0.0
    for i in range(3):
        if i == 1:
            total = total * x[i]
        elif i == 2:
            total = total + np.sin(x[i])
        else:
            total = x[i]
    return total


@case(vec(6))
def range_loop_target_reassigned(x):
    s = 0.0
    for i in range(3):
        i = i * 2
        s = s + x[i] ** 2
    return s


@case(vec(6))
def loop_shrinking_array(x):
    y = x
    for k in range(3):
        y = y[1:] * y[:-1] + 0.5
    return np.sum(y)


@case(vec(2))
def loop_tuple_swap(x):
    a = x[0]
    b = x[1]
    for i in range(5):
        a, b = b, a * b + 0.5
    return a + b


# ----- loops over arrays, lists, tuples, enumerate, zip -----


@case(mat((4, 3)))
def loop_over_rows(X):
    s = 0.0
    for row in X:
        s = s + np.sum(np.sin(row) * row)
    return s


@case(vec(4))
def loop_over_list_display(x):
    s = 0.0
    for w in [x, x * 2.0, np.sin(x)]:
        s = s + np.sum(w * w)
    return s


@case(vec_and(4, (0.5, 1.0, 2.0)))
def loop_over_tuple_argument(x, scales):
    y = x
    for c in scales:
        y = np.sin(c * y)
    return np.sum(y)


@case(vec(4))
def loop_over_tuple_display(x):
    y = 1.0
    for a in (x, np.exp(x)):
        y = y * np.sum(a)
    return y


@case(vec(5))
def loop_enumerate(x):
    s = 0.0
    for i, v in enumerate(x):
        s = s + (i + 1.0) * v ** 2
    return s


@case(lambda rng: [rng.uniform(-1, 1, 5), rng.uniform(-1, 1, 5)], wrt=(0, 1))
def loop_zip(x, y):
    s = 0.0
    for a, b in zip(x, y):
        s = s + a * b + np.sin(a)
    return s


@case(lambda rng: [rng.uniform(-1, 1, (3, 4)), rng.uniform(-1, 1, (3, 4))], wrt=(0, 1))
def loop_zip_rows(X, Y):
    s = 0.0
    for r, q in zip(X, Y):
        s = s + np.sum(r * q) ** 2
    return s


@case(vec(3))
def loop_enumerate_list(x):
    s = 0.0
    for i, w in enumerate([x, x * x, np.cos(x)]):
        s = s + i * np.sum(w)
    return s


@case(vec(5))
def loop_enumerate_start(x):
    s = 0.0
    for i, v in enumerate(x, 1):
        s = s + i * v * v
    return s


@case(vec(6))
def loop_zip_three_shifted(x):
    s = 0.0
    for a, b, c in zip(x, x[1:], x[2:]):
        s = s + a * b * c
    return s


@case(vec(4))
def loop_calls_user_function(x):
    s = 0.0
    for v in x:
        s = s + _smooth_square(v)
    return s


# ----- nested loops -----


@case(mat((3, 3)))
def nested_range_loops(X):
    s = 0.0
    for i in range(X.shape[0]):
        for j in range(X.shape[1]):
            s = s + X[i, j] * X[j, i]
    return s


@case(mat((3, 4)))
def nested_rows_and_elements(X):
    s = 0.0
    for row in X:
        for v in row:
            s = s + np.sin(v) * v
    return s


@case(vec(5))
def nested_triangular(x):
    s = 0.0
    for i in range(len(x)):
        for j in range(i):
            s = s + x[i] * x[j]
    return s


@case(mat((3, 4), lo=0.1, hi=1.0))
def nested_reassign_inner(X):
    s = 0.0
    for row in X:
        p = 1.0
        for v in row:
            p = p * (1.0 + v)
        s = s + np.log(p)
    return s


@case(vec(6))
def nested_ifexp_pairs(x):
    res = 0.0
    for a in x:
        for b in x:
            res = res + (a * b if a > b else a - b)
    return res


@case(lambda rng: [np.array([0.3, -0.2, 0.45, 0.7, 0.6, 0.9])])
def nested_while_in_for_return(x):
    s = 0.0
    for i in range(len(x)):
        j = 0
        while j < i:
            s = s + x[i] * x[j]
            if s > 1.0:
                return s
            j = j + 1
    return s


# ----- reassignment and augmented assignment in loops -----


@case(
    lambda rng: [rng.uniform(-0.5, 0.5, (4, 4)), rng.uniform(-0.5, 0.5, 4), rng.uniform(-1, 1, 4)],
    wrt=(0, 1, 2),
)
def reassign_tanh_layer(W, b, h):
    for i in range(5):
        h = np.tanh(W @ h + b)
    return np.sum(h)


@case(lambda rng: [rng.uniform(-1, 1, 4), rng.uniform(-1, 1, 4)], wrt=(0, 1))
def augmented_all_ops(x, y):
    s = x * y + 1.0
    for i in range(3):
        s += x * y
        s -= 0.5 * y
        s *= 0.9 + 0.1 * x
        s /= 1.5 + y * y
    return np.sum(s)


@case(
    lambda rng: [rng.uniform(-1, 1, (3, 2)), rng.uniform(-1, 1, 3), rng.uniform(-1, 1, 2)],
    wrt=(0, 1, 2),
)
def unrolled_gradient_descent(A, b, w):
    for k in range(10):
        r = A @ w - b
        w = w - 0.1 * (A.T @ r)
    r = A @ w - b
    return np.sum(r * r)


@case(lambda rng: [rng.uniform(-1, 1, (4, 4)), rng.uniform(0.5, 1, 4)], wrt=(0, 1))
def power_iteration(A, v):
    for k in range(6):
        v = A @ v
        v = v / np.sqrt(np.sum(v * v))
    return np.sum(v * (A @ v))


@case(vec(6, lo=0.1, hi=0.9))
def running_max_by_if(x):
    m = x[0]
    for v in x:
        if v > m:
            m = v
    return m * m


@case(lambda rng: [rng.uniform(0.3, 0.6, 6)])
def branch_rescales_accumulator(x):
    s = 0.0
    for i in range(len(x)):
        s = s + x[i]
        if s > 1.5:
            s = s * 0.5
    return s


@case(floats(0.31))
def logistic_map(r):
    y = 0.2
    for i in range(30):
        y = (3.0 + r) * y * (1.0 - y)
    return y


@case(mat((4, 3)))
def softmax_rows_loop(X):
    s = 0.0
    for i in range(X.shape[0]):
        row = X[i]
        m = np.max(row)
        e = np.exp(row - m)
        s = s + np.sum(e / np.sum(e) * row)
    return s


# ----- while loops -----


@case(floats(2.7))
def while_newton_sqrt(a):
    x = a
    while abs(x * x - a) > 1e-12:
        x = 0.5 * (x + a / x)
    return x


@case(lambda rng: [rng.uniform(0.5, 3.0, 4)])
def while_newton_sqrt_array(a):
    x = a * 1.0
    while np.max(np.abs(x * x - a)) > 1e-12:
        x = 0.5 * (x + a / x)
    return np.sum(x)


@case(lambda rng: [rng.uniform(-1, 1, 3), 2.0])
def while_bisection_cube_root(x, c):
    lo = 0.0
    hi = 2.0
    while hi - lo > 1e-9:
        mid = 0.5 * (lo + hi)
        if mid * mid * mid > c:
            hi = mid
        else:
            lo = mid
    return np.sum(x * lo)


@case(lambda rng: [2.3, rng.uniform(-1, 1, 6)], wrt=(0, 1))
def while_bisection_interpolate(t, ys):
    lo = 0
    hi = len(ys) - 1
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if t < mid:
            hi = mid
        else:
            lo = mid
    return ys[lo] + (t - lo) * (ys[hi] - ys[lo])


@case(floats(1.3))
def while_grow_until(x):
    y = x
    while y < 10.0:
        y = y * x
    return y


@case(lambda rng: [rng.uniform(0.1, 0.5, 4)])
def while_array_sum(x):
    h = x * 1.0
    while np.sum(h) < 5.0:
        h = h * 1.5 + x
    return np.sum(h * h)


@case(floats(0.9))
def while_counter_and_tolerance(x):
    y = x
    k = 0
    while abs(y) > 1e-3 and k < 50:
        y = 0.5 * y * np.cos(y)
        k = k + 1
    return y * 1000.0


@case(vec(5, lo=0.1, hi=0.9))
def while_true_break(x):
    s = 0.0
    i = 0
    while True:
        s = s + x[i] * x[i]
        i = i + 1
        if s > 0.4 or i >= len(x):
            break
    return s


@case(vec(6))
def while_augmented_counter(x):
    acc = x[0] * 0.0
    k = 0
    while k < 3:
        k += 1
        acc += x[k] * k
    return acc


@case(lambda rng: [np.array([0.3, -0.2, 0.45, 0.7, 0.6, 0.9])])
def while_break_on_data(x):
    s = 0.0
    i = 0
    while i < len(x):
        if x[i] > 0.5:
            break
        s = s + x[i] ** 2
        i = i + 1
    return s * x[i]


# ----- break, continue -----


@case(lambda rng: [np.array([0.1, -0.3, 0.2, 0.8, 0.4, -0.7])])
def for_break(x):
    s = 0.0
    for i in range(len(x)):
        if x[i] > 0.5:
            break
        s = s + x[i] ** 2
    return s + x[0]


@case(signed())
def for_continue(x):
    s = 0.0
    for i in range(len(x)):
        if x[i] < 0:
            continue
        s = s + np.sin(x[i]) * x[i]
    return s


@case(lambda rng: [np.array([0.3, -0.4, 0.5, -0.2, 0.9, 0.6, -0.1])])
def for_continue_and_break(x):
    s = 0.0
    for v in x:
        if v < 0:
            continue
        if v > 0.8:
            break
        s = s + v ** 3
    return s


@case(lambda rng: [np.array([[0.1, 0.2, 0.9, 0.3], [0.4, 0.95, 0.1, 0.2], [0.3, 0.1, 0.2, 0.5]])])
def nested_inner_break(X):
    s = 0.0
    for row in X:
        for v in row:
            if v > 0.8:
                break
            s = s + v * v
    return s


# ----- early return -----


@case(lambda rng: [np.array([0.1, 0.2, 0.4, 0.85, 0.3])])
def return_in_loop(x):
    s = 0.0
    for i in range(len(x)):
        if x[i] > 0.8:
            return s * x[i]
        s = s + x[i]
    return s


@case(lambda rng: [np.array([[0.1, 0.2, 0.3], [0.4, 0.95, 0.1], [0.3, 0.1, 0.2]])])
def return_in_nested_loops(X):
    s = 0.0
    for row in X:
        for v in row:
            if v > 0.9:
                return s + v ** 2
            s = s + v * v
    return s


@case(lambda rng: [np.array([[0.1, 0.2, 0.3], [0.4, 0.5, 0.1], [0.3, 0.1, 0.2]])])
def return_in_nested_loops_not_taken(X):
    s = 0.0
    for row in X:
        for v in row:
            if v > 0.9:
                return s + v ** 2
            s = s + v * v
    return s * 2.0


@case(vec(4, lo=0.1, hi=1.0))
def return_in_branch(x):
    if np.sum(x) > 0:
        return np.sum(x ** 2)
    return np.sum(np.exp(x))


@case(floats(0.7, 2.0), wrt=(0, 1))
def return_in_elif(x, y):
    if x > 1.0:
        return x * y
    elif y > 1.5:
        z = x * x
        return z * y
    return x - y


@case(floats(1.2))
def return_in_while(x):
    y = x
    while y < 100.0:
        y = y * y
        if y > 20.0:
            return y * x
    return y


# ----- index assignment into arrays the function made -----
# autograd cannot write into its arrays (they are immutable boxes), so these
# cases are checked against finite differences only.


@case(vec(5), autograd=False)
def index_assign_loop(x):
    u = np.zeros(len(x))
    for i in range(len(x)):
        u[i] = x[i] ** 2 * (i + 1)
    return np.sum(u * u)


@case(vec(6), autograd=False)
def index_assign_slice(x):
    u = np.zeros(len(x))
    u[1:-1] = x[2:] - x[:-2]
    u[0] = x[0] * 3.0
    return np.sum(u * x)


@case(vec(5), autograd=False)
def index_augassign_loop(x):
    u = np.ones(len(x))
    for i in range(len(x)):
        u[i] += x[i] * x[(i + 1) % len(x)]
    return np.sum(u ** 3)


@case(vec(4), autograd=False)
def index_repeated_writes(x):
    u = np.zeros(3)
    u[0] = x[0]
    u[0] = u[0] * x[1]
    u[0] = u[0] + x[2] * x[3]
    u[1] = u[0] * u[0]
    u[0] = np.sin(u[1])
    return np.sum(u)


@case(vec(5, lo=0.5, hi=1.0), autograd=False)
def index_reassign_element_in_loop(x):
    u = np.ones(3)
    for i in range(len(x)):
        u[0] = u[0] * x[i] + 1.0
        u[2] = u[2] + u[0] * x[i]
    return np.sum(u * u)


@case(vec(6), autograd=False)
def index_prefix_sum(x):
    u = np.zeros(len(x))
    u[0] = x[0]
    for i in range(1, len(x)):
        u[i] = u[i - 1] + x[i]
    return np.sum(np.sin(u))


@case(mat((3, 3)), autograd=False)
def index_assign_2d_nested(X):
    M = np.zeros((3, 3))
    for i in range(3):
        for j in range(3):
            M[i, j] = X[i, j] * X[j, i] + i
    return np.sum(M * M)


@case(signed(), autograd=False)
def index_assign_in_branch(x):
    u = np.zeros(len(x))
    for i in range(len(x)):
        if x[i] > 0:
            u[i] = x[i] * x[i]
        else:
            u[i] = np.sin(x[i])
    return np.sum(u * x)


@case(vec(4), autograd=False)
def index_row_assign(x):
    M = np.zeros((3, 4))
    for i in range(3):
        M[i] = x * (i + 1.0)
    return np.sum(np.tanh(M))


# ----- the larger models -----


def _rnn_args(steps):
    def make(rng):
        return [
            rng.uniform(-0.3, 0.3, (8, 8)),
            rng.uniform(-0.3, 0.3, (8, 3)),
            rng.uniform(-0.1, 0.1, 8),
            rng.uniform(-1, 1, (steps, 3)),
        ]

    return make


@case(_rnn_args(50), wrt=(0, 1, 2))
def rnn_tanh_50_steps(Wh, Wx, b, xs):
    h = np.zeros(8)
    loss = 0.0
    for t in range(xs.shape[0]):
        h = np.tanh(Wh @ h + Wx @ xs[t] + b)
        loss = loss + np.sum(h * h)
    return loss


@case(floats(2.0, 0.3, 0.5), wrt=(0, 1, 2), rtol=1e-5, atol=1e-7)
def euler_ode_1000_steps(k, c, f):
    x = 1.0
    v = 0.0
    dt = 0.01
    for i in range(1000):
        a = -k * x - c * v + f * math.sin(dt * i)
        x = x + dt * v
        v = v + dt * a
    return x * x + v


@case(lambda rng: [rng.uniform(0.0, 1.0, 12), 0.2], wrt=(0, 1), autograd=False)
def heat_stencil_200_steps(u0, alpha):
    # autograd: index assignment into the state array
    u = u0.copy()
    for step in range(200):
        lap = u[2:] - 2.0 * u[1:-1] + u[:-2]
        u[1:-1] = u[1:-1] + alpha * lap
    return np.sum(u * u * np.linspace(0.0, 1.0, 12))


@case(lambda rng: [rng.uniform(0.0, 1.0, 12), 0.2], wrt=(0, 1), autograd=False)
def heat_stencil_fresh_array(u0, alpha):
    # autograd: index assignment into the new state array
    u = u0
    for step in range(200):
        new = u * 1.0
        new[1:-1] = u[1:-1] + alpha * (u[2:] - 2.0 * u[1:-1] + u[:-2])
        u = new
    return np.sum(u ** 3)


# ----- the user's reversed(range(...)): the reverse sweep runs over it again -----


@case(vec(lo=-1.0, hi=1.0))
def loop_over_reversed_range(x):
    s = 0.0
    for i in reversed(range(len(x))):
        s = s * x[i] + np.sin(x[i])
    return s


@case(vec(lo=-1.0, hi=1.0))
def loop_over_reversed_stepped_range(x):
    s = 1.0
    for i in reversed(range(0, len(x), 2)):
        s = s * np.cos(x[i]) + x[i]
    return s


@case(vec(n=3, lo=-1.0, hi=1.0))
def loop_over_a_dict_display(x):
    s = 0.0
    for i in {2: "a", 0: "b"}:  # its keys
        s = s * x[i] + np.sin(x[i])
    return s


@case(lambda rng: [rng.uniform(-1, 1, (3, 2)), rng.uniform(-1, 1, (3, 2))], wrt=(0, 1))
def loop_over_enumerate_of_zip(ws, xs):
    s = 0.0
    for i, (w, x) in enumerate(zip(ws, xs)):
        s = s * 0.5 + (i + 1.0) * np.sum(np.sin(w * x))
    return s


@case(lambda rng: [rng.uniform(-1, 1, (3, 2)), rng.uniform(-1, 1, (4, 2))], wrt=(0, 1))
def loop_over_enumerate_of_zip_from_two(ws, xs):
    s = 0.0
    for i, (w, x) in enumerate(zip(ws * 2.0, xs), 2):
        s = s + i * np.sum(w * x * x)
    return s


# ----- a loop variable that rebinds a parameter, or the sequence it runs over -----


@case(floats(1.3, 0.5), wrt=(0, 1))
def loop_variable_rebinds_a_parameter(x, t):
    for t in range(2):
        x = x * 2.0 + t
    return x * t


@case(floats(1.3, 0.5, 0), wrt=(0, 1))
def loop_variable_parameter_zero_trips(x, t, n):
    for t in range(n):
        x = x * 2.0
    return x * t


@case(lambda rng: [rng.uniform(-1, 1, (2, 2, 2))])
def loop_target_rebinds_its_sequence(x):
    s = 0.0
    for x in x:
        s = s + np.sum(x * x)
    return s


@case(vec(n=3))
def loop_that_does_nothing(x):
    for i in range(2):
        pass
    return np.sum(x * x)
