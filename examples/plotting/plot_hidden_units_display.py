"""
===============================================================
Hidden units at a glance with HiddenUnitsDisplay
===============================================================

:class:`~sknn.HiddenUnitsDisplay` draws the lecture's "feature
visualization" picture for every hidden layer: the activations on a sample
of inputs, one row per sample and one column per unit, titled with the
layer's :meth:`~sknn.MLPClassifier.hidden_unit_summary`. Good training looks
speckled (units that respond sparsely and differently), bad training
striped (units that ignore the input or move together). See
:ref:`sphx_glr_auto_examples_training_plot_hidden_units.py` for the
diagnostics themselves.
"""

# %%
# Good and bad training on the digits
# -----------------------------------
# The same width twice: ReLU units on standardised pixels, and logistic
# units on the raw pixel values (0 to 16) with a large learning rate, which
# pushes the units into the flat ends of the sigmoid (here all 48 of them).
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sknn import HiddenUnitsDisplay, MLPClassifier

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
order = np.argsort(y_test, kind="stable")  # rows grouped by digit
X_test, y_test = X_test[order], y_test[order]

with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    good = make_pipeline(
        StandardScaler(), MLPClassifier((48,), max_iter=30, random_state=0)
    ).fit(X_train, y_train)
    bad = MLPClassifier(
        (48,),
        activation="logistic",
        learning_rate_init=0.5,
        max_iter=30,
        random_state=0,
    ).fit(X_train, y_train)
print(
    f"test accuracy: good {good.score(X_test, y_test):.3f}, "
    f"bad {bad.score(X_test, y_test):.3f}"
)

# %%
# One display per network, side by side. For the pipeline the display passes
# ``X`` through the scaler first: the network only ever saw scaled pixels.
fig, axes = plt.subplots(1, 2, figsize=(10, 4.5), layout="constrained")
shown = HiddenUnitsDisplay.from_estimator(
    good, X_test, max_samples=300, ax=axes[0]
)
HiddenUnitsDisplay.from_estimator(bad, X_test, max_samples=300, ax=axes[1])
axes[0].set_title(
    "ReLU, scaled inputs\n" + axes[0].get_title(), fontsize="medium"
)
axes[1].set_title(
    "logistic, raw inputs\n" + axes[1].get_title(), fontsize="medium"
)
plt.show()

# %%
# On the left, each unit is lit for some digits and dark for others; on the
# right, whole columns keep one colour from top to bottom: units that no
# longer respond to the input, and get almost no gradient to recover. The
# numbers in the titles are kept on the display:
print(shown.summaries[0])
(bad_summary,) = bad.hidden_unit_summary(X_test)
print(
    "bad network: dead",
    bad_summary["dead"],
    "saturated",
    bad_summary["saturated"],
)
assert good.score(X_test, y_test) > 0.9 > 0.5 > bad.score(X_test, y_test)
assert shown.summaries[0]["saturated"] < 0.1 < 0.9 < bad_summary["saturated"]
