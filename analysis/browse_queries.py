"""Canned queries of the results browser (``python -m analysis browse``): one per research
question, each recomputing one headline count and share of the paper in SQL from the mined
tables of ``data/results.db`` (never from ``results/tables/``).

Definition. Each :class:`CannedQuery` returns one row with columns ``k`` (the count),
``n`` (its population) and ``pct`` (``100 * k / n`` rounded to one decimal, as printed in the
paper). ``macros`` names the LaTeX macros of ``paper/generated/*.tex`` that print the same
``k`` and ``pct``; the test suite checks that they agree, so a query that drifts from the
paper's definition fails. The populations follow :mod:`analysis.repo_table` and :mod:`analysis.rq5`:
RQ1-RQ4 count the *analysed* repositories (``repo_features.uses_mlflow``), RQ5 the repositories
whose as-written reruns could be judged (``rerun_repos.verdict`` other than ``not_judged``).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CannedQuery:
    """A Datasette canned query: ``name`` (its URL), ``title``, ``sql`` and the paper macros
    (column -> macro name) whose values it reproduces."""

    name: str
    title: str
    description: str
    sql: str
    macros: dict[str, str]


def _share(population: str, condition: str, tables: str = "repo_features f") -> str:
    return (
        f"select sum(case when {condition} then 1 else 0 end) as k, count(*) as n,\n"
        f"  round(100.0 * sum(case when {condition} then 1 else 0 end) / count(*), 1) as pct\n"
        f"from {tables}\nwhere {population}"
    )


ANALYSED = "f.uses_mlflow = 1"

QUERIES: tuple[CannedQuery, ...] = (
    CannedQuery(
        "rq1_logs_params", "RQ1: analysed repositories that log parameters",
        "Tracking: analysed repositories (uses_mlflow) with at least one parameter-logging call.",
        _share(ANALYSED, "f.logs_params = 1"),
        {"k": "RQOneParamsCount", "n": "RQOneParamsTotal", "pct": "RQOneParamsPct"},
    ),
    CannedQuery(
        "rq2_sets_seed", "RQ2: analysed repositories that set a seed",
        "Seeding: analysed repositories with at least one seed call site (sets_seed).",
        _share(ANALYSED, "f.sets_seed = 1"),
        {"k": "RQTwoSetsSeedCount", "n": "RQTwoSetsSeedTotal", "pct": "RQTwoSetsSeedPct"},
    ),
    CannedQuery(
        "rq3_uses_registry", "RQ3: analysed repositories that use the model registry",
        "Model registry: analysed repositories with a registry call site (uses_registry).",
        _share(ANALYSED, "f.uses_registry = 1"),
        {"k": "RQThreeRegistryCount", "pct": "RQThreeRegistryPct"},
    ),
    CannedQuery(
        "rq4_dockerfile", "RQ4: analysed repositories with a Dockerfile",
        "Practices: analysed repositories whose tree has a Dockerfile (repo_practices.dockerfile).",
        _share(ANALYSED, "p.dockerfile = 1",
               "repo_features f join repo_practices p on p.repo = f.repo"),
        {"k": "RQFourDockerfileCount", "n": "RQFourDockerfileTotal", "pct": "RQFourDockerfilePct"},
    ),
    CannedQuery(
        "rq5_as_written_identical", "RQ5: judged as-written reruns with identical metrics",
        "Reruns: projects run as written whose metrics were identical in every run, among "
        "those that could be judged.",
        _share("r.condition = 'as_written' and r.verdict <> 'not_judged'",
               "r.verdict = 'identical'", "rerun_repos r"),
        {"k": "RQFiveAsWrittenIdentical", "n": "RQFiveAsWrittenJudged",
         "pct": "RQFiveAsWrittenIdenticalPct"},
    ),
)


def datasette_queries() -> dict[str, dict[str, str]]:
    """The ``queries`` block of Datasette's metadata for :data:`QUERIES`."""
    return {
        q.name: {
            "title": q.title,
            "description": q.description + " Paper macros: "
            + ", ".join(f"{col} = \\{macro}" for col, macro in q.macros.items()) + ".",
            "sql": q.sql,
        }
        for q in QUERIES
    }
