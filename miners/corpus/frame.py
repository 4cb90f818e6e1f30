"""``python -m miners frame`` and a fixed sampling frame as the corpus, instead of a search.

Definition. A sampling frame is a CSV with a ``repo`` column (``owner/name``; its other columns
are kept) or a text file of ``owner/name`` lines (``#`` comments). :func:`build_frame` copies
the shared frame into ``study/frame.csv``; :func:`frame_corpus` turns a frame into the rows of
``corpus.csv`` that a search would have given (:data:`~miners.corpus.discover.CORPUS_COLUMNS`),
one per repository, the first spelling of a name (compared case-insensitively) winning.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from miners.corpus.discover import CORPUS_COLUMNS
from miners.csvio import write_csv


def frame_corpus(frame: Path, out: Path) -> int:
    """A fixed sampling frame (CSV with a ``repo`` column, or ``owner/name`` lines) -> ``corpus.csv``.

    The frame's other columns are kept, prefixed ``frame_`` (e.g. ``frame_kind_guess``), so a
    sample can be stratified by them."""
    import csv

    text = Path(frame).read_text()
    lines = text.splitlines()
    extra: list[str] = []
    if lines and "repo" in lines[0].split(","):
        records = [r for r in csv.DictReader(lines) if (r.get("repo") or "").strip()]
        extra = [c for c in csv.DictReader(lines).fieldnames or [] if c != "repo"]
    else:
        records = [{"repo": ln.strip()} for ln in lines if ln.strip() and not ln.startswith("#")]
    bad = [r["repo"] for r in records if r["repo"].strip().count("/") != 1]
    if bad:
        raise ValueError(f"{frame}: not owner/name: {bad[:5]}")
    rows: dict[str, dict[str, Any]] = {}
    for r in records:
        n = r["repo"].strip()
        row = {"full_name": n, "html_url": f"https://github.com/{n}", "clone_url": f"https://github.com/{n}.git",
               "query": f"frame:{Path(frame).name}", "api_metadata": "no_api"}
        row.update({f"frame_{c}": r.get(c, "") for c in extra})
        rows.setdefault(n.lower(), row)
    return write_csv(out, CORPUS_COLUMNS + [f"frame_{c}" for c in extra], rows.values(), sort_key=["full_name"])


def build_frame(candidates: Path, out: Path) -> int:
    """``study/frame.csv`` from the shared sampling frame (its columns kept as they are)."""
    import csv

    with open(candidates, newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        columns = list(reader.fieldnames or [])
        rows = list(reader)
    if "repo" not in columns:
        raise ValueError(f"{candidates}: no `repo` column")
    return write_csv(out, columns, rows, sort_key=["repo"])
