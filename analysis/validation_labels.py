"""The inputs of the detector validation, read and checked: the drawn files (``sample.csv``),
the blind labels (``labels.csv``), the adjudication of disagreements (``adjudication.csv``),
the draw's design and frame sizes (``design.csv``, ``strata.csv``), and the scanner's sites in
the drawn files (``results/call_sites.csv``).

Definitions.

* ``labels.csv``: one row per labelled site, ``repo, commit, path, cell, line, category, api,
  note``; ``cell`` is the 0-based index in the notebook's cell list (markdown cells counted;
  empty for ``.py``), ``line`` 1-based in the file or cell: the line on which the call
  expression (or assignment target, or string) starts, as in ``call_sites.csv``. In memory a
  ``.py`` file's cell is -1.
* ``adjudication.csv``: one row per examined disagreement, ``repo, path, cell, line, category,
  side, decision, explanation``; ``side`` is the side that erred (``label`` or ``scanner``),
  ``decision`` one of :data:`DECISIONS`.

Bad input is a :class:`ValidationError` naming the file and the problem.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from analysis.results import read_study_table, read_table
from analysis.validation_draw import SAMPLE_COLUMNS, STRATA_COLUMNS

#: The categories the labels cover: the labelling instructions of ``study/validation/`` define
#: tracking, seed and registry sites; later detector families (``model_ref``) are not labelled
#: there, so their rows are neither scored nor counted as false positives.
CATEGORIES = ("tracking", "seed", "registry")

KEY = ["repo", "path", "cell", "line", "category"]
LABEL_COLUMNS = ["repo", "commit", "path", "cell", "line", "category", "api", "note"]
ADJUDICATION_COLUMNS = ["repo", "path", "cell", "line", "category", "side", "decision",
                        "explanation"]
#: Decisions an adjudication row may record.
DECISIONS = ("label_corrected", "detector_fixed", "static_limit", "definition_gap")
SITE_COLUMNS = ["repo", "path", "cell", "line", "category", "api", "detail"]


class ValidationError(ValueError):
    """Bad validation input: the message names the file and the problem."""


def _cell(value: object) -> int:
    """Normalise a ``cell`` value: -1 for a ``.py`` file (empty), else the integer index."""
    if (
        value is None
        or (isinstance(value, float) and math.isnan(value))
        or str(value).strip() == ""
    ):
        return -1
    return int(float(str(value)))


def _files(frame: pd.DataFrame) -> set[tuple[str, str]]:
    return set(zip(frame["repo"], frame["path"], strict=True))


def read_sample(labels_dir: Path) -> pd.DataFrame:
    """``sample.csv`` of the labels folder (empty when absent)."""
    df = read_study_table(labels_dir, "sample", SAMPLE_COLUMNS, required=False)
    dup = df.duplicated(["repo", "path"])
    if dup.any():
        r = df[dup].iloc[0]
        raise ValidationError(f"sample.csv lists {r['repo']}/{r['path']} twice")
    return df.reset_index(drop=True)


def read_strata(labels_dir: Path) -> pd.DataFrame:
    """``strata.csv`` of the labels folder (empty when absent)."""
    return read_study_table(labels_dir, "strata", STRATA_COLUMNS, required=False)


def read_design(labels_dir: Path) -> dict[str, str]:
    """``design.csv`` of the labels folder as key -> value (empty when absent)."""
    design = read_study_table(labels_dir, "design", ["key", "value"], required=False)
    return dict(zip(design["key"], design["value"], strict=True))


def read_labels(labels_dir: Path, sample: pd.DataFrame, name: str = "labels") -> pd.DataFrame:
    """``<name>.csv`` (default ``labels.csv``) checked against the sample: known categories,
    integer lines >= 1, every labelled file in the sample. Returns ``cell`` and ``line`` as
    integers (-1: no cell)."""
    path = Path(labels_dir) / f"{name}.csv"
    df = read_study_table(labels_dir, name, LABEL_COLUMNS, required=False)
    bad = df[~df["category"].isin(CATEGORIES)]
    if len(bad):
        raise ValidationError(
            f"{path}: unknown category {bad['category'].iloc[0]!r} "
            f"(use one of {', '.join(CATEGORIES)})"
        )
    try:
        df["cell"] = [_cell(v) for v in df["cell"]]
        df["line"] = [int(v) for v in df["line"]]
    except ValueError as exc:
        raise ValidationError(f"{path}: cell and line must be integers ({exc})") from None
    if (df["line"] < 1).any():
        raise ValidationError(f"{path}: line numbers are 1-based")
    files = _files(sample)
    outside = [
        f"{r}/{p}" for r, p in zip(df["repo"], df["path"], strict=True) if (r, p) not in files
    ]
    if outside:
        raise ValidationError(
            f"{path}: {len(outside)} label(s) in files outside sample.csv, e.g. {outside[0]}"
        )
    return df.reset_index(drop=True)


def read_sites(results_dir: Path, sample: pd.DataFrame) -> pd.DataFrame:
    """The scanner's rows of ``call_sites.csv`` in the sampled files, of the labelled
    :data:`CATEGORIES`."""
    df = read_table(results_dir, "call_sites", SITE_COLUMNS)
    files = _files(sample)
    keep = [(r, p) in files and c in CATEGORIES
            for r, p, c in zip(df["repo"], df["path"], df["category"], strict=True)]
    df = df[keep].copy()
    df["cell"] = [_cell(v) for v in df["cell"]]
    df["line"] = df["line"].astype(int)
    return df.reset_index(drop=True)


def read_adjudication(labels_dir: Path) -> pd.DataFrame:
    """``adjudication.csv`` (empty when absent), with its ``side`` and ``decision`` checked."""
    path = Path(labels_dir) / "adjudication.csv"
    df = read_study_table(labels_dir, "adjudication", ADJUDICATION_COLUMNS, required=False)
    bad_side = df[~df["side"].isin(["label", "scanner"])]
    if len(bad_side):
        raise ValidationError(
            f"{path}: side must be label or scanner, not {bad_side['side'].iloc[0]!r}"
        )
    bad = df[~df["decision"].isin(DECISIONS)]
    if len(bad):
        raise ValidationError(
            f"{path}: unknown decision {bad['decision'].iloc[0]!r} "
            f"(use one of {', '.join(DECISIONS)})"
        )
    return df
