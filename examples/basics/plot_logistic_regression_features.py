"""
===============================================================
Logistic regression is an MLP without a hidden layer
===============================================================

A network with no hidden layer and a sigmoid output computes
``P(y=1 | x) = sigmoid(w^T x + w_0)``: that is logistic regression. In sknn
this network is ``MLPClassifier(hidden_layer_sizes=())``. Its decision
boundary, the points where ``w^T x + w_0 = 0``, is a straight line.

When the classes are separated by a round boundary, a line cannot do the job.
The classic fix is to give the linear model new inputs: with the quadratic
features ``[x1, x2, x1^2, x2^2, x1 x2]`` the boundary
``w^T phi(x) + w_0 = 0`` is a conic section, here an ellipse. The model stays
linear in its weights; only the inputs changed.
"""

# %%
# Data with a round class boundary
# --------------------------------
# Two noisy concentric circles, squashed vertically so that the boundary
# between them is an ellipse.
import matplotlib.pyplot as plt
from sklearn.datasets import make_circles
from sklearn.inspection import DecisionBoundaryDisplay
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import PolynomialFeatures, StandardScaler

from sknn import MLPClassifier

X, y = make_circles(n_samples=400, noise=0.15, factor=0.5, random_state=0)
X[:, 1] *= 0.6
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)

# %%
# A network with no hidden layer
# ------------------------------
# ``hidden_layer_sizes=()`` leaves only the output layer: two weights and a
# bias, passed through a sigmoid. The problem is convex, so the full-batch
# L-BFGS solver finds the optimum in a few iterations.
linear = MLPClassifier(hidden_layer_sizes=(), solver="lbfgs", random_state=0)
linear.fit(X_train, y_train)
print("layers (input and output):", linear.n_layers_)
print("output activation:", linear.out_activation_)
print("weights:", linear.coefs_[0].ravel(), "bias:", linear.intercepts_[0])

# %%
# It is the same model as scikit-learn's
# :class:`~sklearn.linear_model.LogisticRegression`: sknn's penalty
# ``alpha / 2 * ||w||^2`` on the mean loss matches ``C = 1 / alpha``. Both
# solvers stop at a tolerance, so the weights agree to two or three digits.
logreg = LogisticRegression(C=1 / linear.alpha).fit(X_train, y_train)
print(
    "LogisticRegression weights:",
    logreg.coef_.ravel(),
    "bias:",
    logreg.intercept_,
)
assert abs(linear.coefs_[0].ravel() - logreg.coef_.ravel()).max() < 0.01

# %%
# Quadratic features in a Pipeline
# --------------------------------
# :class:`~sklearn.preprocessing.PolynomialFeatures` adds ``x1^2``,
# ``x2^2`` and ``x1 x2``; the network is the same one-layer model, now with
# five inputs.
quadratic = make_pipeline(
    PolynomialFeatures(degree=2, include_bias=False),
    StandardScaler(),
    MLPClassifier(hidden_layer_sizes=(), solver="lbfgs", random_state=0),
)
quadratic.fit(X_train, y_train)
print("inputs of the network:", quadratic[-1].n_features_in_)

# %%
# Decision boundaries
# -------------------
# The colours are ``P(y=1 | x)``; the black line is where it equals 0.5.
fig, axes = plt.subplots(1, 2, figsize=(9, 4), sharey=True)
for ax, model, title in [
    (axes[0], linear, "no hidden layer, features x1, x2"),
    (axes[1], quadratic, "no hidden layer, quadratic features"),
]:
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
    ax.scatter(*X_test.T, c=y_test, cmap="RdBu", edgecolor="k", s=20)
    ax.set_title(f"{title}\ntest accuracy {model.score(X_test, y_test):.2f}")
fig.tight_layout()

# %%
# The straight line does no better than guessing; the ellipse separates the
# two rings.
print(f"test accuracy, linear features:    {linear.score(X_test, y_test):.2f}")
print(
    f"test accuracy, quadratic features: {quadratic.score(X_test, y_test):.2f}"
)
assert (
    linear.score(X_test, y_test) < 0.6 < 0.9 < quadratic.score(X_test, y_test)
)
