"""Branch heads: which branches of a repository use MLflow, commit model files or ``mlruns/``.

Definitions. The *branch heads* of a repository are the branches of its remote at clone time
(the remote-tracking branches of the history clone; the remote's ``HEAD`` alias left out), in
name order, at most :data:`MAX_HEADS` of them (``heads_walked`` says how many were). For each:

* ``default``: the branch is the remote's default branch (its ``HEAD``), the one the study pins;
* ``commit``, ``date``: the head commit and its author date (UTC, ISO 8601);
* ``uses_mlflow``: some code file of the head's tree (``.py``/``.ipynb`` outside the folders the
  scanner skips, under the protocol's size caps) has an MLflow tracking or registry call site,
  found by the study's detectors (the scanner's parser pool and cache: a file content seen
  before, on any branch or in any commit of the walk, is not parsed again);
* ``mlruns``: the tree holds an ``mlruns/`` or ``mlartifacts/`` folder (committed run records);
* ``model_files``: files of the tree with a model extension (the practices'
  ``MODEL_EXTENSIONS``: ``.pkl``, ``.joblib``, ``.h5``, ``.pt``, ``.onnx``, ...).

A repository's MLflow use *lives only off the default branch* when its default head does not use
MLflow and another head does. The study pins the default branch; work done only on other
branches is outside the static measures, a threat this table quantifies.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

from miners.history.trees import code_files, git, read_blobs, tree
from miners.history.versions import keyed, results
from miners.practices.repo_practices import MODEL_EXTENSIONS
from miners.scan.files import Limits

#: At most this many branch heads are scanned per repository (name order).
MAX_HEADS = 50
REMOTE = "refs/remotes/origin/"
MLFLOW_FAMILIES = frozenset({"tracking", "registry"})


def list_heads(clone: Path) -> tuple[list[tuple[str, str, str]], str]:
    """``[(branch, commit, author date)]`` of the remote's branches in name order, and the
    default branch's name ('' when the remote has no HEAD)."""
    out = git(clone, "for-each-ref", "--format=%(refname)%09%(objectname)%09%(authordate:iso-strict)",
               REMOTE).decode("utf-8", "surrogateescape")
    heads = []
    for line in out.splitlines():
        ref, sha, date = [*line.split("\t"), "", ""][:3]
        name = ref.removeprefix(REMOTE)
        if name != "HEAD":
            heads.append((name, sha, date))
    try:
        default = git(clone, "symbolic-ref", "-q", REMOTE + "HEAD").decode().strip().removeprefix(REMOTE)
    except subprocess.CalledProcessError:
        default = ""
    return sorted(heads), default


def branch_heads(clone: Path, limits: Limits, scanner: Any, families_of: Any) -> tuple[list[dict[str, Any]], int]:
    """One row per scanned branch head (see the module's definitions), and the number of heads
    the remote has. ``families_of`` maps a :class:`~miners.scan.records.FileResult` to its
    families (:func:`miners.history.walk.families_of`)."""
    heads, default = list_heads(clone)
    memo: dict[str, frozenset[str]] = {}  # blob id -> families, across the heads
    rows = []
    for name, commit, date in heads[:MAX_HEADS]:
        files = tree(clone, commit)
        code = code_files(files)
        contents = read_blobs(clone, sorted({b for b, _ in code if b not in memo}))
        keys: dict[str, str] = {}
        versions: dict[str, tuple[str, bytes]] = {}
        for blob, path in code:
            if blob in memo or blob in keys:
                continue
            version = keyed(path, contents.get(blob), limits)
            if version is None:
                memo[blob] = frozenset()
                continue
            keys[blob] = version[0]
            versions[version[0]] = (version[1], contents[blob] or b"")
        parsed = results(scanner, versions)
        for blob, key in keys.items():
            memo[blob] = families_of(parsed.get(key))
        found = frozenset().union(*(memo[b] for b, _ in code)) if code else frozenset()
        rows.append({
            "branch": name, "default": name == default, "commit": commit, "date": _utc(date),
            "uses_mlflow": bool(found & MLFLOW_FAMILIES),
            "mlruns": any(d in p.split("/")[:-1] for _, p in files for d in ("mlruns", "mlartifacts")),
            "model_files": sum(1 for _, p in files if Path(p).suffix.lower() in MODEL_EXTENSIONS),
        })
    return rows, len(heads)


def _utc(date: str) -> str:
    from datetime import UTC, datetime

    try:
        d = datetime.fromisoformat(date)
    except ValueError:
        return ""
    return (d.astimezone(UTC) if d.tzinfo else d.replace(tzinfo=UTC)).isoformat(timespec="seconds")


def summary(rows: list[dict[str, Any]], total: int) -> dict[str, Any]:
    """The ``repo_history`` columns of a repository's branch heads."""
    default = [r for r in rows if r["default"]]
    others = [r for r in rows if not r["default"]]
    default_uses = bool(default and default[0]["uses_mlflow"])
    return {
        "branches": total,
        "heads_walked": len(rows),
        "branches_using_mlflow": sum(1 for r in rows if r["uses_mlflow"]),
        "mlflow_only_off_default": (not default_uses) and any(r["uses_mlflow"] for r in others),
        "branches_with_mlruns": sum(1 for r in rows if r["mlruns"]),
        "branches_with_models": sum(1 for r in rows if r["model_files"]),
    }
