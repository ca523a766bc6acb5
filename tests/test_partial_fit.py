"""Incremental fits: partial_fit (one epoch per call) and warm_start."""

import pickle

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from sknn import MLPClassifier, MLPRegressor, MultiLabelMLP

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

PF = dict(
    hidden_layer_sizes=(16,), learning_rate_init=0.02, random_state=0, device="cpu"
)


def test_one_epoch_per_call(iris):
    X, y = iris
    clf = MLPClassifier(**PF)
    for i in range(1, 6):
        clf.partial_fit(X, y, classes=[0, 1, 2])
        # scikit-learn's rule: n_iter_ counts the epochs of this call; t_ and
        # loss_curve_ go on over the calls
        assert clf.n_iter_ == 1
        assert clf.t_ == i * X.shape[0]
        assert len(clf.loss_curve_) == i
    assert clf.loss_curve_[-1] < clf.loss_curve_[0]


def test_partial_fit_learns(iris):
    X, y = iris
    clf = MLPClassifier(**PF)
    for _ in range(40):
        clf.partial_fit(X, y, classes=np.unique(y))
    assert clf.score(X, y) > 0.9


def test_classes_required_on_first_call(iris):
    X, y = iris
    with pytest.raises(ValueError, match="classes must be passed on the first call"):
        MLPClassifier(**PF).partial_fit(X, y)


def test_same_classes_accepted_on_every_call_different_rejected(iris):
    X, y = iris
    clf = MLPClassifier(**PF)
    clf.partial_fit(X, y, classes=[0, 1, 2])
    # as dask-ml's Incremental does: the same classes every time, any order
    clf.partial_fit(X, y, classes=[2, 0, 1])
    clf.partial_fit(X[:10], y[:10], classes=np.array([0, 1, 2]))
    assert len(clf.loss_curve_) == 3
    before = [c.copy() for c in clf.coefs_]
    with pytest.raises(ValueError, match="not the same as on last call"):
        clf.partial_fit(X, y, classes=[0, 1, 2, 3])
    with pytest.raises(ValueError, match="not the same as on last call"):
        clf.partial_fit(X, y, classes=[0, 1])
    # a rejected call changes nothing
    assert len(clf.loss_curve_) == 3
    for a, b in zip(before, clf.coefs_):
        assert_array_equal(a, b)


def test_batches_may_miss_classes_but_not_bring_new_ones():
    X = np.array([[1.0], [2.0], [3.0], [4.0]])
    y = np.array(["a", "b", "c", "d"])
    clf = MLPClassifier(**PF)
    clf.partial_fit(X[:3], y[:3], classes=["a", "b", "c", "d"])
    clf.partial_fit(X[3:], y[3:])  # a single row of the class not yet seen
    assert list(clf.classes_) == ["a", "b", "c", "d"]
    assert clf.score(X, y) >= 0
    with pytest.raises(ValueError, match="not in classes_"):
        clf.partial_fit(X[:1], ["e"])


def test_classes_must_cover_y(iris_binary):
    X, y = iris_binary
    with pytest.raises(ValueError):
        MLPClassifier(**PF).partial_fit(X, y, classes=[1])


def test_continues_after_pickle_round_trip(iris):
    X, y = iris
    straight = MLPClassifier(**PF)
    for _ in range(4):
        straight.partial_fit(X, y, classes=[0, 1, 2])
    resumed = MLPClassifier(**PF)
    for _ in range(2):
        resumed.partial_fit(X, y, classes=[0, 1, 2])
    resumed = pickle.loads(pickle.dumps(resumed))
    for _ in range(2):
        resumed.partial_fit(X, y, classes=[0, 1, 2])
    assert resumed.n_iter_ == 1
    assert resumed.loss_curve_ == pytest.approx(straight.loss_curve_, rel=1e-12)
    assert resumed.t_ == straight.t_ == 4 * X.shape[0]
    # the optimizer's state travels with the model: the same result as never
    # having pickled it
    for a, b in zip(straight.coefs_, resumed.coefs_):
        assert_allclose(a, b, rtol=1e-12)


def test_joblib_loaded_regressor_learns_new_target(tmp_path):
    import joblib

    reg = MLPRegressor(
        hidden_layer_sizes=(42,),
        learning_rate_init=0.01,
        max_iter=200,
        random_state=42,
        device="cpu",
    ).fit([[2.0]], [4.0])
    joblib.dump(reg, tmp_path / "m.joblib")
    back = joblib.load(tmp_path / "m.joblib")
    for _ in range(200):
        back.partial_fit([[2.0]], [1.0])
    assert_allclose(back.predict([[2.0]]), [1.0], rtol=1e-3)


def test_predict_on_single_row_after_partial_fit(iris):
    X, y = iris
    clf = MLPClassifier(**PF).partial_fit(X, y, classes=[0, 1, 2])
    assert clf.predict(X[:1]).shape == (1,)
    assert clf.predict_proba(X[[5]]).shape == (1, 3)
    reg = MLPRegressor(**PF).partial_fit(X, y.astype(float))
    assert reg.predict(X[:1]).shape == (1,)


def test_partial_fit_after_fit_continues_from_fitted_weights(iris):
    X, y = iris
    clf = MLPClassifier(**dict(PF, max_iter=20)).fit(X, y)
    loss = clf.loss_
    clf.partial_fit(X, y)
    assert clf.n_iter_ == 1  # the epochs of this call, as scikit-learn
    assert len(clf.loss_curve_) == 21
    assert clf.loss_curve_[-1] < loss * 1.5  # continued, not restarted


@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_partial_fit_equals_fit_full_batch_sgd(regression, momentum):
    X, y = regression
    params = dict(
        PF,
        solver="sgd",
        learning_rate_init=0.01,
        batch_size=X.shape[0],
        momentum=momentum,
        shuffle=False,
    )
    fitted = MLPRegressor(**params, max_iter=30, tol=0.0, n_iter_no_change=1000)
    fitted.fit(X, y)
    inc = MLPRegressor(**params)
    for _ in range(30):
        inc.partial_fit(X, y)
    assert_allclose(inc.predict(X), fitted.predict(X), rtol=1e-10, atol=1e-12)
    assert_allclose(inc.loss_curve_, fitted.loss_curve_, rtol=1e-10)


@pytest.mark.parametrize("Est", [MLPClassifier, MLPRegressor, MultiLabelMLP])
def test_lbfgs_has_no_partial_fit(Est):
    assert not hasattr(Est(solver="lbfgs"), "partial_fit")
    assert hasattr(Est(solver="adam"), "partial_fit")


def test_changed_feature_count_rejected(iris):
    X, y = iris
    clf = MLPClassifier(**PF).partial_fit(X, y, classes=[0, 1, 2])
    with pytest.raises(ValueError, match="features"):
        clf.partial_fit(X[:, :3], y)


# ---------------------------------------------------------------------------
# warm_start
# ---------------------------------------------------------------------------
def test_warm_start_continues_from_current_weights(iris):
    X, y = iris
    clf = MLPClassifier(**dict(PF, max_iter=10, warm_start=True)).fit(X, y)
    first_curve = list(clf.loss_curve_)
    clf.fit(X, y)
    # as scikit-learn: n_iter_ counts the epochs of the latest fit, while
    # loss_curve_ and t_ go on over warm fits
    assert clf.n_iter_ == 10
    assert len(clf.loss_curve_) == 20
    assert clf.loss_curve_[:10] == first_curve
    assert clf.t_ == 20 * X.shape[0]
    # the second fit started where the first ended, not from scratch
    assert clf.loss_curve_[10] < first_curve[0]
    assert abs(clf.loss_curve_[10] - first_curve[-1]) < 0.5 * first_curve[0]
    cold = MLPClassifier(**dict(PF, max_iter=10, warm_start=False)).fit(X, y)
    assert cold.n_iter_ == 10
    assert cold.loss_curve_ == first_curve


def test_warm_start_off_refits_from_scratch(iris):
    X, y = iris
    clf = MLPClassifier(**dict(PF, max_iter=10)).fit(X, y)
    first = [c.copy() for c in clf.coefs_]
    clf.fit(X, y)
    for a, b in zip(first, clf.coefs_):
        assert_array_equal(a, b)


def test_warm_start_rejects_new_classes(iris):
    X, y = iris
    clf = MLPClassifier(**dict(PF, max_iter=5, warm_start=True)).fit(X, y)
    clf.fit(X, y)  # the same classes: fine
    y_other = np.where(y == 2, 3, y)
    with pytest.raises(
        ValueError, match="warm_start can only be used where `y` has the same classes"
    ):
        clf.fit(X, y_other)


def test_warm_start_rejects_changed_architecture(iris):
    X, y = iris
    clf = MLPClassifier(**dict(PF, max_iter=5, warm_start=True)).fit(X, y)
    clf.set_params(hidden_layer_sizes=(8,))
    with pytest.raises(ValueError, match="hidden_layer_sizes changed"):
        clf.fit(X, y)


@pytest.mark.parametrize("solver", ["sgd", "adam", "lbfgs"])
def test_warm_start_n_iter_counts_the_latest_fit(iris, solver):
    X, y = iris
    clf = MLPRegressor(
        solver=solver,
        warm_start=True,
        max_iter=10,
        n_iter_no_change=np.inf,
        tol=0.0,
        random_state=0,
        device="cpu",
    )
    clf.fit(X, y.astype(float))
    assert clf.n_iter_ == 10
    n_curve = len(clf.loss_curve_)
    clf.set_params(max_iter=5)
    clf.fit(X, y.astype(float))
    assert clf.n_iter_ == 5  # scikit-learn: this fit's epochs / iterations
    assert len(clf.loss_curve_) == n_curve + 5
