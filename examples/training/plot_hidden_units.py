"""
===============================================================
Good and bad training, seen in the hidden units
===============================================================

A loss curve says *that* training went wrong; the hidden units often say
*why*. Look at the matrix of hidden activations, one row per sample and one
column per unit:

* in a **well-trained** network the units respond to the input: each one is
  active for some samples and quiet for others (sparse), and different units
  respond to different samples (little correlation);
* in a **badly trained** one many units ignore the input, stuck in a flat
  region of their activation (saturated, or dead ReLUs), and the remaining ones
  tend to move together.

:meth:`~sknn.MLPClassifier.hidden_activations` returns these matrices, and
:meth:`~sknn.MLPClassifier.hidden_unit_summary` condenses each layer into a
few numbers.
"""

# %%
# Three networks on the same data
# -------------------------------
# The breast cancer dataset has features on very different scales (some
# below 1, the tumour area in the thousands). Forgetting to standardise them
# is the commonest way to push units into saturation: a weight of ordinary size
# times an input of 1000 is a huge pre-activation.
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_breast_cancer
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from sknn import MLPClassifier

X, y = load_breast_cancer(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
print("feature ranges: from", X.max(axis=0).min(), "to", X.max(axis=0).max())
scaler = StandardScaler().fit(X_train)

cases = {
    "ReLU, standardised inputs": ("relu", scaler.transform),
    "tanh, raw inputs": ("tanh", np.asarray),
    "ReLU, raw inputs": ("relu", np.asarray),
}
models = {}
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)  # 50 epochs for all
    for name, (activation, prepare) in cases.items():
        net = MLPClassifier(
            hidden_layer_sizes=(32,),
            activation=activation,
            max_iter=50,
            random_state=0,
        )
        models[name] = net.fit(prepare(X_train), y_train)

# %%
# The diagnostic summary
# ----------------------
# ``dead``: units whose output does not change over the samples; ``saturated``:
# units in the flat part of their activation for at least 95% of the samples;
# ``sparsity``: fraction of activations that are (near) zero;
# ``mean_abs_correlation``: between pairs of live units.
summaries = {}
for name, (_, prepare) in cases.items():
    model = models[name]
    (summary,) = model.hidden_unit_summary(prepare(X_test))  # one hidden layer
    summaries[name] = summary
    print(
        f"{name:26s} "
        f"test accuracy {model.score(prepare(X_test), y_test):.3f}  "
        f"dead {summary['dead']:.2f}  saturated {summary['saturated']:.2f}  "
        f"sparsity {summary['sparsity']:.2f}  "
        f"mean |corr| {summary['mean_abs_correlation']:.2f}"
    )

# %%
# Pictures of the hidden layer
# ----------------------------
# Top: activations on the test samples (sorted by class, the white line
# separates the two classes). Bottom: absolute correlation between units; grey
# marks units that never change, for which a correlation is undefined.
order = np.argsort(y_test, kind="stable")
fig, axes = plt.subplots(2, 3, figsize=(11, 7), layout="constrained")
for col, (name, (_, prepare)) in enumerate(cases.items()):
    (acts,) = models[name].hidden_activations(prepare(X_test)[order])
    s = summaries[name]
    ax = axes[0, col]
    im = ax.imshow(
        acts, aspect="auto", cmap="viridis", interpolation="nearest"
    )
    ax.axhline(np.sum(y_test == 0) - 0.5, color="w", lw=1)
    ax.set(
        title=f"{name}\ndead {s['dead']:.0%}, saturated {s['saturated']:.0%}",
        xlabel="hidden unit",
        ylabel="test sample",
    )
    fig.colorbar(im, ax=ax)

    with np.errstate(invalid="ignore", divide="ignore"):
        corr = np.abs(np.corrcoef(acts, rowvar=False))
    ax = axes[1, col]
    ax.set_facecolor("0.8")
    im = ax.imshow(corr, cmap="magma", vmin=0, vmax=1, interpolation="nearest")
    ax.set(
        title=f"mean |correlation| {s['mean_abs_correlation']:.2f}",
        xlabel="hidden unit",
        ylabel="hidden unit",
    )
    fig.colorbar(im, ax=ax)

# %%
# With standardised inputs every ReLU unit is on for some samples and off for
# others, and the units differ from each other. On raw inputs about nine tanh
# units in ten sit at +1 or -1 for every sample: they pass no gradient and
# carry no information, and the few that still respond carry the whole
# prediction, a little less accurate than the standardised network's (the
# mean correlation is low only because so few units are alive to correlate).
# ReLU on raw inputs is less extreme, but about half the units never switch on
# and the rest move together. Scaling the inputs (and an initialisation that
# keeps the variance of each layer similar, which sknn does for you) is what
# keeps units out of saturation.
good, tanh_raw, relu_raw = (summaries[name] for name in cases)
assert good["dead"] == 0 and good["saturated"] == 0
assert tanh_raw["saturated"] > 0.75
assert 0.25 < relu_raw["dead"] < 0.75
assert relu_raw["mean_abs_correlation"] > good["mean_abs_correlation"]
accuracy = {
    name: models[name].score(prepare(X_test), y_test)
    for name, (_, prepare) in cases.items()
}
assert max(accuracy, key=accuracy.get) == "ReLU, standardised inputs"
