"""Which projects the rerun harness re-executes.

Definitions.

* **Eligible**: a repository of the mined corpus that was scanned, uses MLflow and logs metrics
  or turns on autolog (``repo_features.csv``).
* **Stratum**: ``seed|noseed`` (static seed setting) x ``script|notebook`` (``notebook`` when
  MLflow appears only in notebooks).
* **Rank**: ``sha256("<seed>:<owner/name>")`` (:func:`miners.corpus.sample.rank`).
* **Sample** (``rerun_sample.csv``): a proportional stratified draw (largest remainder) of
  ``--sample`` eligible repositories by rank, plus any ``--repos`` named explicitly
  (``picked_by``).
* **Seeded rerun order** (:func:`order`): the eligible repositories by rank, skipping those
  listed in ``exclude`` (already re-executed) and every repository whose template family was
  already taken (a family is the corpus's near-duplicate ``cluster`` or the frame's
  ``frame_cluster``; a repository in two families blocks both), so the order holds one
  representative per family.
* **Commit date**: the pinned commit's committer date from ``corpus.csv`` (``commit_date``); for a
  local folder, its git HEAD's committer date, else empty (then environments are not capped by
  date, and the run records it).
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from miners.corpus.sample import draw, rank
from miners.csvio import read_csv
from miners.rerun.vocab import PickedBy
from miners.schema import names
from miners.schema.ids import full_name, repo_id

SAMPLE_COLUMNS = names("rerun_sample")


@dataclass
class Project:
    repo: str
    root: Path
    full_name: str = ""
    commit: str = ""
    stratum: str = ""
    rank: str = ""
    picked_by: str = PickedBy.EXPLICIT
    static: dict[str, Any] = field(default_factory=dict)
    commit_date: str = ""


def _true(v: Any) -> bool:
    return str(v).lower() == "true"


def eligible(corpus: Path, features: Path) -> tuple[list[dict[str, str]], dict[str, dict[str, str]]]:
    """``(eligible rows with their stratum, every corpus row by name)`` (module docstring)."""
    feats = {r["full_name"]: r for r in read_csv(features)}
    rows, by_name = [], {}
    for r in read_csv(corpus):
        by_name[r["full_name"]] = r
        f = feats.get(r["full_name"])
        if not (_true(r.get("scanned")) and f and _true(f["uses_mlflow"])):
            continue
        if not (_true(f["logs_metrics"]) or _true(f["uses_autolog"])):
            continue
        kind = "notebook" if int(f["mlflow_files_py"] or 0) == 0 and int(f["mlflow_files_ipynb"] or 0) > 0 else "script"
        rows.append({"full_name": r["full_name"], "stratum": f"{'seed' if _true(f['sets_seed']) else 'noseed'}/{kind}",
                     **{k: f.get(k, "") for k in ("sets_seed", "seed_coverage")}})
    return rows, by_name


def sample(corpus: Path, features: Path, clones: Path, size: int, seed: int,
           explicit: list[str] = ()) -> list[Project]:
    """The seeded stratified sample plus the explicit repositories (module docstring)."""
    rows, corpus_rows = eligible(corpus, features)
    by_name = {r["full_name"]: r for r in rows}
    unknown = [n for n in explicit if n not in corpus_rows]
    if unknown:
        raise ValueError(f"--repos names repositories that are not in {corpus}: {', '.join(unknown)}")
    picked = draw(rows, size, seed, stratify_by="stratum") if size else set()
    return [_project(name, corpus_rows[name], by_name.get(name, {}), clones, seed,
                     PickedBy.SAMPLE if name in picked else PickedBy.EXPLICIT)
            for name in sorted(set(picked) | set(explicit))]


def _project(name: str, corpus_row: dict[str, str], row: dict[str, str], clones: Path, seed: int,
             picked_by: str) -> Project:
    return Project(repo_id(name), clones / repo_id(name), name, corpus_row.get("sha", ""),
                   row.get("stratum", ""), rank(seed, name), picked_by,
                   {k: row.get(k, "") for k in ("sets_seed", "seed_coverage")}, corpus_row.get("commit_date", ""))


def order(corpus: Path, features: Path, seed: int, exclude: set[str] = frozenset(), first: int = 0) -> list[dict[str, str]]:
    """The seeded rerun order, one representative per template family (module docstring):
    rows ``{position, full_name, commit, commit_date, rank, stratum, family}``."""
    rows, corpus_rows = eligible(corpus, features)
    taken: set[str] = set()
    out = []
    for r in sorted(rows, key=lambda r: rank(seed, r["full_name"])):
        name = r["full_name"]
        c = corpus_rows[name]
        families = {f for f in (c.get("cluster", ""), c.get("frame_cluster", "")) if f}
        if name in exclude or families & taken:
            continue
        taken |= families
        out.append({"position": str(len(out) + 1), "full_name": name, "commit": c.get("sha", ""),
                    "commit_date": c.get("commit_date", ""), "rank": rank(seed, name), "stratum": r["stratum"],
                    "family": "; ".join(sorted(families))})
        if first and len(out) == first:
            break
    return out


def git_commit_date(root: Path) -> str:
    """The committer date (ISO 8601) of the folder's git HEAD, or '' when the folder is not the
    top of a git work tree (a folder inside another repository does not take that one's date)."""
    top = subprocess.run(["git", "-C", str(root), "rev-parse", "--show-toplevel"], capture_output=True, text=True,
                         check=False)
    if top.returncode != 0 or Path(top.stdout.strip()).resolve() != Path(root).resolve():
        return ""
    proc = subprocess.run(["git", "-C", str(root), "log", "-1", "--format=%cI"], capture_output=True, text=True,
                          check=False)
    return proc.stdout.strip() if proc.returncode == 0 else ""


def local_projects(dirs: list[Path]) -> list[Project]:
    """Projects from local folders; the repository id is the folder name."""
    out = []
    for d in dirs:
        if not Path(d).is_dir():
            raise ValueError(f"project folder not found: {d}")
        root = Path(d).resolve()
        out.append(Project(Path(d).name, root, full_name(Path(d).name), commit_date=git_commit_date(root)))
    return out
