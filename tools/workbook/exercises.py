"""The one-line check after each lesson exercise: does the learner's own answer work?

A lesson's exercise is followed by an empty cell for the learner's answer, then one line,
`check(test, works="...")`. `test` looks at what the answer produced (a file, a DVC
result, a variable) and raises AssertionError with what is missing. `check` prints one
line, returns nothing (so the cell shows only that line) and never raises, so "Run all"
carries on past an unsolved exercise:

    works: knn's F1 is compared with the baseline
    not yet: reports/metrics.json still has logreg's F1 (0.930556)

The solution below the check is collapsed in JupyterLab (its `### Solution` heading is
stored collapsed) and ends with the same check, which the lesson's tests see pass.
"""

from __future__ import annotations

from collections.abc import Callable

WORKS = "works: "
NOT_YET = "not yet: "


def check(test: Callable[[], object], works: str) -> None:
    """Run `test`; print `works: <works>` if it passes, else `not yet: <what it found>`."""
    try:
        test()
    except AssertionError as missing:
        print(f"{NOT_YET}{missing or 'the check found something missing'}")
        return
    except Exception as error:  # a missing file or key is an unsolved exercise too
        print(f"{NOT_YET}{type(error).__name__}: {error}")
        return
    print(f"{WORKS}{works}")
