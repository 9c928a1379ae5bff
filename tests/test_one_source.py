"""Each value of params.yaml is held in the file, declared once for DVC and read in one place:
the stages read params.yaml themselves, papermill passes only which file. These checks read
dvc.yaml, params.yaml and the stages as text: a value copied into a command or a cell fails."""

from __future__ import annotations

import re

import nbformat
import pytest
import yaml

from conftest import REPO_ROOT, param_leaves

STAGES = ("data_load", "featurize", "data_split", "train", "evaluate")
DVC_STAGES = yaml.safe_load((REPO_ROOT / "dvc.yaml").read_text())["stages"]
PARAMS = yaml.safe_load((REPO_ROOT / "params.yaml").read_text())
CELLS = {stage: nbformat.read(REPO_ROOT / "stages" / f"{stage}.ipynb", as_version=4).cells for stage in STAGES}
# Properties of the typed config that combine keys of the file.
DERIVED = {
    "evaluate.metrics_path": {"evaluate.reports_dir", "evaluate.metrics_file"},
    "evaluate.confusion_matrix_image_path": {"evaluate.reports_dir", "evaluate.confusion_matrix_image"},
    "evaluate.confusion_matrix_data_path": {"evaluate.reports_dir", "evaluate.confusion_matrix_data"},
    "train.param_grid": {"train.estimators.${train.estimator_name}", "train.estimator_name"},
}
READ = re.compile(r"\bparams\.(base|data_load|featurize|data_split|train|evaluate)\.(\w+)")


KEYS = dict(param_leaves(PARAMS))


def code(stage: str) -> str:
    return "\n".join(cell.source for cell in CELLS[stage] if cell.cell_type == "code")


def keys_read(stage: str) -> set[str]:
    dotted = {f"{section}.{name}" for section, name in READ.findall(code(stage))}
    assert not (unknown := dotted - set(DERIVED) - set(KEYS)), f"stages/{stage}.ipynb reads {unknown}, not in params"
    return set().union(*(DERIVED.get(key, {key}) for key in dotted))


@pytest.mark.parametrize("stage", STAGES)
def test_a_stage_takes_only_the_params_file_and_writes_no_value_of_it(stage):
    cells = [cell for cell in CELLS[stage] if "parameters" in cell.metadata.get("tags", [])]
    assert len(cells) == 1
    assignments = re.findall(r"^(\w+)\s*:\s*\w+\s*=\s*(.+?)\s*(#.*)?$", cells[0].source, re.M)
    assert [(name, value) for name, value, _ in assignments] == [("params_file", '"params.yaml"')]
    cmd = DVC_STAGES[stage]["cmd"]
    assert " -p " not in cmd and "${" not in cmd, cmd
    assert cmd.split()[0] == "papermill" and f"stages/{stage}.ipynb" in cmd
    strings = {key: value for key, value in KEYS.items() if isinstance(value, str)}
    repeated = [key for key, value in strings.items() if f'"{value}"' in code(stage) or f"'{value}'" in code(stage)]
    assert not repeated, f"{stage} repeats {repeated}"


@pytest.mark.parametrize("stage", STAGES)
def test_stage_declares_exactly_the_keys_it_reads_each_once(stage):
    """Its params list, and the keys in the ${...} of its deps' and outs' paths."""
    spec = DVC_STAGES[stage]
    params = list(spec.get("params", []))
    entries = [entry for field in ("deps", "outs", "metrics", "plots") for entry in spec.get(field, [])]
    paths = [entry if isinstance(entry, str) else next(iter(entry)) for entry in entries]
    in_paths = {key for path in paths for key in re.findall(r"\$\{([\w.]+)\}", path)}
    assert len(params) == len(set(params)), f"{stage} lists a key twice under params: {params}"
    assert not set(params) & in_paths, f"{stage} lists path keys under params too: {set(params) & in_paths}"
    assert set(params) | in_paths == keys_read(stage)


def test_every_value_is_read_by_some_stage():
    read = set().union(*map(keys_read, STAGES))
    grids = {f"train.estimators.{name}.param_grid" for name in PARAMS["train"]["estimators"]}
    # The grids are read through train.estimators.${train.estimator_name}: the chosen one.
    assert set(KEYS) - grids <= read
    assert "train.estimators.${train.estimator_name}" in read


def test_params_yaml_is_checked_whole_first_and_each_stage_depends_on_the_package_as_one_folder():
    """check_params reruns on any change to the file; every stage comes after it."""
    check = DVC_STAGES["check_params"]
    assert check["cmd"].startswith("python -m iris_pipeline.config params.yaml") and "params.yaml" in check["deps"]
    assert check["outs"][0] in DVC_STAGES["data_load"]["deps"]  # the others follow data_load
    assert list(DVC_STAGES) == ["check_params", *STAGES]
    for stage, spec in DVC_STAGES.items():
        assert not [d for d in spec["deps"] if d.startswith("src/iris_pipeline/")], f"{stage} lists modules one by one"
