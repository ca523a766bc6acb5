"""
===============================================================
Exporting a network to ONNX and running it with onnxruntime
===============================================================

:func:`~sknn.to_onnx` writes a fitted sknn estimator as an
`ONNX <https://onnx.ai>`_ model: a file any ONNX runtime can execute, with
no Python, scikit-learn or torch needed at serving time. Here we export a
classifier, a regressor and a table's classifier (with its encoding), run
them with onnxruntime, and check that they predict what sknn predicts.
"""

# %%
# A classifier with string labels
# -------------------------------
# Wine cultivars named by strings; float32 inputs make a float32 model.
import os
import tempfile
import warnings

import numpy as np
import onnxruntime as ort
from sklearn.datasets import load_diabetes, load_wine
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler

from sknn import MLPClassifier, MLPRegressor, to_onnx

# the fits below stop at max_iter on purpose: they are short
warnings.filterwarnings("ignore", category=ConvergenceWarning)

X, y = load_wine(return_X_y=True)
names = np.array(["barolo", "grignolino", "barbera"])[y]
scaler = StandardScaler().fit(X)
X = scaler.transform(X).astype(np.float32)

clf = MLPClassifier((32, 16), activation="gelu", max_iter=200, random_state=0)
clf.fit(X, names)

path = os.path.join(tempfile.mkdtemp(), "wine_mlp.onnx")
to_onnx(clf, path)
print(f"wrote {path} ({os.path.getsize(path)} bytes)")

# %%
# Run it with onnxruntime
# -----------------------
# The model has one input, ``X``, with a dynamic batch size, and two outputs:
# the predicted labels (a string tensor here) and the probabilities.
session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
for node in session.get_inputs() + session.get_outputs():
    print(f"{node.name:14s} {node.type:16s} {node.shape}")

label, proba = session.run(None, {"X": X[:5]})
print(label)
print("columns:", clf.classes_)  # the order of predict_proba's columns
print(np.round(proba, 3))

# %%
# Same predictions as sknn
# ------------------------
label, proba = session.run(None, {"X": X})
print("labels identical:", bool(np.all(label == clf.predict(X))))
print(
    "largest probability difference:",
    np.abs(proba - clf.predict_proba(X)).max(),
)
# the claims of this section, checked at every build of the gallery
assert np.all(label == clf.predict(X))
assert np.abs(proba - clf.predict_proba(X)).max() < 1e-5

# %%
# A regressor
# -----------
# A float64 regressor gives a model with a ``double`` input; its single output
# ``predictions`` has the shape ``predict`` returns (1-D for a 1-D target).
# ``to_onnx`` without a path just returns the model, which onnxruntime also
# takes as bytes.
X, y = load_diabetes(return_X_y=True)
X = StandardScaler().fit_transform(X)
reg = MLPRegressor(
    hidden_layer_sizes=(64,),
    learning_rate_init=0.01,
    max_iter=300,
    random_state=0,
)
reg.fit(X, y)

model = to_onnx(reg)
session = ort.InferenceSession(
    model.SerializeToString(), providers=["CPUExecutionProvider"]
)
(pred,) = session.run(None, {"X": X})
print("input type:", session.get_inputs()[0].type, "output shape:", pred.shape)
print("largest difference:", np.abs(pred - reg.predict(X)).max())
assert pred.shape == reg.predict(X).shape
assert np.allclose(pred, reg.predict(X), rtol=1e-9)

# %%
# A table, encoding included
# --------------------------
# :class:`~sknn.TabularMLPClassifier` encodes its table itself, and so does
# its ONNX model: the graph holds the median filling, the scaling, the
# one-hot rows and the average of the ensemble's networks. It takes one
# input per column, of shape ``(batch, 1)``: doubles for numbers (NaN where
# missing), text for categories (the empty string where missing).
import pandas as pd

from sknn import TabularMLPClassifier

rng = np.random.RandomState(0)
table = pd.DataFrame(
    {
        "size": rng.lognormal(3, 1, 400),
        "colour": rng.choice(["red", "green", "blue", None], 400),
    }
)
table.loc[::10, "size"] = np.nan
kind = np.where(
    (table["size"].fillna(20) > 20) ^ (table["colour"] == "red"), "a", "b"
)
tab = TabularMLPClassifier(max_iter=20, random_state=0).fit(table, kind)

session = ort.InferenceSession(to_onnx(tab).SerializeToString())
for node in session.get_inputs():
    print(f"{node.name:8s} {node.type:16s} {node.shape}")
feed = {
    "size": table[["size"]].to_numpy(np.float64),
    "colour": table[["colour"]].fillna("").to_numpy(object),
}
label, proba = session.run(None, feed)
print("labels identical:", bool(np.all(label == tab.predict(table))))
print(
    "largest probability difference:",
    np.abs(proba - tab.predict_proba(table)).max(),
)
assert np.all(label == tab.predict(table))
assert np.abs(proba - tab.predict_proba(table)).max() < 1e-12

# %%
# The whole pipeline with skl2onnx
# --------------------------------
# Above, the scaler ran before the ONNX model, as it ran before the network
# during training. With :func:`~sknn.register_skl2onnx`, skl2onnx converts a
# whole pipeline, scaler and network in one graph; the network's nodes are
# the ones ``to_onnx`` writes. ``zipmap=False`` keeps the probabilities a
# matrix (skl2onnx's default is a list of dicts).
from skl2onnx import to_onnx as skl2onnx_to_onnx
from sklearn.pipeline import make_pipeline

from sknn import register_skl2onnx

register_skl2onnx()
X_raw, _ = load_wine(return_X_y=True)
X_raw = X_raw.astype(np.float32)
pipe = make_pipeline(
    StandardScaler(), MLPClassifier((32, 16), max_iter=200, random_state=0)
).fit(X_raw, names)
onx = skl2onnx_to_onnx(
    pipe, X_raw[:1], options={MLPClassifier: {"zipmap": False}}
)
session = ort.InferenceSession(onx.SerializeToString())
label, proba = session.run(None, {"X": X_raw})
print("nodes:", [n.op_type for n in onx.graph.node])
print("labels identical:", bool(np.all(label == pipe.predict(X_raw))))
print(
    "largest probability difference:",
    abs(proba - pipe.predict_proba(X_raw)).max(),
)
assert np.all(label == pipe.predict(X_raw))
assert np.abs(proba - pipe.predict_proba(X_raw)).max() < 1e-5
