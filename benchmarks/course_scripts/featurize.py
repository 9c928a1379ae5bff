"""The original course's plain stage script: add the two ratio features."""

import argparse
from pathlib import Path

import pandas as pd
import yaml


def featurize(config_path: str) -> None:
    config = yaml.safe_load(Path(config_path).read_text())
    dataset = pd.read_csv(config["data_load"]["dataset_csv"])
    features = dataset.drop(columns=["target"])
    features["sepal_length_to_sepal_width"] = dataset["sepal_length"] / dataset["sepal_width"]
    features["petal_length_to_petal_width"] = dataset["petal_length"] / dataset["petal_width"]
    features["target"] = dataset["target"]
    features.to_csv(config["featurize"]["features_path"], index=False)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--config", dest="config", required=True)
    featurize(parser.parse_args().config)
