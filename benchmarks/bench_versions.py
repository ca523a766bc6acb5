"""Compare two versions of sknn on the benchmark configurations.

    python benchmarks/bench_versions.py --base c8d6829   # HEAD vs c8d6829
    python benchmarks/bench_versions.py --base main --reps 5 --only clf-b256

Each version's ``sknn/`` is exported (``git archive``) to a temporary folder;
every (version, configuration) pair runs in a fresh subprocess of
``_worker.py`` with one thread, a warm-up fit first, as ``bench_mlp.py``
does.  Repetitions are interleaved (base, new, then new, base, ...), so a
burst of load from elsewhere hits both alike.  The table gives the medians
and the median of the per-repetition ratios new / base (below 1: faster).
A refactor that must not slow anything down is checked with this.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from _data import CONFIGS  # noqa: E402

ONE_THREAD = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
ONE_THREAD |= {"OPENBLAS_NUM_THREADS": "1", "PYTHONWARNINGS": "ignore"}
EPOCHS = {"clf-b256": 2, "digits-b32": 5}


def export(rev):
    """``sknn/`` of a git revision in a new temporary folder."""
    out = tempfile.mkdtemp(prefix=f"sknn-{rev}-")
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", rev, "sknn"],
        check=True,
        capture_output=True,
    ).stdout
    with tempfile.TemporaryFile() as f:
        f.write(archive)
        f.seek(0)
        with tarfile.open(fileobj=f) as tar:
            tar.extractall(out, filter="data")
    return out


def run(src, config, epochs):
    env = dict(os.environ, **ONE_THREAD, PYTHONPATH=src)
    cmd = [sys.executable, str(HERE / "_worker.py"), "sknn", config, str(epochs)]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=900)
    for line in out.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[7:])
    raise RuntimeError(f"worker failed for {config} in {src}:\n{out.stderr[-2000:]}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", required=True, help="git revision to compare with")
    parser.add_argument("--new", default="HEAD", help="git revision (default HEAD)")
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--only", default=",".join(CONFIGS))
    args = parser.parse_args()
    srcs = {"base": export(args.base), "new": export(args.new)}
    configs = [c for c in args.only.split(",") if c in CONFIGS]
    results = {(v, c): [] for v in srcs for c in configs}
    for rep in range(args.reps):
        for config in configs:
            order = ["base", "new"] if rep % 2 == 0 else ["new", "base"]
            for version in order:
                epochs = EPOCHS.get(config, 2)
                results[version, config].append(run(srcs[version], config, epochs))
    print(
        f"sknn {args.new} vs {args.base}, {args.reps} interleaved repetitions, 1 thread"
    )
    print(
        f"{'config':<14} {'epoch base':>11} {'epoch new':>10} {'ratio':>6}  "
        f"{'predict base':>12} {'predict new':>11} {'ratio':>6}  same score"
    )
    for config in configs:
        b, n = results["base", config], results["new", config]
        row = [config]
        for key in ("epoch_s", "predict_s"):
            ratios = [x[key] / y[key] for x, y in zip(n, b)]
            row += [statistics.median(y[key] for y in b)]
            row += [statistics.median(x[key] for x in n), statistics.median(ratios)]
        same = all(x["train_score"] == y["train_score"] for x, y in zip(n, b))
        print(
            f"{row[0]:<14} {row[1]:>11.4f} {row[2]:>10.4f} {row[3]:>6.2f}  "
            f"{row[4]:>12.4f} {row[5]:>11.4f} {row[6]:>6.2f}  {same}"
        )


if __name__ == "__main__":
    main()
