"""label_smoothing: the classifiers' soft training targets.

A softmax target becomes ``(1 - eps) * onehot + eps / K``, a logistic unit's
0/1 label ``(1 - eps) * y + eps / 2``; the engine's gradient must be that of
the cross-entropy against those targets (checked against autograd of the
formula written out), eps=0 must train exactly as before, and the option
must reach every solver, weighting and partial_fit.
"""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import make_blobs, make_multilabel_classification
from sklearn.model_selection import GridSearchCV
from sklearn.utils._param_validation import InvalidParameterError

from sknn import MLPClassifier, MLPRegressor, MultiLabelMLP, TabularMLPClassifier

torch = pytest.importorskip("torch")
F = torch.nn.functional

from sknn._engine.layers import Activation  # noqa: E402
from sknn._engine.losses import LOSSES  # noqa: E402
from sknn._engine.network import Network  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

KW = dict(dtype=torch.float64, device=torch.device("cpu"))
CPU = dict(device="cpu", random_state=0)


# ---------------------------------------------------------------------------
# The engine: gradient of the smoothed loss against autograd of the formula
# ---------------------------------------------------------------------------
def _reference_loss(kind, z, y, w, pw, eps):
    """The smoothed cross-entropy written out (summed over the samples,
    weighted by ``w``), independent of the engine's (weight, target)."""
    if kind == "softmax":
        k = z.shape[1]
        soft = (1 - eps) * F.one_hot(y, k).to(z.dtype) + eps / k
        per_row = -(soft * torch.log_softmax(z, dim=1)).sum(dim=1)
        # torch's own label smoothing says the same
        torch_ce = F.cross_entropy(z, y, reduction="none", label_smoothing=eps)
        torch.testing.assert_close(per_row, torch_ce)
        return (w * per_row).sum()
    soft = (1 - eps) * y + eps / 2
    pw = torch.ones(z.shape[1], dtype=z.dtype) if pw is None else pw
    per_unit = -(
        pw * soft * F.logsigmoid(z) + (1 - soft) * F.logsigmoid(-z)
    )  # the positive part weighed by pos_weight
    torch_bce = F.binary_cross_entropy_with_logits(
        z, soft, pos_weight=pw, reduction="none"
    )
    torch.testing.assert_close(per_unit, torch_bce)
    return (w[:, None] * per_unit).sum()


CASES = [
    ("softmax", False, False),
    ("softmax", True, False),
    ("binary", False, False),
    ("binary", True, False),
    ("multilabel", False, False),
    ("multilabel", True, False),
    ("multilabel", True, True),
    ("multilabel", False, True),
]


@pytest.mark.parametrize("eps", [0.0, 0.1, 0.35])
@pytest.mark.parametrize("kind, weighted, pos_weight", CASES)
def test_smoothed_gradient_matches_autograd_of_formula(kind, weighted, pos_weight, eps):
    rng = np.random.RandomState(0)
    n, d, k = 19, 5, 4
    if kind == "softmax":
        y = rng.randint(0, k, n)
        loss, n_out = "cross_entropy", k
    else:
        n_out = 1 if kind == "binary" else 3
        y = rng.randint(0, 2, (n, n_out)).astype(float)
        loss = "binary_cross_entropy"
    sw = rng.uniform(0.2, 3.0, n) if weighted else None
    pw = rng.uniform(0.5, 4.0, n_out) if pos_weight else None
    sizes = [d, 7, n_out]
    net = Network(sizes, "tanh", loss, torch.float64, torch.device("cpu"))
    gen = torch.Generator().manual_seed(1)
    net.params.copy_(torch.randn(net.params.shape, generator=gen, dtype=KW["dtype"]))
    X = torch.from_numpy(rng.randn(n, d))
    targets = LOSSES[loss].targets(y, sw, KW, n_out, pw, smoothing=eps)
    idx = torch.arange(n)
    scale = targets.scale(idx, n)
    alpha = 0.01
    net.training_layers(n, [0.0, 0.0])
    fast = float(
        net.loss_and_grad(X, targets.take(idx), alpha, [0.0, 0.0], None, scale)
    )
    grad_fast = net.grads.clone()

    leaf = net.params.detach().clone().requires_grad_(True)
    W, b = net._views(leaf)
    z = net.forward_reference(X, W, b, Activation("tanh"))
    w = torch.ones(n, **KW) if sw is None else torch.from_numpy(sw)
    pw_t = None if pw is None else torch.from_numpy(pw)
    y_t = torch.from_numpy(y)
    coef = leaf[: net.n_coef]
    ref = (
        _reference_loss(kind, z, y_t, w, pw_t, eps) + 0.5 * alpha * coef @ coef
    ) / w.sum()
    (grad_ref,) = torch.autograd.grad(ref, leaf)
    assert fast == pytest.approx(ref.item(), rel=1e-10)
    torch.testing.assert_close(grad_fast, grad_ref, rtol=1e-9, atol=1e-12)


def test_softmax_targets_sum_to_the_weight():
    y = np.array([0, 2, 1, 2])
    sw = np.array([1.0, 2.0, 0.5, 0.0])
    t = LOSSES["cross_entropy"].targets(y, sw, KW, 3, smoothing=0.3)
    assert_allclose(t.target.sum(dim=1).numpy(), sw)
    assert_allclose(t.target[0].numpy(), [0.8, 0.1, 0.1])


def test_regression_losses_refuse_smoothing():
    y = np.zeros((3, 1))
    for name in ("squared_error", "poisson"):
        LOSSES[name].targets(y, None, KW, 1)  # eps = 0: fine
        with pytest.raises(ValueError, match="classification"):
            LOSSES[name].targets(y, None, KW, 1, smoothing=0.1)


# ---------------------------------------------------------------------------
# The estimators
# ---------------------------------------------------------------------------
def _blobs(k, n=120):
    return make_blobs(n, centers=k, cluster_std=0.1, center_box=(-5, 5), random_state=0)


@pytest.mark.parametrize("k", [2, 3])
def test_probabilities_become_less_extreme(k):
    """On separable data the fit drives the probabilities towards the
    smoothed targets, 1 - eps + eps / K for the true class, not to 1."""
    X, y = _blobs(k)
    eps = 0.2
    params = dict(hidden_layer_sizes=(16,), solver="lbfgs", max_iter=500, **CPU)
    hard = MLPClassifier(**params).fit(X, y).predict_proba(X).max(axis=1)
    soft_clf = MLPClassifier(**params, label_smoothing=eps).fit(X, y)
    soft = soft_clf.predict_proba(X).max(axis=1)
    assert hard.max() > 0.999
    target = 1 - eps + eps / k
    assert soft.max() < 1 - eps / 2 + 0.01  # the task's bound (binary: = target)
    assert soft.max() < target + 0.01
    assert soft.mean() == pytest.approx(target, abs=0.01)
    assert soft_clf.score(X, y) == 1.0


def test_probabilities_less_extreme_with_adam():
    X, y = _blobs(3)
    params = dict(hidden_layer_sizes=(16,), max_iter=300, learning_rate_init=0.01)
    hard = MLPClassifier(**params, **CPU).fit(X, y).predict_proba(X).max(axis=1)
    soft = MLPClassifier(**params, **CPU, label_smoothing=0.2).fit(X, y)
    p = soft.predict_proba(X).max(axis=1)
    assert p.max() < hard.max()
    assert p.mean() < 1 - 0.2 / 2 + 0.02
    assert hard.mean() > 0.99


@pytest.mark.parametrize(
    "Est, y_kind, solver",
    [
        (MLPClassifier, "multiclass", "adam"),
        (MLPClassifier, "binary", "sgd"),
        (MLPClassifier, "multiclass", "lbfgs"),
        (MLPClassifier, "multilabel", "adam"),
        (MultiLabelMLP, "multilabel", "adam"),
        (MultiLabelMLP, "multilabel", "lbfgs"),
    ],
)
def test_zero_is_the_default_bit_for_bit(Est, y_kind, solver):
    X, y = _data(y_kind)
    params = dict(hidden_layer_sizes=(8,), solver=solver, max_iter=15, **CPU)
    a = Est(**params).fit(X, y)
    b = Est(**params, label_smoothing=0.0).fit(X, y)
    for ca, cb in zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_):
        assert_array_equal(ca, cb)
    assert a.loss_curve_ == b.loss_curve_


def _data(y_kind):
    rng = np.random.RandomState(0)
    X = rng.randn(60, 4)
    if y_kind == "multiclass":
        return X, (X[:, 0] > 0).astype(int) + (X[:, 1] > 0.5).astype(int)
    if y_kind == "binary":
        return X, (X[:, 0] + X[:, 1] > 0).astype(int)
    X, Y = make_multilabel_classification(60, n_features=4, n_classes=3, random_state=0)
    return X, Y


@pytest.mark.parametrize("Est", [MLPClassifier, MultiLabelMLP, TabularMLPClassifier])
@pytest.mark.parametrize("bad", [-0.1, 1.0, 1.5, "a", None])
def test_invalid_values_raise(Est, bad):
    X, y = _data("multilabel" if Est is MultiLabelMLP else "binary")
    with pytest.raises(InvalidParameterError, match="label_smoothing"):
        Est(label_smoothing=bad, max_iter=2, device="cpu").fit(X, y)


def test_regressor_has_no_label_smoothing():
    assert "label_smoothing" not in MLPRegressor().get_params()
    with pytest.raises(TypeError):
        MLPRegressor(label_smoothing=0.1)


def _changes(Est, X, y, fit_kw=None, **params):
    """Weights of a short fit with and without smoothing: they must differ."""
    base = dict(hidden_layer_sizes=(8,), max_iter=10, **CPU, **params)
    fit_kw = fit_kw or {}
    a = Est(**base).fit(X, y, **fit_kw)
    b = Est(**base, label_smoothing=0.2).fit(X, y, **fit_kw)
    assert not np.allclose(a.coefs_[-1], b.coefs_[-1])
    return a, b


@pytest.mark.parametrize("solver", ["adam", "sgd", "lbfgs"])
@pytest.mark.parametrize("y_kind", ["binary", "multiclass", "multilabel"])
def test_every_solver_and_target_kind(solver, y_kind):
    X, y = _data(y_kind)
    _, b = _changes(MLPClassifier, X, y, solver=solver)
    assert np.isfinite(b.loss_)


def test_sample_weight_zero_weight_equals_dropping_the_rows():
    """Smoothing does not leak weight: a sample of weight 0 still counts for
    nothing (its smoothed target is multiplied by 0 too)."""
    X, y = _data("multiclass")
    sw = np.ones(len(y))
    sw[::3] = 0.0
    params = dict(hidden_layer_sizes=(8,), solver="lbfgs", max_iter=30, **CPU)
    params["label_smoothing"] = 0.2
    weighted = MLPClassifier(**params).fit(X, y, sample_weight=sw)
    dropped = MLPClassifier(**params).fit(X[sw > 0], y[sw > 0])
    assert_allclose(weighted.coefs_[0], dropped.coefs_[0], rtol=1e-6, atol=1e-8)
    # integer weights repeat samples
    sw2 = np.where(np.arange(len(y)) % 2, 2.0, 1.0)
    rep = np.repeat(np.arange(len(y)), sw2.astype(int))
    w2 = MLPClassifier(**params).fit(X, y, sample_weight=sw2)
    r2 = MLPClassifier(**params).fit(X[rep], y[rep])
    assert_allclose(w2.coefs_[0], r2.coefs_[0], rtol=1e-5, atol=1e-7)


def test_class_weight_and_pos_weight():
    X, y = _data("binary")
    _changes(MLPClassifier, X, y, class_weight="balanced")
    X, Y = _data("multilabel")
    _changes(MultiLabelMLP, X, Y, pos_weight="balanced")


def test_multilabel_probabilities_stay_off_zero_and_one():
    # four tight clusters; label 0: clusters {0, 1}, label 1: clusters {0, 2}
    X, c = _blobs(4)
    Y = np.column_stack([np.isin(c, [0, 1]), np.isin(c, [0, 2])]).astype(int)
    params = dict(hidden_layer_sizes=(16,), solver="lbfgs", max_iter=500, **CPU)
    hard = MultiLabelMLP(**params).fit(X, Y).predict_proba(X)
    soft = MultiLabelMLP(**params, label_smoothing=0.2).fit(X, Y).predict_proba(X)
    assert hard.min() < 1e-3 and hard.max() > 1 - 1e-3
    # each label's targets are 0.1 and 0.9 (1 - eps / 2)
    assert soft.min() > 0.1 - 0.05 and soft.max() < 0.9 + 0.05
    assert_allclose(np.where(Y == 1, soft, 1 - soft).mean(), 0.9, atol=0.01)


def test_partial_fit_uses_smoothing():
    X, y = _data("multiclass")
    classes = np.unique(y)
    a = MLPClassifier((8,), **CPU)
    b = MLPClassifier((8,), label_smoothing=0.3, **CPU)
    for _ in range(5):
        a.partial_fit(X, y, classes=classes)
        b.partial_fit(X, y, classes=classes)
    assert not np.allclose(a.coefs_[-1], b.coefs_[-1])
    # partial_fit and fit run the same smoothed epochs (full-batch sgd)
    params = dict(solver="sgd", batch_size=len(y), shuffle=False, momentum=0.0)
    inc = MLPClassifier((8,), label_smoothing=0.3, **params, **CPU)
    for _ in range(4):
        inc.partial_fit(X, y, classes=classes)
    full = MLPClassifier((8,), label_smoothing=0.3, max_iter=4, **params, **CPU)
    full.fit(X, y)
    assert_allclose(inc.coefs_[0], full.coefs_[0], rtol=1e-10)
    assert_allclose(inc.loss_curve_, full.loss_curve_, rtol=1e-10)


def test_smoothing_changes_the_training_loss_not_the_validation_score():
    """The loss is against the smoothed targets (it cannot reach 0); early
    stopping scores the true labels (accuracy, which can reach 1)."""
    X, y = _blobs(3, n=200)
    params = dict(
        hidden_layer_sizes=(16,),
        learning_rate_init=0.01,
        early_stopping=True,
        n_iter_no_change=50,
        max_iter=200,
        **CPU,
    )
    clf = MLPClassifier(**params, label_smoothing=0.2).fit(X, y)
    assert clf.best_validation_score_ == 1.0
    # the cross-entropy against targets (0.867, 0.067, 0.067) is at least
    # their entropy
    soft = np.array([1 - 0.2 + 0.2 / 3, 0.2 / 3, 0.2 / 3])
    assert min(clf.loss_curve_) > -(soft * np.log(soft)).sum() - 1e-6


def test_grid_search_and_tabular_pass_it_through():
    X, y = _data("binary")
    search = GridSearchCV(
        MLPClassifier((4,), max_iter=5, **CPU),
        {"label_smoothing": [0.0, 0.1]},
        cv=2,
    ).fit(X, y)
    assert search.best_params_["label_smoothing"] in (0.0, 0.1)
    tab = TabularMLPClassifier(n_ensemble=1, max_iter=3, random_state=0, device="cpu")
    assert tab.get_params()["label_smoothing"] == 0.1  # the tabular recipe
    tab.set_params(label_smoothing=0.15).fit(X, y)
    assert tab.estimators_[0].label_smoothing == 0.15


def test_unpickled_old_model_defaults_to_no_smoothing():
    X, y = _data("binary")
    clf = MLPClassifier((4,), max_iter=3, **CPU).fit(X, y)
    state = clf.__getstate__()
    del state["label_smoothing"]
    old = MLPClassifier.__new__(MLPClassifier)
    old.__setstate__(state)
    assert old.get_params()["label_smoothing"] == 0.0
    old.fit(X, y)
