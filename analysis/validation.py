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

from analysis import validation_heldout as heldout
from analysis import validation_repos as vrepos
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
from analysis.results import read_study_table, read_table, table_path
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
from miners.schema.ids import repo_id

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
    validate_heldout(labels_dir / "heldout", results_dir, tables_dir, generated_dir)
    return table


def validate_heldout(heldout_dir: Path, results_dir: Path, tables_dir: Path,
                     generated_dir: Path) -> dict[str, pd.DataFrame] | None:
    """The held-out validation (:mod:`analysis.validation_heldout_report`) when both
    annotators' labels exist and ``results_dir`` holds the held-out files: its tables,
    ``validation_heldout.tex`` (macros) and ``validation_heldout_table.tex``. Returns the
    file-level results, or None. On another corpus (the demo's), which holds none of the
    held-out files, nothing is written: the paper then says the validation is not part of
    that build, rather than print undefined or empty estimates."""
    from analysis import validation_heldout_report as report

    if not report.present(heldout_dir):
        return None
    files = report.file_level(heldout_dir, results_dir)
    if files is None:
        print(f"validate: the held-out files are not in {results_dir}: held-out validation "
              "not written for this corpus", file=sys.stderr)
        return None
    repos = report.repo_level(heldout_dir, results_dir)
    tables = {"validation_heldout": files["scores"], "validation_agreement": files["agreement"],
              "validation_heldout_disagreements": files["disagreements"]}
    if repos is not None:
        tables["validation_repos"] = repos["scores"]
        tables["validation_repos_disagreements"] = repos["disagreements"]
    write_tables(tables_dir, tables, TABLE_DOCS, lambda _: CSV_FORMAT)
    m = Macros(STAGE, notes=["% Held-out validation. Shares are percentages with one decimal, "
                             "without the % sign; n/a: undefined."], sort=False)
    design = read_design(heldout_dir)
    report.macros(m, files, repos, read_study_table(heldout_dir, "sample", heldout.SAMPLE_COLUMNS),
                  f"{int(design['heldout_repos']):,}" if "heldout_repos" in design else "n/a")
    write_text(Path(generated_dir) / "validation_heldout.tex", m.render())
    write_text(Path(generated_dir) / "validation_heldout_table.tex", report.table_tex(files, repos))
    return files


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


def run_heldout_draw(results_dir: Path, clones_dir: Path, heldout_dir: Path, views: Path | None,
                     force: bool) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Draw the held-out file sample and the repository sample (see
    :mod:`analysis.validation_heldout` and :mod:`analysis.validation_repos`) into
    ``heldout_dir``; with ``views``, also write the annotators' views there (``<id>.txt`` and
    ``index.csv``; project code, never committed)."""
    heldout_dir = Path(heldout_dir)
    out = heldout_dir / "sample.csv"
    if out.exists() and not force:
        raise ValidationError(f"{out} exists: its labels belong to it; pass --force to draw again")
    repos = read_study_table(heldout_dir, "heldout_repos", ["full_name"])
    held = [repo_id(n) for n in repos["full_name"]]
    read = heldout.read_text_from(clones_dir)
    frame = heldout.build_frame(results_dir, held, read)
    sample = heldout.select(frame)
    _write_csv(sample, out)
    _write_csv(heldout.strata_table(frame, sample), heldout_dir / "strata.csv")
    rframe = vrepos.build_frame(results_dir, held, read)
    rsample = vrepos.select(rframe)
    _write_csv(rsample, heldout_dir / "repos_sample.csv")
    rstrata = rframe.groupby("stratum").size()
    design = {"seed": heldout.HELDOUT_SEED, "heldout_repos": len(held),
              "frame_repos_with_files": frame["repo"].nunique(),
              "n_files": len(sample), "per_repo": 2, "long_lines": heldout.LONG_LINES,
              **{f"quota_{k}": v for k, v in heldout.QUOTAS.items()},
              "registry_cues": " ".join(REGISTRY_CUES), "keyword_cues": " ".join(KEYWORD_CUES),
              "repo_frame": len(rframe),
              **{f"repo_frame_{k}": int(v) for k, v in rstrata.items()},
              **{f"repo_quota_{k}": v for k, v in vrepos.QUOTAS.items()}}
    _write_csv(pd.DataFrame({"key": list(design), "value": [str(v) for v in design.values()]}),
               heldout_dir / "design.csv")
    if views is not None:
        write_heldout_views(results_dir, clones_dir, sample, rsample, views)
    return sample, rsample


def write_heldout_views(results_dir: Path, clones_dir: Path, sample: pd.DataFrame,
                        rsample: pd.DataFrame, views: Path) -> tuple[int, int]:
    """The annotators' views of a drawn held-out sample: ``<views>/<id>.txt`` per file (numbered
    lines, :func:`analysis.validation_heldout.render`), ``index.csv``, and
    ``<views>/repos/<id>/<path>.txt`` with ``repos/index.csv`` for the repository sample. Views
    are project code and never committed. Returns (file views, files without a view): a file
    missing from the clones or that cannot be rendered gets no view and is counted."""
    read = heldout.read_text_from(clones_dir)
    views = Path(views)
    views.mkdir(parents=True, exist_ok=True)
    written = missing = 0
    for r in sample.itertuples(index=False):
        raw = read(r.repo, r.path)
        if raw is None:
            missing += 1
            continue
        text, _ = heldout.render(raw, r.kind)
        (views / f"{r.id}.txt").write_text(text, encoding="utf-8")
        written += 1
    sample[["id", "repo", "commit", "path", "kind", "lines", "units"]].to_csv(
        views / "index.csv", index=False)
    files = read_table(results_dir, "files", ["repo", "path", "kind", "status"])
    parsed = files[(files["status"] == "parsed") & files["kind"].isin(["py", "ipynb"])]
    for r in rsample.itertuples(index=False):
        for path, kind in zip(*(parsed.loc[parsed["repo"] == r.repo, c] for c in ("path", "kind")),
                              strict=True):
            raw = read(r.repo, path)
            if raw is None:
                missing += 1
                continue
            try:
                text, _ = heldout.render(raw, kind)
            except (ValueError, KeyError, TypeError):  # e.g. a notebook that is not JSON
                missing += 1
                continue
            target = views / "repos" / r.id / f"{path}.txt"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
    (views / "repos").mkdir(parents=True, exist_ok=True)
    rsample[["id", "repo", "commit", "files"]].to_csv(views / "repos" / "index.csv", index=False)
    return written, missing


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m analysis validate", description=__doc__.split("\n\n")[0]
    )
    p.add_argument("--labels", type=Path, default=Path("study/validation"))
    p.add_argument("--results", type=Path, default=Path("results"))
    p.add_argument("--tables", type=Path, default=Path("results/tables"))
    p.add_argument("--generated", type=Path, default=Path("paper/generated"))
    p.add_argument("--draw", action="store_true", help="draw sample.csv instead of scoring")
    p.add_argument("--heldout-draw", action="store_true",
                   help="draw the held-out samples into <labels>/heldout instead of scoring")
    p.add_argument("--views", type=Path, default=None,
                   help="with --heldout-draw: write the annotators' file views here (not committed)")
    p.add_argument("--heldout-views", type=Path, default=None, metavar="DIR",
                   help="write the annotators' views of the drawn held-out samples (sample.csv, "
                        "repos_sample.csv) into DIR from --clones, without drawing again")
    p.add_argument(
        "--clones", type=Path, default=Path("data/clones"),
        help="clone work trees (--draw, --heldout-draw, --heldout-views)"
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
        if a.heldout_views is not None:
            hd = a.labels / "heldout"
            sample = read_study_table(hd, "sample", heldout.SAMPLE_COLUMNS)
            rsample = read_study_table(hd, "repos_sample", vrepos.SAMPLE_COLUMNS)
            n, missing = write_heldout_views(a.results, a.clones, sample, rsample, a.heldout_views)
            print(f"validate: {n} of {len(sample)} held-out file views and the views of "
                  f"{len(rsample)} repositories written to {a.heldout_views}; {missing} files "
                  f"without a view (missing from {a.clones} or unreadable)", file=sys.stderr)
            return 0 if missing == 0 else 1
        if a.heldout_draw:
            s, rs = run_heldout_draw(a.results, a.clones, a.labels / "heldout", a.views, a.force)
            print(f"validate: drew {len(s)} held-out files from {s['repo'].nunique()} repositories "
                  f"and {len(rs)} repositories into {a.labels / 'heldout'}", file=sys.stderr)
            return 0
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

_SCORE_FIELDS = TABLE_DOCS["validation"]["fields"]
TABLE_DOCS["validation_heldout"] = {
    "description": "Held-out validation (study/validation/heldout/): precision and recall of the static "
                   "detectors per reference, category and stratum. reference = consensus (the two "
                   "annotators' labels after their own adjudication, frozen before any comparison with "
                   "the scanner) or adjudicated (after the scanner-side adjudication).",
    "fields": {"reference": {"type": "string", "description": "consensus or adjudicated"},
               **_SCORE_FIELDS},
}
TABLE_DOCS["validation_agreement"] = {
    "description": "Held-out validation: agreement of annotators A and B before adjudication, per "
                   "category (all = every category). A unit is one code line of a sampled file and one "
                   "category; 95% intervals are percentiles of a bootstrap over files.",
    "fields": {
        "category": {"type": "string", "description": "tracking, seed, registry or all"},
        "files": {"type": "integer", "description": "files of the held-out sample"},
        "units": {"type": "integer", "description": "units (code lines x categories)"},
        "a_units": {"type": "integer", "description": "units annotator A marked"},
        "b_units": {"type": "integer", "description": "units annotator B marked"},
        "both_units": {"type": "integer", "description": "units both marked"},
        "kappa_line": {"type": "number", "description": "Cohen's kappa over units"},
        "kappa_line_low": {"type": "number", "description": "lower bound of its 95% bootstrap interval"},
        "kappa_line_high": {"type": "number", "description": "upper bound of its 95% bootstrap interval"},
        "kappa_file": {"type": "number", "description": "Cohen's kappa over files (any site of the category)"},
        "kappa_file_low": {"type": "number", "description": "lower bound of its 95% bootstrap interval"},
        "kappa_file_high": {"type": "number", "description": "upper bound of its 95% bootstrap interval"},
        "positive_agreement": {"type": "number", "description": "2 both / (a_units + b_units), share 0-1"},
        "positive_agreement_low": {"type": "number", "description": "lower bound of its 95% bootstrap interval"},
        "positive_agreement_high": {"type": "number", "description": "upper bound of its 95% bootstrap interval"},
        "a_sites": {"type": "integer", "description": "site rows annotator A labelled"},
        "b_sites": {"type": "integer", "description": "site rows annotator B labelled"},
    },
}
TABLE_DOCS["validation_heldout_disagreements"] = {
    "description": "Held-out validation: every difference between the annotators' consensus and the "
                   "scanner, with the adjudication note (study/validation/heldout/adjudication.csv).",
    "fields": TABLE_DOCS["validation_disagreements"]["fields"],
}
TABLE_DOCS["validation_repos"] = {
    "description": "Repository-level validation of the research questions' fields on the held-out "
                   "repository sample: agreement of annotators A and B, and of the scanner "
                   "(repo_features.csv) with their consensus.",
    "fields": {
        "field": {"type": "string", "description": "repo_features.csv column"},
        "repos": {"type": "integer", "description": "repositories labelled"},
        "ab_agree": {"type": "integer", "description": "repositories on which A and B agree"},
        "ab_kappa": {"type": "number", "description": "Cohen's kappa of A and B over repositories"},
        "scanner_agree": {"type": "integer", "description": "repositories on which the scanner equals the consensus"},
        "accuracy": {"type": "number", "description": "scanner_agree / repos, share 0-1"},
        "accuracy_low": {"type": "number", "description": "lower bound of the Wilson 95% interval"},
        "accuracy_high": {"type": "number", "description": "upper bound of the Wilson 95% interval"},
        "tp": {"type": "integer", "description": "booleans: true in both"},
        "fp": {"type": "integer", "description": "booleans: true for the scanner only"},
        "fn": {"type": "integer", "description": "booleans: true in the consensus only"},
        "tn": {"type": "integer", "description": "booleans: false in both"},
        "precision": {"type": "number", "description": "tp / (tp + fp), share 0-1"},
        "precision_low": {"type": "number", "description": "lower bound of the Wilson 95% interval"},
        "precision_high": {"type": "number", "description": "upper bound of the Wilson 95% interval"},
        "recall": {"type": "number", "description": "tp / (tp + fn), share 0-1"},
        "recall_low": {"type": "number", "description": "lower bound of the Wilson 95% interval"},
        "recall_high": {"type": "number", "description": "upper bound of the Wilson 95% interval"},
    },
}
TABLE_DOCS["validation_repos_disagreements"] = {
    "description": "Repository-level validation: every (repository, field) where the scanner differs "
                   "from the annotators' consensus.",
    "fields": {
        "repo": {"type": "string", "description": "repository id (owner__name)"},
        "field": {"type": "string", "description": "repo_features.csv column"},
        "consensus": {"type": "string", "description": "the annotators' consensus value"},
        "scanner": {"type": "string", "description": "the scanner's value"},
        "side": {"type": "string", "description": "the side that erred: label or scanner "
                 "(study/validation/heldout/repos_scanner_notes.csv; empty: not examined)"},
        "decision": {"type": "string", "description": "label_corrected, detector_fixed, "
                     "static_limit or definition_gap"},
        "explanation": {"type": "string", "description": "why the two differ"},
    },
}
