"""Per-file result cache keyed by content hash and miner version.

The key is ``sha256(content) + kind + MINER_VERSION``; ``MINER_VERSION`` includes a digest of
the source of the mined rooms (:data:`miners.MINED_BY`, the scan room among them), so a changed
detector never serves a stale result. A second table
remembers each file's content hash with its stat signature (size, modification time in
nanoseconds, inode, device), the way git's index does: a file whose signature is unchanged
is not read again on a rescan. The cache is one SQLite file; only the scanning parent
process reads and writes it.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from pathlib import Path
from typing import Any

from miners import MINER_VERSION
from miners.scan.records import FileResult


class ResultCache:
    def __init__(self, directory: Path | None) -> None:
        self._db: sqlite3.Connection | None = None
        self.hits = 0
        if directory is not None:
            directory = Path(directory)
            directory.mkdir(parents=True, exist_ok=True)
            self._pending: list[tuple[str, str]] = []
            self._pending_stats: list[tuple[str, str, str]] = []
            self._db = self._open(directory / "scan-cache.sqlite")

    @staticmethod
    def _open(path: Path) -> sqlite3.Connection | None:
        """Open the cache; several scans (the threads of a mine run) may open it at once, and
        switching a new file to WAL can fail at once on a lock: retry, else run uncached."""
        import time

        for attempt in range(8):
            db = None
            try:
                db = sqlite3.connect(path, isolation_level=None, timeout=60)
                db.execute("PRAGMA busy_timeout=60000")
                db.execute("PRAGMA journal_mode=WAL")
                db.execute("PRAGMA synchronous=NORMAL")
                db.execute("CREATE TABLE IF NOT EXISTS results (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
                db.execute("CREATE TABLE IF NOT EXISTS stats (path TEXT PRIMARY KEY, sig TEXT NOT NULL, digest TEXT NOT NULL)")
                db.execute("CREATE TABLE IF NOT EXISTS listings (repo TEXT PRIMARY KEY, sig TEXT NOT NULL, paths TEXT NOT NULL)")
                return db
            except sqlite3.OperationalError:
                if db is not None:
                    db.close()
                time.sleep(0.05 * 2 ** attempt)
        return None

    @staticmethod
    def key(digest: str, kind: str) -> str:
        return f"{digest}:{kind}:{MINER_VERSION}"

    def get(self, key: str) -> FileResult | None:
        if self._db is None:
            return None
        try:
            row = self._db.execute("SELECT value FROM results WHERE key = ?", (key,)).fetchone()
        except sqlite3.OperationalError:  # the cache only saves work: trouble with it is a miss
            row = None
        if row is None:
            return None
        self.hits += 1
        return FileResult.from_json(json.loads(row[0]))

    @staticmethod
    def signature(st: Any) -> str:
        return f"{st.st_size}:{st.st_mtime_ns}:{st.st_ino}:{st.st_dev}"

    def known_digest(self, path: str, st: Any) -> str | None:
        """The content hash recorded for ``path`` if its stat signature is unchanged."""
        if self._db is None:
            return None
        try:
            row = self._db.execute("SELECT sig, digest FROM stats WHERE path = ?", (path,)).fetchone()
        except sqlite3.OperationalError:
            return None
        return row[1] if row and row[0] == self.signature(st) else None

    def remember_digest(self, path: str, st: Any, digest: str) -> None:
        if self._db is not None:
            self._pending_stats.append((path, self.signature(st), digest))

    def listing(self, repo: str, sig: str | None) -> list[str] | None:
        """The tracked code files recorded for ``repo`` under an unchanged index signature."""
        if self._db is None or sig is None:
            return None
        try:
            row = self._db.execute("SELECT sig, paths FROM listings WHERE repo = ?", (repo,)).fetchone()
        except sqlite3.OperationalError:
            return None
        return json.loads(row[1]) if row and row[0] == sig else None

    def remember_listing(self, repo: str, sig: str | None, paths: list[str]) -> None:
        if self._db is not None and sig is not None:
            with contextlib.suppress(sqlite3.OperationalError):  # else the next scan lists the files again
                self._db.execute("INSERT OR REPLACE INTO listings (repo, sig, paths) VALUES (?, ?, ?)",
                                 (repo, sig, json.dumps(paths)))

    def put(self, key: str, result: FileResult) -> None:
        if self._db is None:
            return
        self._pending.append((key, json.dumps(result.to_json(), separators=(",", ":"))))
        if len(self._pending) >= 500:
            self.flush()

    def flush(self) -> None:
        if self._db is None or not (self._pending or self._pending_stats):
            return
        try:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.executemany("INSERT OR REPLACE INTO results (key, value) VALUES (?, ?)", self._pending)
            self._db.executemany("INSERT OR REPLACE INTO stats (path, sig, digest) VALUES (?, ?, ?)", self._pending_stats)
            self._db.execute("COMMIT")
        except sqlite3.OperationalError:  # not cached this time; the results themselves are unaffected
            if self._db.in_transaction:
                self._db.execute("ROLLBACK")
        self._pending = []
        self._pending_stats = []

    def close(self) -> None:
        if self._db is not None:
            self.flush()
            self._db.close()
            self._db = None
