"""What the estimators' parameters mean: their constraints, the checks that
span several of them or depend on the data, and the initial weights."""

import numbers
import warnings

import numpy as np

from ._engine.compat import Interval, Options, StrOptions

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
# learning_rate: the schedules of the stochastic solvers (sknn/_loop.py)
SCHEDULES = ("constant", "invscaling", "adaptive", "decay", "cosine", "coslog")
# label_smoothing, a parameter of the classifiers only
LABEL_SMOOTHING = [Interval(numbers.Real, 0, 1, closed="left")]
# The activations for which weight_init='auto' draws He weights under 'sgd'
HE_FAMILY = ("relu", "leaky_relu", "elu", "gelu", "silu")

CONSTRAINTS = {
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
    "learning_rate": [StrOptions(set(SCHEDULES))],
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
    "validation_fraction": [Interval(numbers.Real, 0, 1, closed="left")],
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
    "precision": [StrOptions({"auto", "float32", "float64", "bfloat16", "float16"})],
    "n_threads": [Interval(numbers.Integral, 1, None, closed="left"), None],
    "n_frequencies": [Interval(numbers.Integral, 0, None, closed="left")],
    "frequency_scale": [Interval(numbers.Real, 0, None, closed="neither")],
    "input_scale": ["boolean"],
    "periodic_columns": ["array-like", None],
    "embedding_columns": ["array-like", None],
    "embedding_dim": [Interval(numbers.Integral, 1, None, closed="left")],
    "embedding_levels": [
        Interval(numbers.Integral, 1, None, closed="left"),
        "array-like",
        None,
    ],
}

# the fitted attribute of each input-layer parameter of the engine
INPUT_ATTRIBUTES = {
    "scale": "input_scale_",
    "frequencies": "frequencies_",
    "phases": "phases_",
    "columns": "periodic_columns_",  # not trained: which columns, as ints
    "embeddings": "embeddings_",  # a list of one (levels, dim) table per column
    "embedding_columns": "embedding_columns_",  # not trained
}


def hidden_sizes(est):
    """``hidden_layer_sizes`` as a list of positive ints, or a ValueError."""
    sizes = est.hidden_layer_sizes
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
            f"{est.hidden_layer_sizes!r}."
        )
    return [int(s) for s in sizes]


def _rates(d, est, n_hidden):
    if isinstance(d, numbers.Real) and not isinstance(d, bool):
        return [float(d)] * n_hidden
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
            f"{est.hidden_layer_sizes!r}); give one float, or one per "
            "hidden layer."
        )
    return rates


def dropout_rates(est, n_hidden):
    """One dropout rate per layer (0 for the output layer), or a ValueError."""
    rates = _rates(est.dropout, est, n_hidden)
    for r in rates:
        if not 0.0 <= r < 1.0:
            raise ValueError(f"dropout rates must lie in [0, 1), got {est.dropout!r}.")
    if est.solver == "lbfgs" and any(rates):
        raise ValueError(
            "dropout makes the loss random and cannot be used with "
            f"solver='lbfgs' (got dropout={est.dropout!r}); use a "
            "stochastic solver such as 'adam'."
        )
    return rates + [0.0]  # no dropout on the output layer


def check_params(est):
    """The checks that span several parameters; returns the hidden layer
    sizes and the dropout rates."""
    hidden = hidden_sizes(est)
    dropout = dropout_rates(est, len(hidden))
    if est.learning_rate_init == "auto" and est.solver == "lbfgs":
        raise ValueError(
            "learning_rate_init='auto' needs a stochastic solver; "
            "solver='lbfgs' has no learning rate."
        )
    if est.solver == "lbfgs" and est.precision in ("bfloat16", "float16"):
        raise ValueError(
            f"precision={est.precision!r} (mixed precision) needs a "
            "stochastic solver; solver='lbfgs' trains in 'float32' or "
            "'float64'."
        )
    return hidden, dropout


def compute_dtype(est, X):
    """'float32' or 'float64': what the weights are kept and trained in."""
    if est.precision in ("float32", "float64"):
        return est.precision
    if est.precision in ("bfloat16", "float16"):
        return "float32"
    return "float32" if X.dtype == np.float32 else "float64"


# copies of the parameters a fit holds at least: the initial numpy weights,
# the flat tensor, its gradient, one optimizer state
_PARAMETER_COPIES = 4


def check_network_size(est, layer_sizes, X, memory, inputs=None):
    """A MemoryError naming hidden_layer_sizes (or the embedded columns,
    whose tables grow with their largest code) when the network's
    parameters alone cannot fit in ``memory`` bytes (the device's total
    memory; None: unknown, no check), before anything is allocated."""
    if memory is None:
        return
    n_params = sum((i + 1) * o for i, o in zip(layer_sizes[:-1], layer_sizes[1:]))
    dtype = compute_dtype(est, X)
    size = np.dtype(dtype).itemsize * _PARAMETER_COPIES
    embed = None if inputs is None else inputs[4]
    if embed is not None:
        codes, levels, dim = embed
        n_table = sum(levels) * dim
        if (n_params + n_table) * size > memory:
            j = int(np.argmax(levels))
            raise MemoryError(
                f"The embedding tables of embedding_columns={list(codes)} hold "
                f"{n_table:,} values (column {codes[j]} of X has {levels[j]:,} "
                f"categories, codes up to {levels[j] - 1:,}, so {levels[j]:,} "
                f"rows of {dim}); training them needs at least "
                f"{n_table * size / 2**30:,.1f} GiB and the device has "
                f"{memory / 2**30:,.1f} GiB. Number the categories 0, 1, 2, "
                "... (sklearn.preprocessing.OrdinalEncoder does), and give "
                "embedding_levels no more than there are."
            )
    need = n_params * size
    if need > memory:
        raise MemoryError(
            f"hidden_layer_sizes={est.hidden_layer_sizes!r} makes a network of "
            f"{n_params:,} parameters; training it in {dtype} needs at least "
            f"{need / 2**30:,.1f} GiB ({_PARAMETER_COPIES} copies of the "
            f"parameters) and the device has {memory / 2**30:,.1f} GiB. Use "
            "smaller hidden layers."
        )


def solver_settings(est):
    """What the engine's optimizer reads from the parameters."""
    names = ("solver", "alpha", "momentum", "nesterovs_momentum", "beta_1")
    names += ("beta_2", "epsilon", "precision")
    return {k: getattr(est, k) for k in names}


def initial_weights(est, layer_sizes, rng):
    """Uniform initial weights and biases in ``[-b, b]``, per layer, drawn
    from the generator ``rng`` in scikit-learn's order (each layer's weights,
    then its biases, output layer included).

    The default, ``weight_init='glorot'``, is scikit-learn's bound,
    ``b = sqrt(6 / (fan_in + fan_out))`` (2 instead of 6 for 'logistic'), so
    that a given ``random_state`` starts from scikit-learn's very weights.
    'he', ``b = sqrt(6 / fan_in)``, for the hidden layers keeps the variance
    of ReLU-family activations from shrinking layer after layer; 'auto'
    takes He for the ReLU family under 'sgd' (whose steps scale with the
    gradients) and Glorot otherwise.  The output layer always takes Glorot's
    bound.
    """
    he = est.weight_init == "he" or (
        est.weight_init == "auto"
        and est.solver == "sgd"
        and est.activation in HE_FAMILY
    )
    coefs, intercepts = [], []
    n_layers = len(layer_sizes) - 1
    for i, (fan_in, fan_out) in enumerate(zip(layer_sizes[:-1], layer_sizes[1:])):
        if i < n_layers - 1 and he:
            bound = np.sqrt(6.0 / fan_in)
        else:
            factor = 2.0 if est.activation == "logistic" else 6.0
            bound = np.sqrt(factor / (fan_in + fan_out))
        coefs.append(rng.uniform(-bound, bound, (fan_in, fan_out)))
        intercepts.append(rng.uniform(-bound, bound, fan_out))
    return coefs, intercepts


def batch_size(est, n_train):
    """The minibatch size: 'auto' is min(200, n_train); a batch_size above
    the number of training samples (those left after early stopping's
    validation split) is clipped, with scikit-learn's warning."""
    if est.batch_size == "auto":
        return min(200, n_train)
    if est.batch_size > n_train:
        warnings.warn(
            f"Got `batch_size` less than 1 or larger than sample size. It is "
            f"going to be clipped (batch_size={est.batch_size}, training "
            f"samples={n_train}).",
            UserWarning,
        )
    return min(est.batch_size, n_train)


def rows_per_product(est, n_samples):
    """Rows in each matrix product of a fit: the minibatch, or every sample
    for L-BFGS (what the thread policy sizes its threads by)."""
    if est.solver == "lbfgs":
        return n_samples
    size = 200 if est.batch_size == "auto" else est.batch_size
    return min(size, n_samples)


def _column_indices(
    value, name, n_features, forms="None, a boolean mask or a list of column indices"
):
    """A column parameter (a boolean mask or a list of indices) as sorted
    column indices, or a ValueError that names it (and the ``forms`` it
    takes)."""
    cols = np.asarray(value)
    if cols.dtype == bool:
        if cols.shape != (n_features,):
            raise ValueError(
                f"{name} as a boolean mask needs one value per column "
                f"of X ({n_features}); got {value!r}."
            )
        return np.flatnonzero(cols)
    if cols.ndim != 1 or (cols.size and cols.dtype.kind not in "iu"):
        raise ValueError(f"{name} must be {forms}; got {value!r}.")
    cols = cols.astype(np.int64)
    if cols.size and (cols.min() < 0 or cols.max() >= n_features):
        raise ValueError(
            f"{name} holds indices outside [0, {n_features}) for X "
            f"with {n_features} columns: {value!r}."
        )
    if np.unique(cols).size != cols.size:
        raise ValueError(f"{name} repeats a column: {value!r}.")
    return np.sort(cols)


def embedding_columns(est, n_features):
    """``embedding_columns`` as sorted column indices (empty for None)."""
    if est.embedding_columns is None:
        return np.zeros(0, dtype=np.int64)
    return _column_indices(est.embedding_columns, "embedding_columns", n_features)


def periodic_columns(est, n_features):
    """``periodic_columns`` as sorted column indices, or a ValueError.  None
    means every column that ``embedding_columns`` does not hold codes in."""
    codes = embedding_columns(est, n_features)
    if est.periodic_columns is None:
        return np.setdiff1d(np.arange(n_features), codes)
    cols = _column_indices(est.periodic_columns, "periodic_columns", n_features)
    both = np.intersect1d(cols, codes)
    if both.size:
        raise ValueError(
            f"periodic_columns and embedding_columns share the columns "
            f"{both.tolist()}: a column holds either numbers (periodic "
            "features) or category codes (embeddings), not both."
        )
    return cols


def code_levels(X, columns, levels=None, declared=False):
    """The number of levels of each code column of X (its largest code plus
    one), checking that the codes are whole numbers from 0, or -1 for an
    unknown category (and, given ``levels``, below them: the fitted tables'
    sizes, or with ``declared`` those ``embedding_levels`` gives a first
    fit); a ValueError that names the column otherwise."""
    out = []
    for i, j in enumerate(columns):
        col = X[:, [j]]
        col = np.asarray(col.toarray() if hasattr(col, "toarray") else col).ravel()
        if col.size == 0:
            out.append(0 if levels is None else levels[i])
            continue
        bad = (col < -1) | (col != np.floor(col))
        if bad.any():
            raise ValueError(
                f"Column {j} of X is in embedding_columns, so it must hold "
                "category codes: whole numbers 0, 1, 2, ... (or -1 for an "
                "unknown category); it holds "
                f"{float(col[np.flatnonzero(bad)[0]])!r} (encode the column first, "
                "for example with sklearn.preprocessing.OrdinalEncoder)."
            )
        top = int(col.max())
        if levels is not None and top >= levels[i] and declared:
            raise ValueError(
                f"Column {j} of X holds the category code {top}, but "
                f"embedding_levels gives it {levels[i]} categories (codes 0 to "
                f"{levels[i] - 1}); raise embedding_levels, or give categories "
                "the network should not learn the code -1."
            )
        if levels is not None and top >= levels[i]:
            raise ValueError(
                f"Column {j} of X holds the category code {top}, but the network "
                f"was fitted with {levels[i]} levels there (codes 0 to "
                f"{levels[i] - 1}); the tables cannot grow after the first "
                "fit (partial_fit included): give unseen categories the code "
                "-1, or fit a new network (warm_start=False) with the number "
                "of every column's categories declared in embedding_levels."
            )
        out.append(max(top + 1, 1))
    return out if levels is None else list(levels)


def embedding_levels(est, codes):
    """``embedding_levels`` as one number per column of ``codes`` (the
    sorted code columns), or None when it is None or nothing is embedded
    (then it is only checked to be well formed: like scikit-learn's
    parameters of a part that is off, such as ``momentum`` under 'adam', it
    is ignored, so that a grid search may switch the embeddings off); a
    list pairs with ``embedding_columns`` in the order it lists them."""
    value = est.embedding_levels
    if value is None:
        return None
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return [int(value)] * codes.size if codes.size else None
    arr = np.asarray(value)
    if arr.ndim != 1 or arr.dtype.kind not in "iu" or (arr < 1).any():
        raise ValueError(
            "embedding_levels must be None, a whole number of categories of "
            "at least 1 for every embedded column, or one such number per "
            f"column of embedding_columns; got {value!r}."
        )
    if not codes.size:
        return None
    given = np.asarray(est.embedding_columns)
    if given.dtype == bool:
        given = np.flatnonzero(given)
    if arr.size != codes.size:
        raise ValueError(
            f"embedding_levels has {arr.size} entries for the {codes.size} "
            f"columns of embedding_columns={given.tolist()}; give one number "
            "of categories per column, in the order embedding_columns lists "
            "them."
        )
    by_column = dict(zip(given.astype(np.int64).tolist(), arr.tolist()))
    return [int(by_column[c]) for c in codes.tolist()]


def input_layers(est, X, fitted=None):
    """The engine's input layers for X: ``(n_features, n_frequencies,
    input_scale, columns, embed)``, ``columns`` the periodic ones (None:
    all) and ``embed`` None or ``(code columns, levels, embedding_dim)``;
    None when there are no input layers.  ``fitted``: the fitted network's
    (code columns, levels), which training on keeps (and checks X against)
    when the code columns are the same; otherwise the levels are those
    ``embedding_levels`` declares, or read off X (a change of the input
    layers that the caller's check then refuses)."""
    n_features = X.shape[1]
    k = int(est.n_frequencies)
    cols = periodic_columns(est, n_features)  # checked even when k is 0
    codes = embedding_columns(est, n_features)
    if not cols.size:
        k = 0  # no column to make periodic features of
    embed = None
    declared = embedding_levels(est, codes)  # checked even with no columns
    if codes.size:
        levels = None
        if fitted is not None and list(fitted[0]) == codes.tolist():
            levels = fitted[1]
            if declared is not None and list(declared) != list(levels):
                # name the first column that differs: the lists themselves are
                # in column order, which need not be the order the user gave
                i = next(i for i, (a, b) in enumerate(zip(declared, levels)) if a != b)
                raise ValueError(
                    f"embedding_levels={est.embedding_levels!r} asks for "
                    f"{declared[i]} categories in column {codes[i]} of X, but "
                    f"the fitted network's table there has {levels[i]}, and "
                    "the tables cannot change while training goes on "
                    "(warm_start, partial_fit). Fit a new network "
                    "(warm_start=False) to change them."
                )
        found = code_levels(X, codes, levels or declared, levels is None)
        embed = (tuple(codes.tolist()), tuple(found), int(est.embedding_dim))
    if not (k or est.input_scale or embed):
        return None
    columns = None if cols.size == n_features else tuple(cols.tolist())
    return (n_features, k, bool(est.input_scale), columns, embed)


def input_width(inputs, n_features):
    """The inputs of the first dense layer."""
    if inputs is None:
        return n_features
    _, k, _, columns, embed = inputs
    width = n_features + k * (n_features if columns is None else len(columns))
    if embed is not None:
        width += len(embed[0]) * (embed[2] - 1)
    return width


EMBEDDING_STD = 0.1  # spread of the starting category vectors


def initial_input_params(est, inputs, seed):
    """Starting values of the input layers, by engine name: scale 1 (the
    columns as they come), frequencies ``N(0, frequency_scale)``, phases
    uniform on ``[-pi, pi)`` and category vectors ``N(0, 0.1)``.  Drawn
    from their own generator (seeded from the fit's engine seed), so that
    ``input_scale`` leaves the draws of the weights, the validation split
    and the epochs' order unchanged (periodic features and embeddings
    change the first layer's width, so its weights are drawn differently)."""
    if inputs is None:
        return {}
    d, k, scale, columns, embed = inputs
    c = d if columns is None else len(columns)
    rs = np.random.RandomState(seed)
    out = {}
    if scale:
        out["scale"] = np.ones(input_width(inputs, d))
    if k:
        out["frequencies"] = rs.normal(0.0, est.frequency_scale, (c, k))
        out["phases"] = rs.uniform(-np.pi, np.pi, (c, k))
        out["columns"] = np.arange(d) if columns is None else np.array(columns)
    if embed is not None:
        codes, levels, dim = embed
        # small, so that Adam's steps (about the learning rate each, whatever
        # the scale) soon outweigh the random start of rarely seen levels
        out["embeddings"] = [rs.normal(0.0, EMBEDDING_STD, (n, dim)) for n in levels]
        out["embedding_columns"] = np.array(codes, dtype=np.int64)
    return out
