"""Settings for the doctests of the ``sknn`` package (``tests/conftest.py``
covers the test suite).

The docstring examples fit networks for a handful of epochs so that they
run in a moment; stopping at ``max_iter`` is what they mean to do, so the
``ConvergenceWarning`` it raises is silenced in the doctests only.
"""

import pytest


def pytest_collection_modifyitems(items):
    for item in items:
        if isinstance(item, pytest.DoctestItem):
            item.add_marker(
                pytest.mark.filterwarnings(
                    "ignore::sklearn.exceptions.ConvergenceWarning"
                )
            )
