"""Medians, ratios, the issue-8 target check and the markdown tables."""

import statistics

from _data import CONFIGS

BASELINE = "sklearn"  # fed float32 X: the configuration's float32 twin
X_F32_MIB = 50_000 * 100 * 4 / 2**20  # one float32 copy of a 50k x 100 X


def _median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def _baseline_config(config_name):
    """The float32 configuration with the same data and batch size."""
    key = CONFIGS[config_name].baseline_key
    for c in CONFIGS.values():
        if c.baseline_key == key and c.dtype == "float32":
            return c.name
    return None


def summarize(records):
    """Median over repetitions per (config, impl), with per-repetition ratios
    to scikit-learn fed float32 X on the same data and batch size."""
    ok = [r for r in records if "error" not in r]
    by_key = {}
    for r in ok:
        by_key.setdefault((r["config"], r["impl"]), []).append(r)
    base = {(r["config"], r["rep"]): r for r in ok if r["impl"] == BASELINE}
    rows = []
    for (config, impl), recs in by_key.items():
        ratios, cpu_ratios = [], []
        for r in recs:
            b = base.get((_baseline_config(config), r["rep"]))
            if b is not None:
                ratios.append(r["epoch_s"] / b["epoch_s"])
                cpu_ratios.append(r["epoch_cpu_s"] / b["epoch_cpu_s"])
        epoch = [r["epoch_s"] for r in recs]
        row = {
            "config": config,
            "impl": impl,
            "reps": len(recs),
            "n_samples": recs[0]["n_samples"],
        }
        for field in (
            "epoch_s",
            "epoch_cpu_s",
            "fit_s",
            "predict_s",
            "predict_cpu_s",
            "train_score",
            "peak_rss_mib",
            "rss_before_mib",
            "warmup_s",
            "gpu_peak_mib",
        ):
            row[field] = _median([r.get(field) for r in recs])
        row["ratio"] = _median(ratios)
        row["cpu_ratio"] = _median(cpu_ratios)
        row["spread"] = (max(epoch) - min(epoch)) / row["epoch_s"]
        rows.append(row)
    failed = sorted({(r["config"], r["impl"]) for r in records if "error" in r})
    return rows, failed


def source_versions(records):
    """The distinct sknn source fingerprints the sknn runs imported."""
    return sorted({r["sknn_sources"] for r in records if r.get("sknn_sources")})


def summarize_startup(records):
    ok = [r for r in records if "error" not in r]
    base = {r["rep"]: r["wall_s"] for r in ok if r["lib"] == "sklearn"}
    rows = []
    for lib in dict.fromkeys(r["lib"] for r in ok):
        recs = [r for r in ok if r["lib"] == lib]
        rows.append(
            {
                "lib": lib,
                "reps": len(recs),
                "wall_s": _median([r["wall_s"] for r in recs]),
                "ratio": _median(
                    [r["wall_s"] / base[r["rep"]] for r in recs if r["rep"] in base]
                ),
                "import_s": _median([r["import_s"] for r in recs]),
                "fit_s": _median([r["fit_s"] for r in recs]),
                "train_score": _median([r["train_score"] for r in recs]),
            }
        )
    return rows


def _fmt(v, spec=".3f", suffix=""):
    return "-" if v is None else f"{v:{spec}}{suffix}"


def _table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _order(rows, impls):
    configs = [c for c in CONFIGS if any(r["config"] == c for r in rows)]
    impls = [i for i in impls if any(r["impl"] == i for r in rows)]
    cell = {(r["config"], r["impl"]): r for r in rows}
    return configs, impls, cell


def pivot_table(rows, impls, field="epoch_s", ratio="ratio"):
    """Rows: configurations; columns: implementations; cells: the median
    seconds per epoch and, in parentheses, the median ratio to sklearn-f32."""
    configs, impls, cell = _order(rows, impls)
    out = []
    for c in configs:
        line = [c]
        for i in impls:
            r = cell.get((c, i))
            if r is None:
                line.append("")
            else:
                x = f" ({r[ratio]:.2f}x)" if r[ratio] is not None else ""
                line.append(_fmt(r[field]) + x)
        out.append(line)
    return _table(["config", *impls], out)


def detail_table(rows, impls):
    configs, impls, cell = _order(rows, impls)
    gpu = any(r["gpu_peak_mib"] is not None for r in rows)
    header = [
        "config",
        "impl",
        "s/epoch",
        "CPU s/epoch",
        "x sklearn-f32",
        "spread",
        "fit s",
        "train score",
        "predict s",
        "predict CPU s",
        "peak RSS MiB",
        "RSS growth MiB",
        "warm-up s",
    ] + (["GPU peak MiB"] if gpu else [])
    out = []
    for c in configs:
        for i in impls:
            r = cell.get((c, i))
            if r is None:
                continue
            growth = (
                None
                if r["peak_rss_mib"] is None or r["rss_before_mib"] is None
                else r["peak_rss_mib"] - r["rss_before_mib"]
            )
            line = [
                c,
                i,
                _fmt(r["epoch_s"]),
                _fmt(r["epoch_cpu_s"]),
                _fmt(r["ratio"], ".2f"),
                _fmt(100 * r["spread"], ".0f", "%"),
                _fmt(r["fit_s"], ".2f"),
                _fmt(r["train_score"], ".4f"),
                _fmt(r["predict_s"], ".4f"),
                _fmt(r["predict_cpu_s"], ".4f"),
                _fmt(r["peak_rss_mib"], ".0f"),
                _fmt(growth, ".0f"),
                _fmt(r["warmup_s"], ".2f"),
            ]
            if gpu:
                line.append(_fmt(r["gpu_peak_mib"], ".0f"))
            out.append(line)
    return _table(header, out)


def startup_table(rows):
    return _table(
        [
            "library",
            "whole process s",
            "x sklearn",
            "imports s",
            "fit s (incl. lazy imports)",
            "train score",
        ],
        [
            [
                r["lib"],
                _fmt(r["wall_s"], ".2f"),
                _fmt(r["ratio"], ".2f"),
                _fmt(r["import_s"], ".2f"),
                _fmt(r["fit_s"], ".2f"),
                _fmt(r["train_score"], ".4f"),
            ]
            for r in rows
        ],
    )


def rep_ratio_table(records, hog=0, threads="1", impl="sknn"):
    """sknn's s/epoch over sklearn-f32's in each repetition, per config, with
    issue 14's verdict where it applies (``--threads default``: <= 0.9x
    with busy co-tenants)."""
    ok = [r for r in records if "error" not in r]
    base = {(r["config"], r["rep"]): r for r in ok if r["impl"] == BASELINE}
    per = {}
    for r in ok:
        if r["impl"] != impl:
            continue
        b = base.get((_baseline_config(r["config"]), r["rep"]))
        if b is not None:
            per.setdefault(r["config"], []).append(
                (r["rep"], r["epoch_s"] / b["epoch_s"])
            )
    n = max((len(v) for v in per.values()), default=0)
    rows = []
    for config in CONFIGS:
        if config not in per:
            continue
        ratios = [x for _, x in sorted(per[config])]
        cells = [f"{x:.2f}" for x in ratios] + [""] * (n - len(ratios))
        verdict = ""
        if threads == "default" and hog > 0:
            verdict = "holds" if max(ratios) <= 0.9 else "misses"
        rows.append(
            [config, *cells, f"{_median(ratios):.2f}", f"{max(ratios):.2f}", verdict]
        )
    header = ["config", *[f"rep {i + 1}" for i in range(n)], "median", "max"]
    return _table([*header, "issue 14: <= 0.9x every rep (busy, default)"], rows)


def check_targets(rows, startup_rows, device="cpu"):
    """Issue 8's targets, each as (target, verdict, evidence).  A verdict is
    'holds', 'misses' or 'not measured'."""
    cell = {(r["config"], r["impl"]): r for r in rows}
    f32 = [c.name for c in CONFIGS.values() if c.dtype == "float32"]
    out = []

    def add(text, checks):
        checks = [(ok, ev) for ok, ev in checks if ok is not None]
        if not checks:
            out.append((text, "not measured", ""))
            return
        verdict = "holds" if all(ok for ok, _ in checks) else "misses"
        out.append((text, verdict, "; ".join(ev for _, ev in checks)))

    def pair(c, a, b):
        return cell.get((c, a)), cell.get((c, b))

    checks = []
    for c in f32:
        s = cell.get((c, "sknn"))
        if s is not None and s["ratio"] is not None:
            checks.append((s["ratio"] <= 0.9, f"{c} {s['ratio']:.2f}x"))
    add("CPU s/epoch <= 0.9x sklearn-f32 on every float32 config", checks)

    checks = []
    for c in f32:
        s, k = pair(c, "sknn", "skorch")
        if s and k:
            x = k["epoch_s"] / s["epoch_s"]
            checks.append((x >= 2.0, f"{c} {x:.1f}x"))
    add(">= 2x faster than skorch (float32 configs)", checks)

    checks = []
    for c in CONFIGS:
        s, b = pair(c, "sknn", BASELINE)
        if s and b and s["n_samples"] == 50_000 and CONFIGS[c].dtype == "float32":
            checks.append(
                (
                    s["predict_s"] <= b["predict_s"],
                    f"{c} {s['predict_s']:.3f}s vs {b['predict_s']:.3f}s "
                    f"(CPU {s['predict_cpu_s']:.3f}s vs "
                    f"{b['predict_cpu_s']:.3f}s)",
                )
            )
    add("predict(_proba) on 50k rows <= sklearn-f32's time", checks)

    checks = []
    for c in CONFIGS:
        s, t = pair(c, "sknn", "torch")
        if s and t and s["n_samples"] == 50_000:
            limit = t["peak_rss_mib"] + X_F32_MIB * (
                2 if CONFIGS[c].dtype == "float64" else 1
            )
            checks.append(
                (
                    s["peak_rss_mib"] <= limit,
                    f"{c} {s['peak_rss_mib']:.0f} vs limit {limit:.0f} MiB",
                )
            )
    add("peak RSS during fit <= bare torch loop's + one copy of X", checks)

    st = {r["lib"]: r for r in startup_rows}
    checks = []
    if "sknn" in st and st["sknn"]["ratio"] is not None:
        checks.append((st["sknn"]["ratio"] <= 1.2, f"{st['sknn']['ratio']:.2f}x"))
    add("fresh process, digits 20 epochs: <= 1.2x sklearn's whole-process time", checks)

    for impl, label in ((f"sknn-{device}", ""), (f"sknn-{device}-graph", " (graph)")):
        checks = []
        s = cell.get(("clf-b256", impl)) if device != "cpu" else None
        if s is not None and s["ratio"] is not None:
            checks.append((s["ratio"] <= 0.1, f"{1 / s['ratio']:.1f}x faster"))
        if label and not checks:
            continue  # the experimental variant only where it ran
        add(f"GPU{label}: >= 10x faster per epoch than sklearn-f32 on clf-b256", checks)

    checks = []
    for c in CONFIGS:
        s, b = pair(c, "sknn", BASELINE)
        if s and b and CONFIGS[c].dtype == "float64":
            x = s["epoch_s"] / b["epoch_s"]
            checks.append((x <= 1.0, f"{c} {x:.2f}x"))
    add("(not in issue 8) float64 X: s/epoch <= sklearn fed the same float64 X", checks)

    checks = []
    for c in CONFIGS:
        s, b = pair(c, "sknn", BASELINE)
        if s and b:
            d = s["train_score"] - b["train_score"]
            checks.append((d >= -0.02, f"{c} {d:+.3f}"))
    add("train score within noise (>= sklearn's - 0.02)", checks)
    return out


def targets_table(targets):
    return _table(
        ["target (issue 8)", "verdict", "evidence"], [list(t) for t in targets]
    )
