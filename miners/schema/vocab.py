"""The vocabularies the stages share: every allowed value of a categorical column, and the
thresholds more than one stage uses. Producers set values from here, the schema's columns
constrain to them, and the analysis groups by them; a value is defined once.

Definitions are one line per vocabulary; the values' own definitions are in the columns that use
them (:mod:`miners.schema.mined`, :mod:`miners.schema.rerun`) and in study/codebook.md.
"""

from __future__ import annotations

from miners.schema.conditions import CONDITIONS as _REGISTRY

#: Call-site categories of ``call_sites.csv`` (one detector family each, miners' detectors).
CATEGORIES = ("tracking", "seed", "registry", "model_ref")
#: Kinds of candidate file.
FILE_KINDS = ("py", "ipynb")
#: Outcome of reading one candidate file.
FILE_STATUSES = ("parsed", "parse_error", "skipped", "unreadable")
#: Which parser read a parsed file.
PARSERS = ("ast", "libcst")
#: Outcome of cloning one sampled repository.
CLONE_STATUSES = ("cloned", "not_found", "timeout", "error")
#: The random frameworks whose seeding ``seed_coverage`` judges (see the codebook, seed), in the
#: codebook's order.
FRAMEWORKS = ("random", "numpy", "torch", "tensorflow", "jax", "sklearn")
#: Seed coverage of a repository: every, some or none of its used frameworks seeded.
SEED_COVERAGE = ("complete", "partial", "none", "no_random_framework")
#: Points of the traceability score, in the codebook's order.
TRACE_POINTS = ("code", "data", "hyperparameters", "metrics", "model", "environment", "randomness")
#: Share of exactly pinned dependencies from which an environment counts as pinned (the
#: traceability point *environment* and the analysis of pinning use the same threshold).
PINNED_SHARE = 0.8
#: How mlflow is declared among a repository's dependencies.
MLFLOW_PINS = ("exact", "range", "unpinned", "absent")
#: Environment kinds an MLproject file declares.
MLPROJECT_ENVS = ("python_env", "conda_env", "docker_env")

#: API families whose history is recorded (miners/history/walk.py FAMILIES, in its order).
HISTORY_FAMILIES = ("tracking", "metrics", "autolog", "seed", "registry", "registration", "registry_stages",
                    "registry_aliases")
#: Outcome of walking one repository's history.
HISTORY_STATUSES = ("ok", "no_clone", "error")

#: Rerun conditions, in the order of the harness's registry (miners/schema/conditions.py).
CONDITIONS = tuple(_REGISTRY)
#: The rerun tables' vocabularies are the harness's own enumerations (:mod:`miners.rerun.vocab`,
#: each value with its definition; importing it imports nothing of the harness), re-exported here
#: so that every stage finds every vocabulary in one place.
from miners.rerun.vocab import (  # noqa: E402
    AGREEMENTS,
    ENTRY_KINDS,
    ENV_MODES,
    ENV_SOURCES,
    ENV_STATUSES,
    OUTCOMES,
    PICKED_BY,
    ROOT_CAUSES,
    RUN_STATUSES,
    SANDBOXES,
    VERDICTS,
)

__all__ = [
                    "AGREEMENTS",
                    "CATEGORIES",
                    "CLONE_STATUSES",
                    "CONDITIONS",
                    "ENTRY_KINDS",
                    "ENV_MODES",
                    "ENV_SOURCES",
                    "ENV_STATUSES",
                    "FILE_KINDS",
                    "FILE_STATUSES",
                    "FRAMEWORKS",
                    "HISTORY_FAMILIES",
                    "HISTORY_STATUSES",
                    "MLFLOW_PINS",
                    "MLPROJECT_ENVS",
                    "OUTCOMES",
                    "PARSERS",
                    "PICKED_BY",
                    "PINNED_SHARE",
                    "ROOT_CAUSES",
                    "RUN_STATUSES",
                    "SANDBOXES",
                    "SEED_COVERAGE",
                    "TRACE_POINTS",
                    "VERDICTS",
]
