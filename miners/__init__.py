"""mlflow-mining miners: discover, clone and statically mine repositories that use MLflow.

The package is in rooms, one job each: :mod:`miners.corpus` (which repositories, cloned at a
pinned commit), :mod:`miners.scan` (the static miner), :mod:`miners.practices` (how a repository
versions data, models and environments), :mod:`miners.rerun` (the rerun harness) and
:mod:`miners.schema` (identities and vocabularies the stages share). The top level holds the
command line (:mod:`miners.cli`), the orchestration of a mining run (:mod:`miners.mine`), shared
input and output (:mod:`miners.csvio`, :mod:`miners.protocol`) and reports that span rooms
(:mod:`miners.summary`, :mod:`miners.codebook`, :mod:`miners.bench`).
"""

from __future__ import annotations

import ast
import hashlib
import io
import tokenize
from collections.abc import Iterable
from pathlib import Path

__version__ = "0.1.0"

#: The rooms whose code decides what a mined record holds (a task record of ``mine`` and the
#: per-file results the scan caches): the clone and fingerprint (corpus), every file's sites
#: and the repository's features (scan, detectors included), the practices, and the schema the
#: rows are written in. The rerun harness, the command line, the orchestration and the shared
#: IO are not among them: editing them never invalidates mined records or cached results.
MINED_BY = ("corpus", "practices", "scan", "schema")


class UsageError(Exception):
    """Bad command-line input: the message says what was wrong and what to do."""


def code_of(source: bytes) -> bytes:
    """The code of a Python module without its documentation: every docstring (the first
    string statement of the module, of a class or of a function), every comment and every
    blank line removed, trailing whitespace dropped. Unparsable source is returned as it is."""
    try:
        tree = ast.parse(source)
        text = source.decode("utf-8")
    except (SyntaxError, UnicodeDecodeError, ValueError):
        return source
    lines = text.splitlines()
    drop: set[int] = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and body:
            first = body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) \
                    and isinstance(first.value.value, str):
                drop.update(range(first.lineno - 1, (first.end_lineno or first.lineno)))
    comments: dict[int, int] = {}
    for tok in tokenize.generate_tokens(io.StringIO(text).readline):
        if tok.type == tokenize.COMMENT:
            comments[tok.start[0] - 1] = tok.start[1]
    out = []
    for i, line in enumerate(lines):
        if i in drop:
            line = ""
        elif i in comments:
            line = line[:comments[i]]
        if line.strip():
            out.append(line.rstrip())
    return "\n".join(out).encode("utf-8")


def source_digest(root: Path, rooms: Iterable[str] = MINED_BY) -> str:
    """The first 12 hexadecimal digits of the SHA-256 over every ``*.py`` file below the given
    rooms (sub-packages of ``root``), each as its path relative to ``root`` then its code
    without documentation (:func:`code_of`), in path order: editing a docstring (a detector's
    definition in the codebook) or a comment leaves the digest, and so every mined record and
    cached result, as it is; any change to the code changes it."""
    h = hashlib.sha256()
    paths = [p for room in rooms for p in (Path(root) / room).rglob("*.py")]
    for path in sorted(paths, key=lambda p: p.relative_to(root).as_posix()):
        h.update(path.relative_to(root).as_posix().encode())
        h.update(code_of(path.read_bytes()))
    return h.hexdigest()[:12]


#: ``<package version>+<source digest of the MINED_BY rooms>``: any change to a detector's code (or
#: to any other code in those rooms) changes it, so stale cached results and task records are
#: redone without anyone having to remember to bump a version number.
MINER_VERSION = f"{__version__}+{source_digest(Path(__file__).parent)}"
