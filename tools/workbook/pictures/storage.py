"""Where DVC keeps what: workspace, git, DVC cache, DVC remote and git remote, in one picture.

`storage_picture(project)` reads a real project (a `.dvc` file, `.dvc/config`, the git
remote) and draws the five places with the file's own name, hash and cache path, and the
commands that move bytes or pointers between them. Lesson 4 shows it after its first
`dvc add` and `dvc push`:

    from workbook.pictures.storage import storage_picture
    storage_picture(Path("."), "data/raw/iris.csv.dvc")
"""

from __future__ import annotations

import configparser
import subprocess
from dataclasses import dataclass
from pathlib import Path

import yaml
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

# Colours: git's side warm, DVC's side cool, the workspace neutral.
GIT_COLOUR, DVC_COLOUR, WORKSPACE_COLOUR = "#fde8d7", "#e3e1f5", "#eef3f8"
EDGE, ARROW, NOTE = "#444444", "#333333", "#666666"


@dataclass(frozen=True)
class Pointer:
    """What a `.dvc` file records about the one file it tracks."""

    dvc_file: str  # the pointer, relative to the project (git tracks it)
    path: str  # the tracked file, relative to the project (git ignores it)
    md5: str
    size: int

    @property
    def cache_path(self) -> str:
        """Where the bytes sit in a DVC 3 cache or remote: `files/md5/<2 chars>/<the rest>`."""
        return cache_path(self.md5)


def cache_path(md5: str) -> str:
    """The path of an object in a DVC 3 cache or remote, relative to its root."""
    if len(md5) != 32 or any(c not in "0123456789abcdef" for c in md5):
        raise ValueError(f"{md5!r}: expected an MD5 hash of 32 lowercase hex digits")
    return f"files/md5/{md5[:2]}/{md5[2:]}"


def read_pointer(project: Path, dvc_file: str) -> Pointer:
    """The one output a `.dvc` file of `project` tracks (hash, size, path)."""
    data = yaml.safe_load((Path(project) / dvc_file).read_text(encoding="utf-8")) or {}
    outs = data.get("outs") or []
    if len(outs) != 1 or not {"md5", "size", "path"} <= set(outs[0]):
        raise ValueError(f"{dvc_file}: expected one entry under 'outs' with md5, size and path, found {outs!r}")
    out = outs[0]
    folder = Path(dvc_file).parent
    return Pointer(dvc_file=dvc_file, path=(folder / out["path"]).as_posix(), md5=out["md5"], size=int(out["size"]))


def dvc_remote(project: Path) -> tuple[str, str] | None:
    """(name, url) of the project's default DVC remote, from `.dvc/config`; None if it has none."""
    config = configparser.ConfigParser(interpolation=None)
    config.read(Path(project) / ".dvc" / "config", encoding="utf-8")
    name = config.get("core", "remote", fallback=None)
    if name is None:
        return None
    return name, config.get(f"'remote \"{name}\"'", "url")


def git_remote(project: Path, name: str = "origin") -> str | None:
    """The url of the project's git remote `name`; None if there is none."""
    found = subprocess.run(
        ["git", "config", "--get", f"remote.{name}.url"], cwd=project, capture_output=True, text=True
    )
    return found.stdout.strip() or None


def short(location: str, parts: int = 2) -> str:
    """The last `parts` components of a path or url, after '…/' if any were left out."""
    pieces = location.rstrip("/").split("/")
    return location if len(pieces) <= parts else "…/" + "/".join(pieces[-parts:])


def holds(root: Path | None, pointer: Pointer) -> str:
    """'holds these bytes' or 'does not hold them yet', for a cache or remote folder."""
    if root is not None and (Path(root) / pointer.cache_path).is_file():
        return "holds these bytes"
    return "does not hold them yet"


def _box(axes, x: float, y: float, title: str, lines: list[str], colour: str) -> None:
    axes.add_patch(FancyBboxPatch((x, y), BOX_W, BOX_H, boxstyle="round,pad=0.06", facecolor=colour, edgecolor=EDGE))
    axes.text(x + 0.15, y + BOX_H - 0.22, title, fontsize=12, fontweight="bold", va="top")
    axes.text(
        x + 0.12, y + BOX_H - 0.62, "\n".join(lines), fontsize=8.8, family="monospace", va="top", linespacing=1.45
    )


def _arrow(axes, start, end, label: str, where, align: str = "center", rad: float = 0.0) -> None:
    axes.add_patch(
        FancyArrowPatch(
            start,
            end,
            arrowstyle="-|>",
            mutation_scale=16,
            color=ARROW,
            linewidth=1.4,
            connectionstyle=f"arc3,rad={rad}",
        )
    )
    axes.text(*where, label, fontsize=9.5, ha=align, va="center", family="monospace", color=ARROW)


# Layout, in inches of a 12 x 6.6 figure: three columns of boxes (git, workspace, DVC),
# this machine above, shared storage below.
BOX_W, BOX_H = 3.1, 2.2
LEFT, MIDDLE, RIGHT = 0.2, 4.45, 8.7
TOP, BOTTOM = 3.9, 0.25


def storage_picture(project: Path, dvc_file: str = "data/raw/iris.csv.dvc") -> Figure:
    """Workspace, git, DVC cache, DVC remote and git remote of `project`, with the file that
    `dvc_file` tracks and the commands between them (a matplotlib Figure, drawn offline)."""
    project = Path(project)
    pointer = read_pointer(project, dvc_file)
    remote = dvc_remote(project)
    origin = git_remote(project)
    remote_root = Path(remote[1]) if remote else None
    if remote_root is not None and not remote_root.is_absolute():
        remote_root = project / ".dvc" / remote_root  # DVC reads a relative url from .dvc/

    figure = Figure(figsize=(12, 6.6))
    axes = figure.add_axes((0, 0, 1, 1))
    axes.set_xlim(0, 12)
    axes.set_ylim(0, 6.6)
    axes.axis("off")

    axes.text(0.2, 6.45, "this machine (one clone)", fontsize=10, color=NOTE, va="center")
    axes.axhline(3.2, xmin=0.01, xmax=0.99, color=NOTE, linestyle=(0, (4, 4)), linewidth=0.8)
    axes.text(0.2, 3.02, "shared storage (a server, a bucket: here folders)", fontsize=10, color=NOTE, va="center")

    md5 = pointer.md5
    _box(
        axes,
        LEFT,
        TOP,
        "git repository (.git)",
        [
            "commits the pointer",
            f"{pointer.dvc_file}:",
            f"md5: {md5}",
            f"size: {pointer.size}",
            "and .dvc/config, dvc.yaml, dvc.lock",
        ],
        GIT_COLOUR,
    )
    _box(
        axes,
        MIDDLE,
        TOP,
        "workspace",
        [
            "the files you open and edit",
            f"{pointer.path}",
            f"  {pointer.size} bytes, git ignores it",
            f"{pointer.dvc_file}",
            "  the pointer, tracked by git",
        ],
        WORKSPACE_COLOUR,
    )
    _box(
        axes,
        RIGHT,
        TOP,
        "DVC cache (.dvc/cache)",
        [
            "each version's bytes, named",
            "by their md5:",
            f".dvc/cache/{pointer.cache_path[:13]}",
            f"  {pointer.cache_path[13:]}",
            holds(project / ".dvc" / "cache", pointer),
        ],
        DVC_COLOUR,
    )
    _box(
        axes,
        LEFT,
        BOTTOM,
        "git remote (origin)",
        [
            short(origin) if origin else "none yet",
            "code and pointers: what",
            "git clone / pull fetches",
        ],
        GIT_COLOUR,
    )
    _box(
        axes,
        RIGHT,
        BOTTOM,
        f"DVC remote ({remote[0]})" if remote else "DVC remote",
        [
            short(remote[1]) if remote else "none yet (dvc remote add -d)",
            "same layout as the cache:",
            f"{pointer.cache_path[:13]}",
            f"  {pointer.cache_path[13:]}",
            holds(remote_root, pointer),
        ],
        DVC_COLOUR,
    )

    # Between the workspace and its neighbours on this machine.
    upper, lower = TOP + 1.45, TOP + 0.7
    _arrow(
        axes,
        (MIDDLE - 0.1, upper),
        (LEFT + BOX_W + 0.1, upper),
        "git add\ngit commit",
        (LEFT + BOX_W + 0.575, upper + 0.42),
    )
    _arrow(
        axes, (LEFT + BOX_W + 0.1, lower), (MIDDLE - 0.1, lower), "git checkout", (LEFT + BOX_W + 0.575, lower - 0.3)
    )
    _arrow(
        axes,
        (MIDDLE + BOX_W + 0.1, upper),
        (RIGHT - 0.1, upper),
        "dvc add\ndvc commit",
        (MIDDLE + BOX_W + 0.575, upper + 0.42),
    )
    _arrow(
        axes, (RIGHT - 0.1, lower), (MIDDLE + BOX_W + 0.1, lower), "dvc checkout", (MIDDLE + BOX_W + 0.575, lower - 0.3)
    )

    # Between this machine and the shared storage.
    down, up = TOP - 0.1, BOTTOM + BOX_H + 0.1
    _arrow(axes, (LEFT + 1.0, down), (LEFT + 1.0, up), "git push", (LEFT + 0.92, 3.45), align="right")
    _arrow(axes, (LEFT + 2.3, up), (LEFT + 2.3, down), "git pull\ngit clone", (LEFT + 2.4, 3.45), align="left")
    _arrow(axes, (RIGHT + 1.0, down), (RIGHT + 1.0, up), "dvc push", (RIGHT + 0.92, 3.45), align="right")
    _arrow(axes, (RIGHT + 2.3, up), (RIGHT + 2.3, down), "dvc fetch", (RIGHT + 2.4, 3.45), align="left")
    _arrow(
        axes,
        (RIGHT - 0.1, BOTTOM + 1.0),
        (MIDDLE + 1.65, TOP - 0.1),
        "dvc pull\n= fetch + checkout",
        (MIDDLE + 1.95, 1.6),
        align="left",
        rad=-0.25,
    )
    axes.text(
        MIDDLE + 1.65,
        0.5,
        "git moves the pointers,\nDVC moves the bytes",
        fontsize=11,
        ha="center",
        va="center",
        color=NOTE,
        style="italic",
    )
    return figure
