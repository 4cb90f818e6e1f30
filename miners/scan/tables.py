"""``python -m miners scan``: scan repository work trees into four tables.

Outputs (sorted rows, written atomically, byte-identical for the same inputs):

* ``call_sites.csv`` — ``repo, path, cell, line, col, category, api, detail``: one row per
  detected site. ``cell`` is the 0-based index in the notebook's cell list (markdown cells
  counted; empty for ``.py``); ``line`` is 1-based in the file (in the cell for notebooks);
  ``col`` is the 0-based column of the call, assignment target or string;
* ``files.csv`` — ``repo, path, kind, status, reason, lines, bytes, code_cells, parser,
  sha256, frameworks``: one row per candidate file; status ``parsed``, ``parse_error``,
  ``skipped`` or ``unreadable``; the files skipped for the folder they lie in are not rows
  of their own but counted per folder in
* ``skipped_folders.csv`` — ``repo, folder, what, py_files, ipynb_files``;
* ``repo_features.csv`` — one row per repository (see :mod:`miners.scan.features`).

Repositories are scanned in id order by one :class:`~miners.scan.scanner.Scanner` (a shared
pool of parser processes) and each is written out as soon as it is handed back, so peak memory
does not grow with the number of repositories. ``mine`` writes its results with
:func:`write_tables` from the records of its tasks.
"""

from __future__ import annotations

import csv
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from miners import UsageError
from miners.csvio import format_value
from miners.scan.features import FEATURE_COLUMNS
from miners.scan.files import Limits, skipped_folder
from miners.scan.records import FILE_COLUMNS, SITE_COLUMNS, RepoScan
from miners.scan.scanner import Scanner
from miners.schema import names

TABLES = ("call_sites.csv", "files.csv", "repo_features.csv", "skipped_folders.csv")
FOLDER_COLUMNS = names("skipped_folders")


@dataclass
class ScanSummary:
    """What a scan did, in counts: ``status`` (files by status) and ``sites`` (sites by
    category) are counted from the rows written; ``bytes_read`` in bytes; ``seconds`` of wall
    time."""

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


def scan(
    repo_dirs: Sequence[Path],
    out_dir: Path,
    jobs: int = 1,
    cache_dir: Path | None = None,
    limits: Limits | None = None,
    progress: bool = True,
    timeout_per_file: float = 120.0,
) -> ScanSummary:
    """Scan every repository and write the four tables into ``out_dir``."""
    started = time.perf_counter()
    repos = repo_ids(repo_dirs)
    summary = ScanSummary(repos=len(repos))
    bar = _progress(len(repos), progress)
    try:
        with Scanner(jobs, cache_dir, limits, timeout_per_file) as scanner:
            write_tables(_ticking(scanner.scan(repos), bar), out_dir, summary)
            summary.files, summary.bytes_read = scanner.files, scanner.bytes_read
            summary.cache_hits = scanner.cache.hits
            summary.parser_crashes, summary.parser_timeouts = scanner.pool.crashes, scanner.pool.timeouts
    finally:
        bar.close()
    summary.seconds = time.perf_counter() - started
    return summary


def _progress(total: int, enabled: bool):
    from tqdm import tqdm

    return tqdm(total=total, unit="repo", desc="scan", disable=not enabled or None, file=sys.stderr,
                mininterval=0.5, dynamic_ncols=True)


def _ticking(scans: Iterable[RepoScan], bar) -> Iterator[RepoScan]:
    for scanned in scans:
        yield scanned
        bar.update(1)


def write_tables(scans: Iterable[RepoScan], out_dir: Path, summary: ScanSummary | None = None) -> None:
    """Write repositories (in the order given) into the four tables of ``out_dir``, one
    repository in memory at a time; each table replaces the old one only once all are written."""
    summary = summary or ScanSummary()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    # closed below and renamed into place on success, removed on failure
    tmp = {name: tempfile.NamedTemporaryFile(  # noqa: SIM115
        "w", dir=out_dir, prefix=f".{name}.", suffix=".tmp", delete=False, newline="", encoding="utf-8")
           for name in TABLES}
    try:
        sites, files, features, folders = (csv.writer(tmp[name], lineterminator="\n") for name in TABLES)
        sites.writerow(SITE_COLUMNS)
        files.writerow(FILE_COLUMNS)
        features.writerow(FEATURE_COLUMNS)
        folders.writerow(FOLDER_COLUMNS)
        for scanned in scans:
            skipped: dict[str, list] = {}
            for f in scanned.files:
                summary.status[f.status] = summary.status.get(f.status, 0) + 1
                where = skipped_folder(f.reason) if f.status == "skipped" else None
                if where is None:
                    files.writerow(f.row(scanned.repo))
                    continue
                count = skipped.setdefault(where[0], [where[1], 0, 0])
                count[1 if f.kind == "py" else 2] += 1
            for folder in sorted(skipped):
                folders.writerow([scanned.repo, folder, *skipped[folder]])
            for f, s in scanned.sites():
                summary.sites[s.category] = summary.sites.get(s.category, 0) + 1
                sites.writerow(s.row(scanned.repo, f.path))
            features.writerow([format_value(scanned.features.get(c)) for c in FEATURE_COLUMNS])
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
