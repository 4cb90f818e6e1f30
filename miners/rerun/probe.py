"""The first run of a project: which recipe to keep, its environment, and the repairs tried.

Definitions.

* **Probing**: on a project's first executed run, up to ``max_recipes`` recipes
  (:mod:`miners.rerun.recipes`) are tried in rank order (each a *probe*, recorded in
  ``rerun_recipes.csv``); the first whose run's metrics count
  (:data:`~miners.rerun.vocab.METRIC_STATUSES`) is kept, else the first. The kept recipe serves
  every later run and every condition (:func:`probe`).
* **Environment of a recipe** (:func:`environment_for`): one per distinct (condition's
  environment mode, MLproject the recipe runs, files it executes), built once
  (:mod:`miners.rerun.environment`) and then reused; ``--python-env`` gives every project the
  same existing environment. A recipe whose environment does not build is ``install_failed``,
  not executed.
* **Repairs** (:func:`repairs`; the probe only, each kept only if it changes the status): a
  one-step script that fails on a relative import is run as ``python -m package.module`` from
  the root; a one-step script that cannot find a file from the root is run from its own folder;
  an MLproject entry whose code sets its own experiment, so that ``start_run()`` refuses the run
  ``mlflow run`` created ("active run ID does not match environment run ID"), is run as a plain
  command.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from pathlib import Path, PurePosixPath
from typing import Any

from miners.rerun import conditions, environment, interventions, recipes
from miners.rerun.config import Config
from miners.rerun.execute import execute
from miners.rerun.prepare import Prepared
from miners.rerun.sampling import Project
from miners.rerun.vocab import METRIC_STATUSES, EntryKind, EnvMode, RunStatus


def mlproject_of(root: Path, recipe: recipes.Recipe) -> str:
    """The MLproject file (posix, relative) whose entry the recipe runs, else ''."""
    for step in recipe.steps:
        if step.kind == "mlflow_run":
            folder = Path(root) / step.cwd
            found = sorted(p.name for p in folder.iterdir() if p.is_file() and p.name.lower() == "mlproject")
            if found:
                return (PurePosixPath(step.cwd) / found[0]).as_posix() if step.cwd else found[0]
    return ""


def environment_for(project: Project, cfg: Config, condition: conditions.Condition,
                    recipe: recipes.Recipe) -> environment.EnvResult:
    """The environment of a project for a condition's environment mode and a recipe (built once
    per distinct (mode, MLproject, executed files), then reused)."""
    if cfg.python_env is not None:
        return environment.given(cfg.python_env)
    mlproject = mlproject_of(project.root, recipe)
    key = f"{condition.environment}-" + _short(json.dumps([mlproject, list(recipe.entry_paths)]))
    kind = EntryKind.NOTEBOOK if any(s.kind == "notebook" for s in recipe.steps) else EntryKind.SCRIPT
    folder = recipe.steps[0].cwd if recipe.steps else ""
    return environment.build(project.root, cfg.work / "envs" / project.repo / key, cfg.cache, entry_kind=kind,
                             mlproject=mlproject, entry_paths=recipe.entry_paths, entry_folder=folder,
                             commit_date=project.commit_date,
                             mode=EnvMode.LATEST if condition.environment == EnvMode.LATEST else EnvMode.AS_OF_COMMIT,
                             latest_date=cfg.latest_date, wheels=cfg.wheels, timeout=cfg.install_timeout)


def _short(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:10]


def env_failed_row(env: environment.EnvResult) -> dict[str, Any]:
    """The row of a run not executed because its environment did not build."""
    return {"status": RunStatus.INSTALL_FAILED, "attempted": False,
            "reason": f"{env.failed_requirement or 'environment'}: {env.reason}"[:500],
            "interventions": list(env.interventions)}


def repairs(project: Project, recipe: recipes.Recipe, row: dict[str, Any]) -> list[tuple[recipes.Recipe, str]]:
    """The one repaired recipe that run 1's failure calls for (module docstring), with why."""
    if "does not match environment run ID" in row.get("reason", "") + row.get("stderr_tail", "") and any(
            s.kind == "mlflow_run" for s in recipe.steps):
        plain = tuple(replace(s, kind="python", params=()) if s.kind == "mlflow_run" else s for s in recipe.steps)
        return [(replace(recipe, steps=plain), "run without mlflow run semantics: the project sets its own "
                                               "experiment, which the run mlflow run creates does not belong to")]
    if len(recipe.steps) != 1 or recipe.steps[0].kind != "python" or len(recipe.steps[0].argv) < 2:
        return []
    step = recipe.steps[0]
    script = step.argv[1]
    if script == "-m":
        return []
    path = PurePosixPath(step.cwd) / script if step.cwd else PurePosixPath(script)
    if row["status"] == RunStatus.IMPORT_PATH and "relative import" in row.get("reason", ""):
        folder = path.parent
        if folder.as_posix() != "." and (project.root / folder / "__init__.py").exists():
            dotted = ".".join(path.with_suffix("").parts)
            new = replace(step, argv=("python", "-m", dotted, *step.argv[2:]), cwd="")
            return [(replace(recipe, steps=(new,)), f"run as module {dotted} from the root after a relative-import error")]
    if row["status"] == RunStatus.DATA_MISSING and not step.cwd and path.parent.as_posix() != ".":
        new = replace(step, argv=("python", path.name, *step.argv[2:]), cwd=path.parent.as_posix())
        return [(replace(recipe, steps=(new,)), f"run from {path.parent}/ after FileNotFoundError from the root")]
    return []


def probe(project: Project, prep: Prepared, cfg: Config, condition: conditions.Condition,
          k: int) -> tuple[int, dict[str, Any], list[dict[str, Any]]]:
    """Try up to ``max_recipes`` recipes on the first run (module docstring); returns the kept
    recipe's index, its run record (with its environment under ``env``) and one row per probe.
    A repaired recipe replaces its original in ``prep.recipes``."""
    probes: list[dict[str, Any]] = []
    kept: tuple[int, dict[str, Any]] | None = None
    for i, recipe in enumerate(prep.recipes[: cfg.max_recipes]):
        env = environment_for(project, cfg, condition, recipe)
        if not env.ok:
            rec = {"row": env_failed_row(env)}
        else:
            rec = execute(project, prep, recipe, env, condition, k, cfg)
            for repaired, why in repairs(project, recipe, rec["row"]):
                retry = execute(project, prep, repaired, env, condition, k, cfg)
                if retry["row"]["status"] != rec["row"]["status"]:
                    prep.recipes[i] = recipe = replace(repaired, reason=f"{recipe.reason}; {why}")
                    rec = retry
                    rec["row"]["interventions"].append(interventions.repair(why))
                    rec["row"]["cwd_reason"] = why
                else:
                    rec["row"]["reason"] = (rec["row"]["reason"] + f" (the repair, {why}, failed too)")[:500]
        rec["env"] = env
        probes.append({"index": i, "recipe": recipes.recipe_text(recipe), "where": recipe.where,
                       "status": rec["row"]["status"], "reason": rec["row"].get("reason", "")[:300]})
        if kept is None:
            kept = (i, rec)
        if rec["row"]["status"] in METRIC_STATUSES:
            kept = (i, rec)
            break
    assert kept is not None
    return kept[0], kept[1], probes
