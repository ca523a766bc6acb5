"""Persistence: pickle and joblib round trips, the sknn version check, and
no unsafe ``torch.load`` anywhere in the library.

A pickle can run arbitrary code when loaded: load only pickles from a source
you trust (the same holds for scikit-learn and torch models).
"""

import ast
import io
import pickle
import subprocess
import sys
import warnings
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from sklearn.base import clone

import sknn
from sknn import (
    InconsistentSknnVersionWarning,
    MLPClassifier,
    MLPRegressor,
    MultiLabelMLP,
)

ESTIMATORS = [MLPClassifier, MLPRegressor, MultiLabelMLP]
SKNN_DIR = Path(sknn.__file__).parent

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def _data(cls):
    rng = np.random.RandomState(0)
    X = rng.randn(50, 6)
    if cls is MLPClassifier:
        y = np.array(["cat", "dog", "emu"])[np.arange(50) % 3]
    elif cls is MLPRegressor:
        y = X @ rng.randn(6, 2)
    else:
        y = (rng.rand(50, 3) > 0.5).astype(int)
    return X, y


def _fitted(cls, **params):
    X, y = _data(cls)
    est = cls(
        hidden_layer_sizes=(5,), max_iter=5, device="cpu", random_state=0, **params
    )
    return est.fit(X, y), X, y


def _outputs(est, X):
    out = {"predict": est.predict(X)}
    for name in ("predict_proba", "predict_log_proba"):
        if hasattr(est, name):
            out[name] = getattr(est, name)(X)
    out["hidden"] = est.hidden_activations(X)[0]
    return out


def _assert_same_outputs(a, b, X):
    oa, ob = _outputs(a, X), _outputs(b, X)
    for name in oa:
        np.testing.assert_array_equal(oa[name], ob[name], err_msg=name)


def _joblib_round_trip(est, tmp_path):
    path = tmp_path / "model.joblib"
    joblib.dump(est, path)
    return joblib.load(path)


# ---------------------------------------------------------------------------
# Round trips
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("cls", ESTIMATORS)
@pytest.mark.parametrize("how", ["pickle", "joblib"])
@pytest.mark.parametrize(
    "predicted_first", [False, True], ids=["fresh", "after_predict"]
)
def test_round_trip_predicts_identically(cls, how, predicted_first, tmp_path):
    est, X, _ = _fitted(cls)
    if predicted_first:  # the internal prediction network exists by now
        _outputs(est, X)
    if how == "pickle":
        loaded = pickle.loads(pickle.dumps(est))
    else:
        loaded = _joblib_round_trip(est, tmp_path)
    assert type(loaded) is cls
    assert loaded.get_params() == est.get_params()
    _assert_same_outputs(loaded, est, X)
    _assert_same_outputs(loaded, est, sp.csr_matrix(X))
    assert "_sknn_version" not in loaded.__dict__
    assert set(loaded.__dict__) == set(est.__dict__)


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_round_trip_keeps_feature_names(cls):
    X, y = _data(cls)
    df = pd.DataFrame(X, columns=[f"col{i}" for i in range(X.shape[1])])
    est = cls(hidden_layer_sizes=(5,), max_iter=3, device="cpu", random_state=0).fit(
        df, y
    )
    loaded = pickle.loads(pickle.dumps(est))
    np.testing.assert_array_equal(loaded.feature_names_in_, df.columns)
    np.testing.assert_array_equal(loaded.predict(df), est.predict(df))
    with pytest.raises(ValueError, match="Feature names must be in the same order"):
        loaded.predict(df[df.columns[::-1]])


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_training_continues_identically_after_round_trip(cls):
    """The optimizer's state travels in the pickle: partial_fit on the copy
    follows the same trajectory as on the original."""
    X, y = _data(cls)
    est = cls(hidden_layer_sizes=(5,), device="cpu", random_state=0)
    kw = {"classes": np.unique(y)} if cls is MLPClassifier else {}
    est.partial_fit(X, y, **kw)
    est.partial_fit(X, y)
    copy = pickle.loads(pickle.dumps(est))
    for model in (est, copy):
        model.partial_fit(X, y)
        model.partial_fit(X, y)
    for a, b in zip(est.coefs_ + est.intercepts_, copy.coefs_ + copy.intercepts_):
        np.testing.assert_array_equal(a, b)
    assert est.loss_curve_ == copy.loss_curve_


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_pickle_holds_no_torch_objects(cls):
    """Fitted state is numpy only: a model trained anywhere unpickles without
    torch tensors (so without the device it was trained on)."""
    est, X, _ = _fitted(cls)
    _outputs(est, X)  # build the prediction cache first: it must stay out
    modules = set()

    class Recorder(pickle.Unpickler):
        def find_class(self, module, name):
            modules.add(module.split(".")[0])
            return super().find_class(module, name)

    Recorder(io.BytesIO(pickle.dumps(est))).load()
    assert "torch" not in modules
    assert "sknn" in modules


@pytest.mark.slow  # a fresh interpreter imports torch: ~3-12 s on 2 busy cores
def test_unpickling_does_not_import_torch():
    """Loading a model is cheap: torch is imported only at the first
    prediction."""
    est, X, _ = _fitted(MLPClassifier)
    code = (
        "import pickle, sys; "
        "est = pickle.loads(sys.stdin.buffer.read()); "
        "print('torch' in sys.modules); "
        "est.predict([[0.0] * 6]); "
        "print('torch' in sys.modules)"
    )
    out = (
        subprocess.run(
            [sys.executable, "-c", code],
            input=pickle.dumps(est),
            capture_output=True,
            check=True,
            timeout=120,
        )
        .stdout.decode()
        .split()
    )
    assert out == ["False", "True"]


# ---------------------------------------------------------------------------
# The recorded sknn version
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("cls", ESTIMATORS)
def test_getstate_records_sknn_version(cls):
    est, _, _ = _fitted(cls)
    state = est.__getstate__()
    assert state["_sknn_version"] == sknn.__version__
    assert "_sknn_version" not in est.__dict__  # recorded in the pickle only
    # unfitted estimators record it too
    assert cls().__getstate__()["_sknn_version"] == sknn.__version__


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_same_version_loads_silently(cls):
    est, X, _ = _fitted(cls)
    data = pickle.dumps(est)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pickle.loads(data)


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_other_version_in_state_warns(cls):
    est, X, _ = _fitted(cls)
    state = est.__getstate__()
    state["_sknn_version"] = "0.0.1"
    loaded = cls.__new__(cls)
    match = rf"from version 0\.0\.1 when using version {sknn.__version__}"
    with pytest.warns(InconsistentSknnVersionWarning, match=match):
        loaded.__setstate__(state)
    assert "_sknn_version" not in loaded.__dict__
    _assert_same_outputs(loaded, est, X)  # it warns, and still loads


@pytest.mark.parametrize("activation, expected", [("relu", "he"), ("tanh", "glorot")])
def test_pickle_from_before_weight_init_keeps_its_initialisation(activation, expected):
    # models pickled before the parameter existed were started from He's
    # weights for the ReLU family under every solver, Glorot's otherwise: the
    # loaded model gets the value that refits it the same way
    est, X, y = _fitted(MLPClassifier, activation=activation)
    state = est.__getstate__()
    del state["weight_init"]
    loaded = MLPClassifier.__new__(MLPClassifier)
    loaded.__setstate__(state)
    assert loaded.get_params()["weight_init"] == expected
    _assert_same_outputs(loaded, est, X)
    assert clone(loaded).fit(X, y).n_iter_ == est.n_iter_


def test_regressor_pickled_before_loss_existed_loads_as_squared_error():
    est, X, y = _fitted(MLPRegressor)
    state = est.__getstate__()
    del state["loss"]
    loaded = MLPRegressor.__new__(MLPRegressor)
    loaded.__setstate__(state)
    assert loaded.get_params()["loss"] == "squared_error"
    _assert_same_outputs(loaded, est, X)
    assert clone(loaded).fit(X, y).loss_ == pytest.approx(clone(est).fit(X, y).loss_)


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_pickle_from_other_version_warns(cls, monkeypatch, tmp_path):
    """A pickle written by another sknn version (simulated by changing the
    version while dumping) warns when loaded, through pickle and joblib."""
    est, X, _ = _fitted(cls)
    with monkeypatch.context() as mp:
        mp.setattr(sknn._base, "__version__", "9.9.9")
        data = pickle.dumps(est)
        path = tmp_path / "old.joblib"
        joblib.dump(est, path)
    assert b"9.9.9" in data
    with pytest.warns(InconsistentSknnVersionWarning, match="from version 9.9.9"):
        loaded = pickle.loads(data)
    _assert_same_outputs(loaded, est, X)
    with pytest.warns(InconsistentSknnVersionWarning, match="from version 9.9.9"):
        joblib.load(path)


def test_warning_is_public_and_a_user_warning():
    assert issubclass(InconsistentSknnVersionWarning, UserWarning)
    assert "InconsistentSknnVersionWarning" in sknn.__all__


# ---------------------------------------------------------------------------
# torch.load is never called without weights_only=True
# ---------------------------------------------------------------------------
def _unsafe_torch_loads(source, filename="<string>"):
    """Lines where ``source`` calls torch's ``load`` without
    ``weights_only=True`` (as ``torch.load``, through an alias of torch, or as
    a ``load`` imported from torch)."""
    tree = ast.parse(source, filename)
    torch_names, load_names = {"torch"}, set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "torch":
                    torch_names.add(alias.asname or "torch")
        elif isinstance(node, ast.ImportFrom) and node.module in (
            "torch",
            "torch.serialization",
        ):
            for alias in node.names:
                if alias.name == "load":
                    load_names.add(alias.asname or "load")
    bad = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        is_load = (
            isinstance(func, ast.Attribute)
            and func.attr == "load"
            and (
                (isinstance(func.value, ast.Name) and func.value.id in torch_names)
                or (
                    isinstance(func.value, ast.Attribute) and func.value.attr == "torch"
                )
            )
        ) or (isinstance(func, ast.Name) and func.id in load_names)
        if not is_load:
            continue
        safe = any(
            kw.arg == "weights_only"
            and isinstance(kw.value, ast.Constant)
            and kw.value.value is True
            for kw in node.keywords
        )
        if not safe:
            bad.append(node.lineno)
    return bad


@pytest.mark.parametrize(
    "source, n_bad",
    [
        ("import torch\ntorch.load('f')", 1),
        ("import torch\ntorch.load('f', weights_only=False)", 1),
        ("import torch\ntorch.load('f', map_location='cpu')", 1),
        ("import torch as T\nT.load(buf)", 1),
        ("from torch import load\nload('f')", 1),
        ("from torch import load as tl\ntl('f', weights_only=True)\ntl('g')", 1),
        ("from . import _engine\n_engine.torch.load('f')", 1),
        ("import torch\ntorch.load('f', weights_only=True)", 0),
        ("import pickle\npickle.load(f)\njson.load(f)", 0),
    ],
)
def test_scanner_finds_unsafe_torch_load(source, n_bad):
    """The scanner below is itself checked: it must flag each unsafe form."""
    assert len(_unsafe_torch_loads(source)) == n_bad


def test_library_never_calls_torch_load_unsafely():
    files = sorted(SKNN_DIR.rglob("*.py"))
    assert any(f.parent.name == "_engine" for f in files)
    bad = {
        str(f.relative_to(SKNN_DIR)): lines
        for f in files
        if (lines := _unsafe_torch_loads(f.read_text(), str(f)))
    }
    assert not bad, f"torch.load without weights_only=True at {bad}"


@pytest.mark.cuda
@pytest.mark.parametrize("cls", ESTIMATORS)
def test_cuda_fitted_model_round_trips(cls):
    """A model trained on a GPU pickles as numpy and predicts the same."""
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("needs a CUDA device")
    X, y = _data(cls)
    est = cls(hidden_layer_sizes=(5,), max_iter=5, device="cuda", random_state=0)
    est.fit(X, y)
    assert est.device_.startswith("cuda")
    data = pickle.dumps(est)
    loaded = pickle.loads(data)
    _assert_same_outputs(loaded, est, X)
    assert all(isinstance(c, np.ndarray) for c in loaded.coefs_)


# ---------------------------------------------------------------------------
# Public module path, old pickles, skops
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("cls", ESTIMATORS)
def test_pickle_names_the_public_module(cls):
    est, X, _ = _fitted(cls)
    assert cls.__module__ == "sknn"
    data = pickle.dumps(est, protocol=2)  # protocol 2 names classes as text
    assert f"csknn\n{cls.__name__}\n".encode() in data
    assert b"sknn._" not in data


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_pickle_naming_the_private_module_still_loads(cls):
    """Pickles written while the classes said sknn._classes.<Name>."""
    est, X, _ = _fitted(cls)
    data = pickle.dumps(est, protocol=2)
    old = data.replace(
        f"csknn\n{cls.__name__}\n".encode(),
        f"csknn._classes\n{cls.__name__}\n".encode(),
    )
    assert old != data and b"sknn._classes" in old
    loaded = pickle.loads(old)
    assert type(loaded) is cls
    _assert_same_outputs(est, loaded, X)


@pytest.mark.parametrize("cls", ESTIMATORS)
@pytest.mark.parametrize("solver", ["adam", "sgd", "lbfgs"])
def test_skops_untrusted_types_are_exactly_the_estimator(cls, solver):
    """The types a user must trust to load a fitted sknn estimator with
    skops.io: the estimator's class, and nothing else (its state is numpy
    arrays, lists and builtins, which skops trusts by default)."""
    sio = pytest.importorskip("skops.io")
    est, X, _ = _fitted(cls, solver=solver, early_stopping=solver != "lbfgs")
    data = sio.dumps(est)
    assert sio.get_untrusted_types(data=data) == [f"sknn.{cls.__name__}"]
    loaded = sio.loads(data, trusted=[f"sknn.{cls.__name__}"])
    _assert_same_outputs(est, loaded, X)
    with pytest.raises(Exception, match="[Uu]ntrusted"):
        sio.loads(data)


def test_skops_pipeline_round_trip():
    sio = pytest.importorskip("skops.io")
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = _data(MLPClassifier)
    pipe = make_pipeline(
        StandardScaler(), MLPClassifier((5,), max_iter=5, random_state=0)
    ).fit(X, y)
    data = sio.dumps(pipe)
    assert sio.get_untrusted_types(data=data) == ["sknn.MLPClassifier"]
    loaded = sio.loads(data, trusted=["sknn.MLPClassifier"])
    np.testing.assert_array_equal(loaded.predict_proba(X), pipe.predict_proba(X))


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_html_repr_links_to_the_api_page(cls):
    from sklearn.utils import estimator_html_repr

    est = cls()
    url = (
        "https://sknn-torch.readthedocs.io/en/latest/gen_modules/"
        f"sknn.{cls.__name__}.html"
    )
    assert est._get_doc_link() == url
    html = estimator_html_repr(est)
    assert f'href="{url}"' in html
    # the page exists under that name: docs/api.rst lists the class in an
    # autosummary that writes to gen_modules/
    api = (Path(__file__).parents[1] / "docs" / "api.rst").read_text()
    assert ":toctree: gen_modules/" in api
    assert f"\n   {cls.__name__}\n" in api


def test_doc_link_version():
    from sknn._links import _docs_version

    assert _docs_version("0.1.0.dev0") == "latest"
    assert _docs_version("0.2.0") == "stable"


def test_user_guide_skops_recipe_runs(tmp_path, monkeypatch):
    """The skops code block of docs/user_guide/persistence.rst runs and its
    assertions hold."""
    import re

    pytest.importorskip("skops.io")
    text = (Path(__file__).parents[1] / "docs/user_guide/persistence.rst").read_text()
    section = text[text.index("skops: no code runs at load") :]
    block = re.search(r"\.\. code-block:: python\n\n((?:    .*\n|\n)+)", section)
    code = "\n".join(line[4:] for line in block.group(1).splitlines())
    assert "get_untrusted_types" in code and "assert" in code
    monkeypatch.chdir(tmp_path)
    exec(compile(code, "persistence.rst", "exec"), {})
    assert (tmp_path / "mlp.skops").exists()
