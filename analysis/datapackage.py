"""``python -m analysis datapackage``: ``results/datapackage.json``, the published results as a
Frictionless Tabular Data Package (spec v1, read and validated by frictionless-py 5).

Usage::

    python -m analysis datapackage --results results            # write, then validate
    python -m analysis datapackage --results results --check    # validate; fail if out of date

Definition. The package has one tabular resource per CSV file under ``results/`` (the mined
tables, the rerun tables, and ``results/tables/*.csv`` written by the analysis stage). Every
resource and every column of every CSV must be documented: the mined and rerun tables in
:data:`RESOURCES` below (a description per resource, and per column its declared type and its
definition with units), the analysis tables in the ``TABLE_DOCS`` dict of the module that
writes them (:data:`TABLE_MODULES`). A CSV without a description, or a column without one, is
an error that names the file and the column, so adding a column forces documenting it.

* Types are declared, not inferred, for :data:`RESOURCES` (so the package does not change with
  the data); for analysis tables a field may declare ``{"type": ..., "description": ...}``,
  otherwise its type is inferred from its values (:func:`infer_type`; a column without any
  value takes the type of the same column name in the other tables, else string).
* CSV dialect: comma, ``"`` quoting, ``\\n`` line ends, a header row, UTF-8; the empty string is
  the only missing value; booleans are written ``true``/``false``.
* Each resource records its size (``bytes``) and SHA-256 (``hash``), so validation also proves
  that the package describes exactly these files.
* Package metadata: name, title, description, version (``pyproject.toml``), licence of the
  data (CC-BY-4.0), contributors, ``created`` (``mined_at`` of ``results/provenance.json``,
  never the clock), sources (the sampling frame) and the provenance record.

The output is byte-identical for the same inputs (fixed key order, sorted resources, atomic
write). Validation uses ``frictionless.validate``: schema, types, constraints, primary and
foreign keys, sizes and hashes.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import importlib
import json
import re
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from analysis.stages import TABLE_MODULES
from miners.csvio import atomic_write_bytes
from miners.rerun.conditions import CONDITIONS as _CONDITIONS

ROOT = Path(__file__).resolve().parents[1]
PACKAGE_FILE = "datapackage.json"
TABLES_DIR = "tables"
TYPES = ("integer", "number", "boolean", "string", "date", "datetime")
TRUE, FALSE = "true", "false"

TITLE = ("mlflow-mining: experiment tracking, seeding and model-registry use in GitHub projects "
         "that use MLflow, and whether their experiments reproduce (published results)")
DESCRIPTION = (
    "Facts mined from public GitHub repositories that use MLflow, each pinned to one commit "
    "(corpus.csv, column sha): the sampling funnel, clone status, every candidate Python and "
    "notebook file, every detected MLflow tracking, seed and model-registry call site, per-"
    "repository features and practices; the rerun experiment (re-executing sampled projects "
    "k times per condition in a network-less sandbox, and the run-to-run variance of their "
    "metrics); and the analysis tables of the paper. No code or data of the mined repositories "
    "is included. Column definitions: each field's description here, and study/codebook.md. "
    "provenance.json records the miner version, protocol and frame (with SHA-256) and when the "
    "corpus was mined. The pipeline's code is MIT-licensed; these data are CC-BY-4.0."
)
KEYWORDS = ["mining software repositories", "MLflow", "experiment tracking", "reproducibility",
            "random seeds", "model registry", "MLOps"]
LICENSES = [{"name": "CC-BY-4.0", "path": "https://creativecommons.org/licenses/by/4.0/",
             "title": "Creative Commons Attribution 4.0 International"}]
CONTRIBUTORS = [{"title": "The mlflow-mining team", "role": "author"}]
DIALECT = {"delimiter": ",", "doubleQuote": True, "header": True, "lineTerminator": "\n",
           "quoteChar": '"'}
PROVENANCE_KEYS = ("miner_version", "miner_versions_of_task_records", "pipeline_commit", "mined_at",
                   "protocol", "protocol_sha256", "frame", "frame_sha256", "sample", "select",
                   "python", "git")


class DatapackageError(Exception):
    """The results cannot be described: an undocumented file or column, or bad documentation."""


@dataclass(frozen=True)
class Col:
    """A documented column: its declared Frictionless ``type``, its definition (with units),
    and optional constraints (allowed values, bounds)."""

    type: str
    description: str
    enum: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None


def _int(description: str, minimum: float | None = 0, maximum: float | None = None) -> Col:
    return Col("integer", description, minimum=minimum, maximum=maximum)


def _num(description: str, minimum: float | None = None, maximum: float | None = None) -> Col:
    return Col("number", description, minimum=minimum, maximum=maximum)


def _bool(description: str) -> Col:
    return Col("boolean", description)


def _str(description: str, enum: tuple[str, ...] = ()) -> Col:
    return Col("string", description, enum=enum)


def _dt(description: str) -> Col:
    return Col("datetime", description)


# Shared column definitions --------------------------------------------------------------------
REPO_ID = ("repository id: owner__name, the GitHub owner/name with its first '/' replaced by "
           "'__' (the clone folder name)")
FULL_NAME = "GitHub repository, owner/name"
PATH = "file path inside the repository, relative to its root, '/'-separated"
SHA = "the commit the repository was cloned and mined at (40 hex digits)"
BRANCHES = "number of branches of the remote at clone time"
TAGS = "number of tags of the remote at clone time"
DEFAULT_BRANCH = "the remote's default branch (its HEAD) at clone time"
FILES_TRACKED = "number of entries in the commit's tree (files tracked by git, submodules included)"
CONDITION = Col("string", "rerun condition (miners/rerun/conditions.py): as_written = the project "
                "exactly as written; seeds_forced = PYTHONHASHSEED=0 and random/numpy/torch/tensorflow "
                "seeded with 0 and determinism flags on at interpreter start (miners/rerun/capture.py); "
                "latest_env = the same code with its requirements resolved as of the protocol's fixed "
                "recent date", enum=tuple(_CONDITIONS))
RUN = _int("run number within the (repository, condition), 1..k", minimum=1)
RUN_STATUS = ("ok", "crashed_after_metrics", "install_failed", "entry_not_found", "missing_module",
              "version_conflict", "import_path", "import_error", "lfs_pointer", "data_missing",
              "network_blocked", "timeout", "crashed", "no_metrics")
ENTRY_KIND = ("mlproject", "script", "notebook", "readme", "ci", "makefile", "dvc", "docker", "none")
ENV_STATUS = ("installed", "installed_relaxed", "installed_imports", "install_failed", "reused")
ENV_SOURCE = ("lock", "pinned", "mlruns_model", "python_env", "conda_env", "requirements", "pyproject",
              "inferred", "given")
AGREEMENT = ("identical", "within_1e-6", "within_1pct", "different")
OPTIONAL = ("Optional: absent from tables published before rerun harness v2.")
SEED_COVERAGE = ("complete", "partial", "none", "no_random_framework")
STEP = _int("position of the stage in the funnel, 1 = first", minimum=1)
REASONS = "why repositories were dropped at this stage: 'reason: count' pairs, '; '-separated"


def _funnel_fields(**extra: Col) -> dict[str, Col]:
    return {"step": STEP, "stage": _str("name of the stage"), **extra,
            "repositories": _int("repositories remaining at this stage"),
            "dropped": _int("repositories lost since the previous stage"),
            "drop_reasons": _str(REASONS)}


# The documentation of every published CSV: resource name (file stem) -> description, keys and
# fields (in any order; the CSV's header decides the order). Written from the code that
# produces each column: miners/discover.py, mine.py, clone.py, clone_stage.py, scan.py,
# analyze.py, features.py, practices.py, envspec.py (mining); miners/rerun/ (rerun: harness.py,
# publish.py, variance.py, environment.py, recipes/, capture.py, checkout.py, sandbox.py).
RESOURCES: dict[str, dict[str, Any]] = {
    "funnel": {
        "title": "Sampling funnel",
        "description": "One row per stage of the mining funnel, in order: found (rows of the "
                       "frame), eligible (not excluded by metadata: fork, archived, empty, too "
                       "large), sampled (seeded sample), cloned, selected (not empty, has Python, "
                       "one per near-duplicate family), scanned, with MLflow calls (at least one "
                       "tracking or registry call site). Written by miners/mine.py.",
        "primaryKey": ["step"],
        "fields": _funnel_fields(),
    },
    "corpus": {
        "title": "Corpus: every repository of the sampling frame",
        "description": "One row per repository of the sampling frame (or of API discovery), with "
                       "its sampling, cloning and selection outcome and the pinned commit that "
                       "every other table was mined from. Discovery columns (stars ... "
                       "discovered_at) are empty when the corpus comes from a fixed frame; frame_* "
                       "columns are the frame's own columns. Written by miners/mine.py.",
        "primaryKey": ["full_name"],
        "fields": {
            "full_name": _str(FULL_NAME),
            "html_url": _str("GitHub web address of the repository"),
            "clone_url": _str("GitHub https clone address (the miner cloned from a URL template, "
                              "see provenance.json)"),
            "default_branch": _str("default branch, from the GitHub API or, failing that, the "
                                   "remote's HEAD at clone time; empty when unknown"),
            "stars": _int("stargazers count from the GitHub search API (empty for a frame)"),
            "forks": _int("forks count from the GitHub search API (empty for a frame)"),
            "watchers": _int("watchers count from the GitHub search API (empty for a frame)"),
            "open_issues": _int("open issues count from the GitHub search API (empty for a "
                                "frame)"),
            "size_kb": _int("repository size in kilobytes from the GitHub search API (empty for "
                            "a frame)"),
            "language": _str("primary language from the GitHub search API (empty for a frame)"),
            "license": _str("SPDX id of the licence from the GitHub search API (empty for a "
                            "frame)"),
            "topics": _str("GitHub topics, ';'-separated, sorted (empty for a frame)"),
            "created_at": _dt("creation time from the GitHub search API, UTC (empty for a "
                              "frame)"),
            "pushed_at": _dt("time of the last push from the GitHub search API, UTC (empty for "
                             "a frame)"),
            "archived": _bool("archived on GitHub (empty for a frame)"),
            "fork": _bool("is a fork on GitHub (empty for a frame)"),
            "query": _str("the search queries that found the repository, ';'-separated; "
                          "'frame:<file name>' for a fixed sampling frame"),
            "discovered_at": _dt("when the GitHub API returned the repository, UTC (empty for a "
                                 "frame)"),
            "frame_evidence_strength": _str(
                "frame: evidence that the repository uses MLflow: strong = committed mlruns/, "
                "an MLproject file, or MLflow calls seen in code; medium = an mlflow_utils.py "
                "file or 'mlflow' in the name; weak = only a file named like register_model.py "
                "(../shared/corpus/README.md)"),
            "frame_evidence": _str("frame: the evidence itself (which path or search found it)"),
            "frame_kind_guess": _str("frame: project kind guessed mostly from names (course, "
                                     "tutorial, project, production, research)"),
            "frame_has_mlproject": _str("frame: whether an MLproject file was seen (yes, no, "
                                        "unknown)"),
            "frame_runnable_guess": _str("frame: runnable judged for about 40 repositories from "
                                         "one script each (yes, likely, partial, no; 'not "
                                         "assessed' elsewhere)"),
            "frame_cluster": _str("frame: name of a large family of near-identical repositories "
                                  "(course submission templates); empty when none"),
            "sample_rank": _str("sampling rank: hexadecimal SHA-256 of '<seed>:<owner/name>'; the "
                                "sample is the eligible repositories of lowest rank "
                                "(miners/sample.py)"),
            "sampled": _bool("drawn by the seeded sample"),
            "exclusion": _str("why the repository is not selected: fork, archived, empty, "
                              "'too_large (...)', clone_<status>, no_python, 'near_duplicate_of "
                              "<owner/name>'; empty when selected or simply not sampled"),
            "sha": _str(SHA + "; empty when not sampled or not cloned"),
            "commit_date": _dt("committer date of the pinned commit, ISO 8601 with the "
                               "committer's UTC offset (git %cI)"),
            "clone_status": _str("outcome of the clone: cloned, or the failure (not_found, "
                                 "timeout, too_large, error); empty when not sampled",
                                 enum=("cloned", "not_found", "timeout", "too_large", "error")),
            "clone_reason": _str("first error line git printed when the clone failed"),
            "files_missing": _int("files the miners read that the remote could not serve; empty "
                                  "unless cloned"),
            "branches": _int(BRANCHES + "; empty unless cloned"),
            "tags": _int(TAGS + "; empty unless cloned"),
            "cluster": _str("near-duplicate family id: the family member of lowest sample_rank, "
                            "owner/name, when the family has two or more members; empty "
                            "otherwise (miners/fingerprint.py)"),
            "cluster_size": _int("members of the repository's near-duplicate family (1 = no "
                                 "near-duplicate); empty when not fingerprinted (not cloned, "
                                 "empty or without Python)", minimum=1),
            "selected": _bool("sampled, cloned, not empty, has Python files, and kept for its "
                              "near-duplicate family: the repositories analysed"),
            "scanned": _bool("selected and scanned by the static miner"),
        },
    },
    "clone_status": {
        "title": "Clone status of the sampled repositories",
        "description": "One row per sampled repository: how its clone at the pinned commit went "
                       "(a shallow, blob-less fetch of the files the miners read). Written by "
                       "miners/mine.py via miners/clone_stage.py.",
        "primaryKey": ["repo"],
        "fields": {
            "repo": _str(FULL_NAME + " (note: owner/name here, not the owner__name id)"),
            "status": _str("cloned, or the failure: not_found, timeout, too_large, error",
                           enum=("cloned", "not_found", "timeout", "too_large", "error")),
            "reason": _str("first error line git printed when the clone failed; empty otherwise"),
            "sha": _str(SHA + "; empty when the clone failed"),
            "commit_date": _dt("committer date of that commit, ISO 8601 with the committer's UTC "
                               "offset (git %cI)"),
            "default_branch": _str(DEFAULT_BRANCH),
            "files_tracked": _int(FILES_TRACKED),
            "files_fetched": _int("files written to the work tree: the files the miners read "
                                  "(Python, notebooks, environment, pipeline and CI configuration, "
                                  "committed MLflow run metadata) that the remote served"),
            "files_not_read": _int("tracked entries the miners do not read, hence not fetched"),
            "files_missing": _int("files the miners read that the remote could not serve"),
            "missing_paths": _str("the first 20 of those files, ';'-separated"),
            "branches": _int(BRANCHES),
            "tags": _int(TAGS),
        },
    },
    "files": {
        "title": "Candidate files",
        "description": "One row per candidate file (.py and .ipynb) of a selected repository, "
                       "read or not, with the reason when it was not parsed. Written by "
                       "miners/scan.py (values from miners/analyze.py and miners/files.py).",
        "primaryKey": ["repo", "path"],
        "fields": {
            "repo": _str(REPO_ID),
            "path": _str(PATH),
            "kind": _str("file kind: py or ipynb", enum=("py", "ipynb")),
            "status": _str("parsed; parse_error (not valid Python 3, or a notebook that cannot "
                           "be read); skipped (virtual environment, vendored or build folder, "
                           "symlink, over the size cap); unreadable (absent from the clone, "
                           "undecodable or binary, symlink loop)",
                           enum=("parsed", "parse_error", "skipped", "unreadable")),
            "reason": _str("why the file was skipped, unreadable or not parsed; for parsed files, "
                           "notes such as blanked notebook cells; empty otherwise"),
            "lines": _int("lines of source: of the decoded text for .py, of the code cells' "
                          "sources for .ipynb; 0 when undecodable; empty when not read"),
            "bytes": _int("size of the file in bytes (as read; for a file over the size cap, its "
                          "size); empty when not read"),
            "code_cells": _int("number of code cells of a notebook; empty for .py and for files "
                               "not read"),
            "parser": _str("ast = no detector trigger text and Python's ast accepted it (cannot "
                           "hold a call site); libcst = parsed with libcst and every detector "
                           "run; empty when not parsed", enum=("ast", "libcst")),
            "sha256": _str("SHA-256 of the file's bytes; empty when not read"),
            "frameworks": _str("random frameworks the file uses (random, numpy, torch, "
                               "tensorflow, jax, sklearn; see the codebook, seed), ';'-separated"),
        },
    },
    "call_sites": {
        "title": "Detected call sites",
        "description": "One row per detected site of a selected repository: an MLflow tracking "
                       "call, a seed setting, or a model-registry use. The operational definitions "
                       "are study/codebook.md (miners/detectors/). Written by miners/scan.py.",
        "fields": {
            "repo": _str(REPO_ID),
            "path": _str(PATH),
            "cell": _int("0-based index of the notebook cell in the notebook's cell list "
                         "(markdown cells counted); empty for .py"),
            "line": _int("1-based line of the call, assignment target or string, in the file "
                         "(in the cell for notebooks)", minimum=1),
            "col": _int("0-based column of the call, assignment target or string, in characters"),
            "category": _str("tracking (MLflow experiment tracking), seed (code fixing a source "
                             "of randomness), registry (MLflow Model Registry)",
                             enum=("tracking", "seed", "registry")),
            "api": _str("fully qualified name the call resolves to through the file's imports "
                        "(e.g. mlflow.log_param, numpy.random.seed); 'models:/' for a bare model "
                        "URI string; os.environ[NAME] for a seed environment variable"),
            "detail": _str("';'-separated key=value pairs: tracking: kind, flavor, key/keys; "
                           "seed: framework, covers, keyword, value (literal, or expr:<code>); "
                           "registry: kind, name, stage, alias, uri_kind"),
        },
    },
    "repo_features": {
        "title": "Repository features: tracking, registry and seeding",
        "description": "One row per selected repository: counts of its files and call sites and "
                       "the features derived from them (definitions: study/codebook.md, "
                       "'Repository features'). Written by miners/scan.py (miners/features.py).",
        "primaryKey": ["repo"],
        "fields": {
            "repo": _str(REPO_ID),
            "full_name": _str(FULL_NAME),
            "files_py": _int("candidate .py files (files.csv rows of kind py)"),
            "files_ipynb": _int("candidate .ipynb files"),
            "files_parsed": _int("candidate files with status parsed"),
            "files_parse_error": _int("candidate files with status parse_error"),
            "files_unreadable": _int("candidate files with status unreadable"),
            "files_skipped": _int("candidate files with status skipped"),
            "lines_parsed": _int("lines of the parsed files (files.csv lines)"),
            "tracking_sites": _int("call_sites.csv rows of category tracking"),
            "seed_sites": _int("call_sites.csv rows of category seed"),
            "registry_sites": _int("call_sites.csv rows of category registry"),
            "uses_mlflow": _bool("at least one tracking or registry row"),
            "logs_params": _bool("an explicit log_param(s) call (log_batch counts)"),
            "logs_metrics": _bool("an explicit log_metric(s) call (log_batch counts)"),
            "logs_artifacts": _bool("an explicit artifact-logging call (log_artifact(s), "
                                    "log_dict, log_figure, log_image, log_table, log_text)"),
            "logs_models": _bool("an explicit log_model or save_model call"),
            "logs_tags": _bool("an explicit tag-setting call"),
            "logs_datasets": _bool("an explicit log_input(s) call"),
            "uses_autolog": _bool("any autolog call"),
            "autolog_flavors": _str("autolog flavors called, ';'-separated (generic = "
                                    "mlflow.autolog)"),
            "uses_client": _bool("constructs an MlflowClient"),
            "uses_registry": _bool("at least one registry row"),
            "registers_models": _bool("register_model, create_model_version or "
                                      "log_model(registered_model_name=...)"),
            "uses_stages": _bool("a stage transition, a stage look-up or a models:/name/<stage> "
                                 "URI"),
            "uses_aliases": _bool("an alias method or a models:/name@alias URI"),
            "registered_model_names": _str("literal registered model names, ';'-separated"),
            "sets_seed": _bool("at least one seed row"),
            "frameworks_used": _str("frameworks the files use for randomness, ';'-separated"),
            "frameworks_seeded": _str("frameworks a seed row fixes (its framework and covers), "
                                      "';'-separated; 'unresolved' when the package of a "
                                      "random_state= call could not be resolved"),
            "seed_coverage": _str("complete = every used framework among random, numpy, torch, "
                                  "tensorflow, jax, sklearn is seeded; partial = some are; none "
                                  "= none is; no_random_framework = none is used",
                                  enum=SEED_COVERAGE),
            "seed_logged_as_param": _bool("a logged param key (log_param, or a log_params dict "
                                          "literal) contains 'seed' or 'random_state'"),
            "mlflow_files_py": _int(".py files with at least one tracking or registry row"),
            "mlflow_files_ipynb": _int(".ipynb files with at least one tracking or registry row"),
            "notebook_share": _num("share of the files with tracking or registry rows that are "
                                   "notebooks, 0-1 (4 decimals); empty when there are none",
                                   minimum=0, maximum=1),
        },
    },
    "repo_practices": {
        "title": "Repository practices: versioning, environment, delivery, traceability",
        "description": "One row per selected repository: how it versions data, models and "
                       "environments, its refs, CI, serving and monitoring, and the derived "
                       "traceability score and maturity level (definitions: study/codebook.md, "
                       "'Repository practices'). Written by miners/mine.py (miners/practices.py).",
        "primaryKey": ["repo"],
        "fields": {
            "repo": _str(REPO_ID),
            "full_name": _str(FULL_NAME),
            "default_branch": _str(DEFAULT_BRANCH),
            "files_tracked": _int("files tracked by git at the pinned commit"),
            "dvc_dir": _bool("a .dvc/ folder is committed"),
            "dvc_files": _int("committed *.dvc files"),
            "dvc_pipeline": _bool("a dvc.yaml is committed"),
            "dvc_lock": _bool("a dvc.lock is committed"),
            "dvc_api_files": _int(".py/.ipynb files whose text mentions dvc.api"),
            "lfs_patterns": _str("patterns of .gitattributes lines with filter=lfs, ';'-separated"),
            "mlflow_datasets": _bool("logs datasets with MLflow (log_input / mlflow.data)"),
            "data_files": _int("committed files with a data extension (.csv, .parquet, .npy, "
                               "...; outside mlruns/)"),
            "data_bytes": _int("total size of those files in bytes, where the size is known"),
            "data_extensions": _str("their extensions with counts, 'ext:count', ';'-separated"),
            "model_files": _int("committed files with a model extension (.pkl, .joblib, .h5, .pt, "
                                ".onnx, ...; outside mlruns/)"),
            "model_bytes": _int("total size of those files in bytes, where the size is known"),
            "model_extensions": _str("their extensions with counts, 'ext:count', ';'-separated"),
            "mlruns_dirs": _int("committed mlruns/ or mlartifacts/ folders"),
            "mlruns_experiments": _int("experiments in them (<experiment>/meta.yaml)"),
            "mlruns_runs": _int("runs in them (<experiment>/<run>/meta.yaml)"),
            "mlruns_params": _int("param files in those runs (params/<key>)"),
            "mlruns_metrics": _int("metric files in those runs (metrics/<key>)"),
            "mlruns_status": _str("ok, or up to 5 reasons the committed folders do not follow "
                                  "MLflow's file-store layout; empty when there is none"),
            "env_files": _str("files that declare the environment (requirements*.txt, conda/"
                              "environment YAML, python_env.yaml, pyproject.toml, setup.cfg, "
                              "setup.py, Pipfile), ';'-separated"),
            "mlproject": _bool("an MLproject file is committed (any folder)"),
            "mlproject_entry_points": _int("entry points over all MLproject files"),
            "mlproject_parameters": _int("entry-point parameters over all MLproject files"),
            "mlproject_env": _str("environment kind an MLproject declares; empty when none",
                                  enum=("python_env", "conda_env", "docker_env")),
            "deps_declared": _int("distinct package names declared (python, pip, setuptools, "
                                  "wheel left out)"),
            "deps_pinned": _int("of them, pinned to exactly one version"),
            "pinned_share": _num("deps_pinned / deps_declared, 0-1 (4 decimals); empty when "
                                 "nothing is declared", minimum=0, maximum=1),
            "mlflow_pin": _str("how mlflow (or mlflow-skinny) is declared: exact, range, unpinned "
                               "or absent", enum=("exact", "range", "unpinned", "absent")),
            "mlflow_spec": _str("the version specifier of mlflow as declared"),
            "lock_files": _str("lock files (poetry.lock, uv.lock, pipfile.lock, conda-lock.yml, "
                               "requirements.lock), lower-case names, ';'-separated"),
            "dockerfile": _bool("a file whose name starts with 'dockerfile' (any case)"),
            "env_errors": _str("environment files that did not parse, with the reason, "
                               "'; '-separated (at most 500 characters)"),
            "branches": _int(BRANCHES),
            "tags": _int(TAGS),
            "semver_tags": _int("tags that look like versions (v1.2.3, 1.2, v2)"),
            "branch_families": _str("branch name prefixes before the first '/', with counts, "
                                    "'family:count', ';'-separated"),
            "registered_model_names": _str("literal registered model names, ';'-separated"),
            "versioned_model_names": _int("of them, names carrying a version (v2, 1.2.0, _v3)"),
            "uses_stages": _bool("uses registry stages (repo_features.csv)"),
            "uses_aliases": _bool("uses registry aliases (repo_features.csv)"),
            "ci_systems": _str("CI systems configured (github_actions, gitlab, jenkins, circleci, "
                               "azure, travis), ';'-separated"),
            "ci_runs_tests": _bool("CI configuration runs tests (pytest, unittest, tox, nox, make "
                                   "test)"),
            "ci_runs_training": _bool("CI configuration mentions training (train, mlflow run, dvc "
                                      "repro)"),
            "ci_uses_mlflow": _bool("CI configuration mentions mlflow"),
            "ci_scheduled": _bool("CI configuration has a schedule trigger and mentions training"),
            "tests_present": _bool("test files are committed (test_*.py, *_test.py or a tests/ "
                                   "folder)"),
            "serving": _bool("model serving: 'mlflow models serve' in a config or script, or a "
                             "FastAPI/Flask module that loads a model"),
            "monitoring": _str("monitoring libraries imported (evidently, whylogs, alibi_detect, "
                               "nannyml), ';'-separated"),
            "traceability": _int("traceability score, one point each for code, data, "
                                 "hyperparameters, metrics, model, environment, randomness (0-7)",
                                 maximum=7),
            "traceability_points": _str("the points scored, ';'-separated, in that order"),
            "maturity": _int("MLOps maturity level (0-4, cumulative): 1 CI; 2 and MLflow tracking "
                             "of params or metrics with a reproducible training entry; 3 and "
                             "registered models with a deployment path; 4 and monitoring or "
                             "scheduled retraining", maximum=4),
        },
    },
    # Rerun experiment: python -m miners rerun (make rerun).
    "rerun_sample": {
        "title": "Rerun sample",
        "description": "One row per repository picked for the rerun experiment: a seeded "
                       "stratified sample of the scanned repositories that use MLflow and log "
                       "metrics or use autolog, plus any named explicitly. Written by "
                       "miners/rerun/publish.py.",
        "primaryKey": ["repo"],
        "fields": {
            "repo": _str(REPO_ID),
            "full_name": _str(FULL_NAME),
            "commit": _str("the pinned commit of the checkout that is re-executed (corpus.csv "
                           "sha)"),
            "stratum": _str("sampling stratum: seed|noseed (static seed setting) / "
                            "script|notebook (notebook when MLflow appears only in notebooks); "
                            "empty for explicit picks"),
            "rank": _str("sampling rank: hexadecimal SHA-256 of '<seed>:<owner/name>' (miners.sample.rank), "
                         "the order of the stratified draw"),
            "picked_by": _str("sample (the seeded draw) or explicit (named with --repos, or a "
                              "local project folder)", enum=("sample", "explicit")),
        },
    },
    "reruns": {
        "title": "Reruns: one row per run",
        "description": "One row per run of a sampled project: k runs per condition, each in a "
                       "fresh copy of the checkout, sandboxed without network, with its own "
                       "MLflow store. Written by miners/rerun/publish.py.",
        "primaryKey": ["repo", "condition", "run"],
        "fields": {
            "repo": _str(REPO_ID),
            "full_name": _str(FULL_NAME),
            "commit": _str("the pinned commit that was run"),
            "condition": CONDITION,
            "run": RUN,
            "attempted": _bool("the run was executed; false when it was recorded without running "
                               "(no entry point, no environment, or run 1 ended in a failure "
                               "that repeats)"),
            "status": _str("outcome, first match wins (miners/rerun/harness.py): entry_not_found, "
                           "install_failed, timeout, ok (exit 0 and at least one metric), no_metrics "
                           "(exit 0, no metric), crashed_after_metrics (failed after logging metrics, "
                           "which are kept), network_blocked, missing_module (a package the "
                           "environment lacks), import_path (the project's own module or a relative "
                           "import), version_conflict (cannot import a name from an installed "
                           "package, binary incompatibility), import_error (other ImportError), "
                           "lfs_pointer (the run opened a Git LFS pointer file, then failed), data_missing, "
                           "crashed; tables published before harness v2 have import_error for the "
                           "three import classes", enum=RUN_STATUS),
            "reason": _str("why the run has this status (at most 500 characters)"),
            "exception": _str("class of the uncaught exception, or the signal that killed the "
                              "run; empty when none"),
            "exit_code": _int("exit code of the run's process (negative: killed by that signal); "
                              "empty when not executed", minimum=None),
            "seconds": _num("wall-clock duration of the run, seconds", minimum=0),
            "entry_kind": _str("kind of recipe executed: mlproject (an MLproject entry with mlflow "
                               "run semantics), script, notebook, or where the command was "
                               "documented (readme, ci, makefile, dvc, docker); none", enum=ENTRY_KIND),
            "entry": _str("what was executed: the recipe's command line (steps joined by &&)"),
            "entry_reason": _str("why this recipe was chosen (miners/rerun/recipes/ ranking)"),
            "recipe_source": _str("file:line (or file:entry) where the recipe's command was found. "
                                  + OPTIONAL),
            "interventions": _str("everything the harness did beyond running the project as "
                                  "committed: the recipe and the probes before it, repairs, path "
                                  "mappings, mlflow run semantics, tracking redirects, the "
                                  "environment's substitutions and relaxations; '; '-separated. "
                                  + OPTIONAL),
            "env_mode": _str("as_of_commit or latest: the date the packages were resolved as of. "
                             + OPTIONAL, enum=("as_of_commit", "latest", "")),
            "resolution_date": _str("the --exclude-newer date of the install (UTC); empty when "
                                    "not capped. " + OPTIONAL),
            "lfs_pointers": _int("tracked files that are Git LFS pointers. " + OPTIONAL),
            "path_mappings": _int("absolute paths mapped onto committed files (miners/rerun/"
                                  "checkout.py). " + OPTIONAL),
            "cwd": _str("working directory of the first step: before harness v2 root or entry_dir; "
                        "since, the folder relative to the repository root ('.' = root)"),
            "cwd_reason": _str("why that working directory"),
            "env_source": _str("where the environment's requirements came from",
                               enum=ENV_SOURCE),
            "env_status": _str("outcome of building the environment: installed (as declared), "
                               "installed_relaxed (the failing constraints relaxed), installed_imports (the "
                               "imports of the files run, when the declared requirements did not install), "
                               "install_failed", enum=ENV_STATUS),
            "env_seconds": _num("wall-clock time to build the environment, seconds", minimum=0),
            "python": _str("Python version of the environment"),
            "python_required": _str("Python version the project declares; empty when none"),
            "env_fingerprint": _str("first 16 hex digits of the SHA-256 of the Python version and "
                                    "the installed packages (pip freeze)"),
            "files_missing": _int("tracked files of the repository the remote could not serve "
                                  "(blobs absent from a mirror), so the runs lacked them"),
            "tracking_redirect": _str("tracking URIs the code asked for that were redirected to "
                                      "the run's local store, '; '-separated; empty when none"),
            "network_attempts": _int("connections or name look-ups to non-loopback hosts the "
                                     "code attempted (all blocked)"),
            "mlflow_runs": _int("MLflow runs found in the run's store"),
            "metrics_logged": _int("metric keys logged"),
            "params_logged": _int("param keys logged"),
            "threads": _int("thread count set for the numeric libraries (OMP_NUM_THREADS etc.)"),
            "memory_mb": _int("address-space limit of the run, MiB"),
            "timeout_s": _num("wall-clock limit of the run, seconds", minimum=0),
            "sandbox": _str("sandbox used: bwrap (bubblewrap), unshare, or none",
                            enum=("bwrap", "unshare", "none")),
            "stderr_tail": _str("the end of the run's standard error, whitespace collapsed (at "
                                "most 600 characters)"),
        },
    },
    "rerun_metrics": {
        "title": "Rerun metrics",
        "description": "One row per metric value a run logged, per step. A metric's key is its "
                       "MLflow key when the run's store holds one MLflow run, else "
                       "'run<i>/<key>' (i = 1-based ordinal by start time). Written by "
                       "miners/rerun/publish.py (values read by miners/rerun/capture.py).",
        "primaryKey": ["repo", "condition", "run", "key", "step"],
        "fields": {
            "repo": _str(REPO_ID),
            "condition": CONDITION,
            "run": RUN,
            "key": _str("metric key as logged ('run<i>/<key>' when the store holds several "
                        "MLflow runs)"),
            "step": _int("MLflow step of the value", minimum=None),
            "value": _num("the last value logged at that step, in the metric's own unit"),
            "is_last": _bool("the value at the key's largest step (the one variance.csv "
                             "compares)"),
        },
    },
    "rerun_params": {
        "title": "Rerun params",
        "description": "One row per param a run logged (same key convention as "
                       "rerun_metrics.csv). Written by miners/rerun/publish.py.",
        "primaryKey": ["repo", "condition", "run", "key"],
        "fields": {
            "repo": _str(REPO_ID),
            "condition": CONDITION,
            "run": RUN,
            "key": _str("param key as logged ('run<i>/<key>' when the store holds several MLflow "
                        "runs)"),
            "value": _str("param value as logged (MLflow params are strings)"),
        },
    },
    "variance": {
        "title": "Run-to-run variance per metric",
        "description": "One row per (repository, condition, metric key) over the ok runs, using "
                       "each run's value at the key's largest step; statistics in the metric's "
                       "own unit. Written by miners/rerun/publish.py (miners/rerun/variance.py).",
        "primaryKey": ["repo", "condition", "key"],
        "fields": {
            "repo": _str(REPO_ID),
            "condition": CONDITION,
            "key": _str("metric key, as in rerun_metrics.csv"),
            "timing": _bool("the key names a duration, time, memory or throughput: reported but "
                            "left out of the verdict"),
            "runs_ok": _int("runs of the (repository, condition) with status ok"),
            "runs_with_key": _int("of them, runs that logged the key"),
            "mean": _num("mean of the values"),
            "std": _num("sample standard deviation of the values (ddof=1; 0 for one value)"),
            "min": _num("smallest value"),
            "max": _num("largest value"),
            "range": _num("max - min"),
            "rel_range": _num("range / |mean| (0 when range is 0; empty when mean is 0 and range "
                              "is not)"),
            "cv": _num("coefficient of variation, std / |mean| (same convention)"),
            "identical": _bool("every ok run logged the key, at least two did, and all values "
                               "are bitwise identical (IEEE-754)"),
            "within_1e-9": _bool("every ok run logged the key, at least two did, and every value "
                                 "equals the first within relative tolerance 1e-9"),
            "within_1e-6": _bool("same within relative tolerance 1e-6"),
            "original_value": _num("value of the same key in the latest run of the repository's "
                                   "committed mlruns/; empty when none"),
            "diff_to_original": _num("mean - original_value"),
            "rel_diff_to_original": _num("diff_to_original / |original_value|"),
        },
    },
    "rerun_repos": {
        "title": "Rerun verdict per repository and condition",
        "description": "One row per (repository, condition): how many runs were ok and whether "
                       "the metrics came back the same. Written by miners/rerun/publish.py "
                       "(miners/rerun/variance.py).",
        "primaryKey": ["repo", "condition"],
        "fields": {
            "repo": _str(REPO_ID),
            "full_name": _str(FULL_NAME),
            "condition": CONDITION,
            "runs_planned": _int("runs recorded for the (repository, condition)"),
            "runs_ok": _int("of them, runs with status ok"),
            "metrics_compared": _int("non-timing metric keys logged by at least two ok runs (the "
                                     "judged keys)"),
            "verdict": _str("identical = every judged key bitwise identical; within_tolerance = "
                            "every judged key within relative 1e-6; varying = otherwise; "
                            "not_judged = fewer than two ok runs or no judged key",
                            enum=("identical", "within_tolerance", "varying", "not_judged")),
            "why": _str("why not judged, or remarks on a varying verdict; empty otherwise"),
            "max_rel_range": _num("largest rel_range over the judged keys; empty when one is "
                                  "undefined"),
            "median_rel_range": _num("median rel_range over the judged keys"),
            "sets_seed": _bool("the repository sets a seed (repo_features.csv)"),
            "seed_coverage": _str("seed coverage (repo_features.csv)", enum=SEED_COVERAGE),
            "entry_kind": _str("kind of entry point executed", enum=ENTRY_KIND),
            "originals_compared": _int("metric values compared with the committed run of the same "
                                       "parameters (rerun_originals.csv). " + OPTIONAL),
            "original_agreement": _str("the weakest agreement among them; empty when none. "
                                       + OPTIONAL, enum=(*AGREEMENT, "")),
        },
    },
    "rerun_originals": {
        "title": "Reruns against the runs their authors committed",
        "description": "One row per (run, MLflow run, metric) of a rerun whose parameters equal "
                       "those of a run in the repository's committed mlruns/ (the latest such "
                       "run): the original final value, the rerun's, and their agreement. "
                       "Written by miners/rerun/publish.py (miners/rerun/variance.py).",
        "primaryKey": ["repo", "condition", "run", "mlflow_run", "key"],
        "fields": {
            "repo": _str(REPO_ID),
            "condition": CONDITION,
            "run": RUN,
            "mlflow_run": _str("the rerun's MLflow run: empty when the run's store held one, else "
                               "run<i> (1-based by start time)"),
            "original_run_id": _str("the committed run's MLflow run id"),
            "key": _str("metric key"),
            "original_value": _num("final value in the committed run"),
            "rerun_value": _num("final value in the rerun"),
            "diff": _num("rerun_value - original_value"),
            "rel_diff": _num("diff / |original_value|; empty when the original is 0 and diff is not"),
            "agreement": _str("identical (same IEEE-754 bits), within_1e-6 or within_1pct "
                              "(relative to the original), different", enum=AGREEMENT),
        },
    },
    "rerun_recipes": {
        "title": "Run recipes per rerun project",
        "description": "One row per candidate recipe of a project, in rank order: tried on the "
                       "first run (status of that probe), not_tried, or skipped (a command found "
                       "but not usable, with why). chosen marks the recipe every run used. "
                       "Written by miners/rerun/publish.py (miners/rerun/recipes/).",
        "primaryKey": ["repo", "rank"],
        "fields": {
            "repo": _str(REPO_ID),
            "rank": _int("position in the ranking, 1 = best; skipped commands follow", minimum=1),
            "source": _str("where the recipe comes from: MLproject, a README or docs file, a CI "
                           "workflow, Makefile, dvc.yaml, Dockerfile, script, notebook"),
            "where": _str("file:line of the command"),
            "recipe": _str("the command line (steps joined by &&)"),
            "status": _str("status of the probe run, not_tried, or skipped"),
            "reason": _str("why it ranks there, why the probe failed, or why it was skipped"),
            "chosen": _bool("the recipe every run of the project used"),
        },
    },
    "rerun_environments": {
        "title": "Rerun environments",
        "description": "One row per rerun project whose environment was built: where its "
                       "requirements came from and how the install went. Written by "
                       "miners/rerun.py (miners/projenv.py); the resolved versions of each are "
                       "in rerun_locks/<repo>.txt.",
        "primaryKey": ["repo", "environment"],
        "fields": {
            "repo": _str(REPO_ID),
            "environment": _str("which environment of the project: <as_of_commit|latest>-<digest of "
                                "the recipe's MLproject and files>. " + OPTIONAL),
            "python_source": _str("the file that declares the Python version. " + OPTIONAL),
            "mode": _str("as_of_commit or latest. " + OPTIONAL, enum=("as_of_commit", "latest", "")),
            "resolution_date": _str("the --exclude-newer date of the install (UTC). " + OPTIONAL),
            "interventions": _str("what the build did beyond the declared environment (Python "
                                  "substituted, packages added, dropped or relaxed, numpy<2), "
                                  "'; '-separated. " + OPTIONAL),
            "env_source": _str("first source found (miners/rerun/environment.py): lock (uv.lock, "
                               "poetry.lock, Pipfile.lock), pinned (exactly pinned requirements), "
                               "mlruns_model (the environment MLflow saved with a committed model), "
                               "python_env (MLproject), conda_env, requirements (requirements*.txt), "
                               "pyproject (pyproject.toml or setup.py), inferred (from the imports), "
                               "given (an existing environment passed with --python-env)", enum=ENV_SOURCE),
            "env_status": _str("installed (as declared), installed_relaxed (the failing version "
                               "constraints relaxed; before harness v2 all of them), installed_imports "
                               "(the imports of the files run, when the declared requirements did not "
                               "install), install_failed", enum=ENV_STATUS),
            "reason": _str("why the install failed or was relaxed; empty otherwise"),
            "failed_requirement": _str("the requirement the installer named as failing"),
            "python_required": _str("Python version the project declares; empty when none"),
            "python": _str("Python version of the environment"),
            "seconds": _num("wall-clock time to build the environment, seconds", minimum=0),
            "packages": _int("packages installed (lines of pip freeze)"),
            "requirements": _str("the requirements installed, '; '-separated"),
            "dropped": _str("declared lines that are not PyPI requirements (editable, VCS, local "
                            "paths, conda-only packages), '; '-separated"),
            "added": _str("requirements the harness added (mlflow; ipykernel, nbclient, nbformat "
                          "for notebooks), '; '-separated"),
            "fingerprint": _str("first 16 hex digits of the SHA-256 of the Python version and "
                                "the installed packages (pip freeze)"),
        },
    },
    "rerun_funnel": {
        "title": "Rerun funnel",
        "description": "Per condition, one row per stage: sampled, entry found, installed, ran "
                       "(a run exited 0; since harness v2 also a run that logged metrics), logged "
                       "metrics (a run ok; since v2 also crashed_after_metrics), judged (two such "
                       "runs with a common metric), reproduced (identical or within tolerance). Written by "
                       "miners/rerun/publish.py.",
        "primaryKey": ["condition", "step"],
        "fields": _funnel_fields(condition=CONDITION),
    },
}
RESOURCE_ORDER = tuple(RESOURCES)
# Declared relations, checked by validation when both resources are present.
FOREIGN_KEYS: dict[str, list[tuple[list[str], str, list[str]]]] = {
    "clone_status": [(["repo"], "corpus", ["full_name"])],
    "repo_features": [(["full_name"], "corpus", ["full_name"])],
    "repo_practices": [(["repo"], "repo_features", ["repo"])],
    "files": [(["repo"], "repo_features", ["repo"])],
    "call_sites": [(["repo", "path"], "files", ["repo", "path"])],
    "reruns": [(["repo"], "rerun_sample", ["repo"])],
    "rerun_metrics": [(["repo", "condition", "run"], "reruns", ["repo", "condition", "run"])],
    "rerun_params": [(["repo", "condition", "run"], "reruns", ["repo", "condition", "run"])],
    "variance": [(["repo", "condition"], "rerun_repos", ["repo", "condition"])],
    "rerun_repos": [(["repo"], "rerun_sample", ["repo"])],
    "rerun_environments": [(["repo"], "rerun_sample", ["repo"])],
    "rerun_originals": [(["repo", "condition", "run"], "reruns", ["repo", "condition", "run"])],
    "rerun_recipes": [(["repo"], "rerun_sample", ["repo"])],
}

_INT = re.compile(r"[+-]?\d+")
_NUM = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?|[+-]?(inf|nan)", re.IGNORECASE)
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?")


def infer_type(values: list[str]) -> str:
    """The narrowest type of a column's non-empty values: boolean (only ``true``/``false``),
    integer, number, date, datetime (ISO 8601), else string; string when all are empty."""
    present = [v for v in values if v != ""]
    if not present:
        return "string"
    for kind, test in (("boolean", lambda v: v in (TRUE, FALSE)),
                       ("integer", _INT.fullmatch), ("number", _NUM.fullmatch),
                       ("date", _DATE.fullmatch), ("datetime", _DATETIME.fullmatch)):
        if all(test(v) for v in present):
            return kind
    return "string"


def project_version(root: Path = ROOT) -> str:
    """``[project] version`` of pyproject.toml (the installed distribution's, failing that)."""
    try:
        return str(tomllib.loads((root / "pyproject.toml").read_text())["project"]["version"])
    except (OSError, KeyError, tomllib.TOMLDecodeError):
        from importlib.metadata import version

        return version("mlflow-mining")


def table_docs(modules: tuple[str, ...] = TABLE_MODULES) -> dict[str, dict[str, Any]]:
    """``TABLE_DOCS`` of the analysis modules that exist, merged (a module that is not written
    yet is skipped; any other import error is raised)."""
    docs: dict[str, dict[str, Any]] = {}
    owner: dict[str, str] = {}
    for name in modules:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name is not None and (exc.name == name or name.startswith(exc.name + ".")):
                continue
            raise
        for stem, doc in (getattr(module, "TABLE_DOCS", None) or {}).items():
            if stem in docs:
                raise DatapackageError(f"table {stem!r} is documented twice: in {owner[stem]} and "
                                       f"{name} (TABLE_DOCS)")
            docs[stem], owner[stem] = doc, name
    return docs


def _table_col(stem: str, col: str, doc: Any, values: list[str]) -> Col:
    where = f"TABLE_DOCS[{stem!r}]['fields'][{col!r}]"
    if isinstance(doc, str):
        description, kind = doc, None
    elif isinstance(doc, dict):
        description, kind = doc.get("description"), doc.get("type")
    else:
        raise DatapackageError(f"{where} must be a description or a dict with 'description'")
    if not isinstance(description, str) or not description.strip():
        raise DatapackageError(f"{where} has an empty description")
    if kind is not None and kind not in TYPES:
        raise DatapackageError(f"{where} has type {kind!r}; choose one of {', '.join(TYPES)}")
    if kind is None:
        kind = infer_type(values) if any(v != "" for v in values) else ""  # settled by build()
    return Col(kind, description.strip())


def _settle_empty_columns(resources: list[dict[str, Any]]) -> None:
    """A table column without any value takes the type its name has in the other tables when
    they agree (e.g. ``dof`` of a table of tests), else string."""
    known: dict[str, set[str]] = {}
    for r in resources:
        for f in r["schema"]["fields"]:
            if f["type"] and r["name"].startswith(f"{TABLES_DIR}/"):
                known.setdefault(f["name"], set()).add(f["type"])
    for r in resources:
        for f in r["schema"]["fields"]:
            if not f["type"]:
                types = known.get(f["name"], set())
                f["type"] = next(iter(types)) if len(types) == 1 else "string"
                if f["type"] == "boolean":
                    f["trueValues"], f["falseValues"] = [TRUE], [FALSE]


def _header(path: Path) -> list[str]:
    with open(path, newline="", encoding="utf-8") as fh:
        header = next(csv.reader(fh), None)
    if not header:
        raise DatapackageError(f"{path}: empty file, no header row")
    dupes = sorted({c for c in header if header.count(c) > 1})
    if dupes:
        raise DatapackageError(f"{path}: duplicate column(s) {', '.join(dupes)}")
    return header


def _columns(path: Path) -> dict[str, list[str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        rows = list(reader)
    return {c: [r[i] if i < len(r) else "" for r in rows] for i, c in enumerate(header)}


def _field(name: str, col: Col) -> dict[str, Any]:
    out: dict[str, Any] = {"name": name, "type": col.type, "description": col.description}
    if col.type == "boolean":
        out["trueValues"], out["falseValues"] = [TRUE], [FALSE]
    constraints: dict[str, Any] = {}
    if col.enum:
        constraints["enum"] = list(col.enum)
    if col.minimum is not None:
        constraints["minimum"] = col.minimum
    if col.maximum is not None:
        constraints["maximum"] = col.maximum
    if constraints:
        out["constraints"] = constraints
    return out


def csv_files(results: Path) -> list[Path]:
    """Every CSV under ``results`` (hidden files and folders left out), as relative paths."""
    out = []
    for p in sorted(Path(results).rglob("*.csv")):
        rel = p.relative_to(results)
        if not any(part.startswith(".") for part in rel.parts):
            out.append(rel)
    return out


def _resource_name(rel: Path) -> str:
    if rel.parent == Path("."):
        return rel.stem
    name = "/".join(rel.with_suffix("").parts)
    if not re.fullmatch(r"[-a-z0-9._/]+", name):
        raise DatapackageError(f"{rel}: a table's file name must be lower case letters, digits, "
                               "'-', '_' or '.' (it becomes the resource name)")
    return name


def _resource(results: Path, rel: Path, docs: dict[str, dict[str, Any]],
              modules: tuple[str, ...]) -> dict[str, Any]:
    path = results / rel
    header = _header(path)
    name = _resource_name(rel)
    if rel.parent == Path("."):
        spec = RESOURCES.get(rel.stem)
        if spec is None:
            raise DatapackageError(f"{path}: no description: add {rel.stem!r} to RESOURCES in "
                                   "analysis/datapackage.py")
        fields = spec["fields"]
        undocumented = [c for c in header if c not in fields]
        if undocumented:
            raise DatapackageError(f"{path}: column(s) {', '.join(undocumented)} have no "
                                   f"description: add them to RESOURCES[{rel.stem!r}] in "
                                   "analysis/datapackage.py")
        cols = {c: fields[c] for c in header}
        title, description = spec["title"], spec["description"]
        primary = [c for c in spec.get("primaryKey") or () if c in header]  # optional key columns
    elif rel.parent == Path(TABLES_DIR):
        doc = docs.get(rel.stem)
        if not isinstance(doc, dict) or not str(doc.get("description") or "").strip():
            raise DatapackageError(f"{path}: no description: add {rel.stem!r} with a "
                                   "'description' to TABLE_DOCS of the module that writes it "
                                   f"(one of {', '.join(modules)})")
        fields = doc.get("fields") or {}
        undocumented = [c for c in header if c not in fields]
        if undocumented:
            raise DatapackageError(f"{path}: column(s) {', '.join(undocumented)} have no "
                                   f"description: add them to TABLE_DOCS[{rel.stem!r}]['fields']")
        values = _columns(path) if any(not isinstance(fields[c], dict) or "type" not in fields[c]
                                       for c in header) else {}
        cols = {c: _table_col(rel.stem, c, fields[c], values.get(c, [])) for c in header}
        title, description = str(doc.get("title") or rel.stem), str(doc["description"]).strip()
        primary = doc.get("primaryKey")
    else:
        raise DatapackageError(f"{path}: no description: CSVs belong in {results} or "
                               f"{results / TABLES_DIR}")
    data = path.read_bytes()
    schema: dict[str, Any] = {"fields": [_field(c, col) for c, col in cols.items()],
                              "missingValues": [""]}
    if primary:
        schema["primaryKey"] = list(primary)
    return {"name": name, "path": rel.as_posix(), "profile": "tabular-data-resource",
            "title": title, "description": description, "format": "csv",
            "mediatype": "text/csv", "encoding": "utf-8", "bytes": len(data),
            "hash": f"sha256:{hashlib.sha256(data).hexdigest()}", "dialect": dict(DIALECT),
            "schema": schema}


def _provenance(results: Path) -> dict[str, Any]:
    path = results / "provenance.json"
    if not path.exists():
        return {}
    try:
        info = json.loads(path.read_text())
    except ValueError as exc:
        raise DatapackageError(f"{path}: not valid JSON ({exc})") from None
    return {k: info[k] for k in PROVENANCE_KEYS if k in info}


def build(results: Path, table_modules: tuple[str, ...] = TABLE_MODULES) -> dict[str, Any]:
    """The package descriptor of ``results`` (raises :class:`DatapackageError`);
    ``table_modules`` are the modules whose ``TABLE_DOCS`` document ``results/tables/``."""
    results = Path(results)
    if not results.is_dir():
        raise DatapackageError(f"results folder not found: {results}")
    files = csv_files(results)
    docs = table_docs(table_modules) if any(f.parent == Path(TABLES_DIR) for f in files) else {}
    order = {name: i for i, name in enumerate(RESOURCE_ORDER)}
    files.sort(key=lambda f: (f.parent != Path("."), order.get(f.stem, len(order)), f.as_posix()))
    resources = [_resource(results, f, docs, table_modules) for f in files]
    _settle_empty_columns(resources)
    present = {r["name"] for r in resources}
    for r in resources:
        keys = [{"fields": local, "reference": {"resource": target, "fields": remote}}
                for local, target, remote in FOREIGN_KEYS.get(r["name"], []) if target in present]
        if keys:
            r["schema"]["foreignKeys"] = keys
    prov = _provenance(results)
    package: dict[str, Any] = {
        "profile": "tabular-data-package",
        "name": "mlflow-mining-results",
        "title": TITLE,
        "description": DESCRIPTION,
        "version": project_version(),
    }
    if prov.get("mined_at"):
        package["created"] = prov["mined_at"]
    package.update(keywords=KEYWORDS, licenses=LICENSES, contributors=CONTRIBUTORS)
    if prov.get("frame"):
        digest = f", SHA-256 {prov['frame_sha256']}" if prov.get("frame_sha256") else ""
        package["sources"] = [{"title": f"Sampling frame {prov['frame']} (path relative to the "
                                        f"pipeline's repository{digest})"}]
    if prov:
        package["provenance"] = prov
    package["resources"] = resources
    return package


def render(package: dict[str, Any]) -> bytes:
    """The descriptor as JSON bytes: 2-space indent, key order as built, UTF-8, final newline."""
    return (json.dumps(package, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def write(results: Path) -> Path:
    """Build and write ``results/datapackage.json`` atomically; returns its path."""
    path = Path(results) / PACKAGE_FILE
    atomic_write_bytes(path, render(build(results)))
    return path


def validate(path: Path, limit: int = 50) -> list[str]:
    """Frictionless validation of a package descriptor; returns the errors (empty if valid)."""
    import frictionless

    report = frictionless.validate(str(path))
    errors = [f"package: {e.message}" for e in report.errors]
    for task in report.tasks:
        errors += [f"{task.name}: {e.message}" for e in task.errors]
    if len(errors) > limit:
        errors = [*errors[:limit], f"... and {len(errors) - limit} more"]
    return errors


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m analysis datapackage",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--results", type=Path, default=Path("results"),
                        help="the results folder (default: results)")
    parser.add_argument("--check", action="store_true",
                        help="do not write: fail if datapackage.json is missing or out of date, "
                             "then validate it")
    parser.add_argument("--no-validate", action="store_true", help="write without validating")
    args = parser.parse_args(argv)
    path = args.results / PACKAGE_FILE
    try:
        if args.check:
            if not path.exists() or path.read_bytes() != render(build(args.results)):
                print(f"{path} is missing or out of date: run python -m analysis datapackage "
                      f"--results {args.results}", file=sys.stderr)
                return 1
        else:
            write(args.results)
    except DatapackageError as exc:
        print(f"datapackage: {exc}", file=sys.stderr)
        return 1
    if args.no_validate and not args.check:
        print(f"wrote {path} (not validated)")
        return 0
    errors = validate(path)
    if errors:
        print(f"{path} is not valid:", file=sys.stderr)
        for e in errors:
            print(f"  {e}", file=sys.stderr)
        return 1
    print(f"{path}: valid ({'checked' if args.check else 'written'})")
    return 0
