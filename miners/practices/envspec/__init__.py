"""Declared environments: the one reader of the files in which a project declares what it needs,
used by the practices (how exactly dependencies are pinned) and by the rerun harness (what to
install). One module per question:

* :mod:`~miners.practices.envspec.pinning`: which files declare dependencies, and how exactly
  they pin them (``repo_practices.csv``);
* :mod:`~miners.practices.envspec.install`: requirement lines and conda specifications as pip
  requirements that install on Linux, with the reason for each one dropped;
* :mod:`~miners.practices.envspec.recorded`: the exact environments the author's tools recorded
  (lock files, the environment MLflow saved next to a committed model);
* :mod:`~miners.practices.envspec.python_version`: the Python a project declares;
* :mod:`~miners.practices.envspec.read`: package-name normalisation and lenient YAML/TOML reading.

The names below are the reader's interface: ``from miners.practices import envspec`` then
``envspec.<name>``.
"""

from __future__ import annotations

from miners.practices.envspec.install import (
    CONDA_ONLY,
    CONDA_TO_PIP,
    PLATFORM_ONLY,
    REQUIREMENT_FILE_NAMES,
    Declared,
    conda_python,
    conda_requirement,
    conda_version_spec,
    exactly_pinned,
    pip_requirement,
    requirement_file_lines,
    requirement_files,
)
from miners.practices.envspec.pinning import (
    EnvSpec,
    Requirement,
    read_conda,
    read_pipfile,
    read_pyproject,
    read_requirements,
    read_setup_cfg,
)
from miners.practices.envspec.python_version import (
    CONDA_FILES,
    PYTHON_ENV_FILES,
    declared_python,
    mlproject_env,
)
from miners.practices.envspec.read import normalise_name, toml_mapping, yaml_mapping
from miners.practices.envspec.recorded import (
    LOCK_READERS,
    mlruns_model_env,
    read_pipfile_lock,
    read_poetry_lock,
    read_uv_lock,
)

__all__ = [
    "CONDA_FILES", "CONDA_ONLY", "CONDA_TO_PIP", "LOCK_READERS", "PLATFORM_ONLY", "PYTHON_ENV_FILES",
    "REQUIREMENT_FILE_NAMES", "Declared", "EnvSpec", "Requirement", "conda_python", "conda_requirement",
    "conda_version_spec", "declared_python", "exactly_pinned", "mlproject_env", "mlruns_model_env",
    "normalise_name", "pip_requirement", "read_conda", "read_pipfile", "read_pipfile_lock",
    "read_poetry_lock", "read_pyproject", "read_requirements", "read_setup_cfg", "read_uv_lock",
    "requirement_file_lines", "requirement_files", "toml_mapping", "yaml_mapping",
]
