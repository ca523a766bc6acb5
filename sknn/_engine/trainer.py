"""Minibatch epochs, the learning-rate search, L-BFGS's full-batch loss and
prediction in chunks, over a :class:`~sknn._engine.network.Network`."""

import numpy as np
import torch

from .data import EpochOrder
from .optim import OPTIMIZERS

_AUTOCAST = {"bfloat16": torch.bfloat16, "float16": torch.float16}

# How precision='bfloat16' trains on the CPU: "written-out" (the default:
# the hand-written forward and backward with bfloat16 matrix products, see
# layers.Dense) or "autocast" (torch.autocast + autograd, the path before
# issue 14, kept for comparison: benchmarks/bench_bf16.py sets it).  On
# other devices bfloat16 and float16 train under autocast.
CPU_BFLOAT16_PATH = "written-out"


class LossScaler:
    """Dynamic loss scaling for float16 autocast, with the rule of
    ``torch.amp.GradScaler``: the loss is multiplied by ``scale`` before the
    backward pass; a step whose gradient overflows (inf/nan) is skipped and
    the scale halved; after ``interval`` good steps in a row it doubles."""

    def __init__(self, scale=2.0**16, growth=2.0, backoff=0.5, interval=2000):
        self.scale = float(scale)
        self.growth, self.backoff, self.interval = growth, backoff, interval
        self.good_steps = 0

    def update(self, grads):
        """Whether the (unscaled) gradient is finite; adjusts the scale.
        Reads one flag from the device per step, as GradScaler does."""
        if not bool(torch.isfinite(grads).all()):
            self.scale *= self.backoff
            self.good_steps = 0
            return False
        self.good_steps += 1
        if self.good_steps >= self.interval:
            self.scale *= self.growth
            self.good_steps = 0
        return True


class Trainer:
    """Runs epochs of minibatch training on a network.

    Everything lives on the device for the whole fit: X (dense), the
    targets, the permutation of each epoch; the loop never synchronises with
    the host inside an epoch.  The epoch's loss is read once, at its end.

    ``hyper`` holds the solver's settings: ``solver``, ``alpha``,
    ``momentum``, ``nesterovs_momentum``, ``beta_1``, ``beta_2``,
    ``epsilon``, ``precision``.
    """

    def __init__(self, net, hyper, lr, seed, shuffle_rng=None):
        self.net = net
        self.device = net.device
        self.generator = torch.Generator(device=net.device)
        self.generator.manual_seed(int(seed))
        # the epochs' order: scikit-learn's generator when given (the
        # estimator's random_state, so that the order is scikit-learn's)
        self.np_rng = (
            np.random.RandomState(int(seed) % (2**32 - 1))
            if shuffle_rng is None
            else shuffle_rng
        )
        name = hyper["solver"]
        self.optimizer = OPTIMIZERS[name](
            net.params,
            lr,
            momentum=hyper["momentum"],
            nesterov=hyper["nesterovs_momentum"],
            beta_1=hyper["beta_1"],
            beta_2=hyper["beta_2"],
            rho=hyper["beta_2"],
            epsilon=hyper["epsilon"],
        )
        self.decoupled = hyper["alpha"] if name == "adamw" else 0.0
        self.l2 = 0.0 if name == "adamw" else hyper["alpha"]
        self.autocast = _AUTOCAST.get(hyper["precision"])
        matmul = None
        if (
            self.autocast is torch.bfloat16
            and net.device.type == "cpu"
            and CPU_BFLOAT16_PATH == "written-out"
        ):
            self.autocast, matmul = None, torch.bfloat16
        net.set_matmul_dtype(matmul)
        #: which gradient runs: "written-out" (float32/float64),
        #: "written-out-bfloat16" (bfloat16 on the CPU) or "autocast"
        self.grad_path = (
            "autocast"
            if self.autocast is not None
            else "written-out"
            if matmul is None
            else "written-out-bfloat16"
        )
        # float16 needs loss scaling (bfloat16 has float32's exponent range)
        self.scaler = LossScaler() if self.autocast is torch.float16 else None
        self._order = None  # the EpochOrder of this fit, made at its first epoch

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

    def _batch(self, grad_fn, xb, targets, batch, dropout):
        """Loss and gradient of the rows ``xb``, the targets' ``batch``."""
        nb = xb.shape[0]
        target, scale = targets.take(batch), targets.scale(batch, nb)
        return grad_fn(xb, target, self.l2, dropout, self.generator, scale)

    def epoch(self, rows, targets, batch_size, shuffle, dropout):
        """One pass over the data; returns the mean loss (a host float) and
        whether the loss and the parameters are finite."""
        net = self.net
        batch_size = max(1, min(batch_size, rows.n))
        net.training_layers(batch_size, dropout)
        order = self._order
        if order is None or not order.holds(rows, targets, shuffle):
            order = self._order = EpochOrder(rows, targets, shuffle)
        order.new_epoch(self.np_rng, self.device)
        total = torch.zeros((), dtype=net.dtype, device=self.device)
        grad_fn = self._grad_fn()
        n, targets = order.n, order.targets
        for start in range(0, n, batch_size):
            batch = slice(start, min(start + batch_size, n))
            nb = batch.stop - start
            loss = self._batch(grad_fn, order.rows_of(batch), targets, batch, dropout)
            self._step()
            total.add_(loss, alpha=nb)
        total.div_(n)
        ok = torch.isfinite(total) & torch.isfinite(net.params).all()
        return total.item(), bool(ok.item())

    def losses_over_steps(self, rows, targets, batch_size, dropout, steps):
        """The loss of the first batch before and after ``steps`` minibatch
        updates over the first rows (for the learning-rate search), and
        whether everything stayed finite.  Changes the network's weights."""
        net = self.net
        n = rows.n
        batch_size = max(1, min(batch_size, n))
        net.training_layers(batch_size, dropout)
        grad_fn = self._grad_fn()
        losses = []
        for s in range(steps + 1):
            start = (s * batch_size) % n
            idx = slice(start, min(start + batch_size, n))
            losses.append(self._batch(grad_fn, rows.take(idx), targets, idx, dropout))
            if s < steps:
                self._step()
        out = torch.stack(losses).cpu().numpy()
        return (
            float(out[0]),
            float(out[-1]),
            bool(np.isfinite(out).all() and torch.isfinite(net.params).all()),
        )


# The learning-rate search (learning_rate_init='auto'): start at 1.0 and
# halve until a few steps on a small subset lower the loss without ever
# raising it; then take half of that rate as a margin for the whole fit.
LR_SEARCH = dict(start=1.0, steps=5, checks=8, margin=0.5, rows=1024, tries=30)


def search_learning_rate(net, hyper, rows, targets, dropout, batch_size, seed):
    """The largest rate that does not diverge on a subset, halved."""
    s = LR_SEARCH
    rng = np.random.RandomState(seed)
    n = rows.n
    m = min(n, s["rows"])
    idx = np.sort(rng.choice(n, m, replace=False)) if m < n else np.arange(n)
    sub_rows = rows.subset(idx)
    sub_targets = targets.subset(torch.from_numpy(idx).to(net.device))
    start = net.params.clone()
    try:
        batch = min(batch_size, m)
        return _search(net, hyper, sub_rows, sub_targets, dropout, batch, seed, start)
    finally:  # also when interrupted: the search leaves the weights as found
        net.params.copy_(start)


def _search(net, hyper, sub_rows, sub_targets, dropout, batch_size, seed, start):
    """The halving of :func:`search_learning_rate`, from the weights
    ``start``; changes the network's weights."""
    s = LR_SEARCH
    lr = s["start"]
    chosen = None
    for _ in range(s["tries"]):
        net.params.copy_(start)
        trainer = Trainer(net, hyper, lr, seed)
        # The loss on the subset's first batch, looked at every few steps:
        # a rate diverges when it is ever non-finite or above where it
        # started, or does not end lower.  Comparing only the first and the
        # last step let oscillating rates through (sgd and adam at 0.5-1.0
        # on digits) that then blew up in the full fit.
        looks = []
        for k in range(s["checks"] + 1):
            steps = s["steps"] if k < s["checks"] else 0
            first, _, finite = trainer.losses_over_steps(
                sub_rows, sub_targets, batch_size, dropout, steps
            )
            looks.append(first)
            if not finite or first > looks[0]:
                break
        if len(looks) == s["checks"] + 1 and finite and looks[-1] < looks[0]:
            chosen = lr * s["margin"]
            break
        lr /= 2.0
    return chosen if chosen is not None else lr


def full_batch_loss_and_grad(net, rows, targets, alpha, chunk=4096):
    """Loss and gradient over all samples (for L-BFGS), summed over chunks."""
    n = rows.n
    zero = [0.0] * net.n_layers
    net.set_matmul_dtype(None)  # full-batch L-BFGS: exact products
    net.training_layers(min(chunk, n), zero)
    total_loss = torch.zeros((), dtype=net.dtype, device=net.device)
    total_grad = torch.zeros_like(net.grads)
    if targets.weighted:
        wsum = float(targets.sample_weight.sum().item())
        inv = 1.0 / wsum if wsum != 0 else 0.0
    else:
        inv = 1.0 / n
    nchunks = (n + chunk - 1) // chunk
    for start in range(0, n, chunk):
        idx = slice(start, min(start + chunk, n))
        # the penalty is added once, split evenly over the chunks
        loss = net.loss_and_grad(
            rows.take(idx), targets.take(idx), alpha / nchunks, zero, None, inv
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
    n = rows.n
    with torch.inference_mode():
        out = torch.empty(n, net.layer_sizes[-1], dtype=net.dtype, device=net.device)
        m = max(1, min(chunk_size, n))
        layers = net.layers(m, backward=False)
        start = 0
        for xb in rows.chunks(m):
            c = xb.shape[0]
            a = xb
            for layer in layers[:-1]:
                a = layer.forward(a, c)
            layers[-1].forward(a, c, out=out[start : start + c])
            start += c
    return out
