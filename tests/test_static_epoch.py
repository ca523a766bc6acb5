"""The static epoch: the form of the training loop a CUDA graph records.

On CUDA with ``SKNN_CUDA_GRAPHS=1`` (experimental) an epoch runs over
buffers that keep their addresses, with the learning rate and the step count
in device tensors, so it can be recorded once and replayed. These tests run
the same code on the CPU (without the graph) and check that it trains
exactly as the ordinary loop does, through everything a fit can do around
it: shuffling, weights, schedules, early stopping, warm starts and
``partial_fit`` afterwards. Where a GPU is present the last test fits with
the graph itself and compares.
"""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
import torch
from numpy.testing import assert_allclose
from sklearn.exceptions import ConvergenceWarning

from sknn import MLPClassifier, MLPRegressor, MultiLabelMLP, _engine


@pytest.fixture
def static_runs(monkeypatch):
    """Turns the static epoch on for CPU fits; counts the epochs it ran."""
    calls = {"n": 0}
    run = _engine._StaticEpoch.run_epoch

    def counting(self):
        calls["n"] += 1
        return run(self)

    monkeypatch.setattr(_engine._StaticEpoch, "run_epoch", counting)

    def fit(est, *args, static=True, **kwargs):
        monkeypatch.setattr(_engine, "_STATIC_EPOCHS_ON_CPU", static)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            return est.fit(*args, **kwargs)

    return calls, fit


def _data(kind, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.randn(300, 7)
    if kind == "regressor":
        return X, X @ rng.randn(7, 2) + 0.1 * rng.randn(300, 2)
    if kind == "multilabel":
        return X, (X[:, :3] + 0.3 * rng.randn(300, 3) > 0).astype(int)
    return X, (X[:, 0] + X[:, 1] > 0).astype(int) + (X[:, 2] > 0.8)


CLASSES = {
    "classifier": MLPClassifier,
    "regressor": MLPRegressor,
    "multilabel": MultiLabelMLP,
}
CASES = {
    "adam": ("classifier", dict()),
    "adam-float32": ("classifier", dict(_float32=True)),
    "adam-no-shuffle": ("classifier", dict(shuffle=False)),
    "sgd-nesterov": ("classifier", dict(solver="sgd", learning_rate_init=0.05)),
    "sgd-momentum": (
        "classifier",
        dict(solver="sgd", nesterovs_momentum=False, learning_rate_init=0.05),
    ),
    "sgd-plain": ("classifier", dict(solver="sgd", momentum=0.0)),
    "sgd-invscaling": (
        "regressor",
        dict(solver="sgd", learning_rate="invscaling", learning_rate_init=0.01),
    ),
    "adam-decay": ("classifier", dict(learning_rate="decay")),
    "adam-class-weight": ("classifier", dict(class_weight="balanced")),
    "adam-early-stopping": ("classifier", dict(early_stopping=True)),
    "regressor": ("regressor", dict(alpha=1e-2)),
    "multilabel-pos-weight": ("multilabel", dict(pos_weight="balanced")),
    "odd-batch": ("classifier", dict(batch_size=47)),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_static_epoch_trains_as_the_ordinary_loop(static_runs, case):
    calls, fit = static_runs
    kind, params = CASES[case]
    params = dict(params)
    X, y = _data(kind)
    if params.pop("_float32", False):
        X = X.astype(np.float32)
    params.setdefault("batch_size", 32)

    def make():
        return CLASSES[kind](
            hidden_layer_sizes=(16, 8),
            max_iter=8,
            random_state=0,
            device="cpu",
            **params,
        )

    ref = fit(make(), X, y, static=False)
    assert calls["n"] == 0
    got = fit(make(), X, y)
    assert calls["n"] == ref.n_iter_
    tol = 1e-4 if X.dtype == np.float32 else 1e-9
    for a, b in zip(got.coefs_ + got.intercepts_, ref.coefs_ + ref.intercepts_):
        assert_allclose(a, b, rtol=tol, atol=tol)
    assert_allclose(got.loss_curve_, ref.loss_curve_, rtol=tol)
    assert got.n_iter_ == ref.n_iter_


def test_static_epoch_with_sample_weight(static_runs):
    _, fit = static_runs
    X, y = _data("classifier")
    w = np.random.RandomState(3).uniform(0.0, 2.0, len(y))
    w[:40] = 0.0  # whole batches of zero weight after some shuffles
    make = lambda: MLPClassifier((16,), max_iter=5, random_state=0, device="cpu")  # noqa: E731
    ref = fit(make(), X, y, static=False, sample_weight=w)
    got = fit(make(), X, y, sample_weight=w)
    assert_allclose(got.coefs_[0], ref.coefs_[0], rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("solver", ["adam", "sgd"])
def test_optimizer_state_carries_on_after_static_epochs(static_runs, solver):
    # warm start and partial_fit continue from the step count and moments
    # the static epochs left, as after ordinary epochs
    _, fit = static_runs
    X, y = _data("classifier")
    models = []
    for static in (False, True):
        est = MLPClassifier(
            (16,), solver=solver, max_iter=4, random_state=0, device="cpu"
        )
        fit(est, X, y, static=static)
        est.set_params(warm_start=True)
        fit(est, X, y, static=static)
        est.partial_fit(X, y)  # ordinary epoch in both runs
        models.append(est)
    ref, got = models
    assert got.n_iter_ == ref.n_iter_ == 9
    assert_allclose(got.coefs_[0], ref.coefs_[0], rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize(
    "params, sparse",
    [
        (dict(dropout=0.2), False),
        (dict(solver="adamw"), False),
        (dict(solver="rmsprop"), False),
        (dict(precision="bfloat16"), False),
        (dict(), True),
    ],
)
def test_what_the_static_epoch_does_not_cover_runs_as_before(
    static_runs, params, sparse
):
    calls, fit = static_runs
    X, y = _data("classifier")
    X = sp.csr_matrix(X) if sparse else X

    def make():
        return MLPClassifier((8,), max_iter=3, random_state=0, device="cpu", **params)

    ref = fit(make(), X, y, static=False)
    got = fit(make(), X, y)
    assert calls["n"] == 0
    assert_allclose(got.coefs_[0], ref.coefs_[0], rtol=0, atol=0)


def test_cuda_graphs_stay_off_without_the_variable(monkeypatch):
    monkeypatch.delenv("SKNN_CUDA_GRAPHS", raising=False)
    net = _engine.Network(
        [3, 4, 2], "relu", "softmax", torch.float64, torch.device("cpu")
    )
    spec = dict(
        solver="adam",
        momentum=0.9,
        nesterovs_momentum=True,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        learning_rate_init=1e-3,
        alpha=0.0,
        precision="float64",
    )
    trainer = _engine.Trainer(net, spec, seed=0)
    rows = _engine._Rows(np.zeros((4, 3)), torch.float64, torch.device("cpu"))
    assert not trainer._static_eligible(rows, [0.0])
    net.device = torch.device("cuda", 0)  # what the check reads; nothing runs
    assert not trainer._static_eligible(rows, [0.0])
    monkeypatch.setenv("SKNN_CUDA_GRAPHS", "1")
    assert trainer._static_eligible(rows, [0.0])
    assert not trainer._static_eligible(rows, [0.5])


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_graph_fit_matches_the_ordinary_loop(monkeypatch):
    X, y = _data("classifier")
    X = X.astype(np.float32)
    fits = {}
    for flag in ("0", "1"):
        monkeypatch.setenv("SKNN_CUDA_GRAPHS", flag)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            fits[flag] = MLPClassifier(
                (16, 8), max_iter=6, random_state=0, device="cuda"
            ).fit(X, y)
    for a, b in zip(fits["1"].coefs_, fits["0"].coefs_):
        assert_allclose(a, b, rtol=1e-4, atol=1e-5)
    assert_allclose(fits["1"].loss_curve_, fits["0"].loss_curve_, rtol=1e-4)
