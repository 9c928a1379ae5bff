"""The course's one template renderer, Jinja2 with `StrictUndefined`: for a lesson's cells
(from params.yaml, or its kernel's names) and the step branches' files (`make steps`). A field
that names a missing key fails, naming the template's place and the key, instead of printing
an empty string.
"""

from __future__ import annotations

import json
from typing import Any

import jinja2


class TemplateError(RuntimeError):
    """A template could not be rendered; the message names where and why."""


def py_literal(value: Any, indent: str = "") -> str:
    """`value` as Python source (double quotes, as the course writes them); a mapping that
    would not fit on one line gets one item per line."""
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, tuple):
        return "(" + ", ".join(py_literal(v) for v in value) + ("," if len(value) == 1 else "") + ")"
    if isinstance(value, list):
        return "[" + ", ".join(py_literal(v) for v in value) + "]"
    if isinstance(value, dict):
        flat = "{" + ", ".join(f"{py_literal(k)}: {py_literal(v)}" for k, v in value.items()) + "}"
        if len(indent) + len(flat) <= 80:
            return flat
        inner = indent + "    "
        items = "".join(f"{inner}{py_literal(k)}: {py_literal(v, inner)},\n" for k, v in value.items())
        return "{\n" + items + indent + "}"
    return repr(value)


ENVIRONMENT = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
ENVIRONMENT.globals.update(py=py_literal, json=json, int=int, len=len, round=round, str=str, sum=sum)


def render(template: str, where: str, /, **names: Any) -> str:
    """`template` rendered with `names`; any failure is a TemplateError naming `where`."""
    try:
        return ENVIRONMENT.from_string(template).render(**names)
    except jinja2.TemplateError as error:
        raise TemplateError(f"{where}: {type(error).__name__}: {error}") from None


def literal_text(template: str) -> list[str]:
    """The text before, between and after a template's fields and tags, as Jinja2's lexer reads
    it: one piece more than there are fields and tags, empty where two touch."""
    pieces = [""]
    for _, kind, value in ENVIRONMENT.lex(template):
        if kind == "data":
            pieces[-1] += value
        elif kind in ("variable_begin", "block_begin"):
            pieces.append("")
    return pieces
