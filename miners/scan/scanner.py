"""Scanning repositories into typed records: :func:`scan_repo` for one, :class:`Scanner` for
many (``python -m miners scan`` and every ``mine`` task use the same code).

A repository is scanned by listing its candidate files (:mod:`miners.scan.files`), serving each
file whose content hash is in the per-file cache from there (:mod:`miners.scan.cache`; a file
whose stat signature is unchanged is not even read), and sending the others to a pool of parser
processes (:mod:`miners.scan.pool`); the result is a :class:`~miners.scan.records.RepoScan`.

Repositories scanned with one :class:`Scanner` share its parser processes: the files of the
next repository are parsed while the last ones of the previous repository still are, and the
repositories come back in the order they were given. A repository is held in memory from its
first file until it is handed back; when :data:`MAX_WAITING` finished repositories wait for an
earlier one, no new repository is listed until the earlier one is finished.
"""

from __future__ import annotations

import hashlib
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from miners.scan.cache import ResultCache
from miners.scan.features import repo_features
from miners.scan.files import Limits, index_signature, list_candidates, tracked_code_files
from miners.scan.pool import ParserPool
from miners.scan.records import RepoScan, ScannedFile

#: Finished repositories (the scan of each in memory) that may wait for an earlier one.
MAX_WAITING = 64


@dataclass
class _Pending:
    """A repository being scanned: its files so far and how many are still with the parser."""

    number: int
    repo: str
    files: dict[str, ScannedFile] = field(default_factory=dict)
    remaining: int = 0
    listed: bool = False

    @property
    def done(self) -> bool:
        return self.listed and self.remaining == 0

    def record(self) -> RepoScan:
        files = tuple(self.files[p] for p in sorted(self.files))
        return RepoScan(self.repo, files, repo_features(self.repo, files))


class Scanner:
    """A parser pool and a per-file cache shared by the repositories scanned with it.

    ``jobs``: parser processes (started with the first file that is not in the cache);
    ``cache_dir``: folder of the cache (None: no cache); ``limits``: the size caps;
    ``timeout_per_file``: seconds a parser may spend on one file. Counters over everything
    scanned so far: :attr:`files` (candidate files), :attr:`bytes_read`, and the cache's and
    the pool's own (``cache.hits``, ``pool.crashes``, ``pool.timeouts``).
    """

    def __init__(self, jobs: int = 1, cache_dir: Path | None = None, limits: Limits | None = None,
                 timeout_per_file: float = 120.0) -> None:
        self.limits = limits or Limits()
        self.pool = ParserPool(jobs, timeout_per_file)
        self.cache = ResultCache(cache_dir)
        self.files = 0
        self.bytes_read = 0

    def __enter__(self) -> Scanner:
        self.pool.__enter__()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        try:
            self.cache.close()
        finally:
            self.pool.__exit__(kind, exc, tb)

    def scan(self, repos: Iterable[tuple[str, Path]]) -> Iterator[RepoScan]:
        """Scan ``(repository id, work tree)`` pairs; yields each repository's records, in order."""
        source = iter(repos)
        pending: deque[_Pending] = deque()
        by_number: dict[int, _Pending] = {}
        listing = _Listing(source)
        while not listing.exhausted or pending:
            tasks = self._tasks(listing, pending, by_number)
            for (number, path, digest, key), result in self.pool.run(tasks):
                self.cache.put(key, result)
                state = by_number[number]
                state.files[path] = ScannedFile.read(path, digest, result)
                state.remaining -= 1
                while pending and pending[0].done:
                    yield self._hand_back(pending, by_number)
            while pending and pending[0].done:
                yield self._hand_back(pending, by_number)
            if pending:  # the pool returned a result for every file it was given
                raise RuntimeError(f"scan of {pending[0].repo}: {pending[0].remaining} file(s) never came back "
                                   "from the parser pool")
        self.cache.flush()

    @staticmethod
    def _hand_back(pending: deque[_Pending], by_number: dict[int, _Pending]) -> RepoScan:
        state = pending.popleft()
        del by_number[state.number]
        return state.record()

    def _tasks(self, listing: _Listing, pending: deque[_Pending],
               by_number: dict[int, _Pending]) -> Iterator[tuple[tuple[int, str, str, str], str, bytes]]:
        """The files of the next repositories that the cache cannot serve, as pool tasks; stops
        after a repository when :data:`MAX_WAITING` finished ones are waiting."""
        cache = self.cache
        for number, (rid, path) in listing:
            state = by_number[number] = _Pending(number, rid)
            pending.append(state)
            base = Path(path).resolve()
            sig = index_signature(path)
            tracked = cache.listing(str(base), sig)
            if tracked is None and sig is not None:
                tracked = tracked_code_files(path)
                if tracked is not None:
                    cache.remember_listing(str(base), sig, tracked)
            for cand in list_candidates(path, self.limits, tracked):
                self.files += 1
                if cand.skip_status:
                    state.files[cand.path] = ScannedFile.not_read(cand.path, cand.kind, cand.skip_status,
                                                                  cand.skip_reason, cand.size)
                    continue
                full = Path(path) / cand.path
                key_path = f"{base}/{cand.path}"
                try:
                    st = full.stat()
                    known = cache.known_digest(key_path, st)
                    if known is not None:  # unchanged since it was hashed: not read again
                        cached = cache.get(cache.key(known, cand.kind))
                        if cached is not None:
                            state.files[cand.path] = ScannedFile.read(cand.path, known, cached)
                            continue
                    data = full.read_bytes()
                except OSError as exc:
                    state.files[cand.path] = ScannedFile.not_read(cand.path, cand.kind, "unreadable",
                                                                  f"cannot read: {exc.strerror or exc}", cand.size)
                    continue
                self.bytes_read += len(data)
                digest = hashlib.sha256(data).hexdigest()
                cache.remember_digest(key_path, st, digest)
                key = cache.key(digest, cand.kind)
                cached = cache.get(key)
                if cached is not None:
                    state.files[cand.path] = ScannedFile.read(cand.path, digest, cached)
                    continue
                state.remaining += 1
                yield (number, cand.path, digest, key), cand.kind, data
            state.listed = True
            if sum(1 for s in pending if s.done) >= MAX_WAITING:
                return


class _Listing:
    """The repositories still to be listed, numbered in order; :attr:`exhausted` once all are."""

    def __init__(self, source: Iterator[tuple[str, Path]]) -> None:
        self._source = source
        self._number = 0
        self.exhausted = False

    def __iter__(self) -> Iterator[tuple[int, tuple[str, Path]]]:
        for item in self._source:
            self._number += 1
            yield self._number, item
        self.exhausted = True


def scan_repo(path: Path, repo_id: str | None = None, *, jobs: int = 1, cache_dir: Path | None = None,
              limits: Limits | None = None, timeout_per_file: float = 120.0) -> RepoScan:
    """Scan one repository work tree into its records; ``repo_id`` defaults to the folder name."""
    rid = repo_id if repo_id is not None else Path(path).resolve().name
    with Scanner(jobs, cache_dir, limits, timeout_per_file) as scanner:
        [scanned] = scanner.scan([(rid, Path(path))])
    return scanned
