"""The pieces a network is made of, each with its backward pass written out.

A layer object is cheap: it holds views into the network's flat parameter
and gradient tensors and the buffers of one batch size, and it remembers
what its backward pass needs from the last forward pass.  The network makes
a fresh list of layers for each batch size and dropout setting (training)
or for each prediction call (so that threads predicting at once share no
buffer).

Every layer has

``forward(a, n, generator)``
    the output for the first ``n`` rows of its buffers, fast and in place
    where the arithmetic allows (``generator`` draws dropout masks; the
    other layers ignore it, so the network calls every layer alike);
``backward(delta, n)``
    the gradient with respect to its input, given the gradient with respect
    to its output, writing its parameters' gradients as it goes;
``reference(a, params)``
    the same forward pass out of place, through ordinary torch operations,
    so that ``torch.autograd`` can differentiate it: the tests check every
    ``backward`` against it, and mixed precision trains through it.

Adding a kind of layer (an input embedding, a per-feature scaling, a
parametric activation) means adding one class here with these three methods
and its gradient test; the training loop and the estimators do not change.
"""

import torch
import torch.nn.functional as F

from . import compat

LEAKY_SLOPE = 0.01
_aten = compat.aten()


# Activations: forward writing into ``out`` (or in place), derivative from
# (delta, z, a), and whether the derivative needs the pre-activation ``z``
# kept apart from the output ``a``.  Those whose derivative can be written
# with their output run fully in place: the output overwrites ``z``.
def _identity_fwd(z, out):
    return z


def _identity_bwd(delta, z, a):
    return delta


def _relu_bwd(delta, z, a):
    return _aten.threshold_backward(delta, a, 0)


def _tanh_bwd(delta, z, a):
    return _aten.tanh_backward(delta, a)


def _logistic_bwd(delta, z, a):
    return _aten.sigmoid_backward(delta, a)


def _leaky_relu_bwd(delta, z, a):
    return _aten.leaky_relu_backward(delta, a, LEAKY_SLOPE, True)


def _elu_bwd(delta, z, a):
    return _aten.elu_backward(delta, 1.0, 1, 1, True, a)


def _gelu_fwd(z, out):
    return _aten.gelu.out(z, out=out)


def _silu_fwd(z, out):
    return _aten.silu.out(z, out=out)


ACTIVATIONS = {
    # name: (in-place forward, backward, needs z, out-of-place function)
    "identity": (_identity_fwd, _identity_bwd, False, lambda z: z),
    "relu": (lambda z, out: z.relu_(), _relu_bwd, False, torch.relu),
    "tanh": (lambda z, out: z.tanh_(), _tanh_bwd, False, torch.tanh),
    "logistic": (lambda z, out: z.sigmoid_(), _logistic_bwd, False, torch.sigmoid),
    "leaky_relu": (
        lambda z, out: F.leaky_relu_(z, LEAKY_SLOPE),
        _leaky_relu_bwd,
        False,
        lambda z: F.leaky_relu(z, LEAKY_SLOPE),
    ),
    "elu": (lambda z, out: F.elu_(z), _elu_bwd, False, F.elu),
    "gelu": (_gelu_fwd, lambda d, z, a: _aten.gelu_backward(d, z), True, F.gelu),
    "silu": (_silu_fwd, lambda d, z, a: _aten.silu_backward(d, z), True, F.silu),
}


class _Buffers:
    """Buffers of one batch size, cut to the rows of each batch (the views
    of each row count made once)."""

    def __init__(self):
        self.full = {}
        self._cuts = {}

    def add(self, name, rows, cols, kw):
        self.full[name] = torch.empty(rows, cols, **kw)

    def cut(self, n):
        views = self._cuts.get(n)
        if views is None:
            views = self._cuts[n] = {k: t[:n] for k, t in self.full.items()}
        return views


class Dense:
    """``z = a W^T + b`` with W stored (out, in), as ``torch.nn.Linear``
    stores it: products with a narrow output run faster that way round.

    With ``lowp`` (a dtype, bfloat16) the three products (``a W^T``,
    ``delta^T a``, ``delta W``) run in that dtype: ``lowp`` holds
    ``(W_lp, gW_lp)``, views of the network's low-precision copy of the
    weights (cast once per batch, by the network) and of a low-precision
    weight-gradient buffer.  The input and ``delta`` are cast once each
    into buffers of their own; every product's result is written back to
    the float32 tensors (the bias is added in float32 in that same kernel),
    so biases, activations, the loss and the optimizer stay float32.
    torch's CPU matrix products accumulate in float32 inside the kernel and
    round the result to bfloat16 (``out_dtype=float32`` is CUDA-only in
    torch 2.13); casting it back keeps that one rounding.

    ``scale`` (the first dense layer only, not with ``lowp``): ``(s, gs)``,
    the learned per-input factor of :class:`Scale` taken into this layer,
    ``z = (a * s) W^T + b``.  Its gradient then needs no gradient of the
    input: with ``M = delta^T a`` (the product the weight gradient takes
    anyway), ``dW = M * s`` and ``ds = sum over outputs of W * M``, so the
    ``delta W`` product is skipped where nothing before needs it.
    ``grad_from``: the first input column whose gradient the layers before
    need (the columns before it hold X's raw values); the gradient of the
    input is computed from there on and is zero before.
    """

    def __init__(
        self,
        W,
        b,
        gW=None,
        gb=None,
        first=False,
        lowp=None,
        scale=None,
        grad_from=0,
    ):
        if scale is not None and lowp is not None:
            # the bfloat16 backward knows no scale: keep a Scale layer then
            raise ValueError("a dense layer takes a scale or lowp, not both")
        self.W, self.b, self.gW, self.gb = W, b, gW, gb
        self.WT = W.T
        self.first = first  # the input layer needs no gradient for X
        self.bufs = _Buffers()
        self.input = None
        self.lowp = lowp
        if lowp is not None:
            self.W_lp, self.gW_lp = lowp
            self.WT_lp = self.W_lp.T
        self.s, self.gs = scale if scale is not None else (None, None)
        self.grad_from = grad_from
        self.W_tail = W[:, grad_from:]

    def allocate(self, rows, kw, backward, output=True):
        """Buffers for ``rows`` rows: the output (unless the caller gives
        one to :meth:`forward`) and, for training, the input's gradient."""
        out_units, in_units = self.W.shape
        if output:
            self.bufs.add("z", rows, out_units, kw)
        if backward and not self.first:
            self.bufs.add("grad_in", rows, in_units, kw)
            # columns before grad_from are never written: zero for good
            self.bufs.full["grad_in"][:, : self.grad_from].zero_()
        if self.s is not None:
            self.bufs.add("scaled", rows, in_units, kw)
            if backward:  # W * M, summed over the outputs for ds
                self.WM = torch.empty(out_units, in_units, **kw)
        if self.lowp is not None:
            lp = dict(kw, dtype=self.W_lp.dtype)
            self.bufs.add("a_lp", rows, in_units, lp)
            self.bufs.add("z_lp", rows, out_units, lp)
            if backward:
                self.bufs.add("delta_lp", rows, out_units, lp)
                if not self.first:
                    self.bufs.add("grad_in_lp", rows, in_units, lp)

    def forward(self, a, n, generator=None, out=None):
        self.input = a
        if out is None:
            out = self.bufs.cut(n)["z"]
        if self.s is not None:
            a = torch.mul(a, self.s, out=self.bufs.cut(n)["scaled"])
        if self.lowp is None:
            return torch.addmm(self.b, a, self.WT, out=out)
        views = self.bufs.cut(n)
        a_lp = views["a_lp"].copy_(a)
        z_lp = torch.mm(a_lp, self.WT_lp, out=views["z_lp"])
        return torch.add(self.b, z_lp, out=out)  # bfloat16 + float32 -> float32

    def backward(self, delta, n):
        if self.lowp is not None:
            return self._backward_lowp(delta, n)
        torch.mm(delta.T, self.input, out=self.gW)  # M = delta^T a, unscaled
        if self.s is not None:
            torch.sum(torch.mul(self.W, self.gW, out=self.WM), 0, out=self.gs)
            self.gW.mul_(self.s)
        torch.sum(delta, 0, out=self.gb)
        if self.first:
            return None
        g = self.bufs.cut(n)["grad_in"]
        c = self.grad_from
        torch.mm(delta, self.W_tail, out=g[:, c:])
        if self.s is not None:
            g[:, c:].mul_(self.s[c:])
        return g

    def _backward_lowp(self, delta, n):
        views = self.bufs.cut(n)
        torch.sum(delta, 0, out=self.gb)
        d_lp = views["delta_lp"].copy_(delta)
        torch.mm(d_lp.T, views["a_lp"], out=self.gW_lp)
        self.gW.copy_(self.gW_lp)
        if self.first:
            return None
        c = self.grad_from
        g_lp = views["grad_in_lp"][:, c:]
        torch.mm(d_lp, self.W_lp[:, c:], out=g_lp)
        g = views["grad_in"]
        g[:, c:].copy_(g_lp)
        return g

    @staticmethod
    def reference(a, W, b):
        return torch.addmm(b, a, W.T)


class Activation:
    """A hidden layer's activation, in place where its derivative can be
    written through its output."""

    def __init__(self, name):
        self.name = name
        self.fwd, self.bwd, self.needs_z, self.func = ACTIVATIONS[name]
        self.bufs = _Buffers()
        self.z = self.a = None

    def allocate(self, rows, units, kw):
        if self.needs_z:
            self.bufs.add("out", rows, units, kw)

    def forward(self, z, n, generator=None):
        out = self.bufs.cut(n)["out"] if self.needs_z else None
        self.z = z
        self.a = self.fwd(z, out)
        return self.a

    def backward(self, delta, n):
        return self.bwd(delta, self.z, self.a)

    def reference(self, z):
        return self.func(z)


def _keep_threshold(p):
    """The dropout rate as a count of dropped codes among the 65536 values
    of a 16-bit draw, and the factor that rescales the kept units.

    The rate is rounded to a multiple of 1 / 65536 (0.15 becomes
    0.1499939), and the kept units are scaled by the rounded rate's
    ``1 / (1 - p)``, so the expected output still equals the input (up to
    the rounding of that factor in the mask's dtype)."""
    dropped = min(max(int(round(p * 65536.0)), 0), 65535)
    return dropped - 32768, 65536.0 / (65536 - dropped)


# devices where ``random_(-2**63, None)`` fills int64 tensors with 64 random
# bits (CPU and CUDA since torch 1.5); MPS and XPU are not verified
FULL_RANGE_DEVICES = ("cpu", "cuda")


def _full_range(device):
    return torch.device(device).type in FULL_RANGE_DEVICES


def _draw_mask(out, bits, keep, threshold, scale, generator):
    """Writes a dropout mask (0 or ``scale``) into ``out`` from 16 random
    bits per unit.

    ``bits`` is an int64 buffer of ``out``'s rows and a quarter of its
    columns, rounded up (None off :data:`FULL_RANGE_DEVICES`): one draw of
    64 bits serves four units, which costs about a third of what
    ``bernoulli_`` takes for one float per unit.  A unit is kept when its
    16 bits, read as a signed integer, are at least ``threshold``; ``keep``
    is a bool buffer the shape of ``out``, ``scale`` a 0-d tensor of its
    dtype (a Python float would be applied in float32)."""
    if bits is None:
        # torch's full-range integer draw is checked on some devices only;
        # elsewhere one float32 uniform per unit (exact against d / 65536,
        # whatever torch's default dtype), at the same rounded rate
        u = torch.rand(
            out.shape, generator=generator, device=out.device, dtype=torch.float32
        )
        torch.ge(u, (threshold + 32768) / 65536.0, out=keep)
        return torch.mul(keep, scale, out=out)
    # a full 64-bit range: random_() alone leaves the sign bit clear, which
    # would bias every fourth unit
    bits.random_(-(2**63), None, generator=generator)
    codes = bits.view(torch.int16)[:, : out.shape[1]]
    torch.ge(codes, threshold, out=keep)
    return torch.mul(keep, scale, out=out)


class Dropout:
    """Zeroes each unit with probability ``p`` and scales the kept ones by
    ``1 / (1 - p)`` (so prediction, without dropout, needs no rescaling).
    The dropped activation goes to its own buffer: the activation's
    derivative reads the kept one.  Masks come from :func:`_draw_mask`, on
    the fast path and the reference path alike."""

    def __init__(self, p):
        self.p = p
        self.threshold, self.scale = _keep_threshold(p)
        self.bufs = _Buffers()
        self.mask = None

    def allocate(self, rows, units, kw):
        self.bufs.add("mask", rows, units, kw)
        self.bufs.add("out", rows, units, kw)
        self.bufs.add("keep", rows, units, {**kw, "dtype": torch.bool})
        # four 16-bit codes per int64, as a (rows, ceil(units / 4)) buffer
        # so that the first n rows cover the first n rows of units
        if _full_range(kw["device"]):
            self.bufs.add("bits", rows, -(-units // 4), {**kw, "dtype": torch.int64})
        self.scale_t = torch.tensor(self.scale, **kw)

    def forward(self, a, n, generator):
        views = self.bufs.cut(n)
        self.mask = _draw_mask(
            views["mask"],
            views.get("bits"),
            views["keep"],
            self.threshold,
            self.scale_t,
            generator,
        )
        return torch.mul(a, self.mask, out=views["out"])

    def backward(self, delta, n):
        return delta.mul_(self.mask)

    def reference(self, a, generator, dtype, device):
        rows, units = a.shape
        mask = torch.empty(a.shape, dtype=dtype, device=device)
        bits = None
        if _full_range(device):
            bits = torch.empty(rows, -(-units // 4), dtype=torch.int64, device=device)
        keep = torch.empty(a.shape, dtype=torch.bool, device=device)
        scale = torch.tensor(self.scale, dtype=dtype, device=device)
        _draw_mask(mask, bits, keep, self.threshold, scale, generator)
        # the mask stays in the network's dtype: under autocast a's lower
        # precision would round the kept units' scale (1/0.85 to 1.1797 in
        # bfloat16) and bias the layer's expected output
        return a * mask


# -- input layers: between X and the first dense layer ----------------------
TWO_PI = 2.0 * 3.141592653589793


class Periodic:
    """Learned periodic features of input columns.

    For periodic column ``j`` (the ``j``-th of ``columns``, all columns when
    None) and frequency ``k`` the layer adds ``cos(2 pi f[j, k] x_j + p[j,
    k])`` after the untouched input: ``out = [x, cos(...)]``, the cosines of
    periodic column j at ``d + j K + k``.  Frequencies and phases are
    parameters (trained like the weights), so where a column's periodic
    features do not help the next dense layer can damp them while the raw
    value stays.  It is always the network's first layer: no gradient flows
    back to X.
    """

    def __init__(self, F, P, gF=None, gP=None, columns=None, n_features=None):
        self.F, self.P, self.gF, self.gP = F, P, gF, gP
        self.columns = columns  # a device tensor of column indices, or None
        self.d = F.shape[0] if columns is None else n_features
        self.bufs = _Buffers()
        self.input = None

    def allocate(self, rows, kw, backward):
        c, k = self.F.shape
        self.bufs.add("out", rows, self.d + c * k, kw)
        if self.columns is not None:
            self.bufs.add("picked", rows, c, kw)
        if backward:
            self.bufs.add("sin", rows, c * k, kw)

    def _picked(self, a, views):
        if self.columns is None:
            return a
        return torch.index_select(a, 1, self.columns, out=views["picked"])

    def forward(self, a, n, generator=None):
        c, k = self.F.shape
        d = self.d
        views = self.bufs.cut(n)
        out = views["out"]
        out[:, :d].copy_(a)
        x = self._picked(a, views)
        u = out[:, d:].view(n, c, k)
        torch.addcmul(self.P, x.unsqueeze(2), self.F, value=TWO_PI, out=u)
        if self.gF is not None:  # training: the derivative needs sin(u)
            self.input = x
            torch.sin(u, out=views["sin"].view(n, c, k))
        u.cos_()
        return out

    def backward(self, delta, n):
        c, k = self.F.shape
        d = self.d
        # d loss / d u = -delta_cos * sin(u), written over the sin buffer
        g = self.bufs.cut(n)["sin"].view(n, c, k)
        g.mul_(delta[:, d:].view(n, c, k)).neg_()
        torch.sum(g, 0, out=self.gP)
        g.mul_(self.input.unsqueeze(2))
        torch.sum(g, 0, out=self.gF)
        self.gF.mul_(TWO_PI)
        return None

    @staticmethod
    def reference(a, F, P, columns=None):
        x = a if columns is None else a[:, columns]
        u = torch.addcmul(P, x.unsqueeze(2), F, value=TWO_PI)
        return torch.cat([a, torch.cos(u).reshape(a.shape[0], -1)], dim=1)


class Scale:
    """A learned factor per input column, ``out = x * s``: the network can
    shrink the columns it finds noisy (and stretch useful ones) at the cost
    of one parameter each, before any weight sees them."""

    def __init__(self, s, gs=None, first=True):
        self.s, self.gs, self.first = s, gs, first
        self.bufs = _Buffers()
        self.input = None

    def allocate(self, rows, kw, backward):
        m = self.s.shape[0]
        self.bufs.add("out", rows, m, kw)
        if backward:
            self.bufs.add("tmp", rows, m, kw)

    def forward(self, a, n, generator=None):
        self.input = a
        return torch.mul(a, self.s, out=self.bufs.cut(n)["out"])

    def backward(self, delta, n):
        views = self.bufs.cut(n)
        torch.sum(torch.mul(delta, self.input, out=views["tmp"]), 0, out=self.gs)
        if self.first:
            return None
        return delta.mul_(self.s)

    @staticmethod
    def reference(a, s):
        return a * s


class Embedding:
    """A learned vector for each level of categorical input columns.

    Columns ``columns`` of the input hold integer category codes (as
    floats: code ``c`` of column j, with ``0 <= c < levels[j]``, or -1 for
    a category unknown to the table, whose vector is zero and gets no
    gradient).  The layer drops those columns and appends the vector of
    each row's code:
    ``out = [a without the code columns, T_1[c_1], ..., T_m[c_m]]``, in the
    order of ``columns``.  Every column's table is a block of rows of one
    (sum of levels, dim) parameter matrix ``T``; ``offsets[j]`` is the
    first row of column j's block.  A level's vector is trained by the rows
    that carry it, like a one-hot column's weights, but costs ``dim``
    inputs of the next layer instead of one per level.

    ``first``: nothing before it needs the gradient of its input (X);
    otherwise the gradient goes back to the kept columns, zero at the
    codes (which are not differentiable).
    """

    def __init__(self, T, gT=None, columns=None, kept=None, offsets=None, first=True):
        self.T, self.gT = T, gT
        self.columns, self.kept, self.offsets = columns, kept, offsets
        self.first = first
        self.bufs = _Buffers()
        self.idx = None

    def allocate(self, rows, kw, backward):
        m, k = self.columns.shape[0], self.kept.shape[0]
        e = self.T.shape[1]
        self.bufs.add("out", rows, k + m * e, kw)
        self.bufs.add("codes", rows, m, kw)
        self.bufs.add("idx", rows, m, {**kw, "dtype": torch.long})
        self.bufs.add("known", rows, m, {**kw, "dtype": torch.bool})
        # the looked-up vectors, then (training) their gradients: one row
        # per (row, code column), so that the batch's first n rows are
        # its first n * m
        self.bufs.add("vectors", rows * m, e, kw)
        if backward and not self.first:
            self.bufs.add("grad_in", rows, k + m, kw)

    def forward(self, a, n, generator=None):
        m, k = self.columns.shape[0], self.kept.shape[0]
        e = self.T.shape[1]
        views = self.bufs.cut(n)
        out = views["out"]
        torch.index_select(a, 1, self.kept, out=out[:, :k])
        # float codes to rows of T (the copy truncates; codes are whole);
        # code -1 reads row 0 of its table, then is zeroed
        codes = torch.index_select(a, 1, self.columns, out=views["codes"])
        idx = views["idx"].copy_(codes)
        self.known = torch.ge(idx, 0, out=views["known"]).unsqueeze(2)
        idx.clamp_(min=0).add_(self.offsets)
        self.idx = idx
        self.vectors = self.bufs.full["vectors"][: n * m]
        torch.index_select(self.T, 0, idx.view(-1), out=self.vectors)
        torch.mul(self.vectors.view(n, m, e), self.known, out=out[:, k:].view(n, m, e))
        return out

    def backward(self, delta, n):
        m, k = self.columns.shape[0], self.kept.shape[0]
        e = self.T.shape[1]
        # each row's gradient goes to the table rows it read (summed where
        # rows share a level)
        self.gT.zero_()
        g_rows = self.vectors  # the vectors' buffer, free after forward
        torch.mul(delta[:, k:].view(n, m, e), self.known, out=g_rows.view(n, m, e))
        self.gT.index_add_(0, self.idx.view(-1), g_rows)
        if self.first:
            return None
        g = self.bufs.cut(n)["grad_in"]
        g.index_copy_(1, self.kept, delta[:, :k])
        return g.index_fill_(1, self.columns, 0.0)

    @staticmethod
    def reference(a, T, columns, kept, offsets):
        codes = a.index_select(1, columns).long()
        known = (codes >= 0).unsqueeze(2)
        emb = F.embedding(codes.clamp(min=0) + offsets, T) * known
        emb = emb.reshape(a.shape[0], -1)
        return torch.cat([a.index_select(1, kept), emb.to(a.dtype)], dim=1)
