"""Where does a training batch's time go?  sknn next to sklearn and bare torch.

    python benchmarks/profile_sknn.py                      # digits, batch 32
    python benchmarks/profile_sknn.py --config clf-b256 --epochs 1

For each implementation, in this one process (one thread, after a warm-up
fit):

1. milliseconds per batch without any profiler, wall clock and process CPU
   time (the best of three fits);
2. for the torch-based ones, the operator census: every aten operator one
   batch dispatches, counted exactly (a ``TorchDispatchMode``; the count of a
   fit of two epochs minus that of one epoch, per batch), with the source line
   that issued it -- this does not depend on the machine's load;
3. cProfile's functions by own time (Python-level overhead);
4. for the torch-based ones, torch.profiler's operators by self CPU time, with
   calls per batch.

Profilers slow the run down and a loaded machine distorts short timings; read
their tables for proportions and counts, and section 1 for the real speed.
The report also goes to ``benchmarks/results/profile-<config>.txt``.
"""

import argparse
import cProfile
import io
import math
import os
import pstats
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ[_var] = "1"

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import torch  # noqa: E402
from _data import CONFIGS, WARMUP_ROWS, load  # noqa: E402
from _impls import available  # noqa: E402
from _worker import sknn_fingerprint  # noqa: E402


def _per_op_floor():
    """Microseconds for one tiny in-place add: the fixed cost of an operator
    call through the dispatcher on this machine."""
    a, b = torch.zeros(8), torch.ones(8)
    for _ in range(1000):
        a.add_(b)
    n = 20000
    t = time.perf_counter()
    for _ in range(n):
        a.add_(b)
    return (time.perf_counter() - t) / n * 1e6


_SOURCES = ("/sknn/", "_impls.py", "/torch/optim/", "/skorch/")


def _caller():
    """``file:line function`` of the innermost frame in sknn, the benchmark's
    implementations, torch.optim or skorch."""
    f = sys._getframe(2)
    while f is not None:
        name = f.f_code.co_filename
        if any(s in name for s in _SOURCES):
            short = name.split("/sknn/")[-1] if "/sknn/" in name else Path(name).name
            return f"{short}:{f.f_lineno} {f.f_code.co_name}"
        f = f.f_back
    return "?"


def op_census(impl, X, y, config):
    """Every aten operator one batch dispatches, and the work in it.

    Returns ``({(operator, source line): (calls per batch, us per batch of
    work)}, floor_us)``.  Counts are exact: a fit of two epochs minus a fit of
    one, per batch.  The work of an operator is the median time of its single
    calls (a median shrugs off the calls another process preempted) less
    ``floor_us``, the median time of a tiny ``a.add_(b)`` measured the same
    way: what remains is the work above a do-nothing operator.  The times are
    taken below torch's Python dispatch key (the kernel and the dispatch
    beneath it; the Python binding and the autograd layer above are not in
    them)."""
    from torch.utils._python_dispatch import TorchDispatchMode

    class Census(TorchDispatchMode):
        def __init__(self):
            super().__init__()
            self.counts, self.seconds = Counter(), {}

        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            key = (func.__name__, _caller())
            t = time.perf_counter()
            out = func(*args, **(kwargs or {}))
            self.seconds.setdefault(key, []).append(time.perf_counter() - t)
            self.counts[key] += 1
            return out

    a, b = torch.zeros(8), torch.ones(8)
    with Census() as c:
        for _ in range(2000):
            a.add_(b)
    floor = statistics.median(next(iter(c.seconds.values())))
    runs = []
    for epochs in (1, 2):
        with Census() as c:
            impl.fit(X, y, config, epochs)
        runs.append(c)
    n = math.ceil(X.shape[0] / config.batch_rows(X.shape[0]))
    out = {}
    for key, k in runs[1].counts.items():
        calls = (k - runs[0].counts.get(key, 0)) / n
        if calls:
            work = max(statistics.median(runs[1].seconds[key]) - floor, 0.0)
            out[key] = (calls, calls * work * 1e6)
    return out, floor * 1e6


def profile(name, impl, X, y, config, epochs, out, op_floor):
    n_batches = epochs * math.ceil(X.shape[0] / config.batch_rows(X.shape[0]))
    m = min(WARMUP_ROWS, X.shape[0])
    impl.fit(X[:m], y[:m], config, 1)

    wall, cpu = [], []
    for _ in range(3):
        t, c = time.perf_counter(), time.process_time()
        impl.fit(X, y, config, epochs)
        wall.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    out(
        f"\n## {name}: {min(wall) / n_batches * 1e3:.3f} ms per batch wall, "
        f"{min(cpu) / n_batches * 1e3:.3f} ms CPU ({n_batches} batches of "
        f"{config.batch_size}, no profiler, best of 3)\n"
    )

    if impl.uses_torch:
        census, floor = op_census(impl, X, y, config)
        calls = sum(c for c, _ in census.values())
        work = sum(t for _, t in census.values())
        out(
            f"### operators dispatched per batch ({name}): {calls:.1f} calls; "
            f"{work:.0f} us of work above a do-nothing operator in them; at "
            f"{op_floor:.2f} us per call, dispatching them alone costs about "
            f"{calls * op_floor:.0f} us of the {min(cpu) / n_batches * 1e6:.0f} us "
            f"CPU per batch (timer floor under the census {floor:.2f} us)\n"
        )
        out(f"{'calls/batch':>11} {'us/batch':>9}  {'operator':<28} issued at")
        for (op, where), (k, t) in sorted(census.items(), key=lambda kv: -kv[1][1]):
            if k >= 0.05:
                out(f"{k:>11.2f} {t:>9.1f}  {op:<28} {where}")
        out("")

    prof = cProfile.Profile()
    prof.enable()
    impl.fit(X, y, config, epochs)
    prof.disable()
    s = io.StringIO()
    stats = pstats.Stats(prof, stream=s)
    stats.sort_stats("tottime").print_stats(18)
    out(f"### cProfile, by own time ({name})\n")
    out("\n".join(s.getvalue().splitlines()[4:]))

    wall, cpu = [], []
    for _ in range(3):
        t, c = time.perf_counter(), time.process_time()
        impl.predict(X)
        wall.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    out(
        f"\n### predict on the {X.shape[0]} training rows ({name}): "
        f"{min(wall) * 1e3:.1f} ms wall, {min(cpu) * 1e3:.1f} ms CPU (best of 3)\n"
    )
    prof = cProfile.Profile()
    prof.enable()
    impl.predict(X)
    prof.disable()
    s = io.StringIO()
    pstats.Stats(prof, stream=s).sort_stats("tottime").print_stats(8)
    out("\n".join(s.getvalue().splitlines()[4:]))

    if not impl.uses_torch:
        return
    from torch.profiler import ProfilerActivity
    from torch.profiler import profile as torch_profile

    with torch_profile(activities=[ProfilerActivity.CPU]) as tp:
        impl.fit(X, y, config, epochs)
    events = tp.key_averages()
    total = sum(e.self_cpu_time_total for e in events)
    out(f"\n### torch.profiler, operators by self CPU time ({name})\n")
    out(f"{'operator':<44} {'calls/batch':>11} {'us/call':>8} {'% of ops':>8}")
    ops_per_batch = 0.0
    for e in sorted(events, key=lambda e: -e.self_cpu_time_total):
        per_batch = e.count / n_batches
        if e.key.startswith("aten::") or e.key.startswith("Optimizer"):
            ops_per_batch += per_batch if e.key.startswith("aten::") else 0
        if e.self_cpu_time_total / total < 0.005:
            continue
        out(
            f"{e.key[:44]:<44} {per_batch:>11.2f} "
            f"{e.self_cpu_time_total / e.count:>8.1f} "
            f"{100 * e.self_cpu_time_total / total:>7.1f}%"
        )
    out(f"\naten operator calls per batch (all levels): {ops_per_batch:.0f}")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--config", default="digits-b32", choices=sorted(CONFIGS))
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--impls", default="sknn,sklearn,torch,torch-fused")
    args = p.parse_args(argv)
    torch.set_num_threads(1)  # this benchmark process only
    torch.set_num_interop_threads(1)
    config = CONFIGS[args.config]
    X, y = load(config)
    lines = []

    def out(text):
        print(text, flush=True)
        lines.append(text)

    out(
        f"# profile: {config.name} ({config.description}), {args.epochs} epochs, "
        f"torch {torch.__version__}, 1 thread, sknn sources {sknn_fingerprint()}"
    )
    op_floor = _per_op_floor()
    out(f"fixed cost of one tiny torch op (a.add_(b), 8 floats): {op_floor:.2f} us")
    impls = available()
    for name in args.impls.split(","):
        profile(name, impls[name](), X, y, config, args.epochs, out, op_floor)
    path = HERE / "results" / f"profile-{config.name}.txt"
    path.parent.mkdir(exist_ok=True)
    path.write_text("\n".join(lines) + "\n")
    print(f"\nwritten to {path}")


if __name__ == "__main__":
    main()
