"""Committed records: the compressed per-repository records that let ``mine`` and ``history``
resume on any machine, without the clones they were made from.

Definition. A committed record is one JSON document per repository and stage, gzip-compressed
deterministically (no file name, modification time 0, level 9: the same record gives the same
bytes on any machine), at ``results/records/<stage>/<owner__name>.json.gz``. It holds only facts
the pipeline derived (statuses, commit ids, per-file results and call sites, content hashes,
counts and dates), never a file of the repository. It is written as soon as the repository's
work record is, and read back when a run finds no current work record of its own: a record is
*current* when the stamp it carries (``miner_version`` for ``mine``, ``history_version`` for
``history``) is the running code's, so a change to the code that makes records redoes them from
clones, and a change to anything else (publication, analysis) re-publishes the same tables from
the committed records alone.

Committed records are how a census larger than one machine's mirrors is built in chunks: fetch
some repositories, mine them, walk their histories, commit their records; the next chunk, on
another machine, starts from those records.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

from miners.csvio import atomic_write_bytes

#: Where committed records live, relative to the repository root (one folder per stage).
DEFAULT_DIR = Path("results") / "records"


def encode(record: dict[str, Any]) -> bytes:
    """The deterministic compressed bytes of a record (sorted keys, compact separators)."""
    raw = json.dumps(record, sort_keys=True, separators=(",", ":"), default=str).encode("utf-8")
    return gzip.compress(raw, compresslevel=9, mtime=0)


class CommittedRecords:
    """The committed records of one stage (``mine`` or ``history``) below ``root``."""

    def __init__(self, root: Path | str, stage: str) -> None:
        self.dir = Path(root) / stage

    def path(self, rid: str) -> Path:
        return self.dir / f"{rid}.json.gz"

    def save(self, rid: str, record: dict[str, Any]) -> bool:
        """Write the record unless the same bytes are there already; True when written."""
        data = encode(record)
        path = self.path(rid)
        try:
            if path.read_bytes() == data:
                return False
        except OSError:
            pass
        self.dir.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(path, data)
        return True

    def load(self, rid: str) -> dict[str, Any] | None:
        """The record of repository ``rid``, or None when there is none or it cannot be read
        (a torn or foreign file is treated as absent: the repository is redone)."""
        try:
            record = json.loads(gzip.decompress(self.path(rid).read_bytes()))
        except (OSError, ValueError, EOFError):
            return None
        return record if isinstance(record, dict) else None

    def ids(self) -> list[str]:
        """The repository ids that have a committed record, sorted."""
        return sorted(p.name[: -len(".json.gz")] for p in self.dir.glob("*.json.gz"))


class StaleRecordsError(ValueError):
    """Committed records made by other code whose repositories cannot be cloned on this machine:
    redoing them would replace the census's data with clone failures, so the run keeps them,
    publishes nothing and names them."""
