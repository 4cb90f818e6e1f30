"""The runs: re-execute each project k times per condition, sandboxed, and record each run.

Definitions.

* **Recipe** (:mod:`miners.rerun.recipes`): a ranked candidate command (one or more steps). On a
  project's first executed run, up to ``max_recipes`` recipes are tried in rank order (each a
  *probe*, recorded in ``rerun_recipes.csv``); the first whose run logs at least one metric is
  kept, else the first. The kept recipe serves every later run and every condition.
* **Condition** (:mod:`miners.rerun.conditions`): the environment (as of the commit, or as of the
  protocol's fixed latest date) and whether seeds are forced.
* **A run** (one row of ``reruns.csv``): a fresh copy of the complete checkout
  (:mod:`miners.rerun.checkout`) in its own run directory, executed in the sandbox
  (:mod:`miners.rerun.sandbox`) with the condition's environment
  (:mod:`miners.rerun.environment`), the injected capture (:mod:`miners.rerun.capture`) and its
  own MLflow store. A driver script runs the recipe's steps in order (``set -e``), each from its
  folder; a step of kind ``mlflow_run`` first creates an MLflow run holding the entry point's
  parameters and exports ``MLFLOW_RUN_ID``, as ``mlflow run`` does, so the project's
  ``start_run()`` resumes it instead of logging twice.
* **Status of a run**, first match wins: ``entry_not_found`` (no recipe); ``install_failed`` (the
  environment did not build); ``timeout`` (killed at the limit; metrics logged before are kept);
  ``ok`` (exit 0 and at least one metric); ``no_metrics`` (exit 0, no metric);
  ``crashed_after_metrics`` (failed after logging at least one metric: the metrics are kept and
  count); ``network_blocked`` (failed after trying to reach a non-loopback host, or with a
  connection or name-resolution error); ``missing_module`` (``No module named x`` for a module
  that is not part of the project: a package the environment lacks); ``import_path`` (the
  missing module is the project's own, or a relative import failed: how the code is put on the
  path); ``version_conflict`` (``cannot import name X from`` an installed package, or a binary
  incompatibility: the package is there in another version); ``import_error`` (any other
  ``ImportError``); ``lfs_pointer`` (the run opened a Git LFS pointer file of the checkout, then
  failed);
  ``data_missing`` (``FileNotFoundError`` or errno 2); ``crashed`` (any other failure;
  ``exception`` names its class, or the signal).
* **Skipping**: when run 1 of a condition ends in a failure that repeats (:data:`REPEATING`), its
  remaining runs are recorded with the same status, ``attempted=false`` and the reason
  (``--no-skip`` executes them all).
* **Repairs** (run 1 only, each kept only if it gets further): a one-step script that fails on
  a relative import is run as ``python -m package.module`` from the root; a one-step script that
  cannot find a file from the root is run from its own folder; an MLproject entry whose code sets
  its own experiment, so that ``start_run()`` refuses the run ``mlflow run`` created ("active run
  ID does not match environment run ID"), is run as a plain command.
* **Interventions** (column ``interventions``): everything the harness did beyond running the
  project as committed: the recipe chosen (and the probes that failed before it), repairs,
  absolute-path mappings, ``mlflow run`` semantics, tracking URIs redirected, and the
  environment's own (Python substituted, packages added, dropped or relaxed, ...).

Every finished run is recorded at once, a frozen :class:`~miners.rerun.records.RunRecord`
(``<work>/records/<repo>/<condition>-<k>.json``); a restart skips it. :mod:`miners.rerun.publish` turns the records into the CSVs.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, replace
from pathlib import Path, PurePosixPath
from typing import Any

from miners.csvio import atomic_write_bytes
from miners.rerun import capture, checkout, conditions, recipes, sandbox
from miners.rerun import environment as environments
from miners.rerun.records import RunRecord
from miners.rerun.sampling import Project
from miners.rerun.variance import METRIC_STATUSES

REPEATING = {"entry_not_found", "install_failed", "missing_module", "version_conflict", "import_path", "import_error",
             "data_missing", "lfs_pointer", "network_blocked", "timeout"}
NETWORK_ERRORS = re.compile(r"ConnectionError|ConnectionRefused|NewConnectionError|MaxRetryError|"
                            r"Temporary failure in name resolution|Name or service not known|Network is unreachable|"
                            r"nodename nor servname|getaddrinfo failed|URLError|gaierror|RemoteDisconnected|"
                            r"Failed to establish a new connection|ProxyError|SSLError|socket\.timeout", re.I)
EXC_LINE = re.compile(r"^([A-Za-z_][\w.]*(?:Error|Exception|Exit|Interrupt|Failure|Warning|Stop)\w*)(?::|$)", re.M)
BINARY = re.compile(r"numpy\.dtype size changed|numpy\.core\.multiarray failed to import|_ARRAY_API not found|"
                    r"compiled using NumPy 1\.x|module compiled against (?:API|ABI) version", re.I)

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


@dataclass(frozen=True)
class Config:
    """Settings of a rerun: ``runs`` per condition, ``timeout`` per run (s), ``memory_mb`` address
    space per run (MiB), ``threads`` for numeric libraries, ``wheels`` a folder of local wheels,
    ``max_recipes`` tried on the first run, ``latest_date`` (YYYY-MM-DD) of the ``latest``
    environment."""

    work: Path
    runs: int = 5
    conditions: tuple[str, ...] = conditions.DEFAULT
    timeout: float = 300.0
    memory_mb: int = 12288
    threads: int = 1
    jobs: int = 1
    wheels: Path | None = None
    skip_repeating: bool = True
    unsafe_no_sandbox: bool = False
    install_timeout: float = 600.0
    cache: Path | None = None  # package cache shared by all projects (None: the installer's own)
    python_env: Path | None = None  # an existing environment used for every project instead of building one
    max_recipes: int = 3
    latest_date: str = "2026-11-01"


@dataclass
class Prepared:
    """What every run of a project shares: its recipes, checkout facts and committed originals."""

    recipes: list[recipes.Recipe]
    skipped: list[str]
    mappings: list[checkout.Mapping]
    lfs_pointers: list[str]
    files_missing: int
    missing_names: list[str]
    local_modules: set[str]


def record_path(cfg: Config, repo: str, condition: str, k: int) -> Path:
    return cfg.work / "records" / repo / f"{condition}-{k}.json"


def _write_json(path: Path, data: Any) -> None:
    atomic_write_bytes(path, json.dumps(data, sort_keys=True, indent=1).encode(), durable=False)


def _cached(path: Path, make: Any) -> Any:
    if path.exists():
        return json.loads(path.read_text())
    data = make()
    _write_json(path, data)
    return data


def prepare(project: Project, cfg: Config) -> Prepared:
    """Complete checkout, recipes, LFS pointers, path mappings and committed originals of a
    project (each cached under ``<work>/records/<repo>/``)."""
    rec = cfg.work / "records" / project.repo
    project.root, info = checkout.complete(project.root, cfg.work, project.repo)
    files = checkout.walk(project.root)

    def facts() -> dict[str, Any]:
        return {"mappings": [asdict(m) for m in checkout.mappings(project.root, files)],
                "lfs_pointers": checkout.lfs_pointers(project.root, files)}

    found = _cached(rec / "checkout.json", facts)
    _cached(rec / "originals.json", lambda: capture.read_committed(project.root))
    cands = _cached(rec / "recipes.json", lambda: recipes_record(project.root))
    local = {PurePosixPath(f).parts[0].removesuffix(".py") for f in files}
    local |= {PurePosixPath(f).stem for f in files if f.endswith(".py")}
    local |= {part for f in files for part in PurePosixPath(f).parts[:-1]}
    return Prepared([recipe_from_json(r) for r in cands["recipes"]], cands["skipped"],
                    [checkout.Mapping(**m) for m in found["mappings"]], found["lfs_pointers"],
                    len(info["missing_paths"]), sorted({Path(p).name for p in info["missing_paths"]}), local)


def recipes_record(root: Path) -> dict[str, Any]:
    """The ranked recipes of a checkout and the commands skipped, as JSON-ready data."""
    found, skipped = recipes.candidates(root)
    return {"recipes": [recipe_to_json(r) for r in found], "skipped": skipped}


def recipe_to_json(recipe: recipes.Recipe) -> dict[str, Any]:
    return asdict(recipe)


def recipe_from_json(data: dict[str, Any]) -> recipes.Recipe:
    steps = tuple(recipes.Step(kind=s["kind"], argv=tuple(s["argv"]), cwd=s["cwd"],
                               params=tuple(tuple(p) for p in s.get("params", ())),
                               env=tuple(tuple(e) for e in s.get("env", ()))) for s in data["steps"])
    return recipes.Recipe(source=data["source"], where=data["where"], steps=steps, reason=data["reason"],
                          entry_paths=tuple(data.get("entry_paths", ())))


def recipe_kind(recipe: recipes.Recipe) -> str:
    """``mlproject`` (an MLproject entry run with mlflow-run semantics), ``notebook`` (notebooks
    only), ``script`` (scripts found in the code), else where the command was documented:
    ``readme``, ``ci``, ``makefile``, ``dvc``, ``docker``."""
    kinds = {s.kind for s in recipe.steps}
    if "mlflow_run" in kinds:
        return "mlproject"
    if kinds == {"notebook"}:
        return "notebook"
    source = recipe.source.lower()
    for key, kind in (("readme", "readme"), ("docs/", "readme"), (".md", "readme"), (".github", "ci"),
                      ("makefile", "makefile"), ("dvc", "dvc"), ("dockerfile", "docker")):
        if key in source:
            return kind
    return "script"


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
                    recipe: recipes.Recipe) -> environments.EnvResult:
    """The environment of a project for a condition's environment kind and a recipe (built once
    per distinct (kind, MLproject, executed files), then reused)."""
    if cfg.python_env is not None:
        return environments.given(cfg.python_env)
    mlproject = mlproject_of(project.root, recipe)
    key = f"{condition.environment}-" + _short(json.dumps([mlproject, list(recipe.entry_paths)]))
    kind = "notebook" if any(s.kind == "notebook" for s in recipe.steps) else "script"
    folder = recipe.steps[0].cwd if recipe.steps else ""
    return environments.build(project.root, cfg.work / "envs" / project.repo / key, cfg.cache, entry_kind=kind,
                              mlproject=mlproject, entry_paths=recipe.entry_paths, entry_folder=folder,
                              commit_date=project.commit_date,
                              mode="latest" if condition.environment == "latest" else "as_of_commit",
                              latest_date=cfg.latest_date, wheels=cfg.wheels, timeout=cfg.install_timeout)


def _short(text: str) -> str:
    import hashlib

    return hashlib.sha256(text.encode()).hexdigest()[:10]


# -------------------------------------------------------------------------------- classifying


def _module_of(message: str) -> str:
    m = re.search(r"No module named '([^']+)'", message) or re.search(r"cannot import name '[^']+' from '([^']+)'",
                                                                        message)
    return m.group(1) if m else ""


def classify(outcome: sandbox.Outcome, exc: dict[str, Any] | None, network: list[str], metrics: int,
             local_modules: set[str] = frozenset(), lfs_pointers: list[str] = ()) -> tuple[str, str, str]:
    """``(status, exception, reason)`` of a finished run (module docstring); ``lfs_pointers`` are
    the Git LFS pointer files the run opened."""
    if outcome.timed_out:
        return "timeout", "", (f"killed after the {outcome.seconds:.0f} s limit"
                               + (f", after logging {metrics} metric(s)" if metrics else ""))
    if outcome.exit_code == 0:
        return ("ok", "", "") if metrics else ("no_metrics", "", "exited 0 but logged no metric")
    stderr = outcome.stderr_tail
    cls = (exc or {}).get("class") or ""
    if not cls:
        found = EXC_LINE.findall(stderr)
        cls = found[-1].split(".")[-1] if found else ""
    message = (exc or {}).get("message") or _last_line(stderr) or _last_line(outcome.stdout_tail)
    if outcome.exit_code is not None and outcome.exit_code < 0:
        import signal

        num = -outcome.exit_code
        name = signal.Signals(num).name if num in signal.Signals._value2member_map_ else str(num)
        status = "crashed_after_metrics" if metrics else "crashed"
        return status, name, f"killed by {name}" + (" (memory limit?)" if name == "SIGKILL" else "")
    if metrics:
        return "crashed_after_metrics", cls or f"exit code {outcome.exit_code}", \
            f"failed after logging {metrics} metric(s): {message}"
    if network and (NETWORK_ERRORS.search(cls) or NETWORK_ERRORS.search(stderr) or "Connection" in cls):
        return "network_blocked", cls, f"tried {network[0]}{' and more' if len(network) > 1 else ''}: {message}"
    if NETWORK_ERRORS.search(cls) or (not cls and NETWORK_ERRORS.search(stderr)):
        return "network_blocked", cls, message
    if cls in ("ModuleNotFoundError", "ImportError") or BINARY.search(stderr):
        return _import_status(cls, message, stderr, local_modules), cls or "ImportError", message
    if lfs_pointers:
        return "lfs_pointer", cls, (f"read {lfs_pointers[0]}, a Git LFS pointer whose content is not in the "
                                    f"repository, then failed: {message}")
    if cls == "FileNotFoundError" or (exc or {}).get("errno") == 2 or "No such file or directory" in message:
        return "data_missing", cls or "FileNotFoundError", message
    return "crashed", cls or f"exit code {outcome.exit_code}", message


def _import_status(cls: str, message: str, stderr: str, local_modules: set[str]) -> str:
    if BINARY.search(stderr) or BINARY.search(message):
        return "version_conflict"
    if "relative import" in message:
        return "import_path"
    module = _module_of(message)
    top = module.split(".")[0]
    if top and top in local_modules:
        return "import_path"
    if cls == "ModuleNotFoundError" or "No module named" in message:
        return "missing_module"
    if "cannot import name" in message:
        return "version_conflict"
    return "import_error"


def _last_line(text: str) -> str:
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    return lines[-1][:300] if lines else ""


def _lines(path: Path) -> list[str]:
    return [ln for ln in path.read_text(errors="replace").splitlines() if ln.strip()] if path.exists() else []


# ---------------------------------------------------------------------------------- executing


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
            done.append(f"mlflow run semantics: a run with the entry point's {len(step.params)} parameter(s) "
                        "was created and MLFLOW_RUN_ID exported")
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


def execute(project: Project, prep: Prepared, recipe: recipes.Recipe, env: environments.EnvResult,
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
    interventions = list(env.interventions) if hasattr(env, "interventions") else []
    first_cwd = proj / recipe.steps[0].cwd if recipe.steps and recipe.steps[0].cwd else proj
    interventions += checkout.apply_windows(prep.mappings, proj, first_cwd)
    binds = tuple(checkout.bind_args(prep.mappings, proj))  # mounted by bubblewrap only
    script, done = driver(recipe, proj, capture_dir, run_dir)
    interventions += done
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
    if outcome.sandbox == "bwrap":
        interventions += [m.describe() for m in prep.mappings if m.kind in ("posix", "workdir")]
    exc_file = run_dir / "exception.json"
    exc = json.loads(exc_file.read_text()) if exc_file.exists() else None
    network = _lines(run_dir / "network.log")
    redirects = list(dict.fromkeys(_lines(run_dir / "redirects.log")))
    data = capture.read_store(store)
    opened = [str(Path(p).relative_to(proj)) for p in _lines(run_dir / "lfs.log") if Path(p).is_relative_to(proj)]
    status, exception, reason = classify(outcome, exc, network, len(data["metrics"]), prep.local_modules,
                                         opened)
    if data["error"] and status == "ok":
        reason = "the store could not be read completely: " + data["error"]
    if redirects:
        interventions.append("tracking URI redirected to the run's store: " + "; ".join(redirects)[:300])
    row = {"status": status, "exception": exception, "reason": reason[:500], "exit_code": outcome.exit_code,
           "seconds": outcome.seconds, "tracking_redirect": "; ".join(redirects)[:500],
           "network_attempts": len(network), "mlflow_runs": data["runs"], "metrics_logged": len(data["metrics"]),
           "params_logged": len(data["params"]), "sandbox": outcome.sandbox,
           "stderr_tail": " ".join(outcome.stderr_tail[-800:].split())[-600:], "attempted": True,
           "interventions": interventions}
    for sub in ("project", "home", "tmp", "store"):
        shutil.rmtree(run_dir / sub, ignore_errors=True)
    return {"row": row, "metrics": data["metrics"], "params": data["params"]}


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
    if row["status"] == "import_path" and "relative import" in row.get("reason", ""):
        folder = path.parent
        if folder.as_posix() != "." and (project.root / folder / "__init__.py").exists():
            dotted = ".".join(path.with_suffix("").parts)
            new = replace(step, argv=("python", "-m", dotted, *step.argv[2:]), cwd="")
            return [(replace(recipe, steps=(new,)), f"run as module {dotted} from the root after a relative-import error")]
    if row["status"] == "data_missing" and not step.cwd and path.parent.as_posix() != ".":
        new = replace(step, argv=("python", path.name, *step.argv[2:]), cwd=path.parent.as_posix())
        return [(replace(recipe, steps=(new,)), f"run from {path.parent}/ after FileNotFoundError from the root")]
    return []


def _probe(project: Project, prep: Prepared, cfg: Config, condition: conditions.Condition,
           k: int) -> tuple[int, dict[str, Any], list[dict[str, Any]]]:
    """Try up to ``max_recipes`` recipes on the first run; returns the kept recipe's index, its
    run record and one row per probe."""
    probes: list[dict[str, Any]] = []
    kept: tuple[int, dict[str, Any]] | None = None
    for i, recipe in enumerate(prep.recipes[: cfg.max_recipes]):
        env = environment_for(project, cfg, condition, recipe)
        if not env.ok:
            rec = {"row": _env_failed_row(env)}
        else:
            rec = execute(project, prep, recipe, env, condition, k, cfg)
            for repaired, why in repairs(project, recipe, rec["row"]):
                retry = execute(project, prep, repaired, env, condition, k, cfg)
                if retry["row"]["status"] != rec["row"]["status"]:
                    prep.recipes[i] = recipe = replace(repaired, reason=f"{recipe.reason}; {why}")
                    rec = retry
                    rec["row"]["interventions"].append(f"repair: {why}")
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


def _env_failed_row(env: environments.EnvResult) -> dict[str, Any]:
    return {"status": "install_failed", "attempted": False,
            "reason": f"{env.failed_requirement or 'environment'}: {env.reason}"[:500],
            "interventions": list(getattr(env, "interventions", []))}


def _env_columns(env: environments.EnvResult | None) -> dict[str, Any]:
    if env is None:
        return {}
    return {"env_source": env.env_source, "env_status": env.env_status, "env_seconds": env.seconds,
            "python": env.python, "python_required": env.python_required, "env_fingerprint": env.fingerprint,
            "env_mode": getattr(env, "mode", ""), "resolution_date": getattr(env, "resolution_date", "")}


def run_project(project: Project, cfg: Config, bar: Any = None, lock: threading.Lock | None = None) -> None:
    """Every run of one project not yet recorded."""
    lock = lock or threading.Lock()
    todo = [(c, k) for c in cfg.conditions for k in range(1, cfg.runs + 1)
            if not record_path(cfg, project.repo, c, k).exists()]
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
        done = record_path(cfg, project.repo, condition, 1)
        if done.exists():
            row = RunRecord.load(done).row
            first_status[condition] = (row["status"], row.get("reason", ""))
    for name, k in todo:
        condition = conditions.get(name)
        env = None
        if not prep.recipes:
            why = "; ".join(prep.skipped[:3]) if prep.skipped and prep.skipped[0].startswith("harness error") else ""
            rec = {"row": {"status": "entry_not_found", "attempted": False,
                           "reason": why or "no recipe: no MLproject entry, documented command, script or notebook "
                                            "that runs MLflow tracking", "interventions": []}}
            recipe = None
        elif chosen is None:
            index, rec, probes = _probe(project, prep, cfg, condition, k)
            env = rec.pop("env")
            chosen = {"index": index, "recipe": recipe_to_json(prep.recipes[index]), "probes": probes,
                      "cwd_reason": rec["row"].get("cwd_reason", "")}
            _write_json(chosen_file, chosen)
            recipe = prep.recipes[index]
        else:
            recipe = recipe_from_json(chosen["recipe"])
            env = environment_for(project, cfg, condition, recipe)
            if not env.ok:
                rec = {"row": _env_failed_row(env)}
            elif (cfg.skip_repeating and k > 1 and name in first_status and first_status[name][0] in REPEATING):
                st, why = first_status[name]
                rec = {"row": {"status": st, "attempted": False, "interventions": [],
                               "reason": f"not executed: run 1 ended {st} ({why[:200]}), a failure that repeats"}}
            else:
                rec = execute(project, prep, recipe, env, condition, k, cfg)
        row = rec["row"]
        missing = [n for n in prep.missing_names if n in row.get("reason", "")]
        if row["status"] == "data_missing" and missing:
            row["reason"] = (f"{missing[0]} is tracked but the remote did not serve it; " + row["reason"])[:500]
        if k == 1 or name not in first_status:
            first_status[name] = (row["status"], row.get("reason", ""))
        interventions = list(row.get("interventions", []))
        if recipe is not None and chosen is not None:
            failed = [p for p in chosen["probes"] if p["index"] != chosen["index"]]
            note = f"recipe {recipe.where}: {recipes.recipe_text(recipe)}"
            if failed:
                note += " (tried before: " + ", ".join(f"{p['where']} {p['status']}" for p in failed) + ")"
            interventions.insert(0, note)
        rec["row"] = {**base, **_env_columns(env), **row, "repo": project.repo, "full_name": project.full_name,
                      "commit": project.commit, "condition": name, "run": k,
                      "entry_kind": recipe_kind(recipe) if recipe else "none",
                      "entry": recipes.recipe_text(recipe) if recipe else "",
                      "entry_reason": recipe.reason if recipe else row.get("reason", ""),
                      "recipe_source": recipe.where if recipe else "",
                      "cwd": (recipe.steps[0].cwd or ".") if recipe and recipe.steps else "",
                      "cwd_reason": row.get("cwd_reason") or (chosen or {}).get("cwd_reason", "")
                      or ("the folder of the recipe's first step" if recipe else ""),
                      "interventions": "; ".join(dict.fromkeys(interventions))[:2000]}
        RunRecord.of(rec["row"], rec.get("metrics"), rec.get("params")).save(record_path(cfg, project.repo, name, k))
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
    done = sum(record_path(cfg, p.repo, c, k).exists() for p in projects for c in cfg.conditions
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
