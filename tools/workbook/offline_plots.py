"""An HTML template with which `dvc plots show` and `dvc plots diff` draw every plot offline.

DVC's default page loads Vega, Vega-Lite and vega-embed from a CDN: offline its Vega-Lite plots
stay blank. A template (`plots.html_template` in `.dvc/config`) must hold `{plot_divs}`, and DVC
adds its CDN `<script>` tags only where it has `{scripts}`: this one has none, but the three
libraries inline, bundled by vl-convert. About 1 MB, so generated, not committed: `make setup`
runs `python -m workbook.offline_plots` (the same bytes every time), which writes it where the
committed `.dvc/config` points, `../.venv/share/workbook/dvc-plots-offline.html`.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import vl_convert

# Where `make setup` (this module's command line) writes the template by default.
DEFAULT_OUTPUT = Path(sys.prefix) / "share" / "workbook" / "dvc-plots-offline.html"

PAGE = """<!DOCTYPE html>
<html>
<head>
    <meta charset="utf-8">
    {refresh_tag}
    <title>DVC Plot</title>
    <!-- Vega, Vega-Lite {vegalite} and vega-embed, inline (vl-convert {vl_convert}): no network needed -->
    <script type="text/javascript">
(function () {  // the bundle's own names stay local; it sets window.vega, vegaLite, vegaEmbed
{bundle}
}).call(window);
    </script>
    <style>
        table {
            border-spacing: 15px;
        }
    </style>
</head>
<body>
    {plot_divs}
</body>
</html>
"""


def newest_vegalite(major: str = "5") -> str:
    """The newest Vega-Lite version of `major` that vl-convert carries ("5.21"; DVC's specs are 5)."""
    versions = [v for v in vl_convert.get_vegalite_versions() if v.split(".")[0] == major]
    if not versions:
        raise RuntimeError(f"vl-convert {vl_convert.__version__} carries no Vega-Lite {major}.x")
    return max(versions, key=lambda v: tuple(map(int, v.split("."))))


def template_html() -> str:
    """The page template: DVC's placeholders, the three libraries inline, no `{scripts}`."""
    vegalite = newest_vegalite()
    bundle = vl_convert.javascript_bundle(vl_version=vegalite)
    # The bundle goes inside a <script> element and DVC fills the template by plain text
    # replacement of "{name}": it must hold neither "</script" nor a placeholder.
    for text in ("</script", "{plot_divs}", "{scripts}", "{refresh_tag}"):
        if text in bundle.lower():
            raise RuntimeError(f"vl-convert's JavaScript bundle contains {text!r}: it cannot go inline")
    # str.replace, not str.format: the page's CSS and DVC's placeholders have braces.
    page = PAGE.replace("{vegalite}", vegalite).replace("{vl_convert}", vl_convert.__version__)
    return page.replace("{bundle}", bundle)


def configured_template(project: Path) -> Path | None:
    """The file `plots.html_template` in `project/.dvc/config` names (a relative path from `.dvc/`, as
    DVC reads it), or None."""
    from configobj import ConfigObj  # what DVC reads its config with

    config = project / ".dvc" / "config"
    value = ConfigObj(str(config), encoding="utf-8").get("plots", {}).get("html_template") if config.is_file() else None
    if not value:
        return None
    path = Path(value)
    return path if path.is_absolute() else Path(os.path.normpath(project / ".dvc" / path))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m workbook.offline_plots",
        description="Write the HTML template with which `dvc plots show/diff` draw every plot offline.",
    )
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="where to write it (default: %(default)s)")
    args = parser.parse_args(argv)
    output = args.output.absolute()
    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.with_name(output.name + ".partial")  # a reader never sees half a file
    partial.write_text(template_html(), encoding="utf-8")
    os.replace(partial, output)
    print(f"wrote {output} ({output.stat().st_size // 1024} KiB): the HTML template of `dvc plots show`, offline")

    # Not the file .dvc/config names (a conda environment, say): DVC would not find it.
    from workbook.workspace import REPO_ROOT

    named = configured_template(REPO_ROOT)
    if named is None or not (named.is_file() and named.samefile(output)):
        print(
            f"note: {REPO_ROOT / '.dvc' / 'config'} names {named} as plots.html_template, not this file; "
            f"to use this one: dvc config --local plots.html_template {output}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
