"""The estimator side shared by every sknn estimator.

:class:`BaseMLP` validates parameters and data, runs the epoch loop with
scikit-learn's stopping rules (early stopping, loss plateau, adaptive rates),
and keeps the fitted state as numpy arrays.  It never imports torch at module
level: the engine (``_engine.py``) is imported when a fit or a prediction
needs it, so ``import sknn`` stays cheap.

A fit builds its new state apart from ``self`` and commits it in one step at
the end: an exception (bad input, a fault inside an epoch) leaves an estimator
exactly as it was before the call.
"""

import numbers
import time
import warnings
import weakref
from abc import ABCMeta, abstractmethod

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, _fit_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, Options, StrOptions
from sklearn.utils.validation import (
    _check_sample_weight,
    check_is_fitted,
    validate_data,
)

from ._version import __version__

try:  # scikit-learn >= 1.9: callbacks such as ProgressBar, also through
    # GridSearchCV and Pipeline, which hand theirs down to the estimator
    from sklearn.callback import CallbackSupportMixin as _CallbackSupport
except ImportError:  # older scikit-learn: no callbacks, nothing else changes

    class _CallbackSupport:
        pass


HIDDEN_ACTIVATIONS = (
    "identity",
    "logistic",
    "tanh",
    "relu",
    "leaky_relu",
    "elu",
    "gelu",
    "silu",
)
STOCHASTIC_SOLVERS = ("sgd", "adam", "adamw", "rmsprop", "adagrad")
# Initialisation.  He keeps the variance of ReLU-family activations from
# shrinking layer after layer (the lecture's "similar variance in every
# layer"), which plain SGD needs: its steps scale with the gradients.  The
# adaptive solvers and L-BFGS rescale their steps themselves and do better
# from scikit-learn's smaller Glorot weights (docs/user_guide/optimizers.rst
# has the measurements), so weight_init='auto' uses He only under 'sgd'.
_HE_FAMILY = ("relu", "leaky_relu", "elu", "gelu", "silu")
_AUTO_LR_START = 1.0
_AUTO_LR_STEPS = 5  # minibatch steps between two looks at the loss
_AUTO_LR_CHECKS = 8  # looks per rate tried: 40 steps in all
_AUTO_LR_MARGIN = 0.5  # use half the largest rate that did not diverge
_AUTO_LR_ROWS = 1024
_DECAY_FACTOR = 0.01  # learning_rate='decay': lr falls 100x by the last epoch
_PREDICT_ELEMENTS = 2**22  # activations held at once while predicting
_PREDICT_CACHE = weakref.WeakKeyDictionary()


def _stochastic(self):
    if self.solver not in STOCHASTIC_SOLVERS:
        raise AttributeError(
            f"partial_fit is only available for stochastic optimizers; "
            f"solver={self.solver!r} is not stochastic."
        )
    return True


class BaseMLP(_CallbackSupport, BaseEstimator, metaclass=ABCMeta):
    """Shared machinery of the sknn estimators. Not for direct use."""

    _parameter_constraints = {
        "hidden_layer_sizes": [
            "array-like",
            Interval(numbers.Integral, 1, None, closed="left"),
        ],
        "activation": [StrOptions(set(HIDDEN_ACTIVATIONS))],
        "solver": [StrOptions(set(STOCHASTIC_SOLVERS) | {"lbfgs"})],
        "alpha": [Interval(numbers.Real, 0, None, closed="left")],
        "batch_size": [
            StrOptions({"auto"}),
            Interval(numbers.Integral, 1, None, closed="left"),
        ],
        "learning_rate": [StrOptions({"constant", "invscaling", "adaptive", "decay"})],
        "learning_rate_init": [
            StrOptions({"auto"}),
            Interval(numbers.Real, 0, None, closed="neither"),
        ],
        "power_t": [Interval(numbers.Real, 0, None, closed="left")],
        "max_iter": [Interval(numbers.Integral, 1, None, closed="left")],
        "shuffle": ["boolean"],
        "random_state": ["random_state"],
        "tol": [Interval(numbers.Real, 0, None, closed="left")],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
        "momentum": [Interval(numbers.Real, 0, 1, closed="both")],
        "nesterovs_momentum": ["boolean"],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(numbers.Real, 0, 1, closed="neither")],
        "beta_1": [Interval(numbers.Real, 0, 1, closed="left")],
        "beta_2": [Interval(numbers.Real, 0, 1, closed="left")],
        "epsilon": [Interval(numbers.Real, 0, None, closed="neither")],
        "n_iter_no_change": [
            Interval(numbers.Integral, 1, None, closed="left"),
            Options(numbers.Real, {np.inf}),
        ],
        "max_fun": [Interval(numbers.Integral, 1, None, closed="left")],
        "dropout": ["array-like", Interval(numbers.Real, 0, 1, closed="left")],
        "weight_init": [StrOptions({"auto", "he", "glorot"})],
        "device": [str],
        "precision": [
            StrOptions({"auto", "float32", "float64", "bfloat16", "float16"})
        ],
        "n_threads": [Interval(numbers.Integral, 1, None, closed="left"), None],
    }

    # MLPRegressor takes exactly these; the classifiers add their own
    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        solver="adam",
        alpha=0.0001,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.001,
        power_t=0.5,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        max_fun=15000,
        dropout=0.0,
        weight_init="auto",
        device="auto",
        precision="auto",
        n_threads=None,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun
        self.dropout = dropout
        self.weight_init = weight_init
        self.device = device
        self.precision = precision
        self.n_threads = n_threads

    # ------------------------------------------------------------------
    # What each estimator defines
    # ------------------------------------------------------------------
    @abstractmethod
    def _prepare_targets(self, y, first_call, classes=None):
        """Return (encoded y, state dict of target attributes, out_activation)."""

    @abstractmethod
    def _validation_score(self, out, y_enc, sample_weight, state):
        """Score of the output pre-activations ``out`` (torch) on validation
        data: accuracy, R^2 or subset accuracy, as ``score`` computes it."""

    def _target_weights(self, y_enc, sample_weight, state):
        """Fold class weights into the sample weights (classifiers)."""
        return sample_weight

    # ------------------------------------------------------------------
    # Parameter checks that span several parameters or depend on the data
    # ------------------------------------------------------------------
    def _hidden_sizes(self):
        sizes = self.hidden_layer_sizes
        if isinstance(sizes, numbers.Integral) and not isinstance(sizes, bool):
            sizes = [sizes]
        try:
            sizes = list(sizes)
        except TypeError:
            sizes = None
        if sizes is None or any(
            isinstance(s, bool) or not isinstance(s, numbers.Integral) or s < 1
            for s in sizes
        ):
            raise ValueError(
                "hidden_layer_sizes must be an int or a sequence of positive "
                "ints (an empty tuple for no hidden layer), got "
                f"{self.hidden_layer_sizes!r}."
            )
        return [int(s) for s in sizes]

    def _dropout_rates(self, n_hidden):
        d = self.dropout
        if isinstance(d, numbers.Real) and not isinstance(d, bool):
            rates = [float(d)] * n_hidden
        else:
            try:
                rates = [float(r) for r in np.asarray(d, dtype=float).ravel()]
            except (TypeError, ValueError):
                raise ValueError(
                    "dropout must be a float in [0, 1) or one such float per "
                    f"hidden layer; got {d!r}."
                ) from None
            if len(rates) != n_hidden:
                raise ValueError(
                    f"dropout has {len(rates)} values but the network has "
                    f"{n_hidden} hidden layers (hidden_layer_sizes="
                    f"{self.hidden_layer_sizes!r}); give one float, or one per "
                    "hidden layer."
                )
        for r in rates:
            if not 0.0 <= r < 1.0:
                raise ValueError(
                    f"dropout rates must lie in [0, 1), got {self.dropout!r}."
                )
        if self.solver == "lbfgs" and any(rates):
            raise ValueError(
                "dropout makes the loss random and cannot be used with "
                f"solver='lbfgs' (got dropout={self.dropout!r}); use a "
                "stochastic solver such as 'adam'."
            )
        return rates + [0.0]  # no dropout on the output layer

    def _check_params(self):
        hidden = self._hidden_sizes()
        dropout = self._dropout_rates(len(hidden))
        if self.learning_rate_init == "auto" and self.solver == "lbfgs":
            raise ValueError(
                "learning_rate_init='auto' needs a stochastic solver; "
                "solver='lbfgs' has no learning rate."
            )
        if self.solver == "lbfgs" and self.precision in ("bfloat16", "float16"):
            raise ValueError(
                f"precision={self.precision!r} (mixed precision) needs a "
                "stochastic solver; solver='lbfgs' trains in 'float32' or "
                "'float64'."
            )
        return hidden, dropout

    # ------------------------------------------------------------------
    # fit / partial_fit
    # ------------------------------------------------------------------
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the model to data X and target(s) y.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            The target values (class labels in classification, real numbers
            in regression, a 0/1 indicator matrix for multilabel).
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the samples in the loss. ``None`` weighs every sample
            equally.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        return self._fit(X, y, sample_weight, incremental=False)

    def _partial_fit(self, X, y, sample_weight=None, classes=None):
        if not hasattr(self, "coefs_"):
            self._validate_params()
        return self._fit(X, y, sample_weight, incremental=True, classes=classes)

    def _fit(self, X, y, sample_weight, incremental, classes=None):
        # validate_data sets n_features_in_ / feature_names_in_ on self before
        # anything else can fail: a call that does not complete (bad input, a
        # fault inside an epoch) puts every attribute back as it was.
        before = dict(self.__dict__)
        try:
            return self._fit_unguarded(X, y, sample_weight, incremental, classes)
        except BaseException:
            self.__dict__.clear()
            self.__dict__.update(before)
            raise

    def _fit_unguarded(self, X, y, sample_weight, incremental, classes=None):
        from . import _engine

        hidden, dropout = self._check_params()
        fitted = hasattr(self, "coefs_")
        first = not fitted or not (incremental or self.warm_start)
        X, y = validate_data(
            self,
            X,
            y,
            accept_sparse=["csr", "csc"],
            dtype=(np.float64, np.float32),
            multi_output=True,
            y_numeric=self._y_numeric,
            reset=first,
        )
        if sample_weight is not None:
            sample_weight = _check_sample_weight(
                sample_weight, X, dtype=np.float64, ensure_non_negative=True
            )
            if not sample_weight.sum() > 0:
                raise ValueError(
                    "sample_weight must have a positive sum; got weights that "
                    "are all zero."
                )
        y_enc, target_state, out_activation = self._prepare_targets(
            y, first, classes=classes
        )
        device = _engine.resolve_device(self.device)
        dtype = self._compute_dtype(X)

        # Everything below builds new state in `state`, committed at the end.
        state = dict(target_state)
        if device.type == "cuda" and device.index is None:
            # name the GPU used ('cuda:0'), not whichever is current later
            device = _engine.torch.device("cuda", _engine.torch.cuda.current_device())
        state["device_"] = str(device)
        state["out_activation_"] = out_activation
        n_outputs = target_state["n_outputs_"]
        layer_sizes = [X.shape[1], *hidden, n_outputs]
        state["n_layers_"] = len(layer_sizes)
        seed = check_random_state(self.random_state).randint(np.iinfo(np.int32).max)

        net = _engine.Network(
            layer_sizes, self.activation, out_activation, _engine._DTYPES[dtype], device
        )
        if first:
            coefs, intercepts = self._init_weights(layer_sizes, seed)
        else:
            if self._layer_units() != layer_sizes:
                raise ValueError(
                    "hidden_layer_sizes changed since the last fit "
                    f"(the fitted network has layers {self._layer_units()}, "
                    f"the parameters ask for {layer_sizes}); set warm_start=False "
                    "to fit a new network."
                )
            coefs, intercepts = self.coefs_, self.intercepts_
        net.set_weights(coefs, intercepts)

        history = self._history(first, incremental)
        state.update(history)
        spec = self._spec(dtype)
        sw = self._target_weights(y_enc, sample_weight, state)
        from ._engine_threads import for_fit

        with for_fit(self, X.shape[0], layer_sizes):
            if self.solver == "lbfgs":
                self._run_lbfgs(net, X, y_enc, sw, state, spec)
            else:
                self._run_stochastic(
                    net, X, y_enc, sw, state, spec, dropout, seed, incremental
                )
        state["coefs_"], state["intercepts_"] = net.get_weights()
        self.__dict__.update(state)
        return self

    _y_numeric = False

    def _compute_dtype(self, X):
        if self.precision in ("float32", "float64"):
            return self.precision
        if self.precision in ("bfloat16", "float16"):
            return "float32"
        return "float32" if X.dtype == np.float32 else "float64"

    def _spec(self, dtype):
        spec = {
            k: getattr(self, k)
            for k in (
                "solver",
                "alpha",
                "momentum",
                "nesterovs_momentum",
                "beta_1",
                "beta_2",
                "epsilon",
                "precision",
            )
        }
        spec["learning_rate_init"] = (
            _AUTO_LR_START
            if self.learning_rate_init == "auto"
            else self.learning_rate_init
        )
        return spec

    def _init_weights(self, layer_sizes, seed):
        """Uniform initial weights and biases in ``[-b, b]``, per layer.

        He, ``b = sqrt(6 / fan_in)``, for the hidden layers when
        ``weight_init='he'``, or 'auto' with 'sgd' and a ReLU-family
        activation; otherwise scikit-learn's Glorot,
        ``b = sqrt(6 / (fan_in + fan_out))`` (2 instead of 6 for 'logistic').
        The output layer always takes Glorot's bound.
        """
        he = self.weight_init == "he" or (
            self.weight_init == "auto"
            and self.solver == "sgd"
            and self.activation in _HE_FAMILY
        )
        rng = np.random.RandomState(seed)
        coefs, intercepts = [], []
        n_layers = len(layer_sizes) - 1
        for i, (fan_in, fan_out) in enumerate(zip(layer_sizes[:-1], layer_sizes[1:])):
            hidden = i < n_layers - 1
            if hidden and he:
                bound = np.sqrt(6.0 / fan_in)
            else:
                factor = 2.0 if self.activation == "logistic" else 6.0
                bound = np.sqrt(factor / (fan_in + fan_out))
            coefs.append(rng.uniform(-bound, bound, (fan_in, fan_out)))
            intercepts.append(rng.uniform(-bound, bound, fan_out))
        return coefs, intercepts

    def _layer_units(self):
        return [self.coefs_[0].shape[0]] + [c.shape[1] for c in self.coefs_]

    def _history(self, first, incremental):
        """Training history carried over (warm start, partial_fit) or new."""
        keep = not first
        h = {}
        h["n_iter_"] = self.n_iter_ if keep else 0
        h["t_"] = self.t_ if keep else 0
        h["loss_curve_"] = list(self.loss_curve_) if keep else []
        # as in scikit-learn, early stopping acts only on the stochastic solvers
        early = self.early_stopping and not incremental and self.solver != "lbfgs"
        if early:
            was_early = keep and getattr(self, "validation_scores_", None) is not None
            h["validation_scores_"] = list(self.validation_scores_) if was_early else []
            h["best_validation_score_"] = (
                self.best_validation_score_ if was_early else -np.inf
            )
            h["best_loss_"] = None
        else:
            best = getattr(self, "best_loss_", None) if keep else None
            h["best_loss_"] = np.inf if best is None else best
            h["validation_scores_"] = None
            h["best_validation_score_"] = None
        h["_optimizer_state"] = (
            getattr(self, "_optimizer_state", None) if keep and incremental else None
        )
        h["_learning_rate"] = getattr(self, "_learning_rate", None) if keep else None
        return h

    # ------------------------------------------------------------------
    # The stochastic solvers: the epoch loop
    # ------------------------------------------------------------------
    def _run_stochastic(self, net, X, y, sw, state, spec, dropout, seed, incremental):
        from . import _engine

        n_samples = X.shape[0]
        early = self.early_stopping and not incremental
        if early:
            X, X_val, y, y_val, sw, sw_val = self._split(
                X, y, sw, seed, state.get("_stratify", False)
            )
        batch_size = (
            min(200, X.shape[0])
            if self.batch_size == "auto"
            else min(self.batch_size, X.shape[0])
        )
        if self.batch_size != "auto" and self.batch_size > n_samples:
            warnings.warn(
                f"Got `batch_size` less than 1 or larger than sample size. It is "
                f"going to be clipped (batch_size={self.batch_size}, n_samples="
                f"{n_samples}).",
                UserWarning,
            )
        dev, tdtype = net.device, net.dtype
        rows = _engine._Rows(X, tdtype, dev)
        targets = self._targets(_engine, net, y, sw, state)
        trainer = _engine.Trainer(net, spec, seed)

        lr = state["_learning_rate"]
        if lr is None:
            if self.learning_rate_init == "auto":
                lr = self._search_learning_rate(
                    _engine, net, rows, targets, spec, dropout, batch_size, seed
                )
            else:
                lr = float(self.learning_rate_init)
        state["learning_rate_init_"] = (
            getattr(self, "learning_rate_init_", lr) if state["n_iter_"] else lr
        )
        if state["_optimizer_state"] is not None:
            trainer.optimizer.load_state_dict(state["_optimizer_state"])

        if early:
            val_rows = _engine._Rows(X_val, tdtype, dev)
            y_val_t = self._to_device(y_val, dev)
            sw_val_t = None if sw_val is None else self._to_device(sw_val, dev)
            best_params = net.params.clone()
        no_improvement = 0
        epochs = 1 if incremental else self.max_iter
        stopped = False
        interrupted = False
        callbacks = self._callback_root(epochs, X, y)
        for _epoch in range(epochs):
            trainer.optimizer.lr = self._scheduled_rate(lr, state)
            epoch_start = time.perf_counter()
            if callbacks is not None:
                epoch_ctx = callbacks.subcontext(task_name="epoch")
                epoch_ctx.call_on_fit_task_begin(estimator=self, X=X, y=y)
            try:
                loss, finite = trainer.epoch(
                    rows, targets, batch_size, self.shuffle, dropout
                )
            except KeyboardInterrupt:
                interrupted = True
                finite = bool(_engine.torch.isfinite(net.params).all())
                if not finite:
                    raise
                warnings.warn(
                    "Training interrupted by the user (KeyboardInterrupt) after "
                    f"{state['n_iter_']} epochs; the model keeps the weights "
                    "reached so far" + (" (best validation epoch)." if early else "."),
                    UserWarning,
                )
                # an interrupt in the first epoch leaves no epoch loss to report
                state.setdefault("loss_", getattr(self, "loss_", np.nan))
                break
            state["n_iter_"] += 1
            state["t_"] += X.shape[0]
            if not finite:
                if early:
                    state["validation_scores_"].append(np.nan)
                    state["loss_curve_"].append(loss)
                    state["loss_"] = loss
                    stopped = True
                    break
                raise ValueError(
                    "Solver produced non-finite parameter weights. The input data "
                    "may contain large values and need to be preprocessed."
                )
            state["loss_"] = loss
            state["loss_curve_"].append(loss)
            msg_val = ""
            if early:
                score = self._validation_score(
                    _engine.predict_raw(
                        net, val_rows, self._chunk_rows(net.layer_sizes)
                    ),
                    y_val_t,
                    sw_val_t,
                    state,
                )
                state["validation_scores_"].append(score)
                msg_val = f", validation score = {score:.6f}"
                if score < state["best_validation_score_"] + self.tol:
                    no_improvement += 1
                else:
                    no_improvement = 0
                if score > state["best_validation_score_"]:
                    state["best_validation_score_"] = score
                    best_params.copy_(net.params)
            else:
                if loss > state["best_loss_"] - self.tol:
                    no_improvement += 1
                else:
                    no_improvement = 0
                if loss < state["best_loss_"]:
                    state["best_loss_"] = loss
            if self.verbose:
                print(
                    f"Iteration {state['n_iter_']}, loss = {loss:.8f}{msg_val}, "
                    f"learning rate = {trainer.optimizer.lr:.6g}, "
                    f"time = {time.perf_counter() - epoch_start:.3f}s"
                )
            if callbacks is not None and epoch_ctx.call_on_fit_task_end(
                estimator=self,
                X=X,
                y=y,
                metadata={"loss": loss, "sample_weight": sw},
                reconstruction_attributes=lambda: self._reconstruction(net, state),
            ):
                stopped = True  # a callback asked to stop
                break
            if no_improvement > self.n_iter_no_change:
                what = "Validation score" if early else "Training loss"
                msg = (
                    f"{what} did not improve more than tol={self.tol:f} for "
                    f"{self.n_iter_no_change} consecutive epochs."
                )
                if self.learning_rate == "adaptive" and lr > 1e-6:
                    lr /= 5.0
                    no_improvement = 0
                    if self.verbose:
                        print(msg + f" Setting learning rate to {lr:f}")
                else:
                    if self.learning_rate == "adaptive" and self.verbose:
                        print(msg + " Learning rate too small. Stopping.")
                    elif self.verbose:
                        print(msg + " Stopping.")
                    stopped = True
                    break
        if callbacks is not None:
            callbacks.call_on_fit_task_end(estimator=self, X=X, y=y)
        state["_learning_rate"] = lr
        state["_optimizer_state"] = trainer.optimizer.state_dict()
        if early:
            # the best epoch's weights (the initial ones if no epoch scored)
            net.params.copy_(best_params)
        if not (incremental or stopped or interrupted):
            warnings.warn(
                f"Stochastic Optimizer: Maximum iterations ({self.max_iter}) "
                "reached and the optimization hasn't converged yet.",
                ConvergenceWarning,
            )

    def _callback_root(self, n_epochs, X, y):
        """The root task of scikit-learn's callback API (>= 1.9) with one
        subtask per epoch, or None where the API does not exist."""
        if not hasattr(self, "_init_callback_context"):
            return None
        ctx = self._init_callback_context(max_subtasks=n_epochs)
        ctx.call_on_fit_task_begin(estimator=self, X=X, y=y)
        return ctx

    def _reconstruction(self, net, state):
        """Fitted attributes of the model as it stands (for callbacks that
        ask for a usable estimator mid-fit)."""
        attrs = {k: v for k, v in state.items() if k.endswith("_")}
        attrs["coefs_"], attrs["intercepts_"] = net.get_weights()
        for name in ("n_features_in_", "feature_names_in_"):
            if hasattr(self, name):
                attrs[name] = getattr(self, name)
        return attrs

    def _scheduled_rate(self, lr, state):
        if self.learning_rate == "invscaling":
            return lr / (state["t_"] + 1) ** self.power_t
        if self.learning_rate == "decay":
            span = max(self.max_iter - 1, 1)
            frac = min(state["n_iter_"] / span, 1.0)
            return lr * _DECAY_FACTOR**frac
        return lr

    def _search_learning_rate(
        self, _engine, net, rows, targets, spec, dropout, batch_size, seed
    ):
        """The lecture's recipe: start large and halve until the loss no longer
        diverges over a few steps on a small subset."""
        torch = _engine.torch
        rng = np.random.RandomState(seed)
        n = rows.n
        m = min(n, _AUTO_LR_ROWS)
        idx = np.sort(rng.choice(n, m, replace=False)) if m < n else np.arange(n)
        idx_t = torch.from_numpy(idx).to(net.device)
        sub_rows = _engine._Rows(
            rows.X[idx] if rows.sparse else rows.X[idx_t], net.dtype, net.device
        )
        sub_targets = targets.subset(idx_t)
        start = net.params.clone()
        lr = _AUTO_LR_START
        chosen = None
        for _ in range(30):
            net.params.copy_(start)
            trainer = _engine.Trainer(net, dict(spec, learning_rate_init=lr), seed)
            # The loss on the subset's first batch, looked at every few steps:
            # a rate diverges when it is ever non-finite or above where it
            # started, or does not end lower.  Comparing only the first and
            # the last step let oscillating rates through (sgd and adam at
            # 0.5-1.0 on digits) that then blew up in the full fit.
            looks = []
            for k in range(_AUTO_LR_CHECKS + 1):
                steps = _AUTO_LR_STEPS if k < _AUTO_LR_CHECKS else 0
                first, _, finite = trainer.probe(
                    sub_rows, sub_targets, min(batch_size, m), dropout, steps
                )
                looks.append(first)
                if not finite or first > looks[0]:
                    break
            if len(looks) == _AUTO_LR_CHECKS + 1 and finite and looks[-1] < looks[0]:
                # half the edge of divergence, as a margin for the whole fit
                chosen = lr * _AUTO_LR_MARGIN
                break
            lr /= 2.0
        net.params.copy_(start)
        return chosen if chosen is not None else lr

    def _split(self, X, y, sw, seed, stratify):
        stratify = y if stratify else None
        parts = [X, y] + ([sw] if sw is not None else [])
        try:
            out = train_test_split(
                *parts,
                random_state=seed,
                test_size=self.validation_fraction,
                stratify=stratify,
            )
        except ValueError as exc:
            raise ValueError(
                f"early_stopping could not hold out validation_fraction="
                f"{self.validation_fraction} of {X.shape[0]} samples: {exc}"
            ) from exc
        X_tr, X_val, y_tr, y_val = out[:4]
        sw_tr, sw_val = (out[4], out[5]) if sw is not None else (None, None)
        if X_val.shape[0] < 2:
            raise ValueError(
                f"The validation set is too small (validation_fraction="
                f"{self.validation_fraction} of {X.shape[0]} samples gives "
                f"{X_val.shape[0]}); raise validation_fraction or turn "
                "early_stopping off."
            )
        return X_tr, X_val, y_tr, y_val, sw_tr, sw_val

    @staticmethod
    def _to_device(a, device):
        from . import _engine

        return _engine.torch.as_tensor(np.asarray(a)).to(device)

    def _targets(self, _engine, net, y, sw, state):
        return _engine.Targets(
            net.out_activation,
            y,
            sw,
            net.dtype,
            net.device,
            n_classes=net.layer_sizes[-1],
            pos_weight=state.get("pos_weight_"),
        )

    # ------------------------------------------------------------------
    # L-BFGS: full batch through scipy
    # ------------------------------------------------------------------
    def _run_lbfgs(self, net, X, y, sw, state, spec):
        from scipy.optimize import OptimizeResult, minimize

        from . import _engine

        torch = _engine.torch
        rows = _engine._Rows(X, net.dtype, net.device)
        targets = self._targets(_engine, net, y, sw, state)
        curve = state["loss_curve_"]

        def fun(theta):
            net.params.copy_(torch.from_numpy(theta))
            loss = _engine.full_batch_loss_and_grad(net, rows, targets, self.alpha)
            return float(loss.item()), net.grads.to("cpu", torch.float64).numpy().copy()

        x0 = net.params.to("cpu", torch.float64).numpy().copy()
        # the last accepted iterate: where an interrupt leaves the model
        last = {"x": x0, "fun": np.nan, "nit": 0}

        def accepted(intermediate_result):
            last["x"] = np.array(intermediate_result.x, copy=True)
            last["fun"] = float(intermediate_result.fun)
            last["nit"] += 1
            curve.append(last["fun"])

        if self.verbose:
            print("Fitting with L-BFGS (scipy), full batch")
        try:
            res = minimize(
                fun,
                x0,
                jac=True,
                method="L-BFGS-B",
                options={
                    "maxfun": self.max_fun,
                    "maxiter": self.max_iter,
                    "gtol": self.tol,
                },
                callback=accepted,
            )
        except KeyboardInterrupt:
            if not np.all(np.isfinite(last["x"])):
                raise
            warnings.warn(
                "Training interrupted by the user (KeyboardInterrupt) after "
                f"{last['nit']} L-BFGS iterations; the model keeps the last "
                "accepted iterate.",
                UserWarning,
            )
            res = OptimizeResult(
                x=last["x"],
                fun=last["fun"],
                nit=last["nit"],
                status=0,
                message="interrupted",
            )
        if not np.all(np.isfinite(res.x)):
            raise ValueError(
                "Solver produced non-finite parameter weights. The input data "
                "may contain large values and need to be preprocessed."
            )
        net.params.copy_(torch.from_numpy(res.x))
        state["n_iter_"] += int(res.nit)
        state["t_"] += X.shape[0] * int(res.nit)
        state["loss_"] = float(res.fun)
        if state["best_loss_"] is not None:
            state["best_loss_"] = min(state["best_loss_"], float(res.fun))
        state["learning_rate_init_"] = None
        state["_optimizer_state"] = None
        if res.status != 0:
            warnings.warn(
                f"lbfgs failed to converge after {res.nit} iteration(s) "
                f"(status={res.status}): {res.message}. Increase max_iter or "
                "max_fun, or scale the data.",
                ConvergenceWarning,
            )

    # ------------------------------------------------------------------
    # Prediction
    # ------------------------------------------------------------------
    def _chunk_rows(self, layer_sizes):
        return max(64, _PREDICT_ELEMENTS // max(layer_sizes))

    def _predict_net(self):
        from . import _engine

        # The network for prediction, on the fitted device, is cached outside
        # the estimator's __dict__ (predict must not change it) and rebuilt
        # when a new fit, or the user, replaces coefs_, intercepts_, one of
        # their arrays, or the activation (scikit-learn reads them at predict).
        key = (
            self.activation,
            self.coefs_,
            self.intercepts_,
            *self.coefs_,
            *self.intercepts_,
        )
        cached = _PREDICT_CACHE.get(self)
        if (
            cached is not None
            and len(cached[0]) == len(key)
            and cached[0][0] == key[0]
            and all(a is b for a, b in zip(cached[0][1:], key[1:]))
        ):
            return cached[1]
        device = _engine.predict_device(self.device_)
        dtype = self.coefs_[0].dtype
        tdtype = _engine.torch.float32 if dtype == np.float32 else _engine.torch.float64
        net = _engine.Network(
            self._layer_units(),
            self.activation,
            self.out_activation_,
            tdtype,
            device,
            grads=False,
        )
        net.set_weights(self.coefs_, self.intercepts_)
        _PREDICT_CACHE[self] = (key, net)
        return net

    def _validate_X_predict(self, X):
        """X checked against the fit, in the model's dtype (so that values
        too large for it are rejected rather than overflowing)."""
        check_is_fitted(self, "coefs_")
        return validate_data(
            self,
            X,
            accept_sparse=["csr", "csc"],
            dtype=self.coefs_[0].dtype,
            reset=False,
        )

    def _forward(self, X, output=True):
        """Network outputs (activated if ``output``) as a numpy array."""
        from . import _engine
        from ._engine_threads import for_predict

        X = self._validate_X_predict(X)
        net = self._predict_net()
        chunk = self._chunk_rows(net.layer_sizes)
        while True:
            try:
                rows = _engine._Rows(X, net.dtype, net.device, stream=True)
                with (
                    _engine.torch.inference_mode(),
                    for_predict(self, X.shape[0], net.layer_sizes),
                ):
                    z = _engine.predict_raw(net, rows, chunk)
                    out = (net.output(z) if output else z).cpu().numpy()
                if not np.isfinite(out).all():
                    raise ValueError(
                        "The network's outputs overflowed to non-finite values "
                        f"for X with values up to {abs(X).max():.3g} (computed "
                        f"in {X.dtype}); scale the input, for example with "
                        "sklearn.preprocessing.StandardScaler."
                    )
                return out
            except _engine.torch.cuda.OutOfMemoryError:
                if chunk <= 1:
                    raise
                chunk //= 2
                warnings.warn(
                    f"CUDA ran out of memory while predicting; retrying with "
                    f"{chunk} rows per chunk.",
                    ResourceWarning,
                )

    def hidden_activations(self, X):
        """Activations of each hidden layer for the samples in X.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input samples.

        Returns
        -------
        activations : list of ndarray of shape (n_samples, n_units)
            One array per hidden layer, first layer first.
        """
        from . import _engine
        from ._engine_threads import for_predict

        X = self._validate_X_predict(X)
        if sp.issparse(X):
            X = X.toarray()
        net = self._predict_net()
        with (
            _engine.torch.inference_mode(),
            for_predict(self, X.shape[0], net.layer_sizes),
        ):
            xb = _engine.torch.as_tensor(X)
            return [a.cpu().numpy() for a in net.hidden_activations(xb.to(net.device))]

    def hidden_unit_summary(self, X, saturation=0.95):
        """Diagnose training from the hidden units' activations on X.

        The lecture's "feature visualization" test: in a well-trained network
        hidden units respond sparsely and differently to different samples; in
        a badly trained one many units ignore the input (dead or saturated) or
        move together (strongly correlated).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples to look at; a few hundred are enough.
        saturation : float, default=0.95
            A unit counts as saturated when it sits in its activation's flat
            region (for example ``|tanh| > 0.97``, ``relu == 0``) for at
            least this fraction of the samples.

        Returns
        -------
        summary : list of dict
            One dict per hidden layer with keys ``'dead'`` (fraction of units
            whose output does not vary over X), ``'saturated'`` (fraction of
            units in their flat region for at least ``saturation`` of the
            samples), ``'sparsity'`` (fraction of activations near zero), and
            ``'mean_abs_correlation'`` (mean absolute correlation between pairs
            of live units).
        """
        from ._diagnostics import summarize_layer

        return [
            summarize_layer(a, self.activation, saturation)
            for a in self.hidden_activations(X)
        ]

    # ------------------------------------------------------------------
    # Pickling: weights are numpy (CPU) already; record our version
    # ------------------------------------------------------------------
    def __getstate__(self):
        state = super().__getstate__()
        state = dict(state)
        state["_sknn_version"] = __version__
        return state

    def __setstate__(self, state):
        version = state.pop("_sknn_version", None)
        if version is not None and version != __version__:
            warnings.warn(
                f"Trying to unpickle an sknn estimator from version {version} "
                f"when using version {__version__}. This might lead to breaking "
                "code or invalid results. Use at your own risk.",
                InconsistentSknnVersionWarning,
            )
        # a model pickled before `weight_init` existed was initialised with
        # He for the ReLU family under every solver: keep that on refit
        if "weight_init" not in state and "activation" in state:
            state["weight_init"] = (
                "he" if state["activation"] in _HE_FAMILY else "glorot"
            )
        super().__setstate__(state)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags


class InconsistentSknnVersionWarning(UserWarning):
    """Warning raised when an estimator is unpickled under another sknn version."""
