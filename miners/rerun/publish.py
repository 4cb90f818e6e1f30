"""Publish the rerun records as CSVs (byte-identical for the same records).

Tables (columns in :data:`RUN_COLUMNS` etc.; documented in the data package):

* ``reruns.csv``: one row per run (:mod:`miners.rerun.harness`);
* ``rerun_metrics.csv`` / ``rerun_params.csv``: every metric value per step, every param;
* ``variance.csv`` / ``rerun_repos.csv``: run-to-run variance and verdicts (:mod:`miners.rerun.variance`);
* ``rerun_originals.csv``: each rerun metric against the committed run with the same parameters;
* ``rerun_recipes.csv``: every recipe tried on a project's first run, with its outcome, and the
  commands found but not usable (``status`` skipped);
* ``rerun_environments.csv`` and ``rerun_locks/<repo>-<environment>.txt``: how each environment was
  built and what it resolved to;
* ``rerun_sample.csv``, ``rerun_funnel.csv`` (absolute counts per stage and condition) and
  ``rerun_provenance.json`` (the only output with a date).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import Counter
from dataclasses import asdict
from pathlib import Path
from typing import Any

from miners.csvio import atomic_write_bytes, write_csv
from miners.rerun import environment, sandbox, variance
from miners.rerun.config import Config
from miners.rerun.records import RunRecord, record_path
from miners.rerun.sampling import SAMPLE_COLUMNS, Project
from miners.rerun.vocab import METRIC_STATUSES, EntryKind, ProbeStatus, RunStatus, Sandbox, Verdict
from miners.schema import names

RUN_COLUMNS = names("reruns")
METRIC_COLUMNS = names("rerun_metrics")
PARAM_COLUMNS = names("rerun_params")
ENV_COLUMNS = names("rerun_environments")
RECIPE_COLUMNS = names("rerun_recipes")
FUNNEL_COLUMNS = names("rerun_funnel")
CAUSE_COLUMNS = names("rerun_causes")


def provenance(cfg: Config, projects: list[Project], sample: dict[str, Any]) -> dict[str, Any]:
    """What produced the rerun tables: the sample's definition, the harness settings, the
    sandbox, the harness version and the machine (the only rerun output with a date)."""
    import os
    import platform

    from miners import MINER_VERSION, __version__

    return {"harness": f"{__version__}+{_harness_digest()}", "miner_version": MINER_VERSION,
            "sample": sample, "repositories": len(projects), "runs_per_condition": cfg.runs,
            "conditions": list(cfg.conditions), "timeout_s": cfg.timeout, "memory_mb": cfg.memory_mb,
            "threads": cfg.threads, "skip_repeating": cfg.skip_repeating, "sandbox": sandbox.available() or Sandbox.NONE,
            "python": platform.python_version(), "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
            "published_at": now()}


def harness_version() -> str:
    """``<package version>+<digest of the harness's source>``: which harness made a record."""
    from miners import __version__

    return f"{__version__}+{_harness_digest()}"


def _harness_digest() -> str:
    """Digest of the harness's source, sub-packages included (``recipes/``)."""
    h = hashlib.sha256()
    here = Path(__file__).parent
    for path in sorted(here.rglob("*.py")):
        h.update(path.relative_to(here).as_posix().encode() + path.read_bytes())
    return h.hexdigest()[:12]


def _environments(cfg: Config, p: Project, out: Path) -> list[dict[str, Any]]:
    """Rows of rerun_environments.csv for one project (one per environment built) and its locks."""
    found = []
    folder = cfg.work / "envs" / p.repo
    for env_file in sorted(folder.glob("*/env.json")) if folder.is_dir() else []:
        found.append((env_file.parent.name, json.loads(env_file.read_text())))
    if not found and cfg.python_env is not None:
        found.append(("given", asdict(environment.given(cfg.python_env))))
    rows = []
    for name, e in found:
        rows.append({"repo": p.repo, "environment": name, **{k: e.get(k, "") for k in ENV_COLUMNS if k not in
                                                             ("repo", "environment")},
                     **{k: "; ".join(e.get(k) or []) for k in ("requirements", "dropped", "added", "interventions")}})
        if e.get("lock"):
            atomic_write_bytes(out / "rerun_locks" / f"{p.repo}-{name}.txt", e["lock"].encode())
    return rows


def _recipe_rows(cfg: Config, p: Project) -> list[dict[str, Any]]:
    """Rows of rerun_recipes.csv for one project: the probes of its first run (``chosen`` marks
    the kept recipe), the recipes not tried, and the commands skipped."""
    rec_dir = cfg.work / "records" / p.repo
    cands = json.loads((rec_dir / "recipes.json").read_text()) if (rec_dir / "recipes.json").exists() else {}
    chosen = json.loads((rec_dir / "chosen.json").read_text()) if (rec_dir / "chosen.json").exists() else {}
    probes = {pr["index"]: pr for pr in chosen.get("probes", [])}
    rows = []
    for i, r in enumerate(cands.get("recipes", [])):
        pr = probes.get(i, {})
        rows.append({"repo": p.repo, "rank": i + 1, "source": r["source"], "where": r["where"],
                     "recipe": pr.get("recipe") or " && ".join(" ".join(s["argv"]) for s in r["steps"]),
                     "status": pr.get("status", ProbeStatus.NOT_TRIED), "reason": pr.get("reason", r["reason"])[:300],
                     "chosen": bool(chosen) and chosen.get("index") == i})
    for j, line in enumerate(cands.get("skipped", []), len(rows) + 1):
        rows.append({"repo": p.repo, "rank": j, "source": "", "where": line.split(" ", 1)[0], "recipe": "",
                     "status": ProbeStatus.SKIPPED, "reason": line[:300], "chosen": False})
    return rows


def publish(projects: list[Project], cfg: Config, out: Path, sample: dict[str, Any] | None = None,
            sample_rows: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """Write the rerun CSVs to ``out`` from the records; returns the funnel rows. ``sample_rows``
    replaces the default rows of ``rerun_sample.csv`` (the study's, with its extra columns)."""
    runs, metrics, params, envs, recipe_rows, originals, records = [], [], [], [], [], {}, []
    committed: dict[str, list[dict[str, Any]]] = {}
    info: dict[str, dict[str, Any]] = {}
    for p in projects:
        rec_dir = cfg.work / "records" / p.repo
        info[p.repo] = {"full_name": p.full_name, "entry_kind": "",
                        **{k: v for k, v in p.static.items() if k in ("sets_seed", "seed_coverage")}}
        orig = rec_dir / "originals.json"
        if orig.exists():
            data = json.loads(orig.read_text())
            originals[p.repo] = data.get("originals", {})
            committed[p.repo] = data.get("runs", [])
        envs += _environments(cfg, p, out)
        recipe_rows += _recipe_rows(cfg, p)
        for c in cfg.conditions:
            for k in range(1, cfg.runs + 1):
                path = record_path(cfg.work, p.repo, c, k)
                if not path.exists():
                    continue
                rec = RunRecord.load(path)
                runs.append(dict(rec.row))
                info[p.repo]["entry_kind"] = info[p.repo]["entry_kind"] or rec.row.get("entry_kind", "")
                records.append({"repo": p.repo, "condition": c, "run": k, "status": rec.row["status"],
                                "params": rec.params, "metrics": rec.metrics})
                for key, values in rec.metrics.items():
                    for step, value, last in values:
                        metrics.append({"repo": p.repo, "condition": c, "run": k, "key": key, "step": step,
                                        "value": value, "is_last": last})
                for key, value in rec.params.items():
                    params.append({"repo": p.repo, "condition": c, "run": k, "key": key, "value": value})
    var_rows = variance.variance(runs, metrics, originals)
    compared = variance.compare_originals(records, committed)
    repo_rows = variance.verdicts(runs, var_rows, info, list(cfg.conditions))
    summary = variance.original_summary(compared)
    for r in repo_rows:
        n, worst = summary.get((r["repo"], r["condition"]), (0, ""))
        r.update(originals_compared=n, original_agreement=worst)
    out.mkdir(parents=True, exist_ok=True)
    write_csv(out / "reruns.csv", RUN_COLUMNS, runs, sort_key=["repo", "condition", "run"])
    write_csv(out / "rerun_metrics.csv", METRIC_COLUMNS, metrics, sort_key=["repo", "condition", "run", "key", "step"])
    write_csv(out / "rerun_params.csv", PARAM_COLUMNS, params, sort_key=["repo", "condition", "run", "key"])
    write_csv(out / "variance.csv", variance.VARIANCE_COLUMNS, var_rows, sort_key=["repo", "condition", "key"])
    write_csv(out / "rerun_repos.csv", variance.REPO_COLUMNS, repo_rows, sort_key=["repo", "condition"])
    write_csv(out / "rerun_originals.csv", variance.ORIGINAL_COLUMNS, compared,
              sort_key=["repo", "condition", "run", "mlflow_run", "key"])
    write_csv(out / "rerun_recipes.csv", RECIPE_COLUMNS, recipe_rows, sort_key=["repo", "rank"])
    write_csv(out / "rerun_environments.csv", ENV_COLUMNS, envs, sort_key=["repo", "environment"])
    locks = {f"{e['repo']}-{e['environment']}.txt" for e in envs}
    for stale in sorted((out / "rerun_locks").glob("*.txt")) if (out / "rerun_locks").is_dir() else []:
        if stale.name not in locks:  # a lock of a project the records no longer hold
            stale.unlink()
    write_csv(out / "rerun_sample.csv", SAMPLE_COLUMNS, sample_rows if sample_rows is not None else
              [{"repo": p.repo, "full_name": p.full_name, "commit": p.commit, "stratum": p.stratum, "rank": p.rank,
                "picked_by": p.picked_by} for p in projects], sort_key=["repo"])
    funnel_rows = funnel(projects, runs, repo_rows, list(cfg.conditions))
    write_csv(out / "rerun_funnel.csv", FUNNEL_COLUMNS, funnel_rows, sort_key=["condition", "step"])
    atomic_write_bytes(out / "rerun_provenance.json",
                       (json.dumps(provenance(cfg, projects, sample or {}), indent=2, sort_keys=True) + "\n").encode())
    return funnel_rows


def funnel(projects: list[Project], runs: list[dict[str, Any]], repo_rows: list[dict[str, Any]],
           conditions: list[str]) -> list[dict[str, Any]]:
    """sampled -> entry found (a recipe exists) -> installed -> ran (a run exited 0 or logged
    metrics) -> logged metrics (a run whose metrics count: ok or crashed_after_metrics) -> judged
    (two such runs with a common metric) -> reproduced (identical or within tolerance), per
    condition, in repositories."""
    out = []
    for cond in conditions:
        rr = [r for r in runs if r["condition"] == cond]
        by_repo: dict[str, list[dict[str, Any]]] = {}
        for r in rr:
            by_repo.setdefault(r["repo"], []).append(r)
        verdict = {r["repo"]: r["verdict"] for r in repo_rows if r["condition"] == cond}
        stages = [
            ("sampled", lambda _repo, _rs: True),
            ("entry found", lambda _repo, rs: bool(rs) and all(r["entry_kind"] != EntryKind.NONE for r in rs)),
            ("installed", lambda _repo, rs: all(r["status"] != RunStatus.INSTALL_FAILED for r in rs)),
            ("ran", lambda _repo, rs: any(r.get("exit_code") == 0 or r["status"] in METRIC_STATUSES for r in rs)),
            ("logged metrics", lambda _repo, rs: any(r["status"] in METRIC_STATUSES for r in rs)),
            ("judged", lambda repo, _rs, v=verdict: v.get(repo, Verdict.NOT_JUDGED) != Verdict.NOT_JUDGED),
            ("reproduced", lambda repo, _rs, v=verdict: v.get(repo) in (Verdict.IDENTICAL, Verdict.WITHIN_TOLERANCE)),
        ]
        alive = [p.repo for p in projects]
        for step, (stage, keep) in enumerate(stages, 1):
            kept = [repo for repo in alive if keep(repo, by_repo.get(repo, []))]
            lost = [repo for repo in alive if repo not in kept]
            reasons = Counter()
            for repo in lost:
                rs = by_repo.get(repo, [])
                if stage == "reproduced":
                    reasons[verdict.get(repo, "")] += 1
                elif stage == "judged":
                    reasons["fewer than 2 ok runs" if sum(r["status"] in METRIC_STATUSES for r in rs) < 2
                            else "no common metric"] += 1
                else:
                    reasons[Counter(r["status"] for r in rs).most_common(1)[0][0] if rs
                            else "not run in this condition"] += 1
            out.append({"step": step, "stage": stage, "condition": cond, "repositories": len(kept),
                        "dropped": len(lost), "drop_reasons": "; ".join(f"{k}: {v}" for k, v in sorted(reasons.items()))})
            alive = kept
    return out


def now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def publish_study(items: list[Any], cfg: Config, records: Path, out: Path, sample: dict[str, Any]) -> list[dict[str, Any]]:
    """Publish the study (:mod:`miners.rerun.study`) from its committed records: the attempted
    projects, in queue order; ``rerun_sample.csv`` says each one's position, stratum, clone
    status and the harness version that ran it."""
    from miners.committed import CommittedRecords
    from miners.rerun import study

    projects = study.attempted_projects(items, cfg.work, records)
    store = CommittedRecords(records, study.STAGE)
    by_repo = {q.repo: q for q in items}
    target = int(sample.get("target_judged") or 0)
    cutoff = study.main_cutoff({by_repo[p.repo].position for p in projects if study.in_main(by_repo[p.repo])
                                and study.judged(cfg.work, p.repo, cfg.runs)}, target) if target else None
    rows, versions = [], Counter()
    for p in projects:
        rec = store.load(p.repo) or {}
        q = by_repo[p.repo]
        versions[rec.get("harness", "")] += 1
        clone = rec.get("clone", {})
        rows.append({"repo": p.repo, "full_name": p.full_name, "commit": p.commit, "stratum": p.stratum,
                     "rank": p.rank, "picked_by": study.published_picked_by(q, cutoff), "position": q.position,
                     "family": q.family,
                     "clone_status": clone.get("status", ""),
                     "harness_error": clone.get("harness_error", "") or
                     (clone.get("reason", "") if clone.get("status") not in ("cloned", "reused") else ""),
                     "harness": rec.get("harness", "")})
    info = {**sample, "queued": len(items), "attempted": len(projects),
            "queued_main": sum(study.in_main(q) for q in items),
            "queued_originals": sum(q.picked_by != "sample" for q in items), "main_cutoff": cutoff,
            "harness_versions": dict(sorted(versions.items()))}
    funnel_rows = publish(projects, cfg, out, info, sample_rows=rows)
    from miners.csvio import read_csv
    from miners.rerun.causes import classify_projects

    causes = classify_projects(rows, read_csv(out / "reruns.csv"))
    write_csv(out / "rerun_causes.csv", CAUSE_COLUMNS, causes, sort_key=["repo"])
    return funnel_rows
