"""scikit-learn's own estimator checks, on every sknn estimator."""

import pytest
import sklearn
from sklearn.utils.estimator_checks import parametrize_with_checks
from sklearn.utils.fixes import parse_version

from sknn import (
    MLPClassifier,
    MLPRegressor,
    MultiLabelMLP,
    TabularMLPClassifier,
    TabularMLPRegressor,
    TabularPreprocessor,
)

# MultiLabelMLP takes y as a 0/1 indicator matrix of shape (n_samples, n_labels)
# and rejects anything else with a ValueError that says what y it expects.
# These checks feed it single-label y: 1-d labels, or one column of labels
# {1, 2}; check_classifiers_train also asserts 1-d predictions, where a
# multilabel model predicts an indicator matrix.
_ONE_D = "feeds 1-d single-label y; MultiLabelMLP needs a 2-d 0/1 indicator y"
_ONE_TWO = "feeds one column of labels {1, 2}; MultiLabelMLP needs 0/1 labels"
MULTILABEL_XFAIL = {
    "check_classifiers_classes": _ONE_D,
    "check_classifiers_one_label_sample_weights": _ONE_D,
    "check_sample_weights_pandas_series": _ONE_D,
    "check_fit2d_1feature": _ONE_D,
    "check_classifiers_train": _ONE_D + ", and asserts 1-d predictions",
    "check_estimators_dtypes": _ONE_TWO,
    "check_sample_weights_not_an_array": _ONE_TWO,
    "check_sample_weights_shape": _ONE_TWO,
    "check_sample_weights_not_overwritten": _ONE_TWO,
    "check_classifier_data_not_an_array": _ONE_TWO,
    "check_estimator_sparse_array": _ONE_TWO,
    "check_estimator_sparse_matrix": _ONE_TWO,
}


# Before 1.9, scikit-learn's checks give an estimator tagged multi-output-only
# more 2-d y with labels {1, 2} or {0, 1, 2} (seen with 1.6.1).
if parse_version(sklearn.__version__) < parse_version("1.9"):
    _OLD = "scikit-learn < 1.9 feeds 2-d y with labels {1, 2} or {0, 1, 2}"
    for _name in [
        "check_dict_unchanged",
        "check_dont_overwrite_parameters",
        "check_dtype_object",
        "check_estimators_fit_returns_self",
        "check_estimators_overwrite_params",
        "check_estimators_partial_fit_n_features",
        "check_estimators_pickle",
        "check_f_contiguous_array_estimator",
        "check_fit2d_predict1d",
        "check_fit_check_is_fitted",
        "check_methods_sample_order_invariance",
        "check_methods_subset_invariance",
        "check_pipeline_consistency",
        "check_readonly_memmap_input",
        "check_sample_weight_equivalence_on_dense_data",
        "check_sample_weight_equivalence_on_sparse_data",
    ]:
        MULTILABEL_XFAIL.setdefault(_name, _OLD)


# The tabular estimators hold out a random validation split for early
# stopping and average several networks: a sample of weight 2 and two copies of
# it land in different splits and minibatches.
TABULAR_XFAIL = {
    "check_sample_weight_equivalence_on_dense_data": (
        "early stopping's random validation split treats a repeated sample "
        "and a sample of weight 2 differently"
    ),
}


def _expected_failed_checks(estimator):
    if isinstance(estimator, MultiLabelMLP):
        return MULTILABEL_XFAIL
    if isinstance(estimator, (TabularMLPClassifier, TabularMLPRegressor)):
        return TABULAR_XFAIL
    return {}


@parametrize_with_checks(
    [
        MLPClassifier(random_state=0),
        MLPRegressor(random_state=0),
        MultiLabelMLP(random_state=0),
        # the optional input layers (periodic features, per-column scale)
        MLPClassifier(random_state=0, n_frequencies=2, input_scale=True),
        MLPRegressor(random_state=0, n_frequencies=2, input_scale=True),
        TabularMLPClassifier(random_state=0),
        TabularMLPRegressor(random_state=0),
        TabularPreprocessor(),
    ],
    expected_failed_checks=_expected_failed_checks,
)
# scikit-learn's checks fit on tiny data sets with the default 200 epochs:
# stopping at max_iter without converging is expected there (the
# ConvergenceWarning itself is tested in tests/test_early_stopping.py)
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
