"""`make check` for step 8: the confusion rows as a DVC plot, drawn as a confusion matrix.

In a scratch copy: `dvc repro`, then `dvc plots show --json`, whose Vega-Lite spec says
how DVC will draw each plot (a stage's `plots:` or the top-level `plots:`, either works).
"""

from checklib import Fail, Work, check, dvc_json, main, reproduced, tracked_by_git

STEP = "step-8-metrics-and-plots"
DATA = "reports/confusion_matrix_data.csv"
IMAGE = "reports/confusion_matrix.png"
HINT = "the TODO in dvc.yaml: the evaluate stage's plots"


def plots(work: Work) -> dict:
    if "plots" not in work.cache:
        work.cache["plots"] = dvc_json(work, reproduced(work), "plots", "show").get("data", {})
    return work.cache["plots"]


@check(f"dvc plots show has a plot of {DATA}")
def declared(work: Work) -> None:
    found = plots(work)
    if not any(key == DATA or key.endswith(DATA) for key in found):
        raise Fail(f"a plot of {DATA}", "plots: " + (", ".join(found) or "none"), HINT)


@check("it is drawn as a confusion matrix: predicted across, y_true down, counts in the cells")
def confusion(work: Work) -> None:
    entries = [entry for key, value in plots(work).items() if key.endswith(DATA) for entry in value]
    spec = (entries[0].get("content") or {}).get("spec", {}) if entries else {}
    encoding = spec.get("encoding", {})
    x, y = encoding.get("x", {}).get("field"), encoding.get("y", {}).get("field")
    counted = any("aggregate" in step for step in spec.get("transform", []))
    if (x, y) != ("predicted", "y_true") or not counted:
        raise Fail(
            "template confusion with x: predicted, y: y_true",
            f"x: {x}, y: {y}, {'counts' if counted else 'no counts (another template)'}",
            HINT,
        )


@check(f"{DATA} is tracked by git (cache: false), like the metrics")
def in_git(work: Work) -> None:
    tracked_by_git(work, DATA, HINT + " (cache: false)")


@check(f"the picture {IMAGE} is still a plot", needs_previous=False)
def image(work: Work) -> None:
    found = plots(work)
    if not any(key.endswith(IMAGE) for key in found):
        raise Fail(
            f"a plot of {IMAGE} (dvc.yaml's top-level plots)",
            ", ".join(found) or "none",
            "the top-level `plots:` of dvc.yaml lists it: keep it",
        )


CHECKS = [declared, confusion, in_git, image]

if __name__ == "__main__":
    raise SystemExit(main(STEP, CHECKS))
