"""`make check` for step 5: the train stage in dvc.yaml, with everything it depends on.

In a scratch copy: `dvc repro` runs the pipeline, a second `dvc repro` runs nothing, and
changing each thing train uses (its notebook, the package, the train set, its params)
makes DVC see the stage as changed.
"""

import yaml

from checklib import HINT_REPRO, Fail, Work, check, dvc_json, main, metrics_f1, reproduced

STEP = "step-5-automate-ml-pipeline"
MODEL = "models/model.joblib"
HINT = "the TODO in dvc.yaml: the train stage"
TRAIN_SET = "data/processed/train_iris.csv"
SAVED = ("params.yaml", "stages/train.ipynb", "src/iris_pipeline/train.py", TRAIN_SET)


def train_stage(work: Work) -> str:
    """The name of the stage that writes the model, from `dvc stage list` in a copy."""
    if "stage-copy" not in work.cache:
        work.cache["stage-copy"] = work.copy("stages")
    for line in work.run(work.cache["stage-copy"], "dvc", "stage", "list").stdout.splitlines():
        name, _, outputs = line.partition(" ")
        if MODEL in outputs:
            return name.strip()
    raise Fail(f"a stage in dvc.yaml with {MODEL} among its outs", "none", HINT)


@check("dvc repro runs the whole pipeline and gives the score of the default params")
def repro(work: Work) -> None:
    metrics_f1(reproduced(work), HINT, missing=HINT_REPRO)


@check(f"dvc.yaml has a stage that writes {MODEL}")
def model_out(work: Work) -> None:
    train_stage(work)


@check("a second dvc repro runs nothing: the stage is up to date")
def up_to_date(work: Work) -> None:
    copy = reproduced(work)
    status = dvc_json(work, copy, "status")
    if status:
        raise Fail("`dvc status` with nothing changed", ", ".join(sorted(status)), HINT + ": its outs and deps")


def changes_when(work: Work, what: str, edit, hint: str) -> None:
    """Edit the reproduced copy, ask `dvc status` about the model's stage alone, put the files back."""
    copy = reproduced(work)
    stage = train_stage(work)
    saved = {path: (copy / path).read_bytes() for path in SAVED}
    try:
        edit(copy)
        status = dvc_json(work, copy, "status", stage)
    finally:
        for path, data in saved.items():
            (copy / path).write_bytes(data)
    if not (isinstance(status, dict) and status.get(stage)):
        raise Fail(f"stage {stage} changed when {what} changes", "DVC sees no change", hint)


def append(path: str, text: str):
    def edit(copy):
        with open(copy / path, "a", encoding="utf-8") as file:
            file.write(text)

    return edit


def set_param(section: str, key: str, new):
    """An edit that sets `section.key` to `new(its value)`: another value, whatever the default is."""

    def edit(copy):
        params = yaml.safe_load((copy / "params.yaml").read_text())
        params[section][key] = new(params[section][key])
        (copy / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))

    return edit


@check("train reruns when its notebook or the package changes (deps)")
def code_deps(work: Work) -> None:
    changes_when(work, "stages/train.ipynb", append("stages/train.ipynb", "\n"), HINT + ": deps, its notebook")
    changes_when(
        work,
        "src/iris_pipeline/train.py",
        append("src/iris_pipeline/train.py", "\n# changed\n"),
        HINT + ": deps, the package (src/iris_pipeline)",
    )


@check("train reruns when the train set changes (deps)")
def data_dep(work: Work) -> None:
    changes_when(
        work, "the train set", append(TRAIN_SET, "\n"), HINT + ": deps, the train set (${data_split.trainset_path})"
    )


@check("train reruns when its params change (train.cv, base.random_state, the estimator's grid)")
def params(work: Work) -> None:
    changes_when(work, "train.cv", set_param("train", "cv", lambda cv: cv + 1), HINT + ": params, train.cv")
    seed = set_param("base", "random_state", lambda seed: seed + 1)
    changes_when(work, "base.random_state", seed, HINT + ": params, base.random_state")

    def grid(copy):
        params = yaml.safe_load((copy / "params.yaml").read_text())
        name = params["train"]["estimator_name"]
        params["train"]["estimators"][name]["param_grid"]["C"] = [0.5, 0.25]  # no default grid is this
        (copy / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))

    changes_when(work, "the estimator's param_grid", grid, HINT + ": params, train.estimators.${train.estimator_name}")


CHECKS = [model_out, repro, up_to_date, code_deps, data_dep, params]

if __name__ == "__main__":
    raise SystemExit(main(STEP, CHECKS))
