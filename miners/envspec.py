"""Declared environments: which files declare dependencies, and how exactly they pin them.

Definition. Dependencies are read from ``requirements*.txt`` (one requirement a line;
``-r``/``-c``/options and comments ignored), ``conda.yaml``/``environment.yml``/``*.yaml`` named
by ``MLproject`` (conda ``dependencies`` and their ``pip:`` list), ``python_env.yaml``
(``dependencies`` and ``build_dependencies``), ``pyproject.toml`` (``[project]
dependencies`` and Poetry's ``[tool.poetry.dependencies]``), ``setup.cfg``
(``install_requires``) and ``Pipfile`` (``[packages]``). A requirement is *pinned exactly*
when it fixes one version (``==x.y.z`` for pip, ``=x.y.z`` or ``==x.y.z`` for conda, a bare
Poetry version or ``==``); ranges (``>=``, ``~=``, ``^``) and bare names are not.
``pinned_share`` is pinned / declared over the distinct package names (python itself and
pip excluded). ``mlflow_pin`` is ``exact``, ``range``, ``unpinned`` or ``absent``. A file that
does not parse is a reason in ``env_errors``, never a crash.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from packaging.markers import Marker
from packaging.requirements import InvalidRequirement
from packaging.requirements import Requirement as Pep508

_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?\s*(.*)$")
IGNORED = {"python", "pip", "setuptools", "wheel"}


@dataclass
class Requirement:
    name: str
    spec: str
    source: str

    @property
    def exact(self) -> bool:
        s = self.spec.replace(" ", "")
        if s.startswith("==") and "*" not in s and "," not in s:
            return True
        return bool(re.fullmatch(r"=?\d+(\.[\w]+)*", s))  # conda '=1.2.3' / '1.2.3', poetry '1.2.3'


@dataclass
class EnvSpec:
    files: list[str] = field(default_factory=list)
    requirements: list[Requirement] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def by_name(self) -> dict[str, list[Requirement]]:
        out: dict[str, list[Requirement]] = {}
        for r in self.requirements:
            out.setdefault(r.name, []).append(r)
        return out

    @property
    def declared(self) -> int:
        return len(self.by_name())

    @property
    def pinned(self) -> int:
        return sum(1 for reqs in self.by_name().values() if any(r.exact for r in reqs))

    def add(self, line: object, source: str, conda: bool = False) -> None:
        """Parse one requirement string and keep it if it names a package."""
        if isinstance(line, str):
            r = _parse_line(line, source, conda)
            if r:
                self.requirements.append(r)

    def load_mapping(self, text: str, rel: str, what: str = "YAML") -> dict | None:
        """A YAML mapping, or None with the reason recorded in ``errors``."""
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            self.errors.append(f"{rel}: malformed {what} ({str(exc).splitlines()[0]})")
            return None
        if not isinstance(data, dict):
            self.errors.append(f"{rel}: {what} is not a mapping")
            return None
        return data

    def load_toml(self, path: Path, rel: str) -> dict | None:
        """A TOML document, or None with the reason recorded in ``errors``."""
        try:
            return tomllib.loads(path.read_text(errors="replace"))
        except tomllib.TOMLDecodeError as exc:
            self.errors.append(f"{rel}: malformed TOML ({exc})")
            return None

    def add_table(self, table: dict, source: str) -> None:
        """A ``name = "version"`` / ``name = {version = ...}`` table (Poetry, Pipfile)."""
        for name, value in table.items():
            if normalise_name(name) in IGNORED:
                continue
            version = value if isinstance(value, str) else (value.get("version", "") if isinstance(value, dict) else "")
            self.requirements.append(Requirement(normalise_name(name), "" if version == "*" else version, source))

    @property
    def mlflow_pin(self) -> tuple[str, str]:
        reqs = [r for r in self.requirements if r.name in ("mlflow", "mlflow-skinny")]
        if not reqs:
            return "absent", ""
        if any(r.exact for r in reqs):
            return "exact", next(r.spec for r in reqs if r.exact).strip()
        specs = [r.spec.strip() for r in reqs if r.spec.strip()]
        return ("range", specs[0]) if specs else ("unpinned", "")


def normalise_name(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _parse_line(line: str, source: str, conda: bool = False) -> Requirement | None:
    line = line.split("#", 1)[0].strip()
    if not line or line.startswith(("-", "--", "git+", "http:", "https:", "file:", ".")):
        return None
    line = line.split(";", 1)[0]
    if conda and "::" in line:
        line = line.split("::", 1)[1]
    m = _NAME.match(line)
    if not m:
        return None
    name = normalise_name(m.group(1))
    spec = m.group(3).strip()
    if conda and spec and not spec.startswith(("=", "<", ">", "!", "~")):
        spec = "=" + spec.lstrip()
    if conda and re.fullmatch(r"=[^=<>!,]+=\S+", spec.replace(" ", "")):  # name=version=build
        spec = "=" + spec.split("=")[1]
    if name in IGNORED:
        return None
    return Requirement(name, spec, source)


def read_requirements(path: Path, rel: str, spec: EnvSpec) -> None:
    for line in path.read_text(errors="replace").splitlines():
        spec.add(line, rel)


def read_conda(path: Path, rel: str, spec: EnvSpec) -> None:
    data = spec.load_mapping(path.read_text(errors="replace"), rel)
    if data is None:
        return
    deps = list(data.get("dependencies") or []) + list(data.get("build_dependencies") or [])
    python_env = "build_dependencies" in data or "python" in data
    for dep in deps:
        if isinstance(dep, dict):
            for item in dep.get("pip") or []:
                spec.add(item, rel)
        else:
            spec.add(dep, rel, conda=not python_env)


def read_pyproject(path: Path, rel: str, spec: EnvSpec) -> None:
    data = spec.load_toml(path, rel)
    if data is None:
        return
    for dep in (data.get("project") or {}).get("dependencies") or []:
        spec.add(dep, rel)
    spec.add_table(((data.get("tool") or {}).get("poetry") or {}).get("dependencies") or {}, rel)


def read_setup_cfg(path: Path, rel: str, spec: EnvSpec) -> None:
    import configparser

    cp = configparser.ConfigParser()
    try:
        cp.read_string(path.read_text(errors="replace"))
    except configparser.Error as exc:
        spec.errors.append(f"{rel}: malformed setup.cfg ({str(exc).splitlines()[0]})")
        return
    for line in cp.get("options", "install_requires", fallback="").splitlines():
        spec.add(line, rel)


def read_pipfile(path: Path, rel: str, spec: EnvSpec) -> None:
    data = spec.load_toml(path, rel)
    if data is not None:
        spec.add_table(data.get("packages") or {}, rel)


# ------------------------------------------------------------ reading for installation (rerun)
#
# Definition. The rerun harness installs what these readers return. A requirement line is parsed
# with ``packaging.requirements.Requirement`` (PEP 508); a line that is not one (an option such as
# ``-e .``, a VCS/URL/local reference, a malformed line) is dropped with its reason. A bare
# ``name=version`` (a conda spelling in a pip file) is read as ``name==version``. A requirement is
# dropped as platform-only when its name is in ``PLATFORM_ONLY`` or its environment marker is
# false on Linux for every CPython 3.6-3.13 (a marker that depends on the Python version only is
# kept, for the installer to evaluate). Conda specs (``name``, ``name=1.2``, ``name=1.2.3=build``,
# ``name 1.2.3 build``, ``name>=1,<2``, ``channel::name``) become pip specifiers: ``=X.Y.Z`` and
# ``X.Y.Z`` are ``==X.Y.Z``, ``=X.Y`` (conda's fuzzy match) is ``==X.Y.*``, build strings are
# ignored; conda names are mapped to PyPI names (``CONDA_TO_PIP``) and conda-only packages
# (``CONDA_ONLY``: compilers, CUDA, BLAS, system libraries) are dropped with their reason.

CONDA_TO_PIP = {
    "pytorch": "torch", "pytorch-cpu": "torch", "py-xgboost": "xgboost", "tensorflow-gpu": "tensorflow",
    "matplotlib-base": "matplotlib", "opencv": "opencv-python-headless", "py-opencv": "opencv-python-headless",
    "pytables": "tables", "msgpack-python": "msgpack", "python-graphviz": "graphviz",
}
CONDA_ONLY = {
    "libopencv", "cudatoolkit", "cudnn", "mkl", "mkl-service", "mkl_fft", "mkl_random", "blas", "libblas",
    "libcblas", "liblapack", "openblas", "libopenblas", "cpuonly", "pytorch-cuda", "nccl", "_libgcc_mutex",
    "_openmp_mutex", "ca-certificates", "openssl", "libffi", "ncurses", "readline", "sqlite", "tk", "xz",
    "zlib", "libgcc-ng", "libgcc", "libstdcxx-ng", "libgfortran-ng", "libgfortran5", "ld_impl_linux-64",
    "nodejs", "r-base", "graphviz", "git", "libgomp", "intel-openmp", "tbb", "libuuid", "bzip2", "libedit",
    "libzlib", "libsqlite", "libnsl", "libxcrypt", "tzdata", "cuda-toolkit", "cuda-nvcc", "cudnn-cuda",
    "conda", "anaconda", "libiconv", "icu", "jpeg", "libpng", "freetype", "hdf5", "krb5", "lz4-c", "zstd",
}
PLATFORM_ONLY = {
    "pywin32": "Windows-only", "pywinpty": "Windows-only", "wmi": "Windows-only", "pypiwin32": "Windows-only",
    "pywin32-ctypes": "Windows-only", "windows-curses": "Windows-only", "appnope": "macOS-only",
    "tensorflow-macos": "macOS-only", "tensorflow-metal": "macOS-only", "pyobjc": "macOS-only",
    "pyobjc-core": "macOS-only",
}
SKIPPED_NAMES = {"python", "pip"}
_LINUX = {"os_name": "posix", "sys_platform": "linux", "platform_system": "Linux", "platform_machine": "x86_64",
          "implementation_name": "cpython", "platform_python_implementation": "CPython"}
_LINE_OPTION = re.compile(r"^-{1,2}[A-Za-z]")
_CONDA_SPEC = re.compile(r"^([A-Za-z0-9_][A-Za-z0-9._-]*)\s*(.*)$")


@dataclass
class Declared:
    """Requirements read for installation: ``requirements`` (PEP 508 strings), ``dropped``
    ``(original line, reason)`` pairs, and the declared Python (``python``, from ``python_source``)."""

    source: str = ""
    requirements: list[str] = field(default_factory=list)
    dropped: list[tuple[str, str]] = field(default_factory=list)
    python: str = ""
    python_source: str = ""

    def add_pip(self, line: str) -> None:
        """One pip requirement line, kept or dropped with its reason."""
        req, why = pip_requirement(line)
        if req:
            self.requirements.append(req)
        elif why:
            self.dropped.append((line.strip(), why))

    def add_conda(self, dep: str) -> None:
        """One conda dependency, translated to pip, kept or dropped with its reason."""
        req, why = conda_requirement(dep)
        if req:
            self.requirements.append(req)
        elif why:
            self.dropped.append((dep.strip(), why))


def _strip_comment(line: str) -> str:
    line = line.strip()
    return "" if line.startswith("#") else re.split(r"\s+#", line, maxsplit=1)[0].strip()


def _marker_matches_linux(marker: Marker) -> bool:
    """Whether a marker is true on Linux/CPython for some Python 3.6-3.13."""
    for minor in range(6, 14):
        env = {**_LINUX, "python_version": f"3.{minor}", "python_full_version": f"3.{minor}.0"}
        if marker.evaluate(env):
            return True
    return False


def pip_requirement(line: str) -> tuple[str | None, str]:
    """``(requirement, '')`` for a PEP 508 line installable from PyPI on Linux, else ``(None,
    reason)``; ``(None, '')`` for blank lines, comments and ``python``/``pip`` themselves."""
    text = _strip_comment(line)
    if not text:
        return None, ""
    if _LINE_OPTION.match(text) or text.startswith(("git+", "hg+", "svn+", "bzr+", ".", "/", "~")) or "://" in text:
        return None, "not a PyPI requirement"
    bare = re.fullmatch(r"([A-Za-z0-9][A-Za-z0-9._-]*(?:\[[^\]]*\])?)\s*=\s*([0-9][\w.*+!-]*)", text)
    if bare:
        text = f"{bare.group(1)}=={bare.group(2)}"
    try:
        req = Pep508(text)
    except InvalidRequirement:
        return None, "not a valid requirement"
    name = normalise_name(req.name)
    if name in SKIPPED_NAMES:
        return None, ""
    if req.url:
        return None, "not a PyPI requirement"
    if name in PLATFORM_ONLY:
        return None, PLATFORM_ONLY[name]
    if req.marker is not None and not _marker_matches_linux(req.marker):
        return None, f"not for Linux ({req.marker})"
    return str(req), ""


def conda_version_spec(spec: str) -> str:
    """A conda version constraint (build strings ignored) as a pip specifier."""
    spec = spec.strip()
    if " " in spec and not re.search(r"[<>!=~]", spec.split()[0][:1]):
        spec = spec.split()[0]  # 'version build'
    spec = spec.replace(" ", "")
    if not spec:
        return ""
    if spec.startswith("==") or (spec.startswith("=") and not spec.startswith("==")) or spec[0].isdigit():
        version = spec.lstrip("=").split("=")[0]
        if version.endswith("*"):
            return "==" + version.rstrip(".*") + ".*"
        if spec.startswith("=") and not spec.startswith("==") and version.count(".") < 2:
            return f"=={version}.*"  # conda's fuzzy '=1.2'
        return f"=={version}"
    return spec


def conda_requirement(dep: str) -> tuple[str | None, str]:
    """A conda dependency as ``(pip requirement, '')``, or ``(None, reason)``; ``(None, '')``
    for ``python`` and ``pip`` themselves (the Python is read by :func:`conda_python`)."""
    dep = _strip_comment(dep).split("::", 1)[-1]
    m = _CONDA_SPEC.match(dep)
    if not m:
        return (None, "not a valid requirement") if dep else (None, "")
    name = m.group(1).lower()
    if name in SKIPPED_NAMES:
        return None, ""
    if name in CONDA_ONLY:
        return None, "conda-only package"
    pip = CONDA_TO_PIP.get(name, name)
    return pip_requirement(pip + conda_version_spec(m.group(2)))


def conda_python(deps: list[object]) -> str:
    """The Python version a conda ``dependencies`` list asks for (``python=3.8.5=h..`` gives
    ``3.8.5``, ``python>=3.8`` gives ``>=3.8``), else ''."""
    for dep in deps:
        if not isinstance(dep, str):
            continue
        m = _CONDA_SPEC.match(_strip_comment(dep).split("::", 1)[-1])
        if m and m.group(1).lower() == "python" and m.group(2).strip():
            spec = conda_version_spec(m.group(2))
            return spec[2:].removesuffix(".*") if spec.startswith("==") else spec
    return ""


def yaml_mapping(path: Path) -> dict:
    """A YAML file's mapping, or {} when it is missing, malformed or not a mapping."""
    try:
        data = yaml.safe_load(path.read_text(errors="replace"))
    except (yaml.YAMLError, OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def toml_mapping(path: Path) -> dict:
    """A TOML file's mapping, or {} when it is missing or malformed."""
    try:
        return tomllib.loads(path.read_text(errors="replace"))
    except (tomllib.TOMLDecodeError, OSError, UnicodeDecodeError):
        return {}


def requirement_file_lines(path: Path, seen: set[Path] | None = None) -> list[str]:
    """The lines of a requirements file with its ``-r``/``--requirement`` includes expanded
    (relative to the file); ``-c`` constraint files are not requirements and are left out."""
    seen = seen if seen is not None else set()
    if path in seen or not path.is_file():
        return []
    seen.add(path)
    out: list[str] = []
    for line in path.read_text(errors="replace").splitlines():
        m = re.match(r"^\s*(?:-r|--requirement)[\s=]+(\S+)", line)
        if m:
            out += requirement_file_lines(path.parent / m.group(1), seen)
        elif not re.match(r"^\s*(?:-c|--constraint)[\s=]", line):
            out.append(line)
    return out


REQUIREMENT_FILE_NAMES = ("requirements.txt", "requirments.txt", "requirement.txt", "requirements.in",
                          "requirements/base.txt", "requirements/prod.txt", "requirements/production.txt",
                          "requirements/main.txt", "requirements/requirements.txt", "requirements/common.txt")


def requirement_files(folder: Path) -> list[Path]:
    """The requirements files of one folder: ``REQUIREMENT_FILE_NAMES`` (with the common
    misspellings and a ``requirements/`` folder's base/prod files), then other
    ``requirements*.txt`` except dev, test and doc ones."""
    found = [folder / n for n in REQUIREMENT_FILE_NAMES if (folder / n).is_file()]
    others = [p for p in sorted(folder.glob("requirements*.txt"))
              if p not in found and not re.search(r"dev|test|doc|lint|ci", p.name, re.I)]
    return found + others if found else others


def exactly_pinned(req: str) -> bool:
    """Whether a PEP 508 requirement fixes one version (one ``==``/``===`` without a wildcard)."""
    specs = list(Pep508(req).specifier)
    return len(specs) == 1 and specs[0].operator in ("==", "===") and "*" not in specs[0].version


# ---- lock files: exact versions the author resolved


def read_uv_lock(path: Path) -> list[str]:
    """``name==version`` of the packages a ``uv.lock`` resolved that the project's own packages
    need at run time (``dependencies`` followed from the editable/virtual project packages; their
    ``dev-dependencies`` and optional groups are not followed); every package when no project
    package is marked."""
    packages = [p for p in toml_mapping(path).get("package") or [] if isinstance(p, dict) and p.get("name")]
    by_name = {normalise_name(p["name"]): p for p in packages}
    local = [n for n, p in by_name.items()
             if set(p.get("source") or {}) & {"editable", "virtual", "directory"}]
    keep = set(by_name) - set(local)
    if local:
        keep, todo = set(), list(local)
        while todo:
            for dep in by_name.get(todo.pop(), {}).get("dependencies") or []:
                name = normalise_name(str(dep.get("name", ""))) if isinstance(dep, dict) else ""
                if name in by_name and name not in keep and name not in local:
                    keep.add(name)
                    todo.append(name)
    return sorted(f"{n}=={by_name[n]['version']}" for n in keep if by_name[n].get("version"))


def read_poetry_lock(path: Path) -> list[str]:
    """``name==version`` of a ``poetry.lock``'s packages, except ``category = "dev"`` ones."""
    packages = toml_mapping(path).get("package") or []
    return sorted(f"{normalise_name(p['name'])}=={p['version']}" for p in packages
                  if isinstance(p, dict) and p.get("name") and p.get("version") and p.get("category") != "dev")


def read_pipfile_lock(path: Path) -> list[str]:
    """``name==version`` (with its markers) of a ``Pipfile.lock``'s ``default`` section; the
    ``develop`` section is left out."""
    import json

    try:
        data = json.loads(path.read_text(errors="replace"))
    except (OSError, ValueError):
        return []
    out = []
    for name, info in ((data.get("default") or {}) if isinstance(data, dict) else {}).items():
        if isinstance(info, dict) and str(info.get("version", "")).startswith("=="):
            marker = f"; {info['markers']}" if info.get("markers") else ""
            out.append(f"{normalise_name(name)}{info['version']}{marker}")
    return sorted(out)


LOCK_READERS = (("uv.lock", read_uv_lock), ("poetry.lock", read_poetry_lock), ("Pipfile.lock", read_pipfile_lock))


# ---- the declared Python


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


# ---- environments MLflow recorded next to a committed model


def _run_start(mlmodel: Path) -> float:
    """The start time (ms) of the run that logged a model (its run folder's ``meta.yaml``), else
    the model's ``utc_time_created``, else 0."""
    for folder in mlmodel.parents:
        value = yaml_mapping(folder / "meta.yaml").get("start_time")
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
    created = str(yaml_mapping(mlmodel).get("utc_time_created") or "")
    try:
        from datetime import UTC, datetime

        return datetime.fromisoformat(created).replace(tzinfo=UTC).timestamp() * 1000
    except ValueError:
        return 0.0


def mlruns_model_env(root: Path) -> tuple[str, Path | None]:
    """The environment MLflow wrote next to the newest committed model (an ``MLmodel`` under a
    ``mlruns/`` or ``mlartifacts/`` folder, not in ``.trash``; newest by its run's start time,
    then path): ``('requirements', requirements.txt)``, else ``('python_env', python_env.yaml)``,
    else ``('conda_env', conda.yaml)``; ``('', None)`` when there is none."""
    models = [m for m in root.rglob("MLmodel") if m.is_file()
              and {"mlruns", "mlartifacts"} & set(m.relative_to(root).parts) and ".trash" not in m.parts]
    for model in sorted(models, key=lambda m: (_run_start(m), m.as_posix()), reverse=True):
        for kind, name in (("requirements", "requirements.txt"), ("python_env", "python_env.yaml"),
                           ("conda_env", "conda.yaml")):
            if (model.parent / name).is_file():
                return kind, model.parent / name
    return "", None
