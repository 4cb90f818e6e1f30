"""Run recipes: the candidate ways to run a project that a competent person would try.

Definition. A *recipe* is one or more steps executed in order (:class:`Step`: ``python`` argv
starting with ``python``, ``notebook`` argv ``(file name,)`` executed top to bottom as Jupyter
runs it, or ``mlflow_run`` an MLproject entry point run with ``mlflow run`` semantics: its
parameters logged). A step's argv is written as typed in its ``cwd`` (posix, relative to the
repository root, ``""`` = root); a notebook step always runs in the notebook's own folder
(:mod:`.model`). :func:`candidates` collects commands from these sources and ranks them in this
order (the harness keeps the first recipe that logs at least one metric, trying at most 3);
each module named defines its rule in full:

1. ``MLproject`` (any case, the shallowest): ``main``, then the entries documented commands
   name, then the others in file order (:mod:`.mlproject`).
2. Commands in README code blocks (root READMEs, ``docs/``, then the README of a folder holding
   a tracking script) (:mod:`.documents`).
3. CI workflows' ``run:`` steps, one recipe per job (:mod:`.documents`).
4. Makefile targets that run python: ``train``, ``run``, ``all`` first (:mod:`.buildfiles`).
5. ``dvc.yaml`` stages in dependency order, without DVC (:mod:`.buildfiles`).
6. ``Dockerfile`` ``ENTRYPOINT`` + ``CMD`` of the last stage, never built (:mod:`.buildfiles`).
7. Scripts that start a run, log metrics or turn on autolog, and their drivers (:mod:`.scripts`).
8. Notebooks that start a run, log metrics or turn on autolog (:mod:`.scripts`).

Commands are read by one grammar (:mod:`.shell`): ``python``, notebook runners, ``mlflow
run``, ``make``, ``dvc repro`` and shell scripts; a command whose file is not in the checkout,
with a placeholder, or that is setup, a test or a server is recorded in *skipped* as ``<where>
<command>: <why>``. Recipes none of whose executed files (or their local import closures,
:mod:`.repo`) contain an MLflow tracking call rank after all that do, in the same order.
Identical step sequences are kept once, at the best rank; the reason names the other places.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from miners.rerun.recipes import buildfiles, documents, mlproject, scripts
from miners.rerun.recipes.model import (
    Recipe,
    Step,
    recipe_from_json,
    recipe_kind,
    recipe_text,
    recipe_to_json,
)
from miners.rerun.recipes.repo import Repo
from miners.rerun.recipes.scripts import needs_arguments

__all__ = ["SOURCE_RANK", "Recipe", "Step", "candidates", "needs_arguments", "recipe_from_json", "recipe_kind",
           "recipe_text", "recipe_to_json"]


#: The rank of each source (the rule numbers of the module docstring).
SOURCE_RANK = {"MLproject": 1, "readme": 2, "ci": 3, "Makefile": 4, "dvc.yaml": 5, "Dockerfile": 6,
               "script": 7, "notebook": 8}


def candidates(root: Path) -> tuple[list[Recipe], list[str]]:
    """Ranked recipes (best first, deduplicated by steps) and skipped: one line per command
    found but not usable, with why (module docstring)."""
    repo = Repo(Path(root))
    blocks = documents.readme_blocks(repo) + documents.ci_blocks(repo)
    found: list[tuple[int, Recipe]] = []

    def add(source: str, recipes: list[Recipe]) -> None:
        found.extend((SOURCE_RANK[source], r) for r in recipes)

    add("MLproject", mlproject.mlproject_recipes(repo, blocks))
    add("readme", documents.block_recipes(repo, [b for b in blocks if b.kind == "readme"]))
    add("ci", documents.block_recipes(repo, [b for b in blocks if b.kind == "ci"]))
    add("Makefile", buildfiles.makefile_recipes(repo))
    add("dvc.yaml", buildfiles.dvc_recipes(repo))
    add("Dockerfile", buildfiles.dockerfile_recipes(repo))
    add("script", scripts.script_recipes(repo, scripts.documented_scripts(repo, found)))
    add("notebook", scripts.notebook_recipes(repo))
    return _rank(repo, found), list(repo.skipped)


def _rank(repo: Repo, found: list[tuple[int, Recipe]]) -> list[Recipe]:
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
