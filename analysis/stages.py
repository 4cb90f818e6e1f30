"""The stages of the analysis: the one list that drives the command line (``python -m analysis
<stage>``), ``python -m analysis all`` (the stages of ``make analysis``, in order) and the data
package's list of modules documenting ``results/tables/`` (:data:`TABLE_MODULES`).

A stage is a module with ``main(argv) -> int``. It reads only the published ``results/`` (and,
for ``validate``, the labels in ``study/validation/``) and writes derived files; ``reads`` and
``writes`` say which, ``table_modules`` are the modules whose ``TABLE_DOCS`` document the
tables it writes, and ``options`` the options ``all`` passes it (``--results``, ``--tables``,
``--generated``, ``--labels``; a stage without options is not part of ``all``).

Adding a research question: a module with the shape of :mod:`analysis.rq1` listed in
:data:`analysis.stats.RESEARCH_QUESTIONS` (or a stage of its own, like ``rq5``) and its module
in ``table_modules`` here.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass


@dataclass(frozen=True)
class Stage:
    name: str
    module: str
    description: str
    reads: tuple[str, ...]
    writes: tuple[str, ...]
    table_modules: tuple[str, ...] = ()
    options: tuple[str, ...] = ()


STAGES: tuple[Stage, ...] = (
    Stage("stats", "analysis.stats",
          "RQ1-RQ4: prevalences, tests and every number of the paper on the corpus",
          reads=("repo_features.csv", "repo_practices.csv", "corpus.csv", "funnel.csv",
                 "call_sites.csv", "files.csv", "skipped_folders.csv", "provenance.json"),
          writes=("tables/rq1_*.csv ... rq4_*.csv", "tables/rq_sensitivity.csv",
                  "paper/generated/stats.tex", "paper/generated/<table>.tex"),
          table_modules=("analysis.rq1", "analysis.rq2", "analysis.rq3", "analysis.rq4",
                         "analysis.sensitivity"),
          options=("results", "tables", "generated")),
    Stage("rq5", "analysis.rq5", "RQ5: the statistics of the reruns",
          reads=("reruns.csv", "rerun_repos.csv", "variance.csv", "rerun_funnel.csv",
                 "rerun_environments.csv", "rerun_sample.csv", "repo_history.csv", "rerun_causes.csv",
                 "rerun_originals.csv", "rerun_metrics.csv", "repo_features.csv", "repo_practices.csv"),
          writes=("tables/rq5_*.csv", "paper/generated/rq5.tex",
                  "paper/generated/rq5_table.tex"),
          table_modules=("analysis.rq5", "analysis.rq5_study"), options=("results", "tables", "generated")),
    Stage("rq6", "analysis.rq6", "RQ6: how MLflow practice evolves inside a project (the histories)",
          reads=("repo_history.csv", "history_events.csv", "repo_features.csv"),
          writes=("tables/rq6_*.csv", "paper/generated/rq6.tex", "paper/generated/rq6_table.tex"),
          table_modules=("analysis.rq6",), options=("results", "tables", "generated")),
    Stage("validate", "analysis.validation",
          "precision and recall of the detectors against the blind labels",
          reads=("study/validation/*.csv", "call_sites.csv", "files.csv"),
          writes=("tables/validation*.csv", "paper/generated/validation*.tex"),
          table_modules=("analysis.validation",),
          options=("labels", "results", "tables", "generated")),
    Stage("datapackage", "analysis.datapackage",
          "the Frictionless data package of every CSV and its column documentation, validated",
          reads=("*.csv", "tables/*.csv", "provenance.json"), writes=("datapackage.json",),
          options=("results",)),
    Stage("figures", "analysis.figures",
          "executes notebooks/NN-*.ipynb headlessly: one figure each",
          reads=("funnel.csv", "rerun_funnel.csv", "rerun_repos.csv", "tables/rq1_by_location.csv",
                 "tables/rq2_frameworks.csv", "tables/rq2_coverage.csv",
                 "tables/rq3_by_half_year.csv", "tables/rq4_scores_analysed.csv",
                 "tables/rq4_points_analysed.csv", "tables/rq5_verdicts.csv",
                 "tables/rq6_adoption.csv"),
          writes=("paper/figures/NN-*.pdf", "paper/figures/NN-*.png",
                  "paper/figures/figures.csv")),
    Stage("browse", "analysis.browse",
          "the results as one SQLite database, served read-only with Datasette",
          reads=("datapackage.json", "*.csv", "tables/*.csv"), writes=("data/results.db",)),
)

BY_NAME = {s.name: s for s in STAGES}
#: The stages of ``make analysis``, in order.
ANALYSIS = tuple(s for s in STAGES if s.options)
#: The modules whose ``TABLE_DOCS`` document ``results/tables/`` (read by the data package).
TABLE_MODULES = tuple(m for s in STAGES for m in s.table_modules)


def documented_columns(stem: str) -> list[str] | None:
    """The documented columns of the analysis table ``tables/<stem>.csv``, in order (None for
    a table no stage documents)."""
    for name in TABLE_MODULES:
        docs = getattr(importlib.import_module(name), "TABLE_DOCS", {})
        if stem in docs:
            return list(docs[stem]["fields"])
    return None
