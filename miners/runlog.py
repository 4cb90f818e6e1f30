"""Run logs: what one run of a long stage cost, for ``make bench`` and the census notes.

Definition. A run log is ``<work>/logs/<stage>-<UTC time>.json`` holding ``stage``;
``repositories`` (the stage's tasks), ``done`` (tasks it ran: cloned and scanned, or walked),
``restored`` (tasks restored from committed or earlier records); ``seconds`` of wall time;
``repositories_per_minute`` (``done`` per minute of wall time, null when none ran); and
``max_rss_mb``, the peak resident memory of the stage's process and of its largest child
(parser workers, git), in MiB. Run logs are never published: results carry no timings.
"""

from __future__ import annotations

import datetime as dt
import json
import resource
from pathlib import Path
from typing import Any

from miners.csvio import atomic_write_bytes


def peak_rss_mb() -> dict[str, float]:
    """Peak resident memory of this process and of its largest waited-for child, MiB."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {"self": round(own, 1), "largest_child": round(child, 1)}


def write(logs: Path, stage: str, repositories: int, done: int, restored: int, seconds: float) -> Path:
    """Write one run log; returns its path."""
    logs = Path(logs)
    logs.mkdir(parents=True, exist_ok=True)
    info: dict[str, Any] = {
        "stage": stage, "repositories": repositories, "done": done, "restored": restored,
        "seconds": round(seconds, 1),
        "repositories_per_minute": round(60 * done / seconds, 1) if done and seconds > 0 else None,
        "max_rss_mb": peak_rss_mb(),
        "finished_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    path = logs / f"{stage}-{dt.datetime.now(dt.UTC).strftime('%Y%m%dT%H%M%SZ')}.json"
    atomic_write_bytes(path, (json.dumps(info, indent=2, sort_keys=True) + "\n").encode())
    return path


def latest(logs: Path, stage: str) -> dict[str, Any] | None:
    """The most recent run log of ``stage`` under ``logs`` (None when there is none)."""
    paths = sorted(Path(logs).glob(f"{stage}-*.json"))
    for path in reversed(paths):
        try:
            return json.loads(path.read_text())
        except (OSError, ValueError):
            continue
    return None
