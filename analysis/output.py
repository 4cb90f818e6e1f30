"""Writing a stage's outputs: its CSV tables (the documented columns, in order, with the
table's float format) and its LaTeX files, each replaced atomically so a reader never sees a
half-written file and the same inputs give byte-identical files."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from analysis.formatting import CsvFormat, table_csv
from miners.csvio import atomic_write_bytes


def write_tables(folder: Path, tables: Mapping[str, pd.DataFrame],
                 docs: Mapping[str, Mapping[str, Any]],
                 fmt: Callable[[str], CsvFormat]) -> list[Path]:
    """``<folder>/<name>.csv`` for every table, with the columns of ``docs[name]["fields"]``
    and the float format ``fmt(name)``; returns the paths, sorted."""
    written = []
    for name in sorted(tables):
        path = Path(folder) / f"{name}.csv"
        columns = list(docs[name]["fields"])
        atomic_write_bytes(path, table_csv(tables[name], columns, fmt(name)), durable=False)
        written.append(path)
    return written


def write_text(path: Path, text: str) -> Path:
    """A generated text file (LaTeX), UTF-8."""
    atomic_write_bytes(Path(path), text.encode("utf-8"), durable=False)
    return Path(path)
