"""Bad input: a clear error, and the model fitted before the call survives.

Every case below makes one call that must fail and checks three things:

* the exception type and a message that names what was wrong (the parameter,
  or the shape or value received, and what was expected);
* an estimator fitted before the failed call still predicts exactly as
  before (the same ``predict`` / ``predict_proba`` arrays, the same
  attributes);
* for calls to ``fit``, an estimator that was never fitted stays unfitted.

Huge values (1e300) are not bad input as such: scikit-learn's MLP accepts
them, and so does sknn where the arithmetic stays finite. A classifier fits
(its weights stay finite, as scikit-learn's do); a regressor's squared error
overflows and the fit stops with "Solver produced non-finite parameter
weights", scikit-learn's own error; prediction gives finite outputs in
float64, and a clean ValueError where the values do not fit the model's
dtype (1e300 for a float32 model) or the network's arithmetic overflows
(1e308).
"""

import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted

from sknn import MLPClassifier, MLPRegressor, MultiLabelMLP

ESTIMATORS = [MLPClassifier, MLPRegressor, MultiLabelMLP]
N, P = 40, 4

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def _make(cls, **params):
    base = dict(hidden_layer_sizes=(4,), max_iter=3, device="cpu", random_state=0)
    base.update(params)
    return cls(**base)


def _data(cls, frame=False):
    rng = np.random.RandomState(0)
    X = rng.randn(N, P)
    if cls is MLPClassifier:
        y = np.arange(N) % 3
    elif cls is MLPRegressor:
        y = rng.randn(N)
    else:
        y = np.column_stack(
            [np.arange(N) % 2, np.arange(N) // 2 % 2, np.arange(N) % 3 == 0]
        )
        y = y.astype(int)
    if frame:
        X = pd.DataFrame(X, columns=[f"f{i}" for i in range(P)])
    return X, y


def _outputs(est, X):
    out = {"predict": est.predict(X)}
    if hasattr(est, "predict_proba"):
        out["predict_proba"] = est.predict_proba(X)
    return out


def _snapshot(est, X):
    return {
        "keys": set(est.__dict__),
        "coefs": [c.copy() for c in est.coefs_],
        "intercepts": [b.copy() for b in est.intercepts_],
        "n_features_in_": est.n_features_in_,
        "feature_names_in_": getattr(est, "feature_names_in_", None),
        "outputs": _outputs(est, X),
    }


def _assert_unchanged(est, X, snap):
    assert set(est.__dict__) == snap["keys"]
    assert est.n_features_in_ == snap["n_features_in_"]
    names = getattr(est, "feature_names_in_", None)
    if snap["feature_names_in_"] is None:
        assert names is None
    else:
        np.testing.assert_array_equal(names, snap["feature_names_in_"])
    for a, b in zip(est.coefs_ + est.intercepts_, snap["coefs"] + snap["intercepts"]):
        np.testing.assert_array_equal(a, b)
    for name, before in snap["outputs"].items():
        np.testing.assert_array_equal(getattr(est, name)(X), before)


def _with(X, i, j, value):
    X = np.array(X, dtype=object if value is None else float)
    X[i, j] = value
    return X


# ---------------------------------------------------------------------------
# The battery: (id, estimators, method, call, exception, message pattern).
# `call(est, X, y)` makes the failing call on an estimator fitted on (X, y);
# method 'fit' cases are also tried on a never-fitted estimator.
# ---------------------------------------------------------------------------
ALL = tuple(ESTIMATORS)
CLF = (MLPClassifier,)


def _y_nan(y):
    y = np.array(y, dtype=float)
    y.flat[0] = np.nan
    return y


def _unseen(est, y):
    if isinstance(est, MLPClassifier):
        return np.where(y == 2, 7, y)
    if isinstance(est, MultiLabelMLP):
        return np.column_stack([y, y[:, :1]])
    return np.column_stack([y, y])


CASES = [
    # --- values X may not hold -------------------------------------------
    (
        "nan_X_fit",
        ALL,
        "fit",
        lambda e, X, y: e.fit(_with(X, 3, 1, np.nan), y),
        ValueError,
        "Input X contains NaN",
    ),
    (
        "nan_X_predict",
        ALL,
        "predict",
        lambda e, X, y: e.predict(_with(X, 3, 1, np.nan)),
        ValueError,
        "Input X contains NaN",
    ),
    (
        "inf_X_fit",
        ALL,
        "fit",
        lambda e, X, y: e.fit(_with(X, 0, 0, np.inf), y),
        ValueError,
        "Input X contains infinity",
    ),
    (
        "neg_inf_X_fit",
        ALL,
        "fit",
        lambda e, X, y: e.fit(_with(X, 5, 2, -np.inf), y),
        ValueError,
        "Input X contains infinity",
    ),
    (
        "inf_X_predict",
        ALL,
        "predict",
        lambda e, X, y: e.predict(_with(X, 0, 0, np.inf)),
        ValueError,
        "Input X contains infinity",
    ),
    (
        "neg_inf_X_predict_proba",
        (MLPClassifier, MultiLabelMLP),
        "predict",
        lambda e, X, y: e.predict_proba(_with(X, 0, 0, -np.inf)),
        ValueError,
        "Input X contains infinity",
    ),
    (
        "nan_X_sparse_fit",
        ALL,
        "fit",
        lambda e, X, y: e.fit(sp.csr_matrix(_with(X, 3, 1, np.nan)), y),
        ValueError,
        "Input X contains NaN",
    ),
    (
        "string_X_fit",
        ALL,
        "fit",
        lambda e, X, y: e.fit(np.full((N, P), "a"), y),
        ValueError,
        "could not convert string to float: .*'a'",
    ),
    (
        "string_X_predict",
        ALL,
        "predict",
        lambda e, X, y: e.predict(np.full((N, P), "a")),
        ValueError,
        "could not convert string to float: .*'a'",
    ),
    (
        "object_None_X_fit",
        ALL,
        "fit",
        lambda e, X, y: e.fit(_with(X, 2, 2, None), y),
        ValueError,
        "Input X contains NaN",
    ),
    (
        "object_None_X_predict",
        ALL,
        "predict",
        lambda e, X, y: e.predict(_with(X, 2, 2, None)),
        ValueError,
        "Input X contains NaN",
    ),
    (
        "complex_X_fit",
        ALL,
        "fit",
        lambda e, X, y: e.fit(np.asarray(X) + 1j, y),
        ValueError,
        "Complex data not supported",
    ),
    (
        "complex_X_predict",
        ALL,
        "predict",
        lambda e, X, y: e.predict(np.asarray(X) + 1j),
        ValueError,
        "Complex data not supported",
    ),
    # --- shapes ----------------------------------------------------------
    (
        "empty_X_fit",
        ALL,
        "fit",
        lambda e, X, y: e.fit(X[:0], y[:0]),
        ValueError,
        r"0 sample\(s\) \(shape=\(0, 4\)\) while a minimum of 1 is required",
    ),
    (
        "empty_X_predict",
        ALL,
        "predict",
        lambda e, X, y: e.predict(X[:0]),
        ValueError,
        r"0 sample\(s\) \(shape=\(0, 4\)\) while a minimum of 1 is required",
    ),
    (
        "zero_features_fit",
        ALL,
        "fit",
        lambda e, X, y: e.fit(X[:, :0], y),
        ValueError,
        r"0 feature\(s\) \(shape=\(40, 0\)\) while a minimum of 1 is required",
    ),
    (
        "zero_features_predict",
        ALL,
        "predict",
        lambda e, X, y: e.predict(X[:, :0]),
        ValueError,
        r"0 feature\(s\) \(shape=\(40, 0\)\) while a minimum of 1 is required",
    ),
    (
        "1d_X_fit",
        ALL,
        "fit",
        lambda e, X, y: e.fit(X[:, 0], y),
        ValueError,
        "Expected 2D array, got 1D array",
    ),
    (
        "1d_X_predict",
        ALL,
        "predict",
        lambda e, X, y: e.predict(X[0]),
        ValueError,
        "Expected 2D array, got 1D array",
    ),
    (
        "3d_X_fit",
        ALL,
        "fit",
        lambda e, X, y: e.fit(X.reshape(N, 2, 2), y),
        ValueError,
        "Found array with dim 3",  # the rest of the wording varies by sklearn
    ),
    (
        "3d_X_predict",
        ALL,
        "predict",
        lambda e, X, y: e.predict(X.reshape(N, 2, 2)),
        ValueError,
        "Found array with dim 3",  # the rest of the wording varies by sklearn
    ),
    (
        "X_y_lengths_fit",
        ALL,
        "fit",
        lambda e, X, y: e.fit(X, y[:-1]),
        ValueError,
        r"inconsistent numbers of samples: \[40, 39\]",
    ),
    (
        "sample_weight_length_fit",
        ALL,
        "fit",
        lambda e, X, y: e.fit(X, y, sample_weight=np.ones(N - 1)),
        ValueError,
        r"sample_weight.shape == \(39,\), expected \(40,\)",
    ),
    (
        "sample_weight_2d_fit",
        ALL,
        "fit",
        lambda e, X, y: e.fit(X, y, sample_weight=np.ones((N, 2))),
        ValueError,
        "Sample weights must be 1D array or scalar",
    ),
    (
        "wrong_n_features_predict",
        ALL,
        "predict",
        lambda e, X, y: e.predict(X[:, :3]),
        ValueError,
        "X has 3 features, but .* is expecting 4 features as input",
    ),
    (
        "wrong_n_features_predict_sparse",
        ALL,
        "predict",
        lambda e, X, y: e.predict(sp.csr_matrix(np.c_[X, X])),
        ValueError,
        "X has 8 features, but .* is expecting 4 features as input",
    ),
    (
        "wrong_n_features_partial_fit",
        ALL,
        "partial_fit",
        lambda e, X, y: e.partial_fit(X[:, :3], y),
        ValueError,
        "X has 3 features, but .* is expecting 4 features as input",
    ),
    (
        "wrong_n_features_warm_start_fit",
        ALL,
        "predict",
        lambda e, X, y: e.set_params(warm_start=True).fit(np.c_[X, X], y),
        ValueError,
        "X has 8 features, but .* is expecting 4 features as input",
    ),
    # --- sample weights --------------------------------------------------
    (
        "zero_sum_sample_weight_fit",
        ALL,
        "fit",
        lambda e, X, y: e.fit(X, y, sample_weight=np.r_[1.0, -1.0, np.zeros(N - 2)]),
        ValueError,
        "sample_weight must have a non-zero sum",
    ),
    (
        "nan_sample_weight_fit",
        ALL,
        "fit",
        lambda e, X, y: e.fit(X, y, sample_weight=_y_nan(np.ones(N))),
        ValueError,
        "Input sample_weight contains NaN",
    ),
    (
        "inf_sample_weight_fit",
        ALL,
        "fit",
        lambda e, X, y: e.fit(X, y, sample_weight=np.r_[np.inf, np.ones(N - 1)]),
        ValueError,
        "Input sample_weight contains infinity",
    ),
    (
        "zero_sample_weight_fit",
        ALL,
        "fit",
        lambda e, X, y: e.fit(X, y, sample_weight=np.zeros(N)),
        ValueError,
        "at least one non-zero|positive sum",
    ),
    (
        "zero_sample_weight_partial_fit",
        ALL,
        "partial_fit",
        lambda e, X, y: e.partial_fit(X, y, sample_weight=np.zeros(N)),
        ValueError,
        "at least one non-zero|positive sum",
    ),
    # --- targets ---------------------------------------------------------
    (
        "nan_y_fit",
        ALL,
        "fit",
        lambda e, X, y: e.fit(X, _y_nan(y)),
        ValueError,
        "Input y contains NaN",
    ),
    (
        "inf_y_fit",
        (MLPRegressor,),
        "fit",
        lambda e, X, y: e.fit(X, np.r_[np.inf, y[1:]]),
        ValueError,
        "Input y contains infinity",
    ),
    (
        "continuous_y_classifier_fit",
        CLF,
        "fit",
        lambda e, X, y: e.fit(X, np.linspace(0, 1, N)),
        ValueError,
        "Unknown label type: continuous",
    ),
    (
        "string_y_regressor_fit",
        (MLPRegressor,),
        "fit",
        lambda e, X, y: e.fit(X, np.array(["a", "b"] * (N // 2))),
        ValueError,
        "could not convert string to float",
    ),
    (
        "1d_y_multilabel_fit",
        (MultiLabelMLP,),
        "fit",
        lambda e, X, y: e.fit(X, np.arange(N) % 2),
        ValueError,
        r"expects y as a 0/1 indicator matrix of shape \(n_samples, n_labels\)",
    ),
    (
        "non_binary_y_multilabel_fit",
        (MultiLabelMLP,),
        "fit",
        lambda e, X, y: e.fit(X, y * 2),
        ValueError,
        "expects y as a 0/1 indicator matrix; got values",
    ),
    (
        "unseen_labels_partial_fit",
        ALL,
        "partial_fit",
        lambda e, X, y: e.partial_fit(X, _unseen(e, y)),
        ValueError,
        r"labels not in classes_|y has \d (labels|output)",
    ),
    (
        "different_classes_partial_fit",
        CLF,
        "partial_fit",
        lambda e, X, y: e.partial_fit(X, y, classes=[0, 1, 2, 3]),
        ValueError,
        "is not the same as on last call to partial_fit",
    ),
    (
        "new_classes_warm_start_fit",
        CLF,
        "predict",
        lambda e, X, y: e.set_params(warm_start=True).fit(X, np.arange(N) % 4),
        ValueError,
        "warm_start can only be used where `y` has the same classes",
    ),
    (
        "n_outputs_changed_warm_start_fit",
        (MLPRegressor, MultiLabelMLP),
        "predict",
        lambda e, X, y: e.set_params(warm_start=True).fit(X, _unseen(e, y)),
        ValueError,
        r"y has \d (labels|output\(s\)) but the model was fitted with",
    ),
]


def _case_params():
    for case in CASES:
        name, classes = case[0], case[1]
        for cls in classes:
            yield pytest.param(cls, *case[2:], id=f"{cls.__name__}-{name}")


@pytest.mark.parametrize("cls, method, call, exc, match", list(_case_params()))
def test_bad_input(cls, method, call, exc, match):
    X, y = _data(cls)
    est = _make(cls)
    if method == "partial_fit":
        kw = {"classes": np.unique(y)} if cls is MLPClassifier else {}
        est.partial_fit(X, y, **kw)
    else:
        est.fit(X, y)
    snap = _snapshot(est, X)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # numpy casts of nan/inf
        with pytest.raises(exc, match=match):
            call(est, X, y)
    est.set_params(warm_start=False)
    _assert_unchanged(est, X, snap)

    if method == "fit":
        fresh = _make(cls)
        keys = set(fresh.__dict__)
        with pytest.raises(exc, match=match):
            call(fresh, X, y)
        assert set(fresh.__dict__) == keys
        with pytest.raises(NotFittedError):
            check_is_fitted(fresh)


# ---------------------------------------------------------------------------
# DataFrame columns at predict
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("cls", ESTIMATORS)
@pytest.mark.parametrize(
    "change, match",
    [
        (lambda df: df[df.columns[::-1]], "Feature names must be in the same order"),
        (
            lambda df: df.rename(columns={"f0": "g0"}),
            "Feature names unseen at fit time",
        ),
        (
            lambda df: df.drop(columns="f3"),
            "Feature names seen at fit time, yet now missing",
        ),
        (lambda df: df.assign(extra=1.0), "Feature names unseen at fit time"),
    ],
    ids=["reordered", "renamed", "missing", "extra"],
)
def test_dataframe_columns_at_predict(cls, change, match):
    X, y = _data(cls, frame=True)
    est = _make(cls).fit(X, y)
    snap = _snapshot(est, X)
    with pytest.raises(ValueError, match=match):
        est.predict(change(X))
    _assert_unchanged(est, X, snap)


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_failed_refit_keeps_feature_names(cls):
    """A failed fit on a plain array must not drop the feature names (nor the
    feature count) that the model was fitted with."""
    X, y = _data(cls, frame=True)
    est = _make(cls).fit(X, y)
    snap = _snapshot(est, X)
    rng = np.random.RandomState(1)
    with pytest.raises(ValueError, match="Input y contains NaN"):
        est.fit(rng.randn(N, P + 1), _y_nan(y))
    _assert_unchanged(est, X, snap)
    # a y that fails (a single class trains, as in scikit-learn)
    bad_y = np.full(N, 0.5) if cls is MLPClassifier else np.full((N, 3), 5.0)
    if cls is MLPRegressor:
        bad_y = np.full(N, np.inf)
    with pytest.raises(ValueError):
        est.fit(rng.randn(N, P + 1), bad_y)
    _assert_unchanged(est, X, snap)


# ---------------------------------------------------------------------------
# Huge values
# ---------------------------------------------------------------------------
def _huge(X, value=1e300):
    X = np.array(X, dtype=float)
    X[0, 0] = value
    X[1, 1] = -value
    return X


def test_huge_values_classifier_fits_finite():
    """Like scikit-learn's MLPClassifier (adam and lbfgs), a classifier fits
    on data holding 1e300 and stays finite."""
    X, y = _data(MLPClassifier)
    for solver in ("adam", "lbfgs"):
        est = _make(MLPClassifier, solver=solver).fit(_huge(X), y)
        assert all(np.isfinite(c).all() for c in est.coefs_ + est.intercepts_)
        proba = est.predict_proba(X)
        assert np.isfinite(proba).all()
        np.testing.assert_allclose(proba.sum(axis=1), 1.0)


def test_huge_values_regressor_fit_raises_cleanly():
    """The squared error of 1e300 overflows: scikit-learn's MLPRegressor and
    sknn both refuse with the same message; the model fitted before stays."""
    X, y = _data(MLPRegressor)
    est = _make(MLPRegressor).fit(X, y)
    snap = _snapshot(est, X)
    with pytest.raises(
        ValueError, match="Solver produced non-finite parameter weights"
    ):
        est.fit(_huge(X), y)
    _assert_unchanged(est, X, snap)


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_huge_values_predict_float64_finite(cls):
    X, y = _data(cls)
    est = _make(cls).fit(X, y)
    out = _outputs(est, _huge(X))
    for value in out.values():
        assert np.isfinite(value.astype(float)).all()
    if "predict_proba" in out:
        assert ((out["predict_proba"] >= 0) & (out["predict_proba"] <= 1)).all()


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_huge_values_predict_float32_model_raises(cls):
    """1e300 does not fit a float32 model: a clean error, not NaN outputs."""
    X, y = _data(cls)
    est = _make(cls).fit(X.astype(np.float32), y)
    snap = _snapshot(est, X)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # numpy's overflow in cast
        for method in _outputs(est, X):
            with pytest.raises(ValueError, match=r"too large for dtype\('float32'\)"):
                getattr(est, method)(_huge(X))
    _assert_unchanged(est, X, snap)


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_overflowing_activations_raise(cls):
    """Finite input whose activations overflow (1e308) raises instead of
    returning NaN probabilities or NaN-derived labels."""
    X, y = _data(cls)
    # He's larger weights make sure the products pass float64's largest value
    est = _make(cls, hidden_layer_sizes=(8, 8), weight_init="he").fit(X, y)
    Xh = np.full((3, P), 1e308)
    Xh[1] *= -1
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for method in _outputs(est, X):
            with pytest.raises(ValueError, match="overflowed to non-finite values"):
                getattr(est, method)(Xh)


# ---------------------------------------------------------------------------
# Constructor parameters
# ---------------------------------------------------------------------------
# Bad values for every parameter in `_parameter_constraints`; each must make
# `fit` raise a ValueError whose message names the parameter.
BAD_PARAMS = {
    "hidden_layer_sizes": [0, -3, "abc", (4, -1), (4.5,), (4, 0), [True]],
    "activation": ["softmax", "sigmoid", None],
    "solver": ["newton", "SGD", None],
    "alpha": [-1.0, "big", None],
    "batch_size": [0, -5, 2.5, "big"],
    "learning_rate": ["fast", "Cosine", None],
    "learning_rate_init": [0, -0.1, "fast"],
    "power_t": [-0.5, "x"],
    "max_iter": [0, -1, 1.5],
    "shuffle": ["yes", 2],
    "random_state": [-1, "seed", 1.5],
    "tol": [-1e-3, "x"],
    "verbose": [-1, "loud"],
    "warm_start": ["no", 2],
    "momentum": [-0.1, 1.5],
    "nesterovs_momentum": [2, "yes"],
    "early_stopping": ["yes", 2],
    "validation_fraction": [-0.1, 1.0, 1.5],  # 0.0 is valid, as in scikit-learn
    "beta_1": [1.0, -0.1],
    "beta_2": [1.0, -0.1],
    "epsilon": [0.0, -1e-8],
    "n_iter_no_change": [0, -1],
    "max_fun": [0, 2.5],
    "dropout": [1.0, -0.1, [1.5], [np.nan], ["a"], "x"],
    "weight_init": ["kaiming", "He", None, 1.0],
    "device": [5, "tpu", "xx:yy", "cuda:banana"],
    "precision": ["float8", "half", None],
    "n_threads": [0, -1, 1.5, "two"],
    # estimator-specific
    "class_weight": [
        "auto",
        [1, 2],
        {0: 1.0, 9: 2.0},
        {0: -1.0},
        {1: np.nan},
        {0: "a"},
        {0: 0.0, 1: 0.0, 2: 0.0},
    ],
    "threshold": [0.0, 1.0, 1.5, -0.1, np.nan, "high", [0.5, 0.5], ["a", "b", "c"]],
    "pos_weight": ["auto", [1.0, -1.0, 1.0], [1.0, 1.0], [np.nan, 1.0, 1.0], [0.0] * 3],
    "loss": ["absolute_error", "Poisson", None, 1.0],
    "label_smoothing": [-0.1, 1.0, "a"],
    "n_frequencies": [-1, 1.5, "many"],
    "frequency_scale": [0.0, -1.0, "wide"],
    "input_scale": ["yes", 2],
    "periodic_columns": [[0, 99], [1, 1], [True], ["a"], 2.5, [[0, 1]]],
    "embedding_columns": [[0, 99], [1, 1], [True], ["a"], 2.5, [[0, 1]]],
    "embedding_dim": [0, -1, 2.5, "wide"],
    "embedding_levels": [0, -1, 2.5, "many", [0], [2.5], [[3]]],
}


def _bad_param_cases():
    for cls in ESTIMATORS:
        for name in sorted(cls._parameter_constraints):
            for value in BAD_PARAMS[name]:
                yield pytest.param(
                    cls, name, value, id=f"{cls.__name__}-{name}={value!r}"
                )


def test_every_parameter_has_bad_values():
    for cls in ESTIMATORS:
        missing = set(cls._parameter_constraints) - set(BAD_PARAMS)
        assert not missing, f"{cls.__name__}: no bad values for {missing}"
        assert set(cls._parameter_constraints) == set(cls().get_params())


@pytest.mark.parametrize("cls, name, value", list(_bad_param_cases()))
def test_invalid_parameter(cls, name, value):
    X, y = _data(cls)
    est = _make(cls).fit(X, y)
    snap = _snapshot(est, X)
    good = est.get_params()[name]
    est.set_params(**{name: value})
    with pytest.raises(ValueError, match=name) as info:
        est.fit(X, y)
    # ... and the value received
    assert repr(value) in str(info.value) or isinstance(value, dict)
    est.set_params(**{name: good})
    _assert_unchanged(est, X, snap)
    # the same on a never-fitted estimator: it stays unfitted
    fresh = _make(cls, **{name: value})
    with pytest.raises(ValueError, match=name):
        fresh.fit(X, y)
    with pytest.raises(NotFittedError):
        check_is_fitted(fresh)


CROSS_PARAMS = [
    (
        "dropout_length",
        ALL,
        dict(hidden_layer_sizes=(4, 4), dropout=[0.1, 0.2, 0.3]),
        r"dropout has 3 values but the network has 2 hidden layers",
    ),
    (
        "dropout_no_hidden_layer",
        ALL,
        dict(hidden_layer_sizes=(), dropout=[0.1]),
        r"dropout has 1 values but the network has 0 hidden layers",
    ),
    (
        "dropout_with_lbfgs",
        ALL,
        dict(solver="lbfgs", dropout=0.2),
        r"dropout .* cannot be used with solver='lbfgs'",
    ),
    (
        "lr_auto_with_lbfgs",
        ALL,
        dict(solver="lbfgs", learning_rate_init="auto"),
        r"learning_rate_init='auto' needs a stochastic solver",
    ),
    (
        "threshold_length",
        (MultiLabelMLP,),
        dict(threshold=[0.5, 0.5]),
        r"threshold must be one probability in \(0, 1\) or 3 of them",
    ),
    (
        "pos_weight_length",
        (MultiLabelMLP,),
        dict(pos_weight=[1.0, 2.0]),
        r"pos_weight must be 'balanced', None or 3 positive finite numbers",
    ),
    (
        "class_weight_unknown_label",
        CLF,
        dict(class_weight={5: 2.0}),
        r"class_weight has labels \[5\] that are not among the classes",
    ),
    (
        "early_stopping_without_validation",
        ALL,
        dict(early_stopping=True, validation_fraction=0.0),
        r"early_stopping could not hold out validation_fraction=0.0",
    ),
    (
        "early_stopping_too_few_samples",
        ALL,
        dict(early_stopping=True, validation_fraction=0.01),
        r"validation_fraction=0.01 of \d+ samples|validation set is too small",
    ),
]


@pytest.mark.parametrize(
    "cls, params, match",
    [
        pytest.param(cls, p, m, id=f"{cls.__name__}-{name}")
        for name, classes, p, m in CROSS_PARAMS
        for cls in classes
    ],
)
def test_cross_parameter_checks(cls, params, match):
    X, y = _data(cls)
    est = _make(cls).fit(X, y)
    snap = _snapshot(est, X)
    good = {k: est.get_params()[k] for k in params}
    est.set_params(**params)
    with pytest.raises(ValueError, match=match):
        est.fit(X, y)
    est.set_params(**good)
    _assert_unchanged(est, X, snap)


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_hidden_layer_sizes_changed_with_warm_start(cls):
    X, y = _data(cls)
    est = _make(cls).fit(X, y)
    snap = _snapshot(est, X)
    est.set_params(warm_start=True, hidden_layer_sizes=(5,))
    with pytest.raises(
        ValueError, match="hidden_layer_sizes changed since the last fit"
    ):
        est.fit(X, y)
    est.set_params(warm_start=False, hidden_layer_sizes=(4,))
    _assert_unchanged(est, X, snap)


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_cuda_requested_without_cuda(cls):
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        pytest.skip("CUDA is available here; the error is for machines without it")
    X, y = _data(cls)
    est = _make(cls).fit(X, y)
    snap = _snapshot(est, X)
    est.set_params(device="cuda")
    with pytest.raises(
        ValueError, match="device='cuda' was requested but CUDA is not available"
    ):
        est.fit(X, y)
    est.set_params(device="cpu")
    _assert_unchanged(est, X, snap)


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_cuda_index_out_of_range(cls):
    torch = pytest.importorskip("torch")
    X, y = _data(cls)
    est = _make(cls, device=f"cuda:{torch.cuda.device_count() + 3}")
    match = "CUDA is not available" if not torch.cuda.is_available() else "CUDA device"
    with pytest.raises(ValueError, match=match):
        est.fit(X, y)


# ---------------------------------------------------------------------------
# Calls in the wrong state
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("cls", ESTIMATORS)
def test_predict_before_fit(cls):
    X, _ = _data(cls)
    for method in ("predict", "predict_proba", "hidden_activations"):
        if hasattr(cls, method):
            with pytest.raises(NotFittedError, match="not fitted yet"):
                getattr(_make(cls), method)(X)


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_partial_fit_with_lbfgs(cls):
    est = _make(cls, solver="lbfgs")
    with pytest.raises(AttributeError, match="has no attribute 'partial_fit'") as info:
        est.partial_fit  # noqa: B018
    assert "only available for stochastic optimizers" in str(info.value.__cause__)
    assert "solver='lbfgs'" in str(info.value.__cause__)


def test_partial_fit_needs_classes_first():
    X, y = _data(MLPClassifier)
    est = _make(MLPClassifier)
    with pytest.raises(ValueError, match="classes must be passed on the first call"):
        est.partial_fit(X, y)
    with pytest.raises(NotFittedError):
        check_is_fitted(est)
