"""
===============================================================
Learned vectors for a category with many levels
===============================================================

A column of store ids, postcodes or product codes has hundreds or thousands
of levels. One-hot encoding gives the network one input per level; most of
them are zero in every row, and the first layer grows with the number of
levels. ``embedding_columns`` gives each level a short learned vector
instead: the column costs ``embedding_dim`` inputs, whatever its number of
levels, and levels that act alike end up with vectors close together.
"""

# %%
# A generated table
# -----------------
# 600 stores, each at a place on a map; whether a customer comes back
# depends on the store's place (a smooth function of its two coordinates,
# which the model never sees) and on the size of the purchase.
import time
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.compose import ColumnTransformer
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler

from sknn import MLPClassifier

rng = np.random.RandomState(0)
n_stores, n = 600, 6000
place = rng.uniform(-1, 1, (n_stores, 2))
store_effect = 2.0 * np.sin(2.5 * place[:, 0]) + 1.5 * place[:, 1]
store = rng.randint(0, n_stores, n)
amount = rng.normal(0, 1, n)
logit = store_effect[store] + amount
y = (logit + rng.logistic(size=n) * 0.5 > 0).astype(int)
X = np.column_stack([store, amount])  # column 0: the store id
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)

# %%
# One-hot codes, or a vector per store
# ------------------------------------
# Both networks are the same but for the store column: one-hot (one input
# per store seen in training), or ``OrdinalEncoder`` codes that
# ``embedding_columns=[0]`` turns into a learned 2-vector per store. A store
# unseen in training gets the encoder's code -1, which the network reads as
# a zero vector (as one-hot encoding gives it all-zero columns).
net = dict(hidden_layer_sizes=(64,), max_iter=30, random_state=0)
onehot = make_pipeline(
    ColumnTransformer(
        [
            ("store", OneHotEncoder(handle_unknown="ignore"), [0]),
            ("amount", StandardScaler(), [1]),
        ]
    ),
    MLPClassifier(**net),
)
codes = ColumnTransformer(
    [
        (
            "store",
            OrdinalEncoder(
                handle_unknown="use_encoded_value", unknown_value=-1
            ),
            [0],
        ),
        ("amount", StandardScaler(), [1]),
    ]
)
embedded = make_pipeline(
    codes, MLPClassifier(**net, embedding_columns=[0], embedding_dim=2)
)
results = {}
for name, model in [("one-hot", onehot), ("embeddings", embedded)]:
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter(
            "ignore", ConvergenceWarning
        )  # 30 epochs on purpose
        model.fit(X_train, y_train)
    seconds = time.perf_counter() - start
    width = model[-1].coefs_[0].shape[0]
    results[name] = model.score(X_test, y_test)
    print(
        f"{name:10s}  accuracy {results[name]:.3f}  "
        f"first-layer inputs {width:4d}  "
        f"fit {seconds:.1f} s"
    )
assert abs(results["embeddings"] - results["one-hot"]) < 0.03

# %%
# The two are about as accurate (within a few thousandths), and the embedded
# network's first layer takes 3 inputs (the store's two numbers and the
# amount) instead of one per store. That difference grows with the number of
# levels, and so does the time the first layer costs.
#
# What the vectors learned
# ------------------------
# Each store's 2-vector, coloured by the effect its place has on the
# label: the network was never told the places, yet stores of similar
# effect end up side by side, along a direction that orders them from
# low to high effect.
vectors = embedded[-1].embeddings_[0]
stores = codes.named_transformers_["store"].categories_[0].astype(int)
fig, ax = plt.subplots(figsize=(5, 4))
points = ax.scatter(
    vectors[:, 0], vectors[:, 1], c=store_effect[stores], cmap="coolwarm", s=12
)
fig.colorbar(points, label="the store's true effect")
ax.set_xlabel("embedding, first number")
ax.set_ylabel("embedding, second number")
ax.set_title("A learned 2-vector per store")
fig.tight_layout()

# %%
# How well does a straight line through the vectors recover the effect?
from sklearn.linear_model import LinearRegression  # noqa: E402

fit = LinearRegression().fit(vectors, store_effect[stores])
r2 = fit.score(vectors, store_effect[stores])
print(f"R^2 of the store effect from its vector: {r2:.2f}")
assert r2 > 0.8

# %%
# Most of the stores' effect can be read off their vectors by a linear
# map: the vectors are a compressed code of what the stores do to the
# label, learned from the labels alone. ``TabularMLPClassifier`` and
# ``TabularMLPRegressor`` do the same for categorical columns of more than
# ``max_onehot`` levels, with vectors of 128 numbers (``embedding_dim=128``).
