"""``python -m miners practices``: how a repository versions data, models and environments.

Definition (one row of ``repo_practices.csv`` per repository, from its tracked files, its
git refs as the clone stage recorded them, and the scanner's call sites):

* Data versioning: ``dvc_*`` (a ``.dvc/`` folder, ``*.dvc`` files, ``dvc.yaml``, ``dvc.lock``,
  files mentioning ``dvc.api``); ``lfs_patterns`` (``.gitattributes`` lines with
  ``filter=lfs``); ``mlflow_datasets`` (``log_input`` / ``mlflow.data``); ``data_files`` /
  ``data_bytes`` / ``data_extensions``: committed files with a data extension
  (:data:`DATA_EXTENSIONS`; bytes where the size is known).
* Model artifacts in git: ``model_files`` / ``model_bytes`` / ``model_extensions``
  (:data:`MODEL_EXTENSIONS`).
* Run history in git: committed ``mlruns/``/``mlartifacts/`` folders; ``mlruns_experiments``,
  ``mlruns_runs``, ``mlruns_params``, ``mlruns_metrics`` counted from MLflow's documented
  file-store layout (``<experiment>/meta.yaml``, ``<experiment>/<run>/params/<key>``,
  ``metrics/<key>``); a store that does not follow it is a reason in ``mlruns_status``.
* Environment (:mod:`miners.practices.envspec`): which files declare it, ``MLproject`` entry points,
  parameters and environment kind, declared and exactly pinned dependencies, how mlflow is
  pinned, lock files, Dockerfile; malformed files are reasons in ``env_errors``.
* Branches and tags (all refs of the remote, recorded at clone time): counts, tags that look
  like semantic versions (``v1.2.3``, ``1.2``, ``v2``), branch families (the part before the
  first ``/``: ``dev/*``, ``feature/*``, ``data/*``, ``exp/*``, ...).
* Model names: registered model names from the scanner; those with a version in the name
  (``v2``, ``1.2.0``, ``_v3``); registry stages vs aliases.
* Delivery: CI configuration (GitHub Actions, GitLab CI, Jenkins, CircleCI, Azure, Travis),
  whether CI runs tests (``pytest``, ``unittest``, ``tox``, ``nox``, ``make test``), training
  (``train``, ``mlflow run``, ``dvc repro``) or mentions MLflow; tests present (``test_*.py``,
  ``*_test.py`` or a ``tests/`` folder); a Dockerfile; model serving (``mlflow models serve``
  in a config/script, or a FastAPI/Flask module that loads a model); monitoring libraries
  imported (evidently, whylogs, alibi_detect, nannyml).

Derived measures (heuristics, stated point by point):

* ``traceability`` (0-7), one point each: **code** — runs are tied to a commit (the project
  tracks with MLflow, which tags runs started in a git work tree with the commit, or it
  has an ``MLproject`` with at least one entry point); **data** — DVC, LFS or MLflow datasets; **hyperparameters** — logs
  params or uses autolog; **metrics** — logs metrics or uses autolog; **model** — logs or
  registers a model; **environment** — a lock file, a Dockerfile, an ``MLproject``
  environment, or declared dependencies at least 80% exactly pinned; **randomness** —
  every random framework the project uses is seeded (``seed_coverage`` complete, or no
  random framework used).
* ``maturity`` (0-4), after Microsoft's MLOps maturity model, cumulative: **1** CI
  configuration present; **2** and MLflow tracking of params or metrics and a reproducible
  training entry (``MLproject``, a DVC pipeline, or CI that trains); **3** and models
  registered in the registry and a deployment path (serving or a Dockerfile); **4** and
  monitoring (a monitoring library) or CI that retrains on a schedule.
"""

from __future__ import annotations

import re
import subprocess
from collections import Counter
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from miners.corpus.clone import read_manifest
from miners.practices import envspec
from miners.schema import names
from miners.schema.ids import full_name
from miners.schema.vocab import PINNED_SHARE

DATA_EXTENSIONS = frozenset({
    ".csv", ".tsv", ".parquet", ".feather", ".arrow", ".xlsx", ".xls", ".jsonl", ".npy", ".npz",
    ".hdf5", ".tfrecord", ".avro", ".orc", ".sqlite", ".db", ".zip", ".gz", ".tar", ".arff",
    ".sav", ".dta", ".data",
})
MODEL_EXTENSIONS = frozenset({".pkl", ".joblib", ".h5", ".keras", ".pt", ".pth", ".onnx", ".pb",
                              ".safetensors", ".cbm", ".bst"})
MONITORING = ("evidently", "whylogs", "alibi_detect", "nannyml")
SEMVER_TAG = re.compile(r"^v?\d+(\.\d+){0,2}([-+][\w.]+)?$", re.IGNORECASE)
VERSIONED_NAME = re.compile(r"(^|[-_./ ])v?\d+(\.\d+)+($|[-_ ])|(^|[-_./ ])v\d+($|[-_ ])", re.IGNORECASE)
LOCK_FILES = ("poetry.lock", "uv.lock", "pipfile.lock", "conda-lock.yml", "requirements.lock")

PRACTICE_COLUMNS = names("repo_practices")


def _tracked(repo: Path) -> list[str]:
    if (repo / ".git").exists():
        out = subprocess.run(["git", "-c", "core.quotepath=off", "-C", str(repo), "ls-files", "-z"],
                             capture_output=True, check=False)
        if out.returncode == 0:
            return sorted(p for p in out.stdout.decode("utf-8", "surrogateescape").split("\0") if p)
    return sorted(p.relative_to(repo).as_posix() for p in repo.rglob("*")
                  if p.is_file() and ".git" not in p.relative_to(repo).parts)


def _read(repo: Path, rel: str) -> str | None:
    try:
        return (repo / rel).read_text(errors="replace")
    except OSError:
        return None


def _size(repo: Path, rel: str, sizes: dict[str, int | None]) -> int | None:
    try:
        return (repo / rel).stat().st_size
    except OSError:
        return sizes.get(rel)


def _mlruns(repo: Path, paths: list[str]) -> dict[str, Any]:
    roots = sorted({"/".join(p.split("/")[: p.split("/").index(d) + 1]) for p in paths
                    for d in ("mlruns", "mlartifacts") if d in p.split("/")})
    out = {"mlruns_dirs": len(roots), "mlruns_experiments": 0, "mlruns_runs": 0, "mlruns_params": 0,
           "mlruns_metrics": 0, "mlruns_status": ""}
    if not roots:
        return out
    problems = []
    for root in roots:
        prefix = root + "/"
        below = [p[len(prefix):].split("/") for p in paths if p.startswith(prefix)]
        experiments = {parts[0] for parts in below if len(parts) == 2 and parts[1] == "meta.yaml"}
        runs = {(parts[0], parts[1]) for parts in below if len(parts) == 3 and parts[2] == "meta.yaml" and parts[0] in experiments}
        out["mlruns_experiments"] += len(experiments)
        out["mlruns_runs"] += len(runs)
        out["mlruns_params"] += sum(1 for parts in below if len(parts) == 4 and parts[2] == "params" and (parts[0], parts[1]) in runs)
        out["mlruns_metrics"] += sum(1 for parts in below if len(parts) == 4 and parts[2] == "metrics" and (parts[0], parts[1]) in runs)
        if not experiments and root.endswith("mlruns"):
            problems.append(f"{root}: no <experiment>/meta.yaml (not an MLflow file store)")
        for exp in sorted(experiments)[:50]:
            text = _read(repo, f"{root}/{exp}/meta.yaml")
            if text is None:
                continue
            try:
                meta = yaml.safe_load(text)
                if not isinstance(meta, dict) or "experiment_id" not in meta:
                    problems.append(f"{root}/{exp}/meta.yaml: no experiment_id")
            except yaml.YAMLError:
                problems.append(f"{root}/{exp}/meta.yaml: malformed YAML")
    out["mlruns_status"] = "; ".join(problems[:5]) if problems else "ok"
    return out


def _mlproject(repo: Path, paths: list[str], spec: envspec.EnvSpec) -> dict[str, Any]:
    files = [p for p in paths if PurePosixPath(p).name.lower() == "mlproject"]
    out = {"mlproject": bool(files), "mlproject_entry_points": 0, "mlproject_parameters": 0, "mlproject_env": ""}
    for rel in files:
        text = _read(repo, rel)
        if text is None:
            continue
        data = spec.load_mapping(text, rel, "MLproject")
        if data is None:
            continue
        eps = data.get("entry_points") or {}
        if isinstance(eps, dict):
            out["mlproject_entry_points"] += len(eps)
            out["mlproject_parameters"] += sum(len((ep or {}).get("parameters") or {}) for ep in eps.values() if isinstance(ep, dict))
        for kind in ("python_env", "conda_env", "docker_env"):
            if kind in data:
                out["mlproject_env"] = kind
                target = data[kind]
                if isinstance(target, str) and kind != "docker_env":
                    env_rel = str(PurePosixPath(rel).parent / target).removeprefix("./")
                    if (repo / env_rel).exists() and env_rel not in spec.files:
                        spec.files.append(env_rel)
                        envspec.read_conda(repo / env_rel, env_rel, spec)
    return out


def _environment(repo: Path, paths: list[str]) -> tuple[envspec.EnvSpec, dict[str, Any]]:
    spec = envspec.EnvSpec()
    for rel in paths:
        name = PurePosixPath(rel).name.lower()
        full = repo / rel
        if not full.is_file():
            continue
        if name.startswith("requirements") and name.endswith(".txt"):
            reader = envspec.read_requirements
        elif name in ("conda.yaml", "conda.yml", "environment.yml", "environment.yaml", "python_env.yaml", "python_env.yml"):
            reader = envspec.read_conda
        elif name == "pyproject.toml":
            reader = envspec.read_pyproject
        elif name == "setup.cfg":
            reader = envspec.read_setup_cfg
        elif name == "pipfile":
            reader = envspec.read_pipfile
        elif name == "setup.py":
            spec.files.append(rel)
            continue
        else:
            continue
        spec.files.append(rel)
        reader(full, rel, spec)
    mlp = _mlproject(repo, paths, spec)
    return spec, mlp


def _ci(repo: Path, paths: list[str]) -> dict[str, Any]:
    systems = {
        "github_actions": [p for p in paths if p.startswith(".github/workflows/") and p.endswith((".yml", ".yaml"))],
        "gitlab": [p for p in paths if p == ".gitlab-ci.yml"],
        "jenkins": [p for p in paths if PurePosixPath(p).name == "Jenkinsfile"],
        "circleci": [p for p in paths if p.startswith(".circleci/")],
        "azure": [p for p in paths if PurePosixPath(p).name == "azure-pipelines.yml"],
        "travis": [p for p in paths if p == ".travis.yml"],
    }
    used = sorted(k for k, v in systems.items() if v)
    text = "\n".join(t for files in systems.values() for p in files if (t := _read(repo, p)))
    low = text.lower()
    return {
        "ci_systems": ";".join(used),
        "ci_runs_tests": bool(re.search(r"\bpytest\b|\bunittest\b|\btox\b|\bnox\b|make test", low)),
        "ci_runs_training": bool(re.search(r"train|mlflow run|dvc repro", low)),
        "ci_uses_mlflow": "mlflow" in low,
        "ci_scheduled": bool(re.search(r"^\s*schedule\s*:", text, re.MULTILINE)) and bool(re.search(r"train|dvc repro|mlflow run", low)),
    }


def repo_practices(repo_id: str, repo: Path, features: dict[str, Any] | None = None) -> dict[str, Any]:
    """One row of ``repo_practices.csv`` (see the module docstring)."""
    repo = Path(repo)
    paths = _tracked(repo)
    manifest = read_manifest(repo) or {}
    sizes = {p: s for p, s in manifest.get("sizes", [])}
    features = features or {}
    lower = [p.lower() for p in paths]
    row: dict[str, Any] = {"repo": repo_id, "full_name": full_name(repo_id),
                           "default_branch": manifest.get("default_branch", ""), "files_tracked": len(paths)}
    # data versioning
    row["dvc_dir"] = any(p.startswith(".dvc/") for p in paths)
    row["dvc_files"] = sum(1 for p in lower if p.endswith(".dvc"))
    row["dvc_pipeline"] = any(PurePosixPath(p).name == "dvc.yaml" for p in lower)
    row["dvc_lock"] = any(PurePosixPath(p).name == "dvc.lock" for p in lower)
    code = {p: _read(repo, p) or "" for p in paths if p.endswith((".py", ".ipynb"))}  # each read once
    row["dvc_api_files"] = sum(1 for t in code.values() if "dvc.api" in t)
    lfs = []
    for p in paths:
        if PurePosixPath(p).name == ".gitattributes":
            for line in (_read(repo, p) or "").splitlines():
                if "filter=lfs" in line and line.split():
                    lfs.append(line.split()[0])
    row["lfs_patterns"] = ";".join(sorted(set(lfs)))
    row["mlflow_datasets"] = bool(features.get("logs_datasets") in (True, "true"))
    for kind, exts in (("data", DATA_EXTENSIONS), ("model", MODEL_EXTENSIONS)):
        files = [p for p in paths if PurePosixPath(p.lower()).suffix in exts and "/mlruns/" not in f"/{p}"]
        known = [s for p in files if (s := _size(repo, p, sizes)) is not None]
        row[f"{kind}_files"] = len(files)
        row[f"{kind}_bytes"] = sum(known) if files else 0
        row[f"{kind}_extensions"] = ";".join(f"{e}:{c}" for e, c in sorted(Counter(PurePosixPath(p.lower()).suffix for p in files).items()))
    row.update(_mlruns(repo, paths))
    # environment
    spec, mlp = _environment(repo, paths)
    row["env_files"] = ";".join(sorted(spec.files))
    row.update(mlp)
    row["deps_declared"] = spec.declared
    row["deps_pinned"] = spec.pinned
    row["pinned_share"] = round(spec.pinned / spec.declared, 4) if spec.declared else None
    row["mlflow_pin"], row["mlflow_spec"] = spec.mlflow_pin
    row["lock_files"] = ";".join(sorted({PurePosixPath(p).name for p in lower if PurePosixPath(p).name in LOCK_FILES}))
    row["dockerfile"] = any(PurePosixPath(p).name.startswith("dockerfile") for p in lower)
    row["env_errors"] = "; ".join(spec.errors)[:500]
    # branches and tags
    branches, tags = manifest.get("branches", []), manifest.get("tags", [])
    row["branches"], row["tags"] = len(branches), len(tags)
    row["semver_tags"] = sum(1 for t in tags if SEMVER_TAG.match(t))
    row["branch_families"] = ";".join(f"{k}:{v}" for k, v in sorted(Counter(b.split("/")[0] for b in branches if "/" in b).items()))
    # model names
    names = sorted({n for n in str(features.get("registered_model_names") or "").split(";") if n})
    row["registered_model_names"] = ";".join(names)
    row["versioned_model_names"] = sum(1 for n in names if VERSIONED_NAME.search(n))
    row["uses_stages"] = features.get("uses_stages") in (True, "true")
    row["uses_aliases"] = features.get("uses_aliases") in (True, "true")
    # delivery
    row.update(_ci(repo, paths))
    row["tests_present"] = any(re.search(r"(^|/)(test_[^/]*\.py|[^/]*_test\.py)$", p) or p.startswith("tests/") or "/tests/" in p for p in paths)
    serving = False
    for p in paths:
        name = PurePosixPath(p).name.lower()
        if name.endswith((".yml", ".yaml", ".sh", ".toml")) or name.startswith(("dockerfile", "makefile", "procfile")):
            t = _read(repo, p)
            if t and "mlflow models serve" in t:
                serving = True
                break
    if not serving:
        for t in code.values():
            if re.search(r"^\s*(from|import)\s+(fastapi|flask)\b", t, re.MULTILINE) and re.search(r"load_model|pickle\.load|joblib\.load", t):
                serving = True
                break
    row["serving"] = serving
    mon = set()
    for t in code.values():
        for lib in MONITORING:
            if re.search(rf"^\s*(from|import)\s+{lib}\b", t, re.MULTILINE):
                mon.add(lib)
    row["monitoring"] = ";".join(sorted(mon))
    # derived measures
    def flag(name: str) -> bool:
        return features.get(name) in (True, "true")

    tracked_runs = flag("logs_params") or flag("logs_metrics") or flag("uses_autolog") or flag("logs_models")
    points = {
        "code": tracked_runs or row["mlproject_entry_points"] > 0,
        "data": row["dvc_files"] > 0 or row["dvc_pipeline"] or bool(lfs) or row["mlflow_datasets"],
        "hyperparameters": flag("logs_params") or flag("uses_autolog"),
        "metrics": flag("logs_metrics") or flag("uses_autolog"),
        "model": flag("logs_models") or flag("registers_models"),
        "environment": bool(row["lock_files"]) or row["dockerfile"] or bool(row["mlproject_env"])
        or (spec.declared > 0 and spec.pinned / spec.declared >= PINNED_SHARE),
        "randomness": features.get("seed_coverage") in ("complete", "no_random_framework"),
    }
    row["traceability"] = sum(points.values())
    row["traceability_points"] = ";".join(k for k, v in points.items() if v)
    level = 0
    if row["ci_systems"]:
        level = 1
        if (flag("logs_params") or flag("logs_metrics")) and (row["mlproject"] or row["dvc_pipeline"] or row["ci_runs_training"]):
            level = 2
            if flag("registers_models") and (row["serving"] or row["dockerfile"]):
                level = 3
                if row["monitoring"] or row["ci_scheduled"]:
                    level = 4
    row["maturity"] = level
    return row
