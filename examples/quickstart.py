"""sknn quickstart: a neural network inside a scikit-learn grid search.

Run with ``python examples/quickstart.py``. It trains on the digits data
bundled with scikit-learn, on the GPU when torch sees one, and prints the
test score, the device used and the time taken.
"""

import time

from sklearn.datasets import load_digits
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sknn import MLPClassifier


def main():
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=0
    )
    pipe = make_pipeline(
        StandardScaler(),
        MLPClassifier(early_stopping=True, max_iter=100, random_state=0),
    )
    grid = GridSearchCV(
        pipe,
        {
            "mlpclassifier__hidden_layer_sizes": [(64,), (128, 64)],
            "mlpclassifier__dropout": [0.0, 0.2],
        },
        cv=3,
    )
    start = time.perf_counter()
    grid.fit(X_train, y_train)
    elapsed = time.perf_counter() - start
    best = grid.best_estimator_[-1]
    print(f"best parameters : {grid.best_params_}")
    print(f"test accuracy   : {grid.score(X_test, y_test):.3f}")
    print(f"device          : {best.device_}")
    n_fits = len(grid.cv_results_["params"]) * 3 + 1
    print(f"time            : {elapsed:.1f} s for {n_fits} fits")


if __name__ == "__main__":
    main()
