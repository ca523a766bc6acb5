"""A fitted network as an ordinary ``torch.nn.Module`` (``to_torch``).

The module is built from copies of ``coefs_`` and ``intercepts_`` (training
it leaves the estimator unchanged) with torch's standard layers (and two
small modules of ours for the optional input layers), so it can
be fine-tuned, scripted, exported or served like any other torch model.
"""

import numpy as np
import torch
from torch import nn

from .layers import LEAKY_SLOPE, TWO_PI
from .layout import fitted_embedding_layout


def _activation_module(kind):
    """The torch layer computing the hidden activation ``kind``."""
    return {
        "identity": nn.Identity,
        "relu": nn.ReLU,
        "tanh": nn.Tanh,
        "logistic": nn.Sigmoid,
        "leaky_relu": lambda: nn.LeakyReLU(LEAKY_SLOPE),
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


class PeriodicFeatures(nn.Module):
    """``[x, cos(2 pi f x_c + p)]``: the input, then the cosines of periodic
    column j (the j-th of ``columns``) at ``d + j K + k``
    (``n_frequencies=K``), with the frequencies ``f`` and phases ``p`` of
    shape (len(columns), K) as parameters."""

    def __init__(self, frequencies, phases, columns):
        super().__init__()
        self.frequencies = nn.Parameter(frequencies)
        self.phases = nn.Parameter(phases)
        self.register_buffer("columns", columns)

    def forward(self, x):
        xc = x.index_select(1, self.columns)
        u = torch.addcmul(self.phases, xc.unsqueeze(2), self.frequencies, value=TWO_PI)
        return torch.cat([x, torch.cos(u).flatten(1)], dim=1)


class CategoryEmbedding(nn.Module):
    """``[x without the code columns, T[code] of each code column]``: the
    columns ``columns`` of ``x`` hold category codes, and each is replaced
    by its category's row of its table; the tables are the blocks of rows
    of ``weight`` that start at ``offsets`` (``embeddings_`` stacked).
    Code -1 (a category unknown to the table) gives a zero vector."""

    def __init__(self, weight, columns, kept, offsets):
        super().__init__()
        self.weight = nn.Parameter(weight)
        self.register_buffer("columns", columns)
        self.register_buffer("kept", kept)
        self.register_buffer("offsets", offsets)

    def forward(self, x):
        codes = x.index_select(1, self.columns).long()
        known = (codes >= 0).unsqueeze(2)
        emb = nn.functional.embedding(codes.clamp(min=0) + self.offsets, self.weight)
        emb = (emb * known).flatten(1)
        return torch.cat([x.index_select(1, self.kept), emb], dim=1)


class ColumnScale(nn.Module):
    """``x * scale``, one learned factor per column (``input_scale_``)."""

    def __init__(self, scale):
        super().__init__()
        self.scale = nn.Parameter(scale)

    def forward(self, x):
        return x * self.scale


_PROBA = {"softmax": lambda: nn.Softmax(dim=1), "sigmoid": nn.Sigmoid}
_PROBA["binary"] = BinaryProba


def build(coefs, intercepts, activation, proba, device, inputs=None):
    """``nn.Sequential`` of Linear layers (weights stored (out, in), the
    transpose of ``coefs_``) with the activation between them, and the
    output's probabilities when ``proba`` names them ('softmax', 'binary',
    'sigmoid'); in eval mode.  ``inputs`` (the fitted input layers'
    parameters by name) puts :class:`PeriodicFeatures`,
    :class:`CategoryEmbedding` and :class:`ColumnScale` in front."""
    dtype = torch.float32 if coefs[0].dtype == np.float32 else torch.float64

    def tensor(a):
        return torch.as_tensor(np.ascontiguousarray(a), dtype=dtype, device=device)

    inputs = inputs or {}
    layers = []
    if "frequencies" in inputs:
        layers.append(
            PeriodicFeatures(
                tensor(inputs["frequencies"]),
                tensor(inputs["phases"]),
                torch.as_tensor(inputs["columns"], dtype=torch.long, device=device),
            )
        )
    if "embeddings" in inputs:
        layers.append(_embedding(inputs, tensor, coefs[0].shape[0], device))
    if "scale" in inputs:
        layers.append(ColumnScale(tensor(inputs["scale"])))
    for i, (W, b) in enumerate(zip(coefs, intercepts)):
        linear = nn.Linear(W.shape[0], W.shape[1], dtype=dtype, device=device)
        with torch.no_grad():
            linear.weight.copy_(torch.as_tensor(np.ascontiguousarray(W.T)))
            linear.bias.copy_(torch.as_tensor(b))
        layers.append(linear)
        if i < len(coefs) - 1:
            layers.append(_activation_module(activation))
    if proba is not None:
        layers.append(_PROBA[proba]())
    return nn.Sequential(*layers).eval()


def _embedding(inputs, tensor, width, device):
    """:class:`CategoryEmbedding` of the fitted tables; ``width``: the
    inputs of the first dense layer, which the kept columns fill up."""
    codes, kept, offsets, table = fitted_embedding_layout(inputs, width)
    index = (torch.as_tensor(a, device=device) for a in (codes, kept, offsets))
    return CategoryEmbedding(tensor(table), *index)
