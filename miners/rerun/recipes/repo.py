"""The checkout recipes are collected from (:class:`Repo`), and what is known of its files.

Its code files are the candidates of :func:`miners.scan.files.list_candidates` (``.py`` and
notebooks, skipped ones left out). For each, :meth:`Repo.facts` gives its MLflow tracking facts
from :func:`miners.scan.analyze.analyze` (tracking call sites; whether it starts a run, logs or
autologs; whether it logs metrics or autologs), and :meth:`Repo.closure` its import closure:
the file and the local modules it imports, transitively (a module ``a.b`` is ``a/b.py`` or
``a/b/__init__.py`` from the importing folder, the root, then ``src/``; a relative import from
its package; :meth:`Repo.module_file`). A set of files *tracks* (:meth:`Repo.tracks`) when one
of them or of their import closures makes a tracking call. A folder's MLproject file is matched
in any case, as MLflow does, and parsed into :class:`Mlproject` (a parameter given only a type
has no default). Commands found but unusable are recorded in :attr:`Repo.skipped` as
``<where> <command>: <why>``, each once. Paths are posix, relative to the root
(:func:`join_path`); :meth:`Repo.exists` never looks above it. Test files and ``setup.py``
(:data:`TEST_FILE`) are never script or notebook candidates.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from miners.scan.analyze import analyze
from miners.scan.files import list_candidates
from miners.scan.records import Site

STARTS = ("mlflow.start_run", "log_metric", "log_metrics", "autolog")
METRIC_APIS = ("log_metric", "log_metrics", "autolog")
#: Tests, test folders, conftest.py and setup.py: never script or notebook candidates.
TEST_FILE = re.compile(r"(^|/)(tests?/|test_[^/]*\.py$|[^/]*_test\.py$|conftest\.py$|setup\.py$)")


def tracking_calls(sites: Sequence[Site]) -> tuple[int, bool]:
    """Sites are the records of :func:`miners.scan.analyze.analyze`."""
    tracking = [s for s in sites if s.category == "tracking"]
    starts = any(s.api.startswith("mlflow.") and s.api.endswith(STARTS) for s in tracking)
    return len(tracking), starts


@dataclass(frozen=True)
class Mlproject:
    """A parsed MLproject: ``path`` of the file, ``folder``, entry points as
    ``name -> (command, ((param, default or None), ...))``."""

    path: str
    folder: str
    points: dict[str, tuple[str, tuple[tuple[str, str | None], ...]]]


def folder_of(path: str) -> str:
    folder = PurePosixPath(path).parent.as_posix()
    return "" if folder == "." else folder


def join_path(cwd: str, rel: str) -> str:
    """``rel`` from ``cwd``, normalised (posix, relative to the root; ``..`` above it stays)."""
    import posixpath

    out = posixpath.normpath(posixpath.join(cwd, rel)) if rel else (cwd or ".")
    return "" if out == "." else out


def read_code(path: Path, kind: str) -> str:
    """The text of a ``.py`` file, or the code cells of a notebook joined ("" when they do not parse)."""
    text = path.read_text(errors="replace")
    if kind != "ipynb" and kind != "notebook":
        return text
    from miners.scan.notebooks import read_code_cells

    try:
        return "\n".join(c.source for c in read_code_cells(text))
    except ValueError:
        return ""


def code_text(path: Path, kind: str) -> str:
    """The code of a ``.py`` file or of a notebook's code cells ("" when unreadable)."""
    try:
        return read_code(path, kind)
    except (OSError, ValueError):
        return ""


class Repo:
    """One checkout: its candidate code files, their tracking facts and import closures, and
    the lines found unusable (``skipped``)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.code = {c.path: c for c in list_candidates(root) if not c.skip_status}
        self.skipped: list[str] = []
        self._facts: dict[str, tuple[int, bool, bool]] = {}
        self._closures: dict[str, tuple[str, ...]] = {}
        self._mlprojects: dict[str, Mlproject | str | None] = {}

    def exists(self, rel: str) -> bool:
        """A file of the checkout (never above the root)."""
        return bool(rel) and not rel.startswith("../") and rel != ".." and (self.root / rel).is_file()

    def is_dir(self, rel: str) -> bool:
        return not rel.startswith("..") and (self.root / rel).is_dir()

    def skip(self, where: str, command: str, why: str) -> None:
        line = f"{where} {command}: {why}" if command else f"{where}: {why}"
        if line not in self.skipped:
            self.skipped.append(line)

    def facts(self, path: str) -> tuple[int, bool, bool]:
        """``(tracking call sites, starts a run/logs/autologs, logs metrics or autologs)``."""
        if path not in self._facts:
            cand = self.code.get(path)
            result = analyze(cand.kind, (self.root / path).read_bytes()) if cand else None
            sites = result.sites if result is not None and result.status == "parsed" else ()
            calls, starts = tracking_calls(sites)
            metrics = any(s.api.startswith("mlflow") and s.api.endswith(METRIC_APIS)
                          for s in sites if s.category == "tracking")
            self._facts[path] = (calls, starts, metrics)
        return self._facts[path]

    def closure(self, path: str) -> tuple[str, ...]:
        """``path`` and the local modules it imports, transitively (py files of the checkout)."""
        if path not in self._closures:
            seen, todo = [path], [path]
            while todo:
                for dep in self._imports(todo.pop()):
                    if dep not in seen:
                        seen.append(dep)
                        todo.append(dep)
            self._closures[path] = tuple(seen)
        return self._closures[path]

    def tracks(self, paths: tuple[str, ...] | list[str]) -> bool:
        """Whether a file of ``paths`` or of their import closures makes a tracking call."""
        return any(self.facts(q)[0] for p in paths for q in self.closure(p))

    def logs_metrics(self, path: str) -> bool:
        return any(self.facts(q)[2] for q in self.closure(path))

    def _imports(self, path: str) -> list[str]:
        cand = self.code.get(path)
        if cand is None:
            return []
        try:
            tree = ast.parse(code_text(self.root / path, cand.kind))
        except (SyntaxError, ValueError):
            return []
        here = folder_of(path)
        out: list[str] = []
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [(a.name, 0) for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                names = [(base, node.level)] + [(f"{base}.{a.name}" if base else a.name, node.level) for a in node.names]
            else:
                continue
            for name, level in names:
                found = self.module_file(name, here, level)
                if found and found not in out:
                    out.append(found)
        return out

    def module_file(self, name: str, here: str, level: int = 0, main: bool = False) -> str:
        """The checkout's file for module ``name`` imported from folder ``here`` (relative when
        ``level`` > 0, else from ``here``, the root, then ``src/``); ``main`` looks for
        ``__main__.py`` (``python -m``) instead of ``__init__.py``."""
        if level:
            base = here
            for _ in range(level - 1):
                base = folder_of(base) if base else ".."
            bases = [base]
        else:
            bases = list(dict.fromkeys([here, "", "src"]))
        rel = name.replace(".", "/")
        for base in bases:
            for option in (f"{rel}.py", f"{rel}/{'__main__' if main else '__init__'}.py"):
                cand = join_path(base, option) if rel else ""
                if cand and self.exists(cand):
                    return cand
        return ""

    def mlproject_in(self, folder: str) -> Mlproject | str | None:
        """The MLproject file of ``folder`` (any case), parsed; a string says why it is unusable."""
        if folder not in self._mlprojects:
            base = self.root / folder if folder else self.root
            files = sorted(p for p in base.glob("*") if p.name.lower() == "mlproject" and p.is_file()) \
                if base.is_dir() else []
            self._mlprojects[folder] = _parse_mlproject(self.root, files[0]) if files else None
        return self._mlprojects[folder]


def _parse_mlproject(root: Path, path: Path) -> Mlproject | str:
    rel = path.relative_to(root).as_posix()
    try:
        data = yaml.safe_load(path.read_text(errors="replace")) or {}
    except yaml.YAMLError as exc:
        return f"{rel}: malformed YAML ({str(exc).splitlines()[0]})"
    points = data.get("entry_points") if isinstance(data, dict) else None
    if not isinstance(points, dict) or not points:
        return f"{rel}: no entry_points"
    out: dict[str, tuple[str, tuple[tuple[str, str | None], ...]]] = {}
    for name, point in points.items():
        spec = {"command": point} if isinstance(point, str) else point if isinstance(point, dict) else {}
        params = spec.get("parameters") or {}
        pairs = tuple((str(k), _param_default(v)) for k, v in params.items()) if isinstance(params, dict) else ()
        out[str(name)] = (str(spec.get("command") or ""), pairs)
    return Mlproject(rel, folder_of(rel), out)


def _param_default(spec: Any) -> str | None:
    """An MLproject parameter's default as text (``x: float`` and ``{type: float}`` have none)."""
    if isinstance(spec, dict):
        spec = spec.get("default")
    elif isinstance(spec, str):
        return None  # `alpha: float` names a type
    return None if spec is None else str(spec)
