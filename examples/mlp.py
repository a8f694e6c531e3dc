"""A small tanh MLP with softmax cross-entropy, trained by gradient descent.

The data are three interleaved spirals made here (no downloads). The script
prints the generated backward code, then the falling loss.

    python examples/mlp.py
"""

import numpy as np

import tangent_ad as ta


def mlp_loss(W1, b1, W2, b2, W3, b3, x, onehot):
    h1 = np.tanh(x @ W1 + b1)
    h2 = np.tanh(h1 @ W2 + b2)
    logits = h2 @ W3 + b3
    shifted = logits - np.max(logits, axis=1, keepdims=True)
    log_probs = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
    return -np.mean(np.sum(onehot * log_probs, axis=1))


def spirals(rng, per_class=200, classes=3):
    xs, labels = [], []
    for k in range(classes):
        radius = np.linspace(0.05, 1.0, per_class)
        angle = np.linspace(k * 4.0, (k + 1) * 4.0, per_class) + 0.2 * rng.normal(size=per_class)
        xs.append(np.stack([radius * np.sin(angle), radius * np.cos(angle)], axis=1))
        labels.append(np.full(per_class, k))
    return np.concatenate(xs), np.eye(classes)[np.concatenate(labels)]


def init(rng, sizes):
    params = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        params += [rng.normal(0.0, 1.0 / np.sqrt(fan_in), (fan_in, fan_out)), np.zeros(fan_out)]
    return params


def main():
    rng = np.random.default_rng(0)
    x, onehot = spirals(rng)
    params = init(rng, (2, 64, 64, 3))

    d_loss = ta.value_and_grad(mlp_loss, wrt=(0, 1, 2, 3, 4, 5))
    print("Backward code generated for mlp_loss:\n")
    print(ta.source(d_loss))

    learning_rate = 0.5
    for step in range(601):
        value, grads = d_loss(*params, x, onehot)
        params = [p - learning_rate * g for p, g in zip(params, grads)]
        if step % 100 == 0:
            print(f"step {step:4d}  loss {value:.4f}")
    logits = np.tanh(np.tanh(x @ params[0] + params[1]) @ params[2] + params[3]) @ params[4]
    print(f"training accuracy {np.mean(logits.argmax(1) == onehot.argmax(1)):.3f}")


if __name__ == "__main__":
    main()
