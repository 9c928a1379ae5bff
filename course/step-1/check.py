"""`make check` for step 1: runs iris_prototype.ipynb in a scratch copy and checks what it writes."""

from checklib import Work, check, main, metrics_f1, must_succeed, png_size

STEP = "step-1-organize-ml-project"
HINT_RUN = "run it yourself (README, 'Run it'); replace each `# TODO (exercise)` line and the `raise` under it"
HINT_METRICS = "the TODO 'write `metrics` as JSON ...' in the Evaluate cell of iris_prototype.ipynb"
HINT_IMAGE = "the TODO 'save `figure` as a PNG ...' in the Confusion matrix cell of iris_prototype.ipynb"


@check("iris_prototype.ipynb runs top to bottom")
def runs(work: Work) -> None:
    must_succeed(work.notebook("run")[1], HINT_RUN)


@check("reports/metrics.json holds the F1 score under the key f1", needs_previous=False)
def metrics(work: Work) -> None:
    metrics_f1(work.notebook("run")[0], HINT_METRICS, what=" written by the notebook")


@check("reports/confusion_matrix.png is a picture of the confusion matrix", needs_previous=False)
def image(work: Work) -> None:
    png_size(work.notebook("run")[0] / "reports/confusion_matrix.png", HINT_IMAGE, least=100)


CHECKS = [runs, metrics, image]

if __name__ == "__main__":
    raise SystemExit(main(STEP, CHECKS))
