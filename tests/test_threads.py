"""The thread policy (issue 14): the count of torch intra-op threads a fit or
a prediction uses is chosen per call, forced by ``n_threads``, capped by
torch's current count (and so by ``threadpool_limits``), and torch's setting
is back as it was when the call returns, also after a failure and when
several fits run at once in threads of one process."""

import threading

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.datasets import load_iris
from sklearn.utils._param_validation import InvalidParameterError
from threadpoolctl import threadpool_limits

from sknn import MLPClassifier, MLPRegressor, MultiLabelMLP
from sknn._engine import threads as policy

callback = pytest.importorskip(
    "sklearn.callback", reason="scikit-learn < 1.9 has no callback API"
)

FAST = dict(max_iter=2, tol=0, n_iter_no_change=10**9, random_state=0, device="cpu")


class ThreadsSeen:
    """A FitCallback recording ``torch.get_num_threads()`` at every epoch's
    end, inside the fit."""

    max_propagation_depth = None

    def __init__(self):
        self.seen = []

    def setup(self, estimator, context):
        pass

    def teardown(self, estimator, context):
        pass

    def on_fit_task_begin(self, estimator, context, **kwargs):
        pass

    def on_fit_task_end(self, estimator, context, **kwargs):
        if context.task_name == "epoch":
            self.seen.append(torch.get_num_threads())
        return False


@pytest.fixture
def iris():
    X, y = load_iris(return_X_y=True)
    return ((X - X.mean(0)) / X.std(0)).astype(np.float32), y


@pytest.fixture
def two_threads():
    """torch at two threads for the test (whatever the machine has), put
    back afterwards."""
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    yield
    torch.set_num_threads(before)


def _fit_seen(est, X, y):
    rec = ThreadsSeen()
    est.set_callbacks(rec).fit(X, y)
    return rec.seen


def test_policy_counts_the_largest_product():
    assert policy.largest_product(32, [64, 256, 10]) == 32 * 64 * 256
    # small work: one thread, whatever torch allows
    assert policy.policy(32, [64, 256, 10], ceiling=16) == 1
    big = 2 * policy.MACS_PER_THREAD
    assert policy.policy(big, [1, 1, 1], ceiling=16) == 2
    assert policy.policy(big * 8, [1, 1], ceiling=4) == 4  # capped
    assert policy.policy(1, [1, 1], n_threads=3, ceiling=8) == 3  # forced
    assert policy.policy(1, [1, 1], n_threads=3, ceiling=2) == 2  # capped


def test_default_small_fit_runs_on_one_thread(iris, two_threads):
    X, y = iris
    seen = _fit_seen(MLPClassifier((8,), **FAST), X, y)
    assert seen == [1, 1]
    assert torch.get_num_threads() == 2


def test_n_threads_forces_the_count(iris, two_threads):
    X, y = iris
    assert _fit_seen(MLPClassifier((8,), n_threads=2, **FAST), X, y) == [2, 2]
    assert _fit_seen(MLPClassifier((8,), n_threads=1, **FAST), X, y) == [1, 1]
    # never above torch's own count
    assert _fit_seen(MLPClassifier((8,), n_threads=64, **FAST), X, y) == [2, 2]
    assert torch.get_num_threads() == 2


def test_respects_threadpool_limits(iris, two_threads):
    X, y = iris
    with threadpool_limits(limits=1, user_api="openmp"):
        assert torch.get_num_threads() == 1
        seen = _fit_seen(MLPClassifier((8,), n_threads=2, **FAST), X, y)
        assert torch.get_num_threads() == 1
    assert seen == [1, 1]
    assert torch.get_num_threads() == 2


@pytest.mark.parametrize("n_threads", [None, 1, 2])
def test_count_restored_after_fit_and_predict(iris, two_threads, n_threads):
    X, y = iris
    clf = MLPClassifier((8,), n_threads=n_threads, **FAST).fit(X, y)
    assert torch.get_num_threads() == 2
    clf.predict(X)
    clf.predict_proba(X)
    clf.hidden_activations(X)
    assert torch.get_num_threads() == 2
    reg = MLPRegressor(
        hidden_layer_sizes=(8,), solver="lbfgs", n_threads=n_threads, **FAST
    )
    reg.fit(X, y.astype(float)).predict(X)
    assert torch.get_num_threads() == 2


class Boom(RuntimeError):
    pass


class Raiser(ThreadsSeen):
    def on_fit_task_end(self, estimator, context, **kwargs):
        super().on_fit_task_end(estimator, context, **kwargs)
        raise Boom


def test_count_restored_after_a_failing_fit(iris, two_threads):
    X, y = iris
    rec = Raiser()
    with pytest.raises(Boom):
        MLPClassifier((8,), **FAST).set_callbacks(rec).fit(X, y)
    assert rec.seen == [1]  # it failed inside the scope
    assert torch.get_num_threads() == 2


def test_concurrent_fits_leave_the_setting_as_it_was(iris, two_threads):
    X, y = iris
    errors, seen = [], []
    start = threading.Barrier(6)

    def work(i):
        try:
            start.wait()
            for _ in range(3):
                est = MLPClassifier((8,), n_threads=(None, 1, 2)[i % 3], **FAST)
                seen.extend(_fit_seen(est, X, y))
                est.predict(X)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert set(seen) <= {1, 2}
    assert torch.get_num_threads() == 2
    assert not policy._ACTIVE
    # a thread started now picks up the process's count, not a lowered one
    fresh = []
    t = threading.Thread(target=lambda: fresh.append(torch.get_num_threads()))
    t.start()
    t.join()
    assert fresh == [2]


class Holder(ThreadsSeen):
    """Holds the fit inside its first epoch until released."""

    def __init__(self):
        super().__init__()
        self.inside, self.release = threading.Event(), threading.Event()

    def on_fit_task_end(self, estimator, context, **kwargs):
        super().on_fit_task_end(estimator, context, **kwargs)
        self.inside.set()
        assert self.release.wait(60)
        return False


def test_thread_started_during_a_fit_gets_the_process_count_back(iris, two_threads):
    """A thread whose first torch call falls inside another thread's fit
    starts with the fit's lowered count (torch copies it in); its own sknn
    calls leave it with the process's count, and the fit still holding
    keeps its count meanwhile."""
    X, y = iris
    hold = Holder()
    holder = threading.Thread(
        target=lambda: (
            MLPClassifier((8,), n_threads=1, **FAST).set_callbacks(hold).fit(X, y)
        )
    )
    holder.start()
    assert hold.inside.wait(60)
    seen = {}

    def late():
        seen["first"] = torch.get_num_threads()
        clf = MLPClassifier((8,), n_threads=2, **FAST).fit(X, y)
        clf.predict(X)
        seen["after"] = torch.get_num_threads()

    t = threading.Thread(target=late)
    t.start()
    t.join()
    hold.release.set()
    holder.join()
    assert seen["first"] == 1  # what torch hands a new thread meanwhile
    assert seen["after"] == 2
    assert hold.seen == [1, 1]
    assert torch.get_num_threads() == 2
    fresh = []
    t = threading.Thread(target=lambda: fresh.append(torch.get_num_threads()))
    t.start()
    t.join()
    assert fresh == [2]


def test_nested_scopes_restore_in_order(two_threads):
    with policy.scoped(1, [1, 1]) as outer:
        assert outer == 1 and torch.get_num_threads() == 1
        with policy.scoped(1, [1, 1], n_threads=2) as inner:
            # the smallest count asked for holds while both run
            assert inner == 1 and torch.get_num_threads() == 1
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == 2


@pytest.mark.parametrize("cls", [MLPClassifier, MLPRegressor, MultiLabelMLP])
def test_parameter_in_params_and_clone(cls):
    est = cls(n_threads=3)
    assert est.get_params()["n_threads"] == 3
    assert clone(est).n_threads == 3
    assert cls().get_params()["n_threads"] is None


@pytest.mark.parametrize("bad", [0, -1, 1.5, "two"])
def test_bad_values_raise(iris, bad):
    X, y = iris
    with pytest.raises(InvalidParameterError, match="n_threads"):
        MLPClassifier((8,), n_threads=bad, **FAST).fit(X, y)
