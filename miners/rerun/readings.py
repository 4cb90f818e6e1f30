"""The harness against a reading of the projects (``study/rerun-readings/``).

Definitions. A *reading* classifies each project (``first30.csv``: ``runs_offline``,
``needs_download``, ``needs_data``, ``needs_gpu``, ``needs_server``, ``broken``,
``no_tracking``). The *check* joins it with the harness's first run of each project as
written (``reruns.csv``, condition ``as_written``, run 1): ``captured`` is true when that run's
metrics count (status ``ok`` or ``crashed_after_metrics``). The headline is, among the projects
read ``runs_offline``, how many the harness captured, and the list of those it did not (with
the status and reason), together with the projects it captured although the reading said they
would not run.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from miners.csvio import read_csv, write_csv
from miners.rerun.vocab import METRIC_STATUSES, CheckStatus

CHECK_COLUMNS = ["position", "repo", "class", "command", "status", "captured", "metrics_logged", "recipe",
                 "recipe_source", "python", "env_status", "interventions", "reason"]


def check(readings: Path, reruns: Path) -> list[dict[str, Any]]:
    """One row per read project (module docstring)."""
    runs = {r["full_name"]: r for r in read_csv(reruns) if r["condition"] == "as_written" and r["run"] == "1"}
    out = []
    for r in read_csv(readings):
        run = runs.get(r["repo"], {})
        out.append({"position": int(r["position"]), "repo": r["repo"], "class": r["class"], "command": r["command"],
                    "status": run.get("status", CheckStatus.NOT_RUN), "captured": run.get("status") in METRIC_STATUSES,
                    "metrics_logged": run.get("metrics_logged", ""), "recipe": run.get("entry", ""),
                    "recipe_source": run.get("recipe_source", ""), "python": run.get("python", ""),
                    "env_status": run.get("env_status", ""), "interventions": run.get("interventions", ""),
                    "reason": run.get("reason", "")[:300]})
    return sorted(out, key=lambda row: row["position"])


def summary(rows: list[dict[str, Any]]) -> str:
    runnable = [r for r in rows if r["class"] == "runs_offline"]
    captured = [r for r in runnable if r["captured"]]
    lines = [f"read runs_offline: {len(runnable)}; the harness captured metrics for {len(captured)}"]
    lines += [f"  not captured: {r['repo']} ({r['status']}: {r['reason'][:120]})" for r in runnable if not r["captured"]]
    extra = [r for r in rows if r["class"] != "runs_offline" and r["captured"]]
    lines += [f"  captured although read {r['class']}: {r['repo']}" for r in extra]
    return "\n".join(lines) + "\n"


def write(rows: list[dict[str, Any]], out: Path) -> None:
    write_csv(out, CHECK_COLUMNS, rows, sort_key=["position"])


def subset(names_csv: Path, corpus: Path, frame: Path, out: Path) -> int:
    """Write ``out/frame.csv`` and ``out/results/corpus.csv``: the rows of the frame and of the
    mined corpus for the ``full_name`` column of ``names_csv``, so that ``make mine`` re-mines
    exactly those repositories at their pinned commits. Returns how many were found."""
    names = {r["full_name"] for r in read_csv(names_csv)}
    corpus_rows = [r for r in read_csv(corpus) if r["full_name"] in names]
    frame_rows = [r for r in read_csv(frame) if r.get("repo", r.get("full_name")) in names]
    for rows, path in ((frame_rows, out / "frame.csv"), (corpus_rows, out / "results" / "corpus.csv")):
        header = list(rows[0]) if rows else ["full_name"]
        write_csv(path, header, rows, sort_key=[header[0]])
    return len(corpus_rows)
