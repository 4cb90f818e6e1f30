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

from miners.practices.envspec.read import normalise_name

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
