"""The branch picture (workbook.pictures.branches): git's log, parsed and drawn a lane per branch.

A small repository made here has the history lesson 2 builds: a branch merged by
fast-forward (no lane of its own), then a branch merged with a merge commit (a lane of its
own), a tag, and a commit only a tag reaches.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from matplotlib.figure import Figure

from workbook.pictures.branches import assign_lanes, draw_branches, git_log, parse_log, parse_refs
from workbook.workspace import isolated_environ


@pytest.fixture
def history(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    env = isolated_environ(tmp_path / "home", tmp_path)

    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True)

    def commit(name: str, text: str, subject: str) -> None:
        (repo / name).write_text(text)
        git("add", name)
        git("commit", "-q", "-m", subject)

    git("init", "-q")
    commit("params.yaml", "C: 0.001\n", "Start")
    git("switch", "-q", "-c", "try-c")
    commit("params.yaml", "C: 0.1\n", "Try C=0.1")
    git("switch", "-q", "main")
    git("merge", "-q", "try-c")  # a fast-forward
    git("switch", "-q", "-c", "more-iter")
    commit("iter.txt", "200\n", "More iterations")
    git("switch", "-q", "main")
    commit("README.md", "# Iris\n", "README")
    git("merge", "-q", "--no-edit", "more-iter")  # a merge commit
    git("tag", "-a", "v0.1", "-m", "first")
    git("switch", "-q", "--detach", "HEAD~1")
    commit("notes.txt", "x\n", "Detached idea")
    git("tag", "idea")
    git("switch", "-q", "main")
    return repo


def test_the_log_is_parsed_with_refs_and_parents(history):
    commits = parse_log(git_log(history))
    subjects = [c.subject for c in commits]
    assert set(subjects) == {
        "Start",
        "Try C=0.1",
        "More iterations",
        "README",
        "Merge branch 'more-iter'",
        "Detached idea",
    }
    merge = next(c for c in commits if c.subject.startswith("Merge"))
    assert len(merge.parents) == 2 and merge.head
    assert merge.branches == ("main",) and merge.tags == ("v0.1",)
    assert next(c for c in commits if c.subject == "Try C=0.1").branches == ("try-c",)


def test_each_branch_that_owns_commits_gets_a_lane(history):
    commits = parse_log(git_log(history))
    by_subject = {c.subject: c.sha for c in commits}
    lanes = {lane.name: lane.commits for lane in assign_lanes(commits)}
    assert list(lanes) == ["main", "more-iter", "idea"]  # try-c was fast-forwarded: main owns its commit
    assert by_subject["Try C=0.1"] in lanes["main"] and by_subject["Start"] in lanes["main"]
    assert lanes["more-iter"] == [by_subject["More iterations"]]
    assert lanes["idea"] == [by_subject["Detached idea"]]  # reached only by its tag


def test_the_picture_names_every_branch_tag_and_subject(history):
    figure = draw_branches(git_log(history), title="history")
    assert isinstance(figure, Figure)
    texts = {text.get_text() for text in figure.axes[0].texts}
    for name in ("main", "more-iter", "HEAD -> main", "try-c", "tag: v0.1", "tag: idea"):
        assert name in texts, name
    assert any(text.endswith("Merge branch 'more-iter'") for text in texts)
    figure.canvas.draw()  # labels placed relative to one another must lay out


def test_refs_of_a_detached_head_and_remote_branches():
    assert parse_refs("HEAD, tag: v1, origin/main") == (("origin/main",), ("v1",), True)
    assert parse_refs("") == ((), (), False)


@pytest.mark.parametrize(
    "text",
    ["", "\n", "not a commit line", "abc1234 def5678 subject without tabs", "zzzzzzz\t\tsubject"],
)
def test_unparsable_logs_are_refused(text):
    with pytest.raises(ValueError, match="git log"):
        parse_log(text)


def test_a_saved_log_is_drawn_without_git():
    log = (
        "2222222222222222222222222222222222222222 1111111111111111111111111111111111111111\tHEAD -> main\tSecond\n"
        "1111111111111111111111111111111111111111 \ttag: v0\tFirst\n"
    )
    commits = parse_log(log)
    assert [c.parents for c in commits] == [("1" * 40,), ()]
    assert [lane.name for lane in assign_lanes(commits)] == ["main"]
    assert draw_branches(log).axes


def test_git_log_of_a_missing_folder_is_an_error(tmp_path):
    with pytest.raises(ValueError, match="git log"):
        git_log(tmp_path / "nowhere")
