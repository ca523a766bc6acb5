"""One measurement: one implementation on one configuration, in this process.

Run by ``bench_mlp.py`` as a fresh subprocess (never imported by it):

    python benchmarks/_worker.py IMPL CONFIG EPOCHS [DEVICE [THREADS]]

With THREADS '1' (the default) it pins torch to one thread (this process
only); with 'default' it leaves every library's threads as a user gets them.
It builds the data, runs a warm-up fit, then the timed fit, then times
``predict``/``predict_proba`` on the training rows, and prints one JSON
line prefixed with ``RESULT``.
"""

import gc
import hashlib
import importlib.util
import json
import re
import resource
import sys
import time
from pathlib import Path

import numpy as np
from _data import CONFIGS, WARMUP_ROWS, load
from _impls import available

_STATUS = "/proc/self/status"


def _status_kib(field):
    """A ``/proc/self/status`` field in KiB (Linux), or None."""
    try:
        with open(_STATUS) as f:
            m = re.search(rf"^{field}:\s+(\d+) kB", f.read(), re.MULTILINE)
    except OSError:
        return None
    return int(m.group(1)) if m else None


def _reset_peak_rss():
    """Reset the kernel's peak-RSS mark (VmHWM) to the current RSS, so that
    the peak read after the fit is the peak during the fit.  Linux >= 4.0;
    returns False where that is not possible."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def _mib(kib):
    return None if kib is None else kib / 1024.0


def sknn_fingerprint(folder=None):
    """Short hash of the sknn sources in ``folder`` (default: those this
    process imports), so that a report can tell which code it measured."""
    if folder is None:
        spec = importlib.util.find_spec("sknn")
        if spec is None or not spec.submodule_search_locations:
            return None
        folder = spec.submodule_search_locations[0]
    h = hashlib.sha1()
    for path in sorted(Path(folder).glob("*.py")):
        h.update(path.name.encode() + path.read_bytes())
    return h.hexdigest()[:10]


def _score(task, y, out):
    if task == "classification":
        return float(np.mean(np.argmax(out, axis=1) == y))
    out = np.asarray(out, dtype=np.float64).reshape(-1)
    y = y.astype(np.float64)
    return float(1.0 - np.sum((y - out) ** 2) / np.sum((y - y.mean()) ** 2))


def measure(impl_name, config_name, epochs, device="cpu", predict_reps=3, threads="1"):
    config = CONFIGS[config_name]
    impl = available(device)[impl_name]()
    if impl.uses_torch:
        import torch

        if threads == "1":
            # Only in this benchmark process; the library never does this.
            torch.set_num_threads(1)
            torch.set_num_interop_threads(1)
        cuda = torch.device(impl.device).type == "cuda"
    else:
        cuda = False
    X, y = load(config)
    m = min(WARMUP_ROWS, X.shape[0])

    t = time.perf_counter()
    impl.fit(X[:m], y[:m], config, 1)
    impl.predict(X[:m])
    warmup_s = time.perf_counter() - t

    gc.collect()
    rss_before = _status_kib("VmRSS")
    peak_exact = _reset_peak_rss()
    if cuda:
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
    t, c = time.perf_counter(), time.process_time()
    impl.fit(X, y, config, epochs)
    fit_s, fit_cpu_s = time.perf_counter() - t, time.process_time() - c
    peak = _status_kib("VmHWM") if peak_exact else None
    if peak is None:  # lifetime peak instead (includes the data set-up)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    gpu_peak = torch.cuda.max_memory_allocated() / 2**20 if cuda else None

    times, cpu_times = [], []
    for _ in range(predict_reps):
        t, c = time.perf_counter(), time.process_time()
        out = impl.predict(X)
        times.append(time.perf_counter() - t)
        cpu_times.append(time.process_time() - c)
    return {
        "impl": impl_name,
        "config": config_name,
        "device": impl.device,
        "epochs": epochs,
        "epochs_run": int(impl.epochs_run()),
        "n_samples": int(X.shape[0]),
        "warmup_s": warmup_s,
        "fit_s": fit_s,
        "epoch_s": fit_s / epochs,
        "fit_cpu_s": fit_cpu_s,
        "epoch_cpu_s": fit_cpu_s / epochs,
        "predict_s": float(np.median(times)),
        "predict_cpu_s": float(np.median(cpu_times)),
        "train_score": _score(config.task, y, out),
        "rss_before_mib": _mib(rss_before),
        "peak_rss_mib": _mib(peak),
        "peak_rss_exact": peak_exact,
        "gpu_peak_mib": gpu_peak,
        "sknn_sources": sknn_fingerprint() if impl.name.startswith("sknn") else None,
        "threads": threads,
    }


if __name__ == "__main__":
    impl_name, config_name, epochs = sys.argv[1], sys.argv[2], int(sys.argv[3])
    device = sys.argv[4] if len(sys.argv) > 4 else "cpu"
    threads = sys.argv[5] if len(sys.argv) > 5 else "1"
    res = measure(impl_name, config_name, epochs, device, threads=threads)
    print("RESULT " + json.dumps(res))
