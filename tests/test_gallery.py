"""The gallery's stated time budget, checked against the last docs build
(``docs/check_gallery.py``, also run by ``.ci/run`` after the build)."""

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]


def _checker():
    spec = importlib.util.spec_from_file_location(
        "check_gallery", ROOT / "docs" / "check_gallery.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_gallery_states_a_budget():
    budget = _checker().stated_budget()
    assert 0 < budget <= 60


def test_over_budget_and_missing_examples_are_reported():
    check = _checker()
    times = {"a/plot_fast.py": 1.0, "a/plot_slow.py": 25.0}
    problems = check.timing_problems(
        20, times, ["a/plot_fast.py", "a/plot_slow.py", "b/plot_never_run.py"]
    )
    assert len(problems) == 2
    assert problems[0].startswith("a/plot_slow.py: took 25.0 s, over the 20 s")
    assert problems[1].startswith("b/plot_never_run.py: no timing")
    assert check.timing_problems(30, times, list(times)) == []


def test_execution_times_table_is_parsed(tmp_path):
    table = tmp_path / "sg_execution_times.rst"
    table.write_text(
        "   * - :ref:`sphx_glr_x_plot_a.py` (``../examples/x/plot_a.py``)\n"
        "     - 01:02.500\n"
        "     - 0.0\n"
    )
    assert _checker()._from_execution_times(table) == {"plot_a.py": 62.5}


def test_noise_in_printed_output_is_reported(tmp_path):
    """Warnings, tracebacks and matplotlib reprs in an example's printed
    output are reported; ordinary output and the code itself are not."""
    page = tmp_path / "x" / "plot_a.rst"
    page.parent.mkdir()
    out = ".. rst-class:: sphx-glr-script-out\n\n .. code-block:: none\n\n"
    page.write_text(
        ".. code-block:: Python\n\n    warnings.warn('UserWarning: in code')\n\n"
        + out
        + "    test accuracy 0.950\n    best: {'alpha': 0.1}\n\n"
        + out
        + "    /home/u/sknn/_loop.py:475: ConvergenceWarning: Stochastic ...\n"
        + "      warnings.warn(\n\n"
        + out
        + "    [Text(0.5, 1.0, 'title'), Text(0.5, 18.0, 'x')]\n\n"
        + out
        + "    <matplotlib.image.AxesImage object at 0x7f>\n"
        + "    Traceback (most recent call last):\n\n"
    )
    problems = _checker().output_problems(tmp_path)
    assert len(problems) == 4, problems
    assert all(p.startswith("x/plot_a.py printed ") for p in problems)
    assert "ConvergenceWarning" in problems[0] and "Text(" in problems[1]
    assert "AxesImage" in problems[2] and "Traceback" in problems[3]


def test_quickstart_page_shows_the_checked_lines():
    claims = _checker().quickstart_claims()
    assert set(claims) == {"best parameters", "test accuracy"}
    float(claims["test accuracy"])


def test_last_docs_build_kept_the_budget():
    check = _checker()
    if not check.GALLERY.is_dir():
        pytest.skip(
            "no docs build in docs/auto_examples: run sphinx-build first "
            "(.ci/run checks the budget after its build)"
        )
    times = check.example_times()
    assert check.timing_problems(check.stated_budget(), times) == []
    assert check.output_problems() == []
