"""The vocabularies the stages share: every allowed value of a categorical column, and the
thresholds more than one stage uses. Producers set values from here, the schema's columns
constrain to them, and the analysis groups by them; a value is defined once.

Definitions are one line per vocabulary; the values' own definitions are in the columns that use
them (:mod:`miners.schema.mined`, :mod:`miners.schema.rerun`) and in study/codebook.md.
"""

from __future__ import annotations

from miners.schema.conditions import CONDITIONS as _REGISTRY

#: Call-site categories of ``call_sites.csv`` (one detector family each, miners' detectors).
CATEGORIES = ("tracking", "seed", "registry")
#: Kinds of candidate file.
FILE_KINDS = ("py", "ipynb")
#: Outcome of reading one candidate file.
FILE_STATUSES = ("parsed", "parse_error", "skipped", "unreadable")
#: Which parser read a parsed file.
PARSERS = ("ast", "libcst")
#: Outcome of cloning one sampled repository.
CLONE_STATUSES = ("cloned", "not_found", "timeout", "too_large", "error")
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

#: Rerun conditions, in the order of the harness's registry (miners/schema/conditions.py).
CONDITIONS = tuple(_REGISTRY)
#: Outcome of one rerun run, in the harness's order of precedence.
RUN_STATUSES = ("ok", "crashed_after_metrics", "install_failed", "entry_not_found", "missing_module",
                "version_conflict", "import_path", "import_error", "lfs_pointer", "data_missing",
                "network_blocked", "timeout", "crashed", "no_metrics")
#: Kind of recipe a rerun executed (where its command came from).
ENTRY_KINDS = ("mlproject", "script", "notebook", "readme", "ci", "makefile", "dvc", "docker", "none")
#: Outcome of building a rerun environment.
ENV_STATUSES = ("installed", "installed_relaxed", "installed_imports", "install_failed", "reused")
#: Where a rerun environment's requirements came from, in the harness's order of preference.
ENV_SOURCES = ("lock", "pinned", "mlruns_model", "python_env", "conda_env", "requirements", "pyproject",
               "inferred", "given")
#: Date the packages of a rerun environment were resolved as of.
ENV_MODES = ("as_of_commit", "latest")
#: Agreement of a rerun's final metric with the committed original.
AGREEMENTS = ("identical", "within_1e-6", "within_1pct", "different")
#: Verdict on the run-to-run variation of a (repository, condition).
VERDICTS = ("identical", "within_tolerance", "varying", "not_judged")
#: Sandbox a rerun ran in.
SANDBOXES = ("bwrap", "unshare", "none")
#: How a project entered the rerun sample.
PICKED_BY = ("sample", "explicit")
