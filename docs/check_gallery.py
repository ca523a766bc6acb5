"""Check, after a docs build, that the pages' claims about the examples hold.

Run from the repository root after ``sphinx-build`` (``.ci/run`` does)::

    python docs/check_gallery.py            # timings and the quickstart
    python docs/check_gallery.py --no-quickstart

It fails (exit status 1, one line per problem) when

* an example of ``examples/*/plot_*.py`` has no timing in the build (it was
  not run), or took longer than the budget ``examples/README.rst`` states
  ("runs in under N seconds"): the claim and the check read the same number;
* ``examples/quickstart.py``, run here, prints a test accuracy or best
  parameters other than the ones ``docs/quickstart.rst`` shows;
* what an example printed, as its page shows it, holds a warning, a
  traceback, or the repr of matplotlib objects (a list of ``Text(...)``
  that a cell's last ``ax.set(...)`` returned): the reader would see
  noise, and a warning's path names the build machine.

The examples check their other claims themselves, with ``assert`` statements
in their code: a false claim stops the build (``abort_on_example_error``).
"""

import argparse
import json
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GALLERY = ROOT / "docs" / "auto_examples"
BUDGET_CLAIM = re.compile(r"runs in under (\d+) seconds")


def stated_budget(readme=ROOT / "examples" / "README.rst"):
    """The per-example time budget, in seconds, the gallery's text states."""
    text = " ".join(readme.read_text().split())
    found = BUDGET_CLAIM.search(text)
    if found is None:
        raise SystemExit(f"{readme}: no 'runs in under N seconds' claim found")
    return float(found.group(1))


def _from_execution_times(path):
    """{example file name: seconds} from an ``sg_execution_times.rst``."""
    times = {}
    text = path.read_text()
    pattern = r"``[^`]*?(plot_\w+\.py)``\)\s*\n\s*-\s*(\d+):(\d+(?:\.\d+)?)"
    for name, minutes, seconds in re.findall(pattern, text):
        times[name] = 60 * int(minutes) + float(seconds)
    return times


def example_times(gallery=GALLERY):
    """{example path relative to examples/: seconds} of the last build."""
    times = {}
    for cost in gallery.glob("*/plot_*.cost.json"):  # sphinx-gallery >= 0.17
        name = f"{cost.parent.name}/{cost.name[: -len('.cost.json')]}.py"
        times[name] = float(json.loads(cost.read_text())["time"])
    for table in gallery.glob("*/sg_execution_times.rst"):
        for file, seconds in _from_execution_times(table).items():
            times.setdefault(f"{table.parent.name}/{file}", seconds)
    return times


def timing_problems(budget, times, examples=None):
    """One message per example over ``budget`` seconds or without a timing."""
    if examples is None:
        examples = sorted(
            p.relative_to(ROOT / "examples").as_posix()
            for p in (ROOT / "examples").glob("*/plot_*.py")
        )
    problems = []
    for name in examples:
        if name not in times:
            problems.append(f"{name}: no timing in the build (was it run?)")
        elif times[name] > budget:
            problems.append(
                f"{name}: took {times[name]:.1f} s, over the {budget:g} s "
                "that examples/README.rst promises"
            )
    return problems


# what must not appear in an example's printed output
NOISE = re.compile(
    r"\w+Warning: |Traceback \(most recent call last\)|<matplotlib\.|"
    r"^\[?(?:Text|Line2D|Axes|Figure|AxesImage|PathCollection)\(",
    re.M,
)
OUTPUT_BLOCK = re.compile(
    r"^\.\. rst-class:: sphx-glr-script-out\n\n \.\. code-block:: none\n\n"
    r"((?:    .*\n|\n)+)",
    re.M,
)


def output_problems(gallery=GALLERY):
    """One message per example whose printed output, on its page, holds a
    warning, a traceback or a matplotlib repr."""
    problems = []
    for page in sorted(gallery.glob("*/plot_*.rst")):
        for block in OUTPUT_BLOCK.findall(page.read_text()):
            for line in block.splitlines():
                if NOISE.search(line.strip()):
                    name = page.relative_to(gallery).with_suffix(".py").as_posix()
                    problems.append(f"{name} printed {line.strip()[:100]!r}")
    return problems


def quickstart_claims(rst=ROOT / "docs" / "quickstart.rst"):
    """The lines 'best parameters' and 'test accuracy' the page shows."""
    text = rst.read_text()
    return {
        key: re.search(rf"^\s*{key}\s*:\s*(.+)$", text, re.M).group(1).strip()
        for key in ("best parameters", "test accuracy")
    }


def quickstart_problems():
    env = dict(os.environ, MPLBACKEND="Agg", PYTHONPATH=str(ROOT))
    run = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "quickstart.py")],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    printed = {
        m.group(1): m.group(2).strip()
        for m in re.finditer(
            r"^(best parameters|test accuracy)\s*:(.+)$", run.stdout, re.M
        )
    }
    problems = []
    for key, claimed in quickstart_claims().items():
        if printed.get(key) != claimed:
            problems.append(
                f"docs/quickstart.rst shows {key} {claimed!r}; "
                f"examples/quickstart.py printed {printed.get(key)!r}"
            )
    return problems


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--no-quickstart", action="store_true", help="skip running the quickstart"
    )
    args = parser.parse_args(argv)
    if not GALLERY.is_dir():
        print(f"{GALLERY} does not exist: build the docs first", file=sys.stderr)
        return 1
    budget = stated_budget()
    times = example_times()
    problems = timing_problems(budget, times) + output_problems()
    if not args.no_quickstart:
        problems += quickstart_problems()
    slowest = max(times, key=times.get) if times else None
    for p in problems:
        print("FAIL", p)
    if not problems:
        print(
            f"gallery OK: {len(times)} examples, each under {budget:g} s "
            f"(slowest {slowest}, {times[slowest]:.1f} s)"
            + ("" if args.no_quickstart else "; quickstart output matches its page")
        )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
