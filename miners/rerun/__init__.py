"""The rerun harness: re-execute projects in a sandbox and measure how their logged metrics vary.

One module per job: :mod:`~miners.rerun.conditions` (the registry of conditions),
:mod:`~miners.rerun.sampling` (which projects, in which order), :mod:`~miners.rerun.checkout`
(their complete work tree, LFS pointers and absolute-path mappings), :mod:`~miners.rerun.recipes`
(what to run), :mod:`~miners.rerun.environment` (with which packages),
:mod:`~miners.rerun.sandbox` (isolation), :mod:`~miners.rerun.capture` (what the project logged),
:mod:`~miners.rerun.harness` (the runs and their records), :mod:`~miners.rerun.variance` and
:mod:`~miners.rerun.publish` (the CSVs).
"""

from miners.rerun.conditions import CONDITIONS
from miners.rerun.harness import Config, classify, rerun, run_project
from miners.rerun.publish import (
    ENV_COLUMNS,
    FUNNEL_COLUMNS,
    METRIC_COLUMNS,
    PARAM_COLUMNS,
    RECIPE_COLUMNS,
    RUN_COLUMNS,
    funnel,
    publish,
)
from miners.rerun.sampling import SAMPLE_COLUMNS, Project, local_projects, order, sample

__all__ = ["CONDITIONS", "ENV_COLUMNS", "FUNNEL_COLUMNS", "METRIC_COLUMNS", "PARAM_COLUMNS", "RECIPE_COLUMNS",
           "RUN_COLUMNS", "SAMPLE_COLUMNS", "Config", "Project", "classify", "funnel", "local_projects", "order",
           "publish", "rerun", "run_project", "sample"]
