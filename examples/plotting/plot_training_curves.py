"""
===============================================================
Training curves and decision boundaries
===============================================================

:class:`~sknn.TrainingCurveDisplay` draws what a fit recorded: the training
loss of every epoch and, with ``early_stopping=True``, the validation score
of every epoch on a second axis, with the epoch whose weights early stopping
kept marked by a dashed line. For a classifier on two features,
scikit-learn's own :class:`~sklearn.inspection.DecisionBoundaryDisplay`
shows what the network learned.
"""

# %%
# Noisy data, early stopping
# --------------------------
# Two interleaved half moons with a lot of noise, and a network with two
# layers of 64 units: capacity enough to start memorising the noise. Early
# stopping holds out 20 % of the training set, scores it after every epoch,
# and keeps the weights of the epoch that scored best.
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_moons
from sklearn.inspection import DecisionBoundaryDisplay
from sklearn.model_selection import train_test_split

from sknn import MLPClassifier, TrainingCurveDisplay

X, y = make_moons(n_samples=400, noise=0.3, random_state=0)
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)

clf = MLPClassifier(
    hidden_layer_sizes=(64, 64),
    learning_rate_init=0.003,
    early_stopping=True,
    validation_fraction=0.2,
    n_iter_no_change=30,
    max_iter=300,
    random_state=0,
)
clf.fit(X_train, y_train)
print(f"{clf.n_iter_} epochs, test accuracy {clf.score(X_test, y_test):.3f}")

# %%
# The training curve and the decision surface
# -------------------------------------------
# Both displays draw on axes we give them (``ax=``), so they can share a
# figure.
fig, (ax_curve, ax_boundary) = plt.subplots(
    1, 2, figsize=(11, 4.2), layout="constrained"
)
curve = TrainingCurveDisplay.from_estimator(clf, ax=ax_curve)

boundary = DecisionBoundaryDisplay.from_estimator(
    clf,
    X,
    response_method="predict_proba",
    cmap="RdBu",
    alpha=0.7,
    ax=ax_boundary,
)
ax_boundary.scatter(
    X_test[:, 0], X_test[:, 1], c=y_test, cmap="RdBu", edgecolor="k", s=25
)
ax_boundary.set_title("P(class 1), test points on top")
plt.show()

# %%
# The validation score rises quickly and then stalls while the training loss
# keeps creeping down: past that point the network mostly adapts to the noise
# of its own training set. The epochs after the dashed line are the
# ``n_iter_no_change`` epochs early stopping waited for an improvement that
# did not come; the fitted model has the weights of the marked epoch.
#
# The display keeps the numbers it drew:
print("best epoch:", curve.best_epoch, "of", len(curve.epochs))
print(
    "best validation accuracy:", curve.validation_scores[curve.best_epoch - 1]
)
print("same as clf.best_validation_score_:", clf.best_validation_score_)
assert (
    curve.validation_scores[curve.best_epoch - 1] == clf.best_validation_score_
)
assert clf.n_iter_ == curve.best_epoch + clf.n_iter_no_change + 1

# %%
# A learning rate that is too large
# ---------------------------------
# The same network with a learning rate thirty times larger. The loss jumps
# up after the first epoch before it settles, and the validation score
# wobbles from epoch to epoch: the lecture's sign that the rate should come
# down, or decay over the epochs (``learning_rate='decay'``).
fast = MLPClassifier(
    hidden_layer_sizes=(64, 64),
    learning_rate_init=0.1,
    early_stopping=True,
    validation_fraction=0.2,
    n_iter_no_change=30,
    max_iter=300,
    random_state=0,
).fit(X_train, y_train)

fig, axes = plt.subplots(1, 2, figsize=(11, 3.8), layout="constrained")
TrainingCurveDisplay.from_estimator(
    clf, ax=axes[0], name="learning_rate_init=0.003"
)
TrainingCurveDisplay.from_estimator(
    fast, ax=axes[1], name="learning_rate_init=0.1"
)
plt.show()
print(
    "first losses at 0.1:", [round(loss, 3) for loss in fast.loss_curve_[:5]]
)
assert np.any(np.diff(fast.loss_curve_[:5]) > 0), "the loss did not jump up"
