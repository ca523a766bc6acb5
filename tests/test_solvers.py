"""Training controls: solvers against scikit-learn, learning-rate schedules,
the automatic learning rate, activations and their initialisation."""

import re
import warnings

import numpy as np
import pytest
import sklearn.neural_network as sk_nn
import torch
import torch.nn.functional as F
from numpy.testing import assert_allclose
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

from sknn import MLPClassifier, MLPRegressor

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

SOLVERS = ["sgd", "adam", "adamw", "rmsprop", "adagrad", "lbfgs"]
SKLEARN_SOLVERS = {"sgd", "adam", "lbfgs"}
# a reasonable step size for each solver on standardised data
LR = {"sgd": 0.05, "adam": 0.01, "adamw": 0.01, "rmsprop": 0.003, "adagrad": 0.05}


def _settings(solver, **extra):
    kw = dict(solver=solver, random_state=0, **extra)
    if solver != "lbfgs":
        kw["learning_rate_init"] = LR[solver]
    return kw


def _reference(solver, Est_sk, Est_sknn, settings, data):
    """Test score of scikit-learn's MLP with the same settings where it has
    the solver, else of sknn's adam."""
    X_tr, X_te, y_tr, y_te = data
    if solver in SKLEARN_SOLVERS:
        return Est_sk(**settings).fit(X_tr, y_tr).score(X_te, y_te)
    ref = dict(settings, solver="adam", learning_rate_init=LR["adam"])
    return Est_sknn(**ref, device="cpu").fit(X_tr, y_tr).score(X_te, y_te)


@pytest.fixture(scope="module")
def digits_split(digits):
    X, y = digits
    return train_test_split(X, y, stratify=y, random_state=0)


@pytest.fixture(scope="module")
def diabetes_split(diabetes):
    X, y = diabetes
    return train_test_split(X, y, random_state=0)


@pytest.mark.parametrize("solver", SOLVERS)
def test_solver_on_digits_comparable_to_sklearn(solver, digits_split):
    X_tr, X_te, y_tr, y_te = digits_split
    settings = _settings(solver, hidden_layer_sizes=(16,), max_iter=40)
    ours = MLPClassifier(**settings, device="cpu").fit(X_tr, y_tr).score(X_te, y_te)
    ref = _reference(solver, sk_nn.MLPClassifier, MLPClassifier, settings, digits_split)
    assert ours > 0.9
    assert ours >= ref - 0.05, (ours, ref)


@pytest.mark.parametrize("solver", SOLVERS)
def test_solver_on_diabetes_comparable_to_sklearn(solver, diabetes_split):
    X_tr, X_te, y_tr, y_te = diabetes_split
    settings = _settings(solver, hidden_layer_sizes=(8,), alpha=1.0, max_iter=100)
    ours = MLPRegressor(**settings, device="cpu").fit(X_tr, y_tr).score(X_te, y_te)
    ref = _reference(solver, sk_nn.MLPRegressor, MLPRegressor, settings, diabetes_split)
    assert ours > 0.15  # R^2 well above a constant prediction
    assert ours >= ref - 0.1, (ours, ref)


def test_sgd_momentum_variants_differ_and_train(iris):
    X, y = iris
    coefs = []
    for momentum, nesterov in [(0.0, False), (0.9, False), (0.9, True)]:
        clf = MLPClassifier(
            hidden_layer_sizes=(8,),
            solver="sgd",
            momentum=momentum,
            nesterovs_momentum=nesterov,
            learning_rate_init=0.05,
            max_iter=60,
            random_state=0,
            device="cpu",
        ).fit(X, y)
        assert clf.score(X, y) > 0.85
        coefs.append(clf.coefs_[0])
    assert not np.allclose(coefs[0], coefs[1])
    assert not np.allclose(coefs[1], coefs[2])


def test_adamw_decay_is_decoupled_and_shrinks_weights(iris):
    X, y = iris
    norms = {}
    for solver in ("adam", "adamw"):
        for alpha in (0.0, 0.5):
            clf = MLPClassifier(
                hidden_layer_sizes=(8,),
                solver=solver,
                alpha=alpha,
                learning_rate_init=0.01,
                max_iter=60,
                random_state=0,
                device="cpu",
            ).fit(X, y)
            norms[solver, alpha] = sum(np.square(c).sum() for c in clf.coefs_)
    # without a penalty the two are the same optimizer
    assert_allclose(norms["adam", 0.0], norms["adamw", 0.0], rtol=1e-10)
    assert norms["adamw", 0.5] < norms["adamw", 0.0]
    # and with one they differ (decay on the weights, not in the gradient)
    assert not np.isclose(norms["adam", 0.5], norms["adamw", 0.5])


def test_lbfgs_max_fun_limits_evaluations(digits_binary):
    X, y = digits_binary
    clf = MLPClassifier(
        hidden_layer_sizes=(20,),
        solver="lbfgs",
        max_iter=150,
        max_fun=10,
        random_state=0,
        device="cpu",
    )
    with pytest.warns(ConvergenceWarning):
        clf.fit(X, y)
    assert clf.n_iter_ <= 10
    assert clf.learning_rate_init_ is None


def test_lbfgs_fits_and_records_loss_curve(digits_binary):
    X, y = digits_binary
    clf = MLPClassifier(
        hidden_layer_sizes=(20,),
        solver="lbfgs",
        max_iter=50,
        random_state=0,
        device="cpu",
    ).fit(X, y)
    assert clf.score(X, y) > 0.99
    assert len(clf.loss_curve_) == clf.n_iter_
    assert clf.loss_ == pytest.approx(clf.loss_curve_[-1])
    assert clf.t_ == clf.n_iter_ * X.shape[0]


def test_lbfgs_rejects_dropout(iris):
    with pytest.raises(ValueError, match="dropout"):
        MLPClassifier(solver="lbfgs", dropout=0.2, device="cpu").fit(*iris)


# ---------------------------------------------------------------------------
# Learning-rate schedules, read from the verbose lines
# ---------------------------------------------------------------------------
_RATE = re.compile(r"^Iteration (\d+), .*learning rate = ([0-9.eE+-]+)")


def _printed_rates(capsys, est, X, y):
    """The rate of each epoch of this fit (``learning_rate_curve_``), and
    what the fit printed; the printed rates must say the same."""
    before = len(getattr(est, "loss_curve_", [])) if est.warm_start else 0
    est.fit(X, y)
    out = capsys.readouterr().out
    rates = np.array(est.learning_rate_curve_[before:])
    assert len(rates) == len(est.loss_curve_) - before == est.n_iter_
    printed = [float(m.group(2)) for m in map(_RATE.match, out.splitlines()) if m]
    if est.verbose:
        assert_allclose(printed, rates, rtol=1e-5)  # %.6g in the printed line
    return rates, out


def test_constant_rate(capsys, iris):
    est = MLPClassifier(
        solver="sgd",
        learning_rate="constant",
        learning_rate_init=0.03,
        max_iter=6,
        verbose=1,
        random_state=0,
        device="cpu",
    )
    rates, _ = _printed_rates(capsys, est, *iris)
    assert_allclose(rates, 0.03, rtol=1e-5)


def test_invscaling_rate(capsys, iris):
    X, y = iris
    est = MLPClassifier(
        solver="sgd",
        learning_rate="invscaling",
        power_t=0.5,
        learning_rate_init=0.5,
        max_iter=5,
        verbose=1,
        random_state=0,
        device="cpu",
    )
    rates, _ = _printed_rates(capsys, est, X, y)
    # scikit-learn's rule: lr / (t + 1) ** power_t, t = samples seen before
    # the epoch
    t = np.arange(5) * X.shape[0]
    assert_allclose(rates, 0.5 / (t + 1) ** 0.5, rtol=1e-5)


def test_invscaling_over_warm_start_follows_scikit_learn(capsys, iris):
    X, y = iris
    n = X.shape[0]
    est = MLPClassifier(
        solver="sgd",
        learning_rate="invscaling",
        power_t=0.25,
        learning_rate_init=0.2,
        max_iter=1,
        warm_start=True,
        verbose=1,
        random_state=0,
        device="cpu",
    )
    for _ in range(3):
        rates, _ = _printed_rates(capsys, est, X, y)
        # each warm fit starts a new optimizer at learning_rate_init
        assert_allclose(rates, [0.2], rtol=1e-12)
    # later epochs of a fit follow the carried t_: after 3 epochs, epoch 2
    # of a 3-epoch fit runs at lr / (4 n + 1) ** power_t, epoch 3 at 5 n
    est.set_params(max_iter=3)
    rates, _ = _printed_rates(capsys, est, X, y)
    expected = [0.2, 0.2 / (4 * n + 1) ** 0.25, 0.2 / (5 * n + 1) ** 0.25]
    assert_allclose(rates, expected, rtol=1e-5)
    # partial_fit keeps the optimizer and its rate: no restart
    est.partial_fit(X, y)
    out = capsys.readouterr().out.splitlines()
    rates = [float(m.group(2)) for m in map(_RATE.match, out) if m]
    assert_allclose(rates[-1], 0.2 / (6 * n + 1) ** 0.25, rtol=1e-5)


def test_adaptive_rate_divides_by_five_on_plateau(capsys, iris_binary):
    X, y = iris_binary
    est = MLPClassifier(
        solver="sgd",
        learning_rate="adaptive",
        learning_rate_init=0.1,
        tol=0.5,
        n_iter_no_change=2,
        max_iter=3000,
        verbose=1,
        random_state=0,
        device="cpu",
    )
    rates, out = _printed_rates(capsys, est, X, y)
    assert est.n_iter_ < 3000
    assert "Learning rate too small. Stopping." in out
    steps = np.unique(np.round(rates, 12))[::-1]
    assert steps[0] == pytest.approx(0.1)
    assert_allclose(steps[1:] / steps[:-1], 0.2, rtol=1e-4)
    assert steps[-1] <= 1e-6 * 5
    # the last rate set is at most 1e-6, which ends training
    assert re.findall(r"Setting learning rate to ([0-9.]+)", out)


def test_decay_rate_reaches_one_hundredth(capsys, iris):
    est = MLPClassifier(
        solver="sgd",
        learning_rate="decay",
        learning_rate_init=0.1,
        max_iter=20,
        tol=0.0,
        n_iter_no_change=100,
        verbose=1,
        random_state=0,
        device="cpu",
    )
    rates, _ = _printed_rates(capsys, est, *iris)
    assert rates[0] == pytest.approx(0.1)
    assert rates[-1] == pytest.approx(0.001, rel=1e-4)
    # geometric: the same ratio from one epoch to the next
    ratios = rates[1:] / rates[:-1]
    assert_allclose(ratios, 0.01 ** (1 / 19), rtol=1e-4)


def _schedule(kind, max_iter=28, **extra):
    """A fit that runs all its epochs (no stopping rule), printing its rates."""
    params = dict(
        solver="sgd",
        learning_rate=kind,
        learning_rate_init=0.1,
        max_iter=max_iter,
        tol=0.0,
        n_iter_no_change=1000,
        verbose=1,
        random_state=0,
        device="cpu",
    )
    params.update(extra)
    return MLPClassifier(**params)


def test_cosine_rate_anneals_to_zero(capsys, iris):
    rates, _ = _printed_rates(capsys, _schedule("cosine", max_iter=28), *iris)
    assert len(rates) == 28
    assert rates[0] == 0.1  # exactly the base rate
    t = np.arange(28)
    assert_allclose(rates, 0.1 * 0.5 * (1 + np.cos(np.pi * t / 28)), rtol=1e-12)
    assert np.all(np.diff(rates) < 0)  # strictly decreasing
    assert 0 < rates[-1] < 0.1 * 0.01  # the last epoch runs close to 0


def _local_minima(r):
    """Indices of the local minima of ``r``, its last point included."""
    inner = [i for i in range(1, len(r) - 1) if r[i] < r[i - 1] and r[i] <= r[i + 1]]
    return inner + ([len(r) - 1] if r[-1] < r[-2] else [])


def test_coslog_rate_swings_four_times_on_a_log_scale(capsys, iris):
    T = 70
    rates, _ = _printed_rates(capsys, _schedule("coslog", max_iter=T), *iris)
    assert rates[0] == 0.1
    p = np.arange(T) / T
    expected = 0.1 * 0.01 ** ((1 - np.cos(7 * np.pi * p)) / 2)
    assert_allclose(rates, expected, rtol=1e-12)
    # k = 4 minima, at p = 1/7, 3/7, 5/7 and the end, each near base / 100;
    # back at (near) the base rate between them
    minima = _local_minima(rates)
    assert len(minima) == 4
    assert_allclose(np.array(minima) / T, [1 / 7, 3 / 7, 5 / 7, 1 - 1 / T], atol=1e-9)
    # (the last epoch, p = 69/70, runs just above the floor it ends on)
    assert_allclose(rates[minima[:3]], 0.001, rtol=1e-9)
    assert 0.001 < rates[minima[3]] < 0.0012
    for a, b in zip(minima[:-1], minima[1:]):
        assert rates[a:b].max() == pytest.approx(0.1, rel=0.05)
    assert rates.min() >= 0.001 * (1 - 1e-12) and rates.max() <= 0.1
    # symmetric on the log scale: log(rate) is a cosine between the two ends
    mid = np.log(rates) - 0.5 * (np.log(0.1) + np.log(0.001))
    assert np.abs(mid).max() <= 0.5 * np.log(100) + 1e-9


@pytest.mark.parametrize("kind", ["cosine", "coslog"])
def test_new_schedules_follow_partial_fit_calls(kind, iris):
    """As 'decay': the epochs of every partial_fit call count against
    max_iter, so T calls of partial_fit run the rates of a T-epoch fit."""
    X, y = iris
    T = 9
    fitted = _schedule(kind, max_iter=T, verbose=0).fit(X, y)
    inc = _schedule(kind, max_iter=T, verbose=0)
    for _ in range(T):
        inc.partial_fit(X, y, classes=[0, 1, 2])
    assert_allclose(inc.learning_rate_curve_, fitted.learning_rate_curve_, rtol=1e-12)
    # past max_iter epochs the schedule stays at its end: 'coslog' at
    # base / 100; 'cosine' at 0, which warns that the call cannot learn
    if kind == "coslog":
        inc.partial_fit(X, y)
        assert inc.learning_rate_curve_[-1] == pytest.approx(0.001, rel=1e-12)
    else:
        with pytest.warns(UserWarning, match="cosine.*max_iter=9"):
            inc.partial_fit(X, y)
        assert inc.learning_rate_curve_[-1] == 0.0


def test_cosine_past_its_end_leaves_adam_weights_alone(iris):
    X, y = iris
    est = _schedule("cosine", max_iter=3, verbose=0, solver="adam")
    for _ in range(3):
        est.partial_fit(X, y, classes=[0, 1, 2])
    before = [c.copy() for c in est.coefs_ + est.intercepts_]
    with pytest.warns(UserWarning, match="rate is 0"):
        est.partial_fit(X, y)
    for a, b in zip(before, est.coefs_ + est.intercepts_):
        np.testing.assert_array_equal(a, b)


def test_cosine_over_warm_start_goes_on_where_it_stopped(iris):
    """A warm-start fit goes on along the schedule (as 'decay'): after 10
    epochs, a fit with max_iter=20 runs epochs 10..19 of a 20-epoch cosine,
    then its last 10 epochs at rate 0."""
    X, y = iris
    est = _schedule("cosine", max_iter=10, verbose=0, warm_start=True)
    est.fit(X, y)
    est.set_params(max_iter=20)
    est.fit(X, y)
    t = np.arange(10, 20)
    curve = np.array(est.learning_rate_curve_)
    assert_allclose(curve[10:20], 0.1 * 0.5 * (1 + np.cos(np.pi * t / 20)))
    assert np.all(curve[20:] == 0.0) and len(curve) == 30
    # a further warm fit starts past the end: it warns
    with pytest.warns(UserWarning, match="does not learn"):
        est.set_params(max_iter=2).fit(X, y)


@pytest.mark.parametrize("kind", ["cosine", "coslog"])
@pytest.mark.parametrize("solver", ["adam", "sgd"])
def test_new_schedules_with_early_stopping(kind, solver, iris):
    X, y = iris
    est = MLPClassifier(
        solver=solver,
        learning_rate=kind,
        learning_rate_init=LR[solver],
        early_stopping=True,
        n_iter_no_change=5,
        max_iter=300,
        random_state=0,
        device="cpu",
    ).fit(X, y)
    assert est.n_iter_ < 300
    assert len(est.learning_rate_curve_) == len(est.validation_scores_) == est.n_iter_
    assert est.learning_rate_curve_[0] == LR[solver]
    assert est.best_validation_score_ == max(est.validation_scores_)
    assert est.score(X, y) > 0.8


@pytest.mark.parametrize("kind", ["cosine", "coslog"])
def test_new_schedules_learn(kind, iris):
    X, y = iris
    est = MLPClassifier(
        learning_rate=kind,
        learning_rate_init=0.01,
        max_iter=150,
        random_state=0,
        device="cpu",
    ).fit(X, y)
    assert est.score(X, y) > 0.9


# ---------------------------------------------------------------------------
# learning_rate_init='auto'
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_auto_rate_trains_where_a_large_fixed_rate_fails(solver, digits_split):
    X_tr, X_te, y_tr, y_te = digits_split
    params = dict(
        hidden_layer_sizes=(32,),
        solver=solver,
        max_iter=30,
        random_state=0,
        device="cpu",
    )
    too_large = MLPClassifier(**params, learning_rate_init=10.0)
    try:
        with np.errstate(all="ignore"):
            bad = too_large.fit(X_tr, y_tr).score(X_te, y_te)
    except ValueError as exc:
        assert "non-finite" in str(exc)
        bad = 0.0
    assert bad < 0.3  # chance is 0.1
    auto = MLPClassifier(**params, learning_rate_init="auto").fit(X_tr, y_tr)
    assert isinstance(auto.learning_rate_init_, float)
    assert 0 < auto.learning_rate_init_ < 1.0
    assert auto.score(X_te, y_te) > 0.8


def test_auto_rate_is_reproducible_and_kept_on_warm_start(iris):
    X, y = iris
    params = dict(
        hidden_layer_sizes=(8,),
        learning_rate_init="auto",
        max_iter=5,
        random_state=0,
        device="cpu",
    )
    a = MLPClassifier(**params).fit(X, y)
    b = MLPClassifier(**params).fit(X, y)
    assert a.learning_rate_init_ == b.learning_rate_init_
    a.set_params(warm_start=True)
    found = a.learning_rate_init_
    a.fit(X, y)
    assert a.learning_rate_init_ == found


def test_fixed_rate_reported_as_given(iris):
    clf = MLPClassifier(learning_rate_init=0.0123, max_iter=2, device="cpu").fit(*iris)
    assert clf.learning_rate_init_ == 0.0123


# ---------------------------------------------------------------------------
# Activations and initialisation
# ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "activation",
    ["identity", "logistic", "tanh", "relu", "leaky_relu", "elu", "gelu", "silu"],
)
def test_every_activation_fits(activation, iris):
    X, y = iris
    clf = MLPClassifier(
        hidden_layer_sizes=(16,),
        activation=activation,
        learning_rate_init=0.02,
        max_iter=60,
        random_state=0,
        device="cpu",
    ).fit(X, y)
    assert clf.score(X, y) > 0.85
    # hidden activations come out as the named function of the first layer
    h = clf.hidden_activations(X[:5])[0]
    z = X[:5] @ clf.coefs_[0] + clf.intercepts_[0]
    ref = {
        "identity": lambda t: t,
        "logistic": torch.sigmoid,
        "tanh": torch.tanh,
        "relu": torch.relu,
        "leaky_relu": lambda t: F.leaky_relu(t, 0.01),
        "elu": F.elu,
        "gelu": F.gelu,
        "silu": F.silu,
    }[activation](torch.from_numpy(z)).numpy()
    assert_allclose(h, ref, rtol=1e-10, atol=1e-12)


def _initial_weights(activation, solver="sgd", weight_init="auto"):
    # weight_init='auto' is sknn's ReLU-aware option (He under 'sgd')
    """Weights after one epoch at a negligible rate: the initialisation."""
    rng = np.random.RandomState(0)
    X = rng.randn(64, 300)
    y = rng.randint(0, 2, 64)
    clf = MLPClassifier(
        hidden_layer_sizes=(400, 400),
        activation=activation,
        solver=solver,
        weight_init=weight_init,
        momentum=0.0,
        learning_rate_init=1e-12,
        max_iter=1,
        random_state=0,
        device="cpu",
    ).fit(X, y)
    return clf.coefs_


@pytest.mark.parametrize("activation", ["relu", "leaky_relu", "elu", "gelu", "silu"])
def test_he_initialisation_for_relu_family(activation):
    W0, W1, W2 = _initial_weights(activation)
    # uniform(-sqrt(6 / fan_in), +): standard deviation sqrt(2 / fan_in)
    assert W0.std() == pytest.approx(np.sqrt(2 / 300), rel=0.03)
    assert W1.std() == pytest.approx(np.sqrt(2 / 400), rel=0.03)
    assert np.abs(W1).max() <= np.sqrt(6 / 400)
    # the output layer keeps Glorot: its activation is not the hidden one
    assert W2.std() == pytest.approx(np.sqrt(2 / (400 + 1)), rel=0.1)


@pytest.mark.parametrize(
    "activation, factor", [("tanh", 6.0), ("identity", 6.0), ("logistic", 2.0)]
)
def test_glorot_initialisation_for_others(activation, factor):
    W0, W1, _ = _initial_weights(activation)
    # uniform(-sqrt(factor / (fan_in + fan_out)), +), as scikit-learn
    assert W0.std() == pytest.approx(np.sqrt(factor / 700 / 3), rel=0.03)
    assert W1.std() == pytest.approx(np.sqrt(factor / 800 / 3), rel=0.03)


@pytest.mark.parametrize("solver", ["adam", "adamw", "rmsprop", "adagrad"])
def test_auto_init_is_glorot_under_adaptive_solvers(solver):
    # the adaptive solvers train faster from scikit-learn's smaller weights
    W0, W1, _ = _initial_weights("relu", solver=solver)
    assert W0.std() == pytest.approx(np.sqrt(6 / 700 / 3), rel=0.03)
    assert W1.std() == pytest.approx(np.sqrt(6 / 800 / 3), rel=0.03)


def test_auto_init_is_glorot_under_lbfgs():
    """Under lbfgs the weights after one iteration are still those drawn
    (one step moves them by far less than their spread)."""
    rng = np.random.RandomState(0)
    X, y = rng.randn(64, 300), rng.randint(0, 2, 64)
    clf = MLPClassifier((400, 400), solver="lbfgs", max_iter=1, random_state=0)
    with pytest.warns(ConvergenceWarning):
        clf.fit(X, y)
    W0, W1, _ = clf.coefs_
    assert W0.std() == pytest.approx(np.sqrt(6 / 700 / 3), rel=0.03)
    assert W1.std() == pytest.approx(np.sqrt(6 / 800 / 3), rel=0.05)


def test_explicit_weight_init_overrides_the_solver():
    W0, _, _ = _initial_weights("relu", solver="adam", weight_init="he")
    assert W0.std() == pytest.approx(np.sqrt(2 / 300), rel=0.03)
    W0, _, _ = _initial_weights("relu", solver="sgd", weight_init="glorot")
    assert W0.std() == pytest.approx(np.sqrt(6 / 700 / 3), rel=0.03)
    # 'he' applies to any activation the user asks it for
    W0, _, _ = _initial_weights("tanh", solver="sgd", weight_init="he")
    assert W0.std() == pytest.approx(np.sqrt(2 / 300), rel=0.03)


def test_adam_trains_faster_from_the_auto_init_than_from_he():
    # why 'auto' is Glorot under Adam: Adam's step does not grow with the
    # weights, so from He's larger weights it needs more epochs
    X, y = make_classification(2000, 30, n_informative=15, n_classes=5, random_state=0)
    for seed in range(2):
        losses = {
            init: MLPClassifier(
                (128, 128),
                weight_init=init,
                max_iter=3,
                random_state=seed,
                device="cpu",
            )
            .fit(X, y)
            .loss_
            for init in ("auto", "he")
        }
        assert losses["auto"] < losses["he"] - 0.05


@pytest.mark.parametrize("activation", ["relu", "logistic"])
@pytest.mark.parametrize("solver", ["sgd", "adam"])
@pytest.mark.parametrize("Est", ["MLPClassifier", "MLPRegressor"])
def test_default_init_draws_scikit_learns_weights(Est, solver, activation):
    """The default weight_init='glorot' starts from scikit-learn's very weights
    (same generator, same order, output layer included), whatever the solver."""
    import sklearn.neural_network as sk_nn

    import sknn

    rng = np.random.RandomState(0)
    X = rng.randn(40, 7)
    y = rng.randint(0, 3, 40) if Est == "MLPClassifier" else rng.randn(40)
    params = dict(
        hidden_layer_sizes=(6, 5),
        activation=activation,
        solver=solver,
        momentum=0.0,
        learning_rate_init=1e-12,
        max_iter=1,
        random_state=3,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ref = getattr(sk_nn, Est)(**params).fit(X, y)
        ours = getattr(sknn, Est)(**params, device="cpu").fit(X, y)
    assert ours.weight_init == "glorot"
    for a, b in zip(ours.coefs_ + ours.intercepts_, ref.coefs_ + ref.intercepts_):
        assert_allclose(a, b, rtol=0, atol=1e-9)


def test_he_init_keeps_relu_activations_from_shrinking():
    # the point of matching the initialisation to the activation: with He,
    # ReLU activations keep their scale through depth
    rng = np.random.RandomState(1)
    X = rng.randn(200, 100)
    y = rng.randint(0, 2, 200)
    clf = MLPClassifier(
        hidden_layer_sizes=(100,) * 6,
        solver="sgd",
        weight_init="he",
        momentum=0.0,
        learning_rate_init=1e-12,
        max_iter=1,
        random_state=0,
        device="cpu",
    ).fit(X, y)
    rms = [np.sqrt(np.mean(a**2)) for a in clf.hidden_activations(X)]
    assert rms[-1] / rms[0] > 0.5
