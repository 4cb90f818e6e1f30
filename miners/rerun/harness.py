"""The rerun harness: re-execute sampled projects k times per condition, sandboxed, and record
what each run logged.

Definitions.

* Sample (``rerun_sample.csv``): repositories of the mined corpus that were scanned, use MLflow
  and log metrics or use autolog; stratum = ``seed|noseed`` (static seed setting) x
  ``script|notebook`` (``notebook`` when MLflow appears only in notebooks); rank =
  ``sha256("<seed>:<owner/name>")`` (:func:`miners.sample.rank`, the rank the stratified draw
  orders by); a proportional stratified draw (largest remainder)
  of ``--sample`` repositories, plus any ``--repos`` named explicitly (``picked_by``).
* Checkout: the mine stage's clone holds only the files the miners read; the harness completes
  a copy of it with every other tracked file the remote can serve (``files_missing`` counts the
  ones it cannot, e.g. large blobs absent from a mirror).
* A run (one row of ``reruns.csv``): a fresh copy of the complete checkout (without ``.git``) in its own
  run directory, executed in the sandbox (:mod:`miners.sandbox`) with the project's environment
  (:mod:`miners.projenv`), the injected capture (:mod:`miners.capture`) and its own MLflow store.
* Status of a run, first match wins: ``entry_not_found`` (no entry point); ``install_failed``
  (the environment did not build); ``timeout`` (killed at ``--timeout`` seconds); ``ok`` (exit
  code 0 and at least one metric logged); ``no_metrics`` (exit 0, no metric); ``network_blocked``
  (failed after trying to reach a non-loopback host, or with a connection/name-resolution error);
  ``import_error`` (``ImportError``/``ModuleNotFoundError``); ``data_missing``
  (``FileNotFoundError`` or errno 2); ``crashed`` (any other failure; ``exception`` names its
  class, or the signal).
* Skipping: when run 1 of a condition ends ``entry_not_found``, ``install_failed``,
  ``import_error``, ``data_missing``, ``network_blocked`` or ``timeout`` (failures that repeat),
  its remaining runs are not executed and are recorded with the same status,
  ``attempted=false`` and the reason (``--no-skip`` executes them all).
* Import path: the run's copy of the repository (and its ``src/``) is on ``PYTHONPATH``, as
  after ``pip install -e .``; when run 1 of a script inside a package fails with a relative-import
  error, it is repeated once as ``python -m package.module`` from the root, kept if that gets
  further (``cwd_reason`` says so).
* Working directory: as chosen by :mod:`miners.entrypoint`; when run 1 fails with a
  ``FileNotFoundError`` from the root and the entry lives in a sub-folder, run 1 is repeated once
  from that folder and, if that gets further, the folder is kept (``cwd_reason`` says so).

Every finished run is recorded at once (``<work>/records/<repo>/<condition>-<k>.json``); a
restart skips it. ``publish`` turns the records into the CSVs.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import shutil
import sys
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from miners.clone_stage import clone_dir_name
from miners.csvio import atomic_write_bytes, read_csv, write_csv
from miners.rerun import capture, sandbox, variance
from miners.rerun import environment as projenv
from miners.rerun import recipes as entrypoint

CONDITIONS = ("as_written", "seeds_forced")
REPEATING = {"entry_not_found", "install_failed", "import_error", "data_missing", "network_blocked", "timeout"}
NETWORK_ERRORS = re.compile(r"ConnectionError|ConnectionRefused|NewConnectionError|MaxRetryError|"
                            r"Temporary failure in name resolution|Name or service not known|Network is unreachable|"
                            r"nodename nor servname|getaddrinfo failed|URLError|gaierror|RemoteDisconnected|"
                            r"Failed to establish a new connection|ProxyError|SSLError|socket\.timeout", re.I)
EXC_LINE = re.compile(r"^([A-Za-z_][\w.]*(?:Error|Exception|Exit|Interrupt|Failure|Warning|Stop)\w*)(?::|$)", re.M)

RUN_COLUMNS = ["repo", "full_name", "commit", "condition", "run", "attempted", "status", "reason", "exception",
               "exit_code", "seconds", "entry_kind", "entry", "entry_reason", "cwd", "cwd_reason", "env_source",
               "env_status", "env_seconds", "python", "python_required", "env_fingerprint", "files_missing",
               "tracking_redirect",
               "network_attempts", "mlflow_runs", "metrics_logged", "params_logged", "threads", "memory_mb",
               "timeout_s", "sandbox", "stderr_tail"]
METRIC_COLUMNS = ["repo", "condition", "run", "key", "step", "value", "is_last"]
PARAM_COLUMNS = ["repo", "condition", "run", "key", "value"]
ENV_COLUMNS = ["repo", "env_source", "env_status", "reason", "failed_requirement", "python_required", "python",
               "seconds", "packages", "requirements", "dropped", "added", "fingerprint"]
SAMPLE_COLUMNS = ["repo", "full_name", "commit", "stratum", "rank", "picked_by"]
FUNNEL_COLUMNS = ["step", "stage", "condition", "repositories", "dropped", "drop_reasons"]


@dataclass(frozen=True)
class Config:
    """Settings of a rerun: ``runs`` per condition, ``timeout`` per run (s), ``memory_mb`` address
    space per run (MiB), ``threads`` for numeric libraries, ``wheels`` a folder of local wheels."""

    work: Path
    runs: int = 5
    conditions: tuple[str, ...] = CONDITIONS
    timeout: float = 900.0
    memory_mb: int = 12288
    threads: int = 1
    jobs: int = 1
    wheels: Path | None = None
    skip_repeating: bool = True
    unsafe_no_sandbox: bool = False
    install_timeout: float = 1800.0
    cache: Path | None = None  # package cache shared by all projects (None: the installer's own)
    python_env: Path | None = None  # an existing environment used for every project instead of building one


@dataclass
class Project:
    repo: str
    root: Path
    full_name: str = ""
    commit: str = ""
    stratum: str = ""
    rank: str = ""
    picked_by: str = "explicit"
    static: dict[str, Any] = field(default_factory=dict)


def _true(v: Any) -> bool:
    return str(v).lower() == "true"


def sample(corpus: Path, features: Path, clones: Path, size: int, seed: int,
           explicit: list[str] = ()) -> list[Project]:
    """The seeded stratified sample (see module docstring) plus the explicit repositories."""
    from miners.sample import draw, rank

    feats = {r["full_name"]: r for r in read_csv(features)}
    rows = []
    commits = {}
    for r in read_csv(corpus):
        commits[r["full_name"]] = r.get("sha", "")
        f = feats.get(r["full_name"])
        if not (_true(r.get("scanned")) and f and _true(f["uses_mlflow"])):
            continue
        if not (_true(f["logs_metrics"]) or _true(f["uses_autolog"])):
            continue
        kind = "notebook" if int(f["mlflow_files_py"] or 0) == 0 and int(f["mlflow_files_ipynb"] or 0) > 0 else "script"
        stratum = f"{'seed' if _true(f['sets_seed']) else 'noseed'}/{kind}"
        rows.append({"full_name": r["full_name"], "stratum": stratum})
    by_name = {r["full_name"]: r for r in rows}
    unknown = [n for n in explicit if n not in commits]
    if unknown:
        raise ValueError(f"--repos names repositories that are not in {corpus}: {', '.join(unknown)}")
    picked = draw([{**r, "full_name": r["full_name"]} for r in rows], size, seed, stratify_by="stratum") if size else set()
    projects = []
    for name in sorted(set(picked) | set(explicit)):
        f = feats.get(name, {})
        projects.append(Project(clone_dir_name(name), clones / clone_dir_name(name), name, commits.get(name, ""),
                                by_name.get(name, {}).get("stratum", ""), rank(seed, name),
                                "sample" if name in picked else "explicit",
                                {k: f.get(k, "") for k in ("sets_seed", "seed_coverage")}))
    return projects


def local_projects(dirs: list[Path]) -> list[Project]:
    """Projects from local folders; the repository id is the folder name."""
    out = []
    for d in dirs:
        if not Path(d).is_dir():
            raise ValueError(f"project folder not found: {d}")
        out.append(Project(Path(d).name, Path(d).resolve(), Path(d).name.replace("__", "/", 1)))
    return out


# ---------------------------------------------------------------------------------------- runs


def _record_path(cfg: Config, repo: str, condition: str, k: int) -> Path:
    return cfg.work / "records" / repo / f"{condition}-{k}.json"


def _write_json(path: Path, data: Any) -> None:
    atomic_write_bytes(path, json.dumps(data, sort_keys=True, indent=1).encode(), durable=False)


def checkout(project: Project, cfg: Config) -> dict[str, Any]:
    """The project's complete work tree. A clone made by the mine stage holds only the files the
    miners read; a copy of it under ``<work>/checkouts`` gets every other tracked file (data,
    models) from the same remote at the same commit (:func:`miners.clone.complete_checkout`), and
    the runs use that copy. Local project folders are used as they are."""
    from miners.clone import MANIFEST, complete_checkout

    if not (project.root / ".git" / MANIFEST).exists():
        return {"fetched": 0, "missing_paths": [], "error": ""}
    full = cfg.work / "checkouts" / project.repo
    if not (full / ".git" / "mining-complete.json").exists():
        if full.exists():
            shutil.rmtree(full)
        shutil.copytree(project.root, full, symlinks=True)
    info = complete_checkout(full)
    project.root = full.resolve()
    return info


def prepare(project: Project, cfg: Config) -> tuple[entrypoint.Entry, projenv.EnvResult | None, dict[str, Any]]:
    """Entry point, environment and committed originals of a project (each cached on disk)."""
    rec = cfg.work / "records" / project.repo
    info = checkout(project, cfg)
    project.static["files_missing"] = len(info["missing_paths"])
    project.static["missing_names"] = sorted({Path(p).name for p in info["missing_paths"]})
    entry_file = rec / "entry.json"
    if entry_file.exists():
        entry = entrypoint.Entry(**{k: tuple(v) if k == "command" else v
                                    for k, v in json.loads(entry_file.read_text()).items()})
    else:
        entry = entrypoint.choose(project.root)
        _write_json(entry_file, asdict(entry))
    originals_file = rec / "originals.json"
    if originals_file.exists():
        originals = json.loads(originals_file.read_text())
    else:
        originals = capture.read_committed(project.root)
        _write_json(originals_file, originals)
    if entry.kind == "none":
        return entry, None, originals
    if cfg.python_env is not None:
        return entry, projenv.given(cfg.python_env), originals
    env = projenv.build(project.root, cfg.work / "envs" / project.repo, cfg.cache, entry_kind=entry.kind,
                        mlproject=entry.path if entry.kind == "mlproject" else "",
                        entry_paths=projenv.entry_files(project.root, entry.kind, entry.path, entry.command,
                                                        entry.folder),
                        entry_folder=entry.folder, wheels=cfg.wheels, timeout=cfg.install_timeout)
    return entry, env, originals


def _save_entry(cfg: Config, project: Project, entry: entrypoint.Entry) -> None:
    _write_json(cfg.work / "records" / project.repo / "entry.json", asdict(entry))


def classify(outcome: sandbox.Outcome, exc: dict[str, Any] | None, network: list[str],
             metrics: int) -> tuple[str, str, str]:
    """``(status, exception, reason)`` of a finished run (module docstring)."""
    if outcome.timed_out:
        return "timeout", "", f"killed after the {outcome.seconds:.0f} s limit"
    if outcome.exit_code == 0:
        return ("ok", "", "") if metrics else ("no_metrics", "", "exited 0 but logged no metric")
    stderr = outcome.stderr_tail
    cls = (exc or {}).get("class") or ""
    if not cls:
        found = EXC_LINE.findall(stderr)
        cls = found[-1].split(".")[-1] if found else ""
    message = (exc or {}).get("message") or _last_line(stderr)
    if outcome.exit_code is not None and outcome.exit_code < 0:
        import signal

        name = signal.Signals(-outcome.exit_code).name if -outcome.exit_code in signal.Signals._value2member_map_ else str(-outcome.exit_code)
        return "crashed", name, f"killed by {name}" + (" (memory limit?)" if name == "SIGKILL" else "")
    if network and (NETWORK_ERRORS.search(cls) or NETWORK_ERRORS.search(stderr) or "Connection" in cls):
        return "network_blocked", cls, f"tried {network[0]}{' and more' if len(network) > 1 else ''}: {message}"
    if NETWORK_ERRORS.search(cls) or (not cls and NETWORK_ERRORS.search(stderr)):
        return "network_blocked", cls, message
    if cls in ("ModuleNotFoundError", "ImportError"):
        return "import_error", cls, message
    if cls == "FileNotFoundError" or (exc or {}).get("errno") == 2 or "No such file or directory" in message:
        return "data_missing", cls or "FileNotFoundError", message
    return "crashed", cls or f"exit code {outcome.exit_code}", message


def _last_line(text: str) -> str:
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    return lines[-1][:300] if lines else ""


def _copy_project(src: Path, dest: Path) -> None:
    shutil.copytree(src, dest, symlinks=True, ignore=shutil.ignore_patterns(".git"))


def execute(project: Project, entry: entrypoint.Entry, env: projenv.EnvResult, condition: str, k: int,
            cfg: Config) -> dict[str, Any]:
    """One sandboxed run; returns its record (row, metrics, params)."""
    run_dir = (cfg.work / "runs" / project.repo / condition / str(k)).resolve()
    if run_dir.exists():
        shutil.rmtree(run_dir)
    run_dir.mkdir(parents=True)
    proj = run_dir / "project"
    _copy_project(project.root, proj)
    capture.install(run_dir / "capture")
    store = run_dir / "store"  # created by MLflow itself, with its default experiment
    venv = Path(env.venv)
    python = str(venv / "bin" / "python")
    cwd = proj / entry.folder if entry.cwd == "entry_dir" else proj
    if entry.kind == "mlproject":
        argv = ["sh", "-c", entry.command[0]]
    elif entry.kind == "notebook":
        nb = entry.path if entry.cwd == "root" else Path(entry.path).name
        argv = [python, str(run_dir / "capture" / "_mining_notebook.py"), nb, str(run_dir / "executed.ipynb")]
    else:
        argv = entrypoint.argv_for(entry, entry.cwd, python)
    # the project's own modules importable as after `pip install -e .` (root, and src/ if any)
    pythonpath = [run_dir / "capture", proj] + ([proj / "src"] if (proj / "src").is_dir() else [])
    extra = {"PATH": f"{venv / 'bin'}:/usr/local/bin:/usr/bin:/bin", "VIRTUAL_ENV": str(venv),
             "PYTHONPATH": ":".join(str(p) for p in pythonpath), "MLFLOW_TRACKING_URI": store.as_uri(),
             "MINING_STORE_URI": store.as_uri(), "MINING_RUN_DIR": str(run_dir), "GIT_PYTHON_REFRESH": "quiet",
             "MPLBACKEND": "Agg", "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONUNBUFFERED": "1",
             "MLFLOW_ALLOW_FILE_STORE": "true"}
    if condition == "seeds_forced":
        extra.update(PYTHONHASHSEED="0", MINING_FORCE_SEEDS="1", CUBLAS_WORKSPACE_CONFIG=":4096:8",
                     TF_DETERMINISTIC_OPS="1")
    limits = sandbox.Limits(cfg.timeout, cfg.memory_mb, cfg.threads)
    outcome = sandbox.run(argv, run_dir, cwd, limits, extra, cfg.unsafe_no_sandbox, read_only=(venv,))
    exc_file = run_dir / "exception.json"
    exc = json.loads(exc_file.read_text()) if exc_file.exists() else None
    network = _lines(run_dir / "network.log")
    redirects = _lines(run_dir / "redirects.log")
    data = capture.read_store(store)
    status, exception, reason = classify(outcome, exc, network, len(data["metrics"]))
    if data["error"] and status == "ok":
        reason = "the store could not be read completely: " + data["error"]
    row = {"status": status, "exception": exception, "reason": reason[:500], "exit_code": outcome.exit_code,
           "seconds": outcome.seconds, "tracking_redirect": "; ".join(dict.fromkeys(redirects))[:500],
           "network_attempts": len(network), "mlflow_runs": data["runs"], "metrics_logged": len(data["metrics"]),
           "params_logged": len(data["params"]), "sandbox": outcome.sandbox,
           "stderr_tail": " ".join(outcome.stderr_tail[-800:].split())[-600:], "attempted": True,
           "cwd": entry.cwd, "cwd_reason": entry.cwd_reason}
    for sub in ("project", "home", "tmp", "store"):
        shutil.rmtree(run_dir / sub, ignore_errors=True)
    return {"row": row, "metrics": data["metrics"], "params": data["params"]}


def _repairs(project: Project, entry: entrypoint.Entry, row: dict[str, Any]) -> list[entrypoint.Entry]:
    """The one repaired entry that run 1's failure calls for (module docstring), if any: a
    script with a relative-import error is run as a module; a script that cannot find a file
    from the root is run from its own folder."""
    if row["status"] == "import_error" and "relative import" in row.get("reason", ""):
        module = entrypoint.as_module(project.root, entry)
        return [module] if module is not None else []
    if row["status"] == "data_missing" and entry.cwd == "root" and entry.folder and entry.kind != "mlproject":
        return [replace(entry, cwd="entry_dir",
                        cwd_reason=f"retried from {entry.folder}/ after FileNotFoundError from the root")]
    return []


def _lines(path: Path) -> list[str]:
    return [ln for ln in path.read_text(errors="replace").splitlines() if ln.strip()] if path.exists() else []


def run_project(project: Project, cfg: Config, bar: Any = None, lock: threading.Lock | None = None) -> None:
    """Every run of one project not yet recorded."""
    lock = lock or threading.Lock()
    todo = [(c, k) for c in cfg.conditions for k in range(1, cfg.runs + 1)
            if not _record_path(cfg, project.repo, c, k).exists()]
    if not todo:
        return
    try:
        entry, env, _ = prepare(project, cfg)
    except Exception as exc:  # a project that breaks the harness is data
        entry, env = replace(entrypoint.NONE, reason=f"harness error: {type(exc).__name__}: {exc}"[:300]), None
    base = {"entry_kind": entry.kind, "entry": " ".join(entry.command) if entry.kind == "mlproject" else entry.path,
            "entry_reason": entry.reason, "cwd": entry.cwd, "cwd_reason": entry.cwd_reason,
            "threads": cfg.threads, "memory_mb": cfg.memory_mb, "timeout_s": cfg.timeout,
            "files_missing": project.static.get("files_missing", 0)}
    if env is not None:
        base.update(env_source=env.env_source, env_status=env.env_status, env_seconds=env.seconds,
                    python=env.python, python_required=env.python_required, env_fingerprint=env.fingerprint)
    first_status: dict[str, tuple[str, str]] = {}
    for condition in cfg.conditions:
        done = _record_path(cfg, project.repo, condition, 1)
        if done.exists():
            row = json.loads(done.read_text())["row"]
            first_status[condition] = (row["status"], row.get("reason", ""))
    for condition, k in todo:
        if entry.kind == "none":
            rec = {"row": {"status": "entry_not_found", "reason": entry.reason, "attempted": False}}
        elif env is None or not env.ok:
            rec = {"row": {"status": "install_failed", "attempted": False,
                           "reason": f"{env.failed_requirement or 'environment'}: {env.reason}"[:500] if env else ""}}
        elif (cfg.skip_repeating and k > 1 and condition in first_status
              and first_status[condition][0] in REPEATING):
            st, why = first_status[condition]
            rec = {"row": {"status": st, "attempted": False,
                           "reason": f"not executed: run 1 ended {st} ({why[:200]}), a failure that repeats"}}
        else:
            rec = execute(project, entry, env, condition, k, cfg)
            for repaired in _repairs(project, entry, rec["row"]) if k == 1 else ():
                retry = execute(project, repaired, env, condition, k, cfg)
                if retry["row"]["status"] == rec["row"]["status"]:
                    rec["row"]["cwd_reason"] = f"{entry.cwd_reason}; the repair ({repaired.cwd_reason}) failed too"
                    continue
                entry, rec = repaired, retry
                _save_entry(cfg, project, entry)
                base.update(cwd=entry.cwd, cwd_reason=entry.cwd_reason)
        missing = [n for n in project.static.get("missing_names", []) if n in rec["row"].get("reason", "")]
        if rec["row"]["status"] == "data_missing" and missing:
            rec["row"]["reason"] = (f"{missing[0]} is tracked but the remote did not serve it; "
                                    + rec["row"]["reason"])[:500]
        if k == 1 or condition not in first_status:
            first_status[condition] = (rec["row"]["status"], rec["row"].get("reason", ""))
        row = {**base, **rec["row"], "repo": project.repo, "full_name": project.full_name, "commit": project.commit,
               "condition": condition, "run": k}
        rec["row"] = row
        _write_json(_record_path(cfg, project.repo, condition, k), rec)
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
    done = sum(_record_path(cfg, p.repo, c, k).exists() for p in projects for c in cfg.conditions
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


# ------------------------------------------------------------------------------------ publish


def provenance(cfg: Config, projects: list[Project], sample: dict[str, Any]) -> dict[str, Any]:
    """What produced the rerun tables: the sample's definition, the harness settings, the
    sandbox, the harness version and the machine (the only rerun output with a date)."""
    import os
    import platform

    from miners import MINER_VERSION, __version__

    return {"harness": f"{__version__}+{_harness_digest()}", "miner_version": MINER_VERSION,
            "sample": sample, "repositories": len(projects), "runs_per_condition": cfg.runs,
            "conditions": list(cfg.conditions), "timeout_s": cfg.timeout, "memory_mb": cfg.memory_mb,
            "threads": cfg.threads, "skip_repeating": cfg.skip_repeating, "sandbox": sandbox.available() or "none",
            "python": platform.python_version(), "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
            "published_at": now()}


def _harness_digest() -> str:
    h = hashlib.sha256()
    for path in sorted(Path(__file__).parent.glob("*.py")):
        h.update(path.name.encode() + path.read_bytes())
    return h.hexdigest()[:12]


def publish(projects: list[Project], cfg: Config, out: Path, sample: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Write the rerun CSVs to ``out`` from the records; returns the funnel rows."""
    runs, metrics, params, envs, originals = [], [], [], [], {}
    info: dict[str, dict[str, Any]] = {}
    for p in projects:
        rec_dir = cfg.work / "records" / p.repo
        entry = json.loads((rec_dir / "entry.json").read_text()) if (rec_dir / "entry.json").exists() else {}
        info[p.repo] = {"full_name": p.full_name, "entry_kind": entry.get("kind", ""),
                        **{k: v for k, v in p.static.items() if k in ("sets_seed", "seed_coverage")}}
        orig = rec_dir / "originals.json"
        if orig.exists():
            originals[p.repo] = json.loads(orig.read_text()).get("originals", {})
        env_file = cfg.work / "envs" / p.repo / "env.json"
        e = json.loads(env_file.read_text()) if env_file.exists() else None
        if e is None and cfg.python_env is not None:
            e = asdict(projenv.given(cfg.python_env))
        if e is not None:
            envs.append({"repo": p.repo, **{k: e.get(k, "") for k in ENV_COLUMNS if k != "repo"},
                         "requirements": "; ".join(e["requirements"]), "dropped": "; ".join(e["dropped"]),
                         "added": "; ".join(e["added"])})
            if e.get("lock"):
                atomic_write_bytes(out / "rerun_locks" / f"{p.repo}.txt", e["lock"].encode())
        for c in cfg.conditions:
            for k in range(1, cfg.runs + 1):
                path = _record_path(cfg, p.repo, c, k)
                if not path.exists():
                    continue
                rec = json.loads(path.read_text())
                runs.append(rec["row"])
                for key, values in (rec.get("metrics") or {}).items():
                    for step, value, last in values:
                        metrics.append({"repo": p.repo, "condition": c, "run": k, "key": key, "step": step,
                                        "value": value, "is_last": last})
                for key, value in (rec.get("params") or {}).items():
                    params.append({"repo": p.repo, "condition": c, "run": k, "key": key, "value": value})
    var_rows = variance.variance(runs, metrics, originals)
    repo_rows = variance.verdicts(runs, var_rows, info, list(cfg.conditions))
    out.mkdir(parents=True, exist_ok=True)
    write_csv(out / "reruns.csv", RUN_COLUMNS, runs, sort_key=["repo", "condition", "run"])
    write_csv(out / "rerun_metrics.csv", METRIC_COLUMNS, metrics, sort_key=["repo", "condition", "run", "key", "step"])
    write_csv(out / "rerun_params.csv", PARAM_COLUMNS, params, sort_key=["repo", "condition", "run", "key"])
    write_csv(out / "variance.csv", variance.VARIANCE_COLUMNS, var_rows, sort_key=["repo", "condition", "key"])
    write_csv(out / "rerun_repos.csv", variance.REPO_COLUMNS, repo_rows, sort_key=["repo", "condition"])
    write_csv(out / "rerun_environments.csv", ENV_COLUMNS, envs, sort_key=["repo"])
    write_csv(out / "rerun_sample.csv", SAMPLE_COLUMNS,
              [{"repo": p.repo, "full_name": p.full_name, "commit": p.commit, "stratum": p.stratum, "rank": p.rank,
                "picked_by": p.picked_by} for p in projects], sort_key=["repo"])
    funnel_rows = funnel(projects, runs, repo_rows, list(cfg.conditions))
    write_csv(out / "rerun_funnel.csv", FUNNEL_COLUMNS, funnel_rows, sort_key=["condition", "step"])
    atomic_write_bytes(out / "rerun_provenance.json",
                       (json.dumps(provenance(cfg, projects, sample or {}), indent=2, sort_keys=True) + "\n").encode())
    return funnel_rows


def funnel(projects: list[Project], runs: list[dict[str, Any]], repo_rows: list[dict[str, Any]],
           conditions: list[str]) -> list[dict[str, Any]]:
    """sampled -> entry found -> installed -> ran (a run exited 0) -> logged metrics (a run ok)
    -> judged (two ok runs with a common metric) -> reproduced (identical or within tolerance),
    per condition, in repositories."""
    out = []
    for cond in conditions:
        rr = [r for r in runs if r["condition"] == cond]
        by_repo: dict[str, list[dict[str, Any]]] = {}
        for r in rr:
            by_repo.setdefault(r["repo"], []).append(r)
        verdict = {r["repo"]: r["verdict"] for r in repo_rows if r["condition"] == cond}
        stages = [
            ("sampled", lambda _repo, _rs: True, None),
            ("entry found", lambda _repo, rs: all(r["entry_kind"] != "none" for r in rs), "entry_not_found"),
            ("installed", lambda _repo, rs: all(r["status"] != "install_failed" for r in rs), "install_failed"),
            ("ran", lambda _repo, rs: any(r.get("exit_code") == 0 for r in rs), "status"),
            ("logged metrics", lambda _repo, rs: any(r["status"] == "ok" for r in rs), "status"),
            ("judged", lambda repo, _rs, v=verdict: v.get(repo, "not_judged") != "not_judged", "why"),
            ("reproduced", lambda repo, _rs, v=verdict: v.get(repo) in ("identical", "within_tolerance"), "verdict"),
        ]
        alive = [p.repo for p in projects]
        for step, (stage, keep, _) in enumerate(stages, 1):
            kept = [repo for repo in alive if keep(repo, by_repo.get(repo, []))]
            lost = [repo for repo in alive if repo not in kept]
            reasons = Counter()
            for repo in lost:
                rs = by_repo.get(repo, [])
                if stage == "reproduced":
                    reasons[verdict.get(repo, "")] += 1
                elif stage == "judged":
                    reasons["fewer than 2 ok runs" if sum(r["status"] == "ok" for r in rs) < 2
                            else "no common metric"] += 1
                else:
                    reasons[Counter(r["status"] for r in rs).most_common(1)[0][0] if rs else "not run"] += 1
            out.append({"step": step, "stage": stage, "condition": cond, "repositories": len(kept),
                        "dropped": len(lost), "drop_reasons": "; ".join(f"{k}: {v}" for k, v in sorted(reasons.items()))})
            alive = kept
    return out


def now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
