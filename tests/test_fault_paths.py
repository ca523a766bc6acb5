"""Fault paths of issue 13, each driven the way a user meets it.

One test per fault path (parametrized over its variants). Where scikit-learn
1.9.1's MLP defines the behaviour, the test expects scikit-learn's behaviour;
where it does not, the test expects what the issue-13 diagnosis
(/work/notes/upstream.md, team notes) decides. The tests
that fail today are ``xfail(strict=True)`` with their root cause and the
exception that shows the fault, so a fix turns them into a failure until the
marker is removed (and any other failure still fails).
"""

import json
import signal
import subprocess
import sys
import textwrap
import threading
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
import sklearn.neural_network as sk_nn
import torch
from sklearn.datasets import load_iris, make_multilabel_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils._param_validation import InvalidParameterError

from sknn import MLPClassifier, MLPRegressor, MultiLabelMLP, to_onnx

FAST = dict(hidden_layer_sizes=(5,), max_iter=5, random_state=0, device="cpu")
FAILED = pytest.fail.Exception  # what pytest.raises / pytest.warns / fail raise


def _xfail(reason, raises):
    return pytest.mark.xfail(strict=True, raises=raises, reason=f"{reason} (issue 13)")


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True)
    X = (X - X.mean(0)) / X.std(0)
    X.setflags(write=False)
    return X, y


def _quiet_fit(est, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(*args, **kwargs)


def _no_escape(call):
    """Run ``call``; a KeyboardInterrupt escaping sknn fails the test (with
    pytest's Failed) instead of stopping the session."""
    try:
        return call()
    except KeyboardInterrupt:
        pytest.fail("KeyboardInterrupt escaped from sknn")


class _SigintAtAddmm:
    """Deliver a real SIGINT to this thread at the first ``torch.addmm`` that
    the fit calls (optionally: the first one under inference mode, i.e. a
    forward pass that does not train: validation scoring). A profile hook,
    so nothing in sknn is patched."""

    def __init__(self, inference_only=False):
        self.inference_only = inference_only
        self.fired = False

    def _hook(self, frame, event, arg):
        if event != "c_call" or getattr(arg, "__name__", "") != "addmm":
            return
        if self.inference_only and not torch.is_inference_mode_enabled():
            return
        self.fired = True
        sys.setprofile(None)
        signal.raise_signal(signal.SIGINT)

    def __enter__(self):
        # Python's own SIGINT handler (raise KeyboardInterrupt), whatever an
        # earlier test or library left installed. One full run, under a
        # concurrent docs build, saw the signal delivered and no
        # KeyboardInterrupt raised; the cause was not found (not reproduced
        # in three runs since, nor under CPU load), a leftover handler is
        # the one cause this rules out
        self._saved = signal.signal(signal.SIGINT, signal.default_int_handler)
        sys.setprofile(self._hook)
        return self

    def __exit__(self, *exc):
        sys.setprofile(None)
        signal.signal(signal.SIGINT, self._saved)
        if not self.fired:
            # not pytest.fail: the xfail markers below expect Failed for the
            # fault itself, and a hook that never fired must not look like it
            raise RuntimeError("the SIGINT was never delivered (no torch.addmm)")
        return False


# ---------------------------------------------------------------------------
# 1. callbacks: setup without teardown
# ---------------------------------------------------------------------------
class _Lifecycle:
    """A FitCallback that records setup and teardown."""

    def __init__(self):
        self.events = []

    def setup(self, estimator, context):
        self.events.append("setup")

    def teardown(self, estimator, context):
        self.events.append("teardown")

    def on_fit_task_begin(self, estimator, context, **kwargs):
        pass

    def on_fit_task_end(self, estimator, context, **kwargs):
        return False


def _diverging_regression():
    rng = np.random.RandomState(0)
    X = rng.randn(50, 3) * 100
    return X, X[:, 0] * 1e3


@pytest.mark.parametrize(
    "fails",
    [
        pytest.param(False, id="fit-ok"),
        pytest.param(True, id="fit-raises"),
    ],
)
def test_callback_teardown_after_fit(fails):
    pytest.importorskip("sklearn.callback")
    X, y = _diverging_regression()
    if not fails:
        X, y = X / 100, y / 1e3
    cb = _Lifecycle()
    est = MLPRegressor(
        hidden_layer_sizes=(3,),
        solver="sgd",
        learning_rate_init=1e3 if fails else 1e-4,
        max_iter=5,
        device="cpu",
    )
    est.set_callbacks(cb)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        if fails:
            with pytest.raises(ValueError, match="non-finite"):
                est.fit(X, y)
        else:
            est.fit(X, y)
    assert cb.events == ["setup", "teardown"]


_PROGRESS_SCRIPT = textwrap.dedent(
    """
    import json, os, threading, warnings
    import numpy as np
    from sklearn.callback import ProgressBar
    from sknn import MLPRegressor
    warnings.simplefilter("ignore")
    rng = np.random.RandomState(0)
    X = rng.randn(50, 3) * 100
    before = set(threading.enumerate())
    est = MLPRegressor(hidden_layer_sizes=(3,), solver="sgd",
                       learning_rate_init=1e3, max_iter=50, device="cpu")
    est.set_callbacks(ProgressBar())
    try:
        est.fit(X, X[:, 0] * 1e3)
        raised = False
    except ValueError:
        raised = True
    left = [t.name for t in threading.enumerate()
            if t not in before and t.is_alive() and not t.daemon]
    print(json.dumps({"raised": raised, "left": left}))
    os._exit(0)  # a leaked non-daemon thread would keep a plain exit waiting
    """
)


def test_progress_bar_thread_stops_after_failed_fit():
    pytest.importorskip("rich")
    pytest.importorskip("sklearn.callback")
    out = subprocess.run(
        [sys.executable, "-c", _PROGRESS_SCRIPT],
        capture_output=True,
        text=True,
        timeout=120,
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["raised"]
    assert result["left"] == []


# ---------------------------------------------------------------------------
# 2. solver changed between fit and partial_fit
# ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "old, new",
    [("adam", "sgd"), ("sgd", "adam"), ("rmsprop", "adagrad"), ("adam", "rmsprop")],
)
def test_partial_fit_after_solver_change_starts_a_fresh_optimizer(iris, old, new):
    # scikit-learn neither raises nor warns (it silently keeps the old
    # solver's optimizer object); sknn's decision: a fresh optimizer state for
    # the new solver, with a UserWarning that names `solver`
    X, y = iris
    # trained enough to score well (5 epochs at lr 0.001 score ~0 on iris)
    params = dict(FAST, max_iter=50, learning_rate_init=0.01)
    clf = _quiet_fit(MLPClassifier(solver=old, **params), X, y)
    clf.set_params(solver=new)
    with pytest.warns(UserWarning, match="solver"):
        clf.partial_fit(X, y)
    assert all(np.isfinite(c).all() for c in clf.coefs_)
    assert clf.score(X, y) > 0.3


def test_untagged_optimizer_state_of_another_solver_names_solver(iris):
    # a state saved before states carried their solver: the new solver finds
    # its own state names missing, a ValueError naming solver (not KeyError)
    X, y = iris
    clf = _quiet_fit(MLPClassifier(solver="adam", **FAST), X, y)
    del clf._optimizer_state["solver"]
    clf.set_params(solver="sgd")
    with pytest.raises(ValueError, match="solver='sgd'"):
        clf.partial_fit(X, y)


# ---------------------------------------------------------------------------
# 3. set_params with an invalid value, then partial_fit
# ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "params",
    [
        {"alpha": -1},
        {"momentum": 5},
        {"batch_size": 0},
        {"learning_rate_init": -1},
        {"beta_1": 2},
        {"tol": -1},
    ],
    ids=lambda p: f"{next(iter(p))}={next(iter(p.values()))}",
)
def test_partial_fit_validates_parameters_set_after_fit(iris, params):
    # NB: scikit-learn 1.9.1 itself accepts these (its _fit_context skips
    # validation for partial_fit once fitted); sknn's decision (notes/
    # upstream.md): raise what fit raises for the same value.
    X, y = iris
    clf = _quiet_fit(MLPClassifier(solver="sgd", **FAST), X, y)
    with pytest.raises(InvalidParameterError):
        _quiet_fit(MLPClassifier(solver="sgd", **dict(FAST, **params)), X, y)
    clf.set_params(**params)
    name = next(iter(params))
    with pytest.raises(InvalidParameterError, match=f"'{name}' parameter"):
        clf.partial_fit(X, y)


# ---------------------------------------------------------------------------
# 4. divergence that never reaches NaN
# ---------------------------------------------------------------------------
_DIVERGE = (
    "BaseMLP._run_stochastic only reacts to non-finite weights/loss; a loss that "
    "grows to 1e136 (or validation scores going to -inf/nan) ends the fit with no "
    "warning"
)


def test_divergence_without_nan_warns(iris):
    X, y = iris
    clf = MLPClassifier(solver="sgd", learning_rate_init=1e6, **dict(FAST, max_iter=20))
    with pytest.warns(ConvergenceWarning, match="learning_rate_init"):
        clf.fit(X, y)
    proba = clf.predict_proba(X)
    assert np.isfinite(proba).all()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)


def test_divergence_with_early_stopping_warns_and_keeps_best_epoch(iris):
    X, _ = iris
    y = X[:, 0] * 100
    reg = MLPRegressor(
        solver="sgd",
        learning_rate_init=1e3,
        early_stopping=True,
        **dict(FAST, max_iter=20),
    )
    with pytest.warns(ConvergenceWarning, match="learning_rate_init"):
        reg.fit(X, y)
    scores = np.array(reg.validation_scores_, dtype=float)
    assert not np.isfinite(scores[-1])  # it did diverge
    assert reg.best_validation_score_ == np.nanmax(scores[np.isfinite(scores)])
    assert np.isfinite(reg.predict(X)).all()


# ---------------------------------------------------------------------------
# 5. pos_weight='balanced' and a label that is always 1
# ---------------------------------------------------------------------------
def test_balanced_pos_weight_of_a_label_without_negatives(iris):
    X, y = iris
    Y = np.c_[np.ones(len(y)), y == 1, y == 2].astype(int)
    # lr 0.01: 50 full-batch Adam steps at the default 0.001 leave one row of
    # the constant label below 0.5 whatever its weight
    clf = MultiLabelMLP(
        pos_weight="balanced", learning_rate_init=0.01, **dict(FAST, max_iter=50)
    )
    _quiet_fit(clf, X, Y)
    assert clf.pos_weight_[0] == 1.0
    assert (clf.predict(X)[:, 0] == 1).all()


# ---------------------------------------------------------------------------
# 6. KeyboardInterrupt (a real SIGINT)
# ---------------------------------------------------------------------------
def test_refit_interrupted_in_first_epoch_has_no_stale_loss(iris):
    X, y = iris
    clf = _quiet_fit(MLPClassifier(**FAST), X, y)
    assert np.isfinite(clf.loss_)
    with _SigintAtAddmm():
        with pytest.warns(UserWarning, match="KeyboardInterrupt"):
            _no_escape(lambda: clf.fit(X, y))
    assert clf.n_iter_ == 0
    assert clf.loss_curve_ == []
    assert np.isnan(clf.loss_)
    assert clf.predict(X).shape == y.shape


_ESCAPE = (
    "BaseMLP._run_stochastic catches KeyboardInterrupt only around trainer.epoch; "
    "the learning-rate search (_search_learning_rate) and the validation scoring "
    "(_validation_score(predict_raw(...))) run outside that try, so the interrupt "
    "escapes fit"
)


@pytest.mark.parametrize("where", ["learning-rate-search", "validation-scoring"])
def test_interrupt_outside_an_epoch_keeps_usable_model(iris, where):
    X, y = iris
    if where == "learning-rate-search":
        clf = MLPClassifier(learning_rate_init="auto", **FAST)
        hook = _SigintAtAddmm()
    else:
        clf = MLPClassifier(early_stopping=True, **FAST)
        hook = _SigintAtAddmm(inference_only=True)
    with hook:
        with pytest.warns(UserWarning, match="KeyboardInterrupt"):
            _no_escape(lambda: clf.fit(X, y))
    assert len(clf.loss_curve_) == clf.n_iter_
    if where == "validation-scoring":  # the unscored epoch is not counted
        assert clf.n_iter_ == 0
        assert clf.validation_scores_ == []
    else:  # no rate was found: no epoch ran, the initial weights stay
        assert clf.n_iter_ == 0
        assert np.isnan(clf.loss_)
    assert clf.predict(X).shape == y.shape


# ---------------------------------------------------------------------------
# 7. sparse indicator y
# ---------------------------------------------------------------------------
def _indicator(y):
    return np.c_[y == 0, y == 1, y >= 1].astype(int)


def test_sparse_indicator_y_mlpclassifier(iris):
    X, y = iris
    Y = _indicator(y)
    dense = _quiet_fit(MLPClassifier(**FAST), X, Y)
    clf = _quiet_fit(MLPClassifier(**FAST), X, sp.csr_matrix(Y))
    pred = clf.predict(X)
    assert sp.issparse(pred)  # as scikit-learn's MLPClassifier
    np.testing.assert_array_equal(pred.toarray(), dense.predict(X))


def test_sparse_indicator_y_multilabelmlp(iris):
    X, y = iris
    Y = _indicator(y)
    dense = _quiet_fit(MultiLabelMLP(**FAST), X, Y)
    clf = _quiet_fit(MultiLabelMLP(**FAST), X, sp.csr_matrix(Y))
    pred = clf.predict(X)
    pred = pred.toarray() if sp.issparse(pred) else pred
    np.testing.assert_array_equal(pred, dense.predict(X))


# ---------------------------------------------------------------------------
# 8. class_weight with multilabel y
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("class_weight", ["balanced", {0: 5.0}])
def test_class_weight_with_multilabel_y_is_rejected(iris, class_weight):
    X, y = iris
    clf = MLPClassifier(class_weight=class_weight, **FAST)
    with pytest.raises(ValueError, match="class_weight"):
        _quiet_fit(clf, X, _indicator(y))


# ---------------------------------------------------------------------------
# 9. devices other than cpu / cuda
# ---------------------------------------------------------------------------
def test_mps_requested_without_mps(iris):
    if torch.backends.mps.is_available():
        pytest.skip("this machine has MPS")
    with pytest.raises(ValueError, match="device='mps'"):
        MLPClassifier(**dict(FAST, device="mps")).fit(*iris)


@pytest.mark.parametrize("device", ["mps", "xpu"])
def test_model_from_another_accelerator_predicts_on_cpu(iris, device):
    X, y = iris
    clf = _quiet_fit(MLPClassifier(**FAST), X, y)
    expected = clf.predict_proba(X)
    # what a model fitted there looks like here: numpy weights, device_ names it
    state = clf.__getstate__()
    state["device_"] = device
    twin = MLPClassifier.__new__(MLPClassifier)
    twin.__setstate__(state)
    np.testing.assert_array_equal(twin.predict_proba(X), expected)


# ---------------------------------------------------------------------------
# 10. a network too large to allocate
# ---------------------------------------------------------------------------
def test_huge_hidden_layer_sizes_names_the_parameter(iris):
    with pytest.raises((ValueError, MemoryError), match="hidden_layer_sizes"):
        MLPClassifier(**dict(FAST, hidden_layer_sizes=(10**12,))).fit(*iris)


# ---------------------------------------------------------------------------
# 11. ONNX
# ---------------------------------------------------------------------------
def _onnx_run(est, X):
    ort = pytest.importorskip("onnxruntime")
    sess = ort.InferenceSession(
        to_onnx(est).SerializeToString(), providers=["CPUExecutionProvider"]
    )
    names = [o.name for o in sess.get_outputs()]
    return dict(zip(names, sess.run(None, {"X": X})))


def test_onnx_uint64_labels(iris):
    pytest.importorskip("onnx")
    X, y = iris
    labels = np.array([1, 2**63, 2**64 - 1], dtype=np.uint64)
    clf = _quiet_fit(MLPClassifier(**FAST), X, labels[y.astype(int)])
    got = _onnx_run(clf, X)["label"]
    np.testing.assert_array_equal(got, clf.predict(X))
    assert got.dtype == np.uint64


def test_onnx_regressor_column_y_matches_predict(iris):
    pytest.importorskip("onnx")
    X, y = iris
    reg = _quiet_fit(MLPRegressor(**FAST), X, X[:, :1].copy())
    want = reg.predict(X)
    got = _onnx_run(reg, X)["predictions"]
    assert got.shape == want.shape == (len(X),)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------------------
# 12. concurrent predict and the global warnings filters
# ---------------------------------------------------------------------------
def test_concurrent_predict_leaves_warning_filters_alone(iris):
    X, y = iris  # read-only
    clf = _quiet_fit(MLPClassifier(**FAST), X, y)
    clf.predict(X)  # imports and caches done

    def work():
        for _ in range(100):
            clf.predict(X)

    before = list(warnings.filters)
    for _ in range(5):  # the race shows within one round in practice
        threads = [threading.Thread(target=work) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if warnings.filters != before:
            break
    assert warnings.filters == before


def test_read_only_input_is_not_copied_and_not_warned_about():
    from sknn._engine.compat import tensor_from_numpy

    X = np.arange(12.0).reshape(3, 4)[:, ::2]
    X.setflags(write=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        t = tensor_from_numpy(X)
    assert t.data_ptr() == X.ctypes.data  # the same memory, no copy
    np.testing.assert_array_equal(t.numpy(), X)
    assert not X.flags.writeable


# ---------------------------------------------------------------------------
# 13. which input could not be converted
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("culprit", ["X", "y", "sample_weight"])
def test_string_input_error_names_the_input(iris, culprit):
    X, y = iris
    kwargs = {"X": X, "y": X[:, 0].copy(), "sample_weight": None}
    if culprit == "X":
        kwargs["X"] = np.full(X.shape, "a", dtype=object)
    elif culprit == "y":
        kwargs["y"] = np.full(len(X), "a", dtype=object)
    else:
        kwargs["sample_weight"] = np.full(len(X), "a", dtype=object)
    with pytest.raises(ValueError, match=rf"(?<![\w]){culprit}(?![\w])"):
        MLPRegressor(**FAST).fit(**kwargs)


# ---------------------------------------------------------------------------
# 14. where sknn and scikit-learn disagree on what is accepted
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("Est", [MLPClassifier, MLPRegressor, MultiLabelMLP])
def test_partial_fit_with_early_stopping_raises(iris, Est):
    X, y = iris
    if Est is MultiLabelMLP:
        y = _indicator(y)
    kwargs = {"classes": np.unique(y)} if Est is MLPClassifier else {}
    est = Est(early_stopping=True, **FAST)
    with pytest.raises(ValueError, match="partial_fit does not support early_stop"):
        est.partial_fit(X, y, **kwargs)


def test_warm_start_with_fewer_classes_raises(iris):
    X, y = iris
    clf = _quiet_fit(MLPClassifier(warm_start=True, **FAST), X, y)
    msg = (
        "warm_start can only be used where `y` has the same classes as in the "
        "previous call to fit. Previously got [0 1 2], `y` has [0 1]"
    )
    with pytest.raises(ValueError, match=msg.replace("[", r"\[").replace("]", r"\]")):
        clf.fit(X[y < 2], y[y < 2])


def test_single_class_y_trains_like_scikit_learn(iris):
    X, _ = iris
    y = np.full(len(X), 7)
    ref = _quiet_fit(sk_nn.MLPClassifier(hidden_layer_sizes=(5,), max_iter=5), X, y)
    clf = _quiet_fit(MLPClassifier(**FAST), X, y)
    np.testing.assert_array_equal(clf.classes_, ref.classes_)
    np.testing.assert_array_equal(clf.predict(X), ref.predict(X))
    assert clf.predict_proba(X).shape == ref.predict_proba(X).shape == (len(X), 2)


@pytest.mark.parametrize(
    "y",
    [[0, 0, 0, 1], ["a"] * 10 + ["b"] * 9 + ["c"]],
    ids=["binary", "multiclass-str"],
)
def test_stratified_split_matches_scikit_learn(y):
    X = np.arange(2.0 * len(y)).reshape(len(y), 2)
    ref = sk_nn.MLPClassifier(early_stopping=True, hidden_layer_sizes=(5,), max_iter=5)
    clf = MLPClassifier(early_stopping=True, **FAST)
    try:
        _quiet_fit(ref, X, y)
    except ValueError as exc:
        with pytest.raises(ValueError, match=r"Classes with too few members") as got:
            clf.fit(X, y)
        assert str(exc) in str(got.value)
    else:  # scikit-learn did not stratify: sknn trains too
        _quiet_fit(clf, X, y)
        np.testing.assert_array_equal(clf.classes_, ref.classes_)


def test_log_proba_argmax_matches_proba_on_saturated_multilabel_rows():
    X, Y = make_multilabel_classification(n_samples=50, random_state=0)
    clf = MLPClassifier(solver="lbfgs", hidden_layer_sizes=30, random_state=0)
    _quiet_fit(clf, X, Y)
    proba = clf.predict_proba(X)
    assert (proba == 1.0).sum(axis=1).max() > 1  # some rows do saturate
    log_proba = clf.predict_log_proba(X)
    np.testing.assert_array_equal(log_proba.argmax(axis=1), proba.argmax(axis=1))
    with np.errstate(divide="ignore"):
        np.testing.assert_array_equal(log_proba, np.log(proba))


def test_interrupt_stops_the_whole_tabular_ensemble():
    """Ctrl-C in the first of three networks stops the ensemble there: one
    press, a warning naming what was kept, a model that predicts."""
    pd = pytest.importorskip("pandas")
    from sknn import TabularMLPClassifier

    rng = np.random.RandomState(0)
    X = pd.DataFrame({"a": rng.normal(size=200), "b": rng.choice(["u", "v"], 200)})
    y = rng.randint(0, 2, 200)
    clf = TabularMLPClassifier(n_ensemble=3, max_iter=5, random_state=0)
    with _SigintAtAddmm():
        with pytest.warns(UserWarning, match="keeps the 1 of its n_ensemble=3"):
            _no_escape(lambda: clf.fit(X, y))
    assert len(clf.estimators_) == 1
    assert clf.predict_proba(X).shape == (200, 2)
