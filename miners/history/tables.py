"""``python -m miners history`` (``make history``): walk the history of every cloned
repository and publish ``repo_history.csv`` and ``history_events.csv``.

A repository is cloned with its whole history (``git clone --no-checkout`` of the URL template,
nothing checked out, no hook or filter run; a local mirror is borrowed with ``--shared``, so a
mirror lacking some blobs still gives every commit) into ``<work>/clones``, walked
(:mod:`miners.history.walk`), and its result written at once as a record
``<work>/records/<owner__name>.json`` stamped with :data:`HISTORY_VERSION`; a repository whose
record carries the current version is not walked again, so an interrupted run resumes where it
stopped; every record is also committed, compressed, to ``results/records/history/``
(:mod:`miners.committed`), from which a run on another machine resumes without clones. A
repository that cannot be cloned or walked is a row with its status and reason. The tables are
written from the records of the cloned repositories (``corpus.csv`` ``clone_status=cloned``
with a pinned ``sha``; near-duplicates included), sorted, atomically: byte-identical on a rerun.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from miners import MINED_BY, __version__, source_digest
from miners.committed import CommittedRecords, StaleRecordsError
from miners.corpus.clone import git_env
from miners.csvio import atomic_write_bytes, read_csv, write_csv
from miners.history.branches import branch_heads
from miners.history.branches import summary as branch_summary
from miners.history.trees import pin_metadata
from miners.history.walk import (
    WALK_SECONDS,
    events,
    families_of,
    parse_versions,
    summary_of,
    walk_commits,
)
from miners.scan.files import Limits
from miners.scan.scanner import Scanner
from miners.schema import names
from miners.schema.ids import repo_id

#: ``<version>+<digest of the history room and the mined rooms>``: a record made by other code
#: is walked again.
HISTORY_VERSION = f"{__version__}+{source_digest(Path(__file__).parents[1], ('history', *MINED_BY))}"
REPO_COLUMNS = names("repo_history")
EVENT_COLUMNS = names("history_events")
HEAD_COLUMNS = names("branch_heads")


def walkable(corpus: Path) -> list[tuple[str, str]]:
    """``(owner/name, pinned sha)`` of every cloned repository of ``corpus.csv`` (selected or not:
    a near-duplicate's history is its own, and the metadata of every repository feeds the
    engineered-project filter), sorted; copies of MLflow's own source (exclusion
    ``mlflow_source``) are not projects using MLflow and are not walked."""
    rows = read_csv(corpus)
    return sorted((r["full_name"], r["sha"]) for r in rows
                  if r.get("clone_status") == "cloned" and r.get("sha")
                  and not (r.get("exclusion") or "").startswith("mlflow_source"))


def clone_full(url: str, dest: Path, sha: str, timeout: float = 1800.0) -> str:
    """A clone of ``url`` with its history and no work tree at ``dest`` that holds ``sha``
    (kept from an earlier run when it does); returns an error text, empty on success."""
    def has_sha() -> bool:
        return subprocess.run(["git", "-C", str(dest), "cat-file", "-e", f"{sha}^{{commit}}"],
                              capture_output=True, env=git_env(), check=False).returncode == 0

    if dest.exists() and has_sha():
        return ""
    if dest.exists():
        subprocess.run(["rm", "-rf", str(dest)], check=False)
    dest.parent.mkdir(parents=True, exist_ok=True)
    # a local mirror is borrowed, not copied (--shared: its objects through alternates), so a
    # mirror that lacks some large blobs still gives its whole history
    source = ["--shared", url.removeprefix("file://")] if url.startswith("file://") else [url]
    try:
        proc = subprocess.run(["git", "clone", "-q", "--no-checkout", *source, str(dest)], capture_output=True,
                              text=True, env=git_env(), timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return f"git clone did not finish within {timeout:g} s"
    if proc.returncode != 0:
        return (proc.stderr.strip().splitlines() or ["git clone failed"])[-1][:300]
    if not has_sha():
        return f"the clone lacks the pinned commit {sha}"
    # no work tree: point git at the pinned commit's .mailmap, the one a checkout would read
    if subprocess.run(["git", "-C", str(dest), "cat-file", "-e", f"{sha}:.mailmap"], capture_output=True,
                      env=git_env(), check=False).returncode == 0:
        subprocess.run(["git", "-C", str(dest), "config", "mailmap.blob", f"{sha}:.mailmap"], check=True,
                       env=git_env())
    return ""


def walk_one(full_name: str, sha: str, url: str, work: Path, scanner: Scanner, limits: Limits) -> dict[str, Any]:
    """The record of one repository: its ``repo_history`` row and its events (never raises for
    trouble with the repository)."""
    rid = repo_id(full_name)
    row: dict[str, Any] = {"repo": rid, "full_name": full_name, "commit": sha, "status": "ok", "reason": "",
                           "history_version": HISTORY_VERSION}
    error = clone_full(url, work / "clones" / rid, sha)
    if error:
        row.update(status="no_clone", reason=error)
        return {"row": row, "events": []}
    clone = work / "clones" / rid
    deadline = time.monotonic() + WALK_SECONDS
    try:
        walked = walk_commits(clone, sha, limits, deadline)
        found = parse_versions(walked, scanner, deadline)
        rows, _have = events(walked, found)
        pin = pin_metadata(clone, sha, limits, scanner)
        heads, total = branch_heads(clone, limits, scanner, families_of)
    except Exception as exc:  # a failed walk is data, not a crash
        row.update(status="error", reason=f"{type(exc).__name__}: {exc}"[:300])
        return {"row": row, "events": [], "heads": []}
    row.update(walked.metadata)
    row.update(summary_of(rows, walked.metadata))
    row.update(pin)
    row.update(branch_summary(heads, total))
    return {"row": row, "events": [{"repo": rid, **e} for e in rows], "heads": [{"repo": rid, **h} for h in heads]}


def _is_current(record: dict[str, Any] | None, sha: str | None = None) -> bool:
    row = (record or {}).get("row", {})
    return row.get("history_version") == HISTORY_VERSION and (sha is None or row.get("commit") == sha)


def _current(path: Path, sha: str | None = None) -> dict[str, Any] | None:
    try:
        record = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return record if _is_current(record, sha) else None


def history(corpus: Path, url_template: str, work: Path, out: Path, jobs: int = 2,
            limits: Limits | None = None, timeout_per_file: float = 120.0, progress: bool = True,
            only: Iterable[str] = (), committed: Path | None = None) -> dict[str, int]:
    """Walk every cloned repository not yet recorded, then publish both tables from the
    records; returns the count of repositories per status. A repository with a current
    committed record (``committed``, default ``<out>/records``; :mod:`miners.committed`) is
    restored from it instead of walked, and every record made is committed there."""
    from tqdm import tqdm

    from miners.corpus.clone_stage import url_for

    limits = limits or Limits()
    records = work / "records"
    records.mkdir(parents=True, exist_ok=True)
    store = CommittedRecords(committed if committed is not None else out / "records", "history")
    repos = walkable(corpus)
    for name, sha in repos:
        path = records / f"{repo_id(name)}.json"
        if _current(path, sha) is None:
            saved = store.load(repo_id(name))
            if saved is not None and _is_current(saved, sha):
                atomic_write_bytes(path, json.dumps(saved, sort_keys=True, default=str).encode())
    wanted = set(only)
    todo = [(n, s) for n, s in repos if (not wanted or n in wanted)
            and _current(records / f"{repo_id(n)}.json", s) is None]
    started = time.monotonic()
    lost: list[str] = []
    with Scanner(jobs, work / "cache", limits, timeout_per_file) as scanner:
        for name, sha in tqdm(todo, unit="repo", desc="history", disable=not progress or None,
                              file=sys.stderr, mininterval=0.5):
            record = walk_one(name, sha, url_for(url_template, name), work, scanner, limits)
            earlier = (store.load(repo_id(name)) or {}).get("row", {})
            if record["row"]["status"] == "no_clone" and earlier.get("status") == "ok" \
                    and earlier.get("commit") == sha:
                # a stale record of a repository that cannot be cloned here: kept, not replaced
                lost.append(f"{name} (record by {earlier.get('history_version', '?')})")
                continue
            atomic_write_bytes(records / f"{repo_id(name)}.json",
                               json.dumps(record, sort_keys=True, default=str).encode())
    if lost:
        raise StaleRecordsError(
            f"{len(lost)} repositories have a committed history record made by other code (this is "
            f"{HISTORY_VERSION}) and cannot be cloned here, e.g. {'; '.join(sorted(lost)[:3])}. Their "
            "records were kept and nothing was published: fetch their mirrors and walk with "
            "URL_TEMPLATE=..., or walk with the code that made the records.")
    rows, evs, heads = [], [], []
    for name, sha in repos:
        record = _current(records / f"{repo_id(name)}.json", sha)
        if record is not None:
            store.save(repo_id(name), record)
            rows.append(record["row"])
            evs.extend(record["events"])
            heads.extend(record.get("heads", []))
    out.mkdir(parents=True, exist_ok=True)
    write_csv(out / "repo_history.csv", REPO_COLUMNS, rows, sort_key=["repo"])
    write_csv(out / "history_events.csv", EVENT_COLUMNS, evs, sort_key=["repo", "family"])
    write_csv(out / "branch_heads.csv", HEAD_COLUMNS, heads, sort_key=["repo", "branch"])
    counts: dict[str, int] = {}
    for r in rows:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    print(f"history: {len(todo)} walked in {time.monotonic() - started:.0f} s; "
          f"{len(rows)} of {len(repos)} cloned repositories recorded ({counts})", file=sys.stderr)
    return counts
