"""Predicting from several threads at once on one fitted estimator gives the
answers sequential calls give, including the very first prediction after
``fit`` (when the internal prediction network is built by whichever threads
get there first) and predictions split into several chunks."""

import copy
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import scipy.sparse as sp

import sknn._engine.facade
from sknn import MLPClassifier, MLPRegressor, MultiLabelMLP

N_THREADS, CALLS_PER_THREAD = 8, 20

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def _fitted(cls, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.randn(120, 8)
    if cls is MLPClassifier:
        y = np.array(["a", "b", "c", "d"])[np.arange(120) % 4]
    elif cls is MLPRegressor:
        y = X @ rng.randn(8)
    else:
        y = (rng.rand(120, 3) > 0.5).astype(int)
    est = cls(hidden_layer_sizes=(16, 8), max_iter=5, device="cpu", random_state=seed)
    return est.fit(X, y)


def _inputs():
    rng = np.random.RandomState(42)
    Xs = [rng.randn(n, 8) for n in (1, 7, 64, 300, 500)]
    Xs.append(sp.csr_matrix(np.where(rng.rand(200, 8) > 0.7, rng.randn(200, 8), 0.0)))
    Xs.append(rng.randn(150, 8).astype(np.float32))
    return Xs


def _methods(est):
    names = ["predict"]
    if hasattr(est, "predict_proba"):
        names += ["predict_proba", "predict_log_proba"]
    return names


def _run_concurrently(estimators, expected_fn):
    """Every thread waits at a barrier, then makes its calls; the tasks mix
    estimators, methods and inputs. Returns (task, result) pairs."""
    Xs = _inputs()
    barrier = threading.Barrier(N_THREADS)
    tasks = []
    for t in range(N_THREADS):
        thread_tasks = []
        for c in range(CALLS_PER_THREAD):
            e = (t + c) % len(estimators)
            methods = _methods(estimators[e])
            thread_tasks.append(
                (e, methods[(t * 7 + c) % len(methods)], (t + 3 * c) % len(Xs))
            )
        tasks.append(thread_tasks)

    def work(thread_tasks):
        barrier.wait(timeout=60)
        return [
            (task, getattr(estimators[task[0]], task[1])(Xs[task[2]]))
            for task in thread_tasks
        ]

    with ThreadPoolExecutor(max_workers=N_THREADS) as pool:
        results = [r for chunk in pool.map(work, tasks) for r in chunk]
    assert len(results) == N_THREADS * CALLS_PER_THREAD
    for (e, method, i), got in results:
        want = expected_fn(e, method, i)
        assert got.shape == want.shape and got.dtype == want.dtype
        np.testing.assert_array_equal(got, want, err_msg=f"{e} {method} X#{i}")
    return results


def _sequential_expectations(estimators):
    """Answers from deep copies (no shared prediction cache), one call at a
    time, computed before the originals ever predict."""
    copies = [copy.deepcopy(est) for est in estimators]
    Xs = _inputs()
    table = {}
    for e, est in enumerate(copies):
        for method in _methods(est):
            for i, X in enumerate(Xs):
                table[e, method, i] = getattr(est, method)(X)
    return lambda e, method, i: table[e, method, i]


@pytest.mark.parametrize("cls", [MLPClassifier, MLPRegressor, MultiLabelMLP])
def test_concurrent_predict_matches_sequential(cls):
    est = _fitted(cls)
    expected = _sequential_expectations([est])
    _run_concurrently([est], expected)  # the first predict after fit included
    _run_concurrently([est], expected)  # and with the prediction network built


def test_concurrent_predict_on_several_estimators():
    estimators = [
        _fitted(MLPClassifier, 0),
        _fitted(MLPClassifier, 1),
        _fitted(MLPRegressor, 2),
        _fitted(MultiLabelMLP, 3),
    ]
    expected = _sequential_expectations(estimators)
    _run_concurrently(estimators, expected)


def test_concurrent_predict_in_many_chunks(monkeypatch):
    """With a tiny chunk budget every call runs several chunks (64 rows each),
    interleaved across threads."""
    monkeypatch.setattr(sknn._engine.facade, "PREDICT_ELEMENTS", 64)
    est = _fitted(MLPClassifier)
    expected = _sequential_expectations([est])
    _run_concurrently([est], expected)


def test_concurrent_predict_after_refit_sees_new_weights():
    """A refit replaces the prediction network: threads predicting afterwards
    get the new model's answers, not the cached old one's."""
    est = _fitted(MLPClassifier, 0)
    _run_concurrently([est], _sequential_expectations([est]))
    rng = np.random.RandomState(5)
    X = rng.randn(120, 8)
    est.set_params(random_state=7).fit(
        X, np.array(["a", "b", "c", "d"])[np.arange(120) % 4]
    )
    _run_concurrently([est], _sequential_expectations([est]))


@pytest.mark.cuda
def test_concurrent_predict_on_cuda():
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("needs a CUDA device")
    rng = np.random.RandomState(0)
    X = rng.randn(120, 8)
    est = MLPClassifier(
        hidden_layer_sizes=(16, 8), max_iter=5, device="cuda", random_state=0
    ).fit(X, np.arange(120) % 4)
    assert est.device_.startswith("cuda")
    _run_concurrently([est], _sequential_expectations([est]))
