"""scikit-learn's two MLP gallery examples, run with scikit-learn's and
sknn's classes side by side.

* ``plot_mlp_training_curves.py``: seven stochastic strategies (SGD with a
  constant or 'invscaling' rate, without momentum, with momentum, with
  Nesterov's momentum, all at ``learning_rate_init=0.2``; Adam at 0.01) on
  iris, digits (15 epochs), circles and moons (400 epochs), MinMax-scaled,
  ``random_state=0``; the example prints the training score and loss.
* ``plot_mlp_alpha.py``: L-BFGS, ``hidden_layer_sizes=[100, 100]``,
  ``max_iter=2000``, ``random_state=1``, five alphas ``logspace(-5, 3, 5)``
  on moons, circles and a noisy linearly separable set, standardised, 40 %
  held out (here with ``random_state=42``, so that the split is fixed); the
  example shows the test score.

Both libraries run with their defaults otherwise (sknn on the CPU).
Run: ``PYTHONPATH=. python benchmarks/sklearn_examples_parity.py``.
"""

import time
import warnings

import numpy as np
import sklearn.neural_network as sk_nn
from sklearn import datasets
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import MinMaxScaler, StandardScaler

import sknn

SGD = {"solver": "sgd", "learning_rate_init": 0.2}
STRATEGIES = {
    "constant": dict(SGD, learning_rate="constant", momentum=0.0),
    "constant+momentum": dict(
        SGD, learning_rate="constant", momentum=0.9, nesterovs_momentum=False
    ),
    "constant+nesterov": dict(
        SGD, learning_rate="constant", momentum=0.9, nesterovs_momentum=True
    ),
    "invscaling": dict(SGD, learning_rate="invscaling", momentum=0.0),
    "invscaling+momentum": dict(
        SGD, learning_rate="invscaling", momentum=0.9, nesterovs_momentum=False
    ),
    "invscaling+nesterov": dict(
        SGD, learning_rate="invscaling", momentum=0.9, nesterovs_momentum=True
    ),
    "adam": {"solver": "adam", "learning_rate_init": 0.01},
}


def _libraries():
    return {
        "sklearn": sk_nn.MLPClassifier,
        "sknn": lambda **kw: sknn.MLPClassifier(device="cpu", **kw),
    }


def _fit(make, X, y, **params):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return make(**params).fit(X, y)


def training_curves():
    digits = datasets.load_digits()
    iris = datasets.load_iris()
    sets = {
        "iris": (iris.data, iris.target),
        "digits": (digits.data, digits.target),
        "circles": datasets.make_circles(noise=0.2, factor=0.5, random_state=1),
        "moons": datasets.make_moons(noise=0.3, random_state=0),
    }
    rows = []
    for name, (X, y) in sets.items():
        X = MinMaxScaler().fit_transform(X)
        max_iter = 15 if name == "digits" else 400
        for label, params in STRATEGIES.items():
            row = [name, label]
            for make in _libraries().values():
                mlp = _fit(make, X, y, random_state=0, max_iter=max_iter, **params)
                row += [mlp.loss_, mlp.score(X, y), mlp.n_iter_]
            rows.append(row)
    return rows


def alpha_sweep():
    X, y = datasets.make_classification(
        n_features=2,
        n_redundant=0,
        n_informative=2,
        random_state=0,
        n_clusters_per_class=1,
    )
    X = X + 2 * np.random.RandomState(2).uniform(size=X.shape)
    sets = {
        "moons": datasets.make_moons(noise=0.3, random_state=0),
        "circles": datasets.make_circles(noise=0.2, factor=0.5, random_state=1),
        "linearly separable": (X, y),
    }
    rows = []
    for name, (X, y) in sets.items():
        X = StandardScaler().fit_transform(X)
        X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.4, random_state=42)
        for alpha in np.logspace(-5, 3, 5):
            row = [name, f"alpha={alpha:g}"]
            for make in _libraries().values():
                mlp = _fit(
                    make,
                    X_tr,
                    y_tr,
                    solver="lbfgs",
                    alpha=alpha,
                    random_state=1,
                    max_iter=2000,
                    hidden_layer_sizes=[100, 100],
                )
                row += [mlp.loss_, mlp.score(X_te, y_te), mlp.n_iter_]
            rows.append(row)
    return rows


def _table(title, rows, score_name):
    head = (
        f"| data | setting | loss sklearn | loss sknn | {score_name} sklearn "
        f"| {score_name} sknn | n_iter_ sklearn | n_iter_ sknn |"
    )
    lines = [f"### {title}", "", head, "|" + "---|" * 8]
    for name, label, l1, s1, n1, l2, s2, n2 in rows:
        lines.append(
            f"| {name} | {label} | {l1:.4f} | {l2:.4f} | {s1:.3f} | {s2:.3f} "
            f"| {n1} | {n2} |"
        )
    return "\n".join(lines)


def main():
    start = time.perf_counter()
    curves = training_curves()
    print(_table("plot_mlp_training_curves.py", curves, "train score"))
    print()
    alphas = alpha_sweep()
    print(_table("plot_mlp_alpha.py", alphas, "test score"))
    print()
    for title, rows in (("training curves", curves), ("alpha sweep", alphas)):
        dl = [abs(r[5] - r[2]) for r in rows]
        ds = [abs(r[6] - r[3]) for r in rows]
        print(
            f"{title}: median |loss difference| {np.median(dl):.4f}, "
            f"max |score difference| {max(ds):.3f}"
        )
    print(f"({time.perf_counter() - start:.0f} s)")


if __name__ == "__main__":
    main()
