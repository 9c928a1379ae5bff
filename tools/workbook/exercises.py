"""The one-line check after each lesson exercise, `check(test, works="...")`, below the empty
cell for the learner's answer: `test` looks at what the answer produced (a file, a DVC result,
a variable) and raises AssertionError with what is missing. `check` prints one line
(`works: ...` or `not yet: ...`) and never raises, so "Run all" carries on past an unsolved
exercise. The collapsed solution below ends with the same check.
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
    except Exception as error:  # a missing file or key is an unsolved exercise too
        print(f"{NOT_YET}{type(error).__name__}: {error}")
    else:
        print(f"{WORKS}{works}")
