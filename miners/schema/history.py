"""The history tables: what ``python -m miners history`` (``make history``) publishes under
``results/``: one row per walked repository (``repo_history``) and one per repository and API
family it ever had (``history_events``). Definitions: :mod:`miners.history.walk`."""

from __future__ import annotations

from typing import Any

from miners.schema.columns import boolean, integer, string, timestamp
from miners.schema.mined import FULL_NAME, REPO_ID, SHA
from miners.schema.vocab import HISTORY_FAMILIES, HISTORY_STATUSES

DATE = "author date in UTC, ISO 8601"

HISTORY: dict[str, dict[str, Any]] = {
    "repo_history": {
        "title": "Repository histories",
        "description": "One row per cloned repository (selected or near-duplicate) whose history "
                       "was walked (PyDriller, every "
                       "commit reachable from the pinned commit): its metadata and when MLflow "
                       "tracking and registry stages and aliases appeared. Written by "
                       "miners/history/tables.py (definitions in miners/history/walk.py).",
        "primaryKey": ["repo"],
        "fields": {
            "repo": string(REPO_ID),
            "full_name": string(FULL_NAME),
            "commit": string(SHA),
            "status": string("ok; or why the history is missing: no_clone (the repository could not "
                             "be cloned with its history), error (the walk failed: reason)",
                             enum=HISTORY_STATUSES),
            "reason": string("what failed, when status is not ok; empty otherwise"),
            "first_commit_date": timestamp("the earliest author date of a reachable commit, " + DATE),
            "pinned_commit_date": timestamp("author date of the pinned commit, " + DATE),
            "age_days": integer("whole days from first_commit_date to pinned_commit_date", minimum=0),
            "commits": integer("commits reachable from the pinned commit", minimum=0),
            "code_commits": integer("of them, commits that change a .py or .ipynb file", minimum=0),
            "commits_unreadable": integer("commits git could not diff (a blob the mirror lacks): "
                                          "skipped by the walk", minimum=0),
            "authors": integer("distinct author e-mail addresses after the repository's "
                                        ".mailmap, lower-cased", minimum=0),
            "active_days": integer("distinct UTC days with a commit", minimum=0),
            "files_at_pin": integer("files of the pinned commit's tree (submodules not counted)",
                                    minimum=0),
            "code_files_at_pin": integer("of them, .py and .ipynb files outside the folders the "
                                         "scanner skips (virtual environments, tool and build "
                                         "folders)", minimum=0),
            "code_lines_at_pin": integer("lines of those files as the scanner counts them (physical "
                                         "lines of .py, lines of notebook code cells; 0 for a file "
                                         "over the size caps or lacking from the clone)", minimum=0),
            "branches": integer("branches of the remote at clone time (its HEAD alias not counted)",
                                minimum=0),
            "heads_walked": integer("of them, branch heads scanned (the first 50 by name; "
                                    "miners/history/branches.py)", minimum=0),
            "branches_using_mlflow": integer("scanned branch heads whose code has an MLflow "
                                             "tracking or registry call site", minimum=0),
            "mlflow_only_off_default": boolean("the default branch's head has no MLflow call site "
                                               "but another branch head has one"),
            "branches_with_mlruns": integer("scanned branch heads whose tree holds an mlruns/ or "
                                            "mlartifacts/ folder", minimum=0),
            "branches_with_models": integer("scanned branch heads whose tree holds a model file "
                                            "(.pkl, .joblib, .h5, .pt, .onnx, ...)", minimum=0),
            "days_to_first_tracking": integer("whole days from the first commit to the first "
                                                       "commit after which the code has a tracking call; "
                                                       "empty when it never has one"),
            "tracking_at_pin": boolean("the code has a tracking call after the pinned commit (replayed "
                                       "from the history)"),
            "stages_first_date": timestamp("first commit after which the code uses registry "
                                                    "stages, " + DATE + "; empty when never"),
            "aliases_first_date": timestamp("first commit after which the code uses registry "
                                                     "aliases, " + DATE + "; empty when never"),
            "stages_then_aliases": boolean("the code used stages first and aliases later (or in the same "
                                           "commit): a stage-to-alias migration, whether stages remained"),
            "history_version": string("version of the history stage and miner that walked it "
                                      "(<version>+<digest of the code>)"),
        },
    },
    "history_events": {
        "title": "History events",
        "description": "One row per walked repository and API family it ever had: the commit after "
                       "which the code first had it, the commit after which it last lost it, and "
                       "whether it has it at the pinned commit. Written by miners/history/tables.py "
                       "(definitions in miners/history/walk.py).",
        "primaryKey": ["repo", "family"],
        "fields": {
            "repo": string(REPO_ID),
            "family": string("API family (miners/history/walk.py FAMILIES): tracking, metrics, "
                             "autolog, seed, registry, registration, registry_stages, registry_aliases",
                             enum=HISTORY_FAMILIES),
            "first_commit": string("the first commit after which some file has the family (40 hex digits)"),
            "first_date": timestamp("its " + DATE),
            "removed_commit": string("the commit after which no file had it any longer, when it "
                                              "was lost and did not come back; empty otherwise"),
            "removed_date": timestamp("its " + DATE),
            "present_at_pin": boolean("some file has the family at the pinned commit"),
        },
    },
    "branch_heads": {
        "title": "Branch heads",
        "description": "One row per scanned branch head of a walked repository: whether its code "
                       "uses MLflow and whether its tree holds committed run records or model "
                       "files. Written by miners/history/tables.py (definitions in "
                       "miners/history/branches.py).",
        "primaryKey": ["repo", "branch"],
        "fields": {
            "repo": string(REPO_ID),
            "branch": string("branch name on the remote"),
            "default": boolean("the remote's default branch (the one the study pins)"),
            "commit": string("the head commit (40 hex digits)"),
            "date": timestamp("the head commit's " + DATE),
            "uses_mlflow": boolean("some code file of the head's tree has an MLflow tracking or "
                                   "registry call site"),
            "mlruns": boolean("the tree holds an mlruns/ or mlartifacts/ folder"),
            "model_files": integer("files of the tree with a model extension", minimum=0),
        },
    },
}
