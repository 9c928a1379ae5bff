"""File I/O at the edges of the pipeline: clear errors on read, atomic writes.

Readers name the missing file and the stage that produces it. Writers create the
folder, write to a temporary file beside the target and rename it into place, so a
failing stage never leaves a half-written output.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd

# What marks the project's root folder: the pipeline (dvc.yaml), or before DVC runs it
# (step 4 of the course) the configuration the stages read.
PROJECT_MARKERS = ("dvc.yaml", "params.yaml")


def project_root(start: str | Path | None = None) -> Path:
    """The project's root: the nearest folder, from `start` (default: the working folder)
    upward, that holds dvc.yaml or params.yaml.

    The stages run from there, as under `dvc repro`, also when a stage notebook is opened in
    JupyterLab, whose kernel starts in the notebook's own folder, `stages/`.
    """
    start = Path.cwd() if start is None else Path(start)
    start = start.resolve()
    for folder in (start, *start.parents):
        if any((folder / marker).is_file() for marker in PROJECT_MARKERS):
            return folder
    raise FileNotFoundError(
        f"{start}: no {' or '.join(PROJECT_MARKERS)} in this folder or any folder above it: "
        "expected to run inside the project (the folder that holds dvc.yaml)"
    )


class InputError(FileNotFoundError):
    """A stage's input is missing, unreadable or breaks its contract (columns, types, blanks)."""


def _missing(path: Path, produced_by: str, why: str) -> InputError:
    return InputError(
        f"{path}: {why}: expected the output of the `{produced_by}` stage "
        f"(run `dvc repro {produced_by}` first)"
    )


def read_csv(path: str | Path, produced_by: str, schema: dict[str, str]) -> pd.DataFrame:
    """Read a CSV that stage `produced_by` writes, and hold it to its contract.

    `schema` maps each column, in order, to "number" or "integer". The file must have
    exactly those columns, at least one row, no blank field and no value of another
    type; the error names the file, the line and the column.
    """
    path = Path(path)
    if not path.is_file():
        raise _missing(path, produced_by, "no such file")
    try:
        frame = pd.read_csv(path)
    except (OSError, ValueError, UnicodeDecodeError) as err:
        raise _missing(path, produced_by, f"cannot be read as CSV ({err})") from None
    if list(frame.columns) != list(schema):
        raise _broken(path, produced_by, f"columns {', '.join(frame.columns)}: expected {', '.join(schema)}")
    if frame.empty:
        raise _broken(path, produced_by, "no rows: expected at least one")
    for column, kind in schema.items():
        values = pd.to_numeric(frame[column], errors="coerce")
        bad = values.isna() | ((values % 1 != 0) if kind == "integer" else False)
        if bad.any():
            row = int(bad.to_numpy().argmax())
            raw = pd.read_csv(path, dtype=str, keep_default_na=False)[column].iloc[row]
            found = repr(raw) if raw.strip() else "a blank field"
            expected = _KIND_EXPECTED[kind]
            raise _broken(path, produced_by, f"line {row + 2}, column {column!r}: {found}: expected {expected}")
    return frame


_KIND_EXPECTED = {"number": "a number", "integer": "an integer"}


def _broken(path: Path, produced_by: str, why: str) -> InputError:
    return InputError(f"{path}: {why} (the `{produced_by}` stage writes this file: `dvc repro {produced_by}`)")


def load_model(path: str | Path, produced_by: str = "train") -> Any:
    """Load an estimator saved by `save_model`."""
    path = Path(path)
    if not path.is_file():
        raise _missing(path, produced_by, "no such file")
    import joblib  # only the stages that read or write a model need it

    try:
        return joblib.load(path)
    except Exception as err:  # joblib raises many kinds on a corrupt file
        raise _missing(path, produced_by, f"cannot be loaded ({type(err).__name__}: {err})") from None


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside `path`; move it onto `path` only if the block succeeds."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def write_csv(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write a data frame as CSV (no index), atomically."""
    with atomic_path(path) as tmp:
        frame.to_csv(tmp, index=False)
    return Path(path)


def write_json(data: Any, path: str | Path) -> Path:
    """Write JSON with sorted keys and a final newline, atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return Path(path)


def save_model(model: Any, path: str | Path) -> Path:
    """Pickle an estimator with joblib, atomically."""
    import joblib

    with atomic_path(path) as tmp:
        joblib.dump(model, tmp)
    return Path(path)


def save_figure(figure: Any, path: str | Path) -> Path:
    """Save a matplotlib figure as PNG without the variable metadata, atomically."""
    with atomic_path(path) as tmp:
        figure.savefig(tmp, format="png", metadata={"Software": None}, dpi=100)
    return Path(path)
