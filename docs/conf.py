"""Sphinx configuration of the sknn documentation.

Build the site, running every gallery example, with::

    pip install -e ".[docs]"
    sphinx-build -W --keep-going -b html docs docs/_build/html

Cross-links to Python, numpy, scipy, scikit-learn, torch and matplotlib come
from intersphinx when their inventories can be fetched; each inventory is
probed first (a few seconds at most) and left out when unreachable, so the
build also passes with ``-W`` on a machine without internet.  Set
``SKNN_DOCS_OFFLINE=1`` to skip the probe altogether.
"""

import os
import re
import urllib.request
from concurrent.futures import ThreadPoolExecutor

# The gallery draws with matplotlib; no window, ever.
os.environ.setdefault("MPLBACKEND", "Agg")
import matplotlib

matplotlib.use("Agg")

from sphinx.util import logging as sphinx_logging

import sknn

# -- Project ------------------------------------------------------------------
project = "sknn"
author = "The sknn developers"
copyright = "the sknn developers"  # noqa: A001 (Sphinx's name)
release = sknn.__version__
version = ".".join(release.split(".")[:2])

# -- General ------------------------------------------------------------------
extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
    # MathJax 3 copied into _static (the pip package ships it), so that math
    # renders offline and no page loads a script from a CDN
    "sphinx-mathjax-offline",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "sphinx_copybutton",
]

templates_path = ["_templates"]
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store", "**.ipynb_checkpoints"]
root_doc = "index"
default_role = "literal"
pygments_style = "sphinx"

# -- autodoc / autosummary ----------------------------------------------------
autosummary_generate = True
autodoc_typehints = "none"
autoclass_content = "class"
autodoc_default_options = {"member-order": "groupwise"}

# -- numpydoc -----------------------------------------------------------------
# autosummary's class template lists the methods; numpydoc only renders the
# docstring sections.
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True
# Validate our own docstrings during the build (a failure is a warning, so an
# error under -W).  Left out: checks that scikit-learn's own conventions break
# on purpose (a named ``self : object`` return, summaries that start with a
# noun) and sections we do not require on every method (extended summary,
# See Also, Examples: each public class has its Examples section).
numpydoc_validation_checks = {"all", "ES01", "SA01", "EX01", "RT02", "SS05", "GL08"}
# Methods and members inherited from scikit-learn, Python's exceptions and
# numpy: not ours to fix.
numpydoc_validation_exclude = {
    r"\.get_params$",
    r"\.set_params$",
    r"\.score$",
    r"\.get_metadata_routing$",
    r"\.set_\w+_request$",
    r"\.add_note$",
    r"\.with_traceback$",
    r"\.__\w+__$",
}

# -- intersphinx: only the inventories we can reach ---------------------------
_INVENTORIES = {
    "python": "https://docs.python.org/3",
    "numpy": "https://numpy.org/doc/stable",
    "scipy": "https://docs.scipy.org/doc/scipy",
    "sklearn": "https://scikit-learn.org/stable",
    "torch": "https://docs.pytorch.org/docs/stable",
    "matplotlib": "https://matplotlib.org/stable",
}


def _reachable(base_url, timeout=3.0):
    """Whether ``base_url/objects.inv`` answers within ``timeout`` seconds."""
    try:
        with urllib.request.urlopen(f"{base_url}/objects.inv", timeout=timeout) as r:
            return r.status == 200 and bool(r.read(1))
    except Exception:  # offline, DNS failure, timeout, HTTP error: all "no"
        return False


def _intersphinx_mapping():
    if os.environ.get("SKNN_DOCS_OFFLINE", "").lower() in ("1", "true", "yes"):
        return {}
    with ThreadPoolExecutor(len(_INVENTORIES)) as pool:
        ok = dict(zip(_INVENTORIES, pool.map(_reachable, _INVENTORIES.values())))
    return {name: (url, None) for name, url in _INVENTORIES.items() if ok[name]}


intersphinx_mapping = _intersphinx_mapping()
intersphinx_timeout = 10

# -- sphinx-gallery -----------------------------------------------------------
sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    # every examples/<topic>/plot_*.py is executed during the build ...
    "filename_pattern": r"[\\/]plot_",
    # ... and nothing else is a gallery item: quickstart.py (the README's
    # script) and any helper module stay out.
    "ignore_pattern": r"^(?!plot_).*\.py$",
    "subsection_order": [
        "../examples/basics",
        "../examples/training",
        "../examples/regularization",
        "../examples/gpu",
        "../examples/scaling",
        "../examples/plotting",
        "../examples/export",
        "*",  # a new sub-gallery goes last instead of failing the build
    ],
    "within_subsection_order": "FileNameSortKey",
    "backreferences_dir": "gen_modules/backreferences",
    "doc_module": ("sknn",),
    # Ignored (and reported at info level) by sphinx-gallery >= 0.20, which
    # resolves links from the docs being built; older releases need it.
    "reference_url": {"sknn": None},
    "image_scrapers": ("matplotlib",),
    "plot_gallery": "True",
    "abort_on_example_error": True,
    "remove_config_comments": True,
    "show_memory": False,
    "min_reported_time": 1,
}

# -- HTML ---------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"sknn {release}"
html_theme_options = {
    "navbar_align": "left",
    "header_links_before_dropdown": 6,
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc", "sourcelink"],
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version", "theme-version"],
}
html_context = {"default_mode": "auto"}
# Top-level pages without sub-pages have nothing for the left "Section
# Navigation": drop that column there instead of showing it empty.
html_sidebars = {
    "install": [],
    "quickstart": [],
    "performance": [],
    "changelog": [],
}
html_static_path = ["_static"]
html_css_files = ["sknn.css"]
# "On this page" of an API page lists fit(), not MLPClassifier.fit()
toc_object_entries_show_parents = "hide"
html_show_sourcelink = True

# -- copybutton: copy the code, not the prompts or the output -----------------
copybutton_prompt_text = r">>> |\.\.\. |\$ "
copybutton_prompt_is_regexp = True
copybutton_only_copy_prompt_lines = False

# -- Every public name of sknn is documented -----------------------------------
# docs/api.rst lists the public names in sections, each with its own page.  A
# name in ``sknn.__all__`` that api.rst does not list yet is still documented:
# it is appended to the API page under "Other public names" (and the build
# says so), so the reference never silently misses part of the public API.
_log = sphinx_logging.getLogger(__name__)


def _listed_in_api(text):
    """Names listed as entries of the autosummary blocks of api.rst."""
    return set(re.findall(r"^ {3}~?(?:sknn\.)?([A-Za-z_]\w*)\s*$", text, re.M))


def _document_unlisted_names(app, docname, source):
    if docname != "api":
        return
    listed = _listed_in_api(source[0])
    missing = [n for n in sknn.__all__ if not n.startswith("_") and n not in listed]
    if not missing:
        return
    _log.info(
        "api.rst does not list %s yet; documenting them under 'Other public names'.",
        ", ".join(missing),
    )
    lines = ["", "Other public names", "------------------", ""]
    for name in missing:
        obj = getattr(sknn, name)
        if isinstance(obj, type) and issubclass(obj, BaseException):
            lines += [f".. autoexception:: sknn.{name}", ""]
        elif isinstance(obj, type):
            lines += [
                f".. autoclass:: sknn.{name}",
                "   :members:",
                "   :inherited-members:",
                "",
            ]
        elif callable(obj):
            lines += [f".. autofunction:: sknn.{name}", ""]
        else:
            lines += [f".. autodata:: sknn.{name}", ""]
        lines += [f".. minigallery:: sknn.{name}", ""]
    source[0] += "\n".join(lines)


# -- Cross-references inside docstrings inherited from scikit-learn -----------
# ``score``, ``get_metadata_routing`` and the ``set_*_request`` methods come
# from scikit-learn, and their docstrings point into scikit-learn's own docs
# (``:ref:`metadata_routing```, ``:term:`meta-estimator```).  Online,
# intersphinx resolves them; offline they would be broken references and fail
# -W.  Those labels (and only those: found by reading the inherited
# docstrings, so our own broken references still fail) become plain text when
# intersphinx could not resolve them.
_XREF = re.compile(r":(?:ref|term):`(?:[^`<]*<)?([^`<>]+)>?`")


def _labels_in_inherited_docstrings():
    labels = set()
    for name in sknn.__all__:
        cls = getattr(sknn, name)
        if not isinstance(cls, type):
            continue
        for attr in dir(cls):
            member = getattr(cls, attr, None)
            module = getattr(member, "__module__", None) or ""
            if module.split(".")[0] == "sklearn" and getattr(member, "__doc__", None):
                labels.update(t.strip().lower() for t in _XREF.findall(member.__doc__))
    return labels


_SKLEARN_LABELS = _labels_in_inherited_docstrings()


def _inherited_sklearn_ref_as_text(app, env, node, contnode):
    if node.get("refdomain") != "std" or node.get("reftype") not in ("ref", "term"):
        return None
    if node.get("reftarget", "").lower() in _SKLEARN_LABELS:
        return contnode
    return None


def setup(app):
    app.connect("source-read", _document_unlisted_names)
    # after intersphinx (priority 500), so it only sees what intersphinx left
    app.connect("missing-reference", _inherited_sklearn_ref_as_text, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
