"""
===============================================================
Training on a GPU, predicting anywhere
===============================================================

sknn trains where torch finds a GPU: with the default ``device='auto'`` a fit
runs on CUDA when ``torch.cuda.is_available()`` and on the CPU otherwise, with
no change to the code. The fitted model keeps its weights as numpy arrays, so
it pickles like any scikit-learn estimator and predicts on a machine that has
no GPU at all.

This example runs anywhere; on a machine without CUDA the GPU parts are
skipped.
"""

# %%
# ``device='auto'``
# -----------------
import os
import pickle
import subprocess
import sys
import tempfile
import time
import warnings

import matplotlib.pyplot as plt
import numpy as np
import torch
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler

from sknn import MLPClassifier

X, y = make_classification(
    n_samples=5000,
    n_features=50,
    n_informative=20,
    n_classes=5,
    random_state=0,
)
X = StandardScaler().fit_transform(X).astype(np.float32)

params = dict(
    hidden_layer_sizes=(256, 256), batch_size=250, max_iter=5, random_state=0
)
print("CUDA available:", torch.cuda.is_available())
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)  # 5 epochs on purpose
    model = MLPClassifier(**params).fit(X, y)
print("trained on:", model.device_)

# %%
# Timing the same fit on each device
# ----------------------------------
# ``device='cpu'`` or ``'cuda'`` pins the device. The first fit on a device
# pays one-off start-up costs (loading CUDA kernels, for instance), so each
# device gets a short warm-up fit before the timed one.
devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
seconds = {}
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    for device in devices:
        MLPClassifier(**dict(params, max_iter=1), device=device).fit(X, y)
        start = time.perf_counter()
        MLPClassifier(**params, device=device).fit(X, y)
        seconds[device] = time.perf_counter() - start
        print(f"{device:5s} 5 epochs in {seconds[device]:.2f} s")

fig, ax = plt.subplots(figsize=(5, 3))
ax.barh(
    list(seconds), list(seconds.values()), color=["C0", "C2"][: len(seconds)]
)
ax.set(
    xlabel="seconds for 5 epochs", title="MLP (256, 256) on 5000 x 50 samples"
)
fig.tight_layout()

# %%
# What the GPU gains depends on the card and on the network. Small layers
# leave it mostly idle: each minibatch is a few small matrix products, whose
# launch costs about as much as their arithmetic. The gap widens with the width
# of the layers and the size of the batches.

# %%
# The fitted model is plain numpy
# -------------------------------
# Whatever the device, the weights come back to the host after the fit:
print("types of coefs_:", {type(w).__name__ for w in model.coefs_})
restored = pickle.loads(pickle.dumps(model))
print(
    "same predictions after pickling:",
    np.array_equal(restored.predict(X), model.predict(X)),
)

# %%
# Loading it on a machine without a GPU
# -------------------------------------
# To play that machine, we start a fresh Python process in which CUDA is
# hidden (``CUDA_VISIBLE_DEVICES=""``), load the pickle there and predict.
with tempfile.TemporaryDirectory() as tmp:
    model_path = os.path.join(tmp, "model.pkl")
    data_path = os.path.join(tmp, "X.npy")
    out_path = os.path.join(tmp, "proba.npy")
    with open(model_path, "wb") as f:
        pickle.dump(model, f)
    np.save(data_path, X[:500])
    script = f"""
import pickle, numpy as np, torch
with open({model_path!r}, "rb") as f:
    model = pickle.load(f)
print("in the other process: CUDA available:", torch.cuda.is_available(),
      "| trained on:", model.device_)
np.save({out_path!r}, model.predict_proba(np.load({data_path!r})))
"""
    env = dict(os.environ, CUDA_VISIBLE_DEVICES="")
    run = subprocess.run(
        [sys.executable, "-c", script],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    print(run.stdout.strip())
    proba_elsewhere = np.load(out_path)

proba_here = model.predict_proba(X[:500])
print(
    "largest difference in probabilities:",
    f"{np.abs(proba_elsewhere - proba_here).max():.1e}",
)
