"""Devices: the CPU everywhere, CUDA where there is one (skipped otherwise,
with the reason shown by ``pytest -rs``), and an import that touches neither
torch nor CUDA."""

import os
import pickle
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose, assert_array_equal

from sknn import MLPClassifier, MLPRegressor, MultiLabelMLP

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

needs_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
FAST = dict(
    hidden_layer_sizes=(16,), max_iter=20, learning_rate_init=0.02, random_state=0
)


def _run_python(code, env_extra=None):
    env = dict(os.environ, **(env_extra or {}))
    out = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    return out.stdout.strip().splitlines()


# ---------------------------------------------------------------------------
# Import
# ---------------------------------------------------------------------------
def test_import_sknn_does_not_import_torch():
    lines = _run_python("""
        import sys
        import sknn
        est = sknn.MLPClassifier(hidden_layer_sizes=(4,), device="cuda")
        est.get_params()
        print("torch" in sys.modules)
    """)
    assert lines[-1] == "False"


def test_cpu_fit_does_not_initialise_cuda():
    lines = _run_python("""
        import numpy as np
        import sknn, torch
        X = np.random.RandomState(0).randn(40, 3)
        y = (X[:, 0] > 0).astype(int)
        clf = sknn.MLPClassifier(hidden_layer_sizes=(4,), max_iter=2,
                                 device="cpu").fit(X, y)
        clf.predict(X)
        print(torch.cuda.is_initialized())
        sknn.MLPRegressor(max_iter=2, device="auto").fit(X, X[:, 1]).predict(X)
        print(torch.cuda.is_initialized() and not torch.cuda.is_available())
    """)
    # a fit and predict with device='cpu' touched no CUDA, on any machine;
    # on a machine without CUDA 'auto' did not either (on a GPU machine it
    # initialises CUDA, as it should)
    assert lines[-2:] == ["False", "False"]


# ---------------------------------------------------------------------------
# The CPU
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("device", ["cpu", "auto"])
def test_cpu_and_auto(device, iris):
    X, y = iris
    clf = MLPClassifier(**FAST, device=device).fit(X, y)
    expected = "cpu" if device == "cpu" or not torch.cuda.is_available() else "cuda:0"
    assert clf.device_ == expected
    assert clf.score(X, y) > 0.8
    assert all(isinstance(c, np.ndarray) for c in clf.coefs_)


@pytest.mark.skipif(torch.cuda.is_available(), reason="tests a machine without CUDA")
@pytest.mark.parametrize("device", ["cuda", "cuda:0", "cuda:3"])
def test_cuda_requested_without_cuda(device, iris):
    with pytest.raises(ValueError, match=f"device='{device}'.*CUDA is not available"):
        MLPClassifier(**FAST, device=device).fit(*iris)


@pytest.mark.parametrize("device", ["gpu", "tpu", "cuda:x", ""])
def test_unknown_device_rejected(device, iris):
    with pytest.raises(ValueError, match=f"device={device!r}"):
        MLPClassifier(**FAST, device=device).fit(*iris)


def test_failed_device_check_keeps_fitted_model(iris):
    X, y = iris
    clf = MLPClassifier(**FAST, device="cpu").fit(X, y)
    before = clf.predict_proba(X)
    clf.set_params(device="nonsense")
    with pytest.raises(ValueError):
        clf.fit(X, y)
    assert_array_equal(clf.predict_proba(X), before)
    assert clf.device_ == "cpu"


def test_model_from_a_missing_cuda_device_predicts_on_cpu(iris):
    # what a CUDA-fitted model looks like on a machine without CUDA: the
    # weights are numpy, only device_ names the GPU
    X, y = iris
    clf = MLPClassifier(**FAST, device="cpu").fit(X, y)
    expected = clf.predict_proba(X)
    state = clf.__getstate__()
    state["device_"] = "cuda:7"
    twin = MLPClassifier.__new__(MLPClassifier)
    twin.__setstate__(state)
    if torch.cuda.device_count() > 7:
        pytest.skip("this machine has a cuda:7")
    if torch.cuda.is_available():
        pytest.skip("tests a machine without CUDA (see the CUDA test below)")
    assert_array_equal(twin.predict_proba(X), expected)


# ---------------------------------------------------------------------------
# CUDA
# ---------------------------------------------------------------------------
@needs_cuda
@pytest.mark.parametrize(
    "Est, data",
    [
        (MLPClassifier, "iris"),
        (MLPRegressor, "regression"),
        (MultiLabelMLP, "multilabel"),
    ],
)
def test_cuda_fit_matches_cpu(Est, data, request):
    X, y = request.getfixturevalue(data)
    gpu = Est(**FAST, device="cuda").fit(X, y)
    cpu = Est(**FAST, device="cpu").fit(X, y)
    assert gpu.device_ == "cuda:0"
    assert cpu.device_ == "cpu"
    assert all(isinstance(c, np.ndarray) for c in gpu.coefs_ + gpu.intercepts_)
    # float64 on both: the same arithmetic up to reduction order
    assert_allclose(gpu.predict(X), cpu.predict(X), rtol=1e-6, atol=1e-6)
    if hasattr(gpu, "predict_proba"):
        assert_allclose(gpu.predict_proba(X), cpu.predict_proba(X), atol=1e-6)


@needs_cuda
def test_cuda_explicit_index(iris):
    clf = MLPClassifier(**FAST, device="cuda:0").fit(*iris)
    assert clf.device_ == "cuda:0"
    with pytest.raises(ValueError, match="CUDA device"):
        MLPClassifier(**FAST, device=f"cuda:{torch.cuda.device_count()}").fit(*iris)


@needs_cuda
def test_cuda_float32_and_dropout_and_early_stopping(digits):
    X, y = digits
    clf = MLPClassifier(
        hidden_layer_sizes=(64,),
        dropout=0.2,
        early_stopping=True,
        max_iter=30,
        learning_rate_init=0.01,
        random_state=0,
        device="cuda",
    ).fit(X.astype(np.float32), y)
    assert clf.coefs_[0].dtype == np.float32
    assert clf.score(X.astype(np.float32), y) > 0.9
    # the same seed repeats on the GPU too for these sizes
    again = MLPClassifier(**clf.get_params()).fit(X.astype(np.float32), y)
    assert_allclose(again.coefs_[0], clf.coefs_[0], rtol=1e-4, atol=1e-5)


@needs_cuda
def test_cuda_model_pickles_to_a_machine_without_cuda(iris, tmp_path):
    X, y = iris
    clf = MLPClassifier(**FAST, device="cuda").fit(X, y)
    path = tmp_path / "gpu_model.pkl"
    path.write_bytes(pickle.dumps(clf))
    np.save(tmp_path / "X.npy", X)
    np.save(tmp_path / "expected.npy", clf.predict_proba(X))
    lines = _run_python(
        f"""
        import pickle, numpy as np, torch
        assert not torch.cuda.is_available()
        clf = pickle.loads(open({str(path)!r}, "rb").read())
        X = np.load({str(tmp_path / "X.npy")!r})
        expected = np.load({str(tmp_path / "expected.npy")!r})
        print(clf.device_)
        print(np.allclose(clf.predict_proba(X), expected, atol=1e-8))
    """,
        env_extra={"CUDA_VISIBLE_DEVICES": ""},
    )
    assert lines[-2:] == ["cuda:0", "True"]


@needs_cuda
def test_cuda_data_moves_once_per_fit_not_per_batch(digits, monkeypatch):
    X, y = digits  # 500 rows
    copies = []
    real_to = torch.Tensor.to

    def counting_to(self, *args, **kwargs):
        out = real_to(self, *args, **kwargs)
        if self.device.type == "cpu" and out.device.type == "cuda":
            copies.append(tuple(self.shape))
        return out

    monkeypatch.setattr(torch.Tensor, "to", counting_to)
    clf = MLPClassifier(
        hidden_layer_sizes=(16,),
        batch_size=10,
        max_iter=5,
        learning_rate_init=0.01,
        random_state=0,
        device="cuda",
    )
    clf.fit(X, y)
    n_batches = clf.n_iter_ * 50
    # X went over whole, and nothing is copied batch by batch
    assert (500, 64) in copies
    assert len(copies) < n_batches / 5, len(copies)
    assert not any(shape == (10, 64) for shape in copies)


@needs_cuda
def test_cuda_sparse_input_densified_per_batch(digits):
    import scipy.sparse as sp

    X, y = digits
    dense = MLPClassifier(**FAST, device="cuda").fit(X, y)
    sparse = MLPClassifier(**FAST, device="cuda").fit(sp.csr_matrix(X), y)
    assert_allclose(sparse.predict_proba(X), dense.predict_proba(X), atol=1e-8)


def test_engine_module_is_the_only_torch_importer():
    import pathlib

    import sknn
    from sknn import _engine

    pkg = pathlib.Path(sknn.__file__).parent
    importers = sorted(
        p.name
        for p in pkg.glob("*.py")
        if any(
            line.startswith(("import torch", "from torch"))
            for line in p.read_text().splitlines()
        )
    )
    # engine modules: _engine.py and the _engine_*.py beside it
    assert "_engine.py" in importers
    assert all(name.startswith("_engine") for name in importers), importers
    assert _engine.torch is torch
