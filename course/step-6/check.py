"""`make check` for step 6: a default DVC remote that holds this branch's data and model.

A scratch copy of your project, with an empty DVC cache, runs `dvc pull` from your
remote, as a teammate's fresh clone would: it must get back every output dvc.lock lists.
"""

import os
from pathlib import Path

from configobj import ConfigObj  # DVC reads its config with it

from checklib import Fail, Work, check, dvc_json, last_error, main

STEP = "step-6-data-and-model-version-control"
HINT_ADD = "the TODO in .dvc/config: dvc remote add -d <name> <absolute path>"
HINT_PUSH = "dvc push (after dvc repro): it copies the cache to the remote"
HINT_FLOW = (
    "the README's 'push, change, push, restore' flow: set data_split.test_size to 0.3, dvc repro, dvc push, "
    "then git restore params.yaml dvc.lock and dvc repro"
)


def written_url(work: Work, name: str) -> str:
    """The url as written in .dvc/config or .dvc/config.local (`dvc remote list` shows a relative one resolved)."""
    url = ""
    for text in (work.read(".dvc/config") or "", work.read(".dvc/config.local") or ""):  # no commit has .local
        url = ConfigObj(text.splitlines()).get(f'remote "{name}"', {}).get("url", url)
    return url


def remote(work: Work) -> tuple[str, str]:
    """(name, url) of the default remote, as `dvc remote default` reads the config in a copy."""
    asked = work.ran("remote", "dvc", "remote", "default")[1]  # prints "No default remote set" and fails when none
    name = asked.stdout.strip() if asked.returncode == 0 else ""
    if not name:
        raise Fail("a default remote (`dvc remote default` names it)", "none", HINT_ADD)
    return name, written_url(work, name)


@check("a default DVC remote is configured")
def configured(work: Work) -> None:
    remote(work)


@check("its url is absolute (a relative one points elsewhere from every other clone)")
def absolute(work: Work) -> None:
    name, url = remote(work)
    if "://" in url:
        return
    if not os.path.isabs(url):
        raise Fail(
            f"remote {name}: an absolute path or a URL",
            url,
            "DVC reads a relative url from the .dvc/ folder of each clone: dvc remote modify "
            f"{name} url /an/absolute/path",
        )
    if not Path(url).is_dir():
        raise Fail(f"remote {name}: the folder {url}", "no such folder", HINT_PUSH)


@check("the remote holds every output of dvc.lock: a fresh copy gets them with dvc pull")
def pulled(work: Work) -> None:
    copy, result = work.ran("pull", "dvc", "pull")
    if result.returncode != 0:
        raise Fail("`dvc pull` in a copy with an empty cache to succeed", last_error(result.stderr), HINT_PUSH)
    status = dvc_json(work, copy, "status")
    if status:
        raise Fail(
            "every output as dvc.lock records it",
            "changed: " + ", ".join(sorted(status)),
            HINT_PUSH + " (the outputs of this commit's dvc.lock)",
        )


@check("the remote also holds the outputs of another run (the push / restore / reuse flow)")
def second_run(work: Work) -> None:
    _, url = remote(work)
    if "://" in url:
        return  # a cloud remote: DVC lists it only with credentials, so this is not checked
    copy = work.ran("pull", "dvc", "pull")[0]  # where the check above pulled this commit's outputs
    used = {p.name for p in (copy / ".dvc" / "cache").rglob("*") if p.is_file()}
    held = {p.name for p in Path(url).rglob("*") if p.is_file() and p.parent.name != "runs"}
    if not held - used:
        raise Fail("objects in the remote besides this commit's", f"only this commit's {len(used)}", HINT_FLOW)


CHECKS = [configured, absolute, pulled, second_run]

if __name__ == "__main__":
    raise SystemExit(main(STEP, CHECKS))
