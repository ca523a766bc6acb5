"""Export a fitted sknn estimator to ONNX.

The graph is written with ``onnx.helper`` straight from ``coefs_`` and
``intercepts_`` (numpy arrays), so exporting needs neither torch nor a
tracing pass.  ``onnx`` is imported when :func:`to_onnx` is called, never at
``import sknn``.
"""

import math
import numbers
import os

import numpy as np
from sklearn.utils.validation import check_is_fitted

from ._engine.layout import fitted_embedding_layout

_INSTALL_HINT = 'pip install "sknn-torch[onnx]"'
# Every operator the graphs use exists, with the semantics relied on here
# (Softmax over one axis, Squeeze-free reshapes), from opset 13 on.
_MIN_OPSET = 13
# The default: old enough for every onnxruntime release sknn supports
# (>= 1.18) and for most other runtimes, new enough for all the ops above.
_DEFAULT_OPSET = 17


def _import_onnx():
    try:
        import onnx
    except ImportError as exc:  # pragma: no cover - exercised without onnx
        raise ImportError(
            "Exporting to ONNX needs the 'onnx' package, from sknn's optional "
            f"'onnx' dependency group: {_INSTALL_HINT}"
        ) from exc
    return onnx


class _Emitter:
    """Where the nodes of an sknn network go: a standalone graph
    (:class:`_GraphBuilder`) or an skl2onnx container (``sknn._skl2onnx``).
    Both offer the same four calls, so :func:`_emit_estimator` writes the
    network once for both."""

    def __init__(self, onnx):
        self.onnx = onnx

    def const(self, array, stem="const"):
        """A numeric initializer holding ``array``; returns its name."""
        name = self.name(stem)
        self._initializer(self.onnx.numpy_helper.from_array(np.asarray(array), name))
        return name

    def tensor(self, stem, data_type, dims, values):
        """An initializer from a flat list of values (string tensors)."""
        name = self.name(stem)
        self._initializer(
            self.onnx.helper.make_tensor(name, data_type, dims, values), values
        )
        return name

    def node(self, op, inputs, stem=None, output=None, **attrs):
        output = output or self.name(stem or op.lower())
        self._node(op, list(inputs), output, attrs)
        return output


class _GraphBuilder(_Emitter):
    """Collects nodes and initializers with unique names (standalone model)."""

    def __init__(self, onnx):
        super().__init__(onnx)
        self.nodes = []
        self.initializers = []
        self._count = 0

    def name(self, stem):
        self._count += 1
        return f"{stem}_{self._count}"

    def _initializer(self, tensor, values=None):
        self.initializers.append(tensor)

    def _node(self, op, inputs, output, attrs):
        self.nodes.append(self.onnx.helper.make_node(op, inputs, [output], **attrs))


def _activation(g, kind, x, dtype):
    """Nodes computing the hidden activation ``kind`` of ``x``, as sknn's engine
    does.  onnxruntime has no float64 kernel for LeakyRelu, Elu or Erf, nor for
    QuickGelu (which its optimizer makes of x * sigmoid(x)), so float64 graphs
    spell those out with ops that have one."""
    double = dtype == np.float64
    if kind == "identity":
        return x
    if kind == "relu":
        return g.node("Relu", [x])
    if kind == "tanh":
        return g.node("Tanh", [x])
    if kind == "logistic":
        return g.node("Sigmoid", [x])
    if kind == "silu":  # x * sigmoid(x)
        if not double:
            return g.node("Mul", [x, g.node("Sigmoid", [x])], "silu")
        # onnxruntime's graph optimizer rewrites Mul(x, Sigmoid(x)) into its
        # QuickGelu contrib op, whose CPU kernel is float32 only; releases
        # before 1.31 do so for float64 too and then fail to load the model.
        # float64 graphs therefore use the equal x / (1 + exp(-x)).  For very
        # negative x, exp(-x) overflows to inf and the quotient is -0, as
        # x * sigmoid(x) gives.
        denom = g.node(
            "Add", [g.node("Exp", [g.node("Neg", [x])]), g.const(np.array(1.0, dtype))]
        )
        return g.node("Div", [x, denom], "silu")
    if kind == "leaky_relu":  # slope 0.01, as the engine
        if not double:
            return g.node("LeakyRelu", [x], alpha=0.01)
        return g.node(
            "Max", [x, g.node("Mul", [x, g.const(np.array(0.01, dtype))])], "leaky_relu"
        )
    if kind == "elu":  # alpha 1
        if not double:
            return g.node("Elu", [x], alpha=1.0)
        positive = g.node("Greater", [x, g.const(np.array(0.0, dtype))])
        expm1 = g.node("Sub", [g.node("Exp", [x]), g.const(np.array(1.0, dtype))])
        return g.node("Where", [positive, x, expm1], "elu")
    if kind == "gelu":  # exact: 0.5 * x * (1 + erf(x / sqrt(2)))
        scaled = g.node("Mul", [x, g.const(np.array(1.0 / math.sqrt(2.0), dtype))])
        if double:
            # erf evaluated in float32 (about 1e-7 off), the rest in float64
            TP = g.onnx.TensorProto
            as_float = g.node("Cast", [scaled], to=TP.FLOAT)
            erf = g.node("Cast", [g.node("Erf", [as_float])], to=TP.DOUBLE)
        else:
            erf = g.node("Erf", [scaled])
        one_plus = g.node("Add", [erf, g.const(np.array(1.0, dtype))])
        half_x = g.node("Mul", [x, g.const(np.array(0.5, dtype))])
        return g.node("Mul", [half_x, one_plus], "gelu")
    raise ValueError(f"activation={kind!r} cannot be exported to ONNX.")


def _label_tensor(onnx, classes):
    """``classes_`` as an ONNX constant (data type, numpy array)."""
    TP = onnx.TensorProto
    classes = np.asarray(classes)
    if classes.dtype.kind == "O":
        values = classes.tolist()
        if all(isinstance(c, str) for c in values):
            classes = np.array(values, dtype=str)
        elif all(
            isinstance(c, numbers.Integral) and not isinstance(c, bool) for c in values
        ):
            classes = np.array(values, dtype=np.int64)
        else:
            raise ValueError(
                "classes_ mixes label types that ONNX cannot hold in one tensor: "
                f"{classes!r}."
            )
    kind = classes.dtype.kind
    if kind in "US":
        return TP.STRING, np.array([str(c) for c in classes], dtype=object)
    if kind == "b":
        return TP.BOOL, classes.astype(bool)
    if kind == "u" and classes.dtype.itemsize == 8:
        # uint64 labels from 2**63 up do not fit INT64; Gather takes UINT64
        return TP.UINT64, classes.astype(np.uint64)
    if kind in "iu":
        return TP.INT64, classes.astype(np.int64)
    if kind == "f":
        return TP.DOUBLE, classes.astype(np.float64)
    raise ValueError(f"classes_ of dtype {classes.dtype} cannot be exported to ONNX.")


_CLF_OUTPUTS = ("label", "probabilities")
_ELEM = {
    np.float32: lambda TP: TP.FLOAT,
    np.float64: lambda TP: TP.DOUBLE,
}


def _model_dtype(estimator):
    dtype = np.dtype(estimator.coefs_[0].dtype)
    if dtype not in (np.float32, np.float64):
        raise ValueError(f"coefs_ of dtype {dtype} cannot be exported to ONNX.")
    return dtype


class _Tail:
    """What the nodes after the network need: the emitter, the model's and
    the input's dtypes, the output names, the probabilities' dtype."""

    def __init__(self, g, dtype, in_dtype, proba_dtype, outputs):
        self.g, self.TP = g, g.onnx.TensorProto
        self.dtype, self.in_dtype, self.proba_dtype = dtype, in_dtype, proba_dtype
        self.outputs = outputs
        self.proba_type = _ELEM[proba_dtype.type](self.TP)

    def as_double(self, x):
        if self.dtype == np.float64:
            return x
        return self.g.node("Cast", [x], to=self.TP.DOUBLE)

    def proba_out(self, stem, op, inputs, **attrs):
        """The float64 probabilities node, cast to the probabilities' dtype."""
        g, name = self.g, self.outputs["probabilities"]
        if self.proba_dtype == np.float64:
            return g.node(op, inputs, output=name, **attrs)
        p = g.node(op, inputs, stem, **attrs)
        g.node("Cast", [p], output=name, to=self.proba_type)
        return p


def _regression_tail(t, head, logits, n_out, keep_1d):
    g, TP = t.g, t.TP
    out = g.node("Exp", [logits]) if head.out_activation == "exp" else logits
    if t.in_dtype != t.dtype:
        out = g.node("Cast", [out], to=_ELEM[t.in_dtype.type](TP))
    pred_type = _ELEM[t.in_dtype.type](TP)
    if n_out == 1 and keep_1d:  # predict ravels one output, 1-D y or not
        g.node(
            "Reshape",
            [out, g.const(np.array([-1], np.int64))],
            output=t.outputs["predictions"],
        )
        return {"predictions": (pred_type, [None])}
    g.node("Identity", [out], output=t.outputs["predictions"])
    return {"predictions": (pred_type, [None, n_out])}


def _multilabel_tail(t, head, logits, n_out, keep_1d):
    g = t.g
    proba = t.proba_out("proba", "Sigmoid", [t.as_double(logits)])
    above = g.node("Greater", [proba, g.const(head.thresholds.astype(np.float64))])
    g.node("Cast", [above], output=t.outputs["label"], to=t.TP.INT64)
    return {
        "label": (t.TP.INT64, [None, n_out]),
        "probabilities": (t.proba_type, [None, n_out]),
    }


def _class_tail(t, head, logits, n_out, keep_1d):
    g, TP = t.g, t.TP
    label_type, classes = _label_tensor(g.onnx, head.classes)
    n_classes = len(classes)
    if n_out == 1:  # binary: one logistic unit
        p = g.node("Sigmoid", [t.as_double(logits)])
        q = g.node("Sub", [g.const(np.array(1.0)), p])
        t.proba_out("proba", "Concat", [q, p], axis=1)
        positive = g.node("Greater", [logits, g.const(np.array(0.0, t.dtype))])
        index = g.node(
            "Reshape",
            [
                g.node("Cast", [positive], to=TP.INT64),
                g.const(np.array([-1], np.int64)),
            ],
        )
    else:
        t.proba_out("proba", "Softmax", [t.as_double(logits)], axis=1)
        index = g.node("ArgMax", [logits], axis=1, keepdims=0)
    classes_name = g.tensor(
        "classes",
        label_type,
        [n_classes],
        [c.encode() for c in classes] if label_type == TP.STRING else classes.tolist(),
    )
    g.node("Gather", [classes_name, index], output=t.outputs["label"], axis=0)
    return {
        "label": (label_type, [None]),
        "probabilities": (t.proba_type, [None, n_classes]),
    }


# the nodes after the network, by the head's ``onnx_tail``
_TAILS = {
    "regression": _regression_tail,
    "multilabel": _multilabel_tail,
    "classes": _class_tail,
}


def _emit_inputs(g, estimator, x, dtype):
    """The optional input layers: periodic features as one Gemm (a (d, c K)
    matrix holding ``2 pi f[i, k]`` at row ``columns[i]``, column ``i K +
    k``, so that the product lays the cosines out as the engine does), the
    embeddings (:func:`_emit_embeddings`), then the scale."""
    inputs = estimator._fitted_inputs() or {}
    a = x
    if "frequencies" in inputs:
        f, p = inputs["frequencies"], inputs["phases"]
        c, k = f.shape
        E = np.zeros((estimator.n_features_in_, c * k))
        for i, j in enumerate(inputs["columns"]):
            E[j, i * k : (i + 1) * k] = 2.0 * np.pi * f[i]
        u = g.node(
            "Gemm",
            [x, g.const(E.astype(dtype), "freq"), g.const(p.ravel().astype(dtype))],
            "phase_in",
        )
        a = g.node("Concat", [x, g.node("Cos", [u], "periodic")], "embedded", axis=1)
    if "embeddings" in inputs:
        a = _emit_embeddings(g, estimator, inputs, a, dtype)
    if "scale" in inputs:
        a = g.node(
            "Mul", [a, g.const(inputs["scale"].astype(dtype), "scale")], "scaled"
        )
    return a


def _emit_embeddings(g, estimator, inputs, a, dtype):
    """The category codes' vectors: the code columns gathered and cast to
    int64, shifted to their table's block of rows of the stacked tables,
    gathered from them, zeroed where the code is -1 (unknown) and flattened
    after the other columns (which a Gather along the columns keeps in
    order), as the engine lays them out."""
    width = estimator.coefs_[0].shape[0]
    codes, kept, offsets, stacked = fitted_embedding_layout(inputs, width)

    def index(values, stem):
        return g.const(np.asarray(values, dtype=np.int64), stem)

    picked = g.node("Gather", [a, index(codes, "code_columns")], "codes", axis=1)
    as_int = g.node("Cast", [picked], "codes_int", to=g.onnx.TensorProto.INT64)
    zero = index(0, "zero_code")
    clipped = g.node("Max", [as_int, zero], "codes_known")
    rows = g.node("Add", [clipped, index(offsets, "code_offsets")], "table_rows")
    table = g.const(stacked.astype(dtype), "embeddings")
    vectors = g.node("Gather", [table, rows], "vectors", axis=0)
    known = g.node("GreaterOrEqual", [picked, g.const(np.zeros((), dtype))], "known")
    known = g.node("Cast", [known], "known_f", to=_ELEM[dtype.type](g.onnx.TensorProto))
    axis = index([2], "vector_axis")
    known = g.node("Unsqueeze", [known, axis], "known_3d")
    vectors = g.node("Mul", [vectors, known], "vectors_known")
    flat = g.node("Flatten", [vectors], "vectors_flat", axis=1)
    others = g.node("Gather", [a, index(kept, "kept_columns")], "kept", axis=1)
    return g.node("Concat", [others, flat], "with_embeddings", axis=1)


def _emit_network(g, estimator, x, dtype):
    """Gemm per layer with the hidden activation between: the logits."""
    a = _emit_inputs(g, estimator, x, dtype)
    n_layers = len(estimator.coefs_)
    for i, (W, b) in enumerate(zip(estimator.coefs_, estimator.intercepts_)):
        z = g.node(
            "Gemm",
            [
                a,
                g.const(W.astype(dtype), f"coef{i}"),
                g.const(b.astype(dtype), f"intercept{i}"),
            ],
            f"z{i}",
        )
        a = _activation(g, estimator.activation, z, dtype) if i < n_layers - 1 else z
    return a


def _emit_estimator(g, estimator, x, outputs, in_dtype, proba_dtype, keep_1d=True):
    """Write the nodes computing ``estimator``'s predictions from the input
    ``x`` (of dtype ``in_dtype``) into the emitter ``g``.

    ``outputs`` maps ``'predictions'`` (regressor) or ``'label'`` and
    ``'probabilities'`` (classifiers) to the names the results get.
    Probabilities are computed in float64 and given in ``proba_dtype``;
    regression outputs come in ``in_dtype`` (the standalone model passes the
    model's dtype, so no cast is added there), 1-D for a regressor with one
    output when ``keep_1d`` (as ``predict``), else 2-D.  Returns, for each
    output key, its (ONNX data type, shape) with ``None`` for the batch
    dimension.  The standalone model (:func:`to_onnx`) and the skl2onnx
    converter (``sknn._skl2onnx``) both call this: the network is written
    once, and the output head says which tail follows it.
    """
    dtype = _model_dtype(estimator)
    in_dtype, proba_dtype = np.dtype(in_dtype), np.dtype(proba_dtype)
    if in_dtype != dtype:  # e.g. a float32 pipeline around a float64 network
        x = g.node("Cast", [x], "x_cast", to=_ELEM[dtype.type](g.onnx.TensorProto))
    logits = _emit_network(g, estimator, x, dtype)
    head = estimator._head()
    tail = _Tail(g, dtype, in_dtype, proba_dtype, outputs)
    n_out = estimator.coefs_[-1].shape[1]
    return _TAILS[head.onnx_tail](tail, head, logits, n_out, keep_1d)


def to_onnx(estimator, path=None, *, opset=None):
    """Export a fitted sknn estimator to an ONNX model.

    The model takes one input, ``X``, of shape ``(batch, n_features)`` with a
    dynamic batch size, in the dtype the estimator was trained in (float32 or
    float64), and reproduces the estimator's predictions (for the tabular
    estimators' inputs, see below):

    ======================  ===================================================
    estimator               outputs
    ======================  ===================================================
    :class:`MLPClassifier`  ``label``: ``predict`` (int64, float64, bool or
                            string tensor, as ``classes_``; a 0/1 int64 matrix
                            for multilabel y) and ``probabilities``:
                            ``predict_proba`` (float64)
    :class:`MultiLabelMLP`  ``label``: ``predict``, the 0/1 int64 matrix from
                            the estimator's ``threshold`` and
                            ``probabilities``: ``predict_proba`` (float64)
    :class:`MLPRegressor`   ``predictions``: ``predict``, in the model's dtype,
                            1-D for one output and 2-D otherwise
    Tabular estimators      the same outputs as :class:`MLPClassifier` and
                            :class:`MLPRegressor`, in float64
    ======================  ===================================================

    A :class:`TabularMLPClassifier` or :class:`TabularMLPRegressor` model
    does its table's encoding itself, so it takes the table column by
    column: one input per column of the fitted table, named as the column
    (``x0``, ``x1``, ... for a numpy array), of shape ``(batch, 1)``. A
    numeric column is a double tensor: NaN where missing, booleans as 0 and
    1, dates as days since 1970-01-01 and durations as days (as the
    estimator reads them). A categorical column is a string tensor: each
    value's text, ``str(value)`` (numbers named in ``categorical_features``:
    whole ones as integers, ``"3"``), and the empty string where missing. A
    level the fit did not see is encoded as ``predict`` encodes it. The
    averaging over the ensemble is in the graph too.

    Parameters
    ----------
    estimator : MLPClassifier, MLPRegressor, MultiLabelMLP, \
            TabularMLPClassifier or TabularMLPRegressor
        A fitted sknn estimator. For a whole pipeline, call
        :func:`register_skl2onnx` and convert it with ``skl2onnx.to_onnx``.
    path : str or os.PathLike, default=None
        Where to write the model (a ``.onnx`` file). ``None`` writes nothing.
    opset : int, default=None
        The ONNX operator set the model declares, from 13 up to the newest
        the installed ``onnx`` knows. ``None`` means 17, which every
        onnxruntime release from 1.13 on runs.

    Returns
    -------
    model : onnx.ModelProto
        The ONNX model (also written to ``path`` when given).

    Raises
    ------
    ImportError
        When the ``onnx`` package is missing; install sknn's optional
        ``onnx`` group with ``pip install "sknn-torch[onnx]"``.

    Notes
    -----
    Probabilities are computed in float64 from the network's output, as
    ``predict_proba`` computes them, so the two agree to about 1e-7 for a
    float32 model and to rounding for a float64 one. In a float64 model with
    ``activation='gelu'`` the error function is evaluated in float32, since
    onnxruntime has no float64 ``Erf`` kernel. A :class:`MultiLabelMLP`'s
    ``threshold`` is read at export time and stored in the model. The
    tabular estimators' graphs compute in float64 throughout, as their
    ``predict`` does, and agree with it to rounding.

    Running the model needs an ONNX runtime such as ``onnxruntime`` (also in
    the ``onnx`` group).

    Examples
    --------
    >>> import numpy as np
    >>> import onnxruntime as ort
    >>> from sklearn.datasets import load_iris
    >>> from sknn import MLPClassifier, to_onnx
    >>> X, y = load_iris(return_X_y=True)
    >>> X = X.astype(np.float32)
    >>> clf = MLPClassifier((16,), max_iter=50, random_state=0).fit(X, y)
    >>> model = to_onnx(clf)
    >>> session = ort.InferenceSession(model.SerializeToString())
    >>> [o.name for o in session.get_outputs()]
    ['label', 'probabilities']
    >>> label, proba = session.run(None, {"X": X[:5]})
    >>> bool((label == clf.predict(X[:5])).all())
    True
    >>> bool(np.allclose(proba, clf.predict_proba(X[:5]), atol=1e-5))
    True
    >>> to_onnx(clf, "iris_mlp.onnx")  # doctest: +SKIP
    """
    from ._classes import MLPClassifier, MLPRegressor, MultiLabelMLP
    from ._tabular import TabularMLPClassifier, TabularMLPRegressor

    onnx = _import_onnx()
    tabular = isinstance(estimator, TabularMLPClassifier | TabularMLPRegressor)
    if not tabular and not isinstance(
        estimator, MLPClassifier | MLPRegressor | MultiLabelMLP
    ):
        raise TypeError(
            "to_onnx exports a fitted sknn MLPClassifier, MLPRegressor, "
            "MultiLabelMLP, TabularMLPClassifier or TabularMLPRegressor; got "
            f"{type(estimator).__name__}. For a Pipeline, call "
            "sknn.register_skl2onnx() and convert it with skl2onnx.to_onnx."
        )
    check_is_fitted(estimator, "estimators_" if tabular else "coefs_")
    newest = onnx.defs.onnx_opset_version()
    if opset is None:
        opset = min(_DEFAULT_OPSET, newest)
    if (
        isinstance(opset, bool)
        or not isinstance(opset, numbers.Integral)
        or not _MIN_OPSET <= opset <= newest
    ):
        raise ValueError(
            f"opset must be an int from {_MIN_OPSET} to {newest} (the newest the "
            f"installed onnx {onnx.__version__} knows), or None; got {opset!r}."
        )
    opset = int(opset)

    helper, TP = onnx.helper, onnx.TensorProto
    batch = "batch"
    opsets = [helper.make_opsetid("", opset)]
    if tabular:
        from . import _onnx_tabular

        g, columns, out_shapes = _onnx_tabular.emit(onnx, estimator)
        inputs = [helper.make_tensor_value_info(n, t, [batch, 1]) for n, t in columns]
        opsets.append(
            helper.make_opsetid(_onnx_tabular.ML_DOMAIN, _onnx_tabular.ML_OPSET)
        )
        net = estimator.estimators_[0]
        about = (
            f"(n_ensemble={len(estimator.estimators_)}, "
            f"hidden_layer_sizes={tuple(c.shape[1] for c in net.coefs_[:-1])}, "
            f"activation={net.activation!r}, dtype=float64)"
        )
    else:
        dtype = _model_dtype(estimator)
        elem = _ELEM[dtype.type](TP)
        n_features = estimator.n_features_in_
        g = _GraphBuilder(onnx)
        names = (
            ("predictions",) if isinstance(estimator, MLPRegressor) else _CLF_OUTPUTS
        )
        out_types = _emit_estimator(
            g, estimator, "X", dict(zip(names, names)), dtype, np.dtype(np.float64)
        )
        out_shapes = [
            (name, data_type, [batch, *shape[1:]])
            for name, (data_type, shape) in out_types.items()
        ]
        inputs = [helper.make_tensor_value_info("X", elem, [batch, n_features])]
        about = (
            f"(hidden_layer_sizes={tuple(c.shape[1] for c in estimator.coefs_[:-1])}, "
            f"activation={estimator.activation!r}, dtype={dtype.name})"
        )

    graph = helper.make_graph(
        g.nodes,
        type(estimator).__name__,
        inputs,
        [helper.make_tensor_value_info(*o) for o in out_shapes],
        initializer=g.initializers,
    )
    from ._version import __version__

    model = helper.make_model(
        graph,
        opset_imports=opsets,
        ir_version=helper.find_min_ir_version_for(opsets),
        producer_name="sknn",
        producer_version=__version__,
        doc_string=f"sknn {type(estimator).__name__} {about}",
    )
    onnx.checker.check_model(model)
    if path is not None:
        onnx.save_model(model, os.fspath(path))
    return model
