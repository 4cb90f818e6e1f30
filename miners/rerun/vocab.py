"""The rerun harness's vocabularies: every value a categorical column of the rerun tables can
take, each defined once, in one line.

Definition. A *vocabulary* is a :class:`Vocabulary`: a string enumeration whose members are the
allowed values (a member equals its value, ``RunStatus.OK == "ok"``, and is written as it), each
with its ``definition``. The harness sets these columns from the members only
(``tests/test_vocab.py`` fails on a value set as a literal instead of a member), and the
published schema constrains the columns to the tuples of values below (``RUN_STATUSES``, ...),
in the order the data package lists them. Importing this module imports nothing of the harness.

Vocabularies: :class:`RunStatus` (``reruns.csv`` ``status``), :class:`ProbeStatus` (the extra
values of ``rerun_recipes.csv`` ``status``), :class:`CheckStatus` (the extra value of
``harness-check.csv`` ``status``), :class:`EntryKind`, :class:`EnvStatus`,
:class:`EnvSource`, :class:`EnvMode`, :class:`Intervention` (kinds of the lines of
``interventions``, whose wording is :mod:`miners.rerun.interventions`), :class:`Sandbox`,
:class:`Verdict`, :class:`Agreement` and :class:`PickedBy`.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Self


class Vocabulary(StrEnum):
    """A closed set of string values; each member is ``NAME = "value", "definition"``."""

    definition: str

    def __new__(cls, value: str, definition: str = "") -> Self:
        member = str.__new__(cls, value)
        member._value_ = value
        member.definition = definition
        return member

    @classmethod
    def values(cls) -> tuple[str, ...]:
        """The values, in declaration order, as plain strings."""
        return tuple(m.value for m in cls)

    @classmethod
    def definitions(cls) -> dict[str, str]:
        """``{value: definition}`` in declaration order."""
        return {m.value: m.definition for m in cls}


class RunStatus(Vocabulary):
    """Outcome of one run (``reruns.csv`` ``status``); the harness's order of precedence (first
    match wins) is :func:`miners.rerun.outcome.classify`'s."""

    OK = "ok", "exit 0 and at least one metric logged"
    CRASHED_AFTER_METRICS = ("crashed_after_metrics", "failed after logging at least one metric (the metrics are "
                             "kept and count)")
    INSTALL_FAILED = "install_failed", "the environment did not build"
    ENTRY_NOT_FOUND = "entry_not_found", "no recipe: nothing found to run"
    MISSING_MODULE = ("missing_module", "'No module named x' for a module that is not the project's own: a package "
                      "the environment lacks")
    VERSION_CONFLICT = ("version_conflict", "'cannot import name X from' an installed package, or a NumPy binary "
                        "incompatibility: the package is there in another version")
    IMPORT_PATH = ("import_path", "the missing module is the project's own, or a relative import failed: how the "
                   "code is put on the path")
    IMPORT_ERROR = "import_error", "any other ImportError"
    LFS_POINTER = "lfs_pointer", "the run opened a Git LFS pointer file of the checkout, then failed"
    DATA_MISSING = "data_missing", "FileNotFoundError or errno 2"
    NETWORK_BLOCKED = ("network_blocked", "failed after trying to reach a non-loopback host, or with a connection "
                       "or name-resolution error")
    TIMEOUT = "timeout", "killed at the wall-clock limit (metrics logged before are kept)"
    CRASHED = "crashed", "any other failure (exception names its class, or the signal)"
    NO_METRICS = "no_metrics", "exit 0, but no metric logged"


#: Statuses of a run whose metrics count (the variance, the verdicts, the funnel).
METRIC_STATUSES = (RunStatus.OK, RunStatus.CRASHED_AFTER_METRICS)
#: Failures that repeat: when run 1 of a condition ends in one, the later runs are recorded
#: without executing them (unless ``--no-skip``).
REPEATING = frozenset({RunStatus.ENTRY_NOT_FOUND, RunStatus.INSTALL_FAILED, RunStatus.MISSING_MODULE,
                       RunStatus.VERSION_CONFLICT, RunStatus.IMPORT_PATH, RunStatus.IMPORT_ERROR,
                       RunStatus.DATA_MISSING, RunStatus.LFS_POINTER, RunStatus.NETWORK_BLOCKED, RunStatus.TIMEOUT})


class ProbeStatus(Vocabulary):
    """Status of a candidate recipe in ``rerun_recipes.csv`` that was not executed (an executed
    probe has its run's :class:`RunStatus`)."""

    NOT_TRIED = "not_tried", "ranked after the kept recipe or beyond max_recipes: not executed"
    SKIPPED = "skipped", "a command found but not usable (setup, a test, a server, a missing file, a placeholder)"


class CheckStatus(Vocabulary):
    """Status of a read project in ``harness-check.csv`` that has no run (a project with one has
    its first run's :class:`RunStatus`; :mod:`miners.rerun.readings`)."""

    NOT_RUN = "not_run", "no first run as written of the read project in reruns.csv"


class EntryKind(Vocabulary):
    """Kind of recipe a run executed (:func:`miners.rerun.recipes.recipe_kind`)."""

    MLPROJECT = "mlproject", "an MLproject entry run with mlflow run semantics"
    SCRIPT = "script", "scripts found in the code"
    NOTEBOOK = "notebook", "notebooks only, executed top to bottom"
    README = "readme", "a command documented in a README or docs/"
    CI = "ci", "a command of a CI workflow"
    MAKEFILE = "makefile", "a Makefile target"
    DVC = "dvc", "dvc.yaml stages, run directly"
    DOCKER = "docker", "a Dockerfile's WORKDIR and CMD (never built)"
    NONE = "none", "no recipe was found"


class EnvStatus(Vocabulary):
    """Outcome of building a project's environment (:mod:`miners.rerun.environment`); an earlier
    build's record is reused with its status."""

    INSTALLED = "installed", "installed as declared"
    INSTALLED_RELAXED = "installed_relaxed", "installed with the version constraints that failed relaxed"
    INSTALLED_IMPORTS = ("installed_imports", "the declared requirements did not install; the imports of the files "
                         "run were installed instead")
    INSTALL_FAILED = "install_failed", "did not install (failed_requirement and reason say why)"


#: Environment statuses a project can run in.
ENV_OK = (EnvStatus.INSTALLED, EnvStatus.INSTALLED_RELAXED, EnvStatus.INSTALLED_IMPORTS)


class EnvSource(Vocabulary):
    """Where an environment's requirements came from: the first source that gives any, in this
    order (:mod:`miners.rerun.sources`)."""

    LOCK = "lock", "a lock file: uv.lock, poetry.lock or Pipfile.lock"
    PINNED = "pinned", "a requirements file whose requirements all fix one version (==)"
    MLRUNS_MODEL = "mlruns_model", "the environment MLflow saved with the newest committed model under mlruns/"
    PYTHON_ENV = "python_env", "the MLproject's python_env YAML (else a root python_env.yaml)"
    CONDA_ENV = "conda_env", "the MLproject's conda_env (else a root conda.yaml or environment.yml)"
    REQUIREMENTS = "requirements", "requirements files with ranges or bare names"
    PYPROJECT = "pyproject", "pyproject.toml dependencies, or install_requires of setup.py or setup.cfg"
    INFERRED = "inferred", "the imports of the files run (their import closure), mapped to distributions"
    GIVEN = "given", "an existing environment passed with --python-env; nothing installed"


class EnvMode(Vocabulary):
    """The date an environment's packages are resolved as of (a condition's ``environment``)."""

    AS_OF_COMMIT = "as_of_commit", "the pinned commit's date (uv --exclude-newer)"
    LATEST = "latest", "the protocol's fixed recent date ([rerun] latest_date)"


class Intervention(Vocabulary):
    """Kind of one line of ``interventions``: something the harness did beyond running the
    project as committed (the lines are written by :mod:`miners.rerun.interventions`)."""

    RECIPE = "recipe", "the recipe run, where it was found, and the probes that failed before it"
    REPAIR = ("repair", "run 1's recipe repaired and kept because it got further (as a module from the root, "
              "from the script's folder, or without mlflow run semantics)")
    MLFLOW_RUN = ("mlflow_run", "as mlflow run does: an MLflow run holding the entry point's parameters created "
                  "and MLFLOW_RUN_ID exported")
    TRACKING_REDIRECT = "tracking_redirect", "tracking URIs the code asked for redirected to the run's own store"
    PATH_MAPPING = "path_mapping", "an absolute path of the author's machine mapped onto committed files"
    PYTHON = ("python", "a Python other than the declared one: substituted, the declaration unreadable or "
              "impossible, none released before the commit, or the machine's own")
    TORCH_WHEEL = "torch_wheel", "torch taken from the local CPU wheel, or no such wheel for the Python used"
    DATE_CAP = "date_cap", "the installs are not capped at a date (the date is unknown, or pip instead of uv)"
    VENV = "venv", "the virtual environment made with python -m venv (uv could not make it)"
    ADDED = "added", "a package added to the declared requirements"
    DROPPED = "dropped", "a declared line dropped (not installable from PyPI), or an import guess that does not install"
    RELAXED = "relaxed", "a declared requirement's version constraint dropped after it failed to install"
    IMPORTS_INSTEAD = ("imports_instead", "the declared requirements did not install; the imports of the files run "
                       "installed instead")
    NUMPY_BELOW_2 = "numpy_below_2", "re-installed with numpy<2 after a NumPy 1.x/2.x binary incompatibility"


class Sandbox(Vocabulary):
    """Sandbox a run was executed in (:mod:`miners.rerun.sandbox`)."""

    BWRAP = "bwrap", "bubblewrap"
    UNSHARE = "unshare", "unshare (network and user namespaces)"
    NONE = "none", "no sandbox (--unsafe-no-sandbox)"


class Verdict(Vocabulary):
    """Run-to-run verdict of a (repository, condition) (:mod:`miners.rerun.variance`)."""

    IDENTICAL = "identical", "every judged metric bitwise identical across the runs"
    WITHIN_TOLERANCE = "within_tolerance", "every judged metric within a relative 1e-6"
    VARYING = "varying", "some judged metric differs by more"
    NOT_JUDGED = "not_judged", "fewer than two runs whose metrics count, or no metric two of them share"


class Agreement(Vocabulary):
    """Agreement of a rerun's metric with the committed original, from the strongest to the
    weakest (:func:`miners.rerun.variance.agreement`)."""

    IDENTICAL = "identical", "the same IEEE-754 bits"
    WITHIN_1E_6 = "within_1e-6", "within a relative 1e-6 of the original"
    WITHIN_1PCT = "within_1pct", "within a relative 1% of the original"
    DIFFERENT = "different", "further apart"


class PickedBy(Vocabulary):
    """How a project entered the rerun sample (:mod:`miners.rerun.sampling`)."""

    SAMPLE = "sample", "drawn by the seeded sample (make rerun: the main sample, one per template family)"
    EXPLICIT = "explicit", "named with --repos, or a folder of --project-dirs"
    ORIGINALS = ("originals", "make rerun: in the originals stratum only (committed mlruns/ with params and "
                 "metrics), not in the main sample")
    SAMPLE_AND_ORIGINALS = "sample_and_originals", "make rerun: in the main sample and in the originals stratum"
    AFTER_STOP = ("after_stop", "make rerun: drawn by the seeded sample but queued after the main sample's cutoff "
                  "(the position of its target-th judged project; attempted while that project was still running); "
                  "in neither stratum")


class Outcome(Vocabulary):
    """What an attempted project did as written (:mod:`miners.rerun.causes`)."""

    METRICS = "metrics", "a run as written logged metrics that count (ok or crashed_after_metrics)"
    RAN_NO_METRICS = "ran_no_metrics", "a run as written exited 0 but no run logged a metric"
    DID_NOT_RUN = "did_not_run", "no run as written exited 0 or logged a metric"
    NOT_CLONED = "not_cloned", "the pinned commit could not be checked out"


class RootCause(Vocabulary):
    """Why a project did not run (:mod:`miners.rerun.causes`; first rule that matches)."""

    NEEDS_GPU = "needs_gpu", "the probe failed on CUDA or another GPU requirement"
    NEEDS_CREDENTIALS_OR_SERVER = ("needs_credentials_or_server", "the probe needed credentials, an API key, an "
                                   "environment variable or a running server (database, local service)")
    NEEDS_DOWNLOAD = "needs_download", "the probe tried to download data or a model (network blocked)"
    DATA_NOT_IN_REPOSITORY = ("data_not_in_repository", "a file the probe read is not committed, or is a Git LFS "
                              "pointer or a blob the remote did not serve")
    ENVIRONMENT_UNRESOLVABLE = ("environment_unresolvable", "the environment did not build, or lacks a package or "
                                "version the imports need")
    HARNESS_LIMITATION = ("harness_limitation", "nothing found to run, the project's own modules not found from "
                          "where it was run, the time or memory limit, or the harness's own error")
    BROKEN_AS_COMMITTED = "broken_as_committed", "the project's own code failed (no other rule matched)"


#: The values of each vocabulary as plain tuples, in the data package's order.
RUN_STATUSES = RunStatus.values()
PROBE_STATUSES = RUN_STATUSES + ProbeStatus.values()
CHECK_STATUSES = RUN_STATUSES + CheckStatus.values()
ENTRY_KINDS = EntryKind.values()
ENV_STATUSES = EnvStatus.values()
ENV_SOURCES = EnvSource.values()
ENV_MODES = EnvMode.values()
INTERVENTIONS = Intervention.values()
SANDBOXES = Sandbox.values()
VERDICTS = Verdict.values()
AGREEMENTS = Agreement.values()
PICKED_BY = PickedBy.values()
OUTCOMES = Outcome.values()
ROOT_CAUSES = RootCause.values()

__all__ = [
    "AGREEMENTS",
    "CHECK_STATUSES",
    "ENTRY_KINDS",
    "ENV_MODES",
    "ENV_OK",
    "ENV_SOURCES",
    "ENV_STATUSES",
    "INTERVENTIONS",
    "METRIC_STATUSES",
    "OUTCOMES",
    "PICKED_BY",
    "PROBE_STATUSES",
    "REPEATING",
    "ROOT_CAUSES",
    "RUN_STATUSES",
    "SANDBOXES",
    "VERDICTS",
    "Agreement",
    "CheckStatus",
    "EntryKind",
    "EnvMode",
    "EnvSource",
    "EnvStatus",
    "Intervention",
    "Outcome",
    "PickedBy",
    "ProbeStatus",
    "RootCause",
    "RunStatus",
    "Sandbox",
    "Verdict",
    "Vocabulary",
]
