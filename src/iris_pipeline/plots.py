"""Plots: the confusion matrix as a picture."""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure


def plot_confusion_matrix(matrix: pd.DataFrame, title: str = "Confusion matrix") -> Figure:
    """Draw a counts matrix (rows: true class, columns: predicted) as an annotated heat map."""
    figure = Figure(figsize=(5, 4.5))
    axes = figure.subplots()
    image = axes.imshow(matrix.to_numpy(), cmap="Blues")
    figure.colorbar(image, ax=axes)
    labels = [str(label) for label in matrix.columns]
    axes.set_xticks(range(len(labels)), labels=labels)
    axes.set_yticks(range(len(matrix.index)), labels=[str(label) for label in matrix.index])
    axes.set_xlabel("Predicted label")
    axes.set_ylabel("True label")
    axes.set_title(title)
    threshold = matrix.to_numpy().max() / 2
    for row, true_label in enumerate(matrix.index):
        for col, predicted_label in enumerate(matrix.columns):
            count = int(matrix.loc[true_label, predicted_label])
            color = "white" if count > threshold else "black"
            axes.text(col, row, str(count), ha="center", va="center", color=color)
    figure.tight_layout()
    return figure
