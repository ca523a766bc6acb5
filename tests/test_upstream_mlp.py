"""scikit-learn's own MLP test file, run against sknn's estimators.

The file is read from the installed scikit-learn (never copied here). Its
``from sklearn.neural_network import MLPClassifier, MLPRegressor`` is
rewritten to import sknn's classes before the module body runs, so the
module-level parametrize lists hold sknn's classes too; every ``test_*``
function is then re-exported here with its own marks.

``MARKS_BY_ID`` (applied by tests/conftest.py) lists, per test id:

* ``PRIVATE``: tests that read scikit-learn's private internals; they are
  skipped, and their public assertions are checked by the ``test_public_*``
  tests at the end of this module (against scikit-learn as well, to show that
  the expectation is scikit-learn's behaviour).
* ``XFAIL``: tests that fail today, each with its root cause; strict, so a
  fix turns them into a failure until the marker is removed.

The diagnosis and the fixes: the team notes, /work/notes/upstream.md (issue 13).
"""

import ast
import pathlib
import re
import warnings

import numpy as np
import pytest
import sklearn
import sklearn.neural_network as sk_nn
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import LabelBinarizer

import sknn

UPSTREAM_PATH = (
    pathlib.Path(sklearn.__file__).parent / "neural_network" / "tests" / "test_mlp.py"
)
ESTIMATORS = ("MLPClassifier", "MLPRegressor")


def _load_upstream():
    source = UPSTREAM_PATH.read_text(encoding="utf-8")
    tree = ast.parse(source, filename=str(UPSTREAM_PATH))
    swapped = 0
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "sklearn.neural_network":
            names = sorted(alias.name for alias in node.names)
            if names != sorted(ESTIMATORS):
                raise RuntimeError(f"unexpected import in {UPSTREAM_PATH}: {names}")
            node.module = "sknn"
            swapped += 1
    if swapped != 1:
        raise RuntimeError(
            f"{UPSTREAM_PATH} imports the estimators {swapped} times, expected once"
        )
    namespace = {
        "__name__": "sklearn_upstream_test_mlp",
        "__file__": str(UPSTREAM_PATH),
    }
    exec(compile(tree, str(UPSTREAM_PATH), "exec"), namespace)
    for name in ESTIMATORS:
        if namespace[name] is not getattr(sknn, name):
            raise RuntimeError(f"{name} was not swapped for sknn.{name}")
    return namespace


_UPSTREAM = _load_upstream()
UPSTREAM_TESTS = sorted(n for n in _UPSTREAM if n.startswith("test_"))
globals().update({name: _UPSTREAM[name] for name in UPSTREAM_TESTS})


# ---------------------------------------------------------------------------
# Tests that read scikit-learn's private internals (skipped; see test_public_*)
# ---------------------------------------------------------------------------
PRIVATE = {
    "test_gradient": "calls MLPClassifier._loss_grad_lbfgs (scikit-learn's private "
    "loss/gradient function); public check: test_public_gradient",
    "test_learning_rate_warmstart": "reads _optimizer.learning_rate (scikit-learn's "
    "private optimizer object); public check: test_public_learning_rate_warmstart",
    "test_adaptive_learning_rate": "reads _optimizer.learning_rate; public check: "
    "test_public_adaptive_learning_rate",
}


def _xfail(reason, raises):
    return pytest.mark.xfail(strict=True, raises=raises, reason=f"{reason} (issue 13)")


# every upstream failure of issue 13 is fixed; a new one gets its entry here,
# ``"test_id": _xfail("root cause", ExpectedException)``
XFAIL = {}

MARKS_BY_ID = {
    **{name: [pytest.mark.skip(reason=why)] for name, why in PRIVATE.items()},
    **{key: [mark] for key, mark in XFAIL.items()},
}


def test_marks_name_upstream_tests():
    # a renamed or removed upstream test must not leave a stale entry behind
    for key in MARKS_BY_ID:
        assert key.split("[")[0] in UPSTREAM_TESTS, key
    assert set(PRIVATE).isdisjoint(k.split("[")[0] for k in XFAIL)


# ---------------------------------------------------------------------------
# The public assertions of the PRIVATE tests, for sknn and (as the reference)
# scikit-learn
# ---------------------------------------------------------------------------
IMPLS = {
    "sklearn": (sk_nn.MLPClassifier, sk_nn.MLPRegressor),
    "sknn": (sknn.MLPClassifier, sknn.MLPRegressor),
}


def _impl(name, *sknn_marks):
    return pytest.param(name, id=name, marks=list(sknn_marks) if name == "sknn" else [])


X_digits_binary = _UPSTREAM["X_digits_binary"]
y_digits_binary = _UPSTREAM["y_digits_binary"]


def _log_loss(clf, X, Y):
    """scikit-learn's MLP training loss (log loss + L2 penalty), computed from
    public attributes only."""
    proba = clf.predict_proba(X)
    if Y.shape[1] == 1:
        Y = np.hstack([1 - Y, Y])
    penalty = sum(float(np.sum(c**2)) for c in clf.coefs_)
    return -np.sum(Y * np.log(proba)) / len(X) + 0.5 * clf.alpha * penalty / len(X)


def _set_theta(clf, theta, shapes):
    coefs, intercepts, pos = [], [], 0
    for shape in shapes[: len(shapes) // 2]:
        size = int(np.prod(shape))
        coefs.append(theta[pos : pos + size].reshape(shape))
        pos += size
    for shape in shapes[len(shapes) // 2 :]:
        intercepts.append(theta[pos : pos + shape[0]].copy())
        pos += shape[0]
    clf.coefs_, clf.intercepts_ = coefs, intercepts


@pytest.mark.parametrize("impl", [_impl("sklearn"), _impl("sknn")])
@pytest.mark.parametrize("n_labels", [2, 3])
@pytest.mark.parametrize("activation", ["identity", "logistic", "tanh", "relu"])
def test_public_gradient(impl, n_labels, activation):
    # test_gradient, publicly: one full-batch plain-SGD step of partial_fit
    # moves the weights by -learning_rate * (the numerical gradient of the
    # loss computed from predict_proba and coefs_).
    MLPClassifier = IMPLS[impl][0]
    rng = np.random.RandomState(42)
    X = rng.rand(5, 10)
    y = 1 + np.mod(np.arange(5) + 1, n_labels)
    Y = LabelBinarizer().fit_transform(y).astype(float)
    eta = 0.2
    clf = MLPClassifier(
        activation=activation,
        hidden_layer_sizes=10,
        solver="sgd",
        alpha=1e-5,
        learning_rate_init=eta,
        momentum=0.0,
        batch_size=5,
        shuffle=False,
        max_iter=1,
        random_state=1,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y)
    params = clf.coefs_ + clf.intercepts_
    shapes = [p.shape for p in params]
    theta = np.hstack([p.ravel() for p in params]).astype(np.float64)
    probe = MLPClassifier(**clf.get_params())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        probe.fit(X, y)
    numgrad = np.zeros_like(theta)
    eps = 1e-5
    for i in range(theta.size):
        d = np.zeros_like(theta)
        d[i] = eps
        _set_theta(probe, theta + d, shapes)
        up = _log_loss(probe, X, Y)
        _set_theta(probe, theta - d, shapes)
        numgrad[i] = (up - _log_loss(probe, X, Y)) / (2 * eps)
    clf.partial_fit(X, y)
    after = np.hstack([p.ravel() for p in clf.coefs_ + clf.intercepts_])
    np.testing.assert_allclose((theta - after) / eta, numgrad, rtol=0, atol=1e-7)


@pytest.mark.parametrize("impl", [_impl("sklearn"), _impl("sknn")])
def test_public_learning_rate_warmstart(impl):
    # test_learning_rate_warmstart, publicly: each warm-start fit restarts
    # the rate at learning_rate_init (its schedule then continues from the
    # carried-over t_): a one-epoch warm refit under 'invscaling' moves the
    # weights exactly like one under 'constant'.
    MLPClassifier = IMPLS[impl][0]
    X = np.array([[3, 2], [1, 6], [5, 6], [-2, -4]], dtype=float)
    y = [1, 1, 1, 0]
    fitted = {}
    for learning_rate in ["invscaling", "constant"]:
        mlp = MLPClassifier(
            solver="sgd",
            hidden_layer_sizes=4,
            learning_rate=learning_rate,
            max_iter=1,
            power_t=0.25,
            warm_start=True,
            random_state=0,
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            mlp.fit(X, y)
            mlp.fit(X, y)
        assert mlp.t_ == 8
        fitted[learning_rate] = mlp
    for a, b in zip(fitted["invscaling"].coefs_, fitted["constant"].coefs_):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-12)
    # set_params between warm-start fits takes effect
    mlp = MLPClassifier(**dict(fitted["constant"].get_params(), learning_rate_init=0.1))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        mlp.fit(X, y)
        mlp.set_params(learning_rate_init=0.001)
        mlp.fit(X, y)
    fresh = MLPClassifier(**dict(mlp.get_params(), learning_rate_init=0.1))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        fresh.fit(X, y)
        fresh.set_params(learning_rate_init=0.05)
        fresh.fit(X, y)
    assert not np.allclose(mlp.coefs_[0], fresh.coefs_[0])


@pytest.mark.parametrize("impl", [_impl("sklearn"), _impl("sknn")])
def test_public_adaptive_learning_rate(impl, capsys):
    # test_adaptive_learning_rate, publicly: 'adaptive' divides the rate by 5
    # at each plateau and stops once it is below 1e-6 (0.001 / 5**5 = 3.2e-7,
    # five reductions), before max_iter.
    MLPClassifier = IMPLS[impl][0]
    X = [[3, 2], [1, 6]]
    y = [1, 0]
    clf = MLPClassifier(
        tol=0.5, max_iter=3000, solver="sgd", learning_rate="adaptive", verbose=True
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        clf.fit(X, y)
    out = capsys.readouterr().out
    assert clf.max_iter > clf.n_iter_
    assert out.count("Setting learning rate to") == 5
    assert "Learning rate too small. Stopping." in out


def _no_improvement_count(loss_curve, tol):
    """scikit-learn's plateau counter, replayed on the public loss_curve_;
    also returns the highest count reached before the last epoch."""
    best, count, highest = np.inf, 0, 0
    for loss in loss_curve[:-1]:
        count = count + 1 if loss > best - tol else 0
        best = min(best, loss)
        highest = max(highest, count)
    loss = loss_curve[-1]
    count = count + 1 if loss > best - tol else 0
    return count, highest


@pytest.mark.parametrize("impl", [_impl("sklearn"), _impl("sknn")])
def test_public_n_iter_no_change(impl):
    MLPClassifier = IMPLS[impl][0]
    X, y = X_digits_binary[:100], y_digits_binary[:100]
    tol, max_iter = 0.01, 3000
    for n_iter_no_change in [2, 5, 10, 50, 100]:
        clf = MLPClassifier(
            tol=tol, max_iter=max_iter, solver="sgd", n_iter_no_change=n_iter_no_change
        )
        clf.fit(X, y)
        assert len(clf.loss_curve_) == clf.n_iter_
        count, highest = _no_improvement_count(clf.loss_curve_, tol)
        # stopped at the first epoch where the counter passed n_iter_no_change
        assert count == n_iter_no_change + 1
        assert highest <= n_iter_no_change
        assert max_iter > clf.n_iter_


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("impl", [_impl("sklearn"), _impl("sknn")])
def test_public_n_iter_no_change_inf(impl):
    MLPClassifier = IMPLS[impl][0]
    X, y = X_digits_binary[:100], y_digits_binary[:100]
    clf = MLPClassifier(tol=1e9, max_iter=3000, solver="sgd", n_iter_no_change=np.inf)
    clf.fit(X, y)
    assert clf.n_iter_ == 3000
    count, _ = _no_improvement_count(clf.loss_curve_, 1e9)
    assert count == clf.n_iter_ - 1


def test_upstream_file_is_scikit_learns():
    # the estimators under test are sknn's; the rest of the module is upstream
    assert _UPSTREAM["MLPClassifier"] is sknn.MLPClassifier
    assert _UPSTREAM["MLPRegressor"] is sknn.MLPRegressor
    assert re.search(r"def test_alpha\(", UPSTREAM_PATH.read_text(encoding="utf-8"))
