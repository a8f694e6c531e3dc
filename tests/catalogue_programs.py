"""Whole programs: user functions calling user functions (issue 5).

Calls are inlined: module-level helpers, helpers in another module
(`programs_helpers`, which reads its own constants), closures over arrays
and over functions, `functools.partial`, nested `def` and lambdas, methods
of objects passed as arguments, recursion of constant depth, default and
keyword arguments, and containers (lists of tuples, nested dicts) as
arguments, intermediates and return values of callees.

Every entry is a `support.Case`; `test_programs.check_program` compares the
gradient (optimised and not) with central finite differences on every leaf
of container arguments, and with autograd unless the entry says why not.
"""

import functools

import numpy as np

import programs_helpers
from programs_helpers import huber, shifted_tanh
from support import Case

CASES = []


def case(make, wrt=(0,), autograd=True, rtol=1e-5, atol=1e-7, id=None):
    """Register the decorated function (or, via `register`, any callable)."""

    def decorate(fn):
        CASES.append(Case(fn, make, wrt, autograd, rtol, atol, id=id or fn.__name__))
        return fn

    return decorate


def register(fn, make, id, **options):
    case(make, id=id, **options)(fn)


# ----- argument makers -----


def normal(*shape, scale=1.0):
    return lambda rng: rng.normal(0.0, scale, shape)


def args(*makers):
    """An argument maker from one maker per argument (constants pass through)."""
    return lambda rng: [m(rng) if callable(m) else m for m in makers]


def layers(sizes, rng, kind=tuple):
    return [
        kind((rng.normal(0.0, 1.0 / np.sqrt(a), (a, b)), rng.normal(0.0, 0.1, b)))
        for a, b in zip(sizes[:-1], sizes[1:])
    ]


def onehot(rng, n, k):
    return np.eye(k)[rng.integers(0, k, n)]


# ----- shared helpers (inlined at every call) -----


def dense(x, W, b):
    return np.tanh(x @ W + b)


def affine(x, W, b, scale=1.0):
    return scale * (x @ W) + b


def leaky(z, *, slope=0.1):
    return np.maximum(z, slope * z)


def log_softmax(z):
    shifted = z - np.max(z, axis=-1, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=-1, keepdims=True))


def rnn_cell(x, h, Wx, Wh, b):
    return np.tanh(x @ Wx + h @ Wh + b)


def moments(x):
    mean = np.mean(x)
    centred = x - mean
    return mean, np.mean(centred * centred)


# ----- multi-layer perceptrons: parameters as containers -----


def mlp_batch(rng):
    x = rng.normal(size=(6, 4))
    return [layers((4, 5, 4, 3), rng), x, onehot(rng, 6, 3)]


@case(mlp_batch)
def mlp3_list_of_tuples(params, x, targets):
    h = x
    for W, b in params:
        h = dense(h, W, b)
    return -np.mean(np.sum(targets * log_softmax(h), axis=-1))


@case(mlp_batch)
def mlp3_indexed_layers(params, x, targets):
    h = dense(x, params[0][0], params[0][1])
    h = dense(h, params[1][0], params[1][1])
    logits = affine(h, params[2][0], params[2][1])
    return programs_helpers.cross_entropy(logits, targets)


@case(mlp_batch)
def mlp3_range_len(params, x, targets):
    h = x
    for i in range(len(params)):
        W, b = params[i]
        h = dense(h, W, b)
    return -np.mean(np.sum(targets * log_softmax(h), axis=-1))


@case(mlp_batch)
def mlp3_last_layer_linear(params, x, targets):
    h = x
    for W, b in params[:-1]:
        h = leaky(affine(h, W, b))
    W_out, b_out = params[-1]
    return programs_helpers.cross_entropy(affine(h, W_out, b_out), targets)


@case(lambda rng: [layers((3, 4, 2), rng, kind=list), rng.normal(size=(5, 3))])
def mlp_list_of_lists(params, x):
    h = x
    for layer in params:
        h = dense(h, layer[0], layer[1])
    return np.sum(h * h)


def weights_and_biases(rng):
    Ws = [rng.normal(size=(3, 3)) for _ in range(3)]
    bs = [rng.normal(size=3) * 0.1 for _ in range(3)]
    return [Ws, bs, rng.normal(size=(4, 3))]


@case(weights_and_biases)
def mlp_zip_weights_biases(Ws, bs, x):
    h = x
    for W, b in zip(Ws, bs):
        h = dense(h, W, b)
    return np.sum(h ** 2)


# ----- dicts of parameters -----


def dict_params(rng):
    p = {"W1": normal(3, 4)(rng), "b1": normal(4)(rng), "W2": normal(4, 2)(rng), "b2": normal(2)(rng)}
    return [p, rng.normal(size=(5, 3)), rng.normal(size=(5, 2))]


@case(dict_params)
def dict_of_parameters_model(p, x, y):
    h = dense(x, p["W1"], p["b1"])
    pred = affine(h, p["W2"], p["b2"])
    return programs_helpers.squared_error(pred, y)


def two_layer_dict(p, x):
    h = np.tanh(x @ p["W1"] + p["b1"])
    return h @ p["W2"] + p["b2"]


@case(dict_params, wrt=("p", "x"))
def dict_params_passed_to_helper(p, x, y):
    return huber(two_layer_dict(p, x) - y, delta=0.5)


@case(dict_params)
def dict_cache_of_activations(p, x, y):
    # new keys stored into a dict the function makes, read back later: a
    # store replaces an item (nothing saved; the key did not exist before)
    cache = {}
    cache["z1"] = x @ p["W1"] + p["b1"]
    cache["a1"] = np.tanh(cache["z1"])
    cache["z2"] = cache["a1"] @ p["W2"] + p["b2"]
    return np.mean((cache["z2"] - y) ** 2) + 0.1 * np.sum(cache["a1"] * cache["z1"])


@case(args(normal(3)))
def dict_items_overwritten_in_a_loop(x):
    d = {}
    for i in range(4):
        d[i % 2] = np.sin(x * (i + 1))
        x = d[i % 2] * x
    return np.sum(x) + np.sum(d[0] * d[1])


@case(dict_params)
def dict_copied_then_updated(p, x, y):
    q = dict(p)  # a new dict: storing into it leaves p as it was
    q["W1"] = q["W1"] * 2.0
    return np.mean((affine(dense(x, q["W1"], q["b1"]), q["W2"], q["b2"]) - y) ** 2)


@case(args(normal(3, 3), normal(2, 3)))
def comprehension_slots_filled_in_a_loop(W, x):
    outs = [np.zeros(W.shape[1]) for _ in range(3)]
    h = x
    for t in range(3):
        h = np.tanh(h @ W)
        outs[t] = h * (t + 1)
    return np.sum(np.stack(outs) ** 2)


def nested_dict_params(rng):
    return [
        {
            "encoder": {"W": normal(3, 4)(rng), "b": normal(4)(rng)},
            "decoder": {"W": normal(4, 3)(rng), "b": normal(3)(rng)},
            "gain": 1.3,
        },
        rng.normal(size=(5, 3)),
    ]


@case(nested_dict_params)
def nested_dict_autoencoder(p, x):
    code = dense(x, p["encoder"]["W"], p["encoder"]["b"])
    recon = affine(code, p["decoder"]["W"], p["decoder"]["b"], scale=p["gain"])
    return np.mean((recon - x) ** 2)


@case(lambda rng: [{"a": rng.normal(size=3), "b": rng.normal(size=3)}])
def dict_items_loop(p):
    total = 0.0
    for key, value in p.items():
        total = total + np.sum(value * value)
    return total


@case(lambda rng: [{"a": rng.normal(size=3), "b": rng.normal(size=3)}])
def dict_key_loop(p):
    total = 0.0
    for key in p:
        total = total + np.sum(p[key] * p[key])
    return total


@case(lambda rng: [{"a": rng.normal(size=3), "b": rng.normal(size=3), "unused": rng.normal(size=2)}])
def dict_constant_key_loop(p):
    total = 0.0
    for key in ("a", "b"):
        total = total + np.sum(np.sin(p[key]))
    return total * p["a"][0]


def make_layer(p):
    return {"W": p["W"] * 2.0, "b": p["b"]}


@case(lambda rng: [{"W": rng.normal(size=(3, 2)), "b": rng.normal(size=2)}, rng.normal(size=(4, 3))])
def dict_built_by_callee(p, x):
    q = make_layer(p)
    return np.sum(dense(x, q["W"], q["b"]))


# ----- a small class-based model -----


class Linear:
    def __init__(self, W, b):
        self.W = W
        self.b = b

    def predict(self, x):
        return np.tanh(x @ self.W + self.b)

    def loss(self, x, y):
        return programs_helpers.squared_error(self.predict(x), y)


class TwoLayer:
    def __init__(self, W1, W2, scale):
        self.W1 = W1
        self.W2 = W2
        self.scale = scale

    def hidden(self, x):
        return leaky(x @ self.W1, slope=0.2)

    def output(self, x):
        return self.scale * (self.hidden(x) @ self.W2)

    def loss(self, x, y, weight=0.5):
        diff = self.output(x) - y
        return weight * np.sum(diff * diff)


def linear_model(rng):
    return [Linear(normal(3, 2)(rng), normal(2)(rng)), rng.normal(size=(4, 3)), rng.normal(size=(4, 2))]


def two_layer_model(rng):
    model = TwoLayer(normal(3, 4)(rng), normal(4, 2)(rng), 0.8)
    return [model, rng.normal(size=(5, 3)), rng.normal(size=(5, 2))]


# autograd cannot take the gradient w.r.t. an object; test_programs wraps it
# as a function of the object's attribute dict.
@case(linear_model)
def class_model_loss(model, x, y):
    return model.loss(x, y)


@case(two_layer_model)
def class_method_calls_method(model, x, y):
    return model.loss(x, y, weight=0.25)


@case(two_layer_model, wrt=(1,))
def class_model_wrt_input(model, x, y):
    return model.loss(x, y)


class Sequential:
    """Layers as an attribute holding a list of (W, b) tuples."""

    def __init__(self, layers, gain):
        self.layers = layers
        self.gain = gain

    def forward(self, x):
        h = x
        for W, b in self.layers:
            h = dense(h, W, b)
        return self.gain * h

    def loss(self, x):
        return np.mean(self.forward(x) ** 2)


@case(lambda rng: [Sequential(layers((3, 4, 3), rng), 0.7), rng.normal(size=(5, 3))])
def class_with_list_of_layers(model, x):
    return model.loss(x) + 0.1 * model.gain ** 2


# ----- calls into another module -----


@case(args(normal(4, 3), normal(4, 3)))
def other_module_helper(pred, target):
    return programs_helpers.squared_error(pred, target)


@case(args(normal(5, 3)))
def other_module_constant_array(x):
    return np.sum(shifted_tanh(x) ** 2)


@case(args(normal(4, 3), normal(5, 3), normal(5, 2)), wrt=(0, 1, 2))
def other_module_attention_calls_softmax(q, k, v):
    return np.sum(programs_helpers.attention(q, k, v) ** 2)


@case(args(normal(3)))
def other_module_branch_on_its_flag(x):
    return np.sum(programs_helpers.gated_square(x))


@case(args(normal(2, 1)))
def other_module_array_broadcast(x):
    return np.sum(programs_helpers.scaled_columns(x)) + np.sum(x * programs_helpers.SCALES)


ROWS = np.array([[10.0, 20.0], [30.0, 40.0]])  # not the one `scaled_by_rows` loops over


@case(args(normal(3)))
def other_module_loops_over_its_own_rows(x):
    return np.sum(programs_helpers.scaled_by_rows(x) ** 2)


def _row_scaler():
    ROWS = np.array([[0.9, 0.1], [1.2, -0.3]])

    def scale(x):
        h = x
        for row in ROWS:  # the closure's ROWS, not this module's
            h = np.tanh(h * row[0] + row[1])
        return h

    return scale


row_scaler = _row_scaler()


@case(args(normal(3)))
def closure_loops_over_captured_rows(x):
    return np.sum(row_scaler(x) ** 2)


@case(args(normal(6, scale=2.0)))
def imported_helper_with_default(r):
    return huber(r) + huber(r, 0.5) + huber(r, delta=2.0)


# ----- recursion of constant depth -----


def tree(x, depth):
    if depth == 0:
        return np.sin(x)
    return tree(np.tanh(x), depth - 1) * np.cos(x)


def power(x, n):
    if n == 0:
        return 1.0
    return x * power(x, n - 1)


def branching(x, depth):
    if depth == 0:
        return x
    return branching(np.sin(x), depth - 1) + branching(np.cos(x), depth - 1)


@case(args(normal(4)))
def recursion_fixed_depth(x):
    return np.sum(tree(x, 3))


@case(args(normal(3), 1.3), wrt=(0, 1))
def recursion_keyword_depth(x, a):
    return np.sum(power(x, n=4)) + power(a, 3)


@case(args(normal(3)))
def recursion_two_branches(x):
    return np.sum(branching(x, 2))


# ----- closures over arrays and over functions -----


def make_projection_loss(W):
    def loss(x):
        return np.sum(np.tanh(x @ W) ** 2)

    return loss


def make_composed(act, W):
    def loss(x):
        return np.sum(act(x @ W))

    return loss


def make_scaler(factor):
    def scale(x):
        return factor * x

    return scale


SCALE_BY_THREE = make_scaler(np.array([3.0, -1.0, 0.5]))


def softplus(z):
    return np.log(1.0 + np.exp(z))


PROJECTION = np.linspace(-1.0, 1.0, 12).reshape(4, 3)
register(make_projection_loss(PROJECTION), args(normal(5, 4)), "closure_over_array")
register(make_composed(softplus, PROJECTION[:3, :2]), args(normal(4, 3)), "closure_over_function")
register(make_composed(shifted_tanh, np.eye(3) * 0.5), args(normal(2, 3)), "closure_over_other_module_function")


@case(args(normal(4, 3)))
def calls_module_level_closure(x):
    return np.sum(SCALE_BY_THREE(x) * x)


# ----- nested def and lambda -----


@case(args(normal(4, 3), normal(3, 3)), wrt=(0, 1))
def nested_def_reads_enclosing(x, W):
    bias = np.sum(W, axis=0)

    def layer(h, gain=1.0):
        return np.tanh(gain * (h @ W) + bias)

    return np.sum(layer(layer(x), gain=0.5))


@case(args(normal(5), 0.7), wrt=(0, 1))
def lambda_helper(x, a):
    act = lambda z: np.tanh(a * z) + z * z  # noqa: E731 - lambdas are the point
    return np.sum(act(x) * act(2.0 * x))


@case(args(normal(4)))
def nested_def_calls_module_helper(x):
    def block(z):
        return softplus(z) - z

    return np.sum(block(block(x)))


# ----- functools.partial -----


LAYER_WITH_HALF_SCALE = functools.partial(affine, scale=0.5)
HUBER_TIGHT = functools.partial(huber, delta=0.25)
DENSE_FROM_ONES = functools.partial(dense, np.ones((2, 3)))


@case(args(normal(4, 3), normal(3, 2), normal(2)), wrt=(0, 1, 2))
def partial_keyword(x, W, b):
    return HUBER_TIGHT(LAYER_WITH_HALF_SCALE(x, W, b))


@case(args(normal(3, 4), normal(4)), wrt=(0, 1))
def partial_positional(W, b):
    return np.sum(DENSE_FROM_ONES(W, b) ** 2)


# ----- default and keyword arguments -----


def scaled_norm(x, power=2, scale=1.0, *, offset=0.0):
    return scale * np.sum(np.abs(x + offset) ** power)


@case(args(normal(4), normal(4)), wrt=(0, 1))
def keyword_arguments_any_order(x, y):
    a = scaled_norm(x)
    b = scaled_norm(y, scale=0.5, power=3)
    c = scaled_norm(offset=1.5, x=x * y)
    return a + b + c


@case(args(normal(3, 4), normal(4, 2), normal(2)), wrt=("W", "b"))
def keyword_call_of_helper(x, W, b):
    return np.sum(affine(b=b, W=W, x=x) ** 2)


@case(mlp_batch, wrt="params")
def wrt_by_keyword_name(params, x, targets):
    h = x
    for W, b in params:
        h = dense(h, W, b)
    return programs_helpers.cross_entropy(h, targets)


@case(mlp_batch, wrt=("x", "params"))
def wrt_two_names(params, x, targets):
    h = x
    for W, b in params:
        h = dense(h, W, b)
    return programs_helpers.cross_entropy(h, targets)


# ----- tuples, lists and dicts returned by callees -----


@case(args(normal(6)))
def tuple_unpacking_of_return(x):
    mean, var = moments(x)
    return mean * mean + var


def lstm_like_cell(x, h, c, W):
    z = np.concatenate([x, h]) @ W
    gate = 1.0 / (1.0 + np.exp(-z[:3]))
    c_new = gate * c + (1.0 - gate) * np.tanh(z[3:])
    return np.tanh(c_new), c_new


@case(args(normal(4, 3), normal(6, 6)), wrt=(0, 1))
def tuple_state_through_loop(xs, W):
    h = np.zeros(3)
    c = np.zeros(3)
    for t in range(4):
        h, c = lstm_like_cell(xs[t], h, c, W)
    return np.sum(h) + np.sum(c * c)


def lstm_cell_closed_slices(x, h, c, W):
    z = np.concatenate([x, h]) @ W
    gate = 1.0 / (1.0 + np.exp(-z[0:3]))
    c_new = gate * c + (1.0 - gate) * np.tanh(z[3:6])
    return np.tanh(c_new), c_new


@case(args(normal(4, 3), normal(6, 6)), wrt=(0, 1))
def tuple_state_through_loop_closed_slices(xs, W):
    h = np.zeros(3)
    c = np.zeros(3)
    for t in range(4):
        h, c = lstm_cell_closed_slices(xs[t], h, c, W)
    return np.sum(h) + np.sum(c * c)


def summary(x):
    return {"mean": np.mean(x), "max": np.max(x), "sq": x * x}


@case(args(normal(5)))
def dict_returned_by_callee(x):
    s = summary(x)
    return s["mean"] * s["max"] + np.sum(s["sq"])


def pieces(x):
    return [x[:2], x[2:] * 2.0, np.sum(x)]


@case(args(normal(5)))
def list_returned_by_callee(x):
    parts = pieces(x)
    return np.sum(parts[0] ** 2) + np.sum(np.sin(parts[1])) + parts[2] * parts[-1]


def closed_pieces(x):
    return [x[:2], x[2:5] * 2.0, np.sum(x)]


@case(args(normal(5)))
def list_returned_by_callee_closed_slices(x):
    parts = closed_pieces(x)
    return np.sum(parts[0] ** 2) + np.sum(np.sin(parts[1])) + parts[2] * parts[-1]


@case(args(normal(5)))
def open_slice_in_helper(x):
    return np.sum(np.sin(pieces(x)[1]))


def nested_pair(x, y):
    return (x * y, x + y), np.sum(x - y)


@case(args(normal(3), normal(3)), wrt=(0, 1))
def nested_tuple_return(x, y):
    (prod, total), diff = nested_pair(x, y)
    return np.sum(prod * total) + diff ** 2


def tuple_args(rng):
    return [(rng.normal(size=3), 0.6), rng.normal(size=3)]


@case(tuple_args)
def tuple_argument_with_float_leaf(pair, x):
    w, gain = pair
    return gain * np.sum(np.tanh(w * x)) + gain ** 2


# ----- list.append then np.stack; comprehensions -----


@case(args(normal(3), normal(3, 3)), wrt=(0, 1))
def append_in_loop_then_stack(x, W):
    outputs = []
    h = x
    for t in range(4):
        h = dense(h, W, 0.1 * t)
        outputs.append(h)
    return np.sum(np.stack(outputs) ** 2)


@case(lambda rng: [[rng.normal(size=(3, 2)) for _ in range(4)], rng.normal(size=3)], wrt=(0, 1))
def comprehension_over_weights(ws, x):
    outs = [x @ w for w in ws]
    return np.sum(np.stack(outs) ** 2)


@case(mlp_batch, wrt=(0, 1))
def comprehension_calls_helper(params, x, targets):
    heads = [dense(x[:, :3], W[:3, :3], b[:3]) for W, b in params[:2]]
    return np.sum(heads[0] * heads[1]) + np.sum(targets * x[:, :3])


@case(lambda rng: [[rng.normal(size=4) for _ in range(3)]])
def enumerate_list_argument(vs):
    total = 0.0
    for i, v in enumerate(vs):
        total = total + (i + 1.0) * np.sum(np.sin(v))
    return total


# ----- helpers in loops; control flow inside helpers -----


def rnn_args(rng):
    xs = rng.normal(size=(5, 3))
    return [xs, normal(3, 4, scale=0.5)(rng), normal(4, 4, scale=0.5)(rng), normal(4)(rng)]


@case(rnn_args, wrt=(0, 1, 2, 3))
def rnn_cell_in_loop(xs, Wx, Wh, b):
    h = np.zeros(4)
    for t in range(xs.shape[0]):
        h = rnn_cell(xs[t], h, Wx, Wh, b)
    return np.sum(h ** 2)


def cell_from_dict(x, h, p):
    return np.tanh(x @ p["Wx"] + h @ p["Wh"])


def rnn_dict_args(rng):
    return [rng.normal(size=(4, 3)), {"Wx": normal(3, 2)(rng), "Wh": normal(2, 2)(rng)}]


@case(rnn_dict_args, wrt=(0, 1))
def rnn_cell_with_dict_params(xs, p):
    h = np.zeros(2)
    states = []
    for x in xs:
        h = cell_from_dict(x, h, p)
        states.append(h)
    return np.sum(np.stack(states)[-1]) + np.sum(np.stack(states) ** 2)


def clipped_log(x):
    if np.min(x) <= 0.0:
        return np.sum(x)
    return np.sum(np.log(x))


@case(args(lambda rng: rng.uniform(0.5, 2.0, 4), lambda rng: rng.uniform(-2.0, -0.5, 4)), wrt=(0, 1))
def early_return_in_helper(pos, neg):
    return clipped_log(pos) * 2.0 + clipped_log(neg)


def polynomial(x, coeffs):
    total = np.zeros_like(x)
    power = np.ones_like(x)
    for c in coeffs:
        if c > 0.0:
            total = total + c * power
        else:
            total = total - c * np.sin(power)
        power = power * x
    return total


@case(args(normal(4), lambda rng: np.array([0.5, -1.0, 2.0, -0.3])), wrt=(0, 1))
def helper_with_loop_and_branch(x, coeffs):
    return np.sum(polynomial(x, coeffs) ** 2)


def step(x):
    return 0.5 * x + 0.1 * np.sin(x)


@case(args(lambda rng: rng.uniform(1.0, 2.0, 3)))
def helper_in_while_loop(x):
    while np.max(np.abs(x)) > 0.2:
        x = step(x)
    return np.sum(x ** 2)


@case(args(normal(4), 0.3), wrt=(0, 1))
def helper_in_branch(x, a):
    if a > 0.0:
        y = dense(x, np.eye(4) * a, 0.0)
    else:
        y = softplus(x)
    return np.sum(y)


def contract(x, rate):
    steps = 0
    while np.sum(x * x) > 0.05 and steps < 20:
        x = x * rate + 0.01 * np.sin(x)
        steps = steps + 1
    return x


@case(args(lambda rng: rng.uniform(0.5, 1.0, 3), 0.6), wrt=(0, 1))
def helper_with_while_called_twice(v, rate):
    y = contract(v, rate)
    z = contract(2.0 * v + y, rate * 0.9)
    return np.sum(y * z)


def contract_copy(x, rate):
    y = x
    steps = 0
    while np.sum(y * y) > 0.05 and steps < 20:
        y = y * rate + 0.01 * np.sin(y)
        steps = steps + 1
    return y


@case(args(lambda rng: rng.uniform(0.5, 1.0, 3), 0.6), wrt=(0, 1))
def helper_with_while_called_twice_no_rebinding(v, rate):
    y = contract_copy(v, rate)
    z = contract_copy(2.0 * v + y, rate * 0.9)
    return np.sum(y * z)


@case(args(lambda rng: rng.uniform(0.5, 1.0, 3), 0.6), wrt=(0, 1))
def helper_with_while_same_parameter_name(x, rate):
    y = contract(x, rate)
    return np.sum(y * x)


@case(args(lambda rng: rng.uniform(0.5, 1.0, 3), 0.6), wrt=(0, 1))
def while_in_caller_and_in_helper(v, rate):
    w = v
    while np.sum(w * w) < 10.0:
        w = w * 1.7
    return np.sum(contract_copy(w, rate) * v)


def first_large(x):
    y = x
    for i in range(10):
        if np.sum(y * y) > 4.0:
            break
        y = y * 1.5
    return y


@case(args(lambda rng: rng.uniform(0.5, 1.0, 3)))
def helper_with_break_called_twice(v):
    return np.sum(first_large(v) * first_large(0.5 * v))


@case(args(lambda rng: rng.uniform(0.5, 1.0, 3)))
def helper_with_break_called_once(v):
    return np.sum(first_large(v) * v)


def simulate_step(state, dt, k):
    pos, vel = state
    acc = -k * pos - 0.1 * vel
    return pos + dt * vel, vel + dt * acc


@case(args(lambda rng: (rng.normal(size=2), rng.normal(size=2)), 0.8), wrt=(0, 1))
def physics_tuple_state(state, k):
    for t in range(5):
        state = simulate_step(state, 0.1, k)
    pos, vel = state
    return np.sum(pos ** 2) + 0.5 * np.sum(vel ** 2)


# ----- renaming, nesting and argument expressions -----


def inner_square(x):
    y = x * x
    return y


def middle(x):
    y = inner_square(x) + 1.0
    t = np.log(y)
    return t


def outer(x):
    y = middle(x) * middle(2.0 * x)
    return y


@case(args(normal(4)))
def three_levels_same_local_names(x):
    y = outer(x)
    t = y + inner_square(x)
    return np.sum(t)


def reassigns_parameter(x, n):
    for i in range(n):
        x = np.sin(x) + x
    return x


@case(args(normal(3)))
def helper_reassigns_its_parameter(x):
    y = reassigns_parameter(x, 2)
    return np.sum(y) + np.sum(x)


@case(args(normal(4, 3), normal(3, 2), normal(2)), wrt=(0, 1, 2))
def expression_arguments(x, W, b):
    return np.sum(dense(x * 2.0, W.T.T, b + 1.0) * dense(x, -W, np.exp(b)))


@case(args(1.3, 0.4), wrt=(0, 1))
def scalar_helpers(a, b):
    return power(a, 2) * softplus(b) + scaled_norm(np.array([a, b]), power=2, scale=0.5)


def reassigns_and_returns(x):
    x = np.sin(x)
    return x


@case(args(normal(3)))
def helper_rebinds_parameter_minimal(x):
    return np.sum(reassigns_and_returns(x))


def apply_twice(fn, x):
    return fn(fn(x))


@case(args(normal(3)))
def helper_takes_function_argument(x):
    return np.sum(apply_twice(softplus, x))


@case(args(normal(2)))
def lambda_reads_the_name_its_result_rebinds(x):
    s = x[0]
    g = lambda a: a * s  # noqa: E731
    s = g(x[1])
    return s * s


@case(args(normal(3)))
def nested_def_in_a_loop_reads_the_name_it_rebinds(x):
    s = 0.5
    for i in range(3):
        def g(a):
            return np.sin(a + s) * s

        s = g(x[i])
    return s
