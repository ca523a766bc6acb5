"""Hidden-unit diagnostics: the lecture's "feature visualization" test of
good training (sparse, uncorrelated, responsive units) against bad."""

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose

from sknn import MLPClassifier, MLPRegressor, MultiLabelMLP

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

KEYS = {"n_units", "dead", "saturated", "sparsity", "mean_abs_correlation"}


@pytest.fixture(scope="module")
def scaled_digits(digits):
    X, y = digits
    X = (X - X.mean(axis=0)) / (X.std(axis=0) + 1e-8)
    return X, y


def _net(activation="relu", sizes=(32,), max_iter=40):
    return MLPClassifier(
        hidden_layer_sizes=sizes,
        activation=activation,
        learning_rate_init=0.01,
        max_iter=max_iter,
        random_state=0,
        device="cpu",
    )


def test_hidden_activations_shapes_and_values(iris):
    X, y = iris
    clf = _net(sizes=(7, 5)).fit(X, y)
    acts = clf.hidden_activations(X)
    assert [a.shape for a in acts] == [(150, 7), (150, 5)]
    assert all(a.dtype == np.float64 for a in acts)
    h1 = np.maximum(X @ clf.coefs_[0] + clf.intercepts_[0], 0)
    h2 = np.maximum(h1 @ clf.coefs_[1] + clf.intercepts_[1], 0)
    assert_allclose(acts[0], h1, rtol=1e-10, atol=1e-12)
    assert_allclose(acts[1], h2, rtol=1e-10, atol=1e-12)


def test_hidden_activations_sparse_float32_and_no_hidden_layer(iris):
    X, y = iris
    clf = _net(sizes=(6,)).fit(X.astype(np.float32), y)
    dense = clf.hidden_activations(X.astype(np.float32))
    assert dense[0].dtype == np.float32
    assert_allclose(
        clf.hidden_activations(sp.csr_matrix(X.astype(np.float32)))[0], dense[0]
    )
    linear = _net(sizes=()).fit(X, y)
    assert linear.hidden_activations(X) == []
    assert linear.hidden_unit_summary(X) == []


@pytest.mark.parametrize(
    "Est, data", [(MLPRegressor, "regression"), (MultiLabelMLP, "multilabel")]
)
def test_every_estimator_has_diagnostics(Est, data, request):
    X, y = request.getfixturevalue(data)
    est = Est(hidden_layer_sizes=(5,), max_iter=5, device="cpu").fit(X, y)
    assert est.hidden_activations(X)[0].shape == (X.shape[0], 5)
    assert set(est.hidden_unit_summary(X)[0]) == KEYS


def test_hidden_activations_checks_input(iris):
    X, y = iris
    clf = _net().fit(X, y)
    with pytest.raises(ValueError, match="features"):
        clf.hidden_activations(X[:, :2])
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        _net().hidden_activations(X)


def test_summary_tells_a_healthy_relu_net(scaled_digits):
    X, y = scaled_digits
    clf = _net().fit(X, y)
    (s,) = clf.hidden_unit_summary(X)
    assert set(s) == KEYS
    assert s["n_units"] == 32
    assert s["dead"] < 0.1
    assert s["saturated"] < 0.1
    assert 0.2 < s["sparsity"] < 0.9  # ReLU units fire for some samples only
    assert s["mean_abs_correlation"] < 0.4


def test_summary_flags_a_saturated_tanh_net(scaled_digits):
    X, y = scaled_digits
    big = X * 1000.0  # unscaled input drives every tanh unit into its tails
    bad = _net("tanh", max_iter=5).fit(big, y)
    (s_bad,) = bad.hidden_unit_summary(big)
    good = _net("tanh").fit(X, y)
    (s_good,) = good.hidden_unit_summary(X)
    assert s_bad["saturated"] > 0.8
    assert s_good["saturated"] < 0.1


def test_summary_counts_dead_relu_units(scaled_digits):
    X, y = scaled_digits
    clf = _net().fit(X, y)
    clf.intercepts_ = [b.copy() for b in clf.intercepts_]
    clf.intercepts_[0][:8] = -1e4  # a quarter of the units never fire
    (s,) = clf.hidden_unit_summary(X)
    assert s["dead"] == pytest.approx(0.25)
    assert s["saturated"] >= 0.25


def test_summary_sees_units_that_move_together(scaled_digits):
    X, y = scaled_digits
    clf = _net("identity").fit(X, y)
    # every unit a copy of the first, up to scale: perfectly correlated
    clf.coefs_ = [c.copy() for c in clf.coefs_]
    clf.intercepts_ = [b.copy() for b in clf.intercepts_]
    scales = np.linspace(0.5, 2.0, 32)
    clf.coefs_[0] = clf.coefs_[0][:, :1] * scales
    clf.intercepts_[0] = clf.intercepts_[0][:1] * scales
    (s,) = clf.hidden_unit_summary(X)
    assert s["mean_abs_correlation"] == pytest.approx(1.0)
    (fresh,) = _net("identity").fit(X, y).hidden_unit_summary(X)
    assert fresh["mean_abs_correlation"] < 0.6


def test_saturation_threshold_is_a_parameter(scaled_digits):
    X, y = scaled_digits
    clf = _net().fit(X, y)
    strict = clf.hidden_unit_summary(X, saturation=0.999)[0]["saturated"]
    loose = clf.hidden_unit_summary(X, saturation=0.3)[0]["saturated"]
    assert loose >= strict
    assert loose > 0
