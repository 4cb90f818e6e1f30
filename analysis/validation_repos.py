"""Repository-level validation: the booleans the research questions use, read by two annotators
from a repository's files, against ``repo_features.csv``.

Definitions.

* **Fields** (:data:`FIELDS`): ``logs_params``, ``logs_metrics``, ``uses_registry``,
  ``uses_stages``, ``uses_aliases``, ``sets_seed`` (``true``/``false``) and ``seed_coverage``
  (``complete``, ``partial``, ``none``, ``no_random_framework``), as the codebook defines them.
* **Frame.** The held-out repositories (``heldout_repos.csv``) selected in ``corpus.csv`` whose
  parsed ``.py``/``.ipynb`` files mention ``mlflow`` in their raw text (never the scanner's
  output). **Strata**: ``registry_cue`` when one such file also holds a registry cue
  (:data:`analysis.validation_draw.REGISTRY_CUES`), else ``other``. **Rank**: hex SHA-256 of
  ``"<seed>:<repo>"``; repositories are taken in rank order up to each stratum's quota
  (:data:`QUOTAS`).
* **Annotation.** Each annotator fills one row per repository (``repos_a.csv``,
  ``repos_b.csv``: ``repo``, the fields, ``evidence``). Where the two differ, the adjudication
  log (``repos_adjudication.csv``: ``repo, field, a, b, value, explanation``) gives the value;
  elsewhere their common value is the consensus.
* **Scores** (:func:`score`): per field, the annotators' agreement (share and Cohen's kappa over
  repositories) and the scanner's agreement with the consensus (accuracy with a Wilson 95%
  interval; for booleans also TP, FP, FN, TN, precision and recall with Wilson intervals).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from analysis.inference import cohen_kappa, wilson_or_nan
from analysis.validation_draw import REGISTRY_CUES
from analysis.validation_heldout import HELDOUT_SEED, TextReader, heldout_files

BOOL_FIELDS = ("logs_params", "logs_metrics", "uses_registry", "uses_stages", "uses_aliases",
               "sets_seed")
COVERAGE = ("complete", "partial", "none", "no_random_framework")
FIELDS = (*BOOL_FIELDS, "seed_coverage")
QUOTAS = {"registry_cue": 25, "other": 25}
SAMPLE_COLUMNS = ["id", "repo", "commit", "stratum", "files", "rank"]
ANNOTATION_COLUMNS = ["repo", *FIELDS, "evidence"]
ADJ_COLUMNS = ["repo", "field", "a", "b", "value", "explanation"]
SCORE_COLUMNS = ["field", "repos", "ab_agree", "ab_kappa", "scanner_agree", "accuracy",
                 "accuracy_low", "accuracy_high", "tp", "fp", "fn", "tn", "precision",
                 "precision_low", "precision_high", "recall", "recall_low", "recall_high"]


def repo_rank(seed: int, repo: str) -> str:
    return hashlib.sha256(f"{seed}:{repo}".encode()).hexdigest()


def build_frame(results_dir: Path, repos: Iterable[str], read_text: TextReader,
                seed: int = HELDOUT_SEED) -> pd.DataFrame:
    """Every frame repository with its stratum, number of parsed files and rank, by rank."""
    commits, f = heldout_files(results_dir, repos)
    rows = []
    for repo, grp in f.groupby("repo", sort=True):
        mentions = cue = False
        for path in grp["path"]:
            low = (read_text(str(repo), path) or "").lower()
            if "mlflow" in low:
                mentions = True
                cue = cue or any(c in low for c in REGISTRY_CUES)
        if mentions:
            rows.append({"id": "", "repo": repo, "commit": commits[str(repo)],
                         "stratum": "registry_cue" if cue else "other", "files": len(grp),
                         "rank": repo_rank(seed, str(repo))})
    frame = pd.DataFrame(rows, columns=SAMPLE_COLUMNS)
    return frame.sort_values("rank", kind="stable").reset_index(drop=True)


def select(frame: pd.DataFrame, quotas: dict[str, int] | None = None) -> pd.DataFrame:
    """The repositories of the sample, ids ``R01``... by stratum then rank."""
    quotas = dict(quotas or QUOTAS)
    parts = []
    for s, n in quotas.items():
        part = frame[frame["stratum"] == s].head(n)
        if len(part) < n:
            raise ValueError(f"stratum {s} has {len(part)} repositories, fewer than its quota {n}")
        parts.append(part)
    out = pd.concat(parts, ignore_index=True)
    out["id"] = [f"R{i:02d}" for i in range(1, len(out) + 1)]
    return out[SAMPLE_COLUMNS]


def _norm(field: str, value: object) -> str:
    v = str(value).strip().lower()
    if field in BOOL_FIELDS:
        if v in ("true", "1", "yes"):
            return "true"
        if v in ("false", "0", "no", ""):
            return "false"
        raise ValueError(f"{field}: {value!r} is not a boolean (true/false)")
    if v not in COVERAGE:
        raise ValueError(f"seed_coverage: {value!r} is not one of {', '.join(COVERAGE)}")
    return v


def normalise(df: pd.DataFrame, where: str) -> pd.DataFrame:
    """An annotation table with its values checked and lower-cased (ValueError names the file)."""
    out = df.copy()
    try:
        for f in FIELDS:
            out[f] = [_norm(f, v) for v in out[f]]
    except ValueError as exc:
        raise ValueError(f"{where}: {exc}") from None
    return out


def consensus(a: pd.DataFrame, b: pd.DataFrame, adjudication: pd.DataFrame) -> pd.DataFrame:
    """Per repository and field, the common value of A and B, or the adjudicated one."""
    adj = {(r.repo, r.field): _norm(r.field, r.value) for r in adjudication.itertuples(index=False)}
    ia, ib = a.set_index("repo"), b.set_index("repo")
    missing = set(ia.index) ^ set(ib.index)
    if missing:
        raise ValueError(f"annotations: repositories labelled by one annotator only: {sorted(missing)}")
    rows = []
    for repo in sorted(ia.index):
        row = {"repo": repo}
        for f in FIELDS:
            va, vb = ia.at[repo, f], ib.at[repo, f]
            if va == vb:
                row[f] = va
            elif (repo, f) in adj:
                row[f] = adj[(repo, f)]
            else:
                raise ValueError(f"repos_adjudication.csv: no value for {repo} {f} (A {va}, B {vb})")
        rows.append(row)
    return pd.DataFrame(rows, columns=["repo", *FIELDS])


def scanner_values(features: pd.DataFrame, repos: Iterable[str]) -> pd.DataFrame:
    """The scanner's values of :data:`FIELDS` for the repositories (``repo_features.csv``)."""
    f = features.set_index("repo")
    rows = []
    for repo in repos:
        if repo not in f.index:
            raise ValueError(f"repo_features.csv has no row for {repo}")
        rows.append({"repo": repo, **{k: _norm(k, f.at[repo, k]) for k in FIELDS}})
    return pd.DataFrame(rows, columns=["repo", *FIELDS])


def score(a: pd.DataFrame, b: pd.DataFrame, cons: pd.DataFrame,
          scanner: pd.DataFrame) -> pd.DataFrame:
    """One row per field (see the module docstring)."""
    ia, ib = a.set_index("repo"), b.set_index("repo")
    ic, isc = cons.set_index("repo"), scanner.set_index("repo")
    repos = sorted(ic.index)
    rows = []
    for f in FIELDS:
        xa = [ia.at[r, f] for r in repos]
        xb = [ib.at[r, f] for r in repos]
        xc = [ic.at[r, f] for r in repos]
        xs = [isc.at[r, f] for r in repos]
        agree = sum(p == q for p, q in zip(xc, xs, strict=True))
        lo, hi = wilson_or_nan(agree, len(repos))
        row = {"field": f, "repos": len(repos),
               "ab_agree": sum(p == q for p, q in zip(xa, xb, strict=True)),
               "ab_kappa": cohen_kappa(xa, xb), "scanner_agree": agree,
               "accuracy": agree / len(repos) if repos else math.nan,
               "accuracy_low": lo, "accuracy_high": hi}
        if f in BOOL_FIELDS:
            tp = sum(c == "true" and s == "true" for c, s in zip(xc, xs, strict=True))
            fp = sum(c == "false" and s == "true" for c, s in zip(xc, xs, strict=True))
            fn = sum(c == "true" and s == "false" for c, s in zip(xc, xs, strict=True))
            tn = len(repos) - tp - fp - fn
            plo, phi = wilson_or_nan(tp, tp + fp)
            rlo, rhi = wilson_or_nan(tp, tp + fn)
            row.update({"tp": tp, "fp": fp, "fn": fn, "tn": tn,
                        "precision": tp / (tp + fp) if tp + fp else math.nan,
                        "precision_low": plo, "precision_high": phi,
                        "recall": tp / (tp + fn) if tp + fn else math.nan,
                        "recall_low": rlo, "recall_high": rhi})
        rows.append(row)
    return pd.DataFrame(rows, columns=SCORE_COLUMNS)


#: Columns of ``repos_scanner_notes.csv``: the examination of each difference between the
#: consensus and the scanner (``side``: ``label`` or ``scanner``; ``decision`` as in the
#: file-level adjudication). The scores are not changed by it; the notes explain the differences.
NOTE_COLUMNS = ["repo", "field", "side", "decision", "explanation"]


def disagreements(cons: pd.DataFrame, scanner: pd.DataFrame,
                  notes: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every (repository, field) where the scanner differs from the consensus, with the
    examination of it from ``notes`` (:data:`NOTE_COLUMNS`; empty where there is none)."""
    ic, isc = cons.set_index("repo"), scanner.set_index("repo")
    known = {} if notes is None else {(r.repo, r.field): r for r in notes.itertuples(index=False)}
    rows = []
    for r in sorted(ic.index):
        for f in FIELDS:
            if ic.at[r, f] != isc.at[r, f]:
                n = known.get((r, f))
                rows.append({"repo": r, "field": f, "consensus": ic.at[r, f], "scanner": isc.at[r, f],
                             "side": n.side if n else "", "decision": n.decision if n else "",
                             "explanation": n.explanation if n else ""})
    return pd.DataFrame(rows, columns=["repo", "field", "consensus", "scanner", "side", "decision",
                                       "explanation"])
