"""Straight-line NumPy functions (no control flow): operators, ufuncs,
reductions, broadcasting, matrix products, shapes, losses.

Argument makers receive a seeded generator; values stay inside each
function's domain and away from its kinks.
"""

import numpy as np

from support import catalogue

CASES, case = catalogue()


def vec(n=4, lo=-1.0, hi=1.0):
    return lambda rng: [rng.uniform(lo, hi, n)]


def mat(shape=(3, 4), lo=-1.0, hi=1.0):
    return lambda rng: [rng.uniform(lo, hi, shape)]


def pos(shape=(4,)):
    return lambda rng: [rng.uniform(0.5, 2.0, shape)]


def pair(a, b, lo=0.5, hi=2.0):
    return lambda rng: [rng.uniform(lo, hi, a), rng.uniform(lo, hi, b)]


def floats(*values):
    return lambda rng: list(values)


# ----- Python floats -----


@case(floats(1.3, 0.7), wrt=(0, 1))
def scalar_poly(x, y):
    return 3.0 * x * x - 2.0 * x * y + y ** 3 - 1.5


@case(floats(1.3, 0.7), wrt=(0, 1))
def scalar_division(x, y):
    return x / y - y / (x + 1.0)


@case(floats(1.3, 0.7), wrt=(0, 1))
def scalar_power(x, y):
    return x ** y + 2.0 ** x - y ** 2.5


@case(floats(0.4))
def scalar_unary_minus(x):
    return -x * -(x + 1.0)


@case(floats(0.4, 3))
def scalar_int_argument(x, n):
    return x * n + n


@case(floats(0.4))
def scalar_numpy_ufuncs(x):
    return np.exp(x) + np.log(x + 2.0) + np.sin(x) * np.cos(x) + np.tanh(x)


@case(floats(0.9, 1.7), wrt=(1,))
def scalar_wrt_second(a, b):
    return a * b ** 2


# ----- elementwise ufuncs on arrays -----


@case(vec())
def ufunc_exp(x):
    return np.sum(np.exp(x))


@case(pos())
def ufunc_log(x):
    return np.sum(np.log(x))


@case(pos())
def ufunc_sqrt(x):
    return np.sum(np.sqrt(x))


@case(vec())
def ufunc_sin(x):
    return np.sum(np.sin(x))


@case(vec())
def ufunc_cos(x):
    return np.sum(np.cos(x))


@case(vec())
def ufunc_tan(x):
    return np.sum(np.tan(x))


@case(vec())
def ufunc_tanh(x):
    return np.sum(np.tanh(x))


@case(vec())
def ufunc_sinh(x):
    return np.sum(np.sinh(x))


@case(vec())
def ufunc_cosh(x):
    return np.sum(np.cosh(x))


@case(vec(lo=-0.9, hi=0.9))
def ufunc_arcsin(x):
    return np.sum(np.arcsin(x))


@case(vec(lo=-0.9, hi=0.9))
def ufunc_arccos(x):
    return np.sum(np.arccos(x))


@case(vec())
def ufunc_arctan(x):
    return np.sum(np.arctan(x))


@case(lambda rng: [rng.choice([-1.0, 1.0], 5) * rng.uniform(0.2, 1.0, 5)])
def ufunc_abs(x):
    return np.sum(np.abs(x) * x)


@case(vec())
def ufunc_square(x):
    return np.sum(np.square(x))


@case(pos())
def ufunc_reciprocal(x):
    return np.sum(np.reciprocal(x))


@case(vec())
def ufunc_negative(x):
    return np.sum(np.negative(x) * x)


@case(pair(4, 4), wrt=(0, 1))
def ufunc_power(x, y):
    return np.sum(np.power(x, y))


@case(lambda rng: [rng.uniform(-1, 1, 6), rng.uniform(-1, 1, 6) + 0.05], wrt=(0, 1))
def ufunc_maximum(x, y):
    return np.sum(np.maximum(x, y) ** 2)


@case(lambda rng: [rng.uniform(-1, 1, 6), rng.uniform(-1, 1, 6) + 0.05], wrt=(0, 1))
def ufunc_minimum(x, y):
    return np.sum(np.minimum(x, y) ** 2)


@case(lambda rng: [rng.uniform(-1, 1, 6), rng.uniform(-1, 1, 6)], wrt=(0, 1))
def ufunc_where(x, y):
    return np.sum(np.where(x > 0, x * y, y ** 2))


@case(vec())
def relu_via_maximum(x):
    return np.sum(np.maximum(x, 0.0) * x)


# ----- broadcasting in every operator -----


@case(pair((3, 4), (4,)), wrt=(0, 1))
def broadcast_add_row(x, b):
    return np.sum((x + b) ** 2)


@case(pair((3, 4), (3, 1)), wrt=(0, 1))
def broadcast_sub_column(x, b):
    return np.sum((x - b) ** 2)


@case(pair((3, 4), (4,)), wrt=(0, 1))
def broadcast_mul_row(x, b):
    return np.sum(x * b)


@case(pair((3, 4), (4,)), wrt=(0, 1))
def broadcast_div_row(x, b):
    return np.sum(x / b)


@case(pair((4,), (3, 4)), wrt=(0, 1))
def broadcast_div_lower_rank_numerator(b, x):
    return np.sum(b / x)


@case(pair((3, 4), (4,)), wrt=(0, 1))
def broadcast_pow_row(x, p):
    return np.sum(x ** p)


@case(pair((3, 1), (1, 4)), wrt=(0, 1))
def broadcast_outer_sum(a, b):
    return np.sum(np.sin(a + b) * (a * b))


@case(lambda rng: [rng.uniform(0.5, 2, (3, 4)), 1.7], wrt=(0, 1))
def broadcast_scalar_argument(x, s):
    return np.sum(x / s + s ** x)


@case(pair((2, 3, 4), (3, 1)), wrt=(0, 1))
def broadcast_3d(x, b):
    return np.sum(np.exp(x * b))


@case(pair((2, 3), (2, 3)), wrt=(0, 1))
def same_shape_product(x, y):
    return np.sum(x * y / (x + y))


# ----- reductions -----


@case(mat())
def sum_axis0(x):
    return np.sum(np.sum(x, axis=0) ** 2)


@case(mat())
def sum_axis1_keepdims(x):
    return np.sum((x - np.sum(x, axis=1, keepdims=True)) ** 2)


@case(mat((2, 3, 4)))
def sum_negative_axis(x):
    return np.sum(np.sum(x, axis=-1) ** 2)


@case(mat((2, 3, 4)))
def sum_axis_tuple(x):
    return np.sum(np.sum(x, axis=(0, 2)) ** 2)


@case(mat())
def mean_all(x):
    return np.mean(x ** 2)


@case(mat())
def mean_axis0(x):
    return np.sum(np.mean(x, axis=0) ** 3)


@case(mat())
def mean_keepdims(x):
    return np.sum((x - np.mean(x, axis=1, keepdims=True)) ** 2)


@case(mat())
def method_sum(x):
    return (x * x).sum()


@case(mat())
def method_sum_axis(x):
    return np.sum(x.sum(axis=1) ** 2)


@case(mat())
def method_mean_keepdims(x):
    return np.sum(x.mean(axis=0, keepdims=True) * x)


# ----- matrix products -----


@case(pair((3, 4), (4, 2), -1, 1), wrt=(0, 1))
def matmul_2d(a, b):
    return np.sum(np.tanh(a @ b))


@case(pair((4,), (4, 2), -1, 1), wrt=(0, 1))
def matmul_vector_matrix(v, m):
    return np.sum((v @ m) ** 2)


@case(pair((3, 4), (4,), -1, 1), wrt=(0, 1))
def matmul_matrix_vector(m, v):
    return np.sum((m @ v) ** 2)


@case(pair((4,), (4,), -1, 1), wrt=(0, 1))
def matmul_vector_vector(u, v):
    return (u @ v) ** 2


@case(pair((2, 3, 4), (2, 4, 5), -1, 1), wrt=(0, 1))
def matmul_batched(a, b):
    return np.sum(np.matmul(a, b) ** 2)


@case(pair((2, 3, 4), (4, 5), -1, 1), wrt=(0, 1))
def matmul_batched_broadcast(a, b):
    return np.sum((a @ b) ** 2)


@case(pair((3, 4), (4, 2), -1, 1), wrt=(0, 1))
def dot_2d(a, b):
    return np.sum(np.dot(a, b) ** 2)


@case(pair((4,), (4,), -1, 1), wrt=(0, 1))
def dot_1d(u, v):
    return np.dot(u, v) * np.dot(u, u)


@case(pair((3, 4), (4,), -1, 1), wrt=(0, 1), autograd=False)  # autograd's boxes lack .dot
def method_dot(a, v):
    return np.sum(a.dot(v) ** 2)


# ----- shapes -----


@case(mat())
def transpose_attribute(x):
    return np.sum(x.T @ x)


@case(mat((2, 3, 4)))
def transpose_axes(x):
    return np.sum(np.transpose(x, (2, 0, 1)) * np.arange(24.0).reshape(4, 2, 3))


@case(mat())
def transpose_function(x):
    return np.sum(np.transpose(x) ** 2 * np.arange(12.0).reshape(4, 3))


@case(mat())
def reshape_function(x):
    return np.sum(np.reshape(x, (2, 6)) * np.arange(12.0).reshape(2, 6))


@case(mat())
def reshape_method(x):
    return np.sum(x.reshape(6, 2) ** 2 * np.arange(12.0).reshape(6, 2))


@case(mat())
def reshape_method_tuple(x):
    return np.sum(x.reshape((12,)) * np.arange(12.0))


# ----- losses written with these -----


@case(lambda rng: [rng.normal(size=(5, 3)), np.eye(3)[rng.integers(0, 3, 5)]])
def softmax_cross_entropy(logits, onehot):
    shifted = logits - np.max(logits, axis=1, keepdims=True)
    log_probs = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
    return -np.mean(np.sum(onehot * log_probs, axis=1))


@case(vec(6))
def logsumexp(x):
    m = np.max(x)
    return m + np.log(np.sum(np.exp(x - m)))


@case(lambda rng: [rng.normal(size=3), rng.normal(size=(10, 3)), rng.integers(0, 2, 10).astype(float)])
def logistic_regression(w, X, y):
    z = X @ w
    p = 1.0 / (1.0 + np.exp(-z))
    return -np.mean(y * np.log(p) + (1.0 - y) * np.log(1.0 - p)) + 0.01 * np.sum(w ** 2)


@case(lambda rng: [rng.normal(size=(4, 3)), rng.normal(size=4), rng.normal(size=(6, 4))], wrt=(0, 1))
def dense_layer_squared_error(W, b, x):
    h = np.tanh(x @ W + b[:3] * 0.0 + np.sum(b) * 0.1)
    return np.sum(h ** 2)


@case(lambda rng: [rng.normal(size=(3, 4)), rng.normal(size=4), rng.normal(size=(5, 3))], wrt=(0, 1))
def dense_layer(W, b, x):
    return np.sum(np.tanh(x @ W + b) ** 2)


@case(vec(5))
def variance_by_hand(x):
    mu = np.mean(x)
    return np.mean((x - mu) ** 2)


@case(lambda rng: [rng.uniform(0.5, 1.5, 4), rng.uniform(0.5, 1.5, 4)], wrt=(0, 1))
def cosine_similarity(u, v):
    return np.dot(u, v) / (np.sqrt(np.sum(u * u)) * np.sqrt(np.sum(v * v)))


@case(vec(6))
def reassigned_variable(x):
    y = x * 2.0
    y = np.sin(y) + y
    y = y * x
    return np.sum(y)


@case(floats(0.3, 1.2), wrt=(0,))
def unused_argument(x, unused):
    return x * 3.0


@case(vec(3))
def constant_output(x):
    return 2.0 + 0.0 * np.sum(x)


@case(vec(4))
def inactive_intermediates(x):
    n = len(x)
    scale = 1.0 / n
    shape = x.shape
    return scale * np.sum(x ** 2) + shape[0]


# ----- masks and integer factors: 1.0 * mask is a float array, not the mask -----


def _away_from(*kinks):
    def make(rng):
        x = rng.uniform(-2.0, 2.0, 8)
        for kink in kinks:
            x = np.where(np.abs(x - kink) < 0.1, x + 0.25, x)
        return [x]

    return make


@case(_away_from(0.0, 1.0))
def relu_masks_added(x):
    return np.sum(x * (x > 0)) + np.sum(x * (x > 1))


@case(_away_from(0.0))
def integer_weights_and_a_mask(x):
    k = np.arange(1, 9)
    return np.sum(x * k) + np.sum(x * (x > 0))
