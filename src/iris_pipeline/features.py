"""Feature engineering."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

RATIO_FEATURES = {
    "sepal_length_to_sepal_width": ("sepal_length", "sepal_width"),
    "petal_length_to_petal_width": ("petal_length", "petal_width"),
}


def featurize(frame: pd.DataFrame, target_column: str = "target") -> pd.DataFrame:
    """Return a new frame with the course's two ratio features; the target stays last."""
    features = frame.drop(columns=[target_column])
    for name, (numerator, denominator) in RATIO_FEATURES.items():
        features[name] = features[numerator] / features[denominator]
    features[target_column] = frame[target_column]
    return features
