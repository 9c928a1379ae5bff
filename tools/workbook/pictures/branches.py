"""A repository's commits and branches as a picture, drawn from `git log --all`.

`git log --graph` draws the same history in text; this picture gives each branch a lane of
its own, in a colour of its own, with its name on top, so a learner sees where a branch
left `main` and where it came back. Newest commit on top, as `git log` prints them:

    from workbook.pictures.branches import draw_branches, git_log
    draw_branches(git_log("."))  # a matplotlib Figure, shown inline by Jupyter

Lanes: `main` (or `master`) first, then the other branches in the order their tips appear
in the log. Each branch claims the commits on its first-parent line that no earlier
branch claimed; a branch whose commits all belong to another (after a fast-forward, say)
gets no lane, only its name on its commit. Commits that no branch reaches (only a tag or
a detached HEAD) get a lane named after their tag.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from matplotlib.figure import Figure

# One commit a line: full id, parent ids, refs (`HEAD -> main, tag: v0.1`) and subject.
LOG_FORMAT = "%H %P%x09%D%x09%s"
HEX_ID = re.compile(r"[0-9a-f]{7,40}")
COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf")
MAIN_NAMES = ("main", "master")


@dataclass(frozen=True)
class Commit:
    """One line of the log."""

    sha: str
    parents: tuple[str, ...]
    subject: str
    branches: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    head: bool = False  # HEAD points here (through a branch or detached)


@dataclass
class Lane:
    """A column of the picture: a branch's commits (or, for `name` None, untagged leftovers)."""

    name: str
    commits: list[str] = field(default_factory=list)


def git_log(repo: str | Path = ".") -> str:
    """`git log --all --topo-order` of the repository at `repo`, in the format `parse_log` reads."""
    done = subprocess.run(
        ["git", "-C", str(repo), "log", "--all", "--topo-order", f"--format={LOG_FORMAT}"],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise ValueError(f"git log in {repo} failed: {done.stderr.strip()}")
    return done.stdout


def parse_refs(text: str) -> tuple[tuple[str, ...], tuple[str, ...], bool]:
    """Branches, tags and whether HEAD is here, from git's `%D` (`HEAD -> main, tag: v1, dev`)."""
    branches, tags, head = [], [], False
    for ref in filter(None, (part.strip() for part in text.split(","))):
        if ref.startswith("tag: "):
            tags.append(ref.removeprefix("tag: "))
        elif ref == "HEAD":
            head = True
        elif ref.startswith("HEAD -> "):
            head = True
            branches.append(ref.removeprefix("HEAD -> "))
        else:
            branches.append(ref)
    return tuple(branches), tuple(tags), head


def parse_log(text: str) -> list[Commit]:
    """The commits of a `git log --format='%H %P%x09%D%x09%s'` text, in its order."""
    commits = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        fields = line.split("\t", 2)
        ids = fields[0].split()
        if len(fields) != 3 or not ids or not all(HEX_ID.fullmatch(i) for i in ids):
            raise ValueError(
                f"git log line {number}: {line!r}: expected '<commit> <parents>\\t<refs>\\t<subject>' "
                f"(git log --format='{LOG_FORMAT}')"
            )
        branches, tags, head = parse_refs(fields[1])
        commits.append(Commit(ids[0], tuple(ids[1:]), fields[2], branches, tags, head))
    if not commits:
        raise ValueError("git log printed no commits: expected at least one line")
    shas = [commit.sha for commit in commits]
    if len(set(shas)) != len(shas):
        raise ValueError("git log lists a commit twice: expected each commit once")
    return commits


def assign_lanes(commits: list[Commit]) -> list[Lane]:
    """One lane per branch that owns a commit (see the module's docstring), in drawing order."""
    by_sha = {commit.sha: commit for commit in commits}
    tips: dict[str, str] = {}
    for commit in commits:
        for branch in commit.branches:
            tips.setdefault(branch, commit.sha)
    order = sorted(tips, key=lambda b: (b not in MAIN_NAMES, MAIN_NAMES.index(b) if b in MAIN_NAMES else 0))
    owner: dict[str, int] = {}
    lanes: list[Lane] = []

    def claim(name: str, sha: str | None) -> None:
        lane = Lane(name)
        while sha in by_sha and sha not in owner:
            owner[sha] = len(lanes)
            lane.commits.append(sha)
            sha = (by_sha[sha].parents or (None,))[0]
        if lane.commits:
            lanes.append(lane)

    for branch in order:  # sorted() is stable: other branches keep the log's order
        claim(branch, tips[branch])
    for commit in commits:  # reached by no branch: a tag's or a detached HEAD's line
        if commit.sha not in owner:
            claim(commit.tags[0] if commit.tags else "(no branch)", commit.sha)
    return lanes


def draw_branches(log: str, title: str = "") -> Figure:
    """The commits and branches of `log` (`git_log`'s text) as a figure: a lane per branch."""
    commits = parse_log(log)
    lanes = assign_lanes(commits)
    lane_of = {sha: index for index, lane in enumerate(lanes) for sha in lane.commits}
    row = {commit.sha: index for index, commit in enumerate(commits)}
    n = len(commits)
    lane_named = {lane.name: index for index, lane in enumerate(lanes)}

    figure = Figure(figsize=(3 + 1.2 * len(lanes) + 4, 0.9 + 0.55 * n))
    ax = figure.subplots()
    y = {sha: float(n - 1 - index) for sha, index in row.items()}  # newest on top
    x = {sha: float(lane_of[sha]) for sha in row}

    for commit in commits:
        for parent in commit.parents:
            if parent not in row:  # outside the log (a partial history): no edge to draw
                continue
            side = max(lane_of[commit.sha], lane_of[parent])  # the edge runs down the side lane
            if x[commit.sha] == x[parent]:
                xs, ys = [x[commit.sha]] * 2, [y[commit.sha], y[parent]]
            elif lane_of[parent] == side:  # from a merge commit out to the merged branch
                xs, ys = [x[commit.sha], x[parent], x[parent]], [y[commit.sha], y[commit.sha] - 1, y[parent]]
            else:  # a branch's first commit back to where it left
                xs, ys = [x[commit.sha], x[commit.sha], x[parent]], [y[commit.sha], y[parent] + 1, y[parent]]
            ax.plot(xs, ys, color=COLOURS[side % len(COLOURS)], linewidth=2.5, zorder=1, solid_capstyle="round")

    text_x = len(lanes) - 0.4
    for commit in commits:
        colour = COLOURS[lane_of[commit.sha] % len(COLOURS)]
        merge = len(commit.parents) > 1
        ax.scatter(
            x[commit.sha],
            y[commit.sha],
            s=180 if merge else 120,
            color="white" if merge else colour,
            edgecolors=colour,
            linewidths=3 if merge else 1,
            zorder=2,
        )
        label = ax.text(text_x, y[commit.sha], f"{commit.sha[:7]}  {commit.subject}", va="center", fontsize=10)
        for text, face, edge, ink in badges(commit, lane_named):
            label = ax.annotate(
                text,
                xy=(1, 0.5),
                xycoords=label,
                xytext=(8, 0),
                textcoords="offset points",
                va="center",
                fontsize=9,
                color=ink,
                bbox={"boxstyle": "round,pad=0.25", "facecolor": face, "edgecolor": edge},
            )

    for index, lane in enumerate(lanes):
        ax.text(
            index,
            n - 0.3,
            lane.name,
            ha="center",
            va="bottom",
            fontsize=10,
            fontweight="bold",
            color=COLOURS[index % len(COLOURS)],
            rotation=20 if len(lanes) > 1 else 0,
        )
    ax.set_xlim(-0.6, text_x + 6)
    ax.set_ylim(-0.7, n + 0.4)
    ax.axis("off")
    if title:
        ax.set_title(title, loc="left", fontsize=11, pad=18)
    return figure


def badges(commit: Commit, lane_named: dict[str, int]) -> list[tuple[str, str, str, str]]:
    """(text, fill, edge, ink) of each name shown beside a commit: HEAD, branches in their
    lane's colour (grey for a branch with no lane of its own), tags in yellow."""
    found = []
    if commit.head and not commit.branches:
        found.append(("HEAD", "white", "black", "black"))
    for index, branch in enumerate(commit.branches):
        colour = COLOURS[lane_named[branch] % len(COLOURS)] if branch in lane_named else "#777777"
        found.append((("HEAD -> " if commit.head and index == 0 else "") + branch, colour, colour, "white"))
    found += [(f"tag: {tag}", "#fff2a8", "#b59b00", "black") for tag in commit.tags]
    return found
