"""Sensitivity of the headline prevalences of RQ1-RQ4 to course templates: each headline
measure over all analysed repositories and over two restrictions of them that down-weight
course work: without the members of the frame's named template families (``frame_cluster``),
and without the repositories the frame guesses are course work (``frame_kind_guess =
course``). Without the frame's columns the restricted rows are empty (``n = 0``).

Table ``rq_sensitivity`` (:data:`TABLE_DOCS`); macros ``Sens<Population><measure>...`` for the
restricted populations (``without`` shortened to ``Wo``).
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from analysis.formatting import Macros, macro_name
from analysis.inference import prevalence

#: The headline measures: (research question, boolean column of the repository table).
HEADLINE = (("1", "logs_params"), ("1", "logs_metrics"), ("1", "uses_autolog"),
            ("2", "sets_seed"), ("2", "explicit_seed"), ("2", "seed_logged_as_param"),
            ("3", "uses_registry"), ("3", "registers_models"), ("4", "data_versioning"),
            ("4", "env_versioning"), ("4", "ci"))

TABLE_DOCS: dict[str, dict[str, Any]] = {
    "rq_sensitivity": {"description": "Headline prevalences over all analysed repositories and "
                       "without course-template families or course repositories (frame columns).",
                       "fields": {"population": "which repositories", "rq": "research question",
                                  "measure": "boolean column of the repository table",
                                  "k": "repositories with the feature",
                                  "n": "repositories in the population", "share": "k / n",
                                  "ci_low": "Wilson 95% CI, lower bound",
                                  "ci_high": "Wilson 95% CI, upper bound"}},
}


def tables(df: pd.DataFrame, macros: Macros) -> dict[str, pd.DataFrame]:
    """The sensitivity table, and the macros of its restricted populations."""
    has_frame = "frame_kind_guess" in df.columns
    variants = {"all analysed": df["mlflow"],
                "without named template families": df["mlflow"] & ~df["in_family"],
                "without course repositories": df["mlflow"] & (df["kind"] != "course")}
    rows = []
    for variant, mask in variants.items():
        usable = has_frame or variant == "all analysed"
        for rq, col in HEADLINE:
            row = prevalence(df, [col], mask).iloc[0].to_dict() if usable else {
                "k": 0, "n": 0, "share": math.nan, "ci_low": math.nan, "ci_high": math.nan}
            rows.append({"population": variant, "rq": f"RQ{rq}", "measure": col, "k": row["k"],
                         "n": row["n"], "share": row["share"], "ci_low": row["ci_low"],
                         "ci_high": row["ci_high"]})
    table = pd.DataFrame(rows)
    for _, r in table.iterrows():
        if r["population"] != "all analysed":
            stem = "Sens" + macro_name(r["population"].replace("without", "wo"), r["measure"])
            macros.prevalence(stem, r["k"], r["n"], r["share"], r["ci_low"], r["ci_high"])
    return {"rq_sensitivity": table}
