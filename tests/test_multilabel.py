"""Multilabel classification: MultiLabelMLP, and MLPClassifier given a 0/1
indicator matrix (as scikit-learn's MLPClassifier accepts)."""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.metrics import recall_score

from sknn import MLPClassifier, MultiLabelMLP

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

FAST = dict(
    hidden_layer_sizes=(32,),
    max_iter=80,
    learning_rate_init=0.02,
    random_state=0,
    device="cpu",
)


@pytest.mark.parametrize("Est", [MultiLabelMLP, MLPClassifier])
def test_indicator_y_gives_independent_label_probabilities(Est, multilabel):
    X, Y = multilabel
    clf = Est(**FAST).fit(X, Y)
    assert_array_equal(clf.classes_, np.arange(4))
    assert clf.n_outputs_ == 4
    assert clf.out_activation_ == "logistic"
    proba = clf.predict_proba(X)
    assert proba.shape == (X.shape[0], 4)
    assert proba.dtype == np.float64
    # sigmoids, not a softmax: rows do not sum to one
    assert np.abs(proba.sum(axis=1) - 1).max() > 0.1
    pred = clf.predict(X)
    assert pred.shape == Y.shape
    assert_array_equal(pred, (proba > 0.5).astype(int))
    assert_allclose(clf.predict_log_proba(X), np.log(proba), rtol=1e-8, atol=1e-12)
    # subset accuracy, as scikit-learn scores multilabel output
    assert clf.score(X, Y) == np.mean((pred == Y).all(axis=1))
    assert clf.score(X, Y) > 0.6


def test_lbfgs_fits_training_labels_exactly(multilabel):
    X, Y = multilabel
    clf = MultiLabelMLP(
        hidden_layer_sizes=(50,),
        solver="lbfgs",
        alpha=1e-5,
        max_iter=300,
        random_state=0,
        device="cpu",
    ).fit(X[:60], Y[:60])
    assert clf.score(X[:60], Y[:60]) > 0.97


def test_threshold_per_label(multilabel):
    X, Y = multilabel
    clf = MultiLabelMLP(**FAST).fit(X, Y)
    proba = clf.predict_proba(X)
    t = np.array([0.1, 0.5, 0.9, 0.5])
    clf.set_params(threshold=t)
    assert_array_equal(clf.predict(X), (proba > t).astype(int))
    clf.set_params(threshold=0.99)
    assert clf.predict(X).sum() < (proba > 0.5).sum()
    clf.set_params(threshold=[0.5, 0.5])
    with pytest.raises(ValueError, match="threshold"):
        clf.predict(X)


def test_single_label_y_rejected_with_a_clear_message(iris):
    X, y = iris
    with pytest.raises(ValueError, match="indicator matrix"):
        MultiLabelMLP(**FAST).fit(X, y)


def test_non_binary_indicator_rejected(multilabel):
    X, Y = multilabel
    with pytest.raises(ValueError, match="0/1 indicator"):
        MultiLabelMLP(**FAST).fit(X, Y * 2)


def _rare_label_data():
    rng = np.random.RandomState(0)
    X = rng.randn(600, 8)
    Y = np.column_stack(
        [
            X[:, 0] + X[:, 1] > 0,
            X[:, 2] + 0.8 * rng.randn(600) > 1.6,  # about 10% positive, noisy
            X[:, 3] > 0,
        ]
    ).astype(int)
    return X, Y


def test_pos_weight_balanced_raises_rare_label_recall():
    X, Y = _rare_label_data()
    params = dict(
        hidden_layer_sizes=(16,),
        max_iter=100,
        learning_rate_init=0.01,
        random_state=0,
        device="cpu",
    )
    recalls = {}
    for pw in (None, "balanced"):
        clf = MultiLabelMLP(**params, pos_weight=pw).fit(X[:400], Y[:400])
        recalls[pw] = recall_score(Y[400:, 1], clf.predict(X[400:])[:, 1])
    assert recalls["balanced"] > recalls[None] + 0.2
    # 'balanced' is n_negative / n_positive of each label
    pos = Y[:400].sum(axis=0)
    assert_allclose(clf.pos_weight_, (400 - pos) / pos)


def test_pos_weight_array_validated(multilabel):
    X, Y = multilabel
    clf = MultiLabelMLP(**dict(FAST, max_iter=3), pos_weight=[1.0, 2.0, 1.0, 3.0])
    clf.fit(X, Y)
    assert_allclose(clf.pos_weight_, [1.0, 2.0, 1.0, 3.0])
    with pytest.raises(ValueError, match="pos_weight"):
        MultiLabelMLP(**FAST, pos_weight=[1.0, 2.0]).fit(X, Y)
    with pytest.raises(ValueError, match="pos_weight"):
        MultiLabelMLP(**FAST, pos_weight=[1.0, -2.0, 1.0, 1.0]).fit(X, Y)


def test_pos_weight_ones_is_no_weight(multilabel):
    X, Y = multilabel
    a = MultiLabelMLP(**dict(FAST, max_iter=10), pos_weight=np.ones(4)).fit(X, Y)
    b = MultiLabelMLP(**dict(FAST, max_iter=10)).fit(X, Y)
    assert_allclose(a.coefs_[0], b.coefs_[0], rtol=1e-10)


@pytest.mark.parametrize("Est", [MultiLabelMLP, MLPClassifier])
def test_early_stopping_with_multilabel_does_not_stratify(Est, multilabel):
    X, Y = multilabel
    clf = Est(**dict(FAST, early_stopping=True, n_iter_no_change=5)).fit(X, Y)
    assert len(clf.validation_scores_) == clf.n_iter_
    assert 0.0 <= clf.best_validation_score_ <= 1.0
    assert clf.best_validation_score_ == max(clf.validation_scores_)


@pytest.mark.parametrize("Est", [MultiLabelMLP, MLPClassifier])
def test_partial_fit_multilabel(Est, multilabel):
    X, Y = multilabel
    clf = Est(
        hidden_layer_sizes=(32,), learning_rate_init=0.02, random_state=0, device="cpu"
    )
    for i in range(30):
        clf.partial_fit(X, Y, classes=np.arange(4) if Est is MLPClassifier else None)
        assert clf.n_iter_ == 1  # scikit-learn's rule: this call's epochs
        assert len(clf.loss_curve_) == i + 1
    assert clf.score(X, Y) > 0.5


def test_label_count_change_rejected_on_warm_start(multilabel):
    X, Y = multilabel
    clf = MultiLabelMLP(**dict(FAST, warm_start=True, max_iter=3)).fit(X, Y)
    with pytest.raises(ValueError, match="fitted with 4"):
        clf.fit(X, Y[:, :3])


def test_classifier_switching_between_multilabel_and_single_label_on_warm_start(
    multilabel,
):
    X, Y = multilabel
    clf = MLPClassifier(**dict(FAST, warm_start=True, max_iter=3)).fit(X, Y)
    with pytest.raises(ValueError, match="multilabel"):
        clf.fit(X, Y[:, 0])
