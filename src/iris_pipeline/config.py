"""One typed loader for `params.yaml`.

Every stage reads its configuration through `load_params`, which checks the whole
file at once: a malformed file, a missing or unknown key, a wrong type or
a value out of range raises `ConfigError` naming the file, the key, the value and
what was expected.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import yaml

ESTIMATOR_NAMES = ("logreg", "svm", "knn")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


class ConfigError(ValueError):
    """A configuration value is missing, unknown, of the wrong type or out of range."""


@dataclass(frozen=True)
class BaseParams:
    random_state: int
    log_level: str


@dataclass(frozen=True)
class DataLoadParams:
    dataset_csv: str


@dataclass(frozen=True)
class FeaturizeParams:
    features_path: str


@dataclass(frozen=True)
class DataSplitParams:
    test_size: float
    trainset_path: str
    testset_path: str


@dataclass(frozen=True)
class EstimatorParams:
    param_grid: dict[str, list]


@dataclass(frozen=True)
class TrainParams:
    cv: int
    estimator_name: str
    estimators: dict[str, EstimatorParams]
    model_path: str

    @property
    def param_grid(self) -> dict[str, list]:
        """The search grid of the chosen estimator."""
        return self.estimators[self.estimator_name].param_grid


@dataclass(frozen=True)
class EvaluateParams:
    reports_dir: str
    metrics_file: str
    confusion_matrix_image: str
    confusion_matrix_data: str

    @property
    def metrics_path(self) -> str:
        return f"{self.reports_dir}/{self.metrics_file}"

    @property
    def confusion_matrix_image_path(self) -> str:
        return f"{self.reports_dir}/{self.confusion_matrix_image}"

    @property
    def confusion_matrix_data_path(self) -> str:
        return f"{self.reports_dir}/{self.confusion_matrix_data}"


@dataclass(frozen=True)
class Params:
    base: BaseParams
    data_load: DataLoadParams
    featurize: FeaturizeParams
    data_split: DataSplitParams
    train: TrainParams
    evaluate: EvaluateParams


SECTIONS = {
    "base": BaseParams,
    "data_load": DataLoadParams,
    "featurize": FeaturizeParams,
    "data_split": DataSplitParams,
    "train": TrainParams,
    "evaluate": EvaluateParams,
}


def _describe(value: Any) -> str:
    return f"{value!r} ({type(value).__name__})"


class _Checker:
    """Reads values out of a mapping, naming `source` and the dotted key on error."""

    def __init__(self, source: str):
        self.source = source

    def fail(self, key: str, value: Any, expected: str) -> ConfigError:
        return ConfigError(f"{self.source}: {key} = {_describe(value)}: expected {expected}")

    def mapping(self, key: str, value: Any, names: tuple[str, ...] | None) -> dict:
        if not isinstance(value, dict):
            raise self.fail(key, value, "a mapping of keys to values")
        if names is not None:
            missing = [n for n in names if n not in value]
            if missing:
                where = f"{key}." if key else ""
                raise ConfigError(
                    f"{self.source}: {where}{missing[0]} is missing: expected keys "
                    f"{', '.join(names)} in {key or 'the top level'}"
                )
            unknown = [n for n in value if n not in names]
            if unknown:
                where = f"{key}." if key else ""
                raise ConfigError(
                    f"{self.source}: {where}{unknown[0]} = {_describe(value[unknown[0]])} is not a "
                    f"known key: expected only {', '.join(names)} in {key or 'the top level'}"
                )
        return value

    def integer(self, key: str, value: Any, minimum: int | None = None) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(key, value, "an integer")
        if minimum is not None and value < minimum:
            raise self.fail(key, value, f"an integer of at least {minimum}")
        return value

    def text(self, key: str, value: Any, choices: tuple[str, ...] | None = None) -> str:
        if not isinstance(value, str) or not value:
            raise self.fail(key, value, "a non-empty string")
        if choices is not None and value not in choices:
            raise self.fail(key, value, f"one of {', '.join(choices)}")
        return value

    def fraction(self, key: str, value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.fail(key, value, "a number between 0 and 1, both excluded")
        if not 0 < value < 1:
            raise self.fail(key, value, "a number between 0 and 1, both excluded")
        return float(value)

    def grid(self, key: str, value: Any) -> dict[str, list]:
        self.mapping(key, value, None)
        if not value:
            raise self.fail(key, value, "at least one hyperparameter with a list of values")
        for name, options in value.items():
            if not isinstance(options, list) or not options:
                raise self.fail(f"{key}.{name}", options, "a non-empty list of values to search")
        return {name: list(options) for name, options in value.items()}


def _names(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in fields(cls))


def parse_params(raw: Any, source: str = "params.yaml") -> Params:
    """Validate an already-parsed configuration mapping and return typed params."""
    check = _Checker(source)
    top = check.mapping("", raw, tuple(SECTIONS))
    sections = {name: check.mapping(name, top[name], _names(cls)) for name, cls in SECTIONS.items()}

    base = sections["base"]
    train = sections["train"]
    estimators = check.mapping("train.estimators", train["estimators"], None)
    for name in estimators:
        check.text("train.estimators", name, ESTIMATOR_NAMES)
    parsed_estimators = {
        name: EstimatorParams(
            param_grid=check.grid(
                f"train.estimators.{name}.param_grid",
                check.mapping(f"train.estimators.{name}", spec, ("param_grid",))["param_grid"],
            )
        )
        for name, spec in estimators.items()
    }
    estimator_name = check.text("train.estimator_name", train["estimator_name"], ESTIMATOR_NAMES)
    if estimator_name not in parsed_estimators:
        raise check.fail(
            "train.estimator_name",
            estimator_name,
            f"an estimator with a grid under train.estimators ({', '.join(parsed_estimators)})",
        )

    def paths(section: str, cls: type, skip: tuple[str, ...] = ()) -> dict[str, str]:
        return {
            name: check.text(f"{section}.{name}", sections[section][name])
            for name in _names(cls)
            if name not in skip
        }

    return Params(
        base=BaseParams(
            random_state=check.integer("base.random_state", base["random_state"], minimum=0),
            log_level=check.text("base.log_level", base["log_level"], LOG_LEVELS),
        ),
        data_load=DataLoadParams(**paths("data_load", DataLoadParams)),
        featurize=FeaturizeParams(**paths("featurize", FeaturizeParams)),
        data_split=DataSplitParams(
            test_size=check.fraction("data_split.test_size", sections["data_split"]["test_size"]),
            **paths("data_split", DataSplitParams, skip=("test_size",)),
        ),
        train=TrainParams(
            cv=check.integer("train.cv", train["cv"], minimum=2),
            estimator_name=estimator_name,
            estimators=parsed_estimators,
            model_path=check.text("train.model_path", train["model_path"]),
        ),
        evaluate=EvaluateParams(**paths("evaluate", EvaluateParams)),
    )


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
    return parse_params(raw, source=str(path))


def main(argv: list[str] | None = None) -> int:
    """`python -m iris_pipeline.config [params.yaml]`: validate a params file."""
    args = sys.argv[1:] if argv is None else argv
    path = args[0] if args else "params.yaml"
    try:
        load_params(path)
    except ConfigError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    print(f"{path}: ok")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
