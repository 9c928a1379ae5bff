"""`make check` for step 2: every setting the notebook uses comes from params.yaml.

The notebook runs twice in scratch copies: with params.yaml as committed (the score must be
step 1's), then with other values for every key, where each output must follow its key.
"""

import json
from pathlib import Path

import yaml

from checklib import BIN, Fail, Work, check, last_error, main, metrics_f1, must_succeed, png_size

STEP = "step-2-create-config-file"
HINT_RUN = "replace each `# TODO (exercise)` line (and the `raise` under it) with lookups in `params`"
# Other values for every key the notebook uses, and what a run with them must write.
CHANGED = {
    "base.random_state": 7,
    "data_load.dataset_csv": "data/raw/iris-check.csv",
    "featurize.features_path": "data/processed/features-check.csv",
    "data_split.test_size": 0.3,
    "data_split.trainset_path": "data/processed/train-check.csv",
    "data_split.testset_path": "data/processed/test-check.csv",
    "train.estimator_name": "svm",
    "train.model_path": "models/model-check.joblib",
    "evaluate.reports_dir": "reports-check",
    "evaluate.metrics_file": "scores.json",
    "evaluate.confusion_matrix_image": "matrix.png",
}
SVM_GRID = {"C": [0.5], "kernel": ["linear"], "gamma": ["scale"], "degree": [3]}
FILES = {key: path for key, path in CHANGED.items() if key.endswith(("_csv", "_path"))}  # key -> where it writes
FILES |= {key: f"reports-check/{CHANGED[key]}" for key in ("evaluate.metrics_file", "evaluate.confusion_matrix_image")}
# The model the changed run saved: its class and settings, their values from CHANGED and SVM_GRID, the key.
MODEL = {
    "class": ("SVC", "train.estimator_name"),
    "C": (0.5, "train.estimators.svm.param_grid"),
    "kernel": ("linear", "train.estimators.svm.param_grid"),
    "random_state": (7, "base.random_state"),
}
MODEL_PROBE = """
import json, sys, joblib
model = joblib.load(sys.argv[1])
print(json.dumps({"class": type(model).__name__, **model.get_params()}, default=str))
"""


def hint(key: str) -> str:
    return f"the notebook does not read {key} from params.yaml: find the TODO that uses it"


def change_params(copy: Path) -> None:
    params = yaml.safe_load((copy / "params.yaml").read_text())
    for name, value in CHANGED.items():
        section, key = name.split(".")
        params[section][key] = value
    params["train"]["estimators"]["svm"]["param_grid"] = SVM_GRID
    (copy / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))


def changed(work: Work):
    """The scratch copy where the notebook ran with CHANGED in its params.yaml, and the run."""
    return work.notebook("changed", change_params)


@check("iris_prototype.ipynb runs with params.yaml as committed and gives step 1's score")
def default_run(work: Work) -> None:
    copy, result = work.notebook("default")
    must_succeed(result, HINT_RUN)
    metrics_f1(copy, HINT_RUN, missing=hint("evaluate.metrics_file"))


@check("with other values in params.yaml, the notebook runs")
def changed_run(work: Work) -> None:
    must_succeed(changed(work)[1], HINT_RUN)


@check("each file goes where params.yaml says (data_load, featurize, data_split, train, evaluate paths)")
def paths(work: Work) -> None:
    copy = changed(work)[0]
    for key, path in FILES.items():
        if not (copy / path).is_file():
            if key.startswith("evaluate") and not (copy / CHANGED["evaluate.reports_dir"]).is_dir():
                key = "evaluate.reports_dir"  # no folder at all: that is the key not read
            raise Fail(f"{path} (params.yaml's {key} set to it)", "no such file", hint(key))
    png_size(copy / FILES["evaluate.confusion_matrix_image"])


@check("the split follows data_split.test_size (0.3: 45 of 150 rows held out)")
def split(work: Work) -> None:
    rows = len((changed(work)[0] / CHANGED["data_split.testset_path"]).read_text().splitlines()) - 1
    if rows != 45:
        raise Fail("45 rows in the test set", f"{rows} rows", hint("data_split.test_size"))


@check("the model follows train.estimator_name, its param_grid and base.random_state")
def model(work: Work) -> None:
    result = work.run(changed(work)[0], str(BIN / "python"), "-c", MODEL_PROBE, CHANGED["train.model_path"])
    if result.returncode != 0:
        raise Fail("a model saved with joblib", last_error(result.stderr), hint("train.model_path"))
    found = json.loads(result.stdout.strip().splitlines()[-1])
    for name, (value, key) in MODEL.items():
        if found.get(name) != value:
            raise Fail(f"{name} = {value!r} (from {key})", f"{name} = {found.get(name)!r}", hint(key))


CHECKS = [default_run, changed_run, paths, split, model]

if __name__ == "__main__":
    raise SystemExit(main(STEP, CHECKS))
