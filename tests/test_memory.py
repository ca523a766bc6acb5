"""Prediction memory stays bounded: chunks, not all rows' activations at once.

The peak resident memory of a fresh Python process is measured around one
``predict_proba`` / ``predict`` call on 300,000 rows x 20 float32 features
through a (256,) network. tracemalloc does not see torch's allocations, so the
child process reads the kernel's own high-water mark (``VmHWM``), reset just
before the call through ``/proc/self/clear_refs`` (Linux).

The same measurement with chunking turned off shows the activations of all
rows at once (300,000 x 256 float32 = 307 MB, twice over with the activation
output); with chunking the growth stays near the output (n x k) plus one
chunk's activations, far below half of that.
"""

import copy
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

N_ROWS, N_FEATURES, HIDDEN = 300_000, 20, 256
ACTIVATIONS_BYTES = N_ROWS * HIDDEN * 4  # float32 activations of every row

CHILD = r"""
import ctypes, json, sys, warnings
import numpy as np

def status():
    out = {}
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(("VmHWM:", "VmRSS:")):
                key, value = line.split(":")
                out[key] = int(value.split()[0]) * 1024
    return out

def reset_peak():
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)  # hand freed memory back first
    except OSError:
        pass
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")

try:
    reset_peak()
except OSError as exc:
    print(json.dumps({"unsupported": str(exc)}))
    sys.exit(0)

import sknn._engine.facade
from sknn import MLPClassifier, MLPRegressor

n, p, hidden = (int(a) for a in sys.argv[1:4])
rng = np.random.default_rng(0)
X_small = rng.standard_normal((2000, p), dtype=np.float32)
X = rng.standard_normal((n, p), dtype=np.float32)
models = {
    "MLPClassifier": MLPClassifier(
        hidden_layer_sizes=(hidden,), max_iter=1, device="cpu", random_state=0
    ).fit(X_small, np.arange(2000) % 3),
    "MLPRegressor": MLPRegressor(
        hidden_layer_sizes=(hidden,), max_iter=1, device="cpu", random_state=0
    ).fit(X_small, X_small[:, 0]),
}
results = {}
for name, method, chunked in [
    ("MLPClassifier", "predict_proba", True),
    ("MLPClassifier", "predict", True),
    ("MLPRegressor", "predict", True),
    ("MLPClassifier", "predict_proba", False),  # the control: one chunk
]:
    if not chunked:
        sknn._engine.facade.PREDICT_ELEMENTS = 2**62
    est = models[name]
    getattr(est, method)(X_small)  # warm: kernels, prediction network
    reset_peak()
    before = status()
    out = getattr(est, method)(X)
    after = status()
    results[f"{name}.{method}.{'chunked' if chunked else 'unchunked'}"] = {
        "growth": after["VmHWM"] - before["VmRSS"],
        "out_bytes": int(out.nbytes),
        "shape": list(out.shape),
        "finite": bool(np.isfinite(out.astype(float)).all()),
    }
    del out
print(json.dumps(results))
"""


@pytest.fixture(scope="module")
def measurements():
    if not Path("/proc/self/clear_refs").exists():
        pytest.skip("needs Linux /proc/self/clear_refs to reset the peak RSS")
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, str(N_ROWS), str(N_FEATURES), str(HIDDEN)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    if "unsupported" in result:
        pytest.skip(f"cannot reset the peak RSS here: {result['unsupported']}")
    return result


@pytest.mark.slow
def test_unchunked_control_shows_all_activations(measurements):
    """The measurement sees activations: without chunks they all show."""
    m = measurements["MLPClassifier.predict_proba.unchunked"]
    assert m["growth"] > 0.8 * ACTIVATIONS_BYTES, m


@pytest.mark.slow
@pytest.mark.parametrize(
    "key, n_out",
    [
        ("MLPClassifier.predict_proba.chunked", 3),
        ("MLPClassifier.predict.chunked", 1),
        ("MLPRegressor.predict.chunked", 1),
    ],
)
def test_predict_memory_grows_with_output_not_activations(measurements, key, n_out):
    m = measurements[key]
    assert m["finite"]
    assert m["shape"][0] == N_ROWS
    assert m["growth"] < 0.5 * ACTIVATIONS_BYTES, m
    # what the growth may hold: the output, the float64 logits behind it,
    # a copy of the input, and one chunk's activations (a few tens of MB)
    bound = 2 * N_ROWS * n_out * 8 + N_ROWS * N_FEATURES * 4 + 64 * 2**20
    assert m["growth"] < bound, (m, bound)


@pytest.mark.cuda
def test_cuda_out_of_memory_falls_back_to_smaller_chunks(monkeypatch):
    """On CUDA, an out-of-memory error while predicting retries with halved
    chunks and warns; the answers are those of an unhindered prediction.
    The error is raised (as torch raises it) by the engine's chunked forward
    for chunks above 256 rows."""
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("needs a CUDA device")
    from sknn import MLPClassifier
    from sknn._engine import facade

    rng = np.random.RandomState(0)
    X = rng.randn(3000, N_FEATURES).astype(np.float32)
    est = MLPClassifier(
        hidden_layer_sizes=(64,), max_iter=2, device="cuda", random_state=0
    )
    est.fit(X, np.arange(3000) % 3)
    assert est.device_.startswith("cuda")
    expected = est.predict_proba(X)

    original = facade._predict_raw
    chunk_sizes = []

    def predict_raw(net, rows, chunk_size):
        chunk_sizes.append(chunk_size)
        if chunk_size > 256:
            raise torch.cuda.OutOfMemoryError("CUDA out of memory (simulated)")
        return original(net, rows, chunk_size)

    monkeypatch.setattr(facade, "_predict_raw", predict_raw)
    with pytest.warns(ResourceWarning, match="CUDA ran out of memory while predicting"):
        got = est.predict_proba(X)
    assert chunk_sizes[-1] <= 256 < chunk_sizes[0]
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


@pytest.mark.cuda
def test_cuda_predict_large_input_in_chunks():
    """A real large prediction on the GPU completes and matches the CPU."""
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("needs a CUDA device")
    from sknn import MLPClassifier

    rng = np.random.RandomState(0)
    X = rng.randn(200_000, N_FEATURES).astype(np.float32)
    est = MLPClassifier(
        hidden_layer_sizes=(HIDDEN,), max_iter=1, device="cuda", random_state=0
    ).fit(X[:2000], np.arange(2000) % 3)
    got = est.predict_proba(X)
    assert got.shape == (200_000, 3) and np.isfinite(got).all()
    on_cpu = copy.deepcopy(est)
    on_cpu.device_ = "cpu"  # the same weights, predicted on the CPU
    np.testing.assert_allclose(got, on_cpu.predict_proba(X), rtol=1e-4, atol=1e-6)
