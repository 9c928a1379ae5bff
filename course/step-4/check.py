"""`make check` for step 4: run_pipeline.py runs the five stage notebooks with the params file it is given."""

import json

import nbformat

from checklib import BIN, Fail, Work, check, main, metrics_f1, must_succeed

STEP = "step-4-build-ml-pipeline"
STAGES = ("data_load", "featurize", "data_split", "train", "evaluate")
HINT = "the TODO in the loop of run_pipeline.py: run each stage's notebook with papermill, passing params_file"
OWN_PARAMS = "check-params.yaml"  # a params file of the check's own, with test_size 0.3: 45 of 150 rows


@check("python run_pipeline.py check-params.yaml runs the five stages")
def runs(work: Work) -> None:
    copy = work.copy("run")
    text = (copy / "params.yaml").read_text()
    if "test_size: 0.2" not in text:
        raise Fail(
            "params.yaml with data_split.test_size: 0.2 as committed",
            "another value",
            "git restore params.yaml: the check gives the script a copy with test_size 0.3",
        )
    (copy / OWN_PARAMS).write_text(text.replace("test_size: 0.2", "test_size: 0.3"))
    result = work.run(copy, str(BIN / "python"), "run_pipeline.py", OWN_PARAMS)
    must_succeed(result, HINT)
    work.cache["copy"] = copy


@check("each stage ran as a notebook, saved in reports/runs/, with params_file as its parameter")
def executed(work: Work) -> None:
    copy = work.cache["copy"]
    for stage in STAGES:
        path = copy / "reports/runs" / f"{stage}.ipynb"
        if not path.is_file():
            raise Fail(f"reports/runs/{stage}.ipynb, the executed copy", "no such file", HINT)
        parameters = nbformat.read(path, 4).metadata.get("papermill", {}).get("parameters")
        if parameters != {"params_file": OWN_PARAMS}:
            raise Fail(
                f"{stage}: papermill parameters " + json.dumps({"params_file": OWN_PARAMS}),
                json.dumps(parameters),
                HINT + " (the script's own params_file, not a fixed name)",
            )


@check("the stages used that params file: 45 test rows, and a score")
def used(work: Work) -> None:
    copy = work.cache["copy"]
    test = copy / "data/processed/test_iris.csv"
    rows = len(test.read_text().splitlines()) - 1 if test.is_file() else None
    if rows != 45:
        raise Fail("45 rows in data/processed/test_iris.csv (test_size 0.3)", f"{rows} rows", HINT)
    metrics_f1(copy, HINT, expected=None)


CHECKS = [runs, executed, used]

if __name__ == "__main__":
    raise SystemExit(main(STEP, CHECKS))
