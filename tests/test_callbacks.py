"""scikit-learn's callback API (sklearn >= 1.9): one task per epoch, stop
requests honoured, and callbacks handed down through GridSearchCV."""

import numpy as np
import pytest
from sklearn.datasets import load_iris
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV

from sknn import MLPClassifier, MLPRegressor

callback = pytest.importorskip(
    "sklearn.callback", reason="scikit-learn < 1.9 has no callback API"
)


class Recorder:
    """A FitCallback that records the tasks it sees and can ask to stop."""

    max_propagation_depth = None  # auto-propagated through meta-estimators

    def __init__(self, stop_after=None):
        self.stop_after = stop_after
        self.ends = []
        self.fitted = []

    def setup(self, estimator, context):
        pass

    def teardown(self, estimator, context):
        pass

    def on_fit_task_begin(self, estimator, context, **kwargs):
        pass

    def on_fit_task_end(
        self, estimator, context, *, metadata=None, fitted_estimator=None
    ):
        if context.task_name == "epoch":
            self.ends.append(metadata["loss"])
            self.fitted.append(fitted_estimator)
            return self.stop_after is not None and len(self.ends) >= self.stop_after
        return False


@pytest.fixture
def iris():
    X, y = load_iris(return_X_y=True)
    return (X - X.mean(0)) / X.std(0), y


def test_one_task_per_epoch_with_the_epoch_loss(iris):
    X, y = iris
    rec = Recorder()
    clf = MLPClassifier((8,), max_iter=5, tol=0, random_state=0, device="cpu")
    with pytest.warns(ConvergenceWarning, match="Maximum iterations"):
        clf.set_callbacks(rec).fit(X, y)
    assert len(rec.ends) == 5
    np.testing.assert_allclose(rec.ends, clf.loss_curve_)
    # the estimator handed to the callback predicts like the model at that epoch
    last = rec.fitted[-1]
    np.testing.assert_allclose(last.predict_proba(X), clf.predict_proba(X))
    assert not hasattr(clf, "_callback_fit_ctx")


def test_a_callback_can_stop_training(iris):
    X, y = iris
    rec = Recorder(stop_after=3)
    reg = MLPRegressor(
        hidden_layer_sizes=(8,), max_iter=50, tol=0, random_state=0, device="cpu"
    )
    reg.set_callbacks(rec).fit(X, y.astype(float))
    assert reg.n_iter_ == 3
    assert len(reg.loss_curve_) == 3


def test_callbacks_reach_the_epochs_through_grid_search(iris):
    X, y = iris
    rec = Recorder()
    grid = GridSearchCV(
        MLPClassifier((8,), max_iter=3, tol=0, random_state=0, device="cpu"),
        {"alpha": [1e-4, 1e-2]},
        cv=2,
    )
    with pytest.warns(ConvergenceWarning, match="Maximum iterations"):
        grid.set_callbacks(rec).fit(X, y)
    # 2 candidates x 2 folds + the refit, 3 epochs each
    assert len(rec.ends) == (2 * 2 + 1) * 3


def test_progress_bar_through_grid_search(iris):
    pytest.importorskip("rich", reason="sklearn's ProgressBar needs rich")
    X, y = iris
    grid = GridSearchCV(
        MLPClassifier((8,), max_iter=3, tol=0, random_state=0, device="cpu"),
        {"alpha": [1e-4, 1e-2]},
        cv=2,
    )
    with pytest.warns(ConvergenceWarning, match="Maximum iterations"):
        grid.set_callbacks(callback.ProgressBar(max_propagation_depth=None)).fit(X, y)
    assert grid.best_estimator_.n_iter_ == 3


@pytest.mark.parametrize("first", [dict(input_scale=True), dict(n_frequencies=2)])
def test_callback_copy_forgets_the_last_fits_input_layers(iris, first):
    """Refit the same instance without the input layers an earlier fit had:
    the estimator a callback receives (a copy of the one being fitted, with
    the new fit's attributes set on it) predicts like the new model."""
    X, y = iris
    clf = MLPClassifier((8,), max_iter=3, random_state=0, device="cpu", **first)
    with pytest.warns(ConvergenceWarning):
        clf.fit(X, y)
    rec = Recorder()
    clf.set_params(input_scale=False, n_frequencies=0).set_callbacks(rec)
    with pytest.warns(ConvergenceWarning):
        clf.fit(X, y)
    np.testing.assert_allclose(rec.fitted[-1].predict_proba(X), clf.predict_proba(X))
