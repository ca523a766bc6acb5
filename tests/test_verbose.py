"""Progress output: ``verbose`` prints one line per epoch in the form
scikit-learn's MLP prints, so logs read the same."""

import re

import numpy as np
import pytest

from sknn import MLPClassifier, MLPRegressor

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

LINE = re.compile(
    r"^Iteration (\d+), loss = ([0-9.]+)"
    r"(?:, validation score = (-?[0-9.]+|nan))?"
    r", learning rate = [0-9.eE+-]+, time = [0-9.]+s$"
)


def _epoch_lines(out):
    return [line for line in out.splitlines() if line.startswith("Iteration ")]


def test_one_line_per_epoch(capsys, iris):
    X, y = iris
    clf = MLPClassifier(
        hidden_layer_sizes=(8,), max_iter=7, verbose=1, random_state=0, device="cpu"
    ).fit(X, y)
    lines = _epoch_lines(capsys.readouterr().out)
    assert len(lines) == clf.n_iter_ == 7
    for i, line in enumerate(lines, start=1):
        m = LINE.match(line)
        assert m, line
        assert int(m.group(1)) == i
        # the loss printed is the one recorded, with scikit-learn's 8 decimals
        assert float(m.group(2)) == pytest.approx(clf.loss_curve_[i - 1], abs=1e-8)
        assert m.group(3) is None


def test_validation_score_printed_with_early_stopping(capsys, iris):
    X, y = iris
    clf = MLPClassifier(
        hidden_layer_sizes=(8,),
        max_iter=6,
        early_stopping=True,
        verbose=True,
        random_state=0,
        device="cpu",
    ).fit(X, y)
    lines = _epoch_lines(capsys.readouterr().out)
    assert len(lines) == clf.n_iter_
    printed = [float(LINE.match(line).group(3)) for line in lines]
    np.testing.assert_allclose(printed, clf.validation_scores_, atol=1e-6)


def test_silent_by_default(capsys, iris):
    MLPClassifier(hidden_layer_sizes=(8,), max_iter=3, device="cpu").fit(*iris)
    MLPClassifier(
        hidden_layer_sizes=(8,), solver="lbfgs", max_iter=3, device="cpu"
    ).fit(*iris)
    assert capsys.readouterr().out == ""


def test_stopping_message(capsys, iris_binary):
    X, y = iris_binary
    MLPClassifier(
        tol=0.5,
        n_iter_no_change=3,
        max_iter=100,
        verbose=1,
        random_state=0,
        device="cpu",
    ).fit(X, y)
    out = capsys.readouterr().out
    assert (
        "Training loss did not improve more than tol=0.500000 for 3 "
        "consecutive epochs. Stopping."
    ) in out


def test_partial_fit_prints_its_epoch(capsys, iris):
    X, y = iris
    clf = MLPClassifier(
        hidden_layer_sizes=(8,), max_iter=2, verbose=10, random_state=0, device="cpu"
    )
    clf.fit(X, y)
    clf.partial_fit(X, y)
    lines = _epoch_lines(capsys.readouterr().out)
    # as scikit-learn: the iteration count restarts with every call
    assert [LINE.match(line).group(1) for line in lines] == ["1", "2", "1"]


def test_lbfgs_verbose_says_what_it_does(capsys, regression):
    MLPRegressor(solver="lbfgs", max_iter=5, verbose=1, device="cpu").fit(*regression)
    assert "L-BFGS" in capsys.readouterr().out


def test_verbose_does_not_change_the_fit(capsys, iris):
    X, y = iris
    params = dict(hidden_layer_sizes=(8,), max_iter=5, random_state=0, device="cpu")
    a = MLPClassifier(**params, verbose=1).fit(X, y)
    b = MLPClassifier(**params).fit(X, y)
    np.testing.assert_array_equal(a.coefs_[0], b.coefs_[0])


def test_sklearn_callback_progress_bar(capsys, iris):
    # scikit-learn >= 1.9's callback API; skipped where it does not exist
    callback = pytest.importorskip("sklearn.callback")
    pytest.importorskip("rich", reason="sklearn's ProgressBar needs rich")
    clf = MLPClassifier(hidden_layer_sizes=(8,), max_iter=3, device="cpu")
    clf.set_callbacks(callback.ProgressBar())
    clf.fit(*iris)
    assert clf.n_iter_ == 3
    assert "100%" in capsys.readouterr().out
