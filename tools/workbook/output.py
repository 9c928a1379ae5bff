"""Lines that tools print on every run and that teach nothing after the first time.

`quiet(text)` drops them from a command's output before a lesson shows it:

- papermill's three log lines per stage notebook (`Input Notebook: ...`,
  `Output Notebook: ...`, `Executing notebook with kernel: ...`): the stage's command
  line, which DVC prints just above, already names both notebooks;
- DVC's hint `To enable auto staging, run: dvc config core.autostage true`, printed after
  every command that changes files git should track.

Lesson 3 shows one full `dvc repro` output first and says what is dropped from then on;
a lesson's `sh(..., full=True)` prints everything.
"""

from __future__ import annotations

import re

NOISE = re.compile(
    r"^(Input Notebook: .*|Output Notebook: .*|Executing notebook with kernel: .*)\n"
    r"|^To enable auto staging, run:\n\n\tdvc config core\.autostage true\n",
    re.MULTILINE,
)


def quiet(text: str) -> str:
    """`text` without papermill's per-notebook log lines and DVC's auto-staging hint."""
    return NOISE.sub("", text)
