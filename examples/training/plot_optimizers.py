"""
===============================================================
SGD, Momentum, RMSProp and Adam
===============================================================

Minibatch stochastic gradient descent updates the weights with the gradient of
a small random batch: ``W <- W - lr * dJ/dW``. Its refinements change how the
step is taken:

* **Momentum** keeps a running sum of past steps and moves along it, so
  directions where the gradients agree build up speed
  (``solver='sgd', momentum=0.9``);
* **RMSProp** divides each weight's step by a running root mean square of its
  gradients, so every weight gets a step of similar size
  (``solver='rmsprop'``);
* **Adam** does both: a running mean of the gradient, divided by a running
  root mean square (``solver='adam'``, the default).

Here the four train the same network from the same initial weights, on the
same minibatches, for the same number of epochs.
"""

# %%
# Data and network
# ----------------
# Handwritten digits, standardised; one hidden layer of 32 ReLU units;
# minibatches of 32 samples; 20 epochs. ``random_state`` fixes the initial
# weights and the order of the minibatches, so only the optimizer differs.
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from sknn import MLPClassifier

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, train_size=1000, random_state=0
)
scaler = StandardScaler().fit(X_train)
X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)

common = dict(
    hidden_layer_sizes=(32,), batch_size=32, max_iter=20, random_state=0
)

# %%
# The optimizers
# --------------
# Each gets the learning rate it is usually run with: 0.01 for the two SGD
# variants, 0.001 for the two adaptive ones, whose steps are already
# normalised by the size of the gradient.
optimizers = {
    "SGD": dict(solver="sgd", momentum=0.0, learning_rate_init=0.01),
    "Momentum": dict(
        solver="sgd",
        momentum=0.9,
        nesterovs_momentum=False,
        learning_rate_init=0.01,
    ),
    "RMSProp": dict(solver="rmsprop", learning_rate_init=0.001),
    "Adam": dict(solver="adam", learning_rate_init=0.001),
}
models = {}
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)  # 20 epochs on purpose
    for name, params in optimizers.items():
        models[name] = MLPClassifier(**common, **params).fit(X_train, y_train)

for name, model in models.items():
    print(
        f"{name:9s} loss after 20 epochs {model.loss_:.4f}   "
        f"test accuracy {model.score(X_test, y_test):.3f}"
    )

# %%
# Loss curves
# -----------
fig, ax = plt.subplots(figsize=(6.5, 4.2))
for name, model in models.items():
    ax.plot(
        np.arange(1, model.n_iter_ + 1),
        model.loss_curve_,
        marker="o",
        ms=3,
        label=name,
    )
ax.set(
    xlabel="epoch",
    ylabel="training loss",
    yscale="log",
    title="same network, same minibatches, four optimizers",
)
ax.legend()
fig.tight_layout()

# %%
# Plain SGD is still far from the others after 20 epochs. Momentum, with the
# same learning rate, moves about ten times further along the consistent
# directions (``1 / (1 - 0.9)``). sknn's RMSProp uses ``beta_2`` as its decay
# and no bias correction: its running mean square starts near zero, so its
# first steps are many times ``lr``, which is why it starts fastest here and
# reaches a low loss within a few epochs. Adam corrects that bias, and its
# steps stay close to ``lr`` from the start: at 0.001 it ends behind Momentum
# and RMSProp; with ``learning_rate_init=0.01`` it would catch up.
first = {name: model.loss_curve_[0] for name, model in models.items()}
assert min(first, key=first.get) == "RMSProp"
assert all(
    models["SGD"].loss_ > 3 * m.loss_ for n, m in models.items() if n != "SGD"
)
assert models["Adam"].loss_ > max(
    models["Momentum"].loss_, models["RMSProp"].loss_
)
