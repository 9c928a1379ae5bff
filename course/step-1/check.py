"""`make check` for step 1: runs iris_prototype.ipynb in a scratch copy and checks what it writes."""

from checklib import Work, check, main, metrics_f1, must_succeed, png_size

STEP = "step-1-organize-ml-project"
HINT_RUN = "run it yourself (README, 'Run it'); replace each `# TODO (exercise)` line and the `raise` under it"
HINT_METRICS = "the TODO 'write `metrics` as JSON ...' in the Evaluate cell of iris_prototype.ipynb"
HINT_IMAGE = "the TODO 'save `figure` as a PNG ...' in the Confusion matrix cell of iris_prototype.ipynb"


def ran(work: Work):
    if "run" not in work.cache:
        copy = work.copy()
        work.cache["run"] = (copy, work.notebook(copy))
    return work.cache["run"]


@check("iris_prototype.ipynb runs top to bottom")
def runs(work: Work) -> None:
    copy, result = ran(work)
    must_succeed(result, HINT_RUN)


@check("reports/metrics.json holds the F1 score under the key f1", needs_previous=False)
def metrics(work: Work) -> None:
    copy, _ = ran(work)
    metrics_f1(copy, HINT_METRICS, what=" written by the notebook")


@check("reports/confusion_matrix.png is a picture of the confusion matrix", needs_previous=False)
def image(work: Work) -> None:
    copy, _ = ran(work)
    png_size(copy / "reports/confusion_matrix.png", HINT_IMAGE, least=100)


CHECKS = [runs, metrics, image]

if __name__ == "__main__":
    raise SystemExit(main(STEP, CHECKS))
