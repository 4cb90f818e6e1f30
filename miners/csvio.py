"""Deterministic, atomic CSV writing.

Every published table is written the same way: a fixed column order, rows sorted by a key,
``\\n`` line endings, UTF-8, and an atomic replace (temporary file in the same directory, then
``os.replace``), so a reader never sees a half-written file and the same inputs give
byte-identical output.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any


def format_value(value: Any) -> str:
    """Render one cell: ``None`` is empty, booleans are ``true``/``false``, floats use repr."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if value != value:  # NaN
            return ""
        return repr(value)
    return str(value)


def atomic_write_bytes(path: Path, data: bytes, durable: bool = True) -> None:
    """Write ``data`` to ``path`` atomically (temp file in the same folder, fsync, rename).

    ``durable=False`` skips the fsync, for scratch files that need not survive a power cut."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            if durable:
                os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)  # mkstemp makes it private; published files are readable
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def render_csv(columns: Sequence[str], rows: Iterable[Mapping[str, Any]]) -> bytes:
    """Render rows (mappings) as CSV bytes with a header, in the given order."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([format_value(row.get(c)) for c in columns])
    return buf.getvalue().encode("utf-8")


def write_csv(
    path: Path,
    columns: Sequence[str],
    rows: Iterable[Mapping[str, Any]],
    sort_key: Sequence[str] | None = None,
) -> int:
    """Write ``rows`` to ``path`` atomically, sorted by ``sort_key`` columns; returns the row count."""
    materialised = list(rows)
    if sort_key:
        materialised.sort(key=lambda r: tuple(_sortable(r.get(k)) for k in sort_key))
    atomic_write_bytes(Path(path), render_csv(columns, materialised))
    return len(materialised)


def _sortable(value: Any) -> tuple[int, Any]:
    if value is None or value == "":
        return (0, "")
    if isinstance(value, bool):
        return (1, int(value))
    if isinstance(value, int | float):
        return (1, value)
    return (2, str(value))


def read_csv(path: Path) -> list[dict[str, str]]:
    """Read a CSV written by :func:`write_csv` into a list of string dicts."""
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))
