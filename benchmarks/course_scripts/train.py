"""The original course's plain stage script: grid-search the chosen estimator, save the best."""

import argparse
from pathlib import Path

import joblib
import pandas as pd
import yaml
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.neighbors import KNeighborsClassifier
from sklearn.svm import SVC

ESTIMATORS = {"logreg": LogisticRegression, "svm": SVC, "knn": KNeighborsClassifier}


def train_model(config_path: str) -> None:
    config = yaml.safe_load(Path(config_path).read_text())
    name = config["train"]["estimator_name"]
    estimator = ESTIMATORS[name]()
    if "random_state" in estimator.get_params():
        estimator.set_params(random_state=config["base"]["random_state"])
    train = pd.read_csv(config["data_split"]["trainset_path"])
    search = GridSearchCV(
        estimator, config["train"]["estimators"][name]["param_grid"], cv=config["train"]["cv"], scoring="f1_weighted"
    )
    search.fit(train.drop(columns=["target"]), train["target"])
    joblib.dump(search.best_estimator_, config["train"]["model_path"])


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--config", dest="config", required=True)
    train_model(parser.parse_args().config)
