"""Reading Jupyter notebooks into code cells.

A notebook's JSON is decoded once. An nbformat-4 notebook is used as decoded (v4 is the
JSON itself); an older one is read and converted to v4 by nbformat. Schema validation is not
applied: it is slow and rejects many real notebooks that run fine. Only cells whose
``cell_type`` is ``code`` are analysed; markdown and raw cells are never code. Cell indices
are positions in the v4 cell list, 0-based, with markdown cells counted.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass

from miners.scan.ipython import cell_to_python

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
    try:
        nb = json.loads(text)
    except ValueError as exc:
        raise NotebookError(f"invalid notebook JSON: {exc}") from None
    if not isinstance(nb, dict):
        raise NotebookError("notebook JSON is not an object")
    try:
        major = int(nb.get("nbformat", 0))
    except (TypeError, ValueError):
        major = 0
    if major != 4:
        try:
            import nbformat
            from nbformat.converter import convert

            nb = convert(nbformat.from_dict(nb), 4)
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
    return out
