"""Benchmark sknn's MLP against scikit-learn, a bare PyTorch loop and skorch.

    python benchmarks/bench_mlp.py --quick          # smoke run, about a minute
    python benchmarks/bench_mlp.py                  # the full run (3 repetitions)
    python benchmarks/bench_mlp.py --device cuda    # adds sknn and torch on the GPU
    python benchmarks/bench_mlp.py --only sknn,sklearn,digits-b32
    python benchmarks/bench_mlp.py --threads default --hog 2   # what users get

Every (implementation, configuration) pair runs in a fresh subprocess
(``_worker.py``) with one thread (OMP/MKL/OpenBLAS variables set to 1 and
``torch.set_num_threads(1)`` inside the worker), or with ``--threads default``
with every library's threads as a user gets them; ``--hog K`` keeps K
busy-looping processes running for the whole run (co-tenants on a shared
machine).  A warm-up fit precedes the timed fit in that process.
Repetitions are interleaved: repetition 1 of every pair, then repetition 2,
and so on, with the order of the implementations rotated each time, so a
burst of load from elsewhere hits all of them alike.
Tables report medians over repetitions; the ratio column is the median of the
per-repetition ratios to scikit-learn fed float32 X on the same data.

See ``benchmarks/README.md`` for what every column means.
"""

import argparse
import datetime
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import _cotenants  # noqa: E402
from _data import CONFIGS  # noqa: E402
from _impls import available  # noqa: E402
from _report import (  # noqa: E402
    check_targets,
    detail_table,
    pivot_table,
    rep_ratio_table,
    source_versions,
    startup_table,
    summarize,
    summarize_startup,
    targets_table,
)
from _startup import snippets  # noqa: E402
from _worker import sknn_fingerprint  # noqa: E402

ONE_THREAD = {
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "PYTHONWARNINGS": "ignore",
}
QUICK_CONFIGS = ("clf-b256", "digits-b32")
QUICK_EPOCHS = {"clf-b256": 1, "digits-b32": 3}
# torch-fused (the bare loop with Adam(fused=True)) runs when named in --only.
DEFAULT_IMPLS = ("sknn", "sklearn", "torch", "skorch")
BASELINE_IMPL = "sklearn"


_SNAPSHOT = None  # folder holding the copy of sknn the workers import


def _snapshot_sknn():
    """Copy this checkout's ``sknn/`` to a temporary folder that the workers
    import, so that every run of the benchmark measures the sources as they
    were when it started, even while someone edits them.  Outside a checkout
    the installed sknn is used."""
    global _SNAPSHOT
    src = HERE.parent / "sknn"
    if not (src / "__init__.py").exists():
        return None
    _SNAPSHOT = tempfile.mkdtemp(prefix="sknn-bench-")
    shutil.copytree(
        src, Path(_SNAPSHOT) / "sknn", ignore=shutil.ignore_patterns("__pycache__")
    )
    return _SNAPSHOT


_THREADS = "1"  # --threads: '1' (pinned) or 'default' (as users get them)
_THREAD_VARS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")


def _env():
    if _THREADS == "1":
        env = dict(os.environ, **ONE_THREAD)
    else:  # as a user gets them: whatever the caller's environment says
        env = dict(os.environ, PYTHONWARNINGS="ignore")
    env.pop("CUDA_LAUNCH_BLOCKING", None)
    if _SNAPSHOT is not None:
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (_SNAPSHOT, os.environ.get("PYTHONPATH")) if p
        )
    return env


def _parse_result(stdout):
    for line in stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT ") :])
    raise ValueError("no RESULT line in the worker's output")


def _run(cmd, timeout):
    """Run a subprocess; (result dict, wall seconds) or ({'error': ...}, wall)."""
    t = time.perf_counter()
    try:
        proc = subprocess.run(
            cmd, capture_output=True, text=True, env=_env(), timeout=timeout, cwd=HERE
        )
        wall = time.perf_counter() - t
        if proc.returncode != 0:
            tail = (proc.stderr or proc.stdout).strip().splitlines()[-5:]
            return {"error": f"exit {proc.returncode}: " + " | ".join(tail)}, wall
        return _parse_result(proc.stdout), wall
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout} s"}, time.perf_counter() - t
    except ValueError as exc:
        return {"error": str(exc)}, time.perf_counter() - t


def _cpu_model():
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        for line in out.splitlines():
            if line.startswith("Model name:"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _git(*args):
    try:
        return subprocess.run(
            ["git", *args], capture_output=True, text=True, cwd=HERE
        ).stdout.strip()
    except OSError:
        return ""


def _versions():
    out = {"python": platform.python_version()}
    for dist in ("sknn-torch", "torch", "scikit-learn", "numpy", "skorch"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = None
    return out


def _meta(args):
    return {
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "cpu": _cpu_model(),
        "cpu_count": os.cpu_count(),
        "platform": platform.platform(),
        "versions": _versions(),
        "git_commit": _git("rev-parse", "--short", "HEAD"),
        "engine_modified": bool(_git("status", "--porcelain", "--", "../sknn")),
        "args": vars(args),
        "loadavg_start": os.getloadavg(),
    }


def _select(args):
    impls = available(args.device)
    default = [i for i in DEFAULT_IMPLS if i in impls]
    if args.device != "cpu":
        default += [f"sknn-{args.device}", f"torch-{args.device}"]
    configs = list(QUICK_CONFIGS if args.quick else CONFIGS)
    startup = True
    if args.only:
        tokens = [t.strip() for t in args.only.split(",") if t.strip()]
        unknown = [
            t for t in tokens if t not in impls and t not in CONFIGS and t != "startup"
        ]
        if unknown:
            sys.exit(
                f"--only: unknown names {unknown}; implementations: "
                f"{sorted(impls)}, configs: {sorted(CONFIGS)}, or 'startup'"
            )
        chosen_impls = [t for t in tokens if t in impls]
        chosen_configs = [t for t in tokens if t in CONFIGS]
        default = chosen_impls or default
        configs = chosen_configs or configs
        startup = "startup" in tokens or not (chosen_impls or chosen_configs)
        if tokens == ["startup"]:
            configs = []
    return default, configs, startup


def _epochs(config, args):
    if args.epochs is not None:
        return args.epochs
    if args.quick:
        return QUICK_EPOCHS.get(config, 1)
    return CONFIGS[config].epochs


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--quick",
        action="store_true",
        help="smoke run: 2 repetitions, few epochs, digits + clf-b256",
    )
    p.add_argument(
        "--reps", type=int, default=None, help="repetitions (default 3; 2 with --quick)"
    )
    p.add_argument(
        "--epochs",
        type=int,
        default=None,
        help="timed epochs for every config (default: per config)",
    )
    p.add_argument(
        "--device",
        default="cpu",
        help="'cuda' (or 'cuda:N') adds sknn and torch on that device",
    )
    p.add_argument(
        "--only",
        default=None,
        help="comma-separated implementation and/or config names, or "
        "'startup'; e.g. --only sknn,sklearn,digits-b32",
    )
    p.add_argument(
        "--out",
        default=None,
        help="results JSON (default: benchmarks/results/bench-<date>.json)",
    )
    p.add_argument(
        "--timeout", type=float, default=1800.0, help="seconds allowed per subprocess"
    )
    p.add_argument(
        "--threads",
        choices=("1", "default"),
        default="1",
        help="'1' (default): every library pinned to one thread; 'default': "
        "threads as a user gets them (nothing set by the benchmark)",
    )
    p.add_argument(
        "--hog",
        type=int,
        default=0,
        metavar="K",
        help="keep K busy-looping processes running during the run "
        "(co-tenants on a shared machine); stopped on exit and on Ctrl-C",
    )
    args = p.parse_args(argv)
    global _THREADS
    _THREADS = args.threads
    # SIGTERM ends the run like Ctrl-C: the finally below stops the hogs
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    hogs = _cotenants.start(args.hog)
    try:
        return _main(args)
    finally:
        _cotenants.stop(hogs)
        if _SNAPSHOT is not None:
            shutil.rmtree(_SNAPSHOT, ignore_errors=True)


def _main(args):
    reps = args.reps or (2 if args.quick else 3)
    impls, configs, do_startup = _select(args)
    meta = _meta(args)
    snap = _snapshot_sknn()
    meta["sknn_fingerprint"] = sknn_fingerprint(Path(snap) / "sknn" if snap else None)
    print(f"# sknn MLP benchmark, {meta['date']}", flush=True)
    print(
        f"{meta['cpu']}, {meta['cpu_count']} cores, "
        + ", ".join(f"{k} {v}" for k, v in meta["versions"].items() if v),
        flush=True,
    )
    print(
        f"impls {impls}; configs {configs}; {reps} repetitions; "
        f"threads {args.threads}; {args.hog} busy co-tenant processes; "
        f"sknn at {meta['git_commit']}"
        + (" + local changes" if meta["engine_modified"] else "")
        + f" (sources {meta['sknn_fingerprint']})",
        flush=True,
    )

    records, startup = [], []
    progs = snippets(args.device)
    startup_libs = list(progs)
    t_start = time.perf_counter()
    for rep in range(reps):
        order = impls[rep % len(impls) :] + impls[: rep % len(impls)]
        if do_startup:
            k = rep % len(startup_libs)
            for lib in startup_libs[k:] + startup_libs[:k]:
                res, wall = _run([sys.executable, "-c", progs[lib]], args.timeout)
                res.update(lib=lib, rep=rep, wall_s=wall)
                startup.append(res)
                msg = res.get("error") or f"{wall:.2f} s whole process"
                print(f"[rep {rep + 1}/{reps}] startup {lib}: {msg}", flush=True)
        for config in configs:
            for impl in order:
                epochs = _epochs(config, args)
                cmd = [
                    sys.executable,
                    str(HERE / "_worker.py"),
                    impl,
                    config,
                    str(epochs),
                    args.device,
                    args.threads,
                ]
                res, wall = _run(cmd, args.timeout)
                res.update(impl=impl, config=config, rep=rep, process_s=wall)
                records.append(res)
                if "error" in res:
                    msg = "FAILED " + res["error"]
                else:
                    msg = (
                        f"{res['epoch_s']:.3f} s/epoch "
                        f"(CPU {res['epoch_cpu_s']:.3f}), score "
                        f"{res['train_score']:.4f}, process {wall:.1f} s"
                    )
                print(f"[rep {rep + 1}/{reps}] {config} {impl}: {msg}", flush=True)
    meta["loadavg_end"] = os.getloadavg()
    meta["sknn_sources"] = source_versions(records)
    meta["total_s"] = time.perf_counter() - t_start

    rows, failed = summarize(records)
    st_rows = summarize_startup(startup)
    targets = check_targets(rows, st_rows, args.device)
    sections = []
    if rows:
        sections += [
            f"## Steady seconds per epoch, wall clock (median of {reps}; in "
            "parentheses the median per-repetition ratio to sklearn fed float32 X)",
            pivot_table(rows, impls),
            "## Same, process CPU seconds per epoch (less sensitive to other load)",
            pivot_table(rows, impls, "epoch_cpu_s", "cpu_ratio"),
            "## All measurements (medians)",
            detail_table(rows, impls),
        ]
    if st_rows:
        sections += [
            "## Fresh process: import + fit digits for 20 epochs",
            startup_table(st_rows),
        ]
    if rows and BASELINE_IMPL in impls:
        sections += [
            "## sknn / sklearn per repetition (s/epoch, same repetition; "
            f"threads {args.threads}, {args.hog} busy co-tenants)",
            rep_ratio_table(records, args.hog, args.threads),
        ]
    sections += ["## Targets of issue 8 on this run", targets_table(targets)]
    versions = source_versions(records)
    if len(versions) > 1:
        sections.append(
            f"WARNING: sknn's sources changed during the run "
            f"(fingerprints {versions}); rerun on a fixed checkout."
        )
    if failed:
        sections.append("Failed: " + ", ".join(f"{c}/{i}" for c, i in failed))
    sections.append(
        f"Load average (1, 5, 15 min) at start {meta['loadavg_start']}, "
        f"at end {tuple(round(x, 2) for x in meta['loadavg_end'])}; "
        f"total {meta['total_s'] / 60:.1f} min."
    )
    report = "\n\n".join(sections)
    print("\n" + report, flush=True)

    out = (
        Path(args.out)
        if args.out
        else (HERE / "results" / f"bench-{datetime.datetime.now():%Y%m%d-%H%M%S}.json")
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        json.dumps(
            {
                "meta": meta,
                "records": records,
                "startup": startup,
                "summary": rows,
                "startup_summary": st_rows,
                "targets": targets,
                "report_markdown": report,
            },
            indent=1,
        )
    )
    print(f"\nresults: {out}", flush=True)
    return 0 if not failed else 1


if __name__ == "__main__":
    sys.exit(main())
