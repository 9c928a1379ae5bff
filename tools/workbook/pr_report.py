"""Build the Markdown report that CML posts on a pull request.

`python -m workbook.pr_report --base main --out report.md`, run from the root of a
DVC project after `dvc repro`, writes:
- the metrics diff and the params diff against the base revision, as the Markdown
  tables `dvc metrics diff --all --md` and `dvc params diff --md` print (with DVC's
  rounding: 5 decimals), plus any warning DVC gave about metrics it could not read;
- the confusion matrix picture, referenced by a path relative to the report, so
  `cml comment create report.md` uploads it with the comment;
- the pipeline's DAG as a mermaid block (GitHub draws it).

Everything comes from `git` and `dvc` on the local machine: no network.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

DEFAULT_IMAGE = "reports/confusion_matrix.png"


class ReportError(Exception):
    """Something the report needs is missing; the message says what."""


def _run(cmd: list[str], cwd: Path) -> subprocess.CompletedProcess:
    """Run a command, capturing its output; a failure becomes a ReportError naming the command."""
    result = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    if result.returncode != 0:
        shown = " ".join(cmd[2:] if cmd[:3] == [sys.executable, "-m", "dvc"] else cmd)
        raise ReportError(f"`{shown}` failed in {cwd} (exit {result.returncode}):\n{result.stderr.strip()}")
    return result


def _dvc(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    # This interpreter's DVC, so the report works even when the venv is not on PATH.
    return _run([sys.executable, "-m", "dvc", *args], cwd)


def table_or(markdown: str, empty: str) -> str:
    """DVC's Markdown table, or `empty` when it has no rows (DVC then prints a bare header)."""
    rows = [line for line in markdown.splitlines() if line.startswith("|")]
    return markdown.strip() if len(rows) > 2 else empty


def check_project(root: Path, base: str) -> None:
    """Fail with a clear message unless `root` is a git + DVC project that knows `base`."""
    if not (root / ".dvc").is_dir():
        raise ReportError(
            f"not a DVC project: no .dvc folder in {root} (run this from the project root, after `dvc init`)"
        )
    if not (root / "dvc.yaml").is_file():
        raise ReportError(f"no dvc.yaml in {root}: the report needs a DVC pipeline")
    probe = subprocess.run(
        ["git", "rev-parse", "--verify", "--quiet", f"{base}^{{commit}}"],
        cwd=root, capture_output=True, text=True,
    )
    if probe.returncode != 0:
        inside = subprocess.run(["git", "rev-parse", "--git-dir"], cwd=root, capture_output=True, text=True)
        if inside.returncode != 0:
            raise ReportError(f"not a git repository: {root} (the base revision lives in git)")
        raise ReportError(
            f"unknown base revision {base!r}: git has no commit by that name "
            "(in CI, check out with fetch-depth: 0 so the base branch is there)"
        )


def image_line(root: Path, image: str, out: Path) -> str:
    """A Markdown image for `image`, by a path relative to the report file (as CML wants)."""
    picture = (root / image).resolve()
    if not picture.is_file():
        print(f"warning: {image} not found: run `dvc repro` first; the report says so", file=sys.stderr)
        return f"_No picture at `{image}`: run `dvc repro` before building the report._"
    relative = Path(os.path.relpath(picture, out.resolve().parent)).as_posix()
    return f"![Confusion matrix]({relative})"


def build_report(root: Path, base: str, out: Path, image: str = DEFAULT_IMAGE) -> str:
    """Return the report's Markdown for the project at `root` compared with `base`."""
    check_project(root, base)
    metrics = _dvc("metrics", "diff", base, "--all", "--md", cwd=root)
    params = _dvc("params", "diff", base, "--md", cwd=root).stdout
    dag = _dvc("dag", "--md", cwd=root).stdout.strip()
    metrics_section = [table_or(metrics.stdout, "No metrics found in the base revision or the workspace.")]
    if metrics.stderr.strip():
        # e.g. "DVC failed to load some metrics for following revisions: 'main'": the base
        # has no committed metrics file, so there is nothing to compare with.
        metrics_section.append("> " + " ".join(metrics.stderr.split()))
    sections = [
        f"# Pipeline report: workspace compared with `{base}`",
        "## Metrics",
        *metrics_section,
        "## Parameters that changed",
        table_or(params, "No parameter changed."),
        "## Confusion matrix (test set)",
        image_line(root, image, out),
        "## Pipeline",
        dag,
    ]
    return "\n\n".join(sections) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m workbook.pr_report",
        description="Write a pull request's Markdown report: metrics and params diff, confusion matrix, DAG.",
    )
    parser.add_argument("--base", required=True, help="git revision to compare with (main, origin/main)")
    parser.add_argument("--out", default="report.md", type=Path, help="Markdown file to write [report.md]")
    parser.add_argument("--image", default=DEFAULT_IMAGE, help=f"confusion matrix picture [{DEFAULT_IMAGE}]")
    args = parser.parse_args(argv)
    try:
        report = build_report(Path.cwd(), args.base, args.out, args.image)
    except ReportError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(report, encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
