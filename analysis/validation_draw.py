"""The validation sample: a seeded, stratified draw of source files for blind hand labelling.

Definitions.

* **Frame.** Every file of ``files.csv`` with ``kind`` ``py`` or ``ipynb`` and ``status``
  ``parsed`` in a repository with ``selected`` true in ``corpus.csv``, of at most ``max_lines``
  lines (``files.csv`` ``lines``: physical lines of a ``.py`` file, of all code cells of a
  notebook) and readable in the clone ``<clones>/<repo>/<path>``. Longer files are left out
  of the frame (a stated limitation: labelling them by hand is error-prone).
* **Rank.** The hexadecimal SHA-256 of ``"<seed>:<repo>:<path>"`` (``repo`` the repository
  id ``owner__name``, ``path`` as in ``files.csv``); lowest ranks are drawn first. A file's rank
  does not depend on the rest of the frame.
* **Strata**, from the file's raw text in the clone (the notebook's JSON), lower-cased; never
  from the scanner's output:

  - ``mlflow_registry``: contains ``mlflow`` and a registry cue (:data:`REGISTRY_CUES`);
  - ``mlflow_other``: contains ``mlflow`` and no registry cue;
  - ``keyword``: no ``mlflow`` but a seed or URI cue (:data:`KEYWORD_CUES`);
  - ``residual``: none of these. Not drawn: every pattern of the codebook needs one of the
    cues in the file text (a call into MLflow needs an import naming ``mlflow``; every seeding
    name, environment variable and keyword of the seed category contains ``seed``,
    ``random``, ``determinis``, ``cudnn`` or ``cublas``; a registry URI contains ``models:/``),
    so a residual file holds no site by construction.

* **Allocation.** ``n_files`` is split over the drawn strata by :data:`SHARES` (largest
  remainders). Files are visited in rank order over the whole frame; a file is taken when its
  stratum still has room and its repository has fewer than ``per_repo`` files taken. The draw
  fails (ValueError) when fewer than ``min_repos`` repositories result.
"""

from __future__ import annotations

import hashlib
import math
from pathlib import Path

import pandas as pd

from analysis.results import read_table
from miners.schema.ids import repo_id

#: Registry cues (lower-cased substrings) that put an MLflow file into ``mlflow_registry``.
REGISTRY_CUES = ("models:/", "register", "registry", "model_version", "latest_versions", "alias")
#: Cues of a seed site or of a registry URI, for files that do not mention MLflow.
KEYWORD_CUES = ("seed", "random", "determinis", "cudnn", "cublas", "models:/")
#: Share of the sample per drawn stratum.
SHARES = {"mlflow_registry": 0.25, "mlflow_other": 0.25, "keyword": 0.5}
STRATA = (*SHARES, "residual")
SAMPLE_COLUMNS = ["repo", "commit", "path", "kind", "lines", "stratum", "rank"]
STRATA_COLUMNS = ["stratum", "frame_files", "frame_repos", "sample_files", "sample_repos"]


def rank(seed: int, repo: str, path: str) -> str:
    """The file's draw rank: hex SHA-256 of ``"<seed>:<repo>:<path>"``."""
    return hashlib.sha256(f"{seed}:{repo}:{path}".encode()).hexdigest()


def stratum(text: str) -> str:
    """The stratum of a file given its raw text (see the module docstring)."""
    low = text.lower()
    if "mlflow" in low:
        return "mlflow_registry" if any(c in low for c in REGISTRY_CUES) else "mlflow_other"
    if any(c in low for c in KEYWORD_CUES):
        return "keyword"
    return "residual"


def allocate(n: int, shares: dict[str, float]) -> dict[str, int]:
    """Split ``n`` by ``shares`` with largest remainders (ties by stratum order)."""
    total = sum(shares.values())
    exact = {k: n * v / total for k, v in shares.items()}
    out = {k: math.floor(x) for k, x in exact.items()}
    rest = n - sum(out.values())
    order = sorted(shares, key=lambda k: (-(exact[k] - out[k]), list(shares).index(k)))
    for k in order[:rest]:
        out[k] += 1
    return out


def build_frame(
    files_csv: Path,
    clones_dir: Path,
    corpus_csv: Path | None = None,
    seed: int = 2026,
    max_lines: int = 400,
) -> pd.DataFrame:
    """Every frame file with its ``commit``, ``lines``, ``stratum`` and ``rank``, sorted by rank.

    Reads only ``repo, path, kind, status, lines`` of ``files.csv`` and ``full_name, sha,
    selected`` of ``corpus.csv`` (default: next to ``files.csv``)."""
    files_csv = Path(files_csv)
    corpus_csv = Path(corpus_csv) if corpus_csv is not None else files_csv.parent / "corpus.csv"
    files = read_table(files_csv.parent, files_csv.stem, ["repo", "path", "kind", "status", "lines"])
    corpus = read_table(corpus_csv.parent, corpus_csv.stem, ["full_name", "sha", "selected"])
    corpus = corpus[corpus["selected"].str.lower() == "true"]
    commits = {repo_id(r.full_name): r.sha for r in corpus.itertuples()}
    f = files[
        (files["status"] == "parsed")
        & files["kind"].isin(["py", "ipynb"])
        & files["repo"].isin(commits)
    ].copy()
    f["lines"] = pd.to_numeric(f["lines"], errors="coerce").fillna(0).astype(int)
    f = f[f["lines"] <= max_lines]
    rows = []
    for r in f.itertuples():
        full = Path(clones_dir) / r.repo / r.path
        try:
            text = full.read_bytes().decode("utf-8", "replace")
        except OSError:
            continue  # not in the clone: outside the frame
        rows.append(
            {
                "repo": r.repo,
                "commit": commits[r.repo],
                "path": r.path,
                "kind": r.kind,
                "lines": r.lines,
                "stratum": stratum(text),
                "rank": rank(seed, r.repo, r.path),
            }
        )
    frame = pd.DataFrame(rows, columns=SAMPLE_COLUMNS)
    return frame.sort_values("rank", kind="stable").reset_index(drop=True)


def select(
    frame: pd.DataFrame,
    n_files: int = 44,
    min_repos: int = 22,
    per_repo: int = 2,
    shares: dict[str, float] | None = None,
) -> pd.DataFrame:
    """Draw the sample from a frame (see the module docstring); rows sorted by stratum, rank."""
    quota = allocate(n_files, shares or SHARES)
    taken: dict[str, int] = {}
    per: dict[str, int] = dict.fromkeys(quota, 0)
    keep = []
    for i, r in enumerate(frame.sort_values("rank", kind="stable").itertuples()):
        if (
            r.stratum not in quota
            or per[r.stratum] >= quota[r.stratum]
            or taken.get(r.repo, 0) >= per_repo
        ):
            continue
        keep.append(i)
        per[r.stratum] += 1
        taken[r.repo] = taken.get(r.repo, 0) + 1
    sample = frame.sort_values("rank", kind="stable").iloc[keep]
    if sample["repo"].nunique() < min_repos:
        raise ValueError(
            f"the draw gives {sample['repo'].nunique()} repositories, fewer than min_repos="
            f"{min_repos}: the frame is too small for this design (lower --min-repos)"
        )
    order = {s: i for i, s in enumerate(STRATA)}
    sample = (
        sample.assign(_o=sample["stratum"].map(order))
        .sort_values(["_o", "rank"])
        .drop(columns="_o")
    )
    return sample.reset_index(drop=True)[SAMPLE_COLUMNS]


def draw(
    files_csv: Path,
    clones_dir: Path,
    n_files: int = 44,
    min_repos: int = 22,
    seed: int = 2026,
    corpus_csv: Path | None = None,
    max_lines: int = 400,
    per_repo: int = 2,
) -> pd.DataFrame:
    """The validation sample: :func:`select` over :func:`build_frame`."""
    frame = build_frame(files_csv, clones_dir, corpus_csv, seed, max_lines)
    return select(frame, n_files, min_repos, per_repo)


def strata_table(frame: pd.DataFrame, sample: pd.DataFrame) -> pd.DataFrame:
    """Files and repositories per stratum in the frame and in the sample (for weights)."""
    rows = []
    for s in STRATA:
        fr, sa = frame[frame["stratum"] == s], sample[sample["stratum"] == s]
        rows.append(
            {
                "stratum": s,
                "frame_files": len(fr),
                "frame_repos": fr["repo"].nunique(),
                "sample_files": len(sa),
                "sample_repos": sa["repo"].nunique(),
            }
        )
    return pd.DataFrame(rows, columns=STRATA_COLUMNS)
