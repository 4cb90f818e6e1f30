"""Reading the published results: :func:`read_table` is the one reader of a published table of
a results folder (``results/<name>.csv``, ``results/tables/<name>.csv``), for every stage and
every figure notebook; :func:`read_study_table` reads the study's own inputs the same way
(``study/validation/``).

Definitions.

* A table is named by its path under the folder without ``.csv``: ``repo_features``,
  ``rerun_repos``, ``tables/rq5_verdicts``.
* It is read as text: every cell a string, the empty cell ``""`` (never NaN); :func:`as_bool`,
  :func:`as_number` and :func:`split_list` read the cells the miners write (``true``/``false``,
  numbers, ``;``-separated lists).
* Its header is checked in one place, :func:`check_header`: the columns the caller needs must
  be present; a mined or rerun table must fit the published schema
  (:func:`miners.schema.check_header`: every required column, only declared ones, in the
  declared order); a table of ``tables/`` must have exactly the columns its ``TABLE_DOCS``
  documents (the analysis wrote it from them).
* An absent table is an error when ``required``, else an empty table with the columns asked
  for. Errors are :class:`ResultsError` and say which file and what to do.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from analysis.stages import documented_columns
from miners import schema
from miners.schema.rerun import RERUN

TABLES_DIR = "tables"



class ResultsError(ValueError):
    """A results table is missing or malformed; the message names the file and what to do."""


class MissingTableError(ResultsError, FileNotFoundError):
    """A required table does not exist."""


def table_path(folder: Path, name: str) -> Path:
    """``<folder>/<name>.csv``."""
    return Path(folder) / f"{name}.csv"


def _writer(name: str) -> str:
    """Which stage writes table ``name`` and how to run it."""
    if name.startswith(f"{TABLES_DIR}/"):
        return "the analysis stage: run `make analysis` (python -m analysis all)"
    if name in RERUN:
        return "the rerun stage: run `make rerun`"
    return "the mining stage: run `make mine`, or give the results folder"


def check_header(name: str, header: Sequence[str], path: Path, columns: Sequence[str] = ()) -> None:
    """The header check of every table read (see the module docstring); raises
    :class:`ResultsError`."""
    missing = [c for c in columns if c not in header]
    if missing:
        raise ResultsError(f"{path} lacks the column(s) {', '.join(missing)}")
    if name in schema.TABLES:
        try:
            schema.check_header(name, header, str(path))
        except schema.SchemaError as exc:
            raise ResultsError(f"{exc}: it is written by {_writer(name)}") from exc
    elif name.startswith(f"{TABLES_DIR}/"):
        documented = documented_columns(name.removeprefix(f"{TABLES_DIR}/"))
        if documented is not None and list(header) != documented:
            raise ResultsError(f"{path}: columns {', '.join(header)} differ from the documented "
                               f"{', '.join(documented)}: it was written by another version of "
                               f"the analysis; {_writer(name)}")


def read_table(results: Path, name: str, columns: Sequence[str] = (),
               required: bool = True) -> pd.DataFrame:
    """The published table ``<results>/<name>.csv`` as text, its header checked (see the module
    docstring); ``columns`` are the columns the caller needs. An absent table raises
    :class:`MissingTableError` when ``required``, else is an empty table with ``columns``."""
    path = table_path(results, name)
    frame = _read(path, columns, required, f"it is written by {_writer(name)}")
    if frame is not None:
        check_header(name, list(frame.columns), path, columns)
        return frame
    return pd.DataFrame({c: pd.Series(dtype=str) for c in columns})


def read_study_table(folder: Path, name: str, columns: Sequence[str] = (),
                     required: bool = True) -> pd.DataFrame:
    """A table of the study's own inputs, ``<folder>/<name>.csv`` (the validation's labels and
    draw), read like :func:`read_table`; only the ``columns`` the caller needs are checked."""
    path = table_path(folder, name)
    frame = _read(path, columns, required, f"it belongs in {folder}")
    if frame is None:
        return pd.DataFrame({c: pd.Series(dtype=str) for c in columns})
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ResultsError(f"{path} lacks the column(s) {', '.join(missing)}")
    return frame


def _read(path: Path, columns: Sequence[str], required: bool, hint: str) -> pd.DataFrame | None:
    """The CSV at ``path`` as text; None when it is absent and not ``required``."""
    if not path.is_file():
        if required:
            raise MissingTableError(f"{path} not found: {hint}")
        return None
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False, na_filter=False)
    except pd.errors.EmptyDataError:
        raise ResultsError(f"{path} is empty, not a CSV with a header row: {hint}") from None


def read_provenance(results: Path) -> dict[str, str]:
    """What the analysis quotes of ``provenance.json``: the sample's ``seed`` and ``size`` and
    the near-duplicate threshold ``jaccard``, as text (``""`` when absent or unreadable)."""
    path = Path(results) / "provenance.json"
    meta: dict[str, object] = {}
    if path.is_file():
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
            meta = {"seed": doc.get("sample", {}).get("seed"),
                    "size": doc.get("sample", {}).get("size"),
                    "jaccard": doc.get("select", {}).get("duplicate_jaccard")}
        except (json.JSONDecodeError, AttributeError):
            meta = {}
    return {k: "" if meta.get(k) is None else str(meta[k]) for k in ("seed", "size", "jaccard")}


def as_bool(values: pd.Series) -> pd.Series:
    """``true``/``1``/``yes`` (any case, as the miners write booleans) as True, anything else
    as False; a boolean Series is returned as it is."""
    if values.dtype == bool:
        return values
    return values.astype(str).str.strip().str.lower().isin(("true", "1", "yes"))


def as_number(values: pd.Series) -> pd.Series:
    """Numbers; ``""`` and text that is not a number are NaN. A float written exactly
    (:data:`analysis.formatting.EXACT`) reads back as the same float."""
    return pd.to_numeric(values, errors="coerce")


def split_list(values: pd.Series) -> pd.Series:
    """``;``-separated cells as lists of their non-empty items."""
    return values.fillna("").map(lambda s: [x for x in str(s).split(";") if x])
