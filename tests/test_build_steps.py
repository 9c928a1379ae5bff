"""The step builder as a command (`python course/build_steps.py`): what it refuses and
leaves alone, the steps folder it makes and updates (in a fresh `git clone` of this
repository: conftest.course_clone), bad exercise markers, rendering.
"""

from __future__ import annotations

import ast
import os
import sys
from pathlib import Path

import pytest

import build_steps as bs
from conftest import CHAIN, REPO_ROOT, STEPS, course_clone, git, run, steps


def test_builds_again_refuses_and_rebuilds_leaving_the_learners_work(tmp_path: Path):
    """Build, build again, then a change of the source (as after a pull): what the builder
    refuses and leaves alone, and what a rebuild moves, the steps folder included."""
    clone = course_clone(tmp_path)
    head = git(clone, "rev-parse", "HEAD")
    branch = git(clone, "symbolic-ref", "--short", "HEAD")  # whatever the course's branch is called
    folder = tmp_path / "my-steps"
    made = steps(clone, "build", "--steps-dir", str(folder))
    assert f"Steps folder (created): {folder}, on {STEPS[0]}" in made.stdout
    assert os.readlink(folder / ".venv") == os.path.relpath(clone.root / ".venv", folder)
    again = steps(clone, "build", "--steps-dir", str(folder))  # safe to run again: nothing moves
    assert "Steps folder (reused)" in again.stdout and "created" not in again.stdout and "updated" not in again.stdout

    (clone.root / "params.yaml").write_text((clone.root / "params.yaml").read_text() + "# edited\n")
    dirty = steps(clone, "build", check=False)
    assert dirty.returncode == 1 and "uncommitted changes" in dirty.stderr and "  params.yaml" in dirty.stderr
    # The learner's edit, branch and HEAD are untouched by the refusal, and no steps folder was made.
    assert git(clone, "status", "--porcelain") == "M params.yaml"
    assert git(clone, "symbolic-ref", "--short", "HEAD") == branch
    assert git(clone, "rev-parse", "HEAD") == head
    assert not bs.default_steps_dir(clone.root).exists()
    git(clone, "checkout", "--", "params.yaml")

    before = {b: git(clone, "rev-parse", b) for b in STEPS + CHAIN}

    # After a change of step 6 (as after a pull), a rebuild moves the branches from that step on.
    readme = clone.root / "course/step-6/README.md"
    readme.write_text(readme.read_text() + "\nOne more line.\n")
    git(clone, "commit", "-qam", "Edit step 6")
    moved = steps(clone, "build", "--no-steps-dir", check=False)
    assert moved.returncode == 1 and "exist already" in moved.stderr and "FORCE=1" in moved.stderr
    # The learner is on step 6 in the steps folder, with uncommitted work...
    git(clone, "switch", "-q", STEPS[5], cwd=folder)
    work = folder / "params.yaml"
    work.write_text(work.read_text() + "# mine\n")
    refused = steps(clone, "rebuild", "--steps-dir", str(folder), check=False)
    assert refused.returncode == 1 and "uncommitted changes" in refused.stderr and str(folder) in refused.stderr
    assert git(clone, "status", "--porcelain", cwd=folder) == "M params.yaml"  # the work is still there
    git(clone, "checkout", "--", "params.yaml", cwd=folder)
    # ...and on step 7 in a working tree of their own.
    busy_tree = tmp_path / "wt-step-7"
    git(clone, "worktree", "add", "-q", str(busy_tree), STEPS[6])
    busy = steps(clone, "rebuild", "--steps-dir", str(folder), check=False)
    assert busy.returncode == 1 and "is checked out" in busy.stderr
    assert {b: git(clone, "rev-parse", b) for b in STEPS + CHAIN} == before  # all or nothing
    git(clone, "worktree", "remove", str(busy_tree))
    updated = steps(clone, "rebuild", "--steps-dir", str(folder))
    assert f"updated   {STEPS[5]}" in updated.stdout and f"unchanged {CHAIN[4]}" in updated.stdout
    assert "Steps folder (reused)" in updated.stdout and git(clone, "rev-parse", CHAIN[4]) == before[CHAIN[4]]
    assert git(clone, "branch", "--show-current", cwd=folder) == STEPS[5]  # back on its branch, moved
    assert (folder / "README.md").read_text().endswith("One more line.\n")
    assert git(clone, "status", "--porcelain", cwd=folder) == "" and git(clone, "status", "--porcelain") == ""
    wrong = steps(clone, "rebuild", "--no-steps-dir", "--from", STEPS[0], check=False)
    assert wrong.returncode == 1 and "course/steps.yaml is not in commit" in wrong.stderr

    # A folder that is not a worktree of the clone is never used.
    other = tmp_path / "taken"
    other.mkdir()
    (other / "notes.txt").write_text("mine\n")
    taken = steps(clone, "build", "--steps-dir", str(other), check=False)
    assert taken.returncode == 1 and "is not a working tree of this repository" in taken.stderr
    assert [p.name for p in other.iterdir()] == ["notes.txt"]


def test_outside_a_repository(tmp_path: Path):
    command = [sys.executable, str(REPO_ROOT / "course/build_steps.py"), "build"]
    result = run(command, tmp_path, {**os.environ, "GIT_CEILING_DIRECTORIES": str(tmp_path.parent)}, check=False)
    assert result.returncode == 1 and "not inside a git repository" in result.stderr


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("# <solution> task\nx = 1\n", "never closed"),
        ("# <solution>\nx = 1\n# </solution>\n", "needs a task"),
        ("x = 1\n# </solution>\n", "without an opening"),
        ("# <solution> a\n# <solution> b\n# </solution>\n", "inside a region"),
    ],
)
def test_bad_markers_are_named(text: str, message: str):
    with pytest.raises(bs.StepsError, match=message):
        bs.split_markers(text, "x.py", python=True)


def test_rendering_names_a_failing_field_and_writes_python_literals():
    with pytest.raises(bs.StepsError, match=r"x\.md: UndefinedError: .*'f2'"):
        bs.render_file(b'{{ metrics["f2"] }}', "x.md", {"metrics": {"f1": 0.5}})
    assert bs.render_file(b"{{ py(x) }}", "x.py", {"x": {"a": ("b", "c")}}) == b'{"a": ("b", "c")}'
    long = {f"feature_{i}_to_feature_{i + 1}": (f"feature_{i}", f"feature_{i + 1}") for i in range(3)}
    written = bs.render_file(b"{{ py(x) }}", "x.py", {"x": long}).decode()  # one item a line, past 80 characters
    assert written.splitlines()[1] == '    "feature_0_to_feature_1": ("feature_0", "feature_1"),'
    assert ast.literal_eval(written) == long
