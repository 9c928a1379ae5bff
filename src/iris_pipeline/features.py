"""Feature engineering."""

from __future__ import annotations

import pandas as pd

from iris_pipeline.dataset import TARGET_COLUMN

RATIO_FEATURES = {
    "sepal_length_to_sepal_width": ("sepal_length", "sepal_width"),
    "petal_length_to_petal_width": ("petal_length", "petal_width"),
}


def featurize(frame: pd.DataFrame) -> pd.DataFrame:
    """Return a new frame with the course's two ratio features; the target stays last."""
    features = frame.drop(columns=[TARGET_COLUMN])
    for name, (numerator, denominator) in RATIO_FEATURES.items():
        features[name] = features[numerator] / features[denominator]
    features[TARGET_COLUMN] = frame[TARGET_COLUMN]
    return features
