"""The study protocol (``study/protocol.toml``): a typed configuration validated up front.

Every stage reads its settings from here; a bad value stops the run before any work starts,
with a message that names the key, what it holds and what is expected.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any


class ProtocolError(ValueError):
    """The protocol file is missing or holds a bad value."""


@dataclass(frozen=True)
class Discover:
    topics: list[str] = field(default_factory=lambda: ["mlflow-project"])
    queries: list[str] = field(default_factory=list)
    created_from: str = "2008-01-01"
    created_to: str = ""
    seconds_between_requests: float = 0.25
    frame: str = ""


@dataclass(frozen=True)
class Select:
    exclude_forks: bool = True
    exclude_archived: bool = False
    exclude_empty: bool = True
    require_python: bool = True
    max_size_kb: int = 1_000_000
    duplicate_jaccard: float = 0.6


@dataclass(frozen=True)
class Sample:
    size: int = 0
    seed: int = 2026
    stratify_by: str = ""


@dataclass(frozen=True)
class Clone:
    url_template: str = "https://github.com/{owner}/{name}.git"
    timeout_seconds: float = 600
    retries: int = 2


@dataclass(frozen=True)
class Scan:
    jobs: int = 2
    max_py_bytes: int = 5_000_000
    max_ipynb_bytes: int = 50_000_000
    timeout_per_file: float = 120


@dataclass(frozen=True)
class Rerun:
    """Settings of the rerun harness (``make rerun``): ``runs`` per condition, ``timeout_seconds``
    per run (wall clock), ``max_recipes`` tried on a project's first run, and ``latest_date``
    (YYYY-MM-DD), the fixed date as of which the ``latest_env`` condition resolves packages;
    ``target_judged``: the study (``make rerun``) starts no further main-sample project once this
    many are judged as written and with seeds forced (:mod:`miners.rerun.study`)."""

    runs: int = 5
    timeout_seconds: float = 300
    max_recipes: int = 3
    latest_date: str = "2026-11-01"
    target_judged: int = 150


@dataclass(frozen=True)
class Engineered:
    """The *engineered project* filter (after Munaiah et al.'s reaper and Kalliamvakou et al.'s
    perils of mining GitHub): a repository whose history, up to its pinned commit, has at least
    ``min_authors`` distinct authors, at least ``min_commits`` commits and spans at least
    ``min_age_days`` days from its first commit to the pinned one. The analysis reports every
    research question over all projects and over the engineered ones (study/protocol.md)."""

    min_authors: int = 2
    min_commits: int = 20
    min_age_days: int = 30


@dataclass(frozen=True)
class Protocol:
    path: str
    name: str
    discover: Discover
    select: Select
    sample: Sample
    clone: Clone
    scan: Scan
    rerun: Rerun = Rerun()
    engineered: Engineered = Engineered()


_SECTIONS = {"discover": Discover, "select": Select, "sample": Sample, "clone": Clone, "scan": Scan,
             "rerun": Rerun, "engineered": Engineered}


def _check(section: str, key: str, value: Any, expected: Any) -> Any:
    where = f"[{section}] {key}"
    if isinstance(expected, bool):
        if not isinstance(value, bool):
            raise ProtocolError(f"{where} = {value!r}: expected true or false")
    elif isinstance(expected, int) and not isinstance(expected, bool):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ProtocolError(f"{where} = {value!r}: expected a whole number")
        if value < 0:
            raise ProtocolError(f"{where} = {value!r}: must not be negative")
    elif isinstance(expected, float):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ProtocolError(f"{where} = {value!r}: expected a number")
        if value < 0:
            raise ProtocolError(f"{where} = {value!r}: must not be negative")
        value = float(value)
    elif isinstance(expected, str):
        if not isinstance(value, str):
            raise ProtocolError(f"{where} = {value!r}: expected a string in quotes")
    elif isinstance(expected, list) and (not isinstance(value, list) or not all(isinstance(v, str) for v in value)):
        raise ProtocolError(f"{where} = {value!r}: expected a list of strings")
    return value


def load(path: Path | str) -> Protocol:
    """Read and validate a protocol file."""
    path = Path(path)
    if not path.exists():
        raise ProtocolError(f"protocol file not found: {path} (the study's is study/protocol.toml)")
    try:
        data = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise ProtocolError(f"{path} is not valid TOML: {exc}") from None
    unknown = set(data) - set(_SECTIONS) - {"study"}
    if unknown:
        raise ProtocolError(f"{path}: unknown section(s) {sorted(unknown)}; known: {sorted(_SECTIONS)} and [study]")
    built: dict[str, Any] = {}
    for name, cls in _SECTIONS.items():
        raw = data.get(name, {})
        defaults = cls()
        known = {f.name for f in fields(cls)}
        extra = set(raw) - known
        if extra:
            raise ProtocolError(f"{path}: unknown key(s) in [{name}]: {sorted(extra)}; known: {sorted(known)}")
        values = {k: _check(name, k, v, getattr(defaults, k)) for k, v in raw.items()}
        built[name] = cls(**values)
    d, sel, smp, cl = built["discover"], built["select"], built["sample"], built["clone"]
    for key in ("created_from", "created_to"):
        value = getattr(d, key)
        if value:
            try:
                dt.date.fromisoformat(value)
            except ValueError:
                raise ProtocolError(f"[discover] {key} = {value!r}: expected a date YYYY-MM-DD") from None
    if not d.topics and not d.queries and not d.frame:
        raise ProtocolError("[discover] needs at least one topic, query or a frame")
    if not 0 < sel.duplicate_jaccard <= 1:
        raise ProtocolError(f"[select] duplicate_jaccard = {sel.duplicate_jaccard}: expected a number in (0, 1]")
    if "{owner}" not in cl.url_template or "{name}" not in cl.url_template:
        raise ProtocolError(f"[clone] url_template = {cl.url_template!r}: must contain {{owner}} and {{name}}")
    try:
        dt.date.fromisoformat(built["rerun"].latest_date)
    except ValueError:
        raise ProtocolError(f"[rerun] latest_date = {built['rerun'].latest_date!r}: expected a date YYYY-MM-DD") from None
    if not 1 <= built["rerun"].max_recipes <= 10 or built["rerun"].runs < 1:
        raise ProtocolError("[rerun] max_recipes must be 1 to 10 and runs at least 1")
    if built["scan"].jobs < 1:
        raise ProtocolError("[scan] jobs must be at least 1")
    del smp
    return Protocol(str(path), str(data.get("study", {}).get("name", "study")), **built)
