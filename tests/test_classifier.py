"""MLPClassifier: labels, input types, probabilities, reproducibility,
fitted attributes and class weights."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
import torch
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import recall_score
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier as SkMLPClassifier

from sknn import MLPClassifier

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

FAST = dict(
    hidden_layer_sizes=(16,),
    max_iter=40,
    learning_rate_init=0.02,
    random_state=0,
    device="cpu",
)


# ---------------------------------------------------------------------------
# Labels
# ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "labels",
    [
        np.array(["setosa", "versicolor", "virginica"]),
        np.array(["setosa", "versicolor", "virginica"], dtype=object),
        np.array([-7, 3, 12]),
        np.array([-1.0, 0.0, 2.0]),
    ],
    ids=["str", "object", "int", "float"],
)
def test_labels_of_any_type_come_back_from_predict(iris, labels):
    X, y = iris
    y_lab = labels[y]
    clf = MLPClassifier(**FAST).fit(X, y_lab)
    assert_array_equal(clf.classes_, np.unique(y_lab))
    pred = clf.predict(X)
    assert set(pred) <= set(labels)
    assert pred.dtype == clf.classes_.dtype
    assert clf.score(X, y_lab) > 0.85
    # the same as integer labels mapped through
    ref = MLPClassifier(**FAST).fit(X, y)
    assert_array_equal(pred, labels[ref.predict(X)])


def test_binary_string_labels(iris_binary):
    X, y = iris_binary
    y_lab = np.array(["no", "yes"])[y]
    clf = MLPClassifier(**FAST).fit(X, y_lab)
    assert list(clf.classes_) == ["no", "yes"]
    assert clf.n_outputs_ == 1 and clf.out_activation_ == "logistic"
    proba = clf.predict_proba(X)
    assert proba.shape == (X.shape[0], 2)
    # column order follows classes_
    assert_array_equal(clf.classes_[proba.argmax(axis=1)], clf.predict(X))


def test_continuous_y_is_rejected(iris):
    X, _ = iris
    with pytest.raises(ValueError, match="Unknown label type"):
        MLPClassifier(**FAST).fit(X, np.linspace(0, 1, X.shape[0]))


# ---------------------------------------------------------------------------
# Input types
# ---------------------------------------------------------------------------
def test_dataframe_keeps_feature_names_and_warns_on_mismatch(iris):
    pd = pytest.importorskip("pandas")
    X, y = iris
    cols = ["sepal_len", "sepal_wid", "petal_len", "petal_wid"]
    df = pd.DataFrame(X, columns=cols)
    clf = MLPClassifier(**FAST).fit(df, pd.Series(y, name="target"))
    assert_array_equal(clf.feature_names_in_, cols)
    assert clf.n_features_in_ == 4
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        pred_df = clf.predict(df)
    assert_array_equal(pred_df, clf.predict_proba(df).argmax(axis=1))
    # names in another order: scikit-learn raises
    with pytest.raises(ValueError, match="feature names should match"):
        clf.predict(df[cols[::-1]])
    # a plain array after fitting on named columns: scikit-learn warns
    with pytest.warns(UserWarning, match="does not have valid feature names"):
        pred_np = clf.predict(X)
    assert_array_equal(pred_np, pred_df)


def test_dataframe_without_names_sets_no_feature_names(iris):
    pd = pytest.importorskip("pandas")
    X, y = iris
    clf = MLPClassifier(**FAST).fit(pd.DataFrame(X), y)
    assert not hasattr(clf, "feature_names_in_")


def test_named_fit_then_other_names_warns_or_raises(iris):
    pd = pytest.importorskip("pandas")
    X, y = iris
    clf = MLPClassifier(**FAST).fit(X, y)
    # fitted without names, predicting with names: scikit-learn warns
    with pytest.warns(UserWarning, match="fitted without feature names"):
        clf.predict(pd.DataFrame(X, columns=list("abcd")))


@pytest.mark.parametrize("fmt", ["csr", "csc"])
def test_sparse_input_same_as_dense(digits, fmt):
    X, y = digits
    X = X[:200]
    y = y[:200]
    Xs = sp.csr_matrix(X) if fmt == "csr" else sp.csc_matrix(X)
    dense = MLPClassifier(**FAST).fit(X, y)
    sparse = MLPClassifier(**FAST).fit(Xs, y)
    for a, b in zip(dense.coefs_, sparse.coefs_):
        assert_allclose(a, b, rtol=1e-10, atol=1e-12)
    assert_array_equal(sparse.predict(Xs), dense.predict(X))
    assert_allclose(sparse.predict_proba(Xs), dense.predict_proba(X), rtol=1e-10)
    # a model fitted on dense data predicts sparse input too, and vice versa
    assert_array_equal(dense.predict(Xs), dense.predict(X))
    assert_array_equal(sparse.predict(X), sparse.predict(Xs))


def test_lists_and_int_X(iris):
    X, y = iris
    Xi = np.round(X * 10).astype(np.int64)
    a = MLPClassifier(**FAST).fit(Xi, y)
    b = MLPClassifier(**FAST).fit(Xi.tolist(), y.tolist())
    assert_array_equal(a.predict(Xi), b.predict(Xi.tolist()))
    assert a.coefs_[0].dtype == np.float64


def test_predict_single_row(iris):
    X, y = iris
    clf = MLPClassifier(**FAST).fit(X, y)
    assert clf.predict(X[:1]).shape == (1,)
    assert clf.predict_proba(X[:1]).shape == (1, 3)
    assert clf.predict([X[0].tolist()])[0] == clf.predict(X)[0]


def test_wrong_number_of_features_at_predict(iris):
    X, y = iris
    clf = MLPClassifier(**FAST).fit(X, y)
    with pytest.raises(ValueError, match="4 features"):
        clf.predict(X[:, :3])


# ---------------------------------------------------------------------------
# Probabilities
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_predict_proba_float64_rows_sum_to_one(iris, dtype):
    X, y = iris
    clf = MLPClassifier(**FAST).fit(X.astype(dtype), y)
    proba = clf.predict_proba(X.astype(dtype))
    # sknn returns float64 probabilities even for a float32 model (scikit-learn
    # returns float32 there): probabilities are for downstream arithmetic
    assert proba.dtype == np.float64
    assert proba.shape == (X.shape[0], 3)
    assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
    assert np.all((proba >= 0) & (proba <= 1))
    log_proba = clf.predict_log_proba(X.astype(dtype))
    assert log_proba.dtype == np.float64
    assert_allclose(np.exp(log_proba), proba, rtol=1e-10, atol=1e-300)
    assert_array_equal(log_proba.argmax(axis=1), proba.argmax(axis=1))


def test_predict_log_proba_does_not_underflow(iris_binary):
    X, y = iris_binary
    clf = MLPClassifier(**FAST).fit(X * 50, y)  # very confident
    log_proba = clf.predict_log_proba(X * 50)
    assert np.all(np.isfinite(log_proba))


def test_binary_predict_proba_has_two_columns(iris_binary):
    X, y = iris_binary
    clf = MLPClassifier(**FAST).fit(X, y)
    proba = clf.predict_proba(X)
    assert proba.shape == (X.shape[0], 2)
    assert_allclose(proba.sum(axis=1), 1.0)
    assert_array_equal(clf.predict(X), proba.argmax(axis=1))


# ---------------------------------------------------------------------------
# Network shapes
# ---------------------------------------------------------------------------
def test_no_hidden_layer_is_logistic_regression(iris_binary):
    X, y = iris_binary
    clf = MLPClassifier(
        hidden_layer_sizes=(),
        solver="lbfgs",
        alpha=1e-6,
        max_iter=500,
        random_state=0,
        device="cpu",
    ).fit(X, y)
    assert clf.n_layers_ == 2
    assert [c.shape for c in clf.coefs_] == [(4, 1)]
    assert clf.predict_proba(X).shape == (X.shape[0], 2)
    # on a harder, overlapping problem it matches scikit-learn's logistic
    # regression fitted with the same (tiny) penalty
    rng = np.random.RandomState(0)
    Xn = rng.randn(300, 3)
    yn = (Xn @ [1.0, -2.0, 0.5] + rng.randn(300) > 0).astype(int)
    clf.fit(Xn, yn)
    ref = LogisticRegression(C=1e6).fit(Xn, yn)
    assert_allclose(clf.coefs_[0].ravel(), ref.coef_.ravel(), rtol=0.02, atol=0.02)
    assert_allclose(clf.predict_proba(Xn), ref.predict_proba(Xn), atol=0.01)


def test_no_hidden_layer_softmax(iris):
    X, y = iris
    clf = MLPClassifier(
        hidden_layer_sizes=(),
        max_iter=100,
        learning_rate_init=0.05,
        random_state=0,
        device="cpu",
    ).fit(X, y)
    assert [c.shape for c in clf.coefs_] == [(4, 3)]
    assert clf.out_activation_ == "softmax"
    assert clf.score(X, y) > 0.85


def test_fitted_attributes_have_sklearn_names_and_types(iris):
    X, y = iris
    clf = MLPClassifier(
        hidden_layer_sizes=(7, 5),
        max_iter=12,
        learning_rate_init=0.01,
        random_state=0,
        device="cpu",
    ).fit(X, y)
    assert clf.n_features_in_ == 4
    assert clf.n_outputs_ == 3
    assert clf.n_layers_ == 4
    assert clf.out_activation_ == "softmax"
    assert [c.shape for c in clf.coefs_] == [(4, 7), (7, 5), (5, 3)]
    assert [b.shape for b in clf.intercepts_] == [(7,), (5,), (3,)]
    assert all(
        isinstance(c, np.ndarray) and c.dtype == np.float64
        for c in clf.coefs_ + clf.intercepts_
    )
    assert isinstance(clf.n_iter_, int) and clf.n_iter_ == 12
    assert clf.t_ == clf.n_iter_ * X.shape[0]
    assert isinstance(clf.loss_curve_, list) and len(clf.loss_curve_) == clf.n_iter_
    assert all(isinstance(v, float) for v in clf.loss_curve_)
    assert clf.loss_ == clf.loss_curve_[-1]
    assert clf.best_loss_ == min(clf.loss_curve_)
    assert clf.validation_scores_ is None and clf.best_validation_score_ is None
    assert clf.device_ == "cpu"
    assert clf.learning_rate_init_ == 0.01
    assert not hasattr(MLPClassifier(), "coefs_")


def test_convergence_warning_at_max_iter(iris):
    X, y = iris
    with pytest.warns(ConvergenceWarning, match=r"Maximum iterations \(3\)"):
        MLPClassifier(**dict(FAST, max_iter=3)).fit(X, y)


def test_training_loss_plateau_stops_before_max_iter(iris_binary):
    X, y = iris_binary
    clf = MLPClassifier(**dict(FAST, max_iter=2000, tol=1e-2, n_iter_no_change=3))
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        clf.fit(X, y)
    assert clf.n_iter_ < 2000


# ---------------------------------------------------------------------------
# Dropout and randomness
# ---------------------------------------------------------------------------
def test_dropout_is_off_at_predict(iris):
    X, y = iris
    clf = MLPClassifier(**dict(FAST, dropout=0.5)).fit(X, y)
    p1, p2 = clf.predict_proba(X), clf.predict_proba(X)
    assert_array_equal(p1, p2)
    assert_array_equal(clf.predict(X), clf.predict(X))
    # the prediction is the plain forward pass through the fitted weights
    a = X
    for W, b in zip(clf.coefs_[:-1], clf.intercepts_[:-1]):
        a = np.maximum(a @ W + b, 0)
    z = a @ clf.coefs_[-1] + clf.intercepts_[-1]
    expected = np.exp(z - z.max(axis=1, keepdims=True))
    expected /= expected.sum(axis=1, keepdims=True)
    assert_allclose(p1, expected, rtol=1e-10)


def test_dropout_changes_training(iris):
    X, y = iris
    a = MLPClassifier(**FAST).fit(X, y)
    b = MLPClassifier(**dict(FAST, dropout=0.5)).fit(X, y)
    assert not np.allclose(a.coefs_[0], b.coefs_[0])


def test_dropout_per_layer_length_checked(iris):
    X, y = iris
    with pytest.raises(ValueError, match="dropout has 3 values"):
        MLPClassifier(hidden_layer_sizes=(4, 4), dropout=[0.1, 0.2, 0.3]).fit(X, y)


@pytest.mark.parametrize(
    "extra",
    [
        {},
        {"dropout": 0.3},
        {"early_stopping": True, "n_iter_no_change": 3},
        {"solver": "sgd", "learning_rate_init": "auto"},
    ],
)
def test_same_seed_same_predictions(iris, extra):
    X, y = iris
    params = dict(FAST, max_iter=15, **extra)
    a = MLPClassifier(**params).fit(X, y)
    b = MLPClassifier(**params).fit(X, y)
    assert_array_equal(a.predict_proba(X), b.predict_proba(X))
    c = MLPClassifier(**dict(params, random_state=1)).fit(X, y)
    assert not np.array_equal(a.coefs_[0], c.coefs_[0])


def test_random_state_instance_accepted(iris):
    X, y = iris
    a = MLPClassifier(**dict(FAST, random_state=np.random.RandomState(5))).fit(X, y)
    b = MLPClassifier(**dict(FAST, random_state=np.random.RandomState(5))).fit(X, y)
    assert_array_equal(a.coefs_[0], b.coefs_[0])


@pytest.mark.parametrize(
    "extra",
    [
        {"dropout": 0.3, "shuffle": True},
        {"early_stopping": True, "learning_rate_init": "auto"},
        {"solver": "lbfgs", "learning_rate_init": 0.001},
        {"random_state": np.random.RandomState(3)},
    ],
)
def test_fit_leaves_global_rng_state_untouched(iris, extra):
    X, y = iris
    torch_before = torch.get_rng_state()
    np_before = np.random.get_state()  # noqa: NPY002 (the global state is the point)
    MLPClassifier(**dict(FAST, max_iter=5, **extra)).fit(X, y).predict(X)
    assert torch.equal(torch.get_rng_state(), torch_before)
    np_after = np.random.get_state()  # noqa: NPY002
    assert np_after[0] == np_before[0]
    assert_array_equal(np_after[1], np_before[1])
    assert np_after[2:] == np_before[2:]


def test_random_state_none_follows_numpy_global_seed(iris):
    # scikit-learn's convention: random_state=None draws from numpy's global
    # RandomState, so np.random.seed makes such fits repeatable.  torch's
    # global generator is still never used.
    X, y = iris
    params = dict(FAST, max_iter=5, random_state=None, dropout=0.2)
    torch_before = torch.get_rng_state()
    saved = np.random.get_state()  # noqa: NPY002
    try:
        np.random.seed(11)  # noqa: NPY002
        a = MLPClassifier(**params).fit(X, y)
        np.random.seed(11)  # noqa: NPY002
        b = MLPClassifier(**params).fit(X, y)
    finally:
        np.random.set_state(saved)  # noqa: NPY002
    assert_array_equal(a.coefs_[0], b.coefs_[0])
    assert torch.equal(torch.get_rng_state(), torch_before)


def test_fit_leaves_torch_thread_count_unchanged(iris):
    X, y = iris
    before = torch.get_num_threads()
    MLPClassifier(**dict(FAST, max_iter=3)).fit(X, y)
    assert torch.get_num_threads() == before


# ---------------------------------------------------------------------------
# Class weights
# ---------------------------------------------------------------------------
def _minority_recall(class_weight, data):
    X, y = data
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, stratify=y, random_state=0)
    clf = MLPClassifier(
        hidden_layer_sizes=(16,),
        max_iter=100,
        learning_rate_init=0.01,
        random_state=0,
        device="cpu",
        class_weight=class_weight,
    )
    clf.fit(X_tr, y_tr)
    return recall_score(y_te, clf.predict(X_te)), clf


def test_class_weight_balanced_raises_minority_recall(imbalanced):
    plain, _ = _minority_recall(None, imbalanced)
    balanced, _ = _minority_recall("balanced", imbalanced)
    manual, _ = _minority_recall({0: 1.0, 1: 11.5}, imbalanced)
    assert plain < 0.4
    assert balanced > plain + 0.25
    assert manual > plain + 0.25


def test_class_weight_dict_equals_sample_weight(iris):
    X, y = iris
    cw = {0: 1.0, 1: 3.0, 2: 0.5}
    a = MLPClassifier(**dict(FAST, class_weight=cw)).fit(X, y)
    b = MLPClassifier(**FAST).fit(X, y, sample_weight=np.array([cw[c] for c in y]))
    assert_allclose(a.coefs_[0], b.coefs_[0], rtol=1e-10)


def test_class_weight_with_string_labels(iris):
    X, y = iris
    y_lab = np.array(["a", "b", "c"])[y]
    a = MLPClassifier(**dict(FAST, class_weight={"a": 2.0, "c": 0.5})).fit(X, y_lab)
    b = MLPClassifier(**dict(FAST, class_weight={0: 2.0, 2: 0.5})).fit(X, y)
    assert_allclose(a.coefs_[0], b.coefs_[0], rtol=1e-10)


def test_class_weight_unknown_label_rejected(iris):
    X, y = iris
    with pytest.raises(ValueError, match="class_weight has labels"):
        MLPClassifier(**dict(FAST, class_weight={0: 1.0, 7: 2.0})).fit(X, y)


# ---------------------------------------------------------------------------
# Sample weights
# ---------------------------------------------------------------------------
@pytest.mark.filterwarnings("ignore:Got `batch_size`:UserWarning")
@pytest.mark.parametrize("solver", ["lbfgs", "sgd"])
def test_zero_sample_weight_equals_removing_samples(iris, solver):
    X, y = iris
    rng = np.random.RandomState(0)
    sw = (rng.rand(X.shape[0]) > 0.3).astype(float)
    # full-batch, unshuffled: both fits see the same weighted loss each step
    params = dict(
        hidden_layer_sizes=(6,),
        solver=solver,
        max_iter=25,
        learning_rate_init=0.1,
        batch_size=X.shape[0],
        shuffle=False,
        random_state=0,
        device="cpu",
        tol=0.0,
    )
    weighted = MLPClassifier(**params).fit(X, y, sample_weight=sw)
    removed = MLPClassifier(**params).fit(X[sw > 0], y[sw > 0])
    for a, b in zip(weighted.coefs_, removed.coefs_):
        assert_allclose(a, b, rtol=1e-6, atol=1e-8)
    assert_allclose(weighted.loss_, removed.loss_, rtol=1e-8)


def test_sample_weight_scales_like_duplicates_in_loss(iris):
    # integer weights act like repeated samples in the (full-batch) loss
    X, y = iris
    sw = np.where(y == 2, 3.0, 1.0)
    params = dict(
        hidden_layer_sizes=(6,),
        solver="lbfgs",
        max_iter=20,
        random_state=0,
        device="cpu",
    )
    weighted = MLPClassifier(**params).fit(X, y, sample_weight=sw)
    rep = np.repeat(np.arange(X.shape[0]), sw.astype(int))
    repeated = MLPClassifier(**params).fit(X[rep], y[rep])
    assert_allclose(weighted.coefs_[0], repeated.coefs_[0], rtol=1e-5, atol=1e-7)


def test_negative_sample_weight_as_scikit_learn_and_zero_sum_rejected(iris):
    """scikit-learn's MLPs take negative weights and divide the loss, its
    gradient and the L2 term by the weights' sum: sknn trains to the same
    weights; weights that sum to 0 are refused (scikit-learn divides by 0)."""
    X, y = iris
    params = dict(FAST, solver="sgd", batch_size=32)
    reference = SkMLPClassifier(**{k: v for k, v in params.items() if k != "device"})
    mixed = np.random.RandomState(0).uniform(-0.3, 1.0, X.shape[0])
    for sw in (-np.ones(X.shape[0]), mixed):
        ours = MLPClassifier(**params).fit(X, y, sample_weight=sw)
        theirs = reference.fit(X, y, sample_weight=sw)
        assert_allclose(ours.coefs_[0], theirs.coefs_[0], rtol=1e-9, atol=1e-12)
        assert ours.loss_ == pytest.approx(theirs.loss_, rel=1e-9)
    for sw in (np.zeros(X.shape[0]), np.r_[1.0, -1.0, np.zeros(X.shape[0] - 2)]):
        with pytest.raises(ValueError, match="non-zero"):
            MLPClassifier(**FAST).fit(X, y, sample_weight=sw)


def test_failed_fit_keeps_previous_model(iris):
    X, y = iris
    clf = MLPClassifier(**FAST).fit(X, y)
    before = clf.predict_proba(X)
    with pytest.raises(ValueError):
        clf.fit(np.full_like(X, np.nan), y)
    assert_array_equal(clf.predict_proba(X), before)


def test_predict_reads_the_current_weights_and_activation(iris):
    # scikit-learn's MLP predicts from coefs_, intercepts_ and activation as
    # they are at predict time; users (and scikit-learn's own tests) set them
    X, y = iris
    clf = MLPClassifier(**FAST).fit(X, y)
    before = clf.predict_proba(X)
    clf.intercepts_ = [b.copy() for b in clf.intercepts_]
    clf.intercepts_[-1] = clf.intercepts_[-1] + np.array([5.0, 0.0, 0.0])
    shifted = clf.predict_proba(X)
    assert not np.allclose(shifted, before)
    assert np.all(shifted[:, 0] >= before[:, 0])
    clf.coefs_[0] = np.zeros_like(clf.coefs_[0])  # one array replaced in the list
    assert np.ptp(clf.predict_proba(X), axis=0).max() < 1e-12
    clf.fit(X, y)
    assert_allclose(clf.predict_proba(X), before)
    clf.set_params(activation="identity")
    assert not np.allclose(clf.predict_proba(X), before)


@pytest.mark.parametrize("Est", [MLPClassifier, SkMLPClassifier])
def test_multiclass_multioutput_y_is_refused_as_scikit_learn_refuses_it(Est):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(40, 3))
    Y = np.c_[rng.randint(0, 3, 40), rng.randint(0, 2, 40)]
    with pytest.raises(ValueError, match="Multioutput target data is not supported"):
        Est(max_iter=2).fit(X, Y)
