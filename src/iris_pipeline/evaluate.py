"""Model evaluation: the metrics file and the confusion data."""

from __future__ import annotations

from typing import Any

import pandas as pd
from sklearn.metrics import f1_score

CLASS_NAMES = ("setosa", "versicolor", "virginica")


def evaluate(model: Any, features: pd.DataFrame, target: pd.Series) -> dict[str, float]:
    """Return `{"f1": macro F1}` of the model on the given rows, rounded for stable files."""
    predicted = model.predict(features)
    return {"f1": round(float(f1_score(target, predicted, average="macro")), 6)}


def confusion_frame(model: Any, features: pd.DataFrame, target: pd.Series) -> pd.DataFrame:
    """One row per sample, `y_true,predicted` as class names: DVC's `confusion` plot input."""
    predicted = model.predict(features)
    names = list(CLASS_NAMES)
    return pd.DataFrame(
        {
            "y_true": [names[i] for i in target],
            "predicted": [names[i] for i in predicted],
        }
    )


def confusion_matrix(confusion: pd.DataFrame) -> pd.DataFrame:
    """Count `y_true` x `predicted` pairs into a square matrix over all classes."""
    names = list(CLASS_NAMES)
    return pd.crosstab(
        pd.Categorical(confusion["y_true"], categories=names),
        pd.Categorical(confusion["predicted"], categories=names),
        rownames=["y_true"],
        colnames=["predicted"],
        dropna=False,
    )
