"""Learned category embeddings (``embedding_columns``) through the
estimators.

The layer's gradient is checked against autograd in test_engine.py; here:
the vectors learn what one-hot columns would, at a fraction of the width;
every way of training, predicting and exporting knows them; bad codes get
errors that name the column; and the default leaves the network alone.
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
from sklearn.preprocessing import OneHotEncoder

from sknn import MLPClassifier, MLPRegressor, MultiLabelMLP

EMBED = dict(embedding_columns=[1, 4], embedding_dim=3)


@pytest.fixture(autouse=True)
def _quiet():
    from sklearn.exceptions import ConvergenceWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


def _data(n=300, seed=0, levels=(40, 7)):
    """Three numeric columns and two code columns (1 and 4) whose categories
    each carry an effect on the target."""
    rng = np.random.RandomState(seed)
    X = rng.randn(n, 5)
    X[:, 1] = rng.randint(0, levels[0], n)
    X[:, 4] = rng.randint(0, levels[1], n)
    X[: levels[0], 1] = np.arange(levels[0])  # every code seen
    effect = np.random.RandomState(99).randn(levels[0])
    score = effect[X[:, 1].astype(int)] + 0.5 * X[:, 0] + (X[:, 4] % 2)
    return X, (score > np.median(score)).astype(int), score


def test_embeddings_learn_what_one_hot_columns_learn():
    """A target driven by a 60-level column: the raw codes as numbers are
    hopeless, one-hot columns and 4-vectors per level both learn it, the
    vectors with a first layer 10 times narrower."""
    X, y, _ = _data(2400, levels=(60, 7))
    tr, te = slice(0, 1800), slice(1800, None)
    kw = dict(hidden_layer_sizes=(32,), max_iter=60, random_state=0)
    raw = MLPClassifier(**kw).fit(X[tr], y[tr]).score(X[te], y[te])
    onehot = OneHotEncoder(sparse_output=False).fit(X[:, [1, 4]])

    def encode(A):
        return np.hstack([A[:, [0, 2, 3]], onehot.transform(A[:, [1, 4]])])

    wide = MLPClassifier(**kw).fit(encode(X[tr]), y[tr])
    emb = MLPClassifier(**kw, embedding_columns=[1, 4], embedding_dim=4)
    emb.fit(X[tr], y[tr])
    assert raw < 0.75
    assert wide.score(encode(X[te]), y[te]) > 0.85
    assert emb.score(X[te], y[te]) > 0.85
    assert [t.shape for t in emb.embeddings_] == [(60, 4), (7, 4)]
    np.testing.assert_array_equal(emb.embedding_columns_, [1, 4])
    assert emb.coefs_[0].shape == (3 + 2 * 4, 32)
    assert wide.coefs_[0].shape[0] == 3 + 67


def test_default_leaves_the_network_alone():
    X, y, _ = _data()
    clf = MLPClassifier((8,), max_iter=3, random_state=0).fit(X, y)
    assert clf.coefs_[0].shape == (5, 8)
    assert not hasattr(clf, "embeddings_")
    assert not hasattr(clf, "embedding_columns_")
    # empty: no embeddings either
    none = clone(clf).set_params(embedding_columns=[]).fit(X, y)
    np.testing.assert_array_equal(none.coefs_[0], clf.coefs_[0])


@pytest.mark.parametrize("solver", ["adam", "sgd", "lbfgs"])
def test_every_solver_trains_them(solver):
    X, y, _ = _data()
    kw = dict(hidden_layer_sizes=(8,), solver=solver, random_state=0, **EMBED)
    start = MLPClassifier(max_iter=1, **kw).fit(X, y)
    clf = MLPClassifier(max_iter=20, **kw).fit(X, y)
    for a, b in zip(start.embeddings_, clf.embeddings_):
        assert a.shape == b.shape
        assert not np.allclose(a, b)


def test_with_the_other_input_layers_and_float32():
    X, y, _ = _data()
    clf = MLPClassifier(
        (8,), max_iter=10, random_state=0, n_frequencies=2, input_scale=True, **EMBED
    ).fit(X.astype(np.float32), y)
    # periodic features default to the columns that are not codes
    np.testing.assert_array_equal(clf.periodic_columns_, [0, 2, 3])
    assert clf.coefs_[0].shape[0] == 3 + 3 * 2 + 2 * 3
    assert clf.input_scale_.shape == (clf.coefs_[0].shape[0],)
    assert all(t.dtype == np.float32 for t in clf.embeddings_)
    with pytest.raises(ValueError, match="share the columns \\[1\\]"):
        clone(clf).set_params(periodic_columns=[0, 1]).fit(X, y)


def test_sparse_weighted_partial_fit_multilabel_early_stopping():
    X, y, score = _data()
    clf = MLPClassifier((8,), max_iter=10, random_state=0, **EMBED)
    fit_sparse_weighted(clf, X, y)
    inc = MLPClassifier((8,), random_state=0, **EMBED)
    for _ in range(3):
        inc.partial_fit(X, y, classes=[0, 1])
    first = [t.copy() for t in inc.embeddings_]
    inc.partial_fit(X[:50], y[:50])  # fewer levels in this batch: same tables
    assert [t.shape for t in inc.embeddings_] == [t.shape for t in first]
    assert not np.allclose(first[0], inc.embeddings_[0])
    Y = np.column_stack([y, score > 0])
    ml = MultiLabelMLP((8,), max_iter=10, random_state=0, **EMBED).fit(X, Y)
    assert ml.predict(X).shape == Y.shape
    es = MLPRegressor(
        hidden_layer_sizes=(8,), early_stopping=True, random_state=0, **EMBED
    )
    es.fit(X, score)
    assert es.best_validation_score_ == max(es.validation_scores_)


@pytest.mark.parametrize(
    "value, match",
    [
        (-2.0, "holds -2.0"),
        (2.5, "holds 2.5"),
    ],
)
def test_codes_that_are_not_codes_name_the_column(value, match):
    X, y, _ = _data()
    X[7, 4] = value
    with pytest.raises(
        ValueError, match=f"Column 4 of X is in embedding_columns.*{match}"
    ):
        MLPClassifier((4,), max_iter=1, **EMBED).fit(X, y)


def test_codes_beyond_the_fitted_levels_are_refused():
    X, y, _ = _data()
    clf = MLPClassifier((4,), max_iter=2, random_state=0, **EMBED).fit(X, y)
    before = [t.copy() for t in clf.embeddings_]
    X2 = X.copy()
    X2[0, 1] = 40  # 40 levels were fitted: codes 0 to 39
    msg = "Column 1 of X holds the category code 40, .* 40 levels there"
    with pytest.raises(ValueError, match=msg):
        clf.predict(X2)
    with pytest.raises(ValueError, match=msg):
        clf.partial_fit(X2, y)
    for a, b in zip(before, clf.embeddings_):  # the failed call changed nothing
        np.testing.assert_array_equal(a, b)
    # a new fit learns the new level
    clf.fit(X2, y)
    assert clf.embeddings_[0].shape == (41, 3)


def test_code_minus_one_is_an_unknown_category_with_a_zero_vector():
    """-1 (OrdinalEncoder's usual unknown_value) reads a zero vector, in
    training as in prediction, and moves no table row."""
    import copy

    X, y, _ = _data()
    X[:5, 1] = -1
    clf = MLPClassifier((8,), max_iter=5, random_state=0, **EMBED).fit(X, y)
    assert clf.embeddings_[0].shape == (40, 3)
    # the same network with an extra all-zero row 40 in the first table
    zero_row = copy.deepcopy(clf)
    zero_row.embeddings_[0] = np.vstack([clf.embeddings_[0], np.zeros((1, 3))])
    X40 = X.copy()
    X40[:5, 1] = 40
    np.testing.assert_allclose(
        clf.predict_proba(X), zero_row.predict_proba(X40), rtol=1e-12
    )
    # rows of unknown categories only: no gradient reaches the table
    only = MLPClassifier((8,), max_iter=1, random_state=0, embedding_columns=[1])
    only.set_params(learning_rate_init=0.1)
    X_unknown = X.copy()
    X_unknown[:, 1] = -1
    X_unknown[0, 1] = 3
    start = clone(only).set_params(learning_rate_init=1e-300).fit(X_unknown, y)
    only.fit(X_unknown, y)
    np.testing.assert_array_equal(only.embeddings_[0][:3], start.embeddings_[0][:3])
    assert not np.array_equal(only.embeddings_[0][3], start.embeddings_[0][3])


@pytest.mark.parametrize("columns", [[1], [1, 4, 0], [4]])
@pytest.mark.parametrize("how", ["warm_start", "partial_fit"])
def test_other_code_columns_need_a_new_network(columns, how):
    """Training on with other code columns is refused by name, whatever the
    codes in the new columns (not read against the old tables)."""
    X, y, _ = _data()
    X[:, 0] = np.arange(len(X)) % 50
    clf = MLPClassifier((4,), max_iter=2, random_state=0, embedding_columns=[4])
    clf.fit(X, y)
    clf.set_params(embedding_columns=columns, warm_start=how == "warm_start")
    if columns == [4]:  # the same columns: training goes on
        getattr(clf, "fit" if how == "warm_start" else "partial_fit")(X, y)
        return
    with pytest.raises(ValueError, match="embedding_columns=.*fitted with \\[4\\]"):
        getattr(clf, "fit" if how == "warm_start" else "partial_fit")(X, y)


def test_declared_levels_let_partial_fit_learn_later_categories():
    """A stream whose first batch holds half of a column's categories: the
    tables are sized by the first fit unless embedding_levels says more,
    and then the later categories are learned (their rows move)."""
    X, y, _ = _data(600)
    early = X[:, 1] < 20
    first = (X[early], y[early])
    plain = MLPClassifier((8,), random_state=0, **EMBED)
    plain.partial_fit(*first, classes=[0, 1])
    with pytest.raises(ValueError, match="declared in embedding_levels"):
        plain.partial_fit(X, y)

    clf = MLPClassifier(
        (8,), learning_rate_init=0.01, random_state=0, embedding_levels=[40, 7], **EMBED
    )
    for _ in range(30):
        clf.partial_fit(*first, classes=[0, 1])
    assert [t.shape for t in clf.embeddings_] == [(40, 3), (7, 3)]
    start = clf.embeddings_[0].copy()
    before = clf.score(X[~early], y[~early])
    for _ in range(30):
        clf.partial_fit(X[~early], y[~early])
    moved = np.abs(clf.embeddings_[0] - start).max(axis=1)
    assert (moved[20:] > 1e-2).all()  # every later category was trained
    assert clf.score(X[~early], y[~early]) > before + 0.15


def test_declared_levels_pair_with_the_columns_as_listed():
    X, y, _ = _data()
    kw = dict(hidden_layer_sizes=(4,), max_iter=2, random_state=0, embedding_dim=3)
    clf = MLPClassifier(embedding_columns=[4, 1], embedding_levels=[9, 50], **kw)
    assert [t.shape[0] for t in clf.fit(X, y).embeddings_] == [50, 9]
    mask = np.isin(np.arange(5), [1, 4])
    clf = MLPClassifier(embedding_columns=mask, embedding_levels=[50, 9], **kw)
    assert [t.shape[0] for t in clf.fit(X, y).embeddings_] == [50, 9]
    # levels as found train the same network as no declaration
    same = MLPClassifier(embedding_columns=[1, 4], embedding_levels=[40, 7], **kw)
    found = MLPClassifier(embedding_columns=[1, 4], **kw)
    np.testing.assert_array_equal(
        same.fit(X, y).predict_proba(X), found.fit(X, y).predict_proba(X)
    )


@pytest.mark.parametrize(
    "levels, match",
    [
        (
            10,
            "Column 1 of X holds the category code 39, but embedding_levels "
            "gives it 10 categories",
        ),
        ([40], "embedding_levels has 1 entries for the 2 columns"),
        ([40, 0], "embedding_levels must be None, a whole number"),
        ([40.0, 7.0], "embedding_levels must be None, a whole number"),
        (0, "embedding_levels"),
    ],
)
def test_bad_declared_levels_name_the_parameter(levels, match):
    X, y, _ = _data()
    with pytest.raises(ValueError, match=match):
        MLPClassifier((4,), max_iter=1, embedding_levels=levels, **EMBED).fit(X, y)


def test_declared_levels_without_columns_are_ignored():
    """With no embedded column, embedding_levels sizes nothing: it is
    ignored (as scikit-learn ignores momentum under 'adam'), so a grid
    search can switch the embeddings off; a malformed value is still
    refused."""
    X, y, _ = _data()
    kw = dict(hidden_layer_sizes=(4,), max_iter=2, random_state=0)
    plain = MLPClassifier(**kw).fit(X, y).predict_proba(X)
    for columns in (None, []):
        clf = MLPClassifier(embedding_columns=columns, embedding_levels=[5, 6], **kw)
        np.testing.assert_array_equal(clf.fit(X, y).predict_proba(X), plain)
    with pytest.raises(ValueError, match="embedding_levels must be None"):
        MLPClassifier(embedding_levels=[0], **kw).fit(X, y)


def test_declared_levels_cannot_change_while_training_goes_on():
    X, y, _ = _data()
    clf = MLPClassifier((4,), max_iter=2, random_state=0, **EMBED).fit(X, y)
    before = [t.copy() for t in clf.embeddings_]
    clf.set_params(embedding_levels=[50, 7])
    with pytest.raises(
        ValueError,
        match="embedding_levels=\\[50, 7\\] asks for 50 categories in column 1 "
        "of X, but the fitted network's table there has 40",
    ):
        clf.partial_fit(X, y)
    # listed in another order than the columns': the column is still named
    clf.set_params(embedding_columns=[4, 1], embedding_levels=[9, 40])
    with pytest.raises(ValueError, match="asks for 9 categories in column 4 of X"):
        clf.partial_fit(X, y)
    clf.set_params(embedding_columns=EMBED["embedding_columns"])
    for a, b in zip(before, clf.embeddings_):
        np.testing.assert_array_equal(a, b)
    clf.set_params(embedding_levels=[40, 7]).partial_fit(X, y)  # as fitted
    clf.set_params(embedding_levels=[50, 7]).fit(X, y)  # a new network may
    assert clf.embeddings_[0].shape == (50, 3)


def test_huge_codes_are_refused_before_allocating():
    X, y, _ = _data()
    X[0, 1] = 1e11
    with pytest.raises(
        MemoryError, match="column 1 of X has 100,000,000,001 categories"
    ):
        MLPClassifier((4,), max_iter=1, **EMBED).fit(X, y)


def test_changing_them_needs_a_new_network():
    X, y, _ = _data()
    clf = MLPClassifier((8,), max_iter=2, warm_start=True, random_state=0, **EMBED)
    clf.fit(X, y)
    clf.set_params(embedding_dim=5)
    with pytest.raises(ValueError, match="embedding_dim=5 \\(fitted with 3\\)"):
        clf.fit(X, y)
    clf.set_params(embedding_dim=3, embedding_columns=[1])
    with pytest.raises(ValueError, match="embedding_columns=\\[1\\]"):
        clf.partial_fit(X, y)
    clf.set_params(embedding_columns=None, warm_start=False).fit(X, y)
    assert not hasattr(clf, "embeddings_")


@pytest.mark.parametrize(
    "param, value, match",
    [
        ("embedding_dim", 0, "embedding_dim"),
        ("embedding_dim", 2.5, "embedding_dim"),
        ("embedding_columns", [0, 9], "embedding_columns holds indices outside"),
        ("embedding_columns", [1, 1], "embedding_columns repeats"),
        ("embedding_columns", [True], "embedding_columns as a boolean mask"),
        ("embedding_columns", ["a"], "embedding_columns must be"),
    ],
)
def test_bad_values_name_the_parameter(param, value, match):
    X, y, _ = _data()
    with pytest.raises(ValueError, match=match):
        MLPClassifier(**{param: value}).fit(X, y)


def test_exports_and_pickle_agree_with_predict():
    X, y, score = _data()
    X = X.astype(np.float32)
    X[::7, 4] = -1  # unknown categories: zero vectors in every export too
    kw = dict(max_iter=20, random_state=0, n_frequencies=2, input_scale=True, **EMBED)
    assert_exports_agree(MLPClassifier((8,), **kw).fit(X, y), X, 8)
    reg = MLPRegressor(hidden_layer_sizes=(8,), **kw)
    assert_exports_agree(reg.fit(X, score), X, 8)


def test_skl2onnx_pipeline_with_an_ordinal_encoder():
    """The way a user gets codes: an OrdinalEncoder in a ColumnTransformer,
    then the network, exported whole by skl2onnx."""
    pytest.importorskip("skl2onnx")
    pytest.importorskip("onnxruntime")
    from sklearn.compose import ColumnTransformer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OrdinalEncoder, StandardScaler

    X, y, _ = _data()
    X = X.astype(np.float32)
    prep = ColumnTransformer(
        [("codes", OrdinalEncoder(), [1, 4]), ("num", StandardScaler(), [0, 2, 3])]
    )
    net = MLPClassifier((8,), max_iter=20, random_state=0, embedding_columns=[0, 1])
    pipe = make_pipeline(prep, net).fit(X, y)
    assert_skl2onnx_agrees(pipe, X)


@pytest.mark.cuda
@pytest.mark.skipif(not cuda_available(), reason="needs a CUDA device")
def test_cuda_trains_them_like_the_cpu():
    """On a GPU the embeddings (index_select of the codes, the lookup, the
    gradient summed per level by index_add_, whose order of additions may
    differ) train to the CPU's model within float64 rounding; unknown codes
    included; the model predicts anywhere."""
    X, y, _ = _data()
    X[::9, 1] = -1
    kw = dict(hidden_layer_sizes=(8,), max_iter=10, random_state=0, **EMBED)
    kw.update(n_frequencies=2, input_scale=True)
    gpu = MLPClassifier(device="cuda", **kw).fit(X, y)
    cpu = MLPClassifier(device="cpu", **kw).fit(X, y)
    for a, b in zip(gpu.embeddings_, cpu.embeddings_):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(
        gpu.predict_proba(X), cpu.predict_proba(X), rtol=1e-6, atol=1e-9
    )


def test_unpickled_model_from_before_the_embeddings():
    X, y, _ = _data()
    clf = MLPClassifier((4,), max_iter=2, random_state=0).fit(X, y)
    state = clf.__getstate__()
    del state["embedding_columns"], state["embedding_dim"]
    old = MLPClassifier.__new__(MLPClassifier)
    old.__setstate__(state)
    assert old.embedding_columns is None and old.embedding_dim == 16
    np.testing.assert_array_equal(old.predict(X), clf.predict(X))
