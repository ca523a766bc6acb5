"""Fingerprints of training: refactors must not change what a fit computes.

Each case fits a small network with one combination of options and records
what a user can observe: the weights, the loss and validation curves, the
counters, the predictions and the warnings raised.  The record of each case
was made on main before a refactor (``python tests/test_fingerprints.py
--record`` rewrites ``tests/fingerprints.json``); the test fits again and
compares.

Bit-identity holds only for the same arithmetic: on the machine, torch and
numpy that made the record, the digests must match exactly.  Elsewhere (a
different CPU picks different matrix-multiply kernels) the numbers are
compared to a relative tolerance instead, and the exact check is skipped
with the reason shown.  A change of behaviour that is meant (a new default)
re-records the file in its own commit, saying which cases moved and why.
"""

import hashlib
import json
import platform
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

from sknn import MLPClassifier, MLPRegressor, MultiLabelMLP

RECORD = Path(__file__).with_name("fingerprints.json")


def _data():
    rng = np.random.RandomState(0)
    X = rng.randn(90, 6)
    w = rng.randn(6, 3)
    y3 = np.argmax(X @ w + 0.5 * rng.randn(90, 3), axis=1)
    yr = X @ w[:, 0] + 0.1 * rng.randn(90)
    Y = (X @ w + 0.3 * rng.randn(90, 3) > 0).astype(int)
    sw = rng.uniform(0.2, 2.0, 90)
    return X, y3, yr, Y, sw


BASE = dict(hidden_layer_sizes=(7, 5), max_iter=4, random_state=3, device="cpu")


def _cases():
    c = {}
    for solver in ("sgd", "adam", "adamw", "rmsprop", "adagrad", "lbfgs"):
        c[f"clf-{solver}"] = ("clf", dict(solver=solver), {})
        c[f"reg-{solver}"] = ("reg", dict(solver=solver), {})
    for act in ("identity", "logistic", "tanh", "relu", "leaky_relu", "elu"):
        c[f"clf-act-{act}"] = ("clf", dict(activation=act), {})
    for act in ("gelu", "silu"):
        c[f"clf-act-{act}"] = ("clf", dict(activation=act, solver="sgd"), {})
        c[f"reg-act-{act}"] = ("reg", dict(activation=act), {})
    c["clf-sgd-plain"] = ("clf", dict(solver="sgd", momentum=0.0), {})
    c["clf-sgd-classic-momentum"] = (
        "clf",
        dict(solver="sgd", nesterovs_momentum=False),
        {},
    )
    c["clf-dropout"] = ("clf", dict(dropout=0.3), {})
    c["clf-dropout-per-layer"] = ("clf", dict(dropout=(0.2, 0.0), solver="sgd"), {})
    c["clf-sample-weight"] = ("clf", {}, dict(sample_weight=True))
    c["reg-sample-weight"] = ("reg", {}, dict(sample_weight=True))
    c["clf-lbfgs-sample-weight"] = (
        "clf",
        dict(solver="lbfgs"),
        dict(sample_weight=True),
    )
    c["clf-class-weight"] = ("clf", dict(class_weight="balanced"), {})
    c["clf-class-weight-dict"] = (
        "clf",
        dict(class_weight={0: 2.0, 1: 0.5}),
        dict(sample_weight=True),
    )
    c["clf-early"] = ("clf", dict(early_stopping=True, max_iter=8), {})
    c["reg-early"] = ("reg", dict(early_stopping=True, max_iter=8), {})
    c["clf-early-weighted"] = (
        "clf",
        dict(early_stopping=True, max_iter=6),
        dict(sample_weight=True),
    )
    c["clf-early-stops"] = (
        "clf",
        dict(early_stopping=True, max_iter=40, n_iter_no_change=2, tol=1e-2),
        {},
    )
    c["clf-plateau"] = (
        "clf",
        dict(max_iter=40, n_iter_no_change=2, tol=1e-2, learning_rate_init=0.01),
        {},
    )
    for sched in ("invscaling", "adaptive", "decay"):
        c[f"clf-sgd-{sched}"] = (
            "clf",
            dict(solver="sgd", learning_rate=sched, max_iter=12, n_iter_no_change=2),
            {},
        )
    c["clf-adam-decay"] = ("clf", dict(learning_rate="decay"), {})
    c["clf-lr-auto"] = ("clf", dict(learning_rate_init="auto"), {})
    c["reg-lr-auto-sgd"] = ("reg", dict(learning_rate_init="auto", solver="sgd"), {})
    c["clf-warm-start"] = ("clf", dict(warm_start=True), dict(refits=2))
    c["reg-warm-start-lbfgs"] = (
        "reg",
        dict(warm_start=True, solver="lbfgs"),
        dict(refits=2),
    )
    c["clf-partial-fit"] = ("clf", {}, dict(partial=3))
    c["reg-partial-fit-sgd"] = ("reg", dict(solver="sgd"), dict(partial=3))
    c["ml-partial-fit"] = ("ml", {}, dict(partial=3))
    c["clf-sparse"] = ("clf", {}, dict(sparse=True))
    c["reg-sparse-sgd"] = ("reg", dict(solver="sgd"), dict(sparse=True))
    c["clf-sparse-lbfgs"] = ("clf", dict(solver="lbfgs"), dict(sparse=True))
    c["clf-float32"] = ("clf", {}, dict(float32=True))
    c["reg-float32-sgd"] = ("reg", dict(solver="sgd"), dict(float32=True))
    c["clf-precision-float32"] = ("clf", dict(precision="float32"), {})
    c["clf-bfloat16"] = ("clf", dict(precision="bfloat16"), {})
    c["reg-bfloat16"] = ("reg", dict(precision="bfloat16"), {})
    c["clf-binary"] = ("bin", {}, {})
    c["clf-binary-lbfgs"] = ("bin", dict(solver="lbfgs"), {})
    c["clf-multilabel"] = ("clf-ml", {}, {})
    c["clf-multilabel-early"] = ("clf-ml", dict(early_stopping=True), {})
    c["ml"] = ("ml", {}, {})
    c["ml-pos-weight"] = ("ml", dict(pos_weight="balanced"), dict(sample_weight=True))
    c["ml-early-weighted"] = ("ml", dict(early_stopping=True), dict(sample_weight=True))
    c["ml-threshold"] = ("ml", dict(threshold=(0.3, 0.5, 0.7)), {})
    c["reg-multioutput"] = ("reg-mo", {}, {})
    c["clf-no-hidden"] = ("clf", dict(hidden_layer_sizes=()), {})
    c["clf-no-shuffle"] = ("clf", dict(shuffle=False), {})
    c["clf-batch-7"] = ("clf", dict(batch_size=7), {})
    c["clf-he"] = ("clf", dict(weight_init="he"), {})
    c["clf-sgd-glorot"] = ("clf", dict(weight_init="glorot", solver="sgd"), {})
    c["clf-diverge"] = (
        "clf",
        dict(solver="sgd", learning_rate_init=1e4, max_iter=6),
        {},
    )
    return c


CASES = _cases()


def _digest(arrays):
    h = hashlib.sha256()
    for a in arrays:
        a = np.ascontiguousarray(a)
        h.update(str(a.dtype).encode() + str(a.shape).encode())
        h.update(a.tobytes())
    return h.hexdigest()


def _floats(values):
    return None if values is None else [float(v) for v in values]


def _run(name):
    kind, params, how = CASES[name]
    X, y3, yr, Y, sw = _data()
    y = {
        "clf": y3,
        "bin": (y3 > 0).astype(int),
        "reg": yr,
        "reg-mo": np.c_[yr, -yr],
        "ml": Y,
        "clf-ml": Y,
    }[kind]
    cls = {"reg": MLPRegressor, "reg-mo": MLPRegressor, "ml": MultiLabelMLP}.get(
        kind, MLPClassifier
    )
    if how.get("float32"):
        X = X.astype(np.float32)
    if how.get("sparse"):
        X = np.where(np.abs(X) > 0.7, X, 0.0)
        X = sp.csr_matrix(X)
    fit_kw = {"sample_weight": sw} if how.get("sample_weight") else {}
    est = cls(**{**BASE, **params})
    caught = []
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        error = None
        try:
            if "partial" in how:
                classes = {"clf": np.unique(y3)}.get(kind)
                for k in range(how["partial"]):
                    part = slice(30 * k, 30 * (k + 1))
                    kw = {"classes": classes} if classes is not None else {}
                    if "sample_weight" in fit_kw:
                        kw["sample_weight"] = sw[part]
                    est.partial_fit(X[part], y[part], **kw)
            else:
                for _ in range(how.get("refits", 1)):
                    est.fit(X, y, **fit_kw)
        except Exception as exc:  # recorded: a refactor keeps errors too
            error = f"{type(exc).__name__}: {exc}"
        caught = sorted(f"{x.category.__name__}: {x.message}" for x in w)
    rec = {"error": error, "warnings": caught}
    if error is not None:
        return rec
    if isinstance(est, MLPRegressor):
        pred = [est.predict(X)]
    else:
        pred = [est.predict_proba(X), est.predict_log_proba(X), est.predict(X)]
    rec.update(
        weights=_digest(est.coefs_ + est.intercepts_),
        predictions=_digest(pred),
        weight_sums=[float(np.abs(a).sum()) for a in est.coefs_ + est.intercepts_],
        prediction_sum=float(np.abs(pred[0]).sum()),
        loss_curve=_floats(est.loss_curve_),
        loss=float(est.loss_),
        best_loss=None if est.best_loss_ is None else float(est.best_loss_),
        validation_scores=_floats(est.validation_scores_),
        best_validation_score=(
            None
            if est.best_validation_score_ is None
            else float(est.best_validation_score_)
        ),
        n_iter=int(est.n_iter_),
        t=int(est.t_),
        learning_rate_init=(
            None if est.learning_rate_init_ is None else float(est.learning_rate_init_)
        ),
    )
    return rec


def _machine():
    import torch

    cpu = platform.processor()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith(("model name", "flags")):
                    cpu += line
    except OSError:
        pass
    return {
        "python": sys.version.split()[0],
        "numpy": np.__version__,
        "torch": torch.__version__,
        "cpu": hashlib.sha256(cpu.encode()).hexdigest()[:16],
    }


def _load():
    if not RECORD.exists():
        pytest.fail(f"{RECORD} is missing: run python {__file__} --record")
    return json.loads(RECORD.read_text())


def _close(a, b, path=""):
    if isinstance(a, dict):
        assert a.keys() == b.keys(), path
        for k in a:
            _close(a[k], b[k], f"{path}.{k}")
    elif isinstance(a, list):
        assert len(a) == len(b), path
        for i, (x, z) in enumerate(zip(a, b)):
            _close(x, z, f"{path}[{i}]")
    elif isinstance(a, float) and isinstance(b, float):
        assert np.isclose(a, b, rtol=1e-4, atol=1e-7, equal_nan=True), (path, a, b)
    elif path.endswith((".weights", ".predictions")):
        pass  # digests: compared only where the arithmetic is the same
    else:
        assert a == b, (path, a, b)


@pytest.mark.parametrize("name", sorted(CASES))
def test_fingerprint(name):
    saved = _load()
    assert name in saved["cases"], f"no record for {name}: re-record"
    got = _run(name)
    want = saved["cases"][name]
    same_machine = saved["machine"] == _machine()
    if same_machine:
        assert got == want
    else:
        _close(got, want, name)
        pytest.skip(
            "recorded on another machine or torch/numpy; values agree to 1e-4, "
            "digests not compared"
        )


def test_every_case_recorded():
    assert sorted(_load()["cases"]) == sorted(CASES)


if __name__ == "__main__":
    if "--record" not in sys.argv:
        sys.exit(f"usage: python {sys.argv[0]} --record")
    import os

    os.environ.setdefault("OMP_NUM_THREADS", "1")  # as tests/conftest.py does
    record = {"machine": _machine(), "cases": {n: _run(n) for n in sorted(CASES)}}
    RECORD.write_text(json.dumps(record, indent=1, sort_keys=True) + "\n")
    print(f"recorded {len(CASES)} cases in {RECORD}")
