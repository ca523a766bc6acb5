"""How training ends: early stopping (best epoch restored), the training-loss
plateau, max_iter, a non-finite loss, and a KeyboardInterrupt."""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.exceptions import ConvergenceWarning

import sknn._engine.trainer
from sknn import MLPClassifier, MLPRegressor

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

ES = dict(
    hidden_layer_sizes=(32,),
    max_iter=200,
    learning_rate_init=0.05,
    early_stopping=True,
    n_iter_no_change=4,
    tol=0.0,
    random_state=0,
    device="cpu",
)


@pytest.fixture(scope="module")
def noisy_digits(digits):
    """Digits with 30% of the labels scrambled: the validation score peaks
    and then falls as the network memorises the noise."""
    X, y = digits
    rng = np.random.RandomState(0)
    y = y.copy()
    flip = rng.rand(y.size) < 0.3
    y[flip] = rng.randint(0, 10, flip.sum())
    return X[:300], y[:300]


def test_early_stopping_restores_the_best_epoch(noisy_digits):
    X, y = noisy_digits
    clf = MLPClassifier(**ES).fit(X, y)
    scores = clf.validation_scores_
    best_epoch = int(np.argmax(scores)) + 1
    assert len(scores) == clf.n_iter_
    assert clf.best_validation_score_ == max(scores)
    # training went on past the best epoch...
    assert clf.n_iter_ > best_epoch
    assert best_epoch >= 2
    # ...and the weights kept are those of the best epoch: the same seed run
    # for exactly best_epoch epochs (same split, same shuffles) ends with
    # weights equal to the restored ones, and those differ from the weights
    # one epoch earlier.
    at_best = MLPClassifier(**dict(ES, max_iter=best_epoch)).fit(X, y)
    assert at_best.validation_scores_[-1] == clf.best_validation_score_
    for a, b in zip(clf.coefs_ + clf.intercepts_, at_best.coefs_ + at_best.intercepts_):
        assert_array_equal(a, b)
    before = MLPClassifier(**dict(ES, max_iter=best_epoch - 1)).fit(X, y)
    assert not np.array_equal(before.coefs_[0], clf.coefs_[0])


@pytest.mark.parametrize("Est", [MLPClassifier, MLPRegressor])
def test_early_stopping_attributes(Est, digits_binary):
    X, y = digits_binary
    tol = 0.2
    est = Est(
        tol=tol,
        max_iter=300,
        solver="sgd",
        early_stopping=True,
        random_state=0,
        device="cpu",
    ).fit(X, y)
    assert est.n_iter_ < 300
    assert est.best_loss_ is None
    assert isinstance(est.validation_scores_, list)
    assert len(est.validation_scores_) == est.n_iter_
    assert max(est.validation_scores_) == est.best_validation_score_
    # the last n_iter_no_change + 1 epochs brought no tol improvement
    for s in est.validation_scores_[-(est.n_iter_no_change + 1) :]:
        assert s < est.best_validation_score_ + tol
    est = Est(
        tol=tol,
        max_iter=300,
        solver="sgd",
        early_stopping=False,
        random_state=0,
        device="cpu",
    ).fit(X, y)
    assert est.validation_scores_ is None
    assert est.best_validation_score_ is None
    assert est.best_loss_ == min(est.loss_curve_)


def test_t_counts_training_samples_only(iris):
    X, y = iris
    clf = MLPClassifier(**dict(ES, max_iter=5, validation_fraction=0.2)).fit(X, y)
    assert clf.t_ == clf.n_iter_ * 120


def test_split_is_stratified():
    X = [[1, 2], [2, 3], [3, 4], [4, 5]]
    y = [0, 0, 0, 1]
    with pytest.raises(ValueError, match="least populated class"):
        MLPClassifier(early_stopping=True, device="cpu").fit(X, y)


def test_validation_set_too_small():
    rng = np.random.RandomState(0)
    X, y = rng.randn(5, 3), rng.randn(5)
    with pytest.raises(ValueError, match="validation set is too small"):
        MLPRegressor(early_stopping=True, device="cpu").fit(X, y)


def test_string_labels_with_early_stopping(iris):
    X, y = iris
    y = np.array(["class_a", "class_b", "class_c"], dtype=object)[y]
    clf = MLPClassifier(**dict(ES, max_iter=20)).fit(X, y)
    assert len(clf.validation_scores_) == clf.n_iter_
    assert np.isfinite(clf.validation_scores_).all()
    assert clf.best_validation_score_ > 0.8


def test_validation_score_uses_sample_weight(iris):
    # 150 clean samples plus 150 of pure noise with zero weight: the noise
    # affects neither the training loss nor the validation score, which
    # therefore stays that of the clean samples.
    X, y = iris
    rng = np.random.RandomState(1)
    X_all = np.vstack([X, rng.randn(150, 4)])
    y_all = np.concatenate([y, rng.randint(0, 3, 150)])
    sw = np.r_[np.ones(150), np.zeros(150)]
    params = dict(ES, max_iter=40, n_iter_no_change=40, validation_fraction=0.3)
    weighted = MLPClassifier(**params).fit(X_all, y_all, sample_weight=sw)
    assert weighted.best_validation_score_ > 0.85
    # without weights the noise is scored too, and caps the score
    plain = MLPClassifier(**params).fit(X_all, y_all)
    assert plain.best_validation_score_ < 0.75


def test_ones_sample_weight_with_early_stopping_equals_none(regression):
    X, y = regression
    params = dict(
        hidden_layer_sizes=(10,),
        early_stopping=True,
        tol=1e-2,
        learning_rate_init=0.01,
        batch_size=10,
        random_state=42,
        device="cpu",
    )
    a = MLPRegressor(**params).fit(X, y, sample_weight=np.ones(X.shape[0]))
    b = MLPRegressor(**params).fit(X, y)
    assert_array_equal(a.predict(X), b.predict(X))


@pytest.mark.parametrize("Est", [MLPClassifier, MLPRegressor])
def test_warm_start_with_early_stopping_extends_scores(Est, iris):
    X, y = iris
    est = Est(
        max_iter=5, random_state=0, warm_start=True, early_stopping=True, device="cpu"
    )
    est.fit(X, y)
    n_scores = len(est.validation_scores_)
    est.set_params(max_iter=8)
    est.fit(X, y)
    assert len(est.validation_scores_) > n_scores
    # as scikit-learn: the scores go on like loss_curve_, while n_iter_
    # counts the epochs of the latest fit
    assert len(est.validation_scores_) == len(est.loss_curve_)
    assert len(est.validation_scores_) == n_scores + est.n_iter_


def test_plateau_of_training_loss_stops(iris_binary):
    X, y = iris_binary
    clf = MLPClassifier(
        tol=0.5, max_iter=3000, solver="sgd", random_state=0, device="cpu"
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        clf.fit(X, y)
    # the first epoch sets the best loss; the next n_iter_no_change + 1
    # bring no tol improvement (scikit-learn counts the same way)
    assert clf.n_iter_ == clf.n_iter_no_change + 2


def test_max_iter_warns(iris):
    X, y = iris
    with pytest.warns(ConvergenceWarning, match="Maximum iterations"):
        MLPClassifier(max_iter=2, random_state=0, device="cpu").fit(X, y)


# ---------------------------------------------------------------------------
# Faults
# ---------------------------------------------------------------------------
def _diverging(early_stopping):
    return MLPRegressor(
        hidden_layer_sizes=(50,),
        activation="identity",
        solver="sgd",
        learning_rate_init=1.0,
        max_iter=20,
        early_stopping=early_stopping,
        n_iter_no_change=10,
        random_state=0,
        device="cpu",
    )


def test_non_finite_loss_with_early_stopping_keeps_best_weights(iris):
    X, y = iris
    reg = _diverging(True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        reg.fit(X, y)
    assert np.isnan(reg.validation_scores_[-1])
    assert isinstance(reg.validation_scores_[-1], float)
    assert reg.n_iter_ < 20
    assert all(np.isfinite(c).all() for c in reg.coefs_ + reg.intercepts_)
    assert np.isfinite(reg.predict(X)).all()
    assert np.isfinite(reg.best_validation_score_)


def test_non_finite_loss_without_early_stopping_raises(iris):
    X, y = iris
    msg = "Solver produced non-finite parameter weights"
    with pytest.raises(ValueError, match=msg):
        _diverging(False).fit(X, y)


@pytest.mark.parametrize("early_stopping", [False, True])
def test_keyboard_interrupt_leaves_a_usable_model(iris, monkeypatch, early_stopping):
    X, y = iris
    real_epoch = sknn._engine.trainer.Trainer.epoch
    calls = []

    def epoch(self, *args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real_epoch(self, *args, **kwargs)

    monkeypatch.setattr(sknn._engine.trainer.Trainer, "epoch", epoch)
    clf = MLPClassifier(
        hidden_layer_sizes=(8,),
        max_iter=50,
        learning_rate_init=0.05,
        early_stopping=early_stopping,
        random_state=0,
        device="cpu",
    )
    with pytest.warns(UserWarning, match="KeyboardInterrupt"):
        clf.fit(X, y)
    assert clf.n_iter_ == 2
    assert len(clf.loss_curve_) == 2
    pred = clf.predict(X)
    assert pred.shape == (150,)
    assert np.isfinite(clf.predict_proba(X)).all()
    if early_stopping:
        assert len(clf.validation_scores_) == 2
