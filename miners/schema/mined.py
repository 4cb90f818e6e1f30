"""The mined tables: what ``python -m miners mine`` (``make mine``) publishes under ``results/``.

Each table's columns are declared in the order its producer writes them; a column's text is its
published definition (with units). Written from the code that produces each column: the corpus
stage (discovery or frame, sample, clone, near-duplicate families), the scan stage (files, call
sites, repository features) and the practices stage.
"""

from __future__ import annotations

from typing import Any

from miners.schema.columns import Col, boolean, integer, number, string, timestamp
from miners.schema.vocab import (
    CATEGORIES,
    CLONE_STATUSES,
    FILE_KINDS,
    FILE_STATUSES,
    MLFLOW_PINS,
    MLPROJECT_ENVS,
    PARSERS,
    SEED_COVERAGE,
)

REPO_ID = ("repository id: owner__name, the GitHub owner/name with its first '/' replaced by "
           "'__' (the clone folder name)")
FULL_NAME = "GitHub repository, owner/name"
PATH = "file path inside the repository, relative to its root, '/'-separated"
SHA = "the commit the repository was cloned and mined at (40 hex digits)"
BRANCHES = "number of branches of the remote at clone time"
TAGS = "number of tags of the remote at clone time"
DEFAULT_BRANCH = "the remote's default branch (its HEAD) at clone time"
FILES_TRACKED = "number of entries in the commit's tree (files tracked by git, submodules included)"
STEP = integer("position of the stage in the funnel, 1 = first", minimum=1)
REASONS = "why repositories were dropped at this stage: 'reason: count' pairs, '; '-separated"


def _funnel_fields(**extra: Col) -> dict[str, Col]:
    return {"step": STEP, "stage": string("name of the stage"), **extra,
            "repositories": integer("repositories remaining at this stage"),
            "dropped": integer("repositories lost since the previous stage"),
            "drop_reasons": string(REASONS)}


# The documentation of every mined CSV: table name (file stem) -> title, description, key and
# columns (in the order the producer writes them).
MINED: dict[str, dict[str, Any]] = {
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
            "full_name": string(FULL_NAME),
            "html_url": string("GitHub web address of the repository"),
            "clone_url": string("GitHub https clone address (the miner cloned from a URL template, "
                              "see provenance.json)"),
            "default_branch": string("default branch, from the GitHub API or, failing that, the "
                                   "remote's HEAD at clone time; empty when unknown"),
            "stars": integer("stargazers count from the GitHub search API (empty for a frame)"),
            "forks": integer("forks count from the GitHub search API (empty for a frame)"),
            "watchers": integer("watchers count from the GitHub search API (empty for a frame)"),
            "open_issues": integer("open issues count from the GitHub search API (empty for a "
                                "frame)"),
            "size_kb": integer("repository size in kilobytes from the GitHub search API (empty for "
                            "a frame)"),
            "language": string("primary language from the GitHub search API (empty for a frame)"),
            "license": string("SPDX id of the licence from the GitHub search API (empty for a "
                            "frame)"),
            "topics": string("GitHub topics, ';'-separated, sorted (empty for a frame)"),
            "created_at": timestamp("creation time from the GitHub search API, UTC (empty for a "
                              "frame)"),
            "pushed_at": timestamp("time of the last push from the GitHub search API, UTC (empty for "
                             "a frame)"),
            "archived": boolean("archived on GitHub (empty for a frame)"),
            "fork": boolean("is a fork on GitHub (empty for a frame)"),
            "query": string("the search queries that found the repository, ';'-separated; "
                          "'frame:<file name>' for a fixed sampling frame"),
            "discovered_at": timestamp("when the GitHub API returned the repository, UTC (empty for a "
                                 "frame)"),
            "api_metadata": string("where the GitHub metadata columns (stars ... discovered_at) "
                                   "come from: github_api (the search API's answer), or no_api "
                                   "(the repository comes from a fixed frame and no API call was "
                                   "made: those columns are empty for that reason)",
                                   enum=("github_api", "no_api")),
            "frame_evidence_strength": string(
                "frame: evidence that the repository uses MLflow: strong = committed mlruns/, "
                "an MLproject file, or MLflow calls seen in code; medium = an mlflow_utils.py "
                "file or 'mlflow' in the name; weak = only a file named like register_model.py "
                "(study/frame.md)"),
            "frame_evidence": string("frame: the evidence itself (which path or search found it)"),
            "frame_kind_guess": string("frame: project kind guessed mostly from names (course, "
                                     "tutorial, project, production, research)"),
            "frame_has_mlproject": string("frame: whether an MLproject file was seen (yes, no, "
                                        "unknown)"),
            "frame_runnable_guess": string("frame: runnable judged for about 40 repositories from "
                                         "one script each (yes, likely, partial, no; 'not "
                                         "assessed' elsewhere)"),
            "frame_cluster": string("frame: name of a large family of near-identical repositories "
                                  "(course submission templates); empty when none"),
            "sample_rank": string("sampling rank: hexadecimal SHA-256 of '<seed>:<owner/name>'; a "
                                "sample is the eligible repositories of lowest rank "
                                "(miners/corpus/sample.py); snapshots of the census are looked up "
                                "in this order"),
            "sampled": boolean("mined: drawn by the seeded sample, or, in a census ([sample] size "
                               "= 0), eligible"),
            "exclusion": string("why the repository is not selected: fork, archived, empty, "
                              "'too_large (...)', snapshot_pending (its snapshot not yet looked "
                              "up: a census in chunks, study/snapshots.csv), clone_<status>, "
                              "no_python, mlflow_source (its code holds a copy of MLflow's own "
                              "package, mlflow/tracking/fluent.py: a fork of MLflow in content), "
                              "'near_duplicate_of <owner/name>'; empty when selected or simply not "
                              "sampled"),
            "sha": string(SHA + "; empty when not sampled or not cloned"),
            "commit_date": timestamp("committer date of the pinned commit, ISO 8601 with the "
                               "committer's UTC offset (git %cI)"),
            "clone_status": string("outcome of the clone: cloned, or the failure (not_found, "
                                 "timeout, error); empty when not sampled",
                                 enum=CLONE_STATUSES),
            "clone_reason": string("first error line git printed when the clone failed"),
            "files_missing": integer("files the miners read that the remote could not serve; empty "
                                  "unless cloned"),
            "branches": integer(BRANCHES + "; empty unless cloned"),
            "tags": integer(TAGS + "; empty unless cloned"),
            "cluster": string("near-duplicate family id: the family member of lowest sample_rank, "
                            "owner/name, when the family has two or more members; empty "
                            "otherwise (miners/corpus/fingerprint.py)"),
            "cluster_size": integer("members of the repository's near-duplicate family (1 = no "
                                 "near-duplicate); empty when not fingerprinted (not cloned, "
                                 "empty or without Python)", minimum=1),
            "selected": boolean("sampled, cloned, not empty, has Python files, not a copy of "
                              "MLflow's source, and kept for its near-duplicate family: the "
                              "repositories analysed"),
            "scanned": boolean("selected and scanned by the static miner"),
        },
    },
    "clone_status": {
        "title": "Clone status of the sampled repositories",
        "description": "One row per sampled repository: how its clone at the pinned commit went "
                       "(a shallow, blob-less fetch of the files the miners read). Written by "
                       "miners/mine.py via miners/corpus/clone_stage.py.",
        "primaryKey": ["repo"],
        "fields": {
            "repo": string(FULL_NAME + " (note: owner/name here, not the owner__name id)"),
            "status": string("cloned, or the failure: not_found, timeout, error",
                           enum=CLONE_STATUSES),
            "reason": string("first error line git printed when the clone failed; empty otherwise"),
            "sha": string(SHA + "; empty when the clone failed"),
            "commit_date": timestamp("committer date of that commit, ISO 8601 with the committer's UTC "
                               "offset (git %cI)"),
            "default_branch": string(DEFAULT_BRANCH),
            "files_tracked": integer(FILES_TRACKED),
            "files_fetched": integer("files written to the work tree: the files the miners read "
                                  "(Python, notebooks, environment, pipeline and CI configuration, "
                                  "committed MLflow run metadata) that the remote served"),
            "files_not_read": integer("tracked entries the miners do not read, hence not fetched"),
            "files_missing": integer("files the miners read that the remote could not serve"),
            "missing_paths": string("the first 20 of those files, ';'-separated"),
            "branches": integer(BRANCHES),
            "tags": integer(TAGS),
        },
    },
    "files": {
        "title": "Candidate files",
        "description": "One row per candidate file (.py and .ipynb) of a selected repository, "
                       "read or not, with the reason when it was not parsed, except the files "
                       "of skipped folders (virtual environments, tool and build folders), "
                       "which skipped_folders.csv counts per folder. Written by "
                       "miners/scan/tables.py (values from miners/scan/analyze.py and "
                       "miners/scan/files.py).",
        "primaryKey": ["repo", "path"],
        "fields": {
            "repo": string(REPO_ID),
            "path": string(PATH),
            "kind": string("file kind: py or ipynb", enum=FILE_KINDS),
            "status": string("parsed; parse_error (not valid Python 3, or a notebook that cannot "
                           "be read); skipped (symlink, over the size cap; files skipped for "
                           "their folder are counted in skipped_folders.csv); unreadable (absent from the clone, "
                           "undecodable or binary, symlink loop)",
                           enum=FILE_STATUSES),
            "reason": string("why the file was skipped, unreadable or not parsed; for parsed files, "
                           "notes such as blanked notebook cells; empty otherwise"),
            "lines": integer("lines of source: of the decoded text for .py, of the code cells' "
                          "sources for .ipynb; 0 when undecodable; empty when not read"),
            "bytes": integer("size of the file in bytes (as read; for a file over the size cap, its "
                          "size); empty when not read"),
            "code_cells": integer("number of code cells of a notebook; empty for .py and for files "
                               "not read"),
            "parser": string("ast = no detector trigger text and Python's ast accepted it (cannot "
                           "hold a call site); libcst = parsed with libcst and every detector "
                           "run; empty when not parsed", enum=PARSERS),
            "sha256": string("SHA-256 of the file's bytes; empty when not read"),
            "frameworks": string("random frameworks the file uses (random, numpy, torch, "
                               "tensorflow, jax, sklearn; see the codebook, seed), ';'-separated"),
        },
    },
    "skipped_folders": {
        "title": "Folders whose files were not read",
        "description": "One row per folder of a selected repository whose candidate files "
                       "(.py and .ipynb) were all skipped for the folder they lie in: a "
                       "virtual environment, a tool folder (__pycache__, .ipynb_checkpoints, "
                       "site-packages, node_modules, ...), build metadata or build output. "
                       "These files are counted here instead of one files.csv row each (a "
                       "committed virtual environment holds thousands). Written by "
                       "miners/scan/tables.py (reasons from miners/scan/files.py).",
        "primaryKey": ["repo", "folder"],
        "fields": {
            "repo": string(REPO_ID),
            "folder": string("the skipped folder's path from the repository root, "
                             "'/'-separated, without a trailing '/'"),
            "what": string("why the folder is skipped: a virtual environment (named venv, "
                           ".venv, virtualenv, or holding pyvenv.cfg), a tool folder, build "
                           "metadata (*.egg-info), build output (build/ or dist/ at the root)"),
            "py_files": integer(".py candidate files in the folder (at any depth)"),
            "ipynb_files": integer(".ipynb candidate files in the folder (at any depth)"),
        },
    },
    "call_sites": {
        "title": "Detected call sites",
        "description": "One row per detected site of a selected repository: an MLflow tracking "
                       "call, a seed setting, or a model-registry use. The operational definitions "
                       "are study/codebook.md (miners/scan/detectors/). Written by "
                       "miners/scan/tables.py.",
        "fields": {
            "repo": string(REPO_ID),
            "path": string(PATH),
            "cell": integer("0-based index of the notebook cell in the notebook's cell list "
                         "(markdown cells counted); empty for .py"),
            "line": integer("1-based line of the call, assignment target or string, in the file "
                         "(in the cell for notebooks)", minimum=1),
            "col": integer("0-based column of the call, assignment target or string, in characters"),
            "category": string("tracking (MLflow experiment tracking), seed (code fixing a source "
                             "of randomness), registry (MLflow Model Registry)",
                             enum=CATEGORIES),
            "api": string("fully qualified name the call resolves to through the file's imports "
                        "(e.g. mlflow.log_param, numpy.random.seed); 'models:/' for a bare model "
                        "URI string; os.environ[NAME] for a seed environment variable"),
            "detail": string("';'-separated key=value pairs: tracking: kind, flavor, key/keys; "
                           "seed: framework, covers, keyword, value (literal, or expr:<code>); "
                           "registry: kind, name, stage, alias, uri_kind"),
        },
    },
    "repo_features": {
        "title": "Repository features: tracking, registry and seeding",
        "description": "One row per selected repository: counts of its files and call sites and "
                       "the features derived from them (definitions: study/codebook.md, "
                       "'Repository features'). Written by miners/scan/tables.py "
                       "(miners/scan/features.py).",
        "primaryKey": ["repo"],
        "fields": {
            "repo": string(REPO_ID),
            "full_name": string(FULL_NAME),
            "files_py": integer("candidate .py files (files.csv rows of kind py)"),
            "files_ipynb": integer("candidate .ipynb files"),
            "files_parsed": integer("candidate files with status parsed"),
            "files_parse_error": integer("candidate files with status parse_error"),
            "files_unreadable": integer("candidate files with status unreadable"),
            "files_skipped": integer("candidate files with status skipped"),
            "lines_parsed": integer("lines of the parsed files (files.csv lines)"),
            "tracking_sites": integer("call_sites.csv rows of category tracking"),
            "seed_sites": integer("call_sites.csv rows of category seed"),
            "registry_sites": integer("call_sites.csv rows of category registry"),
            "model_ref_sites": integer("call_sites.csv rows of category model_ref (models named by a "
                                       "Hugging Face id, a registered model name or a models:/ URI)"),
            "uses_mlflow": boolean("at least one tracking or registry row"),
            "logs_params": boolean("an explicit log_param(s) call (log_batch counts)"),
            "logs_metrics": boolean("an explicit log_metric(s) call (log_batch counts)"),
            "logs_artifacts": boolean("an explicit artifact-logging call (log_artifact(s), "
                                    "log_dict, log_figure, log_image, log_table, log_text)"),
            "logs_models": boolean("an explicit log_model or save_model call"),
            "logs_tags": boolean("an explicit tag-setting call"),
            "logs_datasets": boolean("an explicit log_input(s) call"),
            "uses_autolog": boolean("any autolog call"),
            "autolog_flavors": string("autolog flavors called, ';'-separated (generic = "
                                    "mlflow.autolog)"),
            "uses_client": boolean("constructs an MlflowClient"),
            "uses_registry": boolean("at least one registry row"),
            "registers_models": boolean("register_model, create_model_version or "
                                      "log_model(registered_model_name=...)"),
            "uses_stages": boolean("a stage transition, a stage look-up or a models:/name/<stage> "
                                 "URI"),
            "uses_aliases": boolean("an alias method or a models:/name@alias URI"),
            "registered_model_names": string("literal registered model names, ';'-separated"),
            "sets_seed": boolean("at least one seed row"),
            "frameworks_used": string("frameworks the files use for randomness, ';'-separated"),
            "frameworks_seeded": string("frameworks a seed row fixes (its framework and covers), "
                                      "';'-separated; 'unresolved' when the package of a "
                                      "random_state= call could not be resolved"),
            "seed_coverage": string("complete = every used framework among random, numpy, torch, "
                                  "tensorflow, jax, sklearn is seeded; partial = some are; none "
                                  "= none is; no_random_framework = none is used",
                                  enum=SEED_COVERAGE),
            "seed_logged_as_param": boolean("a logged param key (log_param, or a log_params dict "
                                          "literal) contains 'seed' or 'random_state'"),
            "mlflow_files_py": integer(".py files with at least one tracking or registry row"),
            "mlflow_files_ipynb": integer(".ipynb files with at least one tracking or registry row"),
            "notebook_share": number("share of the files with tracking or registry rows that are "
                                   "notebooks, 0-1 (4 decimals); empty when there are none",
                                   minimum=0, maximum=1),
        },
    },
    "repo_practices": {
        "title": "Repository practices: versioning, environment, delivery, traceability",
        "description": "One row per selected repository: how it versions data, models and "
                       "environments, its refs, CI, serving and monitoring, and the derived "
                       "traceability score and maturity level (definitions: study/codebook.md, "
                       "'Repository practices'). Written by miners/mine.py "
                       "(miners/practices/repo_practices.py).",
        "primaryKey": ["repo"],
        "fields": {
            "repo": string(REPO_ID),
            "full_name": string(FULL_NAME),
            "default_branch": string(DEFAULT_BRANCH),
            "files_tracked": integer("files tracked by git at the pinned commit"),
            "dvc_dir": boolean("a .dvc/ folder is committed"),
            "dvc_files": integer("committed *.dvc files"),
            "dvc_pipeline": boolean("a dvc.yaml is committed"),
            "dvc_lock": boolean("a dvc.lock is committed"),
            "dvc_api_files": integer(".py/.ipynb files whose text mentions dvc.api"),
            "lfs_patterns": string("patterns of .gitattributes lines with filter=lfs, ';'-separated"),
            "mlflow_datasets": boolean("logs datasets with MLflow (log_input / mlflow.data)"),
            "data_files": integer("committed files with a data extension (.csv, .parquet, .npy, "
                               "...; outside mlruns/)"),
            "data_bytes": integer("total size of those files in bytes, where the size is known"),
            "data_extensions": string("their extensions with counts, 'ext:count', ';'-separated"),
            "model_files": integer("committed files with a model extension (.pkl, .joblib, .h5, .pt, "
                                ".onnx, ...; outside mlruns/)"),
            "model_bytes": integer("total size of those files in bytes, where the size is known"),
            "model_extensions": string("their extensions with counts, 'ext:count', ';'-separated"),
            "mlruns_dirs": integer("committed mlruns/ or mlartifacts/ folders"),
            "mlruns_experiments": integer("experiments in them (<experiment>/meta.yaml)"),
            "mlruns_runs": integer("runs in them (<experiment>/<run>/meta.yaml)"),
            "mlruns_params": integer("param files in those runs (params/<key>)"),
            "mlruns_metrics": integer("metric files in those runs (metrics/<key>)"),
            "mlruns_status": string("ok, or up to 5 reasons the committed folders do not follow "
                                  "MLflow's file-store layout; empty when there is none"),
            "env_files": string("files that declare the environment (requirements*.txt, conda/"
                              "environment YAML, python_env.yaml, pyproject.toml, setup.cfg, "
                              "setup.py, Pipfile), ';'-separated"),
            "mlproject": boolean("an MLproject file is committed (any folder)"),
            "mlproject_entry_points": integer("entry points over all MLproject files"),
            "mlproject_parameters": integer("entry-point parameters over all MLproject files"),
            "mlproject_env": string("environment kind an MLproject declares; empty when none",
                                  enum=MLPROJECT_ENVS),
            "deps_declared": integer("distinct package names declared (python, pip, setuptools, "
                                  "wheel left out)"),
            "deps_pinned": integer("of them, pinned to exactly one version"),
            "pinned_share": number("deps_pinned / deps_declared, 0-1 (4 decimals); empty when "
                                 "nothing is declared", minimum=0, maximum=1),
            "mlflow_pin": string("how mlflow (or mlflow-skinny) is declared: exact, range, unpinned "
                               "or absent", enum=MLFLOW_PINS),
            "mlflow_spec": string("the version specifier of mlflow as declared"),
            "lock_files": string("lock files (poetry.lock, uv.lock, pipfile.lock, conda-lock.yml, "
                               "requirements.lock), lower-case names, ';'-separated"),
            "dockerfile": boolean("a file whose name starts with 'dockerfile' (any case)"),
            "env_errors": string("environment files that did not parse, with the reason, "
                               "'; '-separated (at most 500 characters)"),
            "branches": integer(BRANCHES),
            "tags": integer(TAGS),
            "semver_tags": integer("tags that look like versions (v1.2.3, 1.2, v2)"),
            "branch_families": string("branch name prefixes before the first '/', with counts, "
                                    "'family:count', ';'-separated"),
            "registered_model_names": string("literal registered model names, ';'-separated"),
            "versioned_model_names": integer("of them, names carrying a version (v2, 1.2.0, _v3)"),
            "uses_stages": boolean("uses registry stages (repo_features.csv)"),
            "uses_aliases": boolean("uses registry aliases (repo_features.csv)"),
            "ci_systems": string("CI systems configured (github_actions, gitlab, jenkins, circleci, "
                               "azure, travis), ';'-separated"),
            "ci_runs_tests": boolean("CI configuration runs tests (pytest, unittest, tox, nox, make "
                                   "test)"),
            "ci_runs_training": boolean("CI configuration mentions training (train, mlflow run, dvc "
                                      "repro)"),
            "ci_uses_mlflow": boolean("CI configuration mentions mlflow"),
            "ci_scheduled": boolean("CI configuration has a schedule trigger and mentions training"),
            "tests_present": boolean("test files are committed (test_*.py, *_test.py or a tests/ "
                                   "folder)"),
            "serving": boolean("model serving: 'mlflow models serve' in a config or script, or a "
                             "FastAPI/Flask module that loads a model"),
            "monitoring": string("monitoring libraries imported (evidently, whylogs, alibi_detect, "
                               "nannyml), ';'-separated"),
            "traceability": integer("traceability score, one point each for code, data, "
                                 "hyperparameters, metrics, model, environment, randomness (0-7)",
                                 maximum=7),
            "traceability_points": string("the points scored, ';'-separated, in that order"),
            "maturity": integer("MLOps maturity level (0-4, cumulative): 1 CI; 2 and MLflow tracking "
                             "of params or metrics with a reproducible training entry; 3 and "
                             "registered models with a deployment path; 4 and monitoring or "
                             "scheduled retraining", maximum=4),
        },
    },
}
