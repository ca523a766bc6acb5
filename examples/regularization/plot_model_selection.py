"""
===============================================================
Model selection: train, validation and test
===============================================================

Three sets, three jobs:

* the **training set** fits the weights;
* the **validation set** chooses the hyper-parameters: number of layers and
  of units, dropout, the L2 penalty ``alpha``, ...;
* the **test set**, untouched until the end, estimates how the chosen model
  does on new data.

With little data, cross-validation reuses the training data for validation:
:class:`~sklearn.model_selection.GridSearchCV` splits it in ``cv`` folds and
validates every candidate on each fold in turn. sknn's estimators have plain
constructor parameters, so they go into a
:class:`~sklearn.pipeline.Pipeline` and a grid search unchanged.
"""

# %%
# Hold out the test set first
# ---------------------------
import warnings

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from sknn import MLPClassifier

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, train_size=600, stratify=y, random_state=0
)
print(f"training + validation: {len(X_train)} samples, test: {len(X_test)}")

# %%
# The search
# ----------
# The scaler sits inside the pipeline, so each fold is standardised with the
# statistics of its own training part only. The grid covers depth and width
# (one layer of 32 or 128 units, or two of 32), dropout and ``alpha``: 12
# candidates, each trained 3 times for 30 epochs.
pipe = Pipeline(
    [
        ("scale", StandardScaler()),
        (
            "mlp",
            MLPClassifier(
                max_iter=30, learning_rate_init=0.01, random_state=0
            ),
        ),
    ]
)
param_grid = {
    "mlp__hidden_layer_sizes": [(32,), (128,), (32, 32)],
    "mlp__dropout": [0.0, 0.3],
    "mlp__alpha": [1e-4, 3.0],
}
search = GridSearchCV(pipe, param_grid, cv=3, return_train_score=True)
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)  # 30 epochs on purpose
    search.fit(X_train, y_train)

# %%
# Every candidate's mean training and validation accuracy over the folds:
results = pd.DataFrame(search.cv_results_)
table = pd.DataFrame(
    {
        "layers": results["param_mlp__hidden_layer_sizes"].astype(str),
        "dropout": results["param_mlp__dropout"],
        "alpha": results["param_mlp__alpha"],
        "train": results["mean_train_score"].round(3),
        "validation": results["mean_test_score"].round(3),
        "± (std)": results["std_test_score"].round(3),
        "rank": results["rank_test_score"],
    }
).sort_values("rank")
table

# %%
# Training and validation scores side by side
# -------------------------------------------
# Every candidate fits its training folds almost perfectly, so the training
# score cannot tell them apart; the validation score can.
assert table["train"].min() > 0.98
assert np.ptp(table["train"]) < np.ptp(table["validation"])
labels = [
    f"{r.layers}, dropout {r.dropout}, alpha {r.alpha:g}"
    for r in table.itertuples()
]
pos = np.arange(len(table))[::-1]
fig, ax = plt.subplots(figsize=(7.5, 5))
ax.scatter(table["train"], pos, marker="|", s=200, color="C0", label="train")
ax.errorbar(
    table["validation"],
    pos,
    xerr=table["± (std)"],
    fmt="o",
    color="C1",
    label="validation (mean ± std over 3 folds)",
)
ax.set(
    yticks=pos,
    yticklabels=labels,
    xlabel="accuracy",
    title="GridSearchCV, best candidate on top",
)
ax.legend(loc="upper center", bbox_to_anchor=(0.4, -0.12), ncol=2)
fig.tight_layout()

# %%
# The test score of the chosen model
# ----------------------------------
# ``GridSearchCV`` refits the best candidate on the whole training set; the
# test set, used here for the first time, tells how well it generalises.
print("best parameters:", search.best_params_)
print(f"validation accuracy (cross-validated): {search.best_score_:.3f}")
test_accuracy = search.score(X_test, y_test)
print(f"test accuracy:                         {test_accuracy:.3f}")
