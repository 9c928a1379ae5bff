"""Build the course's step branches from one source: `python course/build_steps.py build`.

`course/steps.yaml` lists each step's files, taken whole from a commit of this repository:
one commit per step on the one before, by a fixed identity at fixed dates (the same ids on
every machine), `render: true` files rendered. `# <solution> TASK` ... `# </solution>` regions
give `<step>_SOLUTION` (the chain commit) and its sibling `<step>`, each region there one
`# TODO (exercise): TASK` line (in Python, a `raise` under it). Only git plumbing writes the
branches: the learner's working tree, index and branch are not touched.

    python course/build_steps.py build      # create the branches (make steps)
    python course/build_steps.py rebuild    # update them after a pull (make steps FORCE=1)
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat
import yaml

from workbook.render import TemplateError, render

MANIFEST = "course/steps.yaml"
SOLUTION_SUFFIX = "_SOLUTION"
TODO_PREFIX = "# TODO (exercise): "
TODO_ERROR = "NotImplementedError"
AUTHOR_NAME = "MLOps course"
AUTHOR_EMAIL = "course@example.com"
BASE_DATE = 1704110400  # 2024-01-01T12:00:00Z; step N is dated N minutes later
OPEN_MARKER = re.compile(r"^(?P<indent>[ \t]*)# <solution>(?P<task>.*)$")
CLOSE_MARKER = re.compile(r"^[ \t]*# </solution>[ \t]*$")
STEP_KEYS = ("name", "message", "files", "remove")
FEATURES_MODULE = "src/iris_pipeline/features.py"


class StepsError(Exception):
    """Something the learner or the course author must fix; the message says what."""


@dataclass
class Git:  # runs git in one repository; on failure raises `StepsError` with git's message
    root: Path

    def run(self, *args: str, input: bytes | None = None, env: dict[str, str] | None = None) -> bytes:
        result = subprocess.run(["git", *args], cwd=self.root, input=input, capture_output=True, env=env)
        if result.returncode != 0:
            raise StepsError(f"git {' '.join(args[:3])} failed: {result.stderr.decode(errors='replace').strip()}")
        return result.stdout

    def text(self, *args: str, **kwargs: Any) -> str:
        return self.run(*args, **kwargs).decode().strip()

    def rev(self, name: str) -> str | None:
        try:
            return self.text("rev-parse", "--verify", "--quiet", f"{name}^{{commit}}")
        except StepsError:
            return None


def repo_root(start: Path) -> Path:
    result = subprocess.run(["git", "rev-parse", "--show-toplevel"], cwd=start, capture_output=True, text=True)
    if result.returncode != 0:
        raise StepsError(f"{start}: not inside a git repository: run this in your clone of the course")
    return Path(result.stdout.strip())


@dataclass(frozen=True)
class Blob:  # a file of a step: its git mode and either an existing blob id or new content
    mode: str
    sha: str | None = None
    data: bytes | None = None


class Source:  # the files of one commit (the course's source: course/ and the pipeline at the root)
    def __init__(self, git: Git, rev: str):
        self.git = git
        self.commit = git.rev(rev)
        if self.commit is None:
            raise StepsError(f"{rev}: no such commit to build the steps from")
        tree = git.run("ls-tree", "-r", "-z", "--full-tree", self.commit).decode()
        records = [(info.split(), path) for info, path in (r.split("\t", 1) for r in tree.split("\0") if r)]
        self.files = {path: (mode, sha) for (mode, kind, sha), path in records if kind == "blob"}
        self.used: set[str] = set()  # the files the steps are made from

    def read(self, path: str) -> bytes:
        if path not in self.files:
            raise StepsError(f"{path}: not in commit {self.commit[:12]}")
        self.used.add(path)
        return self.git.run("cat-file", "blob", self.files[path][1])

    def expand(self, source: str) -> list[str]:
        """The file `source`, or every file under the folder `source`."""
        inside = [source] if source in self.files else sorted(p for p in self.files if p.startswith(source + "/"))
        if not inside:
            raise StepsError(f"{MANIFEST}: source {source!r} is neither a file nor a folder in the commit")
        self.used.update(inside)
        return inside


def _content(source: Source, blob: Blob) -> bytes:
    return blob.data if blob.data is not None else source.git.run("cat-file", "blob", blob.sha or "")


def _text(data: bytes, where: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise StepsError(f"{where}: not a UTF-8 text file, cannot be rendered or cut") from None


def render_names(source: Source) -> dict[str, Any]:
    """What `render: true` fills in, from the commit built: `metrics` (reports/metrics.json), `params`
    (params.yaml), `ratio_features` (the package's RATIO_FEATURES)."""
    module = ast.parse(_text(source.read(FEATURES_MODULE), FEATURES_MODULE))
    assigned = {t.id: n.value for n in module.body if isinstance(n, ast.Assign) for t in n.targets if hasattr(t, "id")}
    if "RATIO_FEATURES" not in assigned:
        raise StepsError(f"{FEATURES_MODULE}: no literal RATIO_FEATURES = {{...}} to render from")
    metrics, params = json.loads(source.read("reports/metrics.json")), yaml.safe_load(source.read("params.yaml"))
    return {"metrics": metrics, "params": params, "ratio_features": ast.literal_eval(assigned["RATIO_FEATURES"])}


def render_file(data: bytes, where: str, names: dict[str, Any]) -> bytes:
    """A course file rendered: a notebook cell by cell (its JSON escapes quotes), other files as text."""
    try:
        if not where.endswith(".ipynb"):
            return render(_text(data, where), where, **names).encode()
        nb = nbformat.reads(_text(data, where), as_version=4)
        for index, cell in enumerate(nb.cells, 1):
            cell.source = render(cell.source, f"{where} (cell {index})", **names)
    except TemplateError as error:
        raise StepsError(str(error)) from None
    return (nbformat.writes(nb) + "\n").encode()


def split_markers(text: str, where: str, python: bool) -> tuple[str, str]:
    """(solution without the marker lines, exercise) of a marked text."""
    solution, exercise, opened = [], [], None
    for number, line in enumerate(text.splitlines(keepends=True), 1):
        opening = OPEN_MARKER.match(line.rstrip("\r\n"))
        if opening:
            task = opening["task"].strip()
            if opened is not None or not task:
                raise StepsError(f"{where}:{number}: `# <solution>` needs a task and may not be inside a region")
            opened, indent = number, opening["indent"]
            exercise.append(f"{indent}{TODO_PREFIX}{task}\n")
            if python:
                exercise.append(f"{indent}raise {TODO_ERROR}({(TODO_PREFIX.removeprefix('# ') + task)!r})\n")
        elif CLOSE_MARKER.match(line.rstrip("\r\n")):
            if opened is None:
                raise StepsError(f"{where}:{number}: `# </solution>` without an opening `# <solution>`")
            opened = None
        else:
            solution.append(line)
            if opened is None:
                exercise.append(line)
    if opened is not None:
        raise StepsError(f"{where}:{opened}: `# <solution>` is never closed with `# </solution>`")
    return "".join(solution), "".join(exercise)


def split_file(data: bytes, where: str) -> tuple[bytes, bytes]:
    """`split_markers` of a file; of a notebook, of each code cell, with outputs cleared."""
    if not where.endswith(".ipynb"):
        solution, exercise = split_markers(_text(data, where), where, where.endswith(".py"))
        return solution.encode(), exercise.encode()
    notebooks = [nbformat.reads(_text(data, where), as_version=4) for _ in range(2)]
    for index, (sol_cell, ex_cell) in enumerate(zip(*(nb.cells for nb in notebooks), strict=True), 1):
        if sol_cell.cell_type == "code":
            sol_text, ex_text = split_markers(sol_cell.source, f"{where} (cell {index})", python=True)
            sol_cell.source, ex_cell.source = sol_text.rstrip("\n"), ex_text.rstrip("\n")
            for cell in (sol_cell, ex_cell):
                cell.outputs, cell.execution_count = [], None
    solution, exercise = ((nbformat.writes(nb) + "\n").encode() for nb in notebooks)
    return solution, exercise


@dataclass
class Step:  # one step of the course: its branch name(s), message and trees (path -> Blob)
    index: int
    name: str
    message: str
    solution: dict[str, Blob]
    exercise: dict[str, Blob] | None = None

    @property
    def chain_branch(self) -> str:
        return self.name + SOLUTION_SUFFIX if self.exercise is not None else self.name

    def branches(self) -> list[tuple[str, str]]:
        solved = [(self.name + SOLUTION_SUFFIX, "solution")]
        return [(self.name, "step")] if self.exercise is None else [(self.name, "exercise"), *solved]


def load_manifest(source: Source) -> list[dict]:
    if MANIFEST not in source.files:
        raise StepsError(
            f"{MANIFEST} is not in commit {source.commit[:12]}: build the steps from the course's main "
            "branch (`git switch main`, or pass --from main)"
        )
    manifest = yaml.safe_load(source.read(MANIFEST))
    steps = manifest.get("steps") if isinstance(manifest, dict) else None
    if not isinstance(steps, list) or not steps:
        raise StepsError(f"{MANIFEST}: expected a top-level `steps:` list")
    names: list[str] = []
    for number, step in enumerate(steps, 1):
        name = step.get("name") if isinstance(step, dict) else None
        bad = not isinstance(name, str) or name in names or set(step) - set(STEP_KEYS)
        if bad or not str(step.get("message", "")).strip():
            raise StepsError(f"{MANIFEST}: step {number}: expected a new `name`, a `message` and only {STEP_KEYS}")
        names.append(name)
    return steps


def plan(source: Source) -> list[Step]:
    """Every step's trees: the previous step's files, less `remove:`, with `files:` set."""
    steps, tree, names = [], {}, None
    for index, spec in enumerate(load_manifest(source), 1):
        where = f"{MANIFEST}: {spec['name']}"
        for path in spec.get("remove") or []:
            doomed = [p for p in tree if p == path or p.startswith(path.rstrip("/") + "/")]
            if not doomed:
                raise StepsError(f"{where}: remove {path!r}: the previous step has no such file")
            tree = {p: blob for p, blob in tree.items() if p not in doomed}
        exercise = {}
        for dest, entry in (spec.get("files") or {}).items():
            entry = {"from": entry} if isinstance(entry, str) else entry
            if not isinstance(entry, dict) or not isinstance(entry.get("from"), str) or set(entry) - {"from", "render"}:
                raise StepsError(f"{where}: files: {dest}: expected a source path or {{from: path, render: true}}")
            origin = entry["from"].rstrip("/")
            paths = source.expand(origin)
            if paths != [origin]:  # a folder, file for file
                if entry.get("render"):
                    raise StepsError(f"{where}: files: {dest}: `render` applies to one file, not a folder")
                tree.update({dest.rstrip("/") + p[len(origin) :]: Blob(*source.files[p]) for p in paths})
                continue
            mode, sha = source.files[origin]
            data = original = source.read(origin)
            if entry.get("render"):
                names = names or render_names(source)
                data = render_file(data, f"{where}: {dest}", names)
            if b"# <solution>" in data or b"# </solution>" in data:
                data, cut = split_file(data, f"{where}: {dest}")
                exercise[dest] = Blob(mode, data=cut)
            tree[dest] = Blob(mode, sha=sha) if data == original else Blob(mode, data=data)
        twin = {**tree, **exercise} if exercise else None
        steps.append(Step(index, spec["name"], spec["message"].strip() + "\n", dict(tree), twin))
    return steps


def write_tree(git: Git, files: dict[str, Blob], blobs: dict[bytes, str]) -> str:
    """Write a tree object for `files` through a temporary index; return its id."""
    records = []
    for path, blob in sorted(files.items()):
        if blob.sha is None and blob.data not in blobs:
            blobs[blob.data] = git.text("hash-object", "-w", "--stdin", input=blob.data)
        records.append(f"{blob.mode} {blob.sha or blobs[blob.data]}\t{path}\0")
    with tempfile.TemporaryDirectory(prefix="course-steps-") as tmp:
        env = {**os.environ, "GIT_INDEX_FILE": str(Path(tmp) / "index")}
        git.run("update-index", "-z", "--add", "--index-info", input="".join(records).encode(), env=env)
        return git.text("write-tree", env=env)


def make_commits(git: Git, steps: list[Step]) -> dict[str, str]:
    """Write every step's commits, by the course's identity, step N N minutes after BASE_DATE;
    return branch -> commit id (refs are not touched)."""
    blobs, commits, parent = {}, {}, []
    for step in steps:
        commit = [(step.chain_branch, step.solution, step.message)]
        if step.exercise is not None:
            title, _, body = step.message.partition("\n")
            task = "each `# TODO (exercise)` line marks what to write"
            message = f"{title} (exercise)\n\nThe task of this step: {task}.\nThe solution is on branch {step.name}"
            commit.append((step.name, step.exercise, f"{message}{SOLUTION_SUFFIX}.\n{body}"))
        fixed = {"NAME": AUTHOR_NAME, "EMAIL": AUTHOR_EMAIL, "DATE": f"{BASE_DATE + 60 * step.index} +0000"}
        env = {**os.environ, **{f"GIT_{r}_{k}": v for r in ("AUTHOR", "COMMITTER") for k, v in fixed.items()}}
        for branch, files, message in commit:
            tree = write_tree(git, files, blobs)
            commits[branch] = git.text("commit-tree", "--no-gpg-sign", tree, *parent, input=message.encode(), env=env)
        parent = ["-p", commits[step.chain_branch]]
    return commits


def worktrees(git: Git) -> dict[Path, str | None]:
    """Every working tree of the repository: its folder -> the branch checked out there (None: detached)."""
    trees: dict[Path, str | None] = {}
    for line in git.text("worktree", "list", "--porcelain").splitlines():
        key, _, value = line.partition(" ")
        if key == "worktree":
            trees[path := Path(value)] = None
        elif key == "branch":
            trees[path] = value.removeprefix("refs/heads/")
    return trees


def default_steps_dir(root: Path) -> Path:
    return root.parent / f"{root.name}-steps"


def _same(a: Path, b: Path) -> bool:
    return os.path.realpath(a) == os.path.realpath(b)


def ensure_steps_dir(git: Git, path: Path, first: str, out) -> None:
    """The steps folder: a worktree at `path`, on `first` when new, reused when there; `.venv` linked."""
    path = Path(os.path.abspath(path))
    known = [b for p, b in worktrees(git).items() if _same(p, path)]
    if known and not path.is_dir():
        git.run("worktree", "prune")  # the folder was deleted by hand: forget it, then add it again
        known = []
    if known:
        print(f"Steps folder (reused): {path}, on {known[0] or 'a detached HEAD'}", file=out)
    elif path.exists() and (not path.is_dir() or any(path.iterdir())):
        raise StepsError(
            f"{path}: exists and is not a working tree of this repository, so it is left alone. "
            "Choose another folder (make steps STEPS_DIR=/some/new/folder) or move that one away."
        )
    else:
        git.run("worktree", "add", "-q", str(path), first)
        print(f"Steps folder (created): {path}, on {first}", file=out)
    venv, link = git.root / ".venv", path / ".venv"
    if not (link.is_symlink() or link.exists()):
        link.symlink_to(os.path.relpath(venv, path), target_is_directory=True)
        print(f"  .venv -> {venv} (the same environment for every step)", file=out)
    elif not _same(link, venv):
        print(f"  note: {link} is not a link to {venv}: left as it is", file=out)


def build(root: Path, force: bool, rev: str, steps_dir: Path | None = None, out=sys.stdout) -> int:
    """Create or update the step branches, then the steps folder `steps_dir` (None: none). Without
    `force` it refuses uncommitted changes to the files the steps are made from, and branches with
    other content; it never moves a branch checked out elsewhere or with uncommitted work."""
    git = Git(repo_root(root))
    steps = plan(source := Source(git, rev))
    wanted = make_commits(git, steps)
    changed = git.text("diff", "--name-only", "HEAD").splitlines() if rev == "HEAD" else []
    dirty = sorted(path for path in changed if path in source.used)
    if dirty and not force:
        listed = "".join(f"  {path}\n" for path in dirty[:10])
        raise StepsError(
            f"files the step branches are made from have uncommitted changes:\n{listed}The branches are built from "
            "the last commit, so these changes would not be in them.\nCommit them first, or pass --force "
            "(make steps FORCE=1) to build from the last commit anyway."
        )
    current = {branch: git.rev(f"refs/heads/{branch}") for branch in wanted}
    changes = {b: sha for b, sha in wanted.items() if current[b] != sha}
    moved = sorted(b for b in changes if current[b])
    if moved and not force:
        raise StepsError(
            f"{len(moved)} step branches exist already and differ from the current source ({moved[0]}, ...). "
            "To update them, run again with --force (make steps FORCE=1); commits you made on them "
            "stay reachable in `git reflog`."
        )
    # A branch to move that is checked out in a clean steps folder is detached for the update and put
    # back after (git moves its files); anywhere else, or with uncommitted work, it refuses.
    reattach: dict[Path, str] = {}
    for tree, branch in ((t, b) for t, b in worktrees(git).items() if b in changes):
        pending = Git(tree).text("status", "--porcelain")
        if steps_dir is not None and _same(tree, steps_dir) and not pending:
            reattach[tree] = branch
            continue
        why = (
            f"it has uncommitted changes:\n{pending}\nCommit them on a branch of your own "
            f"(git -C {tree} switch -c my-work, then commit) or undo them"
            if pending
            else "moving it would leave that working tree out of step with its branch. Switch that "
            "working tree to another branch first (git switch main)"
        )
        raise StepsError(
            f"branch {branch} is checked out in {tree} and would be updated, but {why}; then run this again."
        )
    for tree in reattach:
        Git(tree).run("checkout", "-q", "--detach")
    if changes:
        updates = "".join(f"update refs/heads/{b} {sha} {current[b] or '0' * 40}\n" for b, sha in changes.items())
        commands = f"start\n{updates}prepare\ncommit\n".encode()
        git.run("update-ref", "-m", f"course steps from {source.commit[:12]}", "--stdin", input=commands)
    for tree, branch in reattach.items():
        Git(tree).run("checkout", "-q", branch)
    print(f"Course step branches from commit {source.commit[:12]} ({MANIFEST}):", file=out)
    for step in steps:
        for branch, kind in step.branches():
            state = "unchanged" if branch not in changes else ("updated" if current[branch] else "created")
            print(f"  {state:9} {branch:45} {kind}", file=out)
    start = f"git worktree add ../steps {steps[0].name}"
    if steps_dir is not None:
        ensure_steps_dir(git, steps_dir, steps[0].name, out)
        start = f"cd {Path(os.path.abspath(steps_dir))} && cat README.md"
    print(f"\nStart the course with:  {start}", file=out)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python course/build_steps.py", description=__doc__.split("\n")[0])
    parser.add_argument("command", choices=("build", "rebuild"), help="rebuild = build --force")
    parser.add_argument("--force", action="store_true", help="update branches, even with uncommitted sources")
    parser.add_argument("--from", dest="rev", default="HEAD", help="commit holding course/ (default: HEAD)")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--steps-dir", type=Path, help="the steps folder (default: ../<repository folder>-steps)")
    where.add_argument("--no-steps-dir", action="store_true", help="build the branches only, no steps folder")
    args = parser.parse_args(argv)
    try:
        folder = args.steps_dir.absolute() if args.steps_dir else default_steps_dir(repo_root(Path.cwd()))
        force = args.force or args.command == "rebuild"
        return build(Path.cwd(), force, args.rev, None if args.no_steps_dir else folder)
    except StepsError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
