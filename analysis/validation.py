"""``python -m analysis validate``: precision and recall of the static detectors against blind
hand labels.

Inputs (``--labels``, default ``study/validation``):

* ``sample.csv`` — the drawn files (``repo, commit, path, kind, lines, stratum, rank``; see
  :mod:`analysis.validation_draw`);
* ``labels.csv`` — one row per hand-labelled site: ``repo, commit, path, cell, line,
  category, api, note``; ``cell`` is the 0-based index in the notebook's cell list (markdown
  cells counted; empty for ``.py``), ``line`` 1-based in the file or cell: the line on which
  the call expression (or assignment target, or string) starts, as in ``call_sites.csv``;
* ``strata.csv`` (optional) — frame and sample size per stratum, for weighted estimates;
* ``adjudication.csv`` (optional) — one row per examined disagreement: ``repo, path, cell,
  line, category, side, decision, explanation``; ``side`` is the side that erred (``label``
  or ``scanner``).

Definitions. A site is the key ``(repo, path, cell, line, category)``; the scanner's sites are
the rows of ``results/call_sites.csv`` in the sampled files. Keys are matched as multisets:
with ``l`` labels and ``s`` scanner rows on one key, ``min(l, s)`` are true positives (TP),
``s - min`` false positives (FP), ``l - min`` false negatives (FN); the ``api`` is shown, not
matched. Per category, precision = TP / (TP + FP) and recall = TP / (TP + FN), each with a
Wilson score 95% interval (scipy's ``binomtest(...).proportion_ci(method="wilson")``); a ratio
with a zero denominator is n/a. Pooled estimates count every sampled site once; the
*weighted* estimates reweight each stratum's counts by frame files / sample files (a
stratified ratio estimator for the whole frame, no interval given).

Outputs: ``<tables>/validation.csv`` (one row per category and stratum, ``all`` pooled),
``<tables>/validation_disagreements.csv`` (every FP and FN), ``<generated>/validation.tex``
(macros) and ``<generated>/validation_table.tex`` (the table). ``--draw`` instead draws the
sample (``sample.csv``, ``strata.csv``) from ``--results`` and ``--clones``; it refuses to
overwrite an existing sample unless ``--force`` is given, since labels belong to one sample.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import pandas as pd

from analysis.validation_draw import (
    KEYWORD_CUES,
    REGISTRY_CUES,
    SAMPLE_COLUMNS,
    STRATA,
    STRATA_COLUMNS,
    build_frame,
    draw,
    select,
    strata_table,
)
from miners.csvio import atomic_write_bytes

__all__ = ["draw", "main", "match", "read_labels", "read_sample", "read_sites", "score", "wilson"]

CATEGORIES = ("tracking", "seed", "registry")
KEY = ["repo", "path", "cell", "line", "category"]
LABEL_COLUMNS = ["repo", "commit", "path", "cell", "line", "category", "api", "note"]
ADJUDICATION_COLUMNS = [
    "repo",
    "path",
    "cell",
    "line",
    "category",
    "side",
    "decision",
    "explanation",
]
#: Decisions an adjudication row may record.
DECISIONS = ("label_corrected", "detector_fixed", "static_limit", "definition_gap")
MATCH_COLUMNS = [*KEY, "outcome", "label_api", "scanner_api", "detail", "note"]
SCORE_COLUMNS = [
    "category",
    "stratum",
    "files",
    "label_sites",
    "scanner_sites",
    "tp",
    "fp",
    "fn",
    "precision",
    "precision_low",
    "precision_high",
    "recall",
    "recall_low",
    "recall_high",
    "precision_weighted",
    "recall_weighted",
]
DISAGREEMENT_COLUMNS = [
    "repo",
    "path",
    "cell",
    "line",
    "category",
    "outcome",
    "api",
    "label_api",
    "scanner_api",
    "detail",
    "note",
    "stratum",
]


class ValidationError(ValueError):
    """Bad validation input: the message names the file and the problem."""


# ----------------------------------------------------------------------------- reading


def _cell(value: object) -> int:
    """Normalise a ``cell`` value: -1 for a ``.py`` file (empty), else the integer index."""
    if (
        value is None
        or (isinstance(value, float) and math.isnan(value))
        or str(value).strip() == ""
    ):
        return -1
    return int(float(str(value)))


def _read(path: Path, columns: list[str], required: bool) -> pd.DataFrame:
    if not path.is_file():
        if required:
            raise ValidationError(f"{path} does not exist")
        return pd.DataFrame(columns=columns)
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValidationError(f"{path} lacks the column(s) {', '.join(missing)}")
    return df


def read_sample(labels_dir: Path) -> pd.DataFrame:
    """``sample.csv`` of the labels folder (empty frame when absent)."""
    df = _read(Path(labels_dir) / "sample.csv", SAMPLE_COLUMNS, required=False)
    dup = df.duplicated(["repo", "path"])
    if dup.any():
        r = df[dup].iloc[0]
        raise ValidationError(f"sample.csv lists {r['repo']}/{r['path']} twice")
    return df.reset_index(drop=True)


def read_labels(labels_dir: Path, sample: pd.DataFrame) -> pd.DataFrame:
    """``labels.csv`` checked against the sample: known categories, integer lines >= 1,
    every labelled file in the sample. Returns ``cell`` and ``line`` as integers (-1: no cell)."""
    path = Path(labels_dir) / "labels.csv"
    df = _read(path, LABEL_COLUMNS, required=False)
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
    files = set(zip(sample["repo"], sample["path"], strict=True))
    outside = [
        f"{r}/{p}" for r, p in zip(df["repo"], df["path"], strict=True) if (r, p) not in files
    ]
    if outside:
        raise ValidationError(
            f"{path}: {len(outside)} label(s) in files outside sample.csv, e.g. {outside[0]}"
        )
    return df.reset_index(drop=True)


def read_sites(results_dir: Path, sample: pd.DataFrame) -> pd.DataFrame:
    """The scanner's rows of ``call_sites.csv`` in the sampled files."""
    path = Path(results_dir) / "call_sites.csv"
    df = _read(path, ["repo", "path", "cell", "line", "category", "api", "detail"], required=True)
    files = set(zip(sample["repo"], sample["path"], strict=True))
    keep = [(r, p) in files for r, p in zip(df["repo"], df["path"], strict=True)]
    df = df[keep].copy()
    df["cell"] = [_cell(v) for v in df["cell"]]
    df["line"] = df["line"].astype(int)
    return df.reset_index(drop=True)


# ----------------------------------------------------------------------------- scoring


def match(labels: pd.DataFrame, sites: pd.DataFrame) -> pd.DataFrame:
    """One row per label and per scanner row, paired on :data:`KEY` as multisets.

    Within a key, rows with equal ``api`` pair first, then the rest in sorted order.
    ``outcome`` is ``TP`` (a pair), ``FN`` (an unpaired label) or ``FP`` (an unpaired scanner
    row)."""
    by_key: dict[tuple, tuple[list, list]] = {}
    for r in labels.itertuples(index=False):
        k = (r.repo, r.path, int(r.cell), int(r.line), r.category)
        by_key.setdefault(k, ([], []))[0].append((str(r.api), str(getattr(r, "note", "") or "")))
    for r in sites.itertuples(index=False):
        k = (r.repo, r.path, int(r.cell), int(r.line), r.category)
        by_key.setdefault(k, ([], []))[1].append((str(r.api), str(getattr(r, "detail", "") or "")))
    rows = []
    for k in sorted(by_key):
        labs, scans = sorted(by_key[k][0]), sorted(by_key[k][1])
        pairs = []
        for la in list(labs):
            same = next((s for s in scans if s[0] == la[0]), None)
            if same is not None:
                pairs.append((la, same))
                labs.remove(la)
                scans.remove(same)
        while labs and scans:
            pairs.append((labs.pop(0), scans.pop(0)))
        for la, sc in pairs:
            rows.append([*k, "TP", la[0], sc[0], sc[1], la[1]])
        rows.extend([*k, "FN", la[0], "", "", la[1]] for la in labs)
        rows.extend([*k, "FP", "", sc[0], sc[1], ""] for sc in scans)
    return pd.DataFrame(rows, columns=MATCH_COLUMNS)


def wilson(k: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of ``k`` successes in ``n`` trials (:func:`analysis.stats.wilson`);
    (nan, nan) when ``n`` is 0."""
    from analysis.stats import wilson as interval

    return interval(k, n, confidence) or (math.nan, math.nan)


def _ratio(k: float, n: float) -> float:
    return k / n if n > 0 else math.nan


def _counts(m: pd.DataFrame) -> tuple[int, int, int]:
    oc = m["outcome"].value_counts()
    return int(oc.get("TP", 0)), int(oc.get("FP", 0)), int(oc.get("FN", 0))


def score(
    matches: pd.DataFrame, sample: pd.DataFrame, strata: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Per category (and ``all``) and per stratum (and ``all``): counts, precision, recall with
    Wilson intervals; pooled rows also carry the frame-weighted estimates when ``strata``
    (``strata.csv``) is given."""
    stratum_of = {
        (r, p): s for r, p, s in zip(sample["repo"], sample["path"], sample["stratum"], strict=True)
    }
    m = matches.copy()
    m["stratum"] = [stratum_of.get((r, p), "") for r, p in zip(m["repo"], m["path"], strict=True)]
    weight: dict[str, float] = {}
    if strata is not None and len(strata):
        for r in strata.itertuples(index=False):
            n, big_n = int(r.sample_files), int(r.frame_files)
            if n > 0:
                weight[r.stratum] = big_n / n
    present = [s for s in STRATA if s in set(sample["stratum"])] + sorted(
        set(sample["stratum"]) - set(STRATA)
    )
    rows = []
    for cat in (*CATEGORIES, "all"):
        mc = m if cat == "all" else m[m["category"] == cat]
        for st in ("all", *present):
            ms = mc if st == "all" else mc[mc["stratum"] == st]
            files = len(sample) if st == "all" else int((sample["stratum"] == st).sum())
            tp, fp, fn = _counts(ms)
            p_lo, p_hi = wilson(tp, tp + fp)
            r_lo, r_hi = wilson(tp, tp + fn)
            pw = rw = math.nan
            if st == "all" and weight and set(present) <= set(weight):
                w = {s: _counts(mc[mc["stratum"] == s]) for s in present}
                wtp = sum(weight[s] * w[s][0] for s in present)
                pw = _ratio(wtp, wtp + sum(weight[s] * w[s][1] for s in present))
                rw = _ratio(wtp, wtp + sum(weight[s] * w[s][2] for s in present))
            rows.append(
                {
                    "category": cat,
                    "stratum": st,
                    "files": files,
                    "label_sites": tp + fn,
                    "scanner_sites": tp + fp,
                    "tp": tp,
                    "fp": fp,
                    "fn": fn,
                    "precision": _ratio(tp, tp + fp),
                    "precision_low": p_lo,
                    "precision_high": p_hi,
                    "recall": _ratio(tp, tp + fn),
                    "recall_low": r_lo,
                    "recall_high": r_hi,
                    "precision_weighted": pw,
                    "recall_weighted": rw,
                }
            )
    return pd.DataFrame(rows, columns=SCORE_COLUMNS)


def disagreements(matches: pd.DataFrame, sample: pd.DataFrame) -> pd.DataFrame:
    """Every FP and FN, with the api of the side that has the row."""
    stratum_of = {
        (r, p): s for r, p, s in zip(sample["repo"], sample["path"], sample["stratum"], strict=True)
    }
    d = matches[matches["outcome"] != "TP"].copy()
    d["api"] = [la or sa for la, sa in zip(d["label_api"], d["scanner_api"], strict=True)]
    d["stratum"] = [stratum_of.get((r, p), "") for r, p in zip(d["repo"], d["path"], strict=True)]
    d["cell"] = ["" if c < 0 else str(c) for c in d["cell"]]
    return d[DISAGREEMENT_COLUMNS].reset_index(drop=True)


def read_adjudication(labels_dir: Path) -> pd.DataFrame:
    """``adjudication.csv`` (empty when absent), with its ``side`` and ``decision`` checked."""
    path = Path(labels_dir) / "adjudication.csv"
    df = _read(path, ADJUDICATION_COLUMNS, required=False)
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


# ----------------------------------------------------------------------------- LaTeX

HEADER = "% Generated by python -m analysis validate; do not edit.\n"
_WORDS = {"tracking": "Tracking", "seed": "Seed", "registry": "Registry", "all": "All"}


def pct(x: float) -> str:
    """A share as a percentage with one decimal (no sign), ``n/a`` when undefined."""
    return "n/a" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{100 * x:.1f}"


def _camel(name: str) -> str:
    return "".join(part.capitalize() for part in name.replace("-", "_").split("_"))


def design_macros(labels_dir: Path, strata: pd.DataFrame) -> dict[str, str]:
    """Macros of the draw's design (``design.csv``) and frame sizes (``strata.csv``); ``n/a``
    when a file is absent, so every macro the paper uses is always defined."""
    design = _read(Path(labels_dir) / "design.csv", ["key", "value"], required=False)
    d = dict(zip(design["key"], design["value"], strict=True))
    out = {
        "ValDrawSeed": d.get("seed", "n/a"),
        "ValMaxLines": d.get("max_lines", "n/a"),
        "ValPerRepo": d.get("per_repo", "n/a"),
        "ValMinRepos": d.get("min_repos", "n/a"),
    }
    counts = {s: (0, 0) for s in STRATA}
    for r in strata.itertuples(index=False):
        counts[r.stratum] = (int(r.frame_files), int(r.sample_files))
    out["ValFrameFiles"] = str(sum(f for f, _ in counts.values())) if len(strata) else "n/a"
    out["ValDrawnFrameFiles"] = (
        str(sum(f for f, n in counts.values() if n > 0)) if len(strata) else "n/a"
    )
    for s, (f, n) in counts.items():
        out[f"ValStratum{_camel(s)}Files"] = str(n)
        out[f"ValStratum{_camel(s)}Frame"] = str(f) if len(strata) else "n/a"
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
    out: list[tuple[str, str]] = [
        ("ValFiles", str(len(sample))),
        ("ValRepos", str(sample["repo"].nunique())),
        ("ValNotebooks", str(int((sample["kind"] == "ipynb").sum()))),
        ("ValFilesWithSites", str(files_with_sites)),
        ("ValLabelSites", str(n_labels)),
        ("ValDisagreements", str(n_disagreements)),
    ]
    out += [(k, v) for k, v in frame_note.items()]
    pooled = table[table["stratum"] == "all"]
    for r in pooled.itertuples(index=False):
        c = _WORDS[r.category]
        out += [
            (f"Val{c}Labels", str(r.label_sites)),
            (f"Val{c}Scanner", str(r.scanner_sites)),
            (f"Val{c}TP", str(r.tp)),
            (f"Val{c}FP", str(r.fp)),
            (f"Val{c}FN", str(r.fn)),
            (f"Val{c}Precision", pct(r.precision)),
            (f"Val{c}PrecisionLow", pct(r.precision_low)),
            (f"Val{c}PrecisionHigh", pct(r.precision_high)),
            (f"Val{c}Recall", pct(r.recall)),
            (f"Val{c}RecallLow", pct(r.recall_low)),
            (f"Val{c}RecallHigh", pct(r.recall_high)),
            (f"Val{c}PrecisionWeighted", pct(r.precision_weighted)),
            (f"Val{c}RecallWeighted", pct(r.recall_weighted)),
        ]
    out.append(("ValAdjudicated", str(len(adjudication))))
    out.append(("ValAdjLabelSide", str(int((adjudication["side"] == "label").sum()))))
    out.append(("ValAdjScannerSide", str(int((adjudication["side"] == "scanner").sum()))))
    for d in DECISIONS:
        out.append((f"ValAdj{_camel(d)}", str(int((adjudication["decision"] == d).sum()))))
    lines = [
        HEADER,
        "% Shares are percentages with one decimal, without the % sign; n/a: undefined.\n",
    ]
    lines += [f"\\newcommand{{\\{name}}}{{{value}}}\n" for name, value in out]
    return "".join(lines)


def table_tex(table: pd.DataFrame) -> str:
    """The precision/recall table (booktabs, one column wide), pooled rows only: counts, then
    each share with its Wilson 95% interval as ``low--high`` (percent)."""

    def ci(lo: float, hi: float) -> str:
        return "n/a" if math.isnan(lo) else f"{pct(lo)}--{pct(hi)}"

    body = []
    for r in table[table["stratum"] == "all"].itertuples(index=False):
        name = "All" if r.category == "all" else r.category
        rule = "\\midrule\n" if r.category == "all" else ""
        body.append(
            f"{rule}{name} & {r.tp} & {r.fp} & {r.fn} & {pct(r.precision)} & "
            f"{ci(r.precision_low, r.precision_high)} & {pct(r.recall)} & "
            f"{ci(r.recall_low, r.recall_high)} \\\\\n"
        )
    return (
        HEADER + "\\begin{tabular}{@{}lrrrrcrc@{}}\n\\toprule\n"
        " & & & & \\multicolumn{2}{c}{Precision (\\%)} & \\multicolumn{2}{c}{Recall (\\%)} \\\\\n"
        "\\cmidrule(lr){5-6}\\cmidrule(l){7-8}\n"
        "Category & TP & FP & FN & & 95\\% CI & & 95\\% CI \\\\\n"
        "\\midrule\n" + "".join(body) + "\\bottomrule\n\\end{tabular}\n"
    )


# ----------------------------------------------------------------------------- I/O


def _write_csv(df: pd.DataFrame, path: Path) -> None:
    atomic_write_bytes(
        Path(path), df.to_csv(index=False, lineterminator="\n", float_format="%.6g").encode()
    )


def _write_text(text: str, path: Path) -> None:
    atomic_write_bytes(Path(path), text.encode())


def validate(
    labels_dir: Path, results_dir: Path, tables_dir: Path, generated_dir: Path
) -> pd.DataFrame:
    """Score the scanner against the labels and write every output; returns the score table."""
    labels_dir = Path(labels_dir)
    sample = read_sample(labels_dir)
    labels = read_labels(labels_dir, sample)
    files_csv = Path(results_dir) / "files.csv"
    if len(sample) and files_csv.exists():
        # only files these results scanned can be scored (another corpus, e.g. the demo's, has
        # none of the labelled files: the validation is then empty, "n/a", not a recall of 0)
        scanned = pd.read_csv(files_csv, usecols=["repo", "path"], dtype=str, keep_default_na=False)
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
    strata = _read(labels_dir / "strata.csv", STRATA_COLUMNS, required=False)
    adjudication = read_adjudication(labels_dir)
    m = match(labels, sites)
    table = score(m, sample, strata)
    files_with_sites = len(set(zip(labels["repo"], labels["path"], strict=True)))
    dis = disagreements(m, sample)
    frame_note = design_macros(labels_dir, strata)
    _write_csv(table, Path(tables_dir) / "validation.csv")
    _write_csv(dis, Path(tables_dir) / "validation_disagreements.csv")
    _write_text(
        macros(table, sample, adjudication, len(labels), len(dis), files_with_sites, frame_note),
        Path(generated_dir) / "validation.tex",
    )
    _write_text(table_tex(table), Path(generated_dir) / "validation_table.tex")
    return table


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
    """Draw the sample and write ``sample.csv`` and ``strata.csv`` into ``labels_dir``."""
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
            s = run_draw(
                a.results,
                a.clones,
                a.labels,
                a.n_files,
                a.min_repos,
                a.seed,
                a.max_lines,
                a.per_repo,
                a.force,
            )
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
    pooled = table[table["stratum"] == "all"]
    for r in pooled.itertuples(index=False):
        print(
            f"validate: {r.category:8s} TP {r.tp:3d} FP {r.fp:3d} FN {r.fn:3d}  "
            f"precision {pct(r.precision)}"
            f"  recall {pct(r.recall)}",
            file=sys.stderr,
        )
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())


#: Field documentation of the tables this module writes (read by analysis.datapackage).
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
