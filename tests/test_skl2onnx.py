"""Whole pipelines with an sknn estimator converted by skl2onnx, run by
onnxruntime and compared with scikit-learn's predictions."""

import warnings

import numpy as np
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.datasets import make_classification, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from sknn import MLPClassifier, MLPRegressor, MultiLabelMLP, register_skl2onnx

skl2onnx = pytest.importorskip("skl2onnx")
ort = pytest.importorskip("onnxruntime")
pd = pytest.importorskip("pandas")

PROBA_ATOL = {np.float32: 1e-6, np.float64: 1e-12}
VALUE_RTOL = {np.float32: 1e-5, np.float64: 1e-12}


@pytest.fixture(scope="module", autouse=True)
def _registered():
    register_skl2onnx()


def _fit(model, X, y):
    with warnings.catch_warnings():
        # few epochs on purpose: the tests compare predictions, not accuracy
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit(X, y)


def _run(onx, feeds):
    sess = ort.InferenceSession(
        onx.SerializeToString(), providers=["CPUExecutionProvider"]
    )
    return sess.run(None, feeds)


def _net(cls, **kw):
    return cls(
        hidden_layer_sizes=(12, 7), activation="tanh", max_iter=30, random_state=0, **kw
    )


def _classification(n_classes, dtype):
    X, y = make_classification(
        200, 6, n_informative=4, n_classes=n_classes, random_state=0
    )
    return X.astype(dtype), y


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n_classes", [2, 4])
def test_scaler_classifier(dtype, n_classes):
    X, y = _classification(n_classes, dtype)
    labels = np.array(["ant", "bee", "cat", "dog"])[y]  # string labels
    pipe = _fit(make_pipeline(StandardScaler(), _net(MLPClassifier)), X, labels)
    onx = skl2onnx.to_onnx(pipe, X[:1], options={MLPClassifier: {"zipmap": False}})
    label, proba = _run(onx, {"X": X})
    np.testing.assert_array_equal(label, pipe.predict(X))
    assert proba.dtype == dtype
    np.testing.assert_allclose(
        proba, pipe.predict_proba(X), rtol=0, atol=PROBA_ATOL[dtype]
    )


def test_zipmap_default():
    X, y = _classification(3, np.float32)
    pipe = _fit(make_pipeline(StandardScaler(), _net(MLPClassifier)), X, y)
    label, proba = _run(skl2onnx.to_onnx(pipe, X[:1]), {"X": X[:5]})
    np.testing.assert_array_equal(label, pipe.predict(X[:5]))
    expected = pipe.predict_proba(X[:5])
    assert [sorted(d) for d in proba] == [[0, 1, 2]] * 5
    got = np.array([[d[c] for c in (0, 1, 2)] for d in proba])
    np.testing.assert_allclose(got, expected, atol=1e-6)


def test_zipmap_needs_float32():
    X, y = _classification(3, np.float64)
    pipe = _fit(make_pipeline(StandardScaler(), _net(MLPClassifier)), X, y)
    with pytest.raises(RuntimeError, match="ZipMap takes float32"):
        skl2onnx.to_onnx(pipe, X[:1])
    for zipmap in (True, "columns"):
        onx = skl2onnx.to_onnx(
            pipe, X[:1].astype(np.float32), options={MLPClassifier: {"zipmap": zipmap}}
        )
        out = _run(onx, {"X": X[:4].astype(np.float32)})
        np.testing.assert_array_equal(out[0], pipe.predict(X[:4].astype(np.float32)))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n_targets", [1, 3])
def test_scaler_regressor(dtype, n_targets):
    X, y = make_regression(200, 5, n_targets=n_targets, noise=1.0, random_state=0)
    X = X.astype(dtype)
    y = y / y.std()
    pipe = _fit(make_pipeline(StandardScaler(), _net(MLPRegressor)), X, y)
    (pred,) = _run(skl2onnx.to_onnx(pipe, X[:1]), {"X": X})
    assert pred.dtype == dtype and pred.shape == (len(X), n_targets)  # always 2-D
    expected = pipe.predict(X).reshape(len(X), -1)
    np.testing.assert_allclose(pred, expected, rtol=VALUE_RTOL[dtype], atol=1e-6)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_scaler_multilabel(dtype):
    X, _ = _classification(2, dtype)
    Y = np.stack([X[:, 0] > 0, X[:, 1] + X[:, 2] > 0, X[:, 3] < 0.5], 1).astype(int)
    pipe = _fit(
        make_pipeline(StandardScaler(), _net(MultiLabelMLP, threshold=0.4)), X, Y
    )
    label, proba = _run(skl2onnx.to_onnx(pipe, X[:1]), {"X": X})
    np.testing.assert_array_equal(label, pipe.predict(X))
    np.testing.assert_allclose(
        proba, pipe.predict_proba(X), rtol=0, atol=PROBA_ATOL[dtype]
    )


def test_multilabel_classifier_needs_zipmap_off():
    X, _ = _classification(2, np.float32)
    Y = np.stack([X[:, 0] > 0, X[:, 1] > 0], 1).astype(int)
    pipe = _fit(make_pipeline(StandardScaler(), _net(MLPClassifier)), X, Y)
    with pytest.raises(RuntimeError, match="zipmap"):
        skl2onnx.to_onnx(pipe, X[:1])
    onx = skl2onnx.to_onnx(pipe, X[:1], options={MLPClassifier: {"zipmap": False}})
    label, proba = _run(onx, {"X": X})
    np.testing.assert_array_equal(label, pipe.predict(X))
    np.testing.assert_allclose(proba, pipe.predict_proba(X), atol=1e-6)


def _frame(n=300, seed=0):
    rng = np.random.default_rng(seed)
    df = pd.DataFrame(
        {
            "age": rng.normal(40, 12, n).astype(np.float32),
            "income": rng.lognormal(3, 0.5, n).astype(np.float32),
            "city": rng.choice(["Oslo", "Lima", "Pune"], n),
        }
    )
    score = (df["age"] - 40) / 12 + (df["city"] == "Lima") - 0.5
    return df, score.to_numpy()


def _column_pipe(est):
    pre = ColumnTransformer(
        [
            ("num", StandardScaler(), ["age", "income"]),
            ("cat", OneHotEncoder(handle_unknown="ignore"), ["city"]),
        ],
        sparse_threshold=0,
    )
    return make_pipeline(pre, est)


def _feeds(df):
    return {
        "age": df[["age"]].to_numpy(),
        "income": df[["income"]].to_numpy(),
        "city": df[["city"]].to_numpy().astype(object),
    }


@pytest.mark.parametrize("kind", ["binary", "multiclass", "regressor", "multilabel"])
def test_column_transformer_dataframe(kind):
    df, score = _frame()
    if kind == "binary":
        y, est = (score > 0).astype(int), _net(MLPClassifier)
    elif kind == "multiclass":
        y, est = np.digitize(score, [-0.5, 0.5]), _net(MLPClassifier)
    elif kind == "regressor":
        y, est = score, _net(MLPRegressor)
    else:
        y = np.stack([score > 0, df["city"] == "Oslo"], 1).astype(int)
        est = _net(MultiLabelMLP)
    pipe = _fit(_column_pipe(est), df, y)
    options = {id(est): {"zipmap": False}} if type(est) is MLPClassifier else None
    onx = skl2onnx.to_onnx(pipe, df.iloc[:1], options=options)
    out = _run(onx, _feeds(df))
    if kind == "regressor":
        np.testing.assert_allclose(
            out[0].ravel(), pipe.predict(df), rtol=1e-5, atol=1e-6
        )
        return
    label, proba = out
    np.testing.assert_array_equal(label, pipe.predict(df))
    np.testing.assert_allclose(proba, pipe.predict_proba(df), rtol=0, atol=1e-6)


def test_float64_network_in_float32_pipeline():
    """A network trained in float64 inside a float32 graph: cast in front."""
    X, y = _classification(3, np.float64)
    pipe = _fit(make_pipeline(StandardScaler(), _net(MLPClassifier)), X, y)
    assert pipe[-1].coefs_[0].dtype == np.float64
    X32 = X.astype(np.float32)
    onx = skl2onnx.to_onnx(pipe, X32[:1], options={MLPClassifier: {"zipmap": False}})
    label, proba = _run(onx, {"X": X32})
    # the scaler runs in float32 in the graph: compare with the same input
    np.testing.assert_allclose(proba, pipe.predict_proba(X32), atol=1e-5)
    assert (label == pipe.predict(X32)).mean() > 0.99


def test_same_network_nodes_as_to_onnx():
    """The standalone export and the pipeline converter write one graph."""
    from sknn import to_onnx

    X, y = _classification(3, np.float32)
    clf = _fit(_net(MLPClassifier), X, y)

    def network(model):  # the op types up to the last Gemm, and the weights
        ops = [n.op_type for n in model.graph.node]
        ops = ops[: len(ops) - ops[::-1].index("Gemm")]
        weights = [i.raw_data for i in model.graph.initializer if "coef" in i.name]
        return ops, weights

    alone = network(to_onnx(clf))
    conv = skl2onnx.to_onnx(clf, X[:1], options={MLPClassifier: {"zipmap": False}})
    assert network(conv) == alone
    assert alone[0].count("Gemm") == 3 and len(alone[1]) == 3


def test_user_guide_recipe_runs():
    """The code block of docs/user_guide/onnx.rst's skl2onnx section runs and
    its assertions hold."""
    import re
    from pathlib import Path

    text = (Path(__file__).parents[1] / "docs/user_guide/onnx.rst").read_text()
    section = text[text.index("Whole pipelines with skl2onnx") :]
    block = re.search(r"\.\. code-block:: python\n\n((?:    .*\n|\n)+)", section)
    code = "\n".join(line[4:] for line in block.group(1).splitlines())
    assert "register_skl2onnx()" in code and "assert" in code
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        exec(compile(code, "onnx.rst", "exec"), {})
