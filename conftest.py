"""The order pytest takes test files in, for `make test` and `make test-lessons` alike: the
slowest first (by `pytest -n 2 --dist loadfile --durations=0`), so that pytest-xdist's two
workers, one file at a time each, end together. Files not named keep pytest's order, after."""

import pytest

SLOWEST_FIRST = (
    "tests/test_steps.py",
    "lessons/06-experiments.ipynb",
    "tests/test_step_checks.py",
    "lessons/07-registry-cml.ipynb",
    "lessons/03-pipelines.ipynb",
    "lessons/05-metrics-plots.ipynb",
    "tests/test_validation.py",
    "tests/test_pipeline.py",
    "lessons/04-versioning-data.ipynb",
    "tests/test_browser.py",
    "tests/test_offline_plots.py",
    "tests/test_jupyter_save.py",
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    rank = {path: place for place, path in enumerate(SLOWEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.nodeid.split("::")[0], len(rank)))  # stable: a file's order stays
