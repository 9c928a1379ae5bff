"""`make progress`: the course's steps, which are done on your own branches, and the next one.

Every local branch that is not a course step branch (`step-N-...`, `..._SOLUTION`) is yours;
it belongs to the step whose `course/check.py` it carries, and counts as done when that check
passes on a copy of its last commit (uncommitted work does not count; nothing of yours changes).
Results are remembered per commit (course-progress.json in git's folder): asking again is free.
"""

from __future__ import annotations

import io
import json
import re
import subprocess
from pathlib import Path

from checklib import run_checks

COURSE_BRANCH = re.compile(r"^step-(\d+)-[a-z0-9-]+(_SOLUTION)?$")
STEP_LINE = re.compile(r'^STEP = "(step-\d+-[a-z0-9-]+)"$', re.MULTILINE)


def git(*args: str, check: bool = True) -> str:
    return subprocess.run(["git", *args], capture_output=True, text=True, check=check).stdout


def main() -> int:
    steps: dict[int, str] = {}
    mine: dict[str, list[tuple[str, str, str]]] = {}  # step -> (branch, commit, its check.py)
    for line in git("for-each-ref", "--format=%(refname:short) %(objectname)", "refs/heads").splitlines():
        name, sha = line.split()
        course = COURSE_BRANCH.match(name)
        code = "" if course else git("show", f"{sha}:course/check.py", check=False)  # "" when it has none
        carried = STEP_LINE.search(code)  # the step its course/check.py is for
        if course:
            steps[int(course.group(1))] = name.removesuffix("_SOLUTION")
        elif carried:
            mine.setdefault(carried.group(1), []).append((name, sha, code))
    if not steps:
        print("No course step branches here: run `make steps` in your checkout of the course first.")
        return 1
    memo_path = Path(git("rev-parse", "--git-common-dir").strip()).resolve() / "course-progress.json"
    memo = json.loads(memo_path.read_text()) if memo_path.is_file() else {}
    print("Steps of the course (done = its check passes on the last commit of a branch of yours):")
    next_step, next_number = None, 0
    for number, step in sorted(steps.items()):
        done_on = []
        for name, sha, code in mine.get(step, []):
            key = f"{step} {sha}"
            if key not in memo:
                print(f"  ... checking {name} ({sha[:8]}) for {step}", flush=True)
                names: dict = {"__name__": "course_check", "__file__": f"{sha}:course/check.py"}
                exec(compile(code, names["__file__"], "exec"), names)  # noqa: S102 - the check.py you committed
                memo[key] = run_checks(step, names["CHECKS"], rev=sha, out=io.StringIO())
            if memo[key]:
                done_on.append(name)
        state = f"done on {', '.join(done_on)}" if done_on else "not done"
        tried = [name for name, _, _ in mine.get(step, []) if name not in done_on]
        if tried:
            state += f" (not yet on {', '.join(tried)}: run make check there)"
        print(f"  {number}. {step:40} {state}")
        if not done_on and next_step is None:
            next_step, next_number = step, number
    memo_path.write_text(json.dumps(memo, indent=1, sort_keys=True) + "\n")
    if next_step:
        print(f"\nNext: {next_step}. Start it on a branch of your own:")
        print(f"  git switch -c my-step-{next_number} {next_step}")
    else:
        print("\nEvery step is done. Well done!")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
