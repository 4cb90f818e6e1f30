"""RQ1 Tracking: what MLflow projects log (params, metrics, artifacts, models, tags,
datasets), how many rely on autolog, and whether they call MLflow from scripts or notebooks.

Measures (over the analysed repositories, :mod:`analysis.repo_table`): the prevalence of each
logging practice, of autolog and of ``MlflowClient``; *autolog only* (autolog without explicit
params or metrics); where MLflow is called (*scripts only*: every file with an MLflow call is a
``.py`` script; *notebooks only*; *both*); the logging practices and registry use by where
MLflow is called (figure 02). Tables: :data:`TABLE_DOCS`. Macros: ``RQOne...``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

import pandas as pd

from analysis.formatting import NA, Macros, number, percent, tex_escape
from analysis.inference import median_iqr, share, wilson_or_nan
from analysis.measures import PREVALENCE_FIELDS, Measure, Test, prevalence_table, prevalence_tex
from analysis.results import as_bool, as_number, split_list

RQ = "1"

M = Measure
MEASURES = [
    M(RQ, "Params", "logs_params", "analysed", "logs parameters (log_param(s), log_batch)"),
    M(RQ, "Metrics", "logs_metrics", "analysed", "logs metrics (log_metric(s), log_batch)"),
    M(RQ, "Artifacts", "logs_artifacts", "analysed", "logs artifacts (log_artifact(s), "
      "log_dict, log_figure, ...)"),
    M(RQ, "Models", "logs_models", "analysed", "logs or saves models (log_model, save_model)"),
    M(RQ, "Tags", "logs_tags", "analysed", "sets tags (set_tag(s))"),
    M(RQ, "Datasets", "logs_datasets", "analysed", "logs datasets (log_input(s))"),
    M(RQ, "Autolog", "uses_autolog", "analysed", "calls an autolog function"),
    M(RQ, "AutologOnly", "autolog_only", "analysed", "autolog without explicit params or "
      "metrics logging"),
    M(RQ, "Explicit", "explicit_params_or_metrics", "analysed", "logs params or metrics "
      "explicitly"),
    M(RQ, "Client", "uses_client", "analysed", "constructs an MlflowClient"),
    M(RQ, "ScriptOnly", "script_only", "analysed", "all files with MLflow calls are .py "
      "scripts"),
    M(RQ, "NotebookOnly", "notebook_only", "analysed", "all files with MLflow calls are "
      "notebooks"),
    M(RQ, "Mixed", "mixed", "analysed", "MLflow calls in both scripts and notebooks"),
]

#: The practices of figure 02, by where MLflow is called: RQ1's logging, autolog and client
#: columns and RQ3's registry use (columns of repo_features.csv).
LOCATION_PRACTICES = ("logs_params", "logs_metrics", "logs_artifacts", "logs_models",
                      "logs_tags", "logs_datasets", "uses_autolog", "uses_client",
                      "uses_registry")
#: Where MLflow is called: every analysed repository, those without a notebook with an MLflow
#: call, those with one.
LOCATIONS = ("all", "scripts_only", "in_notebooks")

#: Tables the figures draw (written exactly).
FIGURE_TABLES = ("rq1_by_location",)

TABLE_DOCS: dict[str, dict[str, Any]] = {
    "rq1_tracking": {"description": "RQ1: prevalence of experiment-tracking practices (what is "
                     "logged, autolog, where MLflow is called: scripts vs notebooks) over the "
                     "analysed repositories, with Wilson 95% intervals.",
                     "fields": PREVALENCE_FIELDS},
    "rq1_autolog_flavors": {"description": "RQ1: autolog flavors among repositories that call "
                            "autolog (generic = mlflow.autolog).",
                            "fields": {"flavor": "MLflow flavor of the autolog call",
                                       "repositories": "analysed repositories calling it",
                                       "autolog_users": "analysed repositories calling any autolog",
                                       "share": "repositories / autolog_users"}},
    "rq1_by_location": {
        "description": "RQ1: tracking practices and registry use by where MLflow is called, "
                       "over the analysed repositories: all of them, those calling MLflow only "
                       "from scripts (mlflow_files_ipynb = 0) and those calling it in notebooks "
                       "(mlflow_files_ipynb > 0); shares with Wilson 95% intervals, written "
                       "exactly (figure 02).",
        "fields": {
            "location": {"type": "string", "description": "all, scripts_only (no notebook with "
                         "an MLflow call) or in_notebooks (at least one)"},
            "column": {"type": "string", "description": "the boolean column of repo_features "
                       "counted"},
            "k": {"type": "integer", "description": "repositories of the group with the practice"},
            "n": {"type": "integer", "description": "repositories in the group"},
            "share": {"type": "number", "description": "k / n, share 0-1 (empty when n is 0)"},
            "ci_low": {"type": "number", "description": "Wilson 95% lower bound of share"},
            "ci_high": {"type": "number", "description": "Wilson 95% upper bound of share"},
        },
    },
}

#: Rows of the paper's table (measure -> label) and the group headings before some of them.
LABELS = [("Params", "Parameters"), ("Metrics", "Metrics"), ("Artifacts", "Artifacts"),
          ("Models", "Models"), ("Tags", "Tags"), ("Datasets", "Datasets"),
          ("Autolog", "Autolog"), ("AutologOnly", "Autolog only"),
          ("Client", "\\texttt{MlflowClient}"), ("ScriptOnly", "Scripts only"),
          ("NotebookOnly", "Notebooks only"), ("Mixed", "Both")]
GROUPS = {"Params": "What is logged", "ScriptOnly": "Where MLflow is called"}


def tests(df: pd.DataFrame) -> list[Test]:
    """RQ1 has no hypothesis test."""
    return []


def tables(df: pd.DataFrame, data: Mapping[str, pd.DataFrame],
           macros: Macros) -> dict[str, pd.DataFrame]:
    """The RQ1 tables, and their macros."""
    _file_macros(df, macros)
    return {"rq1_tracking": prevalence_table(df, MEASURES, macros),
            "rq1_autolog_flavors": autolog_flavors(df, macros),
            "rq1_by_location": by_location(df)}


def latex(tables: Mapping[str, pd.DataFrame]) -> dict[str, str]:
    return {"rq1_tracking": prevalence_tex(tables["rq1_tracking"], LABELS, GROUPS)}


def autolog_flavors(df: pd.DataFrame, macros: Macros) -> pd.DataFrame:
    """Per autolog flavor, the analysed autolog users calling it (most used first), and the
    macros of the most used flavor."""
    users = df[df["mlflow"] & as_bool(df["uses_autolog"])]
    counts: Counter[str] = Counter()
    for xs in split_list(users["autolog_flavors"]):
        counts.update(set(xs))
    n = len(users)
    rows = [{"flavor": f, "repositories": c, "autolog_users": n, "share": share(c, n)}
            for f, c in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]
    top = rows[0] if rows else None
    macros.raw("RQOneAutologTopFlavor", tex_escape(top["flavor"]) if top else NA)
    macros.count("RQOneAutologTopFlavorCount", top["repositories"] if top else None)
    macros.raw("RQOneAutologTopFlavorPct", percent(top["share"]) if top else NA)
    return pd.DataFrame(rows, columns=["flavor", "repositories", "autolog_users", "share"])


def by_location(df: pd.DataFrame) -> pd.DataFrame:
    """Prevalence of :data:`LOCATION_PRACTICES` per :data:`LOCATIONS` group."""
    in_notebooks = df["n_ipynb"] > 0
    masks = {"all": df["mlflow"], "scripts_only": df["mlflow"] & ~in_notebooks,
             "in_notebooks": df["mlflow"] & in_notebooks}
    rows = []
    for location in LOCATIONS:
        pop = masks[location]
        n = int(pop.sum())
        for column in LOCATION_PRACTICES:
            k = int((as_bool(df[column]) & pop).sum())
            low, high = wilson_or_nan(k, n)
            rows.append({"location": location, "column": column, "k": k, "n": n,
                         "share": share(k, n), "ci_low": low, "ci_high": high})
    return pd.DataFrame(rows, columns=list(TABLE_DOCS["rq1_by_location"]["fields"]))


def _file_macros(df: pd.DataFrame, macros: Macros) -> None:
    """Files with MLflow calls (scripts, notebooks) and tracking call sites per repository."""
    m = df["mlflow"]
    py, nb = int(df.loc[m, "n_py"].sum()), int(df.loc[m, "n_ipynb"].sum())
    macros.count("RQOneMlflowFilesPy", py)
    macros.count("RQOneMlflowFilesIpynb", nb)
    macros.raw("RQOneMlflowFilesIpynbPct", percent(share(nb, py + nb)) if py + nb else NA)
    med, q1, q3 = median_iqr(as_number(df.loc[m, "tracking_sites"]))
    macros.raw("RQOneTrackingSitesMedian", number(med, 1, whole=True))
    macros.raw("RQOneTrackingSitesQOne", number(q1, 1, whole=True))
    macros.raw("RQOneTrackingSitesQThree", number(q3, 1, whole=True))

