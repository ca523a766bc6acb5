"""
===============================================================
A drop-in replacement for scikit-learn's MLP
===============================================================

sknn's estimators take the parameters of
:class:`sklearn.neural_network.MLPClassifier` under the same names and expose
the same fitted attributes (``coefs_``, ``loss_curve_``, ``n_iter_``, ...). A
script written for scikit-learn runs unchanged when only the import changes::

    from sklearn.neural_network import MLPClassifier   # before
    from sknn import MLPClassifier                     # after

Below, one function is run once with each class.
"""

# %%
# The script, written once
# ------------------------
# Handwritten digits, standardised, a network with one hidden layer of 64 units
# trained with Adam for 30 epochs.
import time
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier as SklearnMLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sknn import MLPClassifier as SknnMLPClassifier

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)


def run(MLPClassifier):
    model = make_pipeline(
        StandardScaler(),
        MLPClassifier(hidden_layer_sizes=(64,), max_iter=30, random_state=0),
    )
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter(
            "ignore", ConvergenceWarning
        )  # 30 epochs on purpose
        model.fit(X_train, y_train)
    seconds = time.perf_counter() - start
    return model[-1], model.score(X_test, y_test), seconds


# %%
# sknn loads torch on its first fit; a one-epoch fit beforehand keeps that
# one-off cost out of the timing.
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    SknnMLPClassifier(max_iter=1).fit(X_train[:10], y_train[:10])

results = {}
for name, cls in [
    ("scikit-learn", SklearnMLPClassifier),
    ("sknn", SknnMLPClassifier),
]:
    results[name] = run(cls)
    clf, score, seconds = results[name]
    print(
        f"{name:12s} test accuracy {score:.3f}   fit {seconds:.2f} s   "
        f"epochs {clf.n_iter_}   final loss {clf.loss_:.4f}"
    )

# %%
# The two fits agree: sknn draws the initial weights and the order of the
# minibatches from ``random_state`` as scikit-learn does, so on float64 data
# both run the same computation, and differ only by rounding. The fit times
# printed are those of this build's machine and depend on its load and on
# the number of threads torch uses; :doc:`/performance` compares the speeds
# under controlled conditions.
sk, kn = results["scikit-learn"], results["sknn"]
assert sk[1] == kn[1], "the test accuracies differ"
assert sk[0].n_iter_ == kn[0].n_iter_
assert np.allclose(sk[0].loss_curve_, kn[0].loss_curve_, rtol=1e-6)

# %%
# The fitted attributes have the same names and shapes.
for name, (clf, _, _) in results.items():
    print(
        f"{name:12s} coefs_ {[c.shape for c in clf.coefs_]}  "
        f"classes_ {clf.classes_[:3]}...  "
        f"out_activation_ {clf.out_activation_!r}"
    )

# %%
# Loss curves
# -----------
# Both minimise the same cross-entropy with the same optimizer, batch size
# and learning rate, from the same initial weights and on the same
# minibatches: the two curves lie on top of each other.
fig, ax = plt.subplots(figsize=(6, 4))
for name, (clf, score, _) in results.items():
    ax.plot(
        range(1, clf.n_iter_ + 1),
        clf.loss_curve_,
        label=f"{name} (test acc. {score:.3f})",
        ls="-" if name == "scikit-learn" else "--",
    )
ax.set(
    xlabel="epoch",
    ylabel="training loss (loss_curve_)",
    yscale="log",
    title="MLPClassifier(hidden_layer_sizes=(64,)) on digits",
)
ax.legend()
fig.tight_layout()
