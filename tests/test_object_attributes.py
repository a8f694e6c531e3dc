"""Differentiating with respect to an object: which attributes count.

The gradient is a dict keyed by attribute name. Three kinds of class broke
it inside the generated code: a class attribute read through the instance
(``self.scale``, KeyError), a class with ``__slots__`` (TypeError), and a
property (KeyError). Class attributes and slots are now data like any
other; a property (any computed attribute) is refused at its line.
"""

import numpy as np
import pytest

import tangent_ad as ta


class Scaled:
    scale = 1.5  # a class attribute, read through the instance

    def __init__(self, W):
        self.W = W

    def predict(self, x):
        return self.W * self.scale * x


class Slotted:
    __slots__ = ("W", "b")

    def __init__(self, W, b):
        self.W = W
        self.b = b

    def predict(self, x):
        return np.tanh(self.W * x + self.b)


class WithProperty:
    def __init__(self, W):
        self.W = W

    @property
    def doubled(self):
        return self.W * 2.0


def scaled_loss(m, x):
    return np.sum(m.predict(x) ** 2)


def slotted_loss(m, x):
    return np.sum(m.predict(x) ** 2)


def property_loss(m, x):
    return np.sum(m.doubled * x)


def _central(fn, m, name, x, eps=1e-6):
    own = name in getattr(m, "__dict__", {name: None}) or hasattr(type(m), "__slots__")
    value = getattr(m, name)
    grad = np.zeros_like(np.asarray(value, dtype=float))
    for i in np.ndindex(grad.shape):
        for sign in (1, -1):
            bumped = np.array(value, dtype=float)
            bumped[i] += sign * eps
            setattr(m, name, bumped if np.ndim(value) else float(bumped))
            grad[i] += sign * fn(m, x) / (2 * eps)
        setattr(m, name, value)
    if not own:
        delattr(m, name)  # back to the class attribute
    return grad


def test_a_class_attribute_read_through_the_instance():
    m, x = Scaled(np.array([0.5, -1.0])), np.array([1.0, 2.0])
    g = ta.grad(scaled_loss)(m, x)
    assert "scale" not in vars(m)  # the class attribute stays the class's
    np.testing.assert_allclose(g["W"], _central(scaled_loss, m, "W", x), rtol=1e-7)
    np.testing.assert_allclose(g["scale"], _central(scaled_loss, m, "scale", x), rtol=1e-7)


def test_a_class_with_slots():
    m, x = Slotted(np.array([0.5, -1.0]), np.array([0.1, 0.2])), np.array([1.0, 2.0])
    g = ta.grad(slotted_loss)(m, x)
    assert set(g) == {"W", "b"}
    for name in ("W", "b"):
        np.testing.assert_allclose(g[name], _central(slotted_loss, m, name, x), rtol=1e-7)
    tangent = {"W": np.array([1.0, 0.0]), "b": np.array([0.0, 1.0])}
    _, t = ta.jvp(slotted_loss)(m, x, tangent)
    assert t == pytest.approx(g["W"][0] + g["b"][1])


@pytest.mark.parametrize("make", [ta.grad, ta.jvp])
def test_a_property_of_a_differentiated_object_is_refused(make):
    m, x = WithProperty(np.array([0.5, -1.0])), np.array([1.0, 2.0])
    with pytest.raises(ta.TangentADError, match="property .doubled of a differentiated object") as info:
        if make is ta.grad:
            make(property_loss)(m, x)
        else:
            make(property_loss)(m, x, {"W": np.ones(2)})
    assert f"test_object_attributes.py:{property_loss.__code__.co_firstlineno + 1}" in str(info.value)


def test_a_property_is_fine_when_the_object_is_not_differentiated():
    m, x = WithProperty(np.array([0.5, -1.0])), np.array([1.0, 2.0])
    np.testing.assert_allclose(ta.grad(property_loss, wrt=(1,))(m, x), m.W * 2.0)


class Activated:
    def __init__(self, w):
        self.w = w

    def act(self, z):
        return np.tanh(z)

    def out(self, x):
        return self.act(self.w * x)


def activated_loss(m, x):
    return m.out(x)


def test_an_instance_attribute_that_replaces_a_method_is_refused():
    # the class's act was inlined while the call ran the instance's
    df = ta.grad(activated_loss, wrt=(1,))
    plain = Activated(2.0)
    assert df(plain, 0.5) == pytest.approx(2.0 * (1.0 - np.tanh(1.0) ** 2))
    replaced = Activated(2.0)
    replaced.act = lambda z: z ** 2
    with pytest.raises(ta.TangentADError, match="own attribute 'act' replaces its class's method") as info:
        df(replaced, 0.5)  # the same types: the cached derivative's fast path
    assert "test_object_attributes.py" in str(info.value)
    assert df(plain, 0.5) == pytest.approx(2.0 * (1.0 - np.tanh(1.0) ** 2))


class BaseModel:
    scale = 3.0

    def __init__(self, w):
        self.w = w

    @staticmethod
    def square(z):
        return z * z

    @classmethod
    def scaled(cls, z):
        return cls.scale * z

    def loss(self, x):
        return np.sum(self.square(self.w * x)) + np.sum(self.scaled(x))


class SubModel(BaseModel):
    scale = 5.0


def inherited_methods(m, x):
    return m.loss(x) + np.sum(m.square(x))


@pytest.mark.parametrize("cls", [BaseModel, SubModel])
def test_inherited_static_and_class_methods(cls):
    # a method defined in a base class, a staticmethod (no self) and a
    # classmethod (bound to the object's own class) are inlined
    x, w = np.array([0.5, 1.3]), np.array([0.1, 0.2])
    expected = 2 * w * w * x + cls.scale + 2 * x
    np.testing.assert_allclose(ta.grad(inherited_methods, wrt=(1,))(cls(w), x), expected)
    d_m, d_x = ta.grad(inherited_methods, wrt=(0, 1))(cls(w), x)
    np.testing.assert_allclose(d_x, expected)
    np.testing.assert_allclose(d_m["w"], 2 * w * x * x)


def test_an_instance_attribute_that_replaces_a_static_method_is_refused():
    m = SubModel(np.array([0.1, 0.2]))
    m.square = lambda z: z
    with pytest.raises(ta.TangentADError, match="replaces its class's method"):
        ta.grad(inherited_methods, wrt=(1,))(m, np.array([0.5, 1.3]))


class MadeUp:
    __slots__ = ("w",)

    def __init__(self, w):
        self.w = w

    def __getattr__(self, name):
        return 5.0

    def loss(self, x):
        return np.sum(self.w * x)


def made_up_loss(q, x):
    return q.loss(x)


def test_an_object_whose_class_makes_up_attributes():
    x, w = np.array([0.5, 1.3]), np.array([0.1, 0.2])
    np.testing.assert_allclose(ta.grad(made_up_loss, wrt=(1,))(MadeUp(w), x), w)
    with pytest.raises(ta.TangentADError, match="__getattr__") as err:
        ta.grad(made_up_loss, wrt=(0, 1))(MadeUp(w), x)
    assert "test_object_attributes.py" in str(err.value)


class Private:
    def __init__(self, w):
        self.__w = w  # stored as _Private__w

    def apply(self, x):
        return np.tanh(x * self.__w)

    def factor(self):
        return 2.0


class Doubled(Private):
    def apply(self, x):
        k = super().factor() + super(Doubled, self).factor()
        return k * np.tanh(x * self._Private__w)


def private_loss(layer, x):
    return np.sum(layer.apply(x))


def test_private_attributes_are_mangled_and_super_finds_its_class(rng):
    x, w = rng.normal(size=3), rng.normal(size=3)
    slope = (1 - np.tanh(x * w) ** 2)
    grads = ta.grad(private_loss)(Private(w), x)
    np.testing.assert_allclose(grads["_Private__w"], slope * x)
    np.testing.assert_allclose(ta.grad(private_loss, wrt=1)(Private(w), x), slope * w)
    # super() in a method differentiated on its own: the generated code has
    # no __class__ cell, so it is written super(Doubled, self)
    vjp = ta.vjp(Doubled.apply, wrt=1)
    np.testing.assert_allclose(vjp(Doubled(w), x, np.ones(3)), 4.0 * slope * w)
    assert "super(Doubled, self)" in ta.source(vjp, Doubled(w), x, np.ones(3))
