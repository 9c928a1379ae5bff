"""`make check` for step 3: the plotting function lives in the package, and the notebook uses it from there."""

import json
from pathlib import Path

import nbformat

from checklib import BIN, NOTEBOOK, Fail, Work, check, last_error, main, metrics_f1, must_succeed, png_size

STEP = "step-3-reusable-code"
HINT_BODY = "the TODO in plot_confusion_matrix of src/iris_pipeline/plots.py: move the body from the step 2 notebook"
HINT_IMPORT = "the TODO in the first code cell of iris_prototype.ipynb: import plot_confusion_matrix from the package"
# Draws a 2 x 2 matrix with the package's function, in the course's Python with the branch's src/.
PROBE = """
import json, pandas as pd
from iris_pipeline.plots import plot_confusion_matrix
figure = plot_confusion_matrix(pd.DataFrame([[7, 1], [0, 5]], index=["a", "b"], columns=["a", "b"]), title="probe")
axes = figure.axes[0]
print(json.dumps({"type": type(figure).__module__ + "." + type(figure).__name__,
                  "texts": sorted(t.get_text() for t in axes.texts), "title": axes.get_title(),
                  "xticks": [t.get_text() for t in axes.get_xticklabels()]}))
"""
# Appended to a copy of the notebook: where the name it calls comes from.
WHERE = 'import json; print("CHECK-WHERE", json.dumps(plot_confusion_matrix.__module__))'


@check("plot_confusion_matrix in src/iris_pipeline/plots.py draws a matrix")
def function(work: Work) -> None:
    result = work.ran("function", str(BIN / "python"), "-c", PROBE)[1]
    if result.returncode != 0:
        raise Fail("the function to return a matplotlib Figure", last_error(result.stderr), HINT_BODY)
    drawn = json.loads(result.stdout.strip().splitlines()[-1])
    if drawn["type"] != "matplotlib.figure.Figure":
        raise Fail("a matplotlib.figure.Figure returned", drawn["type"], HINT_BODY)
    if drawn["texts"] != ["0", "1", "5", "7"] or drawn["title"] != "probe" or drawn["xticks"] != ["a", "b"]:
        raise Fail(
            "each count written in its cell, the labels on the axes, the title given",
            f"counts {drawn['texts']}, x labels {drawn['xticks']}, title {drawn['title']!r}",
            HINT_BODY,
        )


def add_where(copy: Path) -> None:
    notebook = nbformat.read(copy / NOTEBOOK, 4)
    notebook.cells.append(nbformat.v4.new_code_cell(WHERE))
    nbformat.write(notebook, copy / NOTEBOOK)


@check("iris_prototype.ipynb runs top to bottom and uses the package's function", needs_previous=False)
def notebook(work: Work) -> None:
    copy, result = work.notebook("notebook", add_where)
    must_succeed(result, HINT_IMPORT if "plot_confusion_matrix" in result.stderr else HINT_BODY)
    executed = nbformat.read(copy / "reports/runs" / NOTEBOOK, 4)
    printed = "".join(o.get("text", "") for o in executed.cells[-1].outputs)
    module = json.loads(printed.split("CHECK-WHERE", 1)[1]) if "CHECK-WHERE" in printed else None
    if module != "iris_pipeline.plots":
        raise Fail(
            "plot_confusion_matrix imported from iris_pipeline.plots",
            f"a function defined in {module!r}",
            HINT_IMPORT + " (and delete the notebook's own copy)",
        )


@check("the notebook still gives the score and the picture")
def outputs(work: Work) -> None:
    copy = work.notebook("notebook", add_where)[0]
    metrics_f1(copy, "", missing=HINT_IMPORT)
    png_size(copy / "reports/confusion_matrix.png", HINT_BODY, least=100)


CHECKS = [function, notebook, outputs]

if __name__ == "__main__":
    raise SystemExit(main(STEP, CHECKS))
