"""MLPRegressor: single and multi-output targets, dtypes, weights, faults."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.exceptions import DataConversionWarning
from sklearn.linear_model import LinearRegression, Ridge
from sklearn.model_selection import train_test_split

from sknn import MLPRegressor

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

FAST = dict(
    hidden_layer_sizes=(16,),
    max_iter=60,
    learning_rate_init=0.02,
    random_state=0,
    device="cpu",
)


def test_fits_a_small_regression(regression):
    X, y = regression
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, random_state=0)
    reg = MLPRegressor(**FAST).fit(X_tr, y_tr)
    assert reg.score(X_te, y_te) > 0.9
    assert reg.out_activation_ == "identity"
    assert reg.n_outputs_ == 1
    assert reg.predict(X_te).shape == (X_te.shape[0],)


def test_multi_output_regression(regression_multi):
    X, Y = regression_multi
    reg = MLPRegressor(**FAST).fit(X, Y)
    assert reg.n_outputs_ == 3
    assert reg.coefs_[-1].shape == (16, 3)
    pred = reg.predict(X)
    assert pred.shape == Y.shape
    assert reg.score(X, Y) > 0.9
    # each output is fitted, not just their mean
    for k in range(3):
        r = np.corrcoef(pred[:, k], Y[:, k])[0, 1]
        assert r > 0.9


def test_multi_output_early_stopping_scores_mean_r2(regression_multi):
    X, Y = regression_multi
    reg = MLPRegressor(**dict(FAST, early_stopping=True, n_iter_no_change=5)).fit(X, Y)
    assert len(reg.validation_scores_) == reg.n_iter_
    assert 0.5 < reg.best_validation_score_ <= 1.0


def test_single_column_2d_y_predicts_1d(regression):
    # scikit-learn's MLPRegressor ravels a single output
    X, y = regression
    with pytest.warns(DataConversionWarning, match="column-vector y"):
        reg = MLPRegressor(**FAST).fit(X, y.reshape(-1, 1))
    assert reg.n_outputs_ == 1
    pred = reg.predict(X)
    assert pred.shape == (X.shape[0],)
    ref = MLPRegressor(**FAST).fit(X, y)
    assert_allclose(pred, ref.predict(X))


def test_no_hidden_layer_is_linear_regression(regression):
    X, y = regression
    reg = MLPRegressor(
        hidden_layer_sizes=(),
        solver="lbfgs",
        alpha=0.0,
        tol=1e-10,
        max_iter=500,
        random_state=0,
        device="cpu",
    ).fit(X, y)
    ols = LinearRegression().fit(X, y)
    assert [c.shape for c in reg.coefs_] == [(8, 1)]
    assert_allclose(reg.coefs_[0].ravel(), ols.coef_, atol=1e-4)
    assert_allclose(reg.intercepts_[0][0], ols.intercept_, atol=1e-4)


def test_alpha_is_ridge_penalty_without_hidden_layer(regression):
    # loss = 0.5 * mean squared error + alpha / (2 n) * ||W||^2, as scikit-learn:
    # the same minimum as Ridge(alpha) on 0.5 * sum of squared errors
    X, y = regression
    alpha = 20.0
    reg = MLPRegressor(
        hidden_layer_sizes=(),
        solver="lbfgs",
        alpha=alpha,
        tol=1e-10,
        max_iter=500,
        random_state=0,
        device="cpu",
    ).fit(X, y)
    ridge = Ridge(alpha=alpha).fit(X, y)
    assert_allclose(reg.coefs_[0].ravel(), ridge.coef_, atol=1e-4)


def test_larger_alpha_gives_smaller_weights(regression):
    X, y = regression
    norms = []
    for alpha in (0.0, 1.0, 10.0):
        reg = MLPRegressor(**dict(FAST, alpha=alpha)).fit(X, y)
        norms.append(sum(np.abs(c).sum() for c in reg.coefs_))
    assert norms[0] > norms[1] > norms[2]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_compute_dtype_follows_X(regression, dtype):
    X, y = regression
    reg = MLPRegressor(**FAST).fit(X.astype(dtype), y)
    assert all(c.dtype == dtype for c in reg.coefs_ + reg.intercepts_)
    assert reg.predict(X.astype(dtype)).dtype == dtype
    # a float64 X given to a float32 model is predicted in float32
    assert reg.predict(X).dtype == dtype


def test_float32_and_float64_agree(regression):
    X, y = regression
    r64 = MLPRegressor(**FAST).fit(X, y)
    r32 = MLPRegressor(**FAST).fit(X.astype(np.float32), y)
    assert_allclose(r32.predict(X), r64.predict(X), rtol=1e-3, atol=1e-3)


@pytest.mark.parametrize("fmt", ["csr", "csc"])
def test_sparse_same_as_dense(regression, fmt):
    X, y = regression
    X = X * (np.abs(X) > 0.8)  # mostly zeros
    Xs = sp.csr_matrix(X) if fmt == "csr" else sp.csc_matrix(X)
    dense = MLPRegressor(**FAST).fit(X, y)
    sparse = MLPRegressor(**FAST).fit(Xs, y)
    assert_allclose(sparse.predict(Xs), dense.predict(X), rtol=1e-9, atol=1e-12)


def test_sample_weight_zero_equals_removing(regression):
    X, y = regression
    sw = np.ones(X.shape[0])
    sw[::3] = 0.0
    params = dict(
        hidden_layer_sizes=(8,),
        solver="lbfgs",
        max_iter=30,
        tol=0.0,
        random_state=0,
        device="cpu",
    )
    a = MLPRegressor(**params).fit(X, y, sample_weight=sw)
    b = MLPRegressor(**params).fit(X[sw > 0], y[sw > 0])
    assert_allclose(a.predict(X), b.predict(X), rtol=1e-6, atol=1e-8)


def test_ones_sample_weight_equals_none(regression):
    X, y = regression
    a = MLPRegressor(**FAST).fit(X, y, sample_weight=np.ones(X.shape[0]))
    b = MLPRegressor(**FAST).fit(X, y)
    assert_allclose(a.predict(X), b.predict(X), rtol=1e-10)


def test_int_y_is_regressed_as_float(regression):
    X, y = regression
    y_int = np.round(y * 3).astype(int)
    reg = MLPRegressor(**FAST).fit(X, y_int)
    assert reg.predict(X).dtype == np.float64
    assert reg.score(X, y_int) > 0.8


def test_non_finite_weights_raise_without_early_stopping():
    rng = np.random.RandomState(0)
    X = np.finfo(np.float64).max * rng.uniform(size=(10, 2))
    y = rng.standard_normal(10)
    reg = MLPRegressor(random_state=0, device="cpu")
    msg = "Solver produced non-finite parameter weights"
    with pytest.raises(ValueError, match=msg):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            reg.fit(X, y)
    assert not hasattr(reg, "coefs_")


def test_diverging_sgd_raises_and_keeps_previous_fit(regression):
    X, y = regression
    reg = MLPRegressor(**dict(FAST, solver="sgd", learning_rate_init=0.01)).fit(X, y)
    before = reg.predict(X)
    # (only parameters that predict does not read: a failed fit must leave
    # the prediction as it was)
    reg.set_params(learning_rate_init=1e4)
    with pytest.raises(ValueError, match="non-finite"):
        reg.fit(X * 100, y * 100)
    assert_array_equal(reg.predict(X), before)
    assert all(np.isfinite(c).all() for c in reg.coefs_)


def test_changed_number_of_outputs_rejected_on_warm_start(regression_multi):
    X, Y = regression_multi
    reg = MLPRegressor(**dict(FAST, warm_start=True, max_iter=3)).fit(X, Y)
    with pytest.raises(ValueError, match="fitted with 3"):
        reg.fit(X, Y[:, 0])


# ---------------------------------------------------------------------------
# loss='poisson' (scikit-learn's MLPRegressor parameter)
# ---------------------------------------------------------------------------
def _counts(n=120, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.uniform(-1, 1, (n, 3))
    return X, rng.poisson(np.exp(0.8 * X[:, 0] - 0.5 * X[:, 1] + 0.3))


def test_poisson_matches_scikit_learn_under_lbfgs():
    # same initial weights, same loss, same full-batch L-BFGS: the same fit
    import sklearn.neural_network as sk_nn

    X, y = _counts()
    params = dict(
        loss="poisson", hidden_layer_sizes=(4,), solver="lbfgs", random_state=1
    )
    ref = sk_nn.MLPRegressor(**params, max_iter=50).fit(X, y)
    reg = MLPRegressor(**params, max_iter=50, device="cpu").fit(X, y)
    assert reg.out_activation_ == ref.out_activation_ == "exp"
    assert reg.n_iter_ == ref.n_iter_
    assert reg.loss_ == pytest.approx(ref.loss_, rel=1e-6)
    assert_allclose(reg.predict(X), ref.predict(X), rtol=1e-5)
    assert np.all(reg.predict(X) > 0)


def test_poisson_predict_is_exp_of_the_network_output():
    X, y = _counts()
    reg = MLPRegressor(loss="poisson", **FAST).fit(X, y)
    z = reg.to_torch()(__import__("torch").as_tensor(X)).detach().numpy().ravel()
    assert_allclose(reg.predict(X), np.exp(z), rtol=1e-12)
    # squared_error, the default, keeps the identity output
    assert MLPRegressor(**FAST).fit(X, y).out_activation_ == "identity"


def test_poisson_with_early_stopping_scores_exp_predictions():
    X, y = _counts(400)
    reg = MLPRegressor(loss="poisson", early_stopping=True, **FAST).fit(X, y)
    assert np.isfinite(reg.validation_scores_).all()
    assert reg.best_validation_score_ == max(reg.validation_scores_)
    # R^2 of the predictions exp(z), as reg.score computes it (of z the
    # score would be far lower: z is the log of the mean)
    z = reg.to_torch()(__import__("torch").as_tensor(X)).detach().numpy().ravel()
    r2_of_z = 1 - ((y - z) ** 2).sum() / ((y - y.mean()) ** 2).sum()
    assert abs(reg.best_validation_score_ - reg.score(X, y)) < 0.15
    assert reg.best_validation_score_ > r2_of_z + 0.2


@pytest.mark.parametrize("y_neg", [[-1.0], [[0.0, -0.5]]])
def test_poisson_rejects_negative_y_naming_y(y_neg):
    X, y = _counts(10)
    y = y.astype(float)
    if len(y_neg[0:1]) and isinstance(y_neg[0], list):
        y = np.column_stack([y, y])
        y[3] = y_neg[0]
    else:
        y[3] = y_neg[0]
    reg = MLPRegressor(loss="poisson", **FAST)
    with pytest.raises(ValueError, match=r"loss='poisson' requires y >= 0.*\by\b"):
        reg.fit(X, y)
    assert not hasattr(reg, "coefs_")


def test_accepts_scikit_learns_parameters():
    import sklearn.neural_network as sk_nn

    for params in (
        sk_nn.MLPRegressor().get_params(),
        sk_nn.MLPRegressor(loss="poisson").get_params(),
    ):
        reg = MLPRegressor(**params)
        assert {k: reg.get_params()[k] for k in params} == params
    # the signature is scikit-learn's: loss first, then the layer sizes
    assert MLPRegressor("poisson", (3,)).get_params()["hidden_layer_sizes"] == (3,)
