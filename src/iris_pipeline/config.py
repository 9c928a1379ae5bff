"""One typed loader for `params.yaml`, and the checks that run before any stage does.

Every stage reads its configuration through `load_params`, which checks the whole file
at once with pydantic (types, ranges, choices, unknown or missing keys, paths that
stay inside the project) and raises `ConfigError`: one line naming the file, the key,
the value and what was expected.

`check_against_data` adds what only the data and scikit-learn can tell: the split
leaves rows on both sides, the folds fit the smallest class of the training rows, and
every estimator is one train.py knows and every value of every grid is one it accepts
(scikit-learn checks an estimator's parameters when it is fitted, so each value is fitted
once on the training rows). `python -m iris_pipeline.config params.yaml` runs both;
it is the pipeline's first stage, `check_params`, which `dvc repro` reruns whenever
params.yaml changes at all, before any other stage deletes its outputs.
"""

from __future__ import annotations

import argparse
import math
import posixpath
import sys
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, model_validator

if TYPE_CHECKING:
    import pandas as pd


class ConfigError(ValueError):
    """A configuration value is missing, unknown, of the wrong type, out of range or impossible."""


def _inside_project(path: str) -> str:
    normal = posixpath.normpath(path)
    if path.startswith(("/", "~")) or normal == ".." or normal.startswith("../"):
        raise ValueError("expected a path inside the project, relative to its root (DVC tracks nothing outside it)")
    return path


ProjectPath = Annotated[str, Field(min_length=1), AfterValidator(_inside_project)]
Grid = Annotated[dict[str, Annotated[list, Field(min_length=1)]], Field(min_length=1)]


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class BaseParams(Section):
    random_state: int = Field(ge=0)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"]


class DataLoadParams(Section):
    dataset_csv: ProjectPath


class FeaturizeParams(Section):
    features_path: ProjectPath


class DataSplitParams(Section):
    test_size: float = Field(gt=0, lt=1)
    trainset_path: ProjectPath
    testset_path: ProjectPath


class EstimatorParams(Section):
    param_grid: Grid


class TrainParams(Section):
    cv: int = Field(ge=2)
    estimator_name: str  # one of train.ESTIMATORS: checked by `check_against_data`
    estimators: dict[str, EstimatorParams]
    model_path: ProjectPath

    @model_validator(mode="after")
    def _chosen_estimator_has_a_grid(self) -> TrainParams:
        if self.estimator_name not in self.estimators:
            raise ValueError(
                f"estimator_name = {self.estimator_name!r}: expected an estimator with a grid under "
                f"train.estimators ({', '.join(self.estimators)})"
            )
        return self

    @property
    def param_grid(self) -> dict[str, list]:
        """The search grid of the chosen estimator."""
        return self.estimators[self.estimator_name].param_grid


class EvaluateParams(Section):
    reports_dir: ProjectPath
    metrics_file: str = Field(min_length=1)
    confusion_matrix_image: str = Field(min_length=1)
    confusion_matrix_data: str = Field(min_length=1)

    @property
    def metrics_path(self) -> str:
        return f"{self.reports_dir}/{self.metrics_file}"

    @property
    def confusion_matrix_image_path(self) -> str:
        return f"{self.reports_dir}/{self.confusion_matrix_image}"

    @property
    def confusion_matrix_data_path(self) -> str:
        return f"{self.reports_dir}/{self.confusion_matrix_data}"


class Params(Section):
    base: BaseParams
    data_load: DataLoadParams
    featurize: FeaturizeParams
    data_split: DataSplitParams
    train: TrainParams
    evaluate: EvaluateParams


def _describe(value: Any) -> str:
    return f"{value!r} ({type(value).__name__})"


def _message(error: dict, source: str) -> str:
    """One line for pydantic's first error: the file, the key, the value, pydantic's own words."""
    key = ".".join(map(str, error["loc"])) or "the top level"
    if error["type"] == "missing":
        return f"{source}: {key} is missing (field required)"
    if error["type"] != "value_error":
        return f"{source}: {key} = {_describe(error['input'])}: {error['msg'][0].lower()}{error['msg'][1:]}"
    if isinstance(error["input"], dict):  # a check across a section's keys names its own key
        return f"{source}: {key}.{error['ctx']['error']}"
    return f"{source}: {key} = {_describe(error['input'])}: {error['ctx']['error']}"


def parse_params(raw: Any, source: str = "params.yaml") -> Params:
    """Validate an already-parsed configuration mapping and return typed params."""
    try:
        return Params.model_validate(raw)
    except ValidationError as err:
        raise ConfigError(_message(err.errors(include_url=False)[0], source)) from None


def load_params(path: str | Path = "params.yaml") -> Params:
    """Read and validate a params file; raise `ConfigError` on any problem."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file: expected the project's params file") from None
    except OSError as err:
        raise ConfigError(f"{path}: cannot be read ({err.strerror})") from None
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(err, "problem", None) or str(err)
        raise ConfigError(f"{path}: not valid YAML{where}: {problem}") from None
    if raw is None:  # an empty file, or only comments
        raise ConfigError(f"{path}: is empty: expected the sections {', '.join(Params.model_fields)}")
    return parse_params(raw, source=str(path))


def check_against_data(params: Params, frame: pd.DataFrame, source: str = "params.yaml") -> None:
    """Raise `ConfigError` for values the data or scikit-learn cannot accept, naming the key."""
    # Imported here, not at the top: a stage that only reads params.yaml pays no scikit-learn import.
    from iris_pipeline.dataset import TARGET_COLUMN, split_train_test
    from iris_pipeline.train import ESTIMATORS, make_estimator

    rows = len(frame)
    test_rows = math.ceil(params.data_split.test_size * rows)
    if not 0 < test_rows < rows:
        raise ConfigError(
            f"{source}: data_split.test_size = {_describe(params.data_split.test_size)}: expected a share that "
            f"leaves rows on both sides ({rows} rows: {rows - test_rows} train, {test_rows} test)"
        )
    train_set, _ = split_train_test(frame, params.data_split.test_size, params.base.random_state)
    smallest = int(train_set[TARGET_COLUMN].value_counts().min())
    if params.train.cv > smallest:
        raise ConfigError(
            f"{source}: train.cv = {_describe(params.train.cv)}: expected at most {smallest} folds: the smallest "
            f"class has {smallest} of the {len(train_set)} training rows"
        )
    features, target = train_set.drop(columns=[TARGET_COLUMN]), train_set[TARGET_COLUMN]
    for name, spec in params.train.estimators.items():
        if name not in ESTIMATORS:
            raise ConfigError(f"{source}: train.estimators.{name}: expected one of {', '.join(ESTIMATORS)}")
        estimator_class = ESTIMATORS[name].__name__
        accepted = sorted(make_estimator(name, params.base.random_state).get_params())
        for hyperparameter, values in spec.param_grid.items():
            key = f"train.estimators.{name}.param_grid.{hyperparameter}"
            if hyperparameter not in accepted:
                raise ConfigError(
                    f"{source}: {key} is not a parameter of {estimator_class}: expected one of {', '.join(accepted)}"
                )
            for value in values:  # each value on a fresh estimator, as the grid search sets it
                estimator = make_estimator(name, params.base.random_state).set_params(**{hyperparameter: value})
                try:  # fit() checks its parameters first (scikit-learn's InvalidParameterError, a ValueError)
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")  # a grid value may not converge on its own
                        estimator.fit(features, target)
                except (ValueError, TypeError) as err:
                    raise ConfigError(
                        f"{source}: {key} = {_describe(value)}: expected a value {estimator_class} accepts ({err})"
                    ) from None


def main(argv: list[str] | None = None) -> int:
    """`python -m iris_pipeline.config [params.yaml] [--record FILE]`: check a params file, against the data too.

    With `--record`, a success is also written to FILE (the `check_params` stage's output,
    which `data_load` depends on, so that the check runs before any other stage).
    """
    from iris_pipeline.dataset import load_iris_frame
    from iris_pipeline.io import atomic_path

    parser = argparse.ArgumentParser(prog="python -m iris_pipeline.config", description=main.__doc__.splitlines()[0])
    parser.add_argument("path", nargs="?", default="params.yaml", help="the params file [params.yaml]")
    parser.add_argument("--record", type=Path, help="write the verdict to this file too, on success")
    args = parser.parse_args(argv)
    try:
        params = load_params(args.path)
        check_against_data(params, load_iris_frame(), source=args.path)
    except ConfigError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    verdict = f"{args.path}: ok\n"
    if args.record:
        with atomic_path(args.record) as tmp:
            tmp.write_text(verdict, encoding="utf-8")
    print(verdict, end="")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
