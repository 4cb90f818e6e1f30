"""``python -m analysis validate``: precision and recall of the static detectors against blind
hand labels.

Inputs (``--labels``, default ``study/validation``; read and checked by
:mod:`analysis.validation_labels`): ``sample.csv`` (the drawn files, see
:mod:`analysis.validation_draw`), ``labels.csv`` (one row per labelled site), optional
``strata.csv`` (frame and sample size per stratum, for weighted estimates), ``design.csv`` (the
draw's settings) and ``adjudication.csv`` (one row per examined disagreement); and the
scanner's ``results/call_sites.csv``. Only files that these results scanned (``files.csv``) are
scored: another corpus, e.g. the demo's, has none of the labelled files, and its validation is
then empty (``n/a``), not a recall of 0.

Definitions (matching, precision, recall, Wilson intervals, weighted estimates):
:mod:`analysis.validation_score`.

Outputs: ``<tables>/validation.csv`` (one row per category and stratum, ``all`` pooled),
``<tables>/validation_disagreements.csv`` (every FP and FN), ``<generated>/validation.tex``
(macros ``Val...``; shares as percentages with one decimal, without the % sign) and
``<generated>/validation_table.tex`` (the table). ``--draw`` instead draws the sample
(``sample.csv``, ``strata.csv``, ``design.csv``) from ``--results`` and ``--clones``; it refuses
to overwrite an existing sample unless ``--force`` is given, since labels belong to one sample.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

from analysis.formatting import (
    CsvFormat,
    Digits,
    Macros,
    booktabs,
    count,
    percent,
    percent_interval,
    table_csv,
)
from analysis.output import write_tables, write_text
from analysis.results import read_table, table_path
from analysis.validation_draw import (
    KEYWORD_CUES,
    REGISTRY_CUES,
    STRATA,
    build_frame,
    select,
    strata_table,
)
from analysis.validation_labels import (
    DECISIONS,
    KEY,
    ValidationError,
    read_adjudication,
    read_design,
    read_labels,
    read_sample,
    read_sites,
    read_strata,
)
from analysis.validation_score import disagreements, match, score
from miners.csvio import atomic_write_bytes

__all__ = ["main", "run_draw", "validate"]

STAGE = "validate"
#: Floats of the validation tables (and of the draw's files): 6 significant digits.
CSV_FORMAT = CsvFormat(default=Digits(significant=6))
_WORDS = {"tracking": "Tracking", "seed": "Seed", "registry": "Registry", "all": "All"}


def pct(x: float | None) -> str:
    """A share as a percentage with one decimal, without the % sign; ``n/a`` when undefined."""
    return percent(x, 1, sign=False)


def _camel(name: str) -> str:
    return "".join(part.capitalize() for part in name.replace("-", "_").split("_"))


def design_macros(design: dict[str, str], strata: pd.DataFrame) -> dict[str, str]:
    """Macros of the draw's design (``design.csv``) and frame sizes (``strata.csv``); ``n/a``
    when a file is absent, so every macro the paper uses is always defined."""
    out = {
        "ValDrawSeed": design.get("seed", "n/a"),
        "ValMaxLines": design.get("max_lines", "n/a"),
        "ValPerRepo": design.get("per_repo", "n/a"),
        "ValMinRepos": design.get("min_repos", "n/a"),
    }
    counts = {s: (0, 0) for s in STRATA}
    for r in strata.itertuples(index=False):
        counts[r.stratum] = (int(r.frame_files), int(r.sample_files))
    out["ValFrameFiles"] = count(sum(f for f, _ in counts.values()), False) if len(strata) else "n/a"
    out["ValDrawnFrameFiles"] = (
        count(sum(f for f, n in counts.values() if n > 0), False) if len(strata) else "n/a"
    )
    for s, (f, n) in counts.items():
        out[f"ValStratum{_camel(s)}Files"] = count(n, False)
        out[f"ValStratum{_camel(s)}Frame"] = count(f, False) if len(strata) else "n/a"
    return out


def macros(
    table: pd.DataFrame,
    sample: pd.DataFrame,
    adjudication: pd.DataFrame,
    n_labels: int,
    n_disagreements: int,
    files_with_sites: int,
    frame_note: dict[str, str],
) -> str:
    """The ``validation.tex`` macro file (letters-only names; shares as percentages)."""
    m = Macros(STAGE, notes=["% Shares are percentages with one decimal, without the % sign; "
                             "n/a: undefined."], sort=False)
    for name, k in (("ValFiles", len(sample)), ("ValRepos", sample["repo"].nunique()),
                    ("ValNotebooks", int((sample["kind"] == "ipynb").sum())),
                    ("ValFilesWithSites", files_with_sites), ("ValLabelSites", n_labels),
                    ("ValDisagreements", n_disagreements)):
        m.count(name, k, grouping=False)
    for name, text in frame_note.items():
        m.raw(name, text)
    for r in table[table["stratum"] == "all"].itertuples(index=False):
        c = _WORDS[r.category]
        for name, k in (("Labels", r.label_sites), ("Scanner", r.scanner_sites), ("TP", r.tp),
                        ("FP", r.fp), ("FN", r.fn)):
            m.count(f"Val{c}{name}", k, grouping=False)
        for name in ("precision", "precision_low", "precision_high", "recall", "recall_low",
                     "recall_high", "precision_weighted", "recall_weighted"):
            m.raw(f"Val{c}{_camel(name)}", pct(getattr(r, name)))
    m.count("ValAdjudicated", len(adjudication), grouping=False)
    m.count("ValAdjLabelSide", int((adjudication["side"] == "label").sum()), grouping=False)
    m.count("ValAdjScannerSide", int((adjudication["side"] == "scanner").sum()), grouping=False)
    for d in DECISIONS:
        m.count(f"ValAdj{_camel(d)}", int((adjudication["decision"] == d).sum()), grouping=False)
    return m.render()


def table_tex(table: pd.DataFrame) -> str:
    """The precision/recall table (booktabs, one column wide), pooled rows only: counts, then
    each share with its Wilson 95% interval as ``low--high`` (percent)."""
    rows, rule = [], []
    for r in table[table["stratum"] == "all"].itertuples(index=False):
        if r.category == "all":
            rule.append(len(rows))
        rows.append(["All" if r.category == "all" else r.category, str(r.tp), str(r.fp),
                     str(r.fn), pct(r.precision),
                     percent_interval(r.precision_low, r.precision_high, sign=False,
                                      brackets=False),
                     pct(r.recall),
                     percent_interval(r.recall_low, r.recall_high, sign=False, brackets=False)])
    head = [" & & & & \\multicolumn{2}{c}{Precision (\\%)} & \\multicolumn{2}{c}{Recall (\\%)} "
            "\\\\", "\\cmidrule(lr){5-6}\\cmidrule(l){7-8}",
            "Category & TP & FP & FN & & 95\\% CI & & 95\\% CI \\\\"]
    return booktabs(["Category", "TP", "FP", "FN", "Precision", "95\\% CI", "Recall",
                     "95\\% CI"], "@{}lrrrrcrc@{}", rows, stage=STAGE, head=head,
                    midrule_before=rule)


def validate(
    labels_dir: Path, results_dir: Path, tables_dir: Path, generated_dir: Path
) -> pd.DataFrame:
    """Score the scanner against the labels and write every output; returns the score table."""
    labels_dir = Path(labels_dir)
    sample = read_sample(labels_dir)
    labels = read_labels(labels_dir, sample)
    files_csv = table_path(results_dir, "files")
    if len(sample) and files_csv.is_file():
        # only files these results scanned can be scored (see the module docstring)
        scanned = read_table(results_dir, "files", ["repo", "path"])
        keys = set(zip(scanned["repo"], scanned["path"], strict=True))
        inside = [(r, p) in keys for r, p in zip(sample["repo"], sample["path"], strict=True)]
        if not all(inside):
            print(f"validate: {len(inside) - sum(inside)} of {len(inside)} sampled files are not in "
                  f"{files_csv}; they are left out", file=sys.stderr)
        sample = sample.loc[pd.Series(inside, index=sample.index, dtype=bool)].reset_index(drop=True)
        kept = set(zip(sample["repo"], sample["path"], strict=True))
        mask = [(r, p) in kept for r, p in zip(labels["repo"], labels["path"], strict=True)]
        labels = labels.loc[pd.Series(mask, index=labels.index, dtype=bool)].reset_index(drop=True)
    sites = (
        read_sites(results_dir, sample)
        if len(sample)
        else pd.DataFrame(columns=[*KEY, "api", "detail"])
    )
    strata = read_strata(labels_dir)
    adjudication = read_adjudication(labels_dir)
    m = match(labels, sites)
    table = score(m, sample, strata)
    files_with_sites = len(set(zip(labels["repo"], labels["path"], strict=True)))
    dis = disagreements(m, sample)
    frame_note = design_macros(read_design(labels_dir), strata)
    write_tables(tables_dir, {"validation": table, "validation_disagreements": dis}, TABLE_DOCS,
                 lambda _: CSV_FORMAT)
    write_text(Path(generated_dir) / "validation.tex",
               macros(table, sample, adjudication, len(labels), len(dis), files_with_sites,
                      frame_note))
    write_text(Path(generated_dir) / "validation_table.tex", table_tex(table))
    return table


def _write_csv(df: pd.DataFrame, path: Path) -> None:
    atomic_write_bytes(Path(path), table_csv(df, fmt=CSV_FORMAT))


def run_draw(
    results_dir: Path,
    clones_dir: Path,
    labels_dir: Path,
    n_files: int,
    min_repos: int,
    seed: int,
    max_lines: int,
    per_repo: int,
    force: bool,
) -> pd.DataFrame:
    """Draw the sample and write ``sample.csv``, ``strata.csv`` and ``design.csv`` into
    ``labels_dir``."""
    out = Path(labels_dir) / "sample.csv"
    if out.exists() and not force:
        raise ValidationError(
            f"{out} exists: its labels belong to it; pass --force to draw a new sample"
        )
    frame = build_frame(Path(results_dir) / "files.csv", clones_dir, None, seed, max_lines)
    sample = select(frame, n_files, min_repos, per_repo)
    _write_csv(sample, out)
    _write_csv(strata_table(frame, sample), Path(labels_dir) / "strata.csv")
    design = {
        "seed": seed,
        "n_files": n_files,
        "min_repos": min_repos,
        "per_repo": per_repo,
        "max_lines": max_lines,
        "registry_cues": " ".join(REGISTRY_CUES),
        "keyword_cues": " ".join(KEYWORD_CUES),
    }
    _write_csv(
        pd.DataFrame({"key": list(design), "value": [str(v) for v in design.values()]}),
        Path(labels_dir) / "design.csv",
    )
    return sample


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m analysis validate", description=__doc__.split("\n\n")[0]
    )
    p.add_argument("--labels", type=Path, default=Path("study/validation"))
    p.add_argument("--results", type=Path, default=Path("results"))
    p.add_argument("--tables", type=Path, default=Path("results/tables"))
    p.add_argument("--generated", type=Path, default=Path("paper/generated"))
    p.add_argument("--draw", action="store_true", help="draw sample.csv instead of scoring")
    p.add_argument(
        "--clones", type=Path, default=Path("data/clones"), help="clone work trees (--draw)"
    )
    p.add_argument("--n-files", type=int, default=44)
    p.add_argument("--min-repos", type=int, default=22)
    p.add_argument("--seed", type=int, default=2026)
    p.add_argument("--max-lines", type=int, default=400)
    p.add_argument("--per-repo", type=int, default=2)
    p.add_argument(
        "--force", action="store_true", help="with --draw: overwrite an existing sample.csv"
    )
    a = p.parse_args(argv)
    try:
        if a.draw:
            s = run_draw(a.results, a.clones, a.labels, a.n_files, a.min_repos, a.seed,
                         a.max_lines, a.per_repo, a.force)
            print(
                f"validate: drew {len(s)} files from {s['repo'].nunique()} repositories into "
                f"{a.labels / 'sample.csv'}",
                file=sys.stderr,
            )
            return 0
        table = validate(a.labels, a.results, a.tables, a.generated)
    except (ValidationError, FileNotFoundError, ValueError) as exc:
        print(f"validate: {exc}", file=sys.stderr)
        return 2
    for r in table[table["stratum"] == "all"].itertuples(index=False):
        print(
            f"validate: {r.category:8s} TP {r.tp:3d} FP {r.fp:3d} FN {r.fn:3d}  "
            f"precision {pct(r.precision)}  recall {pct(r.recall)}",
            file=sys.stderr,
        )
    return 0


TABLE_DOCS = {
    "validation": {
        "description": "Precision and recall of the static detectors against the blind hand labels of "
                       "study/validation/, per category (tracking, seed, registry, all) and draw stratum "
                       "(all = pooled). A site is a (repo, path, cell, line, category).",
        "fields": {
            "category": {"type": "string", "description": "detector category: tracking, seed, registry or all"},
            "stratum": {"type": "string", "description": "draw stratum of the files counted (all = every stratum)"},
            "files": {"type": "integer", "description": "labelled files in the stratum"},
            "label_sites": {"type": "integer", "description": "call sites in the hand labels"},
            "scanner_sites": {"type": "integer", "description": "call sites the scanner reports in those files"},
            "tp": {"type": "integer", "description": "sites in both (true positives)"},
            "fp": {"type": "integer", "description": "scanner sites not in the labels (false positives)"},
            "fn": {"type": "integer", "description": "labelled sites the scanner missed (false negatives)"},
            "precision": {"type": "number", "description": "tp / (tp + fp), share 0-1; empty when undefined"},
            "precision_low": {"type": "number", "description": "lower bound of the Wilson 95% interval of precision"},
            "precision_high": {"type": "number", "description": "upper bound of the Wilson 95% interval of precision"},
            "recall": {"type": "number", "description": "tp / (tp + fn), share 0-1; empty when undefined"},
            "recall_low": {"type": "number", "description": "lower bound of the Wilson 95% interval of recall"},
            "recall_high": {"type": "number", "description": "upper bound of the Wilson 95% interval of recall"},
            "precision_weighted": {"type": "number", "description": "precision with strata weighted by their "
                                   "share of the sampling frame (files), share 0-1"},
            "recall_weighted": {"type": "number", "description": "recall with strata weighted by their share "
                                "of the sampling frame (files), share 0-1"},
        },
    },
    "validation_disagreements": {
        "description": "Every false positive and false negative of the detector validation, with the "
                       "adjudication note (study/validation/adjudication.csv).",
        "fields": {
            "repo": {"type": "string", "description": "repository id (owner__name)"},
            "path": {"type": "string", "description": "file path in the repository"},
            "cell": {"type": "integer", "description": "notebook cell index (empty for .py files)"},
            "line": {"type": "integer", "description": "line of the call (1-based, within the cell for notebooks)"},
            "category": {"type": "string", "description": "tracking, seed or registry"},
            "outcome": {"type": "string", "description": "FP (scanner only) or FN (label only)"},
            "api": {"type": "string", "description": "qualified API of the site (label's or scanner's)"},
            "label_api": {"type": "string", "description": "API written by the labeller (empty for FP)"},
            "scanner_api": {"type": "string", "description": "API reported by the scanner (empty for FN)"},
            "detail": {"type": "string", "description": "the scanner's detail field"},
            "note": {"type": "string", "description": "adjudication: why the two disagree"},
            "stratum": {"type": "string", "description": "draw stratum of the file"},
        },
    },
}
