"""Unit tests of the pipeline's pure functions and its I/O edges, without DVC."""

from __future__ import annotations

import json
import os
import sys

import numpy as np
import pytest

from conftest import REPO_ROOT, run
from iris_pipeline import io
from iris_pipeline.dataset import RAW_SCHEMA, features_and_target, load_iris_frame, split_train_test
from iris_pipeline.evaluate import CLASS_NAMES, confusion_frame, confusion_matrix
from iris_pipeline.features import RATIO_FEATURES, featurize
from iris_pipeline.io import InputError, atomic_path, load_model, project_root, read_csv, save_model, write_csv
from iris_pipeline.plots import plot_confusion_matrix
from iris_pipeline.train import PORTABLE_DECIMALS, make_estimator, portable, train

GRID = {"C": [0.001], "max_iter": [100], "solver": ["lbfgs"]}


@pytest.fixture(scope="module")
def splits():
    train_set, test_set = split_train_test(featurize(load_iris_frame()), test_size=0.2, random_state=42)
    return features_and_target(train_set), features_and_target(test_set)


@pytest.fixture(scope="module")
def model(splits):
    (X_train, y_train), _ = splits
    return train(X_train, y_train, "logreg", GRID, cv=3, random_state=42)


def test_the_iris_set_renamed_and_featurized_and_read_back_as_written(tmp_path):
    """Their columns, in order: the schemas every stage's read_csv holds them to (RAW_SCHEMA here)."""
    frame = load_iris_frame()
    assert frame["target"].value_counts().to_dict() == {0: 50, 1: 50, 2: 50}
    features = featurize(frame)
    assert "sepal_length_to_sepal_width" in RATIO_FEATURES  # the course's first ratio, checked below
    assert features["sepal_length_to_sepal_width"].iloc[0] == pytest.approx(5.1 / 3.5)
    assert "sepal_length_to_sepal_width" not in frame.columns  # input untouched
    assert read_csv(write_csv(frame, tmp_path / "iris.csv"), "data_load", RAW_SCHEMA).equals(frame)  # its contract


def test_split_is_120_30_and_follows_the_seed():
    """The same seed, the same split: tests/test_pipeline.py's same bytes from two runs."""
    frame = featurize(load_iris_frame())
    train_a, test_a = split_train_test(frame, test_size=0.2, random_state=42)
    assert (len(train_a), len(test_a)) == (120, 30)
    _, test_other = split_train_test(frame, test_size=0.2, random_state=7)
    assert not test_a.equals(test_other)


def test_train_returns_the_estimator_not_the_search_and_a_corrupt_model_is_named(model, tmp_path):
    from sklearn.linear_model import LogisticRegression

    assert type(model) is LogisticRegression
    assert model.C == 0.001
    saved = save_model(model, tmp_path / "model.joblib")
    saved.write_text("not a pickle")
    with pytest.raises(InputError, match=r"model.joblib: cannot be loaded .*`train` stage"):
        load_model(saved)
    with pytest.raises(ValueError, match="estimator name 'forest': expected one of logreg, svm, knn"):
        make_estimator("forest", 42)


def test_confusion_frame_has_one_named_row_per_test_sample_and_the_plot_every_count(model, splits):
    _, (X_test, y_test) = splits
    confusion = confusion_frame(model, X_test, y_test)
    assert list(confusion.columns) == ["y_true", "predicted"]
    assert len(confusion) == 30
    assert set(confusion["y_true"]) <= set(CLASS_NAMES)
    matrix = confusion_matrix(confusion)  # its counts are scikit-learn's: lesson 3's check
    texts = [t.get_text() for t in plot_confusion_matrix(matrix).axes[0].texts]
    assert sorted(int(t) for t in texts) == sorted(int(v) for v in matrix.to_numpy().ravel())


MISSING = "expected the output of the `data_load` stage (run `dvc repro data_load` first)"
BROKEN = "(the `data_load` stage writes this file: `dvc repro data_load`)"


# The file's edit: None, no file; bytes, its content; (line, text), one line (0: the header).
@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (None, f"no such file: {MISSING}"),
        (b"\xff\xfe\x00garbage\x00", "cannot be read as CSV ("),
        (b"sepal_length,sepal_width,petal_length,petal_width,target\n", f"no rows: expected at least one {BROKEN}"),
        (
            (0, "sepal_length,sepal_width,petal_length,petal_width,label"),
            "columns sepal_length, sepal_width, petal_length, petal_width, label: "
            f"expected sepal_length, sepal_width, petal_length, petal_width, target {BROKEN}",
        ),
        ((3, "5.0,,1.4,0.2,0"), f"line 4, column 'sepal_width': a blank field: expected a number {BROKEN}"),
        ((5, "5.0,abc,1.4,0.2,0"), f"line 6, column 'sepal_width': 'abc': expected a number {BROKEN}"),
        ((2, "5.0,3.0,1.4,0.2,1.5"), f"line 3, column 'target': '1.5': expected an integer {BROKEN}"),
    ],
    ids=["missing", "unreadable", "no-rows", "wrong-columns", "blank", "text-in-number", "fraction-in-integer"],
)
def test_read_csv_names_the_file_the_problem_and_the_stage_that_writes_it(tmp_path, edit, message):
    path = write_csv(load_iris_frame(), tmp_path / "iris.csv")
    if edit is None:
        path.unlink()
    elif isinstance(edit, bytes):
        path.write_bytes(edit)
    else:
        lines = path.read_text().splitlines()
        lines[edit[0]] = edit[1]
        path.write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError) as info:
        read_csv(path, produced_by="data_load", schema=RAW_SCHEMA)
    assert str(info.value).startswith(f"{path}: {message}")


def test_writes_are_atomic_and_leave_nothing_on_failure(tmp_path):
    target = tmp_path / "out" / "metrics.json"
    io.write_json({"f1": 0.5}, target)
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("stage failed mid-write")
    assert json.loads(target.read_text()) == {"f1": 0.5}
    assert sorted(p.name for p in target.parent.iterdir()) == ["metrics.json"]


def test_project_root_is_the_nearest_folder_with_dvc_yaml_or_params_yaml_else_an_error(tmp_path):
    outer, inner = tmp_path / "outer", tmp_path / "outer" / "workspace" / "project"
    (inner / "stages").mkdir(parents=True)
    (outer / "dvc.yaml").write_text("stages: {}\n")
    (inner / "params.yaml").write_text("base: {}\n")  # a project before DVC (step 4)
    assert project_root(inner / "stages") == inner.resolve()
    assert project_root(outer / "workspace") == outer.resolve()
    (inner / "dvc.yaml").write_text("stages: {}\n")
    (inner / "params.yaml").unlink()
    assert project_root(inner) == inner.resolve()
    with pytest.raises(FileNotFoundError, match=r"no dvc\.yaml or params\.yaml in this folder or any folder above it"):
        project_root(tmp_path)


SAVE_DEFAULT_MODEL = """
import hashlib, sys
from conftest import pipeline_model
from iris_pipeline.io import save_model
print(hashlib.md5(save_model(pipeline_model(), sys.argv[1]).read_bytes()).hexdigest())
"""


def test_the_default_model_has_the_same_bytes_whatever_blas_kernel_the_cpu_gets(tmp_path):
    """numpy's OpenBLAS picks its kernels by CPU, and their results differ in the last bits:
    the fitted parameters are rounded (iris_pipeline.train.portable), so the saved model, and
    so dvc.lock, is the same on every machine. OPENBLAS_CORETYPE forces a kernel."""
    from threadpoolctl import threadpool_info

    if not any(pool["internal_api"] == "openblas" for pool in threadpool_info()):
        pytest.skip("numpy does not use OpenBLAS here")
    command = [sys.executable, "-c", SAVE_DEFAULT_MODEL, str(tmp_path / "m.joblib")]
    kernels = ("Haswell", "SkylakeX", "Prescott")
    digests = {run(command, REPO_ROOT / "tests", {**os.environ, "OPENBLAS_CORETYPE": k}).stdout for k in kernels}
    assert len(digests) == 1, f"the model's bytes depend on the BLAS kernel: {digests}"


def test_portable_rounds_fitted_floats_only():
    estimator = make_estimator("logreg", random_state=0)
    estimator.coef_ = np.array([[0.123456789012345]])
    estimator.classes_ = np.array([0, 1])
    estimator.C = 0.123456789012345  # a parameter, not a fitted value
    portable(estimator)
    assert estimator.coef_[0, 0] == round(0.123456789012345, PORTABLE_DECIMALS)
    assert estimator.classes_.dtype.kind == "i" and estimator.C == 0.123456789012345
