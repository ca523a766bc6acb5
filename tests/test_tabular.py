"""TabularMLPClassifier, TabularMLPRegressor and their preprocessing."""

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV

from sknn import TabularMLPClassifier, TabularMLPRegressor, TabularPreprocessor
from sknn._tabular import smooth_clip

pd = pytest.importorskip("pandas")

FAST = dict(
    hidden_layer_sizes=(32,),
    n_ensemble=2,
    max_iter=40,
    batch_size=32,
    early_stopping=False,
    random_state=0,
)


def _frame(n=120, seed=0):
    rng = np.random.RandomState(seed)
    df = pd.DataFrame(
        {
            "num": rng.normal(size=n),
            "int": rng.randint(0, 5, size=n),
            "str": rng.choice(["a", "b", "c"], size=n).astype(object),
            "cat": pd.Categorical(rng.choice([f"l{i}" for i in range(30)], size=n)),
            "flag": rng.rand(n) > 0.5,
        }
    )
    df.loc[::6, "num"] = np.nan
    df.loc[::9, "str"] = None
    df.loc[::11, "cat"] = np.nan
    return df


def test_smooth_clip_math():
    x = np.array([-1e6, -3.0, 0.0, 0.1, 3.0, 1e6])
    out = smooth_clip(x, 3.0)
    np.testing.assert_allclose(out, x / np.sqrt(1 + (x / 3.0) ** 2))
    assert np.all(np.abs(out) < 3.0)
    np.testing.assert_allclose(out[[0, -1]], [-3.0, 3.0], rtol=1e-6)
    np.testing.assert_allclose(out[2], 0.0)
    np.testing.assert_allclose(out[3], 0.1, rtol=1e-3)  # ~identity near 0
    np.testing.assert_allclose(out[4], 3.0 / np.sqrt(2.0))
    assert np.all(np.diff(smooth_clip(np.linspace(-50, 50, 101))) > 0)
    np.testing.assert_array_equal(smooth_clip(x, None), x)


def test_preprocessor_robust_scaling_and_indicator():
    x = np.array([1.0, 2.0, 3.0, 4.0, 5.0, np.nan])
    Xt = TabularPreprocessor(clip=None).fit_transform(x[:, None])
    # median 3, IQR 2; NaN imputed by the median and flagged
    np.testing.assert_allclose(Xt[:, 0], [-1.0, -0.5, 0.0, 0.5, 1.0, 0.0])
    np.testing.assert_array_equal(Xt[:, 1], [0, 0, 0, 0, 0, 1])
    Xc = TabularPreprocessor().fit_transform(x[:, None])
    np.testing.assert_allclose(Xc[:, 0], smooth_clip(Xt[:, 0]))


def test_preprocessor_zero_iqr_falls_back():
    x = np.zeros(100)
    x[:3] = [5.0, 10.0, -5.0]
    Xt = TabularPreprocessor(clip=None).fit_transform(x[:, None])
    assert np.all(np.isfinite(Xt))
    const = TabularPreprocessor().fit_transform(np.ones((10, 1)))
    np.testing.assert_array_equal(const, np.zeros((10, 1)))


def test_preprocessor_categories_onehot_and_compact():
    df = _frame()
    pre = TabularPreprocessor(max_onehot=8).fit(df)
    assert pre.categorical_columns_ == [2, 3]
    assert pre.numeric_columns_ == [0, 1, 4]
    Xt = pre.transform(df)
    # num + indicator, int, flag, str (a, b, c, missing), cat: 1 + ceil(log2 32)
    assert Xt.shape == (len(df), 2 + 1 + 1 + 4 + 1 + 5)
    assert pre.n_features_out_ == Xt.shape[1]
    onehot = Xt[:, 4:8]
    np.testing.assert_array_equal(onehot.sum(axis=1), 1)
    unseen = df.iloc[:2].copy()
    unseen["str"] = ["zzz", "a"]
    unseen["cat"] = pd.Categorical(["new", "l1"])
    Xu = pre.transform(unseen)
    np.testing.assert_array_equal(Xu[0, 4:8], 0)  # unseen: all-zero one-hot
    np.testing.assert_array_equal(Xu[0, -5:], 0)  # unseen: code 0
    assert Xu[1, 4:8].sum() == 1


def test_preprocessor_continuous_columns():
    """The output columns worth periodic features: scaled numeric columns
    with more than two values (not binary ones, indicators or codes)."""
    rng = np.random.RandomState(0)
    num = rng.normal(size=50)
    num[::5] = np.nan
    X = pd.DataFrame(
        {
            "num": num,
            "binary": rng.randint(0, 2, 50).astype(float),
            "cat": pd.Categorical(rng.choice(["a", "b", "c"], 50)),
            "num2": rng.uniform(size=50),
        }
    )
    pre = TabularPreprocessor().fit(X)
    # num, its missing indicator, binary, num2, then the one-hot block
    np.testing.assert_array_equal(pre.continuous_columns_, [0, 3])


def test_periodic_features_reach_the_networks():
    df = _frame(200)
    y = np.where(df["num"].fillna(0) > 0.3, "yes", "no")
    clf = TabularMLPClassifier(**FAST, n_frequencies=3, input_scale=True).fit(df, y)
    cols = clf.preprocessor_.continuous_columns_
    for net in clf.estimators_:
        np.testing.assert_array_equal(net.periodic_columns_, cols)
        assert net.frequencies_.shape == (len(cols), 3)
        assert net.input_scale_.shape == (net.coefs_[0].shape[0],)


def test_classifier_dataframe_mixed_nan_unseen():
    df = _frame(200)
    y = np.where(df["num"].fillna(0) + (df["str"] == "a") > 0.3, "yes", "no")
    clf = TabularMLPClassifier(**FAST).fit(df, y)
    assert list(clf.classes_) == ["no", "yes"]
    assert clf.n_features_in_ == 5
    assert list(clf.feature_names_in_) == list(df.columns)
    assert len(clf.estimators_) == 2
    test = _frame(20, seed=1)
    test.loc[0, "str"] = "never seen"
    test["cat"] = test["cat"].cat.add_categories(["brand-new"])
    test.loc[1, "cat"] = "brand-new"
    proba = clf.predict_proba(test)
    assert proba.shape == (20, 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert set(clf.predict(test)) <= {"no", "yes"}
    assert clf.score(df, y) > 0.7


def test_polars_frames_train_what_pandas_frames_train():
    """A polars DataFrame (categorical, string with nulls, boolean, float
    with nulls) is read as the same table in pandas: the same encoding and
    the same probabilities, feature names included."""
    pl = pytest.importorskip("polars")
    df = _frame(200)
    y = np.where(df["num"].fillna(0) + (df["str"] == "a") > 0.3, "yes", "no")
    frame = pl.from_pandas(df)
    assert frame.schema["cat"] == pl.Categorical and frame["str"].null_count() > 0
    on_pandas = TabularMLPClassifier(**FAST).fit(df, y)
    on_polars = TabularMLPClassifier(**FAST).fit(frame, y)
    assert list(on_polars.feature_names_in_) == list(df.columns)
    np.testing.assert_array_equal(
        on_pandas.preprocessor_.transform(df), on_polars.preprocessor_.transform(frame)
    )
    test = _frame(20, seed=1)
    np.testing.assert_array_equal(
        on_pandas.predict_proba(test), on_polars.predict_proba(pl.from_pandas(test))
    )
    with pytest.raises(ValueError, match="feature names"):
        on_polars.predict(frame.select(list(df.columns)[::-1]))
    inf = frame.with_columns(pl.col("num").fill_null(float("inf")))
    with pytest.raises(ValueError, match="column 'num' contains infinity"):
        TabularMLPRegressor(**FAST).fit(inf, np.arange(200.0))


def test_classifier_reproducible():
    df = _frame()
    y = (df["int"] > 2).astype(int)
    p1 = TabularMLPClassifier(**FAST).fit(df, y).predict_proba(df)
    p2 = TabularMLPClassifier(**FAST).fit(df, y).predict_proba(df)
    np.testing.assert_array_equal(p1, p2)


def test_regressor_dataframe_target_scaling():
    df = _frame(200)
    y = 1000.0 * df["int"].to_numpy() + 5000.0
    reg = TabularMLPRegressor(**FAST).fit(df, y)
    np.testing.assert_allclose(reg.y_mean_, y.mean())
    np.testing.assert_allclose(reg.y_scale_, y.std())
    # unscaled, a target near 5000 would leave this short fit far below 0
    # (R^2 of 0.75-0.8 over seeds 0-4 with it)
    assert reg.score(df, y) > 0.6
    assert reg.predict(df).shape == (200,)


def test_sample_weight_passes_through():
    df = _frame(150)
    y = (df["int"] > 2).astype(int).to_numpy()
    w = np.where(y == 1, 5.0, 1.0)
    a = TabularMLPClassifier(**FAST).fit(df, y).predict_proba(df)
    b = TabularMLPClassifier(**FAST).fit(df, y, sample_weight=w).predict_proba(df)
    assert not np.allclose(a, b)
    assert b[:, 1].mean() > a[:, 1].mean()
    yr = df["int"].to_numpy(dtype=float)
    reg = TabularMLPRegressor(**FAST).fit(df, yr, sample_weight=w)
    np.testing.assert_allclose(reg.y_mean_, np.average(yr, weights=w))


def test_clone_get_params_gridsearch():
    clf = TabularMLPClassifier(dropout=0.3, n_ensemble=2)
    params = clf.get_params()
    assert params["dropout"] == 0.3 and params["n_ensemble"] == 2
    c = clone(clf)
    assert c.get_params() == params and c is not clf
    df = _frame(90)
    y = (df["int"] > 2).astype(int)
    fast = dict(FAST, n_ensemble=1)
    gs = GridSearchCV(TabularMLPClassifier(**fast), {"max_onehot": [2, 16]}, cv=2).fit(
        df, y
    )
    assert gs.best_params_["max_onehot"] in (2, 16)


def test_numpy_input():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(100, 4))
    X[::5, 2] = np.nan
    y = X[:, 0] * 3
    reg = TabularMLPRegressor(**FAST).fit(X, y)
    assert not hasattr(reg, "feature_names_in_")
    assert reg.predict(X).shape == (100,)


@pytest.mark.parametrize("Est", [TabularMLPClassifier, TabularMLPRegressor])
@pytest.mark.parametrize("schedule", ["cosine", "coslog"])
def test_new_schedules_reach_the_networks(Est, schedule):
    df = _frame(80)
    y = (df["int"] > 2).astype(int) if Est is TabularMLPClassifier else df["int"]
    est = Est(**dict(FAST, n_ensemble=1, max_iter=8), learning_rate=schedule)
    est.fit(df, y)
    net = est.estimators_[0]
    assert net.learning_rate == schedule
    assert net.learning_rate_curve_[0] == est.learning_rate_init


def test_label_smoothing_is_the_classifiers_only():
    clf = TabularMLPClassifier(**dict(FAST, n_ensemble=1, max_iter=5))
    assert clf.get_params()["label_smoothing"] == 0.1
    assert "label_smoothing" not in TabularMLPRegressor().get_params()
    df = _frame(80)
    y = (df["int"] > 2).astype(int)
    soft = clone(clf).set_params(label_smoothing=0.2).fit(df, y)
    hard = clone(clf).set_params(label_smoothing=0.0).fit(df, y)
    assert soft.estimators_[0].label_smoothing == 0.2
    assert not np.allclose(soft.predict_proba(df), hard.predict_proba(df))


def test_no_convergence_warning_when_every_epoch_is_the_plan():
    """The recipe's patience covers all of max_iter: its networks run to the
    end by design and do not warn; without early stopping, running out of
    epochs warns as scikit-learn's MLP does."""
    import warnings

    from sklearn.exceptions import ConvergenceWarning

    df = _frame(120)
    y = (df["int"] > 2).astype(int)
    kw = dict(FAST, n_ensemble=1, max_iter=8, early_stopping=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        TabularMLPClassifier(**kw, n_iter_no_change=8).fit(df, y)
    kw.update(early_stopping=False)
    with pytest.warns(ConvergenceWarning, match="Maximum iterations"):
        TabularMLPClassifier(**kw, n_iter_no_change=8).fit(df, y)


def test_networks_train_in_float32_and_predict_in_float64():
    df = _frame(120)
    y = (df["int"] > 2).astype(int)
    clf = TabularMLPClassifier(**FAST).fit(df, y)
    net = clf.estimators_[0]
    assert net.precision == "float32" and net.coefs_[0].dtype == np.float64
    assert net.frequencies_.dtype == net.input_scale_.dtype == np.float64
    # the float32 weights, cast up exactly
    assert np.array_equal(net.coefs_[0].astype(np.float32), net.coefs_[0])
    # a row's probabilities do not depend on the rows predicted with it
    full = clf.predict_proba(df)
    np.testing.assert_allclose(clf.predict_proba(df.iloc[:7]), full[:7], rtol=1e-12)


def test_preprocessor_codes_for_many_levels():
    """high_cardinality='codes': the log-frequency column, then a code
    column: the level's index among the training levels, -1 for levels
    unseen in training."""
    df = _frame(200)
    pre = TabularPreprocessor(max_onehot=8, high_cardinality="codes").fit(df)
    Xt = pre.transform(df)
    # num + indicator, int, flag, str (4), cat: log-frequency and a code
    assert Xt.shape == (len(df), 2 + 1 + 1 + 4 + 2)
    np.testing.assert_array_equal(pre.code_columns_, [9])
    codes = Xt[:, 9]
    levels = df["cat"].astype(object).fillna("\x00missing").astype(str)
    # one code per level (missing included), 0 to levels - 1, all used
    assert pd.crosstab(levels, codes).gt(0).sum(axis=1).eq(1).all()
    np.testing.assert_array_equal(np.unique(codes), np.arange(levels.nunique()))
    unseen = df.iloc[:1].copy()
    unseen["cat"] = pd.Categorical(["new"])
    assert pre.transform(unseen)[0, 9] == -1
    # 'compact' (the default) has no code columns
    assert TabularPreprocessor(max_onehot=8).fit(df).code_columns_.size == 0


def test_embeddings_for_many_levels_reach_the_networks():
    """A 400-level column drives the target: with embedding_dim the
    networks learn a vector per level, predict unseen levels, and beat the
    compact code on it."""
    rng = np.random.RandomState(0)
    n, levels = 3000, 400
    effect = rng.randn(levels)
    code = rng.randint(0, levels, n)
    df = pd.DataFrame(
        {
            "x": rng.normal(size=n),
            "where": pd.Categorical([f"place{c}" for c in code]),
        }
    )
    y = effect[code] + 0.3 * df["x"].to_numpy() + 0.1 * rng.normal(size=n)
    tr, te = slice(0, 2400), slice(2400, None)
    kw = dict(FAST, batch_size=128)
    emb = TabularMLPRegressor(embedding_dim=4, **kw).fit(df[tr], y[tr])
    compact = TabularMLPRegressor(embedding_dim=None, **kw).fit(df[tr], y[tr])
    net = emb.estimators_[0]
    np.testing.assert_array_equal(
        net.embedding_columns_, emb.preprocessor_.code_columns_
    )
    assert net.embeddings_[0].shape[1] == 4
    assert net.embeddings_[0].dtype == np.float64  # predicts in float64
    assert emb.score(df[te], y[te]) > 0.8
    assert emb.score(df[te], y[te]) > compact.score(df[te], y[te]) + 0.2
    unseen = df.iloc[:3].copy()
    unseen["where"] = pd.Categorical(["nowhere", "place1", "elsewhere"])
    assert np.isfinite(emb.predict(unseen)).all()


def test_unpickled_model_from_before_the_embeddings():
    """A model pickled before embedding_dim and high_cardinality existed
    loads, predicts as before and refits with the compact code it had."""
    df = _frame(120)
    y = (df["int"] > 2).astype(int)
    clf = TabularMLPClassifier(**FAST, embedding_dim=None).fit(df, y)
    state = clf.__getstate__()
    del state["embedding_dim"]
    pre = state["preprocessor_"].__getstate__()
    del pre["high_cardinality"], pre["code_columns_"], pre["_kinds"]
    state["preprocessor_"] = TabularPreprocessor.__new__(TabularPreprocessor)
    state["preprocessor_"].__setstate__(pre)
    old = TabularMLPClassifier.__new__(TabularMLPClassifier)
    old.__setstate__(state)
    assert old.embedding_dim is None
    assert old.preprocessor_.high_cardinality == "compact"
    np.testing.assert_array_equal(old.predict_proba(df), clf.predict_proba(df))
    clone(old).fit(df, y)


def _id_table(n=600, seed=0):
    """An integer id column (30 ids) whose effect has no order, and noise."""
    rng = np.random.RandomState(seed)
    ids = rng.randint(0, 30, n)
    effect = np.random.RandomState(7).permutation(30) % 2
    X = np.c_[rng.normal(size=n), ids]
    return X, np.where(effect[ids] == 1, "odd", "even")


def test_categorical_features_turns_integer_ids_into_levels():
    X, y = _id_table()
    df = pd.DataFrame({"noise": X[:, 0], "shop": X[:, 1].astype(int)})
    kw = dict(FAST, max_iter=30)
    as_number = TabularMLPClassifier(**kw).fit(df[:450], y[:450])
    as_level = TabularMLPClassifier(categorical_features=["shop"], **kw)
    as_level.fit(df[:450], y[:450])
    assert as_level.preprocessor_.categorical_columns_ == [1]
    assert as_level.score(df[450:], y[450:]) > 0.95
    assert as_level.score(df[450:], y[450:]) > as_number.score(df[450:], y[450:]) + 0.2
    # by index, by mask, and on a numpy array: the same encoding
    want = TabularPreprocessor(categorical_features=["shop"]).fit_transform(df)
    for value, data in [([1], df), ([False, True], df), ([1], X)]:
        pre = TabularPreprocessor(categorical_features=value).fit(data)
        np.testing.assert_array_equal(pre.transform(data), want)


@pytest.mark.parametrize(
    "value, data, match",
    [
        (["shops"], "frame", r"names \['shops'\], which are not columns"),
        (["shop"], "array", "names columns, but X has no column names"),
        ([2], "frame", r"indices outside \[0, 2\)"),
        ([True], "frame", "boolean mask needs one value per column"),
        ([1, 1], "frame", "repeats a column"),
        ([[1]], "frame", "must be 'from_dtype'"),
        ([1.5], "frame", "must be 'from_dtype'"),
        ("all", "frame", "categorical_features"),
    ],
)
def test_bad_categorical_features_name_the_parameter(value, data, match):
    X, y = _id_table(60)
    if data == "frame":
        X = pd.DataFrame({"noise": X[:, 0], "shop": X[:, 1]})
    with pytest.raises(ValueError, match=match):
        TabularMLPClassifier(categorical_features=value, **FAST).fit(X, y)


def test_class_weight_reaches_the_networks():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(400, 2))
    y = np.where(X[:, 0] + 0.8 * rng.normal(size=400) > 1.6, "rare", "common")
    plain = TabularMLPClassifier(**FAST).fit(X, y)
    balanced = TabularMLPClassifier(class_weight="balanced", **FAST).fit(X, y)
    assert all(net.class_weight == "balanced" for net in balanced.estimators_)
    rare = y == "rare"
    assert 0.03 < rare.mean() < 0.15
    recall = [(m.predict(X)[rare] == "rare").mean() for m in (plain, balanced)]
    assert recall[1] > recall[0] + 0.2


@pytest.mark.parametrize(
    "bad",
    [dict(class_weight={"no such class": 1.0}), dict(categorical_features=["zz"])],
)
def test_a_failed_refit_leaves_the_fitted_model_as_it_was(bad):
    df = _frame(120)
    y = np.where(df["num"].fillna(0) > 0, "yes", "no")
    clf = TabularMLPClassifier(**FAST).fit(df, y)
    before = clf.predict_proba(df)
    good = {k: clf.get_params()[k] for k in bad}
    with pytest.raises(ValueError):
        clf.set_params(**bad).fit(df.assign(num=df["num"] * 100), y)
    np.testing.assert_array_equal(clf.set_params(**good).predict_proba(df), before)
    pre = clf.preprocessor_
    with pytest.raises(ValueError, match="categorical_features"):
        pre.set_params(categorical_features=["zz"]).fit(df[["num"]])
    assert pre.n_features_in_ == 5 and list(pre.feature_names_in_) == list(df.columns)


def test_named_integer_ids_keep_every_bit_and_polars_lists_are_levels():
    ids = np.array([2**53, 2**53 + 1, 5, 6] * 10, dtype=np.int64)
    frame = pd.DataFrame({"id": ids})
    pre = TabularPreprocessor(categorical_features=["id"]).fit(frame)
    assert pre.transform(frame).shape == (40, 4)  # four levels, none merged
    # a float copy of small ids reads as the same levels as the ints
    small = pd.DataFrame({"id": ids % 7})
    pre = TabularPreprocessor(categorical_features=["id"]).fit(small)
    np.testing.assert_array_equal(
        pre.transform(small), pre.transform(small.astype(float))
    )
    pl = pytest.importorskip("polars")
    lists = pl.DataFrame({"l": [[1, 2], [3, 4]] * 3})
    assert TabularPreprocessor().fit(lists).transform(lists).shape == (6, 2)


def _dated(n=300, seed=0):
    """A date, the same date in a time zone, a duration and a target that
    rises with the date."""
    rng = np.random.RandomState(seed)
    day = rng.randint(0, 700, n)
    when = pd.Timestamp("2024-01-01") + pd.to_timedelta(day, unit="D")
    df = pd.DataFrame(
        {
            "when": when,
            "zoned": when.tz_localize("Europe/Berlin"),
            "took": pd.to_timedelta(rng.randint(1, 30, n), unit="h"),
        }
    )
    df.loc[::13, "when"] = pd.NaT
    return df, day / 100.0 + 0.1 * rng.normal(size=n)


def test_dates_and_durations_are_numbers():
    """Dates, zoned dates and durations are read as numbers of days, so a
    model places dates it never saw between those it did; pandas and
    polars frames give the same numbers; named in categorical_features a
    date is a level."""
    df, y = _dated()
    pre = TabularPreprocessor().fit(df)
    assert pre.categorical_columns_ == [] and pre.numeric_columns_ == [0, 1, 2]
    median, scale, indicator = pre._num[0]
    assert median == (df["when"].median() - pd.Timestamp("1970-01-01")).days
    assert indicator  # NaT is a missing value
    assert pre._num[2][0] == df["took"].median() / pd.Timedelta(days=1)  # in days
    pl = pytest.importorskip("polars")
    np.testing.assert_array_equal(pre.transform(df), pre.transform(pl.from_pandas(df)))
    seen = df["when"].dt.day % 2 == 0
    reg = TabularMLPRegressor(**FAST).fit(df[seen], y[seen])
    unseen = ~seen & df["when"].notna()
    assert reg.score(df[unseen], y[unseen]) > 0.9
    levels = TabularPreprocessor(categorical_features=["when"]).fit(df)
    assert levels.categorical_columns_ == [0]


def test_unpickled_preprocessor_from_before_dates_were_numbers():
    """A preprocessor fitted when dates were levels (each date's text a
    category) reads them as levels, its encoding unchanged; refitted, it
    reads them as numbers."""
    df, _ = _dated(60)
    df = df[["when", "took"]].assign(x=np.arange(60.0))
    as_objects = df.astype({"when": object, "took": object})
    state = TabularPreprocessor().fit(as_objects).__getstate__()
    del state["_dates_as_days"]  # what a fit before this release pickled
    old = TabularPreprocessor.__new__(TabularPreprocessor)
    old.__setstate__(state)
    assert old.categorical_columns_ == [0, 1]
    np.testing.assert_array_equal(
        old.transform(df), TabularPreprocessor().fit(as_objects).transform(as_objects)
    )
    assert old.fit(df).categorical_columns_ == []


def test_multilabel_indicator_y_trains_one_output_per_label():
    """A 0/1 label matrix (dense or sparse) trains each network with one
    sigmoid per label; predictions come back in the same kind."""
    import scipy.sparse as sp

    df = _frame(300)
    Y = np.c_[df["num"].fillna(0) > 0, df["str"] == "a", df["int"] >= 2].astype(int)
    clf = TabularMLPClassifier(**FAST).fit(df, Y)
    assert clf.estimators_[0].out_activation_ == "logistic"
    assert clf.predict_proba(df).shape == (300, 3)
    pred = clf.predict(df)
    assert pred.shape == (300, 3) and set(np.unique(pred)) <= {0, 1}
    assert (pred == Y).mean(axis=0).min() > 0.9
    np.testing.assert_array_equal(clf.classes_, [0, 1, 2])
    on_sparse = TabularMLPClassifier(**FAST).fit(df, sp.csr_matrix(Y))
    assert sp.issparse(on_sparse.predict(df))
    np.testing.assert_array_equal(on_sparse.predict(df).toarray(), pred)
    with pytest.raises(ValueError, match="class_weight='balanced' is not supported"):
        TabularMLPClassifier(**FAST, class_weight="balanced").fit(df, Y)


def test_empty_frames_are_refused_as_scikit_learn_refuses_empty_arrays():
    df = _frame(20)
    empty = "Found array with 0 sample\\(s\\).* required by TabularMLPClassifier"
    with pytest.raises(ValueError, match=empty):
        TabularMLPClassifier(**FAST).fit(df.iloc[:0], np.zeros(0))
    with pytest.raises(ValueError, match="0 sample.* required by TabularMLPRegressor"):
        TabularMLPRegressor(**FAST).fit(np.zeros((0, 2)), np.zeros(0))
    with pytest.raises(ValueError, match="0 feature\\(s\\).* by TabularPreprocessor"):
        TabularPreprocessor().fit(df[[]])
    clf = TabularMLPClassifier(**FAST).fit(df, np.arange(20) % 2)
    with pytest.raises(ValueError, match=empty):
        clf.predict(df.iloc[:0])


def test_input_errors_and_warnings_name_the_estimator():
    """What scikit-learn's checks of X say names the estimator the user
    called, not the preprocessor inside it."""
    df = _frame(40)[["num", "int"]]
    y = np.arange(40) % 2
    clf = TabularMLPClassifier(**FAST).fit(df, y)
    with pytest.warns(UserWarning, match="but TabularMLPClassifier was fitted with"):
        clf.predict(df.to_numpy())
    with pytest.raises(ValueError, match="TabularMLPClassifier is expecting 2 "):
        clf.predict(np.zeros((3, 5)))
    reg = TabularMLPRegressor(**FAST).fit(df.to_numpy(), y.astype(float))
    with pytest.raises(ValueError, match="TabularMLPRegressor is expecting 2 features"):
        reg.predict(np.zeros((3, 5)))


def test_fit_transform_is_fit_then_transform():
    df = _frame(60)
    pre = TabularPreprocessor(max_onehot=10)
    Xt = pre.fit_transform(df)
    np.testing.assert_array_equal(Xt, pre.transform(df))
    again = TabularPreprocessor(max_onehot=10).fit(df)
    np.testing.assert_array_equal(Xt, again.transform(df))
    framed = pre.set_output(transform="pandas").fit_transform(df)
    assert list(framed.columns) == list(pre.get_feature_names_out())
    np.testing.assert_array_equal(framed.to_numpy(), Xt)


def test_feature_names_out_and_set_output():
    """Every output column is named (numbers, indicators, one-hot levels,
    frequency and code columns); set_output gives frames with those names,
    and a global transform_output leaves the estimators' networks reading
    arrays."""
    import sklearn

    df = _frame(100)
    pre = TabularPreprocessor(max_onehot=10, high_cardinality="codes").fit(df)
    names = pre.get_feature_names_out()
    assert len(names) == pre.n_features_out_
    assert list(names[:8]) == [
        "num", "missingindicator_num", "int", "flag",
        "str_nan", "str_a", "str_b", "str_c",
    ]  # fmt: skip
    assert list(names[8:]) == ["cat_frequency", "cat_code"]
    assert names[pre.code_columns_[0]] == "cat_code"
    compact = TabularPreprocessor(max_onehot=10).fit(df).get_feature_names_out()
    assert [n for n in compact if n.startswith("cat_")] == ["cat_frequency"] + [
        f"cat_bit{b}"
        for b in range(5)  # 30 levels and "unseen": 5 bits
    ]
    out = pre.set_output(transform="pandas").transform(df)
    assert list(out.columns) == list(names) and out.index.equals(df.index)
    np.testing.assert_array_equal(
        out.to_numpy(), pre.set_output(transform="default").transform(df)
    )
    on_array = TabularPreprocessor().fit(df[["num", "int"]].to_numpy())
    assert list(on_array.get_feature_names_out()) == ["x0", "missingindicator_x0", "x1"]
    assert list(on_array.get_feature_names_out(["a", "b"]))[1] == "missingindicator_a"
    with pytest.raises(ValueError, match="input_features should have length"):
        on_array.get_feature_names_out(["a"])
    with pytest.raises(ValueError, match="input_features is not equal"):
        pre.get_feature_names_out(["x"] + list(df.columns[1:]))
    y = (df["int"] > 2).astype(int)
    with sklearn.config_context(transform_output="pandas"):
        clf = TabularMLPClassifier(**FAST).fit(df, y)
        assert isinstance(clf.preprocessor_.transform(df), np.ndarray)
        inside = clf.predict_proba(df)
    assert not hasattr(clf.estimators_[0], "feature_names_in_")
    np.testing.assert_array_equal(inside, clf.predict_proba(df))


def test_feature_names_out_are_distinct():
    """A level "nan" beside missing values, and column "a" level "b_c"
    beside column "a_b" level "c", would repeat names; polars frames (which
    refuse repeated columns) come out of set_output all the same."""
    df = pd.DataFrame(
        {
            "c": pd.Series(["nan", None, "x", "y"] * 5, dtype=object),
            "a": ["b_c", "d"] * 10,
            "a_b": ["c", "e"] * 10,
        }
    )
    names = TabularPreprocessor().fit(df).get_feature_names_out()
    assert len(set(names)) == len(names)
    assert list(names[:2]) == ["c_nan", "c_nan_1"]
    assert "a_b_c" in names and "a_b_c_1" in names
    pytest.importorskip("polars")
    out = TabularPreprocessor().set_output(transform="polars").fit_transform(df)
    assert out.columns == list(names)


def test_preprocessor_pickles_under_the_public_name():
    """Fitted models name sknn.TabularPreprocessor; pickles written while it
    was sknn._tabular's still load."""
    import pickle

    df = _frame(60)
    clf = TabularMLPClassifier(**{**FAST, "max_iter": 2}).fit(df, df["int"] > 2)
    data = pickle.dumps(clf, protocol=2)
    assert b"csknn\nTabularPreprocessor\n" in data and b"sknn._" not in data
    old = data.replace(
        b"csknn\nTabularPreprocessor\n", b"csknn._tabular\nTabularPreprocessor\n"
    )
    np.testing.assert_array_equal(
        pickle.loads(old).predict_proba(df), clf.predict_proba(df)
    )


def test_pyarrow_backed_dates_read_as_numpy_dates():
    pa = pytest.importorskip("pyarrow")
    when = pd.Series(pd.to_datetime(["2020-01-01", None, "2020-01-03", "1969-12-31"]))
    took = pd.Series(pd.to_timedelta([1, None, 2.5, 3], unit="D"))
    numpy_frame = pd.DataFrame({"when": when, "took": took})
    arrow_frames = [
        pd.DataFrame(
            {
                "when": when.astype(pd.ArrowDtype(pa.timestamp("us", tz="UTC"))),
                "took": took.astype(pd.ArrowDtype(pa.duration("us"))),
            }
        ),
        pd.DataFrame({"when": when.dt.date.astype("date32[pyarrow]"), "took": took}),
    ]
    expected = TabularPreprocessor().fit(numpy_frame).transform(numpy_frame)
    for frame in arrow_frames:
        np.testing.assert_array_equal(
            TabularPreprocessor().fit(frame).transform(frame), expected
        )


def test_a_column_read_otherwise_than_in_fit_is_named():
    df, y = _dated(60)
    reg = TabularMLPRegressor(**{**FAST, "max_iter": 2}).fit(df, y)
    changed = df.assign(took=df["took"] / pd.Timedelta(hours=1))  # hours, as floats
    with pytest.raises(
        ValueError,
        match="Column 'took' of X was read as durations in fit and as numbers",
    ):
        reg.predict(changed)
    with pytest.raises(
        ValueError, match="Column 'when' .* as dates in fit and as categories"
    ):
        reg.predict(df.assign(when=df["when"].astype(str)))


def test_sparse_and_multioutput_targets():
    import scipy.sparse as sp

    df = _frame(120)
    Y = np.c_[df["int"], df["int"] * 2.0]
    kw = {**FAST, "max_iter": 3}
    dense = TabularMLPRegressor(**kw).fit(df, Y).predict(df)
    sparse = TabularMLPRegressor(**kw).fit(df, sp.csr_matrix(Y)).predict(df)
    np.testing.assert_array_equal(sparse, dense)
    mixed = np.c_[df["int"], df["int"] > 2]  # classes 0-4 and a flag
    with pytest.raises(ValueError, match="Multioutput target data is not supported"):
        TabularMLPClassifier(**kw).fit(df, mixed)


def test_columns_whose_dtype_says_less_are_read_as_in_fit():
    """A row taken out of a frame (every column object), a record with a
    missing number (object None), a batch whose category column is all
    missing (float NaN) and a polars Null column predict as the same rows
    with the fitted dtypes do."""
    pl = pytest.importorskip("polars")
    rng = np.random.RandomState(0)
    df = pd.DataFrame(
        {
            "income": rng.lognormal(10, 1, 200),
            "plan": rng.choice(["a", "b", "c"], 200),
            "when": pd.Timestamp("2024-01-01")
            + pd.to_timedelta(rng.randint(0, 99, 200), "D"),
            "took": pd.to_timedelta(rng.randint(1, 90, 200), "min"),
        }
    )
    clf = TabularMLPClassifier(**FAST).fit(df, rng.randint(0, 2, 200))
    for i in (0, 7):
        row = df.iloc[i].to_frame().T  # object columns
        assert set(row.dtypes.astype(str)) == {"object"}
        np.testing.assert_array_equal(
            clf.predict_proba(row), clf.predict_proba(df.iloc[[i]])
        )
    gaps = df.head(3).copy()
    gaps["income"], gaps["plan"] = np.nan, np.nan
    as_objects = gaps.astype(object).where(gaps.notna(), None)
    expected = clf.predict_proba(gaps)
    np.testing.assert_array_equal(clf.predict_proba(as_objects), expected)
    null = pl.from_pandas(df.head(3)).with_columns(
        pl.lit(None).alias("income"), pl.lit(None).alias("plan")
    )
    assert null.schema["income"] == pl.Null
    np.testing.assert_allclose(clf.predict_proba(null), expected, rtol=0, atol=1e-15)
    # values that cannot be the fitted type still get the error naming the column
    with pytest.raises(ValueError, match="Column 'income' of X was read as numbers"):
        clf.predict(df.head(2).assign(income=["high", "low"]))


def test_categorical_features_named_at_fit_hold_for_arrays_and_set_params():
    df = _frame(80)[["num", "int"]]
    y = (df["int"] > 2).to_numpy()
    clf = TabularMLPClassifier(**FAST, categorical_features=["int"]).fit(df, y)
    with pytest.warns(UserWarning, match="does not have valid feature names"):
        on_array = clf.predict_proba(df.to_numpy())
    np.testing.assert_array_equal(on_array, clf.predict_proba(df))
    # what the fitted model reads was decided at fit
    clf.set_params(categorical_features="from_dtype")
    np.testing.assert_array_equal(clf.predict_proba(df), on_array)


def test_small_tables_get_no_batch_size_warning():
    """The default batch of 128 is capped at the rows a network trains on
    (after the validation split): 140 rows warn nothing."""
    import warnings

    rng = np.random.RandomState(0)
    X = pd.DataFrame({"a": rng.normal(size=140), "b": rng.choice(["u", "v"], 140)})
    kw = dict(max_iter=3, n_iter_no_change=3, n_ensemble=1, random_state=0)
    for est, y in (
        (TabularMLPClassifier(**kw), rng.randint(0, 2, 140)),
        (TabularMLPRegressor(**kw), rng.normal(size=140)),
    ):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            est.fit(X, y)
        assert est.estimators_[0].batch_size == 140 - 21  # ceil(0.15 * 140) held out


def test_regressor_trains_on_all_rows_when_no_validation_set_fits():
    rng = np.random.RandomState(0)
    X = pd.DataFrame({"a": rng.normal(size=30)})
    kw = dict(n_ensemble=1, max_iter=3, validation_fraction=0.03, random_state=0)
    reg = TabularMLPRegressor(**kw).fit(X, rng.normal(size=30))
    assert not reg.estimators_[0].early_stopping


def test_label_frames_with_nullable_and_pyarrow_columns():
    rng = np.random.RandomState(0)
    X = pd.DataFrame({"a": rng.normal(size=100)})
    Y = pd.DataFrame({"p": rng.randint(0, 2, 100), "q": rng.randint(0, 2, 100)})
    ref = TabularMLPClassifier(**FAST).fit(X, Y.to_numpy())
    for frame in (Y.astype("Int64"), Y.astype("bool[pyarrow]")):
        clf = TabularMLPClassifier(**FAST).fit(X, frame)
        np.testing.assert_array_equal(clf.predict_proba(X), ref.predict_proba(X))


def test_pyarrow_decimals_are_numbers_as_in_polars():
    import decimal

    pa = pytest.importorskip("pyarrow")
    pl = pytest.importorskip("polars")
    rng = np.random.RandomState(0)
    amounts = [decimal.Decimal(f"{v:.2f}") for v in rng.uniform(0, 100, 300)]
    amounts[3] = None
    frame = pd.DataFrame(
        {"amount": pd.array(amounts, dtype=pd.ArrowDtype(pa.decimal128(6, 2)))}
    )
    pre = TabularPreprocessor().fit(frame)
    assert pre.get_feature_names_out().tolist() == ["amount", "missingindicator_amount"]
    polars = pl.DataFrame({"amount": amounts})
    np.testing.assert_array_equal(
        pre.transform(frame), TabularPreprocessor().fit(polars).transform(polars)
    )


def test_activation_is_validated_naming_the_estimator():
    from sklearn.utils._param_validation import InvalidParameterError

    with pytest.raises(InvalidParameterError, match="of TabularMLPClassifier"):
        TabularMLPClassifier(activation="relu6").fit(_frame(30), np.arange(30) % 2)
