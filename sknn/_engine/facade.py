"""What the estimators call: numpy in, numpy or Python numbers out.

* :func:`resolve_device` and :func:`predict_device` turn the ``device``
  parameter and the fitted ``device_`` into device names;
* a :class:`Session` holds one fit: the network, the training (and
  validation) data on the device, the optimizer, the best weights so far;
* :func:`predict_raw` and :func:`hidden_activations` run a fitted network
  over X in chunks, with the out-of-memory retry on GPUs.
"""

import os
import warnings
import weakref

import numpy as np
import torch

from . import losses
from .compat import tensor_from_numpy
from .data import Rows
from .network import Network
from .threads import scoped as thread_scope
from .trainer import (
    Trainer,
    full_batch_loss_and_grad,
    search_learning_rate,
)
from .trainer import (
    predict_raw as _predict_raw,
)

DTYPES = {"float32": torch.float32, "float64": torch.float64}
PREDICT_ELEMENTS = 2**22  # activations held at once while predicting


def resolve_device(device):
    """The device name to train on for the ``device`` parameter, or a
    ValueError that names it.  A bare 'cuda' becomes the current GPU
    ('cuda:0'), not whichever is current later."""
    if device == "auto":
        dev = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    else:
        try:
            dev = torch.device(device)
        except (RuntimeError, TypeError) as exc:
            raise ValueError(
                f"device={device!r} is not a device torch knows; expected 'auto', "
                "'cpu', 'cuda' or 'cuda:N'."
            ) from exc
        _check_device(device, dev)
    if dev.type == "cuda" and dev.index is None:
        dev = torch.device("cuda", torch.cuda.current_device())
    return str(dev)


def _check_device(device, dev):
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(
                f"device={device!r} was requested but CUDA is not available on "
                "this machine; use device='auto' to fall back to the CPU."
            )
        if dev.index is not None and dev.index >= torch.cuda.device_count():
            raise ValueError(
                f"device={device!r} was requested but only "
                f"{torch.cuda.device_count()} CUDA device(s) are visible."
            )
    elif dev.type == "mps":
        if not _available(dev):
            raise ValueError(
                f"device={device!r} was requested but MPS (Apple's GPU) is not "
                "available on this machine; use device='auto' or 'cpu'."
            )
    elif dev.type != "cpu":
        raise ValueError(
            f"device={device!r} is not supported; expected 'auto', 'cpu', "
            "'cuda', 'cuda:N' or 'mps'."
        )


def _available(dev):
    """Whether this machine can run on ``dev`` (a torch.device)."""
    try:
        if dev.type == "cpu":
            return True
        if dev.type == "cuda":
            if not torch.cuda.is_available():
                return False
            return dev.index is None or dev.index < torch.cuda.device_count()
        if dev.type == "mps":
            return bool(torch.backends.mps.is_available())
        backend = getattr(torch, dev.type, None)
        return bool(backend is not None and backend.is_available())
    except (AttributeError, RuntimeError, AssertionError):
        return False


def predict_device(device_str):
    """The device to predict on: the fitted one when this machine has it,
    else the CPU (a model fitted on any accelerator predicts anywhere)."""
    try:
        dev = torch.device(device_str)
    except (RuntimeError, TypeError):
        return torch.device("cpu")
    return dev if _available(dev) else torch.device("cpu")


def device_memory(device_str):
    """Total memory in bytes of the device a fit runs on (the host's
    physical memory for the CPU), or None where it cannot be told."""
    dev = torch.device(device_str)
    try:
        if dev.type == "cuda":
            index = torch.cuda.current_device() if dev.index is None else dev.index
            return int(torch.cuda.get_device_properties(index).total_memory)
        if dev.type == "cpu":
            return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError, RuntimeError):
        return None
    return None


def chunk_rows(layer_sizes):
    """Rows per prediction chunk: about PREDICT_ELEMENTS activations."""
    return max(64, PREDICT_ELEMENTS // max(layer_sizes))


class Session:
    """One fit on the device.

    Parameters
    ----------
    layer_sizes, activation, loss
        The network (``loss`` a key of :data:`losses.LOSSES`).
    dtype, device : str
        'float32' or 'float64'; a device name from :func:`resolve_device`.
    coefs, intercepts : lists of ndarray
        The starting weights, in scikit-learn's (in, out) layout.
    inputs, input_params
        The input layers (see :class:`~sknn._engine.network.Network`) and
        their starting parameters by name, or None and {}.
    """

    def __init__(
        self,
        layer_sizes,
        activation,
        loss,
        dtype,
        device,
        coefs,
        intercepts,
        inputs=None,
        input_params=None,
    ):
        self.net = Network(
            layer_sizes,
            activation,
            loss,
            DTYPES[dtype],
            torch.device(device),
            inputs=inputs,
        )
        self.net.set_weights(coefs, intercepts)
        self.net.set_input_params(input_params or {})
        self.kw = dict(dtype=self.net.dtype, device=self.net.device)
        self.trainer = None
        self.validation = None
        self._best = None

    # -- data --------------------------------------------------------------
    def set_data(self, X, y, sample_weight, pos_weight=None, smoothing=0.0):
        """The training rows and their loss coefficients, moved once;
        ``smoothing`` is the classifiers' label smoothing (see
        :mod:`losses`), applied to the training targets only (validation
        scores are on the true labels)."""
        self.rows = Rows(X, *self.kw.values())
        self.targets = self.net.loss.targets(
            y,
            sample_weight,
            self.kw,
            self.net.layer_sizes[-1],
            pos_weight,
            smoothing=smoothing,
        )

    def set_validation(self, X, y, sample_weight, score, thresholds=None):
        """Held-out rows scored by ``score`` (a key of :data:`losses.SCORES`)."""

        def to_device(a):
            return (
                None
                if a is None
                else tensor_from_numpy(np.ascontiguousarray(a)).to(self.net.device)
            )

        self.validation = (
            Rows(X, *self.kw.values()),
            to_device(y),
            to_device(sample_weight),
            losses.SCORES[score],
            thresholds,
        )
        self._best = self.net.params.clone()

    # -- the stochastic solvers --------------------------------------------
    def search_learning_rate(self, hyper, dropout, batch_size, seed):
        return search_learning_rate(
            self.net, hyper, self.rows, self.targets, dropout, batch_size, seed
        )

    def start(self, hyper, lr, seed, optimizer_state=None, shuffle_rng=None):
        """The optimizer of ``hyper['solver']``, resuming ``optimizer_state``
        (from :meth:`optimizer_state`) when given; ``shuffle_rng`` (a numpy
        RandomState) draws the epochs' order, as scikit-learn's
        ``shuffle(sample_idx, rng)``."""
        self.trainer = Trainer(self.net, hyper, lr, seed, shuffle_rng)
        self.solver = hyper["solver"]
        if optimizer_state is not None:
            self.trainer.optimizer.load_state_dict(optimizer_state, self.solver)

    def epoch(self, lr, batch_size, shuffle, dropout):
        """One epoch at rate ``lr``: (mean loss, whether all is finite)."""
        self.trainer.optimizer.lr = lr
        return self.trainer.epoch(self.rows, self.targets, batch_size, shuffle, dropout)

    def validation_score(self):
        rows, y, w, score, thresholds = self.validation
        z = _predict_raw(self.net, rows, chunk_rows(self.net.layer_sizes))
        return score(z, y, w, thresholds)

    def keep_best(self):
        self._best.copy_(self.net.params)

    def restore_best(self):
        self.net.params.copy_(self._best)

    def finite(self):
        return bool(torch.isfinite(self.net.params).all())

    def optimizer_state(self):
        """The optimizer's state as numpy, tagged with its solver."""
        return {"solver": self.solver, **self.trainer.optimizer.state_dict()}

    def weights(self):
        return self.net.get_weights()

    def input_params(self):
        """The input layers' parameters by name, as numpy arrays."""
        return self.net.get_input_params()

    # -- L-BFGS --------------------------------------------------------------
    def flat_weights(self):
        return self.net.params.to("cpu", torch.float64).numpy().copy()

    def set_flat_weights(self, theta):
        self.net.params.copy_(torch.from_numpy(theta))

    def loss_and_grad(self, theta, alpha):
        """Full-batch loss and gradient at the flat weights ``theta``."""
        self.set_flat_weights(theta)
        loss = full_batch_loss_and_grad(self.net, self.rows, self.targets, alpha)
        grad = self.net.grads.to("cpu", torch.float64).numpy().copy()
        return float(loss.item()), grad


# -- prediction ----------------------------------------------------------
# One network per estimator, kept outside the estimator's __dict__ (predict
# must not change it); its weights are copied from coefs_ and intercepts_
# at every call, so edits of those arrays, in place or not, always count.
_PREDICT_NETS = weakref.WeakKeyDictionary()


def _input_spec(layer_sizes, inputs):
    """The Network's ``inputs`` tuple from the fitted input parameters."""
    if not inputs:
        return None
    c, k = inputs["phases"].shape if "phases" in inputs else (0, 0)
    embed, m, dim = None, 0, 0
    if "embeddings" in inputs:
        tables = inputs["embeddings"]
        m, dim = len(tables), tables[0].shape[1]
        codes = tuple(int(j) for j in inputs["embedding_columns"])
        embed = (codes, tuple(t.shape[0] for t in tables), dim)
    d = layer_sizes[0] - c * k - m * (dim - 1)
    columns = None
    if k and c != d:
        columns = tuple(int(j) for j in inputs["columns"])
    return (d, k, "scale" in inputs, columns, embed)


def _predict_net(owner, layer_sizes, activation, loss, coefs, intercepts, dev, inputs):
    """The owner's cached prediction network, holding the given weights."""
    dtype = torch.float32 if coefs[0].dtype == np.float32 else torch.float64
    spec = _input_spec(layer_sizes, inputs)
    key = (tuple(layer_sizes), activation, loss, dtype, dev, spec)
    cached = _PREDICT_NETS.get(owner)
    if cached is None or cached[0] != key:
        net = Network(
            layer_sizes,
            activation,
            loss,
            dtype,
            predict_device(dev),
            grads=False,
            inputs=spec,
        )
        cached = _PREDICT_NETS[owner] = (key, net)
    net = cached[1]
    net.set_weights(coefs, intercepts)
    net.set_input_params(inputs or {})
    return net


def predict_raw(network, X, n_threads=None):
    """Output pre-activations of the fitted network for X, as numpy.

    ``network`` is the estimator's ``_network()``: (owner, layer sizes,
    activation, loss, coefs, intercepts, device, input layers); the owner
    (the estimator) keys the cached network.  On a GPU that runs
    out of memory the chunk is halved and the call retried, with a
    ResourceWarning.
    """
    net = _predict_net(*network)
    chunk = chunk_rows(net.layer_sizes)
    while True:
        try:
            rows = Rows(X, net.dtype, net.device, stream=True)
            busy = max(1, min(rows.n, chunk))  # rows per product: a chunk
            with torch.inference_mode(), thread_scope(busy, net.layer_sizes, n_threads):
                return _predict_raw(net, rows, chunk).cpu().numpy()
        except torch.cuda.OutOfMemoryError:
            if chunk <= 1:
                raise
            chunk //= 2
            warnings.warn(
                f"CUDA ran out of memory while predicting; retrying with "
                f"{chunk} rows per chunk.",
                ResourceWarning,
            )


def hidden_activations(network, X, n_threads=None):
    """Each hidden layer's activations for dense X, as numpy arrays
    (``network`` as for :func:`predict_raw`)."""
    net = _predict_net(*network)
    with torch.inference_mode(), thread_scope(len(X), net.layer_sizes, n_threads):
        xb = tensor_from_numpy(X).to(net.device)
        return [a.cpu().numpy() for a in net.hidden_activations(xb)]


def to_torch(coefs, intercepts, activation, proba, device, inputs=None):
    """The fitted network as a ``torch.nn.Sequential`` on ``device`` (the
    ``device`` parameter's values)."""
    from .torch_module import build

    return build(coefs, intercepts, activation, proba, resolve_device(device), inputs)
