"""Logistic regression with L2, trained by gradient descent on data made here.

Shows `ta.value_and_grad`, the generated gradient, and a check against
finite differences.

    python examples/logistic_regression.py
"""

import numpy as np

import tangent_ad as ta


def logistic_loss(w, X, y, l2):
    z = X @ w
    # log(1 + exp(-z)) written stably with logaddexp
    losses = np.logaddexp(0.0, -z) * y + np.logaddexp(0.0, z) * (1.0 - y)
    return np.mean(losses) + l2 * np.sum(w ** 2)


def main():
    rng = np.random.default_rng(1)
    n, d = 2000, 20
    X = rng.normal(size=(n, d))
    y = (X @ rng.normal(size=d) > 0).astype(float)

    step = ta.value_and_grad(logistic_loss)
    print(ta.source(step))

    w = np.zeros(d)
    for epoch in range(100):
        value, d_w = step(w, X, y, 1e-3)
        w -= 1.0 * d_w
        if epoch % 20 == 0 or epoch == 99:
            print(f"epoch {epoch:3d}  loss {value:.5f}")
    print(ta.check_grad(logistic_loss, w, X[:50], y[:50], 1e-3))


if __name__ == "__main__":
    main()
