"""sknn: scikit-learn neural-network estimators on a PyTorch core.

``import sknn`` does not import torch; the engine loads it at the first fit
or prediction.
"""

from ._base import InconsistentSknnVersionWarning
from ._classes import MLPClassifier, MLPRegressor, MultiLabelMLP
from ._display import HiddenUnitsDisplay, TrainingCurveDisplay
from ._onnx import to_onnx
from ._skl2onnx import register_skl2onnx
from ._tabular import TabularMLPClassifier, TabularMLPRegressor, TabularPreprocessor
from ._version import __version__

# Public classes are documented, pickled and listed by skops as sknn.<Name>;
# the defining modules keep them too, so pickles that name, for example,
# sknn._classes.MLPClassifier (written before this) still load.
for _cls in (
    HiddenUnitsDisplay,
    InconsistentSknnVersionWarning,
    MLPClassifier,
    MLPRegressor,
    MultiLabelMLP,
    TabularMLPClassifier,
    TabularMLPRegressor,
    TabularPreprocessor,
    TrainingCurveDisplay,
):
    _cls.__module__ = __name__
del _cls

__all__ = [
    "HiddenUnitsDisplay",
    "InconsistentSknnVersionWarning",
    "MLPClassifier",
    "MLPRegressor",
    "MultiLabelMLP",
    "TabularMLPClassifier",
    "TabularMLPRegressor",
    "TabularPreprocessor",
    "TrainingCurveDisplay",
    "__version__",
    "register_skl2onnx",
    "to_onnx",
]
