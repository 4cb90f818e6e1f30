"""Conformance of a written CSV to the published schema: its header (:meth:`Table.check_header`)
and every value (type, allowed values, bounds), without the data package's tooling, so producers'
tests and readers can check a file in milliseconds.

Definitions. A value conforms when it is empty (the only missing value) or parses as the
column's type: ``integer`` (optional sign, digits), ``number`` (a decimal or exponent literal,
``inf`` or ``nan``), ``boolean`` (``true``/``false``), ``date`` (YYYY-MM-DD), ``datetime`` (ISO 8601
with optional fraction and offset), ``string`` (anything); and is one of ``enum`` when the column
has one, and within ``minimum``/``maximum`` when given.
"""

from __future__ import annotations

import csv
import math
import re
from pathlib import Path

from miners.schema import get
from miners.schema.columns import Col, SchemaError

_PATTERNS = {
    "integer": re.compile(r"[+-]?\d+"),
    "number": re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?|[+-]?(inf|nan)", re.IGNORECASE),
    "boolean": re.compile(r"true|false"),
    "date": re.compile(r"\d{4}-\d{2}-\d{2}"),
    "datetime": re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?"),
}


def value_problem(col: Col, value: str) -> str:
    """Why ``value`` does not fit ``col`` ('' when it does)."""
    if value == "":
        return ""
    pattern = _PATTERNS.get(col.type)
    if pattern is not None and not pattern.fullmatch(value):
        return f"{value!r} is not a {col.type}"
    if col.enum and value not in col.enum:
        return f"{value!r} is not one of {', '.join(v for v in col.enum if v)}"
    if col.type in ("integer", "number") and (col.minimum is not None or col.maximum is not None):
        x = float(value)
        if not math.isnan(x) and ((col.minimum is not None and x < col.minimum)
                                  or (col.maximum is not None and x > col.maximum)):
            return f"{value} is outside [{col.minimum}, {col.maximum}]"
    return ""


def problems(name: str, path: Path, limit: int = 20) -> list[str]:
    """Everything in the CSV at ``path`` that does not fit published table ``name``: the header,
    then up to ``limit`` values (row numbers count the header as row 1)."""
    table = get(name)
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        header = next(reader, None)
        if header is None:
            return [f"{path}: empty file, no header row"]
        try:
            table.check_header(header, str(path))
        except SchemaError as exc:
            return [str(exc)]
        cols = [table.columns.get(c) for c in header]
        out: list[str] = []
        for rowno, row in enumerate(reader, start=2):
            if len(row) != len(header):
                out.append(f"{path}:{rowno}: {len(row)} values for {len(header)} columns")
            for col_name, col, value in zip(header, cols, row, strict=False):
                why = value_problem(col, value) if col is not None else ""
                if why:
                    out.append(f"{path}:{rowno}: column {col_name}: {why}")
            if len(out) >= limit:
                return out[:limit]
    return out
