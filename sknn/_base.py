"""The estimator side shared by every sknn estimator.

:class:`BaseMLP` validates parameters and data, builds the fit's
:class:`~sknn._engine.facade.Session` (the network and data on the device),
hands it to a solver (the epoch loop of ``_loop.py``, or L-BFGS in
``_lbfgs.py``) and keeps the fitted state as numpy arrays.  It speaks numpy
only: the engine (``sknn/_engine/``) is imported when a fit or a prediction
needs it, so ``import sknn`` does not import torch.

A fit builds its new state apart from ``self`` and commits it in one step at
the end.  The one thing written earlier is what ``validate_data`` records
(``n_features_in_``, ``feature_names_in_``), which is put back if the call
fails: an exception (bad input, a fault inside an epoch) leaves the
estimator as it was before the call.
"""

import copy
import functools
import warnings
from abc import ABCMeta, abstractmethod

import numpy as np
import scipy.sparse as sp
from sklearn import get_config
from sklearn.base import BaseEstimator
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_array, check_is_fitted, validate_data

from . import _params
from ._engine.compat import (
    CallbackSupportMixin,
    _check_sample_weight,
    _fit_context,
    validate_params,
)
from ._heads import LOSS_OF_ACTIVATION
from ._inspect import NetworkInspectionMixin
from ._lbfgs import run_lbfgs
from ._links import DOC_LINK_TEMPLATE
from ._loop import (
    EpochPlan,
    FitState,
    Progress,
    _interrupted,
    finish,
    run_epochs,
    validation_split,
)
from ._version import __version__

# what validate_data writes into the estimator during fit
_VALIDATION_ATTRIBUTES = ("n_features_in_", "feature_names_in_")


def _conversion_error(exc):
    """Whether numpy failed to turn an input into floats (its message names
    the value, not the input)."""
    text = str(exc)
    return "could not convert" in text or "invalid literal" in text


def validated_every_call(partial_fit):
    """Validate the parameters on every ``partial_fit`` call, as ``fit``
    does.  scikit-learn's ``_fit_context`` validates partial_fit only
    before the first call, so a value set since (``set_params``) would train
    silently.  Goes outside ``_fit_context``, which turns validation off for
    what runs inside it; honours ``skip_parameter_validation``."""

    @functools.wraps(partial_fit)
    def wrapper(self, *args, **kwargs):
        if not get_config()["skip_parameter_validation"]:
            validate_params(self)
        return partial_fit(self, *args, **kwargs)

    return wrapper


def _stochastic(self):
    if self.solver not in _params.STOCHASTIC_SOLVERS:
        raise AttributeError(
            f"partial_fit is only available for stochastic optimizers; "
            f"solver={self.solver!r} is not stochastic."
        )
    return True


class BaseMLP(
    NetworkInspectionMixin, CallbackSupportMixin, BaseEstimator, metaclass=ABCMeta
):
    """Shared machinery of the sknn estimators. Not for direct use."""

    # the "?" link of estimator_html_repr (sknn/_links.py)
    _doc_link_module = "sknn"
    _doc_link_template = DOC_LINK_TEMPLATE

    _parameter_constraints = dict(_params.CONSTRAINTS)
    _y_numeric = False

    # the parameters every estimator shares; each adds its own
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
        weight_init="glorot",
        device="auto",
        precision="auto",
        n_threads=None,
        n_frequencies=0,
        frequency_scale=1.0,
        input_scale=False,
        periodic_columns=None,
        embedding_columns=None,
        embedding_dim=16,
        embedding_levels=None,
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
        self.n_frequencies = n_frequencies
        self.frequency_scale = frequency_scale
        self.input_scale = input_scale
        self.periodic_columns = periodic_columns
        self.embedding_columns = embedding_columns
        self.embedding_dim = embedding_dim
        self.embedding_levels = embedding_levels

    # ------------------------------------------------------------------
    # What each estimator defines
    # ------------------------------------------------------------------
    @abstractmethod
    def _prepare_targets(self, y, first_call, classes=None):
        """Return (encoded y, dict of target attributes, output head)."""

    @abstractmethod
    def _head(self):
        """The output head of the fitted model (see ``_heads.py``)."""

    def _target_weights(self, y_enc, sample_weight, attrs):
        """Fold class weights into the sample weights (classifiers)."""
        return sample_weight

    def _label_smoothing(self):
        """The label smoothing of the training targets (classifiers)."""
        return 0.0

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

    def _fit(self, X, y, sample_weight, incremental, classes=None):
        saved = {k: self.__dict__[k] for k in _VALIDATION_ATTRIBUTES if k in vars(self)}
        try:
            fitted = self._fit_new_state(X, y, sample_weight, incremental, classes)
        except BaseException:
            for k in _VALIDATION_ATTRIBUTES:
                self.__dict__.pop(k, None)
            self.__dict__.update(saved)
            raise
        for name in _params.INPUT_ATTRIBUTES.values():
            if name not in fitted:  # a network without that input layer
                self.__dict__.pop(name, None)
        self.__dict__.update(fitted)
        return self

    def _validate_fit_data(self, X, y, sample_weight, first):
        try:
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
        except ValueError as exc:
            if not _conversion_error(exc):
                raise
            try:  # which of the two failed to convert: X alone tells
                check_array(X, accept_sparse=["csr", "csc"], dtype=np.float64)
            except ValueError:
                raise ValueError(f"X could not be converted to float: {exc}") from exc
            raise ValueError(f"y could not be converted to float: {exc}") from exc
        if sample_weight is not None:
            try:
                # negative weights are allowed, as scikit-learn's MLPs allow them
                sample_weight = _check_sample_weight(sample_weight, X, dtype=np.float64)
            except ValueError as exc:
                if not _conversion_error(exc):
                    raise
                raise ValueError(
                    f"sample_weight could not be converted to float: {exc}"
                ) from exc
            if sample_weight.sum() == 0:
                raise ValueError(
                    "sample_weight must have a non-zero sum (the losses are "
                    "weighted means); got weights that sum to 0."
                )
        return X, y, sample_weight

    def _fit_new_state(self, X, y, sample_weight, incremental, classes):
        """Everything the fit produces, as a dict of attributes to commit."""
        from ._engine import facade

        hidden, dropout = _params.check_params(self)
        if incremental and self.early_stopping:
            # scikit-learn's rule: no validation split inside partial_fit
            raise ValueError("partial_fit does not support early_stopping=True")
        first = not hasattr(self, "coefs_") or not (incremental or self.warm_start)
        X, y, sample_weight = self._validate_fit_data(X, y, sample_weight, first)
        sparse_y = sp.issparse(y)  # a sparse indicator matrix, as LabelBinarizer
        if sparse_y:
            y = y.toarray()
        y_enc, attrs, head = self._prepare_targets(y, first, classes=classes)
        if first:  # predict answers in kind (see _ClassifierBase._in_kind)
            attrs["_sparse_y"] = sparse_y
        attrs["device_"] = facade.resolve_device(self.device)
        attrs["out_activation_"] = head.out_activation
        levels = None if first else self._code_levels()
        fitted = None if levels is None else (self.embedding_columns_, levels)
        inputs = _params.input_layers(self, X, fitted)
        width = _params.input_width(inputs, X.shape[1])
        layer_sizes = [width, *hidden, head.n_outputs]
        attrs["n_layers_"] = len(layer_sizes)
        memory = facade.device_memory(attrs["device_"])
        _params.check_network_size(self, layer_sizes, X, memory, inputs)
        # as scikit-learn: check_random_state(random_state) draws the initial
        # weights, then the early-stopping split, then each epoch's order;
        # the engine's own seed (dropout, the learning-rate search) is read
        # off a copy of it, so that those draws stay scikit-learn's
        rng = check_random_state(self.random_state)
        if not first:
            self._check_same_inputs(inputs)
        weights = self._start_weights(first, layer_sizes, rng)
        seed = copy.deepcopy(rng).randint(np.iinfo(np.int32).max)
        session = facade.Session(
            layer_sizes,
            self.activation,
            head.loss,
            _params.compute_dtype(self, X),
            attrs["device_"],
            *weights,
            inputs=inputs,
            input_params=self._start_inputs(first, inputs, seed),
        )
        early = self.early_stopping and self.solver != "lbfgs"
        state = FitState.resume(None if first else self, early, incremental)
        sw = self._target_weights(y_enc, sample_weight, attrs)
        rows = _params.rows_per_product(self, X.shape[0])
        with facade.thread_scope(rows, layer_sizes, self.n_threads):
            if self.solver == "lbfgs":
                session.set_data(
                    X, y_enc, sw, attrs.get("pos_weight_"), self._label_smoothing()
                )
                run_lbfgs(self, session, state, X.shape[0])
            else:
                data = (X, y_enc, sw, attrs, head, dropout, seed, rng)
                self._run_stochastic(session, data, state, early, incremental)
        attrs.update(state.attributes())
        attrs["coefs_"], attrs["intercepts_"] = session.weights()
        attrs.update(self._input_attributes(session))
        return attrs

    @staticmethod
    def _input_attributes(session):
        """The input layers' parameters (and periodic columns) as fitted
        attributes."""
        return {
            _params.INPUT_ATTRIBUTES[k]: v for k, v in session.input_params().items()
        }

    def _start_inputs(self, first, inputs, seed):
        """Starting input-layer parameters: new ones, or the fitted ones
        when training goes on."""
        if first:
            return _params.initial_input_params(self, inputs, seed)
        return self._fitted_inputs() or {}

    def _code_levels(self):
        """The levels of each embedded column of the fitted network, or None."""
        tables = getattr(self, "embeddings_", None)
        return None if tables is None else [t.shape[0] for t in tables]

    def _check_same_inputs(self, inputs):
        """Training goes on only with the input layers it was fitted with."""
        fitted = self._fitted_inputs() or {}
        tables = fitted.get("embeddings")
        have = {
            "n_frequencies": fitted["phases"].shape[1] if "phases" in fitted else 0,
            "input_scale": "scale" in fitted,
            "periodic_columns": fitted["columns"].tolist()
            if "columns" in fitted
            else [],
            "embedding_columns": fitted["embedding_columns"].tolist()
            if tables is not None
            else [],
            "embedding_dim": tables[0].shape[1] if tables else None,
        }
        d = self.n_features_in_
        embed = None if inputs is None else inputs[4]
        want = {
            "n_frequencies": 0 if inputs is None else inputs[1],
            "input_scale": inputs is not None and inputs[2],
            "periodic_columns": []
            if inputs is None or not inputs[1]
            else list(range(d) if inputs[3] is None else inputs[3]),
            "embedding_columns": [] if embed is None else list(embed[0]),
            "embedding_dim": None if embed is None else embed[2],
        }
        if have != want:
            changed = ", ".join(
                f"{k}={want[k]!r} (fitted with {have[k]!r})"
                for k in have
                if have[k] != want[k]
            )
            raise ValueError(
                f"The input layers changed since the last fit: {changed}; "
                "changing them needs a new network: fit with warm_start=False "
                "(partial_fit always goes on with the fitted one)."
            )

    def _fitted_inputs(self):
        """The fitted input layers' parameters by engine name, or None."""
        out = {
            k: getattr(self, a)
            for k, a in _params.INPUT_ATTRIBUTES.items()
            if getattr(self, a, None) is not None
        }
        return out or None

    def _start_weights(self, first, layer_sizes, rng):
        if first:
            return _params.initial_weights(self, layer_sizes, rng)
        if self._layer_units() != layer_sizes:
            raise ValueError(
                "hidden_layer_sizes changed since the last fit "
                f"(the fitted network has layers {self._layer_units()}, "
                f"the parameters ask for {layer_sizes}); set warm_start=False "
                "to fit a new network."
            )
        return self.coefs_, self.intercepts_

    def _layer_units(self):
        """The units of every layer, the first dense layer's inputs first."""
        return [self.coefs_[0].shape[0]] + [c.shape[1] for c in self.coefs_]

    # ------------------------------------------------------------------
    # The stochastic solvers
    # ------------------------------------------------------------------
    def _run_stochastic(self, session, data, state, early, incremental):
        X, y, sw, attrs, head, dropout, seed, rng = data
        if early:
            X, X_val, y, y_val, sw, sw_val = validation_split(
                self, X, y, sw, rng, head.stratify
            )
        batch_size = _params.batch_size(self, X.shape[0])
        # the training targets only: the validation score reads the labels
        session.set_data(X, y, sw, attrs.get("pos_weight_"), self._label_smoothing())
        hyper = _params.solver_settings(self)
        lr = state.learning_rate
        if lr is None:
            if self.learning_rate_init == "auto":
                try:
                    lr = session.search_learning_rate(hyper, dropout, batch_size, seed)
                except KeyboardInterrupt:
                    # no epoch ran: the model keeps the weights it started from
                    if not _interrupted(state, self, session, early):
                        raise
                    return
            else:
                lr = float(self.learning_rate_init)
        if state.learning_rate is None or state.learning_rate_init is None:
            # the rate this call starts from (partial_fit keeps the first's)
            state.learning_rate_init = lr
        state.learning_rate = lr
        session.start(hyper, lr, seed, state.optimizer_state, rng)
        if early:
            session.set_validation(X_val, y_val, sw_val, head.score, head.thresholds)
        epochs = 1 if incremental else self.max_iter
        plan = EpochPlan(epochs, batch_size, dropout, X.shape[0], early, incremental)
        progress = Progress(
            self, epochs, X, y, sw, lambda: self._reconstruction(session, attrs, state)
        )
        ended = run_epochs(self, session, state, plan, progress)
        finish(self, session, state, ended, plan, incremental)

    def _reconstruction(self, session, attrs, state):
        """Fitted attributes of the model as it stands (for callbacks that
        ask for a usable estimator mid-fit)."""
        out = dict(attrs)  # the targets' attributes, private ones included
        out.update((k, v) for k, v in state.attributes().items() if k.endswith("_"))
        out["coefs_"], out["intercepts_"] = session.weights()
        # the copy a callback gets may hold an earlier fit's input layers,
        # and attributes can only be set on it: None marks "no such layer"
        out.update(dict.fromkeys(_params.INPUT_ATTRIBUTES.values()))
        out.update(self._input_attributes(session))
        for name in _VALIDATION_ATTRIBUTES:
            if hasattr(self, name):
                out[name] = getattr(self, name)
        return out

    # ------------------------------------------------------------------
    # Prediction
    # ------------------------------------------------------------------
    def _validate_X_predict(self, X):
        """X checked against the fit, in the model's dtype (so that values
        too large for it are rejected rather than overflowing)."""
        check_is_fitted(self, "coefs_")
        X = validate_data(
            self,
            X,
            accept_sparse=["csr", "csc"],
            dtype=self.coefs_[0].dtype,
            reset=False,
        )
        levels = self._code_levels()
        if levels is not None:  # codes the tables have rows for
            _params.code_levels(X, self.embedding_columns_, levels)
        return X

    def _network(self):
        """How the engine finds the fitted network: (owner, layer sizes,
        activation, loss, coefs, intercepts, device, input layers)."""
        loss = LOSS_OF_ACTIVATION[self.out_activation_]
        return (self, self._layer_units(), self.activation, loss) + (
            self.coefs_,
            self.intercepts_,
            self.device_,
            self._fitted_inputs(),
        )

    def _raw_outputs(self, X):
        """The network's output pre-activations for X, as a numpy array."""
        from ._engine import facade

        X = self._validate_X_predict(X)
        out = facade.predict_raw(self._network(), X, n_threads=self.n_threads)
        if not np.isfinite(out).all():
            raise ValueError(
                "The network's outputs overflowed to non-finite values "
                f"for X with values up to {abs(X).max():.3g} (computed "
                f"in {X.dtype}); scale the input, for example with "
                "sklearn.preprocessing.StandardScaler."
            )
        return out

    # ------------------------------------------------------------------
    # Pickling: weights are numpy (CPU) already; record our version
    # ------------------------------------------------------------------
    def __getstate__(self):
        state = dict(super().__getstate__())
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
        state.setdefault("n_threads", None)  # pickled before n_threads existed
        # pickled before the input layers existed: a network without them
        for name, default in (
            ("n_frequencies", 0),
            ("frequency_scale", 1.0),
            ("input_scale", False),
            ("periodic_columns", None),
            ("embedding_columns", None),
            ("embedding_dim", 16),
            ("embedding_levels", None),
        ):
            state.setdefault(name, default)
        if "weight_init" not in state and "activation" in state:
            he = state["activation"] in _params.HE_FAMILY
            state["weight_init"] = "he" if he else "glorot"
        super().__setstate__(state)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags


class InconsistentSknnVersionWarning(UserWarning):
    """Warning raised when an estimator is unpickled under another sknn version."""
