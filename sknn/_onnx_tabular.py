"""ONNX graphs of the tabular estimators: the encoding, the networks, the mean.

The graph takes the table column by column, as it comes: one input per
column of the fitted table, named as the column (``x0``, ``x1``, ... for a
numpy array), of shape ``(batch, 1)``.  A numeric column is a double tensor
(NaN where missing; booleans 0 or 1; dates as days since 1970-01-01), a
categorical one a string tensor (each value's text, ``str(value)``; the
empty string where missing).  The nodes then do what
``TabularPreprocessor.transform`` does, in the same float64 arithmetic, feed
the encoded matrix to every network of the ensemble (written by
``sknn._onnx``) and average their outputs as ``predict_proba`` and
``predict`` do.  Category levels become ``LabelEncoder`` maps (the
``ai.onnx.ml`` domain) and every per-level quantity a lookup table.
"""

import numpy as np

from ._onnx import _emit_network, _GraphBuilder, _label_tensor
from ._tabular import _MISSING, _n_bits

# LabelEncoder with keys_strings, values_int64s and default_int64
ML_DOMAIN, ML_OPSET = "ai.onnx.ml", 2


class _Builder(_GraphBuilder):
    """A graph builder whose node names never take a column's name."""

    def __init__(self, onnx, reserved):
        super().__init__(onnx)
        self.reserved = set(reserved)

    def name(self, stem):
        while True:
            name = super().name(stem)
            if name not in self.reserved:
                return name


def _numeric(g, x, median, scale, indicator, clip):
    """Nodes for one numeric column: the median in the gaps, robust scaling,
    smooth clipping, and the missing indicator where the fit had gaps."""
    TP = g.onnx.TensorProto

    def const(v):
        return g.const(np.array(v, dtype=np.float64))

    missing = g.node("IsNaN", [x], "missing")
    filled = g.node("Where", [missing, const(median), x], "filled")
    z = g.node("Div", [g.node("Sub", [filled, const(median)]), const(scale)], "robust")
    if clip is not None:  # x / sqrt(1 + (x / c)^2)
        r = g.node("Div", [z, const(clip)])
        root = g.node("Sqrt", [g.node("Add", [const(1.0), g.node("Mul", [r, r])])])
        z = g.node("Div", [z, root], "clipped")
    if not indicator:
        return [z]
    return [z, g.node("Cast", [missing], "indicator", to=TP.DOUBLE)]


def _categorical(g, s, mapping, onehot, logf, codes):
    """Nodes for one categorical column: the level's index by a
    LabelEncoder (-1: a level the fit did not see), then its one-hot row,
    or its standardised log-frequency and its code (or the code's bits),
    from tables with one more row for unseen levels."""
    TP = g.onnx.TensorProto
    keys = [k for k in mapping if k != _MISSING]
    values = [mapping[k] for k in keys]
    if _MISSING in mapping:  # '' is no level (checked by the caller)
        keys.append("")  # the empty string stands for a missing value
        values.append(mapping[_MISSING])
    index = g.node(
        "LabelEncoder",
        [s],
        "level",
        domain=ML_DOMAIN,
        keys_strings=keys,
        values_int64s=values,
        default_int64=-1,
    )
    n = len(mapping)
    if onehot:
        hot = g.node("Equal", [index, g.const(np.arange(n, dtype=np.int64))], "onehot")
        return [g.node("Cast", [hot], "onehot_f", to=TP.DOUBLE)]
    known = g.node("GreaterOrEqual", [index, g.const(np.array(0, np.int64))], "known")
    # the same float64 operations as transform, done once per level
    unseen = logf.min() - 1.0
    freq = (np.r_[logf, unseen] - logf.mean()) / (logf.std() + 1.0)
    row = g.node("Where", [known, index, g.const(np.array(n, np.int64))], "freq_row")
    out = [g.node("Gather", [g.const(freq, "frequencies"), row], "frequency", axis=0)]
    if codes:
        out.append(g.node("Cast", [index], "code", to=TP.DOUBLE))
        return out
    n_bits = _n_bits(n)
    bits = ((np.arange(n + 1)[:, None] >> np.arange(n_bits)) & 1).astype(np.float64)
    one = g.const(np.array(1, np.int64))
    code = g.node(
        "Where",
        [known, g.node("Add", [index, one]), g.const(np.array(0, np.int64))],
        "compact_code",
    )  # 0: unseen
    picked = g.node("Gather", [g.const(bits, "bits"), code], "bits_3d", axis=0)
    shape = g.const(np.array([-1, n_bits], np.int64))
    out.append(g.node("Reshape", [picked, shape], "code_bits"))
    return out


def _encoding(g, pre):
    """The encoded matrix's node and the inputs, (name, ONNX type) each."""
    TP = g.onnx.TensorProto
    names = pre._input_names(None)
    inputs = [None] * len(names)
    parts = []
    for j, (median, scale, indicator) in zip(pre.numeric_columns_, pre._num):
        inputs[j] = (names[j], TP.DOUBLE)
        parts += _numeric(g, names[j], median, scale, indicator, pre.clip)
    codes = pre.high_cardinality == "codes"
    for j, (mapping, onehot, logf) in zip(pre.categorical_columns_, pre._cat):
        if "" in mapping:
            raise ValueError(
                f"Column {names[j]!r} has the empty string '' among its "
                "levels, and the exported graph reads '' as a missing value: "
                "the two cannot be told apart. Give that level another text "
                f"(df[{names[j]!r}].replace('', '<empty>'), say) and refit to "
                "export."
            )
        inputs[j] = (names[j], TP.STRING)
        parts += _categorical(g, names[j], mapping, onehot, logf, codes)
    if len(parts) == 1:
        return parts[0], inputs
    return g.node("Concat", parts, "encoded", axis=1), inputs


def _mean(g, values, stem):
    total = values[0] if len(values) == 1 else g.node("Sum", values)
    return g.node("Div", [total, g.const(np.array(len(values), np.float64))], stem)


def emit(onnx, est):
    """The nodes, initializers, inputs and outputs of ``est``'s graph."""
    TP = onnx.TensorProto
    names = est.preprocessor_._input_names(None)
    g = _Builder(onnx, names)
    x, inputs = _encoding(g, est.preprocessor_)
    double = np.dtype(np.float64)
    logits = [_emit_network(g, net, x, double) for net in est.estimators_]
    if not hasattr(est, "classes_"):  # the regressor: identity outputs
        mean = _mean(g, logits, "mean")
        scaled = g.node("Mul", [mean, g.const(np.asarray(est.y_scale_, np.float64))])
        shift = g.const(np.asarray(est.y_mean_, np.float64))
        if np.ndim(est.y_mean_) == 0:  # one target: 1-D, as predict
            out = g.node("Add", [scaled, shift])
            flat = g.const(np.array([-1], np.int64))
            g.node("Reshape", [out, flat], output="predictions")
            return g, inputs, [("predictions", TP.DOUBLE, ["batch"])]
        g.node("Add", [scaled, shift], output="predictions")
        width = len(est.y_mean_)
        return g, inputs, [("predictions", TP.DOUBLE, ["batch", width])]
    head = est.estimators_[0]._head()
    if est._multilabel():
        p = _mean(g, [g.node("Sigmoid", [z]) for z in logits], "probabilities_mean")
        g.node("Identity", [p], output="probabilities")
        above = g.node("Greater", [p, g.const(np.array(0.5))])
        g.node("Cast", [above], output="label", to=TP.INT64)
        n = len(est.classes_)
        return (
            g,
            inputs,
            [
                ("label", TP.INT64, ["batch", n]),
                ("probabilities", TP.DOUBLE, ["batch", n]),
            ],
        )
    if head.out_activation == "logistic":  # two classes, one logistic unit
        each = []
        for z in logits:
            p = g.node("Sigmoid", [z])
            q = g.node("Sub", [g.const(np.array(1.0)), p])
            each.append(g.node("Concat", [q, p], "proba", axis=1))
    else:
        each = [g.node("Softmax", [z], "proba", axis=1) for z in logits]
    proba = _mean(g, each, "probabilities_mean")
    g.node("Identity", [proba], output="probabilities")
    index = g.node("ArgMax", [proba], "index", axis=1, keepdims=0)
    label_type, classes = _label_tensor(onnx, est.classes_)
    values = (
        [c.encode() for c in classes] if label_type == TP.STRING else classes.tolist()
    )
    table = g.tensor("classes", label_type, [len(classes)], values)
    g.node("Gather", [table, index], output="label", axis=0)
    return (
        g,
        inputs,
        [
            ("label", label_type, ["batch"]),
            ("probabilities", TP.DOUBLE, ["batch", len(classes)]),
        ],
    )
