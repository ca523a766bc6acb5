"""sknn estimators inside scikit-learn's tooling: pipelines, searches,
cross-validation, cloning and persistence."""

import pickle

import joblib
import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, KFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sknn import MLPClassifier, MLPRegressor, MultiLabelMLP

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

SMALL = dict(
    hidden_layer_sizes=(8,),
    max_iter=30,
    learning_rate_init=0.02,
    random_state=0,
    device="cpu",
)


def _fitted(Est, data):
    X, y = data
    return Est(**SMALL).fit(X, y)


@pytest.fixture
def fitted_models(iris, regression, multilabel):
    return [
        (_fitted(MLPClassifier, iris), iris[0]),
        (_fitted(MLPRegressor, regression), regression[0]),
        (_fitted(MultiLabelMLP, multilabel), multilabel[0]),
    ]


def test_pipeline_scales_then_classifies(iris):
    X, y = iris
    X_raw = X * 40.0 + 100.0  # far from standardised
    pipe = make_pipeline(StandardScaler(), MLPClassifier(**SMALL))
    pipe.fit(X_raw, y)
    assert pipe.score(X_raw, y) > 0.9
    assert pipe.predict_proba(X_raw[:5]).shape == (5, 3)
    # the classifier inside saw scaled data: same result as fitting it alone
    alone = MLPClassifier(**SMALL).fit(StandardScaler().fit_transform(X_raw), y)
    assert_array_equal(pipe[-1].coefs_[0], alone.coefs_[0])


def _grid_search(X, y, n_jobs):
    grid = {
        "hidden_layer_sizes": [(4,), (8, 4)],
        "dropout": [0.0, 0.3],
        "alpha": [1e-4, 1e-1],
    }
    est = MLPClassifier(
        max_iter=15, learning_rate_init=0.02, random_state=0, device="cpu"
    )
    search = GridSearchCV(
        est,
        grid,
        cv=KFold(3, shuffle=True, random_state=0),
        n_jobs=n_jobs,
        error_score="raise",
    )
    return search.fit(X, y)


@pytest.mark.slow
def test_grid_search_same_results_with_one_or_two_jobs(iris):
    X, y = iris
    one = _grid_search(X, y, n_jobs=1)
    two = _grid_search(X, y, n_jobs=2)
    assert one.cv_results_["params"] == two.cv_results_["params"]
    assert len(one.cv_results_["params"]) == 8
    for key in one.cv_results_:
        if key.startswith(("split", "mean_test", "std_test", "rank_test")):
            assert_array_equal(one.cv_results_[key], two.cv_results_[key], err_msg=key)
    # the search tells the settings apart (it is not scoring a constant)
    assert np.ptp(one.cv_results_["mean_test_score"]) > 0
    assert one.best_params_ == two.best_params_
    assert_array_equal(one.predict(X), two.predict(X))


def test_cross_val_score(iris, regression):
    scores = cross_val_score(MLPClassifier(**SMALL), *iris, cv=3)
    assert scores.shape == (3,)
    assert scores.min() > 0.7
    r2 = cross_val_score(MLPRegressor(**SMALL), *regression, cv=3)
    assert r2.min() > 0.5


@pytest.mark.parametrize("Est", [MLPClassifier, MLPRegressor, MultiLabelMLP])
def test_clone_copies_parameters_not_fitted_state(Est, iris, regression, multilabel):
    data = {MLPClassifier: iris, MLPRegressor: regression, MultiLabelMLP: multilabel}[
        Est
    ]
    est = Est(
        hidden_layer_sizes=(5, 3),
        dropout=(0.1, 0.2),
        alpha=0.01,
        solver="sgd",
        max_iter=5,
        random_state=3,
        device="cpu",
    )
    est.fit(*data)
    twin = clone(est)
    assert twin.get_params() == est.get_params()
    assert not hasattr(twin, "coefs_")
    assert twin.dropout == (0.1, 0.2)
    # same parameters and seed: the clone refits to the same weights
    twin.fit(*data)
    for a, b in zip(est.coefs_, twin.coefs_):
        assert_array_equal(a, b)


def test_pickle_round_trip_predicts_the_same(fitted_models):
    for est, X in fitted_models:
        back = pickle.loads(pickle.dumps(est))
        assert_array_equal(back.predict(X), est.predict(X))
        if hasattr(est, "predict_proba"):
            assert_array_equal(back.predict_proba(X), est.predict_proba(X))
        assert back.get_params() == est.get_params()
        assert back.n_iter_ == est.n_iter_


def test_joblib_round_trip_predicts_the_same(fitted_models, tmp_path):
    for i, (est, X) in enumerate(fitted_models):
        path = tmp_path / f"model{i}.joblib"
        joblib.dump(est, path)
        back = joblib.load(path)
        assert_array_equal(back.predict(X), est.predict(X))
        for a, b in zip(back.coefs_, est.coefs_):
            assert_array_equal(a, b)


def test_pickled_model_has_numpy_weights_and_no_torch_objects(iris):
    est = _fitted(MLPClassifier, iris)
    est.predict(iris[0])  # builds the cached prediction network
    blob = pickle.dumps(est)
    assert b"torch" not in blob
    assert all(isinstance(c, np.ndarray) for c in est.coefs_ + est.intercepts_)


def test_unpickling_another_version_warns(iris):
    from sknn import InconsistentSknnVersionWarning

    est = _fitted(MLPClassifier, iris)
    state = est.__getstate__()
    state["_sknn_version"] = "0.0.0-other"
    twin = MLPClassifier.__new__(MLPClassifier)
    with pytest.warns(InconsistentSknnVersionWarning, match="0.0.0-other"):
        twin.__setstate__(state)
    assert_array_equal(twin.predict(iris[0]), est.predict(iris[0]))


def test_grid_search_refit_with_convergence_warning_is_not_an_error(iris):
    # a search over short fits warns but completes
    X, y = iris
    search = GridSearchCV(
        MLPClassifier(max_iter=2, random_state=0, device="cpu"),
        {"alpha": [1e-4, 1e-2]},
        cv=2,
    )
    with pytest.warns(ConvergenceWarning):
        search.fit(X, y)
    assert hasattr(search, "best_estimator_")
