"""Output heads: what the network's last layer means.

A head is one concept in one place: it encodes the targets for training,
names the loss the engine trains it with (``sknn/_engine/losses.py`` holds
the engine's half: coefficients, output delta, output activation,
validation scores), and turns the network's raw outputs (pre-activations,
numpy) into probabilities and predictions.  The estimators pick a head from
their targets at fit time and rebuild it from their fitted attributes at
predict time, so a head is never pickled.

========================  =========  =====================  ==================
head                      output     loss                   validation score
========================  =========  =====================  ==================
:class:`SoftmaxHead`      softmax    cross-entropy          accuracy
:class:`BinaryHead`       logistic   binary cross-entropy   accuracy
:class:`MultilabelHead`   logistic   binary cross-entropy   subset accuracy
:class:`IdentityHead`     identity   squared error          R^2
:class:`PoissonHead`      exp        half Poisson deviance  R^2 of exp(z)
========================  =========  =====================  ==================
"""

import numpy as np
from scipy.special import expit, log_expit, log_softmax, softmax


class _ClassHead:
    """Single-label classification over ``classes`` (sorted labels)."""

    onnx_tail = "classes"  # the nodes sknn/_onnx.py writes after the network
    stratify = False  # scikit-learn stratifies binary (and one-class) y only
    score = "accuracy"
    validation_name = "validation accuracy"
    multilabel = False
    thresholds = None

    def __init__(self, classes):
        self.classes = classes

    def encode(self, y):
        """Labels as indices into ``classes``."""
        unseen = ~np.isin(y, self.classes)
        if unseen.any():
            raise ValueError(
                f"y contains labels not in classes_ {self.classes!r}: "
                f"{np.unique(np.asarray(y)[unseen])!r}. Pass every class with "
                "`classes=` on the first call to partial_fit."
            )
        return np.searchsorted(self.classes, y)


class SoftmaxHead(_ClassHead):
    """Three or more classes: one softmax output per class."""

    out_activation = "softmax"
    loss = "cross_entropy"
    torch_proba = "softmax"  # the layer to_torch(output='proba') ends with

    @property
    def n_outputs(self):
        return len(self.classes)

    def proba(self, z):
        return softmax(z.astype(np.float64), axis=1)

    def log_proba(self, z):
        return log_softmax(z.astype(np.float64), axis=1)

    def predict(self, z):
        return self.classes[np.argmax(z, axis=1)]


class BinaryHead(_ClassHead):
    """Two classes: one logistic output, the probability of the second."""

    out_activation = "logistic"
    loss = "binary_cross_entropy"
    torch_proba = "binary"
    n_outputs = 1
    stratify = True

    def proba(self, z):
        p = expit(z.astype(np.float64))
        return np.hstack([1.0 - p, p])

    def log_proba(self, z):
        z = z.astype(np.float64)
        return np.hstack([log_expit(-z), log_expit(z)])

    def predict(self, z):
        if len(self.classes) == 1:  # y had one class (scikit-learn trains it)
            return np.repeat(self.classes, z.shape[0])
        return self.classes[(z[:, 0] > 0).astype(int)]


class MultilabelHead:
    """A 0/1 indicator matrix: one logistic output per label, each label
    predicted where its probability exceeds its threshold."""

    out_activation = "logistic"
    loss = "binary_cross_entropy"
    torch_proba = "sigmoid"
    onnx_tail = "multilabel"
    score = "subset_accuracy"
    validation_name = "validation subset accuracy"
    stratify = False
    multilabel = True

    def __init__(self, n_labels, thresholds):
        self.n_outputs = n_labels
        self.classes = np.arange(n_labels)
        self.thresholds = np.broadcast_to(
            np.asarray(thresholds, dtype=np.float64), (n_labels,)
        ).copy()

    @staticmethod
    def encode(y):
        return np.asarray(y, dtype=np.float64)

    def proba(self, z):
        return expit(z.astype(np.float64))

    def log_proba(self, z):
        return log_expit(z.astype(np.float64))

    def predict(self, z):
        return (self.proba(z) > self.thresholds).astype(int)


class ClassifierMultilabelHead(MultilabelHead):
    """MLPClassifier's multilabel y: ``log_proba`` is scikit-learn's
    ``np.log(predict_proba)``, so that its argmax is ``predict_proba``'s
    also where several probabilities round to 1."""

    def log_proba(self, z):
        with np.errstate(divide="ignore"):
            return np.log(self.proba(z))


class IdentityHead:
    """Regression: one identity output per target column, squared error."""

    out_activation = "identity"
    loss = "squared_error"
    torch_proba = None
    onnx_tail = "regression"
    score = "r2"
    validation_name = "validation R^2"
    stratify = False
    multilabel = False
    thresholds = None

    def __init__(self, n_outputs):
        self.n_outputs = n_outputs

    @staticmethod
    def encode(y):
        y = np.asarray(y, dtype=np.float64)
        return y.reshape(y.shape[0], -1)

    @staticmethod
    def predict(z):
        # one output is returned 1-d, as scikit-learn's MLPRegressor does
        return z.ravel() if z.shape[1] == 1 else z


class PoissonHead(IdentityHead):
    """MLPRegressor(loss='poisson'): one exp output per target (the log
    link), trained with the half Poisson deviance; predicts ``exp(z)``."""

    out_activation = "exp"
    loss = "poisson"
    score = "r2_exp"

    @staticmethod
    def encode(y):
        y = IdentityHead.encode(y)
        if np.any(y < 0):
            raise ValueError(
                "loss='poisson' requires y >= 0 (counts or rates); y has "
                f"{int(np.sum(y < 0))} negative values (min {y.min():.6g})."
            )
        return y

    @staticmethod
    def predict(z):
        return IdentityHead.predict(np.exp(z))


LOSS_OF_ACTIVATION = {
    "softmax": "cross_entropy",
    "logistic": "binary_cross_entropy",
    "identity": "squared_error",
    "exp": "poisson",
}
