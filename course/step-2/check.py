"""`make check` for step 2: every setting the notebook uses comes from params.yaml.

The notebook runs twice in scratch copies: with params.yaml as committed (the score must be
step 1's), then with other values for every key, where each output must follow its key.
"""

import json

import yaml

from checklib import BIN, Fail, Work, check, last_error, main, metrics_f1, must_succeed, png_size

STEP = "step-2-create-config-file"
HINT_RUN = "replace each `# TODO (exercise)` line (and the `raise` under it) with lookups in `params`"
# Other values for every key the notebook uses, and what a run with them must write.
CHANGED = {
    ("base", "random_state"): 7,
    ("data_load", "dataset_csv"): "data/raw/iris-check.csv",
    ("featurize", "features_path"): "data/processed/features-check.csv",
    ("data_split", "test_size"): 0.3,
    ("data_split", "trainset_path"): "data/processed/train-check.csv",
    ("data_split", "testset_path"): "data/processed/test-check.csv",
    ("train", "estimator_name"): "svm",
    ("train", "model_path"): "models/model-check.joblib",
    ("evaluate", "reports_dir"): "reports-check",
    ("evaluate", "metrics_file"): "scores.json",
    ("evaluate", "confusion_matrix_image"): "matrix.png",
}
SVM_GRID = {"C": [0.5], "kernel": ["linear"], "gamma": ["scale"], "degree": [3]}
# Reads the model the changed run saved: its class and the settings it was made with.
MODEL_PROBE = """
import json, sys, joblib
model = joblib.load(sys.argv[1])
print(json.dumps({"class": type(model).__name__, "params": {k: model.get_params().get(k)
                  for k in ("C", "kernel", "random_state")}}))
"""


def hint(section: str, key: str) -> str:
    return f"the notebook does not read {section}.{key} from params.yaml: find the TODO that uses it"


@check("iris_prototype.ipynb runs with params.yaml as committed and gives step 1's score")
def default_run(work: Work) -> None:
    copy = work.copy("default")
    result = work.notebook(copy)
    must_succeed(result, HINT_RUN)
    metrics_f1(copy, HINT_RUN, missing=hint("evaluate", "metrics_file"))


@check("with other values in params.yaml, the notebook runs")
def changed_run(work: Work) -> None:
    copy = work.copy("changed")
    params = yaml.safe_load((copy / "params.yaml").read_text())
    for (section, key), value in CHANGED.items():
        params[section][key] = value
    params["train"]["estimators"]["svm"]["param_grid"] = SVM_GRID
    (copy / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    result = work.notebook(copy)
    must_succeed(result, HINT_RUN)
    work.cache["changed"] = copy


@check("each file goes where params.yaml says (data_load, featurize, data_split, train, evaluate paths)")
def paths(work: Work) -> None:
    copy = work.cache["changed"]
    reports = CHANGED[("evaluate", "reports_dir")]
    expected = {path: key for key, path in CHANGED.items() if key[1].endswith(("_csv", "_path"))}
    for key in ("metrics_file", "confusion_matrix_image"):
        expected[f"{reports}/{CHANGED[('evaluate', key)]}"] = ("evaluate", key)
    for path, (section, key) in expected.items():
        if not (copy / path).is_file():
            if not (copy / reports).is_dir() and section == "evaluate":
                section, key = "evaluate", "reports_dir"
            raise Fail(f"{path} (params.yaml's {section}.{key} set to it)", "no such file", hint(section, key))
    png_size(copy / reports / CHANGED[("evaluate", "confusion_matrix_image")])


@check("the split follows data_split.test_size (0.3: 45 of 150 rows held out)")
def split(work: Work) -> None:
    test = work.cache["changed"] / CHANGED[("data_split", "testset_path")]
    rows = len(test.read_text().splitlines()) - 1
    if rows != 45:
        raise Fail("45 rows in the test set", f"{rows} rows", hint("data_split", "test_size"))


@check("the model follows train.estimator_name, its param_grid and base.random_state")
def model(work: Work) -> None:
    copy = work.cache["changed"]
    result = work.run(copy, str(BIN / "python"), "-c", MODEL_PROBE, CHANGED[("train", "model_path")])
    if result.returncode != 0:
        raise Fail("a model saved with joblib", last_error(result.stderr), hint("train", "model_path"))
    found = json.loads(result.stdout.strip().splitlines()[-1])
    if found["class"] != "SVC":
        raise Fail("an SVC (estimator_name: svm)", found["class"], hint("train", "estimator_name"))
    if found["params"]["C"] != 0.5 or found["params"]["kernel"] != "linear":
        raise Fail(
            "C=0.5, kernel=linear (the svm param_grid)",
            json.dumps(found["params"]),
            hint("train", "estimators.svm.param_grid"),
        )
    if found["params"]["random_state"] != 7:
        raise Fail(
            "random_state=7 (base.random_state)", str(found["params"]["random_state"]), hint("base", "random_state")
        )


CHECKS = [default_run, changed_run, paths, split, model]

if __name__ == "__main__":
    raise SystemExit(main(STEP, CHECKS))
