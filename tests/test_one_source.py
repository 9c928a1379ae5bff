"""Each value of params.yaml is held in the file, declared once for DVC and read in one place.

The stages read params.yaml themselves (`load_params(params_file)`); papermill passes
only which file. These checks read dvc.yaml, params.yaml and the stage notebooks as
text, so a value copied into a command, a parameters cell or a dict fails here.
"""

from __future__ import annotations

import json
import re

import pytest
import yaml

from conftest import REPO_ROOT

STAGES = ("data_load", "featurize", "data_split", "train", "evaluate")
DVC_YAML = yaml.safe_load((REPO_ROOT / "dvc.yaml").read_text())
PARAMS = yaml.safe_load((REPO_ROOT / "params.yaml").read_text())
# Properties of the typed config that combine keys of the file.
DERIVED = {
    "evaluate.metrics_path": {"evaluate.reports_dir", "evaluate.metrics_file"},
    "evaluate.confusion_matrix_image_path": {"evaluate.reports_dir", "evaluate.confusion_matrix_image"},
    "evaluate.confusion_matrix_data_path": {"evaluate.reports_dir", "evaluate.confusion_matrix_data"},
    "train.param_grid": {"train.estimators.${train.estimator_name}", "train.estimator_name"},
}
READ = re.compile(r"\bparams\.(base|data_load|featurize|data_split|train|evaluate)\.(\w+)")
TEMPLATE = re.compile(r"\$\{([\w.]+)\}")


def leaves(node, prefix=""):
    """Dotted keys of every scalar or list value in a mapping (the train grids count as one value each)."""
    if isinstance(node, dict) and not prefix.endswith("param_grid"):
        for key, value in node.items():
            yield from leaves(value, f"{prefix}.{key}" if prefix else key)
    else:
        yield prefix


def notebook(stage: str) -> list[dict]:
    return json.loads((REPO_ROOT / "stages" / f"{stage}.ipynb").read_text())["cells"]


def code(stage: str) -> str:
    return "\n".join("".join(c["source"]) for c in notebook(stage) if c["cell_type"] == "code")


def keys_read(stage: str) -> set[str]:
    keys = set()
    for section, name in READ.findall(code(stage)):
        dotted = f"{section}.{name}"
        if dotted in DERIVED:
            keys |= DERIVED[dotted]
        else:
            assert dotted in set(leaves(PARAMS)), f"stages/{stage}.ipynb reads {dotted}, which params.yaml lacks"
            keys.add(dotted)
    return keys


def keys_declared(stage: str) -> tuple[list[str], set[str]]:
    """What dvc.yaml declares for a stage: its params list, and the keys in its deps' and outs' ${...}."""
    spec = DVC_YAML["stages"][stage]
    in_paths = set()
    for field in ("deps", "outs", "metrics", "plots"):
        for entry in spec.get(field, []):
            path = entry if isinstance(entry, str) else next(iter(entry))
            in_paths |= set(TEMPLATE.findall(path))
    return list(spec.get("params", [])), in_paths


@pytest.mark.parametrize("stage", STAGES)
def test_parameters_cell_takes_only_the_params_file(stage):
    cells = [c for c in notebook(stage) if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(cells) == 1
    assignments = re.findall(r"^(\w+)\s*:\s*\w+\s*=\s*(.+?)\s*(#.*)?$", "".join(cells[0]["source"]), re.M)
    assert [(name, value) for name, value, _ in assignments] == [("params_file", '"params.yaml"')]


@pytest.mark.parametrize("stage", STAGES)
def test_the_command_passes_no_values(stage):
    cmd = DVC_YAML["stages"][stage]["cmd"]
    assert " -p " not in cmd and "${" not in cmd, cmd
    assert cmd.split()[0] == "papermill" and f"stages/{stage}.ipynb" in cmd


@pytest.mark.parametrize("stage", STAGES)
def test_stage_declares_exactly_the_keys_it_reads_each_once(stage):
    params, in_paths = keys_declared(stage)
    assert len(params) == len(set(params)), f"{stage} lists a key twice under params: {params}"
    assert not set(params) & in_paths, f"{stage} lists path keys under params too: {set(params) & in_paths}"
    assert set(params) | in_paths == keys_read(stage)


@pytest.mark.parametrize("stage", STAGES)
def test_no_value_of_params_yaml_is_written_in_a_stage(stage):
    source = code(stage)
    for key in leaves(PARAMS):
        value = PARAMS
        for part in key.split("."):
            value = value[part]
        if isinstance(value, str):
            assert f'"{value}"' not in source and f"'{value}'" not in source, f"{stage} repeats {key}"


def test_every_value_is_read_by_some_stage():
    read = set().union(*(keys_read(stage) for stage in STAGES))
    grids = {f"train.estimators.{name}.param_grid" for name in PARAMS["train"]["estimators"]}
    # The grids are read through train.estimators.${train.estimator_name}: the chosen one.
    assert set(leaves(PARAMS)) - grids <= read
    assert "train.estimators.${train.estimator_name}" in read


def test_params_yaml_is_checked_whole_before_any_stage():
    """check_params reruns on any change to the file; every stage comes after it."""
    check = DVC_YAML["stages"]["check_params"]
    assert check["cmd"].startswith("python -m iris_pipeline.config params.yaml")
    assert "params.yaml" in check["deps"]
    record = check["outs"][0]
    assert record in DVC_YAML["stages"]["data_load"]["deps"]  # the others follow data_load
    assert list(DVC_YAML["stages"]) == ["check_params", *STAGES]


def test_each_stage_depends_on_the_package_as_one_folder():
    for stage in ("check_params", *STAGES):
        deps = DVC_YAML["stages"][stage]["deps"]
        assert "src/iris_pipeline" in deps
        assert not [d for d in deps if d.startswith("src/iris_pipeline/")], f"{stage} lists modules one by one"
