"""Where a project's requirements come from (``env_source``), read as of its checkout.

Definition. The requirements come from the first source that gives any, the author's recorded
environment first (files are read by :mod:`miners.practices.envspec`):

1. ``lock``: ``uv.lock`` (packages the project's own packages need, dev groups not followed),
   ``poetry.lock`` (``category = "dev"`` left out) or ``Pipfile.lock`` (``default`` only), in
   the entry's folder, then the root: every package at its locked version;
2. ``pinned``: a requirements file whose requirements all fix one version (``==``);
3. ``mlruns_model``: the ``requirements.txt`` (else ``python_env.yaml``, else ``conda.yaml``)
   MLflow wrote next to the newest ``MLmodel`` committed under ``mlruns/`` or ``mlartifacts/``;
4. ``python_env``: the MLproject's ``python_env`` YAML (else a root ``python_env.yaml``):
   ``build_dependencies`` and ``dependencies`` (``-r file`` included);
5. ``conda_env``: the MLproject's ``conda_env`` (else a root ``conda.yaml``/``environment.yml``):
   its ``pip:`` list, and conda packages translated to pip specifiers (build strings ignored,
   conda-only packages dropped, see :mod:`miners.practices.envspec`);
6. ``requirements``: requirements files with ranges or bare names;
7. ``pyproject``: ``[project].dependencies``/Poetry dependencies of ``pyproject.toml``, literal
   ``install_requires`` of ``setup.py`` (read with ``ast``, never executed) or ``setup.cfg``;
8. ``inferred``: the top-level imports of the entry's import closure (the ``entry_paths`` files
   and the local modules they import, transitively; the whole repository when no entry is
   given) mapped to distributions (:mod:`miners.rerun.imports`), minus the standard library and
   local modules.

Requirements files are looked for in the entry's folder, then the root, under their usual name,
common misspellings (``requirments.txt``, ``requirement.txt``) and ``requirements/`` base/prod
files (:func:`miners.practices.envspec.requirement_files`). Lines that are not PyPI requirements, invalid
lines, conda-only and platform-only packages are dropped (``dropped``), each with its reason.
The declared Python (``python``, ``python_source``) is :func:`miners.practices.envspec.declared_python`'s.
The sources are the values of :class:`~miners.rerun.vocab.EnvSource`.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from miners.practices import envspec
from miners.practices.envspec import Declared
from miners.rerun.imports import inferred
from miners.rerun.vocab import EnvSource


def _folders(root: Path, entry_folder: str) -> list[Path]:
    return list(dict.fromkeys([root / entry_folder, root] if entry_folder else [root]))


def _from_lock(root: Path, entry_folder: str) -> Declared | None:
    for folder in _folders(root, entry_folder):
        for name, reader in envspec.LOCK_READERS:
            if (folder / name).is_file():
                out = Declared(EnvSource.LOCK)
                for line in reader(folder / name):
                    out.add_pip(line)
                if out.requirements:
                    return out
    return None


def _from_requirement_files(root: Path, entry_folder: str) -> Declared | None:
    for folder in _folders(root, entry_folder):
        out = Declared(EnvSource.REQUIREMENTS)
        for f in envspec.requirement_files(folder):
            for line in envspec.requirement_file_lines(f):
                out.add_pip(line)
        if out.requirements:
            if all(envspec.exactly_pinned(r) for r in out.requirements):
                out.source = EnvSource.PINNED
            return out
    return None


def _from_env_file(kind: str, path: Path, source: EnvSource) -> Declared:
    """The requirements of an environment file of ``kind`` requirements, python_env or conda_env
    (:func:`miners.practices.envspec.mlproject_env`, :func:`miners.practices.envspec.mlruns_model_env`)."""
    out = Declared(source)
    if kind == "requirements":
        for line in envspec.requirement_file_lines(path):
            out.add_pip(line)
        return out
    data = envspec.yaml_mapping(path)
    for dep in list(data.get("build_dependencies") or []) + list(data.get("dependencies") or []):
        if isinstance(dep, dict):
            for line in dep.get("pip") or []:
                out.add_pip(str(line))
        elif isinstance(dep, str) and kind == "python_env" and re.match(r"^\s*-r\s", dep):
            for line in envspec.requirement_file_lines(path.parent / dep.split(None, 1)[1].strip()):
                out.add_pip(line)
        elif isinstance(dep, str):
            (out.add_pip if kind == "python_env" else out.add_conda)(dep)
    return out


def _from_mlproject_env(root: Path, mlproject: str) -> Declared | None:
    kind, path = envspec.mlproject_env(root, mlproject)
    if path is None:
        path = next((root / n for n in envspec.PYTHON_ENV_FILES if (root / n).is_file()), None)
        kind = "python_env" if path else ""
    if path is None:
        path = next((root / n for n in envspec.CONDA_FILES if (root / n).is_file()), None)
        kind = "conda_env" if path else ""
    if path is None:
        return None
    out = _from_env_file(kind, path, EnvSource(kind))
    return out if out.requirements else None


def _from_mlruns(root: Path) -> Declared | None:
    kind, path = envspec.mlruns_model_env(root)
    if path is None:
        return None
    out = _from_env_file(kind, path, EnvSource.MLRUNS_MODEL)
    return out if out.requirements else None


def _from_pyproject(root: Path) -> Declared | None:
    out = Declared(EnvSource.PYPROJECT)
    data = envspec.toml_mapping(root / "pyproject.toml")
    for line in (data.get("project") or {}).get("dependencies") or []:
        out.add_pip(str(line))
    poetry = ((data.get("tool") or {}).get("poetry") or {}).get("dependencies") or {}
    for name, value in poetry.items() if isinstance(poetry, dict) else ():
        if name.lower() != "python":
            version = value if isinstance(value, str) else (value.get("version", "") if isinstance(value, dict) else "")
            out.add_pip(name + _poetry_spec(str(version)))
    for line in _setup_requires(root / "setup.py") + _setup_cfg_requires(root / "setup.cfg"):
        out.add_pip(line)
    return out if out.requirements else None


def _poetry_spec(version: str) -> str:
    """A Poetry constraint as a PEP 440 specifier (``^1.2`` and ``~1.2`` as ``>=1.2``)."""
    v = version.strip()
    if not v or v == "*":
        return ""
    if v[0] in "^~" and v[1:2] != "=":
        return f">={v[1:]}"
    return f"=={v}" if v[0].isdigit() else v


def _setup_requires(path: Path) -> list[str]:
    try:
        tree = ast.parse(path.read_text(errors="replace"))
    except (OSError, SyntaxError, ValueError):
        return []
    for node in ast.walk(tree):
        if isinstance(node, ast.keyword) and node.arg == "install_requires":
            try:
                value = ast.literal_eval(node.value)
            except ValueError:
                return []
            return [str(v) for v in value] if isinstance(value, list | tuple) else []
    return []


def _setup_cfg_requires(path: Path) -> list[str]:
    spec = envspec.EnvSpec()
    if path.is_file():
        envspec.read_setup_cfg(path, path.name, spec)
    return [f"{r.name}{r.spec}" for r in spec.requirements]


def _inferred(root: Path, entry_paths: tuple[str, ...]) -> Declared:
    out = Declared(EnvSource.INFERRED)
    for dist in inferred(root, entry_paths):
        out.add_pip(dist)
    return out


def declared_environment(root: Path, mlproject: str = "", entry_paths: tuple[str, ...] = (),
                         entry_folder: str = "") -> Declared:
    """The requirements (``source`` the first source that gives any), the dropped lines and the
    declared Python of a checkout (module docstring): ``mlproject`` the MLproject file a recipe
    runs, ``entry_paths`` the files it executes, ``entry_folder`` the folder of its first step."""
    root = Path(root)
    files = _from_requirement_files(root, entry_folder)
    pinned = files if files is not None and files.source == EnvSource.PINNED else None
    found = (_from_lock(root, entry_folder) or pinned or _from_mlruns(root) or _from_mlproject_env(root, mlproject)
             or files or _from_pyproject(root) or _inferred(root, entry_paths))
    found.python, found.python_source = envspec.declared_python(root, mlproject)
    return found
