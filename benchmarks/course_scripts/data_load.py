"""The original course's plain stage script: load the iris set into a CSV."""

import argparse
from pathlib import Path

import yaml
from sklearn.datasets import load_iris


def data_load(config_path: str) -> None:
    config = yaml.safe_load(Path(config_path).read_text())
    data = load_iris(as_frame=True).frame
    data.columns = ["sepal_length", "sepal_width", "petal_length", "petal_width", "target"]
    data.to_csv(config["data_load"]["dataset_csv"], index=False)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--config", dest="config", required=True)
    data_load(parser.parse_args().config)
