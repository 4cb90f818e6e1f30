"""Build one virtual environment per project for the rerun harness, as of the project's commit.

Definition.

*Requirements* (``env_source``) come from the first source that gives any, the author's
recorded environment first (files are read by :mod:`miners.envspec`):

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
   conda-only packages dropped, see :mod:`miners.envspec`);
6. ``requirements``: requirements files with ranges or bare names;
7. ``pyproject``: ``[project].dependencies``/Poetry dependencies of ``pyproject.toml``, literal
   ``install_requires`` of ``setup.py`` (read with ``ast``, never executed) or ``setup.cfg``;
8. ``inferred``: the top-level imports of the entry's import closure (the ``entry_paths`` files
   and the local modules they import, transitively; the whole repository when no entry is
   given) mapped to distributions (``IMPORT_TO_DIST``), minus the standard library and local
   modules.

Requirements files are looked for in the entry's folder, then the root, under their usual name,
common misspellings (``requirments.txt``, ``requirement.txt``) and ``requirements/`` base/prod
files (:func:`miners.envspec.requirement_files`). Lines that are not PyPI requirements, invalid
lines, conda-only and platform-only packages are dropped (``dropped``), each recorded.

*Python* (:func:`python_for`): the declared version (:func:`miners.envspec.declared_python`,
``python_requested``/``python_source``) among the interpreters on this machine (pyenv's and
those ``uv python list --only-installed`` finds; nothing is downloaded). A version ``X.Y[.Z]``
takes that minor; a specifier (``>=3.8,<3.11``, ``^3.9``, ``3.10.*``) the newest installed minor
that satisfies it and was released before the commit date (``PYTHON_RELEASES``), else the
newest that satisfies it; no declaration: the newest minor released before the commit date
(the machine's own Python when there is no date). A declared version the machine lacks gets the
nearest installed minor, recorded as an intervention. The Python is chosen the same way in both
modes, so ``as_of_commit`` and ``latest`` differ in the package versions only.

*Resolution date* (``mode``, ``resolution_date``): ``as_of_commit`` resolves every install,
including what the harness adds, with ``uv pip install --exclude-newer <commit date in UTC>``
(no cap, recorded, when the commit date is unknown); ``latest`` with ``--exclude-newer
<latest_date>`` (a fixed date of the study protocol).

*Additions*: ``mlflow`` when not declared, ``setuptools<81`` (``pkg_resources``, which older
MLflow imports), ``ipykernel``/``nbclient``/``nbformat`` for a notebook entry, and the
distributions that the files run import (their import closure) but the declared environment
does not name (``added``; a person who meets ``No module named x`` installs x).
A project that needs ``torch`` runs on Python 3.11 with the local CPU wheel when its declared
Python admits 3.11 (PyPI serves only CUDA builds for Linux), recorded.

*Install* (``env_status``): uv (else ``python -m venv`` + uv, else pip) into ``<env>/venv``, a
package cache shared by all projects, ``torch`` pinned to a local CPU wheel when one is given
(``wheels``); compiled scientific packages (``WHEELS_ONLY``) from wheels only, never built from
source. ``installed``: as declared. When the installer fails, the requirement its error
names is relaxed (its version constraint dropped; a bare name that cannot be installed is
dropped) and the install retried, at most ``RELAX_ROUNDS`` times (``installed_relaxed``);
when the declared requirements still do not install, the imports of the files run
are installed instead (``installed_imports``, ``env_source`` then ``inferred``); otherwise
``install_failed`` with the failing requirement; an install that takes longer than
``timeout`` is ``install_failed`` with that reason. After an install, the installed top-level
imports of the entry's closure (and numpy's compiled dependents) are imported once; an error
of a NumPy 1.x binary against NumPy 2 (``NUMPY_ABI_ERRORS``) re-installs once with ``numpy<2``.
``reused``: the record of an earlier build (``env.json``) is returned as it was.

Every step beyond the author's declared environment is one line of ``interventions``. The
resolved versions (``pip freeze``) are the project's lock; their SHA-256 with the Python version
is the environment fingerprint.
"""

from __future__ import annotations

import ast
import datetime as dt
import functools
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePosixPath

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet

from miners.practices import envspec
from miners.practices.envspec import Declared, normalise_name
from miners.scan.files import list_candidates

IMPORT_TO_DIST = {
    "sklearn": "scikit-learn", "cv2": "opencv-python-headless", "PIL": "pillow", "yaml": "pyyaml",
    "bs4": "beautifulsoup4", "pythonjsonlogger": "python-json-logger", "skimage": "scikit-image", "dotenv": "python-dotenv", "attr": "attrs",
    "Bio": "biopython", "google.protobuf": "protobuf", "dateutil": "python-dateutil", "jwt": "pyjwt",
    "mpl_toolkits": "matplotlib", "tensorflow_hub": "tensorflow-hub", "lightning": "lightning",
    "pytorch_lightning": "pytorch-lightning", "hydra": "hydra-core", "omegaconf": "omegaconf",
    "sentence_transformers": "sentence-transformers", "docx": "python-docx", "fitz": "pymupdf",
    "magic": "python-magic", "Levenshtein": "python-levenshtein", "serial": "pyserial", "zmq": "pyzmq",
    "git": "gitpython", "IPython": "ipython", "ipywidgets": "ipywidgets", "tf_keras": "tf-keras",
    "keras": "keras", "xgboost": "xgboost", "lightgbm": "lightgbm", "catboost": "catboost",
    "prefect": "prefect", "dagshub": "dagshub", "optuna": "optuna", "hyperopt": "hyperopt",
}
NOT_ON_PYPI = {"__future__", "google", "setuptools", "pkg_resources", "distutils", "_typeshed"}
CONDA_TO_PIP = envspec.CONDA_TO_PIP
TORCH_PIN = "torch==2.13.0+cpu"
# Compiled scientific packages are installed from wheels only: a version without a wheel for the
# chosen Python is not built from source (minutes of compiling, and old releases rarely build
# on a newer Python); an exact pin of such a version fails to install and is relaxed, recorded.
WHEELS_ONLY = ("numpy", "pandas", "scipy", "scikit-learn", "matplotlib", "torch", "tensorflow", "xgboost",
               "lightgbm", "catboost", "pyarrow", "h5py", "numba", "llvmlite", "statsmodels", "scikit-image",
               "opencv-python", "opencv-python-headless", "grpcio", "tokenizers", "shap")
PYTHON_RELEASES = {(3, 6): "2016-12-23", (3, 7): "2018-06-27", (3, 8): "2019-10-14", (3, 9): "2020-10-05",
                   (3, 10): "2021-10-04", (3, 11): "2022-10-24", (3, 12): "2023-10-02", (3, 13): "2024-10-07"}
MODES = ("as_of_commit", "latest")
RELAX_ROUNDS = 3
NUMPY_ABI_ERRORS = ("numpy.dtype size changed", "numpy.core.multiarray failed to import", "_ARRAY_API not found",
                    "compiled using NumPy 1.x")
NUMPY_DEPENDENTS = ("pandas", "sklearn", "scipy", "matplotlib", "h5py", "numba", "tables", "pyarrow",
                    "statsmodels", "skimage", "cv2", "tensorflow", "torch", "xgboost", "lightgbm")
Minor = tuple[int, int]


@dataclass
class EnvResult:
    """One project's environment. ``seconds``: wall-clock time of the build (s); ``mode`` and
    ``resolution_date``: the ``--exclude-newer`` date the installs used ('' for none);
    ``python_requested``/``python_source``: the declared Python and the file declaring it;
    ``python``: the version used; ``interventions``: everything done beyond the declared
    environment, one line each. ``python_required`` repeats ``python_requested``."""

    env_source: str = ""
    env_status: str = ""  # installed | installed_relaxed | install_failed | reused
    reason: str = ""
    failed_requirement: str = ""
    python_required: str = ""
    python: str = ""
    requirements: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    seconds: float = 0.0
    packages: int = 0
    fingerprint: str = ""
    lock: str = ""
    venv: str = ""
    mode: str = ""
    resolution_date: str = ""
    python_requested: str = ""
    python_source: str = ""
    interventions: list[str] = field(default_factory=list)
    guessed: list[str] = field(default_factory=list)  # additions inferred from imports, dropped if they fail

    @property
    def ok(self) -> bool:
        return self.env_status in ("installed", "installed_relaxed", "installed_imports", "reused")


# ------------------------------------------------------------------------------------ Python


def _version_of(python: str) -> str:
    """The full version of an interpreter ('' when it does not run)."""
    try:
        proc = subprocess.run([python, "-c", "import platform; print(platform.python_version())"],
                              capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return proc.stdout.strip() if proc.returncode == 0 else ""


def _uv_pythons() -> list[str]:
    uv = _installer()
    if not uv:
        return []
    try:
        proc = subprocess.run([*uv, "python", "list", "--only-installed", "--output-format", "json"],
                              capture_output=True, text=True, timeout=60, check=False,
                              env={**os.environ, "UV_PYTHON_DOWNLOADS": "never"})
        found = json.loads(proc.stdout or "[]")
    except (OSError, subprocess.TimeoutExpired, ValueError):
        return []
    return [str(p.get("path")) for p in found if isinstance(p, dict) and p.get("path")
            and "/shims/" not in str(p.get("path"))]


@functools.cache
def installed_pythons() -> dict[Minor, tuple[str, str]]:
    """``{(3, minor): (full version, interpreter)}`` of the CPython 3 interpreters on this machine:
    ``$PYENV_ROOT/versions/*/bin/python3.X`` (default ``~/.pyenv``), those uv finds installed,
    and the machine's own; the newest patch of each minor."""
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    paths = [str(p) for p in sorted(pyenv.glob("*/bin/python3.*")) if re.fullmatch(r"python3\.\d+", p.name)]
    out: dict[Minor, tuple[str, str]] = {}
    for path in [*paths, *_uv_pythons(), base_python()]:
        version = _version_of(path)
        m = re.match(r"^3\.(\d+)\.(\d+)", version)
        if not m:
            continue
        key, patch = (3, int(m.group(1))), int(m.group(2))
        if key not in out or patch > int(out[key][0].split(".")[2].rstrip("+")):
            out[key] = (version, path)
    return out


def _released_before(minor: Minor, date: str) -> bool:
    released = PYTHON_RELEASES.get(minor)
    return bool(date) and released is not None and released < date[:10]


def python_specifier(requested: str) -> SpecifierSet | None:
    """A declared Python as a specifier: ``3.8``/``3.8.10`` are ``==3.8.*``; Poetry's ``^3.9`` is
    ``>=3.9,<4`` and ``~3.9`` ``>=3.9,<3.10``; PEP 440 specifiers as written; None when unreadable."""
    text = requested.strip().replace(" ", "").split("||")[0]
    m = re.fullmatch(r"(\d+)\.(\d+)(?:\.\d+)?(?:\.\*)?", text)
    if m:
        return SpecifierSet(f"=={m.group(1)}.{m.group(2)}.*")
    text = re.sub(r"\^(\d+)\.(\d+)(?:\.\d+)?", lambda k: f">={k.group(1)}.{k.group(2)},<{int(k.group(1)) + 1}", text)
    text = re.sub(r"~(\d+)\.(\d+)(?:\.\d+)?(?!=)",
                  lambda k: f">={k.group(1)}.{k.group(2)},<{k.group(1)}.{int(k.group(2)) + 1}", text)
    try:
        return SpecifierSet(text)
    except InvalidSpecifier:
        return None


def _allows(spec: SpecifierSet, minor: Minor) -> bool:
    return any(spec.contains(f"{minor[0]}.{minor[1]}.{patch}") for patch in (0, 30))


def choose_python(requested: str, date: str, available: dict[Minor, tuple[str, str]]) -> tuple[Minor, list[str]]:
    """The minor to use among ``available`` for a declared Python and a commit date (see module
    docstring), with the substitution recorded when the declared one is not available."""
    dated = [m for m in available if _released_before(m, date)]
    if not requested.strip():
        if dated:
            return max(dated), []
        if date:
            return min(available), [f"python {_fmt(min(available))}: none on this machine released before {date[:10]}"]
        return _machine_minor(available), []
    spec = python_specifier(requested)
    if spec is None:
        fallback = max(dated) if dated else _machine_minor(available)
        return fallback, [f"python {_fmt(fallback)} used: declared python {requested!r} is not readable"]
    fits = [m for m in available if _allows(spec, m)]
    if fits:
        return max([m for m in fits if m in dated] or fits), []
    wanted = [(3, k) for k in range(0, 20) if _allows(spec, (3, k))]
    if not wanted:
        fallback = max(dated) if dated else _machine_minor(available)
        return fallback, [f"python {_fmt(fallback)} used: declared python {requested} allows no Python 3"]
    nearest = min(available, key=lambda m: (min(abs(m[1] - w[1]) for w in wanted), -m[1]))
    return nearest, [f"python {_fmt(nearest)} substituted for declared {requested} (not on this machine)"]


def _fmt(minor: Minor) -> str:
    return f"{minor[0]}.{minor[1]}"


def _machine_minor(available: dict[Minor, tuple[str, str]]) -> Minor:
    own = (sys.version_info.major, sys.version_info.minor)
    return own if own in available else max(available)


def python_for(root: Path, commit_date: str, *, mlproject: str = "") -> tuple[str, str, str, list[str]]:
    """``(requested, source, interpreter path, interventions)``: the Python a project declares
    (:func:`miners.envspec.declared_python`; the MLproject ``mlproject``, else a root
    ``MLproject``) and the interpreter chosen for it (:func:`choose_python`)."""
    root = Path(root)
    if not mlproject:
        mlproject = next((p.name for p in sorted(root.glob("*")) if p.name.lower() == "mlproject" and p.is_file()), "")
    requested, source = envspec.declared_python(root, mlproject)
    available = installed_pythons()
    if not available:
        return requested, source, base_python(), ["no Python 3 interpreter found: the machine's Python used"]
    minor, notes = choose_python(requested, commit_date, available)
    return requested, source, available[minor][1], notes


# ------------------------------------------------------------------------------ requirements


def _folders(root: Path, entry_folder: str) -> list[Path]:
    return list(dict.fromkeys([root / entry_folder, root] if entry_folder else [root]))


def _from_lock(root: Path, entry_folder: str) -> Declared | None:
    for folder in _folders(root, entry_folder):
        for name, reader in envspec.LOCK_READERS:
            if (folder / name).is_file():
                out = Declared("lock")
                for line in reader(folder / name):
                    out.add_pip(line)
                if out.requirements:
                    return out
    return None


def _from_requirement_files(root: Path, entry_folder: str) -> Declared | None:
    for folder in _folders(root, entry_folder):
        out = Declared("requirements")
        for f in envspec.requirement_files(folder):
            for line in envspec.requirement_file_lines(f):
                out.add_pip(line)
        if out.requirements:
            if all(envspec.exactly_pinned(r) for r in out.requirements):
                out.source = "pinned"
            return out
    return None


def _from_env_file(kind: str, path: Path, source: str) -> Declared:
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
    out = _from_env_file(kind, path, kind)
    return out if out.requirements else None


def _from_mlruns(root: Path) -> Declared | None:
    kind, path = envspec.mlruns_model_env(root)
    if path is None:
        return None
    out = _from_env_file(kind, path, "mlruns_model")
    return out if out.requirements else None


def _from_pyproject(root: Path) -> Declared | None:
    out = Declared("pyproject")
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
    out = Declared("inferred")
    for dist in inferred(root, entry_paths):
        out.add_pip(dist)
    return out


def _declared(root: Path, mlproject: str, entry_paths: tuple[str, ...], entry_folder: str) -> Declared:
    root = Path(root)
    files = _from_requirement_files(root, entry_folder)
    pinned = files if files is not None and files.source == "pinned" else None
    found = (_from_lock(root, entry_folder) or pinned or _from_mlruns(root) or _from_mlproject_env(root, mlproject)
             or files or _from_pyproject(root) or _inferred(root, entry_paths))
    found.python, found.python_source = envspec.declared_python(root, mlproject)
    return found


def declared_requirements(root: Path, mlproject: str = "", entry_paths: tuple[str, ...] = (),
                          entry_folder: str = "") -> tuple[str, list[str], list[str], str, str]:
    """``(env_source, requirements, dropped, python_requested, python_source)`` by the order of
    the module docstring; each dropped line is ``'<line> (<reason>)'``."""
    d = _declared(root, mlproject, tuple(entry_paths), entry_folder)
    return d.source, d.requirements, [f"{line} ({why})" for line, why in d.dropped], d.python, d.python_source


def declared(root: Path, mlproject: str = "", entry_folder: str = "") -> tuple[str, list[str], list[str], str]:
    """``(env_source, requirements, dropped lines, python_required)`` of
    :func:`declared_requirements` for the whole repository (the dropped lines without reasons)."""
    d = _declared(root, mlproject, (), entry_folder)
    return d.source, d.requirements, [line for line, _ in d.dropped], d.python


# ---------------------------------------------------------------------------- import closure


def _imports(tree: ast.AST) -> list[tuple[str, int, list[str]]]:
    """``(module, level, imported names)`` of every import statement."""
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(a.name, 0, []) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            out.append((node.module or "", node.level, [a.name for a in node.names]))
    return out


def _parse(root: Path, rel: str) -> ast.AST | None:
    from miners.scan.notebooks import read_code_cells

    try:
        text = (root / rel).read_text(errors="replace")
        if rel.endswith(".ipynb"):
            text = "\n".join(c.source for c in read_code_cells(text))
        return ast.parse(text)
    except (OSError, SyntaxError, ValueError):
        return None


def _local_module(root: Path, bases: list[PurePosixPath], dotted: str) -> tuple[bool, list[str]]:
    """Whether ``dotted`` names a module or package of the checkout (under one of ``bases``), and
    the files importing it executes (the module or the package's ``__init__.py``, and the
    ``__init__.py`` of the packages above it)."""
    parts = [p for p in dotted.split(".") if p]
    for base in bases:
        for k in range(len(parts), 0, -1):
            stem = base.joinpath(*parts[:k])
            files = [str(f) for f in (stem.with_suffix(".py"), stem / "__init__.py") if (root / f).is_file()]
            if files or (k == len(parts) and (root / stem).is_dir()):
                inits = [str(base.joinpath(*parts[:j], "__init__.py")) for j in range(1, k)]
                return True, files + [f for f in inits if (root / f).is_file()]
    return False, []


def import_closure(root: Path, entry_paths: tuple[str, ...]) -> tuple[list[str], set[str]]:
    """``(local files, third-party top-level modules)`` of the entry's import closure: the
    ``entry_paths`` files (posix, relative to ``root``), then every local module they import,
    transitively. An import is local when it resolves to a file or folder of the checkout
    relative to the root, ``src/``, the importing file's folder or the entry folders (relative
    imports: the importing file's package)."""
    root = Path(root)
    todo = [p for p in entry_paths if (root / p).is_file()]
    seen: set[str] = set()
    third: set[str] = set()
    entry_dirs = [PurePosixPath(p).parent for p in entry_paths]
    while todo:
        rel = todo.pop()
        if rel in seen:
            continue
        seen.add(rel)
        tree = _parse(root, rel)
        here = PurePosixPath(rel).parent
        for module, level, names in _imports(tree) if tree else ():
            if level:
                base = here.parents[level - 2] if level > 1 and len(here.parents) >= level - 1 else here
                for dotted in [module] + [f"{module}.{n}" for n in names]:
                    todo += _local_module(root, [base], dotted)[1]
                continue
            bases = list(dict.fromkeys([PurePosixPath("."), PurePosixPath("src"), here, *entry_dirs]))
            is_local, files = _local_module(root, bases, module)
            if not is_local:
                third.add(module)
                continue
            todo += files
            for name in names:
                todo += _local_module(root, bases, f"{module}.{name}")[1]
    return sorted(seen), third


def _repository_imports(root: Path) -> set[str]:
    """Top-level imports of every candidate file, minus the repository's own module names."""
    modules: set[str] = set()
    local: set[str] = set()
    for cand in list_candidates(root):
        parts = cand.path.split("/")
        local.update({parts[0].removesuffix(".py"), parts[-1].removesuffix(".py").removesuffix(".ipynb"), *parts[:-1]})
        tree = None if cand.skip_status else _parse(root, cand.path)
        if tree is not None:
            modules.update(m for m, level, _ in _imports(tree) if m and not level)
    return {m for m in modules if m.split(".")[0] not in local or m in IMPORT_TO_DIST}


def distributions(modules: set[str]) -> list[str]:
    """PyPI distributions of imported modules (``IMPORT_TO_DIST``, else the top-level name with
    ``_`` as ``-``), minus the standard library and ``NOT_ON_PYPI``."""
    dists = set()
    for mod in modules:
        top = mod.split(".")[0]
        if (top in sys.stdlib_module_names or top in NOT_ON_PYPI) and mod not in IMPORT_TO_DIST:
            continue
        dists.add(IMPORT_TO_DIST.get(mod) or IMPORT_TO_DIST.get(top) or top.replace("_", "-"))
    return sorted(dists)


def inferred(root: Path, entry_paths: tuple[str, ...] = ()) -> list[str]:
    """Distributions for the imports of the entry's import closure (:func:`import_closure`), or
    of the whole repository when no entry is given (see module docstring)."""
    if entry_paths:
        return distributions(import_closure(Path(root), tuple(entry_paths))[1])
    return distributions(_repository_imports(Path(root)))


# ------------------------------------------------------------------------------------ install


def utc_timestamp(value: str) -> str:
    """An ISO 8601 date or timestamp in UTC, RFC 3339 (``2022-12-05T19:41:18Z``); a date alone
    is its midnight UTC, a timestamp without offset is read as UTC; '' when empty or unreadable."""
    text = value.strip().replace("Z", "+00:00")
    if not text:
        return ""
    try:
        stamp = dt.datetime.fromisoformat(text)
    except ValueError:
        return ""
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=dt.UTC)
    return stamp.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def resolution_date(mode: str, commit_date: str, latest_date: str) -> tuple[str, list[str]]:
    """The ``--exclude-newer`` value of a mode ('' for none) and the record of a missing one."""
    if mode not in MODES:
        raise ValueError(f"unknown environment mode {mode!r} (expected one of {', '.join(MODES)})")
    given = commit_date if mode == "as_of_commit" else latest_date
    date = utc_timestamp(given)
    if date:
        return date, []
    what = "commit date" if mode == "as_of_commit" else "latest_date"
    return "", [f"no date cap: the {what} is {'unreadable (' + given + ')' if given.strip() else 'unknown'}"]


def additions(names: set[str], entry_kind: str) -> list[str]:
    """What the harness adds to the declared requirements (module docstring)."""
    added = [] if names & {"mlflow", "mlflow-skinny"} else ["mlflow"]
    if "setuptools" not in names:
        added.append("setuptools<81")
    if entry_kind == "notebook":
        added += [n for n in ("ipykernel", "nbclient", "nbformat") if n not in names]
    return added


def _installer() -> list[str] | None:
    uv = shutil.which("uv") or str(Path(sys.executable).parent / "uv")
    return [uv] if Path(uv).exists() else None


def base_python() -> str:
    """The machine's Python (outside any virtual environment)."""
    exe = Path(sys.base_prefix) / "bin" / f"python{sys.version_info.major}.{sys.version_info.minor}"
    return str(exe if exe.exists() else Path(sys.base_prefix) / "bin" / "python3")


def given(prefix: Path) -> EnvResult:
    """An existing environment used for every project (``--python-env``: trying a project by
    hand, or tests): nothing is installed; ``env_source`` is ``given``."""
    vpy = Path(prefix) / "bin" / "python"
    freeze = subprocess.run([vpy, "-m", "pip", "freeze"], capture_output=True, text=True, check=False).stdout
    version = _version_of(str(vpy))
    return EnvResult(env_source="given", env_status="installed", python=version, venv=str(Path(prefix).resolve()),
                     packages=sum(1 for line in freeze.splitlines() if line and not line.startswith("#")),
                     fingerprint=hashlib.sha256(f"python {version}\n{freeze}".encode()).hexdigest()[:16], lock=freeze)


@dataclass
class _Installer:
    """How packages go into one venv: uv (with the date cap) or pip, the torch override."""

    env_dir: Path
    vpy: str
    uv: list[str] | None
    environ: dict[str, str]
    exclude_newer: str
    wheels: Path | None
    timeout: float

    def command(self, requirements: Path) -> list[str]:
        pins = self.wheels is not None and any(Path(self.wheels).glob("torch-2.13.0*.whl"))
        if self.uv:
            cmd = [*self.uv, "pip", "install", "-q", "--python", self.vpy, "-r", str(requirements)]
            cmd += ["--exclude-newer", self.exclude_newer] if self.exclude_newer else []
            cmd += [a for name in WHEELS_ONLY for a in ("--only-binary", name)]
            if pins:
                overrides = self.env_dir / "overrides.txt"
                overrides.write_text(TORCH_PIN + "\n")
                cmd += ["--override", str(overrides), "--find-links", str(self.wheels)]
            return cmd
        return [self.vpy, "-m", "pip", "install", "-q", "-r", str(requirements)] + \
            (["--find-links", str(self.wheels)] if pins else [])

    def install(self, lines: list[str]) -> tuple[int, str]:
        """``(exit code, stderr)`` of one install; -1 when it ran past the timeout."""
        requirements = self.env_dir / "requirements.in"
        requirements.write_text("".join(line + "\n" for line in lines))
        try:
            proc = subprocess.run(self.command(requirements), capture_output=True, text=True, env=self.environ,
                                  timeout=self.timeout, check=False)
        except subprocess.TimeoutExpired:
            return -1, f"the install took longer than {self.timeout:.0f} s"
        return proc.returncode, proc.stderr

    def freeze(self) -> str:
        cmd = [*self.uv, "pip", "freeze", "--python", self.vpy] if self.uv else [self.vpy, "-m", "pip", "freeze"]
        return subprocess.run(cmd, capture_output=True, text=True, env=self.environ, check=False).stdout


def _environ(cache_dir: Path | None) -> dict[str, str]:
    environ = {**os.environ, "UV_NO_PROGRESS": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1",
               "UV_PYTHON_DOWNLOADS": "never"}
    if cache_dir is not None:
        environ.update(UV_CACHE_DIR=str(cache_dir), PIP_CACHE_DIR=str(Path(cache_dir) / "pip"))
    for key in ("GITHUB_TOKEN", "VIRTUAL_ENV", "UV_EXCLUDE_NEWER"):
        environ.pop(key, None)
    return environ


def _create_venv(python: str, venv: Path, uv: list[str] | None, environ: dict[str, str],
                 date: str) -> tuple[str, list[str]]:
    """Make the venv: ``uv venv --seed`` (seed packages as of ``date``), else ``python -m venv``.
    Returns ``(error, interventions)``; error '' when it was made."""
    if venv.exists():
        shutil.rmtree(venv)
    err = "uv is not available"
    if uv:
        cmd = [*uv, "venv", "-q", "--seed", "--python", python, str(venv)] + (["--exclude-newer", date] if date else [])
        proc = subprocess.run(cmd, capture_output=True, text=True, env=environ, check=False)
        if proc.returncode == 0:
            return "", []
        err = _tail(proc.stderr, 200)
        shutil.rmtree(venv, ignore_errors=True)
    proc = subprocess.run([python, "-m", "venv", str(venv)], capture_output=True, text=True, env=environ, check=False)
    if proc.returncode != 0:
        return "could not create the virtual environment: " + _tail(proc.stderr), []
    return "", [f"venv made with python -m venv ({err})"]


def relaxed(requirement: str) -> str | None:
    """A requirement without its version constraint (name, extras and marker kept); None when it
    had none (a name that cannot be installed at all)."""
    try:
        req = Requirement(requirement)
    except InvalidRequirement:
        return None
    if not req.specifier and not req.url:
        return None
    extras = f"[{','.join(sorted(req.extras))}]" if req.extras else ""
    return f"{req.name}{extras}" + (f"; {req.marker}" if req.marker else "")


def failing_requirement(stderr: str, lines: list[str]) -> str:
    """The requirement of ``lines`` that the installer's error names first (uv's or pip's
    wording: "Because there is no version of numpy==1.19.5", "Failed to build `x==1.0`", "x was
    not found in the package registry", ...), else ''."""
    patterns = [r"Because (?:there is no version of |there are no versions of |only |all versions of |)"
                r"([A-Za-z0-9][\w.\-\[\]]*)",
                r"Failed to (?:build|download|prepare distributions?)(?: and build)?\s*`?([A-Za-z0-9][\w.\-]*)",
                r"No solution found.*?\n.*?([A-Za-z0-9][\w.\-]*)[<>=!~]",
                r"Could not find a version that satisfies the requirement ([^\s]+)",
                r"Failed building wheel for ([^\s]+)", r"([A-Za-z0-9][\w.\-]*) was not found in the package registry"]
    by_name: dict[str, str] = {}
    for line in lines:
        by_name.setdefault(_name(line), line)
    hits = []
    for pat in patterns:
        hits += [(m.start(), _name(m.group(1).strip("`'\""))) for m in re.finditer(pat, stderr, re.S)]
    return next((by_name[name] for _, name in sorted(hits) if name in by_name), "")


def _name(req: str) -> str:
    m = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", req)
    return normalise_name(m.group(1)) if m else req


def name_of(req: str) -> str:
    """The normalised distribution name of a requirement string."""
    return _name(req)


def numpy_abi_error(output: str) -> str:
    """The NumPy 1.x/2.x binary incompatibility an import's output shows (one of
    ``NUMPY_ABI_ERRORS``), else ''."""
    return next((sign for sign in NUMPY_ABI_ERRORS if sign in output), "")


_IMPORT_CHECK = """import importlib, importlib.util, sys
for name in sys.argv[1:]:
    try:
        if importlib.util.find_spec(name) is not None:
            importlib.import_module(name)
    except BaseException as exc:
        print(name, type(exc).__name__, exc)
"""


def import_check(vpy: str, modules: list[str], environ: dict[str, str], timeout: float = 300.0) -> str:
    """Output (stdout and stderr) of importing each installed module of ``modules`` in the venv."""
    try:
        proc = subprocess.run([vpy, "-c", _IMPORT_CHECK, *modules], capture_output=True, text=True,
                              env={**environ, "MPLBACKEND": "Agg"}, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return ""
    return proc.stdout + proc.stderr


def _install(inst: _Installer, result: EnvResult, declared: list[str], extra: list[str]) -> tuple[str, list[str]]:
    """Install ``declared`` + ``result.added`` + ``extra``, relaxing what fails (module
    docstring). Returns ``(env_status, the declared lines as installed)``; on failure sets
    ``reason`` and ``failed_requirement``."""
    lines = list(declared)
    for round_ in range(RELAX_ROUNDS + 1):
        code, err = inst.install(lines + result.added + extra)
        if code == 0:
            return ("installed" if lines == declared else "installed_relaxed"), lines
        failed = "" if code == -1 else failing_requirement(err, lines + result.added)
        if failed in result.guessed and round_ < RELAX_ROUNDS:  # our guess from an import, not the author's
            result.added.remove(failed)
            result.guessed.remove(failed)
            result.interventions.append(f"dropped {failed} (imported, but no such distribution installs)")
            continue
        result.failed_requirement = result.failed_requirement or failed
        result.reason = _tail(err)
        if not failed or failed not in lines or round_ == RELAX_ROUNDS:
            return "install_failed", lines
        loose = relaxed(failed)
        lines = [loose if line == failed else line for line in lines if line != failed or loose]
        result.interventions.append(f"{'relaxed' if loose else 'dropped'} {failed} (failed to install)")
    return "install_failed", lines


def _numpy_retry(inst: _Installer, result: EnvResult, lines: list[str], modules: list[str]) -> None:
    """Re-install once with ``numpy<2`` when importing the installed packages shows a NumPy
    binary incompatibility (:func:`numpy_abi_error`)."""
    if not re.search(r"^numpy==2\.", inst.freeze(), re.M | re.I):
        return
    sign = numpy_abi_error(import_check(inst.vpy, modules, inst.environ))
    if not sign:
        return
    code, err = inst.install(lines + result.added + ["numpy<2"])
    note = f"numpy<2 (binary incompatibility: {sign})"
    result.interventions.append(note if code == 0 else f"{note} did not install: {_tail(err, 200)}")


def _check_modules(root: Path, entry_paths: tuple[str, ...]) -> list[str]:
    tops = {m.split(".")[0] for m in import_closure(root, entry_paths)[1]} if entry_paths else set()
    tops = {t for t in tops if t.isidentifier() and t not in sys.stdlib_module_names}
    return sorted(tops | set(NUMPY_DEPENDENTS))


def _install_or_imports(inst: _Installer, result: EnvResult, d: Declared, imports: list[str]) -> tuple[str, list[str]]:
    """Install the declared requirements (:func:`_install`); when they do not install even
    relaxed, install ``imports`` (the distributions the files run import) instead, recorded
    (``installed_imports``, ``env_source`` becomes ``inferred``)."""
    status, lines = _install(inst, result, d.requirements, [])
    if status != "install_failed" or not imports:
        return status, lines
    note = (f"the declared requirements ({d.source}) did not install ({result.failed_requirement or 'see log'}); "
            "installed the imports of the files run instead")
    fallback, lines = _install(inst, result, imports, [])
    if fallback == "install_failed":
        return fallback, lines
    result.env_source, result.requirements = "inferred", lines
    result.interventions.append(note)
    return "installed_imports", lines


def _undeclared_imports(root: Path, entry_paths: tuple[str, ...], d: Declared) -> list[str]:
    """Distributions the files run import (their import closure) that the declared environment
    does not name: a person who meets ``No module named x`` installs x. Nothing is added to an
    inferred environment (it is the imports already)."""
    if d.source == "inferred" or not entry_paths:
        return []
    names = {name_of(r) for r in d.requirements}
    return [dist for dist in inferred(root, entry_paths) if name_of(dist) not in names]


def _torch_python(python: str, d: Declared, wheels: Path | None) -> tuple[str, list[str]]:
    """PyPI serves only CUDA builds of torch for Linux (gigabytes); the local CPU wheel
    (``wheels``) is for Python 3.11. A project that needs torch therefore runs on 3.11 with that
    wheel when the project's declared Python admits 3.11 (or it declares none), recorded; its
    torch version is that wheel's, whatever the date (recorded too)."""
    names = {name_of(r) for r in d.requirements}
    if "torch" not in names or wheels is None or not any(Path(wheels).glob("torch-2.13.0*cp311*.whl")):
        return python, []
    notes = [f"{TORCH_PIN} (the local CPU wheel) instead of the declared or dated torch"]
    current = _version_of(python)
    if current.startswith("3.11."):
        return python, notes
    spec = python_specifier(d.python) if d.python else None
    available = installed_pythons()
    if (3, 11) in available and (spec is None or spec.contains("3.11.0")) and not (d.python and spec is None):
        return available[(3, 11)][1], [f"python 3.11 instead of {current[:4]}: the CPU build of torch here "
                                       "is for 3.11", *notes]
    return python, [*notes, f"torch on python {current[:4]}: no CPU wheel for it here"]


def build(root: Path, env_dir: Path, cache_dir: Path | None, *, entry_kind: str = "script", mlproject: str = "",
          entry_paths: tuple[str, ...] = (), entry_folder: str = "", commit_date: str = "",
          mode: str = "as_of_commit", latest_date: str = "", wheels: Path | None = None,
          timeout: float = 600.0) -> EnvResult:
    """Build (or reuse) the environment of the checkout ``root`` in ``env_dir`` (module
    docstring); ``cache_dir`` None uses the installer's own shared cache. The record
    (``env.json``) of an earlier build in ``env_dir`` is returned as it was."""
    env_dir = Path(env_dir)
    record = env_dir / "env.json"
    if record.exists():
        return EnvResult(**json.loads(record.read_text()))
    started = time.monotonic()
    root = Path(root)
    d = _declared(root, mlproject, tuple(entry_paths), entry_folder)
    date, date_notes = resolution_date(mode, commit_date, latest_date)
    _, _, python, python_notes = python_for(root, utc_timestamp(commit_date), mlproject=mlproject)
    python, torch_notes = _torch_python(python, d, wheels)
    python_notes += torch_notes
    result = EnvResult(env_source=d.source, requirements=d.requirements, dropped=[line for line, _ in d.dropped],
                       added=additions({name_of(r) for r in d.requirements}, entry_kind), mode=mode,
                       resolution_date=date, python_requested=d.python, python_source=d.python_source,
                       python_required=d.python)
    result.interventions = python_notes + date_notes + [f"dropped {line} ({why})" for line, why in d.dropped] + \
        [f"added {a} (not declared)" for a in result.added]
    env_dir.mkdir(parents=True, exist_ok=True)
    venv = env_dir / "venv"
    result.venv = str(venv.resolve())
    uv, environ = _installer(), _environ(cache_dir)
    error, notes = _create_venv(python, venv, uv, environ, date)
    result.interventions += notes
    if error:
        result.env_status, result.reason = "install_failed", error
        return _finish(result, record, started)
    inst = _Installer(env_dir, str(venv / "bin" / "python"), uv, environ, date, wheels, timeout)
    if not uv and date:
        result.interventions.append("installed with pip: no date cap (uv is not available)")
    result.python = _version_of(inst.vpy)
    taken = {name_of(a) for a in result.added}
    undeclared = [u for u in _undeclared_imports(root, tuple(entry_paths), d) if name_of(u) not in taken]
    result.added += undeclared
    result.guessed = list(undeclared)
    result.interventions += [f"added {a} (imported by the files run, not declared)" for a in undeclared]
    result.env_status, lines = _install_or_imports(inst, result, d, inferred(root, tuple(entry_paths))
                                                   if entry_paths and d.source != "inferred" else [])
    if not result.ok:
        if d.python and not result.python.startswith(d.python[:4]):
            result.reason = f"the project asks for Python {d.python}, this environment has {result.python}; " + \
                result.reason
        return _finish(result, record, started)
    if result.env_status == "installed_relaxed":
        result.reason = "the declared versions did not all install (" + (result.failed_requirement or "see log") + \
            "); installed with those constraints relaxed"
    else:
        result.reason, result.failed_requirement = "", ""
    _numpy_retry(inst, result, lines, _check_modules(root, tuple(entry_paths)))
    result.lock = inst.freeze()
    result.packages = sum(1 for line in result.lock.splitlines() if line and not line.startswith("#"))
    result.fingerprint = hashlib.sha256(f"python {result.python}\n{result.lock}".encode()).hexdigest()[:16]
    return _finish(result, record, started)


def _tail(text: str, n: int = 600) -> str:
    text = " ".join(text.split())
    return text[-n:]


def _finish(result: EnvResult, record: Path, started: float) -> EnvResult:
    result.seconds = round(time.monotonic() - started, 1)
    tmp = record.with_suffix(".tmp")
    tmp.write_text(json.dumps(asdict(result), sort_keys=True, indent=1))
    os.replace(tmp, record)
    return result


def entry_files(root: Path, kind: str, path: str, command: tuple[str, ...], folder: str) -> tuple[str, ...]:
    """The files (posix, relative to ``root``) a run recipe executes: the script or notebook
    itself; for an MLproject, the ``.py`` files its command names (relative to its folder) or,
    for ``python -m pkg.mod``, that module's file."""
    if kind != "mlproject":
        return (path,) if path else ()
    import shlex

    try:
        words = shlex.split(command[0]) if command else []
    except ValueError:
        words = command[0].split() if command else []
    base = PurePosixPath(folder)
    out = [str(base / w) for w in words if w.endswith(".py")]
    out += [str(base / (words[i + 1].replace(".", "/") + ".py")) for i, w in enumerate(words[:-1]) if w == "-m"]
    return tuple(p.removeprefix("./") for p in dict.fromkeys(out) if (Path(root) / p).is_file())
