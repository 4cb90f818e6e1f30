"""Which Python a project's environment is made with.

Definition. The declared version (:func:`miners.practices.envspec.declared_python`, ``python_requested``/
``python_source``) among the interpreters on this machine (:func:`installed_pythons`: pyenv's
and those ``uv python list --only-installed`` finds; nothing is downloaded). A version
``X.Y[.Z]`` takes that minor; a specifier (``>=3.8,<3.11``, ``^3.9``, ``3.10.*``) the newest
installed minor that satisfies it and was released before the commit date
(``PYTHON_RELEASES``), else the newest that satisfies it; no declaration: the newest minor
released before the commit date (the machine's own Python when there is no date). A declared
version the machine lacks gets the nearest installed minor, recorded as an intervention
(:func:`choose_python`). The Python is chosen the same way in both environment modes, so
``as_of_commit`` and ``latest`` differ in the package versions only.

A project that needs ``torch`` runs on Python 3.11 with the local CPU wheel when its declared
Python admits 3.11 (:func:`torch_python`; :mod:`miners.rerun.wheels`), recorded.
"""

from __future__ import annotations

import functools
import json
import os
import re
import subprocess
import sys
from pathlib import Path

from packaging.specifiers import InvalidSpecifier, SpecifierSet

from miners.practices import envspec
from miners.practices.envspec import Declared
from miners.rerun import interventions
from miners.rerun.install import uv_command
from miners.rerun.requirements import name_of
from miners.rerun.wheels import TORCH_PIN, torch_wheel_for_311

#: Release date of each CPython 3 minor (YYYY-MM-DD).
PYTHON_RELEASES = {(3, 6): "2016-12-23", (3, 7): "2018-06-27", (3, 8): "2019-10-14", (3, 9): "2020-10-05",
                   (3, 10): "2021-10-04", (3, 11): "2022-10-24", (3, 12): "2023-10-02", (3, 13): "2024-10-07"}
#: A Python minor version, ``(3, 11)``.
Minor = tuple[int, int]


def version_of(python: str) -> str:
    """The full version of an interpreter ('' when it does not run)."""
    try:
        proc = subprocess.run([python, "-c", "import platform; print(platform.python_version())"],
                              capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return proc.stdout.strip() if proc.returncode == 0 else ""


def base_python() -> str:
    """The machine's Python (outside any virtual environment)."""
    exe = Path(sys.base_prefix) / "bin" / f"python{sys.version_info.major}.{sys.version_info.minor}"
    return str(exe if exe.exists() else Path(sys.base_prefix) / "bin" / "python3")


def _uv_pythons() -> list[str]:
    uv = uv_command()
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
        version = version_of(path)
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
            return min(available), [interventions.python_none_before(_fmt(min(available)), date)]
        return _machine_minor(available), []
    spec = python_specifier(requested)
    if spec is None:
        fallback = max(dated) if dated else _machine_minor(available)
        return fallback, [interventions.python_unreadable(_fmt(fallback), requested)]
    fits = [m for m in available if _allows(spec, m)]
    if fits:
        return max([m for m in fits if m in dated] or fits), []
    wanted = [(3, k) for k in range(0, 20) if _allows(spec, (3, k))]
    if not wanted:
        fallback = max(dated) if dated else _machine_minor(available)
        return fallback, [interventions.python_impossible(_fmt(fallback), requested)]
    nearest = min(available, key=lambda m: (min(abs(m[1] - w[1]) for w in wanted), -m[1]))
    return nearest, [interventions.python_substituted(_fmt(nearest), requested)]


def _fmt(minor: Minor) -> str:
    return f"{minor[0]}.{minor[1]}"


def _machine_minor(available: dict[Minor, tuple[str, str]]) -> Minor:
    own = (sys.version_info.major, sys.version_info.minor)
    return own if own in available else max(available)


def python_for(root: Path, commit_date: str, *, mlproject: str = "") -> tuple[str, str, str, list[str]]:
    """``(requested, source, interpreter path, interventions)``: the Python a project declares
    (:func:`miners.practices.envspec.declared_python`; the MLproject ``mlproject``, else a root
    ``MLproject``) and the interpreter chosen for it (:func:`choose_python`)."""
    root = Path(root)
    if not mlproject:
        mlproject = next((p.name for p in sorted(root.glob("*")) if p.name.lower() == "mlproject" and p.is_file()), "")
    requested, source = envspec.declared_python(root, mlproject)
    available = installed_pythons()
    if not available:
        return requested, source, base_python(), [interventions.python_machine()]
    minor, notes = choose_python(requested, commit_date, available)
    return requested, source, available[minor][1], notes


def torch_python(python: str, d: Declared, wheels: Path | None) -> tuple[str, list[str]]:
    """The interpreter for a project that needs torch, with what was done: PyPI serves only CUDA
    builds of torch for Linux (gigabytes); the local CPU wheel (``wheels``) is for Python 3.11. A
    project that needs torch therefore runs on 3.11 with that wheel when the project's declared
    Python admits 3.11 (or it declares none), recorded; its torch version is that wheel's,
    whatever the date (recorded too). Any other project keeps ``python``."""
    names = {name_of(r) for r in d.requirements}
    if "torch" not in names or not torch_wheel_for_311(wheels):
        return python, []
    notes = [interventions.torch_wheel(TORCH_PIN)]
    current = version_of(python)
    if current.startswith("3.11."):
        return python, notes
    spec = python_specifier(d.python) if d.python else None
    available = installed_pythons()
    if (3, 11) in available and (spec is None or spec.contains("3.11.0")) and not (d.python and spec is None):
        return available[(3, 11)][1], [interventions.python_for_torch(current[:4]), *notes]
    return python, [*notes, interventions.torch_no_wheel(current[:4])]
