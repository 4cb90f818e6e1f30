"""Reading Jupyter notebooks into code cells.

A notebook is read with nbformat (any nbformat version, converted to v4 without schema
validation, which is slow and rejects many real notebooks that run fine). Only cells whose
``cell_type`` is ``code`` are analysed; markdown and raw cells are never code. Cell indices
are positions in the v4 cell list, 0-based, with markdown cells counted.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass

from miners.ipython import cell_to_python

logging.getLogger("nbformat").setLevel(logging.ERROR)


class NotebookError(ValueError):
    """The notebook could not be read as JSON or as any nbformat version."""


@dataclass(frozen=True, slots=True)
class CodeCell:
    index: int
    source: str  # plain Python after the IPython transformation
    original_lines: int
    note: str  # why the cell's content was blanked, if it was


def read_code_cells(text: str) -> list[CodeCell]:
    """Return the code cells of a notebook given as JSON text."""
    import nbformat
    from nbformat.converter import convert
    from nbformat.reader import reads as raw_reads

    try:
        json.loads(text)
    except ValueError as exc:
        raise NotebookError(f"invalid notebook JSON: {exc}") from None
    try:
        nb = raw_reads(text)
        major = int(nb.get("nbformat", 0))
        if major != 4:
            nb = convert(nb, 4)
    except Exception as exc:
        raise NotebookError(f"not a readable notebook ({type(exc).__name__}: {exc})"[:300]) from None
    cells = nb.get("cells")
    if not isinstance(cells, list):
        raise NotebookError("notebook has no cell list")
    out: list[CodeCell] = []
    for index, cell in enumerate(cells):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        src = cell.get("source", "")
        if isinstance(src, list):
            src = "".join(str(s) for s in src)
        src = str(src)
        py, note = cell_to_python(src)
        out.append(CodeCell(index=index, source=py, original_lines=src.count("\n") + 1, note=note))
    _ = nbformat  # imported for its reader registry side effects
    return out
