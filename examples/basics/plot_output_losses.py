"""
===============================================================
Three outputs, three losses
===============================================================

The hidden layers of an MLP are the same whatever the task; what changes is
the last layer's activation and the loss it is trained with. Each pair is the
negative log-likelihood of a probability model for ``y``:

* one class out of K: **softmax** output, **cross-entropy** loss
  (:class:`~sknn.MLPClassifier`);
* a vector of d real numbers: **identity** output, **squared error**
  ``||y - ŷ||²`` (:class:`~sknn.MLPRegressor`);
* any subset of K labels: one **sigmoid** per label, **binary cross-entropy**
  summed over the labels (:class:`~sknn.MultiLabelMLP`).

For each we fit a small network, look at the shapes of what it predicts, and
check that the training loss sknn reports, ``loss_``, is exactly the formula
evaluated on the model's own predictions.
"""

# %%
# The three problems
# ------------------
# Each network has one hidden layer of 8 units. We train with ``alpha=0`` (no
# L2 term in the loss) and the full-batch L-BFGS solver: its ``loss_`` is the
# loss at the final weights, so it can be compared with the predictions of the
# fitted model. (With a stochastic solver, ``loss_`` is the mean of the last
# epoch's minibatch losses, measured while the weights were still moving.)
import warnings

import matplotlib.pyplot as plt
import numpy as np
from scipy.special import xlogy
from sklearn.datasets import (
    make_classification,
    make_multilabel_classification,
    make_regression,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler

from sknn import MLPClassifier, MLPRegressor, MultiLabelMLP

params = dict(
    hidden_layer_sizes=(8,),
    solver="lbfgs",
    alpha=0.0,
    max_iter=30,
    random_state=0,
)

X_c, y_c = make_classification(
    n_samples=300,
    n_features=8,
    n_informative=5,
    n_classes=3,
    flip_y=0.1,
    random_state=0,
)
X_r, Y_r = make_regression(
    n_samples=300, n_features=8, n_targets=2, noise=20, random_state=0
)
X_m, Y_m = make_multilabel_classification(
    n_samples=300, n_features=8, n_classes=4, random_state=0
)
X_c, X_r, X_m = (StandardScaler().fit_transform(X) for X in (X_c, X_r, X_m))
Y_r = StandardScaler().fit_transform(Y_r)

with warnings.catch_warnings():
    # 30 L-BFGS iterations are enough for this demonstration
    warnings.simplefilter("ignore", ConvergenceWarning)
    clf = MLPClassifier(**params).fit(X_c, y_c)
    reg = MLPRegressor(**params).fit(X_r, Y_r)
    mlb = MultiLabelMLP(**params).fit(X_m, Y_m)

for model in (clf, reg, mlb):
    name = type(model).__name__
    print(f"{name:14s} output activation: {model.out_activation_}")

# %%
# Softmax and cross-entropy
# -------------------------
# Three classes give three output units; the softmax turns them into a
# probability distribution, so each row of ``predict_proba`` sums to one.
# The loss is ``-log P(true class)``, averaged over the samples.
P_c = clf.predict_proba(X_c)
print("predict_proba:", P_c.shape, " predict:", clf.predict(X_c).shape)
print("rows sum to one:", np.allclose(P_c.sum(axis=1), 1.0))
cross_entropy = -np.mean(np.log(P_c[np.arange(len(y_c)), y_c]))
print(f"loss_ = {clf.loss_:.12f}   formula = {cross_entropy:.12f}")
assert np.isclose(clf.loss_, cross_entropy, rtol=1e-9)

# %%
# Identity and squared error, two outputs
# ---------------------------------------
# A regressor's output layer has no activation: one unit per target. The
# network descends ``0.5 * ||y - ŷ||²`` averaged over the samples (the factor
# one half only cancels the 2 of the derivative); ``loss_`` reports it
# divided by the number of targets, as scikit-learn reports it: half the
# squared error averaged over samples and targets.
Y_hat = reg.predict(X_r)
print("predict:", Y_hat.shape)
squared_error = 0.5 * np.mean((Y_r - Y_hat) ** 2)
print(f"loss_ = {reg.loss_:.12f}   formula = {squared_error:.12f}")
assert np.isclose(reg.loss_, squared_error, rtol=1e-9)

# %%
# Sigmoid and binary cross-entropy, four labels
# ---------------------------------------------
# Each label gets its own sigmoid: an independent yes/no probability, so a
# row of ``predict_proba`` does not sum to one, and ``predict`` returns a 0/1
# indicator matrix. The loss adds one binary cross-entropy per label.
P_m = mlb.predict_proba(X_m)
print("predict_proba:", P_m.shape, " predict:", mlb.predict(X_m).shape)
print("sums of the first rows:", P_m[:3].sum(axis=1).round(2))
binary_ce = -np.mean(np.sum(xlogy(Y_m, P_m) + xlogy(1 - Y_m, 1 - P_m), axis=1))
print(f"loss_ = {mlb.loss_:.12f}   formula = {binary_ce:.12f}")
assert np.isclose(mlb.loss_, binary_ce, rtol=1e-9)


# %%
# Loss curves and one sample's outputs
# ------------------------------------
# Top: ``loss_curve_`` of each model, one point per L-BFGS iteration. Bottom:
# what the networks output: the class probabilities of one sample the
# classifier is unsure about, the regression's predictions against the truth,
# and the label probabilities of one sample with two labels.
i = np.argmin(np.abs(P_c.max(axis=1) - 0.6))
k = np.flatnonzero(Y_m.sum(axis=1) == 2)[0]
fig, axes = plt.subplots(2, 3, figsize=(11, 6))
for ax, model, name in zip(
    axes[0],
    (clf, reg, mlb),
    (
        "softmax + cross-entropy",
        "identity + squared error",
        "sigmoid + binary cross-entropy",
    ),
):
    ax.plot(np.arange(1, len(model.loss_curve_) + 1), model.loss_curve_)
    ax.set(title=name, xlabel="L-BFGS iteration", ylabel="loss_curve_")

ax = axes[1, 0]
ax.bar(
    clf.classes_, P_c[i], color=np.where(clf.classes_ == y_c[i], "C1", "C0")
)
ax.set(
    xticks=clf.classes_,
    xlabel="class (orange: true)",
    ylabel="probability",
    title=f"sample {i}: sums to {P_c[i].sum():.2f}",
    ylim=(0, 1),
)

ax = axes[1, 1]
for j in range(Y_r.shape[1]):
    ax.scatter(Y_r[:, j], Y_hat[:, j], s=8, label=f"output {j}")
lim = [Y_r.min(), Y_r.max()]
ax.plot(lim, lim, "k--", lw=1)
ax.set(
    xlabel="true y", ylabel="predicted y", title="all samples, both outputs"
)
ax.legend()

ax = axes[1, 2]
labels = np.arange(Y_m.shape[1])
ax.bar(labels, P_m[k], color=np.where(Y_m[k] == 1, "C1", "C0"))
ax.axhline(mlb.threshold, color="k", ls="--", lw=1)
ax.set(
    xticks=labels,
    xlabel="label (orange: present)",
    ylabel="probability",
    title=f"sample {k}: sums to {P_m[k].sum():.2f}",
    ylim=(0, 1),
)
fig.tight_layout()
