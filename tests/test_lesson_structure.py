"""The lessons as documents: kernel, chapter structure, exercises, what a learner sees, the
course branches they name, and text that stays true to params.yaml and to the runs."""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import notebook_hygiene as hygiene
import pytest
import yaml
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from conftest import QUOTED, REPO_ROOT, STEPS, param_leaves
from workbook import lesson_measures as measures
from workbook import run_lessons as runner
from workbook.exercises import check
from workbook.render import literal_text

LESSONS = sorted((REPO_ROOT / "lessons").glob("[0-9][0-9]-*.ipynb"))
NOTEBOOKS = {path.name[:2]: nbformat.read(path, as_version=4) for path in LESSONS}
CELLS = {number: notebook.cells for number, notebook in NOTEBOOKS.items()}
STUDY_TIME = re.compile(r"^\*\*Study time:\*\* about (\d+) minutes of reading and doing", re.MULTILINE)
TALK_OF_TESTS = re.compile(r"\bnbval\b|\bpytest\b|\btests/|\bthe tests\b|\bour tests\b|sanitiz", re.IGNORECASE)
BRANCHES = {"03": (1, 2, 3, 4, 5), "04": (6,), "05": (7, 8), "06": (8,), "07": (8,)}  # the steps a lesson names
# The team loop (lessons 4 and 6): a second clone gets the data with `git clone` + `dvc pull`
# and an experiment crosses between clones; cells tagged `team-loop` run it and assert it.
TEAM_LOOP = {"04": ("git clone", "dvc pull"), "06": ("dvc exp push", "dvc exp pull")}
MAX_OUTPUT_LINES = 15  # more only in a cell tagged long-output (a file shown in full, a whole log)


@pytest.fixture(params=sorted(CELLS), ids=[path.stem for path in LESSONS])
def cells(request) -> list:
    return CELLS[request.param]


def tags(cell) -> list[str]:
    return cell.get("metadata", {}).get("tags", [])


def text(cells: list) -> str:
    return "\n".join(cell.source for cell in cells if cell.cell_type == "markdown")


def numbered(cells: list, kind: str = "code"):
    """(number among all cells, from 1, as failure messages name it; cell) for each `kind` cell."""
    return [(number, cell) for number, cell in enumerate(cells, 1) if cell.cell_type == kind]


def shown(cell) -> str:
    """What a cell's outputs show as text: streams and the text/ types of their data."""
    return "\n".join(
        output.get("text", "") + "".join(v for mime, v in output.get("data", {}).items() if mime.startswith("text/"))
        for output in cell.get("outputs", [])
    )


def test_seven_lessons_in_the_project_kernel_typing_dvc_as_in_a_terminal():
    assert sorted(CELLS) == ["01", "02", "03", "04", "05", "06", "07"]
    assert {notebook.metadata.kernelspec.name for notebook in NOTEBOOKS.values()} == {runner.KERNEL}
    counts = [measures.visible_counts(cells) for cells in CELLS.values()]
    typed, wrapped = sum(c["dvc_typed"] for c in counts), sum(c["dvc_wrapped"] for c in counts)
    assert typed >= 9 * wrapped and typed > 0, f"{typed} DVC commands typed, {wrapped} inside Python: 9 in 10 typed"
    templated = {number for number, cells in CELLS.items() for cell in cells if runner.template_of(cell, "markdown")}
    assert {"01", "03"} <= templated, "lessons 1 and 3 quote figures of their runs through templates"


def test_lesson_is_a_chapter_at_a_readers_pace(cells):
    """Up front how long a lesson takes to study (not to run) and what it teaches, then its one
    set-up cell, at the end what to keep; the text speaks of the project, never of the course's tests."""
    first, last = cells[0], cells[-1]
    assert first.cell_type == "markdown" and first.source.startswith("# Lesson ")
    assert (found := STUDY_TIME.search(first.source)), "no study time in the title cell"
    assert "What you will learn" in text(cells[:2])
    assert last.cell_type == "markdown" and last.source.startswith("## Recap\n"), "no recap at the end"
    assert len(re.findall(r"^- ", last.source, re.MULTILINE)) >= 3, "the recap has fewer than 3 points"
    stated, measured = int(found.group(1)), measures.study_minutes(cells)
    assert abs(stated - measured) <= 10, f"says {stated} minutes, measures {measured:.0f}"
    assert 10 <= stated <= 90 and measured <= 92.5, f"{measured:.0f} minutes: split or trim it"
    assert not TALK_OF_TESTS.findall(text(cells)), TALK_OF_TESTS.findall(text(cells))
    code = numbered(cells)
    setups = [number for number, cell in code if "setup" in tags(cell)]
    assert setups in ([], [code[0][0]]), f"one set-up cell, the first code cell: {setups}"


@pytest.mark.parametrize("number", sorted(BRANCHES.keys() | TEAM_LOOP.keys()))
def test_lessons_name_their_step_branches_and_run_and_check_the_team_loop(number):
    missing = [STEPS[n - 1] for n in BRANCHES.get(number, ()) if f"`{STEPS[n - 1]}`" not in text(CELLS[number])]
    assert not missing, f"lesson {number} does not name {missing}"
    team_loop = "\n".join(cell.source for cell in CELLS[number] if "team-loop" in tags(cell))
    assert all(command in team_loop for command in TEAM_LOOP.get(number, ())), f"team-loop cells run {TEAM_LOOP}"
    assert number not in TEAM_LOOP or "assert " in team_loop, "the team-loop cells assert nothing"


# An edit that matches a parameter's old text changes nothing once the default moves: lessons
# match the key (`sed '/logreg:/,/solver:/ s/C: .*/C: [0.1]/'`) or use `dvc exp run -S`.
PYTHON_TEXT_EDIT = re.compile(r"\.replace\(|\bre\.sub\(")
SED_PATTERN = re.compile(r"\bs([/|#])(.*?)\1")


def edits_matching_a_value(line: str) -> list[str]:
    """The edits on `line` that find their target by its old text rather than its key."""
    if PYTHON_TEXT_EDIT.search(line):
        return [line.strip()]
    if not re.search(r"\b(sed|perl)\b", line):
        return []
    return [pattern for _, pattern in SED_PATTERN.findall(line) if not pattern.rstrip("$").endswith(".*")]


@pytest.mark.parametrize(
    ("line", "by_value"),
    [
        ("sed -i 's/C: \\[0.001\\]/C: [0.1]/' params.yaml", True),
        ("sed 's/test_size: 0.2 /test_size: 0.3 /' params.yaml > params-test-0.3.yaml", True),
        ('broken = Path("params.yaml").read_text().replace("test_size: 0.2", "test_size: 1.5")', True),
        ("sed '/logreg:/,/solver:/ s/C: .*/C: [0.1]/' params.yaml > params.new && mv params.new params.yaml", False),
        ("sed 's/test_size: .*/test_size: 0.3/' params.yaml > params-test-0.3.yaml", False),
        ("md5=$(sed -n 's/^- md5: //p' data/raw/iris.csv.dvc)", True),  # by value, but not of params
    ],
)
def test_an_edit_by_old_value_is_told_from_an_edit_by_key(line, by_value):
    assert bool(edits_matching_a_value(line)) == by_value


# The rules every cell of a kind keeps: a function (cell -> its problems), its docstring the rule.
# Visible code cells hold only what a learner would type in their own project; the proofs sit
# in collapsed cells tagged for what they are, which a rendered page drops (remove-input).
COMMAND_IN_PYTHON = re.compile(r"""["'](git|dvc|papermill|cml)\s""")
DEFAULTS = [
    (dotted, value)
    for dotted, value in param_leaves(yaml.safe_load((REPO_ROOT / "params.yaml").read_text()))
    if not isinstance(value, dict | list)
]


def changes_parameters_by_key(cell) -> list[str]:
    """A parameter is changed by its key, never by matching its old text"""
    return [
        line.strip()
        for line in cell.source.splitlines()
        if re.search("yaml|params", line) and edits_matching_a_value(line)
    ]


def holds_only_what_a_learner_types(cell) -> list[str]:
    """A visible code cell holds no assertion, no course machinery and no command inside a Python string"""
    counts = measures.visible_counts([cell])
    problems = [f"{counts[kind]} lines of {kind}" for kind in ("asserts", "machinery") if counts[kind]]
    if measures.visible_code([cell]) and not measures.is_shell(cell):
        problems += [
            f"a command inside a Python string: {line.strip()}"
            for line in measures.code_lines(cell)
            if not line.lstrip().startswith("!") and COMMAND_IN_PYTHON.search(line)
        ]
    return problems


def is_tagged_for_what_it_is(cell) -> list[str]:
    """A code cell is collapsed if and only if tagged for what it is, and a check prints nothing when it passes"""
    problems, kinds = [], [tag for tag in tags(cell) if tag in measures.HIDDEN_TAGS]
    if measures.hidden(cell) != bool(kinds):
        problems.append(f"collapsed if and only if tagged one of {measures.HIDDEN_TAGS}")
    elif kinds and (len(kinds) != 1 or "remove-input" not in tags(cell)):
        problems.append(f"one of {measures.HIDDEN_TAGS} and remove-input, not {tags(cell)}")
    if "check" in kinds and cell.get("outputs"):
        problems.append("a check prints nothing when it passes")
    return problems


def fits_on_a_screen(cell) -> list[str]:
    """A code cell's stored outputs fit on a screen (else shorten them, or tag the cell long-output)"""

    def lines(output) -> int:
        data = output.get("data", {})
        if output.get("output_type") == "stream":
            return output["text"].rstrip("\n").count("\n") + 1
        rich = {"image/png", "text/html", "image/svg+xml"} & set(data)
        return data["text/plain"].rstrip("\n").count("\n") + 1 if "text/plain" in data and not rich else 0

    count = sum(map(lines, cell.get("outputs", [])))
    return (
        [] if "long-output" in tags(cell) or count <= MAX_OUTPUT_LINES else [f"{count} lines, over {MAX_OUTPUT_LINES}"]
    )


def shows_params_yaml_as_it_is(cell) -> list[str]:
    """A code cell that shows a value of params.yaml is rendered from it (its params template,
    `make lessons`); a default written next to its key (`cv: 3`, `"test_size": 0.2`,
    `random_state=42`) in any other cell would go stale when the default moves"""
    if (template := runner.template_of(cell, "code")) is not None:
        return [] if runner.render_params_template(template) == cell.source else ["not rendered from params.yaml"]
    if measures.is_shell(cell):
        return []
    return [
        f"a copy of params.yaml's default {dotted} = {value}"
        for dotted, value in DEFAULTS
        if measures.written_next_to_its_key(dotted, value).search(cell.source)
    ]


def rendering_pattern(template: str) -> re.Pattern:
    pieces = literal_text(template)
    return re.compile("(.+?)".join(re.escape(piece) for piece in pieces), re.DOTALL)


def is_its_templates_rendering(cell) -> list[str]:
    """Text rendered from a template (`make lessons`) is its rendering: an edit of the text alone
    (the next run would undo it) or of the template alone (not yet run) fails"""
    template = runner.template_of(cell, "markdown")
    return [] if template is None or rendering_pattern(template).fullmatch(cell.source) else ["edit the template"]


CODE_RULES = (changes_parameters_by_key, holds_only_what_a_learner_types, is_tagged_for_what_it_is, fits_on_a_screen)
CELL_RULES = dict.fromkeys((*CODE_RULES, shows_params_yaml_as_it_is), "code") | {is_its_templates_rendering: "markdown"}


@pytest.mark.parametrize("rule", CELL_RULES, ids=lambda rule: rule.__name__)
def test_every_cell_keeps_the_rule(cells, rule):
    broken = [
        f"cell {number}: {problem}" for number, cell in numbered(cells, CELL_RULES[rule]) for problem in rule(cell)
    ]
    assert not broken, f"{rule.__doc__}:\n" + "\n".join(broken)


# A figure quoted in a lesson's text is in its stored outputs (as printed or rounded to the
# decimals quoted) or in the committed reports/metrics.json.
PRINTED = re.compile(r"(?<![\w.])\d+\.\d+(?:[eE]-?\d+)?")


def stale_figures(cells: list) -> list[str]:
    known = {float(n) for n in PRINTED.findall("\n".join(map(shown, cells)))}
    known |= set(json.loads((REPO_ROOT / "reports" / "metrics.json").read_text()).values())
    return [
        f"cell {number}: {figure}"
        for number, cell in numbered(cells, "markdown")
        for figure in QUOTED.findall(cell.source)
        if not any(round(value, len(figure.split(".")[1])) == float(figure) for value in known)
    ]


def test_figures_in_the_text_come_from_the_lessons_outputs(cells):
    assert not (stale := stale_figures(cells)), "figures in the text that no output shows:\n" + "\n".join(stale)
    assert stale_figures([*cells, new_markdown_cell("F1 went up to 0.987654.")]) == [f"cell {len(cells) + 1}: 0.987654"]


def write_lesson(path: Path, *cells) -> Path:
    kernelspec = {"name": runner.KERNEL, "display_name": runner.KERNEL, "language": "python"}
    nbformat.write(new_notebook(metadata={"kernelspec": kernelspec}, cells=list(cells)), path)
    return path


def test_a_template_is_rendered_in_the_kernel_after_the_last_cell(tmp_path):
    template = 'F1 {{ "%.3f" | format(f1) }} with `C={{ grid["C"][0] }}`, JSON `{"f1": {{ f1 }}}`'
    templated = new_markdown_cell("stale text", metadata={"workbook": {"template": template}})
    first, last = new_code_cell('f1, grid = 0.5, {"C": [0.01]}'), new_code_cell("f1 = 0.75")  # the end counts
    path = write_lesson(tmp_path / "lesson.ipynb", first, templated, last)
    runner.run_lesson(path)
    rendered = nbformat.read(path, as_version=4).cells[1].source
    assert rendered == 'F1 0.750 with `C=0.01`, JSON `{"f1": 0.75}`'
    assert rendering_pattern(template).fullmatch(rendered)
    assert not rendering_pattern(template).fullmatch("F1 0.750 with C=0.01")
    templated.metadata["workbook"]["template"] = "{{ missing_name }}"
    write_lesson(path, first, templated, last)
    failed = r"^lesson\.ipynb, cell 2: UndefinedError: 'missing_name' is undefined$"
    with pytest.raises(runner.TemplateError, match=failed):
        runner.run_lesson(path)


def test_lessons_run_side_by_side_and_a_failed_one_is_left_as_it_was(tmp_path, capsys):
    good = write_lesson(tmp_path / "good.ipynb", new_code_cell("print(6 * 7)"))
    bad = write_lesson(tmp_path / "bad.ipynb", new_code_cell("raise ValueError('on purpose')"))
    before = bad.read_bytes()
    assert runner.main(["-j", "2", str(good), str(bad)]) == 1
    assert bad.read_bytes() == before
    assert nbformat.read(good, as_version=4).cells[0].outputs[0]["text"] == "42\n"
    assert "bad.ipynb" in capsys.readouterr().err.splitlines()[-1]


def test_a_rerun_keeps_outputs_that_differ_only_in_volatile_parts():
    def notebook(task: str, time: str, score: str) -> nbformat.NotebookNode:
        text = f"{task}  grid-1  {time}   Queued\nF1 {score}\n"
        return new_notebook(cells=[new_code_cell(id="queue", outputs=[new_output("stream", name="stdout", text=text)])])

    stored = notebook("2cc779d", "07:15 AM", "0.93")
    rerun, changed = notebook("626fac8", "07:49 AM", "0.93"), notebook("626fac8", "07:49 AM", "0.97")
    patterns = hygiene.volatile_patterns(runner.SANITIZE)  # what the lesson checks treat as volatile
    assert hygiene.keep_unchanged_outputs(stored, rerun, patterns) == 1
    assert rerun.cells[0].outputs == stored.cells[0].outputs  # the stored task id and time stay
    assert hygiene.keep_unchanged_outputs(stored, changed, patterns) == 0
    assert "0.97" in changed.cells[0].outputs[0]["text"]  # a real change is written


# An exercise: the task, an empty answer cell, a one-line check of the answer, then the solution
# under a `Solution` heading stored collapsed, ending with the check passing. Its section is
# the cells up to the next heading of its level or above.
SOLUTION = re.compile(r"^(#{3,5}) Solution\b")
HEADING = re.compile(r"^(#{1,6}) ")
COLLAPSED = "jp-MarkdownHeadingCollapsed"


def exercise_problems(cells: list) -> list[str]:
    problems, found = [], False
    for number, cell in numbered(cells, "markdown"):
        if not (match := measures.EXERCISE.match(cell.source)):
            continue
        found, level, section, where = True, len(match.group(1)), [], f"exercise at cell {number}"
        for later in cells[number:]:
            heading = HEADING.match(later.source) if later.cell_type == "markdown" else None
            if heading and len(heading.group(1)) <= level:
                break
            section.append(later)
        heads = [i for i, c in enumerate(section) if c.cell_type == "markdown" and SOLUTION.match(c.source)]
        if not heads:
            problems.append(f"{where}: no Solution heading")
            continue
        before, heading, after = section[: heads[0]], section[heads[0]], section[heads[0] + 1 :]
        if len(SOLUTION.match(heading.source).group(1)) <= level:
            problems.append(f"{where}: the Solution heading must be a level below the exercise's")
        if heading.metadata.get(COLLAPSED) is not True:
            problems.append(f"{where}: the Solution heading is not stored collapsed ({COLLAPSED})")
        answers = [c for c in before if c.cell_type == "code" and "answer" in tags(c)]
        checks = [c for c in before if c.cell_type == "code" and "exercise-check" in tags(c)]
        if not answers:
            problems.append(f"{where}: no cell tagged 'answer' for the learner")
        if any(line.strip() and not line.lstrip().startswith("#") for c in answers for line in c.source.splitlines()):
            problems.append(f"{where}: the answer cell holds code (it must be left to the learner)")
        if len(checks) != 1 or len(checks[0].source.strip().splitlines()) != 1:
            problems.append(f"{where}: not exactly one one-line cell tagged 'exercise-check' before the solution")
        elif not checks[0].source.lstrip().startswith("check(") or not shown(checks[0]).startswith("not yet: "):
            problems.append(f"{where}: the check must be a check(...) saying 'not yet: ...' on the empty answer")
        elif [o.output_type for o in checks[0].outputs] != ["stream"]:
            problems.append(f"{where}: the check cell must show its one line and nothing else")
        *solutions, last = [c for c in after if c.cell_type == "code"] or [None]
        if not solutions or not all("solution" in tags(c) for c in solutions):
            problems.append(f"{where}: the code under the Solution heading must be tagged 'solution'")
        if last is None or "exercise-check" not in tags(last) or not shown(last).startswith("works: "):
            problems.append(f"{where}: the solution does not end with its check passing ('works: ...')")
    return problems if found else ["no exercise"]


def test_every_exercise_has_an_answer_cell_a_check_and_a_hidden_solution(cells):
    assert not (problems := exercise_problems(cells)), "\n".join(problems)


def test_an_exercise_whose_solution_shows_is_found():
    def check_cell(says: str):
        return new_code_cell("check(f, works='ok')", metadata={"tags": ["exercise-check"]},
                             outputs=[new_output("stream", name="stdout", text=says)])  # fmt: skip

    cells = [
        new_markdown_cell("## Exercise\n\nDo it."),
        new_code_cell("# your answer", metadata={"tags": ["answer"]}),
        check_cell("not yet: no file\n"),
        new_markdown_cell("### Solution", metadata={COLLAPSED: True}),
        new_code_cell("do()", metadata={"tags": ["solution"]}),
        check_cell("works: ok\n"),
        new_markdown_cell("## Recap"),
    ]
    assert exercise_problems(cells) == []
    assert exercise_problems(cells[1:]) == ["no exercise"]
    cells[3].metadata = {}
    where = "exercise at cell 1: "
    assert exercise_problems(cells) == [f"{where}the Solution heading is not stored collapsed ({COLLAPSED})"]
    cells[3].metadata = {COLLAPSED: True}
    cells[1].source = "do()"
    assert exercise_problems(cells) == [f"{where}the answer cell holds code (it must be left to the learner)"]


def test_check_says_not_yet_on_any_error_of_an_unsolved_answer(capsys):
    """`not yet: <the AssertionError>` and `works: ...` are the lessons' own outputs (the exercise test)."""
    check(lambda: {}["f1"], works="compared")
    assert capsys.readouterr().out == "not yet: KeyError: 'f1'\n"
