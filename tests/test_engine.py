"""The engine's hand-written backpropagation against torch.autograd.

The fast path (forward and backward written out by hand, backpropagation's
delta rule, no autograd graph) must give the same loss and gradient as
autograd for every activation, output/loss pair, dropout setting and sample
weighting, and so must each layer's backward pass alone.
"""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from sknn._engine import compat, layers  # noqa: E402
from sknn._engine.layers import ACTIVATIONS as _ACTIVATIONS  # noqa: E402
from sknn._engine.layers import Activation, Dense, Dropout  # noqa: E402
from sknn._engine.losses import LOSSES  # noqa: E402
from sknn._engine.network import Network  # noqa: E402
from sknn._engine.optim import OPTIMIZERS, Adam  # noqa: E402

ACTIVATIONS = sorted(_ACTIVATIONS)
LOSS_OF = {"softmax": "cross_entropy", "logistic": "binary_cross_entropy"}
LOSS_OF["identity"] = "squared_error"
LOSS_OF["exp"] = "poisson"
KW = dict(dtype=torch.float64, device=torch.device("cpu"))


def _targets(out_activation, y, sw, n_out, pos_weight=None):
    return LOSSES[LOSS_OF[out_activation]].targets(y, sw, KW, n_out, pos_weight)


OUTPUTS = ["softmax", "logistic-binary", "logistic-multilabel", "identity", "exp"]


def _problem(output, n, n_out, rng, weighted, pos_weight):
    if output == "softmax":
        y = rng.randint(0, n_out, n)
        out_activation, n_classes = "softmax", n_out
    elif output == "logistic-binary":
        y = rng.randint(0, 2, (n, 1)).astype(float)
        out_activation, n_classes, n_out = "logistic", None, 1
    elif output == "logistic-multilabel":
        y = rng.randint(0, 2, (n, n_out)).astype(float)
        out_activation, n_classes = "logistic", None
    elif output == "exp":  # Poisson counts, zeros included
        y = rng.poisson(1.5, (n, n_out)).astype(float)
        out_activation, n_classes = "exp", None
    else:
        y = rng.randn(n, n_out)
        out_activation, n_classes = "identity", None
    sw = rng.uniform(0.0, 3.0, n) if weighted else None
    pw = (
        rng.uniform(0.5, 4.0, n_out)
        if pos_weight and output.startswith("logistic")
        else None
    )
    return y, sw, pw, out_activation, n_classes, n_out


def _net(activation, out_activation, sizes, seed):
    net = Network(
        sizes, activation, LOSS_OF[out_activation], torch.float64, torch.device("cpu")
    )
    gen = torch.Generator().manual_seed(seed)
    net.params.copy_(
        torch.randn(net.params.shape, generator=gen, dtype=torch.float64) * 0.5
    )
    return net


def _grads(net, path, xb, target, alpha, dropout, scale, seed):
    gen = torch.Generator().manual_seed(seed)
    net.training_layers(xb.shape[0], dropout)
    fn = net.loss_and_grad if path == "fast" else net.autograd_loss_and_grad
    loss = fn(xb, target, alpha, dropout, gen, scale)
    return float(loss), net.grads.clone()


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("output", OUTPUTS)
@pytest.mark.parametrize("dropout", [0.0, 0.3])
@pytest.mark.parametrize("weighted", [False, True])
def test_fast_path_matches_autograd(activation, output, dropout, weighted):
    rng = np.random.RandomState(0)
    n, d, n_out = 17, 6, 3
    y, sw, pw, out_act, n_classes, n_out = _problem(
        output, n, n_out, rng, weighted, pos_weight=True
    )
    sizes = [d, 8, 5, n_out]
    net = _net(activation, out_act, sizes, seed=1)
    X = torch.from_numpy(rng.randn(n, d))
    targets = _targets(out_act, y, sw, n_out, pw)
    idx = torch.arange(n)
    target = targets.take(idx)
    scale = targets.scale(idx, n)
    drop = [dropout, dropout, 0.0]
    alpha = 0.01
    loss_fast, g_fast = _grads(net, "fast", X, target, alpha, drop, scale, seed=7)
    loss_ref, g_ref = _grads(net, "autograd", X, target, alpha, drop, scale, seed=7)
    assert loss_fast == pytest.approx(loss_ref, rel=1e-10, abs=1e-12)
    torch.testing.assert_close(g_fast, g_ref, rtol=1e-9, atol=1e-11)
    assert torch.count_nonzero(g_fast) > 0


def test_loss_matches_formula_softmax():
    """The batch loss is the mean cross-entropy plus alpha/2 ||W||^2 / n."""
    rng = np.random.RandomState(3)
    n, d, k = 11, 4, 3
    y = rng.randint(0, k, n)
    net = _net("tanh", "softmax", [d, 5, k], seed=2)
    act = Activation("tanh")
    X = torch.from_numpy(rng.randn(n, d))
    targets = _targets("softmax", y, None, k)
    idx = torch.arange(n)
    net.training_layers(n, [0.0, 0.0])
    alpha = 0.1
    loss = float(
        net.loss_and_grad(X, targets.take(idx), alpha, [0.0, 0.0], None, 1.0 / n)
    )
    with torch.no_grad():
        logp = torch.log_softmax(net.forward_reference(X, net.W, net.b, act), dim=1)
    logp = logp.numpy()
    coef = net.params[: net.n_coef].numpy()
    expected = -logp[np.arange(n), y].mean() + 0.5 * alpha * coef @ coef / n
    assert loss == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("weighted", [False, True])
def test_loss_matches_formula_poisson(weighted):
    """The batch loss is scikit-learn's half Poisson deviance, summed over
    the outputs and averaged over the (weighted) samples, plus the penalty."""
    from scipy.special import xlogy

    rng = np.random.RandomState(4)
    n, d, k = 13, 4, 2
    y = rng.poisson(2.0, (n, k)).astype(float)
    sw = rng.uniform(0.5, 2.0, n) if weighted else None
    net = _net("relu", "exp", [d, 5, k], seed=3)
    X = torch.from_numpy(rng.randn(n, d))
    targets = _targets("exp", y, sw, k)
    idx = torch.arange(n)
    net.training_layers(n, [0.0, 0.0])
    alpha = 0.1
    loss = float(
        net.loss_and_grad(
            X, targets.take(idx), alpha, [0.0, 0.0], None, targets.scale(idx, n)
        )
    )
    with torch.no_grad():
        mu = torch.exp(
            net.forward_reference(X, net.W, net.b, Activation("relu"))
        ).numpy()
    dev = (xlogy(y, y / mu) - y + mu).sum(axis=1)
    w = np.ones(n) if sw is None else sw
    coef = net.params[: net.n_coef].numpy()
    expected = np.average(dev, weights=w) + 0.5 * alpha * coef @ coef / w.sum()
    assert loss == pytest.approx(expected, rel=1e-12)


def test_last_partial_batch_uses_buffer_slices():
    """A batch smaller than the buffers (the epoch's last) gives the same
    gradient as a fresh computation of that batch alone."""
    rng = np.random.RandomState(5)
    y = rng.randn(10, 2)
    X = torch.from_numpy(rng.randn(10, 3))
    targets = _targets("identity", y, None, 2)
    net = _net("relu", "identity", [3, 4, 2], seed=4)
    idx = torch.arange(6, 10)
    drop = [0.0, 0.0]
    net.training_layers(6, drop)
    net.loss_and_grad(X[idx], targets.take(idx), 0.0, drop, None, 0.25)
    g_small = net.grads.clone()
    net.training_layers(4, drop)
    net.loss_and_grad(X[idx], targets.take(idx), 0.0, drop, None, 0.25)
    torch.testing.assert_close(g_small, net.grads)


@pytest.mark.parametrize("solver", ["sgd", "adam", "adamw", "rmsprop", "adagrad"])
def test_optimizer_state_round_trip(solver):
    """Optimizer state survives state_dict / load_state_dict (partial_fit
    after a pickle continues the same trajectory)."""
    params = torch.zeros(5, dtype=torch.float64)
    grads = torch.linspace(-1, 1, 5, dtype=torch.float64)
    hyper = dict(
        momentum=0.9, nesterov=True, beta_1=0.9, beta_2=0.999, epsilon=1e-8, rho=0.9
    )
    a = OPTIMIZERS[solver](params, 0.1, **hyper)
    pa = params.clone()
    for _ in range(3):
        a.step(pa, grads)
    b = OPTIMIZERS[solver](params, 0.1, **hyper)
    b.load_state_dict(a.state_dict())
    pb = pa.clone()
    a.step(pa, grads)
    b.step(pb, grads)
    torch.testing.assert_close(pa, pb)


def test_adam_matches_sklearn_update_rule():
    """One Adam step follows scikit-learn's formulation."""
    rng = np.random.RandomState(0)
    p0 = rng.randn(6)
    g = rng.randn(6)
    lr, b1, b2, eps = 0.01, 0.9, 0.999, 1e-8
    opt = Adam(
        torch.zeros(6, dtype=torch.float64),
        lr,
        beta_1=b1,
        beta_2=b2,
        epsilon=eps,
        momentum=0.0,
        nesterov=False,
        rho=0.9,
    )
    p = torch.from_numpy(p0.copy())
    opt.step(p, torch.from_numpy(g))
    m = (1 - b1) * g
    v = (1 - b2) * g**2
    lr_t = lr * np.sqrt(1 - b2) / (1 - b1)
    expected = p0 - lr_t * m / (np.sqrt(v) + eps)
    np.testing.assert_allclose(p.numpy(), expected, rtol=1e-12)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_fused_adam_equals_plain_update(dtype, monkeypatch):
    """Where torch's fused Adam kernel is used, it follows the same update
    as the plain element-wise one (scikit-learn's epsilon placement)."""
    rng = np.random.RandomState(1)
    p0 = torch.from_numpy(rng.randn(50)).to(dtype)
    grads = [torch.from_numpy(rng.randn(50)).to(dtype) for _ in range(5)]
    hyper = dict(
        beta_1=0.9, beta_2=0.999, epsilon=1e-3, momentum=0.0, nesterov=False, rho=0.9
    )
    results = {}
    for fused in (True, False):
        monkeypatch.setitem(compat._FUSED_ADAM, ("cpu", dtype), fused)
        opt = Adam(p0, 0.01, **hyper)
        p = p0.clone()
        for g in grads:
            opt.step(p, g, decay=0.1, n_coef=20)
        results[fused] = p
    tol = dict(rtol=1e-5, atol=1e-6) if dtype == torch.float32 else {}
    torch.testing.assert_close(results[True], results[False], **tol)


def _layer_check(layer, x, forward, reference, n):
    """A layer's hand-written backward equals autograd through its
    reference forward, for a random upstream gradient."""
    rng = np.random.RandomState(0)
    out = forward(x.clone(), n)
    upstream = torch.from_numpy(rng.randn(*out.shape))
    leaf = x.clone().requires_grad_(True)
    with torch.enable_grad():
        (want,) = torch.autograd.grad((reference(leaf) * upstream).sum(), leaf)
    got = layer.backward(upstream.clone(), n)
    torch.testing.assert_close(got, want, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_activation_layer_backward_matches_autograd(name):
    n, units = 9, 4
    layer = Activation(name)
    layer.allocate(n, units, KW)
    x = torch.from_numpy(np.random.RandomState(1).randn(n, units))
    _layer_check(layer, x, layer.forward, layer.reference, n)


def test_dropout_layer_backward_matches_autograd():
    n, units = 9, 4
    layer = Dropout(0.4)
    layer.allocate(n, units, KW)
    x = torch.from_numpy(np.random.RandomState(2).randn(n, units))

    def forward(a, rows):
        return layer.forward(a, rows, torch.Generator().manual_seed(3))

    def reference(a):
        return layer.reference(a, torch.Generator().manual_seed(3), *KW.values())

    _layer_check(layer, x, forward, reference, n)


@pytest.mark.parametrize("full_range", [True, False])
@pytest.mark.parametrize("p", [0.05, 0.15, 0.5, 0.9])
def test_dropout_masks_drop_at_the_rate_in_every_column(p, full_range, monkeypatch):
    # masks come from 16-bit codes, four per 64-bit draw: every one of the
    # four lanes (the last carries the draw's sign bit) must drop at p, and
    # the kept units carry exactly 1 / (1 - p) of the rounded rate; devices
    # without a verified full-range draw (full_range=False: the CPU made to
    # take that path) draw one uniform number per unit at the same rate
    if not full_range:
        monkeypatch.setattr(layers, "FULL_RANGE_DEVICES", ())
    rows, units = 400, 7  # 7 units: the last int64 of a row is half used
    layer = Dropout(p)
    layer.allocate(rows, units, KW)
    gen = torch.Generator().manual_seed(0)
    a = torch.ones(rows, units, dtype=KW["dtype"])
    masks = torch.stack([layer.forward(a, rows, gen).clone() for _ in range(60)])
    dropped = (masks == 0).double()
    draws = dropped.shape[0] * rows
    sd = (p * (1 - p) / draws) ** 0.5
    for rate in dropped.mean(dim=(0, 1)):
        assert abs(rate.item() - p) < 5 * sd
    kept = masks[masks != 0]
    q = round(p * 65536) / 65536
    assert torch.all(kept == 1.0 / (1.0 - q))
    # consecutive batches differ, and the mean output stays the input
    assert not torch.equal(masks[0], masks[1])
    assert abs(masks.mean().item() - 1.0) < 5 * sd / (1 - p)
    # fewer rows than allocated: only the rows asked for are drawn
    assert layer.forward(a[:3], 3, gen).shape == (3, units)


@pytest.mark.parametrize("full_range", [True, False])
def test_dropout_fast_and_reference_paths_draw_the_same_masks(full_range, monkeypatch):
    # fewer rows than allocated and a width that is not a multiple of 4: the
    # fast path's cut buffers and the reference path's fresh ones must give
    # the same masks from the same generator state, and leave it alike
    if not full_range:
        monkeypatch.setattr(layers, "FULL_RANGE_DEVICES", ())
    layer = Dropout(0.3)
    layer.allocate(10, 7, KW)
    a = torch.from_numpy(np.random.RandomState(5).rand(3, 7) + 0.5)
    g_fast, g_ref = torch.Generator().manual_seed(9), torch.Generator().manual_seed(9)
    for _ in range(3):
        fast = layer.forward(a, 3, g_fast).clone()
        ref = layer.reference(a, g_ref, *KW.values())
        torch.testing.assert_close(fast, ref, rtol=0, atol=0)
        assert (fast == 0).any() and (fast != 0).any()
    assert torch.equal(g_fast.get_state(), g_ref.get_state())


def test_dense_layer_backward_matches_autograd():
    rng = np.random.RandomState(4)
    n, d_in, d_out = 7, 5, 3
    flat = torch.from_numpy(rng.randn(d_in * d_out + d_out))
    W, b = flat[: d_in * d_out].view(d_out, d_in), flat[d_in * d_out :]
    gW, gb = torch.empty_like(W), torch.empty_like(b)
    layer = Dense(W, b, gW, gb)
    layer.allocate(n, KW, backward=True)
    x = torch.from_numpy(rng.randn(n, d_in))
    _layer_check(layer, x, layer.forward, lambda a: Dense.reference(a, W, b), n)
    upstream = torch.from_numpy(np.random.RandomState(0).randn(n, d_out))
    Wl, bl = W.clone().requires_grad_(True), b.clone().requires_grad_(True)
    with torch.enable_grad():
        loss = (Dense.reference(x, Wl, bl) * upstream).sum()
        want_W, want_b = torch.autograd.grad(loss, (Wl, bl))
    torch.testing.assert_close(gW, want_W)
    torch.testing.assert_close(gb, want_b)


# -- input layers: periodic features, embeddings, per-column scale ----------
EMBED = ((1, 2), (3, 5), 4)  # columns 1 and 2: codes of 3 and 5 levels, 4-vectors


def _input_net(rng, output, n_freq, scale, columns, embed, weighted=True, n=17, d=4):
    """A small network with these input layers, random parameters, and X
    whose embedded columns hold codes (the last level of column 2 once)."""
    y, sw, pw, out_act, _, n_out = _problem(output, n, 3, rng, weighted, False)
    n_periodic = 0 if not n_freq else (d if columns is None else len(columns))
    width = d + n_periodic * n_freq
    if embed is not None:
        width += len(embed[0]) * (embed[2] - 1)
    net = Network(
        [width, 6, n_out],
        "tanh",
        LOSS_OF[out_act],
        torch.float64,
        torch.device("cpu"),
        inputs=(d, n_freq, scale, columns, embed),
    )
    gen = torch.Generator().manual_seed(3)
    net.params.copy_(torch.randn(net.params.shape, generator=gen, dtype=torch.float64))
    X = rng.randn(n, d)
    if embed is not None:
        X[:, 1] = rng.randint(0, 3, n)
        X[:, 2] = np.r_[np.arange(5), rng.randint(0, 4, n - 5)]
        X[-2:, 1] = -1  # unknown: a zero vector, no gradient
    targets = _targets(out_act, y, sw, n_out, pw)
    idx = torch.arange(n)
    return net, torch.from_numpy(X), targets.take(idx), targets.scale(idx, n)


@pytest.mark.parametrize(
    "n_freq, scale, columns, embed",
    [
        (0, True, None, None),
        (3, False, None, None),
        (3, True, None, None),
        (2, True, (0, 2), None),
        (0, False, None, EMBED),
        (0, True, None, EMBED),
        (2, False, (0, 3), EMBED),
        (2, True, (3,), EMBED),
    ],
)
@pytest.mark.parametrize("output", ["softmax", "identity"])
@pytest.mark.parametrize("weighted", [False, True])
def test_input_layers_match_autograd(n_freq, scale, columns, embed, output, weighted):
    rng = np.random.RandomState(5)
    net, X, target, sc = _input_net(
        rng, output, n_freq, scale, columns, embed, weighted
    )
    drop = [0.2, 0.0]
    loss_fast, g_fast = _grads(net, "fast", X, target, 0.01, drop, sc, seed=7)
    loss_ref, g_ref = _grads(net, "autograd", X, target, 0.01, drop, sc, seed=7)
    assert loss_fast == pytest.approx(loss_ref, rel=1e-10, abs=1e-12)
    torch.testing.assert_close(g_fast, g_ref, rtol=1e-9, atol=1e-11)
    # every input parameter gets a gradient (every level is seen), and none
    # of the weight penalty
    extra = net._input_views(g_fast)
    names = ({"scale"} if scale else set()) | (
        {"frequencies", "phases"} if n_freq else set()
    )
    if embed is not None:
        names.add("embeddings")
        assert extra["embeddings"].shape == (8, 4)
    assert set(extra) == names
    for t in extra.values():
        assert torch.count_nonzero(t) == t.numel()


@pytest.mark.parametrize(
    "n_freq, columns, embed, raw",
    [
        (0, None, None, 0),
        (2, (0, 3), None, 4),
        (2, (0, 3), EMBED, 2),
        (0, None, EMBED, 2),
    ],
)
def test_scale_goes_into_the_first_dense_layer(n_freq, columns, embed, raw):
    """The column scale is taken into the first dense layer (no Scale layer,
    no gradient product for X's raw columns), except when the products run
    in bfloat16; the gradients still match autograd (above)."""
    from sknn._engine.layers import Scale

    rng = np.random.RandomState(7)
    net, X, target, sc = _input_net(rng, "softmax", n_freq, True, columns, embed)
    layers = net.training_layers(len(X), [0.0, 0.0])
    dense = next(layer for layer in layers if isinstance(layer, Dense))
    assert not any(isinstance(layer, Scale) for layer in layers)
    assert dense.s is not None and dense.grad_from == raw
    assert dense.first == (n_freq == 0 and embed is None)
    if not dense.first:  # X's raw columns get no gradient: zeros
        loss_and_grad = net.loss_and_grad(X, target, 0.0, [0.0, 0.0], None, sc)
        assert torch.isfinite(loss_and_grad)
        grad_in = dense.bufs.cut(len(X))["grad_in"]
        assert torch.count_nonzero(grad_in[:, :raw]) == 0
        assert torch.count_nonzero(grad_in[:, raw:]) > 0
    net.set_matmul_dtype(torch.bfloat16)
    layers = net.training_layers(len(X), [0.0, 0.0])
    assert any(isinstance(layer, Scale) for layer in layers)


@pytest.mark.parametrize("n_freq, columns", [(0, None), (2, (0, 3))])
def test_embedding_layout(n_freq, columns):
    """X's other columns in order (then the cosines), then each code
    column's vector, in the order of the code columns."""
    rng = np.random.RandomState(6)
    net, X, _, _ = _input_net(rng, "identity", n_freq, False, columns, EMBED)
    views = net._input_views(net.params)
    a = X
    for layer in net._input_layers(len(X), KW, backward=False):
        a = layer.forward(a, len(X))
    base = X
    if n_freq:
        periodic = {k: views[k] for k in ("frequencies", "phases")}
        base = net.input_reference(X, periodic)
    kept = [j for j in range(base.shape[1]) if j not in (1, 2)]
    T = views["embeddings"]
    first = T[X[:, 1].long().clamp(min=0)] * (X[:, 1:2] >= 0)
    parts = [base[:, kept], first, T[3 + X[:, 2].long()]]
    torch.testing.assert_close(a, torch.cat(parts, dim=1))
    torch.testing.assert_close(a, net.input_reference(X, views))


def test_periodic_layout():
    """Column j's cosines sit at d + j K + k, after the raw input."""
    from sknn._engine.layers import Periodic

    F = torch.tensor([[1.0, 2.0], [0.5, 0.25]], dtype=torch.float64)
    P = torch.tensor([[0.1, 0.2], [0.3, 0.4]], dtype=torch.float64)
    X = torch.tensor([[0.3, -1.2], [2.0, 0.7]], dtype=torch.float64)
    layer = Periodic(F, P)
    layer.allocate(2, KW, backward=False)
    out = layer.forward(X, 2).clone()
    for j in range(2):
        for k in range(2):
            want = torch.cos(2 * np.pi * F[j, k] * X[:, j] + P[j, k])
            torch.testing.assert_close(out[:, 2 + j * 2 + k], want)
    torch.testing.assert_close(out[:, :2], X)
    torch.testing.assert_close(out, Periodic.reference(X, F, P))
