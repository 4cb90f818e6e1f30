"""The rerun tables: what ``python -m miners rerun`` (``make rerun``) publishes under ``results/``.

Each table's columns are declared in the order :mod:`miners.rerun.publish` writes them; a
column's text is its published definition (with units). Columns added by rerun harness v2 are
``optional``: tables published before it lack them.
"""

from __future__ import annotations

from typing import Any

from miners.schema.columns import boolean, integer, number, optional, string
from miners.schema.mined import FULL_NAME, REPO_ID, _funnel_fields
from miners.schema.vocab import (
    AGREEMENTS,
    CONDITIONS,
    ENTRY_KINDS,
    ENV_SOURCES,
    ENV_STATUSES,
    OUTCOMES,
    PICKED_BY,
    ROOT_CAUSES,
    RUN_STATUSES,
    SANDBOXES,
    SEED_COVERAGE,
    VERDICTS,
)

CONDITION = string("rerun condition (miners/rerun/conditions.py): as_written = the project "
                "exactly as written; seeds_forced = PYTHONHASHSEED=0 and random/numpy/torch/tensorflow "
                "seeded with 0 and determinism flags on at interpreter start (miners/rerun/capture.py); "
                "latest_env = the same code with its requirements resolved as of the protocol's fixed "
                "recent date", enum=CONDITIONS)
RUN = integer("run number within the (repository, condition), 1..k", minimum=1)

RERUN: dict[str, dict[str, Any]] = {
    "rerun_sample": {
        "title": "Rerun sample",
        "description": "One row per repository picked for the rerun experiment: a seeded "
                       "stratified sample of the scanned repositories that use MLflow and log "
                       "metrics or use autolog, plus any named explicitly. Written by "
                       "miners/rerun/publish.py.",
        "primaryKey": ["repo"],
        "fields": {
            "repo": string(REPO_ID),
            "full_name": string(FULL_NAME),
            "commit": string("the pinned commit of the checkout that is re-executed (corpus.csv "
                           "sha)"),
            "stratum": string("sampling stratum: seed|noseed (static seed setting) / "
                            "script|notebook (notebook when MLflow appears only in notebooks); "
                            "empty for explicit picks"),
            "rank": string("sampling rank: hexadecimal SHA-256 of '<seed>:<owner/name>' (miners.corpus.sample.rank), "
                         "the order of the stratified draw"),
            "picked_by": string("sample (the seeded draw; make rerun: the main sample), explicit "
                              "(named with --repos, or a local project folder), originals (make rerun: "
                              "the originals stratum only), sample_and_originals, or after_stop (make rerun: a "
                              "main draw queued after the main sample's cutoff, in neither stratum)", enum=PICKED_BY),
            "position": optional(integer("make rerun: the position in the study's queue (main sample "
                                         "and originals stratum in rank order), 1-based", minimum=1)),
            "family": optional(string("make rerun: the template family the project represents (near-"
                                      "duplicate cluster or frame cluster); empty when it has none")),
            "clone_status": optional(string("make rerun: the clone's status at the pinned commit "
                                            "(cloned, reused, or a failure)")),
            "harness_error": optional(string("make rerun: the clone's failure, or the harness's own error "
                                             "on this project; empty when none")),
            "harness": optional(string("make rerun: the harness version that ran the project "
                                       "(<version>+<digest of miners/rerun>)")),
        },
    },
    "reruns": {
        "title": "Reruns: one row per run",
        "description": "One row per run of a sampled project: k runs per condition, each in a "
                       "fresh copy of the checkout, sandboxed without network, with its own "
                       "MLflow store. Written by miners/rerun/publish.py.",
        "primaryKey": ["repo", "condition", "run"],
        "fields": {
            "repo": string(REPO_ID),
            "full_name": string(FULL_NAME),
            "commit": string("the pinned commit that was run"),
            "condition": CONDITION,
            "run": RUN,
            "attempted": boolean("the run was executed; false when it was recorded without running "
                               "(no entry point, no environment, or run 1 ended in a failure "
                               "that repeats)"),
            "status": string("outcome, first match wins (miners/rerun/harness.py): entry_not_found, "
                           "install_failed, timeout, ok (exit 0 and at least one metric), no_metrics "
                           "(exit 0, no metric), crashed_after_metrics (failed after logging metrics, "
                           "which are kept), network_blocked, missing_module (a package the "
                           "environment lacks), import_path (the project's own module or a relative "
                           "import), version_conflict (cannot import a name from an installed "
                           "package, binary incompatibility), import_error (other ImportError), "
                           "lfs_pointer (the run opened a Git LFS pointer file, then failed), data_missing, "
                           "crashed; tables published before harness v2 have import_error for the "
                           "three import classes", enum=RUN_STATUSES),
            "reason": string("why the run has this status (at most 500 characters)"),
            "exception": string("class of the uncaught exception, or the signal that killed the "
                              "run; empty when none"),
            "exit_code": integer("exit code of the run's process (negative: killed by that signal); "
                              "empty when not executed", minimum=None),
            "seconds": number("wall-clock duration of the run, seconds", minimum=0),
            "entry_kind": string("kind of recipe executed: mlproject (an MLproject entry with mlflow "
                               "run semantics), script, notebook, or where the command was "
                               "documented (readme, ci, makefile, dvc, docker); none", enum=ENTRY_KINDS),
            "entry": string("what was executed: the recipe's command line (steps joined by &&)"),
            "entry_reason": string("why this recipe was chosen (miners/rerun/recipes/ ranking)"),
            "recipe_source": optional(string("file:line (or file:entry) where the recipe's command was found. ")),
            "cwd": string("working directory of the first step: before harness v2 root or entry_dir; "
                        "since, the folder relative to the repository root ('.' = root)"),
            "cwd_reason": string("why that working directory"),
            "interventions": optional(string("everything the harness did beyond running the project as "
                                  "committed: the recipe and the probes before it, repairs, path "
                                  "mappings, mlflow run semantics, tracking redirects, the "
                                  "environment's substitutions and relaxations; '; '-separated. ")),
            "env_source": string("where the environment's requirements came from",
                               enum=ENV_SOURCES),
            "env_status": string("outcome of building the environment: installed (as declared), "
                               "installed_relaxed (the failing constraints relaxed), installed_imports (the "
                               "imports of the files run, when the declared requirements did not install), "
                               "install_failed", enum=ENV_STATUSES),
            "env_seconds": number("wall-clock time to build the environment, seconds", minimum=0),
            "env_mode": optional(string("as_of_commit or latest: the date the packages were resolved as of. ", enum=("as_of_commit", "latest", ""))),
            "resolution_date": optional(string("the --exclude-newer date of the install (UTC); empty when "
                                    "not capped. ")),
            "python": string("Python version of the environment"),
            "python_required": string("Python version the project declares; empty when none"),
            "env_fingerprint": string("first 16 hex digits of the SHA-256 of the Python version and "
                                    "the installed packages (pip freeze)"),
            "files_missing": integer("tracked files of the repository the remote could not serve "
                                  "(blobs absent from a mirror), so the runs lacked them"),
            "lfs_pointers": optional(integer("tracked files that are Git LFS pointers. ")),
            "path_mappings": optional(integer("absolute paths mapped onto committed files (miners/rerun/"
                                  "checkout.py). ")),
            "tracking_redirect": string("tracking URIs the code asked for that were redirected to "
                                      "the run's local store, '; '-separated; empty when none"),
            "network_attempts": integer("connections or name look-ups to non-loopback hosts the "
                                     "code attempted (all blocked)"),
            "mlflow_runs": integer("MLflow runs found in the run's store"),
            "metrics_logged": integer("metric keys logged"),
            "params_logged": integer("param keys logged"),
            "threads": integer("thread count set for the numeric libraries (OMP_NUM_THREADS etc.)"),
            "memory_mb": integer("address-space limit of the run, MiB"),
            "timeout_s": number("wall-clock limit of the run, seconds", minimum=0),
            "sandbox": string("sandbox used: bwrap (bubblewrap), unshare, or none",
                            enum=SANDBOXES),
            "stderr_tail": string("the end of the run's standard error, whitespace collapsed (at "
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
            "repo": string(REPO_ID),
            "condition": CONDITION,
            "run": RUN,
            "key": string("metric key as logged ('run<i>/<key>' when the store holds several "
                        "MLflow runs)"),
            "step": integer("MLflow step of the value", minimum=None),
            "value": number("the last value logged at that step, in the metric's own unit"),
            "is_last": boolean("the value at the key's largest step (the one variance.csv "
                             "compares)"),
        },
    },
    "rerun_params": {
        "title": "Rerun params",
        "description": "One row per param a run logged (same key convention as "
                       "rerun_metrics.csv). Written by miners/rerun/publish.py.",
        "primaryKey": ["repo", "condition", "run", "key"],
        "fields": {
            "repo": string(REPO_ID),
            "condition": CONDITION,
            "run": RUN,
            "key": string("param key as logged ('run<i>/<key>' when the store holds several MLflow "
                        "runs)"),
            "value": string("param value as logged (MLflow params are strings)"),
        },
    },
    "variance": {
        "title": "Run-to-run variance per metric",
        "description": "One row per (repository, condition, metric key) over the ok runs, using "
                       "each run's value at the key's largest step; statistics in the metric's "
                       "own unit. Written by miners/rerun/publish.py (miners/rerun/variance.py).",
        "primaryKey": ["repo", "condition", "key"],
        "fields": {
            "repo": string(REPO_ID),
            "condition": CONDITION,
            "key": string("metric key, as in rerun_metrics.csv"),
            "timing": boolean("the key names a duration, time, memory or throughput: reported but "
                            "left out of the verdict"),
            "runs_ok": integer("runs of the (repository, condition) with status ok"),
            "runs_with_key": integer("of them, runs that logged the key"),
            "mean": number("mean of the values"),
            "std": number("sample standard deviation of the values (ddof=1; 0 for one value)"),
            "min": number("smallest value"),
            "max": number("largest value"),
            "range": number("max - min"),
            "rel_range": number("range / |mean| (0 when range is 0; empty when mean is 0 and range "
                              "is not)"),
            "cv": number("coefficient of variation, std / |mean| (same convention)"),
            "identical": boolean("every ok run logged the key, at least two did, and all values "
                               "are bitwise identical (IEEE-754)"),
            "within_1e-9": boolean("every ok run logged the key, at least two did, and every value "
                                 "equals the first within relative tolerance 1e-9"),
            "within_1e-6": boolean("same within relative tolerance 1e-6"),
            "original_value": number("value of the same key in the latest run of the repository's "
                                   "committed mlruns/; empty when none"),
            "diff_to_original": number("mean - original_value"),
            "rel_diff_to_original": number("diff_to_original / |original_value|"),
        },
    },
    "rerun_repos": {
        "title": "Rerun verdict per repository and condition",
        "description": "One row per (repository, condition): how many runs were ok and whether "
                       "the metrics came back the same. Written by miners/rerun/publish.py "
                       "(miners/rerun/variance.py).",
        "primaryKey": ["repo", "condition"],
        "fields": {
            "repo": string(REPO_ID),
            "full_name": string(FULL_NAME),
            "condition": CONDITION,
            "runs_planned": integer("runs recorded for the (repository, condition)"),
            "runs_ok": integer("of them, runs with status ok"),
            "metrics_compared": integer("non-timing metric keys logged by at least two ok runs (the "
                                     "judged keys)"),
            "verdict": string("identical = every judged key bitwise identical; within_tolerance = "
                            "every judged key within relative 1e-6; varying = otherwise; "
                            "not_judged = fewer than two ok runs or no judged key",
                            enum=VERDICTS),
            "why": string("why not judged, or remarks on a varying verdict; empty otherwise"),
            "max_rel_range": number("largest rel_range over the judged keys; empty when one is "
                                  "undefined"),
            "median_rel_range": number("median rel_range over the judged keys"),
            "sets_seed": boolean("the repository sets a seed (repo_features.csv)"),
            "seed_coverage": string("seed coverage (repo_features.csv)", enum=SEED_COVERAGE),
            "entry_kind": string("kind of entry point executed", enum=ENTRY_KINDS),
            "originals_compared": optional(integer("metric values compared with the committed run of the same "
                                       "parameters (rerun_originals.csv). ")),
            "original_agreement": optional(string("the weakest agreement among them; empty when none. ", enum=(*AGREEMENTS, ""))),
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
            "repo": string(REPO_ID),
            "condition": CONDITION,
            "run": RUN,
            "mlflow_run": string("the rerun's MLflow run: empty when the run's store held one, else "
                               "run<i> (1-based by start time)"),
            "original_run_id": string("the committed run's MLflow run id"),
            "key": string("metric key"),
            "original_value": number("final value in the committed run"),
            "rerun_value": number("final value in the rerun"),
            "diff": number("rerun_value - original_value"),
            "rel_diff": number("diff / |original_value|; empty when the original is 0 and diff is not"),
            "agreement": string("identical (same IEEE-754 bits), within_1e-6 or within_1pct "
                              "(relative to the original), different", enum=AGREEMENTS),
        },
    },
    "rerun_causes": {
        "title": "Why projects did not run",
        "description": "One row per attempted project of the reproducibility study (make rerun): "
                       "its outcome as written and, for a project that did not run, the root cause "
                       "(first rule of miners/rerun/causes.py that matches its probe) with the "
                       "evidence. Written by miners/rerun/publish.py.",
        "primaryKey": ["repo"],
        "fields": {
            "repo": string(REPO_ID),
            "full_name": string(FULL_NAME),
            "picked_by": string("the stratum (rerun_sample.csv)", enum=PICKED_BY),
            "probe_status": string("status of the probe (as_written run 1); empty when not cloned",
                                   enum=(*RUN_STATUSES, "")),
            "outcome": string("metrics, ran_no_metrics, did_not_run or not_cloned", enum=OUTCOMES),
            "cause": string("root cause of a project that did not run; empty otherwise",
                            enum=(*ROOT_CAUSES, "")),
            "exception": string("the probe's exception class, or the signal"),
            "where": string("the last traceback frame in the project's own files, path:line; empty "
                            "when none"),
            "evidence": string("the probe's status and reason, and the end of its standard error"),
            "latest_status": string("status of latest_env run 1 (packages of the protocol's fixed "
                                    "recent date); empty when not run", enum=(*RUN_STATUSES, "")),
            "latest_metrics": boolean("a latest_env run logged metrics that count"),
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
            "repo": string(REPO_ID),
            "rank": integer("position in the ranking, 1 = best; skipped commands follow", minimum=1),
            "source": string("where the recipe comes from: MLproject, a README or docs file, a CI "
                           "workflow, Makefile, dvc.yaml, Dockerfile, script, notebook"),
            "where": string("file:line of the command"),
            "recipe": string("the command line (steps joined by &&)"),
            "status": string("status of the probe run, not_tried, or skipped"),
            "reason": string("why it ranks there, why the probe failed, or why it was skipped"),
            "chosen": boolean("the recipe every run of the project used"),
        },
    },
    "rerun_environments": {
        "title": "Rerun environments",
        "description": "One row per rerun project whose environment was built: where its "
                       "requirements came from and how the install went. Written by "
                       "miners/rerun/environment.py and published by miners/rerun/publish.py; the resolved versions of each are "
                       "in rerun_locks/<repo>.txt.",
        "primaryKey": ["repo", "environment"],
        "fields": {
            "repo": string(REPO_ID),
            "environment": optional(string("which environment of the project: <as_of_commit|latest>-<digest of "
                                "the recipe's MLproject and files>. ")),
            "env_source": string("first source found (miners/rerun/sources.py): lock (uv.lock, "
                               "poetry.lock, Pipfile.lock), pinned (exactly pinned requirements), "
                               "mlruns_model (the environment MLflow saved with a committed model), "
                               "python_env (MLproject), conda_env, requirements (requirements*.txt), "
                               "pyproject (pyproject.toml or setup.py), inferred (from the imports), "
                               "given (an existing environment passed with --python-env)", enum=ENV_SOURCES),
            "env_status": string("installed (as declared), installed_relaxed (the failing version "
                               "constraints relaxed; before harness v2 all of them), installed_imports "
                               "(the imports of the files run, when the declared requirements did not "
                               "install), install_failed", enum=ENV_STATUSES),
            "reason": string("why the install failed or was relaxed; empty otherwise"),
            "failed_requirement": string("the requirement the installer named as failing"),
            "python_required": string("Python version the project declares; empty when none"),
            "python_source": optional(string("the file that declares the Python version. ")),
            "python": string("Python version of the environment"),
            "mode": optional(string("as_of_commit or latest. ", enum=("as_of_commit", "latest", ""))),
            "resolution_date": optional(string("the --exclude-newer date of the install (UTC). ")),
            "seconds": number("wall-clock time to build the environment, seconds", minimum=0),
            "packages": integer("packages installed (lines of pip freeze)"),
            "requirements": string("the requirements installed, '; '-separated"),
            "dropped": string("declared lines that are not PyPI requirements (editable, VCS, local "
                            "paths, conda-only packages), '; '-separated"),
            "added": string("requirements the harness added (mlflow; ipykernel, nbclient, nbformat "
                          "for notebooks), '; '-separated"),
            "interventions": optional(string("what the build did beyond the declared environment (Python "
                                  "substituted, packages added, dropped or relaxed, numpy<2), "
                                  "'; '-separated. ")),
            "fingerprint": string("first 16 hex digits of the SHA-256 of the Python version and "
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
