"""Writing a stage's outputs: its CSV tables (the documented columns, in order, with the
table's float format) and its LaTeX files, each replaced atomically so a reader never sees a
half-written file and the same inputs give byte-identical files."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from analysis.formatting import CsvFormat, Macros, table_csv
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


def stage_main(argv: list[str] | None, stage: str, description: str,
               read_inputs: Callable[[Path], Mapping[str, pd.DataFrame]],
               tables: Callable[[Mapping[str, pd.DataFrame], Macros], Mapping[str, pd.DataFrame]],
               docs: Mapping[str, Mapping[str, Any]],
               latex: Callable[[Mapping[str, pd.DataFrame]], Mapping[str, str]],
               fmt: Callable[[str], CsvFormat]) -> int:
    """The command line of a stage that reads ``--results`` and writes its tables (to
    ``--tables``, default ``<results>/tables``), its LaTeX tables and ``<stage>.tex`` (its
    macros) to ``--generated``: ``python -m analysis rq5``, ``rq6``. Exit 2 with a message on
    a missing folder or unusable input."""
    parser = argparse.ArgumentParser(prog=f"python -m analysis {stage}", description=description)
    parser.add_argument("--results", type=Path, default=Path("results"))
    parser.add_argument("--tables", type=Path, default=None)
    parser.add_argument("--generated", type=Path, default=Path("paper/generated"))
    args = parser.parse_args(argv)
    if not args.results.is_dir():
        print(f"analysis {stage}: results folder not found: {args.results}", file=sys.stderr)
        return 2
    macros = Macros(stage)
    try:
        out = tables(read_inputs(args.results), macros)
    except ValueError as exc:
        print(f"analysis {stage}: {exc}", file=sys.stderr)
        return 2
    write_tables(args.tables or args.results / "tables", out, docs, fmt)
    for name, text in latex(out).items():
        write_text(args.generated / f"{name}.tex", text)
    write_text(args.generated / f"{stage}.tex", macros.render())
    print(f"analysis {stage}: {len(macros.values)} macros, {len(out)} tables", file=sys.stderr)
    return 0

