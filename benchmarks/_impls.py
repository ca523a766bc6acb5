"""The implementations the benchmark compares, behind one small interface.

Each implementation trains the same network (d -> 256 -> 128 -> k unless the
configuration says otherwise, ReLU,
Adam with learning rate 1e-3) for exactly the number of epochs asked, with
shuffling and without early stopping, and predicts class probabilities
(classification) or values (regression).

``fit`` returns only when the work is done (on a GPU it synchronises), so a
wall-clock timer around it measures the whole fit.  Nothing here changes
process-wide settings; the worker process sets the thread counts (or, with
``--threads default``, leaves every library at its defaults).
"""

import importlib.util
import warnings

import numpy as np
from _data import LEARNING_RATE, SEED

# An n_iter_no_change no run reaches: with tol=0 the estimators never stop early.
_NEVER = 10**9


class Impl:
    """Base class: ``fit(X, y, config, epochs)``, ``predict(X)``, ``epochs_run``."""

    name = None
    uses_torch = False
    device = "cpu"

    def fit(self, X, y, config, epochs):
        raise NotImplementedError

    def predict(self, X):
        """Probabilities (classifiers) or values of the fitted ``model``, an
        estimator with scikit-learn's API."""
        if hasattr(self.model, "predict_proba"):
            return self.model.predict_proba(X)
        return self.model.predict(X)

    def epochs_run(self):
        """Epochs the last fit ran (checked against the epochs asked)."""
        raise NotImplementedError


def _estimator_kwargs(config, epochs):
    return dict(
        hidden_layer_sizes=config.hidden,
        activation="relu",
        solver="adam",
        learning_rate_init=LEARNING_RATE,
        batch_size=config.batch_size,
        max_iter=epochs,
        tol=0.0,
        n_iter_no_change=_NEVER,
        shuffle=True,
        random_state=SEED,
    )


class Sknn(Impl):
    uses_torch = True

    def __init__(self, device="cpu"):
        self.device = device
        self.name = "sknn" if device == "cpu" else f"sknn-{device}"

    def fit(self, X, y, config, epochs):
        from sklearn.exceptions import ConvergenceWarning

        from sknn import MLPClassifier, MLPRegressor

        cls = MLPClassifier if config.task == "classification" else MLPRegressor
        self.model = cls(**_estimator_kwargs(config, epochs), device=self.device)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            self.model.fit(X, y)
        return self

    def epochs_run(self):
        return self.model.n_iter_


class Sklearn(Impl):
    """scikit-learn's numpy MLP, fed X in the configuration's dtype
    (float32 X is computed in float32, float64 in float64)."""

    name = "sklearn"

    def fit(self, X, y, config, epochs):
        from sklearn.exceptions import ConvergenceWarning
        from sklearn.neural_network import MLPClassifier, MLPRegressor

        cls = MLPClassifier if config.task == "classification" else MLPRegressor
        self.model = cls(**_estimator_kwargs(config, epochs))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            self.model.fit(X, y)
        return self

    epochs_run = Sknn.epochs_run


def _torch_dtype(X):
    import torch

    return torch.float64 if X.dtype == np.float64 else torch.float32


def _sequential(n_in, n_out, dtype, device, hidden):
    import torch.nn as nn

    sizes = [n_in, *hidden]
    layers = []
    for a, b in zip(sizes[:-1], sizes[1:]):
        layers += [nn.Linear(a, b), nn.ReLU()]
    layers.append(nn.Linear(sizes[-1], n_out))
    return nn.Sequential(*layers).to(device=device, dtype=dtype)


def _n_out(y, config):
    return int(y.max()) + 1 if config.task == "classification" else 1


class BareTorch(Impl):
    """The reference: ``nn.Sequential`` + ``torch.optim.Adam``, the data on
    the device as tensors, each batch sliced by a slice of a random
    permutation.  No per-epoch loss, no validation: the least work a PyTorch
    user would write.  ``fused=True`` asks for Adam's fused kernel."""

    uses_torch = True

    def __init__(self, device="cpu", fused=False):
        self.device = device
        self.fused = fused
        self.name = "torch" + ("-fused" if fused else "")
        if device != "cpu":
            self.name += f"-{device}"

    def fit(self, X, y, config, epochs):
        import torch
        import torch.nn as nn

        dev = torch.device(self.device)
        dtype = _torch_dtype(X)
        torch.manual_seed(SEED)  # this process only: a benchmark worker
        self.model = model = _sequential(
            X.shape[1], _n_out(y, config), dtype, dev, config.hidden
        )
        self.task = config.task
        Xt = torch.as_tensor(X).to(dev)
        if config.task == "classification":
            yt = torch.as_tensor(y).to(dev)
            loss_fn = nn.CrossEntropyLoss()
        else:
            yt = torch.as_tensor(y).to(dev).reshape(-1, 1)
            loss_fn = nn.MSELoss()
        extra = {"fused": True} if self.fused else {}
        opt = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE, **extra)
        gen = torch.Generator(device=dev)
        gen.manual_seed(SEED)
        n = Xt.shape[0]
        b = config.batch_rows(n)
        for _ in range(epochs):
            perm = torch.randperm(n, generator=gen, device=dev)
            for start in range(0, n, b):
                idx = perm[start : start + b]
                opt.zero_grad(set_to_none=True)
                loss = loss_fn(model(Xt[idx]), yt[idx])
                loss.backward()
                opt.step()
        if dev.type == "cuda":
            torch.cuda.synchronize(dev)
        self._epochs = epochs
        return self

    def predict(self, X):
        import torch

        dev = next(self.model.parameters()).device
        with torch.inference_mode():
            out = self.model(torch.as_tensor(X).to(dev))
            if self.task == "classification":
                out = torch.softmax(out, dim=1)
            return out.cpu().numpy()

    def epochs_run(self):
        return self._epochs


class Skorch(Impl):
    """skorch's ``NeuralNetClassifier`` / ``NeuralNetRegressor`` with its
    default callbacks, no internal validation split."""

    uses_torch = True

    def __init__(self, device="cpu"):
        self.device = device
        self.name = "skorch" if device == "cpu" else f"skorch-{device}"

    def fit(self, X, y, config, epochs):
        import torch
        import torch.nn as nn
        from skorch import NeuralNetClassifier, NeuralNetRegressor

        class Module(nn.Module):
            def __init__(self, n_in, n_out, dtype, hidden):
                super().__init__()
                self.net = _sequential(n_in, n_out, dtype, "cpu", hidden)

            def forward(self, X):
                return self.net(X)

        if config.task == "classification":
            cls, loss, yy = NeuralNetClassifier, nn.CrossEntropyLoss, y
        else:
            cls, loss, yy = NeuralNetRegressor, nn.MSELoss, y.reshape(-1, 1)
        torch.manual_seed(SEED)
        self.model = cls(
            Module,
            module__n_in=X.shape[1],
            module__n_out=_n_out(y, config),
            module__dtype=_torch_dtype(X),
            module__hidden=config.hidden,
            criterion=loss,
            optimizer=torch.optim.Adam,
            lr=LEARNING_RATE,
            batch_size=config.batch_rows(X.shape[0]),
            max_epochs=epochs,
            train_split=None,
            iterator_train__shuffle=True,
            device=self.device,
            verbose=0,
        )
        self.model.fit(X, yy)
        return self

    def epochs_run(self):
        return len(self.model.history)


def available(device="cpu"):
    """Name -> factory of every implementation that can run here."""
    impls = {
        "sknn": lambda: Sknn("cpu"),
        "sklearn": Sklearn,
        "torch": lambda: BareTorch("cpu"),
        "torch-fused": lambda: BareTorch("cpu", fused=True),
    }
    if importlib.util.find_spec("skorch") is not None:
        impls["skorch"] = lambda: Skorch("cpu")
    if device != "cpu":
        impls[f"sknn-{device}"] = lambda: Sknn(device)
        impls[f"sknn-{device}-graph"] = lambda: Sknn(device, graphs=True)
        impls[f"torch-{device}"] = lambda: BareTorch(device)
        impls[f"torch-fused-{device}"] = lambda: BareTorch(device, fused=True)
    return impls
