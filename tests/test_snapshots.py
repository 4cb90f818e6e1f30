"""The census's snapshot list (miners/snapshots.py): next repositories in rank order, merging
fetch results, and what is refused."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from miners import snapshots
from miners.corpus.sample import rank
from tests.conftest import ROOT

SHA = "a" * 40


def _frame(path: Path, names: list[str]) -> Path:
    path.write_text("repo,evidence\n" + "".join(f"{n},x\n" for n in names))
    return path


def test_pending_repositories_come_in_rank_order_and_merged_results_leave_them(tmp_path: Path) -> None:
    names = [f"o{i}/r{i}" for i in range(8)]
    frame = _frame(tmp_path / "frame.csv", names)
    snaps = tmp_path / "snapshots.csv"
    order = snapshots.pending(frame, snaps, seed=7)
    assert order == sorted(names, key=lambda n: rank(7, n))
    fetched = tmp_path / "status0.csv"
    fetched.write_text("full_name,status,path,head,reason\n"
                       f"{order[0]},fetched,/m/x/repo,{SHA},\n"
                       f"{order[1]},unavailable,,,No snapshot of that repository can be had here.\n"
                       f"{order[2]},unavailable,,,This session can look up no new repositories; work with those\n")
    counts = snapshots.merge(snaps, [fetched])
    assert counts == {"fetched": 1, "unavailable": 1}  # the look-up that did not happen stays pending
    assert snapshots.pending(frame, snaps, seed=7) == order[2:]
    rows = snapshots.read(snaps)
    assert rows[order[0]] == {"full_name": order[0], "status": "fetched", "head": SHA, "reason": ""}
    assert rows[order[1]]["reason"].startswith("No snapshot")
    again = snaps.read_bytes()
    snapshots.merge(snaps, [fetched])
    assert snaps.read_bytes() == again  # idempotent, sorted


def test_a_fetched_row_without_its_head_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "status.csv"
    bad.write_text("full_name,status,path,has_sha,reason\no/r,fetched,/m/o+r/repo,true,\n")
    with pytest.raises(snapshots.SnapshotError, match="head commit"):
        snapshots.merge(tmp_path / "snapshots.csv", [bad])
    bad.write_text("full_name,status,path,head,reason\no/r,maybe,,,\n")
    with pytest.raises(snapshots.SnapshotError, match="fetched or unavailable"):
        snapshots.merge(tmp_path / "snapshots.csv", [bad])


def test_the_study_snapshot_list_is_valid_and_next_lists_the_pending_ones() -> None:
    rows = snapshots.read(ROOT / "study" / "snapshots.csv")
    assert rows and all(r["status"] in snapshots.STATUSES for r in rows.values())
    out = subprocess.run([sys.executable, "-m", "miners", "snapshots", "next", "--count", "5"], cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout.splitlines()
    assert out[0] == "full_name" and len(out) <= 6 and not set(out[1:]) & set(rows)
