"""The repository table of RQ1-RQ4: one row per selected repository, with its features, its
practices, its corpus record and the flags the measures count, and the populations the
measures are taken over.

Definitions (stated in full in ``study/protocol.md``):

* *Analysed repositories*: the selected and scanned repositories with at least one MLflow
  tracking or registry call site (``repo_features.uses_mlflow = true``; funnel stage 7).
  Conditional measures state their own sub-population (:data:`POPULATIONS`).
* Dates are the pinned commit's ``commit_date`` in UTC; *after the deprecation* of registry
  stages means on or after :data:`STAGES_DEPRECATED`.
* Seeding: an *explicit* seed is a seed row that is not a ``random_state``/``seed`` keyword
  (``detail`` without ``keyword=``); a *determinism switch* is a seed row whose API is one of
  :data:`DETERMINISM_MARKERS`.
* An environment is *mostly pinned* from ``PINNED_SHARE`` of exactly pinned dependencies.

The vocabularies (random frameworks, seed coverage, traceability points) and the pinned
threshold are the published schema's (:mod:`miners.schema.vocab`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from analysis.results import ResultsError, as_bool, as_number, read_table, split_list
from miners.scan.detail import parse_detail
from miners.schema import vocab
from miners.schema.vocab import FRAMEWORKS, PINNED_SHARE, TRACE_POINTS

#: The day MLflow's model registry stages were marked deprecated (mlflow/mlflow#10416, merged
#: 2023-11-16, released with MLflow 2.9). Pinned commits on or after it are "after deprecation".
STAGES_DEPRECATED = "2023-11-16"
#: The first MLflow release whose documentation marks stages deprecated.
STAGES_DEPRECATED_RELEASE = (2, 9)
#: The MLflow release that introduced registered-model aliases (April 2023).
ALIASES_RELEASE = (2, 3)
#: Seed-row APIs that switch on deterministic algorithms rather than fix a seed.
DETERMINISM_MARKERS = ("deterministic", "determinism", "cudnn.benchmark", "TF_DETERMINISTIC_OPS",
                       "TF_CUDNN_DETERMINISTIC", "CUBLAS_WORKSPACE_CONFIG")
#: Seed coverage of a repository that uses a random framework (``seed_coverage`` but
#: ``no_random_framework``).
SEED_COVERAGE = tuple(c for c in vocab.SEED_COVERAGE if c != "no_random_framework")
MATURITY_LEVELS = range(0, 5)
TRACE_LEVELS = range(0, 8)
KINDS = ("course", "tutorial", "project", "production", "research")

#: The tables RQ1-RQ4 read and the columns they need of each.
REQUIRED: dict[str, tuple[str, ...]] = {
    "repo_features": (
        "repo", "full_name", "uses_mlflow", "logs_params", "logs_metrics", "logs_artifacts",
        "logs_models", "logs_tags", "logs_datasets", "uses_autolog", "autolog_flavors",
        "uses_client", "uses_registry", "registers_models", "uses_stages", "uses_aliases",
        "registered_model_names", "sets_seed", "frameworks_used", "frameworks_seeded",
        "seed_coverage", "seed_logged_as_param", "mlflow_files_py", "mlflow_files_ipynb",
        "notebook_share", "tracking_sites", "seed_sites", "registry_sites"),
    "repo_practices": (
        "repo", "dvc_dir", "dvc_files", "dvc_pipeline", "lfs_patterns", "mlflow_datasets",
        "data_files", "model_files", "mlruns_dirs", "mlruns_runs", "deps_declared",
        "pinned_share", "mlflow_pin", "mlflow_spec", "lock_files", "dockerfile", "mlproject",
        "mlproject_env", "tags", "semver_tags", "versioned_model_names", "ci_systems", "ci_runs_tests",
        "ci_runs_training", "tests_present", "serving", "monitoring", "traceability",
        "traceability_points", "maturity"),
    "funnel": ("step", "stage", "repositories", "dropped", "drop_reasons"),
    "corpus": ("full_name", "sampled", "selected", "commit_date", "cluster", "cluster_size"),
    "call_sites": ("repo", "category", "api", "detail"),
    "files": ("repo", "kind", "status"),
    "skipped_folders": ("repo", "py_files", "ipynb_files"),
    "repo_history": ("repo", "status", "authors", "commits", "age_days"),
}

#: The protocol whose ``[engineered]`` thresholds define engineered projects.
PROTOCOL = Path(__file__).resolve().parents[1] / "study" / "protocol.toml"


def engineered_thresholds(protocol: Path = PROTOCOL) -> dict[str, int]:
    """``min_authors``, ``min_commits`` and ``min_age_days`` of the protocol's ``[engineered]``
    section (:class:`miners.protocol.Engineered`)."""
    from dataclasses import asdict

    from miners.protocol import load

    return asdict(load(protocol).engineered)


def engineered(history: pd.DataFrame) -> pd.Series:
    """Which rows of ``repo_history`` (columns ``authors``, ``commits``, ``age_days``) are
    engineered projects: at least the :func:`engineered_thresholds` of each."""
    t = engineered_thresholds()
    num = {c: pd.to_numeric(history[c], errors="coerce").fillna(0) for c in ("authors", "commits", "age_days")}
    return ((num["authors"] >= t["min_authors"]) & (num["commits"] >= t["min_commits"])
            & (num["age_days"] >= t["min_age_days"]))


def read_inputs(results: Path) -> dict[str, pd.DataFrame]:
    """The tables of :data:`REQUIRED`, as text. ``repo_features`` must exist; any other absent
    table is empty (its measures are then ``n/a``)."""
    results = Path(results)
    if not results.is_dir():
        raise ResultsError(f"results directory {results} does not exist")
    if not (results / "repo_features.csv").is_file():
        raise ResultsError(f"{results / 'repo_features.csv'} not found: is {results} a results "
                           "directory (written by `python -m miners mine`)?")
    return {name: read_table(results, name, cols, required=False)
            for name, cols in REQUIRED.items()}


def repo_table(data: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """One row per selected repository: features, practices, corpus columns, derived flags and
    the population masks of :data:`POPULATIONS`; sorted by ``repo``."""
    feat = data["repo_features"].copy()
    prac = data["repo_practices"].drop(columns=["full_name", "registered_model_names",
                                                "uses_stages", "uses_aliases"], errors="ignore")
    df = feat.merge(prac, on="repo", how="left", suffixes=("", "_practices"))
    corpus = data["corpus"]
    keep = [c for c in ("full_name", "commit_date", "cluster", "cluster_size", "frame_kind_guess",
                        "frame_cluster", "frame_evidence_strength", "frame_evidence") if c in corpus.columns]
    df = df.merge(corpus[keep].drop_duplicates("full_name"), on="full_name", how="left")
    df = df.fillna("")
    num = as_number
    # engineered projects (study/protocol.toml [engineered]); no history walked: not engineered
    hist = data.get("repo_history")
    walked = hist[hist["status"] == "ok"] if hist is not None and len(hist) else pd.DataFrame(
        columns=["repo", "authors", "commits", "age_days"])
    df["has_history"] = df["repo"].isin(set(walked["repo"]))
    df["engineered"] = df["repo"].isin(set(walked.loc[engineered(walked), "repo"]) if len(walked) else set())
    df["mlflow"] = as_bool(df["uses_mlflow"])
    df["n_py"] = num(df["mlflow_files_py"]).fillna(0)
    df["n_ipynb"] = num(df["mlflow_files_ipynb"]).fillna(0)
    df["script_only"] = (df["n_py"] > 0) & (df["n_ipynb"] == 0)
    df["notebook_only"] = (df["n_ipynb"] > 0) & (df["n_py"] == 0)
    df["mixed"] = (df["n_ipynb"] > 0) & (df["n_py"] > 0)
    df["autolog_only"] = (as_bool(df["uses_autolog"]) & ~as_bool(df["logs_params"])
                          & ~as_bool(df["logs_metrics"]))
    df["explicit_params_or_metrics"] = as_bool(df["logs_params"]) | as_bool(df["logs_metrics"])
    # seeding, from the seed rows of call_sites.csv
    sites = data["call_sites"]
    seed_rows = sites[sites["category"] == "seed"]
    keyword = seed_rows["detail"].map(lambda d: "keyword" in parse_detail(d)).astype(bool)
    explicit = seed_rows[~keyword]
    is_determ = explicit["api"].map(lambda a: any(m in a for m in DETERMINISM_MARKERS))
    determ = explicit[is_determ.astype(bool)]
    df["explicit_seed"] = df["repo"].isin(set(explicit["repo"]))
    df["keyword_seed_only"] = as_bool(df["sets_seed"]) & ~df["explicit_seed"]
    df["determinism"] = df["repo"].isin(set(determ["repo"]))
    used, seeded = split_list(df["frameworks_used"]), split_list(df["frameworks_seeded"])
    for fw in FRAMEWORKS:
        df[f"uses_{fw}"] = used.map(lambda xs, fw=fw: fw in xs).astype(bool)
        df[f"seeds_{fw}"] = seeded.map(lambda xs, fw=fw: fw in xs).astype(bool)
    cov = df["seed_coverage"]
    df["random_framework"] = cov.isin(SEED_COVERAGE)
    for level in (*SEED_COVERAGE, "no_random_framework"):
        df[f"coverage_{level}"] = cov == level
    # registry
    reg, stg, ali = (as_bool(df[c]) for c in ("uses_registry", "uses_stages", "uses_aliases"))
    df["stages_and_aliases"] = stg & ali
    df["stages_only"] = stg & ~ali
    df["aliases_only"] = ali & ~stg
    df["neither_stages_nor_aliases"] = reg & ~stg & ~ali
    when = pd.to_datetime(df["commit_date"].replace("", None), utc=True, errors="coerce",
                          format="ISO8601")
    df["commit_time"] = when
    df["commit_year"] = when.dt.year
    cutoff = pd.Timestamp(STAGES_DEPRECATED, tz="UTC")
    df["has_date"] = when.notna()
    df["after_deprecation"] = when.notna() & (when >= cutoff)
    df["before_deprecation"] = when.notna() & (when < cutoff)
    df["names_literal"] = df["registered_model_names"].str.len() > 0
    df["versioned_names"] = num(df["versioned_model_names"]).fillna(0) > 0
    df["mlflow_pin_exact"] = df["mlflow_pin"] == "exact"
    df["mlflow_pin_deprecating"] = df["mlflow_spec"].map(_pins_deprecating_release)
    tags, semver = num(df["tags"]).fillna(0), num(df["semver_tags"]).fillna(0)
    df["has_tags"] = tags > 0
    df["semver_tags_any"] = semver > 0
    df["tags_all_semver"] = (tags > 0) & (semver == tags)
    df["tags_freeform_only"] = (tags > 0) & (semver == 0)
    df["tags_mixed"] = (semver > 0) & (semver < tags)
    # practices (RQ4)
    dvc = (as_bool(df["dvc_dir"]) | (num(df["dvc_files"]).fillna(0) > 0)
           | as_bool(df["dvc_pipeline"]))
    df["dvc"] = dvc
    df["dvc_pipeline_b"] = as_bool(df["dvc_pipeline"])
    df["lfs"] = df["lfs_patterns"].str.len() > 0
    df["mlflow_datasets_b"] = as_bool(df["mlflow_datasets"])
    df["data_versioning"] = dvc | df["lfs"] | df["mlflow_datasets_b"]
    df["data_in_git"] = num(df["data_files"]).fillna(0) > 0
    df["model_in_git"] = num(df["model_files"]).fillna(0) > 0
    df["mlruns_in_git"] = num(df["mlruns_dirs"]).fillna(0) > 0
    df["mlruns_with_runs"] = num(df["mlruns_runs"]).fillna(0) > 0
    deps = num(df["deps_declared"]).fillna(0)
    pinned = num(df["pinned_share"])
    df["deps_declared_b"] = deps > 0
    df["deps_mostly_pinned"] = (deps > 0) & (pinned >= PINNED_SHARE)
    df["deps_all_pinned"] = (deps > 0) & (pinned >= 1.0)
    df["lock_file"] = df["lock_files"].str.len() > 0
    df["dockerfile_b"] = as_bool(df["dockerfile"])
    df["mlproject_b"] = as_bool(df["mlproject"])
    df["env_versioning"] = (df["lock_file"] | df["dockerfile_b"] | df["mlproject_b"]
                            | df["deps_mostly_pinned"])
    df["ci"] = df["ci_systems"].str.len() > 0
    for c in ("ci_runs_tests", "ci_runs_training", "tests_present", "serving"):
        df[f"{c}_b"] = as_bool(df[c])
    df["monitoring_b"] = df["monitoring"].str.len() > 0
    df["traceability_n"] = num(df["traceability"])
    df["maturity_n"] = num(df["maturity"])
    points = split_list(df["traceability_points"])
    for pt in TRACE_POINTS:
        df[f"point_{pt}"] = points.map(lambda xs, pt=pt: pt in xs).astype(bool)
    df["has_practices"] = df["traceability"].str.len() > 0
    blank = pd.Series("", index=df.index)
    df["kind"] = df.get("frame_kind_guess", blank).fillna("")
    df["in_family"] = df.get("frame_cluster", blank).fillna("").str.len() > 0
    df = df.sort_values("repo", kind="stable").reset_index(drop=True)
    _add_populations(df)
    return df


def _pins_deprecating_release(spec: str) -> bool:
    """An exact pin (``==x.y[.z]``) of an MLflow release that deprecates stages (>= 2.9)."""
    m = re.fullmatch(r"\s*===?\s*(\d+)\.(\d+)(?:\.\d+)?.*", spec or "")
    return bool(m) and (int(m.group(1)), int(m.group(2))) >= STAGES_DEPRECATED_RELEASE


#: Populations (denominators): name -> (boolean column of the repository table, definition).
POPULATIONS: dict[str, tuple[str, str]] = {
    "analysed": ("mlflow", "repositories with at least one MLflow call (uses_mlflow)"),
    "selected": ("_all", "selected and scanned repositories"),
    "random_users": ("_random_users", "analysed repositories using a random framework "
                                      "(seed_coverage not no_random_framework)"),
    "seeders": ("_seeders", "analysed repositories with a seed row (sets_seed)"),
    "registry_users": ("_registry_users", "analysed repositories using the registry "
                                          "(uses_registry)"),
    "stage_users": ("_stage_users", "analysed registry users with registry stages (uses_stages)"),
    "stage_users_after": ("_stage_users_after", "stage users whose pinned commit is on/after "
                                                f"{STAGES_DEPRECATED}"),
    "stage_users_pinned": ("_stage_users_pinned", "stage users pinning mlflow exactly"),
    "named_registrants": ("_named", "analysed repositories with a literal registered model name"),
    "tagged": ("_tagged", "analysed repositories with at least one git tag"),
    "dated": ("_dated", "analysed repositories with a pinned commit date"),
    "with_practices": ("_with_practices", "analysed repositories with a repo_practices row"),
    "deps_declared": ("_deps", "analysed repositories declaring dependencies"),
    "engineered": ("_engineered", "analysed repositories that are engineered projects (history: "
                                  "study/protocol.toml [engineered] thresholds)"),
}


def _add_populations(df: pd.DataFrame) -> None:
    m = df["mlflow"]
    df["_all"] = True
    df["_random_users"] = m & df["random_framework"]
    df["_seeders"] = m & as_bool(df["sets_seed"])
    df["_registry_users"] = m & as_bool(df["uses_registry"])
    df["_stage_users"] = df["_registry_users"] & as_bool(df["uses_stages"])
    df["_stage_users_after"] = df["_stage_users"] & df["after_deprecation"]
    df["_stage_users_pinned"] = df["_stage_users"] & df["mlflow_pin_exact"]
    df["_named"] = m & df["names_literal"]
    df["_tagged"] = m & df["has_tags"]
    df["_dated"] = m & df["has_date"]
    df["_with_practices"] = m & df["has_practices"]
    df["_deps"] = m & df["deps_declared_b"]
    df["_engineered"] = m & df["engineered"]
