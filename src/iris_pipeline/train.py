"""Model training: a grid search over one estimator picked by name."""

from __future__ import annotations

from typing import Any

import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.neighbors import KNeighborsClassifier
from sklearn.svm import SVC


def make_estimator(name: str, random_state: int) -> BaseEstimator:
    """Return an unfitted estimator for a name in `config.ESTIMATOR_NAMES`."""
    if name == "logreg":
        return LogisticRegression(random_state=random_state)
    if name == "svm":
        return SVC(random_state=random_state)
    if name == "knn":
        return KNeighborsClassifier()
    raise ValueError(f"estimator name {name!r}: expected one of logreg, svm, knn")


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
