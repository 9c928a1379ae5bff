"""The course's pages (`make book`, book/build.py), built once for the module from this
checkout, read as a learner meets them: every lesson and step branch has its page, as the
course's tags say (no checks, solutions in toggles); every link and picture is inside the site,
nothing loads from elsewhere, and Chromium offline draws a lesson (test-artifacts/book-lesson.png);
the Pages workflow builds the site on every push and deploys it from main.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from urllib.parse import unquote, urlsplit

import nbformat
import pytest
import yaml
from bs4 import BeautifulSoup
from markdown_it import MarkdownIt

import build_steps
from conftest import ARTIFACTS, COMMITTED_F1, REPO_ROOT, chromium, run

LESSONS = sorted((REPO_ROOT / "lessons").glob("[0-9][0-9]-*.ipynb"))
REMOVED = {"setup", "check"}
OUTPUT_ONLY = {"figure", "exercise-check"}
IMAGE_TYPES = ("image/png", "image/jpeg", "image/svg+xml", "image/gif")
STUDY_TIME = re.compile(r"^\*\*Study time:\*\* about (\d+) minutes", re.MULTILINE)
EXTERNAL = re.compile(r"^(https?:)?//", re.IGNORECASE)
CSS_FETCH = re.compile(r"""(@import\s+(url\()?\s*['"]?|url\(\s*['"]?)(https?:)?//""", re.IGNORECASE)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site, built from this checkout (lessons as they are, step READMEs from HEAD)."""
    out = tmp_path_factory.mktemp("book")
    result = run([sys.executable, "book/build.py", "--out", str(out)], REPO_ROOT, check=False, timeout=300)
    assert result.returncode == 0, f"book/build.py failed\n{result.stdout}\n{result.stderr}"
    assert "Traceback" not in result.stderr, result.stderr
    assert sorted(p.name for p in out.iterdir()) == ["doctrees", "html", "jupyter_execute", "source"]
    return out / "html"


def soup_of(path: Path, article: bool = False) -> BeautifulSoup:
    """A page, or only its own content (not the navigation around it)."""
    assert path.is_file(), f"no page {path}"
    soup = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
    return (soup.find("article") or soup.body) if article else soup


def squash(text: str) -> str:
    return " ".join(text.split())


def tags(cell) -> set[str]:
    return set(cell.get("metadata", {}).get("tags", []))


def markdown_headings(source: str) -> list[str]:
    """The headings of a markdown text, as text (formatting dropped), as markdown-it parses them."""
    tokens = MarkdownIt("commonmark").parse(source)
    inline = [tokens[i + 1].children for i, token in enumerate(tokens) if token.type == "heading_open"]
    return [squash("".join(t.content for t in parts if t.type in ("text", "code_inline"))) for parts in inline]


def page_headings(content) -> list[str]:
    for link in content.find_all("a", class_="headerlink"):
        link.extract()
    return [squash(h.get_text()) for h in content.find_all(re.compile(r"^h[1-6]$"))]


def visible_outputs(cell) -> list[dict]:
    return [] if cell["cell_type"] != "code" or tags(cell) & REMOVED else cell.get("outputs", [])


def pictures_of(nb: nbformat.NotebookNode) -> int:
    """The pictures among the outputs a lesson's page shows."""
    return sum(1 for c in nb.cells for o in visible_outputs(c) if any(m in o.get("data", {}) for m in IMAGE_TYPES))


def output_text(output: dict) -> str:
    """The text an output shows as it is (a stream, or a result that has only text/plain)."""
    if output["output_type"] == "stream":
        return output["text"]
    data = output.get("data", {})
    return data["text/plain"] if set(data) == {"text/plain"} else ""


def quotes_the_score(nb: nbformat.NotebookNode) -> bool:
    """reports/metrics.json's f1 is in the lesson's text or in a visible output."""
    shown = [c.source if c.cell_type == "markdown" else "".join(map(output_text, visible_outputs(c))) for c in nb.cells]
    return any(str(COMMITTED_F1) in text for text in shown)


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda path: path.stem)
def test_a_lesson_page_shows_its_notebook_as_its_tags_say(site: Path, lesson: Path) -> None:
    """Its headings; the committed score where it quotes it (lesson 1 does: tests/test_steps.py's
    test_what_regen_check_looks_for_is_found_on_head); setup and check cells gone, figure
    and exercise-check cells as their output, not their code; each picture an <img> of a file of
    the site (DVC's plots too: their PNG); links to other lessons as links; solutions in toggles."""
    nb = nbformat.read(lesson, as_version=4)
    content = soup_of(site / "lessons" / f"{lesson.stem}.html", article=True)
    wanted = [h for c in nb.cells if c.cell_type == "markdown" for h in markdown_headings(c.source)]
    shown = page_headings(content)
    missing = [heading for heading in wanted if heading not in shown]
    assert wanted and not missing, f"headings not on the page: {missing}\n(page: {shown})"
    text = content.get_text()
    assert not quotes_the_score(nb) or str(COMMITTED_F1) in text, f"the page lacks the score {COMMITTED_F1}"
    for number, cell in enumerate(nb.cells, 1):
        kinds = sorted(tags(cell) & (REMOVED | OUTPUT_ONLY))
        if cell.cell_type != "code" or not kinds or not cell.source.strip():
            continue
        assert cell.source.strip() not in text, f"cell {number} {kinds}: its code is on the page"
        for output in [] if REMOVED & set(kinds) else cell.outputs:
            line = next((line.strip() for line in output_text(output).splitlines() if line.strip()), None)
            assert not line or line in text, f"cell {number} {kinds}: its output {line!r} is not shown"
    pictures = content.select("div.cell_output img")
    assert len(pictures) == pictures_of(nb), f"{pictures_of(nb)} pictures, {len(pictures)} on the page"
    for image in content.find_all("img"):
        assert (site / "lessons" / unquote(image["src"])).resolve().is_file(), f"no picture {image['src']}"
    markdown = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    hrefs = {urlsplit(a["href"]).path for a in content.find_all("a", href=True)}
    linked = set(re.findall(r"\]\((\d\d-[\w-]+)\.ipynb", markdown))
    unlinked = [f"{stem}.ipynb" for stem in linked if f"{stem}.html" not in hrefs]
    assert not unlinked, f"links to {unlinked} are not links on the page"
    toggles = [d for d in content.find_all("details") if d.summary and "Show the solution" in d.summary.get_text()]
    code = [c.source.strip() for c in nb.cells if c.cell_type == "code" and "solution" in tags(c)]
    assert len(toggles) == len(code), f"{len(code)} solution cells, {len(toggles)} toggles"
    inside = "\n".join(toggle.extract().get_text() for toggle in toggles)
    for number, source in enumerate(code, 1):
        assert source in inside, f"solution cell {number} is not in a toggle"
        assert source not in content.get_text(), f"solution cell {number} is shown outside its toggle"


def test_the_landing_page_lists_the_lessons_with_their_study_times(site: Path) -> None:
    content = soup_of(site / "index.html", True)
    links = {a["href"] for a in content.find_all("a", href=True)}
    for path in LESSONS:
        minutes = STUDY_TIME.search(nbformat.read(path, as_version=4).cells[0].source).group(1)
        href = f"lessons/{path.stem}.html"
        assert href in links, f"the landing page does not link {path.name}"
        row = next(tr for tr in content.find_all("tr") if tr.find("a", href=href))
        assert f"about {minutes} minutes" in squash(row.get_text()), f"{path.name}: not {minutes} minutes"
    text = squash(content.get_text())
    assert "make setup" in text and "make lab" in text, "the landing page does not say how to start"


def test_each_step_has_its_readme_as_the_step_builder_renders_it_linked_from_the_landing_page(site: Path) -> None:
    """(That the rendered READMEs quote the committed score: tests/test_steps.py.)"""
    source = build_steps.Source(build_steps.Git(REPO_ROOT), "HEAD")
    landing = {a["href"] for a in soup_of(site / "index.html", True).find_all("a", href=True)}
    for step in build_steps.plan(source):
        assert f"steps/{step.name}.html" in landing, f"the landing page does not link the step {step.name}"
        readme = build_steps._content(source, (step.exercise or step.solution)["README.md"]).decode()
        content = soup_of(site / "steps" / f"{step.name}.html", True)
        missing = [h for h in markdown_headings(readme) if h not in page_headings(content)]
        assert not missing, f"{step.name}: headings of its README not on its page: {missing}"
        assert "{{" not in content.get_text(), f"{step.name}: a template field left on the page"


def test_every_page_shows_no_check_links_inside_the_site_and_loads_nothing_from_elsewhere(site: Path) -> None:
    """No assertion or workbook call on a page (the index and search pages aside: so are the
    two link checks), no link to a missing page or heading, no script, style, font or image from
    the network, in a page or a stylesheet."""
    found, anchors = [], {}
    for path in sorted(site.rglob("*.html")):
        page, soup = path.relative_to(site), soup_of(path)
        for element in soup.find_all(["script", "link", "img", "iframe", "source", "video", "audio", "embed"]):
            for attribute in ("src", "href", "srcset", "data"):
                if EXTERNAL.match(element.get(attribute, "").strip()):
                    found.append(f"{page}: loads <{element.name} {attribute}={element[attribute]}> from elsewhere")
        if any(CSS_FETCH.search(style.get_text()) for style in soup.find_all("style")):
            found.append(f"{page}: a <style> fetches from elsewhere")
        if path.name in ("genindex.html", "search.html"):
            continue
        text = soup.get_text()
        for match in re.finditer(r"assert |workbook\.", text):
            around = squash(text[max(0, match.start() - 60) : match.end() + 30])
            found.append(f"{page}: a check on the page: ...{around}")
        for link in soup.find_all("a", href=True):
            parts = urlsplit(link["href"])
            if parts.scheme or parts.netloc or link["href"].startswith("mailto:"):
                continue
            target = (path.parent / unquote(parts.path)).resolve() if parts.path else path
            if not target.is_file():
                found.append(f"{page}: a link to nothing: {link['href']}")
            elif parts.fragment and target.suffix == ".html":
                if target not in anchors:
                    anchors[target] = {tag["id"] for tag in soup_of(target).find_all(id=True)}
                if unquote(parts.fragment) not in anchors[target]:
                    found.append(f"{page}: a link to no such heading: {link['href']}")
    for path in site.rglob("*.css"):
        if CSS_FETCH.search(path.read_text(encoding="utf-8", errors="replace")):
            found.append(f"{path.relative_to(site)}: @import or url() from elsewhere")
    assert not found, "\n".join(found)


def test_chromium_offline_draws_a_lesson_with_its_figures(site: Path) -> None:
    lesson = max(LESSONS, key=lambda path: pictures_of(nbformat.read(path, as_version=4)))
    screenshot = ARTIFACTS / "book-lesson.png"
    elsewhere, errors = [], []
    with chromium() as browser:
        context = browser.new_context(offline=True, viewport={"width": 1280, "height": 900})
        context.route(re.compile(r"^(?!file:).*"), lambda route: (elsewhere.append(route.request.url), route.abort()))
        tab = context.new_page()
        tab.on("pageerror", lambda error: errors.append(str(error)))
        tab.on("console", lambda message: message.type == "error" and errors.append(message.text))
        tab.goto((site / "lessons" / f"{lesson.stem}.html").as_uri(), wait_until="load")
        drawn = tab.eval_on_selector_all("article img", "images => images.map(i => i.complete && i.naturalWidth > 0)")
        tab.locator("article img").first.scroll_into_view_if_needed()
        tab.screenshot(path=str(screenshot))  # the lesson's first figure, as a learner sees it
        toggle = tab.locator("details:has(summary:has-text('Show the solution'))").first  # each lesson has one
        toggle.locator("summary").click()
        opened = toggle.evaluate("d => d.open")
    assert drawn and all(drawn), f"{lesson.name}: pictures drawn: {drawn} (screenshot: {screenshot})"
    assert opened, f"{lesson.name}: the solution's toggle does not open (screenshot: {screenshot})"
    assert not elsewhere, f"the page asked the network for: {elsewhere}"
    assert not errors, f"{lesson.name}: errors in the page's scripts: {errors}"


def test_pages_workflow_builds_on_every_push_and_publishes_main_with_least_privilege() -> None:
    workflows = REPO_ROOT / ".github" / "workflows"
    pages = yaml.safe_load((workflows / "pages.yaml").read_text())
    assert "push" in pages[True] and pages["permissions"] == {"contents": "read"}  # YAML 1.1: `on` is True
    build, deploy = pages["jobs"]["build"], pages["jobs"]["deploy"]
    assert "permissions" not in build
    assert [s.get("run") for s in build["steps"] if "run" in s] == ["make book"]
    (upload,) = [s for s in build["steps"] if str(s.get("uses", "")).startswith("actions/upload-pages-artifact@")]
    assert upload["with"]["path"] == "_build/book/html"
    assert deploy["needs"] == "build" and deploy["if"] == "github.ref == 'refs/heads/main'"
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert [str(s.get("uses", "")).split("@")[0] for s in deploy["steps"]] == ["actions/deploy-pages"]
    ci = yaml.safe_load((workflows / "ci.yaml").read_text())
    runs = [s.get("run") for s in ci["jobs"]["test"]["steps"]]
    assert "make book" in runs and runs.index("make book") == runs.index("make test") + 1, runs
