"""The course maintainer's loop, `make regen`, and its proof, `make regen-check` (MAINTAINING.md).

`python course/regen.py regen` brings what the course derives from the pipeline up to date with
the working tree, in order, and says what changed. It refuses uncommitted changes, which the
tests' clones of HEAD would not see (--allow-dirty goes on anyway). `python course/regen.py check`
makes each routine change (CHANGES) in a scratch clone of HEAD with an environment of its own,
commits it, runs `make regen`, checks that the change shows where it must, commits, and runs
`make test`. Exit 0 only if every change passes.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
STALENESS_TESTS = [
    "tests/test_lesson_structure.py",
    "tests/test_one_source.py",
    "tests/test_steps.py::test_figures_in_a_step_readme_are_the_committed_ones",
    "tests/test_steps.py::test_readme_7_quotes_the_committed_score_as_dvc_shows_it",
]


class RegenError(Exception):
    """A step of the loop failed; the message says which and what to do."""


def run(*args: str, cwd: Path = ROOT, env: dict[str, str] | None = None, capture: bool = False) -> str:
    """Run a command, its output shown (or returned, if `capture`); raise RegenError if it fails."""
    done = subprocess.run(args, cwd=cwd, env=env, text=True, stdout=subprocess.PIPE if capture else None)
    if done.returncode != 0:
        raise RegenError(f"`{' '.join(args)}` failed (exit {done.returncode}) in {cwd}")
    return done.stdout if capture else ""


def step(title: str) -> None:
    print(f"\n==> {title}", flush=True)


def uncommitted(root: Path) -> list[str]:
    return run("git", "status", "--porcelain", "--untracked-files=normal", cwd=root, capture=True).splitlines()


def regen(root: Path = ROOT, allow_dirty: bool = False) -> None:
    started = time.perf_counter()
    if pending := uncommitted(root):
        listing = "\n".join("  " + line for line in pending[:10])
        message = (
            f"uncommitted changes:\n{listing}\nThe tests of the step branches and the fresh-clone test "
            "clone HEAD: they would not see these. Commit them first"
        )
        if not allow_dirty:
            raise RegenError(message + ", or run again with --allow-dirty (make regen ALLOW_DIRTY=1).")
        print(f"warning: {message}.", file=sys.stderr)
    step("[regen 1/5] the pipeline: dvc repro")
    run("dvc", "repro", cwd=root)
    step("[regen 2/5] every lesson: python -m workbook.run_lessons")
    run(PYTHON, "-m", "workbook.run_lessons", cwd=root)
    step("[regen 3/5] the step branches, from the working tree")
    # `git stash create`: a commit of the working tree that touches neither the checkout nor the stash list.
    snapshot = run("git", "stash", "create", cwd=root, capture=True).strip() or "HEAD"
    steps_dir = root.parent / f"{root.name}-steps"
    where = ["--steps-dir", str(steps_dir)] if steps_dir.exists() else ["--no-steps-dir"]
    run(PYTHON, "course/build_steps.py", "build", "--force", "--from", snapshot, *where, cwd=root)
    step("[regen 4/5] staleness checks: figures in text, templates, one source")
    run(PYTHON, "-m", "pytest", "-q", "-p", "no:cacheprovider", *STALENESS_TESTS, cwd=root)
    step("[regen 5/5] what changed (commit it, then make test)")
    run("git", "status", "--short", cwd=root)
    run("dvc", "metrics", "diff", "HEAD", "--all", cwd=root)
    run("dvc", "params", "diff", "HEAD", cwd=root)
    print(f"\nmake regen: done in {time.perf_counter() - started:.0f} s", flush=True)


# Who commits in the scratch clones: git configuration for those commands only (the
# GIT_AUTHOR_* variables would reach every git command the tests run).
IDENTITY = ("-c", "user.name=regen-check", "-c", "user.email=regen-check@example.com")
NEW_FEATURE = '    "sepal_width_to_petal_width": ("sepal_width", "petal_width"),\n'
C_KEY = "train.estimators.logreg.param_grid.C"


def add_feature(clone: Path) -> None:
    """A third engineered feature, added where the package lists them."""
    module = clone / "src/iris_pipeline/features.py"
    text, marker = module.read_text(), "RATIO_FEATURES = {\n"
    if marker not in text:
        raise RegenError(f"{module}: no `{marker.strip()}` to add a feature to")
    module.write_text(text.replace(marker, marker + NEW_FEATURE, 1))


def default_c(root: Path) -> list:
    return yaml.safe_load((root / "params.yaml").read_text())["train"]["estimators"]["logreg"]["param_grid"]["C"]


def new_c(root: Path) -> list:
    """[0.01], or [0.001] where [0.01] is the default already."""
    return [0.001] if default_c(root) == [0.01] else [0.01]


def not_quoted(clone: Path, wanted: dict[str, str]) -> list[str]:
    """Of `wanted` (where -> the text it must quote; where: "lesson 1" or a step branch's README), what is missing."""
    cells = json.loads((clone / "lessons/01-introduction.ipynb").read_text())["cells"]
    texts = {"lesson 1": "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")}
    for branch in set(wanted) - set(texts):
        texts[branch] = run("git", "show", f"{branch}:README.md", cwd=clone, capture=True)
    return [f"{where} does not quote {text!r}" for where, text in wanted.items() if text not in texts[where]]


def shows_new_score(clone: Path, before: dict) -> list[str]:
    written = (clone / "reports/metrics.json").read_text()  # step 1's README shows it as `cat` prints it
    after = json.loads(written)
    quoted = {"lesson 1": f"a test F1 of {after['f1']:.6f}", "step-1-organize-ml-project": written}
    unchanged = [f"reports/metrics.json is unchanged ({after}): the change did not reach the score"]
    return (unchanged if after == before else []) + not_quoted(clone, quoted)


def shows_new_c(clone: Path, before: dict) -> list[str]:
    c = default_c(clone)  # as the change set it and committed
    return not_quoted(clone, {"lesson 1": f"(`C={c[0]}`)", "step-7-metrics-and-experiments": f"`{c}` to `[0.1]`"})


def set_default(dotted: str, value: object):
    """A change that sets one default of params.yaml by key (`value`: a value, or one of the clone's)."""

    def change(clone: Path) -> None:
        new = json.dumps(value(clone) if callable(value) else value)
        run(str(clone / ".venv/bin/python"), "-m", "workbook.params", "params.yaml", f"{dotted}={new}", cwd=clone)

    return change


def shown_by_lessons(dotted: str, value: object):
    """The lessons show the new default: in a cell rendered from params.yaml (lesson 3's
    prototype) or in an output (lesson 6's Hydra config, derived by the lesson's commands)."""
    from workbook.lesson_measures import written_next_to_its_key

    pattern = written_next_to_its_key(dotted, value)

    def shows(clone: Path, before: dict) -> list[str]:
        for lesson in sorted((clone / "lessons").glob("[0-9][0-9]-*.ipynb")):
            for cell in json.loads(lesson.read_text())["cells"]:
                if cell["cell_type"] != "code":
                    continue
                texts = ["".join(o.get("text", "")) for o in cell.get("outputs", [])]
                if cell.get("metadata", {}).get("workbook", {}).get("params_template"):
                    texts.append("".join(cell["source"]))
                if any(pattern.search(text) for text in texts):
                    return []
        return [f"no lesson shows {dotted} = {value} (in a cell rendered from params.yaml or an output)"]

    return shows


CHANGES = {
    "new-feature": ("add a third engineered feature (sepal width / petal width)", add_feature, shows_new_score),
    "default-c": ("set a new default C of logistic regression", set_default(C_KEY, new_c), shows_new_c),
    "default-cv": ("set train.cv: 5", set_default("train.cv", 5), shown_by_lessons("train.cv", 5)),
    "seed": ("set base.random_state: 7", set_default("base.random_state", 7), shown_by_lessons("random_state", 7)),
}


def check_one(name: str, base: Path, scratch: Path) -> tuple[bool, str]:
    title, change, shows = CHANGES[name]
    clone = scratch / name
    env = {key: value for key, value in os.environ.items() if key != "VIRTUAL_ENV"}
    env["PATH"] = os.pathsep.join(p for p in env["PATH"].split(os.pathsep) if not p.startswith(str(base / ".venv")))
    times = {}
    try:
        step(f"[{name}] a clone of HEAD with its own environment, in {clone}")
        run("git", "clone", "-q", str(base), str(clone), env=env)
        run("make", "setup", cwd=clone, env=env)
        before = json.loads((clone / "reports/metrics.json").read_text())
        step(f"[{name}] the change: {title}")
        change(clone)
        run("git", *IDENTITY, "commit", "-q", "-am", f"Maintainer's change: {title}", cwd=clone, env=env)
        started = time.perf_counter()
        run("make", "regen", cwd=clone, env=env)
        times["regen"] = time.perf_counter() - started
        if problems := shows(clone, before):
            raise RegenError("the change does not show where it must:\n  " + "\n  ".join(problems))
        run("git", "add", "-A", cwd=clone, env=env)
        run("git", *IDENTITY, "commit", "-q", "-m", "make regen", cwd=clone, env=env)
        started = time.perf_counter()
        run("make", "test", cwd=clone, env=env)
        times["test"] = time.perf_counter() - started
    except RegenError as error:
        return False, f"{name}: FAILED: {error}"
    spent = ", ".join(f"{key} {value:.0f} s" for key, value in times.items())
    return True, f"{name}: passed ({spent}; regen + test {sum(times.values()):.0f} s)"


def check(base: Path = ROOT, names: list[str] | None = None, keep: bool = False) -> int:
    if uncommitted(base):
        print("warning: uncommitted changes are not checked: the clones are made from HEAD", file=sys.stderr)
    scratch = Path(tempfile.mkdtemp(prefix="regen-check-"))
    results = [check_one(name, base, scratch) for name in names or list(CHANGES)]
    print("\n==> make regen-check")
    for _, line in results:
        print("  " + line)
    if keep:
        print(f"  the clones are kept in {scratch}")
    else:
        shutil.rmtree(scratch, ignore_errors=True)
    return 0 if all(ok for ok, _ in results) else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python course/regen.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=("regen", "check"))
    parser.add_argument("--allow-dirty", action="store_true", help="regen: go on with uncommitted changes")
    parser.add_argument("--only", choices=list(CHANGES), action="append", help="check: this change only")
    parser.add_argument("--keep", action="store_true", help="check: keep the scratch clones")
    args = parser.parse_args(argv)
    try:
        if args.command == "regen":
            regen(allow_dirty=args.allow_dirty)
            return 0
        return check(names=args.only, keep=args.keep)
    except RegenError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
