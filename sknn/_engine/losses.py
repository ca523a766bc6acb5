"""The engine's half of the output heads (``sknn/_heads.py`` has the other).

A loss knows its output activation and how to turn encoded targets and
sample weights into per-sample coefficients ``(weight, target)`` such that
one formula per loss gives both the summed batch loss and its gradient with
respect to the output pre-activation ``z``:

* cross-entropy over a softmax: ``loss = -sum(target * log_softmax(z))``,
  ``dloss/dz = weight * softmax(z) - target``, ``weight`` the sample weight,
  ``target`` the weighted one-hot labels;
* binary cross-entropy over sigmoids (one unit for two classes, or one per
  label): ``loss = sum(weight * softplus(z) - target * z)``, ``dloss/dz =
  weight * sigmoid(z) - target``, with ``weight = w * (1 + (pos_weight - 1)
  y)`` and ``target = w * pos_weight * y``;
* squared error over the identity: ``loss = sum(0.5 * weight * (z - y)^2)``;
* half Poisson deviance over exp: ``loss = sum(weight * (exp(z) - y z +
  y log y - y))``, ``dloss/dz = weight * (exp(z) - y)``.

Label smoothing (``smoothing`` = eps > 0, the classifiers'
``label_smoothing``) softens the classification targets before they are
weighted: a one-hot row becomes ``(1 - eps) * onehot + eps / K`` (K
classes; the row still sums to 1, so ``target`` still sums to ``weight``),
a 0/1 label ``y`` of a logistic unit becomes ``(1 - eps) * y + eps / 2``.
The binary formula holds for any real ``y``: it is ``w * (pos_weight * y *
softplus(-z) + (1 - y) * softplus(z))`` rewritten with ``softplus(-z) =
softplus(z) - z``, that is the cross-entropy against the soft label with its
positive part weighed by ``pos_weight``.  eps = 0 leaves the targets
untouched.

``weight`` is None when every coefficient is 1 (no sample, class or
positive weights), which saves a multiplication and an index per batch.
"""

import numpy as np
import torch
import torch.nn.functional as F

from .compat import tensor_from_numpy

# softplus above 40 returns its input; torch's default threshold (20) is off
# by up to exp(-20) per output in float64, above 40 the error is below eps
_SOFTPLUS_THRESHOLD = 40.0


class Targets:
    """Per-sample loss coefficients on the device (see the module text)."""

    def __init__(self, weight, target, sample_weight, weighted):
        self.weight, self.target = weight, target
        self.sample_weight, self.weighted = sample_weight, weighted

    def take(self, idx):
        """The ``(weight, target)`` pair of the rows ``idx``."""
        return (None if self.weight is None else self.weight[idx]), self.target[idx]

    def subset(self, idx):
        """The targets of the samples ``idx`` (a device tensor of indices)."""
        weight, target = self.take(idx)
        return Targets(weight, target, self.sample_weight[idx], self.weighted)

    def empty_like(self):
        """Buffers of the same shapes (an epoch's permuted copy)."""

        def like(t):
            return None if t is None else torch.empty_like(t)

        return Targets(
            like(self.weight),
            like(self.target),
            like(self.sample_weight),
            self.weighted,
        )

    def scale(self, idx, n):
        """1 / (sum of the batch's sample weights), as scikit-learn divides
        (negative weights allowed, as there); 0 for a batch whose weights sum
        to 0, which then leaves the weights as they are."""
        if not self.weighted:
            return 1.0 / n
        s = self.sample_weight[idx].sum()
        zero = s == 0
        return torch.where(zero, torch.zeros_like(s), 1.0 / torch.where(zero, 1.0, s))


def _inputs(y, sample_weight, kw):
    """y as a tensor, its row count, and the sample weights as a column on
    the device (ones when there are none)."""
    # C order, so that the targets' flat views exist (a pandas DataFrame's
    # values are Fortran-ordered); read-only arrays (pandas' copy-on-write
    # views, memmaps) are shared, not copied, and not warned about
    y = tensor_from_numpy(np.ascontiguousarray(y))
    n = y.shape[0]
    if sample_weight is None:
        return y, n, torch.ones(n, 1, **kw)
    w = tensor_from_numpy(np.ascontiguousarray(sample_weight))
    return y, n, w.to(**kw).reshape(n, 1)


def _no_smoothing(smoothing):
    if smoothing:
        raise ValueError(
            f"label smoothing ({smoothing!r}) applies to the classification "
            "losses only."
        )


class CrossEntropy:
    """Softmax outputs, one per class (three or more classes)."""

    output_activation = "softmax"

    def targets(self, y, sample_weight, kw, n_outputs, pos_weight=None, smoothing=0.0):
        y, n, w = _inputs(y, sample_weight, kw)
        labels = y.to(device=kw["device"], dtype=torch.long)
        onehot = torch.zeros(n, n_outputs, **kw)
        onehot[torch.arange(n, device=kw["device"]), labels] = 1.0
        if smoothing:  # (1 - eps) * onehot + eps / K
            onehot.mul_(1.0 - smoothing).add_(smoothing / n_outputs)
        weighted = sample_weight is not None
        if weighted:
            return Targets(w, onehot.mul_(w), w.reshape(-1), True)
        return Targets(None, onehot, w.reshape(-1), False)

    @staticmethod
    def delta_and_loss(z, weight, target):
        logp = torch.log_softmax(z, dim=1)
        delta = torch.exp(logp)
        if weight is not None:
            delta.mul_(weight)
        delta.sub_(target)
        return delta, -torch.dot(logp.view(-1), target.view(-1))

    @staticmethod
    def reference(z, weight, target):
        return -(torch.log_softmax(z, dim=1) * target).sum()

    @staticmethod
    def output(z):
        return torch.softmax(z, dim=1)


class BinaryCrossEntropy:
    """Sigmoid outputs: one unit for two classes, or one per label."""

    output_activation = "logistic"

    def targets(self, y, sample_weight, kw, n_outputs, pos_weight=None, smoothing=0.0):
        y, n, w = _inputs(y, sample_weight, kw)
        weighted = sample_weight is not None
        y = y.to(**kw).reshape(n, -1)
        if smoothing:  # (1 - eps) * y + eps / 2, before pos_weight sees y
            y = y * (1.0 - smoothing) + smoothing / 2
        if pos_weight is None:
            weight = w.expand(n, y.shape[1]).contiguous() if weighted else None
            return Targets(weight, y * w, w.reshape(-1), weighted)
        pw = torch.as_tensor(np.asarray(pos_weight)).to(**kw)
        weight = (1.0 + (pw - 1.0) * y) * w
        return Targets(weight, pw * y * w, w.reshape(-1), weighted)

    @staticmethod
    def delta_and_loss(z, weight, target):
        delta = torch.sigmoid(z)
        sp = F.softplus(z, threshold=_SOFTPLUS_THRESHOLD)
        if weight is None:
            loss = sp.sum()
        else:
            delta.mul_(weight)
            loss = torch.dot(sp.view(-1), weight.view(-1))
        delta.sub_(target)
        return delta, loss - torch.dot(z.reshape(-1), target.view(-1))

    @staticmethod
    def reference(z, weight, target):
        weight = 1.0 if weight is None else weight
        return (
            weight * F.softplus(z, threshold=_SOFTPLUS_THRESHOLD) - target * z
        ).sum()

    @staticmethod
    def output(z):
        return torch.sigmoid(z)


class SquaredError:
    """Identity outputs, one per regression target.

    The gradient is that of half the squared error summed over the outputs;
    the loss reported (``loss_``, ``loss_curve_``, what ``tol`` and
    ``n_iter_no_change`` watch) is averaged over the outputs instead, as
    scikit-learn's ``squared_loss`` reports it (``mean_over_outputs``)."""

    output_activation = "identity"
    mean_over_outputs = True

    def targets(self, y, sample_weight, kw, n_outputs, pos_weight=None, smoothing=0.0):
        _no_smoothing(smoothing)
        y, n, w = _inputs(y, sample_weight, kw)
        weighted = sample_weight is not None
        y = y.to(**kw).reshape(n, -1)
        return Targets(w if weighted else None, y, w.reshape(-1), weighted)

    @staticmethod
    def delta_and_loss(z, weight, target):
        delta = z - target
        if weight is None:
            return delta, torch.dot(delta.view(-1), delta.view(-1)).mul_(0.5)
        residual = delta
        delta = residual * weight
        return delta, torch.dot(residual.view(-1), delta.view(-1)).mul_(0.5)

    @staticmethod
    def reference(z, weight, target):
        weight = 1.0 if weight is None else weight
        return 0.5 * (weight * (z - target) ** 2).sum()

    @staticmethod
    def output(z):
        return z


class Poisson:
    """Exp outputs (the log link), one per target: the half Poisson deviance
    ``y log(y / mu) - y + mu`` with ``mu = exp(z)``, scikit-learn's
    ``loss='poisson'`` (its constant ``y log y - y`` included, so that the
    loss values agree); ``dloss/dz = weight * (exp(z) - y)``."""

    output_activation = "exp"

    def targets(self, y, sample_weight, kw, n_outputs, pos_weight=None, smoothing=0.0):
        return SquaredError.targets(
            self, y, sample_weight, kw, n_outputs, smoothing=smoothing
        )

    @staticmethod
    def _deviance(z, mu, target):
        return mu - target * z + torch.xlogy(target, target) - target

    @classmethod
    def delta_and_loss(cls, z, weight, target):
        mu = torch.exp(z)
        half = cls._deviance(z, mu, target)
        delta = mu.sub_(target)
        if weight is None:
            return delta, half.sum()
        delta.mul_(weight)
        return delta, torch.dot(half.view(-1), weight.expand_as(half).reshape(-1))

    @classmethod
    def reference(cls, z, weight, target):
        weight = 1.0 if weight is None else weight
        return (weight * cls._deviance(z, torch.exp(z), target)).sum()

    @staticmethod
    def output(z):
        return torch.exp(z)


LOSSES = {
    "cross_entropy": CrossEntropy(),
    "binary_cross_entropy": BinaryCrossEntropy(),
    "squared_error": SquaredError(),
    "poisson": Poisson(),
}


# -- validation scores, as the estimators' ``score`` computes them ----------
def _weighted_mean(hit, w):
    if w is None:
        return float(hit.mean().item())
    w = w.to(hit.dtype)
    return float(((hit * w).sum() / w.sum()).item())


def accuracy(z, y, w, thresholds=None):
    """Accuracy of logits: the argmax, or ``z > 0`` for one logistic unit."""
    if z.shape[1] == 1:
        pred = (z[:, 0] > 0).to(torch.long)
    else:
        pred = z.argmax(dim=1)
    return _weighted_mean((pred == y.to(torch.long)).to(z.dtype), w)


def subset_accuracy(z, y, w, thresholds):
    """Multilabel: the share of samples whose every label is right, each
    label predicted where its probability exceeds its threshold."""
    t = torch.as_tensor(thresholds, dtype=z.dtype, device=z.device)
    hit = ((torch.sigmoid(z) > t) == (y > 0.5)).all(dim=1).to(z.dtype)
    return _weighted_mean(hit, w)


def r2(z, y, w, thresholds=None):
    """R^2 averaged over the outputs (scikit-learn's ``r2_score``)."""
    y = y.to(z.dtype)
    w = (
        torch.ones(y.shape[0], 1, dtype=z.dtype, device=z.device)
        if w is None
        else (w.to(z.dtype).reshape(-1, 1))
    )
    mean = (w * y).sum(0) / w.sum()
    ss_res = (w * (y - z) ** 2).sum(0)
    ss_tot = (w * (y - mean) ** 2).sum(0)
    score = torch.where(
        ss_tot > 0,
        1 - ss_res / ss_tot.clamp_min(1e-300),
        torch.where(ss_res > 0, torch.zeros_like(ss_res), torch.ones_like(ss_res)),
    )
    return float(score.mean().item())


def r2_exp(z, y, w, thresholds=None):
    """R^2 of ``exp(z)``: a Poisson regressor's predictions."""
    return r2(torch.exp(z), y, w)


SCORES = {
    "accuracy": accuracy,
    "subset_accuracy": subset_accuracy,
    "r2": r2,
    "r2_exp": r2_exp,
}
