"""Feature engineering."""

from __future__ import annotations

import pandas as pd

from iris_pipeline.dataset import FEATURE_COLUMNS, TARGET_COLUMN

RATIO_FEATURES = {
    "sepal_length_to_sepal_width": ("sepal_length", "sepal_width"),
    "petal_length_to_petal_width": ("petal_length", "petal_width"),
}


# The featurized data's contract (featurize writes it, data_split splits it, train and
# evaluate read the two halves): the raw features, the ratios, the target last.
FEATURES_SCHEMA = {**dict.fromkeys([*FEATURE_COLUMNS, *RATIO_FEATURES], "number"), TARGET_COLUMN: "integer"}


def featurize(frame: pd.DataFrame) -> pd.DataFrame:
    """Return a new frame with the course's ratio features (RATIO_FEATURES) added; the target stays last."""
    features = frame.drop(columns=[TARGET_COLUMN])
    for name, (numerator, denominator) in RATIO_FEATURES.items():
        features[name] = features[numerator] / features[denominator]
    features[TARGET_COLUMN] = frame[TARGET_COLUMN]
    return features
