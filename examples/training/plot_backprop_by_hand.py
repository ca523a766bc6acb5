"""
===============================================================
Backpropagation by hand, checked against sknn
===============================================================

Backpropagation computes every partial derivative of the loss from two
ingredients: the *error* ``delta^(m) = dL / dz^(m)`` of each layer, obtained
from the layer above by the delta rule

.. math::

   \\delta^{(m-1)}_j = g'(z^{(m-1)}_j) \\sum_k w^{(m)}_{kj} \\delta^{(m)}_k,

and the gradient of a weight, ``dL / dw_ji = delta_j * g_i`` (the error of the
unit it feeds times the activation it carries).

sknn's engine runs exactly this rule, written out by hand rather than through
autograd. Here we compute the gradient of a two-layer regression network in a
few lines of numpy and compare it with the gradient sknn computes, read off one
step of plain gradient descent.
"""

# %%
# A two-layer network for two outputs
# -----------------------------------
# 3 inputs, 5 tanh hidden units, 2 linear outputs, 40 samples.
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler

from sknn import MLPRegressor

X, Y = make_regression(
    n_samples=40, n_features=3, n_targets=2, noise=1.0, random_state=0
)
X = StandardScaler().fit_transform(X)
Y = StandardScaler().fit_transform(Y)
n = X.shape[0]

# %%
# Reading sknn's gradient through the public API
# ----------------------------------------------
# With plain SGD (no momentum, no L2 penalty, one batch holding every sample)
# one update is ``W_after = W_before - lr * gradient``, so
# ``gradient = (W_before - W_after) / lr``. ``max_iter=1`` gives us a network
# after one step (the weights we differentiate at); one ``partial_fit`` then
# takes exactly one more step.
lr = 0.1
net = MLPRegressor(
    hidden_layer_sizes=(5,),
    activation="tanh",
    solver="sgd",
    momentum=0.0,
    alpha=0.0,
    batch_size=n,
    shuffle=False,
    learning_rate_init=lr,
    max_iter=1,
    random_state=0,
)
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)  # one epoch on purpose
    net.fit(X, Y)
W1, W2 = (w.copy() for w in net.coefs_)
b1, b2 = (b.copy() for b in net.intercepts_)
net.partial_fit(X, Y)
engine_grads = [
    (before - after) / lr
    for before, after in zip([W1, W2, b1, b2], net.coefs_ + net.intercepts_)
]

# %%
# The same gradient in numpy
# --------------------------
# sknn's regression loss is ``J = (1/n) sum_n 0.5 ||y_n - ŷ_n||^2``; the
# lecture writes the per-sample loss without the half, which only doubles every
# delta. The output layer is linear, so its error is the residual,
# ``delta^(2) = (ŷ - y) / n``. Note that ``coefs_[i]`` has shape
# ``(n_inputs, n_outputs)``: the transpose of the lecture's ``W``, so
# ``W z`` becomes ``z @ W``.
Z1 = X @ W1 + b1  # hidden pre-activations z^(1)
G1 = np.tanh(Z1)  # hidden activations g^(1)
Y_hat = G1 @ W2 + b2  # linear output: ŷ = z^(2)

delta2 = (Y_hat - Y) / n  # dJ/dz^(2)
delta1 = (1 - G1**2) * (delta2 @ W2.T)  # delta rule, tanh'(z) = 1 - tanh(z)^2

numpy_grads = [
    X.T @ delta1,  # dJ/dW^(1): delta_j * x_i, summed over samples
    G1.T @ delta2,  # dJ/dW^(2): delta_k * g_j
    delta1.sum(axis=0),  # dJ/db^(1)
    delta2.sum(axis=0),  # dJ/db^(2)
]

for name, mine, theirs in zip(
    ["W1", "W2", "b1", "b2"], numpy_grads, engine_grads
):
    print(
        f"{name}: shape {mine.shape}, largest |numpy - sknn| = "
        f"{np.max(np.abs(mine - theirs)):.1e}"
    )
    assert np.max(np.abs(mine - theirs)) < 1e-12


# %%
# The two agree to within 1e-15, the rounding error of the subtraction that
# recovered sknn's gradient. As a sanity check that the formula itself is
# right, a central finite difference on one weight agrees too.
def loss(W1_):
    Y_hat_ = np.tanh(X @ W1_ + b1) @ W2 + b2
    return 0.5 * np.mean(np.sum((Y - Y_hat_) ** 2, axis=1))


h = 1e-6
bump = np.zeros_like(W1)
bump[0, 0] = h
finite_difference = (loss(W1 + bump) - loss(W1 - bump)) / (2 * h)
print(
    f"dJ/dW1[0, 0]: delta rule {numpy_grads[0][0, 0]:.10f}, "
    f"finite difference {finite_difference:.10f}"
)
assert abs(numpy_grads[0][0, 0] - finite_difference) < 1e-7

# %%
# Every weight, side by side
# --------------------------
fig, axes = plt.subplots(1, 3, figsize=(11, 3.6), layout="constrained")
vmax = np.abs(numpy_grads[0]).max()
for ax, grad, title in [
    (axes[0], numpy_grads[0], "dJ/dW1 by hand (numpy)"),
    (axes[1], engine_grads[0], "dJ/dW1 from sknn's engine"),
]:
    im = ax.imshow(grad, cmap="RdBu", vmin=-vmax, vmax=vmax)
    ax.set(
        title=title,
        xlabel="hidden unit",
        ylabel="input",
        xticks=range(5),
        yticks=range(3),
    )
fig.colorbar(im, ax=axes[:2], shrink=0.8)
ax = axes[2]
mine = np.concatenate([g.ravel() for g in numpy_grads])
theirs = np.concatenate([g.ravel() for g in engine_grads])
ax.scatter(mine, theirs, s=15)
lim = [mine.min(), mine.max()]
ax.plot(lim, lim, "k--", lw=1)
ax.set(title=f"all {mine.size} parameters", xlabel="numpy", ylabel="sknn")
plt.show()
