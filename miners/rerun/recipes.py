"""Run recipes: the candidate ways to run a project that a competent person would try.

Definition. A *recipe* is one or more steps executed in order (:class:`Step`: ``python`` argv
starting with ``python``, ``notebook`` argv ``(file name,)`` executed top to bottom as Jupyter
runs it, or ``mlflow_run`` an MLproject entry point run with ``mlflow run`` semantics: its
parameters logged). A step's argv is written as typed in its ``cwd`` (posix, relative to the
repository root, ``""`` = root); a notebook step always runs in the notebook's own folder.
:func:`candidates` collects commands from these sources and ranks them in this order (the
harness keeps the first recipe that logs at least one metric, trying at most 3):

1. ``MLproject`` (any case, the shallowest): entry ``main``; then the entries that a README,
   docs page or CI workflow names (``mlflow run . -e knn -P alpha=0.5``; documented ``-P``
   values override defaults), in documented order; then every other entry in file order with
   its defaults. A parameter without a default takes its value from such a documented command;
   without one the entry is skipped. Steps are ``mlflow_run`` in the MLproject's folder with
   the filled command split by ``shlex`` and every parameter's value. When the command's
   relative paths (script or data arguments) resolve from the repository root but not from
   the MLproject's folder, the same recipe run from the root follows it.
2. Commands in README code blocks (root ``README*.md``/``.rst``, then ``docs/**/*.md``, then
   the README of a folder holding a tracking script, whose commands start in that folder):
   fenced or indented blocks and ``$ `` prompt lines. Grammar: ``python``/``python3``
   (``-m`` modules), ``VAR=x`` prefixes, ``cd dir`` (on the same line with ``&&``/``;`` or on a
   line of its own), ``mlflow run`` (onto the MLproject entry), ``jupyter nbconvert
   --execute``/``jupyter execute``/``papermill`` (a notebook step), ``make target`` (the
   Makefile target's commands), ``dvc repro`` (the dvc.yaml stages), ``bash x.sh`` (the script's
   lines). The runnable commands of one block form one recipe, in order. Setup lines (pip, conda,
   uv, poetry, git, docker, ``mlflow ui/server``, ``export``, downloads) are recorded as skipped.
3. CI workflows (``.github/workflows/*.yml``): each job's ``run:`` steps (one-line or
   ``run: |``) in order, same grammar, ``working-directory`` honoured.
4. Makefile targets whose commands (with their prerequisites, depth first, each once) run
   python: ``train``, ``run``, ``all`` first, then file order.
5. ``dvc.yaml`` stages' ``cmd`` (a string or a list) in dependency order (a stage whose
   ``deps`` include another's ``outs`` runs after it, else declared order), in their ``wdir``;
   run directly, without DVC.
6. ``Dockerfile`` ``ENTRYPOINT`` + ``CMD`` (exec or shell form) of the last stage, read, never
   built; the ``WORKDIR`` maps to the repository root, or to the folder ``COPY``'d there (the
   reason names the WORKDIR; absolute paths under it are the harness's to map).
7. Scripts (``.py``) that start a run, log metrics or turn on autolog, and drivers: scripts that
   do work and import such a module (never one that imports a serving framework). Ranked by:
   needs arguments (:func:`needs_arguments`) that no documented command supplies (last); logs
   metrics (``log_metric(s)``/``autolog`` in the file or its local import closure) before
   only starting runs; does work when executed before a module of functions only; a module whose
   ``__main__`` is a demo (another runnable script imports it) after that driver;
   ``__main__`` guard; name hint ``train|main|run``; more tracking call sites; shallower; path.
   A script that a documented command runs (MLproject command first) gets that command's
   arguments. Working directory as :func:`with_cwd` decides.
8. Notebooks that start a run, log metrics or turn on autolog: metric logging first, then more
   tracking call sites, shallower, path; each in its own folder.

Every command is kept only if the file it executes exists in the checkout (``python -m a.b``:
``a/b.py`` or ``a/b/__main__.py`` from its cwd, the root or ``src/``); else, and for
placeholders (``<path>``, ``path/to/``, ``YOUR_...``), remote ``mlflow run`` URIs,
``python -c``, tests and servers (``pytest``, ``streamlit``, ``uvicorn``, ``flask run``,
``gunicorn``, ``mlflow models serve``), it is recorded in *skipped* as
``<where> <command>: <why>``. Recipes none of whose executed files (or their local import
closures) contain an MLflow tracking call rank after all that do, in the same order. Identical
step sequences are kept once, at the best rank; the reason names the other places.

The single-entry :func:`choose` (below, ``Entry``) is the harness's previous interface: an
``MLproject`` ``main`` (or only) entry with defaults, else the best tracking script (or its driver),
else the best notebook; kept until the harness consumes :func:`candidates`.
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


# --------------------------------------------------------------------------------------------
# Run recipes (see the module docstring)
# --------------------------------------------------------------------------------------------

SOURCE_RANK = {"MLproject": 1, "readme": 2, "ci": 3, "Makefile": 4, "dvc.yaml": 5, "Dockerfile": 6,
               "script": 7, "notebook": 8}
PYTHON = re.compile(r"^(?:.*/)?python(?:\d(?:\.\d+)?)?$")
METRIC_APIS = ("log_metric", "log_metrics", "autolog")
SETUP = frozenset({"pip", "pip3", "conda", "mamba", "micromamba", "uv", "poetry", "pipenv", "git", "docker",
                   "docker-compose", "export", "source", ".", "apt", "apt-get", "brew", "wget", "curl",
                   "virtualenv", "pyenv", "mkdir", "unzip", "tar", "kaggle", "gsutil", "aws", "az", "gcloud",
                   "conda-lock", "activate", "deactivate", "setx", "set", "tox", "nox", "pre-commit", "huggingface-cli"})
SERVING = frozenset({"pytest", "py.test", "streamlit", "uvicorn", "gunicorn", "gradio", "tensorboard", "flake8",
                     "black", "ruff", "mypy", "isort", "pylint", "coverage"})
PY_MODULE_SKIP = {"pip": "setup", "venv": "setup", "virtualenv": "setup", "ensurepip": "setup",
                  "pytest": "tests, not training", "unittest": "tests, not training",
                  "streamlit": "serving, not training", "uvicorn": "serving, not training",
                  "flask": "serving, not training", "gunicorn": "serving, not training",
                  "mlflow": "MLflow CLI, not the project's code", "http.server": "serving, not training",
                  "jupyter": "interactive notebook server", "notebook": "interactive notebook server",
                  "ipykernel": "setup", "spacy": "setup", "nltk.downloader": "setup",
                  **dict.fromkeys(("ruff", "mypy", "black", "flake8", "pylint", "coverage", "isort"), "linting or tests")}
PLACEHOLDER = re.compile(r"<[^<>\s]*[A-Za-z][^<>]*>|path/to/|/path/|\bYOUR_|\byour[_-]|\.\.\.|\bXXX\b|<\w")
SERVING_IMPORTS = frozenset({"flask", "fastapi", "streamlit", "gradio", "uvicorn", "dash"})
PATH_ARG = re.compile(r"^[\w.\-/]+\.\w{1,8}$|^[\w.\-]+/[\w.\-/]*$")
NO_SHELL = {"ui": "MLflow UI, not training", "server": "MLflow server, not training",
            "models": "model serving, not training", "deployments": "model serving, not training"}


@dataclass(frozen=True)
class Step:
    """One command: ``kind`` python|notebook|mlflow_run, ``argv`` as typed in ``cwd`` (posix,
    relative to the root, ``""`` = root), ``params`` an mlflow_run's parameter values (logged as
    ``mlflow run`` logs them), ``env`` variables the source sets for the command."""

    kind: str
    argv: tuple[str, ...]
    cwd: str
    params: tuple[tuple[str, str], ...] = ()
    env: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Recipe:
    """A candidate way to run the project: ``source`` (MLproject, README.md, docs/usage.md,
    .github/workflows/ci.yml, Makefile, dvc.yaml, Dockerfile, script, notebook), ``where``
    (``file:line``, ``MLproject:entry knn``, ``dvc.yaml:stage train``), ``steps`` in order,
    ``reason`` for its rank, ``entry_paths`` the files the steps execute (posix, from the root)."""

    source: str
    where: str
    steps: tuple[Step, ...]
    reason: str
    entry_paths: tuple[str, ...]


@dataclass
class _Shell:
    """Command lines run by one shell: ``cwd`` at its start, ``lines`` as ``(line number, text)``;
    ``anchor`` how a missing script is looked up: ``strict`` from cwd only, ``keep`` also from
    the root (the step stays in cwd: MLproject), ``switch`` also from the root (the step moves
    there: a nested README); ``workdir`` an absolute folder mapped to cwd (Dockerfile)."""

    cwd: str
    lines: list[tuple[int, str]]
    anchor: str = "strict"
    env: tuple[tuple[str, str], ...] = ()
    workdir: str = ""


@dataclass
class _Block:
    """Commands that belong together (a code block, a CI job, a make target): one recipe."""

    source: str   # the file, as Recipe.source names it
    kind: str     # readme|ci|Makefile|dvc.yaml|Dockerfile
    shells: list[_Shell]
    where: str = ""


@dataclass(frozen=True)
class _Mlproject:
    """A parsed MLproject: ``path`` of the file, ``folder``, entry points as
    ``name -> (command, ((param, default or None), ...))``."""

    path: str
    folder: str
    points: dict[str, tuple[str, tuple[tuple[str, str | None], ...]]]


def _folder_of(path: str) -> str:
    folder = PurePosixPath(path).parent.as_posix()
    return "" if folder == "." else folder


def _join(cwd: str, rel: str) -> str:
    """``rel`` from ``cwd``, normalised (posix, relative to the root; ``..`` above it stays)."""
    import posixpath

    out = posixpath.normpath(posixpath.join(cwd, rel)) if rel else (cwd or ".")
    return "" if out == "." else out


def _code_text(path: Path, kind: str) -> str:
    """The code of a ``.py`` file or of a notebook's code cells ("" when unreadable)."""
    try:
        return _entry_source(path, kind)
    except (OSError, ValueError):
        return ""


class _Repo:
    """One checkout: its candidate code files, their tracking facts and import closures, and
    the lines found unusable (``skipped``)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.code = {c.path: c for c in list_candidates(root) if not c.skip_status}
        self.skipped: list[str] = []
        self._facts: dict[str, tuple[int, bool, bool]] = {}
        self._closures: dict[str, tuple[str, ...]] = {}
        self._mlprojects: dict[str, _Mlproject | str | None] = {}

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
            result = analyze(cand.kind, (self.root / path).read_bytes()) if cand else {"status": ""}
            sites = result["sites"] if result["status"] == "parsed" else []
            calls, starts = _tracking_calls(sites)
            metrics = any(str(s[4]).startswith("mlflow") and str(s[4]).endswith(METRIC_APIS)
                          for s in sites if s[3] == "tracking")
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
            tree = ast.parse(_code_text(self.root / path, cand.kind))
        except (SyntaxError, ValueError):
            return []
        here = _folder_of(path)
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
                base = _folder_of(base) if base else ".."
            bases = [base]
        else:
            bases = list(dict.fromkeys([here, "", "src"]))
        rel = name.replace(".", "/")
        for base in bases:
            for option in (f"{rel}.py", f"{rel}/{'__main__' if main else '__init__'}.py"):
                cand = _join(base, option) if rel else ""
                if cand and self.exists(cand):
                    return cand
        return ""

    def mlproject_in(self, folder: str) -> _Mlproject | str | None:
        """The MLproject file of ``folder`` (any case), parsed; a string says why it is unusable."""
        if folder not in self._mlprojects:
            base = self.root / folder if folder else self.root
            files = sorted(p for p in base.glob("*") if p.name.lower() == "mlproject" and p.is_file()) \
                if base.is_dir() else []
            self._mlprojects[folder] = _parse_mlproject(self.root, files[0]) if files else None
        return self._mlprojects[folder]


def _parse_mlproject(root: Path, path: Path) -> _Mlproject | str:
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
    return _Mlproject(rel, _folder_of(rel), out)


def _param_default(spec: Any) -> str | None:
    """An MLproject parameter's default as text (``x: float`` and ``{type: float}`` have none)."""
    if isinstance(spec, dict):
        spec = spec.get("default")
    elif isinstance(spec, str):
        return None  # `alpha: float` names a type
    return None if spec is None else str(spec)


# ---- the command grammar --------------------------------------------------------------------

_PROMPT = re.compile(r"^\s*(?:\([^)]*\)\s*)?(?:[$%]\s+|!(?=\S))")
_SEPARATORS = frozenset({"&&", ";", "||", "&", ";;"})
_REDIRECTS = frozenset({">", ">>", "<", "2>", "&>", "2>&1", ">&"})
_CREDENTIAL = re.compile(r"TOKEN|KEY|SECRET|PASSW|USER|AUTH|CRED|^MLFLOW_|^DATABRICKS_|^AWS_|^AZURE_|^GOOGLE_")
_ASSIGN = re.compile(r"^[A-Za-z_]\w*=")
_MLFLOW_RUN_VALUE_OPTS = frozenset({"-e", "--entry-point", "-P", "--param-list", "-A", "--docker-args",
                                    "--experiment-name", "--experiment-id", "-b", "--backend", "-c",
                                    "--backend-config", "--env-manager", "--storage-dir", "--run-id",
                                    "--run-name", "-v", "--version", "--build-image-name"})


def _segments(line: str) -> list[list[str]] | None:
    """The simple commands of a shell line (split at ``&&``, ``;``, ``||``, ``&``; the
    commands after a pipe and redirections are dropped); None if it does not tokenize."""
    lex = shlex.shlex(line, posix=True, punctuation_chars=True)
    lex.whitespace_split = True
    lex.commenters = "#"
    try:
        tokens = list(lex)
    except ValueError:
        return None
    out: list[list[str]] = [[]]
    piped = False
    skip_next = False
    for tok in tokens:
        if tok in _SEPARATORS:
            out.append([])
            piped = False
        elif piped or skip_next:
            skip_next = False
        elif tok == "|":
            piped = True
        elif tok in _REDIRECTS or tok.endswith(">"):
            skip_next = True
        elif tok in ("(", ")"):
            continue
        else:
            out[-1].append(tok)
    return [seg for seg in out if seg]


def _logical_lines(lines: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Lines joined at trailing backslashes, prompts stripped, blanks and REPL lines dropped."""
    out: list[tuple[str, str]] = []
    pending: tuple[str, str] | None = None
    for where, raw in lines:
        text = raw.rstrip()
        if pending is not None:
            where, text = pending[0], pending[1] + " " + text.strip()
            pending = None
        if text.endswith("\\"):
            pending = (where, text[:-1])
            continue
        text = _PROMPT.sub("", text).strip()
        if text and not text.startswith((">>>", "...", "#")):
            out.append((where, text))
    if pending is not None:
        out.append(pending)
    return out


#: A step found: ``(where, step, the file it executes)``.
_Hit = tuple[str, Step, str]


def _run_shells(repo: _Repo, shells: list[_Shell], depth: int = 0) -> list[_Hit]:
    """The steps of ``shells`` in order, each with the ``where`` of its line; unusable
    commands are recorded in ``repo.skipped``."""
    out: list[_Hit] = []
    for shell in shells:
        cwd, env = shell.cwd, dict(shell.env)
        for where, text in _logical_lines(shell.lines):
            if _unfilled(repo, where, text):
                continue
            for words in _segments(text) or []:
                assigned = [w for w in _leading_assignments(words)]
                words = words[len(assigned):]
                if not words:
                    continue
                if words[0] == "cd":
                    cwd = _cd(cwd, words, shell)
                    continue
                if words[0] == "export":
                    _export(repo, where, words, env)
                    continue
                step_env = {**env, **dict(a.split("=", 1) for a in assigned)}
                got = _command(repo, words, _Context(cwd, tuple(step_env.items()), shell, where), depth)
                if isinstance(got, str):
                    repo.skip(where, shlex.join(words), got)
                elif got:
                    out.extend((where, step, path) for _, step, path in got)  # nested: this line's where
    return out


def _unfilled(repo: _Repo, where: str, text: str) -> bool:
    """A command of the grammar with a placeholder (``<path>``, ``path/to/``, ``YOUR_...``),
    checked before tokenizing (``<`` would read as a redirection): recorded as skipped."""
    found = PLACEHOLDER.search(text) or re.search(r"\$\{\{", text)
    head = PurePosixPath(text.split()[0]).name if text.split() else ""
    runs = PYTHON.match(head) or head in ("jupyter", "papermill", "mlflow", "make", "dvc", "bash", "sh")
    if found and runs:
        repo.skip(where, text, f"placeholder {found.group(0)!r} to fill in")
    return bool(found and runs)


@dataclass(frozen=True)
class _Context:
    """Where a command runs: its ``cwd``, ``env``, the shell it belongs to, its ``where``."""

    cwd: str
    env: tuple[tuple[str, str], ...]
    shell: _Shell
    where: str


def _leading_assignments(words: list[str]) -> list[str]:
    out = []
    for w in words:
        if not _ASSIGN.match(w):
            break
        out.append(w)
    return out


def _cd(cwd: str, words: list[str], shell: _Shell) -> str:
    target = words[1] if len(words) > 1 else ""
    if shell.workdir and (target == shell.workdir or target.startswith(shell.workdir + "/")):
        return _join(shell.cwd, target[len(shell.workdir):].lstrip("/"))
    return "" if target in ("", "~", "-") or target.startswith(("/", "~", "$")) else _join(cwd, target)


def _export(repo: _Repo, where: str, words: list[str], env: dict[str, str]) -> None:
    """``export NAME=value``: kept for the following commands, unless it looks like a
    credential or tracking setting (recorded as skipped)."""
    for w in words[1:]:
        name, _, value = w.partition("=")
        if _CREDENTIAL.search(name) or not _:
            repo.skip(where, shlex.join(words), "setup (credentials or tracking settings), not run")
        else:
            env[name] = value


def _command(repo: _Repo, words: list[str], ctx: _Context, depth: int) -> list[_Hit] | str | None:
    """One simple command: its steps, a reason it cannot be used, or None when it is no command
    of the grammar (prose, output)."""
    head = words[0]
    name = PurePosixPath(head).name
    if PYTHON.match(head):
        return _placeholder(words) or _python(repo, words, ctx)
    if name in ("jupyter", "papermill", "ipython"):
        return _placeholder(words) or _notebook(repo, words, ctx)
    if name == "mlflow":
        return _mlflow(repo, words, ctx)
    if name in ("make", "gmake"):
        return _placeholder(words) or _make(repo, words, ctx, depth)
    if name == "dvc":
        return _dvc(repo, words, ctx, depth)
    if name in ("bash", "sh", "zsh") or (head.startswith("./") and head.endswith(".sh")):
        return _placeholder(words) or _shell_script(repo, words, ctx, depth)
    if name in SETUP:
        return "setup, not run"
    if name in SERVING or (name == "flask" and "run" in words):
        return "serving or tests, not training"
    return None


def _placeholder(words: list[str]) -> str:
    found = next((w for w in words if PLACEHOLDER.search(w) or "${{" in w), "")
    return f"placeholder {found!r} to fill in" if found else ""


def _python(repo: _Repo, words: list[str], ctx: _Context) -> list[_Hit] | str:
    """``python [options] script args`` or ``python -m module args`` (interpreter options dropped;
    ``$NAME``/``${NAME}`` expanded from the variables the source set, else the command is skipped)."""
    env = dict(ctx.env)
    words = [re.sub(r"\$\{?([A-Za-z_]\w*)\}?", lambda m: env.get(m.group(1), m.group(0)), w) for w in words]
    unexpanded = next((w for w in words if "$" in w), "")
    if unexpanded:
        return f"shell expression {unexpanded!r} the source does not set"
    i = 1
    while i < len(words) and words[i].startswith("-") and words[i] not in ("-m", "-c", "-"):
        i += 2 if words[i] in ("-W", "-X") else 1
    if i >= len(words) or words[i] == "-":
        return "interactive python, no file to run"
    if words[i] == "-c":
        return "python -c runs inline code, not a project file"
    if words[i] == "-m":
        return _python_module(repo, words[i + 1:], ctx)
    script, args = words[i], tuple(words[i + 1:])
    if PurePosixPath(script).name == "setup.py":
        return "setup, not run"
    found = _locate_script(repo, script, ctx)
    if isinstance(found, str):
        return found
    rel, cwd = found
    return [(ctx.where, Step("python", ("python", script, *args), cwd, env=ctx.env), rel)]


def _locate_script(repo: _Repo, script: str, ctx: _Context) -> tuple[str, str] | str:
    """``(root-relative path, cwd of the step)`` of a script, or why it is not usable."""
    shell = ctx.shell
    mapped = script
    if shell.workdir and script.startswith(shell.workdir.rstrip("/") + "/"):
        mapped = script[len(shell.workdir.rstrip("/")) + 1:]
        rel = _join(shell.cwd, mapped)
    elif script.startswith("/"):
        return f"{script} is an absolute path outside the repository"
    else:
        rel = _join(ctx.cwd, mapped)
    if repo.exists(rel):
        return rel, ctx.cwd
    if shell.anchor in ("keep", "switch") and repo.exists(_join("", mapped)):
        return _join("", mapped), (ctx.cwd if shell.anchor == "keep" else "")
    return f"{rel} is not in the repository"


def _python_module(repo: _Repo, words: list[str], ctx: _Context) -> list[_Hit] | str:
    if not words:
        return "python -m without a module"
    module, args = words[0], tuple(words[1:])
    why = PY_MODULE_SKIP.get(module) or PY_MODULE_SKIP.get(module.split(".")[0])
    if why:
        return why
    rel = repo.module_file(module, ctx.cwd, main=True)
    if not rel:
        path = module.replace(".", "/")
        return f"module {module} is not in the repository ({path}.py or {path}/__main__.py)"
    return [(ctx.where, Step("python", ("python", "-m", module, *args), ctx.cwd, env=ctx.env), rel)]


def _notebook(repo: _Repo, words: list[str], ctx: _Context) -> list[_Hit] | str:
    """``jupyter nbconvert --execute x.ipynb``, ``jupyter execute x.ipynb``, ``papermill x.ipynb
    out.ipynb``: a notebook step in the notebook's folder."""
    name = PurePosixPath(words[0]).name
    executes = name == "papermill" or "--execute" in words or (len(words) > 1 and words[1] == "execute")
    if not executes:
        return "interactive Jupyter, no notebook executed"
    notebook = next((w for w in words[1:] if w.endswith(".ipynb")), "")
    if not notebook:
        return "no .ipynb named"
    rel = _join(ctx.cwd, notebook)
    if not repo.exists(rel):
        return f"{rel} is not in the repository"
    return [(ctx.where, Step("notebook", (PurePosixPath(rel).name,), _folder_of(rel), env=ctx.env), rel)]


def _mlflow(repo: _Repo, words: list[str], ctx: _Context) -> list[_Hit] | str:
    """``mlflow run <local folder> -e entry -P k=v``: the MLproject entry's steps."""
    sub = words[1] if len(words) > 1 else ""
    if sub != "run":
        return NO_SHELL.get(sub, "MLflow CLI setup, not run")
    parsed = _mlflow_run_args(words)
    if isinstance(parsed, str):
        return parsed
    uri, name, overrides = parsed
    mlproject = repo.mlproject_in(_join(ctx.cwd, uri))
    if not isinstance(mlproject, _Mlproject):
        return mlproject or f"no MLproject in {_join(ctx.cwd, uri) or 'the repository root'}"
    got = _entry_steps(repo, mlproject, name, overrides)
    return got if isinstance(got, str) else got[0]


def _mlflow_run_args(words: list[str]) -> tuple[str, str, dict[str, str]] | str:
    """``(uri, entry point, -P values)`` of an ``mlflow run`` command, or why it is unusable."""
    uri, name, overrides = "", "main", {}
    i = 2
    while i < len(words):
        word, value = words[i], words[i + 1] if i + 1 < len(words) else ""
        if "=" in word and word.startswith("--"):
            word, value = word.split("=", 1)
            i -= 1
        if word in ("-e", "--entry-point"):
            name = value
        elif word in ("-P", "--param-list"):
            key, _, val = value.partition("=")
            overrides[key] = val
        if word in _MLFLOW_RUN_VALUE_OPTS:
            i += 2
            continue
        if not word.startswith("-") and not uri:
            uri = word
        i += 1
    if not uri:
        return "mlflow run without a project URI"
    if "://" in uri or uri.startswith(("git@", "github.com", "/")):
        return f"remote project URI {uri}, not this checkout"
    found = _placeholder([uri, name, *overrides.values()])
    return found or (uri, name, overrides)


def _make(repo: _Repo, words: list[str], ctx: _Context, depth: int) -> list[_Hit] | str:
    """``make [target...]``: the Makefile's target commands with their prerequisites."""
    if depth > 3:
        return "nested too deeply"
    path = next((p for p in ("Makefile", "makefile", "GNUmakefile") if repo.exists(_join(ctx.cwd, p))), "")
    if not path:
        return f"no Makefile in {ctx.cwd or 'the repository root'}"
    make = _read_makefile(repo.root / _join(ctx.cwd, path), _join(ctx.cwd, path))
    targets = [w for w in words[1:] if not w.startswith("-") and "=" not in w] or [make.default]
    shells: list[_Shell] = []
    seen: set[str] = set()
    for target in targets:
        if target not in make.targets:
            return f"no target {target!r} in {_join(ctx.cwd, path)}"
        shells.extend(_make_shells(make, target, ctx.cwd, seen))
    return _run_shells(repo, shells, depth + 1)


def _dvc(repo: _Repo, words: list[str], ctx: _Context, depth: int) -> list[_Hit] | str:
    """``dvc repro`` / ``dvc exp run``: the dvc.yaml stages in dependency order, without DVC."""
    sub = " ".join(words[1:3])
    if not (sub.startswith("repro") or sub.startswith("exp run")):
        return "DVC data setup, not run"
    stages = _dvc_stages(repo, ctx.cwd)
    if isinstance(stages, str):
        return stages
    return _run_shells(repo, [shell for _, shell in stages], depth + 1)


def _shell_script(repo: _Repo, words: list[str], ctx: _Context, depth: int) -> list[_Hit] | str | None:
    """``bash x.sh`` / ``./x.sh`` (its lines, from the caller's folder), ``sh -c '...'``."""
    if depth > 3:
        return "nested too deeply"
    args = words[1:] if PurePosixPath(words[0]).name in ("bash", "sh", "zsh") else words
    args = [a for a in args if not (a.startswith("-") and a != "-c")]
    if args[:1] == ["-c"] and len(args) > 1:
        lines = [(ctx.where, args[1])]
    elif args and args[0].endswith(".sh"):
        rel = _join(ctx.cwd, args[0])
        if not repo.exists(rel):
            return f"{rel} is not in the repository"
        text = (repo.root / rel).read_text(errors="replace")
        lines = [(f"{rel}:{n}", t) for n, t in enumerate(text.splitlines(), 1)]
    else:
        return None
    return _run_shells(repo, [_Shell(ctx.cwd, lines, ctx.shell.anchor, ctx.env, ctx.shell.workdir)], depth + 1)


# ---- MLproject ------------------------------------------------------------------------------

def _entry_steps(repo: _Repo, mp: _Mlproject, name: str,
                 overrides: dict[str, str]) -> tuple[list[_Hit], dict[str, str]] | str:
    """The ``mlflow_run`` steps of entry ``name`` with ``overrides`` (``-P``) over the defaults,
    and the parameter values; or why it cannot run. Undeclared ``-P`` values are appended as
    ``--name value``, as ``mlflow run`` does; an entry named as a ``.py``/``.sh`` file runs it."""
    if name in mp.points:
        command, declared = mp.points[name]
    elif name.endswith((".py", ".sh")) and repo.exists(_join(mp.folder, name)):
        command, declared = ("python " if name.endswith(".py") else "bash ") + name, ()
    else:
        return f"entry point {name!r} is not in {mp.path}"
    if not command.strip():
        return f"entry point {name!r} has no command"
    values: dict[str, str] = {}
    for pname, default in declared:
        value = overrides.get(pname, default)
        if value is None:
            return f"parameter {pname!r} has no default and no documented command gives one"
        values[pname] = value
    extra = {k: v for k, v in overrides.items() if k not in values}
    try:
        filled = re.sub(r"\{(\w+)\}", lambda m: shlex.quote(values[m.group(1)]), command)
    except KeyError as exc:
        return f"entry point {name!r} uses undeclared parameter {exc.args[0]!r}"
    filled = filled.strip() + "".join(f" --{k} {shlex.quote(v)}" for k, v in extra.items())
    where = f"{mp.path}:entry {name}"
    shell = _Shell(mp.folder, [(where, line) for line in filled.splitlines()], anchor="keep")
    hits = _run_shells(repo, [shell])
    if not hits:
        return "its command runs no python file of the repository"
    params = tuple(sorted({**values, **extra}.items()))
    return [(w, replace(s, kind="mlflow_run", params=params) if s.kind == "python" else s, p)
            for w, s, p in hits], {**values, **extra}


def _documented_runs(repo: _Repo, blocks: list[_Block], folder: str) -> list[tuple[str, str, dict[str, str]]]:
    """``(where, entry, -P values)`` of every ``mlflow run`` of the MLproject in ``folder`` that
    a README, docs page or CI workflow writes, in order."""
    out = []
    for block in blocks:
        if block.kind not in ("readme", "ci"):
            continue
        for shell in block.shells:
            for where, text in _logical_lines(shell.lines):
                cwd = shell.cwd
                for words in _segments(text) or []:
                    words = words[len(_leading_assignments(words)):]
                    if words[:1] == ["cd"]:
                        cwd = _cd(cwd, words, shell)
                    elif words[:2] == ["mlflow", "run"]:
                        parsed = _mlflow_run_args(words)
                        if not isinstance(parsed, str) and _join(cwd, parsed[0]) == folder:
                            out.append((where, parsed[1], parsed[2]))
    return out


def _shallowest_mlproject(repo: _Repo) -> _Mlproject | str | None:
    files = sorted((p for p in repo.root.rglob("*") if p.name.lower() == "mlproject" and ".git" not in p.parts
                    and p.is_file()), key=lambda p: (len(p.relative_to(repo.root).parts), p.as_posix()))
    return repo.mlproject_in(_folder_of(files[0].relative_to(repo.root).as_posix())) if files else None


def _mlproject_recipes(repo: _Repo, blocks: list[_Block]) -> list[Recipe]:
    """Rule 1 of the module docstring."""
    mp = _shallowest_mlproject(repo)
    if isinstance(mp, str):
        repo.skip(mp.split(":")[0], "", mp.split(": ", 1)[-1])
    if not isinstance(mp, _Mlproject):
        return []
    docs = _documented_runs(repo, blocks, mp.folder)
    plan: list[tuple[str, dict[str, str], str]] = []
    if "main" in mp.points:
        first = next(((w, o) for w, e, o in docs if e == "main"), None)
        plan.append(("main", first[1] if first else {}, f"named by {first[0]}" if first else "with its defaults"))
    plan += [(e, o, f"named by {w}") for w, e, o in docs]
    named = {e for e, _, _ in plan}
    plan += [(e, {}, "in file order, with its defaults") for e in mp.points if e not in named]
    out: list[Recipe] = []
    for name, overrides, why in plan:
        got = _entry_steps(repo, mp, name, overrides)
        if isinstance(got, str):
            repo.skip(f"{mp.path}:entry {name}", "", got)
            continue
        hits, values = got
        shown = " ".join(f"-P {k}={v}" for k, v in overrides.items())
        recipe = _recipe("MLproject", f"{mp.path}:entry {name}", hits,
                         f"MLproject entry {name!r} {why}{' (' + shown + ')' if shown else ''}, "
                         f"{len(values)} parameter(s)")
        out.append(recipe)
        alt = _root_alternative(repo, mp, recipe)
        if alt is not None:
            out.append(alt)
    return out


def _root_alternative(repo: _Repo, mp: _Mlproject, recipe: Recipe) -> Recipe | None:
    """The recipe run from the root when its relative paths resolve from there only."""
    if not mp.folder:
        return None
    paths = [a.split("=", 1)[-1] for s in recipe.steps for a in s.argv[1:] if PATH_ARG.match(a.split("=", 1)[-1])]
    root_only = [p for p in paths if (repo.root / p).exists() and not (repo.root / mp.folder / p).exists()]
    dir_only = [p for p in paths if (repo.root / mp.folder / p).exists() and not (repo.root / p).exists()]
    if not root_only or dir_only:
        return None
    steps = tuple(replace(s, cwd="") for s in recipe.steps)
    return replace(recipe, steps=steps, reason=f"{recipe.reason}; run from the repository root because "
                   f"{', '.join(root_only)} resolve(s) from the root, not from {mp.folder}/")


def _recipe(source: str, where: str, hits: list[_Hit], reason: str) -> Recipe:
    return Recipe(source, where, tuple(s for _, s, _ in hits), reason, tuple(dict.fromkeys(p for _, _, p in hits)))


# ---- Makefile, dvc.yaml, Dockerfile ---------------------------------------------------------

@dataclass
class _Makefile:
    """Targets as ``name -> (line, prerequisites, [(line, command)])``, the default goal."""

    path: str
    targets: dict[str, tuple[int, list[str], list[tuple[int, str]]]]
    default: str


_MAKE_VAR = re.compile(r"^([A-Za-z_][\w.]*)\s*(?:\?|:|::|\+)?=\s*(.*)$")
_MAKE_RULE = re.compile(r"^([^\s:#=][^:=]*?)\s*::?(?!=)\s*([^;#]*)")


def _read_makefile(path: Path, rel: str) -> _Makefile:
    """Targets, prerequisites and commands (``$(VAR)``/``${VAR}`` expanded from simple
    assignments; ``$(MAKE)`` is ``make``; ``@``/``-``/``+`` prefixes dropped)."""
    vars_: dict[str, str] = {"MAKE": "make"}
    targets: dict[str, tuple[int, list[str], list[tuple[int, str]]]] = {}
    current: str | None = None
    default = ""
    for n, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
        if line.startswith("\t") and current is not None:
            targets[current][2].append((n, line.strip().lstrip("@-+ ")))
            continue
        var = _MAKE_VAR.match(line)
        rule = _MAKE_RULE.match(line)
        if var and not rule:
            vars_[var.group(1)] = var.group(2).strip()
        elif rule:
            names = rule.group(1).split()
            current = names[0]
            for name in names:
                targets.setdefault(name, (n, rule.group(2).split(), []))
            if not default and not current.startswith(".") and "%" not in current:
                default = current
        elif line.strip() and not line.startswith((" ", "#")):
            current = None
    expanded = {t: (ln, [_expand(p, vars_) for p in pre], [(k, _expand(c, vars_)) for k, c in cmds])
                for t, (ln, pre, cmds) in targets.items()}
    return _Makefile(rel, expanded, default)


def _expand(text: str, vars_: dict[str, str], depth: int = 0) -> str:
    if depth > 5 or "$" not in text:
        return text
    out = re.sub(r"\$[({]([A-Za-z_][\w.]*)[)}]", lambda m: vars_.get(m.group(1), m.group(0)), text)
    return out if out == text else _expand(out, vars_, depth + 1)


def _make_shells(make: _Makefile, target: str, folder: str, seen: set[str]) -> list[_Shell]:
    """A target's commands after its prerequisites' (depth first, each target once); every
    command line is its own shell, as make runs them."""
    if target in seen or target not in make.targets:
        return []
    seen.add(target)
    _, prereqs, commands = make.targets[target]
    shells = [s for p in prereqs for s in _make_shells(make, p, folder, seen)]
    return shells + [_Shell(folder, [(f"{make.path}:{n}", c)]) for n, c in commands]


def _makefile_recipes(repo: _Repo) -> list[Recipe]:
    """Rule 4: targets that run python, ``train``/``run``/``all`` first, then file order."""
    path = next((p for p in ("Makefile", "makefile", "GNUmakefile") if repo.exists(p)), "")
    if not path:
        return []
    make = _read_makefile(repo.root / path, path)
    order = [t for t in ("train", "run", "all") if t in make.targets]
    order += [t for t in make.targets if t not in order and not t.startswith(".") and "%" not in t]
    out = []
    for target in order:
        hits = _run_shells(repo, _make_shells(make, target, "", set()))
        if hits:
            out.append(_recipe("Makefile", f"{path}:{make.targets[target][0]}", hits, f"make {target}"))
    return out


def _dvc_stages(repo: _Repo, folder: str = "") -> list[tuple[str, _Shell]] | str:
    """``(stage name, shell)`` of ``dvc.yaml`` in dependency order (module docstring, rule 5)."""
    rel = _join(folder, "dvc.yaml")
    if not repo.exists(rel):
        return f"no dvc.yaml in {folder or 'the repository root'}"
    try:
        data = yaml.safe_load((repo.root / rel).read_text(errors="replace")) or {}
    except yaml.YAMLError as exc:
        return f"{rel}: malformed YAML ({str(exc).splitlines()[0]})"
    stages = data.get("stages") if isinstance(data, dict) else None
    if not isinstance(stages, dict):
        return f"{rel}: no stages"
    info = {}
    for name, spec in stages.items():
        if not isinstance(spec, dict) or "cmd" not in spec:
            repo.skip(f"{rel}:stage {name}", "", "no cmd (foreach/matrix stages are not expanded)")
            continue
        wdir = _join(folder, str(spec.get("wdir") or "."))
        cmds = spec["cmd"] if isinstance(spec["cmd"], list) else [spec["cmd"]]
        info[str(name)] = (wdir, [str(c) for c in cmds], _dvc_paths(spec.get("deps"), wdir),
                           _dvc_paths(spec.get("outs"), wdir))
    return [(n, _Shell(info[n][0], [(f"{rel}:stage {n}", c) for c in info[n][1]])) for n in _dvc_order(info)]


def _dvc_paths(items: Any, wdir: str) -> set[str]:
    names = [next(iter(i)) if isinstance(i, dict) and i else i for i in (items or [])]
    return {_join(wdir, str(n)) for n in names if n}


def _dvc_order(info: dict[str, tuple[str, list[str], set[str], set[str]]]) -> list[str]:
    """Stable topological order: a stage runs after the stages whose ``outs`` it depends on
    (an out that is a folder covers the paths below it)."""
    def needs(a: str, b: str) -> bool:
        return any(d == o or d.startswith(o + "/") for d in info[a][2] for o in info[b][3])

    order: list[str] = []
    while len(order) < len(info):
        ready = [n for n in info if n not in order and all(m in order or m == n or not needs(n, m) for m in info)]
        order.append(ready[0] if ready else next(n for n in info if n not in order))  # a cycle: declared order
    return order


def _dvc_recipes(repo: _Repo) -> list[Recipe]:
    stages = _dvc_stages(repo)
    if isinstance(stages, str):
        return []
    hits = _run_shells(repo, [shell for _, shell in stages])
    if not hits:
        return []
    names = [n for n, _ in stages]
    where = f"dvc.yaml:stage {names[0]}" if len(names) == 1 else f"dvc.yaml:stages {' -> '.join(names)}"
    return [_recipe("dvc.yaml", where, hits, f"dvc.yaml stages in dependency order: {', '.join(names)}")]


def _docker_lines(text: str) -> list[tuple[int, str, str]]:
    """``(line, INSTRUCTION, arguments)`` of a Dockerfile, continuation lines joined."""
    out: list[tuple[int, str, str]] = []
    buf, start = "", 0
    for n, line in enumerate(text.splitlines(), 1):
        if not buf and (not line.strip() or line.lstrip().startswith("#")):
            continue
        start = start or n
        if line.rstrip().endswith("\\"):
            buf += line.rstrip()[:-1] + " "
            continue
        full = (buf + line).strip()
        buf = ""
        op, _, args = full.partition(" ")
        out.append((start, op.upper(), args.strip()))
        start = 0
    return out


def _docker_command(args: str) -> list[str] | str:
    """An exec-form (JSON array) or shell-form command."""
    if args.startswith("["):
        import json

        try:
            return [str(a) for a in json.loads(args)]
        except ValueError:
            return args
    return args


def _dockerfile_recipes(repo: _Repo) -> list[Recipe]:
    """Rule 6: the last stage's ENTRYPOINT + CMD, WORKDIR mapped to the folder copied there."""
    path = next((p.name for p in sorted(repo.root.glob("*")) if p.name.lower() == "dockerfile" and p.is_file()), "")
    if not path:
        return []
    workdir, copies, env, entry, cmd, line = "/", {}, {}, [], [], 0
    for n, op, args in _docker_lines((repo.root / path).read_text(errors="replace")):
        if op == "FROM":
            workdir, copies, env, entry, cmd = "/", {}, {}, [], []
        elif op == "WORKDIR":
            workdir = args if args.startswith("/") else f"{workdir.rstrip('/')}/{args}"
        elif op in ("COPY", "ADD"):
            parts = [a for a in args.split() if not a.startswith("--")]
            if len(parts) >= 2:
                dest = parts[-1] if parts[-1].startswith("/") else f"{workdir.rstrip('/')}/{parts[-1]}"
                copies[dest.rstrip("/").removesuffix("/.") or "/"] = parts[0]
        elif op == "ENV":
            env.update(_docker_env(args))
        elif op in ("CMD", "ENTRYPOINT"):
            got = _docker_command(args)
            value = got if isinstance(got, list) else ["sh", "-c", got]
            entry, cmd = (value, []) if op == "ENTRYPOINT" else (entry, value)
            line = n
    argv = entry + cmd
    if not argv:
        return []
    workdir = workdir.rstrip("/") or "/"
    source = copies.get(workdir, ".")
    folder = _join("", source.strip("/") if source not in (".", "./") else "")
    text = argv[2] if argv[:2] == ["sh", "-c"] and len(argv) > 2 else shlex.join(argv)
    shell = _Shell(folder, [(f"{path}:{line}", text)], env=tuple(env.items()), workdir=workdir)
    hits = _run_shells(repo, [shell])
    if not hits:
        return []
    return [_recipe("Dockerfile", f"{path}:{line}", hits,
                    f"Dockerfile WORKDIR {workdir} mapped to {folder or 'the repository root'}/ "
                    f"(absolute paths under {workdir} are the harness's to map)")]


def _docker_env(args: str) -> dict[str, str]:
    try:
        words = shlex.split(args)
    except ValueError:
        return {}
    if words and "=" not in words[0]:
        return {words[0]: " ".join(words[1:])}
    return dict(w.split("=", 1) for w in words if "=" in w)


# ---- README, docs and CI --------------------------------------------------------------------

_FENCE = re.compile(r"^\s*(`{3,}|~{3,})\s*\{?\.?([\w+-]*)")
_NOT_SHELL = frozenset({"python", "py", "python3", "ipython", "pycon", "yaml", "yml", "json", "toml", "ini",
                        "cfg", "r", "sql", "html", "javascript", "js", "dockerfile", "xml", "csv", "diff"})
_PROMPT_LINE = re.compile(r"^\s*(?:\([^)]*\)\s*)?\$\s+\S")


def _doc_blocks(text: str, rst: bool) -> list[list[tuple[int, str]]]:
    """Code blocks of a Markdown or reStructuredText page as ``(line, text)`` lists: fenced
    blocks (not of a non-shell language), indented blocks (Markdown: after a blank line; rst:
    after a ``::`` line) and lone ``$ `` prompt lines."""
    blocks: list[list[tuple[int, str]]] = []
    fence, lang, cur = "", "", []  # type: ignore[var-annotated]
    indented: list[tuple[int, str]] = []
    prev_blank, literal = True, False
    for n, line in enumerate(text.splitlines(), 1):
        if fence:
            if line.strip().startswith(fence):
                if lang not in _NOT_SHELL:
                    blocks.append(cur)
                fence = ""
            else:
                cur.append((n, line))
            continue
        opened = _FENCE.match(line)
        is_indented = line.startswith(("    ", "\t")) or (rst and literal and line.startswith(" "))
        if indented and not (is_indented or not line.strip()):
            blocks.append(indented)
            indented, literal = [], False
        if opened:
            fence, lang, cur = opened.group(1), opened.group(2).lower(), []
        elif is_indented and line.strip() and (indented or prev_blank) and (not rst or literal):
            indented.append((n, line))
        elif _PROMPT_LINE.match(line):
            blocks.append([(n, line)])
        if rst and line.rstrip().endswith("::"):
            literal = True
        prev_blank = not line.strip()
    if indented:
        blocks.append(indented)
    return blocks


def _doc_pages(repo: _Repo) -> list[tuple[str, str]]:
    """``(page, folder its commands start in)``: root READMEs, ``docs/**/*.md``, then the
    README of each folder holding a tracking script."""
    def readmes(folder: str) -> list[str]:
        base = repo.root / folder if folder else repo.root
        return sorted(_join(folder, p.name) for p in base.glob("*") if p.is_file()
                      and re.match(r"readme[\w.-]*\.(md|markdown|rst|txt)$|readme$", p.name, re.I))

    pages = [(p, "") for p in readmes("")]
    docs = repo.root / "docs"
    if docs.is_dir():
        pages += [(p.relative_to(repo.root).as_posix(), "") for p in sorted(docs.rglob("*"))
                  if p.suffix.lower() in (".md", ".rst") and p.is_file()]
    folders = sorted({_folder_of(p) for p, c in repo.code.items() if c.kind == "py" and _folder_of(p)
                      and not TEST_FILE.search(p) and repo.facts(p)[1]})
    pages += [(p, f) for f in folders for p in readmes(f)]
    return list(dict.fromkeys(pages))


def _readme_blocks(repo: _Repo) -> list[_Block]:
    out = []
    for page, folder in _doc_pages(repo):
        text = (repo.root / page).read_text(errors="replace")
        for block in _doc_blocks(text, page.lower().endswith(".rst")):
            lines = [(f"{page}:{n}", t) for n, t in block]
            out.append(_Block(page, "readme", [_Shell(folder, lines, "switch" if folder else "strict")]))
    return out


def _ci_blocks(repo: _Repo) -> list[_Block]:
    """Each job of ``.github/workflows/*.yml``: its ``run:`` steps in order, one shell each."""
    base = repo.root / ".github" / "workflows"
    files = sorted(p for p in base.glob("*") if p.suffix in (".yml", ".yaml")) if base.is_dir() else []
    out = []
    for path in files:
        rel = path.relative_to(repo.root).as_posix()
        text = path.read_text(errors="replace")
        try:
            data = yaml.safe_load(text) or {}
        except yaml.YAMLError:
            repo.skip(rel, "", "malformed YAML")
            continue
        jobs = data.get("jobs") if isinstance(data, dict) else None
        top = _working_directory(data)
        cursor = [0]
        for job in (jobs or {}).values() if isinstance(jobs, dict) else []:
            if not isinstance(job, dict):
                continue
            wd = _working_directory(job) or top
            shells = [_ci_shell(rel, text, step, wd, cursor) for step in job.get("steps") or []
                      if isinstance(step, dict) and isinstance(step.get("run"), str)]
            if shells:
                out.append(_Block(rel, "ci", shells))
    return out


def _working_directory(spec: Any) -> str:
    run = ((spec.get("defaults") or {}).get("run") or {}) if isinstance(spec, dict) else {}
    return str(run.get("working-directory") or "") if isinstance(run, dict) else ""


def _ci_shell(rel: str, text: str, step: dict[str, Any], wd: str, cursor: list[int]) -> _Shell:
    """A ``run:`` step as a shell, each line numbered where it stands in the workflow file."""
    lines = step["run"].splitlines()
    file_lines = text.splitlines()
    first = next((ln.strip() for ln in lines if ln.strip()), "")
    at = next((i for i in range(cursor[0], len(file_lines)) if first and first in file_lines[i]), cursor[0])
    cursor[0] = at + 1
    offset = next((i for i, ln in enumerate(lines) if ln.strip()), 0)
    numbered = [(f"{rel}:{at + 1 + i - offset}", ln) for i, ln in enumerate(lines)]
    folder = str(step.get("working-directory") or wd or "")
    return _Shell(_join("", folder) if folder and not folder.startswith(("/", "$")) else "", numbered)


def _block_recipes(repo: _Repo, blocks: list[_Block]) -> list[Recipe]:
    """One recipe per block that has at least one usable step."""
    out = []
    for block in blocks:
        hits = _run_shells(repo, block.shells)
        if hits:
            what = "commands" if len(hits) > 1 else "command"
            label = {"readme": "documented", "ci": "CI workflow"}[block.kind]
            out.append(_recipe(block.source, hits[0][0], hits, f"{label} {what} ({len(hits)} step(s))"))
    return out


# ---- scripts and notebooks ------------------------------------------------------------------

def needs_arguments(source: str) -> list[str]:
    """The command-line arguments a script cannot run without, in source order: argparse
    ``add_argument`` options with ``required=True`` (their first long name) and positionals
    without a ``default`` (unless ``nargs`` is ``?`` or ``*``); click ``@option(...,
    required=True)`` and ``@argument(...)`` (unless ``required=False``, a ``default`` or
    ``nargs=-1``). Read with ``ast``, never executed; [] when the source does not parse."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return []
    calls = sorted((n for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute | ast.Name)),
                   key=lambda n: (n.lineno, n.col_offset))
    out: list[str] = []
    for call in calls:
        func = call.func.attr if isinstance(call.func, ast.Attribute) else call.func.id  # type: ignore[union-attr]
        names = [a.value for a in call.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
        kw = {k.arg: k.value for k in call.keywords if k.arg}
        required = _literal(kw.get("required"))
        if not names or func not in ("add_argument", "option", "argument"):
            continue
        if names[0].startswith("-"):
            if func in ("add_argument", "option") and required is True:
                out.append(next((n for n in names if n.startswith("--")), names[0]))
        elif "default" not in kw and _positional_required(func, required, _literal(kw.get("nargs"))):
            out.append(names[0])
    return out


def _positional_required(func: str, required: Any, nargs: Any) -> bool:
    if func == "add_argument":
        return nargs not in ("?", "*")
    return func == "argument" and required is not False and nargs != -1


def _literal(node: ast.expr | None) -> Any:
    try:
        return ast.literal_eval(node) if node is not None else None
    except ValueError:
        return None


def _documented_scripts(repo: _Repo, recipes: list[tuple[int, Recipe]]) -> dict[str, tuple[str, Step]]:
    """For each executed .py file, the first documented python step running it and where."""
    out: dict[str, tuple[str, Step]] = {}
    for _, recipe in recipes:
        for step in recipe.steps:
            path = _step_path(repo, step)
            if path and path not in out:
                out[path] = (recipe.where, replace(step, kind="python", params=()))
    return out


def _step_path(repo: _Repo, step: Step) -> str:
    """The .py file a python or mlflow_run step executes ("" for a notebook or when unknown)."""
    if step.kind == "notebook" or len(step.argv) < 2:
        return ""
    if step.argv[1] == "-m":
        return repo.module_file(step.argv[2], step.cwd, main=True) if len(step.argv) > 2 else ""
    return next((p for p in (_join(step.cwd, step.argv[1]), _join("", step.argv[1])) if repo.exists(p)), "")


def _script_facts(repo: _Repo) -> dict[str, dict[str, Any]]:
    """Tracking scripts and drivers (rule 7), with what ranks them."""
    info: dict[str, dict[str, Any]] = {}
    for path, cand in repo.code.items():
        if cand.kind != "py" or TEST_FILE.search(path) or re.search(r"(^|/)docs?/conf\.py$", path):
            continue
        text = (repo.root / path).read_text(errors="replace")
        guard = _has_main_guard(text)
        runs = guard or _runs_something(text)
        own = repo.facts(path)[1]
        tracked = [q for q in repo.closure(path)[1:] if repo.facts(q)[1]]
        serving = any(m.split(".")[0] in SERVING_IMPORTS for m in _imported_names(text))
        if own or (runs and tracked and not serving):
            info[path] = {"guard": guard, "runs": runs, "metrics": repo.logs_metrics(path), "text": text,
                          "calls": sum(repo.facts(q)[0] for q in repo.closure(path)), "drives": tracked[:1]}
    for path, facts in info.items():
        facts["demo"] = any(path in repo.closure(o)[1:] and o.count("/") < path.count("/") and info[o]["runs"]
                            for o in info if o != path)
    return info


def _imported_names(text: str) -> set[str]:
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return set()
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return names


def _script_recipes(repo: _Repo, documented: dict[str, tuple[str, Step]]) -> list[Recipe]:
    """Rule 7 of the module docstring."""
    ranked = []
    for path, f in _script_facts(repo).items():
        needs = needs_arguments(f["text"])
        doc = documented.get(path)
        key = (bool(needs) and doc is None, not f["metrics"], not f["runs"], f["demo"], not f["guard"],
               not NAME_HINT.search(PurePosixPath(path).name), -f["calls"], path.count("/"), path)
        ranked.append((key, path, f, needs, doc))
    out = []
    for _, path, f, needs, doc in sorted(ranked, key=lambda r: r[0]):
        if doc is not None:
            step, how = doc[1], f"arguments from {doc[0]}"
        else:
            entry = with_cwd(repo.root, Entry("script", path, ("python", path), _folder_of(path), ""))
            cwd = entry.folder if entry.cwd == "entry_dir" else ""
            step = Step("python", ("python", path[len(cwd) + 1:] if cwd else path), cwd)
            how = f"needs arguments {' '.join(needs)}" if needs else "needs no arguments"
        what = [how, "logs metrics" if f["metrics"] else "only starts runs",
                "__main__ guard" if f["guard"] else "runs at top level" if f["runs"] else "only definitions"]
        if f["drives"]:
            what.append(f"drives {f['drives'][0]}")
        if f["demo"]:
            what.append("its __main__ is a demo: a shallower script imports it")
        out.append(Recipe("script", path, (step,), "script: " + ", ".join(what), (path,)))
    return out


def _notebook_recipes(repo: _Repo) -> list[Recipe]:
    """Rule 8: tracking notebooks, each run in its own folder."""
    books = [p for p, c in repo.code.items() if c.kind == "ipynb" and not TEST_FILE.search(p) and repo.facts(p)[1]]
    books.sort(key=lambda p: (not repo.facts(p)[2], -repo.facts(p)[0], p.count("/"), p))
    return [Recipe("notebook", p, (Step("notebook", (PurePosixPath(p).name,), _folder_of(p)),),
                   f"notebook: {'logs metrics' if repo.facts(p)[2] else 'only starts runs'}, "
                   f"{repo.facts(p)[0]} tracking call(s), run in its own folder", (p,)) for p in books]


# ---- the public entry -----------------------------------------------------------------------

def candidates(root: Path) -> tuple[list[Recipe], list[str]]:
    """Ranked recipes (best first, deduplicated by steps) and skipped: one line per command
    found but not usable, with why (module docstring)."""
    repo = _Repo(Path(root))
    blocks = _readme_blocks(repo) + _ci_blocks(repo)
    found: list[tuple[int, Recipe]] = [(1, r) for r in _mlproject_recipes(repo, blocks)]
    found += [(2, r) for r in _block_recipes(repo, [b for b in blocks if b.kind == "readme"])]
    found += [(3, r) for r in _block_recipes(repo, [b for b in blocks if b.kind == "ci"])]
    found += [(4, r) for r in _makefile_recipes(repo)]
    found += [(5, r) for r in _dvc_recipes(repo)]
    found += [(6, r) for r in _dockerfile_recipes(repo)]
    found += [(7, r) for r in _script_recipes(repo, _documented_scripts(repo, found))]
    found += [(8, r) for r in _notebook_recipes(repo)]
    return _rank(repo, found), list(repo.skipped)


def _rank(repo: _Repo, found: list[tuple[int, Recipe]]) -> list[Recipe]:
    """Tracking recipes first, then by source rank and found order; identical steps kept once."""
    order = sorted(range(len(found)), key=lambda i: (not repo.tracks(found[i][1].entry_paths), found[i][0], i))
    kept: dict[tuple[Step, ...], Recipe] = {}
    also: dict[tuple[Step, ...], list[str]] = {}
    for i in order:
        recipe = found[i][1]
        if recipe.steps in kept:
            also[recipe.steps].append(recipe.where)
            continue
        if not repo.tracks(recipe.entry_paths):
            recipe = replace(recipe, reason=recipe.reason + "; executes no file whose import closure makes an "
                             "MLflow tracking call (ranked after those that do)")
        kept[recipe.steps], also[recipe.steps] = recipe, []
    return [replace(r, reason=f"{r.reason}; also {', '.join(dict.fromkeys(also[k]))}") if also[k] else r
            for k, r in kept.items()]


def recipe_text(r: Recipe) -> str:
    """One shell line for the recipe, e.g. ``cd src && python forest_script.py -n 350 -d 15``;
    a notebook step reads ``jupyter nbconvert --to notebook --execute m.ipynb``."""
    cwds = {s.cwd for s in r.steps}
    if len(cwds) == 1:
        cwd = cwds.pop()
        body = " && ".join(_step_text(s) for s in r.steps)
        return f"cd {shlex.quote(cwd)} && {body}" if cwd else body
    return " && ".join(f"(cd {shlex.quote(s.cwd)} && {_step_text(s)})" if s.cwd else _step_text(s) for s in r.steps)


def _step_text(s: Step) -> str:
    argv = ("jupyter", "nbconvert", "--to", "notebook", "--execute", *s.argv) if s.kind == "notebook" else s.argv
    env = "".join(f"{k}={shlex.quote(v)} " for k, v in s.env)
    return env + shlex.join(argv)
