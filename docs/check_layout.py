"""Look at the built pages in headless Chromium: what does not fit its box.

Run from the repository root after ``sphinx-build`` (not part of ``.ci/run``:
it needs Chromium and the ``playwright`` package, neither of which CI
installs)::

    pip install playwright          # the Python driver only, no browser
    apt-get install chromium        # or any Chromium; pass --chromium PATH
    python docs/check_layout.py                      # widths 1280 and 1440
    python docs/check_layout.py --width 1024 --shots /tmp/shots

Every page of ``docs/_build/html`` is opened at each width, and every code
block, table and image of the article that is wider than its box (so that
the reader must scroll it sideways, or a part is cut off) is listed with its
page and its longest line. ``--shots DIR`` also saves a full-page screenshot
of a few key pages for a person to look at. Exit status 1 when something
overflows.
"""

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUILD = ROOT / "docs" / "_build" / "html"
KEY_PAGES = [
    "index",
    "user_guide/tabular",
    "api",
    "auto_examples/index",
    "auto_examples/training/plot_tabular",
    "gen_modules/sknn.TabularMLPClassifier",
]
# the elements of the article that can be too wide; MathJax's own spans are
# left out (they measure a pixel or two wider than their box by design)
OVERFLOW_JS = """() => {
  const out = [];
  const boxes = document.querySelectorAll('article pre, article table, article img');
  for (const el of boxes) {
    if (el.scrollWidth > el.clientWidth + 2) {
      const lines = (el.innerText || el.getAttribute('src') || '').split('\\n');
      const longest = lines.reduce((a, b) => (b.length > a.length ? b : a), '');
      out.push([el.tagName.toLowerCase(), el.scrollWidth - el.clientWidth,
                longest.trim().slice(0, 90)]);
    }
  }
  return out;
}"""
# Chromium started as the closed network here needs: no background fetches
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def pages(build):
    skip = {"_static", "_sources", "_images", "_downloads"}
    return sorted(
        p
        for p in build.rglob("*.html")
        if not skip.intersection(p.relative_to(build).parts)
        and p.name not in ("genindex.html", "search.html")
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", type=Path, default=BUILD)
    parser.add_argument("--width", type=int, action="append")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    parser.add_argument("--shots", type=Path, help="save screenshots here")
    args = parser.parse_args(argv)
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        print("needs the playwright package: pip install playwright", file=sys.stderr)
        return 2
    if not args.build.is_dir():
        print(f"{args.build} does not exist: build the docs first", file=sys.stderr)
        return 2
    widths = args.width or [1280, 1440]
    found = 0
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=args.chromium, args=CHROMIUM_ARGS)
        for width in widths:
            page = browser.new_page(viewport={"width": width, "height": 900})
            for path in pages(args.build):
                page.goto(path.resolve().as_uri())
                for tag, excess, line in page.evaluate(OVERFLOW_JS):
                    found += 1
                    name = path.relative_to(args.build).as_posix()
                    print(f"{width}px {name}: {tag} {excess}px too wide: {line!r}")
            if args.shots:
                args.shots.mkdir(parents=True, exist_ok=True)
                for key in KEY_PAGES:
                    page.goto((args.build / f"{key}.html").resolve().as_uri())
                    shot = args.shots / f"{key.replace('/', '_')}-{width}.png"
                    page.screenshot(path=str(shot), full_page=True)
            page.close()
        browser.close()
    n_pages = len(pages(args.build))
    print(
        f"{n_pages} pages at {', '.join(f'{w}px' for w in widths)}: "
        + (f"{found} elements too wide" if found else "nothing too wide")
    )
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
