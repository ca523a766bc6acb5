"""ONNX export: onnxruntime reproduces predict / predict_proba."""

import subprocess
import sys

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

from sknn import MLPClassifier, MLPRegressor, MultiLabelMLP, to_onnx  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

ACTIVATIONS = [
    "relu",
    "tanh",
    "logistic",
    "identity",
    "leaky_relu",
    "elu",
    "gelu",
    "silu",
]
N_FEATURES = 6


def _data(kind, seed=0, n=80):
    """Random X and a target of the given kind."""
    rng = np.random.RandomState(seed)
    X = rng.randn(n, N_FEATURES) * 2.0
    if kind == "binary-str":
        y = np.array(["no", "yes"])[(X[:, 0] + X[:, 1] > 0).astype(int)]
    elif kind == "multiclass-int":
        y = np.digitize(X[:, 0] - X[:, 2], [-1.0, 1.0]) + 3  # classes 3, 4, 5
    elif kind in ("multilabel-clf", "multilabel"):
        y = (X[:, :3] + 0.5 * rng.randn(n, 3) > 0).astype(int)
    elif kind == "regression-1d":
        y = 10.0 * X[:, 0] - X[:, 1] ** 2 + 5.0
    else:  # regression-2d
        y = np.column_stack([X[:, 0] * 3.0, X[:, 1] - X[:, 2]])
    return X, y


def _estimator(kind, activation, hidden=(9, 7)):
    kw = dict(
        hidden_layer_sizes=hidden,
        activation=activation,
        max_iter=3,
        learning_rate_init=0.01,
        random_state=0,
        device="cpu",
    )
    if kind.startswith("regression"):
        return MLPRegressor(**kw)
    if kind == "multilabel":
        return MultiLabelMLP(threshold=[0.3, 0.5, 0.7], **kw)
    return MLPClassifier(**kw)


def _session(model):
    return ort.InferenceSession(
        model.SerializeToString(), providers=["CPUExecutionProvider"]
    )


def _check_outputs(est, sess, X):
    names = [o.name for o in sess.get_outputs()]
    outputs = dict(zip(names, sess.run(None, {"X": X})))
    if isinstance(est, MLPRegressor):
        assert names == ["predictions"]
        want = est.predict(X)
        got = outputs["predictions"]
        assert got.shape == want.shape and got.dtype == want.dtype
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
        return
    assert names == ["label", "probabilities"]
    proba = est.predict_proba(X)
    assert outputs["probabilities"].dtype == np.float64
    assert outputs["probabilities"].shape == proba.shape
    np.testing.assert_allclose(outputs["probabilities"], proba, rtol=0, atol=1e-5)
    want = est.predict(X)
    got = outputs["label"]
    assert got.shape == want.shape
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize(
    "kind",
    [
        "binary-str",
        "multiclass-int",
        "multilabel-clf",
        "multilabel",
        "regression-1d",
        "regression-2d",
    ],
)
def test_onnxruntime_matches_sknn(kind, activation, dtype):
    X, y = _data(kind)
    X = X.astype(dtype)
    est = _estimator(kind, activation).fit(X, y)
    assert est.coefs_[0].dtype == dtype
    model = to_onnx(est)
    sess = _session(model)
    (inp,) = sess.get_inputs()
    assert inp.name == "X"
    assert inp.type == ("tensor(float)" if dtype == np.float32 else "tensor(double)")
    assert inp.shape[1] == N_FEATURES and not isinstance(inp.shape[0], int)
    # a dynamic batch: one row, then 37 new ones
    X_new, _ = _data(kind, seed=1, n=37)
    for rows in (X_new[:1], X_new):
        _check_outputs(est, sess, rows.astype(dtype))


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_float64_graph_has_no_x_times_sigmoid_x(activation):
    # onnxruntime up to 1.30 fuses Mul(x, Sigmoid(x)) into its QuickGelu op,
    # whose CPU kernel is float32 only, so a float64 model with that pattern
    # fails to load there (even where the installed onnxruntime runs it).
    X, y = _data("multiclass-int")
    est = _estimator("multiclass-int", activation).fit(X, y)
    nodes = to_onnx(est).graph.node
    sigmoid_of = {n.output[0]: n.input[0] for n in nodes if n.op_type == "Sigmoid"}
    for n in nodes:
        if n.op_type == "Mul":
            for i, name in enumerate(n.input):
                assert sigmoid_of.get(name) != n.input[1 - i], (activation, n)


def test_string_labels_are_a_string_tensor():
    X, y = _data("binary-str")
    est = _estimator("binary-str", "relu").fit(X, y)
    sess = _session(to_onnx(est))
    label = sess.get_outputs()[0]
    assert label.type == "tensor(string)"
    got = sess.run(["label"], {"X": X})[0]
    assert set(got) <= {"no", "yes"}
    np.testing.assert_array_equal(got, est.predict(X))


@pytest.mark.parametrize(
    "labels, onnx_type",
    [
        (np.array([False, True]), "tensor(bool)"),
        (np.array([-1.0, 1.0, 2.0]), "tensor(double)"),
        (np.array(["a", "bb", "ccc"], dtype=object), "tensor(string)"),
        (np.array([10, 20, 30], dtype=np.int32), "tensor(int64)"),
    ],
)
def test_label_types(labels, onnx_type):
    X, _ = _data("multiclass-int")
    y = labels[np.random.RandomState(0).randint(0, len(labels), len(X))]
    est = _estimator("multiclass-int", "tanh").fit(X, y)
    sess = _session(to_onnx(est))
    assert sess.get_outputs()[0].type == onnx_type
    np.testing.assert_array_equal(sess.run(["label"], {"X": X})[0], est.predict(X))


def test_multilabel_thresholds_are_baked_in():
    X, Y = _data("multilabel")
    est = _estimator("multilabel", "relu").fit(X, Y)
    before = _session(to_onnx(est)).run(["label"], {"X": X})[0]
    np.testing.assert_array_equal(before, est.predict(X))
    est.set_params(threshold=0.9)  # a later threshold needs a new export
    after = _session(to_onnx(est)).run(["label"], {"X": X})[0]
    np.testing.assert_array_equal(after, est.predict(X))
    assert after.sum() < before.sum()


def test_network_without_hidden_layer():
    X, y = _data("multiclass-int")
    est = _estimator("multiclass-int", "relu", hidden=()).fit(X, y)
    _check_outputs(est, _session(to_onnx(est)), X)


def test_opset_and_metadata():
    X, y = _data("regression-1d")
    est = _estimator("regression-1d", "gelu").fit(X, y)
    model = to_onnx(est)
    assert [(o.domain, o.version) for o in model.opset_import] == [("", 17)]
    assert model.producer_name == "sknn"
    newest = onnx.defs.onnx_opset_version()
    for opset in (13, newest):
        model = to_onnx(est, opset=opset)
        assert model.opset_import[0].version == opset
        onnx.checker.check_model(model)
    for bad in (12, newest + 1, 17.0, True, "17"):
        with pytest.raises(ValueError, match="opset must be an int"):
            to_onnx(est, opset=bad)


def test_writes_the_model_to_path(tmp_path):
    X, y = _data("multiclass-int")
    est = _estimator("multiclass-int", "silu").fit(X, y)
    path = tmp_path / "mlp.onnx"
    model = to_onnx(est, path)
    loaded = onnx.load(path)
    assert loaded.SerializeToString() == model.SerializeToString()
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    _check_outputs(est, sess, X)


def test_rejects_what_it_cannot_export():
    from sknn import TabularMLPRegressor

    with pytest.raises(NotFittedError):
        to_onnx(MLPClassifier())
    with pytest.raises(NotFittedError):
        to_onnx(TabularMLPRegressor())
    from sklearn.neural_network import MLPClassifier as SkMLP
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    with pytest.raises(TypeError, match="sknn MLPClassifier"):
        to_onnx(SkMLP())
    with pytest.raises(TypeError, match="Pipeline"):
        to_onnx(make_pipeline(StandardScaler(), MLPClassifier()))


def test_missing_onnx_names_the_dependency_group(monkeypatch):
    X, y = _data("multiclass-int")
    est = _estimator("multiclass-int", "relu").fit(X, y)
    monkeypatch.setitem(sys.modules, "onnx", None)  # import onnx now fails
    with pytest.raises(ImportError, match=r'pip install "sknn-torch\[onnx\]"'):
        to_onnx(est)


def test_import_sknn_does_not_import_onnx_or_torch():
    code = (
        "import sys, sknn; "
        "print(sorted(m for m in ('onnx', 'onnxruntime', 'torch') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("two_d", [False, True])
def test_poisson_regressor_exports_its_exp_output(dtype, two_d):
    # loss='poisson' predicts exp of the last layer: the graph ends with Exp
    rng = np.random.RandomState(0)
    X = rng.randn(60, N_FEATURES).astype(dtype)
    y = rng.poisson(np.exp(0.5 * X[:, 0]), (2, 60)).T if two_d else None
    y = rng.poisson(np.exp(0.5 * X[:, 0])) if y is None else y
    est = MLPRegressor(
        loss="poisson", hidden_layer_sizes=(5,), max_iter=5, random_state=0
    )
    est.set_params(device="cpu").fit(X, y)
    model = to_onnx(est)
    assert "Exp" in [node.op_type for node in model.graph.node]
    _check_outputs(est, _session(model), X)


# ---------------------------------------------------------------------------
# The tabular estimators: one input per column, the encoding in the graph
# ---------------------------------------------------------------------------
def _documented_recipe():
    """The code block of docs/user_guide/onnx.rst that feeds a DataFrame to
    an exported tabular estimator."""
    import re
    from pathlib import Path

    text = (Path(__file__).parents[1] / "docs/user_guide/onnx.rst").read_text()
    section = text[text.index("Tables: one input per column") :]
    block = re.search(r"\.\. code-block:: python\n\n((?:    .*\n|\n)+)", section)
    return "\n".join(line[4:] for line in block.group(1).splitlines())


def _column_feed(session, df):
    """The documented feed, run as the page shows it: each column as a
    (batch, 1) tensor, numbers as doubles (NaN where missing, dates as days
    since 1970-01-01), categories as their text ('' where missing)."""
    pd = pytest.importorskip("pandas")
    code = _documented_recipe()
    code = code[code.index("feed = {}") : code.index("label, proba = session.run")]
    namespace = {"np": np, "pd": pd, "session": session, "df": df}
    exec(compile(code, "onnx.rst", "exec"), namespace)
    return namespace["feed"]


def _table(n, seed):
    """Numbers with gaps, a flag, a date, strings and categories with gaps,
    a 40-level category, and integer shop ids (named categorical)."""
    pd = pytest.importorskip("pandas")
    rng = np.random.RandomState(seed)
    df = pd.DataFrame(
        {
            "num": rng.normal(size=n),
            "flag": rng.rand(n) > 0.5,
            "when": pd.Timestamp("2024-01-01")
            + pd.to_timedelta(rng.randint(0, 400, n), "D"),
            "str": rng.choice(["a", "b", "c"], size=n).astype(object),
            "cat": pd.Categorical(rng.choice(["x", "y"], size=n)),
            # the test rows hold levels the fit never saw
            "big": pd.Categorical(
                rng.choice([f"b{i}" for i in range(40 + 5 * seed)], n)
            ),
            "shop": rng.randint(0, 12, n),
            "zoned": pd.Timestamp("2024-03-30", tz="Europe/Berlin")
            + pd.to_timedelta(rng.randint(0, 48, n), "h"),
            "took": pd.to_timedelta(rng.randint(1, 90, n), "min"),
            "missing_1": rng.normal(size=n),  # named as the graph's nodes are
        }
    )
    df.loc[::7, "num"] = np.nan
    df.loc[::5, "str"] = None
    df.loc[::9, "cat"] = np.nan
    return df


TABULAR_KW = dict(
    hidden_layer_sizes=(16,), max_iter=4, random_state=0, categorical_features=["shop"]
)


@pytest.mark.parametrize(
    "encoding",
    [{}, {"max_onehot": 10}, {"max_onehot": 10, "embedding_dim": None}],
    ids=["one-hot", "embeddings", "compact"],
)
@pytest.mark.parametrize("labels", ["str", "int", "binary"])
def test_tabular_classifier_runs_from_the_columns(encoding, labels):
    from sknn import TabularMLPClassifier

    df, test = _table(300, 0), _table(40, 1)
    y = {
        "str": np.array(["lo", "mid", "hi"])[
            np.digitize(df["num"].fillna(0), [-0.5, 0.5])
        ],
        "int": df["shop"].to_numpy() % 3 + 10,
        "binary": (df["str"] == "a").to_numpy(),
    }[labels]
    clf = TabularMLPClassifier(**TABULAR_KW, **encoding).fit(df, y)
    session = ort.InferenceSession(to_onnx(clf).SerializeToString())
    assert [(i.name, i.type, i.shape[1]) for i in session.get_inputs()] == [
        (
            c,
            "tensor(string)"
            if c in ("str", "cat", "big", "shop")
            else "tensor(double)",
            1,
        )
        for c in df.columns
    ]
    label, proba = session.run(None, _column_feed(session, test))
    np.testing.assert_allclose(proba, clf.predict_proba(test), rtol=0, atol=1e-12)
    np.testing.assert_array_equal(label, clf.predict(test))


@pytest.mark.parametrize("two_d", [False, True])
def test_tabular_regressor_runs_from_the_columns(two_d):
    from sknn import TabularMLPRegressor

    df, test = _table(300, 0), _table(40, 1)
    y = 3.0 * df["num"].fillna(0).to_numpy() + df["shop"].to_numpy()
    y = np.c_[y, -y + 100.0] if two_d else y
    reg = TabularMLPRegressor(**TABULAR_KW, max_onehot=10).fit(df, y)
    session = ort.InferenceSession(to_onnx(reg).SerializeToString())
    (pred,) = session.run(None, _column_feed(session, test))
    assert pred.shape == reg.predict(test).shape
    np.testing.assert_allclose(pred, reg.predict(test), rtol=1e-12, atol=1e-12)


def test_documented_recipe_runs_as_written():
    """The page's whole block, float ids named in categorical_features
    included (fed as "3", not "3.0"), gives predict and predict_proba."""
    from sknn import TabularMLPClassifier

    df, test = _table(300, 0), _table(40, 1)
    for frame in (df, test):
        frame["shop_f"] = frame["shop"].astype(float)
        frame.loc[::4, "shop_f"] = np.nan
    kw = {**TABULAR_KW, "categorical_features": ["shop", "shop_f"]}
    clf = TabularMLPClassifier(**kw).fit(df, df["shop"].to_numpy() % 2)
    namespace = {"clf": clf, "df": test}
    exec(compile(_documented_recipe(), "onnx.rst", "exec"), namespace)
    np.testing.assert_allclose(
        namespace["proba"], clf.predict_proba(test), rtol=0, atol=1e-12
    )
    np.testing.assert_array_equal(namespace["label"], clf.predict(test))


def test_tabular_multilabel_and_numpy_tables_export():
    from sknn import TabularMLPClassifier

    df, test = _table(300, 0), _table(40, 1)
    Y = np.c_[df["num"].fillna(0) > 0, df["str"] == "a", df["flag"]].astype(int)
    clf = TabularMLPClassifier(**TABULAR_KW).fit(df, Y)
    session = ort.InferenceSession(to_onnx(clf).SerializeToString())
    label, proba = session.run(None, _column_feed(session, test))
    np.testing.assert_allclose(proba, clf.predict_proba(test), rtol=0, atol=1e-12)
    np.testing.assert_array_equal(label, clf.predict(test))
    # a numpy table: numeric columns x0, x1, ...
    X = df[["num", "missing_1"]].to_numpy()
    plain = TabularMLPClassifier(hidden_layer_sizes=(8,), max_iter=3).fit(X, Y[:, 0])
    session = ort.InferenceSession(to_onnx(plain).SerializeToString())
    assert [i.name for i in session.get_inputs()] == ["x0", "x1"]
    feed = {"x0": X[:, :1], "x1": X[:, 1:]}
    np.testing.assert_allclose(
        session.run(None, feed)[1], plain.predict_proba(X), rtol=0, atol=1e-12
    )


def test_tabular_export_refuses_an_empty_string_level():
    """'' marks a missing value in the graph's text inputs: a column that
    has '' as a level cannot be exported faithfully, and says so."""
    pd = pytest.importorskip("pandas")
    from sknn import TabularMLPClassifier

    rng = np.random.RandomState(0)
    df = pd.DataFrame({"code": rng.choice(["", "q", None, "r"], 120)})
    clf = TabularMLPClassifier(**TABULAR_KW | {"categorical_features": "from_dtype"})
    clf.fit(df, rng.randint(0, 2, 120))
    with pytest.raises(ValueError, match="Column 'code' has the empty string"):
        to_onnx(clf)
