"""Fingerprints of TabularPreprocessor on varied frames.

Mixed-type objects, missing values, unseen levels, every encoding: run
before and after a refactor of the encoding and diff the two outputs.

    python benchmarks/fingerprint_preprocessor.py > before.txt
"""

import hashlib
import warnings

import numpy as np
import pandas as pd

from sknn import TabularMLPClassifier, TabularPreprocessor

warnings.simplefilter("ignore")

rng = np.random.RandomState(0)
n = 3000
frames = {}
df = pd.DataFrame(
    {
        "x": rng.normal(size=n),
        "i": rng.randint(0, 5, n),
        "s": rng.choice(["a", "b", "c", "nan", "", "B"], n).astype(object),
        "mixed": pd.Series(
            rng.choice([1, 1.0, True, "1", None, 2.5, "x"], n), dtype=object
        ),
        "c": pd.Categorical(rng.choice([f"c{i}" for i in range(400)], n)),
        "few": pd.Categorical(rng.choice(["p", "q"], n)),
        "when": pd.Timestamp("2020-01-01")
        + pd.to_timedelta(rng.randint(0, 100, n), "D"),
    }
)
df.loc[::7, "x"] = np.nan
df.loc[::5, "s"] = None
df.loc[::11, "c"] = np.nan
test = df.sample(500, random_state=1).copy()
test.loc[test.index[:50], "s"] = "unseen"
test["c"] = pd.Categorical(rng.choice([f"c{i}" for i in range(450)], 500))
out = {}
for kw in [
    dict(),
    dict(high_cardinality="codes"),
    dict(max_onehot=3),
    dict(max_onehot=3, high_cardinality="codes"),
    dict(categorical_features=["i", "x"]),
    dict(clip=None),
]:
    pre = TabularPreprocessor(**kw).fit(df)
    for name, X in [("train", df), ("test", test)]:
        a = pre.transform(X)
        out[f"{kw}-{name}"] = (
            hashlib.sha256(np.ascontiguousarray(a).tobytes()).hexdigest()[:16]
            + f" {a.shape} {a.dtype} {a.flags['C_CONTIGUOUS']}"
        )
    out[f"{kw}-names"] = hashlib.sha256(
        "|".join(pre.get_feature_names_out()).encode()
    ).hexdigest()[:16]
    out[f"{kw}-codes"] = str(pre.code_columns_.tolist()) + str(
        pre.continuous_columns_.tolist()
    )
clf = TabularMLPClassifier(hidden_layer_sizes=(16,), max_iter=3, random_state=0).fit(
    df, df["few"]
)
out["clf"] = hashlib.sha256(clf.predict_proba(test).tobytes()).hexdigest()[:16]
for k, v in out.items():
    print(k, v)
