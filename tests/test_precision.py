"""Mixed precision: precision='bfloat16' / 'float16' (autocast, float32 weights)."""

import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits

from sknn import MLPClassifier, MLPRegressor
from sknn._engine.data import Rows
from sknn._engine.losses import LOSSES
from sknn._engine.network import Network
from sknn._engine.trainer import LossScaler, Trainer

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

needs_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
CPU = torch.device("cpu")
_LOSS = {
    "softmax": "cross_entropy",
    "logistic": "binary_cross_entropy",
    "identity": "squared_error",
}


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    X = (X / 16.0).astype(np.float32)
    return X[:500], y[:500], X[1000:1400], y[1000:1400]


def _fit(precision, digits, device="cpu", **kw):
    X, y, X_test, y_test = digits
    params = dict(
        max_iter=10,
        learning_rate_init=0.01,
        random_state=0,
        device=device,
        precision=precision,
    )
    params.update(kw)
    clf = MLPClassifier((32,), **params).fit(X, y)
    return clf, clf.score(X_test, y_test)


def _network(activation, out_activation, sizes, dtype=torch.float32, device=CPU):
    net = Network(sizes, activation, _LOSS[out_activation], dtype, device)
    rng = np.random.RandomState(0)
    pairs = list(zip(sizes[:-1], sizes[1:]))
    net.set_weights(
        [rng.uniform(-0.3, 0.3, p) for p in pairs],
        [rng.uniform(-0.1, 0.1, o) for _, o in pairs],
    )
    return net


def _batch(out_activation, n=160, n_out=10, device=CPU):
    """A batch of digits: X on the device and the engine's Targets for it."""
    X, y = load_digits(return_X_y=True)
    X, y = (X[:n] / 16.0).astype(np.float32), y[:n]
    if out_activation == "softmax":
        target = y
    elif out_activation == "logistic":
        target = (y[:, None] == np.arange(n_out)).astype(np.float64)
    else:
        target = np.column_stack([y, X[:, 20]]).astype(np.float64)
    kw = dict(dtype=torch.float32, device=device)
    targets = LOSSES[_LOSS[out_activation]].targets(target, None, kw, n_out)
    return torch.as_tensor(X, device=device), targets


def _all(xb, targets):
    """The whole batch's target pair, as the training loop takes it."""
    return targets.take(torch.arange(len(xb), device=xb.device))


def _rel(a, b):
    return float((a - b).norm() / b.norm())


# ---------------------------------------------------------------------------
# bfloat16 on the CPU
# ---------------------------------------------------------------------------
def test_bfloat16_trains_close_to_float32(digits):
    ref, ref_score = _fit("float32", digits)
    bf, bf_score = _fit("bfloat16", digits)
    assert ref_score > 0.8
    assert abs(bf_score - ref_score) < 0.03
    # float32 master weights; probabilities float64 as always
    assert all(c.dtype == np.float32 for c in bf.coefs_ + bf.intercepts_)
    X_test = digits[2]
    assert bf.predict_proba(X_test).dtype == np.float64
    # the training really ran in bfloat16: the losses differ from float32's
    assert bf.loss_curve_ != ref.loss_curve_
    np.testing.assert_allclose(bf.loss_curve_, ref.loss_curve_, rtol=0.05)


def test_bfloat16_with_float64_input_trains_float32_weights(digits):
    X, y, _, _ = digits
    clf = MLPClassifier(
        (16,), max_iter=2, random_state=0, device="cpu", precision="bfloat16"
    ).fit(X.astype(np.float64), y)
    assert clf.coefs_[0].dtype == np.float32


@pytest.mark.parametrize(
    "activation, out_activation, n_out",
    [
        ("relu", "softmax", 10),
        ("tanh", "softmax", 10),
        ("gelu", "logistic", 10),
        ("silu", "identity", 2),
    ],
)
def test_bfloat16_gradient_close_to_float32(activation, out_activation, n_out):
    net = _network(activation, out_activation, [64, 32, 16, n_out])
    xb, targets = _batch(out_activation, n_out=n_out)
    target = _all(xb, targets)
    drop = [0.0, 0.0, 0.0]
    net.training_layers(len(xb), drop)
    loss32 = net.loss_and_grad(xb, target, 1e-4, drop, None, 1 / len(xb))
    g32 = net.grads.clone()
    loss16 = net.autograd_loss_and_grad(
        xb, target, 1e-4, drop, None, 1 / len(xb), autocast=torch.bfloat16
    )
    g16 = net.grads.clone()
    assert g16.dtype == torch.float32
    assert float(loss16) == pytest.approx(float(loss32), rel=1e-2)
    rel = _rel(g16, g32)
    assert rel < 0.05
    assert rel > 1e-4  # bfloat16 arithmetic did run (float32 agrees to ~1e-7)


# ---------------------------------------------------------------------------
# bfloat16 on the CPU's written-out path (bfloat16 products, no autograd)
# ---------------------------------------------------------------------------
def test_cpu_bfloat16_uses_the_written_out_path():
    net = _network("relu", "softmax", [64, 8, 10])
    trainer = Trainer(net, _spec("bfloat16"), 1e-3, 0)
    assert trainer.grad_path == "written-out-bfloat16"
    assert trainer.autocast is None and net.matmul_dtype is torch.bfloat16
    assert Trainer(net, _spec("float16"), 1e-3, 0).grad_path == "autocast"
    assert Trainer(net, _spec("float32"), 1e-3, 0).grad_path == "written-out"
    assert net.matmul_dtype is None  # a later float32 trainer resets it


@pytest.mark.parametrize(
    "activation, out_activation, n_out, dropout",
    [
        ("relu", "softmax", 10, 0.0),
        ("tanh", "softmax", 10, 0.2),
        ("gelu", "logistic", 10, 0.0),
        ("silu", "identity", 2, 0.0),
    ],
)
def test_written_out_bfloat16_gradient_close_to_float32(
    activation, out_activation, n_out, dropout
):
    net = _network(activation, out_activation, [64, 32, 16, n_out])
    xb, targets = _batch(out_activation, n_out=n_out)
    target = _all(xb, targets)
    drop = [dropout, dropout, 0.0]
    gen = torch.Generator().manual_seed(0)
    loss32 = net.loss_and_grad(xb, target, 1e-4, drop, gen, 1 / len(xb))
    g32 = net.grads.clone()
    start = net.params.clone()
    net.set_matmul_dtype(torch.bfloat16)
    gen.manual_seed(0)  # the same dropout masks
    loss16 = net.loss_and_grad(xb, target, 1e-4, drop, gen, 1 / len(xb))
    g16 = net.grads.clone()
    assert net.params.dtype == g16.dtype == torch.float32
    assert torch.equal(net.params, start)  # the master weights untouched
    assert float(loss16) == pytest.approx(float(loss32), rel=1e-2)
    rel = _rel(g16, g32)
    assert rel < 0.05  # bfloat16 keeps ~3 significant digits per product
    assert rel > 1e-4  # bfloat16 arithmetic did run (float32 agrees to ~1e-7)
    # and it agrees with autocast's bfloat16 gradient as closely
    net.autograd_loss_and_grad(
        xb, target, 1e-4, drop, gen.manual_seed(0), 1 / len(xb), autocast=torch.bfloat16
    )
    assert _rel(g16, net.grads) < 0.05


def test_written_out_bfloat16_trains_close_to_float32(digits):
    X, y, _, _ = digits
    ref, _ = _fit("float32", digits, max_iter=30)
    bf, _ = _fit("bfloat16", digits, max_iter=30)
    assert all(c.dtype == np.float32 for c in bf.coefs_ + bf.intercepts_)
    assert bf.loss_curve_ != ref.loss_curve_
    assert abs(bf.score(X, y) - ref.score(X, y)) <= 0.02
    np.testing.assert_allclose(bf.loss_curve_, ref.loss_curve_, rtol=0.05)


def test_bfloat16_regressor(digits):
    X, y, _, _ = digits
    reg = MLPRegressor(
        hidden_layer_sizes=(16,),
        max_iter=3,
        random_state=0,
        device="cpu",
        precision="bfloat16",
    ).fit(X, y.astype(float))
    assert reg.predict(X).dtype == np.float32
    assert np.isfinite(reg.loss_curve_).all()


# ---------------------------------------------------------------------------
# float16: works on the CPU too (CPU autocast supports float16 in torch 2.13),
# with dynamic loss scaling
# ---------------------------------------------------------------------------
def test_float16_on_the_cpu_trains(digits):
    _, ref_score = _fit("float32", digits)
    half, score = _fit("float16", digits)
    assert abs(score - ref_score) < 0.03
    assert half.coefs_[0].dtype == np.float32


def test_trainer_scales_only_float16():
    net = _network("relu", "softmax", [64, 8, 10])
    spec = _spec("float16")
    assert isinstance(Trainer(net, spec, 1e-3, 0).scaler, LossScaler)
    for p in ("bfloat16", "float32", "auto"):
        assert Trainer(net, _spec(p), 1e-3, 0).scaler is None


def _spec(precision, solver="adam"):
    return dict(
        solver=solver,
        alpha=1e-4,
        momentum=0.9,
        nesterovs_momentum=True,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        precision=precision,
    )


def test_loss_scaling_keeps_tiny_float16_gradients():
    """Gradients below float16's range flush to zero without loss scaling
    and survive with it."""
    net = _network("relu", "softmax", [64, 32, 10])
    xb, targets = _batch("softmax")
    target = _all(xb, targets)
    drop = [0.0, 0.0]
    net.training_layers(len(xb), drop)
    tiny = 1e-8  # the per-batch weight scale: gradients ~1e-9
    net.loss_and_grad(xb, target, 0.0, drop, None, tiny)
    g32 = net.grads.clone()
    net.autograd_loss_and_grad(
        xb, target, 0.0, drop, None, tiny, autocast=torch.float16
    )
    assert _rel(net.grads, g32) > 0.5  # mostly flushed to zero
    net.autograd_loss_and_grad(
        xb, target, 0.0, drop, None, tiny, autocast=torch.float16, loss_scale=2.0**16
    )
    assert _rel(net.grads, g32) < 0.01


def test_overflowing_float16_steps_are_skipped_and_the_scale_backs_off():
    net = _network("relu", "softmax", [64, 16, 10])
    xb, targets = _batch("softmax")
    rows = Rows(xb.numpy(), torch.float32, CPU)
    trainer = Trainer(net, _spec("float16"), 1e-3, 0)
    trainer.scaler.scale = 2.0**40  # the scaled backward overflows float16
    start = net.params.clone()
    n_steps = 4
    first, last, finite = trainer.losses_over_steps(
        rows, targets, 40, [0.0, 0.0], n_steps
    )
    # every step overflowed: nothing moved, not even the optimizer's clock
    assert trainer.scaler.scale == 2.0 ** (40 - n_steps)
    assert trainer.optimizer.t == 0
    assert torch.equal(net.params, start)
    assert finite and first == last

    # from a workable scale on, steps go through and the scale holds
    trainer.scaler.scale = 2.0**10
    trainer.losses_over_steps(rows, targets, 40, [0.0, 0.0], n_steps)
    assert trainer.optimizer.t == n_steps
    assert trainer.scaler.scale == 2.0**10
    assert not torch.equal(net.params, start)


def test_scale_grows_after_a_run_of_good_steps():
    scaler = LossScaler(scale=8.0, interval=3)
    good = torch.ones(5)
    assert all(scaler.update(good) for _ in range(3))
    assert scaler.scale == 16.0
    assert not scaler.update(torch.tensor([1.0, float("inf")]))
    assert scaler.scale == 8.0 and scaler.good_steps == 0


# ---------------------------------------------------------------------------
# CUDA
# ---------------------------------------------------------------------------
@needs_cuda
@pytest.mark.parametrize("precision", ["bfloat16", "float16"])
def test_cuda_mixed_precision_trains_close_to_float32(digits, precision):
    _, ref_score = _fit("float32", digits, device="cuda")
    clf, score = _fit(precision, digits, device="cuda")
    assert clf.device_.startswith("cuda")
    assert abs(score - ref_score) < 0.03
    assert clf.coefs_[0].dtype == np.float32


@needs_cuda
def test_cuda_float16_gradient_with_loss_scaling():
    dev = torch.device("cuda")
    net = _network("relu", "softmax", [64, 32, 10], device=dev)
    xb, targets = _batch("softmax", device=dev)
    target = _all(xb, targets)
    drop = [0.0, 0.0]
    net.training_layers(len(xb), drop)
    net.loss_and_grad(xb, target, 1e-4, drop, None, 1 / len(xb))
    g32 = net.grads.clone()
    net.autograd_loss_and_grad(
        xb,
        target,
        1e-4,
        drop,
        None,
        1 / len(xb),
        autocast=torch.float16,
        loss_scale=2.0**16,
    )
    assert _rel(net.grads, g32) < 0.01
    assert isinstance(Trainer(net, _spec("float16"), 1e-3, 0).scaler, LossScaler)
