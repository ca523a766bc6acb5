"""Training never waits on the device inside an epoch.

Issue 8 asks that, on a GPU, the data stay on the device for the whole fit
with no host synchronisation per batch. Every such wait in Python goes
through a read of a tensor's value on the host (``item``, ``bool``,
``float``, ``tolist``, ``numpy``, ``cpu``). These tests count those reads
during ``fit`` and check that their number does not grow with the number of
batches: the reads are per epoch (the epoch's loss, the finiteness check,
the validation score), never per batch. The count is the same on the CPU,
where a read costs nothing, as on a GPU, where each would stall the queue of
kernels; the CUDA case runs where a GPU is present.
"""

import functools
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
import torch
from sklearn.exceptions import ConvergenceWarning

from sknn import MLPClassifier, MLPRegressor, MultiLabelMLP

READS = ("item", "tolist", "numpy", "cpu", "__bool__", "__float__", "__int__")
DEVICES = [
    "cpu",
    pytest.param(
        "cuda",
        marks=pytest.mark.skipif(
            not torch.cuda.is_available(), reason="needs a CUDA device"
        ),
    ),
]


@pytest.fixture
def count_reads(monkeypatch):
    counter = {"n": 0}

    def counting(method):
        @functools.wraps(method)
        def wrapper(*args, **kwargs):
            counter["n"] += 1
            return method(*args, **kwargs)

        return wrapper

    for name in READS:
        monkeypatch.setattr(torch.Tensor, name, counting(getattr(torch.Tensor, name)))
    return counter


def _reads_per_fit(counter, make, X, y, batch_size, **fit_params):
    est = make(batch_size)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        before = counter["n"]
        est.fit(X, y, **fit_params)
    return counter["n"] - before


def _data(kind, rng):
    X = rng.randn(400, 6)
    if kind == "regressor":
        return X, X @ rng.randn(6, 2)
    if kind == "multilabel":
        return X, (X[:, :3] > 0).astype(int)
    return X, (X[:, 0] + X[:, 1] > 0).astype(int) + (X[:, 2] > 1)


CASES = {
    "adam": ("classifier", dict()),
    "sgd-nesterov": ("classifier", dict(solver="sgd")),
    "rmsprop": ("classifier", dict(solver="rmsprop")),
    "adagrad": ("classifier", dict(solver="adagrad")),
    "adamw": ("classifier", dict(solver="adamw")),
    "dropout": ("classifier", dict(dropout=0.3)),
    "class-weight": ("classifier", dict(class_weight="balanced")),
    "early-stopping": (
        "classifier",
        dict(early_stopping=True, n_iter_no_change=10**6, tol=0.0),
    ),
    "invscaling": ("classifier", dict(solver="sgd", learning_rate="invscaling")),
    "decay": ("classifier", dict(learning_rate="decay")),
    "regressor": ("regressor", dict()),
    "multilabel": ("multilabel", dict(pos_weight="balanced")),
}


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("case", sorted(CASES))
def test_host_reads_do_not_grow_with_batches(count_reads, case, device):
    kind, params = CASES[case]
    X, y = _data(kind, np.random.RandomState(0))
    cls = {
        "classifier": MLPClassifier,
        "regressor": MLPRegressor,
        "multilabel": MultiLabelMLP,
    }[kind]

    def make(batch_size):
        return cls(
            hidden_layer_sizes=(8, 8),
            batch_size=batch_size,
            max_iter=3,
            random_state=0,
            device=device,
            **params,
        )

    # 4 and 40 batches per epoch (one short batch in the second: 400 = 39*10+10)
    few = _reads_per_fit(count_reads, make, X, y, 100)
    many = _reads_per_fit(count_reads, make, X, y, 10)
    assert few == many, f"{few} host reads with 4 batches, {many} with 40"
    assert few > 0  # the counter sees the per-epoch reads


@pytest.mark.parametrize("device", DEVICES)
def test_sample_weight_and_sparse_x_add_no_reads_per_batch(count_reads, device):
    rng = np.random.RandomState(1)
    X, y = _data("classifier", rng)
    w = rng.uniform(0.0, 2.0, len(y))

    def make(batch_size):
        return MLPClassifier(
            (8,), batch_size=batch_size, max_iter=2, random_state=0, device=device
        )

    for Xi in (X, sp.csr_matrix(X)):
        few = _reads_per_fit(count_reads, make, Xi, y, 100, sample_weight=w)
        many = _reads_per_fit(count_reads, make, Xi, y, 10, sample_weight=w)
        assert few == many


def test_counter_sees_a_read_per_batch(count_reads):
    # the test would catch a regression: a loop that reads each batch's loss
    # on the host is counted once per batch
    losses = [torch.ones(()) for _ in range(7)]
    before = count_reads["n"]
    total = sum(t.item() for t in losses)
    assert total == 7.0 and count_reads["n"] - before == 7
