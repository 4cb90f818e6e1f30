"""Choose the one entry point of a project that the rerun harness executes.

Definition (the ranking, first match wins; the reason is recorded):

1. ``mlproject``: an ``MLproject`` file (any case, as MLflow finds it; the shallowest one) with an
   entry point named ``main``
   (or, if it has no ``main``, its only entry point). Its command runs in the MLproject's folder
   with every ``{parameter}`` replaced by its default value; an entry point with a parameter
   that has no default cannot run as written and falls through to rule 2 (reason recorded).
2. ``script``: a ``.py`` file that starts an MLflow run, logs metrics or turns on autolog
   (``mlflow.start_run``, ``log_metric(s)``, ``autolog``, found by the static detectors).
   Ranked by: does work when executed (a ``__main__`` guard, or a top-level statement with a
   call other than imports, definitions and configuration assignments; a module of functions
   only ranks last, and when every candidate is such a module, a script that does work and imports
   one of them is chosen instead: the project's driver, ranked by guard, name hint, depth,
   path); has an ``if __name__ == "__main__"`` guard; its file name contains ``train``,
   ``main`` or ``run``; more tracking call sites; shallower path; then path order. Test files
   (``test_*.py``, ``*_test.py``, ``tests/``), ``setup.py`` and ``conftest.py`` never qualify.
3. ``notebook``: a ``.ipynb`` that logs metrics, starts a run or turns on autolog, ranked by
   tracking call sites, then shallower path, then path order; executed top to bottom.
4. ``none``: no candidate; every run of the project is ``entry_not_found``.

Working directory: ``root`` (the repository root) unless the entry's own folder resolves more
of the relative file paths written as string literals in the entry file (paths that exist in
the checkout), then ``entry_dir``. MLproject commands always run in the MLproject's folder,
as ``mlflow run`` does. The harness may still switch once after a ``FileNotFoundError``.
"""

from __future__ import annotations

import ast
import re
import shlex
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from miners.analyze import analyze
from miners.files import list_candidates

STARTS = ("mlflow.start_run", "log_metric", "log_metrics", "autolog")
NAME_HINT = re.compile(r"train|main|run", re.I)
TEST_FILE = re.compile(r"(^|/)(tests?/|test_[^/]*\.py$|[^/]*_test\.py$|conftest\.py$|setup\.py$)")
_PATH_LITERAL = re.compile(r"^[\w.\-/]+\.(csv|tsv|json|txt|parquet|pkl|pickle|npy|npz|yaml|yml|xlsx|h5|"
                           r"joblib|zip|gz|jpg|png|data)$|^[\w.\-]+/[\w.\-/]*$")


@dataclass(frozen=True)
class Entry:
    """What to execute: ``kind`` mlproject|script|notebook|none, ``path`` of the file (posix,
    relative to the root), ``command`` (argv for scripts; a shell command for MLproject),
    ``folder`` (posix, relative; the entry's own folder), ``reason`` why it was chosen,
    ``cwd`` root|entry_dir and ``cwd_reason``."""

    kind: str
    path: str
    command: tuple[str, ...]
    folder: str
    reason: str
    cwd: str = "root"
    cwd_reason: str = ""


NONE = Entry("none", "", (), "", "no MLproject, script or notebook that starts a run or logs metrics")


def _tracking_calls(sites: list[list[Any]]) -> tuple[int, bool]:
    """Sites are ``[cell, line, col, category, api, detail]`` rows of :func:`miners.analyze.analyze`."""
    tracking = [s for s in sites if s[3] == "tracking"]
    starts = any(str(s[4]).startswith("mlflow.") and str(s[4]).endswith(STARTS) for s in tracking)
    return len(tracking), starts


def _runs_something(source: str) -> bool:
    """Whether the module does work when executed: a ``__main__`` guard, or a top-level
    statement other than imports, definitions and plain assignments that contains a call."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return False
    quiet = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
    for node in tree.body:
        if isinstance(node, quiet):
            continue
        if isinstance(node, ast.Assign | ast.AnnAssign) and not any(
                isinstance(n, ast.Call) and not _is_config_call(n) for n in ast.walk(node)):
            continue
        if any(isinstance(n, ast.Call) for n in ast.walk(node)):
            return True
    return False


def _is_config_call(node: ast.Call) -> bool:
    name = ast.unparse(node.func)
    return name.endswith(("getenv", "environ.get", "getLogger", "Path", "dirname", "join", "abspath"))


def _has_main_guard(source: str) -> bool:
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return False
    for node in tree.body:
        if isinstance(node, ast.If) and "__name__" in ast.unparse(node.test) and "__main__" in ast.unparse(node.test):
            return True
    return False


def mlproject_entry(root: Path) -> tuple[Entry | None, str]:
    """The MLproject entry, or None and why there is none."""
    files = sorted((p for p in root.rglob("*") if p.name.lower() == "mlproject" and ".git" not in p.parts
                    and p.is_file()),
                   key=lambda p: (len(p.relative_to(root).parts), p.as_posix()))
    if not files:
        return None, "no MLproject file"
    path = files[0]
    rel = path.relative_to(root).as_posix()
    try:
        data = yaml.safe_load(path.read_text(errors="replace")) or {}
    except yaml.YAMLError as exc:
        return None, f"{rel}: malformed YAML ({str(exc).splitlines()[0]})"
    points = data.get("entry_points") if isinstance(data, dict) else None
    if not isinstance(points, dict) or not points:
        return None, f"{rel}: no entry_points"
    name = "main" if "main" in points else (next(iter(points)) if len(points) == 1 else None)
    if name is None:
        return None, f"{rel}: no 'main' entry point among {len(points)}"
    point = points[name]
    if isinstance(point, str):
        point = {"command": point}
    command = str(point.get("command", "")) if isinstance(point, dict) else ""
    if not command:
        return None, f"{rel}: entry point {name!r} has no command"
    params = point.get("parameters") or {}
    values: dict[str, str] = {}
    for pname, spec in params.items() if isinstance(params, dict) else ():
        default = spec.get("default") if isinstance(spec, dict) else None  # `x: float` has none
        if default is None:
            return None, f"{rel}: entry point {name!r} parameter {pname!r} has no default"
        values[str(pname)] = shlex.quote(str(default))
    try:
        filled = re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], command)
    except KeyError as exc:
        return None, f"{rel}: entry point {name!r} uses undeclared parameter {exc.args[0]!r}"
    folder = PurePosixPath(rel).parent.as_posix()
    folder = "" if folder == "." else folder
    entry = Entry("mlproject", rel, (filled.strip(),), folder,
                  f"MLproject entry point {name!r} with {len(values)} default parameter(s)",
                  "entry_dir" if folder else "root", "MLproject commands run in the MLproject's folder")
    return entry, ""


def code_candidates(root: Path) -> list[dict[str, Any]]:
    """Every readable .py/.ipynb with its tracking call count, run/metric start and guard."""
    out = []
    for cand in list_candidates(root):
        if cand.skip_status or TEST_FILE.search(cand.path):
            continue
        data = (root / cand.path).read_bytes()
        result = analyze(cand.kind, data)
        if result["status"] != "parsed":
            continue
        calls, starts = _tracking_calls(result["sites"])
        if not starts:
            continue
        text = data.decode("utf-8", "replace")
        guard = cand.kind == "py" and _has_main_guard(text)
        runs = cand.kind != "py" or guard or _runs_something(text)
        out.append({"path": cand.path, "kind": cand.kind, "calls": calls, "guard": guard, "runs": runs})
    return out


def _module_names(path: str) -> set[str]:
    """Names under which a module file can be imported: dotted path, without a leading ``src``
    folder, and its bare stem."""
    parts = list(PurePosixPath(path).with_suffix("").parts)
    names = {".".join(parts), parts[-1]}
    if parts[0] == "src" and len(parts) > 1:
        names.add(".".join(parts[1:]))
    return names


def drivers(root: Path, modules: list[str]) -> list[dict[str, Any]]:
    """Scripts that do work when executed and import one of ``modules`` (tracking modules that
    only define functions): the project's real driver, e.g. ``main.py`` calling
    ``src/train_utils.py``."""
    wanted = {name: m for m in modules for name in _module_names(m)}
    out = []
    for cand in list_candidates(root):
        if cand.skip_status or cand.kind != "py" or TEST_FILE.search(cand.path) or cand.path in modules:
            continue
        text = (root / cand.path).read_text(errors="replace")
        try:
            tree = ast.parse(text)
        except (SyntaxError, ValueError):
            continue
        imported: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                imported.update(a.name for a in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                imported.add(base)
                imported.update(f"{base}.{a.name}" if base else a.name for a in node.names)
        hit = sorted({wanted[n] for n in imported if n in wanted} |
                     {wanted[n.rsplit(".", 1)[-1]] for n in imported if n.rsplit(".", 1)[-1] in wanted})
        guard = _has_main_guard(text)
        if hit and (guard or _runs_something(text)):
            out.append({"path": cand.path, "kind": "py", "calls": 0, "guard": guard, "runs": True, "drives": hit[0]})
    return out


def choose(root: Path) -> Entry:
    """The entry point of the checkout at ``root`` by the ranking in the module docstring."""
    root = Path(root)
    entry, why_not = mlproject_entry(root)
    if entry is not None:
        return entry
    cands = code_candidates(root)
    scripts = [c for c in cands if c["kind"] == "py"]
    notebooks = [c for c in cands if c["kind"] == "ipynb"]
    prefix = f"{why_not}; " if why_not != "no MLproject file" else ""
    if scripts and not any(c["runs"] for c in scripts):
        driving = drivers(root, [c["path"] for c in scripts])
        if driving:
            best = min(driving, key=lambda c: (not c["guard"], not NAME_HINT.search(PurePosixPath(c["path"]).name),
                                               c["path"].count("/"), c["path"]))
            why = (f"{prefix}the {len(scripts)} script(s) that start a run or log metrics only define "
                   f"functions; this one runs and imports {best['drives']} "
                   f"({'__main__ guard' if best['guard'] else 'top-level code'})")
            return with_cwd(root, Entry("script", best["path"], ("python", best["path"]),
                                        _folder(best["path"]), why))
    if scripts:
        best = min(scripts, key=lambda c: (not c["runs"], not c["guard"], not NAME_HINT.search(PurePosixPath(c["path"]).name),
                                           -c["calls"], c["path"].count("/"), c["path"]))
        why = (f"{prefix}script of {len(scripts)} that start a run or log metrics: "
               f"{'__main__ guard, ' if best['guard'] else 'no guard, '}"
               f"{'' if best['runs'] else 'only definitions (nothing runs at top level), '}"
               f"{'name hint, ' if NAME_HINT.search(PurePosixPath(best['path']).name) else ''}"
               f"{best['calls']} tracking call(s)")
        return with_cwd(root, Entry("script", best["path"], ("python", best["path"]),
                                    _folder(best["path"]), why))
    if notebooks:
        best = min(notebooks, key=lambda c: (-c["calls"], c["path"].count("/"), c["path"]))
        why = f"{prefix}notebook of {len(notebooks)} that log metrics: {best['calls']} tracking call(s)"
        return with_cwd(root, Entry("notebook", best["path"], (best["path"],), _folder(best["path"]), why))
    return Entry("none", "", (), "", prefix + NONE.reason)


def _folder(path: str) -> str:
    folder = PurePosixPath(path).parent.as_posix()
    return "" if folder == "." else folder


def relative_paths(source: str) -> list[str]:
    """String literals of the source that look like relative file paths."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return []
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and len(node.value) < 200:
            s = node.value.strip()
            if s and not s.startswith(("/", "http", "~")) and _PATH_LITERAL.match(s):
                found.append(s)
    return sorted(set(found))


def with_cwd(root: Path, entry: Entry) -> Entry:
    """Decide the working directory from the relative paths the entry file names."""
    if not entry.folder:
        return replace(entry, cwd="root", cwd_reason="the entry is at the repository root")
    source = _entry_source(root / entry.path, entry.kind)
    paths = relative_paths(source)
    at_root = sum((root / p).exists() for p in paths)
    at_dir = sum((root / entry.folder / p).exists() for p in paths)
    if at_dir > at_root:
        return replace(entry, cwd="entry_dir",
                        cwd_reason=f"{at_dir} of {len(paths)} relative path literal(s) resolve from "
                                   f"{entry.folder}/, {at_root} from the root")
    return replace(entry, cwd="root", cwd_reason=f"{at_root} of {len(paths)} relative path literal(s) resolve "
                                                 f"from the root, {at_dir} from {entry.folder}/")


def _entry_source(path: Path, kind: str) -> str:
    text = path.read_text(errors="replace")
    if kind != "ipynb" and kind != "notebook":
        return text
    from miners.notebooks import read_code_cells

    try:
        return "\n".join(c.source for c in read_code_cells(text))
    except ValueError:
        return ""


def argv_for(entry: Entry, cwd: str, python: str) -> list[str]:
    """The command line of a script entry run from ``cwd`` (root|entry_dir)."""
    if len(entry.command) == 3 and entry.command[1] == "-m":
        return [python, "-m", entry.command[2]]
    script = entry.path if cwd == "root" else PurePosixPath(entry.path).name
    return [python, script]


def as_module(root: Path, entry: Entry) -> Entry | None:
    """The entry run as a module (``python -m a.b.c`` from the root) when its folder is a
    package, for scripts written with relative imports; else None."""
    folder = PurePosixPath(entry.path).parent
    if entry.kind != "script" or folder.as_posix() == "." or not (root / folder / "__init__.py").exists():
        return None
    dotted = ".".join(PurePosixPath(entry.path).with_suffix("").parts)
    return replace(entry, command=("python", "-m", dotted), cwd="root",
                   cwd_reason="run as module from the root after a relative-import error")
