"""One run: a recipe executed once in the sandbox, and what it left behind.

Definition. A *run* is a fresh copy of the complete checkout (``.git`` left out) in its own run
folder (``<work>/runs/<repo>/<condition>/<k>/``), executed in the sandbox
(:mod:`miners.rerun.sandbox`) with the condition's environment (:mod:`miners.rerun.environment`),
the injected capture (:mod:`miners.rerun.capture`) and its own MLflow file store. A *driver*
script (:func:`driver`) runs the recipe's steps in order (``set -e``), each from its folder; a
step of kind ``mlflow_run`` first creates an MLflow run holding the entry point's parameters
and exports ``MLFLOW_RUN_ID``, as ``mlflow run`` does, so that the project's ``start_run()``
resumes it instead of logging twice; a notebook step is executed on a Jupyter kernel. The
project's Windows paths are linked and its POSIX and ``WORKDIR`` paths mounted onto committed
files (:mod:`miners.rerun.checkout`); under ``seeds_forced`` the capture seeds the random
frameworks. The run's record is its row (status by :func:`miners.rerun.outcome.classify`,
interventions, exit, duration, counts, stderr tail), metrics and params; the copy, home,
``/tmp`` and store are removed afterwards.
"""

from __future__ import annotations

import json
import shlex
import shutil
from pathlib import Path, PurePosixPath
from typing import Any

from miners.rerun import capture, checkout, conditions, interventions, recipes, sandbox
from miners.rerun.config import Config
from miners.rerun.environment import EnvResult
from miners.rerun.outcome import classify
from miners.rerun.prepare import Prepared
from miners.rerun.sampling import Project
from miners.rerun.vocab import RunStatus, Sandbox

MLFLOW_RUN_HELPER = r'''
"""Create the MLflow run that `mlflow run` would create, with the entry point's parameters
(injected by the rerun harness); prints its id."""
import sys
from mlflow.tracking import MlflowClient

client = MlflowClient()
run = client.create_run("0")
for kv in sys.argv[1:]:
    key, _, value = kv.partition("=")
    client.log_param(run.info.run_id, key, value)
print(run.info.run_id)
'''


def driver(recipe: recipes.Recipe, proj: Path, capture_dir: Path, run_dir: Path) -> tuple[str, list[str]]:
    """The shell script that runs the recipe's steps in order, and the interventions it makes
    (``mlflow run`` semantics)."""
    lines = ["set -e"]
    done = []
    for i, step in enumerate(recipe.steps):
        lines.append(f"cd {shlex.quote(str(proj / step.cwd) if step.cwd else str(proj))}")
        env = " ".join(f"{k}={shlex.quote(v)}" for k, v in step.env)
        prefix = f"env {env} " if env else ""
        if step.kind == "mlflow_run":
            params = " ".join(shlex.quote(f"{k}={v}") for k, v in step.params)
            lines.append(f"MLFLOW_RUN_ID=$(python {shlex.quote(str(capture_dir / '_mining_mlflow_run.py'))} {params})")
            lines.append("export MLFLOW_RUN_ID")
            done.append(interventions.mlflow_run(len(step.params)))
            lines.append(prefix + " ".join(shlex.quote(a) for a in step.argv))
            lines.append("unset MLFLOW_RUN_ID")
        elif step.kind == "notebook":
            out = run_dir / f"executed-{i + 1}.ipynb"
            lines.append(f"{prefix}python {shlex.quote(str(capture_dir / '_mining_notebook.py'))} "
                         f"{shlex.quote(step.argv[0] if not step.cwd else PurePosixPath(step.argv[0]).name)} "
                         f"{shlex.quote(str(out))}")
        else:
            lines.append(prefix + " ".join(shlex.quote(a) for a in step.argv))
    return "\n".join(lines) + "\n", done


def execute(project: Project, prep: Prepared, recipe: recipes.Recipe, env: EnvResult,
            condition: conditions.Condition, k: int, cfg: Config) -> dict[str, Any]:
    """One sandboxed run of a recipe; returns its record (row, metrics, params)."""
    run_dir = (cfg.work / "runs" / project.repo / condition.name / str(k)).resolve()
    if run_dir.exists():
        shutil.rmtree(run_dir)
    run_dir.mkdir(parents=True)
    proj = run_dir / "project"
    shutil.copytree(project.root, proj, symlinks=True, ignore=shutil.ignore_patterns(".git"))
    capture_dir = run_dir / "capture"
    capture.install(capture_dir)
    (capture_dir / "_mining_mlflow_run.py").write_text(MLFLOW_RUN_HELPER)
    store = run_dir / "store"  # created by MLflow itself, with its default experiment
    venv = Path(env.venv)
    notes = list(env.interventions)
    first_cwd = proj / recipe.steps[0].cwd if recipe.steps and recipe.steps[0].cwd else proj
    notes += checkout.apply_windows(prep.mappings, proj, first_cwd)
    binds = tuple(checkout.bind_args(prep.mappings, proj))  # mounted by bubblewrap only
    script, done = driver(recipe, proj, capture_dir, run_dir)
    notes += done
    (run_dir / "recipe.sh").write_text(script)
    pythonpath = [capture_dir, proj] + ([proj / "src"] if (proj / "src").is_dir() else [])
    extra = {"PATH": f"{venv / 'bin'}:/usr/local/bin:/usr/bin:/bin", "VIRTUAL_ENV": str(venv),
             "PYTHONPATH": ":".join(str(p) for p in pythonpath), "MLFLOW_TRACKING_URI": store.as_uri(),
             "MINING_STORE_URI": store.as_uri(), "MINING_RUN_DIR": str(run_dir), "GIT_PYTHON_REFRESH": "quiet",
             "MPLBACKEND": "Agg", "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONUNBUFFERED": "1",
             "MLFLOW_ALLOW_FILE_STORE": "true",
             # MLflow 3's own telemetry would count as the project's network attempt
             "MLFLOW_DISABLE_TELEMETRY": "true", "DO_NOT_TRACK": "1"}
    if prep.lfs_pointers:
        extra["MINING_LFS_POINTERS"] = ":".join(str(proj / p) for p in prep.lfs_pointers)
    if condition.force_seeds:
        extra.update(PYTHONHASHSEED="0", MINING_FORCE_SEEDS="1", CUBLAS_WORKSPACE_CONFIG=":4096:8",
                     TF_DETERMINISTIC_OPS="1")
    limits = sandbox.Limits(cfg.timeout, cfg.memory_mb, cfg.threads)
    outcome = sandbox.run(["sh", str(run_dir / "recipe.sh")], run_dir, proj, limits, extra, cfg.unsafe_no_sandbox,
                          read_only=(venv,), binds=binds)
    if outcome.sandbox == Sandbox.BWRAP:
        notes += [m.describe() for m in prep.mappings if m.kind in ("posix", "workdir")]
    exc_file = run_dir / "exception.json"
    exc = json.loads(exc_file.read_text()) if exc_file.exists() else None
    network = _lines(run_dir / "network.log")
    redirects = list(dict.fromkeys(_lines(run_dir / "redirects.log")))
    data = capture.read_store(store)
    opened = [str(Path(p).relative_to(proj)) for p in _lines(run_dir / "lfs.log") if Path(p).is_relative_to(proj)]
    status, exception, reason = classify(outcome, exc, network, len(data["metrics"]), prep.local_modules,
                                         opened)
    if data["error"] and status == RunStatus.OK:
        reason = "the store could not be read completely: " + data["error"]
    if redirects:
        notes.append(interventions.tracking_redirect(redirects))
    row = {"status": status, "exception": exception, "reason": reason[:500], "exit_code": outcome.exit_code,
           "seconds": outcome.seconds, "tracking_redirect": "; ".join(redirects)[:500],
           "network_attempts": len(network), "mlflow_runs": data["runs"], "metrics_logged": len(data["metrics"]),
           "params_logged": len(data["params"]), "sandbox": outcome.sandbox,
           "stderr_tail": " ".join(outcome.stderr_tail[-800:].split())[-600:], "attempted": True,
           "interventions": notes}
    for sub in ("project", "home", "tmp", "store"):
        shutil.rmtree(run_dir / sub, ignore_errors=True)
    return {"row": row, "metrics": data["metrics"], "params": data["params"]}


def _lines(path: Path) -> list[str]:
    return [ln for ln in path.read_text(errors="replace").splitlines() if ln.strip()] if path.exists() else []
