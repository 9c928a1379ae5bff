"""The storage picture (workbook.pictures.storage) draws a real project's facts: the tracked
file's name, its md5 and cache path from the `.dvc` file, the remotes from the configs,
whether the cache and the remote hold the bytes, and the commands between the places."""

from __future__ import annotations

import hashlib
import io
import subprocess
from pathlib import Path

import pytest
from matplotlib.figure import Figure

from workbook.pictures.storage import cache_path, dvc_remote, git_remote, read_pointer, storage_picture

DATA = b"sepal_length,target\n5.1,0\n"
MD5 = hashlib.md5(DATA).hexdigest()
COMMANDS = (
    "git add",
    "git push",
    "git pull",
    "dvc add",
    "dvc commit",
    "dvc checkout",
    "dvc push",
    "dvc fetch",
    "dvc pull",
)


def project_with_pointer(root: Path, remote: Path | None = None) -> Path:
    """A project as `dvc add data/raw/iris.csv` leaves it (written by hand, no DVC run)."""
    (root / "data" / "raw").mkdir(parents=True)
    (root / "data" / "raw" / "iris.csv").write_bytes(DATA)
    (root / "data" / "raw" / "iris.csv.dvc").write_text(
        f"outs:\n- md5: {MD5}\n  size: {len(DATA)}\n  hash: md5\n  path: iris.csv\n", encoding="utf-8"
    )
    (root / ".dvc").mkdir()
    config = "[core]\n    remote = storage\n['remote \"storage\"']\n    url = " + str(remote) + "\n" if remote else ""
    (root / ".dvc" / "config").write_text(config, encoding="utf-8")
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    return root


def texts(figure: Figure) -> str:
    return "\n".join(text.get_text() for text in figure.axes[0].texts)


def test_cache_path_is_two_characters_then_the_rest():
    assert cache_path("4224576f0267bf88902f87f0f6200967") == "files/md5/42/24576f0267bf88902f87f0f6200967"
    with pytest.raises(ValueError, match="32 lowercase hex"):
        cache_path("not-a-hash")


def test_the_pointer_is_read_from_the_dvc_file(tmp_path):
    project = project_with_pointer(tmp_path / "project")
    pointer = read_pointer(project, "data/raw/iris.csv.dvc")
    assert (pointer.path, pointer.md5, pointer.size) == ("data/raw/iris.csv", MD5, len(DATA))
    assert pointer.cache_path == f"files/md5/{MD5[:2]}/{MD5[2:]}"


def test_a_dvc_file_without_one_output_is_named_in_the_error(tmp_path):
    (tmp_path / "empty.dvc").write_text("outs: []\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"empty\.dvc: expected one entry under 'outs'"):
        read_pointer(tmp_path, "empty.dvc")


def test_remotes_come_from_the_configs(tmp_path):
    remote = tmp_path / "dvc-remote"
    project = project_with_pointer(tmp_path / "project", remote)
    assert dvc_remote(project) == ("storage", str(remote))
    assert git_remote(project) is None
    subprocess.run(["git", "remote", "add", "origin", str(tmp_path / "origin.git")], cwd=project, check=True)
    assert git_remote(project) == str(tmp_path / "origin.git")
    assert dvc_remote(project_with_pointer(tmp_path / "bare")) is None


def test_the_picture_shows_the_projects_own_file_hash_and_paths(tmp_path):
    remote = tmp_path / "dvc-remote"
    project = project_with_pointer(tmp_path / "project", remote)
    shown = texts(storage_picture(project))
    for fact in (
        "data/raw/iris.csv",
        "data/raw/iris.csv.dvc",
        MD5,
        f".dvc/cache/files/md5/{MD5[:2]}/",
        MD5[2:],
        "DVC remote (storage)",
        "…/tmp_path0/dvc-remote".replace("tmp_path0", tmp_path.name),
    ):
        assert fact in shown, fact
    for command in COMMANDS:
        assert command in shown, command
    assert shown.count("does not hold them yet") == 2  # neither the cache nor the remote has the bytes
    assert "git remote (origin)" in shown and "none yet" in shown


def test_the_picture_says_where_the_bytes_are(tmp_path):
    remote = tmp_path / "dvc-remote"
    project = project_with_pointer(tmp_path / "project", remote)
    for root in (project / ".dvc" / "cache", remote):
        (root / cache_path(MD5)).parent.mkdir(parents=True)
        (root / cache_path(MD5)).write_bytes(DATA)
    subprocess.run(["git", "remote", "add", "origin", str(tmp_path / "origin.git")], cwd=project, check=True)
    figure = storage_picture(project)
    shown = texts(figure)
    assert shown.count("holds these bytes") == 2 and "does not hold" not in shown
    assert f"…/{tmp_path.name}/origin.git" in shown
    png = io.BytesIO()
    figure.savefig(png, format="png")  # drawn offline, without pyplot
    assert png.getvalue().startswith(b"\x89PNG")
