"""workbook.dvc_plots: DVC's `plots --json` output as notebook display bundles (no DVC run)."""

from __future__ import annotations

import base64

import pytest

from workbook import dvc_plots

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


def test_a_vega_plot_is_the_spec_for_jupyterlab_plus_a_png_of_it(payload):
    (bundle,) = dvc_plots.plot_bundles(payload, "confusion.csv")
    assert set(bundle) == {"application/vnd.vegalite.v5+json", "image/png", "text/plain"}
    assert bundle["application/vnd.vegalite.v5+json"] is SPEC  # DVC's spec, unchanged
    assert base64.b64decode(bundle["image/png"]).startswith(PNG_SIGNATURE)
    assert bundle["text/plain"] == "<Vega-Lite plot: confusion.csv (workspace, HEAD)>"


def test_the_png_is_the_same_bytes_every_time(payload):
    first, second = (dvc_plots.plot_bundles(payload, "confusion.csv")[0]["image/png"] for _ in range(2))
    assert first == second


def test_an_image_plot_is_its_picture(payload):
    (bundle,) = dvc_plots.plot_bundles(payload, "confusion.png")
    assert base64.b64decode(bundle["image/png"]) == PNG_SIGNATURE + b"not really a picture"
    assert bundle["text/plain"] == "<image plot: confusion.png (workspace)>"


def test_show_displays_every_plot_raw(payload, monkeypatch):
    shown = []
    monkeypatch.setattr(dvc_plots, "display", lambda bundle, raw: shown.append((bundle, raw)))
    dvc_plots.show(payload)
    assert [sorted(bundle) for bundle, _ in shown] == [
        ["application/vnd.vegalite.v5+json", "image/png", "text/plain"],
        ["image/png", "text/plain"],
    ]
    assert all(raw for _, raw in shown)


@pytest.mark.parametrize(
    "schema",
    [
        "https://vega.github.io/schema/vega-lite/v6.json",  # newer than JupyterLab's renderer
        "https://vega.github.io/schema/vega/v5.json",  # Vega, not Vega-Lite
        "",
    ],
)
def test_a_spec_jupyterlab_cannot_render_is_refused(schema):
    with pytest.raises(ValueError, match="expected a Vega-Lite v3/v4/v5 spec"):
        dvc_plots.vega_bundle({**SPEC, "$schema": schema}, "x")


def test_errors_from_dvc_or_a_missing_plot_fail_instead_of_showing_nothing(payload):
    with pytest.raises(KeyError, match="no plot 'metrics.tsv'.*confusion.csv, confusion.png"):
        dvc_plots.plot_bundles(payload, "metrics.tsv")
    failed = {**payload, "errors": [{"name": "confusion.csv", "rev": "HEAD", "type": "FileNotFoundError"}]}
    with pytest.raises(RuntimeError, match="FileNotFoundError"):
        dvc_plots.plot_bundles(failed, "confusion.csv")
    with pytest.raises(KeyError, match="no plots"):
        dvc_plots.show({"data": {}})
