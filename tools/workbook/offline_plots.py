"""An HTML template with which `dvc plots show` and `dvc plots diff` draw every plot offline.

DVC's default page loads Vega, Vega-Lite and vega-embed from a CDN: offline its Vega-Lite plots
stay blank. A template (DVC's `plots.html_template` setting) must hold `{plot_divs}`, and DVC
adds its CDN `<script>` tags only where it has `{scripts}`: this one has none, but the three
libraries inline, bundled by vl-convert. About 1 MB, so generated, not committed: `make setup`
runs `python -m workbook.offline_plots` (the same bytes every time), which writes it into the
environment (`.venv/share/workbook/dvc-plots-offline.html`) and names it in the project's
`.dvc/config.local`, the config DVC reads only where it exists and git ignores: a checkout
without it (before set-up, another environment) gets DVC's own page, not a broken path.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import vl_convert

from workbook.workspace import REPO_ROOT

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
    """The file DVC's `plots.html_template` names for `project` (its config files merged, as DVC
    reads them; a relative path from `.dvc/`, as `dvc plots` resolves it), or None."""
    from dvc.config import Config

    value = Config(dvc_dir=project / ".dvc")["plots"].get("html_template")
    if not value:
        return None
    path = Path(value)
    return path if path.is_absolute() else Path(os.path.normpath(project / ".dvc" / path))


def use_template(project: Path, template: Path) -> None:
    """Name `template` as `plots.html_template` in `project/.dvc/config.local` (DVC's own writer,
    other settings kept), as `dvc config --local` does; `.dvc/` is made where a step lacks it."""
    from dvc.config import Config

    with Config(dvc_dir=project / ".dvc").edit("local") as config:
        config["plots"]["html_template"] = str(template)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m workbook.offline_plots",
        description="Write the HTML template with which `dvc plots show/diff` draw every plot offline.",
    )
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="where to write it (default: %(default)s)")
    parser.add_argument(
        "--project", type=Path, default=REPO_ROOT, help="whose .dvc/config.local names it (default: %(default)s)"
    )
    args = parser.parse_args(argv)
    output = args.output.absolute()
    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.with_name(output.name + ".partial")  # a reader never sees half a file
    partial.write_text(template_html(), encoding="utf-8")
    os.replace(partial, output)
    print(f"wrote {output} ({output.stat().st_size // 1024} KiB): the HTML template of `dvc plots show`, offline")
    use_template(args.project, output)
    print(f"named it in {args.project.absolute() / '.dvc' / 'config.local'} (plots.html_template)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
