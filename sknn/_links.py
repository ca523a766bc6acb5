"""Where sknn's documentation lives, for the links in estimators' HTML repr.

The API pages are written by ``docs/api.rst``'s autosummary into
``gen_modules/``, one page per public name: ``gen_modules/sknn.MLPClassifier.html``.
A release links to the ``stable`` build on Read the Docs, a development
version to ``latest``.
"""

from ._version import __version__

DOCS_URL = "https://sknn-torch.readthedocs.io/en"


def _docs_version(version=__version__):
    """The Read the Docs version a given sknn version's links point to."""
    return "latest" if "dev" in version or "+" in version else "stable"


# the two fields are filled by scikit-learn's _HTMLDocumentationLinkMixin
DOC_LINK_TEMPLATE = (
    f"{DOCS_URL}/{_docs_version()}/gen_modules/"
    "{estimator_module}.{estimator_name}.html"
)
