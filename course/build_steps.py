"""Build the course's step branches from one source: `python course/build_steps.py build`.

The course can be followed branch by branch (`git switch step-4-build-ml-pipeline`).
Those branches are not kept by hand: `course/steps.yaml` describes each step (its
files, taken from this repository's pipeline or from `course/`, small declared
transforms of them, and its exercise), and this command turns that description into
commits in the learner's own clone.

How the branches sit:
- One commit per step, each on top of the one before: `git log` on the last step
  reads as the course, and `git diff A B` between two consecutive chain commits shows
  exactly what a step changes.
- A step with an exercise gets two branches. `<step>_SOLUTION` is the chain commit.
  `<step>` (the branch a learner switches to) is its twin: a sibling commit on the same
  parent, where every marked region of the solution is replaced by a
  `# TODO (exercise): ...` line. So `git diff <step> <step>_SOLUTION` is the solution,
  and the exercise is always generated from it, never written twice. Step 1's two
  commits have no parent: the course starts there.
- Commits are made by a fixed course identity at fixed dates, so the same source gives
  the same commit ids on every machine and a rebuild with nothing new changes nothing.
  Git's GIT_AUTHOR_*/GIT_COMMITTER_* variables, which some CI systems and containers
  set, are overridden for these commits (they would change every commit id).

Safety: the branches are written with git plumbing only (`hash-object`, a temporary
index, `write-tree`, `commit-tree`, one `update-ref` transaction). The learner's
working tree, index and current branch are never touched. The command refuses (exit
status 1) when a file the steps are made from (course/, the pipeline files it takes)
has uncommitted changes, or a step branch exists already with other content, unless
given `--force` (or the `rebuild` subcommand); modified lessons or notes do not matter.
Run again with nothing new, it changes nothing. It never moves a step branch checked
out in a working tree with uncommitted work in it.

The steps folder: to follow the branches while the lessons run in this checkout, the
branches are checked out in a second working tree (`git worktree`), by default
`../<this folder's name>-steps` (`--steps-dir`), created on the first step's branch and
reused after. Its `.venv` is a link to this checkout's `.venv`. A rebuild that moves
the branch checked out there updates its files too, if nothing there is uncommitted.

    python course/build_steps.py build      # create the branches (make steps)
    python course/build_steps.py rebuild    # update them after a pull (make steps FORCE=1)
    python course/build_steps.py list       # which branches exist and whether they are current
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
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
import yaml

MANIFEST = "course/steps.yaml"
SOLUTION_SUFFIX = "_SOLUTION"
TODO_PREFIX = "# TODO (exercise): "
# What an unsolved Python exercise raises, right under its TODO line, so that running it
# fails and says which task is missing instead of running on as if it had worked.
TODO_ERROR = "NotImplementedError"
AUTHOR_NAME = "MLOps course"
AUTHOR_EMAIL = "course@example.com"
BASE_DATE = 1704110400  # 2024-01-01T12:00:00Z; step N is dated N minutes later
ZERO = "0" * 40
OPEN_MARKER = re.compile(r"^(?P<indent>[ \t]*)# <solution>(?P<task>.*)$")
CLOSE_MARKER = re.compile(r"^[ \t]*# </solution>[ \t]*$")
# DVC's config: the sections of main's that every step with a DVC config carries too
# (`[plots]`: where `dvc plots show` finds its offline HTML template).
DVC_CONFIG = ".dvc/config"
SHARED_DVC_SECTIONS = ("plots",)
FILE_KEYS = ("from", "modules", "render", "drop_yaml_keys", "append_yaml_items", "drop_toml_tables", "append_lines")
# What `render: true` fills in: `{{ expression }}` in a course file is evaluated with these
# names, read from the commit the steps are built from, so a README's score or a prototype's
# default grid is main's own and cannot go stale (`metrics`: reports/metrics.json, `params`:
# params.yaml, `ratio_features`: the package's RATIO_FEATURES; `py(value)`: a Python literal).
RENDER_FIELD = re.compile(r"\{\{(.+?)\}\}", re.DOTALL)
METRICS_FILE = "reports/metrics.json"
PARAMS_FILE = "params.yaml"
FEATURES_MODULE = "src/iris_pipeline/features.py"
STEP_KEYS = ("name", "message", "files", "remove", "exercise")


class StepsError(Exception):
    """Something the learner or the course author must fix; the message says what."""


# --------------------------------------------------------------------------- git


class Git:
    """Runs git in one repository and raises `StepsError` with git's message on failure."""

    def __init__(self, root: Path):
        self.root = root

    def run(self, *args: str, input: bytes | None = None, env: dict[str, str] | None = None) -> bytes:
        result = subprocess.run(["git", *args], cwd=self.root, input=input, capture_output=True, env=env)
        if result.returncode != 0:
            message = result.stderr.decode(errors="replace").strip()
            raise StepsError(f"git {' '.join(args[:3])} failed: {message}")
        return result.stdout

    def text(self, *args: str, **kwargs: Any) -> str:
        return self.run(*args, **kwargs).decode().strip()

    def rev(self, name: str) -> str | None:
        result = subprocess.run(
            ["git", "rev-parse", "--verify", "--quiet", f"{name}^{{commit}}"],
            cwd=self.root,
            capture_output=True,
            text=True,
        )
        return result.stdout.strip() if result.returncode == 0 else None

    def write_blob(self, data: bytes) -> str:
        return self.text("hash-object", "-w", "--stdin", input=data)


def repo_root(start: Path) -> Path:
    result = subprocess.run(["git", "rev-parse", "--show-toplevel"], cwd=start, capture_output=True, text=True)
    if result.returncode != 0:
        raise StepsError(f"{start}: not inside a git repository: run this in your clone of the course")
    return Path(result.stdout.strip())


@dataclass(frozen=True)
class Blob:
    """A file of a step: its git mode and either an existing blob id or new content."""

    mode: str
    sha: str | None = None
    data: bytes | None = None


class Source:
    """The files of one commit (the course's source: course/ and the pipeline at the root)."""

    def __init__(self, git: Git, rev: str):
        self.git = git
        self.commit = git.rev(rev)
        if self.commit is None:
            raise StepsError(f"{rev}: no such commit to build the steps from")
        self.files: dict[str, tuple[str, str]] = {}
        listing = git.run("ls-tree", "-r", "-z", "--full-tree", self.commit)
        for record in listing.split(b"\0"):
            if not record:
                continue
            info, path = record.decode().split("\t", 1)
            mode, kind, sha = info.split()
            if kind == "blob":
                self.files[path] = (mode, sha)
        self._cache: dict[str, bytes] = {}
        self.used: set[str] = set()  # the files the steps are made from (read or copied)

    def has(self, path: str) -> bool:
        return path in self.files

    def read(self, path: str) -> bytes:
        if path not in self.files:
            raise StepsError(f"{path}: not in commit {self.commit[:12]}")
        self.used.add(path)
        if path not in self._cache:
            self._cache[path] = self.git.run("cat-file", "blob", self.files[path][1])
        return self._cache[path]

    def expand(self, source: str) -> list[str]:
        """The file `source`, or every file under the folder `source`."""
        source = source.rstrip("/")
        if source in self.files:
            self.used.add(source)
            return [source]
        inside = sorted(p for p in self.files if p.startswith(source + "/"))
        if not inside:
            raise StepsError(f"{MANIFEST}: source {source!r} is neither a file nor a folder in the commit")
        self.used.update(inside)
        return inside


# ----------------------------------------------------------------- text transforms


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _is_content(line: str) -> bool:
    stripped = line.strip()
    return bool(stripped) and not stripped.startswith("#")


def yaml_block(lines: list[str], dotted: str, where: str) -> tuple[int, int]:
    """Line range [start, end) of the block of a dotted key in block-style YAML."""
    lo, hi = 0, len(lines)
    start = end = -1
    for key in dotted.split("."):
        indents = [_indent(line) for line in lines[lo:hi] if _is_content(line)]
        if not indents:
            raise StepsError(f"{where}: {dotted}: no key {key!r} (empty block)")
        level = min(indents)
        pattern = re.compile(rf"{re.escape(key)}\s*:(\s|$)")
        start = next(
            (
                i
                for i in range(lo, hi)
                if _is_content(lines[i]) and _indent(lines[i]) == level and pattern.match(lines[i].strip())
            ),
            -1,
        )
        if start < 0:
            raise StepsError(f"{where}: {dotted}: no key {key!r} at that place")
        end = start + 1
        while end < hi:
            line = lines[end]
            if _is_content(line) and (
                _indent(line) < level or (_indent(line) == level and not line.strip().startswith("-"))
            ):
                break
            end += 1
        while end > start + 1 and not _is_content(lines[end - 1]):
            end -= 1
        lo, hi = start + 1, end
    return start, end


def _yaml_value(text: str, dotted: str) -> Any:
    node: Any = yaml.safe_load(text)
    for key in dotted.split("."):
        if not isinstance(node, dict) or key not in node:
            return KeyError
        node = node[key]
    return node


def _join(lines: list[str]) -> str:
    while lines and not lines[-1].strip():
        lines.pop()
    return "\n".join(lines) + "\n"


def drop_yaml_keys(text: str, keys: list[str], where: str) -> str:
    """Remove the blocks of dotted keys (e.g. `stages.evaluate.plots`) from a YAML file."""
    lines = text.splitlines()
    for key in keys:
        start, end = yaml_block(lines, key, where)
        del lines[start:end]
        if 0 < start < len(lines) and not lines[start - 1].strip() and not lines[start].strip():
            del lines[start]
    result = _join(lines)
    for key in keys:
        if _yaml_value(result, key) is not KeyError:
            raise StepsError(f"{where}: {key} is still there after dropping it")
    return result


def append_yaml_items(text: str, items: dict[str, list[str]], where: str) -> str:
    """Append items to block-style YAML lists given by dotted keys."""
    lines = text.splitlines()
    for key, values in items.items():
        start, end = yaml_block(lines, key, where)
        bullets = [line for line in lines[start + 1 : end] if line.strip().startswith("- ")]
        indent = _indent(bullets[0]) if bullets else _indent(lines[start]) + 2
        lines[end:end] = [" " * indent + f"- {value}" for value in values]
    result = _join(lines)
    for key, values in items.items():
        current = _yaml_value(result, key)
        if not isinstance(current, list) or any(value not in current for value in values):
            raise StepsError(f"{where}: {key} should list {values} after appending, not {current!r}")
    return result


def drop_toml_tables(text: str, tables: list[str], where: str) -> str:
    """Remove whole `[table]` sections from a TOML file."""
    lines = text.splitlines()
    for table in tables:
        start = next((i for i, line in enumerate(lines) if line.strip() == f"[{table}]"), -1)
        if start < 0:
            raise StepsError(f"{where}: no [{table}] table to drop")
        end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("[")), len(lines))
        while start > 0 and not lines[start - 1].strip():
            start -= 1
        del lines[start:end]
        if start < len(lines):
            lines.insert(start, "")
    result = _join(lines)
    parsed = tomllib.loads(result)
    for table in tables:
        node: Any = parsed
        for part in table.split("."):
            node = node.get(part, {}) if isinstance(node, dict) else {}
        if node:
            raise StepsError(f"{where}: [{table}] is still there after dropping it")
    return result


def append_lines(text: str, new: list[str], where: str) -> str:
    """Append lines (e.g. .gitignore entries) that the file does not have yet."""
    lines = text.splitlines()
    lines += [line for line in new if line not in lines]
    return _join(lines)


def py_literal(value: Any, indent: str = "") -> str:
    """`value` as Python source (double quotes, as the course writes them); a mapping that
    would not fit on one line gets one item per line."""
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, tuple):
        return "(" + ", ".join(py_literal(v) for v in value) + ("," if len(value) == 1 else "") + ")"
    if isinstance(value, list):
        return "[" + ", ".join(py_literal(v) for v in value) + "]"
    if isinstance(value, dict):
        flat = "{" + ", ".join(f"{py_literal(k)}: {py_literal(v)}" for k, v in value.items()) + "}"
        if len(indent) + len(flat) <= 80:
            return flat
        inner = indent + "    "
        items = "".join(f"{inner}{py_literal(k)}: {py_literal(v, inner)},\n" for k, v in value.items())
        return "{\n" + items + indent + "}"
    return repr(value)


def render_names(source: Source) -> dict[str, Any]:
    """The names a rendered file may use, from the commit the steps are built from."""
    tree = ast.parse(_text(source.read(FEATURES_MODULE), FEATURES_MODULE))
    ratios = next(
        (
            ast.literal_eval(node.value)
            for node in tree.body
            if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "RATIO_FEATURES" for t in node.targets)
        ),
        None,
    )
    if ratios is None:
        raise StepsError(f"{FEATURES_MODULE}: no literal RATIO_FEATURES = {{...}} to render from")
    return {
        "metrics": json.loads(source.read(METRICS_FILE)),
        "params": yaml.safe_load(source.read(PARAMS_FILE)),
        "ratio_features": ratios,
        "py": py_literal,
        "round": round,
        "json": json,
    }


def render_text(text: str, names: dict[str, Any], where: str) -> str:
    """`text` with each `{{ expression }}` replaced by str() of its value."""

    def value(match: re.Match) -> str:
        expression = match.group(1).strip()
        try:
            return str(eval(expression, {"__builtins__": {}}, names))  # the course's own files only
        except Exception as error:
            raise StepsError(f"{where}: {{{{ {expression} }}}}: {type(error).__name__}: {error}") from None

    return RENDER_FIELD.sub(value, text)


def render_file(source: Source, data: bytes, path: str, where: str) -> bytes:
    """A course file rendered: a notebook cell by cell (its JSON escapes quotes), other files as text."""
    names = render_names(source)
    if not path.endswith(".ipynb"):
        return render_text(_text(data, where), names, where).encode()
    nb = nbformat.reads(data.decode("utf-8"), as_version=4)
    for index, cell in enumerate(nb.cells, 1):
        cell.source = render_text(cell.source, names, f"{where} (cell {index})")
    return (nbformat.writes(nb) + "\n").encode()


TRANSFORMS = {
    "drop_yaml_keys": drop_yaml_keys,
    "append_yaml_items": append_yaml_items,
    "drop_toml_tables": drop_toml_tables,
    "append_lines": append_lines,
}


# ----------------------------------------------------------------- exercise regions


def todo_lines(indent: str, task: str, python: bool) -> list[str]:
    """The lines an exercise region becomes: the task, and in Python code a `raise` naming it."""
    lines = [f"{indent}{TODO_PREFIX}{task}"]
    if python:
        lines.append(f"{indent}raise {TODO_ERROR}({(TODO_PREFIX.removeprefix('# ') + task)!r})")
    return lines


def split_markers(text: str, where: str, python: bool = True) -> tuple[str, str, int]:
    """Return (solution, exercise, number of regions) of a text with `# <solution>` markers.

    The solution drops the marker lines; the exercise replaces each region, markers
    included, by one `# TODO (exercise): <task>` line at the marker's indentation and, in
    Python code, a `raise NotImplementedError("TODO (exercise): <task>")` under it.
    """
    solution: list[str] = []
    exercise: list[str] = []
    regions = 0
    opened: int | None = None
    for number, line in enumerate(text.splitlines(keepends=True), 1):
        opening = OPEN_MARKER.match(line.rstrip("\r\n"))
        if opening:
            if opened is not None:
                raise StepsError(f"{where}:{number}: `# <solution>` inside the region opened at line {opened}")
            task = opening["task"].strip()
            if not task:
                raise StepsError(f"{where}:{number}: `# <solution>` needs a task after it: what to write")
            opened = number
            regions += 1
            exercise += [line + "\n" for line in todo_lines(opening["indent"], task, python)]
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
    return "".join(solution), "".join(exercise), regions


def split_notebook_markers(data: bytes, where: str) -> tuple[bytes, bytes, int]:
    """`split_markers` applied to each code cell of a notebook; outputs are cleared."""
    solution = nbformat.reads(data.decode("utf-8"), as_version=4)
    exercise = nbformat.reads(data.decode("utf-8"), as_version=4)
    regions = 0
    for index, (sol_cell, ex_cell) in enumerate(zip(solution.cells, exercise.cells, strict=True)):
        if sol_cell.cell_type != "code":
            continue
        sol_text, ex_text, count = split_markers(sol_cell.source, f"{where} (cell {index + 1})")
        sol_cell.source, ex_cell.source = sol_text.rstrip("\n"), ex_text.rstrip("\n")
        regions += count
        for cell in (sol_cell, ex_cell):
            cell.outputs, cell.execution_count = [], None
    return (
        (nbformat.writes(solution) + "\n").encode(),
        (nbformat.writes(exercise) + "\n").encode(),
        regions,
    )


def has_markers(data: bytes) -> bool:
    return b"# <solution>" in data or b"# </solution>" in data


def yaml_key_region(text: str, key: str, task: str, where: str) -> str:
    """The exercise of a YAML file: the block of `key` replaced by a task line."""
    lines = text.splitlines()
    start, end = yaml_block(lines, key, where)
    lines[start:end] = [" " * _indent(lines[start]) + TODO_PREFIX + task]
    return _join(lines)


def python_def_region(text: str, name: str, task: str, where: str) -> str:
    """The exercise of a Python module: the body of function `name` (after its docstring) replaced."""
    tree = ast.parse(text)
    node = next(
        (n for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef) and n.name == name), None
    )
    if node is None:
        raise StepsError(f"{where}: no top-level function {name!r}")
    body = node.body
    if body and isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None), ast.Constant):
        body = body[1:]
    if not body:
        raise StepsError(f"{where}: function {name!r} has no body after its docstring")
    lines = text.splitlines()
    start, end = body[0].lineno - 1, node.end_lineno or len(lines)
    lines[start:end] = todo_lines(" " * body[0].col_offset, task, python=True)
    return _join(lines)


# --------------------------------------------------------------------------- plan


@dataclass
class Step:
    """One step of the course: its branch name(s), message and trees (path -> Blob)."""

    index: int
    name: str
    message: str
    solution: dict[str, Blob]
    exercise: dict[str, Blob] | None = None
    regions: dict[str, int] = field(default_factory=dict)

    @property
    def chain_branch(self) -> str:
        return self.name + SOLUTION_SUFFIX if self.exercise is not None else self.name

    def branches(self) -> list[tuple[str, str]]:
        """(branch, kind) pairs of this step."""
        if self.exercise is None:
            return [(self.name, "step")]
        return [(self.name, "exercise"), (self.name + SOLUTION_SUFFIX, "solution")]


def _text(data: bytes, where: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise StepsError(f"{where}: not a UTF-8 text file, cannot be transformed") from None


def load_manifest(source: Source) -> list[dict]:
    if not source.has(MANIFEST):
        raise StepsError(
            f"{MANIFEST} is not in commit {source.commit[:12]}: build the steps from the course's main "
            "branch (`git switch main`, or pass --from main)"
        )
    manifest = yaml.safe_load(source.read(MANIFEST))
    steps = manifest.get("steps") if isinstance(manifest, dict) else None
    if not isinstance(steps, list) or not steps:
        raise StepsError(f"{MANIFEST}: expected a top-level `steps:` list")
    names = set()
    for number, step in enumerate(steps, 1):
        if not isinstance(step, dict) or not isinstance(step.get("name"), str):
            raise StepsError(f"{MANIFEST}: step {number}: expected a mapping with a `name`")
        unknown = set(step) - set(STEP_KEYS)
        if unknown:
            raise StepsError(f"{MANIFEST}: {step['name']}: unknown key {sorted(unknown)[0]!r}")
        if step["name"] in names:
            raise StepsError(f"{MANIFEST}: {step['name']}: the name is used twice")
        names.add(step["name"])
        if not str(step.get("message", "")).strip():
            raise StepsError(f"{MANIFEST}: {step['name']}: a commit `message` is required")
    return steps


def _file_entries(source: Source, dest: str, spec: Any, where: str) -> dict[str, Blob]:
    """The files a `files:` entry adds: a verbatim copy, or a transformed text file."""
    if isinstance(spec, str):
        spec = {"from": spec}
    if not isinstance(spec, dict) or not isinstance(spec.get("from"), str):
        raise StepsError(f"{where}: expected a source path or a mapping with `from:`")
    unknown = set(spec) - set(FILE_KEYS)
    if unknown:
        raise StepsError(f"{where}: unknown key {sorted(unknown)[0]!r} (known: {', '.join(FILE_KEYS)})")
    paths = source.expand(spec["from"])
    if "modules" in spec:
        return package_modules(source, dest, spec["from"], spec["modules"], where)
    transforms = [key for key in spec if key not in ("from", "render")]
    if len(paths) == 1 and paths[0] == spec["from"].rstrip("/"):
        mode, sha = source.files[paths[0]]
        if spec.get("render"):
            data = render_file(source, source.read(paths[0]), paths[0], where)
            if not transforms:
                return {dest: Blob(mode, data=data)}
        elif not transforms:
            return {dest: Blob(mode, sha=sha)}
        else:
            data = source.read(paths[0])
        text = _text(data, where)
        for key in transforms:
            text = TRANSFORMS[key](text, spec[key], f"{where} ({key})")
        return {dest: Blob(mode, data=text.encode())}
    if transforms or spec.get("render"):
        raise StepsError(f"{where}: transforms apply to one file, not to the folder {spec['from']!r}")
    prefix = spec["from"].rstrip("/") + "/"
    return {f"{dest.rstrip('/')}/{p[len(prefix) :]}": Blob(source.files[p][0], sha=source.files[p][1]) for p in paths}


def _imported_modules(code: str, package: str) -> set[str]:
    """Names of the `package` submodules that a module of that package imports.

    Every import statement counts, at the top of the module or inside a function:
    `import package.mod`, `from package.mod import x`, `from package import mod`, and
    the relative forms `from .mod import x` and `from . import mod`.
    """
    names: set[str] = set()
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[1] for a in node.names if a.name.startswith(package + ".")}
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level == 1:  # relative to the package itself
                module = f"{package}.{module}" if module else package
            elif node.level > 1:
                continue  # above the package: not one of its modules
            if module.startswith(package + "."):
                names.add(module.split(".")[1])
            elif module == package:
                names |= {a.name for a in node.names}
    return names


def package_modules(source: Source, dest: str, folder: str, modules: list[str], where: str) -> dict[str, Blob]:
    """A package's `__init__.py`, the named modules and every module of the package they import."""
    folder = folder.rstrip("/")
    package = folder.rsplit("/", 1)[-1]
    wanted, todo = set(), ["__init__", *modules]
    while todo:
        name = todo.pop()
        path = f"{folder}/{name}.py"
        if name in wanted or not source.has(path):
            if name not in wanted and name in modules:
                raise StepsError(f"{where}: module {path} is not in the commit")
            continue
        wanted.add(name)
        source.used.add(path)
        todo += sorted(_imported_modules(_text(source.read(path), path), package))
    return {
        f"{dest.rstrip('/')}/{name}.py": Blob(
            source.files[f"{folder}/{name}.py"][0], sha=source.files[f"{folder}/{name}.py"][1]
        )
        for name in sorted(wanted)
    }


def config_section(text: str, name: str) -> list[str] | None:
    """The lines of section `[name]` of an INI-style config such as DVC's, or None.

    The comment lines right above the header come with it; blank and comment lines at its
    end, which belong to the next section, do not.
    """
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if line.strip() == f"[{name}]"), None)
    if start is None:
        return None
    end = next((i for i in range(start + 1, len(lines)) if lines[i].lstrip().startswith("[")), len(lines))
    while end > start + 1 and (not lines[end - 1].strip() or lines[end - 1].lstrip().startswith(("#", ";"))):
        end -= 1
    while start > 0 and lines[start - 1].lstrip().startswith(("#", ";")):
        start -= 1
    return lines[start:end]


def with_main_dvc_sections(source: Source, blob: Blob, where: str) -> Blob:
    """A step's DVC config with main's shared sections (`[plots]`) added if main has them and it lacks them."""
    if not source.has(DVC_CONFIG):
        return blob
    main = _text(source.read(DVC_CONFIG), DVC_CONFIG)
    text = _text(_content(source, blob), where)
    missing = [
        config_section(main, name)
        for name in SHARED_DVC_SECTIONS
        if config_section(main, name) is not None and config_section(text, name) is None
    ]
    if not missing:
        return blob
    lines = text.splitlines()
    for section in missing:
        lines += section or []
    return Blob(blob.mode, data=_join(lines).encode())


def _content(source: Source, blob: Blob) -> bytes:
    if blob.data is not None:
        return blob.data
    return source.git.run("cat-file", "blob", blob.sha or "")


def plan(source: Source) -> list[Step]:
    """Turn the manifest into the trees of every step (nothing is written yet)."""
    tree: dict[str, Blob] = {}
    steps: list[Step] = []
    for index, spec in enumerate(load_manifest(source), 1):
        name = spec["name"]
        where = f"{MANIFEST}: {name}"
        tree = dict(tree)
        for path in spec.get("remove") or []:
            doomed = [p for p in tree if p == path or p.startswith(path.rstrip("/") + "/")]
            if not doomed:
                raise StepsError(f"{where}: remove {path!r}: the previous step has no such file")
            for p in doomed:
                del tree[p]
        added: dict[str, Blob] = {}
        for dest, file_spec in (spec.get("files") or {}).items():
            added.update(_file_entries(source, dest, file_spec, f"{where}: files: {dest}"))
        exercise_specs = spec.get("exercise") or []
        marked = {e["file"] for e in exercise_specs if isinstance(e, dict) and set(e) == {"file"}}
        exercise_files: dict[str, Blob] = {}
        regions: dict[str, int] = {}
        for dest, blob in added.items():
            if dest.endswith((".png", ".joblib")):
                continue
            data = _content(source, blob)
            if not has_markers(data):
                continue
            if dest not in marked:
                raise StepsError(f"{where}: {dest} has `# <solution>` markers but is not listed under `exercise:`")
            if dest.endswith(".ipynb"):
                sol, ex, count = split_notebook_markers(data, f"{where}: {dest}")
            else:
                python = dest.endswith(".py")
                sol_text, ex_text, count = split_markers(_text(data, dest), f"{where}: {dest}", python)
                sol, ex = sol_text.encode(), ex_text.encode()
            added[dest] = Blob(blob.mode, data=sol)
            exercise_files[dest] = Blob(blob.mode, data=ex)
            regions[dest] = count
        tree.update(added)
        if DVC_CONFIG in added:  # the solution's config and, if the exercise is in it, the exercise's
            for files in (tree, exercise_files):
                if DVC_CONFIG in files:
                    files[DVC_CONFIG] = with_main_dvc_sections(source, files[DVC_CONFIG], f"{where}: {DVC_CONFIG}")
        for entry in exercise_specs:
            if not isinstance(entry, dict) or not isinstance(entry.get("file"), str):
                raise StepsError(f"{where}: exercise: expected entries with a `file:`")
            path = entry["file"]
            if set(entry) == {"file"}:
                if path not in regions:
                    raise StepsError(f"{where}: exercise file {path} is not added by this step or has no markers")
                continue
            kinds = [k for k in ("yaml_key", "python_def") if k in entry]
            if len(kinds) != 1 or not str(entry.get("task", "")).strip() or set(entry) - {"file", "task", *kinds}:
                raise StepsError(f"{where}: exercise {path}: expected `file`, `task` and one of yaml_key, python_def")
            if path not in tree:
                raise StepsError(f"{where}: exercise file {path} is not in the step")
            base = exercise_files.get(path, tree[path])
            text = _text(_content(source, base), path)
            region = yaml_key_region if kinds[0] == "yaml_key" else python_def_region
            text = region(text, entry[kinds[0]], entry["task"].strip(), f"{where}: {path}")
            exercise_files[path] = Blob(tree[path].mode, data=text.encode())
            regions[path] = regions.get(path, 0) + 1
        if exercise_specs and not exercise_files:
            raise StepsError(f"{where}: `exercise:` is declared but no region was found")
        exercise = {**tree, **exercise_files} if exercise_files else None
        steps.append(Step(index, name, spec["message"].strip() + "\n", tree, exercise, regions))
    return steps


# --------------------------------------------------------------------------- write


def write_tree(git: Git, files: dict[str, Blob], blobs: dict[bytes, str]) -> str:
    """Write a tree object for `files` through a temporary index; return its id."""
    records = []
    for path in sorted(files):
        blob = files[path]
        sha = blob.sha
        if sha is None:
            assert blob.data is not None
            if blob.data not in blobs:
                blobs[blob.data] = git.write_blob(blob.data)
            sha = blobs[blob.data]
        records.append(f"{blob.mode} {sha}\t{path}\0")
    with tempfile.TemporaryDirectory(prefix="course-steps-") as tmp:
        env = {**os.environ, "GIT_INDEX_FILE": str(Path(tmp) / "index")}
        git.run("update-index", "-z", "--add", "--index-info", input="".join(records).encode(), env=env)
        return git.text("write-tree", env=env)


def commit_env(index: int) -> dict[str, str]:
    date = f"{BASE_DATE + 60 * index} +0000"
    env = dict(os.environ)
    for role in ("AUTHOR", "COMMITTER"):
        env[f"GIT_{role}_NAME"] = AUTHOR_NAME
        env[f"GIT_{role}_EMAIL"] = AUTHOR_EMAIL
        env[f"GIT_{role}_DATE"] = date
    return env


def make_commits(git: Git, steps: list[Step]) -> dict[str, str]:
    """Write every step's commits; return branch -> commit id (refs are not touched)."""
    blobs: dict[bytes, str] = {}
    commits: dict[str, str] = {}
    parent: str | None = None
    for step in steps:
        env = commit_env(step.index)
        parents = ["-p", parent] if parent else []
        tree = write_tree(git, step.solution, blobs)
        chain = git.text("commit-tree", "--no-gpg-sign", tree, *parents, input=step.message.encode(), env=env)
        commits[step.chain_branch] = chain
        if step.exercise is not None:
            ex_tree = write_tree(git, step.exercise, blobs)
            title, _, body = step.message.partition("\n")
            message = (
                f"{title} (exercise)\n\nThe task of this step: each `# TODO (exercise)` line marks what to "
                f"write.\nThe solution is on branch {step.name}{SOLUTION_SUFFIX}.\n{body}"
            )
            commits[step.name] = git.text(
                "commit-tree", "--no-gpg-sign", ex_tree, *parents, input=message.encode(), env=env
            )
        parent = chain
    return commits


def worktrees(git: Git) -> dict[Path, str | None]:
    """Every working tree of the repository: its folder -> the branch checked out there (None: detached)."""
    trees: dict[Path, str | None] = {}
    path: Path | None = None
    for line in git.text("worktree", "list", "--porcelain").splitlines():
        if line.startswith("worktree "):
            path = Path(line.split(" ", 1)[1])
            trees[path] = None
        elif line.startswith("branch ") and path is not None:
            trees[path] = line.split(" ", 1)[1].removeprefix("refs/heads/")
    return trees


def default_steps_dir(root: Path) -> Path:
    """Where `make steps` puts the steps folder: beside the repository, `<its folder name>-steps`."""
    return root.parent / f"{root.name}-steps"


def _same(a: Path, b: Path) -> bool:
    return os.path.realpath(a) == os.path.realpath(b)


def _status(path: Path) -> str:
    """`git status --porcelain` of a working tree: its uncommitted changes and untracked files."""
    return Git(path).text("status", "--porcelain")


def source_changes(git: Git, source: Source) -> list[str]:
    """Uncommitted changes to files the steps are made from (they would not be in the branches)."""
    changed = git.text("diff", "--name-only", "HEAD").splitlines()
    return sorted(path for path in changed if path in source.used)


def ensure_steps_dir(git: Git, path: Path, first: str, out) -> None:
    """The steps folder: a worktree of this repository at `path`, on `first` when new, reused when there.

    Its `.venv` is a link to this checkout's `.venv`, so every step uses the same environment.
    """
    path = Path(os.path.abspath(path))
    known = {p: b for p, b in worktrees(git).items() if _same(p, path)}
    if known and not path.is_dir():
        git.run("worktree", "prune")  # the folder was deleted by hand: forget it, then add it again
        known = {}
    if known:
        branch = next(iter(known.values()))
        print(f"Steps folder (reused): {path}, on {branch or 'a detached HEAD'}", file=out)
    elif path.exists() and (not path.is_dir() or any(path.iterdir())):
        raise StepsError(
            f"{path}: exists and is not a working tree of this repository, so it is left alone. "
            "Choose another folder (make steps STEPS_DIR=/some/new/folder) or move that one away."
        )
    else:
        git.run("worktree", "add", "-q", str(path), first)
        print(f"Steps folder (created): {path}, on {first}", file=out)
    venv, link = git.root / ".venv", path / ".venv"
    if link.is_symlink() or link.exists():
        if not _same(link, venv):
            print(f"  note: {link} is not a link to {venv}: left as it is", file=out)
    else:
        link.symlink_to(os.path.relpath(venv, path), target_is_directory=True)
        print(f"  .venv -> {venv} (the same environment for every step)", file=out)


def build(root: Path, force: bool, rev: str, steps_dir: Path | None = None, out=sys.stdout) -> int:
    """Create or update the step branches; then set up the steps folder `steps_dir` (None: none).

    Uncommitted changes matter only where the steps are made from (course/ and the project's
    files it takes): the lessons, notes or anything else may be modified.
    """
    git = Git(repo_root(root))
    source = Source(git, rev)
    steps = plan(source)
    dirty = source_changes(git, source) if rev == "HEAD" else []
    if dirty and not force:
        raise StepsError(
            "files the step branches are made from have uncommitted changes:\n"
            + "\n".join("  " + path for path in dirty[:10])
            + "\nThe branches are built from the last commit, so these changes would not be in them."
            "\nCommit them first, or pass --force (make steps FORCE=1) to build from the last commit anyway."
        )
    wanted = make_commits(git, steps)
    current = {branch: git.rev(f"refs/heads/{branch}") for branch in wanted}
    changes = {b: sha for b, sha in wanted.items() if current[b] != sha}
    moved = sorted(b for b in changes if current[b])
    if moved and not force:
        raise StepsError(
            f"{len(moved)} step branches exist already and differ from the current source ({moved[0]}, ...). "
            "To update them, run again with --force (make steps FORCE=1); commits you made on them "
            "stay reachable in `git reflog`."
        )
    # A branch to move that is checked out: in the steps folder, if nothing there is uncommitted,
    # it is detached for the update and put back on the branch after (git moves its files);
    # anywhere else, or with uncommitted work, the command refuses and changes nothing.
    reattach: dict[Path, str] = {}
    for tree, branch in worktrees(git).items():
        if branch not in changes:
            continue
        if steps_dir is not None and _same(tree, steps_dir) and not _status(tree):
            reattach[tree] = branch
            continue
        pending = _status(tree)
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
        commands = (
            "start\n"
            + "".join(f"update refs/heads/{b} {sha} {current[b] or ZERO}\n" for b, sha in changes.items())
            + "prepare\ncommit\n"
        )
        git.run("update-ref", "-m", f"course steps from {source.commit[:12]}", "--stdin", input=commands.encode())
    for tree, branch in reattach.items():
        Git(tree).run("checkout", "-q", branch)
    print(f"Course step branches from commit {source.commit[:12]} ({MANIFEST}):", file=out)
    for step in steps:
        for branch, kind in step.branches():
            state = "unchanged" if branch not in changes else ("updated" if current[branch] else "created")
            print(f"  {state:9} {branch:45} {kind}", file=out)
    first = steps[0].name
    if steps_dir is None:
        print(f"\nStart the course with:  git worktree add ../steps {first}", file=out)
        return 0
    ensure_steps_dir(git, steps_dir, first, out)
    print(f"\nStart the course with:  cd {Path(os.path.abspath(steps_dir))} && cat README.md", file=out)
    return 0


def list_branches(root: Path, rev: str, out=sys.stdout) -> int:
    git = Git(repo_root(root))
    source = Source(git, rev)
    steps = plan(source)
    wanted = make_commits(git, steps)
    for step in steps:
        for branch, kind in step.branches():
            sha = git.rev(f"refs/heads/{branch}")
            state = "missing" if sha is None else ("current" if sha == wanted[branch] else "outdated")
            print(f"{state:9} {branch:45} {kind}", file=out)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python course/build_steps.py",
        description="Build the course's step branches from course/steps.yaml, without touching your checkout, "
        "and a steps folder (a git worktree) to follow them in.",
    )
    parser.add_argument("command", choices=("build", "rebuild", "list"), help="rebuild = build --force")
    parser.add_argument(
        "--force", action="store_true", help="update existing branches, even with uncommitted changes to their sources"
    )
    parser.add_argument("--from", dest="rev", default="HEAD", help="commit holding course/ (default: HEAD)")
    parser.add_argument("-C", dest="path", default=".", help="run in this repository (default: here)")
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--steps-dir",
        type=Path,
        help="the steps folder, a git worktree for the step branches (default: ../<repository folder>-steps)",
    )
    where.add_argument("--no-steps-dir", action="store_true", help="build the branches only, no steps folder")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    try:
        if args.command == "list":
            return list_branches(Path(args.path), args.rev)
        steps_dir = None
        if not args.no_steps_dir:
            steps_dir = args.steps_dir.absolute() if args.steps_dir else default_steps_dir(repo_root(Path(args.path)))
        force = args.force or args.command == "rebuild"
        return build(Path(args.path), force=force, rev=args.rev, steps_dir=steps_dir)
    except StepsError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
