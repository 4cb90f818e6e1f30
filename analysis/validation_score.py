"""Scoring the static detectors against the labels: matching sites, precision and recall.

Definitions. A site is the key ``(repo, path, cell, line, category)``; the scanner's sites are
the rows of ``results/call_sites.csv`` in the sampled files. Keys are matched as multisets:
with ``l`` labels and ``s`` scanner rows on one key, ``min(l, s)`` are true positives (TP),
``s - min`` false positives (FP), ``l - min`` false negatives (FN); the ``api`` is shown, not
matched. Per category, precision = TP / (TP + FP) and recall = TP / (TP + FN), each with a
Wilson score 95% interval; a ratio with a zero denominator is NaN (``n/a``). Pooled estimates
count every sampled site once; the *weighted* estimates reweight each stratum's counts by
frame files / sample files (a stratified ratio estimator for the whole frame, no interval).
"""

from __future__ import annotations

import math

import pandas as pd

from analysis.inference import wilson_or_nan
from analysis.validation_draw import STRATA
from analysis.validation_labels import CATEGORIES, KEY

MATCH_COLUMNS = [*KEY, "outcome", "label_api", "scanner_api", "detail", "note"]
SCORE_COLUMNS = ["category", "stratum", "files", "label_sites", "scanner_sites", "tp", "fp", "fn",
                 "precision", "precision_low", "precision_high", "recall", "recall_low",
                 "recall_high", "precision_weighted", "recall_weighted"]
DISAGREEMENT_COLUMNS = ["repo", "path", "cell", "line", "category", "outcome", "api",
                        "label_api", "scanner_api", "detail", "note", "stratum"]


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


def _ratio(k: float, n: float) -> float:
    return k / n if n > 0 else math.nan


def _counts(m: pd.DataFrame) -> tuple[int, int, int]:
    oc = m["outcome"].value_counts()
    return int(oc.get("TP", 0)), int(oc.get("FP", 0)), int(oc.get("FN", 0))


def _stratum_of(sample: pd.DataFrame) -> dict[tuple[str, str], str]:
    return {(r, p): s for r, p, s in zip(sample["repo"], sample["path"], sample["stratum"],
                                         strict=True)}


def score(
    matches: pd.DataFrame, sample: pd.DataFrame, strata: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Per category (and ``all``) and per stratum (and ``all``): counts, precision, recall with
    Wilson intervals; pooled rows also carry the frame-weighted estimates when ``strata``
    (``strata.csv``) is given."""
    stratum_of = _stratum_of(sample)
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
            p_lo, p_hi = wilson_or_nan(tp, tp + fp)
            r_lo, r_hi = wilson_or_nan(tp, tp + fn)
            pw = rw = math.nan
            if st == "all" and weight and set(present) <= set(weight):
                w = {s: _counts(mc[mc["stratum"] == s]) for s in present}
                wtp = sum(weight[s] * w[s][0] for s in present)
                pw = _ratio(wtp, wtp + sum(weight[s] * w[s][1] for s in present))
                rw = _ratio(wtp, wtp + sum(weight[s] * w[s][2] for s in present))
            rows.append({"category": cat, "stratum": st, "files": files,
                         "label_sites": tp + fn, "scanner_sites": tp + fp,
                         "tp": tp, "fp": fp, "fn": fn,
                         "precision": _ratio(tp, tp + fp), "precision_low": p_lo,
                         "precision_high": p_hi, "recall": _ratio(tp, tp + fn),
                         "recall_low": r_lo, "recall_high": r_hi,
                         "precision_weighted": pw, "recall_weighted": rw})
    return pd.DataFrame(rows, columns=SCORE_COLUMNS)


def disagreements(matches: pd.DataFrame, sample: pd.DataFrame) -> pd.DataFrame:
    """Every FP and FN, with the api of the side that has the row."""
    stratum_of = _stratum_of(sample)
    d = matches[matches["outcome"] != "TP"].copy()
    d["api"] = [la or sa for la, sa in zip(d["label_api"], d["scanner_api"], strict=True)]
    d["stratum"] = [stratum_of.get((r, p), "") for r, p in zip(d["repo"], d["path"], strict=True)]
    d["cell"] = ["" if c < 0 else str(c) for c in d["cell"]]
    return d[DISAGREEMENT_COLUMNS].reset_index(drop=True)
