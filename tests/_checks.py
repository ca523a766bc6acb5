"""Checks that several test modules share."""

import pickle

import numpy as np
import pytest


def cuda_available():
    """Whether torch is installed and sees a CUDA device."""
    try:
        import torch
    except ImportError:
        return False
    return torch.cuda.is_available()


def assert_exports_agree(est, X, n_hidden):
    """``to_torch``, ``to_onnx`` and a pickle round trip of the fitted ``est``
    predict as it does on X (float32), and ``hidden_activations`` gives one
    array per hidden layer."""
    from sknn import to_onnx

    torch = pytest.importorskip("torch")
    ort = pytest.importorskip("onnxruntime")
    proba = hasattr(est, "classes_")
    want = est.predict_proba(X) if proba else est.predict(X)
    module = est.to_torch(output="proba" if proba else "raw")
    with torch.no_grad():
        got = module(torch.as_tensor(X)).numpy()
    np.testing.assert_allclose(got.reshape(want.shape), want, rtol=1e-5, atol=1e-6)
    session = ort.InferenceSession(to_onnx(est).SerializeToString())
    got = session.run(None, {"X": X})[-1]
    np.testing.assert_allclose(got.reshape(want.shape), want, rtol=1e-4, atol=1e-5)
    again = pickle.loads(pickle.dumps(est))
    np.testing.assert_array_equal(again.predict(X), est.predict(X))
    assert [h.shape for h in est.hidden_activations(X)] == [(len(X), n_hidden)]


def fit_sparse_weighted(est, X, y):
    """Fit ``est`` on a sparse copy of X (its small values zeroed) with
    random sample weights, check that sparse and dense X predict alike, and
    return it."""
    import scipy.sparse as sp

    Xs = sp.csr_matrix(np.where(np.abs(X) > 0.5, X, 0.0))
    w = np.random.RandomState(0).uniform(0.5, 2, len(y))
    est.fit(Xs, y, sample_weight=w)
    np.testing.assert_allclose(
        est.predict_proba(Xs), est.predict_proba(Xs.toarray()), rtol=1e-12
    )
    return est


def assert_skl2onnx_agrees(pipe, X):
    """The fitted pipeline, converted whole by skl2onnx (sknn's converter
    registered), gives its predict_proba on X."""
    from skl2onnx import to_onnx as skl_to_onnx

    import sknn

    ort = pytest.importorskip("onnxruntime")
    sknn.register_skl2onnx()
    model = skl_to_onnx(pipe, X[:1], options={"zipmap": False})
    session = ort.InferenceSession(model.SerializeToString())
    proba = session.run(None, {session.get_inputs()[0].name: X})[1]
    np.testing.assert_allclose(proba, pipe.predict_proba(X), rtol=1e-4, atol=1e-5)
