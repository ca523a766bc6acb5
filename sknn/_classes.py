"""The public estimators: MLPClassifier, MLPRegressor and MultiLabelMLP."""

import numbers
import warnings

import numpy as np
import scipy.sparse as sp
from sklearn.base import ClassifierMixin, MultiOutputMixin, RegressorMixin
from sklearn.exceptions import DataConversionWarning
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import (
    check_classification_targets,
    type_of_target,
    unique_labels,
)
from sklearn.utils.validation import column_or_1d

from ._base import BaseMLP, _stochastic, validated_every_call
from ._engine.compat import StrOptions, _fit_context
from ._heads import (
    BinaryHead,
    ClassifierMultilabelHead,
    IdentityHead,
    MultilabelHead,
    PoissonHead,
    SoftmaxHead,
)
from ._params import LABEL_SMOOTHING

_COMMON_PARAMETERS = """\
hidden_layer_sizes : array-like of shape (n_layers - 2,), default=(100,)
        The ith element is the number of units in the ith hidden layer.
        ``()`` gives a network with no hidden layer: a linear model
        (logistic, softmax or least-squares regression) trained by the same
        engine.

    activation : {'relu', 'tanh', 'logistic', 'identity', 'leaky_relu', \
'elu', 'gelu', 'silu'}, default='relu'
        Activation of the hidden layers. See ``weight_init`` for how the
        initial weights follow it.

    solver : {'adam', 'sgd', 'adamw', 'rmsprop', 'adagrad', 'lbfgs'}, \
default='adam'
        The optimizer. 'sgd' is minibatch stochastic gradient descent (with
        ``momentum`` and ``nesterovs_momentum``); 'adam' as in
        scikit-learn; 'adamw' is Adam with decoupled weight decay (``alpha``
        shrinks the weights directly instead of entering the gradient);
        'rmsprop' divides the step by a running root mean square of the
        gradient (decay ``beta_2``); 'adagrad' by the root of the summed
        squared gradients; 'lbfgs' is full-batch L-BFGS from scipy, often
        best on small data, with no ``partial_fit`` and no dropout.

    alpha : float, default=0.0001
        Strength of the L2 penalty, ``alpha / 2 * ||W||^2`` divided by the
        batch's total sample weight (the batch size when unweighted), as in
        scikit-learn. Biases are not penalised.

    batch_size : int or 'auto', default='auto'
        Size of the minibatches; 'auto' is ``min(200, n_samples)``. Ignored
        by 'lbfgs'.

    learning_rate : {'constant', 'invscaling', 'adaptive', 'decay', \
'cosine', 'coslog'}, default='constant'
        Learning-rate schedule of the stochastic solvers. 'constant' keeps
        ``learning_rate_init``; 'invscaling' divides it by
        ``(t + 1) ** power_t`` with t the number of samples seen; 'adaptive'
        keeps it while the loss improves and divides it by 5 each time
        ``n_iter_no_change`` epochs pass without improvement, stopping when
        it falls below 1e-6; 'decay' lowers it geometrically every epoch so
        that the last of ``max_iter`` epochs runs at 1/100 of the start:
        large steps early, small ones to settle at the end. 'cosine'
        anneals it along half a cosine: the epoch after ``e`` epochs runs
        at ``learning_rate_init * 0.5 * (1 + cos(pi * e / max_iter))``, the
        full rate first, smoothly down towards 0 at ``max_iter``. 'coslog'
        swings it 4 times between ``learning_rate_init`` and 1/100 of it on
        a logarithmic scale, ``learning_rate_init * 0.01 ** ((1 - cos(7 *
        pi * e / max_iter)) / 2)``: the full rate first, low at e/max_iter
        = 1/7, 3/7, 5/7 and at the end, back up to the full rate in
        between. 'decay', 'cosine' and 'coslog' count the epochs of every
        call against ``max_iter`` (``partial_fit`` and warm-start fits go
        on where the last call stopped; set ``max_iter`` to the epochs you
        plan in all); past ``max_iter`` epochs 'cosine' stays at 0 (a call
        then warns that it cannot learn), the other two at 1/100.

    learning_rate_init : float or 'auto', default=0.001
        Initial step size of the stochastic solvers. 'auto' searches for it
        the way one would by hand: on a subset of at most 1024 samples,
        start at 1.0 and halve the rate until 40 minibatch steps lower the
        loss without ever raising it above its start or making it
        non-finite (looked at every 5 steps); then use half that rate, a
        margin from the edge of divergence. The rate used is in
        ``learning_rate_init_``. Each halving tried costs about 40
        minibatch steps on at most 1024 samples, whatever the data's size.

    power_t : float, default=0.5
        Exponent of the 'invscaling' schedule.

    max_iter : int, default=200
        Maximum number of epochs (passes over the training data) for the
        stochastic solvers; maximum number of iterations for 'lbfgs'.

    shuffle : bool, default=True
        Whether to shuffle the samples at every epoch.

    random_state : int, RandomState instance or None, default=None
        Draws the initial weights, the early-stopping split and each epoch's
        order exactly as scikit-learn's MLP does (the same ``random_state``
        gives the same draws), and seeds the dropout masks and the
        learning-rate search. An int gives identical results on the CPU
        across fits. torch's global random state is never touched, nor
        numpy's unless ``random_state=None``, which (as everywhere in
        scikit-learn) draws from numpy's global generator.

    tol : float, default=1e-4
        Improvement below which an epoch counts as no improvement (of the
        training loss, or of the validation score with early stopping).

    verbose : bool or int, default=False
        Print one line per epoch (``Iteration N, loss = ...``, as
        scikit-learn does, followed by the validation score, the learning
        rate and the epoch's time).

    warm_start : bool, default=False
        Start from the weights of the previous fit instead of new ones.

    momentum : float, default=0.9
        Momentum of 'sgd', between 0 and 1.

    nesterovs_momentum : bool, default=True
        Whether 'sgd' uses Nesterov's momentum.

    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the training data (stratified
        for binary classification, as scikit-learn), score it after every
        epoch, stop after
        ``n_iter_no_change`` epochs without an improvement of at least
        ``tol``, and restore the weights of the best epoch.

    validation_fraction : float, default=0.1
        Proportion of the training data held out for early stopping.

    beta_1 : float, default=0.9
        Decay of Adam's first moment estimate, in [0, 1).

    beta_2 : float, default=0.999
        Decay of Adam's second moment estimate (and RMSprop's), in [0, 1).

    epsilon : float, default=1e-8
        Numerical stability term of Adam, RMSprop and Adagrad.

    n_iter_no_change : int, default=10
        Number of epochs without improvement that ends training.

    max_fun : int, default=15000
        Maximum number of loss evaluations of 'lbfgs'.

    dropout : float or array-like of shape (n_hidden_layers,), default=0.0
        Probability of zeroing each hidden unit during training, one value
        for every hidden layer or one per hidden layer. Kept units are
        scaled by ``1 / (1 - dropout)``, so prediction, which always uses
        the whole network, needs no rescaling.

    weight_init : {'glorot', 'he', 'auto'}, default='glorot'
        How the hidden layers' initial weights are drawn, uniformly in
        ``[-b, b]``. 'glorot' is scikit-learn's,
        ``b = sqrt(6 / (fan_in + fan_out))`` (factor 2 for 'logistic'),
        drawn from ``random_state`` in scikit-learn's order, so that the
        same ``random_state`` starts from the same weights as
        scikit-learn's estimator. 'he' is ``b = sqrt(6 / fan_in)``, which
        keeps the variance of ReLU activations from shrinking through the
        layers (deep ReLU networks under plain 'sgd' may train faster from
        it, but a learning rate tuned for Glorot's weights can then
        diverge). 'auto' takes He for the ReLU family ('relu',
        'leaky_relu', 'elu', 'gelu', 'silu') under 'sgd' and Glorot
        otherwise. The output layer always uses Glorot's bound.

    device : str, default='auto'
        Where to train: 'auto' (CUDA when available, else the CPU), 'cpu',
        'cuda' or 'cuda:N'. The fitted weights are kept as numpy arrays, so
        a model trained on a GPU pickles and predicts on a machine without
        one.

    precision : {'auto', 'float32', 'float64', 'bfloat16', 'float16'}, \
default='auto'
        Floating-point precision of training. 'auto' follows X as
        scikit-learn does: float32 X trains in float32, anything else in
        float64. 'bfloat16' and 'float16' keep float32 weights and run the
        matrix products in the 16-bit format (mixed precision): 'bfloat16'
        on the CPU through the hand-written forward and backward passes,
        otherwise under torch's autocast ('float16' is meant for CUDA).
        See the user guide's mixed-precision page.

    n_threads : int, default=None
        The most torch intra-op threads a fit or a prediction uses. None
        lets sknn choose from the size of the largest matrix product (one
        thread for small networks and batches, where more threads only add
        synchronisation; see the Performance page); an int asks for that
        many. Never more than torch allows at the time
        (``torch.get_num_threads()``, which follows ``OMP_NUM_THREADS`` and
        ``threadpoolctl.threadpool_limits``); torch's setting is restored
        when the call returns.

    n_frequencies : int, default=0
        Learned periodic features per input column: with ``K > 0`` the
        features ``cos(2 pi f_jk x_j + p_jk)``, ``k = 1..K``, of every
        column ``x_j`` in ``periodic_columns`` are appended after the raw
        columns at the input of the first dense layer, whose input grows to
        ``n_features + len(periodic_columns) * K``. Frequencies and phases
        train with the weights (without the L2 penalty), so the network can
        learn a sharp or periodic response to one column that a few ReLU
        units draw only coarsely. They pay off for numeric columns on a common scale
        (standardise X first); 0 leaves the network as scikit-learn's.

    frequency_scale : float, default=1.0
        Standard deviation of the normal distribution the starting
        frequencies are drawn from, in cycles per unit of X; phases start
        uniform on ``[-pi, pi)``. Small values (0.1-0.3 on standardised
        columns) start from slowly varying features.

    input_scale : bool, default=False
        Learn one factor per column of the first dense layer's input (after
        the periodic features), starting at 1 and trained without the L2
        penalty: a cheap way for the network to turn down columns it finds
        noisy before any weight sees them.

    periodic_columns : array-like of int or bool, default=None
        The columns that get periodic features when ``n_frequencies > 0``:
        indices, or a boolean mask over the columns of X; None takes every
        column but those in ``embedding_columns``. Binary and one-hot
        columns gain nothing from them.

    embedding_columns : array-like of int or bool, default=None
        Columns of X that hold category codes (0, 1, 2, ..., as
        ``sklearn.preprocessing.OrdinalEncoder`` writes them), each to be
        replaced by a learned vector of ``embedding_dim`` numbers per
        category: a column of many categories costs ``embedding_dim``
        inputs of the first dense layer instead of one per category, as
        one-hot encoding would. A column's number of categories is
        ``embedding_levels`` gives, else its largest code in the first fit
        plus one, and stays so while training goes on (``warm_start``,
        ``partial_fit``). Code -1 marks a category
        unknown to the network (``OrdinalEncoder`` writes it with
        ``handle_unknown='use_encoded_value', unknown_value=-1``): its
        vector is zero. Other codes outside that range raise an error. The
        vectors start small (normal, standard deviation 0.1), so that what
        training teaches them soon outweighs their random start, and train
        with the weights, without the L2 penalty. None: no embeddings.

    embedding_dim : int, default=16
        Length of each category's learned vector, for every column in
        ``embedding_columns``.

    embedding_levels : int or array-like of int, default=None
        The number of categories of each column in ``embedding_columns``
        (one number for all of them, or one per column in the order
        ``embedding_columns`` lists them), fixing the size of its table:
        codes 0 to ``embedding_levels - 1`` are allowed. Declare it when the
        first fit does not see every category, as when ``partial_fit``
        trains on a stream (``len(encoder.categories_[i])`` of the
        ``OrdinalEncoder`` that wrote the codes). None: the largest code in
        the first fit plus one. Ignored (once checked to be well formed)
        when ``embedding_columns`` is None or empty."""

_COMMON_ATTRIBUTES = """\
frequencies_ : ndarray of shape (n_periodic_columns, n_frequencies)
        The learned frequencies of the periodic input features; only when
        ``n_frequencies > 0``. ``phases_`` (same shape) holds their phases,
        ``periodic_columns_`` the columns of X they belong to.

    input_scale_ : ndarray of shape (coefs_[0].shape[0],)
        The learned factor of each input of the first dense layer; only
        when ``input_scale=True``.

    embeddings_ : list of ndarray of shape (n_categories, embedding_dim)
        The learned vector of each category of each column in
        ``embedding_columns_`` (the columns of X, sorted); only when
        ``embedding_columns`` names any. In the first dense layer's input
        they follow X's other columns (and the periodic features).

    loss_ : float
        The training loss of the last epoch (with the L2 penalty).

    best_loss_ : float or None
        The lowest training loss reached; None with early stopping.

    loss_curve_ : list of float
        The training loss of every epoch.

    validation_scores_ : list of float or None
        The validation score of every epoch when ``early_stopping=True``,
        else None.

    best_validation_score_ : float or None
        The best validation score, or None without early stopping.

    learning_rate_curve_ : list of float
        The learning rate of every epoch of the stochastic solvers, after
        the schedule (empty for 'lbfgs').

    t_ : int
        Number of training samples seen by the solver.

    coefs_ : list of ndarray of shape (n_units_in, n_units_out)
        The ith element is the weight matrix between layer i and i + 1.

    intercepts_ : list of ndarray of shape (n_units_out,)
        The ith element is the bias vector of layer i + 1.

    n_features_in_ : int
        Number of features seen during fit.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, when X has string column names.

    n_iter_ : int
        Number of epochs (iterations for 'lbfgs') run by the last call to
        ``fit`` or ``partial_fit`` (1 for ``partial_fit``), as in
        scikit-learn; ``loss_curve_`` and ``t_`` cover every call.

    n_layers_ : int
        Number of layers, input and output included.

    n_outputs_ : int
        Number of output units.

    out_activation_ : str
        Name of the output activation.

    learning_rate_init_ : float or None
        The initial learning rate used: ``learning_rate_init``, or the one
        found when it is 'auto'; None for 'lbfgs'.

    device_ : str
        The device the model was trained on."""


_LABEL_SMOOTHING_DOC = """\
label_smoothing : float, default=0.0
        Label smoothing ``eps``, in [0, 1), of the training targets. With a
        softmax output (three or more classes) each one-hot target becomes
        ``(1 - eps) * onehot + eps / n_classes``; with logistic outputs (two
        classes, or each label of a multilabel y) each 0/1 target becomes
        ``(1 - eps) * y + eps / 2``. The network is then no longer rewarded
        for pushing its logits ever further apart, which keeps its
        probabilities from becoming over-confident: a regulariser for
        classification. 0 trains on the labels as they are. It applies to
        every solver, with sample, class and positive weights, and to
        ``partial_fit``; ``loss_curve_`` is the loss against the smoothed
        targets, while the early-stopping validation score is computed on
        the true labels."""


def _doc(cls):
    cls.__doc__ = cls.__doc__.replace("{COMMON_PARAMETERS}", _COMMON_PARAMETERS)
    cls.__doc__ = cls.__doc__.replace("{COMMON_ATTRIBUTES}", _COMMON_ATTRIBUTES)
    cls.__doc__ = cls.__doc__.replace("{LABEL_SMOOTHING}", _LABEL_SMOOTHING_DOC)
    return cls


def _column_to_1d(y):
    """A column vector y, shape (n_samples, 1), as 1-d, with the warning
    scikit-learn's MLPs give for it (from ``fit`` and ``partial_fit``)."""
    if y.ndim == 2 and y.shape[1] == 1:
        warnings.warn(
            "A column-vector y was passed when a 1d array was expected. "
            "Please change the shape of y to (n_samples, ), for example "
            "using ravel().",
            DataConversionWarning,
            stacklevel=7,  # the caller of fit (partial_fit: one frame short)
        )
        return column_or_1d(y)
    return y


class _ClassifierBase(ClassifierMixin, BaseMLP):
    """Label handling shared by MLPClassifier and MultiLabelMLP."""

    def _in_kind(self, pred):
        """Predictions of a model fitted on a sparse indicator y as a sparse
        CSR matrix, as scikit-learn's MLPClassifier (LabelBinarizer) gives."""
        if getattr(self, "_sparse_y", False) and pred.ndim == 2:
            return sp.csr_matrix(pred)
        return pred

    def _label_smoothing(self):
        return float(self.label_smoothing)

    def __setstate__(self, state):
        # a model pickled before label_smoothing existed trained without it
        state.setdefault("label_smoothing", 0.0)
        super().__setstate__(state)

    def _check_classes(self, classes, first, incremental_classes):
        if incremental_classes is not None:
            # scikit-learn's LabelBinarizer: the sorted labels, in the dtype
            # numpy gives them (str, not object, for strings)
            incremental_classes = unique_labels(np.asarray(incremental_classes))
            if hasattr(self, "classes_") and not first:
                if not np.array_equal(incremental_classes, self.classes_):
                    raise ValueError(
                        f"`classes={incremental_classes!r}` is not the same as on "
                        f"last call to partial_fit, was: {self.classes_!r}"
                    )
            return incremental_classes
        if first:
            return classes
        if self.warm_start and set(classes.tolist()) != set(self.classes_.tolist()):
            raise ValueError(
                "warm_start can only be used where `y` has the same classes as "
                f"in the previous call to fit. Previously got {self.classes_}, "
                f"`y` has {classes}"
            )
        return self.classes_


@_doc
class MLPClassifier(_ClassifierBase):
    """Multi-layer perceptron classifier on a PyTorch core.

    A drop-in replacement for :class:`sklearn.neural_network.MLPClassifier`
    with the same parameters and fitted attributes, plus dropout, more
    optimizers and activations, automatic learning-rate search, class
    weights and GPU training. The output layer is a softmax trained with
    cross-entropy (one logistic unit for two classes); a 0/1 indicator
    matrix y is trained as multilabel (see also :class:`MultiLabelMLP`).

    Parameters
    ----------
    {COMMON_PARAMETERS}

    class_weight : dict, 'balanced' or None, default=None
        Weights of the classes in the loss, multiplying ``sample_weight``.
        'balanced' uses ``n_samples / (n_classes * np.bincount(y))`` of the
        data given to each ``fit`` or ``partial_fit`` call.

    {LABEL_SMOOTHING}

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels (``arange(n_labels)`` for multilabel y).

    {COMMON_ATTRIBUTES}

    See Also
    --------
    MLPRegressor : Multi-layer perceptron regressor.
    MultiLabelMLP : One sigmoid output per label.
    sklearn.neural_network.MLPClassifier : The numpy version in scikit-learn.

    Notes
    -----
    Training computes the forward and backward passes by hand (the delta
    rule of backpropagation) on one flat tensor of parameters, with no
    autograd graph, also for precision='bfloat16' on the CPU; mixed
    precision on a GPU, and 'float16', use torch's autograd instead.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.model_selection import train_test_split
    >>> from sknn import MLPClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> X_train, X_test, y_train, y_test = train_test_split(
    ...     X, y, stratify=y, random_state=0)
    >>> clf = MLPClassifier(hidden_layer_sizes=(32,), max_iter=300,
    ...                     learning_rate_init=0.01, device="cpu",
    ...                     random_state=0).fit(X_train, y_train)
    >>> clf.predict_proba(X_test[:1]).shape
    (1, 3)
    >>> clf.score(X_test, y_test) > 0.9
    True
    """

    _parameter_constraints = {
        **BaseMLP._parameter_constraints,
        "class_weight": [dict, StrOptions({"balanced"}), None],
        "label_smoothing": LABEL_SMOOTHING,
    }

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
        class_weight=None,
        label_smoothing=0.0,
    ):
        super().__init__(
            hidden_layer_sizes=hidden_layer_sizes,
            activation=activation,
            solver=solver,
            alpha=alpha,
            batch_size=batch_size,
            learning_rate=learning_rate,
            learning_rate_init=learning_rate_init,
            power_t=power_t,
            max_iter=max_iter,
            shuffle=shuffle,
            random_state=random_state,
            tol=tol,
            verbose=verbose,
            warm_start=warm_start,
            momentum=momentum,
            nesterovs_momentum=nesterovs_momentum,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            beta_1=beta_1,
            beta_2=beta_2,
            epsilon=epsilon,
            n_iter_no_change=n_iter_no_change,
            max_fun=max_fun,
            dropout=dropout,
            weight_init=weight_init,
            device=device,
            precision=precision,
            n_threads=n_threads,
            n_frequencies=n_frequencies,
            frequency_scale=frequency_scale,
            input_scale=input_scale,
            periodic_columns=periodic_columns,
            embedding_columns=embedding_columns,
            embedding_dim=embedding_dim,
            embedding_levels=embedding_levels,
        )
        self.class_weight = class_weight
        self.label_smoothing = label_smoothing

    def _prepare_targets(self, y, first, classes=None):
        y = _column_to_1d(y)
        check_classification_targets(y)
        kind = type_of_target(y, input_name="y")
        if kind == "multiclass-multioutput":  # scikit-learn's LabelBinarizer's error
            raise ValueError(
                "Multioutput target data is not supported with label binarization"
            )
        if kind == "multilabel-indicator":
            y_enc = np.asarray(y, dtype=np.float64)
            if not first and not self._multilabel:
                raise ValueError(
                    "y is a multilabel indicator matrix but the model was fitted "
                    "on single-label y; set warm_start=False to refit."
                )
            n = y.shape[1]
            if not first and self.n_outputs_ != n:
                raise ValueError(
                    f"y has {n} labels but the model was fitted with "
                    f"{self.n_outputs_}; set warm_start=False to refit."
                )
            attrs = {"classes_": np.arange(n), "n_outputs_": n, "_multilabel": True}
            return y_enc, attrs, ClassifierMultilabelHead(n, 0.5)
        if not first and getattr(self, "_multilabel", False):
            raise ValueError(
                "The model was fitted on a multilabel indicator y; got "
                f"{kind!r} y. Set warm_start=False to refit."
            )
        found = unique_labels(y)
        cls = self._check_classes(found, first, classes)
        # one class trains as scikit-learn does: one logistic unit whose
        # targets are all 0, predicting that class everywhere
        head = BinaryHead(cls) if len(cls) <= 2 else SoftmaxHead(cls)
        attrs = {"classes_": cls, "n_outputs_": head.n_outputs, "_multilabel": False}
        return head.encode(y), attrs, head

    def _head(self):
        if self._multilabel:
            return ClassifierMultilabelHead(self.n_outputs_, 0.5)
        if self.out_activation_ == "softmax":
            return SoftmaxHead(self.classes_)
        return BinaryHead(self.classes_)

    def _target_weights(self, y_enc, sample_weight, attrs):
        if self.class_weight is None:
            return sample_weight
        if attrs["_multilabel"]:
            raise ValueError(
                f"class_weight={self.class_weight!r} is not supported with a "
                "multilabel indicator y (it weighs the classes of single-label "
                "y); use sample_weight, or MultiLabelMLP(pos_weight=...) to "
                "weigh each label's positives."
            )
        classes = attrs["classes_"]
        y_lab = classes[y_enc]
        if self.class_weight == "balanced":
            present = np.unique(y_lab)
            cw_present = compute_class_weight("balanced", classes=present, y=y_lab)
            lookup = dict(zip(present, cw_present))
        else:
            lookup = self.class_weight
            unknown = set(lookup) - set(classes.tolist())
            if unknown:
                raise ValueError(
                    f"class_weight has labels {sorted(unknown, key=str)!r} that "
                    f"are not among the classes {classes!r}."
                )
        try:
            cw = np.array([lookup.get(c, 1.0) for c in classes], dtype=np.float64)
        except (TypeError, ValueError):
            cw = np.array([np.nan])
        if not (np.all(np.isfinite(cw)) and np.all(cw >= 0)):
            raise ValueError(
                "class_weight must map classes to finite non-negative numbers; "
                f"got {self.class_weight!r}."
            )
        w = cw[y_enc]
        w = w if sample_weight is None else w * sample_weight
        if not w.sum() > 0:
            raise ValueError(
                f"class_weight={self.class_weight!r} gives every sample weight 0."
            )
        return w

    @available_if(_stochastic)
    @validated_every_call
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None, classes=None):
        """Update the model with one epoch over the given data.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.
        y : array-like of shape (n_samples,)
            The target class labels.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the samples in the loss.
        classes : array-like of shape (n_classes,), default=None
            Every class the model will ever see. Required on the first call;
            later calls may pass the same classes again (as dask-ml's
            ``Incremental`` does) but not different ones.

        Returns
        -------
        self : object
            The updated estimator.
        """
        if not hasattr(self, "classes_") and classes is None:
            raise ValueError("classes must be passed on the first call to partial_fit.")
        return self._fit(X, y, sample_weight, incremental=True, classes=classes)

    def predict_proba(self, X):
        """Probability estimates.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probability of each class, in the order of ``classes_``
            (float64). For multilabel y, the probability of each label.
        """
        z = self._raw_outputs(X)  # checks that the model is fitted first
        return self._head().proba(z)

    def predict_log_proba(self, X):
        """Logarithm of the probability estimates, computed stably.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            ``log(predict_proba(X))``, without underflow to ``-inf`` for
            single-label y; for a multilabel indicator y exactly
            ``np.log(predict_proba(X))``, as scikit-learn.
        """
        z = self._raw_outputs(X)  # checks that the model is fitted first
        return self._head().log_proba(z)

    def predict(self, X):
        """Predict class labels (a 0/1 indicator matrix for multilabel y).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_labels)
            The predicted classes; a sparse CSR matrix when the model was
            fitted on a sparse indicator y.
        """
        z = self._raw_outputs(X)  # checks that the model is fitted first
        return self._in_kind(self._head().predict(z))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags


@_doc
class MLPRegressor(MultiOutputMixin, RegressorMixin, BaseMLP):
    """Multi-layer perceptron regressor on a PyTorch core.

    A drop-in replacement for :class:`sklearn.neural_network.MLPRegressor`:
    identity output units trained with the squared error, one per target
    (y may have several columns). Same parameters and fitted attributes as
    scikit-learn's, plus dropout, more optimizers and activations,
    automatic learning-rate search and GPU training.

    Parameters
    ----------
    loss : {'squared_error', 'poisson'}, default='squared_error'
        The loss function. 'squared_error' trains identity outputs;
        'poisson' trains exp outputs (a log link) with the half Poisson
        deviance, for counts or rates: it requires ``y >= 0`` (a negative
        target is a ValueError) and ``predict`` returns ``exp`` of the
        output layer's values.

    {COMMON_PARAMETERS}

    Attributes
    ----------
    {COMMON_ATTRIBUTES}

    See Also
    --------
    MLPClassifier : Multi-layer perceptron classifier.
    sklearn.neural_network.MLPRegressor : The numpy version in scikit-learn.

    Notes
    -----
    The 'squared_error' loss is ``0.5 * sum_k (y_k - f_k(x))**2`` averaged
    over the samples (weighted by ``sample_weight``), plus the L2 penalty;
    'poisson' is ``sum_k y_k log(y_k / mu_k) - y_k + mu_k`` with
    ``mu = exp(f(x))``, averaged the same way.

    Examples
    --------
    >>> from sklearn.datasets import make_regression
    >>> from sklearn.model_selection import train_test_split
    >>> from sknn import MLPRegressor
    >>> X, y = make_regression(n_samples=300, n_features=5, noise=1.0,
    ...                        random_state=0)
    >>> X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
    >>> reg = MLPRegressor(hidden_layer_sizes=(64,), learning_rate_init=0.01,
    ...                    max_iter=500, device="cpu",
    ...                    random_state=0).fit(X_train, y_train)
    >>> reg.predict(X_test[:2]).shape
    (2,)
    >>> reg.score(X_test, y_test) > 0.9
    True
    """

    _parameter_constraints = {
        **BaseMLP._parameter_constraints,
        "loss": [StrOptions({"squared_error", "poisson"})],
    }

    def __init__(
        self,
        loss="squared_error",
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
        super().__init__(
            hidden_layer_sizes=hidden_layer_sizes,
            activation=activation,
            solver=solver,
            alpha=alpha,
            batch_size=batch_size,
            learning_rate=learning_rate,
            learning_rate_init=learning_rate_init,
            power_t=power_t,
            max_iter=max_iter,
            shuffle=shuffle,
            random_state=random_state,
            tol=tol,
            verbose=verbose,
            warm_start=warm_start,
            momentum=momentum,
            nesterovs_momentum=nesterovs_momentum,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            beta_1=beta_1,
            beta_2=beta_2,
            epsilon=epsilon,
            n_iter_no_change=n_iter_no_change,
            max_fun=max_fun,
            dropout=dropout,
            weight_init=weight_init,
            device=device,
            precision=precision,
            n_threads=n_threads,
            n_frequencies=n_frequencies,
            frequency_scale=frequency_scale,
            input_scale=input_scale,
            periodic_columns=periodic_columns,
            embedding_columns=embedding_columns,
            embedding_dim=embedding_dim,
            embedding_levels=embedding_levels,
        )
        self.loss = loss

    _y_numeric = True

    def _prepare_targets(self, y, first, classes=None):
        y2 = _column_to_1d(np.asarray(y, dtype=np.float64))
        y_1d = y2.ndim == 1
        y2 = y2.reshape(y2.shape[0], -1)
        n = y2.shape[1]
        if not first and self.n_outputs_ != n:
            raise ValueError(
                f"y has {n} output(s) but the model was fitted with "
                f"{self.n_outputs_}; set warm_start=False to refit."
            )
        head = PoissonHead(n) if self.loss == "poisson" else IdentityHead(n)
        return head.encode(y2), {"n_outputs_": n, "_y_1d": y_1d}, head

    def __setstate__(self, state):
        # a model pickled before `loss` existed was trained with squared error
        state.setdefault("loss", "squared_error")
        super().__setstate__(state)

    def _head(self):
        if self.out_activation_ == "exp":
            return PoissonHead(self.n_outputs_)
        return IdentityHead(self.n_outputs_)

    @available_if(_stochastic)
    @validated_every_call
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None):
        """Update the model with one epoch over the given data.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            The target values.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the samples in the loss.

        Returns
        -------
        self : object
            The updated estimator.
        """
        return self._fit(X, y, sample_weight, incremental=True)

    def predict(self, X):
        """Predict using the multi-layer perceptron.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            The predicted values, in the dtype the model was trained in.
        """
        z = self._raw_outputs(X)  # checks that the model is fitted first
        return self._head().predict(z)


@_doc
class MultiLabelMLP(_ClassifierBase):
    """Multi-layer perceptron for multilabel classification.

    One sigmoid output per label trained with the binary cross-entropy:
    each sample may carry any subset of the labels. ``y`` is a 0/1
    indicator matrix of shape (n_samples, n_labels), for example from
    :class:`sklearn.preprocessing.MultiLabelBinarizer`.

    Parameters
    ----------
    {COMMON_PARAMETERS}

    threshold : float or array-like of shape (n_labels,), default=0.5
        Probability above which :meth:`predict` assigns a label; one value,
        or one per label.

    pos_weight : 'balanced', array-like of shape (n_labels,) or None, \
default=None
        Weight of the positive examples of each label in the loss (the
        negatives keep weight 1). 'balanced' uses ``n_negative / n_positive``
        of each label in the data of the fit, which evens out rare labels.

    {LABEL_SMOOTHING}

    Attributes
    ----------
    classes_ : ndarray of shape (n_labels,)
        ``arange(n_labels)``: the column indices of the labels.

    {COMMON_ATTRIBUTES}

    pos_weight_ : ndarray of shape (n_labels,) or None
        The positive weights used, when ``pos_weight`` is set.

    See Also
    --------
    MLPClassifier : Single-label classification (softmax output).
    sklearn.multioutput.MultiOutputClassifier : One model per label.

    Examples
    --------
    >>> from sklearn.datasets import make_multilabel_classification
    >>> from sknn import MultiLabelMLP
    >>> X, Y = make_multilabel_classification(n_samples=200, n_classes=4,
    ...                                       random_state=0)
    >>> clf = MultiLabelMLP(hidden_layer_sizes=(32,), max_iter=300,
    ...                     learning_rate_init=0.01, device="cpu",
    ...                     random_state=0).fit(X, Y)
    >>> clf.predict_proba(X[:3]).shape
    (3, 4)
    >>> clf.predict(X[:3]).shape
    (3, 4)
    """

    _parameter_constraints = {
        **BaseMLP._parameter_constraints,
        "threshold": ["array-like", numbers.Real],
        "pos_weight": ["array-like", StrOptions({"balanced"}), None],
        "label_smoothing": LABEL_SMOOTHING,
    }

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
        threshold=0.5,
        pos_weight=None,
        label_smoothing=0.0,
    ):
        super().__init__(
            hidden_layer_sizes=hidden_layer_sizes,
            activation=activation,
            solver=solver,
            alpha=alpha,
            batch_size=batch_size,
            learning_rate=learning_rate,
            learning_rate_init=learning_rate_init,
            power_t=power_t,
            max_iter=max_iter,
            shuffle=shuffle,
            random_state=random_state,
            tol=tol,
            verbose=verbose,
            warm_start=warm_start,
            momentum=momentum,
            nesterovs_momentum=nesterovs_momentum,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            beta_1=beta_1,
            beta_2=beta_2,
            epsilon=epsilon,
            n_iter_no_change=n_iter_no_change,
            max_fun=max_fun,
            dropout=dropout,
            weight_init=weight_init,
            device=device,
            precision=precision,
            n_threads=n_threads,
            n_frequencies=n_frequencies,
            frequency_scale=frequency_scale,
            input_scale=input_scale,
            periodic_columns=periodic_columns,
            embedding_columns=embedding_columns,
            embedding_dim=embedding_dim,
            embedding_levels=embedding_levels,
        )
        self.threshold = threshold
        self.pos_weight = pos_weight
        self.label_smoothing = label_smoothing

    def _prepare_targets(self, y, first, classes=None):
        y = np.asarray(y)
        check_classification_targets(y)
        if y.ndim != 2:
            kind = type_of_target(y, input_name="y")
            raise ValueError(
                "Only binary classification is supported per label: "
                "MultiLabelMLP expects y as a 0/1 indicator matrix of shape "
                f"(n_samples, n_labels); got {kind!r} y of shape {y.shape}. For "
                "single-label classification use MLPClassifier, or encode "
                "label sets with sklearn.preprocessing.MultiLabelBinarizer."
            )
        values = np.unique(y)
        if not np.isin(values, [0, 1]).all():
            raise ValueError(
                "MultiLabelMLP expects y as a 0/1 indicator matrix; got values "
                f"{values[:10]!r}."
            )
        n = y.shape[1]
        if not first and self.n_outputs_ != n:
            raise ValueError(
                f"y has {n} labels but the model was fitted with "
                f"{self.n_outputs_}; set warm_start=False to refit."
            )
        self._thresholds(n)
        if classes is not None and not np.isin(np.asarray(classes), [0, 1]).all():
            raise ValueError(
                f"classes={classes!r}: the values of a multilabel indicator y "
                "are 0 and 1."
            )
        head = MultilabelHead(n, self._thresholds(n))
        y_enc = head.encode(y)
        attrs = {"classes_": head.classes, "n_outputs_": n}
        attrs["pos_weight_"] = self._pos_weight(y_enc)
        return y_enc, attrs, head

    def _head(self):
        return MultilabelHead(self.n_outputs_, self._thresholds(self.n_outputs_))

    def _pos_weight(self, y_enc):
        pw = self.pos_weight
        if pw is None:
            return None
        n_labels = y_enc.shape[1]
        if isinstance(pw, str):
            pos = y_enc.sum(axis=0)
            neg = y_enc.shape[0] - pos
            # a label seen only as positive (or only as negative) has no
            # ratio to balance: it keeps weight 1 rather than losing its loss
            both = (pos > 0) & (neg > 0)
            return np.where(both, neg / np.where(both, pos, 1), 1.0)
        try:
            pw = np.asarray(pw, dtype=np.float64).ravel()
        except (TypeError, ValueError):
            pw = np.array([np.nan])
        if pw.shape != (n_labels,) or not np.all(np.isfinite(pw)) or np.any(pw <= 0):
            raise ValueError(
                f"pos_weight must be 'balanced', None or {n_labels} positive "
                f"finite numbers (one per label); got {self.pos_weight!r}."
            )
        return pw

    def _thresholds(self, n_labels):
        try:
            t = np.asarray(self.threshold, dtype=np.float64).ravel()
        except (TypeError, ValueError):
            t = np.array([np.nan])
        if t.size not in (1, n_labels) or not np.all((t > 0) & (t < 1)):
            raise ValueError(
                f"threshold must be one probability in (0, 1) or {n_labels} of "
                f"them (one per label); got {self.threshold!r}."
            )
        return t

    @available_if(_stochastic)
    @validated_every_call
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None, classes=None):
        """Update the model with one epoch over the given data.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.
        y : array-like of shape (n_samples, n_labels)
            The 0/1 indicator matrix of labels.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the samples in the loss.
        classes : array-like, default=None
            Accepted for symmetry with single-label classifiers (dask-ml's
            ``Incremental`` passes the values found in y); when given, its
            values must lie in {0, 1}.

        Returns
        -------
        self : object
            The updated estimator.
        """
        return self._fit(X, y, sample_weight, incremental=True, classes=classes)

    def predict_proba(self, X):
        """Probability of each label.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_labels)
            Independent probabilities, one per label (float64).
        """
        z = self._raw_outputs(X)  # checks that the model is fitted first
        return self._head().proba(z)

    def predict_log_proba(self, X):
        """Logarithm of the probability of each label.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_labels)
            ``log(predict_proba(X))``, computed stably.
        """
        z = self._raw_outputs(X)  # checks that the model is fitted first
        return self._head().log_proba(z)

    def predict(self, X):
        """Predict the label sets.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        Y : ndarray of shape (n_samples, n_labels)
            1 where the label's probability exceeds ``threshold``, else 0; a
            sparse CSR matrix when the model was fitted on a sparse y.
        """
        z = self._raw_outputs(X)  # checks that the model is fitted first
        return self._in_kind(self._head().predict(z))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        # each output is a yes/no decision: no label column has more classes
        tags.classifier_tags.multi_class = False
        tags.target_tags.multi_output = True
        tags.target_tags.single_output = False
        return tags
