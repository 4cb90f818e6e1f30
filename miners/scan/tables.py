"""``python -m miners scan``: scan repository work trees into three tables.

Outputs (sorted rows, written atomically, byte-identical for the same inputs):

* ``call_sites.csv`` — ``repo, path, cell, line, col, category, api, detail``: one row per
  detected site. ``cell`` is the 0-based index in the notebook's cell list (markdown cells
  counted; empty for ``.py``); ``line`` is 1-based in the file (in the cell for notebooks);
  ``col`` is the 0-based column of the call, assignment target or string;
* ``files.csv`` — ``repo, path, kind, status, reason, lines, bytes, code_cells, parser,
  sha256, frameworks``: one row per candidate file; status ``parsed``, ``parse_error``,
  ``skipped`` or ``unreadable``;
* ``repo_features.csv`` — one row per repository (see :mod:`miners.scan.features`).

Repositories are processed one after another through a shared pool of parser processes;
results are kept per repository only until its files are done, then spilled to a part
file, so peak memory does not grow with the number of repositories.
"""

from __future__ import annotations

import csv
import hashlib
import json
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from miners import UsageError
from miners.csvio import atomic_write_bytes, format_value
from miners.scan.cache import ResultCache
from miners.scan.features import FEATURE_COLUMNS, repo_features
from miners.scan.files import (
    Candidate,
    Limits,
    index_signature,
    list_candidates,
    tracked_code_files,
)
from miners.scan.pool import ParserPool

SITE_COLUMNS = ["repo", "path", "cell", "line", "col", "category", "api", "detail"]
FILE_COLUMNS = ["repo", "path", "kind", "status", "reason", "lines", "bytes", "code_cells",
                "parser", "sha256", "frameworks"]


@dataclass
class ScanSummary:
    repos: int = 0
    files: int = 0
    status: dict[str, int] = field(default_factory=dict)
    sites: dict[str, int] = field(default_factory=dict)
    bytes_read: int = 0
    cache_hits: int = 0
    parser_crashes: int = 0
    parser_timeouts: int = 0
    seconds: float = 0.0

    def as_text(self) -> str:
        st = ", ".join(f"{k} {v}" for k, v in sorted(self.status.items()))
        si = ", ".join(f"{k} {v}" for k, v in sorted(self.sites.items()))
        return (f"scanned {self.repos} repositories, {self.files} candidate files ({st}); "
                f"call sites: {si or 'none'}; {self.bytes_read / 1e6:.1f} MB read in {self.seconds:.1f} s; "
                f"cache hits {self.cache_hits}; parser crashes {self.parser_crashes}, timeouts {self.parser_timeouts}")


def repo_ids(repo_dirs: Sequence[Path]) -> list[tuple[str, Path]]:
    """Validate repository directories; the id is the directory name."""
    seen: dict[str, Path] = {}
    for d in repo_dirs:
        d = Path(d)
        if not d.exists():
            raise UsageError(f"repository directory does not exist: {d} (give the path of a checked-out repository)")
        if not d.is_dir():
            raise UsageError(f"not a directory: {d} (give the path of a checked-out repository)")
        rid = d.resolve().name
        if rid in seen:
            raise UsageError(f"two repository directories share the id {rid!r}: {seen[rid]} and {d}; ids are directory names and must be unique")
        seen[rid] = d
    return sorted(seen.items())


@dataclass
class _RepoState:
    repo: str
    files: dict[str, dict[str, Any]] = field(default_factory=dict)
    remaining: int = 0
    enumerated: bool = False


def _file_row(repo: str, cand: Candidate, result: dict[str, Any] | None, digest: str = "") -> dict[str, Any]:
    if result is None:
        return {"repo": repo, "path": cand.path, "kind": cand.kind, "status": cand.skip_status,
                "reason": cand.skip_reason, "lines": None, "bytes": cand.size or None,
                "code_cells": None, "parser": "", "sha256": digest, "frameworks": ""}
    return {"repo": repo, "path": cand.path, "kind": cand.kind, "status": result["status"],
            "reason": result["reason"], "lines": result["lines"], "bytes": result["bytes"],
            "code_cells": result["code_cells"], "parser": result["parser"], "sha256": digest,
            "frameworks": ";".join(result["frameworks"]), "_sites": result["sites"]}


def scan(
    repo_dirs: Sequence[Path],
    out_dir: Path,
    jobs: int = 1,
    cache_dir: Path | None = None,
    limits: Limits | None = None,
    progress: bool = True,
    timeout_per_file: float = 120.0,
    parts_dir: Path | None = None,
    keep_parts: bool = False,
    repo_id: str | None = None,
) -> ScanSummary:
    """Scan every repository and write the three tables into ``out_dir``.

    With ``parts_dir`` and ``keep_parts``, per-repository results stay there and a repository
    whose part already exists is not scanned again (resumable)."""
    started = time.perf_counter()
    limits = limits or Limits()
    repos = repo_ids(repo_dirs)
    if repo_id is not None and len(repos) == 1:
        repos = [(repo_id, repos[0][1])]
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    if parts_dir is not None:
        parts = Path(parts_dir)
        parts.mkdir(parents=True, exist_ok=True)
    else:
        parts = Path(tempfile.mkdtemp(prefix=".scan-parts-", dir=out_dir))
    cache = ResultCache(cache_dir)
    summary = ScanSummary(repos=len(repos))
    states: dict[str, _RepoState] = {}
    bar = _progress(len(repos), progress)

    def finish(state: _RepoState) -> None:
        _write_part(parts, state)
        del states[state.repo]
        bar.update(1)

    def tasks() -> Iterator[tuple[Any, str, bytes]]:
        for rid, path in repos:
            if keep_parts and (parts / f"{rid}.json").exists():
                bar.update(1)
                continue
            state = states[rid] = _RepoState(rid)
            base = path.resolve()
            sig = index_signature(path)
            tracked = cache.listing(str(base), sig)
            if tracked is None and sig is not None:
                tracked = tracked_code_files(path)
                if tracked is not None:
                    cache.remember_listing(str(base), sig, tracked)
            for cand in list_candidates(path, limits, tracked):
                summary.files += 1
                if cand.skip_status:
                    state.files[cand.path] = _file_row(rid, cand, None)
                    continue
                full = path / cand.path
                key_path = f"{base}/{cand.path}"
                try:
                    st = full.stat()
                    known = cache.known_digest(key_path, st)
                    if known is not None:  # unchanged since it was hashed: not read again
                        cached = cache.get(cache.key(known, cand.kind))
                        if cached is not None:
                            state.files[cand.path] = _file_row(rid, cand, cached, known)
                            continue
                    data = full.read_bytes()
                except OSError as exc:
                    row = _file_row(rid, cand, None)
                    row.update(status="unreadable", reason=f"cannot read: {exc.strerror or exc}")
                    state.files[cand.path] = row
                    continue
                summary.bytes_read += len(data)
                digest = hashlib.sha256(data).hexdigest()
                cache.remember_digest(key_path, st, digest)
                key = cache.key(digest, cand.kind)
                cached = cache.get(key)
                if cached is not None:
                    state.files[cand.path] = _file_row(rid, cand, cached, digest)
                    continue
                state.remaining += 1
                yield (rid, cand, digest, key), cand.kind, data
            state.enumerated = True
            if state.remaining == 0:
                finish(state)

    try:
        with ParserPool(jobs, timeout_per_file) as pool:
            for (rid, cand, digest, key), result in pool.run(tasks()):
                cache.put(key, result)
                state = states[rid]
                state.files[cand.path] = _file_row(rid, cand, result, digest)
                state.remaining -= 1
                if state.remaining == 0 and state.enumerated:
                    finish(state)
            summary.parser_crashes, summary.parser_timeouts = pool.crashes, pool.timeouts
        for state in list(states.values()):  # repositories whose last file came from the cache
            finish(state)
        cache.flush()
        summary.cache_hits = cache.hits
        _merge(parts, [rid for rid, _ in repos], out_dir, summary)
    finally:
        cache.close()
        bar.close()
        if not keep_parts:
            shutil.rmtree(parts, ignore_errors=True)
    summary.seconds = time.perf_counter() - started
    return summary


def _progress(total: int, enabled: bool):
    from tqdm import tqdm

    return tqdm(total=total, unit="repo", desc="scan", disable=not enabled or None, file=sys.stderr,
                mininterval=0.5, dynamic_ncols=True)


def build_payload(repo: str, by_path: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """One repository's rows of the three tables, sorted."""
    files = [by_path[p] for p in sorted(by_path)]
    sites = []
    for f in files:
        for cell, line, col, category, api, detail in f.pop("_sites", []):
            sites.append({"repo": repo, "path": f["path"], "cell": cell, "line": line, "col": col,
                          "category": category, "api": api, "detail": detail})
    sites.sort(key=lambda s: (s["path"], -1 if s["cell"] is None else s["cell"], s["line"], s["col"],
                              s["category"], s["api"], s["detail"]))
    return {"files": files, "sites": sites, "features": repo_features(repo, files, sites)}


def _write_part(parts: Path, state: _RepoState) -> None:
    atomic_write_bytes(parts / f"{state.repo}.json", json.dumps(build_payload(state.repo, state.files)).encode(),
                       durable=False)


def scan_payload(rid: str, path: Path, limits: Limits | None = None, cache_dir: Path | None = None,
                 timeout_per_file: float = 120.0) -> dict[str, Any]:
    """Scan one repository with its own one-process parser pool; returns its payload (used by
    ``mine`` tasks, which run in threads or on Dask workers)."""
    import tempfile as _tf

    with _tf.TemporaryDirectory(prefix="scan-one-") as tmp:
        scan([path], Path(tmp) / "out", jobs=1, cache_dir=cache_dir, limits=limits, progress=False,
             timeout_per_file=timeout_per_file, parts_dir=Path(tmp) / "parts", keep_parts=True, repo_id=rid)
        return json.loads((Path(tmp) / "parts" / f"{rid}.json").read_text())


def merge_payloads(payloads, out_dir: Path, summary: ScanSummary | None = None) -> None:
    """Write an iterable of payloads (in repository order) into the three CSVs, streaming."""
    summary = summary or ScanSummary()
    _merge_iter(payloads, Path(out_dir), summary)


def _merge(parts: Path, repos: list[str], out_dir: Path, summary: ScanSummary) -> None:
    _merge_iter((json.loads((parts / f"{rid}.json").read_text()) for rid in repos), out_dir, summary)


def _merge_iter(payloads, out_dir: Path, summary: ScanSummary) -> None:
    """Concatenate payloads in repository order into the three CSVs, one repository in
    memory at a time."""
    # closed below and renamed into place on success, removed on failure
    tmp = {name: tempfile.NamedTemporaryFile(  # noqa: SIM115
        "w", dir=out_dir, prefix=f".{name}.", suffix=".tmp", delete=False, newline="", encoding="utf-8")
           for name in ("call_sites.csv", "files.csv", "repo_features.csv")}
    try:
        writers = {name: csv.writer(fh, lineterminator="\n") for name, fh in tmp.items()}
        writers["call_sites.csv"].writerow(SITE_COLUMNS)
        writers["files.csv"].writerow(FILE_COLUMNS)
        writers["repo_features.csv"].writerow(FEATURE_COLUMNS)
        for payload in payloads:
            for f in payload["files"]:
                summary.status[f["status"]] = summary.status.get(f["status"], 0) + 1
                writers["files.csv"].writerow([format_value(f.get(c)) for c in FILE_COLUMNS])
            for s in payload["sites"]:
                summary.sites[s["category"]] = summary.sites.get(s["category"], 0) + 1
                writers["call_sites.csv"].writerow([format_value(s.get(c)) for c in SITE_COLUMNS])
            writers["repo_features.csv"].writerow([format_value(payload["features"].get(c)) for c in FEATURE_COLUMNS])
        for name, fh in tmp.items():
            fh.flush()
            fh.close()
            Path(fh.name).chmod(0o644)
            Path(fh.name).replace(out_dir / name)
    finally:
        for fh in tmp.values():
            if not fh.closed:
                fh.close()
            Path(fh.name).unlink(missing_ok=True)
