"""The original course's plain stage script: the F1 score and the confusion matrix."""

import argparse
import json
from pathlib import Path

import joblib
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import yaml  # noqa: E402
from sklearn.metrics import ConfusionMatrixDisplay, f1_score  # noqa: E402

CLASSES = ["setosa", "versicolor", "virginica"]


def evaluate_model(config_path: str) -> None:
    config = yaml.safe_load(Path(config_path).read_text())
    reports = Path(config["evaluate"]["reports_dir"])
    model = joblib.load(config["train"]["model_path"])
    test = pd.read_csv(config["data_split"]["testset_path"])
    target, predicted = test["target"], model.predict(test.drop(columns=["target"]))
    f1 = f1_score(target, predicted, average="macro")
    (reports / config["evaluate"]["metrics_file"]).write_text(json.dumps({"f1": round(float(f1), 6)}))
    pd.DataFrame({"y_true": [CLASSES[i] for i in target], "predicted": [CLASSES[i] for i in predicted]}).to_csv(
        reports / config["evaluate"]["confusion_matrix_data"], index=False
    )
    ConfusionMatrixDisplay.from_predictions(target, predicted, display_labels=CLASSES, cmap="Blues")
    plt.savefig(reports / config["evaluate"]["confusion_matrix_image"])


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--config", dest="config", required=True)
    evaluate_model(parser.parse_args().config)
