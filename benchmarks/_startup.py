"""Whole-process cost: a fresh ``python -c`` that imports a library and fits
digits for 20 epochs (batch 32, d -> 256 -> 128 -> 10, Adam 1e-3).

The driver times the process from spawn to exit; the snippet itself reports
how much of that went to imports and how much to the fit.
"""

_PRELUDE = """\
import time
t0 = time.perf_counter()
import json, warnings
import numpy as np
from sklearn.datasets import load_digits
"""

_DATA = """\
X, y = load_digits(return_X_y=True)
X = (X / 16.0).astype(np.float32)
t1 = time.perf_counter()
"""

_REPORT = """\
t2 = time.perf_counter()
print("RESULT " + json.dumps({"import_s": t1 - t0, "fit_s": t2 - t1,
                              "train_score": None if score is None
                                             else float(score)}))
"""

_ESTIMATOR_FIT = """\
warnings.simplefilter("ignore")
clf = MLPClassifier(hidden_layer_sizes=(256, 128), batch_size=32, max_iter=20,
                    tol=0.0, n_iter_no_change=10**9, random_state=0{extra})
score = clf.fit(X, y).score(X, y)
"""

_TORCH_FIT = """\
torch.manual_seed(0)
Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
model = nn.Sequential(nn.Linear(64, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(),
                      nn.Linear(128, 10))
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
loss_fn = nn.CrossEntropyLoss()
for _ in range(20):
    perm = torch.randperm(len(Xt))
    for i in range(0, len(Xt), 32):
        idx = perm[i:i + 32]
        opt.zero_grad(set_to_none=True)
        loss_fn(model(Xt[idx]), yt[idx]).backward()
        opt.step()
with torch.inference_mode():
    score = (model(Xt).argmax(1) == yt).float().mean().item()
"""


# What any library on a torch core pays before its first epoch: the same
# imports as the sknn program plus torch itself, and torch's share of the
# interpreter's shutdown; no fit.
_IMPORTS_ONLY = """\
import torch
score = None
"""


def snippets(device="cpu"):
    """Name -> source of the ``python -c`` program for each library.

    ``sknn-imports`` is the floor under sknn's row: the same program with
    ``import torch`` in place of the fit.
    """
    return {
        "sknn": _PRELUDE
        + "from sknn import MLPClassifier\n"
        + _DATA
        + _ESTIMATOR_FIT.format(extra=f", device={device!r}")
        + _REPORT,
        "sklearn": _PRELUDE
        + "from sklearn.neural_network import MLPClassifier\n"
        + _DATA
        + _ESTIMATOR_FIT.format(extra="")
        + _REPORT,
        "torch": _PRELUDE
        + "import torch\nimport torch.nn as nn\n"
        + _DATA
        + _TORCH_FIT
        + _REPORT,
        "sknn-imports": _PRELUDE
        + "from sknn import MLPClassifier\n"
        + _DATA
        + _IMPORTS_ONLY
        + _REPORT,
    }
