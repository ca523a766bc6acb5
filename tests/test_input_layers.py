"""The optional input layers: learned periodic features (``n_frequencies``)
and a learned per-column scale (``input_scale``), through the estimators.

The gradients themselves are checked against autograd in test_engine.py;
here: they learn what they are for, every way of training and predicting
knows them, and the defaults leave scikit-learn's network alone.
"""

import warnings

import numpy as np
import pytest
from _checks import (
    assert_exports_agree,
    assert_skl2onnx_agrees,
    cuda_available,
    fit_sparse_weighted,
)
from sklearn.base import clone
from sklearn.datasets import make_classification, make_multilabel_classification

from sknn import MLPClassifier, MLPRegressor, MultiLabelMLP

INPUTS = dict(n_frequencies=3, input_scale=True, periodic_columns=[0, 1, 3])


@pytest.fixture(autouse=True)
def _quiet():
    from sklearn.exceptions import ConvergenceWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


def _data(n=200, d=5, seed=0):
    X, y = make_classification(n, d, n_informative=3, random_state=seed)
    return X, y


def test_periodic_features_learn_a_periodic_target():
    """A target that oscillates along one column: a small ReLU network fits
    it poorly in a short budget, the same network with learned periodic
    features well."""
    rng = np.random.RandomState(0)
    X = rng.uniform(-1, 1, (600, 2))
    y = np.sin(2 * np.pi * 2.0 * X[:, 0]) + 0.1 * X[:, 1]
    kw = dict(hidden_layer_sizes=(16,), max_iter=150, random_state=0)
    kw.update(learning_rate_init=0.01)
    plain = MLPRegressor(**kw).fit(X, y)
    periodic = MLPRegressor(**kw, n_frequencies=4, frequency_scale=1.0).fit(X, y)
    assert plain.score(X, y) < 0.8
    assert periodic.score(X, y) > 0.95
    assert periodic.frequencies_.shape == periodic.phases_.shape == (2, 4)
    assert periodic.coefs_[0].shape == (2 * (1 + 4), 16)


def test_input_scale_learns_to_turn_noise_down():
    """Columns of pure noise end with smaller factors than the informative
    ones."""
    rng = np.random.RandomState(1)
    X = rng.randn(400, 6)
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    clf = MLPClassifier((32,), input_scale=True, alpha=0.01, max_iter=300)
    clf.set_params(random_state=0, learning_rate_init=0.01).fit(X, y)
    s = np.abs(clf.input_scale_)
    assert clf.input_scale_.shape == (6,)
    assert s[:2].min() > s[2:].max()


def test_defaults_leave_the_network_alone():
    X, y = _data()
    clf = MLPClassifier((8,), max_iter=5, random_state=0).fit(X, y)
    assert clf.coefs_[0].shape == (5, 8)
    for name in ("frequencies_", "phases_", "input_scale_"):
        assert not hasattr(clf, name)
    # switched on, the rest of the draws (weights, epoch order) stay the same:
    # a scale that starts at 1 and a zero learning rate change nothing
    a = MLPClassifier((8,), max_iter=1, random_state=0, learning_rate_init=1e-12)
    b = clone(a).set_params(input_scale=True)
    np.testing.assert_allclose(a.fit(X, y).coefs_[0], b.fit(X, y).coefs_[0])


@pytest.mark.parametrize("solver", ["adam", "sgd", "lbfgs"])
def test_every_solver_trains_them(solver):
    X, y = _data()
    clf = MLPClassifier((8,), solver=solver, max_iter=20, random_state=0, **INPUTS)
    start = MLPClassifier((8,), solver=solver, max_iter=1, random_state=0, **INPUTS)
    clf.fit(X, y)
    start.fit(X, y)
    assert not np.allclose(clf.frequencies_, start.frequencies_)
    assert not np.allclose(clf.input_scale_, start.input_scale_)


def test_sparse_weighted_float32_partial_fit():
    X, y = _data()
    clf = MLPClassifier((8,), max_iter=10, random_state=0, **INPUTS)
    fit_sparse_weighted(clf, X, y)
    clf32 = clone(clf).fit(X.astype(np.float32), y)
    assert clf32.frequencies_.dtype == clf32.input_scale_.dtype == np.float32
    inc = MLPClassifier((8,), random_state=0, **INPUTS)
    for _ in range(3):
        inc.partial_fit(X, y, classes=[0, 1])
    first = inc.frequencies_.copy()
    inc.partial_fit(X, y)
    assert not np.allclose(first, inc.frequencies_)


def test_multilabel_and_early_stopping():
    X, Y = make_multilabel_classification(200, 6, n_classes=3, random_state=0)
    ml = MultiLabelMLP((16,), max_iter=20, random_state=0, **INPUTS).fit(X, Y)
    assert ml.predict(X).shape == Y.shape
    X, y = _data(300)
    clf = MLPClassifier((16,), early_stopping=True, random_state=0, **INPUTS)
    clf.fit(X, y)
    assert clf.best_validation_score_ == max(clf.validation_scores_)


def test_changing_them_needs_a_new_network():
    X, y = _data()
    clf = MLPClassifier((8,), max_iter=3, warm_start=True, random_state=0, **INPUTS)
    clf.fit(X, y)
    clf.set_params(n_frequencies=1)
    with pytest.raises(ValueError, match="n_frequencies=1 \\(fitted with 3\\)"):
        clf.fit(X, y)
    assert clf.frequencies_.shape == (3, 3)  # the failed call changed nothing
    clf.set_params(n_frequencies=3, input_scale=False)
    with pytest.raises(ValueError, match="input_scale=False"):
        clf.partial_fit(X, y)
    clf.set_params(n_frequencies=0, warm_start=False).fit(X, y)
    for name in ("frequencies_", "phases_", "input_scale_"):
        assert not hasattr(clf, name)


@pytest.mark.parametrize(
    "param, value, match",
    [
        ("n_frequencies", -1, "n_frequencies"),
        ("n_frequencies", 1.5, "n_frequencies"),
        ("frequency_scale", 0.0, "frequency_scale"),
        ("input_scale", "yes", "input_scale"),
        ("periodic_columns", [0, 9], "periodic_columns holds indices outside"),
        ("periodic_columns", [1, 1], "periodic_columns repeats"),
        ("periodic_columns", [True, False], "periodic_columns as a boolean mask"),
        ("periodic_columns", ["a"], "periodic_columns must be"),
    ],
)
def test_bad_values_name_the_parameter(param, value, match):
    X, y = _data()
    kw = {"n_frequencies": 2} if param == "periodic_columns" else {}
    with pytest.raises(ValueError, match=match):
        MLPClassifier(**{param: value}, **kw).fit(X, y)


def test_periodic_columns_pick_the_columns():
    X, y = _data()
    mask = np.array([True, False, True, False, False])
    a = MLPClassifier((8,), max_iter=5, random_state=0, n_frequencies=2)
    a.set_params(periodic_columns=mask).fit(X, y)
    b = clone(a).set_params(periodic_columns=[2, 0]).fit(X, y)
    np.testing.assert_array_equal(a.periodic_columns_, [0, 2])
    assert a.frequencies_.shape == (2, 2) and a.coefs_[0].shape == (5 + 4, 8)
    np.testing.assert_array_equal(a.coefs_[0], b.coefs_[0])
    # an empty selection means no periodic features
    c = clone(a).set_params(periodic_columns=[]).fit(X, y)
    assert not hasattr(c, "frequencies_") and c.coefs_[0].shape == (5, 8)
    # training on needs the same columns
    a.set_params(warm_start=True, periodic_columns=[0, 1])
    with pytest.raises(ValueError, match="periodic_columns"):
        a.fit(X, y)


def test_exports_and_pickle_agree_with_predict():
    X, y = _data()
    X = X.astype(np.float32)
    kw = dict(max_iter=20, random_state=0, **INPUTS)
    assert_exports_agree(MLPClassifier((8,), **kw).fit(X, y), X, 8)
    reg = MLPRegressor(hidden_layer_sizes=(8,), **kw)
    assert_exports_agree(reg.fit(X, X @ np.arange(5.0)), X, 8)


def test_skl2onnx_pipeline_carries_them():
    pytest.importorskip("skl2onnx")
    pytest.importorskip("onnxruntime")
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = _data()
    X = X.astype(np.float32)
    pipe = make_pipeline(
        StandardScaler(), MLPClassifier((8,), max_iter=20, random_state=0, **INPUTS)
    ).fit(X, y)
    assert_skl2onnx_agrees(pipe, X)


@pytest.mark.cuda
@pytest.mark.skipif(not cuda_available(), reason="needs a CUDA device")
def test_cuda_trains_them_like_the_cpu():
    """On a GPU the input layers (index_select of the periodic columns, the
    column scale) train to the same model as on the CPU, within float64
    rounding, and the model predicts anywhere."""
    X, y = _data()
    kw = dict(hidden_layer_sizes=(8,), max_iter=10, random_state=0, **INPUTS)
    gpu = MLPClassifier(device="cuda", **kw).fit(X, y)
    cpu = MLPClassifier(device="cpu", **kw).fit(X, y)
    np.testing.assert_allclose(gpu.frequencies_, cpu.frequencies_, rtol=1e-6)
    np.testing.assert_allclose(gpu.input_scale_, cpu.input_scale_, rtol=1e-6)
    np.testing.assert_allclose(
        gpu.predict_proba(X), cpu.predict_proba(X), rtol=1e-6, atol=1e-9
    )


def test_unpickled_model_from_before_the_input_layers():
    X, y = _data()
    clf = MLPClassifier((4,), max_iter=3, random_state=0).fit(X, y)
    state = clf.__getstate__()
    for name in ("n_frequencies", "frequency_scale", "input_scale", "periodic_columns"):
        del state[name]
    old = MLPClassifier.__new__(MLPClassifier)
    old.__setstate__(state)
    np.testing.assert_array_equal(old.predict(X), clf.predict(X))
    assert old.get_params()["periodic_columns"] is None
    repr(old)
    clone(old).fit(X, y)
    old.partial_fit(X, y)
