"""How much a CUDA graph would save sknn's training loop on a GPU.

On a GPU the engine's batch is about forty small kernels, and on an H200 an
epoch of the 50k x 100, batch-256 configuration took 0.167 s: about 0.85 ms
per batch, far more than the kernels' own work, which is the host's cost of
launching them one by one. Issue 8 asks for 10x scikit-learn there, which
needs the launches gone. A CUDA graph records a sequence of kernels once and
replays it with one launch.

This probe measures that before the engine is changed: it records a whole
epoch of sknn's own fast path (forward, backward, fused Adam; no shuffling,
no dropout) into one graph over static buffers, then compares

* eager: ``Trainer.epoch``, the loop ``fit`` runs today, s/epoch;
* graph: one replay of the recorded epoch, s/epoch, and its capture time;
* agreement: the parameters after one eager epoch and after one replay
  from the same start (they must agree to float32 rounding).

Run it where torch sees a CUDA device::

    python benchmarks/gpu_graph_probe.py [--epochs 5] [--device cuda:0]

It prints one line per measurement and exits 0; without CUDA it says so and
exits 2.  What a graph cannot hold yet (what the engine will have to handle
before it uses one): the per-epoch permutation (done outside the graph into
the same buffers), dropout's generator (it must be registered with the
graph), learning-rate schedules (the rate must live in a device tensor) and
the host-side bias correction of scikit-learn's Adam epsilon (likewise).
"""

import argparse
import math
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

import numpy as np  # noqa: E402
from _data import CONFIGS, HIDDEN, LEARNING_RATE, load  # noqa: E402


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--config", default="clf-b256", choices=sorted(CONFIGS))
    args = ap.parse_args(argv)

    import torch

    if not torch.cuda.is_available():
        print("gpu_graph_probe: torch sees no CUDA device; nothing to measure")
        return 2
    from sknn import _engine

    config = CONFIGS[args.config]
    X, y = load(config)
    device = torch.device(args.device)
    n_out = 1 if config.task == "regression" else int(y.max()) + 1
    out_act = "identity" if config.task == "regression" else "softmax"
    sizes = [X.shape[1], *HIDDEN, n_out]
    spec = dict(
        solver="adam",
        momentum=0.9,
        nesterovs_momentum=True,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        learning_rate_init=LEARNING_RATE,
        alpha=1e-4,
        precision="float32",
    )
    rng = np.random.RandomState(0)
    coefs, intercepts = [], []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        bound = math.sqrt(6.0 / (fan_in + fan_out))
        coefs.append(rng.uniform(-bound, bound, (fan_in, fan_out)))
        intercepts.append(rng.uniform(-bound, bound, fan_out))

    def fresh():
        net = _engine.Network(sizes, "relu", out_act, torch.float32, device)
        net.set_weights(coefs, intercepts)
        return net, _engine.Trainer(net, spec, seed=0)

    rows = _engine._Rows(X, torch.float32, device)
    targets = _engine.Targets(out_act, y, None, torch.float32, device, n_classes=n_out)
    bs, n, dropout = config.batch_size, rows.n, [0.0] * len(HIDDEN)
    print(f"device {torch.cuda.get_device_name(device)}, torch {torch.__version__}")
    print(f"config {config.name}: {n} rows, batch {bs}, {math.ceil(n / bs)} batches")

    # -- eager: the loop fit runs today (shuffle off, to match the graph) --
    net, trainer = fresh()
    trainer.epoch(rows, targets, bs, False, dropout)  # warm-up
    times = []
    for _ in range(args.epochs):
        torch.cuda.synchronize(device)
        t = time.perf_counter()
        trainer.epoch(rows, targets, bs, False, dropout)
        torch.cuda.synchronize(device)
        times.append(time.perf_counter() - t)
    eager = statistics.median(times)
    per_batch = eager / math.ceil(n / bs) * 1e3
    print(f"eager   {eager:.4f} s/epoch ({per_batch:.3f} ms/batch)")

    # -- the same epoch recorded once and replayed --------------------------
    def record_epoch(net, trainer, total):
        net._buffers(bs, dropout)
        total.zero_()
        for start in range(0, n, bs):
            batch = slice(start, min(start + bs, n))
            nb = batch.stop - start
            loss = net.loss_and_grad(
                rows.X[batch],
                targets.take(batch),
                trainer.l2,
                dropout,
                trainer.generator,
                targets.scale(batch, nb),
            )
            trainer._step()
            total.add_(loss, alpha=nb)

    net, trainer = fresh()
    total = torch.zeros((), device=device)
    side = torch.cuda.Stream(device)
    side.wait_stream(torch.cuda.current_stream(device))
    with torch.cuda.stream(side):  # kernels warmed up outside the capture
        record_epoch(net, trainer, total)
    torch.cuda.current_stream(device).wait_stream(side)
    torch.cuda.synchronize(device)
    # scikit-learn's epsilon placement is computed on the host from the step
    # count: the graph keeps the values of the steps it recorded
    t_recorded = trainer.optimizer.t
    graph = torch.cuda.CUDAGraph()
    t = time.perf_counter()
    with torch.cuda.graph(graph):
        record_epoch(net, trainer, total)
    torch.cuda.synchronize(device)
    capture = time.perf_counter() - t
    times = []
    for _ in range(args.epochs):
        torch.cuda.synchronize(device)
        t = time.perf_counter()
        graph.replay()
        torch.cuda.synchronize(device)
        times.append(time.perf_counter() - t)
    replay = statistics.median(times)
    print(
        f"graph   {replay:.4f} s/epoch (capture {capture:.3f} s), "
        f"{eager / replay:.1f}x faster than the eager loop"
    )

    # -- agreement: one replay vs one eager epoch from the same state ------
    opt = trainer.optimizer
    state = [net.params, opt.state["m"], opt.state["v"], opt._step_t]
    before = [s.clone() for s in state]
    opt.t = t_recorded  # what the recorded steps saw (the replay ignores it)
    graph.replay()
    torch.cuda.synchronize(device)
    graph_loss = total.item() / n
    net2, trainer2 = fresh()
    opt2 = trainer2.optimizer
    for dst, src in zip(
        [net2.params, opt2.state["m"], opt2.state["v"], opt2._step_t], before
    ):
        dst.copy_(src)
    opt2.t = t_recorded
    eager_loss, _ = trainer2.epoch(rows, targets, bs, False, dropout)
    diff = (net.params - net2.params).abs().max().item()
    print(
        f"agreement after one epoch from the same state: max |params "
        f"difference| {diff:.2e}, loss {graph_loss:.6f} (graph) vs "
        f"{eager_loss:.6f} (eager)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
