"""miners/rerun/readings.py: the harness's first runs against a reading of the projects."""

from __future__ import annotations

from pathlib import Path

from miners.csvio import read_csv, write_csv
from miners.rerun import readings


def test_check_counts_the_runnable_projects_the_harness_captured(tmp_path: Path) -> None:
    write_csv(tmp_path / "r.csv", ["position", "repo", "class", "command"], [
        {"position": 1, "repo": "a/x", "class": "runs_offline", "command": "python t.py"},
        {"position": 2, "repo": "b/y", "class": "runs_offline", "command": "python u.py"},
        {"position": 3, "repo": "c/z", "class": "needs_data", "command": ""},
        {"position": 10, "repo": "d/w", "class": "runs_offline", "command": "python v.py"}], sort_key=["repo"])
    cols = ["full_name", "condition", "run", "status", "metrics_logged", "entry", "reason"]
    write_csv(tmp_path / "runs.csv", cols, [
        {"full_name": "a/x", "condition": "as_written", "run": 1, "status": "ok", "metrics_logged": 2},
        {"full_name": "a/x", "condition": "seeds_forced", "run": 1, "status": "crashed"},
        {"full_name": "b/y", "condition": "as_written", "run": 1, "status": "data_missing", "reason": "x.csv"},
        {"full_name": "c/z", "condition": "as_written", "run": 1, "status": "crashed_after_metrics"}],
        sort_key=["full_name"])
    rows = readings.check(tmp_path / "r.csv", tmp_path / "runs.csv")
    assert [(r["repo"], r["status"], r["captured"]) for r in rows] == [
        ("a/x", "ok", True), ("b/y", "data_missing", False), ("c/z", "crashed_after_metrics", True),
        ("d/w", "not_run", False)]  # ordered by position, numerically
    text = readings.summary(rows)
    assert text.splitlines()[0] == "read runs_offline: 3; the harness captured metrics for 1"
    assert "not captured: b/y (data_missing: x.csv)" in text and "captured although read needs_data: c/z" in text


def test_subset_keeps_the_frame_and_corpus_rows_of_the_named_projects(tmp_path: Path) -> None:
    write_csv(tmp_path / "order.csv", ["full_name"], [{"full_name": "a/x"}], sort_key=["full_name"])
    write_csv(tmp_path / "corpus.csv", ["full_name", "sha"], [{"full_name": "a/x", "sha": "1"},
                                                             {"full_name": "b/y", "sha": "2"}], sort_key=["full_name"])
    write_csv(tmp_path / "frame.csv", ["repo", "evidence"], [{"repo": "a/x", "evidence": "e"},
                                                            {"repo": "b/y", "evidence": "f"}], sort_key=["repo"])
    assert readings.subset(tmp_path / "order.csv", tmp_path / "corpus.csv", tmp_path / "frame.csv", tmp_path / "o") == 1
    assert read_csv(tmp_path / "o" / "results" / "corpus.csv") == [{"full_name": "a/x", "sha": "1"}]
    assert read_csv(tmp_path / "o" / "frame.csv") == [{"repo": "a/x", "evidence": "e"}]
