"""Lesson 4's picture: workspace, git, DVC cache, DVC remote and git remote, with a project's file.

`storage_picture(project, dvc_file)` reads the `.dvc` file (the tracked file, its md5 and
size), `.dvc/config` (the default DVC remote) and git's `origin`, and draws the five places
with what each holds now and the commands that move pointers or bytes between them.
`cache_path(md5)` is where an object sits in a DVC 3 cache or remote (lesson 4's checks use it).
"""

from __future__ import annotations

import configparser
import re
import subprocess
from pathlib import Path

import yaml
from matplotlib.figure import Figure

from workbook.pictures import arrow, box, canvas

GIT, DVC, WORKSPACE, NOTE = "#fde8d7", "#e3e1f5", "#eef3f8", "#666666"  # git warm, DVC cool
# Three columns (git, workspace, DVC) of boxes BOX wide and high: this machine above, shared storage below.
BOX = (3.1, 2.2)
LEFT, MIDDLE, RIGHT, UPPER, LOWER = 0.2, 4.45, 8.7, 3.9, 0.25


def cache_path(md5: str) -> str:
    """The path of an object in a DVC 3 cache or remote, relative to its root: `files/md5/42/2457...`."""
    if not re.fullmatch(r"[0-9a-f]{32}", md5):
        raise ValueError(f"{md5!r}: expected an MD5 hash of 32 lowercase hex digits")
    return f"files/md5/{md5[:2]}/{md5[2:]}"


def short(location: str) -> str:
    """The last two components of a path or url, after '…/' if any were left out."""
    pieces = location.rstrip("/").split("/")
    return location if len(pieces) <= 2 else "…/" + "/".join(pieces[-2:])


def storage_picture(project: Path, dvc_file: str = "data/raw/iris.csv.dvc") -> Figure:
    """The five places of `project`, with the file `dvc_file` tracks and the commands between them."""
    project = Path(project)
    outs = (yaml.safe_load((project / dvc_file).read_text(encoding="utf-8")) or {}).get("outs") or []
    if len(outs) != 1 or not {"md5", "size", "path"} <= set(outs[0]):
        raise ValueError(f"{dvc_file}: expected one entry under 'outs' with md5, size and path, found {outs!r}")
    md5, size, objects = outs[0]["md5"], outs[0]["size"], cache_path(outs[0]["md5"])
    path = (Path(dvc_file).parent / outs[0]["path"]).as_posix()
    config = configparser.ConfigParser(interpolation=None)
    config.read(project / ".dvc" / "config", encoding="utf-8")
    remote = config.get("core", "remote", fallback=None)
    url = config.get(f"'remote \"{remote}\"'", "url") if remote else None
    git = ["git", "config", "--get", "remote.origin.url"]
    origin = subprocess.run(git, cwd=project, capture_output=True, text=True).stdout.strip()

    def holds(root: Path | None) -> str:
        return "holds these bytes" if root and (root / objects).is_file() else "does not hold them yet"

    figure, axes = canvas(12, 6.6)
    axes.text(0.2, 6.45, "this machine (one clone)", fontsize=10, color=NOTE, va="center")
    axes.axhline(3.2, xmin=0.01, xmax=0.99, color=NOTE, linestyle=(0, (4, 4)), linewidth=0.8)
    axes.text(0.2, 3.02, "shared storage (a server, a bucket: here folders)", fontsize=10, color=NOTE, va="center")
    places = {  # name: (corner, title, lines, colour)
        "git": ((LEFT, UPPER), "git repository (.git)", ["commits the pointer", f"{dvc_file}:", f"md5: {md5}",
                f"size: {size}", "and .dvc/config, dvc.yaml, dvc.lock"], GIT),
        "workspace": ((MIDDLE, UPPER), "workspace", ["the files you open and edit", path,
                      f"  {size} bytes, git ignores it", dvc_file, "  the pointer, tracked by git"], WORKSPACE),
        "cache": ((RIGHT, UPPER), "DVC cache (.dvc/cache)", ["each version's bytes, named", "by their md5:",
                  f".dvc/cache/{objects[:13]}", f"  {objects[13:]}", holds(project / ".dvc" / "cache")], DVC),
        "origin": ((LEFT, LOWER), "git remote (origin)", [short(origin) if origin else "none yet",
                   "code and pointers: what", "git clone / pull fetches"], GIT),
        # A relative url is relative to .dvc/, an absolute one replaces the whole path.
        "remote": ((RIGHT, LOWER), f"DVC remote ({remote})" if remote else "DVC remote",
                   [short(url) if url else "none yet (dvc remote add -d)", "same layout as the cache:",
                    objects[:13], f"  {objects[13:]}", holds(project / ".dvc" / url if url else None)], DVC),
    }  # fmt: skip
    for name, (corner, title, lines, colour) in places.items():
        box(axes, name, corner, BOX, title, lines, colour)

    width, height = BOX
    a, b, c, d = LEFT + width + 0.1, MIDDLE - 0.1, MIDDLE + width + 0.1, RIGHT - 0.1  # the gaps' sides
    upper, lower, down, up = UPPER + 1.45, UPPER + 0.7, UPPER - 0.1, LOWER + height + 0.1
    for name, start, end, label, at, ha in (
        ("workspace->git", (b, upper), (a, upper), "git add\ngit commit", ((a + b) / 2, upper + 0.42), "center"),
        ("git->workspace", (a, lower), (b, lower), "git checkout", ((a + b) / 2, lower - 0.3), "center"),
        ("workspace->cache", (c, upper), (d, upper), "dvc add\ndvc commit", ((c + d) / 2, upper + 0.42), "center"),
        ("cache->workspace", (d, lower), (c, lower), "dvc checkout", ((c + d) / 2, lower - 0.3), "center"),
        ("git->origin", (LEFT + 1.0, down), (LEFT + 1.0, up), "git push", (LEFT + 0.92, 3.45), "right"),
        ("origin->git", (LEFT + 2.3, up), (LEFT + 2.3, down), "git pull\ngit clone", (LEFT + 2.4, 3.45), "left"),
        ("cache->remote", (RIGHT + 1.0, down), (RIGHT + 1.0, up), "dvc push", (RIGHT + 0.92, 3.45), "right"),
        ("remote->cache", (RIGHT + 2.3, up), (RIGHT + 2.3, down), "dvc fetch", (RIGHT + 2.4, 3.45), "left"),
    ):  # fmt: skip
        arrow(axes, name, start, end, label, at, ha)
    pull = "dvc pull\n= fetch + checkout"
    arrow(axes, "remote->workspace", (d, LOWER + 1.0), (MIDDLE + 1.65, down), pull, (6.4, 1.6), "left", -0.25)
    axes.text(6.1, 0.5, "git moves the pointers,\nDVC moves the bytes", fontsize=11, ha="center", va="center",
              color=NOTE, style="italic")  # fmt: skip
    return figure
