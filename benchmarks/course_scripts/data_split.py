"""The original course's plain stage script: split the features into train and test sets."""

import argparse
from pathlib import Path

import pandas as pd
import yaml
from sklearn.model_selection import train_test_split


def data_split(config_path: str) -> None:
    config = yaml.safe_load(Path(config_path).read_text())
    features = pd.read_csv(config["featurize"]["features_path"])
    train, test = train_test_split(
        features, test_size=config["data_split"]["test_size"], random_state=config["base"]["random_state"]
    )
    train.to_csv(config["data_split"]["trainset_path"], index=False)
    test.to_csv(config["data_split"]["testset_path"], index=False)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--config", dest="config", required=True)
    data_split(parser.parse_args().config)
