"""`make check` and `make progress` on steps 6 and 7, which are solved by doing, not by files
alone: the tests add the remote and push, run and keep experiments, as the READMEs say.
The set-up is test_step_checks.py's (tests/course_steps.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import Repo, set_param
from course_steps import STEPS, Learner, built_course


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Repo:
    return built_course(tmp_path_factory.mktemp("checks"))


def test_step6_the_remote_must_be_absolute_hold_the_data_and_another_run(course: Repo, tmp_path: Path):
    work = Learner(course, tmp_path, 6)
    work.fails("a default remote", "the TODO in .dvc/config: dvc remote add -d")
    # A relative url: refused, with the reason.
    work.run("dvc", "remote", "add", "-d", "storage", "../remote")
    work.fails("an absolute path or a URL", "reads a relative url from the .dvc/ folder")
    # An absolute one that holds nothing yet: the pull fails, with the hint to push.
    remote = tmp_path / "remote"
    remote.mkdir()
    work.run("dvc", "remote", "modify", "storage", "url", str(remote))
    work.fails("`dvc pull` in a copy with an empty cache to succeed", "dvc push")
    work.run("dvc", "repro")
    work.run("dvc", "push")
    work.fails("objects in the remote besides this commit's", "push, change, push, restore")
    set_param(work.root / "params.yaml", "data_split.test_size", 0.3)
    work.run("dvc", "repro")
    work.run("dvc", "push")
    work.run("git", "restore", "params.yaml", "dvc.lock")
    assert "is cached - skipping run" in work.run("dvc", "repro").stdout  # the run-cache, as the README says
    work.passes()


def test_step7_metric_experiments_and_tag_then_progress(course: Repo, tmp_path: Path):
    """The exercise of step 7 done as its README says, committed on the learner's branch;
    `make progress` then counts step 7 as done on that branch, and step 1 as the next."""
    work = Learner(course, tmp_path, 7)
    work.fails("reports/metrics.json among the metrics", "at least 2 experiments", "tags: none")
    work.solve()
    work.commit("declare the metric")
    work.run("dvc", "exp", "run", "-n", "c-small", "-S", "train.estimators.logreg.param_grid.C=[0.01]")
    work.run("dvc", "exp", "run", "-n", "c-big", "-S", "train.estimators.logreg.param_grid.C=[0.1]")
    work.run("dvc", "exp", "apply", "c-big")
    work.commit("keep c-big")
    work.run("git", "tag", "-a", "c-big", "-m", "C 0.1")
    work.passes()
    progress = work.run("make", "-s", "progress").stdout
    assert f"7. {STEPS[6]:40} done on {work.branch}\n" in progress, progress
    assert f"1. {STEPS[0]:40} not done\n" in progress and f"Next: {STEPS[0]}" in progress, progress
    assert f"checking {work.branch}" in progress
    again = work.run("make", "-s", "progress").stdout  # remembered per commit: nothing is checked again
    assert "checking" not in again and f"done on {work.branch}" in again
