"""Model training: a grid search over one estimator picked by name."""

from __future__ import annotations

from typing import Any

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
    return search.best_estimator_
