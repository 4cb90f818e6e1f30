"""The runs: re-execute each project k times per condition, sandboxed, and record each run.

Definitions.

* **A project's runs**: ``runs`` runs (``k`` = 1..runs) in each condition
  (:mod:`miners.rerun.conditions`: the environment as of the commit or as of the protocol's
  fixed latest date, and whether seeds are forced), after its preparation
  (:mod:`miners.rerun.prepare`). A run is one row of ``reruns.csv``: executed
  (:mod:`miners.rerun.execute`, its status by :mod:`miners.rerun.outcome`), or recorded without
  executing it (``attempted=false``) with status ``entry_not_found`` (no recipe),
  ``install_failed`` (its environment did not build) or a skipped failure.
* **Recipe**: the first executed run probes the ranked recipes and keeps one
  (:mod:`miners.rerun.probe`, ``chosen.json``); every later run and condition runs the kept
  recipe.
* **Skipping**: when run 1 of a condition ends in a failure that repeats
  (:data:`~miners.rerun.vocab.REPEATING`), its remaining runs are recorded with the same status,
  ``attempted=false`` and the reason (``--no-skip`` executes them all).
* **Interventions** (column ``interventions``; :mod:`miners.rerun.interventions`): everything the
  harness did beyond running the project as committed: the recipe chosen (and the probes that
  failed before it), repairs, absolute-path mappings, ``mlflow run`` semantics, tracking URIs
  redirected, and the environment's own (Python substituted, packages added, dropped or
  relaxed, ...), each once, at most 2,000 characters.

Every finished run is recorded at once, a frozen :class:`~miners.rerun.records.RunRecord`
(``<work>/records/<repo>/<condition>-<k>.json``); a restart skips it. :mod:`miners.rerun.publish`
turns the records into the CSVs.
"""

from __future__ import annotations

import json
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from miners.rerun import conditions, interventions, recipes, sandbox
from miners.rerun.config import Config
from miners.rerun.environment import EnvResult
from miners.rerun.execute import execute
from miners.rerun.prepare import Prepared, prepare
from miners.rerun.probe import env_failed_row, environment_for, probe
from miners.rerun.records import RunRecord, record_path, write_json
from miners.rerun.sampling import Project
from miners.rerun.vocab import REPEATING, EntryKind, RunStatus


def _env_columns(env: EnvResult | None) -> dict[str, Any]:
    if env is None:
        return {}
    return {"env_source": env.env_source, "env_status": env.env_status, "env_seconds": env.seconds,
            "python": env.python, "python_required": env.python_required, "env_fingerprint": env.fingerprint,
            "env_mode": env.mode, "resolution_date": env.resolution_date}


def run_project(project: Project, cfg: Config, bar: Any = None, lock: threading.Lock | None = None) -> None:
    """Every run of one project not yet recorded."""
    lock = lock or threading.Lock()
    todo = [(c, k) for c in cfg.conditions for k in range(1, cfg.runs + 1)
            if not record_path(cfg.work, project.repo, c, k).exists()]
    if not todo:
        return
    rec_dir = cfg.work / "records" / project.repo
    try:
        prep = prepare(project, cfg)
    except Exception as exc:  # a project that breaks the harness is data
        prep = Prepared([], [f"harness error: {type(exc).__name__}: {exc}"[:300]], [], [], 0, [], set())
    chosen_file = rec_dir / "chosen.json"
    chosen = json.loads(chosen_file.read_text()) if chosen_file.exists() else None
    base = {"threads": cfg.threads, "memory_mb": cfg.memory_mb, "timeout_s": cfg.timeout,
            "files_missing": prep.files_missing, "lfs_pointers": len(prep.lfs_pointers),
            "path_mappings": len(prep.mappings)}
    first_status: dict[str, tuple[str, str]] = {}
    for condition in cfg.conditions:
        done = record_path(cfg.work, project.repo, condition, 1)
        if done.exists():
            row = RunRecord.load(done).row
            first_status[condition] = (row["status"], row.get("reason", ""))
    for name, k in todo:
        condition = conditions.get(name)
        env = None
        if not prep.recipes:
            why = "; ".join(prep.skipped[:3]) if prep.skipped and prep.skipped[0].startswith("harness error") else ""
            rec = {"row": {"status": RunStatus.ENTRY_NOT_FOUND, "attempted": False,
                           "reason": why or "no recipe: no MLproject entry, documented command, script or notebook "
                                            "that runs MLflow tracking", "interventions": []}}
            recipe = None
        elif chosen is None:
            index, rec, probes = probe(project, prep, cfg, condition, k)
            env = rec.pop("env")
            chosen = {"index": index, "recipe": recipes.recipe_to_json(prep.recipes[index]), "probes": probes,
                      "cwd_reason": rec["row"].get("cwd_reason", "")}
            write_json(chosen_file, chosen)
            recipe = prep.recipes[index]
        else:
            recipe = recipes.recipe_from_json(chosen["recipe"])
            env = environment_for(project, cfg, condition, recipe)
            if not env.ok:
                rec = {"row": env_failed_row(env)}
            elif (cfg.skip_repeating and k > 1 and name in first_status and first_status[name][0] in REPEATING):
                st, why = first_status[name]
                rec = {"row": {"status": st, "attempted": False, "interventions": [],
                               "reason": f"not executed: run 1 ended {st} ({why[:200]}), a failure that repeats"}}
            else:
                rec = execute(project, prep, recipe, env, condition, k, cfg)
        row = rec["row"]
        missing = [n for n in prep.missing_names if n in row.get("reason", "")]
        if row["status"] == RunStatus.DATA_MISSING and missing:
            row["reason"] = (f"{missing[0]} is tracked but the remote did not serve it; " + row["reason"])[:500]
        if k == 1 or name not in first_status:
            first_status[name] = (row["status"], row.get("reason", ""))
        notes = list(row.get("interventions", []))
        if recipe is not None and chosen is not None:
            tried = [(p["where"], p["status"]) for p in chosen["probes"] if p["index"] != chosen["index"]]
            notes.insert(0, interventions.recipe(recipe.where, recipes.recipe_text(recipe), tried))
        rec["row"] = {**base, **_env_columns(env), **row, "repo": project.repo, "full_name": project.full_name,
                      "commit": project.commit, "condition": name, "run": k,
                      "entry_kind": recipes.recipe_kind(recipe) if recipe else EntryKind.NONE,
                      "entry": recipes.recipe_text(recipe) if recipe else "",
                      "entry_reason": recipe.reason if recipe else row.get("reason", ""),
                      "recipe_source": recipe.where if recipe else "",
                      "cwd": (recipe.steps[0].cwd or ".") if recipe and recipe.steps else "",
                      "cwd_reason": row.get("cwd_reason") or (chosen or {}).get("cwd_reason", "")
                      or ("the folder of the recipe's first step" if recipe else ""),
                      "interventions": "; ".join(dict.fromkeys(notes))[:2000]}
        RunRecord.of(rec["row"], rec.get("metrics"), rec.get("params")).save(
            record_path(cfg.work, project.repo, name, k))
        if bar is not None:
            with lock:
                bar.update(1)


def rerun(projects: list[Project], cfg: Config, progress: bool = True) -> None:
    """Run every project (``cfg.jobs`` at a time); each finished run is recorded at once."""
    from tqdm import tqdm

    if sandbox.available() is None and not cfg.unsafe_no_sandbox:
        raise sandbox.NoSandbox("no sandbox is available (install bubblewrap: apt-get install bubblewrap); "
                                "pass --unsafe-no-sandbox to run untrusted code without one")
    cfg.work.mkdir(parents=True, exist_ok=True)
    total = len(projects) * len(cfg.conditions) * cfg.runs
    done = sum(record_path(cfg.work, p.repo, c, k).exists() for p in projects for c in cfg.conditions
               for k in range(1, cfg.runs + 1))
    lock = threading.Lock()
    with tqdm(total=total, initial=done, unit="run", desc="rerun", disable=not progress or None,
              file=sys.stderr, mininterval=1) as bar:
        if cfg.jobs <= 1:
            for p in projects:
                run_project(p, cfg, bar, lock)
        else:
            with ThreadPoolExecutor(cfg.jobs) as pool:
                for f in [pool.submit(run_project, p, cfg, bar, lock) for p in projects]:
                    f.result()
