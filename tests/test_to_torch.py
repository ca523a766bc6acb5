"""``to_torch``: the fitted network as a torch module, checked against the
estimators' own predictions for every estimator and hidden activation."""

import numpy as np
import pytest
import torch

from sknn import MLPClassifier, MLPRegressor, MultiLabelMLP
from sknn._params import HIDDEN_ACTIVATIONS

pytestmark = pytest.mark.filterwarnings(
    "ignore::sklearn.exceptions.ConvergenceWarning"  # 20 epochs on purpose
)
TOL = {np.float32: 2e-6, np.float64: 1e-12}


def _data(kind, dtype=np.float64):
    rng = np.random.RandomState(0)
    X = rng.randn(80, 5).astype(dtype)
    if kind == "binary":
        y = np.array(["no", "yes"])[(X[:, 0] + X[:, 1] > 0).astype(int)]
    elif kind == "multiclass":
        y = np.digitize(X[:, 0], [-0.5, 0.5])
    elif kind == "regression":
        y = X @ rng.randn(5)
    elif kind == "regression2":
        y = X @ rng.randn(5, 2)
    else:  # multilabel
        y = (X[:, :3] > 0).astype(int)
    return X, y


def _fit(cls, kind, activation="tanh", dtype=np.float64, **kw):
    X, y = _data(kind, dtype)
    est = cls(
        hidden_layer_sizes=(7, 6),
        activation=activation,
        max_iter=20,
        random_state=0,
        device="cpu",
        **kw,
    )
    return est.fit(X, y), X


def _run(net, X):
    with torch.no_grad():
        return net(torch.as_tensor(X)).cpu().numpy()


CASES = [
    (MLPClassifier, "binary"),
    (MLPClassifier, "multiclass"),
    (MLPClassifier, "multilabel"),
    (MultiLabelMLP, "multilabel"),
]


@pytest.mark.parametrize("activation", HIDDEN_ACTIVATIONS)
@pytest.mark.parametrize("cls, kind", CASES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_classifier_proba_and_predict(cls, kind, activation, dtype):
    est, X = _fit(cls, kind, activation, dtype)
    proba = _run(est.to_torch(output="proba"), X)
    assert proba.dtype == dtype
    np.testing.assert_allclose(proba, est.predict_proba(X), rtol=0, atol=TOL[dtype])
    raw = _run(est.to_torch(), X)  # logits
    if cls is MultiLabelMLP:
        pred = (proba > est.threshold).astype(int)
    elif kind == "multilabel":
        pred = (raw > 0).astype(int)
    elif raw.shape[1] == 1:
        pred = est.classes_[(raw[:, 0] > 0).astype(int)]
    else:
        pred = est.classes_[raw.argmax(axis=1)]
    np.testing.assert_array_equal(pred, est.predict(X))


@pytest.mark.parametrize("activation", HIDDEN_ACTIVATIONS)
@pytest.mark.parametrize("kind", ["regression", "regression2"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_regressor_raw_is_predict(kind, activation, dtype):
    est, X = _fit(MLPRegressor, kind, activation, dtype)
    out = _run(est.to_torch(), X)
    assert out.dtype == dtype and out.ndim == 2
    expected = est.predict(X).reshape(len(X), -1)
    np.testing.assert_allclose(out, expected, rtol=TOL[dtype], atol=TOL[dtype])
    with pytest.raises(ValueError, match="classifiers"):
        est.to_torch(output="proba")


def test_module_structure_and_independence():
    est, X = _fit(MLPClassifier, "multiclass", "relu")
    net = est.to_torch()
    assert isinstance(net, torch.nn.Module) and not net.training
    linears = [m for m in net if isinstance(m, torch.nn.Linear)]
    assert [tuple(m.weight.shape) for m in linears] == [
        (W.shape[1], W.shape[0]) for W in est.coefs_
    ]
    before = [W.copy() for W in est.coefs_]
    # one step of fine-tuning in torch does not touch the estimator
    net.train()
    loss = torch.nn.functional.cross_entropy(
        net(torch.as_tensor(X)), torch.as_tensor(est.predict(X))
    )
    loss.backward()
    with torch.no_grad():
        for p in net.parameters():
            p -= 0.1 * p.grad
    assert all(np.array_equal(a, b) for a, b in zip(before, est.coefs_))
    assert not np.allclose(_run(net, X), _run(est.to_torch(), X))


def test_bad_arguments():
    est, _ = _fit(MLPClassifier, "binary")
    with pytest.raises(ValueError, match="output must be one of"):
        est.to_torch(output="labels")
    with pytest.raises(ValueError, match="device"):
        est.to_torch(device="tpu")
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        MLPClassifier().to_torch()


@pytest.mark.parametrize(
    "device",
    [
        "cpu",
        pytest.param(
            "cuda",
            marks=[
                pytest.mark.cuda,
                pytest.mark.skipif(
                    not torch.cuda.is_available(), reason="needs a CUDA device"
                ),
            ],
        ),
    ],
)
def test_device(device):
    est, X = _fit(MLPClassifier, "multiclass", dtype=np.float32)
    net = est.to_torch(output="proba", device=device)
    assert all(p.device.type == device for p in net.parameters())
    with torch.no_grad():
        proba = net(torch.as_tensor(X, device=device)).cpu().numpy()
    np.testing.assert_allclose(proba, est.predict_proba(X), atol=2e-6)


def test_user_guide_recipe_runs():
    """The code block of docs/user_guide/torch.rst runs and its assertion
    holds."""
    import re
    from pathlib import Path

    text = (Path(__file__).parents[1] / "docs/user_guide/torch.rst").read_text()
    block = re.search(r"\.\. code-block:: python\n\n((?:    .*\n|\n)+)", text)
    code = "\n".join(line[4:] for line in block.group(1).splitlines())
    assert "to_torch()" in code and "assert" in code
    exec(compile(code, "torch.rst", "exec"), {})
