"""The lessons as documents: kernel, chapter structure, and the course branches they name."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest
import yaml

from conftest import QUOTED, REPO_ROOT
from workbook.lesson_measures import (
    HIDDEN_TAGS,
    code_lines,
    hidden,
    is_shell,
    study_minutes,
    visible_code,
    visible_counts,
    written_next_to_its_key,
)
from workbook.run_lessons import (
    FIELD,
    KERNEL,
    TemplateError,
    keep_unchanged_outputs,
    params_template_of,
    render_params_template,
    run_lesson,
    template_of,
)
from workbook.run_lessons import main as run_lessons_main

LESSONS = sorted((REPO_ROOT / "lessons").glob("[0-9][0-9]-*.ipynb"))
BRANCHES = {
    "03": [
        "step-1-organize-ml-project",
        "step-2-create-config-file",
        "step-3-reusable-code",
        "step-4-build-ml-pipeline",
        "step-5-automate-ml-pipeline",
    ],
    "04": ["step-6-data-and-model-version-control"],
    "05": ["step-7-metrics-and-experiments", "step-8-metrics-and-plots"],
    "06": ["step-8-metrics-and-plots"],
    "07": ["step-8-metrics-and-plots"],
}


def markdown(path) -> str:
    cells = json.loads(path.read_text())["cells"]
    return "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")


def test_there_are_seven_lessons():
    assert [p.name[:2] for p in LESSONS] == ["01", "02", "03", "04", "05", "06", "07"]


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_lesson_reads_like_a_chapter_and_opens_with_the_project_kernel(path):
    nb = json.loads(path.read_text())
    assert nb["metadata"]["kernelspec"]["name"] == "mlops-course"
    text = markdown(path)
    assert "What you will learn" in text
    assert "## Exercise" in text or "### Exercise" in text
    everything = "\n".join("".join(c["source"]) for c in nb["cells"])
    assert "Solution" in everything  # every exercise comes with its solution


STUDY_TIME = re.compile(r"^\*\*Study time:\*\* about (\d+) minutes of reading and doing", re.MULTILINE)


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_lesson_opens_with_its_study_time_and_goals_and_ends_with_a_recap(path):
    """A learner sees up front how long a lesson takes to study (not to run) and what it
    teaches, and at the end what to keep from it."""
    cells = json.loads(path.read_text())["cells"]
    first = "".join(cells[0]["source"])
    assert cells[0]["cell_type"] == "markdown" and first.startswith("# Lesson ")
    found = STUDY_TIME.search(first)
    assert found and 10 <= int(found.group(1)) <= 120, f"{path.name}: no study time in the title cell"
    assert "What you will learn" in "".join("".join(c["source"]) for c in cells[:2] if c["cell_type"] == "markdown")
    last = "".join(cells[-1]["source"])
    assert cells[-1]["cell_type"] == "markdown" and last.startswith("## Recap\n"), f"{path.name}: no recap at the end"
    assert len(re.findall(r"^- ", last, re.MULTILINE)) >= 3, f"{path.name}: the recap has fewer than 3 points"


@pytest.mark.parametrize("number", sorted(BRANCHES))
def test_lessons_name_the_step_branches_they_correspond_to(number):
    path = next(p for p in LESSONS if p.name.startswith(number))
    text = markdown(path)
    for branch in BRANCHES[number]:
        assert f"`{branch}`" in text, f"{path.name} does not name {branch}"


def code_cells(path: Path) -> Iterator[tuple[int, dict]]:
    """The code cells of the notebook at `path`, each with its number among all cells (from 1),
    as the failure messages name them."""
    for number, cell in enumerate(json.loads(path.read_text())["cells"], 1):
        if cell["cell_type"] == "code":
            yield number, cell


# A parameter changed by matching its old text (`sed 's/C: \[0.001\]/.../'`, `.replace("C: 0.001", ...)`)
# changes nothing once the default moves, and the demo then shows nothing. Lessons match the
# key and replace whatever follows it (`sed '/logreg:/,/solver:/ s/C: .*/C: [0.1]/'`), or use
# `dvc exp run -S`; the collapsed check after the edit asserts that the value changed.
PYTHON_TEXT_EDIT = re.compile(r"\.replace\(|\bre\.sub\(")
SED_PATTERN = re.compile(r"\bs([/|#])(.*?)\1")


def edits_matching_a_value(line: str) -> list[str]:
    """The edits on `line` that find their target by its old text rather than its key."""
    if PYTHON_TEXT_EDIT.search(line):
        return [line.strip()]
    if not re.search(r"\b(sed|perl)\b", line):
        return []
    return [pattern for _, pattern in SED_PATTERN.findall(line) if not pattern.rstrip("$").endswith(".*")]


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_lessons_change_parameters_by_key_not_by_matching_text(path):
    found = [
        f"cell {number}: {line.strip()}"
        for number, cell in code_cells(path)
        for line in "".join(cell["source"]).splitlines()
        if ("yaml" in line or "params" in line) and edits_matching_a_value(line)
    ]
    assert not found, "\n".join(found)


def test_an_edit_by_old_value_is_told_from_an_edit_by_key():
    for line in (
        "sed -i 's/C: \\[0.001\\]/C: [0.1]/' params.yaml",
        "sed 's/test_size: 0.2 /test_size: 0.3 /' params.yaml > params-test-0.3.yaml",
        'broken = Path("params.yaml").read_text().replace("test_size: 0.2", "test_size: 1.5")',
    ):
        assert edits_matching_a_value(line), line
    for line in (
        "sed '/logreg:/,/solver:/ s/C: .*/C: [0.1]/' params.yaml > params.new && mv params.new params.yaml",
        "sed 's/test_size: .*/test_size: 0.3/' params.yaml > params-test-0.3.yaml",
        "md5=$(sed -n 's/^- md5: //p' data/raw/iris.csv.dvc)",
    ):
        assert not edits_matching_a_value(line) or "params" not in line, line


# What a learner sees (workbook.lesson_measures): in the code cells not stored collapsed, only
# what they would type in their own project; the proofs sit in collapsed cells tagged for what
# they are, which a rendered page drops (remove-input).
COMMAND_IN_PYTHON = re.compile(r"""["'](git|dvc|papermill|cml)\s""")


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_visible_cells_hold_only_what_a_learner_types(path):
    cells = json.loads(path.read_text())["cells"]
    counts = visible_counts(cells)
    assert counts["asserts"] == 0, f"{path.name}: {counts['asserts']} assertion lines in visible cells"
    assert counts["machinery"] == 0, f"{path.name}: {counts['machinery']} lines of the course's machinery"
    wrapped = [
        f"cell {cells.index(cell) + 1}: {line.strip()}"
        for cell in visible_code(cells)
        if not is_shell(cell)
        for line in code_lines(cell)
        if not line.lstrip().startswith("!") and COMMAND_IN_PYTHON.search(line)
    ]
    assert not wrapped, f"{path.name}: commands inside Python strings:\n" + "\n".join(wrapped)


def test_nine_in_ten_dvc_commands_are_typed_as_in_a_terminal():
    typed = wrapped = 0
    for path in LESSONS:
        counts = visible_counts(json.loads(path.read_text())["cells"])
        typed, wrapped = typed + counts["dvc_typed"], wrapped + counts["dvc_wrapped"]
    assert typed >= 9 * wrapped and typed > 0, f"{typed} DVC commands typed, {wrapped} inside Python"


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_collapsed_cells_are_tagged_for_what_they_are(path):
    cells = json.loads(path.read_text())["cells"]
    problems = []
    code = [(number, c) for number, c in enumerate(cells, 1) if c["cell_type"] == "code"]
    for number, cell in code:
        kinds = [tag for tag in tags(cell) if tag in HIDDEN_TAGS]
        if hidden(cell) != bool(kinds):
            problems.append(f"cell {number}: collapsed without a tag {HIDDEN_TAGS}, or tagged and not collapsed")
        elif kinds and (len(kinds) != 1 or "remove-input" not in tags(cell)):
            problems.append(f"cell {number}: one of {HIDDEN_TAGS} and remove-input, not {tags(cell)}")
        if "check" in kinds and cell.get("outputs"):
            problems.append(f"cell {number}: a check prints nothing when it passes")
    setups = [number for number, cell in code if "setup" in tags(cell)]
    if len(setups) > 1 or (setups and setups[0] != code[0][0]):
        problems.append(f"one set-up cell, the first code cell: {setups}")
    assert not problems, "\n".join(problems)


TALK_OF_TESTS = re.compile(r"\bnbval\b|\bpytest\b|\btests/|\bthe tests\b|\bour tests\b|sanitiz", re.IGNORECASE)


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_the_lesson_text_never_speaks_of_the_tests(path):
    found = TALK_OF_TESTS.findall(markdown(path))
    assert not found, f"{path.name}: {found}"


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_the_study_time_is_a_readers_pace_and_at_most_90_minutes(path):
    cells = json.loads(path.read_text())["cells"]
    stated = int(STUDY_TIME.search("".join(cells[0]["source"])).group(1))
    measured = study_minutes(cells)
    assert abs(stated - measured) <= 10, f"{path.name}: says {stated} minutes, measures {measured:.0f}"
    assert stated <= 90 and measured <= 92.5, f"{path.name}: {measured:.0f} minutes: split or trim it"


# No lesson keeps its own copy of a value of params.yaml: a code cell that shows one as a
# literal is rendered from params.yaml (workbook.params_template) when the lessons run.
@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_cells_rendered_from_params_yaml_are_their_rendering(path):
    stale = [
        f"cell {number}"
        for number, cell in code_cells(path)
        if (template := params_template_of(cell)) is not None
        and render_params_template(template) != "".join(cell["source"])
    ]
    assert not stale, "not rendered from the current params.yaml (make lessons): " + ", ".join(stale)


def leaf_values(tree: dict, prefix: str = "") -> Iterator[tuple[str, object]]:
    for key, value in tree.items():
        if isinstance(value, dict):
            yield from leaf_values(value, f"{prefix}{key}.")
        elif not isinstance(value, list):
            yield f"{prefix}{key}", value


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_no_lesson_keeps_a_copy_of_a_default(path):
    """A default of params.yaml written next to its key (`cv: 3`, `"test_size": 0.2`,
    `random_state=42`) in a cell not rendered from params.yaml goes stale when the default moves."""
    params = yaml.safe_load((REPO_ROOT / "params.yaml").read_text())
    copies = []
    for dotted, value in leaf_values(params):
        pattern = written_next_to_its_key(dotted, value)
        copies += [
            f"cell {number}: {dotted} = {value}"
            for number, cell in code_cells(path)
            if params_template_of(cell) is None and not is_shell(cell) and pattern.search("".join(cell["source"]))
        ]
    assert not copies, "copies of params.yaml's defaults (render the cell from params.yaml):\n" + "\n".join(copies)


# A figure quoted in a lesson's text (a score, a parameter value: three decimals or more)
# must be in that lesson's stored outputs, as printed or rounded to the decimals quoted, or
# in the committed reports/metrics.json the text may point to: text that went stale when a
# default changed fails here, not in a learner's hands.
PRINTED = re.compile(r"(?<![\w.])\d+\.\d+(?:[eE]-?\d+)?")


def printed_numbers(cells: list[dict]) -> set[float]:
    text = []
    for cell in cells:
        for output in cell.get("outputs", []):
            text.append("".join(output.get("text", "")))
            for mime, value in output.get("data", {}).items():
                if mime.startswith("text/"):
                    text.append("".join(value))
    return {float(number) for number in PRINTED.findall("\n".join(text))}


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_figures_in_the_text_come_from_the_lessons_outputs(path):
    cells = json.loads(path.read_text())["cells"]
    known = printed_numbers(cells) | set(json.loads((REPO_ROOT / "reports" / "metrics.json").read_text()).values())
    stale = []
    for number, cell in enumerate(cells, 1):
        if cell["cell_type"] != "markdown":
            continue
        for figure in QUOTED.findall("".join(cell["source"])):
            decimals = len(figure.split(".")[1])
            if not any(round(value, decimals) == float(figure) for value in known):
                stale.append(f"cell {number}: {figure}")
    assert not stale, "figures in the text that no output shows:\n" + "\n".join(stale)


def test_a_stale_figure_is_found(tmp_path):
    lesson = json.loads(LESSONS[0].read_text())
    lesson["cells"].append({"cell_type": "markdown", "metadata": {}, "source": ["F1 went up to 0.987654."]})
    path = tmp_path / "01-stale.ipynb"
    path.write_text(json.dumps(lesson))
    with pytest.raises(AssertionError, match=r"cell \d+: 0\.987654"):
        test_figures_in_the_text_come_from_the_lessons_outputs(path)


# Text rendered from a template (`make lessons`, workbook.run_lessons): the stored text must
# be the template's rendering, so an edit of the text alone (which the next run would undo)
# or of the template alone (not yet run) fails here.
def rendering_pattern(template: str) -> re.Pattern:
    pieces = FIELD.split(template)[::2]  # the text between the {{ expressions }}
    return re.compile("(.+?)".join(re.escape(piece) for piece in pieces), re.DOTALL)


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_templated_text_is_its_templates_rendering(path):
    cells = json.loads(path.read_text())["cells"]
    wrong = [
        f"cell {number}"
        for number, cell in enumerate(cells, 1)
        if (template := template_of(cell)) is not None
        and not rendering_pattern(template).fullmatch("".join(cell["source"]))
    ]
    assert not wrong, "not its template's rendering (edit the template, then make lessons): " + ", ".join(wrong)


def test_templates_give_the_runs_figures():
    """The lessons that quote run-dependent figures do so through templates."""
    templated = {
        path.stem[:2] for path in LESSONS for cell in json.loads(path.read_text())["cells"] if template_of(cell)
    }
    assert {"01", "03"} <= templated, templated


def test_a_template_is_rendered_in_the_kernel_after_the_last_cell(tmp_path):
    kernelspec = {"name": KERNEL, "display_name": KERNEL, "language": "python"}
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": kernelspec})
    template = 'F1 {{ f"{f1:.3f}" }} with `C={{ grid["C"][0] }}`, JSON `{"f1": {{ f1 }}}`'
    nb.cells = [
        nbformat.v4.new_code_cell('f1, grid = 0.5, {"C": [0.01]}'),
        nbformat.v4.new_markdown_cell("stale text", metadata={"workbook": {"template": template}}),
        nbformat.v4.new_code_cell("f1 = 0.75"),  # the value at the end counts
    ]
    path = tmp_path / "lesson.ipynb"
    nbformat.write(nb, path)
    run_lesson(path)
    rendered = nbformat.read(path, as_version=4).cells[1]
    assert rendered.source == 'F1 0.750 with `C=0.01`, JSON `{"f1": 0.75}`'
    assert rendering_pattern(template).fullmatch(rendered.source)
    assert not rendering_pattern(template).fullmatch("F1 0.750 with C=0.01")

    nb.cells[1].metadata["workbook"]["template"] = "{{ missing_name }}"
    nbformat.write(nb, path)
    failed = r"lesson\.ipynb, cell 2: the text's \{\{ missing_name \}\} failed: NameError"
    with pytest.raises(TemplateError, match=failed):
        run_lesson(path)


def test_lessons_run_side_by_side_and_a_failed_one_is_left_as_it_was(tmp_path, capsys):
    kernelspec = {"name": KERNEL, "display_name": KERNEL, "language": "python"}
    good, bad = tmp_path / "good.ipynb", tmp_path / "bad.ipynb"
    for path, code in ((good, "print(6 * 7)"), (bad, "raise ValueError('on purpose')")):
        nbformat.write(
            nbformat.v4.new_notebook(metadata={"kernelspec": kernelspec}, cells=[nbformat.v4.new_code_cell(code)]), path
        )
    before = bad.read_bytes()
    assert run_lessons_main(["-j", "2", str(good), str(bad)]) == 1
    assert bad.read_bytes() == before
    assert nbformat.read(good, as_version=4).cells[0].outputs[0]["text"] == "42\n"
    assert "bad.ipynb" in capsys.readouterr().err.splitlines()[-1]


def test_a_rerun_keeps_outputs_that_differ_only_in_volatile_parts():
    def notebook(queue_line: str, score: str) -> nbformat.NotebookNode:
        cell = nbformat.v4.new_code_cell("!dvc queue status", id="queue")
        cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=f"{queue_line}\nF1 {score}\n")]
        return nbformat.v4.new_notebook(cells=[cell])

    stored = notebook("2cc779d  grid-1  07:15 AM   Queued", "0.93")
    rerun = notebook("626fac8  grid-1  07:49 AM   Queued", "0.93")
    assert keep_unchanged_outputs(stored, rerun) == 1
    assert rerun.cells[0].outputs == stored.cells[0].outputs  # the stored task id and time stay
    changed = notebook("626fac8  grid-1  07:49 AM   Queued", "0.97")
    assert keep_unchanged_outputs(stored, changed) == 0
    assert "0.97" in changed.cells[0].outputs[0]["text"]  # a real change is written


# Exercises (workbook.exercises): the task, an empty cell for the learner's answer, a one-line
# check that says whether that answer works, then the solution under a `Solution` heading that
# is stored collapsed (JupyterLab hides the cells under it until the learner opens it) and ends
# with the same check, passing.
EXERCISE = re.compile(r"^(#{2,4}) Exercise\b(?!s)")
SOLUTION = re.compile(r"^(#{3,5}) Solution\b")
HEADING = re.compile(r"^(#{1,6}) ")
COLLAPSED = "jp-MarkdownHeadingCollapsed"


def tags(cell: dict) -> list[str]:
    return cell.get("metadata", {}).get("tags", [])


def output_text(cell: dict) -> str:
    parts = []
    for output in cell.get("outputs", []):
        parts.append("".join(output.get("text", "")))
        parts.append("".join(output.get("data", {}).get("text/plain", "")))
    return "".join(parts)


def exercises(cells: list[dict]) -> list[tuple[int, int, list[dict]]]:
    """(cell number, heading level, the cells of the section) for each exercise heading."""
    found = []
    for number, cell in enumerate(cells):
        first = "".join(cell["source"]).split("\n", 1)[0]
        if cell["cell_type"] == "markdown" and (match := EXERCISE.match(first)):
            level, section = len(match.group(1)), []
            for later in cells[number + 1 :]:
                heading = HEADING.match("".join(later["source"])) if later["cell_type"] == "markdown" else None
                if heading and len(heading.group(1)) <= level:
                    break
                section.append(later)
            found.append((number + 1, level, section))
    return found


def exercise_problems(cells: list[dict]) -> list[str]:
    problems = []
    for number, level, section in exercises(cells):
        where = f"exercise at cell {number}"
        solution_at = next(
            (i for i, c in enumerate(section) if c["cell_type"] == "markdown" and SOLUTION.match("".join(c["source"]))),
            None,
        )
        if solution_at is None:
            problems.append(f"{where}: no Solution heading")
            continue
        before, heading, after = section[:solution_at], section[solution_at], section[solution_at + 1 :]
        if len(SOLUTION.match("".join(heading["source"])).group(1)) <= level:
            problems.append(f"{where}: the Solution heading must be a level below the exercise's")
        if heading.get("metadata", {}).get(COLLAPSED) is not True:
            problems.append(f"{where}: the Solution heading is not stored collapsed ({COLLAPSED})")
        answers = [c for c in before if c["cell_type"] == "code" and "answer" in tags(c)]
        checks = [c for c in before if c["cell_type"] == "code" and "exercise-check" in tags(c)]
        if not answers:
            problems.append(f"{where}: no cell tagged 'answer' for the learner")
        if any(
            line.strip() and not line.lstrip().startswith("#")
            for c in answers
            for line in "".join(c["source"]).splitlines()
        ):
            problems.append(f"{where}: the answer cell holds code (it must be left to the learner)")
        if len(checks) != 1 or len("".join(checks[0]["source"]).strip().splitlines()) != 1:
            problems.append(f"{where}: not exactly one one-line cell tagged 'exercise-check' before the solution")
        elif not "".join(checks[0]["source"]).lstrip().startswith("check(") or not output_text(checks[0]).startswith(
            "not yet: "
        ):
            problems.append(
                f"{where}: the check must be a check(...) call that says 'not yet: ...' on the empty answer"
            )
        elif [o.get("output_type") for o in checks[0].get("outputs", [])] != ["stream"]:
            problems.append(f"{where}: the check cell must show its one line and nothing else")
        under = [c for c in after if c["cell_type"] == "code"]
        solutions, last = under[:-1], under[-1:]
        if not solutions or not all("solution" in tags(c) for c in solutions):
            problems.append(f"{where}: the code under the Solution heading must be tagged 'solution'")
        if not last or "exercise-check" not in tags(last[0]) or not output_text(last[0]).startswith("works: "):
            problems.append(f"{where}: the solution does not end with its check passing ('works: ...')")
    return problems


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_every_exercise_has_an_answer_cell_a_check_and_a_hidden_solution(path):
    cells = json.loads(path.read_text())["cells"]
    assert exercises(cells), f"{path.name} has no exercise"
    problems = exercise_problems(cells)
    assert not problems, "\n".join(problems)


def test_an_exercise_whose_solution_shows_is_found():
    cells = [
        {"cell_type": "markdown", "metadata": {}, "source": "## Exercise\n\nDo it."},
        {"cell_type": "code", "metadata": {"tags": ["answer"]}, "source": "# your answer", "outputs": []},
        {
            "cell_type": "code",
            "metadata": {"tags": ["exercise-check"]},
            "source": "check(f, works='ok')",
            "outputs": [{"output_type": "stream", "name": "stdout", "text": "not yet: no file\n"}],
        },
        {"cell_type": "markdown", "metadata": {COLLAPSED: True}, "source": "### Solution"},
        {"cell_type": "code", "metadata": {"tags": ["solution"]}, "source": "do()", "outputs": []},
        {
            "cell_type": "code",
            "metadata": {"tags": ["exercise-check"]},
            "source": "check(f, works='ok')",
            "outputs": [{"output_type": "stream", "name": "stdout", "text": "works: ok\n"}],
        },
        {"cell_type": "markdown", "metadata": {}, "source": "## Recap"},
    ]
    assert exercise_problems(cells) == []
    cells[3]["metadata"] = {}
    assert exercise_problems(cells) == [
        "exercise at cell 1: the Solution heading is not stored collapsed (" + COLLAPSED + ")"
    ]
    cells[3]["metadata"] = {COLLAPSED: True}
    cells[1]["source"] = "do()"
    assert exercise_problems(cells) == [
        "exercise at cell 1: the answer cell holds code (it must be left to the learner)"
    ]


def test_check_says_whether_an_answer_works(capsys):
    from workbook.exercises import check

    def missing():
        raise AssertionError("reports/metrics.json has no knn run")

    check(missing, works="compared")
    check(lambda: {}["f1"], works="compared")
    check(lambda: None, works="compared")
    assert capsys.readouterr().out.splitlines() == [
        "not yet: reports/metrics.json has no knn run",
        "not yet: KeyError: 'f1'",
        "works: compared",
    ]


# Outputs a learner can read: a routine command's output fits on a screen. A cell whose output
# the lesson is about (a file's text shown in full, one complete `dvc repro` log) is tagged
# `long-output`.
MAX_OUTPUT_LINES = 15


def output_lines(cell: dict) -> int:
    lines = 0
    for output in cell.get("outputs", []):
        data = output.get("data", {})
        if output.get("output_type") == "stream":
            lines += "".join(output["text"]).rstrip("\n").count("\n") + 1
        elif "text/plain" in data and not ({"image/png", "text/html", "image/svg+xml"} & set(data)):
            lines += "".join(data["text/plain"]).rstrip("\n").count("\n") + 1
    return lines


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_stored_outputs_fit_on_a_screen(path):
    long = [
        f"cell {number}: {lines} lines"
        for number, cell in code_cells(path)
        if "long-output" not in tags(cell) and (lines := output_lines(cell)) > MAX_OUTPUT_LINES
    ]
    assert not long, f"outputs over {MAX_OUTPUT_LINES} lines (shorten, or tag the cell long-output):\n" + "\n".join(
        long
    )


# The team loop (lessons 4 and 6): a second clone gets the data with `git clone` + `dvc pull`
# and an experiment crosses between clones; the cells tagged `team-loop` assert it (nbval runs
# them), and here they must exist and assert.
TEAM_LOOP = {"04": ("git clone", "dvc pull"), "06": ("dvc exp push", "dvc exp pull")}


@pytest.mark.parametrize("number", sorted(TEAM_LOOP))
def test_the_team_loop_is_run_and_checked(number):
    path = next(p for p in LESSONS if p.name.startswith(number))
    cells = [c for c in json.loads(path.read_text())["cells"] if "team-loop" in tags(c)]
    source = "\n".join("".join(c["source"]) for c in cells)
    for command in TEAM_LOOP[number]:
        assert command in source, f"{path.name}: no team-loop cell runs {command}"
    assert "assert " in source, f"{path.name}: the team-loop cells assert nothing"
