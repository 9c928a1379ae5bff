"""DVC's plots inside a notebook, offline: `dvc plots show/diff --json` as display bundles.

DVC's `--json` gives each plot as a Vega-Lite spec with its rows inline, or a picture's path.
JupyterLab draws Vega-Lite offline from a bundle under the spec's mimetype; GitHub's notebook
view shows nothing for it. So a plot becomes DVC's spec, unchanged, plus a PNG of it drawn by
vl-convert (the same bytes every time); an image plot, its picture. DVC's errors, or a missing
plot, fail rather than show nothing.
"""

from __future__ import annotations

import base64
import re
from pathlib import Path
from typing import Any

import vl_convert
from IPython.display import display

from workbook.offline_plots import newest_vegalite

# The Vega-Lite versions JupyterLab 4's built-in renderer (@jupyterlab/vega5-extension) takes.
JUPYTERLAB_VEGALITE = ("3", "4", "5")
IMAGE_MIMETYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".svg": "image/svg+xml"}


def vega_bundle(spec: dict[str, Any], label: str) -> dict[str, Any]:
    """A Vega-Lite spec for JupyterLab, with a PNG of it for every other reader; a spec whose
    `$schema` names a version JupyterLab does not render is refused."""
    schema = spec.get("$schema", "")
    match = re.search(r"/vega-lite/v(\d+)(?:\.[\d.]+)?\.json$", schema)  # its major version: 5 for .../v5.json
    if not match or match.group(1) not in JUPYTERLAB_VEGALITE:
        raise ValueError(
            f"$schema {schema!r}: expected a Vega-Lite v{'/v'.join(JUPYTERLAB_VEGALITE)} spec (what JupyterLab renders)"
        )
    major = match.group(1)
    png = vl_convert.vegalite_to_png(spec, vl_version=newest_vegalite(major), allowed_base_urls=[])  # no network
    return {
        f"application/vnd.vegalite.v{major}+json": spec,
        "image/png": base64.b64encode(png).decode("ascii"),
        "text/plain": f"<Vega-Lite plot: {label}>",
    }


def image_bundle(path: str | Path, label: str) -> dict[str, Any]:
    """A picture file as a display bundle."""
    path = Path(path)
    mimetype = IMAGE_MIMETYPES.get(path.suffix.lower())
    if mimetype is None:
        raise ValueError(f"{path}: expected one of {', '.join(IMAGE_MIMETYPES)} for an image plot")
    data = path.read_bytes()
    encoded = data.decode("utf-8") if mimetype == "image/svg+xml" else base64.b64encode(data).decode("ascii")
    return {mimetype: encoded, "text/plain": f"<image plot: {label}>"}


def plot_bundles(payload: dict[str, Any], plot_id: str) -> list[dict[str, Any]]:
    """One display bundle per entry DVC gives for `plot_id`, in DVC's order."""
    if payload.get("errors"):
        raise RuntimeError(f"DVC reported errors for its plots: {payload['errors']}")
    plots = payload.get("data", {})
    if not plots.get(plot_id):
        raise KeyError(f"no plot {plot_id!r} in DVC's output; it has: {', '.join(plots) or 'none'}")
    bundles = []
    for entry in plots[plot_id]:
        label = f"{plot_id} ({', '.join(entry['revisions'])})"
        if entry["type"] == "vega":
            bundles.append(vega_bundle(entry["content"], label))
        elif entry["type"] == "image":
            bundles.append(image_bundle(entry["url"], label))
        else:
            raise ValueError(f"{plot_id}: plot type {entry['type']!r}, expected 'vega' or 'image'")
    return bundles


def show(payload: dict[str, Any], *plot_ids: str) -> None:
    """Display the named plots (all of them if none is named) of DVC's `--json` output."""
    plot_ids = plot_ids or tuple(payload.get("data", {}))
    if not plot_ids:
        raise KeyError(f"DVC's output holds no plots: {payload}")
    for plot_id in plot_ids:
        for bundle in plot_bundles(payload, plot_id):
            display(bundle, raw=True)
