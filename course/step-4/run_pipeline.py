"""Run the five stage notebooks in pipeline order with papermill (step 4).

    python run_pipeline.py

Each stage gets its values from params.yaml, the same values dvc.yaml passes from
step 5 on, and its executed copy is saved as reports/runs/<stage>.ipynb: open it to
see what the stage did. This script reruns every stage every time; step 5 hands the
job to DVC, which reruns only the stages whose code, data or params changed.
"""

from __future__ import annotations

import papermill

from iris_pipeline.config import load_params


def stage_parameters(params_file: str = "params.yaml") -> dict[str, dict]:
    """The papermill parameters of each stage, in the order the stages run."""
    p = load_params(params_file)
    common = {"params_file": params_file, "log_level": p.base.log_level}
    return {
        "data_load": {**common, "dataset_csv": p.data_load.dataset_csv},
        "featurize": {
            **common,
            "dataset_csv": p.data_load.dataset_csv,
            "features_path": p.featurize.features_path,
            "target_column": p.featurize.target_column,
        },
        "data_split": {
            **common,
            "random_state": p.base.random_state,
            "features_path": p.featurize.features_path,
            "test_size": p.data_split.test_size,
            "trainset_path": p.data_split.trainset_path,
            "testset_path": p.data_split.testset_path,
        },
        "train": {
            **common,
            "random_state": p.base.random_state,
            "target_column": p.featurize.target_column,
            "trainset_path": p.data_split.trainset_path,
            "estimator_name": p.train.estimator_name,
            "cv": p.train.cv,
            "model_path": p.train.model_path,
        },
        "evaluate": {
            **common,
            "target_column": p.featurize.target_column,
            "testset_path": p.data_split.testset_path,
            "model_path": p.train.model_path,
            "reports_dir": p.evaluate.reports_dir,
            "metrics_file": p.evaluate.metrics_file,
            "confusion_matrix_data": p.evaluate.confusion_matrix_data,
            "confusion_matrix_image": p.evaluate.confusion_matrix_image,
        },
    }


def main() -> None:
    for stage, parameters in stage_parameters().items():
        print(f"==> {stage}", flush=True)
        # <solution> execute stages/<stage>.ipynb with papermill (engine reproducible) into reports/runs/
        papermill.execute_notebook(
            f"stages/{stage}.ipynb",
            f"reports/runs/{stage}.ipynb",
            parameters=parameters,
            engine_name="reproducible",
            progress_bar=False,
        )
        # </solution>
    print("done: reports/metrics.json, reports/confusion_matrix.png, executed notebooks in reports/runs/")


if __name__ == "__main__":
    main()
