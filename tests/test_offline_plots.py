"""DVC's plots offline: the page template of `dvc plots show/diff` (workbook.offline_plots) and
the plots in a notebook (workbook.dvc_plots, from `dvc plots --json`, without running DVC).

`make setup` writes a template with the libraries inline into `.venv` and names it in
`.dvc/config.local`. In a reproduced copy of the project with the committed `.dvc/config`, DVC's
own page is written (no set-up yet); with the template named as set-up names it, the pages DVC
writes draw every plot `--json` lists in Chromium with the network cut off: every request that is
not a file aborted and recorded, no host name resolving. DVC's own page there draws no Vega plot
and tries the CDN: the cut is real.
"""

from __future__ import annotations

import base64
import contextlib
import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from conftest import REPO_ROOT, Repo, chromium, copy_of
from workbook import dvc_plots, offline_plots

MISSING_TEMPLATE_MESSAGE = "HTML template has to contain '{plot_divs}'"

# vega-embed draws each Vega-Lite plot as a canvas (or SVG) of class "marks"; a picture counts once loaded.
COUNT_DRAWN = """() => ({
    vega: document.querySelectorAll('.vega-embed canvas.marks, .vega-embed svg.marks').length,
    images: [...document.images].filter(image => image.complete && image.naturalWidth > 0).length,
    embed: typeof window.vegaEmbed,
})"""


def scripts_of(page: str) -> list[tuple[dict[str, str], str]]:
    """The <script> elements of a page: their attributes and their inline text."""
    return [(script.attrs, script.get_text()) for script in BeautifulSoup(page, "html.parser").find_all("script")]


@pytest.fixture(scope="module")
def template() -> Path:
    """The template `make setup` wrote, found through the config DVC reads."""
    path = offline_plots.configured_template(REPO_ROOT)
    assert path is not None, f"{REPO_ROOT / '.dvc/config.local'} sets no plots.html_template: run `make setup`"
    assert path.is_file(), f"{path} (plots.html_template in .dvc/config.local) is missing: run `make setup`"
    return path


def test_the_template_is_where_the_config_says_up_to_date_with_the_libraries_inline(template):
    """(The committed .dvc/config names no template: DVC writes its own page with it, below.)"""
    assert template.samefile(offline_plots.DEFAULT_OUTPUT)  # where `make setup` writes it: .venv/share/workbook/
    page = template.read_text(encoding="utf-8")
    assert page == offline_plots.template_html()  # same bytes every time
    # That the libraries work inline, with nothing fetched: the pages DVC writes from it, below.
    assert [attrs for attrs, _ in scripts_of(page)] == [{"type": "text/javascript"}], "one inline script, no src"
    assert "{plot_divs}" in page and "{refresh_tag}" in page
    assert "{scripts}" not in page  # DVC would put its CDN <script src> tags there


def test_the_command_line_writes_the_template_and_names_it_in_the_local_config(tmp_path, capsys):
    output, project = tmp_path / "share" / "template.html", tmp_path / "project"
    (project / ".dvc").mkdir(parents=True)
    (project / ".dvc" / "config.local").write_text("['remote \"storage\"']\n    url = /elsewhere\n")
    assert offline_plots.main(["--output", str(output), "--project", str(project)]) == 0
    assert output.read_text(encoding="utf-8") == offline_plots.template_html()
    printed = capsys.readouterr().out
    assert f"wrote {output} " in printed and f"named it in {project / '.dvc' / 'config.local'}" in printed
    assert offline_plots.configured_template(project) == output
    assert "url = /elsewhere" in (project / ".dvc" / "config.local").read_text()  # other settings kept
    # A step branch before DVC (no .dvc/ yet, which its .gitignore ignores): made for it.
    offline_plots.use_template(tmp_path / "step-1", output)
    assert offline_plots.configured_template(tmp_path / "step-1") == output


def test_a_relative_template_path_is_resolved_from_the_dvc_folder_as_dvc_does(tmp_path):
    (tmp_path / ".dvc").mkdir()
    assert offline_plots.configured_template(tmp_path) is None
    (tmp_path / ".dvc" / "config").write_text("[plots]\n    html_template = ../env/t.html\n")
    assert offline_plots.configured_template(tmp_path) == tmp_path / "env" / "t.html"


@pytest.fixture(scope="module")
def project(tmp_path_factory, reproduced_project, template) -> Repo:
    """A reproduced copy of the project with the committed `.dvc/config`: DVC's own page in
    plots-default/, as before set-up; then the template named as `make setup` names it."""
    repo = copy_of(reproduced_project, tmp_path_factory.mktemp("offline-plots"))
    shutil.copyfile(REPO_ROOT / ".dvc" / "config", repo.root / ".dvc" / "config")
    repo.dvc("plots", "show", "-o", "plots-default")
    offline_plots.use_template(repo.root, template)
    return repo


@pytest.fixture(scope="module")
def browser() -> Iterator:
    with chromium() as browser:
        yield browser


@contextlib.contextmanager
def opened_offline(browser, page_file: Path) -> Iterator:
    """`page_file` open, every request that is not a file aborted: (page, those requests, script errors)."""
    context, refused, errors = browser.new_context(), [], []
    context.route(re.compile(r"^(?!file:)"), lambda r: (refused.append(r.request.url), r.abort("internetdisconnected")))
    page = context.new_page()
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(page_file.as_uri(), wait_until="load")
    try:
        yield page, refused, errors
    finally:
        context.close()


def expected_plots(repo: Repo, *command: str) -> dict[str, int]:
    """How many Vega-Lite plots and pictures DVC lists for `dvc plots <command> --json`."""
    data = json.loads(repo.dvc("plots", *command, "--json").stdout)
    assert not data.get("errors"), data
    kinds = [entry["type"] for plot in data["data"].values() for entry in plot]
    assert set(kinds) <= {"vega", "image"}, kinds
    return {"vega": kinds.count("vega"), "images": kinds.count("image")}


@pytest.mark.parametrize("command", [("show",), ("diff", "HEAD")], ids=["show", "diff"])
def test_dvc_plots_page_draws_every_plot_with_the_network_cut_off(browser, project, command):
    expected = expected_plots(project, *command)
    assert expected["vega"] >= 1 and expected["images"] >= 1, expected
    out = f"plots-{command[0]}"
    printed = project.dvc("plots", *command, "-o", out).stdout
    page_file = project.root / out / "index.html"
    assert page_file.as_uri() in printed
    with opened_offline(browser, page_file) as (page, refused, errors):
        page.wait_for_function(f"() => ({COUNT_DRAWN})().vega >= {expected['vega']}", timeout=30_000, polling=100)
        drawn = page.evaluate(COUNT_DRAWN)
    assert {"vega": drawn["vega"], "images": drawn["images"]} == expected, (drawn, errors)
    assert refused == [], "the page asked for something beyond the file system"
    assert errors == []


def test_without_the_template_dvc_page_draws_no_vega_plot_offline(browser, project):
    """The proof that the cut is real: DVC's own page, in the same browser, draws no Vega plot."""
    expected = expected_plots(project, "show")
    page_file = project.root / "plots-default" / "index.html"  # written before set-up
    remote = [attrs["src"] for attrs, _ in scripts_of(page_file.read_text(encoding="utf-8")) if attrs.get("src")]
    assert remote and all(src.startswith("https://") for src in remote), remote
    with opened_offline(browser, page_file) as (page, refused, errors):
        page.wait_for_load_state("networkidle")
        drawn = page.evaluate(COUNT_DRAWN)
    assert sorted(refused) == sorted(remote)  # DVC's page tried the CDN, and was refused
    assert drawn == {"vega": 0, "images": expected["images"], "embed": "undefined"}, drawn
    assert any("vegaEmbed is not defined" in error for error in errors), errors


def test_a_missing_template_fails_with_the_message_the_readme_explains(project):
    # As if the environment were gone: the local config names a file that is not there.
    offline_plots.use_template(project.root, project.root / "no-such-folder" / "dvc-plots-offline.html")
    try:
        result = project.dvc("plots", "show", "-o", "plots-missing", check=False)
    finally:
        offline_plots.use_template(project.root, offline_plots.configured_template(REPO_ROOT))
    assert result.returncode != 0
    assert MISSING_TEMPLATE_MESSAGE in result.stderr, result.stderr
    assert not (project.root / "plots-missing" / "index.html").exists()
    troubleshooting = (REPO_ROOT / "README.md").read_text().split("## Troubleshooting", 1)[1].split("\n## ", 1)[0]
    for needed in (MISSING_TEMPLATE_MESSAGE, ".venv/share/workbook/dvc-plots-offline.html", "make setup"):
        assert needed in troubleshooting, needed


PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
SPEC = {  # the shape of DVC's confusion template, cut down to two rows
    "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
    "data": {
        "values": [
            {"y_true": "setosa", "predicted": "setosa", "rev": "workspace"},
            {"y_true": "setosa", "predicted": "versicolor", "rev": "HEAD"},
        ]
    },
    "facet": {"column": {"field": "rev"}},
    "spec": {
        "mark": "rect",
        "encoding": {
            "x": {"field": "predicted", "type": "nominal"},
            "y": {"field": "y_true", "type": "nominal"},
            "color": {"aggregate": "count", "type": "quantitative"},
        },
    },
}


@pytest.fixture
def payload(tmp_path):
    picture = tmp_path / "workspace_confusion.png"
    picture.write_bytes(PNG_SIGNATURE + b"not really a picture")
    return {
        "data": {
            "confusion.csv": [{"type": "vega", "revisions": ["workspace", "HEAD"], "content": SPEC}],
            "confusion.png": [{"type": "image", "revisions": ["workspace"], "url": str(picture)}],
        }
    }


def test_a_vega_plot_is_the_spec_for_jupyterlab_plus_the_same_png_every_time(payload):
    (bundle,) = dvc_plots.plot_bundles(payload, "confusion.csv")
    assert set(bundle) == {"application/vnd.vegalite.v5+json", "image/png", "text/plain"}
    assert bundle["application/vnd.vegalite.v5+json"] is SPEC  # DVC's spec, unchanged
    assert base64.b64decode(bundle["image/png"]).startswith(PNG_SIGNATURE)
    assert bundle["text/plain"] == "<Vega-Lite plot: confusion.csv (workspace, HEAD)>"
    assert dvc_plots.plot_bundles(payload, "confusion.csv")[0]["image/png"] == bundle["image/png"]  # same bytes


def test_show_displays_every_plot_raw_an_image_plot_as_its_picture(payload, monkeypatch):
    shown = []
    monkeypatch.setattr(dvc_plots, "display", lambda bundle, raw: shown.append((bundle, raw)))
    dvc_plots.show(payload)
    (vega, raw), (image, image_raw) = shown
    assert sorted(vega) == ["application/vnd.vegalite.v5+json", "image/png", "text/plain"] and raw and image_raw
    assert base64.b64decode(image.pop("image/png")) == PNG_SIGNATURE + b"not really a picture"
    assert image == {"text/plain": "<image plot: confusion.png (workspace)>"}


@pytest.mark.parametrize("schema", ["vega-lite/v6", "vega/v5", ""], ids=["newer than JupyterLab's", "Vega", "none"])
def test_a_spec_jupyterlab_cannot_render_is_refused(schema):
    with pytest.raises(ValueError, match="expected a Vega-Lite v3/v4/v5 spec"):
        dvc_plots.vega_bundle({**SPEC, "$schema": schema and f"https://vega.github.io/schema/{schema}.json"}, "x")


def test_errors_from_dvc_or_a_missing_plot_fail_instead_of_showing_nothing(payload):
    with pytest.raises(KeyError, match="no plot 'metrics.tsv'.*confusion.csv, confusion.png"):
        dvc_plots.plot_bundles(payload, "metrics.tsv")
    failed = {**payload, "errors": [{"name": "confusion.csv", "rev": "HEAD", "type": "FileNotFoundError"}]}
    with pytest.raises(RuntimeError, match="FileNotFoundError"):
        dvc_plots.plot_bundles(failed, "confusion.csv")
    with pytest.raises(KeyError, match="no plots"):
        dvc_plots.show({"data": {}})
