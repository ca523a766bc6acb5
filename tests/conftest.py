"""Shared tiny data sets for the sknn tests.

Every fixture returns plain numpy arrays, scaled so that a small network
trains in a few epochs.  The session-scoped ones are built once; tests must
not write into them (copy first when a test needs to change the data).
"""

import os

# The tests fit many tiny networks.  On a small machine shared with other
# work, torch's intra-op thread pool costs far more than it saves on such
# sizes (fits run 10-50x slower under contention), so the test session runs
# torch on one thread unless the caller chose otherwise.  This has to happen
# before torch is first imported, which is why it sits at the top of the
# conftest and not in a fixture.
os.environ.setdefault("OMP_NUM_THREADS", "1")

import pytest  # noqa: E402
from sklearn.datasets import (  # noqa: E402
    load_diabetes,
    load_digits,
    load_iris,
    make_classification,
    make_multilabel_classification,
    make_regression,
)
from sklearn.preprocessing import StandardScaler  # noqa: E402


def _frozen(*arrays):
    """Make fixture arrays read-only so a test that writes into shared data
    fails loudly instead of corrupting the next test."""
    for a in arrays:
        a.setflags(write=False)
    return arrays


@pytest.fixture(scope="session")
def iris():
    """Iris, standardised: 150 samples, 4 features, 3 classes."""
    X, y = load_iris(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    return _frozen(X, y)


@pytest.fixture(scope="session")
def iris_binary(iris):
    """The first two iris classes (100 samples, labels 0 and 1)."""
    X, y = iris
    keep = y < 2
    return _frozen(X[keep].copy(), y[keep].copy())


@pytest.fixture(scope="session")
def digits():
    """The first 500 digits, pixels scaled to [0, 1]: 64 features, 10 classes."""
    X, y = load_digits(return_X_y=True)
    return _frozen(X[:500] / 16.0, y[:500].copy())


@pytest.fixture(scope="session")
def digits_binary():
    """Digits 0 and 1 (first 200 of them), pixels scaled to [0, 1]."""
    X, y = load_digits(n_class=2, return_X_y=True)
    return _frozen(X[:200] / 16.0, y[:200].copy())


@pytest.fixture(scope="session")
def diabetes():
    """Diabetes with standardised X and y: 442 samples, 10 features."""
    X, y = load_diabetes(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    y = (y - y.mean()) / y.std()
    return _frozen(X, y)


@pytest.fixture(scope="session")
def regression():
    """A small linear regression problem with noise, standardised y:
    200 samples, 8 features."""
    X, y = make_regression(
        n_samples=200, n_features=8, n_informative=5, noise=5.0, random_state=0
    )
    y = (y - y.mean()) / y.std()
    return _frozen(X, y)


@pytest.fixture(scope="session")
def regression_multi():
    """Three regression targets at once: y of shape (200, 3)."""
    X, Y = make_regression(
        n_samples=200,
        n_features=8,
        n_informative=6,
        n_targets=3,
        noise=2.0,
        random_state=1,
    )
    Y = (Y - Y.mean(axis=0)) / Y.std(axis=0)
    return _frozen(X, Y)


@pytest.fixture(scope="session")
def multilabel():
    """A 0/1 indicator matrix with 4 labels: X (200, 10), Y (200, 4)."""
    X, Y = make_multilabel_classification(
        n_samples=200, n_features=10, n_classes=4, n_labels=2, random_state=0
    )
    X = StandardScaler().fit_transform(X)
    return _frozen(X, Y)


@pytest.fixture(scope="session")
def imbalanced():
    """A binary problem with about 8% positives (class 1), overlapping
    classes so that an unweighted model sacrifices the minority class."""
    X, y = make_classification(
        n_samples=600,
        n_features=6,
        n_informative=3,
        n_redundant=0,
        weights=[0.92, 0.08],
        class_sep=0.6,
        flip_y=0.0,
        random_state=3,
    )
    X = StandardScaler().fit_transform(X)
    return _frozen(X, y)


def pytest_generate_tests(metafunc):
    """scikit-learn's ``global_random_seed`` fixture, as its conftest defines
    it: seed 42 unless SKLEARN_TESTS_GLOBAL_RANDOM_SEED names a seed, a range
    "a-b" or "all" (0-99).  Used by scikit-learn's own test file
    (tests/test_upstream_mlp.py)."""
    if "global_random_seed" not in metafunc.fixturenames:
        return
    spec = os.environ.get("SKLEARN_TESTS_GLOBAL_RANDOM_SEED")
    if spec is None:
        seeds = [42]
    elif spec == "all":
        seeds = list(range(100))
    elif "-" in spec:
        start, stop = spec.split("-")
        seeds = list(range(int(start), int(stop) + 1))
    else:
        seeds = [int(spec)]
    if min(seeds) < 0 or max(seeds) > 99:
        raise ValueError(
            "SKLEARN_TESTS_GLOBAL_RANDOM_SEED must name seeds in [0, 99] "
            f"(or 'all'), got {spec!r}"
        )
    metafunc.parametrize("global_random_seed", seeds)


def pytest_collection_modifyitems(config, items):
    """Per-test-id marks for modules that re-export tests they do not own
    (tests/test_upstream_mlp.py): a module-level ``MARKS_BY_ID`` maps a test
    id (``name[params]``) or a bare test name (every parametrization) to a
    list of pytest marks."""
    for item in items:
        module = getattr(item, "module", None)
        table = getattr(module, "MARKS_BY_ID", None)
        if not table:
            continue
        keys = dict.fromkeys((item.name, getattr(item, "originalname", item.name)))
        for key in keys:
            for mark in table.get(key, ()):
                item.add_marker(mark)
