"""A fitted sknn network as an ordinary ``torch.nn.Module`` (``to_torch``).

An engine module: it imports torch, and is imported by the estimators'
``to_torch`` method only.  The module is built from ``coefs_`` and
``intercepts_`` (copies: training it leaves the estimator unchanged) with
torch's standard layers, so it can be fine-tuned, scripted, exported or
served like any other torch model.
"""

import numpy as np
import torch
from torch import nn

from ._engine import _LEAKY_SLOPE, resolve_device

OUTPUTS = ("raw", "proba")


def _activation_module(kind):
    """The torch layer computing sknn's hidden activation ``kind``."""
    return {
        "identity": nn.Identity,
        "relu": nn.ReLU,
        "tanh": nn.Tanh,
        "logistic": nn.Sigmoid,
        "leaky_relu": lambda: nn.LeakyReLU(_LEAKY_SLOPE),
        "elu": lambda: nn.ELU(1.0),
        "gelu": nn.GELU,  # exact (erf), as the engine
        "silu": nn.SiLU,
    }[kind]()


class BinaryProba(nn.Module):
    """``[1 - sigmoid(z), sigmoid(z)]`` from one logistic output unit: the
    two columns of a binary classifier's ``predict_proba``."""

    def forward(self, z):
        p = torch.sigmoid(z)
        return torch.cat([1.0 - p, p], dim=1)


def _proba_module(estimator):
    from ._classes import MLPRegressor

    if isinstance(estimator, MLPRegressor):
        raise ValueError(
            "output='proba' is for classifiers; a regressor's output='raw' "
            "module already computes predict."
        )
    if estimator.out_activation_ == "softmax":
        return nn.Softmax(dim=1)
    if getattr(estimator, "_multilabel", True):  # MultiLabelMLP, multilabel y
        return nn.Sigmoid()
    return BinaryProba()


def to_torch(estimator, output="raw", device="cpu"):
    """The fitted network of ``estimator`` as a ``torch.nn.Sequential``."""
    from sklearn.utils.validation import check_is_fitted

    check_is_fitted(estimator, "coefs_")
    if output not in OUTPUTS:
        raise ValueError(f"output must be one of {OUTPUTS}; got {output!r}.")
    dtype = np.dtype(estimator.coefs_[0].dtype)
    tdtype = {np.float32: torch.float32, np.float64: torch.float64}[dtype.type]
    dev = resolve_device(device)
    layers = []
    n_layers = len(estimator.coefs_)
    for i, (W, b) in enumerate(zip(estimator.coefs_, estimator.intercepts_)):
        linear = nn.Linear(W.shape[0], W.shape[1], dtype=tdtype, device=dev)
        with torch.no_grad():  # torch stores (out, in): the transpose of coefs_
            linear.weight.copy_(torch.as_tensor(np.ascontiguousarray(W.T)))
            linear.bias.copy_(torch.as_tensor(b))
        layers.append(linear)
        if i < n_layers - 1:
            layers.append(_activation_module(estimator.activation))
    if output == "proba":
        layers.append(_proba_module(estimator))
    return nn.Sequential(*layers).eval()
