"""MLP training on Fashion-MNIST: physml's MLPClassifier (PyTorch, minibatch SGD) against
scikit-learn's MLPClassifier with the same architecture, solver, batch size and epochs."""

from __future__ import annotations

import warnings

from _harness import median_seconds, report


def main(repeat: int = 3) -> None:
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier as SkMLP

    from physml.data import fashion_mnist
    from physml.nets import MLPClassifier

    x, y = fashion_mnist("train")
    x = x[:20000].reshape(20000, -1) / 255.0
    y = y[:20000]
    xt, yt = fashion_mnist("test")
    xt = xt.reshape(len(xt), -1) / 255.0
    epochs = 2
    ours = MLPClassifier(hidden=(256,), epochs=epochs, learning_rate=0.05, momentum=0.9, batch_size=128,
                         seed=0)
    theirs = SkMLP(hidden_layer_sizes=(256,), solver="sgd", learning_rate_init=0.05, momentum=0.9,
                   nesterovs_momentum=False, batch_size=128, max_iter=epochs, alpha=0.0, shuffle=True,
                   random_state=0, tol=0.0, n_iter_no_change=10**6)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        t_ours = median_seconds(lambda: ours.fit(x, y), repeat=repeat)
        t_theirs = median_seconds(lambda: theirs.fit(x, y), repeat=repeat)
    acc = f"test accuracy physml {ours.score(xt, yt):.3f} vs sklearn {theirs.score(xt, yt):.3f}"
    report(f"MLP 784-256-10, {epochs} epochs on 20k images", t_ours, "sklearn", t_theirs, acc)


if __name__ == "__main__":
    main()
