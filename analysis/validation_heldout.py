"""The held-out validation (v2): a file sample drawn after the detectors were frozen, labelled by
two annotators, their agreement, and the consensus.

Definitions.

* **Held-out repositories.** The repositories of the census first looked up after the detectors
  (miner version) were frozen; they are listed in ``heldout_repos.csv`` of the labels folder and
  none of their files was seen while the detectors were written or changed. A file of the
  held-out sample never changes a detector: a scanner error it shows is reported, not fixed.
* **Frame.** Every ``py``/``ipynb`` file of ``files.csv`` with ``status`` ``parsed`` in a held-out
  repository that ``corpus.csv`` marks ``selected``, of any length.
* **Strata** (:func:`heldout_stratum`): ``long`` for a file of more than :data:`LONG_LINES`
  lines (``files.csv`` ``lines``); otherwise the text strata of :mod:`analysis.validation_draw`
  (``mlflow_registry``, ``mlflow_other``, ``keyword``, ``residual``). Unlike the development
  sample, long files and the residual stratum are drawn.
* **Rank and allocation.** The rank of :func:`analysis.validation_draw.rank` with the held-out
  seed; files are taken in rank order while their stratum's quota (:data:`QUOTAS`) has room and
  their repository has fewer than ``per_repo`` files taken.
* **View** (:func:`render`): what an annotator reads, the file with numbered lines; a notebook
  as its cells in order (markdown cells counted, shown as a header only), each code cell's
  source lines numbered from 1 within the cell. These are the positions of ``call_sites.csv``.
* **Unit** (agreement): one code line of a sampled file and one category; an annotator marks a
  unit when it labels at least one site of that category on that line. ``units`` in
  ``sample.csv`` is the file's number of code lines (of every code cell of a notebook).
* **Agreement** (:func:`agreement`): per category, Cohen's kappa over all units (line level),
  over files (file level: the file holds at least one site of the category), and positive
  agreement ``2 n11 / (2 n11 + n10 + n01)`` over marked units, each with a 95% percentile
  interval from a bootstrap over files (:data:`BOOTSTRAP` resamples, seed :data:`BOOT_SEED`).
* **Consensus** (:func:`consensus`): on every site key (``repo, path, cell, line, category``)
  where the two annotators' multisets of rows differ, the adjudication log names the side that
  is right (``a``, ``b``, or ``none``: no site); elsewhere the annotators agree and their rows
  are kept. The consensus is frozen before it is compared with the scanner.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.results import read_table
from analysis.validation_draw import rank, stratum
from miners.schema.ids import repo_id

#: A file of more than this many lines is in the ``long`` stratum.
LONG_LINES = 400
#: Files per stratum in the held-out sample (100 in all).
QUOTAS = {"mlflow_registry": 20, "mlflow_other": 20, "keyword": 24, "residual": 16, "long": 20}
HELDOUT_STRATA = tuple(QUOTAS)
HELDOUT_SEED = 20261201
SAMPLE_COLUMNS = ["id", "repo", "commit", "path", "kind", "lines", "units", "stratum", "rank"]
STRATA_COLUMNS = ["stratum", "frame_files", "frame_repos", "sample_files", "sample_repos"]
ADJ_COLUMNS = ["repo", "path", "cell", "line", "category", "a_sites", "b_sites", "decision",
               "explanation"]
ADJ_DECISIONS = ("a", "b", "none")
BOOTSTRAP = 2000
BOOT_SEED = 2026
KEY = ["repo", "path", "cell", "line", "category"]

TextReader = Callable[[str, str], "str | None"]


def heldout_stratum(text: str, lines: int) -> str:
    """``long`` for more than :data:`LONG_LINES` lines, else the text stratum."""
    return "long" if lines > LONG_LINES else stratum(text)


def _cells(text: str) -> list[dict]:
    nb = json.loads(text)
    if int(nb.get("nbformat", 0) or 0) != 4:
        import nbformat
        from nbformat.converter import convert

        nb = convert(nbformat.from_dict(nb), 4)
    return [c for c in nb.get("cells", []) if isinstance(c, dict)]


def _source(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(str(s) for s in src) if isinstance(src, list) else str(src)


def render(text: str, kind: str) -> tuple[str, int]:
    """The annotator's view of a file and its number of units (code lines); see the module
    docstring."""
    out: list[str] = []
    units = 0
    if kind == "ipynb":
        for i, cell in enumerate(_cells(text)):
            ctype = cell.get("cell_type", "?")
            out.append(f"=== cell {i} [{ctype}] ===")
            if ctype != "code":
                continue
            lines = _source(cell).splitlines()
            units += len(lines)
            out.extend(f"{n:5d}| {line}" for n, line in enumerate(lines, 1))
    else:
        lines = text.splitlines()
        units = len(lines)
        out.extend(f"{n:5d}| {line}" for n, line in enumerate(lines, 1))
    return "\n".join(out) + "\n", units


def heldout_files(results_dir: Path, repos: Iterable[str],
                  extra: Sequence[str] = ()) -> tuple[dict[str, str], pd.DataFrame]:
    """The selected held-out repositories' pinned commits (repository id -> SHA) and their
    parsed ``.py``/``.ipynb`` rows of ``files.csv`` (``repo, path, kind, status`` and ``extra``
    columns), the frame both held-out draws start from."""
    files = read_table(results_dir, "files", ["repo", "path", "kind", "status", *extra])
    corpus = read_table(results_dir, "corpus", ["full_name", "sha", "selected"])
    held = set(repos)
    corpus = corpus[(corpus["selected"].str.lower() == "true")
                    & corpus["full_name"].map(repo_id).isin(held)]
    commits = {repo_id(r.full_name): r.sha for r in corpus.itertuples()}
    f = files[(files["status"] == "parsed") & files["kind"].isin(["py", "ipynb"])
              & files["repo"].isin(commits)].copy()
    return commits, f


def build_frame(results_dir: Path, repos: Iterable[str], read_text: TextReader,
                seed: int = HELDOUT_SEED) -> pd.DataFrame:
    """Every frame file (see the module docstring) with its stratum, units and rank, by rank."""
    commits, f = heldout_files(results_dir, repos, ["lines"])
    f["lines"] = pd.to_numeric(f["lines"], errors="coerce").fillna(0).astype(int)
    rows = []
    for r in f.itertuples():
        text = read_text(r.repo, r.path)
        if text is None:
            continue  # not readable: outside the frame (counted by the caller)
        try:
            _, units = render(text, r.kind)
        except (ValueError, KeyError, TypeError):
            continue
        rows.append({"id": "", "repo": r.repo, "commit": commits[r.repo], "path": r.path,
                     "kind": r.kind, "lines": r.lines, "units": units,
                     "stratum": heldout_stratum(text, r.lines),
                     "rank": rank(seed, r.repo, r.path)})
    frame = pd.DataFrame(rows, columns=SAMPLE_COLUMNS)
    return frame.sort_values("rank", kind="stable").reset_index(drop=True)


def select(frame: pd.DataFrame, quotas: dict[str, int] | None = None,
           per_repo: int = 2) -> pd.DataFrame:
    """The held-out sample: files in rank order under the quotas and the per-repository cap;
    sorted by stratum then rank, with ids ``H001``... in that order."""
    quotas = dict(quotas or QUOTAS)
    taken: dict[str, int] = {}
    per = dict.fromkeys(quotas, 0)
    keep = []
    for i, r in enumerate(frame.itertuples()):
        if per.get(r.stratum, math.inf) >= quotas.get(r.stratum, 0) or taken.get(r.repo, 0) >= per_repo:
            continue
        keep.append(i)
        per[r.stratum] += 1
        taken[r.repo] = taken.get(r.repo, 0) + 1
    short = {s: quotas[s] - per[s] for s in quotas if per[s] < quotas[s]}
    if short:
        raise ValueError(f"the frame cannot fill the quotas (missing files per stratum: {short}); "
                         "lower the quotas or widen the held-out set")
    order = {s: i for i, s in enumerate(quotas)}
    s = frame.iloc[keep].copy()
    s = s.assign(_o=s["stratum"].map(order)).sort_values(["_o", "rank"]).drop(columns="_o")
    s["id"] = [f"H{i:03d}" for i in range(1, len(s) + 1)]
    return s.reset_index(drop=True)[SAMPLE_COLUMNS]


def strata_table(frame: pd.DataFrame, sample: pd.DataFrame) -> pd.DataFrame:
    """Files and repositories per stratum in the frame and in the sample (weights)."""
    rows = []
    for s in HELDOUT_STRATA:
        fr, sa = frame[frame["stratum"] == s], sample[sample["stratum"] == s]
        rows.append({"stratum": s, "frame_files": len(fr), "frame_repos": fr["repo"].nunique(),
                     "sample_files": len(sa), "sample_repos": sa["repo"].nunique()})
    return pd.DataFrame(rows, columns=STRATA_COLUMNS)


# ------------------------------------------------------------------------------------ agreement

def _marks(labels: pd.DataFrame, category: str) -> set[tuple]:
    d = labels[labels["category"] == category]
    return set(zip(d["repo"], d["path"], d["cell"], d["line"], strict=True))


def kappa(n11: int, n10: int, n01: int, n00: int) -> float:
    """Cohen's kappa of a 2x2 agreement table; NaN when chance agreement is 1."""
    n = n11 + n10 + n01 + n00
    if n == 0:
        return math.nan
    po = (n11 + n00) / n
    pe = ((n11 + n10) * (n11 + n01) + (n01 + n00) * (n10 + n00)) / (n * n)
    return math.nan if pe >= 1 else (po - pe) / (1 - pe)


def _tables(a: pd.DataFrame, b: pd.DataFrame, sample: pd.DataFrame, category: str,
            files: list[tuple[str, str]]) -> tuple[np.ndarray, np.ndarray]:
    """Per file: the line-level (n11, n10, n01, units) and file-level (a any, b any) counts."""
    ma, mb = _marks(a, category), _marks(b, category)
    units = {(r, p): int(u) for r, p, u in zip(sample["repo"], sample["path"], sample["units"],
                                                strict=True)}
    per_a: dict[tuple, set] = {}
    per_b: dict[tuple, set] = {}
    for m in ma:
        per_a.setdefault(m[:2], set()).add(m)
    for m in mb:
        per_b.setdefault(m[:2], set()).add(m)
    line = np.zeros((len(files), 4), dtype=np.int64)
    filelvl = np.zeros((len(files), 2), dtype=np.int64)
    for i, f in enumerate(files):
        sa, sb = per_a.get(f, set()), per_b.get(f, set())
        line[i] = (len(sa & sb), len(sa - sb), len(sb - sa), max(units[f], len(sa | sb)))
        filelvl[i] = (bool(sa), bool(sb))
    return line, filelvl


def _stats(line: np.ndarray, filelvl: np.ndarray) -> tuple[float, float, float]:
    n11, n10, n01, u = (int(x) for x in line.sum(axis=0))
    k_line = kappa(n11, n10, n01, u - n11 - n10 - n01)
    fa, fb = filelvl[:, 0].astype(bool), filelvl[:, 1].astype(bool)
    k_file = kappa(int((fa & fb).sum()), int((fa & ~fb).sum()), int((~fa & fb).sum()),
                   int((~fa & ~fb).sum()))
    pa = 2 * n11 / (2 * n11 + n10 + n01) if (n11 + n10 + n01) else math.nan
    return k_line, k_file, pa


AGREEMENT_COLUMNS = ["category", "files", "units", "a_units", "b_units", "both_units",
                     "kappa_line", "kappa_line_low", "kappa_line_high", "kappa_file",
                     "kappa_file_low", "kappa_file_high", "positive_agreement",
                     "positive_agreement_low", "positive_agreement_high", "a_sites", "b_sites"]


def agreement(a: pd.DataFrame, b: pd.DataFrame, sample: pd.DataFrame,
              categories: Iterable[str], boot: int = BOOTSTRAP,
              seed: int = BOOT_SEED) -> pd.DataFrame:
    """Agreement of annotators A and B per category (and ``all``: a unit per line and
    category); see the module docstring."""
    files = list(zip(sample["repo"], sample["path"], strict=True))
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, len(files), size=(boot, len(files))) if files else None
    rows = []
    cats = list(categories)
    per_cat = {c: _tables(a, b, sample, c, files) for c in cats}
    all_line = sum(t[0] for t in per_cat.values())
    all_file = np.concatenate([t[1] for t in per_cat.values()]) if cats else np.zeros((0, 2))
    for cat in (*cats, "all"):
        if cat == "all":
            line, filelvl = all_line, all_file
            idx_file = np.tile(np.arange(len(files)), len(cats))
        else:
            line, filelvl = per_cat[cat]
            idx_file = np.arange(len(files))
        k_line, k_file, pa = _stats(line, filelvl)
        lo_hi = [(math.nan, math.nan)] * 3
        if draws is not None and len(files) > 1:
            samples = []
            for d in draws:
                counts = np.bincount(d, minlength=len(files))
                fl = np.repeat(filelvl, counts[idx_file], axis=0)
                samples.append(_stats((line * counts[:, None]), fl))
            arr = np.array(samples, dtype=float)
            lo_hi = [tuple(np.nanpercentile(arr[:, j], [2.5, 97.5])) if np.isfinite(arr[:, j]).any()
                     else (math.nan, math.nan) for j in range(3)]
        n11, n10, n01, u = (int(x) for x in line.sum(axis=0))
        sel_a = a if cat == "all" else a[a["category"] == cat]
        sel_b = b if cat == "all" else b[b["category"] == cat]
        rows.append({"category": cat, "files": len(files), "units": u, "a_units": n11 + n10,
                     "b_units": n11 + n01, "both_units": n11,
                     "kappa_line": k_line, "kappa_line_low": lo_hi[0][0],
                     "kappa_line_high": lo_hi[0][1], "kappa_file": k_file,
                     "kappa_file_low": lo_hi[1][0], "kappa_file_high": lo_hi[1][1],
                     "positive_agreement": pa, "positive_agreement_low": lo_hi[2][0],
                     "positive_agreement_high": lo_hi[2][1],
                     "a_sites": len(sel_a), "b_sites": len(sel_b)})
    return pd.DataFrame(rows, columns=AGREEMENT_COLUMNS)


# ------------------------------------------------------------------------------------ consensus

def _by_key(labels: pd.DataFrame) -> dict[tuple, list[dict]]:
    out: dict[tuple, list[dict]] = {}
    for r in labels.to_dict("records"):
        out.setdefault(tuple(r[k] for k in KEY), []).append(r)
    return out


def _multiset(rows: list[dict]) -> list[str]:
    return sorted(str(r.get("api", "")) for r in rows)


def disagreeing_keys(a: pd.DataFrame, b: pd.DataFrame) -> pd.DataFrame:
    """The site keys on which A and B differ (a different number of rows, or other APIs),
    with each side's rows as ``api`` lists; the rows the adjudication log must cover."""
    ka, kb = _by_key(a), _by_key(b)
    rows = []
    for k in sorted(set(ka) | set(kb), key=lambda t: tuple(str(x) for x in t)):
        ra, rb = ka.get(k, []), kb.get(k, [])
        if len(ra) != len(rb):
            rows.append({**dict(zip(KEY, k, strict=True)),
                         "a_sites": "; ".join(_multiset(ra)), "b_sites": "; ".join(_multiset(rb))})
    return pd.DataFrame(rows, columns=[*KEY, "a_sites", "b_sites"])


def consensus(a: pd.DataFrame, b: pd.DataFrame, adjudication: pd.DataFrame) -> pd.DataFrame:
    """The consensus labels (see the module docstring). Raises ValueError when a disagreeing
    key has no adjudication row or a row has an unknown decision."""
    ka, kb = _by_key(a), _by_key(b)
    decided = {}
    for r in adjudication.to_dict("records"):
        if r["decision"] not in ADJ_DECISIONS:
            raise ValueError(f"adjudication: unknown decision {r['decision']!r} "
                             f"(use one of {', '.join(ADJ_DECISIONS)})")
        decided[tuple(r[k] for k in KEY)] = r["decision"]
    rows: list[dict] = []
    for k in sorted(set(ka) | set(kb), key=lambda t: tuple(str(x) for x in t)):
        ra, rb = ka.get(k, []), kb.get(k, [])
        if len(ra) == len(rb):
            rows.extend(ra)
            continue
        if k not in decided:
            raise ValueError(f"adjudication: no decision for the disagreement at "
                             f"{'/'.join(str(x) for x in k)} (A {len(ra)}, B {len(rb)} sites)")
        rows.extend({"a": ra, "b": rb, "none": []}[decided[k]])
    return pd.DataFrame(rows, columns=a.columns).reset_index(drop=True)


def correct(labels: pd.DataFrame, matches: pd.DataFrame, adjudication: pd.DataFrame) -> pd.DataFrame:
    """The final labels: the consensus with the scanner-side adjudication applied. A row with
    ``side`` ``label`` and ``decision`` ``label_corrected`` removes one label at its key for a
    false negative, or adds the scanner's row for a false positive."""
    out = labels.copy()
    fixes = adjudication[(adjudication["side"] == "label")
                         & (adjudication["decision"] == "label_corrected")]
    for r in fixes.itertuples(index=False):
        key = (r.repo, r.path, int(r.cell), int(r.line), r.category)
        mk = matches[(matches["repo"] == key[0]) & (matches["path"] == key[1])
                     & (matches["cell"] == key[2]) & (matches["line"] == key[3])
                     & (matches["category"] == key[4])]
        outcomes = set(mk["outcome"])
        hit = ((out["repo"] == key[0]) & (out["path"] == key[1]) & (out["cell"] == key[2])
               & (out["line"] == key[3]) & (out["category"] == key[4]))
        if "FN" in outcomes and hit.any():
            out = out.drop(index=out[hit].index[0])
        elif "FP" in outcomes:
            sc = mk[mk["outcome"] == "FP"].iloc[0]
            add = {c: "" for c in out.columns}
            add.update({"repo": key[0], "path": key[1], "cell": key[2], "line": key[3],
                        "category": key[4], "api": sc["scanner_api"],
                        "note": "added in adjudication"})
            if "commit" in out.columns and hit.any():
                add["commit"] = out[hit].iloc[0]["commit"]
            out = pd.concat([out, pd.DataFrame([add])], ignore_index=True)
        else:
            raise ValueError(f"adjudication: label_corrected at {'/'.join(str(x) for x in key)} "
                             "matches no disagreement with the scanner")
    return out.reset_index(drop=True)


def read_text_from(clones: Path) -> TextReader:
    """A :data:`TextReader` over clone work trees ``<clones>/<repo>/<path>``."""
    def read(repo: str, path: str) -> str | None:
        try:
            return (Path(clones) / repo / path).read_bytes().decode("utf-8", "replace")
        except OSError:
            return None
    return read
