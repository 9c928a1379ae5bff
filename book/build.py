"""The course's pages, a static site: `python book/build.py` (make book), into _build/book/html/.

What goes in, staged in _build/book/source/ before Sphinx (book/conf.py) reads it:

- the lessons (`lessons/NN-*.ipynb`) with the outputs they store, never executed (nbval
  proves those outputs). The course's cell tags become myst-nb's: the set-up cell and
  the proofs (`setup`, `check`) are removed, a picture or an exercise's verdict (`figure`,
  `exercise-check`) shows its output only, and a solution (`solution`) sits behind a
  toggle, "Show the solution";
- the README of every step branch, as the step builder renders it (course/build_steps.py:
  `plan` fills in each `{{ }}` of a `render: true` file from the commit's metrics.json,
  params.yaml and RATIO_FEATURES), from the commit the branches are built from (HEAD);
- the landing page, book/index.md.j2 filled in with each lesson's title and study time
  (its first cell's `**Study time:** about N minutes`) and the step branches.

Everything the build writes stays in its folder: html/ (the site), source/, doctrees/ and
jupyter_execute/ (myst-nb's copies of the pictures). A staged file is rewritten only when its
content changes, so a second build rereads only what changed. Nothing is fetched: the theme
and every script are installed packages.

    python book/build.py                   # the site in _build/book/html/ (open index.html)
    python book/build.py --out /tmp/book   # elsewhere: /tmp/book/html/
"""

from __future__ import annotations

import argparse
import copy
import os
import re
import sys
import time
from pathlib import Path

import jinja2
import nbformat

BOOK = Path(__file__).resolve().parent
ROOT = BOOK.parent
sys.path.insert(0, str(ROOT / "course"))
import build_steps  # noqa: E402 (the step builder, course/build_steps.py)

STUDY_TIME = re.compile(r"^\*\*Study time:\*\* about (\d+) minutes", re.MULTILINE)
HEADING = re.compile(r"^#\s+(.+)$", re.MULTILINE)
HEADING_ANY = re.compile(r"^#{1,6}\s", re.MULTILINE)
# The course's tags (tests/test_lesson_structure.py) and what a page does with each cell.
REMOVED = {"setup", "check"}  # the course's machinery and its proofs: not on the page
OUTPUT_ONLY = {"figure", "exercise-check"}  # a picture, an exercise's verdict
SOLUTION = "solution"  # behind a toggle, input and output
SOLUTION_TOGGLE = {"code_prompt_show": "Show the solution", "code_prompt_hide": "Hide the solution"}


class BookError(Exception):
    """Something in the sources the pages cannot be built from; the message says what."""


def page_notebook(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A copy of a lesson with the course's tags turned into myst-nb's."""
    nb = copy.deepcopy(nb)
    solutions: list[list[nbformat.NotebookNode]] = [[]]  # the solution cells under each heading
    for cell in nb.cells:
        if cell.cell_type == "markdown" and HEADING_ANY.search(cell.source):
            solutions.append([])
        if cell.cell_type != "code":
            continue
        tags = list(cell.metadata.get("tags", []))
        if REMOVED & set(tags):
            tags.append("remove-cell")
        elif OUTPUT_ONLY & set(tags):
            tags.append("remove-input")
        elif SOLUTION in tags:
            tags.append("hide-cell")
            solutions[-1].append(cell)
        cell.metadata["tags"] = tags
    for cells in solutions:
        for number, cell in enumerate(cells, 1):
            part = f" ({number} of {len(cells)})" if len(cells) > 1 else ""
            cell.metadata["mystnb"] = {key: text + part for key, text in SOLUTION_TOGGLE.items()}
    return nb


def lesson_facts(path: Path, nb: nbformat.NotebookNode) -> dict:
    first = nb.cells[0].source if nb.cells and nb.cells[0].cell_type == "markdown" else ""
    title, minutes = HEADING.search(first), STUDY_TIME.search(first)
    if not title or not minutes:
        raise BookError(
            f"{path.relative_to(ROOT)}: the first cell must open with a `# title` and "
            "`**Study time:** about N minutes` (the landing page lists both)"
        )
    return {
        "number": int(path.name[:2]),
        "title": title.group(1).strip().replace("|", "\\|"),
        "minutes": int(minutes.group(1)),
        "page": f"lessons/{path.name}",
        "doc": f"lessons/{path.stem}",
    }


def step_readmes(rev: str) -> list[tuple[dict, str]]:
    """(facts, README text) of every step branch, as `make steps` would write them from `rev`."""
    git = build_steps.Git(build_steps.repo_root(ROOT))
    source = build_steps.Source(git, rev)
    readmes = []
    for step in build_steps.plan(source):
        files = step.exercise or step.solution  # the branch a learner switches to
        if "README.md" not in files:
            raise BookError(f"{build_steps.MANIFEST}: {step.name} has no README.md")
        text = build_steps._content(source, files["README.md"]).decode("utf-8")
        title = HEADING.search(text)
        facts = {
            "branch": step.name,
            "title": (title.group(1).strip() if title else step.name).replace("|", "\\|"),
            "page": f"steps/{step.name}.md",
            "doc": f"steps/{step.name}",
        }
        readmes.append((facts, text))
    return readmes


def clone_url() -> str:
    """The repository's address on GitHub when built there (Actions sets these), else a placeholder."""
    server, repository = os.environ.get("GITHUB_SERVER_URL"), os.environ.get("GITHUB_REPOSITORY")
    return f"{server}/{repository}.git" if server and repository else "<repository-url>"


def stage(rev: str) -> dict[str, str]:
    """The site's sources, by path in the source folder."""
    files: dict[str, str] = {}
    lessons = []
    for path in sorted((ROOT / "lessons").glob("[0-9][0-9]-*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        lessons.append(lesson_facts(path, nb))
        files[f"lessons/{path.name}"] = nbformat.writes(page_notebook(nb)) + "\n"
    if not lessons:
        raise BookError("no lessons/NN-*.ipynb to build pages from")
    steps = []
    for facts, text in step_readmes(rev):
        steps.append(facts)
        files[facts["page"]] = text
    template = jinja2.Environment(
        loader=jinja2.FileSystemLoader(BOOK), undefined=jinja2.StrictUndefined, keep_trailing_newline=True
    ).get_template("index.md.j2")
    total = sum(lesson["minutes"] for lesson in lessons)
    files["index.md"] = template.render(
        lessons=lessons, steps=steps, total_hours=round(total / 60), clone_url=clone_url()
    )
    return files


def write_staged(source_dir: Path, files: dict[str, str]) -> None:
    """Write what changed; remove what is no longer a source (a renamed lesson)."""
    for old in sorted(source_dir.rglob("*")):
        if old.is_file() and old.relative_to(source_dir).as_posix() not in files:
            old.unlink()
    for name, text in files.items():
        target = source_dir / name
        if not target.is_file() or target.read_text(encoding="utf-8") != text:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")


def build(out: Path, rev: str = "HEAD") -> int:
    """Stage the sources in `out`/source and build the site into `out`/html."""
    from sphinx.cmd.build import build_main

    write_staged(out / "source", stage(rev))
    args = ["-b", "html", "-q", "-c", str(BOOK), "-d", str(out / "doctrees"), str(out / "source"), str(out / "html")]
    return build_main(args)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python book/build.py", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--out", type=Path, default=ROOT / "_build" / "book", help="the build's folder; the site is its html/"
    )
    parser.add_argument("--from", dest="rev", default="HEAD", help="commit the step READMEs come from (HEAD)")
    args = parser.parse_args(argv)
    out = args.out.absolute()
    started = time.perf_counter()
    try:
        status = build(out, args.rev)
    except (BookError, build_steps.StepsError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    if status == 0:
        print(f"The course's pages: {out / 'html' / 'index.html'} ({time.perf_counter() - started:.0f} s)")
    return status


if __name__ == "__main__":
    raise SystemExit(main())
