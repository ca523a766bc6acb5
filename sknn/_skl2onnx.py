"""skl2onnx converters for the sknn estimators.

:func:`register_skl2onnx` tells skl2onnx how to convert :class:`MLPClassifier`,
:class:`MLPRegressor` and :class:`MultiLabelMLP`, so that ``skl2onnx.to_onnx``
converts any scikit-learn pipeline that contains one.  The nodes of the
network come from the same function that writes sknn's own standalone model
(``sknn._onnx._emit_estimator``); here they go into skl2onnx's container.
Neither ``skl2onnx`` nor ``onnx`` is imported before the call.
"""

import numpy as np

from ._onnx import _CLF_OUTPUTS, _MIN_OPSET, _emit_estimator, _Emitter

_SKL2ONNX_HINT = 'pip install "sknn-torch[onnx]"'
_ALIASES = {
    "MLPClassifier": "SknnMLPClassifier",
    "MLPRegressor": "SknnMLPRegressor",
    "MultiLabelMLP": "SknnMultiLabelMLP",
}


class _ContainerEmitter(_Emitter):
    """Writes nodes and initializers into an skl2onnx ``ModelComponentContainer``
    with names unique in the converter's ``scope``."""

    def __init__(self, onnx, scope, container):
        super().__init__(onnx)
        self.scope = scope
        self.container = container

    def name(self, stem):
        return self.scope.get_unique_variable_name(f"sknn_{stem}")

    def _initializer(self, tensor, values=None):
        if values is not None:  # string tensors hold no raw_data
            self.container.add_initializer(
                tensor.name, tensor.data_type, list(tensor.dims), values
            )
        else:
            self.container.add_initializer(tensor.name, None, None, tensor)

    def _node(self, op, inputs, output, attrs):
        self.container.add_node(
            op,
            inputs,
            [output],
            name=self.scope.get_unique_operator_name(f"Sknn{op}"),
            **attrs,
        )


def _input_dtype(operator):
    from skl2onnx.common.data_types import guess_numpy_type

    dtype = np.dtype(guess_numpy_type(operator.inputs[0].type))
    # integer inputs (an encoder's output, say) are cast to float32, as
    # skl2onnx's own converters do
    return dtype if dtype in (np.float32, np.float64) else np.dtype(np.float32)


def _output_types(operator):
    """The (ONNX data type, shape) of each output of ``operator``'s model."""
    import onnx

    from ._onnx import _GraphBuilder

    # a throw-away emitter: only the types and shapes of the result are used
    g = _GraphBuilder(onnx)
    estimator = operator.raw_operator
    keys = _keys(estimator)
    dtype = _input_dtype(operator)
    return _emit_estimator(
        g, estimator, "X", dict(zip(keys, keys)), dtype, dtype, keep_1d=False
    )


def _keys(estimator):
    from ._classes import MLPRegressor

    return ("predictions",) if isinstance(estimator, MLPRegressor) else _CLF_OUTPUTS


def _shape_calculator(operator):
    from onnx import TensorProto as TP
    from skl2onnx.common.data_types import (
        BooleanTensorType,
        DoubleTensorType,
        FloatTensorType,
        Int64TensorType,
        StringTensorType,
    )
    from skl2onnx.common.utils import check_input_and_output_numbers

    types = {
        TP.FLOAT: FloatTensorType,
        TP.DOUBLE: DoubleTensorType,
        TP.INT64: Int64TensorType,
        TP.STRING: StringTensorType,
        TP.BOOL: BooleanTensorType,
    }
    keys = _keys(operator.raw_operator)
    check_input_and_output_numbers(
        operator, input_count_range=1, output_count_range=len(keys)
    )
    n = operator.inputs[0].get_first_dimension()
    out_types = _output_types(operator)
    for var, key in zip(operator.outputs, keys):
        data_type, shape = out_types[key]
        var.type = types[data_type]([n, *shape[1:]])


def _converter(scope, operator, container):
    import onnx

    estimator = operator.raw_operator
    if container.target_opset < _MIN_OPSET:
        raise RuntimeError(
            f"sknn's converter needs opset {_MIN_OPSET} or newer; "
            f"got target_opset={container.target_opset}."
        )
    from ._classes import MLPClassifier

    if (
        isinstance(estimator, MLPClassifier)
        and estimator._multilabel
        and container.get_options(estimator, {"zipmap": True})["zipmap"] is not False
    ):
        raise RuntimeError(
            "An MLPClassifier fitted on a multilabel indicator y has no ZipMap "
            "output: convert it with options={id(model): {'zipmap': False}} "
            "(or use MultiLabelMLP)."
        )
    dtype = _input_dtype(operator)
    if (
        type(estimator) is MLPClassifier
        and dtype == np.float64
        and container.get_options(estimator, {"zipmap": True})["zipmap"] is not False
    ):
        raise RuntimeError(
            "skl2onnx's ZipMap takes float32 probabilities only: convert a "
            "float64 graph with options={MLPClassifier: {'zipmap': False}}, or "
            "convert with float32 inputs."
        )
    g = _ContainerEmitter(onnx, scope, container)
    x = operator.inputs[0].full_name
    outputs = dict(zip(_keys(estimator), (v.full_name for v in operator.outputs)))
    _emit_estimator(g, estimator, x, outputs, dtype, dtype, keep_1d=False)


def register_skl2onnx():
    """Register sknn's estimators with skl2onnx, to convert whole pipelines.

    After this call, ``skl2onnx.to_onnx`` (or ``convert_sklearn``) converts
    any scikit-learn :class:`~sklearn.pipeline.Pipeline`, ``ColumnTransformer``
    or other composite that contains an :class:`MLPClassifier`,
    :class:`MLPRegressor` or :class:`MultiLabelMLP`, into one ONNX model: the
    preprocessing by skl2onnx's converters, the network by sknn's (the same
    graph as :func:`to_onnx` writes).

    Registration is an explicit call rather than a side effect of importing a
    module: ``import sknn`` stays free of ``onnx`` and ``skl2onnx``, nothing
    changes skl2onnx's global registry behind the user's back, and a linter
    does not remove the call as an unused import. Calling it again is
    harmless.

    Returns
    -------
    None
        The converters, shape calculators and parsers are registered in
        skl2onnx's global tables.

    Raises
    ------
    ImportError
        When ``skl2onnx`` (or ``onnx``) is not installed.

    Notes
    -----
    The outputs follow skl2onnx's conventions rather than :func:`to_onnx`'s:

    * the input's element type (float or double) decides the type of the
      probabilities and regression outputs; a network trained in the other
      precision gets a ``Cast`` in front of it, and probabilities are still
      computed in double before being cast;
    * a classifier's ``probabilities`` go through a ``ZipMap`` (a list of
      dicts) unless the conversion passes ``options={MLPClassifier:
      {"zipmap": False}}`` (``"columns"`` is accepted too); skl2onnx's
      ``ZipMap`` takes float32 only, so a float64 graph needs
      ``zipmap=False``. An
      :class:`MLPClassifier` fitted on a multilabel ``y`` and a
      :class:`MultiLabelMLP` have no ``ZipMap``: their outputs are the 0/1
      label matrix and the probability matrix;
    * a regressor's ``variable`` output is always 2-D, ``(batch,
      n_outputs)``, also for a model fitted on a 1-D ``y``.

    Examples
    --------
    >>> import numpy as np
    >>> import onnxruntime as ort
    >>> from skl2onnx import to_onnx
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sknn import MLPClassifier, register_skl2onnx
    >>> register_skl2onnx()
    >>> X, y = load_iris(return_X_y=True)
    >>> X = X.astype(np.float32)
    >>> pipe = make_pipeline(StandardScaler(), MLPClassifier((8,), solver="lbfgs",
    ...                      random_state=0)).fit(X, y)
    >>> onx = to_onnx(pipe, X[:1], options={MLPClassifier: {"zipmap": False}})
    >>> sess = ort.InferenceSession(onx.SerializeToString())
    >>> label, proba = sess.run(None, {"X": X})
    >>> bool((label == pipe.predict(X)).all())
    True
    >>> bool(np.allclose(proba, pipe.predict_proba(X), atol=1e-5))
    True
    """
    try:
        from skl2onnx import update_registered_converter
    except ImportError as exc:  # pragma: no cover - exercised without skl2onnx
        raise ImportError(
            "register_skl2onnx needs the 'skl2onnx' package: " + _SKL2ONNX_HINT
        ) from exc
    from ._classes import MLPClassifier, MLPRegressor, MultiLabelMLP

    update_registered_converter(
        MLPClassifier,
        _ALIASES["MLPClassifier"],
        _shape_calculator,
        _converter,
        options={"zipmap": [True, False, "columns"], "nocl": [False, True]},
    )
    update_registered_converter(
        MultiLabelMLP, _ALIASES["MultiLabelMLP"], _shape_calculator, _converter
    )
    update_registered_converter(
        MLPRegressor, _ALIASES["MLPRegressor"], _shape_calculator, _converter
    )
