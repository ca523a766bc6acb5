"""A network as a list of layers over one flat parameter tensor.

Every weight matrix comes first in the flat tensor, then every bias; each
layer's weights and biases are views into it, and the gradient and the
optimizer's state are flat tensors of the same shape.  So an optimizer step
is a handful of element-wise kernels over one tensor, and the L2 penalty
touches the one contiguous slice that holds the weights.

The backward pass is backpropagation's delta rule written out: each layer
turns the gradient with respect to its output into the gradient with
respect to its input (``delta`` of layer m-1 is ``g'(z) * (W delta)``), with
no autograd graph.  :meth:`Network.autograd_loss_and_grad` computes the same
gradient through ``torch.autograd``: the reference the tests compare the
fast path with, and the path of mixed precision under autocast (float16,
and bfloat16 off the CPU).  bfloat16 on the CPU trains on the written-out
path with bfloat16 matrix products (:meth:`Network.set_matmul_dtype`).
"""

from contextlib import nullcontext

import numpy as np
import torch

from .layers import Activation, Dense, Dropout, Embedding, Periodic, Scale
from .layout import embedding_layout
from .losses import LOSSES


class Network:
    """A dense network whose parameters are views into one flat tensor.

    Parameters
    ----------
    layer_sizes : list of int
        ``[n_features, *hidden_layer_sizes, n_outputs]``.
    activation : str
        Hidden activation, a key of :data:`layers.ACTIVATIONS`.
    loss : str
        A key of :data:`losses.LOSSES`; fixes the output activation.
    inputs : tuple (n_features, n_frequencies, scale, columns[, embed]) or None
        Input layers in front of the first dense layer: ``n_frequencies``
        learned periodic features for each of ``columns`` (a tuple of column
        indices; None: every column) (:class:`layers.Periodic`; the first
        dense layer then takes ``n_features + len(columns) * n_frequencies``
        inputs); ``embed``, a tuple ``(code_columns, levels, dim)`` or None,
        replaces each of ``code_columns`` (category codes, none of them
        periodic) by a learned ``dim``-vector per level
        (:class:`layers.Embedding`: ``len(code_columns) * (dim - 1)`` more
        inputs); and, when ``scale``, a learned factor per column of what
        the dense layer sees (:class:`layers.Scale`).  Their parameters
        follow the biases in the flat tensor (scale, frequencies, phases,
        embeddings) and get no weight penalty.
    """

    def __init__(
        self, layer_sizes, activation, loss, dtype, device, grads=True, inputs=None
    ):
        self.layer_sizes = list(layer_sizes)
        inputs = tuple(inputs or (self.layer_sizes[0], 0, False, None))
        n_features, n_freq, scale, columns, embed = inputs + (None,) * (5 - len(inputs))
        n_periodic = n_features if columns is None else len(columns)
        n_codes, n_embedded = 0, 0
        if embed is not None:
            n_codes, n_embedded = len(embed[0]), len(embed[0]) * embed[2]
        width = n_features + n_periodic * n_freq - n_codes + n_embedded
        if width != self.layer_sizes[0]:
            raise ValueError(
                f"{n_features} features, {n_periodic} of them with {n_freq} "
                f"frequencies and {n_codes} embedded, do not make the "
                f"{self.layer_sizes[0]} inputs of the first layer"
            )
        self.inputs = (n_features, n_freq, bool(scale), columns, embed)
        self.n_periodic = n_periodic
        self._columns = None
        if columns is not None and n_freq:
            self._columns = torch.as_tensor(columns, dtype=torch.long, device=device)
        self._embed_index = None
        if embed is not None:
            cosines = n_periodic * n_freq
            self._embed_index = self._embedding_index(embed, cosines, device)
        self.activation = activation
        self.loss = LOSSES[loss]
        self.dtype = dtype
        self.device = device
        self.shapes = list(zip(self.layer_sizes[:-1], self.layer_sizes[1:]))
        self.n_layers = len(self.shapes)
        self.n_coef = sum(i * o for i, o in self.shapes)
        self.n_dense = self.n_coef + sum(o for _, o in self.shapes)
        n_params = self.n_dense + self._n_input_params()
        self.params = torch.zeros(n_params, dtype=dtype, device=device)
        self.W, self.b = self._views(self.params)
        self.extra = self._input_views(self.params)
        self.coef = self.params[: self.n_coef]
        self.grads = None
        if grads:
            self.grads = torch.zeros_like(self.params)
            self.gW, self.gb = self._views(self.grads)
            self.gextra = self._input_views(self.grads)
            self.coef_grad = self.grads[: self.n_coef]
        self._training = (None, None)  # (batch size, dropout) and its layers
        # the dtype of the training products (None: self.dtype); see
        # set_matmul_dtype
        self.matmul_dtype = None
        self._lowp = None  # (flat low-precision weights, their gradient)

    def _views(self, flat):
        Ws, bs, pos = [], [], 0
        for i, o in self.shapes:
            Ws.append(flat[pos : pos + i * o].view(o, i))
            pos += i * o
        for _, o in self.shapes:
            bs.append(flat[pos : pos + o])
            pos += o
        return Ws, bs

    def _embedding_index(self, embed, n_cosines, device):
        """The index tensors of :class:`layers.Embedding`: the code
        columns, the columns it keeps (X's others, then the cosines of the
        periodic layer in front of it) and each column's first table row."""
        codes, levels, _ = embed
        kept, offsets = embedding_layout(codes, levels, self.inputs[0] + n_cosines)
        codes = np.asarray(codes, dtype=np.int64)
        return tuple(torch.as_tensor(a, device=device) for a in (codes, kept, offsets))

    def _n_input_params(self):
        _, k, scale, _, embed = self.inputs
        n = (self.layer_sizes[0] if scale else 0) + 2 * self.n_periodic * k
        if embed is not None:
            n += sum(embed[1]) * embed[2]
        return n

    def _input_views(self, flat):
        """The input layers' parameters in ``flat``: {'scale': (m,),
        'frequencies': (c, K), 'phases': (c, K), 'embeddings': (L, dim)},
        those that exist (c periodic columns, L levels of all the embedded
        columns together)."""
        _, k, scale, _, embed = self.inputs
        d = self.n_periodic
        out, pos = {}, self.n_dense
        if scale:
            m = self.layer_sizes[0]
            out["scale"] = flat[pos : pos + m]
            pos += m
        if k:
            out["frequencies"] = flat[pos : pos + d * k].view(d, k)
            out["phases"] = flat[pos + d * k : pos + 2 * d * k].view(d, k)
            pos += 2 * d * k
        if embed is not None:
            rows, dim = sum(embed[1]), embed[2]
            out["embeddings"] = flat[pos : pos + rows * dim].view(rows, dim)
        return out

    def set_input_params(self, values):
        """Copy the input layers' parameters (numpy, by name) in; the
        embeddings as one table per column."""
        for name, t in self.extra.items():
            v = values[name]
            if name == "embeddings":
                v = np.concatenate([np.asarray(b).reshape(-1, t.shape[1]) for b in v])
            t.copy_(torch.as_tensor(np.asarray(v)))

    def get_input_params(self, params=None):
        """The input layers' parameters as numpy arrays, by name (the
        embeddings as a list of one (levels, dim) table per column)."""
        params = self.params if params is None else params
        flat = params.detach().to("cpu", copy=True)
        out = {k: v.numpy() for k, v in self._input_views(flat).items()}
        d, _, _, columns, embed = self.inputs
        if "phases" in out:  # which columns they belong to (not trained)
            out["columns"] = np.arange(d) if columns is None else np.array(columns)
        if embed is not None:
            bounds = np.cumsum(embed[1])[:-1]
            out["embeddings"] = [t.copy() for t in np.split(out["embeddings"], bounds)]
            out["embedding_columns"] = np.array(embed[0], dtype=np.int64)
        return out

    # -- state in and out, as numpy ---------------------------------------
    def set_weights(self, coefs, intercepts):
        """Copy scikit-learn's (in, out) matrices and bias vectors in."""
        for W, c in zip(self.W, coefs):
            W.copy_(torch.as_tensor(np.asarray(c)).T)
        for b, c in zip(self.b, intercepts):
            b.copy_(torch.as_tensor(np.asarray(c)))

    def get_weights(self, params=None):
        """The weights as scikit-learn's (in, out) numpy matrices and biases."""
        params = self.params if params is None else params
        flat = params.detach().to("cpu", copy=True).numpy()
        Ws, bs = self._views(torch.from_numpy(flat))
        return [np.ascontiguousarray(w.numpy().T) for w in Ws], [b.numpy() for b in bs]

    def set_matmul_dtype(self, dtype):
        """Run the training products (forward and backward) of the written-out
        path in ``dtype`` (``torch.bfloat16``), the weights cast to it once
        per batch; ``None``: in the network's own dtype.  Everything else,
        and prediction, stays in ``self.dtype``."""
        if dtype == self.dtype:
            dtype = None
        if dtype != self.matmul_dtype:
            self.matmul_dtype = dtype
            self._training = (None, None)
            self._lowp = None
            if dtype is not None:
                kw = dict(dtype=dtype, device=self.device)
                lp = torch.empty(self.n_coef, **kw)
                glp = torch.empty(self.n_coef, **kw)
                self._lowp = (lp, glp, self._views(lp)[0], self._views(glp)[0])

    # -- the layers --------------------------------------------------------
    def layers(self, rows, dropout=None, backward=True):
        """A new list of layers with buffers for ``rows`` rows: dense,
        activation and (where its rate is positive) dropout for each hidden
        layer, then the output's dense layer."""
        kw = dict(dtype=self.dtype, device=self.device)
        # the column scale goes into the first dense layer (which then needs
        # no gradient of its input for it), except with bfloat16 products
        lowp_training = backward and self._lowp is not None
        fuse = "scale" in self.extra and not lowp_training
        out = self._input_layers(rows, kw, backward, scale_layer=not fuse)
        for i in range(self.n_layers):
            grads = (self.gW[i], self.gb[i]) if backward else (None, None)
            lowp, extra = None, {}
            if lowp_training:
                lowp = (self._lowp[2][i], self._lowp[3][i])
            if i == 0:
                extra["grad_from"] = self._raw_columns(scale_layer=not fuse)
                if fuse:
                    gs = self.gextra["scale"] if backward else None
                    extra["scale"] = (self.extra["scale"], gs)
            first = i == 0 and not out
            dense = Dense(self.W[i], self.b[i], *grads, first=first, lowp=lowp, **extra)
            # prediction writes the last layer straight into its output
            dense.allocate(rows, kw, backward, backward or i < self.n_layers - 1)
            out.append(dense)
            if i == self.n_layers - 1:
                break
            units = self.layer_sizes[i + 1]
            act = Activation(self.activation)
            act.allocate(rows, units, kw)
            out.append(act)
            if dropout is not None and dropout[i] > 0:
                drop = Dropout(dropout[i])
                drop.allocate(rows, units, kw)
                out.append(drop)
        return out

    def _raw_columns(self, scale_layer):
        """The first dense layer's leading inputs that are X's columns as
        they come (no input layer before needs their gradient): all of X's
        but the embedded ones, in front of the periodic features and the
        vectors; none when a separate scale layer needs every gradient."""
        d, k, _, _, embed = self.inputs
        if scale_layer and "scale" in self.extra:
            return 0
        if not (k or embed):
            return 0  # nothing before the dense layer (or the scale alone)
        return d - (0 if embed is None else len(embed[0]))

    def _input_layers(self, rows, kw, backward, scale_layer=True):
        """Periodic features, the embeddings, then the per-column scale,
        where enabled (``scale_layer=False``: the first dense layer takes
        the scale in)."""
        out = []
        e = self.extra
        g = self.gextra if backward else {}
        if "frequencies" in e:
            out.append(
                Periodic(
                    e["frequencies"],
                    e["phases"],
                    g.get("frequencies"),
                    g.get("phases"),
                    self._columns,
                    self.inputs[0],
                )
            )
        if "embeddings" in e:
            out.append(
                Embedding(
                    e["embeddings"],
                    g.get("embeddings"),
                    *self._embed_index,
                    first=not out,
                )
            )
        if "scale" in e and scale_layer:
            out.append(Scale(e["scale"], g.get("scale"), first=not out))
        for layer in out:
            layer.allocate(rows, kw, backward)
        return out

    def input_reference(self, a, extra):
        """The input layers out of place (``extra``: views as
        :meth:`_input_views` gives them)."""
        if "frequencies" in extra:
            a = Periodic.reference(
                a, extra["frequencies"], extra["phases"], self._columns
            )
        if "embeddings" in extra:
            a = Embedding.reference(a, extra["embeddings"], *self._embed_index)
        if "scale" in extra:
            a = Scale.reference(a, extra["scale"])
        return a

    def training_layers(self, batch_size, dropout):
        """The layers for batches of at most ``batch_size`` rows, made once
        per batch size and dropout setting."""
        key = (batch_size, tuple(dropout))
        if self._training[0] != key:
            self._training = (key, self.layers(batch_size, dropout))
        return self._training[1]

    # -- the fast path: forward + backward written out --------------------
    def loss_and_grad(self, xb, target, alpha, dropout, generator, scale):
        """Fill ``self.grads`` for one batch and return the batch loss (0-dim).

        ``target`` is the batch's ``(weight, target)`` pair from
        :class:`losses.Targets`; ``scale`` is ``1 / sum of the batch's
        sample weights`` (a float, or a 0-dim tensor when samples are
        weighted).
        """
        n = xb.shape[0]
        layers = self._layers_for(n, dropout)
        if self._lowp is not None:  # the weights in bfloat16, once per batch
            self._lowp[0].copy_(self.coef)
        a = xb
        for layer in layers:
            a = layer.forward(a, n, generator)
        delta, loss = self.loss.delta_and_loss(a, *target)
        if a.shape[1] > 1 and getattr(self.loss, "mean_over_outputs", False):
            loss = loss / a.shape[1]  # reported only: delta keeps the sum's
        if alpha:
            loss = torch.add(loss, torch.dot(self.coef, self.coef), alpha=0.5 * alpha)
        loss = loss.mul_(scale)
        delta.mul_(scale)
        for layer in reversed(layers):
            delta = layer.backward(delta, n)
        if alpha:
            if torch.is_tensor(scale):
                self.coef_grad.addcmul_(self.coef, scale * alpha)
            else:
                self.coef_grad.add_(self.coef, alpha=alpha * scale)
        return loss

    def _layers_for(self, n, dropout):
        """The current training layers when they fit a batch of n rows with
        this dropout, else new ones for n rows."""
        key, layers = self._training
        if key is None or key[1] != tuple(dropout) or key[0] < n:
            return self.training_layers(n, dropout)
        return layers

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
        leaf = self.params.detach().requires_grad_(True)
        W, b = self._views(leaf)
        extra = self._input_views(leaf)
        ctx = (
            torch.autocast(device_type=self.device.type, dtype=autocast)
            if autocast is not None
            else nullcontext()
        )
        act = Activation(self.activation)
        with torch.enable_grad():
            with ctx:
                z = self.forward_reference(
                    self.input_reference(xb, extra), W, b, act, dropout, generator
                )
            z = z.to(self.dtype)
            data = self.loss.reference(z, *target)
            coef = leaf[: self.n_coef]
            penalty = 0.5 * alpha * torch.dot(coef, coef)
            loss = (data + penalty) * scale
            if loss_scale is None:
                (grad,) = torch.autograd.grad(loss, leaf)
            else:
                (grad,) = torch.autograd.grad(loss * loss_scale, leaf)
                grad = grad.div_(loss_scale)
        self.grads.copy_(grad)
        if z.shape[1] > 1 and getattr(self.loss, "mean_over_outputs", False):
            # reported as loss_and_grad reports it (see losses.SquaredError)
            return ((data.detach() / z.shape[1] + penalty.detach()) * scale).detach()
        return loss.detach()

    def forward_reference(self, a, W, b, act, dropout=None, generator=None):
        """The output pre-activation, out of place (differentiable), from
        the first dense layer's input (after :meth:`input_reference`)."""
        for i in range(self.n_layers):
            z = Dense.reference(a, W[i], b[i])
            if i < self.n_layers - 1:
                a = act.reference(z)
                if dropout is not None and dropout[i] > 0:
                    drop = Dropout(dropout[i])
                    a = drop.reference(a, generator, self.dtype, self.device)
        return z

    def hidden_activations(self, X):
        """Each hidden layer's activation for the rows X, out of place."""
        act = Activation(self.activation)
        out, a = [], self.input_reference(X, self.extra)
        for i in range(self.n_layers - 1):
            a = act.reference(Dense.reference(a, self.W[i], self.b[i]))
            out.append(a)
        return out
