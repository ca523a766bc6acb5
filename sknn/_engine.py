"""The training engine: the only sknn module that imports torch.

The network lives in one flat tensor of parameters (every layer's weight matrix
first, then every bias), with matching flat tensors for the gradient and the
optimizer's state.  Each layer's weights and biases are views into it, so:

* the forward pass is one ``addmm`` and one in-place activation per layer;
* the backward pass is the lecture's delta rule written out
  (``delta^(m-1) = g'(z^(m-1)) * (W^(m) delta^(m))``), with no autograd graph;
* an optimizer step is a handful of element-wise kernels over a single tensor;
* the L2 penalty touches the one contiguous slice that holds the weights.

The autograd path (:meth:`Network.autograd_loss_and_grad`) computes the same
gradient through ``torch.autograd``; it is the reference the tests compare the
fast path with, and the path used for mixed precision (autocast).

The estimator side (``_base.py``) hands numpy arrays in and gets numpy back.
"""

import math
import os
import warnings
from contextlib import nullcontext

import numpy as np
import torch
import torch.nn.functional as F

aten = torch.ops.aten

_LEAKY_SLOPE = 0.01


# --------------------------------------------------------------------------
# Activations: (forward writing into ``out``, derivative from (delta, z, a),
# whether the derivative needs the pre-activation ``z`` kept apart from ``a``).
# Those that can express g'(z) through their output run fully in place.
# --------------------------------------------------------------------------
def _identity_fwd(z, out):
    return z


def _identity_bwd(delta, z, a):
    return delta


def _relu_fwd(z, out):
    return z.relu_()


def _relu_bwd(delta, z, a):
    return aten.threshold_backward(delta, a, 0)


def _tanh_fwd(z, out):
    return z.tanh_()


def _tanh_bwd(delta, z, a):
    return aten.tanh_backward(delta, a)


def _logistic_fwd(z, out):
    return z.sigmoid_()


def _logistic_bwd(delta, z, a):
    return aten.sigmoid_backward(delta, a)


def _leaky_relu_fwd(z, out):
    return F.leaky_relu_(z, _LEAKY_SLOPE)


def _leaky_relu_bwd(delta, z, a):
    return aten.leaky_relu_backward(delta, a, _LEAKY_SLOPE, True)


def _elu_fwd(z, out):
    return F.elu_(z)


def _elu_bwd(delta, z, a):
    return aten.elu_backward(delta, 1.0, 1, 1, True, a)


def _gelu_fwd(z, out):
    return aten.gelu.out(z, out=out)


def _gelu_bwd(delta, z, a):
    return aten.gelu_backward(delta, z)


def _silu_fwd(z, out):
    return aten.silu.out(z, out=out)


def _silu_bwd(delta, z, a):
    return aten.silu_backward(delta, z)


ACTIVATIONS = {
    "identity": (_identity_fwd, _identity_bwd, False),
    "relu": (_relu_fwd, _relu_bwd, False),
    "tanh": (_tanh_fwd, _tanh_bwd, False),
    "logistic": (_logistic_fwd, _logistic_bwd, False),
    "leaky_relu": (_leaky_relu_fwd, _leaky_relu_bwd, False),
    "elu": (_elu_fwd, _elu_bwd, False),
    "gelu": (_gelu_fwd, _gelu_bwd, True),
    "silu": (_silu_fwd, _silu_bwd, True),
}

# Out-of-place versions, for prediction and the autograd reference.
_ACTIVATION_FUNCS = {
    "identity": lambda z: z,
    "relu": torch.relu,
    "tanh": torch.tanh,
    "logistic": torch.sigmoid,
    "leaky_relu": lambda z: F.leaky_relu(z, _LEAKY_SLOPE),
    "elu": F.elu,
    "gelu": F.gelu,
    "silu": F.silu,
}

_DTYPES = {"float32": torch.float32, "float64": torch.float64}
_AUTOCAST = {"bfloat16": torch.bfloat16, "float16": torch.float16}


def resolve_device(device):
    """Turn the ``device`` parameter into a ``torch.device``, or raise."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise ValueError(
            f"device={device!r} is not a device torch knows; expected 'auto', "
            "'cpu', 'cuda' or 'cuda:N'."
        ) from exc
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
    elif dev.type != "cpu" and dev.type != "mps":
        raise ValueError(
            f"device={device!r} is not supported; expected 'auto', 'cpu', "
            "'cuda' or 'cuda:N'."
        )
    return dev


def predict_device(device_str):
    """The device to predict on: the fitted one when present, else the CPU."""
    dev = torch.device(device_str)
    if dev.type == "cuda" and not torch.cuda.is_available():
        return torch.device("cpu")
    return dev


def _as_tensor(a):
    """``torch.as_tensor`` without a copy, also for read-only arrays (memmaps):
    sknn never writes into the caller's data."""
    a = np.asarray(a)
    if not a.flags.writeable:
        with warnings.catch_warnings():
            warnings.filterwarnings(
                "ignore", message="The given NumPy array is not writ"
            )
            return torch.as_tensor(a)
    return torch.as_tensor(a)


# --------------------------------------------------------------------------
# Dense or sparse input, a batch at a time
# --------------------------------------------------------------------------
class _Rows:
    """Rows of X on the device: dense tensors are indexed on the device,
    scipy sparse matrices are densified one batch at a time on the host."""

    def __init__(self, X, dtype, device, stream=False):
        self.sparse = hasattr(X, "tocsr")
        self.device = device
        self.dtype = dtype
        if self.sparse:
            self.X = X.tocsr()
            self.n = X.shape[0]
        elif stream and device.type != "cpu":
            # prediction on a GPU: X stays on the host and goes over a chunk
            # at a time, so smaller chunks help when the device runs short
            self.X = _as_tensor(X).to(dtype=dtype)
            self.n = self.X.shape[0]
        else:
            # row-major, whatever the input's order (a DataFrame's values are
            # often column-major): batches are then contiguous row slices and
            # every layout trains to the same bits
            self.X = _as_tensor(X).to(device=device, dtype=dtype).contiguous()
            self.n = self.X.shape[0]

    def take(self, idx):
        """Rows ``idx``: a slice (a view of dense X, no copy), a tensor of
        indices on the device, or a numpy array of indices."""
        if self.sparse:
            if torch.is_tensor(idx):
                idx = idx.cpu().numpy()
            block = torch.from_numpy(np.asarray(self.X[idx].toarray()))
            return block.to(device=self.device, dtype=self.dtype, non_blocking=True)
        if isinstance(idx, slice):
            return self.X[idx]
        return torch.index_select(self.X, 0, idx)

    def chunks(self, chunk_size):
        for start in range(0, self.n, chunk_size):
            stop = min(start + chunk_size, self.n)
            if self.sparse:
                block = torch.from_numpy(np.asarray(self.X[start:stop].toarray()))
                yield block.to(device=self.device, dtype=self.dtype)
            else:
                yield self.X[start:stop].to(self.device, non_blocking=True)


# --------------------------------------------------------------------------
# The network
# --------------------------------------------------------------------------
class Network:
    """A dense network whose parameters are views into one flat tensor.

    Each weight matrix is stored (out, in), as ``torch.nn.Linear`` does: the
    products with a narrow output layer run several times faster that way
    round than (in, out). ``coefs_`` on the estimator side keep
    scikit-learn's (in, out) shape; :meth:`set_weights` and
    :meth:`get_weights` transpose.

    Parameters
    ----------
    layer_sizes : list of int
        ``[n_features, *hidden_layer_sizes, n_outputs]``.
    activation : str
        Hidden activation, a key of :data:`ACTIVATIONS`.
    out_activation : {'identity', 'logistic', 'softmax'}
        Output activation; fixes the loss (squared error, binary
        cross-entropy, cross-entropy).
    """

    def __init__(
        self, layer_sizes, activation, out_activation, dtype, device, grads=True
    ):
        self.layer_sizes = list(layer_sizes)
        self.activation = activation
        self.out_activation = out_activation
        self.dtype = dtype
        self.device = device
        shapes = list(zip(self.layer_sizes[:-1], self.layer_sizes[1:]))
        self.n_layers = len(shapes)
        self.n_coef = sum(i * o for i, o in shapes)
        n_params = self.n_coef + sum(o for _, o in shapes)
        self.params = torch.zeros(n_params, dtype=dtype, device=device)
        self.W, self.b = self._views(self.params, shapes)
        self.WT = [w.T for w in self.W]  # made once: the flat tensor never moves
        self._coef = self.params[: self.n_coef]
        if grads:
            self.grads = torch.zeros_like(self.params)
            self.gW, self.gb = self._views(self.grads, shapes)
            self._gcoef = self.grads[: self.n_coef]
        self._buffers_for = None

    def _views(self, flat, shapes):
        Ws, bs, pos = [], [], 0
        for i, o in shapes:
            Ws.append(flat[pos : pos + i * o].view(o, i))
            pos += i * o
        for _, o in shapes:
            bs.append(flat[pos : pos + o])
            pos += o
        return Ws, bs

    # -- state in and out, as numpy ---------------------------------------
    def set_weights(self, coefs, intercepts):
        for W, c in zip(self.W, coefs):
            W.copy_(torch.as_tensor(np.asarray(c)).T)
        for b, c in zip(self.b, intercepts):
            b.copy_(torch.as_tensor(np.asarray(c)))

    def get_weights(self, params=None):
        params = self.params if params is None else params
        flat = params.detach().to("cpu", copy=True).numpy()
        shapes = list(zip(self.layer_sizes[:-1], self.layer_sizes[1:]))
        Ws, bs = self._views(torch.from_numpy(flat), shapes)
        return [np.ascontiguousarray(w.numpy().T) for w in Ws], [b.numpy() for b in bs]

    # -- buffers for the fast path ----------------------------------------
    def _buffers(self, batch_size, dropout):
        key = (batch_size, tuple(dropout))
        if self._buffers_for == key:
            return
        kw = dict(dtype=self.dtype, device=self.device)
        needs_z = ACTIVATIONS[self.activation][2]
        self._Z, self._A, self._D, self._M, self._AD = [], [], [], [], []
        for i, units in enumerate(self.layer_sizes[1:]):
            self._Z.append(torch.empty(batch_size, units, **kw))
            hidden = i < self.n_layers - 1
            self._A.append(
                torch.empty(batch_size, units, **kw) if hidden and needs_z else None
            )
            self._D.append(torch.empty(batch_size, units, **kw) if hidden else None)
            has_mask = hidden and dropout[i] > 0
            self._M.append(torch.empty(batch_size, units, **kw) if has_mask else None)
            # the dropped activation goes apart: g'(z) is read from the kept one
            self._AD.append(torch.empty(batch_size, units, **kw) if has_mask else None)
        self._batch_views = {}
        self._buffers_for = key

    def _batch(self, n):
        """The buffers cut to a batch of n rows (made once per batch size)."""
        views = self._batch_views.get(n)
        if views is None:

            def cut(bufs):
                return [None if t is None else t[:n] for t in bufs]

            views = tuple(
                cut(b) for b in (self._Z, self._A, self._D, self._M, self._AD)
            )
            self._batch_views[n] = views
        return views

    # -- forward -----------------------------------------------------------
    def forward(self, X, params=None):
        """Output pre-activation for X, out of place (prediction, autograd)."""
        if params is None:
            W, b = self.W, self.b
        else:
            W, b = self._views(
                params, list(zip(self.layer_sizes[:-1], self.layer_sizes[1:]))
            )
        act = _ACTIVATION_FUNCS[self.activation]
        a = X
        for i in range(self.n_layers):
            z = torch.addmm(b[i], a, W[i].T)
            a = act(z) if i < self.n_layers - 1 else z
        return a

    def hidden_activations(self, X):
        act = _ACTIVATION_FUNCS[self.activation]
        out, a = [], X
        for i in range(self.n_layers - 1):
            a = act(torch.addmm(self.b[i], a, self.WT[i]))
            out.append(a)
        return out

    def output(self, z):
        """Apply the output activation (probabilities or values)."""
        if self.out_activation == "softmax":
            return torch.softmax(z, dim=1)
        if self.out_activation == "logistic":
            return torch.sigmoid(z)
        return z

    # -- the fast path: forward + backward written out --------------------
    def loss_and_grad(self, xb, target, alpha, dropout, generator, scale):
        """Fill ``self.grads`` for one batch and return the batch loss (0-dim).

        ``target`` is the batch's ``(A, B)`` pair from :class:`Targets`;
        ``scale`` is ``1 / sum of the batch's sample weights`` (a float, or a
        0-dim tensor when samples are weighted).
        """
        n = xb.shape[0]
        Z, A, D, M, AD = self._batch(n)
        fwd, bwd, _ = ACTIVATIONS[self.activation]
        acts = [xb]  # each layer's input (after dropout)
        outs = [None]  # each hidden layer's activation (before dropout)
        a = xb
        L = self.n_layers
        for i in range(L):
            z = torch.addmm(self.b[i], a, self.WT[i], out=Z[i])
            if i < L - 1:
                a = fwd(z, A[i])
                outs.append(a)
                p = dropout[i]
                if p > 0:
                    mask = M[i].bernoulli_(1.0 - p, generator=generator)
                    mask.mul_(1.0 / (1.0 - p))
                    a = torch.mul(a, mask, out=AD[i])
                acts.append(a)
        delta, loss = _output_delta_and_loss(self.out_activation, z, target)
        if alpha:
            loss = torch.add(loss, torch.dot(self._coef, self._coef), alpha=0.5 * alpha)
        loss = loss.mul_(scale)
        delta.mul_(scale)
        for i in range(L - 1, -1, -1):
            torch.mm(delta.T, acts[i], out=self.gW[i])
            torch.sum(delta, 0, out=self.gb[i])
            if i > 0:
                d = torch.mm(delta, self.W[i], out=D[i - 1])
                if M[i - 1] is not None:
                    d.mul_(M[i - 1])
                delta = bwd(d, Z[i - 1], outs[i])
        if alpha:
            if torch.is_tensor(scale):
                self._gcoef.addcmul_(self._coef, scale * alpha)
            else:
                self._gcoef.add_(self._coef, alpha=alpha * scale)
        return loss

    # -- the reference path: autograd --------------------------------------
    def autograd_loss_and_grad(
        self,
        xb,
        target,
        alpha,
        dropout,
        generator,
        scale,
        autocast=None,
        loss_scale=None,
    ):
        """Same contract as :meth:`loss_and_grad`, through ``torch.autograd``.

        Dropout masks are drawn from ``generator`` in the same order as the
        fast path, so both paths see the same masks for the same seed.
        ``loss_scale`` (float16 autocast): the backward pass runs on the loss
        times this factor, so small float16 gradients do not flush to zero;
        the gradient is divided by it again (and may be inf/nan on overflow).
        """
        p_leaf = self.params.detach().requires_grad_(True)
        shapes = list(zip(self.layer_sizes[:-1], self.layer_sizes[1:]))
        W, b = self._views(p_leaf, shapes)
        act = _ACTIVATION_FUNCS[self.activation]
        ctx = (
            torch.autocast(device_type=self.device.type, dtype=autocast)
            if autocast is not None
            else nullcontext()
        )
        with torch.enable_grad():
            with ctx:
                a = xb
                for i in range(self.n_layers):
                    z = torch.addmm(b[i], a, W[i].T)
                    if i < self.n_layers - 1:
                        a = act(z)
                        p = dropout[i]
                        if p > 0:
                            mask = torch.empty(
                                a.shape, dtype=self.dtype, device=self.device
                            ).bernoulli_(1.0 - p, generator=generator)
                            a = a * (mask * (1.0 / (1.0 - p))).to(a.dtype)
            z = z.to(self.dtype)
            loss = _reference_loss(self.out_activation, z, target)
            coef = p_leaf[: self.n_coef]
            loss = (loss + 0.5 * alpha * torch.dot(coef, coef)) * scale
            if loss_scale is None:
                (grad,) = torch.autograd.grad(loss, p_leaf)
            else:
                (grad,) = torch.autograd.grad(loss * loss_scale, p_leaf)
                grad = grad.div_(loss_scale)
        self.grads.copy_(grad)
        return loss.detach()


def _output_delta_and_loss(out_activation, z, target):
    """dLoss/dz (unscaled, allocated fresh) and the summed batch loss.

    ``target`` is ``(A, B)`` from :class:`Targets`; ``A`` is None when every
    coefficient is 1 (no sample, class or positive weights), which saves a
    multiplication and an index per batch.
    """
    A, B = target
    if out_activation == "softmax":
        # A is the sample weight column, B the weighted one-hot targets.
        logp = torch.log_softmax(z, dim=1)
        delta = torch.exp(logp)
        if A is not None:
            delta.mul_(A)
        delta.sub_(B)
        loss = -torch.dot(logp.view(-1), B.view(-1))
    elif out_activation == "logistic":
        # loss = A * softplus(z) - B * z, with A = w * (1 + (pos_weight - 1) y)
        # and B = w * pos_weight * y; its derivative is A * sigmoid(z) - B.
        delta = torch.sigmoid(z)
        # threshold=40: torch's default (20) returns z itself above 20, off by
        # up to exp(-20) per output in float64; above 40 the error is below eps
        sp = F.softplus(z, threshold=40.0)
        if A is None:
            loss = sp.sum()
        else:
            delta.mul_(A)
            loss = torch.dot(sp.view(-1), A.view(-1))
        delta.sub_(B)
        loss = loss - torch.dot(z.reshape(-1), B.view(-1))
    else:  # identity + squared error: 0.5 * w * (z - y)^2
        delta = z - B
        if A is None:
            loss = torch.dot(delta.view(-1), delta.view(-1)).mul_(0.5)
        else:
            r = delta
            delta = r * A
            loss = torch.dot(r.view(-1), delta.view(-1)).mul_(0.5)
    return delta, loss


def _reference_loss(out_activation, z, target):
    """The same losses as :func:`_output_delta_and_loss`, written plainly."""
    A, B = target
    A = 1.0 if A is None else A
    if out_activation == "softmax":
        return -(torch.log_softmax(z, dim=1) * B).sum()
    if out_activation == "logistic":
        return (A * F.softplus(z, threshold=40.0) - B * z).sum()
    return 0.5 * (A * (z - B) ** 2).sum()


class Targets:
    """Per-sample loss coefficients ``(A, B)`` on the device (see
    :func:`_output_delta_and_loss`), with class/sample weights folded in."""

    def __init__(
        self,
        out_activation,
        y,
        sample_weight,
        dtype,
        device,
        n_classes=None,
        pos_weight=None,
    ):
        kw = dict(dtype=dtype, device=device)
        y = torch.as_tensor(y)
        n = y.shape[0]
        w = (
            torch.ones(n, 1, **kw)
            if sample_weight is None
            else torch.as_tensor(sample_weight).to(**kw).reshape(n, 1)
        )
        self.weighted = sample_weight is not None
        self.w = w.reshape(-1)
        weighted = self.weighted
        if out_activation == "softmax":
            y = y.to(device=device, dtype=torch.long)
            onehot = torch.zeros(n, n_classes, **kw)
            onehot[torch.arange(n, device=device), y] = 1.0
            self.A, self.B = (w, onehot.mul_(w)) if weighted else (None, onehot)
        elif out_activation == "logistic":
            y = y.to(**kw).reshape(n, -1)
            if pos_weight is None:
                self.A = w.expand(n, y.shape[1]).contiguous() if weighted else None
                self.B = y * w
            else:
                pw = torch.as_tensor(np.asarray(pos_weight)).to(**kw)
                self.A = (1.0 + (pw - 1.0) * y) * w
                self.B = pw * y * w
        else:
            y = y.to(**kw).reshape(n, -1)
            self.A, self.B = (w if weighted else None), y

    def take(self, idx):
        return (None if self.A is None else self.A[idx]), self.B[idx]

    def subset(self, idx):
        """The targets of the samples ``idx`` (a device tensor of indices);
        ``take`` and ``scale`` also accept a slice."""
        sub = object.__new__(Targets)
        sub.A, sub.B = self.take(idx)
        sub.w, sub.weighted = self.w[idx], self.weighted
        return sub

    def scale(self, idx, n):
        """1 / (sum of the batch's sample weights); 0 for an all-zero batch."""
        if not self.weighted:
            return 1.0 / n
        s = self.w[idx].sum()
        return torch.where(s > 0, 1.0 / s.clamp_min(1e-30), torch.zeros_like(s))


# --------------------------------------------------------------------------
# Optimizers over the flat parameter tensor (scikit-learn's update rules)
# --------------------------------------------------------------------------
class _Optimizer:
    """Update rules over the flat parameter tensor. ``state_names`` are the
    tensors that carry over between steps (and across ``partial_fit`` calls);
    ``tmp`` is scratch space."""

    state_names = ()

    def __init__(self, params, lr, **hyper):
        self.lr = lr
        self.hyper = hyper
        self.t = 0
        self.state = {k: torch.zeros_like(params) for k in self.state_names}
        self.tmp = torch.empty_like(params)

    def state_dict(self):
        out = {k: v.detach().cpu().numpy().copy() for k, v in self.state.items()}
        out["t"] = self.t
        return out

    def load_state_dict(self, state):
        self.t = int(state.get("t", 0))
        for k in self.state_names:
            self.state[k].copy_(torch.as_tensor(state[k]))


class SGD(_Optimizer):
    state_names = ("velocity",)

    def step(self, params, grads, decay=0.0, n_coef=0):
        self.t += 1
        mom = self.hyper["momentum"]
        v = self.state["velocity"]
        if mom > 0:
            # velocity = momentum * velocity - lr * grad
            v.mul_(mom).add_(grads, alpha=-self.lr)
            if self.hyper["nesterov"]:
                params.add_(v, alpha=mom).add_(grads, alpha=-self.lr)
            else:
                params.add_(v)
        else:
            params.add_(grads, alpha=-self.lr)

    def device_step(self, params, grads, lr, step):
        """:meth:`step` with the rate ``lr`` a 0-dim device tensor and no
        change to host state (see :class:`_StaticEpoch`)."""
        mom = self.hyper["momentum"]
        v = self.state["velocity"]
        neg_lr = torch.neg(lr)
        step.add_(1.0)
        if mom > 0:
            v.mul_(mom).addcmul_(grads, neg_lr)
            if self.hyper["nesterov"]:
                params.add_(v, alpha=mom).addcmul_(grads, neg_lr)
            else:
                params.add_(v)
        else:
            params.addcmul_(grads, neg_lr)


class Adam(_Optimizer):
    """scikit-learn's Adam. Where torch has the fused kernel for the device
    and dtype, one call does the whole update; scikit-learn's placement of
    ``epsilon`` (outside the bias correction) is kept by passing
    ``epsilon / sqrt(1 - beta_2^t)`` to it, which is the same arithmetic."""

    state_names = ("m", "v")

    def __init__(self, params, lr, **hyper):
        super().__init__(params, lr, **hyper)
        self._fused = _fused_adam_available(params)
        if self._fused:
            self._step_t = torch.zeros((), dtype=torch.float32, device=params.device)
            self._lists = None

    def load_state_dict(self, state):
        super().load_state_dict(state)
        if self._fused:
            self._step_t.fill_(float(self.t))

    def step(self, params, grads, decay=0.0, n_coef=0):
        self.t += 1
        b1, b2, eps = self.hyper["beta_1"], self.hyper["beta_2"], self.hyper["epsilon"]
        m, v, tmp = self.state["m"], self.state["v"], self.tmp
        if decay:  # decoupled weight decay (AdamW) on the weights only
            params[:n_coef].mul_(1.0 - self.lr * decay)
        if self._fused:
            self._step_t.add_(1.0)
            torch._fused_adam_(
                [params],
                [grads],
                [m],
                [v],
                [],
                [self._step_t],
                lr=self.lr,
                beta1=b1,
                beta2=b2,
                weight_decay=0.0,
                eps=eps / math.sqrt(1.0 - b2**self.t),
                amsgrad=False,
                maximize=False,
            )
            return
        m.lerp_(grads, 1.0 - b1)
        v.mul_(b2).addcmul_(grads, grads, value=1.0 - b2)
        # scikit-learn's form: lr_t = lr * sqrt(1 - b2^t) / (1 - b1^t);
        # param -= lr_t * m / (sqrt(v) + eps)
        lr_t = self.lr * math.sqrt(1.0 - b2**self.t) / (1.0 - b1**self.t)
        torch.sqrt(v, out=tmp).add_(eps)
        params.addcdiv_(m, tmp, value=-lr_t)

    def device_step(self, params, grads, lr, step):
        """:meth:`step` with the rate ``lr`` and the step count ``step`` as
        0-dim device tensors: the bias correction is computed on the device,
        and no host state changes (see :class:`_StaticEpoch`)."""
        b1, b2, eps = self.hyper["beta_1"], self.hyper["beta_2"], self.hyper["epsilon"]
        m, v, tmp = self.state["m"], self.state["v"], self.tmp
        step.add_(1.0)
        m.lerp_(grads, 1.0 - b1)
        v.mul_(b2).addcmul_(grads, grads, value=1.0 - b2)
        # rate = lr * sqrt(1 - b2^t) / (1 - b1^t), then
        # params -= rate * m / (sqrt(v) + eps): scikit-learn's arithmetic
        rate = torch.pow(b2, step).neg_().add_(1.0).sqrt_()
        rate.div_(torch.pow(b1, step).neg_().add_(1.0)).mul_(lr).neg_()
        torch.sqrt(v, out=tmp).add_(eps)
        torch.div(m, tmp, out=tmp)
        params.addcmul_(tmp, rate)


_FUSED_ADAM = {}


def _fused_adam_available(params):
    """Whether torch's fused Adam kernel runs for this device and dtype
    (checked once, on a scratch tensor, against the plain update)."""
    key = (params.device.type, params.dtype)
    if key not in _FUSED_ADAM:
        ok = hasattr(torch, "_fused_adam_")
        if ok:
            try:
                kw = dict(dtype=params.dtype, device=params.device)
                p, g = torch.ones(3, **kw), torch.full((3,), 0.5, **kw)
                m, v = torch.zeros(3, **kw), torch.zeros(3, **kw)
                step = torch.ones((), dtype=torch.float32, device=params.device)
                torch._fused_adam_(
                    [p],
                    [g],
                    [m],
                    [v],
                    [],
                    [step],
                    lr=0.1,
                    beta1=0.9,
                    beta2=0.999,
                    weight_decay=0.0,
                    eps=1e-8,
                    amsgrad=False,
                    maximize=False,
                )
                # first step of Adam moves each weight by lr (up to eps)
                ok = bool(torch.allclose(p, torch.full_like(p, 0.9), atol=1e-5))
            except (RuntimeError, NotImplementedError, TypeError):
                ok = False
        _FUSED_ADAM[key] = ok
    return _FUSED_ADAM[key]


class RMSprop(_Optimizer):
    state_names = ("v",)

    def step(self, params, grads, decay=0.0, n_coef=0):
        self.t += 1
        rho, eps = self.hyper["rho"], self.hyper["epsilon"]
        v, tmp = self.state["v"], self.tmp
        v.mul_(rho).addcmul_(grads, grads, value=1.0 - rho)
        torch.sqrt(v, out=tmp).add_(eps)
        params.addcdiv_(grads, tmp, value=-self.lr)


class Adagrad(_Optimizer):
    state_names = ("G",)

    def step(self, params, grads, decay=0.0, n_coef=0):
        self.t += 1
        G, tmp = self.state["G"], self.tmp
        G.addcmul_(grads, grads)
        torch.sqrt(G, out=tmp).add_(self.hyper["epsilon"])
        params.addcdiv_(grads, tmp, value=-self.lr)


OPTIMIZERS = {
    "sgd": SGD,
    "adam": Adam,
    "adamw": Adam,
    "rmsprop": RMSprop,
    "adagrad": Adagrad,
}


# --------------------------------------------------------------------------
# Training
# --------------------------------------------------------------------------
class LossScaler:
    """Dynamic loss scaling for float16 autocast, with the rule of
    ``torch.amp.GradScaler``: the loss is multiplied by ``scale`` before the
    backward pass; a step whose gradient overflows (inf/nan) is skipped and
    the scale halved; after ``interval`` good steps in a row it doubles."""

    def __init__(self, scale=2.0**16, growth=2.0, backoff=0.5, interval=2000):
        self.scale = float(scale)
        self.growth, self.backoff, self.interval = growth, backoff, interval
        self.good_steps = 0
        self.skipped = 0

    def update(self, grads):
        """Whether the (unscaled) gradient is finite; adjusts the scale.
        Reads one flag from the device per step, as GradScaler does."""
        if not bool(torch.isfinite(grads).all()):
            self.scale *= self.backoff
            self.good_steps = 0
            self.skipped += 1
            return False
        self.good_steps += 1
        if self.good_steps >= self.interval:
            self.scale *= self.growth
            self.good_steps = 0
        return True


class Trainer:
    """Runs epochs of minibatch training on a :class:`Network`.

    Everything lives on the device for the whole fit: X (dense), the targets,
    the permutation of each epoch; the loop never synchronises with the host
    inside an epoch.  The epoch's loss is read once, at its end.
    """

    def __init__(self, net, spec, seed):
        self.net = net
        self.spec = spec
        self.device = net.device
        self.generator = torch.Generator(device=net.device)
        self.generator.manual_seed(int(seed))
        self.np_rng = np.random.RandomState(int(seed) % (2**32 - 1))
        name = spec["solver"]
        hyper = {k: spec[k] for k in ("momentum", "beta_1", "beta_2", "epsilon")}
        hyper["nesterov"] = spec["nesterovs_momentum"]
        hyper["rho"] = spec["beta_2"]
        self.optimizer = OPTIMIZERS[name](
            net.params, spec["learning_rate_init"], **hyper
        )
        self.decoupled = spec["alpha"] if name == "adamw" else 0.0
        self.l2 = 0.0 if name == "adamw" else spec["alpha"]
        self.autocast = _AUTOCAST.get(spec.get("precision"))
        # float16 needs loss scaling (bfloat16 has float32's exponent range)
        self.scaler = LossScaler() if self.autocast is torch.float16 else None
        self._data = None  # the _EpochData of this fit, made at its first epoch
        self._static = None  # a _StaticEpoch, when one runs this fit's epochs

    def _grad_fn(self):
        if self.autocast is not None:
            return lambda *a: self.net.autograd_loss_and_grad(
                *a,
                autocast=self.autocast,
                loss_scale=None if self.scaler is None else self.scaler.scale,
            )
        return self.net.loss_and_grad

    def _step(self):
        """One optimizer step, skipped when a float16 gradient overflowed."""
        if self.scaler is not None and not self.scaler.update(self.net.grads):
            return
        net = self.net
        self.optimizer.step(net.params, net.grads, self.decoupled, net.n_coef)

    def epoch(self, rows, targets, batch_size, shuffle, dropout):
        """One pass over the data; returns the mean loss (a host float) and
        whether the loss and the parameters are finite."""
        net = self.net
        batch_size = max(1, min(batch_size, rows.n))
        net._buffers(batch_size, dropout)
        data = self._data
        if data is None or not data.serves(rows, targets, shuffle):
            data = self._data = _EpochData(rows, targets, shuffle)
        data.new_epoch(self.np_rng, self.device)
        if self._static_eligible(rows, dropout):
            static = self._static
            if static is None or not static.serves(data, batch_size):
                static = self._static = _StaticEpoch(self, data, batch_size)
            return static.run_epoch()
        total = torch.zeros((), dtype=net.dtype, device=self.device)
        self._run_batches(data, batch_size, dropout, self._grad_fn(), self._step, total)
        ok = torch.isfinite(total) & torch.isfinite(net.params).all()
        loss_value, ok = total.item(), bool(ok.item())
        return loss_value, ok

    def _run_batches(self, data, batch_size, dropout, grad_fn, step, total):
        """Every batch of one epoch (gradient, then ``step()``); ``total``
        ends as the epoch's mean loss."""
        n, targets = data.n, data.targets
        for start in range(0, n, batch_size):
            batch = slice(start, min(start + batch_size, n))
            nb = batch.stop - start
            loss = grad_fn(
                data.x(batch),
                targets.take(batch),
                self.l2,
                dropout,
                self.generator,
                targets.scale(batch, nb),
            )
            step()
            total.add_(loss, alpha=nb)
        total.div_(n)

    def _static_eligible(self, rows, dropout):
        """Whether this fit's epochs can run as a :class:`_StaticEpoch`:
        on CUDA with ``SKNN_CUDA_GRAPHS=1`` in the environment (experimental,
        off by default), for dense X, full precision, no dropout and the
        'sgd' or 'adam' update."""
        if self.net.device.type == "cuda":
            wanted = os.environ.get("SKNN_CUDA_GRAPHS", "") == "1"
        else:
            wanted = _STATIC_EPOCHS_ON_CPU
        return (
            wanted
            and not rows.sparse
            and self.autocast is None
            and not any(p > 0 for p in dropout)
            and not self.decoupled
            and hasattr(self.optimizer, "device_step")
        )

    def probe(self, rows, targets, batch_size, dropout, steps):
        """Loss before and after ``steps`` minibatch updates (for the
        learning-rate search).  Modifies the network's parameters."""
        net = self.net
        n = rows.n
        batch_size = max(1, min(batch_size, n))
        net._buffers(batch_size, dropout)
        grad_fn = self._grad_fn()
        losses = []
        for s in range(steps + 1):
            start = (s * batch_size) % n
            idx = slice(start, min(start + batch_size, n))
            nb = idx.stop - start
            xb = rows.take(idx)
            loss = grad_fn(
                xb,
                targets.take(idx),
                self.l2,
                dropout,
                self.generator,
                targets.scale(idx, nb),
            )
            losses.append(loss)
            if s < steps:
                self._step()
        out = torch.stack(losses).cpu().numpy()
        return (
            float(out[0]),
            float(out[-1]),
            bool(np.isfinite(out).all() and torch.isfinite(net.params).all()),
        )


# The static epoch runs on the CPU only when a test asks for it (the same
# arithmetic as on CUDA, without the graph).
_STATIC_EPOCHS_ON_CPU = False


class _EpochData:
    """X and the targets in the order one epoch visits them.

    With shuffling, dense X and the targets are permuted once per epoch into
    buffers made once per fit, so every batch is a contiguous slice (no
    gather per batch) and every epoch reads the same memory; sparse X stays
    where it is and each batch's rows are gathered on the host with the
    host's copy of the permutation, so no batch waits on the device.
    Without shuffling the data's own tensors serve.
    """

    def __init__(self, rows, targets, shuffle):
        self.rows, self.src, self.shuffle = rows, targets, shuffle
        self.n = rows.n
        self.perm = None  # the epoch's order, on the host (with shuffling)
        dense = None if rows.sparse else rows.X
        if shuffle:
            self.X = None if dense is None else torch.empty_like(dense)
            t = object.__new__(Targets)
            t.A = None if targets.A is None else torch.empty_like(targets.A)
            t.B = torch.empty_like(targets.B)
            t.w, t.weighted = torch.empty_like(targets.w), targets.weighted
            self.targets = t
        else:
            self.X, self.targets = dense, targets

    def serves(self, rows, targets, shuffle):
        return rows is self.rows and targets is self.src and shuffle == self.shuffle

    def new_epoch(self, np_rng, device):
        """Draw the epoch's order and permute into the buffers."""
        if not self.shuffle:
            return
        self.perm = np_rng.permutation(self.n)
        perm = torch.from_numpy(self.perm).to(device)
        if self.X is not None:
            torch.index_select(self.rows.X, 0, perm, out=self.X)
        src, dst = self.src, self.targets
        if src.A is not None:
            torch.index_select(src.A, 0, perm, out=dst.A)
        torch.index_select(src.B, 0, perm, out=dst.B)
        torch.index_select(src.w, 0, perm, out=dst.w)

    def x(self, batch):
        """The rows of X of ``batch``, a slice of the epoch's order."""
        if self.X is not None:
            return self.X[batch]
        return self.rows.take(batch if self.perm is None else self.perm[batch])


class _StaticEpoch:
    """An epoch of the fast path in which every tensor keeps its address.

    The epoch reads X and the targets from an :class:`_EpochData` (whose
    buffers are made once per fit), and the learning rate and the
    optimizer's step count live in device tensors, so every epoch runs the
    same kernels on the same memory and takes no value from the host.  That
    is what a CUDA graph can record once and replay with a single launch per
    epoch instead of some forty launches per batch: on CUDA the first epoch
    runs directly (on a side stream, which also initialises the libraries'
    lazy state), the second is recorded and replayed, and every later one
    replayed.  If recording fails, epochs run directly from then on.  On the
    CPU the same code runs without a graph, which is how the tests check its
    arithmetic against :meth:`Trainer.epoch`.
    """

    def __init__(self, trainer, data, batch_size):
        self.trainer, self.data, self.batch_size = trainer, data, batch_size
        self.n_batches = -(-data.n // batch_size)
        net = trainer.net
        self.zero_dropout = [0.0] * (net.n_layers - 1)
        kw = dict(dtype=net.dtype, device=net.device)
        self.lr = torch.zeros((), **kw)
        self.step = torch.zeros((), **kw)
        self.total = torch.zeros((), **kw)
        self.ok = torch.zeros((), dtype=torch.bool, device=net.device)
        self.cuda = net.device.type == "cuda"
        self.graph = None
        self.warmed = False
        self.failed = False

    def serves(self, data, batch_size):
        return data is self.data and batch_size == self.batch_size

    def _batches(self):
        """The recorded part: every batch's forward, backward and update."""
        tr, net = self.trainer, self.trainer.net
        opt = tr.optimizer
        self.total.zero_()
        tr._run_batches(
            self.data,
            self.batch_size,
            self.zero_dropout,
            net.loss_and_grad,
            lambda: opt.device_step(net.params, net.grads, self.lr, self.step),
            self.total,
        )
        torch.logical_and(
            torch.isfinite(self.total), torch.isfinite(net.params).all(), out=self.ok
        )

    def _execute(self):
        if not self.cuda or self.failed:
            self._batches()
            return
        with torch.cuda.device(self.trainer.device):  # streams and graph there
            self._execute_cuda()

    def _execute_cuda(self):
        if self.graph is not None:
            self.graph.replay()
            return
        if not self.warmed:
            side = torch.cuda.Stream(device=self.trainer.device)
            side.wait_stream(torch.cuda.current_stream(self.trainer.device))
            with torch.cuda.stream(side):
                self._batches()
            torch.cuda.current_stream(self.trainer.device).wait_stream(side)
            self.warmed = True
            return
        try:
            # recording runs no kernel: the state is untouched until replay
            graph = torch.cuda.CUDAGraph()
            # thread_local: CUDA calls made by other threads meanwhile (a
            # threaded grid search on the same GPU) are not refused as
            # unsafe during this recording
            with torch.cuda.graph(graph, capture_error_mode="thread_local"):
                self._batches()
        except Exception:  # recording is an optimisation: fall back
            self.failed = True
            self._batches()
            return
        self.graph = graph
        self.graph.replay()

    def run_epoch(self):
        """The epoch (its data already in order); mean loss and finiteness."""
        opt = self.trainer.optimizer
        self.lr.fill_(opt.lr)
        self.step.fill_(float(opt.t))
        self._execute()
        opt.t += self.n_batches
        fused_step = getattr(opt, "_step_t", None)
        if fused_step is not None:  # the fused kernel's own step count
            fused_step.fill_(float(opt.t))
        return self.total.item(), bool(self.ok.item())


def full_batch_loss_and_grad(net, rows, targets, alpha, chunk=4096):
    """Loss and gradient over all samples (for L-BFGS), summed over chunks."""
    n = rows.n
    net._buffers(min(chunk, n), [0.0] * net.n_layers)
    total_loss = torch.zeros((), dtype=net.dtype, device=net.device)
    total_grad = torch.zeros_like(net.grads)
    if targets.weighted:
        wsum = float(targets.w.sum().item())
        inv = 1.0 / wsum if wsum > 0 else 0.0
    else:
        inv = 1.0 / n
    zero = [0.0] * net.n_layers
    nchunks = (n + chunk - 1) // chunk
    for start in range(0, n, chunk):
        idx = slice(start, min(start + chunk, n))
        xb = rows.take(idx)
        # the penalty is added once, split evenly over the chunks
        loss = net.loss_and_grad(
            xb, targets.take(idx), alpha / nchunks, zero, None, inv
        )
        total_loss += loss
        total_grad += net.grads
    net.grads.copy_(total_grad)
    return total_loss


def predict_raw(net, rows, chunk_size):
    """Output pre-activations for all rows, in chunks, under inference mode.

    The output is allocated once, before any activations, and each chunk's
    activations are written into buffers made once per call (per call, not
    per network, so that threads predicting at once share nothing): small
    per-chunk outputs kept between large transient blocks would fragment the
    host heap, and fresh blocks per chunk cost page faults.
    """
    n, L = rows.n, net.n_layers
    kw = dict(dtype=net.dtype, device=net.device)
    fwd, _, needs_z = ACTIVATIONS[net.activation]
    with torch.inference_mode():
        out = torch.empty(n, net.layer_sizes[-1], **kw)
        m = max(1, min(chunk_size, n))
        hidden = net.layer_sizes[1:-1]
        Z = [torch.empty(m, u, **kw) for u in hidden]
        A = [torch.empty(m, u, **kw) if needs_z else None for u in hidden]
        start = 0
        for xb in rows.chunks(m):
            c = xb.shape[0]
            a = xb
            for i in range(L - 1):
                z = torch.addmm(net.b[i], a, net.WT[i], out=Z[i][:c])
                a = fwd(z, None if A[i] is None else A[i][:c])
            torch.addmm(net.b[-1], a, net.WT[-1], out=out[start : start + c])
            start += c
    return out
