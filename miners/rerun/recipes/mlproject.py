"""Rule 1: recipes from the ``MLproject`` file.

The shallowest ``MLproject`` (any case) gives: entry ``main``; then the entries that a README,
docs page or CI workflow names (``mlflow run . -e knn -P alpha=0.5``; documented ``-P`` values
override defaults), in documented order; then every other entry in file order with its
defaults. A parameter without a default takes its value from such a documented command; without
one the entry is skipped. Steps are ``mlflow_run`` in the MLproject's folder with the filled
command split by ``shlex`` and every parameter's value (:func:`~.shell.entry_steps`). When the
command's relative paths (script or data arguments) resolve from the repository root but not
from the MLproject's folder, the same recipe run from the root follows it.
"""

from __future__ import annotations

import re
from dataclasses import replace

from miners.rerun.recipes.model import Block, Recipe, from_hits
from miners.rerun.recipes.repo import Mlproject, Repo, folder_of, join_path
from miners.rerun.recipes.shell import (
    changed_dir,
    entry_steps,
    leading_assignments,
    logical_lines,
    mlflow_run_args,
    segments,
)

PATH_ARG = re.compile(r"^[\w.\-/]+\.\w{1,8}$|^[\w.\-]+/[\w.\-/]*$")


def mlproject_recipes(repo: Repo, blocks: list[Block]) -> list[Recipe]:
    """Rule 1 of the module docstring."""
    mp = _shallowest_mlproject(repo)
    if isinstance(mp, str):
        repo.skip(mp.split(":")[0], "", mp.split(": ", 1)[-1])
    if not isinstance(mp, Mlproject):
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
        got = entry_steps(repo, mp, name, overrides)
        if isinstance(got, str):
            repo.skip(f"{mp.path}:entry {name}", "", got)
            continue
        hits, values = got
        shown = " ".join(f"-P {k}={v}" for k, v in overrides.items())
        recipe = from_hits("MLproject", f"{mp.path}:entry {name}", hits,
                         f"MLproject entry {name!r} {why}{' (' + shown + ')' if shown else ''}, "
                         f"{len(values)} parameter(s)")
        out.append(recipe)
        alt = _root_alternative(repo, mp, recipe)
        if alt is not None:
            out.append(alt)
    return out


def _documented_runs(repo: Repo, blocks: list[Block], folder: str) -> list[tuple[str, str, dict[str, str]]]:
    """``(where, entry, -P values)`` of every ``mlflow run`` of the MLproject in ``folder`` that
    a README, docs page or CI workflow writes, in order."""
    out = []
    for block in blocks:
        if block.kind not in ("readme", "ci"):
            continue
        for shell in block.shells:
            for where, text in logical_lines(shell.lines):
                cwd = shell.cwd
                for words in segments(text) or []:
                    words = words[len(leading_assignments(words)):]
                    if words[:1] == ["cd"]:
                        cwd = changed_dir(cwd, words, shell)
                    elif words[:2] == ["mlflow", "run"]:
                        parsed = mlflow_run_args(words)
                        if not isinstance(parsed, str) and join_path(cwd, parsed[0]) == folder:
                            out.append((where, parsed[1], parsed[2]))
    return out


def _shallowest_mlproject(repo: Repo) -> Mlproject | str | None:
    files = sorted((p for p in repo.root.rglob("*") if p.name.lower() == "mlproject" and ".git" not in p.parts
                    and p.is_file()), key=lambda p: (len(p.relative_to(repo.root).parts), p.as_posix()))
    return repo.mlproject_in(folder_of(files[0].relative_to(repo.root).as_posix())) if files else None


def _root_alternative(repo: Repo, mp: Mlproject, recipe: Recipe) -> Recipe | None:
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
