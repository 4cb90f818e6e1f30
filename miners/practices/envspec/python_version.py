"""The Python a project declares, from the first of its declarations that names one (see
:func:`declared_python`), and the environment file an ``MLproject`` names.
"""

from __future__ import annotations

import re
from pathlib import Path

from miners.practices.envspec.install import conda_python
from miners.practices.envspec.read import toml_mapping, yaml_mapping


def mlproject_env(root: Path, mlproject: str = "") -> tuple[str, Path | None]:
    """``(kind, file)`` of the environment an MLproject names (``python_env`` or ``conda_env``,
    relative to the MLproject's folder); ``('', None)`` when it names none that exists."""
    if not mlproject:
        return "", None
    data = yaml_mapping(root / mlproject)
    for kind in ("python_env", "conda_env"):
        target = data.get(kind)
        if isinstance(target, str) and (root / mlproject).parent.joinpath(target).is_file():
            return kind, (root / mlproject).parent / target
    return "", None


CONDA_FILES = ("conda.yaml", "conda.yml", "environment.yml", "environment.yaml")
PYTHON_ENV_FILES = ("python_env.yaml", "python_env.yml")


def _rel(root: Path, path: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.name


def _python_env_python(root: Path, mlproject: str) -> tuple[str, str]:
    kind, path = mlproject_env(root, mlproject)
    files = [path] if kind == "python_env" and path else [root / n for n in PYTHON_ENV_FILES]
    for f in files:
        value = str(yaml_mapping(f).get("python") or "").strip() if f.is_file() else ""
        if value:
            return value, _rel(root, f)
    return "", ""


def _conda_env_python(root: Path, mlproject: str) -> tuple[str, str]:
    kind, path = mlproject_env(root, mlproject)
    files = [path] if kind == "conda_env" and path else [root / n for n in CONDA_FILES]
    for f in files:
        value = conda_python(list(yaml_mapping(f).get("dependencies") or [])) if f.is_file() else ""
        if value:
            return value, _rel(root, f)
    return "", ""


def _first_line(path: Path) -> str:
    try:
        lines = [ln.strip() for ln in path.read_text(errors="replace").splitlines() if ln.strip()]
    except OSError:
        return ""
    return lines[0] if lines else ""


def _python_version_file(root: Path, _mlproject: str = "") -> tuple[str, str]:
    m = re.match(r"^(?:python-?|cpython-?)?(3(?:\.\d+){1,2})", _first_line(root / ".python-version"))
    return (m.group(1), ".python-version") if m else ("", "")


def _runtime_txt(root: Path, _mlproject: str = "") -> tuple[str, str]:
    m = re.match(r"^python-(3(?:\.\d+){1,2})", _first_line(root / "runtime.txt"))
    return (m.group(1), "runtime.txt") if m else ("", "")


def _pyproject_python(root: Path, _mlproject: str = "") -> tuple[str, str]:
    data = toml_mapping(root / "pyproject.toml")
    value = (data.get("project") or {}).get("requires-python") or \
        (((data.get("tool") or {}).get("poetry") or {}).get("dependencies") or {}).get("python")
    return (str(value).strip(), "pyproject.toml") if isinstance(value, str) and value.strip() else ("", "")


def _setup_python(root: Path, _mlproject: str = "") -> tuple[str, str]:
    import ast
    import configparser

    if (root / "setup.py").is_file():
        try:
            tree = ast.parse((root / "setup.py").read_text(errors="replace"))
        except (SyntaxError, ValueError):
            tree = None
        for node in ast.walk(tree) if tree else ():
            if isinstance(node, ast.keyword) and node.arg == "python_requires" and \
                    isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
                return node.value.value.strip(), "setup.py"
    cp = configparser.ConfigParser()
    try:
        cp.read_string((root / "setup.cfg").read_text(errors="replace"))
    except (OSError, configparser.Error):
        return "", ""
    value = cp.get("options", "python_requires", fallback="").strip()
    return (value, "setup.cfg") if value else ("", "")


def _dockerfile_python(root: Path, _mlproject: str = "") -> tuple[str, str]:
    for f in [root / "Dockerfile", *sorted(root.glob("*.Dockerfile")), *sorted(root.glob("*/Dockerfile"))]:
        try:
            text = f.read_text(errors="replace")
        except OSError:
            continue
        m = re.search(r"^\s*FROM\s+(?:\S+/)?python:(3(?:\.\d+){1,2})", text, re.M | re.I)
        if m:
            return m.group(1), _rel(root, f)
    return "", ""


def _pyc_python(root: Path, _mlproject: str = "") -> tuple[str, str]:
    from collections import Counter

    tags: Counter[str] = Counter()
    for pyc in root.rglob("__pycache__/*.pyc"):
        m = re.search(r"\.cpython-3(\d+)", pyc.name)
        if m and ".git" not in pyc.relative_to(root).parts:
            tags[m.group(1)] += 1
    if not tags:
        return "", ""
    minor = max(tags, key=lambda t: (tags[t], int(t)))
    return f"3.{minor}", f"pyc:cpython-3{minor}"


PYTHON_SOURCES = (_python_env_python, _conda_env_python, _python_version_file, _runtime_txt, _pyproject_python,
                  _setup_python, _dockerfile_python, _pyc_python)


def declared_python(root: Path, mlproject: str = "") -> tuple[str, str]:
    """``(version or specifier, file)`` of the Python a project declares, from the first of: the
    MLproject's ``python_env`` YAML ``python:`` (else a root ``python_env.yaml``), the conda
    environment's ``python`` dependency (the MLproject's ``conda_env``, else a root
    ``conda.yaml``/``environment.yml``), ``.python-version``, ``runtime.txt`` (``python-3.8.10``),
    ``pyproject.toml`` ``requires-python`` or Poetry's ``python``, ``setup.py``/``setup.cfg``
    ``python_requires``, a Dockerfile's ``FROM python:X.Y``, and the most common
    ``cpython-3XY`` tag of committed ``__pycache__/*.pyc`` files (file ``pyc:cpython-3XY``);
    ``('', '')`` when none declares one."""
    root = Path(root)
    for reader in PYTHON_SOURCES:
        value, source = reader(root, mlproject)
        if value:
            return value, source
    return "", ""
