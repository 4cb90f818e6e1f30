"""The rerun harness: re-execute projects in a sandbox and measure how their logged metrics vary.

One module per job: :mod:`~miners.rerun.conditions` (the registry of conditions),
:mod:`~miners.rerun.sample` (which projects), :mod:`~miners.rerun.checkout` (their complete work
tree, LFS pointers and absolute-path mappings), :mod:`~miners.rerun.recipes` (what to run),
:mod:`~miners.rerun.environment` (with which packages), :mod:`~miners.rerun.sandbox` (isolation),
:mod:`~miners.rerun.capture` (what the project logged), :mod:`~miners.rerun.harness` (the runs and
their records), :mod:`~miners.rerun.variance` and :mod:`~miners.rerun.publish` (the CSVs).
"""

from miners.rerun.harness import *  # noqa: F403
from miners.rerun.harness import CONDITIONS, Config, Project, local_projects, publish, rerun, sample  # noqa: F401
