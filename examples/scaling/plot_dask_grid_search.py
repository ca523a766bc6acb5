"""
===============================================================
A grid search on a local Dask cluster
===============================================================

:class:`~sklearn.model_selection.GridSearchCV` hands its fits to joblib, and
joblib can hand them to a Dask cluster. Here the cluster is two worker
processes on this machine; pointed at a scheduler on other machines, the same
code spreads the fits over those. sknn needs nothing special for this: an
estimator is pickled to a worker, fitted there, and its scores come back.

See :ref:`scaling_out` for clusters of several machines and GPUs.
"""

# %%
# The data and the search
# -----------------------
# A third of the handwritten digits, standardised, and four networks: two
# widths of the hidden layer, each trained for 20 epochs with two initial
# learning rates.
# Everything in this cell also runs in each worker process when this file is
# run as a script (see the next cell), so it only defines things.
import time
import warnings

import joblib
import matplotlib.pyplot as plt
import numpy as np
from distributed import Client, LocalCluster, get_task_stream
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sknn import MLPClassifier

# 20 epochs keep the example fast; the networks have not fully converged.
warnings.filterwarnings("ignore", category=ConvergenceWarning)

X, y = load_digits(return_X_y=True)
X, y = X[:600], y[:600]

search = GridSearchCV(
    make_pipeline(
        StandardScaler(), MLPClassifier(max_iter=20, random_state=0)
    ),
    {
        "mlpclassifier__hidden_layer_sizes": [(8,), (64,)],
        "mlpclassifier__learning_rate_init": [0.001, 0.01],
    },
    cv=3,
)

# %%
# Run it on the cluster
# ---------------------
# ``LocalCluster`` starts a scheduler and two worker processes with one thread
# each, listening on 127.0.0.1 only, without the web dashboard. Each worker
# runs one fit at a time, and torch in it uses one thread: distributed sets
# ``OMP_NUM_THREADS=1`` in a worker's environment, so the two workers share the
# machine's cores without fighting over them.
#
# Worker processes are *spawned*: each starts a fresh Python that imports this
# file again under the name ``__mp_main__``. The ``if __name__ == "__main__":``
# guard keeps that import from starting clusters of its own. The ``with``
# blocks close the client and the cluster, and with it the worker processes,
# once the search is done.
if __name__ == "__main__":
    start = time.perf_counter()
    with (
        LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        ) as cluster,
        Client(cluster) as client,
    ):
        with (
            get_task_stream(client) as tasks,
            joblib.parallel_config(backend="dask"),
        ):
            search.fit(X, y)
        workers = sorted(client.scheduler_info()["workers"])
    elapsed = time.perf_counter() - start

    per_worker = {
        w: sum(t["worker"] == w for t in tasks.data) for w in workers
    }
    print(f"best parameters: {search.best_params_}")
    print(f"best mean accuracy over 3 folds: {search.best_score_:.3f}")
    print(f"tasks run per worker: {per_worker}")
    print(f"cluster start, search and shut-down: {elapsed:.1f} s")

# %%
# The scores of every candidate
# -----------------------------
# The mean accuracy over the three folds, with one standard deviation; the
# best candidate in orange.
if __name__ == "__main__":
    results = search.cv_results_
    labels = [
        f"{p['mlpclassifier__hidden_layer_sizes']}\n"
        f"lr={p['mlpclassifier__learning_rate_init']:g}"
        for p in results["params"]
    ]
    positions = np.arange(len(labels))
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.bar(
        positions,
        results["mean_test_score"],
        yerr=results["std_test_score"],
        color=["C1" if i == search.best_index_ else "C0" for i in positions],
        capsize=4,
    )
    ax.set_xticks(positions, labels)
    ax.set_xlabel("hidden layer sizes, initial learning rate")
    ax.set_ylabel("mean accuracy (3-fold CV)")
    ax.set_ylim(0, 1)
    ax.set_title("GridSearchCV on two Dask workers")
    fig.tight_layout()
    plt.show()
