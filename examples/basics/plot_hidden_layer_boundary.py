"""
===============================================================
A hidden layer learns its own features
===============================================================

In the logistic regression example we made a linear classifier draw an
ellipse by handing it quadratic features. A hidden
layer does the same without being told which features to build: each hidden
unit computes ``g(w_j^T x + b_j)``, a feature of its own, and the output layer
is a logistic regression on those learned features.

Here the same round-boundary problem is solved both ways, and we watch the
boundary of the network take shape as the hidden layer grows.
"""

# %%
# Data and the hand-made solution
# -------------------------------
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_circles
from sklearn.inspection import DecisionBoundaryDisplay
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import PolynomialFeatures, StandardScaler

from sknn import MLPClassifier

X, y = make_circles(n_samples=400, noise=0.15, factor=0.5, random_state=0)
X[:, 1] *= 0.6
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)

quadratic = make_pipeline(
    PolynomialFeatures(degree=2, include_bias=False),
    StandardScaler(),
    MLPClassifier(hidden_layer_sizes=(), solver="lbfgs", random_state=0),
)
quadratic.fit(X_train, y_train)

# %%
# Networks with one hidden layer on the raw inputs
# ------------------------------------------------
# Only ``x1`` and ``x2`` go in. A ReLU unit is zero on one side of a line and
# grows linearly on the other, so the boundary is made of straight pieces.
models = {"quadratic features, no hidden layer": quadratic}
for width in (2, 4, 16):
    net = MLPClassifier(
        hidden_layer_sizes=(width,),
        solver="lbfgs",
        max_iter=500,
        random_state=0,
    )
    models[f"x1, x2 and {width} hidden units"] = net.fit(X_train, y_train)

for name, model in models.items():
    print(f"{name:38s} test accuracy {model.score(X_test, y_test):.2f}")

# %%
# Boundaries side by side
# -----------------------
# In the panel of the 4-unit network the dashed lines are where each hidden
# unit switches on (``w_j^T x + b_j = 0``). Between these lines every unit is
# either off or linear, so the boundary is straight there; it bends only where
# it crosses a dashed line. The lines are the features the network chose for
# itself.
fig, axes = plt.subplots(2, 2, figsize=(8, 7), sharex=True, sharey=True)
for ax, (name, model) in zip(axes.ravel(), models.items()):
    DecisionBoundaryDisplay.from_estimator(
        model,
        X,
        response_method="predict_proba",
        cmap="RdBu",
        alpha=0.7,
        ax=ax,
        vmin=0,
        vmax=1,
        eps=0.2,
    )
    DecisionBoundaryDisplay.from_estimator(
        model,
        X,
        response_method="predict_proba",
        plot_method="contour",
        levels=[0.5],
        colors="k",
        ax=ax,
        eps=0.2,
    )
    ax.scatter(*X_test.T, c=y_test, cmap="RdBu", edgecolor="k", s=15)
    ax.set_title(
        f"{name}\ntest accuracy {model.score(X_test, y_test):.2f}", fontsize=10
    )

net4 = models["x1, x2 and 4 hidden units"]
x1 = np.linspace(X[:, 0].min() - 0.2, X[:, 0].max() + 0.2, 2)
ax = axes[1, 0]
for w, b in zip(net4.coefs_[0].T, net4.intercepts_[0]):
    ax.plot(x1, -(w[0] * x1 + b) / w[1], "--", color="0.2", lw=1)
ax.set_ylim(X[:, 1].min() - 0.2, X[:, 1].max() + 0.2)
fig.tight_layout()

# %%
# Two units are too few to enclose the inner ring; four already bound a
# polygon around it, and sixteen round it off. The network reaches the accuracy
# of the hand-made quadratic features without knowing about them.
accuracy = {
    name: model.score(X_test, y_test) for name, model in models.items()
}
assert (
    accuracy["x1, x2 and 2 hidden units"]
    < accuracy["x1, x2 and 4 hidden units"]
)
assert (
    accuracy["x1, x2 and 16 hidden units"]
    >= accuracy["quadratic features, no hidden layer"] - 0.03
)
