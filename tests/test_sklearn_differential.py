"""The drop-ins next to scikit-learn's MLPs where scikit-learn's own tests
do not look: each test runs the same call on both and compares what a user
sees (weights, losses, counters, warnings, dtypes, errors)."""

import contextlib
import warnings

import numpy as np
import pytest
import sklearn.neural_network as sk_nn
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import load_iris, make_regression
from sklearn.exceptions import ConvergenceWarning, DataConversionWarning

import sknn

pd = pytest.importorskip("pandas")

CPU = dict(device="cpu")


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True)
    return (X - X.mean(0)) / X.std(0), y


def _pair(name, **params):
    """The scikit-learn estimator and sknn's, with the same parameters."""
    return getattr(sk_nn, name)(**params), getattr(sknn, name)(**params, **CPU)


@contextlib.contextmanager
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


def test_multioutput_squared_error_is_reported_as_a_mean_over_outputs():
    """scikit-learn reports half the squared error averaged over the outputs
    (its gradient is that of the sum): loss_, the curve and the tol rule
    that reads it, hence n_iter_, agree; L-BFGS too."""
    X, Y = make_regression(n_samples=150, n_features=5, n_targets=3, random_state=0)
    Y /= 100
    for solver, max_iter in (("adam", 300), ("sgd", 300), ("lbfgs", 200)):
        theirs, ours = _pair(
            "MLPRegressor",
            hidden_layer_sizes=(8,),
            solver=solver,
            max_iter=max_iter,
            random_state=0,
        )
        with _quiet():
            theirs.fit(X, Y)
        with _quiet():
            ours.fit(X, Y)
        assert ours.n_iter_ == theirs.n_iter_, solver
        if solver == "lbfgs":  # to a loss near 0: rounding shows in its digits
            assert ours.loss_ == pytest.approx(theirs.loss_, rel=1e-2)
            continue
        assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=1e-9)
        assert_allclose(ours.coefs_[0], theirs.coefs_[0], rtol=1e-7, atol=1e-9)


def test_no_improvement_count_goes_on_over_partial_fit_and_warm_start(iris):
    """scikit-learn keeps its count of epochs without improvement from one
    call to the next: 'adaptive' cuts the rate over partial_fit calls, and a
    warm fit after a fit that stopped on tol stops after one epoch."""
    X, y = iris
    params = dict(hidden_layer_sizes=(3,), random_state=0, solver="sgd")
    theirs, ours = _pair(
        "MLPClassifier",
        **params,
        learning_rate="adaptive",
        tol=10,
        n_iter_no_change=2,
        learning_rate_init=0.1,
    )
    for _ in range(8):
        theirs.partial_fit(X, y, classes=[0, 1, 2])
        ours.partial_fit(X, y, classes=[0, 1, 2])
    assert theirs._optimizer.learning_rate == pytest.approx(0.004)
    assert ours._learning_rate == pytest.approx(theirs._optimizer.learning_rate)
    assert ours._no_improvement_count == theirs._no_improvement_count
    assert_allclose(ours.coefs_[0], theirs.coefs_[0], rtol=1e-9, atol=1e-12)

    theirs, ours = _pair(
        "MLPClassifier", **params, warm_start=True, tol=10, n_iter_no_change=3
    )
    for est in (theirs, ours):
        est.fit(X, y)
        est.fit(X, y)
    assert ours.n_iter_ == theirs.n_iter_ == 1
    assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=1e-12)


def test_dataframe_and_fortran_multilabel_y(iris):
    """A label matrix as a DataFrame (Fortran-ordered values) trains as the
    same matrix in C order does."""
    X, y = iris
    Y = np.c_[y == 0, y == 1].astype(int)
    frame = pd.DataFrame({"a": Y[:, 0], "b": Y[:, 1]})
    for cls in (sknn.MLPClassifier, sknn.MultiLabelMLP):
        for solver in ("adam", "lbfgs"):
            params = dict(hidden_layer_sizes=(3,), solver=solver, max_iter=5, **CPU)
            params["random_state"] = 0
            with _quiet():
                ref = cls(**params).fit(X, np.ascontiguousarray(Y))
            for target in (frame, np.asfortranarray(Y)):
                with _quiet():
                    est = cls(**params).fit(X, target)
                assert_array_equal(est.coefs_[0], ref.coefs_[0])


def test_read_only_targets_and_weights_give_no_torch_warning(iris):
    """pandas 3 hands out read-only views (copy-on-write): fitting on a
    Series y or sample_weight warns nothing, as scikit-learn does."""
    X, y = iris
    w = pd.Series(np.linspace(0.5, 1.5, len(y)))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.simplefilter("ignore", ConvergenceWarning)
        sknn.MLPRegressor(hidden_layer_sizes=(3,), max_iter=3, **CPU).fit(
            X, pd.Series(X[:, 0]), sample_weight=w
        )
        sknn.MLPClassifier(hidden_layer_sizes=(3,), max_iter=3, **CPU).fit(
            X, pd.Series(y), sample_weight=w
        )
        clf = sknn.MLPClassifier(hidden_layer_sizes=(3,), max_iter=3, **CPU)
        clf.set_params(early_stopping=True).fit(X, pd.Series(y), sample_weight=w)


def test_column_vector_y_warns_for_the_regressor_too(iris):
    X, y = iris
    for name, target in (("MLPRegressor", X[:, :1]), ("MLPClassifier", y[:, None])):
        for est in _pair(name, hidden_layer_sizes=(3,), max_iter=3, random_state=0):
            with pytest.warns(DataConversionWarning, match="column-vector y"):
                with _quiet():
                    est.fit(X, target)
            assert est.predict(X).shape == (len(X),)


def test_string_labels_in_objects_give_str_classes(iris):
    """Labels held as Python objects (an object array, a pandas Series of
    strings) become a str array of classes_, as scikit-learn's
    LabelBinarizer makes them."""
    X, y = iris
    names = np.array(["setosa", "versicolor", "virginica"])[y]
    for labels in (names.astype(object), pd.Series(names)):
        theirs, ours = _pair("MLPClassifier", hidden_layer_sizes=(3,), max_iter=2)
        with _quiet():
            theirs.fit(X, labels)
        with _quiet():
            ours.fit(X, labels)
        assert ours.classes_.dtype == theirs.classes_.dtype
        assert ours.classes_.dtype.kind == "U"
        assert ours.predict(X[:2]).dtype == theirs.predict(X[:2]).dtype
    classes = np.array(["a", "b", "c", "d"], dtype=object)
    ours = sknn.MLPClassifier(hidden_layer_sizes=(3,), **CPU)
    ours.partial_fit(X, np.array(["a", "b", "c"])[y], classes=classes)
    assert ours.classes_.dtype.kind == "U"
    assert_array_equal(ours.classes_, classes)


def test_validation_fraction_zero_is_valid_without_early_stopping(iris):
    X, y = iris
    theirs, ours = _pair(
        "MLPClassifier", hidden_layer_sizes=(3,), max_iter=3, validation_fraction=0.0
    )
    with _quiet():
        theirs.fit(X, y)
    with _quiet():
        ours.fit(X, y)
    assert ours.n_iter_ == theirs.n_iter_ == 3
    with pytest.raises(ValueError, match="could not hold out validation_fraction=0.0"):
        ours.set_params(early_stopping=True).fit(X, y)


def test_batch_size_is_clipped_to_the_training_split_with_the_warning(iris):
    """With early stopping the minibatches come from the training split:
    scikit-learn warns when batch_size is larger than that split, even when
    it is not larger than X."""
    X, y = iris  # 150 rows, 135 of them train with validation_fraction=0.1
    for est in _pair(
        "MLPClassifier",
        hidden_layer_sizes=(3,),
        max_iter=2,
        batch_size=140,
        early_stopping=True,
        random_state=0,
    ):
        with pytest.warns(UserWarning, match="larger than sample size"):
            with _quiet():
                est.fit(X, y)
