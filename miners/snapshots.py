"""The snapshot list of a census mined in chunks (``study/snapshots.csv``): which repositories of
the frame have been looked up, which to fetch next, and how a chunk's fetch results join it.

Definitions. The snapshot list has one row per repository of the frame whose snapshot (a local
mirror made by the fetch tool) has been looked up: ``full_name``; ``status``, ``fetched`` or
``unavailable``; ``head``, the mirror's HEAD commit when fetched (40 hex digits); ``reason``,
the look-up's answer when unavailable. A repository not in the list is *pending*. Pending
repositories are fetched in sample-rank order (:func:`miners.corpus.sample.rank` with the
protocol's seed), so the part of the frame looked up at any time is a seeded random sample of
it. A look-up that did not happen (the session's quota was spent, the tool was busy) is not a
row: the repository stays pending.

Commands: ``python -m miners snapshots next --count N`` prints the next N pending repositories;
``python -m miners snapshots add --from FILE...`` merges fetch results (CSV ``full_name, status, path,
head, reason``; ``path`` is ignored) into the list, sorted, and prints the counts.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from miners.corpus.sample import rank
from miners.csvio import read_csv, write_csv

COLUMNS = ["full_name", "status", "head", "reason"]
STATUSES = ("fetched", "unavailable")
#: Answers that mean the look-up did not happen: the repository stays pending.
NOT_LOOKED_UP = ("can look up no new repositories", "not called", "can't be looked up right now",
                 "still being copied", "did not arrive whole")
SHA = re.compile(r"^[0-9a-f]{40}$")


class SnapshotError(ValueError):
    """A snapshot list or a fetch result that does not have the expected form."""


def read(path: Path) -> dict[str, dict[str, str]]:
    """The snapshot list (empty when the file does not exist yet), checked."""
    path = Path(path)
    if not path.exists():
        return {}
    rows = read_csv(path)
    for r in rows:
        _check(r, path)
    return {r["full_name"]: {c: r.get(c, "") for c in COLUMNS} for r in rows}


def _check(r: dict[str, str], where: Path) -> None:
    name = r.get("full_name", "")
    if name.count("/") != 1:
        raise SnapshotError(f"{where}: {name!r} is not owner/name")
    if r.get("status") not in STATUSES:
        raise SnapshotError(f"{where}: {name}: status {r.get('status')!r}, expected fetched or unavailable")
    if r["status"] == "fetched" and not SHA.match(r.get("head", "")):
        raise SnapshotError(f"{where}: {name}: a fetched snapshot needs its head commit (40 hex digits)")


def pending(frame: Path, snapshots: Path, seed: int) -> list[str]:
    """The frame's repositories not yet looked up, in sample-rank order."""
    done = read(snapshots)
    names = [r["repo"] for r in read_csv(frame) if r.get("repo")]
    return sorted((n for n in names if n not in done), key=lambda n: rank(seed, n))


def merge(snapshots: Path, results: Iterable[Path]) -> Counter:
    """Merge fetch results into the snapshot list (a later result for a repository replaces an
    earlier one; answers in :data:`NOT_LOOKED_UP` are left out); returns the counts by status
    of the merged list."""
    rows = read(snapshots)
    for path in results:
        for r in read_csv(path):
            reason = (r.get("reason") or "").strip()
            if r.get("status") != "fetched" and any(s in reason.lower() for s in NOT_LOOKED_UP):
                continue
            row = {"full_name": r.get("full_name", ""), "status": r.get("status", ""),
                   "head": r.get("head", "") if r.get("status") == "fetched" else "",
                   "reason": "" if r.get("status") == "fetched" else reason}
            _check(row, Path(path))
            rows[row["full_name"]] = row
    write_csv(snapshots, COLUMNS, rows.values(), sort_key=["full_name"])
    return Counter(r["status"] for r in rows.values())


def write_list(names: Iterable[str], out: Path | None) -> str:
    """Names one per line under a ``full_name`` header (the helpers' input form)."""
    text = "full_name\n" + "".join(f"{n}\n" for n in names)
    if out is not None:
        Path(out).write_text(text)
    return text


__all__ = ["COLUMNS", "SnapshotError", "merge", "pending", "read", "write_list"]
