"""Run-to-run variance of the metrics of re-executed projects.

Definitions (per repository, condition and metric key; only runs whose metrics count, status
``ok`` or ``crashed_after_metrics`` (a run that logged its metrics and then failed, e.g. in
``log_model``; :data:`~miners.rerun.vocab.METRIC_STATUSES`), count):

* ``runs_ok``: runs of the (repository, condition) whose metrics count; ``runs_with_key``: of
  those, the runs that logged the key. A run's value of a key is its value at the largest step.
* ``mean``, ``std`` (sample standard deviation, ``ddof=1``), ``min``, ``max``, ``range`` =
  max - min, ``rel_range`` = range / |mean| (0 when range is 0; empty when mean is 0 and range
  is not), ``cv`` = std / |mean| (same convention); all in the metric's own unit.
* ``identical``: every run that logged the key gives the bitwise same float (IEEE-754 bits),
  and all ``runs_ok`` runs logged it; ``within_1e-9`` / ``within_1e-6``: every value equals the
  first within that relative tolerance (``math.isclose(rel_tol=t, abs_tol=0)``).
* ``timing``: the key names a duration, time, memory or throughput (``TIMING``); such keys vary
  by nature and are reported but excluded from the verdict.
* ``original_value``: for a repository that commits ``mlruns/``, the value of the same key (bare,
  without the ``run<i>/`` prefix) in the latest committed run that logged it;
  ``diff_to_original`` = mean - original, ``rel_diff_to_original`` = that / |original|.

Per (repository, condition) ``verdict``: ``not_judged`` when fewer than two runs are ``ok`` or
no non-timing key was logged by at least two of them (``why`` says which, and the most common
failure status); else ``identical`` when every judged key is identical, ``within_tolerance``
when every judged key is within 1e-6, else ``varying``.
"""

from __future__ import annotations

import math
import re
import statistics
import struct
from collections import Counter, defaultdict
from typing import Any

from miners.rerun.vocab import AGREEMENTS, METRIC_STATUSES, Agreement, Verdict
from miners.schema import names

TIMING = re.compile(r"(^|[/_.\-\s])(time|times|duration|runtime|seconds|secs|sec|elapsed|latency|"
                    r"throughput|memory|mem|fit_time|score_time|epoch_time|speed|it_per_s|samples_per_second|"
                    r"steps_per_second|timestamp)([/_.\-\s]|$)", re.I)
TOLERANCES = (1e-9, 1e-6)
VARIANCE_COLUMNS = names("variance")
REPO_COLUMNS = names("rerun_repos")


def _bits(x: float) -> bytes:
    return struct.pack("<d", x)


def _ratio(num: float, den: float) -> float | None:
    if num == 0:
        return 0.0
    return num / abs(den) if den != 0 else None


def key_stats(values: list[float], runs_ok: int) -> dict[str, Any]:
    """The statistics of one key's values (one per ok run that logged it)."""
    n = len(values)
    mean = statistics.fmean(values)
    std = statistics.stdev(values) if n > 1 else 0.0
    lo, hi = min(values), max(values)
    out: dict[str, Any] = {"runs_ok": runs_ok, "runs_with_key": n, "mean": mean, "std": std, "min": lo, "max": hi,
                           "range": hi - lo, "rel_range": _ratio(hi - lo, mean), "cv": _ratio(std, mean)}
    finite = all(math.isfinite(v) for v in values)
    out["identical"] = n == runs_ok and n >= 2 and len({_bits(v) for v in values}) == 1
    for tol in TOLERANCES:
        out[f"within_{tol:.0e}".replace("e-0", "e-")] = n >= 2 and n == runs_ok and (
            out["identical"] or (finite and all(math.isclose(v, values[0], rel_tol=tol, abs_tol=0) for v in values)))
    return out


def variance(runs: list[dict[str, Any]], metrics: list[dict[str, Any]],
             originals: dict[str, dict[str, float]]) -> list[dict[str, Any]]:
    """Rows of variance.csv from reruns.csv rows, rerun_metrics.csv rows and committed originals
    (repo -> bare key -> value)."""
    ok = defaultdict(set)
    for r in runs:
        if r["status"] in METRIC_STATUSES:
            ok[(r["repo"], r["condition"])].add(int(r["run"]))
    values: dict[tuple[str, str, str], list[tuple[int, float]]] = defaultdict(list)
    for m in metrics:
        key = (m["repo"], m["condition"])
        if int(m["run"]) in ok.get(key, ()) and m["is_last"] in (True, "true"):
            values[(m["repo"], m["condition"], m["key"])].append((int(m["run"]), float(m["value"])))
    rows = []
    for (repo, cond, key), pairs in sorted(values.items()):
        vals = [v for _, v in sorted(pairs)]
        row = {"repo": repo, "condition": cond, "key": key, "timing": bool(TIMING.search(key)),
               **key_stats(vals, len(ok[(repo, cond)]))}
        bare = key.split("/", 1)[1] if re.match(r"run\d+/", key) else key
        orig = originals.get(repo, {}).get(bare)
        if orig is not None:
            row["original_value"] = orig
            row["diff_to_original"] = row["mean"] - orig
            row["rel_diff_to_original"] = _ratio(row["mean"] - orig, orig)
        rows.append(row)
    return rows


def verdicts(runs: list[dict[str, Any]], var_rows: list[dict[str, Any]],
             repos: dict[str, dict[str, Any]], conditions: list[str]) -> list[dict[str, Any]]:
    """Rows of rerun_repos.csv: one per (repository, condition)."""
    by_rc: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for r in runs:
        by_rc[(r["repo"], r["condition"])].append(r)
    keys: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for v in var_rows:
        if not v["timing"] and v["runs_with_key"] >= 2:
            keys[(v["repo"], v["condition"])].append(v)
    out = []
    for repo, info in sorted(repos.items()):
        for cond in conditions:
            rr = by_rc.get((repo, cond), [])
            n_ok = sum(r["status"] in METRIC_STATUSES for r in rr)
            judged = keys.get((repo, cond), [])
            row = {"repo": repo, "full_name": info.get("full_name", ""), "condition": cond, "runs_planned": len(rr),
                   "runs_ok": n_ok, "metrics_compared": len(judged), "sets_seed": info.get("sets_seed", ""),
                   "seed_coverage": info.get("seed_coverage", ""), "entry_kind": info.get("entry_kind", "")}
            failures = Counter(r["status"] for r in rr if r["status"] not in METRIC_STATUSES)
            if n_ok < 2:
                common = failures.most_common(1)[0][0] if failures else "not run"
                row.update(verdict=Verdict.NOT_JUDGED, why=f"{n_ok} run(s) ok; most common status: {common}")
            elif not judged:
                row.update(verdict=Verdict.NOT_JUDGED, why="no non-timing metric logged by two or more ok runs")
            else:
                rel = [v["rel_range"] for v in judged]
                finite = [x for x in rel if x is not None]
                row["max_rel_range"] = max(finite) if len(finite) == len(rel) else None
                row["median_rel_range"] = statistics.median(finite) if finite else None
                if all(v["identical"] for v in judged):
                    row.update(verdict=Verdict.IDENTICAL, why="")
                elif all(v["within_1e-6"] for v in judged):
                    row.update(verdict=Verdict.WITHIN_TOLERANCE, why="")
                else:
                    row.update(verdict=Verdict.VARYING, why="" if n_ok == len(rr) else f"{len(rr) - n_ok} run(s) not ok")
                if row["max_rel_range"] is None and row["verdict"] == Verdict.VARYING:
                    row["why"] = (row["why"] + "; " if row["why"] else "") + "a metric with mean 0 varies"
            out.append(row)
    return out


# ------------------------------------------------------------------------ committed originals

ORIGINAL_COLUMNS = names("rerun_originals")


def agreement(original: float, value: float) -> Agreement:
    """``identical`` (the same IEEE-754 bits), ``within_1e-6`` or ``within_1pct`` (relative to the
    original, ``math.isclose``), else ``different``."""
    if _bits(original) == _bits(value):
        return Agreement.IDENTICAL
    if math.isclose(value, original, rel_tol=1e-6, abs_tol=0.0):
        return Agreement.WITHIN_1E_6
    if math.isclose(value, original, rel_tol=1e-2, abs_tol=0.0):
        return Agreement.WITHIN_1PCT
    return Agreement.DIFFERENT


def _groups(values: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Keys of one rerun split by MLflow run: ``run<i>/key`` -> group ``run<i>``; bare keys -> ''."""
    out: dict[str, dict[str, Any]] = {}
    for key, v in values.items():
        m = re.match(r"^(run\d+)/(.+)$", key)
        group, bare = (m.group(1), m.group(2)) if m else ("", key)
        out.setdefault(group, {})[bare] = v
    return out


def compare_originals(records: list[dict[str, Any]], committed: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """Each rerun MLflow run against the committed run with the same parameters.

    Definition. A rerun's MLflow run (its params and each metric's final value) *matches* a
    committed run (``mlruns/`` at the pinned commit) when both have the same parameter keys with
    the same string values (both may have none) and at least one metric key in common; among
    several matches the latest committed run counts. Each common metric key gives one row with
    the original value, the rerun's, ``diff`` = rerun - original, ``rel_diff`` = diff / |original|
    and the :func:`agreement`. ``records``: ``{"repo", "condition", "run", "status", "params",
    "metrics"}`` per run (metrics as ``{key: [(step, value, is_last)]}``); only runs whose metrics
    count are compared."""
    rows = []
    for rec in records:
        originals = committed.get(rec["repo"]) or []
        if rec["status"] not in METRIC_STATUSES or not originals:
            continue
        params = _groups(rec.get("params") or {})
        finals = {k: next(v for _s, v, last in vals if last) for k, vals in (rec.get("metrics") or {}).items()}
        for group, metrics in sorted(_groups(finals).items()):
            p = params.get(group, {})
            matches = [o for o in originals if o["params"] == p and set(o["metrics"]) & set(metrics)]
            if not matches:
                continue
            orig = matches[-1]
            for key in sorted(set(orig["metrics"]) & set(metrics)):
                o, v = float(orig["metrics"][key]), float(metrics[key])
                rel = _ratio(v - o, o)
                rows.append({"repo": rec["repo"], "condition": rec["condition"], "run": rec["run"], "mlflow_run": group,
                             "original_run_id": orig["run_id"], "key": key, "original_value": o, "rerun_value": v,
                             "diff": v - o, "rel_diff": "" if rel is None else rel, "agreement": agreement(o, v)})
    return rows


def original_summary(rows: list[dict[str, Any]]) -> dict[tuple[str, str], tuple[int, str]]:
    """Per (repository, condition): the number of compared values and the weakest agreement
    among them (``identical`` < ``within_1e-6`` < ``within_1pct`` < ``different``)."""
    out: dict[tuple[str, str], tuple[int, str]] = {}
    for r in rows:
        k = (r["repo"], r["condition"])
        n, worst = out.get(k, (0, Agreement.IDENTICAL))
        worst = max(worst, r["agreement"], key=AGREEMENTS.index)
        out[k] = (n + 1, worst)
    return out
