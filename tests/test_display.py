"""TrainingCurveDisplay and HiddenUnitsDisplay, drawn with the Agg backend."""

import subprocess
import sys

import numpy as np
import pytest
from sklearn.datasets import load_digits, make_regression
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from sknn import (  # noqa: E402
    HiddenUnitsDisplay,
    MLPClassifier,
    MLPRegressor,
    MultiLabelMLP,
    TrainingCurveDisplay,
)

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return (X[:400] / 16.0).astype(np.float32), y[:400]


@pytest.fixture(scope="module")
def early_clf(digits):
    X, y = digits
    return MLPClassifier(
        (24,),
        early_stopping=True,
        max_iter=12,
        n_iter_no_change=50,
        random_state=0,
        device="cpu",
    ).fit(X, y)


@pytest.fixture(scope="module")
def plain_clf(digits):
    X, y = digits
    return MLPClassifier((16, 8), max_iter=4, random_state=0, device="cpu").fit(X, y)


# ---------------------------------------------------------------------------
# TrainingCurveDisplay
# ---------------------------------------------------------------------------
def test_training_curve_holds_the_fitted_history(early_clf):
    d = TrainingCurveDisplay.from_estimator(early_clf)
    assert isinstance(d.figure_, matplotlib.figure.Figure)
    assert d.ax_.figure is d.figure_
    np.testing.assert_array_equal(d.loss_curve, early_clf.loss_curve_)
    np.testing.assert_array_equal(d.epochs, np.arange(1, early_clf.n_iter_ + 1))
    np.testing.assert_array_equal(d.validation_scores, early_clf.validation_scores_)
    # epochs are numbered from 1; the best one is the first highest score
    assert d.best_epoch == int(np.argmax(early_clf.validation_scores_)) + 1
    assert early_clf.validation_scores_[d.best_epoch - 1] == pytest.approx(
        early_clf.best_validation_score_
    )
    # the artists hold the same data
    np.testing.assert_array_equal(d.loss_line_.get_ydata(), early_clf.loss_curve_)
    np.testing.assert_array_equal(d.loss_line_.get_xdata(), d.epochs)
    np.testing.assert_array_equal(
        d.validation_line_.get_ydata(), early_clf.validation_scores_
    )
    assert d.validation_line_.axes is d.ax_validation_
    assert d.ax_validation_ is not d.ax_
    assert list(d.best_epoch_line_.get_xdata()) == [d.best_epoch, d.best_epoch]
    assert d.ax_.get_title() == "MLPClassifier"
    assert d.ax_.get_xlabel() == "epoch"
    assert d.ax_validation_.get_ylabel() == "validation accuracy"
    legend = [t.get_text() for t in d.ax_validation_.get_legend().get_texts()]
    assert legend == [
        "training loss",
        "validation accuracy",
        f"best epoch ({d.best_epoch})",
    ]


def test_training_curve_legend_leaves_the_curves_visible():
    epochs = np.arange(1, 41)
    loss = 2.0 * np.exp(-epochs / 6.0) + 0.1
    scores = 0.95 - 0.5 * np.exp(-epochs / 5.0)
    d = TrainingCurveDisplay(
        loss_curve=loss, validation_scores=scores, best_epoch=25
    ).plot()
    d.figure_.canvas.draw()
    box = d.ax_validation_.get_legend().get_window_extent()
    for line in (d.loss_line_, d.validation_line_):
        xy = line.get_transform().transform(np.column_stack(line.get_data()))
        inside = (
            (xy[:, 0] >= box.x0)
            & (xy[:, 0] <= box.x1)
            & (xy[:, 1] >= box.y0)
            & (xy[:, 1] <= box.y1)
        )
        assert not inside.any()


def test_training_curve_without_early_stopping(plain_clf):
    d = TrainingCurveDisplay.from_estimator(plain_clf, name="no validation")
    np.testing.assert_array_equal(d.loss_line_.get_ydata(), plain_clf.loss_curve_)
    assert d.validation_scores is None and d.validation_line_ is None
    assert d.ax_validation_ is None
    assert d.best_epoch is None and d.best_epoch_line_ is None
    assert d.ax_.get_title() == "no validation"


def test_training_curve_draws_on_the_given_axes(early_clf):
    fig, (ax0, ax1) = plt.subplots(1, 2)
    d = TrainingCurveDisplay.from_estimator(
        early_clf, ax=ax1, loss_kw={"color": "red", "label": "loss"}
    )
    assert d.ax_ is ax1 and d.figure_ is fig
    assert d.loss_line_.get_color() == "red"
    assert d.loss_line_.get_label() == "loss"
    assert not ax0.lines
    # plot() can redraw the stored data elsewhere, returning the display
    _, ax2 = plt.subplots()
    assert d.plot(ax=ax2) is d and d.ax_ is ax2


def test_training_curve_aligns_late_validation_scores(digits):
    """A warm start can switch early stopping on after some epochs: the
    validation scores belong to the last epochs."""
    X, y = digits
    clf = MLPClassifier((8,), max_iter=3, random_state=0, device="cpu").fit(X, y)
    clf.set_params(warm_start=True, early_stopping=True, max_iter=4).fit(X, y)
    assert len(clf.loss_curve_) == 7 and len(clf.validation_scores_) == 4
    d = TrainingCurveDisplay.from_estimator(clf)
    np.testing.assert_array_equal(d.validation_epochs, [4, 5, 6, 7])
    np.testing.assert_array_equal(d.validation_line_.get_xdata(), [4, 5, 6, 7])
    assert d.best_epoch == 3 + int(np.argmax(clf.validation_scores_)) + 1


def test_training_curve_skips_nan_scores(early_clf):
    """A diverged epoch records a NaN validation score; it is never best."""
    import copy

    clf = copy.deepcopy(early_clf)
    scores = [0.5, np.nan, 0.7, 0.6]
    clf.validation_scores_ = scores
    clf.loss_curve_ = [2.0, 1.5, 1.0, 0.9]
    assert TrainingCurveDisplay.from_estimator(clf).best_epoch == 3
    clf.validation_scores_ = [np.nan] * 4
    assert TrainingCurveDisplay.from_estimator(clf).best_epoch is None


def test_training_curve_lbfgs_and_other_estimators(digits):
    X, y = digits
    lbfgs = MLPClassifier(
        (8,), solver="lbfgs", max_iter=5, random_state=0, device="cpu"
    ).fit(X, y)
    d = TrainingCurveDisplay.from_estimator(lbfgs)
    np.testing.assert_array_equal(d.loss_curve, lbfgs.loss_curve_)
    assert d.ax_.get_xlabel() == "L-BFGS iteration"

    # scikit-learn's own MLP keeps the same attributes ...
    from sklearn.neural_network import MLPClassifier as SkMLP

    sk = SkMLP((8,), max_iter=5, early_stopping=True, random_state=0).fit(X, y)
    d = TrainingCurveDisplay.from_estimator(sk)
    np.testing.assert_array_equal(d.loss_curve, sk.loss_curve_)
    assert d.best_epoch == int(np.argmax(sk.validation_scores_)) + 1
    # ... but records no curve with lbfgs
    sk = SkMLP((8,), solver="lbfgs", max_iter=5, random_state=0).fit(X, y)
    with pytest.raises(ValueError, match="no loss curve.*lbfgs"):
        TrainingCurveDisplay.from_estimator(sk)


def test_training_curve_names_the_validation_score():
    X, y = make_regression(n_samples=80, n_features=4, random_state=0)
    reg = MLPRegressor(
        hidden_layer_sizes=(8,),
        early_stopping=True,
        max_iter=3,
        random_state=0,
        device="cpu",
    ).fit(X, y)
    d = TrainingCurveDisplay.from_estimator(reg)
    assert d.validation_line_.get_label() == "validation R^2"
    Y = (np.random.RandomState(0).rand(80, 3) > 0.5).astype(int)
    ml = MultiLabelMLP(
        (8,), early_stopping=True, max_iter=3, random_state=0, device="cpu"
    ).fit(X, Y)
    d = TrainingCurveDisplay.from_estimator(ml)
    assert d.validation_line_.get_label() == "validation subset accuracy"


def test_training_curve_in_a_pipeline(digits):
    X, y = digits
    pipe = make_pipeline(
        StandardScaler(), MLPClassifier((8,), max_iter=3, random_state=0, device="cpu")
    ).fit(X, y)
    d = TrainingCurveDisplay.from_estimator(pipe)
    np.testing.assert_array_equal(d.loss_curve, pipe[-1].loss_curve_)


def test_training_curve_checks_its_input():
    with pytest.raises(NotFittedError):
        TrainingCurveDisplay.from_estimator(MLPClassifier())
    with pytest.raises(ValueError, match="at most one validation score per epoch"):
        TrainingCurveDisplay(loss_curve=[1.0], validation_scores=[0.1, 0.2])


# ---------------------------------------------------------------------------
# HiddenUnitsDisplay
# ---------------------------------------------------------------------------
def test_hidden_units_images_and_titles(plain_clf, digits):
    X, _ = digits
    d = HiddenUnitsDisplay.from_estimator(plain_clf, X, max_samples=50, random_state=1)
    rows = np.sort(np.random.RandomState(1).choice(len(X), 50, replace=False))
    expected = plain_clf.hidden_activations(X[rows])
    summary = plain_clf.hidden_unit_summary(X[rows])
    assert [a.shape for a in d.activations] == [(50, 16), (50, 8)]
    for got, want in zip(d.activations, expected):
        np.testing.assert_allclose(got, want)
    assert d.summaries == summary
    assert isinstance(d.figure_, matplotlib.figure.Figure)
    assert len(d.axes_) == len(d.images_) == len(d.colorbars_) == 2
    for i, (ax, image) in enumerate(zip(d.axes_, d.images_)):
        np.testing.assert_allclose(np.asarray(image.get_array()), expected[i])
        s = summary[i]
        title = ax.get_title()
        assert title.startswith(f"layer {i + 1}: {s['n_units']} units")
        assert f"dead {s['dead']:.0%}" in title
        assert f"saturated {s['saturated']:.0%}" in title
        assert f"|corr| {s['mean_abs_correlation']:.2f}" in title
        assert ax.get_xlabel() == "hidden unit"
    assert d.axes_[0].get_ylabel() == "sample"
    assert d.figure_._suptitle.get_text() == "MLPClassifier"


def test_hidden_units_shows_dead_units(digits):
    """A layer whose units never fire is reported, and shows as blank columns."""
    import copy

    X, y = digits
    clf = MLPClassifier((10,), max_iter=2, random_state=0, device="cpu").fit(X, y)
    clf = copy.deepcopy(clf)
    clf.intercepts_[0][:5] = -1e3  # five ReLU units that are always off
    d = HiddenUnitsDisplay.from_estimator(clf, X, colorbar=False)
    rows = np.sort(np.random.RandomState(0).choice(len(X), 200, replace=False))
    dead = d.summaries[0]["dead"]
    assert dead >= 0.5 and dead == clf.hidden_unit_summary(X[rows])[0]["dead"]
    assert f"dead {dead:.0%}" in d.axes_[0].get_title()
    assert np.all(np.asarray(d.images_[0].get_array())[:, :5] == 0)
    assert d.colorbars_ is None


def test_hidden_units_uses_all_rows_of_small_x_and_given_axes(plain_clf, digits):
    X, _ = digits
    fig, axes = plt.subplots(2, 1)
    d = HiddenUnitsDisplay.from_estimator(plain_clf, X[:30], ax=axes, cmap="gray")
    assert d.activations[0].shape == (30, 16)
    assert list(d.axes_) == list(axes) and d.figure_ is fig
    assert d.images_[0].get_cmap().name == "gray"
    # unbounded activations: from the minimum to the 99th percentile
    a = d.activations[0]
    assert d.images_[0].get_clim() == (a.min(), np.percentile(a, 99))
    assert fig._suptitle is None  # the caller's figure keeps its title
    with pytest.raises(ValueError, match="one axes per hidden layer"):
        HiddenUnitsDisplay.from_estimator(plain_clf, X, ax=axes[0])


def test_hidden_units_colour_scale_follows_the_activation(digits):
    X, y = digits
    clf = MLPClassifier((6,), "tanh", max_iter=2, random_state=0, device="cpu").fit(
        X, y
    )
    d = HiddenUnitsDisplay.from_estimator(clf, X[:20])
    assert d.images_[0].get_clim() == (-1.0, 1.0)
    assert d.images_[0].get_cmap().name == "RdBu_r"
    _, ax = plt.subplots()
    d = HiddenUnitsDisplay.from_estimator(clf, X[:20], ax=ax, imshow_kw={"vmax": 0.5})
    assert d.images_[0].get_clim() == (-1.0, 0.5)


def test_hidden_units_in_a_pipeline(digits):
    X, y = digits
    pipe = make_pipeline(
        StandardScaler(), MLPClassifier((8,), max_iter=3, random_state=0, device="cpu")
    ).fit(X, y)
    d = HiddenUnitsDisplay.from_estimator(pipe, X[:25])
    want = pipe[-1].hidden_activations(pipe[0].transform(X[:25]))[0]
    np.testing.assert_allclose(d.activations[0], want)


def test_hidden_units_checks_its_input(digits):
    X, y = digits
    with pytest.raises(NotFittedError):
        HiddenUnitsDisplay.from_estimator(MLPClassifier(), X)
    from sklearn.linear_model import LogisticRegression

    with pytest.raises(TypeError, match="needs an sknn estimator"):
        HiddenUnitsDisplay.from_estimator(LogisticRegression().fit(X, y), X)
    linear = MLPClassifier((), max_iter=2, random_state=0, device="cpu").fit(X, y)
    with pytest.raises(ValueError, match="no hidden layer"):
        HiddenUnitsDisplay.from_estimator(linear, X)
    with pytest.raises(ValueError, match="one summary per layer"):
        HiddenUnitsDisplay(activations=[np.zeros((2, 2))], summaries=[])


def test_import_sknn_does_not_import_matplotlib():
    code = "import sys, sknn; print('matplotlib' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "False"
