"""Reading declared environments for installation (the rerun harness).

Definition. The rerun harness installs what these readers return. A requirement line is parsed
with ``packaging.requirements.Requirement`` (PEP 508); a line that is not one (an option such as
``-e .``, a VCS/URL/local reference, a malformed line) is dropped with its reason. A bare
``name=version`` (a conda spelling in a pip file) is read as ``name==version``. A requirement is
dropped as platform-only when its name is in ``PLATFORM_ONLY`` or its environment marker is
false on Linux for every CPython 3.6-3.13 (a marker that depends on the Python version only is
kept, for the installer to evaluate). Conda specs (``name``, ``name=1.2``, ``name=1.2.3=build``,
``name 1.2.3 build``, ``name>=1,<2``, ``channel::name``) become pip specifiers: ``=X.Y.Z`` and
``X.Y.Z`` are ``==X.Y.Z``, ``=X.Y`` (conda's fuzzy match) is ``==X.Y.*``, build strings are
ignored; conda names are mapped to PyPI names (``CONDA_TO_PIP``) and conda-only packages
(``CONDA_ONLY``: compilers, CUDA, BLAS, system libraries) are dropped with their reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from packaging.markers import Marker
from packaging.requirements import InvalidRequirement
from packaging.requirements import Requirement as Pep508

from miners.practices.envspec.read import normalise_name

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
