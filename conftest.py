"""The order pytest takes test files in, for `make test` and `make test-lessons` alike.

pytest-xdist's two workers (`--dist loadfile --no-loadscope-reorder`: one file at a time
each) end at about the same time when the slowest files go first. Only the order changes,
not what runs. The ranking is by test time (`pytest -n 2 --dist loadfile --durations=0`);
files not named here keep pytest's order, after these.
"""

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
