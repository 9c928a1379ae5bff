"""The iris data set: loading it and splitting it."""

from __future__ import annotations

import pandas as pd

# scikit-learn is imported inside the two functions that use it, so that a stage that only
# needs the column names below (featurize) starts without it.

FEATURE_COLUMNS = ("sepal_length", "sepal_width", "petal_length", "petal_width")
TARGET_COLUMN = "target"
# The raw data's contract, checked whenever a stage reads it (io.read_csv).
RAW_SCHEMA = {**dict.fromkeys(FEATURE_COLUMNS, "number"), TARGET_COLUMN: "integer"}


def load_iris_frame() -> pd.DataFrame:
    """Return the iris set scikit-learn ships, columns renamed to snake case.

    No download: the data is part of scikit-learn.
    """
    from sklearn.datasets import load_iris

    frame = load_iris(as_frame=True).frame
    frame.columns = [*FEATURE_COLUMNS, TARGET_COLUMN]
    return frame


def split_train_test(frame: pd.DataFrame, test_size: float, random_state: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Shuffle and split rows into train and test sets (not stratified, as in the course)."""
    from sklearn.model_selection import train_test_split

    train, test = train_test_split(frame, test_size=test_size, random_state=random_state)
    return train.reset_index(drop=True), test.reset_index(drop=True)


def features_and_target(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
    """Split a frame into the feature matrix and the target column."""
    return frame.drop(columns=[TARGET_COLUMN]), frame[TARGET_COLUMN]
