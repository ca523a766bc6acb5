"""
===============================================================
Early stopping: the epoch the validation set picks
===============================================================

The number of epochs is a hyper-parameter like any other, and the validation
set chooses it: keep training while the validation score improves, stop when
it has not improved for a while, and keep the weights of the best epoch.

With ``early_stopping=True`` sknn holds out ``validation_fraction`` of the
training data, scores it after every epoch (``validation_scores_``), stops
after ``n_iter_no_change`` epochs without improvement, and **restores the
weights of the best epoch** before returning.
"""

# %%
# A network that can overfit
# --------------------------
# A noisy problem (15% of labels flipped) and two hidden layers of 128 units:
# given enough epochs, the network learns the noise of its training data.
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from sknn import MLPClassifier

X, y = make_classification(
    n_samples=1000, n_features=20, n_informative=6, flip_y=0.15, random_state=0
)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, train_size=500, random_state=0
)
scaler = StandardScaler().fit(X_train)
X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)

params = dict(
    hidden_layer_sizes=(128, 128),
    learning_rate_init=0.003,
    early_stopping=True,
    validation_fraction=0.3,
    n_iter_no_change=20,
    random_state=0,
)
model = MLPClassifier(**params, max_iter=300).fit(X_train, y_train)

best_epoch = int(np.argmax(model.validation_scores_)) + 1
print(f"epochs run: {model.n_iter_}, best validation epoch: {best_epoch}")
print(f"best_validation_score_: {model.best_validation_score_:.3f}")
print(f"test accuracy: {model.score(X_test, y_test):.3f}")
# what the text below says, checked at every build: training ran
# n_iter_no_change + 1 epochs past the best one
assert model.n_iter_ == best_epoch + params["n_iter_no_change"] + 1
assert model.best_validation_score_ == max(model.validation_scores_)

# %%
# Training and validation curves
# ------------------------------
# The training loss keeps falling: the network fits its training part better
# and better. The validation accuracy rises, then stops improving: from there
# on the epochs fit the noise of the training part, not the problem. Training
# ran on past the best epoch (shaded) to make sure it was not a temporary dip:
# as in scikit-learn, it stops once *more than* ``n_iter_no_change`` epochs in
# a row have not improved the best score, ``n_iter_no_change + 1`` epochs
# after the best one.
epochs = np.arange(1, model.n_iter_ + 1)
fig, ax_loss = plt.subplots(figsize=(7, 4.2))
ax_loss.plot(epochs, model.loss_curve_, color="C0")
ax_loss.set_xlabel("epoch")
ax_loss.set_ylabel("training loss", color="C0")
ax_val = ax_loss.twinx()
ax_val.plot(epochs, model.validation_scores_, color="C1")
ax_val.set_ylabel("validation accuracy", color="C1")
ax_val.axvline(best_epoch, color="k", ls="--", lw=1)
ax_val.annotate(
    f"best epoch ({best_epoch}):\nweights kept",
    # x in epochs, y as a fraction of the axis height: the label sits inside
    # the axis, near its foot (clear of both curves just after the best
    # epoch), whatever range the validation scores span
    (best_epoch, 0.06),
    xycoords=("data", "axes fraction"),
    xytext=(5, 0),
    textcoords="offset points",
)
ax_loss.axvspan(best_epoch, model.n_iter_, color="0.9", zorder=0)
ax_loss.set_title("early_stopping=True")
fig.tight_layout()

# %%
# The model keeps the best epoch's weights
# ----------------------------------------
# The split, the initial weights and the order of the minibatches all follow
# from ``random_state``, so training again with ``max_iter`` set to the best
# epoch repeats the same run and stops right there. Its weights are exactly the
# ones the first model returned, although that one trained
# ``n_iter_no_change + 1`` epochs longer.
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)  # stopped on purpose
    short = MLPClassifier(**params, max_iter=best_epoch).fit(X_train, y_train)

same = all(np.array_equal(a, b) for a, b in zip(model.coefs_, short.coefs_))
print(f"weights identical to a run stopped at epoch {best_epoch}: {same}")
assert same, "the kept weights are not the best epoch's"
print(f"test accuracy of that run: {short.score(X_test, y_test):.3f}")
