"""
===============================================================
Dropout: overfit first, then regularize
===============================================================

The usual practice: first pick a network big enough to fit the training data
(almost) perfectly, *then* regularize it until it generalises. Dropout is one
way to regularize: during training every hidden unit is switched off at
random with probability ``dropout`` (the others are scaled up by
``1 / (1 - dropout)``), so no unit can rely on a particular other unit being
there. At prediction time the whole network is used.

We watch the gap between training and test accuracy close as the dropout rate
grows.
"""

# %%
# A small, noisy training set and a big network
# ---------------------------------------------
# 80 training points of two interleaved half-moons with a lot of noise, and a
# network with two hidden layers of 128 units (about 17,000 weights), trained
# for 200 epochs without any L2 penalty (``alpha=0``).
import warnings

import matplotlib.pyplot as plt
from sklearn.datasets import make_moons
from sklearn.exceptions import ConvergenceWarning
from sklearn.inspection import DecisionBoundaryDisplay

from sknn import MLPClassifier

X_train, y_train = make_moons(n_samples=80, noise=0.35, random_state=0)
X_test, y_test = make_moons(n_samples=1000, noise=0.35, random_state=1)

rates = [0.0, 0.25, 0.5, 0.75]
models = {}
for rate in rates:
    net = MLPClassifier(
        hidden_layer_sizes=(128, 128),
        alpha=0.0,
        dropout=rate,
        learning_rate_init=0.01,
        max_iter=200,
        n_iter_no_change=200,
        random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter(
            "ignore", ConvergenceWarning
        )  # 200 epochs, always
        models[rate] = net.fit(X_train, y_train)

train_acc = [models[r].score(X_train, y_train) for r in rates]
test_acc = [models[r].score(X_test, y_test) for r in rates]
for rate, tr, te in zip(rates, train_acc, test_acc):
    print(
        f"dropout {rate:.2f}: train {tr:.3f}  test {te:.3f}  gap {tr - te:.3f}"
    )
gaps = [tr - te for tr, te in zip(train_acc, test_acc)]
# the claims below, checked at every build: the gap closes, and dropout buys
# test accuracy with training accuracy
assert gaps[-1] < gaps[0] / 2
assert train_acc[-1] < train_acc[0] and max(test_acc[1:]) > test_acc[0]

# %%
# What the networks learned
# -------------------------
# Without dropout the boundary bends around individual training points: it has
# learned the noise. With dropout it is smoother and closer to the two moons.
fig, axes = plt.subplots(1, 3, figsize=(13, 4))
for ax, rate in zip(axes[:2], [0.0, 0.75]):
    DecisionBoundaryDisplay.from_estimator(
        models[rate],
        X_test,
        response_method="predict_proba",
        cmap="RdBu",
        alpha=0.6,
        ax=ax,
        vmin=0,
        vmax=1,
        eps=0.3,
        grid_resolution=150,
    )
    ax.scatter(*X_train.T, c=y_train, cmap="RdBu", edgecolor="k", s=25)
    ax.set_title(
        f"dropout={rate}: train {models[rate].score(X_train, y_train):.2f}"
        f", test {models[rate].score(X_test, y_test):.2f}"
    )

ax = axes[2]
ax.plot(rates, train_acc, "o-", label="training accuracy")
ax.plot(rates, test_acc, "o-", label="test accuracy")
ax.fill_between(rates, test_acc, train_acc, color="0.85", label="gap")
ax.set(
    xlabel="dropout",
    ylabel="accuracy",
    xticks=rates,
    title="the gap closes as dropout grows",
)
ax.legend()
fig.tight_layout()

# %%
# Dropout trades a little training accuracy for test accuracy: the network can
# no longer memorise the 80 points, and what it learns instead carries over to
# new data. Too much dropout would eventually underfit; the dropout rate is a
# hyper-parameter to choose on a validation set like the others.
