"""RQ2 Seeds: how many MLflow projects fix the randomness of their experiments, for which
frameworks, how completely, and whether the seed is logged as an MLflow param.

Measures (over the analysed repositories, :mod:`analysis.repo_table`): any seed row, an
explicit seeding call, keywords only, a determinism switch; *seed coverage* (complete, partial,
none) over the users of a random framework; per framework, its users and the share seeding it;
the literal seed values; the distribution of seed coverage (figure 03). Tests: seeding and complete coverage, notebook-only vs script-only, and
complete coverage with vs without an explicit seeding call (Fisher). Tables:
:data:`TABLE_DOCS`. Macros: ``RQTwo...``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import pandas as pd

from analysis.formatting import (
    NA,
    Macros,
    booktabs,
    count,
    macro_name,
    percent,
    percent_interval,
    texttt,
)
from analysis.inference import share, wilson_or_nan
from analysis.measures import (
    PREVALENCE_FIELDS,
    STAGE,
    TEST_FIELDS,
    Measure,
    Test,
    fisher_groups,
    prevalence_table,
    prevalence_tex,
)
from analysis.repo_table import FRAMEWORKS, SEED_COVERAGE
from analysis.results import as_bool
from miners.scan.detail import parse_detail
from miners.schema import vocab

RQ = "2"

MEASURES = [
    Measure(RQ, "SetsSeed", "sets_seed", "analysed", "has at least one seed row"),
    Measure(RQ, "ExplicitSeed", "explicit_seed", "analysed", "calls a seeding function, builds "
            "a seeded generator, or switches on determinism"),
    Measure(RQ, "KeywordOnly", "keyword_seed_only", "analysed", "seeds only through "
            "random_state/seed keywords"),
    Measure(RQ, "Determinism", "determinism", "analysed", "switches on deterministic algorithms"),
    Measure(RQ, "RandomUsers", "random_framework", "analysed", "uses at least one random "
            "framework"),
    *[Measure(RQ, f"Coverage {lvl}", f"coverage_{lvl}", "random_users", f"seed coverage {lvl}")
      for lvl in SEED_COVERAGE],
    Measure(RQ, "SeedParam", "seed_logged_as_param", "analysed", "logs a seed as an MLflow "
            "param"),
    Measure(RQ, "SeedParamSeeders", "seed_logged_as_param", "seeders", "logs a seed as an "
            "MLflow param, among seeders"),
]

#: The values of seed_coverage, in the order figure 03 draws them.
COVERAGE_LEVELS = vocab.SEED_COVERAGE

#: Tables the figures draw (written exactly).
FIGURE_TABLES = ("rq2_coverage",)

TABLE_DOCS: dict[str, dict[str, Any]] = {
    "rq2_seeds": {"description": "RQ2: seed setting, its kind, seed coverage of the random "
                  "frameworks used, and whether the seed is logged as an MLflow param.",
                  "fields": PREVALENCE_FIELDS},
    "rq2_frameworks": {"description": "RQ2: per random framework, analysed repositories using it "
                       "and, among those, the share seeding it (Wilson 95% CI).",
                       "fields": {"framework": "random framework (see the codebook, seed)",
                                  "analysed": "analysed repositories",
                                  "users": "analysed repositories using the framework for "
                                           "randomness",
                                  "users_share": "users / analysed",
                                  "seeded": "users that seed this framework",
                                  "seeded_share": "seeded / users",
                                  "ci_low": "Wilson 95% CI of seeded_share, lower bound",
                                  "ci_high": "Wilson 95% CI of seeded_share, upper bound"}},
    "rq2_seed_values": {"description": "RQ2: literal integer seed values of the seed rows of the "
                        "analysed repositories.",
                        "fields": {"value": "the literal seed value",
                                   "sites": "seed rows with this value",
                                   "sites_share": "sites / seed rows with a literal integer value",
                                   "repositories": "analysed repositories using this value",
                                   "repositories_share": "repositories / repositories with a "
                                                         "literal integer seed"}},
    "rq2_tests": {"description": "RQ2 hypothesis tests (two-sided, alpha 0.05; q = "
                  "Benjamini-Hochberg over all RQ1-RQ4 tests).", "fields": TEST_FIELDS},
    "rq2_coverage": {
        "description": "RQ2: seed coverage of the analysed repositories (seed_coverage: "
                       "complete, partial, none, no_random_framework, then any other value), "
                       "written exactly (figure 03).",
        "fields": {
            "coverage": {"type": "string", "description": "value of seed_coverage"},
            "repositories": {"type": "integer", "description": "analysed repositories with it"},
            "analysed": {"type": "integer", "description": "analysed repositories"},
            "share": {"type": "number", "description": "repositories / analysed, share 0-1 "
                      "(empty when no repository is analysed)"},
        },
    },
}

LABELS = [("SetsSeed", "Any seed"), ("ExplicitSeed", "Explicit seeding call"),
          ("KeywordOnly", "Keywords only"), ("Determinism", "Determinism switch"),
          ("CoverageComplete", "Coverage complete$^a$"),
          ("CoveragePartial", "Coverage partial$^a$"),
          ("CoverageNone", "Coverage none$^a$"),
          ("SeedParam", "Seed logged as param"),
          ("SeedParamSeeders", "\\quad among seeders")]


def tests(df: pd.DataFrame) -> list[Test]:
    """Fisher's exact tests of seeding and of complete coverage."""
    m, nb, sc = df["mlflow"], df["notebook_only"], df["script_only"]
    random_users = m & df["random_framework"]
    out = []
    r, c = fisher_groups(m, nb, sc, as_bool(df["sets_seed"]))
    out.append(Test(RQ, "SeedNotebook", "sets a seed: notebook-only vs script-only", "analysed",
                    "notebook-only", "script-only", r, c))
    r, c = fisher_groups(random_users, nb, sc, df["coverage_complete"])
    out.append(Test(RQ, "CoverageNotebook", "complete seed coverage: notebook-only vs "
                    "script-only", "random_users", "notebook-only", "script-only", r, c))
    r, c = fisher_groups(random_users, df["explicit_seed"], ~df["explicit_seed"],
                         df["coverage_complete"])
    out.append(Test(RQ, "CoverageExplicit", "complete seed coverage: explicit seeding call vs "
                    "keywords/none", "random_users", "explicit seeding", "no explicit seeding",
                    r, c))
    return out


def tables(df: pd.DataFrame, data: Mapping[str, pd.DataFrame],
           macros: Macros) -> dict[str, pd.DataFrame]:
    """The RQ2 tables (but its tests'), and their macros."""
    return {"rq2_seeds": prevalence_table(df, MEASURES, macros),
            "rq2_frameworks": frameworks(df, macros),
            "rq2_seed_values": seed_values(data["call_sites"], df, macros),
            "rq2_coverage": coverage(df)}


def latex(tables: Mapping[str, pd.DataFrame]) -> dict[str, str]:
    return {"rq2_seeds": prevalence_tex(tables["rq2_seeds"], LABELS, {}),
            "rq2_frameworks": frameworks_tex(tables["rq2_frameworks"])}


def frameworks(df: pd.DataFrame, macros: Macros) -> pd.DataFrame:
    """Per random framework: its users among the analysed repositories, and the share of them
    seeding it, with Wilson intervals; macros ``RQTwo<Framework>Used`` and ``...Seeded``."""
    m = df["mlflow"]
    analysed = int(m.sum())
    rows = []
    for fw in FRAMEWORKS:
        users = m & df[f"uses_{fw}"]
        k, n = int((users & df[f"seeds_{fw}"]).sum()), int(users.sum())
        low, high = wilson_or_nan(k, n)
        row = {"framework": fw, "analysed": analysed, "users": n,
               "users_share": share(n, analysed), "seeded": k, "seeded_share": share(k, n),
               "ci_low": low, "ci_high": high}
        rows.append(row)
        stem = "RQTwo" + macro_name(fw)
        macros.prevalence(stem + "Used", n, analysed, row["users_share"],
                          *wilson_or_nan(n, analysed))
        macros.prevalence(stem + "Seeded", k, n, row["seeded_share"], low, high)
    return pd.DataFrame(rows)


def _literal_seed(detail: str) -> str | None:
    """The integer literal a seed row's ``value`` field holds (``value=42``), else None."""
    value = parse_detail(detail).get("value")
    return value if value is not None and re.fullmatch(r"-?\d+", value) else None


def seed_values(sites: pd.DataFrame, df: pd.DataFrame, macros: Macros) -> pd.DataFrame:
    """Literal integer seed values (``value=`` of a seed row's detail) of the analysed
    repositories, most frequent first; macros of the seed rows and of the top value."""
    analysed = set(df.loc[df["mlflow"], "repo"])
    seed = sites[(sites["category"] == "seed") & sites["repo"].isin(analysed)]
    values = seed["detail"].map(_literal_seed)
    lit = seed.assign(value=values).dropna(subset=["value"])
    lit = lit.assign(value=lit["value"].map(lambda v: str(int(v))))
    by_value = lit.groupby("value").agg(sites=("repo", "size"), repositories=("repo", "nunique"))
    total_sites, total_repos = len(lit), lit["repo"].nunique()
    rows = [{"value": v, "sites": int(r.sites), "sites_share": share(int(r.sites), total_sites),
             "repositories": int(r.repositories),
             "repositories_share": share(int(r.repositories), total_repos)}
            for v, r in by_value.iterrows()]
    table = pd.DataFrame(rows, columns=["value", "sites", "sites_share", "repositories",
                                        "repositories_share"])
    if not table.empty:
        table["_v"] = table["value"].astype(int)
        table = table.sort_values(["sites", "_v"], ascending=[False, True]).drop(columns="_v")
    macros.count("RQTwoSeedSites", len(seed))
    macros.count("RQTwoLiteralSeedSites", total_sites)
    macros.count("RQTwoLiteralSeedRepos", total_repos)
    top = str(table.iloc[0]["value"]) if not table.empty else None
    macros.raw("RQTwoTopSeedValue", top if top is not None else NA)
    k = int((lit["value"] == top).sum()) if top is not None else 0
    macros.prevalence("RQTwoTopSeedSites", k, total_sites, share(k, total_sites),
                      *wilson_or_nan(k, total_sites))
    kr = lit.loc[lit["value"] == top, "repo"].nunique() if top is not None else 0
    macros.prevalence("RQTwoTopSeedRepos", kr, total_repos, share(kr, total_repos),
                      *wilson_or_nan(kr, total_repos))
    return table.reset_index(drop=True)


def coverage(df: pd.DataFrame) -> pd.DataFrame:
    """Analysed repositories per value of ``seed_coverage``: :data:`COVERAGE_LEVELS`, then any
    other value that occurs, sorted."""
    values = df.loc[df["mlflow"], "seed_coverage"]
    analysed = len(values)
    levels = [*COVERAGE_LEVELS, *sorted(set(values) - set(COVERAGE_LEVELS))]
    rows = []
    for lvl in levels:
        k = int((values == lvl).sum())
        rows.append({"coverage": lvl, "repositories": k, "analysed": analysed,
                     "share": share(k, analysed)})
    return pd.DataFrame(rows, columns=list(TABLE_DOCS["rq2_coverage"]["fields"]))


def frameworks_tex(table: pd.DataFrame) -> str:
    """The paper's table of random frameworks: users, and the share seeding each."""
    rows = []
    for _, r in table.iterrows():
        ok = r["users"] > 0
        rows.append([texttt(r["framework"]), count(r["users"]),
                     percent(r["users_share"]) if r["analysed"] else NA,
                     count(r["seeded"]) if ok else NA,
                     percent(r["seeded_share"] if ok else None),
                     percent_interval(r["ci_low"], r["ci_high"], sign=False) if ok else NA])
    return booktabs(["Framework", "Uses", "\\%", "Seeds", "\\%", "95\\% CI"], "@{}lrrrrr@{}",
                    rows, stage=STAGE)

