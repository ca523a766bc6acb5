"""The benchmark's configurations and their data.

A configuration is a data set, a batch size, the dtype X is handed over in,
and a default number of epochs.  Every worker process builds its data here
from a fixed seed, so every implementation sees the same rows.
"""

from dataclasses import dataclass

import numpy as np

# d -> 256 -> 128 -> k, as in issue 8.
HIDDEN = (256, 128)
LEARNING_RATE = 1e-3
SEED = 0
# The warm-up fit runs one epoch over at most this many rows, with the same
# batch size as the timed fit: enough to pay every first-call cost (lazy
# imports, the optimizer's first step, allocator growth) at little time.
WARMUP_ROWS = 4096


@dataclass(frozen=True)
class Config:
    name: str
    dataset: str  # "classification", "regression" or "digits"
    batch_size: object  # rows per batch, or "auto" (scikit-learn's min(200, n))
    dtype: str  # the dtype of X as handed to every implementation
    epochs: int  # default number of timed epochs
    description: str
    hidden: tuple = HIDDEN

    def batch_rows(self, n_samples):
        """Rows per batch on ``n_samples`` rows ("auto": min(200, n))."""
        if self.batch_size == "auto":
            return min(200, n_samples)
        return self.batch_size

    @property
    def task(self):
        return "regression" if self.dataset == "regression" else "classification"

    @property
    def baseline_key(self):
        """Configurations with the same key share data and batch size; the
        ratio column compares each with scikit-learn fed float32 X on it."""
        return (self.dataset, self.batch_size, self.hidden)


CONFIGS = {
    c.name: c
    for c in [
        Config(
            "clf-b256",
            "classification",
            256,
            "float32",
            3,
            "make_classification 50k x 100, 10 classes, batch 256",
        ),
        Config(
            "clf-b256-f64",
            "classification",
            256,
            "float64",
            2,
            "same, X handed over as float64",
        ),
        Config(
            "clf-b32",
            "classification",
            32,
            "float32",
            1,
            "make_classification 50k x 100, 10 classes, batch 32",
        ),
        Config(
            "reg-b256",
            "regression",
            256,
            "float32",
            3,
            "make_regression 50k x 100, batch 256",
        ),
        Config(
            "digits-b32",
            "digits",
            32,
            "float32",
            10,
            "load_digits (1797 x 64, 10 classes), batch 32",
        ),
        Config(
            "digits-small",
            "digits",
            "auto",
            "float32",
            30,
            "load_digits, hidden (20,), scikit-learn's default batch (200): "
            "the small network of issue 14",
            hidden=(20,),
        ),
    ]
}


def load(config):
    """``(X, y)`` for a configuration: X in the configuration's dtype, y int64
    class labels (classification) or float targets scaled to unit variance."""
    if config.dataset == "classification":
        from sklearn.datasets import make_classification

        X, y = make_classification(
            n_samples=50_000,
            n_features=100,
            n_informative=40,
            n_redundant=20,
            n_classes=10,
            n_clusters_per_class=2,
            random_state=SEED,
        )
    elif config.dataset == "regression":
        from sklearn.datasets import make_regression

        X, y = make_regression(
            n_samples=50_000,
            n_features=100,
            n_informative=50,
            noise=10.0,
            random_state=SEED,
        )
        y = (y - y.mean()) / y.std()
    elif config.dataset == "digits":
        from sklearn.datasets import load_digits

        X, y = load_digits(return_X_y=True)
        X = X / 16.0
    else:  # pragma: no cover - guarded by CONFIGS
        raise ValueError(f"unknown dataset {config.dataset!r}")
    X = np.ascontiguousarray(X, dtype=config.dtype)
    if config.task == "classification":
        return X, y.astype(np.int64)
    return X, y.astype(config.dtype)
