"""MLP estimators that take a table as it comes: numbers, categories, gaps.

``TabularMLPClassifier`` and ``TabularMLPRegressor`` put a fixed preprocessing
in front of an sknn MLP (``TabularPreprocessor``: median imputation with
missing-value indicators, robust scaling and smooth clipping of the numeric
columns, one-hot or compact encoding of the categorical ones), standardise a
regression target, train a few networks with a recipe tuned on real tables and
average their predictions. No torch here: the networks are the public
``MLPClassifier`` / ``MLPRegressor``.
"""

import datetime
import numbers
import warnings

import numpy as np
import scipy.sparse as sp
from sklearn.base import (
    BaseEstimator,
    ClassifierMixin,
    RegressorMixin,
    TransformerMixin,
    clone,
)
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import (
    check_array,
    check_is_fitted,
    column_or_1d,
    validate_data,
)

from ._classes import MLPClassifier, MLPRegressor
from ._engine.compat import Interval, StrOptions, _check_sample_weight
from ._params import CONSTRAINTS, LABEL_SMOOTHING, SCHEDULES, _column_indices

__all__ = ["TabularMLPClassifier", "TabularMLPRegressor", "TabularPreprocessor"]


def smooth_clip(x, scale=3.0):
    """Squash ``x`` smoothly into ``(-scale, scale)``: ``x / sqrt(1 + (x/scale)^2)``.

    Close to the identity for ``|x|`` much below ``scale``, odd, increasing,
    and bounded by ``scale``. ``scale=None`` returns ``x`` unchanged.
    """
    x = np.asarray(x, dtype=np.float64)
    if scale is None:
        return x
    return x / np.sqrt(1.0 + (x / scale) ** 2)


def _is_dataframe(X):
    return hasattr(X, "iloc") and hasattr(X, "dtypes") and hasattr(X, "columns")


def _is_polars(X):
    return type(X).__module__.startswith("polars") and hasattr(X, "get_column")


def _objects(values):
    """A 1-d object array of ``values`` (lists stay elements, not rows)."""
    out = np.empty(len(values), dtype=object)
    out[:] = list(values)
    return out


def _as_levels(values):
    """Numbers named in ``categorical_features`` as category values, from
    the column's own values (so that 64-bit ids stay apart); whole floats
    become ints, so that 3 and 3.0 are one level."""
    out = _objects(values)
    for i, v in enumerate(out):
        if isinstance(v, (float, np.floating)) and float(v).is_integer():
            out[i] = int(v)
    return out


_DAY_US = 86_400_000_000  # microseconds in a day


def _days(values):
    """datetime64 values as days since 1970-01-01 (timedelta64: as days),
    float64 with NaN for NaT: a date is a number, so that a model can put
    dates it has not seen between those it has (as levels it could not)."""
    kind = "datetime64" if values.dtype.kind == "M" else "timedelta64"
    days = values.astype(f"{kind}[us]").view(np.int64) / _DAY_US
    return np.where(np.isnat(values), np.nan, days)


def _frame_column(X, name, forced=False, dates=True):
    """Column ``name`` of a pandas or polars DataFrame: its values (float64
    with NaN where missing, or objects) and how it is read: 'number',
    'date' or 'duration' (numbers of days), or 'category' (``forced``:
    whatever its dtype).  Dates and durations are numbers of days unless
    ``dates=False`` (as models pickled before read them: categories); times
    of day (polars ``Time``) and objects holding dates are categories."""
    if _is_polars(X):
        import polars as pl

        col = X.get_column(name)
        numeric = col.dtype.is_numeric() or col.dtype == pl.Boolean
        if dates and not forced and col.dtype.is_temporal() and col.dtype != pl.Time:
            kind = "duration" if col.dtype == pl.Duration else "date"
            return _days(col.to_numpy()), kind  # time zones: in UTC
        if numeric and not forced:
            return col.cast(pl.Float64).to_numpy(), "number"
        return (_as_levels if numeric else _objects)(col.to_list()), "category"
    col = X[name]
    kind = getattr(col.dtype, "kind", "O")
    if dates and not forced and kind in "Mm":
        import pandas as pd

        if kind == "m":
            return _days(pd.to_timedelta(col).to_numpy()), "duration"
        # numpy or pyarrow-backed, with or without a time zone: in UTC
        utc = pd.to_datetime(col, utc=True).dt.tz_localize(None)
        return _days(utc.to_numpy()), "date"
    numeric = _is_numeric_dtype(col.dtype)
    if numeric and not forced:
        return col.to_numpy(dtype=np.float64, na_value=np.nan), "number"
    values = col.to_numpy(dtype=object)
    return (_as_levels(values) if numeric else values), "category"


def _is_numeric_dtype(dtype):
    # numpy and pandas extension dtypes both carry ``kind``: categories and
    # strings are 'O', nullable integers 'i', booleans 'b'.
    if str(dtype) == "category":
        return False
    if getattr(dtype, "kind", "O") in "biuf":
        return True
    # pyarrow decimals (money read with dtype_backend="pyarrow") are 'O' too;
    # polars reads its decimals as numbers
    arrow = getattr(dtype, "pyarrow_dtype", None)
    return arrow is not None and str(arrow).startswith("decimal")


def _forced_categorical(value, names, n_features):
    """The column indices ``categorical_features`` names ('from_dtype':
    none), or a ValueError that names the parameter."""
    if isinstance(value, str) and value == "from_dtype":
        return set()
    given = np.asarray(value)
    if given.ndim == 1 and given.size and given.dtype.kind in "OUS":
        if names is None:
            raise ValueError(
                f"categorical_features={value!r} names columns, but X has no "
                "column names (pass a DataFrame, or give column indices)."
            )
        position = {str(n): j for j, n in enumerate(names)}
        unknown = [str(c) for c in given if str(c) not in position]
        if unknown:
            raise ValueError(
                f"categorical_features names {unknown}, which are not columns "
                f"of X (its columns: {[str(n) for n in names]})."
            )
        if len(set(map(str, given))) != given.size:
            raise ValueError(f"categorical_features repeats a column: {value!r}.")
        return {position[str(c)] for c in given}
    forms = "'from_dtype', a boolean mask, or a list of column indices or names"
    cols = _column_indices(value, "categorical_features", n_features, forms)
    return set(cols.tolist())


def _unique_names(names):
    """``names`` with every repeat after the first given a suffix ``_1``,
    ``_2``, ... that no other name has (a level "nan" beside the missing
    values' ``<col>_nan``, column ``a`` level ``b_c`` beside column ``a_b``
    level ``c``): frames, polars' included, need distinct column names."""
    taken, out = set(names), []
    seen = set()
    for name in names:
        if name in seen:
            k = 1
            while f"{name}_{k}" in taken:
                k += 1
            name = f"{name}_{k}"
            taken.add(name)
        seen.add(name)
        out.append(name)
    return out


def _n_bits(n_levels):
    """Binary digits of the compact code of ``n_levels`` levels (and 0 for
    unseen ones)."""
    return int(np.ceil(np.log2(n_levels + 1)))


def _pd_index(keys):
    """An object-dtype pandas Index of the level keys (str), for hash
    lookups; object, so that pandas 3 does not make it a string dtype."""
    import pandas as pd

    return pd.Index(keys, dtype=object)


def _count_levels(keys):
    """The distinct keys (str), sorted, and how often each occurs: what
    ``np.unique(keys, return_counts=True)`` gives, by hashing instead of
    sorting every row (a million-row column: seconds less)."""
    import pandas as pd

    codes, uniques = pd.factorize(keys)
    counts = np.bincount(codes, minlength=len(uniques))
    uniques = np.asarray(uniques, dtype=object)
    order = np.argsort(uniques, kind="stable")
    return uniques[order], counts[order]


def _missing_mask(values):
    import pandas as pd

    return np.asarray(pd.isna(values), dtype=bool)


_MISSING = "\x00missing"  # the level of missing values, apart from any text

_STOPPED = (
    "Training interrupted by the user (KeyboardInterrupt): the ensemble keeps "
    "the {} of its n_ensemble={} networks trained so far."
)

# TabularPreprocessor's private fitted state
_STATE = ("_num", "_cat", "_dates_as_days", "_kinds", "_forced")


def _read_as(values, kind, fitted):
    """A column read as ``kind`` (see ``_frame_column``) read as the kind it
    had in fit, ``fitted``, when its values allow it: objects that are
    numbers or missing as numbers, objects that are dates or durations as
    days, numbers (missing ones included) as category levels.  Otherwise
    the column as it was read (``_encode_columns`` then names it)."""
    import pandas as pd

    missing = _missing_mask(values)
    if fitted == "category":
        if kind == "number":  # whole floats as ints, as numbers named in fit
            return _as_levels(values), "category"
        return values, kind
    if kind == "category":
        # objects of the fitted type only: text is not parsed ("1.5" or
        # "2024-03-01" in a column that was numbers or dates is an error)
        objects = np.asarray(values, dtype=object)
        present = objects[~missing]
        types = {
            "number": (numbers.Number, np.number, np.bool_),
            "date": (datetime.date, np.datetime64),
            "duration": (datetime.timedelta, np.timedelta64),
        }[fitted]
        if not all(isinstance(v, types) for v in present):
            return values, kind
        if fitted == "number":
            out = np.full(len(objects), np.nan)
            out[~missing] = [float(v) for v in present]
            return out, "number"
        series = pd.Series(objects.tolist(), dtype=object)
        if fitted == "date":
            dates = pd.to_datetime(series, utc=True)
            return _days(dates.dt.tz_localize(None).to_numpy()), "date"
        return _days(pd.to_timedelta(series).to_numpy()), "duration"
    if kind == "number" and missing.all():  # no value to say otherwise
        return np.full(len(values), np.nan), fitted
    return values, kind


class TabularPreprocessor(TransformerMixin, BaseEstimator):
    """Turn a mixed-type table into a dense float matrix for an MLP.

    Numeric columns: a missing-value indicator for every column that has gaps
    in the training data, median imputation, robust scaling
    ``(x - median) / IQR`` and smooth clipping ``x / sqrt(1 + (x / c)^2)``
    with ``c = clip``. Where the interquartile range is zero, the scale falls
    back to half the 5-95 % range, then to half the range, then to 1. Categorical
    columns (pandas ``category``, strings, objects) with at most
    ``max_onehot`` levels, missing counted as a level, are one-hot encoded;
    columns with more levels get the log-frequency of the level (a
    standardised column) and, with ``high_cardinality='compact'``, the bits
    of its index (``ceil(log2(levels + 1))`` columns; levels unseen in
    training get all-zero bits) or, with ``'codes'``, one column of integer
    codes for a network's ``embedding_columns`` (``code_columns_``): 0, 1,
    ... for the levels seen in training, -1 for the others (which the
    network reads as a zero vector). Date, datetime and duration columns
    (pandas ``datetime64``, time zones read in UTC, and ``timedelta64``;
    polars ``Date``, ``Datetime``, ``Duration``) are numeric: days since
    1970-01-01, or days. A numpy array is read as all-numeric.

    Parameters
    ----------
    max_onehot : int, default=255
        Largest number of levels (missing included) that a categorical column
        may have to be one-hot encoded.

    clip : float or None, default=3.0
        Scale ``c`` of the smooth clipping of robust-scaled numeric columns;
        None leaves them unclipped.

    high_cardinality : {'compact', 'codes'}, default='compact'
        How columns with more than ``max_onehot`` levels are encoded, beside
        their log-frequency: binary digits of the level's index, or a
        column of category codes to embed.

    categorical_features : 'from_dtype' or array-like, default='from_dtype'
        Which columns are categorical. 'from_dtype': those whose dtype is
        not numeric (category, string, object). Column indices, names (of a
        DataFrame's columns) or a boolean mask add columns of numbers, such
        as integer ids or codes, to those: their distinct values become the
        levels.

    Attributes
    ----------
    n_features_in_ : int
        Number of columns seen during fit.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Column names, when X is a DataFrame with string column names.

    numeric_columns_ : list of int
        Positions of the columns treated as numeric.

    categorical_columns_ : list of int
        Positions of the columns treated as categorical.

    n_features_out_ : int
        Number of columns of the transformed matrix.

    continuous_columns_ : ndarray of int
        Columns of the transformed matrix that hold a scaled numeric column
        with more than two distinct values in training (the ones periodic
        features are worth making of).

    code_columns_ : ndarray of int
        Columns of the transformed matrix that hold category codes (empty
        unless ``high_cardinality='codes'`` and a column has more than
        ``max_onehot`` levels).

    See Also
    --------
    TabularMLPClassifier : This encoding and an ensemble of networks.
    TabularMLPRegressor : The same for regression.

    Examples
    --------
    >>> import numpy as np
    >>> from sknn import TabularPreprocessor
    >>> X = np.array([[1.0, 0.0], [2.0, np.nan], [3.0, 10.0], [4.0, 20.0]])
    >>> pre = TabularPreprocessor().fit(X)
    >>> pre.transform(X).shape
    (4, 3)
    >>> pre.get_feature_names_out().tolist()
    ['x0', 'x1', 'missingindicator_x1']
    """

    _parameter_constraints = {
        "max_onehot": [Interval(numbers.Integral, 1, None, closed="left")],
        "clip": [Interval(numbers.Real, 0, None, closed="neither"), None],
        "high_cardinality": [StrOptions({"compact", "codes"})],
        "categorical_features": [StrOptions({"from_dtype"}), "array-like"],
    }

    def __init__(
        self,
        max_onehot=255,
        clip=3.0,
        high_cardinality="compact",
        categorical_features="from_dtype",
    ):
        self.max_onehot = max_onehot
        self.clip = clip
        self.high_cardinality = high_cardinality
        self.categorical_features = categorical_features

    def _columns(self, X, reset, owner=None):
        """X as a list of 1-d arrays and how each column is read: 'number',
        'date', 'duration' or 'category' (see ``_frame_column``).

        ``owner`` is the estimator this preprocessor works for, if any: its
        name is the one errors and warnings give, and after fit (``reset``
        False) X is checked against its ``n_features_in_`` and
        ``feature_names_in_``, which are this preprocessor's."""
        owner = self if owner is None else owner
        # validate_data sets n_features_in_ and feature_names_in_ when reset:
        # on this preprocessor, never on a fitted owner that a failing fit
        # must leave as it was
        checked = self if reset else owner
        if _is_dataframe(X) or _is_polars(X):
            validate_data(checked, X, skip_check_array=True, reset=reset)
            for size, what in zip(X.shape, ("sample(s)", "feature(s)")):
                if size == 0:  # the message check_array gives an array
                    raise ValueError(
                        f"Found array with 0 {what} (shape={tuple(X.shape)}) "
                        f"while a minimum of 1 is required by {type(owner).__name__}."
                    )
            names = list(X.columns)
            forced = self._forced_columns(names, len(names), reset)
            cols, kinds = [], []
            for j, name in enumerate(names):
                values, kind = _frame_column(
                    X, name, j in forced, getattr(self, "_dates_as_days", True)
                )
                if not reset and kind != self._kinds[j]:
                    # a column whose dtype says less than the values do (a
                    # row taken out of a frame is all objects; a batch with
                    # only missing values in a column is float or Null) is
                    # read as in fit when its values allow it
                    values, kind = _read_as(values, kind, self._kinds[j])
                if kind != "category" and np.isinf(values).any():
                    raise ValueError(f"Input column {name!r} contains infinity.")
                cols.append(values)
                kinds.append(kind)
            return cols, kinds
        X = check_array(
            X, dtype=np.float64, ensure_all_finite="allow-nan", estimator=owner
        )
        validate_data(checked, X, skip_check_array=True, reset=reset)
        forced = self._forced_columns(None, X.shape[1], reset)
        cols = [
            _as_levels(X[:, j]) if j in forced else X[:, j] for j in range(X.shape[1])
        ]
        return cols, ["category" if j in forced else "number" for j in range(len(cols))]

    def _forced_columns(self, names, n_features, reset):
        """The columns read as categories whatever their dtype: those
        ``categorical_features`` named at fit (kept, so that a model fitted
        with column names reads a numpy array too, and ``set_params`` after
        fit does not change what it reads)."""
        if reset or not hasattr(self, "_forced"):  # a pickle from before: anew
            forced = _forced_categorical(self.categorical_features, names, n_features)
            if reset:
                self._forced = sorted(forced)
            return forced
        return set(self._forced)

    def fit(self, X, y=None):
        """Learn the medians, scales and category levels of X.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            The table.

        y : None
            Ignored.

        Returns
        -------
        self : TabularPreprocessor
            The fitted transformer.
        """
        self._fit_atomic(X)
        return self

    def fit_transform(self, X, y=None):
        """Fit to X and encode it, reading X once.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            The table.

        y : None
            Ignored.

        Returns
        -------
        Xt : ndarray of shape (n_samples, `n_features_out_`)
            The encoded table, as :meth:`transform` gives it.
        """
        return self._fit_atomic(X)

    def _fit_atomic(self, X):
        """Fit a fresh copy and take its state over only when that fit
        succeeds, so that a failed refit leaves the fitted state as it was;
        returns the encoded X."""
        self._validate_params()
        fitted = clone(self)
        Xt = fitted._fit(X)
        for name in [k for k in vars(self) if k.endswith("_") or k in _STATE]:
            delattr(self, name)
        vars(self).update(vars(fitted))
        return Xt

    def _fit(self, X, owner=None):
        """Fit to X (see ``_columns`` for ``owner``); returns the encoded
        X."""
        self._dates_as_days = True
        cols, self._kinds = self._columns(X, reset=True, owner=owner)
        is_cat = [kind == "category" for kind in self._kinds]
        self.numeric_columns_ = [j for j, c in enumerate(is_cat) if not c]
        self.categorical_columns_ = [j for j, c in enumerate(is_cat) if c]
        self._num = []  # (median, scale, has_indicator) per numeric column
        for j in self.numeric_columns_:
            v = cols[j]
            miss = np.isnan(v)
            seen = v[~miss]
            if seen.size == 0:
                self._num.append((0.0, 1.0, bool(miss.any())))
                continue
            q05, q25, q50, q75, q95 = np.quantile(seen, [0.05, 0.25, 0.5, 0.75, 0.95])
            scale = q75 - q25
            if scale <= 0:
                scale = (q95 - q05) / 2.0
            if scale <= 0:
                scale = (seen.max() - seen.min()) / 2.0
            if not scale > 0:
                scale = 1.0
            self._num.append((float(q50), float(scale), bool(miss.any())))
        continuous, pos = [], 0
        for j, (_, _, indicator) in zip(self.numeric_columns_, self._num):
            if np.unique(cols[j][~np.isnan(cols[j])][:10000]).size > 2:
                continuous.append(pos)
            pos += 1 + indicator
        self.continuous_columns_ = np.array(continuous, dtype=np.int64)
        self._cat = []  # (level -> index dict, onehot?, log-frequency table)
        for j in self.categorical_columns_:
            levels, counts = _count_levels(self._cat_keys(cols[j]))
            mapping = {lev: i for i, lev in enumerate(levels.tolist())}
            logf = np.log(counts / counts.sum())
            onehot = len(levels) <= self.max_onehot
            self._cat.append((mapping, onehot, logf))
        # the columns as read above: X is not read a second time
        Xt, self.code_columns_ = self._encode_columns(cols, self._kinds)
        self.n_features_out_ = Xt.shape[1]
        return Xt

    @staticmethod
    def _cat_keys(values):
        keys = np.array([str(v) for v in values], dtype=object)
        keys[_missing_mask(values)] = _MISSING
        return keys

    def transform(self, X):
        """Encode X into a dense float64 matrix.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            The table, with the columns seen in fit.

        Returns
        -------
        Xt : ndarray of shape (n_samples, `n_features_out_`)
            The encoded table (a DataFrame after ``set_output``, with the
            columns :meth:`get_feature_names_out` names).
        """
        check_is_fitted(self, "_num")
        return self._encode(X)[0]

    def get_feature_names_out(self, input_features=None):
        """Names of the columns of the transformed matrix.

        A numeric column keeps its name, and its missing-value indicator is
        ``missingindicator_<name>``; a one-hot column is ``<name>_<level>``
        (``<name>_nan`` for missing); a column of many levels gives
        ``<name>_frequency`` and ``<name>_code`` or ``<name>_bit0``, ...
        (``high_cardinality``). A name that would repeat another (a level
        ``"nan"`` beside the missing values, say) gets a suffix ``_1``,
        ``_2``, ..., so the names are distinct.

        Parameters
        ----------
        input_features : array-like of str, default=None
            Names of the input columns; None: ``feature_names_in_``, or
            ``x0``, ``x1``, ... when X had no column names.

        Returns
        -------
        feature_names_out : ndarray of str objects
            One name per column of :meth:`transform`'s output.
        """
        check_is_fitted(self, "_num")
        names = self._input_names(input_features)
        out = []
        for j, (_, _, indicator) in zip(self.numeric_columns_, self._num):
            out.append(names[j])
            if indicator:
                out.append(f"missingindicator_{names[j]}")
        for j, (mapping, onehot, _) in zip(self.categorical_columns_, self._cat):
            if onehot:
                out += [
                    f"{names[j]}_{'nan' if key == _MISSING else key}" for key in mapping
                ]
                continue
            out.append(f"{names[j]}_frequency")
            if self.high_cardinality == "codes":
                out.append(f"{names[j]}_code")
            else:
                n_bits = _n_bits(len(mapping))
                out += [f"{names[j]}_bit{b}" for b in range(n_bits)]
        return np.asarray(_unique_names(out), dtype=object)

    def _input_names(self, input_features):
        fitted = getattr(self, "feature_names_in_", None)
        if input_features is None:
            if fitted is not None:
                return [str(n) for n in fitted]
            return [f"x{j}" for j in range(self.n_features_in_)]
        given = np.asarray(input_features, dtype=object)
        if given.ndim != 1:
            raise ValueError(
                f"input_features must be a 1-d list of column names; got an "
                f"array of shape {given.shape}."
            )
        if given.size != self.n_features_in_:
            raise ValueError(
                f"input_features should have length equal to number of features "
                f"({self.n_features_in_}), got {given.size}."
            )
        if fitted is not None and not np.array_equal(given, fitted):
            raise ValueError(
                f"input_features is not equal to feature_names_in_: got "
                f"{given.tolist()}, fitted with {list(fitted)}."
            )
        return [str(n) for n in given]

    def _encode(self, X, owner=None):
        """The encoded matrix and the positions of its code columns (see
        ``_columns`` for ``owner``)."""
        return self._encode_columns(*self._columns(X, reset=False, owner=owner))

    def _encode_columns(self, cols, kinds):
        """``_encode`` of X read as ``cols`` and ``kinds`` (``_columns``)."""
        fitted = self._kinds
        changed = [j for j, (a, b) in enumerate(zip(fitted, kinds)) if a != b]
        if changed:
            j = changed[0]
            read = {"number": "numbers", "category": "categories"}
            raise ValueError(
                f"Column {self._input_names(None)[j]!r} of X was read as "
                f"{read.get(fitted[j], fitted[j] + 's')} in fit and as "
                f"{read.get(kinds[j], kinds[j] + 's')} now: give the column "
                "the type it had in fit."
            )
        n = len(cols[0]) if cols else 0
        codes = self.high_cardinality == "codes"
        # one output matrix, filled block by block (a column at a time is
        # much faster than stacking blocks: a million-row table is copied
        # once, not twice, and no block's zeros are written twice)
        widths = [1 + indicator for _, _, indicator in self._num]
        for mapping, onehot, _ in self._cat:
            if onehot:
                widths.append(len(mapping))
            else:
                widths.append(2 if codes else 1 + _n_bits(len(mapping)))
        out = np.empty((n, sum(widths)))
        code_columns, width = [], 0
        for j, (median, scale, indicator) in zip(self.numeric_columns_, self._num):
            v = cols[j]
            miss = np.isnan(v)
            x = smooth_clip((np.where(miss, median, v) - median) / scale, self.clip)
            out[:, width] = x
            if indicator:
                out[:, width + 1] = miss
            width += 1 + indicator
        for j, (mapping, onehot, logf) in zip(self.categorical_columns_, self._cat):
            keys = self._cat_keys(cols[j])
            # the level's index, -1 for a level fit did not see (as
            # mapping.get(key, -1), by a hash table instead of a loop)
            levels = _pd_index(list(mapping))
            idx = levels.get_indexer(keys).astype(np.int64)
            known = idx >= 0
            if onehot:
                block = out[:, width : width + len(mapping)]
                block[...] = 0.0
                block[np.flatnonzero(known), idx[known]] = 1.0
                width += len(mapping)
                continue
            freq = np.where(known, logf[np.maximum(idx, 0)], logf.min() - 1.0)
            out[:, width] = (freq - logf.mean()) / (logf.std() + 1.0)
            if codes:  # the level's index; -1 (a zero vector): unseen
                code_columns.append(width + 1)
                out[:, width + 1] = idx
                width += 2
                continue
            n_bits = _n_bits(len(mapping))
            code = np.where(known, idx + 1, 0)  # 0: unseen
            out[:, width + 1 : width + 1 + n_bits] = (
                code[:, None] >> np.arange(n_bits)
            ) & 1
            width += 1 + n_bits
        return out, np.array(code_columns, dtype=np.int64)

    def __setstate__(self, state):
        # pickled before category codes existed: the compact code, always
        state.setdefault("high_cardinality", "compact")
        state.setdefault("categorical_features", "from_dtype")
        if "_num" in state:
            state.setdefault("code_columns_", np.zeros(0, dtype=np.int64))
            # fitted before dates were numbers: its date columns are levels
            state.setdefault("_dates_as_days", False)
            # and before the kinds were kept: numbers or categories
            cats = set(state["categorical_columns_"])
            state.setdefault(
                "_kinds",
                [
                    "category" if j in cats else "number"
                    for j in range(state["n_features_in_"])
                ],
            )
        super().__setstate__(state)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.categorical = True
        return tags


_TABULAR_PARAMS = """\
    hidden_layer_sizes : array-like of shape (n_layers,), default=(384,)
        Units of every hidden layer of each network. The default, one wide
        layer (with the defaults' two networks and 40 epochs), was as
        accurate on the benchmark's tuning tables as three networks of
        three layers of 256 trained for 60 epochs, in about a sixth of the
        time: the learned periodic features already give each column a
        non-linear shape of its own.

    activation : str, default='relu'
        Activation of the hidden layers (any of ``MLPClassifier``'s).

    dropout : float, default=0.15
        Dropout of every hidden layer.

    alpha : float, default=0.02
        Decoupled weight decay of 'adamw' (each step shrinks the weights by
        ``learning_rate_init * alpha``), or the L2 penalty of other solvers.

    solver : str, default='adamw'
        Optimizer of each network (any of ``MLPClassifier``'s but 'lbfgs').

    learning_rate : {'decay', 'constant', 'invscaling', 'adaptive', \
'cosine', 'coslog'}, default='cosine'
        Learning-rate schedule (see ``MLPClassifier``): 'cosine' anneals the
        rate along half a cosine towards 0 at ``max_iter``; 'decay' lowers it
        geometrically so that epoch ``max_iter`` runs at 1/100 of the start;
        'coslog' swings it 4 times between the start and 1/100 of it on a
        logarithmic scale.

    learning_rate_init : float, default=0.002
        Initial learning rate.

    beta_2 : float, default=0.95
        Decay of Adam's second-moment estimate.

    batch_size : int, default=128
        Minibatch size (capped at the number of training samples).

    max_iter : int, default=40
        Largest number of epochs; also sets the pace of the 'decay',
        'cosine' and 'coslog' schedules.

    early_stopping : bool, default=True
        Hold out ``validation_fraction`` of the training data, score every
        epoch on it, stop after ``n_iter_no_change`` epochs without
        improvement and restore the best epoch's weights. Each network of
        the ensemble draws its own split.

    validation_fraction : float, default=0.15
        Share of the training data held out for early stopping.

    n_iter_no_change : int, default=40
        Patience of early stopping, in epochs. The default, equal to
        ``max_iter``, runs the whole cosine schedule (its last, small steps
        included) and keeps the best epoch; a smaller value saves time.

    n_ensemble : int, default=2
        Number of networks trained with different seeds (and validation
        splits) whose predictions are averaged.

    max_onehot : int, default=255
        Categorical columns with at most this many levels (missing counted
        as one) are one-hot encoded, others get learned vectors (see
        ``embedding_dim``). 255 is the most levels
        ``HistGradientBoosting*`` treats natively.

    categorical_features : 'from_dtype' or array-like, default='from_dtype'
        Which columns are categorical. 'from_dtype': those whose dtype is
        not numeric (category, string, object; ``HistGradientBoosting*``
        takes category columns only). Column indices, names
        or a boolean mask add columns of numbers, such as integer ids or
        codes, to those: their distinct values become the levels.

    clip : float or None, default=3.0
        Scale of the smooth clipping of robust-scaled numeric columns.

    embedding_dim : int or None, default=128
        Each categorical column of more than ``max_onehot`` levels gets a
        learned vector of this length per level, and its log-frequency
        stays a column of its own (the networks' ``embedding_columns`` are
        the ``code_columns_`` of
        ``TabularPreprocessor(high_cardinality='codes')``); levels unseen in
        training get a zero vector. 128 was the most accurate of 4 to 128
        on the benchmark's tuning tables with such columns; there and on
        the held-out ones the vectors had 24 % and 13 % less error than
        the compact code. None: the compact code (see
        :class:`TabularPreprocessor`).

    n_frequencies : int, default=8
        Learned periodic features per continuous numeric column (the
        ``n_frequencies`` of ``MLPClassifier``, given the columns with more
        than two distinct values as ``periodic_columns``).

    frequency_scale : float, default=0.2
        Spread of the starting frequencies, in cycles per robust-scaled unit.

    input_scale : bool, default=True
        Learn a factor per input column of the first layer (the networks'
        ``input_scale``).

    random_state : int, RandomState instance or None, default=None
        Seeds the networks (an int gives identical fits on the CPU).

    device : str, default='auto'
        Where the networks train ('auto', 'cpu', 'cuda', 'cuda:N').

    precision : {'float32', 'float64', 'bfloat16', 'float16', 'auto'}, \
default='float32'
        Floating-point precision of the networks' training (see
        ``MLPClassifier``). float32 is ample for a table and about twice as
        fast as float64 on a CPU ('auto' would follow the encoded table,
        which is float64); 'bfloat16' runs the matrix products in bfloat16,
        which pays off on CPUs with native bfloat16 instructions
        (AVX512-BF16, AMX) and on GPUs.

    n_threads : int, default=None
        The most torch threads each network's fit and prediction uses
        (see ``MLPClassifier``); None lets sknn choose.

    verbose : bool, default=False
        Print the networks' epochs."""

_TABULAR_ATTRS = """\
    preprocessor_ : TabularPreprocessor
        The fitted preprocessing.

    estimators_ : list of MLP estimators
        The fitted networks.

    n_iter_ : int
        Largest number of epochs any network ran.

    n_features_in_ : int
        Number of columns seen during fit.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Column names, when X is a DataFrame with string column names."""


def _predict_in_float64(net):
    """The network with its weights cast up, exactly, to float64: it trained
    in ``precision`` (float32 by default) but predicts in float64, so that a
    row's prediction does not depend on the rows it comes with (float32
    matrix products round differently with the batch's size)."""
    net.coefs_ = [w.astype(np.float64) for w in net.coefs_]
    net.intercepts_ = [b.astype(np.float64) for b in net.intercepts_]
    for name in ("frequencies_", "phases_", "input_scale_"):
        if getattr(net, name, None) is not None:
            setattr(net, name, getattr(net, name).astype(np.float64))
    if getattr(net, "embeddings_", None) is not None:
        net.embeddings_ = [t.astype(np.float64) for t in net.embeddings_]
    return net


class _TabularBase(BaseEstimator):
    _parameter_constraints = {
        "hidden_layer_sizes": [
            "array-like",
            Interval(numbers.Integral, 1, None, closed="left"),
        ],
        "activation": CONSTRAINTS["activation"],
        "dropout": [Interval(numbers.Real, 0, 1, closed="left")],
        "alpha": [Interval(numbers.Real, 0, None, closed="left")],
        "solver": [StrOptions({"adam", "sgd", "adamw", "rmsprop", "adagrad"})],
        "learning_rate": [StrOptions(set(SCHEDULES))],
        "learning_rate_init": [Interval(numbers.Real, 0, None, closed="neither")],
        "beta_2": [Interval(numbers.Real, 0, 1, closed="left")],
        "batch_size": [Interval(numbers.Integral, 1, None, closed="left")],
        "max_iter": [Interval(numbers.Integral, 1, None, closed="left")],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(numbers.Real, 0, 1, closed="neither")],
        "n_iter_no_change": [Interval(numbers.Integral, 1, None, closed="left")],
        "n_ensemble": [Interval(numbers.Integral, 1, None, closed="left")],
        "max_onehot": [Interval(numbers.Integral, 1, None, closed="left")],
        "categorical_features": [StrOptions({"from_dtype"}), "array-like"],
        "clip": [Interval(numbers.Real, 0, None, closed="neither"), None],
        "embedding_dim": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "n_frequencies": [Interval(numbers.Integral, 0, None, closed="left")],
        "frequency_scale": [Interval(numbers.Real, 0, None, closed="neither")],
        "input_scale": ["boolean"],
        "random_state": ["random_state"],
        "device": [str],
        "precision": CONSTRAINTS["precision"],
        "n_threads": CONSTRAINTS["n_threads"],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        hidden_layer_sizes=(384,),
        activation="relu",
        *,
        dropout=0.15,
        alpha=0.02,
        solver="adamw",
        learning_rate="cosine",
        learning_rate_init=0.002,
        beta_2=0.95,
        batch_size=128,
        max_iter=40,
        early_stopping=True,
        validation_fraction=0.15,
        n_iter_no_change=40,
        n_ensemble=2,
        max_onehot=255,
        categorical_features="from_dtype",
        clip=3.0,
        embedding_dim=128,
        n_frequencies=8,
        frequency_scale=0.2,
        input_scale=True,
        random_state=None,
        device="auto",
        precision="float32",
        n_threads=None,
        verbose=False,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.dropout = dropout
        self.alpha = alpha
        self.solver = solver
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.beta_2 = beta_2
        self.batch_size = batch_size
        self.max_iter = max_iter
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.n_ensemble = n_ensemble
        self.max_onehot = max_onehot
        self.categorical_features = categorical_features
        self.clip = clip
        self.embedding_dim = embedding_dim
        self.n_frequencies = n_frequencies
        self.frequency_scale = frequency_scale
        self.input_scale = input_scale
        self.random_state = random_state
        self.device = device
        self.precision = precision
        self.n_threads = n_threads
        self.verbose = verbose

    # the networks' parameters that take this estimator's value as it is
    _network_params = (
        "hidden_layer_sizes",
        "activation",
        "solver",
        "alpha",
        "learning_rate",
        "learning_rate_init",
        "max_iter",
        "verbose",
        "validation_fraction",
        "n_iter_no_change",
        "beta_2",
        "dropout",
        "device",
        "precision",
        "n_threads",
        "n_frequencies",
        "frequency_scale",
        "input_scale",
    )

    def _network(self, pre, n_samples, seed, y):
        codes = pre.code_columns_
        net = self._mlp_class(
            **{name: getattr(self, name) for name in self._network_params},
            periodic_columns=pre.continuous_columns_,
            embedding_columns=codes if codes.size else None,
            embedding_dim=self.embedding_dim or 128,
            random_state=seed,
            early_stopping=self._can_stop_early(n_samples, y),
        )
        # capped at the rows the network trains on (those left after the
        # validation split), so that a small table gets no clipping warning
        net.batch_size = min(self.batch_size, self._n_train(n_samples, net))
        # with a patience as long as the run, every epoch runs by design (and
        # the best one is kept where a validation split can be held out):
        # reaching max_iter is then no sign of trouble
        net._warn_at_max_iter = not (
            self.early_stopping and self.n_iter_no_change >= self.max_iter
        )
        return net

    def __setstate__(self, state):
        # pickled before embeddings existed: fitted with the compact code
        state.setdefault("embedding_dim", None)
        state.setdefault("categorical_features", "from_dtype")
        super().__setstate__(state)

    def _n_val(self, n_samples):
        # the validation rows train_test_split holds out: ceil(fraction * n)
        return int(np.ceil(self.validation_fraction * n_samples))

    def _n_train(self, n_samples, net):
        return n_samples - (self._n_val(n_samples) if net.early_stopping else 0)

    def _can_stop_early(self, n_samples, y):
        # too small a validation set (fewer than the 2 rows a network's early
        # stopping needs) cannot be split off: train on all of it
        return self.early_stopping and n_samples >= 20 and self._n_val(n_samples) >= 2

    def _fit_networks(self, X, y, sample_weight, **fitted):
        """Fit the preprocessor and the networks, then set them (and
        ``fitted``, more attributes) together: a fit that fails leaves the
        fitted model as it was."""
        rng = check_random_state(self.random_state)
        pre = TabularPreprocessor(
            max_onehot=self.max_onehot,
            categorical_features=self.categorical_features,
            clip=self.clip,
            high_cardinality="compact" if self.embedding_dim is None else "codes",
        )
        # the networks read arrays, whatever set_config(transform_output=...)
        # asks of transformers: _fit gives one, and preprocessor_.transform
        # keeps to it
        pre.set_output(transform="default")
        pre._validate_params()
        Xt = pre._fit(X, owner=self)  # pre is fresh: nothing to keep if it fails
        if sample_weight is not None:
            sample_weight = _check_sample_weight(sample_weight, Xt)
        seeds = rng.randint(np.iinfo(np.int32).max, size=self.n_ensemble)
        nets = []
        for seed in seeds:
            net = self._network(pre, Xt.shape[0], int(seed), y)
            try:
                net.fit(Xt, y, sample_weight=sample_weight)
            except KeyboardInterrupt:
                # a Ctrl-C the network could not absorb (outside its epochs):
                # the networks trained so far are the model, if there are any
                if not nets:
                    raise
                warnings.warn(_STOPPED.format(len(nets), self.n_ensemble), UserWarning)
                break
            nets.append(_predict_in_float64(net))
            if net._stopped_by_user:  # it warned, and kept its weights
                if len(nets) < self.n_ensemble:
                    warnings.warn(
                        _STOPPED.format(len(nets), self.n_ensemble), UserWarning
                    )
                break
        fitted.update(
            preprocessor_=pre,
            n_features_in_=pre.n_features_in_,
            estimators_=nets,
            n_iter_=max(net.n_iter_ for net in nets),
        )
        if hasattr(pre, "feature_names_in_"):
            fitted["feature_names_in_"] = pre.feature_names_in_
        elif hasattr(self, "feature_names_in_"):
            del self.feature_names_in_
        for name, value in fitted.items():
            setattr(self, name, value)
        return self

    @staticmethod
    def _check_y(y):
        if y is None:
            raise ValueError("requires y to be passed, but the target y is None")
        if sp.issparse(y):  # a sparse label indicator matrix: the networks'
            return y
        if getattr(y, "ndim", 1) == 2 and (_is_dataframe(y) or _is_polars(y)):
            # a frame of labels or targets: its nullable and pyarrow columns
            # as numbers (np.asarray would make them objects)
            y = check_array(y, dtype=None, ensure_all_finite=False, input_name="y")
        y = np.asarray(y)
        if np.iscomplexobj(y):
            raise ValueError("Complex data not supported: y has complex values.")
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        return y

    def _transform(self, X):
        check_is_fitted(self, "estimators_")
        # an array, whatever set_output or transform_output asks of transform
        return self.preprocessor_._encode(X, owner=self)[0]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.categorical = True
        tags.non_deterministic = False
        return tags


class TabularMLPClassifier(ClassifierMixin, _TabularBase):
    __doc__ = f"""MLP classifier for tables: mixed dtypes and missing values.

    Takes a pandas or polars DataFrame as it comes (numeric, category,
    string and object columns, missing values anywhere) or a numeric array,
    encodes it with
    :class:`TabularPreprocessor` and trains ``n_ensemble``
    :class:`MLPClassifier` networks whose class probabilities are averaged.
    The defaults are a recipe tuned on the "tuning" tables of
    ``benchmarks/bench_tabular.py``.

    Parameters
    ----------
{_TABULAR_PARAMS}

    label_smoothing : float, default=0.1
        Label smoothing ``eps`` in [0, 1) of every network's training
        targets (see ``MLPClassifier``): one-hot targets become
        ``(1 - eps) * onehot + eps / n_classes``, or ``(1 - eps) * y + eps /
        2`` for two classes. A regulariser against over-confident
        probabilities; early stopping still scores the true labels.

    class_weight : dict, 'balanced' or None, default=None
        Weights of the classes in every network's loss, multiplying
        ``sample_weight`` (see ``MLPClassifier``); 'balanced' weighs each
        class by ``n_samples / (n_classes * count)``. Not supported with a
        multilabel indicator y (use ``sample_weight``).

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels (``arange(n_labels)`` for multilabel y).

{_TABULAR_ATTRS}

    See Also
    --------
    TabularMLPRegressor : The same for regression.
    MLPClassifier : The network, for numeric arrays you prepare yourself.

    Examples
    --------
    A DataFrame with a skewed numeric column, gaps and a string column
    goes in as it is:

    >>> import numpy as np
    >>> import pandas as pd
    >>> from sknn import TabularMLPClassifier
    >>> rng = np.random.RandomState(0)
    >>> df = pd.DataFrame()
    >>> df["income"] = rng.lognormal(10, 1, size=200)
    >>> df["plan"] = rng.choice(["basic", "plus", "pro"], size=200)
    >>> df.loc[::7, "income"] = np.nan
    >>> y = df["plan"].eq("pro") | (df["income"] > 30_000)
    >>> clf = TabularMLPClassifier(n_ensemble=1, max_iter=20, random_state=0)
    >>> clf.fit(df, y).predict(df.head(3)).shape
    (3,)
    >>> clf.preprocessor_.get_feature_names_out().tolist()
    ['income', 'missingindicator_income', 'plan_basic', 'plan_plus', 'plan_pro']
    """

    _mlp_class = MLPClassifier
    _network_params = (
        *_TabularBase._network_params,
        "label_smoothing",
        "class_weight",
    )

    _parameter_constraints = {
        **_TabularBase._parameter_constraints,
        "label_smoothing": LABEL_SMOOTHING,
        "class_weight": [dict, StrOptions({"balanced"}), None],
    }

    def __init__(
        self,
        hidden_layer_sizes=(384,),
        activation="relu",
        *,
        dropout=0.15,
        alpha=0.02,
        solver="adamw",
        learning_rate="cosine",
        learning_rate_init=0.002,
        beta_2=0.95,
        batch_size=128,
        max_iter=40,
        early_stopping=True,
        validation_fraction=0.15,
        n_iter_no_change=40,
        n_ensemble=2,
        max_onehot=255,
        categorical_features="from_dtype",
        clip=3.0,
        embedding_dim=128,
        n_frequencies=8,
        frequency_scale=0.2,
        input_scale=True,
        random_state=None,
        device="auto",
        precision="float32",
        n_threads=None,
        verbose=False,
        label_smoothing=0.1,
        class_weight=None,
    ):
        super().__init__(
            hidden_layer_sizes=hidden_layer_sizes,
            activation=activation,
            dropout=dropout,
            alpha=alpha,
            solver=solver,
            learning_rate=learning_rate,
            learning_rate_init=learning_rate_init,
            beta_2=beta_2,
            batch_size=batch_size,
            max_iter=max_iter,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            n_iter_no_change=n_iter_no_change,
            n_ensemble=n_ensemble,
            max_onehot=max_onehot,
            categorical_features=categorical_features,
            clip=clip,
            embedding_dim=embedding_dim,
            n_frequencies=n_frequencies,
            frequency_scale=frequency_scale,
            input_scale=input_scale,
            random_state=random_state,
            device=device,
            precision=precision,
            n_threads=n_threads,
            verbose=verbose,
        )
        self.label_smoothing = label_smoothing
        self.class_weight = class_weight

    def _can_stop_early(self, n_samples, y):
        if y.ndim == 2:  # multilabel: the split is not stratified
            return super()._can_stop_early(n_samples, y)
        # the stratified split needs two samples of every class and a
        # validation set with room for every class
        _, counts = np.unique(y, return_counts=True)
        n_val = self._n_val(n_samples)
        return (
            super()._can_stop_early(n_samples, y)
            and counts.min() >= 2
            and n_val >= len(counts)
            and n_samples - n_val >= len(counts)
        )

    def fit(self, X, y, sample_weight=None):
        """Fit the networks to a table.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            The table.

        y : array-like of shape (n_samples,) or (n_samples, n_labels)
            Class labels, or a label indicator matrix (dense or sparse) for
            multilabel classification: each network then has one sigmoid
            output per label.

        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the samples, passed to every network.

        Returns
        -------
        self : TabularMLPClassifier
            The fitted estimator.
        """
        self._validate_params()
        y = self._check_y(y)
        check_classification_targets(y)
        self._fit_networks(X, y, sample_weight)
        self.classes_ = self.estimators_[0].classes_
        return self

    def _multilabel(self):
        return getattr(self.estimators_[0], "_multilabel", False)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags

    def predict_proba(self, X):
        """Average class probabilities of the networks.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            The table.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probability of each class in ``classes_`` (multilabel y: of each
            label).
        """
        Xt = self._transform(X)
        return np.mean([net.predict_proba(Xt) for net in self.estimators_], axis=0)

    def predict_log_proba(self, X):
        """Logarithm of :meth:`predict_proba`.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            The table.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            Log-probability of each class in ``classes_``.
        """
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    def predict(self, X):
        """Predict the most probable class (multilabel y: the labels).

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            The table.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_labels)
            Predicted labels; for multilabel y a 0/1 indicator matrix (each
            label where the networks' mean probability is over 1/2), sparse
            CSR when y was sparse.
        """
        proba = self.predict_proba(X)
        if self._multilabel():  # each label where its mean probability is over 1/2
            return self.estimators_[0]._in_kind((proba > 0.5).astype(int))
        return self.classes_[np.argmax(proba, axis=1)]


class TabularMLPRegressor(RegressorMixin, _TabularBase):
    __doc__ = f"""MLP regressor for tables: mixed dtypes and missing values.

    Takes a pandas or polars DataFrame as it comes (numeric, category,
    string and object columns, missing values anywhere) or a numeric array,
    encodes it with
    :class:`TabularPreprocessor`, standardises the target (weighted mean and
    standard deviation; predictions are mapped back) and trains
    ``n_ensemble`` :class:`MLPRegressor` networks whose predictions are
    averaged. The defaults are a recipe tuned on the "tuning" tables of
    ``benchmarks/bench_tabular.py``.

    Parameters
    ----------
{_TABULAR_PARAMS}

    Attributes
    ----------
    y_mean_ : float or ndarray of shape (n_outputs,)
        Mean of the training target.

    y_scale_ : float or ndarray of shape (n_outputs,)
        Standard deviation of the training target (1 where it is zero).

{_TABULAR_ATTRS}

    See Also
    --------
    TabularMLPClassifier : The same for classification.
    MLPRegressor : The network, for numeric arrays you prepare yourself.

    Examples
    --------
    >>> import numpy as np
    >>> from sknn import TabularMLPRegressor
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(200, 3))
    >>> y = 100 * X[:, 0] + 5
    >>> reg = TabularMLPRegressor(n_ensemble=1, max_iter=20, random_state=0)
    >>> reg.fit(X, y).predict(X[:3]).shape
    (3,)
    """

    _mlp_class = MLPRegressor

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags

    def fit(self, X, y, sample_weight=None):
        """Fit the networks to a table.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            The table.

        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Target values.

        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the samples, passed to every network and used for the
            target's mean and standard deviation.

        Returns
        -------
        self : TabularMLPRegressor
            The fitted estimator.
        """
        self._validate_params()
        y = self._check_y(y)
        y = (y.toarray() if sp.issparse(y) else y).astype(np.float64)
        if not np.isfinite(y).all():
            raise ValueError("Input y contains NaN or infinity.")
        w = None
        if sample_weight is not None:
            w = _check_sample_weight(sample_weight, y.reshape(len(y), -1))
        if w is not None and w.sum() > 0:
            mean = np.average(y, axis=0, weights=w)
            scale = np.sqrt(np.average((y - mean) ** 2, axis=0, weights=w))
        else:
            mean, scale = y.mean(axis=0), y.std(axis=0)
        scale = np.where(scale > 0, scale, 1.0)
        return self._fit_networks(
            X, (y - mean) / scale, sample_weight, y_mean_=mean, y_scale_=scale
        )

    def predict(self, X):
        """Predict with the average of the networks.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            The table.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            Predicted values.
        """
        Xt = self._transform(X)
        pred = np.mean([net.predict(Xt) for net in self.estimators_], axis=0)
        return pred * self.y_scale_ + self.y_mean_


for _cls in (TabularMLPClassifier, TabularMLPRegressor):
    _cls.__module__ = "sknn"
