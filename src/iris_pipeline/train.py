"""Model training: a grid search over one estimator picked by name."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.neighbors import KNeighborsClassifier
from sklearn.svm import SVC

# The estimators `train.estimator_name` may name in params.yaml.
ESTIMATORS: dict[str, type[BaseEstimator]] = {
    "logreg": LogisticRegression,
    "svm": SVC,
    "knn": KNeighborsClassifier,
}


def make_estimator(name: str, random_state: int) -> BaseEstimator:
    """Return an unfitted estimator for a name in `ESTIMATORS`, seeded where it takes a seed."""
    if name not in ESTIMATORS:
        raise ValueError(f"estimator name {name!r}: expected one of {', '.join(ESTIMATORS)}")
    estimator = ESTIMATORS[name]()
    if "random_state" in estimator.get_params():
        estimator.set_params(random_state=random_state)
    return estimator


def train(
    features: pd.DataFrame,
    target: pd.Series,
    estimator_name: str,
    param_grid: dict[str, list[Any]],
    cv: int,
    random_state: int,
) -> BaseEstimator:
    """Search `param_grid` with `cv`-fold weighted-F1 cross-validation; return the best estimator.

    Only the refitted best estimator is returned: the search object also stores fit
    timings, which would change the saved model's bytes on every run.
    """
    search = GridSearchCV(
        estimator=make_estimator(estimator_name, random_state),
        param_grid=param_grid,
        cv=cv,
        scoring="f1_weighted",
        n_jobs=1,
    )
    search.fit(features, target)
    return portable(search.best_estimator_)


# The BLAS library numpy calls picks its kernels by CPU, and kernels differ in the last bits
# of a solver's result (about 1e-16 for the default grid): the saved model's bytes, and so
# dvc.lock, would change from one machine to the next. Ten decimals are far below what
# changes a prediction. (A solver stopped by max_iter before it converged can differ by
# more than that between CPUs: its model is then the same only on the same kind of machine.)
PORTABLE_DECIMALS = 10


def portable(estimator: BaseEstimator) -> BaseEstimator:
    """`estimator` with its fitted float parameters rounded to PORTABLE_DECIMALS decimals."""
    for name, value in vars(estimator).items():
        if name.endswith("_") and isinstance(value, np.ndarray) and value.dtype.kind == "f":
            setattr(estimator, name, np.round(value, PORTABLE_DECIMALS))
    return estimator
