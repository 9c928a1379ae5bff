"""Set values in a params file by key, as a learner would in an editor: the lessons' demos.

A demo of `dvc repro` reacting to a change must make it whatever the committed default is:
matching the old text (`sed 's/C: \\[0.001\\]/.../'`) silently changes nothing once the
default moves; setting the key cannot. DVC's `-S` does this only for experiments, so this
module does it the same way: ruamel.yaml's round trip (DVC's own YAML library) keeps
comments, order and flow-style lists; values are read as YAML (`'[0.1]'` is a list).

    python -m workbook.params params.yaml train.estimator_name=svm
    python -m workbook.params params.yaml data_split.test_size=0.3 --output params-test.yaml
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedSeq
from ruamel.yaml.error import YAMLError


class ParamsError(ValueError):
    """A change that cannot be made: the message names the file, the key and the value."""


def _yaml() -> YAML:
    yaml = YAML()  # round trip: comments, key order and list styles survive
    yaml.preserve_quotes = True
    return yaml


def set_params(
    path: str | Path, changes: dict[str, Any], output: str | Path | None = None, *, add: bool = False
) -> dict[str, Any]:
    """Set each dotted key of `changes` in the YAML file `path`, written to `output` (default:
    `path`) in one step; the old value of each key (None: added). A key not in the file is a
    ParamsError, nothing written; with `add`, a missing last part of a key is added."""
    path = Path(path)
    yaml = _yaml()
    try:
        data = yaml.load(path.read_text())
    except FileNotFoundError:
        raise ParamsError(f"{path}: no such file") from None
    old = {}
    for key, value in changes.items():
        node, parts = data, key.split(".")
        for depth, part in enumerate(parts):
            last = depth == len(parts) - 1
            if not isinstance(node, dict) or (part not in node and not (add and last)):
                where = ".".join(parts[:depth]) or "the top level"
                there = ", ".join(map(str, node)) if isinstance(node, dict) else f"{_flow(node)}, not a mapping"
                raise ParamsError(f"{path}: no key {key!r} (at {where}: {there}); the value {value!r} was not set")
            if not last:
                node = node[part]
        old[key] = node.get(parts[-1])
        if isinstance(value, list) and not isinstance(value, CommentedSeq):
            value = CommentedSeq(value)  # a list from Python: on one line, as this course writes lists
            value.fa.set_flow_style()
        node[parts[-1]] = value
    text = io.StringIO()
    yaml.dump(data, text)
    target = Path(output) if output is not None else path
    with tempfile.NamedTemporaryFile("w", dir=target.parent, prefix=f".{target.name}.", delete=False) as tmp:
        tmp.write(text.getvalue())
    os.replace(tmp.name, target)
    return old


def _flow(value: Any) -> str:
    """A value as one line of YAML (`[0.1]`, `svm`)."""
    yaml = YAML(typ="safe")
    yaml.default_flow_style = True
    text = io.StringIO()
    yaml.dump(json.loads(json.dumps(value)), text)  # ruamel's round-trip types as plain ones
    return text.getvalue().strip().removesuffix("...").strip()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m workbook.params",
        description="Set values in a YAML params file by dotted key, keeping its comments and layout.",
    )
    parser.add_argument("file", type=Path, help="the params file, e.g. params.yaml")
    parser.add_argument("changes", nargs="+", metavar="KEY=VALUE", help="e.g. train.estimator_name=svm (VALUE is YAML)")
    parser.add_argument("--output", type=Path, help="write the result here instead of changing FILE")
    args = parser.parse_args(argv)
    try:
        changes = {}
        for change in args.changes:
            key, sep, value = change.partition("=")
            if not sep or not key:
                raise ParamsError(f"{change!r}: expected KEY=VALUE, e.g. train.estimator_name=svm")
            try:  # a list keeps the style it is written in (`[0.1]` stays on one line)
                changes[key] = _yaml().load(value)
            except YAMLError as err:
                raise ParamsError(f"{value!r} is not a YAML value: {str(err).splitlines()[0]}") from None
        old = set_params(args.file, changes, args.output)
    except ParamsError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    for key, value in changes.items():
        print(f"{args.output or args.file}: {key}: {_flow(old[key])} -> {_flow(value)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
