"""
===============================================================
Choosing the learning rate, then decaying it
===============================================================

The usual practice for the learning rate of stochastic gradient descent:

1. on a subset of the data, start with a large rate and **halve it until the
   loss no longer diverges**;
2. train with that rate and **decay it** over training, by a factor of about
   100 by the end.

sknn automates both: ``learning_rate_init='auto'`` runs the halving search and
stores the rate it found in ``learning_rate_init_``, and
``learning_rate='decay'`` lowers the rate geometrically, epoch after epoch,
to 1/100 of its start at the last of ``max_iter`` epochs.
"""

# %%
# Data
# ----
# A four-class problem with 10% of the labels flipped, so that the loss cannot
# reach zero and the noise of the minibatch steps stays visible.
import contextlib
import io
import re
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from sknn import MLPClassifier

X, y = make_classification(
    n_samples=2000,
    n_features=20,
    n_informative=10,
    n_classes=4,
    flip_y=0.1,
    random_state=0,
)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, train_size=1000, random_state=0
)
scaler = StandardScaler().fit(X_train)
X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
X_subset, y_subset = X_train[:300], y_train[:300]

# SGD with momentum 0.9, one hidden layer of 32 units, minibatches of 32.
common = dict(
    hidden_layer_sizes=(32,),
    solver="sgd",
    batch_size=32,
    n_iter_no_change=1000,
    random_state=0,
)

# %%
# Halving by hand
# ---------------
# Eight epochs on 300 samples for each rate, from 4 down. A rate *diverges*
# when the loss ends higher than after the first epoch (or overflows).
curves = {}
chosen = None
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    for lr in 4.0 / 2.0 ** np.arange(7):
        model = MLPClassifier(**common, learning_rate_init=lr, max_iter=8)
        try:
            curves[lr] = model.fit(X_subset, y_subset).loss_curve_
        except ValueError:  # the weights overflowed
            curves[lr] = [np.nan]
        diverged = not curves[lr][-1] < curves[lr][0]
        print(
            f"lr = {lr:<7g} "
            f"loss {curves[lr][0]:10.3g} -> {curves[lr][-1]:10.3g}"
            f"   {'diverges' if diverged else 'ok'}"
        )
        if chosen is None and not diverged:
            chosen = lr
print("first rate that does not diverge:", chosen)

fig, ax = plt.subplots(figsize=(6.5, 4.2))
for lr, curve in curves.items():
    ax.plot(
        np.arange(1, len(curve) + 1),
        curve,
        marker="o",
        ms=3,
        lw=2.5 if lr == chosen else 1,
        label=f"lr = {lr:g}",
    )
ax.set(
    xlabel="epoch (300 samples)",
    ylabel="training loss",
    yscale="log",
    ylim=(0.2, 1e3),
    title="halve the rate until the loss stops diverging",
)
ax.legend(ncol=2)
fig.tight_layout()

# %%
# The same search, automated
# --------------------------
# ``learning_rate_init='auto'`` starts at 1.0 and halves until 40 minibatch
# steps on at most 1024 samples lower the loss without it ever rising above
# its start (looked at every 5 steps). The largest rate that passes sits at
# the edge of stability, so 'auto' then takes half of it, as a margin for
# the whole fit. The decay below brings it down further as training ends.
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    auto = MLPClassifier(**common, learning_rate_init="auto", max_iter=1)
    auto.fit(X_subset, y_subset)
print("learning_rate_init_ found by 'auto':", auto.learning_rate_init_)

# %%
# Constant rate or decay
# ----------------------
# Now the whole training set for 40 epochs, starting at the rate we found.
# With ``verbose=True`` each epoch prints its learning rate; we read the
# schedule from there.
schedules = {}
for schedule in ("constant", "decay"):
    model = MLPClassifier(
        **common,
        learning_rate_init=chosen,
        learning_rate=schedule,
        max_iter=40,
        verbose=True,
    )
    log = io.StringIO()
    with contextlib.redirect_stdout(log), warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X_train, y_train)
    rates = [
        float(r)
        for r in re.findall(r"learning rate = ([^,]+),", log.getvalue())
    ]
    schedules[schedule] = (model, rates)
    print(
        f"{schedule:8s} rate {rates[0]:.3g} -> {rates[-1]:.3g} "
        f"(x{rates[0] / rates[-1]:.0f})   final loss {model.loss_:.3f}   "
        f"test accuracy {model.score(X_test, y_test):.3f}"
    )

fig, (ax_rate, ax_loss) = plt.subplots(1, 2, figsize=(10, 4))
for schedule, (model, rates) in schedules.items():
    epochs = np.arange(1, len(rates) + 1)
    ax_rate.plot(epochs, rates, label=schedule)
    ax_loss.plot(epochs, model.loss_curve_, label=schedule)
ax_rate.set(
    xlabel="epoch",
    ylabel="learning rate",
    yscale="log",
    title="learning_rate='decay': 100x lower at the end",
)
ax_loss.set(xlabel="epoch", ylabel="training loss", title="loss curves")
ax_rate.legend()
ax_loss.legend()
fig.tight_layout()

# %%
# At a constant rate the largest stable step keeps the weights bouncing
# around: the loss stalls and is noisy. Decaying the same rate lets the first
# epochs move fast and the last ones settle, reaching a lower loss and a
# better test score.
(constant, _), (decayed, decay_rates) = (
    schedules["constant"],
    schedules["decay"],
)
assert decayed.loss_ < constant.loss_
assert decayed.score(X_test, y_test) > constant.score(X_test, y_test)
assert np.isclose(decay_rates[0] / decay_rates[-1], 100)
