"""Turn IPython syntax in a notebook cell into plain Python, line for line.

Definition. A code cell is analysed as Python after this transformation:

* a cell magic on the cell's first line (``%%name args``) is blanked; when the magic runs its
  body as Python (:data:`PYTHON_CELL_MAGICS`, e.g. ``%%time``, ``%%capture``) or writes a
  ``.py`` file (``%%writefile train.py``), the body is analysed as code; any other cell magic
  (``%%bash``, ``%%sql``, ``%%html``, ...) makes the whole cell non-Python and it is blanked;
* a line magic that runs Python code (``%time expr``, ``%timeit expr``, ``%prun stmt``) is
  replaced by that code;
* every other line magic (``%pip install x``), shell escape (``!ls``, ``x = !ls``), and help
  request (``obj?``, ``obj??``) is rewritten by IPython's own input transformer into an
  ordinary call of ``get_ipython()``, which no detector matches.

Line numbers are preserved: the output has exactly as many lines as the input, so a finding's
line is its line in the cell. If IPython's transformer is unavailable, fails, or would change
the line count, each offending line is replaced by ``pass`` at the same indentation.
"""

from __future__ import annotations

import re

#: Cell magics whose body IPython executes as Python code.
PYTHON_CELL_MAGICS = frozenset({"time", "timeit", "capture", "prun", "debug", "pypy", "python",
                                "python3", "px", "memit", "mprun"})
#: Line magics whose argument is a Python statement that IPython executes.
PYTHON_LINE_MAGICS = frozenset({"time", "timeit", "prun", "debug", "memit", "mprun"})

_CELL_MAGIC = re.compile(r"^\s*%%(\w+)(.*)$")
_LINE_PY_MAGIC = re.compile(r"^(\s*)%(" + "|".join(sorted(PYTHON_LINE_MAGICS)) + r")\b(?:\s+-\S+(?:\s+\S+)?)*\s*(.*)$")
_NEEDS_IPYTHON = re.compile(r"^\s*[%!]|^[^#'\"]*=\s*[%!]\w|\?\s*$", re.MULTILINE)

_manager = None


def _transformer():
    global _manager
    if _manager is None:
        try:
            from IPython.core.inputtransformer2 import TransformerManager
        except Exception:  # IPython missing or broken: fall back to the line rewriter
            _manager = False
        else:
            _manager = TransformerManager()
    return _manager


def cell_to_python(source: str) -> tuple[str, str]:
    """Return ``(python_source, note)`` for one code cell.

    ``note`` is empty, or says why the cell was blanked (``cell magic %%bash``).
    """
    lines = source.split("\n")
    first = next((i for i, ln in enumerate(lines) if ln.strip()), None)
    if first is not None:
        m = _CELL_MAGIC.match(lines[first])
        if m:
            name, args = m.group(1), m.group(2).strip()
            runs_python = name in PYTHON_CELL_MAGICS or (
                name in {"writefile", "file"} and args.split()[-1:] and args.split()[-1].endswith(".py")
            )
            if not runs_python:
                return "\n".join("" for _ in lines), f"cell magic %%{name}"
            lines[first] = ""
    lines = [_unwrap_line_magic(ln) for ln in lines]
    text = "\n".join(lines)
    if not _NEEDS_IPYTHON.search(text):
        return text, ""
    return _ipython_transform(text), ""


def _unwrap_line_magic(line: str) -> str:
    m = _LINE_PY_MAGIC.match(line)
    if not m:
        return line
    indent, code = m.group(1), m.group(3)
    return f"{indent}{code}" if code else f"{indent}pass"


def _ipython_transform(text: str) -> str:
    n = text.count("\n")
    manager = _transformer()
    if manager:
        try:
            out = manager.transform_cell(text)
        except Exception:
            out = None
        if out is not None:
            if out.endswith("\n") and not text.endswith("\n"):
                out = out[:-1]
            if out.count("\n") == n:
                return out
    return _line_fallback(text)


_ESCAPE_LINE = re.compile(r"^(\s*)(?:[%!].*|[\w.]+\s*=\s*[%!].*|.*\?\??\s*)$")


def _line_fallback(text: str) -> str:
    out = []
    for ln in text.split("\n"):
        m = _ESCAPE_LINE.match(ln)
        if m and not ln.lstrip().startswith("#"):
            out.append(f"{m.group(1)}pass")
        else:
            out.append(ln)
    return "\n".join(out)
