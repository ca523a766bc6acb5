"""sknn: scikit-learn neural-network estimators on a PyTorch core.

``import sknn`` does not import torch; the engine loads it at the first fit
or prediction.
"""

from ._base import InconsistentSknnVersionWarning
from ._classes import MLPClassifier, MLPRegressor, MultiLabelMLP
from ._display import HiddenUnitsDisplay, TrainingCurveDisplay
from ._onnx import to_onnx
from ._tabular import TabularMLPClassifier, TabularMLPRegressor
from ._version import __version__

__all__ = [
    "HiddenUnitsDisplay",
    "InconsistentSknnVersionWarning",
    "MLPClassifier",
    "MLPRegressor",
    "MultiLabelMLP",
    "TabularMLPClassifier",
    "TabularMLPRegressor",
    "TrainingCurveDisplay",
    "__version__",
    "to_onnx",
]
