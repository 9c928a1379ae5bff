"""Sphinx configuration of the course's pages (`make book`; book/build.py stages the sources).

Sphinx with myst-nb reads the lesson notebooks with the outputs they store (nothing is
executed: nbval proves those outputs) and the step READMEs as Markdown; the theme is
sphinx-book-theme, Jupyter Book's. Every file a page loads is in the built site: no CDN,
no web font, no MathJax (math shows as its source, see `setup`), no widget scripts.
"""

from __future__ import annotations

from docutils import nodes

project = "MLOps with DVC and CML"
author = "The MLOps course workbook authors"
copyright = "2026, The MLOps course workbook authors (code: MIT; lesson text: CC BY 4.0)"
html_title = "MLOps with DVC and CML"

extensions = ["myst_nb"]
root_doc = "index"
smartquotes = False  # the lessons' text as written: straight quotes, -- and ... as typed
exclude_patterns = ["**/.ipynb_checkpoints"]

# The notebooks as committed: their stored outputs, never run here.
nb_execution_mode = "off"
# Cells follow myst-nb's tags, onto which book/build.py maps the course's own: remove-cell,
# remove-input, hide-cell (a toggle, whose words a cell's metadata `mystnb` sets).
# Pictures: DVC's plots carry a Vega-Lite spec and a PNG; the page shows the PNG (a spec
# would need Vega's scripts). No LaTeX output (MathJax), no widget scripts from a CDN.
nb_mime_priority_overrides = [
    ("html", "application/vnd.vegalite.v5+json", None),
    ("html", "application/vnd.vegalite.v4+json", None),
    ("html", "application/javascript", None),
    ("html", "text/latex", None),
]
nb_ipywidgets_js = {}
# Markdown outputs (lesson 7's CML report) are GitHub's Markdown, tables included.
nb_render_markdown_format = "gfm"
# myst-nb reads every type of an output before picking one, and names each it cannot draw
# (the Vega-Lite spec beside its PNG); Pygments knows no `mermaid` (a CML report's diagram).
suppress_warnings = ["mystnb.unknown_mime_type", "misc.highlighting_failure"]
# Headings get anchors (03-pipelines.html#exercise) that links between pages can use.
myst_heading_anchors = 3

html_theme = "sphinx_book_theme"
html_theme_options = {
    "home_page_in_toc": True,
    "use_download_button": False,
    "show_navbar_depth": 1,
}
html_context = {"default_mode": "auto"}  # light or dark as the reader's system is
html_copy_source = False
html_show_sourcelink = False
html_last_updated_fmt = None
# Math as its TeX source: the HTML builder would otherwise load MathJax from a CDN.
html_math_renderer = "source"


def _math_as_source(self, node: nodes.Element) -> None:
    self.body.append(self.starttag(node, "code", CLASS="math") + self.encode(node.astext()) + "</code>")
    raise nodes.SkipNode


def setup(app) -> dict:
    app.add_html_math_renderer("source", (_math_as_source, None), (_math_as_source, None))
    return {"parallel_read_safe": True}
