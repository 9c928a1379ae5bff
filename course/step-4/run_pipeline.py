"""Run the five stage notebooks in pipeline order with papermill (step 4).

    python run_pipeline.py                  # with params.yaml
    python run_pipeline.py my-params.yaml   # with another params file

Every stage reads the values it uses from the params file itself (`load_params`):
papermill passes it only which file, its one parameter `params_file`. The file is
checked as a whole before the first stage starts. Each stage's executed copy is
saved as reports/runs/<stage>.ipynb: open it to see what the stage did. This script
reruns every stage every time; step 5 hands the job to DVC, which reruns only the
stages whose code, data or params changed.
"""

from __future__ import annotations

import argparse

import papermill

from iris_pipeline.config import ConfigError, load_params

STAGES = ("data_load", "featurize", "data_split", "train", "evaluate")


def main(params_file: str = "params.yaml") -> None:
    try:
        load_params(params_file)  # a wrong value stops here, with one line, before any stage runs
    except ConfigError as err:
        raise SystemExit(f"error: {err}") from None
    for stage in STAGES:
        print(f"==> {stage}", flush=True)
        # <solution> run stages/<stage>.ipynb with papermill (engine reproducible) into reports/runs/, with params_file
        papermill.execute_notebook(
            f"stages/{stage}.ipynb",
            f"reports/runs/{stage}.ipynb",
            parameters={"params_file": params_file},
            engine_name="reproducible",
            progress_bar=False,
        )
        # </solution>
    print("done: reports/metrics.json, reports/confusion_matrix.png, executed notebooks in reports/runs/")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Run the five pipeline stages in order with papermill.")
    parser.add_argument("params_file", nargs="?", default="params.yaml", help="default: params.yaml")
    main(parser.parse_args().params_file)
