"""Rules 7 and 8: recipes that run a tracking script or notebook directly, and the arguments a
script cannot run without.

7. Scripts (``.py``, not tests, not ``docs/conf.py``) that start a run, log metrics or turn on
   autolog, and drivers: scripts that do work and import such a module (never one that imports
   a serving framework). Ranked by: needs arguments (:func:`needs_arguments`) that no documented
   command supplies (last); logs metrics (``log_metric(s)``/``autolog`` in the file or its
   local import closure) before only starting runs; does work when executed (a ``__main__``
   guard, or a top-level call outside imports, definitions and configuration assignments)
   before a module of functions only; a module whose ``__main__`` is a demo (a shallower
   runnable script imports it) after that driver; ``__main__`` guard; name hint
   ``train|main|run``; more tracking call sites (in the import closure); shallower; path. A
   script that a documented command runs (MLproject command first) gets that command's
   arguments and folder. Any other script runs from its own folder when more of its relative
   path literals (string constants that look like data files or folders) resolve from there
   than from the root, else from the root.
8. Notebooks that start a run, log metrics or turn on autolog: metric logging first, then more
   tracking call sites, shallower, path; each in its own folder.
"""

from __future__ import annotations

import ast
import re
from dataclasses import replace
from pathlib import Path, PurePosixPath
from typing import Any

from miners.rerun.recipes.model import Recipe, Step
from miners.rerun.recipes.repo import TEST_FILE, Repo, folder_of, join_path

NAME_HINT = re.compile(r"train|main|run", re.I)
_PATH_LITERAL = re.compile(r"^[\w.\-/]+\.(csv|tsv|json|txt|parquet|pkl|pickle|npy|npz|yaml|yml|xlsx|h5|"
                           r"joblib|zip|gz|jpg|png|data)$|^[\w.\-]+/[\w.\-/]*$")
SERVING_IMPORTS = frozenset({"flask", "fastapi", "streamlit", "gradio", "uvicorn", "dash"})


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


def documented_scripts(repo: Repo, recipes: list[tuple[int, Recipe]]) -> dict[str, tuple[str, Step]]:
    """For each executed .py file, the first documented python step running it and where."""
    out: dict[str, tuple[str, Step]] = {}
    for _, recipe in recipes:
        for step in recipe.steps:
            path = _step_path(repo, step)
            if path and path not in out:
                out[path] = (recipe.where, replace(step, kind="python", params=()))
    return out


def _step_path(repo: Repo, step: Step) -> str:
    """The .py file a python or mlflow_run step executes ("" for a notebook or when unknown)."""
    if step.kind == "notebook" or len(step.argv) < 2:
        return ""
    if step.argv[1] == "-m":
        return repo.module_file(step.argv[2], step.cwd, main=True) if len(step.argv) > 2 else ""
    return next((p for p in (join_path(step.cwd, step.argv[1]), join_path("", step.argv[1])) if repo.exists(p)), "")


def _script_facts(repo: Repo) -> dict[str, dict[str, Any]]:
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


def _script_cwd(root: Path, path: str, source: str) -> str:
    """The folder a script runs from: its own when more of its relative path literals resolve
    from there than from the root, else the root (\"\")."""
    folder = folder_of(path)
    if not folder:
        return ""
    paths = _relative_paths(source)
    at_root = sum((root / p).exists() for p in paths)
    at_dir = sum((root / folder / p).exists() for p in paths)
    return folder if at_dir > at_root else ""


def _relative_paths(source: str) -> list[str]:
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


def script_recipes(repo: Repo, documented: dict[str, tuple[str, Step]]) -> list[Recipe]:
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
            cwd = _script_cwd(repo.root, path, f["text"])
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


def notebook_recipes(repo: Repo) -> list[Recipe]:
    """Rule 8: tracking notebooks, each run in its own folder."""
    books = [p for p, c in repo.code.items() if c.kind == "ipynb" and not TEST_FILE.search(p) and repo.facts(p)[1]]
    books.sort(key=lambda p: (not repo.facts(p)[2], -repo.facts(p)[0], p.count("/"), p))
    return [Recipe("notebook", p, (Step("notebook", (PurePosixPath(p).name,), folder_of(p)),),
                   f"notebook: {'logs metrics' if repo.facts(p)[2] else 'only starts runs'}, "
                   f"{repo.facts(p)[0]} tracking call(s), run in its own folder", (p,)) for p in books]
