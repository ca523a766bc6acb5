"""bfloat16 on the CPU: float32 vs bfloat16 under autocast (the old path) vs
bfloat16 on the written-out path (issue 14).

Every (config, mode, threads, repetition) runs in a fresh process, the
repetitions interleaved (rep 1 of every mode, then rep 2, ...).  Each worker
fits once on the first 2048 rows (warm-up), then times ``fit`` for
``--epochs`` epochs (Adam, lr 1e-3, no early stopping) and reports seconds
per epoch and the training accuracy.

    python benchmarks/bench_bf16.py          # both configs, 1/default threads, 3 reps
    python benchmarks/bench_bf16.py --configs wide --threads 1 --reps 5
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

CONFIGS = {
    # name: (rows, hidden layers, batch, epochs)
    "wide": (20_000, (1024, 1024), 256, 3),
    "clf-b256": (50_000, (256, 128), 256, 3),
}
MODES = ("float32", "bf16-autocast", "bf16-fast")


def worker(config, mode, threads):
    import numpy as np
    from sklearn.datasets import make_classification

    if threads == "1":
        import torch

        torch.set_num_threads(1)
        torch.set_num_interop_threads(1)
    from sknn import MLPClassifier
    from sknn._engine import trainer

    trainer.CPU_BFLOAT16_PATH = "autocast" if mode == "bf16-autocast" else "written-out"
    rows, hidden, batch, epochs = CONFIGS[config]
    X, y = make_classification(
        rows, 100, n_informative=40, n_classes=10, random_state=0
    )
    X = X.astype(np.float32)
    kw = dict(
        batch_size=batch,
        learning_rate_init=1e-3,
        tol=0,
        n_iter_no_change=10**9,
        random_state=0,
        device="cpu",
        precision="float32" if mode == "float32" else "bfloat16",
    )
    import warnings

    warnings.simplefilter("ignore")
    MLPClassifier(hidden, max_iter=1, **kw).fit(X[:2048], y[:2048])
    clf = MLPClassifier(hidden, max_iter=epochs, **kw)
    t0 = time.perf_counter()
    clf.fit(X, y)
    dt = time.perf_counter() - t0
    return dict(epoch_s=dt / clf.n_iter_, train_acc=float(clf.score(X, y)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--configs", default=",".join(CONFIGS))
    ap.add_argument("--threads", default="1,default")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--worker", nargs=3)
    args = ap.parse_args()
    if args.worker:
        print(json.dumps(worker(*args.worker)))
        return
    results = {}
    for rep in range(args.reps):
        for threads in args.threads.split(","):
            for config in args.configs.split(","):
                for mode in MODES:
                    env = dict(os.environ)
                    for k in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
                        env.pop(k, None)
                        if threads == "1":
                            env[k] = "1"
                    out = subprocess.run(
                        [sys.executable, __file__, "--worker", config, mode, threads],
                        env=env,
                        capture_output=True,
                        text=True,
                        check=True,
                    )
                    r = json.loads(out.stdout.strip().splitlines()[-1])
                    results.setdefault((config, threads), {}).setdefault(
                        mode, []
                    ).append(r)
                    print(rep, threads, config, mode, r, flush=True)
    print("\n| config | threads | mode | s/epoch (median) | vs float32 | train acc |")
    print("|---|---|---|---|---|---|")
    for (config, threads), by_mode in results.items():
        ref = [r["epoch_s"] for r in by_mode["float32"]]
        for mode, rs in by_mode.items():
            t = [r["epoch_s"] for r in rs]
            ratio = statistics.median(a / b for a, b in zip(ref, t))
            acc = statistics.median(r["train_acc"] for r in rs)
            print(
                f"| {config} | {threads} | {mode} | {statistics.median(t):.3f} "
                f"| {ratio:.2f}× | {acc:.4f} |"
            )


if __name__ == "__main__":
    main()
