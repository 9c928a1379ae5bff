"""`make check` for step 5: the train stage in dvc.yaml, with everything it depends on (in a scratch copy)."""

from functools import reduce

import yaml

from checklib import HINT_REPRO, Check, Fail, Work, check, dvc_json, main, metrics_f1, reproduced

STEP = "step-5-automate-ml-pipeline"
MODEL = "models/model.joblib"
HINT = "the TODO in dvc.yaml: the train stage"
TRAIN_SET = "data/processed/train_iris.csv"


def train_stage(work: Work) -> str:
    """The name of the stage that writes the model, from `dvc stage list` in a copy."""
    for line in work.ran("stages", "dvc", "stage", "list")[1].stdout.splitlines():
        name, _, outputs = line.partition(" ")
        if MODEL in outputs:
            return name.strip()
    raise Fail(f"a stage in dvc.yaml with {MODEL} among its outs", "none", HINT)


@check(f"dvc.yaml has a stage that writes {MODEL}")
def model_out(work: Work) -> None:
    train_stage(work)


@check("dvc repro runs the whole pipeline and gives the score of the default params")
def repro(work: Work) -> None:
    metrics_f1(reproduced(work), HINT, missing=HINT_REPRO)


@check("a second dvc repro runs nothing: the stage is up to date")
def up_to_date(work: Work) -> None:
    status = dvc_json(work, reproduced(work), "status")
    if status:
        raise Fail("`dvc status` with nothing changed", ", ".join(sorted(status)), HINT + ": its outs and deps")


def add_line(text: str) -> str:
    return text + "\n"


def set_param(key: str, new):
    """A change of params.yaml's text: the value at the dotted `key` set to `new(value)`, another
    value whatever the default is; `{estimator}` in `key` is train.estimator_name's value."""

    def change(text: str) -> str:
        params = yaml.safe_load(text)
        *parents, last = key.format(estimator=params["train"]["estimator_name"]).split(".")
        section = reduce(dict.__getitem__, parents, params)
        section[last] = new(section[last])
        return yaml.safe_dump(params, sort_keys=False)

    return change


def reruns(title: str, *changes) -> Check:
    """The check `title`: with each of `changes` (what changes, the file, how, what the hint names) made
    in the reproduced copy, `dvc status` sees the model's stage as changed; the file is put back after."""

    def run(work: Work) -> None:
        copy, stage = reproduced(work), train_stage(work)
        for what, path, change, hint in changes:
            before = (copy / path).read_text(encoding="utf-8")
            (copy / path).write_text(change(before), encoding="utf-8")
            try:
                status = dvc_json(work, copy, "status", stage)
            finally:
                (copy / path).write_text(before, encoding="utf-8")
            if not (isinstance(status, dict) and status.get(stage)):
                raise Fail(f"stage {stage} changed when {what} changes", "DVC sees no change", f"{HINT}: {hint}")

    return Check(title, run)


CHECKS = [
    model_out,
    repro,
    up_to_date,
    reruns(
        "train reruns when its notebook or the package changes (deps)",
        ("stages/train.ipynb", "stages/train.ipynb", add_line, "deps, its notebook"),
        ("src/iris_pipeline/train.py", "src/iris_pipeline/train.py", add_line, "deps, the package (src/iris_pipeline)"),
    ),
    reruns(
        "train reruns when the train set changes (deps)",
        ("the train set", TRAIN_SET, add_line, "deps, the train set (${data_split.trainset_path})"),
    ),
    reruns(
        "train reruns when its params change (train.cv, base.random_state, the estimator's grid)",
        ("train.cv", "params.yaml", set_param("train.cv", lambda n: n + 1), "params, train.cv"),
        (
            "base.random_state",
            "params.yaml",
            set_param("base.random_state", lambda n: n + 1),
            "params, base.random_state",
        ),
        (
            "the estimator's param_grid",
            "params.yaml",
            set_param("train.estimators.{estimator}.param_grid.C", lambda _: [0.5, 0.25]),  # no default grid is this
            "params, train.estimators.${train.estimator_name}",
        ),
    ),
]

if __name__ == "__main__":
    raise SystemExit(main(STEP, CHECKS))
