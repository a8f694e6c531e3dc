"""Quick start: differentiate a NumPy loss, read the generated gradient, use it.

Fits a logistic-regression model to data made here (no downloads), with the
gradient tangent_ad writes as plain Python.

    python examples/quickstart.py
"""

import numpy as np

import tangent_ad as ta


def loss(w, b, X, y):
    """Mean logistic loss with a little L2 regularisation."""
    z = X @ w + b
    p = 1.0 / (1.0 + np.exp(-z))
    data = -np.mean(y * np.log(p) + (1.0 - y) * np.log(1.0 - p))
    return data + 1e-3 * np.sum(w * w)


def make_data(rng, n=500, d=5):
    X = rng.normal(size=(n, d))
    true_w = rng.normal(size=d)
    y = (X @ true_w + 0.3 * rng.normal(size=n) > 0).astype(float)
    return X, y


def main():
    rng = np.random.default_rng(0)
    X, y = make_data(rng)
    d_loss = ta.grad(loss, wrt=("w", "b"))
    w, b = np.zeros(X.shape[1]), 0.0

    print("The gradient tangent_ad generated for `loss`, specialised to these")
    print("arguments (a vector w, a float b, a matrix X, a vector y):\n")
    print(ta.source(d_loss, w, b, X, y))

    for step in range(201):
        d_w, d_b = d_loss(w, b, X, y)
        w -= 0.5 * d_w
        b -= 0.5 * d_b
        if step % 40 == 0:
            print(f"step {step:3d}   loss {loss(w, b, X, y):.4f}")

    accuracy = np.mean(((X @ w + b) > 0) == (y > 0.5))
    print(f"\ntraining accuracy {accuracy:.3f}")
    print("gradient check against central finite differences:")
    print(ta.check_grad(loss, w, b, X, y, wrt=("w", "b")))


if __name__ == "__main__":
    main()
