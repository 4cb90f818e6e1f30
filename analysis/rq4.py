"""RQ4 Practices: how MLflow projects version data, models and environments, how they deliver
(CI, tests, serving, monitoring), and how traceable and mature they are.

Measures (over the analysed repositories with a ``repo_practices`` row, :mod:`analysis.repo_table`;
definitions of the practices, the traceability score 0-7 and the maturity level 0-4 in the
codebook): the prevalence of each practice and traceability point; the distributions of the
score and the level; the same distributions and points over every selected repository (with or
without MLflow calls), which figure 05 draws. Tests: traceability vs maturity (Spearman),
traceability notebook-only vs script-only (Mann-Whitney U). Tables: :data:`TABLE_DOCS`.
Macros: ``RQFour...``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import pandas as pd

from analysis.formatting import NA, Macros, booktabs, count, macro_name, number, percent
from analysis.inference import (
    distribution,
    mann_whitney,
    median_iqr,
    share,
    spearman,
    wilson_or_nan,
)
from analysis.measures import (
    DISTRIBUTION_FIELDS,
    PREVALENCE_FIELDS,
    STAGE,
    TEST_FIELDS,
    Measure,
    Test,
    prevalence_table,
    prevalence_tex,
)
from analysis.repo_table import MATURITY_LEVELS, TRACE_LEVELS, TRACE_POINTS
from analysis.results import as_number, split_list

RQ = "4"

MEASURES = [
    Measure(RQ, "DataVersioning", "data_versioning", "analysed", "versions data (DVC, LFS or "
            "MLflow datasets)"),
    Measure(RQ, "DVC", "dvc", "analysed", "uses DVC (.dvc folder, .dvc files or dvc.yaml)"),
    Measure(RQ, "DVCPipeline", "dvc_pipeline_b", "analysed", "has a DVC pipeline (dvc.yaml)"),
    Measure(RQ, "LFS", "lfs", "analysed", "tracks files with Git LFS"),
    Measure(RQ, "MlflowDatasets", "mlflow_datasets_b", "analysed", "logs MLflow datasets"),
    Measure(RQ, "DataInGit", "data_in_git", "analysed", "commits data files"),
    Measure(RQ, "ModelInGit", "model_in_git", "analysed", "commits model files"),
    Measure(RQ, "MlrunsInGit", "mlruns_in_git", "analysed", "commits an mlruns folder"),
    Measure(RQ, "MlrunsRuns", "mlruns_with_runs", "analysed", "commits MLflow runs (file store)"),
    Measure(RQ, "DepsDeclared", "deps_declared_b", "analysed", "declares dependencies"),
    Measure(RQ, "DepsPinned", "deps_mostly_pinned", "deps_declared", ">= 80% of declared "
            "dependencies pinned exactly"),
    Measure(RQ, "DepsAllPinned", "deps_all_pinned", "deps_declared", "all declared "
            "dependencies pinned exactly"),
    Measure(RQ, "MlflowPinned", "mlflow_pin_exact", "analysed", "pins mlflow exactly"),
    Measure(RQ, "LockFile", "lock_file", "analysed", "has a lock file"),
    Measure(RQ, "Dockerfile", "dockerfile_b", "analysed", "has a Dockerfile"),
    Measure(RQ, "MLproject", "mlproject_b", "analysed", "has an MLproject file"),
    Measure(RQ, "EnvVersioning", "env_versioning", "analysed", "lock file, Dockerfile, "
            "MLproject or >= 80% pinned"),
    Measure(RQ, "CI", "ci", "analysed", "has CI configuration"),
    Measure(RQ, "CITests", "ci_runs_tests_b", "analysed", "CI runs tests"),
    Measure(RQ, "CITraining", "ci_runs_training_b", "analysed", "CI runs training"),
    Measure(RQ, "TestsPresent", "tests_present_b", "analysed", "has tests"),
    Measure(RQ, "Serving", "serving_b", "analysed", "serves a model"),
    Measure(RQ, "Monitoring", "monitoring_b", "analysed", "imports a monitoring library"),
    *[Measure(RQ, f"Point {pt}", f"point_{pt}", "with_practices", f"traceability point {pt}")
      for pt in TRACE_POINTS],
]

#: The scores of repo_practices and their levels.
SCORES = {"traceability": TRACE_LEVELS, "maturity": MATURITY_LEVELS}

#: Tables the figures draw (written exactly).
FIGURE_TABLES = ("rq4_scores_analysed", "rq4_points_analysed")

TABLE_DOCS: dict[str, dict[str, Any]] = {
    "rq4_practices": {"description": "RQ4: data, model and environment versioning and delivery "
                      "practices, and the traceability points.", "fields": PREVALENCE_FIELDS},
    "rq4_traceability": {"description": "RQ4: distribution of the traceability score (0-7).",
                         "fields": {"score": "traceability score", **DISTRIBUTION_FIELDS}},
    "rq4_maturity": {"description": "RQ4: distribution of the maturity level (0-4) with the "
                     "traceability of each level.",
                     "fields": {"level": "maturity level", **DISTRIBUTION_FIELDS,
                                "traceability_median": "median traceability at this level",
                                "traceability_mean": "mean traceability at this level"}},
    "rq4_tests": {"description": "RQ4 hypothesis tests.", "fields": TEST_FIELDS},
    "rq4_scores_analysed": {
        "description": "RQ4: distribution of the traceability score (0-7) and the maturity "
                       "level (0-4) over the analysed repositories (the rows of "
                       "repo_practices.csv of the repositories with MLflow calls, the text's "
                       "population; figure 05).",
        "fields": {
            "score": {"type": "string", "description": "traceability or maturity"},
            "value": {"type": "integer", "description": "a value of the score"},
            "repositories": {"type": "integer", "description": "repositories with this value"},
            "n": {"type": "integer", "description": "repositories with a value of the score"},
            "share": {"type": "number", "description": "repositories / n, share 0-1 (empty "
                      "when n is 0)"},
            "median": {"type": "number", "description": "median of the score over the n "
                       "repositories (the same on every row of a score; empty when n is 0)"},
        },
    },
    "rq4_points_analysed": {
        "description": "RQ4: how many analysed repositories (the rows of repo_practices.csv of "
                       "the repositories with MLflow calls) earn each point of the traceability "
                       "score (figure 05).",
        "fields": {
            "point": {"type": "string", "description": "traceability point, in the codebook's "
                      "order"},
            "repositories": {"type": "integer", "description": "repositories earning it"},
            "n": {"type": "integer", "description": "analysed repositories with a repo_practices row"},
            "share": {"type": "number", "description": "repositories / n, share 0-1 (empty "
                      "when n is 0)"},
        },
    },
}

TABLE_DOCS["rq4_trace_sensitivity"] = {
    "description": "RQ4: sensitivity of the traceability score over the analysed repositories: as "
                   "defined, without its near-constant points (earned by >= 95% or <= 5%), with the "
                   "environment point not earned by a Dockerfile alone, and both.",
    "fields": {
        "variant": {"type": "string", "description": "as_defined, without_near_constant, "
                    "environment_without_dockerfile_only or both"},
        "points": {"type": "string", "description": "the points the variant keeps (;-separated)"},
        "n_points": {"type": "integer", "description": "how many points it keeps (its maximum score)"},
        "n": {"type": "integer", "description": "analysed repositories with a repo_practices row"},
        "median": {"type": "number", "description": "median score"},
        "q1": {"type": "number", "description": "first quartile"},
        "q3": {"type": "number", "description": "third quartile"},
        "top": {"type": "integer", "description": "repositories with all points but at most one"},
        "top_share": {"type": "number", "description": "top / n, share 0-1"},
        "rho_as_defined": {"type": "number", "description": "Spearman's rho with the score as defined"},
    },
}

LABELS = [("DataVersioning", "Data versioned"), ("DVC", "\\quad DVC"),
          ("LFS", "\\quad Git LFS"), ("MlflowDatasets", "\\quad MLflow datasets"),
          ("DataInGit", "Data files in git"), ("ModelInGit", "Model files in git"),
          ("MlrunsInGit", "\\texttt{mlruns/} in git"),
          ("EnvVersioning", "Environment versioned"),
          ("DepsPinned", "\\quad $\\geq$80\\% pinned$^e$"),
          ("LockFile", "\\quad Lock file"), ("Dockerfile", "\\quad Dockerfile"),
          ("MLproject", "\\quad \\texttt{MLproject}"), ("CI", "CI configured"),
          ("TestsPresent", "Tests present"), ("Serving", "Model serving"),
          ("Monitoring", "Monitoring library")]
GROUPS = {"DataVersioning": "Data and models", "EnvVersioning": "Environment",
          "CI": "Delivery"}


def tests(df: pd.DataFrame) -> list[Test]:
    """Traceability vs maturity (Spearman); traceability, notebook-only vs script-only
    (Mann-Whitney U)."""
    wp = df["_with_practices"]
    out = []
    res = spearman(df.loc[wp, "traceability_n"], df.loc[wp, "maturity_n"])
    out.append(Test(RQ, "TraceMaturity", "traceability vs maturity (Spearman)", "with_practices",
                    "traceability", "maturity", res))
    res = mann_whitney(df.loc[wp & df["notebook_only"], "traceability_n"],
                       df.loc[wp & df["script_only"], "traceability_n"])
    out.append(Test(RQ, "TraceNotebook", "traceability: notebook-only vs script-only",
                    "with_practices", "notebook-only", "script-only", res,
                    f"{res.extra['n_a']} vs {res.extra['n_b']}"))
    return out


def tables(df: pd.DataFrame, data: Mapping[str, pd.DataFrame],
           macros: Macros) -> dict[str, pd.DataFrame]:
    """The RQ4 tables (but its tests'), and their macros."""
    out = {"rq4_practices": prevalence_table(df, MEASURES, macros)}
    out["rq4_traceability"], out["rq4_maturity"] = traceability(df, macros)
    practices = data["repo_practices"]
    analysed = practices[practices["repo"].isin(set(df.loc[df["mlflow"], "repo"]))]
    out["rq4_scores_analysed"] = scores_analysed(analysed)
    out["rq4_points_analysed"] = points_analysed(analysed)
    out["rq4_trace_sensitivity"] = trace_sensitivity(analysed, out["rq4_points_analysed"], macros)
    return out


def latex(tables: Mapping[str, pd.DataFrame]) -> dict[str, str]:
    return {"rq4_practices": prevalence_tex(tables["rq4_practices"], LABELS, GROUPS),
            "rq4_maturity": maturity_tex(tables["rq4_maturity"])}


def traceability(df: pd.DataFrame, macros: Macros) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Distributions of the traceability score and of the maturity level (with the
    traceability of each level) over the analysed repositories with practices, and their
    macros."""
    wp = df["_with_practices"]
    trace = df.loc[wp, "traceability_n"]
    mat = df.loc[wp, "maturity_n"]
    t_rows = distribution(trace, TRACE_LEVELS, "score")
    for r in t_rows:
        macros.prevalence("RQFourTrace" + macro_name(str(r["score"])), r["k"], r["n"], r["share"],
                          r["ci_low"], r["ci_high"])
    med, q1, q3 = median_iqr(trace)
    macros.raw("RQFourTraceMedian", number(med, 1, whole=True))
    macros.raw("RQFourTraceQOne", number(q1, 1, whole=True))
    macros.raw("RQFourTraceQThree", number(q3, 1, whole=True))
    macros.raw("RQFourTraceMean", number(trace.mean() if len(trace) else math.nan, 1))
    high = int((trace >= 6).sum())
    macros.prevalence("RQFourTraceSixPlus", high, len(trace), share(high, len(trace)),
                      *wilson_or_nan(high, len(trace)))
    m_rows = distribution(mat, MATURITY_LEVELS, "level")
    for r in m_rows:
        sub = df.loc[wp & (df["maturity_n"] == r["level"]), "traceability_n"]
        r["traceability_median"] = median_iqr(sub)[0]
        r["traceability_mean"] = float(sub.mean()) if len(sub) else math.nan
        macros.prevalence("RQFourMaturity" + macro_name(str(r["level"])), r["k"], r["n"],
                          r["share"], r["ci_low"], r["ci_high"])
    above = int((mat >= 1).sum())
    macros.prevalence("RQFourMaturityOnePlus", above, len(mat), share(above, len(mat)),
                      *wilson_or_nan(above, len(mat)))
    return pd.DataFrame(t_rows), pd.DataFrame(m_rows)


def scores_analysed(practices: pd.DataFrame) -> pd.DataFrame:
    """Per score of :data:`SCORES` and value, the analysed repositories (the ``repo_practices``
    rows of the repositories with MLflow calls) at that value, with the score's median."""
    rows = []
    for score, levels in SCORES.items():
        values = as_number(practices[score])
        n = int(values.notna().sum())
        median = float(values.median()) if n else math.nan
        for v in levels:
            k = int((values == v).sum())
            rows.append({"score": score, "value": v, "repositories": k, "n": n,
                         "share": share(k, n), "median": median})
    return pd.DataFrame(rows, columns=list(TABLE_DOCS["rq4_scores_analysed"]["fields"]))


#: A traceability point earned by at least this share (or at most 1 - it) of the analysed
#: repositories is near-constant: it cannot tell projects apart.
NEAR_CONSTANT = 0.95
#: The variants of the traceability score that :func:`trace_sensitivity` compares.
TRACE_VARIANTS = ("as_defined", "without_near_constant", "environment_without_dockerfile_only",
                  "both")


def dockerfile_only(practices: pd.DataFrame) -> pd.Series:
    """Repositories whose environment point rests on a Dockerfile alone: a Dockerfile, but no
    lock file, no ``MLproject`` environment and fewer than 80% of declared dependencies
    pinned exactly."""
    docker = practices["dockerfile"].str.lower() == "true"
    lock = practices["lock_files"].str.strip() != ""
    mlp_env = practices["mlproject_env"].str.strip() != ""
    pinned = (as_number(practices["deps_declared"]).fillna(0) > 0) & (
        as_number(practices["pinned_share"]).fillna(0) >= 0.8)
    return docker & ~lock & ~mlp_env & ~pinned


def trace_sensitivity(practices: pd.DataFrame, points: pd.DataFrame,
                      macros: Macros) -> pd.DataFrame:
    """The traceability score as defined and in three variants (:data:`TRACE_VARIANTS`): without
    its near-constant points (:data:`NEAR_CONSTANT`), with the environment point not earned by
    a Dockerfile alone (:func:`dockerfile_only`), and both. Per variant: the points kept, the
    median and quartiles, the share reaching all but at most one of its points, and Spearman's
    rho with the score as defined; the macros ``RQFourSens...``."""
    earned = [set(xs) for xs in split_list(practices["traceability_points"])]
    near = [r.point for r in points.itertuples(index=False)
            if not math.isnan(r.share) and (r.share >= NEAR_CONSTANT or r.share <= 1 - NEAR_CONSTANT)]
    dock = list(dockerfile_only(practices))
    macros.raw("RQFourNearConstantPoints", ", ".join(near) if near else "none")
    macros.count("RQFourDockerOnlyCount", sum(dock))
    base = pd.Series([len(e) for e in earned], dtype=float)
    rows = []
    for variant in TRACE_VARIANTS:
        drop = set(near) if variant in ("without_near_constant", "both") else set()
        nodock = variant in ("environment_without_dockerfile_only", "both")
        kept = [p for p in TRACE_POINTS if p not in drop]
        scores = pd.Series([len((e - drop) - ({"environment"} if nodock and d else set()))
                            for e, d in zip(earned, dock, strict=True)], dtype=float)
        med, q1, q3 = median_iqr(scores)
        top = int((scores >= len(kept) - 1).sum())
        rho = spearman(base, scores).statistic if len(scores) > 2 and scores.nunique() > 1 else math.nan
        rows.append({"variant": variant, "points": ";".join(kept), "n_points": len(kept),
                     "n": len(scores), "median": med, "q1": q1, "q3": q3,
                     "top": top, "top_share": share(top, len(scores)), "rho_as_defined": rho})
        stem = "RQFourSens" + macro_name(variant)
        macros.raw(stem + "Median", number(med, 1, whole=True))
        macros.raw(stem + "Points", str(len(kept)))
        macros.raw(stem + "TopPct", percent(share(top, len(scores))))
        macros.raw(stem + "Rho", number(rho, 2))
    return pd.DataFrame(rows, columns=list(TABLE_DOCS["rq4_trace_sensitivity"]["fields"]))


def points_analysed(practices: pd.DataFrame) -> pd.DataFrame:
    """Per traceability point, the analysed repositories earning it."""
    earned = split_list(practices["traceability_points"])
    n = len(practices)
    rows = []
    for point in TRACE_POINTS:
        k = sum(point in xs for xs in earned)
        rows.append({"point": point, "repositories": k, "n": n, "share": share(k, n)})
    return pd.DataFrame(rows, columns=list(TABLE_DOCS["rq4_points_analysed"]["fields"]))


def maturity_tex(table: pd.DataFrame) -> str:
    """The paper's maturity table: repositories per level and their traceability."""
    rows = [[str(int(r["level"])), count(r["k"]) if r["n"] else NA,
             percent(r["share"] if r["n"] else None),
             number(r["traceability_median"], 1, whole=True),
             number(r["traceability_mean"], 1)] for _, r in table.iterrows()]
    return booktabs(["Maturity", "Repos", "\\%", "Trace.\\ median", "mean"], "@{}lrrrr@{}", rows,
                    stage=STAGE)
