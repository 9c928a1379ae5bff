"""Drop what changes from run to run out of an executed notebook (see papermill_engine)."""

from __future__ import annotations

VOLATILE_NOTEBOOK_KEYS = ("start_time", "end_time", "duration")
VOLATILE_CELL_KEYS = ("start_time", "end_time", "duration")


def scrub(nb):
    """Remove run-dependent metadata from an executed notebook, in place; return it."""
    pm = nb.metadata.get("papermill", {})
    for key in VOLATILE_NOTEBOOK_KEYS:
        pm.pop(key, None)
    language_info = nb.metadata.get("language_info", {})
    language_info.pop("version", None)
    for cell in nb.cells:
        if "injected-parameters" in cell.metadata.get("tags", []):
            cell.id = "injected-parameters"
        cell.metadata.pop("execution", None)
        cell_pm = cell.metadata.get("papermill", {})
        for key in VOLATILE_CELL_KEYS:
            cell_pm.pop(key, None)
    return nb
